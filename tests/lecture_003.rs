//! Proof tests of `theory::lecture_003` (see theory/src/lecture_003/).
