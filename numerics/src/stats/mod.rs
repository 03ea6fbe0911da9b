//! Small statistics helpers: running mean and standard error, z-scores, normal quantiles,
//! binomial tails; rank correlation, the bootstrap and least-squares polynomial fits
//! (for the experiments' verdicts).

mod bootstrap;
mod polynomial_fit;
mod spearman;

pub use bootstrap::{bootstrap_interval, Interval};
pub use polynomial_fit::{polynomial_fit, PolynomialFit};
pub use spearman::{ranks, spearman};

use serde::{Deserialize, Serialize};

/// Welford's running mean and variance of a scalar stream.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct RunningStats {
    n: u64,
    mean: f64,
    m2: f64,
}

impl RunningStats {
    /// An empty accumulator.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one observation.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Merges another accumulator into this one (Chan et al.'s parallel update).
    pub fn merge(&mut self, other: &RunningStats) {
        if other.n == 0 {
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        self.mean += delta * other.n as f64 / n as f64;
        self.m2 += other.m2 + delta * delta * (self.n as f64) * (other.n as f64) / n as f64;
        self.n = n;
    }

    /// Number of observations.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Sample mean m̂.
    #[must_use]
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Unbiased sample variance s² = Σ(x − m̂)²/(n − 1) (0 for n < 2).
    #[must_use]
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }

    /// Standard error of the mean, SE = s/√n.
    #[must_use]
    pub fn std_error(&self) -> f64 {
        if self.n == 0 {
            f64::INFINITY
        } else {
            (self.variance() / self.n as f64).sqrt()
        }
    }

    /// z = (m̂ − reference)/SE; 0 when both the difference and SE vanish.
    #[must_use]
    pub fn z_score(&self, reference: f64) -> f64 {
        z_score(self.mean, reference, self.std_error())
    }
}

/// z = (estimate − reference)/se, with 0/0 read as 0 and x/0 as ±∞.
#[must_use]
pub fn z_score(estimate: f64, reference: f64, se: f64) -> f64 {
    let diff = estimate - reference;
    if se > 0.0 {
        diff / se
    } else if diff == 0.0 {
        0.0
    } else {
        diff.signum() * f64::INFINITY
    }
}

