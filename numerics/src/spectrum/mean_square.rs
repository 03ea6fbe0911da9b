//! Mean-square linear stability of SGD at an interpolating minimum (Wu, Ma & E 2018;
//! Mulayoff & Michaeli 2023; spec §8.2).
//!
//! Linearised SGD with a uniform B-subset Sₜ (without replacement) of the n samples is
//! eₜ₊₁ = (I − ηH_{Sₜ})eₜ with H_S = (1/B)Σ_{i∈S} Hᵢ. Its second moment
//! Pₜ = E\[eₜeₜᵀ\] evolves linearly, Pₜ₊₁ = T(Pₜ), with
//!
//! T(P) = (I − ηH)P(I − ηH) + η²p[(1/n)Σᵢ HᵢPHᵢ − HPH],
//! p = (n − B)/(B(n − 1)), H = (1/n)ΣHᵢ,
//!
//! because E[(H_S − H) ⊗ (H_S − H)] = p·[(1/n)ΣHᵢ⊗Hᵢ − H⊗H] for sampling without
//! replacement. The minimum is mean-square stable iff ρ(T) ≤ 1. Wu et al.'s sufficient
//! condition is λ_max(T(I)) = λ_max((I − ηH)² + η²pΣ) ≤ 1 with Σ = (1/n)ΣHᵢ² − H²;
//! ρ(T) ≤ λ_max(T(I)) because T is a positive map (Russo–Dye: ‖T‖ = ‖T(I)‖).

use super::dense::{validate_square, SymmetricSpectrum};
use super::operator::LinearOperator;
use super::power::{PowerIteration, PowerResult};
use crate::{Matrix, NumericsError, Result, Vector};

/// Largest dimension d for which [`MeanSquareStability::spectral_radius`] forms the
/// d² × d² Kronecker matrix; above it, power iteration on symmetric P is used.
pub const KRONECKER_MAX_DIM: usize = 12;

/// p = (n − B)/(B(n − 1)): the factor of E[(H_S − H)²] = pΣ for a uniform B-subset of
/// n samples drawn without replacement (p = 1 for B = 1, p = 0 for B = n; n = 1 gives
/// p = 0 since then H_S = H).
///
/// ```
/// use numerics::spectrum::batch_factor;
/// assert!((batch_factor(7, 1).unwrap() - 1.0).abs() < 1e-15);
/// assert!((batch_factor(10, 3).unwrap() - 7.0 / 27.0).abs() < 1e-15);
/// assert!(batch_factor(10, 10).unwrap().abs() < 1e-15);
/// ```
///
/// # Errors
/// [`NumericsError::InvalidParameter`] unless 1 ≤ B ≤ n.
pub fn batch_factor(n: usize, batch_size: usize) -> Result<f64> {
    if batch_size == 0 || batch_size > n {
        return Err(NumericsError::InvalidParameter {
            name: "batch size B",
            allowed: "in 1..=n",
            value: batch_size as f64,
        });
    }
    if n == 1 {
        return Ok(0.0);
    }
    Ok((n - batch_size) as f64 / (batch_size as f64 * (n - 1) as f64))
}

/// The mean-square map T of linearised SGD for per-sample Hessians Hᵢ, batch size B
/// (without replacement) and learning rate η (see the module doc).
///
/// ```
/// use numerics::spectrum::MeanSquareStability;
/// use numerics::Matrix;
/// // 1-D, two samples h = 1 ± 0.5, B = 1 (p = 1): T(P) = ((1 − η)² + η²·0.25)P.
/// let h = vec![Matrix::from_element(1, 1, 1.5), Matrix::from_element(1, 1, 0.5)];
/// let t = MeanSquareStability::new(h, 1, 0.8).unwrap();
/// let expected = 0.2_f64.powi(2) + 0.64 * 0.25;
/// assert!((t.spectral_radius().unwrap() - expected).abs() < 1e-14);
/// assert!((t.wu_criterion().unwrap() - expected).abs() < 1e-14); // equal in 1-D
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MeanSquareStability {
    hessians: Vec<Matrix>,
    batch_size: usize,
    learning_rate: f64,
    mean: Matrix,
    second_moment: Matrix,
    p: f64,
}

