//! The per-epoch settings of a run: η, b, β, the optimizer and momentum resets, as
//! computed once from the config ([`super::RunConfig::plan`]) before training starts.

use crate::optimizer::OptimizerKind;
use serde::{Deserialize, Serialize};

/// What epoch `epoch` trains with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochPlan {
    /// Epoch, 0-based.
    pub epoch: usize,
    /// η.
    pub learning_rate: f64,
    /// b given to the loader: ⌊b⌋ of the schedule's value.
    pub batch_size: usize,
    /// The schedule's b before truncation.
    pub batch_size_value: f64,
    /// β.
    pub momentum: f64,
    /// The momentum method.
    pub kind: OptimizerKind,
    /// Whether the momentum buffers are reset to 0 before this epoch (Algorithm 6 as
    /// the authors' code runs it re-creates the optimizer every epoch).
    pub reset_momentum: bool,
}

impl EpochPlan {
    /// ⌈N/b⌉: parameter updates in this epoch on N training examples (the last batch
    /// is smaller when b ∤ N).
    #[must_use]
    pub fn updates(&self, n: usize) -> usize {
        n.div_ceil(self.batch_size.max(1))
    }
}
