//! The grid file and its expansion into runs.
//!
//! ```toml
//! base = "digits-mlp.toml"          # a run config, relative to this file; or an inline [base] table
//! seeds = [0, 1, 2]                 # default: the base config's seed
//!
//! [grid]                            # any config key (dotted path) → a list of values
//! "schedule.learning_rate" = [0.05, 0.1]
//! schedule.batch_size = [16, 64]    # dotted keys may be written unquoted too
//! model = ["mlp-64", "logistic"]
//! ```
//!
//! The grid points are the Cartesian product of the value lists, keys in alphabetical
//! order with the first key varying slowest; point p with values (v₁, …, v_k) of list
//! lengths (n₁, …, n_k) has p = (((i₁)·n₂ + i₂)·n₃ + …)·n_k + i_k. Each point runs once
//! per seed: run r = p · |seeds| + s for the s-th seed. Every run's config is the base
//! table with the point's values set at their keys and `seed` set, validated by
//! [`RunConfig::validate`] before anything starts.

use super::GridError;
use anyhow::Result;
use experiments::train::RunConfig;
use std::path::Path;
use toml::{Table, Value};

/// Most runs a grid may expand to (a guard against a typo multiplying the work).
pub const MAX_RUNS: usize = 100_000;

/// One axis of the grid: a config key and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Dotted config key (`schedule.learning_rate`).
    pub key: String,
    /// The values, in the order written; at least one, no two equal.
    pub values: Vec<Value>,
}

/// A parsed grid file: the base config table, the axes and the seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// The base run config as a TOML table (before any grid value is set).
    pub base: Table,
    /// The axes, keys in alphabetical order.
    pub axes: Vec<Axis>,
    /// The seeds, in the order written; no two equal.
    pub seeds: Vec<u64>,
}

/// A grid point: one value per axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Index in the product order (module docs).
    pub index: usize,
    /// (key, value) for every axis, in axis order.
    pub overrides: Vec<(String, Value)>,
}

/// One run of the sweep: a grid point with a seed, and its validated config.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Run index r = point · |seeds| + (position of the seed).
    pub index: usize,
    /// The grid point.
    pub point: usize,
    /// The seed.
    pub seed: u64,
    /// The config as a TOML table (what `config.toml` of the run holds).
    pub table: Table,
    /// The validated config.
    pub config: RunConfig,
}

