//! The training loop: per epoch, set (η, b, β) from the plan, shuffle with the run's
//! seed ([`Loader::epoch`]: the streams of epoch e derive from seed and e only),
//! forward/backward/step on each mini-batch, evaluate, measure C², write the record and
//! (at the configured cadence) a checkpoint.
//!
//! Nothing random is carried across epochs: the data order and augmentation of epoch e
//! come from `seed.child(e)`, the C² subset from the seed, the C² micro-batch partition
//! from `seed.child(e)`. A run resumed from the checkpoint after epoch e therefore
//! continues with exactly the batches, weights and optimizer state of an uninterrupted
//! run, and on the CPU ends bit-identical to it.

use super::checkpoint::{self, CheckpointMeta};
use super::config::{EstimatorChoice, MeasurementsConfig, Reference, RunConfig};
use super::plan::EpochPlan;
use super::record::{
    read_json, read_records, write_json, write_records, DataInfo, Delta, Divergence, EpochRecord,
    Manifest, Status, Summary, EPOCHS, FINAL_MODEL, MANIFEST, SUMMARY,
};
use crate::data::{Augmentation, DataSource, Loader, Split};
use crate::measure::gradient_noise::{self, Estimator};
use crate::models::Model;
use crate::optimizer::{Momentum, MomentumConfig, Optimizer, Sam, Smoothed};
use crate::{ExperimentError, Result};
use candle_core::{DType, Tensor};
use numerics::Seed;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// A run stops as diverged when a mini-batch loss exceeds this multiple of the first.
pub const DIVERGENCE_FACTOR: f64 = 1e3;

/// Progress of one step, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepProgress {
    /// Epoch, 0-based.
    pub epoch: usize,
    /// Planned epochs.
    pub epochs: usize,
    /// Step within the epoch, 1-based (steps done).
    pub step: usize,
    /// Steps in the epoch.
    pub steps: usize,
    /// This step's mini-batch loss.
    pub loss: f64,
    /// η.
    pub learning_rate: f64,
    /// b.
    pub batch_size: usize,
    /// δ of the running optimizer's form (if C² is known).
    pub delta: Option<f64>,
    /// Training images per second in this epoch so far.
    pub images_per_second: f64,
}

/// Receives progress; every method has an empty default.
pub trait Observer {
    /// The run starts (or resumes) at epoch `first` of `epochs`.
    fn started(&mut self, _first: usize, _epochs: usize) {}
    /// Epoch `plan.epoch` starts with `steps` steps.
    fn epoch_started(&mut self, _plan: &EpochPlan, _steps: usize) {}
    /// A step finished.
    fn step(&mut self, _progress: &StepProgress) {}
    /// An epoch finished and its record was written.
    fn epoch_finished(&mut self, _record: &EpochRecord) {}
}

/// An observer that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}

/// What a [`Measurements`] hook sees.
#[derive(Debug)]
pub struct MeasureContext<'a> {
    /// The model after the epoch (the hook must leave its weights and buffers as they
    /// were).
    pub model: &'a Model,
    /// The data.
    pub split: &'a Split,
    /// The `[measurements]` settings.
    pub config: &'a MeasurementsConfig,
    /// The epoch just finished, 0-based.
    pub epoch: usize,
    /// The run's seed.
    pub seed: Seed,
}

/// Checkpoint-time measurements (sharpness, λ_max, trace, …), called after the epochs
/// selected by `measurements.every`; the values go into the record's `measurements`.
pub trait Measurements {
    /// Named values measured on `context.model`.
    ///
    /// # Errors
    /// Any error stops the run as failed.
    fn measure(&mut self, context: &MeasureContext<'_>) -> Result<BTreeMap<String, f64>>;
}

/// Optional hooks of a run.
#[derive(Default)]
pub struct Hooks<'a> {
    /// Progress receiver.
    pub observer: Option<&'a mut dyn Observer>,
    /// Checkpoint-time measurements.
    pub measurements: Option<&'a mut dyn Measurements>,
    /// Set (e.g. by a Ctrl-C handler) to stop after the current step; the run ends as
    /// interrupted with its last completed epoch kept.
    pub stop: Option<&'a AtomicBool>,
}

