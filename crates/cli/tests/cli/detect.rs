//! `cthub detect …` end to end: generated corpora (always) and EMSCAD (skipped without ../shared).

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use common::{ok, text};

fn cthub(args: &[&str], cwd: &Path) -> Output {
    common::run(
        Command::new(env!("CARGO_BIN_EXE_cthub"))
            .args(args)
            .env_remove("CTHUB_EMSCAD_DIR")
            .env_remove("CTHUB_DETECT_KEY_FILE")
            .current_dir(cwd),
        args,
    )
}

#[test]
fn corpus_cluster_score_on_a_synthetic_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let c = ok(&cthub(
        &[
            "detect",
            "corpus",
            "--kind",
            "synthetic",
            "--seed",
            "3",
            "--clusters",
            "40",
            "--singletons",
            "40",
            "--out",
            "corpus.jsonl",
            "--json",
        ],
        d,
    ));
    let n = c["documents"].as_u64().unwrap();
    assert!(n >= 120, "{c}");
    let s = ok(&cthub(
        &[
            "detect",
            "cluster",
            "corpus.jsonl",
            "--out",
            "clusters.json",
            "--json",
        ],
        d,
    ));
    assert_eq!(s["documents"].as_u64(), Some(n));
    assert!(s["clusters"].as_u64().unwrap() >= 35, "{s}");
    let top = &s["top"][0];
    assert!(
        top["template"].as_str().unwrap().contains("[[slot 1]]"),
        "{top}"
    );
    assert!(
        top["slots"][0]["values"].as_array().unwrap().len() >= 2,
        "{top}"
    );
    let g = ok(&cthub(
        &[
            "detect",
            "score",
            "--truth",
            "corpus.jsonl",
            "--clusters",
            "clusters.json",
            "--json",
        ],
        d,
    ));
    println!("synthetic corpus: {g}");
    assert!(g["ari"].as_f64().unwrap() >= 0.95, "{g}");
    // The same corpus as CSV scores the same, and the human output names the figures.
    ok(&cthub(
        &[
            "detect",
            "corpus",
            "--kind",
            "synthetic",
            "--seed",
            "3",
            "--clusters",
            "40",
            "--singletons",
            "40",
            "--out",
            "corpus.csv",
            "--json",
        ],
        d,
    ));
    let o = cthub(&["detect", "cluster", "corpus.csv", "--out", "c2.json"], d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("clusters of 2+"));
    let o = cthub(
        &[
            "detect",
            "score",
            "--truth",
            "corpus.csv",
            "--clusters",
            "c2.json",
        ],
        d,
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("ARI "),
        "{}",
        text(&o)
    );
}

#[test]
fn incremental_index_gives_the_batch_clustering() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&cthub(
        &[
            "detect",
            "corpus",
            "--kind",
            "synthetic",
            "--seed",
            "4",
            "--clusters",
            "30",
            "--singletons",
            "30",
            "--out",
            "all.jsonl",
            "--json",
        ],
        d,
    ));
    let all = std::fs::read_to_string(d.join("all.jsonl")).unwrap();
    let lines: Vec<&str> = all.lines().collect();
    let half = lines.len() / 2;
    std::fs::write(d.join("a.jsonl"), lines[..half].join("\n")).unwrap();
    std::fs::write(d.join("b.jsonl"), lines[half..].join("\n")).unwrap();
    ok(&cthub(
        &[
            "detect",
            "cluster",
            "all.jsonl",
            "--out",
            "batch.json",
            "--json",
        ],
        d,
    ));
    ok(&cthub(
        &[
            "detect", "cluster", "a.jsonl", "--index", "ix.json", "--json",
        ],
        d,
    ));
    let s = ok(&cthub(
        &[
            "detect", "cluster", "b.jsonl", "--index", "ix.json", "--out", "inc.json", "--json",
        ],
        d,
    ));
    assert_eq!(s["documents"].as_u64(), Some(lines.len() as u64));
    assert_eq!(
        s["new_documents"].as_u64(),
        Some((lines.len() - half) as u64)
    );
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join(f)).unwrap()).unwrap()
    };
    assert_eq!(
        read("batch.json")["assignments"],
        read("inc.json")["assignments"]
    );
    // Other parameters than the index's are refused.
    let o = cthub(
        &[
            "detect",
            "cluster",
            "b.jsonl",
            "--index",
            "ix.json",
            "--threshold",
            "0.7",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("other parameters"));
}

