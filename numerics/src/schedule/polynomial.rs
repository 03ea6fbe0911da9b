//! PyTorch `PolynomialLR`: η_k = η₀(1 − min(k, T)/T)^p.

use super::Schedule;
use crate::error::check_positive;
use crate::Result;
use serde::{Deserialize, Serialize};

/// η_k = η₀(1 − min(k, T)/T)^p (PyTorch `PolynomialLR(total_iters = T, power = p)`).
///
/// Its step-to-step factor is η_k/η_{k−1} = ((T − k)/(T − k + 1))^p for 1 ≤ k ≤ T,
/// exactly the polynomial δ-decay factor γ_k of spec §6.1 with M = T
/// ([`super::PolynomialDelta`]): with a fixed batch, δ ∝ η follows the paper's
/// schedule. η_T = 0 and η stays 0 afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Polynomial {
    initial: f64,
    total: usize,
    power: f64,
}

impl Polynomial {
    /// PolynomialLR with η₀ > 0, T ≥ 1 total steps and power p > 0.
    ///
    /// # Errors
    /// η₀ or p not positive and finite, or T = 0.
    pub fn new(initial: f64, total: usize, power: f64) -> Result<Self> {
        check_positive("initial value η₀", initial)?;
        check_positive("power p", power)?;
        crate::error::check_count("total steps T", total, 1)?;
        Ok(Self {
            initial,
            total,
            power,
        })
    }

    /// The recursive form PyTorch actually evaluates: η_k = η_{k−1}·((T − k)/(T − k + 1))^p
    /// for 1 ≤ k ≤ T (and η_k = η_{k−1} after T). Agrees with [`Schedule::at`] to
    /// rounding.
    #[must_use]
    pub fn recursive(&self, k: usize) -> f64 {
        let t = self.total as f64;
        (1..=k.min(self.total)).fold(self.initial, |eta, j| {
            let j = j as f64;
            eta * ((t - j) / (t - j + 1.0)).powf(self.power)
        })
    }
}

impl Schedule for Polynomial {
    fn at(&self, k: usize) -> f64 {
        let t = self.total as f64;
        let frac = k.min(self.total) as f64 / t;
        self.initial * (1.0 - frac).powf(self.power)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polynomial_matches_closed_form_and_recursion() {
        // Closed form η₀(1 − k/T)^p at T = 10, p = 2: 1, 0.81, 0.64, …
        let s = Polynomial::new(1.0, 10, 2.0).unwrap();
        for k in 0..=12 {
            let r = (1.0 - (k.min(10) as f64) / 10.0).powi(2);
            assert!((s.at(k) - r).abs() < 1e-15);
            assert!((s.recursive(k) - r).abs() < 1e-14);
        }
        assert!(Polynomial::new(1.0, 0, 1.0).is_err());
        assert!(Polynomial::new(1.0, 5, 0.0).is_err());
    }
}
