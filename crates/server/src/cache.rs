//! Analytics tables, built once and shared: the store's (rebuilt after every write through this
//! server, and when the store's records changed under it, e.g. by `cthub import` from another
//! process: readers never see a table older than the last write they could know of) and each
//! release's (releases never change).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::analytics::{self, DpSource, Frame};
use crate::error::{ApiError, ApiResult};
use crate::pool::Pool;

/// A release's analytics form.
pub enum ReleaseData {
    Records(Frame),
    Dp(DpSource),
}

/// The store's table with the generation and the records' version it was built at.
type StoreFrame = Option<(u64, (i64, i64), Arc<Frame>)>;

#[derive(Default)]
pub struct Cache {
    generation: AtomicU64,
    store: tokio::sync::RwLock<StoreFrame>,
    build: tokio::sync::Mutex<()>,
    releases: Mutex<HashMap<i64, Arc<ReleaseData>>>,
    /// Record-level releases as the analysts' SQL sees them (the CSV's own columns).
    sql_tables: Mutex<HashMap<i64, Arc<arrow::array::RecordBatch>>>,
    /// Indicator answers by data version, indicator, filters and scope (see [`Cache::answer`]).
    answers: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Arc<analytics::Indicator>>>>>,
    /// Indicator computations running at once, and those waiting for a slot.
    computing: ComputeSlots,
}

/// Indicator computations waiting for a slot at most; past it a request gets 503 with
/// `Retry-After` at once instead of a hung connection.
pub const COMPUTE_QUEUE: usize = 64;

/// Slots for indicator computations: one core is always left to the rest of the server
/// (cached answers, health, static files), so at least one and at most cores − 1 run at once.
struct ComputeSlots {
    slots: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
}

impl Default for ComputeSlots {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ComputeSlots {
            slots: tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1)),
            waiting: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

/// Indicator answers kept at most (each a few KiB).
pub const MAX_ANSWERS: usize = 20_000;

