//! The 16 benchmark functions of the explicit graduated-optimization experiment
//! (arXiv 2412.11501; spec §7), with the search boxes and initial step sizes l₀ of the
//! authors' `ego.py`/`functions.py` (igo-aaai25).
//!
//! Each [`Benchmark`] is a standard test function of the global-optimization
//! literature; the doc comment of each variant gives the formula and a reference.
//! [`GoFunction`] is a benchmark in a chosen dimension, implementing [`Objective`] with
//! an analytic gradient (a subgradient where the function is not differentiable; the
//! choice is stated per function). Ackley, Rastrigin, Rosenbrock and Sphere are
//! evaluated by `argmin_testfunctions`.
//!
//! Common references:
//! * \[JY13\] M. Jamil & X.-S. Yang, *A literature survey of benchmark functions for
//!   global optimization problems*, IJMMNO 4(2):150–194, 2013 (arXiv 1308.4008);
//! * \[CEC14\] J. J. Liang, B. Y. Qu & P. N. Suganthan, *Problem definitions and
//!   evaluation criteria for the CEC 2014 special session on single-objective
//!   real-parameter numerical optimization*, 2013;
//! * \[SB13\] S. Surjanovic & D. Bingham, *Virtual Library of Simulation Experiments:
//!   test functions and datasets*, Simon Fraser University, 2013.
//!
//! ```
//! use numerics::objective::go_suite::{Benchmark, GoFunction};
//! use numerics::objective::Objective;
//! let f = GoFunction::new(Benchmark::Rastrigin, 50).unwrap();
//! let x = f.minimizer();
//! assert!(f.value(&x).abs() < 1e-12);
//! assert_eq!(Benchmark::Rastrigin.search_box(), (-5.12, 5.12));
//! assert_eq!(Benchmark::Rastrigin.initial_step(), 0.01);
//! ```

use super::{sign, Objective};
use crate::rng::Rng;
use crate::{NumericsError, Result, Vector};
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Schwefel's constant 418.9828872724337 (`functions.py`), ≈ −min_t t·sin√|t| on
/// [−500, 500], so that the minimum value is ≈ 0.
pub const SCHWEFEL_CONSTANT: f64 = 418.982_887_272_433_7;

/// Minimiser coordinate of Schwefel's function, t* ≈ 420.968746 (\[SB13\]).
pub const SCHWEFEL_MINIMIZER: f64 = 420.968_746_359_982;

