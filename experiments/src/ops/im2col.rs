//! The geometry of a 2-D convolution and the im2col / col2im pair that turns it into a
//! matrix product.
//!
//! For a batch of `nb` images x (nb, C, H, W), kernel k_h×k_w, stride s and zero padding
//! p, the column matrix has K = C·k_h·k_w rows and nb·P columns, P = H_out·W_out:
//!
//! col[(c·k_h + i)·k_w + j, b·P + y·W_out + x] = x[b, c, y·s + i − p, x·s + j − p]
//!
//! (0 where the index falls in the padding). Then conv(x, w)[b, o] = W·col[:, b·P..(b+1)·P]
//! with W the (C_out, K) reshaped weight. col2im is the adjoint of im2col: it adds every
//! column entry back onto the pixel it was read from, so ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩.

use super::gemm::Element;

/// Shape of a convolution: input (C, H, W) per image, C_out filters of k_h×k_w, stride,
/// zero padding; dilation 1, one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Input channels C.
    pub channels_in: usize,
    /// Input height H.
    pub height: usize,
    /// Input width W.
    pub width: usize,
    /// Output channels C_out.
    pub channels_out: usize,
    /// Kernel height k_h.
    pub kernel_h: usize,
    /// Kernel width k_w.
    pub kernel_w: usize,
    /// Stride s (both axes).
    pub stride: usize,
    /// Zero padding p (both axes).
    pub padding: usize,
}

impl ConvGeometry {
    /// H_out = ⌊(H + 2p − k_h)/s⌋ + 1, or `None` when the kernel does not fit or s = 0.
    #[must_use]
    pub fn out_h(&self) -> Option<usize> {
        out_len(self.height, self.kernel_h, self.stride, self.padding)
    }

    /// W_out = ⌊(W + 2p − k_w)/s⌋ + 1, or `None` when the kernel does not fit or s = 0.
    #[must_use]
    pub fn out_w(&self) -> Option<usize> {
        out_len(self.width, self.kernel_w, self.stride, self.padding)
    }

    /// Rows of the column matrix, K = C·k_h·k_w.
    #[must_use]
    pub fn patch_len(&self) -> usize {
        self.channels_in * self.kernel_h * self.kernel_w
    }

    /// Elements of one input image, C·H·W.
    #[must_use]
    pub fn image_len(&self) -> usize {
        self.channels_in * self.height * self.width
    }
}

fn out_len(size: usize, kernel: usize, stride: usize, padding: usize) -> Option<usize> {
    let padded = size + 2 * padding;
    (stride > 0 && kernel > 0 && padded >= kernel).then(|| (padded - kernel) / stride + 1)
}

/// The output columns x ∈ [lo, hi) whose input column x·s + j − p lies in [0, W).
fn valid_range(j: usize, out: usize, g: &ConvGeometry, size: usize) -> (usize, usize) {
    let (s, p) = (g.stride, g.padding);
    // x·s + j ≥ p  ⇔  x ≥ ⌈(p − j)/s⌉;   x·s + j < size + p  ⇔  x < ⌈(size + p − j)/s⌉.
    let lo = if p > j { (p - j).div_ceil(s) } else { 0 };
    let hi = if size + p > j {
        (size + p - j).div_ceil(s)
    } else {
        0
    };
    (lo.min(out), hi.min(out).max(lo.min(out)))
}

/// Visits every (row of col, image b, output row y, input row, output column range) of the
/// im2col map; `f(col_row_offset, image_offset_of_input_row_or_none, lo, hi, j_minus_p)`.
fn for_each_row<F: FnMut(usize, Option<usize>, usize, usize, isize)>(
    g: &ConvGeometry,
    nb: usize,
    oh: usize,
    ow: usize,
    mut f: F,
) {
    let positions = oh * ow;
    let columns = nb * positions;
    let plane = g.height * g.width;
    for c in 0..g.channels_in {
        for i in 0..g.kernel_h {
            for j in 0..g.kernel_w {
                let row = (c * g.kernel_h + i) * g.kernel_w + j;
                let (lo, hi) = valid_range(j, ow, g, g.width);
                for b in 0..nb {
                    for y in 0..oh {
                        let dst = row * columns + b * positions + y * ow;
                        let iy = y * g.stride + i;
                        let src = (iy >= g.padding && iy - g.padding < g.height)
                            .then(|| b * g.image_len() + c * plane + (iy - g.padding) * g.width);
                        f(dst, src, lo, hi, j as isize - g.padding as isize);
                    }
                }
            }
        }
    }
}

