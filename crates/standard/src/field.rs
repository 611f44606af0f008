//! Addressable fields of the case model and how a text value is applied to one.
//!
//! Importers (built-in CTDC/HTCDS formats and user TOML mappings alike) map each source column
//! to a [`Target`] by its path (e.g. `person.gender`, `victim.means_of_control.DebtBondage`,
//! `events.exploitation.country`). [`apply`] parses the text and sets the field, or returns the
//! [`Violation`] that the import reports for that cell.

use std::fmt;

use chrono::NaiveDate;

use crate::country::Country;
use crate::model::*;
use crate::vocab::*;

/// A multi-select picklist or flag family of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    Exploitation,
    Industry,
    LabourActivity,
    SexExploitation,
    MeansOfControl,
    MeansGroup,
    RecruitmentMethod,
    RecruitmentApp,
    ExploitationApp,
    Vulnerability,
    RecruiterRelation,
    Service,
    PerpetratorRole,
}

impl Group {
    pub const ALL: [Group; 13] = [
        Group::Exploitation,
        Group::Industry,
        Group::LabourActivity,
        Group::SexExploitation,
        Group::MeansOfControl,
        Group::MeansGroup,
        Group::RecruitmentMethod,
        Group::RecruitmentApp,
        Group::ExploitationApp,
        Group::Vulnerability,
        Group::RecruiterRelation,
        Group::Service,
        Group::PerpetratorRole,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Group::Exploitation => "victim.exploitation",
            Group::Industry => "victim.industries",
            Group::LabourActivity => "victim.labour_activities",
            Group::SexExploitation => "victim.sex_exploitation",
            Group::MeansOfControl => "victim.means_of_control",
            Group::MeansGroup => "victim.means_groups",
            Group::RecruitmentMethod => "victim.recruitment_methods",
            Group::RecruitmentApp => "victim.recruitment_apps",
            Group::ExploitationApp => "victim.exploitation_apps",
            Group::Vulnerability => "victim.vulnerabilities",
            Group::RecruiterRelation => "victim.recruiter_relation",
            Group::Service => "case.services",
            Group::PerpetratorRole => "perpetrator.roles",
        }
    }

    /// Value names accepted in this group.
    pub fn codes(self) -> Vec<&'static str> {
        fn c<T: Vocab>() -> Vec<&'static str> {
            T::all().iter().map(|v| v.code()).collect()
        }
        match self {
            Group::Exploitation => c::<ExploitationType>(),
            Group::Industry => c::<IsicSection>(),
            Group::LabourActivity => c::<LabourActivity>(),
            Group::SexExploitation => c::<SexExploitation>(),
            Group::MeansOfControl => c::<MeansOfControl>(),
            Group::MeansGroup => c::<MeansGroup>(),
            Group::RecruitmentMethod => c::<RecruitmentMethod>(),
            Group::RecruitmentApp | Group::ExploitationApp => c::<WebsiteOrApp>(),
            Group::Vulnerability => c::<Vulnerability>(),
            Group::RecruiterRelation => c::<RecruiterRelation>(),
            Group::Service => c::<ServiceType>(),
            Group::PerpetratorRole => c::<PerpetratorRole>(),
        }
    }

    /// Check that `code` belongs to the group and return its canonical value name.
    pub fn canonical(self, code: &str) -> Option<&'static str> {
        fn p<T: Vocab>(s: &str) -> Option<&'static str> {
            T::parse(s).map(|v| v.code())
        }
        match self {
            Group::Exploitation => p::<ExploitationType>(code),
            Group::Industry => p::<IsicSection>(code),
            Group::LabourActivity => p::<LabourActivity>(code),
            Group::SexExploitation => p::<SexExploitation>(code),
            Group::MeansOfControl => p::<MeansOfControl>(code),
            Group::MeansGroup => p::<MeansGroup>(code),
            Group::RecruitmentMethod => p::<RecruitmentMethod>(code),
            Group::RecruitmentApp | Group::ExploitationApp => p::<WebsiteOrApp>(code),
            Group::Vulnerability => p::<Vulnerability>(code),
            Group::RecruiterRelation => p::<RecruiterRelation>(code),
            Group::Service => p::<ServiceType>(code),
            Group::PerpetratorRole => p::<PerpetratorRole>(code),
        }
    }
}

