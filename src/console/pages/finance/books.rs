//! The books for whoever may read a project: its trial balance and an account's ledger, with
//! CSV and Excel downloads on the same paths (`?format=csv|xlsx`) answered by the API's own
//! handlers with the session's caller, and a print stylesheet (`console.css`, `@media print`).
use super::super::super::format::amount;
use super::super::super::problems::explain;
use super::super::super::{Page, Refusal, Visit};
use super::super::widgets::money_cell;
use super::fw;
use crate::console::i18n::Lang;
use crate::domain::chart::{AccountDef, Side};
use crate::error::AppError;
use crate::http::projects::visible;
use crate::http::statements::{self, AccountLedger, AsOf, LedgerQuery, TrialBalance};
use crate::http::{db, opt_date, Answer, Format};
use crate::store::projects;
use crate::store::rows::ProjectRow;
use actix_web::http::StatusCode;
use actix_web::web::{self, Path, Query};
use actix_web::HttpResponse;
use maud::{html, Markup};
use serde::Deserialize;

/// The pages' query: a form left at "any" sends empty values, which mean none.
#[derive(Deserialize, Default, Clone)]
pub struct BooksQuery {
    as_of: Option<String>,
    account: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from)
}

impl BooksQuery {
    /// `?format=csv|xlsx` asks for the download; any other value shows the page (the API's 422
    /// for an unknown format is for programs, a person only follows the page's own links).
    fn download(&self) -> bool {
        Format { format: self.format.clone() }.answer().is_ok_and(|a| a != Answer::Json)
    }
}

/// A workbook's headers in the language the visitor reads the console in.
fn sheet_lang(v: &Visit) -> Option<String> {
    Some(if v.lang == Lang::En { "en" } else { "zh" }.to_string())
}

/// The project (404 if the caller may not see it) and its chart.
async fn project(v: &Visit, id: &str) -> Result<(ProjectRow, Vec<AccountDef>), Refusal> {
    let (caller, id) = (v.caller()?.clone(), id.to_string());
    Ok(db(&v.state, move |conn| {
        let p = visible(conn, &caller, &id)?;
        let chart = projects::chart_of(conn, &id)?;
        Ok((p, chart))
    })
    .await?)
}

/// A download answered by the API's handler, as the signed-in caller.
fn download(v: &Visit, answer: Result<HttpResponse, AppError>) -> HttpResponse {
    match answer {
        Ok(r) => r,
        Err(e) => v.respond(Err(e.into())),
    }
}

fn crumbs(v: &Visit, p: &ProjectRow, here: &str) -> Markup {
    html! { nav.crumbs.no-print { a href="/" { (v.t().portfolio) } " › " a href={ "/projects/" (p.id) } { (p.name) } " › " (here) } }
}

/// Links to the CSV and Excel downloads of a page (`this` is its CSV link), and of the project's
/// statement and journal.
fn downloads(v: &Visit, p: &ProjectRow, this: Option<String>) -> Markup {
    let f = fw(v);
    html! {
        p.downloads.no-print {
            @if let Some(href) = this {
                a.button href=(href) data-testid="csv-link" download { (f.download_csv) } " "
                a.button href=(href.replacen("format=csv", "format=xlsx", 1)) data-testid="xlsx-link" download { (f.download_xlsx) } " "
            }
            a href={ "/projects/" (p.id) "/statement?format=csv" } download { (f.download_statement) } " · "
            a href={ "/projects/" (p.id) "/statement?format=xlsx" } data-testid="statement-xlsx-link" download { (f.download_statement_xlsx) } " · "
            a href={ "/projects/" (p.id) "/export?format=csv" } download { (f.download_journal) }
        }
    }
}

pub async fn trial_balance(v: Visit, id: web::Path<String>, q: web::Query<BooksQuery>) -> HttpResponse {
    let (id, q) = (id.into_inner(), q.into_inner());
    if q.download() {
        let Ok(caller) = v.caller().cloned() else { return v.respond(Err(Refusal::SignIn)) };
        let asked = AsOf { as_of: given(&q.as_of), format: q.format.clone(), lang: sheet_lang(&v) };
        return download(&v, statements::trial_balance(v.state.clone(), caller, Path::from(id), Query(asked)).await);
    }
    let outcome = trial_page(&v, id, q).await;
    v.respond(outcome)
}

