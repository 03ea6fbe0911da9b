//! C8.10 — the SAM objective of a quadratic by the trust-region subproblem, and the
//! SAM step direction against its true gradient (spec §8.4, check C8.10).
//!
//! f_SAM(x) = max_{‖ε‖≤ρ} f(x + ε). For f(x) = ½xᵀAx + cᵀx with A ⪰ 0 the maximiser
//! lies on the sphere and solves (μI − A)ε = ∇f(x), μ ≥ λ_max(A), ‖ε‖ = ρ (the
//! trust-region subproblem for −f; Moré & Sorensen 1983), found here by bisection on
//! the secular equation Σⱼ g̃ⱼ²/(μ − λⱼ)² = ρ² in the eigenbasis of A, with the hard
//! case (g ⟂ top eigenspace) handled explicitly. When the maximiser is unique,
//! Danskin's theorem gives ∇f_SAM(x) = ∇f(x + ε*(x)). SAM replaces ε* by its
//! first-order version ρg/‖g‖ (the lecture's ρ·sign(g)|g|/‖g‖ is the same vector), so
//! ε* = ρĝ + (ρ²/‖g‖)(Aĝ − (ĝᵀAĝ)ĝ) + O(ρ³) and
//! ∇f_SAM − ∇f(x + ρĝ) = (ρ²/‖g‖)·A(Aĝ − (ĝᵀAĝ)ĝ) + O(ρ³).
//!
//! Cases: the subproblem's value against a brute-force maximisation over the circle
//! (d = 2) and against random points of the sphere (d = 4); Danskin's gradient against
//! central differences of f_SAM; the O(ρ²) coefficient of the SAM direction's error
//! against its closed form; refuting: "the SAM step direction is ∇f_SAM" at ρ = 0.5
//! (FAIL).

use crate::support::{gaussian_vector, random_orthogonal, with_spectrum};
use crate::{Case, Check, Expect, Relation, Report, Result};
use numerics::objective::{Objective, Quadratic};
use numerics::rng::Rng;
use numerics::spectrum::SymmetricSpectrum;
use numerics::{Seed, Vector};
use rand::Rng as _;

/// C8.10: f_SAM = max_{‖ε‖≤ρ} f(x+ε) by the trust-region subproblem; ∇f_SAM = ∇f(x+ε*) vs the SAM direction ∇f(x+ρg/‖g‖).
#[derive(Debug, Clone, Copy, Default)]
pub struct SamObjective;

