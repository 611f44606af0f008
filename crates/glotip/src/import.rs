//! Importing the GLOTIP country data file (XLSX as published, or CSV).
//!
//! The workbook UNODC publishes (`data_glotip.xlsx`, sheet `data_glotip_1`)
//! carries a two-row stamp ("UNODC / unodc_ddds@un.org / 30/05/2023") above
//! the header; copies made by others drop it. The importer therefore *finds*
//! the header: the first row among the first [`HEADER_SCAN_ROWS`] whose cells
//! include `Iso3_code`, `Indicator` and `txtVALUE` (case-insensitive). Rows
//! above it are counted as preamble; columns are matched by name, so their
//! order does not matter.
//!
//! Every non-blank row below the header lands as an [`Observation`] or is
//! quarantined with a [`RowError`] naming file, row, column, value and rule;
//! [`Accounting`] adds it up (`rows_in = rows_stored + rows_quarantined`).
//! Rules, checked in this order (the first broken rule quarantines the row):
//!
//! | column | rule |
//! |---|---|
//! | (row) | no more non-empty cells than the header has columns |
//! | `Iso3_code`/`Country` | a country row's code is an ISO 3166-1 alpha-3 code; a row has a code or a name |
//! | `Indicator`, `Dimension`, `Sex`, `Age` | one of GLOTIP's labels ([`crate::model`]) |
//! | `Year` | a whole year 1900-2100 |
//! | `Unit of measurement` | `Counts` (when the column is present) |
//! | `Category` | `Total` under the `Total` dimension; one of the three forms under `by form of exploitation`; free text elsewhere ([`crate::place`]) |
//! | `txtVALUE` | a count, with or without thousands separators, or `<5` ([`crate::value`]) |
//!
//! Rows with an `Iso3_code` but no `Country` (`SAM`, `SAF`, `CAR`, `CAS`,
//! `EEU`, `MCA`, `MCN`, `Aruba/Curacao`) are stored as [`Area::Aggregate`],
//! rows with a name but no code (`Sark`) as [`Area::Territory`]; neither is a
//! country and the statistics leave both out.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use calamine::{open_workbook, Data, Reader, Xlsx};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use cthub_standard::Country;

use crate::model::{Age, Area, Category, Dimension, Form, Indicator, Observation, Sex};
use crate::place::{Place, PlaceClass};
use crate::value::parse_value;

/// How many leading rows are searched for the header.
pub const HEADER_SCAN_ROWS: usize = 30;

/// The sheet name of the published workbook.
pub const GLOTIP_SHEET: &str = "data_glotip_1";

/// A row that did not land, and why.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{file}: row {row}, column {column}: {value:?} breaks rule \"{rule}\"")]
pub struct RowError {
    /// File name.
    pub file: String,
    /// Row (XLSX) or line (CSV) number, 1-based, as a spreadsheet or editor shows it.
    pub row: u64,
    /// Column name from the header.
    pub column: String,
    /// The offending cell as written.
    pub value: String,
    /// The rule it breaks.
    pub rule: String,
}

/// A file-level failure: nothing was imported.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read: {message}")]
    Read {
        /// File name.
        file: String,
        /// What failed.
        message: String,
    },
    /// Not `.csv` or `.xlsx`.
    #[error("{file}: unsupported file type (expected .csv or .xlsx)")]
    Unsupported {
        /// File name.
        file: String,
    },
    /// No header row found.
    #[error("{file}: no header row (with Iso3_code, Indicator and txtVALUE) in the first {scanned} rows")]
    NoHeader {
        /// File name.
        file: String,
        /// Rows searched.
        scanned: usize,
    },
    /// The header lacks a required column.
    #[error("{file}: row {row}: header lacks column {column:?}")]
    MissingColumn {
        /// File name.
        file: String,
        /// Header row number.
        row: u64,
        /// The missing column.
        column: String,
    },
}

