//! The hub's own tables (migration 7), the same on both backends through [`Sql`]: user
//! accounts and roles, login sessions, API tokens, staged uploads awaiting commit, and the
//! registry of published releases with their files.
//!
//! Secrets never reach the database in the clear: sessions and API tokens are stored as the
//! SHA-256 of the random token (the caller hashes), passwords as argon2id PHC strings (the
//! server hashes). Every write appends an audit entry in the same transaction.

use serde::Serialize;

use crate::sql::{Sql, Val};
use crate::{now, Result, Store, StoreError};

/// What an account may do (see the server's access table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Contributor,
    Analyst,
    Investigator,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Contributor,
        Role::Analyst,
        Role::Investigator,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Contributor => "contributor",
            Role::Analyst => "analyst",
            Role::Investigator => "investigator",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub organisation: Option<OrgRef>,
    pub disabled: bool,
    pub created_at: String,
}

/// A live login session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// After this time (RFC 3339) the token no longer authenticates.
    pub expires_at: String,
    pub revoked: bool,
}

/// Days an API token lives unless its creator asks otherwise.
pub const TOKEN_DAYS: i64 = 90;
/// Longest life of an API token, in days.
pub const MAX_TOKEN_DAYS: i64 = 365;
/// A token's `last_used_at` is written at most once per this many seconds (a bearer request is
/// not a write each time).
pub const TOKEN_USE_RESOLUTION_SECS: i64 = 60;

/// A token's expiry: as stored, or for tokens made before expiry existed, 90 days after creation.
fn token_expiry(created_at: &str, expires_at: Option<String>) -> String {
    expires_at.unwrap_or_else(|| {
        chrono::DateTime::parse_from_rfc3339(created_at)
            .map(|t| {
                (t.with_timezone(&chrono::Utc) + chrono::Duration::days(TOKEN_DAYS))
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            })
            // an unreadable creation time: expired
            .unwrap_or_default()
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadStatus {
    Validated,
    Committed,
    Discarded,
}

impl UploadStatus {
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "validated" => UploadStatus::Validated,
            "committed" => UploadStatus::Committed,
            "discarded" => UploadStatus::Discarded,
            o => return Err(StoreError::Corrupt(format!("unknown upload status {o:?}"))),
        })
    }
}

/// A file uploaded through the server, validated, waiting for its contributor to commit or
/// discard it. Its staged rows are kept only until then.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Upload {
    pub id: i64,
    pub organisation: OrgRef,
    pub uploaded_by: String,
    pub uploaded_at: String,
    pub file_name: String,
    pub bytes: u64,
    pub sha256: String,
    pub status: UploadStatus,
    /// The validation report (summary and issues) as the server wrote it.
    pub report: serde_json::Value,
    pub contribution_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseFile {
    pub name: String,
    pub media_type: String,
    pub bytes: u64,
}

/// A release registered in the hub (DP aggregates, synthetic data or a k-anonymous table).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Release {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub dataset: String,
    pub created_at: String,
    pub created_by: String,
    pub published: bool,
    /// Parameters (epsilon, delta, k, columns, record count, ...).
    pub manifest: serde_json::Value,
    pub files: Vec<ReleaseFile>,
}

/// A new release to register.
pub struct NewRelease<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub dataset: &'a str,
    pub created_by: &'a str,
    pub published: bool,
    pub manifest: serde_json::Value,
    /// name, media type, content.
    pub files: Vec<(String, String, Vec<u8>)>,
}

/// Appends an audit entry inside the caller's transaction (the hub's and linkage's writes).
pub(crate) fn audit(
    db: &mut dyn Sql,
    actor: &str,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    db.exec(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES ($1, $2, $3, $4)",
        &[
            now().into(),
            actor.into(),
            action.into(),
            detail.to_string().into(),
        ],
    )?;
    Ok(())
}

