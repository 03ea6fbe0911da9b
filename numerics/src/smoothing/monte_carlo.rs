//! Monte-Carlo estimates of the smoothed function f̂_δ(x) = E_u[f(x − δu)] and of its
//! gradient, for any [`Objective`], each with its standard error (spec §0.3, §1.2d).
//!
//! Four estimators of ∇f̂_δ are provided:
//!
//! * first order, ∇f̂_δ(x) = E[∇f(x − δu)] ([`MonteCarlo::gradient`]);
//! * zeroth order, BALL (sphere sampling, Flaxman et al.; Hazan et al.):
//!   ∇f̂_δ(x) = (d/δ)·E_{v~Unif(S^{d−1})}[f(x + δv)·v];
//! * zeroth order, Gaussian kernels (Gaussian score, Nesterov–Spokoiny): for
//!   u ~ N(0, s·I), ∇f̂_δ(x) = E[f(x + δu)·u]/(δs), i.e. (1/δ)E[f(x + δu)u] for GISO;
//! * the central (antithetic) versions of both zeroth-order identities, which replace
//!   f(x + δv) by (f(x + δv) − f(x − δv))/2. They are unbiased for the same quantity
//!   because v and −v have the same law; each antithetic pair is one i.i.d.
//!   observation, so the reported standard error is that of the pairs (honest).
//!
//! The inner loops do not allocate for values and zeroth-order gradients (the kernel
//! draw goes through [`Kernel::sample_into`] into a reused buffer); the first-order
//! estimator allocates only the gradient that [`Objective::gradient`] returns.
//!
//! # Reproducibility and threads
//! The n samples are cut into blocks of [`MonteCarlo::BLOCK`] samples. Block k draws
//! from its own ChaCha8 generator, seeded by the k-th `u64` that the caller's
//! generator yields, and the block statistics are merged in block order (Chan et al.).
//! The estimate is therefore a function of the caller's generator state alone: it is
//! bit-for-bit the same for every number of threads ([`MonteCarlo::with_threads`]).

use super::Kernel;
use crate::objective::Objective;
use crate::rng::Rng;
use crate::stats::{z_score, RunningStats};
use crate::{NumericsError, Result, Vector};
use rand::{RngCore, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// A Monte-Carlo mean m̂ with its standard error SE = s/√n.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The sample mean m̂.
    pub mean: f64,
    /// Its standard error s/√n.
    pub std_error: f64,
    /// The number n of i.i.d. observations.
    pub samples: u64,
}

impl Estimate {
    /// z = (m̂ − reference)/SE (0/0 read as 0).
    #[must_use]
    pub fn z_score(&self, reference: f64) -> f64 {
        z_score(self.mean, reference, self.std_error)
    }
}

impl From<RunningStats> for Estimate {
    fn from(s: RunningStats) -> Self {
        Estimate {
            mean: s.mean(),
            std_error: s.std_error(),
            samples: s.count(),
        }
    }
}

/// A Monte-Carlo mean vector with one standard error per coordinate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorEstimate {
    /// The sample mean, coordinate by coordinate.
    pub mean: Vector,
    /// The standard error of each coordinate of the mean.
    pub std_error: Vector,
    /// The number n of i.i.d. observations.
    pub samples: u64,
}

impl VectorEstimate {
    /// zⱼ = (m̂ⱼ − referenceⱼ)/SEⱼ for every coordinate.
    ///
    /// # Errors
    /// [`NumericsError::DimensionMismatch`] if `reference` has the wrong length.
    pub fn z_scores(&self, reference: &Vector) -> Result<Vector> {
        check_dim("reference of a vector estimate", self.mean.len(), reference)?;
        Ok(Vector::from_fn(self.mean.len(), |j, _| {
            z_score(self.mean[j], reference[j], self.std_error[j])
        }))
    }

    /// maxⱼ |zⱼ| (the statistic compared with a Bonferroni threshold).
    ///
    /// # Errors
    /// As [`VectorEstimate::z_scores`].
    pub fn max_abs_z(&self, reference: &Vector) -> Result<f64> {
        Ok(self.z_scores(reference)?.amax())
    }
}

/// Per-coordinate Welford accumulator (no allocation per observation).
#[derive(Debug, Clone)]
struct VectorStats {
    n: u64,
    mean: Vector,
    m2: Vector,
}

impl VectorStats {
    fn new(d: usize) -> Self {
        Self {
            n: 0,
            mean: Vector::zeros(d),
            m2: Vector::zeros(d),
        }
    }

