//! Lecture-003 rules R1 γ₀/(1 + ⌈k/K⌉) and R2 γ₀/(1 + √⌈k/K⌉).

use super::{ceil_div, Schedule};
use crate::error::check_positive;
use crate::Result;
use serde::{Deserialize, Serialize};

/// The growth function ψ of the block rules γ_k = γ₀/(1 + ψ(⌈k/K⌉)).
///
/// The lecture's slide for R4 says "e.g. ψ(x) = 1/x or 1/√x (as before)". That is
/// inconsistent with R1/R2 ("as before" are ψ(x) = x and √x): ψ = 1/x makes the step
/// *increase* towards γ₀ and ψ(0) is undefined. Only the intended ψ are offered here
/// (spec §9.3); the lecture's table uses ψ(x) = 0.5√x.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Psi {
    /// ψ(x) = x (rule R1).
    Linear,
    /// ψ(x) = √x (rule R2).
    Sqrt,
    /// ψ(x) = c·√x with c > 0 (the lecture's table: c = 0.5).
    ScaledSqrt(f64),
}

impl Psi {
    /// ψ(x).
    #[must_use]
    pub fn apply(&self, x: f64) -> f64 {
        match *self {
            Psi::Linear => x,
            Psi::Sqrt => x.sqrt(),
            Psi::ScaledSqrt(c) => c * x.sqrt(),
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if let Psi::ScaledSqrt(c) = *self {
            check_positive("scale c of ψ(x) = c√x", c)?;
        }
        Ok(())
    }
}

/// γ_k = γ₀/(1 + ψ(⌈k/K⌉)): R1 with ψ(x) = x, R2 with ψ(x) = √x (lecture 003, spec
/// §9.3). Constant over blocks of K steps: γ_0 = γ₀, then γ_k = γ₀/(1 + ψ(j)) for
/// (j − 1)K < k ≤ jK.
///
/// R1 satisfies Robbins–Monro (Σγ_k = ∞, Σγ_k² < ∞); R2 has Σγ_k² = ∞ (block sums
/// ~K/j) but satisfies the refined condition Σ_{k≤T}γ_k / Σ_{k≤T}γ_k² → ∞.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BlockDecay {
    initial: f64,
    block: usize,
    psi: Psi,
}

impl BlockDecay {
    /// γ₀ > 0, block length K ≥ 1, growth ψ.
    ///
    /// # Errors
    /// γ₀ not positive, K = 0, or a non-positive ψ scale.
    pub fn new(initial: f64, block: usize, psi: Psi) -> Result<Self> {
        check_positive("initial step γ₀", initial)?;
        psi.validate()?;
        crate::error::check_count("block length K", block, 1)?;
        Ok(Self {
            initial,
            block,
            psi,
        })
    }

    /// R1: γ_k = γ₀/(1 + ⌈k/K⌉).
    ///
    /// # Errors
    /// As [`BlockDecay::new`].
    pub fn r1(initial: f64, block: usize) -> Result<Self> {
        Self::new(initial, block, Psi::Linear)
    }

    /// R2: γ_k = γ₀/(1 + √⌈k/K⌉).
    ///
    /// # Errors
    /// As [`BlockDecay::new`].
    pub fn r2(initial: f64, block: usize) -> Result<Self> {
        Self::new(initial, block, Psi::Sqrt)
    }

    /// γ₀.
    #[must_use]
    pub fn initial(&self) -> f64 {
        self.initial
    }

    /// K.
    #[must_use]
    pub fn block(&self) -> usize {
        self.block
    }

    /// The step of block j (j = ⌈k/K⌉): γ₀/(1 + ψ(j)).
    #[must_use]
    pub fn block_value(&self, j: usize) -> f64 {
        self.initial / (1.0 + self.psi.apply(j as f64))
    }
}

impl Schedule for BlockDecay {
    fn at(&self, k: usize) -> f64 {
        self.block_value(ceil_div(k, self.block))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_rules_are_constant_on_blocks() {
        let r1 = BlockDecay::r1(0.1, 50).unwrap();
        assert!((r1.at(0) - 0.1).abs() < 1e-15);
        assert!((r1.at(1) - 0.05).abs() < 1e-15);
        assert!((r1.at(50) - 0.05).abs() < 1e-15);
        assert!((r1.at(51) - 0.1 / 3.0).abs() < 1e-15);
        let r2 = BlockDecay::r2(0.1, 50).unwrap();
        assert!((r2.at(200) - 0.1 / 3.0).abs() < 1e-15); // ⌈200/50⌉ = 4, √4 = 2
        assert!(BlockDecay::r1(0.1, 0).is_err());
        assert!(BlockDecay::new(0.1, 5, Psi::ScaledSqrt(-1.0)).is_err());
    }
}
