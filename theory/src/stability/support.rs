//! Shared fixtures of the stability checks: random orthogonal bases and PSD
//! Hessians, a learning-rate search on ρ(T), the linearised-SGD chain simulator and a
//! jackknife slope estimate, and the r(x) factor. Not a check; public so that the
//! figures draw what the checks measure.

use crate::support::{gaussian_matrix, gaussian_vector};
use numerics::rng::Rng;
use numerics::spectrum::MeanSquareStability;
use numerics::stats::slope;
use numerics::{Matrix, Vector};
use rand::Rng as _;

/// n per-sample Hessians Hᵢ = GᵢGᵢᵀ with Gᵢ Gaussian d × rᵢ, rᵢ uniform in
/// 1..=`max_rank` (PSD, of random rank).
pub fn random_psd_hessians(n: usize, d: usize, max_rank: usize, rng: &mut Rng) -> Vec<Matrix> {
    (0..n)
        .map(|_| {
            let r = rng.random_range(1..=max_rank.max(1));
            let g = gaussian_matrix(d, r, rng);
            let h = &g * g.transpose();
            (&h + h.transpose()) * 0.5
        })
        .collect()
}

/// The learning rate η on the rising branch of η ↦ ρ(T(η)) where ρ = `target`
/// (scan of `grid` points on (0, `eta_max`], then 60 bisection steps). `None` if ρ
/// never crosses `target` upwards on the scan.
pub fn learning_rate_for_radius(
    map: &MeanSquareStability,
    target: f64,
    eta_max: f64,
    grid: usize,
) -> crate::Result<Option<f64>> {
    let radius = |eta: f64| -> crate::Result<f64> {
        Ok(map.clone().with_learning_rate(eta)?.spectral_radius()?)
    };
    let mut previous = (eta_max / grid as f64, radius(eta_max / grid as f64)?);
    for k in 2..=grid {
        let eta = eta_max * k as f64 / grid as f64;
        let r = radius(eta)?;
        if previous.1 < target && r >= target {
            let (mut lo, mut hi) = (previous.0, eta);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if radius(mid)? > target {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            return Ok(Some(0.5 * (lo + hi)));
        }
        previous = (eta, r);
    }
    Ok(None)
}

/// Uniform random `b`-subset of 0..n (Floyd's algorithm) written into `out`.
pub fn sample_subset(n: usize, b: usize, rng: &mut Rng, out: &mut Vec<usize>) {
    out.clear();
    for j in (n - b)..n {
        let t = rng.random_range(0..=j);
        if out.contains(&t) {
            out.push(j);
        } else {
            out.push(t);
        }
    }
}

/// Mean of ‖eₜ‖² per group of chains, for t = 0..=steps, of linearised SGD
/// eₜ₊₁ = (I − ηH_{Sₜ})eₜ with uniform B-subsets Sₜ drawn without replacement and
/// e₀ ~ N(0, I/d) (so P₀ = I/d), plus the final values ‖e_steps‖² of every chain.
pub struct ChainRun {
    /// `group_means[g][t]`: mean of ‖eₜ‖² over the chains of group g.
    pub group_means: Vec<Vec<f64>>,
    /// ‖e_steps‖² of every chain.
    pub finals: Vec<f64>,
}

/// Runs `chains` independent linearised-SGD chains split into `groups` groups.
pub fn simulate_linearised_sgd(
    hessians: &[Matrix],
    batch_size: usize,
    eta: f64,
    steps: usize,
    chains: usize,
    groups: usize,
    rng: &mut Rng,
) -> ChainRun {
    let n = hessians.len();
    let d = hessians.first().map_or(0, Matrix::nrows);
    // Column-major copies of the Hᵢ for a tight inner loop.
    let flat: Vec<&[f64]> = hessians.iter().map(|h| h.as_slice()).collect();
    let mut sums = vec![vec![0.0; steps + 1]; groups];
    let mut counts = vec![0usize; groups];
    let mut finals = Vec::with_capacity(chains);
    let mut batch = Vec::with_capacity(batch_size);
    let mut he = vec![0.0; d];
    let scale = eta / batch_size as f64;
    let start_scale = 1.0 / (d as f64).sqrt();
    for c in 0..chains {
        let g = c % groups;
        counts[g] += 1;
        let mut e: Vec<f64> = gaussian_vector(d, rng)
            .iter()
            .map(|v| v * start_scale)
            .collect();
        let row = &mut sums[g];
        row[0] += e.iter().map(|v| v * v).sum::<f64>();
        for slot in row.iter_mut().skip(1) {
            sample_subset(n, batch_size, rng, &mut batch);
            he.iter_mut().for_each(|v| *v = 0.0);
            for &i in &batch {
                let h = flat[i];
                for (col, &ej) in e.iter().enumerate() {
                    let column = &h[col * d..(col + 1) * d];
                    for (acc, &hij) in he.iter_mut().zip(column) {
                        *acc += hij * ej;
                    }
                }
            }
            let mut norm2 = 0.0;
            for (ej, &hj) in e.iter_mut().zip(&he) {
                *ej -= scale * hj;
                norm2 += *ej * *ej;
            }
            *slot += norm2;
        }
        finals.push(e.iter().map(|v| v * v).sum::<f64>());
    }
    for (g, row) in sums.iter_mut().enumerate() {
        let k = counts[g].max(1) as f64;
        row.iter_mut().for_each(|v| *v /= k);
    }
    ChainRun {
        group_means: sums,
        finals,
    }
}

/// Least-squares slope of ln(mean over groups of `series`) on t over t ∈ `window`,
/// with its delete-one-group jackknife standard error.
pub fn log_mean_slope(
    group_means: &[Vec<f64>],
    window: std::ops::RangeInclusive<usize>,
) -> (f64, f64) {
    let groups = group_means.len();
    let slope_without = |skip: Option<usize>| {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for t in window.clone() {
            let (mut total, mut k) = (0.0, 0.0);
            for (g, row) in group_means.iter().enumerate() {
                if Some(g) != skip {
                    total += row.get(t).copied().unwrap_or(f64::NAN);
                    k += 1.0;
                }
            }
            xs.push(t as f64);
            ys.push((total / k).ln());
        }
        slope(&xs, &ys)
    };
    let full = slope_without(None);
    let jack: Vec<f64> = (0..groups).map(|g| slope_without(Some(g))).collect();
    let mean = jack.iter().sum::<f64>() / groups as f64;
    let var = (groups as f64 - 1.0) / groups as f64
        * jack.iter().map(|s| (s - mean).powi(2)).sum::<f64>();
    (full, var.sqrt())
}

/// Effective sample size (Σxᵢ)²/Σxᵢ² of positive weights (N for equal values, 1 when
/// one value dominates).
pub fn effective_sample_size(values: &[f64]) -> f64 {
    let s: f64 = values.iter().sum();
    let s2: f64 = values.iter().map(|v| v * v).sum();
    if s2 > 0.0 {
        s * s / s2
    } else {
        0.0
    }
}

/// Every `b`-subset of 0..n in lexicographic order (for exact expectations over
/// uniform batches; n is small).
pub fn all_subsets(n: usize, b: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    if b == 0 || b > n {
        return out;
    }
    let mut idx: Vec<usize> = (0..b).collect();
    loop {
        out.push(idx.clone());
        // Advance the rightmost index that can still move.
        let mut i = b;
        while i > 0 {
            i -= 1;
            if idx[i] < n - b + i {
                idx[i] += 1;
                for j in i + 1..b {
                    idx[j] = idx[j - 1] + 1;
                }
                break;
            }
            if i == 0 {
                return out;
            }
        }
    }
}

/// tr(Tᵗ(P₀)) for t = 0..=steps with P₀ = I/d: the exact E‖eₜ‖² of linearised SGD
/// started from e₀ ~ N(0, I/d).
pub fn exact_mean_square_path(map: &MeanSquareStability, steps: usize) -> crate::Result<Vec<f64>> {
    let d = map.dim();
    let mut p = Matrix::identity(d, d) / d as f64;
    let mut out = Vec::with_capacity(steps + 1);
    out.push(p.trace());
    for _ in 0..steps {
        p = map.apply(&p)?;
        out.push(p.trace());
    }
    Ok(out)
}

/// Slopes in t of ln(mean) and ln(median) across chains of `paths[c][t]`
/// (t ∈ `window`), each with a delete-one-group jackknife SE (chain c is in group
/// c mod `groups`): `(mean_slope, mean_se, median_slope, median_se)`.
pub fn mean_and_median_slopes(
    paths: &[Vec<f64>],
    window: std::ops::RangeInclusive<usize>,
    groups: usize,
) -> (f64, f64, f64, f64) {
    let statistic = |skip: Option<usize>, median: bool| {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        let mut column = Vec::with_capacity(paths.len());
        for t in window.clone() {
            column.clear();
            column.extend(
                paths
                    .iter()
                    .enumerate()
                    .filter(|(c, _)| Some(c % groups) != skip)
                    .map(|(_, p)| p.get(t).copied().unwrap_or(f64::NAN)),
            );
            let value = if median {
                column.sort_by(f64::total_cmp);
                column.get(column.len() / 2).copied().unwrap_or(f64::NAN)
            } else {
                column.iter().sum::<f64>() / column.len().max(1) as f64
            };
            xs.push(t as f64);
            ys.push(value.ln());
        }
        slope(&xs, &ys)
    };
    let jackknife = |median: bool| {
        let full = statistic(None, median);
        let jack: Vec<f64> = (0..groups).map(|g| statistic(Some(g), median)).collect();
        let m = jack.iter().sum::<f64>() / groups as f64;
        let var = (groups as f64 - 1.0) / groups as f64
            * jack.iter().map(|s| (s - m).powi(2)).sum::<f64>();
        (full, var.sqrt())
    };
    let (mean_slope, mean_se) = jackknife(false);
    let (median_slope, median_se) = jackknife(true);
    (mean_slope, mean_se, median_slope, median_se)
}

/// r(x) = 1 − 2γ·xᵀH²x/xᵀHx + γ²·xᵀH³x/xᵀHx (lecture 002, Wu, Wang & Su 2022).
pub fn r_factor(h: &Matrix, x: &Vector, gamma: f64) -> f64 {
    let hx = h * x;
    let q1 = x.dot(&hx);
    let q2 = hx.dot(&hx);
    let q3 = hx.dot(&(h * &hx));
    1.0 - 2.0 * gamma * q2 / q1 + gamma * gamma * q3 / q1
}

/// The step size where r(x) = 1: γ* = 2·xᵀH²x/xᵀH³x.
pub fn r_threshold(h: &Matrix, x: &Vector) -> f64 {
    let hx = h * x;
    2.0 * hx.dot(&hx) / hx.dot(&(h * &hx))
}