impl Cache {
    /// Call after a write to the store's records.
    pub fn invalidate_store(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The store's table, rebuilt if a write happened since it was built (through this server,
    /// or by another process: the records' version is checked on every call).
    pub async fn store_frame(&self, pool: &Pool) -> ApiResult<Arc<Frame>> {
        Ok(self.store_frame_versioned(pool).await?.1)
    }

    /// The store's table with the data version it was built at (`store@generation:count:max`):
    /// answers computed from it are valid as long as the version is.
    pub async fn store_frame_versioned(&self, pool: &Pool) -> ApiResult<(String, Arc<Frame>)> {
        let want = self.generation.load(Ordering::SeqCst);
        let version = pool
            .run(|s| Ok(cthub_store::hub::records_version(s)?))
            .await?;
        let tag = |g: u64, v: (i64, i64)| format!("store@{g}:{}:{}", v.0, v.1);
        let fresh = |c: &StoreFrame| match c {
            Some((g, v, f)) if *g == want && *v == version => Some((tag(*g, *v), f.clone())),
            _ => None,
        };
        if let Some(f) = fresh(&*self.store.read().await) {
            return Ok(f);
        }
        let _building = self.build.lock().await;
        if let Some(f) = fresh(&*self.store.read().await) {
            return Ok(f);
        }
        let (version, frame) = pool
            .run(|s| {
                // the version read with the records: a commit in between only causes a rebuild
                let version = cthub_store::hub::records_version(s)?;
                let orgs: HashMap<i64, i64> = s
                    .contributions()?
                    .into_iter()
                    .map(|c| (c.id, c.organisation_id))
                    .collect();
                let mut b = analytics::FrameBuilder::new(&analytics::store_header());
                s.for_each_record(None, &mut |r| {
                    let row = analytics::store_row(&r.record);
                    b.push(&row, orgs.get(&r.contribution_id).copied());
                    Ok(())
                })?;
                Ok((version, b.finish()?))
            })
            .await?;
        let frame = Arc::new(frame);
        tracing::info!(
            rows = frame.rows,
            generation = want,
            contributions = version.0,
            "analytics table of the store built"
        );
        *self.store.write().await = Some((want, version, frame.clone()));
        Ok((tag(want, version), frame))
    }

    /// An indicator's answer for `key` (its source's data version, the indicator, the filters and
    /// the caller's scope), computed once: concurrent requests for a missing key wait for one
    /// computation, and a failed computation is not kept. Keys of an older data version are
    /// never asked again; past [`MAX_ANSWERS`] entries the map starts afresh. Computations run
    /// in bounded slots with a bounded queue (see [`COMPUTE_QUEUE`]).
    pub async fn answer<F, Fut>(
        &self,
        key: String,
        compute: F,
    ) -> ApiResult<Arc<analytics::Indicator>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ApiResult<analytics::Indicator>>,
    {
        let cell = {
            let mut m = self
                .answers
                .lock()
                .map_err(|_| ApiError::internal("the answer cache is poisoned"))?;
            if m.len() >= MAX_ANSWERS && !m.contains_key(&key) {
                m.clear();
            }
            m.entry(key).or_default().clone()
        };
        cell.get_or_try_init(|| async {
            let c = &self.computing;
            if c.waiting.fetch_add(1, Ordering::SeqCst) >= COMPUTE_QUEUE {
                c.waiting.fetch_sub(1, Ordering::SeqCst);
                let mut e = ApiError::unavailable(
                    "the server is computing many charts at once; try again in a moment",
                );
                e.retry_after = Some(2);
                return Err(e);
            }
            let permit = c.slots.acquire().await;
            c.waiting.fetch_sub(1, Ordering::SeqCst);
            let _permit =
                permit.map_err(|_| ApiError::unavailable("the server is shutting down"))?;
            compute().await.map(Arc::new)
        })
        .await
        .cloned()
    }

    /// A release's table or marginals, loaded from its files once.
    pub async fn release(&self, pool: &Pool, id: i64, kind: &str) -> ApiResult<Arc<ReleaseData>> {
        if let Some(d) = self.releases.lock().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(d);
        }
        let kind = kind.to_string();
        let data = pool
            .run(move |s| -> anyhow::Result<ReleaseData> {
                if kind == "aggregates" {
                    let (_, bytes) = cthub_store::hub::release_file(s, id, "aggregates.json")?
                        .ok_or_else(|| anyhow::anyhow!("release {id} has no aggregates.json"))?;
                    Ok(ReleaseData::Dp(DpSource::new(serde_json::from_slice(
                        &bytes,
                    )?)))
                } else {
                    let rel = cthub_store::hub::release(s, id)?
                        .ok_or_else(|| anyhow::anyhow!("release {id} vanished"))?;
                    let file = rel
                        .files
                        .iter()
                        .find(|f| f.name.ends_with(".csv"))
                        .ok_or_else(|| anyhow::anyhow!("release {id} has no CSV table"))?;
                    let (_, bytes) = cthub_store::hub::release_file(s, id, &file.name)?
                        .ok_or_else(|| anyhow::anyhow!("release file vanished"))?;
                    Ok(ReleaseData::Records(analytics::frame_from_csv(&bytes)?))
                }
            })
            .await?;
        let data = Arc::new(data);
        if let Ok(mut m) = self.releases.lock() {
            m.insert(id, data.clone());
        }
        Ok(data)
    }
}

impl Cache {
    /// A release's CSV table for the analysts' SQL, parsed once (`None`: it has no CSV).
    pub async fn sql_table(
        &self,
        pool: &Pool,
        release: &cthub_store::hub::Release,
    ) -> ApiResult<Option<Arc<arrow::array::RecordBatch>>> {
        if let Some(t) = self
            .sql_tables
            .lock()
            .ok()
            .and_then(|m| m.get(&release.id).cloned())
        {
            return Ok(Some(t));
        }
        let Some(f) = release.files.iter().find(|f| f.name.ends_with(".csv")) else {
            return Ok(None);
        };
        let (id, name) = (release.id, f.name.clone());
        let Some(batch) = pool
            .run(move |s| {
                cthub_store::hub::release_file(s, id, &name)?
                    .map(|(_, bytes)| crate::api::csv_batch(&bytes))
                    .transpose()
            })
            .await?
        else {
            return Ok(None);
        };
        let batch = Arc::new(batch);
        if let Ok(mut m) = self.sql_tables.lock() {
            m.insert(release.id, batch.clone());
        }
        Ok(Some(batch))
    }
}

impl From<analytics::FilterError> for ApiError {
    fn from(e: analytics::FilterError) -> Self {
        ApiError::bad_request(e.0)
    }
}
