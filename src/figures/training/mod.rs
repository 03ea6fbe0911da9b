//! Figures of schedules, of lecture 003's least-squares experiments and of the training
//! experiments' records.
//!
//! * computed by library functions ([`Source::Theory`]): [`delta_per_stage`],
//!   [`noise_ball`], [`step_size_rules`];
//! * read from the records of `igo experiment NAME --out DIR/NAME`
//!   ([`Source::Experiment`], via [`records`]): [`sharpness_vs_delta`],
//!   [`accuracy_vs_delta`], [`methods_curves`], [`poly_power_loss`],
//!   [`explicit_go_curves`]. Without the records they fail with a
//!   [`records::MissingRecords`] that names the directory and the command.

pub mod accuracy_vs_delta;
pub mod delta_per_stage;
pub mod explicit_go_curves;
pub mod methods_curves;
pub mod noise_ball;
pub mod poly_power_loss;
pub mod records;
pub mod sharpness_vs_delta;
pub mod step_size_rules;

use super::{Entry, Source};

/// The schedule, least-squares and training figures.
#[must_use]
pub fn entries() -> Vec<Entry> {
    vec![
        Entry {
            name: "delta_per_stage",
            about: "δ = ηC/√b per stage of the four methods (vs epochs and updates) and of polynomial schedules",
            claims: &["C6.1", "C6.2"],
            source: Source::Theory,
            make: delta_per_stage::figure,
        },
        Entry {
            name: "noise_ball",
            about: "constant-step SGD noise floor tr P(γ); under- vs over-parameterised least squares",
            claims: &["C9.1", "C9.8", "C9.9", "C9.10"],
            source: Source::Theory,
            make: noise_ball::figure,
        },
        Entry {
            name: "step_size_rules",
            about: "lecture-003 step-size rules R1–R4 under huge gradients; partial-sum ratio",
            claims: &["C9.3", "C9.4"],
            source: Source::Theory,
            make: step_size_rules::figure,
        },
        Entry {
            name: "sharpness_vs_delta",
            about: "final sharpness (ℓ∞ worst case, λ_max) vs δ, one point per run, shaded by b",
            claims: &["P1"],
            source: Source::Experiment(sharpness_vs_delta::EXPERIMENT),
            make: sharpness_vs_delta::figure,
        },
        Entry {
            name: "accuracy_vs_delta",
            about: "final test accuracy and train loss vs δ, one point per run, shaded by b",
            claims: &["P2"],
            source: Source::Experiment(sharpness_vs_delta::EXPERIMENT),
            make: accuracy_vs_delta::figure,
        },
        Entry {
            name: "methods_curves",
            about: "train loss and test accuracy of methods 1–4 vs epochs and vs parameter updates",
            claims: &["P4", "P5"],
            source: Source::Experiment(methods_curves::EXPERIMENT),
            make: methods_curves::figure,
        },
        Entry {
            name: "poly_power_loss",
            about: "training loss vs polynomial power p (AAAI Fig. 6 analogue)",
            claims: &["P7"],
            source: Source::Experiment(poly_power_loss::EXPERIMENT),
            make: poly_power_loss::figure,
        },
        Entry {
            name: "explicit_go_curves",
            about: "explicit graduated optimization vs plain SGD: loss and accuracy per epoch",
            claims: &["P8"],
            source: Source::Experiment(explicit_go_curves::EXPERIMENT),
            make: explicit_go_curves::figure,
        },
    ]
}
