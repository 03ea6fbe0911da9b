//! C1.2 — the closed form of smoothed Rastrigin (spec §1.2b).
//!
//! For f(x) = 10d + Σᵢ[xᵢ² − 10cos(2πxᵢ)] and every symmetric kernel,
//!
//! f̂_δ(x) = ‖x‖² + δ²E‖u‖² + 10Σᵢ(1 − κ(δ)cos(2πxᵢ)),  κ(δ) = E[cos(2πδu₁)],
//!
//! with κ = e^{−2π²δ²} (GISO), e^{−2π²δ²/d} (GUNIT), Γ(d/2+1)(πδ)^{−d/2}J_{d/2}(2πδ)
//! (BALL). Source: spec §1.2b (derived; Definition 2.1 of arXiv 2311.08745 with the
//! kernel as a parameter).
//!
//! Measured: (a) the closed form against the spec's regression anchors (computed with
//! SciPy outside the project) to 1e−10; (b) Monte-Carlo means of f(x − δu) for
//! d ∈ {1, 2, 5, 50}, x ~ U[−2, 2]ᵈ, 30 log-spaced δ in [0.01, 3] and the three kernels,
//! with a Bonferroni threshold over the 360 comparisons. Refuting case: the GISO
//! closed form applied to BALL samples, at the point (of 64 random ones) where the two
//! closed forms differ most, so that it refutes for every seed.

use super::uniform_vector;
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{Objective, Rastrigin};
use numerics::smoothing::{Kernel, MonteCarlo, SmoothedRastrigin};
use numerics::stats::bonferroni_z;
use numerics::{Seed, Vector};

/// C1.2: smoothed Rastrigin, closed form vs anchors and Monte Carlo.
#[derive(Debug, Clone, Copy, Default)]
pub struct RastriginClosedForm;

const DIMENSIONS: [usize; 4] = [1, 2, 5, 50];
const GRID: usize = 30;
/// Samples per cell (spec: 10⁶; reduced 50× for the time budget; the Bonferroni
/// z-test is unchanged and the SE is reported).
const SAMPLES: usize = 20_000;

/// Spec §1.2b regression anchors: d = 2, x = (0.3, −1.1), columns BALL, GISO, GUNIT.
const ANCHORS: [(f64, [f64; 3]); 3] = [
    (0.1, [16.547714615279, 17.215656412922, 16.779909721055]),
    (0.5, [20.519041225063, 21.764040583221, 21.125975137644]),
    (1.0, [22.138017294880, 23.299999986624, 22.299741384069]),
];

