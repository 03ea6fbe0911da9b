//! The polynomial δ schedule γ_m = ((M − m)/(M − (m − 1)))^p (spec §4.2, §6.1).

use super::Schedule;
use crate::error::check_positive;
use crate::Result;
use serde::{Deserialize, Serialize};

/// δ_{m+1} = γ_m·δ_m with γ_m = ((M − m)/(M − (m − 1)))^p, so δ_{m+1} = δ₁((M − m)/M)^p
/// (Sato & Iiduka, arXiv 2311.08745 and 2412.11501; spec §4.2, §6.1).
///
/// # Indexing
/// * **Paper (1-based)**: stages m = 1, …, M with δ_1 the initial degree;
///   γ_1 = ((M − 1)/M)^p, …, γ_{M−1} = 2^{−p}, γ_M = 0, and δ_{M+1} = 0.
///   [`Schedule::at`]`(k)` = δ_{k+1} = δ₁((M − k)/M)^p for the 0-based stage k
///   (0 from k = M on).
/// * **Authors' code (0-based)**: `next_gamma(power, M, m)` is called after epoch
///   m = 0, …, M − 1 with the *same* formula, so the factors are (M/(M + 1))^p, …,
///   (1/2)^p and δ never reaches 0: after epoch e the code's δ is
///   δ₀((M + 1 − e)/(M + 1))^p ([`PolynomialDelta::code_delta`]). The code's schedule
///   is the paper's with M + 1 stages whose last (zero) stage is never run.
///
/// Both give min γ = 2^{−p} over the non-trivial factors, the quantity behind "p ≤ 1"
/// (γ ≥ ½) and the surrogate chaining threshold p ≤ log₂((1 + r)/(1 + ρ)) (spec §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PolynomialDelta {
    initial: f64,
    stages: usize,
    power: f64,
}

impl PolynomialDelta {
    /// δ₁ > 0, M ≥ 1 stages, power p > 0.
    ///
    /// # Errors
    /// δ₁ or p not positive and finite, or M = 0.
    pub fn new(initial: f64, stages: usize, power: f64) -> Result<Self> {
        check_positive("initial degree of smoothing δ₁", initial)?;
        check_positive("power p", power)?;
        crate::error::check_count("number of stages M", stages, 1)?;
        Ok(Self {
            initial,
            stages,
            power,
        })
    }

    /// M.
    #[must_use]
    pub fn stages(&self) -> usize {
        self.stages
    }

    /// p.
    #[must_use]
    pub fn power(&self) -> f64 {
        self.power
    }

    /// γ_m = ((M − m)/(M − m + 1))^p for 0 ≤ m ≤ M (0 for m ≥ M). The paper uses
    /// m = 1, …, M; the authors' code uses m = 0, …, M − 1.
    #[must_use]
    pub fn decay_factor(&self, m: usize) -> f64 {
        if m >= self.stages {
            return 0.0;
        }
        let big_m = self.stages as f64;
        let m = m as f64;
        ((big_m - m) / (big_m - m + 1.0)).powf(self.power)
    }

    /// δ_m = δ₁((M − m + 1)/M)^p for the paper's 1-based stage m ≥ 1 (0 after M + 1).
    #[must_use]
    pub fn delta(&self, m: usize) -> f64 {
        self.at(m.saturating_sub(1))
    }

    /// The code's δ at the start of epoch e (0-based), δ₀((M + 1 − e)/(M + 1))^p for
    /// e ≤ M, with δ₀ = δ₁ the initial degree.
    #[must_use]
    pub fn code_delta(&self, epoch: usize) -> f64 {
        let big_m = self.stages as f64;
        let e = epoch.min(self.stages) as f64;
        self.initial * ((big_m + 1.0 - e) / (big_m + 1.0)).powf(self.power)
    }

    /// The paper's stage values δ_1, …, δ_M = δ₁((M − m + 1)/M)^p (closed form).
    #[must_use]
    pub fn stage_deltas(&self) -> Vec<f64> {
        (0..self.stages).map(|k| self.at(k)).collect()
    }

    /// The code's values δ at the start of epochs 0, …, M − 1, computed as the code
    /// does: δ₀ = δ₁, then δ_{e+1} = γ_e·δ_e with γ_e = [`Self::decay_factor`]`(e)`
    /// (equal to [`Self::code_delta`] up to rounding).
    #[must_use]
    pub fn code_deltas(&self) -> Vec<f64> {
        let mut delta = self.initial;
        (0..self.stages)
            .map(|e| {
                let current = delta;
                delta *= self.decay_factor(e);
                current
            })
            .collect()
    }

    /// min over the code's factors γ_0, …, γ_{M−1} = γ_{M−1} = 2^{−p}. For M ≥ 2 the
    /// paper's non-trivial factors γ_1, …, γ_{M−1} have the same minimum (γ_0 is the
    /// largest factor).
    #[must_use]
    pub fn min_decay_factor(&self) -> f64 {
        (0..self.stages)
            .map(|m| self.decay_factor(m))
            .fold(1.0, f64::min)
    }
}

impl Schedule for PolynomialDelta {
    fn at(&self, k: usize) -> f64 {
        let big_m = self.stages as f64;
        let k = k.min(self.stages) as f64;
        self.initial * ((big_m - k) / big_m).powf(self.power)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polynomial_delta_anchors() {
        let s = PolynomialDelta::new(1.0, 4, 1.0).unwrap();
        // p = 1, M = 4: δ = 1, ¾, ½, ¼, 0 and γ_1..γ_4 = ¾, ⅔, ½, 0.
        for (k, d) in [1.0, 0.75, 0.5, 0.25, 0.0].iter().enumerate() {
            assert!((s.at(k) - d).abs() < 1e-15);
        }
        assert!((s.decay_factor(1) - 0.75).abs() < 1e-15);
        assert!((s.decay_factor(3) - 0.5).abs() < 1e-15);
        assert!(s.decay_factor(4).abs() < 1e-15);
        assert!((s.decay_factor(0) - 0.8).abs() < 1e-15); // code's first factor M/(M+1)
        assert!((s.min_decay_factor() - 0.5).abs() < 1e-15);
        assert!((s.code_delta(4) - 0.2).abs() < 1e-15);
    }
}
