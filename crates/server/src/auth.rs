//! Who is calling: a session cookie (with CSRF protection on state-changing requests), an API
//! token (`Authorization: Bearer cthub_…`), or nobody (public). Passwords are argon2id;
//! session and API tokens are 32 random bytes, stored only as their SHA-256.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use cthub_store::hub::{Role, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "cthub_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const TOKEN_PREFIX: &str = "cthub_";

/// The caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Option<User>,
    /// Set when authenticated by session cookie: the session's token hash.
    pub session: Option<String>,
    /// The session's CSRF token (cookie sessions only).
    pub csrf: Option<String>,
}

impl Caller {
    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|u| u.role)
    }
    /// The audit actor: `user:<name>` or `public`.
    pub fn actor(&self) -> String {
        match &self.user {
            Some(u) => format!("user:{}", u.username),
            None => "public".into(),
        }
    }
    pub fn require_login(&self) -> Result<&User, ApiError> {
        self.user.as_ref().ok_or_else(ApiError::unauthorized)
    }
    /// Logged in with one of `roles`: 401 for the public, 403 for other roles.
    pub fn require(&self, roles: &[Role]) -> Result<&User, ApiError> {
        let u = self.require_login()?;
        if roles.contains(&u.role) {
            Ok(u)
        } else {
            Err(ApiError::forbidden(format!(
                "the {} role may not do this",
                u.role.as_str()
            )))
        }
    }
    pub fn is(&self, role: Role) -> bool {
        self.role() == Some(role)
    }
}

/// 32 random bytes as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// argon2id with the crate's default (OWASP) parameters and a random salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    check_password(password)?;
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("cannot hash the password: {e}")))
}

pub fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 10 || password.len() > 1024 {
        return Err(ApiError::bad_request(
            "a password has at least 10 characters (and at most 1024 bytes)",
        ));
    }
    Ok(())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that a login for an unknown name
/// takes as long as one with a wrong password.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not-a-real-password-0").unwrap_or_default())
}

/// Failed logins per (address, username) in a sliding window.
pub struct LoginLimiter {
    attempts: u32,
    window: Duration,
    failures: Mutex<HashMap<(IpAddr, String), Vec<Instant>>>,
}

impl LoginLimiter {
    pub fn new(attempts: u32, window: Duration) -> Self {
        LoginLimiter {
            attempts,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }
    /// `Some(seconds to wait)` when the key is locked out.
    pub fn blocked(&self, ip: IpAddr, user: &str) -> Option<u64> {
        let mut m = self.failures.lock().ok()?;
        let now = Instant::now();
        let v = m.get_mut(&(ip, user.to_lowercase()))?;
        v.retain(|t| now.duration_since(*t) < self.window);
        if v.len() as u32 >= self.attempts {
            let oldest = v.iter().min().copied()?;
            Some((self.window - now.duration_since(oldest)).as_secs().max(1))
        } else {
            None
        }
    }
    pub fn failed(&self, ip: IpAddr, user: &str) {
        if let Ok(mut m) = self.failures.lock() {
            if m.len() > 100_000 {
                let now = Instant::now();
                let w = self.window;
                m.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < w));
            }
            m.entry((ip, user.to_lowercase()))
                .or_default()
                .push(Instant::now());
        }
    }
    pub fn succeeded(&self, ip: IpAddr, user: &str) {
        if let Ok(mut m) = self.failures.lock() {
            m.remove(&(ip, user.to_lowercase()));
        }
    }
}

fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn state_changing(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let caller = if let Some(tok) = bearer {
            let h = token_hash(&tok);
            let user = state
                .pool
                .run(move |s| Ok(cthub_store::hub::token_user(s, &h)?))
                .await?;
            match user {
                Some(u) => Caller {
                    user: Some(u),
                    session: None,
                    csrf: None,
                },
                None => {
                    return Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "unauthorized",
                        "the API token is unknown or revoked",
                    ))
                }
            }
        } else if let Some(tok) = cookie_value(parts, SESSION_COOKIE) {
            let h = token_hash(&tok);
            let h2 = h.clone();
            let session = state
                .pool
                .run(move |s| Ok(cthub_store::hub::session(s, &h2)?))
                .await?;
            match session {
                Some(sess) => {
                    if state_changing(&parts.method) {
                        let sent = parts
                            .headers
                            .get(CSRF_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("");
                        if !constant_time_eq(sent.as_bytes(), sess.csrf_token.as_bytes()) {
                            return Err(ApiError::new(
                                StatusCode::FORBIDDEN,
                                "csrf",
                                "missing or wrong X-CSRF-Token header (read it from GET /api/session)",
                            ));
                        }
                    }
                    Caller {
                        user: Some(sess.user),
                        session: Some(h),
                        csrf: Some(sess.csrf_token),
                    }
                }
                // An expired or unknown cookie is treated as no login.
                None => Caller {
                    user: None,
                    session: None,
                    csrf: None,
                },
            }
        } else {
            Caller {
                user: None,
                session: None,
                csrf: None,
            }
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterz", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn limiter_blocks_after_the_allowed_failures_per_user_and_address() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(l.blocked(ip, "Ann").is_none());
            l.failed(ip, "ann");
        }
        assert!(l.blocked(ip, "ANN").is_some());
        assert!(l.blocked(other, "ann").is_none());
        assert!(l.blocked(ip, "bob").is_none());
        l.succeeded(ip, "ann");
        assert!(l.blocked(ip, "ann").is_none());
    }
}
