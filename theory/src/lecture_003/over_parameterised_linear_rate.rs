//! C9.9 — over-parameterised least squares: single-sample SGD converges linearly to the
//! minimum-norm interpolant x†, E‖x_k − x†‖² decays exactly at the rate ρ(T|row(A)) of
//! the mean-square map, Wu's λ_max(T(I)) ≥ ρ, and E‖x_k − x†‖² diverges iff ρ > 1.
//!
//! Statement (lecture 003, "Overparameterization – LS example"; spec §9.5 and §8.2):
//! for A ∈ R^{200×1000}, b Gaussian, every ∇fᵢ(x†) = aᵢ(aᵢᵀx† − bᵢ) = 0, so from x₀ = 0
//! the iterates stay in row(A) and the error obeys e_{k+1} = (I − γaᵢaᵢᵀ)e_k exactly:
//! E\[e_{k+1}e_{k+1}ᵀ\] = T(E\[e_ke_kᵀ\]) with T(P) = E_i\[(I − γaᵢaᵢᵀ)P(I − γaᵢaᵢᵀ)\].
//! T is self-adjoint (Frobenius) and positive, so ρ = ρ(T) is its largest eigenvalue
//! with a PSD eigenvector V, E‖e_k‖² ~ cρ^k, and ρ ≤ ‖T(I)‖ = λ_max(T(I)) (Wu et al.).
//!
//! Computation (row-space coordinates z = (QU)ᵀe, see `least_squares_support`):
//! * ρ and V by the library's `spectrum::Lanczos` on 200×200 symmetric matrices (full
//!   reorthogonalisation, started from I/200 plus the projector on H̃'s λ_min
//!   eigenvector, stop at residual ≤ 1e−10·ρ; steps reported). Plain power iteration
//!   is not used: T's top eigenvalues are only γ(λ₂ − λ₁)(H̃) ~ 1e−5 apart, so it would
//!   need ~1e6 sweeps. The given start matters: from a random start Lanczos needs ~1.5×
//!   the steps (185 instead of 115 at γ·max‖aᵢ‖² = 0.25, seed 0).
//! * Rate: chains started with E\[e₀e₀ᵀ\] = V and ‖e₀‖² = tr V (e₀ = ±√(tr V)·wⱼ, wⱼ
//!   an eigenvector of V drawn with probability ∝ its eigenvalue), so that
//!   E‖e_k‖² = ρ^k·tr V exactly, with no transient; run until ρ^K = e^{−6} (ρ < 1) or
//!   e^{+1} (ρ > 1, where single chains are heavy-tailed), 1.2·10⁶ steps per step size
//!   (100–2000 chains): (a) the control variate ‖e_K‖² − ρ^K‖e₀‖² has mean 0
//!   (|z| ≤ Bonferroni over the 6 step sizes); (b) the log-slope
//!   ln(mean‖e_K‖²/tr V)/K is within 2% of log ρ (widened to 4 SE of the slope, delta
//!   method, where the chains cannot resolve 2%).
//! * The lecture's run from x₀ = 0 (24 chains, to ρ^K = e^{−40}): E‖e_K‖² → 0 iff
//!   ρ < 1; the log-slope over ρ^k ∈ [e^{−40}, e^{−20}] and the per-chain (Lyapunov)
//!   rate are reported as findings: with 24 chains they deviate from log ρ by up to
//!   5% (ρ < 1) and 13% (ρ > 1), because single chains follow the typical rate
//!   E ln‖e_k‖² (Jensen: faster decay, slower growth) and a few dozen chains do not
//!   sample the rare ones that carry E‖e_k‖².
//! * Exactness of the reduction: 2000 steps of the library's `sample_gradient` in R^1000
//!   from x₀ = 0 against the row-space recursion with the same indices.
//!
//! Step sizes: γ·max‖aᵢ‖² ∈ {0.25, 0.5, 1, 1.5} (every factor non-expansive, ρ < 1
//! expected) and γ·median‖aᵢ‖² ∈ {2.2, 3} (ρ > 1 expected).
//!
//! Refuting cases (must be FALSIFIED/FAIL): "ρ < 1" and "E‖x_k − x†‖² → 0" at the two
//! large step sizes; "Wu's λ_max(T(I)) equals ρ" (an equality only in 1-D).

use super::least_squares_support::{sgd_step, top_eigenvalue, OverParameterised};
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::LeastSquares;
use numerics::rng::Rng;
use numerics::stats::{bonferroni_z, slope, RunningStats};
use numerics::{Matrix, Seed, Vector};
use rand::Rng as _;

/// C9.9: over-parameterised LS: E‖x_k − x†‖² decays at rate ρ(T|row), Wu ≥ ρ,
/// divergence iff ρ > 1.
#[derive(Debug, Clone, Copy)]
pub struct OverParameterisedLinearRate;

