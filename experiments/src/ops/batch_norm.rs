//! Fused training-mode batch normalisation (optionally followed by ReLU) for CPU training,
//! on candle's `CustomOp3` interface.
//!
//! Per channel c over the M = N·H·W values of a batch x (N, C, H, W):
//! μ_c = mean(x_c), σ²_c = mean((x_c − μ_c)²) (biased), x̂ = (x − μ_c)/√(σ²_c + ε),
//! y = γ_c·x̂ + β_c, and with `relu` y ← max(0, y) (PyTorch `F.batch_norm(training=True)`).
//! The backward, with g' = g_y·1(y > 0) under ReLU (g_y otherwise):
//!
//! ∂β_c = Σ g',  ∂γ_c = Σ g'·x̂,  ∂x = γ_c/√(σ²_c + ε) · (g' − ∂β_c/M − x̂·∂γ_c/M).
//!
//! One pass for the statistics, one for the output; one for the two sums and one for ∂x in
//! the backward, each parallel on rayon's pool, sums in f64. candle-nn's composite batch
//! norm instead runs a dozen elementwise ops, each allocating a tensor of the input's size.
//!
//! On an ordinary thread the backward is a kernel (first order only). Threads that
//! differentiate twice (the second-order worker of [`crate::measure::worker`]) are marked
//! with [`set_second_order_thread`]; there the backward is itself an op,
//! (x, γ, g_y) ↦ (∂x, ∂γ, ∂β), computed by the same kernel, whose own backward (the second
//! derivatives of batch norm) is obtained by differentiating a composite of candle ops
//! once, during the second backward pass only. So an exact Hessian-vector product keeps
//! x, g_y and the outputs alive, not the dozen intermediates of a composite batch norm.
//! The fused ReLU has no second-order backward: on second-order threads the models apply
//! candle's ReLU after the batch norm, and the fused op refuses to run a ReLU backward
//! there rather than return a silently wrong second derivative.

use super::Real;
use candle_core::{CpuStorage, CustomOp3, DType, Layout, Shape, Tensor};
use rayon::prelude::*;
use std::cell::Cell;
use std::sync::{Arc, Mutex};

thread_local! {
    static SECOND_ORDER: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as one that differentiates gradients (exact Hessian-vector
/// products): fused first-order ops are not used on it.
pub fn set_second_order_thread(on: bool) {
    SECOND_ORDER.with(|c| c.set(on));
}

/// Whether the calling thread was marked by [`set_second_order_thread`].
#[must_use]
pub fn second_order_thread() -> bool {
    SECOND_ORDER.with(Cell::get)
}

/// The batch statistics of one forward pass: per-channel mean μ_c and biased variance σ²_c.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStats {
    /// μ_c.
    pub mean: Vec<f64>,
    /// σ²_c (biased: divided by M).
    pub var: Vec<f64>,
    /// M = N·H·W, the values per channel.
    pub count: usize,
}

/// Independent f64 accumulators of the block sums: the loops vectorise, and the order of
/// the additions is a fixed function of the block length (never of the thread count).
const LANES: usize = 8;

/// Σ f(x) over one block, in [`LANES`] f64 lanes.
fn block_sum<T: Real>(x: &[T], f: impl Fn(f64) -> f64) -> f64 {
    let mut lanes = [0.0_f64; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += f(v.into());
        }
    }
    rest.iter()
        .fold(lanes.iter().sum::<f64>(), |s, &v| s + f(v.into()))
}

/// μ_c and σ²_c of x (n, c, plane), two passes per channel in f64.
fn statistics<T: Real>(x: &[T], n: usize, c: usize, plane: usize) -> BatchStats {
    let count = n * plane;
    let per_channel: Vec<(f64, f64)> = (0..c)
        .into_par_iter()
        .map(|ch| {
            let block = |i: usize| &x[(i * c + ch) * plane..][..plane];
            let sum: f64 = (0..n).map(|i| block_sum(block(i), |v| v)).sum();
            let mean = sum / count as f64;
            let sq: f64 = (0..n)
                .map(|i| block_sum(block(i), |v| (v - mean) * (v - mean)))
                .sum();
            (mean, sq / count as f64)
        })
        .collect();
    BatchStats {
        mean: per_channel.iter().map(|p| p.0).collect(),
        var: per_channel.iter().map(|p| p.1).collect(),
        count,
    }
}

