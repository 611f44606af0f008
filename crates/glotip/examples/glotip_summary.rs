//! Import the GLOTIP country data and print the accounting and the
//! published-figure comparisons as JSON, with the import time.
//!
//! ```text
//! cargo run --release -p cthub-glotip --example glotip_summary [-- FILE.xlsx|FILE.csv ...]
//! ```
//! Without arguments it reads both files of `../shared/data/glotip` (relative
//! to the workspace root).

use std::path::PathBuf;
use std::time::Instant;

use cthub_glotip::stats::Stats;
use cthub_glotip::{import_path, published};
use serde_json::json;

fn main() {
    let mut files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        let dir = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/glotip"
        ));
        files = vec![
            dir.join("data_glotip_2023-05-30.xlsx"),
            dir.join("data_glotip_2023-05-30.csv"),
        ];
    }
    let mut out = Vec::new();
    let mut failed = false;
    for f in &files {
        let t = Instant::now();
        match import_path(f) {
            Ok(g) => {
                let import_ms = t.elapsed().as_secs_f64() * 1000.0;
                let s = Stats::new(&g);
                let t2 = Instant::now();
                let checks = published::checks(&s);
                let checks_ms = t2.elapsed().as_secs_f64() * 1000.0;
                out.push(json!({
                    "file": f.display().to_string(),
                    "import_ms": (import_ms * 10.0).round() / 10.0,
                    "published_checks_ms": (checks_ms * 10.0).round() / 10.0,
                    "accounting": g.accounting,
                    "published_figures": checks,
                }));
            }
            Err(e) => {
                failed = true;
                out.push(json!({ "file": f.display().to_string(), "error": e.to_string() }));
            }
        }
    }
    match serde_json::to_string_pretty(&out) {
        Ok(s) => println!("{s}"),
        Err(e) => {
            eprintln!("cannot serialise the summary: {e}");
            failed = true;
        }
    }
    if failed {
        std::process::exit(1);
    }
}
