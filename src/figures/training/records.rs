//! Reading an experiment directory written by `igo experiment NAME --out DIR/NAME`:
//! `verdicts.json` (the command, seeds and verdicts) and every run under `runs/…`
//! (`manifest.json`, `epochs.jsonl`, `summary.json`), parsed into the record types of
//! `experiments::train::record`, and the seed bands the figures draw.

use crate::figures::{Inputs, Point, Style};
use anyhow::Context as _;
use experiments::predictions::Verdict;
use experiments::train::record::{read_json, read_records, EPOCHS, MANIFEST, SUMMARY};
use experiments::train::{EpochRecord, Manifest, Summary};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The records of an experiment are not there: the directory, and the command that
/// makes them. The figure CLI reports it as "skipped".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingRecords {
    /// The experiment (`methods`, `sharpness-vs-delta`, …).
    pub experiment: String,
    /// The directory that should hold its runs.
    pub dir: PathBuf,
    /// What is missing.
    pub what: String,
}

impl MissingRecords {
    /// `igo experiment NAME --out DIR`: the command that writes the records.
    #[must_use]
    pub fn command(&self) -> String {
        format!(
            "igo experiment {} --out {}",
            self.experiment,
            self.dir.display()
        )
    }
}

impl std::fmt::Display for MissingRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no records of experiment `{}` in {}: {}; run `{}` to make them",
            self.experiment,
            self.dir.display(),
            self.what,
            self.command()
        )
    }
}

impl std::error::Error for MissingRecords {}

/// One run of an experiment, as its three files say.
#[derive(Debug, Clone)]
pub struct Run {
    /// Directory relative to `DIR/runs`, e.g. `method2/seed_0`.
    pub name: String,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// `summary.json`.
    pub summary: Summary,
    /// `epochs.jsonl`, in order.
    pub records: Vec<EpochRecord>,
}

impl Run {
    /// The seed of the run (from its manifest).
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.manifest.seed
    }

    /// The first component of [`Run::name`] (the configuration: `method2`, `p0.5`,
    /// `0.1_16`, `ego`).
    #[must_use]
    pub fn group(&self) -> &str {
        self.name.split('/').next().unwrap_or("")
    }
}

/// The part of `verdicts.json` the figures use (`experiments::experiment::Report`).
#[derive(Debug, Clone, Deserialize)]
pub struct Verdicts {
    /// The command line that made the directory.
    pub command: String,
    /// The seeds of its runs.
    pub seeds: Vec<u64>,
    /// The verdicts.
    pub verdicts: Vec<Verdict>,
}

