//! `GET /projects/{id}/export?format=beancount|ledger|csv`: the whole journal of one project.
use super::openapi::Problem;
use super::projects::visible;
use super::routes::Routes;
use super::{csv_response, db, Format, State};
use crate::auth::Caller;
use crate::domain::export::{self, ExportFormat, CSV_HEADER};
use crate::error::{AppError, AppResult};
use crate::store::export::journal;
use crate::store::snapshot;
use actix_web::{web, HttpResponse};

pub fn routes(r: &mut Routes) {
    r.get("/projects/{id}/export", export);
}

/// The project's whole journal as beancount, ledger-cli or CSV text; `bean-check`, `ledger` and
/// `hledger` accept it and its balances equal the service's.
///
/// Roles: any role that may read the project; a unit for its own projects.
#[utoipa::path(get, path = "/projects/{id}/export", tag = "statements", operation_id = "export_journal", params(("id" = String, Path), Format), security(("bearer" = [])),
    responses((status = 200, content((String = "text/plain"), (String = "text/csv"))),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `format` missing or not beancount, ledger or csv", body = Problem, content_type = "application/problem+json")))]
pub async fn export(state: State, caller: Caller, id: web::Path<String>, q: web::Query<Format>) -> AppResult<HttpResponse> {
    let names = ExportFormat::NAMES.join(", ");
    let format = match q.format.as_deref() {
        None | Some("") => return Err(AppError::field("format", format!("required: one of {names}"))),
        Some(f) => ExportFormat::parse(f).ok_or_else(|| AppError::field("format", format!("'{f}' is not one of {names}")))?,
    };
    let id = id.into_inner();
    let j = db(&state, move |conn| {
        snapshot(conn, |conn| {
            let p = visible(conn, &caller, &id)?;
            journal(conn, p)
        })
    })
    .await?;
    let filename = format!("project-{}-journal.{}", file_safe(&j.project.id), format.extension());
    let text = match format {
        ExportFormat::Csv => return csv_response(&filename, &CSV_HEADER, export::csv_rows(&j)),
        ExportFormat::Beancount => export::beancount(&j),
        ExportFormat::Ledger => export::ledger(&j),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{filename}\"")))
        .body(text))
}

/// Project ids are UUIDs; anything else is kept out of the header all the same.
fn file_safe(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}
