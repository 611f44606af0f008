//! The case-file importer (reader, format detection, validation) on arbitrary .ods bytes.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::import(data, "cases.ods");
});
