//! The embedded SQLite store (the default).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use cthub_ingest::ImportIssue;
use std::sync::atomic::Ordering;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};

use crate::batch::{Code2, Msg};
use crate::migrations::{self, MIGRATIONS, SQLITE_MIGRATIONS_TABLE};
use crate::piped::{self, WriterJob};
use crate::segment;
use crate::{
    build_headline, check_budget, check_rho, glotip_audit_detail, headline_sql,
    import_audit_detail, now, parse_severity, to_u32, to_u64, AuditEntry, Contribution,
    ContributionMeta, ContributionRow, Counts, GlotipImport, Headline, ImportTx, PrivacyAccount,
    PrivacyCharge, QuarantinedRow, Result, RowCounts, Store, StoreError, StoredRecord,
    LATEST_VERSION,
};

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A cthub store in one SQLite file.
pub struct SqliteStore {
    /// `None` only while an import's writer thread holds it (or after that thread panicked).
    conn: Option<Connection>,
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
    // Reading the file starts here: a file that is not a database fails now, with its path.
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
        conn: Some(conn),
        path: path.to_string(),
    };
    store.migrate()?;
    Ok(store)
}

impl SqliteStore {
    /// The underlying connection (for maintenance tools and tests).
    pub fn connection(&self) -> Result<&Connection> {
        self.conn.as_ref().ok_or(StoreError::ConnectionLost)
    }

    fn conn_mut(&mut self) -> Result<&mut Connection> {
        self.conn.as_mut().ok_or(StoreError::ConnectionLost)
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
        let conn = self.conn_mut()?;
        let applied = Self::applied_versions(conn)?;
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
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute_batch(SQLITE_MIGRATIONS_TABLE)?;
            tx.commit()?;
        }
        for m in MIGRATIONS {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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
    c.rows_read, c.rows_accepted, c.rows_quarantined, c.issues, c.warnings, c.summary, \
    c.organisation_id FROM contribution c JOIN organisation o ON o.id = c.organisation_id";

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
        organisation_id: r.get(19)?,
    })
}

