//! Proof tests of `theory::definition_2_1` (see theory/src/definition_2_1/).
