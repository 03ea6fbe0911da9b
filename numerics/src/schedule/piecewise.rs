//! Piecewise-constant stage lists: η or b per stage with epoch thresholds.

use super::Schedule;
use crate::{NumericsError, Result};
use serde::{Deserialize, Serialize};

/// v_k = v_i for t_i ≤ k < t_{i+1} (t_0 = 0): a list of per-stage values with the first
/// count of every later stage (e.g. the paper's b = [16, 32, 64, 128, 256] at epochs
/// 0, 40, 80, 120, 160). The last value holds forever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Piecewise {
    values: Vec<f64>,
    starts: Vec<usize>,
}

impl Piecewise {
    /// Stage `i` starts at `starts[i−1]` (stage 0 at k = 0); `starts` must be strictly
    /// increasing, positive, and one shorter than `values`; values must be finite.
    ///
    /// # Errors
    /// Empty `values`, length mismatch, non-increasing or zero thresholds, non-finite
    /// values.
    pub fn new(values: Vec<f64>, starts: Vec<usize>) -> Result<Self> {
        if values.is_empty() {
            return Err(NumericsError::Other(
                "a piecewise schedule needs at least one value".into(),
            ));
        }
        if starts.len() + 1 != values.len() {
            return Err(NumericsError::DimensionMismatch {
                context: "piecewise schedule: stage thresholds vs values − 1",
                expected: values.len() - 1,
                got: starts.len(),
            });
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(NumericsError::InvalidParameter {
                name: "stage value",
                allowed: "finite",
                value: *v,
            });
        }
        let mut prev = 0usize;
        for &s in &starts {
            if s <= prev {
                return Err(NumericsError::InvalidParameter {
                    name: "stage threshold",
                    allowed: "positive and strictly increasing",
                    value: s as f64,
                });
            }
            prev = s;
        }
        Ok(Self { values, starts })
    }

    /// Built from lists already known to be valid (finite values, strictly increasing
    /// positive thresholds, one fewer than values).
    pub(crate) fn from_parts(values: Vec<f64>, starts: Vec<usize>) -> Self {
        debug_assert!(!values.is_empty() && starts.len() + 1 == values.len());
        Self { values, starts }
    }

    /// Stages of equal length `len` ≥ 1: stage i covers [i·len, (i+1)·len), shifted by
    /// `offset` (the first stage is `len + offset` long).
    ///
    /// # Errors
    /// As [`Piecewise::new`]; `len` = 0.
    pub fn uniform(values: Vec<f64>, len: usize, offset: usize) -> Result<Self> {
        crate::error::check_count("stage length", len, 1)?;
        let starts = (1..values.len()).map(|i| i * len + offset).collect();
        Self::new(values, starts)
    }

    /// The per-stage values.
    #[must_use]
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The first count of stages 1, 2, ….
    #[must_use]
    pub fn starts(&self) -> &[usize] {
        &self.starts
    }

    /// Index of the stage that contains count `k`.
    #[must_use]
    pub fn stage(&self, k: usize) -> usize {
        self.starts.partition_point(|&s| s <= k)
    }
}

impl Schedule for Piecewise {
    fn at(&self, k: usize) -> f64 {
        let i = self.stage(k);
        self.values
            .get(i)
            .or(self.values.last())
            .copied()
            .unwrap_or(f64::NAN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piecewise_picks_the_stage() {
        let s = Piecewise::uniform(vec![16.0, 32.0, 64.0], 40, 1).unwrap();
        assert_eq!(s.stage(40), 0);
        assert_eq!(s.stage(41), 1);
        assert!((s.at(41) - 32.0).abs() < 1e-15);
        assert!((s.at(1000) - 64.0).abs() < 1e-15);
        assert!(Piecewise::new(vec![1.0, 2.0], vec![]).is_err());
        assert!(Piecewise::new(vec![1.0, 2.0, 3.0], vec![5, 5]).is_err());
        assert!(Piecewise::new(vec![], vec![]).is_err());
    }
}
