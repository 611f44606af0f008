//! CTDC layouts: import, validation, crosswalk round trips, on the project's own generated data.

use crate::common;

use common::*;
use cthub_ingest::{ImportOptions, Severity};
use cthub_standard::crosswalk;
use cthub_standard::CtdcSchema;

fn kanon_opts() -> ImportOptions {
    ImportOptions::default()
}

#[test]
fn generated_kanon_file_is_detected_and_fully_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_csv(dir.path(), 5_000, 7);
    let (rows, summary, info) = import_all(&path, &kanon_opts());
    assert_eq!(info.format, "ctdc-kanon-2018");
    assert_eq!(info.container, "csv");
    assert_eq!(summary.rows_read, 5_000);
    assert_eq!(
        summary.rows_quarantined,
        0,
        "{:?}",
        rows.iter().find(|r| r.record.is_none())
    );
    assert_eq!(rows.len(), 5_000);
    assert!(summary.unmapped_columns.is_empty());
    // row numbers are spreadsheet rows: header is row 1
    assert_eq!(rows[0].source_row, 2);
}

/// Import then export in the same layout gives the same cells, except the derived columns
/// (recomputed) and the unknown-country marker `00` (written as the row's missing marker).
#[test]
fn kanon_round_trip_is_lossless_on_every_mapped_cell() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_csv(dir.path(), 3_000, 11);
    let (rows, _, info) = import_all(&path, &kanon_opts());
    let header = &info.columns;
    let mut compared = 0;
    for r in &rows {
        let rec = r.record.as_ref().expect("accepted");
        let out = crosswalk::to_row(CtdcSchema::Kanon2018, rec);
        let marker = if &r.raw[1] == "Hotline" {
            "Unknown"
        } else {
            "-99"
        };
        for (i, col) in header.iter().enumerate() {
            if col.ends_with("Concatenated") {
                continue;
            }
            let mut src = r.raw[i].to_string();
            if (col == "citizenship" || col == "CountryOfExploitation") && src == "00" {
                src = marker.to_string();
            }
            assert_eq!(out[i], src, "row {} column {col}", r.source_row);
            compared += 1;
        }
    }
    assert!(compared > 100_000);
}

/// Concatenated columns recomputed from the flags name the same items as the source.
#[test]
fn concatenated_columns_agree_with_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_csv(dir.path(), 2_000, 3);
    let (rows, _, info) = import_all(&path, &kanon_opts());
    let idx = info
        .columns
        .iter()
        .position(|c| c == "typeOfExploitConcatenated")
        .unwrap();
    for r in &rows {
        let out = crosswalk::to_row(CtdcSchema::Kanon2018, r.record.as_ref().unwrap());
        let n_src = r.raw[idx]
            .split(';')
            .filter(|s| !s.is_empty() && *s != "-99" && *s != "Unknown")
            .count();
        let n_out = out[idx]
            .split(';')
            .filter(|s| !s.is_empty() && *s != "-99" && *s != "Unknown")
            .count();
        assert_eq!(
            n_src, n_out,
            "row {}: {:?} vs {:?}",
            r.source_row, &r.raw[idx], out[idx]
        );
    }
}

/// model → 2024 → model → 2024 is stable: the 2024 layout is a fixed point of its crosswalk.
#[test]
fn synthetic_2024_export_reimports_to_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_csv(dir.path(), 2_000, 5);
    let (rows, _, _) = import_all(&path, &kanon_opts());
    let p24 = dir.path().join("s24.csv");
    let mut w = csv::Writer::from_path(&p24).unwrap();
    w.write_record(CtdcSchema::Synthetic2024.columns()).unwrap();
    let mut first = Vec::new();
    for r in &rows {
        let row = crosswalk::to_row(CtdcSchema::Synthetic2024, r.record.as_ref().unwrap());
        w.write_record(&row).unwrap();
        first.push(row);
    }
    w.flush().unwrap();
    drop(w);
    let (rows2, summary2, info2) = import_all(&p24, &ImportOptions::default());
    assert_eq!(info2.format, "ctdc-synthetic-2024");
    assert_eq!(summary2.rows_quarantined, 0);
    for (a, r) in first.iter().zip(&rows2) {
        let b = crosswalk::to_row(CtdcSchema::Synthetic2024, r.record.as_ref().unwrap());
        assert_eq!(a, &b, "row {}", r.source_row);
    }
    // and 2024 carries the merged means groups, never the fine flags
    let merged = rows2
        .iter()
        .filter(|r| !r.record.as_ref().unwrap().victim.means_groups.is_empty())
        .count();
    assert!(merged > 0);
    assert!(rows2.iter().all(|r| r
        .record
        .as_ref()
        .unwrap()
        .victim
        .means_of_control
        .is_empty()));
}

