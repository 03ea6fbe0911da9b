//! The training loop's checkpoint-time measurements ([`train::Measurements`]) from the
//! run's `[measurements]` settings: worst-case ℓ∞ sharpness ([`super::sharpness`],
//! spec §10.2: ρ = 2e−4, the first 1024 training examples in batches of 128, 20 ascent
//! steps), λ_max by Lanczos on exact Hessian-vector products and, if asked, the
//! Hutchinson trace ([`super::hessian`]), all on the same fixed examples.
//!
//! The values go into the epoch record's `measurements` under the keys of
//! [`MeasureHook`].

use super::fixed_batches;
use super::hessian::{hessian_spectrum, HessianOptions};
use super::sharpness::{worst_case_sharpness, SharpnessOptions};
use crate::train::{self, MeasureContext};
use crate::Result;
use std::collections::BTreeMap;

/// Record key of the worst-case sharpness (mean over batches of worst − clean loss).
pub const SHARPNESS: &str = "sharpness";
/// Record key of the mean increase in classification error at the worst point.
pub const SHARPNESS_ERROR_INCREASE: &str = "sharpness_error_increase";
/// Record key of the clean loss of the sharpness batches.
pub const CLEAN_LOSS: &str = "sharpness_clean_loss";
/// Record key of the Hessian's top eigenvalue.
pub const LAMBDA_MAX: &str = "lambda_max";
/// Record key of the Lanczos residual ‖Hu − λu‖ of λ_max.
pub const LAMBDA_MAX_RESIDUAL: &str = "lambda_max_residual";
/// Record key of the Hutchinson trace estimate.
pub const TRACE: &str = "trace";
/// Record key of the trace's standard error.
pub const TRACE_STD_ERROR: &str = "trace_std_error";

/// Measures sharpness, λ_max and (if `measurements.trace`) the trace at the epochs the
/// run's `measurements.every` selects. The Hessian's random streams (Lanczos start,
/// probes) come from the run's seed.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeasureHook {
    /// Most Lanczos steps for λ_max (default 30 when 0).
    pub lanczos_steps: usize,
    /// Hutchinson probes for the trace (default 32 when 0).
    pub trace_probes: usize,
}

impl MeasureHook {
    /// The hook with its defaults (30 Lanczos steps, 32 probes).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl train::Measurements for MeasureHook {
    fn measure(&mut self, context: &MeasureContext<'_>) -> Result<BTreeMap<String, f64>> {
        let c = context.config;
        let model = context.model;
        let batches = fixed_batches(
            &context.split.train,
            &context.split.normalization,
            c.sharpness_examples,
            c.sharpness_batch,
            model.device(),
            model.dtype(),
        )?;
        let mut out = BTreeMap::new();
        let sharpness = worst_case_sharpness(
            model,
            &batches,
            &SharpnessOptions {
                rho: c.sharpness_rho,
                adaptive: c.sharpness_adaptive,
                iterations: c.sharpness_steps,
                ..SharpnessOptions::default()
            },
        )?;
        out.insert(SHARPNESS.into(), sharpness.sharpness);
        out.insert(SHARPNESS_ERROR_INCREASE.into(), sharpness.error_increase);
        out.insert(CLEAN_LOSS.into(), sharpness.clean_loss);
        if c.lambda_max || c.trace {
            let options = HessianOptions {
                top_k: 1,
                lanczos_steps: if self.lanczos_steps == 0 {
                    30
                } else {
                    self.lanczos_steps
                },
                hutchinson_probes: match (c.trace, self.trace_probes) {
                    (false, _) => 0,
                    (true, 0) => 32,
                    (true, p) => p.max(2),
                },
                seed: context.seed.child(0x4E55 + context.epoch as u64),
                ..HessianOptions::default()
            };
            let report = hessian_spectrum(model, &batches, &options)?;
            if c.lambda_max {
                out.insert(LAMBDA_MAX.into(), report.lambda_max());
                if let Some(r) = report.residuals.first() {
                    out.insert(LAMBDA_MAX_RESIDUAL.into(), *r);
                }
            }
            if let Some(t) = report.trace {
                out.insert(TRACE.into(), t.mean);
                out.insert(TRACE_STD_ERROR.into(), t.std_error);
            }
        }
        Ok(out)
    }
}