impl Grid {
    /// Reads a grid file; a `base = "PATH"` is read relative to the file's folder.
    ///
    /// # Errors
    /// [`GridError`] naming the key (or the file) for anything wrong in it.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| GridError::new("GRID", format!("{}: {e}", path.display())))?;
        let folder = path.parent().unwrap_or_else(|| Path::new("."));
        Self::parse(&text, folder, &path.display().to_string())
    }

    /// Parses the text of a grid file; `folder` resolves a relative `base` path and
    /// `origin` names the file in errors.
    ///
    /// # Errors
    /// [`GridError`]: a TOML syntax error, an unknown top-level key, a missing or
    /// invalid base, a grid value that is not a non-empty list of distinct values, a
    /// bad seed.
    pub fn parse(text: &str, folder: &Path, origin: &str) -> Result<Self> {
        let mut doc: Table = toml::from_str(text)
            .map_err(|e| GridError::new(origin, e.to_string().trim_end().to_string()))?;
        if let Some(key) = doc
            .keys()
            .find(|k| !matches!(k.as_str(), "base" | "grid" | "seeds"))
        {
            return Err(GridError::new(
                key,
                "unknown key of a grid file (allowed: base, seeds, [grid])",
            )
            .into());
        }
        let base = match doc.remove("base") {
            Some(Value::String(file)) => read_base(&folder.join(file))?,
            Some(Value::Table(t)) => {
                config_of(&t).map_err(|m| GridError::new("base", m))?;
                t
            }
            Some(other) => {
                return Err(GridError::new(
                    "base",
                    format!(
                        "must be a config file path or a [base] table, got {}",
                        other.type_str()
                    ),
                )
                .into())
            }
            None => {
                return Err(GridError::new(
                    "base",
                    "missing: give base = \"config.toml\" or a [base] table",
                )
                .into())
            }
        };
        let mut axes = Vec::new();
        match doc.remove("grid") {
            Some(Value::Table(t)) => flatten("", &t, &mut axes)?,
            Some(other) => {
                return Err(GridError::new(
                    "grid",
                    format!("must be a table, got {}", other.type_str()),
                )
                .into())
            }
            None => {}
        }
        let seeds = match doc.remove("seeds") {
            Some(v) => seeds_of(&v)?,
            None => vec![
                config_of(&base)
                    .map_err(|m| GridError::new("base", m))?
                    .seed,
            ],
        };
        let grid = Self { base, axes, seeds };
        grid.check_axes()?;
        Ok(grid)
    }

    /// Each axis value alone on the base config must give a config (known keys, right
    /// types): errors name the grid key and the value. Ranges and the consistency of
    /// values are checked on every combination ([`Grid::runs`]): a value may need
    /// another axis's value (`optimizer.kind = "shb"` with `optimizer.momentum`).
    fn check_axes(&self) -> Result<()> {
        for axis in &self.axes {
            for value in &axis.values {
                let mut t = self.base.clone();
                set(&mut t, &axis.key, value.clone())?;
                config_of(&t).map_err(|m| {
                    GridError::new(&axis.key, format!("value {}: {m}", value_text(value)))
                })?;
            }
        }
        Ok(())
    }

    /// Number of grid points, ∏ |values|.
    #[must_use]
    pub fn point_count(&self) -> usize {
        self.axes
            .iter()
            .fold(1usize, |n, a| n.saturating_mul(a.values.len()))
    }

    /// Number of runs, points × seeds.
    #[must_use]
    pub fn run_count(&self) -> usize {
        self.point_count().saturating_mul(self.seeds.len())
    }

    /// The grid points in product order (module docs).
    #[must_use]
    pub fn points(&self) -> Vec<Point> {
        (0..self.point_count())
            .map(|index| {
                let mut rest = index;
                let mut picks = vec![0; self.axes.len()];
                for (k, axis) in self.axes.iter().enumerate().rev() {
                    picks[k] = rest % axis.values.len();
                    rest /= axis.values.len();
                }
                let overrides = self
                    .axes
                    .iter()
                    .zip(picks)
                    .map(|(a, i)| (a.key.clone(), a.values[i].clone()))
                    .collect();
                Point { index, overrides }
            })
            .collect()
    }

    /// Every run, each config built and validated.
    ///
    /// # Errors
    /// [`GridError`] if the grid has more than [`MAX_RUNS`] runs, or if a combination
    /// of values is invalid (naming the point, its values and the config key).
    pub fn runs(&self) -> Result<Vec<Run>> {
        let total = self.run_count();
        if total > MAX_RUNS {
            return Err(GridError::new(
                "grid",
                format!("{total} runs (points × seeds) is more than {MAX_RUNS}"),
            )
            .into());
        }
        let mut runs = Vec::with_capacity(total);
        for point in self.points() {
            let mut table = self.base.clone();
            for (key, value) in &point.overrides {
                set(&mut table, key, value.clone())?;
            }
            for (s, &seed) in self.seeds.iter().enumerate() {
                let mut table = table.clone();
                let seed_value = i64::try_from(seed)
                    .map_err(|_| GridError::new("seeds", format!("{seed} is too large")))?;
                table.insert("seed".into(), Value::Integer(seed_value));
                let what = || {
                    format!(
                        "grid point {} ({}) seed {seed}",
                        point.index,
                        label(&point.overrides, usize::MAX)
                    )
                };
                let config =
                    config_of(&table).map_err(|m| GridError::new(what(), m.to_string()))?;
                config.validate().map_err(|e| match e {
                    experiments::ExperimentError::Config { key, message } => {
                        GridError::new(key, format!("{}: {message}", what()))
                    }
                    other => GridError::new(what(), other.to_string()),
                })?;
                runs.push(Run {
                    index: point.index * self.seeds.len() + s,
                    point: point.index,
                    seed,
                    table,
                    config,
                });
            }
        }
        Ok(runs)
    }
}

