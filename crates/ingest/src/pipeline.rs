//! The import pipeline for one file: hash, open, detect the format, then turn each source row
//! into an [`ImportedRow`] (a case record, or a quarantined row with its issues).

use std::io::Read;
use std::path::{Path, PathBuf};

use cthub_standard::crosswalk::{self, CtdcColumn};
use cthub_standard::field::{self, Target, ValueFormat};
use cthub_standard::vocab::{normalise, EventType, Vocab};
use cthub_standard::{htcds, CaseRecord, CtdcSchema, SCHEMA_VERSION};
use sha2::{Digest, Sha256};

use crate::mapping::{normalise_value, Mapping, MappingError, ResolvedColumn, Unmapped};
use crate::read::{self, ReadError, ReadOptions, RowSource, TableKind};
use crate::report::*;

/// The layout of a source file.
#[derive(Debug, Clone)]
pub enum Format {
    Ctdc(CtdcSchema),
    /// The HTCDS 2.0 Excel template (field names in row 1, labels in row 2, picklist labels as values).
    HtcdsTemplate,
    /// HTCDS XLSForm submissions exported from ODK/KoBo (choice names, space-separated multi-selects).
    HtcdsXlsform,
    /// An organisation's own layout, described by a TOML mapping.
    Mapping(Box<Mapping>, Vec<ResolvedColumn>),
}

/// Built-in format names accepted by `--format`.
pub const FORMAT_NAMES: &[&str] = &[
    "ctdc-kanon-2018",
    "ctdc-synthetic-2021",
    "ctdc-synthetic-2024",
    "ctdc-vp",
    "htcds-template",
    "htcds-xlsform",
];

impl Format {
    pub fn name(&self) -> String {
        match self {
            Format::Ctdc(s) => s.name().to_string(),
            Format::HtcdsTemplate => "htcds-template".into(),
            Format::HtcdsXlsform => "htcds-xlsform".into(),
            Format::Mapping(m, _) => format!("mapping:{}", m.name),
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        let n = name.trim().to_ascii_lowercase();
        if let Some(s) = CtdcSchema::ALL.iter().find(|s| s.name() == n) {
            return Some(Format::Ctdc(*s));
        }
        match n.as_str() {
            "ctdc-synthetic-2025" => Some(Format::Ctdc(CtdcSchema::Synthetic2024)),
            "htcds-template" | "htcds-xlsx" => Some(Format::HtcdsTemplate),
            "htcds-xlsform" | "xlsform" | "odk" | "kobo" => Some(Format::HtcdsXlsform),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: cannot detect the format from the header ({headers}); pass --format ({formats}) or --mapping FILE.toml")]
    Detect {
        file: String,
        headers: String,
        formats: String,
    },
    #[error("{file}: unknown format {name:?}; known: {formats}")]
    UnknownFormat {
        file: String,
        name: String,
        formats: String,
    },
    #[error("{file}: column(s) {missing} required by {format} are not in the file; columns found: {found}")]
    MissingColumns {
        file: String,
        format: String,
        missing: String,
        found: String,
    },
    #[error(
        "{file}: column(s) {columns} are not in mapping {mapping} (it says unmapped = \"error\")"
    )]
    Unmapped {
        file: String,
        mapping: String,
        columns: String,
    },
}

/// How to import a file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `--format`: a built-in format name; detected from the header when `None`.
    pub format: Option<String>,
    /// `--mapping`: a TOML mapping file (wins over `format`).
    pub mapping: Option<PathBuf>,
    /// Container override; sniffed from content when `None`.
    pub kind: Option<TableKind>,
    pub read: ReadOptions,
}

/// SHA-256 and size of a file, streamed.
pub fn hash_file(path: &Path) -> Result<(String, u64), IngestError> {
    let io = |source| IngestError::Io {
        file: path.display().to_string(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(io)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex::encode(h.finalize()), n))
}

