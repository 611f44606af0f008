//! The embedded SQLite store (the default).

use std::time::Duration;

use cthub_ingest::{ImportIssue, ImportSummary, ImportedRow};
use rusqlite::{params, CachedStatement, Connection, ErrorCode, OptionalExtension, Row};

use crate::facts::Facts;
use crate::migrations::{self, MIGRATIONS, SQLITE_MIGRATIONS_TABLE};
use crate::{
    build_headline, headline_sql, import_audit_detail, now, parse_severity, severity_code, to_u32,
    to_u64, AuditEntry, Contribution, ContributionMeta, Counts, Headline, ImportTx, QuarantinedRow,
    Result, RowCounts, Store, StoreError, StoredRecord, LATEST_VERSION,
};

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A cthub store in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: String,
}

/// Open (creating if missing) a SQLite store and apply pending migrations.
///
/// The connection uses WAL journaling, `synchronous=NORMAL`, foreign keys, a 30 s busy timeout
/// and a 64 MiB page cache.
pub fn open_sqlite(path: &str) -> Result<SqliteStore> {
    let open_err = |source| StoreError::Open {
        path: path.to_string(),
        source,
    };
    let conn = Connection::open(path).map_err(open_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
    // Large pages suit the ~1 KB rows and bulk imports (about twice the insert rate of 4 KiB
    // pages). Only takes effect on a new, empty database, so it must come before WAL.
    conn.execute_batch("PRAGMA page_size = 32768")
        .map_err(open_err)?;
    // The first statement that reads the file: a non-database file fails here.
    let _mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(open_err)?;
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -65536;
         PRAGMA temp_store = MEMORY;
         PRAGMA journal_size_limit = 67108864;",
    )
    .map_err(open_err)?;
    let mut store = SqliteStore {
        conn,
        path: path.to_string(),
    };
    store.migrate()?;
    Ok(store)
}

impl SqliteStore {
    /// The underlying connection (for maintenance tools and tests).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn applied_versions(conn: &Connection) -> Result<Vec<i64>> {
        let exists: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
            [],
            |r| r.get(0),
        )?;
        if !exists {
            return Ok(Vec::new());
        }
        let mut st = conn.prepare("SELECT version FROM schema_migrations ORDER BY version")?;
        let v = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(v)
    }

    /// Apply every missing migration, each in its own transaction. Cheap and lock-free when
    /// nothing is missing, so readers can open the store while an import runs.
    fn migrate(&mut self) -> Result<()> {
        let applied = Self::applied_versions(&self.conn)?;
        if let Some(&max) = applied.last() {
            if max > LATEST_VERSION {
                return Err(StoreError::NewerSchema {
                    found: max,
                    supported: LATEST_VERSION,
                });
            }
        }
        if MIGRATIONS.iter().all(|m| applied.contains(&m.version)) {
            return Ok(());
        }
        if applied.is_empty() {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute_batch(SQLITE_MIGRATIONS_TABLE)?;
            tx.commit()?;
        }
        for m in MIGRATIONS {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            // Re-check under the write lock: another process may have migrated meanwhile.
            let done: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM schema_migrations WHERE version = ?1)",
                [m.version],
                |r| r.get(0),
            )?;
            if done {
                continue;
            }
            let fail = |e: rusqlite::Error| StoreError::Migration {
                version: m.version,
                description: m.description.to_string(),
                message: e.to_string(),
            };
            tx.execute_batch(m.sqlite).map_err(fail)?;
            let at = now();
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at, description) VALUES (?1, ?2, ?3)",
                params![m.version, at, m.description],
            )
            .map_err(fail)?;
            insert_audit(
                &tx,
                &at,
                migrations::MIGRATION_ACTOR,
                "migrate",
                &migrations::audit_detail(m),
            )?;
            tx.commit()?;
        }
        Ok(())
    }
}

fn insert_audit(
    conn: &Connection,
    at: &str,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
        params![at, actor, action, serde_json::to_string(detail)?],
    )?;
    Ok(())
}

const CONTRIBUTION_SELECT: &str = "SELECT c.id, o.name, c.file_name, c.sha256, c.bytes, c.format, \
    c.container, c.sheet, c.columns, c.schema_version, c.imported_at, c.imported_by, c.synthetic, \
    c.rows_read, c.rows_accepted, c.rows_quarantined, c.issues, c.warnings, c.summary \
    FROM contribution c JOIN organisation o ON o.id = c.organisation_id";

