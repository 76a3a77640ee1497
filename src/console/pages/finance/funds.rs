//! The grant's money by form: disbursement (`/projects/{id}/disburse`), and recovery with its
//! remittance (`/projects/{id}/recovery`, posting to `/recovery` and `/remittances`). The
//! recovery page shows what would come back before anything is posted.
use super::super::super::format::amount;
use super::super::super::i18n::finance::recovery_reason;
use super::super::super::problems::Explained;
use super::super::super::{Page, Refusal, Visit};
use super::{amount_text, field_error, finance_only, form_key, fw, on_form, refused, with_param};
use crate::domain::calendar;
use crate::domain::kind::ProjectKind;
use crate::domain::money::Money;
use crate::domain::recovery::Reason;
use crate::domain::statement::{Recoverable, Statement};
use crate::domain::status::ProjectStatus;
use crate::error::Code;
use crate::http::projects::visible;
use crate::http::{db, money, recovery};
use crate::store::rows::ProjectRow;
use crate::store::snapshot;
use crate::store::statements::books;
use crate::store::unit::Outcome;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

/// A project's figures today, as its statement and the recovery preview give them.
struct Figures {
    project: ProjectRow,
    statement: Statement,
    recoverable: Recoverable,
}

async fn figures(v: &Visit, id: String) -> Result<Figures, Refusal> {
    let caller = v.caller()?.clone();
    Ok(db(&v.state, move |conn| {
        snapshot(conn, |conn| {
            let p = visible(conn, &caller, &id)?;
            let b = books(conn, p, None)?;
            let f = b.figures();
            let (statement, recoverable) = (f.statement(b.project.start(), b.project.end(), calendar::today()), f.recoverable());
            Ok(Figures { project: b.project, statement, recoverable })
        })
    })
    .await?)
}

/// What a refused form gets back: the user's input and why.
#[derive(Deserialize, Default, Clone)]
pub struct MoneyForm {
    csrf: Option<String>,
    key: Option<String>,
    #[serde(default)]
    date: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
    /// Text, read as a number when shown: a hand-edited address is not an error page.
    number: Option<String>,
}

fn flash(v: &Visit, d: &Done) -> Markup {
    let f = fw(v);
    let said = match d.done.as_deref() {
        Some("disbursed") => f.disbursed_done,
        Some("recovered") => f.recovered_done,
        Some("remitted") => f.remitted_done,
        _ => return html! {},
    };
    html! {
        p.flash role="status" data-testid="flash" data-done=(d.done.as_deref().unwrap_or("")) {
            (said) @if let Some(n) = d.number.as_deref().and_then(|n| n.parse::<i64>().ok()) { "：" (f.number.replace("{}", &n.to_string())) }
        }
    }
}

fn hidden(v: &Visit) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(v.csrf().unwrap_or_default());
        input type="hidden" name="key" value=(form_key());
    }
}

/// An amount field's own error: a `validation_failed` on it, or an amount that did not parse.
fn amount_error(x: Option<&Explained>, said: &str) -> Markup {
    html! {
        @if x.is_some_and(|x| x.code == Code::InvalidAmount || x.field("amount").is_some()) {
            span.field-error data-testid="field-error" data-field="amount" { (said) }
        }
    }
}

fn crumbs(v: &Visit, p: &ProjectRow, here: &str) -> Markup {
    html! { nav.crumbs { a href="/" { (v.t().portfolio) } " › " a href={ "/projects/" (p.id) } { (p.name) } " › " (here) } }
}

fn figure(field: &str, label: &str, value: Money) -> Markup {
    html! { div.figure { dt { (label) } dd data-testid="recovery-figure" data-field=(field) { (amount(value)) } } }
}

// ---- Disbursement ------------------------------------------------------------------------

pub async fn disburse_page(v: Visit, id: web::Path<String>, d: web::Query<Done>) -> HttpResponse {
    let outcome = match finance_only(&v) {
        Ok(()) => disburse_form(&v, id.into_inner(), &MoneyForm::default(), None, &d).await,
        Err(r) => Err(r),
    };
    v.respond(outcome)
}

