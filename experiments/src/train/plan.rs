//! The per-epoch settings of a run: η, b, β, the optimizer and momentum resets, as
//! computed once from the config ([`super::RunConfig::plan`]) before training starts.

use super::config::{range_error, RunConfig};
use super::schedule::{numerics_at, CodeVariant, Preset, Rule};
use crate::optimizer::OptimizerKind;
use crate::{ExperimentError, Result};
use numerics::schedule::{
    Algorithm6, Constant, NoiseConstants, PaperMethod, Piecewise, Schedule, StagePlan,
};
use serde::{Deserialize, Serialize};

/// What epoch `epoch` trains with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochPlan {
    /// Epoch, 0-based.
    pub epoch: usize,
    /// η.
    pub learning_rate: f64,
    /// b given to the loader: ⌊b⌋ of the schedule's value.
    pub batch_size: usize,
    /// The schedule's b before truncation.
    pub batch_size_value: f64,
    /// β.
    pub momentum: f64,
    /// The momentum method.
    pub kind: OptimizerKind,
    /// Whether the momentum buffers are reset to 0 before this epoch (Algorithm 6 as
    /// the authors' code runs it re-creates the optimizer every epoch).
    pub reset_momentum: bool,
    /// δ of explicit graduated optimization (0: plain gradients).
    #[serde(default)]
    pub smoothing_radius: f64,
}

impl EpochPlan {
    /// ⌈N/b⌉: parameter updates in this epoch on N training examples (the last batch
    /// is smaller when b ∤ N).
    #[must_use]
    pub fn updates(&self, n: usize) -> usize {
        n.div_ceil(self.batch_size.max(1))
    }
}

impl RunConfig {
    /// (η, b, β, optimizer, momentum reset) for every epoch 0..M, from the schedules or
    /// the preset, each value checked.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] naming the schedule key: a missing or conflicting
    /// schedule, or a value out of range at some epoch (η ≥ 0, b ≥ 1, β ∈ [0, 1), β = 0
    /// for SGD).
    pub fn plan(&self) -> Result<Vec<EpochPlan>> {
        let s = &self.schedule;
        let m = self.epochs;
        let kind = self.optimizer.kind;
        let plans = match &s.preset {
            Some(Preset::Algorithm6 { .. }) => {
                for (key, present) in [
                    ("schedule.learning_rate", s.learning_rate.is_some()),
                    ("schedule.batch_size", s.batch_size.is_some()),
                    ("schedule.momentum", s.momentum.is_some()),
                    ("optimizer.momentum", self.optimizer.momentum.is_some()),
                ] {
                    if present {
                        return Err(ExperimentError::config(
                            key,
                            "cannot be combined with schedule.preset = algorithm-6 (it sets η, b and β)",
                        ));
                    }
                }
                self.algorithm6_plan()?
            }
            preset => {
                let (lr, batch): (Box<dyn Schedule>, Box<dyn Schedule>) = match preset {
                    Some(Preset::PaperMethod {
                        method,
                        setting,
                        stage_epochs,
                        batch_offset,
                    }) => {
                        for (key, present) in [
                            ("schedule.learning_rate", s.learning_rate.is_some()),
                            ("schedule.batch_size", s.batch_size.is_some()),
                        ] {
                            if present {
                                return Err(ExperimentError::config(
                                    key,
                                    "cannot be combined with schedule.preset = paper-method (it sets η and b)",
                                ));
                            }
                        }
                        let key = "schedule.preset";
                        let method = PaperMethod::from_number(*method).map_err(numerics_at(key))?;
                        let plan = StagePlan::paper(setting.paper(), method);
                        if *batch_offset >= *stage_epochs {
                            return Err(range_error(
                                "schedule.preset.batch_offset",
                                &format!("smaller than stage_epochs = {stage_epochs}"),
                                batch_offset,
                            ));
                        }
                        let batches = plan.batch_sizes().iter().map(|&b| b as f64).collect();
                        (
                            Box::new(
                                Piecewise::uniform(
                                    plan.learning_rates().to_vec(),
                                    *stage_epochs,
                                    0,
                                )
                                .map_err(numerics_at("schedule.preset.stage_epochs"))?,
                            ),
                            Box::new(
                                Piecewise::uniform(batches, *stage_epochs, *batch_offset)
                                    .map_err(numerics_at("schedule.preset.stage_epochs"))?,
                            ),
                        )
                    }
                    _ => {
                        let lr = s.learning_rate.as_ref().ok_or_else(|| {
                            ExperimentError::config(
                                "schedule.learning_rate",
                                "missing: give a learning rate (a number or a schedule table) or schedule.preset",
                            )
                        })?;
                        let b = s.batch_size.as_ref().ok_or_else(|| {
                            ExperimentError::config(
                                "schedule.batch_size",
                                "missing: give a batch size (a number or a schedule table) or schedule.preset",
                            )
                        })?;
                        (
                            lr.build("schedule.learning_rate", m)?,
                            b.build("schedule.batch_size", m)?,
                        )
                    }
                };
                let momentum: Box<dyn Schedule> = match (&s.momentum, self.optimizer.momentum) {
                    (Some(_), Some(_)) => {
                        return Err(ExperimentError::config(
                            "schedule.momentum",
                            "give either optimizer.momentum or schedule.momentum, not both",
                        ))
                    }
                    (Some(spec), None) => spec.build("schedule.momentum", m)?,
                    (None, Some(beta)) => Box::new(Constant(beta)),
                    (None, None) if kind == OptimizerKind::Sgd => Box::new(Constant(0.0)),
                    (None, None) => {
                        return Err(ExperimentError::config(
                            "optimizer.momentum",
                            format!("missing: {} needs a momentum β in [0, 1)", kind.name()),
                        ))
                    }
                };
                (0..m)
                    .map(|e| EpochPlan {
                        epoch: e,
                        learning_rate: lr.at(e),
                        batch_size_value: batch.at(e),
                        batch_size: 0,
                        momentum: momentum.at(e),
                        kind,
                        reset_momentum: false,
                        smoothing_radius: 0.0,
                    })
                    .collect()
            }
        };
        let mut plans: Vec<EpochPlan> = plans;
        if let Some(spec) = &s.smoothing_radius {
            let radius = spec.build("schedule.smoothing_radius", m)?;
            for p in &mut plans {
                p.smoothing_radius = radius.at(p.epoch);
            }
        }
        plans.into_iter().map(|p| self.check_epoch(p)).collect()
    }

