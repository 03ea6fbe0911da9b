//! `igo schedule` (being built).

use super::{usage, CliError};
use clap::Args;
use std::process::ExitCode;

/// Flags of `igo schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {}

/// Runs `igo schedule`.
pub fn run(_args: ScheduleArgs) -> Result<ExitCode, CliError> {
    Err(usage("igo schedule is not built yet"))
}
