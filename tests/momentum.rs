//! Proof tests of `theory::momentum` (see theory/src/momentum/).
