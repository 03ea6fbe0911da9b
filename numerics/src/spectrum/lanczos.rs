//! Matrix-free Lanczos with full reorthogonalisation for a few extreme eigenpairs of a
//! symmetric operator.

use super::operator::LinearOperator;
use crate::rng::Rng;
use crate::{Matrix, NumericsError, Result, Vector};
use nalgebra::linalg::SymmetricEigen;
use rand_distr::{Distribution, StandardNormal};

/// A Ritz pair (θ, v) of a symmetric operator A with its residual ‖Av − θv‖ (‖v‖ = 1).
#[derive(Debug, Clone, PartialEq)]
pub struct RitzPair {
    /// Ritz value θ (an eigenvalue estimate).
    pub value: f64,
    /// Unit Ritz vector v.
    pub vector: Vector,
    /// Residual norm ‖Av − θv‖, computed with one extra application of A. By the
    /// Bauer–Fike/Kahan bound some eigenvalue of A lies within this distance of θ.
    pub residual: f64,
}

/// The output of [`Lanczos`]: the wanted Ritz pairs, best first, and the iteration
/// count.
#[derive(Debug, Clone, PartialEq)]
pub struct LanczosResult {
    pairs: Vec<RitzPair>,
    steps: usize,
    converged: bool,
}

impl LanczosResult {
    /// The Ritz pairs: descending values for [`Lanczos::largest`], ascending for
    /// [`Lanczos::smallest`].
    #[must_use]
    pub fn pairs(&self) -> &[RitzPair] {
        &self.pairs
    }

    /// The Ritz values in the order of [`Self::pairs`].
    #[must_use]
    pub fn values(&self) -> Vec<f64> {
        self.pairs.iter().map(|p| p.value).collect()
    }

    /// Number of Lanczos steps (applications of A, not counting the residuals).
    #[must_use]
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Whether every wanted pair met the tolerance before the step budget ran out (a
    /// full Krylov basis of the whole space counts as converged).
    #[must_use]
    pub fn converged(&self) -> bool {
        self.converged
    }
}

/// Which end of the spectrum is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Largest,
    Smallest,
}

/// Lanczos with full reorthogonalisation: builds an orthonormal Krylov basis Q of
/// span{q₀, Aq₀, A²q₀, …} from a seeded Gaussian start q₀ (or a given one,
/// [`Lanczos::with_start`]), the tridiagonal T = QᵀAQ, and Ritz pairs (θ, Qy) from
/// T y = θ y.
///
/// Every new basis vector is orthogonalised against all previous ones after the
/// three-term recurrence (classical Gram–Schmidt, repeated once when the first pass
/// cancelled most of the vector: "twice is enough"), so no spurious copies of converged
/// eigenvalues appear. A pair counts as converged when its residual estimate βⱼ|yⱼ| is at most
/// `tolerance`·max|θ|. On an invariant subspace (βⱼ ≈ 0) the iteration restarts from a
/// fresh random vector orthogonal to Q, so eigenvalues of multiplicity > 1 are found.
///
/// # References
/// Golub & Van Loan, *Matrix Computations*, 4th ed., §10.1–10.3; the edge-of-stability
/// code (Cohen et al. 2021) uses the same method for sharpness.
#[derive(Debug, Clone, PartialEq)]
pub struct Lanczos {
    max_steps: Option<usize>,
    tolerance: f64,
    start: Option<Vector>,
}

impl Default for Lanczos {
    fn default() -> Self {
        Self::new()
    }
}

impl Lanczos {
    /// Relative residual tolerance 1e−10 and a budget of n steps (a full basis).
    #[must_use]
    pub fn new() -> Self {
        Self {
            max_steps: None,
            tolerance: 1e-10,
            start: None,
        }
    }