/// Guess the layout from the header.
pub fn detect(headers: &[String]) -> Option<Format> {
    let has = |name: &str| headers.iter().any(|h| h.eq_ignore_ascii_case(name));
    let known_share = |s: CtdcSchema| {
        let known = headers
            .iter()
            .filter(|h| crosswalk::column(s, h).is_some())
            .count();
        known as f64 / headers.len().max(1) as f64
    };
    if has("IP_Exploiter") || (has("yearRegister") && has("UN_COO_Region")) {
        return Some(Format::Ctdc(CtdcSchema::VictimPerpetrator));
    }
    if has("meansDebtBondageEarnings") || has("meansAbusePsyPhySex") {
        return Some(Format::Ctdc(CtdcSchema::Synthetic2024));
    }
    if has("yearOfRegistration") && (has("meansOfControlDebtBondage") || has("isForcedLabour")) {
        let s = if has("Datasource") || headers.iter().any(|h| h.ends_with("Concatenated")) {
            CtdcSchema::Kanon2018
        } else {
            CtdcSchema::Synthetic2021
        };
        if known_share(s) >= 0.8 {
            return Some(Format::Ctdc(s));
        }
    }
    let htcds = headers.iter().filter(|h| htcds::is_htcds_name(h)).count();
    if htcds * 2 >= headers.iter().filter(|h| !h.is_empty()).count().max(1) && htcds > 0 {
        let odk_meta = headers.iter().any(|h| {
            let l = h.to_ascii_lowercase();
            l.starts_with('_')
                || l.contains('/')
                || matches!(
                    l.as_str(),
                    "start"
                        | "end"
                        | "today"
                        | "deviceid"
                        | "instanceid"
                        | "key"
                        | "submissiondate"
                )
        });
        return Some(if odk_meta {
            Format::HtcdsXlsform
        } else {
            Format::HtcdsTemplate
        });
    }
    None
}

/// The published spelling of a CTDC header, or the header itself when the schema lacks it.
fn canonical_ctdc_name(s: CtdcSchema, h: &str) -> String {
    crosswalk::published_name(s, h)
        .map(str::to_string)
        .unwrap_or_else(|| h.trim().to_string())
}

#[derive(Debug, Clone)]
enum Missing {
    Ctdc(CtdcSchema),
    List(Vec<String>),
}

#[derive(Debug, Clone)]
struct PlanColumn {
    name: String,
    target: Target,
    missing: Missing,
    /// published (normalised with `normalise_value`) → code
    values: Vec<(String, String)>,
    separator: Option<char>,
    format: ValueFormat,
    /// an `hte_` column whose event type follows the row's `hte_Type`
    follows_event_type: bool,
}

struct Plan {
    columns: Vec<PlanColumn>,
    ctdc: Option<(CtdcSchema, Vec<CtdcColumn>)>,
    hte_type: Option<usize>,
    skip_label_rows: bool,
}

