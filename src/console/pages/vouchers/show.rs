//! One voucher's page: the 记账凭证 (which is also what prints), each line's verdict and reasons,
//! status, review decision, the reversal links both ways, and the actions open to the caller:
//! reverse (unit, finance), approve or decline (finance, while it awaits review), copy, print;
//! its original documents, with their download links and the upload form (unit, finance).
use super::super::super::assets::VOUCHERS_JS;
use super::super::super::i18n::vouchers::{self as words, VoucherWords};
use super::super::super::problems::{explain, Explained};
use super::super::super::{Page, Refusal, Visit};
use super::sheet::{account_name, sheet, Signatures};
use super::{new_key, number_label, on_form, vw, Done};
use crate::app::vouchers::reversible_by;
use crate::auth::Role;
use crate::domain::calendar;
use crate::domain::chart::AccountDef;
use crate::domain::document::DocumentKind;
use crate::domain::kind::VoucherKind;
use crate::domain::status::VoucherStatus;
use crate::http::db;
use crate::http::documents::{attach, serve};
use crate::http::money::{bind_key, reverse_voucher};
use crate::http::projects::visible;
use crate::http::views::VoucherView;
use crate::store::ledger::Review;
use crate::store::{people, projects, vouchers};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

/// What the voucher page shows, read in one go.
struct Shown {
    project_name: String,
    unit: String,
    chart: Vec<AccountDef>,
    voucher: VoucherView,
    maker: String,
}

/// The reversal form as the user left it, with why it was refused.
#[derive(Deserialize, Default)]
pub struct ReverseForm {
    csrf: Option<String>,
    key: Option<String>,
    #[serde(default)]
    date: String,
    #[serde(default)]
    reason: String,
}

pub async fn page(v: Visit, path: web::Path<(String, String)>) -> HttpResponse {
    let (id, vid) = path.into_inner();
    let outcome = render(&v, id, vid, None, None).await;
    v.respond(outcome)
}

async fn read(v: &Visit, id: String, vid: String) -> Result<Shown, Refusal> {
    let caller = v.caller()?.clone();
    Ok(db(&v.state, move |conn| {
        let p = visible(conn, &caller, &id)?;
        let unit = people::get_org(conn, &p.org_id)?.name;
        let chart = projects::chart_of(conn, &id)?;
        let documents = crate::store::documents::of_vouchers(conn, &[vid.as_str()])?;
        let voucher = VoucherView::of(&vouchers::stored(conn, &id, &vid)?)?.with_documents(&documents)?;
        let maker = people::find_by_id(conn, &voucher.created_by)?
            .map(|u| u.display_name.filter(|d| !d.is_empty()).unwrap_or(u.username))
            .unwrap_or_else(|| voucher.created_by.clone());
        Ok(Shown { project_name: p.name, unit, chart, voucher, maker })
    })
    .await?)
}

