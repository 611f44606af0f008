//! The PostgreSQL store: the same schema and behaviour as the SQLite store; bulk rows go in
//! through `COPY … FROM STDIN` inside the import's transaction.

use std::io::Write;
use std::time::Duration;

use cthub_ingest::ImportIssue;
use postgres::{Client, GenericClient, IsolationLevel, NoTls, Transaction};

use std::sync::atomic::Ordering;

use crate::batch::{Code2, Msg};
use crate::migrations::{self, MIGRATIONS, PG_MIGRATIONS_TABLE};
use crate::piped::{self, WriterJob};
use crate::segment;
use crate::{
    build_headline, check_budget, check_rho, glotip_audit_detail, headline_sql,
    import_audit_detail, now, parse_severity, to_i64, to_u32, to_u64, AuditEntry, Contribution,
    ContributionMeta, ContributionRow, Counts, GlotipImport, Headline, ImportTx, PrivacyAccount,
    PrivacyCharge, QuarantinedRow, Result, RowCounts, Store, StoreError, StoredRecord,
    LATEST_VERSION,
};

/// A cthub store in a PostgreSQL database (optionally in one schema of it).
pub struct PgStore {
    /// `None` only while an import's writer thread holds it (or after that thread panicked).
    client: Option<Client>,
    location: String,
    schema: Option<String>,
}

/// A readable description of a PostgreSQL error: the server's message (with detail and hint)
/// for database errors, the client's otherwise.
pub(crate) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = db.message().to_string();
            if let Some(d) = db.detail() {
                s.push_str(" (");
                s.push_str(d);
                s.push(')');
            }
            if let Some(h) = db.hint() {
                s.push_str("; hint: ");
                s.push_str(h);
            }
            s
        }
        None => {
            // The driver's own message is terse ("error connecting to server"): add the causes.
            let mut s = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                s.push_str(": ");
                s.push_str(&c.to_string());
                cause = c.source();
            }
            s
        }
    }
}

/// Open a PostgreSQL store from a `postgres://` URL and apply pending migrations.
///
/// Besides the standard parameters, the URL may carry `schema=<name>` (cthub's own parameter):
/// the store then lives in that schema, as with [`open_postgres_with_schema`].
pub fn open_postgres(url: &str) -> Result<PgStore> {
    let (base, schema) = split_schema_param(url)?;
    connect(&base, schema, redact_url(url))
}

/// Open a PostgreSQL store whose tables live in `schema` (created if missing; lower-case
/// letters, digits and `_`). The connection's `search_path` is set to that schema only, via the
/// startup `options` (`-csearch_path=<schema>`).
pub fn open_postgres_with_schema(url: &str, schema: &str) -> Result<PgStore> {
    let (base, in_url) = split_schema_param(url)?;
    let location = match in_url {
        Some(other) if other != schema => {
            return Err(StoreError::InvalidLocation {
                location: redact_url(url),
                reason: format!(
                    "the URL names schema {other:?} but schema {schema:?} was asked for"
                ),
            })
        }
        Some(_) => redact_url(url),
        None => redact_url(&with_query_param(url, "schema", schema)),
    };
    connect(&base, Some(schema.to_string()), location)
}

fn valid_schema(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && (b[0].is_ascii_lowercase() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
}

fn with_query_param(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={value}")
}

/// Remove cthub's `schema=` parameter from a URL; returns the URL for the driver and the schema.
fn split_schema_param(url: &str) -> Result<(String, Option<String>)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), None));
    };
    let mut schema = None;
    let mut kept = Vec::new();
    for p in query.split('&').filter(|p| !p.is_empty()) {
        match p.split_once('=') {
            Some(("schema", v)) => {
                if !valid_schema(v) {
                    return Err(StoreError::InvalidSchema(v.to_string()));
                }
                schema = Some(v.to_string());
            }
            _ => kept.push(p),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, schema))
}

/// A URL without password (neither in the user info nor as a `password=` parameter).
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => return url.to_string(),
    };
    let (pre, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    // The last `@` before the query ends the user info, even if an unencoded password holds `/`.
    let pre = match pre.rfind('@') {
        Some(at) => {
            let user = pre[..at].split(':').next().unwrap_or("");
            format!("{user}@{}", &pre[at + 1..])
        }
        None => pre.to_string(),
    };
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| {
            let k = p.split('=').next().unwrap_or("");
            !p.is_empty() && !k.eq_ignore_ascii_case("password")
        })
        .collect();
    if kept.is_empty() {
        format!("{scheme}://{pre}")
    } else {
        format!("{scheme}://{pre}?{}", kept.join("&"))
    }
}

