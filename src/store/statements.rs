//! Reading the books. Current balances come from the maintained account totals (O(accounts));
//! a past `as_of` adds up the accounts' days (`account_days`) up to that date.
use super::columns::StoredText;
use super::rows::{ProjectFigures, ProjectRow};
use crate::db::schema::{account_days, accounts, voucher_lines, vouchers};
use crate::db::DbConn;
use crate::domain::chart::{AccountDef, Side};
use crate::domain::ledger::{Reservation, Totals};
use crate::domain::money::Money;
use crate::domain::statement::{Amounts, Balances, Figures};
use crate::domain::status::VoucherStatus;
use crate::error::AppResult;
use chrono::NaiveDate;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `VoucherStatus::IN_BOOKS` as stored, for SQL filters.
pub const IN_BOOKS: [&str; 2] = {
    let [a, b] = VoucherStatus::IN_BOOKS;
    [a.as_str(), b.as_str()]
};

/// Account totals up to and including `as_of`, from each account's days (`account_days`): at most
/// a row per account and day, however long the journal.
fn totals_as_of(conn: &mut DbConn, project_id: &str, as_of: NaiveDate) -> AppResult<BTreeMap<String, Totals>> {
    let rows: Vec<(String, i64, i64)> = account_days::table
        .filter(account_days::project_id.eq(project_id))
        .filter(account_days::day.le(as_of.to_string()))
        .group_by(account_days::code)
        .select((account_days::code, total("debit_fen"), total("credit_fen")))
        .load(conn)?;
    Ok(rows.into_iter().map(|(code, d, c)| (code, Totals { debit: Money::from_fen(d), credit: Money::from_fen(c) })).collect())
}

type ChartAndTotals = (Vec<AccountDef>, BTreeMap<String, Totals>);

/// Charts and maintained totals, by project: of one project, or of all in one read.
pub fn current(conn: &mut DbConn, project_id: Option<&str>) -> AppResult<BTreeMap<String, ChartAndTotals>> {
    // Two plain queries rather than one boxed: only these are kept as prepared statements.
    let rows: Vec<AccountRow> = match project_id {
        Some(id) => accounts::table.filter(accounts::project_id.eq(id)).order(accounts::code).select(ACCOUNT_COLUMNS).load(conn)?,
        None => accounts::table.order((accounts::project_id, accounts::code)).select(ACCOUNT_COLUMNS).load(conn)?,
    };
    by_project(rows)
}

/// Charts and maintained totals of several projects, in one read.
pub fn current_of(conn: &mut DbConn, project_ids: &[&str]) -> AppResult<BTreeMap<String, ChartAndTotals>> {
    let rows: Vec<AccountRow> = accounts::table
        .filter(accounts::project_id.eq_any(project_ids))
        .order((accounts::project_id, accounts::code))
        .select(ACCOUNT_COLUMNS)
        .load(conn)?;
    by_project(rows)
}

type AccountRow = (String, String, String, StoredText, Option<String>, i64, i64);

const ACCOUNT_COLUMNS: (
    accounts::project_id,
    accounts::code,
    accounts::name,
    accounts::side,
    accounts::category,
    accounts::debit_fen,
    accounts::credit_fen,
) = (accounts::project_id, accounts::code, accounts::name, accounts::side, accounts::category, accounts::debit_fen, accounts::credit_fen);

fn by_project(rows: Vec<AccountRow>) -> AppResult<BTreeMap<String, ChartAndTotals>> {
    let mut by_project: BTreeMap<String, ChartAndTotals> = BTreeMap::new();
    for (project_id, code, name, side, category, d, c) in rows {
        let side: Side = side.parse()?;
        let (chart, totals) = by_project.entry(project_id).or_default();
        totals.insert(code.clone(), Totals { debit: Money::from_fen(d), credit: Money::from_fen(c) });
        chart.push(AccountDef { code, name, side, category });
    }
    Ok(by_project)
}

