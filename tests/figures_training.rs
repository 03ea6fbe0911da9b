//! The schedule, least-squares and training figures (`igo::figures::training`): each
//! figure's data has a property that could be false, checked against closed forms or
//! against numbers computed here independently; the experiment figures are built from
//! tiny experiment directories written here in the records' real format.
#![allow(clippy::unwrap_used)]

use experiments::optimizer::OptimizerKind;
use experiments::train::record::{DataInfo, Delta, EPOCHS, MANIFEST, SUMMARY};
use experiments::train::{EpochRecord, Manifest, RunConfig, ScheduleSpec, Status, Summary};
use igo::figures::training::records::MissingRecords;
use igo::figures::training::{
    accuracy_vs_delta, delta_per_stage, methods_curves, noise_ball, poly_power_loss,
    sharpness_vs_delta, step_size_rules,
};
use igo::figures::{Figure, Inputs, Point, Series, Style};
use numerics::Seed;
use std::collections::BTreeMap;
use std::f64::consts::FRAC_1_SQRT_2;
use std::path::{Path, PathBuf};

fn series<'a>(fig: &'a Figure, panel: usize, label_start: &str) -> &'a Series {
    fig.panels[panel]
        .series
        .iter()
        .find(|s| s.label.starts_with(label_start))
        .unwrap_or_else(|| panic!("no series '{label_start}' in panel {panel} of {}", fig.name))
}

fn close(a: f64, b: f64, rtol: f64) -> bool {
    (a - b).abs() <= rtol * b.abs().max(1e-300)
}

// ---------------------------------------------------------------- δ per stage

/// Spec §10.1: every stage transition of methods 2–4 divides δ by √2, except the
/// WideResNet method 4 step b: 27 → 40 (int(40.5)), where the ratio is
/// (√3/2)·√(27/40) ≈ 0.7115 (closed form from the lists, not from the library).
#[test]
fn delta_per_stage_ratios_are_one_over_root_two_except_wrn_method_4() {
    let fig = delta_per_stage::figure_with(1.0).unwrap();
    let ratios = &fig.panels[3];
    let mut seen = 0;
    for s in &ratios.series {
        for (k, p) in s.points.iter().enumerate() {
            let want =
                if s.label.starts_with("WideResNet") && s.label.ends_with("method 4") && k == 3 {
                    3f64.sqrt() / 2.0 * (27.0f64 / 40.0).sqrt()
                } else {
                    FRAC_1_SQRT_2
                };
            assert!(
                close(p.y, want, 1e-12),
                "{}: transition {}: {} vs {want}",
                s.label,
                k + 1,
                p.y
            );
            seen += 1;
        }
    }
    // 3 settings × methods 2–4 × 4 transitions.
    assert_eq!(seen, 36);
    assert!(fig.caption.contains("0.7115"), "{}", fig.caption);
}

/// δ = ηC/√b from the spec's lists: method 3 on ResNet18/CIFAR-100 starts at
/// η = 0.1, b = 16, so δ = 0.1·C/4; the figure scales linearly with C; the update
/// staircase ends at the spec's totals (78,200; 242,280; 162,880 for ResNet18 and
/// 484,440; 651,880 for WRN methods 3 and 4).
#[test]
fn delta_per_stage_values_scale_with_c_and_end_at_the_spec_update_totals() {
    let one = delta_per_stage::figure_with(1.0).unwrap();
    let three = delta_per_stage::figure_with(3.0).unwrap();
    let m3 = series(&one, 0, "method 3");
    assert!(close(m3.points[0].y, 0.1 / 4.0, 1e-14));
    assert!(close(m3.points[199].y, 0.1 / 256f64.sqrt(), 1e-14));
    for (a, b) in one.panels[0].series.iter().zip(&three.panels[0].series) {
        for (p, q) in a.points.iter().zip(&b.points) {
            assert!(close(q.y, 3.0 * p.y, 1e-14));
        }
    }
    let last_x =
        |fig: &Figure, panel: usize, m: &str| series(fig, panel, m).points.last().unwrap().x;
    assert!(close(last_x(&one, 1, "method 1"), 78_200.0, 0.0));
    assert!(close(last_x(&one, 1, "method 2"), 78_200.0, 0.0));
    assert!(close(last_x(&one, 1, "method 3"), 242_280.0, 0.0));
    assert!(close(last_x(&one, 1, "method 4"), 162_880.0, 0.0));
    assert!(close(last_x(&one, 2, "method 3"), 484_440.0, 0.0));
    assert!(close(last_x(&one, 2, "method 4"), 651_880.0, 0.0));
    assert!(delta_per_stage::figure_with(0.0).is_err());
}

