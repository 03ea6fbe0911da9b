//! `rastrigin_smoothed_1d`: smoothed Rastrigin in one dimension across δ for each
//! kernel, κ(δ), and the strong-convexity modulus σ(δ; 3δ) with the Gaussian failure
//! interval (checks C1.2, C5.2, C5.3).
//!
//! Drawn:
//! * per kernel, f̂_δ(x) = x² + δ²E u² + 10(1 − κ(δ)cos 2πx) on x ∈ [−3, 3] for
//!   δ ∈ {0, 0.2, 0.35, 0.5, 0.75, 1} ([`SmoothedRastrigin`]), with the global minimisers
//!   ±t*(κ(δ)) ([`coordinate_minimiser`]). In one dimension GUNIT (u ~ N(0, 1/d)) is
//!   GISO (u ~ N(0, 1)), so the Gaussian panel stands for both;
//! * κ(δ) = E cos(2πδu) ([`Kernel::kappa`]) on a log δ-grid, with the unimodality
//!   threshold κ_c ([`unimodality_threshold`]);
//! * σ(δ; 3δ) = min over |t − t*| ≤ 3δ of g''_δ(t) ([`modulus`]), with σ = 0;
//! * on both δ-panels, the interval where σ(δ; 3δ) ≤ 0 for the Gaussian kernel
//!   ([`failure_intervals`] on C5.3's grid δ = k/1000, k = 1..8000).

use super::{axis, linspace, logspace, panel, rule, series, span};
use crate::figures::{Entry, Figure, Inputs, Point, Source, Style};
use anyhow::{Context as _, Result};
use numerics::objective::Objective;
use numerics::smoothing::rastrigin_landscape::{
    coordinate_minimiser, failure_intervals, modulus, unimodality_threshold, RadiusRule,
};
use numerics::smoothing::{Kernel, SmoothedRastrigin};
use numerics::Vector;

/// The registry entry.
#[must_use]
pub fn entry() -> Entry {
    Entry {
        name: "rastrigin_smoothed_1d",
        about: "1-D smoothed Rastrigin across δ per kernel; κ(δ) and σ(δ; 3δ) with the Gaussian strong-convexity failure interval",
        claims: &["C1.2", "C5.2", "C5.3"],
        source: Source::Theory,
        make,
    }
}

/// The degrees of smoothing drawn as curves.
pub const DELTAS: [f64; 6] = [0.0, 0.2, 0.35, 0.5, 0.75, 1.0];

/// The kernels drawn in one dimension (GUNIT equals GISO there).
pub const KERNELS: [(Kernel, &str); 2] = [
    (
        Kernel::Gaussian,
        "Gaussian kernel u ~ N(0, 1) (GISO = GUNIT in 1-D)",
    ),
    (Kernel::Ball, "uniform kernel u ~ U[−1, 1] (BALL)"),
];

/// The grid of check C5.3: δ = k/1000, k = 1..8000.
pub(crate) fn c53_grid() -> Vec<f64> {
    (1..=8000).map(|k| f64::from(k) * 1e-3).collect()
}

/// The first interval where σ(δ; 3δ) ≤ 0 for the Gaussian kernel in dimension `d`
/// (check C5.3; GISO's κ does not depend on d).
///
/// # Errors
/// If the library finds no failure interval.
pub fn gaussian_failure_interval(d: usize) -> Result<(f64, f64)> {
    let iv = failure_intervals(
        Kernel::Gaussian,
        d,
        &c53_grid(),
        RadiusRule::Proportional(3.0),
    )?;
    let first = iv
        .first()
        .context("no δ-interval where σ(δ; 3δ) ≤ 0 for the Gaussian kernel")?;
    Ok((first.lo, first.hi))
}

/// The curves f̂_δ on `xs` for one kernel, and the global minimisers.
fn curves(kernel: Kernel, xs: &[f64]) -> Result<Vec<crate::figures::Series>> {
    let mut out = Vec::new();
    let mut minimisers = Vec::new();
    for (i, &delta) in DELTAS.iter().enumerate() {
        let f = SmoothedRastrigin::new(1, kernel, delta)?;
        let points = xs
            .iter()
            .map(|&x| Point::xy(x, f.value(&Vector::from_element(1, x))))
            .collect();
        let label = if delta > 0.0 {
            format!("δ = {delta}")
        } else {
            "δ = 0 (Rastrigin)".into()
        };
        let style = if delta > 0.0 {
            Style::Line
        } else {
            Style::Dashed
        };
        out.push(series(
            label,
            style,
            Some(if delta > 0.0 { i } else { 7 }),
            points,
        ));
        let t = coordinate_minimiser(f.kappa());
        for s in if t > 0.0 { vec![-t, t] } else { vec![0.0] } {
            minimisers.push(Point::xy(s, f.value(&Vector::from_element(1, s))));
        }
    }
    out.push(series(
        "global minimisers x*_δ",
        Style::Markers,
        Some(3),
        minimisers,
    ));
    Ok(out)
}

