//! The endpoints. Each handler starts from the [`Caller`] and states its access rule first;
//! `tests/access.rs` checks every endpoint for every role.

use std::net::SocketAddr;

use arrow::array::Array;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use cthub_store::hub::{self, Role};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::OpenApi;

use crate::analytics::{self, Filters};
use crate::auth::{self, Caller};
use crate::cache::ReleaseData;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

pub fn routes(state: &AppState) -> Router<AppState> {
    let upload_limit = (state.cfg.max_upload_mb as usize) * 1024 * 1024 + 64 * 1024;
    table(upload_limit).router
}

/// Every (method, path) the API router serves, recorded while the router is built (the access
/// test checks each against every role, so an undocumented route cannot escape it).
pub fn route_table() -> Vec<(String, String)> {
    let mut t = table(0).routes;
    t.sort();
    t
}

/// A route's handlers, with the methods they answer recorded.
struct M {
    mr: axum::routing::MethodRouter<AppState>,
    verbs: Vec<&'static str>,
}

fn m() -> M {
    M {
        mr: axum::routing::MethodRouter::new(),
        verbs: Vec::new(),
    }
}

macro_rules! verb {
    ($name:ident, $verb:literal) => {
        fn $name<H, T>(mut self, h: H) -> M
        where
            H: axum::handler::Handler<T, AppState>,
            T: 'static,
        {
            self.mr = self.mr.$name(h);
            self.verbs.push($verb);
            self
        }
    };
}

impl M {
    verb!(get, "GET");
    verb!(post, "POST");
    verb!(patch, "PATCH");
    verb!(delete, "DELETE");

    fn body_limit(mut self, bytes: usize) -> M {
        self.mr = self.mr.layer(DefaultBodyLimit::max(bytes));
        self
    }
}

/// The router and the list of its routes.
struct Table {
    router: Router<AppState>,
    routes: Vec<(String, String)>,
}

impl Table {
    fn route(mut self, path: &'static str, m: M) -> Table {
        for v in &m.verbs {
            self.routes.push((v.to_string(), path.to_string()));
        }
        self.router = self.router.route(path, m.mr);
        self
    }
}

fn table(upload_limit: usize) -> Table {
    let t = Table {
        router: Router::new(),
        routes: Vec::new(),
    }
    .route("/api/health", m().get(health))
    .route("/api/ready", m().get(ready))
    .route("/api/openapi.json", m().get(openapi))
    .route("/api/session", m().get(session).post(login).delete(logout))
    .route("/api/sources", m().get(sources))
    .route("/api/filters", m().get(filters))
    .route("/api/indicators", m().get(indicator_list))
    .route("/api/indicators/{id}", m().get(indicator))
    .route("/api/countries", m().get(countries))
    .route("/api/releases", m().get(releases).post(create_release))
    .route("/api/releases/{id}", m().get(release))
    .route("/api/releases/{id}/files/{name}", m().get(release_file))
    .route("/api/releases/{id}/publish", m().post(publish))
    .route("/api/ledger", m().get(ledger))
    .route("/api/sql", m().post(sql))
    .route("/api/contributions", m().get(contributions))
    .route("/api/contributions/{id}/records", m().get(records))
    .route(
        "/api/uploads",
        m().get(uploads).post(upload).body_limit(upload_limit),
    )
    .route("/api/uploads/{id}", m().get(upload_get))
    .route("/api/uploads/{id}/report.csv", m().get(upload_report))
    .route("/api/uploads/{id}/commit", m().post(upload_commit))
    .route("/api/uploads/{id}/discard", m().post(upload_discard))
    .route(
        "/api/organisations",
        m().get(organisations).post(create_organisation),
    )
    .route("/api/users", m().get(users).post(create_user))
    .route("/api/users/{id}", m().patch(update_user))
    .route("/api/tokens", m().get(tokens).post(create_token))
    .route("/api/tokens/{id}", m().delete(revoke_token))
    .route("/api/audit", m().get(audit))
    .route(
        "/api/linkage/submissions",
        m().get(linkage_submissions)
            .post(linkage_submit)
            .body_limit(upload_limit),
    )
    .route("/api/linkage/runs", m().get(linkage_runs).post(linkage_run))
    .route("/api/linkage/runs/{id}", m().get(linkage_run_get))
    .route("/api/linkage/runs/{id}/review", m().get(linkage_review))
    .route("/api/linkage/runs/{id}/persons", m().get(linkage_persons))
    .route(
        "/api/linkage/decisions",
        m().get(linkage_decisions).post(linkage_decide),
    );
    Table {
        router: t.router.layer(DefaultBodyLimit::max(1024 * 1024)),
        routes: t.routes,
    }
}

// ------------------------------------------------------------------ health and the document

#[utoipa::path(get, path = "/api/health", tag = "service", responses((status = 200, description = "the process is up")))]
async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/api/ready", tag = "service", responses(
    (status = 200, description = "the store answers"), (status = 503, description = "the store does not answer")))]
async fn ready(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let backend = st
        .pool
        .run(|s| {
            hub::ping(s)?;
            Ok(s.backend())
        })
        .await
        .map_err(|e| ApiError::unavailable(format!("the store does not answer: {}", e.message)))?;
    Ok(Json(json!({"status": "ready", "store": backend})))
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "service", responses((status = 200, description = "this document (OpenAPI 3)")))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

// ------------------------------------------------------------------ sessions

fn session_json(user: &Option<hub::User>, csrf: Option<&str>) -> Value {
    json!({"user": user, "csrf_token": csrf})
}

#[utoipa::path(get, path = "/api/session", tag = "accounts", responses((status = 200, description = "the caller and its CSRF token")))]
async fn session(caller: Caller) -> Json<Value> {
    Json(session_json(&caller.user, caller.csrf.as_deref()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

#[utoipa::path(post, path = "/api/session", tag = "accounts", request_body = LoginBody, responses(
    (status = 200, description = "logged in; sets the session cookie"),
    (status = 401, description = "wrong name or password"),
    (status = 429, description = "too many failed attempts")))]