impl std::fmt::Debug for Hooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("observer", &self.observer.is_some())
            .field("measurements", &self.measurements.is_some())
            .field("stop", &self.stop.is_some())
            .finish()
    }
}

/// The data of a run: [`DataSource::load`].
///
/// # Errors
/// [`ExperimentError::Config`] (`data.path`) for a missing folder; the reader's errors
/// (file and byte offset) for bad data.
pub fn load_split(data: &DataSource) -> Result<Split> {
    data.load()
}

/// Counters and measurements carried from epoch to epoch (and through checkpoints).
#[derive(Debug, Clone, Default)]
struct Progress {
    epochs: usize,
    updates: u64,
    initial_loss: Option<f64>,
    c2_initial: Option<f64>,
    k_initial: Option<f64>,
    c2_current: Option<f64>,
    k_current: Option<f64>,
    c2_max: Option<f64>,
    wall_before: f64,
    checkpoint_epochs: usize,
}

impl Progress {
    fn from_meta(m: &CheckpointMeta) -> Self {
        Self {
            epochs: m.epochs,
            updates: m.updates,
            initial_loss: m.initial_loss,
            c2_initial: m.c2_initial,
            k_initial: m.gradient_norm_initial,
            c2_current: m.c2_current,
            k_current: m.gradient_norm_current,
            c2_max: m.c2_max,
            wall_before: m.wall_seconds,
            checkpoint_epochs: m.epochs,
        }
    }

    fn meta(&self, records: usize, steps: u64, wall: f64) -> CheckpointMeta {
        CheckpointMeta {
            epochs: self.epochs,
            updates: self.updates,
            records,
            model: String::new(),
            optimizer: None,
            optimizer_steps: steps,
            initial_loss: self.initial_loss,
            c2_initial: self.c2_initial,
            gradient_norm_initial: self.k_initial,
            c2_current: self.c2_current,
            gradient_norm_current: self.k_current,
            c2_max: self.c2_max,
            wall_seconds: wall,
        }
    }

    fn measured(&mut self, c2: f64, k: f64) {
        self.c2_current = Some(c2);
        self.k_current = Some(k);
        self.c2_max = Some(self.c2_max.map_or(c2, |m| m.max(c2)));
    }
}

/// Why the epoch loop stopped early.
enum Stop {
    Interrupted,
    Diverged(Divergence),
}

/// A run in memory: config, plan, data, model, optimizer, records.
struct Session<'h> {
    config: RunConfig,
    plan: Vec<EpochPlan>,
    split: Split,
    model: Model,
    optimizer: Optimizer,
    dir: std::path::PathBuf,
    records: Vec<String>,
    progress: Progress,
    c2_subset: Vec<usize>,
    estimator: Estimator,
    started: Instant,
    hooks: Hooks<'h>,
}