/// How the categories of the free-text dimensions were cleaned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryAccounting {
    /// Rows per class (`country`, `nationals`, `foreigners`, `abroad`,
    /// `group`, `stateless`, `unknown`, `total_row`, `unresolved`).
    pub rows_by_class: BTreeMap<String, u64>,
    /// Distinct raw texts that resolved to a country.
    pub distinct_resolved: u64,
    /// Raw texts left unresolved, with their row counts.
    pub unresolved: BTreeMap<String, u64>,
}

/// The full accounting of one import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounting {
    /// File name.
    pub file: String,
    /// `csv` or `xlsx`.
    pub format: String,
    /// Sheet read (workbooks).
    pub sheet: Option<String>,
    /// Row number of the header.
    pub header_row: u64,
    /// Non-blank rows above the header (UNODC's stamp).
    pub preamble_rows: u64,
    /// Blank rows below the header, skipped.
    pub blank_rows: u64,
    /// Non-blank data rows read.
    pub rows_in: u64,
    /// Rows stored as observations.
    pub rows_stored: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
    /// Stored rows of countries.
    pub country_rows: u64,
    /// Stored rows of unnamed aggregates.
    pub aggregate_rows: u64,
    /// Aggregate codes and their row counts.
    pub aggregate_codes: BTreeMap<String, u64>,
    /// Stored rows of named territories without an ISO code.
    pub territory_rows: u64,
    /// Stored values that are censored (`<5`).
    pub censored_values: u64,
    /// Stored values written with thousands separators.
    pub thousands_separated_values: u64,
    /// Stored rows that repeat an earlier row's key (occurrence > 1).
    pub repeated_key_rows: u64,
    /// Stored rows per indicator label.
    pub rows_by_indicator: BTreeMap<String, u64>,
    /// Citizenship categories.
    pub citizenship: CategoryAccounting,
    /// Country-of-repatriation categories.
    pub repatriation: CategoryAccounting,
    /// Quarantined rows per rule.
    pub quarantine_by_rule: BTreeMap<String, u64>,
    /// Every quarantined row.
    pub quarantine: Vec<RowError>,
}

impl Accounting {
    /// True if every row is accounted for.
    pub fn balanced(&self) -> bool {
        self.rows_in == self.rows_stored + self.rows_quarantined
    }
}

/// An imported GLOTIP file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Glotip {
    /// The observations, in file order.
    pub observations: Vec<Observation>,
    /// What happened to every row.
    pub accounting: Accounting,
}

/// Import a `.csv` or `.xlsx` GLOTIP file (by extension).
pub fn import_path(path: &Path) -> Result<Glotip, ImportError> {
    let file = file_name(path);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("csv") => {
            let f = std::fs::File::open(path).map_err(|e| ImportError::Read {
                file: file.clone(),
                message: e.to_string(),
            })?;
            import_csv(&file, std::io::BufReader::new(f))
        }
        Some("xlsx") | Some("xlsm") => import_xlsx(path, None),
        _ => Err(ImportError::Unsupported { file }),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Import CSV text (UTF-8; invalid bytes become U+FFFD and are kept in the raw text).
pub fn import_csv<R: std::io::Read>(file: &str, reader: R) -> Result<Glotip, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut b = Builder::new(file, "csv", None);
    let mut rec = csv::ByteRecord::new();
    let mut cells: Vec<String> = Vec::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(ImportError::Read {
                    file: file.to_string(),
                    message: e.to_string(),
                })
            }
        }
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        cells.clear();
        cells.extend(rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()));
        b.push(line, &cells)?;
    }
    b.finish()
}

