//! Seeds and reproducible random streams.
//!
//! A [`Seed`] is the only source of randomness in igo. [`Seed::stream`] derives an
//! independent [`ChaCha8Rng`] for a named purpose (`"data-order"`, `"noise"`, `"init"`),
//! so adding a new consumer of randomness never shifts the numbers of another one.
//! ChaCha8 is used instead of `StdRng` because its output is specified and stable
//! across `rand` versions.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The random generator used everywhere in igo.
pub type Rng = ChaCha8Rng;

/// A seed: the root of every random stream of a run or check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Seed(pub u64);

impl Default for Seed {
    /// The default seed, 0.
    fn default() -> Self {
        Seed(0)
    }
}

impl std::fmt::Display for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// FNV-1a hash of a byte string: stable across platforms and Rust versions.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

impl Seed {
    /// An independent generator for the purpose `name`: ChaCha8 keyed by the seed, on
    /// the stream number FNV-1a(`name`).
    ///
    /// ```
    /// use numerics::Seed;
    /// use rand::Rng;
    /// let a: u64 = Seed(7).stream("noise").random();
    /// let b: u64 = Seed(7).stream("noise").random();
    /// let c: u64 = Seed(7).stream("data-order").random();
    /// assert_eq!(a, b);
    /// assert_ne!(a, c);
    /// ```
    #[must_use]
    pub fn stream(&self, name: &str) -> Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.0);
        rng.set_stream(fnv1a(name.as_bytes()));
        rng
    }

    /// A child seed for a sub-task (e.g. the `i`-th run of a sweep): mixes `i` into the
    /// seed with SplitMix64 so that children of different seeds do not collide.
    #[must_use]
    pub fn child(&self, i: u64) -> Seed {
        let mut z = self.0 ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Seed(z ^ (z >> 31))
    }
}
