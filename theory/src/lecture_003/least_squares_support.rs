//! Shared machinery of the least-squares checks C9.1, C9.2, C9.8–C9.10 (not a check).
//!
//! Problem: the library's [`LeastSquares`] f(x) = (1/N)Σᵢ ½(aᵢᵀx − bᵢ)², i.e. the
//! lecture's ½‖Ax − b‖² divided by N; single-sample SGD x ← x − γ∇fᵢ(x) =
//! x − γaᵢ(aᵢᵀx − bᵢ) is the same in both scalings.
//!
//! * Under-parameterised (N > d, A of full column rank): x* = (AᵀA)⁻¹Aᵀb, residuals
//!   rᵢ = aᵢᵀx* − bᵢ. The error e = x − x* obeys e' = (I − γaᵢaᵢᵀ)e − γaᵢrᵢ, and since
//!   Σᵢaᵢrᵢ = 0 its stationary covariance solves P = T(P) + γ²Q with
//!   T(P) = E_i[(I − γaᵢaᵢᵀ)P(I − γaᵢaᵢᵀ)] = P − γ(HP + PH) + γ²M(P), H = AᵀA/N,
//!   M(P) = (1/N)Σᵢ(aᵢᵀPaᵢ)aᵢaᵢᵀ and Q = (1/N)Σᵢrᵢ²aᵢaᵢᵀ (spec §9.5).
//! * Over-parameterised (N < d, AAᵀ invertible): from x₀ = 0 the iterates stay in
//!   row(A), the limit is x† = Aᵀ(AAᵀ)⁻¹b and e' = (I − γaᵢaᵢᵀ)e exactly. With the thin
//!   QR factorisation Aᵀ = QR (Q ∈ R^{d×N}), aᵢ = Qãᵢ with ãᵢ the i-th column of R, so
//!   the dynamics and T live on N×N matrices in the coordinates z = Qᵀe.

use crate::{Result, TheoryError};
use numerics::objective::LeastSquares;
use numerics::spectrum::{FnOperator, Lanczos};
use numerics::{Matrix, Vector};
use rand::Rng;

/// (1/N)Σᵢ wᵢ aᵢaᵢᵀ = Aᵀdiag(w)A/N for the rows aᵢ of `a`.
pub(crate) fn weighted_gram(a: &Matrix, w: &Vector) -> Matrix {
    let mut scaled = a.clone();
    for (mut row, &wi) in scaled.row_iter_mut().zip(w.iter()) {
        row *= wi;
    }
    let g = a.transpose() * scaled / a.nrows() as f64;
    (&g + g.transpose()) * 0.5
}

/// sᵢ = aᵢᵀPaᵢ for the rows aᵢ of `a`.
pub(crate) fn quadratic_forms(a: &Matrix, p: &Matrix) -> Vector {
    let ap = a * p;
    Vector::from_iterator(
        a.nrows(),
        ap.row_iter().zip(a.row_iter()).map(|(x, y)| x.dot(&y)),
    )
}

/// T(P) = P − γ(HP + PH) + γ²(1/N)Σᵢ(aᵢᵀPaᵢ)aᵢaᵢᵀ for the rows aᵢ of `a`, H = AᵀA/N.
pub(crate) fn mean_square_map(a: &Matrix, h: &Matrix, gamma: f64, p: &Matrix) -> Matrix {
    let hp = h * p;
    let m = weighted_gram(a, &quadratic_forms(a, p));
    let t = p - (&hp + hp.transpose()) * gamma + m * (gamma * gamma);
    (&t + t.transpose()) * 0.5
}

/// Symmetric eigen-decomposition (V, λ) of a symmetric matrix.
fn eigen(m: &Matrix) -> (Matrix, Vector) {
    let e = nalgebra::SymmetricEigen::new(m.clone());
    (e.eigenvectors, e.eigenvalues)
}

