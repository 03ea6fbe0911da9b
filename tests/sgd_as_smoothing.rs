//! Proof tests of `theory::sgd_as_smoothing` (see theory/src/sgd_as_smoothing/).
