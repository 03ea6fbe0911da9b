//! `igo smooth`: evaluate f(x), the exact smoothed value f̂_δ(x) = E_u[f(x − δu)] and
//! its gradient, and optionally Monte-Carlo estimates with standard errors and z-scores
//! against the exact values.
//!
//! The dimension is the number of coordinates given to `--at`. Functions:
//!
//! * `rastrigin`: 10d + Σ[xᵢ² − 10cos(2πxᵢ)] (closed form, spec §1.2b);
//! * `sphere`: ‖x‖² (= quadratic with A = 2I);
//! * `quadratic`: ½Σᵢ aᵢxᵢ² with `--diag a1,…,ad` (default: all ones, i.e. ½‖x‖²);
//! * `l1`: ‖x‖₁ (non-smooth; folded-normal / Wallis closed forms);
//! * `logistic`: L2 logistic regression on Gaussian data with `--rows` samples
//!   (default 200), label noise 0.5 and ridge `--lambda` (default 0.01), generated from
//!   `--data-seed` (default 0); smoothed by one-dimensional quadrature (spec §1.2c).

use super::{usage, CliError};
use anyhow::Context as _;
use clap::{Args, ValueEnum};
use nalgebra::{DMatrix, DVector};
use numerics::objective::{
    L1Norm, LogisticRegression, Objective, Quadratic, Rastrigin, SmoothedL1Norm,
};
use numerics::smoothing::{
    Difference, Estimate, Kernel, MonteCarlo, SmoothedLogistic, SmoothedQuadratic,
    SmoothedRastrigin, VectorEstimate,
};
use numerics::Seed;
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

/// The functions `igo smooth` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Function {
    /// Rastrigin: 10d + Σ[xᵢ² − 10cos(2πxᵢ)].
    Rastrigin,
    /// Sphere: ‖x‖².
    Sphere,
    /// Quadratic ½Σ aᵢxᵢ² (coefficients from --diag, default 1).
    Quadratic,
    /// ℓ1 norm ‖x‖₁.
    L1,
    /// L2 logistic regression on Gaussian data (--rows, --lambda, --data-seed).
    Logistic,
}

/// The kernels, as on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KernelArg {
    /// u uniform on the unit ball (Hazan et al.).
    Ball,
    /// u ~ N(0, I_d) (GISO; the authors' ego.py).
    #[value(alias = "giso")]
    Gaussian,
    /// u ~ N(0, I_d/d) (GUNIT: E‖u‖² = 1).
    #[value(alias = "gunit")]
    GaussianUnit,
}

impl From<KernelArg> for Kernel {
    fn from(k: KernelArg) -> Self {
        match k {
            KernelArg::Ball => Kernel::Ball,
            KernelArg::Gaussian => Kernel::Gaussian,
            KernelArg::GaussianUnit => Kernel::GaussianUnit,
        }
    }
}

/// Flags of `igo smooth`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example: igo smooth --function rastrigin --kernel gaussian --delta 0.5 --at 0.3,-1.1 --monte-carlo 100000"
)]
pub struct SmoothArgs {
    /// The function f.
    #[arg(long, value_enum)]
    function: Function,
    /// The smoothing kernel (law of u).
    #[arg(long, value_enum, default_value = "gaussian")]
    kernel: KernelArg,
    /// The degree of smoothing δ ≥ 0.
    #[arg(long, allow_hyphen_values = true)]
    delta: f64,
    /// The point x, as comma-separated coordinates (its length is the dimension).
    #[arg(long, value_name = "X1,X2,...", allow_hyphen_values = true)]
    at: String,
    /// Quadratic coefficients a1,...,ad of ½Σ aᵢxᵢ² (only with --function quadratic).
    #[arg(long, value_name = "A1,A2,...", allow_hyphen_values = true)]
    diag: Option<String>,
    /// Number of data rows of --function logistic.
    #[arg(long, default_value_t = 200)]
    rows: usize,
    /// Ridge weight λ ≥ 0 of --function logistic.
    #[arg(long, default_value_t = 1e-2, allow_hyphen_values = true)]
    lambda: f64,
    /// Seed of the Gaussian data of --function logistic.
    #[arg(long, default_value_t = 0)]
    data_seed: u64,
    /// Also estimate f̂_δ(x) and ∇f̂_δ(x) by Monte Carlo with N ≥ 2 samples.
    #[arg(long, value_name = "N")]
    monte_carlo: Option<usize>,
    /// Seed of the Monte-Carlo samples.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Estimate the gradient by the zeroth-order identity (sphere sampling for ball,
    /// Gaussian score otherwise; central differences) instead of E[∇f(x − δu)].
    #[arg(long)]
    zeroth_order: bool,
    /// Threads for the Monte-Carlo estimates (the numbers do not depend on it).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// Parses a comma-separated list of finite numbers for `flag`.
fn parse_list(flag: &str, text: &str) -> Result<Vec<f64>, CliError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(usage(format!("{flag} must list at least one number")));
    }
    trimmed
        .split(',')
        .map(|s| {
            let s = s.trim();
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(usage(format!("{flag}: '{s}' is not a finite number"))),
            }
        })
        .collect()
}

