//! The `igo` package's library: what the command line draws and orchestrates on top of
//! the `numerics`, `theory` and `experiments` crates.
//!
//! * [`figures`]: every figure of the seeds as data ([`figures::Figure`]), drawn with
//!   plotters to SVG and PNG with the CSV of exactly the points drawn.
//! * [`sweep`]: `igo sweep`, a grid over run-config keys × seeds run as parallel,
//!   resumable `igo train` processes or as a Slurm job array.

pub mod figures;
pub mod sweep;
