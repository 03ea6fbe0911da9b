//! δ per stage of the four methods of arXiv 2311.08745 (spec §10.1) and of the
//! polynomial schedules of arXiv 2412.11501 (spec §6.1–§6.2).
//!
//! Drawn from `numerics::schedule` only ([`StagePlan`], [`PolynomialDelta`]) and
//! `numerics::smoothing::smoothing_degree`:
//! * δ_e = η_e·C/√b_e at every epoch e of the paper's 200 epochs, for methods 1–4
//!   (ResNet18/CIFAR-100 lists), against the epoch and against the cumulative parameter
//!   updates Σ⌈N/b_e⌉ (also for the WideResNet-28-10 lists, whose method 3 makes 3× the
//!   updates of ResNet18's);
//! * the ratio δ_{i+1}/δ_i at the four stage transitions of every method and setting,
//!   with the reference 1/√2;
//! * the polynomial schedule δ_{m+1} = δ₁((M − m)/M)^p for p ∈ {0.25, 0.5, 0.9, 1, 2, 4},
//!   M = 200, and its decay factors γ_m = ((M − m)/(M − m + 1))^p against the stages
//!   left, with the halving line γ = ½ (2^{−p} ≥ ½ ⇔ p ≤ 1).
//!
//! C enters δ only as a factor: the figure is drawn for a given C (the registry uses
//! C = 1, i.e. δ/C = η/√b) and says so in the caption.

use crate::figures::chart::axis;
use crate::figures::{Axis, Figure, Inputs, Panel, Point, Rule, Series, Style};
use numerics::schedule::{PaperMethod, PaperSetting, PolynomialDelta, Schedule, StagePlan};
use numerics::smoothing::{smoothing_degree, NoiseForm};

/// The four methods in the paper's order.
pub const METHODS: [PaperMethod; 4] = [
    PaperMethod::Constant,
    PaperMethod::LearningRateDecay,
    PaperMethod::BatchGrowth,
    PaperMethod::Hybrid,
];

/// The three settings of spec §10.1.
pub const SETTINGS: [PaperSetting; 3] = [
    PaperSetting::Resnet18Cifar100,
    PaperSetting::WideResnet28x10Cifar100,
    PaperSetting::Resnet34Imagenet,
];

/// The powers p of the polynomial schedules (spec §10.6; AAAI Fig. 6).
pub const POWERS: [f64; 6] = [0.25, 0.5, 0.9, 1.0, 2.0, 4.0];

/// C of the registry's figure (δ/C = η/√b is drawn).
pub const DEFAULT_C: f64 = 1.0;

/// "method 2: η ÷ √2" ….
fn method_label(m: PaperMethod) -> String {
    let what = match m {
        PaperMethod::Constant => "constant η, b",
        PaperMethod::LearningRateDecay => "η ÷ √2 per stage",
        PaperMethod::BatchGrowth => "b × 2 per stage",
        PaperMethod::Hybrid => "η × √3/2, b × 1.5",
    };
    format!("method {}: {what}", m.number())
}

/// δ = ηC/√b of `plan` at `epoch`.
fn plan_delta(plan: &StagePlan, epoch: usize, c: f64) -> f64 {
    smoothing_degree(
        plan.learning_rate(epoch),
        c * c,
        plan.batch_size(epoch) as f64,
        NoiseForm::Sgd,
    )
}

/// δ of each stage of `plan` (at the stage's first epoch) and the ratios δ_{i+1}/δ_i.
#[must_use]
pub fn stage_ratios(plan: &StagePlan, c: f64) -> Vec<f64> {
    let deltas: Vec<f64> = plan
        .rows()
        .iter()
        .map(|r| plan_delta(plan, r.first_epoch, c))
        .collect();
    deltas.windows(2).map(|w| w[1] / w[0]).collect()
}

/// δ against the epoch (one point per epoch, 0…199) for each method on `setting`.
fn delta_vs_epoch(setting: PaperSetting, c: f64) -> Vec<Series> {
    METHODS
        .iter()
        .enumerate()
        .map(|(i, &m)| {
            let plan = StagePlan::paper(setting, m);
            Series {
                label: method_label(m),
                style: Style::Line,
                color: Some(i),
                points: (0..plan.epochs())
                    .map(|e| Point::xy(e as f64, plan_delta(&plan, e, c)))
                    .collect(),
            }
        })
        .collect()
}

/// δ against cumulative parameter updates: each stage drawn from its first to its last
/// update (a staircase).
fn delta_vs_updates(setting: PaperSetting, c: f64) -> Vec<Series> {
    METHODS
        .iter()
        .enumerate()
        .map(|(i, &m)| {
            let plan = StagePlan::paper(setting, m);
            let mut points = Vec::new();
            let mut start = 0usize;
            for row in plan.rows() {
                let d = plan_delta(&plan, row.first_epoch, c);
                points.push(Point::xy(start as f64, d));
                points.push(Point::xy(row.cumulative_updates as f64, d));
                start = row.cumulative_updates;
            }
            Series {
                label: format!("{} ({} updates)", method_label(m), plan.total_updates()),
                style: Style::Line,
                color: Some(i),
                points,
            }
        })
        .collect()
}

