//! The noise ball of constant-step SGD, and over- vs under-parameterised least squares
//! (lecture 003; spec §9.1, §9.5; checks C9.1, C9.8, C9.9, C9.10).
//!
//! Problems: `numerics::objective::LeastSquares::gaussian` with A ∈ R^{200×100}
//! (under-parameterised) and A ∈ R^{200×1000} (over-parameterised), drawn from the
//! figure's seed; single-sample SGD x ← x − γ∇fᵢ(x) (i uniform, through
//! `FiniteSum::sample_gradient`) from x₀ = 0, one run per seed of the band.
//! Limits and floors from `theory::lecture_003` (the checks' own functions):
//! x* and the stationary covariance P = T(P) + γ²Q of the under-parameterised problem
//! ([`UnderParameterised`]), the minimum-norm interpolant x† of the over-parameterised
//! one ([`OverParameterised`]).
//!
//! Panels:
//! 1. ‖x_k − x*‖² against k for three steps γ·median‖aᵢ‖² ∈ {½, ¼, ⅛} (min–max band over
//!    the runs, mean as a line) with the exact floor tr P(γ) dashed;
//! 2. the same step γ·max‖aᵢ‖² = ½ on both problems: the under-parameterised error
//!    stalls at tr P, the over-parameterised one (‖x_k − x†‖²) falls linearly to the
//!    rounding floor;
//! 3. the floor against γ: exact tr P(γ) on a grid, the slope-1 line through its
//!    smallest-γ point, and the runs' time averages of ‖x_k − x*‖² over the last third
//!    of panel 1's runs.

use crate::figures::chart::axis;
use crate::figures::{Figure, Inputs, Panel, Point, Series, Style};
use anyhow::Context as _;
use numerics::objective::{FiniteSum, LeastSquares};
use numerics::{Seed, Vector};
use rand::Rng as _;
use theory::lecture_003::{OverParameterised, UnderParameterised};

/// Samples N of both problems (spec §9.5).
pub const SAMPLES: usize = 200;
/// Dimension of the under-parameterised problem.
pub const UNDER_DIM: usize = 100;
/// Dimension of the over-parameterised problem.
pub const OVER_DIM: usize = 1000;
/// γ·median‖aᵢ‖² of panel 1.
pub const STEPS_MEDIAN: [f64; 3] = [0.5, 0.25, 0.125];
/// γ·max‖aᵢ‖² of panel 2.
pub const STEP_MAX: f64 = 0.5;

/// Sizes of the runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Runs (seeds) per band.
    pub runs: u64,
    /// SGD steps per run.
    pub steps: usize,
    /// Points recorded per run.
    pub points: usize,
    /// Grid points of panel 3.
    pub grid: usize,
}

impl Budget {
    /// Full: 8 runs of 60 000 steps, 300 points each, 9 grid points; quick: 3 runs,
    /// 150 points, 5 grid points (same steps: the floor must be reached).
    #[must_use]
    pub fn of(quick: bool) -> Self {
        if quick {
            Self {
                runs: 3,
                steps: 60_000,
                points: 150,
                grid: 5,
            }
        } else {
            Self {
                runs: 8,
                steps: 60_000,
                points: 300,
                grid: 9,
            }
        }
    }
}

/// ‖x_k − x_lim‖² at `points` evenly spaced k (including k = 0) of a single-sample SGD
/// run of `steps` steps with step `gamma` from x₀ = 0.
#[must_use]
pub fn sgd_errors(
    ls: &LeastSquares,
    limit: &Vector,
    gamma: f64,
    steps: usize,
    points: usize,
    seed: Seed,
) -> Vec<(f64, f64)> {
    let mut rng = seed.stream("noise-ball-run");
    let stride = (steps / points.max(1)).max(1);
    let mut x = Vector::zeros(ls.a().ncols());
    let mut out = vec![(0.0, (&x - limit).norm_squared())];
    for k in 1..=steps {
        let i = rng.random_range(0..ls.n());
        let g = ls.sample_gradient(i, &x);
        x.axpy(-gamma, &g, 1.0);
        if k % stride == 0 {
            out.push((k as f64, (&x - limit).norm_squared()));
        }
    }
    out
}

