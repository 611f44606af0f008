//! `cthub glotip import | stats` on the real GLOTIP workbook (skipped when ../shared is absent).

use crate::common;

use common::{cthub, ok, shared};

#[test]
fn glotip_workbook_imports_with_accounting_and_reproduces_published_figures() {
    let Some(glotip) = shared("glotip") else {
        return;
    };
    let file = glotip.join("data_glotip_2023-05-30.xlsx");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cthub.db").to_string_lossy().into_owned();
    let f = file.to_str().unwrap();
    let r = ok(&cthub(&["glotip", "import", f, "--json"], &db, dir.path()));
    let acc = &r["accounting"];
    assert_eq!(acc["rows_in"], 46556);
    assert_eq!(
        acc["rows_in"].as_u64().unwrap(),
        acc["rows_stored"].as_u64().unwrap() + acc["rows_quarantined"].as_u64().unwrap()
    );
    assert_eq!(acc["aggregate_rows"], 957);
    let again = ok(&cthub(&["glotip", "import", f, "--json"], &db, dir.path()));
    assert_eq!(again["status"], "already-imported");
    let s = ok(&cthub(&["glotip", "stats", "--json"], &db, dir.path()));
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
