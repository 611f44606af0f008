//! Checks against the real reference files in ../shared/data (skipped with a message when absent).

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use calamine::{open_workbook_auto, Data, Reader};
use common::*;
use cthub_ingest::ImportOptions;
use cthub_standard::crosswalk;
use cthub_standard::vocab::*;
use cthub_standard::CtdcSchema;

fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

/// The TabStat sheet: variable -> (value -> frequency), "" for missing.
fn tabstat(path: &std::path::Path) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range("TabStat").unwrap();
    let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut in_valid = false;
    for row in range.rows() {
        let a = cell(&row[0]);
        let b = cell(&row[1]);
        let freq = row.get(2).map(cell).unwrap_or_default();
        if !a.is_empty() && a != "Valid" && a != "Missing" && a != "Total" {
            current = Some(a);
            in_valid = false;
            continue;
        }
        let Some(var) = current.clone() else { continue };
        match a.as_str() {
            "Valid" => in_valid = true,
            "Missing" => {
                in_valid = false;
                out.entry(var)
                    .or_default()
                    .insert(String::new(), freq.parse().unwrap());
                continue;
            }
            "Total" => {
                in_valid = false;
                continue;
            }
            _ => {}
        }
        if in_valid && b != "Total" && !b.is_empty() {
            out.entry(var).or_default().insert(b, freq.parse().unwrap());
        }
    }
    out
}

#[test]
fn victim_perpetrator_file_imports_without_loss_and_matches_tabstat() {
    let (Some(csv), Some(dict)) = (
        shared("ctdc-vp-synthetic/CTDC_VPsynthetic_condensed.csv"),
        shared("ctdc-vp-synthetic/CTDC_VPsynthetic_dict_20221201.xlsx"),
    ) else {
        return;
    };
    let (rows, summary, info) = import_all(&csv, &ImportOptions::default());
    assert_eq!(info.format, "ctdc-vp");
    assert_eq!(summary.rows_read, 21_195);
    assert_eq!(
        summary.rows_quarantined,
        0,
        "first rejected: {:?}",
        rows.iter().find(|r| r.record.is_none())
    );
    assert_eq!(summary.issues, 0);
    // frequencies of the records written back in the VP layout
    let mut freq: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for r in &rows {
        let out = crosswalk::to_row(CtdcSchema::VictimPerpetrator, r.record.as_ref().unwrap());
        for (col, v) in CtdcSchema::VictimPerpetrator.columns().iter().zip(out) {
            *freq
                .entry(col.to_string())
                .or_default()
                .entry(v)
                .or_default() += 1;
        }
    }
    let expected = tabstat(&dict);
    assert_eq!(expected.len(), 16, "TabStat has a block per variable");
    for (var, values) in &expected {
        let got = freq.get(var).unwrap_or_else(|| panic!("no column {var}"));
        assert_eq!(got, values, "{var}");
    }
    // the figures the issue names
    assert_eq!(expected["gender"]["Female"], 9_589);
    assert_eq!(freq["isForcedLabour"]["1"], 12_248);
    assert_eq!(freq["UN_COO_Region"]["Asia"], 6_139);
    assert_eq!(freq["yearRegister"]["2014-2018"], 6_274);
}

fn standard_codes<T: Vocab>() -> BTreeSet<String> {
    T::standard().iter().map(|v| v.code().to_string()).collect()
}

