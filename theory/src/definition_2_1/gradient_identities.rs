//! C1.3 — gradient identities of the smoothed function (spec §1.2d).
//!
//! * BALL (sphere sampling; Flaxman–Kalai–McMahan, Hazan et al.): for Lipschitz f,
//!   ∇f̂_δ(x) = (d/δ)·E_{v~Unif(S^{d−1})}[f(x + δv)·v];
//! * GISO (Gaussian score; Nesterov–Spokoiny): ∇f̂_δ(x) = (1/δ)·E[f(x + δu)·u],
//!   and for GUNIT (u ~ N(0, I/d)) ∇f̂_δ(x) = (d/δ)·E[f(x + δu)·u];
//! * every kernel (first-order oracle): ∇f̂_δ(x) = E[∇f(x − δu)].
//!
//! Measured: each estimator (one-sided and central/antithetic differences) on
//! Rastrigin (d = 5) against the exact ∇f̂_δ (spec §1.2b), and on the non-smooth
//! ‖x‖₁ (d = 5, at a point with |xⱼ| ≤ 0.8δ) against the exact smoothed gradient (folded-normal / Wallis closed
//! forms of [`SmoothedL1Norm`]), which is itself checked against central finite
//! differences of the smoothed value. |z| per coordinate against a Bonferroni
//! threshold over all coordinates. Refuting case: the sphere identity evaluated with
//! points inside the ball instead of on the sphere.

use super::uniform_vector;
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{
    finite_difference_gradient, L1Norm, Objective, Rastrigin, SmoothedL1Norm,
};
use numerics::smoothing::{Difference, Kernel, MonteCarlo, SmoothedRastrigin};
use numerics::stats::bonferroni_z;
use numerics::{Seed, Vector};

/// C1.3: sphere-sampling, Gaussian-score and first-order gradient estimators.
#[derive(Debug, Clone, Copy, Default)]
pub struct GradientIdentities;

const D: usize = 5;
const DELTA: f64 = 0.5;
const SAMPLES: usize = 100_000;

/// The estimators compared (with the kernel whose f̂_δ they target).
#[derive(Debug, Clone, Copy)]
enum Estimator {
    ZerothOrder(Difference),
    FirstOrder,
}

impl Estimator {
    fn name(&self, kernel: Kernel) -> String {
        match self {
            Estimator::FirstOrder => "first order E[∇f(x−δu)]".into(),
            Estimator::ZerothOrder(diff) => {
                let identity = if kernel == Kernel::Ball {
                    "sphere (d/δ)E[f(x+δv)v]"
                } else {
                    "Gaussian score E[f(x+δu)u]/(δs)"
                };
                let variant = match diff {
                    Difference::OneSided => "one-sided",
                    Difference::Central => "central",
                };
                format!("{identity}, {variant}")
            }
        }
    }
}

const ESTIMATORS: [Estimator; 3] = [
    Estimator::ZerothOrder(Difference::OneSided),
    Estimator::ZerothOrder(Difference::Central),
    Estimator::FirstOrder,
];