/// Polynomial schedule: δ_m/δ_1 = ((M − m)/M)^p with M = 200 (closed form), and the
/// smallest decay factor is 2^(−p), ≥ ½ exactly for p ≤ 1.
#[test]
fn polynomial_schedules_follow_the_closed_form() {
    let fig = delta_per_stage::figure_with(1.0).unwrap();
    for (s, f) in fig.panels[4].series.iter().zip(&fig.panels[5].series) {
        let p: f64 = s.label.trim_start_matches("p = ").parse().unwrap();
        let d1 = s.points[0].y;
        for q in &s.points {
            let want = d1 * ((200.0 - q.x) / 200.0).powf(p);
            assert!(close(q.y, want, 1e-12), "p = {p}, m = {}", q.x);
        }
        let min = f.points.iter().map(|q| q.y).fold(f64::INFINITY, f64::min);
        assert!(close(min, 2f64.powf(-p), 1e-14));
        assert_eq!(min >= 0.5, p <= 1.0, "p = {p}");
    }
}

// ---------------------------------------------------------------- noise ball

/// Under-parameterised: the runs stall near tr P (their late mean within a factor 2,
/// not at 0); the exact floor grows like γ at small γ (ratio of the two smallest grid
/// points within 10% of the γ ratio); over-parameterised: the error falls below 1e-20.
#[test]
fn noise_ball_stalls_at_the_floor_and_interpolation_converges() {
    let budget = noise_ball::Budget {
        runs: 2,
        steps: 60_000,
        points: 60,
        grid: 4,
    };
    let fig = noise_ball::figure_with(Seed(0), budget).unwrap();
    let panel1 = &fig.panels[0];
    for pair in panel1.series.chunks(2) {
        let (band, floor) = (&pair[0], &pair[1]);
        assert_eq!(band.style, Style::Band);
        let tr = floor.points[0].y;
        let late: Vec<&Point> = band.points.iter().skip(band.points.len() * 2 / 3).collect();
        let mean = late.iter().map(|p| p.y).sum::<f64>() / late.len() as f64;
        assert!(
            mean > 0.5 * tr && mean < 2.0 * tr,
            "{}: {mean} vs tr P {tr}",
            band.label
        );
        for p in &band.points {
            assert!(p.lo.unwrap() <= p.y && p.y <= p.hi.unwrap());
        }
    }
    let over = series(&fig, 1, "over");
    assert!(
        over.points.last().unwrap().y < 1e-20,
        "{:?}",
        over.points.last()
    );
    let under = series(&fig, 1, "under");
    assert!(under.points.last().unwrap().y > 1e-3);
    let exact = &fig.panels[2].series[0].points;
    let (a, b) = (exact[0], exact[1]);
    let slope = (b.y / a.y).ln() / (b.x / a.x).ln();
    assert!((slope - 1.0).abs() < 0.1, "small-γ slope {slope}");
    assert!(exact.windows(2).all(|w| w[1].y > w[0].y));
}

// ---------------------------------------------------------------- step-size rules

/// Logistic ×10³: every rule stays finite for all 100 epochs. Least squares ×10³: the
/// rules without gradient adaptation (R1, R2, R4 with α = 0) stop being finite, R3 and
/// R4 do not. Constant step: Σγ/Σγ² = 1/γ₀ = 10 at every T; R1's ratio grows.
#[test]
fn step_size_rules_adaptive_rules_survive_and_refined_ratio_grows() {
    let fig = step_size_rules::figure_with(Seed(0), 2, 100).unwrap();
    assert_eq!(fig.panels[1].series.len(), 5);
    for s in &fig.panels[1].series {
        assert_eq!(s.points.len(), 100, "{}", s.label);
    }
    let steps_total = (100 * step_size_rules::SAMPLES) as f64;
    for s in &fig.panels[2].series {
        let reached = s.points.last().map_or(0.0, |p| p.x);
        let adaptive =
            s.label.starts_with("R3") || (s.label.starts_with("R4") && !s.label.ends_with("α = 0"));
        assert_eq!(
            close(reached, steps_total, 0.0),
            adaptive,
            "{}: last step {reached}",
            s.label
        );
    }
    let constant = series(&fig, 3, "constant");
    assert!(constant
        .points
        .iter()
        .all(|p| close(p.y, 1.0 / step_size_rules::GAMMA0, 1e-12)));
    let r1 = series(&fig, 3, "R1");
    assert!(r1.points.windows(2).all(|w| w[1].y > w[0].y));
    assert!(r1.points.last().unwrap().y > 10.0 * r1.points[0].y);
}

