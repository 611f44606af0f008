//! Crosswalks between the flat CTDC release schemas and the case model.
//!
//! Each CTDC column is described once, as a [`CtdcColumn`]: the model field it feeds and the
//! recoding of published values to model codes. The same table drives import (published value →
//! model) and export (model → published value), so both directions are tested together.
//!
//! ## What merges and what is lost
//!
//! | direction | what happens |
//! |---|---|
//! | 2018 k-anon → model | lossless except the missing marker (`-99`, `Unknown`, `00` all mean *not recorded*; the raw row is kept, so a source-format export reproduces it) |
//! | 2018 → model | `meansOfControlThreats` → `PhysicalThreats`, `UsesChildren` → `ThreatensChildrenFamily`, `ThreatOfLawEnforcement` → `ThreatsLawEnforcement`, `PsychoactiveSubstances` → `PsychoactiveSubstance`; `RestrictsMovement`, `NotSpecified` kept as CTDC extensions |
//! | 2018 → model | `isOtherExploit` → `Other`, `isForcedMilitary` → `ForcedMilitaryByNonStateActors`, `isSlaveryAndPractices` → `Servitude` (slavery and similar practices); `typeOfLabour*` kept as CTDC activities and mapped to ISIC sections (`industries`) where one exists (begging, illicit activities, other: none) |
//! | 2018 → model | `isSexAndLabour` and the `*Concatenated` columns are derived: recomputed from the flags on export |
//! | model → 2024 | means of control merge into 8 groups (`DebtBondage`+`TakesEarnings`, threats, abuse, …); `Other`/`NotSpecified` are lost |
//! | model → 2024 | exploitation other than forced labour / sexual exploitation merges into `isOtherExploit`; labour activities other than agriculture, construction, domestic work and hospitality, sexual exploitation other than prostitution and pornography, and `recruiterRelationUnknown` are lost; data source, majority status fields and abduction are lost |
//! | model → 2024 | flags are `1` or empty: a `0` becomes empty; on import, an empty flag whose group has a `1` is read as *no* (the codebook's denominator rule) |
//! | 2024 → model | means of control stay merged groups (`means_groups`); the fine flags cannot be recovered |
//! | model → VP | only year band, gender, majority, FL/SE flags and UN regions of the victim survive, plus the perpetrator summary; countries become M49 regions (Americas and Oceania merged) |
//! | VP → model | regions, not countries; perpetrator facts are aggregated over all perpetrators (`;` lists) |
//! | model → HTCDS | `Transgender` (no direction) has no HTCDS value; CTDC recruiter relations map to `Familial`/`Acquainted`, `Other`/`Unknown` do not map |

use std::sync::OnceLock;

use crate::ctdc::CtdcSchema;
use crate::field::{self, Group, Target};
use crate::model::CaseRecord;
use crate::vocab::*;

/// How missing values are written in a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingStyle {
    /// 2018 k-anonymised: `-99` (case management) or `Unknown` (hotline); countries may use `00`.
    Kanon,
    /// Synthetic releases and the VP file: an empty cell.
    Empty,
}

/// How a flag column writes yes/no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagStyle {
    /// `1` / `0` / missing.
    OneZero,
    /// `1` / empty; empty is *no* when another flag of the same family is `1`.
    OneOrEmpty,
}

/// One column of a CTDC schema.
#[derive(Debug, Clone)]
pub struct CtdcColumn {
    pub column: &'static str,
    pub target: Target,
    /// Published value → model code.
    pub values: &'static [(&'static str, &'static str)],
    /// Multi-value separator (VP file: `;`).
    pub separator: Option<char>,
}

const GENDER_KANON: &[(&str, &str)] = &[
    ("Female", "Feminine"),
    ("Male", "Masculine"),
    ("Transgender/NonConforming", "TransgenderOrNonConforming"),
    ("Transgender", "Transgender"),
    ("NonConforming", "NonConforming"),
];
const GENDER_2024: &[(&str, &str)] = &[
    (
        "Trans/Transgender/NonConforming",
        "TransgenderOrNonConforming",
    ),
    ("Woman", "Feminine"),
    ("Man", "Masculine"),
    ("Transgender", "Transgender"),
    ("Trans", "Transgender"),
    ("NonConforming", "NonConforming"),
    ("Female", "Feminine"),
    ("Male", "Masculine"),
];
const DATA_SOURCE: &[(&str, &str)] = &[
    ("Case Management", "CaseManagement"),
    ("Hotline", "Hotline"),
];
const REGIONS_VP: &[(&str, &str)] = &[("Americas/Oceania", "AmericasOceania")];
const GENDER_VP: &[(&str, &str)] = &[("Female", "Feminine"), ("Male", "Masculine")];

