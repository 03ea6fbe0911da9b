//! Dense eigen-decompositions: symmetric (sorted eigenvalues and orthonormal
//! eigenvectors) and the spectral radius of a general square matrix.

use crate::{Matrix, NumericsError, Result, Vector};
use nalgebra::linalg::{Schur, SymmetricEigen};

/// Relative asymmetry max|A − Aᵀ| / max(1, max|A|) accepted as rounding.
const SYMMETRY_TOLERANCE: f64 = 1e-10;

/// Iteration budget per dimension of nalgebra's QR-type eigen-solvers.
const SWEEPS_PER_DIMENSION: usize = 1000;

/// A = V diag(λ) Vᵀ for symmetric A, with λ₁ ≤ … ≤ λₙ (ascending) and orthonormal
/// eigenvector columns V (column i belongs to λᵢ).
///
/// ```
/// use numerics::spectrum::SymmetricSpectrum;
/// use numerics::Matrix;
/// let a = Matrix::from_row_slice(2, 2, &[2.0, 1.0, 1.0, 2.0]); // eigenvalues 1 and 3
/// let s = SymmetricSpectrum::new(&a).unwrap();
/// assert!((s.lambda_min() - 1.0).abs() < 1e-14 && (s.lambda_max() - 3.0).abs() < 1e-14);
/// assert!((s.recompose() - a).abs().max() < 1e-14);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetricSpectrum {
    values: Vector,
    vectors: Matrix,
}

impl SymmetricSpectrum {
    /// Eigen-decomposition of the symmetric matrix `a` (symmetrised as (A + Aᵀ)/2 after
    /// the symmetry check).
    ///
    /// # Errors
    /// [`NumericsError::DimensionMismatch`] if `a` is not square or empty;
    /// [`NumericsError::NonFinite`] for NaN/∞ entries; [`NumericsError::Other`] if
    /// max|A − Aᵀ| > 1e−10·max(1, max|A|); [`NumericsError::NoConvergence`] if the
    /// QR iteration does not converge.
    pub fn new(a: &Matrix) -> Result<Self> {
        let n = validate_square(a, "symmetric eigen-decomposition")?;
        let scale = a.abs().max().max(1.0);
        let asym = (a - a.transpose()).abs().max();
        if asym > SYMMETRY_TOLERANCE * scale {
            return Err(NumericsError::Other(format!(
                "symmetric eigen-decomposition: matrix is not symmetric (max |A − Aᵀ| = {asym:e})"
            )));
        }
        let sym = (a + a.transpose()) * 0.5;
        let eig = SymmetricEigen::try_new(sym, f64::EPSILON, SWEEPS_PER_DIMENSION * n.max(1))
            .ok_or(NumericsError::NoConvergence {
                method: "symmetric eigen-decomposition",
                iterations: SWEEPS_PER_DIMENSION * n.max(1),
                residual: f64::NAN,
            })?;
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&i, &j| eig.eigenvalues[i].total_cmp(&eig.eigenvalues[j]));
        let values = Vector::from_iterator(n, order.iter().map(|&i| eig.eigenvalues[i]));
        let vectors = Matrix::from_columns(
            &order
                .iter()
                .map(|&i| eig.eigenvectors.column(i).into_owned())
                .collect::<Vec<_>>(),
        );
        Ok(Self { values, vectors })
    }

    /// Eigenvalues λ₁ ≤ … ≤ λₙ.
    #[must_use]
    pub fn values(&self) -> &Vector {
        &self.values
    }

    /// Orthonormal eigenvectors as columns, in the order of [`Self::values`].
    #[must_use]
    pub fn vectors(&self) -> &Matrix {
        &self.vectors
    }

    /// Dimension n.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.values.len()
    }

    /// λ_max = λₙ.
    #[must_use]
    pub fn lambda_max(&self) -> f64 {
        self.values.max()
    }

    /// λ_min = λ₁.
    #[must_use]
    pub fn lambda_min(&self) -> f64 {
        self.values.min()
    }

    /// Spectral radius max |λᵢ|.
    #[must_use]
    pub fn spectral_radius(&self) -> f64 {
        self.values.amax()
    }

    /// The eigenvector of λ_max (last column).
    #[must_use]
    pub fn top_vector(&self) -> Vector {
        self.vectors
            .column(self.dim().saturating_sub(1))
            .into_owned()
    }

    /// V diag(λ) Vᵀ, which reproduces A up to rounding.
    #[must_use = "recompose returns the matrix; it does not modify self"]
    pub fn recompose(&self) -> Matrix {
        &self.vectors * Matrix::from_diagonal(&self.values) * self.vectors.transpose()
    }

    /// V diag(φ(λ)) Vᵀ: a spectral function of A (e.g. φ = √ for a PSD square root).
    #[must_use]
    pub fn map(&self, phi: impl Fn(f64) -> f64) -> Matrix {
        let mapped = self.values.map(phi);
        &self.vectors * Matrix::from_diagonal(&mapped) * self.vectors.transpose()
    }
}

