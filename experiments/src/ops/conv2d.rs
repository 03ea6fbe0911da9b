//! A fast 2-D convolution for CPU training, on candle's `CustomOp2` interface.
//!
//! y = conv(x, w): y[b, o, u, v] = Σ_{c,i,j} w[o, c, i, j] · x[b, c, u·s + i − p, v·s + j − p]
//! (PyTorch `F.conv2d`, NCHW, zero padding p, stride s, dilation 1, one group), computed as
//! W·im2col(x) per chunk of images with the `gemm` kernel (see [`super::im2col`]),
//! chunks in parallel on rayon's pool.
//!
//! Its backward is two more ops of the same kind, so that gradients of gradients (exact
//! Hessian-vector products) stay on the fast path:
//!
//! - input gradient  g_x = conv_input_grad(g_y, w) = col2im(Wᵀ·g_y), the adjoint of x ↦ conv(x, w)
//!   (for stride 1 computed as the convolution of g_y with the flipped, transposed kernel);
//! - weight gradient g_w = conv_weight_grad(x, g_y) = Σ_b g_y\[b\]·im2col(x\[b\])ᵀ, the adjoint of
//!   w ↦ conv(x, w).
//!
//! All three are bilinear and close under differentiation: with ⟨·,·⟩ the sum of products,
//! ⟨a, conv_input_grad(g, w)⟩ = ⟨conv(a, w), g⟩ = ⟨w, conv_weight_grad(a, g)⟩, so the
//! backward of `conv_input_grad` is (conv(ḡ, w), conv_weight_grad(ḡ, g)) and that of
//! `conv_weight_grad` is (conv_input_grad(g, ḡ), conv(x, ḡ)).
//!
//! Only the inputs of each op are kept for its backward (no column buffer outlives the
//! call), so the memory of a backward graph is that of the activations, as in PyTorch.
//!
//! Chunks are a fixed function of the shapes (never of the thread count), and the weight
//! gradient sums the chunks' partial products in chunk order, so results are bit-identical
//! for any number of threads. On other devices, other dtypes, dilation ≠ 1 or groups ≠ 1,
//! [`conv2d`] falls back to candle's own `Tensor::conv2d`.

use super::gemm::{matmul, MatRef};
use super::im2col::{col2im_add, im2col, ConvGeometry};
use super::{Pooled, Scratch};
use candle_core::{CpuStorage, CustomOp2, Layout, Module, Shape, Tensor};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// Which implementation the models' convolutions and batch norms use on CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// igo's ops: im2col + gemm convolution, fused batch norm (the default).
    Igo,
    /// candle's own `Tensor::conv2d` and candle-nn's batch norm (the reference).
    Candle,
}

static USE_CANDLE: AtomicBool = AtomicBool::new(false);

/// Chooses the CPU ops for the whole process (benchmarks and cross-checks).
pub fn set_implementation(choice: Implementation) {
    USE_CANDLE.store(choice == Implementation::Candle, Ordering::Relaxed);
}

/// The CPU ops in use.
#[must_use]
pub fn implementation() -> Implementation {
    if USE_CANDLE.load(Ordering::Relaxed) {
        Implementation::Candle
    } else {
        Implementation::Igo
    }
}

/// Target number of output columns (images × positions) per chunk: enough for the
/// matrix kernel to run near its peak on thin late layers (4×4 maps).
const CHUNK_COLUMNS: usize = 1024;
/// Upper bound on one chunk's column buffer, in elements (32 MiB of f64).
const CHUNK_BUFFER: usize = 1 << 22;

/// How a batch of n images is cut into chunks for the matrix kernel: output size
/// (H_out, W_out), P = H_out·W_out, K = C·k_h·k_w, C_out, images per chunk and kernel
/// threads. A function of the shapes only, never of the thread count (module docs).
#[derive(Debug, Clone, Copy)]
struct Chunking {
    oh: usize,
    ow: usize,
    positions: usize,
    k: usize,
    co: usize,
    /// Images per chunk: ⌈CHUNK_COLUMNS / P⌉, capped so the column buffer stays under
    /// CHUNK_BUFFER, at least 1, at most n.
    images: usize,
    /// Threads of the matrix kernel: all of them when there is a single chunk, one per
    /// chunk otherwise (the chunks run in parallel).
    threads: usize,
}

