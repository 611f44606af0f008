//! Writes N synthetic rows (2018 k-anonymised CTDC layout) to a CSV file and prints the speed.
//!
//! ```text
//! cargo run --release -p cthub-demo --example gen -- [ROWS] [PATH] [SEED] [--stats]
//! ```
//!
//! Defaults: 1,000,000 rows, `demo-kanon-2018.csv` in the temporary directory, seed 2002.
//! `--stats` also prints the target marginals next to the measured ones (not timed).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use cthub_demo::{synthetic_notice, write_kanon_csv, DemoConfig, DemoGenerator, MarginalTally};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut stats = false;
    let mut positional = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "--stats" {
            stats = true;
        } else {
            positional.push(arg);
        }
    }
    let victims: usize = match positional.first() {
        Some(n) => n.replace('_', "").parse()?,
        None => 1_000_000,
    };
    let path = positional
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("demo-kanon-2018.csv"));
    let seed: u64 = match positional.get(2) {
        Some(s) => s.parse()?,
        None => DemoConfig::default().seed,
    };
    let cfg = DemoConfig {
        seed,
        victims,
        ..DemoConfig::default()
    };

    let started = Instant::now();
    let out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
    let rows = write_kanon_csv(&cfg, out)?;
    let secs = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path)?.len();
    println!(
        "{rows} rows, {:.1} MB -> {} in {secs:.2} s: {:.0} rows/s",
        bytes as f64 / 1e6,
        path.display(),
        rows as f64 / secs
    );

    let started = Instant::now();
    let mut g = DemoGenerator::new(cfg);
    let mut row = Vec::new();
    let mut cells = 0usize;
    while g.next_into(&mut row) {
        cells += row.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "generation alone: {:.0} rows/s ({cells} cells)",
        victims as f64 / secs
    );

    if stats {
        let mut tally = MarginalTally::default();
        for row in DemoGenerator::new(cfg) {
            tally.add(&row);
        }
        println!("\n{}", tally.finish().report());
    }
    println!("\n{}", synthetic_notice(seed));
    Ok(())
}
