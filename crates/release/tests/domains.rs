//! DP value domains: no value appears in a release because a record holds it.

use std::path::Path;

use cthub_release::{run, DomainSource, DpRequest, Method, Source};
use cthub_standard::crosswalk;
use cthub_standard::CtdcSchema;
use cthub_store::Store;

fn store(dir: &Path) -> Box<dyn Store> {
    let mut s = cthub_store::open(dir.join("hub.db").to_str().unwrap()).unwrap();
    s.set_privacy_budget("store", "test", 1e9, "test").unwrap();
    s
}

fn request(source: Source, method: Method) -> DpRequest {
    DpRequest {
        source,
        method,
        epsilon: 1.0,
        delta: 1e-6,
        columns: Vec::new(),
        config: None,
        person_id: None,
        max_records_per_person: 1,
        domains: Vec::new(),
        publish: false,
        actor: "test".into(),
    }
}

/// A file with a free-text nationality column: 2,000 records of three common values and one
/// record of "Atlantis"; no value list is declared, so every column goes through DP partition
/// selection.
fn rare_value_file(dir: &Path) -> std::path::PathBuf {
    let mut csv = String::from("gender,nationality,sector\n");
    for i in 0..2000 {
        csv.push_str(&format!(
            "{},{},{}\n",
            ["F", "M"][i % 2],
            ["Arcadia", "Borduria", "Carpania"][i % 3],
            ["farm", "factory", "home", "hotel"][i % 4]
        ));
    }
    csv.push_str("F,Atlantis,mine-Zq7\n");
    let path = dir.join("rare.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

/// The store (with a budget for the file) and the rare-value file as a release source.
fn rare_value_source(dir: &Path) -> (Box<dyn Store>, Source) {
    let path = rare_value_file(dir);
    let mut s = store(dir);
    let dataset = cthub_release::file_dataset(&path).unwrap();
    s.set_privacy_budget(&dataset, "rare", 1e9, "test").unwrap();
    (
        s,
        Source::File {
            path,
            delimiter: b',',
        },
    )
}

/// A value present in exactly one record appears in no release: not in the synthetic records,
/// the aggregates, their value lists or any report. 500 synthetic and 500 aggregate releases
/// (fresh noise each); the selection's failure probability is δ/2 = 5e-7 per release.
#[test]
fn a_value_of_one_record_is_never_released() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, source) = rare_value_source(dir.path());
    let runs: usize = std::env::var("CTHUB_DOMAIN_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let mut released = 0;
    for i in 0..runs {
        for method in [
            Method::Synthetic { seed: i as u64 },
            Method::Aggregates {
                length: 2,
                hierarchies: Vec::new(),
            },
        ] {
            let r = run(s.as_mut(), &request(source.clone(), method), None).unwrap();
            // what is released: the registered files (`*.internal.*` quality reports compare
            // with the sensitive data and stay with the data holder)
            let public: Vec<&String> = r.release.files.iter().map(|f| &f.name).collect();
            assert!(!public.is_empty());
            for (name, bytes) in r.files.iter().filter(|(n, _)| public.contains(&n)) {
                let text = String::from_utf8_lossy(bytes);
                assert!(
                    !text.contains("Atlantis") && !text.contains("mine-Zq7"),
                    "run {i}: {name} of the {} release holds the value of one record",
                    r.kind
                );
            }
            assert!(!r.release.manifest.to_string().contains("Atlantis"));
            released += 1;
        }
    }
    // the common values do come through, and the manifest says how the lists were made
    let r = run(
        s.as_mut(),
        &request(source.clone(), Method::Synthetic { seed: 1 }),
        None,
    )
    .unwrap();
    let csv = String::from_utf8_lossy(&r.files[0].1).to_string();
    assert!(
        csv.contains("Borduria") && csv.contains("hotel"),
        "{csv:.300}"
    );
    let domains = &r.release.manifest["domains"];
    assert_eq!(domains["sources"]["nationality"], "selected", "{domains}");
    assert!(domains["selection"]["rho"].as_f64().unwrap() > 0.0);
    println!("{released} releases, none with the value of one record");
}

/// A declared list is used as declared (the rare value may then appear: the list is public),
/// and a list for a column that is not released is refused.
#[test]
fn declared_lists_replace_the_selection() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, source) = rare_value_source(dir.path());
    let mut req = request(source.clone(), Method::Synthetic { seed: 2 });
    req.domains = vec![
        (
            "nationality".into(),
            ["Arcadia", "Borduria", "Carpania", "Atlantis"]
                .map(String::from)
                .to_vec(),
        ),
        ("gender".into(), vec!["F".into(), "M".into()]),
        (
            "sector".into(),
            ["farm", "factory", "home", "hotel"]
                .map(String::from)
                .to_vec(),
        ),
    ];
    let r = run(s.as_mut(), &req, None).unwrap();
    let d = &r.release.manifest["domains"];
    assert_eq!(d["sources"]["nationality"], "declared", "{d}");
    assert!(d["selection"].is_null(), "nothing to select: {d}");
    // the whole ρ of (ε, δ) goes to the mechanism when nothing is selected
    assert!((r.rho - cthub_release::rho_of(1.0, 1e-6).unwrap()).abs() < 1e-12);
    req.domains = vec![("passport".into(), vec!["x".into()])];
    let e = run(s.as_mut(), &req, None).unwrap_err();
    assert!(e.to_string().contains("passport"), "{e}");
}

