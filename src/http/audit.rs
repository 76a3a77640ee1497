//! The audit trail for inspectors: per project, and the global chain.
use super::projects::visible;
use super::routes::Routes;
use super::{csv_response, db, paged, with_pool, Page, State};
use crate::auth::{Caller, Role};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Filter};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn routes(r: &mut Routes) {
    r.get("/projects/{id}/audit-trail", project_trail)
        .get("/projects/{id}/audit-trail/verify", project_verify)
        .get("/audit-trail", global_trail)
        .get("/audit-trail/verify", global_verify);
}

#[derive(Deserialize)]
struct TrailQuery {
    from: Option<String>,
    to: Option<String>,
    action: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
    format: Option<String>,
}

impl TrailQuery {
    fn filter(&self) -> AppResult<Filter> {
        if !matches!(self.format.as_deref(), None | Some("json" | "csv" | "jsonl")) {
            return Err(AppError::field("format", "one of json, csv, jsonl"));
        }
        let page = Page { limit: self.limit, cursor: None };
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
        return Ok(crate::store::stamp(t.with_timezone(&chrono::Utc)));
    }
    let day = super::parse_date(field, text).map_err(|_| AppError::field(field, "a date (YYYY-MM-DD) or an RFC 3339 time"))?;
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

const TRAIL_READERS: [Role; 4] = [Role::Inspector, Role::Finance, Role::Hr, Role::Unit];

async fn project_trail(state: State, caller: Caller, id: web::Path<String>, q: web::Query<TrailQuery>) -> AppResult<HttpResponse> {
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

async fn project_verify(state: State, caller: Caller, id: web::Path<String>) -> AppResult<HttpResponse> {
    caller.require(&TRAIL_READERS)?;
    let id = id.into_inner();
    let id = db(&state, move |conn| visible(conn, &caller, &id).map(|_| id)).await?;
    let v = with_pool(&state, move |pool| audit::verify(pool, &id)).await?;
    Ok(HttpResponse::Ok().json(v))
}

async fn global_trail(state: State, caller: Caller, q: web::Query<TrailQuery>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Inspector, Role::Admin])?;
    let f = q.filter()?;
    let limit = f.limit;
    let events = db(&state, move |conn| audit::list(conn, audit::GLOBAL, &f)).await?;
    respond(events, &q, limit)
}

async fn global_verify(state: State, caller: Caller) -> AppResult<HttpResponse> {
    caller.require(&[Role::Inspector, Role::Admin])?;
    let v = with_pool(&state, move |pool| audit::verify(pool, audit::GLOBAL)).await?;
    Ok(HttpResponse::Ok().json(v))
}
