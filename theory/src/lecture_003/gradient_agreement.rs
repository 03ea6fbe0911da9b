//! C9.2 — gradient agreement μ(x) = min_{i,j}⟨∇fᵢ(x), ∇fⱼ(x)⟩ along SGD runs: it tends
//! to 0 when the fᵢ share a minimiser (over-parameterised least squares) and stays
//! negative, O(1), when they do not (under-parameterised); larger mini-batches raise μ.
//!
//! Statement (lecture 003, "Qualitative convergence behavior" and "Minibatch setting";
//! spec §9.2): if ⟨∇fᵢ, ∇fⱼ⟩ ≥ μ for all i, j, a larger μ means stochastic gradients
//! closer to the full gradient and faster SGD; larger mini-batches give a larger
//! effective μ; far from the solution the individual gradients agree. Report-type:
//! the lecture gives no numbers.
//!
//! Measured:
//! * least squares (fᵢ = ½(aᵢᵀx − bᵢ)², ∇fᵢ = rᵢaᵢ): μ(x) = min_{i,j} rᵢrⱼ(AAᵀ)ᵢⱼ,
//!   checked once against the inner products of the library's `sample_gradient`
//!   vectors (identity), then along single-sample SGD runs from x₀ = 0: A ∈ R^{200×1000}
//!   (γ·max‖aᵢ‖² = 1, 40000 steps) and A ∈ R^{200×100} (γ·median‖aᵢ‖² = 0.2, 100000
//!   steps); μ(x*) at the under-parameterised solution for reference;
//! * the three-point example (cᵢ = 2·unit vectors at 120°): μ at x* = 0 for mini-batches
//!   of size b = 1, 2, 3 drawn without replacement, from `minibatch_gradient` over all
//!   batches, against the closed forms c₁ᵀc₂ = −2, (−c₃/2)ᵀ(−c₁/2) = −1/2 and 0; μ at
//!   x = (10, 0) against ‖x‖² − xᵀ(cᵢ + cⱼ) + cᵢᵀcⱼ minimised over i, j.
//!
//! Refuting cases (must be FALSIFIED): "the individual gradients agree at the limit"
//! (μ(x_K) ≥ −1e−10·|μ(x₀)|) for the under-parameterised problem, and "single-sample
//! gradients agree at the minimiser" (μ(x*) ≥ 0) for the three-point example.

use super::least_squares_support::{sgd_step, OverParameterised, UnderParameterised};
use crate::{Case, Check, Expect, Relation, Report};
use numerics::objective::{FiniteSum, LeastSquares, ThreePoint};
use numerics::{Matrix, Seed, Vector};

/// C9.2: μ = min⟨∇fᵢ, ∇fⱼ⟩ → 0 (over-parameterised) vs O(1) < 0 (under-parameterised);
/// larger batches raise μ.
#[derive(Debug, Clone, Copy)]
pub struct GradientAgreement;

/// μ(x) = min_{i,j} rᵢrⱼGᵢⱼ with G = AAᵀ.
fn agreement(ls: &LeastSquares, gram: &Matrix, x: &Vector) -> f64 {
    let r: Vec<f64> = (0..ls.n()).map(|i| ls.residual(i, x)).collect();
    let mut mu = f64::INFINITY;
    for (i, &ri) in r.iter().enumerate() {
        for (j, &rj) in r.iter().enumerate() {
            mu = mu.min(ri * rj * gram[(i, j)]);
        }
    }
    mu
}

/// μ over a family of stochastic gradients: min over pairs of ⟨gₛ, gₜ⟩.
fn min_inner(grads: &[Vector]) -> f64 {
    let mut mu = f64::INFINITY;
    for g in grads {
        for h in grads {
            mu = mu.min(g.dot(h));
        }
    }
    mu
}

/// μ along a run: (step, μ) at k = 0 and K/2^j.
fn run_agreement(
    ls: &LeastSquares,
    gram: &Matrix,
    gamma: f64,
    steps: usize,
    seed: Seed,
    stream: &str,
) -> (Vec<(usize, f64)>, Vector) {
    let mut rng = seed.stream(stream);
    let mut x = Vector::zeros(ls.a().ncols());
    let checkpoints: Vec<usize> = (0..=6).rev().map(|j| steps >> j).collect();
    let mut out = vec![(0, agreement(ls, gram, &x))];
    let mut k = 0;
    for &c in &checkpoints {
        while k < c {
            sgd_step(ls, &mut x, gamma, &mut rng);
            k += 1;
        }
        out.push((k, agreement(ls, gram, &x)));
    }
    (out, x)
}

