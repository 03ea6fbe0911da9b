//! igo's seeded initialisation, matching the PyTorch model a researcher would build.
//!
//! Variables are visited in sorted-name order and drawn from one ChaCha8 stream
//! (`seed.stream("init")`), in f64, then cast to the model's dtype. The layer a variable
//! belongs to is read from its name and rank: a rank-4 `X.weight` is a convolution, a
//! rank-2 `X.weight` a linear layer, and `X.*` with a sibling `X.running_mean` a batch
//! norm. What each layer gets depends on the [`InitScheme`]:
//!
//! | variable | [`InitScheme::Pytorch`] | [`InitScheme::Torchvision`] | [`InitScheme::WideResnet`] |
//! |---|---|---|---|
//! | conv weight | U(±1/√fan_in) | N(0, 2/fan_out) | N(0, 2/fan_out) |
//! | conv bias | U(±1/√fan_in) | U(±1/√fan_in) | U(±1/√fan_in) |
//! | linear weight | U(±1/√fan_in) | U(±1/√fan_in) | U(±1/√fan_in) |
//! | linear bias | U(±1/√fan_in) | U(±1/√fan_in) | 0 |
//! | BN weight, bias | 1, 0 | 1, 0 | 1, 0 |
//! | BN running mean, var | 0, 1 | 0, 1 | 0, 1 |
//!
//! U(±1/√fan_in) is PyTorch's `kaiming_uniform_(a = √5)`, whose bound
//! gain·√(3/fan_in) with gain = √(2/(1+a²)) is √(6/(6·fan_in)) = 1/√fan_in
//! (`nn.Linear`/`nn.Conv2d.reset_parameters`); fan_in = in_channels·kernel area and
//! fan_out = out_channels·kernel area. N(0, 2/fan_out) is `kaiming_normal_(mode="fan_out",
//! nonlinearity="relu")` (torchvision `ResNet.__init__`), written in xternalz's
//! WideResNet as `normal_(0, sqrt(2 / (k·k·out_channels)))`.
//!
//! The draws follow PyTorch's distributions, not its random numbers: a PyTorch model and
//! an igo model built with "the same seed" are different samples of the same law.

use crate::{ExperimentError, Result};
use candle_core::{Tensor, Var};
use numerics::Seed;
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which PyTorch model's initialisation to reproduce (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InitScheme {
    /// PyTorch's layer defaults, with no override: `nn.Linear`, `nn.Conv2d`,
    /// `nn.BatchNorm2d` `reset_parameters` (kuangliu/pytorch-cifar `models/resnet.py`).
    #[default]
    Pytorch,
    /// torchvision `models/resnet.py`: convolutions `kaiming_normal_(fan_out, relu)`,
    /// batch norm 1/0, the `fc` layer left at PyTorch's default.
    Torchvision,
    /// xternalz/WideResNet-pytorch `wideresnet.py`: convolutions N(0, 2/(k²·out)),
    /// batch norm 1/0, linear bias 0 (linear weight left at PyTorch's default).
    WideResnet,
}

/// fan_in of a weight of shape (out, in, k…): in·Πk.
#[must_use]
pub fn fan_in(dims: &[usize]) -> usize {
    dims.iter().skip(1).product::<usize>().max(1)
}

/// fan_out of a weight of shape (out, in, k…): out·Πk.
#[must_use]
pub fn fan_out(dims: &[usize]) -> usize {
    let receptive: usize = dims.iter().skip(2).product();
    (dims.first().copied().unwrap_or(1) * receptive).max(1)
}

fn uniform(n: usize, bound: f64, rng: &mut numerics::rng::Rng) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-bound..bound)).collect()
}

fn normal(n: usize, std: f64, rng: &mut numerics::rng::Rng) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let z: f64 = StandardNormal.sample(rng);
            std * z
        })
        .collect()
}

fn set(var: &Var, values: Vec<f64>) -> Result<()> {
    let t = Tensor::from_vec(values, var.dims(), var.device())?.to_dtype(var.dtype())?;
    var.set(&t)?;
    Ok(())
}

/// Initialises `vars` (name → variable) from `seed` with PyTorch's defaults
/// ([`InitScheme::Pytorch`]).
///
/// # Errors
/// A variable whose role cannot be determined from its name and rank, or a candle error.
pub fn initialise(vars: &BTreeMap<String, Var>, seed: Seed) -> Result<()> {
    initialise_with(vars, seed, InitScheme::Pytorch)
}

/// Initialises `vars` (name → variable) from `seed` as `scheme` prescribes (module table).
///
/// # Errors
/// A variable whose role cannot be determined from its name and rank, or a candle error.
pub fn initialise_with(vars: &BTreeMap<String, Var>, seed: Seed, scheme: InitScheme) -> Result<()> {
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
            ("weight", false) if var.rank() >= 3 && scheme != InitScheme::Pytorch => {
                normal(n, (2.0 / fan_out(var.dims()) as f64).sqrt(), &mut rng)
            }
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
                if weight.rank() == 2 && scheme == InitScheme::WideResnet {
                    vec![0.0; n]
                } else {
                    uniform(n, 1.0 / (fan_in(weight.dims()) as f64).sqrt(), &mut rng)
                }
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