/// The raw column values of a contribution row, converted outside rusqlite's row closure so
/// that conversion errors are [`StoreError`]s.
fn contribution_from_row(r: &Row<'_>) -> rusqlite::Result<ContributionRow> {
    Ok(ContributionRow {
        id: r.get(0)?,
        organisation: r.get(1)?,
        file_name: r.get(2)?,
        sha256: r.get(3)?,
        bytes: r.get(4)?,
        format: r.get(5)?,
        container: r.get(6)?,
        sheet: r.get(7)?,
        columns: r.get(8)?,
        schema_version: r.get(9)?,
        imported_at: r.get(10)?,
        imported_by: r.get(11)?,
        synthetic: r.get(12)?,
        counts: [r.get(13)?, r.get(14)?, r.get(15)?, r.get(16)?, r.get(17)?],
        summary: r.get(18)?,
    })
}

/// A contribution row as stored, shared by both backends.
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
}

impl ContributionRow {
    pub fn into_contribution(self) -> Result<Contribution> {
        let [read, accepted, quarantined, issues, warnings] = self.counts;
        Ok(Contribution {
            id: self.id,
            organisation: self.organisation,
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

fn contribution_where(conn: &Connection, cond: &str, param: &dyn rusqlite::ToSql) -> Result<Option<Contribution>> {
    let sql = format!("{CONTRIBUTION_SELECT} WHERE {cond}");
    conn.query_row(&sql, [param], contribution_from_row)
        .optional()?
        .map(ContributionRow::into_contribution)
        .transpose()
}

/// A text column borrowed from the row (no copy of the JSON).
fn text_at<'r>(r: &'r Row<'_>, i: usize) -> Result<&'r str> {
    r.get_ref(i)?
        .as_str()
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation
        && f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn location(&self) -> String {
        self.path.clone()
    }

    fn schema_version(&mut self) -> Result<i64> {
        Ok(Self::applied_versions(&self.conn)?.last().copied().unwrap_or(0))
    }

    fn contribution_by_hash(&mut self, sha256: &str) -> Result<Option<Contribution>> {
        contribution_where(&self.conn, "c.sha256 = ?1", &sha256)
    }

    fn begin_import<'a>(&'a mut self, meta: &ContributionMeta) -> Result<Box<dyn ImportTx + 'a>> {
        let conn: &'a Connection = &self.conn;
        if !conn.is_autocommit() {
            // A transaction left open by an earlier failure: discard it.
            conn.execute_batch("ROLLBACK")?;
        }
        conn.execute_batch("BEGIN IMMEDIATE")?;
        match start_import(conn, meta) {
            Ok(tx) => Ok(Box::new(tx)),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                if let StoreError::Sqlite(se) = &e {
                    if is_unique_violation(se) {
                        if let Some(c) = contribution_where(conn, "c.sha256 = ?1", &meta.source.sha256)? {
                            return Err(StoreError::AlreadyImported {
                                contribution_id: c.id,
                                file: c.file_name,
                            });
                        }
                    }
                }
                Err(e)
            }
        }
    }

    fn contributions(&mut self) -> Result<Vec<Contribution>> {
        let mut st = self
            .conn
            .prepare(&format!("{CONTRIBUTION_SELECT} ORDER BY c.id"))?;
        let rows = st
            .query_map([], contribution_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(ContributionRow::into_contribution).collect()
    }

    fn for_each_record(
        &mut self,
        contribution: Option<i64>,
        f: &mut dyn FnMut(StoredRecord) -> Result<()>,
    ) -> Result<u64> {
        const COLS: &str = "SELECT id, contribution_id, source_row, schema_version, record, raw FROM case_record";
        let mut st;
        let mut rows = match contribution {
            Some(c) => {
                st = self
                    .conn
                    .prepare(&format!("{COLS} WHERE contribution_id = ?1 ORDER BY id"))?;
                st.query([c])?
            }
            None => {
                st = self.conn.prepare(&format!("{COLS} ORDER BY id"))?;
                st.query([])?
            }
        };
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let record = serde_json::from_str(text_at(r, 4)?)?;
            let raw = serde_json::from_str(text_at(r, 5)?)?;
            f(StoredRecord {
                id: r.get(0)?,
                contribution_id: r.get(1)?,
                source_row: to_u64(r.get(2)?, "source row")?,
                schema_version: to_u32(r.get(3)?, "schema version")?,
                record,
                raw,
            })?;
            n += 1;
        }
        Ok(n)
    }

    fn quarantine(&mut self, contribution: Option<i64>) -> Result<Vec<QuarantinedRow>> {
        const COLS: &str = "SELECT contribution_id, source_row, raw, issues FROM quarantine";
        let map = |r: &Row<'_>| -> rusqlite::Result<(i64, i64, String, String)> {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        };
        let rows = match contribution {
            Some(c) => self
                .conn
                .prepare(&format!("{COLS} WHERE contribution_id = ?1 ORDER BY id"))?
                .query_map([c], map)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            None => self
                .conn
                .prepare(&format!("{COLS} ORDER BY id"))?
                .query_map([], map)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        };
        rows.into_iter()
            .map(|(c, row, raw, issues)| {
                Ok(QuarantinedRow {
                    contribution_id: c,
                    source_row: to_u64(row, "source row")?,
                    raw: serde_json::from_str(&raw)?,
                    issues: serde_json::from_str(&issues)?,
                })
            })
            .collect()
    }

    fn issues(&mut self, contribution: i64) -> Result<Vec<ImportIssue>> {
        let mut st = self.conn.prepare(
            "SELECT c.file_name, i.source_row, i.column_name, i.value, i.rule, i.hint, i.severity \
             FROM import_issue i JOIN contribution c ON c.id = i.contribution_id \
             WHERE i.contribution_id = ?1 ORDER BY i.id",
        )?;
        let rows = st
            .query_map([contribution], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(file, row, column, value, rule, hint, severity)| {
                Ok(ImportIssue {
                    file,
                    row: to_u64(row, "source row")?,
                    column,
                    value,
                    rule,
                    hint,
                    severity: parse_severity(&severity)?,
                })
            })
            .collect()
    }

    fn audit_log(&mut self) -> Result<Vec<AuditEntry>> {
        let mut st = self
            .conn
            .prepare("SELECT id, at, actor, action, detail FROM audit_log ORDER BY id")?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, at, actor, action, detail)| {
                Ok(AuditEntry {
                    id,
                    at,
                    actor,
                    action,
                    detail: serde_json::from_str(&detail)?,
                })
            })
            .collect()
    }

    fn record_audit(&mut self, actor: &str, action: &str, detail: serde_json::Value) -> Result<()> {
        insert_audit(&self.conn, &now(), actor, action, &detail)
    }

    fn counts(&mut self) -> Result<Counts> {
        let c: [i64; 5] = self.conn.query_row(headline_sql::COUNTS, [], |r| {
            Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])
        })?;
        Ok(Counts {
            records: to_u64(c[0], "count")?,
            quarantined: to_u64(c[1], "count")?,
            contributions: to_u64(c[2], "count")?,
            issues: to_u64(c[3], "count")?,
            warnings: to_u64(c[4], "count")?,
        })
    }

    fn headline(&mut self) -> Result<Headline> {
        // One read transaction, so that all figures describe the same state.
        let tx = self.conn.transaction()?;
        let totals: [Option<i64>; 12] = tx.query_row(headline_sql::TOTALS, [], |r| {
            let mut t = [None; 12];
            for (i, v) in t.iter_mut().enumerate() {
                *v = r.get(i)?;
            }
            Ok(t)
        })?;
        let others: [i64; 3] = tx.query_row(headline_sql::OTHERS, [], |r| {
            Ok([r.get(0)?, r.get(1)?, r.get(2)?])
        })?;
        let flows = tx
            .prepare(headline_sql::TOP_FLOWS)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let years = tx
            .prepare(headline_sql::BY_YEAR)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.finish()?;
        build_headline(totals, others, flows, years)
    }
}

