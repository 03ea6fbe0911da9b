//! Top Hessian eigenvalues (λ_max and the next ones) by Lanczos and the trace by
//! Hutchinson's estimator, both on exact Hessian-vector products ([`super::hvp`]) of
//! the mean cross-entropy on a fixed set of examples.
//!
//! * λ₁ ≥ … ≥ λ_k: `numerics::spectrum::Lanczos` with full reorthogonalisation from a
//!   seeded Gaussian start (stream `"lanczos"`), at most `lanczos_steps` products; each
//!   Ritz value comes with its residual ‖Hu − θu‖, and some eigenvalue of H lies within
//!   that distance of θ.
//! * tr H ≈ (1/m) Σⱼ zⱼᵀHzⱼ with m Rademacher probes (stream `"hutchinson"`), reported
//!   with its standard error s/√m.
//!
//! # References
//! Golub & Van Loan, *Matrix Computations* §10.1; Hutchinson (1990); the
//! edge-of-stability code (Cohen et al. 2021) measures sharpness the same way.

use super::hvp::{Hvp, LossTerms, ModelLoss};
use super::{worker, BatchNormMode, ModelSnapshot};
use crate::data::Batch;
use crate::models::Model;
use crate::{ExperimentError, Result};
use candle_core::DType;
use numerics::spectrum::{hutchinson_trace, Lanczos};
use numerics::Seed;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

/// Settings of [`hessian_spectrum`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HessianOptions {
    /// Number k of top eigenvalues (≥ 1).
    pub top_k: usize,
    /// Most Lanczos steps (Hessian-vector products of the whole set), ≥ k; the basis of
    /// that many flat f64 vectors is held in memory.
    pub lanczos_steps: usize,
    /// Relative residual tolerance of Lanczos, in (0, 1).
    pub tolerance: f64,
    /// Hutchinson probes (0: no trace; otherwise ≥ 2).
    pub hutchinson_probes: usize,
    /// Batch-norm mode of the loss.
    pub batch_norm: BatchNormMode,
    /// Compute in this dtype instead of the model's (e.g. f64 for an f32 model).
    #[serde(skip)]
    pub dtype: Option<DType>,
    /// Seed of the Lanczos start and the probes.
    pub seed: Seed,
}

impl Default for HessianOptions {
    /// k = 3, 30 Lanczos steps, tolerance 1e−4, no trace, eval mode, seed 0.
    fn default() -> Self {
        Self {
            top_k: 3,
            lanczos_steps: 30,
            tolerance: 1e-4,
            hutchinson_probes: 0,
            batch_norm: BatchNormMode::Eval,
            dtype: None,
            seed: Seed(0),
        }
    }
}

impl HessianOptions {
    /// Checks every field, naming the bad one (`top_k`, `lanczos_steps`, `tolerance`,
    /// `hutchinson_probes`).
    ///
    /// # Errors
    /// [`ExperimentError::Config`].
    pub fn validate(&self) -> Result<()> {
        if self.top_k == 0 {
            return Err(ExperimentError::config("top_k", "must be at least 1"));
        }
        if self.lanczos_steps < self.top_k {
            return Err(ExperimentError::config(
                "lanczos_steps",
                format!(
                    "must be at least top_k = {}, got {}",
                    self.top_k, self.lanczos_steps
                ),
            ));
        }
        if !(self.tolerance > 0.0 && self.tolerance < 1.0) {
            return Err(ExperimentError::config(
                "tolerance",
                format!("must be in (0, 1), got {}", self.tolerance),
            ));
        }
        if self.hutchinson_probes == 1 {
            return Err(ExperimentError::config(
                "hutchinson_probes",
                "must be 0 (no trace) or at least 2 (for a standard error)",
            ));
        }
        Ok(())
    }
}

/// A Hutchinson trace estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// Mean of zᵀHz.
    pub mean: f64,
    /// Standard error of the mean.
    pub std_error: f64,
    /// Number of probes.
    pub probes: usize,
}

/// What [`hessian_spectrum`] measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HessianReport {
    /// Top Ritz values λ₁ ≥ … ≥ λ_k (λ₁ = λ_max).
    pub eigenvalues: Vec<f64>,
    /// Residuals ‖Hu − θu‖ of the Ritz pairs.
    pub residuals: Vec<f64>,
    /// Lanczos steps taken.
    pub lanczos_steps: usize,
    /// Whether every wanted pair met the tolerance.
    pub converged: bool,
    /// The trace estimate, if probes were asked for.
    pub trace: Option<Trace>,
    /// Loss L(w) on the set.
    pub loss: f64,
    /// Number of parameters d.
    pub parameters: usize,
    /// Number of examples n.
    pub examples: usize,
    /// Single-micro-batch Hessian-vector products computed.
    pub products: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl HessianReport {
    /// λ_max (the first Ritz value).
    #[must_use]
    pub fn lambda_max(&self) -> f64 {
        self.eigenvalues.first().copied().unwrap_or(f64::NAN)
    }
}

/// The top-k eigenvalues and (optionally) the trace of the Hessian of any
/// [`LossTerms`] loss, on the calling thread (which must be the second-order worker;
/// use inside [`worker::run`]). `examples` is only reported.
///
/// # Errors
/// Invalid options, a candle error, or a Lanczos failure.
pub fn spectrum_of<L: LossTerms>(
    hvp: &Hvp<L>,
    options: &HessianOptions,
    examples: usize,
) -> Result<HessianReport> {
    options.validate()?;
    let start = Instant::now();
    let d = hvp.layout().dim();
    let k = options.top_k.min(d);
    let lanczos = Lanczos::new()
        .with_max_steps(options.lanczos_steps.min(d).max(k))?
        .with_tolerance(options.tolerance)?;
    let result = lanczos.largest(hvp, k, &mut options.seed.stream("lanczos"));
    if let Some(e) = hvp.take_error() {
        return Err(e);
    }
    let result = result?;
    let trace = if options.hutchinson_probes >= 2 {
        let t = hutchinson_trace(
            hvp,
            options.hutchinson_probes,
            &mut options.seed.stream("hutchinson"),
        );
        if let Some(e) = hvp.take_error() {
            return Err(e);
        }
        let t = t?;
        Some(Trace {
            mean: t.mean,
            std_error: t.std_error,
            probes: t.probes,
        })
    } else {
        None
    };
    Ok(HessianReport {
        eigenvalues: result.values(),
        residuals: result.pairs().iter().map(|p| p.residual).collect(),
        lanczos_steps: result.steps(),
        converged: result.converged(),
        trace,
        loss: hvp.value()?,
        parameters: d,
        examples,
        products: hvp.products(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The top Hessian eigenvalues and trace of `model`'s mean cross-entropy on `batches`
/// (one micro-batch each), computed on the second-order worker on a copy of the model:
/// `model` itself, buffers included, is not touched.
///
/// # Errors
/// Invalid options, no batches, the worker cannot run (see [`worker::run`]), or a
/// candle error.
pub fn hessian_spectrum(
    model: &Model,
    batches: &[Batch],
    options: &HessianOptions,
) -> Result<HessianReport> {
    options.validate()?;
    let snapshot = ModelSnapshot::of(model)?;
    let batches = batches.to_vec();
    let options = options.clone();
    worker::run(move || -> Result<HessianReport> {
        let copy = Arc::new(snapshot.build(options.dtype)?);
        let loss = ModelLoss::new(copy, &batches, options.batch_norm)?;
        let examples = loss.examples();
        let hvp = Hvp::new(loss)?;
        spectrum_of(&hvp, &options, examples)
    })?
}
