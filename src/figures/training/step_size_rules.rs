//! The step-size rules of lecture 003 (spec §9.3; checks C9.3, C9.4) compared on the
//! problems of check C9.4: over-parameterised logistic regression and least squares
//! (N = 50, d = 100, Gaussian features scaled ×10³), single-sample SGD from x₀ = 0 with
//! the rules evaluated at k = epoch (γ₀ = 0.1, K = 50 epochs, α = 0.1, ψ(x) = 0.5√x):
//!
//! * R1 γ₀/(1 + ⌈k/K⌉) and R2 γ₀/(1 + √⌈k/K⌉) (`numerics::schedule::BlockDecay`);
//! * R3 γ₀/(α‖g̃_k‖ + 1) (`GradientNormAdaptive`);
//! * R4 γ₀/((1 + ψ(⌈k/K⌉))(α‖g̃_k‖ + 1)) and R4 with α = 0 (`CombinedAdaptive`).
//!
//! Panels: the step γ each rule takes (mean over an epoch) on the logistic problem
//! (bounded gradients: nothing blows up; its loss is exactly 0 in floating point after
//! a few epochs, the epoch is given in the caption) and the loss f(x) per epoch on the
//! same problem unscaled (×1); ‖x_k‖ on the least
//! squares problem, whose gradient grows with x, against the step k (log–log: the
//! non-adaptive rules overflow within a few steps, the curve ends where a run's iterate
//! stops being finite); and the partial-sum ratio Σ_{k≤T}γ_k / Σ_{k≤T}γ_k² of R1, R2 and
//! a constant step (the refined condition of C9.3: it grows without bound for R1 and R2
//! and stays 1/γ₀ for a constant step). Bands: min–max over the seeds of the sampling
//! order, mean as a line.

use crate::figures::chart::axis;
use crate::figures::{Figure, Inputs, Panel, Point, Series, Style};
use numerics::objective::{FiniteSum, LeastSquares, LogisticRegression};
use numerics::schedule::{
    AdaptiveStep, BlockDecay, CombinedAdaptive, Constant, GradientNormAdaptive, Psi, Schedule,
};
use numerics::{Seed, Vector};
use rand::Rng as _;

/// γ₀ of every rule.
pub const GAMMA0: f64 = 0.1;
/// α of R3 and R4.
pub const ALPHA: f64 = 0.1;
/// Block length K (epochs).
pub const BLOCK: usize = 50;
/// Feature scale of the problems.
pub const SCALE: f64 = 1e3;
/// Samples N.
pub const SAMPLES: usize = 50;
/// Dimension d.
pub const DIM: usize = 100;

/// A rule: a schedule of the epoch, or a gradient-adaptive step.
#[derive(Debug)]
pub enum Rule {
    /// γ depends on the epoch only.
    Fixed(Box<dyn Schedule>),
    /// γ depends on the epoch and ‖g̃_k‖.
    Adaptive(Box<dyn AdaptiveStep>),
}

impl Rule {
    /// γ at `epoch` with the current stochastic-gradient norm.
    #[must_use]
    pub fn step(&self, epoch: usize, grad_norm: f64) -> f64 {
        match self {
            Rule::Fixed(s) => s.at(epoch),
            Rule::Adaptive(a) => a.step(epoch, grad_norm),
        }
    }
}

