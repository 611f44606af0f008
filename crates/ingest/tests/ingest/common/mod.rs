#![allow(dead_code)]
use std::path::{Path, PathBuf};

use cthub_ingest::{ImportOptions, ImportSummary, ImportedRow};

/// `../shared/data/<rel>` from the workspace root, or None (with a visible message).
pub fn shared(rel: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let p = root.join(rel);
    if p.exists() {
        Some(p)
    } else {
        println!(
            "SKIPPED: {} is absent (real-data check needs ../shared/data)",
            p.display()
        );
        None
    }
}

pub fn import_all(
    path: &Path,
    opts: &ImportOptions,
) -> (Vec<ImportedRow>, ImportSummary, cthub_ingest::SourceInfo) {
    let mut p = cthub_ingest::prepare(path, opts).unwrap_or_else(|e| panic!("{e}"));
    let mut rows = Vec::new();
    while let Some(r) = p.next_row().unwrap_or_else(|e| panic!("{e}")) {
        rows.push(r);
    }
    let info = p.info.clone();
    (rows, p.into_summary(), info)
}

pub fn demo_csv(dir: &Path, victims: usize, seed: u64) -> PathBuf {
    let path = dir.join(format!("demo-{seed}-{victims}.csv"));
    let cfg = cthub_demo::DemoConfig {
        seed,
        victims,
        ..Default::default()
    };
    let f = std::fs::File::create(&path).unwrap();
    cthub_demo::write_kanon_csv(&cfg, std::io::BufWriter::new(f)).unwrap();
    path
}
