//! `wu_stability`: the stability diagram of SGD near an interpolating minimum over the
//! batch size B and the learning rate η (spec §8.2; checks C8.2, C8.3).
//!
//! For per-sample Hessians Hᵢ ⪰ 0 (n = 10 samples, [`random_psd_hessians`]) and SGD on
//! fᵢ(x) = ½xᵀHᵢx (interpolating at x* = 0, so SGD is exactly eₜ₊₁ = (I − ηH_{Sₜ})eₜ
//! with uniform B-subsets):
//! * the predicted boundary of Wu, Ma & E: the smallest η > 0 where
//!   λ_max((I − ηH)² + η²pΣ) = 1 ([`MeanSquareStability::wu_criterion`]);
//! * the exact mean-square boundary: the smallest η where ρ(T) = 1
//!   ([`learning_rate_for_radius`], [`MeanSquareStability::spectral_radius`]);
//! * observed divergence: seeded SGD chains ([`simulate_linearised_sgd`]) from
//!   e₀ ~ N(0, I/d) (E‖e₀‖² = 1) on a grid of (B, η), classified by ‖e_T‖² over the
//!   chains: median > 1 (the typical run diverges), else mean > 1 (mean-square growth
//!   seen through a few chains), else converged. Where the mean square diverges but
//!   the typical run converges, E‖eₜ‖² is carried by rare chains (check C8.3's
//!   effective sample size), so a finite sample of chains may miss it: observed
//!   divergence lies on or above the exact boundary.
//!
//! One panel in d = 1, where Wu's condition is exact (the two boundaries coincide), and
//! one in d = 4, where it is only sufficient (its boundary lies below the exact one).

use super::{axis, panel, rule, series};
use crate::figures::{Entry, Figure, Inputs, Point, Source, Style};
use anyhow::{Context as _, Result};
use numerics::spectrum::{lambda_max, MeanSquareStability};
use numerics::{Matrix, Seed};
use theory::stability::support::{
    learning_rate_for_radius, random_psd_hessians, simulate_linearised_sgd,
};

/// The registry entry.
#[must_use]
pub fn entry() -> Entry {
    Entry {
        name: "wu_stability",
        about: "SGD stability diagram over (B, η): Wu et al.'s predicted boundary, the exact mean-square boundary, observed divergence",
        claims: &["C8.2", "C8.3"],
        source: Source::Theory,
        make,
    }
}

/// Number of per-sample Hessians.
pub const SAMPLES: usize = 10;

/// Learning rates are searched on (0, `ETA_SPAN`/λ_max(H)].
const ETA_SPAN: f64 = 2.6;

