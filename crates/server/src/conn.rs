//! Connection hygiene: a response sent before its request body was read to the end closes the
//! connection and says so.
//!
//! When a handler answers early (413 past the upload limit, 401/403 before a body is read, a
//! multipart error), hyper cannot reuse the connection: unread body bytes are still in flight,
//! so it closes the socket after the response. Without a `Connection: close` header the client
//! believes the connection is reusable, returns it to its pool and fails its next request on
//! a dead socket ("broken pipe"). [`close_if_body_unread`] tracks whether the body reached its
//! end and, if not, marks the response so that clients drop the connection themselves.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};

/// A request body that records when it has been read to its end.
struct TrackedBody {
    inner: Body,
    finished: Arc<AtomicBool>,
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.finished.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Middleware: adds `Connection: close` to a response whose request body was not read to its
/// end, so that no client keeps a connection the server is about to close.
pub async fn close_if_body_unread(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let finished = Arc::new(AtomicBool::new(body.is_end_stream()));
    let tracked = TrackedBody {
        inner: body,
        finished: finished.clone(),
    };
    let req = Request::from_parts(parts, Body::new(tracked));
    let mut resp = next.run(req).await;
    if !finished.load(Ordering::Acquire) {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}