/// Where a source column's value goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    // organisation
    OrgName,
    OrgType,
    OrgCountry,
    OrgCity,
    // person
    Gender,
    BirthDate,
    Age,
    AgeBand,
    Majority,
    Citizenship,
    CitizenshipRegion,
    MaritalStatus,
    Education,
    NumberOfChildren,
    PrimaryLanguage,
    // victim
    Registration,
    DataSource,
    TraffickingStatus,
    StatusDecidedBy,
    AgeWhenTrafficked,
    MajorityAtExploitation,
    MajorityAtEntry,
    RelationshipToTrafficker,
    RecruiterRelationshipText,
    Abduction,
    CountryOfExploitation,
    ExploitationRegion,
    Duration,
    /// One value of a group as a yes/no column (`code` is canonical).
    Flag(Group, &'static str),
    /// A list of values of a group in one cell (separator set by the column spec).
    FlagList(Group),
    // perpetrators
    PerpetratorDetails,
    PerpExploiter,
    PerpGenders,
    PerpAgeBands,
    PerpRegions,
    PerpRelations,
    PerpPaidMoney,
    PerpRecruiterBroker,
    PerpTransactionProcess,
    PerpControlAbuseKidnap,
    // case
    CaseReference,
    CaseStatus,
    ReasonForClosure,
    ReferringOrganisation,
    IncomingReferralDate,
    IncomingReferralReason,
    ReferredOrganisation,
    OutgoingReferralDate,
    OutgoingReferralReason,
    // events
    EventCountry(EventType),
    EventState(EventType),
    EventCity(EventType),
    EventDate(EventType),
    EventLatitude(EventType),
    EventLongitude(EventType),
    // consent
    Consent,
    ManagePersonalData,
    /// A column derived from others in the source (e.g. CTDC `isSexAndLabour`, `*Concatenated`):
    /// recomputed on export, kept verbatim in the raw row.
    Derived,
    /// Kept verbatim in `extra` under the column name.
    Extra,
    /// Deliberately not imported; the raw row still holds it.
    Ignore,
    /// A direct identifier (name, phone, e-mail, address, ID number): never stored, not even in
    /// the raw row.
    Identifier,
    /// A place of an event: a country if the text is one, else kept as the city/locality text.
    EventPlace(EventType),
}

const SIMPLE: &[(&str, Target)] = &[
    ("organisation.name", Target::OrgName),
    ("organisation.type", Target::OrgType),
    ("organisation.country", Target::OrgCountry),
    ("organisation.city", Target::OrgCity),
    ("person.gender", Target::Gender),
    ("person.birth_date", Target::BirthDate),
    ("person.age", Target::Age),
    ("person.age_band", Target::AgeBand),
    ("person.majority", Target::Majority),
    ("person.citizenship", Target::Citizenship),
    ("person.citizenship_region", Target::CitizenshipRegion),
    ("person.marital_status", Target::MaritalStatus),
    ("person.education", Target::Education),
    ("person.number_of_children", Target::NumberOfChildren),
    ("person.primary_language", Target::PrimaryLanguage),
    ("victim.registration", Target::Registration),
    ("victim.data_source", Target::DataSource),
    ("victim.trafficking_status", Target::TraffickingStatus),
    ("victim.status_decided_by", Target::StatusDecidedBy),
    ("victim.age_when_trafficked", Target::AgeWhenTrafficked),
    (
        "victim.majority_at_exploitation",
        Target::MajorityAtExploitation,
    ),
    ("victim.majority_at_entry", Target::MajorityAtEntry),
    (
        "victim.relationship_to_trafficker",
        Target::RelationshipToTrafficker,
    ),
    (
        "victim.recruiter_relationship_text",
        Target::RecruiterRelationshipText,
    ),
    ("victim.abduction", Target::Abduction),
    (
        "victim.country_of_exploitation",
        Target::CountryOfExploitation,
    ),
    ("victim.exploitation_region", Target::ExploitationRegion),
    ("victim.duration", Target::Duration),
    ("perpetrator.details", Target::PerpetratorDetails),
    ("perpetrators.exploiter", Target::PerpExploiter),
    ("perpetrators.genders", Target::PerpGenders),
    ("perpetrators.age_bands", Target::PerpAgeBands),
    ("perpetrators.citizenship_regions", Target::PerpRegions),
    ("perpetrators.relations", Target::PerpRelations),
    ("perpetrators.paid_money", Target::PerpPaidMoney),
    ("perpetrators.recruiter_broker", Target::PerpRecruiterBroker),
    (
        "perpetrators.transaction_process",
        Target::PerpTransactionProcess,
    ),
    (
        "perpetrators.control_abuse_kidnap",
        Target::PerpControlAbuseKidnap,
    ),
    ("case.reference", Target::CaseReference),
    ("case.status", Target::CaseStatus),
    ("case.reason_for_closure", Target::ReasonForClosure),
    ("case.referring_organisation", Target::ReferringOrganisation),
    ("case.incoming_referral_date", Target::IncomingReferralDate),
    (
        "case.incoming_referral_reason",
        Target::IncomingReferralReason,
    ),
    ("case.referred_organisation", Target::ReferredOrganisation),
    ("case.outgoing_referral_date", Target::OutgoingReferralDate),
    (
        "case.outgoing_referral_reason",
        Target::OutgoingReferralReason,
    ),
    ("consent.given", Target::Consent),
    ("consent.manage_personal_data", Target::ManagePersonalData),
    ("derived", Target::Derived),
    ("extra", Target::Extra),
    ("ignore", Target::Ignore),
    ("identifier", Target::Identifier),
];

