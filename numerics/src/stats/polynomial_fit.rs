//! Ordinary least-squares polynomial fits y ≈ Σₖ cₖxᵏ with the classical standard errors
//! SE(cₖ) = √(s²·[(XᵀX)⁻¹]ₖₖ), s² = RSS/(n − p − 1).

use crate::{Matrix, Vector};
use serde::{Deserialize, Serialize};

/// A fitted polynomial: coefficients c₀, c₁, … (ascending powers) and their standard
/// errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolynomialFit {
    /// c₀, c₁, …, c_p.
    pub coefficients: Vec<f64>,
    /// SE of each coefficient (NaN when n ≤ p + 1).
    pub standard_errors: Vec<f64>,
    /// Residual sum of squares.
    pub residual_sum_of_squares: f64,
}

impl PolynomialFit {
    /// p(x) = Σₖ cₖxᵏ.
    #[must_use]
    pub fn eval(&self, x: f64) -> f64 {
        self.coefficients
            .iter()
            .rev()
            .fold(0.0, |acc, c| acc * x + c)
    }

    /// For a quadratic with c₂ ≠ 0, the stationary point −c₁/(2c₂).
    #[must_use]
    pub fn vertex(&self) -> Option<f64> {
        match self.coefficients.as_slice() {
            [_, c1, c2] if *c2 != 0.0 => Some(-c1 / (2.0 * c2)),
            _ => None,
        }
    }
}

/// Least-squares fit of degree `degree` (QR of the Vandermonde matrix; keep x of order
/// one, e.g. log δ, for conditioning); None if n < degree + 1 or the design is
/// rank-deficient.
///
/// ```
/// // y = 1 − 2x + 3x² exactly: the fit recovers the coefficients.
/// let x = [-1.0, 0.0, 1.0, 2.0, 3.0];
/// let y: Vec<f64> = x.iter().map(|t| 1.0 - 2.0 * t + 3.0 * t * t).collect();
/// let fit = numerics::stats::polynomial_fit(&x, &y, 2).unwrap();
/// assert!((fit.coefficients[2] - 3.0).abs() < 1e-12 && (fit.coefficients[1] + 2.0).abs() < 1e-12);
/// ```
#[must_use]
pub fn polynomial_fit(x: &[f64], y: &[f64], degree: usize) -> Option<PolynomialFit> {
    let (n, p) = (x.len(), degree + 1);
    if y.len() != n || n < p {
        return None;
    }
    let design = Matrix::from_fn(n, p, |i, k| x[i].powi(k as i32));
    let rhs = Vector::from_column_slice(y);
    let gram = design.transpose() * &design;
    let gram_inverse = gram.clone().try_inverse()?;
    // Solve by QR for accuracy; the inverse Gram matrix only feeds the standard errors.
    let qr = design.clone().qr();
    let qty = qr.q().transpose() * &rhs;
    let coefficients = qr.r().solve_upper_triangular(&qty)?;
    let residual = &rhs - &design * &coefficients;
    let rss = residual.norm_squared();
    let s2 = if n > p {
        rss / (n - p) as f64
    } else {
        f64::NAN
    };
    Some(PolynomialFit {
        coefficients: coefficients.iter().copied().collect(),
        standard_errors: (0..p).map(|k| (s2 * gram_inverse[(k, k)]).sqrt()).collect(),
        residual_sum_of_squares: rss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn straight_line_standard_errors_match_the_closed_form() {
        // Simple regression: SE(slope) = s/√Sxx, SE(intercept) = s·√(1/n + x̄²/Sxx).
        let x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [0.1, 0.9, 2.2, 2.8, 4.1, 5.2];
        let fit = polynomial_fit(&x, &y, 1).unwrap();
        let n = 6.0;
        let xbar = 2.5;
        let sxx: f64 = x.iter().map(|t| (t - xbar) * (t - xbar)).sum();
        let s = (fit.residual_sum_of_squares / (n - 2.0)).sqrt();
        assert_relative_eq!(fit.standard_errors[1], s / sxx.sqrt(), max_relative = 1e-12);
        assert_relative_eq!(
            fit.standard_errors[0],
            s * (1.0 / n + xbar * xbar / sxx).sqrt(),
            max_relative = 1e-12
        );
    }

    #[test]
    fn vertex_and_eval_of_a_concave_quadratic() {
        let x = [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0];
        let y: Vec<f64> = x.iter().map(|t| 5.0 - (t - 0.5) * (t - 0.5)).collect();
        let fit = polynomial_fit(&x, &y, 2).unwrap();
        assert_relative_eq!(fit.vertex().unwrap(), 0.5, max_relative = 1e-12);
        assert_relative_eq!(fit.eval(0.5), 5.0, max_relative = 1e-12);
        assert!(polynomial_fit(&[1.0, 2.0], &[1.0, 2.0], 2).is_none());
        assert!(polynomial_fit(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0], 2).is_none());
    }
}
