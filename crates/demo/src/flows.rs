//! Citizenship → country-of-exploitation flows.
//!
//! Two parts, mixed 60/40 for case-management records (82/18 for [`crate::FlowShape::LongTail`]):
//!
//! * a **head** of named corridors that dominate the published CTDC maps (UA→RU, PH→PH, KH→TH,
//!   MD→RU, ID→MY, MM→TH, NP→IN, BY→RU, ...), each tilted towards sexual or labour exploitation;
//! * a **tail** over ~135 countries of citizenship ranked by prominence, weighted
//!   Zipf–Mandelbrot style (`1 / (rank + 2)`): a share of each country's victims is exploited at
//!   home, some in a neighbour of the same UN M49 subregion (looked up in `keshvar`), the rest in
//!   a ranked list of destination countries. Namibia (`NA`) sits in this tail.
//!
//! Hotline records (mostly the US hotline) use their own, US-centred table.
//! Ranks and weights are fixed in code, so the shape is the same for every seed; the seed only
//! drives the draws.

use keshvar::{SubRegion, SUPPORTED_SUBREGION_LIST};

use crate::sampling::Categorical;

/// Which kind of exploitation a corridor is known for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tilt {
    Sexual,
    Labour,
    Neutral,
}

use Tilt::{Labour as L, Neutral as N, Sexual as S};

/// Named corridors `(citizenship, exploitation country, relative weight, tilt)`.
const HEAD: &[(&str, &str, f64, Tilt)] = &[
    ("UA", "RU", 7.0, L),
    ("PH", "PH", 6.0, S),
    ("MD", "RU", 3.0, L),
    ("KH", "TH", 3.0, L),
    ("US", "US", 2.5, S),
    ("MM", "TH", 2.5, L),
    ("ID", "MY", 2.5, L),
    ("UA", "UA", 2.0, N),
    ("BY", "RU", 1.5, L),
    ("NP", "IN", 1.5, S),
    ("ID", "ID", 1.5, N),
    ("MX", "US", 1.5, N),
    ("KH", "KH", 1.2, S),
    ("MD", "MD", 1.0, S),
    ("NP", "NP", 1.0, N),
    ("MX", "MX", 1.0, S),
    ("VN", "VN", 1.0, N),
    ("NG", "NG", 1.0, N),
    ("IN", "IN", 1.0, L),
    ("UZ", "RU", 1.0, L),
    ("LA", "TH", 1.0, S),
    ("HT", "HT", 0.8, N),
    ("GH", "GH", 0.8, L),
    ("BD", "BD", 0.8, L),
    ("NG", "IT", 0.8, S),
    ("VN", "CN", 0.8, S),
    ("ID", "SA", 0.8, L),
    ("PH", "MY", 0.8, L),
    ("RO", "RO", 0.6, S),
    ("TH", "TH", 0.6, N),
    ("MD", "TR", 0.6, S),
    ("UA", "PL", 0.6, L),
    ("ET", "SA", 0.6, L),
    ("BD", "IN", 0.6, S),
    ("MM", "CN", 0.6, S),
    ("PH", "SA", 0.6, L),
    ("KG", "RU", 0.5, L),
    ("RO", "GB", 0.5, L),
    ("KH", "MY", 0.5, L),
    ("UA", "TR", 0.5, S),
    ("KE", "KE", 0.5, N),
    ("UG", "UG", 0.5, N),
    ("AF", "IR", 0.4, L),
    ("ET", "LB", 0.4, L),
    ("KE", "SA", 0.4, L),
    ("ZW", "ZA", 0.4, N),
    ("BY", "PL", 0.3, L),
    ("GT", "MX", 0.3, N),
    ("UG", "AE", 0.3, L),
    ("HN", "MX", 0.2, N),
];

/// Countries of citizenship of the tail, most prominent first.
const ORIGINS: &[&str] = &[
    "PH", "UA", "MD", "ID", "KH", "US", "MM", "NP", "BY", "VN", "MX", "HT", "NG", "GH", "RO", "LA",
    "TH", "IN", "BD", "UZ", "KG", "ET", "KE", "UG", "AF", "CN", "GT", "HN", "SV", "BG", "AL", "RU",
    "TJ", "KZ", "LK", "PK", "SN", "ML", "BF", "CI", "CM", "CD", "ER", "SO", "SD", "MG", "ZW", "MZ",
    "MW", "ZA", "TZ", "CO", "BR", "PE", "BO", "PY", "DO", "VE", "EC", "JM", "TR", "EG", "MA", "TN",
    "DZ", "LB", "SY", "IQ", "IR", "GE", "AM", "AZ", "NA", "BW", "ZM", "AO", "SL", "LR", "GN", "GM",
    "BJ", "TG", "NE", "TD", "BI", "RW", "SS", "MN", "KP", "TL", "PG", "FJ", "SB", "VU", "HU", "SK",
    "CZ", "PL", "LT", "LV", "EE", "RS", "BA", "MK", "ME", "HR", "GR", "ES", "IT", "FR", "DE", "GB",
    "NL", "BE", "PT", "CU", "NI", "PA", "CR", "GY", "SR", "TT", "BZ", "YE", "JO", "PS", "TM", "MR",
    "LS", "SZ", "GA", "CG", "CF", "GW", "CV", "DJ", "KM",
];

