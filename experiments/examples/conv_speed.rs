//! Speed of one convolution layer, igo's op against candle's, forward and backward.
//!
//! ```text
//! cargo run --release -p igo-experiments --example conv_speed -- N C H CO K STRIDE PAD [REPS]
//! ```
//! Prints GFLOP/s (2·N·C_out·H_out·W_out·C·k² per pass) of the forward, the input
//! gradient and the weight gradient of each implementation, median of REPS (default 5).

use candle_core::{Device, Tensor, Var};
use experiments::ops::conv2d_igo;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> candle_core::Result<()> {
    let a: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().unwrap_or(0))
        .collect();
    let get = |i: usize, d: usize| a.get(i).copied().filter(|&v| v > 0).unwrap_or(d);
    let (n, c, h, co, k, s) = (
        get(0, 32),
        get(1, 64),
        get(2, 32),
        get(3, 64),
        get(4, 3),
        get(5, 1),
    );
    let p = a.get(6).copied().unwrap_or(1);
    let reps = get(7, 5);
    let dev = Device::Cpu;
    let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (n, c, h, h), &dev)?)?;
    let w = Var::from_tensor(&Tensor::randn(0f32, 0.1, (co, c, k, k), &dev)?)?;
    let oh = (h + 2 * p - k) / s + 1;
    let flops = 2.0 * (n * co * oh * oh * c * k * k) as f64;
    for (name, fast) in [("igo", true), ("candle", false)] {
        let run = || -> candle_core::Result<(f64, f64)> {
            let t0 = Instant::now();
            let y = if fast {
                conv2d_igo(x.as_tensor(), w.as_tensor(), p, s)?
            } else {
                x.as_tensor().conv2d(w.as_tensor(), p, s, 1, 1)?
            };
            let _ = y.dims();
            let fwd = t0.elapsed().as_secs_f64();
            let loss = y.sum_all()?;
            let t1 = Instant::now();
            let g = loss.backward()?;
            let _ = (g.get(&x), g.get(&w));
            Ok((fwd, t1.elapsed().as_secs_f64()))
        };
        run()?;
        let mut f = Vec::new();
        let mut b = Vec::new();
        for _ in 0..reps {
            let (tf, tb) = run()?;
            f.push(tf);
            b.push(tb);
        }
        let (tf, tb) = (median(f), median(b));
        println!(
            "{name:>6}: forward {:.4} s ({:.1} GFLOP/s), backward (input+weight) {:.4} s ({:.1} GFLOP/s)",
            tf,
            flops / tf / 1e9,
            tb,
            2.0 * flops / tb / 1e9
        );
    }
    Ok(())
}
