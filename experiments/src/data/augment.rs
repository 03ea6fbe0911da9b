//! Seeded data augmentation, as in the authors' CIFAR pipeline (spec §10.1):
//! `RandomCrop(32, padding=4)`, `RandomHorizontalFlip()`, `RandomRotation(15)`, applied in
//! that order to u8 images before normalisation; and torchvision's ImageNet training
//! transform `RandomResizedCrop(224)` + `RandomHorizontalFlip()` ([`RandomResizedCrop`],
//! [`Augmentation::imagenet`]).

use crate::{ExperimentError, Result};
use numerics::rng::Rng;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

/// Which augmentations to apply; all off is the identity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Augmentation {
    /// torchvision's `RandomResizedCrop` to the image's own size, applied before
    /// everything else (`None` = off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_resized_crop: Option<RandomResizedCrop>,
    /// Random crop of the original size from the image zero-padded by this many pixels
    /// on each side (0 = off).
    pub crop_padding: usize,
    /// Flip left–right with probability ½.
    pub horizontal_flip: bool,
    /// Rotate by an angle uniform in [−r, r] degrees about the image centre, nearest
    /// neighbour, zero fill (0 = off).
    pub rotation_degrees: f32,
}

impl Augmentation {
    /// No augmentation.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// The authors' CIFAR training augmentation: crop with padding 4, flip, rotation 15°.
    #[must_use]
    pub fn cifar() -> Self {
        Augmentation {
            random_resized_crop: None,
            crop_padding: 4,
            horizontal_flip: true,
            rotation_degrees: 15.0,
        }
    }

    /// torchvision's ImageNet training augmentation on the stored (resized, centre-
    /// cropped) images: `RandomResizedCrop` with scale (0.08, 1), ratio (3/4, 4/3), then
    /// a horizontal flip.
    #[must_use]
    pub fn imagenet() -> Self {
        Augmentation {
            random_resized_crop: Some(RandomResizedCrop::default()),
            crop_padding: 0,
            horizontal_flip: true,
            rotation_degrees: 0.0,
        }
    }

    /// In words, for reports: "no augmentation" or the transforms applied, in order.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.random_resized_crop.is_some() {
            parts.push("random resized crop".to_string());
        }
        if self.crop_padding > 0 {
            parts.push(format!("random crop (padding {})", self.crop_padding));
        }
        if self.horizontal_flip {
            parts.push("horizontal flip".to_string());
        }
        if self.rotation_degrees > 0.0 {
            parts.push(format!("rotation ±{}°", self.rotation_degrees));
        }
        if parts.is_empty() {
            "no augmentation".into()
        } else {
            format!("augmentation: {}", parts.join(", "))
        }
    }

    /// True if this is the identity.
    #[must_use]
    pub fn is_identity(&self) -> bool {
        self.random_resized_crop.is_none()
            && self.crop_padding == 0
            && !self.horizontal_flip
            && self.rotation_degrees <= 0.0
    }

    /// Applies the augmentations to one image of shape (C, H, W) in place. The random
    /// draws, in order: those of [`RandomResizedCrop::params`] if on, crop offsets
    /// (2 draws) if cropping, one flip draw if flipping, one angle draw if rotating.
    pub fn apply(&self, image: &mut [u8], (c, h, w): (usize, usize, usize), rng: &mut Rng) {
        if let Some(rrc) = &self.random_resized_crop {
            rrc.apply(image, (c, h, w), rng);
        }
        if self.crop_padding > 0 {
            let p = self.crop_padding as i64;
            let dy = (rng.random_range(0..=2 * p) - p) as isize;
            let dx = (rng.random_range(0..=2 * p) - p) as isize;
            let src = image.to_vec();
            for ch in 0..c {
                for y in 0..h {
                    for x in 0..w {
                        let sy = y as isize + dy;
                        let sx = x as isize + dx;
                        let inside = sy >= 0 && sx >= 0 && (sy as usize) < h && (sx as usize) < w;
                        image[(ch * h + y) * w + x] = if inside {
                            src[(ch * h + sy as usize) * w + sx as usize]
                        } else {
                            0
                        };
                    }
                }
            }
        }
        if self.horizontal_flip && rng.random::<f64>() < 0.5 {
            for row in image.chunks_exact_mut(w) {
                row.reverse();
            }
        }
        if self.rotation_degrees > 0.0 {
            let r = f64::from(self.rotation_degrees);
            let angle = rng.random_range(-r..=r).to_radians();
            let (sin, cos) = angle.sin_cos();
            let (cy, cx) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
            let src = image.to_vec();
            for ch in 0..c {
                for y in 0..h {
                    for x in 0..w {
                        // Inverse map: the source pixel that lands on (y, x).
                        let (ry, rx) = (y as f64 - cy, x as f64 - cx);
                        let sx = (cos * rx + sin * ry + cx).round();
                        let sy = (-sin * rx + cos * ry + cy).round();
                        let inside = sy >= 0.0 && sx >= 0.0 && sy < h as f64 && sx < w as f64;
                        image[(ch * h + y) * w + x] = if inside {
                            src[(ch * h + sy as usize) * w + sx as usize]
                        } else {
                            0
                        };
                    }
                }
            }
        }
    }
}

