//! `igo sweep`: a grid over run-config keys × seeds ([`grid`]), each run an ordinary
//! `igo train` run directory ([`layout`]), executed by parallel child processes
//! ([`local`]) or by a Slurm job array ([`slurm`]), summarised per grid point
//! ([`summary`]).
//!
//! The output directory of a sweep:
//!
//! ```text
//! OUT/sweep.json                         run index → grid point, seed, overrides, dir
//! OUT/runs/<PPP>-<key=value,…>/seed_<S>/ one run: config.toml + the run's records
//! OUT/logs/run-<R>.log                   what `igo train` printed for run R (every attempt)
//! OUT/summary.csv, OUT/failures.json     the table per grid point; runs whose last attempt failed
//! OUT/sweep.sbatch                       with --slurm: the job array, task i = run i
//! ```
//!
//! A run that ended (its `summary.json` says finished or diverged) is never started
//! again; a run with records that did not end (interrupted, killed, failed after it
//! started) is continued with `igo train --resume`; a run without records is started
//! with `igo train config.toml --out DIR`.

pub mod grid;
pub mod layout;
pub mod local;
pub mod slurm;
pub mod summary;

pub use grid::{Grid, Point, Run};
pub use layout::{Index, RunState};

use anyhow::Result;
use std::path::{Path, PathBuf};

/// A mistake in the grid file or the flags of a sweep (exit status 2): the key and
/// what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridError {
    /// The grid key, config key, or part of the grid file that is wrong.
    pub key: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl GridError {
    /// An error about `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for GridError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

impl std::error::Error for GridError {}

/// A planned sweep: the grid, its points and validated runs, and where they go.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The grid file.
    pub grid_file: PathBuf,
    /// The output directory.
    pub out: PathBuf,
    /// The parsed grid.
    pub grid: Grid,
    /// Its points.
    pub points: Vec<Point>,
    /// Its runs, `runs[r].index == r`.
    pub runs: Vec<Run>,
    /// The index written to `sweep.json`.
    pub index: Index,
}

impl Sweep {
    /// Reads the grid file, expands and validates every run, and lays them out under
    /// `out`. Nothing is written.
    ///
    /// # Errors
    /// [`GridError`] for anything wrong in the grid file or any expanded config.
    pub fn plan(grid_file: &Path, out: &Path) -> Result<Self> {
        let grid = Grid::from_file(grid_file)?;
        let runs = grid.runs()?;
        let points = grid.points();
        let index = Index::new(&grid_file.display().to_string(), &grid, &points, &runs);
        Ok(Self {
            grid_file: grid_file.to_path_buf(),
            out: out.to_path_buf(),
            grid,
            points,
            runs,
            index,
        })
    }

    /// The directory of run `run`.
    #[must_use]
    pub fn run_dir(&self, run: usize) -> PathBuf {
        self.out.join(&self.index.runs[run].dir)
    }

    /// The state of every run's directory.
    #[must_use]
    pub fn states(&self) -> Vec<RunState> {
        (0..self.runs.len())
            .map(|r| layout::state(&self.run_dir(r)))
            .collect()
    }
}
