//! The [`ImportTx`] of both backends: rows are prepared on the caller's thread and written by
//! a writer thread that owns the store's connection for the duration of the import.
//!
//! The writer opens the transaction, creates the contribution and reports its id before
//! [`begin`] returns; it then inserts batches as they arrive. Commit sends a final message and
//! waits for the writer's answer. Dropping the import closes the channel: the writer rolls the
//! transaction back and hands the connection back to the store. If the process dies, the
//! database discards the uncommitted transaction.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use cthub_ingest::{ImportSummary, ImportedRow};

use crate::batch::{Batch, Msg, UploadDecision};
use crate::{Contribution, ContributionMeta, ImportTx, Result, RowCounts, StoreError};

/// Batches in flight between the threads (each at most about 1 MiB).
const QUEUE: usize = 4;

/// What a writer thread gets.
pub(crate) struct WriterJob {
    pub meta: ContributionMeta,
    /// Send the new contribution's id once the transaction is open and the contribution row
    /// exists; drop without sending if that failed (the error is the writer's result).
    pub started: SyncSender<i64>,
    pub rows: Receiver<Msg>,
    /// Set when the import is dropped: skip the remaining batches.
    pub abandoned: Arc<AtomicBool>,
}

/// A backend's writer: runs the whole transaction on `conn`. Returns the contribution when
/// committed, `None` when the channel closed without commit (rolled back).
pub(crate) type Writer<C> = fn(&mut C, WriterJob) -> Result<Option<Contribution>>;

type Joined<C> = (C, Result<Option<Contribution>>);

/// Start an import: move the connection to a writer thread and wait until the contribution
/// exists (or the writer failed, e.g. [`StoreError::AlreadyImported`]).
pub(crate) fn begin<'a, C: Send + 'static>(
    home: &'a mut Option<C>,
    meta: &ContributionMeta,
    writer: Writer<C>,
) -> Result<Box<dyn ImportTx + 'a>> {
    let mut conn = home.take().ok_or(StoreError::ConnectionLost)?;
    let (started_tx, started_rx) = sync_channel(1);
    let (rows_tx, rows_rx) = sync_channel(QUEUE);
    let abandoned = Arc::new(AtomicBool::new(false));
    let job = WriterJob {
        meta: meta.clone(),
        started: started_tx,
        rows: rows_rx,
        abandoned: abandoned.clone(),
    };
    let worker = std::thread::Builder::new()
        .name("cthub-store-import".into())
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| writer(&mut conn, job)))
                .unwrap_or_else(|_| Err(StoreError::Internal("the import writer panicked".into())));
            (conn, result)
        })?;
    match started_rx.recv() {
        Ok(contribution_id) => Ok(Box::new(Piped {
            home,
            sender: Some(rows_tx),
            worker: Some(worker),
            abandoned,
            batch: Batch::new(),
            contribution_id,
            counts: RowCounts::default(),
            failure: None,
        })),
        Err(_) => {
            drop(rows_tx);
            let e = match rejoin(home, worker) {
                Err(e) => e,
                Ok(_) => StoreError::Internal("the import writer stopped before starting".into()),
            };
            Err(e)
        }
    }
}

/// Wait for the writer and put the connection back.
fn rejoin<C>(home: &mut Option<C>, worker: JoinHandle<Joined<C>>) -> Result<Option<Contribution>> {
    match worker.join() {
        Ok((conn, result)) => {
            *home = Some(conn);
            result
        }
        Err(_) => Err(StoreError::Internal("the import writer panicked".into())),
    }
}

struct Piped<'a, C: Send + 'static> {
    home: &'a mut Option<C>,
    sender: Option<SyncSender<Msg>>,
    worker: Option<JoinHandle<Joined<C>>>,
    abandoned: Arc<AtomicBool>,
    batch: Batch,
    contribution_id: i64,
    counts: RowCounts,
    /// Why the import stopped, once it did.
    failure: Option<String>,
}

impl<C: Send + 'static> Piped<'_, C> {
    /// Close the channel, wait for the writer, restore the connection.
    fn finish_writer(&mut self) -> Result<Option<Contribution>> {
        self.sender = None;
        match self.worker.take() {
            Some(w) => rejoin(self.home, w),
            None => Err(self.aborted()),
        }
    }

    fn aborted(&self) -> StoreError {
        StoreError::ImportAborted(
            self.failure
                .clone()
                .unwrap_or_else(|| "the import has already ended".to_string()),
        )
    }

    /// The writer hung up early: collect and remember its error.
    fn writer_failed(&mut self) -> StoreError {
        let e = match self.finish_writer() {
            Err(e) => e,
            Ok(_) => StoreError::Internal("the import writer stopped unexpectedly".into()),
        };
        self.failure = Some(e.to_string());
        e
    }

    fn send(&mut self, msg: Msg) -> Result<()> {
        let Some(sender) = &self.sender else {
            return Err(self.aborted());
        };
        if sender.send(msg).is_err() {
            return Err(self.writer_failed());
        }
        Ok(())
    }
}

impl<C: Send + 'static> ImportTx for Piped<'_, C> {
    fn contribution_id(&self) -> i64 {
        self.contribution_id
    }

    fn add(&mut self, row: &ImportedRow) -> Result<()> {
        if self.sender.is_none() {
            return Err(self.aborted());
        }
        self.batch.push(row)?;
        self.counts.count(row);
        if self.batch.is_full() {
            let b = std::mem::replace(&mut self.batch, Batch::new());
            self.send(Msg::Rows(b))?;
        }
        Ok(())
    }

    fn commit(self: Box<Self>, summary: &ImportSummary) -> Result<Contribution> {
        self.finish(summary, None)
    }

    fn commit_upload(
        self: Box<Self>,
        summary: &ImportSummary,
        upload: i64,
        actor: &str,
    ) -> Result<Contribution> {
        self.finish(
            summary,
            Some(UploadDecision {
                id: upload,
                actor: actor.to_string(),
            }),
        )
    }
}

impl<C: Send + 'static> Piped<'_, C> {
    fn finish(
        mut self: Box<Self>,
        summary: &ImportSummary,
        upload: Option<UploadDecision>,
    ) -> Result<Contribution> {
        if !self.batch.is_empty() {
            let b = std::mem::take(&mut self.batch);
            self.send(Msg::Rows(b))?;
        }
        let msg = Msg::Commit {
            counts: self.counts,
            summary: serde_json::to_string(summary)?,
            upload,
        };
        self.send(msg)?;
        match self.finish_writer()? {
            Some(c) => Ok(c),
            None => Err(StoreError::Internal(
                "the import writer did not commit".into(),
            )),
        }
    }
}

impl<C: Send + 'static> Drop for Piped<'_, C> {
    fn drop(&mut self) {
        if self.worker.is_some() {
            // Not committed: the writer skips what is queued and rolls back.
            self.abandoned.store(true, Ordering::Relaxed);
            let _ = self.finish_writer();
        }
    }
}
