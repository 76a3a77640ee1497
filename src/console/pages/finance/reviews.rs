//! `GET /reviews`: every voucher awaiting review across the portfolio, with its flagged lines and
//! their reasons, and the approve / decline forms. The two POSTs also serve the same forms on a
//! voucher's own page (`back` says where to return).
use super::super::super::format::amount;
use super::super::super::i18n::finance::reason_name;
use super::super::super::problems::Explained;
use super::super::super::{Page, Refusal, Visit};
use super::{field_error, finance_only, form_key, fw, local_path, on_form, refused, with_param};
use crate::auth::Role;
use crate::domain::classify::Verdict;
use crate::domain::status::VoucherStatus;
use crate::http::db;
use crate::http::reviews::{approval, declining};
use crate::http::views::VoucherView;
use crate::store::{people, projects, vouchers};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// The queue shows this many vouchers a page; `after` pages on.
const PAGE: i64 = 100;

/// A voucher awaiting review with what the page says of it.
struct Held {
    voucher: VoucherView,
    project: String,
    unit: String,
    /// The project's account names by code.
    accounts: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    after: Option<String>,
    /// What the last form did (`approved`, `declined`), and the posted voucher's number.
    done: Option<String>,
    /// Text, read as a number when shown: a hand-edited address is not an error page.
    number: Option<String>,
}

pub async fn queue(v: Visit, q: web::Query<QueueQuery>) -> HttpResponse {
    let outcome = queue_page(&v, q.into_inner(), None).await;
    v.respond(outcome)
}

/// A refusal to show beside one voucher's forms, with what the reviewer typed.
struct Failed {
    voucher_id: String,
    decision: &'static str,
    text: String,
    explained: Explained,
}

async fn queue_page(v: &Visit, q: QueueQuery, failed: Option<&Failed>) -> Result<Page, Refusal> {
    let role = v.caller()?.role;
    // The API lets inspectors read the queue; only finance decides.
    if !matches!(role, Role::Finance | Role::Inspector) {
        return Err(Refusal::Forbidden);
    }
    let after = q.after.clone().unwrap_or_default();
    let held = db(&v.state, move |conn| {
        let page = vouchers::across_projects(conn, VoucherStatus::PendingReview, &after, PAGE)?;
        let orgs: BTreeMap<String, String> = people::list_orgs(conn, "", i64::MAX)?.into_iter().map(|o| (o.id, o.name)).collect();
        // Per project once: its unit's name and its chart.
        let mut known: BTreeMap<String, (String, BTreeMap<String, String>)> = BTreeMap::new();
        let mut held = Vec::with_capacity(page.len());
        for (stored, project) in &page {
            let pid = &stored.voucher.project_id;
            if !known.contains_key(pid) {
                let org = projects::get(conn, pid)?.org_id;
                let chart = projects::chart_of(conn, pid)?.into_iter().map(|a| (a.code, a.name)).collect();
                known.insert(pid.clone(), (orgs.get(&org).cloned().unwrap_or(org), chart));
            }
            let (unit, accounts) = known[pid].clone();
            held.push(Held { voucher: VoucherView::of(stored)?, project: project.clone(), unit, accounts });
        }
        Ok(held)
    })
    .await?;
    let f = fw(v);
    let deciding = role == Role::Finance;
    let body = html! {
        h1 { (f.review_queue) }
        (flash(v, &q))
        @if let Some(x) = failed.filter(|x| !held.iter().any(|h| h.voucher.id == x.voucher_id)) { (x.explained.alert()) }
        p.muted { (f.review_intro) }
        @if held.is_empty() {
            p data-testid="queue-empty" { (f.queue_empty) }
        }
        @for h in &held {
            (item(v, h, deciding, failed.filter(|x| x.voucher_id == h.voucher.id)))
        }
        @if held.len() as i64 == PAGE {
            @if let Some(last) = held.last() {
                p { a href={ "/reviews?after=" (last.voucher.id) } { (f.next_page) " →" } }
            }
        }
    };
    Ok(Page::ok(f.review_queue, body))
}

fn flash(v: &Visit, q: &QueueQuery) -> Markup {
    let f = fw(v);
    let said = match q.done.as_deref() {
        Some("approved") => f.approved,
        Some("declined") => f.declined,
        _ => return html! {},
    };
    html! {
        p.flash role="status" data-testid="flash" data-done=(q.done.as_deref().unwrap_or("")) {
            (said)
            @if let Some(n) = q.number.as_deref().and_then(|n| n.parse::<i64>().ok()) { "：" (f.number.replace("{}", &n.to_string())) }
        }
    }
}