async fn trial_page(v: &Visit, id: String, q: BooksQuery) -> Result<Page, Refusal> {
    let (p, _) = project(v, &id).await?;
    let f = fw(v);
    let as_of = given(&q.as_of);
    let (trial, refusal) = match opt_date("as_of", &as_of) {
        Ok(day) => {
            let accounts = statements::load_balances(&v.state, v.caller()?.clone(), id.clone(), day).await?;
            (Some(TrialBalance::of(as_of.clone(), accounts)), None)
        }
        Err(e) => (None, Some(e)),
    };
    let csv = format!("/projects/{}/trial-balance?format=csv{}", p.id, as_of.as_ref().map(|d| format!("&as_of={d}")).unwrap_or_default());
    let side = |s: Side| if s == Side::Debit { f.debit_side } else { f.credit_side };
    let body = html! {
        (crumbs(v, &p, f.trial_balance_title))
        h1 { (f.trial_balance_title) " · " (p.name) }
        form.filters.no-print method="get" action={ "/projects/" (p.id) "/trial-balance" } {
            label { (f.as_of) " " input name="as_of" type="date" value=(as_of.clone().unwrap_or_default()); }
            button type="submit" { (f.show) }
        }
        @if let Some(e) = &refusal { (explain(v.lang, e).alert()) }
        (downloads(v, &p, Some(csv)))
        @if let Some(tb) = &trial {
            p.meta { (f.as_of) " " (as_of.clone().unwrap_or_else(|| crate::domain::calendar::today().to_string())) " · "
                span data-testid="trial-balanced" data-balanced=(tb.balanced) class=(if tb.balanced { "ok" } else { "bad" }) {
                    (if tb.balanced { f.balanced } else { f.unbalanced }) } }
            div.scroll { table.books data-testid="trial-balance" {
                thead { tr { th scope="col" { (f.code) } th scope="col" { (f.account_name) } th scope="col" { (f.side) }
                    th.num scope="col" { (f.debit) } th.num scope="col" { (f.credit) } th.num scope="col" { (f.balance) } } }
                tbody { @for a in &tb.accounts {
                    tr data-testid="trial-row" data-code=(a.code) {
                        td { a href={ "/projects/" (p.id) "/ledger?account=" (a.code) } { (a.code) } }
                        td { (a.name) } td { (side(a.side)) }
                        (money_cell(a.debit_total)) (money_cell(a.credit_total)) (money_cell(a.balance))
                    }
                } }
                tfoot {
                    tr { th scope="row" colspan="3" { (f.total) }
                        td.num data-testid="trial-total" data-field="debit" { (amount(tb.totals.debit)) }
                        td.num data-testid="trial-total" data-field="credit" { (amount(tb.totals.credit)) } td {} }
                    tr { th scope="row" colspan="3" { (f.debit_balances) " / " (f.credit_balances) }
                        td.num data-testid="trial-total" data-field="debit_balances" { (amount(tb.totals.debit_balances)) }
                        td.num data-testid="trial-total" data-field="credit_balances" { (amount(tb.totals.credit_balances)) } td {} }
                }
            } }
        }
        p.no-print { a href={ "/projects/" (p.id) } { (f.back_to_project) } }
    };
    let status = refusal.as_ref().map_or(StatusCode::OK, AppError::status);
    Ok(Page { status, ..Page::ok(f.trial_balance_title, body) })
}

pub async fn ledger(v: Visit, id: web::Path<String>, q: web::Query<BooksQuery>) -> HttpResponse {
    let (id, q) = (id.into_inner(), q.into_inner());
    let asked = LedgerQuery {
        account: given(&q.account).unwrap_or_else(|| crate::domain::chart::BANK.to_string()),
        from: given(&q.from),
        to: given(&q.to),
        format: q.format.clone(),
        lang: sheet_lang(&v),
    };
    if q.download() {
        let Ok(caller) = v.caller().cloned() else { return v.respond(Err(Refusal::SignIn)) };
        return download(&v, statements::ledger(v.state.clone(), caller, Path::from(id), Query(asked)).await);
    }
    let outcome = ledger_page(&v, id, asked).await;
    v.respond(outcome)
}