async fn login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(body): Json<LoginBody>,
) -> ApiResult<Response> {
    let ip = peer.ip();
    if body.username.len() > auth::MAX_USERNAME_BYTES {
        return Err(ApiError::bad_request(format!(
            "user names have at most {} bytes",
            auth::MAX_USERNAME_BYTES
        )));
    }
    // reserved before the password is checked: concurrent wrong passwords count at once
    let attempt = match st.limiter.begin(ip, &body.username) {
        Ok(a) => a,
        Err(auth::Refusal::Wait(wait)) => {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("too many failed logins; try again in {wait} s"),
            );
            e.retry_after = Some(wait);
            return Err(e);
        }
        Err(auth::Refusal::Busy) => {
            return Err(ApiError::unavailable(
                "too many login attempts at the moment; try again later",
            ))
        }
    };
    let _slot = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        st.verify_slots.clone().acquire_owned(),
    )
    .await
    .map_err(|_| ApiError::unavailable("the server is busy verifying logins; try again"))?
    .map_err(|_| ApiError::unavailable("the server is shutting down"))?;
    let name = body.username.clone();
    let found = st
        .pool
        .run(move |s| Ok(hub::credentials(s, &name)?))
        .await?;
    let password = body.password.clone();
    let (user, ok) = tokio::task::spawn_blocking(move || match found {
        Some((u, hash)) => {
            let ok = auth::verify_password(&password, &hash) && !u.disabled;
            (Some(u), ok)
        }
        None => {
            auth::verify_password(&password, auth::dummy_hash());
            (None, false)
        }
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let user = match (user, ok) {
        (Some(u), true) => u,
        _ => {
            drop(attempt); // stays counted as a failure
            let name = body.username.clone();
            let _ = st
                .pool
                .run(move |s| {
                    Ok(s.record_audit(
                        "public",
                        "session.login_failed",
                        json!({"username": name, "address": ip.to_string()}),
                    )?)
                })
                .await;
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "wrong user name or password",
            ));
        }
    };
    attempt.succeeded();
    let token = auth::random_token();
    let csrf = auth::random_token();
    let hours = st.cfg.session_hours;
    let expires = (chrono::Utc::now() + chrono::Duration::hours(hours as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (h, c, uid) = (auth::token_hash(&token), csrf.clone(), user.id);
    st.pool
        .run(move |s| Ok(hub::create_session(s, &h, uid, &c, &expires)?))
        .await?;
    let cookie = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        auth::SESSION_COOKIE,
        hours * 3600,
        if st.cfg.cookie_secure { "; Secure" } else { "" }
    );
    let mut r = Json(session_json(&Some(user), Some(&csrf))).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    Ok(r)
}

#[utoipa::path(delete, path = "/api/session", tag = "accounts", responses((status = 204, description = "logged out")))]
async fn logout(State(st): State<AppState>, caller: Caller) -> ApiResult<Response> {
    caller.require_login()?;
    if let Some(h) = caller.session.clone() {
        let actor = caller.actor();
        st.pool
            .run(move |s| Ok(hub::delete_session(s, &h, &actor)?))
            .await?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("cthub_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}

// ------------------------------------------------------------------ sources and indicators

/// A data source the caller may chart.
enum Source {
    /// The store; `Some(org)` restricts to one organisation's records (by its id).
    Store(Option<hub::OrgRef>),
    Release(hub::Release),
}

fn may_see_release(caller: &Caller, r: &hub::Release) -> bool {
    r.published || matches!(caller.role(), Some(Role::Admin) | Some(Role::Analyst))
}

/// The store's records the caller may chart: all (admins), one organisation's by id
/// (contributors), or none.
fn store_scope(caller: &Caller) -> Option<Option<hub::OrgRef>> {
    match &caller.user {
        Some(u) if u.role == Role::Admin => Some(None),
        Some(u) if u.role == Role::Contributor => u.organisation.clone().map(Some),
        _ => None,
    }
}

async fn resolve_source(
    st: &AppState,
    caller: &Caller,
    id: Option<&str>,
) -> ApiResult<(String, Source)> {
    let id = match id {
        Some(i) => i.to_string(),
        None => match default_source(st, caller).await? {
            Some(i) => i,
            None => {
                return Err(ApiError::not_found(
                    "no data source is visible to you yet (no published release)",
                ))
            }
        },
    };
    if id == "store" {
        return match store_scope(caller) {
            Some(scope) => Ok((id, Source::Store(scope))),
            None if caller.user.is_none() => Err(ApiError::unauthorized()),
            None => Err(ApiError::forbidden(
                "the store's exact records are for admins and contributors",
            )),
        };
    }
    let n: i64 = id
        .strip_prefix("release-")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown source {id:?}: use \"store\" or \"release-<id>\""
            ))
        })?;
    let rel = st.pool.run(move |s| Ok(hub::release(s, n)?)).await?;
    match rel {
        Some(r) if may_see_release(caller, &r) => Ok((id, Source::Release(r))),
        _ => Err(ApiError::not_found(format!("no release {n}"))),
    }
}

async fn default_source(st: &AppState, caller: &Caller) -> ApiResult<Option<String>> {
    Ok(list_sources(st, caller)
        .await?
        .first()
        .map(|s| s["id"].as_str().unwrap_or("").to_string()))
}

fn release_label(r: &hub::Release) -> String {
    let m = &r.manifest;
    let param = match (m["epsilon"].as_f64(), m["k"].as_u64()) {
        (Some(e), _) => format!(", ε = {e}"),
        (None, Some(k)) => format!(", k = {k}"),
        _ => String::new(),
    };
    format!("{} ({}{param})", r.title, r.kind)
}

