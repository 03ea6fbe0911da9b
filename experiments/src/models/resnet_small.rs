//! He et al.'s CIFAR ResNet-(6n+2) (ResNet-8: n = 1, ResNet-20: n = 3, ResNet-56: n = 9)
//! at width w (16 in the paper), small enough to train in seconds on a CPU.
//!
//! x → relu(bn1(conv1 3×3, w)) → layer1 (n blocks, w, stride 1) → layer2 (n, 2w,
//! stride 2) → layer3 (n, 4w, stride 2) → global average pool → `linear`. Depth
//! = 1 + 6n + 1 weighted layers. Shortcuts are 1×1 convolution + batch norm where the
//! shape changes (the paper's option B; its CIFAR models used option A, zero padding,
//! which has no parameters). It is [`ResNetCifar`] with three stages, so the names are
//! kuangliu's: `conv1`, `bn1`, `layer{1,2,3}.{i}.{conv1,bn1,conv2,bn2}`,
//! `layer{2,3}.0.shortcut.{0,1}`, `linear`.
//!
//! Initialisation: PyTorch's layer defaults ([`super::init::InitScheme::Pytorch`]), as a
//! model written in kuangliu's style gets (the paper used He normal; the choice is
//! documented here so results can be compared).
//!
//! ## Reference
//! K. He et al., *Deep Residual Learning for Image Recognition*, CVPR 2016, §4.2,
//! <https://arxiv.org/abs/1512.03385>.

use super::resnet_cifar::ResNetCifar;
use candle_nn::VarBuilder;

/// Number of blocks per stage n of a ResNet-(6n+2), or `None` if `depth` is not of that
/// form with n ≥ 1.
#[must_use]
pub fn blocks_per_stage(depth: usize) -> Option<usize> {
    (depth >= 8 && (depth - 2) % 6 == 0).then(|| (depth - 2) / 6)
}

/// He et al.'s ResNet-`depth` (depth = 6n+2) of width `width` on `in_channels`-channel
/// images.
///
/// # Errors
/// A depth not of the form 6n+2 (n ≥ 1), a zero width, or a candle error.
pub fn resnet_small(
    in_channels: usize,
    depth: usize,
    width: usize,
    classes: usize,
    vb: VarBuilder<'_>,
) -> candle_core::Result<ResNetCifar> {
    let Some(n) = blocks_per_stage(depth) else {
        candle_core::bail!(
            "a CIFAR ResNet has depth 6n+2 with n ≥ 1 (8, 14, 20, 32, …), got {depth}"
        )
    };
    ResNetCifar::new(
        in_channels,
        &[width, 2 * width, 4 * width],
        &[n, n, n],
        classes,
        vb,
    )
}
