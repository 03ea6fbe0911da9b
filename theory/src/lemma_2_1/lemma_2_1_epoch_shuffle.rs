//! C2.3 — epoch shuffling: each batch's marginal noise variance is the
//! finite-population formula, and batches of one epoch are negatively correlated.
//!
//! Statement (spec §2.2, \[DER\]): with a random permutation per epoch cut into
//! consecutive batches (PyTorch `DataLoader(shuffle=True, drop_last=False)`), the batch
//! at position k of size b_k is marginally a uniform b_k-subset, so
//! E‖ω_k‖² = σ²(N − b_k)/(b_k(N − 1)); the last batch has b_K = N − (K − 1)b < b when
//! b ∤ N. Batches of one epoch are disjoint, hence dependent:
//! E⟨ω_j, ω_k⟩ = −σ²/(N − 1) for j ≠ k (two distinct uniform indices have
//! E⟨g̃ᵢ, g̃ⱼ⟩ = −σ²/(N − 1)), and Σ_k b_k ω_k = Σᵢ g̃ᵢ = 0 exactly.
//!
//! Measured: 10⁴ epochs (10× the spec's 10³) of the library's epoch-shuffle sampler with
//! b = 48 on the two finite sums of the group (N = 200: batches 4×48 + 8; N = 500:
//! 10×48 + 20) at 5 points: the per-position mean of ‖ω_k‖² (non-full last batch
//! separately) vs the formula, the mean of ⟨ω₁, ω₂⟩ vs −σ²/(N − 1), and max over epochs
//! of ‖Σ_k b_k ω_k‖/(N·σ) vs 0.
//!
//! Refuting case: treating consecutive batches as independent ((A3)(i) across steps)
//! predicts E‖ω₁ + ω₂‖² = E‖ω₁‖² + E‖ω₂‖²; with disjoint batches the truth is smaller
//! by 2σ²/(N − 1), which must FAIL.

use super::{problems, without_replacement_variance, CentredGradients};
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{BatchSampler, Sampling};
use numerics::stats::{bonferroni_z, RunningStats};
use numerics::Seed;

/// C2.3: per-position epoch-shuffle batch variance = σ²(N − b_k)/(b_k(N − 1)).
#[derive(Debug, Clone, Copy)]
pub struct Lemma21EpochShuffle;

/// Nominal batch size (does not divide 200 or 500).
const B: usize = 48;
/// Epochs simulated.
const EPOCHS: usize = 10_000;

