//! [`DataSource`]: which dataset a run uses, as written in a run config (`[data]` table
//! with `kind = …`) or on the command line (`--data digits|cifar10:PATH|…`).

use super::cifar::{self, Cifar100Label};
use super::image_folder::{self, DEFAULT_CROP, DEFAULT_RESIZE};
use super::{digits, mnist, Split};
use crate::{ExperimentError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A dataset and where to read it; the default is the embedded digits (no download).
///
/// In a TOML run config:
/// ```toml
/// [data]
/// kind = "cifar100"              # digits | cifar10 | cifar100 | mnist | image-folder
/// path = "/data/cifar-100-binary"
/// coarse = false                 # cifar100 only: the 20 superclasses instead of 100
/// # image-folder only: resize = 256, crop = 224
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DataSource {
    /// scikit-learn's 8×8 digits, embedded in the binary ([`digits::split`]).
    #[default]
    Digits,
    /// CIFAR-10, official binary version ([`cifar::load_cifar10`]).
    Cifar10 {
        /// The folder with the `.bin` files, or its parent.
        path: PathBuf,
    },
    /// CIFAR-100, official binary version ([`cifar::load_cifar100`]).
    Cifar100 {
        /// The folder with `train.bin` and `test.bin`, or its parent.
        path: PathBuf,
        /// Use the 20 coarse labels instead of the 100 fine ones.
        #[serde(default)]
        coarse: bool,
    },
    /// MNIST or Fashion-MNIST IDX files, plain or gzipped ([`mnist::load`]).
    Mnist {
        /// The folder with the IDX files (or its `raw/` child).
        path: PathBuf,
    },
    /// An ImageNet-style folder with `train/<class>/` and `val/<class>/`
    /// ([`image_folder::load`]).
    ImageFolder {
        /// The folder holding `train/` and `val/`.
        path: PathBuf,
        /// Shorter side after resizing (default 256).
        #[serde(default = "default_resize")]
        resize: usize,
        /// Side of the stored centre crop (default 224).
        #[serde(default = "default_crop")]
        crop: usize,
    },
}

fn default_resize() -> usize {
    DEFAULT_RESIZE
}

fn default_crop() -> usize {
    DEFAULT_CROP
}

/// The accepted forms of the `--data` flag, for help texts and error messages.
pub const DATA_FLAG_FORMS: &str =
    "digits | cifar10:PATH | cifar100:PATH | cifar100-coarse:PATH | mnist:PATH | image-folder:PATH";

impl DataSource {
    /// The `kind` as written in a config (`digits`, `cifar10`, `cifar100`, `mnist`,
    /// `image-folder`).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            DataSource::Digits => "digits",
            DataSource::Cifar10 { .. } => "cifar10",
            DataSource::Cifar100 { .. } => "cifar100",
            DataSource::Mnist { .. } => "mnist",
            DataSource::ImageFolder { .. } => "image-folder",
        }
    }

    /// The path read, if any.
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        match self {
            DataSource::Digits => None,
            DataSource::Cifar10 { path }
            | DataSource::Cifar100 { path, .. }
            | DataSource::Mnist { path }
            | DataSource::ImageFolder { path, .. } => Some(path),
        }
    }

    /// One line for logs and manifests, e.g. `CIFAR-100 (fine labels, binary) from /data/c100`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            DataSource::Digits => {
                "scikit-learn 8×8 digits (embedded; 1,438 train / 359 test)".into()
            }
            DataSource::Cifar10 { path } => {
                format!("CIFAR-10 (binary) from {}", path.display())
            }
            DataSource::Cifar100 { path, coarse } => format!(
                "CIFAR-100 ({} labels, binary) from {}",
                if *coarse { "coarse" } else { "fine" },
                path.display()
            ),
            DataSource::Mnist { path } => format!("MNIST IDX files from {}", path.display()),
            DataSource::ImageFolder { path, resize, crop } => format!(
                "image folder {} (resize {resize}, centre crop {crop})",
                path.display()
            ),
        }
    }

    /// Checks what can be checked without reading the data: the path is an existing
    /// folder, and for an image folder resize ≥ crop ≥ 1.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] naming `data.path`, `data.resize` or `data.crop`.
    pub fn validate(&self) -> Result<()> {
        if let Some(path) = self.path() {
            if !path.is_dir() {
                return Err(ExperimentError::config(
                    "data.path",
                    format!(
                        "{} is not a folder (a {} source needs the folder of its files)",
                        path.display(),
                        self.kind()
                    ),
                ));
            }
        }
        if let DataSource::ImageFolder { resize, crop, .. } = self {
            if *crop == 0 {
                return Err(ExperimentError::config(
                    "data.crop",
                    "must be at least 1 (default 224)",
                ));
            }
            if resize < crop {
                return Err(ExperimentError::config(
                    "data.resize",
                    format!("must be ≥ crop = {crop}, got {resize} (default 256)"),
                ));
            }
        }
        Ok(())
    }

    /// Reads the dataset into memory.
    ///
    /// # Errors
    /// Those of [`DataSource::validate`] and of the reader (missing file, truncated
    /// record, label out of range, undecodable image: the file and byte offset).
    pub fn load(&self) -> Result<Split> {
        self.validate()?;
        match self {
            DataSource::Digits => digits::split(),
            DataSource::Cifar10 { path } => cifar::load_cifar10(path),
            DataSource::Cifar100 { path, coarse } => cifar::load_cifar100(
                path,
                if *coarse {
                    Cifar100Label::Coarse
                } else {
                    Cifar100Label::Fine
                },
            ),
            DataSource::Mnist { path } => mnist::load(path),
            DataSource::ImageFolder { path, resize, crop } => {
                image_folder::load(path, *resize, *crop)
            }
        }
    }
}

