//! Models: an [`Architecture`] built into a [`Model`] whose parameters live in a candle
//! `VarMap` under PyTorch's names (`conv1.weight`, `layer1.0.bn1.running_mean`,
//! `linear.weight`, …), initialised by igo's own seeded initialiser ([`init`]).
//!
//! candle's CPU random generator cannot be seeded and its default initialisers differ
//! from PyTorch's, so every variable is overwritten after construction, in sorted-name
//! order, from a ChaCha8 stream of the run's seed: the same seed gives the same weights
//! on every run and every device.

pub mod init;
pub mod mlp;

use crate::data::Normalization;
use crate::{ExperimentError, Result};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use numerics::Seed;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A network's forward pass: logits of shape (B, classes) from images (B, C, H, W).
pub trait Network: Send + Sync {
    /// Forward pass; `train` selects batch statistics (and updates running statistics)
    /// in batch-norm layers.
    ///
    /// # Errors
    /// Any candle error (shape mismatch, device).
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor>;
}

/// Which network to build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum Architecture {
    /// Multinomial logistic regression on the flattened image: `linear`.
    Logistic,
    /// Fully connected ReLU network on the flattened image: `layers.0`, `layers.1`, …
    Mlp {
        /// Hidden widths.
        hidden: Vec<usize>,
    },
}

impl Architecture {
    /// Short name used in run directories and reports (`logistic`, `mlp-128-128`, …).
    #[must_use]
    pub fn slug(&self) -> String {
        match self {
            Architecture::Logistic => "logistic".into(),
            Architecture::Mlp { hidden } => {
                let widths: Vec<String> = hidden.iter().map(ToString::to_string).collect();
                format!("mlp-{}", widths.join("-"))
            }
        }
    }

    fn build(
        &self,
        input: (usize, usize, usize),
        classes: usize,
        vb: VarBuilder<'_>,
    ) -> Result<Box<dyn Network>> {
        let flat = input.0 * input.1 * input.2;
        Ok(match self {
            Architecture::Logistic => Box::new(mlp::Mlp::new(flat, &[], classes, vb)?),
            Architecture::Mlp { hidden } => Box::new(mlp::Mlp::new(flat, hidden, classes, vb)?),
        })
    }
}

/// Suffixes of non-trainable buffers (batch-norm running statistics).
const BUFFER_SUFFIXES: [&str; 2] = ["running_mean", "running_var"];

