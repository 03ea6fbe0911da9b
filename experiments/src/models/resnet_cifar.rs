//! CIFAR ResNet-18 / ResNet-34 as in kuangliu/pytorch-cifar `models/resnet.py` (the file
//! the authors' repositories use), and the general CIFAR-style ResNet it is an instance of.
//!
//! x (B, C, H, W) → relu(bn1(conv1 3×3, 64, stride 1)) → layer1 … layer4 (basic blocks,
//! widths 64, 128, 256, 512, strides 1, 2, 2, 2; `[2,2,2,2]` for ResNet-18, `[3,4,6,3]` for
//! ResNet-34) → global average pool → `linear` (B, classes). No max-pool. Parameter
//! names are those of the PyTorch `state_dict`: `conv1.weight`, `bn1.*`,
//! `layer1.0.conv1.weight`, `layer1.0.bn1.*`, `layer2.0.shortcut.0.weight`,
//! `layer2.0.shortcut.1.*`, `linear.{weight,bias}`. Convolutions have no bias.
//!
//! Initialisation: kuangliu's file keeps PyTorch's layer defaults
//! ([`super::init::InitScheme::Pytorch`]).
//!
//! At base width W (`resnet18-w16`, …) the stage widths are W, 2W, 4W, 8W, everything
//! else unchanged; on 3-channel input with 10 classes ResNet-18 has 2724W² + 257W + 10
//! trainable parameters (11,173,962 at W = 64) and ResNet-34 5190W² + 373W + 10
//! (21,282,122).
//!
//! The stem takes any number of input channels (3 for CIFAR, 1 for the 8×8 digits) and
//! the pooling is global, so every input size ≥ 1×1 works; on 32×32 it is kuangliu's
//! `avg_pool2d(out, 4)`.
//!
//! ## Reference
//! K. He et al., *Deep Residual Learning for Image Recognition*, CVPR 2016,
//! <https://arxiv.org/abs/1512.03385>; kuangliu/pytorch-cifar `models/resnet.py`.

use super::basic_block::{
    bn, conv, forward_stage, global_avg_pool, stage, BasicBlock, BatchNorm2d,
};
use super::Network;
use crate::ops::Conv2d;
use candle_core::{Module, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

/// Blocks per stage of ResNet-18.
pub const RESNET18_BLOCKS: [usize; 4] = [2, 2, 2, 2];
/// Blocks per stage of ResNet-34.
pub const RESNET34_BLOCKS: [usize; 4] = [3, 4, 6, 3];
/// Stage widths of the CIFAR ResNet-18/34.
pub const RESNET_WIDTHS: [usize; 4] = [64, 128, 256, 512];
/// Base width W of kuangliu's ResNet-18/34 (the first stage's channels).
pub const RESNET_BASE_WIDTH: usize = 64;

/// A CIFAR-style ResNet: 3×3 stride-1 stem of width `widths[0]`, stages `layer1…` of
/// basic blocks (stride 1 for the first stage, 2 after), global average pool, `linear`.
#[derive(Debug, Clone)]
pub struct ResNetCifar {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    layers: Vec<Vec<BasicBlock>>,
    linear: Linear,
}

impl ResNetCifar {
    /// A ResNet with stages of `widths[i]` channels and `blocks[i]` blocks on images with
    /// `in_channels` channels.
    ///
    /// # Errors
    /// `widths` and `blocks` of different or zero length, a zero entry, or a candle error.
    pub fn new(
        in_channels: usize,
        widths: &[usize],
        blocks: &[usize],
        classes: usize,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        if widths.is_empty() || widths.len() != blocks.len() {
            candle_core::bail!(
                "a ResNet needs as many stage widths as block counts, got {widths:?} and {blocks:?}"
            )
        }
        if widths.contains(&0) || blocks.contains(&0) || in_channels == 0 {
            candle_core::bail!("ResNet widths, block counts and input channels must be positive")
        }
        let stem = widths[0];
        let conv1 = conv(in_channels, stem, 3, 1, 1, vb.pp("conv1"))?;
        let bn1 = bn(stem, vb.pp("bn1"))?;
        let mut layers = Vec::with_capacity(widths.len());
        let mut cin = stem;
        for (i, (&w, &n)) in widths.iter().zip(blocks).enumerate() {
            let stride = if i == 0 { 1 } else { 2 };
            layers.push(stage(
                cin,
                w,
                n,
                stride,
                "shortcut",
                vb.pp(format!("layer{}", i + 1)),
            )?);
            cin = w;
        }
        let linear = linear(cin, classes, vb.pp("linear"))?;
        Ok(Self {
            conv1,
            bn1,
            layers,
            linear,
        })
    }

    /// kuangliu's ResNet-`depth` (18: blocks `[2,2,2,2]`, 34: `[3,4,6,3]`) at base width
    /// `width` = W: stage widths W, 2W, 4W, 8W (W = 64 is `ResNet18()` / `ResNet34()`).
    ///
    /// # Errors
    /// A depth other than 18 or 34, a zero width, or a candle error.
    pub fn kuangliu(
        in_channels: usize,
        depth: usize,
        width: usize,
        classes: usize,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        let blocks = match depth {
            18 => RESNET18_BLOCKS,
            34 => RESNET34_BLOCKS,
            _ => candle_core::bail!("kuangliu's CIFAR ResNet has depth 18 or 34, got {depth}"),
        };
        let widths = [width, 2 * width, 4 * width, 8 * width];
        Self::new(in_channels, &widths, &blocks, classes, vb)
    }

    /// kuangliu's `ResNet18()`: blocks `[2,2,2,2]`, widths 64…512.
    ///
    /// # Errors
    /// A candle error while creating the variables.
    pub fn resnet18(
        in_channels: usize,
        classes: usize,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        Self::new(in_channels, &RESNET_WIDTHS, &RESNET18_BLOCKS, classes, vb)
    }

    /// kuangliu's `ResNet34()`: blocks `[3,4,6,3]`, widths 64…512.
    ///
    /// # Errors
    /// A candle error while creating the variables.
    pub fn resnet34(
        in_channels: usize,
        classes: usize,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        Self::new(in_channels, &RESNET_WIDTHS, &RESNET34_BLOCKS, classes, vb)
    }
}

impl Network for ResNetCifar {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut h = self.bn1.forward_relu_t(&self.conv1.forward(xs)?, train)?;
        for layer in &self.layers {
            h = forward_stage(layer, h, train)?;
        }
        self.linear.forward(&global_avg_pool(&h)?)
    }
}
