//! Integer noise for counts, from OpenDP's exact samplers.
//!
//! * [`DiscreteGaussian`] — `P[X = x] ∝ exp(-x²/(2σ²))` on the integers. Adding it to a vector
//!   query with L2 sensitivity Δ is ρ-zCDP with ρ = Δ²/(2σ²) (Canonne, Kamath & Steinke 2020,
//!   Theorem 14), so for a budget ρ the scale is σ² = Δ²/(2ρ) ([`DiscreteGaussian::for_zcdp`]).
//! * [`DiscreteLaplace`] — `P[X = x] ∝ exp(-|x|/b)`; with L1 sensitivity Δ and b = Δ/ε it is
//!   ε-DP, hence ε²/2-zCDP.
//!
//! Samples are drawn by `opendp::traits::samplers` (rejection sampling on exact rationals; no
//! floating-point arithmetic touches the noise, which rules out the floating-point attacks on
//! naive Laplace/Gaussian samplers). The scale itself is converted exactly from its `f64`.
//!
//! # Error bars
//! [`DiscreteGaussian::half_width`] returns the smallest integer `t` with `P[|X| ≤ t] ≥ conf`,
//! computed from the discrete distribution itself (the normalising constant and the tail are
//! summed term by term for σ ≤ 10⁵; beyond that the bound `P[|X| > t] ≤ P[|N(0,σ²)| > t]`, which
//! holds because the tail sum is below the tail integral and the normalising constant is at
//! least σ√(2π), gives a slightly conservative `t`). `noisy ± t` is then an interval that covers
//! the true count with probability at least `conf` — never less, unlike a continuous 1.96σ.
//! For sums of `m` independent discrete Gaussians (merged cells) [`subgaussian_half_width`] uses
//! the fact that N_Z(0, σ²) is σ-subgaussian (CKS20, Corollary 9).

use dashu::integer::IBig;
use dashu::rational::RBig;

use super::DpError;

/// Largest σ for which tails are summed exactly; beyond it a rigorous Gaussian bound is used.
const EXACT_TAIL_SIGMA: f64 = 1e5;

/// The discrete Gaussian distribution N_Z(0, σ²).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DiscreteGaussian {
    sigma: f64,
}

impl DiscreteGaussian {
    /// The distribution with scale `sigma` (≥ 0; 0 means no noise).
    pub fn new(sigma: f64) -> Result<Self, DpError> {
        if !sigma.is_finite() || sigma < 0.0 {
            return Err(DpError::InvalidScale(sigma));
        }
        Ok(DiscreteGaussian { sigma })
    }

    /// The scale that makes a query with L2 sensitivity `l2_sensitivity` ρ-zCDP:
    /// σ = Δ / √(2ρ).
    pub fn for_zcdp(l2_sensitivity: f64, rho: f64) -> Result<Self, DpError> {
        if !l2_sensitivity.is_finite() || l2_sensitivity <= 0.0 {
            return Err(DpError::InvalidSensitivity(l2_sensitivity));
        }
        if !rho.is_finite() || rho <= 0.0 {
            return Err(DpError::InvalidRho(rho));
        }
        Self::new(l2_sensitivity / (2.0 * rho).sqrt())
    }

    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// The zCDP cost ρ = Δ²/(2σ²) of one release with L2 sensitivity Δ at this scale.
    pub fn rho(&self, l2_sensitivity: f64) -> f64 {
        if self.sigma == 0.0 {
            f64::INFINITY
        } else {
            l2_sensitivity * l2_sensitivity / (2.0 * self.sigma * self.sigma)
        }
    }

    /// One sample.
    pub fn sample(&self) -> Result<i64, DpError> {
        let scale = RBig::try_from(self.sigma).map_err(|e| DpError::Sampler(format!("{e:?}")))?;
        let x: IBig = opendp::traits::samplers::sample_discrete_gaussian(scale)
            .map_err(|e| DpError::Sampler(e.to_string()))?;
        i64::try_from(&x).map_err(|e| DpError::Sampler(format!("{e:?}")))
    }