/// The band over `runs` seeds (children of `seed`) of [`sgd_errors`].
fn error_band(
    ls: &LeastSquares,
    limit: &Vector,
    gamma: f64,
    budget: Budget,
    seed: Seed,
) -> (Vec<Point>, Vec<Vec<(f64, f64)>>) {
    let curves: Vec<Vec<(f64, f64)>> = (0..budget.runs)
        .map(|r| sgd_errors(ls, limit, gamma, budget.steps, budget.points, seed.child(r)))
        .collect();
    (super::records::band(&curves), curves)
}

/// Squared row norms ‖aᵢ‖², sorted.
fn sorted_norms(ls: &LeastSquares) -> Vec<f64> {
    let mut n: Vec<f64> = ls.a().row_iter().map(|r| r.norm_squared()).collect();
    n.sort_by(f64::total_cmp);
    n
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    0.5 * (sorted[(n - 1) / 2] + sorted[n / 2])
}

/// A horizontal dashed reference from x = 0 to `x_end`.
fn level(label: String, color: usize, y: f64, x_end: f64) -> Series {
    Series {
        label,
        style: Style::Dashed,
        color: Some(color),
        points: vec![Point::xy(0.0, y), Point::xy(x_end, y)],
    }
}

/// Mean of the y of the last third of a curve.
fn tail_mean(curve: &[(f64, f64)]) -> f64 {
    let start = curve.len() * 2 / 3;
    let tail = &curve[start..];
    tail.iter().map(|p| p.1).sum::<f64>() / tail.len().max(1) as f64
}

