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

/// Pairs (row in a, row in b) whose rec_id numbers agree: FEBRL4's truth.
fn truth(dir: &Path) -> usize {
    let ids = |f: &str| -> Vec<String> {
        let mut r = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(dir.join(f))
            .unwrap();
        r.records()
            .map(|x| x.unwrap()[0].split('-').nth(1).unwrap().to_string())
            .collect()
    };
    let (a, b) = (ids("dataset4a.csv"), ids("dataset4b.csv"));
    let set: std::collections::HashSet<_> = a.iter().collect();
    b.iter().filter(|x| set.contains(x)).count()
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
    println!("FEBRL4: {matches} matches, {truth} true pairs, {}", s);
    assert!(matches >= truth * 99 / 100 && matches <= truth * 101 / 100);
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
    println!(
        "encoded FEBRL4: {linked} persons linked of {}",
        truth(&data)
    );
    assert!(linked >= truth(&data) * 97 / 100, "{s}");
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