impl Target {
    /// Parse a field path as written in mapping files.
    pub fn from_path(path: &str) -> Option<Target> {
        let p = path.trim();
        if let Some((_, t)) = SIMPLE.iter().find(|(s, _)| *s == p) {
            return Some(t.clone());
        }
        for g in Group::ALL {
            if p == g.path() {
                return Some(Target::FlagList(g));
            }
            if let Some(code) = p.strip_prefix(g.path()).and_then(|r| r.strip_prefix('.')) {
                return g.canonical(code).map(|c| Target::Flag(g, c));
            }
        }
        let rest = p.strip_prefix("events.")?;
        let (ty, field) = rest.split_once('.')?;
        let ty = EventType::parse(ty)?;
        Some(match field {
            "country" => Target::EventCountry(ty),
            "state" => Target::EventState(ty),
            "city" => Target::EventCity(ty),
            "date" => Target::EventDate(ty),
            "latitude" => Target::EventLatitude(ty),
            "longitude" => Target::EventLongitude(ty),
            "place" => Target::EventPlace(ty),
            _ => return None,
        })
    }

    /// The path of this target (inverse of [`Target::from_path`]).
    pub fn path(&self) -> String {
        if let Some((s, _)) = SIMPLE.iter().find(|(_, t)| t == self) {
            return (*s).to_string();
        }
        match self {
            Target::Flag(g, c) => format!("{}.{c}", g.path()),
            Target::FlagList(g) => g.path().to_string(),
            Target::EventCountry(t) => format!("events.{}.country", t.code().to_lowercase()),
            Target::EventState(t) => format!("events.{}.state", t.code().to_lowercase()),
            Target::EventCity(t) => format!("events.{}.city", t.code().to_lowercase()),
            Target::EventDate(t) => format!("events.{}.date", t.code().to_lowercase()),
            Target::EventLatitude(t) => format!("events.{}.latitude", t.code().to_lowercase()),
            Target::EventLongitude(t) => format!("events.{}.longitude", t.code().to_lowercase()),
            Target::EventPlace(t) => format!("events.{}.place", t.code().to_lowercase()),
            _ => unreachable!("every simple target is in SIMPLE"),
        }
    }

    /// Every path a mapping file may use (for `--help` and error hints).
    pub fn all_paths() -> Vec<String> {
        let mut v: Vec<String> = SIMPLE.iter().map(|(s, _)| s.to_string()).collect();
        for g in Group::ALL {
            v.push(g.path().to_string());
            v.extend(g.codes().iter().map(|c| format!("{}.{c}", g.path())));
        }
        for t in EventType::all() {
            for f in [
                "country",
                "state",
                "city",
                "date",
                "latitude",
                "longitude",
                "place",
            ] {
                v.push(format!("events.{}.{f}", t.code().to_lowercase()));
            }
        }
        v
    }

    /// Whether several values in one cell are meaningful for this target.
    pub fn is_multi(&self) -> bool {
        matches!(
            self,
            Target::FlagList(_)
                | Target::Citizenship
                | Target::PerpGenders
                | Target::PerpAgeBands
                | Target::PerpRegions
                | Target::PerpRelations
                | Target::PerpPaidMoney
        )
    }
}

/// Why a value was rejected: a stable rule id and a hint for the person fixing the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: &'static str,
    pub hint: String,
}

impl Violation {
    pub fn new(rule: &'static str, hint: impl Into<String>) -> Self {
        Violation {
            rule,
            hint: hint.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.hint)
    }
}

