//! Measurements of a trained network at a checkpoint: gradient noise C² (spec §10.2,
//! [`gradient_noise`]), exact Hessian-vector products ([`hvp`], on the second-order
//! [`worker`] thread), the top Hessian eigenvalues and the Hutchinson trace
//! ([`hessian`]), worst-case ℓ∞ m-sharpness ([`sharpness`], spec §10.2), and Wu et al.'s
//! sharpness and non-uniformity ([`wu`]); [`checkpoint`] takes them all at once.
//!
//! Every measure runs on a fixed set of examples: the first `examples` training images,
//! unaugmented and in order, in batches of `batch` ([`fixed_batches`]; spec §10.2: 1024
//! examples in batches of 128). The model's variables, batch-norm running statistics
//! included, are exactly as they were after every measurement.

pub mod checkpoint;
pub mod gradient_noise;
pub mod hessian;
pub mod hook;
pub mod hvp;
pub mod sharpness;
pub mod worker;
pub mod wu;

use crate::data::{Augmentation, Batch, ImageSet, Loader, Normalization};
use crate::models::{Architecture, Model};
use crate::{ExperimentError, Result};
use candle_core::{DType, Device, Tensor};
use numerics::Seed;
use serde::{Deserialize, Serialize};

/// How batch-normalisation layers compute while a loss is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchNormMode {
    /// Running statistics (PyTorch `model.eval()`): the loss of a set of examples is
    /// the mean of per-example losses, the authors' sharpness setting.
    #[default]
    Eval,
    /// Batch statistics of each fixed micro-batch (`model.train()` per micro-batch); the
    /// running statistics are restored afterwards.
    TrainPerMicroBatch,
}

/// The first `examples` images of `set` (all of them if fewer), unaugmented, in order,
/// normalised, in batches of `batch` (the last one smaller if `batch ∤ examples`).
///
/// # Errors
/// `examples` or `batch` is 0 ([`ExperimentError::Config`] naming `examples`/`batch`),
/// the normalisation does not fit the images, or a candle error.
pub fn fixed_batches(
    set: &ImageSet,
    normalization: &Normalization,
    examples: usize,
    batch: usize,
    device: &Device,
    dtype: DType,
) -> Result<Vec<Batch>> {
    if examples == 0 {
        return Err(ExperimentError::config(
            "examples",
            "the number of examples must be at least 1",
        ));
    }
    if batch == 0 {
        return Err(ExperimentError::config(
            "batch",
            "the batch size must be at least 1",
        ));
    }
    let n = examples.min(set.len());
    let loader = Loader::new(
        set,
        normalization.clone(),
        Augmentation::none(),
        device,
        dtype,
    )?;
    let indices: Vec<usize> = (0..n).collect();
    indices
        .chunks(batch)
        .map(|chunk| loader.batch(chunk, None))
        .collect()
}

/// The batches of `batches` cut into single-example batches (for per-sample Hessians).
///
/// # Errors
/// A candle error.
pub fn single_examples(batches: &[Batch]) -> Result<Vec<Batch>> {
    let mut out = Vec::new();
    for b in batches {
        for (k, &index) in b.indices.iter().enumerate() {
            out.push(Batch {
                images: b.images.narrow(0, k, 1)?,
                labels: b.labels.narrow(0, k, 1)?,
                indices: vec![index],
            });
        }
    }
    Ok(out)
}

/// A copy of a model's variables with what is needed to rebuild it elsewhere (on the
/// second-order worker thread): architecture, shapes, dtype, device and every tensor.
#[derive(Debug, Clone)]
pub struct ModelSnapshot {
    architecture: Architecture,
    input: (usize, usize, usize),
    classes: usize,
    dtype: DType,
    device: Device,
    tensors: Vec<(String, Tensor)>,
}

impl ModelSnapshot {
    /// Copies every variable (parameters and buffers) of `model`.
    ///
    /// # Errors
    /// A candle error.
    pub fn of(model: &Model) -> Result<Self> {
        let tensors = model
            .variables()
            .into_iter()
            .map(|(k, v)| Ok((k, v.as_tensor().copy()?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            architecture: model.architecture().clone(),
            input: model.input(),
            classes: model.classes(),
            dtype: model.dtype(),
            device: model.device().clone(),
            tensors,
        })
    }

    /// A new model with these values, in `dtype` (the original dtype if None).
    ///
    /// # Errors
    /// A candle error, or a variable the rebuilt model does not have.
    pub fn build(&self, dtype: Option<DType>) -> Result<Model> {
        let dtype = dtype.unwrap_or(self.dtype);
        let model = Model::new(
            &self.architecture,
            self.input,
            self.classes,
            dtype,
            &self.device,
            Seed(0),
        )?;
        let vars = model.variables();
        for (name, t) in &self.tensors {
            let var = vars.get(name).ok_or_else(|| {
                ExperimentError::Other(format!("rebuilt model has no variable '{name}'"))
            })?;
            var.set(&t.to_dtype(dtype)?)?;
        }
        Ok(model)
    }
}
