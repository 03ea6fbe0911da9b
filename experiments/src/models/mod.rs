//! Models: an [`Architecture`] built into a [`Model`] whose parameters live in a candle
//! `VarMap` under PyTorch's names (`conv1.weight`, `layer1.0.bn1.running_mean`,
//! `linear.weight`, …), initialised by igo's own seeded initialiser ([`init`]).
//!
//! candle's CPU random generator cannot be seeded and its default initialisers differ
//! from PyTorch's, so every variable is overwritten after construction, in sorted-name
//! order, from a ChaCha8 stream of the run's seed: the same seed gives the same weights
//! on every run and every device, following the reference PyTorch model's own
//! initialisation ([`InitScheme`], chosen by [`Architecture::init_scheme`]).
//!
//! The networks, one module each, with the PyTorch file whose `state_dict` keys they use:
//! [`resnet_cifar`] (kuangliu/pytorch-cifar ResNet-18/34), [`resnet_imagenet`]
//! (torchvision resnet18/34), [`wide_resnet`] (xternalz WRN-d-k), [`resnet_small`] (He et
//! al.'s ResNet-(6n+2) in kuangliu's naming), [`mlp`] (MLP and logistic regression).
//! Batch norm is candle-nn's, wrapped in [`basic_block::BatchNorm2d`]; its running
//! statistics are variables of the VarMap ([`Model::buffers`]), kept out of
//! [`Model::parameters`] by [`is_buffer`]. `bench/models_vs_pytorch.sh` checks the
//! logits against PyTorch on the same weights.

pub mod basic_block;
pub mod init;
pub mod mlp;
pub mod resnet_cifar;
pub mod resnet_imagenet;
pub mod resnet_small;
pub mod wide_resnet;

pub use init::InitScheme;
pub use resnet_cifar::ResNetCifar;
pub use resnet_imagenet::ResNetImagenet;
pub use wide_resnet::WideResNet;

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

/// Which network to build; written in configs, flags and records as its name
/// ([`Architecture::slug`], parsed back by [`str::parse`]):
///
/// | name | variant | model |
/// |---|---|---|
/// | `logistic` | [`Architecture::Logistic`] | multinomial logistic regression |
/// | `mlp-128-128` | [`Architecture::Mlp`] | ReLU MLP with the listed hidden widths |
/// | `resnet18`, `resnet34`, `resnet18-w16` | [`Architecture::ResnetCifar`] | kuangliu CIFAR ResNet of base width W (widths W, 2W, 4W, 8W; 64 if omitted) ([`resnet_cifar`]) |
/// | `resnet18-imagenet`, `resnet34-imagenet` | [`Architecture::ResnetImagenet`] | torchvision ResNet ([`resnet_imagenet`]) |
/// | `wrn-28-10` | [`Architecture::WideResnet`] | WRN-d-k, d = 6n+4 ([`wide_resnet`]) |
/// | `resnet20-w16`, `resnet8-w16`, `resnet20` | [`Architecture::ResnetSmall`] | He et al. ResNet-(6n+2) of width w, 16 if omitted ([`resnet_small`]) |
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Architecture {
    /// Multinomial logistic regression on the flattened image: `linear`.
    Logistic,
    /// Fully connected ReLU network on the flattened image: `layers.0`, `layers.1`, …
    Mlp {
        /// Hidden widths.
        hidden: Vec<usize>,
    },
    /// CIFAR ResNet of kuangliu/pytorch-cifar (3×3 stem, no max-pool), depth 18 or 34,
    /// with stage widths W, 2W, 4W, 8W (W = 64 in kuangliu's file).
    ResnetCifar {
        /// 18 or 34.
        depth: usize,
        /// Base width W: the stem and first stage have W channels (64 for kuangliu's
        /// `ResNet18()`, named `resnet18`; other widths are named `resnet18-wW`).
        width: usize,
    },
    /// torchvision ImageNet ResNet (7×7 stem, max-pool), depth 18 or 34.
    ResnetImagenet {
        /// 18 or 34.
        depth: usize,
    },
    /// Wide ResNet WRN-`depth`-`widen` of xternalz/WideResNet-pytorch.
    WideResnet {
        /// Depth 6n + 4 (28 for WRN-28-10).
        depth: usize,
        /// Widening factor k (10 for WRN-28-10).
        widen: usize,
    },
    /// He et al.'s CIFAR ResNet-(6n+2) with stage widths w, 2w, 4w.
    ResnetSmall {
        /// Depth 6n + 2 (8, 20, 32, 44, 56, 110, …).
        depth: usize,
        /// Width w of the first stage (16 in the paper).
        width: usize,
    },
}

