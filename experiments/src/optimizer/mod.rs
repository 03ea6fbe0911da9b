//! Optimizers on candle variables: SGD, heavy ball (SHB), normalized heavy ball (NSHB)
//! and Nesterov with optional coupled weight decay ([`Momentum`]), and SAM on top of any
//! of them ([`Sam`]), and the Gaussian-smoothed gradient of explicit graduated
//! optimization ([`Smoothed`]). candle-nn's `SGD` has no momentum, so igo writes its own.
//!
//! An optimizer holds the trainable parameters by name (batch-norm running statistics
//! are not parameters and are never updated or decayed here) and its state as detached
//! tensors, so the autograd graph never grows across steps. [`Optimizer`] is the form
//! the training loop drives: one [`Optimizer::step`] per mini-batch, given a closure
//! that evaluates the mini-batch loss at the current weights.

pub mod momentum;
pub mod sam;
pub mod smoothed;

pub use momentum::{Momentum, MomentumConfig, OptimizerKind};
pub use sam::Sam;
pub use smoothed::Smoothed;

use crate::models::Model;
use crate::Result;
use candle_core::Tensor;
use std::collections::BTreeMap;

/// Batch-norm running statistics that a second forward pass in training mode would
/// update: SAM snapshots them before its ascent pass and restores them after, so they
/// are updated once per step.
pub trait Buffers {
    /// A copy of every buffer.
    ///
    /// # Errors
    /// Any candle error.
    fn snapshot(&self) -> Result<Vec<(String, Tensor)>>;
    /// Restores a [`Buffers::snapshot`], bit for bit.
    ///
    /// # Errors
    /// Any candle error.
    fn restore(&self, snapshot: &[(String, Tensor)]) -> Result<()>;
}

impl Buffers for Model {
    fn snapshot(&self) -> Result<Vec<(String, Tensor)>> {
        self.snapshot_buffers()
    }
    fn restore(&self, snapshot: &[(String, Tensor)]) -> Result<()> {
        self.restore_buffers(snapshot)
    }
}

/// No buffers (a model without batch norm, or a bare objective in a test).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBuffers;

impl Buffers for NoBuffers {
    fn snapshot(&self) -> Result<Vec<(String, Tensor)>> {
        Ok(Vec::new())
    }
    fn restore(&self, _snapshot: &[(String, Tensor)]) -> Result<()> {
        Ok(())
    }
}

/// The optimizer of a training run: a momentum method, optionally wrapped in SAM.
#[derive(Debug)]
pub enum Optimizer {
    /// SGD, SHB, NSHB or Nesterov.
    Momentum(Momentum),
    /// SAM with a momentum method as its base optimizer.
    Sam(Sam),
    /// Explicit graduated optimization: a momentum method stepping with the gradient
    /// of the Gaussian-smoothed loss.
    Smoothed(Smoothed),
}

impl Optimizer {
    /// One step on the mini-batch whose loss `loss` evaluates (a forward pass in
    /// training mode at the current weights); returns the loss at the weights before the
    /// step (the value PyTorch's training loops log).
    ///
    /// # Errors
    /// Any candle error from the loss or the update.
    pub fn step(
        &mut self,
        loss: &mut dyn FnMut() -> Result<Tensor>,
        buffers: &dyn Buffers,
    ) -> Result<Tensor> {
        match self {
            Optimizer::Momentum(m) => {
                let value = loss()?;
                let grads = value.backward()?;
                m.step(&grads)?;
                Ok(value)
            }
            Optimizer::Sam(s) => s.step(loss, buffers),
            Optimizer::Smoothed(s) => s.step(loss, buffers),
        }
    }

    /// The momentum method (SAM's base optimizer).
    #[must_use]
    pub fn base(&self) -> &Momentum {
        match self {
            Optimizer::Momentum(m) => m,
            Optimizer::Sam(s) => s.base(),
            Optimizer::Smoothed(s) => s.base(),
        }
    }

    /// The momentum method, mutably (to set η, β or the form between steps).
    pub fn base_mut(&mut self) -> &mut Momentum {
        match self {
            Optimizer::Momentum(m) => m,
            Optimizer::Sam(s) => s.base_mut(),
            Optimizer::Smoothed(s) => s.base_mut(),
        }
    }

    /// The state to checkpoint: momentum buffers by parameter name.
    #[must_use]
    pub fn state(&self) -> BTreeMap<String, Tensor> {
        self.base().state()
    }
}