impl CtdcColumn {
    /// The value this column writes for a model code: its published label when the column
    /// recodes, else the code itself.
    pub fn published(&self, code: &str) -> String {
        self.values
            .iter()
            .find(|(_, m)| *m == code)
            .map(|(p, _)| p.to_string())
            .unwrap_or_else(|| code.to_string())
    }
}

fn col(column: &'static str, target: Target) -> CtdcColumn {
    CtdcColumn {
        column,
        target,
        values: &[],
        separator: None,
    }
}

fn flag(column: &'static str, g: Group, code: &'static str) -> CtdcColumn {
    let canonical = g.canonical(code).expect("crosswalk codes are valid");
    col(column, Target::Flag(g, canonical))
}

fn recoded(
    column: &'static str,
    target: Target,
    values: &'static [(&'static str, &'static str)],
) -> CtdcColumn {
    CtdcColumn {
        values,
        ..col(column, target)
    }
}

fn multi(
    column: &'static str,
    target: Target,
    values: &'static [(&'static str, &'static str)],
) -> CtdcColumn {
    CtdcColumn {
        values,
        separator: Some(';'),
        ..col(column, target)
    }
}

/// CTDC means-of-control column suffix → model code.
pub const MEANS_2018: &[(&str, &str)] = &[
    ("DebtBondage", "DebtBondage"),
    ("TakesEarnings", "TakesEarnings"),
    ("RestrictsFinancialAccess", "RestrictsFinancialAccess"),
    ("Threats", "PhysicalThreats"),
    ("PsychologicalAbuse", "PsychologicalAbuse"),
    ("PhysicalAbuse", "PhysicalAbuse"),
    ("SexualAbuse", "SexualAbuse"),
    ("FalsePromises", "FalsePromises"),
    ("PsychoactiveSubstances", "PsychoactiveSubstance"),
    ("RestrictsMovement", "RestrictsMovement"),
    ("RestrictsMedicalCare", "RestrictsMedicalCare"),
    ("ExcessiveWorkingHours", "ExcessiveWorkingHours"),
    ("UsesChildren", "ThreatensChildrenFamily"),
    ("ThreatOfLawEnforcement", "ThreatsLawEnforcement"),
    ("WithholdsNecessities", "WithholdsNecessities"),
    ("WithholdsDocuments", "WithholdsDocuments"),
    ("Other", "Other"),
    ("NotSpecified", "NotSpecified"),
];

/// CTDC 2024 merged means columns → group code.
pub const MEANS_2024: &[(&str, &str)] = &[
    ("meansDebtBondageEarnings", "DebtBondageEarnings"),
    ("meansThreats", "Threats"),
    ("meansAbusePsyPhySex", "AbusePsyPhySex"),
    ("meansFalsePromises", "FalsePromises"),
    ("meansDrugsAlcohol", "DrugsAlcohol"),
    ("meansDenyBasicNeeds", "DenyBasicNeeds"),
    ("meansExcessiveWorkHours", "ExcessiveWorkHours"),
    ("meansWithholdDocs", "WithholdDocs"),
    ("meansWithholdDocuments", "WithholdDocs"),
];

const EXPLOIT_FLAGS: &[(&str, &str)] = &[
    ("isForcedLabour", "ForcedLabour"),
    ("isSexualExploit", "SexualExploitation"),
    ("isOtherExploit", "Other"),
    ("isForcedMarriage", "ForcedMarriage"),
    ("isForcedMilitary", "ForcedMilitaryByNonStateActors"),
    ("isOrganRemoval", "OrganRemoval"),
    ("isSlaveryAndPractices", "Servitude"),
];

/// The published spelling of a header in `schema`: column names compare case-insensitively
/// (the 2018 dictionary writes `MajorityEntry`, the files `majorityEntry`), and the 2024
/// codebook's alternative spelling `meansWithholdDocuments` is accepted.
pub fn published_name(schema: CtdcSchema, header: &str) -> Option<&'static str> {
    let h = header.trim();
    let alias: &[&'static str] = if schema == CtdcSchema::Synthetic2024 {
        &["meansWithholdDocuments"]
    } else {
        &[]
    };
    schema
        .columns()
        .iter()
        .chain(alias)
        .copied()
        .find(|c| c.eq_ignore_ascii_case(h))
}

