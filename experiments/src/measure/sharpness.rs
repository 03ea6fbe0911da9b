//! Worst-case ℓ∞ m-sharpness (spec §10.2; Andriushchenko, Croce, Müller, Hein &
//! Flammarion, *A modern look at the relationship between sharpness and
//! generalization*, ICML 2023, code tml-epfl/sharpness-vs-generalization,
//! `sharpness.py: eval_APGD_sharpness` with `norm='linf'`):
//!
//! S = (1/#batches) Σ_S [max_{‖δ ⊙ c⁻¹‖∞ ≤ ρ} L_S(w + δ) − L_S(w)],
//!
//! with c = |w| elementwise if adaptive, c = 1 otherwise; L_S the mean cross-entropy of
//! a batch S of m examples with the model in evaluation mode. Defaults: ρ = 2e−4, the
//! first 1024 training examples unaugmented, m = 128, 20 iterations, not adaptive.
//!
//! The inner maximisation follows the authors' code step by step (no random start, one
//! restart; δ₀ = δ₋₁ = 0, step α₀ = 2ρ, momentum μ = 0.75):
//!
//! 1. g = ∇L_S at the current point;
//! 2. z = clip(δₖ + α·sign(g) ⊙ c, −ρc, ρc) (sign 0 at 0);
//! 3. δₖ₊₁ = μz + (1 − μ)δₖ₋₁, and the point becomes w + δₖ₊₁;
//! 4. if L_S(w + δₖ₊₁) exceeds the best loss so far it becomes the best (an "update");
//! 5. at the checkpoints pⱼ (p₀ = 0, p₁ = 0.22, pⱼ₊₁ = pⱼ + max(pⱼ − pⱼ₋₁ − 0.03, 0.06),
//!    iteration ⌈pⱼ·n⌉, [`checkpoints`]): if fewer than 0.75·(iterations since the last
//!    checkpoint) updates happened, α is halved and the point is reset to the best one.
//!
//! The reported value per batch is the best loss minus the clean loss (≥ 0).
//!
//! Deviations of the authors' code from APGD as published (Croce & Hein, ICML 2020),
//! kept here because the measure is defined by that code:
//! * the momentum step is δₖ₊₁ = μz + (1 − μ)δₖ₋₁ (a convex combination with the
//!   *previous* iterate), not x + μ(z − x) + (1 − μ)(x − x₋₁);
//! * an "update" counts new maxima, not increases over the previous iterate;
//! * the reset to the best point moves the point where the next gradient is taken, but
//!   δ and δₖ₋₁ keep their values (the next iterate is built from them);
//! * the second halving condition (same step and same best loss as at the last
//!   checkpoint) implies the first one, so only the first is evaluated.
//!
//! Implementation: one forward and backward pass per iteration (the gradient at each new
//! point is kept with its loss; the gradient at the best point is kept for a reset), all
//! on the model's device; the parameters are restored bit for bit at the end. Batch-norm
//! buffers are never changed (evaluation mode).

use crate::data::Batch;
use crate::models::Model;
use crate::{ExperimentError, Result};
use candle_core::{DType, Tensor, Var};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Settings of [`worst_case_sharpness`] (defaults: the authors' `m_apgd_linf`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharpnessOptions {
    /// Radius ρ of the ℓ∞ box (relative to |w| if adaptive).
    pub rho: f64,
    /// Adaptive sharpness: the box ‖δ ⊙ |w|⁻¹‖∞ ≤ ρ.
    pub adaptive: bool,
    /// Ascent iterations n.
    pub iterations: usize,
    /// Momentum μ of the update δₖ₊₁ = μz + (1 − μ)δₖ₋₁.
    pub momentum: f64,
    /// Initial step α₀ = `initial_step_multiplier`·2ρ (the authors' `step_size_mult`).
    pub initial_step_multiplier: f64,
    /// The step is halved at a checkpoint with fewer than this fraction of iterations
    /// improving the best loss.
    pub min_update_ratio: f64,
}

impl Default for SharpnessOptions {
    /// ρ = 2e−4, not adaptive, 20 iterations, μ = 0.75, α₀ = 2ρ, ratio 0.75.
    fn default() -> Self {
        Self {
            rho: 2e-4,
            adaptive: false,
            iterations: 20,
            momentum: 0.75,
            initial_step_multiplier: 1.0,
            min_update_ratio: 0.75,
        }
    }
}