const INSERT_RECORD: &str = "INSERT INTO case_record (contribution_id, source_row, schema_version, \
    registration_from, registration_to, data_source, gender, age_band, majority, citizenship, \
    country_of_exploitation, is_forced_labour, is_sexual_exploitation, is_other_exploitation, record, raw) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
const INSERT_QUARANTINE: &str =
    "INSERT INTO quarantine (contribution_id, source_row, raw, issues) VALUES (?1, ?2, ?3, ?4)";
const INSERT_ISSUE: &str = "INSERT INTO import_issue (contribution_id, source_row, column_name, value, \
    rule, hint, severity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Inside `BEGIN IMMEDIATE`: refuse duplicates, create the organisation and the contribution row,
/// prepare the insert statements.
fn start_import<'a>(conn: &'a Connection, meta: &ContributionMeta) -> Result<SqliteImportTx<'a>> {
    let s = &meta.source;
    if let Some(c) = contribution_where(conn, "c.sha256 = ?1", &s.sha256)? {
        return Err(StoreError::AlreadyImported {
            contribution_id: c.id,
            file: c.file_name,
        });
    }
    let at = now();
    conn.execute(
        "INSERT INTO organisation (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![meta.organisation, at],
    )?;
    let org: i64 = conn.query_row(
        "SELECT id FROM organisation WHERE name = ?1",
        [&meta.organisation],
        |r| r.get(0),
    )?;
    conn.execute(
        "INSERT INTO contribution (organisation_id, file_name, sha256, bytes, format, container, sheet, \
         columns, schema_version, imported_at, imported_by, synthetic) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            org,
            s.file_name,
            s.sha256,
            s.bytes,
            s.format,
            s.container,
            s.sheet,
            serde_json::to_string(&s.columns)?,
            s.schema_version,
            at,
            meta.imported_by,
            meta.synthetic,
        ],
    )?;
    let contribution_id = conn.last_insert_rowid();
    Ok(SqliteImportTx {
        conn,
        insert_record: conn.prepare_cached(INSERT_RECORD)?,
        insert_quarantine: conn.prepare_cached(INSERT_QUARANTINE)?,
        insert_issue: conn.prepare_cached(INSERT_ISSUE)?,
        contribution_id,
        counts: RowCounts::default(),
        json: Vec::with_capacity(4096),
        raw: Vec::with_capacity(4096),
        finished: false,
    })
}