/// The HTCDS field standard's picklists (value names) equal the model's vocabularies.
#[test]
fn htcds_field_standard_picklists_equal_the_model() {
    let Some(ods) = shared("htcds/HTCDS Field Standards 2.0.ods") else {
        return;
    };
    let mut wb = open_workbook_auto(&ods).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(cell).collect();
    let fcol = header
        .iter()
        .position(|h| h == "Field Name including Prefix")
        .unwrap();
    let vcol = header
        .iter()
        .position(|h| h == "Value Names (if picklist)")
        .unwrap();
    let mut lists: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows {
        let f = cell(&r[fcol]);
        let v = cell(&r[vcol]);
        if f.is_empty() || v.is_empty() || v.starts_with("Use ISO") {
            continue;
        }
        lists.insert(
            f,
            v.lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
        );
    }
    let model: Vec<(&str, BTreeSet<String>)> = vec![
        ("org_Type", standard_codes::<OrganisationType>()),
        ("prs_Gender", standard_codes::<Gender>()),
        ("prs_MaritalStatus", standard_codes::<MaritalStatus>()),
        ("prs_HighestLevelOfEducation", standard_codes::<Education>()),
        (
            "vic_TraffickingStatus",
            standard_codes::<TraffickingStatus>(),
        ),
        (
            "vic_TraffickingStatusDecisionMakingOrg",
            standard_codes::<DecisionMakingOrg>(),
        ),
        (
            "vic_RelationshipToTrafficker",
            standard_codes::<RelationshipToTrafficker>(),
        ),
        (
            "vic_RecruitmentWebsitesAndApps",
            standard_codes::<WebsiteOrApp>(),
        ),
        (
            "vic_ExploitationWebsitesAndApps",
            standard_codes::<WebsiteOrApp>(),
        ),
        (
            "vic_MethodOfRecruitment",
            standard_codes::<RecruitmentMethod>(),
        ),
        ("vic_MethodsOfControl", standard_codes::<MeansOfControl>()),
        (
            "vic_TypeOfExploitation",
            standard_codes::<ExploitationType>(),
        ),
        ("vic_ForcedLabourIndustry", standard_codes::<IsicSection>()),
        (
            "vic_TypeOfSexExploitation",
            standard_codes::<SexExploitation>(),
        ),
        ("vic_Vulnerabilities", standard_codes::<Vulnerability>()),
        ("per_RoleInProcess", standard_codes::<PerpetratorRole>()),
        ("cas_Status", standard_codes::<CaseStatus>()),
        (
            "cas_ReasonForIncomingReferral",
            standard_codes::<ReferralReason>(),
        ),
        (
            "cas_ReasonForOutgoingReferral",
            standard_codes::<ReferralReason>(),
        ),
        ("hte_Type", standard_codes::<EventType>()),
        ("spl_Type", standard_codes::<ServiceType>()),
    ];
    for (field, mut codes) in model {
        let published = lists
            .get(field)
            .unwrap_or_else(|| panic!("{field} not in the standard"));
        if field.ends_with("WebsitesAndApps") {
            // the model names the value `FourSale` (a Rust identifier); its code in files is 4Sale
            codes.remove("FourSale");
            codes.insert("4Sale".into());
        }
        assert_eq!(published, &codes, "{field}");
    }
    assert!(
        lists.len() >= 21,
        "every picklist of the standard is checked: {:?}",
        lists.keys()
    );
}