/// `host:port` of every host in the configuration.
fn targets(config: &postgres::Config) -> String {
    let ports = config.get_ports();
    let hosts = config.get_hosts();
    if hosts.is_empty() {
        return "(no host in the URL)".to_string();
    }
    hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match h {
                postgres::config::Host::Tcp(h) => format!("{h}:{port}"),
                #[cfg(unix)]
                postgres::config::Host::Unix(p) => format!("{} (socket, port {port})", p.display()),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn connect(url: &str, schema: Option<String>, location: String) -> Result<PgStore> {
    let mut config: postgres::Config =
        url.parse()
            .map_err(|e: postgres::Error| StoreError::InvalidLocation {
                location: location.clone(),
                reason: describe(&e),
            })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name("cthub");
    }
    if let Some(s) = &schema {
        if !valid_schema(s) {
            return Err(StoreError::InvalidSchema(s.clone()));
        }
        let opts = match config.get_options() {
            Some(o) if !o.trim().is_empty() => format!("{o} -csearch_path={s}"),
            _ => format!("-csearch_path={s}"),
        };
        config.options(&opts);
    }
    let target = targets(&config);
    let mut client = config
        .connect(NoTls)
        .map_err(|source| StoreError::Connect { target, source })?;
    // No wait on a lock (the ledger's and imports' advisory locks, row locks) lasts forever: a
    // lock held for two minutes means something is stuck, and the waiter fails with PostgreSQL's
    // "lock timeout" instead of hanging. A `-c lock_timeout=…` in the URL's options wins.
    if !config
        .get_options()
        .is_some_and(|o| o.contains("lock_timeout"))
    {
        client.batch_execute("SET lock_timeout = '120s'")?;
    }
    if let Some(s) = &schema {
        let exists: bool = client
            .query_one(
                "SELECT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = $1)",
                &[s],
            )?
            .get(0);
        if !exists {
            client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))?;
        }
        client.batch_execute(&format!("SET search_path TO \"{s}\""))?;
    }
    let mut store = PgStore {
        client: Some(client),
        location,
        schema,
    };
    store.migrate()?;
    Ok(store)
}

