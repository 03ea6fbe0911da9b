//! The list of every check, in spec order; `igo check --list/--id` reads it.

use crate::{Check, TheoryError};

/// Every check, grouped as in the spec (§1 … §9).
#[must_use]
pub fn all() -> Vec<Box<dyn Check>> {
    let mut checks = Vec::new();
    checks.extend(crate::definition_2_1::checks());
    checks.extend(crate::lemma_2_1::checks());
    checks.extend(crate::sgd_as_smoothing::checks());
    checks.extend(crate::sigma_nice::checks());
    checks.extend(crate::rastrigin::checks());
    checks.extend(crate::momentum::checks());
    checks.extend(crate::explicit_go::checks());
    checks.extend(crate::stability::checks());
    checks.extend(crate::lecture_003::checks());
    checks
}

/// The check whose id (module name) or spec id (e.g. `C2.1`, case-insensitive) is `key`.
///
/// # Errors
/// [`TheoryError::UnknownCheck`] if none matches.
pub fn find(key: &str) -> crate::Result<Box<dyn Check>> {
    all()
        .into_iter()
        .find(|c| c.id() == key || c.spec_id().eq_ignore_ascii_case(key))
        .ok_or_else(|| TheoryError::UnknownCheck(key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn registry_ids_are_unique() {
        let checks = all();
        let ids: HashSet<_> = checks.iter().map(|c| c.id()).collect();
        let spec: HashSet<_> = checks.iter().map(|c| c.spec_id()).collect();
        assert_eq!(ids.len(), checks.len());
        assert_eq!(spec.len(), checks.len());
    }
}
