//! Proof tests of `theory::sigma_nice` (see theory/src/sigma_nice/).
