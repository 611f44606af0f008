//! `cthub glotip import | stats` on the real GLOTIP workbook (skipped when ../shared is absent).

use std::path::Path;
use std::process::Command;

fn cthub(args: &[&str], db: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cthub"))
        .args(args)
        .env("CTHUB_DATABASE_URL", db)
        .output()
        .expect("run cthub")
}

fn json(o: &std::process::Output) -> serde_json::Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn glotip_workbook_imports_with_accounting_and_reproduces_published_figures() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/glotip/data_glotip_2023-05-30.xlsx");
    if !file.exists() {
        eprintln!("SKIP: {} is absent", file.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cthub.db").to_string_lossy().into_owned();
    let f = file.to_str().unwrap();
    let r = json(&cthub(&["glotip", "import", f, "--json"], &db));
    let acc = &r["accounting"];
    assert_eq!(acc["rows_in"], 46556);
    assert_eq!(
        acc["rows_in"].as_u64().unwrap(),
        acc["rows_stored"].as_u64().unwrap() + acc["rows_quarantined"].as_u64().unwrap()
    );
    assert_eq!(acc["aggregate_rows"], 957);
    let again = json(&cthub(&["glotip", "import", f, "--json"], &db));
    assert_eq!(again["status"], "already-imported");
    let s = json(&cthub(&["glotip", "stats", "--json"], &db));
    let checks = s["published_checks"].as_array().unwrap();
    assert!(checks.len() >= 10);
    for c in checks {
        println!(
            "{}: published {} file {}",
            c["name"], c["published"], c["computed"]
        );
        assert!(
            c["within"].as_bool().unwrap() || c["expect_gap"].as_bool().unwrap(),
            "{c}"
        );
    }
    // Censoring bounds: the lower bound never exceeds the upper bound.
    for (_, years) in s["by_year"].as_object().unwrap() {
        for (_, b) in years.as_object().unwrap() {
            assert!(b["lo"].as_u64().unwrap() <= b["hi"].as_u64().unwrap());
        }
    }
}