/// Standard normal quantile Φ⁻¹(p) for p ∈ (0, 1) (Acklam's rational approximation
/// refined by one Halley step; absolute error below 1e−12).
#[must_use]
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let plow = 0.02425;
    let x = if p < plow {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley refinement with the complementary error function.
    let e = 0.5 * erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Standard normal CDF Φ(x).
#[must_use]
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function erfc(x) (W. J. Cody's rational Chebyshev
/// approximation as in Numerical Recipes `erfcc`, refined: relative error < 1.2e−7 is
/// not enough here, so this uses the continued-fraction/series pair with error < 1e−15).
#[must_use]
pub fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        // erf series: erf(x) = 2/√π Σ (−1)^n x^{2n+1}/(n!(2n+1)).
        let mut sum = 0.0;
        let mut term = x;
        let x2 = x * x;
        let mut n = 0.0;
        loop {
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() <= 1e-17 * sum.abs() {
                break;
            }
            n += 1.0;
            term *= -x2 / n;
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum
    } else {
        // Lentz continued fraction: erfc(x) = e^{−x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))).
        let tiny = 1e-300;
        let mut f = x;
        let mut c = x;
        let mut d = 0.0;
        for k in 1..300 {
            let a = k as f64 / 2.0;
            d = x + a * d;
            if d.abs() < tiny {
                d = tiny;
            }
            c = x + a / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (-x * x).exp() / (std::f64::consts::PI.sqrt() * f)
    }
}

/// Bonferroni |z| threshold for `k` simultaneous two-sided checks at family error
/// `alpha`: Φ⁻¹(1 − alpha/(2k)).
#[must_use]
pub fn bonferroni_z(k: usize, alpha: f64) -> f64 {
    normal_quantile(1.0 - alpha / (2.0 * k.max(1) as f64))
}

/// Least-squares slope of `y` on `x`.
#[must_use]
pub fn slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len()) as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

/// Binomial lower tail P(X ≤ k) for X ~ Bin(n, p), summed exactly term by term
/// (1 for k ≥ n; p is clamped to [0, 1]).
///
/// ```
/// // Bin(12, 0.9): P(X ≤ 6) = Σ_{j≤6} C(12, j)0.9ʲ0.1¹²⁻ʲ = 5.412318e−4 (direct sum).
/// let q = numerics::stats::binomial_cdf(6, 12, 0.9);
/// assert!((q - 5.412318e-4).abs() < 1e-9);
/// ```
#[must_use]
pub fn binomial_cdf(k: u64, n: u64, p: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    let p = p.clamp(0.0, 1.0);
    // pmf(0) = (1 − p)ⁿ, pmf(j + 1) = pmf(j)·(n − j)/(j + 1)·p/(1 − p), in log space.
    if p >= 1.0 {
        return 0.0;
    }
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let mut log_binom = 0.0;
    let mut total = 0.0;
    for j in 0..=k {
        if j > 0 {
            log_binom += ((n - j + 1) as f64).ln() - (j as f64).ln();
        }
        let term = if p > 0.0 {
            log_binom + j as f64 * lp + (n - j) as f64 * lq
        } else if j == 0 {
            0.0
        } else {
            f64::NEG_INFINITY
        };
        total += term.exp();
    }
    total.min(1.0)
}

/// The smallest success count k with P(X ≤ k) ≥ `alpha` for X ~ Bin(n, p): a claim
/// "success probability ≥ p" is refuted at level `alpha` (one-sided exact binomial
/// test: s successes refute it when P(X ≤ s) < α) exactly when fewer than k of n
/// trials succeed.
#[must_use]
pub fn binomial_min_successes(n: u64, p: f64, alpha: f64) -> u64 {
    (0..=n)
        .find(|&k| binomial_cdf(k, n, p) >= alpha)
        .unwrap_or(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn normal_quantile_matches_known_values() {
        // Reference values: Abramowitz & Stegun Table 26.5.
        assert_abs_diff_eq!(
            normal_quantile(0.975),
            1.959_963_984_540_054,
            epsilon = 1e-12
        );
        assert_abs_diff_eq!(normal_quantile(0.5), 0.0, epsilon = 1e-14);
        assert_abs_diff_eq!(
            normal_quantile(1e-6),
            -4.753_424_308_822_899,
            epsilon = 1e-10
        );
    }

    #[test]
    fn erfc_matches_known_values() {
        // erfc(1) = 0.157299207050285…, erfc(3) = 2.209049699858544e-5 (A&S 7.1).
        assert_abs_diff_eq!(erfc(1.0), 0.157_299_207_050_285_13, epsilon = 1e-15);
        assert!((erfc(3.0) / 2.209_049_699_858_544e-5 - 1.0).abs() < 1e-13);
    }

    #[test]
    fn binomial_tail_matches_direct_sums() {
        // Bin(12, 0.9): P(X ≤ 6) = Σ_{j≤6} C(12, j)0.9ʲ0.1¹²⁻ʲ = 5.412318e−4 (direct sum).
        let direct: f64 = (0..=6u32)
            .map(|j| {
                let c = (1..=j).fold(1.0, |acc, i| acc * f64::from(12 - i + 1) / f64::from(i));
                c * 0.9f64.powi(j as i32) * 0.1f64.powi(12 - j as i32)
            })
            .sum();
        assert_abs_diff_eq!(binomial_cdf(6, 12, 0.9), direct, epsilon = 1e-15);
        assert_abs_diff_eq!(
            binomial_cdf(11, 12, 0.5),
            1.0 - 0.5f64.powi(12),
            epsilon = 1e-14
        );
        assert_abs_diff_eq!(binomial_cdf(12, 12, 0.3), 1.0);
        assert_abs_diff_eq!(binomial_cdf(0, 5, 0.0), 1.0);
        // P(X ≤ 6) = 5.4e−4 < 1e−3 ≤ P(X ≤ 7) = 4.3e−3: at least 7 of 12 successes.
        assert_eq!(binomial_min_successes(12, 0.9, 1e-3), 7);
        assert_eq!(binomial_min_successes(12, 0.0, 1e-3), 0);
    }

    #[test]
    fn running_stats_merge_equals_sequential() {
        let xs: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut all = RunningStats::new();
        xs.iter().for_each(|&x| all.push(x));
        let (mut a, mut b) = (RunningStats::new(), RunningStats::new());
        xs[..30].iter().for_each(|&x| a.push(x));
        xs[30..].iter().for_each(|&x| b.push(x));
        a.merge(&b);
        assert_abs_diff_eq!(a.mean(), all.mean(), epsilon = 1e-14);
        assert_abs_diff_eq!(a.variance(), all.variance(), epsilon = 1e-14);
    }
}