/// Cross-border destinations of the tail, most frequent first.
const DESTINATIONS: &[&str] = &[
    "RU", "TH", "US", "MY", "SA", "AE", "TR", "DE", "IT", "GB", "FR", "ES", "NL", "BE", "PL", "CN",
    "IN", "KW", "QA", "LB", "JO", "IL", "JP", "KR", "ZA", "CZ", "GR", "CY", "OM", "BH", "SG", "TW",
    "HK", "CA", "AR", "CL", "BR", "MX", "KZ", "AT", "CH", "SE", "NO", "IE", "PT", "CI", "GH", "NG",
    "KE", "EG", "LY", "MA", "GA",
];

/// Hotline records: `(citizenship, exploitation country, relative weight)`.
const HOTLINE: &[(&str, &str, f64)] = &[
    ("US", "US", 55.0),
    ("MX", "US", 12.0),
    ("GT", "US", 3.0),
    ("HN", "US", 3.0),
    ("PH", "US", 3.0),
    ("CN", "US", 3.0),
    ("SV", "US", 2.0),
    ("IN", "US", 2.0),
    ("CA", "CA", 2.0),
    ("TH", "US", 1.0),
    ("KR", "US", 1.0),
    ("VN", "US", 1.0),
    ("CA", "US", 1.0),
    ("MX", "MX", 1.0),
    ("NG", "US", 0.5),
    ("US", "MX", 0.5),
    ("DO", "US", 0.5),
    ("JM", "US", 0.5),
    ("HT", "US", 0.5),
    ("CO", "US", 0.5),
    ("VE", "US", 0.5),
    ("GB", "US", 0.3),
    ("UA", "US", 0.3),
    ("RU", "US", 0.3),
];

/// Within the tail: share exploited in their own country.
const TAIL_DOMESTIC: f64 = 0.38;
/// Within the tail's cross-border flows: share going to a neighbour of the same subregion.
const TAIL_SAME_SUBREGION: f64 = 0.4;

/// One citizenship → exploitation-country pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flow {
    pub citizenship: &'static str,
    pub exploitation: &'static str,
    /// The exploitation country lies in South-eastern Asia (fishing and aquafarming boats).
    pub dest_south_east_asia: bool,
    /// The exploitation country lies in Western Asia (domestic work in the Gulf and Levant).
    pub dest_western_asia: bool,
    /// The exploitation country lies in Eastern Europe (construction in Russia and neighbours).
    pub dest_eastern_europe: bool,
}

/// Precomputed flow tables: one per tilt for case management, and the hotline table.
#[derive(Debug, Clone)]
pub(crate) struct FlowTables {
    flows: Vec<Flow>,
    /// Drawing tables over `flows` for sexual, labour and other exploitation.
    by_kind: [Categorical; 3],
    hotline: Vec<Flow>,
    hotline_table: Categorical,
}

/// Index in keshvar's list of UN M49 subregions.
fn subregion_of(code: &str) -> Option<SubRegion> {
    SUPPORTED_SUBREGION_LIST
        .iter()
        .copied()
        .find(|s| s.alpha2_list().contains(&code))
}

fn flow(citizenship: &'static str, exploitation: &'static str) -> Flow {
    let sub = subregion_of(exploitation);
    Flow {
        citizenship,
        exploitation,
        dest_south_east_asia: sub == Some(SubRegion::SouthEasternAsia),
        dest_western_asia: sub == Some(SubRegion::WesternAsia),
        dest_eastern_europe: sub == Some(SubRegion::EasternEurope),
    }
}

/// The tilt of a tail corridor, from where the victim was exploited.
fn tail_tilt(citizenship: &str, exploitation: &str) -> Tilt {
    if citizenship == exploitation {
        return N;
    }
    match subregion_of(exploitation) {
        Some(
            SubRegion::WesternAsia
            | SubRegion::EasternEurope
            | SubRegion::SouthEasternAsia
            | SubRegion::CentralAsia,
        ) => L,
        Some(
            SubRegion::WesternEurope
            | SubRegion::SouthernEurope
            | SubRegion::NorthernEurope
            | SubRegion::NorthernAmerica
            | SubRegion::EasternAsia,
        ) => S,
        _ => N,
    }
}

/// Multipliers applied to a corridor's weight for `[sexual, labour, other]` exploitation.
fn tilt_multipliers(t: Tilt) -> [f64; 3] {
    match t {
        S => [2.0, 0.5, 1.0],
        L => [0.5, 2.0, 1.0],
        N => [1.0, 1.0, 1.0],
    }
}

/// Which drawing table a kind of exploitation uses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FlowKind {
    Sexual = 0,
    Labour = 1,
    Other = 2,
}