fn plan(
    file: &str,
    format: &Format,
    headers: &[String],
    summary: &mut ImportSummary,
) -> Result<Plan, IngestError> {
    let name_of = |i: usize| {
        let h = headers[i].trim();
        if h.is_empty() {
            format!("column {}", i + 1)
        } else {
            h.to_string()
        }
    };
    let mut columns = Vec::with_capacity(headers.len());
    let mut ctdc = None;
    let mut hte_type = None;
    match format {
        Format::Ctdc(s) => {
            let mut specs = Vec::new();
            for (i, h) in headers.iter().enumerate() {
                let canon = canonical_ctdc_name(*s, h);
                let (target, values, separator) = match crosswalk::column(*s, &canon) {
                    Some(c) => {
                        let v = c
                            .values
                            .iter()
                            .map(|(p, m)| (normalise_value(p), m.to_string()))
                            .collect();
                        let t = c.target.clone();
                        let sep = c.separator;
                        specs.push(c);
                        (t, v, sep)
                    }
                    None => {
                        summary.unmapped_columns.push(name_of(i));
                        (Target::Extra, Vec::new(), None)
                    }
                };
                columns.push(PlanColumn {
                    name: name_of(i),
                    target,
                    missing: Missing::Ctdc(*s),
                    values,
                    separator,
                    format: ValueFormat::default(),
                    follows_event_type: false,
                });
            }
            let found: Vec<String> = headers.iter().map(|h| canonical_ctdc_name(*s, h)).collect();
            let key = ["yearOfRegistration", "yearRegister", "gender"];
            let missing: Vec<&str> = s
                .columns()
                .iter()
                .copied()
                .filter(|c| key.contains(c) && !found.iter().any(|f| f == c))
                .collect();
            if !missing.is_empty() && !found.iter().any(|f| key.contains(&f.as_str())) {
                return Err(IngestError::MissingColumns {
                    file: file.into(),
                    format: s.name().into(),
                    missing: missing.join(", "),
                    found: headers.join(", "),
                });
            }
            ctdc = Some((*s, specs));
        }
        Format::HtcdsTemplate | Format::HtcdsXlsform => {
            let xlsform = matches!(format, Format::HtcdsXlsform);
            for (i, h) in headers.iter().enumerate() {
                let target = match htcds::target_of(h) {
                    Some(t) => t,
                    None if h.trim().is_empty() => Target::Ignore,
                    None => {
                        summary.unmapped_columns.push(name_of(i));
                        Target::Extra
                    }
                };
                let last = h.rsplit(['/', ':']).next().unwrap_or(h);
                if normalise(last) == "htetype" {
                    hte_type = Some(i);
                }
                let separator = (xlsform && target.is_multi()).then_some(' ');
                columns.push(PlanColumn {
                    name: name_of(i),
                    follows_event_type: last.starts_with("hte_"),
                    target,
                    missing: Missing::List(vec![String::new(), "n/a".into()]),
                    values: Vec::new(),
                    separator,
                    format: ValueFormat::default(),
                });
            }
        }
        Format::Mapping(m, resolved) => {
            let mut missing_cols = Vec::new();
            for r in resolved {
                if !r.optional && !headers.iter().any(|h| h.trim() == r.source.trim()) {
                    missing_cols.push(r.source.clone());
                }
            }
            if !missing_cols.is_empty() {
                return Err(IngestError::MissingColumns {
                    file: file.into(),
                    format: format.name(),
                    missing: missing_cols.join(", "),
                    found: headers.join(", "),
                });
            }
            let global_missing: Vec<String> = m
                .source
                .missing
                .clone()
                .unwrap_or_else(|| vec![String::new()])
                .iter()
                .map(|s| normalise_value(s))
                .collect();
            let mut unmapped = Vec::new();
            for (i, h) in headers.iter().enumerate() {
                match resolved.iter().find(|r| r.source.trim() == h.trim()) {
                    Some(r) => columns.push(PlanColumn {
                        name: name_of(i),
                        target: r.target.clone(),
                        missing: Missing::List(r.missing.clone()),
                        values: r.values.clone(),
                        separator: r.separator,
                        format: r.format.clone(),
                        follows_event_type: false,
                    }),
                    None => {
                        unmapped.push(name_of(i));
                        columns.push(PlanColumn {
                            name: name_of(i),
                            target: match m.unmapped {
                                Unmapped::Ignore => Target::Ignore,
                                _ => Target::Extra,
                            },
                            missing: Missing::List(global_missing.clone()),
                            values: Vec::new(),
                            separator: None,
                            format: ValueFormat::default(),
                            follows_event_type: false,
                        })
                    }
                }
            }
            if m.unmapped == Unmapped::Error && !unmapped.is_empty() {
                return Err(IngestError::Unmapped {
                    file: file.into(),
                    mapping: m.name.clone(),
                    columns: unmapped.join(", "),
                });
            }
            summary.unmapped_columns = unmapped;
        }
    }
    summary.withheld_columns = columns
        .iter()
        .filter(|c| c.target == Target::Identifier)
        .map(|c| c.name.clone())
        .collect();
    Ok(Plan {
        skip_label_rows: matches!(format, Format::HtcdsTemplate),
        columns,
        ctdc,
        hte_type,
    })
}

/// A file opened for import: provenance known, rows to come.
pub struct Prepared {
    pub info: SourceInfo,
    file: String,
    plan: Plan,
    rows: Box<dyn RowSource>,
    /// Reused by every row: the reader fills it without allocating per cell.
    buf: read::RawRow,
    summary: ImportSummary,
    current_year: u16,
}

/// Open `path`, detect or apply its format and check its columns. Fails with a clear error when
/// the file cannot be read at all (encoding, truncated workbook, unknown layout).
pub fn prepare(path: &Path, opts: &ImportOptions) -> Result<Prepared, IngestError> {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let (sha256, bytes) = hash_file(path)?;
    let mut read_opts = opts.read.clone();
    let mapping = match &opts.mapping {
        Some(p) => {
            let (m, resolved) = Mapping::load(p)?;
            if read_opts.sheet.is_none() {
                read_opts.sheet = m.source.sheet.clone();
            }
            if read_opts.header_row.is_none() {
                read_opts.header_row = m.source.header_row;
            }
            if read_opts.delimiter.is_none() {
                read_opts.delimiter = m.source.delimiter.as_ref().and_then(|d| match d.as_str() {
                    "\\t" | "tab" => Some(b'\t'),
                    d => d.bytes().next(),
                });
            }
            if read_opts.encoding.is_none() {
                read_opts.encoding = m.source.encoding.clone();
            }
            Some(Format::Mapping(Box::new(m), resolved))
        }
        None => None,
    };
    let kind = match opts.kind {
        Some(k) => k,
        None => read::sniff_kind(path)?,
    };
    let rows = read::open_table(path, kind, &read_opts)?;
    let headers: Vec<String> = rows.headers().to_vec();
    let format = match (mapping, &opts.format) {
        (Some(m), _) => m,
        (None, Some(name)) => {
            Format::from_name(name).ok_or_else(|| IngestError::UnknownFormat {
                file: file.clone(),
                name: name.clone(),
                formats: FORMAT_NAMES.join(", "),
            })?
        }
        (None, None) => detect(&headers).ok_or_else(|| IngestError::Detect {
            file: file.clone(),
            headers: headers
                .iter()
                .take(12)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            formats: FORMAT_NAMES.join(", "),
        })?,
    };
    let mut summary = ImportSummary::default();
    let plan = plan(&file, &format, &headers, &mut summary)?;
    let info = SourceInfo {
        file_name: file.clone(),
        sha256,
        bytes,
        format: format.name(),
        container: kind.name().to_string(),
        sheet: rows.sheet().map(str::to_string),
        columns: headers,
        schema_version: SCHEMA_VERSION,
    };
    Ok(Prepared {
        info,
        file,
        plan,
        rows,
        buf: read::RawRow {
            number: 0,
            cells: Vec::new(),
        },
        summary,
        current_year: current_year(),
    })
}

