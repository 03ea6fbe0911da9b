//! Checkpoints: the model's variables and the optimizer's momentum buffers as
//! safetensors under `checkpoints/`, and `checkpoint.json` ([`CheckpointMeta`]) naming
//! them with the run's counters.
//!
//! Writing order makes a checkpoint all-or-nothing: the two tensor files are written
//! (atomically, under names carrying the epoch), then `checkpoint.json` is replaced
//! atomically, then older tensor files are deleted. A kill at any point leaves either
//! the previous checkpoint or the new one complete; leftover temporary or unreferenced
//! files are ignored and cleaned up by the next checkpoint.

use super::record::{read_json, write_json};
use crate::models::Model;
use crate::optimizer::Optimizer;
use crate::{ExperimentError, Result};
use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// File name of the checkpoint metadata.
pub const CHECKPOINT: &str = "checkpoint.json";
/// Folder of the tensor files.
pub const CHECKPOINT_DIR: &str = "checkpoints";
/// Prefix of momentum buffers in the optimizer file.
const BUFFER_PREFIX: &str = "momentum_buffer.";

/// `checkpoint.json`: the state after `epochs` completed epochs, besides the tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// Completed epochs.
    pub epochs: usize,
    /// Parameter updates so far.
    pub updates: u64,
    /// Lines of `epochs.jsonl` that belong to this state.
    pub records: usize,
    /// Model file, relative to the run directory.
    pub model: String,
    /// Optimizer file (absent when there are no buffers, e.g. SGD).
    pub optimizer: Option<String>,
    /// Optimizer steps taken.
    pub optimizer_steps: u64,
    /// The first mini-batch loss of the run (divergence threshold 10³ × this).
    pub initial_loss: Option<f64>,
    /// C² at initialisation.
    pub c2_initial: Option<f64>,
    /// ‖∇f‖ on the C² subset at initialisation.
    pub gradient_norm_initial: Option<f64>,
    /// The latest C² measurement.
    pub c2_current: Option<f64>,
    /// The latest ‖∇f‖ measurement.
    pub gradient_norm_current: Option<f64>,
    /// The largest C² so far.
    pub c2_max: Option<f64>,
    /// Wall time of the run so far, seconds.
    pub wall_seconds: f64,
}

/// `checkpoints/epoch-EEEE.model.safetensors`.
fn model_file(epochs: usize) -> String {
    format!("{CHECKPOINT_DIR}/epoch-{epochs:04}.model.safetensors")
}

/// `checkpoints/epoch-EEEE.optimizer.safetensors`.
fn optimizer_file(epochs: usize) -> String {
    format!("{CHECKPOINT_DIR}/epoch-{epochs:04}.optimizer.safetensors")
}

/// Writes a checkpoint of `model` and `optimizer` into `dir` with the counters in
/// `meta` (its file names are filled in here), then removes older tensor files.
///
/// # Errors
/// I/O or candle errors; the previous checkpoint is intact if this fails.
pub fn save(
    dir: &Path,
    model: &Model,
    optimizer: &Optimizer,
    mut meta: CheckpointMeta,
) -> Result<()> {
    let folder = dir.join(CHECKPOINT_DIR);
    std::fs::create_dir_all(&folder).map_err(|e| ExperimentError::io(&folder, e))?;
    meta.model = model_file(meta.epochs);
    model.save(&dir.join(&meta.model))?;
    let state = optimizer.state();
    meta.optimizer = if state.is_empty() {
        None
    } else {
        let name = optimizer_file(meta.epochs);
        let tensors: HashMap<String, Tensor> = state
            .into_iter()
            .map(|(k, v)| (format!("{BUFFER_PREFIX}{k}"), v))
            .collect();
        let path = dir.join(&name);
        crate::io::write_atomic_with(&path, |tmp| {
            candle_core::safetensors::save(&tensors, tmp).map_err(ExperimentError::from)
        })?;
        Some(name)
    };
    meta.optimizer_steps = optimizer.base().steps();
    write_json(&dir.join(CHECKPOINT), &meta)?;
    remove_unreferenced(dir, &meta);
    Ok(())
}

/// Deletes files in `checkpoints/` that `meta` does not name (older checkpoints,
/// temporary files of an interrupted write). Failures are ignored: a stray file is
/// harmless.
fn remove_unreferenced(dir: &Path, meta: &CheckpointMeta) {
    let keep: Vec<PathBuf> = std::iter::once(&meta.model)
        .chain(meta.optimizer.as_ref())
        .map(|f| dir.join(f))
        .collect();
    if let Ok(entries) = std::fs::read_dir(dir.join(CHECKPOINT_DIR)) {
        for entry in entries.flatten() {
            let path = entry.path();
            if !keep.contains(&path) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// The last complete checkpoint of `dir`, if any.
///
/// # Errors
/// A `checkpoint.json` that cannot be read, or that names a missing file.
pub fn latest(dir: &Path) -> Result<Option<CheckpointMeta>> {
    let path = dir.join(CHECKPOINT);
    if !path.exists() {
        return Ok(None);
    }
    let meta: CheckpointMeta = read_json(&path)?;
    for f in std::iter::once(&meta.model).chain(meta.optimizer.as_ref()) {
        if !dir.join(f).exists() {
            return Err(ExperimentError::data(
                &path,
                0,
                format!("names {f}, which does not exist"),
            ));
        }
    }
    Ok(Some(meta))
}

/// Loads the checkpoint `meta` of `dir` into `model` and `optimizer`.
///
/// # Errors
/// Missing or misshapen tensors (naming the file), candle errors.
pub fn load(
    dir: &Path,
    meta: &CheckpointMeta,
    model: &Model,
    optimizer: &mut Optimizer,
) -> Result<()> {
    model.load(&dir.join(&meta.model))?;
    let mut buffers = BTreeMap::new();
    if let Some(f) = &meta.optimizer {
        let path = dir.join(f);
        let tensors = candle_core::safetensors::load(&path, model.device()).map_err(|e| {
            ExperimentError::data(&path, 0, format!("not a readable safetensors file: {e}"))
        })?;
        for (k, v) in tensors {
            let name = k.strip_prefix(BUFFER_PREFIX).ok_or_else(|| {
                ExperimentError::data(&path, 0, format!("unexpected tensor '{k}'"))
            })?;
            buffers.insert(name.to_string(), v);
        }
    }
    optimizer
        .base_mut()
        .load_state(buffers, meta.optimizer_steps)
        .map_err(|e| ExperimentError::data(dir.join(CHECKPOINT), 0, e.to_string()))
}
