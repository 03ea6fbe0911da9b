//! torchvision's ImageNet ResNet-18 / ResNet-34 (`torchvision.models.resnet18/34`), for
//! 224×224 input and any class count.
//!
//! x (B, C, H, W) → relu(bn1(conv1 7×7, 64, stride 2, padding 3)) → max-pool 3×3 stride
//! 2 padding 1 → layer1 … layer4 (basic blocks, widths 64…512, strides 1, 2, 2, 2) →
//! adaptive average pool to 1×1 → `fc`. Names are torchvision's `state_dict` keys:
//! `conv1.weight`, `bn1.*`, `layer1.0.conv1.weight`, `layer2.0.downsample.0.weight`,
//! `layer2.0.downsample.1.*`, `fc.{weight,bias}`.
//!
//! The max-pool pads with zeros instead of −∞: its input is a ReLU output (≥ 0) and every
//! 3×3 window holds at least one real pixel, so the maximum is the same.
//!
//! Initialisation: torchvision's ([`super::init::InitScheme::Torchvision`]):
//! convolutions `kaiming_normal_(mode="fan_out", nonlinearity="relu")`, batch norm 1/0,
//! `fc` at PyTorch's default (`zero_init_residual=False`).
//!
//! ## Reference
//! K. He et al., *Deep Residual Learning for Image Recognition*, CVPR 2016,
//! <https://arxiv.org/abs/1512.03385>; torchvision `models/resnet.py`.

use super::basic_block::{
    bn, conv, forward_stage, global_avg_pool, stage, BasicBlock, BatchNorm2d,
};
use super::resnet_cifar::{RESNET18_BLOCKS, RESNET34_BLOCKS, RESNET_WIDTHS};
use super::Network;
use crate::ops::Conv2d;
use candle_core::{Module, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

/// torchvision's ResNet with basic blocks.
#[derive(Debug, Clone)]
pub struct ResNetImagenet {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    layers: Vec<Vec<BasicBlock>>,
    fc: Linear,
}

impl ResNetImagenet {
    /// A torchvision ResNet with `blocks[i]` basic blocks in stage i (widths 64, 128,
    /// 256, 512) on `in_channels`-channel images.
    ///
    /// # Errors
    /// A zero block count, or a candle error while creating the variables.
    pub fn new(
        in_channels: usize,
        blocks: [usize; 4],
        classes: usize,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        if blocks.contains(&0) || in_channels == 0 {
            candle_core::bail!("ResNet block counts and input channels must be positive")
        }
        let conv1 = conv(in_channels, RESNET_WIDTHS[0], 7, 2, 3, vb.pp("conv1"))?;
        let bn1 = bn(RESNET_WIDTHS[0], vb.pp("bn1"))?;
        let mut layers = Vec::with_capacity(4);
        let mut cin = RESNET_WIDTHS[0];
        for (i, (&w, &n)) in RESNET_WIDTHS.iter().zip(&blocks).enumerate() {
            let stride = if i == 0 { 1 } else { 2 };
            layers.push(stage(
                cin,
                w,
                n,
                stride,
                "downsample",
                vb.pp(format!("layer{}", i + 1)),
            )?);
            cin = w;
        }
        let fc = linear(cin, classes, vb.pp("fc"))?;
        Ok(Self {
            conv1,
            bn1,
            layers,
            fc,
        })
    }

    /// `torchvision.models.resnet18(num_classes=classes)`.
    ///
    /// # Errors
    /// A candle error while creating the variables.
    pub fn resnet18(
        in_channels: usize,
        classes: usize,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        Self::new(in_channels, RESNET18_BLOCKS, classes, vb)
    }

    /// `torchvision.models.resnet34(num_classes=classes)`.
    ///
    /// # Errors
    /// A candle error while creating the variables.
    pub fn resnet34(
        in_channels: usize,
        classes: usize,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        Self::new(in_channels, RESNET34_BLOCKS, classes, vb)
    }
}

/// `nn.MaxPool2d(3, stride=2, padding=1)` on a non-negative input (module docs).
fn max_pool_3x3_s2_p1(x: &Tensor) -> candle_core::Result<Tensor> {
    x.pad_with_zeros(2, 1, 1)?
        .pad_with_zeros(3, 1, 1)?
        .max_pool2d_with_stride(3, 2)
}

impl Network for ResNetImagenet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let h = self.bn1.forward_relu_t(&self.conv1.forward(xs)?, train)?;
        let mut h = max_pool_3x3_s2_p1(&h)?;
        for layer in &self.layers {
            h = forward_stage(layer, h, train)?;
        }
        self.fc.forward(&global_avg_pool(&h)?)
    }
}
