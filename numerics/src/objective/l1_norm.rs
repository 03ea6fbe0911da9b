//! The ℓ1 norm f(x) = ‖x‖₁ (non-smooth, L_f = √d) and its exact smoothing.

use super::{sign, Objective};
use crate::smoothing::Kernel;
use crate::stats::normal_cdf;
use crate::{Matrix, Result, Vector};

/// f(x) = ‖x‖₁ = Σᵢ |xᵢ|: convex, not differentiable where some xᵢ = 0, and
/// √d-Lipschitz in the Euclidean norm (|‖x‖₁ − ‖y‖₁| ≤ ‖x − y‖₁ ≤ √d‖x − y‖).
///
/// [`Objective::gradient`] returns the subgradient sign(x) (with sign(0) = 0), which is
/// the gradient wherever it exists (almost everywhere).
///
/// ```
/// use numerics::objective::{L1Norm, Objective};
/// use nalgebra::DVector;
/// let f = L1Norm::new(3).unwrap();
/// let x = DVector::from_vec(vec![1.0, -2.0, 0.5]);
/// assert!((f.value(&x) - 3.5).abs() < 1e-15);
/// assert_eq!(f.gradient(&x), DVector::from_vec(vec![1.0, -1.0, 1.0]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1Norm {
    d: usize,
}

impl L1Norm {
    /// ‖·‖₁ on Rᵈ.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] if `d == 0`.
    pub fn new(d: usize) -> Result<Self> {
        crate::error::check_count("dimension", d, 1)?;
        Ok(Self { d })
    }

    /// The Lipschitz constant in the Euclidean norm, L_f = √d (attained along (1, …, 1)).
    #[must_use]
    pub fn lipschitz(&self) -> f64 {
        (self.d as f64).sqrt()
    }
}

impl Objective for L1Norm {
    fn dim(&self) -> usize {
        self.d
    }
    fn value(&self, x: &Vector) -> f64 {
        x.iter().map(|t| t.abs()).sum()
    }
    fn gradient(&self, x: &Vector) -> Vector {
        x.map(sign)
    }
    fn hvp(&self, _x: &Vector, _v: &Vector) -> Vector {
        // The Hessian is 0 wherever it exists.
        Vector::zeros(self.d)
    }
}

/// The exact smoothed ℓ1 norm f̂_δ(x) = E‖x − δu‖₁ = Σᵢ φ(xᵢ), separable because ‖·‖₁
/// is, with φ(μ) = E|μ + δT| and T one coordinate of the kernel.
///
/// * GISO / GUNIT (T ~ N(0, s), σ = δ√s; folded-normal mean):
///   φ(μ) = σ√(2/π)·e^{−μ²/(2σ²)} + μ(1 − 2Φ(−μ/σ)), φ'(μ) = 2Φ(μ/σ) − 1,
///   φ''(μ) = 2ϕ(μ/σ)/σ.
/// * BALL (T with density p(t) = (1 − t²)^α/B(½, α + 1) on [−1, 1], α = (d − 1)/2):
///   φ(μ) = |μ| if |μ| ≥ δ; otherwise, with c = −μ/δ and F the CDF of T,
///   φ(μ) = μ(1 − 2F(c)) + δ(1 − c²)^{α+1}/((α + 1)B(½, α + 1)),
///   φ'(μ) = 1 − 2F(c), φ''(μ) = 2p(c)/δ. With t = sin θ every term is a Wallis-type
///   integral ∫₀^φ cos^dθ dθ, evaluated by its two-term recurrence (exact, O(d)).
///   This is the Gauss–Jacobi expectation of the spec (§1.2c) in closed form: the
///   kink of |·| at μ + δT = 0 makes a plain Gauss–Jacobi rule converge only like
///   O(n⁻²), so the closed form is used and the rule serves as a test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmoothedL1Norm {
    d: usize,
    kernel: Kernel,
    delta: f64,
}

impl SmoothedL1Norm {
    /// The smoothing of ‖·‖₁ on Rᵈ with `kernel` at δ ≥ 0.
    ///
    /// # Errors
    /// `d == 0`; δ negative or non-finite.
    pub fn new(d: usize, kernel: Kernel, delta: f64) -> Result<Self> {
        L1Norm::new(d)?;
        crate::smoothing::check_delta(delta)?;
        Ok(Self { d, kernel, delta })
    }

