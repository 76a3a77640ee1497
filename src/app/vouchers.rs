//! Expenditure vouchers: submission, the finance bureau's review (approve, decline) and red-ink
//! reversal.
use super::must_be_open;
use crate::auth::Role;
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::domain::chart::{self, AccountDef};
use crate::domain::classify::{Rules, Verdict};
use crate::domain::invoice::{self, Invoice};
use crate::domain::kind::{ProjectKind, VoucherKind};
use crate::domain::ledger::{check_expense_voucher, check_lines, Line};
use crate::domain::money::Money;
use crate::domain::verdicts::{classify_voucher, LineText, Verdicts};
use crate::error::{AppError, AppResult, Code};
use crate::store::journal::Journal;
use crate::store::ledger::{self, Locked, PostLine, Posting, Review};
use crate::store::rows::Stored;
use crate::store::vouchers;
use chrono::NaiveDate;
use serde_json::json;

/// A line of a voucher as submitted: the account as the voucher names it (a code or a category
/// slug) and the amount on one side.
pub struct EntryLine {
    pub account: String,
    pub debit: Money,
    pub credit: Money,
    pub summary: String,
    /// The invoice the line pays, if it names one.
    pub invoice: Option<Invoice>,
}

impl EntryLine {
    fn text(&self) -> LineText<'_> {
        LineText { account: &self.account, summary: &self.summary, is_debit: self.debit.fen() > 0 }
    }
}

pub struct SubmitVoucher {
    date: NaiveDate,
    summary: String,
    attachments: u16,
    lines: Vec<EntryLine>,
    /// The verdicts, when they could be had before the lock (`classify_ahead`).
    ahead: Option<AppResult<Verdicts>>,
}

impl SubmitVoucher {
    /// The audit action of a refused submission.
    pub const REFUSED: &'static str = "voucher.refused";

    /// A submission whose lines have a voucher's shape: 1 to 200, one side each, balanced.
    pub fn new(date: NaiveDate, summary: String, attachments: u16, lines: Vec<EntryLine>) -> AppResult<SubmitVoucher> {
        let shape: Vec<Line> = lines.iter().map(|l| Line { code: String::new(), debit: l.debit, credit: l.credit }).collect();
        check_lines(&shape)?;
        Ok(SubmitVoucher { date, summary, attachments, lines, ahead: None })
    }

    /// Classifies the voucher now, before it queues for the project's lock, when this process
    /// knows the project's chart: the verdicts depend only on the kind and chart (both fixed at
    /// registration) and the voucher, so they are what the locked project would give. They still
    /// count in their place among the checks.
    pub fn classify_ahead(&mut self, rules: &Rules, project_id: &str) {
        self.ahead = ledger::cached_chart(project_id).map(|(kind, chart)| self.classify(rules, kind, &chart));
    }

    /// The invoice numbers the voucher names, each once, for a posting batch to claim ahead.
    pub fn invoice_numbers(&self) -> Vec<String> {
        invoice::distinct_numbers(self.lines.iter().filter_map(|l| l.invoice.as_ref()))
    }

    /// The voucher's debits (equal to its credits: `new` checked it balances).
    pub fn debit_total(&self) -> Money {
        self.lines.iter().map(|l| l.debit).sum()
    }

    fn classify(&self, rules: &Rules, kind: ProjectKind, chart: &[AccountDef]) -> AppResult<Verdicts> {
        let lines: Vec<LineText<'_>> = self.lines.iter().map(EntryLine::text).collect();
        Ok(classify_voucher(rules, kind, chart, &self.summary, &lines)?)
    }
}

/// Submits an expenditure voucher: posted when every line is allowed, held for review with its
/// money reserved when a line needs review, refused when a line is prohibited.
pub fn submit(j: &mut dyn Journal, l: &mut Locked, actor: &Actor, rules: &Rules, mut cmd: SubmitVoucher) -> AppResult<Stored> {
    must_be_open(l, cmd.date)?;
    let verdicts = match cmd.ahead.take() {
        Some(v) => v?,
        None => cmd.classify(rules, l.row.kind, &l.chart)?,
    };
    let overall = verdicts.overall();
    if overall == Verdict::Rejected {
        let accounts = cmd.lines.iter().map(|x| x.account.as_str());
        return Err(rejected("the voucher contains prohibited spending; nothing was posted", &verdicts, accounts));
    }
    let mut lines = Vec::with_capacity(cmd.lines.len());
    for (line, classification) in cmd.lines.into_iter().zip(verdicts.0) {
        // Every account resolves here: the classifier refused unknown ones and rejected the rest.
        let code = chart::find(&l.chart, &line.account).map(|a| a.code.clone()).unwrap_or_default();
        if !chart::expense_voucher_may_use(&code) {
            return Err(AppError::forbidden(format!("an expenditure voucher may not post to account {code}")).with("account", code));
        }
        let line_of = Line { code, debit: line.debit, credit: line.credit };
        lines.push(PostLine { line: line_of, summary: line.summary, classification, invoice: line.invoice });
    }
    check_expense_voucher(&lines.iter().map(|x| x.line.clone()).collect::<Vec<_>>())?;
    let p = Posting {
        kind: VoucherKind::Expense,
        date: cmd.date,
        summary: cmd.summary,
        attachments: cmd.attachments.into(),
        reference: None,
        reverses: None,
        lines,
    };
    let saved = match overall {
        Verdict::Review => ledger::hold(j, l, actor, &p),
        _ => ledger::post(j, l, actor, &p),
    };
    saved.map_err(|e| at_invoice_line(e, &p))
}

