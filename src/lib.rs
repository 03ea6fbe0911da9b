//! The `igo` package's library: what the command line draws and orchestrates on top of
//! the `numerics`, `theory` and `experiments` crates.
//!
//! * [`figures`]: every figure of the seeds as data ([`figures::Figure`]), drawn with
//!   plotters to SVG and PNG with the CSV of exactly the points drawn.

pub mod checks;
pub mod figures;
pub mod progress;
pub mod reproduce;