async fn list_sources(st: &AppState, caller: &Caller) -> ApiResult<Vec<Value>> {
    let mut out = Vec::new();
    if let Some(scope) = store_scope(caller) {
        let frame = st.cache.store_frame(&st.pool).await?;
        let label = match &scope {
            None => "All records in the store (exact)".to_string(),
            Some(o) => format!("{}'s records (exact)", o.name),
        };
        let records = if scope.is_none() {
            Some(frame.rows)
        } else {
            None
        };
        out.push(json!({"id": "store", "kind": "store", "label": label, "dp": false, "published": false, "records": records}));
    }
    let rels = st.pool.run(|s| Ok(hub::releases(s)?)).await?;
    for r in rels.iter().filter(|r| may_see_release(caller, r)) {
        if !matches!(r.kind.as_str(), "aggregates" | "synthetic" | "kanon") {
            continue;
        }
        out.push(json!({
            "id": format!("release-{}", r.id), "kind": r.kind, "label": release_label(r),
            "dp": r.kind != "kanon", "published": r.published, "records": r.manifest["records"],
            "flows": r.manifest.get("flows").cloned().unwrap_or(Value::Null),
        }));
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/sources", tag = "analytics", responses((status = 200, description = "sources the caller may chart")))]
async fn sources(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Value>>> {
    Ok(Json(list_sources(&st, &caller).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SourceQuery {
    /// `store` or `release-<id>`; default the first visible source.
    pub source: Option<String>,
}

#[utoipa::path(get, path = "/api/filters", tag = "analytics", params(SourceQuery), responses((status = 200, description = "filter values of a source")))]
async fn filters(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<SourceQuery>,
) -> ApiResult<Json<Value>> {
    let (_, source) = resolve_source(&st, &caller, q.source.as_deref()).await?;
    let opts = match source {
        Source::Store(scope) => {
            let frame = st.cache.store_frame(&st.pool).await?;
            analytics::filter_options(&frame, scope.as_ref().map(|o| o.id)).await?
        }
        Source::Release(r) => match &*st.cache.release(&st.pool, r.id, &r.kind).await? {
            ReleaseData::Records(f) => analytics::filter_options(f, None).await?,
            ReleaseData::Dp(d) => d.filter_options(),
        },
    };
    Ok(Json(
        serde_json::to_value(opts).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

#[utoipa::path(get, path = "/api/indicators", tag = "analytics", responses((status = 200, description = "the standard indicators")))]
async fn indicator_list() -> Json<Vec<Value>> {
    Json(
        analytics::INDICATORS
            .iter()
            .map(|d| json!({"id": d.id, "title": d.title, "kind": d.kind}))
            .collect(),
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    pub source: Option<String>,
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub sex: Option<String>,
    pub age_band: Option<String>,
    pub exploitation: Option<String>,
    pub citizenship: Option<String>,
    pub country: Option<String>,
    pub data_source: Option<String>,
}

#[utoipa::path(get, path = "/api/indicators/{id}", tag = "analytics", params(("id" = String, Path, description = "indicator id"), IndicatorQuery),
    responses((status = 200, description = "the indicator"), (status = 400, description = "bad filter"), (status = 404, description = "unknown indicator or source")))]
async fn indicator(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<IndicatorQuery>,
) -> ApiResult<Json<analytics::Indicator>> {
    let def = analytics::indicator(&id)
        .ok_or_else(|| ApiError::not_found(format!("no indicator {id:?}")))?;
    let f = Filters {
        year_from: q.year_from,
        year_to: q.year_to,
        sex: q.sex.filter(|s| !s.is_empty()),
        age_band: q.age_band.filter(|s| !s.is_empty()),
        exploitation: q.exploitation.filter(|s| !s.is_empty()),
        citizenship: q.citizenship.filter(|s| !s.is_empty()),
        country: q.country.filter(|s| !s.is_empty()),
        data_source: q.data_source.filter(|s| !s.is_empty()),
    };
    let (sid, source) = resolve_source(&st, &caller, q.source.as_deref()).await?;
    // Answers are computed once per data version: the store's changes with every write (through
    // the server or not), a release's never.
    let key = |version: &str, scope: Option<i64>| format!("{version}|{id}|{scope:?}|{f:?}");
    let out = match source {
        Source::Store(scope) => {
            let (version, frame) = st.cache.store_frame_versioned(&st.pool).await?;
            let org = scope.as_ref().map(|o| o.id);
            st.cache
                .answer(key(&version, org), || async {
                    analytics::compute(&frame, def, &f, org, &sid)
                        .await
                        .map_err(filter_or_internal)
                })
                .await?
        }
        Source::Release(r) => {
            let data = st.cache.release(&st.pool, r.id, &r.kind).await?;
            st.cache
                .answer(key(&sid, None), || async {
                    match &*data {
                        ReleaseData::Records(frame) => {
                            analytics::compute(frame, def, &f, None, &sid)
                                .await
                                .map_err(filter_or_internal)
                        }
                        ReleaseData::Dp(d) => {
                            d.compute(def, &f, &sid).map_err(ApiError::bad_request)
                        }
                    }
                })
                .await?
        }
    };
    Ok(Json(out.as_ref().clone()))
}

fn filter_or_internal(e: anyhow::Error) -> ApiError {
    match e.downcast::<analytics::FilterError>() {
        Ok(f) => f.into(),
        Err(e) => ApiError::from(e),
    }
}

#[utoipa::path(get, path = "/api/countries", tag = "analytics", responses((status = 200, description = "ISO 3166 countries")))]
async fn countries() -> Json<Vec<Value>> {
    let mut v: Vec<Value> = cthub_standard::Country::all()
        .into_iter()
        .map(|c| json!({"alpha2": c.alpha2(), "numeric": c.m49(), "name": c.name()}))
        .collect();
    v.sort_by(|a, b| a["alpha2"].as_str().cmp(&b["alpha2"].as_str()));
    Json(v)
}

// ------------------------------------------------------------------ releases and the ledger

#[utoipa::path(get, path = "/api/releases", tag = "releases", responses((status = 200, description = "releases the caller may see")))]
async fn releases(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Value>>> {
    let rels = st.pool.run(|s| Ok(hub::releases(s)?)).await?;
    Ok(Json(
        rels.iter()
            .filter(|r| may_see_release(&caller, r))
            .map(|r| release_json(r, &caller))
            .collect(),
    ))
}

/// A DP release an admin starts from the hub: the same workflow, refusals and ledger as
/// `cthub release aggregates|synthetic` (the store's records only; no files or configurations
/// from the server's disk).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDpRelease {
    /// `aggregates` or `synthetic`.
    pub kind: String,
    /// Privacy loss ε (> 0), charged to the dataset's budget.
    pub epsilon: f64,
    /// δ of the (ε, δ) statement; default 1e-6.
    pub delta: Option<f64>,
    /// Only this contribution's records (ledger account `contribution:<id>`); default all
    /// records (account `store`).
    pub contribution: Option<i64>,
    /// `ctdc-synthetic-2024` (default, 27 columns), `ctdc-synthetic-2021` or `ctdc-vp`.
    pub layout: Option<String>,
    /// Columns to release; default the headline set (aggregates) or every column (synthetic).
    pub columns: Option<Vec<String>>,
    /// Longest combination counted (aggregates); default 3.
    pub length: Option<usize>,
    /// `linkage` bounds each person's records by the newest linkage run; or a column.
    pub person_id: Option<String>,
    /// Records kept per person with `person_id`; default 1.
    pub max_records_per_person: Option<usize>,
    /// Seed of the sampling step (synthetic); default 0.
    pub seed: Option<u64>,
    /// Publish at once; default false (publish later from the Releases page).
    pub publish: Option<bool>,
}

#[utoipa::path(post, path = "/api/releases", tag = "releases", request_body = NewDpRelease,
    responses((status = 201, description = "the release, registered, with the ledger account after its charge"),
        (status = 400, description = "a parameter, column or dataset the release cannot use"),
        (status = 409, description = "no budget, budget exceeded, or another release is being computed")))]
async fn create_release(
    State(st): State<AppState>,
    caller: Caller,
    Json(b): Json<NewDpRelease>,
) -> ApiResult<Response> {
    caller.require(&[Role::Admin])?;
    let method = match b.kind.as_str() {
        "aggregates" => cthub_release::Method::Aggregates {
            length: b.length.unwrap_or(3),
            hierarchies: Vec::new(),
        },
        "synthetic" => cthub_release::Method::Synthetic {
            seed: b.seed.unwrap_or(0),
        },
        k => {
            return Err(ApiError::bad_request(format!(
                "kind must be aggregates or synthetic, got {k:?} (k-anonymous releases need a \
                 configuration: use `cthub release kanon`)"
            )))
        }
    };
    if b.length.is_some() && b.kind != "aggregates" {
        return Err(ApiError::bad_request("length applies to aggregates only"));
    }
    if b.seed.is_some() && b.kind != "synthetic" {
        return Err(ApiError::bad_request("seed applies to synthetic data only"));
    }
    let layout = match b.layout.as_deref().unwrap_or("ctdc-synthetic-2024") {
        "ctdc-synthetic-2024" => cthub_standard::CtdcSchema::Synthetic2024,
        "ctdc-synthetic-2021" => cthub_standard::CtdcSchema::Synthetic2021,
        "ctdc-vp" => cthub_standard::CtdcSchema::VictimPerpetrator,
        l => {
            return Err(ApiError::bad_request(format!(
                "layout must be ctdc-synthetic-2024, ctdc-synthetic-2021 or ctdc-vp, got {l:?}"
            )))
        }
    };
    let req = cthub_release::DpRequest {
        source: cthub_release::Source::Store {
            contribution: b.contribution,
            layout,
        },
        method,
        epsilon: b.epsilon,
        delta: b.delta.unwrap_or(1e-6),
        columns: b.columns.unwrap_or_default(),
        config: None,
        person_id: b.person_id,
        max_records_per_person: b.max_records_per_person.unwrap_or(1),
        domains: Vec::new(),
        publish: b.publish.unwrap_or(false),
        actor: caller.actor(),
    };
    // One release at a time: each reads every record and computes for seconds; a second
    // request is told to wait rather than queued behind it holding a connection.
    let _slot = st.release_slot.clone().try_acquire_owned().map_err(|_| {
        ApiError::conflict("another release is being computed; try again when it is done")
    })?;
    let r = st
        .pool
        .run(move |s| cthub_release::run(s, &req, None))
        .await?;
    let a = &r.account;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "release": release_json(&r.release, &caller),
            "ledger": {"dataset": a.dataset, "budget_rho": a.budget_rho, "spent_rho": a.spent_rho.max(0.0),
                "remaining_rho": (a.budget_rho - a.spent_rho).max(0.0), "charges": a.charges.len()},
            "summary": r.summary,
            "message": r.message,
        })),
    )
        .into_response())
}

/// Who did something, as `caller` may see it: the account (or the CLI's operating-system user)
/// for admins; everyone else sees only that the hub operator did it.
fn who(actor: &str, caller: &Caller) -> String {
    if caller.role() == Some(Role::Admin) {
        actor.to_string()
    } else {
        "hub operator".to_string()
    }
}

fn release_json(r: &hub::Release, caller: &Caller) -> Value {
    json!({
        "id": r.id, "source": format!("release-{}", r.id), "kind": r.kind, "title": r.title, "dataset": r.dataset,
        "created_at": r.created_at, "created_by": who(&r.created_by, caller), "published": r.published,
        "epsilon": r.manifest["epsilon"], "delta": r.manifest["delta"], "k": r.manifest["k"],
        "records": r.manifest["records"], "manifest": r.manifest, "files": r.files,
    })
}

async fn visible_release(st: &AppState, caller: &Caller, id: i64) -> ApiResult<hub::Release> {
    let r = st.pool.run(move |s| Ok(hub::release(s, id)?)).await?;
    match r {
        Some(r) if may_see_release(caller, &r) => Ok(r),
        _ => Err(ApiError::not_found(format!("no release {id}"))),
    }
}

#[utoipa::path(get, path = "/api/releases/{id}", tag = "releases", params(("id" = i64, Path)), responses((status = 200, description = "a release"), (status = 404, description = "no such visible release")))]
async fn release(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(release_json(
        &visible_release(&st, &caller, id).await?,
        &caller,
    )))
}

