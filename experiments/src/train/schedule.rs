//! The schedule section of a run config: η, b and β as [`ScheduleSpec`]s of the epoch,
//! each built on `numerics::schedule` (one implementation), or a [`Preset`] — the four
//! methods of arXiv 2311.08745 (spec §10.1) or Algorithm 6 of arXiv 2412.11501
//! (spec §6.3).

use crate::{ExperimentError, Result};
use numerics::schedule::{
    Constant, Cosine, Exponential, MultiplicativeGrowth, PaperSetting, Piecewise, Polynomial,
    PolynomialBatchGrowth, Schedule, StagePlan, Step,
};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// `[schedule]`: either `learning_rate` and `batch_size` (and optionally `momentum`)
/// schedules, or a `preset`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// η per epoch.
    #[serde(
        default,
        deserialize_with = "spec_from_number_or_table",
        skip_serializing_if = "Option::is_none"
    )]
    pub learning_rate: Option<ScheduleSpec>,
    /// b per epoch (truncated to an integer, as Python's `int(b)`).
    #[serde(
        default,
        deserialize_with = "spec_from_number_or_table",
        skip_serializing_if = "Option::is_none"
    )]
    pub batch_size: Option<ScheduleSpec>,
    /// β per epoch (default: `optimizer.momentum`, else 0).
    #[serde(
        default,
        deserialize_with = "spec_from_number_or_table",
        skip_serializing_if = "Option::is_none"
    )]
    pub momentum: Option<ScheduleSpec>,
    /// A paper method or Algorithm 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// δ per epoch of explicit graduated optimization (the standard deviation of the
    /// Gaussian weight noise; with `optimizer.smoothing_samples`).
    #[serde(
        default,
        deserialize_with = "spec_from_number_or_table",
        skip_serializing_if = "Option::is_none"
    )]
    pub smoothing_radius: Option<ScheduleSpec>,
}

/// A value per epoch k, built on `numerics::schedule` (one implementation). In TOML
/// either a plain number (constant) or a table with `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ScheduleSpec {
    /// v_k = value.
    Constant {
        /// The value.
        value: f64,
    },
    /// PyTorch `StepLR`: v_k = initial·gamma^⌊k/every⌋.
    Step {
        /// v₀.
        initial: f64,
        /// Factor per step.
        gamma: f64,
        /// Epochs between steps.
        every: usize,
    },
    /// PyTorch `PolynomialLR`: v_k = initial·(1 − min(k, T)/T)^power, T = `total`
    /// (default: the run's epochs).
    Polynomial {
        /// v₀.
        initial: f64,
        /// p > 0.
        power: f64,
        /// T (default: epochs).
        #[serde(default)]
        total: Option<usize>,
    },
    /// PyTorch `CosineAnnealingLR` with T_max = `t_max` (default: epochs).
    Cosine {
        /// v₀.
        initial: f64,
        /// η_min.
        #[serde(default)]
        minimum: f64,
        /// T_max (default: epochs).
        #[serde(default)]
        t_max: Option<usize>,
    },
    /// PyTorch `ExponentialLR`: v_k = initial·gamma^k.
    Exponential {
        /// v₀.
        initial: f64,
        /// γ.
        gamma: f64,
    },
    /// Equal stages: `values[i]` for epochs [i·L + o, (i+1)·L + o) (the first stage is
    /// L + o long), L = `stage_epochs`, o = `offset`.
    Stages {
        /// Per-stage values.
        values: Vec<f64>,
        /// L ≥ 1.
        stage_epochs: usize,
        /// o (epochs by which the later stages start late).
        #[serde(default)]
        offset: usize,
    },
    /// `values[i]` from epoch `starts[i−1]` on (stage 0 from epoch 0).
    Piecewise {
        /// Per-stage values.
        values: Vec<f64>,
        /// First epochs of stages 1, 2, … (strictly increasing, positive).
        starts: Vec<usize>,
    },
    /// b ← int(factor·b) every `every` epochs from epoch every + offset (the paper's
    /// batch growth; `int_cast` truncates like Python's `int`).
    Growth {
        /// b₀.
        initial: f64,
        /// c.
        factor: f64,
        /// Epochs between growth steps.
        every: usize,
        /// First growth at every + offset.
        #[serde(default)]
        offset: usize,
        /// Truncate after each step.
        #[serde(default = "yes")]
        int_cast: bool,
    },
    /// The AAAI code's `batch_poly`: b_m = b₀((M + 1)/(M + 1 − m))^{p·balance}.
    PolynomialGrowth {
        /// b₀.
        initial: f64,
        /// p.
        power: f64,
        /// The exponent multiplier.
        balance: f64,
        /// M (default: epochs).
        #[serde(default)]
        total: Option<usize>,
    },
}

