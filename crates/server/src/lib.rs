//! `cthub serve`: the hub's HTTP API and web dashboard.
//!
//! * [`config`]: file and environment configuration.
//! * [`pool`]: store connections for blocking store calls.
//! * [`auth`]: sessions (cookie + CSRF), API tokens, argon2id passwords, login rate limiting,
//!   the [`auth::Caller`] extractor every handler starts from.
//! * [`api`]: the endpoints, each with its access rule (the table in `docs/API.md`), and the
//!   OpenAPI document.
//! * [`analytics`] + [`cache`]: indicators with DataFusion over Arrow tables built from the
//!   store (refreshed after writes) and from releases.
//! * [`web`]: the dashboard (`web/`, built by `build.rs`) embedded in the binary.
//! * [`error`]: the one JSON error shape, with request ids.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub mod analytics;
pub mod api;
pub mod auth;
pub mod cache;
pub mod config;
pub mod conn;
pub mod error;
pub mod linkage;
pub mod pool;
pub mod upload;
pub mod web;

pub use config::ServerConfig;

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    pub pool: pool::Pool,
    pub cfg: Arc<ServerConfig>,
    pub limiter: Arc<auth::LoginLimiter>,
    /// Password verifications (argon2id, ~20 MB and tens of ms each) running at once: at most
    /// the number of cores; a login that waits over 10 s for a slot gets 503.
    pub verify_slots: Arc<tokio::sync::Semaphore>,
    pub cache: Arc<cache::Cache>,
    /// DP releases started from the hub run one at a time (`POST /api/releases`).
    pub release_slot: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    pub fn new(cfg: ServerConfig) -> anyhow::Result<AppState> {
        let pool = pool::Pool::open(&cfg.database, cfg.pool_size)?;
        Ok(AppState {
            pool,
            limiter: Arc::new(auth::LoginLimiter::new(
                cfg.login_attempts,
                Duration::from_secs(cfg.login_window_secs),
            )),
            verify_slots: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            cache: Arc::new(cache::Cache::default()),
            release_slot: Arc::new(tokio::sync::Semaphore::new(1)),
            cfg: Arc::new(cfg),
        })
    }
}

/// The whole application: API, dashboard, request ids, tracing, security headers.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api::routes(&state))
        .merge(web::routes())
        .with_state(state)
        .layer(axum::middleware::from_fn(error::add_request_id))
        .layer(axum::middleware::from_fn(conn::close_if_body_unread))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
}

/// A bound, not yet running server.
pub struct Bound {
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
    app: Router,
}

/// Opens the store (applying migrations) and binds the address.
pub async fn bind(cfg: ServerConfig) -> anyhow::Result<Bound> {
    let listen = cfg.listen;
    // Opening the store blocks (PostgreSQL's client runs its own runtime).
    let state = tokio::task::spawn_blocking(move || AppState::new(cfg)).await??;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    // Build the store's analytics table before the first request needs it.
    let warm = state.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.cache.store_frame(&warm.pool).await {
            tracing::warn!(error = %e.message, "could not prepare the analytics table");
        }
    });
    Ok(Bound {
        addr,
        listener,
        app: router(state),
    })
}

impl Bound {
    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(
            self.listener,
            self.app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
