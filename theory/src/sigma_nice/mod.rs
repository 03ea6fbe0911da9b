//! C4.x — σ-nice / σ_m-nice functions and the convergence of implicit graduated optimization (spec §4).

use crate::Check;

pub mod centering_path_logistic;
pub mod least_squares_sigma_nice;
pub mod theorem_4_1_surrogate_rate;
pub mod theorem_4_2_chaining;
pub mod theorem_4_2_rounds;
pub mod trajectory;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(theorem_4_1_surrogate_rate::Theorem41SurrogateRate),
        Box::new(theorem_4_2_chaining::Theorem42Chaining),
        Box::new(theorem_4_2_rounds::Theorem42Rounds),
        Box::new(centering_path_logistic::CenteringPathLogistic),
        Box::new(least_squares_sigma_nice::LeastSquaresSigmaNice),
    ]
}