/// The column spec for one column name of `schema`, if the schema knows it.
pub fn column(schema: CtdcSchema, name: &str) -> Option<CtdcColumn> {
    use CtdcSchema::*;
    let static_name = published_name(schema, name)?;
    let n = static_name;
    let c = match (schema, n) {
        (VictimPerpetrator, "yearRegister") => col(n, Target::Registration),
        (_, "yearOfRegistration") => col(n, Target::Registration),
        (_, "Datasource") => recoded(n, Target::DataSource, DATA_SOURCE),
        (Synthetic2024, "gender") => recoded(n, Target::Gender, GENDER_2024),
        (VictimPerpetrator, "gender") => recoded(n, Target::Gender, GENDER_VP),
        (_, "gender") => recoded(n, Target::Gender, GENDER_KANON),
        (_, "ageBroad") => col(n, Target::AgeBand),
        (_, "majorityStatus") => col(n, Target::Majority),
        (_, "majorityStatusAtExploit") => col(n, Target::MajorityAtExploitation),
        (_, "majorityEntry") => col(n, Target::MajorityAtEntry),
        (_, "citizenship") => col(n, Target::Citizenship),
        (_, "CountryOfExploitation") => col(n, Target::CountryOfExploitation),
        (_, "traffickMonths") => col(n, Target::Duration),
        (_, "isAbduction") => col(n, Target::Abduction),
        (_, "RecruiterRelationship") => col(n, Target::RecruiterRelationshipText),
        (_, "isSexAndLabour") => col(n, Target::Derived),
        (_, c) if c.ends_with("Concatenated") => col(n, Target::Derived),
        (_, c) if c.starts_with("meansOfControl") => {
            let suffix = &c["meansOfControl".len()..];
            let (_, code) = MEANS_2018.iter().find(|(s, _)| *s == suffix)?;
            flag(n, Group::MeansOfControl, code)
        }
        (_, c) if c.starts_with("means") => {
            let (_, code) = MEANS_2024.iter().find(|(s, _)| *s == c)?;
            flag(n, Group::MeansGroup, code)
        }
        (_, c) if c.starts_with("is") => {
            let (_, code) = EXPLOIT_FLAGS.iter().find(|(s, _)| *s == c)?;
            flag(n, Group::Exploitation, code)
        }
        (_, c) if c.starts_with("typeOfLabour") => {
            flag(n, Group::LabourActivity, &c["typeOfLabour".len()..])
        }
        (_, c) if c.starts_with("typeOfSex") => {
            flag(n, Group::SexExploitation, &c["typeOfSex".len()..])
        }
        (_, c) if c.starts_with("recruiterRelation") => {
            flag(n, Group::RecruiterRelation, &c["recruiterRelation".len()..])
        }
        (_, "UN_COO_Region") => col(n, Target::CitizenshipRegion),
        (_, "UN_COE_Region") => col(n, Target::ExploitationRegion),
        (_, "IP_Exploiter") => col(n, Target::PerpExploiter),
        (_, "IP_Gender") => multi(n, Target::PerpGenders, GENDER_VP),
        (_, "IP_ageBroad") => multi(n, Target::PerpAgeBands, &[]),
        (_, "IP_citizen_UNRegion") => multi(n, Target::PerpRegions, REGIONS_VP),
        (_, "IP_Relation") => multi(n, Target::PerpRelations, &[]),
        (_, "IP_PayMoney") => multi(n, Target::PerpPaidMoney, &[]),
        (_, "IP_RecruiterBroker") => col(n, Target::PerpRecruiterBroker),
        (_, "IP_TransactionProcess") => col(n, Target::PerpTransactionProcess),
        (_, "IP_ControlAbuseKidnap") => col(n, Target::PerpControlAbuseKidnap),
        _ => return None,
    };
    Some(c)
}

/// All columns of a schema in published order (built once per schema).
pub fn columns(schema: CtdcSchema) -> &'static [CtdcColumn] {
    static CACHE: [OnceLock<Vec<CtdcColumn>>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let slot = CtdcSchema::ALL
        .iter()
        .position(|s| *s == schema)
        .expect("every schema is in ALL");
    CACHE[slot].get_or_init(|| {
        schema
            .columns()
            .iter()
            .map(|c| {
                column(schema, c)
                    .unwrap_or_else(|| panic!("{} lacks a spec for {c}", schema.name()))
            })
            .collect()
    })
}