/// The names [`Architecture`]'s parser accepts, for error messages.
pub const ARCHITECTURE_NAMES: &str = "logistic, mlp-W[-W…] (e.g. mlp-128-128), \
resnet18, resnet34 (CIFAR, kuangliu, width 64), resnet18-wW, resnet34-wW (the same at base width W, e.g. resnet18-w16), resnet18-imagenet, resnet34-imagenet (torchvision), \
resnet{6n+2}[-wW] (He et al. CIFAR ResNet, width W = 16 if omitted, e.g. resnet20-w16, resnet8-w16), \
wrn-{6n+4}-{k} (e.g. wrn-28-10)";

/// Largest number the parser reads as a size (guards against overflow).
const MAX_SIZE: usize = 1 << 16;
/// Largest MLP hidden width.
pub const MAX_MLP_WIDTH: usize = 16_384;
/// Largest first-stage width of a [`Architecture::ResnetSmall`] (4w channels at the end)
/// or [`Architecture::ResnetCifar`] (8W channels at the end).
pub const MAX_RESNET_WIDTH: usize = 512;
/// Largest WRN widening factor (WRN-28-32 has ≈ 373 M parameters).
pub const MAX_WIDEN: usize = 32;
/// Largest depth of a ResNet-(6n+2) or WRN-(6n+4) (He et al.'s deepest is 1202).
pub const MAX_DEPTH: usize = 1202;

impl Architecture {
    /// Short name used in configs, flags, run directories and reports (`logistic`,
    /// `mlp-128-128`, `resnet18`, `resnet34-imagenet`, `wrn-28-10`, `resnet20-w16`); the
    /// parser reads it back to the same value.
    #[must_use]
    pub fn slug(&self) -> String {
        match self {
            Architecture::Logistic => "logistic".into(),
            Architecture::Mlp { hidden } => {
                let widths: Vec<String> = hidden.iter().map(ToString::to_string).collect();
                format!("mlp-{}", widths.join("-"))
            }
            Architecture::ResnetCifar { depth, width } => {
                if *width == resnet_cifar::RESNET_BASE_WIDTH {
                    format!("resnet{depth}")
                } else {
                    format!("resnet{depth}-w{width}")
                }
            }
            Architecture::ResnetImagenet { depth } => format!("resnet{depth}-imagenet"),
            Architecture::WideResnet { depth, widen } => format!("wrn-{depth}-{widen}"),
            Architecture::ResnetSmall { depth, width } => format!("resnet{depth}-w{width}"),
        }
    }

