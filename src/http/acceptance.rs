//! Output acceptance (API.md, Output acceptance and the project archive): HR records it, every
//! reader of the project reads it, and the portfolio lists each project's current record.
use super::openapi::Problem;
use super::projects::visible;
use super::routes::Routes;
use super::{db, paged, Page, Paged, State};
use crate::app::acceptance::{self, Accept};
use crate::auth::{Caller, Role};
use crate::db::DbConn;
use crate::domain::acceptance::{ChecklistItem, Conclusion, FinalAccounts, PanelMember, YearCheck};
use crate::domain::calendar;
use crate::domain::kind::ProjectKind;
use crate::error::{AppError, AppResult};
use crate::store::acceptances;
use crate::store::rows::AcceptanceRow;
use crate::store::unit;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

pub fn routes(r: &mut Routes) {
    r.post("/projects/{id}/acceptance", record).get("/projects/{id}/acceptance", of_project).get("/acceptances", list);
}

/// Who reads the portfolio of acceptances.
const PORTFOLIO: [Role; 3] = [Role::Hr, Role::Finance, Role::Inspector];

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OutputsIn {
    /// People trained per calendar year ("2025": 6): person-times for a base, young backbone for a studio.
    #[serde(default)]
    pub(crate) trained_total: BTreeMap<String, i32>,
    /// Of them, at advanced-worker level or above, per year.
    #[serde(default)]
    pub(crate) trained_advanced: BTreeMap<String, i32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceIn {
    /// The day the panel met: from 60 days before the period's end, not after today.
    #[schema(value_type = String, format = Date, example = "2026-02-20")]
    pub(crate) date: String,
    pub(crate) panel: Vec<PanelMember>,
    #[serde(default)]
    pub(crate) outputs: OutputsIn,
    pub(crate) checklist: Vec<ChecklistItem>,
    #[schema(value_type = Conclusion)]
    pub(crate) conclusion: String,
    /// Why the panel passes a project whose figures miss a target; required then.
    #[serde(default)]
    pub(crate) override_reason: Option<String>,
    #[serde(default)]
    pub(crate) note: String,
}

/// An acceptance record as it was made (and as it stays: records are never changed).
#[derive(Serialize, ToSchema)]
pub struct AcceptanceRecord {
    id: String,
    project_id: String,
    project_kind: ProjectKind,
    /// 1, 2, ... for the project: a later record supersedes the earlier.
    seq: i32,
    #[schema(value_type = String, format = Date)]
    date: String,
    panel: Vec<PanelMember>,
    #[schema(value_type = OutputsIn)]
    outputs: Value,
    checklist: Vec<ChecklistItem>,
    conclusion: Conclusion,
    override_reason: Option<String>,
    note: String,
    /// The plan's figures checked by the service, per year.
    targets_met: Vec<YearCheck>,
    final_accounts: FinalAccounts,
    /// The record this one corrects.
    supersedes: Option<String>,
    /// The record that corrected this one; null for the current record.
    superseded_by: Option<String>,
    recorded_by: String,
    recorded_by_name: String,
    recorded_at: String,
}

/// A project's acceptances.
#[derive(Serialize, ToSchema)]
pub struct AcceptanceHistory {
    #[schema(value_type = Option<AcceptanceRecord>)]
    current: Option<Value>,
    /// Every record, oldest first (the current one last).
    #[schema(value_type = Vec<AcceptanceRecord>)]
    history: Vec<Value>,
}

/// The stored record, with the record that superseded it if any. A stored record that does not
/// parse is the service's fault.
fn record_view(row: &AcceptanceRow, superseded_by: Option<&str>) -> AppResult<Value> {
    let mut v: Value =
        serde_json::from_str(&row.record).map_err(|e| AppError::internal(format!("acceptance {} does not parse: {e}", row.id)))?;
    v["superseded_by"] = superseded_by.map_or(Value::Null, Value::from);
    Ok(v)
}

/// Record the output acceptance of a project (POLICY.md §7): the panel, the measured outputs, the
/// checklist and the conclusion. The service checks the plan's targets per year (on the figures
/// given, else the annual reports filed) and freezes the final accounts and the audit chain's head
/// with a signed checkpoint in the record. `passed` and `passed_with_conditions` move the project
/// to `completed`, `failed` to `acceptance_failed`. A later record supersedes the current one; both
/// are kept, and neither ever changes.
///
/// Roles: hr.
#[utoipa::path(post, path = "/projects/{id}/acceptance", tag = "acceptance", operation_id = "record_acceptance", request_body = AcceptanceIn,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = AcceptanceRecord),
        (status = 403, description = "`forbidden`: not hr", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`too_early`: dated before 60 days ahead of the period's end (with `earliest_date`); `invalid_transition`: the project is cancelled or closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`targets_not_met`: a passing conclusion while a target is missed and no `override_reason` (with `targets`: year, target, required, measured); `validation_failed`: a bad date or a date after today, no panel or checklist, blank names, an unknown conclusion, outputs outside the period or advanced above total", body = Problem, content_type = "application/problem+json")))]
pub async fn record(state: State, caller: Caller, id: web::Path<String>, body: web::Json<AcceptanceIn>) -> AppResult<HttpResponse> {
    let body = record_acceptance(&state, &caller, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(body))
}

/// The recording itself, for the API and the console's form alike.
pub(crate) async fn record_acceptance(state: &State, caller: &Caller, id: String, b: AcceptanceIn) -> AppResult<Value> {
    caller.require(&[Role::Hr])?;
    let mut errors = acceptance::check_people_and_items(&b.panel, &b.checklist);
    let date = super::parse_date("date", &b.date).map_err(|e| errors.extend(e.field_errors())).ok();
    let conclusion = Conclusion::parse(&b.conclusion);
    if conclusion.is_none() {
        let names: Vec<&str> = Conclusion::ALL.iter().map(|c| c.as_str()).collect();
        errors.push(crate::domain::eligibility::FieldError::new("conclusion", format!("one of {}", names.join(", "))));
    }
    let override_reason = b.override_reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    if override_reason.as_ref().is_some_and(|r| r.chars().count() > 2000) || b.note.chars().count() > 5000 {
        errors.push(crate::domain::eligibility::FieldError::new("note", "override_reason at most 2000, note at most 5000 characters"));
    }
    let (Some(date), Some(conclusion), true) = (date, conclusion, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let trim = |items: Vec<PanelMember>| {
        items.into_iter().map(|m| PanelMember { name: m.name.trim().to_string(), title: m.title.trim().to_string() }).collect()
    };
    let cmd = Accept {
        date,
        panel: trim(b.panel),
        trained_total: b.outputs.trained_total,
        trained_advanced: b.outputs.trained_advanced,
        checklist: b.checklist,
        conclusion,
        override_reason,
        note: b.note.trim().to_string(),
    };
    let (actor, notary) = (caller.actor(), state.notary.clone());
    db(state, move |conn| {
        let row = unit::under_lock(conn, &id, |conn, l| acceptance::accept(conn, l, &actor, &notary, cmd, calendar::today()))?;
        record_view(&row, None)
    })
    .await
}

/// A project's acceptance: the current record (null before the first) and every record made.
///
/// Roles: hr, finance, inspector; a unit for its own projects.
#[utoipa::path(get, path = "/projects/{id}/acceptance", tag = "acceptance", operation_id = "get_acceptance", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = AcceptanceHistory),
        (status = 403, description = "`forbidden`: admin (admin reads no books)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json")))]
