//! `r_identity`: the r(x) identity of one noisy gradient step on a quadratic (spec §8.3;
//! checks C8.6, C8.7).
//!
//! For f(x) = ½xᵀHx and x_{k+1} = (I − γH)x_k − γs_k with E s = 0, Cov s = Σ:
//! E f(x_{k+1}) = r(x)f(x) + (γ²/2)tr(HΣ), r(x) = 1 − 2γ·xᵀH²x/xᵀHx + γ²·xᵀH³x/xᵀHx.
//!
//! Drawn, for the seeded (H, Σ) of [`random_problem`] (d = 6):
//! * r(x) against γ ([`r_factor`]) for a random x and for the top and bottom
//!   eigenvectors of H, with r = 1, γ = 2/λ_max(H) and the thresholds
//!   γ*(x) = 2xᵀH²x/xᵀH³x ([`r_threshold`]);
//! * E f(x_{k+1}) against γ for the random x: the identity, the noise-free part r(x)f(x),
//!   and Monte-Carlo means with Gaussian and Rademacher noise ([`sample_mean`]).

use super::{axis, linspace, panel, rule, series};
use crate::figures::{Entry, Figure, Inputs, Point, Source, Style};
use anyhow::{Context as _, Result};
use nalgebra::SymmetricEigen;
use numerics::smoothing::Kernel;
use numerics::{Seed, Vector};
use theory::stability::r_identity::random_problem;
use theory::stability::r_identity_monte_carlo::{sample_mean, Law};
use theory::stability::support::{r_factor, r_threshold};

/// The registry entry.
#[must_use]
pub fn entry() -> Entry {
    Entry {
        name: "r_identity",
        about: "r(x) = 1 − 2γxᵀH²x/xᵀHx + γ²xᵀH³x/xᵀHx against γ, and E f(x_{k+1}) = r(x)f(x) + (γ²/2)tr(HΣ) with Monte Carlo",
        claims: &["C8.6", "C8.7"],
        source: Source::Theory,
        make,
    }
}

/// Dimension of the quadratic.
pub const DIM: usize = 6;

