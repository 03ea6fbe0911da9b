//! Process-wide CPU settings that make candle training fast on a few cores; call
//! [`configure_cpu`] first thing in `main`, before any thread or tensor exists.
//!
//! Two things cost more than the arithmetic in a small-batch CPU training step (measured
//! with `perf` on ResNet-8, batch 32, 2 cores; see the README's performance section):
//!
//! 1. **Page faults.** Every candle op allocates its output; glibc serves blocks above its
//!    mmap threshold (128 KiB, growing adaptively to at most 32 MiB) with fresh `mmap`s
//!    and unmaps them on free, so every activation is zero-filled page by page by the
//!    kernel, every step. Raising the mmap threshold to its maximum and the trim threshold
//!    to 4 GiB keeps freed blocks in the heap for reuse.
//! 2. **Two thread pools spinning against each other.** candle 0.11.1 runs elementwise
//!    ops on its own barrier pool whose idle workers spin for 25 000 iterations before
//!    parking, while the matrix kernel and igo's ops use rayon's pool: on a machine with
//!    as many cores as threads, each pool's spinning steals the other's cores. With
//!    `CANDLE_NUM_THREADS=1` candle's elementwise ops run on the calling thread and all
//!    parallel work goes through rayon. A value the user set is left alone.

/// Applies the settings of the module docs, once, and returns what it did (for the run
/// record).
#[must_use]
pub fn configure_cpu() -> Vec<String> {
    let mut done = Vec::new();
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // Before any thread exists (documented precondition): no concurrent getenv.
        std::env::set_var("CANDLE_NUM_THREADS", "1");
        done.push("CANDLE_NUM_THREADS=1 (candle's elementwise ops on the calling thread)".into());
    }
    if retain_freed_memory() {
        done.push("glibc mmap threshold 32 MiB, trim threshold 4 GiB (freed blocks reused)".into());
    }
    done
}

/// glibc only: keep freed blocks for reuse instead of returning them to the kernel.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn retain_freed_memory() -> bool {
    // SAFETY: mallopt only changes allocator parameters; it is called before other
    // threads exist. 32 MiB is the largest mmap threshold glibc accepts on 64-bit.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX) == 1
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn retain_freed_memory() -> bool {
    false
}