/// The under-parameterised problem with its solution and residuals.
#[derive(Debug, Clone)]
pub struct UnderParameterised {
    /// The objective.
    pub ls: LeastSquares,
    /// x* = (AᵀA)⁻¹Aᵀb.
    pub x_star: Vector,
    /// rᵢ = aᵢᵀx* − bᵢ.
    pub residuals: Vector,
    /// H = AᵀA/N.
    pub hessian: Matrix,
    /// Eigenvectors of H (columns).
    basis: Matrix,
    /// Eigenvalues of H.
    eigenvalues: Vector,
}

/// The stationary covariance and the sweeps its fixed-point iteration took.
#[derive(Debug, Clone)]
pub struct Stationary {
    /// P with P = T(P) + γ²Q.
    pub covariance: Matrix,
    /// Sweeps of the fixed-point iteration.
    pub sweeps: usize,
}

impl UnderParameterised {
    /// Solves the normal equations (Cholesky, one step of iterative refinement).
    pub fn new(ls: LeastSquares) -> Result<Self> {
        let a = ls.a().clone();
        let b = ls.y().clone();
        let gram = a.transpose() * &a;
        let chol = gram
            .clone()
            .cholesky()
            .ok_or_else(|| TheoryError::Other("AᵀA is not positive definite".into()))?;
        let rhs = a.transpose() * &b;
        let mut x = chol.solve(&rhs);
        let correction = chol.solve(&(&rhs - &gram * &x));
        x += correction;
        let residuals = &a * &x - &b;
        let hessian = gram / a.nrows() as f64;
        let hessian = (&hessian + hessian.transpose()) * 0.5;
        let (basis, eigenvalues) = eigen(&hessian);
        Ok(Self {
            ls,
            x_star: x,
            residuals,
            hessian,
            basis,
            eigenvalues,
        })
    }

    /// Smallest eigenvalue of H.
    pub fn lambda_min(&self) -> f64 {
        self.eigenvalues.min()
    }

    /// Q = (1/N)Σᵢ rᵢ²aᵢaᵢᵀ.
    pub fn noise_matrix(&self) -> Matrix {
        weighted_gram(self.ls.a(), &self.residuals.map(|r| r * r))
    }

    /// T(P) for step γ.
    pub fn mean_square_map(&self, gamma: f64, p: &Matrix) -> Matrix {
        mean_square_map(self.ls.a(), &self.hessian, gamma, p)
    }

    /// Solves P = T(P) + γ²Q, i.e. HP + PH = γ(M(P) + Q), by the fixed-point iteration
    /// P ← L⁻¹(γ(M(P) + Q)) with L(P) = HP + PH inverted in the eigenbasis of H
    /// (contraction factor ρ(γL⁻¹M) < 1 iff T is mean-square stable). Stops when the
    /// relative change is below 1e−13.
    pub fn stationary_covariance(&self, gamma: f64) -> Result<Stationary> {
        let ahat = self.ls.a() * &self.basis;
        let qhat = weighted_gram(&ahat, &self.residuals.map(|r| r * r));
        let d = self.eigenvalues.len();
        let solve_lyapunov = |rhs: &Matrix| {
            Matrix::from_fn(d, d, |j, k| {
                rhs[(j, k)] / (self.eigenvalues[j] + self.eigenvalues[k])
            })
        };
        let mut p = solve_lyapunov(&(&qhat * gamma));
        for sweep in 1..=5000 {
            let m = weighted_gram(&ahat, &quadratic_forms(&ahat, &p));
            let next = solve_lyapunov(&((m + &qhat) * gamma));
            let change = (&next - &p).norm() / next.norm();
            p = next;
            if !change.is_finite() {
                break;
            }
            if change < 1e-13 {
                return Ok(Stationary {
                    covariance: &self.basis * p * self.basis.transpose(),
                    sweeps: sweep,
                });
            }
        }
        Err(TheoryError::Other(format!(
            "stationary covariance did not converge for γ = {gamma} (not mean-square stable?)"
        )))
    }

