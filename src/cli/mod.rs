//! Command-line interface: one subcommand per file; each parses, validates, and calls
//! a library.

mod bench;
mod check;
mod experiment;
mod figure;
mod measure;
mod reproduce;
mod schedule;
mod smooth;
mod sweep;
mod train;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// SGD as implicit graduated optimization: executable proof checks and experiments.
#[derive(Debug, Parser)]
#[command(name = "igo", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the theory checks (spec C1.1–C9.10) and print a table of verdicts.
    Check(check::CheckArgs),
    /// Evaluate the smoothed function f̂_δ(x) = E_u[f(x − δu)] exactly (and by Monte Carlo).
    Smooth(smooth::SmoothArgs),
    /// Print the per-stage (η, b, β, δ/δ_prev, parameter updates) table of a schedule.
    Schedule(schedule::ScheduleArgs),
    /// Train a network (config file and/or flags), writing records and checkpoints.
    Train(train::TrainArgs),
    /// Test the papers' predictions at CPU scale (P1/P2, P4/P5, P7, P8 of spec §10.5).
    #[command(subcommand)]
    Experiment(experiment::ExperimentCommand),
    /// Measure a checkpoint: worst-case sharpness, Hessian eigenvalues and trace, Wu et al.
    Measure(measure::MeasureArgs),
    /// Benchmarks: `igo bench train` times igo's training step against PyTorch's.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Draw the figures (SVG, PNG and the CSV of every point drawn): one NAME, --all, --list.
    Figure(figure::FigureArgs),
    /// A grid over config keys × seeds: parallel `igo train` runs, resumable, or a Slurm array.
    Sweep(sweep::SweepArgs),
    /// Checks, experiments, every figure and an index page in one command
    /// (`--quick`: CPU scale, about ten minutes; `--paper`: a paper's full protocol).
    Reproduce(reproduce::ReproduceArgs),
}

/// An error of the command line, with its exit status.
#[derive(Debug)]
pub enum CliError {
    /// A flag or value is wrong: exit status 2.
    Usage(String),
    /// Something failed while running: exit status 1.
    Run(anyhow::Error),
}

impl CliError {
    /// 2 for usage errors, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Run(_) => 1,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) => write!(f, "{m}"),
            CliError::Run(e) => write!(f, "{e:#}"),
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Run(e)
    }
}

/// The command line as typed, each argument quoted for a POSIX shell where needed
/// (for the reports that name the command that made them).
pub fn command_line() -> String {
    std::env::args()
        .map(|a| igo::reproduce::job::shell_quote(&a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shorthand for a usage error.
pub fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// A library error of `experiments` as a CLI error: config errors are usage errors
/// (exit 2), the rest run errors (exit 1).
pub fn experiment_error(e: experiments::ExperimentError) -> CliError {
    match e {
        experiments::ExperimentError::Config { .. } => usage(e.to_string()),
        other => CliError::Run(anyhow::Error::new(other)),
    }
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Smooth(args) => smooth::run(args),
        Command::Schedule(args) => schedule::run(args),
        Command::Train(args) => train::run(args),
        Command::Experiment(command) => experiment::run(command),
        Command::Measure(args) => measure::run(args),
        Command::Bench(command) => bench::run(command),
        Command::Figure(args) => figure::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Reproduce(args) => reproduce::run(args),
    }
}