impl Chunking {
    fn new(g: &ConvGeometry, n: usize) -> Self {
        let (oh, ow) = out_hw(g);
        let positions = oh * ow;
        let by_columns = CHUNK_COLUMNS.div_ceil(positions.max(1));
        let by_memory = (CHUNK_BUFFER / (g.patch_len() * positions).max(1)).max(1);
        let images = by_columns.min(by_memory).clamp(1, n.max(1));
        let threads = if n.div_ceil(images) <= 1 {
            rayon::current_num_threads()
        } else {
            1
        };
        Self {
            oh,
            ow,
            positions,
            k: g.patch_len(),
            co: g.channels_out,
            images,
            threads,
        }
    }
}

/// Forward: y (n, C_out, P) ← conv(x, w) for x (n, C·H·W), w (C_out, K).
fn forward<T: Pooled>(g: &ConvGeometry, n: usize, x: &[T], w: &[T]) -> Vec<T> {
    let Chunking {
        oh,
        ow,
        positions,
        k,
        co,
        images: nb,
        threads,
    } = Chunking::new(g, n);
    let mut y = vec![T::default(); n * co * positions];
    let wm = MatRef::row_major(w, co, k);
    y.par_chunks_mut(nb * co * positions)
        .zip(x.par_chunks(nb * g.image_len()))
        .for_each(|(yc, xc)| {
            let m = xc.len() / g.image_len();
            let mut col = Scratch::<T>::new(k * m * positions);
            im2col(g, oh, ow, xc, m, &mut col);
            let colm = MatRef::row_major(&col, k, m * positions);
            if m == 1 {
                matmul(yc, wm, colm, false, threads);
            } else {
                let mut tmp = Scratch::<T>::new(co * m * positions);
                matmul(&mut tmp, wm, colm, false, threads);
                // tmp is (C_out, m·P); y is (m, C_out, P).
                for o in 0..co {
                    for b in 0..m {
                        let src = &tmp[o * m * positions + b * positions..][..positions];
                        yc[(b * co + o) * positions..][..positions].copy_from_slice(src);
                    }
                }
            }
        });
    y
}

/// Input gradient g_x (n, C·H·W) for g_y (n, C_out, P), w (C_out, K).
///
/// With stride 1, a square kernel and p ≤ k − 1 it is itself a convolution, taken by
/// [`forward`] (the faster path: one matrix product with the long inner dimension C_out·k²
/// and no scatter-add): g_x = conv(g_y, w′) with padding k − 1 − p and
/// w′[c, o, i, j] = w[o, c, k − 1 − i, k − 1 − j]. Otherwise col2im(Wᵀ·g_y).
fn input_grad<T: Pooled>(g: &ConvGeometry, n: usize, gy: &[T], w: &[T]) -> Vec<T> {
    let k = g.kernel_h;
    if g.stride == 1 && g.kernel_w == k && g.padding < k {
        let (oh, ow) = out_hw(g);
        let flipped = ConvGeometry {
            channels_in: g.channels_out,
            height: oh,
            width: ow,
            channels_out: g.channels_in,
            kernel_h: k,
            kernel_w: k,
            stride: 1,
            padding: k - 1 - g.padding,
        };
        let (c, co) = (g.channels_in, g.channels_out);
        let mut wt = vec![T::default(); w.len()];
        for o in 0..co {
            for ci in 0..c {
                for i in 0..k {
                    for j in 0..k {
                        wt[((ci * co + o) * k + i) * k + j] =
                            w[((o * c + ci) * k + (k - 1 - i)) * k + (k - 1 - j)];
                    }
                }
            }
        }
        return forward(&flipped, n, gy, &wt);
    }
    col2im_input_grad(g, n, gy, w)
}

