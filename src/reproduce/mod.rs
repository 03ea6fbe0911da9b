//! `igo reproduce`: the checks, the experiments and every figure in one command, with
//! an index page that lists each claim of the seeds, its verdict, its figure and the
//! command that made it.
//!
//! Layout of the output directory (default `results/`):
//!
//! * `checks.json`: every theory check's report (cases, measured values, findings);
//! * `experiments/NAME/` (quick) or `PAPER/GROUP/experiments/NAME/` (paper): the
//!   experiment directories of `igo experiment NAME`, with their runs;
//! * `figures/` (and `PAPER/GROUP/figures/`): `NAME.svg`, `NAME.png`, `NAME.csv`;
//! * `reproduce.json`: what ran, how long each step took, what was skipped;
//! * `index.html`: the claims, verdicts, figures and commands.
//!
//! Re-running the same command skips finished runs and continues stopped ones (the
//! experiments' own resume); checks and figures are recomputed (they take seconds).

pub mod index;
pub mod job;
pub mod plan;

pub use job::Job;
pub use plan::{Group, Paper, PaperSettings};

use crate::figures::{self, Entry, Inputs, Source};
use crate::progress::RunsProgress;
use anyhow::Context as _;
use experiments::experiment::{Context, Outcome};
use experiments::io::write_atomic;
use experiments::predictions::Verdict;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use numerics::Seed;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// File name of the summary.
pub const SUMMARY: &str = "reproduce.json";
/// File name of the checks' reports.
pub const CHECKS: &str = "checks.json";
/// File name of the index page.
pub const INDEX: &str = "index.html";

/// What to reproduce.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// CPU scale on the embedded data (spec §10.6), about ten minutes on two cores.
    Quick,
    /// A paper's full-scale protocol (spec §10).
    Paper(PaperSettings),
}

/// Settings of `igo reproduce`.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Output directory.
    pub out: PathBuf,
    /// Quick or paper scale.
    pub mode: Mode,
    /// Root seed of the checks and of the theory figures.
    pub seed: u64,
    /// Threads for the checks.
    pub jobs: usize,
    /// No progress bars.
    pub quiet: bool,
    /// The command line, for the index page.
    pub command: String,
}

/// A figure that was drawn or skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureOutcome {
    /// Figure name.
    pub name: String,
    /// One line: what it shows.
    pub about: String,
    /// Claims it illustrates.
    pub claims: Vec<String>,
    /// Group label (`theory` for figures that do not read experiment records).
    pub group: String,
    /// The PNG, relative to the output directory, when drawn.
    pub png: Option<String>,
    /// The figure's caption, when drawn.
    pub caption: Option<String>,
    /// Why it was not drawn.
    pub skipped: Option<String>,
    /// The `igo figure …` command that draws it again.
    pub command: String,
}

/// An experiment that ran (or was interrupted).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExperimentOutcome {
    /// Group label.
    pub group: String,
    /// Experiment name.
    pub name: String,
    /// Its directory, relative to the output directory.
    pub dir: String,
    /// The `igo experiment …` command that makes exactly this directory.
    pub command: String,
    /// Its verdicts (empty when it did not complete).
    pub verdicts: Vec<Verdict>,
    /// Wall time of this invocation.
    pub seconds: f64,
}

/// What `igo reproduce` did; written to `reproduce.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// The command line.
    pub command: String,
    /// igo's version.
    pub igo_version: String,
    /// Root seed.
    pub seed: u64,
    /// Checks: (number of checks, checks as predicted).
    pub checks: (usize, usize),
    /// Seconds of the checks step.
    pub checks_seconds: f64,
    /// Experiments.
    pub experiments: Vec<ExperimentOutcome>,
    /// Figures.
    pub figures: Vec<FigureOutcome>,
    /// Seconds in all.
    pub seconds: f64,
    /// False when stopped before the end (run the same command again to continue).
    pub complete: bool,
}

/// The groups of `options`.
#[must_use]
pub fn groups(options: &Options) -> Vec<Group> {
    match &options.mode {
        Mode::Quick => plan::quick(&options.out),
        Mode::Paper(s) => plan::paper(&options.out, s),
    }
}

fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn bar(len: usize, what: &str, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{what} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Runs the reproduction: checks, experiments, figures, index page. Returns the
/// summary (also written to `OUT/reproduce.json`); `complete` is false when `stop` was
/// raised (finished work is kept; the same command continues).
///
/// # Errors
/// A bad setting (before anything runs), an experiment run that failed, or a file
/// that could not be written.
pub fn run(options: &Options, stop: &AtomicBool) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let groups = groups(options);
    for g in &groups {
        for job in &g.jobs {
            job.validate()
                .with_context(|| format!("experiment {} of group {}", job.name(), g.label))?;
        }
    }
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create {}", options.out.display()))?;
    let root = &options.out;

    // 1. The theory checks.
    let t = Instant::now();
    let checks = theory::registry::all();
    let results =
        crate::checks::run_checks(&checks, Seed(options.seed), options.jobs, options.quiet);
    let mut reports = Vec::new();
    for (check, r) in checks.iter().zip(results) {
        match r {
            Ok(report) => reports.push(report),
            Err(e) => anyhow::bail!("check {} could not run: {e}", check.id()),
        }
    }
    write_atomic(
        &root.join(CHECKS),
        serde_json::to_string_pretty(&reports)?.as_bytes(),
    )?;
    let checks_ok = reports.iter().filter(|r| r.all_as_expected()).count();
    let mut summary = Summary {
        command: options.command.clone(),
        igo_version: env!("CARGO_PKG_VERSION").into(),
        seed: options.seed,
        checks: (reports.len(), checks_ok),
        checks_seconds: t.elapsed().as_secs_f64(),
        experiments: Vec::new(),
        figures: Vec::new(),
        seconds: 0.0,
        complete: false,
    };
    if !options.quiet {
        eprintln!(
            "checks: {checks_ok}/{} as predicted ({:.0} s)",
            reports.len(),
            summary.checks_seconds
        );
    }

    // 2. The experiments.
    for g in &groups {
        for job in &g.jobs {
            let t = Instant::now();
            if !options.quiet {
                eprintln!("experiment {} ({}): {}", job.name(), g.label, job.command());
            }
            let mut progress = RunsProgress::new(options.quiet);
            let cx = Context {
                progress: &mut progress,
                stop: Some(stop),
            };
            let outcome = job
                .run(cx)
                .with_context(|| format!("experiment {} ({})", job.name(), g.label))?;
            drop(progress);
            let verdicts = match outcome {
                Outcome::Complete(report) => report.verdicts.clone(),
                Outcome::Interrupted { .. } => {
                    summary.seconds = started.elapsed().as_secs_f64();
                    write_summary(root, &summary)?;
                    return Ok(summary);
                }
            };
            summary.experiments.push(ExperimentOutcome {
                group: g.label.clone(),
                name: job.name().into(),
                dir: relative(root, job.out()),
                command: job.command(),
                verdicts,
                seconds: t.elapsed().as_secs_f64(),
            });
        }
    }

    // 3. The figures.
    let quick = matches!(options.mode, Mode::Quick);
    let registry = figures::registry();
    let theory_dir = root.join("figures");
    let mut todo: Vec<(Entry, Option<&Group>)> = Vec::new();
    for e in &registry {
        match e.source {
            Source::Theory => todo.push((*e, None)),
            Source::Experiment(name) => {
                for g in &groups {
                    if g.jobs.iter().any(|j| j.name() == name) {
                        todo.push((*e, Some(g)));
                    }
                }
            }
        }
    }
    let b = bar(todo.len(), "figures", options.quiet);
    for (e, g) in todo {
        b.set_message(e.name);
        let (dir, experiments, label) = match g {
            Some(g) => (g.figures.clone(), g.experiments.clone(), g.label.clone()),
            None => (
                theory_dir.clone(),
                root.join("experiments"),
                "theory".to_string(),
            ),
        };
        let inputs = Inputs {
            experiments: experiments.clone(),
            seed: options.seed,
            quick,
        };
        let mut command = format!(
            "igo figure {} --out {} --seed {}",
            e.name,
            job::shell_quote(&dir.display().to_string()),
            options.seed
        );
        if g.is_some() {
            command.push_str(&format!(
                " --experiments {}",
                job::shell_quote(&experiments.display().to_string())
            ));
        }
        if quick {
            command.push_str(" --quick");
        }
        let mut outcome = FigureOutcome {
            name: e.name.into(),
            about: e.about.into(),
            claims: e.claims.iter().map(|c| (*c).to_string()).collect(),
            group: label,
            png: None,
            caption: None,
            skipped: None,
            command,
        };
        match figures::draw_entry(&e, &inputs, &dir) {
            Ok(written) => {
                outcome.png = Some(relative(root, &written.png));
                outcome.caption = Some(written.caption);
            }
            Err(failure) => outcome.skipped = Some(failure.to_string()),
        }
        summary.figures.push(outcome);
        b.inc(1);
    }
    b.finish_and_clear();

    // 4. The index page.
    summary.complete = true;
    summary.seconds = started.elapsed().as_secs_f64();
    write_summary(root, &summary)?;
    let html = index::page(&summary, &reports);
    write_atomic(&root.join(INDEX), html.as_bytes())?;
    Ok(summary)
}

fn write_summary(root: &Path, summary: &Summary) -> anyhow::Result<()> {
    write_atomic(
        &root.join(SUMMARY),
        serde_json::to_string_pretty(summary)?.as_bytes(),
    )?;
    Ok(())
}
