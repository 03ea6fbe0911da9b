//! The summary of a sweep per grid point, read from the run directories: how many
//! seeds finished, diverged, failed or are still to run, and the mean, min and max
//! over the finished seeds of the final test accuracy, the final train loss and the
//! final epoch's δ (in the form of the run's optimizer, [`Delta::of`]). Printed as a
//! table and written as `OUT/summary.csv`; the runs whose last attempt failed are
//! collected into `OUT/failures.json`.

use super::grid::{value_text, value_word};
use super::layout::{self, Failure, RunState, FAILURES, SUMMARY_CSV};
use super::Sweep;
use anyhow::{Context, Result};
use experiments::train::record::{read_json, read_records, write_json, EPOCHS, SUMMARY};
use experiments::train::{Delta, EpochRecord, Status, Summary};
use std::fmt::Write as _;
use std::path::Path;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// All epochs done.
    Finished,
    /// Stopped as diverged.
    Diverged,
    /// Its last attempt failed (`failure.json`).
    Failed,
    /// Not started, or stopped and not yet continued.
    Pending,
}

/// What one run contributes to the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// Run index.
    pub index: usize,
    /// Grid point.
    pub point: usize,
    /// Where it stands.
    pub standing: Standing,
    /// Final test accuracy (fraction), when finished.
    pub test_accuracy: Option<f64>,
    /// Final train loss, when finished.
    pub train_loss: Option<f64>,
    /// δ of the last epoch, when finished and C² was measured.
    pub delta: Option<f64>,
}

/// Mean, min and max of some values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Arithmetic mean.
    pub mean: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// Mean, min and max of `values`; None if there are none.
    #[must_use]
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(Self { mean, min, max })
    }
}

/// One row of the summary: a grid point.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Point index.
    pub point: usize,
    /// Its directory, relative to OUT.
    pub dir: String,
    /// Its value of every grid key, in axis order.
    pub values: Vec<toml::Value>,
    /// Seeds (runs) of the point.
    pub runs: usize,
    /// Runs finished.
    pub finished: usize,
    /// Runs diverged.
    pub diverged: usize,
    /// Runs whose last attempt failed.
    pub failed: usize,
    /// Runs to do.
    pub pending: usize,
    /// Final test accuracy over the finished runs.
    pub test_accuracy: Option<Spread>,
    /// Final train loss over the finished runs.
    pub train_loss: Option<Spread>,
    /// Final δ over the finished runs.
    pub delta: Option<Spread>,
}

/// The last epoch record of the run in `dir`.
fn last_record(dir: &Path) -> Option<EpochRecord> {
    let lines = read_records(&dir.join(EPOCHS)).ok()?;
    serde_json::from_str(lines.last()?).ok()
}

/// What every run of `sweep` contributes, read from its directory.
#[must_use]
pub fn results(sweep: &Sweep) -> Vec<RunResult> {
    sweep
        .runs
        .iter()
        .map(|run| {
            let dir = sweep.run_dir(run.index);
            let standing = match layout::state(&dir) {
                RunState::Ended(Status::Finished) => Standing::Finished,
                RunState::Ended(_) => Standing::Diverged,
                _ if layout::failure(&dir).is_some() => Standing::Failed,
                _ => Standing::Pending,
            };
            let mut result = RunResult {
                index: run.index,
                point: run.point,
                standing,
                test_accuracy: None,
                train_loss: None,
                delta: None,
            };
            if standing == Standing::Finished {
                if let Ok(s) = read_json::<Summary>(&dir.join(SUMMARY)) {
                    result.test_accuracy = s.final_test_accuracy;
                    result.train_loss = s.final_train_loss;
                }
                result.delta = last_record(&dir)
                    .and_then(|r| r.delta.as_ref().map(|d: &Delta| d.of(r.optimizer)));
            }
            result
        })
        .collect()
}

/// One row per grid point.
#[must_use]
pub fn rows(sweep: &Sweep, results: &[RunResult]) -> Vec<Row> {
    sweep
        .points
        .iter()
        .map(|p| {
            let mine: Vec<&RunResult> = results.iter().filter(|r| r.point == p.index).collect();
            let count = |s: Standing| mine.iter().filter(|r| r.standing == s).count();
            let spread = |f: fn(&RunResult) -> Option<f64>| {
                let v: Vec<f64> = mine.iter().filter_map(|r| f(r)).collect();
                Spread::of(&v)
            };
            Row {
                point: p.index,
                dir: sweep.index.points[p.index].dir.clone(),
                values: p.overrides.iter().map(|(_, v)| v.clone()).collect(),
                runs: mine.len(),
                finished: count(Standing::Finished),
                diverged: count(Standing::Diverged),
                failed: count(Standing::Failed),
                pending: count(Standing::Pending),
                test_accuracy: spread(|r| r.test_accuracy),
                train_loss: spread(|r| r.train_loss),
                delta: spread(|r| r.delta),
            }
        })
        .collect()
}

