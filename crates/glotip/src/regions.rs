//! GLOTIP's report regions, as opposed to UN M49 regions.
//!
//! The `Region`/`Subregion` columns of the data file are UN M49 (5 regions, 17
//! subregions). GLOTIP's reports group countries differently. This module maps
//! a country to the region it is reported under in the **UNODC Global Report
//! on Trafficking in Persons 2022** (United Nations publication, Sales No.
//! E.23.IV.1): the ten regions of its regional chapters and of its map
//! "Regional and subregional designations used in this report".
//!
//! How the mapping is built (so it can be maintained): start from the UN M49
//! subregion of the country (from `cthub_standard::Country`, i.e. the maintained
//! `keshvar` data), then apply the report's departures from M49, listed
//! country by country in [`OVERRIDES`]:
//! - North America is Canada, the United States **and Mexico** (the M49
//!   Northern America territories, e.g. Bermuda, stay with it);
//! - the Baltic states, the Balkans, Bulgaria, Czechia, Hungary, Poland,
//!   Romania, Slovakia and Türkiye form *Central and South-Eastern Europe*;
//! - Belarus, the Republic of Moldova, the Russian Federation, Ukraine, the
//!   Caucasus (Armenia, Azerbaijan, Georgia) and Central Asia form *Eastern
//!   Europe and Central Asia*;
//! - Cyprus is in *Western and Southern Europe*; Israel and the rest of
//!   Western Asia are in *North Africa and the Middle East*, with Sudan;
//! - the Islamic Republic of Iran is in *South Asia* (as in M49 Southern Asia).
//!
//! Reconstructed from the report's chapters, not from a machine-readable UNODC
//! table: the departures above are the ones to re-check against the annex of
//! each new report. Countries of no M49 subregion (Antarctica) map to `None`.

use serde::{Deserialize, Serialize};

use cthub_standard::Country;

/// The ten regions of the GLOTIP 2022 report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GlotipRegion {
    /// Canada, Mexico, United States.
    NorthAmerica,
    /// Central America (without Mexico) and the Caribbean.
    CentralAmericaCaribbean,
    /// South America.
    SouthAmerica,
    /// Western and Southern Europe.
    WesternSouthernEurope,
    /// Central and South-Eastern Europe.
    CentralSouthEasternEurope,
    /// Eastern Europe and Central Asia.
    EasternEuropeCentralAsia,
    /// North Africa and the Middle East.
    NorthAfricaMiddleEast,
    /// Sub-Saharan Africa.
    SubSaharanAfrica,
    /// South Asia.
    SouthAsia,
    /// East Asia and the Pacific.
    EastAsiaPacific,
}

impl GlotipRegion {
    /// All ten, in the report's order.
    pub const ALL: [GlotipRegion; 10] = [
        GlotipRegion::NorthAmerica,
        GlotipRegion::CentralAmericaCaribbean,
        GlotipRegion::SouthAmerica,
        GlotipRegion::WesternSouthernEurope,
        GlotipRegion::CentralSouthEasternEurope,
        GlotipRegion::EasternEuropeCentralAsia,
        GlotipRegion::NorthAfricaMiddleEast,
        GlotipRegion::SubSaharanAfrica,
        GlotipRegion::SouthAsia,
        GlotipRegion::EastAsiaPacific,
    ];

    /// The report's name of the region.
    pub fn name(self) -> &'static str {
        match self {
            GlotipRegion::NorthAmerica => "North America",
            GlotipRegion::CentralAmericaCaribbean => "Central America and the Caribbean",
            GlotipRegion::SouthAmerica => "South America",
            GlotipRegion::WesternSouthernEurope => "Western and Southern Europe",
            GlotipRegion::CentralSouthEasternEurope => "Central and South-Eastern Europe",
            GlotipRegion::EasternEuropeCentralAsia => "Eastern Europe and Central Asia",
            GlotipRegion::NorthAfricaMiddleEast => "North Africa and the Middle East",
            GlotipRegion::SubSaharanAfrica => "Sub-Saharan Africa",
            GlotipRegion::SouthAsia => "South Asia",
            GlotipRegion::EastAsiaPacific => "East Asia and the Pacific",
        }
    }

    /// The GLOTIP report region of a country.
    pub fn of(country: Country) -> Option<GlotipRegion> {
        if let Some((_, r)) = OVERRIDES.iter().find(|(a2, _)| *a2 == country.alpha2()) {
            return Some(*r);
        }
        let sub = country.subregion()?;
        by_m49_subregion(&sub)
    }
}

impl std::fmt::Display for GlotipRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

use GlotipRegion as G;

