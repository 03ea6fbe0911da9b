//! Algorithm 6 of arXiv 2412.11501 (implicit graduated optimization with momentum,
//! spec §6.3): per-epoch (η, b, β) updates so that δ_{m+1} = γ_m·δ_m.

use super::{momentum_for_amplification, momentum_root_below, PaperSetting, PolynomialDelta};
use crate::error::{check_closed, check_positive};
use crate::smoothing::{smoothing_degree, NoiseForm};
use crate::{NumericsError, Result};
use serde::{Deserialize, Serialize};

/// The optimizer whose gradient noise defines δ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Optimizer {
    /// Plain SGD: δ = ηC/√b.
    Sgd,
    /// Stochastic heavy ball (PyTorch `SGD(momentum = β)`):
    /// δ = η√(C²/b + β̂(β)(C²/b + K²)).
    Shb,
    /// Normalized heavy ball m ← βm + (1 − β)g: δ = η√(C²/b + 4β²(C²/b + K²)).
    Nshb,
}

impl Optimizer {
    /// "SGD", "SHB", "NSHB".
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Sgd => "SGD",
            Optimizer::Shb => "SHB",
            Optimizer::Nshb => "NSHB",
        }
    }
}

/// (C², K): the variance bound of one sample's gradient and the bound on the gradient
/// norm that enter δ (in the authors' code the variable `C` holds C²).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoiseConstants {
    variance_bound: f64,
    gradient_bound: f64,
}

impl NoiseConstants {
    /// C² > 0 and K ≥ 0.
    ///
    /// # Errors
    /// C² not positive or K negative/non-finite.
    pub fn new(variance_bound: f64, gradient_bound: f64) -> Result<Self> {
        check_positive("variance bound C²", variance_bound)?;
        check_closed(
            "gradient-norm bound K",
            "≥ 0 and finite",
            gradient_bound,
            0.0,
            f64::MAX,
        )?;
        Ok(Self {
            variance_bound,
            gradient_bound,
        })
    }

    /// The constants hard-coded in the authors' AAAI code (`main.py` of igo-aaai25 and
    /// sigma-nice-momentum; spec §6.3): ResNet18 SHB (25.318, 1.77), NSHB (128, 4.5);
    /// WRN-28-10 SHB (0.79, 1.66), NSHB (1, 4.262). `None` for SGD (the code has no C
    /// for it) and for ResNet34/ImageNet.
    #[must_use]
    pub fn authors(setting: PaperSetting, optimizer: Optimizer) -> Option<Self> {
        let (c2, k) = match (setting, optimizer) {
            (PaperSetting::Resnet18Cifar100, Optimizer::Shb) => (25.318, 1.77),
            (PaperSetting::Resnet18Cifar100, Optimizer::Nshb) => (128.0, 4.5),
            (PaperSetting::WideResnet28x10Cifar100, Optimizer::Shb) => (0.79, 1.66),
            (PaperSetting::WideResnet28x10Cifar100, Optimizer::Nshb) => (1.0, 4.262),
            _ => return None,
        };
        Some(Self {
            variance_bound: c2,
            gradient_bound: k,
        })
    }

    /// C².
    #[must_use]
    pub fn variance_bound(&self) -> f64 {
        self.variance_bound
    }

    /// K.
    #[must_use]
    pub fn gradient_bound(&self) -> f64 {
        self.gradient_bound
    }

    /// δ of `optimizer` at (η, b, β) with these constants ([`smoothing_degree`]; β is
    /// ignored for SGD).
    #[must_use]
    pub fn degree(&self, optimizer: Optimizer, eta: f64, b: f64, beta: f64) -> f64 {
        let k = self.gradient_bound;
        let form = match optimizer {
            Optimizer::Sgd => NoiseForm::Sgd,
            Optimizer::Shb => NoiseForm::HeavyBall { beta, k },
            Optimizer::Nshb => NoiseForm::NormalizedHeavyBall { beta, k },
        };
        smoothing_degree(eta, self.variance_bound, b, form)
    }
}

/// Which of (η, b, β) Algorithm 6 moves each epoch (the AAAI code's method names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UpdateRule {
    /// "lr-batch": b grows polynomially, η is solved from δ_{m+1} = γ_mδ_m, β fixed.
    LearningRateBatch,
    /// "beta-batch": b grows polynomially, η fixed, β is solved.
    MomentumBatch,
    /// "lr-beta": η ← η·γ_m^{1/2}, b fixed, β is solved.
    LearningRateMomentum,
}

