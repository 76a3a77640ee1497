//! Group commit for SQLite. A durable SQLite commit costs one fsync (~3 ms here), so committing
//! each voucher alone caps the service at a few hundred per second. One writer thread per process
//! takes every money request queued while the previous commit was syncing and runs them in one
//! transaction, each in its own savepoint (a refused request rolls back only itself), then
//! commits once and only then answers them all. The guards are unchanged: each request still locks
//! its project and checks its books under the same lock, now inside the batch.
use crate::db::{DbConn, DbPool};
use crate::error::{AppError, AppResult};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, PooledConnection};
use diesel::Connection;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

pub type Outcome = AppResult<(u16, Value)>;
type Work = Box<dyn FnOnce(&mut DbConn) -> Outcome + Send>;

struct Job {
    work: Work,
    reply: oneshot::Sender<Outcome>,
}

/// The most requests one commit carries; bounds how long the write lock is held.
const MAX_BATCH: usize = 512;

pub struct Writer {
    queue: mpsc::Sender<Job>,
}

fn busy() -> AppError {
    AppError::new("service_unavailable", "the request was not committed; retry it (with the same Idempotency-Key)").with("retryable", true)
}

impl Writer {
    pub fn start(pool: DbPool) -> Writer {
        let (queue, jobs) = mpsc::channel(4 * MAX_BATCH);
        std::thread::Builder::new().name("fundledger-writer".into()).spawn(move || run(pool, jobs)).expect("the writer thread starts");
        Writer { queue }
    }

    /// Runs `work` in the next batch and resolves once that batch is durably committed.
    pub async fn submit(&self, work: impl FnOnce(&mut DbConn) -> Outcome + Send + 'static) -> Outcome {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Job { work: Box::new(work), reply }).await.map_err(|_| busy())?;
        // A dropped reply means the batch never committed.
        answer.await.unwrap_or_else(|_| Err(busy()))
    }
}

fn run(pool: DbPool, mut jobs: mpsc::Receiver<Job>) {
    // The writer keeps its connection: taking it from the pool per batch would make it queue
    // behind readers for a free one.
    let mut conn: Option<PooledConnection<ConnectionManager<DbConn>>> = None;
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let c = match conn.take().map_or_else(|| pool.get(), Ok) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "writer has no connection");
                continue; // dropping the replies answers every request with a retryable 503
            }
        };
        // A connection whose batch failed is given back (the pool drops it if it is broken).
        conn = commit(c, batch);
    }
}

fn commit(mut conn: PooledConnection<ConnectionManager<DbConn>>, batch: Vec<Job>) -> Option<PooledConnection<ConnectionManager<DbConn>>> {
    let mut answers = Vec::with_capacity(batch.len());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            // Take the write lock before any request reads, as store::ledger::lock explains.
            conn.batch_execute("UPDATE audit_chains SET seq = seq WHERE chain_id = 'global'")?;
            for job in batch {
                let outcome = (job.work)(conn);
                answers.push((job.reply, outcome));
            }
            Ok(())
        })
    }));
    match result {
        Ok(Ok(())) => {
            for (reply, outcome) in answers {
                let _ = reply.send(outcome);
            }
            Some(conn)
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, requests = answers.len(), "group commit failed; requests answered 503");
            None
        }
        Err(_) => {
            tracing::error!(requests = answers.len(), "a request panicked in the writer; its batch was rolled back");
            None
        }
    }
}
