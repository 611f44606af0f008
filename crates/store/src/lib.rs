//! cthub's stores: an embedded SQLite database (the default) and PostgreSQL, with the same
//! logical schema and the same behaviour (the test suite runs every test against both).
//!
//! A store holds *contributions* (one imported file each, with its provenance), the accepted
//! case records, the quarantined rows with their issues, every import issue, and an append-only
//! audit log (UPDATE, DELETE and, on PostgreSQL, TRUNCATE are refused by triggers). Every write
//! is logged: migrations (`migrate`) and committed imports (`import`, written in the import's
//! own transaction).
//!
//! # Locations
//!
//! [`open`] takes a location:
//!
//! * `postgres://…` or `postgresql://…` opens PostgreSQL. Besides the standard connection
//!   parameters, the URL may carry cthub's own `schema=<name>` query parameter: the store then
//!   lives in that schema (created if missing; lower-case letters, digits, `_`), exactly as with
//!   [`open_postgres_with_schema`]. The connection's `search_path` is set to that schema alone.
//!   Without it, the server's default search path applies (usually `public`). The driver's
//!   own `options=-csearch_path%3D<schema>` also works, but the schema must then exist.
//! * anything else is the path of a SQLite file, created if missing (its directory must exist).
//!   SQLite runs with WAL, `synchronous=NORMAL`, foreign keys, a 30 s busy timeout, a 64 MiB page
//!   cache and, for new files, 32 KiB pages (twice the bulk insert rate of 4 KiB pages for ~1 KB
//!   rows).
//!
//! [`Store::location`] never shows a password.
//!
//! # Imports
//!
//! [`Store::begin_import`] starts one database transaction for a whole file. Rows are streamed in
//! through [`ImportTx::add`]; [`ImportTx::commit`] makes them visible at once, together with the
//! contribution row and its audit entry. Dropping the [`ImportTx`] without committing (or the
//! process dying) leaves the store exactly as it was.
//!
//! Each accepted record is a narrow `case_record` row (id, provenance, the facts the headline
//! counts) plus one JSON line of the full record and one of its source cells in a zstd-compressed
//! *record segment* of up to 1,024 records (see `segment.rs`): an import writes about 150 bytes
//! per record instead of the ~1.4 KB of plain JSON rows.
//!
//! While an import runs, the store's connection belongs to a writer thread: `add` serialises the
//! row (the record's JSON exactly once) on the caller's thread into a batch of about 1 MiB, and
//! the writer compresses it into a segment and inserts whole batches — one cached prepared statement per table on SQLite, a
//! streaming `COPY … FROM STDIN` on PostgreSQL. Parsing and serialising therefore overlap with
//! database work, and memory stays bounded (a few batches in flight). A database error surfaces
//! from a later `add` or from `commit`.
use cthub_ingest::{ImportIssue, ImportSummary, ImportedRow, SourceInfo};
use cthub_standard::CaseRecord;
use serde::Serialize;

mod batch;
mod facts;
pub mod hub;
pub mod linkage;
mod migrations;
mod pg;
mod piped;
mod segment;
mod sql;
mod sqlite;

pub use migrations::{Migration, LATEST_VERSION, MIGRATIONS};
pub use pg::{open_postgres, open_postgres_with_schema, redact_url, PgStore};
pub use sql::{Sql, Val};
pub use sqlite::{open_sqlite, SqliteStore};

