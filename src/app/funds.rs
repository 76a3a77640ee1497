//! The grant's money between the finance bureau and a project: disbursement, the recovery of what
//! was not spent (which closes the project), and its remittance.
use super::must_be_open;
use crate::db::DbConn;
use crate::domain::acceptance::Conclusion;
use crate::domain::audit::Actor;
use crate::domain::chart;
use crate::domain::kind::{ProjectKind, VoucherKind};
use crate::domain::ledger::{LedgerError, Line};
use crate::domain::money::Money;
use crate::domain::recovery::{self, Plan, Reason};
use crate::domain::status::ProjectStatus;
use crate::error::{AppError, AppResult, Code};
use crate::store::journal::Journal;
use crate::store::ledger::{self, Locked, PostLine, Posting};
use crate::store::rows::Stored;
use crate::store::{acceptances, projects};
use chrono::NaiveDate;
use serde_json::json;

pub struct Disburse {
    pub date: NaiveDate,
    pub amount: Money,
    /// The finance bureau's document number; may be empty.
    pub reference: String,
}

impl Disburse {
    pub const REFUSED: &'static str = "disbursement.refused";
}

/// Pays part of the grant into the project's bank account: Dr 1002 / Cr 1221.
pub fn disburse(j: &mut dyn Journal, l: &mut Locked, actor: &Actor, cmd: Disburse) -> AppResult<Stored> {
    must_be_open(l, cmd.date)?;
    let p = Posting {
        kind: VoucherKind::Disbursement,
        date: cmd.date,
        summary: format!("拨付补助资金 grant disbursed {}", cmd.reference).trim().to_string(),
        attachments: 0,
        reference: Some(cmd.reference).filter(|r| !r.is_empty()),
        reverses: None,
        lines: vec![
            PostLine::plain(Line::debit(chart::BANK, cmd.amount), "收到财政拨付补助资金"),
            PostLine::plain(Line::credit(chart::GRANT_RECEIVABLE, cmd.amount), "应收补助资金减少"),
        ],
    };
    ledger::post(j, l, actor, &p)
}

pub struct Recover {
    date: NaiveDate,
    reason: Reason,
    note: String,
}

impl Recover {
    pub const REFUSED: &'static str = "recovery.refused";

    pub fn new(date: NaiveDate, reason: Reason, note: &str) -> Recover {
        Recover { date, reason, note: note.trim().to_string() }
    }
}

/// What a recovery did: the project is closed, and what was not implemented comes back.
pub struct Recovery {
    pub project_id: String,
    pub status: ProjectStatus,
    pub reason: Reason,
    pub plan: Plan,
    /// The recovery voucher; none when nothing was left to recover.
    pub voucher: Option<Stored>,
}

