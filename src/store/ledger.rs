//! Posting money movements. Each request runs in one transaction that first locks its project
//! row; every guard is then checked by the domain `Book` against balances read under that lock.
use super::journal::Journal;
use super::rows::{LineRow, ProjectRow, Stored, VoucherRow};
use super::vouchers::{lines_of, voucher};
use super::{audit, new_id, now};
use crate::db::schema::vouchers;
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::domain::chart::{self, AccountDef};
use crate::domain::classify::Classification;
use crate::domain::invoice::{self, Invoice};
use crate::domain::kind::{ProjectKind, VoucherKind};
use crate::domain::ledger::{Book, Line, Reservation, Totals};
use crate::domain::money::Money;
use crate::domain::statement;
use crate::domain::status::VoucherStatus;
use crate::error::{AppError, AppResult, Code};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, RwLock};

/// A project's row, chart and books, read while its row lock is held.
#[derive(Clone)]
pub struct Locked {
    pub row: ProjectRow,
    pub chart: Arc<Vec<AccountDef>>,
    pub book: Book,
    /// What this lock's postings added to each account on each day (the voucher's date), for
    /// `account_days`: keyed (day, code).
    pub days: BTreeMap<(NaiveDate, String), Totals>,
    saved: Book,
}

impl Locked {
    /// Counts lines that entered the books on `date` into their accounts' day.
    fn book_days(&mut self, date: NaiveDate, lines: &[Line]) {
        for line in lines {
            let t = self.days.entry((date, line.code.clone())).or_default();
            t.debit = t.debit + line.debit;
            t.credit = t.credit + line.credit;
        }
    }
}

/// Locks the project for the rest of the transaction. On PostgreSQL an UPDATE takes the row lock
/// (several processes may share the database). On SQLite the transaction holds the database write
/// lock from its start (`unit::write` begins it IMMEDIATE), so the row is only read: the one
/// UPDATE, `save`'s, writes the version this lock takes, as PostgreSQL's lock returns it.
pub fn lock(conn: &mut DbConn, project_id: &str) -> AppResult<Locked> {
    let row: Option<ProjectRow> = match conn {
        DbConn::Sqlite(_) => super::sql::ReadProject { id: project_id }.get_result(conn).optional()?.map(|mut row: ProjectRow| {
            row.version += 1;
            row
        }),
        DbConn::Pg(_) => super::sql::LockProject { id: project_id }.get_result(conn).optional()?,
    };
    let row = row.ok_or_else(|| AppError::not_found("project"))?;
    let (chart, totals) = match cached_chart(project_id) {
        Some((_, chart)) => (chart, super::statements::totals(conn, project_id)?),
        None => {
            let (chart, totals) = super::statements::current(conn, Some(project_id))?.remove(project_id).unwrap_or_default();
            (remember_chart(&row, chart), totals)
        }
    };
    Ok(assemble(row, chart, totals))
}

/// A locked project's books from its row, chart and maintained totals.
pub fn assemble(row: ProjectRow, chart: Arc<Vec<AccountDef>>, totals: BTreeMap<String, Totals>) -> Locked {
    let mut book = Book::new(row.grant(), chart.iter().map(|a| (a.code.clone(), a.side)));
    book.totals = totals;
    book.reserved = super::statements::reserved_now(&row);
    Locked { row, chart, saved: book.clone(), book, days: BTreeMap::new() }
}

/// The account totals changed since the lock was taken: (code, debit_fen, credit_fen).
pub fn changed_totals(l: &Locked) -> Vec<(&str, i64, i64)> {
    l.book
        .totals
        .iter()
        .filter(|(code, t)| l.saved.totals.get(*code) != Some(*t))
        .map(|(code, t)| (code.as_str(), t.debit.fen(), t.credit.fen()))
        .collect()
}

/// The fixed accounts' totals and the sort keys that follow from them, as the project row keeps a
/// copy of them (`sql::COPY_COLUMNS`).
pub fn row_copy(l: &Locked) -> [i64; 12] {
    let fixed = chart::FIXED_CODES.map(|code| l.book.totals.get(code).copied().unwrap_or_default());
    let mut out = [0; 12];
    for (i, t) in fixed.iter().enumerate() {
        (out[2 * i], out[2 * i + 1]) = (t.debit.fen(), t.credit.fen());
    }
    [out[10], out[11]] = statement::sort_keys(l.row.grant(), fixed);
    out
}

/// What the lock's postings added to each account's day: (day, code, debit_fen, credit_fen).
pub fn changed_days(l: &Locked) -> Vec<(String, &str, i64, i64)> {
    l.days.iter().map(|((day, code), t)| (day.to_string(), code.as_str(), t.debit.fen(), t.credit.fen())).collect()
}