/// The figure with the given run sizes.
///
/// # Errors
/// A singular problem or a stationary covariance that does not converge (the steps
/// drawn are mean-square stable, so neither happens for Gaussian data).
pub fn figure_with(seed: Seed, budget: Budget) -> anyhow::Result<Figure> {
    let under = UnderParameterised::new(LeastSquares::gaussian(
        SAMPLES,
        UNDER_DIM,
        &mut seed.stream("noise-ball-under-data"),
    )?)
    .context("under-parameterised least squares")?;
    let over = OverParameterised::new(LeastSquares::gaussian(
        SAMPLES,
        OVER_DIM,
        &mut seed.stream("noise-ball-over-data"),
    )?)
    .context("over-parameterised least squares")?;
    let under_norms = sorted_norms(&under.ls);
    let med = median(&under_norms);
    let end = budget.steps as f64;

    // Panel 1: three steps, floors dashed.
    let mut floor_series = Vec::new();
    let mut simulated = Vec::new();
    let mut floors = Vec::new();
    for (i, &c) in STEPS_MEDIAN.iter().enumerate() {
        let gamma = c / med;
        let (band, curves) = error_band(
            &under.ls,
            &under.x_star,
            gamma,
            budget,
            seed.child(10 + i as u64),
        );
        let trace = under.stationary_covariance(gamma)?.covariance.trace();
        let tails: Vec<f64> = curves.iter().map(|c| tail_mean(c)).collect();
        simulated.extend(tails.iter().map(|&t| Point::xy(gamma, t)));
        floors.push((
            c,
            trace,
            tails.iter().sum::<f64>() / tails.len().max(1) as f64,
        ));
        floor_series.push(Series {
            label: format!("γ·median‖aᵢ‖² = {c}"),
            style: Style::Band,
            color: Some(i),
            points: band,
        });
        floor_series.push(level(format!("tr P(γ) = {trace:.4}"), i, trace, end));
    }
    let panel1 = Panel {
        title: format!("under-parameterised A ∈ R^({SAMPLES}×{UNDER_DIM}): noise floor"),
        x: axis("SGD steps k (single sample)", false),
        y: axis("‖x_k − x*‖² (log)", true),
        series: floor_series,
        spans: Vec::new(),
        rules: Vec::new(),
        shade_label: None,
    };

    // Panel 2: under vs over at γ·max‖aᵢ‖² = ½.
    let over_norms = sorted_norms(&over.ls);
    let gamma_under = STEP_MAX / under_norms.last().copied().unwrap_or(f64::NAN);
    let gamma_over = STEP_MAX / over_norms.last().copied().unwrap_or(f64::NAN);
    let (band_under, _) = error_band(
        &under.ls,
        &under.x_star,
        gamma_under,
        budget,
        seed.child(20),
    );
    let (band_over, over_curves) =
        error_band(&over.ls, &over.x_dagger, gamma_over, budget, seed.child(21));
    let trace_under = under.stationary_covariance(gamma_under)?.covariance.trace();
    let over_final = over_curves
        .iter()
        .filter_map(|c| c.last().map(|p| p.1))
        .fold(0.0, f64::max);
    let panel2 = Panel {
        title: format!("same γ·max‖aᵢ‖² = {STEP_MAX}: under- vs over-parameterised"),
        x: axis("SGD steps k (single sample)", false),
        y: axis("‖x_k − x_lim‖² (log)", true),
        series: vec![
            Series {
                label: format!("under, d = {UNDER_DIM}: ‖x_k − x*‖²"),
                style: Style::Band,
                color: Some(0),
                points: band_under,
            },
            level(format!("tr P(γ) = {trace_under:.4}"), 0, trace_under, end),
            Series {
                label: format!("over, d = {OVER_DIM}: ‖x_k − x†‖²"),
                style: Style::Band,
                color: Some(3),
                points: band_over,
            },
        ],
        spans: Vec::new(),
        rules: Vec::new(),
        shade_label: None,
    };

    // Panel 3: floor against γ.
    let (lo, hi): (f64, f64) = (1.0 / 64.0, 1.0);
    let grid: Vec<f64> = (0..budget.grid)
        .map(|k| lo * (hi / lo).powf(k as f64 / (budget.grid - 1).max(1) as f64))
        .collect();
    let mut exact = Vec::new();
    for &c in &grid {
        let gamma = c / med;
        exact.push(Point::xy(
            gamma,
            under.stationary_covariance(gamma)?.covariance.trace(),
        ));
    }
    let slope_one = exact.first().map_or_else(Vec::new, |p0| {
        exact
            .iter()
            .map(|p| Point::xy(p.x, p0.y * p.x / p0.x))
            .collect()
    });
    let panel3 = Panel {
        title: "noise floor against the step".into(),
        x: axis("step γ (log)", true),
        y: axis("E‖x − x*‖² at stationarity (log)", true),
        series: vec![
            Series {
                label: "exact tr P(γ), P = T(P) + γ²Q".into(),
                style: Style::Line,
                color: Some(0),
                points: exact,
            },
            Series {
                label: "slope 1 (floor ∝ γ)".into(),
                style: Style::Dashed,
                color: Some(7),
                points: slope_one,
            },
            Series {
                label: "SGD runs: time average over the last third".into(),
                style: Style::Markers,
                color: Some(1),
                points: simulated,
            },
        ],
        spans: Vec::new(),
        rules: Vec::new(),
        shade_label: None,
    };
    let floors_text: Vec<String> = floors
        .iter()
        .map(|(c, t, s)| format!("{c}: tr P = {t:.4}, runs {s:.4}"))
        .collect();
    let caption = format!(
        "Single-sample SGD on Gaussian least squares (numerics LeastSquares, seed {}; \
         {} runs of {} steps from x₀ = 0, min–max bands with the mean as a line). \
         Under-parameterised (N = {SAMPLES}, d = {UNDER_DIM}) SGD stalls at the noise \
         floor tr P (theory::lecture_003 stationary covariance; γ·median‖aᵢ‖² = {}), \
         which grows ∝ γ for small γ; over-parameterised (d = {OVER_DIM}) SGD converges \
         linearly to x† (largest final ‖x_k − x†‖² {over_final:.2e}). Checks C9.1, C9.8, \
         C9.9, C9.10.",
        seed.0,
        budget.runs,
        budget.steps,
        floors_text.join("; ")
    );
    Ok(Figure {
        name: "noise_ball".into(),
        title: "Constant-step SGD: noise ball (under-parameterised) vs interpolation (over-parameterised)"
            .into(),
        panels: vec![panel1, panel2, panel3],
        columns: 3,
        caption,
    })
}

/// The registry's figure: seed `inputs.seed`, [`Budget::of`]`(inputs.quick)`.
///
/// # Errors
/// As [`figure_with`].
pub fn figure(inputs: &Inputs) -> anyhow::Result<Figure> {
    figure_with(Seed(inputs.seed), Budget::of(inputs.quick))
}
