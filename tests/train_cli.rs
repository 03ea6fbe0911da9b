//! `igo train`: the default run, flags over configs, exit statuses, resume.

use crate::util::{assert_usage_error, igo};
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("igo-train-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn train_default_run_writes_a_complete_run_directory() {
    let dir = scratch("default");
    let out = igo(&["train", "--out", dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not a terminal: one plain line per epoch, then the summary line.
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("epoch ")).count(),
        10,
        "{stdout}"
    );
    assert!(stdout.contains("finished: 10 epochs"), "{stdout}");
    for f in [
        "manifest.json",
        "summary.json",
        "checkpoint.json",
        "model.safetensors",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    assert_eq!(text(&dir.join("epochs.jsonl")).lines().count(), 10);
    let summary: serde_json::Value =
        serde_json::from_str(&text(&dir.join("summary.json"))).unwrap();
    assert_eq!(summary["status"], "finished");
    // 10 epochs of ⌈1438/32⌉ = 45 updates.
    assert_eq!(summary["updates"], 450);
    assert!(
        summary["final_test_accuracy"].as_f64().unwrap() > 0.9,
        "{summary}"
    );
    // A second run into the same directory is refused (exit 2); resuming it is a no-op.
    assert_usage_error(
        &["train", "--out", dir.to_str().unwrap()],
        "already holds a run",
    );
    let again = igo(&["train", "--resume", dir.to_str().unwrap(), "--quiet"]);
    assert!(again.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn train_flags_override_the_config_and_bad_values_name_the_key() {
    let dir = scratch("bad");
    let d = dir.to_str().unwrap();
    assert_usage_error(
        &[
            "train",
            "--out",
            d,
            "--optimizer",
            "shb",
            "--momentum",
            "1.2",
        ],
        "optimizer.momentum",
    );
    assert_usage_error(
        &["train", "--out", d, "--batch", "0"],
        "schedule.batch_size",
    );
    assert_usage_error(&["train", "--out", d, "--model", "transformer"], "--model");
    assert_usage_error(
        &["train", "no/such/config.toml", "--out", d],
        "no/such/config.toml",
    );
    assert_usage_error(&["train", "--resume", d, "--epochs", "3"], "--resume");
    assert_usage_error(&["train", "--resume", d], "holds no run");
    assert!(
        !dir.join("manifest.json").exists(),
        "nothing starts on a bad value"
    );
    // The committed example config, shortened by flags.
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/experiments/configs/digits-mlp.toml"
    );
    let out = igo(&[
        "train",
        config,
        "--out",
        d,
        "--epochs",
        "2",
        "--c2-subset",
        "32",
        "--optimizer",
        "shb",
        "--momentum",
        "0.5",
        "--lr",
        "0.05",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["epochs_completed"], 2);
    let manifest: serde_json::Value =
        serde_json::from_str(&text(&dir.join("manifest.json"))).unwrap();
    assert_eq!(manifest["config"]["optimizer"]["kind"], "shb");
    assert_eq!(manifest["config"]["optimizer"]["momentum"], 0.5);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn train_divergence_exits_with_status_one() {
    let dir = scratch("diverge");
    let out = igo(&[
        "train",
        "--out",
        dir.to_str().unwrap(),
        "--lr",
        "1e6",
        "--epochs",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("diverged at epoch 0"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(text(&dir.join("summary.json")).contains("\"diverged\""));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn train_ctrl_c_keeps_the_last_epoch_and_resume_matches_an_uninterrupted_run() {
    use std::process::{Command, Stdio};
    let (a, b) = (scratch("sigint-a"), scratch("sigint-b"));
    let flags = [
        "--epochs",
        "30",
        "--c2-every",
        "0",
        "--c2-subset",
        "16",
        "--quiet",
    ];
    let child = Command::new(env!("CARGO_BIN_EXE_igo"))
        .args(["train", "--out", b.to_str().unwrap()])
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the first epoch is on disk.
    let records = b.join("epochs.jsonl");
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&records).map_or(0, |t| t.lines().count()) == 0 {
        assert!(start.elapsed().as_secs() < 60, "no epoch finished");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("--resume"), "{err}");
    let summary: serde_json::Value = serde_json::from_str(&text(&b.join("summary.json"))).unwrap();
    assert_eq!(summary["status"], "interrupted");
    let kept = summary["epochs_completed"].as_u64().unwrap();
    assert!(
        kept >= 1 && summary["checkpoint_epochs"] == kept,
        "{summary}"
    );
    let resumed = igo(&["train", "--resume", b.to_str().unwrap(), "--quiet"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let full = igo(&[&["train", "--out", a.to_str().unwrap()][..], &flags[..]].concat());
    assert!(full.status.success());
    assert!(
        std::fs::read(a.join("model.safetensors")).unwrap()
            == std::fs::read(b.join("model.safetensors")).unwrap(),
        "resumed weights differ from the uninterrupted run"
    );
    assert_eq!(text(&b.join("epochs.jsonl")).lines().count(), 30);
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}
