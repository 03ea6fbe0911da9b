//! The Σx·x·x test: candle's double backward is exact only with
//! `CANDLE_GRAD_DO_NOT_DETACH=1` fixed on the thread. These tests fail loudly if a
//! candle release stops honouring the variable or changes its default.

use experiments::measure::hvp::{Hvp, ModelLoss};
use experiments::measure::worker::{self, cubic_probe, on_fresh_thread};
use experiments::measure::BatchNormMode;
use experiments::models::Architecture;
use std::sync::Arc;

use super::support;

#[test]
fn cubic_probe_is_exact_on_the_worker() {
    let probe = worker::run(cubic_probe).unwrap().unwrap();
    // f(x) = Σ xᵢ³ ⇒ H·v = 6 x ⊙ v = (3, −18, −6) at x = (0.5, −1.5, 2), v = (1, 2, −0.5).
    assert_eq!(probe.exact, vec![3.0, -18.0, -6.0]);
    assert!(
        probe.relative_error() <= 1e-12,
        "candle no longer honours CANDLE_GRAD_DO_NOT_DETACH=1: double backward of Σx³ gave {:?}, \
         expected {:?}. Every Hessian measurement of igo is wrong with this candle version.",
        probe.computed,
        probe.exact
    );
    assert!(worker::run(worker::second_order_enabled).unwrap());
}

#[test]
fn cubic_probe_is_two_thirds_without_the_variable() {
    // candle 0.11.1 detaches intermediate gradients by default: the second-order term
    // through the detached factor is lost and H·v comes out as 4x ⊙ v = (2/3)·6x ⊙ v.
    let without = on_fresh_thread(false, cubic_probe).unwrap().unwrap();
    assert!(
        (without.ratio() - 2.0 / 3.0).abs() < 1e-12,
        "candle's default changed: without CANDLE_GRAD_DO_NOT_DETACH the Σx³ probe gave ratio {} \
         (computed {:?}), not 2/3. Re-check candle's backprop.rs and the worker's design.",
        without.ratio(),
        without.computed
    );
    let with = on_fresh_thread(true, cubic_probe).unwrap().unwrap();
    assert!(with.is_exact(), "with the variable: {:?}", with.computed);
}

#[test]
fn hessian_products_refuse_to_run_on_a_detaching_thread() {
    let refused = on_fresh_thread(false, || {
        let model = Arc::new(support::model(
            &Architecture::Logistic,
            3,
            2,
            candle_core::DType::F64,
            0,
        ));
        let (x, y) = support::gaussian_data(4, 3, 2, 0);
        let batches = support::batches(&x, &y, 4, candle_core::DType::F64);
        Hvp::new(ModelLoss::new(model, &batches, BatchNormMode::Eval).unwrap()).is_err()
    })
    .unwrap();
    assert!(refused);
}

#[test]
fn a_panicking_job_is_an_error_and_the_worker_survives() {
    let r: experiments::Result<()> = worker::run(|| panic!("deliberate"));
    assert!(r.is_err());
    assert!(worker::run(|| 1 + 1).unwrap() == 2);
}
