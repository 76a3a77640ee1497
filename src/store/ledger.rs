//! Posting money movements. Each request runs in one transaction that first locks its project
//! row; every guard is then checked by the domain `Book` against balances read under that lock.
use super::columns::StoredText;
use super::journal::Journal;
use super::projects::ProjectRow;
use super::{audit, new_id, now};
use crate::db::schema::{idempotency_keys, voucher_lines, vouchers};
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::domain::chart::AccountDef;
use crate::domain::kind::{ProjectKind, VoucherKind};
use crate::domain::ledger::{Book, Line, Reservation, Totals};
use crate::domain::money::Money;
use crate::domain::status::VoucherStatus;
use crate::error::{AppError, AppResult, Code};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, RwLock};

/// A project's row, chart and books, read while its row lock is held.
#[derive(Clone)]
pub struct Locked {
    pub row: ProjectRow,
    pub chart: Arc<Vec<AccountDef>>,
    pub book: Book,
    saved: Book,
}

/// Locks the project for the rest of the transaction. The UPDATE comes first on purpose: on
/// PostgreSQL it takes the row lock, on SQLite it takes the database write lock before any read,
/// so no transaction ever has to upgrade a read snapshot (which could fail instead of waiting).
pub fn lock(conn: &mut DbConn, project_id: &str) -> AppResult<Locked> {
    let row: ProjectRow =
        super::hot::LockProject { id: project_id }.get_result(conn).optional()?.ok_or_else(|| AppError::not_found("project"))?;
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
    Locked { row, chart, saved: book.clone(), book }
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

/// Writes back what changed: touched account totals, reservations and the voucher counter.
pub fn save(conn: &mut DbConn, l: &Locked) -> AppResult<()> {
    let changed = changed_totals(l);
    let project = super::hot::SaveProject {
        id: &l.row.id,
        next_voucher_no: l.row.next_voucher_no,
        reserved_bank_fen: l.book.reserved.bank.fen(),
        reserved_expense_fen: l.book.reserved.expense.fen(),
    };
    match changed[..] {
        [] => {
            project.execute(conn)?;
        }
        // One account: its fixed statement, which stays prepared.
        [(code, debit_fen, credit_fen)] => {
            super::hot::together(conn, super::hot::SetTotals { project_id: &l.row.id, code, debit_fen, credit_fen }, project)?;
        }
        _ => {
            super::hot::together(conn, super::hot::SetManyTotals { project_id: &l.row.id, totals: &changed }, project)?;
        }
    }
    Ok(())
}

pub struct PostLine {
    pub line: Line,
    pub summary: String,
    pub classification: Option<Value>,
}

impl PostLine {
    pub fn plain(line: Line, summary: &str) -> PostLine {
        PostLine { line, summary: summary.to_string(), classification: None }
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
}

/// A voucher as stored, with its lines: what a posting returns, so nothing is read back.
pub struct Stored {
    pub voucher: VoucherRow,
    pub lines: Vec<LineRow>,
}

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
    let lines: Vec<LineRow> = p
        .lines
        .iter()
        .enumerate()
        .map(|(i, x)| LineRow {
            voucher_id: voucher.id.clone(),
            line_no: i as i32 + 1,
            project_id: l.row.id.clone(),
            account_code: x.line.code.clone(),
            debit_fen: x.line.debit.fen(),
            credit_fen: x.line.credit.fen(),
            summary: x.summary.clone(),
            classification: x.classification.as_ref().map(|c| c.to_string()),
        })
        .collect();
    j.insert_voucher(&voucher, &lines)?;
    Ok(Stored { voucher, lines })
}

fn lines_json(p: &Posting) -> Value {
    p.lines
        .iter()
        .map(|x| json!({"account": x.line.code, "debit": x.line.debit.to_string(), "credit": x.line.credit.to_string(), "summary": x.summary}))
        .collect()
}

/// The review decision kept on the voucher: who, what, when, why.
fn decision(actor: &Actor, outcome: &str, note: &str) -> String {
    json!({"outcome": outcome, "by": actor.user_id, "username": actor.username, "at": now(), "note": note}).to_string()
}

fn take_number(l: &mut Locked) -> i64 {
    let n = l.row.next_voucher_no;
    l.row.next_voucher_no += 1;
    n
}

/// Posts a voucher now: the guards run, it takes the next number, the chain records it.
pub fn post(j: &mut dyn Journal, l: &mut Locked, actor: &Actor, p: &Posting) -> AppResult<Stored> {
    l.book.post(&p.lines(), Reservation::default())?;
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
        "verdicts": p.lines.iter().map(|x| x.classification.clone()).collect::<Vec<_>>()});
    j.append(&l.row.id, actor, "voucher.pending_review", &format!("voucher/{id}"), data)?;
    Ok(stored)
}

