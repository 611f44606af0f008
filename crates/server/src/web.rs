//! The dashboard, embedded at build time (see `build.rs`): static files with their media types
//! and caching, and `index.html` for every other non-API path (client-side routes).

use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use include_dir::{include_dir, Dir};

use crate::AppState;

static WEB: Dir<'static> = include_dir!("$OUT_DIR/web");

pub fn routes() -> Router<AppState> {
    Router::new().fallback(get(serve))
}

fn media_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path == "api" {
        return crate::error::ApiError::not_found(format!("no endpoint {}", uri.path()))
            .into_response();
    }
    let (file, immutable) = match WEB.get_file(path) {
        Some(f) if !path.is_empty() => (f, path.starts_with("assets/")),
        _ => match WEB.get_file("index.html") {
            Some(f) => (f, false),
            None => return (StatusCode::NOT_FOUND, "no dashboard in this build").into_response(),
        },
    };
    let mut r = file.contents().into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media_type(file.path().to_str().unwrap_or(""))),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        ),
    );
    r
}
