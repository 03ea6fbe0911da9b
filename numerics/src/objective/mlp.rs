//! A small multilayer perceptron as a finite sum: f(θ) = (1/N) Σᵢ ℓ(net_θ(xᵢ), yᵢ).
//!
//! The network maps an input of width `widths[0]` through `widths.len() − 1` affine
//! layers; every layer but the last is followed by an elementwise [`Activation`]:
//!
//! * h₀ = xᵢ;
//! * z_l = W_l h_l + b_l, h_{l+1} = φ(z_l) (+ h_l for a residual block, see below),
//!   for the hidden layers l = 0, …, L − 2;
//! * o = z_{L−1} = W_{L−1} h_{L−1} + b_{L−1} (no activation on the output).
//!
//! All weights and biases live in one parameter [`Vector`] θ, layer by layer: first
//! W_l (row-major, `fan_out × fan_in`, entry (r, c) at `weights.start + r·fan_in + c`),
//! then b_l. [`Mlp::layer`] returns these ranges. Because θ is one vector, every
//! optimizer, the Hessian-vector product (finite difference of gradients) and the
//! variance machinery of [`FiniteSum`] work on the network unchanged.
//!
//! Per-sample gradients are computed exactly by hand-written backpropagation.

use super::logistic::{sigmoid, softplus};
use super::{FiniteSum, Objective};
use crate::rng::Rng;
use crate::{Matrix, NumericsError, Result, Vector};
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The elementwise nonlinearity φ of the hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// φ(z) = tanh z, φ'(z) = 1 − tanh² z (smooth).
    Tanh,
    /// φ(z) = max(z, 0), φ'(z) = 1 for z > 0 and 0 for z ≤ 0 (PyTorch's convention at
    /// the kink z = 0). The loss is then only piecewise smooth in θ: the gradient is a
    /// one-sided derivative on the measure-zero set where some pre-activation is 0.
    Relu,
}

impl Activation {
    /// φ(z).
    #[must_use]
    pub fn apply(&self, z: f64) -> f64 {
        match self {
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(0.0),
        }
    }

    /// φ'(z) (ReLU: 0 at z = 0).
    #[must_use]
    pub fn derivative(&self, z: f64) -> f64 {
        match self {
            Activation::Tanh => {
                let t = z.tanh();
                1.0 - t * t
            }
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// The per-sample loss ℓ(o, y) on the network output o.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MlpLoss {
    /// ℓ = ½‖o − y‖² (any output width); ∂ℓ/∂o = o − y.
    MeanSquared,
    /// Binary logistic loss ℓ = log(1 + exp(−y·o)) with one output and y ∈ {−1, +1};
    /// ∂ℓ/∂o = −y·σ(−y·o).
    Logistic,
    /// Softmax cross-entropy ℓ = −Σ_k y_k log softmax(o)_k with K ≥ 2 outputs and a
    /// target probability vector y (one-hot for class labels); ∂ℓ/∂o = softmax(o) − y.
    CrossEntropy,
}

/// Where one affine layer's parameters sit in θ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerLayout {
    /// Input width (fan-in).
    pub fan_in: usize,
    /// Output width (fan-out).
    pub fan_out: usize,
    /// Range of W (row-major, `fan_out × fan_in`) in θ.
    pub weights: Range<usize>,
    /// Range of b in θ.
    pub bias: Range<usize>,
    /// Whether this layer is a residual block h ↦ h + φ(Wh + b).
    pub residual: bool,
}

/// f(θ) = (1/N) Σᵢ ℓ(net_θ(xᵢ), yᵢ) for a fully connected network (see the module doc).
///
/// * `widths` = [d_in, h₁, …, d_out] (at least two entries, all positive);
/// * `activation` = φ of the hidden layers; `loss` = ℓ;
/// * residual blocks (optional, [`Mlp::with_residual`]): a hidden layer l ≥ 1 whose
///   fan-in equals its fan-out computes h_{l+1} = h_l + φ(W_l h_l + b_l). The first
///   layer (input → hidden) and the output layer are never residual.
///
/// Default initialisation ([`Mlp::init_parameters`]) is PyTorch's `nn.Linear` default:
/// every weight and bias uniform on [−1/√fan_in, 1/√fan_in].
///
/// ```
/// use numerics::objective::{Activation, Mlp, MlpLoss, Objective, FiniteSum};
/// use numerics::{Matrix, Seed};
/// // One sample, 2 → 3 → 1 tanh network, squared loss.
/// let x = Matrix::from_row_slice(1, 2, &[0.5, -1.0]);
/// let y = Matrix::from_row_slice(1, 1, &[0.25]);
/// let net = Mlp::new(vec![2, 3, 1], Activation::Tanh, MlpLoss::MeanSquared, x, y).unwrap();
/// assert_eq!(net.num_parameters(), 2 * 3 + 3 + 3 * 1 + 1);
/// let theta = net.init_parameters(&mut Seed(0).stream("init"));
/// let o = net.output(&theta, &[0.5, -1.0]);
/// assert!((net.value(&theta) - 0.5 * (o[0] - 0.25).powi(2)).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    widths: Vec<usize>,
    activation: Activation,
    loss: MlpLoss,
    layers: Vec<LayerLayout>,
    n_params: usize,
    inputs: Matrix,
    targets: Matrix,
}

