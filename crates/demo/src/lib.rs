//! `cthub_demo`: a seeded generator of a realistic, entirely synthetic population of
//! trafficking victims, written as rows of the CTDC k-anonymised 2018 flat format
//! (columns and order of [`cthub_standard::ctdc::KANON_2018_COLUMNS`]).
//!
//! It feeds the demo dashboard, the project's test fixtures and its benchmarks.
//! **Nothing it writes describes a real person**; see [`SYNTHETIC_NOTICE`].
//!
//! ```
//! use cthub_demo::{DemoConfig, DemoGenerator};
//! let cfg = DemoConfig { victims: 3, ..DemoConfig::default() };
//! let rows: Vec<Vec<String>> = DemoGenerator::new(cfg).collect();
//! assert_eq!(rows.len(), 3);
//! assert_eq!(rows[0].len(), cthub_standard::ctdc::KANON_2018_COLUMNS.len());
//! ```
//!
//! # Values
//!
//! Follows the CTDC data dictionary of 15 Aug 2018:
//!
//! * `Datasource` is `Case Management` (~85%) or `Hotline`. A missing value is `-99` in a
//!   case-management row and `Unknown` in a hotline row, in every column that can be missing.
//! * `gender`: `Female`, `Male`, `Transgender/NonConforming` (one value in the dictionary's
//!   lookup; ~0.4%), or missing (~5%).
//! * `ageBroad`: one of [`cthub_standard::ctdc::AGE_BANDS`] or missing (~30%, more for hotlines);
//!   `majorityStatus`, `majorityStatusAtExploit`, `majorityEntry`: `Adult`/`Minor`/missing, with
//!   minor now ⇒ minor at exploitation ⇒ minor at entry.
//! * `citizenship`, `CountryOfExploitation`: ISO 3166-1 alpha-2; a missing country is either
//!   `00` (the lookup's "Unknown Country") or the row's missing marker. `NA` is always Namibia.
//! * Flag groups (`meansOfControl*`, `is*`, `typeOfLabour*`, `typeOfSex*`, `recruiterRelation*`)
//!   are recorded or missing as a whole. A recorded group is `0`/`1`; its `*Concatenated` column
//!   lists the labels of the flags set, joined by `;` in column order (table at
//!   [`concat_label`]), or holds the missing marker when no flag is set.
//! * Consistency: `typeOfLabour*` is recorded (and has a `1`) only for `isForcedLabour = 1`, and
//!   is all `0` for other known forms; likewise `typeOfSex*` with `isSexualExploit`;
//!   `isSexAndLabour = 1` iff both; `*NotSpecified = 1` stands alone; a recorded means-of-control
//!   or recruiter group has at least one `1`; `recruiterRelationUnknown` stands alone.
//! * `typeOfSexRemoteInteractiveServices`, `typeOfSexPrivateSexualServices` and `isAbduction`
//!   are collected from 2017 on (the first two are `0`, `isAbduction` missing, before).
//! * `RecruiterRelationship` is a hotline (Polaris) field: in hotline rows it holds the labels
//!   of the recruiter flags set (`Intimate partner`, `Friend`, `Family member`, `Other`,
//!   `Unknown`, `;`-joined), in case-management rows it is `-99`.
//! * If the column list carries `isSlaveryAndPractices` (published CSVs do; the 2018
//!   dictionary does not), it is filled as an exploitation flag that is never set.
//!
//! # Target marginals
//!
//! The model is a chain of conditional draws, so breakdowns are
//! correlated: sexual exploitation dominates for women and girls, forced labour for men and
//! boys; sectors depend on gender, age and destination (aquafarming for men exploited in
//! South-eastern Asia, domestic work for women in Western Asia, begging and peddling for
//! children); sexual abuse and psychoactive substances go with sexual exploitation, debt
//! bondage and withheld documents with labour; flows follow named corridors plus a
//! Zipf-weighted tail over ~140 countries (Namibia included). Targets, all measured by
//! [`Marginals`] (keys of [`TARGET_MARGINALS`]):
//!
//! | marginal | base | target | source |
//! |---|---|---|---|
//! | female | records with known gender | 0.72 | CTDC global dataset 2018/2024 published figures; approximate |
//! | minors | records with known majority status | 0.25 | CTDC global dataset 2018/2024 published figures; approximate |
//! | sexual exploitation | females with known form | 0.67 | CTDC global dataset 2018/2024 published figures; approximate |
//! | forced labour | males with known form | 0.85 | CTDC global dataset 2018/2024 published figures; approximate |
//! | other forms (other, marriage, military, organ removal) | known forms | 0.05 | CTDC global dataset 2018/2024 published figures; approximate |
//! | female | forced-marriage victims with known gender | 0.95 | CTDC global dataset 2018/2024 published figures; approximate |
//! | domestic flow (citizenship = country of exploitation) | known pairs | 0.40 | CTDC global dataset 2018/2024 published figures; approximate |
//! | domestic work, construction, agriculture, manufacturing, hospitality | forced labour with specified sector | 0.75 | CTDC global dataset 2018/2024 published figures; approximate |
//! | means of control recorded | all records | 0.50 | CTDC global dataset 2018/2024 published figures; approximate |
//! | `ageBroad` missing | all records | 0.30 | CTDC global dataset 2018/2024 published figures; approximate |
//! | hotline records | all records | 0.15 | CTDC global dataset 2018/2024 published figures; approximate |
//! | registrations 2020 / 2019 | — | 0.67 | CTDC global dataset 2018/2024 published figures; approximate |
//!
//! Registrations grow from 2002, peak in 2018-2019, dip in 2020 and recover; hotline records
//! start in 2012, are ~20% from 2015 on, and are mostly exploited in the US.
//!
//! # Determinism
//!
//! The same [`DemoConfig`] gives identical rows on every platform: ChaCha8 seeded from
//! `seed`, fixed tables, only correctly rounded float operations, no hash-map iteration.

