//! Reader for ImageNet-style folders of images (torchvision's `ImageFolder` layout):
//!
//! ```text
//! ROOT/train/<class>/…/*.{jpg,jpeg,png}
//! ROOT/val/<class>/…/*.{jpg,jpeg,png}
//! ```
//!
//! The classes are the sorted names of the subfolders of `train/` (label = index in that
//! order, as torchvision); `val/` must have exactly the same subfolders. Files are taken
//! recursively inside a class folder in torchvision's order (folders sorted, then file
//! names sorted within a folder); extensions are matched case-insensitively; other
//! image formats torchvision would read (bmp, ppm, pgm, tif, tiff, webp) are an error
//! rather than silently skipped, and files with any other extension are ignored.
//!
//! Every image is decoded, converted to RGB and stored in the evaluation transform of
//! torchvision's ImageNet recipe: `Resize(resize)` (the shorter side becomes `resize`,
//! the longer side ⌊resize·long/short⌋, bilinear with antialiasing — the `image`
//! crate's triangle filter, which widens its support when shrinking as PIL does) then
//! `CenterCrop(crop)` (offset round((size − crop)/2), ties to even as Python's `round`).
//! The [`ImageSet`] therefore holds N × 3 × crop² bytes, whatever the source
//! resolution; training augmentation then works on these stored images (see
//! [`super::augment::RandomResizedCrop`] for how that differs from torchvision).
//!
//! Decoding runs on up to [`MAX_THREADS`] threads (contiguous chunks of the file list);
//! nothing is printed.

use super::{ImageSet, Normalization, Split};
use crate::{ExperimentError, Result};
use image::imageops::FilterType;
use image::{ImageReader, RgbImage};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Default shorter side after resizing (torchvision's ImageNet evaluation transform).
pub const DEFAULT_RESIZE: usize = 256;

/// Default side of the centre crop.
pub const DEFAULT_CROP: usize = 224;

/// Most decoding threads used.
pub const MAX_THREADS: usize = 8;

/// Extensions that are decoded.
const DECODED: [&str; 3] = ["jpg", "jpeg", "png"];

/// Image extensions torchvision accepts that this build cannot decode.
const NOT_BUILT_IN: [&str; 6] = ["bmp", "ppm", "pgm", "tif", "tiff", "webp"];

fn not_found(path: &Path, message: String) -> ExperimentError {
    ExperimentError::io(
        path,
        std::io::Error::new(std::io::ErrorKind::NotFound, message),
    )
}

/// The entries of `dir`, sorted by name.
fn sorted_entries(dir: &Path) -> Result<Vec<(OsString, PathBuf)>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| ExperimentError::io(dir, e))? {
        let entry = entry.map_err(|e| ExperimentError::io(dir, e))?;
        entries.push((entry.file_name(), entry.path()));
    }
    entries.sort();
    Ok(entries)
}

/// Sorted names of the subfolders of `dir`.
fn class_names(dir: &Path) -> Result<Vec<OsString>> {
    if !dir.is_dir() {
        return Err(not_found(dir, format!("no folder {}", dir.display())));
    }
    Ok(sorted_entries(dir)?
        .into_iter()
        .filter(|(_, p)| p.is_dir())
        .map(|(n, _)| n)
        .collect())
}

/// The image files under `dir`, recursively, in torchvision's order: files of a folder
/// (sorted by name) before those of its subfolders (sorted by name).
fn image_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = sorted_entries(dir)?;
    let mut subdirs = Vec::new();
    for (_, path) in entries {
        if path.is_dir() {
            subdirs.push(path);
            continue;
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if DECODED.contains(&ext.as_str()) {
            out.push(path);
        } else if NOT_BUILT_IN.contains(&ext.as_str()) {
            return Err(ExperimentError::data(
                &path,
                0,
                format!("unsupported image format .{ext} (only JPEG and PNG are built in)"),
            ));
        }
    }
    for sub in subdirs {
        image_files(&sub, out)?;
    }
    Ok(())
}

/// torchvision's `Resize(resize)` then `CenterCrop(crop)` of an RGB image, written as
/// C×H×W bytes (3·crop²) into `out`; the error is a message for the file's error.
fn resize_center_crop(
    image: &RgbImage,
    resize: usize,
    crop: usize,
    out: &mut [u8],
) -> std::result::Result<(), String> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w == 0 || h == 0 {
        return Err(format!("image of size {w}×{h}"));
    }
    if out.len() != 3 * crop * crop {
        return Err(format!(
            "output buffer of {} bytes for a 3×{crop}×{crop} crop",
            out.len()
        ));
    }
    let (nw, nh) = if w <= h {
        (resize, resize * h / w)
    } else {
        (resize * w / h, resize)
    };
    let resized;
    let src = if (nw, nh) == (w, h) {
        image
    } else {
        let (nw32, nh32) = (
            u32::try_from(nw).map_err(|e| e.to_string())?,
            u32::try_from(nh).map_err(|e| e.to_string())?,
        );
        resized = image::imageops::resize(image, nw32, nh32, FilterType::Triangle);
        &resized
    };
    if nw < crop || nh < crop {
        return Err(format!(
            "resized image {nw}×{nh} is smaller than the {crop}×{crop} crop"
        ));
    }
    let top = ((nh - crop) as f64 / 2.0).round_ties_even() as usize;
    let left = ((nw - crop) as f64 / 2.0).round_ties_even() as usize;
    let raw = src.as_raw();
    let plane = crop * crop;
    for y in 0..crop {
        let row = &raw[((top + y) * nw + left) * 3..((top + y) * nw + left + crop) * 3];
        for (x, px) in row.chunks_exact(3).enumerate() {
            out[y * crop + x] = px[0];
            out[plane + y * crop + x] = px[1];
            out[2 * plane + y * crop + x] = px[2];
        }
    }
    Ok(())
}