// ---------------------------------------------------------------- experiment directories

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("igo-fig-training-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn record(
    epoch: usize,
    train_loss: f64,
    test_accuracy: f64,
    eta: f64,
    b: usize,
    updates: u64,
) -> EpochRecord {
    EpochRecord {
        epoch,
        train_loss,
        train_accuracy: 0.5,
        test_loss: train_loss,
        test_accuracy,
        learning_rate: eta,
        batch_size: b,
        momentum: 0.0,
        optimizer: OptimizerKind::Sgd,
        steps: 10,
        updates,
        c2: Some(4.0),
        gradient_norm: Some(1.0),
        delta: Some(Delta::new(eta, b, 0.0, 4.0, 0.0)),
        seconds: 0.1,
        images_per_second: 100.0,
        smoothing_radius: None,
        measurements: BTreeMap::new(),
    }
}

/// Writes one run directory in the format of `experiments::train::record`.
fn write_run(
    dir: &Path,
    config: RunConfig,
    status: Status,
    c2_initial: f64,
    records: &[EpochRecord],
) {
    std::fs::create_dir_all(dir).unwrap();
    let manifest = Manifest {
        seed: config.seed,
        config,
        igo_version: "test".into(),
        git_revision: "test".into(),
        git_dirty: None,
        created_unix: 0,
        data: DataInfo {
            name: "digits".into(),
            train: 100,
            test: 100,
            shape: (1, 8, 8),
            classes: 10,
        },
        parameters: 10,
        planned_updates: records.last().map_or(0, |r| r.updates),
    };
    let last = records.last();
    let summary = Summary {
        status,
        epochs_completed: records.len(),
        checkpoint_epochs: records.len(),
        epochs: records.len(),
        updates: last.map_or(0, |r| r.updates),
        final_train_loss: last.map(|r| r.train_loss),
        final_test_loss: last.map(|r| r.test_loss),
        final_test_accuracy: last.map(|r| r.test_accuracy),
        divergence: None,
        c2_initial: Some(c2_initial),
        c2_final: Some(c2_initial),
        c2_max: Some(c2_initial),
        wall_seconds: 1.0,
        message: None,
    };
    std::fs::write(
        dir.join(MANIFEST),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join(SUMMARY),
        serde_json::to_string_pretty(&summary).unwrap(),
    )
    .unwrap();
    let lines: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(dir.join(EPOCHS), lines.join("\n") + "\n").unwrap();
}

fn config(seed: u64, lr: ScheduleSpec, b: ScheduleSpec) -> RunConfig {
    let mut c = RunConfig::digits_default();
    c.seed = seed;
    c.schedule.learning_rate = Some(lr);
    c.schedule.batch_size = Some(b);
    c
}

fn inputs(root: &Path) -> Inputs {
    Inputs {
        experiments: root.to_path_buf(),
        seed: 0,
        quick: true,
    }
}

