//! The store's behaviour, checked identically on SQLite and PostgreSQL.

use crate::common;

use chrono::NaiveDate;
use cthub_ingest::{ImportIssue, ImportSummary, ImportedRow, Severity, SourceInfo, WITHHELD};
use cthub_standard::model::{Case, Consent, PerpetratorContext, TraffickingEvent, YearSpan};
use cthub_standard::vocab::*;
use cthub_standard::{CaseRecord, Country, SCHEMA_VERSION};
use cthub_store::{ContributionMeta, Store, StoreError, LATEST_VERSION};

use common::Fixture;

on_both_backends!(
    migrations_are_idempotent,
    import_commits_with_counts_and_provenance,
    quarantine_keeps_raw_content_and_issues,
    dropped_import_rolls_back,
    uncommitted_import_is_invisible_to_other_connections,
    duplicate_hash_is_already_imported,
    audit_log_is_append_only,
    headline_figures_are_exact,
    records_round_trip,
    ten_thousand_rows,
    database_errors_surface_and_the_store_recovers,
    migration_4_moves_record_text_into_segments,
    privacy_ledger_enforces_budgets,
    concurrent_charges_never_overspend,
    glotip_imports_round_trip,
    linkage_round_trip,
);

fn country(s: &str) -> Country {
    Country::parse(s).unwrap()
}

fn source(file: &str, sha: &str) -> SourceInfo {
    SourceInfo {
        file_name: file.to_string(),
        sha256: sha.to_string(),
        bytes: 12345,
        format: "ctdc-kanon-2018".to_string(),
        container: "csv".to_string(),
        sheet: Some("Sheet 1".to_string()),
        columns: vec![
            "gender".into(),
            "citizenship".into(),
            "yearOfRegistration".into(),
        ],
        schema_version: SCHEMA_VERSION,
    }
}

fn meta(file: &str, sha: &str) -> ContributionMeta {
    ContributionMeta {
        organisation: "IOM Mission Windhoek".to_string(),
        imported_by: "analyst@example.org".to_string(),
        source: source(file, sha),
        synthetic: false,
    }
}

fn issue(
    file: &str,
    row: u64,
    column: &str,
    value: &str,
    rule: &str,
    severity: Severity,
) -> ImportIssue {
    ImportIssue {
        file: file.to_string(),
        row,
        column: column.to_string(),
        value: value.to_string(),
        rule: rule.to_string(),
        hint: format!("check {column}"),
        severity,
    }
}

fn accepted(source_row: u64, record: CaseRecord) -> ImportedRow {
    ImportedRow {
        source_row,
        raw: vec![format!("cell-{source_row}"), "NA".into(), "2019".into()].into(),
        record: Some(record),
        issues: Vec::new(),
    }
}

fn quarantined(source_row: u64, raw: Vec<String>, issues: Vec<ImportIssue>) -> ImportedRow {
    ImportedRow {
        source_row,
        raw: raw.into(),
        record: None,
        issues,
    }
}

fn simple_record(gender: Gender, cit: &str, year: u16) -> CaseRecord {
    let mut r = CaseRecord::new();
    r.person.gender = Some(gender);
    r.person.citizenship.push(country(cit));
    r.victim.registration = Some(YearSpan::year(year));
    r
}

/// Import rows in one contribution, returning its id.
fn import(
    store: &mut dyn Store,
    m: &ContributionMeta,
    rows: &[ImportedRow],
) -> cthub_store::Contribution {
    let mut summary = ImportSummary::default();
    let mut tx = store.begin_import(m).expect("begin import");
    for r in rows {
        summary.add_row(r);
        tx.add(r).expect("add row");
    }
    tx.commit(&summary).expect("commit")
}

