//! Seeded data augmentation, as in the authors' CIFAR pipeline (spec §10.1):
//! `RandomCrop(32, padding=4)`, `RandomHorizontalFlip()`, `RandomRotation(15)`, applied in
//! that order to u8 images before normalisation.

use numerics::rng::Rng;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

/// Which augmentations to apply; all off is the identity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Augmentation {
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
            crop_padding: 4,
            horizontal_flip: true,
            rotation_degrees: 15.0,
        }
    }

    /// True if this is the identity.
    #[must_use]
    pub fn is_identity(&self) -> bool {
        self.crop_padding == 0 && !self.horizontal_flip && self.rotation_degrees <= 0.0
    }

    /// Applies the augmentations to one image of shape (C, H, W) in place. The random
    /// draws, in order: crop offsets (2 draws) if cropping, one flip draw if flipping,
    /// one angle draw if rotating.
    pub fn apply(&self, image: &mut [u8], (c, h, w): (usize, usize, usize), rng: &mut Rng) {
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
