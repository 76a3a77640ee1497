//! The import page (`/projects/{id}/import`): the file's columns in plain words, the templates,
//! and a file field. A chosen file is checked first by the API's own import in a dry run (nothing
//! posted): the counts it would post, or every refused row with its reason. The file is then held
//! on the server (`console::stash`) and "post these N vouchers" posts it for real, by its hash;
//! the result is shown by a redirect, so reloading it posts nothing. A file this project imported
//! before shows that first answer, as the API gives it. The project's unit and finance only.
use super::super::super::i18n::imports::{words, ImportWords};
use super::super::super::i18n::vouchers as vouchers_words;
use super::super::super::problems::{explain, Explained};
use super::super::super::{Page, Refusal, Visit};
use super::on_form;
use super::show::first_csrf;
use crate::app::import_file::{Format, COLUMNS};
use crate::auth::Role;
use crate::domain::classify::Reason;
use crate::domain::money::Money;
use crate::error::{AppError, Code};
use crate::http::db;
use crate::http::imports::{file_sha256, run, template_file};
use crate::http::projects::visible;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// Columns without which the file is refused; the others may be left empty.
const REQUIRED: [&str; 7] = ["voucher_ref", "date", "summary", "account", "debit", "credit", "line_summary"];

/// What the page shows above the form.
enum Shown {
    Form,
    /// The file could not be read as an import (no header, a column missing, too large …).
    Unreadable(Explained),
    /// A dry run that would post: its counts and the file's hash, for the posting form.
    Checked(Value),
    /// `import_rejected`: every refusal.
    Refused(Explained),
    /// The import's answer; `again` when it is the first answer to a file sent before.
    Done {
        counts: Value,
        again: bool,
    },
    /// The checked file is no longer held.
    Gone,
}

struct Project {
    id: String,
    name: String,
}

async fn project(v: &Visit, id: String) -> Result<Project, Refusal> {
    let caller = v.caller()?.clone();
    if !matches!(caller.role, Role::Unit | Role::Finance) {
        return Err(Refusal::Forbidden);
    }
    Ok(db(&v.state, move |conn| visible(conn, &caller, &id).map(|p| Project { id: p.id, name: p.name })).await?)
}

/// The answer kept for this file when the project imported it before.
async fn kept(v: &Visit, project_id: &str, sha256: &str) -> Result<Option<Value>, Refusal> {
    let (id, sha) = (project_id.to_string(), sha256.to_string());
    let kept = db(&v.state, move |conn| crate::store::imports::answer(conn, &id, &sha)).await?;
    Ok(kept.map(|(_, body)| body))
}

#[derive(Deserialize)]
pub struct PageQuery {
    /// Set by the redirect after a posting: the posted file's hash.
    imported: Option<String>,
}

/// `GET /projects/{id}/import`: the form, or a posting's result (`?imported=<sha256>`).
pub async fn page(v: Visit, id: web::Path<String>, q: web::Query<PageQuery>) -> HttpResponse {
    let outcome = async {
        let p = project(&v, id.into_inner()).await?;
        let shown = match q.into_inner().imported {
            Some(sha) => kept(&v, &p.id, &sha).await?.map_or(Shown::Form, |counts| Shown::Done { counts, again: false }),
            None => Shown::Form,
        };
        Ok(render(&v, &p, shown))
    }
    .await;
    v.respond(outcome)
}