async fn disburse_form(v: &Visit, id: String, input: &MoneyForm, x: Option<&Explained>, d: &Done) -> Result<Page, Refusal> {
    let fig = figures(v, id).await?;
    let (t, f, s) = (v.t(), fw(v), &fig.statement);
    let date = if input.date.is_empty() { calendar::today().to_string() } else { input.date.clone() };
    let body = html! {
        (crumbs(v, &fig.project, f.disburse_title))
        h1 { (f.disburse_title) " · " (fig.project.name) }
        (flash(v, d))
        dl.figures {
            div.figure { dt { (t.grant) } dd data-testid="disburse-figure" data-field="grant" { (amount(s.grant)) } }
            div.figure { dt { (t.disbursed) } dd data-testid="disburse-figure" data-field="disbursed" { (amount(s.disbursed)) } }
            div.figure { dt { (t.undisbursed) } dd data-testid="disburse-figure" data-field="undisbursed" { (amount(s.undisbursed)) } }
        }
        p.meta { (t.period) " " (fig.project.start_date) " – " (fig.project.end_date) " · "
            span class={ "status " (fig.project.status) } { (v.lang.code_name(fig.project.status.as_str())) } }
        @if let Some(x) = x {
            (x.alert())
            @if x.code == Code::GrantExceeded { p.bad data-testid="undisbursed-left" { (f.undisbursed_left.replace("{}", &amount(s.undisbursed))) } }
        }
        form.money method="post" action={ "/projects/" (fig.project.id) "/disburse" } data-testid="disburse-form" {
            (hidden(v))
            label for="date" { (f.date) }
            input id="date" name="date" type="date" required value=(date);
            (field_error(x, "date", f.field_date))
            label for="amount" { (f.amount) }
            input id="amount" name="amount" type="text" inputmode="decimal" required autocomplete="off" value=(input.amount) placeholder="0.00";
            (amount_error(x, f.field_amount))
            label for="reference" { (f.reference) }
            input id="reference" name="reference" type="text" maxlength="200" value=(input.reference);
            button type="submit" { (f.disburse_button) }
        }
    };
    Ok(Page::ok(f.disburse_title, body))
}

pub async fn disburse(v: Visit, req: HttpRequest, id: web::Path<String>, form: web::Form<MoneyForm>) -> HttpResponse {
    let (id, form) = (id.into_inner(), form.into_inner());
    let raw = json!({"date": form.date.trim(), "amount": amount_text(&form.amount), "reference": form.reference.trim()});
    let answer = post(&v, &req, &form, |caller, key| money::disbursement(&v.state, caller, &req, id.clone(), raw, key)).await;
    let outcome = match answer {
        Ok(Ok(number)) => return v.redirect(&done(&format!("/projects/{id}/disburse"), "disbursed", number), None),
        Ok(Err((status, x))) => disburse_form(&v, id, &form, Some(&x), &Done::default()).await.map(|p| refused(p, status)),
        Err(r) => Err(r),
    };
    v.respond(outcome)
}

/// Checks the CSRF token and the role, then posts through `call`: the voucher number on success,
/// or the refusal to show on the form.
async fn post<'a, F, Fut>(
    v: &'a Visit,
    req: &HttpRequest,
    form: &'a MoneyForm,
    call: F,
) -> Result<Result<Option<i64>, (actix_web::http::StatusCode, Explained)>, Refusal>
where
    F: FnOnce(&'a crate::auth::Caller, Option<&'a str>) -> Fut,
    Fut: std::future::Future<Output = Outcome>,
{
    let session = v.require_csrf(req, form.csrf.as_deref())?;
    finance_only(v)?;
    let key = form.key.as_deref().filter(|k| !k.is_empty());
    match call(&session.caller, key).await {
        Ok((_, body)) => Ok(Ok(body["number"].as_i64().or_else(|| body["voucher"]["number"].as_i64()))),
        Err(e) => on_form(v, e).map(Err),
    }
}

fn done(path: &str, what: &str, number: Option<i64>) -> String {
    let to = with_param(path, "done", what);
    match number {
        Some(n) => with_param(&to, "number", &n.to_string()),
        None => to,
    }
}

// ---- Recovery and remittance -------------------------------------------------------------

/// Which of the page's two forms a refusal belongs to.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Which {
    Recovery,
    Remittance,
}

pub async fn recovery_page(v: Visit, id: web::Path<String>, d: web::Query<Done>) -> HttpResponse {
    let outcome = match finance_only(&v) {
        Ok(()) => recovery_view(&v, id.into_inner(), None, &d).await,
        Err(r) => Err(r),
    };
    v.respond(outcome)
}

