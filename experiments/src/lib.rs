//! Training experiments with candle that test the papers' deep-learning predictions end
//! to end: data (CIFAR-10/100, ImageNet-style folders, MNIST, the embedded digits),
//! models (ResNets, WideResNet, small nets) with igo's own seeded initialisation,
//! optimizers on candle tensors driven by `numerics` schedules, a resumable training
//! loop with per-epoch records, and measurements (C², δ, sharpness, Hessian spectra).
//!
//! Runs on the CPU by default; the `cuda` feature adds NVIDIA GPUs.

pub mod bench;
pub mod data;
pub mod device;
pub mod error;
pub mod experiment;
pub mod io;
pub mod measure;
pub mod models;
pub mod ops;
pub mod optimizer;
pub mod predictions;
pub mod runtime;
pub mod train;

pub use error::{ExperimentError, Result};
