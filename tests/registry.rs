//! The registry holds exactly the checks the spec asks for.

use std::collections::BTreeSet;

#[test]
fn check_ids_are_unique_module_names() {
    let checks = theory::registry::all();
    let ids: BTreeSet<&str> = checks.iter().map(|c| c.id()).collect();
    assert_eq!(ids.len(), checks.len());
    for id in ids {
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{id}"
        );
    }
}
