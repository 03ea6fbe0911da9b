//! Proof tests of `theory::sgd_as_smoothing` (see theory/src/sgd_as_smoothing/).

use crate::proof;

proof!(
    sgd_one_step_identity_holds_and_fixed_kernels_do_not,
    "sgd_one_step_identity"
);
proof!(
    sgd_quadratic_mean_holds_and_delta_only_spread_is_falsified,
    "sgd_quadratic_moments"
);
proof!(
    sgd_fixed_delta_escape_is_not_invariant,
    "sgd_fixed_delta_escape"
);
