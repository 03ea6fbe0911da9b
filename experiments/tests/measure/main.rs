//! Tests of `experiments::measure`: exact Hessian-vector products against independent
//! Hessians, spectra, sharpness, Wu's quantities.

mod hessian;
mod hvp;
mod sharpness;
mod support;
mod worker;
mod wu;
