//! An independent validator of 2018 k-anonymised rows: the value sets and consistency rules of
//! the CTDC data dictionary, restated from the dictionary rather than from the generator.

#![allow(dead_code)]

use cthub_demo::concat_label;
use cthub_standard::ctdc::{AGE_BANDS, KANON_2018_COLUMNS};

pub fn idx(name: &str) -> usize {
    KANON_2018_COLUMNS
        .iter()
        .position(|c| *c == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// Flag columns of a group, by name prefix, in column order.
fn group(prefix: &str, exclude: &[&str]) -> Vec<usize> {
    KANON_2018_COLUMNS
        .iter()
        .enumerate()
        .filter(|(_, c)| c.starts_with(prefix) && !c.ends_with("Concatenated"))
        .filter(|(_, c)| !exclude.contains(c))
        .map(|(i, _)| i)
        .collect()
}

pub struct Groups {
    pub means: Vec<usize>,
    pub exploit: Vec<usize>,
    pub labour: Vec<usize>,
    pub sex: Vec<usize>,
    pub recruiter: Vec<usize>,
}

pub fn groups() -> Groups {
    Groups {
        means: group("meansOfControl", &[]),
        exploit: group("is", &["isAbduction"]),
        labour: group("typeOfLabour", &[]),
        sex: group("typeOfSex", &[]),
        recruiter: group("recruiterRelation", &[]),
    }
}

fn is_country(code: &str) -> bool {
    code.len() == 2
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && keshvar::Alpha2::try_from(code).is_ok()
}

/// The state of a flag group in a row: `None` when missing, else the indices set to 1.
fn read_group(row: &[String], cols: &[usize], marker: &str) -> Result<Option<Vec<usize>>, String> {
    let missing = cols.iter().filter(|&&i| row[i] == marker).count();
    if missing == cols.len() {
        return Ok(None);
    }
    if missing != 0 {
        return Err(format!(
            "group {} is partly missing",
            KANON_2018_COLUMNS[cols[0]]
        ));
    }
    let mut set = Vec::new();
    for &i in cols {
        match row[i].as_str() {
            "1" => set.push(i),
            "0" => {}
            v => return Err(format!("{} = {v:?}", KANON_2018_COLUMNS[i])),
        }
    }
    Ok(Some(set))
}

fn joined(set: &[usize], skip: &[&str]) -> String {
    set.iter()
        .map(|&i| KANON_2018_COLUMNS[i])
        .filter(|c| !skip.contains(c))
        .map(concat_label)
        .collect::<Vec<_>>()
        .join(";")
}

fn check_concat(
    row: &[String],
    concat: &str,
    state: &Option<Vec<usize>>,
    marker: &str,
    skip: &[&str],
) -> Result<(), String> {
    let got = &row[idx(concat)];
    let want = match state {
        Some(set) => {
            let j = joined(set, skip);
            if j.is_empty() {
                marker.to_string()
            } else {
                j
            }
        }
        None => marker.to_string(),
    };
    if *got != want {
        return Err(format!("{concat} = {got:?}, flags say {want:?}"));
    }
    Ok(())
}

fn one_of(row: &[String], name: &str, allowed: &[&str]) -> Result<(), String> {
    let v = &row[idx(name)];
    if allowed.contains(&v.as_str()) {
        Ok(())
    } else {
        Err(format!("{name} = {v:?} not in {allowed:?}"))
    }
}

/// Checks one row; `Err` names the first broken rule.
pub fn check_row(row: &[String], first_year: u16, last_year: u16) -> Result<(), String> {
    if row.len() != KANON_2018_COLUMNS.len() {
        return Err(format!("{} cells", row.len()));
    }
    for c in row {
        if c.is_empty() || c.contains([',', '"', '\n', '\r']) || c.trim() != c {
            return Err(format!("cell {c:?} is empty or needs quoting"));
        }
    }
    let year: u16 = row[idx("yearOfRegistration")]
        .parse()
        .map_err(|_| format!("year {:?}", row[0]))?;
    if !(first_year..=last_year).contains(&year) {
        return Err(format!("year {year} outside {first_year}..={last_year}"));
    }
    let hotline = match row[idx("Datasource")].as_str() {
        "Case Management" => false,
        "Hotline" => true,
        v => return Err(format!("Datasource {v:?}")),
    };
    let (m, other_marker) = if hotline {
        ("Unknown", "-99")
    } else {
        ("-99", "Unknown")
    };
    if row.iter().any(|c| c == other_marker) {
        return Err(format!("{other_marker} in a row whose marker is {m}"));
    }

    one_of(
        row,
        "gender",
        &["Female", "Male", "Transgender/NonConforming", m],
    )?;
    let mut ages: Vec<&str> = AGE_BANDS.to_vec();
    ages.push(m);
    one_of(row, "ageBroad", &ages)?;
    for c in ["majorityStatus", "majorityStatusAtExploit", "majorityEntry"] {
        one_of(row, c, &["Adult", "Minor", m])?;
    }
    let age = row[idx("ageBroad")].as_str();
    let majority = row[idx("majorityStatus")].as_str();
    if age != m {
        let want = if age == "0--8" || age == "9--17" {
            "Minor"
        } else {
            "Adult"
        };
        if majority != want {
            return Err(format!("ageBroad {age} with majorityStatus {majority}"));
        }
    }
    let at_exploit = row[idx("majorityStatusAtExploit")].as_str();
    let entry = row[idx("majorityEntry")].as_str();
    if majority == "Minor" && (at_exploit == "Adult" || entry == "Adult") {
        return Err("minor now but adult at exploitation or entry".into());
    }
    if at_exploit == "Minor" && entry == "Adult" {
        return Err("minor at exploitation but adult at entry".into());
    }
    for c in ["citizenship", "CountryOfExploitation"] {
        let v = row[idx(c)].as_str();
        if v != "00" && v != m && !is_country(v) {
            return Err(format!("{c} = {v:?}"));
        }
    }

    let g = groups();
    // Means of control.
    let means = read_group(row, &g.means, m)?;
    if let Some(set) = &means {
        let not_specified = idx("meansOfControlNotSpecified");
        if set.is_empty() {
            return Err("means of control recorded with no flag set".into());
        }
        if set.contains(&not_specified) && set.len() > 1 {
            return Err("meansOfControlNotSpecified with specific means".into());
        }
    }
    check_concat(row, "meansOfControlConcatenated", &means, m, &[])?;

    // Forms of exploitation.
    let exploit = read_group(row, &g.exploit, m)?;
    let derived = ["isSexAndLabour"];
    check_concat(row, "typeOfExploitConcatenated", &exploit, m, &derived)?;
    let labour_flag = exploit.as_ref().map(|s| s.contains(&idx("isForcedLabour")));
    let sexual_flag = exploit
        .as_ref()
        .map(|s| s.contains(&idx("isSexualExploit")));
    if let Some(set) = &exploit {
        if set.is_empty() {
            return Err("form of exploitation recorded with no flag set".into());
        }
        let both = set.contains(&idx("isSexAndLabour"));
        if both != (labour_flag == Some(true) && sexual_flag == Some(true)) {
            return Err("isSexAndLabour inconsistent".into());
        }
    }

    let labour = read_group(row, &g.labour, m)?;
    match (labour_flag, &labour) {
        (None, Some(_)) => return Err("labour sectors recorded without a form".into()),
        (Some(false), Some(set)) if !set.is_empty() => {
            return Err("labour sector set without isForcedLabour".into())
        }
        (Some(false), None) => {
            return Err("labour sectors missing for a known non-labour form".into())
        }
        (Some(true), Some(set)) => {
            let ns = idx("typeOfLabourNotSpecified");
            if set.is_empty() || (set.contains(&ns) && set.len() > 1) {
                return Err(format!("forced labour with sectors {set:?}"));
            }
        }
        _ => {}
    }
    check_concat(row, "typeOfLabourConcatenated", &labour, m, &[])?;

    let sex = read_group(row, &g.sex, m)?;
    match (sexual_flag, &sex) {
        (None, Some(_)) => return Err("sexual types recorded without a form".into()),
        (Some(false), Some(set)) if !set.is_empty() => {
            return Err("sexual type set without isSexualExploit".into())
        }
        (Some(false), None) => {
            return Err("sexual types missing for a known non-sexual form".into())
        }
        (Some(true), Some(set)) if set.is_empty() => {
            return Err("sexual exploitation with no type set".into())
        }
        _ => {}
    }
    if let Some(set) = &sex {
        let late = [
            idx("typeOfSexRemoteInteractiveServices"),
            idx("typeOfSexPrivateSexualServices"),
        ];
        if year < 2017 && set.iter().any(|i| late.contains(i)) {
            return Err("a type of sexual exploitation collected from 2017 set before".into());
        }
    }
    check_concat(row, "typeOfSexConcatenated", &sex, m, &[])?;

    one_of(row, "isAbduction", &["0", "1", m])?;
    if year < 2017 && row[idx("isAbduction")] != m {
        return Err("isAbduction before 2017".into());
    }

    let recruiter = read_group(row, &g.recruiter, m)?;
    let text = row[idx("RecruiterRelationship")].as_str();
    match &recruiter {
        Some(set) => {
            let unknown = idx("recruiterRelationUnknown");
            if set.is_empty() || (set.contains(&unknown) && set.len() > 1) {
                return Err(format!("recruiter relations {set:?}"));
            }
            if text != m && text != joined(set, &[]) {
                return Err(format!("RecruiterRelationship {text:?} vs flags"));
            }
            if hotline && text != joined(set, &[]) {
                return Err("hotline row without its recruiter relationship text".into());
            }
        }
        None if text != m => return Err(format!("RecruiterRelationship {text:?} without flags")),
        None => {}
    }
    if !hotline && text != m {
        return Err("RecruiterRelationship outside hotline rows".into());
    }
    Ok(())
}
