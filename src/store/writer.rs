//! Group commit. A durable commit costs one fsync (~3 ms here on SQLite, less on PostgreSQL but
//! still a WAL flush and a round trip), so committing each voucher alone caps the service at a few
//! hundred per second on SQLite and wastes most of PostgreSQL's time on per-transaction work. One
//! writer thread takes every request queued while the previous commit was in flight and runs them
//! as one batch in one transaction, commits once and only then answers them all. What a batch does
//! is the caller's: on SQLite (`Writer::sqlite`) each request runs in its own savepoint under the
//! database write lock; on PostgreSQL `store::batch` runs postings together. The guards are the
//! same either way: each request's project is locked and its books checked under that lock.
use crate::db::{DbConn, DbPool};
use crate::error::{AppError, AppResult, Code};
use diesel::r2d2::{ConnectionManager, PooledConnection};
use tokio::sync::{mpsc, oneshot};

pub use super::unit::Outcome;

/// Runs one batch inside its transaction and gives one outcome per request, in order. An `Err`
/// rolls the whole batch back; every request is then answered with a retryable 503.
pub type RunBatch<W> = fn(&mut DbConn, Vec<W>) -> AppResult<Vec<Outcome>>;

/// A request for the SQLite writer: any money work, run on the batch's transaction.
pub type Work = Box<dyn FnOnce(&mut DbConn) -> Outcome + Send>;

struct Job<W> {
    work: W,
    reply: oneshot::Sender<Reply>,
}

/// A writer thread's answer: which of its batches carried the request, and the request's outcome,
/// or `None` when that batch did not commit. The batch number is how a request's log lines (in its
/// span, with its request id) meet the lines of the batch that ran it on the writer thread, which
/// runs many requests at once and so logs in a span of its own.
struct Reply {
    batch: u64,
    outcome: Option<Outcome>,
}

/// The most requests one commit carries; bounds how long the locks are held.
const MAX_BATCH: usize = 512;

pub struct Writer<W> {
    name: String,
    queues: Vec<mpsc::Sender<Job<W>>>,
}

/// Which of `n` queues a key goes to; the same in every process, though nothing depends on that.
fn shard(key: &str, n: usize) -> usize {
    // FNV-1a: a few instructions, and spread enough for UUIDs.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    (hash % n as u64) as usize
}

fn busy() -> AppError {
    AppError::new(Code::ServiceUnavailable, "the request was not committed; retry it (with the same Idempotency-Key)")
        .with("retryable", true)
}

impl Writer<Work> {
    /// The SQLite writer: every money request, each in its own savepoint (a refused request rolls
    /// back only itself), in a transaction that took the database write lock as it began
    /// (`unit::write`).
    pub fn sqlite(pool: DbPool) -> Writer<Work> {
        Writer::start(pool, "fundledger-writer", 1, |conn, batch| Ok(batch.into_iter().map(|work| work(conn)).collect()))
    }
}

impl<W: Send + 'static> Writer<W> {
    /// `threads` writer threads, each with its own queue, connection and transactions. Requests
    /// are spread over them by a key (the project): requests for one project always share a
    /// queue, so two of this process's batches never wait for each other's locks, while one
    /// thread's batch can run while another's commit is in flight.
    pub fn start(pool: DbPool, name: &str, threads: usize, run_batch: RunBatch<W>) -> Writer<W> {
        let queues = (0..threads.max(1))
            .map(|queue| {
                let (sender, jobs) = mpsc::channel(4 * MAX_BATCH);
                let (pool, thread) = (pool.clone(), Thread { name: name.to_string(), queue });
                std::thread::Builder::new()
                    .name(name.into())
                    .spawn(move || run(pool, jobs, run_batch, thread))
                    .expect("the writer thread starts");
                sender
            })
            .collect();
        Writer { name: name.to_string(), queues }
    }

    /// Runs `work` in the next batch of the queue `key` goes to, and resolves once that batch is
    /// durably committed.
    pub async fn submit(&self, key: &str, work: W) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let queue = shard(key, self.queues.len());
        self.queues[queue].send(Job { work, reply }).await.map_err(|_| busy())?;
        // Logged in the request's span: the request id and the batch that carried it, together.
        match answer.await {
            Ok(Reply { batch, outcome: Some(outcome) }) => {
                tracing::debug!(writer = %self.name, queue, batch, "committed with its batch");
                outcome
            }
            Ok(Reply { batch, outcome: None }) => {
                tracing::warn!(writer = %self.name, queue, batch, "its batch did not commit; answered 503");
                Err(busy())
            }
            // A writer thread drops a reply only when it is gone: the batch never committed.
            Err(_) => Err(busy()),
        }
    }
}

/// Which writer thread this is, for its log lines.
struct Thread {
    name: String,
    queue: usize,
}

fn run<W>(pool: DbPool, mut jobs: mpsc::Receiver<Job<W>>, run_batch: RunBatch<W>, thread: Thread) {
    // The writer keeps its connection: taking it from the pool per batch would make it queue
    // behind readers for a free one.
    let mut conn: Option<PooledConnection<ConnectionManager<DbConn>>> = None;
    let mut batches: u64 = 0;
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        batches += 1;
        crate::metrics::batch(batch.len());
        // Whatever is logged while the batch runs, the database layer's lines too, names it.
        let span = tracing::info_span!("batch", writer = %thread.name, queue = thread.queue, batch = batches, requests = batch.len());
        let _in_batch = span.enter();
        let c = match conn.take().map_or_else(|| pool.get(), Ok) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "writer has no connection; the batch is answered 503");
                batch.into_iter().for_each(|job| answer(job.reply, batches, None));
                continue;
            }
        };
        // A connection whose batch failed is given back (the pool drops it if it is broken).
        conn = commit(c, batch, run_batch, batches);
    }
}

fn answer(reply: oneshot::Sender<Reply>, batch: u64, outcome: Option<Outcome>) {
    // The request may have gone (its client hung up); its outcome stands all the same.
    let _ = reply.send(Reply { batch, outcome });
}

fn commit<W>(
    mut conn: PooledConnection<ConnectionManager<DbConn>>,
    batch: Vec<Job<W>>,
    run_batch: RunBatch<W>,
    number: u64,
) -> Option<PooledConnection<ConnectionManager<DbConn>>> {
    let requests = batch.len();
    let (works, replies): (Vec<W>, Vec<oneshot::Sender<Reply>>) = batch.into_iter().map(|j| (j.work, j.reply)).unzip();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        super::unit::write(&mut conn, |conn| {
            let outcomes = run_batch(conn, works)?;
            if outcomes.len() != requests {
                return Err(AppError::internal(format!("a batch of {requests} requests gave {} outcomes", outcomes.len())));
            }
            Ok(outcomes)
        })
    }));
    match result {
        Ok(Ok(outcomes)) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                answer(reply, number, Some(outcome));
            }
            Some(conn)
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e.detail, requests, "group commit failed; requests answered 503");
            replies.into_iter().for_each(|reply| answer(reply, number, None));
            None
        }
        Err(_) => {
            tracing::error!(requests, "a request panicked in the writer; its batch was rolled back");
            replies.into_iter().for_each(|reply| answer(reply, number, None));
            None
        }
    }
}
