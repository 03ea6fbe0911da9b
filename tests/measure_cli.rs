//! `igo measure` on a checkpoint written by igo: the JSON record is complete, the
//! checkpoint file is unchanged, bad flags are usage errors naming the flag.

use crate::util::{assert_usage_error, igo, igo_json, igo_stdout};
use candle_core::{DType, Device};
use experiments::models::{Architecture, Model};
use numerics::Seed;
use std::path::PathBuf;

/// A logistic-regression checkpoint for the digits (1×8×8, 10 classes) in a fresh
/// temporary directory.
fn checkpoint(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("igo-measure-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let path = dir.join("model.safetensors");
    let model = Model::new(
        &Architecture::Logistic,
        (1, 8, 8),
        10,
        DType::F32,
        &Device::Cpu,
        Seed(3),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    model.save(&path).unwrap_or_else(|e| panic!("{e}"));
    path
}

#[test]
fn measure_reports_sharpness_eigenvalues_trace_and_wu_as_json() {
    let path = checkpoint("json");
    let before = std::fs::read(&path).unwrap();
    let file = path.to_str().unwrap();
    let v = igo_json(&[
        "measure",
        "--checkpoint",
        file,
        "--model",
        "logistic",
        "--data",
        "digits",
        "--examples",
        "256",
        "--batch",
        "64",
        "--hessian-batch",
        "32",
        "--hutchinson",
        "4",
        "--lanczos-k",
        "2",
        "--wu",
        "16",
        "--learning-rate",
        "0.1",
        "--batch-size",
        "8",
        "--json",
    ]);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the checkpoint file must not change"
    );
    assert_eq!(v["model"], "logistic");
    assert_eq!(v["examples"], 256);
    assert_eq!(v["parameters"], 650);
    assert_eq!(v["hessian_batch"], 32);
    let s = &v["sharpness"];
    assert_eq!(s["batches"].as_array().unwrap().len(), 4);
    assert!(s["sharpness"].as_f64().unwrap() > 0.0);
    assert!((s["options"]["rho"].as_f64().unwrap() - 2e-4).abs() < 1e-18);
    let h = &v["hessian"];
    let eig: Vec<f64> = h["eigenvalues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(eig.len(), 2);
    assert!(eig[0] >= eig[1] && eig[1] > 0.0, "{eig:?}");
    let trace = h["trace"]["mean"].as_f64().unwrap();
    // A PSD Hessian (convex model): tr H ≥ λ_max.
    assert!(trace > eig[0] * 0.5, "trace {trace} vs λ_max {}", eig[0]);
    let c2 = v["noise"]["c2"].as_f64().unwrap();
    assert_eq!(v["noise"]["examples"], 256);
    assert!(c2 > 0.0);
    // δ = ηC/√b with η = 0.1, b = 8 (spec §3).
    let delta = v["delta"]["sgd"].as_f64().unwrap();
    assert!(
        (delta - 0.1 * (c2 / 8.0).sqrt()).abs() < 1e-12 * delta,
        "{delta}"
    );
    let wu = &v["wu"];
    assert_eq!(wu["samples"], 16);
    assert_eq!(wu["stability"]["query"]["population"], 1438);
    assert!(["stable", "unstable", "undetermined"]
        .contains(&wu["stability"]["verdict"].as_str().unwrap()));
    let table = igo_stdout(&[
        "measure",
        "--checkpoint",
        file,
        "--model",
        "logistic",
        "--examples",
        "128",
        "--no-hessian",
    ]);
    assert!(
        table.contains("sharpness") && !table.contains("λ_max"),
        "{table}"
    );
}

#[test]
fn measure_rejects_bad_flags_and_files() {
    let path = checkpoint("errors");
    let file = path.to_str().unwrap();
    let base = ["measure", "--checkpoint", file];
    fn join<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(extra).copied().collect()
    }
    let with = |extra: &[&'static str]| join(&base, extra);
    assert_usage_error(&with(&["--model", "resnet-99"]), "--model");
    assert_usage_error(
        &with(&["--model", "logistic", "--data", "cifar10"]),
        "--data",
    );
    assert_usage_error(&with(&["--model", "logistic", "--rho", "0"]), "--rho");
    assert_usage_error(
        &with(&["--model", "logistic", "--hutchinson", "1"]),
        "--hutchinson",
    );
    assert_usage_error(
        &with(&["--model", "logistic", "--learning-rate", "0.1"]),
        "--batch-size",
    );
    assert_usage_error(
        &with(&["--model", "logistic", "--c2-examples", "1"]),
        "--c2-examples",
    );
    assert_usage_error(
        &with(&["--model", "logistic", "--momentum", "1"]),
        "--momentum",
    );
    assert_usage_error(
        &with(&["--model", "logistic", "--device", "tpu"]),
        "--device",
    );
    // A checkpoint of another architecture: a run error naming the file and tensor.
    let out = igo(&with(&["--model", "mlp-16"]));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("model.safetensors") && err.contains("layers.0"),
        "{err}"
    );
    let no_data = igo(&with(&[
        "--model",
        "logistic",
        "--data",
        "cifar10:/nonexistent/cifar",
    ]));
    assert!(matches!(no_data.status.code(), Some(1 | 2)));
    assert!(String::from_utf8_lossy(&no_data.stderr).contains("/nonexistent/cifar"));
    let missing = igo(&[
        "measure",
        "--checkpoint",
        "/nonexistent/x.safetensors",
        "--model",
        "logistic",
    ]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/x.safetensors"));
}
