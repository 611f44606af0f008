//! Shared helpers of the examples (included with `#[path]`).
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared Splink datasets directory, or `None` (with a SKIPPED message) when absent.
pub fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/splink-datasets"
    ));
    let dir = std::env::var_os("CTHUB_LINK_DATA")
        .map(PathBuf::from)
        .unwrap_or(dir);
    if dir.join("dataset4a.csv").exists() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: splink datasets not found at {}", dir.display());
        None
    }
}

/// Peak resident set size of this process in MB (Linux `VmHWM`).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// FEBRL4 entity of a rec_id: `rec-1070-org` / `rec-1070-dup-0` -> 1070.
pub fn febrl_entity(rec_id: &str) -> u64 {
    rec_id
        .split('-')
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}
