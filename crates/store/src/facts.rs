//! The indexed columns of `case_record`, derived from a [`CaseRecord`].

use cthub_standard::vocab::{AgeBand, EventType, ExploitationType, Vocab};
use cthub_standard::CaseRecord;

/// Column values of one record: model codes, alpha-2 countries, 0/1 flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Facts<'r> {
    pub registration_from: Option<i64>,
    pub registration_to: Option<i64>,
    pub data_source: Option<&'static str>,
    pub gender: Option<&'static str>,
    /// Recorded, or implied by the exact age.
    pub age_band: Option<&'static str>,
    /// Recorded, or implied by the age band (or exact age).
    pub majority: Option<&'static str>,
    /// The first citizenship (the one CTDC publishes).
    pub citizenship: Option<&'r str>,
    /// Recorded, or the country of the first exploitation event that has one.
    pub country_of_exploitation: Option<&'r str>,
    pub forced_labour: Option<i64>,
    pub sexual_exploitation: Option<i64>,
    /// 1 if any exploitation type other than forced labour and sexual exploitation is yes,
    /// 0 if some other type is recorded and all such are no, NULL if none is recorded.
    pub other_exploitation: Option<i64>,
}

impl<'r> Facts<'r> {
    pub fn of(r: &'r CaseRecord) -> Facts<'r> {
        let p = &r.person;
        let v = &r.victim;
        let band: Option<AgeBand> = p.age_band.or_else(|| p.age.map(AgeBand::of_age));
        let majority = p.majority.or_else(|| band.and_then(AgeBand::majority));
        let coe = v.country_of_exploitation.as_ref().or_else(|| {
            r.events
                .iter()
                .filter(|e| e.event_type == EventType::Exploitation)
                .find_map(|e| e.country.as_ref())
        });
        let flag = |t: ExploitationType| v.exploitation.get(&t).map(|&b| i64::from(b));
        let mut other = None;
        for (&t, &yes) in &v.exploitation {
            if t != ExploitationType::ForcedLabour && t != ExploitationType::SexualExploitation {
                let cur = other.get_or_insert(0);
                if yes {
                    *cur = 1;
                }
            }
        }
        Facts {
            registration_from: v.registration.map(|s| i64::from(s.from)),
            registration_to: v.registration.map(|s| i64::from(s.to)),
            data_source: v.data_source.map(Vocab::code),
            gender: p.gender.map(Vocab::code),
            age_band: band.map(Vocab::code),
            majority: majority.map(Vocab::code),
            citizenship: p.citizenship.first().map(|c| c.alpha2()),
            country_of_exploitation: coe.map(|c| c.alpha2()),
            forced_labour: flag(ExploitationType::ForcedLabour),
            sexual_exploitation: flag(ExploitationType::SexualExploitation),
            other_exploitation: other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cthub_standard::model::{TraffickingEvent, YearSpan};
    use cthub_standard::vocab::{Gender, Majority};
    use cthub_standard::Country;

    #[test]
    fn derived_columns() {
        let mut r = CaseRecord::new();
        assert_eq!(Facts::of(&r).other_exploitation, None);
        r.person.gender = Some(Gender::TransgenderFeminine);
        r.person.age = Some(15);
        r.person.citizenship = vec![Country::parse("NA").unwrap(), Country::parse("ZA").unwrap()];
        r.victim.registration = Some(YearSpan {
            from: 2005,
            to: 2013,
        });
        r.victim
            .exploitation
            .insert(ExploitationType::ForcedLabour, true);
        r.victim
            .exploitation
            .insert(ExploitationType::ForcedMarriage, false);
        r.events.push(TraffickingEvent {
            event_type: EventType::Recruitment,
            country: Country::parse("NA"),
            state: None,
            city: None,
            date: None,
            latitude: None,
            longitude: None,
        });
        r.events.push(TraffickingEvent {
            event_type: EventType::Exploitation,
            country: Country::parse("ZA"),
            state: None,
            city: None,
            date: None,
            latitude: None,
            longitude: None,
        });
        let f = Facts::of(&r);
        assert_eq!(f.gender, Some("TransgenderFeminine"));
        assert_eq!(f.age_band, Some("Age9To17"));
        assert_eq!(f.majority, Some(Majority::Minor.code()));
        assert_eq!(f.citizenship, Some("NA"));
        assert_eq!(f.country_of_exploitation, Some("ZA"));
        assert_eq!(
            (f.registration_from, f.registration_to),
            (Some(2005), Some(2013))
        );
        assert_eq!(f.forced_labour, Some(1));
        assert_eq!(f.sexual_exploitation, None);
        assert_eq!(f.other_exploitation, Some(0));
        r.victim
            .exploitation
            .insert(ExploitationType::OrganRemoval, true);
        assert_eq!(Facts::of(&r).other_exploitation, Some(1));
    }
}