    /// δ.
    #[must_use]
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// The kernel.
    #[must_use]
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// (φ(μ), φ'(μ), φ''(μ)) for one coordinate.
    #[must_use]
    pub fn coordinate(&self, mu: f64) -> (f64, f64, f64) {
        if self.delta == 0.0 {
            return (mu.abs(), sign(mu), 0.0);
        }
        match self.kernel {
            Kernel::Gaussian | Kernel::GaussianUnit => {
                let sigma = self.delta * self.kernel.coordinate_variance(self.d).sqrt();
                let z = mu / sigma;
                let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
                // 1 − 2Φ(−z) = 2Φ(z) − 1, computed from the smaller tail for accuracy.
                let odd = if z >= 0.0 {
                    1.0 - 2.0 * normal_cdf(-z)
                } else {
                    2.0 * normal_cdf(z) - 1.0
                };
                (2.0 * sigma * pdf + mu * odd, odd, 2.0 * pdf / sigma)
            }
            Kernel::Ball => {
                if mu.abs() >= self.delta {
                    return (mu.abs(), sign(mu), 0.0);
                }
                // t = sin θ turns (1 − t²)^α dt into cos^d θ dθ (2α + 1 = d), so with
                // I_n(φ) = ∫₀^φ cosⁿθ dθ, W_n = I_n(π/2) and φ = asin(μ/δ):
                // 1 − 2F(−μ/δ) = I_d(φ)/W_d, p(−μ/δ) = cos^{d−1}φ/(2W_d),
                // (1 − c²)^{α+1}/((α + 1)B(½, α + 1)) = cos^{d+1}φ/((d + 1)W_d).
                // The recurrence I_n = cos^{n−1}φ sin φ/n + (n − 1)/n·I_{n−2} only
                // shrinks rounding errors.
                let s = mu / self.delta;
                let phi = s.asin();
                let c = (1.0 - s * s).max(0.0).sqrt();
                let (mut i, mut w, mut cpow) = if self.d % 2 == 0 {
                    (phi, std::f64::consts::FRAC_PI_2, c) // n = 0; cpow = cos^{n+1}φ
                } else {
                    (s, 1.0, c * c) // n = 1
                };
                let mut n = 2 + self.d % 2;
                while n <= self.d {
                    let nf = n as f64;
                    i = cpow * s / nf + (nf - 1.0) / nf * i;
                    w *= (nf - 1.0) / nf;
                    cpow *= c * c;
                    n += 2;
                }
                // Now cpow = cos^{d+1}φ.
                let slope = i / w;
                let cos_d_minus_1 = if c > 0.0 { cpow / (c * c) } else { 0.0 };
                let tail = cpow / ((self.d as f64 + 1.0) * w);
                (
                    mu * slope + self.delta * tail,
                    slope,
                    cos_d_minus_1 / (w * self.delta),
                )
            }
        }
    }
}