/// Import a workbook; `sheet` defaults to `data_glotip_1` if present, else the first sheet.
pub fn import_xlsx(path: &Path, sheet: Option<&str>) -> Result<Glotip, ImportError> {
    let file = file_name(path);
    let read_err = |m: String| ImportError::Read {
        file: file.clone(),
        message: m,
    };
    let mut wb: Xlsx<_> = open_workbook(path).map_err(|e| read_err(format!("{e}")))?;
    let names = wb.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s)
            .cloned()
            .ok_or_else(|| read_err(format!("no sheet {s:?}; sheets: {}", names.join(", "))))?,
        None => names
            .iter()
            .find(|n| n.as_str() == GLOTIP_SHEET)
            .or_else(|| names.first())
            .cloned()
            .ok_or_else(|| read_err("workbook has no sheets".into()))?,
    };
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| read_err(format!("sheet {name:?}: {e}")))?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut b = Builder::new(&file, "xlsx", Some(name));
    let mut cells: Vec<String> = Vec::new();
    for (i, row) in range.rows().enumerate() {
        cells.clear();
        cells.extend(std::iter::repeat_n(String::new(), col0 as usize));
        cells.extend(row.iter().map(cell_text));
        b.push(u64::from(row0) + i as u64 + 1, &cells)?;
    }
    b.finish()
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Column positions in the header.
struct Columns {
    iso3: usize,
    country: usize,
    region: usize,
    subregion: usize,
    indicator: usize,
    dimension: usize,
    category: usize,
    sex: usize,
    age: usize,
    year: usize,
    unit: Option<usize>,
    value: usize,
    names: Vec<String>,
}

const REQUIRED: [&str; 11] = [
    "Iso3_code",
    "Country",
    "Region",
    "Subregion",
    "Indicator",
    "Dimension",
    "Category",
    "Sex",
    "Age",
    "Year",
    "txtVALUE",
];

fn find_col(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| {
        h.trim()
            .trim_start_matches('\u{FEFF}')
            .eq_ignore_ascii_case(name)
    })
}

fn is_header(cells: &[String]) -> bool {
    ["Iso3_code", "Indicator", "txtVALUE"]
        .iter()
        .all(|n| find_col(cells, n).is_some())
}

type Key = (String, String, Indicator, Dimension, String, Sex, Age, u16);

/// Turns raw rows into observations and the accounting.
struct Builder {
    acc: Accounting,
    cols: Option<Columns>,
    scanned: usize,
    obs: Vec<Observation>,
    seen: HashMap<Key, u32>,
    resolved_texts: (HashMap<String, ()>, HashMap<String, ()>),
}

impl Builder {
    fn new(file: &str, format: &str, sheet: Option<String>) -> Builder {
        Builder {
            acc: Accounting {
                file: file.to_string(),
                format: format.to_string(),
                sheet,
                ..Accounting::default()
            },
            cols: None,
            scanned: 0,
            obs: Vec::new(),
            seen: HashMap::new(),
            resolved_texts: (HashMap::new(), HashMap::new()),
        }
    }

    fn push(&mut self, row: u64, cells: &[String]) -> Result<(), ImportError> {
        let blank = cells.iter().all(|c| c.trim().is_empty());
        if self.cols.is_none() {
            if blank {
                return Ok(());
            }
            self.scanned += 1;
            if is_header(cells) {
                self.cols = Some(self.columns(row, cells)?);
                self.acc.header_row = row;
            } else {
                self.acc.preamble_rows += 1;
                if self.scanned >= HEADER_SCAN_ROWS {
                    return Err(ImportError::NoHeader {
                        file: self.acc.file.clone(),
                        scanned: self.scanned,
                    });
                }
            }
            return Ok(());
        }
        if blank {
            self.acc.blank_rows += 1;
            return Ok(());
        }
        self.acc.rows_in += 1;
        match self.observation(row, cells) {
            Ok((o, had_thousands)) => self.store(o, had_thousands),
            Err(e) => {
                self.acc.rows_quarantined += 1;
                *self
                    .acc
                    .quarantine_by_rule
                    .entry(e.rule.clone())
                    .or_default() += 1;
                self.acc.quarantine.push(e);
            }
        }
        Ok(())
    }

    fn columns(&self, row: u64, h: &[String]) -> Result<Columns, ImportError> {
        let need = |n: &str| {
            find_col(h, n).ok_or_else(|| ImportError::MissingColumn {
                file: self.acc.file.clone(),
                row,
                column: n.to_string(),
            })
        };
        let mut idx = [0usize; 11];
        for (i, n) in REQUIRED.iter().enumerate() {
            idx[i] = need(n)?;
        }
        Ok(Columns {
            iso3: idx[0],
            country: idx[1],
            region: idx[2],
            subregion: idx[3],
            indicator: idx[4],
            dimension: idx[5],
            category: idx[6],
            sex: idx[7],
            age: idx[8],
            year: idx[9],
            value: idx[10],
            unit: find_col(h, "Unit of measurement"),
            names: h.iter().map(|s| s.trim().to_string()).collect(),
        })
    }