async fn render(
    v: &Visit,
    id: String,
    vid: String,
    refused: Option<(ReverseForm, Explained)>,
    upload_refused: Option<Explained>,
) -> Result<Page, Refusal> {
    let s = read(v, id, vid).await?;
    let (t, w, role) = (v.t(), vw(v), v.caller()?.role);
    let x = &s.voucher;
    let decision = x.decision.as_ref();
    let reviewer = decision.filter(|d| d.outcome == Review::Approved).map(|d| d.username.clone());
    // Posted at submission by its maker, or on approval by the reviewer.
    let poster = match x.status {
        VoucherStatus::Posted | VoucherStatus::Reversed => Some(reviewer.clone().unwrap_or_else(|| s.maker.clone())),
        _ => None,
    };
    let who = Signatures { maker: s.maker.clone(), reviewer, poster };
    let base = format!("/projects/{}/vouchers", x.project_id);
    let number = number_label(x.number);
    let title = format!("{} {}", w.voucher_title, number.as_deref().unwrap_or(w.unnumbered));
    let may_reverse = reversible_by(role).contains(&x.kind) && x.status == VoucherStatus::Posted && x.reversed_by_id.is_none();
    let may_copy = matches!(role, Role::Unit | Role::Finance) && x.kind == VoucherKind::Expense;
    let body = html! {
        nav.crumbs {
            (super::super::widgets::home_crumb(v)) " › " a href={ "/projects/" (x.project_id) } { (s.project_name) } " › "
            a href=(base) { (t.vouchers) } " › " (number.as_deref().unwrap_or(w.unnumbered))
        }
        h1 { (title) }
        p.meta {
            span class={ "status " (x.status) } data-testid="voucher-status" data-status=(x.status) { (v.lang.code_name(x.status.as_str())) }
            " · " (v.lang.code_name(x.kind.as_str()))
            @if let Some(r) = &x.reference { " · " (r) }
            @if let Some(r) = &x.reverses_id {
                " · " (w.reverses) " " a href={ (base) "/" (r) } data-testid="reverses" { (r) }
            }
            @if let Some(r) = &x.reversed_by_id {
                " · " (w.reversed_by) " " a href={ (base) "/" (r) } data-testid="reversed-by" { (r) }
            }
        }
        p.actions {
            button type="button" data-print { (w.print) }
            @if may_copy { a.button href={ (base) "/new?copy=" (x.id) } data-testid="copy-voucher" { (w.copy) } }
        }
        (sheet(w, &s.unit, x, &s.chart, &who))
        p.muted.no-print { (w.print_note) }
        (verdicts(v, w, x, &s.chart))
        (documents(v, w, x, matches!(role, Role::Unit | Role::Finance), upload_refused))
        @if let Some(d) = decision {
            section.no-print aria-labelledby="decision-h" {
                h2 id="decision-h" { (w.decision) }
                p data-testid="decision" {
                    (v.lang.code_name(if d.outcome == Review::Approved { "voucher.approved" } else { "voucher.declined" }))
                    " · " (d.username) " · " (d.at) @if !d.note.is_empty() { " · " (d.note) }
                }
            }
        }
        @if role == Role::Finance && x.status == VoucherStatus::PendingReview { (review_forms(v, w, &base, &x.id)) }
        // A refused reversal is explained even where the form would not be offered.
        @if may_reverse || refused.is_some() { (reverse_form(v, w, &base, &x.id, refused)) }
        script src=(VOUCHERS_JS.path) defer {}
    };
    Ok(Page::ok(title, body))
}

fn verdicts(v: &Visit, w: &VoucherWords, x: &VoucherView, chart: &[AccountDef]) -> Markup {
    html! {
        section.no-print aria-labelledby="verdicts-h" {
            h2 id="verdicts-h" { (w.verdict) }
            div.scroll { table {
                thead { tr { th.num { (w.line) } th { (w.account) } th { (w.verdict) } th { (w.reasons) } } }
                tbody {
                    @for l in &x.lines {
                        @let c = l.classification.as_ref();
                        @let verdict = c.map(|c| c.verdict);
                        tr data-testid="line-verdict" data-verdict=(words::verdict_code(verdict)) {
                            td.num { (l.line_no) }
                            td { span.mono { (l.account) } " " (account_name(chart, &l.account)) }
                            td class={ "verdict " (words::verdict_code(verdict)) } { (words::verdict(v.lang, verdict)) }
                            td.wrap { @if let Some(c) = c { @for r in &c.reasons { div { (words::reason(v.lang, r)) } } } }
                        }
                    }
                }
            } }
        }
    }
}

/// A size as people read it: bytes, KB or MB (1024s).
fn size_label(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1 << 20 => format!("{} KB", (b + 1023) / 1024),
        b => format!("{}.{} MB", b >> 20, ((b & ((1 << 20) - 1)) * 10) >> 20),
    }
}