impl Objective for SmoothedL1Norm {
    fn dim(&self) -> usize {
        self.d
    }
    fn value(&self, x: &Vector) -> f64 {
        x.iter().map(|&t| self.coordinate(t).0).sum()
    }
    fn gradient(&self, x: &Vector) -> Vector {
        x.map(|t| self.coordinate(t).1)
    }
    fn hvp(&self, x: &Vector, v: &Vector) -> Vector {
        Vector::from_fn(self.d, |i, _| self.coordinate(x[i]).2 * v[i])
    }
    fn hessian(&self, x: &Vector) -> Option<Matrix> {
        Some(Matrix::from_diagonal(&x.map(|t| self.coordinate(t).2)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::finite_difference_gradient;

    #[test]
    fn smoothed_l1_at_zero_is_delta_times_mean_abs_coordinate() {
        // φ(0) = δE|u₁|: GISO √(2/π); BALL 1/((α+1)B(½, α+1)), d = 1: E|U[−1,1]| = ½,
        // d = 3: α = 1, B(½, 2) = 4/3, so E|u₁| = 1/(2·4/3) = 3/8.
        let delta = 0.7;
        let g = SmoothedL1Norm::new(1, Kernel::Gaussian, delta).unwrap();
        assert!((g.coordinate(0.0).0 - delta * (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-15);
        let b1 = SmoothedL1Norm::new(1, Kernel::Ball, delta).unwrap();
        assert!((b1.coordinate(0.0).0 - 0.5 * delta).abs() < 1e-14);
        let b3 = SmoothedL1Norm::new(3, Kernel::Ball, delta).unwrap();
        assert!((b3.coordinate(0.0).0 - 0.375 * delta).abs() < 1e-14);
    }

    /// Composite Simpson rule on [a, b] with n (even) panels.
    fn simpson(a: f64, b: f64, n: usize, g: impl Fn(f64) -> f64) -> f64 {
        let h = (b - a) / n as f64;
        let inner: f64 = (1..n)
            .map(|k| if k % 2 == 1 { 4.0 } else { 2.0 } * g(a + k as f64 * h))
            .sum();
        (g(a) + inner + g(b)) * h / 3.0
    }

    /// Independent reference: E|μ + δT| by composite Simpson rules split at the kink
    /// (BALL in the variable θ with t = sin θ, whose integrand cos^d θ is smooth;
    /// Gaussian on [−12, 12] in units of σ).
    fn reference(kernel: Kernel, d: usize, delta: f64, mu: f64) -> f64 {
        match kernel {
            Kernel::Ball => {
                let dens = |th: f64| th.cos().powi(d as i32);
                let g = |th: f64| (mu + delta * th.sin()).abs() * dens(th);
                let h = std::f64::consts::FRAC_PI_2;
                let norm = simpson(-h, h, 20_000, dens);
                let kink = (-mu / delta).clamp(-1.0, 1.0).asin();
                (simpson(-h, kink, 20_000, g) + simpson(kink, h, 20_000, g)) / norm
            }
            _ => {
                let s = delta * kernel.coordinate_variance(d).sqrt();
                let g = |t: f64| (mu + s * t).abs() * (-0.5 * t * t).exp();
                let norm = (2.0 * std::f64::consts::PI).sqrt();
                let kink = (-mu / s).clamp(-12.0, 12.0);
                (simpson(-12.0, kink, 20_000, g) + simpson(kink, 12.0, 20_000, g)) / norm
            }
        }
    }

    #[test]
    fn smoothed_l1_matches_split_simpson_integration() {
        for kernel in Kernel::ALL {
            for d in [1usize, 2, 5, 50] {
                let f = SmoothedL1Norm::new(d, kernel, 0.8).unwrap();
                for mu in [-1.3, -0.5, -0.05, 0.0, 0.2, 0.79, 2.0] {
                    let q = reference(kernel, d, 0.8, mu);
                    let exact = f.coordinate(mu).0;
                    assert!(
                        (q - exact).abs() < 1e-11,
                        "{kernel:?} d={d} μ={mu}: {q} vs {exact}"
                    );
                }
            }
        }
    }

    #[test]
    fn smoothed_l1_derivatives_match_finite_differences() {
        for kernel in Kernel::ALL {
            for d in [1usize, 2, 7] {
                let f = SmoothedL1Norm::new(d, kernel, 0.6).unwrap();
                let x = Vector::from_fn(d, |i, _| 0.37 * i as f64 - 0.41);
                let fd = finite_difference_gradient(&f, &x, 1e-6);
                assert!((f.gradient(&x) - fd).amax() < 1e-8, "{kernel:?} d={d}");
                for mu in [-0.5, 0.1, 0.3] {
                    let h = 1e-6;
                    let fd2 = (f.coordinate(mu + h).1 - f.coordinate(mu - h).1) / (2.0 * h);
                    assert!(
                        (f.coordinate(mu).2 - fd2).abs() < 1e-7,
                        "{kernel:?} d={d} μ={mu}"
                    );
                }
            }
        }
    }

    #[test]
    fn l1_subgradient_is_sign() {
        let f = L1Norm::new(3).unwrap();
        let g = f.gradient(&Vector::from_vec(vec![0.0, -3.0, 2.0]));
        assert_eq!(g, Vector::from_vec(vec![0.0, -1.0, 1.0]));
        assert!((f.lipschitz() - 3f64.sqrt()).abs() < 1e-15);
    }
}
