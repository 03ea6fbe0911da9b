//! C8.2 — Wu, Ma & E (2018): linear stability of SGD, against the exact mean-square
//! operator (spec §8.2; Mulayoff & Michaeli 2023).
//!
//! At an interpolating minimum with per-sample Hessians Hᵢ ⪰ 0, linearised SGD with a
//! uniform B-subset (without replacement) is eₜ₊₁ = (I − ηH_{Sₜ})eₜ. Its second
//! moment obeys Pₜ₊₁ = T(Pₜ) with
//! T(P) = (I − ηH)P(I − ηH) + η²p[(1/n)ΣHᵢPHᵢ − HPH], p = (n − B)/(B(n − 1)), and the
//! minimum is mean-square stable iff ρ(T) ≤ 1. Wu et al.'s condition
//! λ_max((I − ηH)² + η²pΣ) ≤ 1, Σ = (1/n)ΣHᵢ² − H², is λ_max(T(I)) ≤ 1; since T is a
//! positive map, ρ(T) ≤ λ_max(T(I)): the condition is sufficient, and exact in 1-D.
//!
//! Cases:
//! * identity: T(P) and E[(H_S − H)²] = pΣ against brute-force expectations over every
//!   B-subset (independent of the formula), to 1e−12;
//! * ρ(T) ≤ Wu on random PSD Hᵢ (n ∈ [3, 20], B ∈ [1, n − 1], d ≤ 12 by the Kronecker
//!   matrix; d ∈ 13..16 by power iteration on symmetric P, cross-checked against the
//!   Kronecker matrix);
//! * 1-D: ρ(T) = Wu = (1 − ηh̄)² + η²pσ² for B ∈ {1, 3}, η ∈ {0.2, 0.5, 0.8};
//! * 1-D necessary condition ηs√p ≤ 1 (s = √Σ) on stable cases;
//! * refuting: Wu's condition read as *necessary* (Wu > 1 ⇒ unstable), on the
//!   spec's family n = 7, d = 10, B = 1, ηλ_max(H) = 0.65: a case with Wu > 1 but
//!   ρ(T) < 1 (FALSIFIED), its decay confirmed by iterating T;
//! * refuting: the 1-D necessary bound carried to multi-D with s = √λ_max(Σ): a
//!   stable case (d = 3, n = 6, B = 1) with ηs√p > 1 (FALSIFIED).

use super::support::{all_subsets, exact_mean_square_path, random_psd_hessians};
use crate::{Case, Check, Expect, Relation, Report, Result, TheoryError, Verdict};
use numerics::spectrum::{lambda_max, MeanSquareStability, PowerIteration};
use numerics::{Matrix, Seed};
use rand::Rng as _;

/// C8.2: ρ(T) ≤ λ_max((I − ηH)² + η²pΣ) (Wu's condition is sufficient, exact in 1-D, not necessary).
#[derive(Debug, Clone, Copy, Default)]
pub struct SgdLinearStability;

/// Brute-force E_S[(I − ηH_S)P(I − ηH_S)] and E_S[(H_S − H)²] over every B-subset.
fn enumerated_moments(map: &MeanSquareStability, p: &Matrix) -> (Matrix, Matrix) {
    let (n, b, eta, d) = (map.n(), map.batch_size(), map.learning_rate(), map.dim());
    let subsets = all_subsets(n, b);
    let mut t = Matrix::zeros(d, d);
    let mut second = Matrix::zeros(d, d);
    for s in &subsets {
        let mut hs = Matrix::zeros(d, d);
        for &i in s {
            hs += &map.hessians()[i];
        }
        hs /= b as f64;
        let g = Matrix::identity(d, d) - &hs * eta;
        t += &g * p * &g;
        let dev = &hs - map.mean_hessian();
        second += &dev * &dev;
    }
    let k = subsets.len() as f64;
    (t / k, second / k)
}

/// λ_max(Σ)^{1/2}, the multi-D reading of s.
fn s_multi(map: &MeanSquareStability) -> Result<f64> {
    Ok(lambda_max(&map.hessian_covariance())?.max(0.0).sqrt())
}

