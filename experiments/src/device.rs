//! Device selection: `cpu`, `cuda` or `cuda:N`.

use crate::{ExperimentError, Result};
use candle_core::Device;

/// The device named by `spec`: `cpu`, `cuda` (GPU 0) or `cuda:N`.
///
/// # Errors
/// [`ExperimentError::Config`] for an unknown name, or `cuda` in a build without the
/// `cuda` feature; [`ExperimentError::Candle`] if the GPU cannot be opened.
pub fn device(spec: &str) -> Result<Device> {
    let spec = spec.trim().to_ascii_lowercase();
    if spec == "cpu" {
        return Ok(Device::Cpu);
    }
    let ordinal = match spec.as_str() {
        "cuda" | "gpu" => Some(0),
        s => s
            .strip_prefix("cuda:")
            .and_then(|n| n.parse::<usize>().ok()),
    };
    match ordinal {
        Some(n) if cfg!(feature = "cuda") => Ok(Device::new_cuda(n)?),
        Some(_) => Err(ExperimentError::config(
            "device",
            "this igo was built without CUDA support: rebuild with `--features cuda` (see scripts/build-cuda.sh)",
        )),
        None => Err(ExperimentError::config("device", format!("unknown device '{spec}': expected cpu, cuda or cuda:N"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_parses_cpu_and_rejects_unknown_names() {
        assert!(matches!(device("cpu"), Ok(Device::Cpu)));
        assert!(matches!(device("tpu"), Err(ExperimentError::Config { .. })));
        #[cfg(not(feature = "cuda"))]
        assert!(matches!(
            device("cuda:0"),
            Err(ExperimentError::Config { .. })
        ));
    }
}
