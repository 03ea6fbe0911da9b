//! Sharpness-aware minimization (Foret et al., ICLR 2021; spec §8.4) over a momentum
//! base optimizer.
//!
//! One step on mini-batch S at weights w:
//!
//! 1. g = ∇f_S(w) (a forward pass in training mode; batch-norm running statistics are
//!    updated by this pass);
//! 2. ε = ρ·g/(‖g‖₂ + 10⁻¹²) (‖·‖₂ over all parameters together; the 10⁻¹² guards
//!    g = 0, where ε = 0, as in the reference implementation davda54/sam);
//! 3. g_SAM = ∇f_S(w + ε) (the second pass; the batch-norm buffers are snapshot before it
//!    and restored after it, so they are updated once per step);
//! 4. w is restored bit for bit and the base optimizer steps with g_SAM (its weight decay
//!    uses w).
//!
//! This drops the Jacobian of ε(w), as Foret et al. do.

use super::{Buffers, Momentum};
use crate::{ExperimentError, Result};
use candle_core::Tensor;

/// SAM with radius ρ over a [`Momentum`] base optimizer.
#[derive(Debug)]
pub struct Sam {
    base: Momentum,
    rho: f64,
}

impl Sam {
    /// SAM with radius ρ > 0 around `base`.
    ///
    /// # Errors
    /// [`ExperimentError::Config`] (`optimizer.sam_rho`) unless ρ is finite and > 0.
    pub fn new(base: Momentum, rho: f64) -> Result<Self> {
        if !(rho.is_finite() && rho > 0.0) {
            return Err(ExperimentError::config(
                "optimizer.sam_rho",
                format!("{rho}: must be finite and > 0"),
            ));
        }
        Ok(Self { base, rho })
    }

