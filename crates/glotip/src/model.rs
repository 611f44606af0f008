//! The typed observation model of one GLOTIP row.
//!
//! A row of the file is one count for one reporting area, one year and one cell
//! of the four overlapping breakdowns. The breakdowns are kept apart exactly as
//! GLOTIP publishes them: [`Indicator`] × [`Dimension`] × [`Category`] × [`Sex`]
//! × [`Age`]. Sums are only meaningful *within* one dimension (see
//! [`crate::stats`]); the `Total` dimension carries the totals and the sex/age
//! breakdown.

use serde::{Deserialize, Serialize};

use cthub_standard::Country;

use crate::place::Place;
use crate::value::Value;

macro_rules! labelled {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident => $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The label as written in the GLOTIP file.
            pub fn label(self) -> &'static str {
                match self { $($name::$var => $label),+ }
            }

            /// Parse the file's label (case and surrounding whitespace ignored).
            pub fn parse(s: &str) -> Option<$name> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($label) { return Some($name::$var); })+
                None
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

labelled! {
    /// GLOTIP's `Indicator` column (the five values of the 2023-05-30 release).
    Indicator {
        /// Detected victims of trafficking.
        DetectedVictims => "Detected trafficking victims",
        /// Persons brought into formal contact with the police (suspected, arrested, cautioned).
        FormalContact => "Persons brought into formal contact",
        /// Persons prosecuted.
        Prosecuted => "Persons prosecuted",
        /// Persons convicted.
        Convicted => "Persons convicted",
        /// Offences of trafficking in persons recorded.
        Offences => "Offences of trafficking in persons",
    }
}

labelled! {
    /// GLOTIP's `Dimension` column: which breakdown the `Category` belongs to.
    Dimension {
        /// Totals, and the sex × age breakdown.
        Total => "Total",
        /// By form of exploitation.
        FormOfExploitation => "by form of exploitation",
        /// By citizenship of the victim or person convicted.
        Citizenship => "by citizenship",
        /// By country of repatriation of the victim.
        CountryOfRepatriation => "by country of repatriation",
    }
}

labelled! {
    /// GLOTIP's `Sex` column.
    Sex {
        /// All sexes.
        Total => "Total",
        /// Female.
        Female => "Female",
        /// Male.
        Male => "Male",
        /// Other.
        Other => "Other",
        /// Not known.
        Unknown => "Unknown",
    }
}

labelled! {
    /// GLOTIP's `Age` column.
    Age {
        /// All ages.
        Total => "Total",
        /// Adults.
        Adult => "18 years or over",
        /// Children.
        Child => "0 to 17 years",
        /// Not known.
        Unknown => "Unknown",
    }
}

labelled! {
    /// The three forms of exploitation GLOTIP names under `by form of exploitation`.
    Form {
        /// Trafficking for sexual exploitation.
        Sexual => "Sexual exploitation",
        /// Trafficking for forced labour.
        ForcedLabour => "Forced labour",
        /// Other forms (several unnamed sub-forms per country-year, summed).
        Other => "Other forms of exploitation",
    }
}

/// Women, girls, men and boys: the sex × age cells GLOTIP's reports chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SexAge {
    /// Female, 18 or over.
    Women,
    /// Female, 0 to 17.
    Girls,
    /// Male, 18 or over.
    Men,
    /// Male, 0 to 17.
    Boys,
}

impl SexAge {
    /// All four, in GLOTIP's order.
    pub const ALL: [SexAge; 4] = [SexAge::Women, SexAge::Girls, SexAge::Men, SexAge::Boys];

    /// The cell of a sex and an age, if it is one of the four.
    pub fn of(sex: Sex, age: Age) -> Option<SexAge> {
        match (sex, age) {
            (Sex::Female, Age::Adult) => Some(SexAge::Women),
            (Sex::Female, Age::Child) => Some(SexAge::Girls),
            (Sex::Male, Age::Adult) => Some(SexAge::Men),
            (Sex::Male, Age::Child) => Some(SexAge::Boys),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            SexAge::Women => "women",
            SexAge::Girls => "girls",
            SexAge::Men => "men",
            SexAge::Boys => "boys",
        }
    }
}

