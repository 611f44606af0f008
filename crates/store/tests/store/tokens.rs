//! API tokens expire, end with a new password or role, and a bearer request is not a write
//! each time.

use crate::common;

use cthub_store::hub::{self, Role};
use cthub_store::StoreError;

use common::Fixture;

on_both_backends!(
    tokens_expire,
    tokens_end_with_a_new_password_or_role,
    token_use_is_written_once_a_minute
);

fn user(s: &mut dyn cthub_store::Store, name: &str) -> i64 {
    hub::create_user(s, name, "argon2-hash", Role::Analyst, None, "test")
        .unwrap()
        .id
}

fn tokens_expire(fx: &Fixture) {
    let mut s = fx.open();
    let u = user(s.as_mut(), "ana");
    let t = hub::create_token(s.as_mut(), u, "script", "h1", hub::TOKEN_DAYS, "test").unwrap();
    let in_89 = (chrono::Utc::now() + chrono::Duration::days(89)).to_rfc3339();
    let in_91 = (chrono::Utc::now() + chrono::Duration::days(91)).to_rfc3339();
    assert!(
        t.expires_at > in_89 && t.expires_at < in_91,
        "{}",
        t.expires_at
    );
    assert!(hub::token_user(s.as_mut(), "h1").unwrap().is_some());
    for days in [0, -1, hub::MAX_TOKEN_DAYS + 1] {
        let e = hub::create_token(s.as_mut(), u, "x", "h-bad", days, "test").unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{days}: {e}");
    }
    // past its expiry: refused
    fx.raw_exec(&format!(
        "UPDATE api_token SET expires_at = '2020-01-01T00:00:00.000000Z' WHERE id = {}",
        t.id
    ))
    .unwrap();
    assert!(hub::token_user(s.as_mut(), "h1").unwrap().is_none());
    // tokens made before expiry existed live 90 days from their creation
    let old = hub::create_token(s.as_mut(), u, "old", "h2", 30, "test").unwrap();
    let ago = |d: i64| {
        (chrono::Utc::now() - chrono::Duration::days(d))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    fx.raw_exec(&format!(
        "UPDATE api_token SET expires_at = NULL, created_at = '{}' WHERE id = {}",
        ago(10),
        old.id
    ))
    .unwrap();
    assert!(hub::token_user(s.as_mut(), "h2").unwrap().is_some());
    fx.raw_exec(&format!(
        "UPDATE api_token SET created_at = '{}' WHERE id = {}",
        ago(91),
        old.id
    ))
    .unwrap();
    assert!(hub::token_user(s.as_mut(), "h2").unwrap().is_none());
}

fn tokens_end_with_a_new_password_or_role(fx: &Fixture) {
    let mut s = fx.open();
    let u = user(s.as_mut(), "ana");
    hub::create_token(s.as_mut(), u, "a", "ha", 30, "test").unwrap();
    hub::update_user(s.as_mut(), u, None, Some("new-hash"), None, "test").unwrap();
    assert!(
        hub::token_user(s.as_mut(), "ha").unwrap().is_none(),
        "a token outlived a password change"
    );
    hub::create_token(s.as_mut(), u, "b", "hb", 30, "test").unwrap();
    hub::update_user(s.as_mut(), u, None, None, Some(Role::Investigator), "test").unwrap();
    assert!(
        hub::token_user(s.as_mut(), "hb").unwrap().is_none(),
        "a token outlived a role change"
    );
    // re-enabling an account does not bring its tokens back; other accounts keep theirs
    let v = user(s.as_mut(), "ben");
    hub::create_token(s.as_mut(), v, "c", "hc", 30, "test").unwrap();
    hub::update_user(s.as_mut(), u, Some(true), None, None, "test").unwrap();
    hub::update_user(s.as_mut(), u, Some(false), None, None, "test").unwrap();
    assert!(hub::token_user(s.as_mut(), "hb").unwrap().is_none());
    assert!(hub::token_user(s.as_mut(), "hc").unwrap().is_some());
    let list = hub::tokens(s.as_mut(), Some(u)).unwrap();
    assert!(list.iter().all(|t| t.revoked), "{list:?}");
}

fn token_use_is_written_once_a_minute(fx: &Fixture) {
    let mut s = fx.open();
    let u = user(s.as_mut(), "ana");
    let t = hub::create_token(s.as_mut(), u, "a", "ha", 30, "test").unwrap();
    let last = |s: &mut dyn cthub_store::Store| {
        hub::token(s, t.id).unwrap().unwrap().last_used_at.unwrap()
    };
    hub::token_user(s.as_mut(), "ha").unwrap().unwrap();
    let first = last(s.as_mut());
    for _ in 0..20 {
        hub::token_user(s.as_mut(), "ha").unwrap().unwrap();
    }
    assert_eq!(
        last(s.as_mut()),
        first,
        "every bearer request wrote last_used_at"
    );
    let two_minutes_ago = (chrono::Utc::now() - chrono::Duration::seconds(120))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    fx.raw_exec(&format!(
        "UPDATE api_token SET last_used_at = '{two_minutes_ago}' WHERE id = {}",
        t.id
    ))
    .unwrap();
    hub::token_user(s.as_mut(), "ha").unwrap().unwrap();
    assert!(
        last(s.as_mut()) > two_minutes_ago,
        "a later use was not noted"
    );
}