    /// The observation of a data row and whether its value had thousands separators.
    fn observation(&self, row: u64, cells: &[String]) -> Result<(Observation, bool), RowError> {
        let cols = self.cols.as_ref().expect("header found before data rows");
        let get = |i: usize| cells.get(i).map(|s| s.trim()).unwrap_or("");
        let err = |col: usize, value: &str, rule: &str| RowError {
            file: self.acc.file.clone(),
            row,
            column: cols
                .names
                .get(col)
                .cloned()
                .unwrap_or_else(|| format!("column {}", col + 1)),
            value: value.to_string(),
            rule: rule.to_string(),
        };
        if let Some((i, c)) = cells
            .iter()
            .enumerate()
            .skip(cols.names.len())
            .find(|(_, c)| !c.trim().is_empty())
        {
            return Err(err(i, c, "row: more cells than the header has columns"));
        }
        let iso3 = get(cols.iso3);
        let name = get(cols.country);
        let area = match (iso3.is_empty(), name.is_empty()) {
            (true, true) => {
                return Err(err(cols.iso3, iso3, "area: neither Iso3_code nor Country"))
            }
            (true, false) => Area::Territory {
                name: name.to_string(),
            },
            (false, true) => Area::Aggregate {
                code: iso3.to_string(),
            },
            (false, false) => {
                let c = (iso3.len() == 3 && iso3.bytes().all(|b| b.is_ascii_alphabetic()))
                    .then(|| Country::parse(iso3))
                    .flatten()
                    .ok_or_else(|| {
                        err(
                            cols.iso3,
                            iso3,
                            "area: Iso3_code is not an ISO 3166-1 alpha-3 code",
                        )
                    })?;
                Area::Country(c)
            }
        };
        let indicator = Indicator::parse(get(cols.indicator)).ok_or_else(|| {
            err(
                cols.indicator,
                get(cols.indicator),
                "indicator: not a GLOTIP indicator",
            )
        })?;
        let dimension = Dimension::parse(get(cols.dimension)).ok_or_else(|| {
            err(
                cols.dimension,
                get(cols.dimension),
                "dimension: not a GLOTIP dimension",
            )
        })?;
        let sex = Sex::parse(get(cols.sex)).ok_or_else(|| {
            err(
                cols.sex,
                get(cols.sex),
                "sex: not Total/Female/Male/Other/Unknown",
            )
        })?;
        let age = Age::parse(get(cols.age)).ok_or_else(|| {
            err(
                cols.age,
                get(cols.age),
                "age: not Total/18 years or over/0 to 17 years/Unknown",
            )
        })?;
        let year_text = get(cols.year);
        let year = year_text
            .parse::<u16>()
            .ok()
            .filter(|y| (1900..=2100).contains(y))
            .ok_or_else(|| err(cols.year, year_text, "year: not a year 1900-2100"))?;
        if let Some(u) = cols.unit {
            let unit = get(u);
            if !unit.eq_ignore_ascii_case("Counts") {
                return Err(err(u, unit, "unit: not Counts"));
            }
        }
        let cat_text = get(cols.category);
        let category = match dimension {
            Dimension::Total => {
                if !cat_text.eq_ignore_ascii_case("Total") {
                    return Err(err(
                        cols.category,
                        cat_text,
                        "category: the Total dimension has only category Total",
                    ));
                }
                Category::Total
            }
            Dimension::FormOfExploitation => {
                Category::Form(Form::parse(cat_text).ok_or_else(|| {
                    err(
                        cols.category,
                        cat_text,
                        "category: not a GLOTIP form of exploitation",
                    )
                })?)
            }
            Dimension::Citizenship => Category::Citizenship(Place::classify(cat_text)),
            Dimension::CountryOfRepatriation => Category::Repatriation(Place::classify(cat_text)),
        };
        let vt = get(cols.value);
        let parsed = parse_value(vt).map_err(|r| err(cols.value, vt, r.name()))?;
        let o = Observation {
            row,
            area,
            iso3: iso3.to_string(),
            area_name: name.to_string(),
            m49_region: get(cols.region).to_string(),
            m49_subregion: get(cols.subregion).to_string(),
            indicator,
            dimension,
            category,
            sex,
            age,
            year,
            value: parsed.value,
            occurrence: 1,
        };
        Ok((o, parsed.had_thousands))
    }

