//! The marginals the generator aims at, and a tally that measures them on any 2018-format rows.

use crate::columns::{self, col};
use crate::generator::{MISSING_CASE_MANAGEMENT, MISSING_HOTLINE, UNKNOWN_COUNTRY};

/// One published marginal the generator is tuned to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetMarginal {
    /// Key used by [`Marginals::get`].
    pub key: &'static str,
    /// What is measured, and over which base.
    pub description: &'static str,
    /// The approximate published value.
    pub target: f64,
    /// Where the figure comes from.
    pub source: &'static str,
}

const IS_LABOUR: usize = col("isForcedLabour");
const IS_SEXUAL: usize = col("isSexualExploit");
const IS_MARRIAGE: usize = col("isForcedMarriage");
const OTHER_FORMS: [usize; 4] = [
    col("isOtherExploit"),
    IS_MARRIAGE,
    col("isForcedMilitary"),
    col("isOrganRemoval"),
];
const TOP5_SECTORS: [usize; 5] = [
    col("typeOfLabourDomesticWork"),
    col("typeOfLabourConstruction"),
    col("typeOfLabourAgriculture"),
    col("typeOfLabourManufacturing"),
    col("typeOfLabourHospitality"),
];
const SECTOR_FIRST: usize = col("typeOfLabourAgriculture");
const SECTOR_NOT_SPECIFIED: usize = col("typeOfLabourNotSpecified");
const MEANS_FIRST: usize = col("meansOfControlDebtBondage");

const CTDC: &str = "CTDC global dataset 2018/2024 published figures; approximate";

/// The target marginals (also tabulated in the crate documentation).
pub const TARGET_MARGINALS: &[TargetMarginal] = &[
    TargetMarginal {
        key: "female_share",
        description: "female, among records with a known gender",
        target: 0.72,
        source: CTDC,
    },
    TargetMarginal {
        key: "minor_share",
        description: "minors, among records with a known majorityStatus",
        target: 0.25,
        source: CTDC,
    },
    TargetMarginal {
        key: "sexual_share_female",
        description: "sexual exploitation, among females with a known form",
        target: 0.67,
        source: CTDC,
    },
    TargetMarginal {
        key: "labour_share_male",
        description: "forced labour, among males with a known form",
        target: 0.85,
        source: CTDC,
    },
    TargetMarginal {
        key: "other_forms_share",
        description: "other forms (other, marriage, military, organs), among known forms",
        target: 0.05,
        source: CTDC,
    },
    TargetMarginal {
        key: "marriage_female_share",
        description: "female, among forced-marriage victims with a known gender",
        target: 0.95,
        source: CTDC,
    },
    TargetMarginal {
        key: "domestic_flow_share",
        description: "citizenship = country of exploitation, among known pairs",
        target: 0.40,
        source: CTDC,
    },
    TargetMarginal {
        key: "top5_sector_share",
        description: "domestic work, construction, agriculture, manufacturing or hospitality, \
                      among forced-labour victims with a specified sector",
        target: 0.75,
        source: CTDC,
    },
    TargetMarginal {
        key: "means_recorded_share",
        description: "means of control recorded",
        target: 0.50,
        source: CTDC,
    },
    TargetMarginal {
        key: "age_missing_share",
        description: "ageBroad missing",
        target: 0.30,
        source: CTDC,
    },
    TargetMarginal {
        key: "hotline_share",
        description: "records from a hotline (Datasource = Hotline)",
        target: 0.15,
        source: CTDC,
    },
    TargetMarginal {
        key: "ratio_2020_to_2019",
        description: "records registered in 2020 / in 2019 (the pandemic dip)",
        target: 0.67,
        source: CTDC,
    },
];

/// Counts over rows in the 2018 k-anonymised layout; see [`MarginalTally::finish`].
#[derive(Debug, Clone, Default)]
pub struct MarginalTally {
    rows: u64,
    gender_known: u64,
    female: u64,
    majority_known: u64,
    minor: u64,
    female_form_known: u64,
    female_sexual: u64,
    male_form_known: u64,
    male_labour: u64,
    form_known: u64,
    other_forms: u64,
    marriage_gender_known: u64,
    marriage_female: u64,
    pairs_known: u64,
    domestic: u64,
    sector_specified: u64,
    top5_sector: u64,
    means_recorded: u64,
    age_missing: u64,
    hotline: u64,
    year_2019: u64,
    year_2020: u64,
    namibia: u64,
}

/// Measured marginals; shares are `NaN` when their base is empty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marginals {
    /// Rows tallied.
    pub rows: u64,
    pub female_share: f64,
    pub minor_share: f64,
    pub sexual_share_female: f64,
    pub labour_share_male: f64,
    pub other_forms_share: f64,
    pub marriage_female_share: f64,
    pub domestic_flow_share: f64,
    pub top5_sector_share: f64,
    pub means_recorded_share: f64,
    pub age_missing_share: f64,
    pub hotline_share: f64,
    pub ratio_2020_to_2019: f64,
    /// Rows whose citizenship or country of exploitation is Namibia (`NA`).
    pub namibia_rows: u64,
}

fn share(part: u64, base: u64) -> f64 {
    part as f64 / base as f64
}

fn missing(v: &str) -> bool {
    v == MISSING_CASE_MANAGEMENT || v == MISSING_HOTLINE
}

