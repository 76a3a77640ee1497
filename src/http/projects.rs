//! Project registration, reading and lifecycle.
use super::accounts::field_errors;
use super::openapi::Problem;
use super::routes::Routes;
use super::{db, paged, Page, Paged, State};
use crate::app::{self, projects::ChangeStatus};
use crate::auth::{Caller, Role};
use crate::db::DbConn;
use crate::domain::chart;
use crate::domain::eligibility::{self, FieldError, Leader};
use crate::domain::kind::ProjectKind;
use crate::domain::money::Money;
use crate::domain::status::ProjectStatus;
use crate::error::{AppError, AppResult};
use crate::store::projects::{self, ListFilter, NewProject};
use crate::store::rows::ProjectRow;
use crate::store::{people, unit};
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub fn routes(r: &mut Routes) {
    r.post("/projects", register)
        .get("/projects", list)
        .get("/projects/{id}", get)
        .post("/projects/{id}/status", change_status)
        .post("/projects/{id}/leader", replace_leader)
        .post("/projects/{id}/name", rename);
}

pub const FUND_SOURCES: [&str; 2] = ["demonstration_matching", "employment_talent_fund"];

/// Loads a project the caller may see; for a unit, another org's project does not exist. Every
/// read of a project and its books goes through here, so the roles that read books are decided
/// here too (`Caller::require_books`: admin reads none), before the project is even looked up.
pub fn visible(conn: &mut DbConn, caller: &Caller, id: &str) -> AppResult<ProjectRow> {
    caller.require_books()?;
    let p = projects::get(conn, id)?;
    if !caller.sees_org(&p.org_id) {
        return Err(AppError::not_found("project"));
    }
    Ok(p)
}

/// A project as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct ProjectView {
    id: String,
    kind: ProjectKind,
    name: String,
    org_id: String,
    #[schema(value_type = String, format = Date)]
    start_date: NaiveDate,
    /// The last day of the period: start + 2 years (base) or 1 year (studio), less one day.
    #[schema(value_type = String, format = Date)]
    end_date: NaiveDate,
    fund_source: String,
    specialties: Vec<String>,
    /// A studio's leader.
    leader: Option<Leader>,
    grant: Money,
    status: ProjectStatus,
    created_at: String,
    /// The project's chart of accounts (on a single project, not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    accounts: Option<Vec<chart::AccountDef>>,
}

impl ProjectView {
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Specialties and the leader are stored as JSON written by this service; unreadable text is
/// an internal error, not an empty list.
pub fn view(p: &ProjectRow, chart: Option<&[chart::AccountDef]>) -> AppResult<ProjectView> {
    let specialties = serde_json::from_str(&p.specialties).map_err(|e| AppError::internal(format!("project {} specialties: {e}", p.id)))?;
    let leader = p
        .leader
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| AppError::internal(format!("project {} leader: {e}", p.id)))?;
    Ok(ProjectView {
        id: p.id.clone(),
        kind: p.kind,
        name: p.name.clone(),
        org_id: p.org_id.clone(),
        start_date: p.start_date,
        end_date: p.end_date,
        fund_source: p.fund_source.clone(),
        specialties,
        leader,
        grant: p.grant(),
        status: p.status,
        created_at: p.created_at.clone(),
        accounts: chart.map(|c| c.to_vec()),
    })
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    #[schema(value_type = ProjectKind)]
    pub(crate) kind: String,
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters"))]
    pub(crate) name: String,
    pub(crate) org_id: String,
    #[schema(value_type = String, format = Date, example = "2025-03-01")]
    pub(crate) start_date: String,
    /// demonstration_matching or employment_talent_fund.
    pub(crate) fund_source: String,
    /// A base's specialties: at least 3.
    #[serde(default)]
    pub(crate) specialties: Vec<String>,
    /// A studio's leader: technician level or above, under 65 at the start (68 for an ethnic skill heir).
    pub(crate) leader: Option<Leader>,
}

