//! Synthesises a categorical table with DP and prints one JSON line: time, TVDs, rows.
//!
//! `cargo run --release -p cthub-privacy --example synth_adult -- [--input PATH] [--delimiter ';']
//!  [--epsilon 1] [--delta 1e-9] [--seed 0] [--output synthetic.csv]
//!  [--shares 0.1,0.3,0.6] [--max-clique-cells 2000] [--iterations 500] [--rare-cut 0.15] [--rare-floor 4]
//!  [--workload citizenship:CountryOfExploitation]...`
//! `--workload` declares a marginal the release must keep (as `cthub release synthetic` declares
//! the flows); it may be given more than once.
//! Defaults: the Adult file of `../shared/data/adult-arx`, ε = 1, δ = 1e-9.

use std::path::PathBuf;
use std::time::Instant;

use cthub_privacy::dp::budget::{epsilon_to_rho, Conversion};
use cthub_privacy::dp::evaluate::evaluate;
use cthub_privacy::dp::synth::{synthesize, SynthConfig};
use cthub_privacy::Table;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/adult-arx/adult.csv"
    ));
    let (mut delimiter, mut epsilon, mut delta, mut seed) = (b';', 1.0f64, 1e-9f64, 0u64);
    let mut output: Option<PathBuf> = None;
    let mut shares: Option<[f64; 3]> = None;
    let mut clique: Option<u64> = None;
    let mut iterations: Option<usize> = None;
    let mut rare_cut: Option<f64> = None;
    let mut rare_floor: Option<f64> = None;
    let mut workload: Vec<Vec<String>> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--input" => input = PathBuf::from(val()?),
            "--delimiter" => delimiter = *val()?.as_bytes().first().ok_or("empty delimiter")?,
            "--epsilon" => epsilon = val()?.parse()?,
            "--delta" => delta = val()?.parse()?,
            "--seed" => seed = val()?.parse()?,
            "--output" => output = Some(PathBuf::from(val()?)),
            "--shares" => {
                let v: Vec<f64> = val()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
                shares = Some([v[0], v[1], v[2]]);
            }
            "--max-clique-cells" => clique = Some(val()?.parse()?),
            "--iterations" => iterations = Some(val()?.parse()?),
            "--rare-cut" => rare_cut = Some(val()?.parse()?),
            "--rare-floor" => rare_floor = Some(val()?.parse()?),
            "--workload" => workload.push(val()?.split(':').map(str::to_owned).collect()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let t0 = Instant::now();
    let table = Table::from_csv(&input, delimiter)?;
    let read_s = t0.elapsed().as_secs_f64();
    let rho = epsilon_to_rho(epsilon, delta, Conversion::Tight)?;
    let mut cfg = SynthConfig::new(rho);
    cfg.seed = seed;
    cfg.workload = workload;
    if let Some(s) = shares {
        cfg.shares = s;
    }
    if let Some(r) = rare_floor {
        cfg.rare_floor = r;
    }
    if let Some(r) = rare_cut {
        cfg.rare_cut = r;
    }
    if let Some(i) = iterations {
        cfg.iterations = i;
    }
    if let Some(c) = clique {
        cfg.max_clique_cells = c;
    }
    let t1 = Instant::now();
    let synth = synthesize(&table, &cfg)?;
    let synth_s = t1.elapsed().as_secs_f64();
    if let Some(out) = &output {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_path(out)?;
        w.write_record(synth.table.names())?;
        for r in 0..synth.table.n_rows() {
            w.write_record(synth.table.columns.iter().map(|c| c.value(r)))?;
        }
        w.flush()?;
    }
    let report = evaluate(&table, &synth.table, 3, 10)?;
    let json = serde_json::json!({
        "input": input.display().to_string(),
        "epsilon": epsilon,
        "delta": delta,
        "rho": rho,
        "seconds_read": read_s,
        "seconds_synthesize": synth_s,
        "rows_in": table.n_rows(),
        "rows_out": synth.table.n_rows(),
        "tvd_1": report.tvd(1),
        "tvd_2": report.tvd(2),
        "tvd_3": report.tvd(3),
        "single_values_in": report.single_values_sensitive,
        "single_values_out": report.single_values_surviving,
        "rare_leakage_share": report.rare_leakage_share,
        "fabricated_share_3": report.lengths.get(2).map(|l| l.fabricated_share),
        "sigmas": synth.sigmas,
        "tree": synth.tree,
    });
    println!("{json}");
    Ok(())
}