/// A `duplicate_invoice` names the first line carrying the number, so a form can show it there.
fn at_invoice_line(e: AppError, p: &Posting) -> AppError {
    if e.code != Code::DuplicateInvoice {
        return e;
    }
    let number = e.extra.get("number").and_then(|n| n.as_str()).unwrap_or_default();
    match p.lines.iter().position(|x| x.invoice.as_ref().is_some_and(|i| i.number == number)) {
        Some(i) => e.with("line", i + 1),
        None => e,
    }
}

/// A refusal naming each line's verdict.
/// The versions of the rules and model that refused it go with it (and so into the refusal's
/// audit event), so the refusal can be reproduced.
fn rejected<'a>(detail: &str, verdicts: &Verdicts, accounts: impl IntoIterator<Item = &'a str>) -> AppError {
    let (rules, model) = verdicts.versions();
    AppError::new(Code::VoucherRejected, detail)
        .with("lines", json!(verdicts.listed(accounts)))
        .with("rules_version", json!(rules))
        .with("model_version", json!(model))
}

pub struct Approve {
    voucher_id: String,
    note: String,
}

impl Approve {
    pub const REFUSED: &'static str = "approval.refused";

    pub fn new(voucher_id: String, note: &str) -> Approve {
        Approve { voucher_id, note: note.trim().to_string() }
    }
}

/// Posts a voucher held for review, after classifying it again: the rules may have changed since
/// it was submitted, and a prohibited line is never posted.
pub fn approve(conn: &mut DbConn, l: &mut Locked, actor: &Actor, rules: &Rules, cmd: Approve) -> AppResult<Stored> {
    let mut v = vouchers::stored(conn, &l.row.id, &cmd.voucher_id)?;
    must_be_open(l, v.voucher.date)?;
    let lines: Vec<LineText<'_>> =
        v.lines.iter().map(|r| LineText { account: &r.account_code, summary: &r.summary, is_debit: r.debit_fen > 0 }).collect();
    let verdicts = classify_voucher(rules, l.row.kind, &l.chart, &v.voucher.summary, &lines)?;
    if verdicts.overall() == Verdict::Rejected {
        let detail = "under the current rules this voucher contains prohibited spending";
        return Err(rejected(detail, &verdicts, lines.iter().map(|x| x.account)));
    }
    ledger::decide(conn, l, actor, &mut v, Review::Approved, &cmd.note)?;
    Ok(v)
}

pub struct Decline {
    voucher_id: String,
    reason: String,
}

impl Decline {
    pub const REFUSED: &'static str = "decline.refused";

    pub fn new(voucher_id: String, reason: &str) -> AppResult<Decline> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::field("reason", "a decline needs a reason"));
        }
        Ok(Decline { voucher_id, reason: reason.to_string() })
    }
}

/// Drops a voucher held for review, releasing its reserved money.
pub fn decline(conn: &mut DbConn, l: &mut Locked, actor: &Actor, cmd: Decline) -> AppResult<Stored> {
    let mut v = vouchers::stored(conn, &l.row.id, &cmd.voucher_id)?;
    ledger::decide(conn, l, actor, &mut v, Review::Declined, &cmd.reason)?;
    Ok(v)
}

pub struct Reverse {
    voucher_id: String,
    date: NaiveDate,
    reason: String,
    /// Who reverses: a unit corrects its own expense vouchers; finance may also reverse a
    /// disbursement.
    by: Role,
}

impl Reverse {
    pub const REFUSED: &'static str = "reversal.refused";

    pub fn new(voucher_id: String, date: NaiveDate, reason: &str, by: Role) -> AppResult<Reverse> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::field("reason", "a reversal needs a reason"));
        }
        Ok(Reverse { voucher_id, date, reason: reason.to_string(), by })
    }
}

/// Reverses a posted voucher in red ink: a new posted voucher with every side swapped.
pub fn reverse(conn: &mut DbConn, l: &mut Locked, actor: &Actor, cmd: Reverse) -> AppResult<Stored> {
    must_be_open(l, cmd.date)?;
    ledger::reverse(conn, l, actor, &cmd.voucher_id, cmd.date, &cmd.reason, reversible_by(cmd.by))
}

/// The kinds of voucher a role may reverse: a unit its expense vouchers; finance also a
/// disbursement. (The console offers the reversal form only on these.)
pub fn reversible_by(role: Role) -> &'static [VoucherKind] {
    match role {
        Role::Finance => &[VoucherKind::Expense, VoucherKind::Disbursement],
        Role::Unit => &[VoucherKind::Expense],
        _ => &[],
    }
}
