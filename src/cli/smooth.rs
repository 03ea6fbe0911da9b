//! `igo smooth` (being built).

use super::{usage, CliError};
use clap::Args;
use std::process::ExitCode;

/// Flags of `igo smooth`.
#[derive(Debug, Args)]
pub struct SmoothArgs {}

/// Runs `igo smooth`.
pub fn run(_args: SmoothArgs) -> Result<ExitCode, CliError> {
    Err(usage("igo smooth is not built yet"))
}