impl Check for SgdLinearStability {
    fn id(&self) -> &'static str {
        "sgd_linear_stability"
    }
    fn spec_id(&self) -> &'static str {
        "C8.2"
    }
    fn statement(&self) -> &'static str {
        "Linearised SGD is mean-square stable iff ρ(T) ≤ 1; Wu et al.'s λ_max((I − ηH)² + η²pΣ) ≥ ρ(T) is sufficient, exact in 1-D, not necessary in multi-D"
    }

    fn run(&self, seed: Seed) -> Result<Report> {
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("wu-criterion");

        // 1. The formula for T and for E[(H_S − H)²] against enumeration of all subsets.
        for (n, b, d, eta) in [
            (5usize, 2usize, 3usize, 0.3),
            (6, 3, 4, 0.2),
            (7, 1, 2, 0.45),
        ] {
            let map = MeanSquareStability::new(random_psd_hessians(n, d, d, &mut rng), b, eta)?;
            let p = {
                let g = crate::support::gaussian_matrix(d, d, &mut rng);
                &g * g.transpose()
            };
            let (t_enum, second_enum) = enumerated_moments(&map, &p);
            let t_formula = map.apply(&p)?;
            let second_formula = map.hessian_covariance() * map.batch_factor();
            let defect = ((&t_formula - &t_enum).abs().max() / t_enum.abs().max()).max(
                (&second_formula - &second_enum).abs().max() / second_enum.abs().max().max(1e-300),
            );
            report.push(
                Case::new(
                    format!("T(P) and E[(H_S − H)²] = pΣ vs all {} subsets (n={n}, B={b}, d={d})", all_subsets(n, b).len()),
                    Expect::Holds,
                    defect,
                    Relation::ApproxEq { rtol: 0.0, atol: 1e-12 },
                    0.0,
                )
                .with("n", n)
                .with("batch_size", b)
                .with("p", map.batch_factor())
                .note("relative max-entry defect of the closed forms against brute-force expectations"),
            );
        }

        // 2. ρ(T) ≤ Wu on random configurations (Kronecker, d ≤ 12).
        let trials = 300;
        let mut worst: f64 = 0.0;
        let mut wu_above_rho_below = 0usize;
        for _ in 0..trials {
            let n = rng.random_range(3..=20);
            let b = rng.random_range(1..n);
            let d = rng.random_range(1..=12);
            let hessians = random_psd_hessians(n, d, d, &mut rng);
            let map = MeanSquareStability::new(hessians, b, 1.0)?;
            let eta = rng.random_range(0.05..2.2) / lambda_max(map.mean_hessian())?;
            let map = map.with_learning_rate(eta)?;
            let (rho, wu) = (map.spectral_radius_kronecker()?, map.wu_criterion()?);
            worst = worst.max(rho / wu);
            if wu > 1.0 && rho < 1.0 {
                wu_above_rho_below += 1;
            }
        }
        report.push(
            Case::new(
                format!("ρ(T) ≤ Wu: max ρ/Wu over {trials} random (n, B, d ≤ 12, η)"),
                Expect::Holds,
                worst,
                Relation::LE,
                1.0,
            )
            .with("trials", trials)
            .with("wu_gt_1_but_rho_lt_1", wu_above_rho_below)
            .note("ρ by the symmetric d²×d² Kronecker matrix; Hᵢ = GᵢGᵢᵀ of random rank"),
        );

        // 3. Larger d: power iteration on symmetric P, cross-checked with Kronecker.
        let mut worst_large: f64 = 0.0;
        let mut worst_agreement: f64 = 0.0;
        let mut iterations = Vec::new();
        let power = PowerIteration::new().with_max_iterations(20_000)?;
        for _ in 0..3 {
            let n = rng.random_range(3..=20);
            let b = rng.random_range(1..n);
            let d = rng.random_range(13..=16);
            let map = MeanSquareStability::new(random_psd_hessians(n, d, d, &mut rng), b, 1.0)?;
            let eta = rng.random_range(0.5..2.0) / lambda_max(map.mean_hessian())?;
            let map = map.with_learning_rate(eta)?;
            let r = map.spectral_radius_power(&power)?;
            if !r.converged {
                return Err(TheoryError::Other(format!(
                    "power iteration did not converge in {} iterations",
                    r.iterations
                )));
            }
            iterations.push(r.iterations);
            worst_large = worst_large.max(r.value / map.wu_criterion()?);
            let kron = map.spectral_radius_kronecker()?;
            worst_agreement = worst_agreement.max((r.value - kron).abs() / kron);
        }
        report.push(
            Case::new(
                "ρ(T) ≤ Wu for d ∈ 13..16 (power iteration on symmetric P)",
                Expect::Holds,
                worst_large,
                Relation::LE,
                1.0,
            )
            .with("power_iterations", iterations.clone()),
        );
        report.push(
            Case::new(
                "power iteration (tol 1e−10) agrees with the Kronecker matrix, d ∈ 13..16",
                Expect::Holds,
                worst_agreement,
                Relation::ApproxEq { rtol: 0.0, atol: 1e-7 },
                0.0,
            )
            .with("power_iterations", iterations)
            .note("stopping at relative change 1e−10 leaves ≈1e−10·r/(1 − r) with r the gap ratio of T"),
        );

        // 4. 1-D: equality with the closed form, and the necessary bound ηs√p ≤ 1.
        let mut worst_1d: f64 = 0.0;
        let mut max_s_bound_stable: f64 = 0.0;
        for b in [1usize, 3] {
            for eta in [0.2, 0.5, 0.8] {
                let n = 7;
                let h: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..3.0)).collect();
                let map = MeanSquareStability::new(
                    h.iter().map(|&x| Matrix::from_element(1, 1, x)).collect(),
                    b,
                    eta,
                )?;
                let mean = h.iter().sum::<f64>() / n as f64;
                let var = h.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
                let p = (n - b) as f64 / (b as f64 * (n - 1) as f64);
                // Reference: scalar closed form, computed here without the library.
                let closed = (1.0 - eta * mean).powi(2) + eta * eta * p * var;
                let (rho, wu) = (map.spectral_radius()?, map.wu_criterion()?);
                worst_1d = worst_1d
                    .max((rho - closed).abs() / closed)
                    .max((wu - closed).abs() / closed);
                if rho <= 1.0 {
                    max_s_bound_stable = max_s_bound_stable.max(eta * var.sqrt() * p.sqrt());
                }
            }
        }
        report.push(Case::new(
            "1-D: ρ(T) = Wu = (1 − ηh̄)² + η²pσ², B ∈ {1,3}, η ∈ {0.2,0.5,0.8}: max rel. defect",
            Expect::Holds,
            worst_1d,
            Relation::ApproxEq {
                rtol: 0.0,
                atol: 1e-12,
            },
            0.0,
        ));
        report.push(Case::new(
            "1-D necessary condition on stable cases: max ηs√p ≤ 1",
            Expect::Holds,
            max_s_bound_stable,
            Relation::LE,
            1.0,
        ));

        // 5. Refuting: Wu's condition read as necessary (spec family n=7, d=10, B=1, ηλ_max=0.65).
        let draws = 40;
        let mut counterexamples = 0usize;
        let mut best: Option<(f64, f64, MeanSquareStability)> = None;
        for _ in 0..draws {
            let map = MeanSquareStability::new(random_psd_hessians(7, 10, 10, &mut rng), 1, 1.0)?;
            let eta = 0.65 / lambda_max(map.mean_hessian())?;
            let map = map.with_learning_rate(eta)?;
            let (wu, rho) = (map.wu_criterion()?, map.spectral_radius()?);
            if wu > 1.0 && rho < 1.0 {
                counterexamples += 1;
                if best.as_ref().is_none_or(|(w, r, _)| wu - rho > w - r) {
                    best = Some((wu, rho, map));
                }
            }
        }
        match best {
            Some((wu, rho, map)) => {
                let path = exact_mean_square_path(&map, 400)?;
                report.push(
                    Case::new(
                        "Wu read as necessary: Wu > 1 ⇒ ρ(T) ≥ 1 (n=7, d=10, B=1, ηλ_max=0.65)",
                        Expect::Violated,
                        rho,
                        Relation::GE,
                        1.0,
                    )
                    .with("wu", wu)
                    .with("rho", rho)
                    .with("exact_E_norm2_at_400", path[400])
                    .with("counterexamples", format!("{counterexamples}/{draws}"))
                    .note("E‖e_t‖² = tr(Tᵗ(I/d)) by iterating T: decays although Wu > 1"),
                );
                report.finding(format!(
                    "Wu et al.'s condition is sufficient but not necessary: {counterexamples} of {draws} random draws with n = 7, d = 10, B = 1, ηλ_max(H) = 0.65 have Wu > 1 > ρ(T); the largest gap: Wu = {wu:.4} vs ρ(T) = {rho:.4}, exact E‖e_400‖² = {:.3e} (spec's example: Wu 1.016 vs 0.969). Over {trials} random (n, B, d, η): {wu_above_rho_below} such cases, and never ρ > Wu (max ρ/Wu = {worst:.12}).",
                    path[400]
                ));
            }
            None => report.push(Case::decided(
                "Wu read as necessary: no counterexample found in the draws",
                Expect::Violated,
                f64::NAN,
                1.0,
                Relation::GE,
                Verdict::Inconclusive,
            )),
        }

        // 6. Refuting: the 1-D s-bound in multi-D (d=3, n=6, B=1).
        let mut s_best: Option<(f64, f64, MeanSquareStability)> = None;
        let mut stable_count = 0usize;
        let mut violations = 0usize;
        let mut max_bound: f64 = 0.0;
        let draws = 4000;
        for _ in 0..draws {
            let map = MeanSquareStability::new(random_psd_hessians(6, 3, 3, &mut rng), 1, 1.0)?;
            let eta = rng.random_range(0.05..2.0) / lambda_max(map.mean_hessian())?;
            let map = map.with_learning_rate(eta)?;
            let rho = map.spectral_radius()?;
            if rho < 0.99 {
                stable_count += 1;
                let bound = eta * s_multi(&map)? * map.batch_factor().sqrt();
                if bound > 1.0 {
                    violations += 1;
                    max_bound = max_bound.max(bound);
                    // Keep the most decisive counterexample: the smallest ρ(T).
                    if s_best.as_ref().is_none_or(|(_, r, _)| rho < *r) {
                        s_best = Some((bound, rho, map));
                    }
                }
            }
        }
        match s_best {
            Some((bound, rho, map)) => {
                let path = exact_mean_square_path(&map, 400)?;
                report.push(
                    Case::new(
                        "multi-D s-bound: stable ⇒ η√(λ_max Σ)·√p ≤ 1 (d=3, n=6, B=1)",
                        Expect::Violated,
                        bound,
                        Relation::LE,
                        1.0,
                    )
                    .with("rho", rho)
                    .with("exact_E_norm2_at_400", path[400])
                    .with(
                        "violations",
                        format!("{violations}/{stable_count} stable draws (ρ < 0.99)"),
                    ),
                );
                report.finding(format!(
                    "The 1-D necessary condition s ≤ (1/η)√(1/p) does not carry over to multi-D with s = √λ_max(Σ): {violations} of {stable_count} stable random draws (d = 3, n = 6, B = 1, ρ < 0.99) violate it (largest ηs√p = {max_bound:.4}); the most stable one: ηs√p = {bound:.4} with ρ(T) = {rho:.4}, exact E‖e_400‖² = {:.3e} (spec's example: ρ 0.90, ηs√p 1.012).",
                    path[400]
                ));
            }
            None => report.push(Case::decided(
                "multi-D s-bound: no counterexample found in the draws",
                Expect::Violated,
                f64::NAN,
                1.0,
                Relation::LE,
                Verdict::Inconclusive,
            )),
        }
        Ok(report)
    }
}
