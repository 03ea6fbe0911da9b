//! The embedded default dataset: scikit-learn's 8×8 handwritten digits (1,797 images,
//! 10 classes; see `experiments/data/README.md` for its origin and licence).

use super::{ImageSet, Split};
use crate::{ExperimentError, Result};
use flate2::read::GzDecoder;
use std::io::Read;

/// The gzipped CSV shipped with scikit-learn: 64 pixel values (0–16, row-major) and the
/// label per line.
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// Name used in reports and error messages for the embedded file.
const SOURCE: &str = "<embedded digits.csv.gz>";

/// Number of images in the file.
pub const N_IMAGES: usize = 1797;

/// Parses the embedded file into one [`ImageSet`] (1×8×8, values 0–16, 10 classes).
///
/// # Errors
/// Only if the embedded file were corrupt ([`ExperimentError::Data`] with the offset).
pub fn all() -> Result<ImageSet> {
    let mut text = String::new();
    GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_string(&mut text)
        .map_err(|e| ExperimentError::data(SOURCE, 0, format!("cannot decompress: {e}")))?;
    let mut images = Vec::with_capacity(N_IMAGES * 64);
    let mut labels = Vec::with_capacity(N_IMAGES);
    let mut offset = 0u64;
    for line in text.lines() {
        let fields: Vec<&str> = line.trim().split(',').collect();
        if fields.len() != 65 {
            return Err(ExperimentError::data(
                SOURCE,
                offset,
                format!("expected 65 fields, found {}", fields.len()),
            ));
        }
        for f in &fields[..64] {
            let v: u8 = f.trim().parse().ok().filter(|v| *v <= 16).ok_or_else(|| {
                ExperimentError::data(SOURCE, offset, format!("pixel '{f}' is not in 0..=16"))
            })?;
            images.push(v);
        }
        let label: u32 = fields[64]
            .trim()
            .parse()
            .ok()
            .filter(|l| *l < 10)
            .ok_or_else(|| {
                ExperimentError::data(
                    SOURCE,
                    offset,
                    format!("label '{}' is not in 0..10", fields[64]),
                )
            })?;
        labels.push(label);
        offset += line.len() as u64 + 1;
    }
    ImageSet::new(images, labels, (1, 8, 8), 10, 16.0)
}

/// The default split: every fifth image (index ≡ 4 mod 5) is a test image, the rest
/// train (1,438 / 359); normalisation from the training images' statistics.
///
/// # Errors
/// As [`all`].
pub fn split() -> Result<Split> {
    let all = all()?;
    let (test_idx, train_idx): (Vec<usize>, Vec<usize>) = (0..all.len()).partition(|i| i % 5 == 4);
    let train = all.subset(&train_idx)?;
    let test = all.subset(&test_idx)?;
    let normalization = train.channel_statistics();
    Ok(Split {
        name: "digits".into(),
        train,
        test,
        normalization,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_has_the_documented_size_and_class_balance() {
        let d = all().unwrap();
        assert_eq!(d.len(), N_IMAGES);
        assert_eq!(d.shape(), (1, 8, 8));
        let mut counts = [0usize; 10];
        d.labels().iter().for_each(|&l| counts[l as usize] += 1);
        // scikit-learn's documentation: about 180 images per class (min 174, max 183).
        assert!(
            counts.iter().all(|&c| (174..=183).contains(&c)),
            "{counts:?}"
        );
        // The first image of the file is a 0 (first line ends with ",0").
        assert_eq!(d.labels()[0], 0);
        let s = split().unwrap();
        assert_eq!((s.train.len(), s.test.len()), (1438, 359));
    }
}
