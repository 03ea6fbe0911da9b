//! Reader for MNIST and Fashion-MNIST in the IDX format
//! (<http://yann.lecun.com/exdb/mnist/>), plain or gzipped.
//!
//! Files: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
//! `t10k-labels-idx1-ubyte` (also accepted: the `.idx3-ubyte` spelling with a dot, and
//! either name with `.gz`). All integers are big-endian u32.
//!
//! - images: magic 2051 (`00 00 08 03`: unsigned bytes, 3 dimensions), N, rows, columns,
//!   then N·rows·columns pixels, row-major, 0 = background;
//! - labels: magic 2049 (`00 00 08 01`), N, then N labels in 0–9.
//!
//! Offsets in errors are byte offsets in the (decompressed) file.

use super::{ImageSet, Split};
use crate::{ExperimentError, Result};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IMAGES_MAGIC: u32 = 2051;

/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const LABELS_MAGIC: u32 = 2049;

/// Number of classes of MNIST and Fashion-MNIST.
pub const CLASSES: usize = 10;

/// Finds `<stem>-<kind>` (or `<stem>.<kind>`), plain or `.gz`, in `dir` or `dir/raw`
/// (torchvision's layout).
fn find(dir: &Path, stem: &str, kind: &str) -> Result<PathBuf> {
    let names = [
        format!("{stem}-{kind}"),
        format!("{stem}.{kind}"),
        format!("{stem}-{kind}.gz"),
        format!("{stem}.{kind}.gz"),
    ];
    for folder in [dir.to_path_buf(), dir.join("raw")] {
        for name in &names {
            let path = folder.join(name);
            if path.is_file() {
                return Ok(path);
            }
        }
    }
    Err(ExperimentError::io(
        dir.join(&names[0]),
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "no {} (nor {}, {}, {}) in {} or {}",
                names[0],
                names[1],
                names[2],
                names[3],
                dir.display(),
                dir.join("raw").display()
            ),
        ),
    ))
}

/// The bytes of `path`, decompressed if its name ends in `.gz`.
fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| ExperimentError::io(path, e))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::with_capacity(raw.len() * 4);
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| {
                ExperimentError::data(path, 0, format!("cannot decompress gzip data: {e}"))
            })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// The big-endian u32 at `offset`, or a "truncated header" error.
fn be_u32(bytes: &[u8], offset: usize, path: &Path, field: &str) -> Result<u32> {
    bytes
        .get(offset..offset + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| {
            ExperimentError::data(
                path,
                offset as u64,
                format!(
                    "truncated header: no {field} (file has {} bytes)",
                    bytes.len()
                ),
            )
        })
}

/// Checks the magic number at offset 0.
fn check_magic(bytes: &[u8], path: &Path, expected: u32, what: &str) -> Result<()> {
    let magic = be_u32(bytes, 0, path, "magic number")?;
    if magic != expected {
        return Err(ExperimentError::data(
            path,
            0,
            format!(
                "magic number {magic} (0x{magic:08x}) is not {expected} (0x{expected:08x}, {what})"
            ),
        ));
    }
    Ok(())
}

/// Reads an IDX image file: (pixels, N, rows, columns).
///
/// # Errors
/// [`ExperimentError::Data`]: wrong magic (offset 0), a zero dimension, or fewer/more
/// bytes than N·rows·columns after the 16-byte header (offset of the first incomplete
/// image, or of the first extra byte).
pub fn read_images(path: &Path) -> Result<(Vec<u8>, usize, usize, usize)> {
    let bytes = read_maybe_gz(path)?;
    check_magic(
        &bytes,
        path,
        IMAGES_MAGIC,
        "images: unsigned bytes, 3 dimensions",
    )?;
    let n = be_u32(&bytes, 4, path, "image count")? as usize;
    let rows = be_u32(&bytes, 8, path, "row count")? as usize;
    let cols = be_u32(&bytes, 12, path, "column count")? as usize;
    if rows == 0 || cols == 0 {
        return Err(ExperimentError::data(
            path,
            8,
            format!("image size {rows}×{cols}: both dimensions must be positive"),
        ));
    }
    let per = rows * cols;
    let total = n.checked_mul(per).ok_or_else(|| {
        ExperimentError::data(
            path,
            4,
            format!("header announces {n} images of {rows}×{cols}: too large"),
        )
    })?;
    let body = bytes.len() - 16;
    if body < total {
        let complete = body / per;
        return Err(ExperimentError::data(
            path,
            (16 + complete * per) as u64,
            format!(
                "truncated: the header announces {n} images of {rows}×{cols}, the file holds {complete} complete images and {} bytes of image {complete}",
                body - complete * per
            ),
        ));
    }
    if body > total {
        return Err(ExperimentError::data(
            path,
            (16 + total) as u64,
            format!(
                "{} bytes after the {n} images of {rows}×{cols} announced by the header",
                body - total
            ),
        ));
    }
    let mut pixels = bytes;
    pixels.drain(..16);
    Ok((pixels, n, rows, cols))
}

