//! `igo bench train`: the JSON of an igo-only run, and bad flags. (The PyTorch half
//! needs torch in bench/.venv, which CI does not install: run
//! `igo bench train` by hand for the side-by-side table.)

use crate::util::{assert_usage_error, igo_json};

const SMALL: [&str; 13] = [
    "bench",
    "train",
    "--no-pytorch",
    "--json",
    "--models",
    "resnet8-w16",
    "--batch",
    "4",
    "--steps",
    "1",
    "--warmup",
    "1",
    "--rounds",
];

#[test]
fn bench_train_without_pytorch_prints_one_object_per_model() {
    let mut args = SMALL.to_vec();
    args.extend(["1", "--hvp-calls", "1"]);
    let json = igo_json(&args);
    let rows = json.as_array().expect("a JSON array");
    assert_eq!(rows.len(), 1, "{json}");
    let row = &rows[0];
    for key in ["model", "igo_images_per_s", "pytorch_images_per_s", "ratio"] {
        assert!(row.get(key).is_some(), "{key} missing: {row}");
    }
    assert_eq!(row["model"], "resnet8-w16");
    assert_eq!(row["batch"], 4);
    let rate = row["igo_images_per_s"].as_f64().unwrap();
    assert!(rate.is_finite() && rate > 0.0, "{rate}");
    assert!(row["pytorch_images_per_s"].is_null());
    assert!(row["ratio"].is_null());
    // The HVP runs on the first model in a child process: time and peak memory.
    let igo = &row["hvp"]["igo"];
    for key in ["hvp_seconds", "gradient_seconds", "hvp_over_gradient"] {
        let v = igo[key].as_f64().unwrap_or(f64::NAN);
        assert!(v.is_finite() && v > 0.0, "{key}: {row}");
    }
    // Peak memory of the whole child process and what the calls added to it (Linux).
    let hvp_peak = igo["hvp_peak_rss_bytes"].as_u64().unwrap();
    let added = igo["hvp_added_rss_bytes"].as_u64().unwrap();
    assert!(hvp_peak > added && added > 0, "{row}");
    assert!(
        igo["gradient_peak_rss_bytes"].as_u64().unwrap() > 0,
        "{row}"
    );
    assert!(row["hvp"]["pytorch"].is_null());
}

#[test]
fn bench_train_bad_flags_exit_2_naming_the_flag() {
    let mut args = SMALL.to_vec();
    args.push("1");
    let with = |replace: &str, value: &str| -> Vec<String> {
        let mut a: Vec<String> = args.iter().map(ToString::to_string).collect();
        let i = a.iter().position(|x| x == replace).unwrap();
        a[i + 1] = value.to_string();
        a
    };
    let check = |a: Vec<String>, flag: &str| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        assert_usage_error(&refs, flag);
    };
    check(with("--models", "vgg16"), "--models");
    check(with("--steps", "0"), "--steps");
    check(with("--rounds", "0"), "--rounds");
    check(with("--batch", "0"), "--batch");
    check(with("--batch", "4,8"), "--batch");
    let mut a = with("--steps", "1");
    a.extend(["--hvp-model".into(), "resnet18".into()]);
    check(a, "--hvp-model");
    // Without --no-pytorch: a bench dir without the scripts, and a model PyTorch lacks.
    let dir = std::env::temp_dir().to_string_lossy().into_owned();
    assert_usage_error(
        &[
            "bench",
            "train",
            "--bench-dir",
            &dir,
            "--models",
            "resnet8-w16",
        ],
        "--bench-dir",
    );
    assert_usage_error(&["bench", "train", "--models", "mlp-32"], "--models");
}
