//! ReLU, and the residual sum followed by ReLU, for CPU, on candle's custom-op interface.
//!
//! - [`relu`]: y = max(0, x);
//! - [`add_relu`]: y = max(0, a + b) in one pass (a basic block's output), without keeping
//!   the sum a + b.
//!
//! Both backwards are g ↦ g·1(y > 0) (PyTorch's `threshold_backward` on the output), for x
//! or for each of a and b, computed by one more op, `ReluGrad`: (g, y) ↦ g·1(y > 0). It is
//! linear in g and piecewise constant in y, so its own backward is (ReluGrad(ḡ, y), none),
//! and second derivatives stay on these ops.
//!
//! candle's `Tensor::relu` backward instead builds a tensor of zeros, a u8 mask, its float
//! copy and a product, four activation-sized tensors, which all stay alive while the graph
//! of a gradient is kept (Hessian-vector products). Elementwise, so results do not depend
//! on the thread count. On other devices or dtypes, or with
//! [`Implementation::Candle`](super::Implementation), candle's ops run.

use super::{Real, ELEMENTWISE_CHUNK};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor};
use rayon::prelude::*;

/// out[i] = f(i) over `len` elements, in parallel chunks (collected in place: no zero fill).
fn elementwise<T: Real>(len: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    let mut out = Vec::with_capacity(len);
    (0..len)
        .into_par_iter()
        .with_min_len(ELEMENTWISE_CHUNK)
        .map(f)
        .collect_into_vec(&mut out);
    out
}

fn positive_part<T: Real>(v: T) -> T {
    if v > T::default() {
        v
    } else {
        T::default()
    }
}

/// g·1(y > 0).
fn masked<T: Real>(g: T, y: T) -> T {
    if y > T::default() {
        g
    } else {
        T::default()
    }
}

/// Fails unless both layouts have the same shape.
fn same_shape(op: &str, l1: &Layout, l2: &Layout) -> candle_core::Result<()> {
    if l1.dims() != l2.dims() {
        candle_core::bail!("{op}: shapes {:?} and {:?} differ", l1.dims(), l2.dims())
    }
    Ok(())
}

/// y = max(0, x).
struct Relu;

impl CustomOp1 for Relu {
    fn name(&self) -> &'static str {
        "igo-relu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let out = super::on_slices!(self.name(); x = (s, l); elementwise(x.len(), |i| positive_part(x[i])));
        Ok((out, l.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, y: &Tensor, g: &Tensor) -> candle_core::Result<Option<Tensor>> {
        relu_grad(g, y).map(Some)
    }
}

/// y = max(0, a + b).
struct AddRelu;

impl CustomOp2 for AddRelu {
    fn name(&self) -> &'static str {
        "igo-add-relu"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        same_shape(self.name(), l1, l2)?;
        let out = super::on_slices!(self.name(); a = (s1, l1), b = (s2, l2);
            elementwise(a.len(), |i| { let mut s = a[i]; s += b[i]; positive_part(s) }));
        Ok((out, l1.shape().clone()))
    }

    fn bwd(
        &self,
        _a: &Tensor,
        _b: &Tensor,
        y: &Tensor,
        g: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let masked = relu_grad(g, y)?;
        Ok((Some(masked.clone()), Some(masked)))
    }
}

/// g·1(y > 0), the backward of [`Relu`] and [`AddRelu`] given their output y.
struct ReluGrad;

impl CustomOp2 for ReluGrad {
    fn name(&self) -> &'static str {
        "igo-relu-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        same_shape(self.name(), l1, l2)?;
        let out = super::on_slices!(self.name(); g = (s1, l1), y = (s2, l2);
            elementwise(g.len(), |i| masked(g[i], y[i])));
        Ok((out, l1.shape().clone()))
    }

    fn bwd(
        &self,
        _g: &Tensor,
        y: &Tensor,
        _out: &Tensor,
        gg: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        // Linear in g; piecewise constant in y (derivative 0 almost everywhere).
        Ok((Some(relu_grad(gg, y)?), None))
    }
}

fn relu_grad(g: &Tensor, y: &Tensor) -> candle_core::Result<Tensor> {
    g.contiguous()?.apply_op2(&y.contiguous()?, ReluGrad)
}

/// y = max(0, x): igo's op on CPU for f32/f64, candle's `Tensor::relu` otherwise (module
/// docs).
///
/// # Errors
/// A candle error.
pub fn relu(x: &Tensor) -> candle_core::Result<Tensor> {
    if super::fast_path(&[x]) {
        x.contiguous()?.apply_op1(Relu)
    } else {
        x.relu()
    }
}

/// y = max(0, a + b) for a and b of the same shape: one op on CPU for f32/f64, candle's
/// `(a + b).relu()` otherwise (module docs).
///
/// # Errors
/// Shapes that differ, or a candle error.
pub fn add_relu(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    if super::fast_path(&[a, b]) && a.dims() == b.dims() {
        a.contiguous()?.apply_op2(&b.contiguous()?, AddRelu)
    } else {
        (a + b)?.relu()
    }
}