/// How to read dates and booleans in a column.
#[derive(Debug, Clone, Default)]
pub struct ValueFormat {
    /// chrono formats tried in order; ISO 8601 (`%Y-%m-%d`) is always tried last.
    pub date_formats: Vec<String>,
}

fn vocab<T: Vocab>(s: &str) -> Result<T, Violation> {
    T::parse(s).ok_or_else(|| {
        let allowed: Vec<&str> = T::all().iter().map(|v| v.code()).collect();
        Violation::new(
            "vocabulary",
            format!(
                "not a value of {}; allowed: {}",
                T::LIST,
                allowed.join(", ")
            ),
        )
    })
}

fn country(s: &str) -> Result<Country, Violation> {
    Country::parse(s).ok_or_else(|| {
        Violation::new(
            "country",
            "not an ISO 3166-1 country (alpha-2, alpha-3, numeric or ISO short name); use 00 or leave empty for unknown",
        )
    })
}

/// Parse a yes/no cell.
pub fn parse_bool(s: &str) -> Result<bool, Violation> {
    let t = crate::vocab::trim(s);
    match t {
        "1" => return Ok(true),
        "0" => return Ok(false),
        _ => {}
    }
    const YES: [&str; 6] = ["1.0", "yes", "y", "true", "t", "x"];
    const NO: [&str; 5] = ["0.0", "no", "n", "false", "f"];
    if YES.iter().any(|y| y.eq_ignore_ascii_case(t)) {
        Ok(true)
    } else if NO.iter().any(|n| n.eq_ignore_ascii_case(t)) {
        Ok(false)
    } else {
        Err(Violation::new(
            "boolean",
            "expected 1/0, yes/no or true/false",
        ))
    }
}

fn small_int<T: TryFrom<i64>>(s: &str, max: i64, what: &str) -> Result<T, Violation> {
    let t = s.trim();
    let t = t.strip_suffix(".0").unwrap_or(t);
    let n: i64 = t
        .parse()
        .map_err(|_| Violation::new("number", format!("{what}: expected a whole number")))?;
    if !(0..=max).contains(&n) {
        return Err(Violation::new(
            "range",
            format!("{what}: must be between 0 and {max}"),
        ));
    }
    T::try_from(n).map_err(|_| Violation::new("range", format!("{what}: out of range")))
}

/// Parse a date with the column's formats, then ISO 8601 and spreadsheet ISO date-times.
pub fn parse_date(s: &str, fmt: &ValueFormat) -> Result<NaiveDate, Violation> {
    let t = s.trim();
    for f in &fmt.date_formats {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Ok(d);
        }
    }
    let iso = t.split('T').next().unwrap_or(t);
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").map_err(|_| {
        let hint = if fmt.date_formats.is_empty() {
            "expected an ISO date (YYYY-MM-DD); set date_format in the mapping for other layouts"
                .to_string()
        } else {
            format!(
                "expected a date in one of: {}, %Y-%m-%d",
                fmt.date_formats.join(", ")
            )
        };
        Violation::new("date", hint)
    })
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn event(rec: &mut CaseRecord, ty: EventType) -> &mut TraffickingEvent {
    let idx = match rec.events.iter().position(|e| e.event_type == ty) {
        Some(i) => i,
        None => {
            rec.events.push(TraffickingEvent {
                event_type: ty,
                country: None,
                state: None,
                city: None,
                date: None,
                latitude: None,
                longitude: None,
            });
            rec.events.len() - 1
        }
    };
    &mut rec.events[idx]
}

fn set_flag(rec: &mut CaseRecord, g: Group, code: &str, v: bool) -> Result<(), Violation> {
    fn ins<T: Vocab>(m: &mut Flags<T>, code: &str, v: bool) -> Result<(), Violation> {
        let k = vocab::<T>(code)?;
        // a yes from any source column wins over a no (e.g. two columns mapped to one value)
        m.merge(k, v);
        Ok(())
    }
    let vic = &mut rec.victim;
    match g {
        Group::Exploitation => ins(&mut vic.exploitation, code, v),
        Group::Industry => ins(&mut vic.industries, code, v),
        Group::LabourActivity => ins(&mut vic.labour_activities, code, v),
        Group::SexExploitation => ins(&mut vic.sex_exploitation, code, v),
        Group::MeansOfControl => ins(&mut vic.means_of_control, code, v),
        Group::MeansGroup => ins(&mut vic.means_groups, code, v),
        Group::RecruitmentMethod => ins(&mut vic.recruitment_methods, code, v),
        Group::RecruitmentApp => ins(&mut vic.recruitment_apps, code, v),
        Group::ExploitationApp => ins(&mut vic.exploitation_apps, code, v),
        Group::Vulnerability => ins(&mut vic.vulnerabilities, code, v),
        Group::RecruiterRelation => ins(&mut vic.recruiter_relation, code, v),
        Group::Service => ins(
            &mut rec.case.get_or_insert_with(Case::default).services,
            code,
            v,
        ),
        Group::PerpetratorRole => {
            if rec.perpetrators.is_empty() {
                rec.perpetrators.push(PerpetratorContext::default());
            }
            ins(&mut rec.perpetrators[0].roles, code, v)
        }
    }
}