/// Everything that can go wrong in a store. Messages are meant for end users; they never contain
/// passwords.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "cannot connect to PostgreSQL at {target}: {} (is the server running? set CTHUB_DATABASE_URL)",
        pg::describe(.source)
    )]
    Connect {
        /// `host:port` (or socket directory), never credentials.
        target: String,
        #[source]
        source: postgres::Error,
    },
    #[error("invalid PostgreSQL location {location}: {reason}")]
    InvalidLocation { location: String, reason: String },
    #[error("invalid schema name {0:?}: use letters, digits and underscores (at most 63, not starting with a digit)")]
    InvalidSchema(String),
    #[error("this file was already imported as contribution {contribution_id} ({file})")]
    AlreadyImported { contribution_id: i64, file: String },
    #[error("cannot apply database migration {version} ({description}): {message}")]
    Migration {
        version: i64,
        description: String,
        message: String,
    },
    #[error(
        "the database schema is at version {found}, newer than this cthub supports ({supported}); upgrade cthub"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL error: {}", pg::describe(.0))]
    Postgres(#[from] postgres::Error),
    #[error("stored data cannot be read or written as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("the import was stopped by an earlier error: {0}")]
    ImportAborted(String),
    #[error("the database connection was lost after an internal error; open the store again")]
    ConnectionLost,
    #[error("internal error: {0}")]
    Internal(String),
    #[error("{0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("dataset {0:?} has no privacy budget; set one first (cthub ledger set-budget)")]
    NoBudget(String),
    #[error(
        "privacy budget of dataset {dataset:?} exceeded: budget rho = {budget}, already spent rho = {spent}, \
         this release needs rho = {requested}, remaining rho = {}",
        (budget - spent).max(0.0)
    )]
    BudgetExceeded {
        dataset: String,
        budget: f64,
        spent: f64,
        requested: f64,
    },
    #[error("invalid privacy amount: {0}")]
    InvalidPrivacyAmount(String),
    #[error("this GLOTIP file was already imported as GLOTIP import {id} ({file})")]
    GlotipAlreadyImported { id: i64, file: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Who contributes a file, and what the file is.
#[derive(Debug, Clone, PartialEq)]
pub struct ContributionMeta {
    pub organisation: String,
    pub imported_by: String,
    pub source: SourceInfo,
    /// The rows are synthetic (generated, demo or differentially private data), not real cases.
    pub synthetic: bool,
}

/// One committed import: provenance and counts.
///
/// Row counts (`rows_read`, `rows_accepted`, `rows_quarantined`, `issues` = errors, `warnings`)
/// are what the store actually received through [`ImportTx::add`]; the caller's
/// [`ImportSummary`] is kept verbatim as well (see [`Contribution::summary`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub id: i64,
    pub organisation: String,
    /// The organisation's id: access is scoped by it, never by the name.
    pub organisation_id: i64,
    pub file_name: String,
    pub sha256: String,
    pub bytes: u64,
    pub format: String,
    pub container: String,
    pub sheet: Option<String>,
    pub columns: Vec<String>,
    pub schema_version: u32,
    /// RFC 3339, UTC.
    pub imported_at: String,
    pub imported_by: String,
    pub synthetic: bool,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    /// Error-severity issues (the ones that quarantine rows).
    pub issues: u64,
    pub warnings: u64,
    /// The [`ImportSummary`] given at commit (rule and column totals, withheld columns, ...).
    pub summary: serde_json::Value,
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: serde_json::Value,
}

/// A rejected row, kept with its raw content and the issues that rejected it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantinedRow {
    pub contribution_id: i64,
    pub source_row: u64,
    pub raw: Vec<String>,
    pub issues: Vec<ImportIssue>,
}

/// An accepted record as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub id: i64,
    pub contribution_id: i64,
    pub source_row: u64,
    pub schema_version: u32,
    pub record: CaseRecord,
    pub raw: Vec<String>,
}

/// Row counts of the whole store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub records: u64,
    pub quarantined: u64,
    pub contributions: u64,
    /// Stored issues of severity `error`.
    pub issues: u64,
    /// Stored issues of severity `warning`.
    pub warnings: u64,
}

/// Headline figures over all accepted records, computed by SQL aggregates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Headline {
    pub records: u64,
    pub quarantined: u64,
    pub contributions: u64,
    /// Records that belong to synthetic contributions.
    pub synthetic_records: u64,
    /// Share of `Feminine` or `TransgenderFeminine` among records whose gender is known
    /// (`NonSpecifiedUnknown` counts as not known). `None` when no record has a known gender.
    pub female_share: Option<f64>,
    /// Share of minors among records whose majority is known (recorded, or implied by the age
    /// band or exact age).
    pub minor_share: Option<f64>,
    /// Records per exploitation family: `ForcedLabour`, `SexualExploitation`, `Other` (any other
    /// type), always in this order; a record can count in several.
    pub exploitation: Vec<(String, u64)>,
    /// The ten most frequent (citizenship, country of exploitation) pairs, alpha-2, domestic
    /// pairs included; ties by codes.
    pub top_flows: Vec<(String, String, u64)>,
    /// Share of domestic cases (citizenship = country of exploitation) among records with both known.
    pub domestic_share: Option<f64>,
    /// First and last registration year (`registration_from`).
    pub years: Option<(i64, i64)>,
    /// Records per registration year (`registration_from`), ascending.
    pub by_year: Vec<(i64, u64)>,
}

