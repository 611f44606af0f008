//! The column-mapping parser (TOML) on arbitrary text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = cthub_ingest::mapping::Mapping::parse(text, "fuzz.toml");
    }
});