/// Reads and checks a base config file.
fn read_base(path: &Path) -> Result<Table> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| GridError::new("base", format!("{}: {e}", path.display())))?;
    // The config parser's own message: line, column, the key.
    RunConfig::from_toml(&text, &path.display().to_string())
        .map_err(|e| GridError::new("base", e.to_string()))?;
    toml::from_str(&text)
        .map_err(|e| GridError::new("base", format!("{}: {e}", path.display())).into())
}

/// The run config of a table, or the deserializer's message.
fn config_of(table: &Table) -> std::result::Result<RunConfig, String> {
    Value::Table(table.clone())
        .try_into::<RunConfig>()
        .map_err(|e| e.to_string().trim_end().to_string())
}

/// Collects the axes of a `[grid]` table: lists are axes, tables are key prefixes.
fn flatten(prefix: &str, table: &Table, axes: &mut Vec<Axis>) -> Result<()> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Array(values) => axes.push(axis(key, values)?),
            Value::Table(t) => flatten(&key, t, axes)?,
            other => {
                return Err(GridError::new(
                    key,
                    format!(
                        "must be a list of values (write [x] for one value), got {}",
                        other.type_str()
                    ),
                )
                .into())
            }
        }
    }
    Ok(())
}

/// Checks one axis: not `seed`, a non-empty list, no value twice.
fn axis(key: String, values: &[Value]) -> Result<Axis> {
    if key == "seed" {
        return Err(GridError::new(
            "grid.seed",
            "seeds are listed in the top-level `seeds = [...]`, not in [grid]",
        )
        .into());
    }
    if values.is_empty() {
        return Err(GridError::new(key, "empty list: give at least one value").into());
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(
                GridError::new(key, format!("value {} is listed twice", value_text(v))).into(),
            );
        }
    }
    Ok(Axis {
        key,
        values: values.to_vec(),
    })
}

/// `seeds = [0, 1, 2]`: non-empty, distinct integers ≥ 0.
fn seeds_of(v: &Value) -> Result<Vec<u64>> {
    let Value::Array(list) = v else {
        return Err(GridError::new(
            "seeds",
            format!("must be a list of integers ≥ 0, got {}", v.type_str()),
        )
        .into());
    };
    if list.is_empty() {
        return Err(GridError::new("seeds", "empty list: give at least one seed").into());
    }
    let mut seeds = Vec::with_capacity(list.len());
    for item in list {
        let seed = item
            .as_integer()
            .and_then(|s| u64::try_from(s).ok())
            .ok_or_else(|| {
                GridError::new(
                    "seeds",
                    format!("must be integers ≥ 0, got {}", value_text(item)),
                )
            })?;
        if seeds.contains(&seed) {
            return Err(GridError::new("seeds", format!("{seed} is listed twice")).into());
        }
        seeds.push(seed);
    }
    Ok(seeds)
}

/// Sets `value` at the dotted `key` of `table`, creating missing tables on the way.
///
/// # Errors
/// [`GridError`] naming `key` if a part of the path holds something other than a table.
pub fn set(table: &mut Table, key: &str, value: Value) -> Result<()> {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(GridError::new(key, "not a config key (an empty part between dots)").into());
    }
    let (last, path) = parts
        .split_last()
        .ok_or_else(|| GridError::new(key, "empty key"))?;
    let mut here = table;
    for (depth, part) in path.iter().enumerate() {
        let entry = here
            .entry((*part).to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        here = match entry {
            Value::Table(t) => t,
            other => {
                return Err(GridError::new(
                    key,
                    format!(
                        "`{}` is {} in the base config, not a table",
                        parts[..=depth].join("."),
                        a_type(other)
                    ),
                )
                .into())
            }
        };
    }
    here.insert((*last).to_string(), value);
    Ok(())
}