/// serde default `true`.
pub(super) fn yes() -> bool {
    true
}

/// A numerics error while building a schedule, as a config error for `key`.
pub(super) fn numerics_at(key: &str) -> impl Fn(numerics::NumericsError) -> ExperimentError + '_ {
    move |e| ExperimentError::config(key, e.to_string())
}

impl ScheduleSpec {
    /// A constant.
    #[must_use]
    pub fn constant(value: f64) -> Self {
        ScheduleSpec::Constant { value }
    }

    /// The `numerics` schedule for a run of `epochs` epochs.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] for `key` with the numerics validation message.
    pub fn build(&self, key: &str, epochs: usize) -> Result<Box<dyn Schedule>> {
        let at = numerics_at(key);
        Ok(match self {
            ScheduleSpec::Constant { value } => {
                if !value.is_finite() {
                    return Err(ExperimentError::config(
                        key,
                        format!("must be finite, got {value}"),
                    ));
                }
                Box::new(Constant(*value))
            }
            ScheduleSpec::Step {
                initial,
                gamma,
                every,
            } => Box::new(Step::new(*initial, *gamma, *every).map_err(at)?),
            ScheduleSpec::Polynomial {
                initial,
                power,
                total,
            } => Box::new(Polynomial::new(*initial, total.unwrap_or(epochs), *power).map_err(at)?),
            ScheduleSpec::Cosine {
                initial,
                minimum,
                t_max,
            } => Box::new(Cosine::new(*initial, *minimum, t_max.unwrap_or(epochs)).map_err(at)?),
            ScheduleSpec::Exponential { initial, gamma } => {
                Box::new(Exponential::new(*initial, *gamma).map_err(at)?)
            }
            ScheduleSpec::Stages {
                values,
                stage_epochs,
                offset,
            } => Box::new(Piecewise::uniform(values.clone(), *stage_epochs, *offset).map_err(at)?),
            ScheduleSpec::Piecewise { values, starts } => {
                Box::new(Piecewise::new(values.clone(), starts.clone()).map_err(at)?)
            }
            ScheduleSpec::Growth {
                initial,
                factor,
                every,
                offset,
                int_cast,
            } => Box::new(
                MultiplicativeGrowth::new(*initial, *factor, *every, *offset, *int_cast)
                    .map_err(at)?,
            ),
            ScheduleSpec::PolynomialGrowth {
                initial,
                power,
                balance,
                total,
            } => Box::new(
                PolynomialBatchGrowth::new(*initial, total.unwrap_or(epochs), *power, *balance)
                    .map_err(at)?,
            ),
        })
    }
}

impl<'de> Deserialize<'de> for ScheduleSpecOrNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScheduleSpecOrNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a table with `kind`")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
                Ok(ScheduleSpecOrNumber(ScheduleSpec::Constant { value: v }))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
                Ok(ScheduleSpecOrNumber(ScheduleSpec::Constant {
                    value: v as f64,
                }))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
                Ok(ScheduleSpecOrNumber(ScheduleSpec::Constant {
                    value: v as f64,
                }))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                ScheduleSpec::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ScheduleSpecOrNumber)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A [`ScheduleSpec`] that may be written as a plain number.
struct ScheduleSpecOrNumber(ScheduleSpec);

/// Deserialises `Option<ScheduleSpec>` from a number or a table.
fn spec_from_number_or_table<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<ScheduleSpec>, D::Error> {
    Option::<ScheduleSpecOrNumber>::deserialize(deserializer).map(|o| o.map(|s| s.0))
}

