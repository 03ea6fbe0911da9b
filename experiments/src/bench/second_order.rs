//! Cost of one exact Hessian-vector product H·v = ∇_w⟨∇_w L(w), v⟩ of the mean
//! cross-entropy L of one batch, against one gradient ∇_w L(w): median seconds per call.
//!
//! Batch norm is in evaluation mode ([`BatchNormMode::Eval`]), as in
//! `bench/train_step.py --hvp`. The product is [`crate::measure::hvp::Hvp::product`] on
//! the second-order worker thread (the model is built there); the gradient is an
//! ordinary backward pass on the calling thread (gradients detached, as in training).
//! The batch is [`super::train_step::random_batch`] and v a fixed standard-normal vector
//! from the seed's stream `"bench-hvp-v"`. The peak memory of the calls
//! ([`PeakMemory`]) is read around them; the process's own peak counts everything it
//! did before, so run one [`SecondOrder`] per process.

use super::train_step::{random_batch, CLASSES, INPUT};
use super::{median, PeakMemory};
use crate::data::Batch;
use crate::measure::hvp::{Hvp, ModelLoss};
use crate::measure::{worker, BatchNormMode};
use crate::models::{Architecture, Model};
use crate::{ExperimentError, Result};
use candle_core::{DType, Device, Tensor};
use numerics::{Seed, Vector};
use rand::Rng as _;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

/// What is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecondOrder {
    /// One gradient ∇L (forward + backward).
    Gradient,
    /// One exact Hessian-vector product (forward + backward + double backward).
    Hvp,
}

/// Seconds of the timed calls of one [`SecondOrder`] measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecondOrderTimes {
    /// What was timed.
    pub what: SecondOrder,
    /// Number of trainable parameters d.
    pub parameters: usize,
    /// Seconds of each timed call (after one untimed warm-up call).
    pub call_seconds: Vec<f64>,
    /// Peak memory of the warm-up and timed calls (the baseline is the process with
    /// the model and batch built).
    pub memory: PeakMemory,
}

impl SecondOrderTimes {
    /// Median seconds per call (NaN without calls).
    #[must_use]
    pub fn seconds(&self) -> f64 {
        median(&self.call_seconds).unwrap_or(f64::NAN)
    }
}

/// One warm-up call and `calls` timed calls, with their peak memory.
fn timed<F: FnMut() -> Result<()>>(calls: usize, mut call: F) -> Result<(Vec<f64>, PeakMemory)> {
    PeakMemory::of(|| {
        call()?;
        (0..calls)
            .map(|_| {
                let t = Instant::now();
                call()?;
                Ok(t.elapsed().as_secs_f64())
            })
            .collect::<Result<Vec<f64>>>()
    })
}

/// Times `what` for `architecture` (3×32×32, 10 classes, f32, CPU, weights from `seed`)
/// on a batch of `batch`: one warm-up call, then `calls` timed calls.
///
/// # Errors
/// `batch` or `calls` = 0 (config errors for `batch`, `calls`), the second-order worker
/// cannot run (candle ignores `CANDLE_GRAD_DO_NOT_DETACH`), or a candle error.
pub fn time_second_order(
    architecture: &Architecture,
    batch: usize,
    seed: Seed,
    what: SecondOrder,
    calls: usize,
) -> Result<SecondOrderTimes> {
    if calls == 0 {
        return Err(ExperimentError::config("calls", "at least one timed call"));
    }
    let architecture = architecture.clone();
    let build = move || -> Result<(Model, Tensor, Tensor)> {
        let device = Device::Cpu;
        let (images, labels) = random_batch(batch, seed, &device)?;
        let model = Model::new(&architecture, INPUT, CLASSES, DType::F32, &device, seed)?;
        Ok((model, images, labels))
    };
    match what {
        SecondOrder::Gradient => {
            let (model, images, labels) = build()?;
            let params = model.parameters();
            let (call_seconds, memory) = timed(calls, || {
                let logits = model.forward_t(&images, false)?;
                let grads = candle_nn::loss::cross_entropy(&logits, &labels)?.backward()?;
                let g: Vec<Option<Tensor>> = params
                    .iter()
                    .map(|(_, p)| grads.get(p.as_tensor()).cloned())
                    .collect();
                std::hint::black_box(g);
                Ok(())
            })?;
            Ok(SecondOrderTimes {
                what,
                parameters: model.parameter_count(),
                call_seconds,
                memory,
            })
        }
        SecondOrder::Hvp => worker::run(move || -> Result<SecondOrderTimes> {
            let (model, images, labels) = build()?;
            let d = model.parameter_count();
            let batches = [Batch {
                images,
                labels,
                indices: (0..batch).collect(),
            }];
            let hvp = Hvp::new(ModelLoss::new(
                Arc::new(model),
                &batches,
                BatchNormMode::Eval,
            )?)?;
            let mut rng = seed.stream("bench-hvp-v");
            let v = Vector::from_fn(d, |_, _| rng.sample::<f64, _>(StandardNormal));
            let (call_seconds, memory) = timed(calls, || {
                std::hint::black_box(hvp.product(&v)?);
                Ok(())
            })?;
            Ok(SecondOrderTimes {
                what,
                parameters: d,
                call_seconds,
                memory,
            })
        })?,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_and_hvp_are_timed_on_a_small_resnet() {
        let arch: Architecture = "resnet8-w4".parse().unwrap();
        for what in [SecondOrder::Gradient, SecondOrder::Hvp] {
            let t = time_second_order(&arch, 2, Seed(0), what, 2).unwrap();
            assert_eq!(t.call_seconds.len(), 2);
            assert!(t.seconds() > 0.0 && t.seconds().is_finite());
            let model = Model::new(&arch, INPUT, CLASSES, DType::F32, &Device::Cpu, Seed(0));
            assert_eq!(t.parameters, model.unwrap().parameter_count());
        }
        assert!(matches!(
            time_second_order(&arch, 2, Seed(0), SecondOrder::Hvp, 0),
            Err(ExperimentError::Config { key, .. }) if key == "calls"
        ));
    }
}
