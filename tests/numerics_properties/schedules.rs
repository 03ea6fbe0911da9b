//! Property tests: schedules (numerics::schedule) — monotonicity and bounds,
//! telescoping products, the PolynomialLR identity, the momentum cubic plugged back.

use numerics::schedule::{
    cubic_real_roots, momentum_for_amplification, AdaptiveStep, Algorithm6, BlockDecay, Cosine,
    Exponential, GradientNormAdaptive, MultiplicativeGrowth, NoiseConstants, Optimizer, Polynomial,
    PolynomialBatchGrowth, PolynomialDelta, Psi, Schedule, Step, UpdateRule, Variant,
};
use numerics::smoothing::beta_hat;
use proptest::prelude::*;

/// `s` is non-increasing on 0..n and stays in [lo, hi].
fn non_increasing_within(
    s: &dyn Schedule,
    n: usize,
    lo: f64,
    hi: f64,
) -> Result<(), TestCaseError> {
    let mut prev = f64::INFINITY;
    for k in 0..n {
        let v = s.at(k);
        prop_assert!(v <= prev * (1.0 + 1e-15) + 1e-300, "k = {k}: {v} > {prev}");
        prop_assert!(
            v >= lo - 1e-15 && v <= hi * (1.0 + 1e-15),
            "k = {k}: {v} ∉ [{lo}, {hi}]"
        );
        prev = v;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn decaying_lr_schedules_are_monotone_and_bounded(
        eta in 1e-4f64..10.0,
        gamma in 0.05f64..1.0,
        step in 1usize..60,
        total in 1usize..400,
        power in 0.05f64..4.0,
    ) {
        non_increasing_within(&Step::new(eta, gamma, step).unwrap(), 500, 0.0, eta)?;
        non_increasing_within(&Polynomial::new(eta, total, power).unwrap(), total + 10, 0.0, eta)?;
        non_increasing_within(&Cosine::new(eta, 0.0, total).unwrap(), total + 1, 0.0, eta)?;
        non_increasing_within(&Exponential::new(eta, gamma).unwrap(), 500, 0.0, eta)?;
    }

    #[test]
    fn polynomial_delta_telescopes(big_m in 1usize..400, power in 0.05f64..4.0) {
        let s = PolynomialDelta::new(1.0, big_m, power).unwrap();
        let mut product = 1.0;
        for m in 1..=big_m {
            product *= s.decay_factor(m);
            // Closed form δ_{m+1}/δ₁ = ((M − m)/M)^p.
            let closed = ((big_m - m) as f64 / big_m as f64).powf(power);
            prop_assert!((product - closed).abs() <= 1e-12, "m = {m}: {product} vs {closed}");
            prop_assert!((s.at(m) - closed).abs() <= 1e-14);
        }
        // The code's 0-based product: ((M + 1 − e)/(M + 1))^p.
        let mut code = 1.0;
        for e in 0..big_m {
            code *= s.decay_factor(e);
            prop_assert!((code - s.code_delta(e + 1)).abs() <= 1e-12);
        }
        if big_m >= 2 {
            prop_assert!((s.min_decay_factor() - 2f64.powf(-power)).abs() <= 1e-14);
        }
    }

    #[test]
    fn polynomial_lr_has_the_delta_schedule_factors(total in 1usize..300, power in 0.05f64..4.0) {
        let lr = Polynomial::new(1.0, total, power).unwrap();
        let delta = PolynomialDelta::new(1.0, total, power).unwrap();
        for k in 1..total {
            let ratio = lr.at(k) / lr.at(k - 1);
            prop_assert!((ratio - delta.decay_factor(k)).abs() <= 1e-12 * ratio.max(1e-300) + 1e-15);
        }
        for k in 0..=total + 3 {
            prop_assert!((lr.recursive(k) - lr.at(k)).abs() <= 1e-12);
            prop_assert!((lr.at(k) - delta.at(k)).abs() <= 1e-14);
        }
    }

    #[test]
    fn momentum_cubic_root_plugs_back(log_q in -8.0f64..8.0) {
        let q = 10f64.powf(log_q);
        let beta = momentum_for_amplification(q);
        prop_assert!((0.0..1.0).contains(&beta));
        prop_assert!(((beta_hat(beta) - q) / q).abs() <= 1e-10, "q = {q}: β̂({beta}) = {}", beta_hat(beta));
        // Every real root of the cubic is a root: residual small relative to the terms.
        let (a, b, c) = (-(1.0 + q), 1.0 + 2.0 * q, -q);
        for r in cubic_real_roots(a, b, c) {
            let scale = r.abs().powi(3) + a.abs() * r * r + b.abs() * r.abs() + c.abs();
            let residual = ((r + a) * r + b) * r + c;
            prop_assert!(residual.abs() <= 1e-12 * scale, "root {r}: residual {residual}");
        }
    }

    #[test]
    fn block_rules_decrease_and_are_constant_on_blocks(
        g0 in 1e-3f64..10.0,
        block in 1usize..80,
        c in 0.1f64..3.0,
    ) {
        for psi in [Psi::Linear, Psi::Sqrt, Psi::ScaledSqrt(c)] {
            let r = BlockDecay::new(g0, block, psi).unwrap();
            non_increasing_within(&r, 5 * block + 2, 0.0, g0)?;
            for j in 1..5 {
                let first = r.at((j - 1) * block + 1);
                let last = r.at(j * block);
                prop_assert!((first - last).abs() <= 0.0, "block {j} not constant");
            }
        }
    }

    #[test]
    fn gradient_adaptive_step_bounds_the_displacement(
        g0 in 1e-3f64..10.0,
        alpha in 1e-3f64..10.0,
        norm in 0.0f64..1e12,
    ) {
        let r3 = GradientNormAdaptive::new(g0, alpha).unwrap();
        let step = r3.step(0, norm);
        prop_assert!(step <= g0);
        prop_assert!(step * norm <= g0 / alpha * (1.0 + 1e-12));
    }

    #[test]
    fn batch_growth_is_monotone_and_int_cast_is_below_float(
        b0 in 1usize..300,
        factor in 1.0f64..3.0,
        every in 1usize..50,
        power in 0.05f64..2.0,
        balance in 0.1f64..2.5,
    ) {
        let int = MultiplicativeGrowth::new(b0 as f64, factor, every, 1, true).unwrap();
        let float = MultiplicativeGrowth::new(b0 as f64, factor, every, 1, false).unwrap();
        let mut prev = 0.0;
        for k in 0..6 * every {
            let (bi, bf) = (int.at(k), float.at(k));
            prop_assert!(bi >= prev && bi.fract() == 0.0 && bi <= bf * (1.0 + 1e-12));
            prev = bi;
        }
        let poly = PolynomialBatchGrowth::new(b0 as f64, 100, power, balance).unwrap();
        for m in 1..=100 {
            prop_assert!(poly.at(m) >= poly.at(m - 1));
            prop_assert!((poly.at(m) - poly.recursive(m)).abs() <= 1e-11 * poly.at(m));
        }
    }

    #[test]
    fn intended_algorithm_6_realises_the_schedule(
        power in 0.1f64..2.0,
        epochs in 2usize..120,
        b0 in prop::sample::select(vec![16usize, 32, 64, 128, 256, 512, 1024]),
        beta in 0.0f64..0.95,
        c2 in 0.1f64..200.0,
        k in 0.0f64..5.0,
        nshb in any::<bool>(),
    ) {
        let optimizer = if nshb { Optimizer::Nshb } else { Optimizer::Shb };
        let noise = NoiseConstants::new(c2, k).unwrap();
        let run = Algorithm6::new(optimizer, noise, UpdateRule::LearningRateBatch, Variant::Intended,
            epochs, power, 0.1, b0 as f64, beta).unwrap().run();
        prop_assert!(run.halt.is_none());
        prop_assert!(run.max_ratio_deviation() <= 1e-9, "{}", run.max_ratio_deviation());
        // With ⌊b⌋ in the formulas the realised δ follows the schedule too.
        let exact = Algorithm6::new(optimizer, noise, UpdateRule::LearningRateBatch, Variant::Intended,
            epochs, power, 0.1, b0 as f64, beta).unwrap().with_integer_batches(true).run();
        prop_assert!(exact.max_realised_deviation() <= 1e-9, "{}", exact.max_realised_deviation());
    }
}
