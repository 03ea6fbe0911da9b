//! SGD, heavy ball (SHB), normalized heavy ball (NSHB) and Nesterov momentum on candle
//! variables, with coupled weight decay.
//!
//! For each parameter x with mini-batch gradient ∇f_S(x), weight decay λ, learning rate η
//! and momentum β (buffers start at v = 0):
//!
//! | kind | update |
//! |---|---|
//! | SGD | g = ∇f_S(x) + λx;  x ← x − ηg |
//! | SHB | v ← βv + g;  x ← x − ηv |
//! | SHB + Nesterov | v ← βv + g;  x ← x − η(g + βv) |
//! | NSHB | v ← βv + (1 − β)g;  x ← x − ηv |
//!
//! SGD, SHB and Nesterov are exactly `torch.optim.SGD(lr=η, momentum=β,
//! weight_decay=λ, nesterov=…)` (PyTorch sets the buffer to g on the first step, which
//! is βv + g with v = 0). NSHB is the authors' `nshb.py` (arXiv 2412.11501, spec §6.3;
//! from Kipok/understanding-momentum): the buffer starts at 0, so v₁ = (1 − β)g.
//! `torch.optim.SGD(momentum=β, dampening=β)` has the same recursion but starts from
//! v₁ = g (PyTorch skips dampening on the first step), a difference that decays as βᵏ.
//! (Dampening 1 − β, sometimes quoted, gives v ← βv + βg: not NSHB.)
//!
//! The buffers are detached tensors keyed by parameter name: the autograd graph never
//! grows across steps, and they are the optimizer's whole state ([`Momentum::state`]).

use crate::{ExperimentError, Result};
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which momentum method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// Plain SGD (β = 0, no buffer).
    Sgd,
    /// Stochastic heavy ball v ← βv + g (PyTorch `SGD(momentum=β)`).
    Shb,
    /// Normalized heavy ball v ← βv + (1 − β)g.
    Nshb,
}

impl OptimizerKind {
    /// "sgd", "shb", "nshb".
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Shb => "shb",
            OptimizerKind::Nshb => "nshb",
        }
    }

    /// The optimizer whose noise form defines δ in `numerics`.
    #[must_use]
    pub fn noise_optimizer(&self) -> numerics::schedule::Optimizer {
        match self {
            OptimizerKind::Sgd => numerics::schedule::Optimizer::Sgd,
            OptimizerKind::Shb => numerics::schedule::Optimizer::Shb,
            OptimizerKind::Nshb => numerics::schedule::Optimizer::Nshb,
        }
    }

    /// The kind for a `numerics` optimizer.
    #[must_use]
    pub fn from_noise_optimizer(optimizer: numerics::schedule::Optimizer) -> Self {
        match optimizer {
            numerics::schedule::Optimizer::Sgd => OptimizerKind::Sgd,
            numerics::schedule::Optimizer::Shb => OptimizerKind::Shb,
            numerics::schedule::Optimizer::Nshb => OptimizerKind::Nshb,
        }
    }
}

/// Hyperparameters of a [`Momentum`] optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MomentumConfig {
    /// The method.
    pub kind: OptimizerKind,
    /// η > 0.
    pub learning_rate: f64,
    /// β ∈ [0, 1); must be 0 for SGD.
    pub momentum: f64,
    /// Nesterov look-ahead x ← x − η(g + βv) (SHB only).
    pub nesterov: bool,
    /// Coupled weight decay λ ≥ 0, added to the gradient: g = ∇f_S(x) + λx.
    pub weight_decay: f64,
}

impl MomentumConfig {
    /// Plain SGD with learning rate η.
    #[must_use]
    pub fn sgd(learning_rate: f64) -> Self {
        Self {
            kind: OptimizerKind::Sgd,
            learning_rate,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        }
    }

    /// `kind` with learning rate η and momentum β, no Nesterov, no weight decay.
    #[must_use]
    pub fn new(kind: OptimizerKind, learning_rate: f64, momentum: f64) -> Self {
        Self {
            kind,
            learning_rate,
            momentum,
            nesterov: false,
            weight_decay: 0.0,
        }
    }
}