/// Input gradient by col2im(Wᵀ·g_y) (any stride and padding).
fn col2im_input_grad<T: Pooled>(g: &ConvGeometry, n: usize, gy: &[T], w: &[T]) -> Vec<T> {
    let Chunking {
        oh,
        ow,
        positions,
        k,
        co,
        images: nb,
        threads,
    } = Chunking::new(g, n);
    let mut gx = vec![T::default(); n * g.image_len()];
    let wt = MatRef::row_major(w, co, k).t();
    gx.par_chunks_mut(nb * g.image_len())
        .zip(gy.par_chunks(nb * co * positions))
        .for_each(|(gxc, gyc)| {
            let m = gyc.len() / (co * positions);
            let mut col = Scratch::<T>::new(k * m * positions);
            if m == 1 {
                matmul(
                    &mut col,
                    wt,
                    MatRef::row_major(gyc, co, positions),
                    false,
                    threads,
                );
            } else {
                let tmp = gather(gyc, m, co, positions);
                matmul(
                    &mut col,
                    wt,
                    MatRef::row_major(&tmp, co, m * positions),
                    false,
                    threads,
                );
            }
            col2im_add(g, oh, ow, &col, m, gxc);
        });
    gx
}

/// Weight gradient: g_w (C_out, K) ← Σ_b g_y\[b\]·im2col(x\[b\])ᵀ, summed chunk by chunk in
/// chunk order.
fn weight_grad<T: Pooled>(g: &ConvGeometry, n: usize, x: &[T], gy: &[T]) -> Vec<T> {
    let Chunking {
        oh,
        ow,
        positions,
        k,
        co,
        images: nb,
        threads,
    } = Chunking::new(g, n);
    let partials: Vec<Vec<T>> = x
        .par_chunks(nb * g.image_len())
        .zip(gy.par_chunks(nb * co * positions))
        .map(|(xc, gyc)| {
            let m = xc.len() / g.image_len();
            let mut col = Scratch::<T>::new(k * m * positions);
            im2col(g, oh, ow, xc, m, &mut col);
            let colt = MatRef::row_major(&col, k, m * positions).t();
            let mut part = vec![T::default(); co * k];
            if m == 1 {
                matmul(
                    &mut part,
                    MatRef::row_major(gyc, co, positions),
                    colt,
                    false,
                    threads,
                );
            } else {
                let tmp = gather(gyc, m, co, positions);
                matmul(
                    &mut part,
                    MatRef::row_major(&tmp, co, m * positions),
                    colt,
                    false,
                    threads,
                );
            }
            part
        })
        .collect();
    let mut parts = partials.into_iter();
    let mut total = parts.next().unwrap_or_else(|| vec![T::default(); co * k]);
    for part in parts {
        for (t, p) in total.iter_mut().zip(&part) {
            *t += *p;
        }
    }
    total
}

/// (m, C_out, P) → (C_out, m·P).
fn gather<T: Pooled>(src: &[T], m: usize, co: usize, positions: usize) -> Scratch<T> {
    let mut out = Scratch::new(co * m * positions);
    for b in 0..m {
        for o in 0..co {
            out[o * m * positions + b * positions..][..positions]
                .copy_from_slice(&src[(b * co + o) * positions..][..positions]);
        }
    }
    out
}

fn out_hw(g: &ConvGeometry) -> (usize, usize) {
    // Checked by `geometry` before any kernel runs.
    (g.out_h().unwrap_or(0), g.out_w().unwrap_or(0))
}

/// Stride and padding of a convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Params {
    stride: usize,
    padding: usize,
}

/// The geometry of x (n, C, H, W) ∗ w (C_out, C, k_h, k_w), or an error naming the
/// mismatch.
fn geometry(x: &[usize], w: &[usize], p: Params) -> candle_core::Result<(usize, ConvGeometry)> {
    let (&[n, c, h, wd], &[co, cw, kh, kw]) = (x, w) else {
        candle_core::bail!("conv2d: expected input (N, C, H, W) and weight (C_out, C, kH, kW), got {x:?} and {w:?}")
    };
    if c != cw {
        candle_core::bail!(
            "conv2d: input has {c} channels but the weight expects {cw} (shapes {x:?}, {w:?})"
        )
    }
    let g = ConvGeometry {
        channels_in: c,
        height: h,
        width: wd,
        channels_out: co,
        kernel_h: kh,
        kernel_w: kw,
        stride: p.stride,
        padding: p.padding,
    };
    if g.out_h().is_none() || g.out_w().is_none() {
        candle_core::bail!(
            "conv2d: kernel {kh}×{kw} with padding {} and stride {} does not fit input {h}×{wd}",
            p.padding,
            p.stride
        )
    }
    Ok((n, g))
}