    /// Parses a name (table in the type's docs); an unknown or malformed name is an
    /// [`ExperimentError::Config`] for `key` that lists the accepted names.
    ///
    /// # Errors
    /// The name is not one of [`ARCHITECTURE_NAMES`] or has invalid sizes.
    pub fn parse_for_key(key: &str, name: &str) -> Result<Architecture> {
        let bad = |why: &str| {
            ExperimentError::config(
                key,
                format!("unknown model '{name}'{why}; expected one of: {ARCHITECTURE_NAMES}"),
            )
        };
        let size = |s: &str| -> Result<usize> {
            match s.parse::<usize>() {
                Ok(v) if (1..=MAX_SIZE).contains(&v) && !s.starts_with('+') => Ok(v),
                _ => Err(bad(&format!(" ('{s}' is not a size in 1..={MAX_SIZE})"))),
            }
        };
        let arch = if name == "logistic" {
            Architecture::Logistic
        } else if let Some(rest) = name.strip_prefix("mlp-") {
            let hidden = rest.split('-').map(size).collect::<Result<Vec<_>>>()?;
            Architecture::Mlp { hidden }
        } else if let Some(rest) = name.strip_prefix("wrn-") {
            let (d, k) = rest.split_once('-').ok_or_else(|| bad(""))?;
            Architecture::WideResnet {
                depth: size(d)?,
                widen: size(k)?,
            }
        } else if let Some(rest) = name.strip_prefix("resnet") {
            let (d, suffix) = match rest.split_once('-') {
                Some((d, s)) => (d, Some(s)),
                None => (rest, None),
            };
            if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(""));
            }
            let depth = size(d)?;
            match (depth, suffix) {
                (18 | 34, None) => Architecture::ResnetCifar {
                    depth,
                    width: resnet_cifar::RESNET_BASE_WIDTH,
                },
                (18 | 34, Some("imagenet")) => Architecture::ResnetImagenet { depth },
                (50 | 152, None) => {
                    return Err(bad(&format!(
                        " (the bottleneck ImageNet ResNet-{depth} is not implemented; \
                         He et al.'s CIFAR ResNet of that depth is resnet{depth}-w16)"
                    )))
                }
                (_, None) => Architecture::ResnetSmall { depth, width: 16 },
                (_, Some(w)) => match w.strip_prefix('w') {
                    Some(w) if matches!(depth, 18 | 34) => Architecture::ResnetCifar {
                        depth,
                        width: size(w)?,
                    },
                    Some(w) => Architecture::ResnetSmall {
                        depth,
                        width: size(w)?,
                    },
                    None => return Err(bad("")),
                },
            }
        } else {
            return Err(bad(""));
        };
        arch.validate_for_key(key).map_err(|e| match e {
            ExperimentError::Config { key, message } => ExperimentError::Config {
                key,
                message: format!("{message}; expected one of: {ARCHITECTURE_NAMES}"),
            },
            other => other,
        })?;
        Ok(arch)
    }

    /// Checks the sizes (depth of the right form, widths positive).
    ///
    /// # Errors
    /// An [`ExperimentError::Config`] for the key `model` naming what is wrong.
    pub fn validate(&self) -> Result<()> {
        self.validate_for_key("model")
    }

    fn validate_for_key(&self, key: &str) -> Result<()> {
        let fail = |msg: String| {
            Err(ExperimentError::config(
                key,
                format!("{}: {msg}", self.slug()),
            ))
        };
        match self {
            Architecture::Logistic => Ok(()),
            Architecture::Mlp { hidden } => {
                if hidden.is_empty() || hidden.iter().any(|&h| h == 0 || h > MAX_MLP_WIDTH) {
                    return fail(format!(
                        "an MLP needs at least one hidden width, each in 1..={MAX_MLP_WIDTH}"
                    ));
                }
                Ok(())
            }
            Architecture::ResnetCifar { depth, width } => {
                if !matches!(depth, 18 | 34) {
                    return fail("ResNet depth must be 18 or 34 (basic blocks)".into());
                }
                if *width == 0 || *width > MAX_RESNET_WIDTH {
                    return fail(format!("ResNet width must be in 1..={MAX_RESNET_WIDTH}"));
                }
                Ok(())
            }
            Architecture::ResnetImagenet { depth } => {
                if matches!(depth, 18 | 34) {
                    Ok(())
                } else {
                    fail("ResNet depth must be 18 or 34 (basic blocks)".into())
                }
            }
            Architecture::WideResnet { depth, widen } => {
                if wide_resnet::blocks_per_group(*depth).is_none() || *depth > MAX_DEPTH {
                    return fail(format!(
                        "WRN depth must be 6n+4 with n ≥ 1 (10, 16, 22, 28, …) and at most {MAX_DEPTH}"
                    ));
                }
                if *widen == 0 || *widen > MAX_WIDEN {
                    return fail(format!("WRN widening factor must be in 1..={MAX_WIDEN}"));
                }
                Ok(())
            }
            Architecture::ResnetSmall { depth, width } => {
                if resnet_small::blocks_per_stage(*depth).is_none() || *depth > MAX_DEPTH {
                    return fail(format!(
                        "He et al.'s CIFAR ResNet has depth 6n+2 with n ≥ 1 (8, 14, 20, 32, …) \
                         and at most {MAX_DEPTH}; 18 and 34 are the kuangliu ResNets `resnet18`, `resnet34`"
                    ));
                }
                if *width == 0 || *width > MAX_RESNET_WIDTH {
                    return fail(format!("ResNet width must be in 1..={MAX_RESNET_WIDTH}"));
                }
                Ok(())
            }
        }
    }

    /// How the PyTorch reference model initialises its weights ([`init::InitScheme`]).
    #[must_use]
    pub fn init_scheme(&self) -> InitScheme {
        match self {
            Architecture::Logistic
            | Architecture::Mlp { .. }
            | Architecture::ResnetCifar { .. }
            | Architecture::ResnetSmall { .. } => InitScheme::Pytorch,
            Architecture::ResnetImagenet { .. } => InitScheme::Torchvision,
            Architecture::WideResnet { .. } => InitScheme::WideResnet,
        }
    }

    fn build(
        &self,
        input: (usize, usize, usize),
        classes: usize,
        vb: VarBuilder<'_>,
    ) -> Result<Box<dyn Network>> {
        self.validate()?;
        let flat = input.0 * input.1 * input.2;
        let c = input.0;
        Ok(match self {
            Architecture::Logistic => Box::new(mlp::Mlp::new(flat, &[], classes, vb)?),
            Architecture::Mlp { hidden } => Box::new(mlp::Mlp::new(flat, hidden, classes, vb)?),
            Architecture::ResnetCifar { depth, width } => {
                Box::new(ResNetCifar::kuangliu(c, *depth, *width, classes, vb)?)
            }
            Architecture::ResnetImagenet { depth: 18 } => {
                Box::new(ResNetImagenet::resnet18(c, classes, vb)?)
            }
            Architecture::ResnetImagenet { .. } => {
                Box::new(ResNetImagenet::resnet34(c, classes, vb)?)
            }
            Architecture::WideResnet { depth, widen } => {
                Box::new(WideResNet::new(c, *depth, *widen, classes, vb)?)
            }
            Architecture::ResnetSmall { depth, width } => {
                Box::new(resnet_small::resnet_small(c, *depth, *width, classes, vb)?)
            }
        })
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.slug())
    }
}