    /// Caps the number of steps (default: the dimension n).
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] if `steps == 0`.
    pub fn with_max_steps(mut self, steps: usize) -> Result<Self> {
        crate::error::check_count("Lanczos steps", steps, 1)?;
        self.max_steps = Some(steps);
        Ok(self)
    }

    /// Sets the relative residual tolerance.
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] unless `tolerance` is in (0, 1).
    pub fn with_tolerance(mut self, tolerance: f64) -> Result<Self> {
        self.tolerance =
            crate::error::check_open("Lanczos tolerance", "in (0, 1)", tolerance, 0.0, 1.0)?;
        Ok(self)
    }

    /// Starts the Krylov space from `start` (normalised) instead of a random vector.
    ///
    /// A start close to the wanted eigenvectors (e.g. a known approximation, or a
    /// vector known not to be orthogonal to them, such as a positive-definite matrix for
    /// the top eigenvector of a positive map on matrices) saves steps; the random
    /// generator is then used only for restarts. The start must have the operator's
    /// dimension (checked when the iteration runs).
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] if `start` is zero or not finite.
    pub fn with_start(mut self, start: Vector) -> Result<Self> {
        let norm = start.norm();
        crate::error::check_positive("norm of the Lanczos start vector", norm)?;
        self.start = Some(start / norm);
        Ok(self)
    }

    /// The `k` algebraically largest eigenpairs of the symmetric operator `a`,
    /// descending.
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] if `k == 0` or `k > a.dim()`;
    /// [`NumericsError::DimensionMismatch`] if a start vector of another length was set;
    /// [`NumericsError::NonFinite`] if A produced NaN/∞.
    pub fn largest<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        k: usize,
        rng: &mut Rng,
    ) -> Result<LanczosResult> {
        self.run(a, k, End::Largest, rng)
    }

    /// The `k` algebraically smallest eigenpairs of the symmetric operator `a`,
    /// ascending.
    ///
    /// # Errors
    /// As [`Lanczos::largest`].
    pub fn smallest<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        k: usize,
        rng: &mut Rng,
    ) -> Result<LanczosResult> {
        self.run(a, k, End::Smallest, rng)
    }

    fn run<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        k: usize,
        end: End,
        rng: &mut Rng,
    ) -> Result<LanczosResult> {
        let n = a.dim();
        if k == 0 || k > n {
            return Err(NumericsError::InvalidParameter {
                name: "number of wanted eigenpairs k",
                allowed: "in 1..=dimension",
                value: k as f64,
            });
        }
        let budget = self.max_steps.unwrap_or(n).clamp(k, n);
        let mut basis: Vec<Vector> = Vec::with_capacity(budget);
        let mut alpha: Vec<f64> = Vec::with_capacity(budget);
        // beta[j] couples basis j and j + 1 (0 across a restart).
        let mut beta: Vec<f64> = Vec::with_capacity(budget);
        let mut q = match &self.start {
            Some(start) if start.len() == n => start.clone(),
            Some(start) => {
                return Err(NumericsError::DimensionMismatch {
                    context: "Lanczos: start vector",
                    expected: n,
                    got: start.len(),
                })
            }
            None => fresh_direction(n, &basis, rng)
                .ok_or(NumericsError::NonFinite("Lanczos start vector"))?,
        };
        let mut converged = false;
        let mut scale = 0.0_f64;
        while basis.len() < budget {
            let mut w = a.apply(&q);
            if w.len() != n {
                return Err(NumericsError::DimensionMismatch {
                    context: "Lanczos: operator output",
                    expected: n,
                    got: w.len(),
                });
            }
            if w.iter().any(|x| !x.is_finite()) {
                return Err(NumericsError::NonFinite("Lanczos operator output"));
            }
            let a_j = q.dot(&w);
            scale = scale.max(w.norm());
            // The three-term recurrence w = Aq_j − α_j q_j − β_{j−1} q_{j−1} (β = 0 across
            // a restart), then full reorthogonalisation against the whole basis.
            w.axpy(-a_j, &q, 1.0);
            if let (Some(prev), Some(&b_prev)) = (basis.last(), beta.last()) {
                w.axpy(-b_prev, prev, 1.0);
            }
            basis.push(q.clone());
            alpha.push(a_j);
            let b_j = reorthogonalise(&mut w, &basis);
            let steps = basis.len();
            if steps == n {
                beta.push(0.0);
                converged = true;
                break;
            }
            let breakdown = b_j <= 1e-12 * scale.max(f64::MIN_POSITIVE);
            if breakdown {
                // Invariant subspace: restart orthogonally (do not test convergence
                // here, eigenvalues outside the subspace are still unseen).
                beta.push(0.0);
                match fresh_direction(n, &basis, rng) {
                    Some(next) => q = next,
                    None => {
                        converged = true;
                        break;
                    }
                }
                continue;
            }
            beta.push(b_j);
            q = w / b_j;
            if steps >= k
                && (steps < 20 || steps % 5 == 0)
                && ritz_converged(&alpha, &beta, k, end, self.tolerance)
            {
                converged = true;
                break;
            }
        }
        let m = basis.len();
        let (theta, y) = tridiagonal_eigen(&alpha, &beta[..m.saturating_sub(1)])?;
        let mut order: Vec<usize> = (0..m).collect();
        match end {
            End::Largest => order.sort_by(|&i, &j| theta[j].total_cmp(&theta[i])),
            End::Smallest => order.sort_by(|&i, &j| theta[i].total_cmp(&theta[j])),
        }
        let pairs = order
            .iter()
            .take(k.min(m))
            .map(|&i| {
                let mut v = Vector::zeros(n);
                for (j, b) in basis.iter().enumerate() {
                    v.axpy(y[(j, i)], b, 1.0);
                }
                let norm = v.norm();
                if norm > 0.0 {
                    v /= norm;
                }
                let residual = (a.apply(&v) - &v * theta[i]).norm();
                RitzPair {
                    value: theta[i],
                    vector: v,
                    residual,
                }
            })
            .collect();
        Ok(LanczosResult {
            pairs,
            steps: m,
            converged,
        })
    }
}