    /// Adds independent noise to each count (the result may be negative).
    pub fn perturb(&self, counts: &[u64]) -> Result<Vec<i64>, DpError> {
        // Each draw is independent and takes a few microseconds (exact arithmetic): large
        // vectors are split over the cores. Every draw still comes from the same sampler.
        const PER_THREAD: usize = 16_384;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(counts.len() / PER_THREAD)
            .max(1);
        let draw = |part: &[u64]| -> Result<Vec<i64>, DpError> {
            part.iter()
                .map(|&c| Ok(c as i64 + self.sample()?))
                .collect()
        };
        if threads == 1 {
            return draw(counts);
        }
        let chunk = counts.len().div_ceil(threads);
        let parts: Vec<Result<Vec<i64>, DpError>> = std::thread::scope(|s| {
            let handles: Vec<_> = counts
                .chunks(chunk)
                .map(|part| s.spawn(move || draw(part)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(DpError::Sampler("a sampling thread panicked".into()))
                    })
                })
                .collect()
        });
        let mut out = Vec::with_capacity(counts.len());
        for p in parts {
            out.extend(p?);
        }
        Ok(out)
    }

    /// The exact variance of the distribution (slightly below σ² for small σ).
    pub fn variance(&self) -> f64 {
        if self.sigma == 0.0 {
            return 0.0;
        }
        if self.sigma > EXACT_TAIL_SIGMA {
            return self.sigma * self.sigma;
        }
        let (mut z, mut m2) = (1.0f64, 0.0f64);
        let limit = (self.sigma * 40.0).ceil() as i64 + 1;
        for x in 1..=limit {
            let w = self.weight(x);
            z += 2.0 * w;
            m2 += 2.0 * w * (x as f64) * (x as f64);
        }
        m2 / z
    }

    fn weight(&self, x: i64) -> f64 {
        let x = x as f64;
        (-x * x / (2.0 * self.sigma * self.sigma)).exp()
    }

    /// `P[|X| ≤ t]`, summed exactly (for σ ≤ 10⁵).
    pub fn central_mass(&self, t: u64) -> f64 {
        if self.sigma == 0.0 {
            return 1.0;
        }
        let limit = (self.sigma * 40.0).ceil() as u64 + 1;
        let (mut inside, mut total) = (1.0f64, 1.0f64);
        for x in 1..=limit {
            let w = 2.0 * self.weight(x as i64);
            total += w;
            if x <= t {
                inside += w;
            }
        }
        inside / total
    }

    /// Smallest integer `t` with `P[|X| ≤ t] ≥ confidence`: `noisy ± t` covers the true value
    /// with probability at least `confidence`.
    pub fn half_width(&self, confidence: f64) -> Result<u64, DpError> {
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(DpError::InvalidConfidence(confidence));
        }
        if self.sigma == 0.0 {
            return Ok(0);
        }
        if self.sigma > EXACT_TAIL_SIGMA {
            // P[|X| > t] <= erfc(t / (σ√2)) = P[|N(0,σ²)| > t].
            return Ok((normal_two_sided_quantile(confidence) * self.sigma).ceil() as u64);
        }
        let limit = (self.sigma * 40.0).ceil() as u64 + 1;
        let mut total = 1.0f64;
        let mut weights = Vec::with_capacity(limit as usize);
        for x in 1..=limit {
            let w = 2.0 * self.weight(x as i64);
            weights.push(w);
            total += w;
        }
        // Require a little more than `confidence` to absorb rounding in the sums.
        let target = confidence * total * (1.0 + 1e-12);
        let mut inside = 1.0f64;
        if inside >= target {
            return Ok(0);
        }
        for (i, w) in weights.iter().enumerate() {
            inside += w;
            if inside >= target {
                return Ok(i as u64 + 1);
            }
        }
        Ok(limit)
    }

    /// The 95% interval `[noisy - t, noisy + t]` around a noisy count.
    pub fn interval95(&self, noisy: i64) -> Result<(i64, i64), DpError> {
        let t = self.half_width(0.95)? as i64;
        Ok((noisy - t, noisy + t))
    }
}

