//! Writes N synthetic rows (2018 k-anonymised CTDC layout) to a CSV file and prints the speed.
//!
//! ```text
//! cargo run --release -p cthub-demo --example gen -- [ROWS] [PATH] [SEED] [--stats]
//!     [--long-tail] [--columns a,b,c]
//! ```
//!
//! Defaults: 1,000,000 rows, `demo-kanon-2018.csv` in the temporary directory, seed 2002.
//! `--stats` also prints the target marginals next to the measured ones (not timed).
//! `--long-tail` draws the flows from [`FlowShape::LongTail`]; `--columns` writes only the
//! columns named (in that order), as the DP synthesis benchmark does.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use cthub_demo::{
    synthetic_notice, write_kanon_csv, DemoConfig, DemoGenerator, FlowShape, MarginalTally,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut stats, mut flows) = (false, FlowShape::Demo);
    let mut columns: Option<Vec<String>> = None;
    let mut positional = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--stats" => stats = true,
            "--long-tail" => flows = FlowShape::LongTail,
            "--columns" => {
                let list = args
                    .next()
                    .ok_or("--columns needs a comma-separated list")?;
                columns = Some(list.split(',').map(str::to_owned).collect());
            }
            _ => positional.push(arg),
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
        flows,
        ..DemoConfig::default()
    };

    let started = Instant::now();
    let out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
    let rows = match &columns {
        None => write_kanon_csv(&cfg, out)?,
        Some(columns) => write_columns(&cfg, columns, out)?,
    };
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

/// Writes only `columns` of the generated rows (a projection of the k-anonymised layout).
fn write_columns(
    cfg: &DemoConfig,
    columns: &[String],
    out: impl std::io::Write,
) -> Result<u64, Box<dyn std::error::Error>> {
    let header = cthub_standard::ctdc::KANON_2018_COLUMNS;
    let idx = columns
        .iter()
        .map(|c| {
            header.iter().position(|h| h == c).ok_or_else(|| {
                format!("--columns: no column {c:?} in the 2018 k-anonymised layout")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(columns)?;
    let mut rows = 0u64;
    for row in DemoGenerator::try_new(*cfg)? {
        w.write_record(idx.iter().map(|&i| &row[i]))?;
        rows += 1;
    }
    w.flush()?;
    Ok(rows)
}
