//! Every theoretical statement igo relies on, as a numerical check that can fail.
//!
//! A [`Check`] has an id (its module name), the spec id (C1.1 … C9.10 of
//! `spec/theory.md`), a one-line statement, and returns a [`Report`]: cases with
//! inputs, the measured value, the bound or reference, the relation and tolerance, and
//! a [`Verdict`]. Every check has a case whose hypothesis is violated and which must be
//! reported as not holding. Where the sources are wrong or ambiguous, the report's
//! findings say so with numbers.
//!
//! ```no_run
//! use theory::registry;
//! use numerics::Seed;
//! let check = registry::find("C1.2").unwrap();
//! let report = check.run(Seed(0)).unwrap();
//! assert!(report.all_as_expected());
//! ```

pub mod check;
pub mod error;
pub mod registry;

pub mod definition_2_1;
pub mod explicit_go;
pub mod lecture_003;
pub mod lemma_2_1;
pub mod momentum;
pub mod rastrigin;
pub mod sgd_as_smoothing;
pub mod sigma_nice;
pub mod stability;

mod support;

pub use check::{Case, Check, Expect, Relation, Report, Verdict};
pub use error::{Result, TheoryError};