fn current_year() -> u16 {
    use chrono::Datelike;
    chrono::Utc::now().year() as u16
}

impl Prepared {
    pub fn summary(&self) -> &ImportSummary {
        &self.summary
    }
    pub fn into_summary(self) -> ImportSummary {
        self.summary
    }
    pub fn bytes_read(&self) -> Option<u64> {
        self.rows.bytes_read()
    }
    pub fn rows_hint(&self) -> Option<u64> {
        self.rows.rows_hint()
    }

    /// The next row, validated. Read errors mid-file (bad encoding at line N) abort the import.
    pub fn next_row(&mut self) -> Result<Option<ImportedRow>, IngestError> {
        loop {
            if !self.rows.read_row_into(&mut self.buf)? {
                return Ok(None);
            }
            if self.plan.skip_label_rows && self.is_label_row(&self.buf.cells) {
                self.summary.label_rows_skipped += 1;
                continue;
            }
            if self.only_ignored_cells(&self.buf.cells) {
                // e.g. the template's pre-numbered empty rows: an index number is not data
                continue;
            }
            let raw = RawCells::from_cells(&self.buf.cells);
            let out = self.process(self.buf.number, raw);
            self.summary.add_row(&out);
            return Ok(Some(out));
        }
    }

    fn only_ignored_cells(&self, cells: &[String]) -> bool {
        cells.len() <= self.plan.columns.len()
            && cells
                .iter()
                .zip(&self.plan.columns)
                .all(|(c, col)| col.target == Target::Ignore || c.trim().is_empty())
    }

    fn is_label_row(&self, cells: &[String]) -> bool {
        let mut same = 0;
        let mut nonempty = 0;
        for (c, col) in cells.iter().zip(&self.plan.columns) {
            if c.trim().is_empty() {
                continue;
            }
            nonempty += 1;
            let field = col.name.split_once('_').map(|x| x.1).unwrap_or(&col.name);
            if normalise(c) == normalise(field) || col.target == Target::Ignore {
                same += 1;
            }
        }
        nonempty >= 3 && same * 2 >= nonempty
    }

    fn issue(
        &self,
        row: u64,
        column: &str,
        value: &str,
        rule: &str,
        hint: String,
        severity: Severity,
    ) -> ImportIssue {
        ImportIssue {
            file: self.file.clone(),
            row,
            column: column.to_string(),
            value: value.to_string(),
            rule: rule.to_string(),
            hint,
            severity,
        }
    }

