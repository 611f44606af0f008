//! Standard indicators over Arrow data with Apache DataFusion.
//!
//! A *source* is either the live store (exact, for admins and, restricted to their
//! organisation, contributors), a record-level release (synthetic data or a k-anonymous table)
//! or a DP aggregate release (noisy marginal counts with intervals).
//!
//! Record-level sources become one Arrow table (a DataFusion `MemTable`) of a fixed shape:
//! `year` (label, e.g. `2019` or `2015-2019`), `year_from`, `year_to`, `sex`, `age_band`,
//! `citizenship`, `country`, `data_source`, `org`, and one `Int8` column (1 yes, 0 no, null
//! not recorded) per CTDC flag column (`isForcedLabour`, `typeOfLabourAgriculture`,
//! `meansOfControlDebtBondage`, `recruiterRelationFamily`, …). Store records are flattened
//! through the CTDC k-anonymised layout (the richest flag set), release files are read by
//! their CTDC column names, so every indicator has one definition.
//!
//! Flag-group indicators use CTDC's denominator: the persons with any recorded value (yes or
//! no) in the group; a person may count in several rows.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Builder, Int64Builder, Int8Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::prelude::*;
use serde::Serialize;

/// One indicator's definition.
pub struct IndicatorDef {
    pub id: &'static str,
    pub title: &'static str,
    pub kind: &'static str,
}

pub const INDICATORS: &[IndicatorDef] = &[
    IndicatorDef {
        id: "by_year",
        title: "Victims by year of registration",
        kind: "series",
    },
    IndicatorDef {
        id: "sex_age",
        title: "Victims by sex and age band",
        kind: "matrix",
    },
    IndicatorDef {
        id: "exploitation_type",
        title: "Type of exploitation",
        kind: "categories",
    },
    IndicatorDef {
        id: "labour_sector",
        title: "Forced labour: sector",
        kind: "categories",
    },
    IndicatorDef {
        id: "sex_exploitation_type",
        title: "Sexual exploitation: type",
        kind: "categories",
    },
    IndicatorDef {
        id: "means_of_control",
        title: "Means of control",
        kind: "categories",
    },
    IndicatorDef {
        id: "recruiter_relation",
        title: "Relation to the recruiter",
        kind: "categories",
    },
    IndicatorDef {
        id: "by_citizenship",
        title: "Victims by citizenship",
        kind: "categories",
    },
    IndicatorDef {
        id: "by_country",
        title: "Victims by country of exploitation",
        kind: "categories",
    },
    IndicatorDef {
        id: "flows",
        title: "Flows from citizenship to country of exploitation",
        kind: "flows",
    },
];

pub fn indicator(id: &str) -> Option<&'static IndicatorDef> {
    INDICATORS.iter().find(|d| d.id == id)
}

/// A flag group: the CTDC column prefixes whose columns belong to it.
fn group_prefixes(id: &str) -> Option<(&'static [&'static str], &'static str)> {
    Some(match id {
        "exploitation_type" => (
            &[
                "isForcedLabour",
                "isSexualExploit",
                "isOtherExploit",
                "isForcedMarriage",
                "isForcedMilitary",
                "isOrganRemoval",
                "isSlaveryAndPractices",
            ],
            "persons with any recorded type of exploitation",
        ),
        "labour_sector" => (
            &["typeOfLabour"],
            "persons with any recorded forced-labour sector",
        ),
        "sex_exploitation_type" => (
            &["typeOfSex"],
            "persons with any recorded type of sexual exploitation",
        ),
        "means_of_control" => (
            &["meansOfControl", "means"],
            "persons with any recorded means of control",
        ),
        "recruiter_relation" => (
            &["recruiterRelation"],
            "persons with any recorded relation to the recruiter",
        ),
        _ => return None,
    })
}

fn in_group(prefixes: &[&str], column: &str) -> bool {
    if column.ends_with("Concatenated") || column == "isSexAndLabour" || column == "isAbduction" {
        return false;
    }
    // `means` matches the 2024 merged groups but not `meansOfControl…` twice: a column belongs
    // to the first prefix that matches.
    prefixes.iter().any(|p| {
        if *p == "means" {
            column.starts_with("means") && !column.starts_with("meansOfControl")
        } else if p.starts_with("is") {
            column == *p
        } else {
            column.starts_with(p) && column.len() > p.len()
        }
    })
}

/// `typeOfLabourAgriculture` → `Agriculture`, `isForcedLabour` → `Forced labour`.
pub fn flag_label(column: &str) -> String {
    let fixed: &[(&str, &str)] = &[
        ("isForcedLabour", "Forced labour"),
        ("isSexualExploit", "Sexual exploitation"),
        ("isOtherExploit", "Other exploitation"),
        ("isForcedMarriage", "Forced marriage"),
        ("isForcedMilitary", "Forced military service"),
        ("isOrganRemoval", "Organ removal"),
        ("isSlaveryAndPractices", "Slavery and similar practices"),
    ];
    if let Some((_, l)) = fixed.iter().find(|(c, _)| *c == column) {
        return l.to_string();
    }
    let rest = [
        "typeOfLabour",
        "typeOfSex",
        "meansOfControl",
        "recruiterRelation",
        "means",
    ]
    .iter()
    .find_map(|p| column.strip_prefix(p))
    .unwrap_or(column);
    let mut out = String::new();
    for (i, ch) in rest.chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            out.push(' ');
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// Filters of an indicator request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Filters {
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub sex: Option<String>,
    pub age_band: Option<String>,
    pub exploitation: Option<String>,
    pub citizenship: Option<String>,
    pub country: Option<String>,
    pub data_source: Option<String>,
}