fn applied_versions(c: &mut impl GenericClient) -> Result<Vec<i64>> {
    let exists: bool = c
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    Ok(c.query(
        "SELECT version FROM schema_migrations ORDER BY version",
        &[],
    )?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

fn insert_audit(
    c: &mut impl GenericClient,
    at: &str,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    c.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES ($1, $2, $3, $4)",
        &[&at, &actor, &action, &serde_json::to_string(detail)?],
    )?;
    Ok(())
}

impl PgStore {
    /// The schema the store lives in, when one was given.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The underlying client (for maintenance tools and tests).
    pub fn client(&mut self) -> Result<&mut Client> {
        self.client.as_mut().ok_or(StoreError::ConnectionLost)
    }

    fn migrate(&mut self) -> Result<()> {
        let client = self.client()?;
        let applied = applied_versions(client)?;
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
        for m in MIGRATIONS {
            let mut tx = client.transaction()?;
            // Serialise concurrent migrators of the same schema.
            tx.execute(
                "SELECT pg_advisory_xact_lock(74110, hashtext(COALESCE(current_schema(), '')))",
                &[],
            )?;
            tx.batch_execute(PG_MIGRATIONS_TABLE)?;
            let done: bool = tx
                .query_one(
                    "SELECT EXISTS(SELECT 1 FROM schema_migrations WHERE version = $1)",
                    &[&m.version],
                )?
                .get(0);
            if done {
                continue;
            }
            let fail = |e: postgres::Error| StoreError::Migration {
                version: m.version,
                description: m.description.to_string(),
                message: describe(&e),
            };
            tx.batch_execute(m.postgres).map_err(fail)?;
            let at = now();
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at, description) VALUES ($1, $2, $3)",
                &[&m.version, &at, &m.description],
            )
            .map_err(fail)?;
            insert_audit(
                &mut tx,
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

const CONTRIBUTION_SELECT: &str = "SELECT c.id, o.name, c.file_name, c.sha256, c.bytes, c.format, \
    c.container, c.sheet, c.columns, c.schema_version, c.imported_at, c.imported_by, c.synthetic, \
    c.rows_read, c.rows_accepted, c.rows_quarantined, c.issues, c.warnings, c.summary, \
    c.organisation_id FROM contribution c JOIN organisation o ON o.id = c.organisation_id";

fn contribution_from_row(r: &postgres::Row) -> ContributionRow {
    ContributionRow {
        id: r.get(0),
        organisation: r.get(1),
        file_name: r.get(2),
        sha256: r.get(3),
        bytes: r.get(4),
        format: r.get(5),
        container: r.get(6),
        sheet: r.get(7),
        columns: r.get(8),
        schema_version: r.get(9),
        imported_at: r.get(10),
        imported_by: r.get(11),
        synthetic: r.get(12),
        counts: [r.get(13), r.get(14), r.get(15), r.get(16), r.get(17)],
        summary: r.get(18),
        organisation_id: r.get(19),
    }
}

fn contribution_where(
    c: &mut impl GenericClient,
    cond: &str,
    param: &(dyn postgres::types::ToSql + Sync),
) -> Result<Option<Contribution>> {
    let sql = format!("{CONTRIBUTION_SELECT} WHERE {cond}");
    c.query_opt(&sql, &[param])?
        .map(|r| contribution_from_row(&r).into_contribution())
        .transpose()
}

/// PostgreSQL text cannot hold NUL characters: replace them.
fn pg_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        s.replace('\0', "\u{FFFD}").into()
    } else {
        s.into()
    }
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn location(&self) -> String {
        self.location.clone()
    }

    fn schema_version(&mut self) -> Result<i64> {
        Ok(applied_versions(self.client()?)?
            .last()
            .copied()
            .unwrap_or(0))
    }

    fn contribution_by_hash(&mut self, sha256: &str) -> Result<Option<Contribution>> {
        contribution_where(self.client()?, "c.sha256 = $1", &sha256)
    }

    fn begin_import<'a>(&'a mut self, meta: &ContributionMeta) -> Result<Box<dyn ImportTx + 'a>> {
        piped::begin(&mut self.client, meta, write_import)
    }

    fn contributions(&mut self) -> Result<Vec<Contribution>> {
        self.client()?
            .query(&format!("{CONTRIBUTION_SELECT} ORDER BY c.id"), &[])?
            .iter()
            .map(|r| contribution_from_row(r).into_contribution())
            .collect()
    }

    fn for_each_record(
        &mut self,
        contribution: Option<i64>,
        f: &mut dyn FnMut(StoredRecord) -> Result<()>,
    ) -> Result<u64> {
        const ROWS: &str = "SELECT id, source_row, schema_version FROM case_record \
            WHERE contribution_id = $1 ORDER BY id";
        const SEGMENTS: &str =
            "SELECT records, encoding, record_data, raw_data FROM record_segment \
            WHERE contribution_id = $1 ORDER BY seq";
        const ROW_BATCH: i32 = 4096;
        const SEGMENT_BATCH: i32 = 8;
        let mut tx = self
            .client()?
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let ids: Vec<i64> = match contribution {
            Some(c) => vec![c],
            None => tx
                .query("SELECT id FROM contribution ORDER BY id", &[])?
                .iter()
                .map(|r| r.get(0))
                .collect(),
        };
        let mut n = 0;
        for c in ids {
            // Two portals read in lockstep keep memory bounded however many records there are.
            let rows_portal = tx.bind(ROWS, &[&c])?;
            let segs_portal = tx.bind(SEGMENTS, &[&c])?;
            let mut rows = std::collections::VecDeque::new();
            let mut rows_done = false;
            loop {
                let segs = tx.query_portal(&segs_portal, SEGMENT_BATCH)?;
                let last = segs.len() < SEGMENT_BATCH as usize;
                for s in segs {
                    let seg = segment::Decoded::new(
                        i64::from(s.get::<_, i32>(0)),
                        s.get::<_, &str>(1),
                        s.get::<_, &[u8]>(2),
                        s.get::<_, &[u8]>(3),
                    )?;
                    for (record, raw) in seg.pairs() {
                        if rows.is_empty() && !rows_done {
                            let batch = tx.query_portal(&rows_portal, ROW_BATCH)?;
                            rows_done = batch.len() < ROW_BATCH as usize;
                            rows.extend(batch);
                        }
                        let r = rows.pop_front().ok_or_else(|| segment::orphan(c))?;
                        f(StoredRecord {
                            id: r.get(0),
                            contribution_id: c,
                            source_row: to_u64(r.get(1), "source row")?,
                            schema_version: to_u32(r.get(2), "schema version")?,
                            record: serde_json::from_slice(record)?,
                            raw: serde_json::from_slice(raw)?,
                        })?;
                        n += 1;
                    }
                }
                if last {
                    break;
                }
            }
            if !rows.is_empty() || (!rows_done && !tx.query_portal(&rows_portal, 1)?.is_empty()) {
                return Err(segment::missing(c));
            }
        }
        tx.commit()?;
        Ok(n)
    }

    fn quarantine(&mut self, contribution: Option<i64>) -> Result<Vec<QuarantinedRow>> {
        const COLS: &str = "SELECT contribution_id, source_row, raw, issues FROM quarantine";
        let rows = match contribution {
            Some(c) => self.client()?.query(
                &format!("{COLS} WHERE contribution_id = $1 ORDER BY id"),
                &[&c],
            )?,
            None => self.client()?.query(&format!("{COLS} ORDER BY id"), &[])?,
        };
        rows.iter()
            .map(|r| {
                Ok(QuarantinedRow {
                    contribution_id: r.get(0),
                    source_row: to_u64(r.get(1), "source row")?,
                    raw: serde_json::from_str(r.get::<_, &str>(2))?,
                    issues: serde_json::from_str(r.get::<_, &str>(3))?,
                })
            })
            .collect()
    }

    fn issues(&mut self, contribution: i64) -> Result<Vec<ImportIssue>> {
        self.client()?
            .query(
                "SELECT c.file_name, i.source_row, i.column_name, i.value, i.rule, i.hint, i.severity \
                 FROM import_issue i JOIN contribution c ON c.id = i.contribution_id \
                 WHERE i.contribution_id = $1 ORDER BY i.id",
                &[&contribution],
            )?
            .iter()
            .map(|r| {
                Ok(ImportIssue {
                    file: r.get(0),
                    row: to_u64(r.get(1), "source row")?,
                    column: r.get(2),
                    value: r.get(3),
                    rule: r.get(4),
                    hint: r.get(5),
                    severity: parse_severity(r.get(6))?,
                })
            })
            .collect()
    }

    fn audit_log(&mut self) -> Result<Vec<AuditEntry>> {
        self.client()?
            .query(
                "SELECT id, at, actor, action, detail FROM audit_log ORDER BY id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.get(0),
                    at: r.get(1),
                    actor: r.get(2),
                    action: r.get(3),
                    detail: serde_json::from_str(r.get::<_, &str>(4))?,
                })
            })
            .collect()
    }

    fn record_audit(&mut self, actor: &str, action: &str, detail: serde_json::Value) -> Result<()> {
        insert_audit(
            self.client()?,
            &now(),
            &pg_text(actor),
            &pg_text(action),
            &detail,
        )
    }

    fn counts(&mut self) -> Result<Counts> {
        let r = self.client()?.query_one(headline_sql::COUNTS, &[])?;
        let g = |i: usize| to_u64(r.get(i), "count");
        Ok(Counts {
            records: g(0)?,
            quarantined: g(1)?,
            contributions: g(2)?,
            issues: g(3)?,
            warnings: g(4)?,
        })
    }

    fn headline(&mut self) -> Result<Headline> {
        let mut tx = self
            .client()?
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let r = tx.query_one(headline_sql::TOTALS, &[])?;
        let mut totals = [None; 12];
        for (i, v) in totals.iter_mut().enumerate() {
            *v = r.get(i);
        }
        let r = tx.query_one(headline_sql::OTHERS, &[])?;
        let others = [r.get(0), r.get(1), r.get(2)];
        let flows = tx
            .query(headline_sql::TOP_FLOWS, &[])?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let years = tx
            .query(headline_sql::BY_YEAR, &[])?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        tx.commit()?;
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
        let mut tx = self.client()?.transaction()?;
        // Serialise with charges of the same dataset (see charge_privacy).
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&dataset])?;
        let spent = spent_on(&mut tx, dataset)?;
        check_budget(dataset, rho, spent, 0.0)?;
        let at = now();
        tx.execute(
            "INSERT INTO privacy_budget (dataset, description, rho, set_at, set_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dataset) DO UPDATE SET \
             description = excluded.description, rho = excluded.rho, set_at = excluded.set_at, \
             set_by = excluded.set_by",
            &[&dataset, &description, &rho, &at, &actor],
        )?;
        insert_audit(
            &mut tx,
            &at,
            actor,
            "privacy-budget",
            &serde_json::json!({ "dataset": dataset, "rho": rho, "description": description }),
        )?;
        let account = account_of(&mut tx, dataset)?
            .ok_or_else(|| StoreError::Corrupt("the new privacy budget vanished".into()))?;
        tx.commit()?;
        Ok(account)
    }

    fn privacy_account(&mut self, dataset: &str) -> Result<Option<PrivacyAccount>> {
        account_of(self.client()?, dataset)
    }

    fn privacy_accounts(&mut self) -> Result<Vec<PrivacyAccount>> {
        let c = self.client()?;
        let names: Vec<String> = c
            .query("SELECT dataset FROM privacy_budget ORDER BY dataset", &[])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            out.extend(account_of(c, &n)?);
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
        let mut tx = self.client()?.transaction()?;
        // A per-dataset lock held to commit: concurrent charges of one dataset run one after
        // the other, each seeing the other's spending.
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&dataset])?;
        let budget: f64 = tx
            .query_opt(
                "SELECT rho FROM privacy_budget WHERE dataset = $1",
                &[&dataset],
            )?
            .map(|r| r.get(0))
            .ok_or_else(|| StoreError::NoBudget(dataset.to_string()))?;
        let spent = spent_on(&mut tx, dataset)?;
        check_budget(dataset, budget, spent, rho)?;
        let seq: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM privacy_charge WHERE dataset = $1",
                &[&dataset],
            )?
            .get(0);
        let at = now();
        let release_text = serde_json::to_string(release)?;
        tx.execute(
            "INSERT INTO privacy_charge (dataset, seq, at, actor, rho, purpose, release) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&dataset, &seq, &at, &actor, &rho, &purpose, &release_text],
        )?;
        insert_audit(
            &mut tx,
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
        let mut tx = self.client()?.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&sha256])?;
        if let Some(r) = tx.query_opt(
            "SELECT id, file_name FROM glotip_import WHERE sha256 = $1",
            &[&sha256],
        )? {
            return Err(StoreError::GlotipAlreadyImported {
                id: r.get(0),
                file: r.get(1),
            });
        }
        let at = now();
        let id: i64 = tx
            .query_one(
                "INSERT INTO glotip_import (file_name, sha256, imported_at, imported_by, accounting) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[
                    &file_name,
                    &sha256,
                    &at,
                    &imported_by,
                    &serde_json::to_string(&data.accounting)?,
                ],
            )?
            .get(0);
        // One statement per 10,000 observations (arrays unnested server-side).
        for (chunk_no, chunk) in data.observations.chunks(10_000).enumerate() {
            let seqs: Vec<i64> = (0..chunk.len())
                .map(|i| (chunk_no * 10_000 + i) as i64)
                .collect();
            let texts = chunk
                .iter()
                .map(serde_json::to_string)
                .collect::<std::result::Result<Vec<_>, _>>()?;
            tx.execute(
                "INSERT INTO glotip_observation (import_id, seq, observation) \
                 SELECT $1, s, o FROM unnest($2::BIGINT[], $3::TEXT[]) AS t(s, o)",
                &[&id, &seqs, &texts],
            )?;
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
            &mut tx,
            &at,
            imported_by,
            "glotip-import",
            &glotip_audit_detail(&g),
        )?;
        tx.commit()?;
        Ok(g)
    }

    fn glotip_imports(&mut self) -> Result<Vec<GlotipImport>> {
        self.client()?
            .query(
                "SELECT id, file_name, sha256, imported_at, imported_by, accounting \
                 FROM glotip_import ORDER BY id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(GlotipImport {
                    id: r.get(0),
                    file_name: r.get(1),
                    sha256: r.get(2),
                    imported_at: r.get(3),
                    imported_by: r.get(4),
                    accounting: serde_json::from_str(r.get::<_, &str>(5))?,
                })
            })
            .collect()
    }

    fn with_sql(&mut self, f: &mut dyn FnMut(&mut dyn crate::Sql) -> Result<()>) -> Result<()> {
        let mut tx = self.client()?.transaction()?;
        f(&mut crate::sql::PgSql(&mut tx))?;
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
        let mut observations = Vec::new();
        for r in self.client()?.query(
            "SELECT observation FROM glotip_observation WHERE import_id = $1 ORDER BY seq",
            &[&g.id],
        )? {
            observations.push(serde_json::from_str(r.get::<_, &str>(0))?);
        }
        Ok(Some(cthub_glotip::Glotip {
            observations,
            accounting: g.accounting,
        }))
    }
}