    /// One SGD step x ← x − γ∇fᵢ(x) with i uniform, through `sample_gradient`.
    pub fn sgd_step(&self, x: &mut Vector, gamma: f64, rng: &mut impl Rng) {
        sgd_step(&self.ls, x, gamma, rng);
    }
}

/// One single-sample SGD step x ← x − γ∇fᵢ(x), i uniform, through
/// [`numerics::objective::FiniteSum::sample_gradient`].
pub(crate) fn sgd_step(ls: &LeastSquares, x: &mut Vector, gamma: f64, rng: &mut impl Rng) {
    use numerics::objective::FiniteSum;
    let i = rng.random_range(0..ls.n());
    let g = ls.sample_gradient(i, x);
    x.axpy(-gamma, &g, 1.0);
}

/// The over-parameterised problem in row-space coordinates.
///
/// The coordinates are z = Uᵀ Qᵀ e, with Aᵀ = QR the thin QR factorisation and U the
/// eigenvectors of H̃ = RRᵀ/N (so H̃ is diagonal, Λ, in these coordinates): e = (QU)z
/// for every e in row(A), and aᵢ = (QU)âᵢ with âᵢ = UᵀR eᵢ.
#[derive(Debug, Clone)]
pub struct OverParameterised {
    /// The objective.
    pub ls: LeastSquares,
    /// x† = Aᵀ(AAᵀ)⁻¹b.
    pub x_dagger: Vector,
    /// QU (d × N, orthonormal columns spanning row(A)).
    pub basis: Matrix,
    /// UᵀR (N × N); column i is âᵢ.
    pub coords: Matrix,
    /// Rows âᵢᵀ, for the mean-square map.
    rows: Matrix,
    /// Eigenvalues Λ of H̃ = AAᵀ/N's row-space form (ascending order not assumed).
    pub eigenvalues: Vector,
}

impl OverParameterised {
    /// Minimum-norm interpolant and row-space coordinates.
    pub fn new(ls: LeastSquares) -> Result<Self> {
        let a = ls.a().clone();
        let gram = &a * a.transpose();
        let chol = gram
            .clone()
            .cholesky()
            .ok_or_else(|| TheoryError::Other("AAᵀ is not positive definite".into()))?;
        let mut w = chol.solve(ls.y());
        let correction = chol.solve(&(ls.y() - &gram * &w));
        w += correction;
        let x_dagger = a.transpose() * w;
        let qr = a.transpose().qr();
        let r = qr.r();
        let h = &r * r.transpose() / a.nrows() as f64;
        let (u, eigenvalues) = eigen(&((&h + h.transpose()) * 0.5));
        let basis = qr.q() * &u;
        let coords = u.transpose() * r;
        let rows = coords.transpose();
        Ok(Self {
            ls,
            x_dagger,
            basis,
            coords,
            rows,
            eigenvalues,
        })
    }

    /// Number of samples N (= dimension of the row space).
    pub fn n(&self) -> usize {
        self.coords.ncols()
    }

    /// T(P) = P − γ(ΛP + PΛ) + γ²(1/N)Σᵢ(âᵢᵀPâᵢ)âᵢâᵢᵀ on N×N matrices.
    pub fn mean_square_map(&self, gamma: f64, p: &Matrix) -> Matrix {
        let n = self.n();
        let m = weighted_gram(&self.rows, &quadratic_forms(&self.rows, p));
        let lam = &self.eigenvalues;
        let t = Matrix::from_fn(n, n, |j, k| {
            p[(j, k)] * (1.0 - gamma * (lam[j] + lam[k])) + gamma * gamma * m[(j, k)]
        });
        (&t + t.transpose()) * 0.5
    }

    /// Wu et al.'s matrix T(I) = E_i[(I − γâᵢâᵢᵀ)²] on the row space.
    pub fn wu_matrix(&self, gamma: f64) -> Matrix {
        let n = self.n();
        self.mean_square_map(gamma, &Matrix::identity(n, n))
    }