/// A dataset's privacy budget (zero-concentrated DP, ρ) and what has been spent on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrivacyAccount {
    /// The dataset's key, e.g. `store` (every record of this store), `contribution:3` or
    /// `file:<sha256>`.
    pub dataset: String,
    pub description: String,
    pub budget_rho: f64,
    pub spent_rho: f64,
    pub set_at: String,
    pub set_by: String,
    /// Every accepted charge, oldest first.
    pub charges: Vec<PrivacyCharge>,
}

/// One accepted charge of the privacy ledger (append-only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrivacyCharge {
    pub dataset: String,
    /// Position in the dataset's ledger, from 0.
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub rho: f64,
    pub purpose: String,
    /// What was released (kind, parameters, output files), as given by the caller.
    pub release: serde_json::Value,
}

/// Relative slack for floating-point sums of ρ (ten charges of 0.1 fit a budget of 1).
const RHO_SLACK: f64 = 1e-9;

/// Refuses spending `requested` on top of `spent` when it would exceed `budget` (ρ); the one
/// rule behind budget changes, charges and callers' early checks.
pub fn check_budget(dataset: &str, budget: f64, spent: f64, requested: f64) -> Result<()> {
    if spent + requested > budget * (1.0 + RHO_SLACK) {
        return Err(StoreError::BudgetExceeded {
            dataset: dataset.to_string(),
            budget,
            spent,
            requested,
        });
    }
    Ok(())
}

/// Checks a ρ given to the ledger.
pub(crate) fn check_rho(rho: f64) -> Result<()> {
    if rho.is_finite() && rho > 0.0 {
        Ok(())
    } else {
        Err(StoreError::InvalidPrivacyAmount(format!(
            "rho must be a finite number > 0, got {rho}"
        )))
    }
}

/// A stored GLOTIP import: the file's provenance, its accounting and its observations.
#[derive(Debug, Clone, Serialize)]
pub struct GlotipImport {
    pub id: i64,
    pub file_name: String,
    pub sha256: String,
    pub imported_at: String,
    pub imported_by: String,
    /// Every row of the file: stored, or quarantined with file, row, column, value and rule.
    pub accounting: cthub_glotip::Accounting,
}

/// The audit detail of a GLOTIP import.
pub(crate) fn glotip_audit_detail(g: &GlotipImport) -> serde_json::Value {
    let a = &g.accounting;
    serde_json::json!({
        "glotip_import": g.id,
        "file": g.file_name,
        "sha256": g.sha256,
        "rows_in": a.rows_in,
        "rows_stored": a.rows_stored,
        "rows_quarantined": a.rows_quarantined,
    })
}

