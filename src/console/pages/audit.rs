//! A project's audit trail, with verification in the browser: the page's script downloads the
//! whole chain from `trail.jsonl` (the same store read as the API's `?format=jsonl`) and re-hashes
//! every event with WebCrypto, beside the server's own verification.
use super::super::{Page, Refusal, Visit};
use crate::console::format::local_time;
use crate::domain::audit::Event;
use crate::http::audit::TRAIL_READERS;
use crate::http::projects::visible;
use crate::http::{db, with_pool};
use crate::store::audit::{self, Filter};
use actix_web::{web, HttpResponse};
use maud::html;
use serde::Deserialize;

/// Events shown on one page of the table (the verification always takes the whole chain).
const PAGE_EVENTS: i64 = 100;

#[derive(Deserialize)]
pub struct TrailPage {
    /// Show events after this seq.
    after: Option<i64>,
}

pub async fn page(v: Visit, id: web::Path<String>, q: web::Query<TrailPage>) -> HttpResponse {
    let outcome = render(&v, id.into_inner(), q.after.unwrap_or(0).max(0)).await;
    v.respond(outcome)
}

async fn render(v: &Visit, id: String, after_seq: i64) -> Result<Page, Refusal> {
    let caller = v.caller()?.clone();
    if !TRAIL_READERS.contains(&caller.role) {
        return Err(Refusal::Forbidden);
    }
    let chain = id.clone();
    let (project, events) = db(&v.state, move |conn| {
        let p = visible(conn, &caller, &chain)?;
        let f = Filter { from: None, to: None, action: None, after_seq, limit: PAGE_EVENTS };
        Ok((p, audit::list(conn, &chain, &f)?))
    })
    .await?;
    let chain = id.clone();
    let server = with_pool(&v.state, move |pool| audit::verify(pool, &chain, None)).await?;
    let t = v.t();
    let next = (events.len() as i64 == PAGE_EVENTS).then(|| events.last().map(|e| e.seq)).flatten();
    let body = html! {
        nav.crumbs { (super::widgets::home_crumb(v)) " › " a href={ "/projects/" (project.id) } { (project.name) } " › " (t.audit_trail) }
        h1 { (t.audit_trail) }
        section.verify #verify data-trail={ "/projects/" (project.id) "/audit/trail.jsonl" }
            data-text-valid=(t.chain_valid) data-text-broken=(t.chain_broken) data-text-events=(t.events)
            data-text-verifying=(t.verifying) {
            h2 { (t.verify_in_browser) }
            p.muted { (t.verify_explain) }
            progress #verify-progress max="100" value="0" aria-label=(t.verifying) {}
            p #verify-status aria-live="polite" {}
            p #chain-verdict .verdict aria-live="polite" {}
            div.server data-testid="server-verdict" data-valid=(server.valid) data-events=(server.events) {
                strong { (t.server_verify) ": " }
                (if server.valid { t.chain_valid } else { t.chain_broken }) ", " (server.events) " " (t.events)
                @if let (Some(seq), Some(problem)) = (server.broken_seq, &server.problem) { " — #" (seq) ": " (problem) }
                @else if let (false, Some(problem)) = (server.valid, &server.problem) { " — " (problem) }
            }
            @if let Some(root) = &server.tree_root {
                p.mono { (t.tree_root) ": " (root) }
            }
            p { a.button data-testid="keep-checkpoint" download={ "checkpoint-" (project.id) "-" (server.events) ".txt" }
                href={ "/projects/" (project.id) "/audit/checkpoint.txt" } { (t.keep_checkpoint) } }
            p.muted { (t.keep_checkpoint_explain) }
        }
        div.scroll { table.trail {
            thead { tr { th scope="col" { (t.seq) } th scope="col" { (t.at) } th scope="col" { (t.actor) }
                th scope="col" { (t.action) } th scope="col" { (t.object) } th scope="col" { (t.hash) } } }
            tbody { @for e in &events { (row(v, e)) } }
        } }
        @if let Some(seq) = next {
            p { a href={ "/projects/" (project.id) "/audit?after=" (seq) } { (t.older) " →" } }
        }
    };
    Ok(Page::ok(t.audit_trail, body))
}

fn row(v: &Visit, e: &Event) -> maud::Markup {
    html! {
        tr {
            td.num { (e.seq) }
            td { (local_time(&e.at)) }
            td { (e.actor.username) " (" (v.lang.code_name(&e.actor.role)) ")" }
            td { (v.lang.code_name(&e.action)) }
            td.mono { (e.object) }
            td.mono title=(e.hash) { (e.hash.get(..12).unwrap_or(&e.hash)) "…" }
        }
    }
}

/// `GET /projects/{id}/audit/checkpoint.txt`: the project's signed checkpoint as a download, what
/// `GET /api/v1/projects/{id}/audit-trail/checkpoint` answers, for the inspector to keep.
pub async fn checkpoint(v: Visit, id: web::Path<String>) -> HttpResponse {
    let outcome: Result<(String, String), Refusal> = async {
        let caller = v.caller()?.clone();
        if !TRAIL_READERS.contains(&caller.role) {
            return Err(Refusal::Forbidden);
        }
        let id = id.into_inner();
        let chain = id.clone();
        let note = crate::http::transparency::signed(&v.state, move |conn| visible(conn, &caller, &chain).map(|p| p.id)).await?;
        Ok((id, note))
    }
    .await;
    match outcome {
        Ok((id, note)) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header(("Content-Disposition", format!("attachment; filename=\"checkpoint-{id}.txt\"")))
            .insert_header(("Cache-Control", "no-store"))
            .body(note),
        Err(refused) => v.respond(Err(refused)),
    }
}

/// `GET /projects/{id}/audit/trail.jsonl`: the whole chain, one event per line, authorised by the
/// session: what the API answers to `GET /api/v1/projects/{id}/audit-trail?format=jsonl`.
pub async fn trail(v: Visit, id: web::Path<String>) -> HttpResponse {
    let outcome: Result<String, Refusal> = async {
        let caller = v.caller()?.clone();
        if !TRAIL_READERS.contains(&caller.role) {
            return Err(Refusal::Forbidden);
        }
        let id = id.into_inner();
        let events = db(&v.state, move |conn| {
            visible(conn, &caller, &id)?;
            audit::list(conn, &id, &Filter { from: None, to: None, action: None, after_seq: 0, limit: i64::MAX })
        })
        .await?;
        Ok(events.iter().map(|e| format!("{}\n", serde_json::json!(e))).collect())
    }
    .await;
    match outcome {
        Ok(body) => {
            HttpResponse::Ok().content_type("application/x-ndjson; charset=utf-8").insert_header(("Cache-Control", "no-store")).body(body)
        }
        Err(refused) => v.respond(Err(refused)),
    }
}