impl std::str::FromStr for Architecture {
    type Err = ExperimentError;

    /// [`Architecture::parse_for_key`] with the key `model`.
    fn from_str(s: &str) -> Result<Self> {
        Architecture::parse_for_key("model", s)
    }
}

impl TryFrom<String> for Architecture {
    type Error = ExperimentError;

    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<Architecture> for String {
    fn from(a: Architecture) -> String {
        a.slug()
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
        init::initialise_with(&model.variables(), seed, architecture.init_scheme())?;
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

    /// Logits (B, classes) in the model's dtype for images (B, C, H, W); a floating-point
    /// input of another dtype (f32 images into an f64 model) is converted first. `train`
    /// selects batch statistics in batch norm and updates the running statistics.
    ///
    /// # Errors
    /// A non-floating-point input, a shape that does not match [`Model::input`], or a
    /// candle error.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor> {
        if !xs.dtype().is_float() {
            return Err(ExperimentError::Other(format!(
                "model input must be floating point (f32/f64), got {:?}",
                xs.dtype()
            )));
        }
        let (c, h, w) = self.input;
        match xs.dims() {
            [_, ci, hi, wi] if (*ci, *hi, *wi) == (c, h, w) => {}
            dims => {
                return Err(ExperimentError::Other(format!(
                    "{} expects images of shape (B, {c}, {h}, {w}), got {dims:?}",
                    self.architecture
                )))
            }
        }
        if xs.dtype() == self.dtype {
            Ok(self.network.forward_t(xs, train)?)
        } else {
            Ok(self.network.forward_t(&xs.to_dtype(self.dtype)?, train)?)
        }
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
