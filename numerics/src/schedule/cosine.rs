//! PyTorch `CosineAnnealingLR`: η_k = η_min + (η₀ − η_min)(1 + cos(πk/T_max))/2.

use super::Schedule;
use crate::error::{check_closed, check_positive};
use crate::Result;
use serde::{Deserialize, Serialize};

/// η_k = η_min + (η₀ − η_min)(1 + cos(πk/T_max))/2 (PyTorch `CosineAnnealingLR`, the
/// closed form; the AAAI code uses T_max = 200, η_min = 0).
///
/// For k > T_max the closed form is periodic (η rises again), as in PyTorch's closed
/// form; the code's runs stop at k = T_max.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cosine {
    initial: f64,
    minimum: f64,
    period: usize,
}

impl Cosine {
    /// Cosine annealing from η₀ > 0 to η_min ∈ [0, η₀] over T_max ≥ 1 steps.
    ///
    /// # Errors
    /// η₀ not positive, η_min outside [0, η₀], or T_max = 0.
    pub fn new(initial: f64, minimum: f64, t_max: usize) -> Result<Self> {
        check_positive("initial value η₀", initial)?;
        check_closed("minimum η_min", "in [0, η₀]", minimum, 0.0, initial)?;
        crate::error::check_count("T_max", t_max, 1)?;
        Ok(Self {
            initial,
            minimum,
            period: t_max,
        })
    }
}

impl Schedule for Cosine {
    fn at(&self, k: usize) -> f64 {
        let phase = std::f64::consts::PI * k as f64 / self.period as f64;
        self.minimum + (self.initial - self.minimum) * 0.5 * (1.0 + phase.cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_hits_its_anchors() {
        let s = Cosine::new(0.1, 0.0, 200).unwrap();
        assert!((s.at(0) - 0.1).abs() < 1e-15);
        assert!((s.at(100) - 0.05).abs() < 1e-15); // cos(π/2) = 0
        assert!(s.at(200).abs() < 1e-15); // cos(π) = −1
        assert!(Cosine::new(0.1, 0.2, 10).is_err());
    }
}