fn documents(v: &Visit, w: &VoucherWords, x: &VoucherView, may_upload: bool, refused: Option<Explained>) -> Markup {
    let base = format!("/projects/{}/vouchers/{}", x.project_id, x.id);
    let stored = &x.documents;
    html! {
        section.no-print.forms aria-labelledby="documents-h" {
            h2 id="documents-h" { (w.documents) }
            @if stored.is_empty() {
                p.muted data-testid="no-documents" { (w.no_documents) }
            } @else {
                div.scroll { table data-testid="documents" {
                    thead { tr { th { (w.document_kind) } th { (w.document_name) } th.num { (w.document_size) } th { (w.uploaded_at) } th { "SHA-256" } } }
                    tbody {
                        @for d in stored {
                            tr data-testid="document-row" data-sha256=(d.sha256) {
                                td { (words::document_kind(v.lang, d.kind)) }
                                td.wrap { a href={ (base) "/documents/" (d.id) } download=(d.filename) { (d.filename) } }
                                td.num { (size_label(d.size)) }
                                td { (crate::console::format::local_time(&d.uploaded_at)) }
                                td.mono title=(d.sha256) { (d.sha256.get(..12).unwrap_or(&d.sha256)) "…" }
                            }
                        }
                    }
                } }
            }
            @if may_upload || refused.is_some() {
                h3 { (w.upload_document) }
                @if let Some(e) = &refused { (e.alert()) }
                // The CSRF token is the first part: it is checked before the file is read.
                form method="post" enctype="multipart/form-data" action={ (base) "/documents" } data-testid="upload-form" {
                    input type="hidden" name="csrf" value=(v.csrf().unwrap_or_default());
                    div {
                        label for="document-kind" { (w.document_kind) }
                        select id="document-kind" name="kind" {
                            @for k in DocumentKind::ALL { option value=(k.as_str()) { (words::document_kind(v.lang, k)) } }
                        }
                    }
                    div {
                        label for="document-file" { (w.document_file) }
                        input type="file" id="document-file" name="file" required
                            accept=".pdf,.ofd,.xml,.jpg,.jpeg,.png,application/pdf,application/ofd,application/xml,image/jpeg,image/png";
                    }
                    button type="submit" { (w.upload) }
                }
                p.muted { (w.upload_help) }
            }
        }
    }
}

fn review_forms(v: &Visit, w: &VoucherWords, base: &str, vid: &str) -> Markup {
    let csrf = v.csrf().unwrap_or_default();
    // The decision returns here (the finance pages' `back`), not to the queue.
    let back = format!("{base}/{vid}");
    html! {
        section.no-print.forms aria-labelledby="review-h" {
            h2 id="review-h" { (w.decision) }
            form method="post" action={ (base) "/" (vid) "/approve" } data-testid="approve-form" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="back" value=(back);
                label for="approve-note" { (w.approve_note) }
                input type="text" id="approve-note" name="note" maxlength="500";
                button type="submit" { (w.approve) }
            }
            form method="post" action={ (base) "/" (vid) "/decline" } data-testid="decline-form" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="back" value=(back);
                label for="decline-reason" { (w.decline_reason) }
                input type="text" id="decline-reason" name="reason" required maxlength="500";
                button type="submit" { (w.decline) }
            }
        }
    }
}

fn reverse_form(v: &Visit, w: &VoucherWords, base: &str, vid: &str, refused: Option<(ReverseForm, Explained)>) -> Markup {
    let (form, why) = match refused {
        Some((f, e)) => (f, Some(e)),
        None => (ReverseForm { date: calendar::today().to_string(), ..Default::default() }, None),
    };
    let field = |name: &str| why.as_ref().and_then(|e| e.field(name)).is_some();
    html! {
        section.no-print.forms aria-labelledby="reverse-h" {
            h2 id="reverse-h" { (w.reverse) }
            @if let Some(e) = &why { (e.alert()) }
            form method="post" action={ (base) "/" (vid) "/reverse" } data-testid="reverse-form" {
                input type="hidden" name="csrf" value=(v.csrf().unwrap_or_default());
                // A refused form keeps no key: what the user sends next is a new request.
                input type="hidden" name="key" value=(new_key());
                label for="reverse-date" { (w.reverse_date) }
                input type="text" id="reverse-date" name="date" value=(form.date) inputmode="numeric" placeholder="2025-03-15"
                    aria-invalid=[field("date").then_some("true")];
                @if field("date") { span.error { (w.bad_date) } }
                label for="reverse-reason" { (w.reverse_reason) }
                input type="text" id="reverse-reason" name="reason" value=(form.reason) required maxlength="500"
                    aria-invalid=[field("reason").then_some("true")];
                @if field("reason") { span.error { (w.required) } }
                button type="submit" { (w.reverse) }
            }
        }
    }
}