/// Reads an IDX label file with labels in `0..classes`.
///
/// # Errors
/// [`ExperimentError::Data`]: wrong magic (offset 0), a length different from 8 + N
/// (offset of the first missing or extra byte), a label ≥ `classes` (its offset).
pub fn read_labels(path: &Path, classes: usize) -> Result<Vec<u32>> {
    let bytes = read_maybe_gz(path)?;
    check_magic(
        &bytes,
        path,
        LABELS_MAGIC,
        "labels: unsigned bytes, 1 dimension",
    )?;
    let n = be_u32(&bytes, 4, path, "label count")? as usize;
    let body = &bytes[8..];
    if body.len() != n {
        return Err(ExperimentError::data(
            path,
            (8 + body.len().min(n)) as u64,
            format!(
                "the header announces {n} labels, the file holds {}",
                body.len()
            ),
        ));
    }
    if let Some(i) = body.iter().position(|&l| usize::from(l) >= classes) {
        return Err(ExperimentError::data(
            path,
            (8 + i) as u64,
            format!("label {} of image {i} is outside 0..{classes}", body[i]),
        ));
    }
    Ok(body.iter().map(|&l| u32::from(l)).collect())
}

/// One set (`train` or `t10k`) as a 1×rows×columns image set.
fn read_set(dir: &Path, stem: &str) -> Result<ImageSet> {
    let images_path = find(dir, &format!("{stem}-images"), "idx3-ubyte")?;
    let labels_path = find(dir, &format!("{stem}-labels"), "idx1-ubyte")?;
    let (pixels, n, rows, cols) = read_images(&images_path)?;
    let labels = read_labels(&labels_path, CLASSES)?;
    if labels.len() != n {
        return Err(ExperimentError::data(
            &labels_path,
            4,
            format!(
                "{} labels but {} holds {n} images",
                labels.len(),
                images_path.display()
            ),
        ));
    }
    ImageSet::new(pixels, labels, (1, rows, cols), CLASSES, 255.0)
}

/// MNIST (or Fashion-MNIST) from `dir` (or `dir/raw`): the `train` and `t10k` sets,
/// normalisation from the training images' statistics (for MNIST this gives the usual
/// mean 0.1307, std 0.3081), name `mnist`.
///
/// # Errors
/// A missing file ([`ExperimentError::Io`] naming the folder and the names tried), a
/// malformed file ([`ExperimentError::Data`] with file and offset), image/label counts
/// that differ, or training and test images of different sizes.
pub fn load(dir: &Path) -> Result<Split> {
    let train = read_set(dir, "train")?;
    let test = read_set(dir, "t10k")?;
    if train.shape() != test.shape() {
        let (_, th, tw) = train.shape();
        let (_, sh, sw) = test.shape();
        return Err(ExperimentError::data(
            find(dir, "t10k-images", "idx3-ubyte")?,
            8,
            format!("test images are {sh}×{sw}, training images {th}×{tw}"),
        ));
    }
    let normalization = train.channel_statistics();
    Ok(Split {
        name: "mnist".into(),
        train,
        test,
        normalization,
    })
}