/// Inside the import's transaction: create the organisation and the contribution row; a
/// contribution with the same SHA-256 (committed before, or concurrently) is refused.
fn spent_on(c: &mut impl GenericClient, dataset: &str) -> Result<f64> {
    Ok(c.query_one(
        "SELECT COALESCE(SUM(rho), 0.0)::DOUBLE PRECISION FROM privacy_charge WHERE dataset = $1",
        &[&dataset],
    )?
    .get(0))
}

fn account_of(c: &mut impl GenericClient, dataset: &str) -> Result<Option<PrivacyAccount>> {
    let Some(b) = c.query_opt(
        "SELECT description, rho, set_at, set_by FROM privacy_budget WHERE dataset = $1",
        &[&dataset],
    )?
    else {
        return Ok(None);
    };
    let mut charges = Vec::new();
    for r in c.query(
        "SELECT seq, at, actor, rho, purpose, release FROM privacy_charge \
         WHERE dataset = $1 ORDER BY seq",
        &[&dataset],
    )? {
        charges.push(PrivacyCharge {
            dataset: dataset.to_string(),
            seq: to_u64(r.get(0), "ledger position")?,
            at: r.get(1),
            actor: r.get(2),
            rho: r.get(3),
            purpose: r.get(4),
            release: serde_json::from_str(r.get::<_, &str>(5))?,
        });
    }
    Ok(Some(PrivacyAccount {
        dataset: dataset.to_string(),
        description: b.get(0),
        budget_rho: b.get(1),
        spent_rho: charges.iter().map(|c| c.rho).sum(),
        set_at: b.get(2),
        set_by: b.get(3),
        charges,
    }))
}

