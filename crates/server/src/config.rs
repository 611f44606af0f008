//! Server configuration: defaults, then a TOML file (`--config`), then environment variables
//! (`CTHUB_LISTEN`, `CTHUB_DATABASE_URL`, `CTHUB_COOKIE_SECURE`, `CTHUB_MAX_UPLOAD_MB`,
//! `CTHUB_SESSION_HOURS`), then command-line flags (applied by the caller).

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Store location: a SQLite path or a `postgres://` URL.
    pub database: String,
    /// Mark cookies `Secure` (set when the server is reached over TLS, e.g. behind a proxy).
    pub cookie_secure: bool,
    /// Largest accepted upload, in MiB.
    pub max_upload_mb: u64,
    /// Lifetime of a login session, in hours.
    pub session_hours: u64,
    /// Store connections kept open.
    pub pool_size: usize,
    /// Failed logins allowed per user and address within `login_window_secs`.
    pub login_attempts: u32,
    pub login_window_secs: u64,
    /// Rows an analyst's SQL query may return.
    pub sql_row_limit: usize,
    /// Memory one analyst's SQL query may use for joins, sorts and aggregations, in MiB
    /// (DataFusion's memory pool; past it the query ends with 400, nothing spills to disk).
    pub sql_memory_mb: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            database: "cthub.db".into(),
            cookie_secure: false,
            max_upload_mb: 64,
            session_hours: 12,
            pool_size: 4,
            login_attempts: 5,
            login_window_secs: 15 * 60,
            sql_row_limit: 10_000,
            sql_memory_mb: 256,
        }
    }
}

impl ServerConfig {
    /// Defaults, overridden by the file (if given) and then by the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<ServerConfig> {
        let mut c = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("invalid configuration {}", p.display()))?
            }
            None => ServerConfig::default(),
        };
        c.apply_env(|k| std::env::var(k).ok())?;
        c.check()?;
        Ok(c)
    }

    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn parse<T: std::str::FromStr>(k: &str, v: String) -> anyhow::Result<T>
        where
            T::Err: std::fmt::Display,
        {
            v.trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("environment variable {k}={v:?}: {e}"))
        }
        if let Some(v) = var("CTHUB_LISTEN") {
            self.listen = parse("CTHUB_LISTEN", v)?;
        }
        if let Some(v) = var("CTHUB_DATABASE_URL") {
            self.database = v;
        }
        if let Some(v) = var("CTHUB_COOKIE_SECURE") {
            self.cookie_secure = parse("CTHUB_COOKIE_SECURE", v)?;
        }
        if let Some(v) = var("CTHUB_MAX_UPLOAD_MB") {
            self.max_upload_mb = parse("CTHUB_MAX_UPLOAD_MB", v)?;
        }
        if let Some(v) = var("CTHUB_SESSION_HOURS") {
            self.session_hours = parse("CTHUB_SESSION_HOURS", v)?;
        }
        Ok(())
    }

    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.pool_size >= 1, "pool_size must be at least 1");
        anyhow::ensure!(self.max_upload_mb >= 1, "max_upload_mb must be at least 1");
        anyhow::ensure!(
            (1..=24 * 30).contains(&self.session_hours),
            "session_hours must be between 1 and 720"
        );
        anyhow::ensure!(
            self.login_attempts >= 1,
            "login_attempts must be at least 1"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_values_and_bad_values_are_named() {
        let mut c: ServerConfig =
            toml::from_str("listen = \"127.0.0.1:9000\"\nmax_upload_mb = 8").unwrap();
        assert_eq!(c.max_upload_mb, 8);
        c.apply_env(|k| (k == "CTHUB_LISTEN").then(|| "0.0.0.0:7000".to_string()))
            .unwrap();
        assert_eq!(c.listen.port(), 7000);
        let err = c
            .apply_env(|k| (k == "CTHUB_MAX_UPLOAD_MB").then(|| "lots".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("CTHUB_MAX_UPLOAD_MB"), "{err}");
        assert!(toml::from_str::<ServerConfig>("lisen = \"x\"").is_err());
    }
}