/// The maximiser ε* of f(x + ε) over ‖ε‖ ≤ ρ for a convex quadratic with Hessian
/// spectrum `spectrum` and gradient `g` = ∇f(x).
fn sam_maximiser(spectrum: &SymmetricSpectrum, g: &Vector, rho: f64) -> Vector {
    let v = spectrum.vectors();
    let lambda = spectrum.values();
    let g_tilde = v.transpose() * g;
    let lmax = spectrum.lambda_max();
    let scale = lambda.amax().max(1.0);
    let top: Vec<bool> = lambda.iter().map(|&l| l >= lmax - 1e-12 * scale).collect();
    let top_weight: f64 = g_tilde
        .iter()
        .zip(&top)
        .filter(|(_, &t)| t)
        .map(|(x, _)| x * x)
        .sum::<f64>()
        .sqrt();
    let eps_at = |mu: f64| {
        Vector::from_fn(g.len(), |j, _| {
            if top[j] && mu <= lmax {
                0.0
            } else {
                g_tilde[j] / (mu - lambda[j])
            }
        })
    };
    let rest = eps_at(lmax); // non-top components at μ = λ_max
    if top_weight <= 1e-14 * g.norm().max(f64::MIN_POSITIVE) && rest.norm() < rho {
        // Hard case: μ = λ_max, fill up the norm along the top eigenspace.
        let mut e = rest;
        if let Some(j) = top.iter().position(|&t| t) {
            e[j] = (rho * rho - e.norm_squared()).max(0.0).sqrt();
        }
        return v * e;
    }
    // Bisection on μ ∈ (λ_max, λ_max + ‖g‖/ρ], where ‖ε(μ)‖ decreases through ρ.
    let (mut lo, mut hi) = (lmax, lmax + g.norm() / rho);
    for _ in 0..300 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if eps_at(mid).norm() > rho {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let e = eps_at(0.5 * (lo + hi));
    v * (&e * (rho / e.norm()))
}

/// f_SAM(x) and the maximiser ε*(x).
fn sam_value(f: &Quadratic, spectrum: &SymmetricSpectrum, x: &Vector, rho: f64) -> (f64, Vector) {
    let eps = sam_maximiser(spectrum, &f.gradient(x), rho);
    (f.value(&(x + &eps)), eps)
}

/// A random convex quadratic ½xᵀAx + cᵀx with eigenvalues in (0.2, 3).
fn random_quadratic(d: usize, rng: &mut Rng) -> Result<(Quadratic, SymmetricSpectrum)> {
    let q = random_orthogonal(d, rng);
    let lambda: Vec<f64> = (0..d).map(|_| rng.random_range(0.2..3.0)).collect();
    let a = with_spectrum(&q, &lambda);
    let spectrum = SymmetricSpectrum::new(&a)?;
    Ok((Quadratic::new(a, gaussian_vector(d, rng), 0.0)?, spectrum))
}

/// max over θ of f(x + ρ(cos θ, sin θ)) by a 20 000-point grid and golden-section
/// refinement (independent of the subproblem).
fn brute_force_circle(f: &Quadratic, x: &Vector, rho: f64) -> f64 {
    let value = |t: f64| f.value(&(x + Vector::from_vec(vec![rho * t.cos(), rho * t.sin()])));
    let m = 20_000;
    let step = std::f64::consts::TAU / m as f64;
    let best = (0..m)
        .max_by(|&i, &j| value(i as f64 * step).total_cmp(&value(j as f64 * step)))
        .unwrap_or(0);
    let (mut a, mut b) = ((best as f64 - 1.0) * step, (best as f64 + 1.0) * step);
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..200 {
        let c = b - phi * (b - a);
        let d = a + phi * (b - a);
        if value(c) > value(d) {
            b = d;
        } else {
            a = c;
        }
    }
    value(0.5 * (a + b))
}

impl Check for SamObjective {
    fn id(&self) -> &'static str {
        "sam_objective"
    }
    fn spec_id(&self) -> &'static str {
        "C8.10"
    }
    fn statement(&self) -> &'static str {
        "f_SAM(x) = max_{‖ε‖≤ρ} f(x+ε) for a convex quadratic solves a trust-region subproblem; ∇f_SAM = ∇f(x+ε*), and SAM's ∇f(x+ρg/‖g‖) matches it only to O(ρ²)"
    }

    fn run(&self, seed: Seed) -> Result<Report> {
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("sam-objective");

        // 1. d = 2 against brute force over the circle.
        let mut worst: f64 = 0.0;
        for _ in 0..5 {
            let (f, spectrum) = random_quadratic(2, &mut rng)?;
            let x = gaussian_vector(2, &mut rng);
            let rho = rng.random_range(0.1..2.0);
            let (value, _) = sam_value(&f, &spectrum, &x, rho);
            let reference = brute_force_circle(&f, &x, rho);
            worst = worst.max((value - reference).abs() / reference.abs().max(1.0));
        }
        report.push(
            Case::new(
                "d = 2: subproblem value = max over the circle (grid + golden section), 5 random cases",
                Expect::Holds,
                worst,
                Relation::ApproxEq { rtol: 0.0, atol: 1e-12 },
                0.0,
            )
            .note("relative difference"),
        );

        // 2. d = 4: no point of the sphere beats the subproblem's maximiser.
        let d = 4;
        let (f, spectrum) = random_quadratic(d, &mut rng)?;
        let x = gaussian_vector(d, &mut rng);
        let rho = 0.5;
        let (f_sam, eps_star) = sam_value(&f, &spectrum, &x, rho);
        let best_random = (0..20_000)
            .map(|_| {
                let u = gaussian_vector(d, &mut rng);
                f.value(&(&x + u.normalize() * rho))
            })
            .fold(f64::NEG_INFINITY, f64::max);
        report.push(
            Case::new(
                "d = 4: max of f(x + ε) over 20 000 random ‖ε‖ = ρ ≤ f_SAM(x)",
                Expect::Holds,
                best_random,
                Relation::LE,
                f_sam,
            )
            .with("rho", rho)
            .with("norm_eps_star", eps_star.norm()),
        );

        // 3. Danskin: ∇f_SAM(x) = ∇f(x + ε*), against central differences of f_SAM.
        let danskin = f.gradient(&(&x + &eps_star));
        let h = 1e-5;
        let fd = Vector::from_fn(d, |j, _| {
            let mut e = Vector::zeros(d);
            e[j] = h;
            (sam_value(&f, &spectrum, &(&x + &e), rho).0
                - sam_value(&f, &spectrum, &(&x - &e), rho).0)
                / (2.0 * h)
        });
        report.push(Case::new(
            "Danskin: ∇f_SAM(x) = ∇f(x + ε*(x)) vs central differences of f_SAM (h = 1e−5): rel. error",
            Expect::Holds,
            (&fd - &danskin).norm() / danskin.norm(),
            Relation::ApproxEq { rtol: 0.0, atol: 1e-7 },
            0.0,
        ));

        // 4. The SAM direction's error is (ρ²/‖g‖)‖A(Aĝ − (ĝᵀAĝ)ĝ)‖ + O(ρ³).
        let g = f.gradient(&x);
        let g_hat = g.normalize();
        let a = f.a();
        let coefficient = (a * (a * &g_hat - &g_hat * g_hat.dot(&(a * &g_hat)))).norm() / g.norm();
        let small_rho = 1e-3;
        let (_, eps_small) = sam_value(&f, &spectrum, &x, small_rho);
        let sam_direction = f.gradient(&(&x + &g_hat * small_rho));
        let error = (f.gradient(&(&x + &eps_small)) - sam_direction).norm();
        report.push(
            Case::new(
                "‖∇f_SAM − ∇f(x + ρĝ)‖/ρ² at ρ = 1e−3 = ‖A(Aĝ − (ĝᵀAĝ)ĝ)‖/‖g‖ (first-order SAM)",
                Expect::Holds,
                error / (small_rho * small_rho),
                Relation::ApproxEq {
                    rtol: 1e-2,
                    atol: 0.0,
                },
                coefficient,
            )
            .note("relative O(ρ) correction expected"),
        );

        // 5. Refuting: the SAM direction taken as the exact gradient of f_SAM at ρ = 0.5,
        // near the minimiser, where ρ‖A‖ is comparable with ‖∇f‖.
        let minimiser = -(spectrum.map(|l| 1.0 / l) * f.c());
        let x = &minimiser + gaussian_vector(d, &mut rng).normalize() * 0.3;
        let g = f.gradient(&x);
        let (f_sam, eps_star) = sam_value(&f, &spectrum, &x, rho);
        let true_gradient = f.gradient(&(&x + &eps_star));
        let direction = f.gradient(&(&x + g.normalize() * rho));
        let rel = (&direction - &true_gradient).norm() / true_gradient.norm();
        let cosine = direction.dot(&true_gradient) / (direction.norm() * true_gradient.norm());
        report.push(
            Case::new(
                "SAM direction ∇f(x + ρg/‖g‖) = ∇f_SAM(x) at ρ = 0.5, ‖x − x_min‖ = 0.3: rel. error",
                Expect::Violated,
                rel,
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-6,
                },
                0.0,
            )
            .with("cosine", cosine)
            .with("f_sam", f_sam)
            .with("first_order_f_sam", f.value(&x) + rho * g.norm()),
        );
        report.finding(format!(
            "SAM's step direction is only the first-order gradient of f_SAM: on a 4-D convex quadratic at ρ = {rho}, 0.3 from the minimiser, ‖∇f(x + ρĝ) − ∇f_SAM(x)‖/‖∇f_SAM‖ = {rel:.3e} (cosine {cosine:.6}); f_SAM(x) = {f_sam:.6} vs the first-order f(x) + ρ‖∇f‖ = {:.6}.",
            f.value(&x) + rho * g.norm()
        ));
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use numerics::Matrix;

    #[test]
    fn subproblem_hard_case_matches_brute_force() {
        // A = diag(1, 2), c = 0, x = (0.1, 0): g = (0.1, 0) ⟂ top eigenvector e₂, and
        // the non-top part g₁/(λ_max − λ₁) = 0.1 < ρ: the hard case, μ = λ_max.
        let a = Matrix::from_diagonal(&Vector::from_vec(vec![1.0, 2.0]));
        let f = Quadratic::homogeneous(a.clone()).unwrap();
        let spectrum = SymmetricSpectrum::new(&a).unwrap();
        let x = Vector::from_vec(vec![0.1, 0.0]);
        let rho = 0.5;
        let (value, eps) = sam_value(&f, &spectrum, &x, rho);
        assert!((eps.norm() - rho).abs() < 1e-14);
        assert!((value - brute_force_circle(&f, &x, rho)).abs() < 1e-12);
    }

    #[test]
    fn subproblem_at_a_stationary_point_moves_along_the_top_eigenvector() {
        let a = Matrix::from_diagonal(&Vector::from_vec(vec![3.0, 1.0]));
        let f = Quadratic::homogeneous(a.clone()).unwrap();
        let spectrum = SymmetricSpectrum::new(&a).unwrap();
        let (value, eps) = sam_value(&f, &spectrum, &Vector::zeros(2), 0.2);
        // max of ½εᵀAε on ‖ε‖ = 0.2 is ½·3·0.04 along e₁.
        assert!((value - 0.06).abs() < 1e-15);
        assert!((eps[0].abs() - 0.2).abs() < 1e-15);
    }
}
