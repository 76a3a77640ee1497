//! The project archive (API.md, Output acceptance and the project archive): the unit adds
//! entries, every reader of the project lists them.
use super::openapi::Problem;
use super::projects::visible;
use super::routes::Routes;
use super::{db, Paged, State};
use crate::auth::{Caller, Role};
use crate::domain::archive::Kind;
use crate::domain::calendar;
use crate::domain::eligibility::FieldError;
use crate::error::{AppError, AppResult};
use crate::store::archive::{self, NewEntry};
use crate::store::rows::ArchiveEntry;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn routes(r: &mut Routes) {
    r.post("/projects/{id}/archive", add).get("/projects/{id}/archive", list);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryIn {
    #[schema(value_type = Kind)]
    pub(crate) kind: String,
    /// The day of the activity, achievement or photograph; not after today.
    #[schema(value_type = String, format = Date, example = "2025-06-18")]
    pub(crate) date: String,
    #[schema(min_length = 1, max_length = 200, example = "举办全市焊工技能竞赛")]
    pub(crate) title: String,
    #[schema(min_length = 1, max_length = 10000)]
    pub(crate) text: String,
}

/// Add an entry to the project's archive (成员信息、重大活动记录、工作业绩、工作总结、影像资料).
/// Entries are recorded on the project's audit chain and never change. (Documents — the images
/// themselves, scanned reports — attach once stored documents exist.)
///
/// Roles: unit (its own projects).
#[utoipa::path(post, path = "/projects/{id}/archive", tag = "acceptance", operation_id = "add_archive_entry", request_body = EntryIn,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = ArchiveEntry),
        (status = 403, description = "`forbidden`: not a unit", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: an unknown kind, a bad date or one after today or before the project started, a blank or over-long title or text", body = Problem, content_type = "application/problem+json")))]
pub async fn add(state: State, caller: Caller, id: web::Path<String>, body: web::Json<EntryIn>) -> AppResult<HttpResponse> {
    let body = add_entry(&state, caller, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(body))
}

/// Adds an entry: the API's route and the console's form.
pub(crate) async fn add_entry(state: &State, caller: Caller, id: String, b: EntryIn) -> AppResult<ArchiveEntry> {
    caller.require(&[Role::Unit])?;
    let mut errors = Vec::new();
    let kind = Kind::parse(&b.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", format!("one of {}", Kind::names())));
    }
    let date = super::parse_date("date", &b.date).map_err(|e| errors.extend(e.field_errors())).ok();
    if date.is_some_and(|d| d > calendar::today()) {
        errors.push(FieldError::new("date", "after today"));
    }
    let (title, text) = (b.title.trim().to_string(), b.text.trim().to_string());
    if title.is_empty() || title.chars().count() > 200 {
        errors.push(FieldError::new("title", "1 to 200 characters"));
    }
    if text.is_empty() || text.chars().count() > 10_000 {
        errors.push(FieldError::new("text", "1 to 10000 characters"));
    }
    let (Some(kind), Some(date), true) = (kind, date, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let actor = caller.actor();
    db(state, move |conn| {
        let p = visible(conn, &caller, &id)?;
        if date < p.start_date {
            return Err(AppError::field("date", format!("before the project started on {}", p.start_date)));
        }
        archive::add(conn, &actor, &id, NewEntry { kind: kind.as_str().to_string(), date, title, text })
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArchiveQuery {
    #[param(value_type = Option<Kind>)]
    kind: Option<String>,
    /// A calendar year, e.g. 2025.
    #[param(minimum = 2000, maximum = 2099)]
    year: Option<i32>,
    /// `csv` for a spreadsheet; JSON otherwise.
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// The project's archive by date, of one kind and year if given (all of them: one page).
///
/// Roles: hr, finance, inspector; a unit for its own projects.
#[utoipa::path(get, path = "/projects/{id}/archive", tag = "acceptance", operation_id = "list_archive", params(("id" = String, Path), ArchiveQuery), security(("bearer" = [])),
    responses((status = 200, content((Paged<ArchiveEntry> = "application/json"), (String = "text/csv"))),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: an unknown `kind` or `format`", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, caller: Caller, id: web::Path<String>, q: web::Query<ArchiveQuery>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let csv = super::Format { format: q.format.clone() }.is_csv()?;
    if let Some(k) = q.kind.as_deref().filter(|k| Kind::parse(k).is_none()) {
        return Err(AppError::field("kind", format!("'{k}' is not one of {}", Kind::names())));
    }
    let items = entries_of(&state, caller, id.into_inner(), q.kind, q.year).await?;
    if csv {
        return super::tables::csv("archive", &super::tables::ARCHIVE, &items);
    }
    Ok(HttpResponse::Ok().json(Paged { items, next_cursor: None }))
}

/// A project's archive: the API's list and the console's page.
pub(crate) async fn entries_of(
    state: &State,
    caller: Caller,
    id: String,
    kind: Option<String>,
    year: Option<i32>,
) -> AppResult<Vec<ArchiveEntry>> {
    db(state, move |conn| {
        visible(conn, &caller, &id)?;
        archive::list(conn, &id, kind.as_deref(), year)
    })
    .await
}