impl Check for RastriginClosedForm {
    fn id(&self) -> &'static str {
        "rastrigin_closed_form"
    }
    fn spec_id(&self) -> &'static str {
        "C1.2"
    }
    fn statement(&self) -> &'static str {
        "Rastrigin: f̂_δ(x) = ‖x‖² + δ²E‖u‖² + 10Σ(1 − κ(δ)cos 2πxᵢ), κ(δ) = E cos(2πδu₁)"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);

        // (a) The anchors, to 1e−10 (absolute: the values are O(10)).
        let x = Vector::from_vec(vec![0.3, -1.1]);
        for (delta, values) in ANCHORS {
            for (kernel, want) in Kernel::ALL.into_iter().zip(values) {
                let got = SmoothedRastrigin::new(2, kernel, delta)?.value(&x);
                report.push(
                    Case::new(
                        format!("anchor {} δ={delta} x=(0.3,−1.1)", kernel.name()),
                        Expect::Holds,
                        got,
                        Relation::ApproxEq {
                            rtol: 0.0,
                            atol: 1e-10,
                        },
                        want,
                    )
                    .note(
                        "reference: spec §1.2b table (SciPy, confirmed there by 4·10⁶-sample MC)",
                    ),
                );
            }
        }

        // (b) Monte Carlo on the grid.
        let deltas: Vec<f64> = (0..GRID)
            .map(|k| 0.01 * 300f64.powf(k as f64 / (GRID - 1) as f64))
            .collect();
        let cells = DIMENSIONS.len() * GRID * Kernel::ALL.len();
        let threshold = bonferroni_z(cells, 1e-3);
        let mut data = seed.stream("rastrigin-closed-form-points");
        let mut rng = seed.stream("rastrigin-closed-form-mc");
        let mut worst_relative_se: f64 = 0.0;
        let mut ball_d5 = None;
        for d in DIMENSIONS {
            let f = Rastrigin::new(d)?;
            let x = uniform_vector(d, -2.0, 2.0, &mut data);
            for kernel in Kernel::ALL {
                let mut worst = (0.0_f64, 0.0, 0.0, 0.0);
                for &delta in &deltas {
                    let est = MonteCarlo::new(kernel, delta, SAMPLES)?.value(&f, &x, &mut rng)?;
                    let exact = SmoothedRastrigin::new(d, kernel, delta)?.value(&x);
                    let z = est.z_score(exact).abs();
                    worst_relative_se = worst_relative_se.max(est.std_error / exact.abs().max(1.0));
                    if z > worst.0 {
                        worst = (z, delta, est.mean, exact);
                    }
                    if d == 5 && kernel == Kernel::Ball && (0.45..0.55).contains(&delta) {
                        ball_d5 = Some(delta);
                    }
                }
                report.push(
                    Case::new(
                        format!(
                            "MC d={d} {}: max |z| over {GRID} δ in [0.01, 3]",
                            kernel.name()
                        ),
                        Expect::Holds,
                        worst.0,
                        Relation::Within {
                            lo: 0.0,
                            hi: threshold,
                        },
                        threshold,
                    )
                    .with("d", d)
                    .with("kernel", kernel.name())
                    .with("samples", SAMPLES)
                    .note(format!(
                        "worst δ = {:.4}: MC {:.6} vs closed form {:.6}",
                        worst.1, worst.2, worst.3
                    )),
                );
            }
        }
        report.finding(format!(
            "Monte Carlo with {SAMPLES} samples per cell (spec: 10⁶) over {cells} cells; \
             Bonferroni |z| ≤ {threshold:.2}; largest SE/max(1, |f̂|) = {worst_relative_se:.2e}"
        ));

        // Refuting case: the GISO closed form (κ = e^{−2π²δ²}, offset δ²d) used for
        // BALL samples — the kernel ambiguity of spec §1.1. The two closed forms differ
        // by δ²(d − d/(d+2)) + 10(κ_BALL − κ_GISO)Σᵢcos 2πxᵢ, which vanishes on a
        // hypersurface of points x: at a random x it can be within the MC error (this
        // happened for 7 of 90 seeds). So the point is chosen, among 64 uniform points
        // of [−2, 2]⁵, as the one where the two closed forms differ most (|Σcos| near 5,
        // a difference of ≈ 10–20 against an SE of ≈ 0.1), and the case is reported
        // with that difference in SE units: it must refute for every seed.
        if let Some(delta) = ball_d5 {
            let ball = SmoothedRastrigin::new(5, Kernel::Ball, delta)?;
            let giso = SmoothedRastrigin::new(5, Kernel::Gaussian, delta)?;
            let mut points = seed.stream("rastrigin-closed-form-refuting-point");
            let mut x = uniform_vector(5, -2.0, 2.0, &mut points);
            for _ in 1..64 {
                let y = uniform_vector(5, -2.0, 2.0, &mut points);
                if (ball.value(&y) - giso.value(&y)).abs() > (ball.value(&x) - giso.value(&x)).abs()
                {
                    x = y;
                }
            }
            let est = MonteCarlo::new(Kernel::Ball, delta, SAMPLES)?.value(
                &Rastrigin::new(5)?,
                &x,
                &mut seed.stream("rastrigin-closed-form-refuting-mc"),
            )?;
            let wrong = giso.value(&x);
            let gap = (ball.value(&x) - wrong).abs();
            report.push(
                Case::new(
                    format!("BALL d=5 δ={delta:.4}: MC vs the GISO closed form (wrong kernel)"),
                    Expect::Violated,
                    est.mean,
                    Relation::ZScore {
                        se: est.std_error,
                        max_z: threshold,
                    },
                    wrong,
                )
                .with("samples", SAMPLES)
                .note(format!(
                    "the kernel changes κ(δ) and E‖u‖²: a formula is only valid for its kernel; \
                     at the point (of 64) where the closed forms differ most they differ by \
                     {gap:.3} = {:.0} SE",
                    gap / est.std_error
                )),
            );
        }
        Ok(report)
    }
}