async fn recovery_view(v: &Visit, id: String, failed: Option<(Which, &MoneyForm, &Explained)>, d: &Done) -> Result<Page, Refusal> {
    let fig = figures(v, id).await?;
    let (t, f) = (v.t(), fw(v));
    let (r, s, p) = (&fig.recoverable, &fig.statement, &fig.project);
    let today = calendar::today().to_string();
    let input = |w: Which| failed.filter(|(which, _, _)| *which == w).map(|(_, i, _)| i.clone()).unwrap_or_default();
    let error = |w: Which| failed.filter(|(which, _, _)| *which == w).map(|(_, _, x)| x);
    let (rec, rem) = (input(Which::Recovery), input(Which::Remittance));
    let (rec_x, rem_x) = (error(Which::Recovery), error(Which::Remittance));
    let chosen = if rec.reason.is_empty() {
        if p.end_date < calendar::today() { "period_ended" } else { "cancelled" }.to_string()
    } else {
        rec.reason.clone()
    };
    let body = html! {
        (crumbs(v, p, f.recovery_title))
        h1 { (f.recovery_title) " · " (p.name) }
        (flash(v, d))
        p.meta { (t.period) " " (p.start_date) " – " (p.end_date) " · "
            span class={ "status " (p.status) } { (v.lang.code_name(p.status.as_str())) } }
        section aria-labelledby="breakdown-h" {
            h2 id="breakdown-h" { (t.recoverable) }
            p.muted { (f.recovery_intro) }
            dl.figures {
                (figure("grant", t.grant, r.grant)) (figure("implemented", t.implemented, r.implemented))
                (figure("recovered", f.recovered, r.recovered)) (figure("recoverable", t.recoverable, r.recoverable))
                (figure("undisbursed", t.undisbursed, r.undisbursed)) (figure("to_remit", f.to_remit, r.to_remit))
                (figure("pending_review", f.pending_review, r.pending_review)) (figure("payables", f.payables, s.payables))
                (figure("bank_balance", t.bank_balance, s.bank_balance)) (figure("owed", f.owed, s.owed_to_finance))
            }
        }
        section aria-labelledby="recover-h" {
            h2 id="recover-h" { (f.recover_button) }
            @if let Some(x) = rec_x { (x.alert()) }
            @if p.status == ProjectStatus::Closed {
                p.muted data-testid="closed" { (f.closed_already) }
            } @else {
                form.money method="post" action={ "/projects/" (p.id) "/recovery" } data-testid="recovery-form" {
                    (hidden(v))
                    label for="rec-date" { (f.date) }
                    input id="rec-date" name="date" type="date" required value=(if rec.date.is_empty() { today.clone() } else { rec.date.clone() });
                    (field_error(rec_x, "date", f.field_date))
                    label for="rec-reason" { (f.reason) }
                    select id="rec-reason" name="reason" {
                        // A leader who no longer qualifies ends a studio only.
                        @for reason in Reason::ALL.into_iter().filter(|r| *r != Reason::LeaderUnqualified || p.kind == ProjectKind::Studio) {
                            option value=(reason.as_str()) selected[chosen == reason.as_str()] { (recovery_reason(v.lang, reason.as_str())) }
                        }
                    }
                    (field_error(rec_x, "reason", f.field_reason))
                    label for="rec-note" { (f.remark) }
                    input id="rec-note" name="note" type="text" maxlength="500" value=(rec.note);
                    button type="submit" { (f.recover_button) }
                }
            }
        }
        section aria-labelledby="remit-h" {
            h2 id="remit-h" { (f.remittance_title) }
            @if let Some(x) = rem_x { (x.alert()) }
            @if s.owed_to_finance.is_zero() {
                p.muted data-testid="nothing-owed" { (f.nothing_owed_now) }
            } @else {
                form.money method="post" action={ "/projects/" (p.id) "/remittances" } data-testid="remittance-form" {
                    (hidden(v))
                    label for="rem-date" { (f.date) }
                    input id="rem-date" name="date" type="date" required value=(if rem.date.is_empty() { today.clone() } else { rem.date.clone() });
                    (field_error(rem_x, "date", f.field_date))
                    label for="rem-amount" { (f.amount) }
                    input id="rem-amount" name="amount" type="text" inputmode="decimal" required autocomplete="off"
                        value=(if rem.amount.is_empty() { amount(s.owed_to_finance) } else { rem.amount.clone() });
                    (amount_error(rem_x, f.field_amount))
                    label for="rem-reference" { (f.reference) }
                    input id="rem-reference" name="reference" type="text" maxlength="200" value=(rem.reference);
                    button type="submit" { (f.remit_button) }
                }
            }
        }
    };
    Ok(Page::ok(f.recovery_title, body))
}

pub async fn recover(v: Visit, req: HttpRequest, id: web::Path<String>, form: web::Form<MoneyForm>) -> HttpResponse {
    let (id, form) = (id.into_inner(), form.into_inner());
    let raw = json!({"date": form.date.trim(), "reason": form.reason.trim(), "note": form.note.trim()});
    let answer = post(&v, &req, &form, |caller, key| recovery::recovery(&v.state, caller, &req, id.clone(), raw, key)).await;
    respond_recovery(v, id, &form, answer, Which::Recovery).await
}

pub async fn remit(v: Visit, req: HttpRequest, id: web::Path<String>, form: web::Form<MoneyForm>) -> HttpResponse {
    let (id, form) = (id.into_inner(), form.into_inner());
    let raw = json!({"date": form.date.trim(), "amount": amount_text(&form.amount), "reference": form.reference.trim()});
    let answer = post(&v, &req, &form, |caller, key| recovery::remittance(&v.state, caller, &req, id.clone(), raw, key)).await;
    respond_recovery(v, id, &form, answer, Which::Remittance).await
}

async fn respond_recovery(
    v: Visit,
    id: String,
    form: &MoneyForm,
    answer: Result<Result<Option<i64>, (actix_web::http::StatusCode, Explained)>, Refusal>,
    which: Which,
) -> HttpResponse {
    let what = if which == Which::Recovery { "recovered" } else { "remitted" };
    let outcome = match answer {
        Ok(Ok(number)) => return v.redirect(&done(&format!("/projects/{id}/recovery"), what, number), None),
        Ok(Err((status, x))) => recovery_view(&v, id, Some((which, form, &x)), &Done::default()).await.map(|p| refused(p, status)),
        Err(r) => Err(r),
    };
    v.respond(outcome)
}
