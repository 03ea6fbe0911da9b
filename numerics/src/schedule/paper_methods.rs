//! The four methods of arXiv 2311.08745 (spec §10.1): per-stage (η, b) lists, the
//! authors' one-epoch batch offset, and parameter-update counts ⌈N/b⌉ per epoch.

use super::Piecewise;
use crate::{NumericsError, Result};
use serde::{Deserialize, Serialize};

/// Model and data set of a paper experiment (spec §10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaperSetting {
    /// ResNet18 on CIFAR-100 (N = 50 000), Fig. 4.
    Resnet18Cifar100,
    /// WideResNet-28-10 on CIFAR-100 (N = 50 000), Fig. 5.
    WideResnet28x10Cifar100,
    /// ResNet34 on ImageNet (N = 1 281 167), Fig. 2.
    Resnet34Imagenet,
}

impl PaperSetting {
    /// N, the number of training examples: 50 000 (CIFAR-100) or 1 281 167 (ImageNet).
    #[must_use]
    pub fn training_size(&self) -> usize {
        match self {
            PaperSetting::Resnet18Cifar100 | PaperSetting::WideResnet28x10Cifar100 => 50_000,
            PaperSetting::Resnet34Imagenet => 1_281_167,
        }
    }

    /// "ResNet18 / CIFAR-100", ….
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            PaperSetting::Resnet18Cifar100 => "ResNet18 / CIFAR-100",
            PaperSetting::WideResnet28x10Cifar100 => "WideResNet-28-10 / CIFAR-100",
            PaperSetting::Resnet34Imagenet => "ResNet34 / ImageNet",
        }
    }
}

/// The four schedules of arXiv 2311.08745 (all plain SGD, 5 stages of 40 epochs; each
/// stage transition divides δ = ηC/√b by √2, spec §10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaperMethod {
    /// Method 1: constant η and b.
    Constant,
    /// Method 2: η ← η/√2 per stage (StepLR γ = 1/√2), b constant.
    LearningRateDecay,
    /// Method 3: η constant, b ← int(2b) per stage.
    BatchGrowth,
    /// Method 4: η ← (√3/2)η (StepLR γ = √3/2) and b ← int(1.5b) per stage.
    Hybrid,
}

impl PaperMethod {
    /// The paper's number 1–4.
    #[must_use]
    pub fn number(&self) -> u8 {
        match self {
            PaperMethod::Constant => 1,
            PaperMethod::LearningRateDecay => 2,
            PaperMethod::BatchGrowth => 3,
            PaperMethod::Hybrid => 4,
        }
    }

    /// Method from its number 1–4.
    ///
    /// # Errors
    /// Any other number.
    pub fn from_number(n: u8) -> Result<Self> {
        match n {
            1 => Ok(PaperMethod::Constant),
            2 => Ok(PaperMethod::LearningRateDecay),
            3 => Ok(PaperMethod::BatchGrowth),
            4 => Ok(PaperMethod::Hybrid),
            _ => Err(NumericsError::InvalidParameter {
                name: "paper method",
                allowed: "1, 2, 3 or 4",
                value: f64::from(n),
            }),
        }
    }
}

/// One stage of a [`StagePlan`]: its learning-rate epochs, (η, b), and parameter
/// updates Σ⌈N/b_e⌉ over its epochs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageRow {
    /// Stage number, 1-based.
    pub stage: usize,
    /// First epoch (0-based) of the stage (learning-rate boundary).
    pub first_epoch: usize,
    /// Number of epochs in the stage.
    pub epochs: usize,
    /// η of the stage.
    pub learning_rate: f64,
    /// b of the stage (with a batch offset, the stage's first `offset` epochs still use
    /// the previous stage's batch; `updates` counts them with it).
    pub batch_size: usize,
    /// Parameter updates in the stage, Σ_e ⌈N/b_e⌉.
    pub updates: usize,
    /// Updates up to and including this stage.
    pub cumulative_updates: usize,
}

