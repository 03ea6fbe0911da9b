//! C2.x — Lemma 2.1, the mini-batch variance bound C²/b and its finite-population versions (spec §2).
//!
//! Shared set-up of the group: the two finite sums of spec §2.3 (least squares
//! N = 200, d = 20 and logistic regression N = 500, d = 10, Gaussian data) at 5 random
//! points, and a Monte-Carlo estimator of E‖ω‖² from the centred per-sample gradients
//! g̃ᵢ = ∇fᵢ(x) − ∇f(x), so that ω = ∇f_S(x) − ∇f(x) = (1/|S|) Σ_{i∈S} g̃ᵢ.

use crate::support::gaussian_vector;
use crate::{Case, Check, Expect, Relation};
use numerics::objective::{BatchSampler, FiniteSum, LeastSquares, LogisticRegression};
use numerics::stats::RunningStats;
use numerics::{Matrix, Seed, Vector};

pub mod lemma_2_1_epoch_shuffle;
pub mod lemma_2_1_network_scaling;
pub mod lemma_2_1_with_replacement;
pub mod lemma_2_1_without_replacement;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(lemma_2_1_with_replacement::Lemma21WithReplacement),
        Box::new(lemma_2_1_without_replacement::Lemma21WithoutReplacement),
        Box::new(lemma_2_1_epoch_shuffle::Lemma21EpochShuffle),
        Box::new(lemma_2_1_network_scaling::Lemma21NetworkScaling),
    ]
}

/// Batch sizes b ∈ {1, 2, 4, …, 128} of spec C2.1.
pub const POWERS_OF_TWO: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

/// Number of random points x per problem.
pub const POINTS: usize = 5;

/// Monte-Carlo batches for batch size b: the spec's 2·10⁵ for b ≤ 16, then 2·10⁵·16/b
/// (a constant budget of sampled indices). ‖ω‖² concentrates as b grows (its relative
/// spread falls like 1/√b for b ≫ 1), so the relative standard error stays below 1 %.
pub fn batches_for(b: usize) -> usize {
    const FULL: usize = 200_000;
    if b <= 16 {
        FULL
    } else {
        (FULL * 16 / b).max(10_000)
    }
}

/// A finite sum of the group with its name and the points where it is examined.
pub struct Problem {
    /// Name used in case names and figures, e.g. `least squares N=200 d=20`.
    pub name: &'static str,
    /// The finite sum f = (1/N)Σᵢfᵢ.
    pub f: Box<dyn FiniteSum + Send + Sync>,
    /// The points x where the noise is examined.
    pub points: Vec<Vector>,
}

/// Least squares (N = 200, d = 20) and logistic regression (N = 500, d = 10, label noise
/// 0.5, no ridge), each with 5 points x ~ N(0, I_d) (spec §2.3).
///
/// # Errors
/// If the data cannot be generated.
pub fn problems(seed: Seed) -> crate::Result<Vec<Problem>> {
    let ls = LeastSquares::gaussian(200, 20, &mut seed.stream("least-squares-data"))?;
    let lr = LogisticRegression::gaussian(500, 10, 0.5, 0.0, &mut seed.stream("logistic-data"))?;
    let points = |d: usize, name: &str| -> Vec<Vector> {
        let rng = &mut seed.stream(name);
        (0..POINTS).map(|_| gaussian_vector(d, rng)).collect()
    };
    Ok(vec![
        Problem {
            name: "least squares N=200 d=20",
            f: Box::new(ls),
            points: points(20, "least-squares-points"),
        },
        Problem {
            name: "logistic N=500 d=10",
            f: Box::new(lr),
            points: points(10, "logistic-points"),
        },
    ])
}

impl Problem {
    /// σ²(x) = (1/N)Σᵢ‖∇fᵢ(x) − ∇f(x)‖² at each point, and C²_sup, their maximum (the
    /// uniform constant of (A3)(ii) on these points).
    #[must_use]
    pub fn variances(&self) -> (Vec<f64>, f64) {
        let sigma2: Vec<f64> = self
            .points
            .iter()
            .map(|x| self.f.gradient_variance(x))
            .collect();
        let c2_sup = sigma2.iter().copied().fold(0.0, f64::max);
        (sigma2, c2_sup)
    }
}

/// Per batch size, the largest Monte-Carlo mean of ‖ω‖² over the points and its SE:
/// the measured side of the uniform bound max_x E‖ω‖² ≤ C²_sup/b.
pub(crate) struct WorstOverPoints(Vec<(f64, f64)>);

impl WorstOverPoints {
    /// No point recorded yet, for `sizes` batch sizes.
    pub fn new(sizes: usize) -> Self {
        Self(vec![(f64::NEG_INFINITY, 0.0); sizes])
    }

    /// Records the estimate `st` for batch size number `bi`.
    pub fn record(&mut self, bi: usize, st: &RunningStats) {
        if st.mean() > self.0[bi].0 {
            self.0[bi] = (st.mean(), st.std_error());
        }
    }

    /// The cases "max_x E‖ω‖² ≤ C²_sup/b" (a stochastic bound), one per batch size of
    /// `grid`, named after `problem` and followed by `qualifier`.
    pub fn bound_cases(
        &self,
        problem: &str,
        grid: &[usize],
        c2_sup: f64,
        qualifier: &str,
    ) -> Vec<Case> {
        grid.iter()
            .zip(&self.0)
            .map(|(&b, &(m, se))| {
                Case::new(
                    format!("{problem} b={b}: max_x E‖ω‖² ≤ C²_sup/b{qualifier}"),
                    Expect::Holds,
                    m,
                    Relation::stochastic_le(se),
                    c2_sup / b as f64,
                )
                .with("b", b)
                .with("c2_sup", c2_sup)
            })
            .collect()
    }
}

