//! The ads ingester (readers, EMSCAD detection, entity extraction, repost merging) on arbitrary
//! bytes: as CSV (first byte even) or as JSON Lines.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let name = if kind % 2 == 0 {
        "ads.csv"
    } else {
        "ads.jsonl"
    };
    let f = common::file(rest, name);
    let opts = cthub_detect::ingest::IngestOptions {
        layout: cthub_detect::ingest::Layout::Auto,
        region: None,
        key: None,
    };
    let _ = cthub_detect::ingest::ingest(&[f.path.as_path()], &opts);
});