fn check_learning_rate(eta: f64) -> Result<()> {
    if eta.is_finite() && eta >= 0.0 {
        Ok(())
    } else {
        Err(ExperimentError::config(
            "optimizer.learning_rate",
            format!("{eta}: must be finite and ≥ 0"),
        ))
    }
}

fn check_momentum(kind: OptimizerKind, beta: f64) -> Result<()> {
    if !(0.0..1.0).contains(&beta) {
        return Err(ExperimentError::config(
            "optimizer.momentum",
            format!("{beta}: must be in [0, 1)"),
        ));
    }
    if kind == OptimizerKind::Sgd && beta > 0.0 {
        return Err(ExperimentError::config(
            "optimizer.momentum",
            format!("{beta}: plain SGD has no momentum (use kind = \"shb\" or \"nshb\")"),
        ));
    }
    Ok(())
}

/// SGD / SHB / NSHB / Nesterov with coupled weight decay on a list of candle variables
/// (see the module docs for the formulas).
#[derive(Debug)]
pub struct Momentum {
    params: Vec<(String, Var)>,
    config: MomentumConfig,
    buffers: BTreeMap<String, Tensor>,
    steps: u64,
}

impl Momentum {
    /// An optimizer for `params` (name, variable): the trainable parameters only, never
    /// batch-norm running statistics.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] naming the key for η < 0, β ∉ [0, 1), β ≠ 0 with SGD,
    /// Nesterov without SHB, or λ < 0.
    pub fn new(params: Vec<(String, Var)>, config: MomentumConfig) -> Result<Self> {
        check_learning_rate(config.learning_rate)?;
        check_momentum(config.kind, config.momentum)?;
        if config.nesterov && config.kind != OptimizerKind::Shb {
            return Err(ExperimentError::config(
                "optimizer.nesterov",
                format!(
                    "Nesterov momentum needs kind = \"shb\", not \"{}\"",
                    config.kind.name()
                ),
            ));
        }
        if !(config.weight_decay.is_finite() && config.weight_decay >= 0.0) {
            return Err(ExperimentError::config(
                "optimizer.weight_decay",
                format!("{}: must be finite and ≥ 0", config.weight_decay),
            ));
        }
        Ok(Self {
            params,
            config,
            buffers: BTreeMap::new(),
            steps: 0,
        })
    }

    /// The hyperparameters.
    #[must_use]
    pub fn config(&self) -> &MomentumConfig {
        &self.config
    }

    /// η.
    #[must_use]
    pub fn learning_rate(&self) -> f64 {
        self.config.learning_rate
    }

    /// Sets η for the next steps.
    ///
    /// # Errors
    /// η negative or not finite.
    pub fn set_learning_rate(&mut self, learning_rate: f64) -> Result<()> {
        check_learning_rate(learning_rate)?;
        self.config.learning_rate = learning_rate;
        Ok(())
    }

    /// β.
    #[must_use]
    pub fn momentum(&self) -> f64 {
        self.config.momentum
    }

    /// Sets β for the next steps (the buffers are kept).
    ///
    /// # Errors
    /// β ∉ [0, 1), or β ≠ 0 for SGD.
    pub fn set_momentum(&mut self, momentum: f64) -> Result<()> {
        check_momentum(self.config.kind, momentum)?;
        self.config.momentum = momentum;
        Ok(())
    }

    /// The method.
    #[must_use]
    pub fn kind(&self) -> OptimizerKind {
        self.config.kind
    }

    /// Switches the method, keeping the buffers (Algorithm 6 as run by igo-aaai25 turns
    /// NSHB into SHB after the first epoch); switching to SGD sets β = 0 and drops them.
    ///
    /// # Errors
    /// Nesterov is on and the new kind is not SHB.
    pub fn set_kind(&mut self, kind: OptimizerKind) -> Result<()> {
        if self.config.nesterov && kind != OptimizerKind::Shb {
            return Err(ExperimentError::config(
                "optimizer.nesterov",
                format!(
                    "Nesterov momentum needs kind = \"shb\", not \"{}\"",
                    kind.name()
                ),
            ));
        }
        if kind == OptimizerKind::Sgd {
            self.config.momentum = 0.0;
            self.buffers.clear();
        }
        self.config.kind = kind;
        Ok(())
    }

