//! The degree of smoothing δ induced by stochastic-gradient noise (spec §3, §6.3).

use serde::{Deserialize, Serialize};

/// Which optimizer's noise is being turned into a smoothing degree.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum NoiseForm {
    /// Plain SGD: δ = ηC/√b.
    Sgd,
    /// Stochastic heavy ball m ← βm + g, x ← x − ηm:
    /// δ = η√(C²/b + β̂(β)(C²/b + K²)).
    HeavyBall {
        /// Momentum factor β ∈ [0, 1).
        beta: f64,
        /// Bound K on the gradient norm.
        k: f64,
    },
    /// Normalized heavy ball m ← βm + (1 − β)g, x ← x − ηm:
    /// δ = η√(C²/b + 4β²(C²/b + K²)).
    NormalizedHeavyBall {
        /// Momentum factor β ∈ [0, 1).
        beta: f64,
        /// Bound K on the gradient norm.
        k: f64,
    },
}

/// β̂(β) = β(β² − β + 1)/(1 − β)², the momentum amplification of the SHB noise
/// (authors' code, igo-aaai25 `main.py`). β̂(0.5) = 1.5, β̂(0.9) = 81.9.
#[must_use]
pub fn beta_hat(beta: f64) -> f64 {
    beta * (beta * beta - beta + 1.0) / ((1.0 - beta) * (1.0 - beta))
}

/// Degree of smoothing δ for learning rate η, per-sample gradient variance bound C²
/// and batch size b.
///
/// * SGD: δ = ηC/√b (Sato & Iiduka, arXiv 2311.08745);
/// * SHB: δ = η√(C²/b + β̂(β)(C²/b + K²));
/// * NSHB: δ = η√(C²/b + 4β²(C²/b + K²)) (arXiv 2412.11501 code).
///
/// At β = 0 both momentum forms reduce to ηC/√b.
///
/// ```
/// use numerics::smoothing::{smoothing_degree, NoiseForm};
/// // η = 0.1, C² = 4, b = 16: δ = 0.1·2/4 = 0.05.
/// assert!((smoothing_degree(0.1, 4.0, 16.0, NoiseForm::Sgd) - 0.05).abs() < 1e-15);
/// ```
///
/// * `eta` = η, the learning rate;
/// * `c2` = C², the variance bound of one sample's gradient;
/// * `b` = the batch size (a real number, so that float batch schedules can be studied).
#[must_use]
pub fn smoothing_degree(eta: f64, c2: f64, b: f64, form: NoiseForm) -> f64 {
    let v = c2 / b;
    match form {
        NoiseForm::Sgd => eta * v.sqrt(),
        NoiseForm::HeavyBall { beta, k } => eta * (v + beta_hat(beta) * (v + k * k)).sqrt(),
        NoiseForm::NormalizedHeavyBall { beta, k } => {
            eta * (v + 4.0 * beta * beta * (v + k * k)).sqrt()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn momentum_degrees_match_the_spec_table() {
        // Spec §6.3 table (ResNet18 constants of the authors' code): η = 0.1, b = 128, β = 0.9.
        let shb = smoothing_degree(
            0.1,
            25.318,
            128.0,
            NoiseForm::HeavyBall { beta: 0.9, k: 1.77 },
        );
        let nshb = smoothing_degree(
            0.1,
            128.0,
            128.0,
            NoiseForm::NormalizedHeavyBall { beta: 0.9, k: 4.5 },
        );
        assert_relative_eq!(shb, 1.652, max_relative = 1e-3);
        assert_relative_eq!(nshb, 0.836, max_relative = 1e-3);
        assert_relative_eq!(beta_hat(0.5), 1.5, max_relative = 1e-15);
        assert_relative_eq!(beta_hat(0.9), 81.9, max_relative = 1e-12);
    }

    #[test]
    fn momentum_degrees_reduce_to_sgd_at_zero_beta() {
        let sgd = smoothing_degree(0.3, 2.0, 8.0, NoiseForm::Sgd);
        for form in [
            NoiseForm::HeavyBall { beta: 0.0, k: 5.0 },
            NoiseForm::NormalizedHeavyBall { beta: 0.0, k: 5.0 },
        ] {
            assert_relative_eq!(
                smoothing_degree(0.3, 2.0, 8.0, form),
                sgd,
                max_relative = 1e-15
            );
        }
    }
}
