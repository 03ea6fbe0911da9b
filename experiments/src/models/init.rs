//! igo's seeded initialisation, matching PyTorch's defaults.
//!
//! Variables are visited in sorted-name order and drawn from one ChaCha8 stream
//! (`seed.stream("init")`), in f64, then cast to the model's dtype:
//!
//! * weights of rank ≥ 2 (linear, convolution): `kaiming_uniform_(a = √5)`, i.e.
//!   U(−1/√fan_in, 1/√fan_in) with fan_in = in_features·kernel area (PyTorch's
//!   `nn.Linear`/`nn.Conv2d` `reset_parameters`);
//! * biases of linear/convolution layers (`X.bias` next to a rank ≥ 2 `X.weight`):
//!   U(−1/√fan_in, 1/√fan_in) with the weight's fan_in;
//! * batch-norm layers (`X.running_mean` present): weight 1, bias 0, running mean 0,
//!   running variance 1.

use crate::{ExperimentError, Result};
use candle_core::{Tensor, Var};
use numerics::Seed;
use rand::Rng as _;
use std::collections::BTreeMap;

/// fan_in of a weight of shape (out, in, k…): in·Πk.
#[must_use]
pub fn fan_in(dims: &[usize]) -> usize {
    dims.iter().skip(1).product::<usize>().max(1)
}

fn uniform(n: usize, bound: f64, rng: &mut numerics::rng::Rng) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-bound..bound)).collect()
}

fn set(var: &Var, values: Vec<f64>) -> Result<()> {
    let t = Tensor::from_vec(values, var.dims(), var.device())?.to_dtype(var.dtype())?;
    var.set(&t)?;
    Ok(())
}

/// Initialises `vars` (name → variable) from `seed` as described in the module docs.
///
/// # Errors
/// A variable whose role cannot be determined from its name and rank, or a candle error.
pub fn initialise(vars: &BTreeMap<String, Var>, seed: Seed) -> Result<()> {
    let mut rng = seed.stream("init");
    for (name, var) in vars {
        let (prefix, leaf) = name.rsplit_once('.').unwrap_or(("", name.as_str()));
        let sibling = |s: &str| {
            if prefix.is_empty() {
                s.to_string()
            } else {
                format!("{prefix}.{s}")
            }
        };
        let is_batch_norm = vars.contains_key(&sibling("running_mean"));
        let n = var.elem_count();
        let values = match (leaf, is_batch_norm) {
            ("running_mean", _) | ("bias", true) => vec![0.0; n],
            ("running_var", _) | ("weight", true) => vec![1.0; n],
            ("weight", false) if var.rank() >= 2 => {
                uniform(n, 1.0 / (fan_in(var.dims()) as f64).sqrt(), &mut rng)
            }
            ("bias", false) => {
                let weight = vars
                    .get(&sibling("weight"))
                    .filter(|w| w.rank() >= 2)
                    .ok_or_else(|| {
                        ExperimentError::Other(format!(
                            "cannot initialise '{name}': no matching layer weight"
                        ))
                    })?;
                uniform(n, 1.0 / (fan_in(weight.dims()) as f64).sqrt(), &mut rng)
            }
            _ => {
                return Err(ExperimentError::Other(format!(
                    "cannot initialise '{name}' (shape {:?}): unknown variable role",
                    var.dims()
                )))
            }
        };
        set(var, values)?;
    }
    Ok(())
}
