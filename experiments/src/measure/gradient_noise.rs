//! Gradient noise C²(x) = (1/N) Σᵢ ‖∇fᵢ(x) − ∇f(x)‖² on a fixed subset of N training
//! examples (spec §10.2, the testbed procedure), with ∇f the mean of the ∇fᵢ.
//!
//! Two estimators ([`Estimator`]):
//!
//! * **per-sample**: one backward pass per example (batch of 1) and a streaming (Welford)
//!   mean and sum of squared deviations, in f64; exact. A batch of one in training-mode
//!   batch norm is degenerate (the normalised activation is 0), so per-sample passes run
//!   the network in evaluation mode: batch-norm layers use their running statistics and
//!   nothing is updated. For networks without batch norm the two modes coincide.
//! * **micro-batch** (size m, m | N): the subset is split at random (seeded) into K = N/m
//!   disjoint micro-batches, each gradient g_k from a training-mode pass (batch norm with
//!   batch statistics, as in training; the running statistics are restored afterwards).
//!   Each micro-batch is a uniform m-subset, for which E‖g_B − ∇f‖² = C²(N − m)/(m(N − 1))
//!   (sampling without replacement; spec §2.2), and ∇f = (1/K)Σg_k, so
//!   Ĉ² = m(N − 1)/(N − m) · (1/K)Σ‖g_k − ḡ‖² is unbiased (exact for m = 1).
//!
//! [`Estimator::auto`] picks per-sample for networks without batch norm and micro-batches
//! of 16 for networks with it (where it measures the noise of the gradients training
//! actually uses).

use crate::data::Loader;
use crate::models::Model;
use crate::{ExperimentError, Result};
use candle_core::{DType, Tensor, Var};
use numerics::Seed;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// How per-example gradient deviations are obtained (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// Batch-1 backward passes, batch norm in evaluation mode; exact.
    PerSample,
    /// Disjoint random micro-batches of `size` in training mode, with the
    /// finite-population correction m(N − 1)/(N − m); unbiased.
    MicroBatch {
        /// m ≥ 1, dividing the subset size, smaller than it.
        size: usize,
    },
}

impl Estimator {
    /// Micro-batch size used by [`Estimator::auto`] for networks with batch norm.
    pub const DEFAULT_MICRO_BATCH: usize = 16;

    /// Per-sample for a model without batch-norm buffers, micro-batches of 16 otherwise.
    #[must_use]
    pub fn auto(model: &Model) -> Self {
        if model.buffers().is_empty() {
            Estimator::PerSample
        } else {
            Estimator::MicroBatch {
                size: Self::DEFAULT_MICRO_BATCH,
            }
        }
    }
}

/// A C² measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GradientNoise {
    /// C², the mean squared deviation of per-example gradients from their mean.
    pub c2: f64,
    /// ‖∇f‖ on the subset (a lower bound for the gradient-norm bound K).
    pub gradient_norm: f64,
    /// N, the subset size.
    pub examples: usize,
    /// The estimator used.
    pub estimator: Estimator,
}

/// The fixed C² subset: `size` distinct indices of `0..n` drawn from
/// `seed.stream("c2-subset")`, sorted (all of `0..n` if size ≥ n).
#[must_use]
pub fn subset(n: usize, size: usize, seed: Seed) -> Vec<usize> {
    if size >= n {
        return (0..n).collect();
    }
    let mut idx = rand::seq::index::sample(&mut seed.stream("c2-subset"), n, size).into_vec();
    idx.sort_unstable();
    idx
}

/// Streaming mean and sum of squared deviations of vectors split into tensors
/// (one per parameter), in f64.
struct Welford {
    count: usize,
    mean: Vec<Tensor>,
    m2: Option<Tensor>,
}

impl Welford {
    fn new() -> Self {
        Self {
            count: 0,
            mean: Vec::new(),
            m2: None,
        }
    }

    fn push(&mut self, g: Vec<Tensor>) -> Result<()> {
        self.count += 1;
        if self.count == 1 {
            self.mean = g;
            return Ok(());
        }
        let k = self.count as f64;
        let mut added = Vec::with_capacity(g.len());
        for (mean, x) in self.mean.iter_mut().zip(&g) {
            let delta = (x - &*mean)?;
            let new_mean = (&*mean + delta.affine(1.0 / k, 0.0)?)?;
            added.push((delta * (x - &new_mean)?)?.sum_all()?);
            *mean = new_mean;
        }
        let sum = Tensor::stack(&added, 0)?.sum_all()?;
        self.m2 = Some(match self.m2.take() {
            Some(m2) => (m2 + sum)?,
            None => sum,
        });
        Ok(())
    }

