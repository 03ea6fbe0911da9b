//! A bounds-checked front end to the `gemm` crate (the matrix kernel candle itself uses on
//! CPU): C ← A·B or C ← C + A·B for strided row/column-major views.
//!
//! A view is a slice with a row stride and a column stride: element (i, j) of an m×n
//! view is `data[i·rs + j·cs]`; a row-major matrix has (rs, cs) = (n, 1), its transpose
//! (1, n). The strides are checked against the slice length before the kernel runs, so no
//! call can read or write out of bounds.

use gemm::Parallelism;

/// The element types the fast ops support (`f32`, `f64`).
pub trait Element:
    Copy + Default + Send + Sync + 'static + std::ops::AddAssign + std::fmt::Debug
{
    /// The multiplicative identity.
    const ONE: Self;
}

impl Element for f32 {
    const ONE: Self = 1.0;
}

impl Element for f64 {
    const ONE: Self = 1.0;
}

/// A read-only strided m×n view of a slice.
#[derive(Debug, Clone, Copy)]
pub struct MatRef<'a, T> {
    /// The elements.
    pub data: &'a [T],
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Distance between consecutive rows.
    pub row_stride: usize,
    /// Distance between consecutive columns.
    pub col_stride: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// The row-major rows×cols matrix stored in `data`.
    #[must_use]
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose (a view of the same elements).
    #[must_use]
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    /// Index one past the last element the view can touch (0 for an empty view).
    fn extent(&self) -> usize {
        if self.rows == 0 || self.cols == 0 {
            0
        } else {
            (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride + 1
        }
    }
}

/// C ← A·B (`accumulate` false) or C ← C + A·B (`accumulate` true), C row-major m×n in
/// `dst`, A m×k, B k×n; `threads` > 1 lets the kernel split the work.
///
/// # Panics
/// If the shapes disagree or a view reaches past its slice: both are bugs of the caller
/// (every caller in this crate derives the shapes from one checked geometry).
pub fn matmul<T: Element>(
    dst: &mut [T],
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    accumulate: bool,
    threads: usize,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "matmul: inner dimensions {k} and {}", b.rows);
    assert!(dst.len() >= m * n, "matmul: destination too short");
    assert!(a.extent() <= a.data.len(), "matmul: lhs view out of bounds");
    assert!(b.extent() <= b.data.len(), "matmul: rhs view out of bounds");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(T::default());
        }
        return;
    }
    let parallelism = if threads > 1 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    // SAFETY: every index the kernel touches, i·rs + j·cs for i < rows, j < cols, is below
    // the extent checked against each slice's length above; dst is m×n row-major within
    // its checked length and does not alias a or b (it is borrowed mutably).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference triple loop.
    fn naive(a: &MatRef<'_, f64>, b: &MatRef<'_, f64>) -> Vec<f64> {
        let mut c = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                for l in 0..a.cols {
                    c[i * b.cols + j] += a.data[i * a.row_stride + l * a.col_stride]
                        * b.data[l * b.row_stride + j * b.col_stride];
                }
            }
        }
        c
    }

    #[test]
    fn matches_the_triple_loop_with_transposes_and_accumulation() {
        let a: Vec<f64> = (0..12).map(|i| f64::from(i) * 0.5 - 2.0).collect();
        let b: Vec<f64> = (0..12).map(|i| f64::from(i * i % 7) - 3.0).collect();
        // A is 3×4 row-major, B is the transpose of a 3×4 row-major matrix (4×3).
        let am = MatRef::row_major(&a, 3, 4);
        let bm = MatRef::row_major(&b, 3, 4).t();
        let want = naive(&am, &bm);
        let mut got = vec![0.0; 9];
        matmul(&mut got, am, bm, false, 1);
        assert_eq!(got, want);
        matmul(&mut got, am, bm, true, 2);
        let twice: Vec<f64> = want.iter().map(|v| 2.0 * v).collect();
        assert_eq!(got, twice);
    }
}
