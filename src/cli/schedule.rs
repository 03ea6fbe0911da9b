//! `igo schedule`: the per-stage (η, b, β, δ, δ/δ_prev, parameter updates) table of the
//! paper's four methods (spec §10.1) or of Algorithm 6 with the polynomial δ schedule
//! (spec §6).

use super::{usage, CliError};
use clap::{Args, ValueEnum};
use numerics::schedule::{
    Algorithm6, NoiseConstants, Optimizer, PaperMethod, PaperSetting, StagePlan, UpdateRule,
    Variant,
};
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

/// `--method`: one of the paper's four methods or the polynomial schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MethodArg {
    /// Method 1: constant η and b.
    #[value(name = "1")]
    One,
    /// Method 2: η ← η/√2 every 40 epochs.
    #[value(name = "2")]
    Two,
    /// Method 3: b ← 2b every 40 epochs.
    #[value(name = "3")]
    Three,
    /// Method 4: η ← (√3/2)η and b ← int(1.5b) every 40 epochs.
    #[value(name = "4")]
    Four,
    /// Algorithm 6: δ_{m+1} = γ_mδ_m with γ_m = ((M−m)/(M−m+1))^p, one stage per epoch.
    Poly,
}

/// `--model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelArg {
    /// ResNet18 (CIFAR-100).
    Resnet18,
    /// WideResNet-28-10 (CIFAR-100).
    #[value(name = "wrn28-10")]
    Wrn28x10,
    /// ResNet34 (ImageNet).
    Resnet34,
}

/// `--dataset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DatasetArg {
    /// CIFAR-100, N = 50 000.
    Cifar100,
    /// ImageNet, N = 1 281 167.
    Imagenet,
}

/// `--optimizer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OptimizerArg {
    /// Plain SGD: δ = ηC/√b.
    Sgd,
    /// Stochastic heavy ball: δ = η√(C²/b + β̂(β)(C²/b + K²)).
    Shb,
    /// Normalized heavy ball: δ = η√(C²/b + 4β²(C²/b + K²)).
    Nshb,
}

/// `--rule` of Algorithm 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RuleArg {
    /// b grows polynomially, η solved.
    LrBatch,
    /// b grows polynomially, β solved.
    BetaBatch,
    /// η ← η·γ^{1/2}, β solved.
    LrBeta,
}

/// `--variant` of Algorithm 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum VariantArg {
    /// The intended rules: solve δ_{m+1} = γ_mδ_m exactly.
    Intended,
    /// The authors' igo-aaai25 code (NSHB approximation, cubic root ≤ β, …).
    #[value(name = "igo-aaai25")]
    IgoAaai25,
    /// The authors' sigma-nice-momentum code.
    SigmaNiceMomentum,
}

/// Flags of `igo schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Schedule: the paper's method 1, 2, 3, 4 (5 stages × 40 epochs) or `poly`
    /// (Algorithm 6, one stage per epoch).
    #[arg(long, value_enum)]
    method: MethodArg,
    /// Model of the experiment.
    #[arg(long, value_enum, default_value = "resnet18")]
    model: ModelArg,
    /// Data set (default: CIFAR-100 for resnet18/wrn28-10, ImageNet for resnet34).
    #[arg(long, value_enum)]
    dataset: Option<DatasetArg>,
    /// Optimizer whose noise defines δ (default: sgd for methods 1–4, shb for poly).
    #[arg(long, value_enum)]
    optimizer: Option<OptimizerArg>,
    /// Variance bound C² (default for SHB/NSHB on resnet18/wrn28-10: the authors'
    /// constants; for SGD δ is reported as δ/C unless given).
    #[arg(long = "c2", value_name = "C2", allow_negative_numbers = true)]
    c2: Option<f64>,
    /// Gradient-norm bound K (default: the authors' constant for SHB/NSHB).
    #[arg(long = "k", value_name = "K", allow_negative_numbers = true)]
    k: Option<f64>,
    /// Momentum β ∈ [0, 1) (initial β for poly; default 0.9 for SHB/NSHB, 0 for SGD).
    #[arg(long, value_name = "BETA", allow_negative_numbers = true)]
    beta: Option<f64>,
    /// Methods 1–4: change b one epoch after η, as the authors' code does.
    #[arg(long)]
    batch_offset: bool,
    /// Poly: power p > 0 of γ_m = ((M−m)/(M−m+1))^p (default 0.9).
    #[arg(long, value_name = "P", allow_negative_numbers = true)]
    power: Option<f64>,
    /// Poly: number of stages (epochs) M ≥ 1 (default 200).
    #[arg(long, value_name = "M")]
    stages: Option<usize>,
    /// Poly: which of (η, b, β) Algorithm 6 moves (default lr-batch).
    #[arg(long, value_enum)]
    rule: Option<RuleArg>,
    /// Poly: intended rules or a copy of the authors' code (default intended).
    #[arg(long, value_enum)]
    variant: Option<VariantArg>,
    /// Poly: initial learning rate η₀ > 0 (default 0.1).
    #[arg(long, value_name = "ETA", allow_negative_numbers = true)]
    lr: Option<f64>,
    /// Poly: initial batch size b₀ ≥ 1 (default 32).
    #[arg(long, value_name = "B")]
    batch: Option<usize>,
    /// Poly: exponent of the batch growth b ← b((M−m+1)/(M−m))^{p·balance} (default: the
    /// authors' table for b₀).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    balance: Option<f64>,
    /// Poly, intended variant: compute with ⌊b⌋ (the loader's batch) instead of b.
    #[arg(long)]
    integer_batches: bool,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
}

