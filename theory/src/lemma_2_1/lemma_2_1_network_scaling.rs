//! C2.4 — the 1/b law in a neural network: log E‖ω‖² has slope −1 in log b for b
//! i.i.d. samples, at initialisation and after training.
//!
//! Statement (spec §2.3, C2.4): for a 2-layer tanh MLP (2 → 64 → 1, logistic loss) on
//! 2-D synthetic data, E‖ω‖² = σ²(θ)/b with replacement, so the log–log slope of
//! E‖ω‖² against b is −1; the spec's pass band is [−1.05, −0.95] for b ≪ N.
//!
//! Set-up: two interleaved spirals, N = 1000 (one turn, noise 0.05), PyTorch default
//! initialisation θ₀; θ_T after 100 epochs of epoch-shuffled SGD (b = 32, η = 0.2),
//! written here as an explicit loop; σ²(θ_t) is recorded after every epoch to report
//! C²_sup along the trajectory. Measured: MC E‖ω‖² for b ∈ {1, 2, …, 256} with the
//! library's with-replacement sampler (2·10⁴ batches for b ≤ 16, then 3.2·10⁵/b) and the
//! least-squares slope of log m̂ on log b; its SE is propagated from the per-b SEs.
//! Each m̂_b is also compared with σ²(θ)/b (|z| ≤ Bonferroni).
//!
//! Refuting case: batches drawn without replacement with b close to N
//! (b ∈ {500, …, 990}): E‖ω‖² = σ²(N − b)/(b(N − 1)) falls much faster than 1/b, so the
//! slope must leave the band (FALSIFIED).

use super::CentredGradients;
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{
    Activation, BatchSampler, Classification2d, FiniteSum, Mlp, MlpLoss, Objective, Sampling,
};
use numerics::stats::{bonferroni_z, RunningStats};
use numerics::{Seed, Vector};

/// C2.4: log–log slope of E‖ω‖² vs b is −1 in a tanh MLP (with replacement).
#[derive(Debug, Clone, Copy)]
pub struct Lemma21NetworkScaling;