impl Mlp {
    /// A network with layer widths `widths` = [d_in, …, d_out] on the data set
    /// (`inputs` N × d_in, `targets` N × d_out), without residual blocks.
    ///
    /// # Errors
    /// Fewer than two widths or a zero width; no data; a shape mismatch between the
    /// data and the widths; non-finite data; [`MlpLoss::Logistic`] with d_out ≠ 1 or a
    /// target other than ±1; [`MlpLoss::CrossEntropy`] with d_out < 2 or a target row
    /// that is not a probability vector (entries ≥ 0 summing to 1 within 1e−9).
    pub fn new(
        widths: Vec<usize>,
        activation: Activation,
        loss: MlpLoss,
        inputs: Matrix,
        targets: Matrix,
    ) -> Result<Self> {
        if widths.len() < 2 || widths.contains(&0) {
            return Err(NumericsError::Other(format!(
                "mlp: need at least an input and an output width, all positive (got {widths:?})"
            )));
        }
        let d_in = widths[0];
        let d_out = widths[widths.len() - 1];
        if inputs.nrows() == 0 {
            return Err(NumericsError::Other("mlp: the data set is empty".into()));
        }
        if inputs.ncols() != d_in {
            return Err(NumericsError::DimensionMismatch {
                context: "mlp: input width",
                expected: d_in,
                got: inputs.ncols(),
            });
        }
        if targets.nrows() != inputs.nrows() {
            return Err(NumericsError::DimensionMismatch {
                context: "mlp: number of targets",
                expected: inputs.nrows(),
                got: targets.nrows(),
            });
        }
        if targets.ncols() != d_out {
            return Err(NumericsError::DimensionMismatch {
                context: "mlp: target width",
                expected: d_out,
                got: targets.ncols(),
            });
        }
        if inputs.iter().chain(targets.iter()).any(|v| !v.is_finite()) {
            return Err(NumericsError::NonFinite("mlp data"));
        }
        match loss {
            MlpLoss::MeanSquared => {}
            MlpLoss::Logistic => {
                if d_out != 1 {
                    return Err(NumericsError::DimensionMismatch {
                        context: "mlp: logistic loss needs one output",
                        expected: 1,
                        got: d_out,
                    });
                }
                // Labels must be exactly ±1: an exact comparison is the intended check.
                #[allow(clippy::float_cmp)]
                if let Some(bad) = targets.iter().find(|&&v| v != 1.0 && v != -1.0) {
                    return Err(NumericsError::InvalidParameter {
                        name: "logistic target",
                        allowed: "−1 or +1",
                        value: *bad,
                    });
                }
            }
            MlpLoss::CrossEntropy => {
                crate::error::check_count("cross-entropy output width", d_out, 2)?;
                for r in 0..targets.nrows() {
                    let row = targets.row(r);
                    if row.iter().any(|&v| v < 0.0) || (row.sum() - 1.0).abs() > 1e-9 {
                        return Err(NumericsError::Other(format!(
                            "mlp: cross-entropy target row {r} is not a probability vector"
                        )));
                    }
                }
            }
        }
        let mut layers = Vec::with_capacity(widths.len() - 1);
        let mut offset = 0;
        for w in widths.windows(2) {
            let (fan_in, fan_out) = (w[0], w[1]);
            let weights = offset..offset + fan_in * fan_out;
            let bias = weights.end..weights.end + fan_out;
            offset = bias.end;
            layers.push(LayerLayout {
                fan_in,
                fan_out,
                weights,
                bias,
                residual: false,
            });
        }
        Ok(Self {
            widths,
            activation,
            loss,
            layers,
            n_params: offset,
            inputs,
            targets,
        })
    }

