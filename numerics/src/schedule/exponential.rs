//! PyTorch `ExponentialLR`: η_k = η₀γ^k.

use super::Schedule;
use crate::error::check_positive;
use crate::Result;
use serde::{Deserialize, Serialize};

/// η_k = η₀·γ^k (PyTorch `ExponentialLR(gamma = γ)`; the AAAI code passes γ = `power`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Exponential {
    initial: f64,
    gamma: f64,
}

impl Exponential {
    /// Exponential decay (γ < 1) or growth (γ > 1) from η₀ > 0.
    ///
    /// # Errors
    /// η₀ or γ not positive and finite.
    pub fn new(initial: f64, gamma: f64) -> Result<Self> {
        check_positive("initial value η₀", initial)?;
        check_positive("factor γ", gamma)?;
        Ok(Self { initial, gamma })
    }
}

impl Schedule for Exponential {
    fn at(&self, k: usize) -> f64 {
        // powf with a float exponent: exact for k < 2^53.
        self.initial * self.gamma.powf(k as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_is_geometric() {
        let s = Exponential::new(2.0, 0.5).unwrap();
        assert!((s.at(3) - 0.25).abs() < 1e-15);
        assert!(Exponential::new(2.0, 0.0).is_err());
    }
}
