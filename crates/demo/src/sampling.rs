//! Platform-independent sampling primitives.
//!
//! Only IEEE-754 basic operations (`+ - * /`, comparisons) are used on floats: they are
//! correctly rounded everywhere, so the same seed gives the same draws on every platform.
//! Transcendental functions (`powf`, `ln`, `exp`), whose last bit may differ between libms,
//! are avoided on purpose.

use rand::RngCore;

/// A uniform draw in `[0, 1)` from the top 53 bits of one `u64`.
#[inline]
pub(crate) fn unit<R: RngCore>(rng: &mut R) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    (rng.next_u64() >> 11) as f64 * SCALE
}

/// `true` with probability `p` (clamped to `[0, 1]`).
#[inline]
pub(crate) fn chance<R: RngCore>(rng: &mut R, p: f64) -> bool {
    unit(rng) < p
}

/// Index drawn with probability proportional to `weights[i]` (linear scan; for short lists).
/// Returns the last index with a positive weight if rounding leaves the draw past the end.
pub(crate) fn pick<R: RngCore>(rng: &mut R, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = unit(rng) * total;
    let mut last = 0;
    for (i, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            if x < w {
                return i;
            }
            x -= w;
            last = i;
        }
    }
    last
}

/// A fixed categorical distribution with a cumulative table (binary search; for long lists).
#[derive(Debug, Clone)]
pub(crate) struct Categorical {
    cumulative: Vec<f64>,
}

impl Categorical {
    /// Builds the table; weights must be finite and non-negative with a positive sum.
    pub(crate) fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        let cumulative: Vec<f64> = weights
            .into_iter()
            .map(|w| {
                debug_assert!(w.is_finite() && w >= 0.0);
                acc += w;
                acc
            })
            .collect();
        assert!(
            acc > 0.0,
            "a categorical distribution needs a positive total weight"
        );
        Categorical { cumulative }
    }

    /// Probability of index `i` (for tests).
    #[cfg(test)]
    pub(crate) fn probability(&self, i: usize) -> f64 {
        let total = self.cumulative[self.cumulative.len() - 1];
        let before = if i == 0 { 0.0 } else { self.cumulative[i - 1] };
        (self.cumulative[i] - before) / total
    }

    pub(crate) fn sample<R: RngCore>(&self, rng: &mut R) -> usize {
        let total = self.cumulative[self.cumulative.len() - 1];
        let x = unit(rng) * total;
        let i = self.cumulative.partition_point(|&c| c <= x);
        i.min(self.cumulative.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn categorical_never_returns_zero_weight_items() {
        let c = Categorical::new([0.0, 1.0, 0.0, 3.0, 0.0]);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut counts = [0usize; 5];
        for _ in 0..20_000 {
            counts[c.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[0] + counts[2] + counts[4], 0);
        let share = counts[3] as f64 / 20_000.0;
        assert!((share - 0.75).abs() < 0.02, "{share}");
        assert!((c.probability(3) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn pick_skips_zero_weights_and_follows_weights() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut counts = [0usize; 4];
        for _ in 0..20_000 {
            counts[pick(&mut rng, &[0.0, 2.0, 0.0, 2.0])] += 1;
        }
        assert_eq!(counts[0] + counts[2], 0);
        assert!((counts[1] as f64 / 20_000.0 - 0.5).abs() < 0.02);
    }
}
