//! `igo experiment`: reduced versions of the four experiments (tiny grids, 1–2 seeds,
//! 1–2 epochs per stage) that check the mechanics: complete records, verdict files
//! with finite numbers, finished runs skipped and stopped runs continued on a re-run,
//! δ ÷ √2 per stage, six powers.

use crate::util::{assert_usage_error, igo};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("igo-exp-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&text(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run_ok(args: &[&str]) -> String {
    let out = igo(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every run directory under `dir/runs` (those holding a manifest), sorted.
fn run_dirs(dir: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        if d.join("manifest.json").exists() {
            out.push(d.to_path_buf());
            return;
        }
        if let Ok(entries) = std::fs::read_dir(d) {
            for e in entries.flatten() {
                if e.path().is_dir() {
                    walk(&e.path(), out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&dir.join("runs"), &mut out);
    out.sort();
    out
}

fn verdicts(dir: &Path) -> Vec<serde_json::Value> {
    json(&dir.join("verdicts.json"))["verdicts"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no verdicts", dir.display()))
        .clone()
}

/// The numbers in a verdict's evidence (every token that parses as f64).
fn evidence_numbers(v: &serde_json::Value) -> Vec<f64> {
    v["evidence"]
        .as_str()
        .unwrap_or_else(|| panic!("no evidence in {v}"))
        .split(|c: char| {
            !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == 'N' || c == 'a')
        })
        .filter_map(|t| t.parse::<f64>().ok())
        .collect()
}

// ANCHOR: sharpness
#[test]
fn sharpness_sweep_writes_points_and_verdicts_and_skips_finished_runs() {
    let dir = scratch("sweep");
    let d = dir.to_str().unwrap();
    let args = [
        "experiment",
        "sharpness-vs-delta",
        "--out",
        d,
        "--lr",
        "0.05,0.2",
        "--batch",
        "32,128",
        "--seeds",
        "0,1",
        "--epochs",
        "2",
    ];
    let stdout = run_ok(&args);
    assert!(stdout.contains("verdicts:"), "{stdout}");
    let runs = run_dirs(&dir);
    assert_eq!(runs.len(), 8, "{runs:?}");
    for r in &runs {
        assert_eq!(
            text(&r.join("epochs.jsonl")).lines().count(),
            2,
            "{}",
            r.display()
        );
        let s = json(&r.join("summary.json"));
        assert_eq!(s["status"], "finished");
        // The last record carries the end-of-run measurements.
        let last: serde_json::Value =
            serde_json::from_str(text(&r.join("epochs.jsonl")).lines().last().unwrap()).unwrap();
        for key in ["sharpness", "lambda_max"] {
            let v = last["measurements"][key].as_f64().unwrap();
            assert!(v.is_finite() && v >= 0.0, "{key} = {v}");
        }
    }
    // points.csv: the header of the brief, one row per run, finite numbers.
    let csv = text(&dir.join("points.csv"));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        &header[..11],
        &[
            "eta",
            "b",
            "seed",
            "c2_init",
            "c2_end",
            "c2_max",
            "delta",
            "sharpness",
            "lambda_max",
            "test_accuracy",
            "train_loss"
        ]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 8);
    for row in &rows {
        for cell in &row[3..11] {
            let v: f64 = cell.parse().unwrap();
            assert!(v.is_finite(), "{row:?}");
        }
        // δ = ηC/√b with C² at initialisation, and C²_max ≥ both ends.
        let f = |i: usize| row[i].parse::<f64>().unwrap();
        let delta = f(0) * f(3).sqrt() / f(1).sqrt();
        assert!((f(6) - delta).abs() <= 1e-12 * delta, "{row:?}");
        assert!(f(5) >= f(3) && f(5) >= f(4), "{row:?}");
    }
    // verdicts.json: P1 and P2 with finite numbers; README has the command and seeds.
    let vs = verdicts(&dir);
    for id in ["P1", "P2"] {
        let v = vs.iter().find(|v| v["id"] == id).unwrap();
        let numbers = evidence_numbers(v);
        assert!(numbers.len() >= 3, "{v}");
        assert!(numbers.iter().all(|x| x.is_finite()), "{v}");
        assert!(
            ["holds", "does-not-hold", "undecided"].contains(&v["outcome"].as_str().unwrap()),
            "{v}"
        );
    }
    let readme = text(&dir.join("README.txt"));
    assert!(readme.contains("sharpness-vs-delta --out"), "{readme}");
    assert!(readme.contains("seeds: 0, 1"), "{readme}");
    // A re-run skips every finished run (nothing rewritten) ...
    let before: Vec<SystemTime> = runs
        .iter()
        .map(|r| modified(&r.join("summary.json")))
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    run_ok(&args);
    let after: Vec<SystemTime> = runs
        .iter()
        .map(|r| modified(&r.join("summary.json")))
        .collect();
    assert_eq!(before, after);
    // ... and continues a stopped one: mark one as interrupted.
    let stopped = runs[3].join("summary.json");
    let mut s = json(&stopped);
    s["status"] = "interrupted".into();
    std::fs::write(&stopped, serde_json::to_string(&s).unwrap()).unwrap();
    let again = text(&dir.join("points.csv"));
    run_ok(&args);
    assert_eq!(json(&stopped)["status"], "finished");
    assert_eq!(text(&dir.join("points.csv")), again);
    for (i, r) in runs.iter().enumerate().filter(|(i, _)| *i != 3) {
        assert_eq!(
            modified(&r.join("summary.json")),
            after[i],
            "{}",
            r.display()
        );
    }
    // Changed flags do not mix with the old runs.
    assert_usage_error(
        &[
            "experiment",
            "sharpness-vs-delta",
            "--out",
            d,
            "--lr",
            "0.05,0.2",
            "--batch",
            "32,128",
            "--seeds",
            "0,1",
            "--epochs",
            "3",
        ],
        "another config",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
// ANCHOR_END: sharpness

// ANCHOR: methods
#[test]
fn methods_decay_delta_by_one_over_root_two_per_stage_and_give_p4_p5() {
    let dir = scratch("methods");
    let d = dir.to_str().unwrap();
    let stdout = run_ok(&[
        "experiment",
        "methods",
        "--out",
        d,
        "--seeds",
        "0",
        "--stage-epochs",
        "1",
        "--model",
        "mlp-32",
    ]);
    assert!(stdout.contains("δ/δ_prev"), "{stdout}");
    let report = json(&dir.join("verdicts.json"));
    let stages = report["details"]["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 4);
    for s in stages {
        let method = s["method"].as_u64().unwrap();
        let ratios: Vec<f64> = s["ratios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_f64().unwrap())
            .collect();
        assert_eq!(ratios.len(), 4, "{s}");
        let want = if method == 1 {
            1.0
        } else {
            std::f64::consts::FRAC_1_SQRT_2
        };
        for r in ratios {
            assert!((r - want).abs() < 1e-12, "method {method}: {r}");
        }
    }
    assert_eq!(run_dirs(&dir).len(), 4);
    let ids: Vec<String> = verdicts(&dir)
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["P4", "P4", "P5", "P5"]);
    assert_eq!(text(&dir.join("methods.csv")).lines().count(), 5);
    let _ = std::fs::remove_dir_all(&dir);
}
// ANCHOR_END: methods

// ANCHOR: poly_power
#[test]
fn poly_power_runs_all_six_powers() {
    let dir = scratch("poly");
    let d = dir.to_str().unwrap();
    run_ok(&[
        "experiment",
        "poly-power",
        "--out",
        d,
        "--seeds",
        "0",
        "--epochs",
        "2",
        "--model",
        "mlp-32",
    ]);
    let runs = run_dirs(&dir);
    let names: Vec<String> = runs
        .iter()
        .map(|r| {
            r.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["p0.25", "p0.5", "p0.9", "p1", "p2", "p4"]);
    // The last epoch runs at η₀(1 − 1/2)^p.
    let csv = text(&dir.join("powers.csv"));
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let p: f64 = cells[0].parse().unwrap();
        let eta: f64 = cells[5].parse().unwrap();
        assert!((eta - 0.1 * 0.5f64.powf(p)).abs() < 1e-12, "{line}");
    }
    let vs = verdicts(&dir);
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0]["id"], "P7");
    let _ = std::fs::remove_dir_all(&dir);
}
// ANCHOR_END: poly_power

// ANCHOR: explicit_go
#[test]
fn explicit_go_compares_three_arms_at_the_same_updates() {
    let dir = scratch("ego");
    let d = dir.to_str().unwrap();
    run_ok(&[
        "experiment",
        "explicit-go",
        "--out",
        d,
        "--seeds",
        "0",
        "--stages",
        "2",
        "--stage-epochs",
        "1",
        "--samples",
        "2",
        "--model",
        "mlp-32",
    ]);
    assert_eq!(run_dirs(&dir).len(), 3);
    let ego = text(&dir.join("runs/ego/seed_0/epochs.jsonl"));
    let radii: Vec<f64> = ego
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["smoothing_radius"]
                .as_f64()
                .unwrap()
        })
        .collect();
    // ego.py's list for 2 stages: δ₀, then δ₀/100.
    assert_eq!(radii, vec![0.02, 0.0002]);
    let csv = text(&dir.join("explicit_go.csv"));
    let updates: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(5).unwrap())
        .collect();
    assert!(updates.iter().all(|u| *u == updates[0]), "{csv}");
    let ids: Vec<String> = verdicts(&dir)
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["P8", "P8"]);
    let _ = std::fs::remove_dir_all(&dir);
}
// ANCHOR_END: explicit_go

#[test]
fn experiment_flags_are_checked_before_anything_runs() {
    let dir = scratch("bad");
    let d = dir.to_str().unwrap();
    assert_usage_error(
        &[
            "experiment",
            "sharpness-vs-delta",
            "--out",
            d,
            "--lr",
            "0,0.1",
        ],
        "--lr",
    );
    assert_usage_error(
        &["experiment", "methods", "--out", d, "--setting", "vgg"],
        "--setting",
    );
    assert_usage_error(
        &["experiment", "poly-power", "--out", d, "--powers=-1"],
        "--powers",
    );
    assert_usage_error(
        &["experiment", "explicit-go", "--out", d, "--seeds", "1,1"],
        "--seeds",
    );
    assert_usage_error(
        &["experiment", "methods", "--out", d, "--data", "svhn:/x"],
        "--data",
    );
    assert!(!dir.join("runs").exists());
    // igo train parses --data the same way.
    assert_usage_error(&["train", "--out", d, "--data", "svhn:/x"], "--data");
    assert_usage_error(
        &["train", "--out", d, "--data", "cifar10:/nonexistent/igo"],
        "data.path",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
