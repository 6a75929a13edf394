//! Data preparation that runs over whole tensors: sliding windows and shuffling orders.

mod windows;

pub use windows::create_sequences;

use rand_chacha::rand_core::SeedableRng;

/// A random permutation of `0..n`: from the global generator, or from its own stream when a
/// seed is given (a DataLoader's generator).
pub fn randperm(n: usize, seed: Option<u64>) -> crate::Result<Vec<u32>> {
    match seed {
        None => crate::ops::random::permutation(n),
        Some(s) => {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(s);
            crate::ops::random::permutation_with(&mut rng, n)
        }
    }
}