#[derive(Debug, Clone, Queryable)]
pub struct VoucherRow {
    pub id: String,
    pub project_id: String,
    pub number: Option<i64>,
    #[diesel(deserialize_as = StoredText)]
    pub status: VoucherStatus,
    #[diesel(deserialize_as = StoredText)]
    pub kind: VoucherKind,
    #[diesel(deserialize_as = StoredText)]
    pub date: NaiveDate,
    pub summary: String,
    pub attachments: i32,
    pub reference: Option<String>,
    pub reserved_bank_fen: i64,
    pub reserved_expense_fen: i64,
    pub created_by: String,
    pub created_at: String,
    pub reverses_id: Option<String>,
    pub reversed_by_id: Option<String>,
    pub decision: Option<String>,
}

#[derive(Debug, Clone, Queryable)]
pub struct LineRow {
    pub voucher_id: String,
    pub line_no: i32,
    pub project_id: String,
    pub account_code: String,
    pub debit_fen: i64,
    pub credit_fen: i64,
    pub summary: String,
    pub classification: Option<String>,
}

pub fn voucher(conn: &mut DbConn, project_id: &str, id: &str) -> AppResult<VoucherRow> {
    vouchers::table
        .filter(vouchers::id.eq(id))
        .filter(vouchers::project_id.eq(project_id))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("voucher"))
}

pub fn lines_of(conn: &mut DbConn, voucher_id: &str) -> AppResult<Vec<LineRow>> {
    Ok(voucher_lines::table.filter(voucher_lines::voucher_id.eq(voucher_id)).order(voucher_lines::line_no).load(conn)?)
}

fn row_lines(rows: &[LineRow]) -> Vec<Line> {
    rows.iter()
        .map(|r| Line { code: r.account_code.clone(), debit: Money::from_fen(r.debit_fen), credit: Money::from_fen(r.credit_fen) })
        .collect()
}

fn pending(conn: &mut DbConn, project_id: &str, vid: &str) -> AppResult<(VoucherRow, Vec<LineRow>)> {
    let v = voucher(conn, project_id, vid)?;
    if v.status != VoucherStatus::PendingReview {
        return Err(AppError::conflict(Code::NotPending, format!("the voucher is {}, not {}", v.status, VoucherStatus::PendingReview)));
    }
    let lines = lines_of(conn, vid)?;
    Ok((v, lines))
}

/// Posts a reviewed voucher: its reservation is released and the guards run again on today's books.
pub fn approve(conn: &mut DbConn, l: &mut Locked, actor: &Actor, vid: &str, note: &str) -> AppResult<()> {
    let (v, rows) = pending(conn, &l.row.id, vid)?;
    let release = Reservation { bank: Money::from_fen(v.reserved_bank_fen), expense: Money::from_fen(v.reserved_expense_fen) };
    l.book.post(&row_lines(&rows), release)?;
    let number = take_number(l);
    diesel::update(vouchers::table.find(vid))
        .set((
            vouchers::status.eq(VoucherStatus::Posted.as_str()),
            vouchers::number.eq(Some(number)),
            vouchers::reserved_bank_fen.eq(0i64),
            vouchers::reserved_expense_fen.eq(0i64),
            vouchers::decision.eq(Some(decision(actor, "approved", note))),
        ))
        .execute(conn)?;
    let data = json!({"voucher_id": vid, "number": number, "note": note});
    audit::append(conn, &l.row.id, actor, "voucher.approved", &format!("voucher/{vid}"), data)?;
    Ok(())
}

