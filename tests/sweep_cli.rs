//! `igo sweep`: grid expansion, errors naming the key, the Slurm array's index → run
//! mapping (by running the script's tasks), resuming after SIGKILL and Ctrl-C without
//! redoing finished runs, and a failing grid point recorded while the others finish.
//! Every run is a tiny MLP on the embedded digits (well under a second).

#![allow(clippy::unwrap_used)]

use crate::util::{assert_usage_error, igo};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("igo-sweep-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&text(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A grid file in `dir` over an inline base (an MLP with `hidden` units on the digits,
/// `epochs` epochs), with `top` lines (seeds) and `grid` lines.
fn grid_file(dir: &Path, epochs: usize, hidden: usize, top: &str, grid: &str) -> PathBuf {
    let path = dir.join("grid.toml");
    let body = format!(
        "{top}\n[base]\nepochs = {epochs}\nmodel = \"mlp-{hidden}\"\n\
         [base.schedule]\nlearning_rate = 0.1\nbatch_size = 16\n[grid]\n{grid}\n"
    );
    std::fs::write(&path, body).unwrap();
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The status in the summary of run directory `dir`, if any.
fn status(dir: &Path) -> Option<String> {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).ok()?).ok()?;
    v["status"].as_str().map(str::to_string)
}

#[test]
fn sweep_dry_run_lists_the_product_of_the_lists_times_the_seeds() {
    let dir = scratch("dry");
    let grid = grid_file(
        &dir,
        1,
        8,
        "seeds = [0, 1, 2]",
        "\"schedule.learning_rate\" = [0.05, 0.1]\nschedule.batch_size = [16, 32, 64]",
    );
    let out = dir.join("out");
    let o = igo(&["sweep", s(&grid), "--out", s(&out), "--dry-run"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    // 2 × 3 points × 3 seeds; batch_size (alphabetically first) varies slowest.
    assert!(
        stdout.starts_with("18 runs = 6 grid points x 3 seeds"),
        "{stdout}"
    );
    let lines: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(lines.len(), 18, "{stdout}");
    assert!(
        lines[0].contains("runs/000-batch_size=16,learning_rate=0.05/seed_0"),
        "{stdout}"
    );
    assert!(
        lines[5].contains("runs/001-batch_size=16,learning_rate=0.1/seed_2"),
        "{stdout}"
    );
    assert!(
        lines[6].contains("runs/002-batch_size=32,learning_rate=0.05/seed_0"),
        "{stdout}"
    );
    assert!(
        lines[17].contains("runs/005-batch_size=64,learning_rate=0.1/seed_2"),
        "{stdout}"
    );
    assert!(lines.iter().all(|l| l.contains(" new ")), "{stdout}");
    assert!(!out.exists(), "a dry run writes nothing");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sweep_bad_grid_keys_and_values_are_usage_errors_naming_the_key() {
    let dir = scratch("bad");
    let out = dir.join("out");
    for (grid, key) in [
        ("\"schedule.lr\" = [0.1]", "schedule.lr"),
        (
            "\"schedule.batch_size\" = [\"sixteen\"]",
            "schedule.batch_size",
        ),
        ("\"schedule.learning_rate\" = []", "schedule.learning_rate"),
        ("model = \"mlp-8\"", "model"),
        ("\"optimizer.momentum\" = [1.5]", "optimizer.momentum"),
    ] {
        let g = grid_file(&dir, 1, 8, "", grid);
        assert_usage_error(&["sweep", s(&g), "--out", s(&out)], key);
    }
    let g = grid_file(&dir, 1, 8, "seeds = [0, -1]", "");
    assert_usage_error(&["sweep", s(&g), "--out", s(&out)], "seeds");
    let g = grid_file(&dir, 1, 8, "", "");
    assert_usage_error(
        &["sweep", s(&g), "--out", s(&out), "--slurm", "--time", "2h"],
        "--time",
    );
    assert!(!out.exists(), "nothing starts before every config is valid");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sweep_slurm_array_task_i_runs_run_i_of_sweep_json() {
    let dir = scratch("slurm");
    let grid = grid_file(
        &dir,
        1,
        8,
        "seeds = [4, 7]",
        "\"schedule.learning_rate\" = [0.05, 0.2]",
    );
    let out = dir.join("out");
    let o = igo(&[
        "sweep",
        s(&grid),
        "--out",
        s(&out),
        "--slurm",
        "--partition",
        "gpu",
        "--time",
        "01:30:00",
        "--gpus",
        "1",
        "--cpus",
        "4",
        "--mem",
        "16G",
        "--array-parallel",
        "3",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let script_path = out.join("sweep.sbatch");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(&format!("sbatch {}", script_path.display())),
        "prints how to submit"
    );
    let script = text(&script_path);
    let out_abs = std::path::absolute(&out).unwrap();
    for line in [
        "#!/bin/bash".to_string(),
        "#SBATCH --array=0-3%3".into(),
        "#SBATCH --partition=gpu".into(),
        "#SBATCH --time=01:30:00".into(),
        "#SBATCH --gres=gpu:1".into(),
        "#SBATCH --cpus-per-task=4".into(),
        "#SBATCH --mem=16G".into(),
        format!(
            "#SBATCH --output={}/logs/slurm-%A_%a.out",
            out_abs.display()
        ),
    ] {
        assert!(
            script.lines().any(|l| l == line),
            "missing {line:?} in\n{script}"
        );
    }
    assert!(
        script.contains("--run-index \"$SLURM_ARRAY_TASK_ID\""),
        "{script}"
    );
    // #SBATCH directives come before the first command.
    let first_command = script.lines().position(|l| l.starts_with("set ")).unwrap();
    assert!(script
        .lines()
        .skip(first_command)
        .all(|l| !l.starts_with("#SBATCH")));
    // Nothing has run yet.
    let index = json(&out.join("sweep.json"));
    let runs = index["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 4);
    for run in &runs {
        assert!(!out
            .join(run["dir"].as_str().unwrap())
            .join("manifest.json")
            .exists());
    }
    // Run the script as the array's tasks would, in reverse order: task i must produce
    // exactly the run sweep.json lists at index i (its seed and learning rate), and
    // nothing else.
    for i in (0..4).rev() {
        let o = Command::new("bash")
            .arg(&script_path)
            .env("SLURM_ARRAY_TASK_ID", i.to_string())
            .env("SLURM_CPUS_PER_TASK", "1")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "task {i}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        for (j, run) in runs.iter().enumerate() {
            let run_dir = out.join(run["dir"].as_str().unwrap());
            assert_eq!(
                status(&run_dir).is_some(),
                j >= i,
                "after task {i}, run {j}"
            );
        }
        let run = &runs[i];
        assert_eq!(run["index"], i);
        let manifest = json(&out.join(run["dir"].as_str().unwrap()).join("manifest.json"));
        assert_eq!(manifest["seed"], run["seed"], "task {i}");
        assert_eq!(
            // The manifest holds the parsed schedule: a constant with that value.
            manifest["config"]["schedule"]["learning_rate"]["value"],
            run["overrides"]["schedule.learning_rate"],
            "task {i}"
        );
    }
    // Seeds inner: run i has seed [4, 7][i % 2] and learning rate [0.05, 0.2][i / 2].
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(run["seed"], [4, 7][i % 2]);
        assert_eq!(
            run["overrides"]["schedule.learning_rate"],
            [0.05, 0.2][i / 2]
        );
    }
    // A task that runs again finds its run finished and leaves it alone.
    let summary = out
        .join(runs[0]["dir"].as_str().unwrap())
        .join("summary.json");
    let before = text(&summary);
    let o = igo(&["sweep", s(&grid), "--out", s(&out), "--run-index", "0"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("already finished"));
    assert_eq!(text(&summary), before);
    // The summary of what the array left.
    let o = igo(&["sweep", s(&grid), "--out", s(&out), "--summary"]);
    assert!(o.status.success());
    let csv = text(&out.join("summary.csv"));
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.lines().skip(1).all(|l| l.contains(",2,2,0,0,0,")),
        "{csv}"
    );
    // The same OUT with another grid (a seed changed) is refused before anything runs.
    let other = grid_file(
        &dir,
        1,
        8,
        "seeds = [4, 8]",
        "\"schedule.learning_rate\" = [0.05, 0.2]",
    );
    assert_usage_error(&["sweep", s(&other), "--out", s(&out)], "--out");
    // So is the same grid over another base config (the runs' manifests differ).
    let other = grid_file(
        &dir,
        2,
        8,
        "seeds = [4, 7]",
        "\"schedule.learning_rate\" = [0.05, 0.2]",
    );
    assert_usage_error(&["sweep", s(&other), "--out", s(&out)], "another config");
    let _ = std::fs::remove_dir_all(&dir);
}

/// mtime and content of a file.
fn stamp(path: &Path) -> (SystemTime, String) {
    (
        std::fs::metadata(path).unwrap().modified().unwrap(),
        text(path),
    )
}

/// Starts `igo args` in its own process group.
fn spawn_group(args: &[&str]) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    Command::new(env!("CARGO_BIN_EXE_igo"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap()
}

/// Sends `signal` to the process group of `child`.
fn signal_group(child: &std::process::Child, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Waits until `ready` holds (polling every 10 ms), at most 60 s.
fn wait_for(mut ready: impl FnMut() -> bool, what: &str) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Run directories of a sweep, by run index.
fn run_dirs(out: &Path) -> Vec<PathBuf> {
    json(&out.join("sweep.json"))["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| out.join(r["dir"].as_str().unwrap()))
        .collect()
}

/// Epoch records of the run in `dir`.
fn records(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("epochs.jsonl")).map_or(0, |t| t.lines().count())
}

/// True if the run is running and has written at least one epoch record.
fn mid_run(dir: &Path) -> bool {
    status(dir).as_deref() == Some("running") && records(dir) > 0
}

/// [`mid_run`] with at most 2 of its 4 epochs done: a signal sent now arrives mid-run.
fn early_mid_run(dir: &Path) -> bool {
    mid_run(dir) && records(dir) <= 2
}

#[test]
fn sweep_resumes_after_sigkill_never_redoes_a_finished_run_and_records_failures() {
    let dir = scratch("kill");
    // A folder without CIFAR files passes validation (it exists) and fails when the run
    // loads its data.
    let empty = dir.join("no-cifar");
    std::fs::create_dir_all(&empty).unwrap();
    let grid = grid_file(
        &dir,
        4,
        32,
        "seeds = [0, 1]",
        &format!(
            "data = [\"digits\", \"cifar10:{}\"]\n\"schedule.learning_rate\" = [0.05, 0.1]",
            empty.display()
        ),
    );
    let out = dir.join("out");
    // Runs 0–3 train on the digits, 4–7 fail; one worker, killed (parent and children,
    // SIGKILL) while a run is between epochs and after at least one finished.
    let mut child = spawn_group(&["sweep", s(&grid), "--out", s(&out)]);
    wait_for(|| out.join("sweep.json").exists(), "sweep.json");
    let dirs = run_dirs(&out);
    wait_for(
        || {
            dirs.iter()
                .any(|d| status(d).as_deref() == Some("finished"))
                && dirs.iter().any(|d| early_mid_run(d))
        },
        "a finished run and one mid-way",
    );
    signal_group(&child, "KILL");
    let _ = child.wait();
    let finished_before: Vec<usize> = (0..dirs.len())
        .filter(|&i| status(&dirs[i]).as_deref() == Some("finished"))
        .collect();
    let stopped: Vec<usize> = (0..dirs.len()).filter(|&i| mid_run(&dirs[i])).collect();
    assert_eq!(stopped.len(), 1, "one run was killed mid-way");
    let stamps: Vec<(SystemTime, String)> = finished_before
        .iter()
        .map(|&i| stamp(&dirs[i].join("summary.json")))
        .collect();
    // The same command continues: exit 1 because the CIFAR point fails.
    let o = igo(&["sweep", s(&grid), "--out", s(&out), "--workers", "2"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!(
            "{} of 8 runs already ended",
            finished_before.len()
        )),
        "{stderr}"
    );
    for (&i, before) in finished_before.iter().zip(&stamps) {
        assert_eq!(
            &stamp(&dirs[i].join("summary.json")),
            before,
            "run {i} was redone"
        );
    }
    for (i, d) in dirs.iter().enumerate().take(4) {
        assert_eq!(status(d).as_deref(), Some("finished"), "run {i}");
        // Each epoch recorded exactly once.
        assert_eq!(text(&d.join("epochs.jsonl")).lines().count(), 4, "run {i}");
        // Started once (twice for the killed run: start, then --resume).
        let log = text(&out.join(format!("logs/run-{i}.log")));
        let starts = log.lines().filter(|l| l.starts_with("=== ")).count();
        let resumed = log.lines().filter(|l| l.contains("\"--resume\"")).count();
        if stopped.contains(&i) {
            assert_eq!((starts, resumed), (2, 1), "run {i}:\n{log}");
        } else {
            assert_eq!((starts, resumed), (1, 0), "run {i}:\n{log}");
        }
    }
    let failures = json(&out.join("failures.json"));
    let failed: Vec<u64> = failures
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["index"].as_u64().unwrap())
        .collect();
    assert_eq!(failed, [4, 5, 6, 7]);
    for f in failures.as_array().unwrap() {
        assert_eq!(f["exit"], "exit status 1");
        assert!(
            f["tail"].as_str().unwrap().contains("test_batch.bin"),
            "{f}"
        );
        assert!(f["overrides"]["data"]
            .as_str()
            .unwrap()
            .starts_with("cifar10:"));
    }
    // summary.csv: the digits points finished 2 of 2, the CIFAR points failed 2 of 2.
    let csv = text(&out.join("summary.csv"));
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{csv}");
    for (p, row) in rows.iter().enumerate() {
        let counts = if p < 2 { ",2,2,0,0,0," } else { ",2,0,0,2,0," };
        assert!(row.contains(counts), "point {p}: {row}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sweep_ctrl_c_stops_cleanly_and_the_same_command_continues() {
    let dir = scratch("ctrl-c");
    let grid = grid_file(&dir, 4, 32, "seeds = [0, 1, 2]", "");
    let out = dir.join("out");
    let mut child = spawn_group(&["sweep", s(&grid), "--out", s(&out)]);
    wait_for(|| out.join("sweep.json").exists(), "sweep.json");
    let dirs = run_dirs(&out);
    wait_for(|| dirs.iter().any(|d| early_mid_run(d)), "a run mid-way");
    // Ctrl-C on a terminal: SIGINT to the whole foreground group.
    signal_group(&child, "INT");
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130));
    let statuses: Vec<Option<String>> = dirs.iter().map(|d| status(d)).collect();
    assert!(
        statuses.iter().any(|s| s.as_deref() == Some("interrupted")),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| s.as_deref() != Some("running")),
        "every child stopped cleanly: {statuses:?}"
    );
    let o = igo(&["sweep", s(&grid), "--out", s(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for d in &dirs {
        assert_eq!(status(d).as_deref(), Some("finished"));
        assert_eq!(text(&d.join("epochs.jsonl")).lines().count(), 4);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