    /// Adds the observation `scale · v`.
    fn push_scaled(&mut self, scale: f64, v: &Vector) {
        self.n += 1;
        let inv_n = 1.0 / self.n as f64;
        for ((m, m2), &vj) in self.mean.iter_mut().zip(self.m2.iter_mut()).zip(v.iter()) {
            let x = scale * vj;
            let delta = x - *m;
            *m += delta * inv_n;
            *m2 += delta * (x - *m);
        }
    }

    /// Chan et al.'s parallel update, coordinate by coordinate.
    fn merge(&mut self, other: &VectorStats) {
        if other.n == 0 {
            return;
        }
        let n = self.n + other.n;
        let (na, nb) = (self.n as f64, other.n as f64);
        let w = nb / n as f64;
        for j in 0..self.mean.len() {
            let delta = other.mean[j] - self.mean[j];
            self.mean[j] += delta * w;
            self.m2[j] += other.m2[j] + delta * delta * na * nb / n as f64;
        }
        self.n = n;
    }

    fn finish(self) -> VectorEstimate {
        let n = self.n as f64;
        let std_error = if self.n < 2 {
            Vector::from_element(self.mean.len(), f64::INFINITY)
        } else {
            self.m2.map(|m2| (m2 / (n - 1.0) / n).sqrt())
        };
        VectorEstimate {
            mean: self.mean,
            std_error,
            samples: self.n,
        }
    }
}

/// Which zeroth-order difference enters the gradient estimators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Difference {
    /// The identity as stated: f(x + δv)·v.
    OneSided,
    /// The antithetic version (f(x + δv) − f(x − δv))/2·v: same mean, much smaller
    /// variance for smooth f; one pair = one observation.
    Central,
}

/// Monte-Carlo smoothing f̂_δ(x) = E_u[f(x − δu)] with a given kernel, degree δ and
/// number of samples n.
///
/// ```
/// use numerics::objective::{Objective, Rastrigin};
/// use numerics::smoothing::{Kernel, MonteCarlo, SmoothedRastrigin};
/// use numerics::Seed;
/// use nalgebra::DVector;
/// let f = Rastrigin::new(2).unwrap();
/// let x = DVector::from_vec(vec![0.3, -1.1]);
/// let mc = MonteCarlo::new(Kernel::Gaussian, 0.5, 20_000).unwrap();
/// let est = mc.value(&f, &x, &mut Seed(1).stream("doc")).unwrap();
/// // Spec anchor (§1.2b): f̂_0.5(x) = 21.764040583221 under GISO.
/// let exact = SmoothedRastrigin::new(2, Kernel::Gaussian, 0.5).unwrap().value(&x);
/// assert!(est.z_score(exact).abs() < 4.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonteCarlo {
    kernel: Kernel,
    delta: f64,
    samples: usize,
    threads: usize,
}

fn check_dim(context: &'static str, expected: usize, x: &Vector) -> Result<()> {
    if x.len() == expected {
        Ok(())
    } else {
        Err(NumericsError::DimensionMismatch {
            context,
            expected,
            got: x.len(),
        })
    }
}

impl MonteCarlo {
    /// An estimator with `kernel`, degree δ ≥ 0 and n ≥ 2 samples (n pairs for the
    /// central estimators).
    ///
    /// # Errors
    /// δ negative or non-finite; n < 2 (no standard error).
    pub fn new(kernel: Kernel, delta: f64, samples: usize) -> Result<Self> {
        crate::smoothing::check_delta(delta)?;
        crate::error::check_count("number of Monte-Carlo samples", samples, 2)?;
        Ok(Self {
            kernel,
            delta,
            samples,
            threads: 1,
        })
    }

    /// Samples per block: the unit of seeding and of parallel work.
    pub const BLOCK: usize = 4096;

    /// The same estimator run on `threads` threads (at least 1). The estimates do not
    /// depend on the number of threads (see the module documentation).
    #[must_use]
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Accumulates `push(acc, x − δu)` over the n kernel draws u, block by block
    /// ([`Self::run_blocks`]), starting every block from `empty()`.
    fn over_shifted_points<S: Send>(
        &self,
        x: &Vector,
        rng: &mut Rng,
        empty: impl Fn() -> S + Sync,
        push: impl Fn(&mut S, &Vector) + Sync,
        merge: impl Fn(&mut S, &S),
    ) -> Option<S> {
        let d = x.len();
        let block = |count: usize, rng: &mut Rng| {
            let mut u = Vector::zeros(d);
            let mut point = Vector::zeros(d);
            let mut acc = empty();
            for _ in 0..count {
                self.kernel.sample_into(&mut u, rng);
                shifted(&mut point, x, -self.delta, &u);
                push(&mut acc, &point);
            }
            acc
        };
        self.run_blocks(rng, block, merge)
    }

