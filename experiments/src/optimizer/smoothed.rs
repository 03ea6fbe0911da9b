//! Explicit graduated optimization on a network (arXiv 2412.11501, Algorithm 1 as in
//! the authors' `ego.py`, spec §7): the base optimizer steps with a Monte-Carlo
//! gradient of the Gaussian-smoothed mini-batch loss,
//!
//! ĝ = (1/K) Σⱼ ∇f_S(w + δuⱼ),   uⱼ ~ N(0, I) over all trainable parameters,
//!
//! an unbiased estimate of ∇f̂_δ(w) = ∇E_u[f_S(w + δu)] (the GISO kernel of spec §1).
//! δ ("radius", the per-coordinate standard deviation of the weight noise) is set per
//! epoch by the run's schedule; δ = 0 is a plain step. The weights are restored bit for
//! bit after the K passes; the batch-norm running statistics are updated by the first
//! pass only (snapshot and restore around the others, as [`super::Sam`] does).
//!
//! The draws of step t come from the stream `"explicit-go"` of `seed.child(t)`, t the
//! base optimizer's step count, so a resumed run draws exactly the noise of an
//! uninterrupted one. The noise is drawn on the host in f64 (candle's CPU generator
//! cannot be seeded) and copied to the device once per draw.
//!
//! How the authors injected noise into DNN weights is unconfirmed (spec §7); this is
//! the direct transcription of `ego.py`'s smoothed gradient to the weights.

use super::{Buffers, Momentum};
use crate::{ExperimentError, Result};
use candle_core::Tensor;
use numerics::Seed;
use rand_distr::{Distribution, StandardNormal};

/// The Gaussian-smoothed gradient over a [`Momentum`] base optimizer.
#[derive(Debug)]
pub struct Smoothed {
    base: Momentum,
    samples: usize,
    radius: f64,
    seed: Seed,
}

impl Smoothed {
    /// K = `samples` ≥ 1 draws per step, δ = 0 until [`Smoothed::set_radius`], noise
    /// from `seed`.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] (`optimizer.smoothing_samples`) if K = 0.
    pub fn new(base: Momentum, samples: usize, seed: Seed) -> Result<Self> {
        if samples == 0 {
            return Err(ExperimentError::config(
                "optimizer.smoothing_samples",
                "must be ≥ 1 (0 = no smoothing)",
            ));
        }
        Ok(Self {
            base,
            samples,
            radius: 0.0,
            seed,
        })
    }

    /// K.
    #[must_use]
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// δ.
    #[must_use]
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// Sets δ ≥ 0.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] (`schedule.smoothing_radius`) unless finite and ≥ 0.
    pub fn set_radius(&mut self, radius: f64) -> Result<()> {
        if !(radius.is_finite() && radius >= 0.0) {
            return Err(ExperimentError::config(
                "schedule.smoothing_radius",
                format!("must be finite and ≥ 0, got {radius}"),
            ));
        }
        self.radius = radius;
        Ok(())
    }

    /// The base optimizer.
    #[must_use]
    pub fn base(&self) -> &Momentum {
        &self.base
    }

    /// The base optimizer, mutably.
    pub fn base_mut(&mut self) -> &mut Momentum {
        &mut self.base
    }

