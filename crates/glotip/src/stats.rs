//! Country statistics over GLOTIP observations.
//!
//! # Which rows make a total (and how double counting is avoided)
//!
//! GLOTIP's long table repeats the same persons in four overlapping
//! breakdowns, and within the `Total` dimension once more by sex, by age and
//! by sex × age. A [`Cells`] value picks exactly one non-overlapping set of
//! rows, and every sum in this module is over one such set:
//!
//! | `Cells` | Dimension | Category | Sex | Age |
//! |---|---|---|---|---|
//! | `Total` | Total | Total | Total | Total |
//! | `SexAge` | Total | Total | Female, Male | 18 years or over, 0 to 17 years (women, girls, men, boys) |
//! | `Sex` | Total | Total | Female, Male, Other | Total |
//! | `Age` | Total | Total | Total | 18 years or over, 0 to 17 years |
//! | `Form` | by form of exploitation | the three forms | Total | Total |
//! | `Citizenship` | by citizenship | every category but a typed-in `TOTAL` | Total | Total |
//! | `Repatriation` | by country of repatriation | every category but a typed-in `TOTAL` | Total | Total |
//!
//! Only rows of countries enter ([`Area::Country`]): the unnamed aggregates
//! (`SAM`, `CAR`, ...) and named territories without an ISO code are left out.
//! Rows that repeat a key (GLOTIP's unnamed sub-forms of "Other forms of
//! exploitation", and a few doubled sex totals) are parts and are summed.
//!
//! # Censoring
//!
//! Sums are [`Bounds`]: `lo` counts `<5` as 0, `hi` as 4, and the number of
//! censored cells is carried. Shares give a point value on the midpoints and
//! the exact range the censored cells allow; changes likewise.
//!
//! # Constant reporting sets
//!
//! A trend compares years on the countries that report the selected cells in
//! *every* year of the range ([`Stats::constant_countries`]), as GLOTIP does
//! when it states a change "on the same countries".

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use cthub_standard::Country;

use crate::import::Glotip;
use crate::model::{Age, Area, Category, Dimension, Indicator, Observation, Sex, SexAge};
use crate::place::{Place, PlaceClass};
use crate::regions::GlotipRegion;
use crate::value::Bounds;

/// A non-overlapping set of rows within one dimension (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cells {
    /// Grand totals.
    Total,
    /// Women, girls, men, boys.
    SexAge,
    /// Female, male, other (age total).
    Sex,
    /// Adults and children (sex total).
    Age,
    /// Forms of exploitation (sex and age total).
    Form,
    /// Citizenship categories.
    Citizenship,
    /// Countries of repatriation.
    Repatriation,
}

impl Cells {
    /// True if the observation belongs to this set.
    pub fn matches(self, o: &Observation) -> bool {
        let tot = o.dimension == Dimension::Total && o.category == Category::Total;
        match self {
            Cells::Total => tot && o.sex == Sex::Total && o.age == Age::Total,
            Cells::SexAge => tot && o.sex_age().is_some(),
            Cells::Sex => {
                tot && o.age == Age::Total && matches!(o.sex, Sex::Female | Sex::Male | Sex::Other)
            }
            Cells::Age => tot && o.sex == Sex::Total && matches!(o.age, Age::Adult | Age::Child),
            Cells::Form => {
                o.dimension == Dimension::FormOfExploitation
                    && o.sex == Sex::Total
                    && o.age == Age::Total
            }
            Cells::Citizenship => {
                o.dimension == Dimension::Citizenship
                    && o.sex == Sex::Total
                    && o.age == Age::Total
                    && !matches!(&o.category, Category::Citizenship(p) if p.class == PlaceClass::TotalRow)
            }
            Cells::Repatriation => {
                o.dimension == Dimension::CountryOfRepatriation
                    && o.sex == Sex::Total
                    && o.age == Age::Total
                    && !matches!(&o.category, Category::Repatriation(p) if p.class == PlaceClass::TotalRow)
            }
        }
    }

