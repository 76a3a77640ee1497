//! The audit trail for inspectors: per project, and the global chain.
use super::openapi::Problem;
use super::projects::visible;
use super::routes::Routes;
use super::{csv_response, db, paged, with_pool, Page, Paged, State};
use crate::auth::{Caller, Role};
use crate::domain::audit::{Event, Verification};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Filter};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

pub fn routes(r: &mut Routes) {
    r.get("/projects/{id}/audit-trail", project_trail)
        .get("/projects/{id}/audit-trail/verify", project_verify)
        .get("/audit-trail", global_trail)
        .get("/audit-trail/verify", global_verify);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrailQuery {
    /// Events at or after: a date (start of that day, UTC) or an RFC 3339 time.
    from: Option<String>,
    /// Events at or before: a date (end of that day, UTC) or an RFC 3339 time.
    to: Option<String>,
    /// Only this action, e.g. `voucher.posted`.
    action: Option<String>,
    /// 1 to 500, default 50; downloads (csv, jsonl) are the whole filtered trail unless a limit is given.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page (a seq).
    #[param(pattern = "^[0-9]{1,18}$")]
    cursor: Option<String>,
    /// json (default, paged), csv or jsonl (one event per line).
    #[param(pattern = "^(json|csv|jsonl)$")]
    format: Option<String>,
}

impl TrailQuery {
    fn filter(&self) -> AppResult<Filter> {
        if !matches!(self.format.as_deref(), None | Some("json" | "csv" | "jsonl")) {
            return Err(AppError::field("format", "one of json, csv, jsonl"));
        }
        let page = Page { limit: self.limit, cursor: None, format: None };
        let limit = match (self.limit, self.format.as_deref()) {
            // Downloads are the whole (filtered) chain.
            (None, Some("csv" | "jsonl")) => i64::MAX,
            _ => page.limit()?,
        };
        let after_seq = match &self.cursor {
            None => 0,
            Some(c) => c.parse().map_err(|_| AppError::field("cursor", "not a cursor from this listing"))?,
        };
        let from = self.from.as_deref().map(|t| instant("from", t, false)).transpose()?;
        let to = self.to.as_deref().map(|t| instant("to", t, true)).transpose()?;
        Ok(Filter { from, to, action: self.action.clone(), after_seq, limit })
    }
}

/// A bound on `at` as the events store it (RFC 3339 in UTC, microseconds), from a date (the
/// start or the end of that day, UTC) or an RFC 3339 instant in any offset.
fn instant(field: &str, text: &str, end_of_day: bool) -> AppResult<String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        let t = t.with_timezone(&chrono::Utc);
        super::in_range(field, t.date_naive())?;
        return Ok(crate::store::stamp(t));
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| AppError::field(field, "a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    let day = super::in_range(field, day)?;
    let time = if end_of_day { "23:59:59.999999" } else { "00:00:00.000000" };
    Ok(format!("{day}T{time}Z"))
}

fn respond(events: Vec<crate::domain::audit::Event>, q: &TrailQuery, limit: i64) -> AppResult<HttpResponse> {
    match q.format.as_deref() {
        Some("csv") => {
            let rows = events
                .iter()
                .map(|e| {
                    vec![
                        e.seq.to_string(),
                        e.at.clone(),
                        e.actor.username.clone(),
                        e.actor.role.clone(),
                        e.action.clone(),
                        e.object.clone(),
                        e.data.to_string(),
                        e.prev_hash.clone(),
                        e.hash.clone(),
                        e.canonical.clone(),
                    ]
                })
                .collect();
            csv_response(
                "audit-trail.csv",
                &["seq", "at", "username", "role", "action", "object", "data", "prev_hash", "hash", "canonical"],
                rows,
            )
        }
        Some("jsonl") => {
            let body: String = events.iter().map(|e| format!("{}\n", json!(e))).collect();
            Ok(HttpResponse::Ok().content_type("application/x-ndjson; charset=utf-8").body(body))
        }
        _ => Ok(HttpResponse::Ok().json(paged(events, limit, |e| e.seq.to_string()))),
    }
}

pub const TRAIL_READERS: [Role; 4] = [Role::Inspector, Role::Finance, Role::Hr, Role::Unit];

/// The project's audit trail: every change and every refused money movement, hash-chained.
/// Each event's `hash` is SHA-256 of its `canonical` text (RFC 8785), which includes `prev_hash`.
///
/// Roles: inspector, finance, hr; a unit for its own projects.
#[utoipa::path(get, path = "/projects/{id}/audit-trail", tag = "audit", params(("id" = String, Path), TrailQuery), security(("bearer" = [])),
    responses((status = 200, content((Paged<Event> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 403, description = "`forbidden`: admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a bound, format, limit or cursor that does not parse", body = Problem, content_type = "application/problem+json")))]
pub async fn project_trail(state: State, caller: Caller, id: web::Path<String>, q: web::Query<TrailQuery>) -> AppResult<HttpResponse> {
    caller.require(&TRAIL_READERS)?;
    let f = q.filter()?;
    let (id, limit) = (id.into_inner(), f.limit);
    let events = db(&state, move |conn| {
        visible(conn, &caller, &id)?;
        audit::list(conn, &id, &f)
    })
    .await?;
    respond(events, &q, limit)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// A checkpoint kept from `…/audit-trail/checkpoint` (the whole signed note, URL-encoded):
    /// the first `size` events must still be those it was signed over.
    checkpoint: Option<String>,
    /// A project's chain only: also re-hash every stored document the chain recorded
    /// (`attachment.added`) and report one whose bytes changed.
    documents: Option<bool>,
}

/// The verification, with the documents' check when `documents=true` was asked.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ProjectVerification {
    #[serde(flatten)]
    pub verification: Verification,
    /// With `documents=true`: the documents re-hashed, and those changed or never recorded (any
    /// makes `valid` false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<crate::domain::document::DocumentsCheck>,
}

