//! `igo train`: a training run from a TOML config and/or flags (flags override the
//! config), or `--resume DIR` to continue a stopped run. With no config, a small MLP on
//! the embedded digits that finishes in seconds on a CPU.
//!
//! Exit status: 0 finished; 1 diverged or failed; 2 bad flag or config value; 130
//! interrupted (Ctrl-C / SIGTERM after the current step; the last finished epoch is
//! kept and `--resume` continues).

// Flag docs are clap help texts with placeholders such as <DIR>, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use super::{experiment_error, usage, CliError};
use clap::{Args, ValueEnum};
use experiments::data::DataSource;
use experiments::models::Architecture;
use experiments::optimizer::OptimizerKind;
use experiments::train::{
    self, config::Precision, EpochPlan, EpochRecord, Hooks, Observer, Preset, RunConfig,
    ScheduleSpec, Status, StepProgress, Summary,
};
use experiments::ExperimentError;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// `--optimizer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OptimizerArg {
    /// Plain SGD.
    Sgd,
    /// Heavy ball v ← βv + g (PyTorch momentum).
    Shb,
    /// Normalized heavy ball v ← βv + (1 − β)g.
    Nshb,
}

/// `--dtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DtypeArg {
    /// 32-bit floats.
    F32,
    /// 64-bit floats.
    F64,
}

/// Flags of `igo train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Run config (TOML; see experiments/configs/). Without one: an MLP on the
    /// embedded digits, SGD η = 0.1, b = 32, 10 epochs.
    #[arg(value_name = "CONFIG")]
    config: Option<PathBuf>,
    /// Run directory (default: runs/<model>-<data>/seed_<S>); must not hold a run.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Continue the stopped run in DIR from its last checkpoint (its config comes from
    /// its manifest; no other run flags allowed).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "out"])]
    resume: Option<PathBuf>,
    /// Number of epochs.
    #[arg(long, value_name = "N")]
    epochs: Option<usize>,
    /// Seed of every random stream.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Model: logistic, mlp-W[-W…] (e.g. mlp-128-128), resnet18, resnet34,
    /// resnet18-imagenet, resnet34-imagenet, resnet20-w16, resnet8-w16, wrn-28-10, ….
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    /// Data source: digits | cifar10:PATH | cifar100:PATH | cifar100-coarse:PATH |
    /// mnist:PATH | image-folder:PATH.
    #[arg(long, value_name = "SPEC")]
    data: Option<String>,
    /// Device: cpu, cuda, cuda:N.
    #[arg(long, value_name = "DEVICE")]
    device: Option<String>,
    /// Floating-point type.
    #[arg(long, value_enum)]
    dtype: Option<DtypeArg>,
    /// Optimizer.
    #[arg(long, value_enum)]
    optimizer: Option<OptimizerArg>,
    /// Constant momentum β ∈ [0, 1) (SHB/NSHB).
    #[arg(long, value_name = "BETA")]
    momentum: Option<f64>,
    /// Nesterov momentum (SHB only).
    #[arg(long)]
    nesterov: bool,
    /// Coupled weight decay λ.
    #[arg(long, value_name = "LAMBDA")]
    weight_decay: Option<f64>,
    /// SAM radius ρ (> 0 turns SAM on).
    #[arg(long, value_name = "RHO")]
    sam_rho: Option<f64>,
    /// Constant learning rate η (replaces the config's learning-rate schedule).
    #[arg(long, value_name = "X")]
    lr: Option<f64>,
    /// Constant batch size b (replaces the config's batch-size schedule).
    #[arg(long = "batch", visible_alias = "batch-size", value_name = "B")]
    batch: Option<usize>,
    /// Paper method 1–4 of arXiv 2311.08745 (spec §10.1) as the schedule.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=4))]
    method: Option<u8>,
    /// Epochs per stage of --method (default 40).
    #[arg(long, value_name = "L", requires = "method")]
    stage_epochs: Option<usize>,
    /// The authors' augmentation (crop with padding 4, flip, rotation 15°).
    #[arg(long, conflicts_with = "no_augment")]
    augment: bool,
    /// No augmentation.
    #[arg(long)]
    no_augment: bool,
    /// Checkpoint every K epochs (and after the last).
    #[arg(long, value_name = "K")]
    checkpoint_every: Option<usize>,
    /// Size of the fixed C² subset.
    #[arg(long, value_name = "N")]
    c2_subset: Option<usize>,
    /// Measure C² every K epochs (0: only at initialisation).
    #[arg(long, value_name = "K")]
    c2_every: Option<usize>,
    /// Measure sharpness and λ_max every K epochs and after the last (0: never).
    #[arg(long, value_name = "K")]
    measure_every: Option<usize>,
    /// No progress output (the summary line is still printed).
    #[arg(long, short)]
    quiet: bool,
    /// Print summary.json on stdout at the end instead of the summary line.
    #[arg(long)]
    json: bool,
}

