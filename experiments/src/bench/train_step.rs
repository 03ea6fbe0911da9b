//! Throughput of one training step: forward in train mode, mean cross-entropy, backward,
//! and an SGD-momentum update ([`Momentum`], SHB: v ← βv + g + λx, x ← x − ηv), on a fixed
//! batch of B random 3×32×32 images (standard normal pixels, uniform labels in 0..10).
//!
//! The step is `bench/train_step.py`'s with `torch.optim.SGD(lr=η, momentum=β,
//! weight_decay=λ)`: η = 0.01, β = 0.9, λ = 5·10⁻⁴ by default ([`StepConfig::new`]).
//! Images/s of a step is B / (its wall-clock seconds); [`StepTimes::images_per_s`] is
//! the median over the timed steps. Data loading is not part of the step.

use super::median;
use crate::models::{Architecture, Model};
use crate::optimizer::{Momentum, MomentumConfig, OptimizerKind};
use crate::{ExperimentError, Result};
use candle_core::{DType, Device, Tensor};
use numerics::Seed;
use rand::Rng as _;
use rand_distr::StandardNormal;
use std::time::Instant;

/// Input shape (C, H, W) of the benchmark: CIFAR's 3×32×32.
pub const INPUT: (usize, usize, usize) = (3, 32, 32);
/// Number of classes of the benchmark.
pub const CLASSES: usize = 10;

/// Batch size and update of a benchmarked step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepConfig {
    /// Batch size B ≥ 1.
    pub batch: usize,
    /// Learning rate η.
    pub learning_rate: f64,
    /// Momentum β.
    pub momentum: f64,
    /// Coupled weight decay λ.
    pub weight_decay: f64,
    /// Seed of the weights and of the random batch.
    pub seed: Seed,
}

impl StepConfig {
    /// Batch `batch`, η = 0.01, β = 0.9, λ = 5·10⁻⁴, seed 0 (the defaults of
    /// `bench/train_step.py`).
    #[must_use]
    pub fn new(batch: usize) -> Self {
        Self {
            batch,
            learning_rate: 0.01,
            momentum: 0.9,
            weight_decay: 5e-4,
            seed: Seed(0),
        }
    }
}

/// A fixed random batch of `batch` images of shape [`INPUT`] (standard normal, f32) with
/// uniform labels in `0..CLASSES`, from `seed`'s stream `"bench-batch"`.
///
/// # Errors
/// `batch` = 0 ([`ExperimentError::Config`] for `batch`), or a candle error.
pub fn random_batch(batch: usize, seed: Seed, device: &Device) -> Result<(Tensor, Tensor)> {
    if batch == 0 {
        return Err(ExperimentError::config(
            "batch",
            "the batch size must be at least 1",
        ));
    }
    let (c, h, w) = INPUT;
    let mut rng = seed.stream("bench-batch");
    let pixels: Vec<f32> = (0..batch * c * h * w)
        .map(|_| rng.sample(StandardNormal))
        .collect();
    let labels: Vec<u32> = (0..batch)
        .map(|_| rng.random_range(0..CLASSES as u32))
        .collect();
    Ok((
        Tensor::from_vec(pixels, (batch, c, h, w), device)?,
        Tensor::from_vec(labels, batch, device)?,
    ))
}

/// A model, its optimizer and the fixed batch: [`TrainStep::step`] is one training step.
#[derive(Debug)]
pub struct TrainStep {
    model: Model,
    optimizer: Momentum,
    images: Tensor,
    labels: Tensor,
    batch: usize,
}