    /// A sentence describing the rows, for stating the base of a share.
    pub fn describe(self) -> &'static str {
        match self {
            Cells::Total => "Dimension, Category, Sex and Age all Total",
            Cells::SexAge => {
                "Dimension Total; Sex Female/Male x Age 18 years or over/0 to 17 years"
            }
            Cells::Sex => "Dimension Total; Sex Female/Male/Other with Age Total",
            Cells::Age => "Dimension Total; Sex Total with Age 18 years or over/0 to 17 years",
            Cells::Form => "Dimension by form of exploitation; Sex and Age Total",
            Cells::Citizenship => "Dimension by citizenship (typed-in TOTAL rows excluded)",
            Cells::Repatriation => {
                "Dimension by country of repatriation (typed-in TOTAL rows excluded)"
            }
        }
    }
}

/// What to select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The indicator.
    pub indicator: Indicator,
    /// The set of cells.
    pub cells: Cells,
    /// Inclusive year range; `None` for all years.
    pub years: Option<(u16, u16)>,
    /// Restrict to these countries; `None` for all.
    pub countries: Option<BTreeSet<Country>>,
}

impl Selection {
    /// `cells` of `indicator`, all years, all countries.
    pub fn new(indicator: Indicator, cells: Cells) -> Selection {
        Selection {
            indicator,
            cells,
            years: None,
            countries: None,
        }
    }

    /// Restrict to one year.
    pub fn year(mut self, y: u16) -> Selection {
        self.years = Some((y, y));
        self
    }

    /// Restrict to a year range.
    pub fn years(mut self, from: u16, to: u16) -> Selection {
        self.years = Some((from, to));
        self
    }

    /// Restrict to a set of countries.
    pub fn countries(mut self, c: BTreeSet<Country>) -> Selection {
        self.countries = Some(c);
        self
    }

    fn matches(&self, o: &Observation, c: Country) -> bool {
        o.indicator == self.indicator
            && self.years.is_none_or(|(a, b)| (a..=b).contains(&o.year))
            && self.cells.matches(o)
            && self.countries.as_ref().is_none_or(|s| s.contains(&c))
    }
}

/// How to group a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum By {
    /// Reporting country (alpha-3).
    Country,
    /// UN M49 region as written in the file.
    M49Region,
    /// UN M49 subregion as written in the file.
    M49Subregion,
    /// GLOTIP report region of the reporting country.
    GlotipRegion,
    /// Year.
    Year,
    /// Women, girls, men, boys (with [`Cells::SexAge`]).
    SexAge,
    /// Sex (with [`Cells::Sex`]).
    Sex,
    /// Adults, children (with [`Cells::Age`]).
    Age,
    /// Form of exploitation (with [`Cells::Form`]).
    Form,
    /// Nationals, foreigners, unknown (with [`Cells::Citizenship`]).
    Nationality,
    /// GLOTIP report region of the citizenship, `domestic` for nationals (with [`Cells::Citizenship`]).
    OriginRegion,
    /// Citizenship country (alpha-3), or the category class (with [`Cells::Citizenship`]).
    Citizenship,
    /// Country of repatriation (alpha-3), or the category class (with [`Cells::Repatriation`]).
    Repatriation,
}

fn place_key(p: &Place) -> String {
    match p.class {
        PlaceClass::Country(c) => c.alpha3(),
        ref other => crate::import::class_name(other).to_string(),
    }
}

fn nationality(p: &Place, reporter: Country) -> &'static str {
    match p.class {
        PlaceClass::Country(c) if c == reporter => "nationals",
        PlaceClass::Nationals => "nationals",
        PlaceClass::Country(_)
        | PlaceClass::Foreigners
        | PlaceClass::Group
        | PlaceClass::Stateless
        | PlaceClass::Abroad => "foreigners",
        PlaceClass::Unknown | PlaceClass::Unresolved | PlaceClass::TotalRow => "unknown",
    }
}