pub fn decline(conn: &mut DbConn, l: &mut Locked, actor: &Actor, vid: &str, reason: &str) -> AppResult<()> {
    let (v, _) = pending(conn, &l.row.id, vid)?;
    l.book.release(Reservation { bank: Money::from_fen(v.reserved_bank_fen), expense: Money::from_fen(v.reserved_expense_fen) });
    diesel::update(vouchers::table.find(vid))
        .set((
            vouchers::status.eq(VoucherStatus::Declined.as_str()),
            vouchers::reserved_bank_fen.eq(0i64),
            vouchers::reserved_expense_fen.eq(0i64),
            vouchers::decision.eq(Some(decision(actor, "declined", reason))),
        ))
        .execute(conn)?;
    audit::append(conn, &l.row.id, actor, "voucher.declined", &format!("voucher/{vid}"), json!({"voucher_id": vid, "reason": reason}))?;
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
    let p = Posting {
        kind: VoucherKind::Reversal,
        date,
        summary: format!("冲销第{}号凭证 reversal of voucher {}: {reason}", v.number.unwrap_or_default(), v.number.unwrap_or_default()),
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
    diesel::update(vouchers::table.find(vid))
        .set((vouchers::status.eq(VoucherStatus::Reversed.as_str()), vouchers::reversed_by_id.eq(Some(&stored.voucher.id))))
        .execute(conn)?;
    Ok(stored)
}

/// An Idempotency-Key as stored: per user, with a hash of the request it first came with.
pub struct Idem {
    pub user_id: String,
    pub key: String,
    pub request_hash: String,
}

/// The answer to a request whose Idempotency-Key is stored: the stored answer if the request is
/// the same as the one that first came with the key, else a conflict.
pub fn replay(i: &Idem, stored_hash: &str, status: i32, body: &str) -> AppResult<(u16, Value)> {
    if stored_hash != i.request_hash {
        return Err(AppError::conflict(Code::IdempotencyConflict, "this Idempotency-Key was used with a different request"));
    }
    Ok((status as u16, serde_json::from_str(body).unwrap_or(Value::Null)))
}

/// Another request holds the key and has not answered yet.
pub fn key_in_use() -> AppError {
    AppError::conflict(Code::IdempotencyConflict, "this Idempotency-Key is in use by another request")
}

/// Runs one money request as a single transaction under the project lock, with idempotent replay.
/// `org` limits the request to one organisation's projects (a unit's): others do not exist for it.
pub fn money_tx<F>(conn: &mut DbConn, project_id: &str, org: Option<&str>, idem: Option<&Idem>, f: F) -> AppResult<(u16, Value)>
where
    F: FnOnce(&mut DbConn, &mut Locked) -> AppResult<(u16, Value)>,
{
    conn.transaction::<_, AppError, _>(|conn| {
        let mut locked = lock(conn, project_id)?;
        if org.is_some_and(|o| o != locked.row.org_id) {
            return Err(AppError::not_found("project"));
        }
        if let Some(i) = idem {
            let prev: Option<(String, i32, String)> = idempotency_keys::table
                .find((&i.user_id, &i.key))
                .select((idempotency_keys::request_hash, idempotency_keys::status_code, idempotency_keys::body))
                .first(conn)
                .optional()?;
            if let Some((hash, status, body)) = prev {
                return replay(i, &hash, status, &body);
            }
        }
        let (status, body) = f(conn, &mut locked)?;
        save(conn, &locked)?;
        if let Some(i) = idem {
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::user_id.eq(&i.user_id),
                    idempotency_keys::key.eq(&i.key),
                    idempotency_keys::request_hash.eq(&i.request_hash),
                    idempotency_keys::status_code.eq(status as i32),
                    idempotency_keys::body.eq(body.to_string()),
                    idempotency_keys::created_at.eq(now()),
                ))
                .execute(conn)
                .map_err(|e| match AppError::from(e) {
                    e if e.code == Code::AlreadyExists => key_in_use(),
                    e => e,
                })?;
        }
        Ok((status, body))
    })
}

/// Records a refused money movement on the project's chain, in its own transaction (the refused
/// one was rolled back). Only refusals of the rules are recorded, not malformed requests.
pub fn record_refusal(conn: &mut DbConn, project_id: &str, actor: &Actor, action: &str, err: &AppError, request: Value) -> AppResult<()> {
    conn.transaction::<_, AppError, _>(|conn| {
        lock(conn, project_id)?;
        audit::append(conn, project_id, actor, action, &format!("project/{project_id}"), refusal_data(err, request))?;
        Ok(())
    })
}

/// Whether a failed money request is a refusal by the rules, which the project's chain records:
/// forbidden, conflicting or unprocessable, but not a reused Idempotency-Key.
pub fn is_recorded_refusal(e: &AppError) -> bool {
    matches!(e.status().as_u16(), 403 | 409 | 422) && e.code != Code::IdempotencyConflict
}

/// What the chain records of a refusal: the answer given and the request refused.
pub fn refusal_data(err: &AppError, request: Value) -> Value {
    json!({"code": err.code, "detail": err.detail, "status": err.status().as_u16(), "extra": err.extra, "request": request})
}