#[test]
fn bad_values_are_reported_with_file_row_column_value_rule_and_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    let mut text = cthub_standard::ctdc::KANON_2018_COLUMNS.join(",");
    text.push('\n');
    let good: Vec<&str> = cthub_standard::ctdc::KANON_2018_COLUMNS
        .iter()
        .map(|c| match *c {
            "yearOfRegistration" => "2016",
            "Datasource" => "Case Management",
            "gender" => "Female",
            "ageBroad" => "18--20",
            "majorityStatus" | "majorityStatusAtExploit" | "majorityEntry" => "Adult",
            "citizenship" => "NA",
            "CountryOfExploitation" => "ZA",
            c if c.ends_with("Concatenated") || c == "RecruiterRelationship" => "",
            _ => "0",
        })
        .collect();
    text.push_str(&good.join(","));
    text.push('\n');
    let mut bad = good.clone();
    bad[2] = "Robot";
    bad[7] = "XX";
    text.push_str(&bad.join(","));
    text.push('\n');
    text.push_str("2016,Case Management\n"); // ragged
    std::fs::write(&path, text).unwrap();
    let (rows, summary, _) = import_all(&path, &ImportOptions::default());
    assert_eq!(rows.len(), 3);
    let ok = rows[0]
        .record
        .as_ref()
        .unwrap_or_else(|| panic!("{:?}", rows[0].issues));
    assert_eq!(ok.person.citizenship[0].name(), "Namibia");
    assert!(rows[1].record.is_none() && rows[2].record.is_none());
    assert_eq!(summary.rows_quarantined, 2);
    let i = &rows[1].issues;
    assert!(i.iter().any(|x| x.column == "gender"
        && x.value == "Robot"
        && x.rule == "vocabulary"
        && x.row == 3
        && x.file == "bad.csv"
        && x.severity == Severity::Error));
    assert!(i
        .iter()
        .any(|x| x.column == "citizenship" && x.value == "XX" && x.rule == "country"));
    assert!(rows[2]
        .issues
        .iter()
        .any(|x| x.rule == "row.ragged" && x.row == 4));
    // the raw content of quarantined rows is kept
    assert_eq!(&rows[1].raw[2], "Robot");
    assert_eq!(
        rows[2].raw,
        vec!["2016".to_string(), "Case Management".to_string()]
    );
}

#[test]
fn explicit_format_overrides_detection_and_unknown_layout_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    std::fs::write(&path, "foo,bar\n1,2\n").unwrap();
    let e = cthub_ingest::prepare(&path, &ImportOptions::default())
        .err()
        .expect("undetectable");
    let msg = e.to_string();
    assert!(msg.contains("x.csv") && msg.contains("--format"), "{msg}");
    let e = cthub_ingest::prepare(
        &path,
        &ImportOptions {
            format: Some("ctdc-vp".into()),
            ..Default::default()
        },
    )
    .err()
    .expect("no VP columns");
    assert!(e.to_string().contains("yearRegister"), "{e}");
    let e = cthub_ingest::prepare(
        &path,
        &ImportOptions {
            format: Some("nope".into()),
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("unknown format"), "{e}");
}

/// The 2021 synthetic layout is tab-separated; model → 2021 → model → 2021 is stable.
#[test]
fn synthetic_2021_tsv_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_csv(dir.path(), 1_500, 21);
    let (rows, _, _) = import_all(&path, &kanon_opts());
    let tsv = dir.path().join("s21.tsv");
    let mut w = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .from_path(&tsv)
        .unwrap();
    w.write_record(CtdcSchema::Synthetic2021.columns()).unwrap();
    let mut first = Vec::new();
    for r in &rows {
        let row = crosswalk::to_row(CtdcSchema::Synthetic2021, r.record.as_ref().unwrap());
        w.write_record(&row).unwrap();
        first.push(row);
    }
    w.flush().unwrap();
    drop(w);
    let (rows2, summary2, info2) = import_all(&tsv, &ImportOptions::default());
    assert_eq!(
        (info2.format.as_str(), info2.container.as_str()),
        ("ctdc-synthetic-2021", "tsv")
    );
    assert_eq!(summary2.rows_quarantined, 0);
    for (a, r) in first.iter().zip(&rows2) {
        assert_eq!(
            a,
            &crosswalk::to_row(CtdcSchema::Synthetic2021, r.record.as_ref().unwrap())
        );
    }
    // the fine means of control survive 2021 (unlike 2024)
    assert!(rows2.iter().any(|r| !r
        .record
        .as_ref()
        .unwrap()
        .victim
        .means_of_control
        .is_empty()));
}

/// The k-anonymised layout as an XLSX workbook gives the same records as the CSV.
#[test]
fn kanon_xlsx_gives_the_same_records_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_csv(dir.path(), 800, 4);
    let (rows, _, _) = import_all(&path, &kanon_opts());
    let xlsx = dir.path().join("kanon.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    for (c, h) in rdr.headers().unwrap().iter().enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    for (r, rec) in rdr.records().enumerate() {
        for (c, v) in rec.unwrap().iter().enumerate() {
            // numbers as numbers, as Excel would store them
            match v.parse::<f64>() {
                Ok(n) => ws.write_number(r as u32 + 1, c as u16, n).unwrap(),
                Err(_) => ws.write_string(r as u32 + 1, c as u16, v).unwrap(),
            };
        }
    }
    wb.save(&xlsx).unwrap();
    let (rows2, summary2, info2) = import_all(&xlsx, &ImportOptions::default());
    assert_eq!(
        (info2.format.as_str(), info2.container.as_str()),
        ("ctdc-kanon-2018", "xlsx")
    );
    assert_eq!(
        summary2.rows_quarantined,
        0,
        "{:?}",
        rows2.iter().find(|r| r.record.is_none()).map(|r| &r.issues)
    );
    assert_eq!(rows.len(), rows2.len());
    for (a, b) in rows.iter().zip(&rows2) {
        assert_eq!(a.record, b.record, "row {}", a.source_row);
        assert_eq!(a.source_row, b.source_row);
    }
}
