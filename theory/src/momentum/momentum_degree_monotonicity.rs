//! C6.5 — δ_SHB and δ_NSHB increase in η and β and decrease in b.
//!
//! Statement (spec §6.3): δ_SHB = η√(C²/b + β̂(β)(C²/b + K²)) and
//! δ_NSHB = η√(C²/b + 4β²(C²/b + K²)) are strictly increasing in η and β and strictly
//! decreasing in b — the premise of Algorithm 6 moving (η, b, β) to lower δ.
//!
//! Measured: on a grid η ∈ {0.001 … 1} × b ∈ {1, 2, 4, …, 4096} × β ∈ {0, 0.05, …, 0.95,
//! 0.99}, for the authors' constants (ResNet18, WRN-28-10) and K = 0, the smallest
//! relative step (δ(next) − δ(prev))/δ(prev) along each axis (sign flipped for b). A
//! strictly monotone formula has a positive minimum; ≤ 0 falsifies it. δ is evaluated by
//! [`numerics::smoothing::smoothing_degree`].
//!
//! Refuting case: what the formulas stand for, the exact stationary deviation
//! E(m_t − ∇f(x_t))² of NSHB on f = ½x² with additive noise (Lyapunov equation, as in
//! C6.4), is *decreasing* in β — "δ_NSHB increases in β" is a property of the formula,
//! not of NSHB's noise. (The same quantity for SHB is increasing, also checked.)

use super::momentum_noise_bound::stationary_deviation;
use crate::{Case, Check, Expect, Relation, Report, Verdict};
use numerics::schedule::{NoiseConstants, Optimizer, PaperSetting};
use numerics::Seed;

/// C6.5: δ_SHB, δ_NSHB strictly increase in η, β and decrease in b (grid).
#[derive(Debug, Clone, Copy, Default)]
pub struct MomentumDegreeMonotonicity;

/// Decides a strict monotonicity case from the smallest relative step.
fn strict(name: String, expect: Expect, min_step: f64) -> Case {
    let verdict = if min_step > 0.0 {
        Verdict::Pass
    } else {
        Verdict::Falsified
    };
    Case::decided(name, expect, min_step, 0.0, Relation::GE, verdict)
        .note("smallest relative step along the axis; strict monotonicity needs > 0")
}

impl Check for MomentumDegreeMonotonicity {
    fn id(&self) -> &'static str {
        "momentum_degree_monotonicity"
    }
    fn spec_id(&self) -> &'static str {
        "C6.5"
    }
    fn statement(&self) -> &'static str {
        "δ_SHB and δ_NSHB are strictly increasing in η and β and strictly decreasing in b"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let etas = [0.001, 0.01, 0.05, 0.1, 0.5, 1.0];
        let batches: Vec<f64> = (0..13).map(|i| f64::from(1u32 << i)).collect();
        let mut betas: Vec<f64> = (0..20).map(|i| f64::from(i) * 0.05).collect();
        betas.push(0.99);
        let mut sets = Vec::new();
        for setting in [
            PaperSetting::Resnet18Cifar100,
            PaperSetting::WideResnet28x10Cifar100,
        ] {
            for opt in [Optimizer::Shb, Optimizer::Nshb] {
                if let Some(n) = NoiseConstants::authors(setting, opt) {
                    sets.push((format!("{} {}", setting.name(), opt.name()), opt, n));
                }
            }
        }
        for opt in [Optimizer::Shb, Optimizer::Nshb] {
            sets.push((
                format!("K=0 {}", opt.name()),
                opt,
                NoiseConstants::new(1.0, 0.0)?,
            ));
        }
        for (label, opt, noise) in &sets {
            let delta = |eta: f64, b: f64, beta: f64| noise.degree(*opt, eta, b, beta);
            let (mut in_eta, mut in_b, mut in_beta) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
            for &eta in &etas {
                for &b in &batches {
                    for &beta in &betas {
                        let d = delta(eta, b, beta);
                        // Relative steps to the next grid point along each axis.
                        if let Some(&e2) = etas.iter().find(|&&e| e > eta) {
                            in_eta = in_eta.min((delta(e2, b, beta) - d) / d);
                        }
                        if let Some(&b2) = batches.iter().find(|&&x| x > b) {
                            in_b = in_b.min((d - delta(eta, b2, beta)) / d);
                        }
                        if let Some(&be2) = betas.iter().find(|&&x| x > beta) {
                            in_beta = in_beta.min((delta(eta, b, be2) - d) / d);
                        }
                    }
                }
            }
            let c = |axis: &str, v: f64| {
                strict(format!("{label}: {axis}"), Expect::Holds, v)
                    .with("C2", noise.variance_bound())
                    .with("K", noise.gradient_bound())
            };
            report.push(c("increasing in η", in_eta));
            report.push(c("decreasing in b", in_b));
            report.push(c("increasing in β", in_beta));
        }
        // The exact stationary deviation on ½x² + N(0, 1) noise, η = 0.1, along β.
        let beta_grid: Vec<f64> = (1..19).map(|i| f64::from(i) * 0.05).collect();
        for (opt, expect) in [
            (Optimizer::Shb, Expect::Holds),
            (Optimizer::Nshb, Expect::Violated),
        ] {
            let values: Vec<f64> = beta_grid
                .iter()
                .map(|&beta| {
                    stationary_deviation(opt, 0.1, 1.0, beta, 1.0).map_or(f64::NAN, |v| v.0)
                })
                .collect();
            let min_step = values
                .windows(2)
                .map(|w| (w[1] - w[0]) / w[0])
                .fold(f64::INFINITY, f64::min);
            report.push(
                strict(
                    format!(
                        "exact {} deviation E(m−∇f)² on ½x²+noise: increasing in β",
                        opt.name()
                    ),
                    expect,
                    if min_step.is_nan() {
                        f64::NEG_INFINITY
                    } else {
                        min_step
                    },
                )
                .with("eta", 0.1)
                .with("beta_grid", "0.05..0.90"),
            );
            report.finding(format!(
                "Exact stationary E(m−∇f)² of {} on ½x² + N(0,1) noise, η = 0.1: β = 0.05 → {:.4}, β = 0.5 → {:.4}, β = 0.9 → {:.4}.",
                opt.name(),
                values.first().copied().unwrap_or(f64::NAN),
                values.get(9).copied().unwrap_or(f64::NAN),
                values.get(17).copied().unwrap_or(f64::NAN)
            ));
        }
        Ok(report)
    }
}