/// Apply one (already de-missing'd, already re-coded, single) value to the record.
pub fn apply(
    rec: &mut CaseRecord,
    target: &Target,
    column: &str,
    value: &str,
    fmt: &ValueFormat,
) -> Result<(), Violation> {
    let v = crate::vocab::trim(value);
    let text = || Some(v.to_string());
    match target {
        Target::OrgName => rec.organisation.get_or_insert_with(Default::default).name = text(),
        Target::OrgType => {
            rec.organisation
                .get_or_insert_with(Default::default)
                .org_type = Some(vocab(v)?)
        }
        Target::OrgCountry => {
            rec.organisation
                .get_or_insert_with(Default::default)
                .country = Some(country(v)?)
        }
        Target::OrgCity => rec.organisation.get_or_insert_with(Default::default).city = text(),
        Target::Gender => rec.person.gender = Some(vocab(v)?),
        Target::BirthDate => rec.person.birth_date = Some(parse_date(v, fmt)?),
        Target::Age => rec.person.age = Some(small_int(v, 120, "age")?),
        Target::AgeBand => rec.person.age_band = Some(vocab(v)?),
        Target::Majority => rec.person.majority = Some(vocab(v)?),
        Target::Citizenship => push_unique(&mut rec.person.citizenship, country(v)?),
        Target::CitizenshipRegion => rec.person.citizenship_region = Some(vocab(v)?),
        Target::MaritalStatus => rec.person.marital_status = Some(vocab(v)?),
        Target::Education => rec.person.education = Some(vocab(v)?),
        Target::NumberOfChildren => {
            rec.person.number_of_children = Some(small_int(v, 60, "number of children")?)
        }
        Target::PrimaryLanguage => rec.person.primary_language = text(),
        Target::Registration => {
            let y = YearSpan::parse(v).ok_or_else(|| {
                Violation::new(
                    "year",
                    "expected a year such as 2019 or a band such as 2005-2013",
                )
            })?;
            rec.victim.registration = Some(y)
        }
        Target::DataSource => rec.victim.data_source = Some(vocab(v)?),
        Target::TraffickingStatus => rec.victim.trafficking_status = Some(vocab(v)?),
        Target::StatusDecidedBy => rec.victim.status_decided_by = Some(vocab(v)?),
        Target::AgeWhenTrafficked => {
            rec.victim.age_when_trafficked = Some(small_int(v, 120, "age when trafficked")?)
        }
        Target::MajorityAtExploitation => rec.victim.majority_at_exploitation = Some(vocab(v)?),
        Target::MajorityAtEntry => rec.victim.majority_at_entry = Some(vocab(v)?),
        Target::RelationshipToTrafficker => rec.victim.relationship_to_trafficker = Some(vocab(v)?),
        Target::RecruiterRelationshipText => rec.victim.recruiter_relationship_text = text(),
        Target::Abduction => rec.victim.abduction = Some(parse_bool(v)?),
        Target::CountryOfExploitation => rec.victim.country_of_exploitation = Some(country(v)?),
        Target::ExploitationRegion => rec.victim.exploitation_region = Some(vocab(v)?),
        Target::Duration => rec.victim.duration = Some(vocab(v)?),
        Target::Flag(g, code) => set_flag(rec, *g, code, parse_bool(v)?)?,
        Target::FlagList(g) => set_flag(rec, *g, v, true)?,
        Target::PerpetratorDetails => {
            if rec.perpetrators.is_empty() {
                rec.perpetrators.push(PerpetratorContext::default());
            }
            rec.perpetrators[0].details = text()
        }
        Target::PerpExploiter => summary(rec).exploiter = Some(parse_bool(v)?),
        Target::PerpGenders => push_unique(&mut summary(rec).genders, vocab(perp_gender(v))?),
        Target::PerpAgeBands => push_unique(&mut summary(rec).age_bands, vocab(v)?),
        Target::PerpRegions => push_unique(&mut summary(rec).citizenship_regions, vocab(v)?),
        Target::PerpRelations => push_unique(&mut summary(rec).relations, vocab(v)?),
        Target::PerpPaidMoney => push_unique(&mut summary(rec).paid_money, vocab(v)?),
        Target::PerpRecruiterBroker => summary(rec).recruiter_broker = Some(parse_bool(v)?),
        Target::PerpTransactionProcess => summary(rec).transaction_process = Some(parse_bool(v)?),
        Target::PerpControlAbuseKidnap => summary(rec).control_abuse_kidnap = Some(parse_bool(v)?),
        Target::CaseReference => case(rec).reference = text(),
        Target::CaseStatus => case(rec).status = Some(vocab(v)?),
        Target::ReasonForClosure => case(rec).reason_for_closure = text(),
        Target::ReferringOrganisation => case(rec).referring_organisation = text(),
        Target::IncomingReferralDate => {
            case(rec).incoming_referral_date = Some(parse_date(v, fmt)?)
        }
        Target::IncomingReferralReason => case(rec).incoming_referral_reason = Some(vocab(v)?),
        Target::ReferredOrganisation => case(rec).referred_organisation = text(),
        Target::OutgoingReferralDate => {
            case(rec).outgoing_referral_date = Some(parse_date(v, fmt)?)
        }
        Target::OutgoingReferralReason => case(rec).outgoing_referral_reason = Some(vocab(v)?),
        Target::EventCountry(t) => event(rec, *t).country = Some(country(v)?),
        Target::EventState(t) => event(rec, *t).state = text(),
        Target::EventCity(t) => event(rec, *t).city = text(),
        Target::EventDate(t) => event(rec, *t).date = Some(parse_date(v, fmt)?),
        Target::EventLatitude(t) => event(rec, *t).latitude = Some(coordinate(v, 90.0)?),
        Target::EventLongitude(t) => event(rec, *t).longitude = Some(coordinate(v, 180.0)?),
        Target::Consent => {
            rec.consent.get_or_insert_with(Default::default).given = Some(parse_bool(v)?)
        }
        Target::ManagePersonalData => {
            rec.consent
                .get_or_insert_with(Default::default)
                .manage_personal_data = Some(parse_bool(v)?)
        }
        Target::EventPlace(t) => match Country::parse(v) {
            Some(c) => event(rec, *t).country = Some(c),
            None => event(rec, *t).city = text(),
        },
        Target::Derived | Target::Ignore | Target::Identifier => {}
        Target::Extra => {
            rec.extra.insert(column.to_string(), v.to_string());
        }
    }
    Ok(())
}

