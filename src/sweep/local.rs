//! Running a sweep's runs on this machine: N workers, each running one run at a time
//! as a child process `igo train config.toml --out DIR` (or `igo train --resume DIR`),
//! so that a crashing run cannot take the sweep down.
//!
//! * A run directory is locked (`flock` on `DIR/.sweep.lock`, held by the child too)
//!   while it runs: two sweeps over the same OUT never run the same run at once.
//! * On Linux each child gets SIGTERM if the sweep dies (`PR_SET_PDEATHSIG`): it stops
//!   after its current step and records itself as interrupted.
//! * [`Children::interrupt`] (the sweep's Ctrl-C / SIGTERM handler) sends SIGTERM to
//!   every running child; workers start nothing new once the stop flag is raised.
//! * With several workers each child gets `RAYON_NUM_THREADS` = cores / workers
//!   (at least 1) unless it is set already.

use super::layout::{self, Failure, RunState, FAILURE, LOCK};
use super::Sweep;
use anyhow::{Context, Result};
use experiments::train::record::{read_json, write_json, SUMMARY};
use experiments::train::{Status, Summary};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

/// Lines of a failed attempt's output kept in its [`Failure`].
const TAIL_LINES: usize = 20;

/// How an attempt at a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The run had already ended (finished or diverged): nothing was started.
    Skipped(Status),
    /// The run ended now, finished or diverged.
    Ended(Status),
    /// The run was stopped (Ctrl-C, SIGTERM): continued by the next sweep.
    Interrupted,
    /// The attempt failed; recorded in the run's `failure.json`.
    Failed(Failure),
    /// Another process holds the run's lock.
    Busy,
}

impl Outcome {
    /// True for a run that has ended (finished or diverged, now or before).
    #[must_use]
    pub fn ended(&self) -> bool {
        matches!(self, Outcome::Skipped(_) | Outcome::Ended(_))
    }
}

/// Progress of [`execute`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A worker started run `run`; `resumed` if it continues stopped records.
    Started {
        /// Run index.
        run: usize,
        /// Continued with `--resume`.
        resumed: bool,
    },
    /// Run `run` is done for this sweep.
    Done {
        /// Run index.
        run: usize,
        /// How.
        outcome: Outcome,
    },
}

/// The process ids of the running children.
#[derive(Debug, Default)]
pub struct Children(Mutex<Vec<u32>>);

impl Children {
    fn add(&self, pid: u32) {
        if let Ok(mut v) = self.0.lock() {
            v.push(pid);
        }
    }

    fn remove(&self, pid: u32) {
        if let Ok(mut v) = self.0.lock() {
            v.retain(|&p| p != pid);
        }
    }

    /// Sends SIGTERM to every running child: each stops after its current step and
    /// records itself as interrupted.
    pub fn interrupt(&self) {
        if let Ok(v) = self.0.lock() {
            for &pid in v.iter() {
                if let Ok(pid) = libc::pid_t::try_from(pid) {
                    // SAFETY: kill has no memory effects. The pid is a child we
                    // spawned; it leaves the list right after it is reaped.
                    unsafe {
                        libc::kill(pid, libc::SIGTERM);
                    }
                }
            }
        }
    }
}

/// How [`execute`] runs children.
#[derive(Debug, Clone)]
pub struct Options {
    /// The igo binary (`std::env::current_exe()`).
    pub exe: PathBuf,
    /// Parallel workers, ≥ 1.
    pub workers: usize,
    /// `RAYON_NUM_THREADS` of each child (None: inherited).
    pub threads_per_run: Option<usize>,
}

impl Options {
    /// `workers` workers of the binary `exe`, each child with cores / workers threads
    /// when `workers` > 1 and `RAYON_NUM_THREADS` is not set.
    #[must_use]
    pub fn new(exe: PathBuf, workers: usize) -> Self {
        let workers = workers.max(1);
        let threads_per_run = (workers > 1 && std::env::var_os("RAYON_NUM_THREADS").is_none())
            .then(|| {
                let cores = std::thread::available_parallelism().map_or(1, usize::from);
                (cores / workers).max(1)
            });
        Self {
            exe,
            workers,
            threads_per_run,
        }
    }
}

/// Runs every run of `sweep` that has not ended with `options.workers` workers,
/// reporting through `events` (on the calling thread), until all are done or `stop` is
/// raised. Returns the outcome of every run (`None`: not attempted, because of `stop`).
/// Call [`Sweep::check_out`] and [`Sweep::write_index`] first.
///
/// # Errors
/// Only if a worker thread cannot be started; a run's own errors are its
/// [`Outcome::Failed`].
pub fn execute(
    sweep: &Sweep,
    options: &Options,
    stop: &AtomicBool,
    children: &Children,
    mut events: impl FnMut(&Event),
) -> Result<Vec<Option<Outcome>>> {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; sweep.runs.len()];
    let mut todo = Vec::new();
    for (r, s) in sweep.states().into_iter().enumerate() {
        match s {
            RunState::Ended(status) => outcomes[r] = Some(Outcome::Skipped(status)),
            RunState::New | RunState::Stopped => todo.push(r),
        }
    }
    let next = AtomicUsize::new(0);
    let (send, receive) = mpsc::channel::<Event>();
    std::thread::scope(|scope| -> Result<()> {
        for w in 0..options.workers.min(todo.len()) {
            let send = send.clone();
            let (todo, next) = (&todo, &next);
            std::thread::Builder::new()
                .name(format!("sweep-worker-{w}"))
                .spawn_scoped(scope, move || loop {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Some(&run) = todo.get(next.fetch_add(1, Ordering::SeqCst)) else {
                        break;
                    };
                    let outcome = run_one(sweep, run, options, stop, children, &mut |e| {
                        let _ = send.send(e);
                    });
                    let _ = send.send(Event::Done { run, outcome });
                })
                .context("starting a sweep worker")?;
        }
        drop(send);
        for event in receive {
            if let Event::Done { run, outcome } = &event {
                outcomes[*run] = Some(outcome.clone());
            }
            events(&event);
        }
        Ok(())
    })?;
    Ok(outcomes)
}