impl FromStr for DataSource {
    type Err = ExperimentError;

    /// Parses the `--data` flag: `digits`, `cifar10:PATH`, `cifar100:PATH`,
    /// `cifar100-coarse:PATH`, `mnist:PATH` or `image-folder:PATH` (default sizes
    /// 256/224). Only the first `:` separates, so PATH may contain `:`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: String| {
            ExperimentError::config("--data", format!("{why}; accepted: {DATA_FLAG_FORMS}"))
        };
        let (kind, path) = match s.split_once(':') {
            Some((k, p)) => (k.trim(), Some(p)),
            None => (s.trim(), None),
        };
        let path = match (kind, path) {
            ("digits", None) => return Ok(DataSource::Digits),
            ("digits", Some(_)) => {
                return Err(bad(format!("`{s}`: digits are embedded and take no path")))
            }
            (_, Some(p)) if !p.is_empty() => PathBuf::from(p),
            ("cifar10" | "cifar100" | "cifar100-coarse" | "mnist" | "image-folder", _) => {
                return Err(bad(format!("`{s}`: {kind} needs a path, as {kind}:PATH")))
            }
            _ => return Err(bad(format!("unknown data source `{s}`"))),
        };
        match kind {
            "cifar10" => Ok(DataSource::Cifar10 { path }),
            "cifar100" => Ok(DataSource::Cifar100 {
                path,
                coarse: false,
            }),
            "cifar100-coarse" => Ok(DataSource::Cifar100 { path, coarse: true }),
            "mnist" => Ok(DataSource::Mnist { path }),
            "image-folder" => Ok(DataSource::ImageFolder {
                path,
                resize: DEFAULT_RESIZE,
                crop: DEFAULT_CROP,
            }),
            _ => Err(bad(format!("unknown data source `{kind}` in `{s}`"))),
        }
    }
}

impl fmt::Display for DataSource {
    /// The `--data` flag form (`cifar10:PATH`); an image folder with non-default sizes
    /// adds ` (resize R, crop C)`, which the flag parser does not accept.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSource::Digits => write!(f, "digits"),
            DataSource::Cifar10 { path } => write!(f, "cifar10:{}", path.display()),
            DataSource::Cifar100 { path, coarse } => write!(
                f,
                "{}:{}",
                if *coarse {
                    "cifar100-coarse"
                } else {
                    "cifar100"
                },
                path.display()
            ),
            DataSource::Mnist { path } => write!(f, "mnist:{}", path.display()),
            DataSource::ImageFolder { path, resize, crop } => {
                write!(f, "image-folder:{}", path.display())?;
                if (*resize, *crop) != (DEFAULT_RESIZE, DEFAULT_CROP) {
                    write!(f, " (resize {resize}, crop {crop})")?;
                }
                Ok(())
            }
        }
    }
}