/// y = γ·x̂ + β (then ReLU) per image, in parallel.
fn normalise<T: Real>(
    x: &[T],
    stats: &BatchStats,
    gamma: &[T],
    beta: &[T],
    (c, plane): (usize, usize),
    eps: f64,
    relu: bool,
) -> Vec<T> {
    // y = x·scale_c + shift_c with scale = γ/√(σ² + ε), shift = β − μ·scale.
    let (scale, shift): (Vec<T>, Vec<T>) = (0..c)
        .map(|ch| {
            let s = gamma[ch].into() / (stats.var[ch] + eps).sqrt();
            (
                T::from_f64(s),
                T::from_f64(beta[ch].into() - stats.mean[ch] * s),
            )
        })
        .unzip();
    let mut y = Vec::new();
    super::append_blocks(&mut y, x.len() / plane.max(1), plane, |k| {
        let (a, b) = (scale[k % c], shift[k % c]);
        x[k * plane..][..plane].iter().map(move |&v| {
            let r = mul_add(v, a, b);
            if !relu || r > T::default() {
                r
            } else {
                T::default()
            }
        })
    });
    y
}

fn mul_add<T: Real>(v: T, a: T, b: T) -> T {
    T::from_f64(v.into() * a.into() + b.into())
}

/// (Σ g', Σ g'·(x − μ)) over one block, g' = g·1(y > 0) under ReLU (g otherwise), in
/// [`LANES`] f64 lanes.
fn grad_sums<T: Real>(x: &[T], y: &[T], g: &[T], mean: f64, relu: bool) -> (f64, f64) {
    let (mut a, mut b) = ([0.0_f64; LANES], [0.0_f64; LANES]);
    let full = x.len() / LANES * LANES;
    let term = |k: usize| -> (f64, f64) {
        let gv = if !relu || y[k] > T::default() {
            g[k].into()
        } else {
            0.0
        };
        (gv, gv * (x[k].into() - mean))
    };
    for base in (0..full).step_by(LANES) {
        for l in 0..LANES {
            let (p, q) = term(base + l);
            a[l] += p;
            b[l] += q;
        }
    }
    let (mut sa, mut sb) = (a.iter().sum::<f64>(), b.iter().sum::<f64>());
    for k in full..x.len() {
        let (p, q) = term(k);
        sa += p;
        sb += q;
    }
    (sa, sb)
}

/// The backward of the module docs: (∂x, ∂γ, ∂β) packed as one vector [∂x ‖ ∂γ ‖ ∂β].
///
/// With S = Σ g' and S_c = Σ g'·(x − μ) per channel, ∂β = S, ∂γ = S_c/σ and
/// ∂x = k·g' − k·S/M − k·S_c/(σ²M)·(x − μ), k = γ/σ, σ = √(σ² + ε).
#[allow(clippy::too_many_arguments)]
fn backward<T: Real>(
    x: &[T],
    y: &[T],
    gy: &[T],
    gamma: &[f64],
    stats: &BatchStats,
    (n, c, plane): (usize, usize, usize),
    eps: f64,
    relu: bool,
) -> Vec<T> {
    let inv_std: Vec<f64> = stats.var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
    let block = |i: usize, ch: usize| (i * c + ch) * plane..(i * c + ch + 1) * plane;
    let sums: Vec<(f64, f64)> = (0..c)
        .into_par_iter()
        .map(|ch| {
            (0..n).fold((0.0, 0.0), |(sg, sgx), i| {
                let r = block(i, ch);
                let (p, q) = grad_sums(&x[r.clone()], &y[r.clone()], &gy[r], stats.mean[ch], relu);
                (sg + p, sgx + q)
            })
        })
        .collect();
    let m = stats.count as f64;
    let mut out = Vec::with_capacity(x.len() + 2 * c);
    super::append_blocks(&mut out, n * c, plane, |k| {
        let ch = k % c;
        let (sg, sgx) = sums[ch];
        let gain = gamma[ch] * inv_std[ch];
        let shift = -gain * sg / m;
        let slope = -gain * inv_std[ch] * inv_std[ch] * sgx / m;
        let mean = stats.mean[ch];
        let r = k * plane..(k + 1) * plane;
        let (xs, ys, gs) = (&x[r.clone()], &y[r.clone()], &gy[r]);
        xs.iter().zip(ys).zip(gs).map(move |((&xv, &yv), &gv)| {
            let gv = if !relu || yv > T::default() {
                gv.into()
            } else {
                0.0
            };
            T::from_f64(gain * gv + shift + slope * (xv.into() - mean))
        })
    });
    out.extend((0..c).map(|ch| T::from_f64(sums[ch].1 * inv_std[ch])));
    out.extend((0..c).map(|ch| T::from_f64(sums[ch].0)));
    out
}

/// The values as f64.
fn widen<T: Real>(values: &[T]) -> Vec<f64> {
    values.iter().map(|&v| v.into()).collect()
}

