//! HTCDS template and XLSForm submissions, organisation mappings, Parquet, and bad files.

use crate::common;

use std::sync::Arc;

use common::*;
use cthub_ingest::{ImportOptions, IngestError};
use cthub_standard::vocab::*;

#[test]
fn xlsform_csv_from_odk_or_kobo_imports_choice_names_and_multi_selects() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("submissions.csv");
    std::fs::write(
        &p,
        "start,end,con_Consent,prs_First_Name,prs_Birthdate,prs_Gender,prs_Citizenship,intake/vic_Methods_of_Control,intake/vic_TypeOfExploitation,vic_ForcedLabourIndustry,cas_Status,_uuid\n\
         2024-01-01T10:00:00,2024-01-01T10:20:00,TRUE,Maria,1990-05-01,Feminine,MD,DebtBondage PhysicalAbuse,ForcedLabour,C_Manufacturing,Active,abc-1\n\
         2024-01-02T10:00:00,2024-01-02T10:20:00,FALSE,Ion,2003-02-11,Masculine,UA,Telepathy,SexualExploitation,,FollowUp,abc-2\n",
    )
    .unwrap();
    let (rows, summary, info) = import_all(&p, &ImportOptions::default());
    assert_eq!(info.format, "htcds-xlsform");
    let r = rows[0].record.as_ref().unwrap();
    assert_eq!(r.person.gender, Some(Gender::Feminine));
    assert_eq!(r.person.citizenship[0].alpha2(), "MD");
    assert_eq!(r.victim.means_of_control.len(), 2);
    assert!(r.victim.industries[&IsicSection::C_Manufacturing]);
    assert_eq!(r.consent.as_ref().unwrap().given, Some(true));
    assert_eq!(r.extra.get("_uuid").map(String::as_str), Some("abc-1"));
    // the name never enters the hub, not even in the raw row
    assert_eq!(&rows[0].raw[3], cthub_ingest::WITHHELD);
    assert!(summary
        .withheld_columns
        .contains(&"prs_First_Name".to_string()));
    // an unknown choice rejects the row with its column and value
    assert!(rows[1].record.is_none());
    let i = &rows[1].issues[0];
    assert_eq!(
        (i.column.as_str(), i.value.as_str(), i.rule.as_str()),
        ("intake/vic_Methods_of_Control", "Telepathy", "vocabulary")
    );
}

#[test]
fn htcds_template_workbook_with_labels_imports() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cases.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("Case Sheet").unwrap();
    let names = [
        "",
        "prs_FirstName",
        "prs_Gender",
        "prs_Citizenship",
        "vic_TraffickingStatus",
        "vic_MethodsOfControl",
        "vic_TypeOfExploitation",
        "vic_ForcedLabourIndustry",
        "vic_LocationOfExploitation",
        "cas_IncomingReferralDate",
    ];
    let labels = [
        "",
        "First Name",
        "Gender",
        "Citizenship",
        "Trafficking Status",
        "Methods of Control",
        "Type of Exploitation",
        "Forced Labour Industry",
        "Location of Exploitation",
        "Incoming Referral Date",
    ];
    for (c, (n, l)) in names.iter().zip(labels).enumerate() {
        ws.write_string(0, c as u16, *n).unwrap();
        ws.write_string(1, c as u16, l).unwrap();
    }
    let data = ["1", "Ana", "Feminine", "Philippines", "Actual victim of trafficking", "Debt bondage", "Forced labour", "Activities of households as employers; undifferentiated goods- and services- producing activities of households for own use", "Saudi Arabia", "2023-04-05"];
    for (c, v) in data.iter().enumerate() {
        ws.write_string(2, c as u16, *v).unwrap();
    }
    ws.write_string(3, 0, "2").unwrap(); // a pre-numbered empty row
    wb.save(&p).unwrap();
    let (rows, summary, info) = import_all(&p, &ImportOptions::default());
    assert_eq!(info.format, "htcds-template");
    assert_eq!(summary.label_rows_skipped, 1);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].source_row, 3);
    let r = rows[0]
        .record
        .as_ref()
        .unwrap_or_else(|| panic!("{:?}", rows[0].issues));
    assert_eq!(r.person.citizenship[0].alpha2(), "PH");
    assert_eq!(
        r.victim.trafficking_status,
        Some(TraffickingStatus::ActualVictimOfTrafficking)
    );
    assert!(r.victim.industries[&IsicSection::T_ActivitiesOfHouseholdsAsEmployers]);
    assert_eq!(r.victim.country_of_exploitation.unwrap().alpha2(), "SA");
    assert_eq!(
        r.case
            .as_ref()
            .unwrap()
            .incoming_referral_date
            .unwrap()
            .to_string(),
        "2023-04-05"
    );
    assert_eq!(&rows[0].raw[1], cthub_ingest::WITHHELD);
}

const MAPPING: &str = r#"
name = "shelter-intake"
[source]
delimiter = ";"
encoding = "windows-1252"
missing = ["", "?", "inconnu"]
date_format = "%d/%m/%Y"
[[column]]
source = "Sexe"
field = "person.gender"
values = { F = "Feminine", H = "Masculine" }
[[column]]
source = "Nationalité"
field = "person.citizenship"
[[column]]
source = "Année"
field = "victim.registration"
[[column]]
source = "Contrôle"
field = "victim.means_of_control"
separator = ","
values = { dette = "DebtBondage", passeport = "WithholdsDocuments", menaces = "PhysicalThreats" }
[[column]]
source = "Arrivée"
field = "events.exploitation.date"
[[column]]
source = "Nom"
field = "identifier"
"#;