    /// A classifier on `features` (N × d_in) with class `labels` in `0..classes`:
    /// widths [d_in, hidden…, d_out] where the targets are built from the loss:
    ///
    /// * [`MlpLoss::Logistic`] (two classes): d_out = 1, target +1 for class 1, −1 for 0;
    /// * [`MlpLoss::CrossEntropy`]: d_out = `classes`, one-hot targets;
    /// * [`MlpLoss::MeanSquared`]: d_out = `classes`, one-hot targets (regression on
    ///   the indicator vector).
    ///
    /// # Errors
    /// A label out of range, `labels.len() ≠ N`, fewer than two classes, logistic loss
    /// with more than two classes, or anything [`Mlp::new`] rejects.
    pub fn classifier(
        features: Matrix,
        labels: &[usize],
        classes: usize,
        hidden: &[usize],
        activation: Activation,
        loss: MlpLoss,
    ) -> Result<Self> {
        if labels.len() != features.nrows() {
            return Err(NumericsError::DimensionMismatch {
                context: "mlp classifier: number of labels",
                expected: features.nrows(),
                got: labels.len(),
            });
        }
        crate::error::check_count("number of classes", classes, 2)?;
        if let Some(&bad) = labels.iter().find(|&&l| l >= classes) {
            return Err(NumericsError::InvalidParameter {
                name: "class label",
                allowed: "in 0..classes",
                value: bad as f64,
            });
        }
        let n = features.nrows();
        let targets = match loss {
            MlpLoss::Logistic => {
                if classes != 2 {
                    return Err(NumericsError::InvalidParameter {
                        name: "number of classes for logistic loss",
                        allowed: "exactly 2",
                        value: classes as f64,
                    });
                }
                Matrix::from_fn(n, 1, |i, _| if labels[i] == 1 { 1.0 } else { -1.0 })
            }
            MlpLoss::CrossEntropy | MlpLoss::MeanSquared => {
                Matrix::from_fn(n, classes, |i, k| if labels[i] == k { 1.0 } else { 0.0 })
            }
        };
        let mut widths = Vec::with_capacity(hidden.len() + 2);
        widths.push(features.ncols());
        widths.extend_from_slice(hidden);
        widths.push(targets.ncols());
        Self::new(widths, activation, loss, features, targets)
    }

    /// Turns residual blocks on or off: with `true`, every hidden layer l ≥ 1 with
    /// fan-in = fan-out computes h ↦ h + φ(W_l h + b_l).
    #[must_use]
    pub fn with_residual(mut self, residual: bool) -> Self {
        let last = self.layers.len().saturating_sub(1);
        for (l, layer) in self.layers.iter_mut().enumerate() {
            layer.residual = residual && l >= 1 && l < last && layer.fan_in == layer.fan_out;
        }
        self
    }

    /// Number of parameters P = Σ_l (fan_in·fan_out + fan_out).
    #[must_use]
    pub fn num_parameters(&self) -> usize {
        self.n_params
    }

    /// Layer widths [d_in, …, d_out].
    #[must_use]
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// The hidden-layer activation.
    #[must_use]
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The loss.
    #[must_use]
    pub fn loss(&self) -> MlpLoss {
        self.loss
    }

    /// Layout of affine layer `l` in θ (`None` past the last layer).
    #[must_use]
    pub fn layer(&self, l: usize) -> Option<&LayerLayout> {
        self.layers.get(l)
    }

    /// Number of affine layers L.
    #[must_use]
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Inputs (N × d_in).
    #[must_use]
    pub fn inputs(&self) -> &Matrix {
        &self.inputs
    }

    /// Targets (N × d_out).
    #[must_use]
    pub fn targets(&self) -> &Matrix {
        &self.targets
    }

