//! Wide residual network WRN-d-k (Zagoruyko & Komodakis 2016), e.g. WRN-28-10, with the
//! names of xternalz/WideResNet-pytorch `wideresnet.py`, the common PyTorch
//! implementation.
//!
//! x → `conv1` (3×3, 16) → `block1` (n blocks, 16k, stride 1) → `block2` (n, 32k,
//! stride 2) → `block3` (n, 64k, stride 2) → relu(`bn1`) → global average pool → `fc`,
//! with n = (d − 4)/6. Each block is pre-activation ("BasicBlock" of `wideresnet.py`):
//!
//! * same width in and out: y = x + conv2(relu(bn2(conv1(relu(bn1(x))))));
//! * width changes: a = relu(bn1(x)); y = convShortcut(a) + conv2(relu(bn2(conv1(a)))),
//!   the 1×1 shortcut applied to the *activated* input, as in that file.
//!
//! Names: `conv1.weight`, `block{1,2,3}.layer.{i}.{bn1,conv1,bn2,conv2}`,
//! `block{1,2,3}.layer.0.convShortcut.weight`, `bn1.*`, `fc.{weight,bias}`; convolutions
//! have no bias. Dropout is 0 (the file's default, `dropRate=0.0`) and not implemented:
//! candle's dropout draws from its own unseedable generator.
//!
//! Initialisation: that file's ([`super::init::InitScheme::WideResnet`]): convolutions
//! N(0, 2/(k²·out_channels)), batch norm 1/0, `fc.bias` 0, `fc.weight` PyTorch's default.
//!
//! ## Reference
//! S. Zagoruyko, N. Komodakis, *Wide Residual Networks*, BMVC 2016,
//! <https://arxiv.org/abs/1605.07146>; xternalz/WideResNet-pytorch `wideresnet.py`.

use super::basic_block::{bn, conv, global_avg_pool, BatchNorm2d};
use super::Network;
use crate::ops::Conv2d;
use candle_core::{Module, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

/// Number of blocks per group n of a WRN-`depth`, or `None` if depth ≠ 6n + 4 with n ≥ 1.
#[must_use]
pub fn blocks_per_group(depth: usize) -> Option<usize> {
    (depth >= 10 && (depth - 4) % 6 == 0).then(|| (depth - 4) / 6)
}

/// One pre-activation block of `wideresnet.py`.
#[derive(Debug, Clone)]
struct WideBlock {
    bn1: BatchNorm2d,
    conv1: Conv2d,
    bn2: BatchNorm2d,
    conv2: Conv2d,
    shortcut: Option<Conv2d>,
}

impl WideBlock {
    fn new(
        cin: usize,
        cout: usize,
        stride: usize,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        let shortcut = if cin == cout {
            None
        } else {
            Some(conv(cin, cout, 1, stride, 0, vb.pp("convShortcut"))?)
        };
        Ok(Self {
            bn1: bn(cin, vb.pp("bn1"))?,
            conv1: conv(cin, cout, 3, stride, 1, vb.pp("conv1"))?,
            bn2: bn(cout, vb.pp("bn2"))?,
            conv2: conv(cout, cout, 3, 1, 1, vb.pp("conv2"))?,
            shortcut,
        })
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let a = self.bn1.forward_relu_t(x, train)?;
        let h = self.conv1.forward(&a)?;
        let h = self.conv2.forward(&self.bn2.forward_relu_t(&h, train)?)?;
        match &self.shortcut {
            Some(c) => c.forward(&a)? + h,
            None => x + h,
        }
    }
}

/// WRN-d-k (module docs).
#[derive(Debug, Clone)]
pub struct WideResNet {
    conv1: Conv2d,
    groups: Vec<Vec<WideBlock>>,
    bn1: BatchNorm2d,
    fc: Linear,
}

impl WideResNet {
    /// WRN-`depth`-`widen` on `in_channels`-channel images.
    ///
    /// # Errors
    /// A depth not of the form 6n+4 (n ≥ 1), a zero widen factor, or a candle error.
    pub fn new(
        in_channels: usize,
        depth: usize,
        widen: usize,
        classes: usize,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        let Some(n) = blocks_per_group(depth) else {
            candle_core::bail!(
                "a wide ResNet has depth 6n+4 with n ≥ 1 (10, 16, 22, 28, …), got {depth}"
            )
        };
        if widen == 0 || in_channels == 0 {
            candle_core::bail!("the widen factor and the input channels must be positive")
        }
        let channels = [16, 16 * widen, 32 * widen, 64 * widen];
        let conv1 = conv(in_channels, channels[0], 3, 1, 1, vb.pp("conv1"))?;
        let mut groups = Vec::with_capacity(3);
        for g in 0..3 {
            let stride = if g == 0 { 1 } else { 2 };
            let layer = vb.pp(format!("block{}", g + 1)).pp("layer");
            let blocks = (0..n)
                .map(|i| {
                    let (cin, s) = if i == 0 {
                        (channels[g], stride)
                    } else {
                        (channels[g + 1], 1)
                    };
                    WideBlock::new(cin, channels[g + 1], s, layer.pp(i.to_string()))
                })
                .collect::<candle_core::Result<Vec<_>>>()?;
            groups.push(blocks);
        }
        Ok(Self {
            conv1,
            groups,
            bn1: bn(channels[3], vb.pp("bn1"))?,
            fc: linear(channels[3], classes, vb.pp("fc"))?,
        })
    }
}

impl Network for WideResNet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut h = self.conv1.forward(xs)?;
        for group in &self.groups {
            for block in group {
                h = block.forward_t(&h, train)?;
            }
        }
        let h = self.bn1.forward_relu_t(&h, train)?;
        self.fc.forward(&global_avg_pool(&h)?)
    }
}