/// A database holding cthub's data.
pub trait Store: Send {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
    /// The file path, or the URL without password.
    fn location(&self) -> String;
    /// The latest applied migration.
    fn schema_version(&mut self) -> Result<i64>;
    fn contribution_by_hash(&mut self, sha256: &str) -> Result<Option<Contribution>>;
    /// Begin a one-transaction import. Nothing is visible to other connections until commit;
    /// dropping the [`ImportTx`] without commit (or the process dying) rolls everything back.
    ///
    /// Fails with [`StoreError::AlreadyImported`] when a contribution with the same SHA-256
    /// exists (callers should check [`Store::contribution_by_hash`] first to say so earlier).
    fn begin_import<'a>(&'a mut self, meta: &ContributionMeta) -> Result<Box<dyn ImportTx + 'a>>;
    /// All contributions in id order.
    fn contributions(&mut self) -> Result<Vec<Contribution>>;
    /// Stream the accepted records (of one contribution, or all) in id order; returns how many
    /// were passed to `f`. An error from `f` stops the stream and is returned.
    fn for_each_record(
        &mut self,
        contribution: Option<i64>,
        f: &mut dyn FnMut(StoredRecord) -> Result<()>,
    ) -> Result<u64>;
    /// Quarantined rows (of one contribution, or all) in the order they were stored.
    fn quarantine(&mut self, contribution: Option<i64>) -> Result<Vec<QuarantinedRow>>;
    /// Every issue (errors and warnings) of a contribution, in the order they were stored.
    fn issues(&mut self, contribution: i64) -> Result<Vec<ImportIssue>>;
    /// The whole audit log in order.
    fn audit_log(&mut self) -> Result<Vec<AuditEntry>>;
    /// Append an entry to the audit log.
    fn record_audit(&mut self, actor: &str, action: &str, detail: serde_json::Value) -> Result<()>;
    fn counts(&mut self) -> Result<Counts>;
    fn headline(&mut self) -> Result<Headline>;

    /// Sets a dataset's total privacy budget (creating its account). Lowering it below what is
    /// already spent is refused with [`StoreError::BudgetExceeded`]. Audited.
    fn set_privacy_budget(
        &mut self,
        dataset: &str,
        description: &str,
        rho: f64,
        actor: &str,
    ) -> Result<PrivacyAccount>;
    /// A dataset's account with all its charges, or `None` when it has no budget.
    fn privacy_account(&mut self, dataset: &str) -> Result<Option<PrivacyAccount>>;
    /// Every account, by dataset key.
    fn privacy_accounts(&mut self) -> Result<Vec<PrivacyAccount>>;
    /// Charges `rho` to a dataset in one transaction that checks the remaining budget under a
    /// lock: two concurrent releases can never spend more than the budget together. Refused
    /// with [`StoreError::NoBudget`] or [`StoreError::BudgetExceeded`], leaving the ledger as it
    /// was. Audited.
    fn charge_privacy(
        &mut self,
        dataset: &str,
        rho: f64,
        purpose: &str,
        release: &serde_json::Value,
        actor: &str,
    ) -> Result<PrivacyCharge>;

    /// Stores an imported GLOTIP file in one transaction (observations and accounting), with an
    /// audit entry. A file whose SHA-256 is already stored is refused with
    /// [`StoreError::AlreadyImported`].
    fn save_glotip(
        &mut self,
        file_name: &str,
        sha256: &str,
        imported_by: &str,
        data: &cthub_glotip::Glotip,
    ) -> Result<GlotipImport>;
    /// Every GLOTIP import, oldest first (without observations).
    fn glotip_imports(&mut self) -> Result<Vec<GlotipImport>>;
    /// The observations and accounting of one import (the newest when `None`).
    fn load_glotip(&mut self, import: Option<i64>) -> Result<Option<cthub_glotip::Glotip>>;

    /// Runs `f` in one transaction (committed when `f` returns `Ok`, rolled back otherwise)
    /// through the backend-neutral [`Sql`] interface. The hub's own tables ([`hub`]) use it.
    fn with_sql(&mut self, f: &mut dyn FnMut(&mut dyn Sql) -> Result<()>) -> Result<()>;
}

/// One import in progress (one database transaction).
pub trait ImportTx {
    /// The id the contribution will have once committed.
    fn contribution_id(&self) -> i64;
    /// Store one row: an accepted row becomes a case record, a row without record goes to
    /// quarantine. Every issue of the row (errors and warnings) is stored too.
    fn add(&mut self, row: &ImportedRow) -> Result<()>;
    /// Finish the contribution (counts, summary, audit entry) and commit everything at once.
    fn commit(self: Box<Self>, summary: &ImportSummary) -> Result<Contribution>;
    /// As [`ImportTx::commit`], and in the same transaction mark the staged upload `upload`
    /// committed with this contribution (its content deleted, an audit entry by `actor`).
    /// [`StoreError::Conflict`] and nothing stored when the upload is no longer awaiting a
    /// decision (committed or discarded meanwhile).
    fn commit_upload(
        self: Box<Self>,
        summary: &ImportSummary,
        upload: i64,
        actor: &str,
    ) -> Result<Contribution>;
}

/// Open a store by location: `postgres://…`/`postgresql://…` is PostgreSQL (see the crate
/// documentation for the `schema` parameter), anything else a SQLite file path (created if
/// missing). Pending migrations are applied.
pub fn open(location: &str) -> Result<Box<dyn Store>> {
    if is_postgres_url(location) {
        Ok(Box::new(open_postgres(location)?))
    } else {
        Ok(Box::new(open_sqlite(location)?))
    }
}