fn migrations_are_idempotent(fx: &Fixture) {
    {
        let mut s = fx.open();
        assert_eq!(s.schema_version().unwrap(), LATEST_VERSION);
        let log = s.audit_log().unwrap();
        let migrated: Vec<i64> = log
            .iter()
            .filter(|e| e.action == "migrate")
            .map(|e| e.detail["version"].as_i64().unwrap())
            .collect();
        assert_eq!(migrated, (1..=LATEST_VERSION).collect::<Vec<_>>());
    }
    // Again, through the generic entry point and the location string.
    let mut s = cthub_store::open(&fx.location()).unwrap();
    assert_eq!(
        s.backend(),
        if fx.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    );
    assert_eq!(s.schema_version().unwrap(), LATEST_VERSION);
    let log = s.audit_log().unwrap();
    assert_eq!(
        log.iter().filter(|e| e.action == "migrate").count() as i64,
        LATEST_VERSION
    );
    assert_eq!(s.counts().unwrap(), cthub_store::Counts::default());
    assert!(!s.location().contains("password"));
    drop(s);
    let mut s = fx.open();
    assert_eq!(s.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(s.audit_log().unwrap().len() as i64, LATEST_VERSION);
}

fn import_commits_with_counts_and_provenance(fx: &Fixture) {
    let mut s = fx.open();
    let file = "windhoek-2019.csv";
    let mut warned = accepted(3, simple_record(Gender::Masculine, "ZA", 2019));
    warned.issues.push(issue(
        file,
        3,
        "age",
        "17",
        "consistency.majority",
        Severity::Warning,
    ));
    let rows = vec![
        accepted(2, simple_record(Gender::Feminine, "NA", 2019)),
        warned,
        quarantined(
            4,
            vec!["x".into(), "Atlantis".into(), "2019".into()],
            vec![issue(
                file,
                4,
                "citizenship",
                "Atlantis",
                "country",
                Severity::Error,
            )],
        ),
        accepted(5, simple_record(Gender::Feminine, "PH", 2020)),
        quarantined(
            6,
            vec!["y".into(), "NA".into(), "20199".into()],
            vec![
                issue(
                    file,
                    6,
                    "yearOfRegistration",
                    "20199",
                    "year",
                    Severity::Error,
                ),
                issue(file, 6, "gender", "robot", "vocabulary", Severity::Error),
            ],
        ),
    ];
    let before = s.audit_log().unwrap().len();
    let c = import(s.as_mut(), &meta(file, "aa11"), &rows);
    assert!(c.id > 0);
    assert_eq!(c.organisation, "IOM Mission Windhoek");
    assert_eq!(c.file_name, file);
    assert_eq!(c.sha256, "aa11");
    assert_eq!(c.bytes, 12345);
    assert_eq!(c.format, "ctdc-kanon-2018");
    assert_eq!(c.container, "csv");
    assert_eq!(c.sheet.as_deref(), Some("Sheet 1"));
    assert_eq!(
        c.columns,
        vec!["gender", "citizenship", "yearOfRegistration"]
    );
    assert_eq!(c.schema_version, SCHEMA_VERSION);
    assert_eq!(c.imported_by, "analyst@example.org");
    assert!(!c.synthetic);
    assert!(
        chrono::DateTime::parse_from_rfc3339(&c.imported_at).is_ok(),
        "{}",
        c.imported_at
    );
    assert!(c.imported_at.ends_with('Z'));
    assert_eq!(
        (
            c.rows_read,
            c.rows_accepted,
            c.rows_quarantined,
            c.issues,
            c.warnings
        ),
        (5, 3, 2, 3, 1)
    );
    assert_eq!(c.summary["rows_read"], 5);
    assert_eq!(c.summary["by_rule"]["country"], 1);

    let counts = s.counts().unwrap();
    assert_eq!(
        counts,
        cthub_store::Counts {
            records: 3,
            quarantined: 2,
            contributions: 1,
            issues: 3,
            warnings: 1
        }
    );
    assert_eq!(s.contributions().unwrap(), vec![c.clone()]);
    assert_eq!(s.contribution_by_hash("aa11").unwrap(), Some(c.clone()));
    assert_eq!(s.contribution_by_hash("bb22").unwrap(), None);

    let issues = s.issues(c.id).unwrap();
    let expected: Vec<ImportIssue> = rows.iter().flat_map(|r| r.issues.clone()).collect();
    assert_eq!(issues, expected);

    // A second contribution by another organisation.
    let mut m2 = meta("hotline.xlsx", "bb22");
    m2.organisation = "Polaris".into();
    m2.synthetic = true;
    let c2 = import(
        s.as_mut(),
        &m2,
        &[accepted(2, simple_record(Gender::Masculine, "US", 2021))],
    );
    assert!(c2.id > c.id);
    assert!(c2.synthetic);
    assert_eq!(c2.organisation, "Polaris");
    let all = s.contributions().unwrap();
    assert_eq!(
        all.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![c.id, c2.id]
    );
    assert_eq!(s.counts().unwrap().records, 4);
    assert_eq!(s.issues(c2.id).unwrap(), vec![]);

    let log = s.audit_log().unwrap();
    let imports: Vec<_> = log[before..]
        .iter()
        .filter(|e| e.action == "import")
        .collect();
    assert_eq!(imports.len(), 2);
    assert_eq!(imports[0].actor, "analyst@example.org");
    assert_eq!(imports[0].detail["contribution"], c.id);
    assert_eq!(imports[0].detail["file"], file);
    assert_eq!(imports[0].detail["sha256"], "aa11");
    assert_eq!(imports[0].detail["rows_accepted"], 3);
    assert_eq!(imports[0].detail["rows_quarantined"], 2);
    assert_eq!(imports[1].detail["contribution"], c2.id);
}

fn quarantine_keeps_raw_content_and_issues(fx: &Fixture) {
    let mut s = fx.open();
    let file = "weird \"file\".csv";
    let nasty = vec![
        "tab\there".to_string(),
        "new\nline and \r return".to_string(),
        "back\\slash \\N \\. quote\" 'single'".to_string(),
        WITHHELD.to_string(),
        String::new(),
        "ünïcødé — 中文 — 😀".to_string(),
        "nul\0byte".to_string(),
    ];
    let issues = vec![
        issue(
            file,
            7,
            "gen\tder",
            "va\\lue\nwith\r\"specials\"",
            "vocabulary",
            Severity::Error,
        ),
        issue(file, 7, "age", "", "row.ragged", Severity::Warning),
    ];
    let q = quarantined(7, nasty.clone(), issues.clone());
    let c = import(
        s.as_mut(),
        &meta(file, "cc33"),
        &[q, accepted(8, CaseRecord::new())],
    );
    let rows = s.quarantine(None).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].contribution_id, c.id);
    assert_eq!(rows[0].source_row, 7);
    assert_eq!(rows[0].raw, nasty);
    assert_eq!(rows[0].issues, issues);
    assert_eq!(s.quarantine(Some(c.id)).unwrap(), rows);
    assert_eq!(s.quarantine(Some(c.id + 1000)).unwrap(), vec![]);
    assert_eq!(s.issues(c.id).unwrap(), issues);
}