#[utoipa::path(get, path = "/api/releases/{id}/files/{name}", tag = "releases", params(("id" = i64, Path), ("name" = String, Path)),
    responses((status = 200, description = "the file"), (status = 404, description = "no such file")))]
async fn release_file(
    State(st): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(i64, String)>,
) -> ApiResult<Response> {
    let rel = visible_release(&st, &caller, id).await?;
    let n = name.clone();
    let file = st
        .pool
        .run(move |s| Ok(hub::release_file(s, rel.id, &n)?))
        .await?;
    let (media, bytes) =
        file.ok_or_else(|| ApiError::not_found(format!("release {id} has no file {name:?}")))?;
    let mut r = Bytes::from(bytes).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let disposition = if name.ends_with(".html") {
        "inline".to_string()
    } else {
        format!(
            "attachment; filename=\"release-{id}-{}\"",
            name.replace(['"', '\\'], "_")
        )
    };
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    if name.ends_with(".html") {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"));
    }
    Ok(r)
}

#[utoipa::path(post, path = "/api/releases/{id}/publish", tag = "releases", params(("id" = i64, Path)), responses((status = 200, description = "published")))]
async fn publish(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Admin])?;
    let actor = caller.actor();
    let r = st
        .pool
        .run(move |s| Ok(hub::publish_release(s, id, &actor)?))
        .await?;
    Ok(Json(release_json(&r, &caller)))
}