/// One row of the printed table.
#[derive(Debug, Serialize)]
struct Row {
    stage: usize,
    first_epoch: usize,
    epochs: usize,
    learning_rate: f64,
    batch_size: f64,
    loader_batch_size: usize,
    momentum: f64,
    delta: f64,
    realised_delta: f64,
    ratio: Option<f64>,
    target_ratio: Option<f64>,
    updates: usize,
    cumulative_updates: usize,
}

/// The whole output.
#[derive(Debug, Serialize)]
struct Table {
    setting: String,
    training_size: usize,
    method: String,
    optimizer: String,
    delta_unit: String,
    variance_bound: Option<f64>,
    gradient_bound: Option<f64>,
    notes: Vec<String>,
    rows: Vec<Row>,
}

fn finite_in(flag: &str, v: f64, ok: bool, allowed: &str) -> Result<f64, CliError> {
    if v.is_finite() && ok {
        Ok(v)
    } else {
        Err(usage(format!("{flag} must be {allowed}, got {v}")))
    }
}

fn setting_of(args: &ScheduleArgs) -> Result<PaperSetting, CliError> {
    let (setting, natural) = match args.model {
        ModelArg::Resnet18 => (PaperSetting::Resnet18Cifar100, DatasetArg::Cifar100),
        ModelArg::Wrn28x10 => (PaperSetting::WideResnet28x10Cifar100, DatasetArg::Cifar100),
        ModelArg::Resnet34 => (PaperSetting::Resnet34Imagenet, DatasetArg::Imagenet),
    };
    match args.dataset {
        Some(d) if d != natural => Err(usage(format!(
            "--dataset {} does not go with --model {}: the paper runs {}",
            d.to_possible_value()
                .map_or_else(String::new, |v| v.get_name().to_string()),
            args.model
                .to_possible_value()
                .map_or_else(String::new, |v| v.get_name().to_string()),
            setting.name()
        ))),
        _ => Ok(setting),
    }
}