    /// PyTorch's default `nn.Linear` initialisation: every weight and bias of a layer
    /// uniform on [−1/√fan_in, 1/√fan_in], drawn layer by layer from `rng`.
    #[must_use]
    pub fn init_parameters(&self, rng: &mut Rng) -> Vector {
        let mut theta = Vector::zeros(self.n_params);
        for layer in &self.layers {
            let bound = 1.0 / (layer.fan_in as f64).sqrt();
            for j in layer.weights.start..layer.bias.end {
                theta[j] = rng.random_range(-bound..=bound);
            }
        }
        theta
    }

    /// Network output o = net_θ(input). `input` must have length d_in (shorter inputs
    /// are padded with zeros, longer ones truncated). θ must have length P.
    #[must_use]
    pub fn output(&self, theta: &Vector, input: &[f64]) -> Vector {
        let mut ws = Workspace::new(&self.widths);
        let d_in = self.widths[0];
        for (h, &v) in ws.h[0].iter_mut().zip(input.iter().take(d_in)) {
            *h = v;
        }
        self.forward(theta.as_slice(), &mut ws);
        Vector::from_column_slice(&ws.z[self.layers.len() - 1])
    }

    /// Fraction of samples classified correctly (logistic: sign of o; cross-entropy and
    /// squared loss with d_out ≥ 2: argmax of o against argmax of the target row).
    /// `None` for squared loss with one output (regression).
    #[must_use]
    pub fn accuracy(&self, theta: &Vector) -> Option<f64> {
        let d_out = self.widths[self.widths.len() - 1];
        if self.loss == MlpLoss::MeanSquared && d_out == 1 {
            return None;
        }
        let n = self.inputs.nrows();
        let mut ws = Workspace::new(&self.widths);
        let mut correct = 0usize;
        for i in 0..n {
            self.load_input(i, &mut ws);
            self.forward(theta.as_slice(), &mut ws);
            let o = &ws.z[self.layers.len() - 1];
            let ok = if self.loss == MlpLoss::Logistic {
                o[0] * self.targets[(i, 0)] > 0.0
            } else {
                argmax(o.iter().copied()) == argmax(self.targets.row(i).iter().copied())
            };
            correct += usize::from(ok);
        }
        Some(correct as f64 / n as f64)
    }

    /// All per-sample gradients as the rows of an N × P matrix G (row i = ∇fᵢ(θ)ᵀ).
    #[must_use]
    pub fn per_sample_gradients(&self, theta: &Vector) -> Matrix {
        let n = self.inputs.nrows();
        let mut g = Matrix::zeros(n, self.n_params);
        let mut ws = Workspace::new(&self.widths);
        let mut row = vec![0.0; self.n_params];
        for i in 0..n {
            row.iter_mut().for_each(|v| *v = 0.0);
            self.accumulate(i, theta.as_slice(), 1.0, &mut row, &mut ws);
            for (j, &v) in row.iter().enumerate() {
                g[(i, j)] = v;
            }
        }
        g
    }

    /// Adds `scale`·∇fᵢ(θ) to `out` (length P) and returns fᵢ(θ).
    ///
    /// This is the allocation-free building block of every gradient method; use it in
    /// hot loops with a [`Mlp::workspace`].
    pub fn accumulate_sample_gradient(
        &self,
        i: usize,
        theta: &Vector,
        scale: f64,
        out: &mut [f64],
        workspace: &mut MlpWorkspace,
    ) -> f64 {
        self.accumulate(i, theta.as_slice(), scale, out, &mut workspace.0)
    }

    /// Scratch buffers for [`Mlp::accumulate_sample_gradient`].
    #[must_use]
    pub fn workspace(&self) -> MlpWorkspace {
        MlpWorkspace(Workspace::new(&self.widths))
    }

    fn load_input(&self, i: usize, ws: &mut Workspace) {
        for (c, h) in ws.h[0].iter_mut().enumerate() {
            *h = self.inputs[(i, c)];
        }
    }

