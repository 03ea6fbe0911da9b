//! C2.2 — sampling without replacement: E‖ω‖² = σ²(x)(N − b)/(b(N − 1)) ≤ σ²(x)/b.
//!
//! Statement (spec §2.2, \[DER\]): for a uniform random b-subset S of {1, …, N} (the
//! marginal law of one `DataLoader(shuffle=True)` batch), the finite-population
//! correction gives E‖ω‖² = σ²(N − b)/(b(N − 1)) = S²(1/b − 1/N) with S² = Nσ²/(N − 1).
//! It equals σ² at b = 1 and 0 at b = N, and is ≤ σ²/b, so Lemma 2.1 holds a fortiori
//! although the b samples are not independent.
//!
//! Measured: MC mean of ‖ω‖² with the library's `BatchSampler` (without replacement) on
//! the two finite sums of the group at 5 points, b ∈ {1, 2, …, 128, N − 1}; for b > N/2
//! the complement (a uniform (N − b)-subset) is drawn and Σ_S g̃ = Σ_all g̃ − Σ_{S^c} g̃
//! (exact). b = N is one full batch from the sampler and must give 0 to 1e−12.
//! References: the closed form above (|z| ≤ Bonferroni) and Lemma 2.1's C²_sup/b
//! (stochastic bound).
//!
//! Refuting case: the with-replacement formula σ²/b applied to without-replacement
//! batches at large b (b = N/2 and N − 1) must FAIL: the truth is smaller by the factor
//! (N − b)/(N − 1).

use super::{
    batches_for, problems, without_replacement_variance, CentredGradients, WorstOverPoints,
    POWERS_OF_TWO,
};
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{BatchSampler, Sampling};
use numerics::stats::{bonferroni_z, RunningStats};
use numerics::Seed;

/// C2.2: E‖ω‖² = σ²(N − b)/(b(N − 1)) for a uniform b-subset (finite-population correction).
#[derive(Debug, Clone, Copy)]
pub struct Lemma21WithoutReplacement;

impl Check for Lemma21WithoutReplacement {
    fn id(&self) -> &'static str {
        "lemma_2_1_without_replacement"
    }
    fn spec_id(&self) -> &'static str {
        "C2.2"
    }
    fn statement(&self) -> &'static str {
        "uniform b-subset: E‖∇f_S(x) − ∇f(x)‖² = σ²(x)(N − b)/(b(N − 1)) ≤ σ²(x)/b; 0 at b = N"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let start = std::time::Instant::now();
        let mut report = Report::new(self, seed);
        let problems = problems(seed)?;
        let sizes = |n: usize| -> Vec<usize> {
            let mut v: Vec<usize> = POWERS_OF_TWO.iter().copied().filter(|&b| b < n).collect();
            v.push(n - 1);
            v
        };
        let k = problems
            .iter()
            .map(|p| p.points.len() * sizes(p.f.n()).len())
            .sum::<usize>();
        let zmax = bonferroni_z(k, 1e-3);
        for (pi, p) in problems.iter().enumerate() {
            let n = p.f.n();
            let grid = sizes(n);
            let (sigma2, c2_sup) = p.variances();
            let mut worst = WorstOverPoints::new(grid.len());
            for (xi, x) in p.points.iter().enumerate() {
                let cg = CentredGradients::of(p.f.as_ref(), x);
                let mut sampler = BatchSampler::new(
                    n,
                    Sampling::WithoutReplacement,
                    seed.child(pi as u64 * 100 + xi as u64)
                        .stream("lemma-2-1-without-replacement"),
                )?;
                for (bi, &b) in grid.iter().enumerate() {
                    // The work per batch is min(b, N − b) (complement trick).
                    let batches = batches_for(b.min(n - b));
                    let st = cg.monte_carlo(&mut sampler, b, batches, 2 * b > n);
                    // Reference: the finite-population closed form (spec §2.2).
                    let reference = without_replacement_variance(sigma2[xi], n, b);
                    report.push(
                        Case::mean_z(
                            format!("{} x{xi} b={b}", p.name),
                            Expect::Holds,
                            &st,
                            zmax,
                            reference,
                        )
                        .with("b", b)
                        .with("n", n)
                        .with("batches", batches)
                        .with("sigma2_x", sigma2[xi])
                        .note("MC E‖ω‖² vs σ²(N−b)/(b(N−1))"),
                    );
                    worst.record(bi, &st);
                    if xi == 0 && b == n - 1 {
                        // The with-replacement formula applied outside its premise.
                        let name = format!("{} x0 b={b}: with-replacement formula σ²/b", p.name);
                        report.push(with_replacement_formula(name, &st, sigma2[xi], n, b));
                    }
                }
                if xi == 0 {
                    // The same formula at b = N/2, where the factor is ≈ 1/2.
                    let b = n / 2;
                    let st = cg.monte_carlo(&mut sampler, b, batches_for(b), false);
                    let name = format!("{} x0 b={b}=N/2: with-replacement formula σ²/b", p.name);
                    report.push(with_replacement_formula(name, &st, sigma2[xi], n, b));
                }
                // b = N: the batch is the whole population, ω = 0 exactly (up to rounding).
                let full = sampler.next_batch(n);
                let mut buf = vec![0.0; cg.dim()];
                let w2 = cg.noise(&full, &mut buf);
                report.push(
                    Case::new(
                        format!("{} x{xi} b=N={n}: ω = 0", p.name),
                        Expect::Holds,
                        w2,
                        Relation::EXACT,
                        0.0,
                    )
                    .with("b", n)
                    .with("n", n)
                    .note("‖ω‖² of one full batch; must vanish to 1e−12"),
                );
            }
            for case in worst.bound_cases(p.name, &grid, c2_sup, " (a fortiori)") {
                report.push(case);
            }
            report.finding(format!(
                "{}: C²_sup = {c2_sup:.6}; at b = N − 1 = {} the FPC factor (N−b)/(N−1) = {:.3e}, \
                 so Lemma 2.1's C²/b overstates the without-replacement variance {:.0}×",
                p.name,
                n - 1,
                1.0 / (n - 1) as f64,
                (n - 1) as f64
            ));
        }
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}

/// Refuting case: the with-replacement value σ²/b as the reference for batches drawn
/// without replacement (the truth is smaller by (N − b)/(N − 1)).
fn with_replacement_formula(
    name: String,
    st: &RunningStats,
    sigma2: f64,
    n: usize,
    b: usize,
) -> Case {
    Case::new(
        name,
        Expect::Violated,
        st.mean(),
        Relation::z4(st.std_error()),
        sigma2 / b as f64,
    )
    .with("b", b)
    .with("n", n)
    .note("samples drawn without replacement; truth has factor (N−b)/(N−1)")
}
