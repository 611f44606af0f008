//! The GLOTIP importer on arbitrary bytes: as CSV (first byte even) or as an XLSX workbook.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    if kind % 2 == 0 {
        let _ = cthub_glotip::import_csv("fuzz.csv", rest);
    } else {
        let f = common::file(rest, "fuzz.xlsx");
        let _ = cthub_glotip::import_xlsx(&f.path, None);
    }
});
