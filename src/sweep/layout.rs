//! Where a sweep's files go (the tree in the [module docs](super)), `sweep.json`
//! ([`Index`]: run index → grid point, seed, overrides, directory), the state of a run
//! directory ([`RunState`]) and the record of a failed attempt ([`Failure`]).
//!
//! Directory names: grid point p is `runs/<p>-<label>` with p zero-padded to at least
//! three digits and the label `key=value,…` of [`grid::label`]
//! (keys by their last dotted part where unambiguous; characters other than letters,
//! digits and `.+-=,_` become `_`; at most 80 characters, the index keeps names
//! unique); each seed S of it is `seed_<S>` below.

use super::grid::{self, Grid, Point, Run};
use super::{GridError, Sweep};
use anyhow::{Context, Result};
use experiments::train::record::{read_json, write_json, MANIFEST, SUMMARY};
use experiments::train::{Manifest, Status, Summary};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `OUT/sweep.json`.
pub const INDEX: &str = "sweep.json";
/// `OUT/runs`.
pub const RUNS: &str = "runs";
/// `OUT/logs`.
pub const LOGS: &str = "logs";
/// `OUT/summary.csv`.
pub const SUMMARY_CSV: &str = "summary.csv";
/// `OUT/failures.json`.
pub const FAILURES: &str = "failures.json";
/// `OUT/sweep.sbatch`.
pub const SBATCH: &str = "sweep.sbatch";
/// The config of a run, in its directory.
pub const CONFIG: &str = "config.toml";
/// The record of a run's last failed attempt, in its directory (removed when it ends).
pub const FAILURE: &str = "failure.json";
/// Lock file of a run directory, held while a process runs it.
pub const LOCK: &str = ".sweep.lock";
/// Longest label of a point directory, in characters.
const LABEL_CHARACTERS: usize = 80;

/// A grid point in `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointEntry {
    /// Point index.
    pub index: usize,
    /// Grid key → value.
    pub overrides: BTreeMap<String, Json>,
    /// Directory, relative to OUT.
    pub dir: String,
}

/// A run in `sweep.json`: what array task `index` runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEntry {
    /// Run index (the Slurm array task id).
    pub index: usize,
    /// Grid point.
    pub point: usize,
    /// Seed.
    pub seed: u64,
    /// Grid key → value (the point's).
    pub overrides: BTreeMap<String, Json>,
    /// Directory, relative to OUT.
    pub dir: String,
}

/// `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// The grid file, as given on the command line.
    pub grid: String,
    /// The grid keys, in axis order.
    pub keys: Vec<String>,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// Every grid point.
    pub points: Vec<PointEntry>,
    /// Every run; `runs[r].index == r`.
    pub runs: Vec<RunEntry>,
}

/// A TOML value as JSON.
fn json(v: &toml::Value) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

/// Letters, digits and `.+-=,_` kept, anything else `_`, no `_` twice in a row.
fn path_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() || ".+-=,_".contains(c) {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    out
}

/// `runs/<p>-<label>` (module docs) of `point` among `grid`'s points; axes with a
/// single value are left out of the label (they are the same for every point).
#[must_use]
pub fn point_dir(grid: &Grid, point: &Point) -> String {
    let width = grid
        .point_count()
        .saturating_sub(1)
        .to_string()
        .len()
        .max(3);
    let varying: Vec<(String, toml::Value)> = point
        .overrides
        .iter()
        .filter(|(k, _)| grid.axes.iter().any(|a| &a.key == k && a.values.len() > 1))
        .cloned()
        .collect();
    let label = path_safe(&grid::label(&varying, usize::MAX));
    let label: String = label.chars().take(LABEL_CHARACTERS).collect();
    format!("{RUNS}/{:0width$}-{label}", point.index)
}

impl Index {
    /// The index of a grid's points and runs; `grid_file` as given by the user.
    #[must_use]
    pub fn new(grid_file: &str, grid: &Grid, points: &[Point], runs: &[Run]) -> Self {
        let overrides = |p: &Point| {
            p.overrides
                .iter()
                .map(|(k, v)| (k.clone(), json(v)))
                .collect::<BTreeMap<_, _>>()
        };
        let points: Vec<PointEntry> = points
            .iter()
            .map(|p| PointEntry {
                index: p.index,
                overrides: overrides(p),
                dir: point_dir(grid, p),
            })
            .collect();
        let runs = runs
            .iter()
            .map(|r| RunEntry {
                index: r.index,
                point: r.point,
                seed: r.seed,
                overrides: points[r.point].overrides.clone(),
                dir: format!("{}/seed_{}", points[r.point].dir, r.seed),
            })
            .collect();
        Self {
            grid: grid_file.to_string(),
            keys: grid.axes.iter().map(|a| a.key.clone()).collect(),
            seeds: grid.seeds.clone(),
            points,
            runs,
        }
    }

    /// True if `other` describes the same runs (the grid file's name may differ).
    #[must_use]
    pub fn same_runs(&self, other: &Index) -> bool {
        self.keys == other.keys
            && self.seeds == other.seeds
            && self.points == other.points
            && self.runs == other.runs
    }
}

