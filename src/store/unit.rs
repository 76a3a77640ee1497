//! One money request, run the same way alone in its own transaction (`Alone`) and inside a
//! PostgreSQL posting batch (`store::batch`): its project is locked, a unit reaches only its own
//! organisation's projects, a repeated Idempotency-Key gets the answer it got before (or a conflict
//! if it came with another request), the work runs, and a refusal by the rules is recorded on the
//! project's chain. The two differ only where `Unit` says: where rows are written and how a
//! refused request is undone.
use super::ledger::{self, Locked};
use super::{audit, now, tree};
use crate::db::schema::{audit_chains, idempotency_keys};
use crate::db::{DbConn, DbPool};
use crate::domain::audit::Actor;
use crate::error::{AppError, AppResult, Code};
use diesel::connection::{Connection, TransactionManager};
use diesel::prelude::*;
use serde_json::{json, Value};

/// What a money request answers: its HTTP status and body (kept with its Idempotency-Key).
pub type Outcome = AppResult<(u16, Value)>;

/// A money request's envelope: what is checked and recorded around its work.
pub struct Request {
    pub project_id: String,
    /// Limits the request to one organisation's projects (a unit's): others do not exist for it.
    pub org: Option<String>,
    pub idem: Option<Idem>,
    pub actor: Actor,
    /// The audit action recorded when the rules refuse the request.
    pub refusal_action: &'static str,
    /// The request as received, recorded with a refusal.
    pub body: Value,
}

/// An Idempotency-Key as stored: per user, with a hash of the request it first came with.
pub struct Idem {
    pub user_id: String,
    pub key: String,
    pub request_hash: String,
}

/// An Idempotency-Key's answer: (request_hash, status, body).
pub type Answer = (String, i32, String);

/// What a request that ran gives to keep under its key.
pub struct Answered<'a> {
    pub idem: Option<&'a Idem>,
    pub status: u16,
    pub body: &'a Value,
}

/// Where a request runs.
pub trait Unit {
    /// Where the work writes: the transaction itself, or a batch's buffer.
    type Rows: ?Sized;
    /// Locks the request's project and starts what `undo` takes back.
    fn begin(&mut self, project_id: &str) -> AppResult<Locked>;
    fn rows(&mut self) -> &mut Self::Rows;
    /// The answer kept under `idem`; an error if another request holds the key unanswered.
    fn answer(&mut self, idem: &Idem) -> AppResult<Option<Answer>>;
    /// Keeps the request's books and rows, and its answer under its key; `None` when a kept
    /// answer was replayed and the work did not run.
    fn finish(&mut self, locked: Locked, answered: Option<Answered<'_>>) -> AppResult<()>;
    /// Takes back everything since `begin`.
    fn undo(&mut self) -> AppResult<()>;
    /// Records a refused request on its project's chain (after `undo`).
    fn record_refusal(&mut self, project_id: &str, actor: &Actor, action: &str, data: Value) -> AppResult<()>;
}

/// Runs one request in `unit`; `work` is its use case, run under the project's lock.
pub fn run<U, W>(unit: &mut U, request: Request, work: W) -> Outcome
where
    U: Unit,
    W: FnOnce(&mut U::Rows, &mut Locked) -> Outcome,
{
    let result = attempt(unit, &request, work);
    if let Err(e) = &result {
        unit.undo()?;
        if is_recorded_refusal(e) {
            let data = refusal_data(e, request.body);
            unit.record_refusal(&request.project_id, &request.actor, request.refusal_action, data)?;
        }
    }
    result
}

fn attempt<U, W>(unit: &mut U, r: &Request, work: W) -> Outcome
where
    U: Unit,
    W: FnOnce(&mut U::Rows, &mut Locked) -> Outcome,
{
    let mut locked = unit.begin(&r.project_id)?;
    if r.org.as_deref().is_some_and(|o| o != locked.row.org_id) {
        return Err(AppError::not_found("project"));
    }
    if let Some(i) = &r.idem {
        if let Some((hash, status, body)) = unit.answer(i)? {
            let replayed = replay(i, &hash, status, &body)?;
            unit.finish(locked, None)?;
            return Ok(replayed);
        }
    }
    let (status, body) = work(unit.rows(), &mut locked)?;
    unit.finish(locked, Some(Answered { idem: r.idem.as_ref(), status, body: &body }))?;
    Ok((status, body))
}

/// The answer to a request whose Idempotency-Key is kept: the kept answer if the request is the
/// same as the one that first came with the key, else a conflict.
fn replay(i: &Idem, kept_hash: &str, status: i32, body: &str) -> Outcome {
    if kept_hash != i.request_hash {
        return Err(AppError::conflict(Code::IdempotencyConflict, "this Idempotency-Key was used with a different request"));
    }
    Ok((status as u16, serde_json::from_str(body).map_err(AppError::internal)?))
}

/// Another request holds the key and has not answered yet.
pub fn key_in_use() -> AppError {
    AppError::conflict(Code::IdempotencyConflict, "this Idempotency-Key is in use by another request")
}

/// Whether a failed money request is a refusal by the rules, which the project's chain records:
/// forbidden, conflicting or unprocessable, but not a reused Idempotency-Key.
pub fn is_recorded_refusal(e: &AppError) -> bool {
    matches!(e.status().as_u16(), 403 | 409 | 422) && e.code != Code::IdempotencyConflict
}

/// What the chain records of a refusal: the answer given and the request refused.
fn refusal_data(err: &AppError, request: Value) -> Value {
    json!({"code": err.code, "detail": err.detail, "status": err.status().as_u16(), "extra": err.extra, "request": request})
}

type Transactions = <DbConn as Connection>::TransactionManager;

/// A request alone in its own transaction: all or nothing (a savepoint when the SQLite writer
/// runs it in its batch's transaction). A refusal is recorded in a transaction of its own.
pub struct Alone<'c> {
    conn: &'c mut DbConn,
    open: bool,
}

