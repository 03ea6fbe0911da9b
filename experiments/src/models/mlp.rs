//! Fully connected ReLU network (and, with no hidden layer, multinomial logistic
//! regression) on the flattened image: `layers.0`, `layers.1`, … `linear`.
//!
//! y = W_L·relu(… relu(W_1 x + b_1) …) + b_L; input (B, C, H, W) → (B, classes).

use super::Network;
use candle_core::{Module, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

/// A ReLU multilayer perceptron.
#[derive(Debug, Clone)]
pub struct Mlp {
    hidden: Vec<Linear>,
    out: Linear,
}

impl Mlp {
    /// Layers `input → hidden[0] → … → classes`.
    ///
    /// # Errors
    /// A candle error while creating the variables.
    pub fn new(
        input: usize,
        hidden: &[usize],
        classes: usize,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        let mut layers = Vec::with_capacity(hidden.len());
        let mut width = input;
        for (i, &h) in hidden.iter().enumerate() {
            layers.push(linear(width, h, vb.pp(format!("layers.{i}")))?);
            width = h;
        }
        let out = linear(width, classes, vb.pp("linear"))?;
        Ok(Self {
            hidden: layers,
            out,
        })
    }
}

impl Network for Mlp {
    fn forward_t(&self, xs: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
        let mut h = xs.flatten_from(1)?;
        for layer in &self.hidden {
            h = crate::ops::relu(&layer.forward(&h)?)?;
        }
        self.out.forward(&h)
    }
}