    /// (Σ‖x − x̄‖², ‖x̄‖).
    fn finish(&self) -> Result<(f64, f64)> {
        let m2 = match &self.m2 {
            Some(t) => t.to_scalar::<f64>()?,
            None => 0.0,
        };
        let squares: Vec<Tensor> = self
            .mean
            .iter()
            .map(|m| m.sqr()?.sum_all())
            .collect::<candle_core::Result<_>>()?;
        let norm = if squares.is_empty() {
            0.0
        } else {
            Tensor::stack(&squares, 0)?
                .sum_all()?
                .to_scalar::<f64>()?
                .sqrt()
        };
        Ok((m2, norm))
    }
}

/// The gradients of the mean cross-entropy of `images`/`labels` w.r.t. `params`, in f64
/// (zeros for a parameter the loss does not reach).
fn gradients(
    model: &Model,
    params: &[(String, Var)],
    images: &Tensor,
    labels: &Tensor,
    train: bool,
) -> Result<Vec<Tensor>> {
    let logits = model.forward_t(images, train)?;
    let loss = candle_nn::loss::cross_entropy(&logits, labels)?;
    let grads = loss.backward()?;
    params
        .iter()
        .map(|(_, v)| {
            Ok(match grads.get(v.as_tensor()) {
                // Detached: a gradient kept across passes must not hold this pass's
                // forward graph alive (see measure::sharpness).
                Some(g) => g.detach().to_dtype(DType::F64)?,
                None => Tensor::zeros(v.dims(), DType::F64, v.device())?,
            })
        })
        .collect()
}

