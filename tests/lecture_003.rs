//! Proof tests of `theory::lecture_003` (see theory/src/lecture_003/).

use crate::proof;

proof!(step_size_sums, "step_size_sums");
