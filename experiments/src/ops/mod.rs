//! Fast CPU tensor ops on candle's custom-op interface, each with a candle fallback and
//! tests against candle's reference ops.
//!
//! - [`conv2d()`]: convolution by im2col + gemm, with input and weight gradients that are
//!   themselves differentiable (exact Hessian-vector products stay on the fast path);
//! - [`batch_norm_train`]: fused training-mode batch norm (+ ReLU), first-order;
//! - [`channel_affine()`]: eval-mode batch norm as one per-channel affine op;
//! - [`relu()`] and [`add_relu`] (the residual sum and its ReLU in one op).
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

use rayon::prelude::*;

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

thread_local! {
    static POOL_F32: std::cell::RefCell<Vec<Vec<f32>>> = const { std::cell::RefCell::new(Vec::new()) };
    static POOL_F64: std::cell::RefCell<Vec<Vec<f64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Buffers kept per thread for reuse by [`Scratch`].
const POOLED_PER_THREAD: usize = 4;

/// Element types with a per-thread pool of scratch buffers.
pub(crate) trait Pooled: gemm::Element {
    /// This type's pool on the calling thread.
    fn pool() -> &'static std::thread::LocalKey<std::cell::RefCell<Vec<Vec<Self>>>>;
}

impl Pooled for f32 {
    fn pool() -> &'static std::thread::LocalKey<std::cell::RefCell<Vec<Vec<f32>>>> {
        &POOL_F32
    }
}

impl Pooled for f64 {
    fn pool() -> &'static std::thread::LocalKey<std::cell::RefCell<Vec<Vec<f64>>>> {
        &POOL_F64
    }
}

/// A temporary buffer of `len` elements taken from the calling thread's pool and given
/// back when dropped, so that the column matrices of the convolutions are neither
/// allocated (page faults) nor zero-filled on every call. Its values are unspecified
/// (zeros or what an earlier user left): every user writes each element before reading it.
pub(crate) struct Scratch<T: Pooled> {
    buffer: Vec<T>,
    len: usize,
}

impl<T: Pooled> Scratch<T> {
    /// A buffer of `len` elements with unspecified values.
    pub(crate) fn new(len: usize) -> Self {
        let mut buffer = T::pool().with(|p| p.borrow_mut().pop()).unwrap_or_default();
        if buffer.len() < len {
            buffer.resize(len, T::default());
        }
        Self { buffer, len }
    }
}

impl<T: Pooled> std::ops::Deref for Scratch<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.buffer[..self.len]
    }
}

impl<T: Pooled> std::ops::DerefMut for Scratch<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.buffer[..self.len]
    }
}

impl<T: Pooled> Drop for Scratch<T> {
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.buffer);
        // A thread being torn down has no pool any more: the buffer is then just freed.
        let _ = T::pool().try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < POOLED_PER_THREAD {
                p.push(buffer);
            }
        });
    }
}

/// Appends `blocks · block` elements to the empty vector `out`, block k being the items of
/// `items(k)`, blocks written in parallel straight into `out`'s memory (no zero fill first).
///
/// # Panics
/// If `out` is not empty, or `items(k)` yields other than `block` items (a bug of the
/// caller); nothing is appended then.
pub(crate) fn append_blocks<T, I>(
    out: &mut Vec<T>,
    blocks: usize,
    block: usize,
    items: impl Fn(usize) -> I + Sync + Send,
) where
    T: Copy + Send + Sync,
    I: Iterator<Item = T>,
{
    assert!(out.is_empty(), "append_blocks: the vector must start empty");
    let len = blocks * block;
    if len == 0 {
        return;
    }
    out.reserve(len);
    out.spare_capacity_mut()[..len]
        .par_chunks_mut(block)
        .with_min_len(ELEMENTWISE_CHUNK.div_ceil(block))
        .enumerate()
        .for_each(|(k, slots)| {
            let mut written = 0;
            for (slot, v) in slots.iter_mut().zip(items(k)) {
                slot.write(v);
                written += 1;
            }
            assert_eq!(written, block, "append_blocks: block {k} short");
        });
    // SAFETY: every one of the `len` slots was written above (each block asserted it wrote
    // all of its `block` slots; a failed assertion panics out of `for_each` before this).
    unsafe { out.set_len(len) };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_blocks_writes_every_block_in_order() {
        let mut out = Vec::new();
        append_blocks(&mut out, 5000, 7, |k| (0..7).map(move |j| k * 7 + j));
        assert_eq!(out.len(), 35_000);
        assert!(out.iter().enumerate().all(|(i, &v)| v == i));
    }

    #[test]
    fn append_blocks_refuses_a_short_block_and_appends_nothing() {
        let mut out: Vec<f32> = Vec::new();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            append_blocks(&mut out, 3, 4, |k| {
                (0..if k == 1 { 3 } else { 4 }).map(|_| 1.0)
            });
        }));
        assert!(outcome.is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn scratch_buffers_are_reused_on_a_thread() {
        let first = {
            let mut s = Scratch::<f32>::new(1000);
            s[999] = 3.0;
            s.as_ptr()
        };
        let again = Scratch::<f32>::new(10);
        assert_eq!(again.len(), 10);
        assert_eq!(
            again.as_ptr(),
            first,
            "the pooled buffer is handed out again"
        );
    }
}