const ADS: &str = "id,platform,url,posted_at,title,text,price,location,whatsapp,phash\n\
a1,board,https://b.example/1,2024-01-02,Waitress,\"Work in Dubai, call 07911 123456 or mail jobs@example.com\",$2500,Dubai,+447911123459,ffd8a0b0c0d0e0f0\n\
a2,board,https://b.example/2,2024-01-01,Waitress,\"Work  in Dubai, call 07911 123456 or mail jobs@example.com\",$2500,Dubai,+447911123459,\n\
a3,board,not a url,2024-01-03,Cook,Kitchen job,,,,\n\
a4,social,https://s.example/4,someday,Cook,Kitchen job,,,,\n\
a5,social,https://s.example/5,2024-01-05,Driver,\"Telegram: @fast_cash, BTC 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\",,,,\n";

#[test]
fn ingest_merges_reposts_and_quarantines_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ads.csv"), ADS).unwrap();
    let o = cthub(
        &[
            "detect",
            "ingest",
            "ads.csv",
            "--region",
            "GB",
            "--out",
            "ads.jsonl",
            "--json",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["rows"], 5);
    assert_eq!(s["ads"], 2);
    assert_eq!(s["duplicates"], 1);
    assert_eq!(s["quarantined"], 2);
    assert_eq!(s["entities"]["crypto"], 1);
    assert_eq!(s["issues"][0]["rule"], "url-absolute-http");
    assert_eq!(s["issues"][0]["row"], 4);
    assert_eq!(s["issues"][0]["column"], "url");
    assert_eq!(s["issues"][0]["value"], "not a url");
    assert_eq!(s["issues"][1]["rule"], "posted-at-time");
    let q = std::fs::read_to_string(d.join("ads.jsonl.quarantine.jsonl")).unwrap();
    assert_eq!(q.lines().count(), 2);
    assert!(q.contains("\"someday\""), "raw cells kept: {q}");
    // Human output: errors on stderr name file, row, column, value and rule.
    let o = cthub(&["detect", "ingest", "ads.csv", "--region", "GB"], d);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ads.csv: row 4, column `url`, value \"not a url\": url-absolute-http"),
        "{err}"
    );
    // Entities of the ingested ads, and of the raw file.
    let e = ok(&cthub(&["detect", "entities", "ads.jsonl", "--json"], d));
    assert_eq!(e["ads"], 2);
    assert_eq!(e["counts"]["email"], 1);
    assert!(e["counts"]["phone"].as_u64().unwrap() >= 2, "{e}");
    let first = &e["per_ad"][0]["entities"];
    assert!(first
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["kind"] == "phone" && x["value"] == "+447911123456"));
    let o = cthub(&["detect", "entities", "ads.csv", "--region", "GB"], d);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("handle(telegram)=fast_cash"));
}