    /// ρ.
    #[must_use]
    pub fn rho(&self) -> f64 {
        self.rho
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

    /// One SAM step (module docs); returns the loss at w.
    ///
    /// # Errors
    /// Any candle error.
    pub fn step(
        &mut self,
        loss: &mut dyn FnMut() -> Result<Tensor>,
        buffers: &dyn Buffers,
    ) -> Result<Tensor> {
        let value = loss()?;
        let grads = value.backward()?;
        let params = self.base.parameters().to_vec();
        let mut squares = Vec::with_capacity(params.len());
        for (_, var) in &params {
            if let Some(g) = grads.get(var.as_tensor()) {
                squares.push(g.sqr()?.sum_all()?.to_dtype(candle_core::DType::F64)?);
            }
        }
        if squares.is_empty() {
            return Ok(value);
        }
        let norm = Tensor::stack(&squares, 0)?.sum_all()?.sqrt()?;
        // scale = ρ/(‖g‖ + 1e-12), kept on the device.
        let scale = norm.affine(1.0, 1e-12)?.recip()?.affine(self.rho, 0.0)?;
        let mut saved = Vec::with_capacity(params.len());
        for (_, var) in &params {
            if let Some(g) = grads.get(var.as_tensor()) {
                let w = var.as_tensor().detach();
                let eps = g.detach().broadcast_mul(&scale.to_dtype(g.dtype())?)?;
                saved.push((var.clone(), w.copy()?));
                var.set(&(w + eps)?)?;
            }
        }
        let snapshot = buffers.snapshot()?;
        let second = loss().and_then(|l| Ok(l.backward()?));
        buffers.restore(&snapshot)?;
        for (var, w) in &saved {
            var.set(w)?;
        }
        self.base.step(&second?)?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizer::{MomentumConfig, NoBuffers};
    use approx::assert_relative_eq;
    use candle_core::{Device, Var};

    fn sam_iterates(gamma: f64, h: &[f64], rho: f64, x0: &[f64], steps: usize) -> Vec<Vec<f64>> {
        let x = Var::from_tensor(&Tensor::new(x0, &Device::Cpu).unwrap()).unwrap();
        let base =
            Momentum::new(vec![("x".into(), x.clone())], MomentumConfig::sgd(gamma)).unwrap();
        let mut sam = Sam::new(base, rho).unwrap();
        let hv = Tensor::new(h, &Device::Cpu).unwrap();
        let mut out = vec![x.as_tensor().to_vec1::<f64>().unwrap()];
        for _ in 0..steps {
            let mut loss = || -> Result<Tensor> {
                Ok((x.as_tensor().sqr()? * &hv)?.sum_all()?.affine(0.5, 0.0)?)
            };
            sam.step(&mut loss, &NoBuffers).unwrap();
            out.push(x.as_tensor().to_vec1::<f64>().unwrap());
        }
        out
    }

    #[test]
    fn sam_one_dimensional_map_and_two_cycle() {
        // Spec §8.4: on ½hx², x ↦ (1 − γh)x − γhρ·sign(x), converging to the 2-cycle
        // ±γhρ/(2 − γh).
        let (h, rho) = (1.0, 0.1);
        for gh in [0.3, 0.9, 1.5] {
            let gamma = gh / h;
            let xs = sam_iterates(gamma, &[h], rho, &[1.0], 200);
            for w in xs.windows(2).take(5) {
                let x = w[0][0];
                let want = (1.0 - gh) * x - gh * rho * x.signum();
                // The 1e-12 guard in ‖g‖ + 1e-12 moves ε by ρ·1e-12/|g|.
                assert_relative_eq!(w[1][0], want, epsilon = 1e-10);
            }
            let cycle = gh * rho / (2.0 - gh);
            let last = xs[xs.len() - 1][0];
            let before = xs[xs.len() - 2][0];
            assert_relative_eq!(last.abs(), cycle, max_relative = 1e-9);
            assert_relative_eq!(before, -last, max_relative = 1e-9);
        }
    }

    #[test]
    fn sam_two_dimensional_step_uses_the_normalised_gradient() {
        // f = ½(h₁x₁² + h₂x₂²): ε = ρ g/‖g‖ with g = h⊙x; x' = x − γ h⊙(x + ε).
        let (h, rho, gamma, x0) = ([2.0, 0.5], 0.05, 0.1, [1.0, -2.0]);
        let xs = sam_iterates(gamma, &h, rho, &x0, 1);
        let g = [h[0] * x0[0], h[1] * x0[1]];
        let norm = (g[0] * g[0] + g[1] * g[1]).sqrt();
        for j in 0..2 {
            let want = x0[j] - gamma * h[j] * (x0[j] + rho * g[j] / norm);
            assert_relative_eq!(xs[1][j], want, max_relative = 1e-12);
        }
    }

    /// A running statistic updated by every forward pass, like batch norm's.
    struct Running(Var);

    impl Buffers for Running {
        fn snapshot(&self) -> Result<Vec<(String, Tensor)>> {
            Ok(vec![("running_mean".into(), self.0.as_tensor().copy()?)])
        }
        fn restore(&self, snapshot: &[(String, Tensor)]) -> Result<()> {
            for (_, t) in snapshot {
                self.0.set(t)?;
            }
            Ok(())
        }
    }

    #[test]
    fn sam_updates_running_statistics_once_per_step() {
        let x = Var::from_tensor(&Tensor::new(&[1.0f64], &Device::Cpu).unwrap()).unwrap();
        let running =
            Running(Var::from_tensor(&Tensor::new(&[0.0f64], &Device::Cpu).unwrap()).unwrap());
        let base = Momentum::new(vec![("x".into(), x.clone())], MomentumConfig::sgd(0.1)).unwrap();
        let mut sam = Sam::new(base, 0.05).unwrap();
        let mut passes = 0;
        // Each forward pass moves the statistic: r ← 0.9r + 0.1x (detached).
        let mut loss = || -> Result<Tensor> {
            passes += 1;
            let r = running.0.as_tensor().detach();
            running
                .0
                .set(&(r.affine(0.9, 0.0)? + x.as_tensor().detach().affine(0.1, 0.0)?)?)?;
            Ok(x.as_tensor().sqr()?.sum_all()?.affine(0.5, 0.0)?)
        };
        sam.step(&mut loss, &running).unwrap();
        assert_eq!(passes, 2);
        // One update with x = 1 (the first pass, at w): r = 0.1 exactly.
        let r = running.0.as_tensor().to_vec1::<f64>().unwrap()[0];
        assert_relative_eq!(r, 0.1, max_relative = 1e-15);
    }

    #[test]
    fn sam_at_a_stationary_point_does_not_move() {
        let xs = sam_iterates(0.1, &[1.0], 0.1, &[0.0], 3);
        assert!(xs.iter().all(|x| x[0].abs() < 1e-300));
        assert!(Sam::new(
            Momentum::new(Vec::new(), MomentumConfig::sgd(0.1)).unwrap(),
            0.0
        )
        .is_err());
    }
}