/// (C², K, unit note): the noise constants to use, or `None` for SGD reported as δ/C.
fn noise_of(
    args: &ScheduleArgs,
    setting: PaperSetting,
    optimizer: Optimizer,
) -> Result<(NoiseConstants, String), CliError> {
    if let Some(c2) = args.c2 {
        finite_in("--c2", c2, c2 > 0.0, "positive")?;
    }
    if let Some(k) = args.k {
        finite_in("--k", k, k >= 0.0, "≥ 0")?;
    }
    let make = |c2: f64, k: f64| NoiseConstants::new(c2, k).map_err(|e| usage(e.to_string()));
    if optimizer == Optimizer::Sgd {
        if args.k.is_some() {
            return Err(usage("--k applies only to --optimizer shb or nshb"));
        }
        return Ok(match args.c2 {
            Some(c2) => (make(c2, 0.0)?, "δ = ηC/√b".to_string()),
            None => (
                make(1.0, 0.0)?,
                "δ/C = η/√b (δ relative to C; pass --c2 for δ itself)".to_string(),
            ),
        });
    }
    let authors = NoiseConstants::authors(setting, optimizer);
    let c2 = args.c2.or(authors.map(|n| n.variance_bound()));
    let k = args.k.or(authors.map(|n| n.gradient_bound()));
    match (c2, k) {
        (Some(c2), Some(k)) => {
            let from = if args.c2.is_none() || args.k.is_none() {
                " (authors' code constants)"
            } else {
                ""
            };
            Ok((
                make(c2, k)?,
                format!(
                    "δ = η√(C²/b + {}(C²/b + K²)), C² = {c2}, K = {k}{from}",
                    if optimizer == Optimizer::Shb { "β̂(β)" } else { "4β²" }
                ),
            ))
        }
        _ => Err(usage(format!(
            "--optimizer {} on {} needs --c2 and --k (the authors' code has constants only for resnet18 and wrn28-10)",
            optimizer.name().to_lowercase(),
            setting.name()
        ))),
    }
}

/// β from `--beta`: 0 for SGD (where only `--beta 0` is accepted), else in [0, 1)
/// with default 0.9.
fn momentum_of(optimizer: Optimizer, beta: Option<f64>) -> Result<f64, CliError> {
    match (optimizer, beta) {
        (Optimizer::Sgd, Some(b)) if b != 0.0 => {
            Err(usage("--beta applies only to --optimizer shb or nshb"))
        }
        (Optimizer::Sgd, _) => Ok(0.0),
        (_, Some(b)) => finite_in("--beta", b, (0.0..1.0).contains(&b), "in [0, 1)"),
        (_, None) => Ok(0.9),
    }
}

fn optimizer_of(arg: OptimizerArg) -> Optimizer {
    match arg {
        OptimizerArg::Sgd => Optimizer::Sgd,
        OptimizerArg::Shb => Optimizer::Shb,
        OptimizerArg::Nshb => Optimizer::Nshb,
    }
}

fn paper_table(
    args: &ScheduleArgs,
    method: PaperMethod,
    setting: PaperSetting,
) -> Result<Table, CliError> {
    for (given, flag) in [
        (args.power.is_some(), "--power"),
        (args.stages.is_some(), "--stages"),
        (args.rule.is_some(), "--rule"),
        (args.variant.is_some(), "--variant"),
        (args.lr.is_some(), "--lr"),
        (args.batch.is_some(), "--batch"),
        (args.balance.is_some(), "--balance"),
        (args.integer_batches, "--integer-batches"),
    ] {
        if given {
            return Err(usage(format!(
                "{flag} applies only to --method poly (methods 1–4 use the paper's fixed lists)"
            )));
        }
    }
    let optimizer = optimizer_of(args.optimizer.unwrap_or(OptimizerArg::Sgd));
    let beta = momentum_of(optimizer, args.beta)?;
    let (noise, unit) = noise_of(args, setting, optimizer)?;
    let mut plan = StagePlan::paper(setting, method);
    let mut notes = vec![format!(
        "{} stages of {} epochs; updates per epoch ⌈N/b⌉ with N = {}",
        StagePlan::STAGES,
        StagePlan::STAGE_EPOCHS,
        setting.training_size()
    )];
    if args.batch_offset {
        plan = plan
            .with_batch_offset(1)
            .map_err(|e| usage(e.to_string()))?;
        notes.push(
            "authors' offset: b changes one epoch after η (epochs 41, 81, …); δ is shown for the stage's (η, b)"
                .to_string(),
        );
    }
    // Every paper method is designed to lower δ by 1/√2 per stage (method 1: constant).
    let designed = if method == PaperMethod::Constant {
        1.0
    } else {
        std::f64::consts::FRAC_1_SQRT_2
    };
    let mut rows = Vec::new();
    let mut prev: Option<f64> = None;
    for r in plan.rows() {
        let b = r.batch_size as f64;
        let delta = noise.degree(optimizer, r.learning_rate, b, beta);
        rows.push(Row {
            stage: r.stage,
            first_epoch: r.first_epoch,
            epochs: r.epochs,
            learning_rate: r.learning_rate,
            batch_size: b,
            loader_batch_size: r.batch_size,
            momentum: beta,
            delta,
            realised_delta: delta,
            ratio: prev.map(|p| delta / p),
            target_ratio: prev.map(|_| designed),
            updates: r.updates,
            cumulative_updates: r.cumulative_updates,
        });
        prev = Some(delta);
    }
    Ok(Table {
        setting: setting.name().to_string(),
        training_size: setting.training_size(),
        method: format!("method {}", method.number()),
        optimizer: optimizer.name().to_string(),
        delta_unit: unit,
        variance_bound: (args.c2.is_some() || optimizer != Optimizer::Sgd)
            .then(|| noise.variance_bound()),
        gradient_bound: (optimizer != Optimizer::Sgd).then(|| noise.gradient_bound()),
        notes,
        rows,
    })
}

