//! The momentum cubic β³ − (1 + q)β² + (1 + 2q)β − q = 0, i.e. β̂(β) = q.

/// The real roots of the monic cubic x³ + a·x² + b·x + c, ascending, each polished by
/// Newton's method (trigonometric form for three real roots, Cardano's otherwise).
///
/// ```
/// use numerics::schedule::cubic_real_roots;
/// // (x − 1)(x − 2)(x − 3) = x³ − 6x² + 11x − 6.
/// let r = cubic_real_roots(-6.0, 11.0, -6.0);
/// assert_eq!(r.len(), 3);
/// assert!((r[0] - 1.0).abs() < 1e-12 && (r[2] - 3.0).abs() < 1e-12);
/// ```
#[must_use]
pub fn cubic_real_roots(a: f64, b: f64, c: f64) -> Vec<f64> {
    let shift = a / 3.0;
    // Depressed cubic t³ + p·t + q = 0 with x = t − a/3.
    let p = b - a * a / 3.0;
    let q = 2.0 * a * a * a / 27.0 - a * b / 3.0 + c;
    let disc = (q / 2.0).powi(2) + (p / 3.0).powi(3);
    let mut roots: Vec<f64> = if disc < 0.0 {
        // Three distinct real roots (p < 0 here).
        let r = 2.0 * (-p / 3.0).sqrt();
        let arg = (3.0 * q / (p * r)).clamp(-1.0, 1.0);
        let phi = arg.acos() / 3.0;
        (0..3)
            .map(|k| r * (phi - 2.0 * std::f64::consts::PI * f64::from(k) / 3.0).cos() - shift)
            .collect()
    } else {
        let s = disc.sqrt();
        let t = (-q / 2.0 + s).cbrt() + (-q / 2.0 - s).cbrt();
        vec![t - shift]
    };
    let f = |x: f64| ((x + a) * x + b) * x + c;
    let df = |x: f64| (3.0 * x + 2.0 * a) * x + b;
    for x in &mut roots {
        for _ in 0..4 {
            let d = df(*x);
            if d == 0.0 || !d.is_finite() {
                break;
            }
            let next = *x - f(*x) / d;
            if !next.is_finite() {
                break;
            }
            *x = next;
        }
    }
    roots.sort_by(f64::total_cmp);
    roots
}

/// The momentum cubic of Algorithm 6: β³ − (1 + q)β² + (1 + 2q)β − q = 0, which is
/// β(β² − β + 1) = q(1 − β)², i.e. β̂(β) = q.
fn momentum_cubic(q: f64) -> (f64, f64, f64) {
    (-(1.0 + q), 1.0 + 2.0 * q, -q)
}

/// β = β̂⁻¹(q) ∈ [0, 1): the unique root in [0, 1) of β̂(β) = β(β² − β + 1)/(1 − β)² = q
/// for q ≥ 0, and 0 for q ≤ 0 (the SGD part alone already exceeds the target; β is
/// floored at 0). The *intended* Algorithm-6 momentum update (spec §6.3).
///
/// g(β) = β³ − (1 + q)β² + (1 + 2q)β − q is increasing on [0, 1] with g(0) = −q ≤ 0 and
/// g(1) = 1, so bisection plus Newton converges to the root to rounding.
///
/// ```
/// use numerics::schedule::momentum_for_amplification;
/// use numerics::smoothing::beta_hat;
/// let beta = momentum_for_amplification(81.9); // β̂(0.9) = 81.9
/// assert!((beta - 0.9).abs() < 1e-12);
/// assert!((beta_hat(beta) - 81.9).abs() < 1e-10 * 81.9);
/// ```
#[must_use]
pub fn momentum_for_amplification(q: f64) -> f64 {
    if q.is_nan() || q <= 0.0 {
        return 0.0;
    }
    let (a, b, c) = momentum_cubic(q);
    let g = |x: f64| ((x + a) * x + b) * x + c;
    let dg = |x: f64| (3.0 * x + 2.0 * a) * x + b;
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    let mut x = 0.5;
    for _ in 0..200 {
        let gx = g(x);
        if gx == 0.0 {
            return x;
        }
        if gx < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - gx / dg(x);
        let next = if newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        let done = (next - x).abs() <= 2.0 * f64::EPSILON * next.abs();
        x = next;
        if done {
            break;
        }
    }
    x
}

/// The authors' code (`solve_3eq`): the largest real root ≤ `beta` of
/// β³ − (1 + q)β² + (1 + 2q)β − q, floored at 0; `None` when no real root is ≤ `beta`
/// (Python's `max([])` then raises, so the run stops). Real roots are those
/// [`cubic_real_roots`] finds (`np.roots` + `np.isreal`).
///
/// The root in [0, 1) equals [`momentum_for_amplification`]`(q)` whenever it is ≤ β;
/// if the target needs a *larger* β (q > β̂(β)) every real root exceeds β and the code
/// fails. For q < 0 the only real root is negative and the result is 0.
#[must_use]
pub fn momentum_root_below(q: f64, beta: f64) -> Option<f64> {
    let (a, b, c) = momentum_cubic(q);
    let best = cubic_real_roots(a, b, c)
        .into_iter()
        .filter(|&r| r <= beta)
        .fold(None, |acc: Option<f64>, r| {
            Some(acc.map_or(r, |m| m.max(r)))
        })?;
    let root = best.max(0.0);
    // A root in (0, 1) is the unique root of the increasing g on [0, 1]: take the
    // bracketed solution, which is accurate to rounding even when the two roots around
    // β = 1 (at ≈ 1 ∓ 1/√q) are close.
    if root > 0.0 && root < 1.0 {
        let refined = momentum_for_amplification(q);
        if refined <= beta {
            return Some(refined);
        }
    }
    Some(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smoothing::beta_hat;

    #[test]
    fn cubic_roots_of_known_polynomials() {
        // x³ − x = x(x − 1)(x + 1).
        let r = cubic_real_roots(0.0, -1.0, 0.0);
        assert_eq!(r.len(), 3);
        for (a, b) in r.iter().zip([-1.0, 0.0, 1.0]) {
            assert!((a - b).abs() < 1e-14);
        }
        // x³ + x + 1: one real root ≈ −0.6823278038280193.
        let r = cubic_real_roots(0.0, 1.0, 1.0);
        assert_eq!(r.len(), 1);
        assert!((r[0] + 0.682_327_803_828_019_3).abs() < 1e-14);
    }

    #[test]
    fn momentum_root_inverts_beta_hat() {
        for beta in [0.0, 1e-6, 0.1, 0.5, 0.9, 0.99, 0.999] {
            let q = beta_hat(beta);
            let r = momentum_for_amplification(q);
            assert!((r - beta).abs() < 1e-10, "β = {beta}: {r}");
            let code = momentum_root_below(q, 0.9995).unwrap();
            assert!((code - beta).abs() < 1e-10);
        }
        assert!(momentum_for_amplification(-1.0).abs() < 1e-300);
        assert!(momentum_root_below(-1.0, 0.9).unwrap().abs() < 1e-300);
        // Target above β̂(0.5) = 1.5: no real root ≤ 0.5.
        assert!(momentum_root_below(10.0, 0.5).is_none());
    }
}
