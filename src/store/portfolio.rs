//! The portfolio's page and totals, asked of the database: the filter, the order and the sums
//! run where the rows are, so a page of 500 reads 500 project rows and one row of sums however
//! many projects the filter holds.
//!
//! Utilization and recoverable are columns of the project row, written by the posting transaction
//! with the row's copy of the fixed accounts (`statement::sort_keys`); days left orders as the
//! period's end does.
use super::projects::{filtered, ListFilter};
use crate::db::DbConn;
use crate::domain::ledger::{Reservation, Totals};
use crate::domain::money::Money;
use crate::domain::portfolio::{Cursor, Sort, SortKey};
use crate::domain::statement::Amounts;
use crate::error::AppResult;
use chrono::NaiveDate;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

/// The period's end, or `day` once it is past: ordering by it orders by days left.
fn effective_end(day: NaiveDate) -> String {
    format!("(CASE WHEN end_date > '{day}' THEN end_date ELSE '{day}' END)")
}

/// The SQL a sort orders by; none for project id.
fn key_sql(key: SortKey, day: NaiveDate) -> Option<String> {
    match key {
        SortKey::Project => None,
        SortKey::Utilization => Some("utilization_bp".into()),
        SortKey::Recoverable => Some("recoverable_fen".into()),
        SortKey::DaysLeft => Some(effective_end(day)),
    }
}

/// A cursor's key as a value of `key_sql`: days left are days from `day`, as an end date (one
/// past the calendar's ends still orders).
fn key_value(key: SortKey, k: i64, day: NaiveDate) -> String {
    if key != SortKey::DaysLeft {
        return k.to_string();
    }
    let end = day.checked_add_signed(chrono::Duration::days(k)).map(|d| d.to_string());
    format!("'{}'", end.unwrap_or_else(|| if k < 0 { "0000-00-00".into() } else { "9999-99-99".into() }))
}

/// The ids of the filter's rows after `after` in the sort's order, at most `limit` of them: a
/// page and, with one more asked, whether another follows. Ids alone: the database orders narrow
/// rows (a third of the time whole rows take), and `projects::rows_of` reads the page's.
pub fn page(conn: &mut DbConn, f: &ListFilter, sort: Sort, after: Option<&Cursor>, limit: i64, day: NaiveDate) -> AppResult<Vec<String>> {
    use crate::db::schema::projects;
    let mut q = filtered(f).select(projects::id);
    match key_sql(sort.key, day) {
        None => {
            if let Some(c) = after {
                q = if sort.descending { q.filter(projects::id.lt(c.id.clone())) } else { q.filter(projects::id.gt(c.id.clone())) };
            }
            q = if sort.descending { q.order(projects::id.desc()) } else { q.order(projects::id) };
        }
        Some(key) => {
            if let Some(c) = after {
                let (k, beyond) = (key_value(sort.key, c.key, day), if sort.descending { "<" } else { ">" });
                let text = format!("({key} {beyond} {k} OR ({key} = {k} AND id > ");
                q = q.filter(sql::<Bool>(&text).bind::<Text, _>(c.id.clone()).sql("))"));
            }
            let by = sql::<BigInt>(&key);
            q = if sort.descending { q.order(by.desc()) } else { q.order(by) };
            q = q.then_order_by(projects::id);
        }
    }
    Ok(q.limit(limit).load(conn)?)
}

/// What the filter holds in all: how many projects and their amounts added up.
pub struct Sums {
    pub projects: i64,
    pub amounts: Amounts,
}