/// What a run directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// No run yet: it is started with `igo train config.toml --out DIR`.
    New,
    /// A run that has not ended (interrupted, killed, or failed after it started): it
    /// is continued with `igo train --resume DIR`.
    Stopped,
    /// A run that ended, finished or diverged: never started again.
    Ended(Status),
}

/// The state of the run directory `dir`: [`RunState::Ended`] if its `summary.json`
/// says finished or diverged, [`RunState::Stopped`] if it has a manifest, else
/// [`RunState::New`].
#[must_use]
pub fn state(dir: &Path) -> RunState {
    match read_json::<Summary>(&dir.join(SUMMARY)) {
        Ok(s) if matches!(s.status, Status::Finished | Status::Diverged) => {
            RunState::Ended(s.status)
        }
        _ if dir.join(MANIFEST).exists() => RunState::Stopped,
        _ => RunState::New,
    }
}

/// The last failed attempt of a run (`failure.json` in its directory; collected into
/// `OUT/failures.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// Run index.
    pub index: usize,
    /// Seed.
    pub seed: u64,
    /// Run directory, relative to OUT.
    pub dir: String,
    /// Grid key → value.
    pub overrides: BTreeMap<String, Json>,
    /// How the attempt ended: `exit status N`, `signal N`, or the error starting it.
    pub exit: String,
    /// The log file of the run, relative to OUT.
    pub log: String,
    /// The last lines the attempt printed (stdout and stderr).
    pub tail: String,
    /// When the attempt ended, seconds since the Unix epoch.
    pub ended_unix: u64,
}

/// The failure record of run directory `dir`, if there is one.
#[must_use]
pub fn failure(dir: &Path) -> Option<Failure> {
    read_json(&dir.join(FAILURE)).ok()
}

/// `logs/run-<R>.log`, relative to OUT.
#[must_use]
pub fn log_file(run: usize) -> String {
    format!("{LOGS}/run-{run}.log")
}

impl Sweep {
    /// Checks that `OUT` holds this sweep or none: `sweep.json`, if present, lists the
    /// same runs, and every run directory with records was started with this run's
    /// config.
    ///
    /// # Errors
    /// [`GridError`] (key `--out`) naming the difference; I/O errors reading them.
    pub fn check_out(&self) -> Result<()> {
        let path = self.out.join(INDEX);
        if path.exists() {
            let existing: Index =
                read_json(&path).with_context(|| format!("reading {}", path.display()))?;
            if !existing.same_runs(&self.index) {
                return Err(GridError::new(
                    "--out",
                    format!(
                        "{} lists another sweep than {} (keys, values, seeds or directories differ): \
                         choose another --out",
                        path.display(),
                        self.grid_file.display()
                    ),
                )
                .into());
            }
        }
        for run in &self.runs {
            let dir = self.run_dir(run.index);
            let manifest = dir.join(MANIFEST);
            if manifest.exists() {
                let m: Manifest = read_json(&manifest)
                    .with_context(|| format!("reading {}", manifest.display()))?;
                if m.config != run.config {
                    return Err(GridError::new(
                        "--out",
                        format!(
                            "{} holds a run with another config than run {} of this sweep \
                             (was the base config changed?): choose another --out",
                            dir.display(),
                            run.index
                        ),
                    )
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Writes `sweep.json` and creates `runs/` and `logs/`.
    ///
    /// # Errors
    /// I/O errors.
    pub fn write_index(&self) -> Result<()> {
        for d in [self.out.join(RUNS), self.out.join(LOGS)] {
            std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
        }
        write_json(&self.out.join(INDEX), &self.index)?;
        Ok(())
    }

    /// Writes `config.toml` into the directory of run `run` (created).
    ///
    /// # Errors
    /// I/O errors.
    pub fn write_config(&self, run: &Run) -> Result<PathBuf> {
        let dir = self.run_dir(run.index);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let text = toml::to_string(&run.table).context("writing a run config as TOML")?;
        let path = dir.join(CONFIG);
        experiments::io::write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn point_dirs_are_padded_readable_and_path_safe() {
        let text = "seeds = [0]\n[base]\nepochs = 1\nmodel = \"mlp-16\"\n\
            [base.schedule]\nlearning_rate = 0.1\nbatch_size = 32\n[grid]\n\
            epochs = [2]\ndata = [\"digits\", \"cifar10:/x y/z\"]\n\
            \"schedule.learning_rate\" = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]";
        let g = Grid::parse(text, Path::new("/"), "test").unwrap();
        let points = g.points();
        // data (2 values) varies slowest; epochs (1 value) stays out of the names.
        assert_eq!(
            point_dir(&g, &points[7]),
            "runs/007-data=cifar10_x_y_z,learning_rate=0.1"
        );
        assert_eq!(
            point_dir(&g, &points[0]),
            "runs/000-data=digits,learning_rate=0.05"
        );
        let one = Grid::parse(
            "[base]\nepochs = 1\nmodel = \"mlp-16\"\n[base.schedule]\n\
            learning_rate = 0.1\nbatch_size = 32",
            Path::new("/"),
            "test",
        )
        .unwrap();
        assert_eq!(point_dir(&one, &one.points()[0]), "runs/000-base");
    }
}
