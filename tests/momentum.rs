//! Proof tests of `theory::momentum` (see theory/src/momentum/), unit tests of the
//! paper's schedules (spec §10.1) and of `igo schedule`.

use numerics::schedule::{
    MultiplicativeGrowth, PaperMethod, PaperSetting, Schedule, StagePlan, Step,
};

use crate::proof;
use crate::util::{assert_usage_error, igo_json, igo_stdout};

// ANCHOR: proofs
proof!(
    polynomial_schedule_telescoping,
    "polynomial_schedule_telescoping"
);
proof!(algorithm_6_realisation, "algorithm_6_realisation");
proof!(momentum_cubic_solver, "momentum_cubic_solver");
proof!(momentum_noise_bound, "momentum_noise_bound");
proof!(momentum_degree_monotonicity, "momentum_degree_monotonicity");
// ANCHOR_END: proofs

const SETTINGS: [PaperSetting; 3] = [
    PaperSetting::Resnet18Cifar100,
    PaperSetting::WideResnet28x10Cifar100,
    PaperSetting::Resnet34Imagenet,
];
const METHODS: [PaperMethod; 4] = [
    PaperMethod::Constant,
    PaperMethod::LearningRateDecay,
    PaperMethod::BatchGrowth,
    PaperMethod::Hybrid,
];

#[test]
fn paper_methods_update_counts_match_the_spec_totals() {
    // Spec §10.1 "Parameter-update counts" (the spec's hand computation):
    // methods 1 = 2, 3, 4 per setting.
    let expected = [
        (
            PaperSetting::Resnet18Cifar100,
            [78_200, 78_200, 242_280, 162_880],
        ),
        (
            PaperSetting::WideResnet28x10Cifar100,
            [78_200, 78_200, 484_440, 651_880],
        ),
        (
            PaperSetting::Resnet34Imagenet,
            [1_001_000, 1_001_000, 3_102_960, 4_171_760],
        ),
    ];
    for (setting, totals) in expected {
        for (method, total) in METHODS.iter().zip(totals) {
            let plan = StagePlan::paper(setting, *method);
            assert_eq!(
                plan.total_updates(),
                total,
                "{} method {}",
                setting.name(),
                method.number()
            );
            assert_eq!(plan.rows().last().unwrap().cumulative_updates, total);
        }
    }
    // Spec §10.1: ResNet18/CIFAR-100 method 4 per stage.
    let per_stage: Vec<usize> =
        StagePlan::paper(PaperSetting::Resnet18Cifar100, PaperMethod::Hybrid)
            .rows()
            .iter()
            .map(|r| r.updates)
            .collect();
    assert_eq!(per_stage, vec![62_520, 41_680, 27_800, 18_520, 12_360]);
}

#[test]
// The authors' rounded literals 0.707106781186548 and 0.866025403784439 are intended.
#[allow(clippy::approx_constant)]
fn paper_lists_follow_from_the_authors_code_rules() {
    // StepLR with the code's literal γ (0.707106781186548, 0.866025403784439) and
    // b ← int(c·b) every 40 epochs reproduce the spec's per-stage lists.
    for setting in SETTINGS {
        for method in METHODS {
            let plan = StagePlan::paper(setting, method);
            let (gamma, factor) = match method {
                PaperMethod::Constant => (1.0, 1.0),
                PaperMethod::LearningRateDecay => (0.707_106_781_186_548, 1.0),
                PaperMethod::BatchGrowth => (1.0, 2.0),
                PaperMethod::Hybrid => (0.866_025_403_784_439, 1.5),
            };
            let lr = Step::new(0.1, gamma, 40).unwrap();
            let b0 = plan.batch_sizes()[0] as f64;
            let b = MultiplicativeGrowth::new(b0, factor, 40, 0, true).unwrap();
            for stage in 0..5 {
                let epoch = 40 * stage;
                assert!((lr.at(epoch) - plan.learning_rates()[stage]).abs() < 1e-15);
                assert!(
                    (plan.learning_rate(epoch + 39) - plan.learning_rates()[stage]).abs() < 1e-15
                );
                assert_eq!(b.at(epoch) as usize, plan.batch_sizes()[stage]);
                assert_eq!(plan.batch_size(epoch + 39), plan.batch_sizes()[stage]);
            }
        }
    }
}