    fn store(&mut self, mut o: Observation, had_thousands: bool) {
        if had_thousands {
            self.acc.thousands_separated_values += 1;
        }
        let cat_text = match &o.category {
            Category::Total => "Total".to_string(),
            Category::Form(f) => f.label().to_string(),
            Category::Citizenship(p) | Category::Repatriation(p) => p.raw.clone(),
        };
        let key: Key = (
            o.iso3.clone(),
            o.area_name.clone(),
            o.indicator,
            o.dimension,
            cat_text,
            o.sex,
            o.age,
            o.year,
        );
        let n = self.seen.entry(key).or_insert(0);
        *n += 1;
        o.occurrence = *n;
        if *n > 1 {
            self.acc.repeated_key_rows += 1;
        }
        match &o.area {
            Area::Country(_) => self.acc.country_rows += 1,
            Area::Aggregate { code } => {
                self.acc.aggregate_rows += 1;
                *self.acc.aggregate_codes.entry(code.clone()).or_default() += 1;
            }
            Area::Territory { .. } => self.acc.territory_rows += 1,
        }
        if o.value.is_censored() {
            self.acc.censored_values += 1;
        }
        *self
            .acc
            .rows_by_indicator
            .entry(o.indicator.label().to_string())
            .or_default() += 1;
        match &o.category {
            Category::Citizenship(p) => {
                account_place(&mut self.acc.citizenship, &mut self.resolved_texts.0, p)
            }
            Category::Repatriation(p) => {
                account_place(&mut self.acc.repatriation, &mut self.resolved_texts.1, p)
            }
            _ => {}
        }
        self.acc.rows_stored += 1;
        self.obs.push(o);
    }

    fn finish(self) -> Result<Glotip, ImportError> {
        if self.cols.is_none() {
            return Err(ImportError::NoHeader {
                file: self.acc.file,
                scanned: self.scanned,
            });
        }
        Ok(Glotip {
            observations: self.obs,
            accounting: self.acc,
        })
    }
}

/// Name of a place class in the accounting.
pub fn class_name(c: &PlaceClass) -> &'static str {
    match c {
        PlaceClass::Country(_) => "country",
        PlaceClass::Nationals => "nationals",
        PlaceClass::Foreigners => "foreigners",
        PlaceClass::Abroad => "abroad",
        PlaceClass::Group => "group",
        PlaceClass::Stateless => "stateless",
        PlaceClass::Unknown => "unknown",
        PlaceClass::TotalRow => "total_row",
        PlaceClass::Unresolved => "unresolved",
    }
}

