//! Shared by the targets: the readers take paths, so the input is written to a file (in
//! /dev/shm when it exists, to keep the fuzzer fast).

use std::path::PathBuf;

pub struct Input {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn file(data: &[u8], name: &str) -> Input {
    let base = std::path::Path::new("/dev/shm");
    let dir = if base.is_dir() {
        tempfile::tempdir_in(base)
    } else {
        tempfile::tempdir()
    }
    .expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, data).expect("write the input");
    Input { _dir: dir, path }
}

/// The importer on one file: every row is read or the file is refused; an error is fine, a
/// panic, hang or crash is a bug.
pub fn import(data: &[u8], name: &str) {
    let f = file(data, name);
    if let Ok(mut p) = cthub_ingest::prepare(&f.path, &cthub_ingest::ImportOptions::default()) {
        while let Ok(Some(_)) = p.next_row() {}
        let _ = p.into_summary();
    }
}
