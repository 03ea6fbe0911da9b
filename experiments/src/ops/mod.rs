//! Fast CPU tensor ops on candle's custom-op interface, each with a candle fallback and
//! tests against candle's reference ops.
//!
//! - [`conv2d()`]: convolution by im2col + gemm, with input and weight gradients that are
//!   themselves differentiable (exact Hessian-vector products stay on the fast path);
//! - [`batch_norm_train`]: fused training-mode batch norm (+ ReLU), first-order;
//! - [`channel_affine`]: eval-mode batch norm as one per-channel affine op;
//! - [`relu`] and [`add_relu`] (the residual sum and its ReLU in one op).
//!
//! Every backward is itself made of ops (or, for the fused training batch norm, is one on
//! second-order threads), so that exact Hessian-vector products keep, like PyTorch, only
//! the tensors each backward needs.

/// Evaluates `$body` (a `Vec<T>`) with each `$v` bound to the contiguous slice of CPU
/// storage `$s` under layout `$l`, all f32 or all f64 (the body is compiled once per
/// dtype), and wraps the result in the matching `CpuStorage`; another dtype mix is an
/// error naming the op `$op`.
macro_rules! on_slices {
    ($op:expr; $($v:ident = ($s:expr, $l:expr)),+ ; $body:expr) => {
        match ($($s,)+) {
            ($(candle_core::CpuStorage::F32($v),)+) => {
                $(let $v = $crate::ops::contiguous_slice($v, $l, $op, stringify!($v))?;)+
                candle_core::CpuStorage::F32($body)
            }
            ($(candle_core::CpuStorage::F64($v),)+) => {
                $(let $v = $crate::ops::contiguous_slice($v, $l, $op, stringify!($v))?;)+
                candle_core::CpuStorage::F64($body)
            }
            _ => candle_core::bail!(
                "{}: supports all-f32 or all-f64 inputs, got {:?}",
                $op,
                [$(candle_core::backend::BackendStorage::dtype($s)),+]
            ),
        }
    };
}
pub(crate) use on_slices;

/// The elements of `data` under a contiguous `layout`, or an error naming the op and the
/// input (every op makes its inputs contiguous before applying itself).
///
/// # Errors
/// A non-contiguous layout.
pub(crate) fn contiguous_slice<'a, T>(
    data: &'a [T],
    layout: &candle_core::Layout,
    op: &str,
    what: &str,
) -> candle_core::Result<&'a [T]> {
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("{op}: {what} is not contiguous"),
    }
}

/// Element types of the CPU kernels (f32, f64) with the conversions they need.
pub(crate) trait Real: gemm::Element + Into<f64> + PartialOrd {
    /// The value nearest to `v`.
    fn from_f64(v: f64) -> Self;
}

impl Real for f32 {
    #[allow(clippy::cast_possible_truncation)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Real for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// Elements per parallel task of the elementwise kernels.
pub(crate) const ELEMENTWISE_CHUNK: usize = 1 << 15;

/// Whether igo's CPU ops apply to these operands: [`Implementation::Igo`] chosen, all on
/// the CPU, all f32 or all f64.
pub(crate) fn fast_path(operands: &[&candle_core::Tensor]) -> bool {
    implementation() == Implementation::Igo
        && operands.iter().all(|t| t.device().is_cpu())
        && operands
            .iter()
            .all(|t| matches!(t.dtype(), candle_core::DType::F32 | candle_core::DType::F64))
        && operands.windows(2).all(|p| p[0].dtype() == p[1].dtype())
}

pub mod batch_norm;
pub mod channel_affine;
pub mod conv2d;
pub mod gemm;
pub mod im2col;
pub mod relu;

pub use batch_norm::{batch_norm_train, second_order_thread, set_second_order_thread, BatchStats};
pub use channel_affine::{channel_affine, channel_dot, channel_scale};
pub use conv2d::{conv2d, conv2d_igo, implementation, set_implementation, Conv2d, Implementation};
pub use relu::{add_relu, relu};