/// Decodes `path` and writes its transformed pixels into `out`.
fn decode_into(path: &Path, resize: usize, crop: usize, out: &mut [u8]) -> Result<()> {
    let image = ImageReader::open(path)
        .map_err(|e| ExperimentError::io(path, e))?
        .with_guessed_format()
        .map_err(|e| ExperimentError::io(path, e))?
        .decode()
        .map_err(|e| ExperimentError::data(path, 0, format!("cannot decode image: {e}")))?
        .to_rgb8();
    resize_center_crop(&image, resize, crop, out).map_err(|m| ExperimentError::data(path, 0, m))
}

/// Decodes `files` into one buffer of N × 3 × crop² bytes, on up to [`MAX_THREADS`]
/// threads; the first error in file order is returned.
fn decode_all(files: &[PathBuf], resize: usize, crop: usize) -> Result<Vec<u8>> {
    let per = 3 * crop * crop;
    let mut pixels = vec![0u8; files.len() * per];
    if files.is_empty() {
        return Ok(pixels);
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, MAX_THREADS)
        .min(files.len());
    let chunk = files.len().div_ceil(threads);
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .zip(pixels.chunks_mut(chunk * per))
            .map(|(names, out)| {
                scope.spawn(move || {
                    for (path, dst) in names.iter().zip(out.chunks_exact_mut(per)) {
                        decode_into(path, resize, crop, dst)?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ExperimentError::Other(
                        "an image decoding thread panicked".into(),
                    ))
                })
            })
            .collect()
    });
    for r in results {
        r?;
    }
    Ok(pixels)
}

/// Reads one split folder (`train` or `val`) with the given class list.
fn read_split(dir: &Path, classes: &[OsString], resize: usize, crop: usize) -> Result<ImageSet> {
    let mut files = Vec::new();
    let mut labels = Vec::new();
    for (label, class) in classes.iter().enumerate() {
        let class_dir = dir.join(class);
        let before = files.len();
        image_files(&class_dir, &mut files)?;
        if files.len() == before {
            return Err(not_found(
                &class_dir,
                format!(
                    "class folder {} holds no .jpg, .jpeg or .png file",
                    class_dir.display()
                ),
            ));
        }
        labels.resize(files.len(), label as u32);
    }
    let pixels = decode_all(&files, resize, crop)?;
    ImageSet::new(pixels, labels, (3, crop, crop), classes.len(), 255.0)
}

/// The classes present in only one of two sorted lists, for an error message.
fn difference(a: &[OsString], b: &[OsString]) -> String {
    let only: Vec<String> = a
        .iter()
        .filter(|n| !b.contains(n))
        .take(5)
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    let extra = a
        .iter()
        .filter(|n| !b.contains(n))
        .count()
        .saturating_sub(5);
    match (only.is_empty(), extra) {
        (true, _) => "none".into(),
        (false, 0) => only.join(", "),
        (false, k) => format!("{} and {k} more", only.join(", ")),
    }
}

/// An ImageNet-style folder `root` with `train/` and `val/`: images resized (shorter
/// side `resize`) and centre-cropped to 3×`crop`×`crop`, normalisation
/// [`Normalization::imagenet`], name = the folder's name.
///
/// # Errors
/// - [`ExperimentError::Config`] if `crop` is 0 or `resize` < `crop`;
/// - [`ExperimentError::Io`] if `train/` or `val/` is missing, has no class folder, or a
///   class folder holds no image;
/// - [`ExperimentError::Other`] if `val/` has a different class set from `train/` (both
///   differences are listed);
/// - [`ExperimentError::Data`] naming a file that cannot be decoded (offset 0: the
///   decoders do not report a position) or has an unsupported image extension.
pub fn load(root: &Path, resize: usize, crop: usize) -> Result<Split> {
    if crop == 0 || resize < crop {
        return Err(ExperimentError::config(
            "data.resize",
            format!("need resize ≥ crop ≥ 1, got resize = {resize}, crop = {crop}"),
        ));
    }
    let train_dir = root.join("train");
    let val_dir = root.join("val");
    let classes = class_names(&train_dir)?;
    if classes.is_empty() {
        return Err(not_found(
            &train_dir,
            format!("{} has no class subfolders", train_dir.display()),
        ));
    }
    let val_classes = class_names(&val_dir)?;
    if val_classes != classes {
        return Err(ExperimentError::Other(format!(
            "{} and {} have different class folders: only in train: {}; only in val: {}",
            train_dir.display(),
            val_dir.display(),
            difference(&classes, &val_classes),
            difference(&val_classes, &classes)
        )));
    }
    let train = read_split(&train_dir, &classes, resize, crop)?;
    let test = read_split(&val_dir, &classes, resize, crop)?;
    let name = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "image-folder".into());
    Ok(Split {
        name,
        train,
        test,
        normalization: Normalization::imagenet(),
    })
}
