//! `igo check`: run the theory checks.

use super::{usage, CliError};
use clap::Args;
use numerics::Seed;
use std::io::Write;
use std::process::ExitCode;
use theory::{registry, Check, Report};

/// Flags of `igo check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Run only this check (module id such as `lemma_2_1_with_replacement`, or spec id
    /// such as `C2.1`); repeatable.
    #[arg(long = "id", value_name = "ID")]
    ids: Vec<String>,
    /// List the checks (id, spec id, statement) and exit.
    #[arg(long)]
    list: bool,
    /// Root seed of every random stream (reported with the results).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print the reports as a JSON array on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Also print every case and finding.
    #[arg(long, short)]
    verbose: bool,
    /// Number of checks run in parallel (default: available cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
}

fn selected(ids: &[String]) -> Result<Vec<Box<dyn Check>>, CliError> {
    if ids.is_empty() {
        return Ok(registry::all());
    }
    ids.iter()
        .map(|id| registry::find(id).map_err(|e| usage(e.to_string())))
        .collect()
}

/// Runs `igo check`.
pub fn run(args: CheckArgs) -> Result<ExitCode, CliError> {
    let checks = selected(&args.ids)?;
    if args.list {
        let mut out = std::io::stdout().lock();
        for c in &checks {
            writeln!(out, "{:<6} {:<38} {}", c.spec_id(), c.id(), c.statement())
                .map_err(anyhow::Error::from)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let jobs = match args.jobs {
        Some(0) => return Err(usage("--jobs must be at least 1")),
        Some(j) => j,
        None => igo::checks::default_jobs(),
    };
    let seed = Seed(args.seed);
    let results = igo::checks::run_checks(&checks, seed, jobs, false);
    let mut all_ok = true;
    let mut reports = Vec::new();
    let mut out = std::io::stdout().lock();
    if !args.json {
        writeln!(
            out,
            "{:<6} {:<38} {:>7} {:<12} {:>7}  statement",
            "spec", "id", "cases", "verdict", "seconds"
        )
        .map_err(anyhow::Error::from)?;
    }
    for (check, result) in checks.iter().zip(results) {
        match result {
            Ok(report) => {
                all_ok &= report.all_as_expected();
                if !args.json {
                    print_row(&mut out, &report, args.verbose).map_err(anyhow::Error::from)?;
                }
                reports.push(report);
            }
            Err(e) => {
                all_ok = false;
                eprintln!("error: check {} could not run: {e}", check.id());
            }
        }
    }
    if args.json {
        serde_json::to_writer_pretty(&mut out, &reports).map_err(anyhow::Error::from)?;
        writeln!(out).map_err(anyhow::Error::from)?;
    } else {
        let n_cases: usize = reports.iter().map(|r| r.cases.len()).sum();
        let n_ok: usize = reports.iter().map(Report::cases_as_expected).sum();
        let refuting: usize = reports
            .iter()
            .flat_map(|r| &r.cases)
            .filter(|c| c.expect == theory::Expect::Violated)
            .count();
        writeln!(
            out,
            "\n{} checks, {n_ok}/{n_cases} cases as predicted ({refuting} refuting cases), seed {seed}: {}",
            reports.len(),
            if all_ok { "ALL AS PREDICTED" } else { "SOME CHECKS DID NOT BEHAVE AS PREDICTED" }
        )
        .map_err(anyhow::Error::from)?;
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_row(out: &mut impl Write, r: &Report, verbose: bool) -> std::io::Result<()> {
    let statement: String = r.statement.chars().take(90).collect();
    writeln!(
        out,
        "{:<6} {:<38} {:>7} {:<12} {:>7.2}  {}",
        r.spec_id,
        r.id,
        format!("{}/{}", r.cases_as_expected(), r.cases.len()),
        r.summary().as_str(),
        r.seconds,
        statement
    )?;
    if verbose || !r.all_as_expected() {
        for c in &r.cases {
            let flag = if c.as_expected() { " " } else { "!" };
            writeln!(
                out,
                "   {flag} {:<12} expect {:<9} measured {:<12.6e} {} {:<12.6e} {}{}",
                c.verdict.as_str(),
                format!("{:?}", c.expect).to_lowercase(),
                c.measured,
                c.relation.describe(),
                c.reference,
                c.name,
                c.z.map(|z| format!(" (z = {z:.2})")).unwrap_or_default()
            )?;
        }
        for f in &r.findings {
            writeln!(out, "   finding: {f}")?;
        }
    }
    Ok(())
}