/// The maintained totals of several projects, without their charts (already known), in one read.
pub fn totals_of(conn: &mut DbConn, project_ids: &[&str]) -> AppResult<BTreeMap<String, BTreeMap<String, Totals>>> {
    let mut out: BTreeMap<String, BTreeMap<String, Totals>> = BTreeMap::new();
    // In parts: SQLite takes at most 32,766 bound values in one statement.
    for part in project_ids.chunks(1000) {
        let rows: Vec<(String, String, i64, i64)> = accounts::table
            .filter(accounts::project_id.eq_any(part))
            .select((accounts::project_id, accounts::code, accounts::debit_fen, accounts::credit_fen))
            .load(conn)?;
        for (project, code, d, c) in rows {
            out.entry(project).or_default().insert(code, Totals { debit: Money::from_fen(d), credit: Money::from_fen(c) });
        }
    }
    Ok(out)
}

/// A project's maintained totals alone, for when its chart is already known.
pub fn totals(conn: &mut DbConn, project_id: &str) -> AppResult<BTreeMap<String, Totals>> {
    let rows: Vec<(String, i64, i64)> = accounts::table
        .filter(accounts::project_id.eq(project_id))
        .select((accounts::code, accounts::debit_fen, accounts::credit_fen))
        .load(conn)?;
    Ok(rows.into_iter().map(|(code, d, c)| (code, Totals { debit: Money::from_fen(d), credit: Money::from_fen(c) })).collect())
}

pub struct Books {
    pub project: ProjectRow,
    /// Shared: a chart never changes once its project is registered (`ledger::books_now`).
    pub chart: Arc<Vec<AccountDef>>,
    pub totals: BTreeMap<String, Totals>,
    /// Held for vouchers awaiting review: now, or those dated up to a past `as_of`.
    pub reserved: Reservation,
}

impl Books {
    pub fn figures(&self) -> Figures<'_> {
        Figures { grant: self.project.grant(), chart: &self.chart, totals: &self.totals, reserved: self.reserved }
    }
}

pub fn reserved_now(p: &ProjectRow) -> Reservation {
    reservation(p.reserved_bank_fen, p.reserved_expense_fen)
}

fn reservation(bank_fen: i64, expense_fen: i64) -> Reservation {
    Reservation { bank: Money::from_fen(bank_fen), expense: Money::from_fen(expense_fen) }
}

/// What vouchers still awaiting review and dated up to `as_of` hold back: a statement of a past
/// day does not count what was submitted for later days.
const PENDING: &str = "status = 'pending_review'";

fn reserved_as_of(conn: &mut DbConn, project_id: &str, as_of: NaiveDate) -> AppResult<Reservation> {
    let rows: Vec<(i64, i64)> = vouchers::table
        .filter(vouchers::project_id.eq(project_id))
        // Written out, not bound: only a literal lets either planner use the partial index
        // `vouchers_pending` instead of walking every posted voucher up to the day.
        .filter(sql::<diesel::sql_types::Bool>(PENDING))
        .filter(vouchers::date.le(as_of.to_string()))
        .select((vouchers::reserved_bank_fen, vouchers::reserved_expense_fen))
        .load(conn)?;
    Ok(rows.into_iter().fold(Reservation::default(), |r, (b, e)| Reservation {
        bank: r.bank + Money::from_fen(b),
        expense: r.expense + Money::from_fen(e),
    }))
}

pub fn books(conn: &mut DbConn, project: ProjectRow, as_of: Option<NaiveDate>) -> AppResult<Books> {
    let (chart, current_totals) = current(conn, Some(&project.id))?.remove(&project.id).unwrap_or_default();
    let (totals, reserved) = match as_of {
        None => (current_totals, reserved_now(&project)),
        Some(d) => (totals_as_of(conn, &project.id, d)?, reserved_as_of(conn, &project.id, d)?),
    };
    Ok(Books { project, chart: Arc::new(chart), totals, reserved })
}

