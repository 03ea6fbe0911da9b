//! `igo bench train`: igo's training step against PyTorch's on the same machine,
//! alternating, and the cost of one exact Hessian-vector product against PyTorch's.
//!
//! For each model, R rounds alternate W warm-up + S timed igo steps (in this process,
//! [`experiments::bench::train_step`]) with the same in PyTorch (a child process
//! `bench/.venv/bin/python bench/train_step.py`, torch with the same number of
//! threads); each side's figure is the median over the rounds of the per-round median
//! images/s, and ratio = igo / PyTorch. The HVP and gradient timings run in child
//! processes of their own (`igo bench hvp-child`, `train_step.py --hvp/--gradient`) so
//! that each peak resident memory belongs to one measurement.
//!
//! Exit status: 0 measured; 1 a run failed (PyTorch could not be set up, a child
//! failed); 2 bad flag.

// Flag docs are clap help texts with placeholders such as <N>, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use super::{usage, CliError};
use anyhow::{anyhow, Context};
use clap::{Args, Subcommand, ValueEnum};
use experiments::bench::second_order::{time_second_order, SecondOrder};
use experiments::bench::train_step::{StepConfig, TrainStep};
use experiments::bench::{cpu_model, median, threads, utc_date, PeakMemory};
use experiments::models::Architecture;
use experiments::ExperimentError;
use indicatif::{ProgressBar, ProgressStyle};
use numerics::Seed;
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::SystemTime;

/// The default models (the table), with their default batch sizes.
const DEFAULT_MODELS: [(&str, usize); 3] =
    [("resnet18", 32), ("resnet18-w16", 128), ("resnet8-w16", 32)];
/// Batch of a model given by --models without --batch.
const DEFAULT_BATCH: usize = 32;

/// `igo bench …`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Training-step images/s of igo and PyTorch side by side (forward, cross-entropy,
    /// backward, SGD momentum 0.9 on random 3×32×32 input), and one exact
    /// Hessian-vector product's time and peak memory against PyTorch's.
    Train(BenchTrainArgs),
    /// One timed HVP or gradient in this process, printed as JSON with the process's
    /// peak memory (used by `igo bench train`).
    #[command(hide = true)]
    HvpChild(HvpChildArgs),
}

/// Flags of `igo bench train`.
#[derive(Debug, Args)]
pub struct BenchTrainArgs {
    /// Models (igo names, comma-separated; ResNet-18, ResNet-18 at width 16, ResNet-8 at
    /// width 16 by default).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    models: Vec<String>,
    /// Batch sizes: one for all models or one per model (default: 32 for resnet18 and
    /// resnet8-w16, 128 for resnet18-w16, 32 for any other model).
    #[arg(long, value_name = "B", value_delimiter = ',')]
    batch: Vec<usize>,
    /// Timed steps per round and side.
    #[arg(long, value_name = "N", default_value_t = 5)]
    steps: usize,
    /// Untimed warm-up steps before each round's timed steps.
    #[arg(long, value_name = "N", default_value_t = 2)]
    warmup: usize,
    /// Rounds (igo then PyTorch) per model.
    #[arg(long, value_name = "R", default_value_t = 3)]
    rounds: usize,
    /// Threads of both sides (default: candle's, RAYON_NUM_THREADS or the physical cores).
    #[arg(long, value_name = "T")]
    threads: Option<usize>,
    /// Seed of the weights and the random batch.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Only igo (no PyTorch reference, no venv).
    #[arg(long)]
    no_pytorch: bool,
    /// Model of the HVP measurement, one of --models (default: the first).
    #[arg(long, value_name = "NAME")]
    hvp_model: Option<String>,
    /// Batch of the HVP measurement (default: that model's batch).
    #[arg(long, value_name = "B")]
    hvp_batch: Option<usize>,
    /// Timed HVP (and gradient) calls after one warm-up call.
    #[arg(long, value_name = "N", default_value_t = 3)]
    hvp_calls: usize,
    /// Skip the HVP measurement.
    #[arg(long)]
    no_hvp: bool,
    /// The repository's bench/ folder (train_step.py, pytorch-venv.sh, .venv).
    #[arg(long, value_name = "DIR")]
    bench_dir: Option<PathBuf>,
    /// Print JSON (an array, one object per model) instead of the table.
    #[arg(long)]
    json: bool,
}

