//! The second-order worker: one dedicated thread on which candle keeps the graph of
//! gradients, so that differentiating a gradient (double backward) is exact.
//!
//! candle-core 0.11.1 (`src/backprop.rs`) detaches every intermediate gradient in
//! `Tensor::backward` unless `CANDLE_GRAD_DO_NOT_DETACH` is set to a non-empty value
//! other than `0`. It reads the variable in a `thread_local!` initialiser, i.e. **once
//! per thread**, the first time that thread runs `Tensor::backward` (or
//! `GradStore::extend`); later changes to the environment do not affect that thread.
//! Without the variable, a Hessian-vector product by double backward is silently wrong:
//! for f(x) = Σ xᵢ³ it returns 4x ⊙ v instead of 6x ⊙ v ([`cubic_probe`]).
//!
//! The worker thread is spawned once per process, on the first [`run`]:
//!
//! 1. under a process-wide lock, the variable is set to `1` (unless it already enables
//!    the behaviour),
//! 2. the thread is spawned and immediately runs [`cubic_probe`], which initialises
//!    candle's thread-local and checks that H·v is exact,
//! 3. the caller waits for that probe, then restores the environment as it was.
//!
//! Every other thread keeps candle's default (detaching, leaner) behaviour, unless it
//! runs its very first backward pass during the microseconds of step 1–3: that thread
//! then keeps its gradients attached, which costs memory but gives identical numbers.
//! Rust's `std::env` functions synchronise on one internal lock, so candle's own reads
//! of the variable never race with the change; the remaining hazard of
//! `std::env::set_var` is C code calling `getenv` concurrently, which nothing in igo's
//! CPU path does. If the probe fails (a candle release that ignores the variable),
//! [`run`] returns an error instead of computing wrong second derivatives.
//!
//! Jobs are closures sent over a channel and run one at a time; [`run`] blocks until
//! its job has finished and returns its value. A job that panics is reported as an
//! error and the worker keeps serving.

use crate::{ExperimentError, Result};
use candle_core::{Device, Tensor, Var};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread;

/// The environment variable candle 0.11.1 reads (once per thread) to keep gradients
/// attached.
pub const DO_NOT_DETACH: &str = "CANDLE_GRAD_DO_NOT_DETACH";

/// Stack size of the worker thread: candle's `Tensor::sorted_nodes` walks the graph
/// recursively, and the graph of a gradient is a few times deeper than the network's.
const WORKER_STACK_BYTES: usize = 512 << 20;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The worker's job queue, created on first use.
static WORKER: Mutex<Option<mpsc::Sender<Job>>> = Mutex::new(None);

/// Serialises every change of the environment made by this module.
static ENVIRONMENT: Mutex<()> = Mutex::new(());

thread_local! {
    /// Whether this thread passed [`cubic_probe`] (None: not probed yet).
    static SECOND_ORDER: Cell<Option<bool>> = const { Cell::new(None) };
}

/// The result of the Σx³ probe: f(x) = Σ xᵢ³ has H·v = 6 x ⊙ v; candle computes
/// `computed` by double backward on the calling thread.
#[derive(Debug, Clone, PartialEq)]
pub struct CubicProbe {
    /// H·v by double backward.
    pub computed: Vec<f64>,
    /// 6 x ⊙ v.
    pub exact: Vec<f64>,
}

impl CubicProbe {
    /// ⟨computed, exact⟩ / ‖exact‖²: 1 when double backward is exact, 2/3 when candle
    /// detaches intermediate gradients.
    #[must_use]
    pub fn ratio(&self) -> f64 {
        let dot: f64 = self
            .computed
            .iter()
            .zip(&self.exact)
            .map(|(a, b)| a * b)
            .sum();
        let norm: f64 = self.exact.iter().map(|b| b * b).sum();
        dot / norm
    }

    /// max |computed − exact| / max |exact|.
    #[must_use]
    pub fn relative_error(&self) -> f64 {
        let scale = self.exact.iter().fold(0.0_f64, |m, b| m.max(b.abs()));
        let err = self
            .computed
            .iter()
            .zip(&self.exact)
            .fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()));
        err / scale
    }

    /// True if the computed product is exact to 1e−12 (relative).
    #[must_use]
    pub fn is_exact(&self) -> bool {
        self.relative_error() <= 1e-12
    }
}