/// Two (η, b) cells × two seeds, plus a diverged run: the scatter has exactly the
/// finished runs, at δ = η·√C²/√b (computed here), sharpness from the last record,
/// shade log₂ b; the means are the per-cell averages.
#[test]
fn sharpness_and_accuracy_figures_have_exactly_the_runs_points() {
    let root = scratch("sweep");
    let exp = root.join("sharpness-vs-delta/runs");
    // (η, b, seed, C², sharpness, accuracy, finished)
    let runs = [
        (0.1, 4usize, 0u64, 4.0, 0.02, 0.8, true),
        (0.1, 4, 1, 9.0, 0.04, 0.9, true),
        (0.3, 16, 0, 4.0, 0.01, 0.7, true),
        (0.3, 16, 1, 4.0, 0.03, 0.6, true),
        (0.3, 4, 0, 4.0, f64::NAN, 0.1, false),
    ];
    for &(eta, b, seed, c2, sharp, acc, finished) in &runs {
        let mut r = record(0, 0.5, acc, eta, b, 25);
        if sharp.is_finite() {
            r.measurements.insert("sharpness".into(), sharp);
            r.measurements.insert("lambda_max".into(), 10.0 * sharp);
        }
        let status = if finished {
            Status::Finished
        } else {
            Status::Diverged
        };
        write_run(
            &exp.join(format!("{eta}_{b}/seed_{seed}")),
            config(
                seed,
                ScheduleSpec::constant(eta),
                ScheduleSpec::constant(b as f64),
            ),
            status,
            c2,
            &[r],
        );
    }
    let fig = sharpness_vs_delta::figure(&inputs(&root)).unwrap();
    let scatter = &fig.panels[0].series[0];
    assert_eq!(scatter.style, Style::Shaded);
    let mut got: Vec<(f64, f64, f64)> = scatter
        .points
        .iter()
        .map(|p| (p.x, p.y, p.shade.unwrap()))
        .collect();
    let mut want: Vec<(f64, f64, f64)> = runs
        .iter()
        .filter(|r| r.6)
        .map(|&(eta, b, _, c2, s, _, _)| {
            (
                eta * f64::sqrt(c2) / (b as f64).sqrt(),
                s,
                (b as f64).log2(),
            )
        })
        .collect();
    got.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert!(
            close(g.0, w.0, 1e-14) && close(g.1, w.1, 1e-14) && close(g.2, w.2, 1e-14),
            "{g:?} vs {w:?}"
        );
    }
    // Means: cell (0.1, 4): δ = (0.1 + 0.15)/2, sharpness 0.03; cell (0.3, 16): δ 0.15, 0.02.
    let means = &fig.panels[0].series[1].points;
    assert_eq!(means.len(), 2);
    assert!(close(means[0].x, 0.125, 1e-14) && close(means[0].y, 0.03, 1e-14));
    assert!(close(means[1].x, 0.15, 1e-14) && close(means[1].y, 0.02, 1e-14));
    let lambda = &fig.panels[1].series[0];
    assert!(lambda.points.iter().any(|p| close(p.y, 0.4, 1e-14)));
    assert!(
        fig.caption.contains("5 runs, 1 diverged"),
        "{}",
        fig.caption
    );
    assert!(fig.caption.contains("no verdicts.json") || fig.caption.contains("Verdicts"));

    let acc = accuracy_vs_delta::figure(&inputs(&root)).unwrap();
    let points = &acc.panels[0].series[0].points;
    assert_eq!(points.len(), 4);
    let sum: f64 = points.iter().map(|p| p.y).sum();
    assert!(close(sum, 0.8 + 0.9 + 0.7 + 0.6, 1e-14));
    // The quadratic through the four points spans [min δ, max δ].
    let fit = &acc.panels[0].series[2].points;
    assert!(close(fit[0].x, 0.1, 1e-12) && close(fit.last().unwrap().x, 0.15, 1e-12));
    let _ = std::fs::remove_dir_all(&root);
}

/// Two methods × two seeds × three epochs: each band point is the mean, min and max
/// of the two seeds' values at that epoch (computed here), at x = epoch + 1 and at the
/// recorded cumulative updates; a diverged run is left out.
#[test]
fn methods_bands_are_the_seed_mean_min_and_max() {
    let root = scratch("methods");
    let exp = root.join("methods/runs");
    let stages = |values: Vec<f64>| ScheduleSpec::Stages {
        values,
        stage_epochs: 1,
        offset: 0,
    };
    for m in [1u8, 3] {
        for seed in 0..3u64 {
            let records: Vec<EpochRecord> = (0..3)
                .map(|e| {
                    let loss = 1.0 / (1.0 + e as f64) + 0.1 * seed as f64 + f64::from(m);
                    let b = if m == 1 { 16 } else { 16 << e };
                    let updates = if m == 1 {
                        10 * (e as u64 + 1)
                    } else {
                        [10, 15, 18][e]
                    };
                    record(e, loss, 0.5 + 0.01 * seed as f64, 0.1, b, updates)
                })
                .collect();
            let status = if seed == 2 {
                Status::Diverged
            } else {
                Status::Finished
            };
            let records = if seed == 2 {
                vec![record(0, 1e9, 0.0, 0.1, 16, 10)]
            } else {
                records
            };
            write_run(
                &exp.join(format!("method{m}/seed_{seed}")),
                config(seed, stages(vec![0.1; 3]), stages(vec![16.0; 3])),
                status,
                4.0,
                &records,
            );
        }
    }
    let fig = methods_curves::figure(&inputs(&root)).unwrap();
    let loss = series(&fig, 0, "method 3");
    assert_eq!(loss.points.len(), 3);
    for (e, p) in loss.points.iter().enumerate() {
        let base = 1.0 / (1.0 + e as f64) + 3.0;
        assert!(close(p.x, e as f64 + 1.0, 0.0));
        assert!(close(p.lo.unwrap(), base, 1e-14) && close(p.hi.unwrap(), base + 0.1, 1e-14));
        assert!(close(p.y, base + 0.05, 1e-14));
    }
    let per_update = series(&fig, 2, "method 3");
    let xs: Vec<f64> = per_update.points.iter().map(|p| p.x).collect();
    assert_eq!(xs, vec![10.0, 15.0, 18.0]);
    assert_eq!(fig.panels[0].x.label, "epoch (5 stages of 1)");
    assert!(fig.caption.contains("method1/seed_2"), "{}", fig.caption);
    let _ = std::fs::remove_dir_all(&root);
}

