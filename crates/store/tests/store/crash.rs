//! A process that dies in the middle of an import leaves the store as it was.
//!
//! The test re-runs its own binary as a child that starts an import, adds rows and aborts
//! (no destructors, no rollback); the parent then checks the store on both backends.

use crate::common;

use std::process::Command;

use cthub_ingest::{ImportSummary, ImportedRow, SourceInfo};
use cthub_standard::CaseRecord;
use cthub_store::ContributionMeta;

use common::Fixture;

const CHILD_ENV: &str = "CTHUB_STORE_CRASH_CHILD_LOCATION";

fn meta(sha: &str) -> ContributionMeta {
    ContributionMeta {
        organisation: "crash test".into(),
        imported_by: "tester".into(),
        source: SourceInfo {
            file_name: format!("{sha}.csv"),
            sha256: sha.into(),
            bytes: 1,
            format: "test".into(),
            container: "csv".into(),
            sheet: None,
            columns: vec![],
            schema_version: cthub_standard::SCHEMA_VERSION,
        },
        synthetic: false,
    }
}

fn row(i: u64) -> ImportedRow {
    ImportedRow {
        source_row: i + 2,
        raw: vec![i.to_string()].into(),
        record: Some(CaseRecord::new()),
        issues: vec![],
    }
}

/// In the child: import 50,000 rows (so batches have reached the database) and die.
#[test]
fn crash_child() {
    let Ok(location) = std::env::var(CHILD_ENV) else {
        return; // Only does something when run as the child.
    };
    let mut store = cthub_store::open(&location).expect("child opens the store");
    let mut tx = store.begin_import(&meta("crashing")).expect("child begins");
    for i in 0..50_000 {
        tx.add(&row(i)).expect("child adds");
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::process::abort();
}

fn process_death_rolls_back(fx: &Fixture) {
    let mut store = fx.open();
    let mut tx = store.begin_import(&meta("before")).unwrap();
    tx.add(&row(0)).unwrap();
    tx.commit(&ImportSummary::default()).unwrap();
    let counts = store.counts().unwrap();
    let log = store.audit_log().unwrap();
    drop(store);

    let status = cthub_testkit::output(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "crash::crash_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, fx.location()),
        "the crashing child import",
    )
    .status;
    assert!(!status.success(), "the child should have aborted");

    let mut store = fx.open();
    assert_eq!(store.counts().unwrap(), counts);
    assert_eq!(store.contribution_by_hash("crashing").unwrap(), None);
    assert_eq!(store.audit_log().unwrap(), log);
    // The store takes new imports, including the file that was being imported.
    let mut tx = store.begin_import(&meta("crashing")).unwrap();
    tx.add(&row(0)).unwrap();
    let c = tx.commit(&ImportSummary::default()).unwrap();
    assert_eq!(c.rows_accepted, 1);
}

on_both_backends!(process_death_rolls_back);