/// col ← im2col(x) for `nb` images (module docs); `col` holds K × nb·P elements.
///
/// # Panics
/// If `x` or `col` is shorter than the geometry says (a bug of the caller).
pub fn im2col<T: Element>(
    g: &ConvGeometry,
    oh: usize,
    ow: usize,
    x: &[T],
    nb: usize,
    col: &mut [T],
) {
    if g.stride == 1 && ow == g.width {
        im2col_same_width(g, oh, x, nb, col);
        return;
    }
    let s = g.stride;
    for_each_row(g, nb, oh, ow, |dst, src, lo, hi, shift| {
        let out = &mut col[dst..dst + ow];
        match src {
            None => out.fill(T::default()),
            Some(src) => {
                out[..lo].fill(T::default());
                out[hi..].fill(T::default());
                let row = &x[src..src + g.width];
                if s == 1 {
                    // Input column of x = lo is lo + shift ≥ 0 by construction of lo.
                    let start = (lo as isize + shift) as usize;
                    out[lo..hi].copy_from_slice(&row[start..start + (hi - lo)]);
                } else {
                    for (xo, v) in out.iter_mut().enumerate().take(hi).skip(lo) {
                        *v = row[(xo * s).wrapping_add_signed(shift)];
                    }
                }
            }
        }
    });
}

/// [`im2col`] for stride 1 and W_out = W (3×3 with padding 1, …): each column-matrix row of
/// an image is then one shifted copy of the input plane, dst[y·W + x] = src[y·W + x + off]
/// with off = (i − p)·W + (j − p), copied in one piece over the rows whose input row
/// exists, after which the wrapped-around columns (x + j − p outside [0, W)) and the rows
/// in the padding are zeroed.
fn im2col_same_width<T: Element>(g: &ConvGeometry, oh: usize, x: &[T], nb: usize, col: &mut [T]) {
    let w = g.width;
    let positions = oh * w;
    let columns = nb * positions;
    let plane = g.height * w;
    let p = g.padding as isize;
    for c in 0..g.channels_in {
        for i in 0..g.kernel_h {
            // Output rows y whose input row y + i − p lies in [0, H).
            let di = i as isize - p;
            let ylo = (-di).clamp(0, oh as isize) as usize;
            let yhi = (g.height as isize - di).clamp(ylo as isize, oh as isize) as usize;
            for j in 0..g.kernel_w {
                let row = (c * g.kernel_h + i) * g.kernel_w + j;
                let (lo, hi) = valid_range(j, w, g, w);
                let dj = j as isize - p;
                for b in 0..nb {
                    let dst = &mut col[row * columns + b * positions..][..positions];
                    let src = &x[b * g.image_len() + c * plane..][..plane];
                    if ylo == yhi || lo == hi {
                        dst.fill(T::default());
                        continue;
                    }
                    dst[..ylo * w].fill(T::default());
                    dst[yhi * w..].fill(T::default());
                    // From the first valid entry of row ylo to the last of row yhi − 1:
                    // every source index in between lies inside the plane.
                    let (start, end) = (ylo * w + lo, (yhi - 1) * w + hi);
                    let from = (start as isize + di * w as isize + dj) as usize;
                    dst[start..end].copy_from_slice(&src[from..from + (end - start)]);
                    for y in ylo..yhi {
                        dst[y * w..y * w + lo].fill(T::default());
                        dst[y * w + hi..(y + 1) * w].fill(T::default());
                    }
                }
            }
        }
    }
}