fn dropped_import_rolls_back(fx: &Fixture) {
    let mut s = fx.open();
    let kept = import(
        s.as_mut(),
        &meta("kept.csv", "keep"),
        &[accepted(2, CaseRecord::new())],
    );
    let counts = s.counts().unwrap();
    let log = s.audit_log().unwrap();
    {
        let mut tx = s.begin_import(&meta("crashed.csv", "dead")).unwrap();
        for i in 0..500 {
            tx.add(&accepted(
                i + 2,
                simple_record(Gender::Feminine, "NA", 2019),
            ))
            .unwrap();
        }
        tx.add(&quarantined(
            600,
            vec!["bad".into()],
            vec![issue("crashed.csv", 600, "c", "v", "rule", Severity::Error)],
        ))
        .unwrap();
        // Dropped without commit: the process "crashed".
    }
    assert_eq!(s.counts().unwrap(), counts);
    assert_eq!(s.contribution_by_hash("dead").unwrap(), None);
    assert_eq!(s.contributions().unwrap(), vec![kept]);
    assert_eq!(s.audit_log().unwrap(), log);
    assert_eq!(s.quarantine(None).unwrap(), vec![]);
    drop(s);
    // Also seen from a fresh connection, and the same file can be imported afterwards.
    let mut s = fx.open();
    assert_eq!(s.counts().unwrap(), counts);
    let c = import(
        s.as_mut(),
        &meta("crashed.csv", "dead"),
        &[accepted(2, CaseRecord::new())],
    );
    assert_eq!(c.rows_accepted, 1);
    assert_eq!(s.counts().unwrap().records, counts.records + 1);
}

fn uncommitted_import_is_invisible_to_other_connections(fx: &Fixture) {
    let mut writer = fx.open();
    let mut reader = fx.open();
    let mut tx = writer.begin_import(&meta("slow.csv", "slow")).unwrap();
    for i in 0..100 {
        tx.add(&accepted(i + 2, CaseRecord::new())).unwrap();
    }
    let cid = tx.contribution_id();
    assert_eq!(reader.counts().unwrap().records, 0);
    assert_eq!(reader.contribution_by_hash("slow").unwrap(), None);
    let c = tx.commit(&ImportSummary::default()).unwrap();
    assert_eq!(c.id, cid);
    assert_eq!(reader.counts().unwrap().records, 100);
    assert_eq!(
        reader.contribution_by_hash("slow").unwrap().unwrap().id,
        cid
    );
}

