//! The configuration of a training run ([`RunConfig`]), read from TOML, validated before
//! anything starts: a wrong value is an [`ExperimentError::Config`] naming the key and
//! the allowed range, and unknown keys are rejected.
//!
//! ```toml
//! epochs = 10
//! seed = 0
//! data = "digits"             # or a table: [data] kind = "cifar100", path = "…"
//! model = "mlp-64"              # logistic, mlp-W[-W…], resnet18, wrn-28-10, …
//!
//! [optimizer]
//! kind = "sgd"                  # sgd | shb | nshb
//!
//! [schedule]
//! learning_rate = 0.1           # a number, or a table with `kind` (constant, step, …)
//! batch_size = 32
//! ```
//!
//! Learning rate, batch size and momentum are [`ScheduleSpec`]s of the epoch (or come
//! from a [`Preset`]: the four methods of arXiv 2311.08745, spec §10.1, or Algorithm 6
//! of arXiv 2412.11501, spec §6.3); [`RunConfig::plan`] evaluates them for every epoch.

pub use super::schedule::{CodeVariant, Preset, Rule, ScheduleConfig, ScheduleSpec, Setting};
use crate::data::{Augmentation, DataSource};
use crate::measure::gradient_noise::Estimator;
use crate::models::Architecture;
use crate::optimizer::OptimizerKind;
use crate::{ExperimentError, Result};
use candle_core::DType;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::path::Path;

/// Everything that defines a training run (module docs for the TOML form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// The network by name (`mlp-64`, `resnet18`, `wrn-28-10`, …; see
    /// [`Architecture`]).
    pub model: Architecture,
    /// The data source: a `[data]` table (`kind = "cifar100"`, `path = "…"`; see
    /// [`DataSource`]) or, for compatibility, a string in the `--data` flag form
    /// (`"digits"`, `"cifar10:PATH"`, …). Default: the embedded digits.
    #[serde(default, deserialize_with = "data_from_str_or_table")]
    pub data: DataSource,
    /// Number of epochs M ≥ 1.
    pub epochs: usize,
    /// The seed of every random stream (initialisation, data order, augmentation, C²).
    #[serde(default)]
    pub seed: u64,
    /// `cpu`, `cuda` or `cuda:N`.
    #[serde(default = "default_device")]
    pub device: String,
    /// Floating-point type of weights and activations.
    #[serde(default)]
    pub dtype: Precision,
    /// Training augmentation: `false` (none), `true` (the authors' crop with padding 4,
    /// flip, rotation 15°), or a table `{ crop_padding, horizontal_flip,
    /// rotation_degrees, random_resized_crop }`.
    #[serde(default, deserialize_with = "augmentation_from_bool_or_table")]
    pub augmentation: Augmentation,
    /// The optimizer.
    #[serde(default)]
    pub optimizer: OptimizerConfig,
    /// η, b, β per epoch.
    pub schedule: ScheduleConfig,
    /// Test-set evaluation.
    #[serde(default)]
    pub evaluation: EvaluationConfig,
    /// Checkpoint cadence.
    #[serde(default)]
    pub checkpoint: CheckpointConfig,
    /// C² and the checkpoint-time measurements.
    #[serde(default)]
    pub measurements: MeasurementsConfig,
    /// Which C² and K enter δ.
    #[serde(default)]
    pub delta: DeltaConfig,
}

fn default_device() -> String {
    "cpu".into()
}

/// Floating-point type of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats (the default).
    #[default]
    F32,
    /// 64-bit floats.
    F64,
}

impl Precision {
    /// The candle dtype.
    #[must_use]
    pub fn dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::F64 => DType::F64,
        }
    }
}