    /// Runs `block(count, rng)` for every block with its own generator and merges the
    /// results in block order.
    fn run_blocks<S: Send>(
        &self,
        rng: &mut Rng,
        block: impl Fn(usize, &mut Rng) -> S + Sync,
        merge: impl Fn(&mut S, &S),
    ) -> Option<S> {
        let n_blocks = self.samples.div_ceil(Self::BLOCK);
        let seeds: Vec<u64> = (0..n_blocks).map(|_| rng.next_u64()).collect();
        let count = |k: usize| Self::BLOCK.min(self.samples - k * Self::BLOCK);
        let run = |k: usize| block(count(k), &mut Rng::seed_from_u64(seeds[k]));
        let threads = self.threads.min(n_blocks).max(1);
        if threads == 1 {
            // Merge as we go: one block's statistics in memory at a time.
            let mut total = (n_blocks > 0).then(|| run(0))?;
            for k in 1..n_blocks {
                merge(&mut total, &run(k));
            }
            return Some(total);
        }
        let results: Vec<S> = {
            let mut slots: Vec<Option<S>> = (0..n_blocks).map(|_| None).collect();
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let run = &run;
                        scope.spawn(move || {
                            (t..n_blocks)
                                .step_by(threads)
                                .map(|k| (k, run(k)))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                for h in handles {
                    // A panicking objective propagates its panic to the caller.
                    let done = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                    for (k, r) in done {
                        slots[k] = Some(r);
                    }
                }
            });
            slots.into_iter().flatten().collect()
        };
        let mut iter = results.into_iter();
        let mut total = iter.next()?;
        for r in iter {
            merge(&mut total, &r);
        }
        Some(total)
    }

    /// The kernel.
    #[must_use]
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// δ.
    #[must_use]
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// n.
    #[must_use]
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// f̂_δ(x) ≈ (1/n) Σₖ f(x − δuₖ), uₖ i.i.d. from the kernel.
    ///
    /// # Errors
    /// [`NumericsError::DimensionMismatch`] if `x` does not have length `f.dim()`.
    pub fn value<O: Objective + Sync + ?Sized>(
        &self,
        f: &O,
        x: &Vector,
        rng: &mut Rng,
    ) -> Result<Estimate> {
        check_dim("Monte-Carlo smoothing: point", f.dim(), x)?;
        let stats = self
            .over_shifted_points(
                x,
                rng,
                RunningStats::new,
                |stats, point| stats.push(f.value(point)),
                RunningStats::merge,
            )
            .unwrap_or_default();
        Ok(stats.into())
    }

    /// ∇f̂_δ(x) ≈ (1/n) Σₖ ∇f(x − δuₖ) (first-order oracle; f differentiable a.e.).
    ///
    /// # Errors
    /// [`NumericsError::DimensionMismatch`] if `x` does not have length `f.dim()`.
    pub fn gradient<O: Objective + Sync + ?Sized>(
        &self,
        f: &O,
        x: &Vector,
        rng: &mut Rng,
    ) -> Result<VectorEstimate> {
        let d = f.dim();
        check_dim("Monte-Carlo smoothed gradient: point", d, x)?;
        let stats = self
            .over_shifted_points(
                x,
                rng,
                || VectorStats::new(d),
                |stats, point| stats.push_scaled(1.0, &f.gradient(point)),
                VectorStats::merge,
            )
            .unwrap_or_else(|| VectorStats::new(d));
        Ok(stats.finish())
    }

    /// Zeroth-order ∇f̂_δ(x) for this estimator's kernel: sphere sampling for BALL
    /// ([`MonteCarlo::sphere_gradient`]), the Gaussian score for GISO and GUNIT
    /// ([`MonteCarlo::gaussian_score_gradient`]).
    ///
    /// # Errors
    /// δ = 0; dimension mismatch.
    pub fn zeroth_order_gradient<O: Objective + Sync + ?Sized>(
        &self,
        f: &O,
        x: &Vector,
        difference: Difference,
        rng: &mut Rng,
    ) -> Result<VectorEstimate> {
        match self.kernel {
            Kernel::Ball => self.sphere_gradient(f, x, difference, rng),
            Kernel::Gaussian | Kernel::GaussianUnit => {
                self.gaussian_score_gradient(f, x, difference, rng)
            }
        }
    }

