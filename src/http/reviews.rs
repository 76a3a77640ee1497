//! The finance bureau's review of flagged vouchers, and the classifier's dry run.
use super::money::{idem, must_be_open, run_money, shape, verdict_list, verdicts, voucher_view, LineIn};
use super::projects::visible;
use super::routes::Routes;
use super::{db, paged, State};
use crate::auth::{Caller, Role};
use crate::db::schema::{projects as projects_t, vouchers};
use crate::domain::chart;
use crate::domain::classify::Verdict;
use crate::domain::kind::ProjectKind;
use crate::error::{AppError, AppResult, Code};
use crate::store::ledger;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

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
    let idem = idem(&req, &caller, &raw)?;
    let (rules, actor) = (state.rules.clone(), caller.actor());
    run_money(&state, &caller, id, idem, "approval.refused", raw, move |conn, l| {
        let v = ledger::voucher(conn, &l.row.id, &vid)?;
        must_be_open(l, v.date)?;
        // The rules may have changed since submission: a prohibited line is never posted.
        let rows = ledger::lines_of(conn, &vid)?;
        let text_lines: Vec<LineIn> = rows
            .iter()
            .map(|r| LineIn { account: r.account_code.clone(), debit: None, credit: None, summary: r.summary.clone() })
            .collect();
        let debits: Vec<bool> = rows.iter().map(|r| r.debit_fen > 0).collect();
        let verdict = verdicts(&rules, l.row.kind(), &l.chart, &v.summary, &text_lines, &debits)?;
        if verdict.iter().flatten().any(|c| c.verdict == Verdict::Rejected) {
            return Err(AppError::new(Code::VoucherRejected, "under the current rules this voucher contains prohibited spending")
                .with("lines", verdict_list(&text_lines, &verdict)));
        }
        ledger::approve(conn, l, &actor, &vid, b.note.trim())?;
        Ok((200, voucher_view(conn, &l.row.id, &vid)?))
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
    if b.reason.trim().is_empty() {
        return Err(AppError::field("reason", "a decline needs a reason"));
    }
    let (id, vid) = path.into_inner();
    let idem = idem(&req, &caller, &raw)?;
    let actor = caller.actor();
    run_money(&state, &caller, id, idem, "decline.refused", raw, move |conn, l| {
        ledger::decline(conn, l, &actor, &vid, b.reason.trim())?;
        Ok((200, voucher_view(conn, &l.row.id, &vid)?))
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
        "pending" | "pending_review" => "pending_review",
        "declined" => "declined",
        other => return Err(AppError::field("status", format!("'{other}' is not pending or declined"))),
    };
    let body = db(&state, move |conn| {
        let rows: Vec<(String, String, String)> = vouchers::table
            .inner_join(projects_t::table)
            .filter(vouchers::status.eq(status))
            .filter(vouchers::id.gt(page.after()))
            .order(vouchers::id)
            .limit(limit)
            .select((vouchers::id, vouchers::project_id, projects_t::name))
            .load(conn)?;
        let items = rows
            .iter()
            .map(|(vid, pid, name)| {
                let mut v = voucher_view(conn, pid, vid)?;
                v["project_name"] = json!(name);
                Ok(v)
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(paged(items, limit, |v: &Value| v["id"].as_str().unwrap_or_default().to_string()))
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
    if b.lines.is_empty() || b.lines.len() > crate::domain::ledger::MAX_LINES {
        return Err(AppError::new(Code::InvalidLine, "between 1 and 200 lines"));
    }
    let rules = state.rules.clone();
    let (kind, chart) = match (&b.project_id, &b.project_kind) {
        (Some(pid), _) => {
            let pid = pid.clone();
            db(&state, move |conn| {
                let p = visible(conn, &caller, &pid)?;
                Ok((p.kind(), crate::store::projects::chart_of(conn, &pid)?))
            })
            .await?
        }
        (None, Some(k)) => {
            let kind = ProjectKind::parse(k).ok_or_else(|| AppError::field("project_kind", "must be base or studio"))?;
            (kind, chart::accounts_for(kind, &rules))
        }
        (None, None) => return Err(AppError::field("project_kind", "give project_kind or project_id")),
    };
    // A dry run classifies every line as a debit, since that is what spending looks like.
    let debits: Vec<bool> = b.lines.iter().map(|l| l.credit.is_none()).collect();
    let v = verdicts(&rules, kind, &chart, &b.summary, &b.lines, &debits)?;
    let overall = v.iter().flatten().map(|c| c.verdict).max().unwrap_or(Verdict::Allowed);
    Ok(HttpResponse::Ok().json(json!({"project_kind": kind, "verdict": overall, "lines": verdict_list(&b.lines, &v)})))
}