/// Runs one money request alone on `conn`.
pub fn alone<W>(conn: &mut DbConn, request: Request, work: W) -> Outcome
where
    W: FnOnce(&mut DbConn, &mut Locked) -> Outcome,
{
    run(&mut Alone { conn, open: false }, request, work)
}

impl Unit for Alone<'_> {
    type Rows = DbConn;

    fn begin(&mut self, project_id: &str) -> AppResult<Locked> {
        begin(self.conn)?;
        self.open = true;
        ledger::lock(self.conn, project_id)
    }

    fn rows(&mut self) -> &mut DbConn {
        self.conn
    }

    fn answer(&mut self, i: &Idem) -> AppResult<Option<Answer>> {
        Ok(idempotency_keys::table
            .find((&i.user_id, &i.key))
            .select((idempotency_keys::request_hash, idempotency_keys::status_code, idempotency_keys::body))
            .first(self.conn)
            .optional()?)
    }

    fn finish(&mut self, locked: Locked, answered: Option<Answered<'_>>) -> AppResult<()> {
        if let Some(a) = answered {
            ledger::save(self.conn, &locked)?;
            if let Some(i) = a.idem {
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::user_id.eq(&i.user_id),
                        idempotency_keys::key.eq(&i.key),
                        idempotency_keys::request_hash.eq(&i.request_hash),
                        idempotency_keys::status_code.eq(a.status as i32),
                        idempotency_keys::body.eq(a.body.to_string()),
                        idempotency_keys::created_at.eq(now()),
                    ))
                    .execute(self.conn)
                    .map_err(|e| match AppError::from(e) {
                        e if e.code == Code::AlreadyExists => key_in_use(),
                        e => e,
                    })?;
            }
        }
        // As diesel's `transaction`: a failed COMMIT is not rolled back again.
        self.open = false;
        Ok(Transactions::commit_transaction(self.conn)?)
    }

    fn undo(&mut self) -> AppResult<()> {
        if !std::mem::take(&mut self.open) {
            return Ok(());
        }
        match Transactions::rollback_transaction(self.conn) {
            // As diesel's `transaction`: the request's own error is the one worth reporting.
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn record_refusal(&mut self, project_id: &str, actor: &Actor, action: &str, data: Value) -> AppResult<()> {
        write(self.conn, |conn| {
            ledger::lock(conn, project_id)?;
            audit::append(conn, project_id, actor, action, &format!("project/{project_id}"), data)?;
            Ok(())
        })
    }
}

/// Runs `f` in one write transaction: all of it or none of it. Every write of the store opens its
/// transaction here (a money request's own begin and commit are in `alone` above, and the group
/// commit's in `writer`, which calls this).
pub fn write<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
    begin(conn)?;
    // As diesel's `transaction`, but begun by `begin`.
    match f(conn) {
        Ok(value) => {
            Transactions::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => match Transactions::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Opens a write transaction, or a savepoint inside one. On SQLite the transaction begins
/// IMMEDIATE: it takes the database write lock before it reads anything, so no write transaction
/// ever has to upgrade a read snapshot (which fails at once instead of waiting), and what it reads
/// no other writer can change until it ends. `ledger::lock` and `audit::append` rely on that to
/// read the rows they would otherwise have to write to lock.
fn begin(conn: &mut DbConn) -> AppResult<()> {
    use diesel::connection::AnsiTransactionManager;
    let outermost = Transactions::transaction_manager_status_mut(conn).transaction_depth()?.is_none();
    match conn {
        DbConn::Sqlite(c) if outermost => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        _ => Transactions::begin_transaction(conn)?,
    }
    Ok(())
}

/// Runs `f` in one transaction under the project's lock, for changes that are not money requests
/// (a project's status): no Idempotency-Key, and a refusal is only answered.
pub fn under_lock<T>(conn: &mut DbConn, project_id: &str, f: impl FnOnce(&mut DbConn, &mut Locked) -> AppResult<T>) -> AppResult<T> {
    write(conn, |conn| {
        let mut locked = ledger::lock(conn, project_id)?;
        f(conn, &mut locked)
    })
}

/// At start: every chain whose tree is behind its events (chains written before the tree
/// existed) is caught up, each in its own transaction under its lock.
pub fn grow_trees(pool: &DbPool) -> AppResult<u64> {
    let mut conn = pool.get()?;
    let behind: Vec<String> = audit_chains::table
        .filter(audit_chains::tree_size.lt(audit_chains::seq))
        .select(audit_chains::chain_id)
        .order(audit_chains::chain_id)
        .load(&mut conn)?;
    for chain_id in &behind {
        write(&mut conn, |conn| {
            // Locks the row as an append would.
            let (seq, size, frontier): (i64, i64, String) = diesel::update(audit_chains::table.find(chain_id))
                .set(audit_chains::seq.eq(audit_chains::seq))
                .returning((audit_chains::seq, audit_chains::tree_size, audit_chains::tree_frontier))
                .get_result(conn)?;
            let tree = tree::catch_up(conn, chain_id, tree::parse(size, &frontier)?, seq)?;
            tree::record(conn, chain_id, &tree)
        })?;
    }
    Ok(behind.len() as u64)
}
