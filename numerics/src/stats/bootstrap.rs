//! The percentile bootstrap: a confidence interval for a statistic of n observations
//! from B resamples drawn with replacement (Efron & Tibshirani 1993, §13.3).

use crate::rng::Seed;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

/// A point estimate with a confidence interval [lo, hi] at `level`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The statistic on the original sample.
    pub estimate: f64,
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// Coverage, e.g. 0.95.
    pub level: f64,
    /// Resamples on which the statistic was finite (the others are dropped).
    pub resamples: usize,
}

/// Percentile bootstrap CI of `statistic` over index resamples of 0..n: B resamples
/// i₁…iₙ drawn uniformly with replacement from `seed.stream("bootstrap")`, the interval
/// is the (α/2, 1 − α/2) empirical quantiles (linear interpolation) of the finite
/// resampled statistics, α = 1 − level. `statistic` receives the resampled indices.
///
/// ```
/// use numerics::stats::bootstrap_interval;
/// let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
/// let mean = |idx: &[usize]| idx.iter().map(|&i| x[i]).sum::<f64>() / idx.len() as f64;
/// let ci = bootstrap_interval(x.len(), 2000, 0.95, numerics::Seed(1), mean);
/// assert!(ci.lo < 4.5 && 4.5 < ci.hi && (ci.estimate - 4.5).abs() < 1e-15);
/// ```
pub fn bootstrap_interval(
    n: usize,
    resamples: usize,
    level: f64,
    seed: Seed,
    statistic: impl Fn(&[usize]) -> f64,
) -> Interval {
    let all: Vec<usize> = (0..n).collect();
    let estimate = statistic(&all);
    let mut rng = seed.stream("bootstrap");
    let mut values = Vec::with_capacity(resamples);
    let mut idx = vec![0usize; n];
    if n > 0 {
        for _ in 0..resamples {
            for i in &mut idx {
                *i = rng.random_range(0..n);
            }
            let v = statistic(&idx);
            if v.is_finite() {
                values.push(v);
            }
        }
    }
    values.sort_by(f64::total_cmp);
    let alpha = (1.0 - level).clamp(0.0, 1.0);
    Interval {
        estimate,
        lo: quantile(&values, alpha / 2.0),
        hi: quantile(&values, 1.0 - alpha / 2.0),
        level,
        resamples: values.len(),
    }
}

/// The q-quantile of sorted values with linear interpolation (NaN if empty).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let (i, frac) = (h.floor() as usize, h - h.floor());
            let j = (i + 1).min(n - 1);
            sorted[i] + frac * (sorted[j] - sorted[i])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_the_true_mean_at_about_the_nominal_rate() {
        // 200 samples of size 30 from U(0, 1): the 90% interval for the mean must cover
        // 1/2 in about 90% of them (binomial SE 2.1%; allow 82–97%).
        let mut covered = 0;
        for rep in 0..200 {
            let mut rng = Seed(rep).stream("data");
            let x: Vec<f64> = (0..30).map(|_| rng.random::<f64>()).collect();
            let mean = |idx: &[usize]| idx.iter().map(|&i| x[i]).sum::<f64>() / idx.len() as f64;
            let ci = bootstrap_interval(x.len(), 500, 0.90, Seed(1000 + rep), mean);
            covered += usize::from(ci.lo <= 0.5 && 0.5 <= ci.hi);
        }
        assert!((164..=194).contains(&covered), "coverage {covered}/200");
    }

    #[test]
    fn same_seed_same_interval_and_quantiles_interpolate() {
        let x = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let mean = |idx: &[usize]| idx.iter().map(|&i| x[i]).sum::<f64>() / idx.len() as f64;
        let a = bootstrap_interval(8, 300, 0.95, Seed(7), mean);
        let b = bootstrap_interval(8, 300, 0.95, Seed(7), mean);
        assert_eq!(a, b);
        assert!((quantile(&[0.0, 1.0, 2.0, 3.0], 0.5) - 1.5).abs() < 1e-15);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
