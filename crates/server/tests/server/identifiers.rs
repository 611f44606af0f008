//! Direct identifiers never enter the hub: an HTCDS upload with names, phones, e-mails,
//! addresses and identity numbers leaves none of them in the database, before the decision,
//! after a commit or after a discard (SQLite's main file and WAL bytes; every PostgreSQL table).

use crate::common;

use common::*;
use serde_json::json;

const PLANTED: [&str; 6] = [
    "Zorblaxia",
    "Quendrithe",
    "zorb.planted@example.org",
    "380975551234",
    "Ulmenweg 77",
    "ID-PLANT-4421",
];

/// An HTCDS template file: `good` accepted rows and one quarantined row (an unknown gender),
/// every one carrying the planted identifiers.
fn htcds_file(good: usize) -> Vec<u8> {
    let mut s = String::from(
        "prs_FirstName,prs_SecondName,prs_Email,prs_MobilePhone,prs_MailingStreet,prs_IdentityNumber,prs_Gender,prs_Citizenship\n\
         First Name,Second Name,Email,Mobile Phone,Mailing Street,Identity Number,Gender,Citizenship\n",
    );
    let ids =
        "Zorblaxia,Quendrithe,zorb.planted@example.org,+380975551234,Ulmenweg 77,ID-PLANT-4421";
    for i in 0..good {
        let g = ["Feminine", "Masculine"][i % 2];
        let c = ["UA", "PH", "NG"][i % 3];
        s.push_str(&format!("{ids},{g},{c}\n"));
    }
    s.push_str(&format!("{ids},Dragon,UA\n"));
    s.into_bytes()
}

/// Every planted string found in the database: SQLite's files as bytes, or every row of every
/// PostgreSQL table of the server's schema as text.
async fn planted_in_database(server: &TestServer) -> Vec<String> {
    let (database, schema) = (server.database.clone(), server.pg_schema.clone());
    blocking(move || {
        let mut found = Vec::new();
        match schema {
            None => {
                for suffix in ["", "-wal", "-journal"] {
                    let Ok(bytes) = std::fs::read(format!("{database}{suffix}")) else {
                        continue;
                    };
                    for p in PLANTED {
                        if bytes.windows(p.len()).any(|w| w == p.as_bytes()) {
                            found.push(format!("{p} in {database}{suffix}"));
                        }
                    }
                }
            }
            Some(schema) => {
                let url = database.split('?').next().unwrap().to_string();
                let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                let tables: Vec<String> = c
                    .query(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
                        &[&schema],
                    )
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                assert!(tables.len() > 10, "{tables:?}");
                for t in tables {
                    for p in PLANTED {
                        // bytea columns print as hex: search their hex form too
                        let hex: String = p.bytes().map(|b| format!("{b:02x}")).collect();
                        let n: i64 = c
                            .query_one(
                                &format!(
                                    "SELECT COUNT(*) FROM \"{schema}\".\"{t}\" x \
                                     WHERE x::text LIKE $1 OR x::text LIKE $2"
                                ),
                                &[&format!("%{p}%"), &format!("%{hex}%")],
                            )
                            .unwrap()
                            .get(0);
                        if n > 0 {
                            found.push(format!("{p} in table {t}"));
                        }
                    }
                }
            }
        }
        found
    })
    .await
}

async fn identifiers(backend: &str) {
    let Some(server) = TestServer::start(backend).await else {
        return;
    };
    let seed = seed(&server).await;
    let admin = Client::login(&server, "admin").await;
    let mut ids = Vec::new();
    for good in [12, 13] {
        let (s, up) = admin
            .upload(
                &format!("/api/uploads?organisation={}", seed.org_a),
                "cases.csv",
                &htcds_file(good),
            )
            .await;
        assert_eq!(s, 201, "{up}");
        assert_eq!(up["format"], "htcds-template", "{up}");
        assert_eq!(up["summary"]["accepted"], good, "{up}");
        assert_eq!(up["summary"]["quarantined"], 1, "{up}");
        let withheld = up["summary"]["withheld_columns"].as_array().unwrap().len();
        assert_eq!(withheld, 6, "{up}");
        ids.push(up["id"].as_i64().unwrap());
    }
    // staged, before any decision: the planted strings are not stored, not even compressed
    for &id in &ids {
        let staged = server
            .with_store(move |st| cthub_store::hub::upload_content(st, id).unwrap())
            .await;
        let text = String::from_utf8_lossy(&staged).to_string();
        assert!(
            text.starts_with("cthub-staged-rows-v1\n"),
            "the raw file was stored"
        );
        let rows = zstd::decode_all(&staged["cthub-staged-rows-v1\n".len()..]).unwrap();
        let rows = String::from_utf8(rows).unwrap();
        for p in PLANTED {
            assert!(!rows.contains(p), "{p} staged in upload {id}");
        }
    }
    assert_eq!(planted_in_database(&server).await, Vec::<String>::new());
    let (s, v) = admin
        .post(&format!("/api/uploads/{}/commit", ids[0]), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = admin
        .post(&format!("/api/uploads/{}/discard", ids[1]), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(planted_in_database(&server).await, Vec::<String>::new());
    // the committed records and quarantine, read back (their segments are compressed)
    let (records, quarantine) = server
        .with_store(|st| {
            let mut all = String::new();
            st.for_each_record(None, &mut |r| {
                all.push_str(&serde_json::to_string(&r.record).unwrap());
                all.push_str(&r.raw.join(","));
                Ok(())
            })
            .unwrap();
            (all, format!("{:?}", st.quarantine(None).unwrap()))
        })
        .await;
    assert!(records.contains("UA"), "{records:.200}");
    for p in PLANTED {
        assert!(
            !records.contains(p) && !quarantine.contains(p),
            "{p} stored"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_never_stored_sqlite() {
    identifiers("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_never_stored_postgres() {
    identifiers("postgres").await;
}