/// Recovers what a project did not implement and closes it (POLICY.md §8.2): once its period has
/// ended, or early when it is cancelled, a studio's leader no longer qualifies or its output
/// acceptance failed; for `completed` only after a passed acceptance; never while vouchers await
/// review or suppliers are owed.
pub fn recover(conn: &mut DbConn, l: &mut Locked, actor: &Actor, cmd: Recover) -> AppResult<Recovery> {
    let (status, reason, date) = (l.row.status, cmd.reason, cmd.date);
    if status == ProjectStatus::Closed {
        return Err(AppError::conflict(Code::InvalidTransition, "the project is already closed"));
    }
    if reason == Reason::LeaderUnqualified && l.row.kind != ProjectKind::Studio {
        return Err(AppError::field("reason", "leader_unqualified applies to studios only"));
    }
    if date < l.row.start_date {
        return Err(AppError::new(Code::OutOfPeriod, "recovery cannot be dated before the project started"));
    }
    let in_period = date <= l.row.end_date;
    if in_period && (reason == Reason::PeriodEnded || (status.is_active() && !reason.ends_early())) {
        return Err(AppError::conflict(Code::PeriodNotEnded, format!("the project runs until {}", l.row.end_date))
            .with("end_date", l.row.end_date.to_string()));
    }
    let acceptance = acceptance_behind(conn, &l.row.id, reason)?;
    let pending = projects::pending_reviews(conn, &l.row.id)?;
    if pending > 0 {
        return Err(AppError::conflict(Code::PendingReviews, format!("{pending} vouchers await review; decide them first"))
            .with("pending", pending));
    }
    let payables = l.book.balance(chart::PAYABLES);
    if payables.fen() > 0 {
        return Err(AppError::conflict(Code::PayablesOutstanding, "settle the accounts payable (2202) before recovery")
            .with("payables", payables.to_string()));
    }
    let plan = recovery::plan(&l.book);
    let voucher = if plan.lines.is_empty() {
        None
    } else {
        let p = Posting {
            kind: VoucherKind::Recovery,
            date,
            summary: format!("收回未实施补助资金 recovery of unspent funds ({}) {}", reason.as_str(), cmd.note).trim().to_string(),
            attachments: 0,
            reference: None,
            reverses: None,
            lines: plan.lines.iter().map(|line| PostLine::plain(line.clone(), "收回未实施资金")).collect(),
        };
        Some(ledger::post(conn, l, actor, &p)?)
    };
    let data = json!({"reason": reason, "note": cmd.note, "date": date, "recovery": plan, "acceptance": acceptance});
    projects::close(conn, actor, &mut l.row, data)?;
    Ok(Recovery { project_id: l.row.id.clone(), status: l.row.status, reason, plan, voucher })
}

/// The acceptance a recovery for `completed` or `acceptance_failed` rests on (POLICY.md §7): the
/// project's current record, passed (with or without conditions) or failed respectively; its id.
fn acceptance_behind(conn: &mut DbConn, project_id: &str, reason: Reason) -> AppResult<Option<String>> {
    let wanted = match reason {
        Reason::Completed => "a passed",
        Reason::AcceptanceFailed => "a failed",
        _ => return Ok(None),
    };
    let current = acceptances::current(conn, project_id)?;
    let conclusion = current.as_ref().map(|a| Conclusion::parse(&a.conclusion).ok_or_else(|| AppError::internal("unreadable conclusion")));
    let conclusion = conclusion.transpose()?;
    let fits = match reason {
        Reason::Completed => conclusion.is_some_and(Conclusion::is_pass),
        _ => conclusion == Some(Conclusion::Failed),
    };
    if !fits {
        let held = conclusion.map_or("none", Conclusion::as_str);
        return Err(AppError::conflict(
            Code::AcceptanceRequired,
            format!("recovery for {} needs {wanted} output acceptance on record (current: {held})", reason.as_str()),
        )
        .with("acceptance", held));
    }
    Ok(current.map(|a| a.id))
}

pub struct Remit {
    pub date: NaiveDate,
    pub amount: Money,
    /// The payment document's number; may be empty.
    pub reference: String,
}

impl Remit {
    pub const REFUSED: &'static str = "remittance.refused";
}

/// Pays back to the finance bureau what a recovery left owed: Dr 2241 / Cr 1002.
pub fn remit(j: &mut dyn Journal, l: &mut Locked, actor: &Actor, cmd: Remit) -> AppResult<Stored> {
    let owed = l.book.balance(chart::REFUND_OWED);
    if owed.is_zero() {
        return Err(AppError::conflict(Code::NothingOwed, "nothing is owed back to the finance bureau"));
    }
    if cmd.amount > owed {
        return Err(LedgerError::ExceedsOwed { owed, requested: cmd.amount }.into());
    }
    if cmd.date < l.row.start_date {
        return Err(AppError::new(Code::OutOfPeriod, "a remittance cannot be dated before the project started"));
    }
    let p = Posting {
        kind: VoucherKind::Remittance,
        date: cmd.date,
        summary: format!("缴回财政资金 remittance {}", cmd.reference).trim().to_string(),
        attachments: 0,
        reference: Some(cmd.reference).filter(|r| !r.is_empty()),
        reverses: None,
        lines: recovery::remittance(cmd.amount).into_iter().map(|line| PostLine::plain(line, "缴回未实施资金")).collect(),
    };
    ledger::post(j, l, actor, &p)
}
