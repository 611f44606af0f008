//! One small SQL interface over both backends, for the hub's own tables (accounts, sessions,
//! tokens, uploads, releases: see `hub.rs`), whose SQL is the same on SQLite and PostgreSQL.
//!
//! Statements use PostgreSQL's `$1, $2, …` placeholders; on SQLite they are rewritten to the
//! equivalent `?1, ?2, …`. Values travel as [`Val`]. Every call runs inside one transaction
//! opened by [`crate::Store::with_sql`].

use crate::{Result, StoreError};

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Val {
    pub fn int(&self) -> Result<i64> {
        match self {
            Val::Int(v) => Ok(*v),
            other => Err(StoreError::Corrupt(format!(
                "expected an integer, found {other:?}"
            ))),
        }
    }
    pub fn opt_int(&self) -> Result<Option<i64>> {
        match self {
            Val::Null => Ok(None),
            v => v.int().map(Some),
        }
    }
    pub fn real(&self) -> Result<f64> {
        match self {
            Val::Real(v) => Ok(*v),
            Val::Int(v) => Ok(*v as f64),
            other => Err(StoreError::Corrupt(format!(
                "expected a number, found {other:?}"
            ))),
        }
    }
    pub fn text(&self) -> Result<String> {
        match self {
            Val::Text(v) => Ok(v.clone()),
            other => Err(StoreError::Corrupt(format!(
                "expected text, found {other:?}"
            ))),
        }
    }
    pub fn opt_text(&self) -> Result<Option<String>> {
        match self {
            Val::Null => Ok(None),
            v => v.text().map(Some),
        }
    }
    pub fn blob(self) -> Result<Vec<u8>> {
        match self {
            Val::Blob(v) => Ok(v),
            other => Err(StoreError::Corrupt(format!(
                "expected bytes, found {other:?}"
            ))),
        }
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Int(v as i64)
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Self {
        Val::Real(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        // PostgreSQL refuses NUL in text; SQLite would keep it. Replace it on both.
        Val::Text(v.replace('\0', "\u{FFFD}"))
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::from(v.as_str())
    }
}
impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Self {
        Val::Blob(v)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

/// A transaction on either backend.
pub trait Sql {
    /// Runs a statement; returns the number of rows changed.
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64>;
    /// Runs a query; returns every row.
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>>;
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// The first row, if any.
    fn query_opt(&mut self, sql: &str, params: &[Val]) -> Result<Option<Vec<Val>>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
    /// Exactly one row.
    fn query_one(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Val>> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::Internal(format!("no row returned by {sql}")))
    }
}

/// `$1` → `?1` (outside string literals).
pub(crate) fn to_sqlite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_str = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            in_str = !in_str;
        }
        if c == '$' && !in_str && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) struct SqliteSql<'a>(pub &'a rusqlite::Connection);

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Val::Null => ValueRef::Null,
            Val::Int(v) => ValueRef::Integer(*v),
            Val::Real(v) => ValueRef::Real(*v),
            Val::Text(v) => ValueRef::Text(v.as_bytes()),
            Val::Blob(v) => ValueRef::Blob(v),
        }))
    }
}

impl Sql for SqliteSql<'_> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        let mut st = self.0.prepare_cached(&to_sqlite(sql))?;
        Ok(st.execute(rusqlite::params_from_iter(params.iter()))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>> {
        use rusqlite::types::ValueRef;
        let mut st = self.0.prepare_cached(&to_sqlite(sql))?;
        let n = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(v) => Val::Int(v),
                    ValueRef::Real(v) => Val::Real(v),
                    ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Val::Blob(b.to_vec()),
                });
            }
            out.push(row);
        }
        Ok(out)
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

pub(crate) struct PgSql<'a, 'b>(pub &'a mut postgres::Transaction<'b>);

impl postgres::types::ToSql for Val {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        use postgres::types::{IsNull, Type};
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Val::Int(v) if *ty == Type::BOOL => (*v != 0).to_sql(ty, out),
            Val::Int(v) if *ty == Type::FLOAT8 => (*v as f64).to_sql(ty, out),
            Val::Int(v) => v.to_sql(ty, out),
            Val::Real(v) => v.to_sql(ty, out),
            Val::Text(v) => v.to_sql(ty, out),
            Val::Blob(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

impl Sql for PgSql<'_, '_> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        let p: Vec<&(dyn postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        Ok(self.0.execute(sql, &p)?)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>> {
        use postgres::types::Type;
        let p: Vec<&(dyn postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let rows = self.0.query(sql, &p)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut row = Vec::with_capacity(r.len());
            for (i, c) in r.columns().iter().enumerate() {
                let t = c.type_();
                let v = if *t == Type::INT8 {
                    r.get::<_, Option<i64>>(i).map(Val::Int)
                } else if *t == Type::INT4 {
                    r.get::<_, Option<i32>>(i).map(|v| Val::Int(v.into()))
                } else if *t == Type::INT2 {
                    r.get::<_, Option<i16>>(i).map(|v| Val::Int(v.into()))
                } else if *t == Type::BOOL {
                    r.get::<_, Option<bool>>(i).map(|v| Val::Int(v.into()))
                } else if *t == Type::FLOAT8 {
                    r.get::<_, Option<f64>>(i).map(Val::Real)
                } else if *t == Type::BYTEA {
                    r.get::<_, Option<Vec<u8>>>(i).map(Val::Blob)
                } else {
                    r.get::<_, Option<String>>(i).map(Val::Text)
                };
                row.push(v.unwrap_or(Val::Null));
            }
            out.push(row);
        }
        Ok(out)
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_sqlite_positions_outside_literals() {
        assert_eq!(
            to_sqlite("SELECT $1, '$2', $10 FROM t WHERE a = $2"),
            "SELECT ?1, '$2', ?10 FROM t WHERE a = ?2"
        );
    }
}