/// Runs `f` in one transaction and returns its value.
pub(crate) fn tx<T>(
    store: &mut dyn Store,
    mut f: impl FnMut(&mut dyn Sql) -> Result<T>,
) -> Result<T> {
    let mut out = None;
    store.with_sql(&mut |db| {
        out = Some(f(db)?);
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Internal("transaction returned nothing".into()))
}

fn is_unique_violation(e: &StoreError) -> bool {
    match e {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
            f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        }
        StoreError::Postgres(p) => p.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
        _ => false,
    }
}

fn conflict_on_unique<T>(r: Result<T>, what: String) -> Result<T> {
    r.map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(what)
        } else {
            e
        }
    })
}

// ---------- organisations ----------

fn org_row(r: &[Val]) -> Result<Organisation> {
    Ok(Organisation {
        id: r[0].int()?,
        name: r[1].text()?,
        created_at: r[2].text()?,
    })
}

pub fn organisations(store: &mut dyn Store) -> Result<Vec<Organisation>> {
    tx(store, |db| {
        db.query(
            "SELECT id, name, created_at FROM organisation ORDER BY id",
            &[],
        )?
        .iter()
        .map(|r| org_row(r))
        .collect()
    })
}

pub fn organisation(store: &mut dyn Store, id: i64) -> Result<Option<Organisation>> {
    tx(store, |db| {
        db.query_opt(
            "SELECT id, name, created_at FROM organisation WHERE id = $1",
            &[id.into()],
        )?
        .map(|r| org_row(&r))
        .transpose()
    })
}

/// Creates an organisation; [`StoreError::Conflict`] when the name is taken.
pub fn create_organisation(store: &mut dyn Store, name: &str, actor: &str) -> Result<Organisation> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(StoreError::Invalid(
            "an organisation name has 1 to 200 characters".into(),
        ));
    }
    tx(store, |db| {
        let r = conflict_on_unique(
            db.query_one(
                "INSERT INTO organisation (name, created_at) VALUES ($1, $2) RETURNING id, name, created_at",
                &[name.into(), now().into()],
            ),
            format!("an organisation named {name:?} exists"),
        )?;
        let o = org_row(&r)?;
        audit(
            db,
            actor,
            "organisation.create",
            serde_json::json!({"id": o.id, "name": o.name}),
        )?;
        Ok(o)
    })
}

// ---------- users ----------

const USER_COLS: &str =
    "u.id, u.username, u.role, u.organisation_id, o.name, u.disabled, u.created_at";
const USER_FROM: &str = "app_user u LEFT JOIN organisation o ON o.id = u.organisation_id";

fn user_row(r: &[Val]) -> Result<User> {
    let role = r[2].text()?;
    Ok(User {
        id: r[0].int()?,
        username: r[1].text()?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        organisation: match r[3].opt_int()? {
            Some(id) => Some(OrgRef {
                id,
                name: r[4].text()?,
            }),
            None => None,
        },
        disabled: r[5].int()? != 0,
        created_at: r[6].text()?,
    })
}

pub fn users(store: &mut dyn Store) -> Result<Vec<User>> {
    tx(store, |db| {
        db.query(
            &format!("SELECT {USER_COLS} FROM {USER_FROM} ORDER BY u.id"),
            &[],
        )?
        .iter()
        .map(|r| user_row(r))
        .collect()
    })
}

pub fn user(store: &mut dyn Store, id: i64) -> Result<Option<User>> {
    tx(store, |db| {
        db.query_opt(
            &format!("SELECT {USER_COLS} FROM {USER_FROM} WHERE u.id = $1"),
            &[id.into()],
        )?
        .map(|r| user_row(&r))
        .transpose()
    })
}

/// The account and its password hash, for a login.
pub fn credentials(store: &mut dyn Store, username: &str) -> Result<Option<(User, String)>> {
    tx(store, |db| {
        db.query_opt(
            &format!("SELECT {USER_COLS}, u.password_hash FROM {USER_FROM} WHERE u.username = $1"),
            &[username.into()],
        )?
        .map(|r| Ok((user_row(&r)?, r[7].text()?)))
        .transpose()
    })
}

fn check_username(u: &str) -> Result<()> {
    let ok = (1..=64).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "invalid username {u:?}: 1 to 64 letters, digits, '.', '_', '-' or '@'"
        )))
    }
}