pub fn missing_style(schema: CtdcSchema) -> MissingStyle {
    match schema {
        CtdcSchema::Kanon2018 => MissingStyle::Kanon,
        _ => MissingStyle::Empty,
    }
}

pub fn flag_style(schema: CtdcSchema) -> FlagStyle {
    match schema {
        CtdcSchema::Kanon2018 | CtdcSchema::Synthetic2021 => FlagStyle::OneZero,
        CtdcSchema::Synthetic2024 | CtdcSchema::VictimPerpetrator => FlagStyle::OneOrEmpty,
    }
}

/// Whether a published cell means "not recorded" in this schema.
pub fn is_missing(schema: CtdcSchema, target: &Target, value: &str) -> bool {
    let v = crate::vocab::trim(value);
    if v.is_empty() {
        return true;
    }
    match schema {
        CtdcSchema::Kanon2018 | CtdcSchema::Synthetic2021 => {
            v == "-99"
                || v.eq_ignore_ascii_case("unknown")
                // `00` is the unknown country; a spreadsheet that stored it as a number shows `0`
                || ((v == "00" || v == "0") && is_country(target))
        }
        _ => v.eq_ignore_ascii_case("NULL") || v.eq_ignore_ascii_case("NA") && !is_country(target),
    }
}

/// Whether a cell means "not recorded" in any of the CTDC layouts, for readers that mix them
/// (the dashboard's frames over the store and over releases): empty, `-99`, `Unknown`, `NULL`;
/// in a country column `00` (or `0`, a spreadsheet's number); `NA` outside a country column.
/// In a country column `NA` is Namibia, never a missing value.
pub fn is_missing_in_any_layout(value: &str, country: bool) -> bool {
    let v = crate::vocab::trim(value);
    v.is_empty()
        || v == "-99"
        || v.eq_ignore_ascii_case("unknown")
        || v.eq_ignore_ascii_case("null")
        || if country {
            v == "00" || v == "0"
        } else {
            v.eq_ignore_ascii_case("NA")
        }
}

fn is_country(t: &Target) -> bool {
    matches!(t, Target::Citizenship | Target::CountryOfExploitation)
}

/// After a row of a `OneOrEmpty` schema is applied: within each flag family that has a yes,
/// the family's other columns of this file read as no.
pub fn complete_flag_families(schema: CtdcSchema, header: &[CtdcColumn], rec: &mut CaseRecord) {
    if flag_style(schema) != FlagStyle::OneOrEmpty {
        return;
    }
    let fams: Vec<Group> = header
        .iter()
        .filter_map(|c| match c.target {
            Target::Flag(g, _) => Some(g),
            _ => None,
        })
        .collect();
    for g in [
        Group::MeansGroup,
        Group::Exploitation,
        Group::LabourActivity,
        Group::SexExploitation,
        Group::RecruiterRelation,
    ] {
        if !fams.contains(&g) {
            continue;
        }
        let any_yes = header.iter().any(|c| {
            matches!(c.target, Target::Flag(gg, _) if gg == g)
                && field::get(rec, &c.target).first().map(String::as_str) == Some("1")
        });
        if any_yes {
            for c in header {
                if matches!(c.target, Target::Flag(gg, _) if gg == g)
                    && field::get(rec, &c.target).is_empty()
                {
                    let _ = field::apply(rec, &c.target, c.column, "0", &Default::default());
                }
            }
        }
    }
}

/// Fill fields the model derives from others: ISIC sections from CTDC labour activities, the
/// country of exploitation from an exploitation event.
pub fn derive(rec: &mut CaseRecord) {
    if rec.victim.country_of_exploitation.is_none() {
        rec.victim.country_of_exploitation = rec
            .events
            .iter()
            .find(|e| e.event_type == EventType::Exploitation)
            .and_then(|e| e.country);
    }
    if rec.victim.industries.is_empty() {
        let mut ind = crate::model::Flags::new();
        for (a, &v) in &rec.victim.labour_activities {
            if v {
                if let Some(s) = a.isic_section() {
                    ind.insert(s, true);
                }
            }
        }
        rec.victim.industries = ind;
    }
}