/// C² of `model`'s mean cross-entropy over the examples `indices` of `loader`'s set
/// (unaugmented), by `estimator`; `seed` draws the micro-batch partition.
///
/// The model's parameters and batch-norm buffers are unchanged afterwards.
///
/// # Errors
/// Fewer than 2 indices, a micro-batch size that is 0, not smaller than N or does not
/// divide N, an index out of range, or a candle error.
pub fn gradient_noise(
    model: &Model,
    loader: &Loader<'_>,
    indices: &[usize],
    estimator: Estimator,
    seed: Seed,
) -> Result<GradientNoise> {
    let n = indices.len();
    if n < 2 {
        return Err(ExperimentError::config(
            "measurements.c2_subset",
            format!("{n}: C² needs at least 2 examples"),
        ));
    }
    let params = model.parameters();
    let mut welford = Welford::new();
    let c2 = match estimator {
        Estimator::PerSample => {
            for &i in indices {
                let batch = loader.batch(&[i], None)?;
                welford.push(gradients(
                    model,
                    &params,
                    &batch.images,
                    &batch.labels,
                    false,
                )?)?;
            }
            let (m2, _) = welford.finish()?;
            m2 / n as f64
        }
        Estimator::MicroBatch { size: m } => {
            if m == 0 || m >= n || n % m != 0 {
                return Err(ExperimentError::config(
                    "measurements.c2_micro_batch",
                    format!("{m}: must be ≥ 1, smaller than the C² subset ({n}) and divide it"),
                ));
            }
            let mut order = indices.to_vec();
            order.shuffle(&mut seed.stream("c2-partition"));
            let snapshot = model.snapshot_buffers()?;
            let pushed = order.chunks(m).try_for_each(|chunk| {
                let batch = loader.batch(chunk, None)?;
                welford.push(gradients(
                    model,
                    &params,
                    &batch.images,
                    &batch.labels,
                    true,
                )?)
            });
            model.restore_buffers(&snapshot)?;
            pushed?;
            let (m2, _) = welford.finish()?;
            let k = (n / m) as f64;
            let (nf, mf) = (n as f64, m as f64);
            mf * (nf - 1.0) / (nf - mf) * m2 / k
        }
    };
    let (_, gradient_norm) = welford.finish()?;
    Ok(GradientNoise {
        c2,
        gradient_norm,
        examples: n,
        estimator,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{digits, Augmentation, ImageSet, Normalization};
    use crate::models::Architecture;
    use approx::assert_relative_eq;
    use candle_core::Device;
    use nalgebra::{DMatrix, DVector};
    use numerics::objective::{FiniteSum, LogisticRegression, Objective};

    /// Digits 0 and 1 as a two-class problem.
    fn zeros_and_ones(limit: usize) -> ImageSet {
        let all = digits::all().unwrap();
        let idx: Vec<usize> = (0..all.len())
            .filter(|&i| all.labels()[i] < 2)
            .take(limit)
            .collect();
        all.subset(&idx).unwrap()
    }

    /// C² of the two-class softmax regression from numerics' binary logistic regression:
    /// with x = w₁ − w₀ (bias as a constant feature), the gradient w.r.t. row 1 is
    /// ∇fᵢ(x) of `LogisticRegression` and w.r.t. row 0 its negative, so C²_softmax =
    /// 2·C²_logistic.
    fn closed_form_c2(model: &Model, set: &ImageSet, norm: &Normalization) -> (f64, f64) {
        let vars = model.variables();
        let w = vars["linear.weight"].as_tensor().to_vec2::<f64>().unwrap();
        let b = vars["linear.bias"].as_tensor().to_vec1::<f64>().unwrap();
        let d = 64;
        let n = set.len();
        let a = DMatrix::from_fn(n, d + 1, |i, j| {
            if j == d {
                1.0
            } else {
                // The loader's f32 normalisation, (v·(1/max) − mean)/std, then f64.
                let v = f32::from(set.image(i).unwrap()[j]) * (1.0 / set.pixel_max());
                f64::from((v - norm.mean[0]) / norm.std[0])
            }
        });
        let y = DVector::from_fn(n, |i, _| if set.labels()[i] == 1 { 1.0 } else { -1.0 });
        let x = DVector::from_fn(d + 1, |j, _| {
            if j == d {
                b[1] - b[0]
            } else {
                w[1][j] - w[0][j]
            }
        });
        let f = LogisticRegression::new(a, y, 0.0).unwrap();
        let g = f.gradient(&x);
        let c2: f64 = (0..n)
            .map(|i| (f.sample_gradient(i, &x) - &g).norm_squared())
            .sum::<f64>()
            / n as f64;
        (2.0 * c2, std::f64::consts::SQRT_2 * g.norm())
    }

    fn setup(n: usize) -> (ImageSet, Normalization, Model) {
        let set = zeros_and_ones(n);
        let norm = set.channel_statistics();
        let model = Model::new(
            &Architecture::Logistic,
            (1, 8, 8),
            2,
            DType::F64,
            &Device::Cpu,
            Seed(3),
        )
        .unwrap();
        (set, norm, model)
    }

    #[test]
    fn per_sample_c2_matches_logistic_regression_closed_form() {
        let (set, norm, model) = setup(200);
        let loader = Loader::new(
            &set,
            norm.clone(),
            Augmentation::none(),
            &Device::Cpu,
            DType::F64,
        )
        .unwrap();
        let idx: Vec<usize> = (0..set.len()).collect();
        let got = gradient_noise(&model, &loader, &idx, Estimator::PerSample, Seed(0)).unwrap();
        let (c2, norm_g) = closed_form_c2(&model, &set, &norm);
        assert_relative_eq!(got.c2, c2, max_relative = 1e-10);
        assert_relative_eq!(got.gradient_norm, norm_g, max_relative = 1e-10);
        // Micro-batches of 1 are per-sample gradients: the same number.
        let one = gradient_noise(
            &model,
            &loader,
            &idx,
            Estimator::MicroBatch { size: 1 },
            Seed(0),
        )
        .unwrap();
        assert_relative_eq!(one.c2, c2, max_relative = 1e-10);
    }

    #[test]
    fn micro_batch_c2_is_unbiased() {
        // Mean of Ĉ² over R random partitions vs the exact C², within 4 standard errors.
        let (set, norm, model) = setup(64);
        let loader = Loader::new(
            &set,
            norm.clone(),
            Augmentation::none(),
            &Device::Cpu,
            DType::F64,
        )
        .unwrap();
        let idx: Vec<usize> = (0..set.len()).collect();
        let (c2, _) = closed_form_c2(&model, &set, &norm);
        let est: Vec<f64> = (0..300)
            .map(|r| {
                gradient_noise(
                    &model,
                    &loader,
                    &idx,
                    Estimator::MicroBatch { size: 8 },
                    Seed(r),
                )
                .unwrap()
                .c2
            })
            .collect();
        let r = est.len() as f64;
        let mean = est.iter().sum::<f64>() / r;
        let var = est.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (r - 1.0);
        let se = (var / r).sqrt();
        assert!(
            (mean - c2).abs() < 4.0 * se,
            "mean {mean} vs C² {c2} (SE {se})"
        );
        // Without the finite-population correction the estimate would be
        // (N − m)/(m(N − 1)) ≈ 0.111 times C², far outside the band.
        assert!(
            se < 0.05 * c2,
            "SE {se} too large to tell the correction apart"
        );
    }

    #[test]
    fn subset_is_seeded_sorted_and_distinct() {
        let a = subset(1000, 256, Seed(1));
        assert_eq!(a, subset(1000, 256, Seed(1)));
        assert_ne!(a, subset(1000, 256, Seed(2)));
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(subset(10, 256, Seed(1)), (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn bad_micro_batch_names_the_key() {
        let (set, norm, model) = setup(20);
        let loader =
            Loader::new(&set, norm, Augmentation::none(), &Device::Cpu, DType::F64).unwrap();
        let idx: Vec<usize> = (0..20).collect();
        for m in [0, 3, 20] {
            match gradient_noise(
                &model,
                &loader,
                &idx,
                Estimator::MicroBatch { size: m },
                Seed(0),
            ) {
                Err(ExperimentError::Config { key, .. }) => {
                    assert_eq!(key, "measurements.c2_micro_batch")
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
