//! Proof tests of `theory::explicit_go` (see theory/src/explicit_go/).
