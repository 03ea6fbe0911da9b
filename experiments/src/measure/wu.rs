//! Wu, Ma & E (2018) quantities of a trained network on a subset of n examples:
//! sharpness a = λ_max(H) and non-uniformity s = √λ_max(Σ) with
//!
//! H = (1/n) Σᵢ Hᵢ,  Σ = (1/n) Σᵢ Hᵢ² − H²
//!
//! (Hᵢ the Hessian of example i's cross-entropy, batch norm in evaluation mode), and the
//! linear-stability verdict of SGD with learning rate η and batch size B drawn without
//! replacement from a population of N examples (spec §8.2; p = (N − B)/(B(N − 1))):
//!
//! * Wu's criterion λ_max(T*(I)) = λ_max((I − ηH)² + η²pΣ) ≤ 1 is **sufficient** for
//!   mean-square stability (T is a positive map: ρ(T) ≤ ‖T(I)‖);
//! * ρ(T) ≥ ⟨P, T(P)⟩/⟨P, P⟩ for every symmetric P (T is self-adjoint for the Frobenius
//!   product); with P = uuᵀ, ‖u‖ = 1, this is
//!   r(u) = (1 − η uᵀHu)² + η²p[(1/n)Σᵢ(uᵀHᵢu)² − (uᵀHu)²], evaluated at the top
//!   eigenvectors of H and of Σ: r(u) > 1 proves instability.
//!
//! Otherwise the verdict is undetermined (Wu's condition is not necessary in more than
//! one dimension: spec §8.2). Everything is matrix-free: Lanczos on v ↦ Hv,
//! v ↦ Σv = (1/n)Σᵢ Hᵢ(Hᵢv) − H(Hv) and v ↦ T*(I)v, each product of Σ costing 2n
//! per-example products and 2 products of the whole subset, so this is for small models
//! and subsets. The subset's Σ (a 1/n covariance) stands for the population's.
//!
//! # References
//! Wu, Ma & E, *How SGD selects the global minima in over-parameterized learning: a
//! dynamical stability perspective*, NeurIPS 2018; Mulayoff & Michaeli, NeurIPS 2023.

use super::hvp::{Hvp, LossTerms, ModelLoss};
use super::{single_examples, worker, BatchNormMode, ModelSnapshot};
use crate::data::Batch;
use crate::models::Model;
use crate::{ExperimentError, Result};
use candle_core::DType;
use numerics::spectrum::{batch_factor, Lanczos, LinearOperator};
use numerics::{Matrix, Seed, Vector};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

/// Relative margin (of ‖T*(I) − I‖'s scale 2ηa + η²(a² + ps²)) within which a bound
/// equal to 1 counts as 1: the kernel of the per-example Hessians gives T*(I) = 1 exactly.
pub const VERDICT_TOLERANCE: f64 = 1e-9;

/// SGD settings for the stability verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StabilityQuery {
    /// Learning rate η > 0.
    pub learning_rate: f64,
    /// Batch size B, 1 ≤ B ≤ N.
    pub batch_size: usize,
    /// Number N of training examples SGD samples from.
    pub population: usize,
}

/// Settings of [`wu_quantities`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WuOptions {
    /// Most Lanczos steps per eigenvalue.
    pub lanczos_steps: usize,
    /// Relative residual tolerance of Lanczos.
    pub tolerance: f64,
    /// Compute in this dtype instead of the model's.
    #[serde(skip)]
    pub dtype: Option<DType>,
    /// Seed of the Lanczos starts.
    pub seed: Seed,
    /// SGD settings for a stability verdict (None: a and s only).
    pub stability: Option<StabilityQuery>,
}

impl Default for WuOptions {
    /// 40 Lanczos steps, tolerance 1e−6, the model's dtype, seed 0, no verdict.
    fn default() -> Self {
        Self {
            lanczos_steps: 40,
            tolerance: 1e-6,
            dtype: None,
            seed: Seed(0),
            stability: None,
        }
    }
}

/// The verdict on mean-square linear stability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stability {
    /// Wu's sufficient condition holds: λ_max(T*(I)) ≤ 1.
    Stable,
    /// A Rayleigh quotient of T exceeds 1: ρ(T) > 1.
    Unstable,
    /// Neither bound decides.
    Undetermined,
}

/// The stability part of a [`WuReport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StabilityReport {
    /// The SGD settings.
    pub query: StabilityQuery,
    /// p = (N − B)/(B(N − 1)).
    pub batch_factor: f64,
    /// λ_max((I − ηH)² + η²pΣ) (upper bound on ρ(T)).
    pub criterion: f64,
    /// max r(u) over the top eigenvectors of H and Σ (lower bound on ρ(T)).
    pub lower_bound: f64,
    /// The verdict.
    pub verdict: Stability,
}

/// What [`wu_quantities`] measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WuReport {
    /// a = λ_max(H).
    pub sharpness: f64,
    /// s = √λ_max(Σ).
    pub non_uniformity: f64,
    /// λ_max(Σ) (may be slightly negative by rounding when Σ ≈ 0).
    pub covariance_lambda_max: f64,
    /// Number of examples n.
    pub samples: usize,
    /// Number of parameters d.
    pub parameters: usize,
    /// The verdict, if asked for.
    pub stability: Option<StabilityReport>,
    /// Single-example or single-batch Hessian-vector products computed.
    pub products: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Shared state of the matrix-free operators: the two HVP engines and the first error.