/// CTDC writes perpetrator genders as Female/Male.
fn perp_gender(v: &str) -> &str {
    match v {
        "Female" | "female" | "Woman" => "Feminine",
        "Male" | "male" | "Man" => "Masculine",
        other => other,
    }
}

fn coordinate(v: &str, limit: f64) -> Result<f64, Violation> {
    let x: f64 = v
        .parse()
        .map_err(|_| Violation::new("number", "expected a decimal coordinate"))?;
    if !(-limit..=limit).contains(&x) {
        return Err(Violation::new(
            "range",
            format!("coordinate must be within ±{limit}"),
        ));
    }
    Ok(x)
}

fn summary(rec: &mut CaseRecord) -> &mut PerpetratorSummary {
    rec.perpetrator_summary.get_or_insert_with(Default::default)
}

fn case(rec: &mut CaseRecord) -> &mut Case {
    rec.case.get_or_insert_with(Default::default)
}

/// Read a field back as text values (canonical codes; empty = not recorded).
/// A `Flag` reads as `["1"]`, `["0"]` or `[]`; a `FlagList` as the codes recorded as yes.
pub fn get(rec: &CaseRecord, target: &Target) -> Vec<String> {
    fn one<T: ToString>(x: Option<T>) -> Vec<String> {
        x.map(|v| v.to_string()).into_iter().collect()
    }
    fn many<T: ToString>(x: &[T]) -> Vec<String> {
        x.iter().map(|v| v.to_string()).collect()
    }
    fn list<T: Vocab>(m: &Flags<T>) -> Vec<String> {
        m.iter()
            .filter(|(_, &b)| b)
            .map(|(k, _)| k.code().to_string())
            .collect()
    }
    let org = rec.organisation.as_ref();
    let case = rec.case.as_ref();
    let sum = rec.perpetrator_summary.as_ref();
    let p = &rec.person;
    let v = &rec.victim;
    let ev = |t: EventType| rec.events.iter().find(|e| e.event_type == t);
    let b = |x: Option<bool>| one(x.map(|b| if b { "1" } else { "0" }));
    macro_rules! group {
        ($g:expr, $f:expr) => {{
            let vic = v;
            match $g {
                Group::Exploitation => $f(&vic.exploitation),
                Group::Industry => $f(&vic.industries),
                Group::LabourActivity => $f(&vic.labour_activities),
                Group::SexExploitation => $f(&vic.sex_exploitation),
                Group::MeansOfControl => $f(&vic.means_of_control),
                Group::MeansGroup => $f(&vic.means_groups()),
                Group::RecruitmentMethod => $f(&vic.recruitment_methods),
                Group::RecruitmentApp => $f(&vic.recruitment_apps),
                Group::ExploitationApp => $f(&vic.exploitation_apps),
                Group::Vulnerability => $f(&vic.vulnerabilities),
                Group::RecruiterRelation => $f(&vic.recruiter_relation),
                Group::Service => case.map(|c| $f(&c.services)).unwrap_or_default(),
                Group::PerpetratorRole => rec
                    .perpetrators
                    .first()
                    .map(|x| $f(&x.roles))
                    .unwrap_or_default(),
            }
        }};
    }
    match target {
        Target::OrgName => one(org.and_then(|o| o.name.clone())),
        Target::OrgType => one(org.and_then(|o| o.org_type)),
        Target::OrgCountry => one(org.and_then(|o| o.country)),
        Target::OrgCity => one(org.and_then(|o| o.city.clone())),
        Target::Gender => one(p.gender),
        Target::BirthDate => one(p.birth_date),
        Target::Age => one(p.age),
        Target::AgeBand => one(p.age_band.map(|a| a.label())),
        Target::Majority => one(p.majority),
        Target::Citizenship => many(&p.citizenship),
        Target::CitizenshipRegion => one(p.citizenship_region),
        Target::MaritalStatus => one(p.marital_status),
        Target::Education => one(p.education),
        Target::NumberOfChildren => one(p.number_of_children),
        Target::PrimaryLanguage => one(p.primary_language.clone()),
        Target::Registration => one(v.registration),
        Target::DataSource => one(v.data_source),
        Target::TraffickingStatus => one(v.trafficking_status),
        Target::StatusDecidedBy => one(v.status_decided_by),
        Target::AgeWhenTrafficked => one(v.age_when_trafficked),
        Target::MajorityAtExploitation => one(v.majority_at_exploitation),
        Target::MajorityAtEntry => one(v.majority_at_entry),
        Target::RelationshipToTrafficker => one(v.relationship_to_trafficker),
        Target::RecruiterRelationshipText => one(v.recruiter_relationship_text.clone()),
        Target::Abduction => b(v.abduction),
        Target::CountryOfExploitation => one(v.country_of_exploitation),
        Target::ExploitationRegion => one(v.exploitation_region),
        Target::Duration => one(v.duration.map(|d| d.label())),
        Target::Flag(g, code) => group!(*g, flag_of(code)),
        Target::FlagList(g) => group!(*g, list),
        Target::PerpetratorDetails => one(rec.perpetrators.first().and_then(|x| x.details.clone())),
        Target::PerpExploiter => b(sum.and_then(|s| s.exploiter)),
        Target::PerpGenders => sum.map(|s| many(&s.genders)).unwrap_or_default(),
        Target::PerpAgeBands => sum
            .map(|s| s.age_bands.iter().map(|a| a.label().to_string()).collect())
            .unwrap_or_default(),
        Target::PerpRegions => sum
            .map(|s| many(&s.citizenship_regions))
            .unwrap_or_default(),
        Target::PerpRelations => sum.map(|s| many(&s.relations)).unwrap_or_default(),
        Target::PerpPaidMoney => sum.map(|s| many(&s.paid_money)).unwrap_or_default(),
        Target::PerpRecruiterBroker => b(sum.and_then(|s| s.recruiter_broker)),
        Target::PerpTransactionProcess => b(sum.and_then(|s| s.transaction_process)),
        Target::PerpControlAbuseKidnap => b(sum.and_then(|s| s.control_abuse_kidnap)),
        Target::CaseReference => one(case.and_then(|c| c.reference.clone())),
        Target::CaseStatus => one(case.and_then(|c| c.status)),
        Target::ReasonForClosure => one(case.and_then(|c| c.reason_for_closure.clone())),
        Target::ReferringOrganisation => one(case.and_then(|c| c.referring_organisation.clone())),
        Target::IncomingReferralDate => one(case.and_then(|c| c.incoming_referral_date)),
        Target::IncomingReferralReason => one(case.and_then(|c| c.incoming_referral_reason)),
        Target::ReferredOrganisation => one(case.and_then(|c| c.referred_organisation.clone())),
        Target::OutgoingReferralDate => one(case.and_then(|c| c.outgoing_referral_date)),
        Target::OutgoingReferralReason => one(case.and_then(|c| c.outgoing_referral_reason)),
        Target::EventCountry(t) => one(ev(*t).and_then(|e| e.country)),
        Target::EventState(t) => one(ev(*t).and_then(|e| e.state.clone())),
        Target::EventCity(t) => one(ev(*t).and_then(|e| e.city.clone())),
        Target::EventDate(t) => one(ev(*t).and_then(|e| e.date)),
        Target::EventLatitude(t) => one(ev(*t).and_then(|e| e.latitude)),
        Target::EventLongitude(t) => one(ev(*t).and_then(|e| e.longitude)),
        Target::Consent => b(rec.consent.as_ref().and_then(|c| c.given)),
        Target::ManagePersonalData => b(rec.consent.as_ref().and_then(|c| c.manage_personal_data)),
        Target::EventPlace(t) => {
            one(ev(*t).and_then(|e| e.country.map(|c| c.to_string()).or_else(|| e.city.clone())))
        }
        Target::Derived | Target::Ignore | Target::Extra | Target::Identifier => Vec::new(),
    }
}