/// Creates an account. A contributor needs an organisation.
pub fn create_user(
    store: &mut dyn Store,
    username: &str,
    password_hash: &str,
    role: Role,
    organisation_id: Option<i64>,
    actor: &str,
) -> Result<User> {
    check_username(username)?;
    if role == Role::Contributor && organisation_id.is_none() {
        return Err(StoreError::Invalid(
            "a contributor belongs to an organisation: give organisation_id".into(),
        ));
    }
    tx(store, |db| {
        if let Some(o) = organisation_id {
            if db
                .query_opt("SELECT id FROM organisation WHERE id = $1", &[o.into()])?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("organisation {o}")));
            }
        }
        let r = conflict_on_unique(
            db.query_one(
                "INSERT INTO app_user (username, password_hash, role, organisation_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[
                    username.into(),
                    password_hash.into(),
                    role.as_str().into(),
                    organisation_id.into(),
                    now().into(),
                ],
            ),
            format!("a user named {username:?} exists"),
        )?;
        let id = r[0].int()?;
        audit(
            db,
            actor,
            "user.create",
            serde_json::json!({"id": id, "username": username, "role": role.as_str(), "organisation_id": organisation_id}),
        )?;
        user_row(&db.query_one(
            &format!("SELECT {USER_COLS} FROM {USER_FROM} WHERE u.id = $1"),
            &[id.into()],
        )?)
    })
}

/// Changes an account. Disabling it or changing its password or role ends its sessions and
/// revokes its API tokens.
pub fn update_user(
    store: &mut dyn Store,
    id: i64,
    disabled: Option<bool>,
    password_hash: Option<&str>,
    role: Option<Role>,
    actor: &str,
) -> Result<User> {
    tx(store, |db| {
        let cur = db
            .query_opt(
                &format!("SELECT {USER_COLS} FROM {USER_FROM} WHERE u.id = $1"),
                &[id.into()],
            )?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
        let cur = user_row(&cur)?;
        if let Some(r) = role {
            if r == Role::Contributor && cur.organisation.is_none() {
                return Err(StoreError::Invalid(
                    "this user has no organisation and cannot become a contributor".into(),
                ));
            }
            db.exec(
                "UPDATE app_user SET role = $1 WHERE id = $2",
                &[r.as_str().into(), id.into()],
            )?;
        }
        if let Some(d) = disabled {
            db.exec(
                "UPDATE app_user SET disabled = $1 WHERE id = $2",
                &[d.into(), id.into()],
            )?;
        }
        if let Some(h) = password_hash {
            db.exec(
                "UPDATE app_user SET password_hash = $1 WHERE id = $2",
                &[h.into(), id.into()],
            )?;
        }
        let mut tokens_revoked = 0;
        if disabled == Some(true) || password_hash.is_some() || role.is_some() {
            db.exec("DELETE FROM user_session WHERE user_id = $1", &[id.into()])?;
            // a token speaks for the account as it was: a new password or role ends them too
            tokens_revoked = db.exec(
                "UPDATE api_token SET revoked = 1 WHERE user_id = $1 AND revoked = 0",
                &[id.into()],
            )?;
        }
        audit(
            db,
            actor,
            "user.update",
            serde_json::json!({"id": id, "disabled": disabled, "password_changed": password_hash.is_some(),
                "role": role.map(Role::as_str), "tokens_revoked": tokens_revoked}),
        )?;
        user_row(&db.query_one(
            &format!("SELECT {USER_COLS} FROM {USER_FROM} WHERE u.id = $1"),
            &[id.into()],
        )?)
    })
}

// ---------- sessions ----------

/// Stores a new session (the SHA-256 of its cookie token) valid until `expires_at` (RFC 3339).
pub fn create_session(
    store: &mut dyn Store,
    token_hash: &str,
    user_id: i64,
    csrf_token: &str,
    expires_at: &str,
) -> Result<()> {
    tx(store, |db| {
        // Expired sessions are removed on every login.
        db.exec(
            "DELETE FROM user_session WHERE expires_at < $1",
            &[now().into()],
        )?;
        db.exec(
            "INSERT INTO user_session (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                token_hash.into(),
                user_id.into(),
                csrf_token.into(),
                now().into(),
                expires_at.into(),
            ],
        )?;
        audit(
            db,
            &format!("user:{user_id}"),
            "session.login",
            serde_json::json!({}),
        )
    })
}