/// Register an approved project: its grant, period and chart of accounts come with it, and the
/// allocation voucher (Dr 1221 / Cr 2401, the whole grant) is posted.
///
/// Roles: hr.
#[utoipa::path(post, path = "/projects", tag = "projects", operation_id = "register_project", request_body = Register, security(("bearer" = [])),
    responses((status = 201, body = ProjectView),
        (status = 403, description = "`forbidden`: not hr", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: each failed eligibility rule (fewer than 3 specialties; leader below technician level or too old), an unknown kind, fund source or organisation", body = Problem, content_type = "application/problem+json")))]
pub async fn register(state: State, caller: Caller, body: web::Json<Register>) -> AppResult<HttpResponse> {
    let body = register_project(&state, &caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(body))
}

/// The registration itself, for the API and the console's form alike.
pub(crate) async fn register_project(state: &State, caller: &Caller, mut b: Register) -> AppResult<ProjectView> {
    caller.require(&[Role::Hr])?;
    b.name = b.name.trim().to_string();
    // Every failed rule at once, so a form can mark all its wrong fields in one round.
    let mut errors: Vec<FieldError> = field_errors(&b);
    let kind = ProjectKind::parse(&b.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "must be base or studio"));
    }
    if !FUND_SOURCES.contains(&b.fund_source.as_str()) {
        errors.push(FieldError::new("fund_source", format!("one of {}", FUND_SOURCES.join(", "))));
    }
    let start = match super::parse_date("start_date", &b.start_date) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.extend(e.field_errors());
            None
        }
    };
    match (kind, &b.leader, start) {
        (Some(ProjectKind::Base), _, _) => errors.extend(eligibility::check_specialties(&b.specialties)),
        (Some(ProjectKind::Studio), None, _) => errors.push(FieldError::new("leader", "a studio needs a leader")),
        (Some(ProjectKind::Studio), Some(l), Some(start)) => errors.extend(eligibility::check_leader(l, start)),
        // The leader is judged on the start date, once there is one.
        (Some(ProjectKind::Studio), Some(_), None) | (None, _, _) => {}
    }
    let (Some(kind), Some(start), true) = (kind, start, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let (grant, years) = state.settings.grant(kind).map_err(AppError::internal)?;
    let new = NewProject {
        kind,
        name: b.name,
        org_id: b.org_id,
        start_date: start,
        end_date: eligibility::end_date(start, years),
        fund_source: b.fund_source,
        specialties: b.specialties.iter().map(|s| s.trim().to_string()).collect(),
        leader: if kind == ProjectKind::Studio { b.leader } else { None },
        grant,
        chart: chart::accounts_for(kind, &state.rules),
    };
    let actor = caller.actor();
    db(state, move |conn| {
        let id = projects::register(conn, &actor, new)?;
        let p = projects::get(conn, &id)?;
        let c = projects::chart_of(conn, &id)?;
        view(&p, Some(&c))
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// base or studio.
    #[param(value_type = Option<ProjectKind>)]
    kind: Option<String>,
    /// active, suspended, cancelled, completed, acceptance_failed or closed.
    status: Option<String>,
    org_id: Option<String>,
    /// The organisation's region, e.g. 红山区.
    region: Option<String>,
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    cursor: Option<String>,
    /// `csv` for a spreadsheet; JSON otherwise.
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// The org ids a listing is limited to: the caller's own for a unit, and those of a region.
pub fn org_scope(conn: &mut DbConn, caller: &Caller, org_id: Option<String>, region: Option<String>) -> AppResult<Option<Vec<String>>> {
    let mut scope: Option<Vec<String>> = org_id.map(|o| vec![o]);
    if let Some(region) = region {
        let in_region: Vec<String> =
            people::list_orgs(conn, "", i64::MAX)?.into_iter().filter(|o| o.region == region).map(|o| o.id).collect();
        scope = Some(match scope {
            Some(s) => s.into_iter().filter(|o| in_region.contains(o)).collect(),
            None => in_region,
        });
    }
    if caller.role == Role::Unit {
        let own = caller.org_id.clone().unwrap_or_default();
        scope = Some(scope.map(|s| s.into_iter().filter(|o| *o == own).collect()).unwrap_or_else(|| vec![own]));
    }
    Ok(scope)
}

/// A `kind` or `status` filter must name one: an unknown value is a typing slip, which an empty
/// list would hide.
pub(crate) fn known_filters(kind: &Option<String>, status: &Option<String>) -> AppResult<()> {
    if let Some(k) = kind.as_deref().filter(|k| crate::domain::kind::ProjectKind::parse(k).is_none()) {
        return Err(AppError::field("kind", format!("'{k}' is not base or studio")));
    }
    if let Some(s) = status.as_deref().filter(|s| crate::domain::status::ProjectStatus::parse(s).is_none()) {
        let all: Vec<&str> = crate::domain::status::ProjectStatus::ALL.iter().map(|s| s.as_str()).collect();
        return Err(AppError::field("status", format!("'{s}' is not one of {}", all.join(", "))));
    }
    Ok(())
}

/// List projects, by id, with filters.
///
/// Roles: hr, finance, inspector; a unit sees only its organisation's projects.
#[utoipa::path(get, path = "/projects", tag = "projects", operation_id = "list_projects", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, content((Paged<ProjectView> = "application/json"), (String = "text/csv"))),
        (status = 403, description = "`forbidden`: admin (admin reads no books)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` out of 1..500, an unknown `format`, `kind` or `status`", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, caller: Caller, q: web::Query<ListQuery>) -> AppResult<HttpResponse> {
    caller.require_books()?;
    let q = q.into_inner();
    known_filters(&q.kind, &q.status)?;
    let page = Page { limit: q.limit, cursor: q.cursor, format: q.format };
    let csv = super::Format { format: page.format.clone() }.is_csv()?;
    let limit = super::tables::limit(&page, csv)?;
    let body = db(&state, move |conn| {
        let org_ids = org_scope(conn, &caller, q.org_id, q.region)?;
        let f = ListFilter { kind: q.kind, status: q.status, org_ids, after: page.after(), limit };
        let rows = projects::list(conn, &f)?;
        let views = rows.iter().map(|p| view(p, None)).collect::<AppResult<Vec<_>>>()?;
        Ok(paged(views, limit, |v: &ProjectView| v.id.clone()))
    })
    .await?;
    if csv {
        return super::tables::csv("projects", &super::tables::PROJECT, &body.items);
    }
    Ok(HttpResponse::Ok().json(body))
}

/// One project, with its chart of accounts.
///
/// Roles: hr, finance, inspector; a unit only its organisation's (admin reads no books: 403).
#[utoipa::path(get, path = "/projects/{id}", tag = "projects", operation_id = "get_project", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ProjectView),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: State, caller: Caller, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let body = db(&state, move |conn| {
        let p = visible(conn, &caller, &id)?;
        let c = projects::chart_of(conn, &id)?;
        view(&p, Some(&c))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// suspended, active, cancelled or completed (closed comes only from recovery).
    #[schema(value_type = ProjectStatus)]
    pub(crate) status: String,
    #[serde(default)]
    #[schema(example = "建设单位注销")]
    pub(crate) reason: String,
}

/// Change a project's status.
///
/// Active ⇄ suspended, active or suspended → cancelled, active → completed; the change is recorded
/// on the project's audit chain.
///
/// Roles: hr.
#[utoipa::path(post, path = "/projects/{id}/status", tag = "projects", operation_id = "change_project_status", request_body = StatusChange,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ProjectView),
        (status = 403, description = "`forbidden`: not hr", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`: not a change the project's current status allows (with `from`, `to`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a status hr does not set, or no reason", body = Problem, content_type = "application/problem+json")))]
pub async fn change_status(state: State, caller: Caller, id: web::Path<String>, body: web::Json<StatusChange>) -> AppResult<HttpResponse> {
    let body = set_status(&state, &caller, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// The status change itself, for the API and the console's form alike.
pub(crate) async fn set_status(state: &State, caller: &Caller, id: String, b: StatusChange) -> AppResult<ProjectView> {
    caller.require(&[Role::Hr])?;
    let to = ProjectStatus::parse(&b.status).ok_or_else(ChangeStatus::not_settable)?;
    let cmd = ChangeStatus::new(to, &b.reason)?;
    let actor = caller.actor();
    db(state, move |conn| {
        let project = unit::under_lock(conn, &id, |conn, l| app::projects::change_status(conn, l, &actor, cmd))?;
        view(&project, None)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaderChange {
    pub(crate) leader: Leader,
    #[serde(default)]
    pub(crate) reason: String,
}

/// Replace a studio's leader (§8.2); the new leader must qualify on the day of the change.
///
/// Roles: hr.
#[utoipa::path(post, path = "/projects/{id}/leader", tag = "projects", params(("id" = String, Path)), request_body = LeaderChange, security(("bearer" = [])),
    responses((status = 200, body = ProjectView),
        (status = 403, description = "`forbidden`: not hr", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`: not a studio; `project_not_active`: the project is not active or suspended", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the new leader does not qualify", body = Problem, content_type = "application/problem+json")))]