#[allow(clippy::too_many_lines)]
fn poly_table(args: &ScheduleArgs, setting: PaperSetting) -> Result<Table, CliError> {
    if args.batch_offset {
        return Err(usage(
            "--batch-offset applies only to --method 1–4 (poly changes (η, b, β) after every epoch)",
        ));
    }
    let optimizer = optimizer_of(args.optimizer.unwrap_or(OptimizerArg::Shb));
    let power = args.power.unwrap_or(0.9);
    finite_in("--power", power, power > 0.0, "positive")?;
    let stages = args.stages.unwrap_or(200);
    if stages == 0 {
        return Err(usage("--stages must be at least 1, got 0"));
    }
    let eta = args.lr.unwrap_or(0.1);
    finite_in("--lr", eta, eta > 0.0, "positive")?;
    let b0 = args.batch.unwrap_or(32);
    if b0 == 0 {
        return Err(usage("--batch must be at least 1, got 0"));
    }
    let beta = momentum_of(optimizer, args.beta)?;
    let rule = match args.rule.unwrap_or(RuleArg::LrBatch) {
        RuleArg::LrBatch => UpdateRule::LearningRateBatch,
        RuleArg::BetaBatch => UpdateRule::MomentumBatch,
        RuleArg::LrBeta => UpdateRule::LearningRateMomentum,
    };
    if optimizer == Optimizer::Sgd && rule != UpdateRule::LearningRateBatch {
        return Err(usage(
            "--rule beta-batch/lr-beta moves β, which SGD does not have: use --rule lr-batch or --optimizer shb/nshb",
        ));
    }
    let variant = match args.variant.unwrap_or(VariantArg::Intended) {
        VariantArg::Intended => Variant::Intended,
        VariantArg::IgoAaai25 => Variant::IgoAaai25,
        VariantArg::SigmaNiceMomentum => Variant::MomentumRepo,
    };
    if args.integer_batches && variant != Variant::Intended {
        return Err(usage(
            "--integer-batches applies only to --variant intended (the authors' code always uses the float b)",
        ));
    }
    let (noise, unit) = noise_of(args, setting, optimizer)?;
    let b0f = b0 as f64;
    let algorithm = match args.balance {
        Some(x) => {
            finite_in("--balance", x, x > 0.0, "positive")?;
            Algorithm6::with_custom_balance(
                optimizer, noise, rule, variant, stages, power, eta, b0f, beta, x,
            )
        }
        None => {
            let needs_table = rule == UpdateRule::LearningRateBatch
                || (rule == UpdateRule::MomentumBatch && variant == Variant::MomentumRepo);
            if needs_table && numerics::schedule::balance(b0, variant).is_none() {
                return Err(usage(format!(
                    "--batch {b0} has no entry in the authors' balance table (16, 32, 64, 128, 256, 512, 1024): pass --balance"
                )));
            }
            Algorithm6::new(optimizer, noise, rule, variant, stages, power, eta, b0f, beta)
        }
    }
    .map_err(|e| usage(e.to_string()))?
    .with_integer_batches(args.integer_batches);
    let run = algorithm.run();
    let n = setting.training_size();
    let mut notes = vec![
        format!(
            "Algorithm 6, rule {}, variant {}, M = {stages}, p = {power}, γ_m = ((M−m)/(M−m+1))^p after epoch m = 0..M−1 (the authors' 0-based indexing)",
            rule.name(),
            variant.name()
        ),
        format!(
            "batch growth exponent p·balance with balance = {}; b is stored as a float, the loader gets int(b); \
             'realised δ' uses int(b) and the η, β, optimizer actually running",
            algorithm.balance()
        ),
        format!(
            "the last row (epoch {stages}) is the state after the last update: computed, never trained"
        ),
    ];
    if let Some(h) = run.halt {
        notes.push(format!("the run stops {h}"));
    }
    notes.push(format!(
        "max |δ_(m+1)/δ_m − γ_m|/γ_m: computed {:.3e}, realised {:.3e}",
        run.max_ratio_deviation(),
        run.max_realised_deviation()
    ));
    let mut rows = Vec::new();
    let mut cumulative = 0;
    let mut prev: Option<f64> = None;
    for s in &run.epochs {
        let trained = s.epoch < stages;
        let updates = if trained {
            n.div_ceil(s.loader_batch_size.max(1))
        } else {
            0
        };
        cumulative += updates;
        rows.push(Row {
            stage: s.epoch + 1,
            first_epoch: s.epoch,
            epochs: usize::from(trained),
            learning_rate: s.learning_rate,
            batch_size: s.batch_size,
            loader_batch_size: s.loader_batch_size,
            momentum: s.momentum,
            delta: s.delta,
            realised_delta: s.realised_delta,
            ratio: prev.map(|p| s.delta / p),
            target_ratio: (s.epoch > 0).then_some(s.target_ratio),
            updates,
            cumulative_updates: cumulative,
        });
        prev = Some(s.delta);
    }
    Ok(Table {
        setting: setting.name().to_string(),
        training_size: n,
        method: "poly (Algorithm 6)".to_string(),
        optimizer: optimizer.name().to_string(),
        delta_unit: unit,
        variance_bound: (args.c2.is_some() || optimizer != Optimizer::Sgd)
            .then(|| noise.variance_bound()),
        gradient_bound: (optimizer != Optimizer::Sgd).then(|| noise.gradient_bound()),
        notes,
        rows,
    })
}

