//! C8.1 — GD linear stability (lecture 002; spec §8.1).
//!
//! Near a minimum x* with Hessian H ⪰ 0, gradient descent with step γ moves the error
//! eₖ = xₖ − x* by eₖ₊₁ = (I − γH)eₖ. The minimum is stable iff the spectral radius
//! max_i |1 − γλᵢ(H)| ≤ 1, i.e. iff λ_max(H) ≤ 2/γ; beyond, the component along the
//! top eigenvector grows by exactly |1 − γλ_max| per step, and at λ_max = 2/γ it
//! flips sign every step (a 2-cycle of constant norm).
//!
//! The check runs GD through the gradient of a [`Quadratic`] f(x) = ½xᵀHx with
//! H = Q diag(λ) Qᵀ (Q random orthogonal, λ chosen around 2/γ) and compares:
//! * the measured per-step growth along the top eigenvector with the closed form
//!   |1 − γλ_max| (λ_max is a construction input, not computed by the code under test),
//!   to 1e−12;
//! * the 2-cycle at λ_max = 2/γ (‖eₖ‖ constant, eₖ₊₂ = eₖ) to 1e−12;
//! * the stable/unstable verdict of the criterion with the observed boundedness of
//!   ‖eₖ‖ over a grid of γ;
//! * refuting case: the slide's literal "λ_max(I − γH) ≤ 1" holds for every γ > 0 when
//!   H ⪰ 0 (it equals 1 − γλ_min), so read as a criterion it predicts stability at
//!   γλ_max = 2.2, where GD diverges: reported FALSIFIED.

use crate::support::{gaussian_vector, random_orthogonal, with_spectrum};
use crate::{Case, Check, Expect, Relation, Report, Result};
use numerics::objective::{Objective, Quadratic};
use numerics::{Seed, Vector};

/// C8.1: GD is linearly stable iff λ_max(H) ≤ 2/γ; otherwise ‖eₖ‖ ~ |1 − γλ_max|ᵏ.
#[derive(Debug, Clone, Copy, Default)]
pub struct GdStability;

/// The eigenvalues of H below the top one (all < 2/γ for every γ used).
const LOWER_SPECTRUM: [f64; 5] = [0.1, 0.5, 1.0, 1.7, 2.3];

/// Step size γ of the fixed-γ cases (2/γ = 4).
const GAMMA: f64 = 0.5;

/// GD iterates e₀, …, e_K of eₖ₊₁ = eₖ − γ∇f(eₖ) (f has its minimum at 0).
fn gd_path(f: &Quadratic, e0: &Vector, gamma: f64, steps: usize) -> Vec<Vector> {
    let mut path = Vec::with_capacity(steps + 1);
    let mut e = e0.clone();
    path.push(e.clone());
    for _ in 0..steps {
        e -= f.gradient(&e) * gamma;
        path.push(e.clone());
    }
    path
}

