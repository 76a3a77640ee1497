//! Recovery of unspent funds and their remittance (API.md, Recovery of unspent funds).
use super::money::{idem, run_money, shape};
use super::routes::Routes;
use super::views::{answer, voucher_answer, RecoveryView};
use super::State;
use crate::app::funds::{self, Recover, Remit};
use crate::auth::{Caller, Role};
use crate::domain::money::Money;
use crate::domain::recovery::Reason;
use crate::error::{AppError, AppResult};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

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
    let reason = Reason::parse(&b.reason).ok_or_else(|| {
        let names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        AppError::field("reason", format!("one of {}", names.join(", ")))
    })?;
    let cmd = Recover::new(date, reason, &b.note);
    let idem = idem(&req, &caller, &raw)?;
    let actor = caller.actor();
    run_money(&state, &caller, id.into_inner(), idem, Recover::REFUSED, raw, move |conn, l| {
        answer(201, RecoveryView::of(&funds::recover(conn, l, &actor, cmd)?)?)
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
    let cmd = Remit { date: super::parse_date("date", &b.date)?, amount: Money::from_json(&b.amount)?, reference: b.reference };
    let idem = idem(&req, &caller, &raw)?;
    let actor = caller.actor();
    run_money(&state, &caller, id.into_inner(), idem, Remit::REFUSED, raw, move |conn, l| {
        voucher_answer(201, &funds::remit(conn, l, &actor, cmd)?)
    })
    .await
}