/// The live session with this token hash: not expired, account not disabled.
pub fn session(store: &mut dyn Store, token_hash: &str) -> Result<Option<Session>> {
    tx(store, |db| {
        let Some(r) = db.query_opt(
            &format!(
                "SELECT {USER_COLS}, s.csrf_token, s.expires_at FROM user_session s \
                 JOIN app_user u ON u.id = s.user_id LEFT JOIN organisation o ON o.id = u.organisation_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2"
            ),
            &[token_hash.into(), now().into()],
        )?
        else {
            return Ok(None);
        };
        let user = user_row(&r)?;
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(Session {
            user,
            csrf_token: r[7].text()?,
            expires_at: r[8].text()?,
        }))
    })
}

pub fn delete_session(store: &mut dyn Store, token_hash: &str, actor: &str) -> Result<()> {
    tx(store, |db| {
        db.exec(
            "DELETE FROM user_session WHERE token_hash = $1",
            &[token_hash.into()],
        )?;
        audit(db, actor, "session.logout", serde_json::json!({}))
    })
}

// ---------- API tokens ----------

fn token_row(r: &[Val]) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r[0].int()?,
        user_id: r[1].int()?,
        name: r[2].text()?,
        created_at: r[3].text()?,
        last_used_at: r[4].opt_text()?,
        revoked: r[5].int()? != 0,
        expires_at: token_expiry(&r[3].text()?, r[6].opt_text()?),
    })
}

const TOKEN_COLS: &str = "id, user_id, name, created_at, last_used_at, revoked, expires_at";

/// Stores a new API token (the SHA-256 of its secret) that expires after `days` (1 to
/// [`MAX_TOKEN_DAYS`]).
pub fn create_token(
    store: &mut dyn Store,
    user_id: i64,
    name: &str,
    token_hash: &str,
    days: i64,
    actor: &str,
) -> Result<ApiToken> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(StoreError::Invalid(
            "a token name has 1 to 100 characters".into(),
        ));
    }
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(StoreError::Invalid(format!(
            "a token lives 1 to {MAX_TOKEN_DAYS} days, not {days}"
        )));
    }
    let expires = crate::at_offset(days * 86_400);
    tx(store, |db| {
        let r = db.query_one(
            &format!(
                "INSERT INTO api_token (user_id, name, token_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLS}"
            ),
            &[
                user_id.into(),
                name.into(),
                token_hash.into(),
                now().into(),
                expires.as_str().into(),
            ],
        )?;
        let t = token_row(&r)?;
        audit(
            db,
            actor,
            "token.create",
            serde_json::json!({"id": t.id, "user_id": user_id, "name": name, "expires_at": t.expires_at}),
        )?;
        Ok(t)
    })
}

/// Tokens of one user (or of everyone), newest first.
pub fn tokens(store: &mut dyn Store, user_id: Option<i64>) -> Result<Vec<ApiToken>> {
    tx(store, |db| {
        let rows = match user_id {
            Some(u) => db.query(
                &format!("SELECT {TOKEN_COLS} FROM api_token WHERE user_id = $1 ORDER BY id DESC"),
                &[u.into()],
            )?,
            None => db.query(
                &format!("SELECT {TOKEN_COLS} FROM api_token ORDER BY id DESC"),
                &[],
            )?,
        };
        rows.iter().map(|r| token_row(r)).collect()
    })
}

pub fn token(store: &mut dyn Store, id: i64) -> Result<Option<ApiToken>> {
    tx(store, |db| {
        db.query_opt(
            &format!("SELECT {TOKEN_COLS} FROM api_token WHERE id = $1"),
            &[id.into()],
        )?
        .map(|r| token_row(&r))
        .transpose()
    })
}

