//! Fast CPU tensor ops on candle's custom-op interface, each with a candle fallback and
//! tests against candle's reference ops.
//!
//! - [`conv2d()`]: convolution by im2col + gemm, with input and weight gradients that are
//!   themselves differentiable (exact Hessian-vector products stay on the fast path).

pub mod conv2d;
pub mod gemm;
pub mod im2col;

pub use conv2d::{
    conv2d, conv2d_igo, conv_implementation, set_conv_implementation, Conv2d, ConvImplementation,
};