impl TrainStep {
    /// `architecture` for 3×32×32 images and 10 classes (f32, CPU), initialised from
    /// `config.seed`, with SHB momentum and a fixed random batch ([`random_batch`]).
    ///
    /// # Errors
    /// An invalid architecture, batch 0, invalid optimizer values (config errors naming
    /// the key), or a candle error.
    pub fn new(architecture: &Architecture, config: &StepConfig) -> Result<Self> {
        let device = Device::Cpu;
        let (images, labels) = random_batch(config.batch, config.seed, &device)?;
        let model = Model::new(
            architecture,
            INPUT,
            CLASSES,
            DType::F32,
            &device,
            config.seed,
        )?;
        let optimizer = Momentum::new(
            model.parameters(),
            MomentumConfig {
                weight_decay: config.weight_decay,
                ..MomentumConfig::new(OptimizerKind::Shb, config.learning_rate, config.momentum)
            },
        )?;
        Ok(Self {
            model,
            optimizer,
            images,
            labels,
            batch: config.batch,
        })
    }

    /// The model being trained.
    #[must_use]
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Batch size B.
    #[must_use]
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// One step: forward (train mode), mean cross-entropy, backward, update; returns the
    /// loss before the update.
    ///
    /// # Errors
    /// A candle error.
    pub fn step(&mut self) -> Result<f32> {
        let logits = self.model.forward_t(&self.images, true)?;
        let loss = candle_nn::loss::cross_entropy(&logits, &self.labels)?;
        let grads = loss.backward()?;
        self.optimizer.step(&grads)?;
        Ok(loss.to_scalar::<f32>()?)
    }

    /// `warmup` untimed steps, then `steps` timed ones.
    ///
    /// # Errors
    /// `steps` = 0 ([`ExperimentError::Config`] for `steps`), or a candle error.
    pub fn time(&mut self, warmup: usize, steps: usize) -> Result<StepTimes> {
        if steps == 0 {
            return Err(ExperimentError::config(
                "steps",
                "at least one timed step is needed",
            ));
        }
        for _ in 0..warmup {
            self.step()?;
        }
        let mut step_seconds = Vec::with_capacity(steps);
        let mut final_loss = f32::NAN;
        for _ in 0..steps {
            let t = Instant::now();
            final_loss = self.step()?;
            step_seconds.push(t.elapsed().as_secs_f64());
        }
        Ok(StepTimes {
            batch: self.batch,
            step_seconds,
            final_loss,
        })
    }
}

/// Wall-clock seconds of timed training steps.
#[derive(Debug, Clone, PartialEq)]
pub struct StepTimes {
    /// Batch size B.
    pub batch: usize,
    /// Seconds of each timed step.
    pub step_seconds: Vec<f64>,
    /// Loss of the last step.
    pub final_loss: f32,
}

impl StepTimes {
    /// Median over the steps of B / seconds (NaN without steps).
    #[must_use]
    pub fn images_per_s(&self) -> f64 {
        let rates: Vec<f64> = self
            .step_seconds
            .iter()
            .map(|s| self.batch as f64 / s)
            .collect();
        median(&rates).unwrap_or(f64::NAN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_changes_the_weights_and_is_timed() {
        let arch: Architecture = "resnet8-w4".parse().unwrap();
        let mut step = TrainStep::new(&arch, &StepConfig::new(4)).unwrap();
        let before = step.model().parameters()[0].1.as_tensor().copy().unwrap();
        let times = step.time(1, 2).unwrap();
        assert_eq!(times.step_seconds.len(), 2);
        assert!(times.final_loss.is_finite());
        let rate = times.images_per_s();
        assert!(rate.is_finite() && rate > 0.0, "{rate}");
        let after = step.model().parameters()[0].1.as_tensor().copy().unwrap();
        let moved = (after - before)
            .unwrap()
            .abs()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(moved > 0.0);
        assert!(matches!(
            step.time(0, 0),
            Err(ExperimentError::Config { key, .. }) if key == "steps"
        ));
        assert!(matches!(
            TrainStep::new(&arch, &StepConfig::new(0)),
            Err(ExperimentError::Config { key, .. }) if key == "batch"
        ));
    }

    #[test]
    fn images_per_s_is_the_median_rate() {
        let t = StepTimes {
            batch: 8,
            step_seconds: vec![1.0, 4.0, 2.0],
            final_loss: 0.0,
        };
        // rates 8, 2, 4 → 4
        assert!((t.images_per_s() - 4.0).abs() < 1e-12);
    }
}