#[test]
fn organisation_csv_through_a_toml_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("shelter.toml");
    std::fs::write(&m, MAPPING).unwrap();
    let p = dir.path().join("intake.csv");
    let text = "Nom;Sexe;Nationalité;Année;Contrôle;Arrivée;Remarque\n\
                Amélie;F;Côte d'Ivoire;2021;dette, passeport;03/02/2021;orientée\n\
                Jean;H;CIV;2022;?;31/02/2022;\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    std::fs::write(&p, &bytes).unwrap();
    let opts = ImportOptions {
        mapping: Some(m),
        ..Default::default()
    };
    let (rows, summary, info) = import_all(&p, &opts);
    assert_eq!(info.format, "mapping:shelter-intake");
    let r = rows[0]
        .record
        .as_ref()
        .unwrap_or_else(|| panic!("{:?}", rows[0].issues));
    assert_eq!(r.person.gender, Some(Gender::Feminine));
    assert_eq!(r.person.citizenship[0].alpha2(), "CI");
    assert_eq!(r.victim.means_of_control.len(), 2);
    assert_eq!(r.events[0].date.unwrap().to_string(), "2021-02-03");
    assert_eq!(r.extra["Remarque"], "orientée");
    assert_eq!(&rows[0].raw[0], cthub_ingest::WITHHELD);
    // 31/02 is not a date: the row is quarantined with the date rule, nothing else lost
    assert!(rows[1].record.is_none());
    assert_eq!(rows[1].issues[0].rule, "date");
    assert_eq!(rows[1].issues[0].value, "31/02/2022");
    assert_eq!(summary.unmapped_columns, vec!["Remarque".to_string()]);
}

#[test]
fn mapping_with_a_missing_source_column_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("shelter.toml");
    std::fs::write(&m, MAPPING).unwrap();
    let p = dir.path().join("intake.csv");
    std::fs::write(&p, "Sexe;Année\nF;2020\n").unwrap();
    let e = cthub_ingest::prepare(
        &p,
        &ImportOptions {
            mapping: Some(m),
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert!(matches!(e, IngestError::MissingColumns { .. }), "{e}");
    assert!(e.to_string().contains("Contrôle"), "{e}");
}

#[test]
fn parquet_with_ctdc_columns_is_detected_and_imported() {
    use arrow::array::{ArrayRef, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("vp.parquet");
    let cols = cthub_standard::ctdc::VP_COLUMNS;
    let schema = Arc::new(Schema::new(
        cols.iter()
            .map(|c| Field::new(*c, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let row = [
        "2019",
        "Female",
        "Adult",
        "1",
        "",
        "Europe",
        "Europe",
        "1",
        "Female;Male",
        "",
        "Europe",
        "StrangerUnknownOther",
        "No;Yes",
        "1",
        "1",
        "",
    ];
    let arrays: Vec<ArrayRef> = row
        .iter()
        .map(|v| {
            Arc::new(StringArray::from(vec![
                if v.is_empty() {
                    None
                } else {
                    Some(*v)
                };
                3
            ])) as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
    let f = std::fs::File::create(&p).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let (rows, summary, info) = import_all(&p, &ImportOptions::default());
    assert_eq!(
        (info.format.as_str(), info.container.as_str()),
        ("ctdc-vp", "parquet")
    );
    assert_eq!(summary.rows_accepted, 3);
    let s = rows[0]
        .record
        .as_ref()
        .unwrap()
        .perpetrator_summary
        .as_ref()
        .unwrap();
    assert_eq!(s.genders, vec![Gender::Feminine, Gender::Masculine]);
    assert_eq!(s.paid_money, vec![YesNo::No, YesNo::Yes]);
}

#[test]
fn wrong_encoding_and_truncated_workbook_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("latin1.csv");
    let mut bytes = b"yearRegister,gender,majorityStatus\n2019,Female,Adult\n2020,F".to_vec();
    bytes.push(0xE9); // é in Latin-1
    bytes.extend_from_slice(b"male,Adult\n");
    std::fs::write(&p, bytes).unwrap();
    let vp = ImportOptions {
        format: Some("ctdc-vp".into()),
        ..Default::default()
    };
    let mut prepared = cthub_ingest::prepare(&p, &vp).unwrap();
    let mut err = None;
    loop {
        match prepared.next_row() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let msg = err.expect("invalid UTF-8 is an error").to_string();
    assert!(
        msg.contains("latin1.csv") && msg.contains('3') && msg.to_lowercase().contains("encoding"),
        "{msg}"
    );

    // a workbook cut in half
    let x = dir.path().join("cut.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for r in 0..200u32 {
        ws.write_string(r, 0, format!("value {r}")).unwrap();
    }
    wb.save(&x).unwrap();
    let full = std::fs::read(&x).unwrap();
    std::fs::write(&x, &full[..full.len() / 2]).unwrap();
    let e = cthub_ingest::prepare(&x, &ImportOptions::default())
        .err()
        .expect("truncated");
    let msg = e.to_string();
    assert!(msg.contains("cut.xlsx"), "{msg}");
}
