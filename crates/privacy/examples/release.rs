//! De-identifies a `;`-separated table with a TOML release configuration (see
//! `cthub_privacy::config`), writes the released table and prints the summary with the
//! re-identification risk of the input and of the output as JSON.
//!
//! ```text
//! cargo run --release -p cthub-privacy --example release -- CONFIG.toml INPUT.csv OUTPUT.csv
//! ```

use std::path::Path;
use std::process::ExitCode;

use cthub_privacy::{anonymise, assess_risk, ReleaseConfig, Table};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [config, input, output] = args.as_slice() else {
        eprintln!("usage: release CONFIG.toml INPUT.csv OUTPUT.csv");
        return ExitCode::from(2);
    };
    match run(Path::new(config), Path::new(input), Path::new(output)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("release: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: &Path, input: &Path, output: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let cfg = ReleaseConfig::from_path(config)?;
    let table = Table::from_csv(input, b';')?;
    let base = config.parent().unwrap_or(Path::new("."));
    let problem = cfg.resolve(&table, base)?;
    let release = anonymise(&table, &problem)?;
    let qis: Vec<&str> = cfg
        .quasi_identifiers
        .iter()
        .map(|q| q.column.as_str())
        .collect();
    let before = assess_risk(&table, &qis, None, 0.2)?;
    let after = assess_risk(&release.table, &qis, None, 0.2)?;
    release
        .table
        .write_csv(std::fs::File::create(output)?, b';')?;
    let report = serde_json::json!({
        "summary": release.summary,
        "risk_input": before,
        "risk_output": after,
    });
    use std::io::Write;
    writeln!(
        std::io::stdout(),
        "{}",
        serde_json::to_string_pretty(&report)?
    )?;
    Ok(())
}
