//! What an experiment leaves next to its runs: `verdicts.json` (the verdicts with their
//! numbers, the settings, the command and seeds), `README.txt` (the same for people:
//! the command that made the directory, the seeds, the tables and the verdicts) and
//! CSV tables. Every file is written atomically.

use crate::io::write_atomic;
use crate::predictions::Verdict;
use crate::{ExperimentError, Result};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// File name of the verdicts.
pub const VERDICTS: &str = "verdicts.json";
/// File name of the human-readable report.
pub const README: &str = "README.txt";

/// An experiment's result: verdicts, the text of its tables, and its provenance.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The experiment (`sharpness-vs-delta`, `methods`, …).
    pub experiment: String,
    /// The command line that made it.
    pub command: String,
    /// The seeds of its runs.
    pub seeds: Vec<u64>,
    /// igo's version.
    pub igo_version: String,
    /// `git rev-parse HEAD` of the source tree, or "unknown".
    pub git_revision: String,
    /// The settings, one `name: value` line each.
    pub settings: Vec<(String, String)>,
    /// The verdicts.
    pub verdicts: Vec<Verdict>,
    /// Tables and remarks, as printed.
    #[serde(skip)]
    pub body: String,
    /// Experiment-specific numbers (per-method bands, per-stage δ, …).
    pub details: serde_json::Value,
}

impl Report {
    /// A report of `experiment` made by `command` over `seeds`, stamped with igo's
    /// version and git revision.
    #[must_use]
    pub fn new(experiment: &str, command: &str, seeds: &[u64]) -> Self {
        Self {
            experiment: experiment.into(),
            command: command.into(),
            seeds: seeds.to_vec(),
            igo_version: env!("CARGO_PKG_VERSION").into(),
            git_revision: crate::train::record::git_revision().0,
            settings: Vec::new(),
            verdicts: Vec::new(),
            body: String::new(),
            details: serde_json::Value::Null,
        }
    }

    /// Adds a `name: value` setting line.
    pub fn setting(&mut self, name: &str, value: impl std::fmt::Display) {
        self.settings.push((name.into(), value.to_string()));
    }

    /// The report as text: title, command, seeds, settings, tables, verdicts.
    #[must_use]
    pub fn text(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "igo experiment {}", self.experiment);
        let _ = writeln!(t, "command: {}", self.command);
        let seeds: Vec<String> = self.seeds.iter().map(u64::to_string).collect();
        let _ = writeln!(t, "seeds: {}", seeds.join(", "));
        let _ = writeln!(t, "igo {} (git {})", self.igo_version, self.git_revision);
        for (name, value) in &self.settings {
            let _ = writeln!(t, "{name}: {value}");
        }
        if !self.body.is_empty() {
            let _ = writeln!(t);
            t.push_str(&self.body);
            if !self.body.ends_with('\n') {
                t.push('\n');
            }
        }
        let _ = writeln!(t, "\nverdicts:");
        for v in &self.verdicts {
            let _ = writeln!(t, "{v}");
        }
        t
    }

    /// Writes `DIR/verdicts.json` and `DIR/README.txt` atomically.
    ///
    /// # Errors
    /// I/O errors naming the file.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| ExperimentError::Other(format!("{VERDICTS}: {e}")))?;
        write_atomic(&dir.join(VERDICTS), format!("{json}\n").as_bytes())?;
        write_atomic(&dir.join(README), self.text().as_bytes())
    }
}

/// A number for a CSV cell: shortest round-trip form, empty for None, `NaN`/`inf` as
/// Rust prints them.
#[must_use]
pub fn cell(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| format!("{x}"))
}

/// Writes a CSV file atomically: the header line, then one line per row (cells must not
/// contain commas or quotes; numbers and plain names do not).
///
/// # Errors
/// I/O errors naming the file; a row whose length differs from the header's.
pub fn write_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut text = header.join(",");
    text.push('\n');
    for (i, row) in rows.iter().enumerate() {
        if row.len() != header.len() {
            return Err(ExperimentError::Other(format!(
                "{}: row {} has {} cells, the header {}",
                path.display(),
                i + 1,
                row.len(),
                header.len()
            )));
        }
        text.push_str(&row.join(","));
        text.push('\n');
    }
    write_atomic(path, text.as_bytes())
}
