//! Readers for the official *binary* versions of CIFAR-10 and CIFAR-100
//! (<https://www.cs.toronto.edu/~kriz/cifar.html>, "binary version suitable for C programs").
//!
//! - CIFAR-10: `data_batch_1.bin` … `data_batch_5.bin` (training, in that order) and
//!   `test_batch.bin`; each record is 1 + 3072 = 3073 bytes: the label (0–9), then the
//!   1024 red, 1024 green and 1024 blue values of a 32×32 image, rows top to bottom.
//! - CIFAR-100: `train.bin` and `test.bin`; each record is 2 + 3072 = 3074 bytes: the
//!   coarse label (0–19), the fine label (0–99), then the pixels as above.
//!
//! The pixel block of a record is already channel-major (C, H, W), so it is copied into
//! the [`ImageSet`] as it is. Every file is read whole; a length that is not a multiple
//! of the record size, or a label out of range, is an [`ExperimentError::Data`] naming
//! the file and the byte offset of the bad record.

use super::{ImageSet, Normalization, Split};
use crate::{ExperimentError, Result};
use std::path::{Path, PathBuf};

/// Pixels per image: 3 × 32 × 32.
pub const PIXELS: usize = 3 * 32 * 32;

/// Training files of CIFAR-10, in the order they are concatenated.
pub const CIFAR10_TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];

/// Test file of CIFAR-10.
pub const CIFAR10_TEST_FILE: &str = "test_batch.bin";

/// Folder created by extracting `cifar-10-binary.tar.gz`.
pub const CIFAR10_SUBDIR: &str = "cifar-10-batches-bin";

/// Training file of CIFAR-100.
pub const CIFAR100_TRAIN_FILE: &str = "train.bin";

/// Test file of CIFAR-100.
pub const CIFAR100_TEST_FILE: &str = "test.bin";

/// Folder created by extracting `cifar-100-binary.tar.gz`.
pub const CIFAR100_SUBDIR: &str = "cifar-100-binary";

/// Which CIFAR-100 label is used as the class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cifar100Label {
    /// The 100 fine classes (second byte of a record); the usual choice.
    #[default]
    Fine,
    /// The 20 superclasses (first byte of a record).
    Coarse,
}

/// Layout of one record: label bytes before the pixels, and which of them is the class.
struct Format {
    /// Bytes before the pixels (1 for CIFAR-10, 2 for CIFAR-100).
    header: usize,
    /// (name, number of classes) of each header byte, in file order.
    labels: &'static [(&'static str, u32)],
    /// Index into `labels` of the label that becomes the class.
    used: usize,
}

impl Format {
    fn record(&self) -> usize {
        self.header + PIXELS
    }

    fn classes(&self) -> usize {
        self.labels[self.used].1 as usize
    }
}

const CIFAR10: Format = Format {
    header: 1,
    labels: &[("label", 10)],
    used: 0,
};

fn cifar100(label: Cifar100Label) -> Format {
    Format {
        header: 2,
        labels: &[("coarse label", 20), ("fine label", 100)],
        used: match label {
            Cifar100Label::Coarse => 0,
            Cifar100Label::Fine => 1,
        },
    }
}

/// The folder holding `marker`: `dir` itself, or its child `subdir` (the folder the
/// official archive extracts to).
///
/// # Errors
/// [`ExperimentError::Io`] (not found) naming `marker` and both folders tried.
fn data_dir(dir: &Path, subdir: &str, marker: &str) -> Result<PathBuf> {
    if dir.join(marker).is_file() {
        return Ok(dir.to_path_buf());
    }
    let child = dir.join(subdir);
    if child.join(marker).is_file() {
        return Ok(child);
    }
    Err(ExperimentError::io(
        dir.join(marker),
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "no {marker} in {} nor in {}",
                dir.display(),
                child.display()
            ),
        ),
    ))
}

