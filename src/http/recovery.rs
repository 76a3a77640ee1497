//! Recovery of unspent funds and their remittance (API.md, Recovery of unspent funds).
use super::money::{idem, run_money, shape, stored_json};
use super::routes::Routes;
use super::State;
use crate::auth::{Caller, Role};
use crate::domain::chart;
use crate::domain::kind::{ProjectKind, VoucherKind};
use crate::domain::ledger::Line;
use crate::domain::money::Money;
use crate::domain::recovery::{self, Reason};
use crate::domain::status::ProjectStatus;
use crate::error::{AppError, AppResult, Code};
use crate::store::ledger::{self, PostLine, Posting};
use crate::store::projects;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes(r: &mut Routes) {
    r.post("/projects/{id}/recovery", recover).post("/projects/{id}/remittances", remit);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoveryIn {
    date: String,
    reason: String,
    #[serde(default)]
    note: String,
}

async fn recover(state: State, caller: Caller, req: HttpRequest, id: web::Path<String>, body: web::Json<Value>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Finance])?;
    let raw = body.into_inner();
    let b: RecoveryIn = shape(&raw)?;
    let date = super::parse_date("date", &b.date)?;
    let reason = Reason::parse(&b.reason)
        .ok_or_else(|| AppError::field("reason", "one of cancelled, leader_unqualified, period_ended, completed"))?;
    let idem = idem(&req, &caller, &raw)?;
    let actor = caller.actor();
    run_money(&state, &caller, id.into_inner(), idem, "recovery.refused", raw, move |conn, l| {
        let status = l.row.status;
        if status == ProjectStatus::Closed {
            return Err(AppError::conflict(Code::InvalidTransition, "the project is already closed"));
        }
        if reason == Reason::LeaderUnqualified && l.row.kind() != ProjectKind::Studio {
            return Err(AppError::field("reason", "leader_unqualified applies to studios only"));
        }
        if date < l.row.start() {
            return Err(AppError::new(Code::OutOfPeriod, "recovery cannot be dated before the project started"));
        }
        let in_period = date <= l.row.end();
        if in_period && (reason == Reason::PeriodEnded || (status.is_active() && !reason.ends_early())) {
            return Err(AppError::conflict(Code::PeriodNotEnded, format!("the project runs until {}", l.row.end_date))
                .with("end_date", l.row.end_date.to_string()));
        }
        let pending = projects::pending_reviews(conn, &l.row.id)?;
        if pending > 0 {
            return Err(AppError::conflict(Code::PendingReviews, format!("{pending} vouchers await review; decide them first"))
                .with("pending", pending));
        }
        if l.book.balance(chart::PAYABLES).fen() > 0 {
            return Err(AppError::conflict(Code::PayablesOutstanding, "settle the accounts payable (2202) before recovery")
                .with("payables", l.book.balance(chart::PAYABLES).to_string()));
        }
        let plan = recovery::plan(&l.book);
        let voucher = if plan.lines.is_empty() {
            None
        } else {
            let p = Posting {
                kind: VoucherKind::Recovery,
                date,
                summary: format!("收回未实施补助资金 recovery of unspent funds ({}) {}", b.reason, b.note.trim()).trim().to_string(),
                attachments: 0,
                reference: None,
                reverses: None,
                lines: plan.lines.iter().map(|line| PostLine::plain(line.clone(), "收回未实施资金")).collect(),
            };
            Some(stored_json(&ledger::post(conn, l, &actor, &p)?))
        };
        let data = json!({"reason": reason, "note": b.note.trim(), "date": date, "recovery": plan});
        projects::close(conn, &actor, &mut l.row, data)?;
        Ok((
            201,
            json!({"project_id": l.row.id, "status": l.row.status, "reason": reason, "recoverable": plan.recoverable,
            "undisbursed": plan.undisbursed, "to_remit": plan.to_remit, "voucher": voucher}),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemittanceIn {
    date: String,
    amount: Value,
    #[serde(default)]
    reference: String,
}

async fn remit(state: State, caller: Caller, req: HttpRequest, id: web::Path<String>, body: web::Json<Value>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Unit, Role::Finance])?;
    let raw = body.into_inner();
    let b: RemittanceIn = shape(&raw)?;
    let date = super::parse_date("date", &b.date)?;
    let amount = Money::from_json(&b.amount)?;
    let idem = idem(&req, &caller, &raw)?;
    let actor = caller.actor();
    run_money(&state, &caller, id.into_inner(), idem, "remittance.refused", raw, move |conn, l| {
        let owed = l.book.balance(chart::REFUND_OWED);
        if owed.is_zero() {
            return Err(AppError::conflict(Code::NothingOwed, "nothing is owed back to the finance bureau"));
        }
        if amount > owed {
            return Err(crate::domain::ledger::LedgerError::ExceedsOwed { owed, requested: amount }.into());
        }
        if date < l.row.start() {
            return Err(AppError::new(Code::OutOfPeriod, "a remittance cannot be dated before the project started"));
        }
        let lines: Vec<Line> = recovery::remittance(amount);
        let p = Posting {
            kind: VoucherKind::Remittance,
            date,
            summary: format!("缴回财政资金 remittance {}", b.reference).trim().to_string(),
            attachments: 0,
            reference: Some(b.reference.clone()).filter(|r| !r.is_empty()),
            reverses: None,
            lines: lines.into_iter().map(|line| PostLine::plain(line, "缴回未实施资金")).collect(),
        };
        Ok((201, stored_json(&ledger::post(conn, l, &actor, &p)?)))
    })
    .await
}
