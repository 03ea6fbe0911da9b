//! C2.1 — Lemma 2.1 with b independent samples: E‖∇f_S(x) − ∇f(x)‖² = σ²(x)/b ≤ C²/b.
//!
//! Statement (Sato & Iiduka, arXiv 2311.08745, Lemma 2.1; spec §2.1–2.2): under (A3)(ii)
//! (E‖G_ξ(x) − ∇f(x)‖² ≤ C²) and (A4) (b independent samples per step), the mini-batch
//! noise satisfies E‖ω‖² ≤ C²/b. For a finite sum with b i.i.d. uniform indices this is
//! exact: E‖ω‖² = σ²(x)/b with σ²(x) = (1/N) Σᵢ ‖∇fᵢ(x) − ∇f(x)‖², because the cross
//! terms of independent zero-mean vectors vanish.
//!
//! Measured: Monte-Carlo mean of ‖ω‖² over batches drawn by the library's
//! `BatchSampler` (with replacement), for least squares (N = 200, d = 20) and logistic
//! regression (N = 500, d = 10) at 5 random points, b ∈ {1, 2, …, 128}; the spec's
//! 2·10⁵ batches for b ≤ 16, then 2·10⁵·16/b (constant index budget).
//! References: σ²(x)/b with σ²(x) from `FiniteSum::gradient_variance` (closed form of
//! the lemma), |z| ≤ Bonferroni over the grid. The bound E‖ω‖² ≤ C²_sup/b with
//! C²_sup = max over the 5 points of σ²(x) (the uniform constant of (A3)(ii) on that
//! set) is checked as a stochastic bound.
//!
//! Refuting cases (hypothesis violated, the bound must be FALSIFIED):
//! * a wrong constant, C² = σ²(x)/2 < σ²(x), i.e. (A3)(ii) does not hold;
//! * correlated samples (violating (A4)): each batch is b/2 independent indices, each
//!   used twice, so E‖ω‖² = 2σ²/b > σ²/b even with the tight C² = σ²(x).

use super::{batches_for, problems, CentredGradients, WorstOverPoints, POWERS_OF_TWO};
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{BatchSampler, Sampling};
use numerics::stats::{bonferroni_z, RunningStats};
use numerics::Seed;

/// C2.1: E‖ω‖² = σ²(x)/b ≤ C²/b for b i.i.d. uniform indices (Lemma 2.1).
#[derive(Debug, Clone, Copy)]
pub struct Lemma21WithReplacement;

/// Batch size of the refuting cases.
const REFUTE_B: usize = 16;

impl Check for Lemma21WithReplacement {
    fn id(&self) -> &'static str {
        "lemma_2_1_with_replacement"
    }
    fn spec_id(&self) -> &'static str {
        "C2.1"
    }
    fn statement(&self) -> &'static str {
        "b i.i.d. samples: E‖∇f_S(x) − ∇f(x)‖² = σ²(x)/b ≤ C²/b (Lemma 2.1)"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let start = std::time::Instant::now();
        let mut report = Report::new(self, seed);
        let problems = problems(seed)?;
        let k = problems
            .iter()
            .map(|p| p.points.len() * POWERS_OF_TWO.len())
            .sum::<usize>();
        let zmax = bonferroni_z(k, 1e-3);
        for (pi, p) in problems.iter().enumerate() {
            let (sigma2, c2_sup) = p.variances();
            let mut worst = WorstOverPoints::new(POWERS_OF_TWO.len());
            for (xi, x) in p.points.iter().enumerate() {
                let cg = CentredGradients::of(p.f.as_ref(), x);
                let mut sampler = BatchSampler::new(
                    cg.n(),
                    Sampling::WithReplacement,
                    seed.child(pi as u64 * 100 + xi as u64)
                        .stream("lemma-2-1-with-replacement"),
                )?;
                for (bi, &b) in POWERS_OF_TWO.iter().enumerate() {
                    let batches = batches_for(b);
                    let st = cg.monte_carlo(&mut sampler, b, batches, false);
                    // Reference: the closed form σ²(x)/b of the lemma (spec §2.2).
                    let reference = sigma2[xi] / b as f64;
                    report.push(
                        Case::mean_z(
                            format!("{} x{xi} b={b}", p.name),
                            Expect::Holds,
                            &st,
                            zmax,
                            reference,
                        )
                        .with("b", b)
                        .with("batches", batches)
                        .with("sigma2_x", sigma2[xi])
                        .note("MC E‖ω‖² vs σ²(x)/b"),
                    );
                    worst.record(bi, &st);
                    if xi == 0 && b == REFUTE_B {
                        // Wrong constant C² = σ²(x)/2: (A3)(ii) fails, the bound must fall.
                        let wrong = sigma2[xi] / 2.0;
                        report.push(
                            Case::new(
                                format!("{} x0 b={b}: bound with wrong C² = σ²/2", p.name),
                                Expect::Violated,
                                st.mean(),
                                Relation::stochastic_le(st.std_error()),
                                wrong / b as f64,
                            )
                            .with("b", b)
                            .with("c2", wrong)
                            .note("(A3)(ii) violated: C² below the per-sample variance"),
                        );
                    }
                }
                if xi == 0 {
                    // Correlated samples: b/2 indices each used twice ((A4) violated).
                    let st = paired_duplicates(&cg, &mut sampler, REFUTE_B, batches_for(REFUTE_B));
                    report.push(
                        Case::new(
                            format!(
                                "{} x0 b={REFUTE_B}: duplicated (correlated) samples",
                                p.name
                            ),
                            Expect::Violated,
                            st.mean(),
                            Relation::stochastic_le(st.std_error()),
                            sigma2[xi] / REFUTE_B as f64,
                        )
                        .with("b", REFUTE_B)
                        .with("c2", sigma2[xi])
                        .note("(A4) violated: pairs of identical indices; theory 2σ²/b"),
                    );
                }
            }
            for case in worst.bound_cases(p.name, &POWERS_OF_TWO, c2_sup, "") {
                report.push(case);
            }
            report.finding(format!(
                "{}: C²(x) = σ²(x) at the 5 points = [{}]; C²_sup = {c2_sup:.6} \
                 (max/min = {:.3})",
                p.name,
                sigma2
                    .iter()
                    .map(|v| format!("{v:.6}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                c2_sup / sigma2.iter().copied().fold(f64::INFINITY, f64::min)
            ));
        }
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}

/// MC of ‖ω‖² when a batch of size b is b/2 i.i.d. indices each taken twice.
fn paired_duplicates(
    cg: &CentredGradients,
    sampler: &mut BatchSampler,
    b: usize,
    batches: usize,
) -> RunningStats {
    let mut stats = RunningStats::new();
    let mut buf = vec![0.0; cg.dim()];
    let mut batch = Vec::with_capacity(b);
    for _ in 0..batches {
        let half = sampler.next_batch(b / 2);
        batch.clear();
        batch.extend(half.iter().chain(half.iter()).copied());
        stats.push(cg.noise(&batch, &mut buf));
    }
    stats
}