impl VerifyQuery {
    fn kept(&self, state: &State, chain_id: &str) -> AppResult<Option<crate::domain::checkpoint::Kept>> {
        self.checkpoint
            .as_deref()
            .map(|text| state.notary.open(chain_id, text).map_err(|e| AppError::field("checkpoint", e.to_string())))
            .transpose()
    }
}

/// Re-hashes the project's whole chain and checks every link; recomputes its Merkle tree and
/// compares the root with the one recorded and, with `checkpoint`, with a checkpoint kept
/// earlier (a rewrite or a cut since is reported). With `documents=true` every stored document
/// is re-hashed against the sha256 its `attachment.added` event recorded.
///
/// Roles: inspector, finance, hr; a unit for its own projects.
#[utoipa::path(get, path = "/projects/{id}/audit-trail/verify", tag = "audit", params(("id" = String, Path), VerifyQuery), security(("bearer" = [])),
    responses((status = 200, body = ProjectVerification),
        (status = 422, description = "`validation_failed`: a checkpoint that is not this service's for this chain", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json")))]
pub async fn project_verify(state: State, caller: Caller, id: web::Path<String>, q: web::Query<VerifyQuery>) -> AppResult<HttpResponse> {
    caller.require(&TRAIL_READERS)?;
    let id = id.into_inner();
    let id = db(&state, move |conn| visible(conn, &caller, &id).map(|_| id)).await?;
    let kept = q.kept(&state, &id)?;
    let rehash = q.documents.unwrap_or(false);
    let store = state.documents.clone();
    let v = with_pool(&state, move |pool| {
        let mut verification = audit::verify(pool, &id, kept)?;
        let documents = match rehash {
            true => {
                let mut conn = pool.get()?;
                Some(crate::store::documents::check(&mut conn, store.as_ref(), &id)?)
            }
            false => None,
        };
        if let Some(changed) = documents.as_ref().filter(|d| !d.holds()) {
            verification.valid = false;
            verification.problem.get_or_insert_with(|| match changed.changed.first() {
                Some(c) => format!(
                    "document {} of voucher {} no longer has the bytes the chain recorded (sha256 {})",
                    c.attachment_id, c.voucher_id, c.sha256
                ),
                None => format!("attachment {} is in the table but not on the chain", changed.unrecorded[0]),
            });
        }
        Ok(ProjectVerification { verification, documents })
    })
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The global chain: events not tied to a project (users, organisations, sign-in).
///
/// Roles: inspector, admin.
#[utoipa::path(get, path = "/audit-trail", tag = "audit", params(TrailQuery), security(("bearer" = [])),
    responses((status = 200, content((Paged<Event> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 403, description = "`forbidden`: not inspector or admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a bound, format, limit or cursor that does not parse", body = Problem, content_type = "application/problem+json")))]
pub async fn global_trail(state: State, caller: Caller, q: web::Query<TrailQuery>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Inspector, Role::Admin])?;
    let f = q.filter()?;
    let limit = f.limit;
    let events = db(&state, move |conn| audit::list(conn, audit::GLOBAL, &f)).await?;
    respond(events, &q, limit)
}

/// Re-hashes the global chain and checks every link and its Merkle tree, as the project verify.
///
/// Roles: inspector, admin.
#[utoipa::path(get, path = "/audit-trail/verify", tag = "audit", params(VerifyQuery), security(("bearer" = [])),
    responses((status = 200, body = Verification),
        (status = 422, description = "`validation_failed`: a checkpoint that is not this service's for this chain", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not inspector or admin", body = Problem, content_type = "application/problem+json")))]
pub async fn global_verify(state: State, caller: Caller, q: web::Query<VerifyQuery>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Inspector, Role::Admin])?;
    if q.documents == Some(true) {
        return Err(AppError::field("documents", "documents are on a project's chain: ask the project's verify"));
    }
    let kept = q.kept(&state, audit::GLOBAL)?;
    let v = with_pool(&state, move |pool| audit::verify(pool, audit::GLOBAL, kept)).await?;
    Ok(HttpResponse::Ok().json(v))
}
