//! Monte-Carlo smoothing throughput, the igo side of `bench/mc_vs_numpy.sh`.
//!
//! Workload (identical to `bench/mc_smoothing.py`): Rastrigin in d = 1000 at
//! xᵢ = 0.5 sin(i), kernel GISO, δ = 0.5; estimate f̂_δ(x) as the mean of
//! f(x − δu) with its standard error. Prints samples/s on all cores and on one thread
//! (median of 5 runs after a warm-up) and the z-score against the closed form.
//!
//! Flags: `--samples N` (default 20000), `--json` (one JSON object on stdout).

use nalgebra::DVector;
use numerics::objective::{Objective, Rastrigin};
use numerics::smoothing::{Kernel, MonteCarlo, SmoothedRastrigin};
use numerics::Seed;
use std::time::Instant;

const DIM: usize = 1000;
const DELTA: f64 = 0.5;

fn median_seconds(
    mc: &MonteCarlo,
    f: &Rastrigin,
    x: &DVector<f64>,
    repeats: u64,
) -> (f64, f64, f64) {
    let mut times = Vec::new();
    let (mut mean, mut se) = (0.0, 0.0);
    for r in 0..repeats {
        let mut rng = Seed(r).stream("bench-monte-carlo");
        let start = Instant::now();
        let est = mc.value(f, x, &mut rng).expect("valid benchmark set-up");
        times.push(start.elapsed().as_secs_f64());
        mean = est.mean;
        se = est.std_error;
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], mean, se)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let samples = args
        .iter()
        .position(|a| a == "--samples")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(20_000);
    let json = args.iter().any(|a| a == "--json");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let f = Rastrigin::new(DIM).expect("dimension is positive");
    let x = DVector::from_fn(DIM, |i, _| 0.5 * (i as f64).sin());
    let exact = SmoothedRastrigin::new(DIM, Kernel::Gaussian, DELTA)
        .expect("valid")
        .value(&x);
    let multi = MonteCarlo::new(Kernel::Gaussian, DELTA, samples)
        .expect("valid")
        .with_threads(threads);
    let single = MonteCarlo::new(Kernel::Gaussian, DELTA, samples).expect("valid");
    let _ = median_seconds(&single, &f, &x, 1); // warm-up
    let (t_multi, mean, se) = median_seconds(&multi, &f, &x, 5);
    let (t_single, _, _) = median_seconds(&single, &f, &x, 5);
    let z = (mean - exact) / se;
    if json {
        println!(
            "{{\"implementation\": \"igo\", \"samples\": {samples}, \"dim\": {DIM}, \"delta\": {DELTA}, \
             \"threads\": {threads}, \"samples_per_s\": {}, \"samples_per_s_1thread\": {}, \
             \"estimate\": {mean}, \"std_error\": {se}, \"exact\": {exact}, \"z\": {z}}}",
            samples as f64 / t_multi,
            samples as f64 / t_single
        );
    } else {
        println!(
            "igo Monte-Carlo smoothing, Rastrigin d = {DIM}, GISO δ = {DELTA}, n = {samples}: \
             {:.0} samples/s on {threads} threads, {:.0} samples/s on 1 thread; \
             estimate {mean:.4} ± {se:.4} vs exact {exact:.4} (z = {z:.2})",
            samples as f64 / t_multi,
            samples as f64 / t_single
        );
    }
}
