//! Exact Hessian-vector products by double backward: H·v = ∇_w(∇_w L(w) · v).
//!
//! The loss is a weighted sum of terms, L(w) = Σⱼ ωⱼ Lⱼ(w) ([`LossTerms`]); for a model
//! on a fixed set of n examples split into micro-batches of nⱼ examples, Lⱼ is the mean
//! cross-entropy of micro-batch j and ωⱼ = nⱼ/n ([`ModelLoss`]), so L is the mean loss
//! over the n examples and H·v = Σⱼ ωⱼ Hⱼ·v: one double backward per micro-batch keeps
//! the memory bounded. With batch normalisation in evaluation mode this equals the
//! Hessian of the mean loss exactly; in training mode each micro-batch is normalised
//! with its own statistics, so L is "the mean over fixed micro-batches" (the only
//! well-defined choice; spec §10.2 and the notes).
//!
//! Vectors are flat f64 vectors over the parameters (never the batch-norm buffers) in
//! sorted-name order, each tensor row-major ([`ParameterLayout`]); the products are
//! computed in the parameters' dtype (f32 or f64) on their device.
//!
//! Double backward is only exact on the second-order worker thread
//! ([`crate::measure::worker`]); [`Hvp::new`] refuses to run anywhere else.

use super::worker;
use super::BatchNormMode;
use crate::data::Batch;
use crate::models::Model;
use crate::{ExperimentError, Result};
use candle_core::{DType, Device, Shape, Tensor, Var};
use numerics::spectrum::LinearOperator;
use numerics::Vector;
use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::sync::Arc;

/// A differentiable loss L(w) = Σⱼ ωⱼ Lⱼ(w) of some candle variables w.
pub trait LossTerms {
    /// The variables w, in the order of the flat vectors.
    fn parameters(&self) -> &[Var];

    /// Number of terms.
    fn len(&self) -> usize;

    /// True if there are no terms.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The weight ωⱼ of term j.
    fn weight(&self, j: usize) -> f64;

    /// The scalar Lⱼ(w), differentiable with respect to [`LossTerms::parameters`].
    ///
    /// # Errors
    /// A term index out of range or a candle error.
    fn term(&self, j: usize) -> Result<Tensor>;
}

/// Where each parameter tensor sits in a flat vector: shapes and offsets in
/// parameter order, with the dtype and device of the parameters.
#[derive(Debug, Clone)]
pub struct ParameterLayout {
    shapes: Vec<Shape>,
    ranges: Vec<Range<usize>>,
    dtype: DType,
    device: Device,
}

impl ParameterLayout {
    /// The layout of `parameters` (in the given order).
    ///
    /// # Errors
    /// No parameters, or parameters of different dtypes.
    pub fn of(parameters: &[Var]) -> Result<Self> {
        let first = parameters
            .first()
            .ok_or_else(|| ExperimentError::Other("no parameters to differentiate".into()))?;
        let dtype = first.dtype();
        let mut shapes = Vec::with_capacity(parameters.len());
        let mut ranges = Vec::with_capacity(parameters.len());
        let mut offset = 0;
        for p in parameters {
            if p.dtype() != dtype {
                return Err(ExperimentError::Other(format!(
                    "parameters of mixed dtypes ({dtype:?} and {:?})",
                    p.dtype()
                )));
            }
            shapes.push(p.shape().clone());
            ranges.push(offset..offset + p.elem_count());
            offset += p.elem_count();
        }
        Ok(Self {
            shapes,
            ranges,
            dtype,
            device: first.device().clone(),
        })
    }

