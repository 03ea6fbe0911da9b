//! What a run writes: one [`EpochRecord`] per line of `epochs.jsonl`, `manifest.json`
//! ([`Manifest`]: config, seed, igo version, git revision) and `summary.json`
//! ([`Summary`]: status, final metrics, wall time). Every file is written atomically
//! (a temporary file renamed into place), so a killed run never leaves a half-written
//! record.

use super::config::RunConfig;
use crate::optimizer::OptimizerKind;
use crate::{ExperimentError, Result};
use numerics::smoothing::{smoothing_degree, NoiseForm};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// File name of the manifest.
pub const MANIFEST: &str = "manifest.json";
/// File name of the per-epoch records.
pub const EPOCHS: &str = "epochs.jsonl";
/// File name of the summary.
pub const SUMMARY: &str = "summary.json";
/// File name of the final weights (written when a run finishes).
pub const FINAL_MODEL: &str = "model.safetensors";

/// δ at one epoch in the three noise forms (spec §3, §6.3), with the C² and K used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// C² entering δ.
    pub c2: f64,
    /// K entering the momentum forms.
    pub k: f64,
    /// SGD: ηC/√b.
    pub sgd: f64,
    /// SHB: η√(C²/b + β̂(β)(C²/b + K²)).
    pub shb: f64,
    /// NSHB: η√(C²/b + 4β²(C²/b + K²)).
    pub nshb: f64,
}

impl Delta {
    /// δ for (η, b, β) with C² and K, by `numerics::smoothing::smoothing_degree`.
    #[must_use]
    pub fn new(eta: f64, b: usize, beta: f64, c2: f64, k: f64) -> Self {
        let b = b as f64;
        Self {
            c2,
            k,
            sgd: smoothing_degree(eta, c2, b, NoiseForm::Sgd),
            shb: smoothing_degree(eta, c2, b, NoiseForm::HeavyBall { beta, k }),
            nshb: smoothing_degree(eta, c2, b, NoiseForm::NormalizedHeavyBall { beta, k }),
        }
    }

    /// The form that matches `kind`.
    #[must_use]
    pub fn of(&self, kind: OptimizerKind) -> f64 {
        match kind {
            OptimizerKind::Sgd => self.sgd,
            OptimizerKind::Shb => self.shb,
            OptimizerKind::Nshb => self.nshb,
        }
    }
}

/// One line of `epochs.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochRecord {
    /// Epoch, 0-based.
    pub epoch: usize,
    /// Mean of the mini-batch losses of the epoch's steps (each at the weights before
    /// its step, in training mode).
    pub train_loss: f64,
    /// Fraction of training examples classified correctly by those forward passes.
    pub train_accuracy: f64,
    /// Mean cross-entropy on the test set (evaluation mode).
    pub test_loss: f64,
    /// Test accuracy.
    pub test_accuracy: f64,
    /// η.
    pub learning_rate: f64,
    /// b.
    pub batch_size: usize,
    /// β.
    pub momentum: f64,
    /// The momentum method of this epoch.
    pub optimizer: OptimizerKind,
    /// Parameter updates in this epoch, ⌈N/b⌉.
    pub steps: usize,
    /// Parameter updates since the start of the run.
    pub updates: u64,
    /// C² measured after this epoch on the fixed subset (absent if not measured).
    pub c2: Option<f64>,
    /// ‖∇f‖ on the subset at the same point.
    pub gradient_norm: Option<f64>,
    /// δ of this epoch's (η, b, β) with the configured C² and K.
    pub delta: Option<Delta>,
    /// Wall time of the epoch (training, evaluation, measurements), seconds.
    pub seconds: f64,
    /// Training images per second (training steps only).
    pub images_per_second: f64,
    /// δ of explicit graduated optimization in this epoch (absent when off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoothing_radius: Option<f64>,
    /// Values from the measurement hook at this epoch (sharpness, λ_max, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub measurements: BTreeMap<String, f64>,
}

/// Where the run's data came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataInfo {
    /// The source name.
    pub name: String,
    /// Training examples N.
    pub train: usize,
    /// Test examples.
    pub test: usize,
    /// (C, H, W).
    pub shape: (usize, usize, usize),
    /// Number of classes.
    pub classes: usize,
}