mod columns;
mod flows;
mod generator;
mod sampling;
mod stats;

use std::io::Write;

pub use columns::{
    concat_label, FlagGroup, EXPLOITATION, FLAG_GROUPS, KANON_2018_WIDTH, LABOUR_SECTORS,
    MEANS_OF_CONTROL, RECRUITER_RELATIONS, SEX_TYPES,
};
pub use generator::{
    DemoGenerator, CASE_MANAGEMENT, GENDERS, HOTLINE, MISSING_CASE_MANAGEMENT, MISSING_HOTLINE,
    UNKNOWN_COUNTRY,
};
pub use stats::{MarginalTally, Marginals, TargetMarginal, TARGET_MARGINALS};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DemoConfig {
    /// Seed of the ChaCha8 generator: same seed, same rows.
    pub seed: u64,
    /// Number of victims (rows).
    pub victims: usize,
    /// First year of registration (inclusive).
    pub first_year: u16,
    /// Last year of registration (inclusive).
    pub last_year: u16,
    /// How the citizenship → country-of-exploitation flows are spread.
    pub flows: FlowShape,
}

/// The shape of the flows (citizenship → country of exploitation) of case-management records.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum FlowShape {
    /// The demo's shape: 60% of case-management records on ~50 named corridors, 40% over a
    /// wide tail (thousands of country pairs, ~140 citizenships).
    #[default]
    Demo,
    /// The shape of real CTDC-like data that is hard for DP synthesis: 82% of
    /// case-management records on the named corridors (with the hotline's own corridors,
    /// about 100 pairs carry 90% of all flows), the rest spread thinly over the same
    /// ~140 citizenships and ~160 countries of exploitation, so most pairs hold under 20
    /// records.
    LongTail,
}

impl FlowShape {
    /// Share of case-management flows drawn from the named corridors.
    pub(crate) fn head_share(self) -> f64 {
        match self {
            FlowShape::Demo => 0.6,
            FlowShape::LongTail => 0.82,
        }
    }
}

