//! Proof tests of `theory::stability` (see theory/src/stability/).
