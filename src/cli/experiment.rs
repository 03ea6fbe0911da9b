//! `igo experiment NAME`: the papers' predictions at CPU scale (spec §10.5–§10.6).
//! Each trains its runs under `--out DIR/runs/…` (finished runs are skipped and stopped
//! ones continued when the same command runs again), prints its tables and verdicts,
//! and writes `DIR/verdicts.json`, `DIR/README.txt` and a CSV.
//!
//! Exit status: 0 when the experiment completed, whatever its verdicts (a prediction
//! that does not hold is a result, printed as such); 1 when a run failed; 2 for a bad
//! flag; 130 when interrupted (Ctrl-C / SIGTERM; run the same command to continue).

use super::{experiment_error, CliError};
use clap::{Args, Subcommand};
use experiments::data::DataSource;
use experiments::experiment::{
    self, explicit_go, methods, poly_power, sharpness_vs_delta, Common, Context, Outcome,
};
use experiments::models::Architecture;
use igo::progress::RunsProgress;
use igo::reproduce::Job;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// `igo experiment` subcommands.
#[derive(Debug, Subcommand)]
pub enum ExperimentCommand {
    /// P1/P2: constant-(η, b) sweep of plain SGD; sharpness and accuracy against
    /// δ = ηC/√b (spec §10.6).
    SharpnessVsDelta(SweepArgs),
    /// P4/P5: the four methods of arXiv 2311.08745 (δ ÷ √2 per stage), scaled to the data.
    Methods(MethodsArgs),
    /// P7: polynomial learning-rate decay with SHB over the power p.
    PolyPower(PolyArgs),
    /// P8: explicit graduated optimization (Gaussian-smoothed gradients, δ decreasing
    /// per stage) against plain SGD.
    ExplicitGo(EgoArgs),
}

/// Flags every experiment shares.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Experiment directory (default: runs/experiments/NAME).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Seeds, comma-separated.
    #[arg(
        long,
        value_name = "S,…",
        value_delimiter = ',',
        default_value = "0,1,2"
    )]
    seeds: Vec<u64>,
    /// Model: logistic, mlp-W[-W…], resnet8-w16, ….
    #[arg(long, value_name = "NAME", default_value = "mlp-128-128")]
    model: String,
    /// Data source: digits | cifar10:PATH | cifar100:PATH | mnist:PATH | image-folder:PATH.
    #[arg(long, value_name = "SPEC", default_value = "digits")]
    data: String,
    /// Device: cpu, cuda, cuda:N.
    #[arg(long, value_name = "DEVICE", default_value = "cpu")]
    device: String,
    /// Size of the fixed C² subset.
    #[arg(long, value_name = "N", default_value_t = 256)]
    c2_subset: usize,
    /// The authors' CIFAR augmentation (crop with padding 4, flip, rotation 15°).
    #[arg(long)]
    augment: bool,
    /// No progress output (the report is still printed).
    #[arg(long, short)]
    quiet: bool,
}

/// `igo experiment sharpness-vs-delta`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// The η grid, comma-separated.
    #[arg(
        long = "lr",
        value_name = "η,…",
        value_delimiter = ',',
        default_value = "0.01,0.03,0.1,0.3"
    )]
    learning_rates: Vec<f64>,
    /// The b grid, comma-separated.
    #[arg(
        long = "batch",
        value_name = "B,…",
        value_delimiter = ',',
        default_value = "4,16,64,256"
    )]
    batch_sizes: Vec<usize>,
    /// Epochs of every run.
    #[arg(long, value_name = "N", default_value_t = 20)]
    epochs: usize,
    /// Sharpness radius ρ (ℓ∞, worst case).
    #[arg(long, value_name = "RHO", default_value_t = 2e-4)]
    rho: f64,
    /// Skip λ_max (sharpness only).
    #[arg(long)]
    no_lambda_max: bool,
}

/// `igo experiment methods`.
#[derive(Debug, Args)]
pub struct MethodsArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Epochs per stage (5 stages).
    #[arg(long, value_name = "L", default_value_t = 4)]
    stage_epochs: usize,
    /// Whose per-stage lists: resnet18-cifar100, wrn28-10-cifar100, resnet34-imagenet.
    #[arg(long, value_name = "NAME", default_value = "resnet18-cifar100")]
    setting: String,
}

/// `igo experiment poly-power`.
#[derive(Debug, Args)]
pub struct PolyArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// The powers p, comma-separated.
    #[arg(
        long,
        value_name = "P,…",
        value_delimiter = ',',
        default_value = "0.25,0.5,0.9,1,2,4"
    )]
    powers: Vec<f64>,
    /// Epochs M (η_m = η₀(1 − m/M)^p).
    #[arg(long, value_name = "N", default_value_t = 20)]
    epochs: usize,
    /// Initial learning rate η₀.
    #[arg(long = "lr", value_name = "X", default_value_t = 0.1)]
    learning_rate: f64,
    /// SHB momentum β.
    #[arg(long, value_name = "BETA", default_value_t = 0.9)]
    momentum: f64,
    /// Batch size b.
    #[arg(long = "batch", value_name = "B", default_value_t = 32)]
    batch_size: usize,
}

