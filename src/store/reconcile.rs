//! Reads a project's chain and its books in one snapshot and hands them to
//! `domain::reconcile`, which rebuilds the books from the events and ticks the tables off.
use crate::db::schema::{account_days, accounts, audit_chains, audit_events, projects, voucher_lines, vouchers};
use crate::db::DbConn;
use crate::domain::chart;
use crate::domain::reconcile::{Books, LineFacts, Mismatch, VoucherFacts};
use crate::error::{AppError, AppResult};
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;

/// Runs `$each` on every row of `$query` as it streams from either backend: a million lines are
/// never held at once (PostgreSQL row by row, SQLite stepping its statement).
macro_rules! each_row {
    ($conn:expr, $query:expr, $row:ty, $each:expr) => {{
        let mut each = $each;
        match $conn {
            DbConn::Sqlite(c) => {
                for row in $query.load_iter::<$row, diesel::connection::DefaultLoadingMode>(c)? {
                    each(row?)?;
                }
            }
            DbConn::Pg(c) => {
                for row in $query.load_iter::<$row, PgRowByRowLoadingMode>(c)? {
                    each(row?)?;
                }
            }
        }
    }};
}

/// The first mismatch between the project's tables and its chain's events, or None. One read
/// transaction (a repeatable-read snapshot on PostgreSQL, SQLite's read snapshot) so a voucher
/// posted meanwhile is in both or in neither.
pub fn reconcile(conn: &mut DbConn, project_id: &str) -> AppResult<Option<Mismatch>> {
    conn.transaction::<_, AppError, _>(|conn| {
        if matches!(conn, DbConn::Pg(_)) {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(conn)?;
        }
        match compare(conn, project_id) {
            Ok(()) => Ok(None),
            Err(Found::Mismatch(m)) => Ok(Some(m)),
            Err(Found::Error(e)) => Err(e),
        }
    })
}

enum Found {
    Mismatch(Mismatch),
    Error(AppError),
}

impl From<Mismatch> for Found {
    fn from(m: Mismatch) -> Found {
        Found::Mismatch(m)
    }
}

impl<E: Into<AppError>> From<E> for Found {
    fn from(e: E) -> Found {
        Found::Error(e.into())
    }
}

fn compare(conn: &mut DbConn, project_id: &str) -> Result<(), Found> {
    let seq: i64 = audit_chains::table.find(project_id).select(audit_chains::seq).first(conn)?;
    let mut books = Books::new();
    let events = audit_events::table
        .filter(audit_events::chain_id.eq(project_id))
        .filter(audit_events::seq.le(seq))
        .filter(audit_events::action.like("voucher.%"))
        .order(audit_events::seq.asc())
        .select((audit_events::seq, audit_events::action, audit_events::data));
    each_row!(conn, events, (i64, String, String), |(seq, action, data): (i64, String, String)| -> Result<(), Found> {
        // Only voucher events are read; the chain's check already vouched for their text.
        Ok(books.apply_text(seq, &action, &data)?)
    });
    let rows = vouchers::table.filter(vouchers::project_id.eq(project_id)).order(vouchers::id.asc()).select((
        vouchers::id,
        vouchers::number,
        vouchers::date,
        vouchers::status,
        vouchers::reverses_id,
        vouchers::reversed_by_id,
    ));
    type VoucherRow = (String, Option<i64>, String, String, Option<String>, Option<String>);
    each_row!(conn, rows, VoucherRow, |(id, number, date, status, reverses, reversed_by): VoucherRow| -> Result<(), Found> {
        Ok(books.voucher(&VoucherFacts { id, number, date, status, reverses, reversed_by })?)
    });
    let lines = voucher_lines::table.filter(voucher_lines::project_id.eq(project_id)).select((
        voucher_lines::voucher_id,
        voucher_lines::line_no,
        voucher_lines::account_code,
        voucher_lines::debit_fen,
        voucher_lines::credit_fen,
    ));
    type LineRow = (String, i32, String, i64, i64);
    each_row!(conn, lines, LineRow, |(voucher_id, line_no, account, debit_fen, credit_fen): LineRow| -> Result<(), Found> {
        Ok(books.line(&LineFacts { voucher_id, line_no, account, debit_fen, credit_fen })?)
    });
    books.missing_rows()?;
    let totals: Vec<(String, i64, i64)> = accounts::table
        .filter(accounts::project_id.eq(project_id))
        .order(accounts::code.asc())
        .select((accounts::code, accounts::debit_fen, accounts::credit_fen))
        .load(conn)?;
    books.accounts(&totals)?;
    let project: super::rows::ProjectRow = projects::table.find(project_id).first(conn)?;
    let copy: Vec<(&str, i64, i64)> =
        chart::FIXED_CODES.iter().zip(project.fixed_totals()).map(|(code, t)| (*code, t.debit.fen(), t.credit.fen())).collect();
    books.project_copy(&copy)?;
    books.project_keys(project.grant(), [project.utilization_bp, project.recoverable_fen])?;
    let days: Vec<(String, String, i64, i64)> = account_days::table
        .filter(account_days::project_id.eq(project_id))
        .order((account_days::code.asc(), account_days::day.asc()))
        .select((account_days::code, account_days::day, account_days::debit_fen, account_days::credit_fen))
        .load(conn)?;
    books.days(&days)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{self, Target};

    /// The figure for the "seconds, not minutes": a project of FUNDLEDGER_RECONCILE_LINES
    /// journal lines (default 10⁶) reconciled on SQLite. Run in release:
    /// `cargo test --release --lib store::reconcile -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement: minutes to seed"]
    fn reconciling_a_long_project() {
        let lines: usize = std::env::var("FUNDLEDGER_RECONCILE_LINES").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
        let dir = tempfile::tempdir().unwrap();
        let pool = db::connect(&Target::Sqlite(dir.path().join("t.db").display().to_string()), 2, 5_000).unwrap();
        let mut conn = pool.get().unwrap();
        let seeded = std::time::Instant::now();
        let project =
            crate::store::unit::write(&mut conn, |c| Ok(crate::store::vouchers::tests::project_with_vouchers(c, lines / 2))).unwrap();
        eprintln!("seeded {} vouchers in {:?}", lines / 2, seeded.elapsed());
        let timed = std::time::Instant::now();
        assert_eq!(reconcile(&mut conn, &project).unwrap(), None);
        eprintln!("reconciled a project of {lines} journal lines in {:?}", timed.elapsed());
    }
}
