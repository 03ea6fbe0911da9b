//! `igo measure`: gradient noise C² and δ, sharpness, Hessian eigenvalues and trace (and
//! Wu et al.'s quantities) of a saved checkpoint — igo's own or a PyTorch `state_dict`
//! saved as safetensors.

use super::{usage, CliError};
use anyhow::Context;
use clap::{Args, ValueEnum};
use experiments::data::{DataSource, Split};
use experiments::measure::checkpoint::{
    measure_checkpoint, CheckpointMeasures, CheckpointOptions, NoiseOptions,
};
use experiments::measure::hessian::HessianOptions;
use experiments::measure::sharpness::SharpnessOptions;
use experiments::measure::wu::{StabilityQuery, WuOptions};
use experiments::measure::BatchNormMode;
use experiments::models::{Architecture, Model};
use experiments::train::Delta;
use experiments::ExperimentError;
use numerics::Seed;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// `--dtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DtypeArg {
    /// 32-bit floats (as trained).
    F32,
    /// 64-bit floats (slower, for reference values).
    F64,
}

/// `--batch-norm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BatchNormArg {
    /// Running statistics (the authors' setting).
    Eval,
    /// Batch statistics of each fixed micro-batch (Hessian only; sharpness is always eval).
    Train,
}

/// Flags of `igo measure`.
#[derive(Debug, Args)]
pub struct MeasureArgs {
    /// The checkpoint (safetensors, PyTorch parameter names).
    #[arg(long, value_name = "FILE")]
    checkpoint: PathBuf,
    /// The architecture of the checkpoint (`logistic`, `mlp-128-128`, `resnet18`,
    /// `resnet8-w16`, `wrn-28-10`, …).
    #[arg(long, value_name = "NAME")]
    model: String,
    /// The data whose training images are measured: digits (embedded), cifar10:PATH,
    /// cifar100:PATH, cifar100-coarse:PATH, mnist:PATH, image-folder:PATH.
    #[arg(long, value_name = "SPEC", default_value = "digits")]
    data: String,
    /// Device: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Floating-point type of the computation.
    #[arg(long, value_enum, default_value_t = DtypeArg::F32)]
    dtype: DtypeArg,
    /// Radius ρ of the sharpness box.
    #[arg(long, default_value_t = 2e-4)]
    rho: f64,
    /// Adaptive sharpness: the box ‖δ ⊙ |w|⁻¹‖∞ ≤ ρ.
    #[arg(long)]
    adaptive: bool,
    /// Number of training examples measured (the first ones, unaugmented).
    #[arg(long, default_value_t = 1024)]
    examples: usize,
    /// Batch size m of the sharpness (and micro-batch size of the Hessian unless
    /// --hessian-batch is given).
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Micro-batch size of the Hessian-vector products: less memory, same values in eval
    /// mode (in --batch-norm train it defines the loss).
    #[arg(long, value_name = "N")]
    hessian_batch: Option<usize>,
    /// Ascent iterations of the sharpness.
    #[arg(long, value_name = "N", default_value_t = 20)]
    sharpness_steps: usize,
    /// Number of top Hessian eigenvalues.
    #[arg(long, value_name = "K", default_value_t = 3)]
    lanczos_k: usize,
    /// Most Lanczos steps (Hessian-vector products of the whole set).
    #[arg(long, value_name = "N", default_value_t = 30)]
    lanczos_steps: usize,
    /// Hutchinson probes for the trace (0: no trace).
    #[arg(long, value_name = "N", default_value_t = 0)]
    hutchinson: usize,
    /// Batch-norm mode of the Hessian.
    #[arg(long, value_enum, default_value_t = BatchNormArg::Eval)]
    batch_norm: BatchNormArg,
    /// Wu et al.'s sharpness and non-uniformity on this many examples (0: skipped; costs
    /// 2N per-example Hessian-vector products per Lanczos step).
    #[arg(long, value_name = "N", default_value_t = 0)]
    wu: usize,
    /// Size of the seeded subset on which C² = (1/N)Σ‖∇fᵢ − ∇f‖² is measured (0: skipped).
    #[arg(long, value_name = "N", default_value_t = 256)]
    c2_examples: usize,
    /// Learning rate η: δ = ηC/√b (and its momentum forms), and Wu's stability verdict.
    #[arg(long, value_name = "ETA")]
    learning_rate: Option<f64>,
    /// Batch size b: δ and Wu's stability verdict.
    #[arg(long, value_name = "B")]
    batch_size: Option<usize>,
    /// Momentum β of the SHB/NSHB forms of δ (0: SGD).
    #[arg(long, value_name = "BETA", default_value_t = 0.0)]
    momentum: f64,
    /// Gradient bound K of the SHB/NSHB forms of δ (default: the measured ‖∇f‖ on the
    /// C² subset, a lower bound).
    #[arg(long, value_name = "K")]
    gradient_bound: Option<f64>,
    /// Skip the sharpness.
    #[arg(long)]
    no_sharpness: bool,
    /// Skip the Hessian eigenvalues and trace.
    #[arg(long)]
    no_hessian: bool,
    /// Seed of the Lanczos start and Hutchinson probes.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
}