/// Runs run `run` of `sweep` once (nothing if it has ended or another process runs it),
/// recording a failure in its directory. `events` gets [`Event::Started`] when a child
/// starts.
pub fn run_one(
    sweep: &Sweep,
    run: usize,
    options: &Options,
    stop: &AtomicBool,
    children: &Children,
    events: &mut dyn FnMut(Event),
) -> Outcome {
    match attempt(sweep, run, options, stop, children, events) {
        Ok(outcome) => outcome,
        Err(e) => {
            let failure = failure_of(sweep, run, format!("{e:#}"), String::new());
            let _ = write_json(&sweep.run_dir(run).join(FAILURE), &failure);
            Outcome::Failed(failure)
        }
    }
}

fn failure_of(sweep: &Sweep, run: usize, exit: String, tail: String) -> Failure {
    let entry = &sweep.index.runs[run];
    Failure {
        index: run,
        seed: entry.seed,
        dir: entry.dir.clone(),
        overrides: entry.overrides.clone(),
        exit,
        log: layout::log_file(run),
        tail,
        ended_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    }
}

fn attempt(
    sweep: &Sweep,
    run: usize,
    options: &Options,
    stop: &AtomicBool,
    children: &Children,
    events: &mut dyn FnMut(Event),
) -> Result<Outcome> {
    let dir = sweep.run_dir(run);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let Some(lock) = lock(&dir)? else {
        return Ok(Outcome::Busy);
    };
    let state = layout::state(&dir);
    let mut command = Command::new(&options.exe);
    match state {
        RunState::Ended(status) => return Ok(Outcome::Skipped(status)),
        RunState::Stopped => {
            command.arg("train").arg("--resume").arg(&dir);
        }
        RunState::New => {
            let config = sweep.write_config(&sweep.runs[run])?;
            command.arg("train").arg(config).arg("--out").arg(&dir);
        }
    }
    if let Some(t) = options.threads_per_run {
        command.env("RAYON_NUM_THREADS", t.to_string());
    }
    let log_path = sweep.out.join(layout::log_file(run));
    if let Some(parent) = log_path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    let start = log.seek(SeekFrom::End(0)).unwrap_or(0);
    writeln!(log, "=== {command:?}").with_context(|| format!("writing {}", log_path.display()))?;
    command
        .stdin(Stdio::null())
        .stdout(log.try_clone().context("log file")?)
        .stderr(log.try_clone().context("log file")?);
    child_setup(&mut command, &lock);
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", options.exe.display()))?;
    children.add(child.id());
    if stop.load(Ordering::SeqCst) {
        // Stopped between the last check and the line above: the handler missed it.
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: as in `Children::interrupt`; the child is not reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
    }
    events(Event::Started {
        run,
        resumed: state == RunState::Stopped,
    });
    let status = child.wait();
    children.remove(child.id());
    let status = status.context("waiting for igo train")?;
    drop(lock);
    let tail = tail(&log_path, start);
    match layout::state(&dir) {
        RunState::Ended(s) => {
            let _ = std::fs::remove_file(dir.join(FAILURE));
            return Ok(Outcome::Ended(s));
        }
        _ if interrupted(&dir) || stop.load(Ordering::SeqCst) => {
            return Ok(Outcome::Interrupted);
        }
        _ => {}
    }
    let failure = failure_of(sweep, run, describe(status), tail);
    write_json(&dir.join(FAILURE), &failure)?;
    Ok(Outcome::Failed(failure))
}

/// True if the run's summary says interrupted.
fn interrupted(dir: &Path) -> bool {
    read_json::<Summary>(&dir.join(SUMMARY)).is_ok_and(|s| s.status == Status::Interrupted)
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit status {c}"),
        (None, Some(s)) => format!("signal {s}"),
        _ => status.to_string(),
    }
}

/// The last [`TAIL_LINES`] lines of `path` after byte `start`.
fn tail(path: &Path, start: u64) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        if f.seek(SeekFrom::Start(start)).is_ok() {
            let mut bytes = Vec::new();
            let _ = f.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// Takes the exclusive lock of run directory `dir`, or None if another process holds
/// it.
fn lock(dir: &Path) -> Result<Option<File>> {
    use std::os::fd::AsRawFd;
    let path = dir.join(LOCK);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    // SAFETY: flock on a file descriptor we own; no memory is involved.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        return Ok(Some(file));
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(None)
    } else {
        Err(e).with_context(|| format!("locking {}", path.display()))
    }
}

/// In the child, before `exec`: keep the run's lock open (so it is held as long as the
/// child lives) and ask for SIGTERM when the parent dies.
fn child_setup(command: &mut Command, lock: &File) {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let fd = lock.as_raw_fd();
    let parent = libc::pid_t::try_from(std::process::id()).unwrap_or(0);
    // SAFETY: the closure only calls async-signal-safe functions (fcntl, prctl, getppid)
    // and allocates nothing, as `pre_exec` requires.
    unsafe {
        command.pre_exec(move || {
            if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            #[cfg(target_os = "linux")]
            {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent died before the line above: do not start an orphan.
                if libc::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
            }
            let _ = parent;
            Ok(())
        });
    }
}