fn make(inputs: &Inputs) -> Result<Figure> {
    let xs = linspace(-3.0, 3.0, if inputs.quick { 241 } else { 1201 });
    let deltas = logspace(0.01, 3.0, if inputs.quick { 300 } else { 1500 });
    let (lo, hi) = gaussian_failure_interval(1)?;
    let failure = format!("Gaussian: σ(δ; 3δ) ≤ 0 for δ ∈ ({lo:.5}, {hi:.5})");
    let mut panels = Vec::new();
    for (kernel, title) in KERNELS {
        panels.push(panel(
            title,
            axis("x", false),
            axis("f_δ(x) = E f(x − δu)", false),
            curves(kernel, &xs)?,
        ));
    }
    let kappa: Vec<_> = KERNELS
        .iter()
        .enumerate()
        .map(|(i, (k, _))| {
            series(
                format!("κ(δ), {}", k.name()),
                Style::Line,
                Some(i),
                deltas
                    .iter()
                    .map(|&d| Point::xy(d, k.kappa(1, d)))
                    .collect(),
            )
        })
        .collect();
    let mut kappa_panel = panel(
        "κ(δ) = E cos(2πδu): the weight of the cosine term",
        axis("degree of smoothing δ", true),
        axis("κ(δ)", false),
        kappa,
    );
    kappa_panel.spans.push(span(lo, hi, failure.clone()));
    kappa_panel.rules.push(rule(
        false,
        unimodality_threshold(),
        format!(
            "κ_c = {:.5}: spurious minima iff κ > κ_c",
            unimodality_threshold()
        ),
    ));
    panels.push(kappa_panel);
    let sigma: Vec<_> = KERNELS
        .iter()
        .enumerate()
        .map(|(i, (k, _))| {
            series(
                format!("σ(δ; 3δ), {}", k.name()),
                Style::Line,
                Some(i),
                deltas
                    .iter()
                    .map(|&d| Point::xy(d, modulus(*k, 1, d, RadiusRule::Proportional(3.0))))
                    .collect(),
            )
        })
        .collect();
    let mut sigma_panel = panel(
        "strong convexity of f_δ on B(x*_δ, 3δ) (Hazan et al.)",
        axis("degree of smoothing δ", true),
        axis("σ(δ; 3δ) = min g''_δ on the ball", false),
        sigma,
    );
    sigma_panel.spans.push(span(lo, hi, failure));
    sigma_panel
        .rules
        .push(rule(false, 0.0, "σ = 0: not strongly convex below"));
    panels.push(sigma_panel);
    Ok(Figure {
        name: "rastrigin_smoothed_1d".into(),
        title: "Smoothed Rastrigin in 1-D: f_δ per kernel, κ(δ) and local strong convexity".into(),
        panels,
        columns: 2,
        caption: format!(
            "Closed form f_δ(x) = x² + δ²E u² + 10(1 − κ(δ)cos 2πx) of f_δ(x) = E_u[f(x − δu)] \
             (numerics::smoothing::SmoothedRastrigin; checks C1.2, C5.2), markers at the global \
             minimisers ±t*(κ). κ(δ) and σ(δ; 3δ) from numerics::smoothing::rastrigin_landscape \
             (check C5.3); the shaded interval ({lo:.5}, {hi:.5}) is computed by failure_intervals on \
             C5.3's grid: there f_δ is not strongly convex on B(x*_δ, 3δ) for the Gaussian kernel, \
             so smoothed Rastrigin is not σ-nice under Hazan et al.'s definition. \
             Made by `igo figure rastrigin_smoothed_1d`."
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn figure() -> Figure {
        make(&Inputs {
            experiments: std::path::PathBuf::new(),
            seed: 0,
            quick: true,
        })
        .unwrap()
    }

    /// E f(x − δu), u ~ N(0, 1), by the trapezoid rule on u ∈ [−12, 12]: an
    /// independent computation of the smoothed value from Rastrigin itself.
    fn gaussian_smoothing_by_quadrature(x: f64, delta: f64) -> f64 {
        let f = |t: f64| 10.0 + t * t - 10.0 * (2.0 * PI * t).cos();
        let n = 48_000;
        let h = 24.0 / f64::from(n);
        (0..=n)
            .map(|k| {
                let u = -12.0 + h * f64::from(k);
                let w = if k == 0 || k == n { 0.5 } else { 1.0 };
                w * f(x - delta * u) * (-u * u / 2.0).exp()
            })
            .sum::<f64>()
            * h
            / (2.0 * PI).sqrt()
    }

    /// E f(x − δu), u ~ U[−1, 1], by the midpoint rule.
    fn ball_smoothing_by_quadrature(x: f64, delta: f64) -> f64 {
        let f = |t: f64| 10.0 + t * t - 10.0 * (2.0 * PI * t).cos();
        let n = 200_000;
        (0..n)
            .map(|k| f(x - delta * (-1.0 + (f64::from(k) + 0.5) * 2.0 / f64::from(n))))
            .sum::<f64>()
            / f64::from(n)
    }

    #[test]
    fn curves_equal_the_smoothing_integral_by_quadrature() {
        let fig = figure();
        for (p, quadrature) in [
            (
                0usize,
                gaussian_smoothing_by_quadrature as fn(f64, f64) -> f64,
            ),
            (1, ball_smoothing_by_quadrature),
        ] {
            for (s, &delta) in fig.panels[p].series.iter().zip(DELTAS.iter()) {
                for q in s.points.iter().step_by(37) {
                    let want = quadrature(q.x, delta);
                    assert!(
                        (q.y - want).abs() < 1e-6 * want.abs().max(1.0),
                        "panel {p} δ = {delta} x = {}: {} vs quadrature {want}",
                        q.x,
                        q.y
                    );
                }
            }
        }
    }

    #[test]
    fn failure_span_ends_are_where_sigma_changes_sign() {
        let fig = figure();
        let s = &fig.panels[3].spans[0];
        // Independent: σ(δ; 3δ) of the Gaussian kernel by brute force over the ball.
        let sigma = |delta: f64| {
            let kappa = (-2.0 * PI * PI * delta * delta).exp();
            (0..=20_000)
                .map(|k| -3.0 * delta + 6.0 * delta * f64::from(k) / 20_000.0)
                .map(|t| 2.0 + 40.0 * PI * PI * kappa * (2.0 * PI * t).cos())
                .fold(f64::INFINITY, f64::min)
        };
        assert!(
            sigma(s.from - 1e-4) > 0.0 && sigma(s.from + 1e-4) < 0.0,
            "{s:?}"
        );
        assert!(
            sigma(s.to - 1e-4) < 0.0 && sigma(s.to + 1e-4) > 0.0,
            "{s:?}"
        );
        // The upper end is the global-convexity threshold √(ln(20π²)/(2π²)).
        let upper = ((20.0 * PI * PI).ln() / (2.0 * PI * PI)).sqrt();
        assert!((s.to - upper).abs() < 1e-9, "{} vs {upper}", s.to);
    }

    #[test]
    fn ball_minimisers_split_when_kappa_is_negative() {
        // BALL, d = 1, δ = 0.75: κ = sin(1.5π)/(1.5π) < −1/(20π²), so the minimisers
        // are ±t* ≠ 0 where g'(t) = 2t + 20πκ sin 2πt = 0.
        let fig = figure();
        let markers = fig.panels[1].series.last().unwrap();
        let kappa = (1.5 * PI).sin() / (1.5 * PI);
        let g = |t: f64| t * t - 10.0 * kappa * (2.0 * PI * t).cos();
        let split: Vec<_> = markers.points.iter().filter(|p| p.x > 0.0).collect();
        assert!(!split.is_empty());
        let t = split
            .iter()
            .map(|p| p.x)
            .find(|&t| (2.0 * t + 20.0 * PI * kappa * (2.0 * PI * t).sin()).abs() < 1e-9)
            .expect("a stationary point of g at δ = 0.75");
        // And it is the global minimum of g on a fine grid.
        let grid_min = (0..=600_000)
            .map(|k| g(-3.0 + f64::from(k) * 1e-5))
            .fold(f64::INFINITY, f64::min);
        assert!(g(t) <= grid_min + 1e-12);
    }
}