fn start_import(tx: &mut Transaction<'_>, meta: &ContributionMeta) -> Result<i64> {
    let s = &meta.source;
    let already = |tx: &mut Transaction<'_>| -> Result<StoreError> {
        let c = contribution_where(tx, "c.sha256 = $1", &s.sha256)?
            .ok_or_else(|| StoreError::Corrupt("duplicate contribution not found".into()))?;
        Ok(StoreError::AlreadyImported {
            contribution_id: c.id,
            file: c.file_name,
        })
    };
    if contribution_where(tx, "c.sha256 = $1", &s.sha256)?.is_some() {
        return Err(already(tx)?);
    }
    let at = now();
    let org_name = pg_text(&meta.organisation);
    tx.execute(
        "INSERT INTO organisation (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        &[&org_name, &at],
    )?;
    let org: i64 = tx
        .query_one("SELECT id FROM organisation WHERE name = $1", &[&org_name])?
        .get(0);
    let columns: Vec<String> = s.columns.iter().map(|c| pg_text(c).into_owned()).collect();
    // ON CONFLICT waits for a concurrent import of the same file and then yields no row.
    let row = tx.query_opt(
        "INSERT INTO contribution (organisation_id, file_name, sha256, bytes, format, container, sheet, \
         columns, schema_version, imported_at, imported_by, synthetic) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (sha256) DO NOTHING RETURNING id",
        &[
            &org,
            &pg_text(&s.file_name),
            &pg_text(&s.sha256),
            &to_i64(s.bytes, "byte count")?,
            &pg_text(&s.format),
            &pg_text(&s.container),
            &s.sheet.as_deref().map(pg_text),
            &serde_json::to_string(&columns)?,
            &i64::from(s.schema_version),
            &at,
            &pg_text(&meta.imported_by),
            &meta.synthetic,
        ],
    )?;
    match row {
        Some(r) => Ok(r.get(0)),
        None => Err(already(tx)?),
    }
}