/// (N, C, plane) of a rank ≥ 2 input.
fn dims(layout: &Layout) -> candle_core::Result<(usize, usize, usize)> {
    let d = layout.dims();
    if d.len() < 2 {
        candle_core::bail!("igo-batch-norm: input of rank {} (need N, C, ...)", d.len())
    }
    Ok((d[0], d[1], d[2..].iter().product()))
}

/// y = BN(x; γ, β) (then ReLU), recording the batch statistics for the running averages.
struct BatchNormTrain {
    eps: f64,
    relu: bool,
    stats: Arc<Mutex<Option<BatchStats>>>,
}

impl CustomOp3 for BatchNormTrain {
    fn name(&self) -> &'static str {
        "igo-batch-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (n, c, plane) = dims(l1)?;
        if l2.dims() != [c] || l3.dims() != [c] {
            candle_core::bail!(
                "igo-batch-norm: weight {:?} and bias {:?} must have {c} values",
                l2.dims(),
                l3.dims()
            )
        }
        let run = |stats: BatchStats| -> candle_core::Result<()> {
            let mut slot = self
                .stats
                .lock()
                .map_err(|_| candle_core::Error::Msg("igo-batch-norm: poisoned".into()))?;
            *slot = Some(stats);
            Ok(())
        };
        let out = super::on_slices!(self.name(); x = (s1, l1), gamma = (s2, l2), beta = (s3, l3); {
            let stats = statistics(x, n, c, plane);
            let y = normalise(x, &stats, gamma, beta, (c, plane), self.eps, self.relu);
            run(stats)?;
            y
        });
        Ok((out, l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        y: &Tensor,
        gy: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        if second_order_thread() {
            if self.relu {
                candle_core::bail!(
                    "igo-batch-norm: the fused ReLU has a first-order backward only; \
                     apply the ReLU separately on second-order threads"
                )
            }
            let op = BatchNormGrad { eps: self.eps };
            let packed = x.apply_op3(gamma, &gy.contiguous()?, op)?;
            return unpack(&packed, x, gamma.elem_count())
                .map(|(a, b, c)| (Some(a), Some(b), Some(c)));
        }
        let stats = self
            .stats
            .lock()
            .map_err(|_| candle_core::Error::Msg("igo-batch-norm: poisoned".into()))?
            .clone()
            .ok_or_else(|| {
                candle_core::Error::Msg("igo-batch-norm: backward before forward".into())
            })?;
        let gamma_host: Vec<f64> = gamma.to_dtype(DType::F64)?.to_vec1()?;
        let op = BatchNormBackward {
            eps: self.eps,
            relu: self.relu,
            stats,
            gamma: gamma_host,
        };
        let packed = x.apply_op3_no_bwd(y, &gy.contiguous()?, &op)?;
        let (gx, gg, gb) = unpack(&packed, x, gamma.elem_count())?;
        Ok((Some(gx), Some(gg), Some(gb)))
    }
}

/// Splits a packed [∂x ‖ ∂γ ‖ ∂β] into its three tensors (x's shape, C, C).
fn unpack(packed: &Tensor, x: &Tensor, c: usize) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
    let len = x.elem_count();
    Ok((
        packed.narrow(0, 0, len)?.reshape(x.shape())?,
        packed.narrow(0, len, c)?,
        packed.narrow(0, len + c, c)?,
    ))
}

/// The batch-norm backward as a differentiable op of (x, γ, g_y), for second-order
/// threads: forward by the kernel (statistics recomputed from x), backward by one
/// differentiation of [`composite_grad`].
struct BatchNormGrad {
    eps: f64,
}

impl CustomOp3 for BatchNormGrad {
    fn name(&self) -> &'static str {
        "igo-batch-norm-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (n, c, plane) = dims(l1)?;
        if l2.dims() != [c] || l3.dims() != l1.dims() {
            candle_core::bail!(
                "igo-batch-norm-grad: shapes {:?}, {:?}, {:?}",
                l1.dims(),
                l2.dims(),
                l3.dims()
            )
        }
        let geometry = (n, c, plane);
        let out = super::on_slices!(self.name(); x = (s1, l1), gamma = (s2, l2), gy = (s3, l3); {
            let gamma = widen(gamma);
            let stats = statistics(x, n, c, plane);
            backward(x, gy, gy, &gamma, &stats, geometry, self.eps, false)
        });
        Ok((out, Shape::from(l1.shape().elem_count() + 2 * c)))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        gy: &Tensor,
        _packed: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        // L = ⟨a_x, ∂x⟩ + ⟨a_γ, ∂γ⟩ + ⟨a_β, ∂β⟩ with the upstream gradient a held constant;
        // its gradient with respect to (x, γ, g_y) is this op's vector-Jacobian product.
        let (ax, ag, ab) = unpack(&grad.detach(), x, gamma.elem_count())?;
        let vars = [
            candle_core::Var::from_tensor(&x.detach())?,
            candle_core::Var::from_tensor(&gamma.detach())?,
            candle_core::Var::from_tensor(&gy.detach())?,
        ];
        let (gx, gg, gb) = composite_grad(
            vars[0].as_tensor(),
            vars[1].as_tensor(),
            vars[2].as_tensor(),
            self.eps,
        )?;
        let l = ((gx * ax)?.sum_all()? + (gg * ag)?.sum_all()?)?;
        let l = (l + (gb * ab)?.sum_all()?)?;
        let grads = l.backward()?;
        let take = |v: &candle_core::Var| -> candle_core::Result<Option<Tensor>> {
            Ok(grads.get(v).map(Tensor::detach))
        };
        Ok((take(&vars[0])?, take(&vars[1])?, take(&vars[2])?))
    }
}

