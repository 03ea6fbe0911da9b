//! C8.3 — simulated linearised SGD chains against the mean-square operator
//! (spec §8.2, check C8.3).
//!
//! Statement: for eₜ₊₁ = (I − ηH_{Sₜ})eₜ (uniform B-subsets without replacement),
//! E‖eₜ‖² = tr(Tᵗ(P₀)) grows or decays like ρ(T)ᵗ: the slope of ln E‖eₜ‖² in t is
//! ln ρ(T), and the chains diverge in mean square iff ρ(T) > 1.
//!
//! Measurement: independent chains from e₀ ~ N(0, I/d) (P₀ = I/d); the slope of
//! ln(mean ‖eₜ‖²) over t ∈ [100, 400] by least squares, with a delete-one-group
//! jackknife standard error over 20 groups of chains; the mean ‖e₄₀₀‖² against the
//! exact tr(T⁴⁰⁰(I/d)) (z-test, Bonferroni over the η grid).
//!
//! Rules:
//! * slope (the spec's stochastic policy, §0.3): with rel = |slope/ln ρ − 1| and SE the
//!   jackknife standard error relative to |ln ρ|, the claim "within 2%" passes unless
//!   significantly violated: PASS if rel − 4·SE ≤ 2%, FAIL if rel − 4·SE > 2% (the
//!   4-SE interval lies outside the band). (An earlier equivalence rule, PASS only if
//!   rel + 2·SE ≤ 2%, left holding cases INCONCLUSIVE for 9 of 90 seeds: it asks for
//!   more power than 2·10⁴ chains give, and it is not the spec's rule.)
//! * divergence iff ρ > 1: PASS if the slope has the sign of ln ρ and is 4 SE away from
//!   0; |ρ − 1| < 0.01 is INCONCLUSIVE by the spec's rule;
//! * every rule is INCONCLUSIVE when the effective sample size (Σx)²/Σx² of the final
//!   ‖e₄₀₀‖² is below 100: the mean of a product of random matrices is then carried by
//!   a few chains and the sample mean (and its SE) track the typical, not the
//!   mean-square, rate.
//!
//! The main family has weakly heterogeneous Hessians Hᵢ = H₀ + 0.1·gᵢgᵢᵀ (n = 20,
//! B = 4, d = 4), so that mean-square and typical growth stay within reach of 2·10⁴
//! chains yet the Hessian noise moves ln ρ(T) by ≈ 7% away from the GD rate
//! ln (1 − ηλ_max)². Refuting case: that GD rate, which ignores the Hessian noise, as the
//! prediction of the slope (FAIL). A strongly heterogeneous family (n = 10, B = 2,
//! Hᵢ = GᵢGᵢᵀ) shows where the spec's protocol cannot decide.

use super::support::{
    effective_sample_size, exact_mean_square_path, learning_rate_for_radius, log_mean_slope,
    random_psd_hessians, simulate_linearised_sgd,
};
use crate::support::gaussian_matrix;
use crate::{Case, Check, Expect, Relation, Report, Result, TheoryError, Verdict};
use numerics::spectrum::{lambda_max, MeanSquareStability};
use numerics::stats::{bonferroni_z, RunningStats};
use numerics::{Matrix, Seed};

/// C8.3: ln E‖eₜ‖² of simulated linearised SGD grows like t·ln ρ(T); divergence iff ρ(T) > 1.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinearisedSgdSimulation;

const STEPS: usize = 400;
const WINDOW_START: usize = 100;
const GROUPS: usize = 20;
const MIN_ESS: f64 = 100.0;

/// Share of ln ρ(T) at ρ(T) = 1.02 that the Hessian noise contributes beyond the GD
/// rate, 1 − ln(1 − ηλ_max)²/ln ρ(T): large enough that the GD rate misses the 2% band,
/// small enough that 2·10⁴ chains resolve the mean square (effective sample size).
const NOISE_SHARE: f64 = 0.055;