impl Check for Lemma21EpochShuffle {
    fn id(&self) -> &'static str {
        "lemma_2_1_epoch_shuffle"
    }
    fn spec_id(&self) -> &'static str {
        "C2.3"
    }
    fn statement(&self) -> &'static str {
        "epoch shuffle: E‖ω_k‖² = σ²(N − b_k)/(b_k(N − 1)) per position (last batch b_k < b); \
         disjoint batches have E⟨ω_j, ω_k⟩ = −σ²/(N − 1)"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let start = std::time::Instant::now();
        let mut report = Report::new(self, seed);
        let problems = problems(seed)?;
        // Simultaneous z-cases: every position plus the covariance, per point.
        let k: usize = problems
            .iter()
            .map(|p| p.points.len() * (p.f.n().div_ceil(B) + 1))
            .sum();
        let zmax = bonferroni_z(k, 1e-3);
        for (pi, p) in problems.iter().enumerate() {
            let n = p.f.n();
            let positions = n.div_ceil(B);
            let sizes: Vec<usize> = (0..positions).map(|k| B.min(n - k * B)).collect();
            for (xi, x) in p.points.iter().enumerate() {
                let sigma2 = p.f.gradient_variance(x);
                let cg = CentredGradients::of(p.f.as_ref(), x);
                let d = cg.dim();
                let mut sampler = BatchSampler::new(
                    n,
                    Sampling::EpochShuffle,
                    seed.child(pi as u64 * 100 + xi as u64)
                        .stream("lemma-2-1-epoch-shuffle"),
                )?;
                let mut per_position = vec![RunningStats::new(); positions];
                let mut cross = RunningStats::new();
                let mut pair = RunningStats::new();
                let mut max_epoch_sum: f64 = 0.0;
                let mut w = vec![vec![0.0; d]; positions];
                let mut epoch_sum = vec![0.0; d];
                for _ in 0..EPOCHS {
                    epoch_sum.iter_mut().for_each(|v| *v = 0.0);
                    for (kpos, wk) in w.iter_mut().enumerate() {
                        let batch = sampler.next_batch(B);
                        let norm2 = cg.noise(&batch, wk);
                        per_position[kpos].push(norm2);
                        let bk = batch.len() as f64;
                        epoch_sum
                            .iter_mut()
                            .zip(wk.iter())
                            .for_each(|(s, v)| *s += bk * v);
                    }
                    let dot: f64 = w[0].iter().zip(&w[1]).map(|(a, b)| a * b).sum();
                    cross.push(dot);
                    pair.push(w[0].iter().zip(&w[1]).map(|(a, b)| (a + b) * (a + b)).sum());
                    let s: f64 = epoch_sum.iter().map(|v| v * v).sum::<f64>().sqrt();
                    max_epoch_sum = max_epoch_sum.max(s);
                }
                for (kpos, st) in per_position.iter().enumerate() {
                    let bk = sizes[kpos];
                    let last = kpos + 1 == positions && bk < B;
                    // Reference: the finite-population closed form at b_k (spec §2.2).
                    report.push(
                        Case::mean_z(
                            format!(
                                "{} x{xi} position {kpos} (b_k={bk}{})",
                                p.name,
                                if last { ", last" } else { "" }
                            ),
                            Expect::Holds,
                            st,
                            zmax,
                            without_replacement_variance(sigma2, n, bk),
                        )
                        .with("b_k", bk)
                        .with("n", n)
                        .with("epochs", EPOCHS)
                        .note("per-position MC E‖ω_k‖² vs σ²(N−b_k)/(b_k(N−1))"),
                    );
                }
                // Reference: E⟨ω₁, ω₂⟩ = (1/b²)·b²·E⟨g̃ᵢ, g̃ⱼ⟩ = −σ²/(N − 1) (i ≠ j).
                report.push(
                    Case::mean_z(
                        format!("{} x{xi}: E⟨ω₁, ω₂⟩ of consecutive batches", p.name),
                        Expect::Holds,
                        &cross,
                        zmax,
                        -sigma2 / (n - 1) as f64,
                    )
                    .with("n", n)
                    .note("disjoint batches: −σ²/(N−1)"),
                );
                report.push(
                    Case::new(
                        format!("{} x{xi}: Σ_k b_k ω_k = 0 every epoch", p.name),
                        Expect::Holds,
                        max_epoch_sum / (n as f64 * sigma2.sqrt()),
                        Relation::EXACT,
                        0.0,
                    )
                    .note("max over epochs of ‖Σ_k b_k ω_k‖/(Nσ)"),
                );
                if xi == 0 {
                    // Independence across steps would give E‖ω₁+ω₂‖² = 2·FPC(b).
                    let independent = 2.0 * without_replacement_variance(sigma2, n, B);
                    report.push(
                        Case::new(
                            format!("{} x0: consecutive batches independent?", p.name),
                            Expect::Violated,
                            pair.mean(),
                            Relation::z4(pair.std_error()),
                            independent,
                        )
                        .with("n", n)
                        .with("b", B)
                        .note(format!(
                            "independence across steps violated; exact value 2·FPC − 2σ²/(N−1) = {:.6e}",
                            independent - 2.0 * sigma2 / (n - 1) as f64
                        )),
                    );
                }
            }
            report.finding(format!(
                "{}: b = {B} gives {} full batches and a last batch of {} (drop_last=False); \
                 consecutive batches have correlation −b/(N−b) = {:.4}",
                p.name,
                n / B,
                n % B,
                -(B as f64) / (n - B) as f64
            ));
        }
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}