    /// Forward pass from `ws.h[0]`; fills z_l for all layers and h_l for l ≥ 1.
    fn forward(&self, theta: &[f64], ws: &mut Workspace) {
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let w = &theta[layer.weights.clone()];
            let b = &theta[layer.bias.clone()];
            let (h_lo, h_hi) = ws.h.split_at_mut(l + 1);
            let h = &h_lo[l];
            let z = &mut ws.z[l];
            for r in 0..layer.fan_out {
                let row = &w[r * layer.fan_in..(r + 1) * layer.fan_in];
                z[r] = b[r] + row.iter().zip(h.iter()).map(|(a, c)| a * c).sum::<f64>();
            }
            if l < last {
                let next = &mut h_hi[0];
                for r in 0..layer.fan_out {
                    next[r] = self.activation.apply(z[r]) + if layer.residual { h[r] } else { 0.0 };
                }
            }
        }
    }

    /// ℓ and ∂ℓ/∂o for sample i at output o; writes the derivative into `g`.
    fn loss_and_derivative(&self, i: usize, o: &[f64], g: &mut [f64]) -> f64 {
        match self.loss {
            MlpLoss::MeanSquared => {
                let mut l = 0.0;
                for (k, (gk, &ok)) in g.iter_mut().zip(o).enumerate() {
                    let r = ok - self.targets[(i, k)];
                    *gk = r;
                    l += 0.5 * r * r;
                }
                l
            }
            MlpLoss::Logistic => {
                let y = self.targets[(i, 0)];
                g[0] = -y * sigmoid(-y * o[0]);
                softplus(-y * o[0])
            }
            MlpLoss::CrossEntropy => {
                let m = o.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let s: f64 = o.iter().map(|&v| (v - m).exp()).sum();
                let log_z = m + s.ln();
                let mut l = 0.0;
                for (k, (gk, &ok)) in g.iter_mut().zip(o).enumerate() {
                    let y = self.targets[(i, k)];
                    *gk = (ok - log_z).exp() - y;
                    if y > 0.0 {
                        l -= y * (ok - log_z);
                    }
                }
                l
            }
        }
    }

    /// out += scale·∇fᵢ(θ); returns fᵢ(θ).
    fn accumulate(
        &self,
        i: usize,
        theta: &[f64],
        scale: f64,
        out: &mut [f64],
        ws: &mut Workspace,
    ) -> f64 {
        self.load_input(i, ws);
        self.forward(theta, ws);
        let last = self.layers.len() - 1;
        let loss = {
            let (o, g) = (&ws.z[last], &mut ws.gz[last]);
            self.loss_and_derivative(i, o, g)
        };
        for l in (0..=last).rev() {
            let layer = &self.layers[l];
            // Parameter gradients: ∂W = g_z h_lᵀ, ∂b = g_z.
            {
                let gz = &ws.gz[l];
                let h = &ws.h[l];
                let gw = &mut out[layer.weights.clone()];
                for r in 0..layer.fan_out {
                    let s = scale * gz[r];
                    let row = &mut gw[r * layer.fan_in..(r + 1) * layer.fan_in];
                    for (dst, &hc) in row.iter_mut().zip(h.iter()) {
                        *dst += s * hc;
                    }
                }
                for (dst, &g) in out[layer.bias.clone()].iter_mut().zip(gz.iter()) {
                    *dst += scale * g;
                }
            }
            if l == 0 {
                break;
            }
            // g_{h_l} = W_lᵀ g_{z_l}; then g_{z_{l−1}} = g_{h_l} ⊙ φ'(z_{l−1}), and a
            // residual block l − 1 also passes g_{h_l} straight to h_{l−1} (handled when
            // layer l − 1 computes its g_h).
            let w = &theta[layer.weights.clone()];
            let gh = &mut ws.gh;
            gh[..layer.fan_in].iter_mut().for_each(|v| *v = 0.0);
            for r in 0..layer.fan_out {
                let g = ws.gz[l][r];
                let row = &w[r * layer.fan_in..(r + 1) * layer.fan_in];
                for (dst, &wv) in gh[..layer.fan_in].iter_mut().zip(row) {
                    *dst += g * wv;
                }
            }
            if layer.residual {
                // h_{l+1} = h_l + φ(z_l): ∂/∂h_l also receives g_{h_{l+1}} itself.
                for (dst, &v) in gh[..layer.fan_in].iter_mut().zip(ws.ghr.iter()) {
                    *dst += v;
                }
            }
            let prev = &self.layers[l - 1];
            let (gz_lo, _) = ws.gz.split_at_mut(l);
            let gz_prev = &mut gz_lo[l - 1];
            for r in 0..prev.fan_out {
                gz_prev[r] = gh[r] * self.activation.derivative(ws.z[l - 1][r]);
            }
            // Keep g_{h_l} for a residual layer l − 1.
            if prev.residual {
                ws.ghr[..prev.fan_out].copy_from_slice(&gh[..prev.fan_out]);
            }
        }
        loss
    }
}

