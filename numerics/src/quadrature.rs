//! Gaussian quadrature rules by the Golub–Welsch algorithm: Gauss–Hermite (standard
//! normal weight) and Gauss–Jacobi with symmetric exponents (the coordinate marginal of
//! the uniform ball).

use crate::{Matrix, NumericsError, Result};
use nalgebra::SymmetricEigen;

/// A quadrature rule Σⱼ wⱼ g(tⱼ) ≈ E[g(T)], weights normalised to sum 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Nodes tⱼ, ascending.
    pub nodes: Vec<f64>,
    /// Weights wⱼ > 0 with Σⱼ wⱼ = 1.
    pub weights: Vec<f64>,
}

impl Rule {
    /// Σⱼ wⱼ g(tⱼ).
    pub fn expect(&self, mut g: impl FnMut(f64) -> f64) -> f64 {
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(&t, &w)| w * g(t))
            .sum()
    }
}

/// Rule from the symmetric tridiagonal Jacobi matrix (diagonal `a`, off-diagonal `b`):
/// nodes are its eigenvalues, weights the squared first components of its eigenvectors.
fn golub_welsch(a: &[f64], b: &[f64]) -> Result<Rule> {
    let n = a.len();
    let mut j = Matrix::zeros(n, n);
    for i in 0..n {
        j[(i, i)] = a[i];
        if i + 1 < n {
            j[(i, i + 1)] = b[i];
            j[(i + 1, i)] = b[i];
        }
    }
    let eig = SymmetricEigen::try_new(j, 1e-15, 10_000).ok_or(NumericsError::NoConvergence {
        method: "Golub–Welsch eigen-decomposition",
        iterations: 10_000,
        residual: f64::NAN,
    })?;
    let mut pairs: Vec<(f64, f64)> = (0..n)
        .map(|k| (eig.eigenvalues[k], eig.eigenvectors[(0, k)].powi(2)))
        .collect();
    pairs.sort_by(|p, q| p.0.total_cmp(&q.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    Ok(Rule {
        nodes: pairs.iter().map(|p| p.0).collect(),
        weights: pairs.iter().map(|p| p.1 / total).collect(),
    })
}

/// n-point Gauss–Hermite rule for T ~ N(0, 1) (probabilists' weight e^{−t²/2}):
/// exact for polynomials of degree ≤ 2n − 1.
///
/// ```
/// let r = numerics::quadrature::gauss_hermite(20).unwrap();
/// assert!((r.expect(|t| t * t) - 1.0).abs() < 1e-13);       // E[T²] = 1
/// assert!((r.expect(|t| t.powi(4)) - 3.0).abs() < 1e-12);   // E[T⁴] = 3
/// ```
///
/// # Errors
/// If `n == 0` or the eigen-solver fails.
pub fn gauss_hermite(n: usize) -> Result<Rule> {
    crate::error::check_count("number of nodes", n, 1)?;
    let a = vec![0.0; n];
    let b: Vec<f64> = (1..n).map(|k| (k as f64).sqrt()).collect();
    golub_welsch(&a, &b)
}

/// n-point Gauss–Jacobi rule for the density ∝ (1 − t²)^α on [−1, 1] (α > −1): the
/// law of one coordinate of a uniform point in the d-ball when α = (d − 1)/2.
///
/// ```
/// // d = 3: E[u₁²] = 1/(d + 2) = 1/5.
/// let r = numerics::quadrature::gauss_jacobi_symmetric(10, 1.0).unwrap();
/// assert!((r.expect(|t| t * t) - 0.2).abs() < 1e-14);
/// ```
///
/// # Errors
/// If `n == 0`, α ≤ −1, or the eigen-solver fails.
pub fn gauss_jacobi_symmetric(n: usize, alpha: f64) -> Result<Rule> {
    crate::error::check_count("number of nodes", n, 1)?;
    crate::error::check_open("Jacobi exponent α", "> −1", alpha, -1.0, f64::INFINITY)?;
    let a = vec![0.0; n];
    // Off-diagonal of the Jacobi matrix for α = β:
    // b_k² = 4k(k+α)(k+β)(k+α+β) / ((2k+α+β)²(2k+α+β+1)(2k+α+β−1)).
    let b: Vec<f64> = (1..n)
        .map(|k| {
            let k = k as f64;
            let s = 2.0 * k + 2.0 * alpha;
            (4.0 * k * (k + alpha) * (k + alpha) * (k + 2.0 * alpha)
                / (s * s * (s + 1.0) * (s - 1.0)))
                .sqrt()
        })
        .collect();
    golub_welsch(&a, &b)
}
