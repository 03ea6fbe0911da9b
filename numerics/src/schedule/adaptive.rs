//! Gradient-norm adaptive step sizes: R3 γ₀/(α‖g̃_k‖ + 1) and R4
//! γ₀/((1 + ψ(⌈k/K⌉))(α‖g̃_k‖ + 1)).

use super::{ceil_div, Psi};
use crate::error::{check_closed, check_positive};
use crate::Result;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A step size that depends on the step counter k and the current stochastic gradient
/// norm ‖g̃_k‖ (lecture 003 rules R3, R4). Object safe and `Send + Sync`.
pub trait AdaptiveStep: fmt::Debug + Send + Sync {
    /// γ_k given ‖g̃_k‖ = `grad_norm` ≥ 0.
    fn step(&self, k: usize, grad_norm: f64) -> f64;
}

impl<S: AdaptiveStep + ?Sized> AdaptiveStep for Box<S> {
    fn step(&self, k: usize, grad_norm: f64) -> f64 {
        (**self).step(k, grad_norm)
    }
}

/// R3: γ_k = γ₀/(α‖g̃_k‖₂ + 1) (lecture 003, spec §9.3).
///
/// Bounded by γ₀ and by γ₀/(α‖g̃‖), so the displacement γ_k‖g̃_k‖ ≤ γ₀/α stays finite
/// however large the gradient: with α = 0 it is plain constant-step SGD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GradientNormAdaptive {
    initial: f64,
    alpha: f64,
}

impl GradientNormAdaptive {
    /// γ₀ > 0 and α ≥ 0.
    ///
    /// # Errors
    /// γ₀ not positive or α negative/non-finite.
    pub fn new(initial: f64, alpha: f64) -> Result<Self> {
        check_positive("initial step γ₀", initial)?;
        check_closed("α", "≥ 0 and finite", alpha, 0.0, f64::MAX)?;
        Ok(Self { initial, alpha })
    }
}

impl AdaptiveStep for GradientNormAdaptive {
    fn step(&self, _k: usize, grad_norm: f64) -> f64 {
        self.initial / (self.alpha * grad_norm + 1.0)
    }
}

/// R4: γ_k = γ₀/((1 + ψ(⌈k/K⌉))(α‖g̃_k‖ + 1)) (lecture 003, spec §9.3).
///
/// The slide's "ψ(x) = 1/x or 1/√x" is inconsistent (the step would grow towards γ₀
/// and ψ(0) is undefined); the intended ψ(x) = x, √x or c√x are the [`Psi`] variants.
/// The lecture's table uses ψ(x) = 0.5√x, K = 50, α = γ₀ = 0.1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CombinedAdaptive {
    initial: f64,
    alpha: f64,
    block: usize,
    psi: Psi,
}

impl CombinedAdaptive {
    /// γ₀ > 0, α ≥ 0, block length K ≥ 1, growth ψ.
    ///
    /// # Errors
    /// γ₀ not positive, α negative, K = 0 or a non-positive ψ scale.
    pub fn new(initial: f64, alpha: f64, block: usize, psi: Psi) -> Result<Self> {
        check_positive("initial step γ₀", initial)?;
        check_closed("α", "≥ 0 and finite", alpha, 0.0, f64::MAX)?;
        psi.validate()?;
        crate::error::check_count("block length K", block, 1)?;
        Ok(Self {
            initial,
            alpha,
            block,
            psi,
        })
    }
}

impl AdaptiveStep for CombinedAdaptive {
    fn step(&self, k: usize, grad_norm: f64) -> f64 {
        let j = ceil_div(k, self.block) as f64;
        self.initial / ((1.0 + self.psi.apply(j)) * (self.alpha * grad_norm + 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_steps_match_their_formulas() {
        let r3 = GradientNormAdaptive::new(0.1, 0.1).unwrap();
        assert!((r3.step(7, 10.0) - 0.05).abs() < 1e-15); // 0.1/(1 + 1)
        let r4 = CombinedAdaptive::new(0.1, 0.1, 50, Psi::ScaledSqrt(0.5)).unwrap();
        // k = 200: ⌈200/50⌉ = 4, ψ = 0.5·2 = 1; ‖g‖ = 10: factor 2 → 0.1/4.
        assert!((r4.step(200, 10.0) - 0.025).abs() < 1e-15);
        assert!((r4.step(0, 0.0) - 0.1).abs() < 1e-15);
        assert!(GradientNormAdaptive::new(0.1, -1.0).is_err());
        assert!(CombinedAdaptive::new(0.1, 0.1, 0, Psi::Sqrt).is_err());
    }
}
