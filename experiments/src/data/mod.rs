//! Image classification data held in host memory: [`ImageSet`] (u8 pixels, channel-major
//! per image, labels), [`Split`] (train + test + normalisation), and the readers:
//! [`cifar`] (CIFAR-10/100 binary), [`mnist`] (IDX), [`image_folder`] (ImageNet-style
//! folders), [`digits`] (embedded); [`DataSource`] picks one from a config or `--data`.

pub mod augment;
pub mod cifar;
pub mod digits;
pub mod image_folder;
pub mod loader;
pub mod mnist;
pub mod source;

pub use augment::{Augmentation, RandomResizedCrop};
pub use loader::{Batch, Loader};
pub use source::{DataSource, DATA_FLAG_FORMS};

use crate::{ExperimentError, Result};
use serde::{Deserialize, Serialize};

/// N images of C×H×W u8 pixels (channel-major within an image, as in CIFAR's binary
/// format and PyTorch's NCHW), with labels in `0..classes`.
///
/// Pixel value v means intensity v / `pixel_max` ∈ [0, 1] (255 for 8-bit images, 16 for
/// the digits).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    images: Vec<u8>,
    labels: Vec<u32>,
    channels: usize,
    height: usize,
    width: usize,
    classes: usize,
    pixel_max: f32,
}

impl ImageSet {
    /// Builds an image set, checking every length and label.
    ///
    /// # Errors
    /// [`ExperimentError::Other`] if `images.len() != labels.len()·C·H·W`, a dimension is
    /// 0, `pixel_max` is not positive, or a label is ≥ `classes`.
    pub fn new(
        images: Vec<u8>,
        labels: Vec<u32>,
        (channels, height, width): (usize, usize, usize),
        classes: usize,
        pixel_max: f32,
    ) -> Result<Self> {
        let per = channels * height * width;
        if per == 0 || classes == 0 {
            return Err(ExperimentError::Other(format!(
                "image shape {channels}×{height}×{width} with {classes} classes: every dimension must be positive"
            )));
        }
        if images.len() != labels.len() * per {
            return Err(ExperimentError::Other(format!(
                "{} pixel bytes for {} labels of {channels}×{height}×{width} images (expected {})",
                images.len(),
                labels.len(),
                labels.len() * per
            )));
        }
        if !(pixel_max > 0.0 && pixel_max.is_finite()) {
            return Err(ExperimentError::Other(format!(
                "pixel_max must be positive, got {pixel_max}"
            )));
        }
        if let Some((i, l)) = labels
            .iter()
            .enumerate()
            .find(|(_, &l)| l as usize >= classes)
        {
            return Err(ExperimentError::Other(format!(
                "label {l} of image {i} is outside 0..{classes}"
            )));
        }
        Ok(Self {
            images,
            labels,
            channels,
            height,
            width,
            classes,
            pixel_max,
        })
    }

    /// Number of images N.
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True if there are no images.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// (C, H, W).
    #[must_use]
    pub fn shape(&self) -> (usize, usize, usize) {
        (self.channels, self.height, self.width)
    }

    /// Number of classes.
    #[must_use]
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The value that means full intensity.
    #[must_use]
    pub fn pixel_max(&self) -> f32 {
        self.pixel_max
    }

    /// All labels.
    #[must_use]
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }

    /// The C·H·W pixels of image `i`, or `None` if `i ≥ N`.
    #[must_use]
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        let per = self.channels * self.height * self.width;
        self.images.get(i * per..(i + 1) * per)
    }

    /// All pixels, image after image.
    #[must_use]
    pub fn pixels(&self) -> &[u8] {
        &self.images
    }

    /// The images with the given indices, in that order.
    ///
    /// # Errors
    /// If an index is ≥ N.
    pub fn subset(&self, indices: &[usize]) -> Result<ImageSet> {
        let per = self.channels * self.height * self.width;
        let mut images = Vec::with_capacity(indices.len() * per);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            let img = self.image(i).ok_or_else(|| {
                ExperimentError::Other(format!("image index {i} out of range 0..{}", self.len()))
            })?;
            images.extend_from_slice(img);
            labels.push(self.labels[i]);
        }
        ImageSet::new(images, labels, self.shape(), self.classes, self.pixel_max)
    }

    /// Per-channel mean and standard deviation of the intensities v/`pixel_max`.
    #[must_use]
    pub fn channel_statistics(&self) -> Normalization {
        let per_channel = self.height * self.width;
        let mut sum = vec![0f64; self.channels];
        let mut sum2 = vec![0f64; self.channels];
        for img in self.images.chunks_exact(self.channels * per_channel) {
            for (c, plane) in img.chunks_exact(per_channel).enumerate() {
                for &v in plane {
                    let x = f64::from(v) / f64::from(self.pixel_max);
                    sum[c] += x;
                    sum2[c] += x * x;
                }
            }
        }
        let n = (self.len() * per_channel).max(1) as f64;
        let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
        let std: Vec<f32> = sum2
            .iter()
            .zip(&sum)
            .map(|(s2, s)| ((s2 / n - (s / n).powi(2)).max(0.0).sqrt()).max(1e-6) as f32)
            .collect();
        Normalization { mean, std }
    }
}

/// Per-channel normalisation x ↦ (x − mean)/std applied to intensities in [0, 1]
/// (torchvision's `Normalize` after `ToTensor`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Per-channel mean.
    pub mean: Vec<f32>,
    /// Per-channel standard deviation.
    pub std: Vec<f32>,
}

impl Normalization {
    /// CIFAR-100 constants of the authors' code (spec §10.1): mean (0.50708, 0.48655,
    /// 0.44092), std (0.26733, 0.25644, 0.27615).
    #[must_use]
    pub fn cifar100() -> Self {
        Normalization {
            mean: vec![0.50708, 0.48655, 0.44092],
            std: vec![0.26733, 0.25644, 0.27615],
        }
    }

    /// CIFAR-10 constants in common use: mean (0.4914, 0.4822, 0.4465), std (0.2470,
    /// 0.2435, 0.2616).
    #[must_use]
    pub fn cifar10() -> Self {
        Normalization {
            mean: vec![0.4914, 0.4822, 0.4465],
            std: vec![0.2470, 0.2435, 0.2616],
        }
    }

    /// ImageNet constants (torchvision): mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
    #[must_use]
    pub fn imagenet() -> Self {
        Normalization {
            mean: vec![0.485, 0.456, 0.406],
            std: vec![0.229, 0.224, 0.225],
        }
    }
}

/// A dataset as used by a run: training and test images and the normalisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Short name (`digits`, `cifar10`, `cifar100`, `mnist`, or the folder's name).
    pub name: String,
    /// Training images.
    pub train: ImageSet,
    /// Test images.
    pub test: ImageSet,
    /// Normalisation applied to both.
    pub normalization: Normalization,
}