/// `POST /projects/{id}/vouchers/{vid}/reverse`: the API's reversal; the new red-ink voucher's
/// page on success, this page with the refusal otherwise.
pub async fn reverse(v: Visit, req: HttpRequest, path: web::Path<(String, String)>, form: web::Form<ReverseForm>) -> HttpResponse {
    let (id, vid) = path.into_inner();
    let form = form.into_inner();
    let outcome = async {
        v.require_csrf(&req, form.csrf.as_deref())?;
        let caller = v.caller()?.clone();
        let raw = json!({"date": form.date.trim(), "reason": form.reason});
        let idem = match form.key.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => Some(bind_key(&caller, k, "POST", req.path(), &raw)?),
            None => None,
        };
        match reverse_voucher(&v.state, &caller, id.clone(), vid.clone(), idem, raw).await {
            Ok((_, body)) => Ok(Done::Saved(format!("/projects/{id}/vouchers/{}", body["id"].as_str().unwrap_or(&vid)))),
            Err(e) => {
                let e = on_form(e)?;
                let status = e.status();
                let mut page = render(&v, id.clone(), vid.clone(), Some((form, explain(v.lang, &e))), None).await?;
                page.status = status;
                Ok(Done::Refused(page))
            }
        }
    }
    .await;
    match outcome {
        Ok(Done::Saved(to)) => v.redirect(&to, None),
        Ok(Done::Refused(page)) => v.respond(Ok(page)),
        Err(r) => v.respond(Err(r)),
    }
}

/// `POST /projects/{id}/vouchers/{vid}/documents`: the API's upload from the page's form (its
/// first part the CSRF token); back on the voucher page, with the refusal when there is one.
pub async fn upload(v: Visit, req: HttpRequest, path: web::Path<(String, String)>, mut form: actix_multipart::Multipart) -> HttpResponse {
    let (id, vid) = path.into_inner();
    let outcome = async {
        let csrf = first_csrf(&mut form).await;
        v.require_csrf(&req, csrf.as_deref())?;
        let caller = v.caller()?.clone();
        match attach(&v.state, &caller, &req, id.clone(), vid.clone(), form).await {
            Ok(_) => Ok(Done::Saved(format!("/projects/{id}/vouchers/{vid}#documents-h"))),
            Err(e) => {
                let e = on_form(e)?;
                let status = e.status();
                let mut page = render(&v, id.clone(), vid.clone(), None, Some(explain(v.lang, &e))).await?;
                page.status = status;
                Ok(Done::Refused(page))
            }
        }
    }
    .await;
    match outcome {
        Ok(Done::Saved(to)) => v.redirect(&to, None),
        Ok(Done::Refused(page)) => v.respond(Ok(page)),
        Err(r) => v.respond(Err(r)),
    }
}

/// The form's first part when it is the CSRF token (a few dozen bytes; more is no token).
pub(super) async fn first_csrf(form: &mut actix_multipart::Multipart) -> Option<String> {
    use futures_util::StreamExt;
    let mut part = form.next().await?.ok()?;
    if part.name() != Some("csrf") {
        return None;
    }
    let mut token = Vec::new();
    while let Some(chunk) = part.next().await {
        token.extend_from_slice(&chunk.ok()?);
        if token.len() > 256 {
            return None;
        }
    }
    String::from_utf8(token).ok()
}

/// `GET /projects/{id}/vouchers/{vid}/documents/{aid}`: the document's bytes, as the API serves them.
pub async fn document(v: Visit, req: HttpRequest, path: web::Path<(String, String, String)>) -> HttpResponse {
    let (id, vid, aid) = path.into_inner();
    let caller = match v.caller() {
        Ok(c) => c.clone(),
        Err(r) => return v.respond(Err(r)),
    };
    match serve(v.state.clone(), caller, &req, id, vid, aid).await {
        Ok(response) => response,
        Err(e) => v.respond(Err(Refusal::from(e))),
    }
}