fn cell(s: Option<Spread>, scale: f64, digits: usize) -> String {
    s.map_or("–".into(), |s| {
        format!(
            "{:.digits$} [{:.digits$}, {:.digits$}]",
            scale * s.mean,
            scale * s.min,
            scale * s.max
        )
    })
}

/// The table printed at the end of a sweep: per point its directory name, the counts,
/// and mean \[min, max\] of test accuracy (%), train loss and δ over finished seeds.
#[must_use]
pub fn table(rows: &[Row]) -> String {
    let name = |r: &Row| {
        r.dir
            .strip_prefix(&format!("{}/", layout::RUNS))
            .unwrap_or(&r.dir)
            .to_string()
    };
    let header = [
        "grid point".to_string(),
        "seeds".into(),
        "fin".into(),
        "div".into(),
        "fail".into(),
        "todo".into(),
        "test acc % mean [min, max]".into(),
        "train loss mean [min, max]".into(),
        "δ mean [min, max]".into(),
    ];
    let body: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            [
                name(r),
                r.runs.to_string(),
                r.finished.to_string(),
                r.diverged.to_string(),
                r.failed.to_string(),
                r.pending.to_string(),
                cell(r.test_accuracy, 100.0, 2),
                cell(r.train_loss, 1.0, 4),
                cell(r.delta, 1.0, 4),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &body {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&body) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = w.saturating_sub(c.chars().count());
                if i == 0 || i >= 6 {
                    format!("{c}{}", " ".repeat(pad))
                } else {
                    format!("{}{c}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `summary.csv`: one line per point, a column per grid key, the counts, and mean, min
/// and max of test accuracy (fraction), train loss and δ (empty when no seed
/// finished).
#[must_use]
pub fn csv(keys: &[String], rows: &[Row]) -> String {
    let mut out = String::new();
    let mut header = vec!["point".to_string(), "dir".to_string()];
    header.extend(keys.iter().cloned());
    header.extend(
        ["seeds", "finished", "diverged", "failed", "pending"]
            .iter()
            .map(|s| (*s).to_string()),
    );
    for q in ["test_accuracy", "train_loss", "delta"] {
        for s in ["mean", "min", "max"] {
            header.push(format!("{q}_{s}"));
        }
    }
    let _ = writeln!(
        out,
        "{}",
        header
            .iter()
            .map(|h| csv_field(h))
            .collect::<Vec<_>>()
            .join(",")
    );
    for r in rows {
        let mut f = vec![r.point.to_string(), r.dir.clone()];
        f.extend(r.values.iter().map(|v| match v {
            toml::Value::Table(_) | toml::Value::Array(_) => value_text(v),
            _ => value_word(v),
        }));
        f.extend([r.runs, r.finished, r.diverged, r.failed, r.pending].map(|n| n.to_string()));
        for s in [r.test_accuracy, r.train_loss, r.delta] {
            match s {
                Some(s) => f.extend([s.mean, s.min, s.max].map(|x| x.to_string())),
                None => f.extend(std::iter::repeat_n(String::new(), 3)),
            }
        }
        let _ = writeln!(
            out,
            "{}",
            f.iter().map(|x| csv_field(x)).collect::<Vec<_>>().join(",")
        );
    }
    out
}

/// The failure records of the runs that have not ended.
#[must_use]
pub fn failures(sweep: &Sweep) -> Vec<Failure> {
    (0..sweep.runs.len())
        .map(|r| sweep.run_dir(r))
        .filter(|dir| !matches!(layout::state(dir), RunState::Ended(_)))
        .filter_map(|dir| layout::failure(&dir))
        .collect()
}

/// Writes `summary.csv` and `failures.json` (an empty list when nothing failed) and
/// returns the rows.
///
/// # Errors
/// I/O errors.
pub fn write(sweep: &Sweep) -> Result<Vec<Row>> {
    let rows = rows(sweep, &results(sweep));
    let path = sweep.out.join(SUMMARY_CSV);
    experiments::io::write_atomic(&path, csv(&sweep.index.keys, &rows).as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    write_json(&sweep.out.join(FAILURES), &failures(sweep))?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_mean_min_max() {
        // (0.25 + 0.5 + 1.5) / 3 = 0.75.
        let s = Spread::of(&[0.5, 1.5, 0.25]).unwrap_or(Spread {
            mean: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
        });
        assert!((s.mean - 0.75).abs() < 1e-15);
        assert!((s.min - 0.25).abs() < 1e-15 && (s.max - 1.5).abs() < 1e-15);
        assert!(Spread::of(&[]).is_none());
    }

    #[test]
    fn csv_quotes_fields_with_commas() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("0.05"), "0.05");
    }
}