/// The benchmark functions of spec §7, in the order of `ego.py`'s list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Benchmark {
    /// Ackley: −20 exp(−0.2√(‖x‖²/D)) − exp(Σcos(2πxᵢ)/D) + 20 + e; min 0 at 0
    /// (\[JY13\] f1; `argmin_testfunctions::ackley`).
    Ackley,
    /// Alpine 1: Σ|xᵢ sin xᵢ + 0.1xᵢ|; min 0 at 0 (\[JY13\] f6). Subgradient: the
    /// derivative of the branch with sign(0) = 0.
    Alpine1,
    /// Drop-Wave shifted to minimum 0: 1 − (1 + cos(12‖x‖))/(½‖x‖² + 2); min 0 at 0
    /// (\[SB13\] Drop-Wave is the same function minus 1).
    DropWave,
    /// Ellipsoid (axis-parallel hyper-ellipsoid): Σ i·xᵢ²; min 0 at 0 (\[SB13\]).
    Ellipsoid,
    /// HGBat: |S₂² − S₁²|^{1/2} + (½S₂ + S₁)/D + ½ with S₁ = Σxᵢ, S₂ = Σxᵢ²; min 0 at
    /// x = −1 (\[CEC14\] F14 without shift/rotation). Subgradient 0 for the root term
    /// where S₂² = S₁².
    HgBat,
    /// Modified Ridge: |x₁| + 2(Σ_{i≥2} xᵢ²)^{0.1}; min 0 at 0 (the form in
    /// `functions.py`; a ridge function in the sense of \[JY13\]). Subgradient sign(0) = 0
    /// and 0 for the power term at Σ_{i≥2} xᵢ² = 0.
    ModifiedRidge,
    /// Rastrigin: 10D + Σ(xᵢ² − 10cos(2πxᵢ)); min 0 at 0 (\[JY13\] f102;
    /// `argmin_testfunctions::rastrigin`).
    Rastrigin,
    /// Rosenbrock: Σ_{i<D} [100(x_{i+1} − xᵢ²)² + (1 − xᵢ)²]; min 0 at 1 (\[JY13\] f105;
    /// `argmin_testfunctions::rosenbrock`).
    Rosenbrock,
    /// Rotated hyper-ellipsoid: Σᵢ Σ_{j≤i} xⱼ² = Σⱼ (D + 1 − j)xⱼ²; min 0 at 0 (\[SB13\]).
    RotatedHyperEllipsoid,
    /// Schaffer F7: ((1/(D−1)) Σ_{i<D} (√sᵢ + √sᵢ sin²(50 sᵢ^{0.2})))², sᵢ =
    /// √(xᵢ² + x_{i+1}²); min 0 at 0 (CEC 2013 F20 without shift/rotation; \[JY13\] f136
    /// for the 2-D kernel). Subgradient 0 for a pair with sᵢ = 0. Needs D ≥ 2.
    SchafferF7,
    /// Schwefel (2.26): 418.9828872724337·D − Σ xᵢ sin√|xᵢ|; min ≈ 0 at xᵢ ≈ 420.9687
    /// (\[SB13\]; \[JY13\] f128).
    Schwefel,
    /// Sphere: ‖x‖²; min 0 at 0 (\[JY13\] f137; `argmin_testfunctions::sphere`).
    Sphere,
    /// Griewank: ‖x‖²/4000 − Π cos(xᵢ/√i) + 1; min 0 at 0 (\[JY13\] f59).
    Griewank,
    /// HappyCat: |S₂ − D|^{1/4} + (½S₂ + S₁)/D + ½; min 0 at x = −1 (Beyer & Finck,
    /// *HappyCat — a simple function class where well-known direct search algorithms do
    /// fail*, PPSN 2012, with α = 1/8 on ‖x‖; \[CEC14\] F13). Subgradient 0 for the root
    /// term where S₂ = D.
    HappyCat,
    /// Salomon: 1 − cos(2π‖x‖) + 0.1‖x‖; min 0 at 0 (\[JY13\] f110).
    Salomon,
    /// Schwefel 2.21: maxᵢ |xᵢ|; min 0 at 0 (\[JY13\] f124). Subgradient sign(x_j)e_j at
    /// the first maximising j.
    Schwefel221,
}

impl Benchmark {
    /// All 16 benchmarks in the order of `ego.py`.
    pub const ALL: [Benchmark; 16] = [
        Benchmark::Ackley,
        Benchmark::Alpine1,
        Benchmark::DropWave,
        Benchmark::Ellipsoid,
        Benchmark::HgBat,
        Benchmark::ModifiedRidge,
        Benchmark::Rastrigin,
        Benchmark::Rosenbrock,
        Benchmark::RotatedHyperEllipsoid,
        Benchmark::SchafferF7,
        Benchmark::Schwefel,
        Benchmark::Sphere,
        Benchmark::Griewank,
        Benchmark::HappyCat,
        Benchmark::Salomon,
        Benchmark::Schwefel221,
    ];

