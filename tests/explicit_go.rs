//! Proof tests of `theory::explicit_go` (see theory/src/explicit_go/), and property tests
//! of the explicit-GO building blocks (δ schedules, benchmark gradients, the solver).

use crate::proof;
use nalgebra::DVector;
use numerics::objective::go_suite::{Benchmark, GoFunction};
use numerics::objective::{finite_difference_gradient, Objective};
use numerics::optim::graduated_explicit::Exact;
use numerics::optim::{run, ExplicitGraduated};
use numerics::schedule::{ego_deltas, geometric_deltas};
use numerics::smoothing::Kernel;
use proptest::prelude::*;

// ANCHOR: proofs
proof!(ego_delta_schedule, "ego_delta_schedule");
proof!(ego_rastrigin_comparison, "ego_rastrigin_comparison");
proof!(ego_schedule_ablation, "ego_schedule_ablation");
// ANCHOR_END: proofs

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// ego_deltas iterates γ_m = ((M − m)/(M − m + 1))^p; its values must equal the
    /// telescoped closed form ((M + 1 − k)/(M + 1))^p · δ_init.
    #[test]
    fn ego_deltas_match_the_telescoped_closed_form(
        m in 1usize..200,
        p in 0.1f64..4.0,
        init in 0.1f64..10.0,
    ) {
        let d = ego_deltas(m, p, init, 0.01).unwrap();
        prop_assert_eq!(d.len(), m + 1);
        for (k, v) in d.iter().take(m).enumerate() {
            let want = init * ((m + 1 - k) as f64 / (m + 1) as f64).powf(p);
            prop_assert!((v - want).abs() <= 1e-12 * want.max(1.0), "k={} {} vs {}", k, v, want);
        }
    }

    /// The geometric option is geometric: constant ratio, exact ends.
    #[test]
    fn geometric_deltas_have_a_constant_ratio(first in 0.1f64..10.0, ratio in 1e-3f64..0.9, n in 2usize..100) {
        let last = first * ratio;
        let d = geometric_deltas(first, last, n).unwrap();
        let r = d[1] / d[0];
        for w in d.windows(2) {
            prop_assert!((w[1] / w[0] - r).abs() < 1e-12);
        }
        prop_assert!((d[n - 1] - last).abs() < 1e-12 * last.max(1.0));
    }

    /// Every benchmark's analytic (sub)gradient matches central differences at random
    /// points of its search box (scaled into a region away from the kinks).
    #[test]
    fn go_suite_gradients_match_central_differences(
        which in 0usize..16,
        coords in proptest::collection::vec(-1.0f64..1.0, 6),
    ) {
        let b = Benchmark::ALL[which];
        let f = GoFunction::new(b, 6).unwrap();
        let (lo, hi) = b.search_box();
        let scale = 0.25 * (hi - lo) / 2.0;
        let x = DVector::from_iterator(6, coords.iter().map(|c| c * scale));
        let g = f.gradient(&x);
        let h = 1e-6 * x.norm().max(1.0);
        let fd = finite_difference_gradient(&f, &x, h);
        let err = (&g - &fd).norm() / g.norm().max(1.0);
        // Non-smooth benchmarks (|·|, max, powers < 1) are differentiable a.e.; a random
        // point is almost surely not on a kink, but can be within h of one.
        prop_assert!(err < 1e-4, "{}: {} vs {}", b, g, fd);
    }

    /// With exact gradients on a separable quadratic benchmark (Sphere), each stage of
    /// explicit GO is plain GD with step l₀δ_k: x_T = Π_k (1 − 2l₀δ_k)^{steps} x₀.
    #[test]
    fn explicit_go_on_sphere_is_a_product_of_contractions(
        l0 in 0.01f64..0.4,
        x0 in proptest::collection::vec(-10.0f64..10.0, 3),
    ) {
        let f = GoFunction::new(Benchmark::Sphere, 3).unwrap();
        let deltas = vec![1.0, 0.5, 0.25];
        let solver = ExplicitGraduated::new(deltas.clone(), 4, l0, Exact::new(Kernel::Gaussian)).unwrap();
        let x0 = DVector::from_vec(x0);
        let res = run(f, solver, x0.clone(), 1000).unwrap();
        let factor: f64 = deltas.iter().map(|d| (1.0 - 2.0 * l0 * d).powi(4)).product();
        let want = x0 * factor;
        prop_assert!((res.state.param.unwrap() - want).norm() < 1e-12);
    }
}