impl Verdicts {
    /// "P1 HOLDS: evidence; …": the first verdict of each id in `ids` (the
    /// experiment's main reading; later ones of the same id are robustness variants).
    #[must_use]
    pub fn summary(&self, ids: &[&str]) -> String {
        ids.iter()
            .filter_map(|id| self.verdicts.iter().find(|v| v.id == *id))
            .map(|v| format!("{} {}: {}", v.id, v.outcome, v.evidence))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Every verdict of the ids, "P4 HOLDS (statement)", joined by "; ".
    #[must_use]
    pub fn outcomes(&self, ids: &[&str]) -> String {
        self.verdicts
            .iter()
            .filter(|v| ids.contains(&v.id.as_str()))
            .map(|v| format!("{} {} ({})", v.id, v.outcome, v.statement))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// An experiment directory with its runs.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// `Inputs.experiments/NAME`.
    pub dir: PathBuf,
    /// `verdicts.json`, when the experiment completed.
    pub verdicts: Option<Verdicts>,
    /// Every run under `runs/` that has a manifest, a summary and at least one epoch
    /// record, sorted by name.
    pub runs: Vec<Run>,
}

impl Experiment {
    /// The command that made the directory (from `verdicts.json`, the program's path
    /// shortened to its file name), or the one that would.
    #[must_use]
    pub fn command(&self, name: &str) -> String {
        self.verdicts.as_ref().map_or_else(
            || format!("igo experiment {name} --out {}", self.dir.display()),
            |v| {
                let mut words = v.command.splitn(2, ' ');
                let program = words.next().unwrap_or("");
                let program = Path::new(program)
                    .file_name()
                    .map_or(program.into(), |f| f.to_string_lossy());
                match words.next() {
                    Some(rest) => format!("{program} {rest}"),
                    None => program.into_owned(),
                }
            },
        )
    }

    /// "data: DIR/runs/PATTERN (N runs, seeds …) of `COMMAND`".
    #[must_use]
    pub fn provenance(&self, name: &str, pattern: &str) -> String {
        let mut seeds: Vec<u64> = self.runs.iter().map(Run::seed).collect();
        seeds.sort_unstable();
        seeds.dedup();
        let seeds: Vec<String> = seeds.iter().map(u64::to_string).collect();
        format!(
            "Data: {}/runs/{pattern} ({} runs, seeds {}) written by `{}`",
            self.dir.display(),
            self.runs.len(),
            seeds.join(", "),
            self.command(name)
        )
    }
}

/// Reads `inputs.experiments/NAME`: every run directory (one holding `manifest.json`)
/// under `runs/`, and `verdicts.json` if present.
///
/// # Errors
/// [`MissingRecords`] when the directory, its `runs/` or any complete run is missing;
/// a parse error naming the file when a record is not in the experiments' format.
pub fn read_experiment(inputs: &Inputs, name: &str) -> anyhow::Result<Experiment> {
    let dir = inputs.experiments.join(name);
    let missing = |what: String| MissingRecords {
        experiment: name.to_string(),
        dir: dir.clone(),
        what,
    };
    let runs_dir = dir.join(experiments::experiment::runs::RUNS);
    if !runs_dir.is_dir() {
        return Err(missing(format!("{} does not exist", runs_dir.display())).into());
    }
    let mut manifests = Vec::new();
    find_manifests(&runs_dir, &mut manifests)?;
    manifests.sort();
    let mut runs = Vec::new();
    for run_dir in manifests {
        // A run that never finished an epoch (or was killed before its summary) has
        // nothing to draw.
        if !run_dir.join(SUMMARY).is_file() {
            continue;
        }
        let manifest: Manifest = read_json(&run_dir.join(MANIFEST))?;
        let summary: Summary = read_json(&run_dir.join(SUMMARY))?;
        let path = run_dir.join(EPOCHS);
        let records = read_records(&path)?
            .iter()
            .map(|line| serde_json::from_str::<EpochRecord>(line))
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{}", path.display()))?;
        if records.is_empty() {
            continue;
        }
        let name = run_dir
            .strip_prefix(&runs_dir)
            .unwrap_or(&run_dir)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        runs.push(Run {
            name,
            manifest,
            summary,
            records,
        });
    }
    if runs.is_empty() {
        return Err(missing(format!(
            "{} holds no run with a summary and an epoch record",
            runs_dir.display()
        ))
        .into());
    }
    let verdicts_path = dir.join(experiments::experiment::report::VERDICTS);
    let verdicts = if verdicts_path.is_file() {
        Some(read_json::<Verdicts>(&verdicts_path)?)
    } else {
        None
    };
    Ok(Experiment {
        dir,
        verdicts,
        runs,
    })
}

/// Every directory under `dir` (recursively) that holds a `manifest.json`.
fn find_manifests(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if dir.join(MANIFEST).is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if path.is_dir() {
            find_manifests(&path, out)?;
        }
    }
    Ok(())
}

/// The seed band of several curves y_s(x) that share their x: at each x present in
/// every curve, mean, min and max over the curves (a [`Point::band`]). Curves are
/// (x, y) lists; x values are matched exactly (epochs, update counts). Points where any
/// curve is not finite are left out.
#[must_use]
pub fn band(curves: &[Vec<(f64, f64)>]) -> Vec<Point> {
    let Some(first) = curves.first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter_map(|&(x, _)| {
            let ys: Vec<f64> = curves
                .iter()
                .map(|c| {
                    c.iter()
                        .find(|(cx, _)| cx.total_cmp(&x).is_eq())
                        .map_or(f64::NAN, |p| p.1)
                })
                .collect();
            if ys.iter().any(|y| !y.is_finite()) {
                return None;
            }
            let mean = ys.iter().sum::<f64>() / ys.len() as f64;
            let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Some(Point::band(x, mean, lo, hi))
        })
        .collect()
}

/// For a caption: `"; WHAT, left out: a, b"` naming the runs a figure left out, or
/// nothing when there are none.
#[must_use]
pub fn left_out(what: &str, runs: &[String]) -> String {
    if runs.is_empty() {
        String::new()
    } else {
        format!("; {what}, left out: {}", runs.join(", "))
    }
}

/// Band points as a series of `style` draws them: whole for [`Style::Band`], the
/// means alone (x, y) otherwise.
#[must_use]
pub fn in_style(style: Style, points: Vec<Point>) -> Vec<Point> {
    if style == Style::Band {
        points
    } else {
        points.iter().map(|q| Point::xy(q.x, q.y)).collect()
    }
}
