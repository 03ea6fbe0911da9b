//! C4.4 — the centering property along the minimiser path of smoothed L2 logistic
//! regression (spec §4.1, §4.2, §4.4).
//!
//! Condition (i) of σ_m-nice (Sato & Iiduka, Definition 4.1 \[MEM\]):
//! ‖x*_{δ_m} − x*_{δ_{m+1}}‖ ≤ δ_m − δ_{m+1} for the stages of the schedule; holding for
//! every pair of degrees on a path is L_c := max ‖x*_δ − x*_{δ'}‖/|δ − δ'| ≤ 1 (and then
//! Hazan's ‖x*_δ − x*_{δ/2}‖ ≤ δ/2 holds too). The paper's seed says cross-entropy
//! losses "satisfy these properties"; whether they do depends on the kernel's
//! normalisation, because GUNIT at δ is GISO at δ/√d: x*_GUNIT(δ) = x*_GISO(δ/√d), so
//! L_c(GUNIT) = L_c(GISO on [0, δ_max/√d])/√d.
//!
//! Measured: x*_δ of the exactly smoothed objective (one-dimensional quadrature,
//! [`SmoothedLogistic`]) by Newton's method to ‖∇f̂_δ‖ ≤ 1e−11, warm-started along
//! δ = 3, 2.9, …, 0 (30 steps), N = 200, d = 5 Gaussian data, λ = 1e−2; L_c per kernel
//! against 1; the rescaling identity; and Hazan's halving version. The spec's
//! preliminary numbers (on other random data) are L_c ≈ 1.85 (GISO, fails) and ≈ 0.83
//! (GUNIT).
//!
//! argmin's `BFGS` cannot run on `DVector` parameters (argmin-math 0.5 implements no
//! outer product `DVector ⊗ DVector → DMatrix`), so the minimiser is Newton's method on
//! the exact Hessian; `numerics` tests it against argmin's L-BFGS with Moré–Thuente.

use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{LogisticRegression, Objective};
use numerics::smoothing::{Kernel, SmoothedLogistic};
use numerics::{Seed, Vector};

/// C4.4: centering along the x*_δ path of smoothed logistic regression.
#[derive(Debug, Clone, Copy, Default)]
pub struct CenteringPathLogistic;

const N: usize = 200;
const D: usize = 5;
const LAMBDA: f64 = 1e-2;
const STEPS: usize = 30;
const DELTA_MAX: f64 = 3.0;
const TOLERANCE: f64 = 1e-11;

/// x*_δ for every δ in `deltas` (in the given order), warm-started.
fn path(f: &LogisticRegression, kernel: Kernel, deltas: &[f64]) -> crate::Result<Vec<Vector>> {
    let mut x = Vector::zeros(f.dim());
    let mut out = Vec::with_capacity(deltas.len());
    for &delta in deltas {
        x = SmoothedLogistic::new(f.clone(), kernel, delta)?.minimiser(&x, TOLERANCE)?;
        out.push(x.clone());
    }
    Ok(out)
}

/// max over pairs ‖x_i − x_j‖/|δ_i − δ_j| and the pair where it is attained.
fn lipschitz(deltas: &[f64], xs: &[Vector]) -> (f64, f64, f64) {
    let mut best = (0.0, 0.0, 0.0);
    for i in 0..deltas.len() {
        for j in (i + 1)..deltas.len() {
            let ratio = (&xs[i] - &xs[j]).norm() / (deltas[i] - deltas[j]).abs();
            if ratio > best.0 {
                best = (ratio, deltas[i], deltas[j]);
            }
        }
    }
    best
}

