//! Statistical tests of the samplers. Randomness comes from the OS (no seed), so each tolerance
//! is chosen for a false-failure probability below ~1e-12 (stated per test).

use cthub_privacy::dp::noise::{DiscreteGaussian, DiscreteLaplace};

/// Empirical variance of `n` samples vs. the configured scale. For a (discrete) Gaussian the
/// sample variance has standard error ≈ σ²√(2/n); 8 standard errors bound a false failure
/// by ~1e-15 (normal tail; the sample variance of 20,000 draws is very close to normal).
#[test]
fn gaussian_variance_matches_budget() {
    let rho = 0.05;
    let g = DiscreteGaussian::for_zcdp(1.0, rho).unwrap();
    let want = 1.0 / (2.0 * rho); // σ² = Δ²/(2ρ) = 10
    assert!((g.sigma() * g.sigma() - want).abs() < 1e-9);
    let exact = g.variance();
    assert!(
        (exact - want).abs() < 1e-6 * want,
        "discrete variance {exact} vs σ² {want}"
    );
    let n = 20_000usize;
    let xs: Vec<f64> = (0..n).map(|_| g.sample().unwrap() as f64).collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n as f64 - 1.0);
    let se = exact * (2.0 / n as f64).sqrt();
    assert!(
        (var - exact).abs() < 8.0 * se,
        "variance {var}, expected {exact} ± {}",
        8.0 * se
    );
    // the mean is 0: standard error σ/√n, 8 of them
    assert!(mean.abs() < 8.0 * (exact / n as f64).sqrt(), "mean {mean}");
}

/// Laplace: the sample variance of a heavier-tailed law has standard error √((μ₄ − σ⁴)/n) with
/// μ₄ ≈ 6b⁴·4 for the (continuous) Laplace; we use 10 standard errors (Chebyshev-free, CLT).
#[test]
fn laplace_variance_matches_scale() {
    let l = DiscreteLaplace::for_pure_dp(1.0, 0.5).unwrap(); // b = 2
    let exact = l.variance();
    let n = 20_000usize;
    let xs: Vec<f64> = (0..n).map(|_| l.sample().unwrap() as f64).collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n as f64 - 1.0);
    let b = l.scale();
    let mu4 = 24.0 * b.powi(4) * 1.1;
    let se = ((mu4 - exact * exact) / n as f64).sqrt();
    assert!(
        (var - exact).abs() < 10.0 * se,
        "variance {var}, expected {exact}"
    );
}

/// The 95% interval covers the true value in at least 95% of draws. The exact coverage p of
/// `±t` is known; the observed share of `n` draws is within 7 binomial standard deviations of
/// it except with probability ~1e-12.
#[test]
fn intervals_cover_95_percent() {
    for sigma in [0.7, 4.0, 23.5] {
        let g = DiscreteGaussian::new(sigma).unwrap();
        let t = g.half_width(0.95).unwrap();
        let p = g.central_mass(t);
        assert!(p >= 0.95);
        let n = 5_000usize;
        let inside = (0..n)
            .filter(|_| {
                let truth = 100i64;
                let noisy = truth + g.sample().unwrap();
                let (lo, hi) = g.interval95(noisy).unwrap();
                lo <= truth && truth <= hi
            })
            .count();
        let share = inside as f64 / n as f64;
        let sd = (p * (1.0 - p) / n as f64).sqrt();
        assert!(
            (share - p).abs() < 7.0 * sd,
            "σ={sigma}: coverage {share}, expected {p}"
        );
    }
}