/// `POST /projects/{id}/import` (multipart: the CSRF token first, then `file`): the dry run.
pub async fn check(v: Visit, req: HttpRequest, id: web::Path<String>, mut form: actix_multipart::Multipart) -> HttpResponse {
    let outcome = async {
        let csrf = first_csrf(&mut form).await;
        v.require_csrf(&req, csrf.as_deref())?;
        let p = project(&v, id.into_inner()).await?;
        let caller = v.caller()?.clone();
        let file = match read_file(form, v.state.settings.imports.max_bytes).await {
            Ok(file) => file,
            Err(e) => return refused_page(&v, &p, on_form(e)?),
        };
        let sha256 = file_sha256(&file);
        if let Some(counts) = kept(&v, &p.id, &sha256).await? {
            return Ok(render(&v, &p, Shown::Done { counts, again: true }));
        }
        let file = Arc::new(file);
        // By its bytes, not the browser's type: Windows calls a CSV file application/vnd.ms-excel.
        let format = Format::of(None, &file).map_err(Refusal::from)?;
        match run(&v.state, &caller, p.id.clone(), format, file.clone(), true).await {
            Ok((_, counts)) => {
                v.state.import_stash.hold(&caller.user_id, &p.id, &sha256, file);
                Ok(render(&v, &p, Shown::Checked(counts)))
            }
            Err(e) => refused_page(&v, &p, on_form(e)?),
        }
    }
    .await;
    v.respond(outcome)
}

fn refused_page(v: &Visit, p: &Project, e: AppError) -> Result<Page, Refusal> {
    let explained = explain(v.lang, &e);
    let shown = if e.code == Code::ImportRejected { Shown::Refused(explained) } else { Shown::Unreadable(explained) };
    let mut page = render(v, p, shown);
    page.status = e.status();
    Ok(page)
}