/// `[optimizer]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizerConfig {
    /// `sgd`, `shb` or `nshb`.
    #[serde(default = "default_kind")]
    pub kind: OptimizerKind,
    /// Constant momentum β ∈ [0, 1) (or give `schedule.momentum`); required for SHB/NSHB
    /// unless a schedule or preset sets it.
    #[serde(default)]
    pub momentum: Option<f64>,
    /// Nesterov look-ahead (SHB only).
    #[serde(default)]
    pub nesterov: bool,
    /// Coupled weight decay λ ≥ 0 (never applied to batch-norm buffers).
    #[serde(default)]
    pub weight_decay: f64,
    /// SAM radius ρ ≥ 0 (0 = SAM off).
    #[serde(default)]
    pub sam_rho: f64,
    /// Explicit graduated optimization: K ≥ 1 Gaussian draws per step, the gradient
    /// averaged over w + δu (0 = off; δ per epoch from `schedule.smoothing_radius`;
    /// [`crate::optimizer::Smoothed`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub smoothing_samples: usize,
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

fn default_kind() -> OptimizerKind {
    OptimizerKind::Sgd
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self {
            kind: OptimizerKind::Sgd,
            momentum: None,
            nesterov: false,
            weight_decay: 0.0,
            sam_rho: 0.0,
            smoothing_samples: 0,
        }
    }
}

/// `[evaluation]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationConfig {
    /// Test batch size (default 100, as the authors).
    #[serde(default = "hundred")]
    pub batch_size: usize,
}

fn hundred() -> usize {
    100
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        Self { batch_size: 100 }
    }
}

/// `[checkpoint]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointConfig {
    /// Write a checkpoint every this many epochs (and after the last); ≥ 1.
    #[serde(default = "one")]
    pub every: usize,
}

fn one() -> usize {
    1
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        Self { every: 1 }
    }
}

/// C² estimator choice in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EstimatorChoice {
    /// Per-sample without batch norm, micro-batches with it ([`Estimator::auto`]).
    #[default]
    Auto,
    /// [`Estimator::PerSample`].
    PerSample,
    /// [`Estimator::MicroBatch`] with `c2_micro_batch`.
    MicroBatch,
}

/// `[measurements]`: C² every `c2_every` epochs, and the checkpoint-time measurements
/// (sharpness, λ_max, trace) every `every` epochs through a
/// [`Measurements`](super::run::Measurements) hook.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasurementsConfig {
    /// N of the fixed C² subset (default 256; with the micro-batch estimator rounded
    /// down to a multiple of the micro-batch size).
    #[serde(default = "c2_subset")]
    pub c2_subset: usize,
    /// Measure C² after every this many epochs (default 1; 0 = only at initialisation).
    #[serde(default = "one")]
    pub c2_every: usize,
    /// The C² estimator.
    #[serde(default)]
    pub c2_estimator: EstimatorChoice,
    /// Micro-batch size for the micro-batch estimator (default 16).
    #[serde(default = "micro_batch")]
    pub c2_micro_batch: usize,
    /// Run the measurement hook every this many epochs and after the last (0 = never).
    #[serde(default)]
    pub every: usize,
    /// Sharpness radius ρ (default 2e-4, spec §10.2).
    #[serde(default = "sharpness_rho")]
    pub sharpness_rho: f64,
    /// Training examples for sharpness (default 1024).
    #[serde(default = "sharpness_examples")]
    pub sharpness_examples: usize,
    /// Batch size m of the m-sharpness (default 128).
    #[serde(default = "sharpness_batch")]
    pub sharpness_batch: usize,
    /// Ascent steps (default 20).
    #[serde(default = "sharpness_steps")]
    pub sharpness_steps: usize,
    /// Adaptive sharpness (c = |w|) instead of plain (default false).
    #[serde(default)]
    pub sharpness_adaptive: bool,
    /// Measure the Hessian's top eigenvalue (default true).
    #[serde(default = "super::schedule::yes")]
    pub lambda_max: bool,
    /// Measure the Hessian trace by Hutchinson (default false).
    #[serde(default)]
    pub trace: bool,
}

fn c2_subset() -> usize {
    256
}
fn micro_batch() -> usize {
    Estimator::DEFAULT_MICRO_BATCH
}
fn sharpness_rho() -> f64 {
    2e-4
}
fn sharpness_examples() -> usize {
    1024
}
fn sharpness_batch() -> usize {
    128
}
fn sharpness_steps() -> usize {
    20
}