fn make(inputs: &Inputs) -> Result<Figure> {
    let seed = Seed(inputs.seed);
    let mut rng = seed.stream("figure-r-identity");
    let (h, sigma) = random_problem(DIM, &mut rng);
    let eig = SymmetricEigen::new(h.clone());
    let (imax, imin) = (eig.eigenvalues.imax(), eig.eigenvalues.imin());
    let lmax = eig.eigenvalues[imax];
    let x = Kernel::Gaussian.sample(DIM, &mut rng);
    let top: Vector = eig.eigenvectors.column(imax).into_owned();
    let bottom: Vector = eig.eigenvectors.column(imin).into_owned();
    let gammas = linspace(0.0, 2.6 / lmax, if inputs.quick { 200 } else { 800 });
    let xs = [
        ("random x", &x),
        ("x = top eigenvector of H", &top),
        ("x = bottom eigenvector of H", &bottom),
    ];
    let mut curves: Vec<_> = xs
        .iter()
        .enumerate()
        .map(|(i, (name, v))| {
            series(
                format!("r(x), {name}"),
                Style::Line,
                Some(i),
                gammas
                    .iter()
                    .map(|&g| Point::xy(g, r_factor(&h, v, g)))
                    .collect(),
            )
        })
        .collect();
    let gamma_star = r_threshold(&h, &x);
    curves.push(series(
        format!("γ*(x) = 2xᵀH²x/xᵀH³x = {gamma_star:.3} (random x)"),
        Style::Markers,
        Some(3),
        vec![Point::xy(gamma_star, r_factor(&h, &x, gamma_star))],
    ));
    let mut left = panel(
        "the factor r(x): r < 1 ⇔ γ < γ*(x)",
        axis("step size γ", false),
        axis("r(x)", false),
        curves,
    );
    left.rules.push(rule(
        true,
        2.0 / lmax,
        format!("γ = 2/λ_max(H) = {:.3}", 2.0 / lmax),
    ));
    left.rules.push(rule(false, 1.0, "r = 1"));

    // E f(x_{k+1}) for the random x: identity, noise-free part, Monte Carlo.
    let fx = 0.5 * x.dot(&(&h * &x));
    let noise = (&h * &sigma).trace();
    let l = sigma
        .clone()
        .cholesky()
        .context("Σ is not positive definite")?
        .l();
    let identity = |g: f64| r_factor(&h, &x, g) * fx + 0.5 * g * g * noise;
    let samples = if inputs.quick { 20_000 } else { 200_000 };
    let zero = Vector::zeros(DIM);
    let mut mc = Vec::new();
    for (law, name) in [(Law::Gaussian, "Gaussian"), (Law::Rademacher, "Rademacher")] {
        let points = linspace(0.1 / lmax, 2.4 / lmax, 12)
            .into_iter()
            .map(|g| {
                let y = &x - &h * &x * g;
                let st = sample_mean(&h, &y, &l, &zero, g, law, samples, &mut rng);
                Point::xy(g, st.mean())
            })
            .collect();
        mc.push(series(
            format!("Monte Carlo, {name} noise s = Lz ({samples} draws)"),
            Style::Markers,
            Some(mc.len() + 3),
            points,
        ));
    }
    let mut right_series = vec![
        series(
            "r(x)f(x) + (γ²/2)tr(HΣ) (identity)",
            Style::Line,
            Some(0),
            gammas.iter().map(|&g| Point::xy(g, identity(g))).collect(),
        ),
        series(
            "r(x)f(x) (noise-free part)",
            Style::Dashed,
            Some(7),
            gammas
                .iter()
                .map(|&g| Point::xy(g, r_factor(&h, &x, g) * fx))
                .collect(),
        ),
    ];
    right_series.extend(mc);
    let mut right = panel(
        format!("E f(x_(k+1)) from the random x, f(x) = {fx:.3}"),
        axis("step size γ", false),
        axis("E f(x_(k+1))", false),
        right_series,
    );
    right.rules.push(rule(false, fx, "f(x_k)"));
    Ok(Figure {
        name: "r_identity".into(),
        title: "The r(x) identity: E f(x_(k+1)) = r(x)f(x) + (γ²/2)tr(HΣ) for f = ½xᵀHx".into(),
        panels: vec![left, right],
        columns: 2,
        caption: format!(
            "Seeded H ⪰ 0 and Σ (d = {DIM}, seed {}; theory::stability::r_identity::random_problem) \
             with λ_max(H) = {lmax:.3} and tr(HΣ) = {noise:.3}. Left: r(x) from \
             theory::stability::support::r_factor for three x (check C8.6); r < 1 exactly for \
             γ < γ*(x), and γ < 2/λ_max(H) suffices. Right: the identity against Monte-Carlo means of \
             f(x_(k+1)) with zero-mean noise of covariance Σ (check C8.7). \
             Made by `igo figure r_identity`.",
            inputs.seed
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_curves_match_the_spectral_form_and_monte_carlo_matches_the_identity() {
        let inputs = Inputs {
            experiments: std::path::PathBuf::new(),
            seed: 5,
            quick: true,
        };
        let fig = make(&inputs).unwrap();
        let mut rng = Seed(5).stream("figure-r-identity");
        let (h, sigma) = random_problem(DIM, &mut rng);
        let x = Kernel::Gaussian.sample(DIM, &mut rng);
        // Spectral form: r = Σλᵢcᵢ²(1 − γλᵢ)² / Σλᵢcᵢ², c = Qᵀx (an independent formula).
        let eig = SymmetricEigen::new(h.clone());
        let c = eig.eigenvectors.transpose() * &x;
        let spectral = |g: f64| {
            let (mut num, mut den) = (0.0, 0.0);
            for (l, ci) in eig.eigenvalues.iter().zip(c.iter()) {
                num += l * ci * ci * (1.0 - g * l).powi(2);
                den += l * ci * ci;
            }
            num / den
        };
        for q in fig.panels[0].series[0].points.iter().step_by(13) {
            assert!(
                (q.y - spectral(q.x)).abs() < 1e-12 * q.y.abs().max(1.0),
                "{q:?}"
            );
        }
        // γ* is where r = 1.
        let star = fig.panels[0].series[3].points[0];
        assert!((spectral(star.x) - 1.0).abs() < 1e-12);
        // Monte-Carlo means within 4 % of the identity evaluated here.
        let fx = 0.5 * x.dot(&(&h * &x));
        let tr = (&h * &sigma).trace();
        for s in &fig.panels[1].series[2..] {
            for q in &s.points {
                let want = spectral(q.x) * fx + 0.5 * q.x * q.x * tr;
                assert!(
                    (q.y / want - 1.0).abs() < 0.04,
                    "{}: {q:?} vs {want}",
                    s.label
                );
            }
        }
    }
}
