//! `igo figure`: the list, unknown names, missing experiment records, and drawn files.

use crate::util::{assert_usage_error, igo};
use std::path::PathBuf;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("igo-figure-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `igo figure --list` as (name, source) pairs.
fn listed() -> Vec<(String, String)> {
    let out = igo(&["figure", "--list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("name") && header.contains("claims"),
        "{text}"
    );
    lines
        .map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next().unwrap_or_default().to_string();
            let source = match words.next() {
                Some("experiment") => format!("experiment {}", words.next().unwrap_or_default()),
                Some(s) => s.to_string(),
                None => String::new(),
            };
            (name, source)
        })
        .collect()
}

#[test]
fn figure_unknown_name_exits_2_listing_the_valid_names() {
    let out = igo(&["figure", "no-such-figure"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-figure"), "{err}");
    for (name, _) in listed() {
        assert!(err.contains(&name), "{name} missing from: {err}");
    }
    assert_usage_error(&["figure"], "--all");
    assert_usage_error(&["figure", "--all", "--list"], "--list");
}

#[test]
fn figure_all_skips_figures_without_records_and_names_the_command() {
    let figures = listed();
    let out_dir = scratch("all");
    let empty = scratch("no-records");
    let out = igo(&[
        "figure",
        "--all",
        "--quick",
        "--out",
        out_dir.to_str().unwrap(),
        "--experiments",
        empty.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}\n{stdout}");
    for (name, source) in &figures {
        if let Some(experiment) = source.strip_prefix("experiment ") {
            let line = stderr
                .lines()
                .find(|l| l.starts_with(&format!("skipped: figure {name}:")))
                .unwrap_or_else(|| panic!("{name} not reported as skipped: {stderr}"));
            assert!(
                line.contains(&format!("igo experiment {experiment} --out"))
                    && line.contains(empty.join(experiment).to_str().unwrap()),
                "{line}"
            );
            assert!(!out_dir.join(format!("{name}.png")).exists());
        } else {
            for ext in ["svg", "png", "csv"] {
                let f = out_dir.join(format!("{name}.{ext}"));
                assert!(f.is_file(), "{} missing; {stdout}", f.display());
            }
        }
    }
    let theory = figures.iter().filter(|(_, s)| s == "theory").count();
    assert!(
        stdout.contains(&format!("{theory} figures drawn")),
        "{stdout}"
    );
    // One experiment figure by name: exit 1 with the same explanation.
    if let Some((name, _)) = figures.iter().find(|(_, s)| s.starts_with("experiment ")) {
        let out = igo(&["figure", name, "--experiments", empty.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("records are missing") && err.contains("igo experiment"),
            "{err}"
        );
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}