/// Removes from `w` its components along the orthonormal `basis` (classical
/// Gram–Schmidt) and returns ‖w‖. A second pass runs only when the first removed most
/// of w (‖w‖ shrank below ‖w‖/√2: the Daniel–Gragg–Kaufman–Stewart criterion), since
/// "twice is enough" and once is enough otherwise.
fn reorthogonalise(w: &mut Vector, basis: &[Vector]) -> f64 {
    let mut norm = w.norm();
    for _ in 0..2 {
        for b in basis {
            let c = b.dot(w);
            w.axpy(-c, b, 1.0);
        }
        let before = norm;
        norm = w.norm();
        if norm > std::f64::consts::FRAC_1_SQRT_2 * before {
            break;
        }
    }
    norm
}

/// A unit Gaussian vector orthogonal to `basis` (None when `basis` spans Rⁿ).
fn fresh_direction(n: usize, basis: &[Vector], rng: &mut Rng) -> Option<Vector> {
    if basis.len() >= n {
        return None;
    }
    for _ in 0..8 {
        let mut v = Vector::from_fn(n, |_, _| StandardNormal.sample(rng));
        for _ in 0..2 {
            for b in basis {
                let c = b.dot(&v);
                v.axpy(-c, b, 1.0);
            }
        }
        let norm = v.norm();
        if norm > 1e-8 && norm.is_finite() {
            return Some(v / norm);
        }
    }
    None
}

/// Eigen-decomposition of the symmetric tridiagonal matrix with diagonal `alpha` and
/// off-diagonal `beta`.
fn tridiagonal_eigen(alpha: &[f64], beta: &[f64]) -> Result<(Vector, Matrix)> {
    let m = alpha.len();
    let t = Matrix::from_fn(m, m, |i, j| {
        if i == j {
            alpha[i]
        } else if i + 1 == j {
            beta.get(i).copied().unwrap_or(0.0)
        } else if j + 1 == i {
            beta.get(j).copied().unwrap_or(0.0)
        } else {
            0.0
        }
    });
    let eig = SymmetricEigen::try_new(t, f64::EPSILON, 1000 * m.max(1)).ok_or(
        NumericsError::NoConvergence {
            method: "Lanczos tridiagonal eigen-decomposition",
            iterations: 1000 * m.max(1),
            residual: f64::NAN,
        },
    )?;
    Ok((eig.eigenvalues, eig.eigenvectors))
}