/// The account a live token belongs to (not revoked, not expired, account enabled); notes its
/// use at most once per [`TOKEN_USE_RESOLUTION_SECS`].
pub fn token_user(store: &mut dyn Store, token_hash: &str) -> Result<Option<User>> {
    tx(store, |db| {
        let Some(r) = db.query_opt(
            &format!(
                "SELECT {USER_COLS}, t.id, t.created_at, t.expires_at, t.last_used_at \
                 FROM api_token t JOIN app_user u ON u.id = t.user_id \
                 LEFT JOIN organisation o ON o.id = u.organisation_id \
                 WHERE t.token_hash = $1 AND t.revoked = 0"
            ),
            &[token_hash.into()],
        )?
        else {
            return Ok(None);
        };
        let user = user_row(&r)?;
        let (id, created, expires, last) = (
            r[7].int()?,
            r[8].text()?,
            r[9].opt_text()?,
            r[10].opt_text()?,
        );
        if user.disabled || token_expiry(&created, expires) <= now() {
            return Ok(None);
        }
        let stale = crate::at_offset(-TOKEN_USE_RESOLUTION_SECS);
        if last.is_none_or(|l| l < stale) {
            db.exec(
                "UPDATE api_token SET last_used_at = $1 WHERE id = $2",
                &[now().into(), id.into()],
            )?;
        }
        Ok(Some(user))
    })
}

pub fn revoke_token(store: &mut dyn Store, id: i64, actor: &str) -> Result<()> {
    tx(store, |db| {
        if db.exec(
            "UPDATE api_token SET revoked = 1 WHERE id = $1",
            &[id.into()],
        )? == 0
        {
            return Err(StoreError::NotFound(format!("token {id}")));
        }
        audit(db, actor, "token.revoke", serde_json::json!({"id": id}))
    })
}

// ---------- uploads ----------

const UPLOAD_COLS: &str =
    "p.id, p.organisation_id, o.name, p.uploaded_by, p.uploaded_at, p.file_name, \
    p.bytes, p.sha256, p.status, p.report, p.contribution_id";
const UPLOAD_FROM: &str = "upload p JOIN organisation o ON o.id = p.organisation_id";

fn upload_row(r: &[Val]) -> Result<Upload> {
    Ok(Upload {
        id: r[0].int()?,
        organisation: OrgRef {
            id: r[1].int()?,
            name: r[2].text()?,
        },
        uploaded_by: r[3].text()?,
        uploaded_at: r[4].text()?,
        file_name: r[5].text()?,
        bytes: crate::to_u64(r[6].int()?, "bytes")?,
        sha256: r[7].text()?,
        status: UploadStatus::parse(&r[8].text()?)?,
        report: serde_json::from_str(&r[9].text()?)?,
        contribution_id: r[10].opt_int()?,
    })
}

/// Stages a validated upload: `content` is what the commit will import (the hub stores the
/// validated rows, identifiers withheld, never the raw file), `file_bytes` the file's size.
#[allow(clippy::too_many_arguments)]
pub fn save_upload(
    store: &mut dyn Store,
    organisation_id: i64,
    uploaded_by: &str,
    file_name: &str,
    file_bytes: u64,
    sha256: &str,
    content: Vec<u8>,
    report: &serde_json::Value,
) -> Result<Upload> {
    let bytes = i64::try_from(file_bytes)
        .map_err(|_| StoreError::Invalid(format!("a file of {file_bytes} bytes")))?;
    let mut content = Some(content);
    tx(store, |db| {
        let r = db.query_one(
            "INSERT INTO upload (organisation_id, uploaded_by, uploaded_at, file_name, bytes, sha256, content, status, report) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'validated', $8) RETURNING id",
            &[
                organisation_id.into(),
                uploaded_by.into(),
                now().into(),
                file_name.into(),
                bytes.into(),
                sha256.into(),
                Val::Blob(content.take().unwrap_or_default()),
                report.to_string().into(),
            ],
        )?;
        let id = r[0].int()?;
        audit(
            db,
            uploaded_by,
            "upload.validate",
            serde_json::json!({"id": id, "organisation_id": organisation_id, "file": file_name,
                "bytes": bytes, "sha256": sha256, "summary": report.get("summary")}),
        )?;
        upload_row(&db.query_one(
            &format!("SELECT {UPLOAD_COLS} FROM {UPLOAD_FROM} WHERE p.id = $1"),
            &[id.into()],
        )?)
    })
}