/// Countries the report places outside the region their M49 subregion gives.
pub const OVERRIDES: &[(&str, GlotipRegion)] = &[
    ("MX", G::NorthAmerica),
    // Central and South-Eastern Europe
    ("AL", G::CentralSouthEasternEurope),
    ("BA", G::CentralSouthEasternEurope),
    ("BG", G::CentralSouthEasternEurope),
    ("CZ", G::CentralSouthEasternEurope),
    ("EE", G::CentralSouthEasternEurope),
    ("HR", G::CentralSouthEasternEurope),
    ("HU", G::CentralSouthEasternEurope),
    ("LT", G::CentralSouthEasternEurope),
    ("LV", G::CentralSouthEasternEurope),
    ("ME", G::CentralSouthEasternEurope),
    ("MK", G::CentralSouthEasternEurope),
    ("PL", G::CentralSouthEasternEurope),
    ("RO", G::CentralSouthEasternEurope),
    ("RS", G::CentralSouthEasternEurope),
    ("SI", G::CentralSouthEasternEurope),
    ("SK", G::CentralSouthEasternEurope),
    ("TR", G::CentralSouthEasternEurope),
    // Eastern Europe and Central Asia (Central Asia follows from M49)
    ("BY", G::EasternEuropeCentralAsia),
    ("MD", G::EasternEuropeCentralAsia),
    ("RU", G::EasternEuropeCentralAsia),
    ("UA", G::EasternEuropeCentralAsia),
    ("AM", G::EasternEuropeCentralAsia),
    ("AZ", G::EasternEuropeCentralAsia),
    ("GE", G::EasternEuropeCentralAsia),
    // Western and Southern Europe
    ("CY", G::WesternSouthernEurope),
    // North Africa and the Middle East
    ("SD", G::NorthAfricaMiddleEast),
    // Sub-Saharan Africa (keshvar's M49 data lists South Sudan under Northern Africa)
    ("SS", G::SubSaharanAfrica),
];

fn by_m49_subregion(sub: &str) -> Option<GlotipRegion> {
    Some(match sub {
        "northern-america" => G::NorthAmerica,
        "central-america" | "caribbean" => G::CentralAmericaCaribbean,
        "south-america" => G::SouthAmerica,
        "western-europe" | "northern-europe" | "southern-europe" => G::WesternSouthernEurope,
        "eastern-europe" => G::CentralSouthEasternEurope,
        "central-asia" => G::EasternEuropeCentralAsia,
        "northern-africa" | "western-asia" => G::NorthAfricaMiddleEast,
        "eastern-africa" | "middle-africa" | "southern-africa" | "western-africa" => {
            G::SubSaharanAfrica
        }
        "southern-asia" => G::SouthAsia,
        "eastern-asia"
        | "south-eastern-asia"
        | "australia-and-new-zealand"
        | "melanesia"
        | "micronesia"
        | "polynesia" => G::EastAsiaPacific,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(a: &str) -> Option<GlotipRegion> {
        GlotipRegion::of(Country::parse(a).unwrap())
    }

    #[test]
    fn report_regions_of_key_countries() {
        assert_eq!(r("USA"), Some(G::NorthAmerica));
        assert_eq!(r("CAN"), Some(G::NorthAmerica));
        assert_eq!(r("MEX"), Some(G::NorthAmerica));
        assert_eq!(r("GTM"), Some(G::CentralAmericaCaribbean));
        assert_eq!(r("DOM"), Some(G::CentralAmericaCaribbean));
        assert_eq!(r("ARG"), Some(G::SouthAmerica));
        assert_eq!(r("GBR"), Some(G::WesternSouthernEurope));
        assert_eq!(r("ESP"), Some(G::WesternSouthernEurope));
        assert_eq!(r("CYP"), Some(G::WesternSouthernEurope));
        assert_eq!(r("ROU"), Some(G::CentralSouthEasternEurope));
        assert_eq!(r("LVA"), Some(G::CentralSouthEasternEurope));
        assert_eq!(r("SRB"), Some(G::CentralSouthEasternEurope));
        assert_eq!(r("TUR"), Some(G::CentralSouthEasternEurope));
        assert_eq!(r("UKR"), Some(G::EasternEuropeCentralAsia));
        assert_eq!(r("GEO"), Some(G::EasternEuropeCentralAsia));
        assert_eq!(r("UZB"), Some(G::EasternEuropeCentralAsia));
        assert_eq!(r("EGY"), Some(G::NorthAfricaMiddleEast));
        assert_eq!(r("SAU"), Some(G::NorthAfricaMiddleEast));
        assert_eq!(r("ISR"), Some(G::NorthAfricaMiddleEast));
        assert_eq!(r("SDN"), Some(G::NorthAfricaMiddleEast));
        assert_eq!(r("NGA"), Some(G::SubSaharanAfrica));
        assert_eq!(r("ZAF"), Some(G::SubSaharanAfrica));
        assert_eq!(r("SSD"), Some(G::SubSaharanAfrica));
        assert_eq!(r("IND"), Some(G::SouthAsia));
        assert_eq!(r("IRN"), Some(G::SouthAsia));
        assert_eq!(r("PHL"), Some(G::EastAsiaPacific));
        assert_eq!(r("AUS"), Some(G::EastAsiaPacific));
        assert_eq!(r("FJI"), Some(G::EastAsiaPacific));
    }

    #[test]
    fn every_un_member_has_a_region_and_every_region_has_members() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Country::all() {
            if c.alpha2() == "AQ" {
                continue;
            }
            if let Some(reg) = GlotipRegion::of(c) {
                seen.insert(reg);
            } else {
                assert!(
                    c.subregion().is_none(),
                    "{} has a subregion but no region",
                    c.alpha2()
                );
            }
        }
        assert_eq!(seen.len(), GlotipRegion::ALL.len());
        for (a2, _) in OVERRIDES {
            assert!(Country::parse(a2).is_some(), "{a2}");
        }
    }
}