/// The five rules of C9.4, with their labels.
///
/// # Errors
/// Never for these constants; propagated from the schedule constructors.
pub fn rules() -> anyhow::Result<Vec<(String, Rule)>> {
    let psi = Psi::ScaledSqrt(0.5);
    Ok(vec![
        (
            "R1 γ₀/(1 + ⌈k/K⌉)".into(),
            Rule::Fixed(Box::new(BlockDecay::r1(GAMMA0, BLOCK)?)),
        ),
        (
            "R2 γ₀/(1 + √⌈k/K⌉)".into(),
            Rule::Fixed(Box::new(BlockDecay::r2(GAMMA0, BLOCK)?)),
        ),
        (
            format!("R3 γ₀/(α‖g̃‖ + 1), α = {ALPHA}"),
            Rule::Adaptive(Box::new(GradientNormAdaptive::new(GAMMA0, ALPHA)?)),
        ),
        (
            format!("R4 ψ = 0.5√x, α = {ALPHA}"),
            Rule::Adaptive(Box::new(CombinedAdaptive::new(GAMMA0, ALPHA, BLOCK, psi)?)),
        ),
        (
            "R4 ψ = 0.5√x, α = 0".into(),
            Rule::Adaptive(Box::new(CombinedAdaptive::new(GAMMA0, 0.0, BLOCK, psi)?)),
        ),
    ])
}

/// What one SGD run recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// (epoch, mean γ over the epoch's steps), while finite.
    pub steps: Vec<(f64, f64)>,
    /// (epoch, f(x) at the epoch's end), while finite.
    pub losses: Vec<(f64, f64)>,
    /// (k, ‖x_k‖) at the recorded steps k ≥ 1, while finite.
    pub norms: Vec<(f64, f64)>,
    /// Steps taken before an iterate or step stopped being finite (all if none).
    pub finite_steps: usize,
}

/// Recorded steps: 1, 2, …, 10, then about 20 per decade up to `last`.
fn log_steps(last: usize) -> Vec<usize> {
    let mut ks: Vec<usize> = (1..=10.min(last)).collect();
    let mut v = 10.0f64;
    while (v as usize) < last {
        v *= 10f64.powf(0.05);
        let k = (v.round() as usize).min(last);
        if ks.last().is_none_or(|&l| k > l) {
            ks.push(k);
        }
    }
    ks
}

/// Single-sample SGD with `rule` (evaluated at k = epoch, N steps per epoch) for
/// `epochs` epochs from x₀ = 0, i.i.d. uniform indices from `seed`.
#[must_use]
pub fn run(f: &dyn FiniteSum, rule: &Rule, epochs: usize, seed: Seed) -> Trace {
    let mut rng = seed.stream("step-size-rules-run");
    let n = f.n();
    let total = epochs * n;
    let record = log_steps(total);
    let mut next = record.iter().copied().peekable();
    let mut x = Vector::zeros(f.dim());
    let mut out = Trace::default();
    let mut epoch_sum = 0.0;
    for t in 0..total {
        let i = rng.random_range(0..n);
        let g = f.sample_gradient(i, &x);
        let gamma = rule.step(t / n, g.norm());
        x.axpy(-gamma, &g, 1.0);
        let norm = x.norm();
        if !(gamma.is_finite() && norm.is_finite()) {
            return out;
        }
        out.finite_steps = t + 1;
        epoch_sum += gamma;
        if next.peek() == Some(&(t + 1)) {
            next.next();
            out.norms.push(((t + 1) as f64, norm));
        }
        if (t + 1) % n == 0 {
            let epoch = (t / n) as f64;
            out.steps.push((epoch, epoch_sum / n as f64));
            epoch_sum = 0.0;
            let value = f.value(&x);
            if value.is_finite() {
                out.losses.push((epoch, value));
            }
        }
    }
    out
}

/// (S₁(T)/S₂(T)) at T = K·j for the blocks j of a geometric grid up to `last_block`:
/// S₁ = Σ_{k=0}^{T} γ_k and S₂ = Σ γ_k², summed per block (γ_0, then K equal terms per
/// block) as check C9.3 does.
#[must_use]
pub fn partial_sum_ratio(
    rule: &dyn Fn(usize) -> f64,
    block: usize,
    last_block: usize,
) -> Vec<(f64, f64)> {
    let mut s1 = rule(0);
    let mut s2 = s1 * s1;
    let mut out = Vec::new();
    let mut next = 1.0f64;
    for j in 1..=last_block {
        let g = rule(j);
        s1 += block as f64 * g;
        s2 += block as f64 * g * g;
        if j as f64 >= next {
            out.push(((j * block) as f64, s1 / s2));
            next *= 10f64.powf(0.1);
        }
    }
    out
}

