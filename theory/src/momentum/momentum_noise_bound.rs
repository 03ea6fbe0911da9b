//! C6.4 — the SHB/NSHB noise formulas as bounds on the search direction's deviation
//! (exploratory).
//!
//! Statement (spec §6.3/§6.4, the authors' `next_delta_SHB`/`next_delta_NSHB`): the
//! degree of smoothing of momentum SGD is δ = η·√V with V a bound on the mean-square
//! deviation of the search direction from the gradient, E‖m_t − ∇f(x_t)‖² ≤ V:
//! V_SHB = C²/b + β̂(β)(C²/b + K²), V_NSHB = C²/b + 4β²(C²/b + K²), where K bounds ‖∇f‖
//! along the trajectory. (This reading of the formula is ours: the typeset derivation is
//! unconfirmed.)
//!
//! Measured: f = ½hx² with additive gradient noise N(0, C²/b), SHB m ← βm + g and NSHB
//! m ← βm + (1 − β)g, x ← x − ηm. The stationary E[(m_t − hx_t)²] is simulated (2000
//! seeded chains, burn-in until ρ(A)^B < 1e−10, then a 2000-step time average per chain;
//! SE across chains) and compared with
//! * the exact stationary value from the 2×2 Lyapunov equation Σ = AΣAᵀ + σ²BBᵀ
//!   (|z| ≤ max(4, Bonferroni over the grid)), and
//! * the bound V with K² = E[(hx)²] (the gradient's stationary mean square, the smallest
//!   K that bounds it "on average"; a K bounding the whole Gaussian trajectory does not
//!   exist, and any K ≥ K_rms only loosens V): ratio measured/V, falsified as a bound if
//!   measured − 4SE > V.
//!
//! Refuting case: the SGD formula V = C²/b applied to SHB (β = 0.9) — momentum
//! accumulates noise, so the deviation exceeds C²/b by a factor ≈ 5.

use crate::{Case, Check, Expect, Relation, Report};
use nalgebra::{Matrix3, Vector3};
use numerics::schedule::Optimizer;
use numerics::smoothing::beta_hat;
use numerics::stats::{bonferroni_z, RunningStats};
use numerics::Seed;
use rand::Rng;
use rand_distr::StandardNormal;

/// C6.4: E‖m_t − ∇f(x_t)‖² ≤ V_SHB / V_NSHB on a noisy quadratic (exploratory).
#[derive(Debug, Clone, Copy, Default)]
pub struct MomentumNoiseBound;

/// The linear recursion of (x_t, m_{t−1}) for momentum on f = ½hx² with additive noise:
/// s_{t+1} = A·s_t + B·ξ_t.
pub(crate) fn momentum_system(
    optimizer: Optimizer,
    eta: f64,
    h: f64,
    beta: f64,
) -> ([[f64; 2]; 2], [f64; 2]) {
    // SHB: m = βm + hx + ξ; NSHB: m = βm + (1 − β)(hx + ξ); x ← x − ηm.
    let w = match optimizer {
        Optimizer::Nshb => 1.0 - beta,
        Optimizer::Shb => 1.0,
        Optimizer::Sgd => 1.0,
    };
    let beta = if optimizer == Optimizer::Sgd {
        0.0
    } else {
        beta
    };
    (
        [[1.0 - eta * w * h, -eta * beta], [w * h, beta]],
        [-eta * w, w],
    )
}

/// Spectral radius of a 2×2 matrix.
fn spectral_radius(a: [[f64; 2]; 2]) -> f64 {
    let tr = a[0][0] + a[1][1];
    let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
    let disc = tr * tr - 4.0 * det;
    if disc >= 0.0 {
        ((tr + disc.sqrt()) / 2.0)
            .abs()
            .max(((tr - disc.sqrt()) / 2.0).abs())
    } else {
        det.abs().sqrt()
    }
}

/// Exact stationary moments: E\[D²\] with D = m_t − hx_t, and E[(hx)²]; `None` if the
/// recursion is not mean-square stable.
pub(crate) fn stationary_deviation(
    optimizer: Optimizer,
    eta: f64,
    h: f64,
    beta: f64,
    sigma2: f64,
) -> Option<(f64, f64)> {
    let (a, b) = momentum_system(optimizer, eta, h, beta);
    if spectral_radius(a) >= 1.0 {
        return None;
    }
    // Σ = [[p, c], [c, d]] = AΣAᵀ + σ²BBᵀ as a 3×3 linear system in (p, c, d).
    let [[a11, a12], [a21, a22]] = a;
    let lhs = Matrix3::new(
        1.0 - a11 * a11,
        -2.0 * a11 * a12,
        -a12 * a12,
        -a11 * a21,
        1.0 - (a11 * a22 + a12 * a21),
        -a12 * a22,
        -a21 * a21,
        -2.0 * a21 * a22,
        1.0 - a22 * a22,
    );
    let rhs = Vector3::new(b[0] * b[0], b[0] * b[1], b[1] * b[1]) * sigma2;
    let s = lhs.lu().solve(&rhs)?;
    let (xx, xm, mm) = (s[0], s[1], s[2]);
    let beta = if optimizer == Optimizer::Sgd {
        0.0
    } else {
        beta
    };
    // D_t = m_t − hx_t; m_{t−1}, x_t are independent of ξ_t.
    let d2 = match optimizer {
        Optimizer::Nshb => {
            beta * beta * (mm - 2.0 * h * xm + h * h * xx) + (1.0 - beta).powi(2) * sigma2
        }
        _ => beta * beta * mm + sigma2,
    };
    Some((d2, h * h * xx))
}