    /// Total number of scalars d.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.ranges.last().map_or(0, |r| r.end)
    }

    /// The dtype of the parameters.
    #[must_use]
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Splits a flat vector into tensors shaped like the parameters (in their dtype, on
    /// their device).
    ///
    /// # Errors
    /// A vector of the wrong length, or a candle error.
    pub fn split(&self, v: &Vector) -> Result<Vec<Tensor>> {
        if v.len() != self.dim() {
            return Err(ExperimentError::Other(format!(
                "vector of length {} for {} parameters",
                v.len(),
                self.dim()
            )));
        }
        let flat = v.as_slice();
        self.shapes
            .iter()
            .zip(&self.ranges)
            .map(|(shape, r)| {
                Ok(
                    Tensor::from_slice(&flat[r.clone()], shape.clone(), &self.device)?
                        .to_dtype(self.dtype)?,
                )
            })
            .collect()
    }

    /// Concatenates per-parameter tensors (None = zero) into a flat f64 vector.
    ///
    /// # Errors
    /// A count or shape mismatch, or a candle error.
    pub fn join(&self, tensors: &[Option<Tensor>]) -> Result<Vector> {
        if tensors.len() != self.shapes.len() {
            return Err(ExperimentError::Other(format!(
                "{} tensors for {} parameters",
                tensors.len(),
                self.shapes.len()
            )));
        }
        let mut out = Vector::zeros(self.dim());
        for ((t, r), shape) in tensors.iter().zip(&self.ranges).zip(&self.shapes) {
            let Some(t) = t else { continue };
            if t.shape() != shape {
                return Err(ExperimentError::Other(format!(
                    "tensor of shape {:?} for a parameter of shape {shape:?}",
                    t.dims()
                )));
            }
            let values = t.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
            out.as_mut_slice()[r.clone()].copy_from_slice(&values);
        }
        Ok(out)
    }

    /// The current values of `parameters` as a flat f64 vector.
    ///
    /// # Errors
    /// As [`ParameterLayout::join`].
    pub fn flatten(&self, parameters: &[Var]) -> Result<Vector> {
        let tensors: Vec<Option<Tensor>> = parameters
            .iter()
            .map(|p| Some(p.as_tensor().clone()))
            .collect();
        self.join(&tensors)
    }
}

/// The mean cross-entropy of a [`Model`] on fixed micro-batches: Lⱼ = mean CE of batch
/// j, ωⱼ = nⱼ/n, with batch normalisation in the given mode.
///
/// In [`BatchNormMode::TrainPerMicroBatch`] every forward pass updates the running
/// statistics; they are restored bit for bit after every term, so the model's buffers
/// end exactly as they were.
pub struct ModelLoss {
    model: Arc<Model>,
    parameters: Vec<Var>,
    batches: Vec<(Tensor, Tensor)>,
    weights: Vec<f64>,
    mode: BatchNormMode,
    buffers: Vec<(String, Tensor)>,
}