/// `igo experiment explicit-go`.
#[derive(Debug, Args)]
pub struct EgoArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Number of stages (δ decreasing per stage as in ego.py).
    #[arg(long, value_name = "M", default_value_t = 5)]
    stages: usize,
    /// Epochs per stage.
    #[arg(long, value_name = "L", default_value_t = 4)]
    stage_epochs: usize,
    /// Gaussian draws u per step (gradient at w + δu averaged).
    #[arg(long, value_name = "K", default_value_t = 4)]
    samples: usize,
    /// δ of the first stage (per-coordinate standard deviation of the weight noise).
    #[arg(long, value_name = "X", default_value_t = 0.02)]
    delta0: f64,
    /// Learning rate of the first stage η₀ (explicit GO: η_k = η₀δ_k/δ₀).
    #[arg(long = "lr", value_name = "X", default_value_t = 0.1)]
    learning_rate: f64,
    /// Batch size b.
    #[arg(long = "batch", value_name = "B", default_value_t = 32)]
    batch_size: usize,
}

fn common(args: &CommonArgs, name: &str) -> Result<Common, CliError> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join("experiments").join(name));
    let mut c = Common::new(out);
    c.seeds.clone_from(&args.seeds);
    c.model = Architecture::parse_for_key("--model", &args.model).map_err(experiment_error)?;
    c.data = args.data.parse::<DataSource>().map_err(experiment_error)?;
    c.device.clone_from(&args.device);
    c.c2_subset = args.c2_subset;
    if args.augment {
        c.augmentation = experiments::data::Augmentation::cifar();
    }
    c.command = super::command_line();
    Ok(c)
}

/// The experiment a parsed command runs, and whether it is quiet.
pub fn job(command: ExperimentCommand) -> Result<(Job, bool), CliError> {
    Ok(match command {
        ExperimentCommand::SharpnessVsDelta(a) => {
            let mut o = sharpness_vs_delta::Options::new(common(&a.common, "sharpness-vs-delta")?);
            o.learning_rates = a.learning_rates;
            o.batch_sizes = a.batch_sizes;
            o.epochs = a.epochs;
            o.sharpness_rho = a.rho;
            o.lambda_max = !a.no_lambda_max;
            (Job::SharpnessVsDelta(o), a.common.quiet)
        }
        ExperimentCommand::Methods(a) => {
            let mut o = methods::Options::new(common(&a.common, "methods")?);
            o.stage_epochs = a.stage_epochs;
            o.setting = methods::parse_setting(&a.setting).map_err(experiment_error)?;
            (Job::Methods(o), a.common.quiet)
        }
        ExperimentCommand::PolyPower(a) => {
            let mut o = poly_power::Options::new(common(&a.common, "poly-power")?);
            o.powers = a.powers;
            o.epochs = a.epochs;
            o.learning_rate = a.learning_rate;
            o.momentum = a.momentum;
            o.batch_size = a.batch_size;
            (Job::PolyPower(o), a.common.quiet)
        }
        ExperimentCommand::ExplicitGo(a) => {
            let mut o = explicit_go::Options::new(common(&a.common, "explicit-go")?);
            o.stages = a.stages;
            o.stage_epochs = a.stage_epochs;
            o.samples = a.samples;
            o.delta0 = a.delta0;
            o.learning_rate = a.learning_rate;
            o.batch_size = a.batch_size;
            (Job::ExplicitGo(o), a.common.quiet)
        }
    })
}

/// Runs `igo experiment`.
pub fn run(command: ExperimentCommand) -> Result<ExitCode, CliError> {
    let (job, quiet) = job(command)?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let mut progress = RunsProgress::new(quiet);
    let cx = Context {
        progress: &mut progress,
        stop: Some(&stop),
    };
    let out = job.out().to_path_buf();
    let outcome = job.run(cx).map_err(experiment_error)?;
    drop(progress);
    match outcome {
        Outcome::Complete(report) => {
            print!("{}", report.text());
            println!(
                "\nwritten: {} ({}, {}, the CSV and runs/)",
                out.display(),
                experiment::report::VERDICTS,
                experiment::report::README
            );
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Interrupted { completed, total } => {
            eprintln!(
                "interrupted: {completed} of {total} runs ended; run the same command again to continue ({})",
                out.display()
            );
            Ok(ExitCode::from(130))
        }
    }
}