/// Charts of the projects this process has posted to. A project's chart is written once, when it
/// is registered, and never changed, so each process can keep a copy of it; under the
/// lock only the totals are then read, and a voucher can be classified before it queues for the
/// lock. The project's kind is kept with it: it is as fixed, and classification needs it.
type Chart = (ProjectKind, Arc<Vec<AccountDef>>);

fn charts() -> &'static RwLock<HashMap<String, Chart>> {
    static CHARTS: OnceLock<RwLock<HashMap<String, Chart>>> = OnceLock::new();
    CHARTS.get_or_init(Default::default)
}

/// Keeps a project's chart, read under its lock, for the rest of this process's life.
pub fn remember_chart(row: &ProjectRow, chart: Vec<AccountDef>) -> Arc<Vec<AccountDef>> {
    let chart = Arc::new(chart);
    charts().write().unwrap_or_else(|e| e.into_inner()).insert(row.id.clone(), (row.kind(), chart.clone()));
    chart
}

/// The project's kind and chart, if this process has read them before.
pub fn cached_chart(project_id: &str) -> Option<Chart> {
    charts().read().unwrap_or_else(|e| e.into_inner()).get(project_id).cloned()
}

/// The current books of projects, their charts from this process's copies (read and kept for
/// those it has not seen): the portfolio's page reads its 500 projects' account totals without
/// their names.
pub fn books_now(conn: &mut DbConn, rows: Vec<ProjectRow>) -> AppResult<Vec<super::statements::Books>> {
    use super::statements::{self as st, Books};
    let cached: Vec<Option<Chart>> = rows.iter().map(|r| cached_chart(&r.id)).collect();
    let (mut known, mut unknown): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for (row, chart) in rows.iter().zip(&cached) {
        if chart.is_some() {
            known.push(&row.id)
        } else {
            unknown.push(&row.id)
        }
    }
    let mut totals = st::totals_of(conn, &known)?;
    let mut whole = BTreeMap::new();
    for part in unknown.chunks(1000) {
        whole.extend(st::current_of(conn, part)?);
    }
    Ok(rows
        .into_iter()
        .zip(cached)
        .map(|(project, cached)| {
            let (chart, totals) = match cached {
                Some((_, chart)) => (chart, totals.remove(&project.id).unwrap_or_default()),
                None => {
                    let (chart, totals) = whole.remove(&project.id).unwrap_or_default();
                    (remember_chart(&project, chart), totals)
                }
            };
            Books { reserved: st::reserved_now(&project), project, chart, totals }
        })
        .collect())
}

/// Writes back what changed: touched account totals, reservations, the voucher counter and the
/// row's copy of the fixed accounts' totals.
pub fn save(conn: &mut DbConn, l: &Locked) -> AppResult<()> {
    let changed = changed_totals(l);
    let project = super::sql::SaveProject {
        id: &l.row.id,
        next_voucher_no: l.row.next_voucher_no,
        reserved_bank_fen: l.book.reserved.bank.fen(),
        reserved_expense_fen: l.book.reserved.expense.fen(),
        version: l.row.version,
        copy: row_copy(l),
    };
    match changed[..] {
        [] => {
            project.execute(conn)?;
        }
        // One account: its fixed statement, which stays prepared.
        [(code, debit_fen, credit_fen)] => {
            super::sql::write_both(conn, super::sql::SetTotals { project_id: &l.row.id, code, debit_fen, credit_fen }, project)?;
        }
        _ => {
            super::sql::write_both(conn, super::sql::SetManyTotals { project_id: &l.row.id, totals: &changed }, project)?;
        }
    }
    let days = changed_days(l);
    if !days.is_empty() {
        super::sql::write_one(conn, super::sql::AddToDays { project_id: &l.row.id, days: &days })?;
    }
    Ok(())
}

pub struct PostLine {
    pub line: Line,
    pub summary: String,
    pub classification: Option<Classification>,
    /// The invoice the line pays: its number is claimed for the voucher (`Journal::claim_invoices`).
    pub invoice: Option<Invoice>,
}

impl PostLine {
    pub fn plain(line: Line, summary: &str) -> PostLine {
        PostLine { line, summary: summary.to_string(), classification: None, invoice: None }
    }
}

pub struct Posting {
    pub kind: VoucherKind,
    pub date: NaiveDate,
    pub summary: String,
    pub attachments: i32,
    pub reference: Option<String>,
    /// The voucher this one reverses (red ink).
    pub reverses: Option<String>,
    pub lines: Vec<PostLine>,
}

impl Posting {
    fn lines(&self) -> Vec<Line> {
        self.lines.iter().map(|l| l.line.clone()).collect()
    }

    fn invoice_numbers(&self) -> Vec<String> {
        invoice::distinct_numbers(self.lines.iter().filter_map(|l| l.invoice.as_ref()))
    }
}