const COPY_RECORDS: &str = "COPY case_record (contribution_id, source_row, schema_version, \
    registration_from, registration_to, data_source, gender, age_band, majority, citizenship, \
    country_of_exploitation, is_forced_labour, is_sexual_exploitation, is_other_exploitation) \
    FROM STDIN";
const COPY_SEGMENTS: &str = "COPY record_segment (contribution_id, seq, records, encoding, \
    record_data, raw_data) FROM STDIN";
const COPY_QUARANTINE: &str =
    "COPY quarantine (contribution_id, source_row, raw, issues) FROM STDIN";
const COPY_ISSUES: &str =
    "COPY import_issue (contribution_id, source_row, column_name, value, rule, \
    hint, severity) FROM STDIN";

/// Quarantine and issue rows are sent once this much is buffered (or at commit).
const FLUSH_BYTES: usize = 4 << 20;

/// Append one field in COPY text format, followed by a tab.
fn put_int(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.extend_from_slice(b"\\N"),
    }
    out.push(b'\t');
}

fn put_text(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        Some(v) => escape_into(out, v.as_bytes()),
        None => out.extend_from_slice(b"\\N"),
    }
    out.push(b'\t');
}

/// Append a bytea field in COPY text format (hex: `\\x…`), followed by a tab.
fn put_bytea(out: &mut Vec<u8>, v: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(v.len() * 2 + 4);
    out.extend_from_slice(b"\\\\x");
    for &b in v {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 15)]);
    }
    out.push(b'\t');
}