/// Uploads of one organisation (or all), newest first.
pub fn uploads(store: &mut dyn Store, organisation_id: Option<i64>) -> Result<Vec<Upload>> {
    tx(store, |db| {
        let rows = match organisation_id {
            Some(o) => db.query(
                &format!("SELECT {UPLOAD_COLS} FROM {UPLOAD_FROM} WHERE p.organisation_id = $1 ORDER BY p.id DESC"),
                &[o.into()],
            )?,
            None => db.query(
                &format!("SELECT {UPLOAD_COLS} FROM {UPLOAD_FROM} ORDER BY p.id DESC"),
                &[],
            )?,
        };
        rows.iter().map(|r| upload_row(r)).collect()
    })
}

pub fn upload(store: &mut dyn Store, id: i64) -> Result<Option<Upload>> {
    tx(store, |db| {
        db.query_opt(
            &format!("SELECT {UPLOAD_COLS} FROM {UPLOAD_FROM} WHERE p.id = $1"),
            &[id.into()],
        )?
        .map(|r| upload_row(&r))
        .transpose()
    })
}

/// The staged content of a validated upload.
pub fn upload_content(store: &mut dyn Store, id: i64) -> Result<Vec<u8>> {
    tx(store, |db| {
        db.query_opt(
            "SELECT content FROM upload WHERE id = $1 AND status = 'validated'",
            &[id.into()],
        )?
        .ok_or_else(|| StoreError::Conflict(format!("upload {id} is not awaiting a decision")))?
        .swap_remove(0)
        .blob()
    })
}

/// Discards a validated upload: its staged content is deleted. [`StoreError::Conflict`] when it
/// was already decided. (A commit decides the upload inside its import's transaction:
/// [`crate::ImportTx::commit_upload`].)
pub fn discard_upload(store: &mut dyn Store, id: i64, actor: &str) -> Result<Upload> {
    tx(store, |db| {
        let n = db.exec(
            "UPDATE upload SET status = 'discarded', content = NULL \
             WHERE id = $1 AND status = 'validated'",
            &[id.into()],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "upload {id} is not awaiting a decision"
            )));
        }
        audit(
            db,
            actor,
            "upload.discard",
            serde_json::json!({"id": id, "contribution_id": null}),
        )?;
        upload_row(&db.query_one(
            &format!("SELECT {UPLOAD_COLS} FROM {UPLOAD_FROM} WHERE p.id = $1"),
            &[id.into()],
        )?)
    })
}

// ---------- releases ----------

fn release_rows(db: &mut dyn Sql, filter: &str, params: &[Val]) -> Result<Vec<Release>> {
    let rows = db.query(
        &format!(
            "SELECT id, kind, title, dataset, created_at, created_by, published, manifest \
             FROM hub_release {filter} ORDER BY id DESC"
        ),
        params,
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id = r[0].int()?;
        let files = db
            .query(
                "SELECT name, media_type, LENGTH(content) FROM hub_release_file WHERE release_id = $1 ORDER BY name",
                &[id.into()],
            )?
            .iter()
            .map(|f| {
                Ok(ReleaseFile {
                    name: f[0].text()?,
                    media_type: f[1].text()?,
                    bytes: crate::to_u64(f[2].int()?, "bytes")?,
                })
            })
            .collect::<Result<_>>()?;
        out.push(Release {
            id,
            kind: r[1].text()?,
            title: r[2].text()?,
            dataset: r[3].text()?,
            created_at: r[4].text()?,
            created_by: r[5].text()?,
            published: r[6].int()? != 0,
            manifest: serde_json::from_str(&r[7].text()?)?,
            files,
        });
    }
    Ok(out)
}

