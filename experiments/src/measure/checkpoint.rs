//! Every measure of a checkpoint in one call, on the same fixed examples (spec §10.2):
//! gradient noise C² (on a seeded subset, [`super::gradient_noise`]), worst-case
//! sharpness, the top Hessian eigenvalues and trace, and (on a smaller subset) Wu et
//! al.'s quantities. This is what `igo measure` prints and what a training run
//! records at checkpoint epochs.

use super::fixed_batches;
use super::gradient_noise::{gradient_noise, subset, Estimator, GradientNoise};
use super::hessian::{hessian_spectrum, HessianOptions, HessianReport};
use super::sharpness::{worst_case_sharpness, SharpnessOptions, SharpnessReport};
use super::wu::{wu_quantities, WuOptions, WuReport};
use crate::data::{Augmentation, ImageSet, Loader, Normalization};
use crate::models::Model;
use crate::{ExperimentError, Result};
use numerics::Seed;
use serde::{Deserialize, Serialize};

/// Settings of the C² measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoiseOptions {
    /// Size N of the seeded subset of training examples ([`subset`]).
    pub examples: usize,
    /// The estimator (None: [`Estimator::auto`]).
    pub estimator: Option<Estimator>,
    /// Seed of the subset (and of the micro-batch partition).
    pub seed: Seed,
}

impl Default for NoiseOptions {
    /// 256 examples, automatic estimator, seed 0.
    fn default() -> Self {
        Self {
            examples: 256,
            estimator: None,
            seed: Seed(0),
        }
    }
}

/// Which measures to take, and on which examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointOptions {
    /// The first `examples` training images (unaugmented, in order) are measured.
    pub examples: usize,
    /// Batch size m of the sharpness batches (and of the Hessian's micro-batches unless
    /// `hessian_batch` is set).
    pub batch: usize,
    /// Micro-batch size of the Hessian-vector products (None: `batch`). In evaluation
    /// mode the products do not depend on it (only the memory does: a double backward
    /// adds about 4× what a gradient adds, `igo bench train`); in train-mode batch norm it
    /// defines the loss.
    pub hessian_batch: Option<usize>,
    /// Gradient noise C² (None: skipped).
    pub noise: Option<NoiseOptions>,
    /// Worst-case sharpness (None: skipped).
    pub sharpness: Option<SharpnessOptions>,
    /// Hessian eigenvalues and trace (None: skipped).
    pub hessian: Option<HessianOptions>,
    /// Wu et al.'s quantities on the first `wu_examples` of the examples (None: skipped).
    pub wu: Option<WuOptions>,
    /// Number of examples for Wu's per-example Hessians.
    pub wu_examples: usize,
}

impl Default for CheckpointOptions {
    /// 1024 examples in batches of 128, default C², sharpness and Hessian, no Wu.
    fn default() -> Self {
        Self {
            examples: 1024,
            batch: 128,
            hessian_batch: None,
            noise: Some(NoiseOptions::default()),
            sharpness: Some(SharpnessOptions::default()),
            hessian: Some(HessianOptions::default()),
            wu: None,
            wu_examples: 64,
        }
    }
}

/// The measures of one checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeasures {
    /// Number of examples measured.
    pub examples: usize,
    /// Batch size m.
    pub batch: usize,
    /// Micro-batch size of the Hessian-vector products.
    pub hessian_batch: usize,
    /// Number of trainable parameters.
    pub parameters: usize,
    /// Gradient noise C² and ‖∇f‖ on the C² subset.
    pub noise: Option<GradientNoise>,
    /// Worst-case sharpness.
    pub sharpness: Option<SharpnessReport>,
    /// Hessian eigenvalues and trace.
    pub hessian: Option<HessianReport>,
    /// Wu et al.'s quantities.
    pub wu: Option<WuReport>,
}

/// Measures `model` on the first `options.examples` images of `train` (normalised with
/// `normalization`, in the model's dtype and on its device). The model's variables are
/// exactly as they were afterwards.
///
/// # Errors
/// Invalid options ([`ExperimentError::Config`] naming the key), or any error of the
/// measures.
pub fn measure_checkpoint(
    model: &Model,
    train: &ImageSet,
    normalization: &Normalization,
    options: &CheckpointOptions,
) -> Result<CheckpointMeasures> {
    if let Some(s) = &options.sharpness {
        s.validate()?;
    }
    if let Some(h) = &options.hessian {
        h.validate()?;
    }
    if options.wu.is_some() && options.wu_examples == 0 {
        return Err(ExperimentError::config("wu_examples", "must be at least 1"));
    }
    let batches = fixed_batches(
        train,
        normalization,
        options.examples,
        options.batch,
        model.device(),
        model.dtype(),
    )?;
    let examples = batches.iter().map(|b| b.indices.len()).sum();
    let noise = match &options.noise {
        Some(n) => {
            let loader = Loader::new(
                train,
                normalization.clone(),
                Augmentation::none(),
                model.device(),
                model.dtype(),
            )?;
            let indices = subset(train.len(), n.examples, n.seed);
            let estimator = n.estimator.unwrap_or_else(|| Estimator::auto(model));
            Some(gradient_noise(model, &loader, &indices, estimator, n.seed)?)
        }
        None => None,
    };
    let sharpness = match &options.sharpness {
        Some(s) => Some(worst_case_sharpness(model, &batches, s)?),
        None => None,
    };
    let hessian_batch = options.hessian_batch.unwrap_or(options.batch);
    let hessian = match &options.hessian {
        Some(h) if hessian_batch == options.batch => Some(hessian_spectrum(model, &batches, h)?),
        Some(h) => {
            if hessian_batch == 0 {
                return Err(ExperimentError::config(
                    "hessian_batch",
                    "must be at least 1",
                ));
            }
            let micro = fixed_batches(
                train,
                normalization,
                options.examples,
                hessian_batch,
                model.device(),
                model.dtype(),
            )?;
            Some(hessian_spectrum(model, &micro, h)?)
        }
        None => None,
    };
    let wu = match &options.wu {
        Some(w) => {
            let subset = fixed_batches(
                train,
                normalization,
                options.wu_examples.min(examples),
                options.batch,
                model.device(),
                model.dtype(),
            )?;
            Some(wu_quantities(model, &subset, w)?)
        }
        None => None,
    };
    Ok(CheckpointMeasures {
        examples,
        batch: options.batch,
        hessian_batch,
        parameters: model.parameter_count(),
        noise,
        sharpness,
        hessian,
        wu,
    })
}