    fn algorithm6_plan(&self) -> Result<Vec<EpochPlan>> {
        let key = "schedule.preset";
        let Some(Preset::Algorithm6 {
            rule,
            variant,
            power,
            c2,
            k,
            learning_rate,
            batch_size,
            momentum,
            balance,
            integer_batches,
            momentum_reset,
        }) = &self.schedule.preset
        else {
            return Err(ExperimentError::config(key, "not an algorithm-6 preset"));
        };
        let noise = NoiseConstants::new(*c2, *k).map_err(numerics_at("schedule.preset.c2"))?;
        let rule = match rule {
            Rule::LrBatch => numerics::schedule::UpdateRule::LearningRateBatch,
            Rule::BetaBatch => numerics::schedule::UpdateRule::MomentumBatch,
            Rule::LrBeta => numerics::schedule::UpdateRule::LearningRateMomentum,
        };
        let variant = match variant {
            CodeVariant::Intended => numerics::schedule::Variant::Intended,
            CodeVariant::IgoAaai25 => numerics::schedule::Variant::IgoAaai25,
            CodeVariant::SigmaNiceMomentum => numerics::schedule::Variant::MomentumRepo,
        };
        let optimizer = self.optimizer.kind.noise_optimizer();
        let mut alg = match balance {
            Some(bal) => Algorithm6::with_custom_balance(
                optimizer,
                noise,
                rule,
                variant,
                self.epochs,
                *power,
                *learning_rate,
                *batch_size,
                *momentum,
                *bal,
            ),
            None => Algorithm6::new(
                optimizer,
                noise,
                rule,
                variant,
                self.epochs,
                *power,
                *learning_rate,
                *batch_size,
                *momentum,
            ),
        }
        .map_err(numerics_at(key))?
        .with_integer_batches(*integer_batches);
        if let Some(reset) = momentum_reset {
            alg = alg.with_momentum_reset(*reset);
        }
        let trajectory = alg.run();
        if let Some(halt) = trajectory.halt {
            let halted_at = trajectory.epochs.len();
            if halted_at < self.epochs {
                return Err(ExperimentError::config(
                    key,
                    format!(
                        "Algorithm 6 cannot continue: {halt} (the run has {} epochs)",
                        self.epochs
                    ),
                ));
            }
        }
        Ok(trajectory
            .epochs
            .iter()
            .take(self.epochs)
            .map(|s| EpochPlan {
                epoch: s.epoch,
                learning_rate: s.run_learning_rate,
                batch_size_value: s.loader_batch_size as f64,
                batch_size: 0,
                momentum: s.run_momentum,
                kind: OptimizerKind::from_noise_optimizer(s.run_optimizer),
                reset_momentum: s.momentum_reset,
                smoothing_radius: 0.0,
            })
            .collect())
    }

    fn check_epoch(&self, mut p: EpochPlan) -> Result<EpochPlan> {
        let e = p.epoch;
        if !(p.learning_rate.is_finite() && p.learning_rate >= 0.0) {
            return Err(range_error(
                "schedule.learning_rate",
                &format!("finite and ≥ 0 at every epoch (epoch {e})"),
                p.learning_rate,
            ));
        }
        let b = p.batch_size_value.trunc();
        if !(1.0..=1e9).contains(&b) {
            return Err(range_error(
                "schedule.batch_size",
                &format!("≥ 1 at every epoch (epoch {e})"),
                p.batch_size_value,
            ));
        }
        p.batch_size = b as usize;
        if !(0.0..1.0).contains(&p.momentum) {
            return Err(range_error(
                "schedule.momentum",
                &format!("in [0, 1) at every epoch (epoch {e})"),
                p.momentum,
            ));
        }
        if !(p.smoothing_radius.is_finite() && p.smoothing_radius >= 0.0) {
            return Err(range_error(
                "schedule.smoothing_radius",
                &format!("finite and ≥ 0 at every epoch (epoch {e})"),
                p.smoothing_radius,
            ));
        }
        if p.kind == OptimizerKind::Sgd && p.momentum > 0.0 {
            return Err(ExperimentError::config(
                "schedule.momentum",
                format!("plain SGD has no momentum, got {} at epoch {e}", p.momentum),
            ));
        }
        Ok(p)
    }
}
