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

/// Longest user name a login may name (longer ones are refused before anything is stored).
pub const MAX_USERNAME_BYTES: usize = 256;
/// Most keys the limiter keeps (per key, at most `attempts` instants); beyond, expired keys are
/// pruned, and if none are, new attempts are refused until the window frees some.
const MAX_KEYS: usize = 100_000;

/// Failed logins are limited three ways within a sliding window: per (address, user name)
/// `attempts`, per user name from any address 4 × `attempts`, and per address over any names
/// 10 × `attempts`. An attempt is counted *before* its password is verified (a reservation) and
/// only released when it succeeds, so concurrent wrong passwords cannot all slip through
/// between the check and the record. Memory is bounded by [`MAX_KEYS`].
pub struct LoginLimiter {
    attempts: u32,
    window: Duration,
    state: Mutex<LimiterState>,
}

#[derive(Default)]
struct LimiterState {
    pair: HashMap<(IpAddr, String), Vec<Instant>>,
    user: HashMap<String, Vec<Instant>>,
    addr: HashMap<IpAddr, Vec<Instant>>,
}

/// Why a login may not be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures; retry after this many seconds.
    Wait(u64),
    /// The limiter is full (a flood of distinct names or addresses); retry later.
    Busy,
}

/// A reserved login attempt: counts as a failure unless [`LoginAttempt::succeeded`] is called.
pub struct LoginAttempt<'a> {
    limiter: &'a LoginLimiter,
    ip: IpAddr,
    user: String,
    at: Instant,
}

impl LoginAttempt<'_> {
    /// The password was right: the reservation and the earlier failures of this (address,
    /// user) are forgotten (the per-address and per-user counts of other failures stay).
    pub fn succeeded(self) {
        if let Ok(mut st) = self.limiter.state.lock() {
            st.pair.remove(&(self.ip, self.user.clone()));
            remove_one(st.user.get_mut(&self.user), self.at);
            remove_one(st.addr.get_mut(&self.ip), self.at);
        }
    }
}

fn remove_one(v: Option<&mut Vec<Instant>>, at: Instant) {
    if let Some(v) = v {
        if let Some(i) = v.iter().position(|t| *t == at) {
            v.swap_remove(i);
        }
    }
}

fn wait_for<K: std::hash::Hash + Eq>(
    m: &mut HashMap<K, Vec<Instant>>,
    k: &K,
    limit: usize,
    now: Instant,
    window: Duration,
) -> Option<u64> {
    let v = m.get_mut(k)?;
    v.retain(|t| now.duration_since(*t) < window);
    if v.len() >= limit {
        let oldest = v.iter().min().copied()?;
        Some(
            (window.saturating_sub(now.duration_since(oldest)))
                .as_secs()
                .max(1),
        )
    } else {
        None
    }
}

impl LoginLimiter {
    pub fn new(attempts: u32, window: Duration) -> Self {
        LoginLimiter {
            attempts,
            window,
            state: Mutex::new(LimiterState::default()),
        }
    }

    /// Checks all three limits and, if none is reached, reserves an attempt under each in the
    /// same critical section.
    pub fn begin(&self, ip: IpAddr, user: &str) -> Result<LoginAttempt<'_>, Refusal> {
        let user = user.to_lowercase();
        let a = self.attempts as usize;
        let now = Instant::now();
        let w = self.window;
        let mut st = self.state.lock().map_err(|_| Refusal::Busy)?;
        let st = &mut *st;
        let waits = [
            wait_for(&mut st.pair, &(ip, user.clone()), a, now, w),
            wait_for(&mut st.user, &user, 4 * a, now, w),
            wait_for(&mut st.addr, &ip, 10 * a, now, w),
        ];
        if let Some(wait) = waits.iter().flatten().max() {
            return Err(Refusal::Wait(*wait));
        }
        if st.pair.len() >= MAX_KEYS || st.user.len() >= MAX_KEYS || st.addr.len() >= MAX_KEYS {
            let live = |v: &mut Vec<Instant>| {
                v.retain(|t| now.duration_since(*t) < w);
                !v.is_empty()
            };
            st.pair.retain(|_, v| live(v));
            st.user.retain(|_, v| live(v));
            st.addr.retain(|_, v| live(v));
            if st.pair.len() >= MAX_KEYS || st.user.len() >= MAX_KEYS || st.addr.len() >= MAX_KEYS {
                return Err(Refusal::Busy);
            }
        }
        st.pair.entry((ip, user.clone())).or_default().push(now);
        st.user.entry(user.clone()).or_default().push(now);
        st.addr.entry(ip).or_default().push(now);
        Ok(LoginAttempt {
            limiter: self,
            ip,
            user,
            at: now,
        })
    }

    /// Keys currently held (for tests of the memory bound).
    pub fn keys(&self) -> usize {
        self.state
            .lock()
            .map(|s| s.pair.len() + s.user.len() + s.addr.len())
            .unwrap_or(0)
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
            // a reservation that is dropped counts as a failure
            let _ = l.begin(ip, "Ann").unwrap();
        }
        assert!(matches!(l.begin(ip, "ANN"), Err(Refusal::Wait(_))));
        assert!(
            l.begin(other, "ann").is_ok(),
            "another address may still try"
        );
        l.begin(ip, "bob").unwrap().succeeded();
        // per user from any address: 4 × 3 = 12 (3 so far from ip, 1 from other)
        let mut refused = 0;
        for i in 0..20u8 {
            let addr: IpAddr = format!("10.0.0.{i}").parse().unwrap();
            if l.begin(addr, "ann").is_err() {
                refused += 1;
            }
        }
        assert_eq!(refused, 20 - 8, "12 failures per user name in all");
        // per address over many names: 10 × 3 = 30
        let spray = "10.9.9.9".parse().unwrap();
        let allowed = (0..100)
            .filter(|i| l.begin(spray, &format!("u{i}")).is_ok())
            .count();
        assert_eq!(allowed, 30);
    }
}