fn contribution_where(
    conn: &Connection,
    cond: &str,
    param: &dyn rusqlite::ToSql,
) -> Result<Option<Contribution>> {
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

fn blob_at<'r>(r: &'r Row<'_>, i: usize) -> Result<&'r [u8]> {
    r.get_ref(i)?
        .as_blob()
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

/// The UNIQUE constraint on `contribution.sha256` (the backstop against duplicate imports).
fn is_duplicate_hash(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, Some(msg))
        if f.code == ErrorCode::ConstraintViolation
            && f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            && msg.contains("contribution.sha256"))
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn location(&self) -> String {
        self.path.clone()
    }

    fn schema_version(&mut self) -> Result<i64> {
        Ok(Self::applied_versions(self.connection()?)?
            .last()
            .copied()
            .unwrap_or(0))
    }

    fn contribution_by_hash(&mut self, sha256: &str) -> Result<Option<Contribution>> {
        contribution_where(self.connection()?, "c.sha256 = ?1", &sha256)
    }

    fn begin_import<'a>(&'a mut self, meta: &ContributionMeta) -> Result<Box<dyn ImportTx + 'a>> {
        piped::begin(&mut self.conn, meta, write_import)
    }

    fn contributions(&mut self) -> Result<Vec<Contribution>> {
        let mut st = self
            .connection()?
            .prepare(&format!("{CONTRIBUTION_SELECT} ORDER BY c.id"))?;
        let rows = st
            .query_map([], contribution_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(ContributionRow::into_contribution)
            .collect()
    }

    fn for_each_record(
        &mut self,
        contribution: Option<i64>,
        f: &mut dyn FnMut(StoredRecord) -> Result<()>,
    ) -> Result<u64> {
        let conn = self.connection()?;
        // One read transaction: rows and segments of the same snapshot.
        let tx = conn.unchecked_transaction()?;
        let ids: Vec<i64> = match contribution {
            Some(c) => vec![c],
            None => tx
                .prepare("SELECT id FROM contribution ORDER BY id")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?,
        };
        let mut rows_st = tx.prepare(
            "SELECT id, source_row, schema_version FROM case_record \
             WHERE contribution_id = ?1 ORDER BY id",
        )?;
        let mut segs_st = tx.prepare(
            "SELECT records, encoding, record_data, raw_data FROM record_segment \
             WHERE contribution_id = ?1 ORDER BY seq",
        )?;
        let mut n = 0;
        for c in ids {
            let mut rows = rows_st.query([c])?;
            let mut segs = segs_st.query([c])?;
            while let Some(s) = segs.next()? {
                let encoding = text_at(s, 1)?;
                let seg =
                    segment::Decoded::new(s.get(0)?, encoding, blob_at(s, 2)?, blob_at(s, 3)?)?;
                for (record, raw) in seg.pairs() {
                    let r = rows.next()?.ok_or_else(|| segment::orphan(c))?;
                    f(StoredRecord {
                        id: r.get(0)?,
                        contribution_id: c,
                        source_row: to_u64(r.get(1)?, "source row")?,
                        schema_version: to_u32(r.get(2)?, "schema version")?,
                        record: serde_json::from_slice(record)?,
                        raw: serde_json::from_slice(raw)?,
                    })?;
                    n += 1;
                }
            }
            if rows.next()?.is_some() {
                return Err(segment::missing(c));
            }
        }
        drop((rows_st, segs_st));
        tx.finish()?;
        Ok(n)
    }

    fn quarantine(&mut self, contribution: Option<i64>) -> Result<Vec<QuarantinedRow>> {
        const COLS: &str = "SELECT contribution_id, source_row, raw, issues FROM quarantine";
        let map = |r: &Row<'_>| -> rusqlite::Result<(i64, i64, String, String)> {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        };
        let rows = match contribution {
            Some(c) => self
                .connection()?
                .prepare(&format!("{COLS} WHERE contribution_id = ?1 ORDER BY id"))?
                .query_map([c], map)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            None => self
                .connection()?
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
        let mut st = self.connection()?.prepare(
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
            .connection()?
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
        insert_audit(self.connection()?, &now(), actor, action, &detail)
    }

    fn counts(&mut self) -> Result<Counts> {
        let c: [i64; 5] = self
            .connection()?
            .query_row(headline_sql::COUNTS, [], |r| {
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
        let tx = self.conn_mut()?.transaction()?;
        // `case_record` rows are narrow (the record text lives in segments) and carry no
        // indexes but the contribution's, so imports only append. Totals are one table scan;
        // flows and years are counted here in one more scan, in hash maps (SQLite would sort a
        // million rows for each GROUP BY).
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
        // Country codes are two letters: a flow is keyed by its four bytes.
        let mut flows: HashMap<[u8; 4], i64> = HashMap::new();
        let mut years: BTreeMap<i64, i64> = BTreeMap::new();
        {
            let mut st = tx.prepare(
                "SELECT citizenship, country_of_exploitation, registration_from FROM case_record",
            )?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let cit = r.get_ref(0)?.as_bytes_or_null().ok().flatten();
                let coe = r.get_ref(1)?.as_bytes_or_null().ok().flatten();
                if let (Some(&[a, b]), Some(&[c, d])) = (cit, coe) {
                    *flows.entry([a, b, c, d]).or_default() += 1;
                }
                if let Some(y) = r.get::<_, Option<i64>>(2)? {
                    *years.entry(y).or_default() += 1;
                }
            }
        }
        let mut flows = flows
            .into_iter()
            .map(|(k, n)| {
                let code = |s: &[u8]| String::from_utf8_lossy(s).into_owned();
                (code(&k[..2]), code(&k[2..]), n)
            })
            .collect::<Vec<_>>();
        flows.sort_by(|x, y| y.2.cmp(&x.2).then_with(|| (&x.0, &x.1).cmp(&(&y.0, &y.1))));
        flows.truncate(10);
        let years: Vec<(i64, i64)> = years.into_iter().collect();
        tx.finish()?;
        build_headline(totals, others, flows, years)
    }

    fn set_privacy_budget(
        &mut self,
        dataset: &str,
        description: &str,
        rho: f64,
        actor: &str,
    ) -> Result<PrivacyAccount> {
        check_rho(rho)?;
        let tx = self
            .conn_mut()?
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let spent = spent_on(&tx, dataset)?;
        check_budget(dataset, rho, spent, 0.0)?;
        let at = now();
        tx.execute(
            "INSERT INTO privacy_budget (dataset, description, rho, set_at, set_by) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (dataset) DO UPDATE SET \
             description = excluded.description, rho = excluded.rho, set_at = excluded.set_at, \
             set_by = excluded.set_by",
            params![dataset, description, rho, at, actor],
        )?;
        insert_audit(
            &tx,
            &at,
            actor,
            "privacy-budget",
            &serde_json::json!({ "dataset": dataset, "rho": rho, "description": description }),
        )?;
        let account = account_of(&tx, dataset)?
            .ok_or_else(|| StoreError::Corrupt("the new privacy budget vanished".into()))?;
        tx.commit()?;
        Ok(account)
    }

    fn privacy_account(&mut self, dataset: &str) -> Result<Option<PrivacyAccount>> {
        account_of(self.connection()?, dataset)
    }

    fn privacy_accounts(&mut self) -> Result<Vec<PrivacyAccount>> {
        let conn = self.connection()?;
        let names: Vec<String> = conn
            .prepare("SELECT dataset FROM privacy_budget ORDER BY dataset")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            out.extend(account_of(conn, &n)?);
        }
        Ok(out)
    }

    fn charge_privacy(
        &mut self,
        dataset: &str,
        rho: f64,
        purpose: &str,
        release: &serde_json::Value,
        actor: &str,
    ) -> Result<PrivacyCharge> {
        check_rho(rho)?;
        // IMMEDIATE takes the write lock first: the check and the insert are atomic.
        let tx = self
            .conn_mut()?
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let budget: f64 = tx
            .query_row(
                "SELECT rho FROM privacy_budget WHERE dataset = ?1",
                [dataset],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NoBudget(dataset.to_string()))?;
        let spent = spent_on(&tx, dataset)?;
        check_budget(dataset, budget, spent, rho)?;
        let seq: i64 = tx.query_row(
            "SELECT COUNT(*) FROM privacy_charge WHERE dataset = ?1",
            [dataset],
            |r| r.get(0),
        )?;
        let at = now();
        let release_text = serde_json::to_string(release)?;
        tx.execute(
            "INSERT INTO privacy_charge (dataset, seq, at, actor, rho, purpose, release) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![dataset, seq, at, actor, rho, purpose, release_text],
        )?;
        insert_audit(
            &tx,
            &at,
            actor,
            "privacy-charge",
            &serde_json::json!({ "dataset": dataset, "seq": seq, "rho": rho, "purpose": purpose }),
        )?;
        tx.commit()?;
        Ok(PrivacyCharge {
            dataset: dataset.to_string(),
            seq: to_u64(seq, "ledger position")?,
            at,
            actor: actor.to_string(),
            rho,
            purpose: purpose.to_string(),
            release: release.clone(),
        })
    }

    fn save_glotip(
        &mut self,
        file_name: &str,
        sha256: &str,
        imported_by: &str,
        data: &cthub_glotip::Glotip,
    ) -> Result<GlotipImport> {
        let tx = self
            .conn_mut()?
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if let Some((id, file)) = tx
            .query_row(
                "SELECT id, file_name FROM glotip_import WHERE sha256 = ?1",
                [sha256],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?
        {
            return Err(StoreError::GlotipAlreadyImported { id, file });
        }
        let at = now();
        tx.execute(
            "INSERT INTO glotip_import (file_name, sha256, imported_at, imported_by, accounting) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                file_name,
                sha256,
                at,
                imported_by,
                serde_json::to_string(&data.accounting)?
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut st = tx.prepare(
                "INSERT INTO glotip_observation (import_id, seq, observation) VALUES (?1, ?2, ?3)",
            )?;
            for (i, o) in data.observations.iter().enumerate() {
                st.execute(params![id, i as i64, serde_json::to_string(o)?])?;
            }
        }
        let g = GlotipImport {
            id,
            file_name: file_name.to_string(),
            sha256: sha256.to_string(),
            imported_at: at.clone(),
            imported_by: imported_by.to_string(),
            accounting: data.accounting.clone(),
        };
        insert_audit(
            &tx,
            &at,
            imported_by,
            "glotip-import",
            &glotip_audit_detail(&g),
        )?;
        tx.commit()?;
        Ok(g)
    }

    fn glotip_imports(&mut self) -> Result<Vec<GlotipImport>> {
        let rows = self
            .connection()?
            .prepare(
                "SELECT id, file_name, sha256, imported_at, imported_by, accounting \
                 FROM glotip_import ORDER BY id",
            )?
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, file_name, sha256, imported_at, imported_by, acc)| {
                Ok(GlotipImport {
                    id,
                    file_name,
                    sha256,
                    imported_at,
                    imported_by,
                    accounting: serde_json::from_str(&acc)?,
                })
            })
            .collect()
    }

    fn with_sql(&mut self, f: &mut dyn FnMut(&mut dyn crate::Sql) -> Result<()>) -> Result<()> {
        let tx = self
            .conn_mut()?
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        f(&mut crate::sql::SqliteSql(&tx))?;
        tx.commit()?;
        Ok(())
    }

    fn load_glotip(&mut self, import: Option<i64>) -> Result<Option<cthub_glotip::Glotip>> {
        let imports = self.glotip_imports()?;
        let chosen = match import {
            Some(id) => imports.into_iter().find(|g| g.id == id),
            None => imports.into_iter().last(),
        };
        let Some(g) = chosen else { return Ok(None) };
        let conn = self.connection()?;
        let mut st = conn.prepare(
            "SELECT observation FROM glotip_observation WHERE import_id = ?1 ORDER BY seq",
        )?;
        let mut rows = st.query([g.id])?;
        let mut observations = Vec::new();
        while let Some(r) = rows.next()? {
            observations.push(serde_json::from_str(text_at(r, 0)?)?);
        }
        Ok(Some(cthub_glotip::Glotip {
            observations,
            accounting: g.accounting,
        }))
    }
}

fn spent_on(conn: &Connection, dataset: &str) -> Result<f64> {
    Ok(conn.query_row(
        "SELECT COALESCE(SUM(rho), 0.0) FROM privacy_charge WHERE dataset = ?1",
        [dataset],
        |r| r.get(0),
    )?)
}

fn account_of(conn: &Connection, dataset: &str) -> Result<Option<PrivacyAccount>> {
    let Some((description, budget, set_at, set_by)) = conn
        .query_row(
            "SELECT description, rho, set_at, set_by FROM privacy_budget WHERE dataset = ?1",
            [dataset],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?
    else {
        return Ok(None);
    };
    let rows = conn
        .prepare(
            "SELECT seq, at, actor, rho, purpose, release FROM privacy_charge \
             WHERE dataset = ?1 ORDER BY seq",
        )?
        .query_map([dataset], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, f64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut charges = Vec::with_capacity(rows.len());
    for (seq, at, actor, rho, purpose, release) in rows {
        charges.push(PrivacyCharge {
            dataset: dataset.to_string(),
            seq: to_u64(seq, "ledger position")?,
            at,
            actor,
            rho,
            purpose,
            release: serde_json::from_str(&release)?,
        });
    }
    Ok(Some(PrivacyAccount {
        dataset: dataset.to_string(),
        description,
        budget_rho: budget,
        spent_rho: charges.iter().map(|c| c.rho).sum(),
        set_at,
        set_by,
        charges,
    }))
}

const INSERT_RECORD: &str =
    "INSERT INTO case_record (contribution_id, source_row, schema_version, \
    registration_from, registration_to, data_source, gender, age_band, majority, citizenship, \
    country_of_exploitation, is_forced_labour, is_sexual_exploitation, is_other_exploitation) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
/// Rows per multi-row record INSERT (14 parameters each, within SQLite's 32,766).
const RECORDS_PER_INSERT: usize = 64;

fn insert_records_sql() -> String {
    let (head, _) = INSERT_RECORD
        .split_once("VALUES")
        .unwrap_or((INSERT_RECORD, ""));
    let one = format!("({})", vec!["?"; 14].join(", "));
    format!("{head}VALUES {}", vec![one; RECORDS_PER_INSERT].join(", "))
}

/// Binds one record's 14 values from parameter `*i` on.
fn bind_record(
    st: &mut rusqlite::CachedStatement<'_>,
    i: &mut usize,
    contribution_id: i64,
    r: &crate::batch::RecordRow,
) -> Result<()> {
    let values: [&dyn rusqlite::ToSql; 14] = [
        &contribution_id,
        &r.source_row,
        &r.schema_version,
        &r.registration_from,
        &r.registration_to,
        &r.data_source,
        &r.gender,
        &r.age_band,
        &r.majority,
        &r.citizenship.as_ref().map(Code2::as_str),
        &r.country_of_exploitation.as_ref().map(Code2::as_str),
        &r.forced_labour,
        &r.sexual_exploitation,
        &r.other_exploitation,
    ];
    for v in values {
        st.raw_bind_parameter(*i, v)?;
        *i += 1;
    }
    Ok(())
}

const INSERT_SEGMENT: &str =
    "INSERT INTO record_segment (contribution_id, seq, records, encoding, \
    record_data, raw_data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const INSERT_QUARANTINE: &str =
    "INSERT INTO quarantine (contribution_id, source_row, raw, issues) VALUES (?1, ?2, ?3, ?4)";
const INSERT_ISSUE: &str =
    "INSERT INTO import_issue (contribution_id, source_row, column_name, value, \
    rule, hint, severity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// The writer thread of an import: the whole transaction, on the store's connection.
fn write_import(conn: &mut Connection, job: WriterJob) -> Result<Option<Contribution>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let contribution_id = match start_import(&tx, &job.meta) {
        Ok(id) => id,
        Err(e) if matches!(&e, StoreError::Sqlite(se) if is_duplicate_hash(se)) => {
            drop(tx);
            let c = contribution_where(conn, "c.sha256 = ?1", &job.meta.source.sha256)?;
            return Err(match c {
                Some(c) => StoreError::AlreadyImported {
                    contribution_id: c.id,
                    file: c.file_name,
                },
                None => e,
            });
        }
        Err(e) => return Err(e),
    };
    if job.started.send(contribution_id).is_err() {
        return Ok(None);
    }
    {
        let mut insert_record = tx.prepare_cached(INSERT_RECORD)?;
        let mut insert_records = tx.prepare_cached(&insert_records_sql())?;
        let mut insert_segment = tx.prepare_cached(INSERT_SEGMENT)?;
        let mut encoder = segment::Encoder::new()?;
        let mut seq = 0i64;
        let mut insert_quarantine = tx.prepare_cached(INSERT_QUARANTINE)?;
        let mut insert_issue = tx.prepare_cached(INSERT_ISSUE)?;
        for msg in job.rows.iter() {
            if job.abandoned.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let (counts, summary, upload) = match msg {
                Msg::Rows(b) => {
                    // Full chunks through one multi-row INSERT (one statement run per
                    // RECORDS_PER_INSERT rows), the rest row by row.
                    let mut chunks = b.records.chunks_exact(RECORDS_PER_INSERT);
                    for chunk in &mut chunks {
                        let mut i = 1;
                        for r in chunk {
                            bind_record(&mut insert_records, &mut i, contribution_id, r)?;
                        }
                        insert_records.raw_execute()?;
                    }
                    for r in chunks.remainder() {
                        let mut i = 1;
                        bind_record(&mut insert_record, &mut i, contribution_id, r)?;
                        insert_record.raw_execute()?;
                    }
                    if !b.records.is_empty() {
                        insert_segment.execute(params![
                            contribution_id,
                            seq,
                            b.records.len() as i64,
                            segment::ZSTD_JSONL,
                            encoder.encode(&b.record_jsonl)?,
                            encoder.encode(&b.raw_jsonl)?,
                        ])?;
                        seq += 1;
                    }
                    for q in &b.quarantine {
                        insert_quarantine.execute(params![
                            contribution_id,
                            q.source_row,
                            b.str(&q.raw)?,
                            b.str(&q.issues)?,
                        ])?;
                    }
                    for i in &b.issues {
                        insert_issue.execute(params![
                            contribution_id,
                            i.source_row,
                            b.str(&i.column)?,
                            b.str(&i.value)?,
                            b.str(&i.rule)?,
                            b.str(&i.hint)?,
                            i.severity,
                        ])?;
                    }
                    continue;
                }
                Msg::Commit {
                    counts,
                    summary,
                    upload,
                } => (counts, summary, upload),
            };
            drop((
                insert_record,
                insert_records,
                insert_segment,
                insert_quarantine,
                insert_issue,
            ));
            let contribution = finish_import(&tx, contribution_id, counts, &summary)?;
            if let Some(u) = upload {
                commit_upload(&tx, &u, contribution_id)?;
            }
            tx.commit()?;
            return Ok(Some(contribution));
        }
    }
    // The channel closed without commit: dropping `tx` rolls back.
    Ok(None)
}

/// Inside the import's transaction: the staged upload becomes committed (see
/// [`crate::ImportTx::commit_upload`]).
fn commit_upload(
    conn: &Connection,
    u: &crate::batch::UploadDecision,
    contribution_id: i64,
) -> Result<()> {
    let n = conn.execute(
        "UPDATE upload SET status = 'committed', contribution_id = ?1, content = NULL \
         WHERE id = ?2 AND status = 'validated'",
        params![contribution_id, u.id],
    )?;
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "upload {} is not awaiting a decision",
            u.id
        )));
    }
    insert_audit(
        conn,
        &now(),
        &u.actor,
        "upload.commit",
        &serde_json::json!({"id": u.id, "contribution_id": contribution_id}),
    )
}

/// Final counts, summary and audit entry of a contribution, inside its transaction.
fn finish_import(
    conn: &Connection,
    contribution_id: i64,
    c: RowCounts,
    summary: &str,
) -> Result<Contribution> {
    let at = now();
    conn.execute(
        "UPDATE contribution SET imported_at = ?2, rows_read = ?3, rows_accepted = ?4, \
         rows_quarantined = ?5, issues = ?6, warnings = ?7, summary = ?8 WHERE id = ?1",
        params![
            contribution_id,
            at,
            c.accepted + c.quarantined,
            c.accepted,
            c.quarantined,
            c.errors,
            c.warnings,
            summary,
        ],
    )?;
    let contribution = contribution_where(conn, "c.id = ?1", &contribution_id)?
        .ok_or_else(|| StoreError::Corrupt("the new contribution vanished".into()))?;
    insert_audit(
        conn,
        &at,
        &contribution.imported_by,
        "import",
        &import_audit_detail(&contribution),
    )?;
    Ok(contribution)
}

/// Inside the import's transaction: refuse duplicates, create the organisation and the
/// contribution row.
fn start_import(conn: &Connection, meta: &ContributionMeta) -> Result<i64> {
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
    Ok(conn.last_insert_rowid())
}
