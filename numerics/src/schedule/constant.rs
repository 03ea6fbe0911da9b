//! η_k = η for every k.

use super::Schedule;
use serde::{Deserialize, Serialize};

/// A constant schedule: η_k = η for every k.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Constant(pub f64);

impl Schedule for Constant {
    fn at(&self, _k: usize) -> f64 {
        self.0
    }
}
