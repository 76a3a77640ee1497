//! Annual reports: the unit files the year's work and next year's plan; everyone who may read the
//! project reads them, with the plan's output targets checked.
use super::accounts::check;
use super::openapi::Problem;
use super::projects::visible;
use super::routes::Routes;
use super::{db, Paged, State};
use crate::auth::{Caller, Role};
use crate::domain::{calendar, reporting};
use crate::error::{AppError, AppResult};
use crate::store::reports::{self, NewReport};
use crate::store::rows::{ProjectRow, Report};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub fn routes(r: &mut Routes) {
    r.post("/projects/{id}/annual-reports", file).get("/projects/{id}/annual-reports", list);
}

/// A filed report with the plan's targets for its project year.
#[derive(Serialize, ToSchema)]
pub struct ReportView {
    pub(crate) report: Report,
    /// The plan's outputs for that year; null for a base's first year (judged by people).
    pub(crate) targets: Option<reporting::Targets>,
    pub(crate) meets_targets: Option<bool>,
    /// Filed after 31 December (Chifeng time); null if the filing time is unreadable.
    pub(crate) late: Option<bool>,
}

pub(crate) fn view(p: &ProjectRow, r: &Report) -> ReportView {
    let targets = reporting::targets(p.kind(), reporting::project_year(p.start(), r.year));
    ReportView { report: r.clone(), targets, meets_targets: reporting::meets(targets, r.trained_total, r.trained_advanced), late: late(r) }
}

/// Due by the end of December in Chifeng, so the filing date is Chifeng's. `filed_at` is always
/// written by store::now(); were it unreadable, lateness is unknown (None).
fn late(r: &Report) -> Option<bool> {
    calendar::local_date_of(&r.filed_at).map(|d| reporting::is_late(r.year, d))
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileReport {
    /// A calendar year of the project's period that has begun.
    #[schema(minimum = 2000, maximum = 2099)]
    pub(crate) year: i32,
    #[validate(length(min = 1, max = 5000, message = "1 to 5000 characters"))]
    #[schema(min_length = 1, max_length = 5000)]
    pub(crate) summary: String,
    #[validate(length(min = 1, max = 5000, message = "1 to 5000 characters"))]
    #[schema(min_length = 1, max_length = 5000)]
    pub(crate) next_year_plan: String,
    /// People trained in the year (person-times for a base, young backbone for a studio).
    #[schema(minimum = 0, maximum = 1000000)]
    pub(crate) trained_total: i32,
    /// Of them, at advanced-worker level or above.
    #[schema(minimum = 0, maximum = 1000000)]
    pub(crate) trained_advanced: i32,
}

/// File the year's report (§8.3): one per year, due by the end of December.
///
/// Roles: unit (its own projects).
#[utoipa::path(post, path = "/projects/{id}/annual-reports", tag = "reports", operation_id = "file_annual_report", params(("id" = String, Path)), request_body = FileReport, security(("bearer" = [])),
    responses((status = 201, body = ReportView),
        (status = 403, description = "`forbidden`: not a unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_exists`: that year's report was filed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: blank text, negative counts, advanced above total, or a year outside the period or not yet begun", body = Problem, content_type = "application/problem+json")))]
pub async fn file(state: State, caller: Caller, id: web::Path<String>, body: web::Json<FileReport>) -> AppResult<HttpResponse> {
    let body = file_report(&state, caller, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(body))
}

/// Files a report: the API's route and the console's report form.
pub(crate) async fn file_report(state: &State, caller: Caller, id: String, mut b: FileReport) -> AppResult<ReportView> {
    caller.require(&[Role::Unit])?;
    (b.summary, b.next_year_plan) = (b.summary.trim().to_string(), b.next_year_plan.trim().to_string());
    check(&b)?;
    let actor = caller.actor();
    db(state, move |conn| {
        let p = visible(conn, &caller, &id)?;
        let errors = reporting::check(b.year, p.start(), p.end(), calendar::today(), b.trained_total, b.trained_advanced);
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let new = NewReport {
            year: b.year,
            summary: b.summary,
            next_year_plan: b.next_year_plan,
            trained_total: b.trained_total,
            trained_advanced: b.trained_advanced,
        };
        let r = reports::file(conn, &actor, &id, new)?;
        Ok(view(&p, &r))
    })
    .await
}

/// The project's annual reports, by year (all of them: one page).
///
/// Roles: any role that may read the project; a unit for its own projects.
#[utoipa::path(get, path = "/projects/{id}/annual-reports", tag = "reports", operation_id = "list_annual_reports", params(("id" = String, Path), super::Format), security(("bearer" = [])),
    responses((status = 200, content((Paged<ReportView> = "application/json"), (String = "text/csv"))),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a `format` other than json or csv", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, caller: Caller, id: web::Path<String>, q: web::Query<super::Format>) -> AppResult<HttpResponse> {
    let csv = q.is_csv()?;
    let items = reports_of(&state, caller, id.into_inner()).await?;
    if csv {
        return super::tables::csv("annual-reports", &super::tables::REPORT, &items);
    }
    Ok(HttpResponse::Ok().json(Paged { items, next_cursor: None }))
}

/// A project's filed reports with their targets: the API's list and the console's report page.
pub(crate) async fn reports_of(state: &State, caller: Caller, id: String) -> AppResult<Vec<ReportView>> {
    db(state, move |conn| {
        let p = visible(conn, &caller, &id)?;
        Ok(reports::list(conn, &id)?.iter().map(|r| view(&p, r)).collect())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filed_at(year: i32, at: &str) -> Report {
        Report {
            id: "r".into(),
            project_id: "p".into(),
            year,
            summary: String::new(),
            next_year_plan: String::new(),
            trained_total: 0,
            trained_advanced: 0,
            filed_by: "u".into(),
            filed_at: at.into(),
        }
    }

    #[test]
    fn lateness_is_judged_on_chifeng_s_date() {
        // 16:30 UTC on 31 December is already 1 January in Chifeng (UTC+8).
        assert_eq!(late(&filed_at(2025, "2025-12-31T16:30:00.000000Z")), Some(true));
        assert_eq!(late(&filed_at(2025, "2025-12-31T15:59:59.999999Z")), Some(false));
        assert_eq!(late(&filed_at(2025, "not a time")), None);
    }
}
