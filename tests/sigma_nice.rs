//! Proof tests of `theory::sigma_nice` (see theory/src/sigma_nice/).

use crate::proof;

proof!(
    centering_path_logistic_fails_under_giso_only,
    "centering_path_logistic"
);