    /// Sets every momentum buffer back to 0 (as re-creating a PyTorch optimizer does).
    pub fn reset_buffers(&mut self) {
        self.buffers.clear();
    }

    /// Number of steps taken.
    #[must_use]
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The parameters this optimizer updates.
    #[must_use]
    pub fn parameters(&self) -> &[(String, Var)] {
        &self.params
    }

    /// One update with the gradients in `grads` (a parameter without a gradient is left
    /// unchanged and its buffer is not touched).
    ///
    /// # Errors
    /// Any candle error.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        let MomentumConfig {
            kind,
            learning_rate: eta,
            momentum: beta,
            nesterov,
            weight_decay,
        } = self.config;
        for (name, var) in &self.params {
            let Some(grad) = grads.get(var.as_tensor()) else {
                continue;
            };
            let x = var.as_tensor().detach();
            let g = if weight_decay > 0.0 {
                (grad.detach() + x.affine(weight_decay, 0.0)?)?
            } else {
                grad.detach()
            };
            let direction = match kind {
                OptimizerKind::Sgd => g,
                OptimizerKind::Shb => {
                    let v = match self.buffers.get(name) {
                        Some(v) => (v.affine(beta, 0.0)? + &g)?,
                        None => g.clone(),
                    };
                    self.buffers.insert(name.clone(), v.clone());
                    if nesterov {
                        (g + v.affine(beta, 0.0)?)?
                    } else {
                        v
                    }
                }
                OptimizerKind::Nshb => {
                    let scaled = g.affine(1.0 - beta, 0.0)?;
                    let v = match self.buffers.get(name) {
                        Some(v) => (v.affine(beta, 0.0)? + scaled)?,
                        None => scaled,
                    };
                    self.buffers.insert(name.clone(), v.clone());
                    v
                }
            };
            var.set(&(x - direction.affine(eta, 0.0)?)?)?;
        }
        self.steps += 1;
        Ok(())
    }

    /// The momentum buffers by parameter name (empty before the first step and for SGD).
    #[must_use]
    pub fn state(&self) -> BTreeMap<String, Tensor> {
        self.buffers.clone()
    }

    /// Replaces the buffers by `state` (from [`Momentum::state`] of an optimizer over the
    /// same parameters), and the step count by `steps`.
    ///
    /// # Errors
    /// A buffer for an unknown parameter or of the wrong shape.
    pub fn load_state(&mut self, state: BTreeMap<String, Tensor>, steps: u64) -> Result<()> {
        for (name, t) in &state {
            let var = self
                .params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    ExperimentError::Other(format!(
                        "optimizer state holds a buffer for unknown parameter '{name}'"
                    ))
                })?;
            if t.dims() != var.dims() {
                return Err(ExperimentError::Other(format!(
                    "optimizer buffer '{name}' has shape {:?}, the parameter {:?}",
                    t.dims(),
                    var.dims()
                )));
            }
        }
        let mut loaded = BTreeMap::new();
        for (name, t) in state {
            let var = self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
            let (dtype, device) = match var {
                Some(v) => (v.dtype(), v.device().clone()),
                None => continue,
            };
            loaded.insert(name, t.to_dtype(dtype)?.to_device(&device)?);
        }
        self.buffers = loaded;
        self.steps = steps;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use candle_core::{DType, Device};

    /// f(x) = ½ Σ h_j x_j², ∇f = h ⊙ x, as a candle graph.
    fn quadratic_grads(x: &Var, h: &[f64]) -> GradStore {
        let hv = Tensor::new(h, &Device::Cpu).unwrap();
        let f = (x.as_tensor().sqr().unwrap() * hv)
            .unwrap()
            .sum_all()
            .unwrap()
            .affine(0.5, 0.0)
            .unwrap();
        f.backward().unwrap()
    }

    fn values(x: &Var) -> Vec<f64> {
        x.as_tensor().to_vec1::<f64>().unwrap()
    }

    /// Runs `steps` steps of `config` on ½Σh_j x_j² from x0, returning the iterates.
    fn run(config: MomentumConfig, h: &[f64], x0: &[f64], steps: usize) -> Vec<Vec<f64>> {
        let x = Var::from_tensor(&Tensor::new(x0, &Device::Cpu).unwrap()).unwrap();
        let mut opt = Momentum::new(vec![("x".into(), x.clone())], config).unwrap();
        let mut out = vec![values(&x)];
        for _ in 0..steps {
            let grads = quadratic_grads(&x, h);
            opt.step(&grads).unwrap();
            out.push(values(&x));
        }
        out
    }

    #[test]
    fn sgd_on_a_quadratic_contracts_by_one_minus_eta_h() {
        // x_k = (1 − ηh)^k x₀ per coordinate.
        let (eta, h, x0) = (0.1, [2.0, 0.5], [1.0, -3.0]);
        let xs = run(MomentumConfig::sgd(eta), &h, &x0, 5);
        for (k, x) in xs.iter().enumerate() {
            for j in 0..2 {
                let expected = (1.0 - eta * h[j]).powi(k as i32) * x0[j];
                assert_relative_eq!(x[j], expected, max_relative = 1e-14);
            }
        }
    }

    /// The heavy-ball recursion on a 1-D quadratic, written out by hand:
    /// v_k = a v_{k−1} + c h x_{k−1}, x_k = x_{k−1} − η(look-ahead).
    fn heavy_ball_by_hand(config: MomentumConfig, h: f64, x0: f64, steps: usize) -> Vec<f64> {
        let MomentumConfig {
            kind,
            learning_rate: eta,
            momentum: beta,
            nesterov,
            weight_decay: lambda,
        } = config;
        let (mut x, mut v) = (x0, 0.0);
        let mut out = vec![x];
        for _ in 0..steps {
            let g = h * x + lambda * x;
            let d = match kind {
                OptimizerKind::Sgd => g,
                OptimizerKind::Shb => {
                    v = beta * v + g;
                    if nesterov {
                        g + beta * v
                    } else {
                        v
                    }
                }
                OptimizerKind::Nshb => {
                    v = beta * v + (1.0 - beta) * g;
                    v
                }
            };
            x -= eta * d;
            out.push(x);
        }
        out
    }

    #[test]
    fn momentum_methods_match_their_recursions_on_a_quadratic() {
        let (eta, beta, h, x0) = (0.05, 0.9, 3.0, 2.0);
        for (kind, nesterov, lambda) in [
            (OptimizerKind::Sgd, false, 0.0),
            (OptimizerKind::Sgd, false, 0.1),
            (OptimizerKind::Shb, false, 0.0),
            (OptimizerKind::Shb, true, 0.0),
            (OptimizerKind::Shb, false, 0.1),
            (OptimizerKind::Nshb, false, 0.0),
            (OptimizerKind::Nshb, false, 0.1),
        ] {
            let beta = if kind == OptimizerKind::Sgd {
                0.0
            } else {
                beta
            };
            let config = MomentumConfig {
                kind,
                learning_rate: eta,
                momentum: beta,
                nesterov,
                weight_decay: lambda,
            };
            let got = run(config, &[h], &[x0], 30);
            let want = heavy_ball_by_hand(config, h, x0, 30);
            for (a, b) in got.iter().zip(&want) {
                assert_relative_eq!(a[0], *b, max_relative = 1e-12, epsilon = 1e-15);
            }
        }
    }

    #[test]
    fn shb_has_the_closed_form_of_its_linear_recursion() {
        // SHB on ½hx² is the linear map (x, v) ↦ ((1 − ηh)x − ηβv, hx + βv) on the state
        // (x_{k−1}, v_{k−1}); its iterates are z_k = M^k z_0. Compare with x_k from the
        // eigen-decomposition of M (distinct real eigenvalues for these values).
        let (eta, beta, h, x0) = (0.1, 0.2, 1.0, 1.0);
        // M = [[1 − ηh − ... ]]: write x_k = x_{k−1} − η(βv_{k−1} + h x_{k−1}),
        // v_k = βv_{k−1} + h x_{k−1}.
        let m: [[f64; 2]; 2] = [[1.0 - eta * h, -eta * beta], [h, beta]];
        let tr = m[0][0] + m[1][1];
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        let disc = (tr * tr - 4.0 * det).sqrt();
        let (l1, l2) = ((tr + disc) / 2.0, (tr - disc) / 2.0);
        // x_k = A l1^k + B l2^k with x_0 = x0, x_1 = (1 − ηh)x0.
        let x1 = (1.0 - eta * h) * x0;
        let b = (x1 - l1 * x0) / (l2 - l1);
        let a = x0 - b;
        let got = run(
            MomentumConfig::new(OptimizerKind::Shb, eta, beta),
            &[h],
            &[x0],
            20,
        );
        for (k, x) in got.iter().enumerate() {
            let want = a * l1.powi(k as i32) + b * l2.powi(k as i32);
            assert_relative_eq!(x[0], want, max_relative = 1e-10, epsilon = 1e-14);
        }
    }

    #[test]
    fn invalid_hyperparameters_name_their_key() {
        let x = Var::zeros(2, DType::F64, &Device::Cpu).unwrap();
        let p = || vec![("x".to_string(), x.clone())];
        let bad = |config: MomentumConfig, key: &str| match Momentum::new(p(), config) {
            Err(ExperimentError::Config { key: k, .. }) => assert_eq!(k, key),
            other => panic!("{other:?}"),
        };
        bad(
            MomentumConfig::new(OptimizerKind::Shb, 0.1, 1.2),
            "optimizer.momentum",
        );
        bad(
            MomentumConfig::new(OptimizerKind::Sgd, 0.1, 0.5),
            "optimizer.momentum",
        );
        bad(MomentumConfig::sgd(-1.0), "optimizer.learning_rate");
        let mut c = MomentumConfig::new(OptimizerKind::Nshb, 0.1, 0.5);
        c.nesterov = true;
        bad(c, "optimizer.nesterov");
        let mut c = MomentumConfig::sgd(0.1);
        c.weight_decay = -1.0;
        bad(c, "optimizer.weight_decay");
        let mut ok = Momentum::new(p(), MomentumConfig::new(OptimizerKind::Shb, 0.1, 0.9)).unwrap();
        assert!(ok.set_momentum(1.0).is_err());
        assert!(ok.set_learning_rate(f64::NAN).is_err());
        ok.set_momentum(0.5).unwrap();
        assert_relative_eq!(ok.momentum(), 0.5);
    }

    #[test]
    fn buffers_are_detached_and_restorable() {
        let (h, x0) = ([2.0, 1.0], [1.0, 1.0]);
        let config = MomentumConfig::new(OptimizerKind::Shb, 0.1, 0.9);
        let x = Var::from_tensor(&Tensor::new(&x0, &Device::Cpu).unwrap()).unwrap();
        let mut a = Momentum::new(vec![("x".into(), x.clone())], config).unwrap();
        for _ in 0..3 {
            a.step(&quadratic_grads(&x, &h)).unwrap();
        }
        let state = a.state();
        assert!(!state["x"].track_op());
        // A second optimizer restored from the state continues identically.
        let y = Var::from_tensor(&x.as_tensor().copy().unwrap()).unwrap();
        let mut b = Momentum::new(vec![("x".into(), y.clone())], config).unwrap();
        b.load_state(state, a.steps()).unwrap();
        for _ in 0..3 {
            a.step(&quadratic_grads(&x, &h)).unwrap();
            b.step(&quadratic_grads(&y, &h)).unwrap();
        }
        assert_eq!(values(&x), values(&y));
        assert_eq!(b.steps(), 6);
    }
}