fn duplicate_hash_is_already_imported(fx: &Fixture) {
    let mut s = fx.open();
    let first = import(
        s.as_mut(),
        &meta("a.csv", "same"),
        &[accepted(2, CaseRecord::new())],
    );
    assert_eq!(
        s.contribution_by_hash("same").unwrap().unwrap().id,
        first.id
    );
    let err = match s.begin_import(&meta("a-renamed.csv", "same")) {
        Ok(_) => panic!("duplicate import was accepted"),
        Err(e) => e,
    };
    match &err {
        StoreError::AlreadyImported {
            contribution_id,
            file,
        } => {
            assert_eq!(*contribution_id, first.id);
            assert_eq!(file, "a.csv");
        }
        other => panic!("expected AlreadyImported, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("already imported") && msg.contains("a.csv"),
        "{msg}"
    );
    // The store is still usable and unchanged.
    assert_eq!(s.counts().unwrap().contributions, 1);
    let other = import(s.as_mut(), &meta("b.csv", "other"), &[]);
    assert_eq!(other.rows_read, 0);
    assert_eq!(s.counts().unwrap().contributions, 2);
}

fn audit_log_is_append_only(fx: &Fixture) {
    let mut s = fx.open();
    import(
        s.as_mut(),
        &meta("a.csv", "a"),
        &[accepted(2, CaseRecord::new())],
    );
    s.record_audit(
        "operator",
        "release",
        serde_json::json!({"release": 1, "k": 11}),
    )
    .unwrap();
    let log = s.audit_log().unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    let mut expected = vec!["migrate"; LATEST_VERSION as usize];
    expected.extend(["import", "release"]);
    assert_eq!(actions, expected);
    assert!(log
        .windows(2)
        .all(|w| w[0].id < w[1].id && w[0].at <= w[1].at));
    let last = log.last().unwrap();
    assert_eq!(last.actor, "operator");
    assert_eq!(last.detail, serde_json::json!({"release": 1, "k": 11}));

    for sql in [
        "UPDATE audit_log SET actor = 'mallory'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE action = 'release'",
    ] {
        let err = fx.raw_exec(sql).expect_err(sql);
        assert!(err.contains("audit_log is append-only"), "{sql}: {err}");
    }
    if fx.is_postgres() {
        let err = fx.raw_exec("TRUNCATE audit_log").expect_err("truncate");
        assert!(err.contains("audit_log is append-only"), "{err}");
    }
    // Appending through SQL still works.
    fx.raw_exec("INSERT INTO audit_log (at, actor, action, detail) VALUES ('2024-01-01T00:00:00Z', 'x', 'note', '{}')")
        .unwrap();
    assert_eq!(s.audit_log().unwrap().len(), log.len() + 1);
    assert_eq!(&s.audit_log().unwrap()[..log.len()], &log[..]);
}

fn headline_figures_are_exact(fx: &Fixture) {
    let mut s = fx.open();
    let empty = s.headline().unwrap();
    assert_eq!(empty.records, 0);
    assert_eq!(empty.female_share, None);
    assert_eq!(empty.years, None);
    assert_eq!(
        empty.exploitation,
        vec![
            ("ForcedLabour".to_string(), 0),
            ("SexualExploitation".to_string(), 0),
            ("Other".to_string(), 0)
        ]
    );

    use ExploitationType as E;
    let mut r1 = simple_record(Gender::Feminine, "NA", 2018);
    r1.person.majority = Some(Majority::Minor);
    r1.victim.country_of_exploitation = Some(country("ZA"));
    r1.victim.exploitation.insert(E::ForcedLabour, true);

    let mut r2 = simple_record(Gender::Masculine, "NA", 2019);
    r2.person.majority = Some(Majority::Adult);
    r2.victim.country_of_exploitation = Some(country("ZA"));
    r2.victim.exploitation.insert(E::SexualExploitation, true);

    let mut r3 = simple_record(Gender::TransgenderFeminine, "ZA", 2019);
    r3.person.age = Some(30); // adult, implied by the age
    r3.victim.country_of_exploitation = Some(country("ZA"));
    r3.victim.exploitation.insert(E::ForcedLabour, true);
    r3.victim.exploitation.insert(E::OrganRemoval, true);

    let mut r4 = simple_record(Gender::NonSpecifiedUnknown, "PH", 2020);
    r4.victim.exploitation.insert(E::ForcedLabour, false);
    r4.victim.exploitation.insert(E::ForcedMarriage, false);

    let r5 = CaseRecord::new();

    let mut r6 = simple_record(Gender::Feminine, "PH", 2020);
    r6.events.push(TraffickingEvent {
        event_type: EventType::Exploitation,
        country: Some(country("MY")),
        state: None,
        city: None,
        date: None,
        latitude: None,
        longitude: None,
    });
    r6.victim.exploitation.insert(E::SexualExploitation, true);

    let mut r7 = simple_record(Gender::Feminine, "NA", 2020);
    r7.victim.registration = Some(YearSpan {
        from: 2020,
        to: 2022,
    });
    r7.victim.country_of_exploitation = Some(country("ZA"));

    import(
        s.as_mut(),
        &meta("real.csv", "real"),
        &[
            accepted(2, r1),
            accepted(3, r2),
            accepted(4, r3),
            accepted(5, r4),
            accepted(6, r5),
            quarantined(
                7,
                vec!["?".into()],
                vec![issue("real.csv", 7, "c", "v", "r", Severity::Error)],
            ),
        ],
    );
    let mut m = meta("synthetic.csv", "synth");
    m.synthetic = true;
    import(s.as_mut(), &m, &[accepted(2, r6), accepted(3, r7)]);

    let h = s.headline().unwrap();
    assert_eq!(h.records, 7);
    assert_eq!(h.quarantined, 1);
    assert_eq!(h.contributions, 2);
    assert_eq!(h.synthetic_records, 2);
    assert_eq!(h.female_share, Some(4.0 / 5.0));
    assert_eq!(h.minor_share, Some(1.0 / 3.0));
    assert_eq!(
        h.exploitation,
        vec![
            ("ForcedLabour".to_string(), 2),
            ("SexualExploitation".to_string(), 2),
            ("Other".to_string(), 1)
        ]
    );
    assert_eq!(
        h.top_flows,
        vec![
            ("NA".to_string(), "ZA".to_string(), 3),
            ("PH".to_string(), "MY".to_string(), 1),
            ("ZA".to_string(), "ZA".to_string(), 1),
        ]
    );
    assert_eq!(h.domestic_share, Some(1.0 / 5.0));
    assert_eq!(h.years, Some((2018, 2020)));
    assert_eq!(h.by_year, vec![(2018, 1), (2019, 2), (2020, 3)]);
    let json = serde_json::to_value(&h).unwrap();
    assert_eq!(json["records"], 7);
}

fn full_record(i: u64) -> CaseRecord {
    use cthub_standard::model::{Organisation, PerpetratorSummary};
    let mut r = CaseRecord::new();
    r.organisation = Some(Organisation {
        name: Some("Shelter \"Hope\"\tNamibia".into()),
        org_type: Some(OrganisationType::NGO),
        country: Some(country("NA")),
        city: Some("Windhoek".into()),
    });
    r.person.gender = Some(Gender::Feminine);
    r.person.birth_date = NaiveDate::from_ymd_opt(1990, 2, 28);
    r.person.age = Some(29);
    r.person.age_band = Some(AgeBand::Age27To29);
    r.person.majority = Some(Majority::Adult);
    r.person.citizenship = vec![country("NA"), country("ZA")];
    r.person.marital_status = Some(MaritalStatus::Single);
    r.person.number_of_children = Some(2);
    r.victim.registration = Some(YearSpan::year(2019));
    r.victim.data_source = Some(DataSource::CaseManagement);
    r.victim
        .exploitation
        .insert(ExploitationType::ForcedLabour, true);
    r.victim
        .exploitation
        .insert(ExploitationType::SexualExploitation, false);
    r.victim
        .means_of_control
        .insert(MeansOfControl::DebtBondage, true);
    r.victim
        .means_of_control
        .insert(MeansOfControl::WithholdsDocuments, false);
    r.victim
        .industries
        .insert(IsicSection::A_AgricultureForestryAndFishing, true);
    r.victim.country_of_exploitation = Some(country("ZA"));
    r.victim.recruiter_relationship_text = Some("line1\nline2 \\ back".into());
    r.perpetrators.push(PerpetratorContext {
        roles: Default::default(),
        gender: Some(Gender::Masculine),
        citizenship: Some(country("ZA")),
        details: Some("tab\there".into()),
    });
    r.perpetrator_summary = Some(PerpetratorSummary {
        exploiter: Some(true),
        ..Default::default()
    });
    r.case = Some(Case {
        reference: Some(format!("CASE-{i}")),
        incoming_referral_date: NaiveDate::from_ymd_opt(2019, 5, 1),
        ..Default::default()
    });
    r.events.push(TraffickingEvent {
        event_type: EventType::Recruitment,
        country: Some(country("NA")),
        state: None,
        city: Some("Rundu".into()),
        date: NaiveDate::from_ymd_opt(2018, 12, 24),
        latitude: Some(-17.9333),
        longitude: Some(19.7667),
    });
    r.consent = Some(Consent {
        given: Some(true),
        manage_personal_data: None,
    });
    r.extra
        .insert("unmapped col".into(), "kept ✓ verbatim\r\n".into());
    r
}

fn records_round_trip(fx: &Fixture) {
    let mut s = fx.open();
    let a: Vec<ImportedRow> = (0..5)
        .map(|i| ImportedRow {
            source_row: i + 2,
            raw: vec![format!("raw {i}"), "a\tb".into(), WITHHELD.into()].into(),
            record: Some(full_record(i)),
            issues: vec![],
        })
        .collect();
    let ca = import(s.as_mut(), &meta("a.csv", "a"), &a);
    let b = vec![accepted(9, simple_record(Gender::Masculine, "US", 2022))];
    let cb = import(s.as_mut(), &meta("b.csv", "b"), &b);

    let mut seen = Vec::new();
    let n = s
        .for_each_record(None, &mut |r| {
            seen.push(r);
            Ok(())
        })
        .unwrap();
    assert_eq!(n, 6);
    assert!(seen.windows(2).all(|w| w[0].id < w[1].id));
    for (got, want) in seen.iter().zip(a.iter().chain(b.iter())) {
        assert_eq!(got.source_row, want.source_row);
        assert_eq!(&got.raw, &want.raw);
        assert_eq!(Some(&got.record), want.record.as_ref());
        assert_eq!(got.schema_version, SCHEMA_VERSION);
    }
    assert!(seen[..5].iter().all(|r| r.contribution_id == ca.id));
    assert_eq!(seen[5].contribution_id, cb.id);

    let mut only_b = Vec::new();
    let n = s
        .for_each_record(Some(cb.id), &mut |r| {
            only_b.push(r);
            Ok(())
        })
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(only_b[0], seen[5]);

    // An error from the callback stops the stream and comes back.
    let mut calls = 0;
    let err = s
        .for_each_record(None, &mut |_| {
            calls += 1;
            if calls == 2 {
                Err(StoreError::Corrupt("stop".into()))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)));
    assert_eq!(calls, 2);
    // And the store is still usable afterwards.
    assert_eq!(s.counts().unwrap().records, 6);
}

fn ten_thousand_rows(fx: &Fixture) {
    let mut s = fx.open();
    let n: u64 = 10_000;
    let genders = [
        Gender::Feminine,
        Gender::Masculine,
        Gender::TransgenderFeminine,
    ];
    let cits = ["NA", "ZA", "PH", "UA", "MD"];
    let mut summary = ImportSummary::default();
    let m = meta("big.csv", "big");
    let mut tx = s.begin_import(&m).unwrap();
    for i in 0..n {
        let row = if i % 100 == 99 {
            quarantined(
                i + 2,
                vec![format!("bad {i}")],
                vec![issue(
                    "big.csv",
                    i + 2,
                    "year",
                    "x",
                    "year",
                    Severity::Error,
                )],
            )
        } else {
            let mut r = simple_record(
                genders[(i % 3) as usize],
                cits[(i % 5) as usize],
                2010 + (i % 10) as u16,
            );
            r.victim.country_of_exploitation = Some(country(cits[((i / 5) % 5) as usize]));
            r.victim
                .exploitation
                .insert(ExploitationType::ForcedLabour, i % 2 == 0);
            accepted(i + 2, r)
        };
        summary.add_row(&row);
        tx.add(&row).unwrap();
    }
    let c = tx.commit(&summary).unwrap();
    assert_eq!((c.rows_accepted, c.rows_quarantined), (9_900, 100));
    assert_eq!(c.summary["rows_accepted"], 9_900);
    let counts = s.counts().unwrap();
    assert_eq!(
        (counts.records, counts.quarantined, counts.issues),
        (9_900, 100, 100)
    );
    let mut last_row = 0;
    let streamed = s
        .for_each_record(Some(c.id), &mut |r| {
            assert!(r.source_row > last_row);
            last_row = r.source_row;
            Ok(())
        })
        .unwrap();
    assert_eq!(streamed, 9_900);
    let h = s.headline().unwrap();
    assert_eq!(h.records, 9_900);
    assert_eq!(h.years, Some((2010, 2019)));
    assert_eq!(h.by_year.iter().map(|(_, n)| n).sum::<u64>(), 9_900);
    assert_eq!(h.top_flows.len(), 10);
    assert_eq!(
        h.exploitation[0].1,
        (0..n).filter(|i| i % 100 != 99 && i % 2 == 0).count() as u64
    );
}

fn database_errors_surface_and_the_store_recovers(fx: &Fixture) {
    // A trigger (test-only) makes the database refuse one row in the middle of an import.
    fx.open(); // creates the schema
    if fx.is_postgres() {
        fx.raw_exec(
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.source_row = 5000 THEN RAISE EXCEPTION 'boom at row 5000'; END IF; RETURN NEW; END $$",
        )
        .unwrap();
        fx.raw_exec(
            "CREATE TRIGGER boom BEFORE INSERT ON case_record FOR EACH ROW EXECUTE FUNCTION boom()",
        )
        .unwrap();
    } else {
        fx.raw_exec(
            "CREATE TRIGGER boom BEFORE INSERT ON case_record WHEN NEW.source_row = 5000 \
             BEGIN SELECT RAISE(ABORT, 'boom at row 5000'); END",
        )
        .unwrap();
    }
    let mut s = fx.open();
    let log = s.audit_log().unwrap();
    let mut tx = s.begin_import(&meta("boom.csv", "boom")).unwrap();
    let mut failure = None;
    for i in 0..20_000 {
        if let Err(e) = tx.add(&accepted(i + 2, CaseRecord::new())) {
            failure = Some(e);
            break;
        }
    }
    let err = match failure {
        Some(e) => {
            // Once failed, the import stays failed.
            let again = tx.add(&accepted(1, CaseRecord::new())).unwrap_err();
            assert!(matches!(again, StoreError::ImportAborted(_)), "{again:?}");
            assert!(again.to_string().contains("boom at row 5000"), "{again}");
            let at_commit = tx.commit(&ImportSummary::default()).unwrap_err();
            assert!(
                matches!(at_commit, StoreError::ImportAborted(_)),
                "{at_commit:?}"
            );
            e
        }
        None => tx.commit(&ImportSummary::default()).unwrap_err(),
    };
    assert!(err.to_string().contains("boom at row 5000"), "{err}");
    // Nothing was stored and the store works on.
    assert_eq!(s.contribution_by_hash("boom").unwrap(), None);
    assert_eq!(s.counts().unwrap(), cthub_store::Counts::default());
    assert_eq!(s.audit_log().unwrap(), log);
    fx.raw_exec(if fx.is_postgres() {
        "DROP TRIGGER boom ON case_record"
    } else {
        "DROP TRIGGER boom"
    })
    .unwrap();
    let rows: Vec<ImportedRow> = (0..6000)
        .map(|i| accepted(i + 2, CaseRecord::new()))
        .collect();
    let c = import(s.as_mut(), &meta("boom.csv", "boom"), &rows);
    assert_eq!(c.rows_accepted, 6000);
}

/// A store written by schema version 3 (record text in `case_record`) keeps every record when
/// migration 4 moves the text into segments, and takes new imports afterwards.
fn migration_4_moves_record_text_into_segments(fx: &Fixture) {
    let mut sql = String::from(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL, \
         description TEXT NOT NULL);\n",
    );
    for m in &cthub_store::MIGRATIONS[..3] {
        sql.push_str(if fx.is_postgres() {
            m.postgres
        } else {
            m.sqlite
        });
        sql.push_str(&format!(
            "\nINSERT INTO schema_migrations VALUES ({}, '2026-01-01T00:00:00Z', 'test');\n",
            m.version
        ));
    }
    let old: Vec<CaseRecord> = (0..3).map(full_record).collect();
    let synthetic = if fx.is_postgres() { "FALSE" } else { "0" };
    sql.push_str(&format!(
        "INSERT INTO organisation (name, created_at) VALUES ('Old org', '2026-01-01');
         INSERT INTO contribution (organisation_id, file_name, sha256, bytes, format, container,
             columns, schema_version, imported_at, imported_by, synthetic, rows_read, rows_accepted)
         VALUES ((SELECT id FROM organisation), 'old.csv', 'old', 10, 'ctdc-kanon-2018', 'csv', '[]', 1,
             '2026-01-01T00:00:00Z', 'me', {synthetic}, 3, 3);\n"
    ));
    for (i, r) in old.iter().enumerate() {
        let json = serde_json::to_string(r).unwrap().replace('\'', "''");
        sql.push_str(&format!(
            "INSERT INTO case_record (contribution_id, source_row, schema_version, record, raw) \
             VALUES ((SELECT id FROM contribution), {}, 1, '{json}', '[\"cell {i}\", \"it''s\"]');\n",
            i + 2
        ));
    }
    fx.raw_batch(&sql).expect("build a version-3 store");

    let mut s = fx.open();
    assert_eq!(s.schema_version().unwrap(), LATEST_VERSION);
    let mut seen = Vec::new();
    s.for_each_record(None, &mut |r| {
        seen.push(r);
        Ok(())
    })
    .unwrap();
    assert_eq!(seen.len(), 3);
    for (i, (got, want)) in seen.iter().zip(&old).enumerate() {
        assert_eq!(&got.record, want);
        assert_eq!(got.source_row, i as u64 + 2);
        assert_eq!(got.raw, vec![format!("cell {i}"), "it's".to_string()]);
    }
    let new = vec![accepted(2, simple_record(Gender::Feminine, "NA", 2020))];
    let c = import(s.as_mut(), &meta("new.csv", "new"), &new);
    let mut all = Vec::new();
    s.for_each_record(None, &mut |r| {
        all.push(r);
        Ok(())
    })
    .unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(all[3].contribution_id, c.id);
    assert_eq!(Some(&all[3].record), new[0].record.as_ref());
    assert_eq!(s.counts().unwrap().records, 4);
}

