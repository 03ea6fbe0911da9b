//! Spectra of symmetric matrices and linear operators: dense eigen-decompositions,
//! matrix-free Lanczos and power iteration, Hutchinson trace estimates, and the
//! mean-square stability operator of linearised SGD (spec §8).
//!
//! Everything matrix-free goes through [`LinearOperator`] (dimension and v ↦ Av), which
//! is implemented for dense matrices, for Hessian-vector products of any
//! [`crate::objective::Objective`] ([`HessianOperator`]), for closures ([`FnOperator`]),
//! and for the mean-square map P ↦ T(P) ([`MeanSquareStability::operator`]).
//!
//! ```
//! use numerics::spectrum::{Lanczos, SymmetricSpectrum};
//! use numerics::{Matrix, Seed};
//! let a = Matrix::from_diagonal(&nalgebra::dvector![3.0, 1.0, 2.0]);
//! let dense = SymmetricSpectrum::new(&a).unwrap();
//! assert!((dense.lambda_max() - 3.0).abs() < 1e-12);
//! let top = Lanczos::new().largest(&a, 1, &mut Seed(0).stream("lanczos")).unwrap();
//! assert!((top.pairs()[0].value - 3.0).abs() < 1e-10);
//! ```

pub mod dense;
pub mod hutchinson;
pub mod lanczos;
pub mod mean_square;
pub mod operator;
pub mod power;

pub use dense::{lambda_max, lambda_min, spectral_radius, SymmetricSpectrum};
pub use hutchinson::{hutchinson_trace, TraceEstimate};
pub use lanczos::{Lanczos, LanczosResult, RitzPair};
pub use mean_square::{batch_factor, MeanSquareStability};
pub use operator::{FnOperator, HessianOperator, LinearOperator};
pub use power::{PowerIteration, PowerResult};