/// Whether a location names a PostgreSQL server.
pub fn is_postgres_url(location: &str) -> bool {
    let l = location.trim_start();
    ["postgres://", "postgresql://"]
        .iter()
        .any(|p| l.len() >= p.len() && l[..p.len()].eq_ignore_ascii_case(p))
}

/// Current time as RFC 3339 UTC with microseconds (sorts as text).
pub(crate) fn now() -> String {
    at_offset(0)
}

/// The time `seconds` from now (negative: ago), as [`now`] writes it (sorts as text).
pub(crate) fn at_offset(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The audit detail of a committed import.
pub(crate) fn import_audit_detail(c: &Contribution) -> serde_json::Value {
    serde_json::json!({
        "contribution": c.id,
        "organisation": c.organisation,
        "file": c.file_name,
        "sha256": c.sha256,
        "format": c.format,
        "synthetic": c.synthetic,
        "rows_read": c.rows_read,
        "rows_accepted": c.rows_accepted,
        "rows_quarantined": c.rows_quarantined,
        "issues": c.issues,
        "warnings": c.warnings,
    })
}

/// A contribution row as read from either backend, before conversion.
pub(crate) struct ContributionRow {
    pub id: i64,
    pub organisation: String,
    pub file_name: String,
    pub sha256: String,
    pub bytes: i64,
    pub format: String,
    pub container: String,
    pub sheet: Option<String>,
    pub columns: String,
    pub schema_version: i64,
    pub imported_at: String,
    pub imported_by: String,
    pub synthetic: bool,
    /// rows_read, rows_accepted, rows_quarantined, issues, warnings.
    pub counts: [i64; 5],
    pub summary: String,
    pub organisation_id: i64,
}

impl ContributionRow {
    pub fn into_contribution(self) -> Result<Contribution> {
        let [read, accepted, quarantined, issues, warnings] = self.counts;
        Ok(Contribution {
            id: self.id,
            organisation: self.organisation,
            organisation_id: self.organisation_id,
            file_name: self.file_name,
            sha256: self.sha256,
            bytes: to_u64(self.bytes, "byte count")?,
            format: self.format,
            container: self.container,
            sheet: self.sheet,
            columns: serde_json::from_str(&self.columns)?,
            schema_version: to_u32(self.schema_version, "schema version")?,
            imported_at: self.imported_at,
            imported_by: self.imported_by,
            synthetic: self.synthetic,
            rows_read: to_u64(read, "row count")?,
            rows_accepted: to_u64(accepted, "row count")?,
            rows_quarantined: to_u64(quarantined, "row count")?,
            issues: to_u64(issues, "issue count")?,
            warnings: to_u64(warnings, "warning count")?,
            summary: serde_json::from_str(&self.summary)?,
        })
    }
}

/// Counters an import keeps while rows stream in.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct RowCounts {
    pub accepted: u64,
    pub quarantined: u64,
    pub errors: u64,
    pub warnings: u64,
}

impl RowCounts {
    pub fn count(&mut self, row: &ImportedRow) {
        if row.record.is_some() {
            self.accepted += 1;
        } else {
            self.quarantined += 1;
        }
        for i in &row.issues {
            match i.severity {
                cthub_ingest::Severity::Error => self.errors += 1,
                cthub_ingest::Severity::Warning => self.warnings += 1,
            }
        }
    }
}

pub(crate) fn severity_code(s: cthub_ingest::Severity) -> &'static str {
    match s {
        cthub_ingest::Severity::Error => "error",
        cthub_ingest::Severity::Warning => "warning",
    }
}

pub(crate) fn parse_severity(s: &str) -> Result<cthub_ingest::Severity> {
    match s {
        "error" => Ok(cthub_ingest::Severity::Error),
        "warning" => Ok(cthub_ingest::Severity::Warning),
        other => Err(StoreError::Corrupt(format!(
            "unknown issue severity {other:?}"
        ))),
    }
}

pub(crate) fn to_u64(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative {what}: {v}")))
}

pub(crate) fn to_u32(v: i64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} out of range: {v}")))
}

pub(crate) fn to_i64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} too large: {v}")))
}