/// λ_max(A) of a symmetric matrix.
///
/// # Errors
/// As [`SymmetricSpectrum::new`].
pub fn lambda_max(a: &Matrix) -> Result<f64> {
    Ok(SymmetricSpectrum::new(a)?.lambda_max())
}

/// λ_min(A) of a symmetric matrix.
///
/// # Errors
/// As [`SymmetricSpectrum::new`].
pub fn lambda_min(a: &Matrix) -> Result<f64> {
    Ok(SymmetricSpectrum::new(a)?.lambda_min())
}

/// Spectral radius ρ(A) = max |λᵢ(A)| of a general (not necessarily symmetric) square
/// matrix, from the eigenvalues of its real Schur form.
///
/// ```
/// use numerics::spectrum::spectral_radius;
/// use numerics::Matrix;
/// let rotation = Matrix::from_row_slice(2, 2, &[0.0, -2.0, 2.0, 0.0]); // eigenvalues ±2i
/// assert!((spectral_radius(&rotation).unwrap() - 2.0).abs() < 1e-12);
/// ```
///
/// # Errors
/// [`NumericsError::DimensionMismatch`] if `a` is not square or empty,
/// [`NumericsError::NonFinite`] for NaN/∞ entries, [`NumericsError::NoConvergence`]
/// if the Schur iteration does not converge.
pub fn spectral_radius(a: &Matrix) -> Result<f64> {
    let n = validate_square(a, "spectral radius")?;
    let schur = Schur::try_new(a.clone(), f64::EPSILON, SWEEPS_PER_DIMENSION * n.max(1)).ok_or(
        NumericsError::NoConvergence {
            method: "Schur decomposition",
            iterations: SWEEPS_PER_DIMENSION * n.max(1),
            residual: f64::NAN,
        },
    )?;
    Ok(schur
        .complex_eigenvalues()
        .iter()
        .map(|z| z.norm())
        .fold(0.0, f64::max))
}

/// Returns n if `a` is a non-empty, finite n×n matrix.
pub(crate) fn validate_square(a: &Matrix, context: &'static str) -> Result<usize> {
    if a.nrows() != a.ncols() || a.nrows() == 0 {
        return Err(NumericsError::DimensionMismatch {
            context,
            expected: a.nrows().max(1),
            got: a.ncols(),
        });
    }
    if a.iter().any(|v| !v.is_finite()) {
        return Err(NumericsError::NonFinite(context));
    }
    Ok(a.nrows())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn symmetric_spectrum_is_sorted_and_orthonormal() {
        let a = Matrix::from_row_slice(3, 3, &[4.0, 1.0, 0.0, 1.0, -2.0, 0.5, 0.0, 0.5, 1.0]);
        let s = SymmetricSpectrum::new(&a).unwrap();
        assert!(s.values()[0] <= s.values()[1] && s.values()[1] <= s.values()[2]);
        let v = s.vectors();
        assert_relative_eq!(v.transpose() * v, Matrix::identity(3, 3), epsilon = 1e-14);
        for i in 0..3 {
            let (l, x) = (s.values()[i], v.column(i).into_owned());
            assert!((&a * &x - x * l).norm() < 1e-13);
        }
        assert_relative_eq!(s.spectral_radius(), s.values().amax());
    }

    #[test]
    fn symmetric_spectrum_rejects_bad_input() {
        let asym = Matrix::from_row_slice(2, 2, &[1.0, 2.0, 0.0, 1.0]);
        assert!(matches!(
            SymmetricSpectrum::new(&asym),
            Err(NumericsError::Other(_))
        ));
        assert!(matches!(
            SymmetricSpectrum::new(&Matrix::zeros(2, 3)),
            Err(NumericsError::DimensionMismatch { .. })
        ));
        let nan = Matrix::from_element(2, 2, f64::NAN);
        assert!(matches!(
            SymmetricSpectrum::new(&nan),
            Err(NumericsError::NonFinite(_))
        ));
    }

    #[test]
    fn spectral_radius_of_a_non_normal_matrix() {
        // Upper triangular: eigenvalues are the diagonal (0.5, −0.9), whatever the
        // off-diagonal entry.
        let a = Matrix::from_row_slice(2, 2, &[0.5, 100.0, 0.0, -0.9]);
        assert_relative_eq!(spectral_radius(&a).unwrap(), 0.9, epsilon = 1e-12);
    }
}