impl UpdateRule {
    /// "lr-batch", "beta-batch", "lr-beta".
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            UpdateRule::LearningRateBatch => "lr-batch",
            UpdateRule::MomentumBatch => "beta-batch",
            UpdateRule::LearningRateMomentum => "lr-beta",
        }
    }
}

/// The intended rules, or a faithful copy of one of the authors' code bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Variant {
    /// Solve δ_{m+1} = γ_mδ_m exactly for the moved quantity: η = γδ/δ(1, b', β);
    /// SHB β = β̂⁻¹(q) (floored at 0); NSHB β = √q' (stops if β ≥ 1). The optimizer
    /// keeps its momentum buffer unless [`Algorithm6::with_momentum_reset`] is set.
    Intended,
    /// `main.py` of iiduka-researches/igo-aaai25: float batch, `int(b)` for the loader;
    /// SHB β from the cubic's largest root ≤ β (`solve_3eq`); NSHB lr-batch
    /// η_{m+1} = γ_mη_m√(b_{m+1}/b_m) (exact only if K = 0 or β = 0); NSHB β-update
    /// β_{m+1} = 1 − η_{m+1}²(1 − β_m)b_m/(γ_m²η_m²b_{m+1}); every update re-creates
    /// `optim.SGD(momentum = β)`, so the buffer is reset and an NSHB run continues as SHB.
    IgoAaai25,
    /// `main.py` of naoki-sato3/sigma-nice-momentum: as igo-aaai25 for SHB, but NSHB
    /// solves 4β²(C²/b + K²) = δ²/η² − C²/b, β-batch uses the balance table, and its
    /// NSHB lr-batch branch assigns the new optimizer to a misspelt `optimiser`, so the
    /// run keeps η₀, β₀ and its buffer.
    MomentumRepo,
}

impl Variant {
    /// "intended", "igo-aaai25", "sigma-nice-momentum".
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Variant::Intended => "intended",
            Variant::IgoAaai25 => "igo-aaai25",
            Variant::MomentumRepo => "sigma-nice-momentum",
        }
    }
}

/// The authors' `balance` exponent for polynomial batch growth, keyed by the initial
/// batch size: 16: 1.503, 32: 1.335, 64: 1.169, 128: 1.0, 256: 0.5 (igo-aaai25) or
/// 0.835421888053467 (sigma-nice-momentum), 512: 0.666666666666667, 1024: 0.5.
/// `None` for other sizes.
#[must_use]
pub fn balance(initial_batch: usize, variant: Variant) -> Option<f64> {
    Some(match initial_batch {
        16 => 1.503,
        32 => 1.335,
        64 => 1.169,
        128 => 1.0,
        256 if variant == Variant::MomentumRepo => 0.835_421_888_053_467,
        256 => 0.5,
        512 => 0.666_666_666_666_667,
        1024 => 0.5,
        _ => return None,
    })
}

/// (η, b, β) of one epoch of Algorithm 6, with δ as the algorithm computes it and as the
/// run realises it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochState {
    /// Epoch (0-based); epoch M is the state after the last update (never trained).
    pub epoch: usize,
    /// η as stored by the algorithm.
    pub learning_rate: f64,
    /// b as stored by the algorithm (a float in the code).
    pub batch_size: f64,
    /// β as stored by the algorithm.
    pub momentum: f64,
    /// The batch size the DataLoader gets: ⌊b⌋ (Python `int`).
    pub loader_batch_size: usize,
    /// η the optimizer actually runs with.
    pub run_learning_rate: f64,
    /// β the optimizer actually runs with.
    pub run_momentum: f64,
    /// The optimizer actually running (igo-aaai25 turns NSHB into SHB).
    pub run_optimizer: Optimizer,
    /// Whether the momentum buffer was reset at the start of this epoch.
    pub momentum_reset: bool,
    /// δ from the algorithm's formula with its stored (η, b, β) and optimizer.
    pub delta: f64,
    /// δ of what runs: (run η, loader b, run β) with the running optimizer's formula.
    pub realised_delta: f64,
    /// The target ratio δ_m/δ_{m−1} = γ_{m−1} (1 at epoch 0).
    pub target_ratio: f64,
}

