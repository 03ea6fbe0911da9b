//! The registry holds exactly the checks the spec asks for.

use std::collections::BTreeSet;

/// Spec ids of issue #2: C1.1–C1.5, C2.1–C2.4, C3.1, C3.4, C3.5, C4.1–C4.5, C5.1–C5.5,
/// C6.1–C6.5, C7.1–C7.3, C8.1–C8.10, C9.1–C9.10.
fn required() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let ranges: [(u32, &[u32]); 9] = [
        (1, &[1, 2, 3, 4, 5]),
        (2, &[1, 2, 3, 4]),
        (3, &[1, 4, 5]),
        (4, &[1, 2, 3, 4, 5]),
        (5, &[1, 2, 3, 4, 5]),
        (6, &[1, 2, 3, 4, 5]),
        (7, &[1, 2, 3]),
        (8, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        (9, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
    ];
    for (section, items) in ranges {
        for i in items {
            ids.insert(format!("C{section}.{i}"));
        }
    }
    ids
}

#[test]
fn every_required_spec_check_is_registered() {
    let have: BTreeSet<String> = theory::registry::all()
        .iter()
        .map(|c| c.spec_id().to_string())
        .collect();
    let missing: Vec<_> = required().difference(&have).cloned().collect();
    assert!(missing.is_empty(), "checks not yet registered: {missing:?}");
}

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

/// Every check on other root seeds (default 1, 2, 3; set `IGO_SEEDS=4,5,…` for more).
/// Statistical cases are decided at a family-wise level of about 10⁻³ per check, so
/// over many seeds an occasional false alarm is expected: seeds 1–40 gave three
/// (C1.1 seed 10, max |z| = 5.22 > 4.79; C3.1 seed 31, z = −4.00 < −3.93; C9.9 seed 40,
/// z = −3.85 < −3.76), each in a different check.
/// Run with `cargo test --test proofs -- --ignored other_seeds`.
#[test]
#[ignore = "slow: the whole suite once per seed (≈ 20 s per seed on 2 cores)"]
fn every_check_as_predicted_on_other_seeds() {
    let seeds: Vec<u64> = std::env::var("IGO_SEEDS")
        .unwrap_or_else(|_| "1,2,3".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("IGO_SEEDS: comma-separated integers")
        })
        .collect();
    for seed in seeds {
        for check in theory::registry::all() {
            let _report = crate::util::assert_check_with_seed(check.id(), numerics::Seed(seed));
        }
    }
}
