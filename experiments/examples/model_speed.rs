//! Training-step throughput of one architecture on random input (CPU, f32):
//! forward (train mode) + cross-entropy + backward + a plain SGD update, timed over a
//! few steps after one warm-up step.
//!
//! ```text
//! cargo run --release -p igo-experiments --example model_speed -- resnet8-w16 1x8x8 128 10
//! ```
//! Arguments: model name, input C×H×W, batch size, steps (defaults: resnet8-w16 1x8x8
//! 128 5).

use candle_core::{DType, Device, Tensor};
use experiments::models::{Architecture, Model};
use numerics::Seed;
use rand::Rng;
use std::time::Instant;

fn run() -> experiments::Result<()> {
    if std::env::var("IGO_RUNTIME").as_deref() != Ok("default") {
        let _ = experiments::runtime::configure_cpu();
    }
    if std::env::var("IGO_CONV").as_deref() == Ok("candle") {
        experiments::ops::set_implementation(experiments::ops::Implementation::Candle);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map_or("resnet8-w16", String::as_str);
    let shape = args.get(1).map_or("1x8x8", String::as_str);
    let dims: Vec<usize> = shape
        .split('x')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| experiments::ExperimentError::config("shape", "write C×H×W as 3x32x32"))?;
    let [c, h, w] = dims[..] else {
        return Err(experiments::ExperimentError::config(
            "shape",
            "write C×H×W as 3x32x32",
        ));
    };
    let parse = |i: usize, default: usize, key: &str| -> experiments::Result<usize> {
        args.get(i).map_or(Ok(default), |s| {
            s.parse()
                .map_err(|_| experiments::ExperimentError::config(key, "a positive integer"))
        })
    };
    let batch = parse(2, 128, "batch")?;
    let steps = parse(3, 5, "steps")?.max(1);
    let arch: Architecture = name.parse()?;
    let device = Device::Cpu;
    let model = Model::new(&arch, (c, h, w), 10, DType::F32, &device, Seed(0))?;
    let mut rng = Seed(0).stream("speed");
    let x: Vec<f32> = (0..batch * c * h * w)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let x = Tensor::from_vec(x, (batch, c, h, w), &device)?;
    let y: Vec<u32> = (0..batch).map(|_| rng.random_range(0..10)).collect();
    let y = Tensor::from_vec(y, batch, &device)?;
    let params = model.parameters();
    let step = || -> experiments::Result<f32> {
        let loss = candle_nn::loss::cross_entropy(&model.forward_t(&x, true)?, &y)?;
        let grads = loss.backward()?;
        for (_, v) in &params {
            if let Some(g) = grads.get(v) {
                v.set(&(v.as_tensor() - (g * 0.01)?)?)?;
            }
        }
        Ok(loss.to_scalar::<f32>()?)
    };
    step()?;
    let t = Instant::now();
    for _ in 0..steps {
        step()?;
    }
    let secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..steps {
        model.forward_t(&x, false)?;
    }
    let fwd = t.elapsed().as_secs_f64();
    println!(
        "{name} {c}x{h}x{w} batch {batch}: {} parameters; train step {:.3} s ({:.0} img/s); eval forward {:.3} s ({:.0} img/s)",
        model.parameter_count(),
        secs / steps as f64,
        (batch * steps) as f64 / secs,
        fwd / steps as f64,
        (batch * steps) as f64 / fwd
    );
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