/// f and f̂_δ for the chosen function.
type Pair = (Box<dyn Objective + Sync>, Box<dyn Objective + Sync>);

fn build(args: &SmoothArgs, kernel: Kernel, d: usize) -> Result<Pair, CliError> {
    let delta = args.delta;
    if args.diag.is_some() && args.function != Function::Quadratic {
        return Err(usage("--diag is only used with --function quadratic"));
    }
    let run = |e: numerics::NumericsError| CliError::Run(anyhow::Error::new(e));
    Ok(match args.function {
        Function::Rastrigin => (
            Box::new(Rastrigin::new(d).map_err(run)?),
            Box::new(SmoothedRastrigin::new(d, kernel, delta).map_err(run)?),
        ),
        Function::Sphere | Function::Quadratic => {
            let diag = match (&args.diag, args.function) {
                (_, Function::Sphere) => vec![2.0; d],
                (Some(text), _) => {
                    let a = parse_list("--diag", text)?;
                    if a.len() != d {
                        return Err(usage(format!(
                            "--diag has {} coefficients but --at has {d} coordinates",
                            a.len()
                        )));
                    }
                    a
                }
                (None, _) => vec![1.0; d],
            };
            let q = Quadratic::homogeneous(DMatrix::from_diagonal(&DVector::from_vec(diag)))
                .map_err(run)?;
            (
                Box::new(q.clone()),
                Box::new(SmoothedQuadratic::new(q, kernel, delta).map_err(run)?),
            )
        }
        Function::L1 => (
            Box::new(L1Norm::new(d).map_err(run)?),
            Box::new(SmoothedL1Norm::new(d, kernel, delta).map_err(run)?),
        ),
        Function::Logistic => {
            if args.rows == 0 {
                return Err(usage("--rows must be at least 1"));
            }
            if !(args.lambda.is_finite() && args.lambda >= 0.0) {
                return Err(usage(format!(
                    "--lambda must be ≥ 0 and finite, got {}",
                    args.lambda
                )));
            }
            let f = LogisticRegression::gaussian(
                args.rows,
                d,
                0.5,
                args.lambda,
                &mut Seed(args.data_seed).stream("smooth-logistic-data"),
            )
            .map_err(run)?;
            (
                Box::new(f.clone()),
                Box::new(SmoothedLogistic::new(f, kernel, delta).map_err(run)?),
            )
        }
    })
}

#[derive(Debug, Serialize)]
struct ScalarEstimate {
    mean: f64,
    std_error: f64,
    z: f64,
}

#[derive(Debug, Serialize)]
struct MonteCarloOutput {
    samples: usize,
    seed: u64,
    gradient_estimator: &'static str,
    value: ScalarEstimate,
    gradient: Vec<ScalarEstimate>,
}

#[derive(Debug, Serialize)]
struct Output {
    function: String,
    kernel: &'static str,
    delta: f64,
    dimension: usize,
    at: Vec<f64>,
    value: f64,
    smoothed_value: f64,
    smoothed_gradient: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    monte_carlo: Option<MonteCarloOutput>,
}

fn scalar(e: &Estimate, reference: f64) -> ScalarEstimate {
    ScalarEstimate {
        mean: e.mean,
        std_error: e.std_error,
        z: e.z_score(reference),
    }
}

fn coordinates(e: &VectorEstimate, reference: &DVector<f64>) -> Vec<ScalarEstimate> {
    (0..e.mean.len())
        .map(|j| ScalarEstimate {
            mean: e.mean[j],
            std_error: e.std_error[j],
            z: numerics::stats::z_score(e.mean[j], reference[j], e.std_error[j]),
        })
        .collect()
}