/// Powers 0.5 and 2 × two seeds: the final-loss band over p has one point per power
/// at x = p with the seeds' mean, min and max of the last record.
#[test]
fn poly_power_band_has_one_point_per_power() {
    let root = scratch("poly");
    let exp = root.join("poly-power/runs");
    for (p, losses) in [(0.5, [0.1, 0.3]), (2.0, [0.4, 0.6])] {
        for (seed, &loss) in losses.iter().enumerate() {
            let lr = ScheduleSpec::Polynomial {
                initial: 0.1,
                power: p,
                total: None,
            };
            write_run(
                &exp.join(format!("p{p}/seed_{seed}")),
                config(seed as u64, lr, ScheduleSpec::constant(32.0)),
                Status::Finished,
                4.0,
                &[
                    record(0, 1.0, 0.5, 0.1, 32, 5),
                    record(1, loss, 0.6, 0.05, 32, 10),
                ],
            );
        }
    }
    let fig = poly_power_loss::figure(&inputs(&root)).unwrap();
    let band = &fig.panels[0].series[0].points;
    assert_eq!(band.len(), 2);
    assert!(close(band[0].x, 0.5, 0.0) && close(band[0].y, 0.2, 1e-14));
    assert!(close(band[0].lo.unwrap(), 0.1, 1e-14) && close(band[0].hi.unwrap(), 0.3, 1e-14));
    assert!(close(band[1].x, 2.0, 0.0) && close(band[1].y, 0.5, 1e-14));
    assert!(fig.caption.contains("p = 0.5"), "{}", fig.caption);
    let _ = std::fs::remove_dir_all(&root);
}

/// No directory: every experiment figure fails with [`MissingRecords`] naming the
/// directory and the `igo experiment NAME --out DIR/NAME` command.
#[test]
fn missing_records_name_the_directory_and_the_command() {
    let root = scratch("missing");
    for entry in igo::figures::training::entries() {
        let igo::figures::Source::Experiment(name) = entry.source else {
            continue;
        };
        let err = (entry.make)(&inputs(&root)).unwrap_err();
        let missing = err
            .downcast_ref::<MissingRecords>()
            .unwrap_or_else(|| panic!("{}: {err}", entry.name));
        let dir = root.join(name);
        assert_eq!(missing.dir, dir);
        let text = err.to_string();
        assert!(
            text.contains(&format!("igo experiment {name} --out {}", dir.display())),
            "{}: {text}",
            entry.name
        );
    }
    // An empty runs/ directory is missing records too.
    std::fs::create_dir_all(root.join("methods/runs")).unwrap();
    let err = methods_curves::figure(&inputs(&root)).unwrap_err();
    assert!(err.downcast_ref::<MissingRecords>().is_some(), "{err}");
    let _ = std::fs::remove_dir_all(&root);
}

/// The theory figures pass the renderer's validation (every value on a log axis > 0,
/// finite points) and are written as SVG, PNG and CSV.
#[test]
fn theory_figures_render() {
    let root = scratch("render");
    for entry in igo::figures::training::entries() {
        if entry.source != igo::figures::Source::Theory {
            continue;
        }
        let fig = (entry.make)(&inputs(&root)).unwrap();
        assert_eq!(fig.name, entry.name);
        let written =
            igo::figures::draw(&fig, &root).unwrap_or_else(|e| panic!("{}: {e:#}", entry.name));
        assert!(
            root.join(format!("{}.png", entry.name)).is_file(),
            "{written:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