fn privacy_ledger_enforces_budgets(fx: &Fixture) {
    let mut s = fx.open();
    let release = serde_json::json!({ "kind": "aggregates" });
    match s.charge_privacy("store", 0.1, "x", &release, "me") {
        Err(StoreError::NoBudget(d)) => assert_eq!(d, "store"),
        other => panic!("charging without a budget: {other:?}"),
    }
    assert!(s.privacy_account("store").unwrap().is_none());
    let acc = s
        .set_privacy_budget("store", "all records", 1.0, "admin")
        .unwrap();
    assert_eq!((acc.budget_rho, acc.spent_rho), (1.0, 0.0));
    for i in 0..10 {
        let c = s
            .charge_privacy("store", 0.1, &format!("release {i}"), &release, "analyst")
            .expect("ten charges of 0.1 fit a budget of 1");
        assert_eq!(c.seq, i);
    }
    let err = s
        .charge_privacy("store", 0.05, "one too many", &release, "analyst")
        .unwrap_err();
    assert!(matches!(err, StoreError::BudgetExceeded { requested, .. } if requested == 0.05));
    let msg = err.to_string();
    assert!(msg.contains("exceeded") && msg.contains("0.05"), "{msg}");
    let acc = s.privacy_account("store").unwrap().unwrap();
    assert_eq!(
        acc.charges.len(),
        10,
        "a refused charge leaves the ledger unchanged"
    );
    assert!((acc.spent_rho - 1.0).abs() < 1e-9);
    assert_eq!(acc.charges[3].purpose, "release 3");
    assert_eq!(acc.charges[3].release, release);
    // Lowering the budget below what is spent is refused; raising it works.
    assert!(matches!(
        s.set_privacy_budget("store", "all records", 0.5, "admin"),
        Err(StoreError::BudgetExceeded { .. })
    ));
    s.set_privacy_budget("store", "all records", 2.0, "admin")
        .unwrap();
    s.charge_privacy("store", 0.5, "after raise", &release, "analyst")
        .unwrap();
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            s.charge_privacy("store", bad, "bad", &release, "analyst"),
            Err(StoreError::InvalidPrivacyAmount(_))
        ));
    }
    assert_eq!(s.privacy_accounts().unwrap().len(), 1);
    // Append-only, and audited.
    assert!(fx
        .raw_exec("UPDATE privacy_charge SET rho = 0.0001")
        .is_err());
    assert!(fx.raw_exec("DELETE FROM privacy_charge").is_err());
    let log = s.audit_log().unwrap();
    assert_eq!(
        log.iter().filter(|e| e.action == "privacy-charge").count(),
        11
    );
    assert_eq!(
        log.iter().filter(|e| e.action == "privacy-budget").count(),
        2
    );
}