/// True if the variable `name` is a buffer (running statistic), not a parameter.
#[must_use]
pub fn is_buffer(name: &str) -> bool {
    BUFFER_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// A network with its variables.
pub struct Model {
    architecture: Architecture,
    input: (usize, usize, usize),
    classes: usize,
    varmap: VarMap,
    network: Box<dyn Network>,
    device: Device,
    dtype: DType,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("architecture", &self.architecture)
            .field("input", &self.input)
            .field("classes", &self.classes)
            .field("parameters", &self.parameter_count())
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Builds `architecture` for images of shape `input` = (C, H, W) and `classes`
    /// outputs, and initialises every variable from `seed` ([`init::initialise`]).
    ///
    /// # Errors
    /// Invalid sizes, or a candle error.
    pub fn new(
        architecture: &Architecture,
        input: (usize, usize, usize),
        classes: usize,
        dtype: DType,
        device: &Device,
        seed: Seed,
    ) -> Result<Model> {
        if classes < 2 || input.0 * input.1 * input.2 == 0 {
            return Err(ExperimentError::Other(format!(
                "a model needs at least 2 classes and a non-empty input, got {classes} classes and input {input:?}"
            )));
        }
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, dtype, device);
        let network = architecture.build(input, classes, vb)?;
        let model = Model {
            architecture: architecture.clone(),
            input,
            classes,
            varmap,
            network,
            device: device.clone(),
            dtype,
        };
        init::initialise(&model.variables(), seed)?;
        Ok(model)
    }

    /// The architecture.
    #[must_use]
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// Input shape (C, H, W).
    #[must_use]
    pub fn input(&self) -> (usize, usize, usize) {
        self.input
    }

    /// Number of classes.
    #[must_use]
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The device the variables live on.
    #[must_use]
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The floating-point type of the variables.
    #[must_use]
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Logits (B, classes) for images (B, C, H, W).
    ///
    /// # Errors
    /// Any candle error.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor> {
        Ok(self.network.forward_t(xs, train)?)
    }

    /// Every variable (parameters and buffers) by name, sorted.
    #[must_use]
    pub fn variables(&self) -> BTreeMap<String, Var> {
        match self.varmap.data().lock() {
            Ok(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Err(poisoned) => poisoned
                .into_inner()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// The trainable parameters by name, sorted (buffers excluded).
    #[must_use]
    pub fn parameters(&self) -> Vec<(String, Var)> {
        self.variables()
            .into_iter()
            .filter(|(k, _)| !is_buffer(k))
            .collect()
    }

    /// The batch-norm running statistics by name, sorted.
    #[must_use]
    pub fn buffers(&self) -> Vec<(String, Var)> {
        self.variables()
            .into_iter()
            .filter(|(k, _)| is_buffer(k))
            .collect()
    }

    /// Number of trainable scalars.
    #[must_use]
    pub fn parameter_count(&self) -> usize {
        self.parameters().iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// A copy of the buffers, to restore after a measurement that ran the network in
    /// training mode ([`Model::restore_buffers`]).
    ///
    /// # Errors
    /// Any candle error.
    pub fn snapshot_buffers(&self) -> Result<Vec<(String, Tensor)>> {
        self.buffers()
            .into_iter()
            .map(|(k, v)| Ok((k, v.as_tensor().copy()?)))
            .collect()
    }

    /// Restores buffers saved by [`Model::snapshot_buffers`], bit for bit.
    ///
    /// # Errors
    /// A name that is not a buffer of this model, or a shape mismatch.
    pub fn restore_buffers(&self, snapshot: &[(String, Tensor)]) -> Result<()> {
        let vars = self.variables();
        for (name, value) in snapshot {
            let var = vars.get(name).ok_or_else(|| {
                ExperimentError::Other(format!("snapshot holds unknown buffer '{name}'"))
            })?;
            var.set(value)?;
        }
        Ok(())
    }

    /// Writes every variable to a safetensors file under its PyTorch name (atomically:
    /// a temporary file renamed into place).
    ///
    /// # Errors
    /// I/O or candle errors.
    pub fn save(&self, path: &Path) -> Result<()> {
        let vars = self.variables();
        let tensors: Vec<(String, Tensor)> = vars
            .into_iter()
            .map(|(k, v)| (k, v.as_tensor().clone()))
            .collect();
        crate::io::write_atomic_with(path, |tmp| {
            candle_core::safetensors::save(&tensors.iter().cloned().collect(), tmp)
                .map_err(ExperimentError::from)
        })
    }

    /// Loads every variable from a safetensors file (e.g. a PyTorch `state_dict` saved
    /// with `safetensors.torch.save_file`); tensors the model does not have (such as
    /// `num_batches_tracked`) are ignored, a missing or misshapen one is an error naming it.
    ///
    /// # Errors
    /// I/O, a missing tensor, a shape mismatch.
    pub fn load(&self, path: &Path) -> Result<()> {
        let tensors = candle_core::safetensors::load(path, &self.device).map_err(|e| {
            ExperimentError::data(path, 0, format!("not a readable safetensors file: {e}"))
        })?;
        for (name, var) in self.variables() {
            let t = tensors.get(&name).ok_or_else(|| {
                ExperimentError::data(path, 0, format!("tensor '{name}' is missing"))
            })?;
            if t.dims() != var.dims() {
                return Err(ExperimentError::data(
                    path,
                    0,
                    format!(
                        "tensor '{name}' has shape {:?}, the model expects {:?}",
                        t.dims(),
                        var.dims()
                    ),
                ));
            }
            var.set(&t.to_dtype(self.dtype)?)?;
        }
        Ok(())
    }
}

/// The input normalisation a model was trained with is part of its data, not of the
/// model; re-exported here for convenience.
pub type InputNormalization = Normalization;
