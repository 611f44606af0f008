//! A small pool of store connections. Store calls block, so they run on tokio's blocking
//! threads; the pool hands each call its own connection (SQLite in WAL mode serves readers
//! concurrently; PostgreSQL connections are independent sessions).

use std::sync::{Arc, Mutex};

use cthub_store::Store;
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    location: String,
    idle: Mutex<Vec<Box<dyn Store>>>,
    permits: Semaphore,
}

impl Pool {
    /// Opens one connection at once (applying migrations), more as needed up to `size`.
    pub fn open(location: &str, size: usize) -> anyhow::Result<Pool> {
        let first = cthub_store::open(location)?;
        Ok(Pool {
            inner: Arc::new(Inner {
                location: location.to_string(),
                idle: Mutex::new(vec![first]),
                permits: Semaphore::new(size),
            }),
        })
    }

    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// Runs `f` with a connection on a blocking thread.
    pub async fn run<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> anyhow::Result<T> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::unavailable("the server is shutting down"))?;
        let inner = self.inner.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let conn = inner
                .idle
                .lock()
                .map_err(|_| anyhow::anyhow!("pool poisoned"))?
                .pop();
            let mut conn = match conn {
                Some(c) => c,
                None => cthub_store::open(&inner.location)?,
            };
            let out = f(conn.as_mut());
            // A connection whose last call failed may be in a bad state: drop it.
            if out.is_ok() {
                if let Ok(mut idle) = inner.idle.lock() {
                    idle.push(conn);
                }
            }
            out
        })
        .await
        .map_err(|e| ApiError::internal(format!("store task failed: {e}")))?;
        joined.map_err(ApiError::from)
    }
}

impl Drop for Inner {
    /// PostgreSQL connections close by blocking on their own runtime, which must not happen on
    /// an async worker: close them on a plain thread.
    fn drop(&mut self) {
        let conns = std::mem::take(self.idle.get_mut().unwrap_or_else(|e| e.into_inner()));
        if conns.is_empty() {
            return;
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            let _ = std::thread::spawn(move || drop(conns)).join();
        } else {
            drop(conns);
        }
    }
}