impl SharpnessOptions {
    /// Checks every field, naming the bad one.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] with the key (`rho`, `iterations`, `momentum`,
    /// `initial_step_multiplier`, `min_update_ratio`) and the allowed range.
    pub fn validate(&self) -> Result<()> {
        if !(self.rho > 0.0 && self.rho.is_finite()) {
            return Err(ExperimentError::config(
                "rho",
                format!("must be positive and finite, got {}", self.rho),
            ));
        }
        if self.iterations == 0 {
            return Err(ExperimentError::config("iterations", "must be at least 1"));
        }
        if !(self.momentum > 0.0 && self.momentum <= 1.0) {
            return Err(ExperimentError::config(
                "momentum",
                format!("must be in (0, 1], got {}", self.momentum),
            ));
        }
        if !(self.initial_step_multiplier > 0.0 && self.initial_step_multiplier.is_finite()) {
            return Err(ExperimentError::config(
                "initial_step_multiplier",
                format!("must be positive, got {}", self.initial_step_multiplier),
            ));
        }
        if !(0.0..=1.0).contains(&self.min_update_ratio) {
            return Err(ExperimentError::config(
                "min_update_ratio",
                format!("must be in [0, 1], got {}", self.min_update_ratio),
            ));
        }
        Ok(())
    }
}

/// The result on one batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSharpness {
    /// Number of examples m.
    pub examples: usize,
    /// L_S(w).
    pub clean_loss: f64,
    /// The largest L_S(w + δ) found.
    pub worst_loss: f64,
    /// Classification error at w.
    pub clean_error: f64,
    /// Classification error at the worst δ.
    pub worst_error: f64,
    /// ‖δ‖₂ of the worst δ.
    pub delta_norm: f64,
    /// Step halvings.
    pub halvings: usize,
}

/// What [`worst_case_sharpness`] measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharpnessReport {
    /// Mean over batches of worst − clean loss (the sharpness).
    pub sharpness: f64,
    /// Mean over batches of worst − clean classification error.
    pub error_increase: f64,
    /// Mean clean loss over batches.
    pub clean_loss: f64,
    /// The options used.
    pub options: SharpnessOptions,
    /// Per batch.
    pub batches: Vec<BatchSharpness>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The checkpoint iterations (0-based) of the authors' code for n iterations:
/// p₀ = 0, p₁ = 0.22, pⱼ₊₁ = pⱼ + max(pⱼ − pⱼ₋₁ − 0.03, 0.06), wⱼ = ⌈pⱼ n⌉ while
/// wⱼ < n and wⱼ ≠ wⱼ₋₁, without w₀ (f64 arithmetic in the same order as the
/// Python original, so the list is identical: [5, 9, 12, 15, 16, 18, 19, 20] for n = 20).
#[must_use]
pub fn checkpoints(iterations: usize) -> Vec<usize> {
    let n = iterations as f64;
    let mut p = vec![0.0_f64, 0.22];
    let mut w = vec![0_usize, (n * 0.22).ceil() as usize];
    while let (Some(&last), Some(&before)) = (w.last(), w.get(w.len().wrapping_sub(2))) {
        if last >= iterations || last == before {
            break;
        }
        let (p1, p0) = (p[p.len() - 1], p[p.len() - 2]);
        let next = p1 + (p1 - p0 - 0.03).max(0.06);
        p.push(next);
        w.push((next * n).ceil() as usize);
    }
    w.remove(0);
    w
}

/// Loss, classification error and gradient of the mean cross-entropy at the current
/// parameters (evaluation mode).
fn evaluate(model: &Model, params: &[Var], batch: &Batch) -> Result<(f64, f64, Vec<Tensor>)> {
    let logits = model.forward_t(&batch.images, false)?;
    let loss = candle_nn::loss::cross_entropy(&logits, &batch.labels)?;
    let predicted = logits.argmax(1)?;
    let wrong = predicted
        .ne(&batch.labels.to_dtype(predicted.dtype())?)?
        .to_dtype(DType::F64)?
        .mean_all()?
        .to_scalar::<f64>()?;
    let grads = loss.backward()?;
    let g = params
        .iter()
        .map(|p| match grads.get(p.as_tensor()) {
            // Detached: the gradient would otherwise keep this pass's graph alive.
            Some(g) => Ok(g.detach()),
            None => Ok(p.as_tensor().zeros_like()?),
        })
        .collect::<Result<Vec<_>>>()?;
    let value = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
    Ok((value, wrong, g))
}

fn set_all(params: &[Var], values: &[Tensor]) -> Result<()> {
    for (p, v) in params.iter().zip(values) {
        p.set(v)?;
    }
    Ok(())
}

fn add_all(a: &[Tensor], b: &[Tensor]) -> Result<Vec<Tensor>> {
    a.iter().zip(b).map(|(x, y)| Ok(x.add(y)?)).collect()
}

