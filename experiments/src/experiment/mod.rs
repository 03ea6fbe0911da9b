//! The papers' deep-learning predictions at CPU scale (spec §10.5–§10.6), each an
//! experiment that trains a set of runs and prints verdicts:
//!
//! * [`sharpness_vs_delta`]: constant-(η, b) sweep, P1 (sharpness falls as δ grows)
//!   and P2 (accuracy unimodal in log δ);
//! * [`methods`]: the four methods of arXiv 2311.08745 (δ ÷ √2 per stage), P4 and P5;
//! * [`poly_power`]: polynomial learning-rate decay with SHB over the power p, P7;
//! * [`explicit_go`]: explicit graduated optimization on the network, P8.
//!
//! Every run is a normal run directory under `DIR/runs/…` ([`runs`]), so an experiment
//! that is stopped continues where it was when run again, and finished runs are not
//! trained twice. Each experiment writes `DIR/verdicts.json` and `DIR/README.txt`
//! ([`report`]) and a CSV of its numbers. A prediction that does not hold at this scale
//! is reported as not holding, with the numbers.

pub mod explicit_go;
pub mod methods;
pub mod poly_power;
pub mod report;
pub mod runs;
pub mod sharpness_vs_delta;

pub use report::Report;
pub use runs::{CompletedRun, PlannedRun, Progress, Quiet, RunSet, Start};

use crate::data::{Augmentation, DataSource};
use crate::models::Architecture;
use crate::train::RunConfig;
use crate::{ExperimentError, Result};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// Settings every experiment shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    /// The experiment directory (runs under `runs/`, verdicts and report at the top).
    pub out: PathBuf,
    /// The seeds; every configuration runs once per seed.
    pub seeds: Vec<u64>,
    /// The network.
    pub model: Architecture,
    /// The data.
    pub data: DataSource,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// Size of the fixed C² subset.
    pub c2_subset: usize,
    /// Training augmentation of every run (none at CPU scale; the authors' CIFAR
    /// pipeline in the papers' protocol, spec §10.1).
    pub augmentation: Augmentation,
    /// The command line, for the report.
    pub command: String,
}

impl Common {
    /// Defaults: an MLP with two hidden layers of 128 (spec §10.6) on the embedded
    /// digits, seeds 0, 1, 2, on the CPU, a C² subset of 256, output in `out`.
    #[must_use]
    pub fn new(out: PathBuf) -> Self {
        Self {
            out,
            seeds: vec![0, 1, 2],
            model: Architecture::Mlp {
                hidden: vec![128, 128],
            },
            data: DataSource::Digits,
            device: "cpu".into(),
            c2_subset: 256,
            augmentation: Augmentation::none(),
            command: String::new(),
        }
    }

    /// Checks the shared settings.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] naming `--seeds` (empty or repeated) or `--c2-subset`.
    pub fn validate(&self) -> Result<()> {
        if self.seeds.is_empty() {
            return Err(ExperimentError::config("--seeds", "give at least one seed"));
        }
        let mut sorted = self.seeds.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != self.seeds.len() {
            return Err(ExperimentError::config(
                "--seeds",
                format!("{:?} repeats a seed", self.seeds),
            ));
        }
        if self.c2_subset < 2 {
            return Err(ExperimentError::config(
                "--c2-subset",
                format!("must be ≥ 2, got {}", self.c2_subset),
            ));
        }
        self.data.validate()
    }

    /// A run of `epochs` epochs with `seed`: plain SGD, [`Common::augmentation`], C² measured at
    /// initialisation and after every epoch (for C² at the end and its maximum), δ with
    /// the C² at initialisation, a checkpoint every epoch. The caller sets the schedule.
    #[must_use]
    pub fn base_config(&self, epochs: usize, seed: u64) -> RunConfig {
        let mut c = RunConfig::digits_default();
        c.model = self.model.clone();
        c.data = self.data.clone();
        c.device = self.device.clone();
        c.epochs = epochs;
        c.seed = seed;
        c.measurements.c2_subset = self.c2_subset;
        c.measurements.c2_every = 1;
        c.augmentation = self.augmentation;
        c
    }
}

/// Where an experiment reports progress and looks for a stop request.
pub struct Context<'a> {
    /// Progress of the runs.
    pub progress: &'a mut dyn Progress,
    /// Raised (e.g. by Ctrl-C) to stop after the current step; re-running continues.
    pub stop: Option<&'a AtomicBool>,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("stop", &self.stop.is_some())
            .finish()
    }
}

/// How an experiment ended.
#[derive(Debug)]
pub enum Outcome {
    /// Every run ended; the report was written.
    Complete(Box<Report>),
    /// Stopped: `completed` of `total` runs had ended; running the same command again
    /// continues.
    Interrupted {
        /// Runs that had ended.
        completed: usize,
        /// Runs planned.
        total: usize,
    },
}

/// A number as a directory-name part: `0.1`, `0.03`, `1e-5` (Rust's shortest form).
#[must_use]
pub fn name_part(x: f64) -> String {
    format!("{x}")
}

/// Mean of the values (NaN if empty).
#[must_use]
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        f64::NAN
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}
