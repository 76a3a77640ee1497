//! Storage operations: thin diesel code around the domain. Every change runs in one transaction.
pub mod audit;
pub mod batch;
mod batch_sql;
mod columns;
pub mod export;
mod hot;
pub mod journal;
pub mod ledger;
pub mod people;
pub mod projects;
pub mod reports;
pub mod rows;
pub mod statements;
pub mod unit;
pub mod vouchers;
pub mod writer;

use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::error::{AppError, AppResult};
use diesel::RunQueryDsl;

/// Runs several reads as one snapshot, so figures built from more than one query (a project's
/// reservations and its account totals, a journal and its totals) agree with each other while
/// postings go on. PostgreSQL needs REPEATABLE READ for that; SQLite's read transaction is a
/// snapshot already.
pub fn snapshot<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
    use diesel::Connection;
    conn.transaction::<_, AppError, _>(|conn| {
        if let DbConn::Pg(_) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(conn)?;
        }
        f(conn)
    })
}

pub fn now() -> String {
    stamp(chrono::Utc::now())
}

/// An instant as the service stores it: RFC 3339 in UTC with microseconds, so stored instants
/// compare as text in time order.
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The actor recorded for changes the service makes by itself (bootstrap).
pub fn system_actor() -> Actor {
    Actor { user_id: "system".into(), username: "system".into(), role: "system".into() }
}