fn format_path(path: &[(usize, f64)]) -> String {
    path.iter()
        .map(|(k, m)| format!("k={k}: {m:.3e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Check for GradientAgreement {
    fn id(&self) -> &'static str {
        "gradient_agreement"
    }
    fn spec_id(&self) -> &'static str {
        "C9.2"
    }
    fn statement(&self) -> &'static str {
        "μ = min_{i,j}⟨∇fᵢ, ∇fⱼ⟩ along SGD runs → 0 for over-parameterised least squares, stays \
         O(1) negative for under-parameterised; larger mini-batches give larger μ"
    }

    fn run(&self, seed: Seed) -> crate::Result<Report> {
        let start = std::time::Instant::now();
        let mut report = Report::new(self, seed);

        // Over-parameterised run.
        let ls = LeastSquares::gaussian(200, 1000, &mut seed.stream("over-parameterised-data"))?;
        let op = OverParameterised::new(ls)?;
        let gram = op.ls.a() * op.ls.a().transpose();
        let max_norm2 = gram.diagonal().max();
        let (path_over, _) = run_agreement(
            &op.ls,
            &gram,
            1.0 / max_norm2,
            40_000,
            seed,
            "agreement-over",
        );
        let mu0 = path_over.first().map_or(f64::NAN, |p| p.1);
        let mu_k = path_over.last().map_or(f64::NAN, |p| p.1);
        report.push(
            Case::new(
                "over-parameterised: gradients agree at the limit, μ(x_K) ≥ −1e−10·|μ(x₀)|",
                Expect::Holds,
                mu_k,
                Relation::Ge {
                    rtol: 0.0,
                    atol: 0.0,
                },
                -1e-10 * mu0.abs(),
            )
            .with("gamma_times_max_norm2", 1.0)
            .with("steps", 40_000)
            .note(format!("μ(x₀) = {mu0:.3e}")),
        );

        // Under-parameterised run.
        let ls = LeastSquares::gaussian(200, 100, &mut seed.stream("under-parameterised-data"))?;
        let up = UnderParameterised::new(ls)?;
        let gram = up.ls.a() * up.ls.a().transpose();
        // Identity: the Gram formula against explicit sample-gradient inner products.
        let x1 = Vector::from_element(up.ls.a().ncols(), 0.1);
        let grads: Vec<Vector> = (0..up.ls.n())
            .map(|i| up.ls.sample_gradient(i, &x1))
            .collect();
        report.push(
            Case::new(
                "μ(x) = min rᵢrⱼ(AAᵀ)ᵢⱼ equals min⟨∇fᵢ(x), ∇fⱼ(x)⟩ from sample_gradient",
                Expect::Holds,
                agreement(&up.ls, &gram, &x1),
                Relation::EXACT,
                min_inner(&grads),
            )
            .with("x", "0.1·1"),
        );
        let mut diag: Vec<f64> = gram.diagonal().iter().copied().collect();
        diag.sort_by(f64::total_cmp);
        let median = 0.5 * (diag[99] + diag[100]);
        let (path_under, _) = run_agreement(
            &up.ls,
            &gram,
            0.2 / median,
            100_000,
            seed,
            "agreement-under",
        );
        let mu0_under = path_under.first().map_or(f64::NAN, |p| p.1);
        let mu_k_under = path_under.last().map_or(f64::NAN, |p| p.1);
        let mu_star = agreement(&up.ls, &gram, &up.x_star);
        report.push(
            Case::new(
                "under-parameterised: gradients agree at the limit, μ(x_K) ≥ −1e−10·|μ(x₀)|",
                Expect::Violated,
                mu_k_under,
                Relation::Ge {
                    rtol: 0.0,
                    atol: 0.0,
                },
                -1e-10 * mu0_under.abs(),
            )
            .with("gamma_times_median_norm2", 0.2)
            .with("steps", 100_000)
            .note(format!("μ(x*) = {mu_star:.4} at the solution")),
        );
        report.finding(format!(
            "μ along SGD, over-parameterised (200×1000): {}",
            format_path(&path_over)
        ));
        report.finding(format!(
            "μ along SGD, under-parameterised (200×100): {}; μ(x*) = {mu_star:.4}",
            format_path(&path_under)
        ));

        // Three-point example: μ by batch size at x* and far from it.
        let f = ThreePoint::equilateral(2.0)?;
        let origin = Vector::zeros(2);
        let batches: [Vec<Vec<usize>>; 3] = [
            vec![vec![0], vec![1], vec![2]],
            vec![vec![0, 1], vec![0, 2], vec![1, 2]],
            vec![vec![0, 1, 2]],
        ];
        let closed = [-2.0, -0.5, 0.0];
        let mut by_batch = Vec::new();
        for (b, family) in batches.iter().enumerate() {
            let grads: Vec<Vector> = family
                .iter()
                .map(|s| f.minibatch_gradient(s, &origin))
                .collect();
            let mu = min_inner(&grads);
            by_batch.push(mu);
            report.push(
                Case::new(
                    format!("three-point, x* = 0, batch size {}: μ_b", b + 1),
                    Expect::Holds,
                    mu,
                    Relation::EXACT,
                    closed[b],
                )
                .note("closed form: cᵢᵀcⱼ = −2; (cᵢ + cⱼ)/2 = −c_k/2 gives −1/2; full batch 0"),
            );
        }
        report.push(Case::new(
            "larger mini-batch ⇒ larger μ: min(μ₂ − μ₁, μ₃ − μ₂) > 0",
            Expect::Holds,
            (by_batch[1] - by_batch[0]).min(by_batch[2] - by_batch[1]),
            Relation::Ge {
                rtol: 0.0,
                atol: 0.0,
            },
            0.0,
        ));
        report.push(
            Case::new(
                "three-point: single-sample gradients agree at the minimiser, μ(x*) ≥ 0",
                Expect::Violated,
                by_batch[0],
                Relation::Ge {
                    rtol: 0.0,
                    atol: 0.0,
                },
                0.0,
            )
            .note("∇fᵢ(0) = −cᵢ point in three directions 120° apart"),
        );
        let far = Vector::from_vec(vec![10.0, 0.0]);
        let grads: Vec<Vector> = (0..3).map(|i| f.sample_gradient(i, &far)).collect();
        let c = f.centres();
        let mut closed_far = f64::INFINITY;
        for ci in c {
            for cj in c {
                closed_far = closed_far.min(far.norm_squared() - far.dot(&(ci + cj)) + ci.dot(cj));
            }
        }
        let mu_far = min_inner(&grads);
        report.push(
            Case::new(
                "three-point, x = (10, 0): μ = min(‖x‖² − xᵀ(cᵢ + cⱼ) + cᵢᵀcⱼ)",
                Expect::Holds,
                mu_far,
                Relation::EXACT,
                closed_far,
            )
            .note("far from the solution the gradients agree: μ > 0"),
        );
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }
}