/// The printed result.
#[derive(Debug, Serialize)]
struct Output {
    checkpoint: PathBuf,
    model: String,
    data: String,
    device: String,
    dtype: String,
    #[serde(flatten)]
    measures: CheckpointMeasures,
    /// δ for the given η and b (with C² measured here).
    delta: Option<Delta>,
}

/// The architecture named `name` (a usage error naming `--model` otherwise).
fn architecture(name: &str) -> Result<Architecture, CliError> {
    Architecture::parse_for_key("--model", name).map_err(config_to_usage)
}

/// The data named `spec` (`digits`, `cifar10:PATH`, …: [`DataSource`]'s flag forms).
fn data(spec: &str) -> Result<Split, CliError> {
    let source: DataSource = spec.parse().map_err(config_to_usage)?;
    source.validate().map_err(config_to_usage)?;
    Ok(source
        .load()
        .with_context(|| format!("reading --data {spec}"))?)
}

/// A config error as a usage error naming the flag: one of `renames` (library key →
/// flag) by its flag, a key that is already a flag as it is, any other as `--key-name`.
fn config_to_usage_renamed(e: ExperimentError, renames: &[(&str, &str)]) -> CliError {
    let ExperimentError::Config { key, message } = e else {
        return CliError::Run(e.into());
    };
    let flag = match renames.iter().find(|(from, _)| *from == key) {
        Some((_, flag)) => (*flag).to_string(),
        None if key.starts_with("--") => key,
        None => format!("--{}", key.replace('_', "-")),
    };
    usage(format!("{flag}: {message}"))
}

/// [`config_to_usage_renamed`] with no renames.
fn config_to_usage(e: ExperimentError) -> CliError {
    config_to_usage_renamed(e, &[])
}