    /// One step with the smoothed gradient (module docs); returns the mean of the K
    /// mini-batch losses at the perturbed weights (an estimate of f̂_δ(w) on the batch;
    /// the plain loss at w when δ = 0).
    ///
    /// # Errors
    /// Any candle error.
    pub fn step(
        &mut self,
        loss: &mut dyn FnMut() -> Result<Tensor>,
        buffers: &dyn Buffers,
    ) -> Result<Tensor> {
        if self.radius == 0.0 {
            let value = loss()?;
            let grads = value.backward()?;
            self.base.step(&grads)?;
            return Ok(value);
        }
        let params = self.base.parameters().to_vec();
        let origin = params
            .iter()
            .map(|(_, v)| Ok(v.as_tensor().copy()?))
            .collect::<Result<Vec<_>>>()?;
        let mut rng = self.seed.child(self.base.steps()).stream("explicit-go");
        let mut store = None;
        let mut sums: Vec<Option<Tensor>> = vec![None; params.len()];
        let mut losses = Vec::with_capacity(self.samples);
        let result = (|| -> Result<()> {
            for j in 0..self.samples {
                for ((_, var), w) in params.iter().zip(&origin) {
                    let n = w.elem_count();
                    let draws: Vec<f64> = (0..n)
                        .map(|_| {
                            let u: f64 = StandardNormal.sample(&mut rng);
                            self.radius * u
                        })
                        .collect();
                    let noise =
                        Tensor::from_vec(draws, w.shape(), w.device())?.to_dtype(w.dtype())?;
                    var.set(&(w + noise)?)?;
                }
                let snapshot = if j > 0 {
                    Some(buffers.snapshot()?)
                } else {
                    None
                };
                let value = loss();
                if let Some(s) = &snapshot {
                    buffers.restore(s)?;
                }
                let value = value?;
                let grads = value.backward()?;
                losses.push(value.detach());
                for ((_, var), sum) in params.iter().zip(sums.iter_mut()) {
                    if let Some(g) = grads.get(var.as_tensor()) {
                        let g = g.detach();
                        *sum = Some(match sum.take() {
                            Some(s) => (s + g)?,
                            None => g,
                        });
                    }
                }
                if store.is_none() {
                    store = Some(grads);
                }
            }
            Ok(())
        })();
        for ((_, var), w) in params.iter().zip(&origin) {
            var.set(w)?;
        }
        result?;
        let Some(mut store) = store else {
            return Err(ExperimentError::Other(
                "smoothed step: no gradient was computed".into(),
            ));
        };
        let k = self.samples as f64;
        for ((_, var), sum) in params.iter().zip(sums) {
            if let Some(s) = sum {
                store.insert(var.as_tensor(), s.affine(1.0 / k, 0.0)?);
            }
        }
        self.base.step(&store)?;
        let mean = Tensor::stack(&losses, 0)?.mean_all()?;
        Ok(mean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizer::{MomentumConfig, NoBuffers};
    use candle_core::{Device, Var};

    /// On f(x) = ½hx² the smoothed gradient is exact: ∇f(x + δu) = h(x + δu), whose
    /// mean over the K draws is hx + hδū; the step is x ← x − γ(hx + hδū) with ū the
    /// mean of the draws, recomputed here from the same stream.
    #[test]
    fn smoothed_step_on_a_quadratic_matches_the_draws() {
        let (h, gamma, delta, k) = (2.0, 0.1, 0.3, 5usize);
        let x0 = [1.0, -0.5, 0.25];
        let x = Var::from_tensor(&Tensor::new(&x0, &Device::Cpu).unwrap()).unwrap();
        let base =
            Momentum::new(vec![("x".into(), x.clone())], MomentumConfig::sgd(gamma)).unwrap();
        let seed = Seed(11);
        let mut s = Smoothed::new(base, k, seed).unwrap();
        s.set_radius(delta).unwrap();
        let mut loss =
            || -> Result<Tensor> { Ok(x.as_tensor().sqr()?.sum_all()?.affine(0.5 * h, 0.0)?) };
        let value = s.step(&mut loss, &NoBuffers).unwrap();
        // Independent recomputation of the draws (stream of step 0, K × 3 normals).
        let mut rng = seed.child(0).stream("explicit-go");
        let mut u_sum = [0.0; 3];
        let mut loss_sum = 0.0;
        for _ in 0..k {
            let mut l = 0.0;
            for (i, sum) in u_sum.iter_mut().enumerate() {
                let u: f64 = StandardNormal.sample(&mut rng);
                *sum += u;
                l += 0.5 * h * (x0[i] + delta * u).powi(2);
            }
            loss_sum += l;
        }
        let got = x.as_tensor().to_vec1::<f64>().unwrap();
        for i in 0..3 {
            let want = x0[i] - gamma * h * (x0[i] + delta * u_sum[i] / k as f64);
            assert!((got[i] - want).abs() < 1e-12, "{i}: {} vs {want}", got[i]);
        }
        let v = value.to_scalar::<f64>().unwrap();
        assert!((v - loss_sum / k as f64).abs() < 1e-12, "{v}");
        // δ = 0: a plain gradient step.
        s.set_radius(0.0).unwrap();
        let before = x.as_tensor().to_vec1::<f64>().unwrap();
        s.step(&mut loss, &NoBuffers).unwrap();
        let after = x.as_tensor().to_vec1::<f64>().unwrap();
        for i in 0..3 {
            assert!((after[i] - before[i] * (1.0 - gamma * h)).abs() < 1e-15);
        }
    }
}