impl By {
    fn key(self, o: &Observation, c: Country) -> String {
        match self {
            By::Country => c.alpha3(),
            By::M49Region => o.m49_region.clone(),
            By::M49Subregion => o.m49_subregion.clone(),
            By::GlotipRegion => region_name(GlotipRegion::of(c)),
            By::Year => o.year.to_string(),
            By::SexAge => o.sex_age().map_or("other", |s| s.name()).to_string(),
            By::Sex => o.sex.label().to_string(),
            By::Age => o.age.label().to_string(),
            By::Form => match &o.category {
                Category::Form(f) => f.label().to_string(),
                _ => "n/a".into(),
            },
            By::Nationality => match &o.category {
                Category::Citizenship(p) => nationality(p, c).to_string(),
                _ => "n/a".into(),
            },
            By::OriginRegion => match &o.category {
                Category::Citizenship(p) => match p.class {
                    PlaceClass::Nationals => "domestic".into(),
                    PlaceClass::Country(x) if x == c => "domestic".into(),
                    PlaceClass::Country(x) => region_name(GlotipRegion::of(x)),
                    ref other => crate::import::class_name(other).to_string(),
                },
                _ => "n/a".into(),
            },
            By::Citizenship => match &o.category {
                Category::Citizenship(p) => place_key(p),
                _ => "n/a".into(),
            },
            By::Repatriation => match &o.category {
                Category::Repatriation(p) => place_key(p),
                _ => "n/a".into(),
            },
        }
    }
}

fn region_name(r: Option<GlotipRegion>) -> String {
    r.map_or("no region", |r| r.name()).to_string()
}

/// One part of a share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// The group.
    pub key: String,
    /// Its sum.
    pub count: Bounds,
    /// Midpoint share (part midpoint / base midpoint), 0..=1.
    pub share: f64,
    /// Smallest share the censored cells allow (this part low, the rest high).
    pub min: f64,
    /// Largest share the censored cells allow.
    pub max: f64,
}

/// Shares with their base stated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shares {
    /// Which rows the base sums.
    pub base_rows: String,
    /// Indicator.
    pub indicator: Indicator,
    /// Years.
    pub years: Option<(u16, u16)>,
    /// The base: the sum of all parts.
    pub base: Bounds,
    /// Countries contributing to the base.
    pub countries: usize,
    /// The parts, by key.
    pub parts: Vec<Share>,
}

impl Shares {
    /// The share of a key (0 if absent).
    pub fn get(&self, key: &str) -> Option<&Share> {
        self.parts.iter().find(|p| p.key == key)
    }
}

/// Totals per year on a constant set of countries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The countries reporting in every year of the range (alpha-3).
    pub countries: Vec<String>,
    /// Per year, the sum over those countries.
    pub years: Vec<(u16, Bounds)>,
}

/// A relative change between two sums.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Midpoint change (to.mid / from.mid - 1).
    pub mid: f64,
    /// Smallest change the censored cells allow.
    pub min: f64,
    /// Largest change the censored cells allow.
    pub max: f64,
}

impl Change {
    /// The change from `from` to `to`; `None` if `from` may be 0.
    pub fn between(from: &Bounds, to: &Bounds) -> Option<Change> {
        if from.lo == 0 {
            return None;
        }
        Some(Change {
            mid: to.mid() / from.mid() - 1.0,
            min: to.lo as f64 / from.hi as f64 - 1.0,
            max: to.hi as f64 / from.lo as f64 - 1.0,
        })
    }
}

/// The query API over an imported file.
pub struct Stats<'a> {
    rows: Vec<(&'a Observation, Country)>,
}