/// Writes a posting's voucher and lines, and returns them as stored (so nothing is read back).
fn insert_voucher(
    j: &mut dyn Journal,
    l: &Locked,
    actor: &Actor,
    p: &Posting,
    number: Option<i64>,
    reserved: Reservation,
) -> AppResult<Stored> {
    let voucher = VoucherRow {
        id: new_id(),
        project_id: l.row.id.clone(),
        number,
        status: if number.is_some() { VoucherStatus::Posted } else { VoucherStatus::PendingReview },
        kind: p.kind,
        date: p.date,
        summary: p.summary.clone(),
        attachments: p.attachments,
        reference: p.reference.clone(),
        reserved_bank_fen: reserved.bank.fen(),
        reserved_expense_fen: reserved.expense.fen(),
        created_by: actor.user_id.clone(),
        created_at: now(),
        reverses_id: p.reverses.clone(),
        reversed_by_id: None,
        decision: None,
    };
    let lines = p
        .lines
        .iter()
        .enumerate()
        .map(|(i, x)| {
            Ok(LineRow {
                voucher_id: voucher.id.clone(),
                line_no: i as i32 + 1,
                project_id: l.row.id.clone(),
                account_code: x.line.code.clone(),
                debit_fen: x.line.debit.fen(),
                credit_fen: x.line.credit.fen(),
                summary: x.summary.clone(),
                classification: x.classification.as_ref().map(serde_json::to_string).transpose().map_err(AppError::internal)?,
                invoice_number: x.invoice.as_ref().map(|i| i.number.clone()),
                invoice_seller: x.invoice.as_ref().map(|i| i.seller.clone()),
                invoice_seller_tax_id: x.invoice.as_ref().map(|i| i.seller_tax_id.clone()),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let numbers = p.invoice_numbers();
    if !numbers.is_empty() {
        j.claim_invoices(&numbers)?;
    }
    j.insert_voucher(&voucher, &lines)?;
    Ok(Stored { voucher, lines })
}

fn lines_json(p: &Posting) -> Value {
    p.lines
        .iter()
        .map(|x| {
            let mut line = json!({"account": x.line.code, "debit": x.line.debit.to_string(), "credit": x.line.credit.to_string(), "summary": x.summary});
            // Only when named, so lines without an invoice are recorded as they always were.
            if let Some(invoice) = &x.invoice {
                line["invoice"] = json!(invoice);
            }
            line
        })
        .collect()
}

/// A review's decision on a voucher awaiting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    Approved,
    Declined,
}

/// The review decision kept on a voucher (as JSON text): who decided what, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    pub outcome: Review,
    /// The reviewer's user id.
    pub by: String,
    pub username: String,
    pub at: String,
    /// The approval's note, or the decline's reason.
    pub note: String,
}

impl Review {
    /// What the voucher becomes.
    fn status(self) -> VoucherStatus {
        match self {
            Review::Approved => VoucherStatus::Posted,
            Review::Declined => VoucherStatus::Declined,
        }
    }

    fn record(self, actor: &Actor, note: &str) -> AppResult<String> {
        let d = Decision { outcome: self, by: actor.user_id.clone(), username: actor.username.clone(), at: now(), note: note.to_string() };
        serde_json::to_string(&d).map_err(AppError::internal)
    }
}

fn take_number(l: &mut Locked) -> i64 {
    let n = l.row.next_voucher_no;
    l.row.next_voucher_no += 1;
    n
}

/// Posts a voucher now: the guards run, it takes the next number, the chain records it.
pub fn post(j: &mut dyn Journal, l: &mut Locked, actor: &Actor, p: &Posting) -> AppResult<Stored> {
    let lines = p.lines();
    l.book.post(&lines, Reservation::default())?;
    l.book_days(p.date, &lines);
    let number = take_number(l);
    let stored = insert_voucher(j, l, actor, p, Some(number), Reservation::default())?;
    let id = &stored.voucher.id;
    let data = json!({"voucher_id": id, "number": number, "kind": p.kind, "date": p.date, "summary": p.summary,
        "reference": p.reference, "reverses": p.reverses, "lines": lines_json(p)});
    j.append(&l.row.id, actor, "voucher.posted", &format!("voucher/{id}"), data)?;
    Ok(stored)
}

/// Parks a voucher for review with its money reserved; it takes no number yet.
pub fn hold(j: &mut dyn Journal, l: &mut Locked, actor: &Actor, p: &Posting) -> AppResult<Stored> {
    let reserved = l.book.reserve(&p.lines())?;
    let stored = insert_voucher(j, l, actor, p, None, reserved)?;
    let id = &stored.voucher.id;
    let data = json!({"voucher_id": id, "kind": p.kind, "date": p.date, "summary": p.summary, "lines": lines_json(p),
        "reserved_bank": reserved.bank.to_string(), "reserved_expense": reserved.expense.to_string(),
        "verdicts": p.lines.iter().map(|x| x.classification.as_ref()).collect::<Vec<_>>()});
    j.append(&l.row.id, actor, "voucher.pending_review", &format!("voucher/{id}"), data)?;
    Ok(stored)
}

fn row_lines(rows: &[LineRow]) -> Vec<Line> {
    rows.iter()
        .map(|r| Line { code: r.account_code.clone(), debit: Money::from_fen(r.debit_fen), credit: Money::from_fen(r.credit_fen) })
        .collect()
}

/// Decides a voucher awaiting review: an approval posts it (the guards run again on today's books)
/// and a decline drops it; either way its reservation is released, and `v` is updated to match
/// the row written, so nothing is read back.
pub fn decide(conn: &mut DbConn, l: &mut Locked, actor: &Actor, v: &mut Stored, review: Review, note: &str) -> AppResult<()> {
    let (from, to) = (v.voucher.status, review.status());
    if !from.may_become(to) {
        return Err(AppError::conflict(Code::NotPending, format!("the voucher is {from}, not {}", VoucherStatus::PendingReview)));
    }
    let release =
        Reservation { bank: Money::from_fen(v.voucher.reserved_bank_fen), expense: Money::from_fen(v.voucher.reserved_expense_fen) };
    let number = match review {
        Review::Approved => {
            let lines = row_lines(&v.lines);
            l.book.post(&lines, release)?;
            l.book_days(v.voucher.date, &lines);
            Some(take_number(l))
        }
        Review::Declined => {
            l.book.release(release);
            super::journal::release_invoices(conn, &v.lines)?;
            None
        }
    };
    let decision = review.record(actor, note)?;
    diesel::update(vouchers::table.find(&v.voucher.id))
        .set((
            vouchers::status.eq(to.as_str()),
            vouchers::number.eq(number),
            vouchers::reserved_bank_fen.eq(0i64),
            vouchers::reserved_expense_fen.eq(0i64),
            vouchers::decision.eq(Some(&decision)),
        ))
        .execute(conn)?;
    let vid = &v.voucher.id;
    let (action, data) = match review {
        Review::Approved => ("voucher.approved", json!({"voucher_id": vid, "number": number, "note": note})),
        Review::Declined => ("voucher.declined", json!({"voucher_id": vid, "reason": note})),
    };
    audit::append(conn, &l.row.id, actor, action, &format!("voucher/{vid}"), data)?;
    let voucher = &mut v.voucher;
    (voucher.status, voucher.number, voucher.reserved_bank_fen, voucher.reserved_expense_fen) = (to, number, 0, 0);
    voucher.decision = Some(decision);
    Ok(())
}

/// Red-ink reversal: a new posted voucher with every side swapped, linked both ways.
pub fn reverse(
    conn: &mut DbConn,
    l: &mut Locked,
    actor: &Actor,
    vid: &str,
    date: NaiveDate,
    reason: &str,
    allowed_kinds: &[VoucherKind],
) -> AppResult<Stored> {
    let v = voucher(conn, &l.row.id, vid)?;
    if v.status == VoucherStatus::Reversed {
        return Err(AppError::conflict(Code::AlreadyReversed, "the voucher was already reversed")
            .with("reversed_by", v.reversed_by_id.clone().unwrap_or_default()));
    }
    if !v.status.may_become(VoucherStatus::Reversed) {
        return Err(AppError::conflict(Code::InvalidTransition, format!("a {} voucher cannot be reversed", v.status)));
    }
    if !allowed_kinds.contains(&v.kind) {
        return Err(AppError::conflict(Code::InvalidTransition, format!("a {} voucher cannot be reversed here", v.kind)));
    }
    if date < v.date {
        return Err(AppError::field("date", "a reversal cannot be dated before the voucher it reverses"));
    }
    let rows = lines_of(conn, vid)?;
    let number = v.number.unwrap_or_default();
    let p = Posting {
        kind: VoucherKind::Reversal,
        date,
        summary: format!("冲销第{number}号凭证 reversal of voucher {number}: {reason}"),
        attachments: 0,
        reference: None,
        reverses: Some(vid.to_string()),
        lines: rows
            .iter()
            .map(|r| {
                let line =
                    Line { code: r.account_code.clone(), debit: Money::from_fen(r.credit_fen), credit: Money::from_fen(r.debit_fen) };
                PostLine::plain(line, &format!("冲销 {}", r.summary))
            })
            .collect(),
    };
    let stored = post(conn, l, actor, &p)?;
    super::journal::release_invoices(conn, &rows)?;
    diesel::update(vouchers::table.find(vid))
        .set((vouchers::status.eq(VoucherStatus::Reversed.as_str()), vouchers::reversed_by_id.eq(Some(&stored.voucher.id))))
        .execute(conn)?;
    Ok(stored)
}