/// The smallest η in (0, η_max] where `g(η)` rises through 1 (scan of `grid` points,
/// then bisection to machine precision); `None` if it never does.
fn rising_crossing(
    g: impl Fn(f64) -> Result<f64>,
    eta_max: f64,
    grid: usize,
) -> Result<Option<f64>> {
    let mut previous = eta_max / grid as f64;
    if g(previous)? >= 1.0 {
        return Ok(None);
    }
    for k in 2..=grid {
        let eta = eta_max * k as f64 / grid as f64;
        if g(eta)? >= 1.0 {
            let (mut lo, mut hi) = (previous, eta);
            for _ in 0..100 {
                let mid = 0.5 * (lo + hi);
                if mid <= lo || mid >= hi {
                    break;
                }
                if g(mid)? >= 1.0 {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            return Ok(Some(0.5 * (lo + hi)));
        }
        previous = eta;
    }
    Ok(None)
}

/// Wu et al.'s boundary η_Wu(B): the smallest η with λ_max((I − ηH)² + η²pΣ) = 1.
///
/// # Errors
/// If the criterion cannot be evaluated or never reaches 1 below `ETA_SPAN`/λ_max.
pub fn wu_boundary(hessians: &[Matrix], batch: usize) -> Result<f64> {
    let map = MeanSquareStability::new(hessians.to_vec(), batch, 1.0)?;
    let eta_max = ETA_SPAN / lambda_max(map.mean_hessian())?;
    rising_crossing(
        |eta| Ok(map.clone().with_learning_rate(eta)?.wu_criterion()?),
        eta_max,
        400,
    )?
    .with_context(|| format!("Wu's criterion stays below 1 for B = {batch}"))
}

/// The exact mean-square boundary η_ms(B): the smallest η with ρ(T) = 1.
///
/// # Errors
/// If ρ(T) cannot be computed or never reaches 1 below `ETA_SPAN`/λ_max.
pub fn exact_boundary(hessians: &[Matrix], batch: usize) -> Result<f64> {
    let map = MeanSquareStability::new(hessians.to_vec(), batch, 1.0)?;
    let eta_max = ETA_SPAN / lambda_max(map.mean_hessian())?;
    learning_rate_for_radius(&map, 1.0, eta_max, 400)?
        .with_context(|| format!("ρ(T) stays below 1 for B = {batch}"))
}

/// The Hessians of the panel in dimension `d` (seeded).
#[must_use]
pub fn hessians(d: usize, seed: Seed) -> Vec<Matrix> {
    let mut rng = seed.stream(&format!("figure-wu-stability-hessians-d{d}"));
    random_psd_hessians(SAMPLES, d, d, &mut rng)
}

/// The median of `values`.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn stability_panel(d: usize, inputs: &Inputs) -> Result<(crate::figures::Panel, String)> {
    let seed = Seed(inputs.seed);
    let hs = hessians(d, seed);
    let map = MeanSquareStability::new(hs.clone(), 1, 1.0)?;
    let lmax = lambda_max(map.mean_hessian())?;
    let batches: Vec<usize> = (1..=SAMPLES).collect();
    let mut wu = Vec::new();
    let mut exact = Vec::new();
    for &b in &batches {
        wu.push(Point::xy(b as f64, wu_boundary(&hs, b)?));
        exact.push(Point::xy(b as f64, exact_boundary(&hs, b)?));
    }
    let (levels, chains, steps) = if inputs.quick {
        (14, 300, 200)
    } else {
        (20, 1500, 400)
    };
    let mut stable = Vec::new();
    let mut rare = Vec::new();
    let mut diverged = Vec::new();
    for &b in &batches {
        for k in 1..=levels {
            let eta = ETA_SPAN / lmax * k as f64 / levels as f64;
            let mut rng = seed
                .child(b as u64 * 1000 + k as u64)
                .stream(&format!("figure-wu-stability-sgd-d{d}"));
            let run = simulate_linearised_sgd(&hs, b, eta, steps, chains, 10, &mut rng);
            let p = Point::xy(b as f64, eta);
            let mean = run.finals.iter().sum::<f64>() / run.finals.len().max(1) as f64;
            if median(run.finals) > 1.0 {
                diverged.push(p);
            } else if mean > 1.0 {
                rare.push(p);
            } else {
                stable.push(p);
            }
        }
    }
    let mut p = panel(
        if d == 1 {
            format!("d = 1, n = {SAMPLES}: Wu's condition is exact")
        } else {
            format!("d = {d}, n = {SAMPLES}: Wu's condition is only sufficient")
        },
        axis("batch size B (uniform B-subsets of n)", false),
        axis("learning rate η", false),
        vec![
            series(
                "SGD: converges (mean and median ‖e_T‖² ≤ 1)",
                Style::Markers,
                Some(2),
                stable,
            ),
            series(
                "SGD: typical run diverges (median ‖e_T‖² > 1)",
                Style::Markers,
                Some(3),
                diverged,
            ),
            series(
                "SGD: mean ‖e_T‖² > 1, typical run converges",
                Style::Markers,
                Some(4),
                rare,
            ),
            series(
                "exact boundary ρ(T) = 1",
                Style::Line,
                Some(0),
                exact.clone(),
            ),
            series(
                "Wu et al.: λ_max((I − ηH)² + η²pΣ) = 1",
                Style::Dashed,
                Some(1),
                wu.clone(),
            ),
        ],
    );
    p.rules.push(rule(
        false,
        2.0 / lmax,
        format!("GD: η = 2/λ_max(H) = {:.3}", 2.0 / lmax),
    ));
    let gap = exact
        .iter()
        .zip(&wu)
        .map(|(e, w)| e.y / w.y - 1.0)
        .fold(0.0_f64, f64::max);
    let note = format!(
        "d = {d}: largest gap of the exact over Wu's boundary {:.1}%; {chains} chains × {steps} steps per grid point",
        100.0 * gap
    );
    Ok((p, note))
}

fn make(inputs: &Inputs) -> Result<Figure> {
    let (one, note1) = stability_panel(1, inputs)?;
    let (four, note4) = stability_panel(4, inputs)?;
    Ok(Figure {
        name: "wu_stability".into(),
        title: "Linear stability of SGD over batch size and learning rate (Wu, Ma & E 2018)".into(),
        panels: vec![one, four],
        columns: 2,
        caption: format!(
            "SGD on fᵢ(x) = ½xᵀHᵢx with seeded random Hᵢ ⪰ 0 (seed {}; theory::stability::support, \
             checks C8.2, C8.3). Lines: the smallest η where Wu et al.'s λ_max((I − ηH)² + η²pΣ) \
             (p = (n − B)/(B(n − 1)), Σ = mean Hᵢ² − H²) and the exact spectral radius ρ(T) of the \
             mean-square map reach 1 (numerics::spectrum::MeanSquareStability). Markers: seeded SGD \
             chains from e₀ ~ N(0, I/d) (E‖e₀‖² = 1) classified by ‖e_T‖² over the chains: median > 1 \
             (the typical run diverges), else mean > 1 (mean-square growth seen through a few chains), \
             else converged. Above the exact boundary the mean square diverges, but for small B only \
             through rare chains: the typical run still converges there. {note1}; {note4}. Made by `igo figure wu_stability`.",
            inputs.seed
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::SymmetricEigen;

    /// λ_max((I − ηH)² + η²pΣ) built here from the Hᵢ.
    fn wu_by_hand(hs: &[Matrix], b: usize, eta: f64) -> f64 {
        let n = hs.len() as f64;
        let d = hs[0].nrows();
        let h = hs.iter().fold(Matrix::zeros(d, d), |a, x| a + x) / n;
        let h2 = hs.iter().fold(Matrix::zeros(d, d), |a, x| a + x * x) / n;
        let sigma = h2 - &h * &h;
        let p = (n - b as f64) / (b as f64 * (n - 1.0));
        let g = Matrix::identity(d, d) - &h * eta;
        let m = &g * &g + sigma * (eta * eta * p);
        SymmetricEigen::new((&m + m.transpose()) * 0.5)
            .eigenvalues
            .max()
    }

    #[test]
    fn boundaries_satisfy_their_defining_equations() {
        let seed = Seed(0);
        for d in [1, 4] {
            let hs = hessians(d, seed);
            for b in [1, 3, SAMPLES] {
                let eta = wu_boundary(&hs, b).unwrap();
                assert!((wu_by_hand(&hs, b, eta) - 1.0).abs() < 1e-9, "d={d} B={b}");
                // Just below the boundary the criterion is < 1 (it is the first crossing).
                assert!(wu_by_hand(&hs, b, 0.999 * eta) < 1.0);
                let exact = exact_boundary(&hs, b).unwrap();
                // Wu's condition is sufficient: its boundary is never above the exact one.
                assert!(exact >= eta * (1.0 - 1e-9), "d={d} B={b}: {exact} < {eta}");
            }
        }
        // 1-D: (1 − ηh̄)² + η²pσ² = 1 ⇔ η = 2h̄/(h̄² + pσ²), and exact = Wu.
        let hs = hessians(1, seed);
        let n = SAMPLES as f64;
        let mean = hs.iter().map(|h| h[(0, 0)]).sum::<f64>() / n;
        let var = hs.iter().map(|h| (h[(0, 0)] - mean).powi(2)).sum::<f64>() / n;
        for b in 1..=SAMPLES {
            let p = (n - b as f64) / (b as f64 * (n - 1.0));
            let closed = 2.0 * mean / (mean * mean + p * var);
            assert!((wu_boundary(&hs, b).unwrap() / closed - 1.0).abs() < 1e-9);
            assert!((exact_boundary(&hs, b).unwrap() / closed - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn observed_divergence_lies_beyond_the_exact_boundary() {
        let inputs = Inputs {
            experiments: std::path::PathBuf::new(),
            seed: 0,
            quick: true,
        };
        let fig = make(&inputs).unwrap();
        for (p, d) in fig.panels.iter().zip([1, 4]) {
            let hs = hessians(d, Seed(0));
            let exact = &p.series[3].points;
            let boundary = |b: f64| exact.iter().find(|q| (q.x - b).abs() < 0.5).unwrap().y;
            // ρ(T) < 1 ⇒ E‖e_T‖² → 0 ⇒ the typical run converges: no divergence more
            // than 15% inside the exact boundary.
            for q in p.series[1].points.iter().chain(&p.series[2].points) {
                assert!(q.y > 0.85 * boundary(q.x), "{}: diverged at {q:?}", p.title);
            }
            // Full batch (B = n) is GD: diverges iff η > 2/λ_max(H) (5% margin).
            let h = hs.iter().fold(Matrix::zeros(d, d), |a, x| a + x) / SAMPLES as f64;
            let gd = 2.0 / SymmetricEigen::new(h).eigenvalues.max();
            let n = SAMPLES as f64;
            for q in p.series[0].points.iter().filter(|q| (q.x - n).abs() < 0.5) {
                assert!(q.y < 1.05 * gd, "{q:?}");
            }
            for q in p.series[1].points.iter().filter(|q| (q.x - n).abs() < 0.5) {
                assert!(q.y > 0.95 * gd, "{q:?}");
            }
            assert!(!p.series[0].points.is_empty() && !p.series[1].points.is_empty());
        }
    }
}