#[test]
fn screen_lists_reasons_and_measures_indicators() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("jobs.jsonl"),
        "{\"id\":\"j1\",\"text\":\"Urgent hiring, no experience needed, pay a small registration fee\",\"scam\":\"1\"}\n\
         {\"id\":\"j2\",\"text\":\"We are a bakery founded in 1990 looking for a baker\",\"scam\":\"0\"}\n\
         {\"id\":\"j3\",\"text\":\"Data entry from home, earn $500 per week\",\"scam\":\"1\"}\n",
    )
    .unwrap();
    let s = ok(&cthub(
        &[
            "detect",
            "screen",
            "jobs.jsonl",
            "--label",
            "scam",
            "--out",
            "s.jsonl",
            "--json",
        ],
        d,
    ));
    assert_eq!(s["ads"], 3);
    assert_eq!(s["flagged"], 2);
    assert_eq!(s["top"][0]["id"], "j1");
    let reasons = s["top"][0]["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r == "fee-or-deposit"), "{s}");
    let ev = &s["evaluation"];
    assert_eq!(ev["positives"], 2);
    let fee = ev["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "fee-or-deposit")
        .unwrap();
    assert_eq!(fee["fired"], 1);
    assert_eq!(fee["precision"], 1.0);
    assert_eq!(
        std::fs::read_to_string(d.join("s.jsonl"))
            .unwrap()
            .lines()
            .count(),
        3
    );
    // A bad indicator file is an error naming the indicator.
    std::fs::write(
        d.join("ind.json"),
        r#"[{"name":"broken","description":"","weight":1,"kind":"text","pattern":"("}]"#,
    )
    .unwrap();
    let o = cthub(
        &["detect", "screen", "jobs.jsonl", "--indicators", "ind.json"],
        d,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("indicator `broken`"),
        "{}",
        text(&o)
    );
}

#[test]
fn keyed_ingest_keeps_no_raw_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ads.csv"), ADS).unwrap();
    std::fs::write(d.join("key"), "a key of at least sixteen bytes").unwrap();
    let o = cthub(
        &[
            "detect",
            "ingest",
            "ads.csv",
            "--region",
            "GB",
            "--key-file",
            "key",
            "--out",
            "ads.jsonl",
            "--json",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let out = std::fs::read_to_string(d.join("ads.jsonl")).unwrap();
    for raw in ["7911", "jobs@example.com", "fast_cash", "1A1zP1eP5Q"] {
        assert!(!out.contains(raw), "{raw} in {out}");
    }
    assert!(out.contains("#PHONE_"));
    std::fs::write(d.join("short"), "abc").unwrap();
    let o = cthub(&["detect", "ingest", "ads.csv", "--key-file", "short"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 16"));
}

#[test]
fn usage_errors_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["ingest", "entities", "cluster", "corpus", "score", "screen"] {
        let o = cthub(&["detect", sub, "--help"], d);
        assert_eq!(o.status.code(), Some(0), "{sub}");
    }
    let o = cthub(
        &["detect", "corpus", "--kind", "nope", "--out", "x.jsonl"],
        d,
    );
    assert_eq!(o.status.code(), Some(2));
    std::fs::write(d.join("x.jsonl"), "{\"id\":\"1\",\"text\":\"a b\"}\n").unwrap();
    let o = cthub(&["detect", "cluster", "x.jsonl", "--threshold", "2"], d);
    assert_eq!(o.status.code(), Some(1));
    let o = cthub(&["detect", "cluster", "missing.jsonl"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.jsonl"));
    let o = cthub(
        &[
            "detect", "corpus", "--kind", "slots", "--out", "s.jsonl", "--emscad", "nowhere",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--kind synthetic"));
}

#[test]
fn emscad_ingest_and_planted_corpora() {
    let Some(data) = common::shared("emscad-partial") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = data.join("emscad_first499.csv");
    let b = data.join("emscad_fraud856_plus_legit_metadata.csv");
    let o = cthub(
        &[
            "detect",
            "ingest",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--region",
            "US",
            "--out",
            "ads.jsonl",
            "--json",
        ],
        d,
    );
    let s: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    println!(
        "EMSCAD ingest: {}",
        serde_json::json!({"rows": s["rows"], "ads": s["ads"], "duplicates": s["duplicates"], "quarantined": s["quarantined"], "warnings": s["warnings"], "entities": s["entities"]})
    );
    assert_eq!(s["rows"], 499 + 3083);
    assert_eq!(s["files"][0]["layout"], "emscad");
    let accounted = s["versions"].as_u64().unwrap() + s["quarantined"].as_u64().unwrap();
    assert_eq!(
        accounted,
        499 + 3083,
        "every row is an ad version or quarantined"
    );
    assert!(s["duplicates"].as_u64().unwrap() > 0);
    assert!(s["entities"]["masked_email"].as_u64().unwrap() > 0);
    assert!(s["entities"]["location"].as_u64().unwrap() > 1000);
    // The fraudulent descriptions hold templates: the clustering finds them.
    let c = ok(&cthub(
        &[
            "detect",
            "cluster",
            "ads.jsonl",
            "--out",
            "clusters.json",
            "--json",
        ],
        d,
    ));
    println!("EMSCAD clusters: {}", c["clusters"]);
    assert!(c["clusters"].as_u64().unwrap() >= 10, "{c}");
    for kind in ["slots", "edits"] {
        let file = format!("{kind}.jsonl");
        ok(&cthub(
            &[
                "detect",
                "corpus",
                "--kind",
                kind,
                "--seed",
                "1",
                "--emscad",
                data.to_str().unwrap(),
                "--out",
                &file,
                "--json",
            ],
            d,
        ));
        ok(&cthub(
            &["detect", "cluster", &file, "--out", "c.json", "--json"],
            d,
        ));
        let g = ok(&cthub(
            &[
                "detect",
                "score",
                "--truth",
                &file,
                "--clusters",
                "c.json",
                "--json",
            ],
            d,
        ));
        println!("EMSCAD {kind}: {g}");
        assert!(g["ari"].as_f64().unwrap() >= 0.95, "{kind}: {g}");
    }
}