/// x ← x + col2im(col) for `nb` images: the adjoint of [`im2col`].
///
/// # Panics
/// If `x` or `col` is shorter than the geometry says (a bug of the caller).
pub fn col2im_add<T: Element>(
    g: &ConvGeometry,
    oh: usize,
    ow: usize,
    col: &[T],
    nb: usize,
    x: &mut [T],
) {
    let s = g.stride;
    for_each_row(g, nb, oh, ow, |dst, src, lo, hi, shift| {
        if let Some(src) = src {
            let from = &col[dst..dst + ow];
            let row = &mut x[src..src + g.width];
            if s == 1 {
                // Input column of x = lo is lo + shift ≥ 0 by construction of lo.
                let start = (lo as isize + shift) as usize;
                for (r, v) in row[start..start + (hi - lo)].iter_mut().zip(&from[lo..hi]) {
                    *r += *v;
                }
            } else {
                for (xo, v) in from.iter().enumerate().take(hi).skip(lo) {
                    row[(xo * s).wrapping_add_signed(shift)] += *v;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// im2col by its definition, one entry at a time.
    fn by_definition(g: &ConvGeometry, x: &[f64], nb: usize) -> Vec<f64> {
        let (oh, ow) = (g.out_h().unwrap(), g.out_w().unwrap());
        let p = oh * ow;
        let mut col = vec![f64::NAN; g.patch_len() * nb * p];
        for c in 0..g.channels_in {
            for i in 0..g.kernel_h {
                for j in 0..g.kernel_w {
                    for b in 0..nb {
                        for y in 0..oh {
                            for xo in 0..ow {
                                let iy = (y * g.stride + i) as isize - g.padding as isize;
                                let ix = (xo * g.stride + j) as isize - g.padding as isize;
                                let inside = iy >= 0
                                    && ix >= 0
                                    && (iy as usize) < g.height
                                    && (ix as usize) < g.width;
                                let v = if inside {
                                    x[b * g.image_len()
                                        + (c * g.height + iy as usize) * g.width
                                        + ix as usize]
                                } else {
                                    0.0
                                };
                                let row = (c * g.kernel_h + i) * g.kernel_w + j;
                                col[row * nb * p + b * p + y * ow + xo] = v;
                            }
                        }
                    }
                }
            }
        }
        col
    }

    fn geometries() -> Vec<ConvGeometry> {
        let mut out = Vec::new();
        for &(h, w) in &[(5, 7), (4, 4), (1, 3), (6, 5)] {
            for &k in &[1, 2, 3] {
                for &s in &[1, 2, 3] {
                    for &p in &[0, 1, 2] {
                        let g = ConvGeometry {
                            channels_in: 2,
                            height: h,
                            width: w,
                            channels_out: 1,
                            kernel_h: k,
                            kernel_w: if k == 2 { 3 } else { k },
                            stride: s,
                            padding: p,
                        };
                        if g.out_h().is_some() && g.out_w().is_some() {
                            out.push(g);
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn im2col_matches_its_definition() {
        for g in geometries() {
            let nb = 2;
            let x: Vec<f64> = (0..nb * g.image_len()).map(|i| i as f64 + 1.0).collect();
            let (oh, ow) = (g.out_h().unwrap(), g.out_w().unwrap());
            let mut col = vec![f64::NAN; g.patch_len() * nb * oh * ow];
            im2col(&g, oh, ow, &x, nb, &mut col);
            assert_eq!(col, by_definition(&g, &x, nb), "{g:?}");
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        for g in geometries() {
            let nb = 2;
            let (oh, ow) = (g.out_h().unwrap(), g.out_w().unwrap());
            let x: Vec<f64> = (0..nb * g.image_len())
                .map(|i| ((i * 7) % 11) as f64)
                .collect();
            let c: Vec<f64> = (0..g.patch_len() * nb * oh * ow)
                .map(|i| ((i * 5) % 13) as f64 - 6.0)
                .collect();
            let mut col = vec![0.0; c.len()];
            im2col(&g, oh, ow, &x, nb, &mut col);
            let lhs: f64 = col.iter().zip(&c).map(|(a, b)| a * b).sum();
            let mut back = vec![0.0; x.len()];
            col2im_add(&g, oh, ow, &c, nb, &mut back);
            let rhs: f64 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
            // Integer-valued sums well below 2^53: exact in f64.
            assert_eq!(lhs.to_bits(), rhs.to_bits(), "{g:?}");
        }
    }
}