impl<'a> Stats<'a> {
    /// Statistics over the country rows of an import.
    pub fn new(g: &'a Glotip) -> Stats<'a> {
        Stats::from_observations(&g.observations)
    }

    /// Statistics over the country rows of any observations.
    pub fn from_observations(obs: &'a [Observation]) -> Stats<'a> {
        let rows = obs
            .iter()
            .filter_map(|o| match o.area {
                Area::Country(c) => Some((o, c)),
                _ => None,
            })
            .collect();
        Stats { rows }
    }

    /// The indicators present, with their row counts.
    pub fn indicators(&self) -> BTreeMap<Indicator, u64> {
        let mut m = BTreeMap::new();
        for (o, _) in &self.rows {
            *m.entry(o.indicator).or_default() += 1;
        }
        m
    }

    /// The rows a selection picks.
    pub fn select<'s>(
        &'s self,
        sel: &'s Selection,
    ) -> impl Iterator<Item = (&'a Observation, Country)> + 's {
        self.rows
            .iter()
            .filter(move |(o, c)| sel.matches(o, *c))
            .copied()
    }

    /// The sum of a selection.
    pub fn sum(&self, sel: &Selection) -> Bounds {
        self.select(sel).map(|(o, _)| o.value).collect()
    }

    /// The sum of a selection by group.
    pub fn group(&self, sel: &Selection, by: By) -> BTreeMap<String, Bounds> {
        let mut m: BTreeMap<String, Bounds> = BTreeMap::new();
        for (o, c) in self.select(sel) {
            m.entry(by.key(o, c)).or_default().add(o.value);
        }
        m
    }

    /// Countries with at least one selected row.
    pub fn reporting(&self, sel: &Selection) -> BTreeSet<Country> {
        self.select(sel).map(|(_, c)| c).collect()
    }

    /// Countries with selected rows in every year of `from..=to`.
    pub fn constant_countries(&self, sel: &Selection, from: u16, to: u16) -> BTreeSet<Country> {
        let mut by_year: BTreeMap<u16, BTreeSet<Country>> = BTreeMap::new();
        let s = Selection {
            years: Some((from, to)),
            ..sel.clone()
        };
        for (o, c) in self.select(&s) {
            by_year.entry(o.year).or_default().insert(c);
        }
        let mut it = (from..=to).map(|y| by_year.remove(&y).unwrap_or_default());
        let first = it.next().unwrap_or_default();
        it.fold(first, |acc, s| acc.intersection(&s).copied().collect())
    }

    /// Per-year sums over the countries reporting in every year of `from..=to`.
    pub fn trend(&self, sel: &Selection, from: u16, to: u16) -> Trend {
        let set = self.constant_countries(sel, from, to);
        let s = Selection {
            years: Some((from, to)),
            countries: Some(set.clone()),
            ..sel.clone()
        };
        let g = self.group(&s, By::Year);
        Trend {
            countries: set.iter().map(|c| c.alpha3()).collect(),
            years: (from..=to)
                .map(|y| (y, g.get(&y.to_string()).copied().unwrap_or_default()))
                .collect(),
        }
    }

    /// Shares of the groups of a selection; the base is the sum of all groups.
    pub fn shares(&self, sel: &Selection, by: By) -> Shares {
        let groups = self.group(sel, by);
        let mut base = Bounds::ZERO;
        for b in groups.values() {
            base.merge(b);
        }
        let parts = groups
            .into_iter()
            .map(|(key, count)| {
                let rest_lo = base.lo - count.lo;
                let rest_hi = base.hi - count.hi;
                let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
                Share {
                    share: ratio(count.mid(), base.mid()),
                    min: ratio(count.lo as f64, (count.lo + rest_hi) as f64),
                    max: ratio(count.hi as f64, (count.hi + rest_lo) as f64),
                    key,
                    count,
                }
            })
            .collect();
        Shares {
            base_rows: sel.cells.describe().to_string(),
            indicator: sel.indicator,
            years: sel.years,
            base,
            countries: self.reporting(sel).len(),
            parts,
        }
    }

    /// Women, girls, men and boys: shares on the sex × age cells.
    pub fn sex_age_shares(&self, indicator: Indicator, year: u16) -> Shares {
        self.shares(
            &Selection::new(indicator, Cells::SexAge).year(year),
            By::SexAge,
        )
    }

    /// The share of children (girls + boys) on the sex × age cells.
    pub fn child_share(&self, indicator: Indicator, year: u16) -> Option<Share> {
        let s = self.sex_age_shares(indicator, year);
        let g = s.get(SexAge::Girls.name())?;
        let b = s.get(SexAge::Boys.name())?;
        let mut count = g.count;
        count.merge(&b.count);
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let rest_lo = s.base.lo - count.lo;
        let rest_hi = s.base.hi - count.hi;
        Some(Share {
            key: "children".into(),
            share: ratio(count.mid(), s.base.mid()),
            min: ratio(count.lo as f64, (count.lo + rest_hi) as f64),
            max: ratio(count.hi as f64, (count.hi + rest_lo) as f64),
            count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::import_csv;
    use proptest::prelude::*;

    const HEADER: &str = "Iso3_code,Country,Region,Subregion,Indicator,Dimension,Category,Sex,Age,Year,Unit of measurement,txtVALUE,Source";

    #[allow(clippy::too_many_arguments)]
    fn row(
        iso: &str,
        name: &str,
        dim: &str,
        cat: &str,
        sex: &str,
        age: &str,
        year: u16,
        v: &str,
    ) -> String {
        format!("{iso},{name},R,S,Detected trafficking victims,{dim},\"{cat}\",{sex},{age},{year},Counts,\"{v}\",GLOTIP")
    }

    fn fixture() -> Glotip {
        let mut lines = vec![HEADER.to_string()];
        let t = |iso, name, y, v| row(iso, name, "Total", "Total", "Total", "Total", y, v);
        lines.push(t("FRA", "France", 2019, "100"));
        lines.push(t("FRA", "France", 2020, "80"));
        lines.push(t("DEU", "Germany", 2019, "<5"));
        lines.push(t("DEU", "Germany", 2020, "1,000"));
        lines.push(t("USA", "United States of America", 2020, "500")); // 2020 only
        lines.push(t("SAM", "", 2020, "9999")); // aggregate: never summed
        for (sex, age, v) in [
            ("Female", "18 years or over", "40"),
            ("Female", "0 to 17 years", "<5"),
            ("Male", "18 years or over", "30"),
            ("Male", "0 to 17 years", "10"),
            ("Total", "18 years or over", "70"), // overlaps the cells above
            ("Female", "Total", "44"),
        ] {
            lines.push(row("FRA", "France", "Total", "Total", sex, age, 2020, v));
        }
        for (cat, v) in [
            ("Nationals", "50"),
            ("Romania", "20"),
            ("FRANCE", "5"),
            ("TOTAL", "75"),
            ("Unknown", "<5"),
        ] {
            lines.push(row(
                "FRA",
                "France",
                "by citizenship",
                cat,
                "Total",
                "Total",
                2020,
                v,
            ));
        }
        for (cat, v) in [
            ("Sexual exploitation", "50"),
            ("Other forms of exploitation", "<5"),
            ("Other forms of exploitation", "7"),
        ] {
            lines.push(row(
                "FRA",
                "France",
                "by form of exploitation",
                cat,
                "Total",
                "Total",
                2020,
                v,
            ));
        }
        import_csv("fixture.csv", lines.join("\n").as_bytes()).unwrap()
    }

    #[test]
    fn totals_exclude_aggregates_and_other_dimensions() {
        let g = fixture();
        assert!(g.accounting.balanced());
        let s = Stats::new(&g);
        let b = s.sum(&Selection::new(Indicator::DetectedVictims, Cells::Total).year(2020));
        assert_eq!((b.lo, b.hi, b.censored_cells), (1580, 1580, 0));
        let b = s.sum(&Selection::new(Indicator::DetectedVictims, Cells::Total).year(2019));
        assert_eq!((b.lo, b.hi, b.censored_cells), (100, 104, 1));
    }

    #[test]
    fn trend_uses_the_constant_reporting_set() {
        let g = fixture();
        let s = Stats::new(&g);
        let t = s.trend(
            &Selection::new(Indicator::DetectedVictims, Cells::Total),
            2019,
            2020,
        );
        assert_eq!(t.countries, vec!["DEU", "FRA"]);
        assert_eq!(t.years[1].1.lo, 1080, "USA (2020 only) left out");
        let ch = Change::between(&t.years[0].1, &t.years[1].1);
        assert!(ch.is_some());
        assert!(Change::between(&Bounds::ZERO, &t.years[1].1).is_none());
    }

    #[test]
    fn sex_age_shares_state_their_base() {
        let g = fixture();
        let s = Stats::new(&g);
        let sh = s.sex_age_shares(Indicator::DetectedVictims, 2020);
        assert_eq!(
            (sh.base.lo, sh.base.hi),
            (80, 84),
            "only the four cells, not the age/sex totals"
        );
        assert_eq!(sh.countries, 1);
        let girls = sh.get("girls").unwrap();
        assert_eq!(girls.min, 0.0);
        assert!((girls.max - 4.0 / 84.0).abs() < 1e-12);
        assert!(girls.min <= girls.share && girls.share <= girls.max);
        let kids = s.child_share(Indicator::DetectedVictims, 2020).unwrap();
        assert_eq!((kids.count.lo, kids.count.hi), (10, 14));
    }

    #[test]
    fn citizenship_and_forms_sum_within_their_dimension() {
        let g = fixture();
        let s = Stats::new(&g);
        let sel = Selection::new(Indicator::DetectedVictims, Cells::Citizenship);
        let n = s.group(&sel, By::Nationality);
        assert_eq!(n["nationals"].lo, 55, "Nationals + own country by name");
        assert_eq!(n["foreigners"].lo, 20);
        assert_eq!(n["unknown"].hi, 4);
        assert_eq!(s.sum(&sel).lo, 75, "the typed-in TOTAL is not added");
        let o = s.group(&sel, By::OriginRegion);
        assert_eq!(o["Central and South-Eastern Europe"].lo, 20);
        assert_eq!(o["domestic"].lo, 55);
        let f = s.group(
            &Selection::new(Indicator::DetectedVictims, Cells::Form),
            By::Form,
        );
        assert_eq!(
            (
                f["Other forms of exploitation"].lo,
                f["Other forms of exploitation"].hi
            ),
            (7, 11)
        );
    }

    proptest! {
        #[test]
        fn shares_bounds_contain_the_point(vals in proptest::collection::vec(prop_oneof![(0u64..500).prop_map(|v| v.to_string()), Just("<5".to_string())], 4)) {
            let mut lines = vec![HEADER.to_string()];
            for ((sex, age), v) in [("Female", "18 years or over"), ("Female", "0 to 17 years"), ("Male", "18 years or over"), ("Male", "0 to 17 years")].iter().zip(&vals) {
                lines.push(row("FRA", "France", "Total", "Total", sex, age, 2020, v));
            }
            let g = import_csv("p.csv", lines.join("\n").as_bytes()).unwrap();
            let s = Stats::new(&g);
            let sh = s.sex_age_shares(Indicator::DetectedVictims, 2020);
            let mut total = 0.0;
            for p in &sh.parts {
                prop_assert!(p.min <= p.share + 1e-12 && p.share <= p.max + 1e-12);
                prop_assert!(p.count.lo <= p.count.hi);
                total += p.share;
            }
            if sh.base.hi > 0 { prop_assert!((total - 1.0).abs() < 1e-9); }
        }
    }
}
