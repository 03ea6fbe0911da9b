//! The ResNet basic block of He et al. (2016), post-activation, with a projection
//! shortcut where the shape changes, and the helpers the ResNets share.
//!
//! y = relu(bn2(conv2(relu(bn1(conv1(x))))) + s(x)), with conv1 3×3 of stride `stride`,
//! conv2 3×3 of stride 1 (both padding 1, no bias), and s(x) = x, or, when the stride is
//! not 1 or the width changes, s(x) = bn(conv1×1,stride(x)) ("option B").
//!
//! Names: `conv1`, `bn1`, `conv2`, `bn2`, and the shortcut `{shortcut}.0` (conv) /
//! `{shortcut}.1` (batch norm), where `shortcut` is `"shortcut"` in kuangliu/pytorch-cifar
//! `models/resnet.py` and `"downsample"` in torchvision `models/resnet.py`.
//!
//! ## Reference
//! K. He, X. Zhang, S. Ren, J. Sun, *Deep Residual Learning for Image Recognition*,
//! CVPR 2016, <https://arxiv.org/abs/1512.03385>.

use crate::ops;
use crate::ops::Conv2d;
use candle_core::{DType, Module, ModuleT, Tensor, Var};
use candle_nn::{batch_norm, BatchNorm, BatchNormConfig, VarBuilder};

/// A k×k convolution without bias, padding `padding`, stride `stride` (PyTorch
/// `nn.Conv2d(cin, cout, k, stride, padding, bias=False)`); weight (cout, cin, k, k),
/// created like candle-nn's `conv2d_no_bias` (the models re-initialise it from igo's
/// seeded RNG), run on igo's fast CPU convolution ([`crate::ops::conv2d()`]).
///
/// # Errors
/// A candle error while creating the variable.
pub fn conv(
    cin: usize,
    cout: usize,
    k: usize,
    stride: usize,
    padding: usize,
    vb: VarBuilder<'_>,
) -> candle_core::Result<Conv2d> {
    let weight = vb.get_with_hints(
        (cout, cin, k, k),
        "weight",
        candle_nn::init::DEFAULT_KAIMING_NORMAL,
    )?;
    Ok(Conv2d::new(weight, padding, stride))
}

/// PyTorch's `nn.BatchNorm2d(c)` on candle-nn's [`BatchNorm`]: eps 1e-5, momentum 0.1,
/// affine; `weight`, `bias`, `running_mean`, `running_var` are variables of the VarMap.
///
/// Train mode normalises with the batch statistics (biased variance) and updates
/// running ← 0.9·running + 0.1·batch (unbiased variance for `running_var`); eval mode
/// uses the running statistics. Like PyTorch, train mode refuses a batch with one value
/// per channel (B·H·W = 1), whose unbiased variance would be 0/0 and poison the running
/// variance.
///
/// On CPU in train mode the forward and backward run as one fused op
/// ([`crate::ops::batch_norm_train`], differentiable twice on second-order threads);
/// elsewhere candle-nn's composite batch norm runs. Both update the running averages
/// the same way. Eval mode is the per-channel affine map a·x + b
/// ([`crate::ops::channel_affine()`]: one op on CPU, broadcast ops elsewhere).
#[derive(Debug, Clone)]
pub struct BatchNorm2d {
    inner: BatchNorm,
    running_mean: Var,
    running_var: Var,
}

impl BatchNorm2d {
    /// relu(bn(x)), fused into one op where [`BatchNorm2d`] fuses.
    ///
    /// # Errors
    /// As [`ModuleT::forward_t`].
    pub fn forward_relu_t(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        match self.fused(x, train, true)? {
            Some(y) => Ok(y),
            None => ops::relu(&self.forward_t(x, train)?),
        }
    }

    /// The fused training forward, or `None` where it does not apply (eval mode, another
    /// device or dtype, a second-order thread, or candle's ops chosen).
    fn fused(&self, x: &Tensor, train: bool, relu: bool) -> candle_core::Result<Option<Tensor>> {
        if !train
            || !x.device().is_cpu()
            || !matches!(x.dtype(), DType::F32 | DType::F64)
            || ops::implementation() != ops::Implementation::Igo
        {
            return Ok(None);
        }
        // The fused ReLU is first-order only (see `ops::batch_norm`).
        if relu && ops::second_order_thread() {
            return self
                .fused(x, train, false)?
                .map(|y| ops::relu(&y))
                .transpose();
        }
        check_batch(x)?;
        let Some((gamma, beta)) = self.inner.weight_and_bias() else {
            return Ok(None);
        };
        let (y, stats) = ops::batch_norm_train(x, gamma, beta, self.inner.eps(), relu)?;
        // running ← (1 − m)·running + m·batch, with the unbiased variance σ²·M/(M − 1),
        // as candle-nn and PyTorch do.
        let m = self.inner.momentum();
        let count = stats.count as f64;
        let update = |var: &Var, batch: Vec<f64>| -> candle_core::Result<()> {
            let old = var.as_tensor();
            let batch =
                Tensor::from_vec(batch, old.shape(), old.device())?.to_dtype(old.dtype())?;
            var.set(&((old * (1.0 - m))? + (batch * m)?)?)
        };
        update(&self.running_mean, stats.mean)?;
        let unbiased = stats
            .var
            .iter()
            .map(|v| v * count / (count - 1.0))
            .collect();
        update(&self.running_var, unbiased)?;
        Ok(Some(y))
    }
}