async fn ledger_page(v: &Visit, id: String, q: LedgerQuery) -> Result<Page, Refusal> {
    let (p, chart) = project(v, &id).await?;
    let f = fw(v);
    let (found, refusal) = match AccountLedger::load(&v.state, v.caller()?.clone(), id.clone(), &q).await {
        Ok(l) => (Some(l), None),
        Err(e) if e.status().is_client_error() && e.status() != StatusCode::NOT_FOUND => (None, Some(e)),
        Err(e) => return Err(e.into()),
    };
    let mut csv = format!("/projects/{}/ledger?format=csv&account={}", p.id, q.account);
    for (k, val) in [("from", &q.from), ("to", &q.to)] {
        if let Some(d) = val {
            csv.push_str(&format!("&{k}={d}"));
        }
    }
    let body = html! {
        (crumbs(v, &p, f.ledger_title))
        h1 { (f.ledger_title) " · " (p.name) }
        form.filters.no-print method="get" action={ "/projects/" (p.id) "/ledger" } data-testid="ledger-filter" {
            label { (f.account) " "
                select name="account" { @for a in &chart {
                    option value=(a.code) selected[a.code == q.account || a.category.as_deref() == Some(q.account.as_str())] { (a.code) " " (a.name) }
                } } }
            label { (f.from) " " input name="from" type="date" value=(q.from.clone().unwrap_or_default()); }
            label { (f.to) " " input name="to" type="date" value=(q.to.clone().unwrap_or_default()); }
            button type="submit" { (f.show) }
        }
        @if let Some(e) = &refusal { (explain(v.lang, e).alert()) }
        (downloads(v, &p, refusal.is_none().then_some(csv)))
        @if let Some(l) = &found {
            h2 { (l.account.code) " " (l.account.name) }
            div.scroll { table.books data-testid="ledger" {
                thead { tr { th scope="col" { (f.date) } th scope="col" { (f.voucher) } th scope="col" { (f.summary) }
                    th.num scope="col" { (f.debit) } th.num scope="col" { (f.credit) } th.num scope="col" { (f.balance) } } }
                tbody {
                    tr.opening { td colspan="5" { (f.opening) } td.num data-testid="ledger-opening" { (amount(l.opening_balance)) } }
                    @for e in &l.entries {
                        tr data-testid="ledger-entry" {
                            td { (e.date) }
                            td { a href={ "/projects/" (p.id) "/vouchers/" (e.voucher_id) } { (e.number.map(|n| n.to_string()).unwrap_or_default()) } }
                            td { (e.summary) } (money_cell(e.debit)) (money_cell(e.credit)) (money_cell(e.balance))
                        }
                    }
                    @if l.entries.is_empty() { tr { td colspan="6" .muted { (f.no_entries) } } }
                }
                tfoot { tr {
                    th scope="row" colspan="3" { (f.total) " · " (f.closing) }
                    td.num { (amount(l.entries.iter().map(|e| e.debit).sum())) }
                    td.num { (amount(l.entries.iter().map(|e| e.credit).sum())) }
                    td.num data-testid="ledger-closing" { (amount(l.closing_balance)) }
                } }
            } }
        }
        p.no-print { a href={ "/projects/" (p.id) } { (f.back_to_project) } }
    };
    let status = refusal.as_ref().map_or(StatusCode::OK, AppError::status);
    Ok(Page { status, ..Page::ok(f.ledger_title, body) })
}

/// `?format=csv|xlsx`: the project's statement as the API's download; anything else is the
/// project's page.
pub async fn statement_csv(v: Visit, id: web::Path<String>, q: web::Query<BooksQuery>) -> HttpResponse {
    let (id, q) = (id.into_inner(), q.into_inner());
    let Ok(caller) = v.caller().cloned() else { return v.respond(Err(Refusal::SignIn)) };
    if !q.download() {
        return v.redirect(&format!("/projects/{id}"), None);
    }
    let asked = AsOf { as_of: given(&q.as_of), format: q.format.clone(), lang: sheet_lang(&v) };
    download(&v, statements::project_statement(v.state.clone(), caller, Path::from(id), Query(asked)).await)
}

/// The project's whole journal (`?format=csv|beancount|ledger`), as the API exports it.
pub async fn journal(v: Visit, id: web::Path<String>, q: web::Query<BooksQuery>) -> HttpResponse {
    let Ok(caller) = v.caller().cloned() else { return v.respond(Err(Refusal::SignIn)) };
    let asked = Format { format: q.into_inner().format };
    download(&v, crate::http::export::export(v.state.clone(), caller, id, Query(asked)).await)
}