/// The books of many projects: current balances from a few reads of account rows rather than
/// queries per project (all rows when `everything` was listed, else those of the listed projects);
/// a past `as_of` likewise adds up the accounts' days and the pending reservations of all of them
/// in a few reads.
pub fn books_of_many(conn: &mut DbConn, projects: Vec<ProjectRow>, everything: bool, as_of: Option<NaiveDate>) -> AppResult<Vec<Books>> {
    let ids: Vec<&str> = projects.iter().map(|p| p.id.as_str()).collect();
    // In parts: SQLite takes at most 32,766 bound values in one statement.
    let parts: Vec<Option<&[&str]>> = if everything { vec![None] } else { ids.chunks(1000).map(Some).collect() };
    let mut all = BTreeMap::new();
    let mut past: BTreeMap<String, (BTreeMap<String, Totals>, Reservation)> = BTreeMap::new();
    for part in parts {
        all.extend(match part {
            None => current(conn, None)?,
            Some(ids) => current_of(conn, ids)?,
        });
        if let Some(day) = as_of {
            for (project, code, d, c) in days_up_to(conn, part, day)? {
                past.entry(project).or_default().0.insert(code, Totals { debit: Money::from_fen(d), credit: Money::from_fen(c) });
            }
            for (project, bank, expense) in pending_up_to(conn, part, day)? {
                past.entry(project).or_default().1 = Reservation { bank: Money::from_fen(bank), expense: Money::from_fen(expense) };
            }
        }
    }
    Ok(projects
        .into_iter()
        .map(|project| {
            let (chart, totals) = all.remove(&project.id).unwrap_or_default();
            let (totals, reserved) = match as_of {
                None => (totals, reserved_now(&project)),
                Some(_) => past.remove(&project.id).unwrap_or_default(),
            };
            Books { project, chart: Arc::new(chart), totals, reserved }
        })
        .collect())
}

/// The statement amounts of projects now, from the copy of their five fixed accounts' totals
/// that each project row keeps (see `Balances::of_fixed`): the all-projects view adds up and orders
/// 10,000 projects from their rows alone, without reading an account.
pub fn amounts_now(p: &ProjectFigures) -> Amounts {
    let reserved = reservation(p.reserved_bank_fen, p.reserved_expense_fen);
    Amounts::of(p.grant(), &Balances::of_copy(p.fixed_totals()), reserved)
}

/// SUM of a BIGINT column, cast back from PostgreSQL's NUMERIC so both backends answer i64 (a
/// project's total is far below 2⁶³ fen).
fn total(column: &str) -> diesel::expression::SqlLiteral<BigInt> {
    sql::<BigInt>(&format!("CAST(SUM({column}) AS BIGINT)"))
}

/// (project, code, debit fen, credit fen) up to `day`, of the listed projects or of all.
fn days_up_to(conn: &mut DbConn, projects: Option<&[&str]>, day: NaiveDate) -> AppResult<Vec<(String, String, i64, i64)>> {
    let q = account_days::table
        .filter(account_days::day.le(day.to_string()))
        .group_by((account_days::project_id, account_days::code))
        .select((account_days::project_id, account_days::code, total("debit_fen"), total("credit_fen")));
    Ok(match projects {
        None => q.load(conn)?,
        Some(ids) => q.filter(account_days::project_id.eq_any(ids)).load(conn)?,
    })
}