/// The sums of the filter's rows, in one row: the grants, the balances of the copies of the fixed
/// accounts (fewer sums than their debits and credits: PostgreSQL adds up in NUMERIC, a third of
/// the query's time), the reservations and the recoverable amounts (`Amounts::summed`).
pub fn sums(conn: &mut DbConn, f: &ListFilter) -> AppResult<Sums> {
    let sum = |e: &str| format!("CAST(COALESCE(SUM({e}), 0) AS BIGINT)");
    let columns = [
        "COUNT(*)".to_string(),
        sum("grant_fen"),
        sum("reserved_bank_fen"),
        sum("reserved_expense_fen"),
        sum("recoverable_fen"),
        sum("bank_debit_fen - bank_credit_fen"),
        sum("receivable_debit_fen - receivable_credit_fen"),
        sum("payables_credit_fen - payables_debit_fen"),
        sum("refund_owed_debit_fen"),
        sum("refund_owed_credit_fen"),
        sum("grant_fund_credit_fen - grant_fund_debit_fen"),
    ];
    type Types = (BigInt, BigInt, BigInt, BigInt, BigInt, BigInt, BigInt, BigInt, BigInt, BigInt, BigInt);
    let r: (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) = filtered(f).select(sql::<Types>(&columns.join(", "))).first(conn)?;
    let m = Money::from_fen;
    // A balance stands for its account's totals: a debit balance as a debit, a credit one as a credit.
    let (debit, credit) =
        (|fen: i64| Totals { debit: m(fen), credit: Money::ZERO }, |fen: i64| Totals { debit: Money::ZERO, credit: m(fen) });
    let fixed = [debit(r.5), debit(r.6), credit(r.7), Totals { debit: m(r.8), credit: m(r.9) }, credit(r.10)];
    let reserved = Reservation { bank: m(r.2), expense: m(r.3) };
    Ok(Sums { projects: r.0, amounts: Amounts::summed(m(r.1), fixed, reserved, m(r.4)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::projects;
    use crate::db::{self, Target};
    use crate::domain::money::ratio4_units;
    use crate::domain::statement::{days_left, sort_keys};
    use crate::store::rows::ProjectRow;
    use crate::store::statements::amounts_now;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    /// Small figures make the halves that rounding to even decides common; large ones check
    /// that nothing overflows.
    fn fen() -> impl Strategy<Value = i64> {
        prop_oneof![0i64..60, 0i64..2_000_000_000]
    }

    const MIGRATION: [&str; 2] = [
        include_str!("../../migrations/sqlite/2026-12-08-000030_project_sort_keys/up.sql"),
        include_str!("../../migrations/postgres/2026-12-08-000030_project_sort_keys/up.sql"),
    ];

    /// The migration's UPDATE, which fills the sort keys of the rows it finds.
    fn backfill() -> &'static str {
        let at = |m: &'static str| &m[m.find("UPDATE projects SET").unwrap()..];
        assert_eq!(at(MIGRATION[0]), at(MIGRATION[1]), "both backends fill the keys alike");
        at(MIGRATION[0])
    }

    /// On random figures of a stored project, the keys the migration fills in SQL are the
    /// domain's (`statement::sort_keys`: utilization as shown, rounded half to even, and
    /// recoverable); the end orders as days left do; the sums of the one project are its amounts.
    #[test]
    fn the_migrations_sort_keys_are_the_domains() {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::connect(&Target::Sqlite(dir.path().join("t.db").display().to_string()), 1, 5_000).unwrap();
        let mut conn = pool.get().unwrap();
        let id = crate::store::unit::write(&mut conn, |c| Ok(crate::store::vouchers::tests::project_with_vouchers(c, 0))).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        let figures = (0i64..60, proptest::array::uniform10(fen()), 0i64..800);
        let mut runner = TestRunner::new(Config { cases: 512, ..Config::default() });
        let conn = std::cell::RefCell::new(conn);
        runner
            .run(&figures, |(grant, fixed, end)| {
                let conn = &mut *conn.borrow_mut();
                let end = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(end);
                let grant = if grant % 3 == 0 { grant * 40_000_000 } else { grant };
                let mut set = format!("UPDATE projects SET grant_fen = {grant}, end_date = '{end}'");
                for (column, v) in super::super::sql::COPY_COLUMNS.iter().zip(fixed) {
                    set.push_str(&format!(", {column} = {v}"));
                }
                diesel::sql_query(format!("{set} WHERE id = '{id}'")).execute(conn).unwrap();
                diesel::sql_query(backfill()).execute(conn).unwrap();
                let row: ProjectRow = projects::table.find(&id).first(conn).unwrap();
                let keys = sort_keys(row.grant(), row.fixed_totals());
                prop_assert_eq!([row.utilization_bp, row.recoverable_fen], keys, "grant {}", grant);
                let a = amounts_now(&row.figures());
                prop_assert_eq!(keys, [ratio4_units(a.implemented, a.grant), a.recoverable.fen()]);
                let only = sums(conn, &ListFilter { limit: i64::MAX, ..ListFilter::default() }).unwrap();
                prop_assert_eq!((only.projects, only.amounts), (1, a), "the sums of the one project are its amounts");
                let end_key: String = projects::table.find(&id).select(sql::<Text>(&effective_end(day))).first(conn).unwrap();
                prop_assert_eq!(format!("'{end_key}'"), key_value(SortKey::DaysLeft, days_left(end, day), day));
                Ok(())
            })
            .unwrap();
    }
}