impl TrainArgs {
    /// True if any flag that changes the config was given.
    fn overrides_config(&self) -> bool {
        self.epochs.is_some()
            || self.seed.is_some()
            || self.model.is_some()
            || self.data.is_some()
            || self.device.is_some()
            || self.dtype.is_some()
            || self.optimizer.is_some()
            || self.momentum.is_some()
            || self.nesterov
            || self.weight_decay.is_some()
            || self.sam_rho.is_some()
            || self.lr.is_some()
            || self.batch.is_some()
            || self.method.is_some()
            || self.augment
            || self.no_augment
            || self.checkpoint_every.is_some()
            || self.c2_subset.is_some()
            || self.c2_every.is_some()
            || self.measure_every.is_some()
    }
}

/// The config: the file (or the default), then the flags.
fn build_config(args: &TrainArgs) -> Result<RunConfig, CliError> {
    let mut c = match &args.config {
        Some(path) => RunConfig::from_file(path).map_err(|e| match e {
            ExperimentError::Io { .. } => usage(format!("CONFIG: {e}")),
            other => experiment_error(other),
        })?,
        None => RunConfig::digits_default(),
    };
    if let Some(e) = args.epochs {
        c.epochs = e;
    }
    if let Some(s) = args.seed {
        c.seed = s;
    }
    if let Some(m) = &args.model {
        c.model = Architecture::parse_for_key("--model", m).map_err(experiment_error)?;
    }
    if let Some(d) = &args.data {
        c.data = d.parse::<DataSource>().map_err(experiment_error)?;
    }
    if let Some(d) = &args.device {
        c.device = d.clone();
    }
    if let Some(d) = args.dtype {
        c.dtype = match d {
            DtypeArg::F32 => Precision::F32,
            DtypeArg::F64 => Precision::F64,
        };
    }
    if let Some(o) = args.optimizer {
        c.optimizer.kind = match o {
            OptimizerArg::Sgd => OptimizerKind::Sgd,
            OptimizerArg::Shb => OptimizerKind::Shb,
            OptimizerArg::Nshb => OptimizerKind::Nshb,
        };
    }
    if let Some(b) = args.momentum {
        c.optimizer.momentum = Some(b);
        c.schedule.momentum = None;
    }
    if args.nesterov {
        c.optimizer.nesterov = true;
    }
    if let Some(w) = args.weight_decay {
        c.optimizer.weight_decay = w;
    }
    if let Some(r) = args.sam_rho {
        c.optimizer.sam_rho = r;
    }
    if let Some(method) = args.method {
        if args.lr.is_some() || args.batch.is_some() {
            return Err(usage("--method sets η and b: drop --lr/--batch"));
        }
        c.schedule.learning_rate = None;
        c.schedule.batch_size = None;
        c.schedule.preset = Some(Preset::PaperMethod {
            method,
            setting: train::config::Setting::Resnet18Cifar100,
            stage_epochs: args.stage_epochs.unwrap_or(40),
            batch_offset: 0,
        });
        if args.epochs.is_none() {
            c.epochs = 5 * args.stage_epochs.unwrap_or(40);
        }
    }
    let replaces_schedule = args.lr.is_some() || args.batch.is_some();
    if replaces_schedule {
        if let Some(Preset::PaperMethod { .. } | Preset::Algorithm6 { .. }) = c.schedule.preset {
            return Err(usage(
                "--lr/--batch cannot replace part of the config's schedule.preset; give both or edit the config",
            ));
        }
    }
    if let Some(lr) = args.lr {
        c.schedule.learning_rate = Some(ScheduleSpec::constant(lr));
    }
    if let Some(b) = args.batch {
        c.schedule.batch_size = Some(ScheduleSpec::constant(b as f64));
    }
    if args.augment {
        c.augmentation = experiments::data::Augmentation::cifar();
    }
    if args.no_augment {
        c.augmentation = experiments::data::Augmentation::none();
    }
    if let Some(k) = args.checkpoint_every {
        c.checkpoint.every = k;
    }
    if let Some(n) = args.c2_subset {
        c.measurements.c2_subset = n;
    }
    if let Some(k) = args.c2_every {
        c.measurements.c2_every = k;
    }
    if let Some(k) = args.measure_every {
        c.measurements.every = k;
    }
    c.validate().map_err(experiment_error)?;
    Ok(c)
}

/// Progress on a terminal: one bar per epoch.
struct Bar {
    bar: Option<ProgressBar>,
    epochs: usize,
}

impl Observer for Bar {
    fn started(&mut self, _first: usize, epochs: usize) {
        self.epochs = epochs;
    }
    fn epoch_started(&mut self, plan: &EpochPlan, steps: usize) {
        let bar = ProgressBar::new(steps as u64);
        let style = ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!("{}/{}", plan.epoch + 1, self.epochs));
        self.bar = Some(bar);
    }
    fn step(&mut self, p: &StepProgress) {
        if let Some(bar) = &self.bar {
            bar.set_position(p.step as u64);
            let delta = p.delta.map_or(String::new(), |d| format!(" δ {d:.4}"));
            bar.set_message(format!(
                "loss {:.4} η {:.4} b {}{delta} {:.0} img/s",
                p.loss, p.learning_rate, p.batch_size, p.images_per_second
            ));
        }
    }
    fn epoch_finished(&mut self, r: &EpochRecord) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        println!("{}", epoch_line(r, self.epochs));
    }
}

