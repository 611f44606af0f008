//! The case model: one record per person assisted, aligned with HTCDS 2.0.
//!
//! Sections follow the HTCDS prefixes: organisation (`org_`), person (`prs_`), victim context
//! (`vic_`), perpetrator context (`per_`), case (`cas_`), trafficking events (`hte_`) and consent
//! (`con_`). Fields that only the CTDC flat releases carry (registration year, data source, age
//! band, majority status, CTDC labour activities, the 2024 merged means-of-control groups, the
//! Victim-Perpetrator summary) live beside them, documented in `crate::crosswalk`.
//!
//! Multi-select picklists and CTDC flag families are [`Flags`]: a map from value to yes/no where
//! an absent value means *not recorded*. This keeps CTDC's three states (1, 0, missing) apart.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::country::Country;
use crate::vocab::*;

/// Version of the case model written into every stored record. Bump on any change that alters
/// the meaning of a stored field and add a migration in the store.
pub const SCHEMA_VERSION: u32 = 1;

pub use crate::flags::Flags;

/// A registration year or a band of years (the Victim-Perpetrator file publishes bands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct YearSpan {
    pub from: u16,
    pub to: u16,
}

impl YearSpan {
    pub fn year(y: u16) -> Self {
        YearSpan { from: y, to: y }
    }
    /// The single year, if the span is one year.
    pub fn single(self) -> Option<u16> {
        (self.from == self.to).then_some(self.from)
    }
    /// `2019` or `2005-2013`.
    pub fn parse(s: &str) -> Option<YearSpan> {
        let t = s.trim();
        let t = t.strip_suffix(".0").unwrap_or(t);
        let (a, b) = match t.split_once('-') {
            Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
            None => {
                let y = t.parse().ok()?;
                (y, y)
            }
        };
        (1900..=2100).contains(&a).then_some(())?;
        (a <= b && b <= 2100).then_some(YearSpan { from: a, to: b })
    }
}

impl std::fmt::Display for YearSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// One person's case record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// [`SCHEMA_VERSION`] at the time the record was written.
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<Organisation>,
    #[serde(default)]
    pub person: Person,
    #[serde(default)]
    pub victim: VictimContext,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perpetrators: Vec<PerpetratorContext>,
    /// Aggregated facts about all perpetrators involved (CTDC Victim-Perpetrator file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perpetrator_summary: Option<PerpetratorSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<Case>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<TraffickingEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// Source columns mapped to no field, kept verbatim (column name -> value).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

impl CaseRecord {
    pub fn new() -> Self {
        CaseRecord {
            schema_version: SCHEMA_VERSION,
            ..Default::default()
        }
    }
}

/// `org_`: the organisation that holds the case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_type: Option<OrganisationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
}

/// `prs_`: the person. Direct identifiers (names, phone, e-mail, address) are deliberately not
/// part of the model: they never enter the hub (record linkage works on keyed encodings).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Person {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    /// Exact age at registration, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_band: Option<AgeBand>,
    /// Adult or minor at registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub majority: Option<Majority>,
    /// `prs_Citizenship` is multi-select in HTCDS; the first is the one CTDC publishes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub citizenship: Vec<Country>,
    /// Region of citizenship when only the region is known (Victim-Perpetrator file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizenship_region: Option<UnRegion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marital_status: Option<MaritalStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub education: Option<Education>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_children: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_language: Option<String>,
}

/// `vic_`: the victim context.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VictimContext {
    /// Year (or band of years) the case was registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<YearSpan>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_source: Option<DataSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trafficking_status: Option<TraffickingStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_decided_by: Option<DecisionMakingOrg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_when_trafficked: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub majority_at_exploitation: Option<Majority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub majority_at_entry: Option<Majority>,
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub exploitation: Flags<ExploitationType>,
    /// ISIC sections of forced labour (`vic_ForcedLabourIndustry`).
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub industries: Flags<IsicSection>,
    /// CTDC's finer labour activities (agriculture, aquafarming, begging, ...).
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub labour_activities: Flags<LabourActivity>,
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub sex_exploitation: Flags<SexExploitation>,
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub means_of_control: Flags<MeansOfControl>,
    /// Merged groups, filled only when the source published groups (CTDC 2024/2025);
    /// otherwise derived from `means_of_control` by [`VictimContext::means_groups`].
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub means_groups: Flags<MeansGroup>,
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub recruitment_methods: Flags<RecruitmentMethod>,
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub recruitment_apps: Flags<WebsiteOrApp>,
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub exploitation_apps: Flags<WebsiteOrApp>,
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub vulnerabilities: Flags<Vulnerability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship_to_trafficker: Option<RelationshipToTrafficker>,
    /// CTDC `recruiterRelation*` flags.
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub recruiter_relation: Flags<RecruiterRelation>,
    /// CTDC `RecruiterRelationship` as published (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recruiter_relationship_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abduction: Option<bool>,
    /// Country of exploitation (CTDC `CountryOfExploitation`; HTCDS: the exploitation event's country).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_exploitation: Option<Country>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploitation_region: Option<UnRegion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<DurationBand>,
}

