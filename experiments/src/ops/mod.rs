//! Fast CPU tensor ops on candle's custom-op interface, each with a candle fallback and
//! tests against candle's reference ops.
//!
//! - [`conv2d()`]: convolution by im2col + gemm, with input and weight gradients that are
//!   themselves differentiable (exact Hessian-vector products stay on the fast path);
//! - [`batch_norm_train`]: fused training-mode batch norm (+ ReLU), first-order.

pub mod batch_norm;
pub mod conv2d;
pub mod gemm;
pub mod im2col;

pub use batch_norm::{batch_norm_train, second_order_thread, set_second_order_thread, BatchStats};
pub use conv2d::{conv2d, conv2d_igo, implementation, set_implementation, Conv2d, Implementation};