/// (project, reserved bank fen, reserved expense fen) of vouchers awaiting review dated up to
/// `day`, of the listed projects or of all.
fn pending_up_to(conn: &mut DbConn, projects: Option<&[&str]>, day: NaiveDate) -> AppResult<Vec<(String, i64, i64)>> {
    let q = vouchers::table
        .filter(sql::<diesel::sql_types::Bool>(PENDING))
        .filter(vouchers::date.le(day.to_string()))
        .group_by(vouchers::project_id)
        .select((vouchers::project_id, total("reserved_bank_fen"), total("reserved_expense_fen")));
    Ok(match projects {
        None => q.load(conn)?,
        Some(ids) => q.filter(vouchers::project_id.eq_any(ids)).load(conn)?,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub date: String,
    pub voucher_id: String,
    pub number: Option<i64>,
    pub line_no: i32,
    pub summary: String,
    pub debit: Money,
    pub credit: Money,
    pub balance: Money,
    /// The invoice the line pays, if it names one.
    pub invoice_number: Option<String>,
    pub invoice_seller: Option<String>,
    pub invoice_seller_tax_id: Option<String>,
}

/// date, voucher id, number, line number, summary, debit fen, credit fen, invoice number, seller,
/// seller's credit code
type EntryRow = (String, String, Option<i64>, i32, String, i64, i64, Option<String>, Option<String>, Option<String>);

/// An account's entries in date and number order with a running balance from the opening one.
pub fn account_ledger(
    conn: &mut DbConn,
    project_id: &str,
    code: &str,
    side: Side,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<(Money, Vec<Entry>)> {
    let rows: Vec<EntryRow> = voucher_lines::table
        .inner_join(vouchers::table)
        .filter(vouchers::project_id.eq(project_id))
        .filter(voucher_lines::account_code.eq(code))
        .filter(vouchers::status.eq_any(IN_BOOKS))
        .filter(vouchers::date.le(to.map(|d| d.to_string()).unwrap_or_else(|| "9999-12-31".into())))
        .order((vouchers::date, vouchers::number, voucher_lines::line_no))
        .select((
            vouchers::date,
            vouchers::id,
            vouchers::number,
            voucher_lines::line_no,
            voucher_lines::summary,
            voucher_lines::debit_fen,
            voucher_lines::credit_fen,
            voucher_lines::invoice_number,
            voucher_lines::invoice_seller,
            voucher_lines::invoice_seller_tax_id,
        ))
        .load(conn)?;
    let from = from.map(|d| d.to_string());
    let mut opening = Money::ZERO;
    let mut running = Money::ZERO;
    let mut entries = Vec::new();
    for (date, voucher_id, number, line_no, summary, d, c, invoice_number, invoice_seller, invoice_seller_tax_id) in rows {
        let t = Totals { debit: Money::from_fen(d), credit: Money::from_fen(c) };
        running = running + t.balance(side);
        if from.as_ref().is_some_and(|f| &date < f) {
            opening = running;
            continue;
        }
        entries.push(Entry {
            date,
            voucher_id,
            number,
            line_no,
            summary,
            debit: t.debit,
            credit: t.credit,
            balance: running,
            invoice_number,
            invoice_seller,
            invoice_seller_tax_id,
        });
    }
    Ok((opening, entries))
}

/// Account totals as they stood at the end of each of `days` (ascending), from one read of the
/// accounts' days: the points of a project's spending over time, each the books `totals_as_of`
/// would give.
pub fn totals_at_each(conn: &mut DbConn, project_id: &str, days: &[NaiveDate]) -> AppResult<Vec<BTreeMap<String, Totals>>> {
    let Some(last) = days.last() else { return Ok(Vec::new()) };
    let rows: Vec<(String, String, i64, i64)> = account_days::table
        .filter(account_days::project_id.eq(project_id))
        .filter(account_days::day.le(last.to_string()))
        .order(account_days::day)
        .select((account_days::day, account_days::code, account_days::debit_fen, account_days::credit_fen))
        .load(conn)?;
    let mut running: BTreeMap<String, Totals> = BTreeMap::new();
    let mut rows = rows.into_iter().peekable();
    let mut out = Vec::with_capacity(days.len());
    for day in days {
        let day = day.to_string();
        while let Some((_, code, d, c)) = rows.next_if(|r| r.0 <= day) {
            let t = running.entry(code).or_default();
            t.debit = t.debit + Money::from_fen(d);
            t.credit = t.credit + Money::from_fen(c);
        }
        out.push(running.clone());
    }
    Ok(out)
}
