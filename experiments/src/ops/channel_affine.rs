//! Per-channel affine maps for eval-mode batch norm on CPU, on candle's custom-op interface.
//!
//! For x (N, C, …), eval-mode batch norm is y = a_c·x + b_c with a = γ/√(σ²_run + ε) and
//! b = β − μ_run·a ([`channel_affine`]). Three ops cover it and its derivatives of every
//! order:
//!
//! - `ChannelAffine` (x, a, b) ↦ a_c·x + b_c, with backward
//!   (∂x, ∂a, ∂b) = (ChannelScale(g, a), ChannelDot(g, x), Σ g per channel);
//! - `ChannelScale` (u, a) ↦ a_c·u, bilinear, with backward (ChannelScale(ḡ, a), ChannelDot(ḡ, u));
//! - `ChannelDot` (u, v) ↦ Σ_{n,…} u·v per channel (C values, summed in f64), bilinear, with
//!   backward (ChannelScale(v, ḡ), ChannelScale(u, ḡ)).
//!
//! candle-nn's eval-mode batch norm is four broadcast ops (subtract, divide, multiply,
//! add), each allocating and keeping an activation-sized tensor in the graph, and more in
//! its backward; here the forward keeps x alone. Sums run over channels in parallel in a
//! fixed order, and elementwise work over images, so results do not depend on the thread
//! count. On other devices or dtypes, or with [`Implementation::Candle`](super::Implementation),
//! the same maps run as candle broadcast ops.

use super::Real;
use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Shape, Tensor};
use rayon::prelude::*;

/// (N, C, plane) of an input of rank ≥ 2 whose per-channel operands have `c` values.
fn geometry(
    op: &str,
    x: &Layout,
    channel_operands: &[&Layout],
) -> candle_core::Result<(usize, usize, usize)> {
    let d = x.dims();
    if d.len() < 2 {
        candle_core::bail!("{op}: input of rank {} (need N, C, ...)", d.len())
    }
    let (n, c) = (d[0], d[1]);
    if let Some(bad) = channel_operands.iter().find(|l| l.dims() != [c]) {
        candle_core::bail!(
            "{op}: per-channel operand {:?} for {c} channels",
            bad.dims()
        )
    }
    Ok((n, c, d[2..].iter().product()))
}

/// y[n, c, p] = a_c·x[n, c, p] (+ b_c), parallel over images.
fn affine<T: Real>(x: &[T], a: &[T], b: Option<&[T]>, c: usize, plane: usize) -> Vec<T> {
    let mut y = Vec::new();
    super::append_blocks(&mut y, x.len() / plane.max(1), plane, |k| {
        let ch = k % c;
        let (scale, shift) = (a[ch].into(), b.map_or(0.0, |b| b[ch].into()));
        x[k * plane..][..plane]
            .iter()
            .map(move |&v| T::from_f64(v.into() * scale + shift))
    });
    y
}

/// Σ_{n,p} u[n, c, p]·v[n, c, p] per channel, in f64, in a fixed order.
fn dot<T: Real>(u: &[T], v: &[T], n: usize, c: usize, plane: usize) -> Vec<T> {
    (0..c)
        .into_par_iter()
        .map(|ch| {
            let mut s = 0.0_f64;
            for i in 0..n {
                let at = (i * c + ch) * plane;
                for (&p, &q) in u[at..][..plane].iter().zip(&v[at..][..plane]) {
                    s += p.into() * q.into();
                }
            }
            T::from_f64(s)
        })
        .collect()
}

/// (x, a, b) ↦ a_c·x + b_c.
struct ChannelAffine;

impl CustomOp3 for ChannelAffine {
    fn name(&self) -> &'static str {
        "igo-channel-affine"
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
        let (_, c, plane) = geometry(self.name(), l1, &[l2, l3])?;
        let out = super::on_slices!(self.name(); x = (s1, l1), a = (s2, l2), b = (s3, l3);
            affine(x, a, Some(b), c, plane));
        Ok((out, l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        a: &Tensor,
        _b: &Tensor,
        _y: &Tensor,
        g: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let summed: Vec<usize> = (0..g.rank()).filter(|&d| d != 1).collect();
        Ok((
            Some(channel_scale(g, a)?),
            Some(channel_dot(g, x)?),
            Some(g.sum(summed)?),
        ))
    }
}

/// (u, a) ↦ a_c·u.
struct ChannelScale;

impl CustomOp2 for ChannelScale {
    fn name(&self) -> &'static str {
        "igo-channel-scale"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (_, c, plane) = geometry(self.name(), l1, &[l2])?;
        let out = super::on_slices!(self.name(); u = (s1, l1), a = (s2, l2); affine(u, a, None, c, plane));
        Ok((out, l1.shape().clone()))
    }

