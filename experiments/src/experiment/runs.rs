//! A set of training runs of one experiment, each a normal run directory under
//! `DIR/runs/<name>` written by [`train::train`]: a run that already ended (summary
//! status `finished` or `diverged`) is read back and skipped, a run that was stopped
//! (interrupted, killed, failed) is continued by [`train::resume`], and a missing one is
//! started. Re-running an experiment therefore only does the work that is left.

use super::Outcome;
use crate::train::record::{read_json, read_records, EPOCHS, MANIFEST, SUMMARY};
use crate::train::{self, EpochRecord, Hooks, Manifest, Measurements, Observer, RunConfig};
use crate::train::{Status, Summary};
use crate::{ExperimentError, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Sub-directory of an experiment directory that holds its runs.
pub const RUNS: &str = "runs";

/// One run of an experiment: its directory name under `DIR/runs` and its config.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRun {
    /// Relative directory, e.g. `0.1_16/seed_0`.
    pub name: String,
    /// The run's config (validated when the run starts).
    pub config: RunConfig,
}

/// How a run of a set was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A new run.
    Fresh,
    /// A stopped run continued from its last checkpoint.
    Resumed,
    /// A run that had already ended, read back.
    Skipped,
}

/// Progress of an experiment: the training loop's [`Observer`] (epochs and steps of
/// the current run) plus the runs of the set. Every method has an empty default.
pub trait Progress: Observer {
    /// The set of `total` runs starts.
    fn runs_started(&mut self, _total: usize) {}
    /// Run `index` (0-based) named `name` starts as `start`.
    fn run_started(&mut self, _index: usize, _name: &str, _start: Start) {}
    /// Run `index` ended with `summary`.
    fn run_finished(&mut self, _index: usize, _name: &str, _summary: &Summary) {}
}

/// A [`Progress`] that reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Observer for Quiet {}
impl Progress for Quiet {}

/// A run of the set that has ended (finished or diverged), with its records.
#[derive(Debug, Clone)]
pub struct CompletedRun {
    /// Relative name under `DIR/runs`.
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Its summary.
    pub summary: Summary,
    /// Its epoch records.
    pub records: Vec<EpochRecord>,
    /// How it was started this time.
    pub start: Start,
}

impl CompletedRun {
    /// True if the run finished all its epochs.
    #[must_use]
    pub fn finished(&self) -> bool {
        self.summary.status == Status::Finished
    }

    /// The last epoch's record.
    #[must_use]
    pub fn last(&self) -> Option<&EpochRecord> {
        self.records.last()
    }

    /// A value of the last record's measurements (e.g. `sharpness`).
    #[must_use]
    pub fn final_measurement(&self, key: &str) -> Option<f64> {
        self.last().and_then(|r| r.measurements.get(key).copied())
    }
}

/// What [`execute`] did.
#[derive(Debug)]
pub enum RunSet {
    /// Every run has ended; in the order planned.
    Complete(Vec<CompletedRun>),
    /// The stop flag was raised: `completed` runs ended before it; re-running the
    /// experiment continues.
    Interrupted {
        /// Runs that had ended.
        completed: usize,
        /// Runs planned.
        total: usize,
    },
}

impl RunSet {
    /// The completed runs, or the experiment's [`Outcome::Interrupted`] when stopped.
    ///
    /// # Errors
    /// The interrupted outcome (not a failure: re-running continues).
    pub fn into_runs(self) -> std::result::Result<Vec<CompletedRun>, Outcome> {
        match self {
            RunSet::Complete(runs) => Ok(runs),
            RunSet::Interrupted { completed, total } => {
                Err(Outcome::Interrupted { completed, total })
            }
        }
    }
}

fn read_run(dir: &Path) -> Result<(Summary, Vec<EpochRecord>)> {
    let summary: Summary = read_json(&dir.join(SUMMARY))?;
    let path = dir.join(EPOCHS);
    let records = read_records(&path)?
        .iter()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .map_err(|e| ExperimentError::data(&path, 0, format!("record {}: {e}", i + 1)))
        })
        .collect::<Result<Vec<EpochRecord>>>()?;
    Ok((summary, records))
}

/// True if the run in `dir` has ended and needs no more work.
fn ended(dir: &Path) -> bool {
    read_json::<Summary>(&dir.join(SUMMARY))
        .is_ok_and(|s| matches!(s.status, Status::Finished | Status::Diverged))
}

/// Runs (or skips, or resumes) every planned run in order under `root/runs`, with the
/// measurement hook (used at the epochs of each config's `measurements.every`) and
/// the stop flag.
///
/// # Errors
/// [`ExperimentError::Config`] (key `out`) if a run directory holds a run with another
/// config than planned (the experiment's flags changed: choose another `--out`); any
/// error of a run (it is recorded as failed in its summary and continued on the next
/// attempt).
pub fn execute(
    root: &Path,
    runs: &[PlannedRun],
    mut measurements: Option<&mut dyn Measurements>,
    progress: &mut dyn Progress,
    stop: Option<&AtomicBool>,
) -> Result<RunSet> {
    progress.runs_started(runs.len());
    let mut done = Vec::with_capacity(runs.len());
    for (index, run) in runs.iter().enumerate() {
        if stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
            return Ok(RunSet::Interrupted {
                completed: done.len(),
                total: runs.len(),
            });
        }
        let dir = root.join(RUNS).join(&run.name);
        let manifest = dir.join(MANIFEST);
        let start = if manifest.exists() {
            let existing: Manifest = read_json(&manifest)?;
            if existing.config != run.config {
                return Err(ExperimentError::config(
                    "out",
                    format!(
                        "{} holds a run with another config than this experiment plans \
                         (were the flags changed?): choose another --out, or remove that directory",
                        dir.display()
                    ),
                ));
            }
            if ended(&dir) {
                Start::Skipped
            } else {
                Start::Resumed
            }
        } else {
            Start::Fresh
        };
        progress.run_started(index, &run.name, start);
        let observer: &mut dyn Observer = &mut *progress;
        let hooks = Hooks {
            observer: Some(observer),
            measurements: match measurements {
                Some(ref mut m) => Some(&mut **m as &mut dyn Measurements),
                None => None,
            },
            stop,
        };
        match start {
            Start::Skipped => {}
            Start::Resumed => {
                train::resume(&dir, hooks)?;
            }
            Start::Fresh => {
                train::train(&run.config, &dir, hooks)?;
            }
        }
        // The run's own record of how it ended (train writes it before returning).
        let (summary, records) = read_run(&dir)?;
        progress.run_finished(index, &run.name, &summary);
        if summary.status == Status::Interrupted {
            return Ok(RunSet::Interrupted {
                completed: done.len(),
                total: runs.len(),
            });
        }
        done.push(CompletedRun {
            name: run.name.clone(),
            dir,
            summary,
            records,
            start,
        });
    }
    Ok(RunSet::Complete(done))
}