/// Bands over the runs of one metric, values ≤ 0 left out (log axes).
fn positive_band(curves: Vec<Vec<(f64, f64)>>) -> Vec<Point> {
    let curves: Vec<Vec<(f64, f64)>> = curves
        .into_iter()
        .map(|c| c.into_iter().filter(|p| p.1 > 0.0).collect())
        .collect();
    super::records::band(&curves)
}

/// The figure with `runs` seeds per rule and `epochs` epochs.
///
/// # Errors
/// Invalid data (never for Gaussian draws).
pub fn figure_with(seed: Seed, runs: u64, epochs: usize) -> anyhow::Result<Figure> {
    let base = LogisticRegression::gaussian(
        SAMPLES,
        DIM,
        0.0,
        0.0,
        &mut seed.stream("rules-logistic-data"),
    )?;
    let logistic = LogisticRegression::new(base.a() * SCALE, base.y().clone(), 0.0)?;
    let unscaled = base;
    let base_ls =
        LeastSquares::gaussian(SAMPLES, DIM, &mut seed.stream("rules-least-squares-data"))?;
    let ls = LeastSquares::new(base_ls.a() * SCALE, base_ls.y().clone(), 0.0)?;

    let mut step_series = Vec::new();
    let mut loss_series = Vec::new();
    let mut norm_series = Vec::new();
    let mut blowups = Vec::new();
    let mut zero_loss = Vec::new();
    for (ri, (label, rule)) in rules()?.into_iter().enumerate() {
        let logistic_runs: Vec<Trace> = (0..runs)
            .map(|r| run(&logistic, &rule, epochs, seed.child(100 * ri as u64 + r)))
            .collect();
        let unscaled_runs: Vec<Trace> = (0..runs)
            .map(|r| {
                run(
                    &unscaled,
                    &rule,
                    epochs,
                    seed.child(500 + 100 * ri as u64 + r),
                )
            })
            .collect();
        // Epoch after which f(x) = 0 in floating point (separable data ×10³), worst seed.
        let zero = logistic_runs
            .iter()
            .map(|t| t.losses.iter().position(|p| p.1 <= 0.0))
            .try_fold(0usize, |acc, z| z.map(|z| acc.max(z)));
        zero_loss.push(match zero {
            Some(z) => format!("{label}: {z}"),
            None => format!("{label}: > {epochs}"),
        });
        let ls_runs: Vec<Trace> = (0..runs)
            .map(|r| run(&ls, &rule, epochs, seed.child(1000 + 100 * ri as u64 + r)))
            .collect();
        let dashed = ri == 4;
        let style = Style::Band;
        step_series.push(Series {
            label: label.clone(),
            style: if dashed { Style::Dashed } else { Style::Line },
            color: Some(ri),
            points: positive_band(logistic_runs.iter().map(|t| t.steps.clone()).collect())
                .into_iter()
                .map(|p| Point::xy(p.x, p.y))
                .collect(),
        });
        loss_series.push(Series {
            label: label.clone(),
            style,
            color: Some(ri),
            points: positive_band(unscaled_runs.iter().map(|t| t.losses.clone()).collect()),
        });
        norm_series.push(Series {
            label: label.clone(),
            style,
            color: Some(ri),
            points: positive_band(ls_runs.iter().map(|t| t.norms.clone()).collect()),
        });
        let first_overflow = ls_runs.iter().map(|t| t.finite_steps).min().unwrap_or(0);
        if first_overflow < epochs * SAMPLES {
            blowups.push(format!("{label}: after {first_overflow} steps"));
        }
    }

    let r1 = BlockDecay::r1(GAMMA0, BLOCK)?;
    let r2 = BlockDecay::r2(GAMMA0, BLOCK)?;
    let constant = Constant(GAMMA0);
    let last_block = 2_000_000;
    let sums = vec![
        Series {
            label: "R1".into(),
            style: Style::Line,
            color: Some(0),
            points: partial_sum_ratio(&|j| r1.block_value(j), BLOCK, last_block)
                .into_iter()
                .map(|(x, y)| Point::xy(x, y))
                .collect(),
        },
        Series {
            label: "R2".into(),
            style: Style::Line,
            color: Some(1),
            points: partial_sum_ratio(&|j| r2.block_value(j), BLOCK, last_block)
                .into_iter()
                .map(|(x, y)| Point::xy(x, y))
                .collect(),
        },
        Series {
            label: "constant γ₀ (1/γ₀)".into(),
            style: Style::Dashed,
            color: Some(7),
            points: partial_sum_ratio(&|j| constant.at(j), BLOCK, last_block)
                .into_iter()
                .map(|(x, y)| Point::xy(x, y))
                .collect(),
        },
    ];
    let panels = vec![
        Panel {
            title: format!("step taken, logistic regression ×{SCALE:.0}"),
            x: axis("epoch", false),
            y: axis("γ (mean over the epoch, log)", true),
            series: step_series,
            spans: Vec::new(),
            rules: Vec::new(),
            shade_label: None,
        },
        Panel {
            title: "loss, the same logistic regression unscaled (×1)".into(),
            x: axis("epoch", false),
            y: axis("f(x) at the end of the epoch (log)", true),
            series: loss_series,
            spans: Vec::new(),
            rules: Vec::new(),
            shade_label: None,
        },
        Panel {
            title: format!("iterate norm, least squares ×{SCALE:.0}"),
            x: axis("SGD step k (log)", true),
            y: axis("‖x_k‖ (log)", true),
            series: norm_series,
            spans: Vec::new(),
            rules: Vec::new(),
            shade_label: None,
        },
        Panel {
            title: "refined condition: partial-sum ratio (C9.3)".into(),
            x: axis("steps T (log)", true),
            y: axis("Σγ_k / Σγ_k² over k ≤ T (log)", true),
            series: sums,
            spans: Vec::new(),
            rules: Vec::new(),
            shade_label: None,
        },
    ];
    let caption = format!(
        "Lecture-003 step-size rules (numerics::schedule BlockDecay, GradientNormAdaptive, \
         CombinedAdaptive; γ₀ = {GAMMA0}, K = {BLOCK} epochs, α = {ALPHA}, ψ(x) = 0.5√x) \
         with single-sample SGD on the problems of check C9.4 (N = {SAMPLES}, d = {DIM}, \
         features ×{SCALE:.0}, seed {}; {runs} runs of {epochs} epochs, min–max bands). \
         Logistic gradients are bounded, so every rule stays finite: at ×{SCALE:.0} the \
         training loss is exactly 0 in floating point from epoch ({}) on, so the loss is \
         drawn on the unscaled data; on least squares ×{SCALE:.0} the rules without \
         gradient adaptation overflow ({}). Last panel: the partial-sum ratio grows for \
         R1 and R2 (refined condition) and is 1/γ₀ for a constant step. Checks C9.3, C9.4.",
        seed.0,
        zero_loss.join("; "),
        if blowups.is_empty() {
            "none did".to_string()
        } else {
            blowups.join("; ")
        }
    );
    Ok(Figure {
        name: "step_size_rules".into(),
        title: "Step-size rules of lecture 003 under huge gradients (data ×10³)".into(),
        panels,
        columns: 2,
        caption,
    })
}

/// The registry's figure: seed `inputs.seed`; 5 runs of 100 epochs (quick: 3 runs).
///
/// # Errors
/// As [`figure_with`].
pub fn figure(inputs: &Inputs) -> anyhow::Result<Figure> {
    figure_with(Seed(inputs.seed), if inputs.quick { 3 } else { 5 }, 100)
}