/// The `Category` of a row, typed by its dimension.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Category {
    /// `Total` (the only category of the `Total` dimension).
    Total,
    /// A form of exploitation.
    Form(Form),
    /// A citizenship (free text, cleaned).
    Citizenship(Place),
    /// A country of repatriation (free text, cleaned).
    Repatriation(Place),
}

/// Who reported the row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Area {
    /// A country or territory with an ISO 3166-1 code.
    Country(Country),
    /// An unnamed aggregate (`SAM`, `SAF`, `CAR`, `CAS`, `EEU`, `MCA`, `MCN`,
    /// `Aruba/Curacao`): a code with no `Country`. Never summed with countries.
    Aggregate {
        /// The `Iso3_code` cell as written.
        code: String,
    },
    /// A named reporting territory without an ISO code (`Sark`). Kept, but not a country.
    Territory {
        /// The `Country` cell as written.
        name: String,
    },
}

impl Area {
    /// The country, if the area is one.
    pub fn country(&self) -> Option<Country> {
        match self {
            Area::Country(c) => Some(*c),
            _ => None,
        }
    }

    /// True for the unnamed aggregates.
    pub fn is_aggregate(&self) -> bool {
        matches!(self, Area::Aggregate { .. })
    }
}

/// One row of the GLOTIP file, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Row (XLSX sheet row) or line (CSV) number in the source file.
    pub row: u64,
    /// The reporting area.
    pub area: Area,
    /// `Iso3_code` as written.
    pub iso3: String,
    /// `Country` as written (empty for aggregates).
    pub area_name: String,
    /// `Region` as written (UN M49 region; empty for aggregates).
    pub m49_region: String,
    /// `Subregion` as written (UN M49 subregion, GLOTIP's spelling).
    pub m49_subregion: String,
    /// What is counted.
    pub indicator: Indicator,
    /// Which breakdown.
    pub dimension: Dimension,
    /// The cell of the breakdown.
    pub category: Category,
    /// Sex.
    pub sex: Sex,
    /// Age.
    pub age: Age,
    /// Data year.
    pub year: u16,
    /// The count.
    pub value: Value,
    /// 1 for the first row with this (area, indicator, dimension, category text,
    /// sex, age, year) key, 2 for the second, ... GLOTIP repeats keys for the
    /// unnamed sub-forms of "Other forms of exploitation" and for a few sex
    /// totals; repeated rows are parts and are summed.
    pub occurrence: u32,
}

impl Observation {
    /// The sex × age cell, if the row is one of women, girls, men, boys.
    pub fn sex_age(&self) -> Option<SexAge> {
        SexAge::of(self.sex, self.age)
    }

    /// True for the headline total: `Total` dimension, category, sex and age.
    pub fn is_grand_total(&self) -> bool {
        self.dimension == Dimension::Total
            && self.category == Category::Total
            && self.sex == Sex::Total
            && self.age == Age::Total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for i in Indicator::ALL {
            assert_eq!(Indicator::parse(i.label()), Some(*i));
        }
        for d in Dimension::ALL {
            assert_eq!(Dimension::parse(d.label()), Some(*d));
        }
        assert_eq!(Age::parse(" 0 to 17 years "), Some(Age::Child));
        assert_eq!(Sex::parse("female"), Some(Sex::Female));
        assert_eq!(Form::parse("Forced labour"), Some(Form::ForcedLabour));
        assert_eq!(Indicator::parse("Victims"), None);
    }

    #[test]
    fn sex_age_cells() {
        assert_eq!(SexAge::of(Sex::Female, Age::Child), Some(SexAge::Girls));
        assert_eq!(SexAge::of(Sex::Total, Age::Child), None);
        assert_eq!(SexAge::of(Sex::Other, Age::Adult), None);
    }
}