    /// The name used in `functions.py` (e.g. `rastrigin_func`).
    #[must_use]
    pub fn code_name(&self) -> &'static str {
        match self {
            Benchmark::Ackley => "ackley_func",
            Benchmark::Alpine1 => "alpine1_func",
            Benchmark::DropWave => "drop_wave_func",
            Benchmark::Ellipsoid => "ellipsoid_func",
            Benchmark::HgBat => "hgbat_func",
            Benchmark::ModifiedRidge => "modridge_func",
            Benchmark::Rastrigin => "rastrigin_func",
            Benchmark::Rosenbrock => "rosenbrock_func",
            Benchmark::RotatedHyperEllipsoid => "rothellipsoid_func",
            Benchmark::SchafferF7 => "schafferf7_func",
            Benchmark::Schwefel => "schwefel_func",
            Benchmark::Sphere => "sphere_func",
            Benchmark::Griewank => "griewank_func",
            Benchmark::HappyCat => "happycat_func",
            Benchmark::Salomon => "salomon_func",
            Benchmark::Schwefel221 => "schwefel221_func",
        }
    }

    /// The search box [lo, hi]ᴰ from which `functions.py` draws initial points.
    #[must_use]
    pub fn search_box(&self) -> (f64, f64) {
        match self {
            Benchmark::Ackley => (-32.768, 32.768),
            Benchmark::Alpine1 | Benchmark::Rosenbrock => (-10.0, 10.0),
            Benchmark::DropWave | Benchmark::Rastrigin => (-5.12, 5.12),
            Benchmark::HappyCat | Benchmark::Salomon => (-20.0, 20.0),
            Benchmark::HgBat => (-15.0, 15.0),
            Benchmark::Schwefel => (-500.0, 500.0),
            Benchmark::Ellipsoid
            | Benchmark::ModifiedRidge
            | Benchmark::RotatedHyperEllipsoid
            | Benchmark::SchafferF7
            | Benchmark::Sphere
            | Benchmark::Griewank
            | Benchmark::Schwefel221 => (-100.0, 100.0),
        }
    }

    /// The initial step l₀ of `ego.py` (stage k uses step l₀·δ_k).
    #[must_use]
    pub fn initial_step(&self) -> f64 {
        match self {
            Benchmark::Ackley
            | Benchmark::Schwefel
            | Benchmark::HappyCat
            | Benchmark::Salomon
            | Benchmark::Schwefel221 => 10.0,
            Benchmark::SchafferF7 => 20.0,
            Benchmark::Alpine1 | Benchmark::ModifiedRidge | Benchmark::Sphere => 1.0,
            Benchmark::DropWave | Benchmark::HgBat => 0.1,
            Benchmark::Ellipsoid | Benchmark::Rastrigin | Benchmark::RotatedHyperEllipsoid => 0.01,
            Benchmark::Rosenbrock => 5e-5,
            Benchmark::Griewank => 50.0,
        }
    }

    /// A global minimiser x* in dimension `d` (0, 1, −1 or Schwefel's 420.9687 in
    /// every coordinate).
    #[must_use]
    pub fn minimizer(&self, d: usize) -> Vector {
        let t = match self {
            Benchmark::Rosenbrock => 1.0,
            Benchmark::HgBat | Benchmark::HappyCat => -1.0,
            Benchmark::Schwefel => SCHWEFEL_MINIMIZER,
            _ => 0.0,
        };
        Vector::from_element(d, t)
    }

    /// The smallest dimension the function is defined for (2 for Rosenbrock and
    /// Schaffer F7, else 1).
    #[must_use]
    pub fn min_dim(&self) -> usize {
        match self {
            Benchmark::Rosenbrock | Benchmark::SchafferF7 => 2,
            _ => 1,
        }
    }
}

impl std::fmt::Display for Benchmark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code_name().trim_end_matches("_func"))
    }
}

/// A [`Benchmark`] in dimension D, as an [`Objective`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoFunction {
    benchmark: Benchmark,
    d: usize,
}

impl GoFunction {
    /// `benchmark` in dimension `d`.
    ///
    /// # Errors
    /// [`NumericsError::InvalidParameter`] if `d` is below [`Benchmark::min_dim`].
    pub fn new(benchmark: Benchmark, d: usize) -> Result<Self> {
        if d < benchmark.min_dim() {
            return Err(NumericsError::InvalidParameter {
                name: "dimension",
                allowed: "at least 1 (2 for Rosenbrock and Schaffer F7)",
                value: d as f64,
            });
        }
        Ok(Self { benchmark, d })
    }

