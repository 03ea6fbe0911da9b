//! PyTorch `StepLR`: η_k = η₀·γ^⌊k/s⌋.

use super::Schedule;
use crate::error::{check_closed, check_positive};
use crate::Result;
use serde::{Deserialize, Serialize};

/// η_k = η₀·γ^⌊k/s⌋ (PyTorch `StepLR(step_size = s, gamma = γ)`, k counted in epochs).
///
/// The paper's method 2 is `Step::new(0.1, 1/√2, 40)`; the hybrid method 4 uses
/// γ = √3/2 (spec §10.1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Step {
    initial: f64,
    gamma: f64,
    step: usize,
}

impl Step {
    /// StepLR with initial value η₀ > 0 and factor γ > 0 (γ < 1 decays, γ > 1 grows),
    /// applied every `step` ≥ 1 counts.
    ///
    /// # Errors
    /// η₀ or γ not positive and finite, or `step` = 0.
    pub fn new(initial: f64, gamma: f64, step: usize) -> Result<Self> {
        check_positive("initial value η₀", initial)?;
        check_closed(
            "factor γ",
            "positive and finite",
            gamma,
            f64::MIN_POSITIVE,
            f64::MAX,
        )?;
        crate::error::check_count("step size s (counts between decays)", step, 1)?;
        Ok(Self {
            initial,
            gamma,
            step,
        })
    }
}

impl Schedule for Step {
    fn at(&self, k: usize) -> f64 {
        let n = i32::try_from(k / self.step).unwrap_or(i32::MAX);
        self.initial * self.gamma.powi(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_decays_every_step_counts() {
        let s = Step::new(1.0, 0.5, 3).unwrap();
        let v: Vec<f64> = (0..7).map(|k| s.at(k)).collect();
        // Closed-form sequence 1,1,1,½,½,½,¼.
        for (a, b) in v.iter().zip([1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]) {
            assert!((a - b).abs() < 1e-15);
        }
        assert!(Step::new(1.0, 0.5, 0).is_err());
        assert!(Step::new(-1.0, 0.5, 1).is_err());
        assert!(Step::new(1.0, 0.0, 1).is_err());
    }
}