/// `--what` of `igo bench hvp-child`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum WhatArg {
    /// One exact Hessian-vector product.
    Hvp,
    /// One gradient.
    Gradient,
}

/// Flags of `igo bench hvp-child`.
#[derive(Debug, Args)]
pub struct HvpChildArgs {
    /// Model name.
    #[arg(long)]
    model: String,
    /// Batch size.
    #[arg(long)]
    batch: usize,
    /// What to time.
    #[arg(long, value_enum)]
    what: WhatArg,
    /// Timed calls after one warm-up call.
    #[arg(long, default_value_t = 3)]
    calls: usize,
    /// Seed of the weights, batch and vector.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// What a second-order child prints (igo's and `train_step.py`'s share these keys).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ChildCost {
    /// Median seconds per call.
    seconds: f64,
    /// Peak memory: the process's, and that of the calls.
    #[serde(flatten)]
    memory: PeakMemory,
    /// Trainable parameters.
    parameters: usize,
}

/// What `train_step.py` prints in train mode (the keys used here).
#[derive(Debug, Deserialize)]
struct TorchStep {
    images_per_s: f64,
    parameters: usize,
    torch: String,
}

/// One row of the table / object of the JSON array.
#[derive(Debug, Serialize)]
struct ModelRow {
    model: String,
    igo_images_per_s: f64,
    pytorch_images_per_s: Option<f64>,
    /// igo / PyTorch.
    ratio: Option<f64>,
    batch: usize,
    parameters: usize,
    threads: usize,
    rounds: usize,
    steps: usize,
    warmup: usize,
    seed: u64,
    /// Per-round median images/s of igo.
    igo_rounds: Vec<f64>,
    /// Per-round median images/s of PyTorch.
    pytorch_rounds: Vec<f64>,
    torch: Option<String>,
    machine: Option<String>,
    date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hvp: Option<HvpReport>,
}

/// One side of the HVP comparison.
#[derive(Debug, Clone, Serialize)]
struct SecondOrderSide {
    hvp_seconds: f64,
    /// Peak resident memory of the HVP process.
    hvp_peak_rss_bytes: Option<u64>,
    /// What the HVP calls added to the process (their peak minus the resident memory
    /// when they began, with the model and batch built).
    hvp_added_rss_bytes: Option<u64>,
    gradient_seconds: f64,
    gradient_peak_rss_bytes: Option<u64>,
    gradient_added_rss_bytes: Option<u64>,
    /// HVP seconds / gradient seconds.
    hvp_over_gradient: f64,
}

/// The HVP comparison.
#[derive(Debug, Clone, Serialize)]
struct HvpReport {
    model: String,
    batch: usize,
    calls: usize,
    batch_norm: &'static str,
    igo: SecondOrderSide,
    pytorch: Option<SecondOrderSide>,
    /// igo HVP seconds / PyTorch HVP seconds.
    time_ratio: Option<f64>,
    /// igo HVP peak memory / PyTorch's.
    memory_ratio: Option<f64>,
    /// Memory the igo HVP calls added / what PyTorch's added.
    added_memory_ratio: Option<f64>,
    /// igo gradient seconds / PyTorch's.
    gradient_time_ratio: Option<f64>,
    /// igo gradient peak memory / PyTorch's.
    gradient_memory_ratio: Option<f64>,
    /// Memory the igo gradient calls added / what PyTorch's added.
    gradient_added_memory_ratio: Option<f64>,
}

/// Runs `igo bench …`.
pub fn run(command: BenchCommand) -> Result<ExitCode, CliError> {
    match command {
        BenchCommand::Train(args) => train(args),
        BenchCommand::HvpChild(args) => hvp_child(&args),
    }
}

/// A config error of the library as a usage error naming `flag`.
fn flag_error(flag: &str, e: ExperimentError) -> CliError {
    match e {
        ExperimentError::Config { message, .. } => usage(format!("{flag}: {message}")),
        other => CliError::Run(other.into()),
    }
}

