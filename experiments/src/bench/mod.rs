//! Benchmarks of igo's training stack, run side by side with PyTorch by `igo bench train`
//! (`bench/train_step.py` is the PyTorch half):
//!
//! * [`train_step`]: images/s of one training step (forward in train mode, mean
//!   cross-entropy, backward, SGD-momentum update) on a fixed random 3×32×32 batch;
//! * [`second_order`]: seconds of one exact Hessian-vector product (on the second-order
//!   worker, [`crate::measure::worker`]) or of one gradient, with the peak memory of
//!   the calls ([`PeakMemory`]; run in a process of their own).
//!
//! Also the provenance printed with the figures: [`cpu_model`], [`utc_date`],
//! [`threads`].

pub mod second_order;
pub mod train_step;

use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// The median of `values`: the middle value of the sorted values, or the mean of the two
/// middle ones for an even count (Python's `statistics.median`); None if empty.
#[must_use]
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// This process's peak resident memory, `VmHWM` of `/proc/self/status`, in bytes (None
/// where that file does not exist or has no such line: not Linux).
#[must_use]
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kib(&status, "VmHWM:").map(|kib| kib * 1024)
}

/// This process's current resident memory, `VmRSS` of `/proc/self/status`, in bytes
/// (None where unknown).
#[must_use]
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kib(&status, "VmRSS:").map(|kib| kib * 1024)
}

/// Resets this process's peak resident memory to its current resident memory (Linux:
/// writes `5` to `/proc/self/clear_refs`), so that [`peak_rss_bytes`] afterwards is the
/// peak since now; false where that is not possible (the peak then keeps counting from
/// the start of the process).
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident memory of a measured piece of work in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PeakMemory {
    /// The process's peak over its whole life, setup included (bytes).
    pub peak_rss_bytes: Option<u64>,
    /// Resident memory when the work began (bytes).
    pub baseline_rss_bytes: Option<u64>,
    /// Peak resident memory while the work ran (bytes; None if the peak could not be
    /// reset before it, [`reset_peak_rss`]).
    pub work_peak_rss_bytes: Option<u64>,
}

impl PeakMemory {
    /// Runs `work` between a reset of the peak and a reading of it.
    ///
    /// # Errors
    /// The error of `work`.
    pub fn of<T, E>(
        work: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<(T, Self), E> {
        let setup_peak = peak_rss_bytes();
        let reset = reset_peak_rss();
        let baseline_rss_bytes = rss_bytes();
        let value = work()?;
        let after = peak_rss_bytes();
        let memory = PeakMemory {
            peak_rss_bytes: match (setup_peak, after) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
            baseline_rss_bytes,
            work_peak_rss_bytes: if reset { after } else { None },
        };
        Ok((value, memory))
    }

    /// The memory the work added: its peak minus the resident memory when it began.
    #[must_use]
    pub fn added_bytes(&self) -> Option<u64> {
        Some(
            self.work_peak_rss_bytes?
                .saturating_sub(self.baseline_rss_bytes?),
        )
    }
}

/// The value in kB of the line starting with `key` in a `/proc/*/status` text.
fn parse_status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}

/// The CPU's model name (`model name` of `/proc/cpuinfo`), None where unknown.
#[must_use]
pub fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, name)| name.trim().to_string())
}

/// The number of threads candle's CPU kernels use: `RAYON_NUM_THREADS` if set to a
/// positive number, else the physical cores (candle-core `utils::get_num_threads`).
#[must_use]
pub fn threads() -> usize {
    candle_core::utils::get_num_threads()
}

/// `time` as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar; times before 1970
/// print as 1970-01-01 00:00 UTC).
#[must_use]
pub fn utc_date(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let (y, m, d) = civil_from_days(days);
    let minutes = (secs % 86_400) / 60;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

/// (year, month, day) of the day `z` days after 1970-01-01: H. Hinnant's
/// `civil_from_days` (<https://howardhinnant.github.io/date_algorithms.html>).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // d in 1..=31 and m in 1..=12 by construction.
    (y, m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn median_of_odd_and_even_counts_matches_python_statistics_median() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn utc_date_of_known_instants() {
        // 0 s is 1970-01-01; 951,782,400 s is 2000-02-29 (a leap day of a 400-year
        // leap year: 30 years, 7 of them leap, + 59 days = 11,016 days); 1,709,210,096 s
        // is 2024-02-29 12:34:56 UTC (`date -u -d @1709210096`).
        assert_eq!(utc_date(UNIX_EPOCH), "1970-01-01 00:00 UTC");
        assert_eq!(
            utc_date(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29 00:00 UTC"
        );
        assert_eq!(
            utc_date(UNIX_EPOCH + Duration::from_secs(1_709_210_096)),
            "2024-02-29 12:34 UTC"
        );
    }

    #[test]
    fn status_lines_are_read_in_kib() {
        let status = "Name:\tigo\nVmPeak:\t  100 kB\nVmHWM:\t  2048 kB\nVmRSS:\t 1024 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM:"), Some(2048));
        assert_eq!(parse_status_kib(status, "VmSwap:"), None);
        #[cfg(target_os = "linux")]
        assert!(peak_rss_bytes().is_some_and(|b| b > 0));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn peak_memory_of_an_allocation_is_read_around_it() {
        // Other tests of this binary allocate and free concurrently, so only the
        // relations hold exactly; `igo bench hvp-child` measures in a process of its own.
        let ((), m) = PeakMemory::of(|| -> Result<(), ()> {
            let v = vec![1u8; 16 << 20];
            std::hint::black_box(&v);
            Ok(())
        })
        .unwrap();
        let peak = m.peak_rss_bytes.unwrap();
        assert!(peak >= m.baseline_rss_bytes.unwrap());
        if let Some(work) = m.work_peak_rss_bytes {
            assert!(peak >= work && m.added_bytes().is_some());
        }
        assert_eq!(PeakMemory::default().added_bytes(), None);
    }
}
