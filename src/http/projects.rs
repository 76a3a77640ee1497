//! Project registration, reading and lifecycle.
use super::accounts::check;
use super::routes::Routes;
use super::{db, paged, Page, State};
use crate::app::{self, projects::ChangeStatus};
use crate::auth::{Caller, Role};
use crate::db::DbConn;
use crate::domain::chart;
use crate::domain::eligibility::{self, FieldError, Leader};
use crate::domain::kind::ProjectKind;
use crate::domain::status::ProjectStatus;
use crate::error::{AppError, AppResult};
use crate::store::projects::{self, ListFilter, NewProject, ProjectRow};
use crate::store::{people, unit};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
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

/// Loads a project the caller may see; for a unit, another org's project does not exist.
pub fn visible(conn: &mut DbConn, caller: &Caller, id: &str) -> AppResult<ProjectRow> {
    let p = projects::get(conn, id)?;
    if !caller.sees_org(&p.org_id) {
        return Err(AppError::not_found("project"));
    }
    Ok(p)
}

pub fn view(p: &ProjectRow, chart: Option<&[chart::AccountDef]>) -> Value {
    let mut v = json!({
        "id": p.id, "kind": p.kind, "name": p.name, "org_id": p.org_id, "start_date": p.start_date,
        "end_date": p.end_date, "fund_source": p.fund_source,
        "specialties": serde_json::from_str::<Value>(&p.specialties).unwrap_or(Value::Null),
        "leader": p.leader.as_deref().and_then(|l| serde_json::from_str::<Value>(l).ok()),
        "grant": p.grant().to_string(), "status": p.status, "created_at": p.created_at,
    });
    if let Some(c) = chart {
        v["accounts"] = json!(c);
    }
    v
}

#[derive(Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct Register {
    kind: String,
    #[validate(length(min = 1, max = 200, message = "1 to 200 characters"))]
    name: String,
    org_id: String,
    start_date: String,
    fund_source: String,
    #[serde(default)]
    specialties: Vec<String>,
    leader: Option<Leader>,
}

async fn register(state: State, caller: Caller, body: web::Json<Register>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Hr])?;
    let mut b = body.into_inner();
    b.name = b.name.trim().to_string();
    check(&b)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let kind = ProjectKind::parse(&b.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "must be base or studio"));
    }
    if !FUND_SOURCES.contains(&b.fund_source.as_str()) {
        errors.push(FieldError::new("fund_source", format!("one of {}", FUND_SOURCES.join(", "))));
    }
    let start = super::parse_date("start_date", &b.start_date)?;
    match kind {
        Some(ProjectKind::Base) => errors.extend(eligibility::check_specialties(&b.specialties)),
        Some(ProjectKind::Studio) => match &b.leader {
            None => errors.push(FieldError::new("leader", "a studio needs a leader")),
            Some(l) => errors.extend(eligibility::check_leader(l, start)),
        },
        None => {}
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let kind = kind.unwrap_or(ProjectKind::Base);
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
    let body = db(&state, move |conn| {
        let id = projects::register(conn, &actor, new)?;
        let p = projects::get(conn, &id)?;
        let c = projects::chart_of(conn, &id)?;
        Ok(view(&p, Some(&c)))
    })
    .await?;
    Ok(HttpResponse::Created().json(body))
}

#[derive(Deserialize)]
struct ListQuery {
    kind: Option<String>,
    status: Option<String>,
    org_id: Option<String>,
    region: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
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

async fn list(state: State, caller: Caller, q: web::Query<ListQuery>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = Page { limit: q.limit, cursor: q.cursor };
    let limit = page.limit()?;
    let body = db(&state, move |conn| {
        let org_ids = org_scope(conn, &caller, q.org_id, q.region)?;
        let f = ListFilter { kind: q.kind, status: q.status, org_ids, after: page.after(), limit };
        let rows = projects::list(conn, &f)?;
        Ok(paged(rows.iter().map(|p| view(p, None)).collect(), limit, |v: &Value| v["id"].as_str().unwrap_or_default().to_string()))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn get(state: State, caller: Caller, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let body = db(&state, move |conn| {
        let p = visible(conn, &caller, &id)?;
        let c = projects::chart_of(conn, &id)?;
        Ok(view(&p, Some(&c)))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusChange {
    status: String,
    #[serde(default)]
    reason: String,
}

async fn change_status(state: State, caller: Caller, id: web::Path<String>, body: web::Json<StatusChange>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Hr])?;
    let b = body.into_inner();
    let to = ProjectStatus::parse(&b.status).ok_or_else(ChangeStatus::not_settable)?;
    let cmd = ChangeStatus::new(to, &b.reason)?;
    let (id, actor) = (id.into_inner(), caller.actor());
    let body = db(&state, move |conn| {
        let project = unit::under_lock(conn, &id, |conn, l| app::projects::change_status(conn, l, &actor, cmd))?;
        Ok(view(&project, None))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeaderChange {
    leader: Leader,
    #[serde(default)]
    reason: String,
}

async fn replace_leader(state: State, caller: Caller, id: web::Path<String>, body: web::Json<LeaderChange>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Hr])?;
    let b = body.into_inner();
    // Eligibility is judged on the day of the change: the new leader must qualify now.
    let today = crate::domain::calendar::today();
    let errors = eligibility::check_leader(&b.leader, today);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let (id, actor) = (id.into_inner(), caller.actor());
    let body = db(&state, move |conn| {
        projects::replace_leader(conn, &actor, &id, &b.leader, b.reason.trim())?;
        Ok(view(&projects::get(conn, &id)?, None))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    name: String,
    #[serde(default)]
    reason: String,
}

async fn rename(state: State, caller: Caller, id: web::Path<String>, body: web::Json<Rename>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Hr])?;
    let b = body.into_inner();
    let name = b.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::field("name", "1 to 200 characters"));
    }
    let (id, actor) = (id.into_inner(), caller.actor());
    let body = db(&state, move |conn| {
        projects::rename(conn, &actor, &id, &name, b.reason.trim())?;
        Ok(view(&projects::get(conn, &id)?, None))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