impl MeanSquareStability {
    /// T for the per-sample Hessians `hessians` (n ≥ 1 symmetric d×d matrices, the
    /// theory assumes them PSD), batch size `batch_size` = B and learning rate
    /// `learning_rate` = η.
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] for n = 0, B ∉ 1..=n or η ≤ 0;
    /// [`NumericsError::DimensionMismatch`] for non-square or differently sized Hᵢ;
    /// [`NumericsError::NonFinite`]; [`NumericsError::Other`] for a non-symmetric Hᵢ.
    pub fn new(hessians: Vec<Matrix>, batch_size: usize, learning_rate: f64) -> Result<Self> {
        let first = hessians.first().ok_or(NumericsError::InvalidParameter {
            name: "number of per-sample Hessians n",
            allowed: "at least 1",
            value: 0.0,
        })?;
        let d = validate_square(first, "mean-square stability: per-sample Hessian")?;
        for h in &hessians {
            let di = validate_square(h, "mean-square stability: per-sample Hessian")?;
            if di != d {
                return Err(NumericsError::DimensionMismatch {
                    context: "mean-square stability: per-sample Hessians",
                    expected: d,
                    got: di,
                });
            }
            let asym = (h - h.transpose()).abs().max();
            if asym > 1e-10 * h.abs().max().max(1.0) {
                return Err(NumericsError::Other(format!(
                    "mean-square stability: per-sample Hessian is not symmetric (max |H − Hᵀ| = {asym:e})"
                )));
            }
        }
        let p = batch_factor(hessians.len(), batch_size)?;
        crate::error::check_positive("learning rate η", learning_rate)?;
        let n = hessians.len() as f64;
        let mut mean = Matrix::zeros(d, d);
        let mut second_moment = Matrix::zeros(d, d);
        for h in &hessians {
            mean += h;
            second_moment += h * h;
        }
        mean /= n;
        second_moment /= n;
        Ok(Self {
            hessians,
            batch_size,
            learning_rate,
            mean: symmetrised(&mean),
            second_moment: symmetrised(&second_moment),
            p,
        })
    }

    /// The same Hᵢ and B with learning rate `learning_rate`.
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] if η ≤ 0 or not finite.
    pub fn with_learning_rate(mut self, learning_rate: f64) -> Result<Self> {
        self.learning_rate = crate::error::check_positive("learning rate η", learning_rate)?;
        Ok(self)
    }

    /// Dimension d.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.mean.nrows()
    }

    /// Number of samples n.
    #[must_use]
    pub fn n(&self) -> usize {
        self.hessians.len()
    }

    /// Batch size B.
    #[must_use]
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Learning rate η.
    #[must_use]
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// p = (n − B)/(B(n − 1)).
    #[must_use]
    pub fn batch_factor(&self) -> f64 {
        self.p
    }

    /// The per-sample Hessians Hᵢ.
    #[must_use]
    pub fn hessians(&self) -> &[Matrix] {
        &self.hessians
    }

    /// H = (1/n)ΣHᵢ.
    #[must_use]
    pub fn mean_hessian(&self) -> &Matrix {
        &self.mean
    }

    /// Σ = (1/n)ΣHᵢ² − H²: the covariance of the per-sample Hessians (non-uniformity).
    #[must_use]
    pub fn hessian_covariance(&self) -> Matrix {
        symmetrised(&(&self.second_moment - &self.mean * &self.mean))
    }

    /// (I − ηH)² + η²pΣ = T(I): the matrix of Wu et al.'s criterion.
    #[must_use]
    pub fn wu_matrix(&self) -> Matrix {
        let eta = self.learning_rate;
        let g = self.contraction();
        symmetrised(&(&g * &g + self.hessian_covariance() * (eta * eta * self.p)))
    }

    /// Wu et al.'s criterion λ_max((I − ηH)² + η²pΣ); ≤ 1 is sufficient for
    /// mean-square stability.
    ///
    /// # Errors
    /// As [`SymmetricSpectrum::new`].
    pub fn wu_criterion(&self) -> Result<f64> {
        Ok(SymmetricSpectrum::new(&self.wu_matrix())?.lambda_max())
    }

    /// T(P) = (I − ηH)P(I − ηH) + η²p[(1/n)ΣHᵢPHᵢ − HPH].
    ///
    /// # Errors
    /// [`NumericsError::DimensionMismatch`] if P is not d×d.
    pub fn apply(&self, p_matrix: &Matrix) -> Result<Matrix> {
        let d = self.dim();
        if p_matrix.nrows() != d || p_matrix.ncols() != d {
            return Err(NumericsError::DimensionMismatch {
                context: "mean-square map: P",
                expected: d,
                got: p_matrix.nrows(),
            });
        }
        Ok(self.apply_unchecked(p_matrix))
    }

    fn apply_unchecked(&self, p_matrix: &Matrix) -> Matrix {
        let eta = self.learning_rate;
        let g = self.contraction();
        let mut spread = Matrix::zeros(self.dim(), self.dim());
        for h in &self.hessians {
            spread += h * p_matrix * h;
        }
        spread /= self.n() as f64;
        spread -= &self.mean * p_matrix * &self.mean;
        &g * p_matrix * &g + spread * (eta * eta * self.p)
    }

    /// The d² × d² matrix of T on column-major vec(P):
    /// (I − ηH)⊗(I − ηH) + η²p[(1/n)ΣHᵢ⊗Hᵢ − H⊗H] (symmetric, since every factor is).
    #[must_use]
    pub fn kronecker(&self) -> Matrix {
        let eta = self.learning_rate;
        let g = self.contraction();
        let mut spread = Matrix::zeros(self.dim().pow(2), self.dim().pow(2));
        for h in &self.hessians {
            spread += h.kronecker(h);
        }
        spread /= self.n() as f64;
        spread -= self.mean.kronecker(&self.mean);
        g.kronecker(&g) + spread * (eta * eta * self.p)
    }

    /// T as a matrix-free operator on vec(P) ∈ R^{d²} (P is symmetrised before T is
    /// applied, so iterates stay symmetric).
    #[must_use]
    pub fn operator(&self) -> MeanSquareOperator<'_> {
        MeanSquareOperator { map: self }
    }

    /// ρ(T): from the Kronecker matrix for d ≤ [`KRONECKER_MAX_DIM`], else by power
    /// iteration on symmetric P from P₀ = I (tolerance 1e−10).
    ///
    /// # Errors
    /// As [`Self::spectral_radius_kronecker`] and [`Self::spectral_radius_power`]; a
    /// power iteration that exhausts its budget gives
    /// [`NumericsError::NoConvergence`].
    pub fn spectral_radius(&self) -> Result<f64> {
        if self.dim() <= KRONECKER_MAX_DIM {
            return self.spectral_radius_kronecker();
        }
        let r = self.spectral_radius_power(&PowerIteration::new())?;
        if !r.converged {
            return Err(NumericsError::NoConvergence {
                method: "power iteration on the mean-square map",
                iterations: r.iterations,
                residual: f64::NAN,
            });
        }
        Ok(r.value)
    }

    /// ρ(T) = max|λ| of the symmetric Kronecker matrix. The antisymmetric part of the
    /// d²-space cannot dominate: T is a positive map, so its spectral radius is an
    /// eigenvalue with a PSD eigenvector (Evans & Høegh-Krohn 1978).
    ///
    /// # Errors
    /// As [`SymmetricSpectrum::new`].
    pub fn spectral_radius_kronecker(&self) -> Result<f64> {
        Ok(SymmetricSpectrum::new(&self.kronecker())?.spectral_radius())
    }

    /// ρ(T) by `power` iteration on symmetric P from P₀ = I/√d (a PSD start, which has
    /// a positive component along the PSD Perron eigenvector).
    ///
    /// # Errors
    /// As [`PowerIteration::run`].
    pub fn spectral_radius_power(&self, power: &PowerIteration) -> Result<PowerResult> {
        let d = self.dim();
        let start = Vector::from_fn(d * d, |k, _| if k % (d + 1) == 0 { 1.0 } else { 0.0 });
        power.run(&self.operator(), &start)
    }

    /// T restricted to range(H): with Q the orthonormal eigenvectors of H with
    /// λ > `relative_tolerance`·λ_max(H), the map for QᵀHᵢQ. Directions in
    /// ker H = ∩ker Hᵢ (Hᵢ ⪰ 0) are neutral (eigenvalue exactly 1 of T), so in the
    /// over-parameterised case stability is decided on range(H) (spec §8.2).
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] if H = 0 (empty range) or the tolerance is
    /// not in [0, 1); eigen-decomposition errors.
    pub fn restricted_to_range(&self, relative_tolerance: f64) -> Result<Self> {
        crate::error::check_closed(
            "range tolerance",
            "in [0, 1)",
            relative_tolerance,
            0.0,
            1.0 - f64::EPSILON,
        )?;
        let q = self.range_basis(relative_tolerance)?;
        let hessians = self
            .hessians
            .iter()
            .map(|h| symmetrised(&(q.transpose() * h * &q)))
            .collect();
        Self::new(hessians, self.batch_size, self.learning_rate)
    }

    /// Orthonormal basis (columns) of range(H): eigenvectors with
    /// λ > `relative_tolerance`·λ_max(H).
    ///
    /// # Errors
    /// As [`Self::restricted_to_range`].
    pub fn range_basis(&self, relative_tolerance: f64) -> Result<Matrix> {
        let s = SymmetricSpectrum::new(&self.mean)?;
        let threshold = relative_tolerance * s.lambda_max();
        let columns: Vec<Vector> = (0..s.dim())
            .filter(|&i| s.values()[i] > threshold && s.values()[i] > 0.0)
            .map(|i| s.vectors().column(i).into_owned())
            .collect();
        if columns.is_empty() {
            return Err(NumericsError::InvalidParameter {
                name: "λ_max of the mean Hessian",
                allowed: "positive (range(H) must not be empty)",
                value: s.lambda_max(),
            });
        }
        Ok(Matrix::from_columns(&columns))
    }

    /// I − ηH.
    fn contraction(&self) -> Matrix {
        let d = self.dim();
        Matrix::identity(d, d) - &self.mean * self.learning_rate
    }
}