fn a_type(v: &Value) -> String {
    let t = v.type_str();
    if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {t}")
    } else {
        format!("a {t}")
    }
}

/// A value as written in TOML (strings quoted, tables inline).
#[must_use]
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Table(t) => {
            let inner: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", value_text(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Value::Array(a) => {
            let inner: Vec<String> = a.iter().map(value_text).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}

/// A value for a directory name or a table cell: strings without quotes, tables and
/// lists as their values joined by `_`.
#[must_use]
pub fn value_word(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Table(t) => t.values().map(value_word).collect::<Vec<_>>().join("_"),
        Value::Array(a) => a.iter().map(value_word).collect::<Vec<_>>().join("_"),
        other => other.to_string(),
    }
}

/// `key=value,key=value` of a point, keys shortened to their last part where that is
/// unambiguous among the point's keys, cut to at most `max` characters.
#[must_use]
pub fn label(overrides: &[(String, Value)], max: usize) -> String {
    if overrides.is_empty() {
        return "base".into();
    }
    let last = |k: &str| k.rsplit('.').next().unwrap_or(k).to_string();
    let parts: Vec<String> = overrides
        .iter()
        .map(|(k, v)| {
            let short = last(k);
            let shared = overrides
                .iter()
                .filter(|(other, _)| last(other) == short)
                .count()
                > 1;
            let name = if shared { k.clone() } else { short };
            format!("{name}={}", value_word(v))
        })
        .collect();
    parts.join(",").chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const BASE: &str = "[base]\nepochs = 1\nmodel = \"mlp-16\"\n\
        [base.schedule]\nlearning_rate = 0.1\nbatch_size = 32\n";

    /// A grid file with `top` (top-level keys), the base above, then `tables`.
    fn grid(top: &str, tables: &str) -> Result<Grid> {
        Grid::parse(
            &format!("{top}\n{BASE}\n{tables}"),
            Path::new("."),
            "test.toml",
        )
    }

    fn key_of(e: &anyhow::Error) -> String {
        e.downcast_ref::<GridError>()
            .unwrap_or_else(|| panic!("not a grid error: {e:#}"))
            .key
            .clone()
    }

    #[test]
    fn grid_expands_to_the_product_of_the_lists_times_the_seeds() {
        let g = grid(
            "seeds = [3, 1]",
            "[grid]\n\"schedule.learning_rate\" = [0.05, 0.1, 0.2]\nschedule.batch_size = [16, 64]\nmodel = [\"mlp-16\", \"logistic\"]",
        )
        .unwrap();
        // Keys in alphabetical order: model, schedule.batch_size, schedule.learning_rate.
        let keys: Vec<&str> = g.axes.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(
            keys,
            ["model", "schedule.batch_size", "schedule.learning_rate"]
        );
        assert_eq!(g.point_count(), 2 * 2 * 3);
        let runs = g.runs().unwrap();
        assert_eq!(runs.len(), 12 * 2);
        // Every (model, b, η, seed) combination exactly once, in the documented order.
        let mut seen = std::collections::BTreeSet::new();
        for (r, run) in runs.iter().enumerate() {
            assert_eq!(run.index, r);
            assert_eq!(run.point, r / 2);
            assert_eq!(run.seed, [3, 1][r % 2]);
            assert_eq!(run.config.seed, run.seed);
            let p = run.point;
            let (m, b, e) = (p / 6, (p / 3) % 2, p % 3);
            assert_eq!(run.config.model.slug(), ["mlp-16", "logistic"][m]);
            let plan = run.config.plan().unwrap();
            assert_eq!(plan[0].batch_size, [16, 64][b]);
            assert!((plan[0].learning_rate - [0.05, 0.1, 0.2][e]).abs() < 1e-15);
            assert!(seen.insert((m, b, e, run.seed)));
        }
        assert_eq!(seen.len(), 24);
        // The base's other keys are kept.
        assert!(runs.iter().all(|r| r.config.epochs == 1));
    }

    #[test]
    fn grid_without_axes_or_seeds_is_the_base_run() {
        let g = grid("", "").unwrap();
        assert_eq!(g.seeds, [0]);
        let runs = g.runs().unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(label(&g.points()[0].overrides, 80), "base");
    }

    #[test]
    fn grid_errors_name_the_key() {
        for (top, tables, key) in [
            ("", "[grid]\n\"schedule.lr\" = [0.1]", "schedule.lr"),
            (
                "",
                "[grid]\n\"schedule.batch_size\" = [\"many\"]",
                "schedule.batch_size",
            ),
            (
                "",
                "[grid]\n\"schedule.batch_size\" = []",
                "schedule.batch_size",
            ),
            (
                "",
                "[grid]\n\"schedule.batch_size\" = 16",
                "schedule.batch_size",
            ),
            (
                "",
                "[grid]\nschedule.learning_rate = [0.1, 0.1]",
                "schedule.learning_rate",
            ),
            (
                "",
                "[grid]\n\"schedule.learning_rate.initial\" = [0.1]",
                "schedule.learning_rate.initial",
            ),
            ("", "[grid]\nepochs = [0]", "epochs"),
            ("", "[grid]\nmodel = [\"mlp-x\"]", "model"),
            ("", "[grid]\nseed = [1]", "grid.seed"),
            ("", "[grid]\nnot_a_key = [1]", "not_a_key"),
            ("seeds = []", "", "seeds"),
            ("seeds = [-1]", "", "seeds"),
            ("seeds = [1, 1]", "", "seeds"),
            ("seeds = 1", "", "seeds"),
            ("workers = 2", "", "workers"),
        ] {
            let what = format!("{top} {tables}");
            let e = grid(top, tables).and_then(|g| g.runs()).expect_err(&what);
            assert_eq!(key_of(&e), key, "{what}: {e:#}");
        }
    }

    #[test]
    fn grid_combination_errors_name_the_config_key() {
        // Each value is valid alone; momentum with plain SGD is not.
        // shb alone (without a momentum) is invalid, and so is 0.9 with sgd; the grid
        // parses, and its runs name the first invalid combination.
        let g = grid(
            "",
            "[grid]\n\"optimizer.kind\" = [\"sgd\", \"shb\"]\n\"optimizer.momentum\" = [0.0, 0.9]",
        )
        .unwrap();
        let e = g.runs().unwrap_err();
        assert_eq!(key_of(&e), "optimizer.momentum", "{e:#}");
        assert!(format!("{e}").contains("grid point 1"), "{e:#}");
    }

    #[test]
    fn run_table_round_trips_through_the_config_file_text() {
        let g = grid(
            "",
            "[grid]\ndata = [\"digits\", { kind = \"cifar10\", path = \".\" }]",
        )
        .unwrap();
        for run in g.runs().unwrap() {
            let text = toml::to_string(&run.table).unwrap();
            assert_eq!(
                RunConfig::from_toml(&text, "config.toml").unwrap(),
                run.config
            );
        }
    }

    #[test]
    fn labels_shorten_keys_unless_ambiguous() {
        let v = |x: f64| Value::Float(x);
        let o = vec![
            ("evaluation.batch_size".to_string(), Value::Integer(100)),
            ("schedule.batch_size".to_string(), Value::Integer(16)),
            ("schedule.learning_rate".to_string(), v(0.05)),
        ];
        assert_eq!(
            label(&o, 200),
            "evaluation.batch_size=100,schedule.batch_size=16,learning_rate=0.05"
        );
        assert_eq!(label(&o, 10).chars().count(), 10);
    }
}