/// The `file` part's bytes, refused with 413 as soon as they pass the import's limit.
async fn read_file(mut form: actix_multipart::Multipart, max_bytes: usize) -> Result<Vec<u8>, AppError> {
    use futures_util::StreamExt;
    let unreadable = |_| AppError::malformed("the form could not be read");
    while let Some(part) = form.next().await {
        let mut part = part.map_err(unreadable)?;
        if part.name() != Some("file") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if bytes.len() + chunk.len() > max_bytes {
                let e = AppError::new(Code::PayloadTooLarge, format!("an import is at most {max_bytes} bytes"));
                return Err(e.with("limit_bytes", max_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            break;
        }
        return Ok(bytes);
    }
    Err(AppError::field("file", "choose a CSV or xlsx file"))
}

#[derive(Deserialize)]
pub struct PostForm {
    csrf: Option<String>,
    sha256: String,
}

/// `POST /projects/{id}/import/post`: posts the file checked under `sha256` for real.
pub async fn post(v: Visit, req: HttpRequest, id: web::Path<String>, form: web::Form<PostForm>) -> HttpResponse {
    let form = form.into_inner();
    let outcome = async {
        v.require_csrf(&req, form.csrf.as_deref())?;
        let p = project(&v, id.into_inner()).await?;
        let caller = v.caller()?.clone();
        let done = format!("/projects/{}/import?imported={}", p.id, form.sha256);
        // A second click, or the file posted meanwhile from another page: the first answer.
        if let Some(counts) = kept(&v, &p.id, &form.sha256).await? {
            return Ok(Err(render(&v, &p, Shown::Done { counts, again: true })));
        }
        let Some(file) = v.state.import_stash.get(&caller.user_id, &p.id, &form.sha256) else {
            let mut page = render(&v, &p, Shown::Gone);
            page.status = actix_web::http::StatusCode::GONE;
            return Ok(Err(page));
        };
        let format = Format::of(None, &file).map_err(Refusal::from)?;
        match run(&v.state, &caller, p.id.clone(), format, file, false).await {
            Ok(_) => Ok(Ok(done)),
            // The books changed since the check: the refusals, nothing posted.
            Err(e) => refused_page(&v, &p, on_form(e)?).map(Err),
        }
    }
    .await;
    match outcome {
        Ok(Ok(to)) => v.redirect(&to, None),
        Ok(Err(page)) => v.respond(Ok(page)),
        Err(r) => v.respond(Err(r)),
    }
}

#[derive(Deserialize)]
pub struct TemplateQuery {
    format: Option<String>,
}

/// `GET /imports/template?format=csv|xlsx`: the API's template, for any signed-in user.
pub async fn template(v: Visit, q: web::Query<TemplateQuery>) -> HttpResponse {
    if let Err(r) = v.caller() {
        return v.respond(Err(r));
    }
    match template_file(q.format.as_deref()) {
        Ok(file) => file,
        Err(e) => v.respond(Err(Refusal::from(e))),
    }
}

fn render(v: &Visit, p: &Project, shown: Shown) -> Page {
    let (t, w) = (v.t(), words(v.lang));
    let base = format!("/projects/{}", p.id);
    let body = html! {
        nav.crumbs {
            (super::super::widgets::home_crumb(v)) " › " a href=(base) { (p.name) } " › "
            a href={ (base) "/vouchers" } { (t.vouchers) } " › " (w.title)
        }
        h1 { (w.title) }
        p.muted { (w.intro) }
        @match &shown {
            Shown::Form => {},
            Shown::Unreadable(e) => { (e.alert()) },
            Shown::Checked(counts) => { (checked(v, w, &base, counts)) },
            Shown::Refused(e) => { (refusals(v, w, e)) },
            Shown::Done { counts, again } => { (done(w, &base, counts, *again)) },
            Shown::Gone => { div.alert role="alert" data-testid="import-gone" { p { (w.gone) } } },
        }
        @if !matches!(shown, Shown::Done { .. }) { (file_form(v, w, &base)) }
        (columns(w))
    };
    Page::ok(format!("{} · {}", w.title, p.name), body)
}

fn count(counts: &Value, key: &str) -> u64 {
    counts[key].as_u64().unwrap_or(0)
}

/// The counts of an import (or of its dry run) as the project page shows its figures.
fn figures(w: &ImportWords, counts: &Value) -> Markup {
    let total = counts["total_debit"].as_str().and_then(|s| Money::parse_written(s).ok()).unwrap_or(Money::ZERO);
    let items = [
        ("vouchers", w.vouchers, count(counts, "vouchers").to_string()),
        ("lines", w.lines, count(counts, "lines").to_string()),
        ("posted", w.posted, count(counts, "posted").to_string()),
        ("pending_review", w.pending_review, count(counts, "pending_review").to_string()),
        ("total_debit", w.total_debit, super::super::super::format::amount(total)),
    ];
    html! {
        dl.figures data-testid="import-counts" {
            @for (key, label, value) in items {
                div.figure data-field=(key) { dt { (label) } dd { (value) } }
            }
        }
    }
}

fn checked(v: &Visit, w: &ImportWords, base: &str, counts: &Value) -> Markup {
    let sha256 = counts["sha256"].as_str().unwrap_or("");
    html! {
        section.forms aria-labelledby="checked-h" data-testid="import-checked" {
            h2 id="checked-h" { (w.checked) }
            p { (w.checked_help) }
            (figures(w, counts))
            form method="post" action={ (base) "/import/post" } data-testid="post-import" {
                input type="hidden" name="csrf" value=(v.csrf().unwrap_or_default());
                input type="hidden" name="sha256" value=(sha256);
                button type="submit" { (w.post_before) (count(counts, "vouchers")) (w.post_after) }
            }
            p.muted.mono { "SHA-256 " (sha256) }
        }
    }
}

fn refusals(v: &Visit, w: &ImportWords, e: &Explained) -> Markup {
    let listed = e.extra.get("refusals").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    html! {
        section aria-labelledby="refused-h" data-testid="import-refused" {
            h2 id="refused-h" { (w.refused) }
            (e.alert())
            p { (w.refused_help) }
            div.scroll { table data-testid="import-refusals" {
                thead { tr { th.num { (w.row) } th { (w.voucher_ref) } th { (w.reason) } } }
                tbody {
                    @for r in listed {
                        tr data-testid="refusal" data-row=(r["row"].as_u64().unwrap_or(0)) data-code=(r["code"].as_str().unwrap_or("")) {
                            td.num { (r["row"].as_u64().unwrap_or(0)) }
                            td.mono { (r["voucher_ref"].as_str().unwrap_or("")) }
                            td.wrap { @for sentence in reasons(v, w, r) { div { (sentence) } } }
                        }
                    }
                }
            } }
        }
    }
}

/// A refused row's reasons in the page's language: the voucher entry page's sentences for the
/// same codes and fields, the classifier's reasons for a prohibited line.
fn reasons(v: &Visit, w: &ImportWords, r: &Value) -> Vec<String> {
    let vw = vouchers_words::words(v.lang);
    let code = r["code"].as_str().and_then(|c| Code::ALL.into_iter().find(|k| k.as_str() == c));
    let Some(code) = code else { return vec![r["detail"].as_str().unwrap_or("").to_string()] };
    let mut e = AppError::new(code, r["detail"].as_str().unwrap_or(""));
    e.extra = r.as_object().cloned().unwrap_or_default();
    match code {
        Code::ValidationFailed => e
            .field_errors()
            .iter()
            .map(|f| match (f.field.as_str(), r["first_row"].as_str()) {
                (field, Some(first)) => {
                    let name = match field {
                        "date" => w.field_date,
                        "summary" => w.field_summary,
                        _ => w.field_attachments,
                    };
                    format!("{}{name}{}{first}", w.differs_before, w.differs_after)
                }
                ("voucher_ref", _) => w.no_ref.to_string(),
                ("date", _) => vw.bad_date.to_string(),
                ("attachments", _) => vw.bad_number.to_string(),
                ("invoice.number", _) => vw.bad_invoice_number.to_string(),
                ("invoice.seller", _) => vw.bad_seller.to_string(),
                ("invoice.seller_tax_id", _) => vw.bad_credit_code.to_string(),
                ("summary" | "account" | "line_summary", _) => w.text_too_long.to_string(),
                _ => f.message.clone(),
            })
            .collect(),
        Code::InvalidLine => vec![w.bad_line.to_string()],
        Code::VoucherRejected => {
            let mut said = vec![explain(v.lang, &e).message];
            for line in r["lines"].as_array().into_iter().flatten() {
                let found: Vec<Reason> = serde_json::from_value(line["reasons"].clone()).unwrap_or_default();
                if line["verdict"] == "rejected" {
                    said.extend(found.iter().map(|x| vouchers_words::reason(v.lang, x)));
                }
            }
            said
        }
        _ => vec![explain(v.lang, &e).message],
    }
}

fn done(w: &ImportWords, base: &str, counts: &Value, again: bool) -> Markup {
    html! {
        section aria-labelledby="done-h" data-testid="import-done" data-again=(if again { "true" } else { "false" }) {
            h2 id="done-h" { (w.done) }
            @if again { p.notice role="status" data-testid="import-again" { (w.already) } }
            (figures(w, counts))
            p.actions {
                a.button href={ (base) "/vouchers" } data-testid="to-vouchers" { (w.to_vouchers) }
                " "
                a href={ (base) "/import" } { (w.another) }
            }
        }
    }
}

fn file_form(v: &Visit, w: &ImportWords, base: &str) -> Markup {
    html! {
        section.forms aria-labelledby="file-h" {
            h2 id="file-h" { (w.file) }
            p {
                (w.templates)
                a href="/imports/template?format=csv" download="import-template.csv" data-testid="template-csv" { (w.template_csv) }
                " · "
                a href="/imports/template?format=xlsx" download="import-template.xlsx" data-testid="template-xlsx" { (w.template_xlsx) }
            }
            // The CSRF token is the first part: it is checked before the file is read.
            form method="post" enctype="multipart/form-data" action={ (base) "/import" } data-testid="import-form" {
                input type="hidden" name="csrf" value=(v.csrf().unwrap_or_default());
                div {
                    label for="import-file" { (w.file) }
                    input type="file" id="import-file" name="file" required
                        accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
                }
                button type="submit" { (w.check) }
            }
            p.muted { (w.file_help) }
        }
    }
}

fn columns(w: &ImportWords) -> Markup {
    html! {
        section aria-labelledby="columns-h" {
            h2 id="columns-h" { (w.columns) }
            div.scroll { table data-testid="import-columns" {
                thead { tr { th { (w.column) } th { (w.meaning) } } }
                tbody {
                    @for (name, help) in COLUMNS.iter().zip(w.column_help) {
                        tr {
                            td.mono { (name) }
                            td.wrap { (help) @if !REQUIRED.contains(name) { (w.optional) } }
                        }
                    }
                }
            } }
        }
    }
}