/// Computes H·v of f(x) = Σ xᵢ³ (f64, CPU) at x = (0.5, −1.5, 2) for v = (1, 2, −0.5)
/// by double backward on the calling thread: ∇(∇f·v) with ∇f = 3x², exact value
/// 6 x ⊙ v = (3, −18, −6).
///
/// On a thread that has not run a backward pass yet, this also fixes candle's
/// per-thread choice of detaching (see the module docs).
///
/// # Errors
/// A candle error.
pub fn cubic_probe() -> Result<CubicProbe> {
    let x0 = [0.5, -1.5, 2.0];
    let v0 = [1.0, 2.0, -0.5];
    let x = Var::from_tensor(&Tensor::new(&x0, &Device::Cpu)?)?;
    let v = Tensor::new(&v0, &Device::Cpu)?;
    let f = x
        .as_tensor()
        .mul(x.as_tensor())?
        .mul(x.as_tensor())?
        .sum_all()?;
    let grads = f.backward()?;
    let g = grads
        .get(x.as_tensor())
        .ok_or_else(|| ExperimentError::Other("Σx³ probe: no gradient for x".into()))?;
    let dot = g.mul(&v)?.sum_all()?;
    let second = dot.backward()?;
    let computed = match second.get(x.as_tensor()) {
        Some(hv) => hv.to_vec1::<f64>()?,
        None => vec![0.0; 3],
    };
    let exact = x0.iter().zip(&v0).map(|(x, v)| 6.0 * x * v).collect();
    Ok(CubicProbe { computed, exact })
}

/// Whether double backward is exact on the calling thread (the [`cubic_probe`] result,
/// cached per thread). True on the worker thread; false on an ordinary thread unless
/// the environment enabled it when that thread first ran a backward pass.
#[must_use]
pub fn second_order_enabled() -> bool {
    if let Some(known) = SECOND_ORDER.with(Cell::get) {
        return known;
    }
    let ok = cubic_probe().is_ok_and(|p| p.is_exact());
    SECOND_ORDER.with(|c| c.set(Some(ok)));
    ok
}

/// Whether `value` of [`DO_NOT_DETACH`] enables attached gradients (candle's rule:
/// non-empty and not `0`).
fn enables(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

/// Spawns a thread with candle's detaching choice fixed to `attached`, running
/// [`cubic_probe`] first (which fixes candle's per-thread choice) and then `body` with
/// the probe's result. Returns once the probe has run, with the environment restored.
fn spawn_with<F>(
    attached: bool,
    stack: usize,
    body: F,
) -> Result<(thread::JoinHandle<()>, CubicProbe)>
where
    F: FnOnce(bool) + Send + 'static,
{
    let _lock = ENVIRONMENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let previous = std::env::var_os(DO_NOT_DETACH);
    let change = enables(previous.as_deref()) != attached;
    if change {
        std::env::set_var(DO_NOT_DETACH, if attached { "1" } else { "0" });
    }
    let (ready_tx, ready_rx) = mpsc::channel::<Result<CubicProbe>>();
    let spawned = thread::Builder::new()
        .name("igo-second-order".into())
        .stack_size(stack)
        .spawn(move || {
            // Fused first-order ops (batch norm) must not be used where gradients are
            // differentiated again.
            crate::ops::set_second_order_thread(attached);
            let probe = cubic_probe();
            let ok = probe.as_ref().is_ok_and(CubicProbe::is_exact);
            SECOND_ORDER.with(|c| c.set(Some(ok)));
            let _ = ready_tx.send(probe);
            body(ok);
        });
    let outcome = match spawned {
        Ok(handle) => match ready_rx.recv() {
            Ok(Ok(probe)) => Ok((handle, probe)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ExperimentError::Other(
                "the second-order thread stopped before its Σx³ probe finished".into(),
            )),
        },
        Err(e) => Err(ExperimentError::Other(format!(
            "cannot spawn the second-order thread: {e}"
        ))),
    };
    if change {
        match previous {
            Some(value) => std::env::set_var(DO_NOT_DETACH, value),
            None => std::env::remove_var(DO_NOT_DETACH),
        }
    }
    outcome
}

/// The gradients of `t` computed on a fresh, ordinary thread, where candle detaches
/// every gradient it computes: the last backward pass of a Hessian-vector product.
///
/// On the second-order worker every backward pass builds a graph (that is what makes the
/// first one differentiable); the second needs none, and an attached second pass keeps
/// every tensor it computes alive until its result is dropped. Detached, each node's
/// gradient is freed as soon as it has been propagated, so the peak memory of H·v is
/// that of the first pass's graph. The values are the same either way (detaching changes
/// what can be differentiated later, not what is computed).
///
/// # Errors
/// The thread cannot be spawned, panicked, or the backward pass failed.
pub fn detached_backward(t: &Tensor) -> Result<candle_core::backprop::GradStore> {
    thread::scope(|scope| {
        let handle = thread::Builder::new()
            .name("igo-second-backward".into())
            .stack_size(WORKER_STACK_BYTES)
            .spawn_scoped(scope, || t.backward())
            .map_err(|e| {
                ExperimentError::Other(format!("cannot spawn the second-backward thread: {e}"))
            })?;
        handle
            .join()
            .map_err(|_| ExperimentError::Other("the second backward pass panicked".into()))?
            .map_err(ExperimentError::from)
    })
}

/// Runs `f` on a fresh thread whose candle detaching choice was fixed first, with
/// [`DO_NOT_DETACH`] enabled (`attached = true`) or disabled (`false`), and returns its
/// value; the environment is changed only while that choice is being fixed.
///
/// `on_fresh_thread(false, cubic_probe)` shows candle's default behaviour (ratio 2/3 in
/// candle 0.11.1); `on_fresh_thread(true, cubic_probe)` the behaviour igo relies on.
///
/// # Errors
/// The thread cannot be spawned, its probe failed with a candle error, or `f` panicked.
pub fn on_fresh_thread<R, F>(attached: bool, f: F) -> Result<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel::<R>(1);
    let (handle, _probe) = spawn_with(attached, WORKER_STACK_BYTES, move |_| {
        let _ = tx.send(f());
    })?;
    let value = rx.recv();
    handle
        .join()
        .map_err(|_| ExperimentError::Other("a job on a fresh thread panicked".into()))?;
    value.map_err(|_| ExperimentError::Other("a job on a fresh thread panicked".into()))
}

