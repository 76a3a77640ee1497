//! Recovery of unspent funds and their remittance (API.md, Recovery of unspent funds).
use super::money::{idem, run_money, shape};
use super::openapi::{IdempotencyKey, Problem};
use super::routes::Routes;
use super::views::{answer, voucher_answer, RecoveryView, VoucherView};
use super::State;
use crate::app::funds::{self, Recover, Remit};
use crate::auth::{Caller, Role};
use crate::domain::money::Money;
use crate::domain::recovery::Reason;
use crate::error::{AppError, AppResult};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

pub fn routes(r: &mut Routes) {
    r.post("/projects/{id}/recovery", recover).post("/projects/{id}/remittances", remit);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryIn {
    #[schema(value_type = String, format = Date, example = "2025-04-01")]
    date: String,
    #[schema(value_type = Reason)]
    reason: String,
    #[serde(default)]
    #[schema(example = "单位注销，收回未实施资金")]
    note: String,
}

/// Recover what a project did not implement, and close it (§8.2).
///
/// The undisbursed part cancels the receivable (Dr 2401 / Cr 1221); the part paid out and not
/// spent becomes owed back (Dr 2401 / Cr 2241). Allowed once the period has ended, or early for a
/// cancelled project or a studio whose leader no longer qualifies (`leader_unqualified`, studios
/// only).
///
/// Roles: finance.
#[utoipa::path(post, path = "/projects/{id}/recovery", tag = "recovery", operation_id = "recover", request_body = RecoveryIn,
    params(("id" = String, Path), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 201, body = RecoveryView),
        (status = 403, description = "`forbidden`: not finance", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`: the project is already closed; `period_not_ended` (with `end_date`); `pending_reviews`: vouchers await review (with `pending`); `payables_outstanding`: accounts payable (2202) are not settled; `idempotency_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a bad date, an unknown reason, or `leader_unqualified` for a base; `out_of_period`: dated before the project started", body = Problem, content_type = "application/problem+json")))]
pub async fn recover(
    state: State,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemittanceIn {
    #[schema(value_type = String, format = Date, example = "2025-04-05")]
    date: String,
    #[schema(value_type = String, pattern = r"^[0-9]+(\.[0-9]{1,2})?$", example = "79200.00")]
    amount: Value,
    /// The payment document's number.
    #[serde(default)]
    #[schema(example = "缴款书0001")]
    reference: String,
}

/// Remit what a recovery left owed back to the finance bureau.
///
/// Dr 2241 / Cr 1002, posted.
///
/// Roles: unit (its organisation's projects), finance.
#[utoipa::path(post, path = "/projects/{id}/remittances", tag = "recovery", operation_id = "remit", request_body = RemittanceIn,
    params(("id" = String, Path), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 201, description = "The remittance voucher, posted", body = VoucherView),
        (status = 403, description = "`forbidden`: not unit or finance", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`nothing_owed`; `exceeds_owed`: more than is owed (with `owed`); `insufficient_funds`: the bank account cannot pay it; `idempotency_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a bad date; `invalid_amount`; `out_of_period`: dated before the project started", body = Problem, content_type = "application/problem+json")))]
pub async fn remit(
    state: State,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
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