impl FlowTables {
    /// Tables with `head_share` of case-management flows on the named corridors (the demo:
    /// 0.6; see [`crate::FlowShape`]).
    pub(crate) fn build(head_share: f64) -> Self {
        let mut flows = Vec::new();
        let mut weights: Vec<(f64, Tilt)> = Vec::new();

        let head_total: f64 = HEAD.iter().map(|h| h.2).sum();
        for &(c, e, w, t) in HEAD {
            flows.push(flow(c, e));
            weights.push((head_share * w / head_total, t));
        }

        // Zipf–Mandelbrot weights 1/(rank + 2): only a division, so platform independent.
        let rank_weight = |r: usize| 1.0 / (r as f64 + 2.0);
        let origin_total: f64 = (0..ORIGINS.len()).map(rank_weight).sum();
        let all_countries: Vec<&'static str> = {
            let mut v: Vec<&'static str> = ORIGINS.iter().chain(DESTINATIONS).copied().collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        for (r, &o) in ORIGINS.iter().enumerate() {
            let mass = (1.0 - head_share) * rank_weight(r) / origin_total;
            flows.push(flow(o, o));
            weights.push((mass * TAIL_DOMESTIC, N));

            let abroad = mass * (1.0 - TAIL_DOMESTIC);
            let sub = subregion_of(o);
            let neighbours: Vec<&'static str> = all_countries
                .iter()
                .copied()
                .filter(|&c| c != o && sub.is_some() && subregion_of(c) == sub)
                .collect();
            let far_share = if neighbours.is_empty() {
                1.0
            } else {
                1.0 - TAIL_SAME_SUBREGION
            };
            for &n in &neighbours {
                flows.push(flow(o, n));
                let w = abroad * TAIL_SAME_SUBREGION / neighbours.len() as f64;
                weights.push((w, tail_tilt(o, n)));
            }
            let dest_total: f64 = DESTINATIONS
                .iter()
                .enumerate()
                .filter(|(_, &d)| d != o)
                .map(|(r, _)| 1.0 / (r as f64 + 1.5))
                .sum();
            for (rd, &d) in DESTINATIONS.iter().enumerate().filter(|(_, &d)| d != o) {
                flows.push(flow(o, d));
                let w = abroad * far_share * (1.0 / (rd as f64 + 1.5)) / dest_total;
                weights.push((w, tail_tilt(o, d)));
            }
        }

        let by_kind = [0, 1, 2]
            .map(|k| Categorical::new(weights.iter().map(|&(w, t)| w * tilt_multipliers(t)[k])));
        let hotline: Vec<Flow> = HOTLINE.iter().map(|&(c, e, _)| flow(c, e)).collect();
        let hotline_table = Categorical::new(HOTLINE.iter().map(|h| h.2));
        FlowTables {
            flows,
            by_kind,
            hotline,
            hotline_table,
        }
    }

    pub(crate) fn sample<R: rand::RngCore>(
        &self,
        rng: &mut R,
        kind: FlowKind,
        hotline: bool,
    ) -> Flow {
        if hotline {
            self.hotline[self.hotline_table.sample(rng)]
        } else {
            self.flows[self.by_kind[kind as usize].sample(rng)]
        }
    }

    /// Every country code the tables can produce (for tests).
    #[cfg(test)]
    pub(crate) fn codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.flows
            .iter()
            .chain(&self.hotline)
            .flat_map(|f| [f.citizenship, f.exploitation])
    }

    /// Expected share of domestic flows among case-management flows of one kind (for tests).
    #[cfg(test)]
    pub(crate) fn domestic_share(&self, kind: FlowKind) -> f64 {
        let t = &self.by_kind[kind as usize];
        (0..self.flows.len())
            .filter(|&i| self.flows[i].citizenship == self.flows[i].exploitation)
            .map(|i| t.probability(i))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_an_iso_3166_alpha2_code() {
        let tables = FlowTables::build(crate::FlowShape::Demo.head_share());
        for code in tables.codes() {
            assert!(
                keshvar::Alpha2::try_from(code).is_ok(),
                "{code} is not ISO 3166-1 alpha-2"
            );
            assert_eq!(code, code.to_ascii_uppercase());
        }
        let distinct: std::collections::BTreeSet<_> = tables.codes().collect();
        assert!(distinct.len() >= 100, "only {} countries", distinct.len());
        assert!(distinct.contains("NA"), "Namibia must be in the tail");
    }

    #[test]
    fn lists_have_no_duplicates() {
        for list in [ORIGINS, DESTINATIONS] {
            let set: std::collections::BTreeSet<_> = list.iter().collect();
            assert_eq!(set.len(), list.len());
        }
    }

    #[test]
    fn domestic_flows_are_a_large_minority() {
        let tables = FlowTables::build(crate::FlowShape::Demo.head_share());
        for kind in [FlowKind::Other, FlowKind::Sexual, FlowKind::Labour] {
            let d = tables.domestic_share(kind);
            println!("{kind:?}: domestic {d:.3}");
            assert!((0.2..0.65).contains(&d), "{kind:?}: {d}");
        }
    }
}