/// The figure for a given C (> 0).
///
/// # Errors
/// C not finite and > 0; a schedule the library rejects.
pub fn figure_with(c: f64) -> anyhow::Result<Figure> {
    if !(c.is_finite() && c > 0.0) {
        anyhow::bail!("C must be finite and > 0, got {c}");
    }
    let delta_label = "δ = ηC/√b (log)";
    let resnet = PaperSetting::Resnet18Cifar100;
    let wrn = PaperSetting::WideResnet28x10Cifar100;

    let per_epoch = Panel {
        title: format!("{}: δ per epoch", resnet.name()),
        x: axis("epoch", false),
        y: axis(delta_label, true),
        series: delta_vs_epoch(resnet, c),
        spans: Vec::new(),
        rules: Vec::new(),
        shade_label: None,
    };
    let updates_panel = |setting: PaperSetting| Panel {
        title: format!("{}: δ per parameter update", setting.name()),
        x: axis("parameter updates Σ⌈N/b⌉", false),
        y: axis(delta_label, true),
        series: delta_vs_updates(setting, c),
        spans: Vec::new(),
        rules: Vec::new(),
        shade_label: None,
    };

    // Ratios at the transitions, every setting and method.
    let mut ratio_series = Vec::new();
    let mut extremes = Vec::new();
    for (si, &setting) in SETTINGS.iter().enumerate() {
        for (mi, &m) in METHODS.iter().enumerate().skip(1) {
            let ratios = stage_ratios(&StagePlan::paper(setting, m), c);
            for (k, r) in ratios.iter().enumerate() {
                extremes.push((*r, setting, m, k + 1));
            }
            // Offset the settings slightly along x so that equal ratios stay visible.
            let shift = (si as f64 - 1.0) * 0.12;
            ratio_series.push(Series {
                label: format!("{}, method {}", setting.name(), m.number()),
                style: Style::Markers,
                color: Some(mi),
                points: ratios
                    .iter()
                    .enumerate()
                    .map(|(k, &r)| Point::xy((k + 1) as f64 + shift, r))
                    .collect(),
            });
        }
    }
    let ratio_panel = Panel {
        title: "δ(stage i+1)/δ(stage i), methods 2–4".into(),
        x: Axis {
            label: "transition i → i+1".into(),
            log: false,
            range: Some((0.5, 4.5)),
        },
        y: axis("ratio of consecutive stages' δ", false),
        series: ratio_series,
        spans: Vec::new(),
        rules: vec![Rule {
            vertical: false,
            at: std::f64::consts::FRAC_1_SQRT_2,
            label: "1/√2".into(),
        }],
        shade_label: None,
    };

    // Polynomial schedules from the δ of method 1 (η = 0.1, b = 128).
    let first = plan_delta(&StagePlan::paper(resnet, PaperMethod::Constant), 0, c);
    let epochs = StagePlan::STAGES * StagePlan::STAGE_EPOCHS;
    let mut poly = Vec::new();
    let mut factors = Vec::new();
    for (i, &p) in POWERS.iter().enumerate() {
        let s = PolynomialDelta::new(first, epochs, p)?;
        poly.push(Series {
            label: format!("p = {p}"),
            style: Style::Line,
            color: Some(i),
            points: (0..epochs).map(|m| Point::xy(m as f64, s.at(m))).collect(),
        });
        // γ_m for the stages left M − m = 1 … M (m = M − 1 … 0, the code's indexing).
        factors.push(Series {
            label: format!("p = {p}: min γ = 2^(−p) = {:.3}", s.min_decay_factor()),
            style: Style::Line,
            color: Some(i),
            points: (0..epochs)
                .rev()
                .map(|m| Point::xy((epochs - m) as f64, s.decay_factor(m)))
                .collect(),
        });
    }
    let poly_panel = Panel {
        title: format!("polynomial δ(m+1) = δ₁·((M − m)/M)^p, M = {epochs}"),
        x: axis("stage (epoch) m", false),
        y: axis(delta_label, true),
        series: poly,
        spans: Vec::new(),
        rules: Vec::new(),
        shade_label: None,
    };
    let factor_panel = Panel {
        title: "decay factor γ(m) = ((M − m)/(M − m + 1))^p".into(),
        x: axis("stages left M − m (log)", true),
        y: axis("γ(m) = δ(m+1)/δ(m)", false),
        series: factors,
        spans: Vec::new(),
        rules: vec![Rule {
            vertical: false,
            at: 0.5,
            label: "γ = ½ (Hazan's halving)".into(),
        }],
        shade_label: None,
    };

    let off: Vec<String> = extremes
        .iter()
        .filter(|(r, ..)| (r - std::f64::consts::FRAC_1_SQRT_2).abs() > 1e-12)
        .map(|(r, s, m, k)| format!("{} method {} transition {k}: {r:.4}", s.name(), m.number()))
        .collect();
    let caption = format!(
        "δ = ηC/√b per epoch of the four methods of arXiv 2311.08745 (spec §10.1; \
         numerics::schedule::StagePlan, no batch offset) with C = {c} (δ scales with C; \
         the ratios do not), against epochs and parameter updates Σ⌈N/b⌉; every stage \
         transition of methods 2–4 divides δ by √2 except {}. Polynomial schedules \
         (spec §6.1–6.2, numerics::schedule::PolynomialDelta) start at method 1's δ₁; \
         their smallest factor is 2^(−p), ≥ ½ iff p ≤ 1. Checks C6.1 (telescoping), \
         C6.2 (schedule realisation).",
        if off.is_empty() {
            "none".to_string()
        } else {
            off.join(", ")
        }
    );
    Ok(Figure {
        name: "delta_per_stage".into(),
        title: "Degree of smoothing δ per stage: the four methods and polynomial schedules".into(),
        panels: vec![
            per_epoch,
            updates_panel(resnet),
            updates_panel(wrn),
            ratio_panel,
            poly_panel,
            factor_panel,
        ],
        columns: 3,
        caption,
    })
}

/// The registry's figure: [`figure_with`] C = 1.
///
/// # Errors
/// As [`figure_with`].
pub fn figure(_inputs: &Inputs) -> anyhow::Result<Figure> {
    figure_with(DEFAULT_C)
}