/// Reads one file of `format` records, appending pixels and class labels.
fn read_file(
    path: &Path,
    format: &Format,
    images: &mut Vec<u8>,
    labels: &mut Vec<u32>,
) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| ExperimentError::io(path, e))?;
    let record = format.record();
    let whole = bytes.len() / record * record;
    if bytes.is_empty() {
        return Err(ExperimentError::data(path, 0, "empty file: no records"));
    }
    if whole != bytes.len() {
        return Err(ExperimentError::data(
            path,
            whole as u64,
            format!(
                "truncated record {}: {} of {record} bytes (file length {} is not a multiple of {record})",
                whole / record,
                bytes.len() - whole,
                bytes.len()
            ),
        ));
    }
    images.reserve(bytes.len() / record * PIXELS);
    labels.reserve(bytes.len() / record);
    for (k, rec) in bytes.chunks_exact(record).enumerate() {
        let (header, pixels) = rec.split_at(format.header);
        for (i, (&value, &(name, classes))) in header.iter().zip(format.labels).enumerate() {
            if u32::from(value) >= classes {
                return Err(ExperimentError::data(
                    path,
                    (k * record) as u64,
                    format!(
                        "record {k}: {name} {value} (byte {}) is outside 0..{classes}",
                        k * record + i
                    ),
                ));
            }
        }
        labels.push(u32::from(header[format.used]));
        images.extend_from_slice(pixels);
    }
    Ok(())
}

/// Reads and concatenates `files` (in `dir`) into one 3×32×32 image set.
fn read_set(dir: &Path, files: &[&str], format: &Format) -> Result<ImageSet> {
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for name in files {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(ExperimentError::io(
                &path,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("{name} is missing from {}", dir.display()),
                ),
            ));
        }
        read_file(&path, format, &mut images, &mut labels)?;
    }
    ImageSet::new(images, labels, (3, 32, 32), format.classes(), 255.0)
}

/// CIFAR-10 from `dir` (the folder with the `.bin` files or its parent holding
/// `cifar-10-batches-bin/`): 50,000 training images (batches 1–5 in order), 10,000
/// test images, normalisation [`Normalization::cifar10`], name `cifar10`.
///
/// # Errors
/// A missing file ([`ExperimentError::Io`] naming it and the folder), a truncated record
/// or a label ≥ 10 ([`ExperimentError::Data`] with the file and the record's offset).
pub fn load_cifar10(dir: &Path) -> Result<Split> {
    let dir = data_dir(dir, CIFAR10_SUBDIR, CIFAR10_TEST_FILE)?;
    let train = read_set(&dir, &CIFAR10_TRAIN_FILES, &CIFAR10)?;
    let test = read_set(&dir, &[CIFAR10_TEST_FILE], &CIFAR10)?;
    Ok(Split {
        name: "cifar10".into(),
        train,
        test,
        normalization: Normalization::cifar10(),
    })
}

/// CIFAR-100 from `dir` (the folder with `train.bin`/`test.bin` or its parent holding
/// `cifar-100-binary/`): 50,000 training and 10,000 test images labelled by the fine
/// (100 classes) or coarse (20 classes) label, normalisation [`Normalization::cifar100`],
/// name `cifar100` (`cifar100-coarse` for the coarse labels).
///
/// # Errors
/// A missing file ([`ExperimentError::Io`] naming it and the folder), a truncated record,
/// a coarse label ≥ 20 or a fine label ≥ 100 ([`ExperimentError::Data`] with the file
/// and the record's offset); both labels are checked whichever is used.
pub fn load_cifar100(dir: &Path, label: Cifar100Label) -> Result<Split> {
    let dir = data_dir(dir, CIFAR100_SUBDIR, CIFAR100_TEST_FILE)?;
    let format = cifar100(label);
    let train = read_set(&dir, &[CIFAR100_TRAIN_FILE], &format)?;
    let test = read_set(&dir, &[CIFAR100_TEST_FILE], &format)?;
    Ok(Split {
        name: match label {
            Cifar100Label::Fine => "cifar100".into(),
            Cifar100Label::Coarse => "cifar100-coarse".into(),
        },
        train,
        test,
        normalization: Normalization::cifar100(),
    })
}
