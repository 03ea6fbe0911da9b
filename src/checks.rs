//! Runs theory checks on a pool of threads with a progress bar (`igo check`,
//! `igo reproduce`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use numerics::Seed;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use theory::{Check, Report};

/// Runs every check of `checks` with `seed` on `jobs` threads (at least one) and
/// returns their reports in the order given, each with its wall time in
/// `Report::seconds`; a check that could not run gives its error text. The bar is
/// drawn on stderr unless `quiet`.
#[must_use]
pub fn run_checks(
    checks: &[Box<dyn Check>],
    seed: Seed,
    jobs: usize,
    quiet: bool,
) -> Vec<Result<Report, String>> {
    let bar = ProgressBar::new(checks.len() as u64);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "checks {spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Report, String>>>> =
        Mutex::new((0..checks.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(checks.len()).max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(check) = checks.get(i) else { break };
                bar.set_message(check.id().to_string());
                let start = Instant::now();
                let outcome = check
                    .run(seed)
                    .map(|mut r| {
                        r.seconds = start.elapsed().as_secs_f64();
                        r
                    })
                    .map_err(|e| e.to_string());
                if let Ok(mut guard) = results.lock() {
                    guard[i] = Some(outcome);
                }
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("the check did not finish (its thread panicked)".into())))
        .collect()
}

/// The default number of check threads: the available cores.
#[must_use]
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}