/// Per-stage (η, b) of one paper method on one setting: 5 stages of 40 epochs, the
/// lists of the spec §10.1 table, optionally with the authors' one-epoch batch offset.
///
/// | setting | method 1 | method 2 | method 3 | method 4 |
/// |---|---|---|---|---|
/// | ResNet34/ImageNet | 0.1, 256 | η: 0.1·2^{−i/2}, 256 | 0.1; 32·2^i | 0.1·(√3/2)^i; 32, 48, 72, 108, 162 |
/// | ResNet18/CIFAR-100 | 0.1, 128 | same η, 128 | 0.1; 16·2^i | same; 32, 48, 72, 108, 162 |
/// | WRN-28-10/CIFAR-100 | 0.1, 128 | same η, 128 | 0.1; 8·2^i | same; 8, 12, 18, 27, 40 |
///
/// ```
/// use numerics::schedule::{PaperMethod, PaperSetting, StagePlan};
/// let plan = StagePlan::paper(PaperSetting::Resnet18Cifar100, PaperMethod::Hybrid);
/// assert_eq!(plan.total_updates(), 162_880); // spec §10.1
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagePlan {
    setting: PaperSetting,
    method: PaperMethod,
    learning_rates: Vec<f64>,
    batch_sizes: Vec<usize>,
    stage_epochs: usize,
    batch_offset: usize,
}

impl StagePlan {
    /// Stages of the paper.
    pub const STAGES: usize = 5;
    /// Epochs per stage (`decay_epoch = 40`).
    pub const STAGE_EPOCHS: usize = 40;

    /// The paper's plan for `method` on `setting`, learning-rate and batch changes
    /// aligned (no offset).
    #[must_use]
    pub fn paper(setting: PaperSetting, method: PaperMethod) -> Self {
        let r2 = std::f64::consts::SQRT_2;
        let r3 = 3f64.sqrt();
        let constant_lr = vec![0.1; Self::STAGES];
        let decay_lr = vec![0.1, 1.0 / (10.0 * r2), 0.05, 1.0 / (20.0 * r2), 0.025];
        let hybrid_lr = vec![0.1, r3 / 20.0, 0.075, 3.0 * r3 / 80.0, 0.05625];
        let base = match setting {
            PaperSetting::Resnet34Imagenet => 256,
            _ => 128,
        };
        let doubling_from = match setting {
            PaperSetting::Resnet34Imagenet => 32,
            PaperSetting::Resnet18Cifar100 => 16,
            PaperSetting::WideResnet28x10Cifar100 => 8,
        };
        let hybrid_b = match setting {
            PaperSetting::WideResnet28x10Cifar100 => vec![8, 12, 18, 27, 40],
            _ => vec![32, 48, 72, 108, 162],
        };
        let (learning_rates, batch_sizes) = match method {
            PaperMethod::Constant => (constant_lr, vec![base; Self::STAGES]),
            PaperMethod::LearningRateDecay => (decay_lr, vec![base; Self::STAGES]),
            PaperMethod::BatchGrowth => (
                constant_lr,
                (0..Self::STAGES).map(|i| doubling_from << i).collect(),
            ),
            PaperMethod::Hybrid => (hybrid_lr, hybrid_b),
        };
        Self {
            setting,
            method,
            learning_rates,
            batch_sizes,
            stage_epochs: Self::STAGE_EPOCHS,
            batch_offset: 0,
        }
    }

    /// The authors' code changes b one epoch after η (`offset` = 1): StepLR switches
    /// at epoch 40, the batch at epoch 41 (0-based).
    ///
    /// # Errors
    /// `offset` ≥ the stage length.
    pub fn with_batch_offset(mut self, offset: usize) -> Result<Self> {
        if offset >= self.stage_epochs {
            return Err(NumericsError::InvalidParameter {
                name: "batch offset (epochs)",
                allowed: "smaller than the stage length 40",
                value: offset as f64,
            });
        }
        self.batch_offset = offset;
        Ok(self)
    }