struct Products<'a, A, B> {
    full: &'a Hvp<A>,
    samples: &'a Hvp<B>,
    error: RefCell<Option<ExperimentError>>,
}

impl<A: LossTerms, B: LossTerms> Products<'_, A, B> {
    fn record<T>(&self, r: Result<T>, fallback: impl FnOnce() -> T) -> T {
        r.unwrap_or_else(|e| {
            let mut slot = self.error.borrow_mut();
            if slot.is_none() {
                *slot = Some(e);
            }
            fallback()
        })
    }

    fn nan(&self) -> Vector {
        Vector::from_element(self.full.layout().dim(), f64::NAN)
    }

    /// (Hv, H(Hv), Σᵢ ωᵢ Hᵢ(Hᵢv)).
    fn moments(&self, v: &Vector) -> Result<(Vector, Vector, Vector)> {
        let hv = self.full.product(v)?;
        let hhv = self.full.product(&hv)?;
        let loss = self.samples.loss();
        let mut second = Vector::zeros(v.len());
        for i in 0..loss.len() {
            let once = self.samples.term_product(i, v)?;
            second.axpy(loss.weight(i), &self.samples.term_product(i, &once)?, 1.0);
        }
        Ok((hv, hhv, second))
    }

    /// (uᵀHu, Σᵢ ωᵢ (uᵀHᵢu)²) for a unit u.
    fn rayleigh(&self, u: &Vector) -> Result<(f64, f64)> {
        let loss = self.samples.loss();
        let (mut mean, mut square) = (0.0, 0.0);
        for i in 0..loss.len() {
            let q = u.dot(&self.samples.term_product(i, u)?);
            mean += loss.weight(i) * q;
            square += loss.weight(i) * q * q;
        }
        Ok((mean, square))
    }
}

/// v ↦ Hv.
struct HessianOp<'p, 'a, A, B>(&'p Products<'a, A, B>);
/// v ↦ Σv.
struct CovarianceOp<'p, 'a, A, B>(&'p Products<'a, A, B>);
/// v ↦ ((I − ηH)² + η²pΣ − I)v = −2ηHv + η²(1 − p)H(Hv) + η²p(1/n)ΣHᵢ(Hᵢv)
/// (without the identity, so that its top eigenvalue is resolved relative to its own
/// scale rather than to 1).
struct WuOp<'p, 'a, A, B>(&'p Products<'a, A, B>, f64, f64);

impl<A: LossTerms, B: LossTerms> LinearOperator for HessianOp<'_, '_, A, B> {
    fn dim(&self) -> usize {
        self.0.full.layout().dim()
    }
    fn apply(&self, v: &Vector) -> Vector {
        self.0.record(self.0.full.product(v), || self.0.nan())
    }
}

impl<A: LossTerms, B: LossTerms> LinearOperator for CovarianceOp<'_, '_, A, B> {
    fn dim(&self) -> usize {
        self.0.full.layout().dim()
    }
    fn apply(&self, v: &Vector) -> Vector {
        let r = self.0.moments(v).map(|(_, hhv, second)| second - hhv);
        self.0.record(r, || self.0.nan())
    }
}

impl<A: LossTerms, B: LossTerms> LinearOperator for WuOp<'_, '_, A, B> {
    fn dim(&self) -> usize {
        self.0.full.layout().dim()
    }
    fn apply(&self, v: &Vector) -> Vector {
        let (eta, p) = (self.1, self.2);
        let r = self.0.moments(v).map(|(hv, hhv, second)| {
            hv * (-2.0 * eta) + hhv * (eta * eta * (1.0 - p)) + second * (eta * eta * p)
        });
        self.0.record(r, || self.0.nan())
    }
}

fn top<O: LinearOperator>(
    op: &O,
    options: &WuOptions,
    stream: &str,
) -> std::result::Result<(f64, Vector), numerics::NumericsError> {
    let d = op.dim();
    let lanczos = Lanczos::new()
        .with_max_steps(options.lanczos_steps.clamp(1, d.max(1)))?
        .with_tolerance(options.tolerance)?;
    let r = lanczos.largest(op, 1, &mut options.seed.stream(stream))?;
    let pair = r
        .pairs()
        .first()
        .cloned()
        .ok_or(numerics::NumericsError::NonFinite(
            "Lanczos returned no pair",
        ))?;
    Ok((pair.value, pair.vector))
}