fn spawn_worker() -> Result<mpsc::Sender<Job>> {
    let (tx, rx) = mpsc::channel::<Job>();
    let (_handle, probe) = spawn_with(true, WORKER_STACK_BYTES, move |ok| {
        if !ok {
            return;
        }
        for job in rx {
            // A panicking job drops its reply channel; the caller reports it.
            let _ = catch_unwind(AssertUnwindSafe(job));
        }
    })?;
    if !probe.is_exact() {
        return Err(ExperimentError::Other(format!(
            "candle does not honour {DO_NOT_DETACH}=1: double backward of Σx³ gave {:?} instead of {:?} \
             (ratio {:.6}; 2/3 means gradients are detached). Second-order measurements \
             (Hessian eigenvalues, trace, Wu) are unavailable with this candle version.",
            probe.computed,
            probe.exact,
            probe.ratio()
        )));
    }
    Ok(tx)
}

/// Runs `job` on the second-order worker thread (spawned on first use, see the module
/// docs) and returns its value; blocks until the job has finished.
///
/// Only the worker computes exact double-backward products; [`crate::measure::hvp::Hvp`]
/// refuses to run elsewhere.
///
/// # Errors
/// The worker cannot be started, candle ignores [`DO_NOT_DETACH`] (the Σx³ probe
/// failed), or the job panicked.
pub fn run<R, F>(job: F) -> Result<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (reply_tx, reply_rx) = mpsc::sync_channel::<R>(1);
    let mut job: Option<Job> = Some(Box::new(move || {
        let _ = reply_tx.send(job());
    }));
    for _attempt in 0..2 {
        let sender = {
            let mut guard = WORKER
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match guard.as_ref() {
                Some(s) => s.clone(),
                None => {
                    let s = spawn_worker()?;
                    *guard = Some(s.clone());
                    s
                }
            }
        };
        let Some(boxed) = job.take() else { break };
        match sender.send(boxed) {
            Ok(()) => {
                return reply_rx.recv().map_err(|_| {
                    ExperimentError::Other("a job on the second-order worker panicked".into())
                })
            }
            Err(mpsc::SendError(returned)) => {
                // The worker thread is gone: forget it and start a new one.
                job = Some(returned);
                *WORKER
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            }
        }
    }
    Err(ExperimentError::Other(
        "the second-order worker could not be started".into(),
    ))
}
