//! Helpers shared by the proof tests.

use numerics::Seed;
use std::process::{Command, Output};
use theory::{registry, Report};

// ANCHOR: assert_check
/// Runs the check `id` with seed 0 and asserts that every case behaved as the check
/// predicts (statements hold where their hypotheses hold, and are reported as not
/// holding where they are violated), and that at least one case is refuting.
pub fn assert_check(id: &str) -> Report {
    assert_check_with_seed(id, Seed(0))
}

/// [`assert_check`] with another root seed.
pub fn assert_check_with_seed(id: &str, seed: Seed) -> Report {
    let check = registry::find(id).unwrap_or_else(|e| panic!("{e}"));
    let report = check
        .run(seed)
        .unwrap_or_else(|e| panic!("check {id} could not run with {seed:?}: {e}"));
    let bad: Vec<String> = report
        .cases
        .iter()
        .filter(|c| !c.as_expected())
        .map(|c| {
            format!(
                "  {} expected {:?}, got {} (measured {:e}, reference {:e}, {}){}",
                c.name,
                c.expect,
                c.verdict,
                c.measured,
                c.reference,
                c.relation.describe(),
                c.z.map(|z| format!(" z = {z:.2}")).unwrap_or_default()
            )
        })
        .collect();
    assert!(
        bad.is_empty(),
        "check {id} ({seed:?}): cases not as predicted:\n{}",
        bad.join("\n")
    );
    assert!(
        report.has_refuting_case(),
        "check {id} has no case with a violated hypothesis"
    );
    report
}

/// One `#[test]` per check: `proof!(test_name, "check_id");`.
#[macro_export]
macro_rules! proof {
    ($name:ident, $id:literal) => {
        #[test]
        fn $name() {
            let _ = $crate::util::assert_check($id);
        }
    };
}
// ANCHOR_END: assert_check

/// Runs the `igo` binary with `args`.
pub fn igo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_igo"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("the igo binary does not run: {e}"))
}

/// Runs `igo args`, asserts that it succeeds (showing its stderr otherwise) and returns
/// its standard output.
pub fn igo_stdout(args: &[&str]) -> String {
    let out = igo(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// As [`igo_stdout`], parsing the output as JSON.
pub fn igo_json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&igo_stdout(args)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Asserts that `igo args` is rejected as a usage error (exit status 2) whose message
/// names `flag`, without a panic.
pub fn assert_usage_error(args: &[&str], flag: &str) {
    let out = igo(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(flag), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}
