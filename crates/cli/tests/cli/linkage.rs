//! `cthub encode` at two contributors, then `cthub linkage submit | run | review | decide | runs`
//! at the hub, and a DP release bounded by the linked persons: the whole hub-side linkage flow
//! on the embedded store (generated names, no shared data needed).

use std::path::Path;

use crate::common::{cthub, ok, text};

const SCHEMA: &str = r#"
filter_bits = 1024
[[fields]]
name = "first"
k = 20
[[fields]]
name = "last"
k = 20
[[fields]]
name = "dob"
k = 10
q = 1
normalize = "digits"
"#;

fn write_names(dir: &Path, file: &str, rows: &[(&str, &str, &str, &str)]) {
    let mut s = String::from("id,first,last,dob\n");
    for (id, f, l, d) in rows {
        s.push_str(&format!("{id},{f},{l},{d}\n"));
    }
    std::fs::write(dir.join(file), s).unwrap();
}

#[test]
fn linkage_in_the_hub_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = d.join("hub.db").to_string_lossy().into_owned();
    std::fs::write(d.join("schema.toml"), SCHEMA).unwrap();
    std::fs::write(d.join("secret"), "a secret only the shelters share").unwrap();
    // maria and olga are the same at both; john/jon is uncertain; amina and peter are alone
    write_names(
        d,
        "a.csv",
        &[
            ("a1", "maria", "lopez", "19900101"),
            ("a2", "john", "smith", "19851231"),
            ("a3", "amina", "yusuf", "20010704"),
            ("a4", "olga", "ivanova", "19950505"),
        ],
    );
    write_names(
        d,
        "b.csv",
        &[
            ("b1", "maria", "lopez", "19900101"),
            ("b2", "jon", "smith", "19851231"),
            ("b3", "peter", "novak", "19700303"),
            ("b4", "olga", "ivanova", "19950505"),
        ],
    );
    for (org, user) in [("Shelter A", "ana"), ("Shelter B", "bo")] {
        let o = cthub_testkit::output_with_input(
            std::process::Command::new(env!("CARGO_BIN_EXE_cthub"))
                .args([
                    "user",
                    "add",
                    user,
                    "--role",
                    "contributor",
                    "--organisation",
                    org,
                ])
                .args(["--database", &db])
                .current_dir(d),
            b"a long enough password 1\n",
            "cthub user add",
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    for (csv, enc) in [("a.csv", "a.json"), ("b.csv", "b.json")] {
        let o = cthub(
            &[
                "encode",
                "--schema",
                "schema.toml",
                "--secret-file",
                "secret",
                "--id-column",
                "id",
                "--out",
                enc,
                csv,
            ],
            &db,
            d,
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    ok(&cthub(
        &[
            "linkage",
            "submit",
            "--organisation",
            "Shelter A",
            "a.json",
            "--json",
        ],
        &db,
        d,
    ));
    ok(&cthub(
        &[
            "linkage",
            "submit",
            "--organisation",
            "Shelter B",
            "b.json",
            "--json",
        ],
        &db,
        d,
    ));
    // the same file again is refused, and nothing else changes
    let again = cthub(
        &["linkage", "submit", "--organisation", "Shelter B", "b.json"],
        &db,
        d,
    );
    assert_ne!(again.status.code(), Some(0), "{}", text(&again));

    let run = |d: &Path| {
        ok(&cthub(
            &[
                "linkage",
                "run",
                "--match-threshold",
                "0.95",
                "--review-threshold",
                "0.5",
                "--no-blocking",
                "--json",
            ],
            &db,
            d,
        ))
    };
    let first = run(d);
    let summary = &first["run"]["summary"];
    let in_several = |v: &serde_json::Value| -> u64 {
        v.pointer("/run/summary/persons_in_several")
            .and_then(|x| x.as_u64())
            .unwrap_or_else(|| panic!("no persons_in_several in {v}"))
    };
    assert_eq!(in_several(&first), 2, "maria and olga: {summary}");

    // john/jon waits in the review queue; accepting it links them from the next run on
    let queue = ok(&cthub(&["linkage", "review", "--json"], &db, d));
    let text_q = queue.to_string();
    assert!(
        text_q.contains("a2") && text_q.contains("b2"),
        "john/jon not queued: {queue}"
    );
    let runs = ok(&cthub(&["linkage", "runs", "--json"], &db, d));
    assert!(runs.as_array().is_some_and(|r| r.len() == 1), "{runs}");
    let pair = |v: &serde_json::Value| -> Option<(String, String)> {
        let items = v
            .as_array()
            .or_else(|| v.get("pairs").and_then(|p| p.as_array()))?;
        items.iter().find_map(|p| {
            let s = p.to_string();
            if !(s.contains("\"a2\"") && s.contains("\"b2\"")) {
                return None;
            }
            let side = |k: &str| {
                let x = &p[k];
                Some(format!(
                    "{}:{}",
                    x["organisation_id"].as_i64()?,
                    x["record_ref"].as_str()?
                ))
            };
            Some((side("a")?, side("b")?))
        })
    };
    let (a, b) = pair(&queue).unwrap_or_else(|| panic!("cannot read the pair from {queue}"));
    ok(&cthub(
        &["linkage", "decide", "accept", &a, &b, "--json"],
        &db,
        d,
    ));
    let second = run(d);
    assert_eq!(in_several(&second), 3, "after accepting john/jon: {second}");
}