/// torchvision's `RandomResizedCrop(size=(H, W), scale, ratio)` with bilinear
/// interpolation, producing an image of the input's own size (H, W).
///
/// A region of area s·H·W, s ~ U(scale), and aspect ratio r = w/h, log r ~ U(log ratio),
/// is cut out at a uniformly random position and resized to H×W; after 10 attempts
/// whose region does not fit, the fallback is the centre crop of the largest region
/// with the ratio clamped to the `ratio` range (torchvision's `get_params`, same draws
/// in the same order).
///
/// <div class="warning">
///
/// Deviation from torchvision: torchvision crops the *full-resolution* decoded image
/// and resizes the region to 224×224. Here the crop is taken from the stored image,
/// which the ImageNet-folder reader has already resized (shorter side 256) and
/// centre-cropped (224): the region is drawn from the central 224×224 window only (the
/// border outside it is never seen in training) and the resampling is always an
/// upscaling of that stored image, so small regions are blurrier than torchvision's.
/// Area fractions and aspect ratios are those of torchvision, relative to the stored
/// image. The resampling is PIL's bilinear upscaling (half-pixel centres, edge pixels
/// repeated), rounded to the nearest u8.
///
/// </div>
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomResizedCrop {
    /// Range of the region's area as a fraction of the image's area (torchvision:
    /// (0.08, 1)).
    pub scale: (f64, f64),
    /// Range of the region's aspect ratio width/height (torchvision: (3/4, 4/3)).
    pub ratio: (f64, f64),
}

impl Default for RandomResizedCrop {
    /// torchvision's defaults: scale (0.08, 1), ratio (3/4, 4/3).
    fn default() -> Self {
        RandomResizedCrop {
            scale: (0.08, 1.0),
            ratio: (3.0 / 4.0, 4.0 / 3.0),
        }
    }
}

impl RandomResizedCrop {
    /// Number of random attempts before the centre-crop fallback (torchvision: 10).
    pub const ATTEMPTS: usize = 10;

    /// Checks 0 < scale.0 ≤ scale.1 ≤ 1 and 0 < ratio.0 ≤ ratio.1 < ∞.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] naming `…random_resized_crop.scale` or `.ratio`.
    pub fn validate(&self) -> Result<()> {
        let (s0, s1) = self.scale;
        if !(s0 > 0.0 && s0 <= s1 && s1 <= 1.0) {
            return Err(ExperimentError::config(
                "augmentation.random_resized_crop.scale",
                format!("need 0 < min ≤ max ≤ 1, got ({s0}, {s1})"),
            ));
        }
        let (r0, r1) = self.ratio;
        if !(r0 > 0.0 && r0 <= r1 && r1.is_finite()) {
            return Err(ExperimentError::config(
                "augmentation.random_resized_crop.ratio",
                format!("need 0 < min ≤ max < ∞, got ({r0}, {r1})"),
            ));
        }
        Ok(())
    }

    /// The region (top, left, height, width) for an H×W image (torchvision's
    /// `RandomResizedCrop.get_params`): per attempt two uniform draws (area fraction,
    /// log ratio) and, if the region fits, two integer draws (top in 0..=H−h, left in
    /// 0..=W−w). Always a non-empty region inside the image for H, W ≥ 1, whatever the
    /// parameters (invalid ones end in the fallback); (0, 0, 0, 0) for an empty image.
    #[must_use]
    pub fn params(
        &self,
        height: usize,
        width: usize,
        rng: &mut Rng,
    ) -> (usize, usize, usize, usize) {
        if height == 0 || width == 0 {
            return (0, 0, 0, 0);
        }
        let area = (height * width) as f64;
        let (l0, l1) = (self.ratio.0.ln(), self.ratio.1.ln());
        for _ in 0..Self::ATTEMPTS {
            let u: f64 = rng.random();
            let target = area * (self.scale.0 + (self.scale.1 - self.scale.0) * u);
            let v: f64 = rng.random();
            let aspect = (l0 + (l1 - l0) * v).exp();
            let w = (target * aspect).sqrt().round_ties_even();
            let h = (target / aspect).sqrt().round_ties_even();
            if w > 0.0 && h > 0.0 && w <= width as f64 && h <= height as f64 {
                let (h, w) = (h as usize, w as usize);
                let top = rng.random_range(0..=height - h);
                let left = rng.random_range(0..=width - w);
                return (top, left, h, w);
            }
        }
        let in_ratio = width as f64 / height as f64;
        let (min_r, max_r) = (
            self.ratio.0.min(self.ratio.1),
            self.ratio.0.max(self.ratio.1),
        );
        let (h, w) = if in_ratio < min_r {
            let h = (width as f64 / min_r).round_ties_even() as usize;
            (h, width)
        } else if in_ratio > max_r {
            let w = (height as f64 * max_r).round_ties_even() as usize;
            (height, w)
        } else {
            (height, width)
        };
        let (h, w) = (h.clamp(1, height), w.clamp(1, width));
        ((height - h) / 2, (width - w) / 2, h, w)
    }

