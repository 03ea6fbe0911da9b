//! Proof tests of `theory::rastrigin` (see theory/src/rastrigin/).

use crate::proof;

proof!(explicit_go_global_basin, "explicit_go_global_basin");
