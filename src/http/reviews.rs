//! The finance bureau's review of flagged vouchers, and the classifier's dry run.
use super::money::{answer_money, idem_from, shape, LineIn};
use super::openapi::{IdempotencyKey, Problem};
use super::projects::visible;
use super::routes::Routes;
use super::views::{decided_answer, ClassifyView, ReviewItem, VoucherView};
use super::Paged;
use super::{db, paged, status_json, State};
use crate::app::classifier::{self, Trained};
use crate::app::vouchers::{self, Approve, Decline};
use crate::auth::{Caller, Role};
use crate::domain::chart;
use crate::domain::kind::ProjectKind;
use crate::domain::ledger::MAX_LINES;
use crate::domain::status::VoucherStatus;
use crate::domain::verdicts::{classify_voucher, LineText};
use crate::error::{AppError, AppResult, Code};
use crate::store;
use crate::store::unit::Outcome;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

pub fn routes(r: &mut Routes) {
    r.post("/projects/{id}/vouchers/{vid}/approve", approve)
        .post("/projects/{id}/vouchers/{vid}/decline", decline)
        .get("/reviews", reviews)
        .post("/classify", classify)
        .post("/classifier/retrain", retrain);
}

/// A review's decision: an approval may give a `note`, a decline must give its `reason`.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    #[serde(default)]
    #[schema(example = "符合会议费标准")]
    note: String,
    #[serde(default)]
    reason: String,
}