    fn bwd(
        &self,
        u: &Tensor,
        a: &Tensor,
        _y: &Tensor,
        g: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(channel_scale(g, a)?), Some(channel_dot(g, u)?)))
    }
}

/// (u, v) ↦ Σ u·v per channel.
struct ChannelDot;

impl CustomOp2 for ChannelDot {
    fn name(&self) -> &'static str {
        "igo-channel-dot"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (n, c, plane) = geometry(self.name(), l1, &[])?;
        if l2.dims() != l1.dims() {
            candle_core::bail!(
                "{}: shapes {:?} and {:?} differ",
                self.name(),
                l1.dims(),
                l2.dims()
            )
        }
        let out =
            super::on_slices!(self.name(); u = (s1, l1), v = (s2, l2); dot(u, v, n, c, plane));
        Ok((out, Shape::from(c)))
    }

    fn bwd(
        &self,
        u: &Tensor,
        v: &Tensor,
        _y: &Tensor,
        g: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        Ok((Some(channel_scale(v, g)?), Some(channel_scale(u, g)?)))
    }
}

/// The shape (1, C, 1, …) that broadcasts a per-channel vector over x.
fn channel_shape(x: &Tensor) -> candle_core::Result<Vec<usize>> {
    let mut shape = vec![1; x.rank()];
    shape[1] = x.dim(1)?;
    Ok(shape)
}

/// y = a_c·x + b_c for x (N, C, …) and a, b of C values: one op on CPU for f32/f64,
/// candle's broadcast ops otherwise (module docs).
///
/// # Errors
/// x of rank < 2, a or b without C values, or a candle error.
pub fn channel_affine(x: &Tensor, a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    if x.rank() < 2 {
        candle_core::bail!(
            "channel affine: input of rank {} (need N, C, ...)",
            x.rank()
        )
    }
    if super::fast_path(&[x, a, b]) {
        x.contiguous()?
            .apply_op3(&a.contiguous()?, &b.contiguous()?, ChannelAffine)
    } else {
        let shape = channel_shape(x)?;
        x.broadcast_mul(&a.reshape(shape.as_slice())?)?
            .broadcast_add(&b.reshape(shape.as_slice())?)
    }
}

/// y = a_c·u for u (N, C, …) and a of C values (module docs).
///
/// # Errors
/// u of rank < 2, a without C values, or a candle error.
pub fn channel_scale(u: &Tensor, a: &Tensor) -> candle_core::Result<Tensor> {
    if u.rank() < 2 {
        candle_core::bail!("channel scale: input of rank {} (need N, C, ...)", u.rank())
    }
    if super::fast_path(&[u, a]) {
        u.contiguous()?.apply_op2(&a.contiguous()?, ChannelScale)
    } else {
        u.broadcast_mul(&a.reshape(channel_shape(u)?)?)
    }
}

/// Σ_{n,…} u·v per channel (C values) for u, v (N, C, …) of one shape (module docs).
///
/// # Errors
/// Shapes that differ, rank < 2, or a candle error.
pub fn channel_dot(u: &Tensor, v: &Tensor) -> candle_core::Result<Tensor> {
    if u.rank() < 2 || u.dims() != v.dims() {
        candle_core::bail!(
            "channel dot: shapes {:?} and {:?} (need equal, N, C, ...)",
            u.dims(),
            v.dims()
        )
    }
    if super::fast_path(&[u, v]) {
        u.contiguous()?.apply_op2(&v.contiguous()?, ChannelDot)
    } else {
        let summed: Vec<usize> = (0..u.rank()).filter(|&d| d != 1).collect();
        (u * v)?.sum(summed)
    }
}