/// A preset schedule: `kind = "paper-method"` or `kind = "algorithm-6"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Preset {
    /// Method 1–4 of arXiv 2311.08745 (spec §10.1): the paper's per-stage (η, b) lists,
    /// 5 stages of `stage_epochs` epochs (40 in the paper; fewer to scale a run down).
    /// Plain SGD; each stage divides δ = ηC/√b by √2.
    PaperMethod {
        /// 1: constant; 2: η/√2 per stage; 3: 2b per stage; 4: (√3/2)η and 1.5b.
        method: u8,
        /// Whose lists (the b lists differ; default ResNet18/CIFAR-100).
        #[serde(default = "default_setting")]
        setting: Setting,
        /// Epochs per stage (default 40).
        #[serde(default = "forty")]
        stage_epochs: usize,
        /// The authors' code changes b one epoch after η: 1 reproduces it (default 0).
        #[serde(default)]
        batch_offset: usize,
    },
    /// Algorithm 6 of arXiv 2412.11501 (spec §6.3): (η, b, β) chosen after every epoch
    /// so that δ_{m+1} = γ_m·δ_m, γ_m = ((M − m)/(M − m + 1))^p, M = the run's epochs,
    /// for `optimizer.kind`.
    #[serde(rename = "algorithm-6")]
    Algorithm6 {
        /// `lr-batch`, `beta-batch` or `lr-beta`.
        rule: Rule,
        /// `intended` (default), `igo-aaai25` or `sigma-nice-momentum`.
        #[serde(default = "default_variant")]
        variant: CodeVariant,
        /// p > 0 (default 0.9).
        #[serde(default = "default_power")]
        power: f64,
        /// C² of the δ formula.
        c2: f64,
        /// K of the δ formula.
        k: f64,
        /// η₀.
        learning_rate: f64,
        /// b₀.
        batch_size: f64,
        /// β₀ (ignored for SGD).
        #[serde(default)]
        momentum: f64,
        /// Batch-growth balance (default: the authors' table for b₀).
        #[serde(default)]
        balance: Option<f64>,
        /// Intended variant: use ⌊b⌋ in the δ formulas.
        #[serde(default)]
        integer_batches: bool,
        /// Reset the momentum buffer every epoch (default: on for code variants).
        #[serde(default)]
        momentum_reset: Option<bool>,
    },
}

fn forty() -> usize {
    StagePlan::STAGE_EPOCHS
}

fn default_power() -> f64 {
    0.9
}

fn default_setting() -> Setting {
    Setting::Resnet18Cifar100
}

fn default_variant() -> CodeVariant {
    CodeVariant::Intended
}

/// Whose per-stage lists a paper method uses (spec §10.1 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Setting {
    /// ResNet18 / CIFAR-100 (Fig. 4).
    Resnet18Cifar100,
    /// WideResNet-28-10 / CIFAR-100 (Fig. 5).
    #[serde(rename = "wrn28-10-cifar100")]
    Wrn28x10Cifar100,
    /// ResNet34 / ImageNet (Fig. 2).
    Resnet34Imagenet,
}

impl Setting {
    pub(super) fn paper(self) -> PaperSetting {
        match self {
            Setting::Resnet18Cifar100 => PaperSetting::Resnet18Cifar100,
            Setting::Wrn28x10Cifar100 => PaperSetting::WideResnet28x10Cifar100,
            Setting::Resnet34Imagenet => PaperSetting::Resnet34Imagenet,
        }
    }
}

/// Algorithm 6's update rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// b grows polynomially, η solved.
    LrBatch,
    /// b grows polynomially, β solved.
    BetaBatch,
    /// η ← η·γ^{1/2}, β solved.
    LrBeta,
}

/// Algorithm 6's intended rules or a code-faithful variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodeVariant {
    /// Solve δ_{m+1} = γ_mδ_m exactly.
    Intended,
    /// iiduka-researches/igo-aaai25 `main.py`.
    IgoAaai25,
    /// naoki-sato3/sigma-nice-momentum `main.py`.
    SigmaNiceMomentum,
}