    /// One SGD step on the row-space error z ← z − γâᵢ(âᵢᵀz), i uniform.
    pub fn row_step(&self, z: &mut Vector, gamma: f64, rng: &mut impl Rng) {
        let i = rng.random_range(0..self.n());
        let col = self.coords.column(i);
        let c = col.dot(z);
        z.axpy(-gamma * c, &col, 1.0);
    }
}

/// The largest eigenvalue of the mean-square map T (self-adjoint for the Frobenius
/// inner product on symmetric matrices, and a positive map, so its largest eigenvalue
/// is ρ(T)), by the library's Lanczos on vec(P).
#[derive(Debug, Clone)]
pub(crate) struct TopEigenvalue {
    /// ρ(T).
    pub value: f64,
    /// The Ritz vector (unit Frobenius norm, sign chosen so that its trace is ≥ 0).
    pub vector: Matrix,
    /// Residual ‖T(V) − θV‖_F of the Ritz pair.
    pub residual: f64,
    /// Lanczos steps (applications of T).
    pub steps: usize,
}

/// ρ(T) of `map` on n×n symmetric matrices: [`numerics::spectrum::Lanczos`] on vec(P)
/// started from the symmetric `start` (which must not be orthogonal to the top
/// eigenvector; a good start saves steps over a random one), at most `max_steps` steps,
/// stopping when the residual estimate is below 1e−10·θ; `rng` is used only for
/// restarts on an invariant subspace.
pub(crate) fn top_eigenvalue(
    start: &Matrix,
    max_steps: usize,
    map: impl Fn(&Matrix) -> Matrix,
    rng: &mut numerics::rng::Rng,
) -> Result<TopEigenvalue> {
    let n = start.nrows();
    let operator = FnOperator::new(n * n, |v: &Vector| {
        let t = map(&Matrix::from_column_slice(n, n, v.as_slice()));
        Vector::from_column_slice(t.as_slice())
    });
    let result = Lanczos::new()
        .with_max_steps(max_steps)?
        .with_start(Vector::from_column_slice(start.as_slice()))?
        .largest(&operator, 1, rng)?;
    let pair = result
        .pairs()
        .first()
        .ok_or_else(|| TheoryError::Other("Lanczos returned no Ritz pair".into()))?;
    if !result.converged() {
        return Err(TheoryError::Numerics(
            numerics::NumericsError::NoConvergence {
                method: "Lanczos on the mean-square map",
                iterations: result.steps(),
                residual: pair.residual,
            },
        ));
    }
    let mut vector = Matrix::from_column_slice(n, n, pair.vector.as_slice());
    if vector.trace() < 0.0 {
        vector = -vector;
    }
    Ok(TopEigenvalue {
        value: pair.value,
        vector,
        residual: pair.residual,
        steps: result.steps(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use numerics::spectrum::{Lanczos, MeanSquareStability};
    use numerics::Seed;

    /// E_i[(I − γaᵢaᵢᵀ)P(I − γaᵢaᵢᵀ)] summed explicitly.
    fn explicit_map(a: &Matrix, gamma: f64, p: &Matrix) -> Matrix {
        let d = a.ncols();
        let mut t = Matrix::zeros(d, d);
        for row in a.row_iter() {
            let ai = row.transpose();
            let b = Matrix::identity(d, d) - &ai * ai.transpose() * gamma;
            t += &b * p * &b;
        }
        t / a.nrows() as f64
    }

    #[test]
    fn rank_one_mean_square_map_matches_the_explicit_sum() {
        let ls = LeastSquares::gaussian(9, 4, &mut Seed(1).stream("data")).unwrap();
        let up = UnderParameterised::new(ls).unwrap();
        let g = Matrix::from_fn(4, 4, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0);
        let p = &g * g.transpose();
        let fast = up.mean_square_map(0.07, &p);
        let slow = explicit_map(up.ls.a(), 0.07, &p);
        assert!((fast - &slow).norm() < 1e-12 * slow.norm());
    }

    #[test]
    fn stationary_covariance_solves_the_fixed_point_equation() {
        let ls = LeastSquares::gaussian(30, 5, &mut Seed(2).stream("data")).unwrap();
        let up = UnderParameterised::new(ls).unwrap();
        let gamma = 0.02;
        let p = up.stationary_covariance(gamma).unwrap().covariance;
        let rhs = explicit_map(up.ls.a(), gamma, &p) + up.noise_matrix() * (gamma * gamma);
        assert!((&p - rhs).norm() < 1e-11 * p.norm());
        // Normal equations at x*: Aᵀr = 0.
        assert!((up.ls.a().transpose() * &up.residuals).norm() < 1e-10);
    }

    #[test]
    fn minimum_norm_interpolant_interpolates_and_lies_in_the_row_space() {
        let ls = LeastSquares::gaussian(6, 15, &mut Seed(3).stream("data")).unwrap();
        let op = OverParameterised::new(ls).unwrap();
        assert!((op.ls.a() * &op.x_dagger - op.ls.y()).norm() < 1e-10);
        let projected = &op.basis * (op.basis.transpose() * &op.x_dagger);
        assert!((projected - &op.x_dagger).norm() < 1e-12);
        // Row-space coordinates reproduce the rows: aᵢ = (QU)âᵢ.
        let rows = &op.basis * &op.coords;
        assert!((rows - op.ls.a().transpose()).norm() < 1e-10);
    }

    /// ρ(T|row) from [`top_eigenvalue`] (row-space map, Lanczos from a given start)
    /// equals the library's mean-square stability operator restricted to range(H)
    /// (spectrum::MeanSquareStability, an independent implementation with dense
    /// per-sample Hessians) and Lanczos on vec(P) from a random start.
    #[test]
    fn top_eigenvalue_matches_the_library_mean_square_operator() {
        let ls = LeastSquares::gaussian(8, 20, &mut Seed(4).stream("data")).unwrap();
        let op = OverParameterised::new(ls).unwrap();
        let max_norm2 = op
            .coords
            .column_iter()
            .map(|c| c.norm_squared())
            .fold(0.0, f64::max);
        for c in [0.5, 1.5, 3.0] {
            let gamma = c / max_norm2;
            let n = op.n();
            let start = Matrix::identity(n, n);
            let ours = top_eigenvalue(
                &start,
                200,
                |p| op.mean_square_map(gamma, p),
                &mut Seed(5).stream("restart"),
            )
            .unwrap();
            // Per-sample Hessians of the mean objective: Hᵢ = aᵢaᵢᵀ, batch size 1.
            let hessians: Vec<Matrix> = op.ls.a().row_iter().map(|r| r.transpose() * r).collect();
            let library = MeanSquareStability::new(hessians, 1, gamma)
                .unwrap()
                .restricted_to_range(1e-10)
                .unwrap()
                .spectral_radius()
                .unwrap();
            assert!(
                (ours.value - library).abs() < 1e-9,
                "c = {c}: {} vs {library}",
                ours.value
            );
            let lanczos = Lanczos::new()
                .largest(
                    &library_operator(&op, gamma),
                    1,
                    &mut Seed(5).stream("lanczos"),
                )
                .unwrap();
            assert!((lanczos.pairs()[0].value - ours.value).abs() < 1e-9);
            // Wu's bound.
            let wu = nalgebra::SymmetricEigen::new(op.wu_matrix(gamma))
                .eigenvalues
                .max();
            assert!(wu >= ours.value - 1e-12);
        }
    }

    fn library_operator(
        op: &OverParameterised,
        gamma: f64,
    ) -> numerics::spectrum::FnOperator<impl Fn(&Vector) -> Vector + '_> {
        let n = op.n();
        numerics::spectrum::FnOperator::new(n * n, move |v: &Vector| {
            let p = Matrix::from_column_slice(n, n, v.as_slice());
            let t = op.mean_square_map(gamma, &((&p + p.transpose()) * 0.5));
            Vector::from_column_slice(t.as_slice())
        })
    }
}