    /// The setting.
    #[must_use]
    pub fn setting(&self) -> PaperSetting {
        self.setting
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> PaperMethod {
        self.method
    }

    /// η per stage.
    #[must_use]
    pub fn learning_rates(&self) -> &[f64] {
        &self.learning_rates
    }

    /// b per stage.
    #[must_use]
    pub fn batch_sizes(&self) -> &[usize] {
        &self.batch_sizes
    }

    /// The batch offset in epochs (0 or the authors' 1).
    #[must_use]
    pub fn batch_offset(&self) -> usize {
        self.batch_offset
    }

    /// Total epochs, 5 × 40 = 200.
    #[must_use]
    pub fn epochs(&self) -> usize {
        self.stage_epochs * self.learning_rates.len()
    }

    /// η as a [`Schedule`](super::Schedule) of the epoch.
    #[must_use]
    pub fn learning_rate_schedule(&self) -> Piecewise {
        let starts = (1..self.learning_rates.len())
            .map(|i| i * self.stage_epochs)
            .collect();
        Piecewise::from_parts(self.learning_rates.clone(), starts)
    }

    /// b as a [`Schedule`](super::Schedule) of the epoch (shifted by the batch offset).
    #[must_use]
    pub fn batch_size_schedule(&self) -> Piecewise {
        let values = self.batch_sizes.iter().map(|&b| b as f64).collect();
        let starts = (1..self.batch_sizes.len())
            .map(|i| i * self.stage_epochs + self.batch_offset)
            .collect();
        Piecewise::from_parts(values, starts)
    }

    /// η at `epoch` (the last stage's η after 200 epochs).
    #[must_use]
    pub fn learning_rate(&self, epoch: usize) -> f64 {
        let i = (epoch / self.stage_epochs).min(self.learning_rates.len() - 1);
        self.learning_rates.get(i).copied().unwrap_or(f64::NAN)
    }

    /// b at `epoch`: stage i ≥ 1 starts at 40i + offset.
    #[must_use]
    pub fn batch_size(&self, epoch: usize) -> usize {
        let i = epoch
            .checked_sub(self.batch_offset)
            .map_or(0, |e| e / self.stage_epochs)
            .min(self.batch_sizes.len() - 1);
        self.batch_sizes.get(i).copied().unwrap_or(1)
    }

    /// ⌈N/b⌉ parameter updates in `epoch` (the DataLoader keeps the last partial batch).
    #[must_use]
    pub fn updates_in_epoch(&self, epoch: usize) -> usize {
        self.setting
            .training_size()
            .div_ceil(self.batch_size(epoch).max(1))
    }

    /// One row per stage: epochs, (η, b), updates and cumulative updates.
    #[must_use]
    pub fn rows(&self) -> Vec<StageRow> {
        let mut cumulative = 0;
        self.learning_rates
            .iter()
            .enumerate()
            .map(|(i, &eta)| {
                let first = i * self.stage_epochs;
                let updates = (first..first + self.stage_epochs)
                    .map(|e| self.updates_in_epoch(e))
                    .sum();
                cumulative += updates;
                StageRow {
                    stage: i + 1,
                    first_epoch: first,
                    epochs: self.stage_epochs,
                    learning_rate: eta,
                    batch_size: self.batch_sizes.get(i).copied().unwrap_or(1),
                    updates,
                    cumulative_updates: cumulative,
                }
            })
            .collect()
    }

    /// Σ over all epochs of ⌈N/b_e⌉.
    #[must_use]
    pub fn total_updates(&self) -> usize {
        (0..self.epochs()).map(|e| self.updates_in_epoch(e)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_moves_one_epoch_of_updates() {
        let plan = StagePlan::paper(PaperSetting::Resnet18Cifar100, PaperMethod::BatchGrowth)
            .with_batch_offset(1)
            .unwrap();
        assert_eq!(plan.batch_size(40), 16);
        assert_eq!(plan.batch_size(41), 32);
        let sched = plan.batch_size_schedule();
        assert!((crate::schedule::Schedule::at(&sched, 41) - 32.0).abs() < 1e-15);
        assert!(
            StagePlan::paper(PaperSetting::Resnet18Cifar100, PaperMethod::Constant)
                .with_batch_offset(40)
                .is_err()
        );
    }
}