fn account_place(acc: &mut CategoryAccounting, seen: &mut HashMap<String, ()>, p: &Place) {
    *acc.rows_by_class
        .entry(class_name(&p.class).to_string())
        .or_default() += 1;
    match p.class {
        PlaceClass::Country(_) if seen.insert(p.raw.clone(), ()).is_none() => {
            acc.distinct_resolved += 1;
        }
        PlaceClass::Unresolved => *acc.unresolved.entry(p.raw.clone()).or_default() += 1,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    const HEADER: &str = "Iso3_code,Country,Region,Subregion,Indicator,Dimension,Category,Sex,Age,Year,Unit of measurement,txtVALUE,Source";

    fn csv(lines: &[&str]) -> Glotip {
        let text = lines.join("\n");
        import_csv("t.csv", text.as_bytes()).unwrap()
    }

    #[test]
    fn finds_the_header_below_a_stamp() {
        let g = csv(&[
            "UNODC,,,,,,,,,,,,",
            "unodc_ddds@un.org,,,,,,,,,,,,",
            HEADER,
            "AFG,Afghanistan,Asia,Southern Asia,Offences of trafficking in persons,Total,Total,Total,Total,2013,Counts,103,GLOTIP",
        ]);
        let a = &g.accounting;
        assert_eq!(a.header_row, 3);
        assert_eq!(a.preamble_rows, 2);
        assert_eq!((a.rows_in, a.rows_stored), (1, 1));
        assert_eq!(g.observations[0].row, 4);
        assert_eq!(g.observations[0].value, Value::Exact(103));
    }

    #[test]
    fn keeps_censored_thousands_aggregates_and_quarantines_with_reasons() {
        let g = csv(&[
            HEADER,
            "ABW,Aruba,Americas,Latin America and the Caribbean,Detected trafficking victims,by country of repatriation,Ukraine,Total,Total,2010,Counts,<5,GLOTIP",
            "USA,United States of America,Americas,Northern America,Detected trafficking victims,Total,Total,Total,Total,2019,Counts,\"1,282\",GLOTIP",
            "SAM,,,,Persons convicted,Total,Total,Total,Total,2018,Counts,12,GLOTIP",
            ",Sark,Europe,Northern Europe,Persons convicted,Total,Total,Total,Total,2018,Counts,<5,GLOTIP",
            "XYZ,Nowhere,Europe,Northern Europe,Persons convicted,Total,Total,Total,Total,2018,Counts,3,GLOTIP",
            "USA,United States of America,Americas,Northern America,Victims,Total,Total,Total,Total,2019,Counts,3,GLOTIP",
            "USA,United States of America,Americas,Northern America,Persons convicted,Total,Total,Total,Total,2019,Counts,n.a.,GLOTIP",
            "USA,United States of America,Americas,Northern America,Persons convicted,by form of exploitation,Begging,Total,Total,2019,Counts,3,GLOTIP",
            ",,,,,,,,,,,,",
            "ALB,Albania,Europe,Southern Europe,Detected trafficking victims,by form of exploitation,Other forms of exploitation,Total,Total,2017,Counts,<5,GLOTIP",
            "ALB,Albania,Europe,Southern Europe,Detected trafficking victims,by form of exploitation,Other forms of exploitation,Total,Total,2017,Counts,27,GLOTIP",
        ]);
        let a = &g.accounting;
        assert_eq!(a.rows_in, 10);
        assert_eq!(a.blank_rows, 1);
        assert_eq!(a.rows_stored, 6);
        assert_eq!(a.rows_quarantined, 4);
        assert!(a.balanced());
        assert_eq!(a.censored_values, 3);
        assert_eq!(a.thousands_separated_values, 1);
        assert_eq!(a.aggregate_rows, 1);
        assert_eq!(a.territory_rows, 1);
        assert_eq!(a.repeated_key_rows, 1);
        assert_eq!(g.observations[0].value, Value::LESS_THAN_FIVE);
        assert_eq!(g.observations[1].value, Value::Exact(1282));
        assert!(g.observations[2].area.is_aggregate());
        assert_eq!(g.observations[5].occurrence, 2);
        let q = &a.quarantine;
        assert_eq!(q[0].row, 6);
        assert_eq!(q[0].column, "Iso3_code");
        assert_eq!(q[0].value, "XYZ");
        assert_eq!(q[1].column, "Indicator");
        assert_eq!(q[2].column, "txtVALUE");
        assert_eq!(q[2].value, "n.a.");
        assert_eq!(q[3].column, "Category");
        assert!(q[3].to_string().contains("t.csv: row 9, column Category"));
    }

    #[test]
    fn missing_header_and_columns_are_file_errors() {
        let e = import_csv("t.csv", "a,b\n1,2\n".as_bytes()).unwrap_err();
        assert!(matches!(e, ImportError::NoHeader { .. }));
        let e = import_csv("t.csv", "Iso3_code,Indicator,txtVALUE\n".as_bytes()).unwrap_err();
        assert!(matches!(e, ImportError::MissingColumn { .. }), "{e}");
    }
}
