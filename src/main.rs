//! `igo`: run the proof checks, evaluate smoothed functions, print δ schedules.
//!
//! Exit status: 0 on success; 1 when a check did not behave as predicted or a run
//! failed; 2 for a bad flag or value.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread or tensor exists (see its docs): heap reuse, one thread pool.
    let _ = experiments::runtime::configure_cpu();
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors exit 2.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(e.exit_code())
        }
    }
}