/// Scratch buffers of one forward/backward pass of an [`Mlp`] (reuse across samples).
#[derive(Debug, Clone)]
pub struct MlpWorkspace(Workspace);

#[derive(Debug, Clone)]
struct Workspace {
    /// h_l, the input of layer l (`h[0]` = sample input).
    h: Vec<Vec<f64>>,
    /// z_l, the pre-activation of layer l (z[L−1] = output).
    z: Vec<Vec<f64>>,
    /// ∂ℓ/∂z_l.
    gz: Vec<Vec<f64>>,
    /// ∂ℓ/∂h for the layer being processed.
    gh: Vec<f64>,
    /// ∂ℓ/∂h_{l+1} saved for a residual layer l.
    ghr: Vec<f64>,
}

impl Workspace {
    fn new(widths: &[usize]) -> Self {
        let layers = widths.len() - 1;
        let max_w = widths.iter().copied().max().unwrap_or(1);
        Self {
            h: (0..layers).map(|l| vec![0.0; widths[l]]).collect(),
            z: (0..layers).map(|l| vec![0.0; widths[l + 1]]).collect(),
            gz: (0..layers).map(|l| vec![0.0; widths[l + 1]]).collect(),
            gh: vec![0.0; max_w],
            ghr: vec![0.0; max_w],
        }
    }
}

fn argmax(it: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (k, v) in it.enumerate() {
        if v > best.1 {
            best = (k, v);
        }
    }
    best.0
}

impl Objective for Mlp {
    fn dim(&self) -> usize {
        self.n_params
    }
    fn value(&self, theta: &Vector) -> f64 {
        let n = self.inputs.nrows();
        (0..n).map(|i| self.sample_value(i, theta)).sum::<f64>() / n as f64
    }
    fn gradient(&self, theta: &Vector) -> Vector {
        let n = self.inputs.nrows();
        let mut g = vec![0.0; self.n_params];
        let mut ws = Workspace::new(&self.widths);
        let scale = 1.0 / n as f64;
        for i in 0..n {
            self.accumulate(i, theta.as_slice(), scale, &mut g, &mut ws);
        }
        Vector::from_vec(g)
    }
}