impl Filters {
    fn is_empty(&self) -> bool {
        *self == Filters::default()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub key: String,
    pub label: String,
    pub key2: Option<String>,
    pub label2: Option<String>,
    pub count: f64,
    pub share: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub source: String,
    pub dp: bool,
    pub filters: Filters,
    pub population: f64,
    pub denominator: Option<f64>,
    pub denominator_rule: Option<String>,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionItem {
    pub key: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearRange {
    pub min: i32,
    pub max: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct FilterOptions {
    pub year: Option<YearRange>,
    pub sex: Vec<OptionItem>,
    pub age_band: Vec<OptionItem>,
    pub exploitation: Vec<OptionItem>,
    pub citizenship: Vec<OptionItem>,
    pub country: Vec<OptionItem>,
    pub data_source: Vec<OptionItem>,
}

// ---------------------------------------------------------------------------------------------
// Building frames

/// CTDC column names (any layout, case-insensitive) → frame columns.
fn dim_of(column: &str) -> Option<&'static str> {
    let c = column.to_ascii_lowercase();
    Some(match c.as_str() {
        "yearofregistration" | "yearregister" => "year",
        "gender" => "sex",
        "agebroad" => "age_band",
        "citizenship" => "citizenship",
        "countryofexploitation" => "country",
        "datasource" => "data_source",
        _ => return None,
    })
}

fn is_flag_column(column: &str) -> bool {
    [
        "exploitation_type",
        "labour_sector",
        "sex_exploitation_type",
        "means_of_control",
        "recruiter_relation",
    ]
    .iter()
    .any(|g| in_group(group_prefixes(g).map(|p| p.0).unwrap_or(&[]), column))
}

/// The standard's one missing-value rule for mixed layouts (Namibia's `NA` is a country).
fn missing(v: &str, country: bool) -> bool {
    cthub_standard::crosswalk::is_missing_in_any_layout(v, country)
}

fn parse_years(v: &str) -> Option<(i32, i32)> {
    let t = v.trim();
    let t = t.strip_suffix(".0").unwrap_or(t);
    let (a, b) = match t.split_once('-') {
        Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
        None => {
            let y: i32 = t.parse().ok()?;
            (y, y)
        }
    };
    (a <= b).then_some((a, b))
}

/// Accumulates rows into the frame's Arrow columns.
pub struct FrameBuilder {
    /// index in the input row → frame slot
    dims: Vec<(usize, &'static str)>,
    flags: Vec<(usize, String)>,
    year: StringBuilder,
    year_from: Int32Builder,
    year_to: Int32Builder,
    sex: StringBuilder,
    age: StringBuilder,
    cit: StringBuilder,
    country: StringBuilder,
    source: StringBuilder,
    org: Int64Builder,
    flag_b: Vec<Int8Builder>,
    rows: usize,
}

impl FrameBuilder {
    /// For rows with these column names.
    pub fn new(header: &[String]) -> Self {
        let mut dims = Vec::new();
        let mut flags = Vec::new();
        for (i, h) in header.iter().enumerate() {
            if let Some(d) = dim_of(h) {
                if !dims.iter().any(|(_, x)| *x == d) {
                    dims.push((i, d));
                }
            } else if is_flag_column(h.trim()) && !flags.iter().any(|(_, f)| f == h.trim()) {
                flags.push((i, h.trim().to_string()));
            }
        }
        let n = flags.len();
        FrameBuilder {
            dims,
            flags,
            year: StringBuilder::new(),
            year_from: Int32Builder::new(),
            year_to: Int32Builder::new(),
            sex: StringBuilder::new(),
            age: StringBuilder::new(),
            cit: StringBuilder::new(),
            country: StringBuilder::new(),
            source: StringBuilder::new(),
            org: Int64Builder::new(),
            flag_b: (0..n).map(|_| Int8Builder::new()).collect(),
            rows: 0,
        }
    }

    /// Appends one row; `org` is the id of the organisation whose contribution holds it.
    pub fn push<S: AsRef<str>>(&mut self, row: &[S], org: Option<i64>) {
        let cell = |i: usize| row.get(i).map(|s| s.as_ref()).unwrap_or("");
        let mut seen = [false; 6];
        for &(i, d) in &self.dims {
            let v = cell(i);
            let is_country = d == "citizenship" || d == "country";
            let val = (!missing(v, is_country)).then(|| v.trim());
            match d {
                "year" => {
                    seen[0] = true;
                    match val.and_then(|v| parse_years(v).map(|y| (v, y))) {
                        Some((label, (a, b))) => {
                            self.year.append_value(if a == b {
                                a.to_string()
                            } else {
                                label.to_string()
                            });
                            self.year_from.append_value(a);
                            self.year_to.append_value(b);
                        }
                        None => {
                            self.year.append_null();
                            self.year_from.append_null();
                            self.year_to.append_null();
                        }
                    }
                }
                "sex" => {
                    seen[1] = true;
                    self.sex.append_option(val)
                }
                "age_band" => {
                    seen[2] = true;
                    self.age.append_option(val)
                }
                "citizenship" => {
                    seen[3] = true;
                    self.cit.append_option(val)
                }
                "country" => {
                    seen[4] = true;
                    self.country.append_option(val)
                }
                _ => {
                    seen[5] = true;
                    self.source.append_option(val)
                }
            }
        }
        if !seen[0] {
            self.year.append_null();
            self.year_from.append_null();
            self.year_to.append_null();
        }
        for (s, b) in seen[1..].iter().zip([
            &mut self.sex,
            &mut self.age,
            &mut self.cit,
            &mut self.country,
            &mut self.source,
        ]) {
            if !s {
                b.append_null();
            }
        }
        self.org.append_option(org);
        for (k, (i, _)) in self.flags.iter().enumerate() {
            let v = cell(*i).trim();
            self.flag_b[k].append_option(match v {
                "1" | "1.0" | "true" | "True" | "yes" | "Yes" => Some(1),
                "0" | "0.0" | "false" | "False" | "no" | "No" => Some(0),
                _ => None,
            });
        }
        self.rows += 1;
    }

    pub fn finish(mut self) -> anyhow::Result<Frame> {
        let mut fields = vec![
            Field::new("year", DataType::Utf8, true),
            Field::new("year_from", DataType::Int32, true),
            Field::new("year_to", DataType::Int32, true),
            Field::new("sex", DataType::Utf8, true),
            Field::new("age_band", DataType::Utf8, true),
            Field::new("citizenship", DataType::Utf8, true),
            Field::new("country", DataType::Utf8, true),
            Field::new("data_source", DataType::Utf8, true),
            Field::new("org", DataType::Int64, true),
        ];
        let mut arrays: Vec<ArrayRef> = vec![
            Arc::new(self.year.finish()),
            Arc::new(self.year_from.finish()),
            Arc::new(self.year_to.finish()),
            Arc::new(self.sex.finish()),
            Arc::new(self.age.finish()),
            Arc::new(self.cit.finish()),
            Arc::new(self.country.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.org.finish()),
        ];
        for ((_, name), b) in self.flags.iter().zip(self.flag_b.iter_mut()) {
            fields.push(Field::new(format!("f_{name}"), DataType::Int8, true));
            arrays.push(Arc::new(b.finish()));
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), arrays)?;
        // Two partitions: both cores scan.
        let mid = batch.num_rows() / 2;
        let parts = vec![
            vec![batch.slice(0, mid)],
            vec![batch.slice(mid, batch.num_rows() - mid)],
        ];
        let table = datafusion::datasource::MemTable::try_new(schema, parts)?;
        let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(2));
        ctx.register_table("t", Arc::new(table))?;
        Ok(Frame {
            ctx,
            rows: self.rows,
            flags: self.flags.into_iter().map(|(_, n)| n).collect(),
        })
    }
}

/// A record-level source as a DataFusion table `t`.
pub struct Frame {
    pub ctx: SessionContext,
    pub rows: usize,
    /// CTDC flag columns present (frame column `f_<name>`).
    pub flags: Vec<String>,
}

/// Reads a record-level release file (CSV with a CTDC header; tab or comma).
pub fn frame_from_csv(bytes: &[u8]) -> anyhow::Result<Frame> {
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let delim = if first.contains(&b'\t') && !first.contains(&b',') {
        b'\t'
    } else {
        b','
    };
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = r.headers()?.iter().map(str::to_string).collect();
    let mut b = FrameBuilder::new(&header);
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec)? {
        let cells: Vec<&str> = rec.iter().collect();
        b.push(&cells, None);
    }
    b.finish()
}

/// Flattens one store record for the frame (the CTDC k-anonymised layout's columns).
pub fn store_header() -> Vec<String> {
    cthub_standard::CtdcSchema::Kanon2018
        .columns()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

pub fn store_row(rec: &cthub_standard::CaseRecord) -> Vec<String> {
    cthub_standard::crosswalk::to_row(cthub_standard::CtdcSchema::Kanon2018, rec)
}

// ---------------------------------------------------------------------------------------------
// Querying a frame

fn filter_expr(f: &Filters, org: Option<i64>) -> Option<Expr> {
    let mut parts: Vec<Expr> = Vec::new();
    if let Some(y) = f.year_from {
        parts.push(col("year_from").gt_eq(lit(y)));
    }
    if let Some(y) = f.year_to {
        parts.push(col("year_to").lt_eq(lit(y)));
    }
    for (c, v) in [
        ("sex", &f.sex),
        ("age_band", &f.age_band),
        ("citizenship", &f.citizenship),
        ("country", &f.country),
        ("data_source", &f.data_source),
    ] {
        if let Some(v) = v {
            parts.push(col(c).eq(lit(v.clone())));
        }
    }
    if let Some(o) = org {
        parts.push(col("org").eq(lit(o)));
    }
    parts.into_iter().reduce(|a, b| a.and(b))
}

fn exploitation_filter(frame: &Frame, f: &Filters) -> anyhow::Result<Option<Expr>> {
    let Some(e) = &f.exploitation else {
        return Ok(None);
    };
    let column = frame
        .flags
        .iter()
        .find(|c| {
            in_group(
                group_prefixes("exploitation_type")
                    .map(|p| p.0)
                    .unwrap_or(&[]),
                c,
            ) && (c.as_str() == e || flag_label(c).eq_ignore_ascii_case(e))
        })
        .ok_or_else(|| anyhow::anyhow!(FilterError(format!("unknown exploitation type {e:?}"))))?;
    Ok(Some(ident(format!("f_{column}")).eq(lit(1i8))))
}

/// A request error (bad filter value), reported as 400.
#[derive(Debug)]
pub struct FilterError(pub String);
impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for FilterError {}

async fn filtered(frame: &Frame, f: &Filters, org: Option<i64>) -> anyhow::Result<DataFrame> {
    let mut df = frame.ctx.table("t").await?;
    if let Some(e) = filter_expr(f, org) {
        df = df.filter(e)?;
    }
    if let Some(e) = exploitation_filter(frame, f)? {
        df = df.filter(e)?;
    }
    Ok(df)
}

fn str_at(b: &RecordBatch, c: usize, i: usize) -> Option<String> {
    use arrow::array::{Array, StringArray};
    let a = b.column(c);
    if a.is_null(i) {
        return None;
    }
    if let Some(s) = a.as_any().downcast_ref::<StringArray>() {
        return Some(s.value(i).to_string());
    }
    let cast = arrow::compute::cast(a, &DataType::Utf8).ok()?;
    cast.as_any()
        .downcast_ref::<StringArray>()
        .map(|s| s.value(i).to_string())
}

fn num_at(b: &RecordBatch, c: usize, i: usize) -> f64 {
    use arrow::array::{Array, Int64Array};
    let a = b.column(c);
    if a.is_null(i) {
        return 0.0;
    }
    match a.as_any().downcast_ref::<Int64Array>() {
        Some(x) => x.value(i) as f64,
        None => arrow::compute::cast(a, &DataType::Float64)
            .ok()
            .and_then(|x| {
                x.as_any()
                    .downcast_ref::<arrow::array::Float64Array>()
                    .map(|x| x.value(i))
            })
            .unwrap_or(0.0),
    }
}

fn row(key: String, label: String, count: f64) -> Row {
    Row {
        key,
        label,
        key2: None,
        label2: None,
        count,
        share: None,
        lower: None,
        upper: None,
    }
}

fn country_name(code: &str) -> String {
    match cthub_standard::Country::parse(code) {
        Some(c) if code.len() == 2 => c.name().to_string(),
        _ => code.to_string(),
    }
}

/// Computes one indicator on a record-level frame.
pub async fn compute(
    frame: &Frame,
    def: &IndicatorDef,
    f: &Filters,
    org: Option<i64>,
    source: &str,
) -> anyhow::Result<Indicator> {
    let df = filtered(frame, f, org).await?;
    let population = {
        let b = df
            .clone()
            .aggregate(vec![], vec![count(lit(1)).alias("n")])?
            .collect()
            .await?;
        b.first().map(|b| num_at(b, 0, 0)).unwrap_or(0.0)
    };
    let mut out = Indicator {
        id: def.id.into(),
        title: def.title.into(),
        kind: def.kind.into(),
        source: source.into(),
        dp: false,
        filters: f.clone(),
        population,
        denominator: None,
        denominator_rule: None,
        rows: Vec::new(),
        notes: Vec::new(),
    };
    match def.id {
        "by_year" => {
            let batches = df
                .aggregate(
                    vec![col("year"), col("year_from")],
                    vec![count(lit(1)).alias("n")],
                )?
                .sort(vec![
                    col("year_from").sort(true, true),
                    col("year").sort(true, true),
                ])?
                .collect()
                .await?;
            let mut unknown = 0.0;
            for b in &batches {
                for i in 0..b.num_rows() {
                    let n = num_at(b, 2, i);
                    match str_at(b, 0, i) {
                        Some(y) => out.rows.push(row(y.clone(), y, n)),
                        None => unknown += n,
                    }
                }
            }
            if unknown > 0.0 {
                out.notes.push(format!(
                    "{unknown} persons have no recorded year of registration"
                ));
            }
            out.denominator = Some(population - unknown);
        }
        "sex_age" => {
            let batches = df
                .aggregate(
                    vec![col("sex"), col("age_band")],
                    vec![count(lit(1)).alias("n")],
                )?
                .sort(vec![
                    col("sex").sort(true, false),
                    col("age_band").sort(true, false),
                ])?
                .collect()
                .await?;
            for b in &batches {
                for i in 0..b.num_rows() {
                    let s = str_at(b, 0, i).unwrap_or_else(|| "Not recorded".into());
                    let a = str_at(b, 1, i).unwrap_or_else(|| "Not recorded".into());
                    let mut r = row(s.clone(), s, num_at(b, 2, i));
                    r.key2 = Some(a.clone());
                    r.label2 = Some(a);
                    r.share = (population > 0.0).then(|| r.count / population);
                    out.rows.push(r);
                }
            }
            out.denominator = Some(population);
        }
        "by_citizenship" | "by_country" => {
            let c = if def.id == "by_country" {
                "country"
            } else {
                "citizenship"
            };
            let batches = df
                .filter(col(c).is_not_null())?
                .aggregate(vec![col(c)], vec![count(lit(1)).alias("n")])?
                .sort(vec![col("n").sort(false, false), col(c).sort(true, false)])?
                .collect()
                .await?;
            let mut known = 0.0;
            for b in &batches {
                for i in 0..b.num_rows() {
                    let k = str_at(b, 0, i).unwrap_or_default();
                    let n = num_at(b, 1, i);
                    known += n;
                    out.rows.push(row(k.clone(), country_name(&k), n));
                }
            }
            for r in &mut out.rows {
                r.share = (known > 0.0).then(|| r.count / known);
            }
            out.denominator = Some(known);
            out.denominator_rule = Some(format!(
                "persons with a recorded {}",
                if c == "country" {
                    "country of exploitation"
                } else {
                    "citizenship"
                }
            ));
        }
        "flows" => {
            let batches = df
                .filter(
                    col("citizenship")
                        .is_not_null()
                        .and(col("country").is_not_null()),
                )?
                .aggregate(
                    vec![col("citizenship"), col("country")],
                    vec![count(lit(1)).alias("n")],
                )?
                .sort(vec![
                    col("n").sort(false, false),
                    col("citizenship").sort(true, false),
                    col("country").sort(true, false),
                ])?
                .collect()
                .await?;
            let mut total = 0.0;
            let mut all = Vec::new();
            for b in &batches {
                for i in 0..b.num_rows() {
                    let a = str_at(b, 0, i).unwrap_or_default();
                    let c = str_at(b, 1, i).unwrap_or_default();
                    let n = num_at(b, 2, i);
                    total += n;
                    let mut r = row(a.clone(), country_name(&a), n);
                    r.label2 = Some(country_name(&c));
                    r.key2 = Some(c);
                    all.push(r);
                }
            }
            let shown = all.len().min(100);
            if all.len() > shown {
                out.notes.push(format!(
                    "the {shown} largest of {} flows are shown",
                    all.len()
                ));
            }
            all.truncate(shown);
            for r in &mut all {
                r.share = (total > 0.0).then(|| r.count / total);
            }
            out.rows = all;
            out.denominator = Some(total);
            out.denominator_rule =
                Some("persons with both citizenship and country of exploitation recorded".into());
        }
        g => {
            let (prefixes, rule) =
                group_prefixes(g).ok_or_else(|| anyhow::anyhow!("unknown indicator {g}"))?;
            let mut columns: Vec<&String> = frame
                .flags
                .iter()
                .filter(|c| in_group(prefixes, c))
                .collect();
            // 2018 fine means of control and 2024 merged groups: prefer the fine ones if present.
            if g == "means_of_control" && columns.iter().any(|c| c.starts_with("meansOfControl")) {
                columns.retain(|c| c.starts_with("meansOfControl"));
            }
            out.denominator_rule = Some(rule.to_string());
            if columns.is_empty() {
                out.denominator = Some(0.0);
                out.notes
                    .push("this source does not record this group of fields".into());
                return Ok(out);
            }
            let any = columns
                .iter()
                .map(|c| ident(format!("f_{c}")).is_not_null())
                .reduce(|a, b| a.or(b))
                .unwrap_or(lit(false));
            let mut aggs = vec![sum(when(any, lit(1i64)).otherwise(lit(0i64))?).alias("den")];
            for (k, c) in columns.iter().enumerate() {
                aggs.push(
                    sum(when(ident(format!("f_{c}")).eq(lit(1i8)), lit(1i64))
                        .otherwise(lit(0i64))?)
                    .alias(format!("c{k}")),
                );
            }
            let b = df.aggregate(vec![], aggs)?.collect().await?;
            let b = b
                .first()
                .ok_or_else(|| anyhow::anyhow!("no aggregate row"))?;
            let den = num_at(b, 0, 0);
            out.denominator = Some(den);
            for (k, c) in columns.iter().enumerate() {
                let mut r = row(c.to_string(), flag_label(c), num_at(b, k + 1, 0));
                r.share = (den > 0.0).then(|| r.count / den);
                out.rows.push(r);
            }
            out.rows
                .sort_by(|a, b| b.count.total_cmp(&a.count).then(a.label.cmp(&b.label)));
        }
    }
    Ok(out)
}

/// Distinct values of each filter field.
pub async fn filter_options(frame: &Frame, org: Option<i64>) -> anyhow::Result<FilterOptions> {
    let mut df = frame.ctx.table("t").await?;
    if let Some(o) = org {
        df = df.filter(col("org").eq(lit(o)))?;
    }
    let years = df
        .clone()
        .aggregate(
            vec![],
            vec![
                datafusion::functions_aggregate::expr_fn::min(col("year_from")).alias("a"),
                datafusion::functions_aggregate::expr_fn::max(col("year_to")).alias("b"),
            ],
        )?
        .collect()
        .await?;
    let year = years.first().and_then(|b| {
        use arrow::array::{Array, Int32Array};
        let a = b.column(0).as_any().downcast_ref::<Int32Array>()?;
        let z = b.column(1).as_any().downcast_ref::<Int32Array>()?;
        (!a.is_null(0) && !z.is_null(0)).then(|| YearRange {
            min: a.value(0),
            max: z.value(0),
        })
    });
    let mut opts = BTreeMap::new();
    for c in ["sex", "age_band", "citizenship", "country", "data_source"] {
        let batches = df
            .clone()
            .filter(col(c).is_not_null())?
            .aggregate(vec![col(c)], vec![])?
            .sort(vec![col(c).sort(true, false)])?
            .collect()
            .await?;
        let mut v = Vec::new();
        for b in &batches {
            for i in 0..b.num_rows() {
                if let Some(k) = str_at(b, 0, i) {
                    let label = if c == "citizenship" || c == "country" {
                        country_name(&k)
                    } else {
                        k.clone()
                    };
                    v.push(OptionItem { key: k, label });
                }
            }
        }
        if c == "citizenship" || c == "country" {
            v.sort_by(|a, b| a.label.cmp(&b.label));
        }
        opts.insert(c, v);
    }
    let exploitation = frame
        .flags
        .iter()
        .filter(|c| {
            in_group(
                group_prefixes("exploitation_type")
                    .map(|p| p.0)
                    .unwrap_or(&[]),
                c,
            )
        })
        .map(|c| OptionItem {
            key: c.clone(),
            label: flag_label(c),
        })
        .collect();
    let mut take = |k: &str| opts.remove(k).unwrap_or_default();
    Ok(FilterOptions {
        year,
        sex: take("sex"),
        age_band: take("age_band"),
        exploitation,
        citizenship: take("citizenship"),
        country: take("country"),
        data_source: take("data_source"),
    })
}

// ---------------------------------------------------------------------------------------------
// DP aggregate releases

/// A noisy count with its 95% interval: (count, lower, upper).
type Interval = (f64, f64, f64);
/// Values (in sorted column order) → interval.
type Cells = HashMap<Vec<String>, Interval>;

/// The noisy marginals of a DP aggregate release, indexed by their (sorted) column set.
pub struct DpSource {
    pub release: cthub_privacy::dp::aggregates::AggregateRelease,
    /// sorted column names → (values in that order → (count, lower, upper))
    cells: HashMap<Vec<String>, Cells>,
}

impl DpSource {
    pub fn new(release: cthub_privacy::dp::aggregates::AggregateRelease) -> Self {
        let mut cells: HashMap<Vec<String>, Cells> = HashMap::new();
        for c in &release.counts {
            if c.remainder || c.levels.iter().any(|l| *l != 0) {
                continue;
            }
            let mut pairs: Vec<(String, String)> = c
                .columns
                .iter()
                .cloned()
                .zip(c.values.iter().cloned())
                .collect();
            pairs.sort();
            let (cols, vals): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
            cells.entry(cols).or_default().insert(
                vals,
                (
                    c.noisy.count as f64,
                    c.noisy.lower as f64,
                    c.noisy.upper as f64,
                ),
            );
        }
        DpSource { release, cells }
    }

    fn column_for(&self, dim: &str) -> Option<String> {
        self.release
            .columns
            .iter()
            .find(|c| dim_of(c) == Some(dim))
            .cloned()
    }

    /// The released cells over `group` columns under the filters: (values of group) → interval.
    fn cells(&self, group: &[String], f: &Filters) -> Result<Vec<(Vec<String>, Interval)>, String> {
        let mut fixed: Vec<(String, Vec<String>)> = Vec::new();
        for (dim, v) in [
            ("sex", &f.sex),
            ("age_band", &f.age_band),
            ("citizenship", &f.citizenship),
            ("country", &f.country),
            ("data_source", &f.data_source),
        ] {
            if let Some(v) = v {
                let c = self
                    .column_for(dim)
                    .ok_or_else(|| format!("this release has no {dim} column to filter on"))?;
                fixed.push((c, vec![v.clone()]));
            }
        }
        if let Some(e) = &f.exploitation {
            let c = self
                .release
                .columns
                .iter()
                .find(|c| c.as_str() == e || flag_label(c).eq_ignore_ascii_case(e))
                .ok_or_else(|| format!("this release has no exploitation column {e:?}"))?;
            fixed.push((c.clone(), vec!["1".into()]));
        }
        if f.year_from.is_some() || f.year_to.is_some() {
            let c = self
                .column_for("year")
                .ok_or("this release has no year column to filter on")?;
            let lo = f.year_from.unwrap_or(i32::MIN);
            let hi = f.year_to.unwrap_or(i32::MAX);
            let key = vec![c.clone()];
            let years: Vec<String> = self
                .cells
                .get(&key)
                .map(|m| {
                    m.keys()
                        .filter_map(|v| {
                            let (a, b) = parse_years(&v[0])?;
                            (a >= lo && b <= hi).then(|| v[0].clone())
                        })
                        .collect()
                })
                .unwrap_or_default();
            fixed.push((c, years));
        }
        let mut all: Vec<String> = group.to_vec();
        all.extend(fixed.iter().map(|(c, _)| c.clone()));
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != all.len() {
            return Err("a filter repeats a charted field".into());
        }
        let table = self.cells.get(&sorted).ok_or_else(|| {
            format!(
                "this release has no combination of {} (released up to {} columns at once)",
                all.join(" × "),
                self.release.reporting_length
            )
        })?;
        let pos: Vec<usize> = all
            .iter()
            .map(|c| sorted.iter().position(|s| s == c).unwrap_or(0))
            .collect();
        // Sum cells that share the group values; intervals combine as independent errors.
        let mut acc: BTreeMap<Vec<String>, (f64, f64)> = BTreeMap::new();
        for (vals, (n, lo, hi)) in table {
            let ordered: Vec<&String> = pos.iter().map(|&p| &vals[p]).collect();
            let ok = fixed
                .iter()
                .enumerate()
                .all(|(k, (_, allowed))| allowed.contains(ordered[group.len() + k]));
            if !ok {
                continue;
            }
            let key: Vec<String> = ordered[..group.len()]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let half = (hi - lo) / 2.0;
            let e = acc.entry(key).or_insert((0.0, 0.0));
            e.0 += n;
            e.1 += half * half;
        }
        Ok(acc
            .into_iter()
            .map(|(k, (n, var))| {
                let h = var.sqrt();
                (k, (n, (n - h).max(0.0), n + h))
            })
            .collect())
    }

    pub fn compute(
        &self,
        def: &IndicatorDef,
        f: &Filters,
        source: &str,
    ) -> Result<Indicator, String> {
        let total = self.release.total.count as f64;
        let mut out = Indicator {
            id: def.id.into(),
            title: def.title.into(),
            kind: def.kind.into(),
            source: source.into(),
            dp: true,
            filters: f.clone(),
            population: total,
            denominator: None,
            denominator_rule: None,
            rows: Vec::new(),
            notes: vec![format!(
                "differentially private counts (zCDP rho {:.4}); lower and upper bound a 95% interval",
                self.release.rho
            )],
        };
        let dp_row = |k: &[String], v: (f64, f64, f64), label: String| Row {
            key: k[0].clone(),
            label,
            key2: k.get(1).cloned(),
            label2: k.get(1).map(|c| country_name(c)),
            count: v.0,
            share: None,
            lower: Some(v.1),
            upper: Some(v.2),
        };
        let dim = |d: &str| {
            self.column_for(d)
                .ok_or_else(|| format!("this release has no {d} column"))
        };
        match def.id {
            "by_year" => {
                let c = dim("year")?;
                let mut cells = self.cells(&[c], f)?;
                cells.sort_by_key(|(k, _)| parse_years(&k[0]).map(|y| y.0).unwrap_or(i32::MAX));
                for (k, v) in cells {
                    if missing(&k[0], false) {
                        continue;
                    }
                    let l = k[0].clone();
                    out.rows.push(dp_row(&k, v, l));
                }
            }
            "sex_age" => {
                for (k, v) in self.cells(&[dim("sex")?, dim("age_band")?], f)? {
                    let l = k[0].clone();
                    let mut r = dp_row(&k, v, l);
                    r.label2 = r.key2.clone();
                    out.rows.push(r);
                }
            }
            "by_citizenship" | "by_country" => {
                let c = dim(if def.id == "by_country" {
                    "country"
                } else {
                    "citizenship"
                })?;
                for (k, v) in self.cells(&[c], f)? {
                    if missing(&k[0], true) {
                        continue;
                    }
                    let l = country_name(&k[0]);
                    out.rows.push(dp_row(&k, v, l));
                }
                out.rows.sort_by(|a, b| b.count.total_cmp(&a.count));
            }
            "flows" => {
                for (k, v) in self.cells(&[dim("citizenship")?, dim("country")?], f)? {
                    if missing(&k[0], true) || missing(&k[1], true) {
                        continue;
                    }
                    let l = country_name(&k[0]);
                    out.rows.push(dp_row(&k, v, l));
                }
                out.rows.sort_by(|a, b| b.count.total_cmp(&a.count));
                out.rows.truncate(100);
            }
            g => {
                let (prefixes, rule) = group_prefixes(g).ok_or("unknown indicator")?;
                let columns: Vec<String> = self
                    .release
                    .columns
                    .iter()
                    .filter(|c| in_group(prefixes, c))
                    .cloned()
                    .collect();
                if columns.is_empty() {
                    out.notes
                        .push("this release does not include this group of fields".into());
                }
                for c in columns {
                    let cells = self.cells(std::slice::from_ref(&c), f)?;
                    if let Some((_, v)) = cells.into_iter().find(|(k, _)| k[0] == "1") {
                        out.rows
                            .push(dp_row(std::slice::from_ref(&c), v, flag_label(&c)));
                    }
                }
                out.rows.sort_by(|a, b| b.count.total_cmp(&a.count));
                out.denominator_rule = Some(format!(
                    "{rule}: not released; shares are of the noisy total"
                ));
            }
        }
        let base = if f.is_empty() { Some(total) } else { None };
        if let Some(t) = base.filter(|t| *t > 0.0) {
            for r in &mut out.rows {
                r.share = Some(r.count / t);
            }
        }
        if !f.is_empty() {
            out.notes.push("filtered counts come from the released combinations that include the filter fields".into());
            if matches!(
                def.id,
                "by_year" | "sex_age" | "by_citizenship" | "by_country"
            ) {
                // These rows partition the filtered persons: their noisy sum is the population.
                out.population = out.rows.iter().map(|r| r.count).sum();
            }
        }
        Ok(out)
    }

    pub fn filter_options(&self) -> FilterOptions {
        let values = |dim: &str| -> Vec<OptionItem> {
            let Some(c) = self.column_for(dim) else {
                return Vec::new();
            };
            let mut v: Vec<OptionItem> = self
                .cells
                .get(&vec![c])
                .map(|m| {
                    m.keys()
                        .filter(|k| !missing(&k[0], dim == "citizenship" || dim == "country"))
                        .map(|k| OptionItem {
                            key: k[0].clone(),
                            label: if dim == "citizenship" || dim == "country" {
                                country_name(&k[0])
                            } else {
                                k[0].clone()
                            },
                        })
                        .collect()
                })
                .unwrap_or_default();
            v.sort_by(|a, b| a.label.cmp(&b.label));
            v
        };
        let years: Vec<(i32, i32)> = self
            .column_for("year")
            .and_then(|c| self.cells.get(&vec![c]))
            .map(|m| m.keys().filter_map(|k| parse_years(&k[0])).collect())
            .unwrap_or_default();
        FilterOptions {
            year: (!years.is_empty()).then(|| YearRange {
                min: years.iter().map(|y| y.0).min().unwrap_or(0),
                max: years.iter().map(|y| y.1).max().unwrap_or(0),
            }),
            sex: values("sex"),
            age_band: values("age_band"),
            exploitation: self
                .release
                .columns
                .iter()
                .filter(|c| {
                    in_group(
                        group_prefixes("exploitation_type")
                            .map(|p| p.0)
                            .unwrap_or(&[]),
                        c,
                    )
                })
                .map(|c| OptionItem {
                    key: c.clone(),
                    label: flag_label(c),
                })
                .collect(),
            citizenship: values("citizenship"),
            country: values("country"),
            data_source: values("data_source"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(rows: &[&[&str]], header: &[&str]) -> Frame {
        let h: Vec<String> = header.iter().map(|s| s.to_string()).collect();
        let mut b = FrameBuilder::new(&h);
        for r in rows {
            b.push(r, Some(1));
        }
        b.finish().unwrap()
    }

    #[tokio::test]
    async fn flag_group_shares_use_the_ctdc_denominator() {
        let header = [
            "yearOfRegistration",
            "gender",
            "typeOfLabourAgriculture",
            "typeOfLabourConstruction",
            "typeOfLabourConcatenated",
        ];
        let f = frame(
            &[
                &["2019", "Female", "1", "0", "x"],
                &["2019", "Male", "1", "1", "x"],
                &["2020", "Male", "-99", "-99", ""],
                &["2020-2021", "Female", "0", "0", ""],
            ],
            &header,
        );
        assert_eq!(f.flags.len(), 2, "the concatenated column is not a flag");
        let def = indicator("labour_sector").unwrap();
        let ind = compute(&f, def, &Filters::default(), None, "t")
            .await
            .unwrap();
        assert_eq!(ind.population, 4.0);
        assert_eq!(ind.denominator, Some(3.0), "persons with any yes/no value");
        let agri = ind.rows.iter().find(|r| r.label == "Agriculture").unwrap();
        assert_eq!(agri.count, 2.0);
        assert!((agri.share.unwrap() - 2.0 / 3.0).abs() < 1e-12);

        let by_year = compute(
            &f,
            indicator("by_year").unwrap(),
            &Filters::default(),
            None,
            "t",
        )
        .await
        .unwrap();
        let keys: Vec<_> = by_year
            .rows
            .iter()
            .map(|r| (r.key.as_str(), r.count))
            .collect();
        assert_eq!(keys, [("2019", 2.0), ("2020", 1.0), ("2020-2021", 1.0)]);

        let filtered = Filters {
            sex: Some("Male".into()),
            year_to: Some(2020),
            ..Filters::default()
        };
        let ind = compute(&f, def, &filtered, None, "t").await.unwrap();
        assert_eq!(ind.population, 2.0);
        assert_eq!(ind.denominator, Some(1.0));
        let other_org = compute(&f, def, &Filters::default(), Some(2), "t")
            .await
            .unwrap();
        assert_eq!(other_org.population, 0.0);
    }

    #[tokio::test]
    async fn namibia_is_counted_as_a_country_not_as_unknown() {
        let header = ["yearOfRegistration", "citizenship", "CountryOfExploitation"];
        let f = frame(
            &[
                &["2019", "NA", "NA"],
                &["2019", "NA", "ZA"],
                &["2019", "00", "ZA"],
                &["2019", "", "NA"],
            ],
            &header,
        );
        let by_cit = compute(
            &f,
            indicator("by_citizenship").unwrap(),
            &Filters::default(),
            None,
            "t",
        )
        .await
        .unwrap();
        let na = by_cit.rows.iter().find(|r| r.key == "NA");
        assert_eq!(na.map(|r| r.count), Some(2.0), "{:?}", by_cit.rows);
        let flows = compute(
            &f,
            indicator("flows").unwrap(),
            &Filters::default(),
            None,
            "t",
        )
        .await
        .unwrap();
        let total: f64 = flows.rows.iter().map(|r| r.count).sum();
        assert_eq!(
            total, 2.0,
            "NA→NA and NA→ZA; unknown citizenships are no flow"
        );
    }

    #[test]
    fn labels_read_like_words() {
        assert_eq!(flag_label("typeOfLabourAgriculture"), "Agriculture");
        assert_eq!(flag_label("meansOfControlDebtBondage"), "Debt bondage");
        assert_eq!(flag_label("isForcedLabour"), "Forced labour");
        assert!(!in_group(
            &["meansOfControl", "means"],
            "meansOfControlConcatenated"
        ));
        assert!(in_group(&["meansOfControl", "means"], "meansThreats"));
    }
}