    /// Sphere sampling: ∇f̂_δ(x) = (d/δ)·E_{v~Unif(S^{d−1})}[f(x + δv)·v] for the BALL
    /// kernel (valid for Lipschitz f; the kernel of `self` is not consulted, since the
    /// identity is the BALL one). With [`Difference::Central`] the observation is
    /// (d/(2δ))(f(x + δv) − f(x − δv))v.
    ///
    /// # Errors
    /// δ = 0; dimension mismatch.
    pub fn sphere_gradient<O: Objective + Sync + ?Sized>(
        &self,
        f: &O,
        x: &Vector,
        difference: Difference,
        rng: &mut Rng,
    ) -> Result<VectorEstimate> {
        let d = f.dim();
        check_dim("sphere-sampling gradient: point", d, x)?;
        self.positive_delta()?;
        let scale = d as f64 / self.delta;
        self.zeroth_order(
            f,
            x,
            difference,
            scale,
            rng,
            |v: &mut Vector, rng: &mut Rng| {
                for vj in v.iter_mut() {
                    *vj = StandardNormal.sample(rng);
                }
                let norm = v.norm();
                if norm > 0.0 {
                    *v /= norm;
                }
            },
        )
    }

    /// Gaussian score: for u ~ N(0, s·I), ∇f̂_δ(x) = E[f(x + δu)·u]/(δs); GISO (s = 1)
    /// gives (1/δ)E[f(x + δu)u], GUNIT (s = 1/d) gives (d/δ)E[f(x + δu)u]. With
    /// [`Difference::Central`] the observation is (f(x + δu) − f(x − δu))u/(2δs).
    ///
    /// # Errors
    /// [`NumericsError::Other`] if the kernel is BALL (the score of the uniform ball is
    /// not u; use [`MonteCarlo::sphere_gradient`]); δ = 0; dimension mismatch.
    pub fn gaussian_score_gradient<O: Objective + Sync + ?Sized>(
        &self,
        f: &O,
        x: &Vector,
        difference: Difference,
        rng: &mut Rng,
    ) -> Result<VectorEstimate> {
        if self.kernel == Kernel::Ball {
            return Err(NumericsError::Other(
                "the Gaussian-score gradient needs a Gaussian kernel; use sphere sampling for BALL"
                    .into(),
            ));
        }
        let d = f.dim();
        check_dim("Gaussian-score gradient: point", d, x)?;
        self.positive_delta()?;
        let scale = 1.0 / (self.delta * self.kernel.coordinate_variance(d));
        let kernel = self.kernel;
        self.zeroth_order(
            f,
            x,
            difference,
            scale,
            rng,
            |u: &mut Vector, rng: &mut Rng| {
                kernel.sample_into(u, rng);
            },
        )
    }

    fn positive_delta(&self) -> Result<()> {
        if self.delta > 0.0 {
            Ok(())
        } else {
            Err(NumericsError::InvalidParameter {
                name: "degree of smoothing δ of a zeroth-order gradient",
                allowed: "positive",
                value: self.delta,
            })
        }
    }

    /// Shared loop: observation = scale·f(x + δv)·v (one-sided) or
    /// scale·(f(x + δv) − f(x − δv))/2·v (central), v from `draw`.
    fn zeroth_order<O: Objective + Sync + ?Sized>(
        &self,
        f: &O,
        x: &Vector,
        difference: Difference,
        scale: f64,
        rng: &mut Rng,
        draw: impl Fn(&mut Vector, &mut Rng) + Sync,
    ) -> Result<VectorEstimate> {
        let d = x.len();
        let block = |count: usize, rng: &mut Rng| {
            let mut v = Vector::zeros(d);
            let mut point = Vector::zeros(d);
            let mut stats = VectorStats::new(d);
            for _ in 0..count {
                draw(&mut v, rng);
                shifted(&mut point, x, self.delta, &v);
                let fp = f.value(&point);
                let weight = match difference {
                    Difference::OneSided => fp,
                    Difference::Central => {
                        shifted(&mut point, x, -self.delta, &v);
                        0.5 * (fp - f.value(&point))
                    }
                };
                stats.push_scaled(scale * weight, &v);
            }
            stats
        };
        let stats = self
            .run_blocks(rng, block, VectorStats::merge)
            .unwrap_or_else(|| VectorStats::new(d));
        Ok(stats.finish())
    }
}