/// Wu et al.'s a, s and (optionally) the stability verdict from the Hessian of the mean
/// loss (`full`) and the per-example Hessians (`samples`, one term per example with
/// weight 1/n) of the same n examples, on the calling thread (the second-order worker).
///
/// # Errors
/// Invalid options (key `stability.learning_rate`, `stability.batch_size`,
/// `lanczos_steps`, `tolerance`), a candle error, or a Lanczos failure.
pub fn wu_of<A: LossTerms, B: LossTerms>(
    full: &Hvp<A>,
    samples: &Hvp<B>,
    options: &WuOptions,
) -> Result<WuReport> {
    let start = Instant::now();
    if options.lanczos_steps == 0 {
        return Err(ExperimentError::config(
            "lanczos_steps",
            "must be at least 1",
        ));
    }
    if !(options.tolerance > 0.0 && options.tolerance < 1.0) {
        return Err(ExperimentError::config(
            "tolerance",
            format!("must be in (0, 1), got {}", options.tolerance),
        ));
    }
    let p = match &options.stability {
        Some(q) => {
            if !(q.learning_rate > 0.0 && q.learning_rate.is_finite()) {
                return Err(ExperimentError::config(
                    "stability.learning_rate",
                    format!("must be positive, got {}", q.learning_rate),
                ));
            }
            Some(batch_factor(q.population, q.batch_size).map_err(|_| {
                ExperimentError::config(
                    "stability.batch_size",
                    format!(
                        "must be in 1..={} (the population), got {}",
                        q.population, q.batch_size
                    ),
                )
            })?)
        }
        None => None,
    };
    let products = Products {
        full,
        samples,
        error: RefCell::new(None),
    };
    let check =
        |r: std::result::Result<(f64, Vector), numerics::NumericsError>| -> Result<(f64, Vector)> {
            if let Some(e) = products.error.borrow_mut().take() {
                return Err(e);
            }
            Ok(r?)
        };
    let (a, u_h) = check(top(&HessianOp(&products), options, "wu-hessian"))?;
    let (sigma, u_s) = check(top(&CovarianceOp(&products), options, "wu-covariance"))?;
    let stability = match (options.stability, p) {
        (Some(query), Some(p)) => {
            let eta = query.learning_rate;
            let (excess, _) = check(top(&WuOp(&products, eta, p), options, "wu-criterion"))?;
            let mut deficit = f64::NEG_INFINITY;
            for u in [&u_h, &u_s] {
                let (mean, square) = products.rayleigh(u)?;
                // r(u) − 1 = −2η uᵀHu + η²(uᵀHu)² + η²p[(1/n)Σ(uᵀHᵢu)² − (uᵀHu)²].
                let r = -2.0 * eta * mean
                    + eta * eta * mean * mean
                    + eta * eta * p * (square - mean * mean);
                deficit = deficit.max(r);
            }
            // Directions in the kernel of every Hᵢ have T*(I) = 1 exactly (spec §8.2);
            // rounding there must not decide the verdict.
            let scale = 2.0 * eta * a.abs() + eta * eta * (a * a + p * sigma.abs());
            let tolerance = VERDICT_TOLERANCE * scale;
            let verdict = if excess <= tolerance {
                Stability::Stable
            } else if deficit > tolerance {
                Stability::Unstable
            } else {
                Stability::Undetermined
            };
            let (criterion, lower_bound) = (1.0 + excess, 1.0 + deficit);
            Some(StabilityReport {
                query,
                batch_factor: p,
                criterion,
                lower_bound,
                verdict,
            })
        }
        _ => None,
    };
    Ok(WuReport {
        sharpness: a,
        non_uniformity: sigma.max(0.0).sqrt(),
        covariance_lambda_max: sigma,
        samples: samples.loss().len(),
        parameters: full.layout().dim(),
        stability,
        products: full.products() + samples.products(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Wu et al.'s quantities of `model` on the examples of `batches` (batch norm in
/// evaluation mode), computed on the second-order worker on a copy of the model.
///
/// # Errors
/// As [`wu_of`]; no examples; the worker cannot run.
pub fn wu_quantities(model: &Model, batches: &[Batch], options: &WuOptions) -> Result<WuReport> {
    let snapshot = ModelSnapshot::of(model)?;
    let batches = batches.to_vec();
    let options = options.clone();
    worker::run(move || -> Result<WuReport> {
        let copy = Arc::new(snapshot.build(options.dtype)?);
        let full = Hvp::new(ModelLoss::new(
            Arc::clone(&copy),
            &batches,
            BatchNormMode::Eval,
        )?)?;
        let samples = Hvp::new(ModelLoss::new(
            copy,
            &single_examples(&batches)?,
            BatchNormMode::Eval,
        )?)?;
        wu_of(&full, &samples, &options)
    })?
}

/// The per-example Hessians Hᵢ (dense, symmetrised; d products each) of a loss whose
/// terms are single examples: for tiny models only (to build
/// `numerics::spectrum::MeanSquareStability` and its exact ρ(T)).
///
/// # Errors
/// As [`Hvp::term_product`].
pub fn per_sample_hessians<L: LossTerms>(samples: &Hvp<L>) -> Result<Vec<Matrix>> {
    let d = samples.layout().dim();
    (0..samples.loss().len())
        .map(|i| {
            let mut m = Matrix::zeros(d, d);
            for k in 0..d {
                let mut e = Vector::zeros(d);
                e[k] = 1.0;
                m.set_column(k, &samples.term_product(i, &e)?);
            }
            Ok((&m + m.transpose()) * 0.5)
        })
        .collect()
}