/// η with ρ(T(η)) = `target` near the GD boundary ηλ_max = 2 (bisection on
/// [1.8, 2.2]/λ_max, where ρ increases in η for the weak-noise family).
fn boundary_learning_rate(map: &MeanSquareStability, target: f64) -> Result<f64> {
    let lmax = lambda_max(map.mean_hessian())?;
    let (mut lo, mut hi) = (1.8 / lmax, 2.2 / lmax);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if map.clone().with_learning_rate(mid)?.spectral_radius()? > target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// The spike scale c of Hᵢ = H₀ + c·gᵢgᵢᵀ for which the noise share at ρ(T) = 1.02 is
/// `share` (bisection on c ∈ [1e−3, 2]; the share grows with c), so that every seed
/// gets the same noise level.
fn calibrate_noise(family: &dyn Fn(f64) -> Result<MeanSquareStability>, share: f64) -> Result<f64> {
    let share_at = |c: f64| -> Result<f64> {
        let map = family(c)?;
        let eta = boundary_learning_rate(&map, 1.02)?;
        let gd = (1.0 - eta * lambda_max(map.mean_hessian())?).powi(2).ln();
        Ok(1.0 - gd / 1.02_f64.ln())
    };
    let (mut lo, mut hi): (f64, f64) = (1e-3, 2.0);
    for _ in 0..40 {
        let mid = (lo * hi).sqrt();
        if share_at(mid)? > share {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok((lo * hi).sqrt())
}

/// Simulation summary for one learning rate.
struct Run {
    rho: f64,
    slope: f64,
    se: f64,
    ess: f64,
    mc_final: f64,
    mc_final_se: f64,
    exact_final: f64,
    gd_rate: f64,
}

fn simulate(map: &MeanSquareStability, chains: usize, seed: Seed, label: &str) -> Result<Run> {
    let eta = map.learning_rate();
    let mut rng = seed.stream(label);
    let run = simulate_linearised_sgd(
        map.hessians(),
        map.batch_size(),
        eta,
        STEPS,
        chains,
        GROUPS,
        &mut rng,
    );
    let (slope, se) = log_mean_slope(&run.group_means, WINDOW_START..=STEPS);
    let mut finals = RunningStats::new();
    run.finals.iter().for_each(|&x| finals.push(x));
    let exact = exact_mean_square_path(map, STEPS)?;
    Ok(Run {
        rho: map.spectral_radius()?,
        slope,
        se,
        ess: effective_sample_size(&run.finals),
        mc_final: finals.mean(),
        mc_final_se: finals.std_error(),
        exact_final: exact[STEPS],
        gd_rate: (1.0 - eta * lambda_max(map.mean_hessian())?).powi(2),
    })
}

/// The case "the measured slope lies within 2% of `reference`", decided by
/// [`slope_verdict`].
fn slope_within_2_percent(name: String, expect: Expect, run: &Run, reference: f64) -> Case {
    let band = 0.02 * reference.abs();
    Case::decided(
        name,
        expect,
        run.slope,
        reference,
        Relation::Within {
            lo: reference - band,
            hi: reference + band,
        },
        slope_verdict(run, reference),
    )
}

/// The spec's stochastic rule (§0.3) for "the slope lies within 2% of `reference`" (a
/// log-rate): FAIL only if the 4-SE interval of rel = |slope/reference − 1| lies above
/// 2%, otherwise PASS; INCONCLUSIVE when the effective sample size is too small for
/// the SE to mean anything.
fn slope_verdict(run: &Run, reference: f64) -> Verdict {
    if run.ess < MIN_ESS {
        return Verdict::Inconclusive;
    }
    let rel = (run.slope / reference - 1.0).abs();
    let rel_se = run.se / reference.abs();
    if rel - 4.0 * rel_se > 0.02 {
        Verdict::Fail
    } else {
        Verdict::Pass
    }
}

/// Divergence iff ρ > 1, with the spec's inconclusive band |ρ − 1| < 0.01.
fn divergence_verdict(run: &Run) -> Verdict {
    if (run.rho - 1.0).abs() < 0.01 || run.ess < MIN_ESS || run.slope.abs() < 4.0 * run.se {
        return Verdict::Inconclusive;
    }
    if (run.slope > 0.0) == (run.rho > 1.0) {
        Verdict::Pass
    } else {
        Verdict::Falsified
    }
}

impl Check for LinearisedSgdSimulation {
    fn id(&self) -> &'static str {
        "linearised_sgd_simulation"
    }
    fn spec_id(&self) -> &'static str {
        "C8.3"
    }
    fn statement(&self) -> &'static str {
        "Simulated linearised SGD: the slope of ln E‖e_t‖² in t equals ln ρ(T) (within 2%), and E‖e_t‖² diverges iff ρ(T) > 1"
    }

    fn run(&self, seed: Seed) -> Result<Report> {
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("linearised-sgd-family");
        let (d, n, b) = (4usize, 20usize, 4usize);
        let g0 = gaussian_matrix(d, d, &mut rng);
        let h0 = &g0 * g0.transpose() / d as f64 + Matrix::identity(d, d) * 0.2;
        let spikes: Vec<Matrix> = (0..n)
            .map(|_| {
                let g = gaussian_matrix(d, 1, &mut rng);
                &g * g.transpose()
            })
            .collect();
        let family = |c: f64| -> Result<MeanSquareStability> {
            let hessians = spikes
                .iter()
                .map(|s| {
                    let h = &h0 + s * c;
                    (&h + h.transpose()) * 0.5
                })
                .collect();
            Ok(MeanSquareStability::new(hessians, b, 1.0)?)
        };
        let c = calibrate_noise(&family, NOISE_SHARE)?;
        let base = family(c)?;
        let eta_max = 2.2 / lambda_max(base.mean_hessian())?;
        let targets = [0.97, 0.98, 0.995, 1.005, 1.02, 1.03];
        let z_max = bonferroni_z(4, 1e-3);
        let mut gd_refutation = None;
        for (k, &target) in targets.iter().enumerate() {
            let eta = learning_rate_for_radius(&base, target, eta_max, 400)?.ok_or_else(|| {
                TheoryError::Other(format!("no learning rate with ρ(T) = {target}"))
            })?;
            let map = base.clone().with_learning_rate(eta)?;
            // The spec's 2·10⁴ chains, except at the boundary, which is inconclusive by
            // rule, and at ρ = 1.02, which also carries the refuting GD-rate case: the GD
            // rate misses ln ρ by ≈ 5.8% (NOISE_SHARE), which the rule declares only
            // when 4 SE < 3.8%; with 2·10⁴ chains the relative SE reached 1% (heavy
            // tails of ‖eₜ‖², effective sample size ≈ 350) and the case was undecided for
            // some seeds. 6·10⁴ chains give SE ≈ 0.3% (≥ 10 SE of margin).
            let chains = if (target - 1.0_f64).abs() < 0.01 {
                5_000
            } else if (target - 1.02_f64).abs() < 1e-12 {
                60_000
            } else {
                20_000
            };
            let run = simulate(&map, chains, seed.child(k as u64), "linearised-sgd-chains")?;
            let log_rho = run.rho.ln();
            let boundary = (run.rho - 1.0).abs() < 0.01;
            let tag = format!("ρ(T)={:.3} (η={eta:.4}, n={n}, B={b}, d={d})", run.rho);
            if !boundary {
                report.push(
                    slope_within_2_percent(
                        format!("slope of ln E‖e_t‖² = ln ρ(T) within 2%: {tag}"),
                        Expect::Holds,
                        &run,
                        log_rho,
                    )
                    .with("jackknife_se", run.se)
                    .with("relative_error", run.slope / log_rho - 1.0)
                    .with("ess", run.ess)
                    .with("chains", chains)
                    .with("window", format!("[{WINDOW_START}, {STEPS}]"))
                    .with("spike_scale", c),
                );
            }
            report.push(
                Case::decided(
                    format!("diverges iff ρ(T) > 1: {tag}"),
                    if boundary {
                        Expect::Undecided
                    } else {
                        Expect::Holds
                    },
                    run.slope,
                    0.0,
                    if run.rho > 1.0 {
                        Relation::GE
                    } else {
                        Relation::LE
                    },
                    divergence_verdict(&run),
                )
                .with("jackknife_se", run.se)
                .with("rho", run.rho)
                .note(if boundary {
                    "|ρ − 1| < 0.01: inconclusive by the spec's rule"
                } else {
                    ""
                }),
            );
            if !boundary {
                let relation = Relation::ZScore {
                    se: run.mc_final_se,
                    max_z: z_max,
                };
                let verdict = if run.ess < MIN_ESS {
                    Verdict::Inconclusive
                } else {
                    relation.verdict(run.mc_final, run.exact_final)
                };
                report.push(
                    Case::decided(
                        format!("mean ‖e_400‖² = tr(T⁴⁰⁰(I/d)): {tag}"),
                        Expect::Holds,
                        run.mc_final,
                        run.exact_final,
                        relation,
                        verdict,
                    )
                    .with("ess", run.ess)
                    .with("chains", chains)
                    .note("Bonferroni over the 4 decisive learning rates (family error 1e−3)"),
                );
            }
            if (target - 1.02).abs() < 1e-12 {
                gd_refutation = Some((run, tag));
            }
        }

        // Refuting: the GD rate (1 − ηλ_max)², which ignores the Hessian noise.
        if let Some((run, tag)) = gd_refutation {
            let gd_log = run.gd_rate.ln();
            report.push(
                slope_within_2_percent(
                    format!("GD rate ln(1 − ηλ_max)² predicts the slope within 2%: {tag}"),
                    Expect::Violated,
                    &run,
                    gd_log,
                )
                .with("ln_rho", run.rho.ln())
                .with("jackknife_se", run.se)
                .with("relative_error", run.slope / gd_log - 1.0)
                .with("ess", run.ess)
                .note("the Hessian noise η²p[(1/n)ΣHᵢPHᵢ − HPH] is what moves the rate"),
            );
        }

        // Where the protocol cannot decide: strongly heterogeneous Hessians.
        let mut rng = seed.stream("linearised-sgd-heavy");
        let heavy = MeanSquareStability::new(random_psd_hessians(10, 3, 2, &mut rng), 2, 1.0)?;
        let eta_max = 2.0 / lambda_max(heavy.mean_hessian())?;
        if let Some(eta) = learning_rate_for_radius(&heavy, 1.02, eta_max, 400)? {
            let map = heavy.with_learning_rate(eta)?;
            let heavy_chains = 4000;
            let run = simulate(&map, heavy_chains, seed, "linearised-sgd-heavy-chains")?;
            let log_rho = run.rho.ln();
            let eta_lambda = eta * lambda_max(map.mean_hessian())?;
            report.push(
                Case::decided(
                    format!("heterogeneous Hᵢ (n=10, B=2, d=3), ρ(T)={:.3}, ηλ_max={eta_lambda:.3}: slope = ln ρ within 2%", run.rho),
                    Expect::Undecided,
                    run.slope,
                    log_rho,
                    Relation::Within { lo: log_rho - 0.02 * log_rho.abs(), hi: log_rho + 0.02 * log_rho.abs() },
                    slope_verdict(&run, log_rho),
                )
                .with("ess", run.ess)
                .with("chains", heavy_chains)
                .with("mc_mean_final", run.mc_final)
                .with("exact_mean_final", run.exact_final)
                .note("ESS < 100: the sample mean follows the typical (Lyapunov) rate, not the mean-square rate"),
            );
            report.finding(format!(
                "The simulation protocol of C8.3 (≈10⁴ chains, 400 steps) resolves ln ρ(T) only when the Hessian noise is weak. With Hᵢ = GᵢGᵢᵀ (n = 10, B = 2, d = 3) at ηλ_max(H) = {eta_lambda:.3} < 2 and ρ(T) = {:.3} > 1, {heavy_chains} chains give a slope {:.4} (ln ρ = {log_rho:.4}), ESS = {:.1}, mean ‖e_400‖² = {:.3e} vs exact {:.3e}: the chains typically converge while E‖e_t‖² diverges. Such cases are reported INCONCLUSIVE, not as agreement; the spec's 'confirmed by 20000-chain simulation' for B = 1 counterexamples is subject to the same bias.",
                run.rho, run.slope, run.ess, run.mc_final, run.exact_final
            ));
        }
        Ok(report)
    }
}