#[utoipa::path(get, path = "/api/ledger", tag = "releases", responses((status = 200, description = "privacy budgets and charges")))]
async fn ledger(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Value>>> {
    let accounts = st.pool.run(|s| Ok(s.privacy_accounts()?)).await?;
    // the account's budget and spending in ε at one reference δ; each charge with its own
    let delta = 1e-6;
    let eps = |rho: f64| {
        if rho <= 0.0 {
            Some(0.0)
        } else {
            cthub_privacy::dp::budget::rho_to_epsilon(
                rho,
                delta,
                cthub_privacy::dp::budget::Conversion::Tight,
            )
            .ok()
        }
    };
    Ok(Json(
        accounts
            .iter()
            .map(|a| {
                json!({
                    "dataset": a.dataset, "description": a.description,
                    "budget_rho": a.budget_rho, "spent_rho": a.spent_rho.max(0.0),
                    "epsilon": {"delta": delta, "budget": eps(a.budget_rho), "spent": eps(a.spent_rho)},
                    "charges": a.charges.iter().map(|c| json!({
                        "id": c.seq, "at": c.at, "rho": c.rho, "purpose": c.purpose,
                        "epsilon": c.release["epsilon"], "delta": c.release["delta"],
                        "actor": who(&c.actor, &caller),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SqlBody {
    pub sql: String,
}

#[utoipa::path(post, path = "/api/sql", tag = "releases", request_body = SqlBody, responses(
    (status = 200, description = "the result"), (status = 400, description = "not a valid read-only query")))]
async fn sql(
    State(st): State<AppState>,
    caller: Caller,
    Json(body): Json<SqlBody>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Analyst, Role::Admin])?;
    let rels = st.pool.run(|s| Ok(hub::releases(s)?)).await?;
    // Each query gets its own memory pool: joins, sorts and aggregations past it fail with
    // "resources exhausted" (400) instead of growing the server; nothing spills to disk.
    let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
        .with_memory_limit((st.cfg.sql_memory_mb as usize) << 20, 1.0)
        .with_disk_manager_builder(
            datafusion::execution::disk_manager::DiskManagerBuilder::default()
                .with_mode(datafusion::execution::disk_manager::DiskManagerMode::Disabled),
        )
        .build_arc()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let ctx = datafusion::prelude::SessionContext::new_with_config_rt(
        datafusion::prelude::SessionConfig::new(),
        runtime,
    );
    let mut tables = Vec::new();
    for r in &rels {
        let Some(batch) = st.cache.sql_table(&st.pool, r).await? else {
            continue;
        };
        let t = datafusion::datasource::MemTable::try_new(
            batch.schema(),
            vec![vec![batch.as_ref().clone()]],
        )
        .map_err(|e| ApiError::internal(e.to_string()))?;
        let tn = format!("release_{}", r.id);
        ctx.register_table(tn.as_str(), std::sync::Arc::new(t))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        tables.push(tn);
    }
    let opts = datafusion::execution::context::SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let limit = st.cfg.sql_row_limit;
    let actor = caller.actor();
    let text = body.sql.clone();
    st.pool
        .run(move |s| Ok(s.record_audit(&actor, "sql.query", json!({"sql": text}))?))
        .await?;
    let run = async {
        let df = ctx.sql_with_options(&body.sql, opts).await?;
        let df = df.limit(0, Some(limit + 1))?;
        df.collect().await
    };
    let batches = tokio::time::timeout(std::time::Duration::from_secs(20), run)
        .await
        .map_err(|_| ApiError::bad_request("the query ran longer than 20 s"))?
        .map_err(|e| match e.find_root() {
            datafusion::error::DataFusionError::ResourcesExhausted(_) => {
                ApiError::bad_request(format!(
                    "the query needs more than the {} MiB an analyst's query may use; narrow it \
                     (filters, fewer columns, an aggregate) or add a LIMIT before joining",
                    st.cfg.sql_memory_mb
                ))
            }
            _ => ApiError::bad_request(format!("query failed: {e}")),
        })?;
    let mut columns = Vec::new();
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for b in &batches {
        if columns.is_empty() {
            columns = b
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
        }
        let cols: Vec<arrow::array::ArrayRef> = b
            .columns()
            .iter()
            .map(|c| {
                arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8)
                    .unwrap_or_else(|_| c.clone())
            })
            .collect();
        for i in 0..b.num_rows() {
            rows.push(
                cols.iter()
                    .map(
                        |c| match c.as_any().downcast_ref::<arrow::array::StringArray>() {
                            Some(s) if !s.is_null(i) => Value::String(s.value(i).to_string()),
                            _ => Value::Null,
                        },
                    )
                    .collect(),
            );
        }
    }
    let truncated = rows.len() > limit;
    rows.truncate(limit);
    Ok(Json(
        json!({"columns": columns, "rows": rows, "truncated": truncated, "tables": tables}),
    ))
}

/// A release CSV as one all-text Arrow batch.
pub(crate) fn csv_batch(bytes: &[u8]) -> anyhow::Result<arrow::record_batch::RecordBatch> {
    use arrow::array::{ArrayRef, StringBuilder};
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = r.headers()?.iter().map(str::to_string).collect();
    let mut b: Vec<StringBuilder> = header.iter().map(|_| StringBuilder::new()).collect();
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec)? {
        for (k, col) in b.iter_mut().enumerate() {
            col.append_option(rec.get(k).filter(|v| !v.is_empty()));
        }
    }
    let fields: Vec<arrow::datatypes::Field> = header
        .iter()
        .map(|h| arrow::datatypes::Field::new(h, arrow::datatypes::DataType::Utf8, true))
        .collect();
    let arrays: Vec<ArrayRef> = b
        .iter_mut()
        .map(|c| std::sync::Arc::new(c.finish()) as ArrayRef)
        .collect();
    Ok(arrow::record_batch::RecordBatch::try_new(
        std::sync::Arc::new(arrow::datatypes::Schema::new(fields)),
        arrays,
    )?)
}

// ------------------------------------------------------------------ contributions and records

fn own_org(caller: &Caller) -> ApiResult<Option<hub::OrgRef>> {
    let u = caller.require(&[Role::Admin, Role::Contributor])?;
    Ok(if u.role == Role::Admin {
        None
    } else {
        u.organisation.clone()
    })
}

#[utoipa::path(get, path = "/api/contributions", tag = "contributions", responses((status = 200, description = "contributions the caller may see")))]
async fn contributions(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Value>>> {
    let org = own_org(&caller)?;
    let list = st.pool.run(|s| Ok(s.contributions()?)).await?;
    Ok(Json(
        list.into_iter()
            .filter(|c| org.as_ref().is_none_or(|o| o.id == c.organisation_id))
            .map(|c| {
                json!({"id": c.id, "organisation": c.organisation, "file_name": c.file_name, "imported_at": c.imported_at,
                    "imported_by": c.imported_by, "rows": c.rows_read, "accepted": c.rows_accepted,
                    "quarantined": c.rows_quarantined, "sha256": c.sha256, "synthetic": c.synthetic})
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

#[utoipa::path(get, path = "/api/contributions/{id}/records", tag = "contributions", params(("id" = i64, Path), Page),
    responses((status = 200, description = "records (audited)"), (status = 404, description = "no such visible contribution")))]
async fn records(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(p): Query<Page>,
) -> ApiResult<Json<Value>> {
    let org = own_org(&caller)?;
    let limit = p.limit.unwrap_or(100).min(1000);
    let offset = p.offset.unwrap_or(0);
    let actor = caller.actor();
    let out = st
        .pool
        .run(move |s| {
            let c = s.contributions()?.into_iter().find(|c| c.id == id);
            let Some(c) = c.filter(|c| org.as_ref().is_none_or(|o| o.id == c.organisation_id))
            else {
                return Ok(None);
            };
            let mut rows = Vec::new();
            let mut i = 0u64;
            s.for_each_record(Some(c.id), &mut |r| {
                if i >= offset && (rows.len() as u64) < limit {
                    rows.push(json!({"id": r.id, "source_row": r.source_row, "record": r.record}));
                }
                i += 1;
                Ok(())
            })?;
            s.record_audit(
                &actor,
                "records.read",
                json!({"contribution": id, "offset": offset, "returned": rows.len()}),
            )?;
            Ok(Some(
                json!({"contribution": id, "total": i, "offset": offset, "records": rows}),
            ))
        })
        .await?;
    out.map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no contribution {id}")))
}

// ------------------------------------------------------------------ uploads

fn upload_json(u: &hub::Upload, with_issues: bool) -> Value {
    let mut issues = u.report["issues"].as_array().cloned().unwrap_or_default();
    issues.truncate(crate::upload::ISSUES_SHOWN);
    let mut v = json!({
        "id": u.id, "organisation": u.organisation, "file_name": u.file_name, "bytes": u.bytes,
        "uploaded_by": u.uploaded_by, "uploaded_at": u.uploaded_at, "status": u.status, "sha256": u.sha256,
        "format": u.report["format"], "summary": u.report["summary"], "issues_total": u.report["issues_total"],
        "contribution_id": u.contribution_id,
    });
    if with_issues {
        v["issues"] = Value::Array(issues);
    }
    v
}

async fn visible_upload(st: &AppState, caller: &Caller, id: i64) -> ApiResult<hub::Upload> {
    let org = own_org(caller)?;
    let u = st.pool.run(move |s| Ok(hub::upload(s, id)?)).await?;
    match u {
        Some(u) if org.as_ref().is_none_or(|o| o.id == u.organisation.id) => Ok(u),
        _ => Err(ApiError::not_found(format!("no upload {id}"))),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// Admins: the organisation the file is contributed for.
    pub organisation: Option<i64>,
}

#[utoipa::path(post, path = "/api/uploads", tag = "contributions", params(UploadQuery), request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, description = "validated; the report"), (status = 400, description = "no file or unreadable file"), (status = 413, description = "too large")))]
async fn upload(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<UploadQuery>,
    mut mp: Multipart,
) -> ApiResult<Response> {
    let u = caller.require(&[Role::Contributor, Role::Admin])?.clone();
    let org_id = match (u.role, &u.organisation, q.organisation) {
        (Role::Contributor, Some(o), _) => o.id,
        (Role::Admin, _, Some(o)) => o,
        _ => {
            return Err(ApiError::bad_request(
                "admins choose the organisation: ?organisation=<id>",
            ))
        }
    };
    let org = st
        .pool
        .run(move |s| Ok(hub::organisation(s, org_id)?))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no organisation {org_id}")))?;
    let (name, bytes) = file_field(&mut mp, "upload.csv").await?;
    let actor = caller.actor();
    let (n2, b2) = (name.clone(), bytes.clone());
    let v = tokio::task::spawn_blocking(move || crate::upload::validate(&n2, &b2))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| match e.downcast::<crate::upload::Rejected>() {
            Ok(r) => ApiError::bad_request(r.to_string()),
            Err(e) => ApiError::from(e),
        })?;
    let saved = st
        .pool
        .run(move |s| {
            Ok(hub::save_upload(
                s,
                org.id,
                &actor,
                &name,
                bytes.len() as u64,
                &v.sha256,
                v.staged,
                &v.report,
            )?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(upload_json(&saved, true))).into_response())
}

/// The multipart field `file` (its name, or `default_name`, and its content): 400 when it is
/// missing or empty, 413 past the route's body limit.
async fn file_field(mp: &mut Multipart, default_name: &str) -> ApiResult<(String, Bytes)> {
    let mut file = None;
    while let Some(field) = mp.next_field().await.map_err(multipart_error)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or(default_name).to_string();
            let bytes = field.bytes().await.map_err(multipart_error)?;
            file = Some((name, bytes));
        }
    }
    let (name, bytes) =
        file.ok_or_else(|| ApiError::bad_request("no multipart field named `file`"))?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request("the file is empty"));
    }
    Ok((name, bytes))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        "payload_too_large"
    } else {
        "bad_request"
    };
    ApiError::new(e.status(), code, e.body_text())
}

#[utoipa::path(get, path = "/api/uploads", tag = "contributions", responses((status = 200, description = "uploads of the caller's organisation (admins: all)")))]
async fn uploads(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Value>>> {
    let org = own_org(&caller)?.map(|o| o.id);
    let list = st.pool.run(move |s| Ok(hub::uploads(s, org)?)).await?;
    Ok(Json(list.iter().map(|u| upload_json(u, false)).collect()))
}

#[utoipa::path(get, path = "/api/uploads/{id}", tag = "contributions", params(("id" = i64, Path)), responses((status = 200, description = "the upload and its report")))]
async fn upload_get(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(upload_json(
        &visible_upload(&st, &caller, id).await?,
        true,
    )))
}

#[utoipa::path(get, path = "/api/uploads/{id}/report.csv", tag = "contributions", params(("id" = i64, Path)), responses((status = 200, description = "every issue as CSV")))]
async fn upload_report(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let u = visible_upload(&st, &caller, id).await?;
    let csv = crate::upload::report_csv(&u.report)?;
    let mut r = Bytes::from(csv).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"upload-{id}-report.csv\""))
            .map_err(|e| ApiError::internal(e.to_string()))?,
    );
    Ok(r)
}

#[utoipa::path(post, path = "/api/uploads/{id}/commit", tag = "contributions", params(("id" = i64, Path)),
    responses((status = 200, description = "imported"), (status = 409, description = "already decided or already imported")))]