pub async fn of_project(state: State, caller: Caller, id: web::Path<String>) -> AppResult<HttpResponse> {
    let body = history(&state, caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// A project's records with their supersessions: the API's answer and the console's page.
pub(crate) async fn history(state: &State, caller: Caller, id: String) -> AppResult<AcceptanceHistory> {
    db(state, move |conn| {
        visible(conn, &caller, &id)?;
        history_of(conn, &id)
    })
    .await
}

/// A project's records, each with the record that superseded it; the caller may see the project.
pub(crate) fn history_of(conn: &mut DbConn, id: &str) -> AppResult<AcceptanceHistory> {
    let rows = acceptances::history(conn, id)?;
    let history = rows
        .iter()
        .enumerate()
        .map(|(i, r)| record_view(r, rows.get(i + 1).map(|next| next.id.as_str())))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(AcceptanceHistory { current: history.last().cloned(), history })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PortfolioQuery {
    /// The current record's conclusion: passed, passed_with_conditions or failed.
    #[param(value_type = Option<Conclusion>)]
    result: Option<String>,
    /// base or studio.
    #[param(value_type = Option<ProjectKind>)]
    kind: Option<String>,
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `csv` for a spreadsheet of every item (or of `limit` items); JSON otherwise.
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// Each project's current acceptance record, by project id, with filters.
///
/// Roles: hr, finance, inspector.
#[utoipa::path(get, path = "/acceptances", tag = "acceptance", operation_id = "list_acceptances", params(PortfolioQuery), security(("bearer" = [])),
    responses((status = 200, content((Paged<AcceptanceRecord> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "`forbidden`: not hr, finance or inspector", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: an unknown `result`, `kind` or `format`; `limit` out of 1..500", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, caller: Caller, q: web::Query<PortfolioQuery>) -> AppResult<HttpResponse> {
    caller.require(&PORTFOLIO)?;
    let q = q.into_inner();
    if let Some(r) = q.result.as_deref().filter(|r| Conclusion::parse(r).is_none()) {
        return Err(AppError::field("result", format!("'{r}' is not passed, passed_with_conditions or failed")));
    }
    super::projects::known_filters(&q.kind, &None)?;
    let page = Page { limit: q.limit, cursor: q.cursor, format: q.format };
    let csv = super::Format { format: page.format.clone() }.is_csv()?;
    let limit = super::tables::limit(&page, csv)?;
    let after = page.after();
    let body = db(&state, move |conn| {
        let rows = acceptances::current_of_all(conn, q.kind.as_deref())?;
        let items = rows
            .iter()
            .map(|(r, _)| r)
            .filter(|r| r.project_id > after && q.result.as_ref().is_none_or(|want| *want == r.conclusion))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|r| record_view(r, None))
            .collect::<AppResult<Vec<_>>>()?;
        Ok(paged(items, limit, |v: &Value| v["project_id"].as_str().unwrap_or_default().to_string()))
    })
    .await?;
    if csv {
        return super::tables::csv("acceptances", &super::tables::ACCEPTANCE, &body.items);
    }
    Ok(HttpResponse::Ok().json(body))
}
