//! `POST /projects/{id}/classify` (JSON, `X-CSRF-Token`): the entry form's verdicts while the user
//! types — the API's `/classify` dry run for this project, each line's verdict with its reasons in
//! the page's language.
use super::super::super::i18n::vouchers as words;
use super::super::super::problems::explain;
use super::super::super::{Refusal, Visit};
use super::sheet::account_name;
use crate::http::db;
use crate::http::money::shape;
use crate::http::reviews::{dry_run, ClassifyIn};
use crate::store::projects;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};

/// One line's verdict as the entry form shows it while the user types.
#[derive(Serialize)]
struct LiveLine {
    verdict: &'static str,
    label: &'static str,
    reasons: Vec<String>,
    account_name: String,
}

#[derive(Serialize)]
struct LiveVerdicts {
    verdict: &'static str,
    lines: Vec<LiveLine>,
}

/// A refusal of the dry run, said for the form (an unknown account names its line).
#[derive(Serialize)]
struct LiveError {
    code: &'static str,
    message: String,
    line: Option<u64>,
}

pub async fn classify(v: Visit, req: HttpRequest, id: web::Path<String>, body: web::Json<Value>) -> HttpResponse {
    if let Err(r) = v.require_csrf(&req, None).map(|_| ()).and_then(|_| v.caller().map(|_| ())) {
        return v.respond(Err(r));
    }
    let Ok(caller) = v.caller().cloned() else { return v.respond(Err(Refusal::SignIn)) };
    let id = id.into_inner();
    let mut raw = body.into_inner();
    if let Some(o) = raw.as_object_mut() {
        o.insert("project_id".into(), json!(id));
    }
    let chart_of = id.clone();
    let verdicts = match shape::<ClassifyIn>(&raw) {
        Ok(b) => dry_run(&v.state, caller.clone(), b).await,
        Err(e) => Err(e),
    };
    let view = match verdicts {
        Ok(view) => view,
        Err(e) => {
            let status = e.status();
            if status == StatusCode::NOT_FOUND || status.is_server_error() {
                return v.respond(Err(Refusal::from(e)));
            }
            let line = e.extra.get("line").and_then(Value::as_u64);
            let answer = LiveError { code: e.code.as_str(), message: explain(v.lang, &e).message, line };
            return HttpResponse::build(status).json(answer);
        }
    };
    let chart = db(&v.state, move |conn| projects::chart_of(conn, &chart_of)).await.unwrap_or_default();
    let lines = view
        .lines
        .iter()
        .map(|l| LiveLine {
            verdict: words::verdict_code(l.verdict),
            label: words::verdict(v.lang, l.verdict),
            reasons: l.reasons.iter().flatten().map(|r| words::reason(v.lang, r)).collect(),
            account_name: account_name(&chart, l.account.trim()).to_string(),
        })
        .collect();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(LiveVerdicts { verdict: words::verdict_code(Some(view.verdict)), lines })
}