/// Why a run of the authors' code would stop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Halt {
    /// `solve_3eq` found no real root ≤ β (the target needs a larger β): `max([])`
    /// raises.
    NoRootBelowMomentum {
        /// Epoch whose update failed.
        epoch: usize,
        /// Required β̂.
        q: f64,
        /// Current β.
        beta: f64,
    },
    /// β < 0: PyTorch's optimizer constructor raises "Invalid momentum value".
    NegativeMomentum {
        /// Epoch whose update failed.
        epoch: usize,
        /// The computed β.
        beta: f64,
    },
    /// The intended NSHB update needs β ≥ 1 (no valid momentum realises the target).
    MomentumNotBelowOne {
        /// Epoch whose update failed.
        epoch: usize,
        /// The computed β.
        beta: f64,
    },
}

impl std::fmt::Display for Halt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Halt::NoRootBelowMomentum { epoch, q, beta } => write!(
                f,
                "after epoch {epoch}: no real root of the β-cubic ≤ β = {beta:.6} (β̂ target {q:.6}); the code's max([]) raises"
            ),
            Halt::NegativeMomentum { epoch, beta } => write!(
                f,
                "after epoch {epoch}: β = {beta:.6} < 0; PyTorch rejects a negative momentum"
            ),
            Halt::MomentumNotBelowOne { epoch, beta } => {
                write!(f, "after epoch {epoch}: the target needs β = {beta:.6} ≥ 1")
            }
        }
    }
}

/// The epochs of a run of Algorithm 6 and, if the authors' code would stop, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trajectory {
    /// Epoch 0, …, M (or up to the halt).
    pub epochs: Vec<EpochState>,
    /// Set if the run stopped before epoch M.
    pub halt: Option<Halt>,
}

impl Trajectory {
    /// max_m |δ_{m+1}/δ_m − γ_m|/γ_m of the algorithm's own δ.
    #[must_use]
    pub fn max_ratio_deviation(&self) -> f64 {
        self.max_deviation(|s| s.delta)
    }

    /// max_m |δ_{m+1}/δ_m − γ_m|/γ_m of the realised δ (loader batch, running η, β and
    /// optimizer).
    #[must_use]
    pub fn max_realised_deviation(&self) -> f64 {
        self.max_deviation(|s| s.realised_delta)
    }

    fn max_deviation(&self, delta: impl Fn(&EpochState) -> f64) -> f64 {
        self.epochs
            .windows(2)
            .map(|w| {
                let ratio = delta(&w[1]) / delta(&w[0]);
                let gamma = w[1].target_ratio;
                let dev = ((ratio - gamma) / gamma).abs();
                if dev.is_nan() {
                    f64::INFINITY
                } else {
                    dev
                }
            })
            .fold(0.0, f64::max)
    }
}

/// Algorithm 6 (arXiv 2412.11501; spec §6.3): after epoch m = 0, …, M − 1 choose the
/// next (η, b, β) so that δ_{m+1} = γ_m·δ_m with the code's γ_m = ((M − m)/(M − m + 1))^p
/// ([`PolynomialDelta`], 0-based indexing), δ from [`NoiseConstants::degree`].
///
/// * lr-batch: b_{m+1} = b_m((M − m + 1)/(M − m))^{p·balance}, η_{m+1} = γ_mδ_m/δ(1, b_{m+1}, β);
/// * beta-batch: the same b, η fixed, β from β̂(β_{m+1}) = q (SHB) or 4β² = q' (NSHB), with
///   q = (γ_m²δ_m² − η²C²/b_{m+1})/(η²(C²/b_{m+1} + K²)), q' = q/4 for NSHB;
/// * lr-beta: η_{m+1} = η_m·γ_m^{1/2}, b fixed, β as above.
///
/// The code-faithful [`Variant`]s reproduce the authors' deviations from these rules.
///
/// ```
/// use numerics::schedule::{Algorithm6, NoiseConstants, Optimizer, UpdateRule, Variant};
/// let noise = NoiseConstants::new(25.318, 1.77).unwrap(); // ResNet18 SHB (authors' code)
/// let run = Algorithm6::new(Optimizer::Shb, noise, UpdateRule::LearningRateBatch,
///     Variant::IgoAaai25, 200, 0.9, 0.1, 32.0, 0.9).unwrap().run();
/// assert!(run.halt.is_none());
/// assert!(run.max_ratio_deviation() < 1e-9);   // float batch: exact
/// assert!(run.max_realised_deviation() > 1e-4); // int(b) in the loader: not exact
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Algorithm6 {
    optimizer: Optimizer,
    noise: NoiseConstants,
    rule: UpdateRule,
    variant: Variant,
    decay: PolynomialDelta,
    learning_rate: f64,
    batch_size: f64,
    momentum: f64,
    balance: f64,
    integer_batches: bool,
    momentum_reset: bool,
}

