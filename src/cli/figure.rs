//! `igo figure`: draw the figures of the seeds (SVG, PNG and the CSV of every point
//! drawn) from the theory checks' library functions or from experiment records.
//!
//! * `igo figure NAME`: one figure, into `--out DIR/NAME.{svg,png,csv}`;
//! * `igo figure --all`: every figure; a figure whose experiment records are missing
//!   is reported as skipped, with the `igo experiment …` command that makes them, and
//!   the others are drawn;
//! * `igo figure --list`: name, data source, claims and one line about each figure.
//!
//! Exit status: 0 when every requested figure was drawn (with `--all`, figures skipped
//! for missing records do not count as failures: they are listed on stderr); 1 when a
//! figure failed to compute or draw, or (for one NAME) its records are missing; 2 for
//! a bad flag or an unknown name (the message lists the valid names).

// Flag docs are clap help texts with placeholders such as <DIR>, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use super::{usage, CliError};
use anyhow::anyhow;
use clap::Args;
use igo::figures::{self, draw_entry, Entry, Failure, Inputs, Source, Written};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Flags of `igo figure`.
#[derive(Debug, Args)]
pub struct FigureArgs {
    /// The figure to draw (see --list).
    #[arg(value_name = "NAME")]
    name: Option<String>,
    /// Draw every figure (those whose experiment records are missing are skipped).
    #[arg(long, conflicts_with_all = ["name", "list"])]
    all: bool,
    /// List the figures: name, data source, claims, what they show.
    #[arg(long, conflicts_with_all = ["name", "all"])]
    list: bool,
    /// Directory the figures are written to (NAME.svg, NAME.png, NAME.csv).
    #[arg(long, value_name = "DIR", default_value = "results/figures")]
    out: PathBuf,
    /// Directory holding the experiment directories (`igo experiment NAME` writes
    /// runs/experiments/NAME by default).
    #[arg(long, value_name = "DIR", default_value = "runs/experiments")]
    experiments: PathBuf,
    /// Seed of every random stream of the theory figures.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Coarser grids and fewer samples (the same figures, drawn faster).
    #[arg(long)]
    quick: bool,
}

fn source(entry: &Entry) -> String {
    match entry.source {
        Source::Theory => "theory".into(),
        Source::Experiment(e) => format!("experiment {e}"),
    }
}

fn names(all: &[Entry]) -> String {
    all.iter().map(|e| e.name).collect::<Vec<_>>().join(", ")
}

fn io(e: std::io::Error) -> CliError {
    CliError::Run(anyhow!(e))
}

fn report(w: &Written, seconds: f64) -> String {
    let skipped = if w.skipped > 0 {
        format!(" ({} non-finite points skipped)", w.skipped)
    } else {
        String::new()
    };
    format!(
        "{} {} {} ({} rows, {}×{} px, {seconds:.1} s){skipped}",
        w.png.display(),
        w.svg.display(),
        w.csv.display(),
        w.rows,
        w.size.0,
        w.size.1
    )
}

fn progress(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("figures [{bar:30}] {pos}/{len} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Runs `igo figure`.
pub fn run(args: FigureArgs) -> Result<ExitCode, CliError> {
    let all = figures::registry();
    if args.list {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{:<26} {:<32} {:<22} about",
            "name", "source", "claims"
        )
        .map_err(io)?;
        for e in &all {
            writeln!(
                out,
                "{:<26} {:<32} {:<22} {}",
                e.name,
                source(e),
                e.claims.join(","),
                e.about
            )
            .map_err(io)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let inputs = Inputs {
        experiments: args.experiments.clone(),
        seed: args.seed,
        quick: args.quick,
    };
    if let Some(name) = &args.name {
        let entry = all
            .iter()
            .find(|e| e.name == name.as_str())
            .ok_or_else(|| {
                usage(format!(
                    "unknown figure '{name}': expected one of {} (see igo figure --list)",
                    names(&all)
                ))
            })?;
        let start = Instant::now();
        let w = draw_entry(entry, &inputs, &args.out)
            .map_err(|f| CliError::Run(anyhow!("figure {}: {f}", entry.name)))?;
        println!(
            "{}: {}",
            entry.name,
            report(&w, start.elapsed().as_secs_f64())
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !args.all {
        return Err(usage(format!(
            "give a figure NAME, --all or --list; figures: {}",
            names(&all)
        )));
    }
    let bar = progress(all.len() as u64);
    let (mut drawn, mut skipped, mut failed) = (0usize, Vec::new(), Vec::new());
    let total = Instant::now();
    for entry in &all {
        bar.set_message(entry.name);
        let start = Instant::now();
        match draw_entry(entry, &inputs, &args.out) {
            Ok(w) => {
                drawn += 1;
                let line = format!(
                    "{}: {}",
                    entry.name,
                    report(&w, start.elapsed().as_secs_f64())
                );
                bar.suspend(|| println!("{line}"));
            }
            Err(f @ Failure::MissingRecords(_)) => skipped.push((entry.name, f)),
            Err(f) => {
                eprintln!("error: figure {}: {f}", entry.name);
                failed.push(entry.name);
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    for (name, f) in &skipped {
        eprintln!("skipped: figure {name}: {f}");
    }
    println!(
        "{drawn} figures drawn into {}, {} skipped (missing experiment records), {} failed, {:.1} s",
        args.out.display(),
        skipped.len(),
        failed.len(),
        total.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(CliError::Run(anyhow!(
            "{} figures failed: {}",
            failed.len(),
            failed.join(", ")
        )))
    }
}
