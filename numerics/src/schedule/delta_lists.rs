//! Lists of δ values for graduated optimization: the authors' `ego.py` list, its
//! geometric option, and the paper's polynomial decay (the last two from
//! [`PolynomialDelta`], the one implementation of the polynomial schedule).

use super::PolynomialDelta;
use crate::error::{check_count, check_positive};
use crate::Result;

/// The `ego.py` "nice" schedule, computed as the code does: δ₀ = `initial`, then
/// δ_{m+1} = δ_m·((M − m)/(M − m + 1))^p for m = 0..M−2, followed by a final `last`
/// (M + 1 values). In closed form δ_k = initial·((M + 1 − k)/(M + 1))^p for k < M: the
/// first M values are [`PolynomialDelta::code_deltas`].
///
/// With M = 50, p = 1, initial 1 and last 0.01 this is the 51-stage list of spec §7:
/// 1, 50/51, 49/51, …, 2/51, 0.01.
///
/// ```
/// use numerics::schedule::ego_deltas;
/// let d = ego_deltas(50, 1.0, 1.0, 0.01).unwrap();
/// assert_eq!(d.len(), 51);
/// assert!((d[1] - 50.0 / 51.0).abs() < 1e-15 && (d[49] - 2.0 / 51.0).abs() < 1e-15);
/// ```
///
/// # Errors
/// `m == 0`, or p, `initial`, `last` not finite and > 0.
pub fn ego_deltas(m: usize, power: f64, initial: f64, last: f64) -> Result<Vec<f64>> {
    check_positive("final δ", last)?;
    let mut deltas = PolynomialDelta::new(initial, m, power)?.code_deltas();
    deltas.push(last);
    Ok(deltas)
}

/// The `ego.py` "geo" option: `count` values a·r^k from `first` to `last`,
/// r = (last/first)^{1/(count − 1)}.
///
/// # Errors
/// `count < 2`, or `first`, `last` not finite and > 0.
pub fn geometric_deltas(first: f64, last: f64, count: usize) -> Result<Vec<f64>> {
    check_positive("first δ", first)?;
    check_positive("last δ", last)?;
    check_count("number of stages", count, 2)?;
    let r = (last / first).powf(1.0 / (count - 1) as f64);
    Ok((0..count).map(|k| first * r.powi(k as i32)).collect())
}

/// The polynomial decay of arXiv 2311.08745 (spec §4.2): δ_m = δ₁((M − m + 1)/M)^p for
/// m = 1..M, i.e. δ_{m+1} = γ_m δ_m with γ_m = ((M − m)/(M − m + 1))^p, ending at
/// δ_M = δ₁M^{−p} (δ_{M+1} = 0 is not a stage): [`PolynomialDelta::stage_deltas`].
///
/// # Errors
/// `m == 0`, or δ₁, p not finite and > 0.
pub fn polynomial_deltas(m: usize, power: f64, first: f64) -> Result<Vec<f64>> {
    Ok(PolynomialDelta::new(first, m, power)?.stage_deltas())
}

/// Checks a user-supplied list: non-empty, every δ finite and > 0.
///
/// # Errors
/// [`crate::NumericsError::InvalidParameter`] naming the first bad value.
pub fn check_deltas(deltas: &[f64]) -> Result<()> {
    check_count("δ schedule length", deltas.len(), 1)?;
    for &d in deltas {
        check_positive("degree of smoothing δ", d)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ego_deltas_follow_the_closed_form() {
        for p in [0.5, 1.0, 2.0] {
            let d = ego_deltas(50, p, 1.0, 0.01).unwrap();
            for (k, v) in d.iter().take(50).enumerate() {
                let want = ((51 - k) as f64 / 51.0).powf(p);
                assert!((v - want).abs() < 1e-13, "p={p} k={k}");
            }
            assert!((d[50] - 0.01).abs() < 1e-18);
        }
    }

    #[test]
    fn geometric_deltas_hit_both_ends() {
        let d = geometric_deltas(1.0, 0.01, 51).unwrap();
        assert_eq!(d.len(), 51);
        assert!((d[0] - 1.0).abs() < 1e-15 && (d[50] - 0.01).abs() < 1e-15);
        assert!(d.windows(2).all(|w| w[1] < w[0]));
    }

    #[test]
    fn polynomial_deltas_telescope() {
        let d = polynomial_deltas(10, 1.5, 2.0).unwrap();
        assert!((d[0] - 2.0).abs() < 1e-15);
        assert!((d[9] - 2.0 * 10f64.powf(-1.5)).abs() < 1e-15);
    }

    #[test]
    fn schedules_reject_bad_input() {
        assert!(ego_deltas(0, 1.0, 1.0, 0.01).is_err());
        assert!(ego_deltas(5, -1.0, 1.0, 0.01).is_err());
        assert!(geometric_deltas(1.0, 0.0, 5).is_err());
        assert!(geometric_deltas(1.0, 0.1, 1).is_err());
        assert!(polynomial_deltas(3, 1.0, f64::NAN).is_err());
        assert!(check_deltas(&[]).is_err());
        assert!(check_deltas(&[1.0, -0.5]).is_err());
    }
}