impl std::fmt::Debug for ModelLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelLoss")
            .field("model", &self.model)
            .field("batches", &self.batches.len())
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl ModelLoss {
    /// The loss of `model` on `batches` (images converted to the model's dtype).
    ///
    /// # Errors
    /// No batches, an empty batch, or a candle error.
    pub fn new(model: Arc<Model>, batches: &[Batch], mode: BatchNormMode) -> Result<Self> {
        let n: usize = batches.iter().map(|b| b.indices.len()).sum();
        if batches.is_empty() || batches.iter().any(|b| b.indices.is_empty()) {
            return Err(ExperimentError::Other(
                "a measurement needs at least one non-empty batch".into(),
            ));
        }
        let dtype = model.dtype();
        let device = model.device().clone();
        let prepared = batches
            .iter()
            .map(|b| {
                Ok((
                    b.images.to_dtype(dtype)?.to_device(&device)?,
                    b.labels.to_device(&device)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let weights = batches
            .iter()
            .map(|b| b.indices.len() as f64 / n as f64)
            .collect();
        let parameters = model.parameters().into_iter().map(|(_, v)| v).collect();
        let buffers = match mode {
            BatchNormMode::Eval => Vec::new(),
            BatchNormMode::TrainPerMicroBatch => model.snapshot_buffers()?,
        };
        Ok(Self {
            model,
            parameters,
            batches: prepared,
            weights,
            mode,
            buffers,
        })
    }

    /// The model.
    #[must_use]
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// Total number of examples n.
    #[must_use]
    pub fn examples(&self) -> usize {
        self.batches.iter().map(|(_, y)| y.dims()[0]).sum()
    }
}

impl LossTerms for ModelLoss {
    fn parameters(&self) -> &[Var] {
        &self.parameters
    }
    fn len(&self) -> usize {
        self.batches.len()
    }
    fn weight(&self, j: usize) -> f64 {
        self.weights.get(j).copied().unwrap_or(0.0)
    }
    fn term(&self, j: usize) -> Result<Tensor> {
        let (x, y) = self.batches.get(j).ok_or_else(|| {
            ExperimentError::Other(format!("loss term {j} of {}", self.batches.len()))
        })?;
        let train = matches!(self.mode, BatchNormMode::TrainPerMicroBatch);
        let logits = self.model.forward_t(x, train)?;
        if train {
            self.model.restore_buffers(&self.buffers)?;
        }
        Ok(candle_nn::loss::cross_entropy(&logits, y)?)
    }
}

/// Exact Hessian-vector products of a [`LossTerms`] loss, as a
/// [`LinearOperator`] on flat f64 vectors.
///
/// Lives on the second-order worker thread (construct it inside
/// [`worker::run`]). `LinearOperator::apply` cannot fail: on an error it returns a
/// vector of NaN (which stops Lanczos with a non-finite error) and keeps the first
/// error for [`Hvp::take_error`].
pub struct Hvp<L> {
    loss: L,
    layout: ParameterLayout,
    products: Cell<usize>,
    error: RefCell<Option<ExperimentError>>,
}

impl<L> std::fmt::Debug for Hvp<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hvp")
            .field("dim", &self.layout.dim())
            .field("products", &self.products.get())
            .finish_non_exhaustive()
    }
}

impl<L: LossTerms> Hvp<L> {
    /// The Hessian of `loss` as an operator.
    ///
    /// # Errors
    /// Not on a thread where double backward is exact (see
    /// [`worker::second_order_enabled`]); no terms; no parameters.
    pub fn new(loss: L) -> Result<Self> {
        if !worker::second_order_enabled() {
            return Err(ExperimentError::Other(format!(
                "Hessian-vector products need exact double backward: run them on the second-order \
                 worker (measure::worker::run), where {}=1 is in effect",
                worker::DO_NOT_DETACH
            )));
        }
        if loss.is_empty() {
            return Err(ExperimentError::Other("the loss has no terms".into()));
        }
        let layout = ParameterLayout::of(loss.parameters())?;
        Ok(Self {
            loss,
            layout,
            products: Cell::new(0),
            error: RefCell::new(None),
        })
    }

    /// The loss.
    #[must_use]
    pub fn loss(&self) -> &L {
        &self.loss
    }

    /// The parameter layout of the flat vectors.
    #[must_use]
    pub fn layout(&self) -> &ParameterLayout {
        &self.layout
    }

    /// Number of single-term Hessian-vector products computed so far.
    #[must_use]
    pub fn products(&self) -> usize {
        self.products.get()
    }

    /// The first error met by `LinearOperator::apply`, if any (cleared).
    pub fn take_error(&self) -> Option<ExperimentError> {
        self.error.borrow_mut().take()
    }

    /// The current parameters w as a flat vector.
    ///
    /// # Errors
    /// A candle error.
    pub fn point(&self) -> Result<Vector> {
        self.layout.flatten(self.loss.parameters())
    }

    /// L(w) = Σⱼ ωⱼ Lⱼ(w).
    ///
    /// # Errors
    /// A candle error.
    pub fn value(&self) -> Result<f64> {
        let mut total = 0.0;
        for j in 0..self.loss.len() {
            let l = self
                .loss
                .term(j)?
                .to_dtype(DType::F64)?
                .to_scalar::<f64>()?;
            total += self.loss.weight(j) * l;
        }
        Ok(total)
    }

    /// ∇L(w) = Σⱼ ωⱼ ∇Lⱼ(w) as a flat vector.
    ///
    /// # Errors
    /// A candle error.
    pub fn gradient(&self) -> Result<Vector> {
        let mut total = Vector::zeros(self.layout.dim());
        for j in 0..self.loss.len() {
            let grads = self.loss.term(j)?.backward()?;
            let g: Vec<Option<Tensor>> = self
                .loss
                .parameters()
                .iter()
                .map(|p| grads.get(p.as_tensor()).cloned())
                .collect();
            total.axpy(self.loss.weight(j), &self.layout.join(&g)?, 1.0);
        }
        Ok(total)
    }

    /// Hⱼ·v for the single term j: ∇(∇Lⱼ · v).
    ///
    /// # Errors
    /// A vector of the wrong length or a candle error.
    pub fn term_product(&self, j: usize, v: &Vector) -> Result<Vector> {
        let parts = self.layout.split(v)?;
        let parameters = self.loss.parameters();
        let dot = {
            let grads = self.loss.term(j)?.backward()?;
            let mut dot: Option<Tensor> = None;
            for (p, vp) in parameters.iter().zip(&parts) {
                let Some(g) = grads.get(p.as_tensor()) else {
                    continue;
                };
                let s = g.mul(vp)?.sum_all()?;
                dot = Some(match dot {
                    Some(d) => d.add(&s)?,
                    None => s,
                });
            }
            dot
        };
        self.products.set(self.products.get() + 1);
        let Some(dot) = dot else {
            return Ok(Vector::zeros(self.layout.dim()));
        };
        let second = super::worker::detached_backward(&dot)?;
        let hv: Vec<Option<Tensor>> = parameters
            .iter()
            .map(|p| second.get(p.as_tensor()).cloned())
            .collect();
        self.layout.join(&hv)
    }

    /// H·v = Σⱼ ωⱼ Hⱼ·v.
    ///
    /// # Errors
    /// A vector of the wrong length or a candle error.
    pub fn product(&self, v: &Vector) -> Result<Vector> {
        let mut total = Vector::zeros(self.layout.dim());
        for j in 0..self.loss.len() {
            total.axpy(self.loss.weight(j), &self.term_product(j, v)?, 1.0);
        }
        Ok(total)
    }

    /// Records `e` as the operator's error (the first one wins) and returns NaNs.
    fn failed(&self, e: ExperimentError) -> Vector {
        let mut slot = self.error.borrow_mut();
        if slot.is_none() {
            *slot = Some(e);
        }
        Vector::from_element(self.layout.dim(), f64::NAN)
    }
}

impl<L: LossTerms> LinearOperator for Hvp<L> {
    fn dim(&self) -> usize {
        self.layout.dim()
    }
    fn apply(&self, v: &Vector) -> Vector {
        self.product(v).unwrap_or_else(|e| self.failed(e))
    }
}

/// The dense Hessian [H·e₁, …, H·e_d] of a small loss (d products), symmetrised as
/// (M + Mᵀ)/2; returns the raw matrix's largest asymmetry max|M − Mᵀ| as well.
///
/// # Errors
/// As [`Hvp::product`].
pub fn dense_hessian<L: LossTerms>(hvp: &Hvp<L>) -> Result<(numerics::Matrix, f64)> {
    let d = hvp.layout.dim();
    let mut m = numerics::Matrix::zeros(d, d);
    for i in 0..d {
        let mut e = Vector::zeros(d);
        e[i] = 1.0;
        m.set_column(i, &hvp.product(&e)?);
    }
    let asymmetry = (&m - m.transpose()).abs().max();
    Ok(((&m + m.transpose()) * 0.5, asymmetry))
}
