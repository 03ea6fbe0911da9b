//! Proof tests of `theory::rastrigin` (see theory/src/rastrigin/).
