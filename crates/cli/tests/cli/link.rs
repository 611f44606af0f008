//! `cthub link`, `cthub encode`, `cthub link-encoded` on FEBRL4 (skipped without ../shared).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::ok;

fn cthub(args: &[&str], cwd: &Path) -> Output {
    common::run(
        Command::new(env!("CARGO_BIN_EXE_cthub"))
            .args(args)
            .current_dir(cwd),
        args,
    )
}

fn febrl() -> Option<PathBuf> {
    common::shared("splink-datasets")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../link/examples")
}

/// The person number of each row of a FEBRL4 file (`rec-1070-org` → `1070`), in row order.
fn rec_numbers(dir: &Path, f: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(dir.join(f))
        .unwrap();
    r.records().map(|x| rec_number(&x.unwrap()[0])).collect()
}

fn rec_number(rec_id: &str) -> String {
    rec_id.split('-').nth(1).unwrap().to_string()
}

/// Pairs (row in a, row in b) whose rec_id numbers agree: FEBRL4's truth.
fn truth(dir: &Path) -> usize {
    let (a, b) = (
        rec_numbers(dir, "dataset4a.csv"),
        rec_numbers(dir, "dataset4b.csv"),
    );
    let set: std::collections::HashSet<_> = a.iter().collect();
    b.iter().filter(|x| set.contains(x)).count()
}

/// Precision and recall of predicted pairs of person numbers against FEBRL4's truth.
fn scores(predicted: &[(String, String)], truth: usize) -> (f64, f64) {
    let right = predicted.iter().filter(|(a, b)| a == b).count();
    (
        right as f64 / predicted.len().max(1) as f64,
        right as f64 / truth.max(1) as f64,
    )
}

#[test]
fn link_febrl4_in_the_clear() {
    let Some(data) = febrl() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = data.join("dataset4a.csv");
    let b = data.join("dataset4b.csv");
    let settings = examples().join("febrl4.toml");
    let s = ok(&cthub(
        &[
            "link",
            "--settings",
            settings.to_str().unwrap(),
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--out",
            "run",
            "--json",
        ],
        dir.path(),
    ));
    let truth = truth(&data);
    let matches = s["matches"].as_u64().unwrap() as usize;
    // the pairs themselves, not only their number: each row pair checked against rec_id
    let (a_ids, b_ids) = (
        rec_numbers(&data, "dataset4a.csv"),
        rec_numbers(&data, "dataset4b.csv"),
    );
    let mut r = csv::Reader::from_path(dir.path().join("run/matches.csv")).unwrap();
    let pairs: Vec<(String, String)> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            let (fa, ra, fb, rb) = (&x[0], &x[1], &x[2], &x[3]);
            assert!(fa.contains("4a") && fb.contains("4b"), "{x:?}");
            let row = |s: &str| s.parse::<usize>().unwrap() - 1;
            (a_ids[row(ra)].clone(), b_ids[row(rb)].clone())
        })
        .collect();
    assert_eq!(pairs.len(), matches);
    let (precision, recall) = scores(&pairs, truth);
    println!(
        "FEBRL4: {matches} matches, {truth} true pairs, precision {precision:.4}, recall {recall:.4}; {s}"
    );
    assert!(
        precision >= 0.99 && recall >= 0.98,
        "precision {precision}, recall {recall}"
    );
    for f in [
        "model.json",
        "matches.csv",
        "persons.csv",
        "explanations.jsonl",
        "summary.json",
    ] {
        assert!(dir.path().join("run").join(f).exists(), "{f}");
    }
    let explained = std::fs::read_to_string(dir.path().join("run/explanations.jsonl")).unwrap();
    assert!(explained.lines().count() >= 1);
    // The saved model links again without training.
    let s2 = ok(&cthub(
        &[
            "link",
            "--settings",
            settings.to_str().unwrap(),
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--model",
            "run/model.json",
            "--out",
            "run2",
            "--json",
        ],
        dir.path(),
    ));
    assert_eq!(s2["model"], "loaded");
    assert_eq!(s2["matches"], s["matches"]);
}

#[test]
fn privacy_preserving_linkage_of_febrl4() {
    let Some(data) = febrl() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secret"),
        "a secret shared by the two shelters",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("other"),
        "another secret, not the shared one",
    )
    .unwrap();
    let schema = examples().join("febrl4_schema.toml");
    for (file, out, secret) in [
        ("dataset4a.csv", "a.json", "secret"),
        ("dataset4b.csv", "b.json", "secret"),
        ("dataset4b.csv", "b-other.json", "other"),
    ] {
        let s = ok(&cthub(
            &[
                "encode",
                "--schema",
                schema.to_str().unwrap(),
                "--secret-file",
                secret,
                "--id-column",
                "rec_id",
                data.join(file).to_str().unwrap(),
                "--out",
                out,
                "--json",
            ],
            dir.path(),
        ));
        assert_eq!(s["records"], 5000);
        let text = std::fs::read_to_string(dir.path().join(out)).unwrap();
        assert!(!text.contains("neumann"), "no names in the encodings");
    }
    let s = ok(&cthub(
        &[
            "link-encoded",
            "a.json",
            "b.json",
            "--threshold",
            "0.7",
            "--out",
            "persons.csv",
            "--json",
        ],
        dir.path(),
    ));
    let linked = s["persons_known_to_several_parties"].as_u64().unwrap() as usize;
    // each linked person: the records of the two parties must be the same rec_id number
    let mut by_person: std::collections::BTreeMap<String, Vec<(String, String)>> =
        Default::default();
    let mut r = csv::Reader::from_path(dir.path().join("persons.csv")).unwrap();
    for x in r.records() {
        let x = x.unwrap();
        by_person
            .entry(x[0].to_string())
            .or_default()
            .push((x[1].to_string(), rec_number(&x[2])));
    }
    assert_eq!(by_person.len(), linked);
    let pairs: Vec<(String, String)> = by_person
        .values()
        .map(|recs| {
            let of = |party: &str| {
                recs.iter()
                    .find(|(p, _)| p.contains(party))
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default()
            };
            (of("a"), of("b"))
        })
        .collect();
    let (precision, recall) = scores(&pairs, truth(&data));
    println!(
        "encoded FEBRL4: {linked} persons linked of {}, precision {precision:.4}, recall {recall:.4}",
        truth(&data)
    );
    assert!(
        precision >= 0.99 && recall >= 0.97,
        "precision {precision}, recall {recall}: {s}"
    );
    // A party with another secret is refused: nothing linked on a guess.
    let o = cthub(
        &["link-encoded", "a.json", "b-other.json", "--out", "x.csv"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("another schema or secret"));
    assert!(!dir.path().join("x.csv").exists());
    // Too short a secret is refused.
    std::fs::write(dir.path().join("short"), "abc").unwrap();
    let o = cthub(
        &[
            "encode",
            "--schema",
            schema.to_str().unwrap(),
            "--secret-file",
            "short",
            "--id-column",
            "rec_id",
            data.join("dataset4a.csv").to_str().unwrap(),
            "--out",
            "s.json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
}