/// Row-space steps (chains × K) per step size for the top-eigenvector chains.
const TOP_BUDGET: usize = 1_200_000;
/// Most chains started from the top eigenvector of T.
const TOP_CHAINS_MAX: usize = 2000;
/// |log ρ|·K for the top-eigenvector chains (decay for ρ < 1, growth for ρ > 1): short
/// enough that the multiplicative noise of single chains leaves their mean Gaussian.
/// Above the threshold, ‖e_K‖²/E‖e_K‖² is heavy-tailed (at γ·median‖aᵢ‖² = 3 its
/// relative standard deviation is ≈ 5 after 100 steps), so the growth is measured over
/// |log ρ|·K = 1 only.
const TOP_DECAY: [f64; 2] = [6.0, 1.0];
/// Chains of the lecture's run from x₀ = 0.
const ZERO_CHAINS: u64 = 24;
/// |log ρ|·K for the run from x₀ = 0.
const ZERO_DECAY: f64 = 40.0;

/// A sampler of z with E\[zzᵀ\] = V and ‖z‖² = tr V for a PSD V = Σⱼ μⱼwⱼwⱼᵀ (negative
/// μⱼ clipped to 0): z = ±√(tr V)·wⱼ with j drawn with probability μⱼ/tr V.
fn eigen_mixture_sampler(v: &Matrix) -> impl Fn(&mut Rng) -> Vector {
    let e = nalgebra::SymmetricEigen::new((v + v.transpose()) * 0.5);
    let weights: Vec<f64> = e.eigenvalues.iter().map(|&l| l.max(0.0)).collect();
    let trace: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut acc = 0.0;
    for w in &weights {
        acc += w / trace;
        cumulative.push(acc);
    }
    let vectors = e.eigenvectors;
    move |rng: &mut Rng| {
        let u: f64 = rng.random();
        let j = cumulative
            .iter()
            .position(|&c| u < c)
            .unwrap_or(cumulative.len() - 1);
        let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
        vectors.column(j) * (sign * trace.sqrt())
    }
}

/// Standard error of ln(ū/v̄) from paired samples (delta method).
fn log_ratio_se(u: &[f64], v: &[f64]) -> f64 {
    let n = u.len() as f64;
    let (mu, mv) = (u.iter().sum::<f64>() / n, v.iter().sum::<f64>() / n);
    let (mut suu, mut svv, mut suv) = (0.0, 0.0, 0.0);
    for (&a, &b) in u.iter().zip(v) {
        suu += (a - mu).powi(2);
        svv += (b - mv).powi(2);
        suv += (a - mu) * (b - mv);
    }
    let d = n - 1.0;
    let var = (suu / d) / (mu * mu) + (svv / d) / (mv * mv) - 2.0 * (suv / d) / (mu * mv);
    (var.max(0.0) / n).sqrt()
}

