//! [`Gd`]: gradient descent x_{k+1} = x_k − η_k ∇f(x_k).

use super::common::{current_param, finish_step, init_cost, iteration, learning_rate_at, State};
use crate::objective::{AsArgmin, Objective};
use crate::schedule::{Constant, Schedule};
use crate::Result;
use argmin::core::{Error, Problem, Solver, KV};
use argmin::kv;
use serde::{Deserialize, Serialize};

/// Gradient descent x_{k+1} = x_k − η_k ∇f(x_k), with a constant or scheduled step η_k.
///
/// One argmin iteration is one step; k is the iteration counter of the state, so a run
/// resumed from a checkpoint continues the schedule. After a step the state holds
/// x_{k+1}, the gradient ∇f(x_k) it was taken with, and (unless disabled with
/// [`Gd::with_cost`]) the cost f(x_{k+1}). Diagnostics: `learning_rate`,
/// `gradient_norm`.
///
/// ## Requirements on the optimization problem
///
/// An [`Objective`] wrapped in [`AsArgmin`].
///
/// ## Reference
///
/// Jorge Nocedal and Stephen J. Wright (2006). Numerical Optimization, §3. Springer.
///
/// # Example
///
/// ```
/// use argmin::core::{Executor, State};
/// use nalgebra::{DMatrix, DVector};
/// use numerics::objective::{AsArgmin, Quadratic};
/// use numerics::optim::Gd;
/// // f(x) = ½·2x²: one step of size ¼ maps x to (1 − ¼·2)x = x/2.
/// let f = Quadratic::homogeneous(DMatrix::from_element(1, 1, 2.0)).unwrap();
/// let res = Executor::new(AsArgmin(f), Gd::new(0.25).unwrap())
///     .configure(|s| s.param(DVector::from_element(1, 4.0)).max_iters(3))
///     .run()
///     .unwrap();
/// assert!((res.state().param.as_ref().unwrap()[0] - 0.5).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gd<L = Constant> {
    learning_rate: L,
    track_cost: bool,
}

impl Gd<Constant> {
    /// GD with the constant step `learning_rate` = η.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] unless η is finite and > 0.
    pub fn new(learning_rate: f64) -> Result<Self> {
        crate::error::check_positive("learning rate", learning_rate)?;
        Ok(Self::scheduled(Constant(learning_rate)))
    }
}

impl<L: Schedule> Gd<L> {
    /// GD with the step schedule η_k = `learning_rate.at(k)`; each η_k is checked
    /// (finite, ≥ 0) when it is used, and a bad value ends the run with an error.
    #[must_use]
    pub fn scheduled(learning_rate: L) -> Self {
        Self {
            learning_rate,
            track_cost: true,
        }
    }

    /// Whether to evaluate f(x_{k+1}) after every step (default `true`; one cost
    /// evaluation per step).
    #[must_use]
    pub fn with_cost(mut self, track_cost: bool) -> Self {
        self.track_cost = track_cost;
        self
    }

    /// The learning-rate schedule.
    #[must_use]
    pub fn learning_rate(&self) -> &L {
        &self.learning_rate
    }
}

impl<O: Objective, L: Schedule> Solver<AsArgmin<O>, State> for Gd<L> {
    fn name(&self) -> &str {
        "Gradient descent"
    }

