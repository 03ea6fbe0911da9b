//! `igo reproduce`: checks, experiments, every figure and `results/index.html` in one
//! command (see `igo::reproduce`).
//!
//! Exit status: 0 when the reproduction completed (whatever the verdicts: a claim that
//! does not hold is a result), 1 when something failed, 2 for a bad flag, 130 when
//! interrupted (run the same command again to continue).

use super::{usage, CliError};
use clap::Args;
use igo::reproduce::{self, Mode, Options, Paper, PaperSettings};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Flags of `igo reproduce`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("scale").required(true).args(["quick", "paper"])))]
pub struct ReproduceArgs {
    /// CPU scale on the embedded digits (spec §10.6): about ten minutes on two cores.
    #[arg(long)]
    quick: bool,
    /// A paper's full-scale protocol (spec §10): 2311.08745 (four methods on ResNet-18
    /// and WRN-28-10, the Figure-3 grid) or 2412.11501 (polynomial decay with SHB,
    /// explicit GO). Needs --data.
    #[arg(long, value_name = "ARXIV", requires = "data")]
    paper: Option<String>,
    /// CIFAR-100 directory (with train.bin and test.bin) for --paper.
    #[arg(long, value_name = "PATH", requires = "paper")]
    data: Option<PathBuf>,
    /// Device for --paper: cuda, cuda:N or cpu.
    #[arg(
        long,
        value_name = "DEVICE",
        default_value = "cuda",
        requires = "paper"
    )]
    device: String,
    /// Seeds of the --paper runs (the papers: three per setting).
    #[arg(
        long,
        value_name = "S,…",
        value_delimiter = ',',
        default_value = "0,1,2",
        requires = "paper"
    )]
    seeds: Vec<u64>,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "results")]
    out: PathBuf,
    /// Root seed of the checks and theory figures.
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
    /// Threads for the checks (default: available cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `igo reproduce`.
pub fn run(args: ReproduceArgs) -> Result<ExitCode, CliError> {
    let mode = match &args.paper {
        None => Mode::Quick,
        Some(p) => {
            let paper: Paper = p
                .parse()
                .map_err(|e: String| usage(format!("--paper: {e}")))?;
            let data = args
                .data
                .clone()
                .ok_or_else(|| usage("--paper needs --data PATH (the CIFAR-100 directory)"))?;
            if !data.is_dir() {
                return Err(usage(format!(
                    "--data: {} is not a directory (expected the CIFAR-100 binary directory with train.bin and test.bin)",
                    data.display()
                )));
            }
            if args.seeds.is_empty() {
                return Err(usage("--seeds: give at least one seed"));
            }
            Mode::Paper(PaperSettings {
                paper,
                data,
                device: args.device.clone(),
                seeds: args.seeds.clone(),
            })
        }
    };
    let jobs = match args.jobs {
        Some(0) => return Err(usage("--jobs must be at least 1")),
        Some(j) => j,
        None => igo::checks::default_jobs(),
    };
    let options = Options {
        out: args.out.clone(),
        mode,
        seed: args.seed,
        jobs,
        quiet: args.quiet,
        command: super::command_line(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let summary = reproduce::run(&options, &stop)?;
    if !summary.complete {
        eprintln!(
            "interrupted after {:.0} s: finished runs are kept; run the same command again to continue ({})",
            summary.seconds,
            args.out.display()
        );
        return Ok(ExitCode::from(130));
    }
    let drawn = summary.figures.iter().filter(|f| f.png.is_some()).count();
    println!(
        "checks: {}/{} as predicted",
        summary.checks.1, summary.checks.0
    );
    for e in &summary.experiments {
        for v in &e.verdicts {
            let statement: String = v.statement.chars().take(100).collect();
            println!(
                "{} {:<13} ({}, {}): {statement}",
                v.id,
                v.outcome.to_string(),
                e.name,
                e.group
            );
        }
    }
    println!("figures: {drawn}/{} drawn", summary.figures.len());
    for f in summary.figures.iter().filter(|f| f.png.is_none()) {
        println!(
            "  not drawn: {}: {}",
            f.name,
            f.skipped.as_deref().unwrap_or("")
        );
    }
    println!(
        "\n{:.0} s; open {}",
        summary.seconds,
        args.out.join(reproduce::INDEX).display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::super::{experiment, Cli, Command};
    use clap::Parser;
    use igo::reproduce::{plan, Paper, PaperSettings};
    use std::path::Path;

    /// Splits a POSIX shell word list as `shell_quote` writes it (single quotes, `'\''`).
    fn split(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut cur = String::new();
        let mut in_word = false;
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' if quoted => quoted = false,
                '\'' => {
                    quoted = true;
                    in_word = true;
                }
                '\\' if !quoted => {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
                ' ' if !quoted => {
                    if in_word {
                        words.push(std::mem::take(&mut cur));
                        in_word = false;
                    }
                }
                c => {
                    cur.push(c);
                    in_word = true;
                }
            }
        }
        if in_word {
            words.push(cur);
        }
        words
    }

    /// Every experiment of the quick and paper plans prints an `igo experiment`
    /// command that the real command-line parser turns back into exactly the same
    /// settings: the index page's commands remake exactly its records.
    #[test]
    fn experiment_commands_round_trip_through_the_parser() {
        let root = Path::new("/tmp/igo results/it's here");
        let mut groups = plan::quick(root);
        for paper in [Paper::Sgd2311, Paper::Momentum2412] {
            groups.extend(plan::paper(
                root,
                &PaperSettings {
                    paper,
                    data: "/data/cifar 100".into(),
                    device: "cuda:1".into(),
                    seeds: vec![3, 4],
                },
            ));
        }
        let mut n = 0;
        for g in &groups {
            for j in &g.jobs {
                let line = j.command();
                let cli = Cli::try_parse_from(split(&line)).expect(&line);
                let Command::Experiment(cmd) = cli.command else {
                    panic!("not an experiment command: {line}")
                };
                let (mut parsed, _) = experiment::job(cmd).expect(&line);
                parsed.set_command("");
                let mut want = j.clone();
                want.set_command("");
                assert_eq!(parsed, want, "{line}");
                n += 1;
            }
        }
        assert_eq!(n, 4 + 3 + 2);
    }
}