/// y = conv(x, w) (module docs).
struct ConvForward(Params);

impl CustomOp2 for ConvForward {
    fn name(&self) -> &'static str {
        "igo-conv2d"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (n, g) = geometry(l1.dims(), l2.dims(), self.0)?;
        let (oh, ow) = out_hw(&g);
        let out = super::on_slices!(self.name(); x = (s1, l1), w = (s2, l2); forward(&g, n, x, w));
        Ok((out, Shape::from((n, g.channels_out, oh, ow))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _y: &Tensor,
        gy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let (_, _, h, wd) = x.dims4()?;
        let (_, _, kh, kw) = w.dims4()?;
        Ok((
            Some(input_grad_op(gy, w, self.0, (h, wd))?),
            Some(weight_grad_op(x, gy, self.0, (kh, kw))?),
        ))
    }
}

/// g_x = conv_input_grad(g_y, w) for an input of spatial size (H, W).
struct ConvInputGrad(Params, (usize, usize));

impl CustomOp2 for ConvInputGrad {
    fn name(&self) -> &'static str {
        "igo-conv2d-input-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (gy, w) = (l1.dims(), l2.dims());
        let (&[n, co, oh, ow], &[cw, c, _, _]) = (gy, w) else {
            candle_core::bail!("{}: expected g_y (N, C_out, H_out, W_out) and weight (C_out, C, kH, kW), got {gy:?} and {w:?}", self.name())
        };
        let (h, wd) = self.1;
        let (_, g) = geometry(&[n, c, h, wd], w, self.0)?;
        if co != cw || (oh, ow) != out_hw(&g) {
            candle_core::bail!(
                "{}: g_y {gy:?} does not match weight {w:?} on input {h}×{wd}",
                self.name()
            )
        }
        let out =
            super::on_slices!(self.name(); gy = (s1, l1), w = (s2, l2); input_grad(&g, n, gy, w));
        Ok((out, Shape::from((n, c, h, wd))))
    }

    fn bwd(
        &self,
        gy: &Tensor,
        w: &Tensor,
        _gx: &Tensor,
        ggx: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let (_, _, kh, kw) = w.dims4()?;
        Ok((
            Some(forward_op(ggx, w, self.0)?),
            Some(weight_grad_op(ggx, gy, self.0, (kh, kw))?),
        ))
    }
}

/// g_w = conv_weight_grad(x, g_y) for a kernel of size (k_h, k_w).
struct ConvWeightGrad(Params, (usize, usize));

impl CustomOp2 for ConvWeightGrad {
    fn name(&self) -> &'static str {
        "igo-conv2d-weight-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, gy) = (l1.dims(), l2.dims());
        let (&[n, c, _, _], &[ny, co, oh, ow]) = (x, gy) else {
            candle_core::bail!("{}: expected x (N, C, H, W) and g_y (N, C_out, H_out, W_out), got {x:?} and {gy:?}", self.name())
        };
        let (kh, kw) = self.1;
        let (_, g) = geometry(x, &[co, c, kh, kw], self.0)?;
        if n != ny || (oh, ow) != out_hw(&g) {
            candle_core::bail!(
                "{}: g_y {gy:?} does not match input {x:?} with kernel {kh}×{kw}",
                self.name()
            )
        }
        let out =
            super::on_slices!(self.name(); x = (s1, l1), gy = (s2, l2); weight_grad(&g, n, x, gy));
        Ok((out, Shape::from((co, c, kh, kw))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gy: &Tensor,
        _gw: &Tensor,
        ggw: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let (_, _, h, wd) = x.dims4()?;
        Ok((
            Some(input_grad_op(gy, ggw, self.0, (h, wd))?),
            Some(forward_op(x, ggw, self.0)?),
        ))
    }
}

fn forward_op(x: &Tensor, w: &Tensor, p: Params) -> candle_core::Result<Tensor> {
    x.contiguous()?.apply_op2(&w.contiguous()?, ConvForward(p))
}

fn input_grad_op(
    gy: &Tensor,
    w: &Tensor,
    p: Params,
    input_hw: (usize, usize),
) -> candle_core::Result<Tensor> {
    gy.contiguous()?
        .apply_op2(&w.contiguous()?, ConvInputGrad(p, input_hw))
}

fn weight_grad_op(
    x: &Tensor,
    gy: &Tensor,
    p: Params,
    kernel_hw: (usize, usize),
) -> candle_core::Result<Tensor> {
    x.contiguous()?
        .apply_op2(&gy.contiguous()?, ConvWeightGrad(p, kernel_hw))
}

/// y = conv(x, w) with zero padding `padding` and stride `stride` (PyTorch
/// `F.conv2d(x, w, None, stride, padding)`): igo's op on CPU for f32/f64, candle's
/// `Tensor::conv2d` otherwise (module docs).
///
/// # Errors
/// Shapes that do not fit (a message naming them), or a candle error.
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    padding: usize,
    stride: usize,
) -> candle_core::Result<Tensor> {
    if super::fast_path(&[x, w]) {
        conv2d_igo(x, w, padding, stride)
    } else {
        x.conv2d(w, padding, stride, 1, 1)
    }
}