    /// The benchmark.
    #[must_use]
    pub fn benchmark(&self) -> Benchmark {
        self.benchmark
    }

    /// A global minimiser.
    #[must_use]
    pub fn minimizer(&self) -> Vector {
        self.benchmark.minimizer(self.d)
    }

    /// A point drawn uniformly from the search box (as `get_initial_point`).
    #[must_use]
    pub fn random_start(&self, rng: &mut Rng) -> Vector {
        let (lo, hi) = self.benchmark.search_box();
        Vector::from_fn(self.d, |_, _| rng.random_range(lo..hi))
    }
}

impl Objective for GoFunction {
    fn dim(&self) -> usize {
        self.d
    }

    fn value(&self, x: &Vector) -> f64 {
        use argmin_testfunctions as tf;
        let d = self.d as f64;
        let s = x.as_slice();
        let sum = |f: &dyn Fn(usize, f64) -> f64| -> f64 {
            x.iter().enumerate().map(|(i, &t)| f(i, t)).sum()
        };
        match self.benchmark {
            Benchmark::Ackley => tf::ackley(s),
            Benchmark::Alpine1 => sum(&|_, t| (t * t.sin() + 0.1 * t).abs()),
            Benchmark::DropWave => {
                let r2 = x.norm_squared();
                1.0 - (1.0 + (12.0 * r2.sqrt()).cos()) / (0.5 * r2 + 2.0)
            }
            Benchmark::Ellipsoid => sum(&|i, t| (i + 1) as f64 * t * t),
            Benchmark::HgBat => {
                let (s1, s2) = (x.sum(), x.norm_squared());
                (s2 * s2 - s1 * s1).abs().sqrt() + (0.5 * s2 + s1) / d + 0.5
            }
            Benchmark::ModifiedRidge => {
                let tail = x.rows(1, self.d - 1).norm_squared();
                x[0].abs() + 2.0 * tail.powf(0.1)
            }
            Benchmark::Rastrigin => tf::rastrigin(s),
            Benchmark::Rosenbrock => tf::rosenbrock(s),
            Benchmark::RotatedHyperEllipsoid => sum(&|i, t| (d - i as f64) * t * t),
            Benchmark::SchafferF7 => {
                let total: f64 = s
                    .windows(2)
                    .map(|w| {
                        let si = w[0].hypot(w[1]);
                        si.sqrt() * (1.0 + (50.0 * si.powf(0.2)).sin().powi(2))
                    })
                    .sum();
                (total / (d - 1.0)).powi(2)
            }
            Benchmark::Schwefel => SCHWEFEL_CONSTANT * d - sum(&|_, t| t * t.abs().sqrt().sin()),
            Benchmark::Sphere => tf::sphere(s),
            Benchmark::Griewank => {
                let prod: f64 = x
                    .iter()
                    .enumerate()
                    .map(|(i, &t)| (t / ((i + 1) as f64).sqrt()).cos())
                    .product();
                x.norm_squared() / 4000.0 - prod + 1.0
            }
            Benchmark::HappyCat => {
                let (s1, s2) = (x.sum(), x.norm_squared());
                (s2 - d).abs().powf(0.25) + (0.5 * s2 + s1) / d + 0.5
            }
            Benchmark::Salomon => {
                let r = x.norm();
                1.0 - (2.0 * PI * r).cos() + 0.1 * r
            }
            Benchmark::Schwefel221 => x.iter().fold(0.0, |m: f64, &t| m.max(t.abs())),
        }
    }