async fn upload_commit(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let u = visible_upload(&st, &caller, id).await?;
    let actor = caller.actor();
    let done = st
        .pool
        .run(move |s| {
            let content = hub::upload_content(s, u.id)?;
            crate::upload::commit_upload(s, &u, &content, &actor)?;
            hub::upload(s, u.id)?.ok_or_else(|| anyhow::anyhow!("upload {} vanished", u.id))
        })
        .await?;
    st.cache.invalidate_store();
    Ok(Json(upload_json(&done, true)))
}

#[utoipa::path(post, path = "/api/uploads/{id}/discard", tag = "contributions", params(("id" = i64, Path)), responses((status = 200, description = "discarded")))]
async fn upload_discard(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let u = visible_upload(&st, &caller, id).await?;
    let actor = caller.actor();
    let done = st
        .pool
        .run(move |s| Ok(hub::discard_upload(s, u.id, &actor)?))
        .await?;
    Ok(Json(upload_json(&done, true)))
}

// ------------------------------------------------------------------ administration

#[utoipa::path(get, path = "/api/organisations", tag = "admin", responses((status = 200, description = "organisations")))]
async fn organisations(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<hub::Organisation>>> {
    caller.require(&[Role::Admin])?;
    Ok(Json(st.pool.run(|s| Ok(hub::organisations(s)?)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewOrganisation {
    pub name: String,
}

#[utoipa::path(post, path = "/api/organisations", tag = "admin", request_body = NewOrganisation, responses((status = 201, description = "created"), (status = 409, description = "name taken")))]
async fn create_organisation(
    State(st): State<AppState>,
    caller: Caller,
    Json(b): Json<NewOrganisation>,
) -> ApiResult<Response> {
    caller.require(&[Role::Admin])?;
    let actor = caller.actor();
    let o = st
        .pool
        .run(move |s| Ok(hub::create_organisation(s, &b.name, &actor)?))
        .await?;
    Ok((StatusCode::CREATED, Json(o)).into_response())
}

#[utoipa::path(get, path = "/api/users", tag = "admin", responses((status = 200, description = "accounts")))]
async fn users(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<hub::User>>> {
    caller.require(&[Role::Admin])?;
    Ok(Json(st.pool.run(|s| Ok(hub::users(s)?)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    /// admin, contributor, analyst or investigator
    pub role: String,
    pub organisation_id: Option<i64>,
}

fn role_of(s: &str) -> ApiResult<Role> {
    Role::parse(s).ok_or_else(|| {
        ApiError::bad_request(format!(
            "unknown role {s:?}: admin, contributor, analyst or investigator"
        ))
    })
}

#[utoipa::path(post, path = "/api/users", tag = "admin", request_body = NewUser, responses((status = 201, description = "created"), (status = 409, description = "name taken")))]
async fn create_user(
    State(st): State<AppState>,
    caller: Caller,
    Json(b): Json<NewUser>,
) -> ApiResult<Response> {
    caller.require(&[Role::Admin])?;
    let role = role_of(&b.role)?;
    let pw = b.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    let actor = caller.actor();
    let u = st
        .pool
        .run(move |s| {
            Ok(hub::create_user(
                s,
                &b.username,
                &hash,
                role,
                b.organisation_id,
                &actor,
            )?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(u)).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UserPatch {
    pub disabled: Option<bool>,
    pub password: Option<String>,
    pub role: Option<String>,
}

#[utoipa::path(patch, path = "/api/users/{id}", tag = "admin", params(("id" = i64, Path)), request_body = UserPatch, responses((status = 200, description = "changed")))]
async fn update_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<UserPatch>,
) -> ApiResult<Json<hub::User>> {
    let me = caller.require(&[Role::Admin])?;
    if me.id == id && (b.disabled == Some(true) || b.role.as_deref().is_some_and(|r| r != "admin"))
    {
        return Err(ApiError::bad_request(
            "an admin cannot disable or demote their own account",
        ));
    }
    let role = b.role.as_deref().map(role_of).transpose()?;
    let hash = match b.password.clone() {
        Some(pw) => Some(
            tokio::task::spawn_blocking(move || auth::hash_password(&pw))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))??,
        ),
        None => None,
    };
    let actor = caller.actor();
    let u = st
        .pool
        .run(move |s| {
            Ok(hub::update_user(
                s,
                id,
                b.disabled,
                hash.as_deref(),
                role,
                &actor,
            )?)
        })
        .await?;
    Ok(Json(u))
}

#[utoipa::path(get, path = "/api/tokens", tag = "accounts", responses((status = 200, description = "the caller's API tokens (admins: all)")))]
async fn tokens(State(st): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<hub::ApiToken>>> {
    let u = caller.require_login()?;
    let who = if u.role == Role::Admin {
        None
    } else {
        Some(u.id)
    };
    Ok(Json(st.pool.run(move |s| Ok(hub::tokens(s, who)?)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    pub name: String,
    /// Days until the token expires: 1 to 365, default 90.
    pub days: Option<i64>,
}

#[utoipa::path(post, path = "/api/tokens", tag = "accounts", request_body = NewToken, responses((status = 201, description = "created; `token` is shown only now")))]
async fn create_token(
    State(st): State<AppState>,
    caller: Caller,
    Json(b): Json<NewToken>,
) -> ApiResult<Response> {
    let u = caller.require_login()?.clone();
    let token = format!("{}{}", auth::TOKEN_PREFIX, auth::random_token());
    let h = auth::token_hash(&token);
    let actor = caller.actor();
    let t = st
        .pool
        .run(move |s| {
            let days = b.days.unwrap_or(hub::TOKEN_DAYS);
            Ok(hub::create_token(s, u.id, &b.name, &h, days, &actor)?)
        })
        .await?;
    let mut v = serde_json::to_value(&t).map_err(|e| ApiError::internal(e.to_string()))?;
    v["token"] = Value::String(token);
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "accounts", params(("id" = i64, Path)), responses((status = 204, description = "revoked")))]
async fn revoke_token(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let u = caller.require_login()?.clone();
    let actor = caller.actor();
    st.pool
        .run(move |s| {
            match hub::token(s, id)? {
                Some(t) if t.user_id == u.id || u.role == Role::Admin => {}
                _ => anyhow::bail!(cthub_store::StoreError::NotFound(format!("token {id}"))),
            }
            Ok(hub::revoke_token(s, id, &actor)?)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/audit", tag = "admin", params(AuditQuery), responses((status = 200, description = "newest audit entries first")))]
async fn audit(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Vec<cthub_store::AuditEntry>>> {
    caller.require(&[Role::Admin])?;
    let limit = q.limit.unwrap_or(200).clamp(1, 5000);
    Ok(Json(
        st.pool
            .run(move |s| Ok(hub::recent_audit(s, limit)?))
            .await?,
    ))
}

// ------------------------------------------------------------------ record linkage

#[utoipa::path(get, path = "/api/linkage/submissions", tag = "linkage", responses((status = 200, description = "encoding submissions the caller may see (contributors: their organisation's), newest first")))]
async fn linkage_submissions(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<cthub_store::linkage::LinkageSubmission>>> {
    let org = own_org(&caller)?;
    Ok(Json(
        st.pool
            .run(move |s| Ok(cthub_store::linkage::submissions(s, org.map(|o| o.id))?))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/linkage/submissions", tag = "linkage", params(UploadQuery),
    request_body(content_type = "multipart/form-data", description = "field `file`: the encoding file written by `cthub encode`"),
    responses((status = 201, description = "stored for the next linkage run"), (status = 400, description = "not an encoding file, or another schema than the other organisations'"),
        (status = 409, description = "the same file was submitted before")))]
async fn linkage_submit(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<UploadQuery>,
    mut mp: Multipart,
) -> ApiResult<Response> {
    let u = caller.require(&[Role::Contributor, Role::Admin])?.clone();
    let org_id = match (u.role, &u.organisation, q.organisation) {
        (Role::Contributor, Some(o), _) => o.id,
        (Role::Admin, _, Some(o)) => o,
        _ => {
            return Err(ApiError::bad_request(
                "admins choose the organisation: ?organisation=<id>",
            ))
        }
    };
    let (name, bytes) = file_field(&mut mp, "encodings.json").await?;
    let actor = caller.actor();
    let saved = st
        .pool
        .run(move |s| {
            if hub::organisation(s, org_id)?.is_none() {
                return Ok(Err(ApiError::not_found(format!(
                    "no organisation {org_id}"
                ))));
            }
            let set = match crate::linkage::check_submission(s, org_id, &bytes) {
                Ok(set) => set,
                Err(e) => return Ok(Err(ApiError::bad_request(format!("{name}: {e:#}")))),
            };
            use sha2::Digest;
            let sha = hex::encode(sha2::Sha256::digest(&bytes));
            Ok(Ok(cthub_store::linkage::save_submission(
                s,
                cthub_store::linkage::NewSubmission {
                    organisation_id: org_id,
                    submitted_by: &actor,
                    file_name: &name,
                    sha256: &sha,
                    fingerprint: &set.fingerprint,
                    records: set.len() as u64,
                    content: bytes.to_vec(),
                },
            )?))
        })
        .await??;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

#[utoipa::path(get, path = "/api/linkage/runs", tag = "linkage", responses((status = 200, description = "linkage runs, newest first, each with its summary and overlap statistics")))]
async fn linkage_runs(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<cthub_store::linkage::LinkageRun>>> {
    caller.require(&[Role::Admin])?;
    Ok(Json(
        st.pool.run(|s| Ok(cthub_store::linkage::runs(s)?)).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LinkageRunBody {
    /// Dice similarity at or above which two records are the same person (default 0.8).
    pub match_threshold: Option<f64>,
    /// Dice similarity at or above which an unmatched pair is queued for review (default 0.7).
    pub review_threshold: Option<f64>,
    /// Compare only pairs sharing a keyed blocking value (default true).
    pub use_blocking: Option<bool>,
}

#[utoipa::path(post, path = "/api/linkage/runs", tag = "linkage", request_body = LinkageRunBody,
    responses((status = 201, description = "the stored run"), (status = 400, description = "bad thresholds, or fewer than two organisations submitted")))]
async fn linkage_run(
    State(st): State<AppState>,
    caller: Caller,
    Json(b): Json<LinkageRunBody>,
) -> ApiResult<Response> {
    caller.require(&[Role::Admin])?;
    let d = cthub_link::pprl::hub::HubParams::default();
    let params = cthub_link::pprl::hub::HubParams {
        match_threshold: b.match_threshold.unwrap_or(d.match_threshold),
        review_threshold: b.review_threshold.unwrap_or(d.review_threshold),
        use_blocking: b.use_blocking.unwrap_or(d.use_blocking),
    };
    params
        .check()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let actor = caller.actor();
    let run = st
        .pool
        .run(move |s| {
            if cthub_store::linkage::latest_submissions(s)?.len() < 2 {
                return Ok(Err(ApiError::bad_request(
                    "linkage needs encodings from at least two organisations",
                )));
            }
            Ok(Ok(crate::linkage::run_linkage(s, params, &actor)?.0))
        })
        .await??;
    Ok((StatusCode::CREATED, Json(run)).into_response())
}

async fn run_or_404(st: &AppState, id: i64) -> ApiResult<cthub_store::linkage::LinkageRun> {
    st.pool
        .run(move |s| Ok(cthub_store::linkage::run(s, Some(id))?))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no linkage run {id}")))
}

#[utoipa::path(get, path = "/api/linkage/runs/{id}", tag = "linkage", params(("id" = i64, Path)), responses((status = 200, description = "the run with its summary and overlap statistics"), (status = 404, description = "no such run")))]
async fn linkage_run_get(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<cthub_store::linkage::LinkageRun>> {
    caller.require(&[Role::Admin])?;
    Ok(Json(run_or_404(&st, id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// Only pairs without a decision yet (default true).
    pub pending: Option<bool>,
}

#[utoipa::path(get, path = "/api/linkage/runs/{id}/review", tag = "linkage", params(("id" = i64, Path), ReviewQuery), responses((status = 200, description = "the run's uncertain and conflicting pairs, most similar first, with any decision taken since")))]
async fn linkage_review(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ReviewQuery>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Admin])?;
    run_or_404(&st, id).await?;
    let pending = q.pending.unwrap_or(true);
    let pairs = st
        .pool
        .run(move |s| Ok(cthub_store::linkage::review_queue(s, id, pending)?))
        .await?;
    Ok(Json(
        json!({"run": id, "pending_only": pending, "pairs": pairs}),
    ))
}

#[utoipa::path(get, path = "/api/linkage/runs/{id}/persons", tag = "linkage", params(("id" = i64, Path)), responses((status = 200, description = "persons known to two or more organisations, with each record's organisation, reference and case record (audited)")))]
async fn linkage_persons(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    caller.require(&[Role::Admin])?;
    run_or_404(&st, id).await?;
    let actor = caller.actor();
    let persons = st
        .pool
        .run(move |s| {
            let p = crate::linkage::linked_persons(s, id)?;
            s.record_audit(
                &actor,
                "linkage.persons.read",
                json!({"run": id, "persons": p.len()}),
            )?;
            Ok(p)
        })
        .await?;
    let list: Vec<Value> = persons
        .into_iter()
        .map(|(person, records)| json!({"person": person, "records": records}))
        .collect();
    Ok(Json(json!({"run": id, "persons": list})))
}

#[utoipa::path(get, path = "/api/linkage/decisions", tag = "linkage", responses((status = 200, description = "every decision taken on a pair")))]
async fn linkage_decisions(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<cthub_store::linkage::LinkDecision>>> {
    caller.require(&[Role::Admin])?;
    Ok(Json(
        st.pool
            .run(|s| Ok(cthub_store::linkage::decisions(s)?))
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LinkSideBody {
    pub organisation_id: i64,
    pub record_ref: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DecisionBody {
    pub a: LinkSideBody,
    pub b: LinkSideBody,
    /// accept (the same person) or reject (different persons)
    pub decision: String,
}

#[utoipa::path(post, path = "/api/linkage/decisions", tag = "linkage", request_body = DecisionBody,
    responses((status = 200, description = "recorded; applies from the next run"), (status = 400, description = "not accept/reject, or both records of one organisation")))]
async fn linkage_decide(
    State(st): State<AppState>,
    caller: Caller,
    Json(b): Json<DecisionBody>,
) -> ApiResult<Json<cthub_store::linkage::LinkDecision>> {
    caller.require(&[Role::Admin])?;
    let actor = caller.actor();
    let side = |x: LinkSideBody| cthub_store::linkage::LinkSide {
        organisation_id: x.organisation_id,
        record_ref: x.record_ref,
    };
    let (a, bb) = (side(b.a), side(b.b));
    let decision = b.decision;
    Ok(Json(
        st.pool
            .run(move |s| Ok(cthub_store::linkage::decide(s, a, bb, &decision, &actor)?))
            .await?,
    ))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "cthub", description = "The counter-trafficking data hub: contributions, analytics, releases and administration. See docs/API.md."),
    paths(
        health, ready, openapi, session, login, logout, sources, filters, indicator_list, indicator, countries,
        releases, create_release, release, release_file, publish, ledger, sql, contributions, records, upload, uploads,
        upload_get, upload_report, upload_commit, upload_discard, organisations, create_organisation,
        users, create_user, update_user, tokens, create_token, revoke_token, audit,
        linkage_submissions, linkage_submit, linkage_runs, linkage_run, linkage_run_get, linkage_review,
        linkage_persons, linkage_decisions, linkage_decide
    ),
    components(schemas(NewDpRelease, LoginBody, SqlBody, NewOrganisation, NewUser, UserPatch, NewToken, LinkageRunBody, LinkSideBody, DecisionBody)),
    tags((name = "service"), (name = "accounts"), (name = "analytics"), (name = "releases"), (name = "contributions"), (name = "admin"), (name = "linkage"))
)]
pub struct ApiDoc;

/// The list of (method, path) the router serves, from the OpenAPI document (used by tests).
pub fn documented_routes() -> Vec<(String, String)> {
    let doc = ApiDoc::openapi();
    let v = serde_json::to_value(&doc).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(paths) = v["paths"].as_object() {
        for (p, ops) in paths {
            if let Some(ops) = ops.as_object() {
                for m in ops.keys() {
                    out.push((m.to_uppercase(), p.clone()));
                }
            }
        }
    }
    out.sort();
    out
}