/// An import on SQLite: a `BEGIN IMMEDIATE` transaction on the store's connection, rolled back
/// in `Drop` unless committed.
struct SqliteImportTx<'a> {
    conn: &'a Connection,
    insert_record: CachedStatement<'a>,
    insert_quarantine: CachedStatement<'a>,
    insert_issue: CachedStatement<'a>,
    contribution_id: i64,
    counts: RowCounts,
    /// Reused serialisation buffers.
    json: Vec<u8>,
    raw: Vec<u8>,
    finished: bool,
}

impl Drop for SqliteImportTx<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

fn utf8(b: &[u8]) -> Result<&str> {
    std::str::from_utf8(b).map_err(|e| StoreError::Corrupt(format!("JSON is not UTF-8: {e}")))
}

impl ImportTx for SqliteImportTx<'_> {
    fn contribution_id(&self) -> i64 {
        self.contribution_id
    }

    fn add(&mut self, row: &ImportedRow) -> Result<()> {
        let cid = self.contribution_id;
        self.raw.clear();
        serde_json::to_writer(&mut self.raw, &row.raw)?;
        self.json.clear();
        match &row.record {
            Some(rec) => {
                let f = Facts::of(rec);
                serde_json::to_writer(&mut self.json, rec)?;
                self.insert_record.execute(params![
                    cid,
                    row.source_row,
                    rec.schema_version,
                    f.registration_from,
                    f.registration_to,
                    f.data_source,
                    f.gender,
                    f.age_band,
                    f.majority,
                    f.citizenship,
                    f.country_of_exploitation,
                    f.forced_labour,
                    f.sexual_exploitation,
                    f.other_exploitation,
                    utf8(&self.json)?,
                    utf8(&self.raw)?,
                ])?;
            }
            None => {
                serde_json::to_writer(&mut self.json, &row.issues)?;
                self.insert_quarantine.execute(params![
                    cid,
                    row.source_row,
                    utf8(&self.raw)?,
                    utf8(&self.json)?,
                ])?;
            }
        }
        for i in &row.issues {
            self.insert_issue.execute(params![
                cid,
                i.row,
                i.column,
                i.value,
                i.rule,
                i.hint,
                severity_code(i.severity),
            ])?;
        }
        self.counts.count(row);
        Ok(())
    }

    fn commit(mut self: Box<Self>, summary: &ImportSummary) -> Result<Contribution> {
        let c = self.counts;
        let at = now();
        self.conn.execute(
            "UPDATE contribution SET imported_at = ?2, rows_read = ?3, rows_accepted = ?4, \
             rows_quarantined = ?5, issues = ?6, warnings = ?7, summary = ?8 WHERE id = ?1",
            params![
                self.contribution_id,
                at,
                c.accepted + c.quarantined,
                c.accepted,
                c.quarantined,
                c.errors,
                c.warnings,
                serde_json::to_string(summary)?,
            ],
        )?;
        let contribution = contribution_where(self.conn, "c.id = ?1", &self.contribution_id)?
            .ok_or_else(|| StoreError::Corrupt("the new contribution vanished".into()))?;
        let actor = contribution.imported_by.clone();
        insert_audit(
            self.conn,
            &at,
            &actor,
            "import",
            &import_audit_detail(&contribution),
        )?;
        self.conn.execute_batch("COMMIT")?;
        self.finished = true;
        Ok(contribution)
    }
}