    fn init(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
    ) -> std::result::Result<(State, Option<KV>), Error> {
        init_cost(problem, state, self.track_cost, "Gd")
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<AsArgmin<O>>,
        state: State,
    ) -> std::result::Result<(State, Option<KV>), Error> {
        let x = current_param(&state, "Gd")?;
        let eta = learning_rate_at(&self.learning_rate, iteration(&state))?;
        let g = problem.gradient(&x)?;
        let x_new = &x - &g * eta;
        let kv = kv!("learning_rate" => eta; "gradient_norm" => g.norm(););
        finish_step(problem, state, x_new, g, kv, self.track_cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::Quadratic;
    use crate::{Matrix, NumericsError, Vector};
    use argmin::core::Executor;

    fn quadratic() -> Quadratic {
        // f(x) = ½ xᵀ diag(1, 4) x − (1, 2)ᵀx, minimiser (1, 0.5).
        Quadratic::new(
            Matrix::from_diagonal(&Vector::from_vec(vec![1.0, 4.0])),
            Vector::from_vec(vec![-1.0, -2.0]),
            0.0,
        )
        .unwrap()
    }

    #[test]
    fn gd_rejects_bad_learning_rates() {
        for eta in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                Gd::new(eta),
                Err(NumericsError::InvalidParameter { .. })
            ));
        }
    }

    #[test]
    fn gd_requires_an_initial_point() {
        let res = Executor::new(AsArgmin(quadratic()), Gd::new(0.1).unwrap())
            .configure(|s| s.max_iters(1))
            .run();
        assert!(res.is_err());
    }

    #[test]
    fn gd_one_step_matches_closed_form() {
        // x₁ = x₀ − η(Ax₀ + c) with x₀ = (2, −1), η = 0.1:
        // ∇f = (2 − 1, −4 − 2) = (1, −6) → x₁ = (1.9, −0.4).
        let res = Executor::new(AsArgmin(quadratic()), Gd::new(0.1).unwrap())
            .configure(|s| s.param(Vector::from_vec(vec![2.0, -1.0])).max_iters(1))
            .run()
            .unwrap();
        let x = res.state().param.clone().unwrap();
        assert!((x[0] - 1.9).abs() < 1e-15 && (x[1] + 0.4).abs() < 1e-15);
        let g = res.state().grad.clone().unwrap();
        assert!((g[0] - 1.0).abs() < 1e-15 && (g[1] + 6.0).abs() < 1e-15);
        // cost f(x₁) = ½(1.9² + 4·0.16) − 1.9 + 0.8
        let want = 0.5 * (1.9f64 * 1.9 + 4.0 * 0.16) - 1.9 + 0.8;
        assert!((res.state().cost - want).abs() < 1e-14);
        assert_eq!(res.problem.counts["gradient_count"], 1);
    }

    #[test]
    fn gd_schedule_is_indexed_by_iteration() {
        // η_k = 1/(k + 2) on f = ½x²: x_{k+1} = (1 − η_k)x_k → x₃ = x₀·(1/2)(2/3)(3/4) = x₀/4.
        #[derive(Debug)]
        struct Harmonic;
        impl Schedule for Harmonic {
            fn at(&self, k: usize) -> f64 {
                1.0 / (k as f64 + 2.0)
            }
        }
        let f = Quadratic::homogeneous(Matrix::identity(1, 1)).unwrap();
        let res = Executor::new(AsArgmin(f), Gd::scheduled(Harmonic).with_cost(false))
            .configure(|s| s.param(Vector::from_element(1, 8.0)).max_iters(3))
            .run()
            .unwrap();
        assert!((res.state().param.as_ref().unwrap()[0] - 2.0).abs() < 1e-14);
        assert!(!res.problem.counts.contains_key("cost_count"));
    }

    #[test]
    fn gd_converges_on_a_quadratic() {
        let res = Executor::new(AsArgmin(quadratic()), Gd::new(0.2).unwrap())
            .configure(|s| s.param(Vector::from_vec(vec![5.0, 5.0])).max_iters(200))
            .run()
            .unwrap();
        // The last iterate (best_param is chosen by cost, which stalls at the rounding
        // level of f* = −1 once ‖x − x*‖ ≈ 1e−8).
        let x = res.state().param.clone().unwrap();
        assert!(
            (&x - Vector::from_vec(vec![1.0, 0.5])).norm() < 1e-12,
            "{x}"
        );
        assert!(res.state().best_cost < -1.0 + 1e-15);
    }

    #[test]
    fn gd_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Gd>();
    }
}