fn concurrent_charges_never_overspend(fx: &Fixture) {
    fx.open()
        .set_privacy_budget("store", "all", 1.0, "admin")
        .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let location = fx.location();
            std::thread::spawn(move || {
                let mut s = cthub_store::open(&location).unwrap();
                s.charge_privacy("store", 0.3, &format!("t{i}"), &serde_json::json!({}), "x")
                    .is_ok()
            })
        })
        .collect();
    let ok = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|&b| b)
        .count();
    assert_eq!(
        ok, 3,
        "three charges of 0.3 fit a budget of 1, the fourth must not"
    );
    let acc = fx.open().privacy_account("store").unwrap().unwrap();
    assert!(acc.spent_rho <= 1.0);
    assert_eq!(acc.charges.len(), 3);
}

fn glotip_imports_round_trip(fx: &Fixture) {
    let csv = "Iso3_code,Country,Region,Subregion,Indicator,Dimension,Category,Sex,Age,Year,Unit of measurement,txtVALUE,Source
NAM,Namibia,Africa,Sub-Saharan Africa,Detected trafficking victims,Total,Total,Total,Total,2020,Counts,\"1,282\",GLOTIP
NAM,Namibia,Africa,Sub-Saharan Africa,Detected trafficking victims,Total,Total,Total,Total,2019,Counts,<5,GLOTIP
SAM,,Americas,,Detected trafficking victims,Total,Total,Total,Total,2019,Counts,17,GLOTIP
NAM,Namibia,Africa,Sub-Saharan Africa,Detected trafficking victims,Total,Total,Total,Total,2018,Counts,lots,GLOTIP
";
    let g = cthub_glotip::import_csv("glotip.csv", csv.as_bytes()).expect("import the fixture");
    assert!(g.accounting.balanced());
    let mut s = fx.open();
    assert!(s.load_glotip(None).unwrap().is_none());
    let saved = s.save_glotip("glotip.csv", "abc", "analyst", &g).unwrap();
    assert_eq!(saved.accounting, g.accounting);
    let back = s.load_glotip(None).unwrap().unwrap();
    assert_eq!(back.observations, g.observations);
    assert_eq!(back.accounting.rows_in, g.accounting.rows_in);
    assert!(matches!(
        s.save_glotip("again.csv", "abc", "analyst", &g),
        Err(StoreError::GlotipAlreadyImported { id, .. }) if id == saved.id
    ));
    assert_eq!(s.glotip_imports().unwrap().len(), 1);
    assert!(s.load_glotip(Some(saved.id + 1)).unwrap().is_none());
    assert!(s
        .audit_log()
        .unwrap()
        .iter()
        .any(|e| e.action == "glotip-import"));
}