/// End a row: the last tab becomes a newline.
fn end_row(out: &mut [u8]) {
    if let Some(last) = out.last_mut() {
        *last = b'\n';
    }
}

/// Escape bytes for COPY text format. NUL (impossible in PostgreSQL text) becomes U+FFFD.
fn escape_into(out: &mut Vec<u8>, b: &[u8]) {
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let rep: &[u8] = match c {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0 => "\u{FFFD}".as_bytes(),
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(rep);
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
}

/// Send COPY data; the server's reason for a failure, if it has one, comes with `finish`.
fn copy_all(tx: &mut Transaction<'_>, sql: &str, data: &mut Vec<u8>) -> Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    let mut w = tx.copy_in(sql)?;
    if let Err(e) = w.write_all(data) {
        return Err(match w.finish() {
            Err(pe) => pe.into(),
            Ok(_) => e.into(),
        });
    }
    w.finish()?;
    data.clear();
    Ok(())
}

/// The writer thread of an import: the whole transaction on the store's client. Records
/// stream through one open `COPY case_record`, so the server works while the caller prepares
/// the next rows; quarantine and issue rows are buffered and copied in between.
fn write_import(client: &mut Client, job: WriterJob) -> Result<Option<Contribution>> {
    let mut tx = client.transaction()?;
    let contribution_id = start_import(&mut tx, &job.meta)?;
    if job.started.send(contribution_id).is_err() {
        return Ok(None);
    }
    let cid = Some(contribution_id);
    let mut records = Vec::with_capacity(2 << 20);
    let mut quarantine = Vec::new();
    let mut issues = Vec::new();
    let mut segments = Vec::new();
    let mut encoder = segment::Encoder::new()?;
    let mut seq = 0i64;
    let finish;
    'copy: loop {
        let mut w = tx.copy_in(COPY_RECORDS)?;
        loop {
            // A closed channel means the import was dropped: returning rolls back.
            let Ok(msg) = job.rows.recv() else {
                return Ok(None);
            };
            if job.abandoned.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let b = match msg {
                Msg::Rows(b) => b,
                Msg::Commit {
                    counts,
                    summary,
                    upload,
                } => {
                    w.finish()?;
                    finish = (counts, summary, upload);
                    break 'copy;
                }
            };
            records.clear();
            for r in &b.records {
                put_int(&mut records, cid);
                put_int(&mut records, Some(r.source_row));
                put_int(&mut records, Some(r.schema_version));
                put_int(&mut records, r.registration_from);
                put_int(&mut records, r.registration_to);
                put_text(&mut records, r.data_source);
                put_text(&mut records, r.gender);
                put_text(&mut records, r.age_band);
                put_text(&mut records, r.majority);
                put_text(&mut records, r.citizenship.as_ref().map(Code2::as_str));
                put_text(
                    &mut records,
                    r.country_of_exploitation.as_ref().map(Code2::as_str),
                );
                put_int(&mut records, r.forced_labour);
                put_int(&mut records, r.sexual_exploitation);
                put_int(&mut records, r.other_exploitation);
                end_row(&mut records);
            }
            if !b.records.is_empty() {
                put_int(&mut segments, cid);
                put_int(&mut segments, Some(seq));
                put_int(&mut segments, Some(b.records.len() as i64));
                put_text(&mut segments, Some(segment::ZSTD_JSONL));
                put_bytea(&mut segments, &encoder.encode(&b.record_jsonl)?);
                put_bytea(&mut segments, &encoder.encode(&b.raw_jsonl)?);
                end_row(&mut segments);
                seq += 1;
            }
            for q in &b.quarantine {
                put_int(&mut quarantine, cid);
                put_int(&mut quarantine, Some(q.source_row));
                put_text(&mut quarantine, Some(b.str(&q.raw)?));
                put_text(&mut quarantine, Some(b.str(&q.issues)?));
                end_row(&mut quarantine);
            }
            for i in &b.issues {
                put_int(&mut issues, cid);
                put_int(&mut issues, Some(i.source_row));
                put_text(&mut issues, Some(b.str(&i.column)?));
                put_text(&mut issues, Some(b.str(&i.value)?));
                put_text(&mut issues, Some(b.str(&i.rule)?));
                put_text(&mut issues, Some(b.str(&i.hint)?));
                put_text(&mut issues, Some(i.severity));
                end_row(&mut issues);
            }
            if let Err(e) = w.write_all(&records) {
                return Err(match w.finish() {
                    Err(pe) => pe.into(),
                    Ok(_) => e.into(),
                });
            }
            if quarantine.len() >= FLUSH_BYTES
                || issues.len() >= FLUSH_BYTES
                || segments.len() >= FLUSH_BYTES
            {
                w.finish()?;
                copy_all(&mut tx, COPY_SEGMENTS, &mut segments)?;
                copy_all(&mut tx, COPY_QUARANTINE, &mut quarantine)?;
                copy_all(&mut tx, COPY_ISSUES, &mut issues)?;
                continue 'copy;
            }
        }
    }
    copy_all(&mut tx, COPY_SEGMENTS, &mut segments)?;
    copy_all(&mut tx, COPY_QUARANTINE, &mut quarantine)?;
    copy_all(&mut tx, COPY_ISSUES, &mut issues)?;
    let (counts, summary, upload) = finish;
    let contribution = finish_import(&mut tx, contribution_id, counts, &summary)?;
    if let Some(u) = upload {
        commit_upload(&mut tx, &u, contribution_id)?;
    }
    tx.commit()?;
    Ok(Some(contribution))
}

