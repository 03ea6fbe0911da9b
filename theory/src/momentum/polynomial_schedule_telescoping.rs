//! C6.1 — the polynomial δ schedule telescopes: Π_{k=1}^{m} γ_k = ((M − m)/M)^p.
//!
//! Statement (spec §4.2, §6.1; Sato & Iiduka, arXiv 2311.08745 / 2412.11501): with
//! γ_m = ((M − m)/(M − (m − 1)))^p, δ_{m+1} = γ_mδ_m gives δ_{m+1} = δ₁((M − m)/M)^p,
//! and PyTorch's `PolynomialLR(total_iters = M, power = p)`, η_m = η₀(1 − m/M)^p, has
//! exactly these step-to-step factors.
//!
//! Measured: the running product of the library's factors
//! [`PolynomialDelta::decay_factor`] against the closed form ((M − m)/M)^p evaluated
//! here, for M ∈ {5, 10, 50, 200} and p ∈ {0.5, 0.9, 1, 2}; PyTorch's recursive
//! PolynomialLR ([`Polynomial::recursive`]) against the same closed form; and the
//! code's 0-based product against δ₀((M + 1 − e)/(M + 1))^p. Tolerance 1e−12 absolute
//! (all values are ≤ 1).
//!
//! Refuting case: the authors' code calls the same formula with m = 0, …, M − 1. Its
//! product is ((M + 1 − e)/(M + 1))^p, not ((M − e)/M)^p: applying the paper's
//! telescoped formula to the code's factors fails (at e = M it predicts δ = 0, the
//! code has δ₀(M + 1)^{−p}).

use crate::{Case, Check, Expect, Relation, Report};
use numerics::schedule::{Polynomial, PolynomialDelta, Schedule};
use numerics::Seed;

/// C6.1: Π_{k=1}^{m} γ_k = ((M − m)/M)^p (to 1e−12).
#[derive(Debug, Clone, Copy, Default)]
pub struct PolynomialScheduleTelescoping;

const TOL: Relation = Relation::ApproxEq {
    rtol: 0.0,
    atol: 1e-12,
};

/// max_m |a(m) − b(m)| over m ∈ range.
fn max_gap(
    range: impl Iterator<Item = usize>,
    a: impl Fn(usize) -> f64,
    b: impl Fn(usize) -> f64,
) -> f64 {
    range.map(|m| (a(m) - b(m)).abs()).fold(0.0, f64::max)
}

impl Check for PolynomialScheduleTelescoping {
    fn id(&self) -> &'static str {
        "polynomial_schedule_telescoping"
    }
    fn spec_id(&self) -> &'static str {
        "C6.1"
    }
    fn statement(&self) -> &'static str {
        "Π_{k=1}^m γ_k = ((M−m)/M)^p for γ_m = ((M−m)/(M−m+1))^p, = PolynomialLR(total_iters=M, power=p)"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        for &big_m in &[5usize, 10, 50, 200] {
            for &(p, with_lr) in &[(0.5, false), (0.9, true), (1.0, false), (2.0, true)] {
                let schedule = PolynomialDelta::new(1.0, big_m, p)?;
                // Closed form, evaluated independently of the library.
                let closed = |m: usize| ((big_m - m) as f64 / big_m as f64).powf(p);
                let mut products = vec![1.0];
                for m in 1..=big_m {
                    let last = products.last().copied().unwrap_or(1.0);
                    products.push(last * schedule.decay_factor(m));
                }
                let gap = max_gap(0..=big_m, |m| products[m], closed);
                report.push(
                    Case::new(
                        format!("telescoping M={big_m} p={p}"),
                        Expect::Holds,
                        gap,
                        TOL,
                        0.0,
                    )
                    .with("M", big_m)
                    .with("p", p)
                    .note("max_m |Π_{k≤m} γ_k − ((M−m)/M)^p|"),
                );
                if with_lr {
                    let lr = Polynomial::new(1.0, big_m, p)?;
                    let gap_lr = max_gap(0..=big_m, |m| lr.recursive(m), closed).max(max_gap(
                        0..=big_m,
                        |m| lr.at(m),
                        |m| schedule.at(m),
                    ));
                    report.push(
                        Case::new(
                            format!("PolynomialLR identity M={big_m} p={p}"),
                            Expect::Holds,
                            gap_lr,
                            TOL,
                            0.0,
                        )
                        .with("M", big_m)
                        .with("p", p)
                        .note("PyTorch's recursive PolynomialLR and the δ schedule vs (1 − m/M)^p"),
                    );
                }
            }
        }
        // The code's 0-based indexing: factors γ_0, …, γ_{e−1}.
        for &(big_m, p) in &[(200usize, 0.9), (50, 2.0)] {
            let schedule = PolynomialDelta::new(1.0, big_m, p)?;
            let mut products = vec![1.0];
            for m in 0..big_m {
                let last = products.last().copied().unwrap_or(1.0);
                products.push(last * schedule.decay_factor(m));
            }
            let code_closed = |e: usize| ((big_m + 1 - e) as f64 / (big_m + 1) as f64).powf(p);
            let gap = max_gap(0..=big_m, |e| products[e], code_closed);
            report.push(
                Case::new(
                    format!("code indexing m=0..M−1 vs ((M+1−e)/(M+1))^p, M={big_m} p={p}"),
                    Expect::Holds,
                    gap,
                    TOL,
                    0.0,
                )
                .with("M", big_m)
                .with("p", p),
            );
            let paper_closed = |e: usize| ((big_m - e) as f64 / big_m as f64).powf(p);
            let wrong = max_gap(0..=big_m, |e| products[e], paper_closed);
            report.push(
                Case::new(
                    format!("paper's telescoped formula applied to the code's factors, M={big_m} p={p}"),
                    Expect::Violated,
                    wrong,
                    TOL,
                    0.0,
                )
                .with("M", big_m)
                .with("p", p)
                .note("the code starts at m = 0: its first factor is (M/(M+1))^p and δ never reaches 0"),
            );
            report.finding(format!(
                "Authors' code indexing (M={big_m}, p={p}): after the last epoch δ/δ₀ = {:.6e} = (M+1)^(−p), \
                 where the paper's 1-based schedule reaches 0; max gap to ((M−e)/M)^p = {wrong:.3e}.",
                products[big_m]
            ));
        }
        Ok(report)
    }
}
