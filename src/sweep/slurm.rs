//! The Slurm job array of a sweep, `OUT/sweep.sbatch` (written, not submitted).
//!
//! One array task per run: task i runs run i of `sweep.json` by
//! `igo sweep GRID --out OUT --run-index i`, which does what a local worker does for
//! that run (skip it if it ended, `igo train --resume` if it stopped, else
//! `igo train config.toml --out DIR`; a failure goes to the run's `failure.json`).
//! Results land in the same layout as local runs, Slurm's own output in
//! `OUT/logs/slurm-<job>_<task>.out`. One task per run rather than per grid point:
//! each task's time limit covers one run, the seeds of a point run in parallel, and
//! `--array-parallel K` (`%K`) caps how many run at once.

use super::{GridError, Sweep};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::Path;

/// The `#SBATCH` resources of the array's tasks (each None: the cluster's default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time`, `[D-]HH:MM:SS` (or any of Slurm's forms `M`, `M:S`, `D-H`, `D-H:M`).
    pub time: Option<String>,
    /// GPUs per task (`--gres=gpu:N`).
    pub gpus: Option<u32>,
    /// CPUs per task (`--cpus-per-task`; also each run's `RAYON_NUM_THREADS`).
    pub cpus: Option<u32>,
    /// Memory per task (`--mem`, e.g. `16G`).
    pub mem: Option<String>,
    /// At most this many tasks at once (`--array=0-N%K`).
    pub array_parallel: Option<usize>,
}

impl Resources {
    /// Checks every value's form.
    ///
    /// # Errors
    /// [`GridError`] naming the flag.
    pub fn validate(&self) -> Result<()> {
        if let Some(p) = &self.partition {
            if p.is_empty()
                || !p
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.,-".contains(c))
            {
                return Err(GridError::new(
                    "--partition",
                    format!("must be a partition name (letters, digits, _.,-), got {p:?}"),
                )
                .into());
            }
        }
        if let Some(t) = &self.time {
            if !time_ok(t) {
                return Err(GridError::new(
                    "--time",
                    format!("must be HH:MM:SS, D-HH:MM:SS or minutes (Slurm's forms), got {t:?}"),
                )
                .into());
            }
        }
        if let Some(m) = &self.mem {
            let digits = m.trim_end_matches(['K', 'M', 'G', 'T']);
            if digits.is_empty()
                || !digits.chars().all(|c| c.is_ascii_digit())
                || m.len() > digits.len() + 1
            {
                return Err(GridError::new(
                    "--mem",
                    format!(
                        "must be a number with an optional unit K, M, G or T (e.g. 16G), got {m:?}"
                    ),
                )
                .into());
            }
        }
        if self.cpus == Some(0) {
            return Err(GridError::new("--cpus", "must be ≥ 1").into());
        }
        if self.array_parallel == Some(0) {
            return Err(GridError::new("--array-parallel", "must be ≥ 1").into());
        }
        Ok(())
    }
}