impl Default for DemoConfig {
    /// Seed 2002, 200,000 victims, registered 2002..=2023.
    fn default() -> Self {
        DemoConfig {
            seed: 2002,
            victims: 200_000,
            first_year: 2002,
            last_year: 2023,
            flows: FlowShape::Demo,
        }
    }
}

impl DemoConfig {
    /// Checks the configuration: the year span must not be reversed.
    pub fn validate(&self) -> Result<(), DemoError> {
        if self.first_year > self.last_year {
            return Err(DemoError::InvalidConfig(format!(
                "first_year {} is after last_year {}",
                self.first_year, self.last_year
            )));
        }
        Ok(())
    }
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The configuration cannot be generated.
    #[error("invalid demo configuration: {0}")]
    InvalidConfig(String),
    /// The output failed.
    #[error("writing demo CSV: {0}")]
    Io(#[from] std::io::Error),
}

/// The notice to ship next to every generated file; `{seed}` stands for the seed (use
/// [`synthetic_notice`] to fill it in).
pub const SYNTHETIC_NOTICE: &str = "SYNTHETIC DATA - NOT REAL CASES. Every record in this file \
was generated by `cthub demo` (seed {seed}) from approximate published aggregate figures. It \
describes no real person, victim or case, and its numbers are not statistics about human \
trafficking. Never mix these records with real case data, never import them into a \
production hub, and never publish or cite them as real.";

/// [`SYNTHETIC_NOTICE`] with the seed filled in.
pub fn synthetic_notice(seed: u64) -> String {
    SYNTHETIC_NOTICE.replace("{seed}", &seed.to_string())
}

/// Writes a header and `cfg.victims` rows of the 2018 k-anonymised format as CSV (RFC 4180,
/// `,`-separated, `\n`-terminated, fields quoted only when they need it) to `out`; returns the
/// number of data rows written. Rejects an invalid configuration. `out` need not be buffered.
pub fn write_kanon_csv<W: Write>(cfg: &DemoConfig, mut out: W) -> Result<u64, DemoError> {
    const FLUSH_AT: usize = 1 << 16;
    let mut generator = DemoGenerator::try_new(*cfg)?;
    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH_AT + 4096);
    push_record(&mut buf, cthub_standard::ctdc::KANON_2018_COLUMNS);
    let mut row = Vec::new();
    let mut written = 0u64;
    while generator.next_into(&mut row) {
        push_record(&mut buf, &row);
        written += 1;
        if buf.len() >= FLUSH_AT {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()?;
    Ok(written)
}

/// Appends one CSV record. The generator's values never need quoting, but a field that does
/// (a `,`, `"`, CR or LF) is quoted with inner quotes doubled, so the output is always valid.
fn push_record<S: AsRef<str>>(buf: &mut Vec<u8>, fields: &[S]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        let bytes = field.as_ref().as_bytes();
        if bytes
            .iter()
            .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
        {
            buf.push(b'"');
            for &b in bytes {
                if b == b'"' {
                    buf.push(b'"');
                }
                buf.push(b);
            }
            buf.push(b'"');
        } else {
            buf.extend_from_slice(bytes);
        }
    }
    buf.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::push_record;

    #[test]
    fn fields_that_need_it_are_quoted() {
        let mut buf = Vec::new();
        push_record(&mut buf, &["a", "b,c", "say \"hi\"", "", "x\ny"]);
        assert_eq!(buf, b"a,\"b,c\",\"say \"\"hi\"\"\",,\"x\ny\"\n");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(buf.as_slice());
        let rec = reader
            .records()
            .next()
            .and_then(Result::ok)
            .map(|r| r.iter().map(String::from).collect::<Vec<_>>());
        assert_eq!(
            rec,
            Some(vec![
                "a".into(),
                "b,c".into(),
                "say \"hi\"".into(),
                String::new(),
                "x\ny".into()
            ])
        );
    }
}