/// Half-width `t` with `P[|S| ≤ t] ≥ confidence` for a sum `S` of `m` independent
/// N_Z(0, σ²): S is σ√m-subgaussian, so `P[|S| > t] ≤ 2 exp(-t²/(2mσ²))`. For `m = 1` the exact
/// [`DiscreteGaussian::half_width`] is used.
pub fn subgaussian_half_width(sigma: f64, m: usize, confidence: f64) -> Result<u64, DpError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(DpError::InvalidConfidence(confidence));
    }
    if m <= 1 {
        return DiscreteGaussian::new(sigma)?.half_width(confidence);
    }
    let alpha = 1.0 - confidence;
    Ok((sigma * (2.0 * m as f64 * (2.0 / alpha).ln()).sqrt()).ceil() as u64)
}

/// z with P[|N(0,1)| ≤ z] = confidence, by bisection on erfc (Abramowitz-Stegun-free: a
/// continued series good to ~1e-15, then rounded up a notch to stay conservative).
fn normal_two_sided_quantile(confidence: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if erfc(mid / std::f64::consts::SQRT_2) > 1.0 - confidence {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi * (1.0 + 1e-9)
}

/// Complementary error function (W. J. Cody's rational approximations are overkill here; this is
/// the continued fraction for large x and the series for small x, both to ~1e-14).
fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.5 {
        // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
        let mut sum = 0.0f64;
        let mut term = x;
        let mut n = 0.0f64;
        loop {
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() < 1e-17 {
                break;
            }
            n += 1.0;
            term *= -x * x / n;
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum
    } else {
        // Lentz's continued fraction: erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
        let mut f = x;
        for k in (1..200).rev() {
            f = x + (k as f64 / 2.0) / f;
        }
        (-x * x).exp() / std::f64::consts::PI.sqrt() / f
    }
}

/// The discrete Laplace (two-sided geometric) distribution `P[X = x] ∝ exp(-|x|/b)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DiscreteLaplace {
    scale: f64,
}

impl DiscreteLaplace {
    pub fn new(scale: f64) -> Result<Self, DpError> {
        if !scale.is_finite() || scale < 0.0 {
            return Err(DpError::InvalidScale(scale));
        }
        Ok(DiscreteLaplace { scale })
    }

