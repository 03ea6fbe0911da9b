//! Proof tests of `theory::lemma_2_1` (see theory/src/lemma_2_1/).

use crate::proof;

proof!(
    lemma_2_1_with_replacement_holds_and_is_refuted_by_wrong_c,
    "lemma_2_1_with_replacement"
);
proof!(
    lemma_2_1_without_replacement_matches_fpc,
    "lemma_2_1_without_replacement"
);
proof!(
    lemma_2_1_epoch_shuffle_matches_fpc_per_position,
    "lemma_2_1_epoch_shuffle"
);
proof!(
    lemma_2_1_network_scaling_slope_is_minus_one,
    "lemma_2_1_network_scaling"
);
