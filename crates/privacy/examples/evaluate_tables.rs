//! Compares a synthetic table with its sensitive source and prints the evaluation as JSON.
//!
//! `cargo run --release -p cthub-privacy --example evaluate_tables -- SENSITIVE SENS_DELIM
//!  SYNTHETIC SYNTH_DELIM [LENGTH=3] [RARE=10] [--indicator a:b]...`
//! Each `--indicator` adds its figures under `indicators`: TVD, the share of synthetic records on
//! combinations absent from the sensitive data, and how many of the true top 10 (and top 5) are
//! among the synthetic ones. Empty values, `00`, `-99` and `Unknown` count as missing there.

use std::path::Path;

use cthub_privacy::dp::evaluate::evaluate;
use cthub_privacy::dp::workload::{evaluate_workload, Indicator};
use cthub_privacy::Table;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = Vec::new();
    let mut indicators: Vec<Vec<String>> = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        if a == "--indicator" {
            let cols = it.next().ok_or("--indicator needs columns a:b")?;
            indicators.push(cols.split(':').map(str::to_owned).collect());
        } else {
            args.push(a);
        }
    }
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
        "indicators": indicator_figures(&sensitive, &synthetic, &indicators)?,
    });
    println!("{json}");
    Ok(())
}

fn indicator_figures(
    sensitive: &Table,
    synthetic: &Table,
    indicators: &[Vec<String>],
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let missing = |v: &str| v.is_empty() || v == "00" || v == "-99" || v == "Unknown";
    let mut out = serde_json::Map::new();
    for cols in indicators {
        let names: Vec<&str> = cols.iter().map(String::as_str).collect();
        let name = cols.join("→");
        let ind = [Indicator::new(&name, &names)];
        let top10 = evaluate_workload(sensitive, synthetic, &ind, 10, &missing)?.remove(0);
        // the top 5 are the heads of the top-10 lists (largest first)
        let head = |v: &[(String, f64)]| -> Vec<String> {
            v.iter().take(5).map(|(k, _)| k.clone()).collect()
        };
        let synthetic5 = head(&top10.synthetic_top);
        let top5_kept = head(&top10.sensitive_top)
            .iter()
            .filter(|k| synthetic5.contains(k))
            .count();
        out.insert(
            name,
            serde_json::json!({
                "tvd": top10.tvd,
                "fabricated_record_share": top10.fabricated_record_share,
                "top_10_kept": top10.top_k_kept,
                "top_5_kept": top5_kept,
                "sensitive_cells": top10.sensitive_cells,
                "synthetic_cells": top10.synthetic_cells,
                "sensitive_top": top10.sensitive_top,
                "synthetic_top": top10.synthetic_top,
            }),
        );
    }
    Ok(out.into())
}