    /// The scale b = Δ₁/ε that makes a query with L1 sensitivity Δ₁ ε-DP (ε²/2-zCDP).
    pub fn for_pure_dp(l1_sensitivity: f64, epsilon: f64) -> Result<Self, DpError> {
        if !l1_sensitivity.is_finite() || l1_sensitivity <= 0.0 {
            return Err(DpError::InvalidSensitivity(l1_sensitivity));
        }
        if !epsilon.is_finite() || epsilon <= 0.0 {
            return Err(DpError::InvalidEpsilon(epsilon));
        }
        Self::new(l1_sensitivity / epsilon)
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    pub fn sample(&self) -> Result<i64, DpError> {
        let scale = RBig::try_from(self.scale).map_err(|e| DpError::Sampler(format!("{e:?}")))?;
        let x: IBig = opendp::traits::samplers::sample_discrete_laplace(scale)
            .map_err(|e| DpError::Sampler(e.to_string()))?;
        i64::try_from(&x).map_err(|e| DpError::Sampler(format!("{e:?}")))
    }

    /// Exact variance 2q/(1-q)² with q = exp(-1/b).
    pub fn variance(&self) -> f64 {
        if self.scale == 0.0 {
            return 0.0;
        }
        let q = (-1.0 / self.scale).exp();
        2.0 * q / ((1.0 - q) * (1.0 - q))
    }

    /// Smallest `t` with `P[|X| ≤ t] ≥ confidence`, from the closed form
    /// `P[|X| > t] = 2q^(t+1)/(1+q)`.
    pub fn half_width(&self, confidence: f64) -> Result<u64, DpError> {
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(DpError::InvalidConfidence(confidence));
        }
        if self.scale == 0.0 {
            return Ok(0);
        }
        let q = (-1.0 / self.scale).exp();
        let alpha = 1.0 - confidence;
        // 2 q^(t+1) / (1+q) <= alpha  <=>  t + 1 >= ln(alpha (1+q) / 2) / ln q
        let t = ((alpha * (1.0 + q) / 2.0).ln() / q.ln() - 1.0)
            .ceil()
            .max(0.0);
        let mut t = t as u64;
        // guard against rounding in the closed form
        while 2.0 * q.powf(t as f64 + 1.0) / (1.0 + q) > alpha * (1.0 - 1e-12) {
            t += 1;
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_from_budget() {
        let g = DiscreteGaussian::for_zcdp(1.0, 0.5).unwrap();
        assert!((g.sigma() - 1.0).abs() < 1e-12);
        assert!((g.rho(1.0) - 0.5).abs() < 1e-12);
        let g = DiscreteGaussian::for_zcdp(3.0, 0.02).unwrap();
        assert!((g.sigma() * g.sigma() - 9.0 / 0.04).abs() < 1e-9);
        assert!(DiscreteGaussian::for_zcdp(1.0, 0.0).is_err());
        assert!(DiscreteGaussian::for_zcdp(0.0, 1.0).is_err());
        assert!(DiscreteGaussian::new(f64::NAN).is_err());
    }

    #[test]
    fn half_width_is_tight_and_covering() {
        for sigma in [0.3, 1.0, 2.5, 10.0, 37.7, 1000.0] {
            let g = DiscreteGaussian::new(sigma).unwrap();
            let t = g.half_width(0.95).unwrap();
            assert!(g.central_mass(t) >= 0.95, "sigma {sigma} t {t}");
            if t > 0 {
                assert!(
                    g.central_mass(t - 1) < 0.95,
                    "sigma {sigma} t {t} not minimal"
                );
            }
            // close to the continuous 1.96σ for large σ
            if sigma >= 10.0 {
                assert!((t as f64 - 1.96 * sigma).abs() <= 1.0 + 0.01 * sigma);
            }
        }
        // the large-σ bound is conservative but close
        let g = DiscreteGaussian::new(2e5).unwrap();
        let t = g.half_width(0.95).unwrap() as f64;
        assert!((1.959_963_98 * 2e5..=1.96 * 2e5 + 2.0).contains(&t), "{t}");
    }

    #[test]
    fn erfc_matches_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-15);
        assert!((erfc(1.959_963_984_540_054 / std::f64::consts::SQRT_2) - 0.05).abs() < 1e-12);
        assert!((erfc(3.0) - 2.209_049_699_858_544e-5).abs() < 1e-16);
    }

    #[test]
    fn laplace_half_width() {
        let l = DiscreteLaplace::for_pure_dp(1.0, 0.5).unwrap();
        let t = l.half_width(0.95).unwrap();
        let q = (-1.0f64 / l.scale()).exp();
        let tail = |t: u64| 2.0 * q.powf(t as f64 + 1.0) / (1.0 + q);
        assert!(tail(t) <= 0.05 && tail(t - 1) > 0.05);
    }

    #[test]
    fn subgaussian_bound_is_wider_than_single() {
        let single = DiscreteGaussian::new(5.0)
            .unwrap()
            .half_width(0.95)
            .unwrap();
        assert_eq!(subgaussian_half_width(5.0, 1, 0.95).unwrap(), single);
        let four = subgaussian_half_width(5.0, 4, 0.95).unwrap();
        assert!(four as f64 >= 2.0 * 1.96 * 5.0);
    }
}
