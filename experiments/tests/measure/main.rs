//! Tests of `experiments::measure`: exact Hessian-vector products against independent
//! Hessians, spectra, sharpness, Wu's quantities.

// The fixtures outside #[test] functions fail loudly on any error, like the tests.
#![allow(clippy::unwrap_used)]

mod hessian;
mod hvp;
mod resnet;
mod sharpness;
mod support;
mod worker;
mod wu;