/// Approve a voucher held for review.
///
/// It is classified again under the current rules, then posted with the next number and its
/// reservation released; the guards run again on today's books.
///
/// Roles: finance.
#[utoipa::path(post, path = "/projects/{id}/vouchers/{vid}/approve", tag = "reviews", operation_id = "approve_voucher", request_body = DecisionIn,
    params(("id" = String, Path), ("vid" = String, Path), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 200, description = "The voucher, now posted, with its decision", body = VoucherView),
        (status = 403, description = "`forbidden`: not finance", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project, or no such voucher in it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_pending`: the voucher is not awaiting review; `project_not_active`; `insufficient_funds`; `grant_exceeded`; `idempotency_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`voucher_rejected`: under the current rules a line is prohibited (each line's verdict in `lines`); `unknown_account`; `out_of_period`", body = Problem, content_type = "application/problem+json")))]
pub async fn approve(
    state: State,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    let (id, vid) = path.into_inner();
    let (status, body) = approval(&state, &caller, &req, (id, vid), body.into_inner(), None).await?;
    Ok(status_json(status, body))
}

/// An approval as the API and the console's review forms post it (`form_key`: see `idem_from`).
pub async fn approval(
    state: &State,
    caller: &Caller,
    req: &HttpRequest,
    (id, vid): (String, String),
    raw: Value,
    form_key: Option<&str>,
) -> Outcome {
    caller.require(&[Role::Finance])?;
    // A required body: an optional one would read malformed JSON as "no note" instead of a 400.
    let b: DecisionIn = shape(&raw)?;
    let cmd = Approve::new(vid, &b.note);
    let idem = idem_from(req, caller, &raw, form_key)?;
    let (rules, actor) = (state.rules.clone(), caller.actor());
    answer_money(state, caller, id, idem, Approve::REFUSED, raw, move |conn, l| {
        let decided = vouchers::approve(conn, l, &actor, &rules, cmd)?;
        decided_answer(conn, 200, &decided)
    })
    .await
}

/// Decline a voucher held for review: nothing is posted and its reservation is released.
///
/// Roles: finance.
#[utoipa::path(post, path = "/projects/{id}/vouchers/{vid}/decline", tag = "reviews", operation_id = "decline_voucher", request_body = DecisionIn,
    params(("id" = String, Path), ("vid" = String, Path), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 200, description = "The voucher, now declined, with its decision", body = VoucherView),
        (status = 403, description = "`forbidden`: not finance", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project, or no such voucher in it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_pending`: the voucher is not awaiting review; `idempotency_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: no reason", body = Problem, content_type = "application/problem+json")))]
pub async fn decline(
    state: State,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    let (status, body) = declining(&state, &caller, &req, path.into_inner(), body.into_inner(), None).await?;
    Ok(status_json(status, body))
}

/// A decline as the API and the console's review forms post it (`form_key`: see `idem_from`).
pub async fn declining(
    state: &State,
    caller: &Caller,
    req: &HttpRequest,
    (id, vid): (String, String),
    raw: Value,
    form_key: Option<&str>,
) -> Outcome {
    caller.require(&[Role::Finance])?;
    let b: DecisionIn = shape(&raw)?;
    let cmd = Decline::new(vid, &b.reason)?;
    let idem = idem_from(req, caller, &raw, form_key)?;
    let actor = caller.actor();
    answer_money(state, caller, id, idem, Decline::REFUSED, raw, move |conn, l| {
        let decided = vouchers::decline(conn, l, &actor, cmd)?;
        decided_answer(conn, 200, &decided)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// pending (the default; also pending_review) or declined.
    status: Option<String>,
    /// 1 to 500, default 50.
    limit: Option<i64>,
    cursor: Option<String>,
    /// `csv` for a spreadsheet, one row per voucher line; JSON otherwise.
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// The review queue across projects.
///
/// Vouchers awaiting review (or declined), by id, each with its project's name.
///
/// Roles: finance, inspector.
#[utoipa::path(get, path = "/reviews", tag = "reviews", operation_id = "review_queue", params(ReviewQuery), security(("bearer" = [])),
    responses((status = 200, content((Paged<ReviewItem> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "`forbidden`: not finance or inspector", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a status other than pending or declined, `limit` out of 1..500, a `format` other than json or csv", body = Problem, content_type = "application/problem+json")))]
pub async fn reviews(state: State, caller: Caller, q: web::Query<ReviewQuery>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Finance, Role::Inspector])?;
    let q = q.into_inner();
    let page = super::Page { limit: q.limit, cursor: q.cursor, format: q.format };
    let csv = super::Format { format: page.format.clone() }.is_csv()?;
    let limit = super::tables::limit(&page, csv)?;
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
    if csv {
        let columns: Vec<_> = [super::tables::text("project_name", "project_name")].into_iter().chain(super::tables::VOUCHER).collect();
        return super::tables::by_line("reviews", &columns, &body.items, super::sheet::Download::Csv, super::sheet::Lang::Zh);
    }
    Ok(HttpResponse::Ok().json(body))
}

/// What to classify: lines of a voucher, for a project or a kind of project.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyIn {
    /// Classify against this kind's categories (when no project is given).
    #[schema(value_type = Option<ProjectKind>)]
    pub(crate) project_kind: Option<String>,
    /// Classify against this project's chart; wins over `project_kind`.
    pub(crate) project_id: Option<String>,
    #[serde(default)]
    pub(crate) summary: String,
    /// 1 to 200 lines; a line without a credit is read as a debit.
    pub(crate) lines: Vec<LineIn>,
}

/// The classifier's dry run.
///
/// Each line's verdict with its reasons, and the worst of them. Nothing is posted or recorded.
///
/// Roles: any signed-in user; with a `project_id`, only a role that reads that project's books (not admin), a unit only its own.
#[utoipa::path(post, path = "/classify", tag = "reviews", operation_id = "classify", request_body = ClassifyIn, security(("bearer" = [])),
    responses((status = 200, body = ClassifyView),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: neither project_kind nor project_id, or an unknown kind; `invalid_line`: no lines or over 200; `unknown_account`", body = Problem, content_type = "application/problem+json")))]
pub async fn classify(state: State, caller: Caller, body: web::Json<ClassifyIn>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(dry_run(&state, caller, body.into_inner()).await?))
}

/// The classifier's dry run: the API's `/classify` and the console's entry form as the user types.
pub(crate) async fn dry_run(state: &State, caller: Caller, b: ClassifyIn) -> AppResult<ClassifyView> {
    if b.lines.is_empty() || b.lines.len() > MAX_LINES {
        return Err(AppError::new(Code::InvalidLine, format!("between 1 and {MAX_LINES} lines")));
    }
    let rules = state.rules.clone();
    let (kind, chart) = match (&b.project_id, &b.project_kind) {
        (Some(pid), _) => {
            let pid = pid.clone();
            db(state, move |conn| {
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
    let (rules_version, model_version) = match verdicts.versions() {
        (Some(r), m) => (r, m),
        (None, _) => (rules.version().to_string(), rules.model().map(|m| m.version().to_string())),
    };
    Ok(ClassifyView {
        project_kind: kind,
        verdict: verdicts.overall(),
        lines: verdicts.listed(lines.iter().map(|l| l.account)),
        rules_version,
        model_version,
    })
}

/// Retrain the classifier's learned second opinion.
///
/// A naive Bayes model over the character n-grams of each line, trained on the corpus built into
/// the service and on every review decision so far (an approved voucher's lines are allowed
/// examples, a declined voucher's held lines refused ones). It is put in force at once for every
/// classification that follows and recorded under its version; it may only send a line the rules
/// allowed to review (`needs_review:model`), never reject or allow. It is also trained at start.
/// Each retrain is an event `classifier.retrained` on the global audit trail.
/// Each process trains its own: on PostgreSQL with several processes, retrain each.
///
/// Roles: finance.
#[utoipa::path(post, path = "/classifier/retrain", tag = "reviews", operation_id = "retrain_classifier", security(("bearer" = [])),
    responses((status = 200, description = "The model now in force", body = Trained),
        (status = 403, description = "`forbidden`: not finance", body = Problem, content_type = "application/problem+json")))]
pub async fn retrain(state: State, caller: Caller) -> AppResult<HttpResponse> {
    caller.require(&[Role::Finance])?;
    let (rules, actor) = (state.rules.clone(), caller.actor());
    let trained = db(&state, move |conn| classifier::retrain(conn, &rules, Some(&actor))).await?;
    tracing::info!(model = %trained.model_version, declined = trained.declined_examples, "classifier retrained");
    Ok(HttpResponse::Ok().json(trained))
}
