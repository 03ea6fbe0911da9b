//! Proof tests of `theory::stability` (see theory/src/stability/).

use crate::proof;

proof!(gd_stability_holds_and_slide_criterion_is_refuted, "gd_stability");