/// Refuses a training batch with one value per channel (module docs of [`BatchNorm2d`]).
fn check_batch(x: &Tensor) -> candle_core::Result<()> {
    let channels = x.dim(1)?;
    if x.elem_count() <= channels {
        candle_core::bail!(
            "batch norm: expected more than 1 value per channel when training, got input of shape {:?} (use a batch of 2 or more, or eval mode)",
            x.dims()
        )
    }
    Ok(())
}

impl ModuleT for BatchNorm2d {
    fn forward_t(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        if let Some(y) = self.fused(x, train, false)? {
            return Ok(y);
        }
        if train {
            check_batch(x)?;
            return self.inner.forward_t(x, train);
        }
        // Eval mode: y = a·x + b per channel with a = γ/√(σ²_run + ε), b = β − μ_run·a,
        // one op on CPU (ops::channel_affine). The running statistics are constants here.
        let inv_std = (self.running_var.as_tensor().detach() + self.inner.eps())?
            .sqrt()?
            .recip()?;
        let mean = self.running_mean.as_tensor().detach();
        let (a, b) = match self.inner.weight_and_bias() {
            Some((gamma, beta)) => {
                let a = (gamma * inv_std)?;
                let b = (beta - (&mean * &a)?)?;
                (a, b)
            }
            None => {
                let b = (&mean * &inv_std)?.neg()?;
                (inv_std, b)
            }
        };
        ops::channel_affine(x, &a, &b)
    }
}

/// A [`BatchNorm2d`] of `c` channels.
///
/// # Errors
/// A candle error while creating the variables.
pub fn bn(c: usize, vb: VarBuilder<'_>) -> candle_core::Result<BatchNorm2d> {
    let inner = batch_norm(c, BatchNormConfig::default(), vb)?;
    let running_mean = Var::from_tensor(inner.running_mean())?;
    let running_var = Var::from_tensor(inner.running_var())?;
    Ok(BatchNorm2d {
        inner,
        running_mean,
        running_var,
    })
}

/// Global average pooling (B, C, H, W) → (B, C). On the map sizes the reference models
/// see (4×4 for kuangliu's ResNets at 32×32, 8×8 for WRN, any for torchvision's adaptive
/// pool) it equals their `avg_pool2d`; on smaller inputs (8×8 digits) it still applies.
///
/// # Errors
/// A candle error (input not of rank 4).
pub fn global_avg_pool(x: &Tensor) -> candle_core::Result<Tensor> {
    x.mean((2, 3))
}

/// One basic block (module docs).
#[derive(Debug, Clone)]
pub struct BasicBlock {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    conv2: Conv2d,
    bn2: BatchNorm2d,
    shortcut: Option<(Conv2d, BatchNorm2d)>,
}

impl BasicBlock {
    /// A block from `cin` to `cout` channels with stride `stride`; the projection
    /// shortcut, when needed, is named `{shortcut}.0` / `{shortcut}.1`.
    ///
    /// # Errors
    /// A candle error while creating the variables.
    pub fn new(
        cin: usize,
        cout: usize,
        stride: usize,
        shortcut: &str,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        let projection = if stride != 1 || cin != cout {
            let s = vb.pp(shortcut);
            Some((
                conv(cin, cout, 1, stride, 0, s.pp("0"))?,
                bn(cout, s.pp("1"))?,
            ))
        } else {
            None
        };
        Ok(Self {
            conv1: conv(cin, cout, 3, stride, 1, vb.pp("conv1"))?,
            bn1: bn(cout, vb.pp("bn1"))?,
            conv2: conv(cout, cout, 3, 1, 1, vb.pp("conv2"))?,
            bn2: bn(cout, vb.pp("bn2"))?,
            shortcut: projection,
        })
    }

    /// y = relu(bn2(conv2(relu(bn1(conv1(x))))) + s(x)).
    ///
    /// # Errors
    /// A candle error.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let h = self.bn1.forward_relu_t(&self.conv1.forward(x)?, train)?;
        let h = self.bn2.forward_t(&self.conv2.forward(&h)?, train)?;
        let s = match &self.shortcut {
            Some((c, b)) => b.forward_t(&c.forward(x)?, train)?,
            None => x.clone(),
        };
        ops::add_relu(&h, &s)
    }
}

/// A stage `{prefix}.0`, `{prefix}.1`, …: `blocks` basic blocks, the first from `cin`
/// to `cout` with stride `stride`, the others `cout` → `cout` with stride 1
/// (kuangliu `_make_layer`, torchvision `ResNet._make_layer`).
///
/// # Errors
/// A candle error while creating the variables.
pub fn stage(
    cin: usize,
    cout: usize,
    blocks: usize,
    stride: usize,
    shortcut: &str,
    vb: VarBuilder<'_>,
) -> candle_core::Result<Vec<BasicBlock>> {
    (0..blocks)
        .map(|i| {
            let (c, s) = if i == 0 { (cin, stride) } else { (cout, 1) };
            BasicBlock::new(c, cout, s, shortcut, vb.pp(i.to_string()))
        })
        .collect()
}

/// Runs the blocks of a stage in order.
///
/// # Errors
/// A candle error.
pub fn forward_stage(blocks: &[BasicBlock], x: Tensor, train: bool) -> candle_core::Result<Tensor> {
    blocks.iter().try_fold(x, |h, b| b.forward_t(&h, train))
}