/// The validated plan of a run.
struct Plan {
    models: Vec<(Architecture, usize)>,
    hvp: Option<(Architecture, usize)>,
    bench_dir: Option<PathBuf>,
}

fn plan(args: &BenchTrainArgs) -> Result<Plan, CliError> {
    for (flag, value) in [
        ("--steps", args.steps),
        ("--rounds", args.rounds),
        ("--hvp-calls", args.hvp_calls),
    ] {
        if value == 0 {
            return Err(usage(format!("{flag} must be at least 1, got 0")));
        }
    }
    if args.threads == Some(0) {
        return Err(usage("--threads must be at least 1, got 0"));
    }
    if args.batch.contains(&0) || args.hvp_batch == Some(0) {
        let flag = if args.batch.contains(&0) {
            "--batch"
        } else {
            "--hvp-batch"
        };
        return Err(usage(format!("{flag}: batch sizes must be at least 1")));
    }
    let names: Vec<String> = if args.models.is_empty() {
        DEFAULT_MODELS
            .iter()
            .map(|(m, _)| (*m).to_string())
            .collect()
    } else {
        args.models.iter().map(|m| m.trim().to_string()).collect()
    };
    let batches: Vec<usize> = match args.batch.len() {
        0 => names
            .iter()
            .map(|name| {
                DEFAULT_MODELS
                    .iter()
                    .find(|(m, _)| m == name)
                    .map_or(DEFAULT_BATCH, |(_, b)| *b)
            })
            .collect(),
        1 => vec![args.batch[0]; names.len()],
        n if n == names.len() => args.batch.clone(),
        n => {
            return Err(usage(format!(
                "--batch: give one batch size or one per model ({} models), got {n}",
                names.len()
            )))
        }
    };
    let models = names
        .iter()
        .zip(batches)
        .map(|(name, b)| {
            Architecture::parse_for_key("--models", name)
                .map(|a| (a, b))
                .map_err(|e| flag_error("--models", e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !args.no_pytorch {
        if let Some((arch, _)) = models.iter().find(|(a, _)| !has_pytorch_reference(a)) {
            return Err(usage(format!(
                "--models: {arch} has no PyTorch reference in bench/torch_models.py (CIFAR \
                 ResNets and wide ResNets); run it with --no-pytorch"
            )));
        }
    }
    let hvp = if args.no_hvp {
        None
    } else {
        let (arch, batch) = match &args.hvp_model {
            None => models[0].clone(),
            Some(name) => {
                let arch = Architecture::parse_for_key("--hvp-model", name)
                    .map_err(|e| flag_error("--hvp-model", e))?;
                models
                    .iter()
                    .find(|(a, _)| *a == arch)
                    .cloned()
                    .ok_or_else(|| {
                        usage(format!(
                            "--hvp-model: {name} is not one of --models ({})",
                            names.join(", ")
                        ))
                    })?
            }
        };
        Some((arch, args.hvp_batch.unwrap_or(batch)))
    };
    let bench_dir = if args.no_pytorch {
        None
    } else {
        let dir = args
            .bench_dir
            .clone()
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("bench"));
        for file in ["train_step.py", "torch_models.py", "pytorch-venv.sh"] {
            if !dir.join(file).is_file() {
                return Err(usage(format!(
                    "--bench-dir: {} has no {file}; point --bench-dir at the igo repository's \
                     bench/ folder, or run with --no-pytorch",
                    dir.display()
                )));
            }
        }
        Some(dir)
    };
    Ok(Plan {
        models,
        hvp,
        bench_dir,
    })
}

/// Whether `bench/torch_models.py` builds `arch` (on 3×32×32 input).
fn has_pytorch_reference(arch: &Architecture) -> bool {
    matches!(
        arch,
        Architecture::ResnetCifar { .. }
            | Architecture::ResnetSmall { .. }
            | Architecture::WideResnet { .. }
    )
}

/// The venv's python, created by `bench/pytorch-venv.sh` on first use.
fn pytorch_python(bench_dir: &Path) -> Result<PathBuf, CliError> {
    let python = bench_dir.join(".venv/bin/python");
    if !python.exists() {
        eprintln!(
            "creating {} with PyTorch from PyPI (first use; several minutes)…",
            bench_dir.join(".venv").display()
        );
    }
    let out = Command::new("bash")
        .arg(bench_dir.join("pytorch-venv.sh"))
        .output()
        .context("running bash bench/pytorch-venv.sh")?;
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || printed.is_empty() {
        return Err(CliError::Run(anyhow!(
            "cannot set up PyTorch in {venv}: {err}\ncreate it by hand with \
             `python3 -m venv {venv} && {venv}/bin/pip install torch numpy` \
             (Debian: apt-get install python3-venv first), or run with --no-pytorch",
            venv = bench_dir.join(".venv").display(),
            err = String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(PathBuf::from(printed))
}

/// Runs a child and returns its standard output, or an error with its stderr.
fn run_child(mut command: Command, what: &str) -> anyhow::Result<String> {
    let out = command
        .output()
        .with_context(|| format!("starting {what}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(anyhow!(
            "{what} failed ({}):\n{}",
            out.status,
            tail.join("\n")
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The last line of `stdout` parsed as JSON.
fn last_json<T: serde::de::DeserializeOwned>(stdout: &str, what: &str) -> anyhow::Result<T> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| anyhow!("{what} printed nothing"))?;
    serde_json::from_str(line).with_context(|| format!("reading the output of {what}: {line}"))
}

struct Torch {
    python: PathBuf,
    script: PathBuf,
    threads: usize,
    seed: u64,
}

impl Torch {
    fn command(&self, model: &Architecture, batch: usize) -> Command {
        let mut c = Command::new(&self.python);
        c.arg(&self.script)
            .args(["--model", &model.slug()])
            .args(["--batch", &batch.to_string()])
            .args(["--threads", &self.threads.to_string()])
            .args(["--seed", &self.seed.to_string()]);
        c
    }

    fn step(
        &self,
        model: &Architecture,
        batch: usize,
        warmup: usize,
        steps: usize,
    ) -> anyhow::Result<TorchStep> {
        let mut c = self.command(model, batch);
        c.args(["--warmup", &warmup.to_string()])
            .args(["--steps", &steps.to_string()]);
        last_json(&run_child(c, "bench/train_step.py")?, "bench/train_step.py")
    }

    fn second_order(
        &self,
        model: &Architecture,
        batch: usize,
        what: WhatArg,
        calls: usize,
    ) -> anyhow::Result<ChildCost> {
        let mut c = self.command(model, batch);
        c.arg(match what {
            WhatArg::Hvp => "--hvp",
            WhatArg::Gradient => "--gradient",
        })
        .args(["--calls", &calls.to_string()]);
        last_json(&run_child(c, "bench/train_step.py")?, "bench/train_step.py")
    }
}

/// igo's HVP or gradient in a child process of this binary.
fn igo_second_order(
    model: &Architecture,
    batch: usize,
    what: WhatArg,
    calls: usize,
    seed: u64,
    threads: usize,
) -> anyhow::Result<ChildCost> {
    let exe = std::env::current_exe().context("locating the igo binary")?;
    let mut c = Command::new(exe);
    c.args(["bench", "hvp-child", "--model", &model.slug()])
        .args(["--batch", &batch.to_string()])
        .args(["--what", what.to_possible_value_name()])
        .args(["--calls", &calls.to_string()])
        .args(["--seed", &seed.to_string()])
        .env("RAYON_NUM_THREADS", threads.to_string());
    last_json(&run_child(c, "igo bench hvp-child")?, "igo bench hvp-child")
}

impl WhatArg {
    fn to_possible_value_name(self) -> &'static str {
        match self {
            WhatArg::Hvp => "hvp",
            WhatArg::Gradient => "gradient",
        }
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    a / b
}

fn memory_ratio(a: Option<u64>, b: Option<u64>) -> Option<f64> {
    Some(a? as f64 / b? as f64)
}

fn side(hvp: &ChildCost, gradient: &ChildCost) -> SecondOrderSide {
    SecondOrderSide {
        hvp_seconds: hvp.seconds,
        hvp_peak_rss_bytes: hvp.memory.peak_rss_bytes,
        hvp_added_rss_bytes: hvp.memory.added_bytes(),
        gradient_seconds: gradient.seconds,
        gradient_peak_rss_bytes: gradient.memory.peak_rss_bytes,
        gradient_added_rss_bytes: gradient.memory.added_bytes(),
        hvp_over_gradient: ratio(hvp.seconds, gradient.seconds),
    }
}

/// The progress bar over the measurements (a terminal only).
fn progress(total: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    let style =
        ProgressStyle::with_template("bench [{bar:30}] {pos}/{len} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(style);
    Some(bar)
}

fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let parts: Vec<&str> = text.split_whitespace().take(3).collect();
    (parts.len() == 3).then(|| parts.join(" "))
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("–".into(), |b| format!("{:.0}", b as f64 / 1_048_576.0))
}

/// "min–max" of the values with one decimal ("–" if empty).
fn spread(values: &[f64]) -> String {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.is_empty() {
        "–".into()
    } else {
        format!("{lo:.1}–{hi:.1}")
    }
}

fn opt(value: Option<f64>, digits: usize) -> String {
    value.map_or("–".into(), |v| format!("{v:.digits$}"))
}

fn train(args: BenchTrainArgs) -> Result<ExitCode, CliError> {
    let plan = plan(&args)?;
    if let Some(t) = args.threads {
        // Before any candle work: candle reads RAYON_NUM_THREADS for its kernels and
        // rayon's global pool when it starts.
        std::env::set_var("RAYON_NUM_THREADS", t.to_string());
    }
    let threads = threads();
    let date = utc_date(SystemTime::now());
    let machine = cpu_model();
    let load_start = load_average();
    let torch = match &plan.bench_dir {
        Some(dir) => Some(Torch {
            python: pytorch_python(dir)?,
            script: dir.join("train_step.py"),
            threads,
            seed: args.seed,
        }),
        None => None,
    };
    let sides: u64 = if torch.is_some() { 2 } else { 1 };
    let total = plan.models.len() as u64 * args.rounds as u64 * sides
        + if plan.hvp.is_some() { 2 * sides } else { 0 };
    let bar = progress(total);
    let note = |msg: String| {
        if let Some(bar) = &bar {
            bar.set_message(msg);
        }
    };
    let tick = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let mut rows = Vec::with_capacity(plan.models.len());
    let mut torch_version = None;
    for (arch, batch) in &plan.models {
        let name = arch.slug();
        let config = StepConfig {
            seed: Seed(args.seed),
            ..StepConfig::new(*batch)
        };
        let mut step = TrainStep::new(arch, &config).map_err(|e| flag_error("--models", e))?;
        let parameters = step.model().parameter_count();
        let mut igo_rounds = Vec::with_capacity(args.rounds);
        let mut torch_rounds = Vec::with_capacity(args.rounds);
        for round in 1..=args.rounds {
            note(format!("{name} round {round}/{} igo", args.rounds));
            let times = step
                .time(args.warmup, args.steps)
                .with_context(|| format!("igo training step of {name}"))?;
            igo_rounds.push(times.images_per_s());
            tick();
            if let Some(torch) = &torch {
                note(format!("{name} round {round}/{} PyTorch", args.rounds));
                let t = torch.step(arch, *batch, args.warmup, args.steps)?;
                if t.parameters != parameters {
                    return Err(CliError::Run(anyhow!(
                        "{name}: PyTorch's model has {} parameters, igo's {parameters}: \
                         bench/torch_models.py does not build the same network",
                        t.parameters
                    )));
                }
                torch_rounds.push(t.images_per_s);
                torch_version = Some(t.torch);
                tick();
            }
        }
        drop(step);
        let igo = median(&igo_rounds).unwrap_or(f64::NAN);
        let pytorch = median(&torch_rounds);
        rows.push(ModelRow {
            model: name,
            igo_images_per_s: igo,
            pytorch_images_per_s: pytorch,
            ratio: pytorch.map(|p| ratio(igo, p)),
            batch: *batch,
            parameters,
            threads,
            rounds: args.rounds,
            steps: args.steps,
            warmup: args.warmup,
            seed: args.seed,
            igo_rounds,
            pytorch_rounds: torch_rounds,
            torch: None,
            machine: machine.clone(),
            date: date.clone(),
            hvp: None,
        });
    }
    for row in &mut rows {
        row.torch.clone_from(&torch_version);
    }
    if let Some((arch, batch)) = &plan.hvp {
        let calls = args.hvp_calls;
        let expected = rows
            .iter()
            .find(|r| r.model == arch.slug())
            .map(|r| r.parameters);
        let cost = |what: WhatArg, pytorch: bool| -> anyhow::Result<ChildCost> {
            let who = if pytorch { "PyTorch" } else { "igo" };
            note(format!(
                "{} {} at batch {batch}, {who}",
                arch.slug(),
                what.to_possible_value_name()
            ));
            let c = match (&torch, pytorch) {
                (Some(t), true) => t.second_order(arch, *batch, what, calls)?,
                _ => igo_second_order(arch, *batch, what, calls, args.seed, threads)?,
            };
            if expected.is_some_and(|d| d != c.parameters) {
                return Err(anyhow!(
                    "{who}'s {} has {} parameters, not {expected:?}",
                    arch.slug(),
                    c.parameters
                ));
            }
            tick();
            Ok(c)
        };
        let igo = side(
            &cost(WhatArg::Hvp, false)?,
            &cost(WhatArg::Gradient, false)?,
        );
        let pytorch = match &torch {
            Some(_) => Some(side(
                &cost(WhatArg::Hvp, true)?,
                &cost(WhatArg::Gradient, true)?,
            )),
            None => None,
        };
        // igo over PyTorch for one field of the two sides (None without PyTorch).
        let time = |f: fn(&SecondOrderSide) -> f64| pytorch.as_ref().map(|p| ratio(f(&igo), f(p)));
        let memory = |f: fn(&SecondOrderSide) -> Option<u64>| {
            pytorch.as_ref().and_then(|p| memory_ratio(f(&igo), f(p)))
        };
        let report = HvpReport {
            model: arch.slug(),
            batch: *batch,
            calls,
            batch_norm: "eval",
            time_ratio: time(|s| s.hvp_seconds),
            memory_ratio: memory(|s| s.hvp_peak_rss_bytes),
            added_memory_ratio: memory(|s| s.hvp_added_rss_bytes),
            gradient_time_ratio: time(|s| s.gradient_seconds),
            gradient_memory_ratio: memory(|s| s.gradient_peak_rss_bytes),
            gradient_added_memory_ratio: memory(|s| s.gradient_added_rss_bytes),
            igo,
            pytorch,
        };
        if let Some(row) = rows.iter_mut().find(|r| r.model == report.model) {
            row.hvp = Some(report);
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).context("writing JSON")?
        );
        return Ok(ExitCode::SUCCESS);
    }
    print_table(
        &rows,
        &Header {
            date: &date,
            machine: machine.as_deref(),
            threads,
            seed: args.seed,
            torch: torch_version.as_deref(),
            load_start: load_start.as_deref(),
            load_end: load_average().as_deref(),
            steps: args.steps,
            warmup: args.warmup,
            rounds: args.rounds,
        },
    );
    Ok(ExitCode::SUCCESS)
}

struct Header<'a> {
    date: &'a str,
    machine: Option<&'a str>,
    threads: usize,
    seed: u64,
    torch: Option<&'a str>,
    load_start: Option<&'a str>,
    load_end: Option<&'a str>,
    steps: usize,
    warmup: usize,
    rounds: usize,
}

fn print_table(rows: &[ModelRow], h: &Header<'_>) {
    println!(
        "igo bench train · {} · {} · {} threads · seed {} · PyTorch {}",
        h.date,
        h.machine.unwrap_or("unknown CPU"),
        h.threads,
        h.seed,
        h.torch.unwrap_or("not run")
    );
    println!(
        "training step: forward (train mode) + cross-entropy + backward + SGD momentum 0.9, \
         random 3×32×32 input; median images/s over {} rounds of {} steps after {} warm-up",
        h.rounds, h.steps, h.warmup
    );
    println!(
        "load average (1, 5, 15 min): {} at start, {} at end",
        h.load_start.unwrap_or("–"),
        h.load_end.unwrap_or("–")
    );
    println!();
    println!(
        "{:<16} {:>6} {:>10} {:>14} {:>8}   {:>15} {:>15}",
        "model", "batch", "igo img/s", "PyTorch img/s", "ratio", "igo rounds", "PyTorch rounds"
    );
    for r in rows {
        println!(
            "{:<16} {:>6} {:>10.1} {:>14} {:>8}   {:>15} {:>15}",
            r.model,
            r.batch,
            r.igo_images_per_s,
            opt(r.pytorch_images_per_s, 1),
            opt(r.ratio, 3),
            spread(&r.igo_rounds),
            spread(&r.pytorch_rounds)
        );
    }
    println!(
        "(rounds: the lowest and highest per-round median; a wide spread means a busy machine)"
    );
    let Some(hvp) = rows.iter().find_map(|r| r.hvp.as_ref()) else {
        return;
    };
    println!();
    println!(
        "exact Hessian-vector product, {} at batch {} (batch norm {}, median of {} calls; \
         peak = the process's peak resident memory):",
        hvp.model, hvp.batch, hvp.batch_norm, hvp.calls
    );
    println!(
        "{:<12} {:>9} {:>20} {:>11} {:>20} {:>13}",
        "", "HVP s", "HVP peak MiB (+run)", "gradient s", "grad. peak MiB (+run)", "HVP/gradient"
    );
    let memory = |peak: Option<u64>, added: Option<u64>| format!("{} (+{})", mib(peak), mib(added));
    let line = |who: &str, s: &SecondOrderSide| {
        println!(
            "{:<12} {:>9.3} {:>20} {:>11.3} {:>20} {:>13.2}",
            who,
            s.hvp_seconds,
            memory(s.hvp_peak_rss_bytes, s.hvp_added_rss_bytes),
            s.gradient_seconds,
            memory(s.gradient_peak_rss_bytes, s.gradient_added_rss_bytes),
            s.hvp_over_gradient
        );
    };
    line("igo", &hvp.igo);
    if let Some(p) = &hvp.pytorch {
        line("PyTorch", p);
        println!(
            "{:<12} {:>9} {:>20} {:>11} {:>20}",
            "igo/PyTorch",
            opt(hvp.time_ratio, 2),
            format!(
                "{} (+{})",
                opt(hvp.memory_ratio, 2),
                opt(hvp.added_memory_ratio, 2)
            ),
            opt(hvp.gradient_time_ratio, 2),
            format!(
                "{} (+{})",
                opt(hvp.gradient_memory_ratio, 2),
                opt(hvp.gradient_added_memory_ratio, 2)
            )
        );
        println!(
            "(peak: the process's peak resident memory, PyTorch's includes torch's \
             libraries; +run: what the calls added to the process with model and batch built)"
        );
    }
}

fn hvp_child(args: &HvpChildArgs) -> Result<ExitCode, CliError> {
    let arch = Architecture::parse_for_key("--model", &args.model)
        .map_err(|e| flag_error("--model", e))?;
    if args.batch == 0 {
        return Err(usage("--batch must be at least 1, got 0"));
    }
    if args.calls == 0 {
        return Err(usage("--calls must be at least 1, got 0"));
    }
    let what = match args.what {
        WhatArg::Hvp => SecondOrder::Hvp,
        WhatArg::Gradient => SecondOrder::Gradient,
    };
    let times = time_second_order(&arch, args.batch, Seed(args.seed), what, args.calls)
        .map_err(|e| flag_error("--model", e))?;
    let out = ChildCost {
        seconds: times.seconds(),
        memory: times.memory,
        parameters: times.parameters,
    };
    println!("{}", serde_json::to_string(&out).context("writing JSON")?);
    Ok(ExitCode::SUCCESS)
}