/// The worst case on one batch, starting and ending at `origin` (the parameters are left
/// at some perturbed point; the caller restores them).
fn batch_sharpness(
    model: &Model,
    params: &[Var],
    origin: &[Tensor],
    scale: Option<&[Tensor]>,
    batch: &Batch,
    options: &SharpnessOptions,
    marks: &[usize],
) -> Result<BatchSharpness> {
    let rho = options.rho;
    let mu = options.momentum;
    let (clean_loss, clean_error, mut grad) = evaluate(model, params, batch)?;
    let zeros = origin
        .iter()
        .map(|w| Ok(w.zeros_like()?))
        .collect::<Result<Vec<_>>>()?;
    let mut delta = zeros.clone();
    let mut previous = zeros;
    let mut best = (clean_loss, clean_error);
    let mut best_point = origin.to_vec();
    let mut best_grad = grad.clone();
    let mut best_delta_norm = 0.0;
    let mut step = 2.0 * rho * options.initial_step_multiplier;
    let (mut updates, mut last_mark, mut halvings) = (0_usize, 0_usize, 0_usize);
    for i in 0..options.iterations {
        let backup = delta.clone();
        let mut next = Vec::with_capacity(delta.len());
        for (k, (d, g)) in delta.iter().zip(&grad).enumerate() {
            let ascent = g.sign()?.affine(step, 0.0)?;
            let z = match scale {
                Some(c) => {
                    let bound = c[k].affine(rho, 0.0)?;
                    d.add(&ascent.mul(&c[k])?)?
                        .maximum(&bound.neg()?)?
                        .minimum(&bound)?
                }
                None => d.add(&ascent)?.clamp(-rho, rho)?,
            };
            next.push(
                z.affine(mu, 0.0)?
                    .add(&previous[k].affine(1.0 - mu, 0.0)?)?,
            );
        }
        delta = next;
        previous = backup;
        let point = add_all(origin, &delta)?;
        set_all(params, &point)?;
        let (loss, error, g) = evaluate(model, params, batch)?;
        grad = g;
        if loss > best.0 {
            best = (loss, error);
            best_point = point;
            best_grad = grad.clone();
            best_delta_norm = delta
                .iter()
                .map(|d| {
                    Ok(d.to_dtype(DType::F64)?
                        .sqr()?
                        .sum_all()?
                        .to_scalar::<f64>()?)
                })
                .sum::<Result<f64>>()?
                .sqrt();
            updates += 1;
        }
        if marks.contains(&i) {
            let halve = (updates as f64) < options.min_update_ratio * (i - last_mark) as f64;
            last_mark = i;
            updates = 0;
            if halve {
                step *= 0.5;
                halvings += 1;
                set_all(params, &best_point)?;
                grad = best_grad.clone();
            }
        }
    }
    Ok(BatchSharpness {
        examples: batch.indices.len(),
        clean_loss,
        worst_loss: best.0,
        clean_error,
        worst_error: best.1,
        delta_norm: best_delta_norm,
        halvings,
    })
}

/// Worst-case ℓ∞ m-sharpness of `model` over `batches` (one m-batch each), as in the
/// module docs. Runs on the calling thread (first-order only) and changes the
/// parameters during the search; they are restored bit for bit before returning, also
/// on error. Batch-norm buffers are not touched.
///
/// # Errors
/// Invalid options, no batches, or a candle error.
pub fn worst_case_sharpness(
    model: &Model,
    batches: &[Batch],
    options: &SharpnessOptions,
) -> Result<SharpnessReport> {
    options.validate()?;
    if batches.is_empty() || batches.iter().any(|b| b.indices.is_empty()) {
        return Err(ExperimentError::Other(
            "sharpness needs at least one non-empty batch".into(),
        ));
    }
    let start = Instant::now();
    let params: Vec<Var> = model.parameters().into_iter().map(|(_, v)| v).collect();
    let origin = params
        .iter()
        .map(|p| Ok(p.as_tensor().copy()?))
        .collect::<Result<Vec<_>>>()?;
    let scale = if options.adaptive {
        Some(
            origin
                .iter()
                .map(|w| Ok(w.abs()?))
                .collect::<Result<Vec<_>>>()?,
        )
    } else {
        None
    };
    let marks = checkpoints(options.iterations);
    let device_batches = batches
        .iter()
        .map(|b| {
            Ok(Batch {
                images: b
                    .images
                    .to_dtype(model.dtype())?
                    .to_device(model.device())?,
                labels: b.labels.to_device(model.device())?,
                indices: b.indices.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut results = Vec::with_capacity(batches.len());
    let mut failure = None;
    for batch in &device_batches {
        let r = batch_sharpness(
            model,
            &params,
            &origin,
            scale.as_deref(),
            batch,
            options,
            &marks,
        );
        // Back to w before the next batch (and before returning, also on error).
        let restored = set_all(&params, &origin);
        match (r, restored) {
            (Ok(b), Ok(())) => results.push(b),
            (Err(e), _) | (_, Err(e)) => {
                failure = Some(e);
                break;
            }
        }
    }
    if let Some(e) = failure {
        set_all(&params, &origin)?;
        return Err(e);
    }
    let count = results.len() as f64;
    let mean = |f: &dyn Fn(&BatchSharpness) -> f64| results.iter().map(f).sum::<f64>() / count;
    Ok(SharpnessReport {
        sharpness: mean(&|b| b.worst_loss - b.clean_loss),
        error_increase: mean(&|b| b.worst_error - b.clean_error),
        clean_loss: mean(&|b| b.clean_loss),
        options: options.clone(),
        batches: results,
        seconds: start.elapsed().as_secs_f64(),
    })
}
