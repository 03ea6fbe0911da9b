//! Property tests: objectives. Analytic gradients against central differences of the
//! value, and Hessian-vector products against central differences of the gradient,
//! on random points (argmin-testfunctions' habit).

use nalgebra::{DMatrix, DVector};
use numerics::objective::{
    finite_difference_gradient, LeastSquares, LogisticRegression, Objective, Quadratic, Rastrigin,
    SmoothedL1Norm,
};
use numerics::smoothing::{Kernel, SmoothedLogistic, SmoothedRastrigin};
use numerics::Seed;
use proptest::prelude::*;

/// max|∇f(x) − ∇_FD f(x)| ≤ tol·max(1, ‖∇f‖_max), central differences with step h.
fn gradient_matches(f: &dyn Objective, x: &DVector<f64>, h: f64, tol: f64) -> Result<(), String> {
    let g = f.gradient(x);
    let fd = finite_difference_gradient(&f, x, h);
    let err = (&g - &fd).amax();
    if err <= tol * g.amax().max(1.0) {
        Ok(())
    } else {
        Err(format!(
            "gradient error {err:e} at x = {x:?}: analytic {g:?}, FD {fd:?}"
        ))
    }
}

/// max|H v − (∇f(x + hv) − ∇f(x − hv))/(2h)| ≤ tol·max(1, ‖Hv‖_max).
fn hvp_matches(
    f: &dyn Objective,
    x: &DVector<f64>,
    v: &DVector<f64>,
    h: f64,
    tol: f64,
) -> Result<(), String> {
    let hv = f.hvp(x, v);
    let fd = (f.gradient(&(x + v * h)) - f.gradient(&(x - v * h))) / (2.0 * h);
    let err = (&hv - &fd).amax();
    if err <= tol * hv.amax().max(1.0) {
        Ok(())
    } else {
        Err(format!("HVP error {err:e} at x = {x:?}"))
    }
}

fn point(d: usize, scale: f64) -> impl Strategy<Value = DVector<f64>> {
    prop::collection::vec(-scale..scale, d).prop_map(DVector::from_vec)
}

fn logistic(seed: u64, lambda: f64) -> LogisticRegression {
    LogisticRegression::gaussian(40, 4, 0.5, lambda, &mut Seed(seed).stream("prop-logistic"))
        .unwrap_or_else(|e| panic!("valid data: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn quadratic_gradient_and_hvp_match_central_differences(
        entries in prop::collection::vec(-2.0f64..2.0, 16),
        c in point(4, 2.0),
        x in point(4, 3.0),
        v in point(4, 1.0),
    ) {
        let m = DMatrix::from_vec(4, 4, entries);
        let a = &m + m.transpose();
        let f = Quadratic::new(a, c, 0.3).unwrap();
        prop_assert!(gradient_matches(&f, &x, 1e-5, 1e-8).is_ok());
        prop_assert!(hvp_matches(&f, &x, &v, 1e-5, 1e-8).is_ok());
    }

    #[test]
    fn rastrigin_gradient_and_hvp_match_central_differences(x in point(5, 5.12), v in point(5, 1.0)) {
        let f = Rastrigin::new(5).unwrap();
        let r = gradient_matches(&f, &x, 1e-5, 1e-7);
        prop_assert!(r.is_ok(), "{:?}", r);
        let r = hvp_matches(&f, &x, &v, 1e-5, 1e-6);
        prop_assert!(r.is_ok(), "{:?}", r);
    }

    #[test]
    fn least_squares_gradient_and_hvp_match_central_differences(
        seed in 0u64..500,
        lambda in 0.0f64..1.0,
        x in point(3, 3.0),
        v in point(3, 1.0),
    ) {
        let base = LeastSquares::gaussian(30, 3, &mut Seed(seed).stream("prop-ls")).unwrap();
        let f = LeastSquares::new(base.a().clone(), base.y().clone(), lambda).unwrap();
        prop_assert!(gradient_matches(&f, &x, 1e-5, 1e-8).is_ok());
        prop_assert!(hvp_matches(&f, &x, &v, 1e-5, 1e-8).is_ok());
    }

    #[test]
    fn logistic_gradient_and_hvp_match_central_differences(
        seed in 0u64..500,
        lambda in 0.0f64..0.1,
        x in point(4, 3.0),
        v in point(4, 1.0),
    ) {
        let f = logistic(seed, lambda);
        prop_assert!(gradient_matches(&f, &x, 1e-5, 1e-8).is_ok());
        prop_assert!(hvp_matches(&f, &x, &v, 1e-5, 1e-7).is_ok());
    }

    #[test]
    fn smoothed_rastrigin_gradient_and_hvp_match_central_differences(
        k in 0usize..3,
        d in 1usize..6,
        delta in 0.0f64..3.0,
        seed in 0u64..1000,
    ) {
        let kernel = Kernel::ALL[k];
        let f = SmoothedRastrigin::new(d, kernel, delta).unwrap();
        let x = DVector::from_fn(d, |i, _| 5.0 * ((seed as f64 + 1.3) * (i as f64 + 0.7)).sin());
        let v = DVector::from_fn(d, |i, _| ((seed as f64) * 0.31 + i as f64).cos());
        let r = gradient_matches(&f, &x, 1e-5, 1e-7);
        prop_assert!(r.is_ok(), "{:?} {:?}", kernel, r);
        let r = hvp_matches(&f, &x, &v, 1e-5, 1e-6);
        prop_assert!(r.is_ok(), "{:?} {:?}", kernel, r);
    }

    #[test]
    fn smoothed_logistic_gradient_and_hvp_match_central_differences(
        k in 0usize..3,
        delta in 0.0f64..3.0,
        seed in 0u64..500,
        x in point(4, 2.0),
        v in point(4, 1.0),
    ) {
        let f = SmoothedLogistic::new(logistic(seed, 1e-2), Kernel::ALL[k], delta).unwrap();
        let r = gradient_matches(&f, &x, 1e-5, 1e-8);
        prop_assert!(r.is_ok(), "{:?}", r);
        let r = hvp_matches(&f, &x, &v, 1e-5, 1e-7);
        prop_assert!(r.is_ok(), "{:?}", r);
        // The exact Hessian and the HVP agree.
        let h = f.hessian(&x).unwrap();
        prop_assert!((h * &v - f.hvp(&x, &v)).amax() < 1e-12);
    }

    #[test]
    fn smoothed_l1_gradient_and_hvp_match_central_differences(
        k in 0usize..3,
        d in 1usize..8,
        delta in 0.05f64..3.0,
        x in point(7, 3.0),
        v in point(7, 1.0),
    ) {
        let f = SmoothedL1Norm::new(d, Kernel::ALL[k], delta).unwrap();
        let x = x.rows(0, d).into_owned();
        let v = v.rows(0, d).into_owned();
        let r = gradient_matches(&f, &x, 1e-6, 1e-7);
        prop_assert!(r.is_ok(), "{:?}", r);
        // The curvature of the BALL smoothing jumps at |xᵢ| = δ for d = 1 (the density
        // of u₁ is discontinuous at ±1): compare the HVP only away from that edge.
        if x.iter().all(|t| (t.abs() - delta).abs() > 1e-3) {
            let r = hvp_matches(&f, &x, &v, 1e-6, 1e-5);
            prop_assert!(r.is_ok(), "{:?}", r);
        }
    }
}