/// The centred per-sample gradients g̃ᵢ = ∇fᵢ(x) − ∇f(x), stored row-major for fast
/// batch sums.
pub struct CentredGradients {
    n: usize,
    d: usize,
    rows: Vec<f64>,
    /// Σᵢ g̃ᵢ (zero up to rounding), used by the complement trick.
    total: Vec<f64>,
}

impl CentredGradients {
    /// From the objective's own per-sample gradients and full gradient.
    pub fn of<F: FiniteSum + ?Sized>(f: &F, x: &Vector) -> Self {
        let g = f.gradient(x);
        let n = f.n();
        let d = g.len();
        let mut rows = Vec::with_capacity(n * d);
        for i in 0..n {
            let gi = f.sample_gradient(i, x);
            rows.extend(gi.iter().zip(g.iter()).map(|(a, b)| a - b));
        }
        Self::finish(n, d, rows)
    }

    /// From a matrix of per-sample gradients (row i = ∇fᵢᵀ) and the full gradient.
    pub fn from_matrix(per_sample: &Matrix, full: &Vector) -> Self {
        let (n, d) = per_sample.shape();
        let mut rows = Vec::with_capacity(n * d);
        for i in 0..n {
            rows.extend((0..d).map(|j| per_sample[(i, j)] - full[j]));
        }
        Self::finish(n, d, rows)
    }

    fn finish(n: usize, d: usize, rows: Vec<f64>) -> Self {
        let mut total = vec![0.0; d];
        for row in rows.chunks_exact(d) {
            total.iter_mut().zip(row).for_each(|(t, v)| *t += v);
        }
        Self { n, d, rows, total }
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Number of samples N.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Adds g̃ᵢ to `acc` for every i in `batch`.
    pub fn add_batch(&self, batch: &[usize], acc: &mut [f64]) {
        for &i in batch {
            let row = &self.rows[i * self.d..(i + 1) * self.d];
            acc.iter_mut().zip(row).for_each(|(a, v)| *a += v);
        }
    }

    /// ω = (1/|S|) Σ_{i∈S} g̃ᵢ written into `buf`; returns ‖ω‖².
    pub fn noise(&self, batch: &[usize], buf: &mut [f64]) -> f64 {
        buf.iter_mut().for_each(|v| *v = 0.0);
        self.add_batch(batch, buf);
        let s = 1.0 / batch.len().max(1) as f64;
        buf.iter_mut()
            .map(|v| {
                *v *= s;
                *v * *v
            })
            .sum()
    }

    /// ‖ω‖² for the batch S of size b whose complement is `complement`:
    /// Σ_{i∈S} g̃ᵢ = Σᵢ g̃ᵢ − Σ_{i∉S} g̃ᵢ (exact; O(N − b) work instead of O(b)).
    pub fn noise_from_complement(&self, complement: &[usize], b: usize, buf: &mut [f64]) -> f64 {
        buf.iter_mut().for_each(|v| *v = 0.0);
        self.add_batch(complement, buf);
        let s = 1.0 / b.max(1) as f64;
        buf.iter_mut()
            .zip(&self.total)
            .map(|(v, t)| {
                let w = (t - *v) * s;
                w * w
            })
            .sum()
    }

    /// Monte-Carlo estimate of E‖ω‖² over `batches` batches of size b from `sampler`.
    /// For sampling without replacement with b > N/2 the complement (a uniform
    /// (N − b)-subset, whose complement is a uniform b-subset) is drawn instead.
    pub fn monte_carlo(
        &self,
        sampler: &mut BatchSampler,
        b: usize,
        batches: usize,
        use_complement: bool,
    ) -> RunningStats {
        let mut stats = RunningStats::new();
        let mut buf = vec![0.0; self.d];
        for _ in 0..batches {
            let v = if use_complement && b < self.n {
                let c = sampler.next_batch(self.n - b);
                self.noise_from_complement(&c, b, &mut buf)
            } else {
                let s = sampler.next_batch(b);
                self.noise(&s, &mut buf)
            };
            stats.push(v);
        }
        stats
    }
}

/// Finite-population reference E‖ω‖² for a uniform b-subset of N:
/// σ²(N − b)/(b(N − 1)) (spec §2.2).
#[must_use]
pub fn without_replacement_variance(sigma2: f64, n: usize, b: usize) -> f64 {
    if n <= 1 {
        return 0.0;
    }
    sigma2 * (n - b) as f64 / (b as f64 * (n - 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use numerics::objective::{Objective, Sampling};

    #[test]
    fn complement_noise_equals_direct_noise() {
        let f = LeastSquares::gaussian(30, 4, &mut Seed(1).stream("d")).unwrap();
        let x = Vector::from_element(4, 0.5);
        let cg = CentredGradients::of(&f, &x);
        let batch: Vec<usize> = (0..30).filter(|i| i % 3 != 0).collect();
        let complement: Vec<usize> = (0..30).filter(|i| i % 3 == 0).collect();
        let mut buf = vec![0.0; 4];
        let direct = cg.noise(&batch, &mut buf);
        let via = cg.noise_from_complement(&complement, batch.len(), &mut buf);
        assert!((direct - via).abs() < 1e-12 * direct.max(1e-300));
        // And the direct noise is ‖∇f_S − ∇f‖².
        let w = f.minibatch_gradient(&batch, &x) - f.gradient(&x);
        assert!((w.norm_squared() - direct).abs() < 1e-12 * direct);
        let mut s = BatchSampler::new(30, Sampling::WithReplacement, Seed(2).stream("s")).unwrap();
        let st = cg.monte_carlo(&mut s, 3, 1000, false);
        assert!(st.mean() > 0.0);
    }
}