pub(crate) fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The headline queries, written so that the same text runs on SQLite and PostgreSQL.
pub(crate) mod headline_sql {
    pub const TOTALS: &str = "SELECT CAST(COUNT(*) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN gender IN ('Feminine', 'TransgenderFeminine') THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN gender IS NOT NULL AND gender <> 'NonSpecifiedUnknown' THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN majority = 'Minor' THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COUNT(majority) AS BIGINT), \
        CAST(COALESCE(SUM(is_forced_labour), 0) AS BIGINT), \
        CAST(COALESCE(SUM(is_sexual_exploitation), 0) AS BIGINT), \
        CAST(COALESCE(SUM(is_other_exploitation), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN citizenship = country_of_exploitation THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN citizenship IS NOT NULL AND country_of_exploitation IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(MIN(registration_from) AS BIGINT), \
        CAST(MAX(registration_from) AS BIGINT) \
        FROM case_record";
    /// PostgreSQL only: SQLite counts flows in one scan (a GROUP BY there sorts every row).
    pub const TOP_FLOWS: &str =
        "SELECT citizenship, country_of_exploitation, CAST(COUNT(*) AS BIGINT) AS n \
        FROM case_record WHERE citizenship IS NOT NULL AND country_of_exploitation IS NOT NULL \
        GROUP BY citizenship, country_of_exploitation \
        ORDER BY n DESC, citizenship, country_of_exploitation LIMIT 10";
    /// PostgreSQL only (see [`TOP_FLOWS`]).
    pub const BY_YEAR: &str = "SELECT CAST(registration_from AS BIGINT), CAST(COUNT(*) AS BIGINT) \
        FROM case_record WHERE registration_from IS NOT NULL \
        GROUP BY registration_from ORDER BY registration_from";
    pub const OTHERS: &str = "SELECT \
        (SELECT CAST(COUNT(*) AS BIGINT) FROM quarantine), \
        (SELECT CAST(COUNT(*) AS BIGINT) FROM contribution), \
        (SELECT CAST(COUNT(*) AS BIGINT) FROM case_record WHERE contribution_id IN \
            (SELECT id FROM contribution WHERE synthetic = TRUE))";
    pub const COUNTS: &str = "SELECT \
        (SELECT CAST(COUNT(*) AS BIGINT) FROM case_record), \
        (SELECT CAST(COUNT(*) AS BIGINT) FROM quarantine), \
        (SELECT CAST(COUNT(*) AS BIGINT) FROM contribution), \
        i.errors, i.warnings \
        FROM (SELECT \
            CAST(COALESCE(SUM(CASE WHEN severity = 'error' THEN 1 ELSE 0 END), 0) AS BIGINT) AS errors, \
            CAST(COALESCE(SUM(CASE WHEN severity = 'warning' THEN 1 ELSE 0 END), 0) AS BIGINT) AS warnings \
            FROM import_issue) i";
}

/// Assemble a [`Headline`] from the results of the [`headline_sql`] queries.
pub(crate) fn build_headline(
    totals: [Option<i64>; 12],
    others: [i64; 3],
    top_flows: Vec<(String, String, i64)>,
    by_year: Vec<(i64, i64)>,
) -> Result<Headline> {
    use cthub_standard::vocab::{ExploitationType, Vocab};
    let t = |i: usize| totals[i].unwrap_or(0);
    let years = match (totals[10], totals[11]) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    Ok(Headline {
        records: to_u64(t(0), "count")?,
        quarantined: to_u64(others[0], "count")?,
        contributions: to_u64(others[1], "count")?,
        synthetic_records: to_u64(others[2], "count")?,
        female_share: share(t(1), t(2)),
        minor_share: share(t(3), t(4)),
        exploitation: vec![
            (
                ExploitationType::ForcedLabour.code().to_string(),
                to_u64(t(5), "count")?,
            ),
            (
                ExploitationType::SexualExploitation.code().to_string(),
                to_u64(t(6), "count")?,
            ),
            (
                ExploitationType::Other.code().to_string(),
                to_u64(t(7), "count")?,
            ),
        ],
        top_flows: top_flows
            .into_iter()
            .map(|(a, b, n)| Ok((a, b, to_u64(n, "count")?)))
            .collect::<Result<_>>()?,
        domestic_share: share(t(8), t(9)),
        years,
        by_year: by_year
            .into_iter()
            .map(|(y, n)| Ok((y, to_u64(n, "count")?)))
            .collect::<Result<_>>()?,
    })
}