/// y = conv(x, w) on igo's op whatever [`implementation`] says (CPU, f32 or f64):
/// what the tests compare with candle's `Tensor::conv2d`.
///
/// # Errors
/// Shapes that do not fit, another device or dtype (a message naming it), or a candle
/// error.
pub fn conv2d_igo(
    x: &Tensor,
    w: &Tensor,
    padding: usize,
    stride: usize,
) -> candle_core::Result<Tensor> {
    if !(x.device().is_cpu() && w.device().is_cpu()) {
        candle_core::bail!(
            "igo-conv2d: runs on the CPU only (use candle's conv2d on other devices)"
        )
    }
    forward_op(x, w, Params { stride, padding })
}

/// A convolution layer without bias, weight (C_out, C, k, k): PyTorch's
/// `nn.Conv2d(C, C_out, k, stride, padding, bias=False)` on [`conv2d`].
#[derive(Debug, Clone)]
pub struct Conv2d {
    weight: Tensor,
    padding: usize,
    stride: usize,
}

impl Conv2d {
    /// A layer over an existing weight.
    #[must_use]
    pub fn new(weight: Tensor, padding: usize, stride: usize) -> Self {
        Self {
            weight,
            padding,
            stride,
        }
    }

    /// The weight (C_out, C, k, k).
    #[must_use]
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        conv2d(x, &self.weight, self.padding, self.stride)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [−1, 1).
    fn values(len: usize, salt: usize) -> Vec<f64> {
        (0..len)
            .map(|i| (((i * 7919 + salt * 104_729) % 2000) as f64) / 1000.0 - 1.0)
            .collect()
    }

    #[test]
    fn input_gradient_as_a_flipped_convolution_equals_col2im() {
        // Both computations of ⟨·, conv(x, w)⟩'s input gradient, on every geometry the
        // flipped path accepts (stride 1, square kernel, p < k) with several batch chunkings.
        for (c, co, h, w, k, p, n) in [
            (3, 4, 5, 6, 3, 1, 2),
            (2, 5, 4, 4, 3, 0, 3),
            (3, 2, 6, 5, 3, 2, 1),
            (4, 3, 3, 7, 1, 0, 2),
            (2, 2, 5, 5, 2, 1, 70),
        ] {
            let g = ConvGeometry {
                channels_in: c,
                height: h,
                width: w,
                channels_out: co,
                kernel_h: k,
                kernel_w: k,
                stride: 1,
                padding: p,
            };
            let (oh, ow) = out_hw(&g);
            let gy = values(n * co * oh * ow, 1);
            let wt = values(co * c * k * k, 2);
            let flipped = input_grad(&g, n, &gy, &wt);
            let reference = col2im_input_grad(&g, n, &gy, &wt);
            let worst = flipped
                .iter()
                .zip(&reference)
                .fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()));
            assert!(worst <= 1e-12, "{g:?} n={n}: {worst:e}");
        }
    }
}
