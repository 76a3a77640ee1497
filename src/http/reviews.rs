//! The finance bureau's review of flagged vouchers, and the classifier's dry run.
use super::money::{idem, run_money, shape, LineIn};
use super::projects::visible;
use super::routes::Routes;
use super::views::{voucher_answer, ClassifyView, ReviewItem, VoucherView};
use super::{db, paged, State};
use crate::app::vouchers::{self, Approve, Decline};
use crate::auth::{Caller, Role};
use crate::domain::chart;
use crate::domain::kind::ProjectKind;
use crate::domain::ledger::MAX_LINES;
use crate::domain::status::VoucherStatus;
use crate::domain::verdicts::{classify_voucher, LineText};
use crate::error::{AppError, AppResult, Code};
use crate::store;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

pub fn routes(r: &mut Routes) {
    r.post("/projects/{id}/vouchers/{vid}/approve", approve)
        .post("/projects/{id}/vouchers/{vid}/decline", decline)
        .get("/reviews", reviews)
        .post("/classify", classify);
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Decision {
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
}

async fn approve(
    state: State,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Finance])?;
    // A required body: an optional one would read malformed JSON as "no note" instead of a 400.
    let raw = body.into_inner();
    let b: Decision = shape(&raw)?;
    let (id, vid) = path.into_inner();
    let cmd = Approve::new(vid, &b.note);
    let idem = idem(&req, &caller, &raw)?;
    let (rules, actor) = (state.rules.clone(), caller.actor());
    run_money(&state, &caller, id, idem, Approve::REFUSED, raw, move |conn, l| {
        voucher_answer(200, &vouchers::approve(conn, l, &actor, &rules, cmd)?)
    })
    .await
}

async fn decline(
    state: State,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Finance])?;
    let raw = body.into_inner();
    let b: Decision = shape(&raw)?;
    let (id, vid) = path.into_inner();
    let cmd = Decline::new(vid, &b.reason)?;
    let idem = idem(&req, &caller, &raw)?;
    let actor = caller.actor();
    run_money(&state, &caller, id, idem, Decline::REFUSED, raw, move |conn, l| {
        voucher_answer(200, &vouchers::decline(conn, l, &actor, cmd)?)
    })
    .await
}

#[derive(Deserialize)]
struct ReviewQuery {
    status: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

async fn reviews(state: State, caller: Caller, q: web::Query<ReviewQuery>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Finance, Role::Inspector])?;
    let q = q.into_inner();
    let page = super::Page { limit: q.limit, cursor: q.cursor };
    let limit = page.limit()?;
    let status = match q.status.as_deref().unwrap_or("pending") {
        "pending" => VoucherStatus::PendingReview,
        other => match VoucherStatus::parse(other) {
            Some(s @ (VoucherStatus::PendingReview | VoucherStatus::Declined)) => s,
            _ => return Err(AppError::field("status", format!("'{other}' is not pending or declined"))),
        },
    };
    let body = db(&state, move |conn| {
        let items = store::vouchers::across_projects(conn, status, &page.after(), limit)?
            .iter()
            .map(|(v, project_name)| Ok(ReviewItem { voucher: VoucherView::of(v)?, project_name: project_name.clone() }))
            .collect::<AppResult<Vec<_>>>()?;
        Ok(paged(items, limit, |i| i.voucher.id.clone()))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassifyIn {
    project_kind: Option<String>,
    project_id: Option<String>,
    #[serde(default)]
    summary: String,
    lines: Vec<LineIn>,
}

async fn classify(state: State, caller: Caller, body: web::Json<ClassifyIn>) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    if b.lines.is_empty() || b.lines.len() > MAX_LINES {
        return Err(AppError::new(Code::InvalidLine, format!("between 1 and {MAX_LINES} lines")));
    }
    let rules = state.rules.clone();
    let (kind, chart) = match (&b.project_id, &b.project_kind) {
        (Some(pid), _) => {
            let pid = pid.clone();
            db(&state, move |conn| {
                let p = visible(conn, &caller, &pid)?;
                Ok((p.kind, store::projects::chart_of(conn, &pid)?))
            })
            .await?
        }
        (None, Some(k)) => {
            let kind = ProjectKind::parse(k).ok_or_else(|| AppError::field("project_kind", "must be base or studio"))?;
            (kind, chart::accounts_for(kind, &rules))
        }
        (None, None) => return Err(AppError::field("project_kind", "give project_kind or project_id")),
    };
    // A dry run reads every line without a credit as a debit, since that is what spending looks like.
    let lines: Vec<LineText<'_>> =
        b.lines.iter().map(|l| LineText { account: &l.account, summary: &l.summary, is_debit: l.credit.is_none() }).collect();
    let verdicts = classify_voucher(&rules, kind, &chart, &b.summary, &lines)?;
    let view = ClassifyView { project_kind: kind, verdict: verdicts.overall(), lines: verdicts.listed(lines.iter().map(|l| l.account)) };
    Ok(HttpResponse::Ok().json(view))
}
