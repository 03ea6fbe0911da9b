//! Progress of a set of training runs (`igo experiment`, `igo reproduce`): a bar with
//! the current run's epoch, step and loss on a terminal, one line per finished run
//! otherwise.

use experiments::experiment::{Progress, Start};
use experiments::train::{EpochPlan, EpochRecord, Observer, Status, StepProgress, Summary};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// Progress over the runs: a bar on a terminal, one line per run otherwise.
pub struct RunsProgress {
    bar: Option<ProgressBar>,
    terminal: bool,
    quiet: bool,
    total: usize,
    index: usize,
    name: String,
    epochs: usize,
}

impl RunsProgress {
    /// A progress display; `quiet` prints nothing.
    #[must_use]
    pub fn new(quiet: bool) -> Self {
        Self {
            bar: None,
            terminal: std::io::stderr().is_terminal(),
            quiet,
            total: 0,
            index: 0,
            name: String::new(),
            epochs: 0,
        }
    }

    fn message(&self, epoch: usize, extra: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{} epoch {}/{}{extra}",
                self.name, epoch, self.epochs
            ));
        }
    }
}

impl Observer for RunsProgress {
    fn started(&mut self, _first: usize, epochs: usize) {
        self.epochs = epochs;
    }
    fn epoch_started(&mut self, plan: &EpochPlan, _steps: usize) {
        self.message(plan.epoch + 1, "");
    }
    fn step(&mut self, p: &StepProgress) {
        if p.step % 20 == 0 || p.step == p.steps {
            self.message(
                p.epoch + 1,
                &format!(" step {}/{} loss {:.4}", p.step, p.steps, p.loss),
            );
        }
    }
    fn epoch_finished(&mut self, r: &EpochRecord) {
        self.message(
            r.epoch + 1,
            &format!(
                " train loss {:.4} test acc {:.2}%",
                r.train_loss,
                100.0 * r.test_accuracy
            ),
        );
    }
}

impl Progress for RunsProgress {
    fn runs_started(&mut self, total: usize) {
        self.total = total;
        if self.terminal && !self.quiet {
            let bar = ProgressBar::new(total as u64);
            let style = ProgressStyle::with_template(
                "runs [{bar:30}] {pos}/{len} {elapsed_precise} (eta {eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            self.bar = Some(bar);
        }
    }
    fn run_started(&mut self, index: usize, name: &str, _start: Start) {
        self.index = index;
        self.name = name.to_string();
        self.message(0, "");
    }
    fn run_finished(&mut self, index: usize, name: &str, s: &Summary) {
        let status = match s.status {
            Status::Finished => "finished".to_string(),
            Status::Diverged => "DIVERGED".to_string(),
            other => format!("{other:?}").to_lowercase(),
        };
        let acc = s
            .final_test_accuracy
            .map_or("–".into(), |a| format!("{:.2}%", 100.0 * a));
        let loss = s.final_train_loss.map_or("–".into(), |l| format!("{l:.4}"));
        let line = format!(
            "[{}/{}] {name}: {status}, train loss {loss}, test acc {acc}, {:.1} s",
            index + 1,
            self.total,
            s.wall_seconds
        );
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                if s.status == Status::Diverged {
                    bar.println(line);
                }
            }
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
    }
}

impl Drop for RunsProgress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