/// Starts a new run of `config` in `dir` (created if needed; it must not hold a run).
///
/// # Errors
/// [`ExperimentError::Config`] for an invalid config or a directory that already holds
/// a run (key `out`); errors while training (after which `summary.json` says `failed`).
/// A diverged or interrupted run is not an error: see [`Summary::status`].
pub fn train(config: &RunConfig, dir: &Path, hooks: Hooks<'_>) -> Result<Summary> {
    config.validate()?;
    if dir.join(MANIFEST).exists() {
        return Err(ExperimentError::config(
            "out",
            format!(
                "{} already holds a run: resume it with --resume, or choose another directory",
                dir.display()
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| ExperimentError::io(dir, e))?;
    let session = Session::new(config.clone(), dir, hooks)?;
    let (revision, dirty) = super::record::git_revision();
    let planned: u64 = session
        .plan
        .iter()
        .map(|p| p.updates(session.split.train.len()) as u64)
        .sum();
    let manifest = Manifest {
        config: config.clone(),
        seed: config.seed,
        igo_version: env!("CARGO_PKG_VERSION").to_string(),
        git_revision: revision,
        git_dirty: dirty,
        created_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        data: DataInfo {
            name: session.split.name.clone(),
            train: session.split.train.len(),
            test: session.split.test.len(),
            shape: session.split.train.shape(),
            classes: session.split.train.classes(),
        },
        parameters: session.model.parameter_count(),
        planned_updates: planned,
    };
    write_json(&dir.join(MANIFEST), &manifest)?;
    write_records(&dir.join(EPOCHS), &[])?;
    session.execute()
}

/// Continues the run in `dir` from its last complete checkpoint (the config comes from
/// its manifest; `epochs.jsonl` is truncated to the checkpoint's records). A run
/// without a checkpoint starts over; a finished run is returned as it is.
///
/// # Errors
/// A directory without a manifest, unreadable files, or errors while training.
pub fn resume(dir: &Path, hooks: Hooks<'_>) -> Result<Summary> {
    let manifest_path = dir.join(MANIFEST);
    if !manifest_path.exists() {
        return Err(ExperimentError::config(
            "resume",
            format!("{} holds no run (no {MANIFEST})", dir.display()),
        ));
    }
    let manifest: Manifest = read_json(&manifest_path)?;
    manifest.config.validate()?;
    let mut session = Session::new(manifest.config, dir, hooks)?;
    let records = read_records(&dir.join(EPOCHS))?;
    if let Some(meta) = checkpoint::latest(dir)? {
        if records.len() < meta.records {
            return Err(ExperimentError::data(
                dir.join(EPOCHS),
                0,
                format!(
                    "holds {} records, the checkpoint needs {}",
                    records.len(),
                    meta.records
                ),
            ));
        }
        checkpoint::load(dir, &meta, &session.model, &mut session.optimizer)?;
        session.progress = Progress::from_meta(&meta);
        session.records = records.into_iter().take(meta.records).collect();
    }
    write_records(&dir.join(EPOCHS), &session.records)?;
    session.execute()
}

impl<'h> Session<'h> {
    fn new(config: RunConfig, dir: &Path, hooks: Hooks<'h>) -> Result<Self> {
        let plan = config.plan()?;
        let device = crate::device::device(&config.device)?;
        let split = load_split(&config.data)?;
        let seed = Seed(config.seed);
        let model = Model::new(
            &config.model,
            split.train.shape(),
            split.train.classes(),
            config.dtype(),
            &device,
            seed,
        )?;
        let first = plan
            .first()
            .ok_or_else(|| ExperimentError::config("epochs", "must be ≥ 1, got 0"))?;
        let base = Momentum::new(
            model.parameters(),
            MomentumConfig {
                kind: first.kind,
                learning_rate: first.learning_rate,
                momentum: first.momentum,
                nesterov: config.optimizer.nesterov,
                weight_decay: config.optimizer.weight_decay,
            },
        )?;
        let optimizer = if config.optimizer.sam_rho > 0.0 {
            Optimizer::Sam(Sam::new(base, config.optimizer.sam_rho)?)
        } else if config.optimizer.smoothing_samples > 0 {
            Optimizer::Smoothed(Smoothed::new(
                base,
                config.optimizer.smoothing_samples,
                seed.child(0xE60),
            )?)
        } else {
            Optimizer::Momentum(base)
        };
        let mut c2_subset =
            gradient_noise::subset(split.train.len(), config.measurements.c2_subset, seed);
        let estimator = match config.measurements.c2_estimator {
            EstimatorChoice::Auto => Estimator::auto(&model),
            EstimatorChoice::PerSample => Estimator::PerSample,
            EstimatorChoice::MicroBatch => Estimator::MicroBatch {
                size: config.measurements.c2_micro_batch,
            },
        };
        if let (Estimator::MicroBatch { size }, true) = (estimator, config.measures_c2()) {
            // Whole micro-batches only: the subset is rounded down to a multiple of m.
            let keep = c2_subset.len() / size.max(1) * size;
            if keep < 2 * size {
                return Err(ExperimentError::config(
                    "measurements.c2_subset",
                    format!(
                        "{} examples: the micro-batch C² estimator needs at least 2 micro-batches of {size}",
                        c2_subset.len()
                    ),
                ));
            }
            c2_subset.truncate(keep);
        }
        Ok(Self {
            config,
            plan,
            split,
            model,
            optimizer,
            dir: dir.to_path_buf(),
            records: Vec::new(),
            progress: Progress::default(),
            c2_subset,
            estimator,
            started: Instant::now(),
            hooks,
        })
    }

    fn seed(&self) -> Seed {
        Seed(self.config.seed)
    }

    fn wall(&self) -> f64 {
        self.progress.wall_before + self.started.elapsed().as_secs_f64()
    }

    fn loader<'s>(
        &'s self,
        set: &'s crate::data::ImageSet,
        augmentation: Augmentation,
    ) -> Result<Loader<'s>> {
        Loader::new(
            set,
            self.split.normalization.clone(),
            augmentation,
            self.model.device(),
            self.model.dtype(),
        )
    }

    /// Runs the remaining epochs and writes the summary; failures are recorded in it.
    fn execute(mut self) -> Result<Summary> {
        self.write_summary(Status::Running, None, None)?;
        match self.epochs() {
            Ok(None) => {
                self.model.save(&self.dir.join(FINAL_MODEL))?;
                self.write_summary(Status::Finished, None, None)
            }
            Ok(Some(Stop::Interrupted)) => self.write_summary(Status::Interrupted, None, None),
            Ok(Some(Stop::Diverged(d))) => self.write_summary(Status::Diverged, Some(d), None),
            Err(e) => {
                let _ = self.write_summary(Status::Failed, None, Some(e.to_string()));
                Err(e)
            }
        }
    }

    fn stop_requested(&self) -> bool {
        self.hooks.stop.is_some_and(|s| s.load(Ordering::SeqCst))
    }

    fn epochs(&mut self) -> Result<Option<Stop>> {
        let first = self.progress.epochs;
        let total = self.config.epochs;
        if let Some(o) = self.hooks.observer.as_deref_mut() {
            o.started(first, total);
        }
        if first == 0 && self.config.measures_c2() && self.progress.c2_initial.is_none() {
            let (c2, k) = self.measure_c2(None)?;
            self.progress.c2_initial = Some(c2);
            self.progress.k_initial = Some(k);
            self.progress.measured(c2, k);
        }
        for epoch in first..total {
            if self.stop_requested() {
                return Ok(Some(Stop::Interrupted));
            }
            if let Some(stop) = self.epoch(epoch)? {
                return Ok(Some(stop));
            }
            if self.stop_requested() {
                if self.progress.checkpoint_epochs < self.progress.epochs {
                    self.checkpoint()?;
                }
                return Ok(Some(Stop::Interrupted));
            }
        }
        Ok(None)
    }

    /// (C², ‖∇f‖) on the fixed subset; `epoch` seeds the micro-batch partition
    /// (None = initialisation).
    fn measure_c2(&self, epoch: Option<usize>) -> Result<(f64, f64)> {
        let loader = self.loader(&self.split.train, Augmentation::none())?;
        let seed = match epoch {
            Some(e) => self.seed().child(e as u64 + 1),
            None => self.seed().child(0),
        };
        let g = gradient_noise::gradient_noise(
            &self.model,
            &loader,
            &self.c2_subset,
            self.estimator,
            seed.child(0xC2),
        )?;
        Ok((g.c2, g.gradient_norm))
    }

    /// δ for `plan` with the configured C² and K references.
    fn delta(&self, plan: &EpochPlan) -> Option<Delta> {
        let pick = |r: Reference, initial: Option<f64>, current: Option<f64>| match r {
            Reference::Initial => initial,
            Reference::Current => current,
            Reference::Fixed(v) => Some(v),
        };
        let p = &self.progress;
        let c2 = pick(self.config.delta.c2, p.c2_initial, p.c2_current)?;
        let k = pick(self.config.delta.k, p.k_initial, p.k_current)?;
        Some(Delta::new(
            plan.learning_rate,
            plan.batch_size,
            plan.momentum,
            c2,
            k,
        ))
    }

    fn apply_plan(&mut self, plan: &EpochPlan) -> Result<()> {
        if let Optimizer::Smoothed(s) = &mut self.optimizer {
            s.set_radius(plan.smoothing_radius)?;
        }
        let opt = self.optimizer.base_mut();
        if opt.kind() != plan.kind {
            opt.set_kind(plan.kind)?;
        }
        opt.set_learning_rate(plan.learning_rate)?;
        opt.set_momentum(plan.momentum)?;
        if plan.reset_momentum {
            opt.reset_buffers();
        }
        Ok(())
    }

    /// One epoch; `Some(stop)` if it was interrupted or diverged (nothing of it is
    /// recorded then).
    fn epoch(&mut self, epoch: usize) -> Result<Option<Stop>> {
        let plan = *self
            .plan
            .get(epoch)
            .ok_or_else(|| ExperimentError::Other(format!("no plan for epoch {epoch}")))?;
        self.apply_plan(&plan)?;
        let n = self.split.train.len();
        let steps = plan.updates(n);
        let delta = self.delta(&plan);
        let delta_now = delta.map(|d| d.of(plan.kind));
        if let Some(o) = self.hooks.observer.as_deref_mut() {
            o.epoch_started(&plan, steps);
        }
        let t0 = Instant::now();
        let seed = self.seed();
        let train = Loader::new(
            &self.split.train,
            self.split.normalization.clone(),
            self.config.augmentation,
            self.model.device(),
            self.model.dtype(),
        )?;
        let mut loss_sum = 0.0f64;
        let mut correct: Option<Tensor> = None;
        let mut seen = 0usize;
        let mut step = 0usize;
        for batch in train.epoch(seed, epoch, plan.batch_size) {
            if self.hooks.stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
                return Ok(Some(Stop::Interrupted));
            }
            let batch = batch?;
            let mut logits_first: Option<Tensor> = None;
            let model = &self.model;
            let mut loss_fn = || -> Result<Tensor> {
                let logits = model.forward_t(&batch.images, true)?;
                let loss = candle_nn::loss::cross_entropy(&logits, &batch.labels)?;
                if logits_first.is_none() {
                    logits_first = Some(logits.detach());
                }
                Ok(loss)
            };
            let loss = self.optimizer.step(&mut loss_fn, &self.model)?;
            let value = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
            let threshold = self.progress.initial_loss.map(|l| DIVERGENCE_FACTOR * l);
            if !value.is_finite() {
                return Ok(Some(Stop::Diverged(Divergence {
                    epoch,
                    step,
                    loss: None,
                    reason: format!("the mini-batch loss is {value}"),
                })));
            }
            if let Some(t) = threshold.filter(|t| value > *t) {
                return Ok(Some(Stop::Diverged(Divergence {
                    epoch,
                    step,
                    loss: Some(value),
                    reason: format!(
                        "the mini-batch loss {value:.6e} exceeds {DIVERGENCE_FACTOR} × the first loss ({t:.6e})"
                    ),
                })));
            }
            if self.progress.initial_loss.is_none() {
                self.progress.initial_loss = Some(value);
            }
            if let Some(logits) = logits_first {
                let hits = logits
                    .argmax(1)?
                    .eq(&batch.labels)?
                    .to_dtype(DType::F64)?
                    .sum_all()?;
                correct = Some(match correct {
                    Some(c) => (c + hits)?,
                    None => hits,
                });
            }
            loss_sum += value;
            seen += batch.indices.len();
            step += 1;
            let rate = seen as f64 / t0.elapsed().as_secs_f64().max(1e-9);
            if let Some(o) = self.hooks.observer.as_deref_mut() {
                o.step(&StepProgress {
                    epoch,
                    epochs: self.config.epochs,
                    step,
                    steps,
                    loss: value,
                    learning_rate: plan.learning_rate,
                    batch_size: plan.batch_size,
                    delta: delta_now,
                    images_per_second: rate,
                });
            }
        }
        let train_seconds = t0.elapsed().as_secs_f64();
        let train_accuracy = match correct {
            Some(c) => c.to_scalar::<f64>()? / seen.max(1) as f64,
            None => 0.0,
        };
        self.progress.updates += step as u64;
        self.progress.epochs = epoch + 1;
        let (test_loss, test_accuracy) = self.evaluate()?;
        let (mut c2, mut gradient_norm) = (None, None);
        if self.config.c2_after(epoch) {
            let (v, k) = self.measure_c2(Some(epoch))?;
            self.progress.measured(v, k);
            c2 = Some(v);
            gradient_norm = Some(k);
        }
        let mut measurements = BTreeMap::new();
        if self.config.measure_after(epoch) {
            if let Some(m) = self.hooks.measurements.as_deref_mut() {
                measurements = m.measure(&MeasureContext {
                    model: &self.model,
                    split: &self.split,
                    config: &self.config.measurements,
                    epoch,
                    seed,
                })?;
            }
        }
        let record = EpochRecord {
            epoch,
            train_loss: loss_sum / step.max(1) as f64,
            train_accuracy,
            test_loss,
            test_accuracy,
            learning_rate: plan.learning_rate,
            batch_size: plan.batch_size,
            momentum: plan.momentum,
            optimizer: plan.kind,
            steps: step,
            updates: self.progress.updates,
            c2,
            gradient_norm,
            delta,
            seconds: t0.elapsed().as_secs_f64(),
            images_per_second: seen as f64 / train_seconds.max(1e-9),
            smoothing_radius: (self.config.optimizer.smoothing_samples > 0)
                .then_some(plan.smoothing_radius),
            measurements,
        };
        let line = serde_json::to_string(&record)
            .map_err(|e| ExperimentError::Other(format!("epoch record: {e}")))?;
        self.records.push(line);
        write_records(&self.dir.join(EPOCHS), &self.records)?;
        if self.config.checkpoint_after(epoch) {
            self.checkpoint()?;
        }
        self.write_summary(Status::Running, None, None)?;
        if let Some(o) = self.hooks.observer.as_deref_mut() {
            o.epoch_finished(&record);
        }
        Ok(None)
    }

    fn checkpoint(&mut self) -> Result<()> {
        let meta = self.progress.meta(
            self.records.len(),
            self.optimizer.base().steps(),
            self.wall(),
        );
        checkpoint::save(&self.dir, &self.model, &self.optimizer, meta)?;
        self.progress.checkpoint_epochs = self.progress.epochs;
        Ok(())
    }

    /// (mean cross-entropy, accuracy) on the test set in evaluation mode.
    ///
    /// The per-batch sums are detached before they are added up: the parameters are
    /// variables, so each batch's loss carries its forward graph, and a running sum of
    /// attached tensors would keep every batch's activations alive until the end (on
    /// the GPU, evaluating ResNet-18 on 10,000 CIFAR test images failed with CUDA
    /// out-of-memory this way).
    fn evaluate(&self) -> Result<(f64, f64)> {
        let loader = self.loader(&self.split.test, Augmentation::none())?;
        let mut loss_sum: Option<Tensor> = None;
        let mut hits: Option<Tensor> = None;
        for batch in loader.sequential(self.config.evaluation.batch_size) {
            let batch = batch?;
            let logits = self.model.forward_t(&batch.images, false)?;
            let b = batch.indices.len() as f64;
            let l = candle_nn::loss::cross_entropy(&logits, &batch.labels)?
                .to_dtype(DType::F64)?
                .affine(b, 0.0)?
                .detach();
            let h = logits
                .argmax(1)?
                .eq(&batch.labels)?
                .to_dtype(DType::F64)?
                .sum_all()?
                .detach();
            loss_sum = Some(match loss_sum {
                Some(s) => (s + l)?,
                None => l,
            });
            hits = Some(match hits {
                Some(s) => (s + h)?,
                None => h,
            });
        }
        let n = self.split.test.len().max(1) as f64;
        let total = |t: Option<Tensor>| -> Result<f64> {
            Ok(match t {
                Some(t) => t.to_scalar::<f64>()?,
                None => 0.0,
            })
        };
        Ok((total(loss_sum)? / n, total(hits)? / n))
    }

    fn write_summary(
        &mut self,
        status: Status,
        divergence: Option<Divergence>,
        message: Option<String>,
    ) -> Result<Summary> {
        let last: Option<EpochRecord> = self
            .records
            .last()
            .and_then(|l| serde_json::from_str(l).ok());
        let summary = Summary {
            status,
            epochs_completed: self.records.len(),
            checkpoint_epochs: self.progress.checkpoint_epochs,
            epochs: self.config.epochs,
            updates: self.progress.updates,
            final_train_loss: last.as_ref().map(|r| r.train_loss),
            final_test_loss: last.as_ref().map(|r| r.test_loss),
            final_test_accuracy: last.as_ref().map(|r| r.test_accuracy),
            divergence,
            c2_initial: self.progress.c2_initial,
            c2_final: self.progress.c2_current,
            c2_max: self.progress.c2_max,
            wall_seconds: self.wall(),
            message,
        };
        write_json(&self.dir.join(SUMMARY), &summary)?;
        Ok(summary)
    }
}
