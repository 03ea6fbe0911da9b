//! `lemma_2_1_variance`: mini-batch gradient noise E‖∇f_S(x) − ∇f(x)‖² against the batch
//! size b on log–log axes, measured by Monte Carlo with and without replacement, with
//! the lines C²/b and C²(N − b)/(b(N − 1)) (Lemma 2.1 and spec §2.2; checks C2.1, C2.2).
//!
//! Data: the two finite sums of the Lemma-2.1 checks ([`theory::lemma_2_1::problems`]:
//! least squares N = 200, d = 20 and logistic regression N = 500, d = 10) at their first
//! point x; C² = σ²(x) = (1/N)Σᵢ‖∇fᵢ(x) − ∇f(x)‖² ([`numerics::objective::FiniteSum::gradient_variance`]);
//! Monte-Carlo means of ‖ω‖² over seeded batches ([`CentredGradients::monte_carlo`],
//! [`BatchSampler`]) for b ∈ {1, 2, 4, …, 128, N − 1}, with the batch counts of the checks
//! ([`batches_for`]; a tenth of them with `--quick`).

use super::{axis, logspace, panel, series};
use crate::figures::{Entry, Figure, Inputs, Point, Source, Style};
use anyhow::Result;
use numerics::objective::{BatchSampler, Sampling};
use numerics::Seed;
use theory::lemma_2_1::{
    batches_for, problems, without_replacement_variance, CentredGradients, POWERS_OF_TWO,
};

/// The registry entry.
#[must_use]
pub fn entry() -> Entry {
    Entry {
        name: "lemma_2_1_variance",
        about: "mini-batch gradient variance vs b (log–log): Monte Carlo with/without replacement, C²/b and the finite-population line",
        claims: &["C2.1", "C2.2"],
        source: Source::Theory,
        make,
    }
}

/// The batch sizes measured for a population of `n`: powers of two below n, and n − 1.
#[must_use]
pub fn batch_sizes(n: usize) -> Vec<usize> {
    let mut v: Vec<usize> = POWERS_OF_TWO.iter().copied().filter(|&b| b < n).collect();
    v.push(n - 1);
    v
}

fn make(inputs: &Inputs) -> Result<Figure> {
    let seed = Seed(inputs.seed);
    let divide = if inputs.quick { 10 } else { 1 };
    let mut panels = Vec::new();
    let mut notes = Vec::new();
    for (pi, p) in problems(seed)?.iter().enumerate() {
        let n = p.f.n();
        let x = p
            .points
            .first()
            .ok_or_else(|| anyhow::anyhow!("{}: no point", p.name))?;
        let c2 = p.f.gradient_variance(x);
        let cg = CentredGradients::of(p.f.as_ref(), x);
        let fine: Vec<f64> = {
            let mut b: Vec<f64> = logspace(1.0, (n - 1) as f64, 90)
                .into_iter()
                .map(f64::round)
                .collect();
            b.dedup_by(|a, c| (*a - *c).abs() < 0.5);
            b
        };
        let mut measured = Vec::new();
        for (sampling, name) in [
            (Sampling::WithReplacement, "with replacement"),
            (Sampling::WithoutReplacement, "without replacement"),
        ] {
            let stream = format!("figure-lemma-2-1-{name}");
            let mut sampler =
                BatchSampler::new(n, sampling, seed.child(pi as u64).stream(&stream))?;
            let points = batch_sizes(n)
                .into_iter()
                .map(|b| {
                    let (batches, complement) = match sampling {
                        Sampling::WithoutReplacement => (batches_for(b.min(n - b)), 2 * b > n),
                        _ => (batches_for(b), false),
                    };
                    let st =
                        cg.monte_carlo(&mut sampler, b, (batches / divide).max(1000), complement);
                    Point::xy(b as f64, st.mean())
                })
                .collect();
            measured.push(series(
                format!("Monte Carlo, {name}"),
                Style::Markers,
                Some(measured.len()),
                points,
            ));
        }
        let mut all = vec![
            series(
                "C²/b (i.i.d. batches, Lemma 2.1)",
                Style::Dashed,
                Some(0),
                fine.iter().map(|&b| Point::xy(b, c2 / b)).collect(),
            ),
            series(
                "C²(N − b)/(b(N − 1)) (uniform b-subset)",
                Style::Dashed,
                Some(1),
                fine.iter()
                    .map(|&b| Point::xy(b, without_replacement_variance(c2, n, b as usize)))
                    .collect(),
            ),
        ];
        all.extend(measured);
        panels.push(panel(
            format!("{}, C² = σ²(x) = {c2:.4}", p.name),
            axis("batch size b", true),
            axis("E‖∇f_S(x) − ∇f(x)‖²", true),
            all,
        ));
        notes.push(format!("{} (N = {n}): σ²(x) = {c2:.4}", p.name));
    }
    Ok(Figure {
        name: "lemma_2_1_variance".into(),
        title: "Lemma 2.1: mini-batch gradient variance against the batch size".into(),
        panels,
        columns: 2,
        caption: format!(
            "Markers: Monte-Carlo means of ‖ω‖², ω = ∇f_S(x) − ∇f(x), over seeded batches (seed {}) \
             drawn i.i.d. (assumption (A4)) or as a uniform b-subset, at the first point x of the \
             Lemma-2.1 checks' finite sums (theory::lemma_2_1; checks C2.1, C2.2). Dashed: the exact \
             values C²/b and the finite-population C²(N − b)/(b(N − 1)) of spec §2.2, with \
             C² = σ²(x): {}. Made by `igo figure lemma_2_1_variance`.",
            inputs.seed,
            notes.join("; ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use numerics::Vector;

    #[test]
    fn measured_variances_lie_on_the_exact_lines() {
        let inputs = Inputs {
            experiments: std::path::PathBuf::new(),
            seed: 3,
            quick: true,
        };
        let fig = make(&inputs).unwrap();
        for (p, panel) in problems(Seed(3)).unwrap().iter().zip(&fig.panels) {
            let n = p.f.n();
            let x = &p.points[0];
            // σ²(x) from the per-sample gradients, computed here.
            let grads: Vec<Vector> = (0..n).map(|i| p.f.sample_gradient(i, x)).collect();
            let mean = grads.iter().fold(Vector::zeros(x.len()), |a, g| a + g) / n as f64;
            let sigma2 = grads
                .iter()
                .map(|g| (g - &mean).norm_squared())
                .sum::<f64>()
                / n as f64;
            let with = &panel.series[2];
            let without = &panel.series[3];
            assert_eq!(with.points.len(), batch_sizes(n).len());
            for (w, o) in with.points.iter().zip(&without.points) {
                let b = w.x;
                let iid = sigma2 / b;
                let fpc = sigma2 * (n as f64 - b) / (b * (n as f64 - 1.0));
                assert!(
                    (w.y / iid - 1.0).abs() < 0.06,
                    "{} b={b}: {} vs {iid}",
                    p.name,
                    w.y
                );
                assert!(
                    (o.y / fpc - 1.0).abs() < 0.06,
                    "{} b={b}: {} vs {fpc}",
                    p.name,
                    o.y
                );
            }
            // At b = N − 1 the finite-population value is σ²/(N − 1)², far below σ²/b.
            let last = without.points.last().unwrap();
            assert!(last.y < 2.0 * sigma2 / ((n - 1) as f64).powi(2));
        }
    }
}
