//! Speed of the exact discrete Gaussian sampler (OpenDP), which bounds how many cells a DP
//! release can noise per second: `cargo run --release -p cthub-privacy --example noise_rate`.

use std::time::Instant;

use cthub_privacy::dp::DiscreteGaussian;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for sigma in [5.0, 40.0, 150.0] {
        let d = DiscreteGaussian::new(sigma)?;
        let n = 200_000;
        let t = Instant::now();
        let mut sum = 0i64;
        for _ in 0..n {
            sum += d.sample()?;
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "sigma {sigma}: {:.2} µs per sample ({:.0} per second; mean {:.3})",
            s / n as f64 * 1e6,
            n as f64 / s,
            sum as f64 / n as f64
        );
    }
    Ok(())
}