impl FiniteSum for Mlp {
    fn n(&self) -> usize {
        self.inputs.nrows()
    }
    fn sample_value(&self, i: usize, theta: &Vector) -> f64 {
        let mut ws = Workspace::new(&self.widths);
        self.load_input(i, &mut ws);
        self.forward(theta.as_slice(), &mut ws);
        let last = self.layers.len() - 1;
        let mut g = vec![0.0; self.widths[self.widths.len() - 1]];
        let o = ws.z[last].clone();
        self.loss_and_derivative(i, &o, &mut g)
    }
    fn sample_gradient(&self, i: usize, theta: &Vector) -> Vector {
        let mut g = vec![0.0; self.n_params];
        let mut ws = Workspace::new(&self.widths);
        self.accumulate(i, theta.as_slice(), 1.0, &mut g, &mut ws);
        Vector::from_vec(g)
    }
    fn minibatch_gradient(&self, batch: &[usize], theta: &Vector) -> Vector {
        let mut g = vec![0.0; self.n_params];
        if batch.is_empty() {
            return Vector::from_vec(g);
        }
        let mut ws = Workspace::new(&self.widths);
        let scale = 1.0 / batch.len() as f64;
        for &i in batch {
            self.accumulate(i, theta.as_slice(), scale, &mut g, &mut ws);
        }
        Vector::from_vec(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::finite_difference_gradient;
    use crate::Seed;
    use rand_distr::{Distribution, StandardNormal};

    fn data(n: usize, d: usize, rng: &mut Rng) -> Matrix {
        Matrix::from_fn(n, d, |_, _| StandardNormal.sample(rng))
    }

    fn check_fd(net: &Mlp, seed: u64, tol: f64) {
        let theta = net.init_parameters(&mut Seed(seed).stream("init"));
        let g = net.gradient(&theta);
        let fd = finite_difference_gradient(net, &theta, 1e-6);
        let err = (&g - &fd).norm();
        assert!(err < tol * g.norm().max(1.0), "‖∇ − FD‖ = {err:e}");
        // The mean of the per-sample gradients is the gradient.
        let per = net.per_sample_gradients(&theta);
        let mean = per.row_mean().transpose();
        assert!((mean - &g).norm() < 1e-13 * g.norm().max(1.0));
    }

    #[test]
    fn mlp_tanh_gradient_matches_central_difference_for_every_loss() {
        let rng = &mut Seed(1).stream("data");
        let x = data(12, 3, rng);
        let labels: Vec<usize> = (0..12).map(|i| i % 3).collect();
        for loss in [MlpLoss::MeanSquared, MlpLoss::CrossEntropy] {
            let net =
                Mlp::classifier(x.clone(), &labels, 3, &[5, 4], Activation::Tanh, loss).unwrap();
            check_fd(&net, 2, 1e-7);
        }
        let two: Vec<usize> = (0..12).map(|i| i % 2).collect();
        let net = Mlp::classifier(x, &two, 2, &[6], Activation::Tanh, MlpLoss::Logistic).unwrap();
        check_fd(&net, 3, 1e-7);
    }

    #[test]
    fn mlp_residual_gradient_matches_central_difference() {
        let rng = &mut Seed(4).stream("data");
        let x = data(10, 2, rng);
        let labels: Vec<usize> = (0..10).map(|i| i % 2).collect();
        let net = Mlp::classifier(
            x,
            &labels,
            2,
            &[4, 4, 4],
            Activation::Tanh,
            MlpLoss::Logistic,
        )
        .unwrap()
        .with_residual(true);
        assert!(!net.layer(0).unwrap().residual);
        assert!(net.layer(1).unwrap().residual && net.layer(2).unwrap().residual);
        assert!(!net.layer(3).unwrap().residual);
        check_fd(&net, 5, 1e-7);
    }

    #[test]
    fn mlp_relu_gradient_matches_central_difference_away_from_kinks() {
        let rng = &mut Seed(6).stream("data");
        let x = data(8, 2, rng);
        let labels: Vec<usize> = (0..8).map(|i| i % 2).collect();
        let net =
            Mlp::classifier(x, &labels, 2, &[7], Activation::Relu, MlpLoss::CrossEntropy).unwrap();
        // With h = 1e−6 a kink is crossed with probability ~1e−5 per unit: negligible.
        check_fd(&net, 7, 1e-6);
    }

    #[test]
    fn mlp_init_is_pytorch_default_range() {
        let x = Matrix::zeros(1, 4);
        let y = Matrix::zeros(1, 2);
        let net = Mlp::new(vec![4, 16, 2], Activation::Relu, MlpLoss::MeanSquared, x, y).unwrap();
        let theta = net.init_parameters(&mut Seed(8).stream("init"));
        let l0 = net.layer(0).unwrap();
        let l1 = net.layer(1).unwrap();
        assert!(theta.as_slice()[l0.weights.start..l0.bias.end]
            .iter()
            .all(|v| v.abs() <= 0.5));
        assert!(theta.as_slice()[l1.weights.start..l1.bias.end]
            .iter()
            .all(|v| v.abs() <= 0.25));
        assert_eq!(net.num_parameters(), 4 * 16 + 16 + 16 * 2 + 2);
    }

    #[test]
    fn mlp_rejects_bad_shapes_and_targets() {
        let x = Matrix::zeros(3, 2);
        assert!(Mlp::new(
            vec![2],
            Activation::Tanh,
            MlpLoss::MeanSquared,
            x.clone(),
            x.clone()
        )
        .is_err());
        assert!(matches!(
            Mlp::new(
                vec![3, 1],
                Activation::Tanh,
                MlpLoss::MeanSquared,
                x.clone(),
                Matrix::zeros(3, 1)
            ),
            Err(NumericsError::DimensionMismatch { .. })
        ));
        assert!(matches!(
            Mlp::new(
                vec![2, 1],
                Activation::Tanh,
                MlpLoss::Logistic,
                x,
                Matrix::zeros(3, 1)
            ),
            Err(NumericsError::InvalidParameter { .. })
        ));
    }
}