fn linkage_round_trip(fx: &Fixture) {
    use cthub_store::hub;
    use cthub_store::linkage::{self, LinkSide, NewRun, NewSubmission, PersonLink, ReviewEntry};
    let mut s = fx.open();
    let a = hub::create_organisation(s.as_mut(), "Org A", "admin").unwrap();
    let b = hub::create_organisation(s.as_mut(), "Org B", "admin").unwrap();
    fn sub(org: i64, sha: &str) -> NewSubmission<'_> {
        NewSubmission {
            organisation_id: org,
            submitted_by: "contrib",
            file_name: "enc.json",
            sha256: sha,
            fingerprint: "fp1",
            records: 2,
            content: sha.as_bytes().to_vec(),
        }
    }
    linkage::save_submission(s.as_mut(), sub(a.id, "s1")).unwrap();
    let newest_a = linkage::save_submission(s.as_mut(), sub(a.id, "s2")).unwrap();
    linkage::save_submission(s.as_mut(), sub(b.id, "s3")).unwrap();
    assert!(matches!(
        linkage::save_submission(s.as_mut(), sub(b.id, "s1")),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        linkage::save_submission(s.as_mut(), sub(a.id + b.id + 10, "s9")),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        linkage::submissions(s.as_mut(), Some(a.id)).unwrap().len(),
        2
    );
    let latest = linkage::latest_submissions(s.as_mut()).unwrap();
    assert_eq!(latest.len(), 2);
    assert_eq!(latest[0].0.id, newest_a.id);
    assert_eq!(latest[0].1, b"s2");

    // Decisions: canonical order, replaced on a second word, refused within one organisation.
    let side = |o: i64, r: &str| LinkSide {
        organisation_id: o,
        record_ref: r.to_string(),
    };
    linkage::decide(
        s.as_mut(),
        side(b.id, "b1"),
        side(a.id, "a1"),
        "accept",
        "op",
    )
    .unwrap();
    let d = linkage::decide(
        s.as_mut(),
        side(a.id, "a1"),
        side(b.id, "b1"),
        "reject",
        "op2",
    )
    .unwrap();
    assert_eq!(d.a, side(a.id, "a1"));
    let all = linkage::decisions(s.as_mut()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].decision, "reject");
    assert_eq!(all[0].decided_by, "op2");
    assert!(linkage::decide(s.as_mut(), side(a.id, "x"), side(a.id, "y"), "accept", "op").is_err());
    assert!(linkage::decide(s.as_mut(), side(a.id, "x"), side(b.id, "y"), "maybe", "op").is_err());

    // A run with more persons than one INSERT chunk.
    let mut persons = Vec::new();
    for i in 0..1000i64 {
        persons.push(PersonLink {
            person: i / 2 + 1,
            organisation_id: if i % 2 == 0 { a.id } else { b.id },
            record_ref: format!("r{i}"),
            case_record_id: (i < 10).then_some(i + 100),
        });
    }
    let review = vec![
        ReviewEntry {
            a: side(b.id, "b1"),
            b: side(a.id, "a1"),
            similarity: 0.75,
            reason: "uncertain".into(),
        },
        ReviewEntry {
            a: side(a.id, "a2"),
            b: side(b.id, "b2"),
            similarity: 0.9,
            reason: "conflict".into(),
        },
    ];
    let run = linkage::save_run(
        s.as_mut(),
        NewRun {
            created_by: "op",
            fingerprint: "fp1",
            match_threshold: 0.8,
            review_threshold: 0.7,
            submissions: vec![newest_a.id],
            summary: serde_json::json!({"persons": 500}),
            persons: &persons,
            review: &review,
        },
    )
    .unwrap();
    assert_eq!(run.summary["persons"], 500);
    assert_eq!(linkage::run(s.as_mut(), None).unwrap().unwrap().id, run.id);
    assert_eq!(linkage::runs(s.as_mut()).unwrap().len(), 1);
    assert_eq!(
        linkage::person_links(s.as_mut(), run.id).unwrap().len(),
        1000
    );
    let by_case = linkage::persons_by_case_record(s.as_mut(), run.id).unwrap();
    assert_eq!(by_case.len(), 10);
    assert_eq!(by_case[&103], 2);
    let q = linkage::review_queue(s.as_mut(), run.id, false).unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!(q[0].entry.similarity, 0.9, "most similar first");
    let decided = q.iter().find(|r| r.entry.reason == "uncertain").unwrap();
    assert_eq!(
        decided.entry.a,
        side(a.id, "a1"),
        "stored in canonical order"
    );
    assert_eq!(decided.decision.as_deref(), Some("reject"));
    let pending = linkage::review_queue(s.as_mut(), run.id, true).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].entry.reason, "conflict");
    let audit = s.audit_log().unwrap();
    for action in ["linkage.submit", "linkage.decide", "linkage.run"] {
        assert!(audit.iter().any(|e| e.action == action), "{action} audited");
    }
}
