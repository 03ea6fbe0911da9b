//! Every figure of the seeds, computed from the checks' library functions or from run
//! records, never from numbers typed into the code, and drawn with plotters.
//!
//! A figure is first data ([`chart::Figure`]); [`Entry`] names it, says which claims
//! (check ids `C…`, prediction ids `P…`) it illustrates and how its data is made.

pub mod chart;
pub mod render;
pub mod theory;
pub mod training;

pub use chart::{Axis, Figure, Panel, Point, Rule, Series, Span, Style};
pub use render::{draw, Written};

use std::path::{Path, PathBuf};

/// What a figure function may read.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    /// Directory holding the experiment directories, one per experiment name
    /// (`sharpness-vs-delta/`, `methods/`, `poly-power/`, `explicit-go/`), as written by
    /// `igo experiment NAME --out DIR/NAME`.
    pub experiments: PathBuf,
    /// Seed of every random stream a theory figure draws.
    pub seed: u64,
    /// Fewer grid points / samples (for `igo reproduce --quick`); the figure is the same
    /// figure, only coarser.
    pub quick: bool,
}

/// Where a figure's data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Computed by the library functions behind the theory checks.
    Theory,
    /// Read from the records of the named experiment (`igo experiment NAME`).
    Experiment(&'static str),
}

/// A figure function: computes the figure's data.
pub type Make = fn(&Inputs) -> anyhow::Result<Figure>;

/// A named figure.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// Name (`igo figure NAME`, file stem).
    pub name: &'static str,
    /// One line: what it shows.
    pub about: &'static str,
    /// Claims it illustrates: check ids (`C5.3`) and prediction ids (`P1`).
    pub claims: &'static [&'static str],
    /// Where its data comes from.
    pub source: Source,
    /// Computes it.
    pub make: Make,
}

/// Every figure: the theory figures, then the schedule/least-squares/training figures.
#[must_use]
pub fn registry() -> Vec<Entry> {
    let mut all = theory::entries();
    all.extend(training::entries());
    all
}

/// Why a figure was not drawn.
#[derive(Debug)]
pub enum Failure {
    /// Its experiment's records are missing (the directory looked at, what is missing,
    /// and the command that writes them).
    MissingRecords(training::records::MissingRecords),
    /// Computing or drawing it failed.
    Error(anyhow::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::MissingRecords(m) => write!(
                f,
                "its experiment records are missing: {} (make them with `{}`)",
                m.what,
                m.command()
            ),
            Failure::Error(e) => write!(f, "{e:#}"),
        }
    }
}

/// Computes figure `entry` from `inputs` and draws it into `out`.
///
/// # Errors
/// [`Failure::MissingRecords`] when an experiment figure finds no records (the
/// figure's reader says so), [`Failure::Error`] for anything else.
pub fn draw_entry(entry: &Entry, inputs: &Inputs, out: &Path) -> Result<Written, Failure> {
    let figure = (entry.make)(inputs).map_err(|e| {
        match e.downcast::<training::records::MissingRecords>() {
            Ok(m) => Failure::MissingRecords(m),
            Err(e) => Failure::Error(e.context(format!("computing figure {}", entry.name))),
        }
    })?;
    draw(&figure, out)
        .map_err(|e| Failure::Error(e.context(format!("drawing figure {}", entry.name))))
}