/// Slurm's time forms: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`, digits only.
fn time_ok(t: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let (days, clock) = match t.split_once('-') {
        Some((d, rest)) => (Some(d), rest),
        None => (None, t),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    days.is_none_or(digits) && parts.len() <= 3 && parts.iter().all(|p| digits(p))
}

/// `0-(N−1)` with `%K` when a cap is given: the `--array` of `runs` tasks.
#[must_use]
pub fn array_range(runs: usize, parallel: Option<usize>) -> String {
    let last = runs.saturating_sub(1);
    match parallel {
        Some(k) => format!("0-{last}%{k}"),
        None => format!("0-{last}"),
    }
}

/// A path in single quotes for bash.
fn quoted(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// The text of `sweep.sbatch` for `sweep`, running the binary `exe` (overridable by
/// `$IGO`) in the working directory `workdir` (where relative data paths of the configs
/// resolve); every path is made absolute.
///
/// # Errors
/// [`GridError`] for a bad resource value or an output path with whitespace (which
/// `#SBATCH` lines cannot hold); I/O errors making paths absolute.
pub fn script(sweep: &Sweep, exe: &Path, workdir: &Path, resources: &Resources) -> Result<String> {
    resources.validate()?;
    let absolute = |p: &Path| std::path::absolute(p).with_context(|| format!("{}", p.display()));
    let out = absolute(&sweep.out)?;
    let grid = absolute(&sweep.grid_file)?;
    let workdir = absolute(workdir)?;
    for (flag, p) in [("--out", &out), ("the working directory", &workdir)] {
        if p.display().to_string().chars().any(char::is_whitespace) {
            return Err(GridError::new(
                flag,
                format!(
                    "{} has whitespace, which an #SBATCH line cannot hold",
                    p.display()
                ),
            )
            .into());
        }
    }
    let stem = sweep
        .grid_file
        .file_stem()
        .map_or("sweep".into(), |s| s.to_string_lossy().into_owned());
    let job: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let runs = sweep.runs.len();
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(s, "#!/bin/bash");
    let _ = writeln!(
        s,
        "# igo sweep {}: {runs} runs = {} grid points x {} seeds, one array task per run.",
        grid.display(),
        sweep.points.len(),
        sweep.grid.seeds.len()
    );
    let _ = writeln!(
        s,
        "# Submit with:  sbatch {}",
        out.join(super::layout::SBATCH).display()
    );
    let _ = writeln!(
        s,
        "# Task i runs run i of {} (a run that ended is skipped, a stopped one resumed).",
        out.join(super::layout::INDEX).display()
    );
    let _ = writeln!(s, "#SBATCH --job-name=igo-sweep-{job}");
    let _ = writeln!(
        s,
        "#SBATCH --array={}",
        array_range(runs, resources.array_parallel)
    );
    let _ = writeln!(
        s,
        "#SBATCH --output={}/slurm-%A_%a.out",
        out.join(super::layout::LOGS).display()
    );
    let _ = writeln!(s, "#SBATCH --chdir={}", workdir.display());
    if let Some(p) = &resources.partition {
        let _ = writeln!(s, "#SBATCH --partition={p}");
    }
    if let Some(t) = &resources.time {
        let _ = writeln!(s, "#SBATCH --time={t}");
    }
    if let Some(g) = resources.gpus.filter(|&g| g > 0) {
        let _ = writeln!(s, "#SBATCH --gres=gpu:{g}");
    }
    if let Some(c) = resources.cpus {
        let _ = writeln!(s, "#SBATCH --cpus-per-task={c}");
    }
    if let Some(m) = &resources.mem {
        let _ = writeln!(s, "#SBATCH --mem={m}");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "# Task id -> run directory (as in sweep.json):");
    for entry in &sweep.index.runs {
        let _ = writeln!(s, "#   {:>5}  {}", entry.index, entry.dir);
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "set -euo pipefail");
    let _ = writeln!(
        s,
        "if [ -n \"${{SLURM_CPUS_PER_TASK:-}}\" ]; then export RAYON_NUM_THREADS=\"$SLURM_CPUS_PER_TASK\"; fi"
    );
    let _ = writeln!(s, "default_igo={}", quoted(exe));
    let _ = writeln!(s, "IGO=\"${{IGO:-$default_igo}}\"");
    let _ = writeln!(
        s,
        "exec \"$IGO\" sweep {} --out {} --run-index \"$SLURM_ARRAY_TASK_ID\"",
        quoted(&grid),
        quoted(&out)
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn array_range_has_one_task_per_run_and_the_cap() {
        assert_eq!(array_range(12, None), "0-11");
        assert_eq!(array_range(12, Some(4)), "0-11%4");
        assert_eq!(array_range(1, None), "0-0");
    }

    #[test]
    fn resources_accept_slurm_forms_and_name_bad_flags() {
        for t in ["30", "30:00", "01:30:00", "2-00", "2-12:00", "2-12:00:00"] {
            assert!(time_ok(t), "{t}");
        }
        for t in ["", "1h", "1:2:3:4", "-1", "a-01:00:00", "01::00"] {
            assert!(!time_ok(t), "{t}");
        }
        let key = |r: Resources| {
            r.validate()
                .unwrap_err()
                .downcast_ref::<GridError>()
                .unwrap()
                .key
                .clone()
        };
        let bad = |f: fn(&mut Resources)| {
            let mut r = Resources::default();
            f(&mut r);
            key(r)
        };
        assert_eq!(bad(|r| r.time = Some("1h".into())), "--time");
        assert_eq!(bad(|r| r.mem = Some("16GB".into())), "--mem");
        assert_eq!(bad(|r| r.mem = Some("G".into())), "--mem");
        assert_eq!(bad(|r| r.partition = Some("gpu a".into())), "--partition");
        assert_eq!(bad(|r| r.cpus = Some(0)), "--cpus");
        assert_eq!(bad(|r| r.array_parallel = Some(0)), "--array-parallel");
        let ok = Resources {
            partition: Some("gpu".into()),
            time: Some("04:00:00".into()),
            gpus: Some(1),
            cpus: Some(8),
            mem: Some("32G".into()),
            array_parallel: Some(4),
        };
        assert!(ok.validate().is_ok());
    }
}
