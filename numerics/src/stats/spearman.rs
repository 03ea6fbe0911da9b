//! Spearman's rank correlation ρ_s: Pearson's correlation of the ranks, ties given their
//! average rank.

/// Ranks 1..=n of `x` (ties get the average of the ranks they span; NaN sorts last).
///
/// ```
/// assert_eq!(numerics::stats::ranks(&[10.0, 30.0, 20.0, 20.0]), vec![1.0, 4.0, 2.5, 2.5]);
/// ```
#[must_use]
pub fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let mut rank = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]].total_cmp(&x[order[start]]).is_eq() {
            end += 1;
        }
        // Positions start..end (0-based) hold ranks start+1..=end: their mean.
        let average = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            rank[i] = average;
        }
        start = end;
    }
    rank
}

/// ρ_s(x, y) = corr(rank x, rank y) (Pearson on average ranks); NaN if the lengths differ,
/// n < 2, or either variable is constant.
///
/// ```
/// // A monotone but non-linear relation has ρ_s = 1.
/// let x = [1.0, 2.0, 3.0, 4.0];
/// let y = [1.0, 8.0, 27.0, 64.0];
/// assert!((numerics::stats::spearman(&x, &y) - 1.0).abs() < 1e-15);
/// ```
#[must_use]
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    if x.len() != y.len() || x.len() < 2 {
        return f64::NAN;
    }
    pearson(&ranks(x), &ranks(y))
}

/// Pearson's r = Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)² Σ(y − ȳ)²).
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return f64::NAN;
    }
    sxy / (sxx * syy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn matches_the_textbook_formula_without_ties() {
        // Without ties ρ_s = 1 − 6Σdᵢ²/(n(n² − 1)); here d = (0, −1, 1, 0, 0) → 1 − 12/120.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [2.0, 5.0, 3.0, 8.0, 9.0];
        assert_abs_diff_eq!(spearman(&x, &y), 0.9, epsilon = 1e-15);
        assert_abs_diff_eq!(
            spearman(&x, &[5.0, 4.0, 3.0, 2.0, 1.0]),
            -1.0,
            epsilon = 1e-15
        );
    }

    #[test]
    fn ties_use_average_ranks() {
        // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]) = 0.9486832980505138.
        assert_abs_diff_eq!(
            spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]),
            0.948_683_298_050_513_8,
            epsilon = 1e-14
        );
    }

    #[test]
    fn degenerate_inputs_give_nan() {
        assert!(spearman(&[1.0], &[2.0]).is_nan());
        assert!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_nan());
        assert!(spearman(&[1.0, 2.0], &[1.0]).is_nan());
    }
}