/// Registers a release and its files in one transaction (audited).
pub fn save_release(store: &mut dyn Store, rel: NewRelease<'_>) -> Result<Release> {
    tx(store, |db| {
        let r = db.query_one(
            "INSERT INTO hub_release (kind, title, dataset, created_at, created_by, published, manifest) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                rel.kind.into(),
                rel.title.into(),
                rel.dataset.into(),
                now().into(),
                rel.created_by.into(),
                rel.published.into(),
                rel.manifest.to_string().into(),
            ],
        )?;
        let id = r[0].int()?;
        for (name, media, content) in &rel.files {
            db.exec(
                "INSERT INTO hub_release_file (release_id, name, media_type, content) VALUES ($1, $2, $3, $4)",
                &[id.into(), name.as_str().into(), media.as_str().into(), Val::Blob(content.clone())],
            )?;
        }
        audit(
            db,
            rel.created_by,
            "release.register",
            serde_json::json!({"id": id, "kind": rel.kind, "title": rel.title, "published": rel.published,
                "files": rel.files.iter().map(|f| &f.0).collect::<Vec<_>>()}),
        )?;
        release_rows(db, "WHERE id = $1", &[id.into()])?
            .pop()
            .ok_or_else(|| StoreError::Internal("release vanished".into()))
    })
}

/// Every release, newest first.
pub fn releases(store: &mut dyn Store) -> Result<Vec<Release>> {
    tx(store, |db| release_rows(db, "", &[]))
}

pub fn release(store: &mut dyn Store, id: i64) -> Result<Option<Release>> {
    tx(store, |db| {
        Ok(release_rows(db, "WHERE id = $1", &[id.into()])?.pop())
    })
}

/// A release file's media type and content.
pub fn release_file(
    store: &mut dyn Store,
    id: i64,
    name: &str,
) -> Result<Option<(String, Vec<u8>)>> {
    tx(store, |db| {
        db.query_opt(
            "SELECT media_type, content FROM hub_release_file WHERE release_id = $1 AND name = $2",
            &[id.into(), name.into()],
        )?
        .map(|mut r| {
            let content = r.pop().unwrap_or(Val::Null).blob()?;
            Ok((r[0].text()?, content))
        })
        .transpose()
    })
}

pub fn publish_release(store: &mut dyn Store, id: i64, actor: &str) -> Result<Release> {
    tx(store, |db| {
        if db.exec(
            "UPDATE hub_release SET published = 1 WHERE id = $1",
            &[id.into()],
        )? == 0
        {
            return Err(StoreError::NotFound(format!("release {id}")));
        }
        audit(db, actor, "release.publish", serde_json::json!({"id": id}))?;
        release_rows(db, "WHERE id = $1", &[id.into()])?
            .pop()
            .ok_or_else(|| StoreError::Internal("release vanished".into()))
    })
}

/// The newest audit entries, newest first.
pub fn recent_audit(store: &mut dyn Store, limit: i64) -> Result<Vec<crate::AuditEntry>> {
    tx(store, |db| {
        db.query(
            "SELECT id, at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT $1",
            &[limit.into()],
        )?
        .iter()
        .map(|r| {
            Ok(crate::AuditEntry {
                id: r[0].int()?,
                at: r[1].text()?,
                actor: r[2].text()?,
                action: r[3].text()?,
                detail: serde_json::from_str(&r[4].text()?)?,
            })
        })
        .collect()
    })
}

/// Whether the store answers (readiness).
pub fn ping(store: &mut dyn Store) -> Result<()> {
    tx(store, |db| db.query_one("SELECT 1", &[]).map(|_| ()))
}

/// A fingerprint of the store's case records: the number of contributions and the highest
/// contribution id. Records only change by committing or removing a contribution, so a change
/// here is how a running server learns of imports made by another process (the CLI).
pub fn records_version(store: &mut dyn Store) -> Result<(i64, i64)> {
    tx(store, |db| {
        let r = db.query_one(
            "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM contribution",
            &[],
        )?;
        Ok((r[0].int()?, r[1].int()?))
    })
}