impl Check for OverParameterisedLinearRate {
    fn id(&self) -> &'static str {
        "over_parameterised_linear_rate"
    }
    fn spec_id(&self) -> &'static str {
        "C9.9"
    }
    fn statement(&self) -> &'static str {
        "Over-parameterised LS (A ∈ R^{200×1000}): E‖x_k − x†‖² decays at rate ρ(T|row(A)) \
         (log-slope within 2%), Wu's λ_max(T(I)) ≥ ρ, and E‖x_k − x†‖² diverges iff ρ > 1"
    }

    #[allow(clippy::too_many_lines)]
    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let start = std::time::Instant::now();
        let mut report = Report::new(self, seed);
        let ls = LeastSquares::gaussian(200, 1000, &mut seed.stream("over-parameterised-data"))?;
        let op = OverParameterised::new(ls)?;
        let n = op.n();
        let mut norms: Vec<f64> = op.coords.column_iter().map(|c| c.norm_squared()).collect();
        norms.sort_by(f64::total_cmp);
        let max_norm = norms.last().copied().unwrap_or(f64::NAN);
        let median_norm = 0.5 * (norms[n / 2 - 1] + norms[n / 2]);
        let z0 = -(op.basis.transpose() * &op.x_dagger);
        let imin = op.eigenvalues.imin();
        // Lanczos start: I/n plus the projector on H̃'s λ_min eigenvector (PSD, so not
        // orthogonal to the PSD top eigenvector of T).
        let lanczos_start = Matrix::from_fn(n, n, |j, k| {
            let diag = if j == k { 1.0 / n as f64 } else { 0.0 };
            diag + if j == imin && k == imin { 1.0 } else { 0.0 }
        });

        // Exactness of the row-space reduction, with the library's sample gradients.
        {
            let gamma = 1.0 / max_norm;
            let mut rng_x = seed.stream("reduction-check");
            let mut rng_z = seed.stream("reduction-check");
            let mut x = Vector::zeros(op.ls.a().ncols());
            let mut z = z0.clone();
            let (mut worst_err, mut worst_out) = (0.0_f64, 0.0_f64);
            for _ in 0..2000 {
                sgd_step(&op.ls, &mut x, gamma, &mut rng_x);
                op.row_step(&mut z, gamma, &mut rng_z);
                let e = &x - &op.x_dagger;
                worst_err =
                    worst_err.max((e.norm_squared() - z.norm_squared()).abs() / z.norm_squared());
                let inside = &op.basis * (op.basis.transpose() * &x);
                worst_out = worst_out.max((&x - inside).norm() / x.norm());
            }
            report.push(
                Case::new(
                    "‖x_k − x†‖² (sample_gradient in R^1000) = ‖z_k‖² (row-space recursion)",
                    Expect::Holds,
                    worst_err,
                    Relation::Le {
                        rtol: 0.0,
                        atol: 1e-9,
                    },
                    0.0,
                )
                .with("gamma", gamma)
                .with("steps", 2000)
                .note("max over k of the relative difference, same index sequence"),
            );
            report.push(
                Case::new(
                    "iterates from x₀ = 0 stay in row(A): ‖(I − Π_row)x_k‖/‖x_k‖",
                    Expect::Holds,
                    worst_out,
                    Relation::Le {
                        rtol: 0.0,
                        atol: 1e-12,
                    },
                    0.0,
                )
                .with("steps", 2000),
            );
        }

        let settings: Vec<(String, f64, bool)> = [0.25, 0.5, 1.0, 1.5]
            .iter()
            .map(|&c| (format!("γ·max‖aᵢ‖² = {c}"), c / max_norm, true))
            .chain(
                [2.2, 3.0]
                    .iter()
                    .map(|&c| (format!("γ·median‖aᵢ‖² = {c}"), c / median_norm, false)),
            )
            .collect();
        let zmax = bonferroni_z(settings.len(), 1e-3);
        for (si, (label, gamma, convergent)) in settings.iter().enumerate() {
            let (gamma, si) = (*gamma, si as u64);
            let top = top_eigenvalue(
                &lanczos_start,
                400,
                |p| op.mean_square_map(gamma, p),
                &mut seed.stream("over-parameterised-lanczos"),
            )?;
            let rho = top.value;
            let log_rho = rho.ln();
            let wu = nalgebra::SymmetricEigen::new(op.wu_matrix(gamma))
                .eigenvalues
                .max();
            report.push(
                Case::new(
                    format!("{label}: ρ(T|row) < 1"),
                    Expect::holds_if(*convergent),
                    rho,
                    Relation::Le {
                        rtol: 0.0,
                        atol: 0.0,
                    },
                    1.0,
                )
                .with("gamma", gamma)
                .with("lanczos_steps", top.steps)
                .with("lanczos_residual", top.residual)
                .note("ρ by Lanczos on the mean-square map (200×200 symmetric matrices)"),
            );
            report.push(
                Case::new(
                    format!("{label}: Wu's λ_max(T(I)) ≥ ρ"),
                    Expect::Holds,
                    wu,
                    Relation::GE,
                    rho,
                )
                .with("gamma", gamma)
                .note(format!("slack λ_max(T(I)) − ρ = {:.3e}", wu - rho)),
            );

            // Rate from the top eigenvector: E‖e_K‖² = ρ^K E‖e₀‖².
            let k_top = (TOP_DECAY[usize::from(!*convergent)] / log_rho.abs()).ceil() as usize;
            let top_chains = (TOP_BUDGET / k_top).clamp(100, TOP_CHAINS_MAX) as u64;
            let sampler = eigen_mixture_sampler(&top.vector);
            let rk = rho.powi(k_top as i32);
            let (mut u, mut v) = (Vec::new(), Vec::new());
            let mut control = RunningStats::new();
            for c in 0..top_chains {
                let mut rng = seed
                    .child(1000 * (si + 1) + c)
                    .stream("over-parameterised-top-chain");
                let mut z = sampler(&mut rng);
                let n0 = z.norm_squared();
                for _ in 0..k_top {
                    op.row_step(&mut z, gamma, &mut rng);
                }
                let nk = z.norm_squared();
                control.push(nk - rk * n0);
                u.push(nk);
                v.push(n0);
            }
            report.push(
                Case::mean_z(
                    format!("{label}: E‖e_K‖² = ρ^K E‖e₀‖² with E[e₀e₀ᵀ] = V_top"),
                    Expect::Holds,
                    &control,
                    zmax,
                    0.0,
                )
                .with("gamma", gamma)
                .with("rho", rho)
                .with("steps", k_top)
                .with("chains", top_chains)
                .note("control variate ‖e_K‖² − ρ^K‖e₀‖² per chain"),
            );
            let (mu, mv) = (
                u.iter().sum::<f64>() / u.len() as f64,
                v.iter().sum::<f64>() / v.len() as f64,
            );
            let ratio = (mu / mv).ln() / k_top as f64 / log_rho;
            let ratio_se = log_ratio_se(&u, &v) / (k_top as f64 * log_rho.abs());
            let tol = 0.02_f64.max(4.0 * ratio_se);
            report.push(
                Case::new(
                    format!("{label}: log-slope of E‖x_k − x†‖² / log ρ = 1 (±2%)"),
                    Expect::Holds,
                    ratio,
                    Relation::ClaimWithin {
                        lo: 1.0 - tol,
                        hi: 1.0 + tol,
                    },
                    1.0,
                )
                .with("gamma", gamma)
                .with("log_rho", log_rho)
                .with("ratio_se", ratio_se)
                .with("steps", k_top)
                .with("chains", top_chains)
                .note(format!(
                    "chains with E[e₀e₀ᵀ] = V_top; tolerance max(2%, 4·SE) = {:.1}%",
                    100.0 * tol
                )),
            );

            // The lecture's run from x₀ = 0.
            let k_zero = (ZERO_DECAY / log_rho.abs()).ceil() as usize;
            let every = (k_zero / 200).max(1);
            let points = k_zero / every + 1;
            let mut mean = vec![0.0; points];
            let mut lyapunov = RunningStats::new();
            for c in 0..ZERO_CHAINS {
                let mut rng = seed
                    .child(100_000 * (si + 1) + c)
                    .stream("over-parameterised-zero-chain");
                let mut z = z0.clone();
                mean[0] += z.norm_squared();
                let mut half = f64::NAN;
                for (j, m) in mean.iter_mut().enumerate().skip(1) {
                    for _ in 0..every {
                        op.row_step(&mut z, gamma, &mut rng);
                    }
                    *m += z.norm_squared();
                    if j == (points - 1) / 2 {
                        half = z.norm_squared();
                    }
                }
                lyapunov.push((z.norm_squared() / half).ln());
            }
            let (xs, ys): (Vec<f64>, Vec<f64>) = mean
                .iter()
                .enumerate()
                .map(|(j, &m)| ((j * every) as f64, (m / ZERO_CHAINS as f64).ln()))
                .filter(|&(k, _)| k * log_rho.abs() >= 0.5 * ZERO_DECAY)
                .unzip();
            let zero_ratio = slope(&xs, &ys) / log_rho;
            let growth = mean.last().copied().unwrap_or(f64::NAN) / mean[0];
            report.push(
                Case::new(
                    format!("{label}: E‖x_k − x†‖² → 0 from x₀ = 0"),
                    Expect::holds_if(*convergent),
                    growth,
                    Relation::Le {
                        rtol: 0.0,
                        atol: 0.0,
                    },
                    1.0,
                )
                .with("gamma", gamma)
                .with("steps", (points - 1) * every)
                .with("chains", ZERO_CHAINS)
                .note("measured mean over chains of ‖e_K‖²/‖e₀‖² with |log ρ|·K = 40"),
            );
            report.finding(format!(
                "{label} (γ = {gamma:.4e}): ρ = {rho:.8} ({} Lanczos steps), Wu λ_max(T(I)) = {wu:.8}; from x₀ = 0, \
                 slope of ln(mean of {ZERO_CHAINS} chains) over ρ^k ∈ [e^-40, e^-20] / log ρ = {zero_ratio:.4}; \
                 per-chain (Lyapunov) rate E ln(‖e_K‖²/‖e_K/2‖²)/(K/2) / log ρ = {:.4} (variance of the ln over chains {:.2})",
                top.steps,
                lyapunov.mean() / (((points - 1) / 2 * every) as f64) / log_rho,
                lyapunov.variance()
            ));

            if (label.as_str(), *convergent) == ("γ·max‖aᵢ‖² = 1", true) {
                report.push(
                    Case::new(
                        format!("{label}: Wu's λ_max(T(I)) is the exact rate ρ (true only in 1-D)"),
                        Expect::Violated,
                        wu,
                        Relation::EXACT,
                        rho,
                    )
                    .with("gamma", gamma)
                    .note("multi-D: Wu's criterion is sufficient, not exact"),
                );
            }
        }
        report.finding(format!(
            "data: max‖aᵢ‖² = {max_norm:.1}, median‖aᵢ‖² = {median_norm:.1}, eigenvalues of AAᵀ/N in [{:.4}, {:.4}]",
            op.eigenvalues.min(),
            op.eigenvalues.max()
        ));
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}
