//! Small helpers shared by checks of several groups (not checks): Gaussian vectors and
//! matrices, random unit vectors, random orthogonal bases with a prescribed spectrum,
//! and bisection. Helpers of one group live in that group's `mod.rs` or `support.rs`.

use numerics::rng::Rng;
use numerics::{Matrix, Vector};
use rand_distr::{Distribution, StandardNormal};

/// A rows × cols matrix with i.i.d. N(0, 1) entries (drawn in column-major order).
pub(crate) fn gaussian_matrix(rows: usize, cols: usize, rng: &mut Rng) -> Matrix {
    Matrix::from_fn(rows, cols, |_, _| StandardNormal.sample(rng))
}

/// A vector with i.i.d. N(0, 1) entries.
pub(crate) fn gaussian_vector(d: usize, rng: &mut Rng) -> Vector {
    Vector::from_fn(d, |_, _| StandardNormal.sample(rng))
}

/// A unit vector uniform on the sphere S^{d−1} (a normalised Gaussian vector).
pub(crate) fn unit_vector(d: usize, rng: &mut Rng) -> Vector {
    let v = gaussian_vector(d, rng);
    let norm = v.norm();
    v / norm
}

/// A random orthogonal d × d matrix (Q of the QR factorisation of a Gaussian matrix).
pub(crate) fn random_orthogonal(d: usize, rng: &mut Rng) -> Matrix {
    gaussian_matrix(d, d, rng).qr().q()
}

/// Q diag(λ) Qᵀ, exactly symmetrised.
pub(crate) fn with_spectrum(q: &Matrix, lambda: &[f64]) -> Matrix {
    let a = q * Matrix::from_diagonal(&Vector::from_column_slice(lambda)) * q.transpose();
    (&a + a.transpose()) * 0.5
}

/// A root of `h` in [lo, hi] by bisection (to the last representable midpoint), or
/// `None` when h(lo) and h(hi) are on the same side of 0 (h = 0 counts as negative).
pub(crate) fn bisect(h: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> Option<f64> {
    let positive_at_lo = h(lo) > 0.0;
    if positive_at_lo == (h(hi) > 0.0) {
        return None;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if (h(mid) > 0.0) == positive_at_lo {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// Level of the exact one-sided binomial test behind [`success_rate_claim`].
pub(crate) const BINOMIAL_ALPHA: f64 = 1e-3;

/// A case for the claim "each run succeeds with probability ≥ `p`", decided by the exact
/// one-sided binomial test at level [`BINOMIAL_ALPHA`]: the claim is refuted exactly when
/// fewer than k of the `runs` succeed, k = the smallest count with P(Bin(runs, p) ≤ k)
/// ≥ α. The measured value is the success count, the bound is k.
pub(crate) fn success_rate_claim(
    description: impl Into<String>,
    expect: crate::Expect,
    successes: usize,
    runs: u64,
    p: f64,
) -> crate::Case {
    let k = numerics::stats::binomial_min_successes(runs, p, BINOMIAL_ALPHA);
    crate::Case::new(
        description,
        expect,
        successes as f64,
        crate::Relation::GE,
        k as f64,
    )
    .with("runs", runs)
    .with("success_fraction", successes as f64 / runs.max(1) as f64)
    .with("claimed_rate", p)
    .with("binomial_alpha", BINOMIAL_ALPHA)
}

#[cfg(test)]
mod tests {
    use super::*;
    use numerics::Seed;

    #[test]
    fn bisect_finds_a_bracketed_root() {
        let root = bisect(|x| x * x - 2.0, 0.0, 2.0).unwrap();
        assert!((root - 2f64.sqrt()).abs() < 1e-15);
        assert!(bisect(|x| x * x + 1.0, -1.0, 1.0).is_none());
    }

    #[test]
    fn with_spectrum_has_the_given_eigenvalues() {
        let q = random_orthogonal(4, &mut Seed(1).stream("t"));
        let a = with_spectrum(&q, &[1.0, 2.0, 3.0, 4.0]);
        let mut e: Vec<f64> = a.symmetric_eigenvalues().iter().copied().collect();
        e.sort_by(f64::total_cmp);
        for (got, want) in e.iter().zip([1.0, 2.0, 3.0, 4.0]) {
            assert!((got - want).abs() < 1e-12);
        }
        assert!((unit_vector(5, &mut Seed(2).stream("t")).norm() - 1.0).abs() < 1e-15);
    }
}
