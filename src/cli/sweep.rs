//! `igo sweep GRID.toml`: a grid over run-config keys × seeds, each run an `igo train`
//! child process, N at a time, resumable; or `--slurm` to write a job array instead
//! (see the `igo::sweep` library for the grid file and the output layout).
//!
//! Exit status: 0 every run ended (finished or diverged); 1 a run failed (recorded in
//! `OUT/failures.json`; the others went on); 2 a bad flag or grid; 130 interrupted
//! (run the same command again to continue).

// Flag docs are clap help texts with placeholders such as <DIR>, not HTML.
#![allow(rustdoc::invalid_html_tags)]

use super::{usage, CliError};
use clap::Args;
use experiments::train::record::{read_json, SUMMARY};
use experiments::train::{Status, Summary};
use igo::sweep::layout::{self, SBATCH};
use igo::sweep::local::{self, Children, Event, Outcome};
use igo::sweep::slurm::{self, Resources};
use igo::sweep::{summary, GridError, RunState, Sweep};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Flags of `igo sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The grid file (TOML): `base` (a config file or a [base] table), [grid] with
    /// config keys → lists of values, `seeds`. See experiments/configs/sweep-digits.toml.
    #[arg(value_name = "GRID")]
    grid: PathBuf,
    /// Runs at once, each an `igo train` process (with cores/N threads).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    workers: u32,
    /// Output directory (default: runs/sweeps/<GRID file stem>).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Validate the grid and list the runs (and, with --slurm, print the script);
    /// write and run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write a Slurm job array OUT/sweep.sbatch (one task per run) instead of running.
    #[arg(long)]
    slurm: bool,
    /// Slurm partition.
    #[arg(long, value_name = "P", requires = "slurm")]
    partition: Option<String>,
    /// Slurm time limit per run, HH:MM:SS or D-HH:MM:SS.
    #[arg(long, value_name = "HH:MM:SS", requires = "slurm")]
    time: Option<String>,
    /// GPUs per run (--gres=gpu:N).
    #[arg(long, value_name = "N", requires = "slurm")]
    gpus: Option<u32>,
    /// CPUs per run (--cpus-per-task; also the run's thread count).
    #[arg(long, value_name = "N", requires = "slurm")]
    cpus: Option<u32>,
    /// Memory per run, e.g. 16G.
    #[arg(long, value_name = "M", requires = "slurm")]
    mem: Option<String>,
    /// At most K array tasks at once (--array=0-N%K).
    #[arg(long, value_name = "K", requires = "slurm")]
    array_parallel: Option<usize>,
    /// Run nothing: print the summary table of what OUT holds and write summary.csv and
    /// failures.json (e.g. after the Slurm array).
    #[arg(long, conflicts_with_all = ["dry_run", "slurm"])]
    summary: bool,
    /// Run exactly run I of sweep.json (what Slurm array task I does).
    #[arg(long, value_name = "I", hide = true, conflicts_with_all = ["dry_run", "slurm", "summary"])]
    run_index: Option<usize>,
    /// No progress bar or per-run lines (the summary table is still printed).
    #[arg(long, short)]
    quiet: bool,
}

/// A sweep library error as a CLI error: grid and flag mistakes exit 2.
fn sweep_error(grid: &Path, e: anyhow::Error) -> CliError {
    match e.downcast_ref::<GridError>() {
        Some(g) => usage(format!("{}: {g}", grid.display())),
        None => CliError::Run(e),
    }
}

fn default_out(grid: &Path) -> PathBuf {
    let stem = grid
        .file_stem()
        .map_or("sweep".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("runs").join("sweeps").join(stem)
}

fn state_word(s: RunState) -> &'static str {
    match s {
        RunState::New => "new",
        RunState::Stopped => "resume",
        RunState::Ended(Status::Finished) => "finished",
        RunState::Ended(_) => "diverged",
    }
}

/// Runs `igo sweep`.
pub fn run(args: SweepArgs) -> Result<ExitCode, CliError> {
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.grid));
    let err = |e| sweep_error(&args.grid, e);
    let sweep = Sweep::plan(&args.grid, &out).map_err(err)?;
    sweep.check_out().map_err(err)?;
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Run(anyhow::anyhow!("locating the igo binary: {e}")))?;
    if args.summary {
        let rows = summary::write(&sweep).map_err(err)?;
        print!("{}", summary::table(&rows));
        return Ok(ExitCode::SUCCESS);
    }
    if args.slurm {
        let resources = Resources {
            partition: args.partition.clone(),
            time: args.time.clone(),
            gpus: args.gpus,
            cpus: args.cpus,
            mem: args.mem.clone(),
            array_parallel: args.array_parallel,
        };
        let cwd = std::env::current_dir()
            .map_err(|e| CliError::Run(anyhow::anyhow!("the working directory: {e}")))?;
        let text = slurm::script(&sweep, &exe, &cwd, &resources).map_err(err)?;
        if args.dry_run {
            print!("{text}");
            return Ok(ExitCode::SUCCESS);
        }
        sweep.write_index().map_err(err)?;
        let path = out.join(SBATCH);
        experiments::io::write_atomic(&path, text.as_bytes())
            .map_err(|e| CliError::Run(e.into()))?;
        println!(
            "wrote {} ({} array tasks, one per run; index in {})\nsubmit with: sbatch {}\n\
             afterwards: igo sweep {} --out {} --summary",
            path.display(),
            sweep.runs.len(),
            out.join(layout::INDEX).display(),
            path.display(),
            args.grid.display(),
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.dry_run {
        print!("{}", plan_text(&sweep));
        return Ok(ExitCode::SUCCESS);
    }
    if !out.join(layout::INDEX).exists() || args.run_index.is_none() {
        sweep.write_index().map_err(err)?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let children = Arc::new(Children::default());
    {
        let (stop, children) = (Arc::clone(&stop), Arc::clone(&children));
        // Ctrl-C reaches the children through the terminal; SIGTERM to the sweep alone
        // is passed on. A second handler cannot be installed in the same process (tests).
        let _ = ctrlc::set_handler(move || {
            stop.store(true, Ordering::SeqCst);
            children.interrupt();
        });
    }
    let options = local::Options::new(exe, args.workers as usize);
    match args.run_index {
        Some(i) => run_index(&sweep, i, &options, &stop, &children),
        None => run_local(&sweep, &args, &options, &stop, &children),
    }
}

/// The runs and what a sweep would do with each.
fn plan_text(sweep: &Sweep) -> String {
    let mut s = format!(
        "{} runs = {} grid points x {} seeds → {}\n",
        sweep.runs.len(),
        sweep.points.len(),
        sweep.grid.seeds.len(),
        sweep.out.display()
    );
    for (r, state) in sweep.states().into_iter().enumerate() {
        s.push_str(&format!(
            "{r:>5}  {:<8}  {}\n",
            state_word(state),
            sweep.index.runs[r].dir
        ));
    }
    s
}

/// `--run-index I`: run I alone (a Slurm array task).
fn run_index(
    sweep: &Sweep,
    i: usize,
    options: &local::Options,
    stop: &AtomicBool,
    children: &Children,
) -> Result<ExitCode, CliError> {
    if i >= sweep.runs.len() {
        return Err(usage(format!(
            "--run-index {i}: the sweep has runs 0..{}",
            sweep.runs.len().saturating_sub(1)
        )));
    }
    let dir = &sweep.index.runs[i].dir;
    let outcome = local::run_one(sweep, i, options, stop, children, &mut |e| {
        if let Event::Started { resumed, .. } = e {
            println!(
                "run {i}: {} {dir}",
                if resumed { "resuming" } else { "starting" }
            );
        }
    });
    println!("run {i}: {} ({dir})", outcome_text(sweep, i, &outcome));
    Ok(match outcome {
        Outcome::Skipped(_) | Outcome::Ended(_) | Outcome::Busy => ExitCode::SUCCESS,
        Outcome::Interrupted => ExitCode::from(130),
        Outcome::Failed(_) => ExitCode::from(1),
    })
}

/// How run `run` ended, with its final test accuracy and train loss when it ended.
fn outcome_text(sweep: &Sweep, run: usize, o: &Outcome) -> String {
    let results = || {
        read_json::<Summary>(&sweep.run_dir(run).join(SUMMARY)).map_or(String::new(), |s| {
            let acc = s
                .final_test_accuracy
                .map_or("–".into(), |a| format!("{:.2}%", 100.0 * a));
            let loss = s.final_train_loss.map_or("–".into(), |l| format!("{l:.4}"));
            format!(
                ", test acc {acc}, train loss {loss}, {:.1} s",
                s.wall_seconds
            )
        })
    };
    match o {
        Outcome::Skipped(s) => format!("already {}", format!("{s:?}").to_lowercase()),
        Outcome::Ended(s) => format!("{}{}", format!("{s:?}").to_lowercase(), results()),
        Outcome::Interrupted => "interrupted".into(),
        Outcome::Failed(f) => format!("FAILED ({}; see {})", f.exit, f.log),
        Outcome::Busy => "being run by another process, left alone".into(),
    }
}

/// Runs the sweep here, then prints and writes the summary.
fn run_local(
    sweep: &Sweep,
    args: &SweepArgs,
    options: &local::Options,
    stop: &AtomicBool,
    children: &Children,
) -> Result<ExitCode, CliError> {
    let total = sweep.runs.len();
    let ended_before = sweep
        .states()
        .iter()
        .filter(|s| matches!(s, RunState::Ended(_)))
        .count();
    let show = !args.quiet;
    let bar = (show && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "runs [{bar:30}] {pos}/{len} {elapsed_precise} (eta {eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_position(ended_before as u64);
        bar
    });
    let say = |line: String| match &bar {
        Some(b) => b.println(line),
        None if show => eprintln!("{line}"),
        None => {}
    };
    if ended_before > 0 {
        say(format!(
            "{ended_before} of {total} runs already ended: not run again"
        ));
    }
    let mut running: Vec<usize> = Vec::new();
    let mut done = ended_before;
    let mut failed = 0usize;
    let outcomes = local::execute(sweep, options, stop, children, |e| match e {
        Event::Started { run, resumed } => {
            running.push(*run);
            if *resumed {
                say(format!(
                    "run {run}: resuming {}",
                    sweep.index.runs[*run].dir
                ));
            }
            if let Some(b) = &bar {
                b.set_message(format!("running {running:?}, failed {failed}"));
            }
        }
        Event::Done { run, outcome } => {
            running.retain(|r| r != run);
            if matches!(outcome, Outcome::Failed(_)) {
                failed += 1;
            }
            if !matches!(outcome, Outcome::Interrupted | Outcome::Busy) {
                done += 1;
            }
            say(format!(
                "[{done}/{total}] run {run} {}: {}",
                sweep.index.runs[*run].dir,
                outcome_text(sweep, *run, outcome)
            ));
            if let Some(b) = &bar {
                b.set_position(done as u64);
                b.set_message(format!("running {running:?}, failed {failed}"));
            }
        }
    })
    .map_err(CliError::Run)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let rows = summary::write(sweep).map_err(CliError::Run)?;
    print!("{}", summary::table(&rows));
    println!(
        "written: {} and {}",
        sweep.out.join(layout::SUMMARY_CSV).display(),
        sweep.out.join(layout::FAILURES).display()
    );
    let busy = outcomes
        .iter()
        .filter(|o| matches!(o, Some(Outcome::Busy)))
        .count();
    if busy > 0 {
        eprintln!("{busy} runs are being run by another process: run the same command again once it is done");
    }
    let interrupted = stop.load(Ordering::SeqCst)
        || busy > 0
        || outcomes
            .iter()
            .any(|o| matches!(o, Some(Outcome::Interrupted)));
    let any_failed = outcomes
        .iter()
        .any(|o| matches!(o, Some(Outcome::Failed(_))));
    if interrupted {
        if busy == 0 {
            eprintln!("interrupted: run the same command again to continue");
        }
        return Ok(ExitCode::from(130));
    }
    if any_failed {
        eprintln!(
            "some runs failed: see {} and the logs in {}; the same command retries them",
            sweep.out.join(layout::FAILURES).display(),
            sweep.out.join(layout::LOGS).display()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
