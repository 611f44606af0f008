//! Countries (ISO 3166-1) and UN M49 regions, from the maintained `keshvar` crate.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::vocab::UnRegion;

/// A country, identified by its ISO 3166-1 alpha-2 code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country {
    a2: [u8; 2],
}

impl Country {
    /// Parse an alpha-2 (`NA` is Namibia), alpha-3 or numeric code, or an ISO short name.
    /// CTDC's `00` ("unknown country") is not a country: it returns `None`.
    pub fn parse(s: &str) -> Option<Country> {
        let t = s.trim();
        match t.len() {
            0 => None,
            2 => {
                let a = keshvar::Alpha2::try_from(t).ok()?;
                let up = t.as_bytes();
                debug_assert_eq!(a.to_string().to_ascii_uppercase(), t.to_ascii_uppercase());
                Some(Country {
                    a2: [up[0].to_ascii_uppercase(), up[1].to_ascii_uppercase()],
                })
            }
            3 if t.bytes().all(|b| b.is_ascii_digit()) => t
                .parse::<usize>()
                .ok()
                .and_then(|n| keshvar::find_by_number(n).ok())
                .map(|c| Country::from_keshvar(&c)),
            3 => keshvar::Alpha3::try_from(t)
                .ok()
                .map(|a| Country::from_keshvar(&a.to_country())),
            _ => keshvar::find_by_iso_short_name(t)
                .ok()
                .map(|c| Country::from_keshvar(&c)),
        }
    }

    fn from_keshvar(c: &keshvar::Country) -> Country {
        let s = c.alpha2().to_string();
        let b = s.as_bytes();
        Country { a2: [b[0], b[1]] }
    }

    fn keshvar(self) -> keshvar::Country {
        keshvar::Alpha2::try_from(self.alpha2())
            .expect("a Country always holds a valid alpha-2 code")
            .to_country()
    }

    /// ISO 3166-1 alpha-2 code (`NA` for Namibia).
    pub fn alpha2(&self) -> &str {
        std::str::from_utf8(&self.a2).expect("ASCII")
    }

    /// ISO 3166-1 alpha-3 code.
    pub fn alpha3(self) -> String {
        self.keshvar().alpha3().to_string()
    }

    /// ISO short name, e.g. "Namibia".
    pub fn name(self) -> &'static str {
        self.keshvar().iso_short_name()
    }

    /// UN M49 numeric code, e.g. "516" for Namibia.
    pub fn m49(self) -> &'static str {
        self.keshvar().number()
    }

    /// UN M49 region (Africa, Americas, Asia, Europe, Oceania).
    pub fn region(self) -> Option<UnRegion> {
        use keshvar::Region as R;
        match self.keshvar().maybe_region()? {
            R::Africa => Some(UnRegion::Africa),
            R::Americas => Some(UnRegion::Americas),
            R::Asia => Some(UnRegion::Asia),
            R::Europe => Some(UnRegion::Europe),
            R::Oceania => Some(UnRegion::Oceania),
            R::Antarctica => None,
        }
    }

    /// UN M49 sub-region name, e.g. "sub-saharan-africa"... as keshvar names it.
    pub fn subregion(self) -> Option<String> {
        self.keshvar().maybe_subregion().map(|s| s.to_string())
    }

    /// All countries known to the crate, in alpha-2 order.
    pub fn all() -> Vec<Country> {
        let mut v: Vec<Country> = keshvar::CountryIterator::new()
            .map(|c| Country::from_keshvar(&c))
            .collect();
        v.sort();
        v
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.alpha2())
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.alpha2())
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.alpha2())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Country::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown country {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namibia_is_a_country_and_00_is_not() {
        let na = Country::parse("NA").unwrap();
        assert_eq!(na.alpha3(), "NAM");
        assert_eq!(na.name(), "Namibia");
        assert_eq!(na.region(), Some(UnRegion::Africa));
        assert_eq!(Country::parse("00"), None);
        assert_eq!(Country::parse("-99"), None);
    }

    #[test]
    fn alpha2_alpha3_numeric_and_names_agree() {
        for c in Country::all() {
            assert_eq!(Country::parse(c.alpha2()), Some(c));
            assert_eq!(Country::parse(&c.alpha3()), Some(c));
            assert_eq!(Country::parse(c.m49()), Some(c), "{}", c.alpha2());
        }
        assert_eq!(Country::parse("ukr").unwrap().alpha2(), "UA");
        assert_eq!(Country::parse("Philippines").unwrap().alpha2(), "PH");
        assert_eq!(
            Country::parse("United States of America").unwrap().alpha2(),
            "US"
        );
        assert!(Country::all().len() >= 249);
    }

    #[test]
    fn serde_round_trip() {
        let c = Country::parse("MD").unwrap();
        let j = serde_json::to_string(&c).unwrap();
        assert_eq!(j, "\"MD\"");
        assert_eq!(serde_json::from_str::<Country>(&j).unwrap(), c);
    }
}
