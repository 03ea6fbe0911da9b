//! Smoothing kernels: the law of u in f̂_δ(x) = E_u[f(x − δu)].

use crate::quadrature::{gauss_hermite, gauss_jacobi_symmetric, Rule};
use crate::rng::Rng;
use crate::{NumericsError, Result, Vector};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// The kernel of Definition 2.1. The sources disagree (spec §1.1, §11.1), so igo
/// carries it as a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kernel {
    /// BALL: u uniform on the closed unit ball B(0; 1) (Hazan et al. 2016):
    /// E\[uuᵀ\] = I/(d + 2), E‖u‖² = d/(d + 2), E‖u‖ = d/(d + 1).
    Ball,
    /// GISO: u ~ N(0, I_d) (the authors' `ego.py`): E‖u‖² = d.
    Gaussian,
    /// GUNIT: u ~ N(0, I_d/d): E‖u‖² = 1, so E‖δu‖² = δ² matches δ = ηC/√b as an RMS.
    GaussianUnit,
}

impl Kernel {
    /// All three kernels, in the spec's order.
    pub const ALL: [Kernel; 3] = [Kernel::Ball, Kernel::Gaussian, Kernel::GaussianUnit];

    /// Short name used on the command line and in reports: `ball`, `gaussian`, `gaussian-unit`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Kernel::Ball => "ball",
            Kernel::Gaussian => "gaussian",
            Kernel::GaussianUnit => "gaussian-unit",
        }
    }

    /// Parses [`Kernel::name`] (also `giso`, `gunit`).
    ///
    /// # Errors
    /// [`NumericsError::Other`] naming the allowed values.
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "ball" => Ok(Kernel::Ball),
            "gaussian" | "giso" => Ok(Kernel::Gaussian),
            "gaussian-unit" | "gunit" => Ok(Kernel::GaussianUnit),
            other => Err(NumericsError::Other(format!(
                "unknown kernel '{other}': expected one of ball, gaussian, gaussian-unit"
            ))),
        }
    }

    /// Per-coordinate variance s with E\[uuᵀ\] = s·I: BALL 1/(d+2), GISO 1, GUNIT 1/d.
    #[must_use]
    pub fn coordinate_variance(&self, d: usize) -> f64 {
        let d = d as f64;
        match self {
            Kernel::Ball => 1.0 / (d + 2.0),
            Kernel::Gaussian => 1.0,
            Kernel::GaussianUnit => 1.0 / d,
        }
    }

    /// E‖u‖² = d·s: BALL d/(d+2), GISO d, GUNIT 1.
    #[must_use]
    pub fn second_moment(&self, d: usize) -> f64 {
        d as f64 * self.coordinate_variance(d)
    }

    /// E‖u‖: BALL d/(d+1); GISO √2 Γ((d+1)/2)/Γ(d/2); GUNIT that divided by √d.
    #[must_use]
    pub fn mean_norm(&self, d: usize) -> f64 {
        let df = d as f64;
        let chi_mean = || {
            std::f64::consts::SQRT_2
                * (crate::special::ln_gamma((df + 1.0) / 2.0) - crate::special::ln_gamma(df / 2.0))
                    .exp()
        };
        match self {
            Kernel::Ball => df / (df + 1.0),
            Kernel::Gaussian => chi_mean(),
            Kernel::GaussianUnit => chi_mean() / df.sqrt(),
        }
    }

    /// One draw u ∈ Rᵈ from the kernel. BALL: a Gaussian direction times U^{1/d}.
    pub fn sample(&self, d: usize, rng: &mut Rng) -> Vector {
        let mut u = Vector::from_fn(d, |_, _| StandardNormal.sample(rng));
        match self {
            Kernel::Gaussian => {}
            Kernel::GaussianUnit => u /= (d as f64).sqrt(),
            Kernel::Ball => {
                let norm = u.norm();
                let radius = rng.random::<f64>().powf(1.0 / d as f64);
                if norm > 0.0 {
                    u *= radius / norm;
                }
            }
        }
        u
    }

    /// Fills `u` with one draw (no allocation), as [`Kernel::sample`].
    pub fn sample_into(&self, u: &mut Vector, rng: &mut Rng) {
        let d = u.len();
        for v in u.iter_mut() {
            *v = StandardNormal.sample(rng);
        }
        match self {
            Kernel::Gaussian => {}
            Kernel::GaussianUnit => *u /= (d as f64).sqrt(),
            Kernel::Ball => {
                let norm = u.norm();
                let radius = rng.random::<f64>().powf(1.0 / d as f64);
                if norm > 0.0 {
                    *u *= radius / norm;
                }
            }
        }
    }

    /// Characteristic function of one coordinate, φ(t) = E[cos(t·u₁)]:
    /// GISO e^{−t²/2}; GUNIT e^{−t²/(2d)}; BALL Γ(ν+1)(2/t)^ν J_ν(t) with ν = d/2
    /// (the characteristic function of the uniform ball at ‖k‖ = t).
    #[must_use]
    pub fn characteristic(&self, d: usize, t: f64) -> f64 {
        match self {
            Kernel::Gaussian => (-t * t / 2.0).exp(),
            Kernel::GaussianUnit => (-t * t / (2.0 * d as f64)).exp(),
            Kernel::Ball => ball_characteristic(d as f64 / 2.0, t.abs()),
        }
    }

    /// κ(δ) = E[cos(2πδu₁)], the factor multiplying the cosine term of smoothed
    /// Rastrigin (spec §1.2b).
    ///
    /// ```
    /// use numerics::smoothing::Kernel;
    /// // d = 1: κ = sin(2πδ)/(2πδ); at δ = 0.25 that is 2/π.
    /// let k = Kernel::Ball.kappa(1, 0.25);
    /// assert!((k - 2.0 / std::f64::consts::PI).abs() < 1e-14);
    /// ```
    #[must_use]
    pub fn kappa(&self, d: usize, delta: f64) -> f64 {
        self.characteristic(d, 2.0 * PI * delta)
    }

    /// dκ/dδ, by differentiating the closed forms (BALL: d/dt[Λ_ν(t)] = −t/(2(ν+1))·Λ_{ν+1}(t)).
    #[must_use]
    pub fn kappa_derivative(&self, d: usize, delta: f64) -> f64 {
        let t = 2.0 * PI * delta;
        let dphi_dt = match self {
            Kernel::Gaussian => -t * (-t * t / 2.0).exp(),
            Kernel::GaussianUnit => -t / d as f64 * (-t * t / (2.0 * d as f64)).exp(),
            Kernel::Ball => {
                let nu = d as f64 / 2.0;
                -t / (2.0 * (nu + 1.0)) * ball_characteristic(nu + 1.0, t)
            }
        };
        2.0 * PI * dphi_dt
    }

    /// Quadrature rule for the law of one coordinate u₁ (n nodes): Gauss–Jacobi with
    /// α = (d − 1)/2 for BALL; scaled Gauss–Hermite for the Gaussian kernels.
    ///
    /// # Errors
    /// If `n == 0`.
    pub fn coordinate_rule(&self, d: usize, n: usize) -> Result<Rule> {
        match self {
            Kernel::Ball => gauss_jacobi_symmetric(n, (d as f64 - 1.0) / 2.0),
            Kernel::Gaussian | Kernel::GaussianUnit => {
                let mut r = gauss_hermite(n)?;
                let s = self.coordinate_variance(d).sqrt();
                r.nodes.iter_mut().for_each(|t| *t *= s);
                Ok(r)
            }
        }
    }
}