    fn gradient(&self, x: &Vector) -> Vector {
        use argmin_testfunctions as tf;
        let n = self.d;
        let d = n as f64;
        let s = x.as_slice();
        match self.benchmark {
            Benchmark::Ackley => Vector::from_vec(tf::ackley_derivative(s)),
            Benchmark::Alpine1 => {
                x.map(|t| sign(t * t.sin() + 0.1 * t) * (t.sin() + t * t.cos() + 0.1))
            }
            Benchmark::DropWave => {
                let r2 = x.norm_squared();
                let r = r2.sqrt();
                if r == 0.0 {
                    return Vector::zeros(n);
                }
                let num = 1.0 + (12.0 * r).cos();
                let den = 0.5 * r2 + 2.0;
                // f = 1 − num/den: f'(r) = −(num'·den − num·den')/den², num' = −12 sin 12r, den' = r.
                let df = -((-12.0 * (12.0 * r).sin()) * den - num * r) / (den * den);
                x * (df / r)
            }
            Benchmark::Ellipsoid => Vector::from_fn(n, |i, _| 2.0 * (i + 1) as f64 * x[i]),
            Benchmark::HgBat => {
                let (s1, s2) = (x.sum(), x.norm_squared());
                let q = s2 * s2 - s1 * s1;
                let root = if q == 0.0 {
                    0.0
                } else {
                    sign(q) / (2.0 * q.abs().sqrt())
                };
                x.map(|t| root * (4.0 * s2 * t - 2.0 * s1) + (t + 1.0) / d)
            }
            Benchmark::ModifiedRidge => {
                let tail = x.rows(1, n - 1).norm_squared();
                let c = if tail > 0.0 {
                    0.4 * tail.powf(-0.9)
                } else {
                    0.0
                };
                Vector::from_fn(n, |i, _| if i == 0 { sign(x[0]) } else { c * x[i] })
            }
            Benchmark::Rastrigin => Vector::from_vec(tf::rastrigin_derivative(s)),
            Benchmark::Rosenbrock => Vector::from_vec(tf::rosenbrock_derivative(s)),
            Benchmark::RotatedHyperEllipsoid => {
                Vector::from_fn(n, |i, _| 2.0 * (d - i as f64) * x[i])
            }
            Benchmark::SchafferF7 => {
                let mut total = 0.0;
                let mut g = Vector::zeros(n);
                for i in 0..n - 1 {
                    let si = x[i].hypot(x[i + 1]);
                    let p = si.powf(0.2);
                    total += si.sqrt() * (1.0 + (50.0 * p).sin().powi(2));
                    if si > 0.0 {
                        // d/ds [√s(1 + sin²(50s^{0.2}))] = (1 + sin²(·))/(2√s) + 10 s^{−0.3} sin(100 s^{0.2}).
                        let dg = (1.0 + (50.0 * p).sin().powi(2)) / (2.0 * si.sqrt())
                            + 10.0 * si.powf(-0.3) * (100.0 * p).sin();
                        g[i] += dg * x[i] / si;
                        g[i + 1] += dg * x[i + 1] / si;
                    }
                }
                g * (2.0 * total / ((d - 1.0) * (d - 1.0)))
            }
            Benchmark::Schwefel => x.map(|t| {
                let r = t.abs().sqrt();
                -(r.sin() + 0.5 * r * r.cos())
            }),
            Benchmark::Sphere => Vector::from_vec(tf::sphere_derivative(s)),
            Benchmark::Griewank => {
                let c: Vec<f64> = (0..n)
                    .map(|i| (x[i] / ((i + 1) as f64).sqrt()).cos())
                    .collect();
                // Π_{j≠i} cos(·) from prefix and suffix products (no division by zero).
                let mut prefix = vec![1.0; n + 1];
                for i in 0..n {
                    prefix[i + 1] = prefix[i] * c[i];
                }
                let mut suffix = vec![1.0; n + 1];
                for i in (0..n).rev() {
                    suffix[i] = suffix[i + 1] * c[i];
                }
                Vector::from_fn(n, |i, _| {
                    let si = ((i + 1) as f64).sqrt();
                    x[i] / 2000.0 + (x[i] / si).sin() / si * prefix[i] * suffix[i + 1]
                })
            }
            Benchmark::HappyCat => {
                let e = x.norm_squared() - d;
                let root = if e == 0.0 {
                    0.0
                } else {
                    0.25 * sign(e) * e.abs().powf(-0.75)
                };
                x.map(|t| root * 2.0 * t + (t + 1.0) / d)
            }
            Benchmark::Salomon => {
                let r = x.norm();
                if r == 0.0 {
                    return Vector::zeros(n);
                }
                x * ((2.0 * PI * (2.0 * PI * r).sin() + 0.1) / r)
            }
            Benchmark::Schwefel221 => {
                let mut g = Vector::zeros(n);
                let mut best = (0, f64::NEG_INFINITY);
                for (i, &t) in x.iter().enumerate() {
                    if t.abs() > best.1 {
                        best = (i, t.abs());
                    }
                }
                g[best.0] = sign(x[best.0]);
                g
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::finite_difference_gradient;
    use crate::Seed;

    #[test]
    fn go_suite_minimum_values_are_zero() {
        for b in Benchmark::ALL {
            let f = GoFunction::new(b, 7).unwrap();
            let v = f.value(&f.minimizer());
            // Schwefel's minimum is 0 only to the precision of its published constants.
            let tol = if b == Benchmark::Schwefel {
                1e-3
            } else {
                1e-12
            };
            assert!(v.abs() < tol, "{b}: f(x*) = {v}");
        }
    }

    #[test]
    fn go_suite_gradients_match_central_differences() {
        let mut rng = Seed(3).stream("points");
        for b in Benchmark::ALL {
            let f = GoFunction::new(b, 5).unwrap();
            for _ in 0..20 {
                let x = f.random_start(&mut rng) * 0.3;
                let g = f.gradient(&x);
                let h = 1e-6 * x.norm().max(1.0);
                let fd = finite_difference_gradient(&f, &x, h);
                let err = (&g - &fd).norm() / g.norm().max(1.0);
                assert!(err < 1e-5, "{b} at {x}: analytic {g} vs fd {fd}");
            }
        }
    }

    #[test]
    fn go_suite_rejects_too_small_dimensions() {
        assert!(GoFunction::new(Benchmark::SchafferF7, 1).is_err());
        assert!(GoFunction::new(Benchmark::Sphere, 0).is_err());
        assert!(GoFunction::new(Benchmark::Sphere, 1).is_ok());
    }

    #[test]
    fn go_suite_values_match_hand_computed_points() {
        // Closed forms at x = (1, 2) (independent of the code above):
        let x = Vector::from_vec(vec![1.0, 2.0]);
        let f = |b| GoFunction::new(b, 2).unwrap().value(&x);
        // Rastrigin: 20 + 1 + 4 − 10cos(2π) − 10cos(4π) = 5.
        assert!((f(Benchmark::Rastrigin) - 5.0).abs() < 1e-12);
        // Ellipsoid: 1 + 2·4 = 9; rotated hyper-ellipsoid: 2·1 + 1·4 = 6.
        assert!((f(Benchmark::Ellipsoid) - 9.0).abs() < 1e-12);
        assert!((f(Benchmark::RotatedHyperEllipsoid) - 6.0).abs() < 1e-12);
        // Rosenbrock: 100(2 − 1)² + 0 = 100.
        assert!((f(Benchmark::Rosenbrock) - 100.0).abs() < 1e-12);
        // HappyCat: |5 − 2|^{1/4} + (2.5 + 3)/2 + 0.5.
        assert!((f(Benchmark::HappyCat) - (3f64.powf(0.25) + 3.25)).abs() < 1e-12);
        // HGBat: √|25 − 9| + 3.25 = 7.25.
        assert!((f(Benchmark::HgBat) - 7.25).abs() < 1e-12);
        // Modified ridge: 1 + 2·4^{0.1}.
        assert!((f(Benchmark::ModifiedRidge) - (1.0 + 2.0 * 4f64.powf(0.1))).abs() < 1e-12);
        // Schwefel 2.21: 2.
        assert!((f(Benchmark::Schwefel221) - 2.0).abs() < 1e-15);
    }
}