    /// Replaces the (C, H, W) image by a random region of it resized back to H×W
    /// (draws as in [`RandomResizedCrop::params`]). Does nothing to an empty image.
    pub fn apply(&self, image: &mut [u8], (c, h, w): (usize, usize, usize), rng: &mut Rng) {
        if c * h * w == 0 || image.len() != c * h * w {
            return;
        }
        let (top, left, ch, cw) = self.params(h, w, rng);
        let src = image.to_vec();
        // PIL / torch bilinear (align_corners = false): output pixel x samples the
        // region at (x + ½)·cw/W − ½, clamped to the region's first and last pixel.
        let taps = |out: usize, region: usize| -> Vec<(usize, usize, f32)> {
            let scale = region as f64 / out as f64;
            (0..out)
                .map(|x| {
                    let s = ((x as f64 + 0.5) * scale - 0.5).max(0.0);
                    let i0 = (s.floor() as usize).min(region - 1);
                    let i1 = (i0 + 1).min(region - 1);
                    (i0, i1, (s - i0 as f64).clamp(0.0, 1.0) as f32)
                })
                .collect()
        };
        let xs = taps(w, cw);
        let ys = taps(h, ch);
        for k in 0..c {
            let plane = &src[k * h * w..(k + 1) * h * w];
            let at = |y: usize, x: usize| f32::from(plane[(top + y) * w + left + x]);
            for (y, &(y0, y1, fy)) in ys.iter().enumerate() {
                for (x, &(x0, x1, fx)) in xs.iter().enumerate() {
                    let upper = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx;
                    let lower = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx;
                    let v = upper + (lower - upper) * fy;
                    image[(k * h + y) * w + x] = v.round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use numerics::Seed;

    #[test]
    fn identity_leaves_the_image_unchanged_and_draws_nothing() {
        let mut img: Vec<u8> = (0..48).map(|v| v as u8).collect();
        let orig = img.clone();
        let mut rng = Seed(1).stream("aug");
        Augmentation::none().apply(&mut img, (3, 4, 4), &mut rng);
        assert_eq!(img, orig);
    }

    #[test]
    fn flip_twice_is_the_identity_and_zero_rotation_is_exact() {
        let orig: Vec<u8> = (0..16).map(|v| v as u8).collect();
        let mut img = orig.clone();
        let mut flipped_once = false;
        let aug = Augmentation {
            horizontal_flip: true,
            ..Augmentation::none()
        };
        let mut rng = Seed(2).stream("aug");
        for _ in 0..20 {
            let before = img.clone();
            aug.apply(&mut img, (1, 4, 4), &mut rng);
            if img != before {
                flipped_once = true;
                assert_eq!(img[..4], [3, 2, 1, 0]);
                aug.apply(
                    &mut img,
                    (1, 4, 4),
                    &mut Seed(99).stream("never-flips-twice-check"),
                );
                img = orig.clone();
            }
        }
        assert!(flipped_once);
        let mut img = orig.clone();
        Augmentation {
            rotation_degrees: 1e-9,
            ..Augmentation::none()
        }
        .apply(&mut img, (1, 4, 4), &mut rng);
        assert_eq!(img, orig);
    }

    #[test]
    fn crop_shifts_content_and_pads_with_zeros() {
        let mut img = vec![7u8; 64];
        let aug = Augmentation {
            crop_padding: 4,
            ..Augmentation::none()
        };
        let mut rng = Seed(3).stream("aug");
        let mut saw_zero = false;
        for _ in 0..10 {
            let mut x = img.clone();
            aug.apply(&mut x, (1, 8, 8), &mut rng);
            assert!(x.iter().all(|&v| v == 0 || v == 7));
            saw_zero |= x.contains(&0);
        }
        assert!(saw_zero);
        img[0] = 1;
        assert_eq!(img.len(), 64);
    }
}