impl Algorithm6 {
    /// Algorithm 6 for `optimizer` with noise constants (C², K), update `rule`, code
    /// `variant`, M = `epochs` ≥ 1, power p > 0 and initial (η₀, b₀, β₀).
    ///
    /// The batch-growth balance defaults to the authors' choice: the table
    /// [`balance`]`(b₀)` for lr-batch (and for beta-batch in sigma-nice-momentum), 2 for
    /// beta-batch otherwise (then C²/b shrinks exactly by γ_m²).
    ///
    /// # Errors
    /// A parameter out of range (η₀ ≤ 0, b₀ < 1, β₀ ∉ [0, 1), p ≤ 0, M = 0); SGD with a
    /// β-rule; a batch rule whose b₀ has no balance in the table (use
    /// [`Algorithm6::with_balance`] after building with b₀ in the table, or
    /// [`Algorithm6::with_custom_balance`]).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        optimizer: Optimizer,
        noise: NoiseConstants,
        rule: UpdateRule,
        variant: Variant,
        epochs: usize,
        power: f64,
        learning_rate: f64,
        batch_size: f64,
        momentum: f64,
    ) -> Result<Self> {
        let mut this = Self::with_custom_balance(
            optimizer,
            noise,
            rule,
            variant,
            epochs,
            power,
            learning_rate,
            batch_size,
            momentum,
            1.0,
        )?;
        let table = if batch_size.fract() == 0.0 && batch_size <= 1024.0 {
            balance(batch_size as usize, variant)
        } else {
            None
        };
        this.balance = match rule {
            UpdateRule::LearningRateMomentum => 1.0,
            UpdateRule::MomentumBatch if variant != Variant::MomentumRepo => 2.0,
            _ => table.ok_or(NumericsError::InvalidParameter {
                name: "initial batch size b₀ (no balance in the authors' table; give one)",
                allowed: "16, 32, 64, 128, 256, 512 or 1024",
                value: batch_size,
            })?,
        };
        Ok(this)
    }

    /// As [`Algorithm6::new`] with an explicit batch-growth balance > 0.
    ///
    /// # Errors
    /// As [`Algorithm6::new`], except the balance table.
    #[allow(clippy::too_many_arguments)]
    pub fn with_custom_balance(
        optimizer: Optimizer,
        noise: NoiseConstants,
        rule: UpdateRule,
        variant: Variant,
        epochs: usize,
        power: f64,
        learning_rate: f64,
        batch_size: f64,
        momentum: f64,
        balance: f64,
    ) -> Result<Self> {
        let decay = PolynomialDelta::new(1.0, epochs, power)?;
        check_positive("initial learning rate η₀", learning_rate)?;
        check_closed(
            "initial batch size b₀",
            "≥ 1 and finite",
            batch_size,
            1.0,
            f64::MAX,
        )?;
        check_closed(
            "momentum β₀",
            "in [0, 1)",
            momentum,
            0.0,
            1.0 - f64::EPSILON,
        )?;
        check_positive("balance", balance)?;
        if optimizer == Optimizer::Sgd && rule != UpdateRule::LearningRateBatch {
            return Err(NumericsError::Other(format!(
                "the {} rule moves β, which SGD does not have; use lr-batch",
                rule.name()
            )));
        }
        let momentum = if optimizer == Optimizer::Sgd {
            0.0
        } else {
            momentum
        };
        Ok(Self {
            optimizer,
            noise,
            rule,
            variant,
            decay,
            learning_rate,
            batch_size,
            momentum,
            balance,
            integer_batches: false,
            momentum_reset: variant != Variant::Intended,
        })
    }

    /// Replaces the batch-growth balance (> 0).
    ///
    /// # Errors
    /// A non-positive balance.
    pub fn with_balance(mut self, balance: f64) -> Result<Self> {
        self.balance = check_positive("balance", balance)?;
        Ok(self)
    }

    /// Intended variant only: use ⌊b⌋ in the δ formulas too, so that the update is
    /// exact for the batch the loader really uses (ignored by the code variants, which
    /// always compute with the float b).
    #[must_use]
    pub fn with_integer_batches(mut self, on: bool) -> Self {
        self.integer_batches = on;
        self
    }

    /// Whether the momentum buffer is reset every epoch (the authors' code re-creates
    /// the optimizer; default: on for code variants, off for the intended rules).
    #[must_use]
    pub fn with_momentum_reset(mut self, on: bool) -> Self {
        self.momentum_reset = on;
        self
    }

    /// The balance used for batch growth.
    #[must_use]
    pub fn balance(&self) -> f64 {
        self.balance
    }

    /// The δ schedule (γ_m).
    #[must_use]
    pub fn decay(&self) -> PolynomialDelta {
        self.decay
    }

    /// The batch the algorithm's δ formula uses.
    fn formula_batch(&self, b: f64) -> f64 {
        if self.variant == Variant::Intended && self.integer_batches {
            b.floor().max(1.0)
        } else {
            b
        }
    }

    fn degree(&self, optimizer: Optimizer, eta: f64, b: f64, beta: f64) -> f64 {
        self.noise.degree(optimizer, eta, b, beta)
    }

    /// Whether this run's optimizer object is replaced after each epoch.
    fn replaces_optimizer(&self) -> bool {
        !(self.variant == Variant::MomentumRepo
            && self.optimizer == Optimizer::Nshb
            && self.rule == UpdateRule::LearningRateBatch)
    }

    fn state(
        &self,
        epoch: usize,
        (eta, b, beta): (f64, f64, f64),
        target_ratio: f64,
    ) -> EpochState {
        let loader = b.floor().max(1.0);
        let (run_eta, run_beta, run_opt) = if epoch == 0 || !self.replaces_optimizer() {
            (self.learning_rate, self.momentum, self.optimizer)
        } else {
            let opt = if self.variant == Variant::IgoAaai25 && self.optimizer == Optimizer::Nshb {
                Optimizer::Shb
            } else {
                self.optimizer
            };
            (eta, beta, opt)
        };
        EpochState {
            epoch,
            learning_rate: eta,
            batch_size: b,
            momentum: beta,
            loader_batch_size: loader as usize,
            run_learning_rate: run_eta,
            run_momentum: run_beta,
            run_optimizer: run_opt,
            momentum_reset: epoch > 0 && self.momentum_reset && self.replaces_optimizer(),
            delta: self.degree(self.optimizer, eta, self.formula_batch(b), beta),
            realised_delta: self.degree(run_opt, run_eta, loader, run_beta),
            target_ratio,
        }
    }

    /// One update after epoch m: (η, b, β) → (η', b', β').
    fn update(
        &self,
        m: usize,
        (eta, b, beta): (f64, f64, f64),
    ) -> std::result::Result<(f64, f64, f64), Halt> {
        let big_m = self.decay.stages() as f64;
        let mf = m as f64;
        let gamma = self.decay.decay_factor(m);
        let p = self.decay.power();
        let c2 = self.noise.variance_bound();
        let k2 = self.noise.gradient_bound().powi(2);
        let delta = self.degree(self.optimizer, eta, self.formula_batch(b), beta);
        let grown = b * ((big_m - mf + 1.0) / (big_m - mf)).powf(p * self.balance);
        let (eta_next, b_next) = match self.rule {
            UpdateRule::LearningRateBatch => {
                let eta_next =
                    if self.optimizer == Optimizer::Nshb && self.variant == Variant::IgoAaai25 {
                        gamma * eta * (grown / b).sqrt()
                    } else {
                        gamma * delta
                            / self.degree(self.optimizer, 1.0, self.formula_batch(grown), beta)
                    };
                return Ok((eta_next, grown, beta));
            }
            UpdateRule::MomentumBatch => (eta, grown),
            UpdateRule::LearningRateMomentum => (eta * gamma.sqrt(), b),
        };
        let v = c2 / self.formula_batch(b_next);
        let target = gamma * gamma * delta * delta;
        let beta_next = match (self.optimizer, self.variant) {
            (Optimizer::Shb, Variant::Intended) => momentum_for_amplification(
                (target - eta_next * eta_next * v) / (eta_next * eta_next * (v + k2)),
            ),
            (Optimizer::Shb, _) => {
                let q = (target - eta_next * eta_next * v) / (eta_next * eta_next * (v + k2));
                momentum_root_below(q, beta).ok_or(Halt::NoRootBelowMomentum {
                    epoch: m,
                    q,
                    beta,
                })?
            }
            (Optimizer::Nshb, Variant::IgoAaai25) => {
                let next = 1.0
                    - eta_next * eta_next * (1.0 - beta) * b / (gamma * gamma * eta * eta * b_next);
                if next < 0.0 {
                    return Err(Halt::NegativeMomentum {
                        epoch: m,
                        beta: next,
                    });
                }
                next
            }
            (Optimizer::Nshb, _) => {
                let q = (target - eta_next * eta_next * v) / (4.0 * eta_next * eta_next * (v + k2));
                let next = q.max(0.0).sqrt();
                if self.variant == Variant::Intended && next >= 1.0 {
                    return Err(Halt::MomentumNotBelowOne {
                        epoch: m,
                        beta: next,
                    });
                }
                next
            }
            (Optimizer::Sgd, _) => beta,
        };
        Ok((eta_next, b_next, beta_next))
    }

    /// Runs the M updates: epochs 0, …, M (epoch M is the state after the last update,
    /// which the code computes but never trains with), or up to the point where the
    /// authors' code would stop.
    #[must_use]
    pub fn run(&self) -> Trajectory {
        let mut current = (self.learning_rate, self.batch_size, self.momentum);
        let mut epochs = vec![self.state(0, current, 1.0)];
        let mut halt = None;
        for m in 0..self.decay.stages() {
            match self.update(m, current) {
                Ok(next) => {
                    current = next;
                    epochs.push(self.state(m + 1, current, self.decay.decay_factor(m)));
                }
                Err(h) => {
                    halt = Some(h);
                    break;
                }
            }
        }
        Trajectory { epochs, halt }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resnet18(optimizer: Optimizer) -> NoiseConstants {
        NoiseConstants::authors(PaperSetting::Resnet18Cifar100, optimizer).unwrap()
    }

    #[test]
    fn shb_rules_realise_the_schedule_with_float_batches() {
        for rule in [UpdateRule::LearningRateBatch, UpdateRule::MomentumBatch] {
            for variant in [Variant::Intended, Variant::IgoAaai25] {
                let run = Algorithm6::new(
                    Optimizer::Shb,
                    resnet18(Optimizer::Shb),
                    rule,
                    variant,
                    200,
                    0.9,
                    0.1,
                    32.0,
                    0.9,
                )
                .unwrap()
                .run();
                assert!(run.halt.is_none(), "{rule:?} {variant:?}: {:?}", run.halt);
                assert_eq!(run.epochs.len(), 201);
                assert!(
                    run.max_ratio_deviation() < 1e-9,
                    "{rule:?} {variant:?}: {}",
                    run.max_ratio_deviation()
                );
            }
        }
    }

    #[test]
    fn igo_nshb_runs_as_shb_after_the_first_epoch() {
        let run = Algorithm6::new(
            Optimizer::Nshb,
            resnet18(Optimizer::Nshb),
            UpdateRule::LearningRateBatch,
            Variant::IgoAaai25,
            200,
            0.9,
            0.1,
            32.0,
            0.9,
        )
        .unwrap()
        .run();
        assert_eq!(run.epochs[0].run_optimizer, Optimizer::Nshb);
        assert_eq!(run.epochs[1].run_optimizer, Optimizer::Shb);
        assert!(run.epochs[1].momentum_reset);
        // The approximation η' = γη√(b'/b) ignores K: the δ ratio is not γ.
        assert!(run.max_ratio_deviation() > 1e-6);
    }

    #[test]
    fn invalid_settings_are_rejected() {
        let n = resnet18(Optimizer::Shb);
        let build = |opt, rule, b: f64, beta: f64| {
            Algorithm6::new(opt, n, rule, Variant::Intended, 200, 0.9, 0.1, b, beta)
        };
        assert!(build(Optimizer::Sgd, UpdateRule::MomentumBatch, 32.0, 0.0).is_err());
        assert!(build(Optimizer::Shb, UpdateRule::LearningRateBatch, 33.0, 0.9).is_err());
        assert!(build(Optimizer::Shb, UpdateRule::LearningRateMomentum, 33.0, 0.9).is_ok());
        assert!(build(Optimizer::Shb, UpdateRule::LearningRateBatch, 32.0, 1.0).is_err());
        assert!(NoiseConstants::new(0.0, 1.0).is_err());
    }
}
