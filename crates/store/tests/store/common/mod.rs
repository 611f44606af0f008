//! Test fixtures: the same test runs against a SQLite store in a temporary directory and a
//! PostgreSQL store in a fresh schema (dropped afterwards).
//!
//! PostgreSQL comes from `CTHUB_TEST_DATABASE_URL` (default
//! `postgres://postgres:postgres@127.0.0.1:5432/test`). When it is unreachable the PostgreSQL variants
//! print `SKIPPED (...)` and pass, unless `CTHUB_REQUIRE_POSTGRES=1`.

#![allow(dead_code)]

use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use cthub_store::Store;

pub const DEFAULT_PG_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/test";

pub fn pg_url() -> String {
    std::env::var("CTHUB_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string())
}

fn pg_config(url: &str) -> postgres::Config {
    let mut c: postgres::Config = url
        .parse()
        .expect("CTHUB_TEST_DATABASE_URL is not a valid URL");
    c.connect_timeout(Duration::from_secs(5));
    c
}

/// Whether PostgreSQL answers; probed once per test binary, reported once.
fn pg_available() -> bool {
    static PROBE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    let probe = PROBE.get_or_init(|| {
        let url = pg_url();
        let r = pg_config(&url)
            .connect(postgres::NoTls)
            .map(drop)
            .map_err(|e| {
                let mut s = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    s = format!("{s}: {c}");
                    cause = c.source();
                }
                s
            });
        if let Err(e) = &r {
            let line = format!(
                "SKIPPED (PostgreSQL not reachable at {}): {e}",
                cthub_store::redact_url(&url)
            );
            if std::env::var("CTHUB_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("{line} and CTHUB_REQUIRE_POSTGRES=1");
            }
            // Written to the real stderr, past the test harness's capture, so it is seen.
            let _ = writeln!(std::io::stderr(), "{line}");
        }
        r
    });
    if probe.is_err() && std::env::var("CTHUB_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        panic!("PostgreSQL is required (CTHUB_REQUIRE_POSTGRES=1) but not reachable");
    }
    probe.is_ok()
}

pub enum Backend {
    Sqlite {
        _dir: tempfile::TempDir,
        path: String,
    },
    Postgres {
        url: String,
        schema: String,
    },
}

pub struct Fixture {
    pub backend: Backend,
}

fn unique_suffix() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!(
        "{}_{}_{:08x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        h.finish() as u32
    )
}

impl Fixture {
    pub fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("cthub.db").to_string_lossy().into_owned();
        Fixture {
            backend: Backend::Sqlite { _dir: dir, path },
        }
    }

    /// A fresh schema, or `None` (after saying SKIPPED) when PostgreSQL is not reachable.
    pub fn postgres() -> Option<Fixture> {
        if !pg_available() {
            return None;
        }
        let url = pg_url();
        let schema = format!("cthub_test_{}", unique_suffix());
        let mut c = pg_config(&url)
            .connect(postgres::NoTls)
            .expect("connect to PostgreSQL");
        c.batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create test schema");
        Some(Fixture {
            backend: Backend::Postgres { url, schema },
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres { .. })
    }

    /// The location string [`cthub_store::open`] takes for this store.
    pub fn location(&self) -> String {
        match &self.backend {
            Backend::Sqlite { path, .. } => path.clone(),
            Backend::Postgres { url, schema } => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}schema={schema}")
            }
        }
    }

    /// Open the store (applying migrations).
    pub fn open(&self) -> Box<dyn Store> {
        match &self.backend {
            Backend::Sqlite { path, .. } => cthub_store::open(path).expect("open SQLite store"),
            Backend::Postgres { url, schema } => Box::new(
                cthub_store::open_postgres_with_schema(url, schema).expect("open PostgreSQL store"),
            ),
        }
    }

    /// Run one statement on a separate raw connection (bypassing the store); returns the
    /// database's error message on failure.
    pub fn raw_exec(&self, sql: &str) -> std::result::Result<u64, String> {
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                c.execute(sql, [])
                    .map(|n| n as u64)
                    .map_err(|e| e.to_string())
            }
            Backend::Postgres { url, schema } => {
                let mut cfg = pg_config(url);
                cfg.options(&format!("-csearch_path={schema}"));
                let mut c = cfg.connect(postgres::NoTls).map_err(|e| e.to_string())?;
                c.execute(sql, &[]).map_err(|e| {
                    e.as_db_error()
                        .map(|d| d.message().to_string())
                        .unwrap_or_else(|| e.to_string())
                })
            }
        }
    }
}

impl Fixture {
    /// Run several statements on a separate raw connection, in one batch.
    pub fn raw_batch(&self, sql: &str) -> std::result::Result<(), String> {
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                c.execute_batch(sql).map_err(|e| e.to_string())
            }
            Backend::Postgres { url, schema } => {
                let mut cfg = pg_config(url);
                cfg.options(&format!("-csearch_path={schema}"));
                let mut c = cfg.connect(postgres::NoTls).map_err(|e| e.to_string())?;
                c.batch_execute(sql).map_err(|e| e.to_string())
            }
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Backend::Postgres { url, schema } = &self.backend {
            if let Ok(mut c) = pg_config(url).connect(postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// Define `sqlite::<name>` and `postgres::<name>` tests that call the same function with a
/// fixture of each backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let fx = $crate::common::Fixture::sqlite();
                    super::$name(&fx);
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(fx) = $crate::common::Fixture::postgres() {
                        super::$name(&fx);
                    }
                }
            )+
        }
    };
}
