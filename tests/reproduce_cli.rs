#![allow(clippy::unwrap_used)]

//! `igo reproduce`: flag errors name the flag; `--quick` writes the checks' reports,
//! the four experiments, every registered figure and an index page that links them;
//! re-running it keeps every finished run (nothing is trained twice).

use crate::util::{assert_usage_error, igo};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("igo-reproduce-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn bad_flags_are_usage_errors_naming_the_flag() {
    assert_usage_error(&["reproduce"], "--quick");
    assert_usage_error(
        &["reproduce", "--paper", "123", "--data", "/tmp"],
        "--paper",
    );
    assert_usage_error(
        &[
            "reproduce",
            "--paper",
            "2311.08745",
            "--data",
            "/nonexistent/cifar",
        ],
        "--data",
    );
    assert_usage_error(&["reproduce", "--paper", "2311.08745"], "--data");
    assert_usage_error(
        &[
            "reproduce",
            "--quick",
            "--paper",
            "2311.08745",
            "--data",
            "/tmp",
        ],
        "--quick",
    );
    assert_usage_error(&["reproduce", "--quick", "--jobs", "0"], "--jobs");
}

/// Summary files of every run under `dir`, with their modification times.
fn run_summaries(dir: &Path) -> Vec<(PathBuf, SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "summary.json") {
                let t = std::fs::metadata(&p).unwrap().modified().unwrap();
                out.push((p, t));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn quick_writes_checks_experiments_every_figure_and_the_index_and_resumes() {
    let out = scratch("quick");
    let out_s = out.to_str().unwrap();
    let o = igo(&["reproduce", "--quick", "--out", out_s, "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let summary = json(&out.join("reproduce.json"));
    assert_eq!(summary["complete"], true);
    let n_checks = theory::registry::all().len();
    assert_eq!(summary["checks"][0].as_u64(), Some(n_checks as u64));
    let checks = json(&out.join("checks.json"));
    assert_eq!(checks.as_array().unwrap().len(), n_checks);

    // The four experiments, each with verdicts and its records.
    let experiments = summary["experiments"].as_array().unwrap();
    let names: Vec<&str> = experiments
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["sharpness-vs-delta", "methods", "poly-power", "explicit-go"]
    );
    for e in experiments {
        assert!(!e["verdicts"].as_array().unwrap().is_empty(), "{e}");
        let dir = out.join(e["dir"].as_str().unwrap());
        assert!(dir.join("verdicts.json").is_file(), "{}", dir.display());
        assert!(e["command"]
            .as_str()
            .unwrap()
            .starts_with("igo experiment "));
    }

    // Every registered figure drawn: PNG (decodable, non-trivial), SVG and CSV.
    let figures = summary["figures"].as_array().unwrap();
    let registered: Vec<&str> = igo::figures::registry().iter().map(|e| e.name).collect();
    let drawn: Vec<&str> = figures
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(drawn, registered);
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    for f in figures {
        let png = f["png"]
            .as_str()
            .unwrap_or_else(|| panic!("not drawn: {f}"));
        let path = out.join(png);
        let img = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(img.width() >= 400 && img.height() >= 300, "{png}");
        assert!(path.with_extension("svg").is_file());
        assert!(path.with_extension("csv").is_file());
        assert!(
            index.contains(&format!("src=\"{png}\"")),
            "{png} not on the index page"
        );
    }
    // The index has a row per check, and the predictions with their commands.
    for c in checks.as_array().unwrap() {
        let id = c["spec_id"].as_str().unwrap();
        assert!(index.contains(&format!("<tr id=\"{id}\">")), "{id}");
    }
    for p in ["P1", "P2", "P4", "P5", "P7", "P8"] {
        assert!(index.contains(&format!("<tr><td>{p}</td>")), "{p}");
    }
    assert!(index.contains("igo experiment methods --out"));

    // Re-running keeps every finished run as it was.
    let before = run_summaries(&out.join("experiments"));
    assert!(before.len() >= 27 + 12 + 18 + 9, "{}", before.len());
    let o = igo(&["reproduce", "--quick", "--out", out_s, "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(run_summaries(&out.join("experiments")), before);
    let _ = std::fs::remove_dir_all(&out);
}
