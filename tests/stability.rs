//! Proof tests of `theory::stability` (see theory/src/stability/).

use crate::proof;

proof!(
    gd_stability_holds_and_slide_criterion_is_refuted,
    "gd_stability"
);
proof!(
    sgd_linear_stability_wu_is_sufficient_not_necessary,
    "sgd_linear_stability"
);
proof!(
    linearised_sgd_simulation_slope_matches_log_rho,
    "linearised_sgd_simulation"
);
proof!(
    nonlinear_stability_matches_rho_at_the_minimum,
    "nonlinear_stability"
);
proof!(
    slide_scalar_formula_is_reported_wrong,
    "slide_scalar_formula"
);
proof!(r_identity_exact_algebra, "r_identity");
proof!(
    r_identity_monte_carlo_gaussian_and_rademacher,
    "r_identity_monte_carlo"
);
proof!(
    r_identity_state_dependent_least_squares,
    "r_identity_state_dependent"
);
proof!(sam_two_cycle_not_the_minimiser, "sam_two_cycle");
proof!(
    sam_objective_trust_region_and_first_order_direction,
    "sam_objective"
);
