//! Shared fixtures: a tiny tanh MLP as a candle loss, synthetic data, closed-form
//! Hessians of multinomial logistic regression.

use candle_core::{DType, Device, Tensor, Var};
use experiments::data::Batch;
use experiments::measure::hvp::LossTerms;
use experiments::models::{Architecture, Model};
use experiments::Result;
use numerics::rng::Rng;
use numerics::{Matrix, Seed, Vector};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

/// Gaussian features (n × d) and labels in 0..classes from `seed`.
pub fn gaussian_data(n: usize, d: usize, classes: usize, seed: u64) -> (Matrix, Vec<usize>) {
    let mut rng: Rng = Seed(seed).stream("data");
    let x = Matrix::from_fn(n, d, |_, _| StandardNormal.sample(&mut rng));
    let labels = (0..n).map(|_| rng.random_range(0..classes)).collect();
    (x, labels)
}

/// Batches of `size` rows of (x, labels) as images (B, 1, 1, d) in `dtype`.
pub fn batches(x: &Matrix, labels: &[usize], size: usize, dtype: DType) -> Vec<Batch> {
    let (n, d) = x.shape();
    (0..n)
        .collect::<Vec<_>>()
        .chunks(size)
        .map(|idx| {
            let data: Vec<f64> = idx
                .iter()
                .flat_map(|&i| (0..d).map(move |j| (i, j)))
                .map(|(i, j)| x[(i, j)])
                .collect();
            let images = Tensor::from_vec(data, (idx.len(), 1, 1, d), &Device::Cpu)
                .unwrap()
                .to_dtype(dtype)
                .unwrap();
            let y: Vec<u32> = idx.iter().map(|&i| labels[i] as u32).collect();
            Batch {
                images,
                labels: Tensor::from_vec(y, idx.len(), &Device::Cpu).unwrap(),
                indices: idx.to_vec(),
            }
        })
        .collect()
}

/// A model of `architecture` on (1, 1, d) inputs.
pub fn model(
    architecture: &Architecture,
    d: usize,
    classes: usize,
    dtype: DType,
    seed: u64,
) -> Model {
    Model::new(
        architecture,
        (1, 1, d),
        classes,
        dtype,
        &Device::Cpu,
        Seed(seed),
    )
    .unwrap()
}

/// Every variable of `model` copied, to compare bit for bit.
pub fn variable_bits(model: &Model) -> Vec<(String, Vec<u64>)> {
    model
        .variables()
        .into_iter()
        .map(|(k, v)| {
            let bits = v
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_dtype(DType::F64)
                .unwrap()
                .to_vec1::<f64>()
                .unwrap()
                .into_iter()
                .map(f64::to_bits)
                .collect();
            (k, bits)
        })
        .collect()
}

/// A 1-hidden-layer tanh network with softmax cross-entropy, written directly on candle
/// variables in numerics' parameter order [W₀ (row-major), b₀, W₁, b₁]:
/// o = W₁ tanh(W₀x + b₀) + b₁, L = Σⱼ (nⱼ/n)·mean CE of micro-batch j.
pub struct TanhMlp {
    pub params: Vec<Var>,
    pub batches: Vec<(Tensor, Tensor)>,
    pub weights: Vec<f64>,
}

impl TanhMlp {
    /// The network with parameters θ (numerics' layout) on (x, labels) in micro-batches of
    /// `micro`, in f64.
    pub fn new(
        widths: (usize, usize, usize),
        theta: &Vector,
        x: &Matrix,
        labels: &[usize],
        micro: usize,
    ) -> Self {
        let (d, h, k) = widths;
        let dev = &Device::Cpu;
        let s = theta.as_slice();
        let mut offset = 0;
        let mut take = |shape: &[usize]| {
            let len: usize = shape.iter().product();
            let t = Tensor::from_slice(&s[offset..offset + len], shape, dev).unwrap();
            offset += len;
            Var::from_tensor(&t).unwrap()
        };
        let params = vec![take(&[h, d]), take(&[h]), take(&[k, h]), take(&[k])];
        let n = x.nrows();
        let mut batches = Vec::new();
        let mut weights = Vec::new();
        for idx in (0..n).collect::<Vec<_>>().chunks(micro) {
            let data: Vec<f64> = idx
                .iter()
                .flat_map(|&i| (0..d).map(move |j| x[(i, j)]))
                .collect();
            let xs = Tensor::from_vec(data, (idx.len(), d), dev).unwrap();
            let ys: Vec<u32> = idx.iter().map(|&i| labels[i] as u32).collect();
            batches.push((xs, Tensor::from_vec(ys, idx.len(), dev).unwrap()));
            weights.push(idx.len() as f64 / n as f64);
        }
        Self {
            params,
            batches,
            weights,
        }
    }
}

