//! The training stack end to end on the embedded digits: records, schedules and δ,
//! resume bit-identity, atomic writes, divergence, config errors; and the candle
//! optimizers against `numerics`' independent implementations.

// Test helpers outside `#[test]` functions unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use argmin::core::Executor;
use candle_core::{DType, Device, Tensor, Var};
use experiments::optimizer::{Momentum, MomentumConfig, OptimizerKind};
use experiments::train::{
    self, EpochRecord, Hooks, Observer, Reference, RunConfig, ScheduleSpec, Status, Summary,
};
use experiments::ExperimentError;
use nalgebra::DVector;
use numerics::objective::{AsArgmin, BatchSampler, LeastSquares, Sampling};
use numerics::optim::{Nshb, Sgd, Shb};
use numerics::Seed;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// A fresh, empty directory under the system temp dir.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("igo-training-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The default digits config, shortened: `epochs` epochs, a 64-example C² subset.
fn small(epochs: usize) -> RunConfig {
    let mut c = RunConfig::digits_default();
    c.epochs = epochs;
    c.measurements.c2_subset = 64;
    c
}

fn records(dir: &Path) -> Vec<EpochRecord> {
    std::fs::read_to_string(dir.join("epochs.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Records without their timings (the only fields that differ between identical runs).
fn untimed(dir: &Path) -> Vec<EpochRecord> {
    records(dir)
        .into_iter()
        .map(|mut r| {
            r.seconds = 0.0;
            r.images_per_second = 0.0;
            r
        })
        .collect()
}

fn run(config: &RunConfig, dir: &Path) -> Summary {
    train::train(config, dir, Hooks::default()).unwrap()
}

#[test]
fn three_epochs_write_complete_records_following_the_schedule() {
    let dir = scratch("records");
    let mut c = small(3);
    c.schedule.learning_rate = Some(ScheduleSpec::Step {
        initial: 0.1,
        gamma: 0.5,
        every: 1,
    });
    c.schedule.batch_size = Some(ScheduleSpec::Stages {
        values: vec![32.0, 64.0, 100.0],
        stage_epochs: 1,
        offset: 0,
    });
    let summary = run(&c, &dir);
    assert_eq!(summary.status, Status::Finished);
    let recs = records(&dir);
    assert_eq!(recs.len(), 3);
    let n = 1438usize; // digits training split
    let mut updates = 0u64;
    let c2 = summary.c2_initial.unwrap();
    for (e, r) in recs.iter().enumerate() {
        let eta = 0.1 * 0.5f64.powi(e as i32);
        let b = [32usize, 64, 100][e];
        updates += n.div_ceil(b) as u64;
        assert_eq!(r.epoch, e);
        assert!((r.learning_rate - eta).abs() < 1e-15, "{r:?}");
        assert_eq!(r.batch_size, b);
        assert_eq!(r.steps, n.div_ceil(b));
        assert_eq!(r.updates, updates);
        let d = r.delta.unwrap();
        // δ = ηC/√b with the initial C² (the default reference).
        assert!((d.sgd - eta * (c2 / b as f64).sqrt()).abs() < 1e-12 * d.sgd);
        for v in [
            r.train_loss,
            r.train_accuracy,
            r.test_loss,
            r.test_accuracy,
            r.momentum,
            r.c2.unwrap(),
            r.gradient_norm.unwrap(),
            d.sgd,
            d.shb,
            d.nshb,
            r.seconds,
            r.images_per_second,
        ] {
            assert!(v.is_finite(), "{r:?}");
        }
        assert!((0.0..=1.0).contains(&r.test_accuracy));
    }
    // Training helps: the MLP gets well above chance (10%) on the test digits.
    assert!(recs[2].test_accuracy > 0.8, "{:?}", recs[2]);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 0);
    assert!(manifest["git_revision"].as_str().is_some());
    assert_eq!(manifest["planned_updates"], updates);
    assert!(dir.join("model.safetensors").exists());
    assert_eq!(summary.updates, updates);
}

/// Sets `flag` once `epochs` epochs have finished (or, with `step`, at that step of
/// the following epoch).
struct StopAt<'a> {
    flag: &'a AtomicBool,
    epochs: usize,
    step: Option<usize>,
}

impl Observer for StopAt<'_> {
    fn epoch_finished(&mut self, record: &EpochRecord) {
        if self.step.is_none() && record.epoch + 1 == self.epochs {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
    fn step(&mut self, p: &train::StepProgress) {
        if Some(p.step) == self.step && p.epoch == self.epochs {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
}

fn interrupted(config: &RunConfig, dir: &Path, epochs: usize, step: Option<usize>) -> Summary {
    let flag = AtomicBool::new(false);
    let mut stop = StopAt {
        flag: &flag,
        epochs,
        step,
    };
    train::train(
        config,
        dir,
        Hooks {
            observer: Some(&mut stop),
            stop: Some(&flag),
            ..Hooks::default()
        },
    )
    .unwrap()
}

/// SHB with momentum (buffers to restore), augmentation (per-epoch RNG streams) and C²
/// every epoch.
fn resumable(epochs: usize, checkpoint_every: usize) -> RunConfig {
    let mut c = small(epochs);
    c.optimizer.kind = OptimizerKind::Shb;
    c.optimizer.momentum = Some(0.9);
    c.optimizer.weight_decay = 1e-4;
    c.schedule.learning_rate = Some(ScheduleSpec::constant(0.02));
    c.augmentation.crop_padding = 1;
    c.checkpoint.every = checkpoint_every;
    c
}

fn assert_same_run(a: &Path, b: &Path) {
    assert_eq!(untimed(a), untimed(b));
    let wa = std::fs::read(a.join("model.safetensors")).unwrap();
    let wb = std::fs::read(b.join("model.safetensors")).unwrap();
    assert!(wa == wb, "final weights differ");
}

#[test]
fn resume_at_an_epoch_boundary_is_bit_identical() {
    let c = resumable(4, 1);
    let (a, b) = (scratch("resume-a"), scratch("resume-b"));
    assert_eq!(run(&c, &a).status, Status::Finished);
    let s = interrupted(&c, &b, 2, None);
    assert_eq!(s.status, Status::Interrupted);
    assert_eq!((s.epochs_completed, s.checkpoint_epochs), (2, 2));
    let s = train::resume(&b, Hooks::default()).unwrap();
    assert_eq!(s.status, Status::Finished);
    assert_eq!(s.epochs_completed, 4);
    assert_same_run(&a, &b);
}

#[test]
fn resume_mid_epoch_truncates_records_and_survives_leftover_files() {
    // Checkpoints every 2 epochs; stop in the middle of epoch 3 (0-based), when 3
    // records exist but the checkpoint holds 2: resume drops the third and redoes it.
    let c = resumable(4, 2);
    let (a, b) = (scratch("mid-a"), scratch("mid-b"));
    run(&c, &a);
    let s = interrupted(&c, &b, 3, Some(5));
    assert_eq!(s.status, Status::Interrupted);
    assert_eq!((s.epochs_completed, s.checkpoint_epochs), (3, 2));
    // A kill during writes leaves temporary files and half-written tensors behind.
    std::fs::write(b.join(".epochs.jsonl.tmp-4242"), b"{\"epoch\": 9, \"trunc").unwrap();
    std::fs::write(b.join(".checkpoint.json.tmp-4242"), b"{\"epochs\": 3").unwrap();
    let stray = b.join("checkpoints/epoch-0003.model.safetensors");
    std::fs::write(&stray, b"\x08\x00\x00\x00garbage").unwrap();
    let s = train::resume(&b, Hooks::default()).unwrap();
    assert_eq!(s.status, Status::Finished);
    assert_same_run(&a, &b);
    assert!(!stray.exists(), "the next checkpoint removes stray files");
}

#[test]
fn micro_batch_c2_in_a_run_is_finite_and_close_to_per_sample() {
    // The same subset, per-sample vs micro-batches of 8 (unbiased, so within a factor
    // of the sampling spread: K = 8 micro-batches give a relative SD of about 1/2).
    let (a, b) = (scratch("c2-per-sample"), scratch("c2-micro"));
    let mut c = small(1);
    c.measurements.c2_estimator = train::config::EstimatorChoice::PerSample;
    let exact = run(&c, &a).c2_initial.unwrap();
    c.measurements.c2_estimator = train::config::EstimatorChoice::MicroBatch;
    c.measurements.c2_micro_batch = 8;
    let s = run(&c, &b);
    let est = s.c2_initial.unwrap();
    assert!(
        est.is_finite() && est > 0.2 * exact && est < 5.0 * exact,
        "{est} vs {exact}"
    );
    assert!(records(&b)[0].c2.unwrap().is_finite());
}

#[test]
fn batch_norm_network_resumes_bit_identically() {
    // A ResNet-8 of width 4 (batch norm) with SHB: the running statistics are in the
    // checkpoint, C² uses train-mode micro-batches, and resume is still exact.
    let mut c = resumable(2, 1);
    c.model = "resnet8-w4".parse().unwrap();
    c.schedule.batch_size = Some(ScheduleSpec::constant(128.0));
    c.measurements.c2_subset = 32;
    let (a, b) = (scratch("bn-a"), scratch("bn-b"));
    assert_eq!(run(&c, &a).status, Status::Finished);
    let s = interrupted(&c, &b, 1, None);
    assert_eq!(s.checkpoint_epochs, 1);
    train::resume(&b, Hooks::default()).unwrap();
    assert_same_run(&a, &b);
    for r in records(&a) {
        assert!(
            r.train_loss.is_finite() && r.c2.unwrap().is_finite(),
            "{r:?}"
        );
    }
}

#[test]
fn sam_updates_batch_norm_statistics_once_per_step() {
    use experiments::data::{digits, Augmentation, Loader};
    use experiments::models::Model;
    use experiments::optimizer::{Optimizer, Sam};
    let split = digits::split().unwrap();
    let arch = "resnet8-w4".parse().unwrap();
    let build = || Model::new(&arch, (1, 8, 8), 10, DType::F32, &Device::Cpu, Seed(5)).unwrap();
    let (a, b) = (build(), build());
    let loader = Loader::new(
        &split.train,
        split.normalization.clone(),
        Augmentation::none(),
        &Device::Cpu,
        DType::F32,
    )
    .unwrap();
    let batch = loader.batch(&(0..64).collect::<Vec<_>>(), None).unwrap();
    // Model a: one SAM step (two train-mode passes). Model b: one train-mode pass.
    let base = Momentum::new(a.parameters(), MomentumConfig::sgd(0.1)).unwrap();
    let mut sam = Optimizer::Sam(Sam::new(base, 0.05).unwrap());
    let mut loss = || -> experiments::Result<Tensor> {
        let logits = a.forward_t(&batch.images, true)?;
        Ok(candle_nn::loss::cross_entropy(&logits, &batch.labels)?)
    };
    sam.step(&mut loss, &a).unwrap();
    b.forward_t(&batch.images, true).unwrap();
    let (sa, sb) = (a.snapshot_buffers().unwrap(), b.snapshot_buffers().unwrap());
    assert!(!sa.is_empty());
    for ((na, ta), (nb, tb)) in sa.iter().zip(&sb) {
        assert_eq!(na, nb);
        let (va, vb) = (
            ta.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            tb.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        );
        assert_eq!(va, vb, "{na}");
    }
    // …and the weights did move.
    let wa = a.parameters()[0]
        .1
        .as_tensor()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let wb = b.parameters()[0]
        .1
        .as_tensor()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert_ne!(wa, wb);
}

#[test]
fn the_same_seed_gives_identical_records_and_another_seed_does_not() {
    let c = small(2);
    let (a, b, d) = (scratch("seed-a"), scratch("seed-b"), scratch("seed-d"));
    run(&c, &a);
    run(&c, &b);
    assert_same_run(&a, &b);
    let mut other = c.clone();
    other.seed = 1;
    run(&other, &d);
    assert_ne!(untimed(&a), untimed(&d));
}

#[test]
fn a_huge_learning_rate_diverges_with_a_clear_status() {
    let dir = scratch("diverge");
    let mut c = small(3);
    c.schedule.learning_rate = Some(ScheduleSpec::constant(1e6));
    let s = run(&c, &dir);
    assert_eq!(s.status, Status::Diverged);
    let d = s.divergence.unwrap();
    assert_eq!(d.epoch, 0);
    assert!(d.step < 45, "{d:?}");
    assert_eq!(s.epochs_completed, 0);
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(text.contains("\"diverged\""), "{text}");
}

#[test]
fn paper_methods_decay_delta_by_one_over_root_two_per_stage() {
    // Spec §10.1: every stage transition of methods 2–4 divides δ = ηC/√b by √2;
    // method 1 keeps it. One epoch per stage, C² fixed at its initial value.
    for method in 1..=4u8 {
        let dir = scratch(&format!("method-{method}"));
        let mut c = small(5);
        c.measurements.c2_every = 0;
        c.measurements.c2_subset = 16;
        c.schedule.learning_rate = None;
        c.schedule.batch_size = None;
        c.schedule.preset = Some(train::Preset::PaperMethod {
            method,
            setting: train::config::Setting::Resnet18Cifar100,
            stage_epochs: 1,
            batch_offset: 0,
        });
        assert_eq!(run(&c, &dir).status, Status::Finished);
        let deltas: Vec<f64> = records(&dir).iter().map(|r| r.delta.unwrap().sgd).collect();
        let want = if method == 1 {
            1.0
        } else {
            std::f64::consts::FRAC_1_SQRT_2
        };
        for w in deltas.windows(2) {
            assert!(
                (w[1] / w[0] - want).abs() < 1e-12,
                "method {method}: {deltas:?}"
            );
        }
    }
}

#[test]
fn algorithm_6_preset_realises_the_polynomial_delta_decay() {
    // SHB lr-batch, intended rules with integer batches: δ_{m+1}/δ_m = γ_m =
    // ((M − m)/(M − m + 1))^p with δ from the preset's own C², K.
    let dir = scratch("alg6");
    let (m_epochs, p, c2, k) = (4usize, 0.9, 2.0, 0.5);
    let mut c = small(m_epochs);
    c.optimizer.kind = OptimizerKind::Shb;
    c.measurements.c2_every = 0;
    c.schedule.learning_rate = None;
    c.schedule.batch_size = None;
    c.schedule.preset = Some(
        toml::from_str::<train::Preset>(&format!(
            "kind = \"algorithm-6\"\nrule = \"lr-batch\"\npower = {p}\nc2 = {c2}\nk = {k}\n\
             learning_rate = 0.05\nbatch_size = 32.0\nmomentum = 0.5\ninteger_batches = true"
        ))
        .unwrap(),
    );
    c.delta.c2 = Reference::Fixed(c2);
    c.delta.k = Reference::Fixed(k);
    assert_eq!(run(&c, &dir).status, Status::Finished);
    let recs = records(&dir);
    let big_m = m_epochs as f64;
    for (m, w) in recs.windows(2).enumerate() {
        let gamma = ((big_m - m as f64) / (big_m - m as f64 + 1.0)).powf(p);
        let ratio = w[1].delta.unwrap().shb / w[0].delta.unwrap().shb;
        assert!(
            (ratio - gamma).abs() < 1e-9,
            "epoch {m}: {ratio} vs {gamma}"
        );
        assert!(w[1].batch_size >= w[0].batch_size);
    }
}

fn config_error(text: &str) -> (String, String) {
    let parsed = RunConfig::from_toml(text, "test.toml");
    let err = match parsed {
        Ok(c) => c.validate().unwrap_err(),
        Err(e) => e,
    };
    match err {
        ExperimentError::Config { key, message } => (key, message),
        other => panic!("not a config error: {other:?}"),
    }
}

const BASE: &str = "epochs = 2\nmodel = \"mlp-8\"\n";

#[test]
fn config_errors_name_the_key_and_the_allowed_range() {
    let cases = [
        (
            "[optimizer]\nkind = \"shb\"\nmomentum = 1.2\n[schedule]\nlearning_rate = 0.1\nbatch_size = 8\n",
            "optimizer.momentum",
            "[0, 1)",
        ),
        (
            "[optimizer]\nmomentumm = 0.9\n[schedule]\nlearning_rate = 0.1\nbatch_size = 8\n",
            "momentumm",
            "unknown field",
        ),
        (
            "[schedule]\nlearning_rate = 0.1\nbatch_size = 0\n",
            "schedule.batch_size",
            "≥ 1",
        ),
        (
            "[schedule]\nbatch_size = 8\n",
            "schedule.learning_rate",
            "missing",
        ),
        (
            "[optimizer]\nnesterov = true\n[schedule]\nlearning_rate = 0.1\nbatch_size = 8\n",
            "optimizer.nesterov",
            "shb",
        ),
        (
            "[schedule]\nlearning_rate = { kind = \"step\", initial = 0.1, gamma = 0.5, every = 1, foo = 2 }\nbatch_size = 8\n",
            "foo",
            "unknown field",
        ),
        (
            "[schedule]\nlearning_rate = { kind = \"step\", initial = 0.1, gamma = 0.5, every = 0 }\nbatch_size = 8\n",
            "schedule.learning_rate",
            "step",
        ),
        (
            "[schedule]\nlearning_rate = 0.1\nbatch_size = 8\npreset = { kind = \"paper-method\", method = 4 }\n",
            "schedule.learning_rate",
            "preset",
        ),
        (
            "[schedule]\npreset = { kind = \"paper-method\", method = 7 }\n",
            "schedule.preset",
            "1, 2, 3 or 4",
        ),
        (
            "[schedule]\nlearning_rate = 0.1\nbatch_size = 8\n[measurements]\nc2_estimator = \"micro-batch\"\nc2_micro_batch = 5\n",
            "measurements.c2_micro_batch",
            "divisor",
        ),
        (
            "[schedule]\nlearning_rate = 0.1\nbatch_size = 8\n[checkpoint]\nevery = 0\n",
            "checkpoint.every",
            "≥ 1",
        ),
        (
            "data = \"imagenet\"\n[schedule]\nlearning_rate = 0.1\nbatch_size = 8\n",
            "data",
            "unknown data source",
        ),
        (
            "[data]\nkind = \"cifar10\"\npath = \"/nonexistent/igo-cifar\"\n[schedule]\nlearning_rate = 0.1\nbatch_size = 8\n",
            "data.path",
            "not a folder",
        ),
    ];
    for (extra, key, fragment) in cases {
        // Top-level keys must come before the tables.
        let text = if extra.starts_with('[') {
            format!("{BASE}{extra}")
        } else {
            let (top, rest) = extra.split_once('\n').unwrap();
            format!("{top}\n{BASE}{rest}")
        };
        let (k, m) = config_error(&text);
        assert_eq!(k, key, "{text}\n→ {m}");
        assert!(m.contains(fragment), "{key}: {m}");
    }
    let rest = &BASE["epochs = 2\n".len()..];
    let (k, _) = config_error(&format!(
        "epochs = 0\n{rest}[schedule]\nlearning_rate = 0.1\nbatch_size = 8\n"
    ));
    assert_eq!(k, "epochs");
    let (k, m) = config_error(&format!("epochs = 2\n{rest}"));
    assert_eq!(
        (k.as_str(), m.contains("missing")),
        ("schedule", true),
        "{m}"
    );
}

#[test]
fn example_configs_parse_and_validate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let digits = RunConfig::from_file(&dir.join("digits-mlp.toml")).unwrap();
    digits.validate().unwrap();
    let resnet = RunConfig::from_file(&dir.join("resnet18-cifar100-method4.toml"));
    // The ResNet/CIFAR config needs the models and data of other modules; it must at
    // least parse or name what is missing.
    match resnet {
        Ok(c) => assert_eq!(c.plan().unwrap().len(), 200),
        Err(ExperimentError::Config { message, .. }) => {
            assert!(
                message.contains("resnet") || message.contains("cifar"),
                "{message}"
            );
        }
        Err(e) => panic!("{e}"),
    }
    // A config round-trips through TOML and JSON (the manifest).
    let again = RunConfig::from_toml(&digits.to_toml().unwrap(), "again").unwrap();
    assert_eq!(again, digits);
    let json: RunConfig = serde_json::from_str(&serde_json::to_string(&digits).unwrap()).unwrap();
    assert_eq!(json, digits);
}

/// Runs `steps` steps of the candle optimizer on least squares with the batches of
/// numerics' epoch-shuffle sampler for `seed`, from x = 0.
fn candle_least_squares(
    f: &LeastSquares,
    config: MomentumConfig,
    b: usize,
    seed: Seed,
    steps: usize,
) -> Vec<f64> {
    let (n, d) = (f.a().nrows(), f.a().ncols());
    let a = Tensor::from_vec(f.a().transpose().as_slice().to_vec(), (n, d), &Device::Cpu).unwrap();
    let y = Tensor::from_vec(f.y().as_slice().to_vec(), n, &Device::Cpu).unwrap();
    let x = Var::zeros(d, DType::F64, &Device::Cpu).unwrap();
    let mut opt = Momentum::new(vec![("x".into(), x.clone())], config).unwrap();
    let mut sampler =
        BatchSampler::new(n, Sampling::EpochShuffle, seed.stream("minibatch")).unwrap();
    for _ in 0..steps {
        let idx: Vec<u32> = sampler.next_batch(b).iter().map(|&i| i as u32).collect();
        let idx = Tensor::new(idx.as_slice(), &Device::Cpu).unwrap();
        let ab = a.index_select(&idx, 0).unwrap();
        let yb = y.index_select(&idx, 0).unwrap();
        // (1/|B|) Σ ½(aᵢᵀx − yᵢ)²
        let r = (ab
            .matmul(&x.as_tensor().unsqueeze(1).unwrap())
            .unwrap()
            .squeeze(1)
            .unwrap()
            - yb)
            .unwrap();
        let loss = r
            .sqr()
            .unwrap()
            .mean_all()
            .unwrap()
            .affine(0.5, 0.0)
            .unwrap();
        opt.step(&loss.backward().unwrap()).unwrap();
    }
    x.as_tensor().to_vec1::<f64>().unwrap()
}

fn numerics_final<S>(f: &LeastSquares, solver: S, steps: u64) -> DVector<f64>
where
    S: argmin::core::Solver<AsArgmin<LeastSquares>, numerics::optim::State>,
{
    let d = f.a().ncols();
    Executor::new(AsArgmin(f.clone()), solver)
        .configure(|s| s.param(DVector::zeros(d)).max_iters(steps))
        .run()
        .unwrap()
        .state()
        .param
        .clone()
        .unwrap()
}

#[test]
fn candle_optimizers_match_numerics_on_least_squares() {
    // The same objective, batches and hyperparameters in two independent
    // implementations: candle tensors + autograd vs numerics' nalgebra solvers.
    let f = LeastSquares::gaussian(40, 5, &mut Seed(7).stream("data")).unwrap();
    let (eta, beta, b, steps, seed) = (0.05, 0.8, 8usize, 37usize, Seed(11));
    let sgd = candle_least_squares(&f, MomentumConfig::sgd(eta), b, seed, steps);
    let want = numerics_final(
        &f,
        Sgd::new(eta, b, seed)
            .unwrap()
            .with_sampling(Sampling::EpochShuffle),
        steps as u64,
    );
    let shb = candle_least_squares(
        &f,
        MomentumConfig::new(OptimizerKind::Shb, eta, beta),
        b,
        seed,
        steps,
    );
    let want_shb = numerics_final(
        &f,
        Shb::new(eta, b, beta, seed)
            .unwrap()
            .with_sampling(Sampling::EpochShuffle),
        steps as u64,
    );
    let nshb = candle_least_squares(
        &f,
        MomentumConfig::new(OptimizerKind::Nshb, eta, beta),
        b,
        seed,
        steps,
    );
    let want_nshb = numerics_final(
        &f,
        Nshb::new(eta, b, beta, seed)
            .unwrap()
            .with_sampling(Sampling::EpochShuffle),
        steps as u64,
    );
    for (got, want) in [(sgd, want), (shb, want_shb), (nshb, want_nshb)] {
        let err: f64 = got
            .iter()
            .zip(want.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-12 * want.norm().max(1.0), "{got:?} vs {want}");
    }
}

/// CIFAR-10 binary files (5 training files and the test file) with `per_file` records
/// each: label byte, then 3×32×32 pixels; label = record mod 10.
fn write_cifar10(dir: &Path, per_file: usize) {
    let names = experiments::data::cifar::CIFAR10_TRAIN_FILES
        .iter()
        .chain([&experiments::data::cifar::CIFAR10_TEST_FILE]);
    for (f, name) in names.enumerate() {
        let mut bytes = Vec::new();
        for k in 0..per_file {
            let record = f * per_file + k;
            bytes.push((record % 10) as u8);
            bytes.extend((0..3 * 32 * 32).map(|i| ((record * 7 + i * 13) % 256) as u8));
        }
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn a_run_reads_cifar10_files_from_a_data_table() {
    let data = scratch("cifar10-data");
    write_cifar10(&data, 4);
    let dir = scratch("cifar10-run");
    let text = format!(
        "epochs = 1\nmodel = \"mlp-16\"\n[data]\nkind = \"cifar10\"\npath = \"{}\"\n\
         [schedule]\nlearning_rate = 0.05\nbatch_size = 8\n[measurements]\nc2_subset = 8\n",
        data.display()
    );
    let c = RunConfig::from_toml(&text, "cifar.toml").unwrap();
    assert_eq!(
        c.data,
        experiments::data::DataSource::Cifar10 { path: data.clone() }
    );
    let summary = run(&c, &dir);
    assert_eq!(summary.status, Status::Finished);
    let recs = records(&dir);
    assert_eq!(recs.len(), 1);
    // 5 files × 4 records = 20 training images in batches of 8: 3 updates.
    assert_eq!(recs[0].steps, 3);
    assert!(recs[0].train_loss.is_finite() && recs[0].test_loss.is_finite());
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["data"]["train"], 20);
    assert_eq!(manifest["data"]["test"], 4);
    assert_eq!(manifest["data"]["shape"], serde_json::json!([3, 32, 32]));
    assert_eq!(manifest["config"]["data"]["kind"], "cifar10");
    // The manifest's config resumes (a finished run is returned as it is).
    let again = train::resume(&dir, Hooks::default()).unwrap();
    assert_eq!(again.status, Status::Finished);
    // The string form of older configs still parses.
    let old = RunConfig::from_toml(
        &format!(
            "data = \"cifar10:{}\"\nepochs = 1\nmodel = \"mlp-16\"\n[schedule]\nlearning_rate = 0.05\nbatch_size = 8\n",
            data.display()
        ),
        "old.toml",
    )
    .unwrap();
    assert_eq!(old.data, c.data);
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Explicit graduated optimization: δ per stage from the schedule, K draws per step,
/// records carry δ, and a resumed run draws the same noise as an uninterrupted one.
#[test]
fn explicit_go_runs_record_the_radius_and_resume_bit_identically() {
    let mut c = small(3);
    c.optimizer.smoothing_samples = 3;
    c.schedule.smoothing_radius = Some(ScheduleSpec::Stages {
        values: vec![0.02, 0.01, 0.0],
        stage_epochs: 1,
        offset: 0,
    });
    let (a, b, plain) = (scratch("ego-a"), scratch("ego-b"), scratch("ego-plain"));
    assert_eq!(run(&c, &a).status, Status::Finished);
    let recs = records(&a);
    let radii: Vec<Option<f64>> = recs.iter().map(|r| r.smoothing_radius).collect();
    assert_eq!(radii, vec![Some(0.02), Some(0.01), Some(0.0)]);
    let s = interrupted(&c, &b, 1, None);
    assert_eq!(s.status, Status::Interrupted);
    train::resume(&b, Hooks::default()).unwrap();
    assert_same_run(&a, &b);
    // The smoothing changes the trajectory: the same run without it differs in epoch 1
    // (and the record has no radius).
    let mut p = small(3);
    p.schedule = c.schedule.clone();
    p.schedule.smoothing_radius = None;
    run(&p, &plain);
    let plain_recs = records(&plain);
    assert_eq!(plain_recs[0].smoothing_radius, None);
    assert!(plain_recs[0].train_loss.to_bits() != recs[0].train_loss.to_bits());
    // Smoothing needs its radius and cannot be combined with SAM.
    let mut bad = c.clone();
    bad.schedule.smoothing_radius = None;
    assert!(
        matches!(bad.validate(), Err(ExperimentError::Config { key, .. }) if key == "optimizer.smoothing_samples")
    );
    let mut bad = c.clone();
    bad.optimizer.sam_rho = 0.05;
    assert!(
        matches!(bad.validate(), Err(ExperimentError::Config { key, .. }) if key == "optimizer.smoothing_samples")
    );
    let mut bad = p.clone();
    bad.schedule.smoothing_radius = Some(ScheduleSpec::constant(0.1));
    assert!(
        matches!(bad.validate(), Err(ExperimentError::Config { key, .. }) if key == "schedule.smoothing_radius")
    );
    for d in [a, b, plain] {
        let _ = std::fs::remove_dir_all(d);
    }
}