/// T of a [`MeanSquareStability`] acting on column-major vec(P) ∈ R^{d²}.
#[derive(Debug, Clone, Copy)]
pub struct MeanSquareOperator<'a> {
    map: &'a MeanSquareStability,
}

impl LinearOperator for MeanSquareOperator<'_> {
    fn dim(&self) -> usize {
        self.map.dim().pow(2)
    }
    fn apply(&self, v: &Vector) -> Vector {
        let d = self.map.dim();
        let p_matrix = Matrix::from_column_slice(d, d, v.as_slice());
        let out = self.map.apply_unchecked(&symmetrised(&p_matrix));
        Vector::from_column_slice(out.as_slice())
    }
}

/// (A + Aᵀ)/2.
fn symmetrised(a: &Matrix) -> Matrix {
    (a + a.transpose()) * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn example() -> MeanSquareStability {
        // Three PSD 2×2 Hessians, B = 2 of n = 3: p = 1/4.
        let h = vec![
            Matrix::from_row_slice(2, 2, &[2.0, 0.5, 0.5, 1.0]),
            Matrix::from_row_slice(2, 2, &[0.5, 0.0, 0.0, 3.0]),
            Matrix::from_row_slice(2, 2, &[1.0, -0.7, -0.7, 1.0]),
        ];
        MeanSquareStability::new(h, 2, 0.4).unwrap()
    }

    #[test]
    fn t_of_identity_is_wu_matrix() {
        let t = example();
        assert_relative_eq!(t.batch_factor(), 0.25, epsilon = 1e-15);
        let ti = t.apply(&Matrix::identity(2, 2)).unwrap();
        assert_relative_eq!(ti, t.wu_matrix(), epsilon = 1e-14);
    }

    #[test]
    fn kronecker_matches_the_map_on_vec() {
        let t = example();
        let p = Matrix::from_row_slice(2, 2, &[1.0, 0.3, 0.3, -0.5]);
        let by_map = t.apply(&p).unwrap();
        let by_kron = t.kronecker() * Vector::from_column_slice(p.as_slice());
        assert_relative_eq!(
            Vector::from_column_slice(by_map.as_slice()),
            by_kron,
            epsilon = 1e-14
        );
    }

    #[test]
    fn power_and_kronecker_agree() {
        let t = example();
        let power = t.spectral_radius_power(&PowerIteration::new()).unwrap();
        assert!(power.converged);
        assert_relative_eq!(
            power.value,
            t.spectral_radius_kronecker().unwrap(),
            max_relative = 1e-8
        );
    }

    #[test]
    fn restriction_removes_the_neutral_direction() {
        // Hessians supported on the first coordinate of R²: T has eigenvalue 1 on
        // e₂e₂ᵀ; on range(H) it is the 1-D map (1 − ηh̄)² + η²pσ².
        let h = vec![
            Matrix::from_row_slice(2, 2, &[1.5, 0.0, 0.0, 0.0]),
            Matrix::from_row_slice(2, 2, &[0.5, 0.0, 0.0, 0.0]),
        ];
        let t = MeanSquareStability::new(h, 1, 0.5).unwrap();
        assert_relative_eq!(t.spectral_radius().unwrap(), 1.0, epsilon = 1e-14);
        let r = t.restricted_to_range(1e-10).unwrap();
        assert_eq!(r.dim(), 1);
        let expected = 0.25 + 0.25 * 0.25;
        assert_relative_eq!(r.spectral_radius().unwrap(), expected, epsilon = 1e-14);
    }

    #[test]
    fn constructor_validates() {
        assert!(MeanSquareStability::new(vec![], 1, 0.1).is_err());
        let h = vec![Matrix::identity(2, 2)];
        assert!(MeanSquareStability::new(h.clone(), 2, 0.1).is_err());
        assert!(MeanSquareStability::new(h.clone(), 1, 0.0).is_err());
        let bad = vec![Matrix::identity(2, 2), Matrix::identity(3, 3)];
        assert!(matches!(
            MeanSquareStability::new(bad, 1, 0.1),
            Err(NumericsError::DimensionMismatch { .. })
        ));
    }
}