impl VictimContext {
    /// The 2024 means-of-control groups: published groups if present, else derived from the fine
    /// flags (a group is yes if any member is yes, no if every member present is no).
    pub fn means_groups(&self) -> Flags<MeansGroup> {
        if !self.means_groups.is_empty() {
            return self.means_groups;
        }
        let mut out = Flags::new();
        for (m, &v) in self.means_of_control.iter() {
            if let Some(g) = m.group() {
                out.merge(g, v);
            }
        }
        out
    }

    /// Whether both sexual exploitation and forced labour are recorded (CTDC `isSexAndLabour`).
    pub fn sex_and_labour(&self) -> Option<bool> {
        let s = self
            .exploitation
            .get(&ExploitationType::SexualExploitation)
            .copied();
        let l = self
            .exploitation
            .get(&ExploitationType::ForcedLabour)
            .copied();
        match (s, l) {
            (Some(a), Some(b)) => Some(a && b),
            (Some(false), None) | (None, Some(false)) => Some(false),
            _ => None,
        }
    }
}

/// `per_`: one perpetrator's role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PerpetratorContext {
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub roles: Flags<PerpetratorRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizenship: Option<Country>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// What the CTDC Victim-Perpetrator file says about all involved perpetrators together;
/// multi-valued fields hold every value any perpetrator had.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PerpetratorSummary {
    /// `IP_Exploiter`: at least one perpetrator was the exploiter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploiter: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub genders: Vec<Gender>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub age_bands: Vec<AgeBand>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub citizenship_regions: Vec<UnRegion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<PerpetratorRelation>,
    /// `IP_PayMoney`: did the victim pay the perpetrators (several answers across perpetrators).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paid_money: Vec<YesNo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recruiter_broker: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_process: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_abuse_kidnap: Option<bool>,
}

/// `cas_`: case management.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The organisation's own case reference (pseudonymous; never a name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CaseStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_for_closure: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referring_organisation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming_referral_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming_referral_reason: Option<ReferralReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referred_organisation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outgoing_referral_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outgoing_referral_reason: Option<ReferralReason>,
    #[serde(default, skip_serializing_if = "Flags::is_empty")]
    pub services: Flags<ServiceType>,
}

/// `hte_`: a trafficking event (recruitment, transit or exploitation) with place and date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraffickingEvent {
    pub event_type: EventType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

/// `con_`: consent to record and share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Consent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given: Option<bool>,
    /// `vic_AgreementToManagePersonalData`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manage_personal_data: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_spans() {
        assert_eq!(YearSpan::parse("2019"), Some(YearSpan::year(2019)));
        assert_eq!(YearSpan::parse("2019.0"), Some(YearSpan::year(2019)));
        assert_eq!(
            YearSpan::parse("2005-2013"),
            Some(YearSpan {
                from: 2005,
                to: 2013
            })
        );
        assert_eq!(YearSpan::parse("2013-2005"), None);
        assert_eq!(YearSpan::parse("-99"), None);
        assert_eq!(YearSpan::parse("abc"), None);
        assert_eq!(
            YearSpan {
                from: 2005,
                to: 2013
            }
            .to_string(),
            "2005-2013"
        );
    }

    #[test]
    fn means_groups_derive_from_fine_flags() {
        let mut v = VictimContext::default();
        v.means_of_control
            .insert(MeansOfControl::DebtBondage, false);
        v.means_of_control
            .insert(MeansOfControl::TakesEarnings, true);
        v.means_of_control
            .insert(MeansOfControl::FalsePromises, false);
        let g = v.means_groups();
        assert_eq!(g.get(&MeansGroup::DebtBondageEarnings), Some(&true));
        assert_eq!(g.get(&MeansGroup::FalsePromises), Some(&false));
        assert_eq!(g.get(&MeansGroup::Threats), None);
    }

    #[test]
    fn record_json_round_trip() {
        let mut r = CaseRecord::new();
        r.person.gender = Some(Gender::Feminine);
        r.person.citizenship.push(Country::parse("NA").unwrap());
        r.victim
            .exploitation
            .insert(ExploitationType::ForcedLabour, true);
        r.victim
            .exploitation
            .insert(ExploitationType::SexualExploitation, false);
        let j = serde_json::to_string(&r).unwrap();
        assert!(j.contains("\"NA\""));
        let back: CaseRecord = serde_json::from_str(&j).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.victim.sex_and_labour(), Some(false));
    }
}