fn options(args: &MeasureArgs) -> Result<CheckpointOptions, CliError> {
    if args.examples == 0 {
        return Err(usage("--examples must be at least 1"));
    }
    if args.batch == 0 {
        return Err(usage("--batch must be at least 1"));
    }
    if args.hessian_batch == Some(0) {
        return Err(usage("--hessian-batch must be at least 1"));
    }
    // The model is built in the requested dtype, so the measures use it as is.
    let dtype = None;
    let sharpness = (!args.no_sharpness).then(|| SharpnessOptions {
        rho: args.rho,
        adaptive: args.adaptive,
        iterations: args.sharpness_steps,
        ..SharpnessOptions::default()
    });
    let hessian = (!args.no_hessian).then(|| HessianOptions {
        top_k: args.lanczos_k,
        lanczos_steps: args.lanczos_steps,
        hutchinson_probes: args.hutchinson,
        batch_norm: match args.batch_norm {
            BatchNormArg::Eval => BatchNormMode::Eval,
            BatchNormArg::Train => BatchNormMode::TrainPerMicroBatch,
        },
        dtype,
        seed: Seed(args.seed),
        ..HessianOptions::default()
    });
    if let Some(s) = &sharpness {
        s.validate()
            .map_err(|e| config_to_usage_renamed(e, &[("iterations", "--sharpness-steps")]))?;
    }
    if let Some(h) = &hessian {
        h.validate().map_err(|e| {
            config_to_usage_renamed(
                e,
                &[
                    ("top_k", "--lanczos-k"),
                    ("lanczos_steps", "--lanczos-steps"),
                    ("hutchinson_probes", "--hutchinson"),
                ],
            )
        })?;
    }
    let stability = match (args.learning_rate, args.batch_size) {
        (Some(eta), Some(b)) => {
            if !(eta > 0.0 && eta.is_finite()) {
                return Err(usage(format!(
                    "--learning-rate must be positive, got {eta}"
                )));
            }
            if b == 0 {
                return Err(usage("--batch-size must be at least 1"));
            }
            Some((eta, b))
        }
        (None, None) => None,
        _ => return Err(usage("--learning-rate and --batch-size go together")),
    };
    if stability.is_some() && args.wu == 0 && args.c2_examples == 0 {
        return Err(usage(
            "--learning-rate/--batch-size are used by δ (needs --c2-examples ≥ 2) and Wu's verdict (--wu N)",
        ));
    }
    if !(0.0..1.0).contains(&args.momentum) {
        return Err(usage(format!(
            "--momentum must be in [0, 1), got {}",
            args.momentum
        )));
    }
    if let Some(k) = args.gradient_bound {
        if !(k >= 0.0 && k.is_finite()) {
            return Err(usage(format!("--gradient-bound must be ≥ 0, got {k}")));
        }
    }
    if args.c2_examples == 1 {
        return Err(usage("--c2-examples must be 0 (skipped) or at least 2"));
    }
    let wu = (args.wu > 0).then(|| WuOptions {
        dtype,
        seed: Seed(args.seed),
        stability: None,
        ..WuOptions::default()
    });
    Ok(CheckpointOptions {
        examples: args.examples,
        batch: args.batch,
        hessian_batch: args.hessian_batch,
        noise: (args.c2_examples >= 2).then_some(NoiseOptions {
            examples: args.c2_examples,
            estimator: None,
            seed: Seed(args.seed),
        }),
        sharpness,
        hessian,
        wu: wu.map(|mut w| {
            w.stability = stability.map(|(learning_rate, batch_size)| StabilityQuery {
                learning_rate,
                batch_size,
                population: 0,
            });
            w
        }),
        wu_examples: args.wu,
    })
}

