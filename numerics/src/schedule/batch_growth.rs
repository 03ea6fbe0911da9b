//! Batch-size growth: the paper's multiplicative growth with the authors' int-cast
//! (b ← int(2b), int(1.5b)) and the AAAI code's polynomial growth (stored as a float).

use super::Schedule;
use crate::error::check_positive;
use crate::Result;
use serde::{Deserialize, Serialize};

/// b ← int(c·b) every `every` counts (spec §10.1, `cifar.py`/`imagenet.py` of
/// new-sigma-nice): b_k = b₀ after n(k) growth steps, n(k) = ⌊(k − o)/s⌋ for k ≥ o.
///
/// The authors grow b at the end of epoch index e with e % 40 == 0, e ≠ 0, i.e. from
/// epoch 41 (0-based) on: `every` = 40, `offset` = 1. Their StepLR changes η from epoch
/// 40 on, so the batch lags the learning rate by one epoch. With `int_cast` each step
/// truncates like Python's `int(...)`: 27 → int(40.5) = 40 (WRN method 4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MultiplicativeGrowth {
    initial: f64,
    factor: f64,
    every: usize,
    offset: usize,
    int_cast: bool,
}

impl MultiplicativeGrowth {
    /// b₀ > 0 grown by c > 0 every `every` ≥ 1 counts, first at `every + offset`;
    /// truncated to an integer after each step if `int_cast`.
    ///
    /// # Errors
    /// b₀ or c not positive, `every` = 0.
    pub fn new(
        initial: f64,
        factor: f64,
        every: usize,
        offset: usize,
        int_cast: bool,
    ) -> Result<Self> {
        check_positive("initial batch size b₀", initial)?;
        check_positive("growth factor c", factor)?;
        crate::error::check_count("growth period", every, 1)?;
        Ok(Self {
            initial,
            factor,
            every,
            offset,
            int_cast,
        })
    }

    /// The number of growth steps applied by count k: ⌊(k − o)/s⌋ for k ≥ o, else 0.
    #[must_use]
    pub fn growths(&self, k: usize) -> usize {
        k.checked_sub(self.offset).map_or(0, |j| j / self.every)
    }
}

impl Schedule for MultiplicativeGrowth {
    fn at(&self, k: usize) -> f64 {
        let mut b = self.initial;
        for _ in 0..self.growths(k) {
            b *= self.factor;
            if self.int_cast {
                b = b.trunc();
            }
            if !b.is_finite() || b == 0.0 {
                break;
            }
        }
        b
    }
}

/// b_m = b₀((M + 1)/(M + 1 − m))^{p·balance} for 0 ≤ m ≤ M (held after M): the closed
/// form of the AAAI code's `batch_poly`, b_{m+1} = b_m((M − m + 1)/(M − m))^{p·balance}
/// applied after epoch m = 0, …, M − 1 (spec §6.3). The code stores b as a float and
/// gives `int(b)` to the DataLoader.
///
/// With balance = 2 and a fixed η, the SGD part of δ follows the code's δ-decay
/// exactly: C²/b_{m+1} = γ_m²·C²/b_m with γ_m = ((M − m)/(M − m + 1))^p.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PolynomialBatchGrowth {
    initial: f64,
    epochs: usize,
    power: f64,
    balance: f64,
}

impl PolynomialBatchGrowth {
    /// b₀ > 0, M ≥ 1 epochs, power p > 0, balance > 0.
    ///
    /// # Errors
    /// A non-positive parameter or M = 0.
    pub fn new(initial: f64, epochs: usize, power: f64, balance: f64) -> Result<Self> {
        check_positive("initial batch size b₀", initial)?;
        check_positive("power p", power)?;
        check_positive("balance", balance)?;
        crate::error::check_count("epochs M", epochs, 1)?;
        Ok(Self {
            initial,
            epochs,
            power,
            balance,
        })
    }

    /// The code's recursion b_{m+1} = b_m((M − m + 1)/(M − m))^{p·balance} evaluated step
    /// by step (floating-point rounding as in the code).
    #[must_use]
    pub fn recursive(&self, m: usize) -> f64 {
        let big_m = self.epochs as f64;
        (0..m.min(self.epochs)).fold(self.initial, |b, j| {
            let j = j as f64;
            b * ((big_m - j + 1.0) / (big_m - j)).powf(self.power * self.balance)
        })
    }
}

impl Schedule for PolynomialBatchGrowth {
    fn at(&self, k: usize) -> f64 {
        let m = k.min(self.epochs) as f64;
        let big_m = self.epochs as f64;
        self.initial * ((big_m + 1.0) / (big_m + 1.0 - m)).powf(self.power * self.balance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplicative_growth_truncates_like_python_int() {
        // Spec §10.1: WRN method 4, b ← int(1.5b): 8, 12, 18, 27, 40.
        let g = MultiplicativeGrowth::new(8.0, 1.5, 40, 0, true).unwrap();
        let b: Vec<f64> = (0..5).map(|i| g.at(40 * i)).collect();
        assert_eq!(b, vec![8.0, 12.0, 18.0, 27.0, 40.0]);
        let exact = MultiplicativeGrowth::new(8.0, 1.5, 40, 0, false).unwrap();
        assert!((exact.at(160) - 40.5).abs() < 1e-12);
        // The authors' offset: growth from epoch 41 on.
        let o = MultiplicativeGrowth::new(16.0, 2.0, 40, 1, true).unwrap();
        assert!((o.at(40) - 16.0).abs() < 1e-15 && (o.at(41) - 32.0).abs() < 1e-15);
    }

    #[test]
    fn polynomial_growth_closed_form_matches_recursion() {
        let g = PolynomialBatchGrowth::new(32.0, 200, 0.9, 1.335).unwrap();
        for m in [0, 1, 50, 199, 200] {
            let (a, r) = (g.at(m), g.recursive(m));
            assert!((a - r).abs() <= 1e-12 * a, "m = {m}: {a} vs {r}");
        }
    }
}