/// out ← x + a·u, without allocating.
#[inline]
fn shifted(out: &mut Vector, x: &Vector, a: f64, u: &Vector) {
    for ((o, &xi), &ui) in out.iter_mut().zip(x.iter()).zip(u.iter()) {
        *o = xi + a * ui; // not mul_add: without target FMA that is a slow libm call
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::{Quadratic, Rastrigin};
    use crate::smoothing::SmoothedRastrigin;
    use crate::{Matrix, Seed};

    #[test]
    fn rejects_bad_parameters() {
        assert!(matches!(
            MonteCarlo::new(Kernel::Ball, -1.0, 10),
            Err(NumericsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            MonteCarlo::new(Kernel::Ball, 1.0, 1),
            Err(NumericsError::InvalidParameter { .. })
        ));
        let mc = MonteCarlo::new(Kernel::Ball, 0.5, 10).unwrap();
        let f = Rastrigin::new(3).unwrap();
        let mut rng = Seed(0).stream("t");
        assert!(matches!(
            mc.value(&f, &Vector::zeros(2), &mut rng),
            Err(NumericsError::DimensionMismatch { .. })
        ));
        assert!(mc
            .gaussian_score_gradient(&f, &Vector::zeros(3), Difference::Central, &mut rng)
            .is_err());
        let mc0 = MonteCarlo::new(Kernel::Gaussian, 0.0, 10).unwrap();
        assert!(mc0
            .zeroth_order_gradient(&f, &Vector::zeros(3), Difference::Central, &mut rng)
            .is_err());
    }

    #[test]
    fn same_seed_gives_same_estimate() {
        let f = Rastrigin::new(4).unwrap();
        let x = Vector::from_element(4, 0.3);
        let mc = MonteCarlo::new(Kernel::Ball, 0.7, 1000).unwrap();
        let a = mc.value(&f, &x, &mut Seed(5).stream("mc")).unwrap();
        let b = mc.value(&f, &x, &mut Seed(5).stream("mc")).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn estimates_do_not_depend_on_the_number_of_threads() {
        let f = Rastrigin::new(3).unwrap();
        let x = Vector::from_element(3, -0.4);
        let mc = MonteCarlo::new(Kernel::Gaussian, 0.6, 3 * MonteCarlo::BLOCK + 17).unwrap();
        let one = mc.value(&f, &x, &mut Seed(8).stream("t")).unwrap();
        let g1 = mc.gradient(&f, &x, &mut Seed(8).stream("t")).unwrap();
        for threads in [2, 3, 7] {
            let mt = mc.with_threads(threads);
            assert_eq!(one, mt.value(&f, &x, &mut Seed(8).stream("t")).unwrap());
            assert_eq!(g1, mt.gradient(&f, &x, &mut Seed(8).stream("t")).unwrap());
        }
        assert_eq!(one.samples, 3 * MonteCarlo::BLOCK as u64 + 17);
    }

    #[test]
    fn quadratic_gradient_estimate_is_unbiased() {
        // ∇f̂_δ = ∇f for a quadratic (spec §1.2a).
        let a = Matrix::from_fn(3, 3, |i, j| if i == j { 2.0 + i as f64 } else { 0.3 });
        let f = Quadratic::new(a, Vector::from_vec(vec![1.0, -1.0, 0.5]), 0.0).unwrap();
        let x = Vector::from_vec(vec![0.2, 0.4, -0.7]);
        for kernel in Kernel::ALL {
            let mc = MonteCarlo::new(kernel, 0.8, 20_000).unwrap();
            let est = mc.gradient(&f, &x, &mut Seed(2).stream("q")).unwrap();
            assert!(est.max_abs_z(&f.gradient(&x)).unwrap() < 4.5, "{kernel:?}");
        }
    }

    #[test]
    fn zeroth_order_estimators_match_exact_rastrigin_gradient() {
        let d = 3;
        let f = Rastrigin::new(d).unwrap();
        let x = Vector::from_vec(vec![0.3, -0.8, 1.4]);
        for kernel in Kernel::ALL {
            let exact = SmoothedRastrigin::new(d, kernel, 0.4).unwrap().gradient(&x);
            let mc = MonteCarlo::new(kernel, 0.4, 50_000).unwrap();
            for diff in [Difference::OneSided, Difference::Central] {
                let est = mc
                    .zeroth_order_gradient(&f, &x, diff, &mut Seed(9).stream("zo"))
                    .unwrap();
                let z = est.max_abs_z(&exact).unwrap();
                assert!(z < 4.5, "{kernel:?} {diff:?}: z = {z}");
            }
        }
    }
}
