//! API errors: one JSON shape, `{"error": {"code", "message", "request_id"}}`, with the status
//! that matches the code. The request id is filled in by [`add_request_id`] from the
//! `x-request-id` header that the request-id layer set.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cthub_store::StoreError;

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds, for 429.
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", m)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "log in (or send an API token) to do this",
        )
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", m)
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", m)
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", m)
    }
    /// A 500. The detail (a store's or a library's message, which may name tables, files or
    /// values) goes to the log inside the request's span, never to the client, who gets the
    /// request id to quote instead.
    pub fn internal(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; the hub's log has the details under this request id",
        )
    }
    pub fn unavailable(m: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Conflict(_) | StoreError::AlreadyImported { .. } => {
                ApiError::conflict(e.to_string())
            }
            StoreError::NotFound(_) => ApiError::not_found(e.to_string()),
            StoreError::Invalid(_) => ApiError::bad_request(e.to_string()),
            StoreError::NoBudget(_) | StoreError::BudgetExceeded { .. } => {
                ApiError::conflict(e.to_string())
            }
            _ => ApiError::internal(format!("the store failed: {e}")),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        if let Some(r) = e.downcast_ref::<cthub_release::Refused>() {
            return ApiError::bad_request(r.0.clone());
        }
        match e.downcast::<StoreError>() {
            Ok(s) => s.into(),
            Err(e) => ApiError::internal(format!("{e:#}")),
        }
    }
}

/// Marks an error response so that [`add_request_id`] can rewrite its body.
#[derive(Clone)]
struct ErrorParts {
    code: &'static str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message, "request_id": null}});
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut().insert("retry-after", HeaderValue::from(s));
        }
        r.extensions_mut().insert(ErrorParts {
            code: self.code,
            message: self.message,
        });
        r
    }
}

/// Middleware: puts the request id into error bodies, and turns axum's own plain-text
/// rejections (bad JSON, bad path or query, body too large) into the JSON error shape.
pub async fn add_request_id(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    let parts = resp.extensions().get::<ErrorParts>().cloned();
    let (code, message) = match parts {
        Some(p) => (p.code, p.message),
        None if is_api && (status.is_client_error() || status.is_server_error()) => {
            let code = match status {
                StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                StatusCode::NOT_FOUND => "not_found",
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                s if s.is_server_error() => "internal",
                _ => "bad_request",
            };
            let (head, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, 64 * 1024)
                .await
                .unwrap_or_default();
            let mut msg = String::from_utf8_lossy(&bytes).trim().to_string();
            if msg.is_empty() {
                msg = status
                    .canonical_reason()
                    .unwrap_or("request failed")
                    .to_string();
            }
            let resp = Response::from_parts(head, Body::empty());
            return rebuild(resp, code, &msg, id.as_deref());
        }
        None => return resp,
    };
    rebuild(resp, code, &message, id.as_deref())
}

fn rebuild(resp: Response, code: &str, message: &str, id: Option<&str>) -> Response {
    let (mut head, _) = resp.into_parts();
    let body = serde_json::json!({"error": {"code": code, "message": message, "request_id": id}});
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    head.headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    head.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(head, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_detail_out_of_the_answer() {
        let e: ApiError =
            StoreError::from(std::io::Error::other("disk /var/lib/cthub/hub.db: table x")).into();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.message.contains("hub.db"), "{}", e.message);
        let e: ApiError = anyhow::anyhow!("secret detail").into();
        assert!(!e.message.contains("secret"), "{}", e.message);
    }
}