impl MarginalTally {
    /// Adds one row (cells in [`cthub_standard::ctdc::KANON_2018_COLUMNS`] order).
    pub fn add<S: AsRef<str>>(&mut self, row: &[S]) {
        let cell = |i: usize| row.get(i).map_or("", |s| s.as_ref());
        let flag = |i: usize| cell(i) == "1";
        self.rows += 1;

        let gender = cell(columns::GENDER);
        if !missing(gender) {
            self.gender_known += 1;
            self.female += u64::from(gender == "Female");
        }
        let majority = cell(columns::MAJORITY);
        if !missing(majority) {
            self.majority_known += 1;
            self.minor += u64::from(majority == "Minor");
        }

        let form_known = !missing(cell(IS_LABOUR));
        if form_known {
            self.form_known += 1;
            let other = OTHER_FORMS.iter().any(|&c| flag(c));
            self.other_forms += u64::from(other);
            match gender {
                "Female" => {
                    self.female_form_known += 1;
                    self.female_sexual += u64::from(flag(IS_SEXUAL));
                }
                "Male" => {
                    self.male_form_known += 1;
                    self.male_labour += u64::from(flag(IS_LABOUR));
                }
                _ => {}
            }
            if flag(IS_MARRIAGE) && !missing(gender) {
                self.marriage_gender_known += 1;
                self.marriage_female += u64::from(gender == "Female");
            }
        }

        let (cit, dest) = (
            cell(columns::CITIZENSHIP),
            cell(columns::EXPLOITATION_COUNTRY),
        );
        let known = |c: &str| !missing(c) && c != UNKNOWN_COUNTRY;
        if known(cit) && known(dest) {
            self.pairs_known += 1;
            self.domestic += u64::from(cit == dest);
        }
        self.namibia += u64::from(cit == "NA" || dest == "NA");

        if flag(IS_LABOUR) && !missing(cell(SECTOR_FIRST)) && !flag(SECTOR_NOT_SPECIFIED) {
            self.sector_specified += 1;
            self.top5_sector += u64::from(TOP5_SECTORS.iter().any(|&c| flag(c)));
        }

        self.means_recorded += u64::from(!missing(cell(MEANS_FIRST)));
        self.age_missing += u64::from(missing(cell(columns::AGE_BROAD)));
        self.hotline += u64::from(cell(columns::DATASOURCE) == "Hotline");
        match cell(columns::YEAR) {
            "2019" => self.year_2019 += 1,
            "2020" => self.year_2020 += 1,
            _ => {}
        }
    }

    /// The measured marginals.
    pub fn finish(&self) -> Marginals {
        Marginals {
            rows: self.rows,
            female_share: share(self.female, self.gender_known),
            minor_share: share(self.minor, self.majority_known),
            sexual_share_female: share(self.female_sexual, self.female_form_known),
            labour_share_male: share(self.male_labour, self.male_form_known),
            other_forms_share: share(self.other_forms, self.form_known),
            marriage_female_share: share(self.marriage_female, self.marriage_gender_known),
            domestic_flow_share: share(self.domestic, self.pairs_known),
            top5_sector_share: share(self.top5_sector, self.sector_specified),
            means_recorded_share: share(self.means_recorded, self.rows),
            age_missing_share: share(self.age_missing, self.rows),
            hotline_share: share(self.hotline, self.rows),
            ratio_2020_to_2019: share(self.year_2020, self.year_2019),
            namibia_rows: self.namibia,
        }
    }
}

impl Marginals {
    /// Measures the marginals of `rows`.
    pub fn measure<R, S>(rows: impl IntoIterator<Item = R>) -> Self
    where
        R: AsRef<[S]>,
        S: AsRef<str>,
    {
        let mut tally = MarginalTally::default();
        for row in rows {
            tally.add(row.as_ref());
        }
        tally.finish()
    }

    /// The measured value for a [`TargetMarginal::key`].
    pub fn get(&self, key: &str) -> Option<f64> {
        Some(match key {
            "female_share" => self.female_share,
            "minor_share" => self.minor_share,
            "sexual_share_female" => self.sexual_share_female,
            "labour_share_male" => self.labour_share_male,
            "other_forms_share" => self.other_forms_share,
            "marriage_female_share" => self.marriage_female_share,
            "domestic_flow_share" => self.domestic_flow_share,
            "top5_sector_share" => self.top5_sector_share,
            "means_recorded_share" => self.means_recorded_share,
            "age_missing_share" => self.age_missing_share,
            "hotline_share" => self.hotline_share,
            "ratio_2020_to_2019" => self.ratio_2020_to_2019,
            _ => return None,
        })
    }

    /// A plain-text table: key, target, measured, description.
    pub fn report(&self) -> String {
        use std::fmt::Write;
        let mut out = format!(
            "{:<24} {:>7} {:>9}  description\n",
            "marginal", "target", "measured"
        );
        for t in TARGET_MARGINALS {
            let measured = self.get(t.key).unwrap_or(f64::NAN);
            let _ = writeln!(
                out,
                "{:<24} {:>7.3} {:>9.3}  {}",
                t.key, t.target, measured, t.description
            );
        }
        let _ = writeln!(
            out,
            "{:<24} {:>7} {:>9}  rows with Namibia (NA) as citizenship or destination",
            "namibia_rows", "> 0", self.namibia_rows
        );
        let _ = writeln!(out, "{:<24} {:>7} {:>9}", "rows", "", self.rows);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_has_a_measure() {
        let m = MarginalTally::default().finish();
        for t in TARGET_MARGINALS {
            assert!(m.get(t.key).is_some(), "{}", t.key);
        }
    }
}