pub async fn replace_leader(state: State, caller: Caller, id: web::Path<String>, body: web::Json<LeaderChange>) -> AppResult<HttpResponse> {
    let body = set_leader(&state, &caller, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// The leader change itself, for the API and the console's form alike.
pub(crate) async fn set_leader(state: &State, caller: &Caller, id: String, b: LeaderChange) -> AppResult<ProjectView> {
    caller.require(&[Role::Hr])?;
    // Eligibility is judged on the day of the change: the new leader must qualify now.
    let today = crate::domain::calendar::today();
    let errors = eligibility::check_leader(&b.leader, today);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let actor = caller.actor();
    db(state, move |conn| {
        projects::replace_leader(conn, &actor, &id, &b.leader, b.reason.trim())?;
        view(&projects::get(conn, &id)?, None)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) reason: String,
}

/// Rename the project after its unit was renamed (§8.2).
///
/// Roles: hr.
#[utoipa::path(post, path = "/projects/{id}/name", tag = "projects", params(("id" = String, Path)), request_body = Rename, security(("bearer" = [])),
    responses((status = 200, body = ProjectView),
        (status = 403, description = "`forbidden`: not hr", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a blank or over-long name", body = Problem, content_type = "application/problem+json")))]
pub async fn rename(state: State, caller: Caller, id: web::Path<String>, body: web::Json<Rename>) -> AppResult<HttpResponse> {
    let body = set_name(&state, &caller, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// The rename itself, for the API and the console's form alike.
pub(crate) async fn set_name(state: &State, caller: &Caller, id: String, b: Rename) -> AppResult<ProjectView> {
    caller.require(&[Role::Hr])?;
    let name = b.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::field("name", "1 to 200 characters"));
    }
    let actor = caller.actor();
    db(state, move |conn| {
        projects::rename(conn, &actor, &id, &name, b.reason.trim())?;
        view(&projects::get(conn, &id)?, None)
    })
    .await
}