/// The Excel template's validation lists and the XLSForm's choices parse into the model.
#[test]
fn htcds_template_and_xlsform_picklists_agree_with_the_model() {
    let (Some(xlsx), Some(form)) = (
        shared("htcds/HTCDS Excel Spreadsheet single select with validation v2.0.xlsx"),
        shared("htcds/htcds_xlsform.xlsx"),
    ) else {
        return;
    };
    // template: the validation sheet (labels), one list per column from row 3
    let mut wb = open_workbook_auto(&xlsx).unwrap();
    let v = wb.worksheet_range("validation").unwrap();
    let rows: Vec<Vec<String>> = v.rows().map(|r| r.iter().map(cell).collect()).collect();
    let header_idx = rows
        .iter()
        .position(|r| r.iter().any(|c| c == "Gender"))
        .unwrap();
    let header = &rows[header_idx];
    let check = |list: &str, f: &dyn Fn(&str) -> bool| {
        let col = header
            .iter()
            .position(|h| h == list)
            .unwrap_or_else(|| panic!("{list}"));
        let vals: Vec<&String> = rows[header_idx + 1..]
            .iter()
            .filter_map(|r| r.get(col))
            .filter(|c| !c.is_empty())
            .collect();
        assert!(!vals.is_empty(), "{list}");
        for val in vals {
            assert!(f(val), "template list {list}: {val:?} does not parse");
        }
    };
    check("Gender", &|s| Gender::parse(s).is_some());
    check("Method of Recruitment", &|s| {
        RecruitmentMethod::parse(s).is_some()
    });
    check("Methods of Control", &|s| {
        MeansOfControl::parse(s).is_some()
    });
    check("Type of Exploitation", &|s| {
        ExploitationType::parse(s).is_some()
    });
    check("Forced Labour Industry", &|s| {
        IsicSection::parse(s).is_some()
    });
    check("Type of Sex Exploitation", &|s| {
        SexExploitation::parse(s).is_some()
    });
    check("Vulnerabilities", &|s| Vulnerability::parse(s).is_some());
    check("Status", &|s| CaseStatus::parse(s).is_some());
    check("Reason for Incoming Referral", &|s| {
        ReferralReason::parse(s).is_some()
    });
    check("Trafficking Status", &|s| {
        TraffickingStatus::parse(s).is_some()
    });
    check("Trafficking Status Decision Making Organization", &|s| {
        DecisionMakingOrg::parse(s).is_some()
    });
    check("Country Code", &|s| {
        cthub_standard::Country::parse(s).is_some()
    });

    // XLSForm: choices (list_name, name, label) must be exactly the model's codes
    let mut wb = open_workbook_auto(&form).unwrap();
    let c = wb.worksheet_range("choices").unwrap();
    let mut lists: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in c.rows().skip(1) {
        let (l, n) = (cell(&r[0]), cell(&r[1]));
        if !l.is_empty() {
            lists.entry(l).or_default().insert(n);
        }
    }
    let expect: Vec<(&str, BTreeSet<String>)> = vec![
        ("gender", standard_codes::<Gender>()),
        ("methodofrecruitment", standard_codes::<RecruitmentMethod>()),
        ("methodsofcontrol", standard_codes::<MeansOfControl>()),
        ("typeofexploitation", standard_codes::<ExploitationType>()),
        ("forcedlabourindustry", standard_codes::<IsicSection>()),
        ("typeofsexexploitation", standard_codes::<SexExploitation>()),
        ("status", standard_codes::<CaseStatus>()),
        ("traffickingstatus", standard_codes::<TraffickingStatus>()),
        (
            "traffickingstatusdecisionmakingorg",
            standard_codes::<DecisionMakingOrg>(),
        ),
    ];
    for (list, codes) in expect {
        assert_eq!(lists.get(list), Some(&codes), "xlsform list {list}");
    }
    let citizenship = &lists["citizenship"];
    let unknown: Vec<&String> = citizenship
        .iter()
        .filter(|c| cthub_standard::Country::parse(c).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "xlsform citizenship codes unknown to the country crate: {unknown:?}"
    );
    // every survey field the form collects maps to a model field
    let s = wb.worksheet_range("survey").unwrap();
    for r in s.rows().skip(1) {
        let name = cell(&r[1]);
        if cthub_standard::htcds::is_htcds_name(&name) {
            assert!(
                cthub_standard::htcds::target_of(&name).is_some(),
                "xlsform field {name} has no target"
            );
        }
    }
}

/// The real template imports: its label row and pre-numbered empty rows are not data.
#[test]
fn htcds_template_file_imports_as_template() {
    let Some(xlsx) =
        shared("htcds/HTCDS Excel Spreadsheet single select with validation v2.0.xlsx")
    else {
        return;
    };
    let (rows, summary, info) = import_all(&xlsx, &ImportOptions::default());
    assert_eq!(info.format, "htcds-template");
    assert_eq!(info.container, "xlsx");
    assert_eq!(info.sheet.as_deref(), Some("Case Sheet"));
    assert_eq!(summary.label_rows_skipped, 1);
    assert_eq!(rows.len(), 0, "the blank template holds no cases");
    assert!(summary
        .withheld_columns
        .contains(&"prs_FirstName".to_string()));
}