/// Plain output: one line per epoch.
struct Lines {
    epochs: usize,
}

impl Observer for Lines {
    fn started(&mut self, _first: usize, epochs: usize) {
        self.epochs = epochs;
    }
    fn epoch_finished(&mut self, r: &EpochRecord) {
        println!("{}", epoch_line(r, self.epochs));
    }
}

fn epoch_line(r: &EpochRecord, epochs: usize) -> String {
    let delta = r
        .delta
        .map_or(String::new(), |d| format!("  δ {:.4}", d.of(r.optimizer)));
    let c2 = r.c2.map_or(String::new(), |c| format!("  C² {c:.4}"));
    let measured: String = r
        .measurements
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "sharpness" | "lambda_max" | "trace"))
        .map(|(k, v)| format!("  {k} {v:.4e}"))
        .collect();
    format!(
        "epoch {}/{}  train loss {:.4}  test loss {:.4}  test acc {:.2}%  η {:.4}  b {}  β {}{delta}{c2}{measured}  {:.0} img/s  {:.2} s",
        r.epoch + 1,
        epochs,
        r.train_loss,
        r.test_loss,
        100.0 * r.test_accuracy,
        r.learning_rate,
        r.batch_size,
        r.momentum,
        r.images_per_second,
        r.seconds
    )
}

fn default_out(c: &RunConfig) -> PathBuf {
    let data: String = c
        .data
        .kind()
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from("runs")
        .join(format!("{}-{data}", c.model.slug()))
        .join(format!("seed_{}", c.seed))
}

/// Runs `igo train`.
pub fn run(args: TrainArgs) -> Result<ExitCode, CliError> {
    if args.resume.is_some() && args.overrides_config() {
        return Err(usage(
            "--resume continues a run with its own config: drop the other run flags",
        ));
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        // A second handler cannot be installed in the same process; that only matters
        // in tests, where the flag then simply never fires.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let terminal = std::io::stdout().is_terminal();
    let mut bar = Bar {
        bar: None,
        epochs: 0,
    };
    let mut lines = Lines { epochs: 0 };
    let observer: Option<&mut dyn Observer> = if args.quiet || args.json {
        None
    } else if terminal {
        Some(&mut bar)
    } else {
        Some(&mut lines)
    };
    // Sharpness, λ_max (and the trace) at the epochs of `measurements.every`.
    let mut measure = experiments::measure::hook::MeasureHook::new();
    let hooks = Hooks {
        observer,
        measurements: Some(&mut measure),
        stop: Some(&stop),
    };
    let (summary, dir) = match &args.resume {
        Some(dir) => (
            train::resume(dir, hooks).map_err(experiment_error)?,
            dir.clone(),
        ),
        None => {
            let config = build_config(&args)?;
            let dir = args.out.clone().unwrap_or_else(|| default_out(&config));
            (
                train::train(&config, &dir, hooks).map_err(experiment_error)?,
                dir,
            )
        }
    };
    report(&summary, &dir, args.json)
}

fn report(s: &Summary, dir: &std::path::Path, json: bool) -> Result<ExitCode, CliError> {
    if json {
        let text = serde_json::to_string_pretty(s).map_err(anyhow::Error::from)?;
        println!("{text}");
    }
    let acc = s
        .final_test_accuracy
        .map_or("–".to_string(), |a| format!("{:.2}%", 100.0 * a));
    match s.status {
        Status::Finished => {
            if !json {
                println!(
                    "finished: {} epochs, {} updates, test accuracy {acc}, {:.1} s → {}",
                    s.epochs_completed,
                    s.updates,
                    s.wall_seconds,
                    dir.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Status::Diverged => {
            let why = s.divergence.as_ref().map_or(String::new(), |d| {
                format!(" at epoch {} step {}: {}", d.epoch, d.step, d.reason)
            });
            eprintln!(
                "diverged{why} (records of {} epochs kept in {})",
                s.epochs_completed,
                dir.display()
            );
            Ok(ExitCode::from(1))
        }
        Status::Interrupted => {
            eprintln!(
                "interrupted after {} epochs (checkpoint at {}); continue with: igo train --resume {}",
                s.epochs_completed,
                s.checkpoint_epochs,
                dir.display()
            );
            Ok(ExitCode::from(130))
        }
        Status::Running | Status::Failed => Err(CliError::Run(anyhow::anyhow!(
            "the run stopped with status {:?}: {}",
            s.status,
            s.message.clone().unwrap_or_default()
        ))),
    }
}