impl Check for GdStability {
    fn id(&self) -> &'static str {
        "gd_stability"
    }
    fn spec_id(&self) -> &'static str {
        "C8.1"
    }
    fn statement(&self) -> &'static str {
        "GD near a minimum, e_{k+1} = (I − γH)e_k, is stable iff max_i|1 − γλ_i(H)| ≤ 1 (λ_max ≤ 2/γ for H ⪰ 0); beyond, ‖e_k‖ grows like |1 − γλ_max|^k"
    }

    fn run(&self, seed: Seed) -> Result<Report> {
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("gd-stability");
        let d = LOWER_SPECTRUM.len() + 1;
        let q = random_orthogonal(d, &mut rng);
        let top = q.column(d - 1).into_owned();
        let w = gaussian_vector(d, &mut rng);
        let spectrum = |lambda_max: f64| {
            let mut l = LOWER_SPECTRUM.to_vec();
            l.push(lambda_max);
            l
        };
        let quadratic =
            |lambda_max: f64| Quadratic::homogeneous(with_spectrum(&q, &spectrum(lambda_max)));

        // Growth along the top eigenvector, stable and unstable side.
        let steps = 20;
        for (label, lambda_max) in [("stable", 3.0), ("unstable", 4.4)] {
            let f = quadratic(lambda_max)?;
            let e0 = &top + &w * 1e-3;
            let path = gd_path(&f, &e0, GAMMA, steps);
            let first = top.dot(&path[0]).abs();
            let last = top.dot(&path[steps]).abs();
            let growth = (last / first).powf(1.0 / steps as f64);
            // Reference: the closed form |1 − γλ_max| from the construction input.
            let reference = (1.0 - GAMMA * lambda_max).abs();
            report.push(
                Case::new(
                    format!("{label}: per-step growth along the top eigenvector = |1 − γλ_max|"),
                    Expect::Holds,
                    growth,
                    Relation::ApproxEq {
                        rtol: 1e-12,
                        atol: 0.0,
                    },
                    reference,
                )
                .with("gamma", GAMMA)
                .with("lambda_max", lambda_max)
                .with("two_over_gamma", 2.0 / GAMMA)
                .with("steps", steps)
                .note("geometric mean of |vᵀe_{k+1}|/|vᵀe_k| over 20 GD steps, e₀ = v + 1e−3·w"),
            );
        }

        // The 2-cycle at λ_max = 2/γ.
        let f = quadratic(2.0 / GAMMA)?;
        let cycle_steps = 50;
        let path = gd_path(&f, &top, GAMMA, cycle_steps);
        let norm_ratio = path[cycle_steps].norm() / path[0].norm();
        report.push(
            Case::new(
                "λ_max = 2/γ: ‖e_K‖/‖e₀‖ = 1 (constant norm)",
                Expect::Holds,
                norm_ratio,
                Relation::ApproxEq {
                    rtol: 1e-12,
                    atol: 0.0,
                },
                1.0,
            )
            .with("gamma", GAMMA)
            .with("lambda_max", 2.0 / GAMMA)
            .with("steps", cycle_steps),
        );
        let period_defect = (0..cycle_steps - 1)
            .map(|k| (&path[k + 2] - &path[k]).norm())
            .fold(0.0, f64::max)
            / path[0].norm();
        let flip_defect = (0..cycle_steps)
            .map(|k| (&path[k + 1] + &path[k]).norm())
            .fold(0.0, f64::max)
            / path[0].norm();
        report.push(
            Case::new(
                "λ_max = 2/γ: e_{k+2} = e_k and e_{k+1} = −e_k (2-cycle), max defect",
                Expect::Holds,
                period_defect.max(flip_defect),
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-12,
                },
                0.0,
            )
            .with("steps", cycle_steps),
        );

        // The criterion against observed boundedness over a grid of γ·λ_max.
        let lambda_max = 4.0;
        let f = quadratic(lambda_max)?;
        let e0 = gaussian_vector(d, &mut rng);
        let grid = [0.5, 1.0, 1.5, 1.9, 1.95, 2.05, 2.1, 2.5, 3.0];
        let mut disagreements = 0usize;
        let mut detail = Vec::new();
        for c in grid {
            let gamma = c / lambda_max;
            let radius = spectrum(lambda_max)
                .iter()
                .map(|l| (1.0 - gamma * l).abs())
                .fold(0.0, f64::max);
            let predicted_stable = radius <= 1.0;
            let path = gd_path(&f, &e0, gamma, 300);
            let sup = path.iter().map(Vector::norm).fold(0.0, f64::max) / e0.norm();
            let observed_stable = sup <= 1.0 + 1e-12;
            if predicted_stable != observed_stable {
                disagreements += 1;
            }
            detail.push(format!(
                "γλ_max={c}: ρ={radius:.3}, sup‖e_k‖/‖e₀‖={sup:.3e}"
            ));
        }
        report.push(
            Case::new(
                "criterion max|1 − γλᵢ| ≤ 1 ⇔ sup_k ‖e_k‖ ≤ ‖e₀‖ over a γ grid: disagreements",
                Expect::Holds,
                disagreements as f64,
                Relation::EXACT,
                0.0,
            )
            .with("gamma_lambda_max", grid.to_vec())
            .with("steps", 300)
            .note(detail.join("; ")),
        );

        // Refuting: the slide's literal λ_max(I − γH) ≤ 1 read as the criterion.
        let lambda_max = 4.4;
        let f = quadratic(lambda_max)?;
        let slide_value = 1.0 - GAMMA * LOWER_SPECTRUM[0]; // λ_max(I − γH) = 1 − γλ_min
        let path = gd_path(&f, &e0, GAMMA, 100);
        let blow_up = path[100].norm() / e0.norm();
        report.push(
            Case::new(
                "slide's λ_max(I − γH) ≤ 1 as criterion: predicts ‖e_K‖ ≤ ‖e₀‖ at γλ_max = 2.2",
                Expect::Violated,
                blow_up,
                Relation::LE,
                1.0,
            )
            .with("gamma", GAMMA)
            .with("lambda_max", lambda_max)
            .with("lambda_max_of_I_minus_gamma_H", slide_value)
            .with("steps", 100)
            .note("λ_max(I − γH) = 1 − γλ_min ≤ 1 for every γ when H ⪰ 0; the criterion must be the spectral radius"),
        );
        report.finding(format!(
            "Slide typo: \"λ_max(I − γH) ≤ 1\" must read spectral radius max|1 − γλᵢ| ≤ 1. With H ⪰ 0, λ_max(I − γH) = 1 − γλ_min ≤ 1 always (here {slide_value}), yet at γ = {GAMMA}, λ_max = {lambda_max} GD grows by |1 − γλ_max| = {:.1} per step (‖e_100‖/‖e₀‖ = {blow_up:.3e}).",
            (1.0 - GAMMA * lambda_max).abs()
        ));
        Ok(report)
    }
}
