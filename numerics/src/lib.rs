//! Numerical machinery for igo: objectives and finite sums, exact and Monte-Carlo
//! smoothing, optimizers (argmin solvers), schedules, and spectra.
//!
//! Everything is `f64` on [`nalgebra::DVector`]. Randomness always comes from a
//! [`Seed`], which derives one independent ChaCha8 stream per named purpose, so the
//! same seed gives the same numbers on every run.
//!
//! ```
//! use numerics::objective::{Objective, Rastrigin};
//! use nalgebra::DVector;
//! let f = Rastrigin::new(3).unwrap();
//! let x = DVector::zeros(3);
//! assert!(f.value(&x).abs() < 1e-12);          // global minimum f(0) = 0
//! assert!(f.gradient(&x).norm() < 1e-12);      // ∇f(0) = 0
//! ```

pub mod error;
pub mod objective;
pub mod optim;
pub mod quadrature;
pub mod rng;
pub mod schedule;
pub mod smoothing;
pub mod special;
pub mod spectrum;
pub mod stats;

pub use error::{NumericsError, Result};
pub use rng::Seed;

/// Column vector of `f64` used for parameters and gradients.
pub type Vector = nalgebra::DVector<f64>;
/// Dense matrix of `f64`.
pub type Matrix = nalgebra::DMatrix<f64>;