/// Human label CTDC-style for a concatenated column entry, from a column suffix
/// (`DebtBondage` → `Debt bondage`).
pub fn concat_label(suffix: &str) -> String {
    let mut out = String::new();
    for (i, ch) in suffix.chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            out.push(' ');
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// Write a record as one row of `schema`.
pub fn to_row(schema: CtdcSchema, rec: &CaseRecord) -> Vec<String> {
    let marker = match missing_style(schema) {
        MissingStyle::Kanon if rec.victim.data_source == Some(DataSource::Hotline) => "Unknown",
        MissingStyle::Kanon => "-99",
        MissingStyle::Empty => "",
    };
    let style = flag_style(schema);
    columns(schema)
        .iter()
        .map(|c| encode(schema, c, rec, marker, style))
        .collect()
}

fn encode(
    schema: CtdcSchema,
    c: &CtdcColumn,
    rec: &CaseRecord,
    marker: &str,
    style: FlagStyle,
) -> String {
    let publish = |code: &str| c.published(code);
    let flag_out = |v: Option<bool>| -> String {
        match (v, style) {
            (Some(true), _) => "1".into(),
            (Some(false), FlagStyle::OneZero) => "0".into(),
            (Some(false), FlagStyle::OneOrEmpty) => String::new(),
            (None, _) => marker.into(),
        }
    };
    let vic = &rec.victim;
    match (&c.target, c.column) {
        (Target::Derived, "isSexAndLabour") => flag_out(vic.sex_and_labour()),
        (Target::Derived, name) => concatenated(schema, name, rec).unwrap_or_else(|| marker.into()),
        (Target::Flag(Group::Exploitation, "Other"), _) if schema != CtdcSchema::Kanon2018 => {
            // 2021/2024/VP have no separate marriage/military/organ flags: all merge into "other".
            let others: Vec<bool> = vic
                .exploitation
                .iter()
                .filter(|(k, _)| {
                    !matches!(
                        k,
                        ExploitationType::ForcedLabour | ExploitationType::SexualExploitation
                    )
                })
                .map(|(_, &v)| v)
                .collect();
            flag_out(if others.is_empty() {
                None
            } else {
                Some(others.iter().any(|&v| v))
            })
        }
        (Target::Flag(..), _) => {
            let v = field::get(rec, &c.target);
            flag_out(v.first().map(|s| s == "1"))
        }
        (Target::Citizenship, _) | (Target::CountryOfExploitation, _) => {
            let country = if c.target == Target::Citizenship {
                rec.person.citizenship.first().copied()
            } else {
                vic.country_of_exploitation
            };
            match country {
                Some(k) if schema == CtdcSchema::Synthetic2024 => k.alpha3(),
                Some(k) => k.alpha2().to_string(),
                None => marker.into(),
            }
        }
        (Target::CitizenshipRegion, _) | (Target::ExploitationRegion, _) => {
            let (region, country) = if c.target == Target::CitizenshipRegion {
                (
                    rec.person.citizenship_region,
                    rec.person.citizenship.first().copied(),
                )
            } else {
                (vic.exploitation_region, vic.country_of_exploitation)
            };
            let r = region.or_else(|| country.and_then(|k| k.region()));
            match r {
                Some(UnRegion::Americas | UnRegion::Oceania | UnRegion::AmericasOceania) => {
                    UnRegion::AmericasOceania.label().into()
                }
                Some(r) => r.label().into(),
                None => marker.into(),
            }
        }
        (Target::Registration, _) if schema == CtdcSchema::VictimPerpetrator => {
            match vic.registration {
                Some(y) => vp_year_band(y).unwrap_or_else(|| y.to_string()),
                None => marker.into(),
            }
        }
        (Target::Gender, _) if schema == CtdcSchema::Synthetic2024 => match rec.person.gender {
            Some(Gender::Feminine) => "Woman".into(),
            Some(Gender::Masculine) => "Man".into(),
            Some(Gender::NonSpecifiedUnknown) | None => marker.into(),
            Some(_) => "Trans/Transgender/NonConforming".into(),
        },
        (Target::Gender, _) => match rec.person.gender {
            Some(Gender::TransgenderFeminine | Gender::TransgenderMasculine) => {
                publish("Transgender")
            }
            Some(Gender::NonSpecifiedUnknown) | None => marker.into(),
            Some(g) => publish(g.code()),
        },
        (Target::AgeBand, _) => match rec
            .person
            .age_band
            .or_else(|| rec.person.age.map(AgeBand::of_age))
        {
            Some(AgeBand::Age0To29) | None => marker.into(),
            Some(a) => a.label().into(),
        },
        (Target::Majority, _) => {
            let m = rec.person.majority.or_else(|| {
                rec.person.age.map(|a| {
                    if a < 18 {
                        Majority::Minor
                    } else {
                        Majority::Adult
                    }
                })
            });
            m.map(|m| m.code().to_string())
                .unwrap_or_else(|| marker.into())
        }
        (t, _) if t.is_multi() => {
            let v = field::get(rec, t);
            if v.is_empty() {
                marker.into()
            } else {
                let sep = c.separator.unwrap_or(';').to_string();
                v.iter().map(|x| publish(x)).collect::<Vec<_>>().join(&sep)
            }
        }
        (t, _) => {
            let v = field::get(rec, t);
            match v.first() {
                Some(x)
                    if matches!(
                        t,
                        Target::Abduction
                            | Target::PerpExploiter
                            | Target::PerpRecruiterBroker
                            | Target::PerpTransactionProcess
                            | Target::PerpControlAbuseKidnap
                    ) =>
                {
                    flag_out(Some(x == "1"))
                }
                Some(x) => publish(x),
                None => marker.into(),
            }
        }
    }
}

/// The first year of registration a public value list covers (see [`public_values`]).
pub const FIRST_PUBLIC_YEAR: u16 = 2000;

/// The values [`to_row`] can write in `column` of `schema`, as a list fixed by the standard and
/// not by any data: the picklist's published labels, every country, every age band, flags, the
/// years from [`FIRST_PUBLIC_YEAR`] to `last_year`, and the layout's missing markers. A DP release
/// declares these as public domains, so whether a value appears in it never depends on a record
/// holding it. `None` for columns whose values are not a fixed list (free text, concatenations,
/// lists of several values, the VP file's registration bands), which need DP partition selection.
pub fn public_values(schema: CtdcSchema, column: &str, last_year: u16) -> Option<Vec<String>> {
    let c = self::column(schema, column)?;
    let mut out: Vec<String> = missing_markers(schema)
        .iter()
        .map(|m| m.to_string())
        .collect();
    let publish = |code: &str| c.published(code);
    let values: Vec<String> = match (&c.target, c.column) {
        (Target::Flag(..), _)
        | (Target::Derived, "isSexAndLabour")
        | (
            Target::Abduction
            | Target::PerpExploiter
            | Target::PerpRecruiterBroker
            | Target::PerpTransactionProcess
            | Target::PerpControlAbuseKidnap,
            _,
        ) => match flag_style(schema) {
            FlagStyle::OneZero => vec!["1".into(), "0".into()],
            FlagStyle::OneOrEmpty => vec!["1".into(), String::new()],
        },
        (Target::Citizenship | Target::CountryOfExploitation, _) => crate::Country::all()
            .into_iter()
            .map(|k| {
                if schema == CtdcSchema::Synthetic2024 {
                    k.alpha3()
                } else {
                    k.alpha2().to_string()
                }
            })
            .collect(),
        (Target::CitizenshipRegion | Target::ExploitationRegion, _) => UnRegion::all()
            .iter()
            .map(|r| match r {
                UnRegion::Americas | UnRegion::Oceania | UnRegion::AmericasOceania => {
                    UnRegion::AmericasOceania.label().to_string()
                }
                r => r.label().to_string(),
            })
            .collect(),
        (Target::Registration, _) if schema == CtdcSchema::VictimPerpetrator => return None,
        (Target::Registration, _) => (FIRST_PUBLIC_YEAR..=last_year.max(FIRST_PUBLIC_YEAR))
            .map(|y| y.to_string())
            .collect(),
        (Target::Gender, _) if schema == CtdcSchema::Synthetic2024 => {
            vec![
                "Woman".into(),
                "Man".into(),
                "Trans/Transgender/NonConforming".into(),
            ]
        }
        (Target::Gender, _) => Gender::all()
            .iter()
            .filter(|g| **g != Gender::NonSpecifiedUnknown)
            .map(|g| match g {
                Gender::TransgenderFeminine | Gender::TransgenderMasculine => {
                    publish("Transgender")
                }
                g => publish(g.code()),
            })
            .collect(),
        (Target::AgeBand, _) => AgeBand::all()
            .iter()
            .filter(|a| **a != AgeBand::Age0To29)
            .map(|a| a.label().to_string())
            .collect(),
        (Target::Majority | Target::MajorityAtExploitation | Target::MajorityAtEntry, _) => {
            Majority::all().iter().map(|m| publish(m.code())).collect()
        }
        (Target::DataSource, _) => DataSource::all()
            .iter()
            .map(|d| publish(d.code()))
            .collect(),
        (Target::Duration, _) => DurationBand::all()
            .iter()
            .map(|d| publish(d.label()))
            .collect(),
        _ => return None,
    };
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Some(out)
}

/// The markers [`to_row`] writes for a value not recorded: `-99` (case management) and `Unknown`
/// (hotline) in the 2018 k-anonymised layout, an empty cell elsewhere.
pub fn missing_markers(schema: CtdcSchema) -> &'static [&'static str] {
    match missing_style(schema) {
        MissingStyle::Kanon => &["-99", "Unknown"],
        MissingStyle::Empty => &[""],
    }
}

