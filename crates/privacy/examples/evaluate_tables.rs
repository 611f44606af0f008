//! Compares a synthetic table with its sensitive source and prints the evaluation as JSON.
//!
//! `cargo run --release -p cthub-privacy --example evaluate_tables -- SENSITIVE SENS_DELIM
//!  SYNTHETIC SYNTH_DELIM [LENGTH=3] [RARE=10]`

use std::path::Path;

use cthub_privacy::dp::evaluate::evaluate;
use cthub_privacy::Table;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        return Err(
            "usage: evaluate_tables SENSITIVE DELIM SYNTHETIC DELIM [LENGTH] [RARE]".into(),
        );
    }
    let delim = |s: &str| s.as_bytes().first().copied().ok_or("empty delimiter");
    let sensitive = Table::from_csv(Path::new(&args[0]), delim(&args[1])?)?;
    let synthetic = Table::from_csv(Path::new(&args[2]), delim(&args[3])?)?;
    let length = args.get(4).map_or(Ok(3), |s| s.parse())?;
    let rare = args.get(5).map_or(Ok(10), |s| s.parse())?;
    let report = evaluate(&sensitive, &synthetic, length, rare)?;
    let blank: usize = synthetic
        .columns
        .iter()
        .map(|c| {
            c.codes
                .iter()
                .filter(|&&k| c.values[k as usize].is_empty())
                .count()
        })
        .sum();
    let json = serde_json::json!({
        "rows_in": report.sensitive_rows,
        "rows_out": report.synthetic_rows,
        "tvd_1": report.tvd(1),
        "tvd_2": report.tvd(2),
        "tvd_3": report.tvd(3),
        "single_values_in": report.single_values_sensitive,
        "single_values_out": report.single_values_surviving,
        "rare_leakage_share": report.rare_leakage_share,
        "blank_cell_share": blank as f64 / (synthetic.n_rows() * synthetic.n_columns()).max(1) as f64,
        "report": report,
    });
    println!("{json}");
    Ok(())
}