/// Helper so the `group!` macro can pass the flag code through.
fn flag_of<T: Vocab>(code: &str) -> impl Fn(&Flags<T>) -> Vec<String> + '_ {
    move |m: &Flags<T>| {
        T::parse(code)
            .and_then(|k| m.get(&k))
            .map(|&b| if b { "1" } else { "0" }.to_string())
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_round_trips() {
        for p in Target::all_paths() {
            let t = Target::from_path(&p).unwrap_or_else(|| panic!("{p}"));
            assert_eq!(t.path(), p);
        }
        assert_eq!(Target::from_path("person.shoe_size"), None);
        assert_eq!(Target::from_path("victim.means_of_control.Telepathy"), None);
    }

    #[test]
    fn apply_sets_fields_and_reports_rules() {
        let f = ValueFormat::default();
        let mut r = CaseRecord::new();
        apply(&mut r, &Target::Gender, "g", "Masculine", &f).unwrap();
        apply(&mut r, &Target::Citizenship, "c", "NA", &f).unwrap();
        apply(&mut r, &Target::Citizenship, "c", "UKR", &f).unwrap();
        let t = Target::from_path("victim.means_of_control.DebtBondage").unwrap();
        apply(&mut r, &t, "m", "1", &f).unwrap();
        apply(
            &mut r,
            &Target::FlagList(Group::Exploitation),
            "e",
            "Forced labour",
            &f,
        )
        .unwrap();
        apply(
            &mut r,
            &Target::EventDate(EventType::Recruitment),
            "d",
            "2019-04-01",
            &f,
        )
        .unwrap();
        assert_eq!(r.person.gender, Some(Gender::Masculine));
        assert_eq!(r.person.citizenship.len(), 2);
        assert!(r.victim.means_of_control[&MeansOfControl::DebtBondage]);
        assert!(r.victim.exploitation[&ExploitationType::ForcedLabour]);
        assert_eq!(r.events[0].date, NaiveDate::from_ymd_opt(2019, 4, 1));
        let e = apply(&mut r, &Target::Gender, "g", "Robot", &f).unwrap_err();
        assert_eq!(e.rule, "vocabulary");
        let e = apply(&mut r, &Target::Registration, "y", "20x9", &f).unwrap_err();
        assert_eq!(e.rule, "year");
        let e = apply(&mut r, &Target::CountryOfExploitation, "c", "Atlantis", &f).unwrap_err();
        assert_eq!(e.rule, "country");
        let f2 = ValueFormat {
            date_formats: vec!["%d/%m/%Y".into()],
        };
        apply(&mut r, &Target::BirthDate, "b", "31/12/1990", &f2).unwrap();
        assert_eq!(r.person.birth_date, NaiveDate::from_ymd_opt(1990, 12, 31));
    }
}
