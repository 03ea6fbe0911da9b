//! C7.x — explicit graduated optimization (arXiv 2412.11501, Algorithm 1; spec §7).

use crate::Check;

pub mod ego_delta_schedule;
pub mod ego_rastrigin_comparison;
pub mod ego_schedule_ablation;
pub(crate) mod runs;

/// Every check of this group, in spec order.
#[must_use]
pub fn checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(ego_delta_schedule::EgoDeltaSchedule),
        Box::new(ego_rastrigin_comparison::EgoRastriginComparison),
        Box::new(ego_schedule_ablation::EgoScheduleAblation),
    ]
}