    /// Validate one row.
    pub fn process(&self, number: u64, mut raw: RawCells) -> ImportedRow {
        let mut rec = CaseRecord::new();
        let mut issues = Vec::new();
        let width = self.plan.columns.len();
        if raw.len() != width {
            issues.push(self.issue(
                number,
                "",
                &format!("{} cells", raw.len()),
                "row.ragged",
                format!(
                    "the row has {} cells but the header has {width}; check quoting and delimiters around this line",
                    raw.len()
                ),
                Severity::Error,
            ));
        }
        let event_type = self
            .plan
            .hte_type
            .and_then(|i| raw.get(i))
            .and_then(EventType::parse);
        let mut withheld = Vec::new();
        for (i, col) in self.plan.columns.iter().enumerate() {
            let Some(cell) = raw.get(i) else { continue };
            match col.target {
                Target::Identifier => {
                    if !cell.trim().is_empty() {
                        withheld.push(i);
                    }
                    continue;
                }
                Target::Ignore | Target::Derived => continue,
                _ => {}
            }
            if self.is_missing(col, cell) {
                continue;
            }
            let target = match (&col.target, event_type) {
                (t, Some(et)) if col.follows_event_type => retarget(t, et),
                (t, _) => t.clone(),
            };
            let apply_part = |part: &str, rec: &mut CaseRecord, issues: &mut Vec<ImportIssue>| {
                let value = if col.values.is_empty() {
                    part
                } else {
                    let key = normalise_value(part);
                    col.values
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map(|(_, v)| v.as_str())
                        .unwrap_or(part)
                };
                if let Err(v) = field::apply(rec, &target, &col.name, value, &col.format) {
                    issues.push(self.issue(
                        number,
                        &col.name,
                        part,
                        v.rule,
                        v.hint,
                        Severity::Error,
                    ));
                }
            };
            match col.separator {
                Some(sep) => {
                    for part in cell.split(sep).map(str::trim).filter(|p| !p.is_empty()) {
                        if !self.is_missing(col, part) {
                            apply_part(part, &mut rec, &mut issues);
                        }
                    }
                }
                None => apply_part(cthub_standard::vocab::trim(cell), &mut rec, &mut issues),
            }
        }
        if let Some((schema, specs)) = &self.plan.ctdc {
            crosswalk::complete_flag_families(*schema, specs, &mut rec);
        }
        crosswalk::derive(&mut rec);
        self.check(number, &rec, &mut issues);
        for i in withheld {
            raw.set(i, WITHHELD);
        }
        let rejected = issues.iter().any(|i| i.severity == Severity::Error);
        ImportedRow {
            source_row: number,
            raw,
            record: (!rejected).then_some(rec),
            issues,
        }
    }

    fn is_missing(&self, col: &PlanColumn, cell: &str) -> bool {
        match &col.missing {
            Missing::Ctdc(s) => crosswalk::is_missing(*s, &col.target, cell),
            Missing::List(l) => {
                let t = cthub_standard::vocab::trim(cell);
                t.is_empty() || l.iter().any(|m| m.eq_ignore_ascii_case(t))
            }
        }
    }

    /// Cross-field rules. Impossible values reject the row; implausible combinations warn.
    fn check(&self, row: u64, rec: &CaseRecord, issues: &mut Vec<ImportIssue>) {
        use cthub_standard::vocab::{ExploitationType as E, Majority};
        if let Some(y) = rec.victim.registration {
            if y.to > self.current_year {
                issues.push(self.issue(
                    row,
                    "registration",
                    &y.to_string(),
                    "year.future",
                    format!("registration year is after {}", self.current_year),
                    Severity::Error,
                ));
            }
        }
        if let (Some(band), Some(m)) = (rec.person.age_band, rec.person.majority) {
            if band.majority().is_some_and(|bm| bm != m) {
                issues.push(self.issue(
                    row,
                    "majorityStatus",
                    m.code(),
                    "consistency.majority",
                    format!(
                        "age band {} implies {:?}",
                        band.label(),
                        band.majority().unwrap_or(Majority::Adult)
                    ),
                    Severity::Warning,
                ));
            }
        }
        let v = &rec.victim;
        if v.exploitation.get(&E::ForcedLabour) == Some(&false)
            && v.labour_activities.values().any(|&b| b)
        {
            issues.push(self.issue(
                row,
                "typeOfLabour",
                "1",
                "consistency.labour",
                "a forced-labour sector is set but forced labour is recorded as no".into(),
                Severity::Warning,
            ));
        }
        if v.exploitation.get(&E::SexualExploitation) == Some(&false)
            && v.sex_exploitation.values().any(|&b| b)
        {
            issues.push(self.issue(
                row,
                "typeOfSex",
                "1",
                "consistency.sex",
                "a type of sexual exploitation is set but sexual exploitation is recorded as no".into(),
                Severity::Warning,
            ));
        }
    }
}

fn retarget(t: &Target, et: EventType) -> Target {
    match t {
        Target::EventCountry(_) => Target::EventCountry(et),
        Target::EventState(_) => Target::EventState(et),
        Target::EventCity(_) => Target::EventCity(et),
        Target::EventDate(_) => Target::EventDate(et),
        Target::EventLatitude(_) => Target::EventLatitude(et),
        Target::EventLongitude(_) => Target::EventLongitude(et),
        Target::EventPlace(_) => Target::EventPlace(et),
        other => other.clone(),
    }
}