const N: usize = 1000;
const WIDTH: usize = 64;
const EPOCHS: usize = 100;
const TRAIN_B: usize = 32;
const TRAIN_ETA: f64 = 0.2;
const WITH_REPLACEMENT_B: [usize; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const NEAR_N_B: [usize; 6] = [500, 700, 850, 950, 980, 990];

fn batches(b: usize) -> usize {
    if b <= 16 {
        20_000
    } else {
        320_000 / b
    }
}

/// Least-squares slope of log m on log b and its standard error from the per-point SEs
/// (delta method: Var log m̂ ≈ (SE/m)²).
fn log_log_slope(bs: &[usize], stats: &[RunningStats]) -> (f64, f64) {
    let x: Vec<f64> = bs.iter().map(|&b| (b as f64).ln()).collect();
    let y: Vec<f64> = stats.iter().map(|s| s.mean().ln()).collect();
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let sxx: f64 = x.iter().map(|v| (v - mx) * (v - mx)).sum();
    let slope = numerics::stats::slope(&x, &y);
    let var: f64 = x
        .iter()
        .zip(stats)
        .map(|(xv, s)| {
            let w = (xv - mx) / sxx;
            let rel = s.std_error() / s.mean();
            w * w * rel * rel
        })
        .sum();
    (slope, var.sqrt())
}

impl Check for Lemma21NetworkScaling {
    fn id(&self) -> &'static str {
        "lemma_2_1_network_scaling"
    }
    fn spec_id(&self) -> &'static str {
        "C2.4"
    }
    fn statement(&self) -> &'static str {
        "tanh MLP (2→64→1) on 2-D data: E‖ω‖² ∝ 1/b (log–log slope ∈ [−1.05, −0.95]) with \
         replacement, at init and after training"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let start = std::time::Instant::now();
        let mut report = Report::new(self, seed);
        let data = Classification2d::two_spirals(N, 1.0, 0.05, &mut seed.stream("spirals"))?;
        let net = Mlp::classifier(
            data.features().clone(),
            data.labels(),
            2,
            &[WIDTH],
            Activation::Tanh,
            MlpLoss::Logistic,
        )?;
        let theta0 = net.init_parameters(&mut seed.stream("mlp-init"));
        let (theta_t, trajectory_sigma2) = train(&net, &theta0, seed)?;
        let c2_sup = trajectory_sigma2.iter().copied().fold(0.0, f64::max);
        let zmax = bonferroni_z(2 * WITH_REPLACEMENT_B.len(), 1e-3);
        for (si, (label, theta)) in [("init", &theta0), ("trained", &theta_t)]
            .into_iter()
            .enumerate()
        {
            let sigma2 = net.gradient_variance(theta);
            let cg = CentredGradients::from_matrix(
                &net.per_sample_gradients(theta),
                &net.gradient(theta),
            );
            let mut sampler = BatchSampler::new(
                N,
                Sampling::WithReplacement,
                seed.child(si as u64).stream("network-with-replacement"),
            )?;
            let stats: Vec<RunningStats> = WITH_REPLACEMENT_B
                .iter()
                .map(|&b| cg.monte_carlo(&mut sampler, b, batches(b), false))
                .collect();
            for (&b, st) in WITH_REPLACEMENT_B.iter().zip(&stats) {
                // Reference: σ²(θ)/b (Lemma 2.1, exact with replacement).
                report.push(
                    Case::mean_z(
                        format!("{label} b={b}"),
                        Expect::Holds,
                        st,
                        zmax,
                        sigma2 / b as f64,
                    )
                    .with("b", b)
                    .with("batches", batches(b))
                    .with("sigma2_theta", sigma2),
                );
            }
            let (slope, se) = log_log_slope(&WITH_REPLACEMENT_B, &stats);
            report.push(
                Case::new(
                    format!("{label}: log–log slope, with replacement, b ∈ 1..256"),
                    Expect::Holds,
                    slope,
                    Relation::ClaimWithin {
                        lo: -1.05,
                        hi: -0.95,
                    },
                    -1.0,
                )
                .with("slope_se", se)
                .with("n", N)
                .with("parameters", net.num_parameters())
                .with("sigma2_theta", sigma2)
                .note("spec band [−1.05, −0.95]; theory −1 exactly"),
            );
            // Refuting: without replacement near N (complement trick, exact).
            let mut sampler = BatchSampler::new(
                N,
                Sampling::WithoutReplacement,
                seed.child(si as u64).stream("network-without-replacement"),
            )?;
            let near: Vec<RunningStats> = NEAR_N_B
                .iter()
                .map(|&b| cg.monte_carlo(&mut sampler, b, batches(N - b), true))
                .collect();
            let (slope_near, se_near) = log_log_slope(&NEAR_N_B, &near);
            // Independent reference for the reader: the slope of the closed form.
            let closed: Vec<f64> = NEAR_N_B
                .iter()
                .map(|&b| super::without_replacement_variance(sigma2, N, b).ln())
                .collect();
            let xs: Vec<f64> = NEAR_N_B.iter().map(|&b| (b as f64).ln()).collect();
            let slope_closed = numerics::stats::slope(&xs, &closed);
            report.push(
                Case::new(
                    format!("{label}: log–log slope, without replacement, b ∈ 500..990"),
                    Expect::Violated,
                    slope_near,
                    Relation::ClaimWithin {
                        lo: -1.05,
                        hi: -0.95,
                    },
                    -1.0,
                )
                .with("slope_se", se_near)
                .with("closed_form_slope", slope_closed)
                .with("n", N)
                .note("b not ≪ N and samples not independent: 1/b law outside its premise"),
            );
        }
        let c2_init = trajectory_sigma2.first().copied().unwrap_or(f64::NAN);
        let c2_end = trajectory_sigma2.last().copied().unwrap_or(f64::NAN);
        report.finding(format!(
            "MLP 2→{WIDTH}→1 tanh, {} parameters, spirals N = {N}: C²(θ₀) = {c2_init:.5}, \
             C²(θ_T) = {c2_end:.5} after {EPOCHS} epochs (b = {TRAIN_B}, η = {TRAIN_ETA}); \
             C²_sup along the trajectory = {c2_sup:.5}; train loss {:.4} → {:.4}, accuracy \
             {:.3} → {:.3}",
            net.num_parameters(),
            net.value(&theta0),
            net.value(&theta_t),
            net.accuracy(&theta0).unwrap_or(f64::NAN),
            net.accuracy(&theta_t).unwrap_or(f64::NAN),
        ));
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}

/// Epoch-shuffled SGD θ ← θ − η∇f_S(θ) for [`EPOCHS`] epochs; returns θ_T and σ²(θ) at
/// θ₀ and after every epoch.
fn train(net: &Mlp, theta0: &Vector, seed: Seed) -> crate::Result<(Vector, Vec<f64>)> {
    let mut sampler = BatchSampler::new(N, Sampling::EpochShuffle, seed.stream("mlp-train"))?;
    let mut theta = theta0.clone();
    let mut sigma2 = vec![net.gradient_variance(&theta)];
    let mut ws = net.workspace();
    let mut g = vec![0.0; net.num_parameters()];
    for _ in 0..EPOCHS {
        loop {
            let batch = sampler.next_batch(TRAIN_B);
            g.iter_mut().for_each(|v| *v = 0.0);
            let scale = 1.0 / batch.len() as f64;
            for &i in &batch {
                net.accumulate_sample_gradient(i, &theta, scale, &mut g, &mut ws);
            }
            theta
                .iter_mut()
                .zip(&g)
                .for_each(|(t, gv)| *t -= TRAIN_ETA * gv);
            if sampler.at_epoch_boundary() {
                break;
            }
        }
        sigma2.push(net.gradient_variance(&theta));
    }
    Ok((theta, sigma2))
}