impl Check for GradientIdentities {
    fn id(&self) -> &'static str {
        "gradient_identities"
    }
    fn spec_id(&self) -> &'static str {
        "C1.3"
    }
    fn statement(&self) -> &'static str {
        "∇f̂_δ = (d/δ)E_{v∈S}[f(x+δv)v] (BALL), = (1/δ)E[f(x+δu)u] (GISO), = E[∇f(x−δu)] (all kernels)"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let mut data = seed.stream("gradient-identities-points");
        let mut rng = seed.stream("gradient-identities-mc");
        let rastrigin = Rastrigin::new(D)?;
        let l1 = L1Norm::new(D)?;
        let x_r = uniform_vector(D, -2.0, 2.0, &mut data);
        // ‖x‖₁ at a point with coordinates inside (−δ, δ), where smoothing matters most,
        // and at most 0.8δ from 0. The first-order observations sign(xⱼ − δuⱼ) = ±1 are
        // Bernoulli; under BALL |uⱼ| ≤ 1, so for |xⱼ| near δ the minority sign has
        // probability ~(1 − |xⱼ|/δ)³ (d = 5). At |xⱼ| = 0.984δ it is ~5e−6: 10⁵ samples
        // often contain none, the sample SE is 0 and z = ±∞ although the estimator is
        // right (the z-test needs n·p ≫ 1). With |xⱼ| ≤ 0.8δ, p ≥ 0.0086 under BALL
        // (p = (15/16)∫_{0.8}^1 (1 − t²)² dt), i.e. ≥ 850 minority signs expected.
        let x_l = uniform_vector(D, -0.8 * DELTA, 0.8 * DELTA, &mut data);
        // Two functions × three kernels × three estimators, D coordinates each.
        let comparisons = 2 * Kernel::ALL.len() * ESTIMATORS.len() * D;
        let threshold = bonferroni_z(comparisons, 1e-3);

        for kernel in Kernel::ALL {
            let mc = MonteCarlo::new(kernel, DELTA, SAMPLES)?;
            // References: exact smoothed gradients (closed forms, spec §1.2b and the
            // folded-normal / Wallis forms of the smoothed ℓ1 norm).
            let exact_r = SmoothedRastrigin::new(D, kernel, DELTA)?.gradient(&x_r);
            let smoothed_l1 = SmoothedL1Norm::new(D, kernel, DELTA)?;
            let exact_l = smoothed_l1.gradient(&x_l);
            for estimator in ESTIMATORS {
                for (label, x, exact) in [("Rastrigin", &x_r, &exact_r), ("‖x‖₁", &x_l, &exact_l)]
                {
                    let est = match (estimator, label) {
                        (Estimator::FirstOrder, "Rastrigin") => {
                            mc.gradient(&rastrigin, x, &mut rng)?
                        }
                        (Estimator::FirstOrder, _) => mc.gradient(&l1, x, &mut rng)?,
                        (Estimator::ZerothOrder(diff), "Rastrigin") => {
                            mc.zeroth_order_gradient(&rastrigin, x, diff, &mut rng)?
                        }
                        (Estimator::ZerothOrder(diff), _) => {
                            mc.zeroth_order_gradient(&l1, x, diff, &mut rng)?
                        }
                    };
                    let z = est.max_abs_z(exact)?;
                    report.push(
                        Case::new(
                            format!("{} {label}: {}", kernel.name(), estimator.name(kernel)),
                            Expect::Holds,
                            z,
                            Relation::Within {
                                lo: 0.0,
                                hi: threshold,
                            },
                            threshold,
                        )
                        .with("kernel", kernel.name())
                        .with("delta", DELTA)
                        .with("samples", SAMPLES)
                        .note(format!(
                            "max |z| over {D} coordinates; largest SE {:.3e}",
                            est.std_error.amax()
                        )),
                    );
                }
            }
            // The exact smoothed ‖x‖₁ gradient against central differences of its
            // value (spec: "vs finite differences of the quadrature value").
            let fd = finite_difference_gradient(&smoothed_l1, &x_l, 1e-5);
            let err = (&fd - &exact_l).amax();
            report.push(Case::new(
                format!(
                    "{} ‖x‖₁: exact ∇f̂_δ vs central differences of f̂_δ (h = 1e−5)",
                    kernel.name()
                ),
                Expect::Holds,
                err,
                Relation::ApproxEq {
                    rtol: 0.0,
                    atol: 1e-8,
                },
                0.0,
            ));
        }

        // Refuting case: the sphere identity with v uniform in the BALL instead of on the
        // sphere. For smooth f this gives (d/δ)E[f(x+δu)u] ≈ d/(d+2)·∇f̂_δ, wrong by 2/7.
        let exact = SmoothedRastrigin::new(D, Kernel::Ball, DELTA)?.gradient(&x_r);
        let mut stats: Vec<numerics::stats::RunningStats> = vec![Default::default(); D];
        let mut u = Vector::zeros(D);
        for _ in 0..SAMPLES {
            Kernel::Ball.sample_into(&mut u, &mut rng);
            let fp = rastrigin.value(&(&x_r + &u * DELTA));
            let fm = rastrigin.value(&(&x_r - &u * DELTA));
            for (s, &uj) in stats.iter_mut().zip(u.iter()) {
                s.push(D as f64 / DELTA * 0.5 * (fp - fm) * uj);
            }
        }
        let z = stats
            .iter()
            .zip(exact.iter())
            .map(|(s, &e)| s.z_score(e).abs())
            .fold(0.0, f64::max);
        report.push(
            Case::new(
                "BALL Rastrigin: (d/δ)E[f(x+δu)u] with u in the ball, not on the sphere",
                Expect::Violated,
                z,
                Relation::Within {
                    lo: 0.0,
                    hi: threshold,
                },
                threshold,
            )
            .note(
                "the identity needs the sphere: inside the ball the estimate shrinks by ≈ d/(d+2)",
            ),
        );
        report.finding(format!(
            "n = {SAMPLES} per estimator (central variants: n antithetic pairs, each one \
             i.i.d. observation, so the SE is honest); Bonferroni |z| ≤ {threshold:.2} over \
             {comparisons} coordinates"
        ));
        Ok(report)
    }
}
