//! One experiment of a reproduction plan: which experiment, with which settings, into
//! which directory, and the `igo experiment …` command that does exactly the same.

use experiments::experiment::{
    explicit_go, methods, poly_power, sharpness_vs_delta, Common, Context, Outcome,
};
use std::fmt::Write as _;
use std::path::Path;

/// An experiment with its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// P1/P2: constant-(η, b) sweep.
    SharpnessVsDelta(sharpness_vs_delta::Options),
    /// P4/P5: the four methods.
    Methods(methods::Options),
    /// P7: polynomial decay over p.
    PolyPower(poly_power::Options),
    /// P8: explicit graduated optimization.
    ExplicitGo(explicit_go::Options),
}

fn list<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter().map(T::to_string).collect::<Vec<_>>().join(",")
}

impl Job {
    /// The experiment's name (`igo experiment NAME`, and its directory name).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Job::SharpnessVsDelta(_) => "sharpness-vs-delta",
            Job::Methods(_) => "methods",
            Job::PolyPower(_) => "poly-power",
            Job::ExplicitGo(_) => "explicit-go",
        }
    }

    /// The shared settings.
    #[must_use]
    pub fn common(&self) -> &Common {
        match self {
            Job::SharpnessVsDelta(o) => &o.common,
            Job::Methods(o) => &o.common,
            Job::PolyPower(o) => &o.common,
            Job::ExplicitGo(o) => &o.common,
        }
    }

    /// Sets the command line its report names (empty: [`Job::command`]).
    pub fn set_command(&mut self, command: &str) {
        self.common_mut().command = command.to_string();
    }

    fn common_mut(&mut self) -> &mut Common {
        match self {
            Job::SharpnessVsDelta(o) => &mut o.common,
            Job::Methods(o) => &mut o.common,
            Job::PolyPower(o) => &mut o.common,
            Job::ExplicitGo(o) => &mut o.common,
        }
    }

    /// The experiment directory.
    #[must_use]
    pub fn out(&self) -> &Path {
        &self.common().out
    }

    /// The `igo experiment …` command line that runs exactly this experiment (same
    /// settings, same directory): re-running it continues or re-reports it.
    #[must_use]
    pub fn command(&self) -> String {
        let c = self.common();
        let mut s = format!(
            "igo experiment {} --out {} --seeds {} --model {} --data {} --device {} --c2-subset {}",
            self.name(),
            shell_quote(&c.out.display().to_string()),
            list(&c.seeds),
            c.model,
            shell_quote(&c.data.to_string()),
            c.device,
            c.c2_subset
        );
        if !c.augmentation.is_identity() {
            s.push_str(" --augment");
        }
        let _ = match self {
            Job::SharpnessVsDelta(o) => write!(
                s,
                " --lr {} --batch {} --epochs {} --rho {}{}",
                list(&o.learning_rates),
                list(&o.batch_sizes),
                o.epochs,
                o.sharpness_rho,
                if o.lambda_max { "" } else { " --no-lambda-max" }
            ),
            Job::Methods(o) => write!(
                s,
                " --stage-epochs {} --setting {}",
                o.stage_epochs,
                methods::setting_name(o.setting)
            ),
            Job::PolyPower(o) => write!(
                s,
                " --powers {} --epochs {} --lr {} --momentum {} --batch {}",
                list(&o.powers),
                o.epochs,
                o.learning_rate,
                o.momentum,
                o.batch_size
            ),
            Job::ExplicitGo(o) => write!(
                s,
                " --stages {} --stage-epochs {} --samples {} --delta0 {} --lr {} --batch {}",
                o.stages, o.stage_epochs, o.samples, o.delta0, o.learning_rate, o.batch_size
            ),
        };
        s
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// The experiment's configuration error, naming the flag.
    pub fn validate(&self) -> experiments::Result<()> {
        match self {
            Job::SharpnessVsDelta(o) => o.validate(),
            Job::Methods(o) => o.validate(),
            Job::PolyPower(o) => o.validate(),
            Job::ExplicitGo(o) => o.validate(),
        }
    }

    /// Runs the experiment (finished runs are skipped, stopped ones continued), its
    /// report stamped with the command in its settings, or [`Job::command`] when none.
    ///
    /// # Errors
    /// A run that failed, or a configuration error.
    pub fn run(&self, cx: Context<'_>) -> experiments::Result<Outcome> {
        let mut job = self.clone();
        if job.common().command.is_empty() {
            job.common_mut().command = self.command();
        }
        match &job {
            Job::SharpnessVsDelta(o) => sharpness_vs_delta::run(o, cx),
            Job::Methods(o) => methods::run(o, cx),
            Job::PolyPower(o) => poly_power::run(o, cx),
            Job::ExplicitGo(o) => explicit_go::run(o, cx),
        }
    }
}

/// `s` quoted for a POSIX shell when it holds anything but safe characters.
#[must_use]
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