impl Check for CenteringPathLogistic {
    fn id(&self) -> &'static str {
        "centering_path_logistic"
    }
    fn spec_id(&self) -> &'static str {
        "C4.4"
    }
    fn statement(&self) -> &'static str {
        "centering (i) along the path: L_c = max ‖x*_δ − x*_δ'‖/|δ − δ'| ≤ 1 (L2-logistic, per kernel)"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let mut report = Report::new(self, seed);
        let f = LogisticRegression::gaussian(
            N,
            D,
            0.5,
            LAMBDA,
            &mut seed.stream("centering-path-data"),
        )?;
        let deltas: Vec<f64> = (0..=STEPS)
            .map(|k| DELTA_MAX * (STEPS - k) as f64 / STEPS as f64)
            .collect();
        let mut per_kernel = Vec::new();
        // Prediction per kernel: GISO fails (spec: L_c ≈ 1.85); GUNIT holds (≈ 0.83);
        // BALL holds too, its per-coordinate scale 1/√(d+2) being below GUNIT's 1/√d.
        for (kernel, expect) in [
            (Kernel::Gaussian, Expect::Violated),
            (Kernel::GaussianUnit, Expect::Holds),
            (Kernel::Ball, Expect::Holds),
        ] {
            let xs = path(&f, kernel, &deltas)?;
            let (lc, a, b) = lipschitz(&deltas, &xs);
            let travel = (&xs[0] - &xs[STEPS]).norm();
            report.push(
                Case::new(
                    format!("{}: L_c over δ ∈ {{3, 2.9, …, 0}} ≤ 1", kernel.name()),
                    expect,
                    lc,
                    Relation::LE,
                    1.0,
                )
                .with("kernel", kernel.name())
                .with("N", N)
                .with("d", D)
                .with("lambda", LAMBDA)
                .note(format!(
                    "max at δ = {a:.1} → {b:.1}; ‖x*_3 − x*_0‖ = {travel:.4}, ‖x*_0‖ = {:.4}",
                    xs[STEPS].norm()
                )),
            );
            report.finding(format!(
                "{}: L_c = {lc:.4} (attained between δ = {a:.1} and {b:.1}); spec preliminary: \
                 GISO ≈ 1.85, GUNIT ≈ 0.83 (other random data)",
                kernel.name()
            ));
            per_kernel.push((kernel, xs, lc));
        }

        // Rescaling identity: x*_GUNIT(δ) = x*_GISO(δ/√d), computed as a separate GISO path.
        let scaled: Vec<f64> = deltas.iter().map(|d| d / (D as f64).sqrt()).collect();
        let giso_scaled = path(&f, Kernel::Gaussian, &scaled)?;
        let (lc_scaled, _, _) = lipschitz(&scaled, &giso_scaled);
        if let Some((_, _, lc_unit)) = per_kernel.iter().find(|p| p.0 == Kernel::GaussianUnit) {
            report.push(
                Case::new(
                    "L_c(GUNIT) = L_c(GISO on δ/√d)/√d (GUNIT at δ is GISO at δ/√d)",
                    Expect::Holds,
                    *lc_unit,
                    Relation::ApproxEq {
                        rtol: 1e-7,
                        atol: 0.0,
                    },
                    lc_scaled / (D as f64).sqrt(),
                )
                .note("tolerance from the Newton stopping rule ‖∇f̂‖ ≤ 1e−11"),
            );
        }

        // Hazan's halving version ‖x*_δ − x*_{δ/2}‖ ≤ δ/2 on δ ∈ {0.1, …, 3}, GISO and GUNIT.
        for (kernel, expect) in [
            (Kernel::Gaussian, Expect::Violated),
            (Kernel::GaussianUnit, Expect::Holds),
        ] {
            let mut worst = (0.0_f64, 0.0);
            let mut x0 = Vector::zeros(D);
            for &delta in deltas.iter().filter(|&&d| d > 0.0) {
                let full =
                    SmoothedLogistic::new(f.clone(), kernel, delta)?.minimiser(&x0, TOLERANCE)?;
                let half = SmoothedLogistic::new(f.clone(), kernel, delta / 2.0)?
                    .minimiser(&full, TOLERANCE)?;
                let ratio = (&full - &half).norm() / (delta / 2.0);
                if ratio > worst.0 {
                    worst = (ratio, delta);
                }
                x0 = full;
            }
            report.push(
                Case::new(
                    format!("{}: Hazan's max ‖x*_δ − x*_δ/2‖/(δ/2) ≤ 1", kernel.name()),
                    expect,
                    worst.0,
                    Relation::LE,
                    1.0,
                )
                .note(format!("max at δ = {:.1}", worst.1)),
            );
        }
        Ok(report)
    }
}
