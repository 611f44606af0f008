//! Linkage on FEBRL4 (when the shared data is present), model save/load, explanations and bad
//! input.

use std::path::PathBuf;

use cthub_link::{eval, Dataset, LinkError, Linker, Model, Settings};

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/splink-datasets"
    ));
    if dir.join("dataset4a.csv").exists() {
        Some(dir)
    } else {
        println!("SKIPPED: splink datasets not found at {}", dir.display());
        None
    }
}

fn febrl_settings() -> Settings {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/febrl4.toml"))
            .unwrap();
    let mut s = Settings::from_toml(&text).unwrap();
    s.training.u_sample_pairs = 200_000;
    s
}

fn ds(name: &str, headers: &[&str], rows: &[&[&str]]) -> Dataset {
    let cols = (0..headers.len())
        .map(|c| rows.iter().map(|r| r[c].to_string()).collect())
        .collect();
    Dataset::new(name, headers.iter().map(|h| h.to_string()).collect(), cols).unwrap()
}

#[test]
fn febrl4_f1_and_model_roundtrip() {
    let Some(dir) = data_dir() else { return };
    let a = Dataset::from_csv(dir.join("dataset4a.csv")).unwrap();
    let b = Dataset::from_csv(dir.join("dataset4b.csv")).unwrap();
    let linker = Linker::new(febrl_settings(), vec![a, b]).unwrap();
    let model = linker.train().unwrap();
    let pred = linker.predict(&model).unwrap();
    let entity: Vec<u64> = (0..linker.len() as u32)
        .map(|r| {
            linker
                .record_id(r)
                .split('-')
                .nth(1)
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    let prf = eval::pairwise(
        pred.matches.iter().map(|p| (p.a, p.b)),
        &entity,
        linker.sources(),
        true,
    );
    println!("FEBRL4 {prf}");
    assert!(prf.f1 >= 0.999, "{prf}");

    // Saved and loaded models score identically; explanations add up.
    let json = model.to_json().unwrap();
    let loaded = Model::from_json(&json).unwrap();
    assert_eq!(loaded.comparisons.len(), model.comparisons.len());
    for m in pred.matches.iter().take(100) {
        let w = linker.score(&loaded, m.a, m.b).unwrap();
        assert!((w - m.weight).abs() < 1e-9);
    }
    let p = pred.matches[0];
    let e = linker.explain(&loaded, p.a, p.b).unwrap();
    let sum: f64 = e.prior_weight
        + e.terms
            .iter()
            .map(|t| t.partial_weight + t.tf_adjustment)
            .sum::<f64>();
    assert!((sum - p.weight).abs() < 1e-9 && (e.match_weight - p.weight).abs() < 1e-9);
    assert_eq!(e.terms.len(), 9);
}

const SMALL: &str = r#"
link_type = "dedupe"
unique_id = "id"
blocking = [["surname:2"]]
[[comparisons]]
column = "first"
normalize = "name"
tf_adjust = true
levels = [{ kind = "exact" }, { kind = "jaro_winkler", threshold = 0.9 }]
[[comparisons]]
column = "surname"
normalize = "name"
levels = [{ kind = "exact" }]
[[comparisons]]
column = "dob"
levels = [{ kind = "exact" }, { kind = "date_days", max_days = 31 }]
[training]
u_sample_pairs = 5000
"#;

fn people() -> Dataset {
    ds(
        "people",
        &["id", "first", "surname", "dob"],
        &[
            &["1", "Mária", "Novák", "1990-01-02"],
            &["2", "MARIA", "Novak", "1990-01-02"],
            &["3", "", "Novak", ""],
            &["4", "", "Novak", ""],
            &["5", "Ivan", "Petrov", "1985-05-05"],
            &["6", "Иван", "Петров", "1985-05-06"],
            &["7", "John", "Smith", "1970-07-07"],
            &["8", "Jane", "Smythe", "1971-08-08"],
        ],
    )
}

#[test]
fn missing_values_are_null_not_match_and_scripts_meet() {
    let linker = Linker::new(Settings::from_toml(SMALL).unwrap(), vec![people()]).unwrap();
    let model = linker.train().unwrap();
    // Records 3 and 4 share only a surname; first and dob missing: the null level, weight 0.
    let e = linker.explain(&model, 2, 3).unwrap();
    assert_eq!(e.terms[0].level, "null");
    assert_eq!(e.terms[0].partial_weight, 0.0);
    assert_eq!(e.terms[2].level, "null");
    // Cyrillic and Latin spellings of the same name normalise to the same value.
    let e = linker.explain(&model, 4, 5).unwrap();
    assert_eq!(e.terms[0].level, "exact");
    assert_eq!(e.terms[1].level, "exact");
    assert_eq!(e.terms[2].level, "date<=31d");
    // Diacritics.
    let e = linker.explain(&model, 0, 1).unwrap();
    assert!(e.terms.iter().all(|t| t.level == "exact"));
}

#[test]
fn unknown_column_is_a_clear_error() {
    let bad = SMALL.replace("column = \"dob\"", "column = \"date_of_birth\"");
    let err = Linker::new(Settings::from_toml(&bad).unwrap(), vec![people()])
        .err()
        .unwrap();
    assert!(
        matches!(err, LinkError::UnknownColumn { ref column, .. } if column == "date_of_birth"),
        "{err}"
    );
    assert!(err.to_string().contains("available"), "{err}");

    let bad_block = SMALL.replace("[[\"surname:2\"]]", "[[\"nope\"]]");
    assert!(matches!(
        Linker::new(Settings::from_toml(&bad_block).unwrap(), vec![people()]),
        Err(LinkError::UnknownColumn { .. })
    ));
    let typo = SMALL.replace("max_days", "max_dayz");
    assert!(matches!(
        Settings::from_toml(&typo),
        Err(LinkError::Settings(_))
    ));
    let no_block = SMALL.replace("blocking = [[\"surname:2\"]]", "blocking = []");
    assert!(matches!(
        Settings::from_toml(&no_block),
        Err(LinkError::Settings(_))
    ));
    // Dedupe with two datasets, link with one.
    assert!(matches!(
        Linker::new(
            Settings::from_toml(SMALL).unwrap(),
            vec![people(), people()]
        ),
        Err(LinkError::Datasets(_))
    ));
}

#[test]
fn model_json_that_does_not_fit_is_refused() {
    let linker = Linker::new(Settings::from_toml(SMALL).unwrap(), vec![people()]).unwrap();
    let mut model = linker.train().unwrap();
    model.comparisons[0].levels.pop();
    assert!(matches!(linker.predict(&model), Err(LinkError::Model(_))));
    assert!(Model::from_json("{\"nope\": 1}").is_err());
}

#[test]
fn links_three_datasets_without_within_dataset_pairs() {
    let text = SMALL.replace("link_type = \"dedupe\"", "link_type = \"link\"");
    let make = |name: &str, rows: &[&[&str]]| ds(name, &["id", "first", "surname", "dob"], rows);
    let a = make(
        "a",
        &[
            &["a1", "Anna", "Novak", "1990-01-02"],
            &["a2", "Anna", "Novak", "1990-01-02"],
        ],
    );
    let b = make(
        "b",
        &[
            &["b1", "Anna", "Novák", "1990-01-02"],
            &["b2", "Petr", "Novy", "1970-03-03"],
        ],
    );
    let c = make(
        "c",
        &[
            &["c1", "ANNA", "NOVAK", "1990-01-03"],
            &["c2", "Ivan", "Nosov", "1960-01-01"],
        ],
    );
    let linker = Linker::new(Settings::from_toml(&text).unwrap(), vec![a, b, c]).unwrap();
    for &p in linker.candidate_pairs() {
        let (x, y) = cthub_link::blocking::unpack(p);
        assert_ne!(
            linker.source(x),
            linker.source(y),
            "no pairs within a dataset when linking"
        );
    }
    let model = linker.train().unwrap();
    let e = linker.explain(&model, 0, 2).unwrap();
    assert!(e.terms.iter().all(|t| t.level == "exact"));
    assert!(linker.total_pairs() == 12.0);
}

#[test]
fn example_settings_and_schema_parse() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    for f in ["febrl4.toml", "fake_1000.toml", "historical_figures.toml"] {
        Settings::from_file(format!("{dir}/{f}")).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    let text = std::fs::read_to_string(format!("{dir}/febrl4_schema.toml")).unwrap();
    cthub_link::pprl::LinkageSchema::from_toml(&text).unwrap();
}

#[test]
fn model_file_roundtrip() {
    let linker = Linker::new(Settings::from_toml(SMALL).unwrap(), vec![people()]).unwrap();
    let model = linker.train().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    for (a, b) in [(0u32, 1u32), (4, 5), (2, 3)] {
        assert!(
            (linker.score(&model, a, b).unwrap() - linker.score(&loaded, a, b).unwrap()).abs()
                < 1e-9
        );
    }
    assert!(
        linker.score(&model, 0, 99).is_err(),
        "out-of-range records are an error, not a panic"
    );
}
