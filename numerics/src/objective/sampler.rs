//! Mini-batch index samplers: with replacement, without replacement, epoch shuffling.

use crate::rng::Rng;
use rand::seq::index;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

/// How a mini-batch of size b is drawn from N samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sampling {
    /// b i.i.d. uniform indices (assumption (A4) taken literally): E‖ω‖² = σ²/b.
    WithReplacement,
    /// A uniform random b-subset: E‖ω‖² = σ²(N − b)/(b(N − 1)).
    WithoutReplacement,
    /// A random permutation per epoch cut into consecutive batches; the last batch of an
    /// epoch is smaller when b ∤ N (PyTorch `DataLoader(shuffle=True, drop_last=False)`).
    EpochShuffle,
}

/// Draws mini-batches of indices in `0..n` according to a [`Sampling`] rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchSampler {
    n: usize,
    sampling: Sampling,
    rng: Rng,
    permutation: Vec<usize>,
    cursor: usize,
    epoch: usize,
}

impl BatchSampler {
    /// A sampler over `0..n` drawing from `rng`.
    ///
    /// # Errors
    /// [`crate::NumericsError::InvalidParameter`] if `n == 0`.
    pub fn new(n: usize, sampling: Sampling, rng: Rng) -> crate::Result<Self> {
        crate::error::check_count("number of samples", n, 1)?;
        Ok(Self {
            n,
            sampling,
            rng,
            permutation: Vec::new(),
            cursor: n,
            epoch: 0,
        })
    }

    /// Number of samples N.
    #[must_use]
    pub fn n(&self) -> usize {
        self.n
    }

    /// Epochs started so far (epoch shuffling only).
    #[must_use]
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// True when the next epoch-shuffle batch starts a new epoch.
    #[must_use]
    pub fn at_epoch_boundary(&self) -> bool {
        self.cursor >= self.n
    }

    /// The next batch of (at most, for epoch shuffling) `b` indices. `b` is clamped to
    /// `1..=n` for sampling without replacement and epoch shuffling.
    pub fn next_batch(&mut self, b: usize) -> Vec<usize> {
        let b = b.max(1);
        match self.sampling {
            Sampling::WithReplacement => (0..b).map(|_| self.rng.random_range(0..self.n)).collect(),
            Sampling::WithoutReplacement => {
                index::sample(&mut self.rng, self.n, b.min(self.n)).into_vec()
            }
            Sampling::EpochShuffle => {
                if self.cursor >= self.n {
                    self.permutation = (0..self.n).collect();
                    use rand::seq::SliceRandom;
                    self.permutation.shuffle(&mut self.rng);
                    self.cursor = 0;
                    self.epoch += 1;
                }
                let end = (self.cursor + b).min(self.n);
                let batch = self.permutation[self.cursor..end].to_vec();
                self.cursor = end;
                batch
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seed;

    #[test]
    fn epoch_shuffle_covers_every_index_once_per_epoch() {
        let mut s = BatchSampler::new(50, Sampling::EpochShuffle, Seed(1).stream("t")).unwrap();
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        while seen.len() < 50 {
            let b = s.next_batch(16);
            sizes.push(b.len());
            seen.extend(b);
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
        assert_eq!(sizes, vec![16, 16, 16, 2]);
        assert!(s.at_epoch_boundary());
    }

    #[test]
    fn without_replacement_has_distinct_indices() {
        let mut s =
            BatchSampler::new(20, Sampling::WithoutReplacement, Seed(2).stream("t")).unwrap();
        let mut b = s.next_batch(20);
        b.sort_unstable();
        assert_eq!(b, (0..20).collect::<Vec<_>>());
    }
}
