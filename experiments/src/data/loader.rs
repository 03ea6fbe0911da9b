//! Mini-batches as candle tensors: shuffled and augmented per epoch from the run's seed
//! (training), or in order without augmentation (evaluation).
//!
//! Epoch e uses the streams `seed.child(e).stream("data-order")` (the permutation) and
//! `…stream("augmentation")` (the augmentation draws, image by image in batch order),
//! so an epoch's batches depend only on (seed, e, batch size): a run resumed at an epoch
//! boundary sees exactly the batches of an uninterrupted one. The last batch of an epoch
//! is smaller when b ∤ N (PyTorch `drop_last=False`).

use super::{Augmentation, ImageSet, Normalization};
use crate::{ExperimentError, Result};
use candle_core::{DType, Device, Tensor};
use numerics::rng::Rng;
use numerics::Seed;
use rand::seq::SliceRandom;

/// One mini-batch: normalised images (B, C, H, W) in the model's dtype and labels (B,) u32.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Images, normalised.
    pub images: Tensor,
    /// Labels.
    pub labels: Tensor,
    /// Indices of the images in the image set.
    pub indices: Vec<usize>,
}

/// Turns an [`ImageSet`] into batches on a device.
#[derive(Debug, Clone)]
pub struct Loader<'a> {
    set: &'a ImageSet,
    normalization: Normalization,
    augmentation: Augmentation,
    device: Device,
    dtype: DType,
}

impl<'a> Loader<'a> {
    /// A loader for `set` producing tensors of `dtype` on `device`.
    ///
    /// # Errors
    /// If the normalisation does not have one mean and one positive std per channel.
    pub fn new(
        set: &'a ImageSet,
        normalization: Normalization,
        augmentation: Augmentation,
        device: &Device,
        dtype: DType,
    ) -> Result<Self> {
        let c = set.shape().0;
        if normalization.mean.len() != c
            || normalization.std.len() != c
            || normalization.std.iter().any(|s| *s <= 0.0)
        {
            return Err(ExperimentError::Other(format!(
                "normalisation needs {c} means and {c} positive stds, got {:?}",
                normalization
            )));
        }
        Ok(Self {
            set,
            normalization,
            augmentation,
            device: device.clone(),
            dtype,
        })
    }

    /// The image set.
    #[must_use]
    pub fn set(&self) -> &ImageSet {
        self.set
    }

    /// The batch of images `indices`, augmented with draws from `rng` if given.
    ///
    /// # Errors
    /// An index out of range, or a candle error.
    pub fn batch(&self, indices: &[usize], mut rng: Option<&mut Rng>) -> Result<Batch> {
        let shape = self.set.shape();
        let (c, h, w) = shape;
        let per = c * h * w;
        let scale = 1.0 / self.set.pixel_max();
        let mut data = Vec::with_capacity(indices.len() * per);
        let mut labels = Vec::with_capacity(indices.len());
        let mut buffer = vec![0u8; per];
        for &i in indices {
            let img = self.set.image(i).ok_or_else(|| {
                ExperimentError::Other(format!(
                    "image index {i} out of range 0..{}",
                    self.set.len()
                ))
            })?;
            buffer.copy_from_slice(img);
            if let Some(rng) = rng.as_deref_mut() {
                self.augmentation.apply(&mut buffer, shape, rng);
            }
            for (ch, plane) in buffer.chunks_exact(h * w).enumerate() {
                let (m, s) = (self.normalization.mean[ch], self.normalization.std[ch]);
                data.extend(plane.iter().map(|&v| (f32::from(v) * scale - m) / s));
            }
            labels.push(self.set.labels()[i]);
        }
        let b = indices.len();
        let images = Tensor::from_vec(data, (b, c, h, w), &Device::Cpu)?
            .to_dtype(self.dtype)?
            .to_device(&self.device)?;
        let labels = Tensor::from_vec(labels, b, &Device::Cpu)?.to_device(&self.device)?;
        Ok(Batch {
            images,
            labels,
            indices: indices.to_vec(),
        })
    }

    /// The permutation of epoch `epoch` for `seed`.
    #[must_use]
    pub fn permutation(&self, seed: Seed, epoch: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.set.len()).collect();
        order.shuffle(&mut seed.child(epoch as u64).stream("data-order"));
        order
    }

    /// The training batches of epoch `epoch`: shuffled, augmented, batch size `b`
    /// (the last one smaller when b ∤ N).
    pub fn epoch(
        &self,
        seed: Seed,
        epoch: usize,
        b: usize,
    ) -> impl Iterator<Item = Result<Batch>> + '_ {
        let order = self.permutation(seed, epoch);
        let mut rng = seed.child(epoch as u64).stream("augmentation");
        let augment = !self.augmentation.is_identity();
        let chunks: Vec<Vec<usize>> = order.chunks(b.max(1)).map(<[usize]>::to_vec).collect();
        chunks
            .into_iter()
            .map(move |idx| self.batch(&idx, if augment { Some(&mut rng) } else { None }))
    }

    /// All images in order, without augmentation, in batches of `b`.
    pub fn sequential(&self, b: usize) -> impl Iterator<Item = Result<Batch>> + '_ {
        let n = self.set.len();
        let b = b.max(1);
        (0..n.div_ceil(b)).map(move |k| {
            let idx: Vec<usize> = (k * b..((k + 1) * b).min(n)).collect();
            self.batch(&idx, None)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::digits;

    #[test]
    fn epochs_cover_every_image_once_and_are_reproducible() {
        let split = digits::split().unwrap();
        let loader = Loader::new(
            &split.train,
            split.normalization.clone(),
            Augmentation::none(),
            &Device::Cpu,
            DType::F32,
        )
        .unwrap();
        let sizes: Vec<usize> = loader
            .epoch(Seed(1), 0, 500)
            .map(|b| b.unwrap().indices.len())
            .collect();
        assert_eq!(sizes, vec![500, 500, 438]);
        let mut seen: Vec<usize> = loader
            .epoch(Seed(1), 0, 500)
            .flat_map(|b| b.unwrap().indices)
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..1438).collect::<Vec<_>>());
        assert_eq!(
            loader.permutation(Seed(1), 3),
            loader.permutation(Seed(1), 3)
        );
        assert_ne!(
            loader.permutation(Seed(1), 3),
            loader.permutation(Seed(1), 4)
        );
    }

    #[test]
    fn normalised_training_images_have_zero_mean_and_unit_std() {
        let split = digits::split().unwrap();
        let loader = Loader::new(
            &split.train,
            split.normalization.clone(),
            Augmentation::none(),
            &Device::Cpu,
            DType::F64,
        )
        .unwrap();
        let all = loader
            .batch(&(0..split.train.len()).collect::<Vec<_>>(), None)
            .unwrap();
        let mean = all.images.mean_all().unwrap().to_scalar::<f64>().unwrap();
        let var = all
            .images
            .sqr()
            .unwrap()
            .mean_all()
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
            - mean * mean;
        assert!(
            mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4,
            "mean {mean} var {var}"
        );
    }
}