fn print_table(out: &mut impl Write, t: &Table) -> std::io::Result<()> {
    writeln!(
        out,
        "{} — {}, {} (N = {})",
        t.setting, t.method, t.optimizer, t.training_size
    )?;
    writeln!(out, "{}", t.delta_unit)?;
    for n in &t.notes {
        writeln!(out, "note: {n}")?;
    }
    writeln!(
        out,
        "{:>5} {:>6} {:>6} {:>12} {:>12} {:>6} {:>9} {:>12} {:>12} {:>10} {:>10} {:>9} {:>11}",
        "stage",
        "epoch",
        "epochs",
        "η",
        "b",
        "int b",
        "β",
        "δ",
        "realised δ",
        "δ/δ_prev",
        "γ target",
        "updates",
        "cumulative"
    )?;
    let opt = |v: Option<f64>| v.map_or_else(|| "—".to_string(), |x| format!("{x:.6}"));
    for r in &t.rows {
        writeln!(
            out,
            "{:>5} {:>6} {:>6} {:>12.6e} {:>12.4} {:>6} {:>9.6} {:>12.6e} {:>12.6e} {:>10} {:>10} {:>9} {:>11}",
            r.stage,
            r.first_epoch,
            r.epochs,
            r.learning_rate,
            r.batch_size,
            r.loader_batch_size,
            r.momentum,
            r.delta,
            r.realised_delta,
            opt(r.ratio),
            opt(r.target_ratio),
            r.updates,
            r.cumulative_updates
        )?;
    }
    Ok(())
}

/// Runs `igo schedule`.
pub fn run(args: ScheduleArgs) -> Result<ExitCode, CliError> {
    let setting = setting_of(&args)?;
    let table = match args.method {
        MethodArg::Poly => poly_table(&args, setting)?,
        m => {
            let number = match m {
                MethodArg::One => 1,
                MethodArg::Two => 2,
                MethodArg::Three => 3,
                _ => 4,
            };
            let method = PaperMethod::from_number(number).map_err(|e| usage(e.to_string()))?;
            paper_table(&args, method, setting)?
        }
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &table).map_err(anyhow::Error::from)?;
        writeln!(out).map_err(anyhow::Error::from)?;
    } else {
        print_table(&mut out, &table).map_err(anyhow::Error::from)?;
    }
    Ok(ExitCode::SUCCESS)
}