/// Λ_ν(t) = Γ(ν+1)(2/t)^ν J_ν(t) = ₀F₁(; ν+1; −t²/4), t ≥ 0.
///
/// * t²/4 ≤ ν + 1: the hypergeometric series, whose terms then decrease from the first
///   (no cancellation);
/// * ν ≤ 150: J_ν from `puruspe` (Numerical Recipes' `bessjy`) times Γ(ν+1)(2/t)^ν in
///   log space;
/// * otherwise J_ν(t) would underflow: Gauss–Jacobi quadrature of E[cos(tu₁)] with
///   enough nodes for the oscillation (exact for polynomials of degree 2n − 1).
fn ball_characteristic(nu: f64, t: f64) -> f64 {
    if t == 0.0 {
        return 1.0;
    }
    let q = t * t / 4.0;
    if q <= nu + 1.0 {
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut k = 0.0;
        loop {
            k += 1.0;
            term *= -q / (k * (nu + k));
            sum += term;
            if term.abs() <= 1e-17 * sum.abs().max(1e-300) || k > 500.0 {
                break;
            }
        }
        sum
    } else if nu <= 150.0 {
        let (j, _, _, _) = puruspe::besseljy(nu, t);
        j * (crate::special::ln_gamma(nu + 1.0) - nu * (t / 2.0).ln()).exp()
    } else {
        let n = (t.ceil() as usize + 60).min(2000);
        match gauss_jacobi_symmetric(n, nu - 0.5) {
            Ok(rule) => rule.expect(|u| (t * u).cos()),
            Err(_) => f64::NAN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values κ_BALL(d, δ) from the spec table (§1.2b, computed with SciPy
    /// outside the project), 6 decimals.
    #[test]
    #[allow(clippy::approx_constant)] // 0.636620 is the table entry, which happens to be 2/π.
    fn ball_kappa_matches_reference_table() {
        let table = [
            (1, 0.10, 0.935489),
            (2, 0.10, 0.951457),
            (3, 0.10, 0.961074),
            (10, 0.10, 0.983666),
            (50, 0.10, 0.996211),
            (1, 0.25, 0.636620),
            (2, 0.25, 0.721703),
            (3, 0.25, 0.774037),
            (10, 0.25, 0.901607),
            (50, 0.25, 0.976544),
            (2, 0.50, 0.181192),
            (3, 0.50, 0.303964),
            (10, 0.50, 0.654279),
            (50, 0.50, 0.909311),
            (1, 0.75, -0.212207),
            (2, 0.75, -0.119539),
            (3, 0.75, -0.028668),
            (10, 0.75, 0.368515),
            (50, 0.75, 0.807043),
            (2, 1.00, -0.067603),
            (3, 1.00, -0.075991),
            (10, 1.00, 0.146196),
            (50, 1.00, 0.682278),
        ];
        for (d, delta, want) in table {
            let got = Kernel::Ball.kappa(d, delta);
            assert!(
                (got - want).abs() < 6e-7,
                "d={d} δ={delta}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn ball_kappa_matches_elementary_closed_forms() {
        for i in 1..400 {
            let delta = i as f64 * 0.02;
            let z = 2.0 * PI * delta;
            let d1 = z.sin() / z;
            let d3 = 3.0 * (z.sin() - z * z.cos()) / z.powi(3);
            assert!(
                (Kernel::Ball.kappa(1, delta) - d1).abs() < 1e-13,
                "d=1 δ={delta}"
            );
            assert!(
                (Kernel::Ball.kappa(3, delta) - d3).abs() < 1e-12,
                "d=3 δ={delta}"
            );
        }
    }

    #[test]
    fn ball_kappa_matches_gauss_jacobi_quadrature_in_every_regime() {
        for d in [1usize, 2, 5, 50, 301, 1000] {
            let rule = Kernel::Ball.coordinate_rule(d, 200).unwrap();
            for delta in [0.01, 0.3, 1.0, 2.5, 7.9] {
                let t = 2.0 * PI * delta;
                let q = rule.expect(|u| (t * u).cos());
                let k = Kernel::Ball.kappa(d, delta);
                assert!((k - q).abs() < 1e-11, "d={d} δ={delta}: {k} vs {q}");
            }
        }
    }

    #[test]
    fn gaussian_kappa_matches_spec_values() {
        // Spec §1.2b: κ_GISO = 0.820869 (δ = 0.1), 0.291213 (0.25), 7.19188e−3 (0.5), 1.50625e−5 (0.75).
        for (delta, want) in [
            (0.1, 0.820869),
            (0.25, 0.291213),
            (0.5, 7.19188e-3),
            (0.75, 1.50625e-5),
        ] {
            let got = Kernel::Gaussian.kappa(7, delta);
            assert!((got / want - 1.0).abs() < 1e-5, "δ={delta}: {got}");
        }
    }

    #[test]
    fn kappa_derivative_matches_central_difference() {
        for kernel in Kernel::ALL {
            for d in [1usize, 2, 10] {
                for delta in [0.05, 0.4, 1.3] {
                    let h = 1e-6;
                    let fd = (kernel.kappa(d, delta + h) - kernel.kappa(d, delta - h)) / (2.0 * h);
                    assert!(
                        (kernel.kappa_derivative(d, delta) - fd).abs() < 1e-7,
                        "{kernel:?} d={d} δ={delta}"
                    );
                }
            }
        }
    }

    #[test]
    fn sampled_moments_match_closed_forms() {
        let mut rng = crate::Seed(11).stream("kernel-test");
        for kernel in Kernel::ALL {
            let d = 4;
            let n = 200_000;
            let mut s2 = crate::stats::RunningStats::new();
            for _ in 0..n {
                s2.push(kernel.sample(d, &mut rng).norm_squared());
            }
            assert!(
                s2.z_score(kernel.second_moment(d)).abs() < 4.5,
                "{kernel:?}"
            );
        }
    }
}