/// Every value the CTDC layouts write for the store's records lies in the standard's list of its
/// column (so declaring the lists never recodes a recorded value away), and a release of the
/// store uses only the standard's lists.
#[test]
fn the_standard_lists_cover_every_written_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let cfg = cthub_demo::DemoConfig {
        seed: 11,
        victims: 1500,
        ..cthub_demo::DemoConfig::default()
    };
    let csv_path = dir.path().join("demo.csv");
    cthub_demo::write_kanon_csv(&cfg, std::fs::File::create(&csv_path).unwrap()).unwrap();
    let mut p = cthub_ingest::prepare(&csv_path, &cthub_ingest::ImportOptions::default()).unwrap();
    let meta = cthub_store::ContributionMeta {
        organisation: "demo".into(),
        imported_by: "test".into(),
        source: p.info.clone(),
        synthetic: true,
    };
    let mut tx = s.begin_import(&meta).unwrap();
    while let Some(row) = p.next_row().unwrap() {
        tx.add(&row).unwrap();
    }
    let summary = p.into_summary();
    tx.commit(&summary).unwrap();
    let year = 2030;
    let mut checked = 0usize;
    s.for_each_record(None, &mut |r| {
        for schema in CtdcSchema::ALL {
            let row = crosswalk::to_row(schema, &r.record);
            for (c, v) in crosswalk::columns(schema).iter().zip(&row) {
                if let Some(list) = crosswalk::public_values(schema, c.column, year) {
                    assert!(
                        list.contains(v),
                        "{schema:?} {}: {v:?} is not in the standard's list",
                        c.column
                    );
                    checked += 1;
                }
            }
        }
        Ok(())
    })
    .unwrap();
    assert!(checked > 50_000, "{checked} cells checked");
    for layout in [CtdcSchema::Synthetic2024, CtdcSchema::Kanon2018] {
        let mut req = request(
            Source::Store {
                contribution: None,
                layout,
            },
            Method::Synthetic { seed: 3 },
        );
        if layout == CtdcSchema::Kanon2018 {
            req.columns = [
                "gender",
                "citizenship",
                "RecruiterRelationship",
                "typeOfLabourConcatenated",
            ]
            .map(String::from)
            .to_vec();
        }
        let r = run(s.as_mut(), &req, None).unwrap();
        let sources = r.release.manifest["domains"]["sources"]
            .as_object()
            .unwrap()
            .clone();
        let selected: Vec<_> = sources
            .iter()
            .filter(|(_, v)| *v != &serde_json::json!(DomainSource::Standard))
            .map(|(k, _)| k.clone())
            .collect();
        if layout == CtdcSchema::Synthetic2024 {
            assert!(selected.is_empty(), "not from the standard: {selected:?}");
        } else {
            // the 2018 layout's concatenations and free text are not fixed lists: selected
            assert_eq!(
                selected,
                ["RecruiterRelationship", "typeOfLabourConcatenated"],
                "{sources:?}"
            );
        }
    }
}
