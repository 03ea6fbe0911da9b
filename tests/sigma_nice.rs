//! Proof tests of `theory::sigma_nice` (see theory/src/sigma_nice/).

use crate::proof;

proof!(theorem_4_2_chaining, "theorem_4_2_chaining");