/// Inside the import's transaction: the staged upload becomes committed (see
/// [`crate::ImportTx::commit_upload`]). The row lock makes a concurrent discard wait for this
/// transaction and then find nothing to discard.
fn commit_upload(
    tx: &mut Transaction<'_>,
    u: &crate::batch::UploadDecision,
    contribution_id: i64,
) -> Result<()> {
    let n = tx.execute(
        "UPDATE upload SET status = 'committed', contribution_id = $1, content = NULL \
         WHERE id = $2 AND status = 'validated'",
        &[&contribution_id, &u.id],
    )?;
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "upload {} is not awaiting a decision",
            u.id
        )));
    }
    insert_audit(
        tx,
        &now(),
        &u.actor,
        "upload.commit",
        &serde_json::json!({"id": u.id, "contribution_id": contribution_id}),
    )
}

/// Final counts, summary and audit entry of a contribution, inside its transaction.
fn finish_import(
    tx: &mut Transaction<'_>,
    contribution_id: i64,
    c: RowCounts,
    summary: &str,
) -> Result<Contribution> {
    let at = now();
    let n = |v: u64| to_i64(v, "count");
    tx.execute(
        "UPDATE contribution SET imported_at = $2, rows_read = $3, rows_accepted = $4, \
         rows_quarantined = $5, issues = $6, warnings = $7, summary = $8 WHERE id = $1",
        &[
            &contribution_id,
            &at,
            &n(c.accepted + c.quarantined)?,
            &n(c.accepted)?,
            &n(c.quarantined)?,
            &n(c.errors)?,
            &n(c.warnings)?,
            &pg_text(summary),
        ],
    )?;
    let contribution = contribution_where(tx, "c.id = $1", &contribution_id)?
        .ok_or_else(|| StoreError::Corrupt("the new contribution vanished".into()))?;
    insert_audit(
        tx,
        &at,
        &contribution.imported_by,
        "import",
        &import_audit_detail(&contribution),
    )?;
    Ok(contribution)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@db:5432/x?password=p&sslmode=disable"),
            "postgres://u@db:5432/x?sslmode=disable"
        );
        assert_eq!(redact_url("postgresql://db/x"), "postgresql://db/x");
        assert_eq!(redact_url("postgres://u:p%40ss@h/x"), "postgres://u@h/x");
        assert_eq!(
            redact_url("postgres://u:p/s@s@h/x?a=1"),
            "postgres://u@h/x?a=1"
        );
    }

    #[test]
    fn schema_parameter() {
        let (u, s) = split_schema_param("postgres://h/db?schema=abc_1&sslmode=disable").unwrap();
        assert_eq!(u, "postgres://h/db?sslmode=disable");
        assert_eq!(s.as_deref(), Some("abc_1"));
        let (u, s) = split_schema_param("postgres://h/db?schema=x").unwrap();
        assert_eq!((u.as_str(), s.as_deref()), ("postgres://h/db", Some("x")));
        assert!(matches!(
            split_schema_param("postgres://h/db?schema=Robert%27);DROP"),
            Err(StoreError::InvalidSchema(_))
        ));
    }

    #[test]
    fn copy_escaping() {
        let mut out = Vec::new();
        escape_into(&mut out, "a\tb\\c\nd\re\0".as_bytes());
        assert_eq!(out, "a\\tb\\\\c\\nd\\re\u{FFFD}".as_bytes());
    }
}
