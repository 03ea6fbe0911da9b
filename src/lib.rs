//! The `igo` package's library: what the command line draws and orchestrates on top of
//! the `numerics`, `theory` and `experiments` crates.
//!
//! * [`figures`]: every figure of the seeds as data ([`figures::Figure`]), drawn with
//!   plotters to SVG and PNG with the CSV of exactly the points drawn.
//! * [`reproduce`]: `igo reproduce`, the checks, the experiments and every figure in
//!   one command, with an index page of claims, verdicts, figures and commands.
//! * [`sweep`]: `igo sweep`, a grid over run-config keys × seeds run as parallel,
//!   resumable `igo train` processes or as a Slurm job array.
//! * [`checks`], [`progress`]: the check runner and the training progress display
//!   shared by the subcommands.

pub mod checks;
pub mod figures;
pub mod progress;
pub mod reproduce;
pub mod sweep;