fn item(v: &Visit, h: &Held, deciding: bool, failed: Option<&Failed>) -> Markup {
    let f = fw(v);
    let vc = &h.voucher;
    let path = format!("/projects/{}/vouchers/{}", vc.project_id, vc.id);
    let flagged: Vec<_> = vc.lines.iter().filter(|l| l.classification.as_ref().is_some_and(|c| c.verdict != Verdict::Allowed)).collect();
    let typed = |decision: &str| failed.filter(|x| x.decision == decision).map(|x| x.text.clone()).unwrap_or_default();
    let explained = failed.map(|x| &x.explained);
    html! {
        article.review data-testid="review-item" data-voucher-id=(vc.id) data-project-id=(vc.project_id) {
            header {
                h2 { a href=(path) { (vc.summary) } }
                p.meta {
                    (f.project) "：" a href={ "/projects/" (vc.project_id) } { (h.project) } " · "
                    (f.unit) "：" (h.unit) " · " (f.date) " " (vc.date) " · "
                    (f.amount) " " strong.num data-testid="review-amount" { (amount(vc.total)) }
                }
            }
            h3 { (f.flagged_lines) }
            div.scroll { table {
                thead { tr { th scope="col" { "#" } th scope="col" { (f.account) } th scope="col" { (f.summary) }
                    th.num scope="col" { (f.amount) } th scope="col" { (f.reason) } } }
                tbody { @for l in &flagged {
                    tr data-testid="flagged-line" {
                        td { (l.line_no) } td { (l.account) " " (h.accounts.get(&l.account).map(String::as_str).unwrap_or("")) } td { (l.summary) } td.num { (amount(l.debit)) }
                        td { ul.reasons { @for r in l.classification.iter().flat_map(|c| &c.reasons) {
                            li data-code=(r.code) { (reason_name(v.lang, &r.code))
                                @if let Some(m) = &r.matched { " （" (f.matched) "：" (m) "）" } }
                        } } }
                    }
                } }
            } }
            @if let Some(x) = explained { (x.alert()) }
            @if deciding {
                div.decide {
                    form method="post" action={ (path) "/approve" } {
                        (hidden(v))
                        label for={ "note-" (vc.id) } { (f.note) }
                        input id={ "note-" (vc.id) } name="note" type="text" maxlength="500" value=(typed("approve"));
                        button type="submit" data-testid="approve" { (f.approve) }
                    }
                    form method="post" action={ (path) "/decline" } {
                        (hidden(v))
                        label for={ "reason-" (vc.id) } { (f.reason) }
                        input id={ "reason-" (vc.id) } name="reason" type="text" maxlength="500" required value=(typed("decline"));
                        (field_error(explained, "reason", f.field_reason))
                        button.secondary type="submit" data-testid="decline" { (f.decline) }
                    }
                }
            }
        }
    }
}

fn hidden(v: &Visit) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(v.csrf().unwrap_or_default());
        input type="hidden" name="key" value=(form_key());
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: Option<String>,
    key: Option<String>,
    note: Option<String>,
    reason: Option<String>,
    /// A local path to return to (the voucher's page); `/reviews` when absent.
    back: Option<String>,
}

pub async fn approve(v: Visit, req: HttpRequest, path: web::Path<(String, String)>, form: web::Form<DecisionForm>) -> HttpResponse {
    decide(v, req, path.into_inner(), form.into_inner(), "approve").await
}

pub async fn decline(v: Visit, req: HttpRequest, path: web::Path<(String, String)>, form: web::Form<DecisionForm>) -> HttpResponse {
    decide(v, req, path.into_inner(), form.into_inner(), "decline").await
}

async fn decide(v: Visit, req: HttpRequest, (id, vid): (String, String), form: DecisionForm, decision: &'static str) -> HttpResponse {
    if let Err(r) = v.require_csrf(&req, form.csrf.as_deref()).map(|_| ()).and_then(|_| finance_only(&v)) {
        return v.respond(Err(r));
    }
    let caller = v.session.as_ref().map(|s| s.caller.clone()).expect("checked by require_csrf");
    let text = if decision == "approve" { form.note.clone() } else { form.reason.clone() }.unwrap_or_default();
    let raw = if decision == "approve" { json!({ "note": text }) } else { json!({ "reason": text }) };
    let key = form.key.as_deref().filter(|k| !k.is_empty());
    let answer = if decision == "approve" {
        approval(&v.state, &caller, &req, (id, vid.clone()), raw, key).await
    } else {
        declining(&v.state, &caller, &req, (id, vid.clone()), raw, key).await
    };
    match answer {
        Ok((_, body)) => {
            let back = local_path(form.back.as_deref()).unwrap_or("/reviews");
            let done = if decision == "approve" { "approved" } else { "declined" };
            let mut to = with_param(back, "done", done);
            if let Some(n) = body["number"].as_i64() {
                to = with_param(&to, "number", &n.to_string());
            }
            v.redirect(&to, None)
        }
        Err(e) => {
            let outcome = match on_form(&v, e) {
                Ok((status, explained)) => {
                    let failed = Failed { voucher_id: vid, decision, text, explained };
                    queue_page(&v, QueueQuery::default(), Some(&failed)).await.map(|p| refused(p, status))
                }
                Err(r) => Err(r),
            };
            v.respond(outcome)
        }
    }
}