/// Simulated stationary E[(m_t − hx_t)²]: mean over chains of per-chain time averages,
/// with its standard error.
fn simulate(
    optimizer: Optimizer,
    eta: f64,
    h: f64,
    beta: f64,
    sigma2: f64,
    rng: &mut numerics::rng::Rng,
) -> (f64, f64) {
    let (chains, window) = (2000usize, 2000usize);
    let (a, _) = momentum_system(optimizer, eta, h, beta);
    let rho = spectral_radius(a);
    let burn = ((1e-10f64).ln() / rho.ln()).ceil().max(100.0) as usize;
    let w = if optimizer == Optimizer::Nshb {
        1.0 - beta
    } else {
        1.0
    };
    let sigma = sigma2.sqrt();
    let mut stats = RunningStats::new();
    for _ in 0..chains {
        let (mut x, mut m) = (0.0f64, 0.0f64);
        let mut acc = 0.0;
        for t in 0..burn + window {
            let xi: f64 = rng.sample::<f64, _>(StandardNormal) * sigma;
            m = beta * m + w * (h * x + xi);
            let d = m - h * x;
            if t >= burn {
                acc += d * d;
            }
            x -= eta * m;
        }
        stats.push(acc / window as f64);
    }
    (stats.mean(), stats.std_error())
}

impl Check for MomentumNoiseBound {
    fn id(&self) -> &'static str {
        "momentum_noise_bound"
    }
    fn spec_id(&self) -> &'static str {
        "C6.4"
    }
    fn statement(&self) -> &'static str {
        "E(m_t − ∇f(x_t))² ≤ C²/b + β̂(β)(C²/b + K²) (SHB), ≤ C²/b + 4β²(C²/b + K²) (NSHB) on ½hx² + noise"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let mut rng = seed.stream("momentum-noise");
        let (h, c2, b) = (1.0, 4.0, 4.0);
        let sigma2 = c2 / b;
        let grid: Vec<(Optimizer, f64, f64)> = [Optimizer::Shb, Optimizer::Nshb]
            .iter()
            .flat_map(|&o| {
                [0.01, 0.1]
                    .iter()
                    .flat_map(move |&eta| [0.5, 0.9].iter().map(move |&beta| (o, eta, beta)))
            })
            .collect();
        let zmax = bonferroni_z(grid.len(), 1e-3).max(4.0);
        let mut shb_09 = None;
        let mut nshb_max_over_sgd = 0.0f64;
        for &(opt, eta, beta) in &grid {
            let (exact, k2) = stationary_deviation(opt, eta, h, beta, sigma2).ok_or_else(|| {
                crate::TheoryError::Other(format!(
                    "unstable momentum recursion {opt:?} η={eta} β={beta}"
                ))
            })?;
            let (mean, se) = simulate(opt, eta, h, beta, sigma2, &mut rng);
            let bound = match opt {
                Optimizer::Nshb => sigma2 + 4.0 * beta * beta * (sigma2 + k2),
                _ => sigma2 + beta_hat(beta) * (sigma2 + k2),
            };
            let label = format!("{} η={eta} β={beta}", opt.name());
            report.push(
                Case::new(
                    format!("{label}: simulated E D² vs Lyapunov"),
                    Expect::Holds,
                    mean,
                    Relation::ZScore { se, max_z: zmax },
                    exact,
                )
                .with("h", h)
                .with("C2/b", sigma2)
                .note("D = m_t − hx_t; exact value from Σ = AΣAᵀ + σ²BBᵀ"),
            );
            report.push(
                Case::new(
                    format!("{label}: E D² ≤ V with K² = E(hx)²"),
                    Expect::Holds,
                    mean,
                    Relation::stochastic_le(se),
                    bound,
                )
                .with("K2", k2)
                .note(format!("ratio measured/bound = {:.4}", mean / bound)),
            );
            report.finding(format!(
                "{label}: E(m−∇f)² = {mean:.4} ± {se:.4} (exact {exact:.4}), SGD value C²/b = {sigma2}, \
                 bound V = {bound:.4} with K² = E(hx)² = {k2:.4}: ratio measured/V = {:.4}.",
                mean / bound
            ));
            if opt == Optimizer::Nshb {
                nshb_max_over_sgd = nshb_max_over_sgd.max(exact / sigma2);
            }
            if opt == Optimizer::Shb && (eta - 0.1).abs() < 1e-12 && (beta - 0.9).abs() < 1e-12 {
                shb_09 = Some((mean, se));
            }
        }
        if let Some((mean, se)) = shb_09 {
            report.push(
                Case::new(
                    "SHB η=0.1 β=0.9: E D² ≤ C²/b (the SGD formula, momentum ignored)",
                    Expect::Violated,
                    mean,
                    Relation::stochastic_le(se),
                    sigma2,
                )
                .note("momentum accumulates past noise: the deviation exceeds the SGD noise"),
            );
        }
        report.finding(format!(
            "NSHB's exact stationary E(m−∇f)² is at most {nshb_max_over_sgd:.4}·C²/b on this grid: below the SGD \
             value C²/b (the (1−β) weight averages the noise out), while δ_NSHB ≥ δ_SGD for every β; the formula \
             is a bound but says nothing about NSHB smoothing more than SGD."
        ));
        Ok(report)
    }
}