#[test]
fn authors_offset_moves_one_epoch_of_updates_per_transition() {
    // With the one-epoch offset each of the 4 transitions trains one more epoch with the
    // previous (smaller) batch: ResNet18 method 3 gains 4 × (⌈N/b_i⌉ − ⌈N/b_{i+1}⌉).
    let aligned = StagePlan::paper(PaperSetting::Resnet18Cifar100, PaperMethod::BatchGrowth);
    let shifted = aligned.clone().with_batch_offset(1).unwrap();
    let n: usize = 50_000;
    let b = [16usize, 32, 64, 128, 256];
    let extra: usize = b
        .windows(2)
        .map(|w| n.div_ceil(w[0]) - n.div_ceil(w[1]))
        .sum();
    assert_eq!(shifted.total_updates(), aligned.total_updates() + extra);
    assert_eq!(shifted.batch_size(40), 16);
    assert_eq!(shifted.batch_size(41), 32);
    assert!((shifted.learning_rate(40) - 0.1).abs() < 1e-15);
}

/// `igo schedule args`.
fn schedule<'a>(args: &[&'a str]) -> Vec<&'a str> {
    std::iter::once("schedule")
        .chain(args.iter().copied())
        .collect()
}

#[test]
fn cli_schedule_prints_the_method_table() {
    let text = igo_stdout(&schedule(&[
        "--method",
        "4",
        "--model",
        "wrn28-10",
        "--dataset",
        "cifar100",
    ]));
    assert!(text.contains("δ/C = η/√b"), "{text}");
    assert!(text.contains("651880"), "{text}"); // spec §10.1 total
    assert!(text.contains("0.711512"), "{text}"); // int(40.5) = 40
}

#[test]
fn cli_schedule_json_matches_the_library() {
    let v = igo_json(&schedule(&[
        "--method", "3", "--model", "resnet34", "--json",
    ]));
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[4]["cumulative_updates"].as_u64(), Some(3_102_960));
    assert_eq!(v["training_size"].as_u64(), Some(1_281_167));
    let ratio = rows[1]["ratio"].as_f64().unwrap();
    assert!((ratio - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
}

#[test]
fn cli_schedule_poly_realises_the_schedule() {
    let v = igo_json(&schedule(&[
        "--method",
        "poly",
        "--optimizer",
        "shb",
        "--rule",
        "beta-batch",
        "--variant",
        "igo-aaai25",
        "--stages",
        "50",
        "--power",
        "1",
        "--json",
    ]));
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 51);
    for r in &rows[1..] {
        let (ratio, target) = (
            r["ratio"].as_f64().unwrap(),
            r["target_ratio"].as_f64().unwrap(),
        );
        assert!(((ratio - target) / target).abs() < 1e-9, "{r}");
    }
    // Defaults: the authors' ResNet18 SHB constants.
    assert_eq!(v["variance_bound"].as_f64(), Some(25.318));
}

#[test]
fn cli_schedule_rejects_bad_values_with_status_2() {
    for (args, flag) in [
        (vec!["--method", "5"], "--method"),
        (vec!["--method", "poly", "--power", "-1"], "--power"),
        (vec!["--method", "poly", "--stages", "0"], "--stages"),
        (vec!["--method", "poly", "--beta", "1"], "--beta"),
        (vec!["--method", "poly", "--c2", "0"], "--c2"),
        (vec!["--method", "poly", "--batch", "33"], "--balance"),
        (vec!["--method", "2", "--power", "2"], "--power"),
        (
            vec![
                "--method",
                "2",
                "--model",
                "resnet34",
                "--dataset",
                "cifar100",
            ],
            "--dataset",
        ),
        (
            vec![
                "--method",
                "1",
                "--optimizer",
                "nshb",
                "--model",
                "resnet34",
            ],
            "--c2",
        ),
        (
            vec![
                "--method",
                "poly",
                "--optimizer",
                "sgd",
                "--rule",
                "lr-beta",
            ],
            "--rule",
        ),
        (vec!["--method", "poly", "--lr", "abc"], "--lr"),
    ] {
        assert_usage_error(&schedule(&args), flag);
    }
}