/// (∂x, ∂γ, ∂β) of the module docs as a composite of candle ops (differentiable), for x
/// (N, C, ...) and g_y of x's shape.
///
/// # Errors
/// A candle error.
pub fn composite_grad(
    x: &Tensor,
    gamma: &Tensor,
    gy: &Tensor,
    eps: f64,
) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
    let (n, c) = (x.dim(0)?, x.dim(1)?);
    let plane = x.elem_count() / (n * c).max(1);
    let m = (n * plane) as f64;
    let x3 = x.reshape((n, c, plane))?;
    let g3 = gy.reshape((n, c, plane))?;
    let mean = (x3.sum_keepdim(2)?.sum_keepdim(0)? / m)?;
    let xc = x3.broadcast_sub(&mean)?;
    let var = (xc.sqr()?.sum_keepdim(2)?.sum_keepdim(0)? / m)?;
    let inv_std = (var + eps)?.sqrt()?.recip()?;
    let xh = xc.broadcast_mul(&inv_std)?;
    let gb = g3.sum_keepdim(2)?.sum_keepdim(0)?;
    let gg = (&g3 * &xh)?.sum_keepdim(2)?.sum_keepdim(0)?;
    let centred = (g3.broadcast_sub(&(&gb / m)?)? - xh.broadcast_mul(&(&gg / m)?)?)?;
    let scale = gamma.reshape((1, c, 1))?.broadcast_mul(&inv_std)?;
    let gx = centred.broadcast_mul(&scale)?.reshape(x.shape())?;
    Ok((gx, gg.flatten_all()?, gb.flatten_all()?))
}

/// The packed backward [∂x ‖ ∂γ ‖ ∂β] from (x, y, g_y).
struct BatchNormBackward {
    eps: f64,
    relu: bool,
    stats: BatchStats,
    gamma: Vec<f64>,
}

impl CustomOp3 for BatchNormBackward {
    fn name(&self) -> &'static str {
        "igo-batch-norm-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (n, c, plane) = dims(l1)?;
        if l2.dims() != l1.dims() || l3.dims() != l1.dims() || self.gamma.len() != c {
            candle_core::bail!(
                "igo-batch-norm-backward: shapes {:?}, {:?}, {:?}",
                l1.dims(),
                l2.dims(),
                l3.dims()
            )
        }
        let geometry = (n, c, plane);
        let out = super::on_slices!(self.name(); x = (s1, l1), y = (s2, l2), gy = (s3, l3); {
            backward(x, y, gy, &self.gamma, &self.stats, geometry, self.eps, self.relu)
        });
        Ok((out, Shape::from(l1.shape().elem_count() + 2 * c)))
    }
}

/// Training-mode batch norm y = γ·(x − μ)/√(σ² + ε) + β over the batch and spatial
/// axes of x (N, C, ...), then ReLU if `relu`; returns y and the batch statistics (for
/// the running averages). CPU, f32 or f64, contiguous or not.
///
/// # Errors
/// Shapes that do not match, another device or dtype, or a candle error.
pub fn batch_norm_train(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
    relu: bool,
) -> candle_core::Result<(Tensor, BatchStats)> {
    if !x.device().is_cpu() {
        candle_core::bail!("igo-batch-norm: runs on the CPU only")
    }
    let stats = Arc::new(Mutex::new(None));
    let op = BatchNormTrain {
        eps,
        relu,
        stats: Arc::clone(&stats),
    };
    let y = x
        .contiguous()?
        .apply_op3(&gamma.contiguous()?, &beta.contiguous()?, op)?;
    let recorded = stats
        .lock()
        .map_err(|_| candle_core::Error::Msg("igo-batch-norm: poisoned".into()))?
        .clone()
        .ok_or_else(|| candle_core::Error::Msg("igo-batch-norm: no statistics".into()))?;
    Ok((y, recorded))
}