/// Whether the `k` wanted Ritz values of T_m have residual estimates
/// β_m|y_{m,i}| ≤ tol·max|θ| (β_m = last entry of `beta`).
fn ritz_converged(alpha: &[f64], beta: &[f64], k: usize, end: End, tol: f64) -> bool {
    let m = alpha.len();
    let Some(&b_last) = beta.last() else {
        return false;
    };
    let Ok((theta, y)) = tridiagonal_eigen(alpha, &beta[..m - 1]) else {
        return false;
    };
    let scale = theta.amax().max(f64::MIN_POSITIVE);
    let mut order: Vec<usize> = (0..m).collect();
    match end {
        End::Largest => order.sort_by(|&i, &j| theta[j].total_cmp(&theta[i])),
        End::Smallest => order.sort_by(|&i, &j| theta[i].total_cmp(&theta[j])),
    }
    order
        .iter()
        .take(k)
        .all(|&i| (b_last * y[(m - 1, i)]).abs() <= tol * scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seed;
    use approx::assert_relative_eq;

    #[test]
    fn lanczos_finds_repeated_top_eigenvalues() {
        // diag(3, 3, 1, 1, 0.5): a single Krylov space sees 3 only once; the restart on
        // the invariant subspace must find its second copy.
        let a = Matrix::from_diagonal(&Vector::from_vec(vec![3.0, 1.0, 3.0, 1.0, 0.5]));
        let r = Lanczos::new()
            .largest(&a, 2, &mut Seed(1).stream("t"))
            .unwrap();
        assert_relative_eq!(r.values()[0], 3.0, epsilon = 1e-12);
        assert_relative_eq!(r.values()[1], 3.0, epsilon = 1e-12);
        assert!(r.converged());
        let s = Lanczos::new()
            .smallest(&a, 1, &mut Seed(1).stream("t"))
            .unwrap();
        assert_relative_eq!(s.values()[0], 0.5, epsilon = 1e-12);
    }

    #[test]
    fn lanczos_rejects_bad_k() {
        let a = Matrix::identity(3, 3);
        let mut rng = Seed(0).stream("t");
        assert!(Lanczos::new().largest(&a, 0, &mut rng).is_err());
        assert!(Lanczos::new().largest(&a, 4, &mut rng).is_err());
        assert!(Lanczos::new().with_max_steps(0).is_err());
        assert!(Lanczos::new().with_tolerance(0.0).is_err());
    }

    #[test]
    fn lanczos_from_a_given_start() {
        // diag(1, …, 5): a start on the top eigenvector e₄ is an invariant subspace, so
        // the first step already has the exact pair (then restarts to confirm it).
        let a = Matrix::from_diagonal(&Vector::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0]));
        let e4 = Vector::from_fn(5, |i, _| if i == 4 { 2.0 } else { 0.0 });
        let r = Lanczos::new()
            .with_start(e4)
            .unwrap()
            .largest(&a, 1, &mut Seed(3).stream("t"))
            .unwrap();
        assert_relative_eq!(r.values()[0], 5.0, epsilon = 1e-14);
        assert!(r.pairs()[0].residual < 1e-14);
        // The start fixes the Krylov space: two seeds give the same Ritz pair.
        let start = Vector::from_element(5, 1.0);
        let run = |seed| {
            Lanczos::new()
                .with_max_steps(3)
                .unwrap()
                .with_start(start.clone())
                .unwrap()
                .largest(&a, 1, &mut Seed(seed).stream("t"))
                .unwrap()
        };
        assert_eq!(run(1), run(2));
        assert!(Lanczos::new().with_start(Vector::zeros(5)).is_err());
        let wrong = Lanczos::new()
            .with_start(Vector::from_element(4, 1.0))
            .unwrap();
        assert!(matches!(
            wrong.largest(&a, 1, &mut Seed(0).stream("t")),
            Err(NumericsError::DimensionMismatch { .. })
        ));
    }

    #[test]
    fn lanczos_stops_early_on_a_well_separated_top_eigenvalue() {
        // Eigenvalues 100 and 1..=1 (n = 200): converges in a handful of steps.
        let n = 200;
        let mut d = Vector::from_element(n, 1.0);
        for i in 0..n {
            d[i] = 1.0 + i as f64 / n as f64;
        }
        d[7] = 100.0;
        let a = Matrix::from_diagonal(&d);
        let r = Lanczos::new()
            .largest(&a, 1, &mut Seed(2).stream("t"))
            .unwrap();
        assert!(r.converged() && r.steps() < 30, "steps {}", r.steps());
        assert_relative_eq!(r.values()[0], 100.0, epsilon = 1e-9);
        assert!(r.pairs()[0].residual < 1e-7);
    }
}
