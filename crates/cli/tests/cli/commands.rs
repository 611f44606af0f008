//! End-to-end: the `cthub` binary on the embedded store (and PostgreSQL when reachable).

use crate::common;

use std::path::Path;
use std::process::Output;

use common::{cthub, text};

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// A PostgreSQL URL pinned to a fresh schema, or None (with a visible message).
fn postgres() -> Option<(String, postgres::Client, String)> {
    let url = std::env::var("CTHUB_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/test".into());
    match postgres::Client::connect(&url, postgres::NoTls) {
        Ok(mut c) => {
            let schema = format!("cthub_cli_{}", std::process::id());
            c.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .unwrap();
            let sep = if url.contains('?') { '&' } else { '?' };
            Some((
                format!("{url}{sep}options=-csearch_path%3D{schema}"),
                c,
                schema,
            ))
        }
        Err(e) => {
            if std::env::var("CTHUB_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("PostgreSQL required but not reachable at {url}: {e}");
            }
            println!("SKIPPED (PostgreSQL not reachable at {url}): {e}");
            None
        }
    }
}

fn full_flow(db: &str, dir: &Path) {
    // demo files, marked synthetic
    let o = cthub(
        &[
            "demo",
            "--victims",
            "3000",
            "--seed",
            "9",
            "--out",
            "data",
            "--json",
        ],
        db,
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let notice = std::fs::read_to_string(dir.join("data/SYNTHETIC.md")).unwrap();
    assert!(notice.contains("SYNTHETIC"));
    let kanon = dir.join("data/cthub-synthetic-ctdc-kanon-2018.csv");
    let s24 = dir.join("data/cthub-synthetic-ctdc-synthetic-2024.csv");
    assert!(s24.exists() && dir.join("data/cthub-synthetic-htcds.jsonl").exists());

    let o = cthub(&["init", "--json"], db, dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // import: all rows accepted
    let o = cthub(
        &[
            "import",
            kanon.to_str().unwrap(),
            "--org",
            "Demo NGO",
            "--by",
            "tester",
            "--json",
        ],
        db,
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = json(&o);
    assert_eq!(v[0]["status"], "imported");
    assert_eq!(v[0]["summary"]["rows_accepted"], 3000);
    let cid = v[0]["contribution_id"].as_i64().unwrap();

    // the same file again: a no-op that says so
    let o = cthub(&["import", kanon.to_str().unwrap()], db, dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("already imported"),
        "{}",
        text(&o)
    );

    // the 2024 version imports as its own contribution
    let o = cthub(&["import", s24.to_str().unwrap(), "--json"], db, dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(json(&o)[0]["format"], "ctdc-synthetic-2024");

    // a file with bad rows: exit 3, report written, rows quarantined
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "yearRegister,gender,majorityStatus,isForcedLabour,isSexualExploit,UN_COO_Region,UN_COE_Region,IP_Exploiter,IP_Gender,IP_ageBroad,IP_citizen_UNRegion,IP_Relation,IP_PayMoney,IP_RecruiterBroker,IP_TransactionProcess,IP_ControlAbuseKidnap\n\
         2019,Female,Adult,1,,Europe,Europe,1,Male,,Europe,FriendAcquaintance,No,1,,\n\
         2019,Robot,Adult,1,,Europe,Atlantis,1,Male,,Europe,FriendAcquaintance,No,1,,\n",
    )
    .unwrap();
    let o = cthub(
        &[
            "import",
            bad.to_str().unwrap(),
            "--report",
            "issues.csv",
            "--json",
        ],
        db,
        dir,
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let report = std::fs::read_to_string(dir.join("issues.csv")).unwrap();
    assert!(report.starts_with("file,row,column,value,rule,severity,hint"));
    assert!(
        report.contains("bad.csv,3,gender,Robot,vocabulary,error"),
        "{report}"
    );
    assert!(
        report.contains("UN_COE_Region,Atlantis,vocabulary"),
        "{report}"
    );
    let bad_id = json(&o)[0]["contribution_id"].as_i64().unwrap();

    // stats
    let o = cthub(&["stats", "--json"], db, dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let h = json(&o);
    assert_eq!(h["records"], 6001);
    assert_eq!(h["quarantined"], 1);

    // exports
    for (layout, file) in [
        ("ctdc-kanon-2018", "k.csv"),
        ("ctdc-synthetic-2024", "s.parquet"),
        ("ctdc-vp", "vp.csv"),
        ("json", "all.jsonl"),
    ] {
        let o = cthub(
            &[
                "export",
                "--layout",
                layout,
                "--out",
                file,
                "--contribution",
                &cid.to_string(),
                "--json",
            ],
            db,
            dir,
        );
        assert_eq!(o.status.code(), Some(0), "{layout}: {}", text(&o));
        assert_eq!(json(&o)["rows"], 3000, "{layout}");
    }
    // the source layout gives back the file as it came in, byte for byte
    let o = cthub(
        &[
            "export",
            "--layout",
            "source",
            "--contribution",
            &cid.to_string(),
            "--out",
            "src.csv",
        ],
        db,
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        std::fs::read(dir.join("src.csv")).unwrap(),
        std::fs::read(&kanon).unwrap()
    );
    // ... including quarantined rows, in source order
    let o = cthub(
        &[
            "export",
            "--layout",
            "source",
            "--contribution",
            &bad_id.to_string(),
            "--out",
            "bad-src.csv",
        ],
        db,
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("bad-src.csv")).unwrap(),
        std::fs::read_to_string(&bad).unwrap()
    );
    // the k-anon export imports back as the same layout
    let o = cthub(&["validate", "k.csv", "--json"], db, dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(json(&o)[0]["format"], "ctdc-kanon-2018");
    assert_eq!(json(&o)[0]["summary"]["rows_quarantined"], 0);
}

#[test]
fn full_flow_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cthub.db");
    full_flow(db.to_str().unwrap(), dir.path());
    assert!(db.exists());
}

#[test]
fn full_flow_on_postgres() {
    let Some((url, mut client, schema)) = postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    full_flow(&url, dir.path());
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

#[test]
fn help_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let db = db.to_str().unwrap();
    for sub in [
        "init", "import", "validate", "export", "stats", "demo", "up",
    ] {
        let o = cthub(&[sub, "--help"], db, dir.path());
        assert_eq!(o.status.code(), Some(0), "{sub}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage"),
            "{sub}"
        );
    }
    let o = cthub(&["import", "does-not-exist.csv"], db, dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("does-not-exist.csv"),
        "{}",
        text(&o)
    );
    let o = cthub(&["frobnicate"], db, dir.path());
    assert_eq!(o.status.code(), Some(2));
    let o = cthub(&["import", "--list-fields"], db, dir.path());
    assert!(String::from_utf8_lossy(&o.stdout).contains("victim.means_of_control.DebtBondage"));
}
