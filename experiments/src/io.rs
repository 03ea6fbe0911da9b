//! Atomic file writes: a temporary file in the same directory, flushed, then renamed
//! over the target, so a killed run never leaves a half-written record or checkpoint.

use crate::{ExperimentError, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `bytes` to `path` atomically.
///
/// # Errors
/// [`ExperimentError::Io`] naming the file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |tmp| {
        let mut f = std::fs::File::create(tmp).map_err(|e| ExperimentError::io(tmp, e))?;
        f.write_all(bytes)
            .map_err(|e| ExperimentError::io(tmp, e))?;
        f.sync_all().map_err(|e| ExperimentError::io(tmp, e))
    })
}

/// Lets `write` fill a temporary file, then renames it to `path`; the temporary file is
/// removed if `write` fails.
///
/// # Errors
/// What `write` returns, or [`ExperimentError::Io`] for the rename.
pub fn write_atomic_with(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let tmp = temporary(path);
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| ExperimentError::io(path, e))
}