impl LossTerms for TanhMlp {
    fn parameters(&self) -> &[Var] {
        &self.params
    }
    fn len(&self) -> usize {
        self.batches.len()
    }
    fn weight(&self, j: usize) -> f64 {
        self.weights[j]
    }
    fn term(&self, j: usize) -> Result<Tensor> {
        let (x, y) = &self.batches[j];
        let p = &self.params;
        let hidden = x
            .matmul(&p[0].as_tensor().t()?)?
            .broadcast_add(p[1].as_tensor())?
            .tanh()?;
        let o = hidden
            .matmul(&p[2].as_tensor().t()?)?
            .broadcast_add(p[3].as_tensor())?;
        Ok(candle_nn::loss::cross_entropy(&o, y)?)
    }
}

/// Central differences of an exact gradient with one Richardson step: column k =
/// (4·D(ε/2) − D(ε))/3, D(h) = (∇f(θ + heₖ) − ∇f(θ − heₖ))/2h (error O(ε⁴)), symmetrised.
pub fn finite_difference_hessian(
    gradient: impl Fn(&Vector) -> Vector,
    theta: &Vector,
    eps: f64,
) -> Matrix {
    let d = theta.len();
    let central = |k: usize, h: f64| {
        let mut plus = theta.clone();
        plus[k] += h;
        let mut minus = theta.clone();
        minus[k] -= h;
        (gradient(&plus) - gradient(&minus)) / (2.0 * h)
    };
    let mut m = Matrix::zeros(d, d);
    for k in 0..d {
        m.set_column(k, &((central(k, eps / 2.0) * 4.0 - central(k, eps)) / 3.0));
    }
    (&m + m.transpose()) * 0.5
}

/// Per-example Hessians of multinomial logistic regression o = Wx + b, ℓ = CE(o, y), in
/// the layout of the candle model's sorted names [b (K), W (K × D row-major)]:
/// Hᵢ = Jᵀ(diag p − ppᵀ)J with p = softmax(o), ∂o_k/∂b_k = 1, ∂o_k/∂W_kj = x_j.
pub fn logistic_hessians(x: &Matrix, w: &Matrix, b: &Vector) -> Vec<Matrix> {
    let (n, d) = x.shape();
    let k = w.nrows();
    let dim = k + k * d;
    (0..n)
        .map(|i| {
            let xi = x.row(i).transpose();
            let o = w * &xi + b;
            let m = o.max();
            let e = o.map(|v| (v - m).exp());
            let p = &e / e.sum();
            let a = Matrix::from_diagonal(&p) - &p * p.transpose();
            let mut j = Matrix::zeros(k, dim);
            for c in 0..k {
                j[(c, c)] = 1.0;
                for t in 0..d {
                    j[(c, k + c * d + t)] = xi[t];
                }
            }
            j.transpose() * a * j
        })
        .collect()
}

/// (W, b) of a logistic model (`linear.weight`, `linear.bias`) as f64 matrices.
pub fn logistic_weights(model: &Model) -> (Matrix, Vector) {
    let vars = model.variables();
    let w = vars["linear.weight"]
        .as_tensor()
        .to_dtype(DType::F64)
        .unwrap();
    let (k, d) = w.dims2().unwrap();
    let w = Matrix::from_row_slice(k, d, &w.flatten_all().unwrap().to_vec1::<f64>().unwrap());
    let b = Vector::from_vec(
        vars["linear.bias"]
            .as_tensor()
            .to_dtype(DType::F64)
            .unwrap()
            .to_vec1::<f64>()
            .unwrap(),
    );
    (w, b)
}

/// Relative max-entry error ‖A − B‖_max / ‖B‖_max.
pub fn relative_max_error(a: &Matrix, b: &Matrix) -> f64 {
    (a - b).abs().max() / b.abs().max()
}
