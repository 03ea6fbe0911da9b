//! Cost of an exact Hessian-vector product relative to a gradient, and peak memory.
//!
//! `cargo run --example hvp_cost -p igo-experiments -- MODEL WHAT [EXAMPLES] [BATCH] [DATA]`
//!
//! * MODEL: any architecture name (`mlp-128-128`, `resnet8-w16`, …), f32;
//! * WHAT: `gradient` (forward + backward of the mean cross-entropy), `hvp` (one exact
//!   H·v on the second-order worker), `lanczos` (λ_max with 20 Lanczos steps) or
//!   `sharpness` (the default worst-case ℓ∞ sharpness);
//! * EXAMPLES, BATCH: the first EXAMPLES training images in micro-batches of BATCH
//!   (default 1024, 128);
//! * DATA: `digits` (default, 1×8×8) or `cifar-shaped` (seeded random 3×32×32 u8
//!   images, 10 classes: the cost of a CIFAR model without the data files).
//!
//! Prints seconds per call (median of 5 after a warm-up) and the process's peak resident
//! memory (VmHWM): run each WHAT in its own process to compare peaks.

use candle_core::{DType, Device, Tensor};
use experiments::bench::{median, peak_rss_bytes};
use experiments::data::{digits, ImageSet, Normalization, Split};
use experiments::measure::hessian::{hessian_spectrum, HessianOptions};
use experiments::measure::hvp::{Hvp, ModelLoss};
use experiments::measure::sharpness::{worst_case_sharpness, SharpnessOptions};
use experiments::measure::{fixed_batches, worker, BatchNormMode, ModelSnapshot};
use experiments::models::{Architecture, Model};
use numerics::{Seed, Vector};
use rand::Rng as _;
use std::sync::Arc;
use std::time::Instant;

fn main() -> experiments::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map_or("mlp-128-128", String::as_str);
    let what = args.get(2).map_or("gradient", String::as_str);
    let examples: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1024);
    let batch: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(128);
    let data = args.get(5).map_or("digits", String::as_str);
    let split = match data {
        "digits" => digits::split()?,
        _ => {
            let n = examples.max(1);
            let mut rng = Seed(0).stream("images");
            let pixels: Vec<u8> = (0..n * 3 * 32 * 32).map(|_| rng.random::<u8>()).collect();
            let labels: Vec<u32> = (0..n).map(|i| (i % 10) as u32).collect();
            let set = ImageSet::new(pixels, labels, (3, 32, 32), 10, 255.0)?;
            Split {
                name: "cifar-shaped".into(),
                test: set.clone(),
                normalization: Normalization::cifar10(),
                train: set,
            }
        }
    };
    let arch: Architecture = name.parse()?;
    let model = Model::new(
        &arch,
        split.train.shape(),
        10,
        DType::F32,
        &Device::Cpu,
        Seed(0),
    )?;
    let batches = fixed_batches(
        &split.train,
        &split.normalization,
        examples,
        batch,
        &Device::Cpu,
        DType::F32,
    )?;
    let d = model.parameter_count();
    let times: Vec<f64> = match what {
        "gradient" => (0..6)
            .map(|_| {
                let t = Instant::now();
                let params = model.parameters();
                for b in &batches {
                    let logits = model.forward_t(&b.images, false)?;
                    let loss = candle_nn::loss::cross_entropy(&logits, &b.labels)?;
                    let grads = loss.backward()?;
                    let g: Vec<Option<Tensor>> = params
                        .iter()
                        .map(|(_, p)| grads.get(p.as_tensor()).cloned())
                        .collect();
                    std::hint::black_box(g);
                }
                Ok(t.elapsed().as_secs_f64())
            })
            .collect::<experiments::Result<Vec<_>>>()?,
        "hvp" => {
            let snapshot = ModelSnapshot::of(&model)?;
            let b = batches.clone();
            worker::run(move || -> experiments::Result<Vec<f64>> {
                let copy = Arc::new(snapshot.build(None)?);
                let hvp = Hvp::new(ModelLoss::new(copy, &b, BatchNormMode::Eval)?)?;
                let v = Vector::from_fn(d, |i, _| ((i % 7) as f64 - 3.0) / 3.0);
                (0..6)
                    .map(|_| {
                        let t = Instant::now();
                        std::hint::black_box(hvp.product(&v)?);
                        Ok(t.elapsed().as_secs_f64())
                    })
                    .collect()
            })??
        }
        "lanczos" => (0..2)
            .map(|_| {
                let options = HessianOptions {
                    top_k: 1,
                    lanczos_steps: 20,
                    ..HessianOptions::default()
                };
                Ok(hessian_spectrum(&model, &batches, &options)?.seconds)
            })
            .collect::<experiments::Result<Vec<_>>>()?,
        "sharpness" => (0..2)
            .map(|_| {
                Ok(worst_case_sharpness(&model, &batches, &SharpnessOptions::default())?.seconds)
            })
            .collect::<experiments::Result<Vec<_>>>()?,
        other => {
            return Err(experiments::ExperimentError::Other(format!(
                "unknown WHAT '{other}': gradient, hvp, lanczos or sharpness"
            )))
        }
    };
    println!(
        "{} d = {d}, {data}, {what}, {examples} examples in batches of {batch}: {:.4} s per call (median of {}), peak RSS {:.0} MiB",
        arch.slug(),
        median(&times[1..]).unwrap_or(f64::NAN),
        times.len() - 1,
        peak_rss_bytes().map_or(f64::NAN, |b| b as f64 / f64::from(1 << 20))
    );
    Ok(())
}