/// The value a released cell takes when it is outside its column's domain: the layout's marker
/// of a missing value (`-99` in the 2018 k-anonymised layout, empty elsewhere).
pub fn missing_marker(schema: CtdcSchema) -> &'static str {
    match missing_style(schema) {
        MissingStyle::Kanon => "-99",
        MissingStyle::Empty => "",
    }
}

/// The VP file's registration bands.
fn vp_year_band(y: crate::model::YearSpan) -> Option<String> {
    let bands = [
        (2005, 2013),
        (2014, 2018),
        (2019, 2019),
        (2020, 2020),
        (2021, 2022),
    ];
    bands
        .iter()
        .find(|(a, b)| y.from >= *a && y.to <= *b)
        .map(|&(a, b)| crate::model::YearSpan { from: a, to: b }.to_string())
}

fn concatenated(schema: CtdcSchema, name: &str, rec: &CaseRecord) -> Option<String> {
    let family = name.strip_suffix("Concatenated")?;
    let prefix = match family {
        "meansOfControl" => "meansOfControl",
        "typeOfExploit" => "is",
        "typeOfLabour" => "typeOfLabour",
        "typeOfSex" => "typeOfSex",
        _ => return None,
    };
    let mut any_known = false;
    let mut parts = Vec::new();
    for spec in columns(schema) {
        let c = spec.column;
        if !c.starts_with(prefix) || !matches!(spec.target, Target::Flag(..)) {
            continue;
        }
        match field::get(rec, &spec.target).first().map(String::as_str) {
            Some("1") => {
                any_known = true;
                let suffix = &c[prefix.len()..];
                let label = match (family, suffix) {
                    ("typeOfExploit", "ForcedLabour") => "Forced labour".to_string(),
                    ("typeOfExploit", "SexualExploit") => "Sexual exploitation".to_string(),
                    ("typeOfExploit", "OtherExploit") => "Other".to_string(),
                    ("typeOfExploit", "SlaveryAndPractices") => {
                        "Slavery and similar practices".to_string()
                    }
                    _ => concat_label(suffix),
                };
                parts.push(label);
            }
            Some(_) => any_known = true,
            None => {}
        }
    }
    any_known.then(|| parts.join(";"))
}

#[cfg(test)]
mod tests {

    #[test]
    fn one_missing_rule_for_mixed_layouts_keeps_namibia() {
        for v in ["", " ", "-99", "Unknown", "NULL"] {
            assert!(is_missing_in_any_layout(v, true), "{v:?} (country)");
            assert!(is_missing_in_any_layout(v, false), "{v:?}");
        }
        assert!(!is_missing_in_any_layout("NA", true), "NA is Namibia");
        assert!(is_missing_in_any_layout("NA", false));
        assert!(is_missing_in_any_layout("00", true));
        assert!(
            !is_missing_in_any_layout("00", false),
            "00 is missing only as a country"
        );
        assert!(!is_missing_in_any_layout("UA", true));
    }

    use super::*;

    #[test]
    fn every_schema_column_has_a_spec() {
        for s in CtdcSchema::ALL {
            assert_eq!(columns(s).len(), s.columns().len());
        }
    }

    #[test]
    fn labels() {
        assert_eq!(concat_label("DebtBondage"), "Debt bondage");
        assert_eq!(
            concat_label("ThreatOfLawEnforcement"),
            "Threat of law enforcement"
        );
    }
}
