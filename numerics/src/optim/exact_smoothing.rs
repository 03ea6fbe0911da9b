//! [`ExactSmoothing`]: objectives whose smoothed version f̂_δ has a closed form, so that
//! graduated optimization can run on the exact f̂_δ instead of a Monte-Carlo estimate.

use crate::objective::go_suite::{Benchmark, GoFunction};
use crate::objective::{LeastSquares, LogisticRegression, Objective, Quadratic, Rastrigin};
use crate::smoothing::{Kernel, SmoothedLogistic, SmoothedQuadratic, SmoothedRastrigin};
use crate::{Matrix, NumericsError, Result, Vector};

/// An objective f whose smoothing f̂_δ(x) = E_u[f(x − δu)] under a [`Kernel`] is known in
/// closed form (spec §1.2).
pub trait ExactSmoothing: Objective {
    /// f̂_δ for `kernel` at degree δ ≥ 0, as an objective.
    ///
    /// # Errors
    /// δ negative or non-finite, or no closed form for this objective.
    fn smoothed(&self, kernel: Kernel, delta: f64) -> Result<Box<dyn Objective + Send + Sync>>;
}

impl ExactSmoothing for Rastrigin {
    /// [`SmoothedRastrigin`]: ‖x‖² + δ²E‖u‖² + 10Σ(1 − κ(δ)cos 2πxᵢ).
    fn smoothed(&self, kernel: Kernel, delta: f64) -> Result<Box<dyn Objective + Send + Sync>> {
        Ok(Box::new(SmoothedRastrigin::new(self.dim(), kernel, delta)?))
    }
}

impl ExactSmoothing for Quadratic {
    /// [`SmoothedQuadratic`]: f + ½δ² tr(A·E\[uuᵀ\]).
    fn smoothed(&self, kernel: Kernel, delta: f64) -> Result<Box<dyn Objective + Send + Sync>> {
        Ok(Box::new(SmoothedQuadratic::new(
            self.clone(),
            kernel,
            delta,
        )?))
    }
}

impl ExactSmoothing for LeastSquares {
    /// The smoothed quadratic form of the least-squares objective (spec §1.2a).
    fn smoothed(&self, kernel: Kernel, delta: f64) -> Result<Box<dyn Objective + Send + Sync>> {
        self.to_quadratic()?.smoothed(kernel, delta)
    }
}

impl ExactSmoothing for LogisticRegression {
    /// [`SmoothedLogistic`]: the smoothed loss by one-dimensional quadrature
    /// (spec §1.2c; exact to quadrature accuracy).
    fn smoothed(&self, kernel: Kernel, delta: f64) -> Result<Box<dyn Objective + Send + Sync>> {
        Ok(Box::new(SmoothedLogistic::new(
            self.clone(),
            kernel,
            delta,
        )?))
    }
}

impl ExactSmoothing for GoFunction {
    /// Exact for the benchmarks that are Rastrigin or quadratic (Rastrigin, Sphere,
    /// Ellipsoid, rotated hyper-ellipsoid); an error for the others.
    fn smoothed(&self, kernel: Kernel, delta: f64) -> Result<Box<dyn Objective + Send + Sync>> {
        let d = self.dim();
        let diagonal = |w: &dyn Fn(usize) -> f64| -> Result<Box<dyn Objective + Send + Sync>> {
            // Σ wᵢxᵢ² = ½xᵀ diag(2w) x.
            let a = Matrix::from_diagonal(&Vector::from_fn(d, |i, _| 2.0 * w(i)));
            Quadratic::homogeneous(a)?.smoothed(kernel, delta)
        };
        match self.benchmark() {
            Benchmark::Rastrigin => Ok(Box::new(SmoothedRastrigin::new(d, kernel, delta)?)),
            Benchmark::Sphere => diagonal(&|_| 1.0),
            Benchmark::Ellipsoid => diagonal(&|i| (i + 1) as f64),
            Benchmark::RotatedHyperEllipsoid => diagonal(&|i| (d - i) as f64),
            other => Err(NumericsError::Other(format!(
                "no closed-form smoothing for the {other} benchmark"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seed;

    #[test]
    fn exact_smoothing_of_quadratic_benchmarks_matches_monte_carlo_mean() {
        // f̂_δ(x) = f(x) + δ² tr(A)/2 under GISO; compare with a 2·10⁴-sample mean.
        let mut rng = Seed(1).stream("mc");
        for b in [
            Benchmark::Sphere,
            Benchmark::Ellipsoid,
            Benchmark::RotatedHyperEllipsoid,
            Benchmark::Rastrigin,
        ] {
            let f = GoFunction::new(b, 4).unwrap();
            let x = Vector::from_vec(vec![0.3, -0.7, 1.1, 0.2]);
            let s = f.smoothed(Kernel::Gaussian, 0.4).unwrap();
            let mut stats = crate::stats::RunningStats::new();
            for _ in 0..20_000 {
                let u = Kernel::Gaussian.sample(4, &mut rng);
                stats.push(f.value(&(&x + u * 0.4)));
            }
            let z = stats.z_score(s.value(&x));
            assert!(z.abs() < 4.5, "{b}: z = {z}");
        }
        let lr = crate::objective::LogisticRegression::gaussian(30, 2, 0.5, 0.1, &mut rng).unwrap();
        let s = lr.smoothed(Kernel::Gaussian, 0.0).unwrap();
        let x = Vector::from_vec(vec![0.3, -0.4]);
        assert!((s.value(&x) - lr.value(&x)).abs() < 1e-12);
        assert!(GoFunction::new(Benchmark::Ackley, 3)
            .unwrap()
            .smoothed(Kernel::Gaussian, 0.1)
            .is_err());
    }
}
