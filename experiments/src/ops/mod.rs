//! Fast CPU tensor ops on candle's custom-op interface, each with a candle fallback and
//! tests against candle's reference ops.
//!
//! - [`conv2d()`]: convolution by im2col + gemm, with input and weight gradients that are
//!   themselves differentiable (exact Hessian-vector products stay on the fast path);
//! - [`batch_norm_train`]: fused training-mode batch norm (+ ReLU), first-order.

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

pub mod batch_norm;
pub mod conv2d;
pub mod gemm;
pub mod im2col;

pub use batch_norm::{batch_norm_train, second_order_thread, set_second_order_thread, BatchStats};
pub use conv2d::{conv2d, conv2d_igo, implementation, set_implementation, Conv2d, Implementation};