impl Default for MeasurementsConfig {
    fn default() -> Self {
        Self {
            c2_subset: c2_subset(),
            c2_every: 1,
            c2_estimator: EstimatorChoice::Auto,
            c2_micro_batch: micro_batch(),
            every: 0,
            sharpness_rho: sharpness_rho(),
            sharpness_examples: sharpness_examples(),
            sharpness_batch: sharpness_batch(),
            sharpness_steps: sharpness_steps(),
            sharpness_adaptive: false,
            lambda_max: true,
            trace: false,
        }
    }
}

/// Which C² (or K) enters δ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reference {
    /// Measured at initialisation (C² on the subset; K = ‖∇f‖ there). The default: C is
    /// a constant of the theory, so δ follows the schedule exactly.
    Initial,
    /// The latest measurement (this epoch's, when C² is measured every epoch).
    Current,
    /// A given number.
    Fixed(f64),
}

impl Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Reference::Initial => s.serialize_str("initial"),
            Reference::Current => s.serialize_str("current"),
            Reference::Fixed(v) => s.serialize_f64(*v),
        }
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Reference;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"initial\", \"current\" or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Reference, E> {
                match v {
                    "initial" => Ok(Reference::Initial),
                    "current" => Ok(Reference::Current),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Reference, E> {
                Ok(Reference::Fixed(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Reference, E> {
                Ok(Reference::Fixed(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Reference, E> {
                Ok(Reference::Fixed(v as f64))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `[delta]`: the C² and K of δ = η√(C²/b + …) in the records.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeltaConfig {
    /// C² (default "initial").
    #[serde(default = "initial")]
    pub c2: Reference,
    /// K, the gradient-norm bound of the SHB/NSHB forms (default "initial": ‖∇f‖ on
    /// the C² subset at initialisation).
    #[serde(default = "initial")]
    pub k: Reference,
}

fn initial() -> Reference {
    Reference::Initial
}

impl Default for DeltaConfig {
    fn default() -> Self {
        Self {
            c2: Reference::Initial,
            k: Reference::Initial,
        }
    }
}

fn augmentation_from_bool_or_table<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Augmentation, D::Error> {
    /// The table form, with defaults and unknown keys rejected.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Table {
        #[serde(default)]
        random_resized_crop: Option<crate::data::RandomResizedCrop>,
        #[serde(default)]
        crop_padding: usize,
        #[serde(default)]
        horizontal_flip: bool,
        #[serde(default)]
        rotation_degrees: f32,
    }
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Augmentation;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(
                "true, false or a table { crop_padding, horizontal_flip, rotation_degrees, random_resized_crop }",
            )
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Augmentation, E> {
            Ok(if v {
                Augmentation::cifar()
            } else {
                Augmentation::none()
            })
        }
        fn visit_map<A: MapAccess<'de>>(
            self,
            map: A,
        ) -> std::result::Result<Augmentation, A::Error> {
            let t = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
            Ok(Augmentation {
                random_resized_crop: t.random_resized_crop,
                crop_padding: t.crop_padding,
                horizontal_flip: t.horizontal_flip,
                rotation_degrees: t.rotation_degrees,
            })
        }
    }
    deserializer.deserialize_any(V)
}

/// The prefix of a `data` string that does not parse, so that [`RunConfig::from_toml`]
/// can name the key.
const DATA_ERROR_PREFIX: &str = "data: ";

/// `data` as a `--data`-style string or a `[data]` table.
fn data_from_str_or_table<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<DataSource, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = DataSource;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(
                "a data source string (\"digits\", \"cifar10:PATH\", …) or a table with `kind`",
            )
        }
        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<DataSource, E> {
            v.parse::<DataSource>().map_err(|e| match e {
                ExperimentError::Config { message, .. } => {
                    E::custom(format!("{DATA_ERROR_PREFIX}{message}"))
                }
                other => E::custom(format!("{DATA_ERROR_PREFIX}{other}")),
            })
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<DataSource, A::Error> {
            DataSource::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_any(V)
}

/// "must be {allowed}, got {value}" for `key`.
pub(super) fn range_error(key: &str, allowed: &str, value: impl fmt::Display) -> ExperimentError {
    ExperimentError::config(key, format!("must be {allowed}, got {value}"))
}

impl RunConfig {
    /// The default run: an MLP with one hidden layer of 64 on the embedded digits,
    /// plain SGD with η = 0.1 and b = 32 for 10 epochs, seed 0, on the CPU.
    #[must_use]
    pub fn digits_default() -> Self {
        Self {
            model: Architecture::Mlp { hidden: vec![64] },
            data: DataSource::Digits,
            epochs: 10,
            seed: 0,
            device: default_device(),
            dtype: Precision::F32,
            augmentation: Augmentation::none(),
            optimizer: OptimizerConfig::default(),
            schedule: ScheduleConfig {
                learning_rate: Some(ScheduleSpec::constant(0.1)),
                batch_size: Some(ScheduleSpec::constant(32.0)),
                momentum: None,
                preset: None,
                smoothing_radius: None,
            },
            evaluation: EvaluationConfig::default(),
            checkpoint: CheckpointConfig::default(),
            measurements: MeasurementsConfig::default(),
            delta: DeltaConfig::default(),
        }
    }

    /// Parses a TOML document.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] with the parser's message (line, column, the unknown
    /// or mistyped key); the key is `origin` (the file name) when the parser names none.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().to_string();
            let key = unknown_field(&message).unwrap_or_else(|| origin.to_string());
            ExperimentError::config(key, e.to_string().trim_end().to_string())
        })
    }

    /// Reads and parses a TOML file.
    ///
    /// # Errors
    /// [`ExperimentError::Io`], or as [`RunConfig::from_toml`].
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ExperimentError::io(path, e))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// The config as TOML.
    ///
    /// # Errors
    /// Only if serialisation fails (it does not for valid configs).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| ExperimentError::Other(e.to_string()))
    }

    /// The candle dtype.
    #[must_use]
    pub fn dtype(&self) -> DType {
        self.dtype.dtype()
    }

    /// Checks every value (and builds the per-epoch plan) before anything starts.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] naming the first bad key and its allowed range.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(range_error("epochs", "≥ 1", self.epochs));
        }
        crate::device::device(&self.device)?;
        self.data.validate()?;
        self.validate_optimizer()?;
        self.validate_sections()?;
        self.plan()?;
        Ok(())
    }

    fn validate_optimizer(&self) -> Result<()> {
        let o = &self.optimizer;
        if let Some(beta) = o.momentum {
            if !(0.0..1.0).contains(&beta) {
                return Err(range_error("optimizer.momentum", "in [0, 1)", beta));
            }
            if o.kind == OptimizerKind::Sgd && beta > 0.0 {
                return Err(ExperimentError::config(
                    "optimizer.momentum",
                    format!(
                        "plain SGD has no momentum, got {beta} (use kind = \"shb\" or \"nshb\")"
                    ),
                ));
            }
        }
        if o.nesterov && o.kind != OptimizerKind::Shb {
            return Err(ExperimentError::config(
                "optimizer.nesterov",
                format!(
                    "Nesterov momentum needs kind = \"shb\", not \"{}\"",
                    o.kind.name()
                ),
            ));
        }
        if !(o.weight_decay.is_finite() && o.weight_decay >= 0.0) {
            return Err(range_error(
                "optimizer.weight_decay",
                "finite and ≥ 0",
                o.weight_decay,
            ));
        }
        if !(o.sam_rho.is_finite() && o.sam_rho >= 0.0) {
            return Err(range_error(
                "optimizer.sam_rho",
                "finite and ≥ 0 (0 = off)",
                o.sam_rho,
            ));
        }
        match (o.smoothing_samples, &self.schedule.smoothing_radius) {
            (0, Some(_)) => {
                return Err(ExperimentError::config(
                    "schedule.smoothing_radius",
                    "needs optimizer.smoothing_samples ≥ 1 (the Gaussian draws per step)",
                ))
            }
            (k, None) if k > 0 => {
                return Err(ExperimentError::config(
                    "optimizer.smoothing_samples",
                    format!("{k} draws per step need schedule.smoothing_radius (δ per epoch)"),
                ))
            }
            (k, _) if k > 0 && o.sam_rho > 0.0 => {
                return Err(ExperimentError::config(
                    "optimizer.smoothing_samples",
                    "explicit graduated optimization cannot be combined with SAM (optimizer.sam_rho > 0)",
                ))
            }
            _ => {}
        }
        Ok(())
    }

    fn validate_sections(&self) -> Result<()> {
        if self.evaluation.batch_size == 0 {
            return Err(range_error("evaluation.batch_size", "≥ 1", 0));
        }
        if self.checkpoint.every == 0 {
            return Err(range_error("checkpoint.every", "≥ 1", 0));
        }
        let m = &self.measurements;
        if m.c2_subset < 2 {
            return Err(range_error("measurements.c2_subset", "≥ 2", m.c2_subset));
        }
        if m.c2_estimator == EstimatorChoice::MicroBatch
            && (m.c2_micro_batch == 0
                || m.c2_micro_batch >= m.c2_subset
                || m.c2_subset % m.c2_micro_batch != 0)
        {
            return Err(range_error(
                "measurements.c2_micro_batch",
                &format!(
                    "≥ 1, smaller than measurements.c2_subset = {} and a divisor of it",
                    m.c2_subset
                ),
                m.c2_micro_batch,
            ));
        }
        if !(m.sharpness_rho.is_finite() && m.sharpness_rho > 0.0) {
            return Err(range_error(
                "measurements.sharpness_rho",
                "finite and > 0",
                m.sharpness_rho,
            ));
        }
        for (key, v) in [
            ("measurements.sharpness_examples", m.sharpness_examples),
            ("measurements.sharpness_batch", m.sharpness_batch),
            ("measurements.sharpness_steps", m.sharpness_steps),
        ] {
            if v == 0 {
                return Err(range_error(key, "≥ 1", v));
            }
        }
        for (key, r) in [("delta.c2", self.delta.c2), ("delta.k", self.delta.k)] {
            match r {
                Reference::Fixed(v) if !(v.is_finite() && v >= 0.0) => {
                    return Err(range_error(
                        key,
                        "\"initial\", \"current\" or a finite number ≥ 0",
                        v,
                    ));
                }
                Reference::Current if m.c2_every == 0 => {
                    return Err(ExperimentError::config(
                        key,
                        "\"current\" needs C² measurements during the run (measurements.c2_every ≥ 1)",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// True if C² is measured at all (at initialisation at least).
    #[must_use]
    pub fn measures_c2(&self) -> bool {
        self.measurements.c2_every > 0
            || matches!(self.delta.c2, Reference::Initial)
            || matches!(self.delta.k, Reference::Initial)
    }

    /// True if C² is measured after epoch `epoch` (0-based).
    #[must_use]
    pub fn c2_after(&self, epoch: usize) -> bool {
        let every = self.measurements.c2_every;
        every > 0 && ((epoch + 1) % every == 0 || epoch + 1 == self.epochs)
    }

    /// True if the measurement hook runs after epoch `epoch`.
    #[must_use]
    pub fn measure_after(&self, epoch: usize) -> bool {
        let every = self.measurements.every;
        every > 0 && ((epoch + 1) % every == 0 || epoch + 1 == self.epochs)
    }

    /// True if a checkpoint is written after epoch `epoch`.
    #[must_use]
    pub fn checkpoint_after(&self, epoch: usize) -> bool {
        (epoch + 1) % self.checkpoint.every.max(1) == 0 || epoch + 1 == self.epochs
    }
}

/// The key named by a serde message "unknown field `x`, expected …" or "missing field
/// `x`", or `data` for a data string that does not parse.
fn unknown_field(message: &str) -> Option<String> {
    if message.starts_with(DATA_ERROR_PREFIX) {
        return Some("data".into());
    }
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    rest.split('`').next().map(str::to_string)
}
