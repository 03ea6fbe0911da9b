//! Proof tests of `theory::lemma_2_1` (see theory/src/lemma_2_1/).