/// `manifest.json`: what was run, by which igo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The validated config.
    pub config: RunConfig,
    /// The seed (also in the config).
    pub seed: u64,
    /// igo's version.
    pub igo_version: String,
    /// `git rev-parse HEAD` of the source tree at run time, or "unknown".
    pub git_revision: String,
    /// Whether that tree had uncommitted changes to tracked files (absent if unknown).
    pub git_dirty: Option<bool>,
    /// Start time, seconds since the Unix epoch.
    pub created_unix: u64,
    /// The data.
    pub data: DataInfo,
    /// Trainable parameters.
    pub parameters: usize,
    /// Parameter updates the plan will make, Σ_e ⌈N/b_e⌉.
    pub planned_updates: u64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Still running (or killed without a chance to say so).
    Running,
    /// All epochs done.
    Finished,
    /// The loss became NaN/infinite or exceeded 10³ times the first loss.
    Diverged,
    /// Stopped by a signal or a request; resumable.
    Interrupted,
    /// An error stopped it.
    Failed,
}

/// Where a run diverged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    /// Epoch, 0-based.
    pub epoch: usize,
    /// Step within the epoch, 0-based.
    pub step: usize,
    /// The loss (null in JSON when NaN).
    pub loss: Option<f64>,
    /// "not finite" or "exceeds 1000 × the first loss (…)".
    pub reason: String,
}

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// How the run ended.
    pub status: Status,
    /// Epochs with a record.
    pub epochs_completed: usize,
    /// Epochs in the last checkpoint (where `--resume` continues).
    pub checkpoint_epochs: usize,
    /// Planned epochs.
    pub epochs: usize,
    /// Parameter updates made (up to the last completed epoch).
    pub updates: u64,
    /// Train loss of the last completed epoch.
    pub final_train_loss: Option<f64>,
    /// Test loss of the last completed epoch.
    pub final_test_loss: Option<f64>,
    /// Test accuracy of the last completed epoch.
    pub final_test_accuracy: Option<f64>,
    /// Set when the run diverged.
    pub divergence: Option<Divergence>,
    /// C² at initialisation.
    pub c2_initial: Option<f64>,
    /// The last C² measured.
    pub c2_final: Option<f64>,
    /// The largest C² measured along the run.
    pub c2_max: Option<f64>,
    /// Wall time of the run (over all its sessions), seconds.
    pub wall_seconds: f64,
    /// The error, for a failed run.
    pub message: Option<String>,
}

/// Serialises `value` as pretty JSON and writes it atomically to `path`.
///
/// # Errors
/// I/O errors naming the file.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| ExperimentError::Other(format!("{}: {e}", path.display())))?;
    text.push('\n');
    crate::io::write_atomic(path, text.as_bytes())
}

/// Reads a JSON file.
///
/// # Errors
/// I/O errors, or [`ExperimentError::Data`] with the byte offset of a parse error.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| ExperimentError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        let offset = text
            .lines()
            .take(e.line().saturating_sub(1))
            .map(|l| l.len() as u64 + 1)
            .sum::<u64>()
            + e.column().saturating_sub(1) as u64;
        ExperimentError::data(path, offset, e.to_string())
    })
}

/// Writes the lines of `epochs.jsonl` atomically (each line one JSON record).
///
/// # Errors
/// I/O errors.
pub fn write_records(path: &Path, lines: &[String]) -> Result<()> {
    let mut text = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    crate::io::write_atomic(path, text.as_bytes())
}

/// The lines of `epochs.jsonl` (empty if the file does not exist), each checked to be a
/// record.
///
/// # Errors
/// I/O errors, or [`ExperimentError::Data`] at the offset of a line that is not a
/// record (a run's own file never has one: it is written atomically).
pub fn read_records(path: &Path) -> Result<Vec<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ExperimentError::io(path, e)),
    };
    let mut offset = 0u64;
    let mut lines = Vec::new();
    for line in text.lines() {
        if !line.trim().is_empty() {
            serde_json::from_str::<EpochRecord>(line).map_err(|e| {
                ExperimentError::data(path, offset, format!("not an epoch record: {e}"))
            })?;
            lines.push(line.to_string());
        }
        offset += line.len() as u64 + 1;
    }
    Ok(lines)
}

/// (revision, dirty) of the git tree igo was built from, asked at run time
/// (`git rev-parse HEAD`, `git status --porcelain --untracked-files=no`); ("unknown",
/// None) when git or the tree is not there.
#[must_use]
pub fn git_revision() -> (String, Option<bool>) {
    let dir = env!("CARGO_MANIFEST_DIR");
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(rev) if !rev.is_empty() => {
            let dirty =
                run(&["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty());
            (rev, dirty)
        }
        _ => ("unknown".into(), None),
    }
}