/// Runs `igo smooth`.
pub fn run(args: SmoothArgs) -> Result<ExitCode, CliError> {
    if !(args.delta.is_finite() && args.delta >= 0.0) {
        return Err(usage(format!(
            "--delta must be ≥ 0 and finite, got {}",
            args.delta
        )));
    }
    let at = parse_list("--at", &args.at)?;
    let d = at.len();
    if args.threads == 0 {
        return Err(usage("--threads must be at least 1"));
    }
    if let Some(n) = args.monte_carlo {
        if n < 2 {
            return Err(usage(format!(
                "--monte-carlo must be at least 2 (a standard error needs two samples), got {n}"
            )));
        }
        if args.zeroth_order && args.delta <= 0.0 {
            return Err(usage("--zeroth-order needs --delta > 0"));
        }
    } else if args.zeroth_order {
        return Err(usage("--zeroth-order is only used with --monte-carlo N"));
    }
    let kernel = Kernel::from(args.kernel);
    let (f, smoothed) = build(&args, kernel, d)?;
    let x = DVector::from_vec(at.clone());
    let exact_value = smoothed.value(&x);
    let exact_gradient = smoothed.gradient(&x);

    let monte_carlo = match args.monte_carlo {
        None => None,
        Some(n) => {
            let mc = MonteCarlo::new(kernel, args.delta, n)
                .map_err(|e| usage(format!("--monte-carlo: {e}")))?
                .with_threads(args.threads);
            let mut rng = Seed(args.seed).stream("igo-smooth");
            let value = mc
                .value(f.as_ref(), &x, &mut rng)
                .context("Monte-Carlo value")?;
            let (gradient, estimator) = if args.zeroth_order {
                let g = mc
                    .zeroth_order_gradient(f.as_ref(), &x, Difference::Central, &mut rng)
                    .context("zeroth-order gradient")?;
                let name = if kernel == Kernel::Ball {
                    "sphere sampling (d/δ)E[f(x+δv)v], central"
                } else {
                    "Gaussian score E[f(x+δu)u]/(δs), central"
                };
                (g, name)
            } else {
                let g = mc
                    .gradient(f.as_ref(), &x, &mut rng)
                    .context("Monte-Carlo gradient")?;
                (g, "first order E[∇f(x−δu)]")
            };
            Some(MonteCarloOutput {
                samples: n,
                seed: args.seed,
                gradient_estimator: estimator,
                value: scalar(&value, exact_value),
                gradient: coordinates(&gradient, &exact_gradient),
            })
        }
    };
    let out = Output {
        function: format!("{:?}", args.function).to_lowercase(),
        kernel: kernel.name(),
        delta: args.delta,
        dimension: d,
        at,
        value: f.value(&x),
        smoothed_value: exact_value,
        smoothed_gradient: exact_gradient.iter().copied().collect(),
        monte_carlo,
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &out).map_err(anyhow::Error::from)?;
        writeln!(stdout).map_err(anyhow::Error::from)?;
    } else {
        print_table(&mut stdout, &out).map_err(anyhow::Error::from)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(out: &mut impl Write, o: &Output) -> std::io::Result<()> {
    writeln!(
        out,
        "{} in d = {}, kernel {}, δ = {}",
        o.function, o.dimension, o.kernel, o.delta
    )?;
    writeln!(out, "f(x)        {:.12}", o.value)?;
    writeln!(out, "f̂_δ(x)      {:.12}   (exact)", o.smoothed_value)?;
    for (j, g) in o.smoothed_gradient.iter().enumerate() {
        writeln!(out, "∂{} f̂_δ(x)   {g:.12}   (exact)", j + 1)?;
    }
    if let Some(mc) = &o.monte_carlo {
        writeln!(
            out,
            "Monte Carlo: n = {}, seed {}, gradient by {}",
            mc.samples, mc.seed, mc.gradient_estimator
        )?;
        writeln!(
            out,
            "f̂_δ(x)      {:.6} ± {:.2e}   z = {:+.2}",
            mc.value.mean, mc.value.std_error, mc.value.z
        )?;
        for (j, g) in mc.gradient.iter().enumerate() {
            writeln!(
                out,
                "∂{} f̂_δ(x)   {:.6} ± {:.2e}   z = {:+.2}",
                j + 1,
                g.mean,
                g.std_error,
                g.z
            )?;
        }
    }
    Ok(())
}