fn print_table(out: &Output, w: &mut impl Write) -> std::io::Result<()> {
    let m = &out.measures;
    writeln!(w, "checkpoint  {}", out.checkpoint.display())?;
    writeln!(
        w,
        "model       {} ({} parameters), {}, {}",
        out.model, m.parameters, out.dtype, out.device
    )?;
    writeln!(
        w,
        "data        {}: first {} training examples, unaugmented, batches of {}",
        out.data, m.examples, m.batch
    )?;
    if let Some(n) = &m.noise {
        writeln!(
            w,
            "C²          {:.6e}  (‖∇f‖ = {:.4e}; {} examples, {:?})",
            n.c2, n.gradient_norm, n.examples, n.estimator
        )?;
    }
    if let Some(d) = &out.delta {
        writeln!(
            w,
            "δ           SGD ηC/√b = {:.6e}; SHB {:.6e}, NSHB {:.6e} (K = {:.4e})",
            d.sgd, d.shb, d.nshb, d.k
        )?;
    }
    if let Some(s) = &m.sharpness {
        writeln!(
            w,
            "sharpness   {:.6e}  (ℓ∞ worst case, ρ = {:e}{}, {} steps; clean loss {:.6}, error {:+.4}; {:.1} s)",
            s.sharpness,
            s.options.rho,
            if s.options.adaptive { ", adaptive" } else { "" },
            s.options.iterations,
            s.clean_loss,
            s.error_increase,
            s.seconds
        )?;
    }
    if let Some(h) = &m.hessian {
        let values: Vec<String> = h
            .eigenvalues
            .iter()
            .zip(&h.residuals)
            .map(|(v, r)| format!("{v:.6e} (±{r:.1e})"))
            .collect();
        writeln!(
            w,
            "λ_max       {}  (Lanczos, {} steps, {}, micro-batches of {}; loss {:.6}; {:.1} s)",
            values.join(", "),
            h.lanczos_steps,
            if h.converged {
                "converged"
            } else {
                "step budget reached"
            },
            m.hessian_batch,
            h.loss,
            h.seconds
        )?;
        if let Some(t) = &h.trace {
            writeln!(
                w,
                "trace       {:.6e} ± {:.2e}  (Hutchinson, {} Rademacher probes)",
                t.mean, t.std_error, t.probes
            )?;
        }
    }
    if let Some(wu) = &m.wu {
        writeln!(
            w,
            "wu          a = λ_max(H) = {:.6e}, s = √λ_max(Σ) = {:.6e}  ({} examples; {:.1} s)",
            wu.sharpness, wu.non_uniformity, wu.samples, wu.seconds
        )?;
        if let Some(st) = &wu.stability {
            writeln!(
                w,
                "stability   η = {}, b = {}, N = {}: {:?} (Wu λ_max((I−ηH)²+η²pΣ) = {:.6}, lower bound on ρ(T) = {:.6})",
                st.query.learning_rate,
                st.query.batch_size,
                st.query.population,
                st.verdict,
                st.criterion,
                st.lower_bound
            )?;
        }
    }
    Ok(())
}

/// Runs `igo measure`.
pub fn run(args: MeasureArgs) -> Result<ExitCode, CliError> {
    let architecture = architecture(&args.model)?;
    let mut options = options(&args)?;
    let device = experiments::device::device(&args.device).map_err(config_to_usage)?;
    let split = data(&args.data)?;
    if let Some(wu) = options.wu.as_mut() {
        if let Some(q) = wu.stability.as_mut() {
            q.population = split.train.len();
            if q.batch_size > q.population {
                return Err(usage(format!(
                    "--batch-size {} exceeds the {} training examples",
                    q.batch_size, q.population
                )));
            }
        }
    }
    let dtype = match args.dtype {
        DtypeArg::F32 => candle_core::DType::F32,
        DtypeArg::F64 => candle_core::DType::F64,
    };
    let model = Model::new(
        &architecture,
        split.train.shape(),
        split.train.classes(),
        dtype,
        &device,
        Seed(0),
    )
    .map_err(anyhow::Error::from)?;
    model
        .load(&args.checkpoint)
        .with_context(|| format!("loading {}", args.checkpoint.display()))?;
    let measures = measure_checkpoint(&model, &split.train, &split.normalization, &options)
        .map_err(config_to_usage)?;
    let delta = match (args.learning_rate, args.batch_size, &measures.noise) {
        (Some(eta), Some(b), Some(n)) => Some(Delta::new(
            eta,
            b,
            args.momentum,
            n.c2,
            args.gradient_bound.unwrap_or(n.gradient_norm),
        )),
        _ => None,
    };
    let out = Output {
        checkpoint: args.checkpoint.clone(),
        model: architecture.slug(),
        data: split.name.clone(),
        device: args.device.clone(),
        dtype: format!("{dtype:?}").to_lowercase(),
        measures,
        delta,
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &out).map_err(anyhow::Error::from)?;
        writeln!(stdout).map_err(anyhow::Error::from)?;
    } else {
        print_table(&out, &mut stdout).map_err(anyhow::Error::from)?;
    }
    Ok(ExitCode::SUCCESS)
}
