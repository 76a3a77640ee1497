//! The unit's voucher entry form in the 记账凭证 layout (`GET`/`POST /projects/{id}/vouchers/new`)
//! and its live classification (`POST /projects/{id}/classify`). The form posts the API's voucher
//! body to the API's own submission, so the server judges exactly as it judges `/api/v1`; the
//! script (assets/vouchers.js) only adds running totals, verdicts as the user types, and Enter to
//! the next cell (the verdicts come from `live`). A copy of an earlier voucher opens here
//! pre-filled with today's date.
use super::super::super::assets::VOUCHERS_JS;
use super::super::super::format::amount;
use super::super::super::i18n::vouchers::{self as words, VoucherWords};
use super::super::super::problems::{explain, Explained};
use super::super::super::{Page, Refusal, Visit};
use super::sheet::account_name;
use super::{new_key, on_form, vw, Done};
use crate::auth::Role;
use crate::domain::calendar;
use crate::domain::chart::{self, AccountDef};
use crate::domain::classify::{Reason, Verdict};
use crate::domain::money::Money;
use crate::error::{AppError, Code};
use crate::http::db;
use crate::http::money::{bind_key, submit_voucher};
use crate::http::projects::visible;
use crate::http::views::VoucherView;
use crate::store::{projects, vouchers};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

/// Rows the empty form offers; more come with "add a line" (or a copy's lines and one more).
const EMPTY_ROWS: usize = 4;
/// The voucher's limit (domain::ledger::MAX_LINES); rows past it are not read.
const MAX_ROWS: usize = crate::domain::ledger::MAX_LINES;
/// How many of the unit's summaries the 常用摘要 list offers.
const COMMON_SUMMARIES: i64 = 20;

/// The form as typed: every field as text, so a refused form comes back exactly as it was.
#[derive(Default)]
struct Entry {
    date: String,
    summary: String,
    attachments: String,
    rows: Vec<Row>,
}

#[derive(Default, Clone)]
struct Row {
    summary: String,
    account: String,
    debit: String,
    credit: String,
    /// The invoice the line pays (number, seller, seller's credit code); blank for none.
    invoice: [String; 3],
}

impl Row {
    fn is_blank(&self) -> bool {
        [&self.summary, &self.account, &self.debit, &self.credit].iter().all(|s| s.trim().is_empty()) && !self.has_invoice()
    }

    fn has_invoice(&self) -> bool {
        self.invoice.iter().any(|s| !s.trim().is_empty())
    }
}

/// What a row shows in its verdict cell.
#[derive(Default)]
struct Note {
    verdict: Option<Option<Verdict>>,
    reasons: Vec<String>,
    error: Option<String>,
}

/// An amount as typed, with the thousands separators people copy from statements taken out.
fn plain_amount(s: &str) -> String {
    s.trim().replace([',', '，', ' '], "")
}

impl Entry {
    /// The form's fields in order: the i-th `account`, `debit`, ... belong to the i-th row.
    fn read(pairs: &[(String, String)]) -> Entry {
        let mut e = Entry::default();
        let mut rows: [Vec<String>; 7] = Default::default();
        for (k, v) in pairs {
            match k.as_str() {
                "date" => e.date = v.clone(),
                "summary" => e.summary = v.clone(),
                "attachments" => e.attachments = v.clone(),
                "line_summary" => rows[0].push(v.clone()),
                "account" => rows[1].push(v.clone()),
                "debit" => rows[2].push(v.clone()),
                "credit" => rows[3].push(v.clone()),
                "invoice_no" => rows[4].push(v.clone()),
                "seller" => rows[5].push(v.clone()),
                "seller_tax_id" => rows[6].push(v.clone()),
                _ => {}
            }
        }
        let n = rows.iter().map(Vec::len).max().unwrap_or(0).min(MAX_ROWS + 1);
        let at = |col: &Vec<String>, i: usize| col.get(i).cloned().unwrap_or_default();
        e.rows = (0..n)
            .map(|i| Row {
                summary: at(&rows[0], i),
                account: at(&rows[1], i),
                debit: at(&rows[2], i),
                credit: at(&rows[3], i),
                invoice: [at(&rows[4], i), at(&rows[5], i), at(&rows[6], i)],
            })
            .collect();
        e
    }

    /// The API's voucher body, and for each of its lines the form row it came from. Blank rows
    /// are left out; everything else is the API's to judge.
    fn body(&self) -> Result<(Value, Vec<usize>), AppError> {
        let attachments = match self.attachments.trim() {
            "" => 0,
            a => a.parse::<u16>().map_err(|_| AppError::field("attachments", "a whole number from 0 to 65535"))?,
        };
        let mut lines = Vec::new();
        let mut from_row = Vec::new();
        for (i, r) in self.rows.iter().enumerate().filter(|(_, r)| !r.is_blank()) {
            let mut line = json!({"account": r.account.trim(), "summary": r.summary.trim()});
            for (side, text) in [("debit", &r.debit), ("credit", &r.credit)] {
                if !text.trim().is_empty() {
                    line[side] = json!(plain_amount(text));
                }
            }
            if r.has_invoice() {
                let [number, seller, tax_id] = &r.invoice;
                line["invoice"] = json!({"number": number.trim(), "seller": seller.trim(), "seller_tax_id": tax_id.trim()});
            }
            lines.push(line);
            from_row.push(i);
        }
        let body = json!({"date": self.date.trim(), "summary": self.summary.trim(), "attachments": attachments, "lines": lines});
        Ok((body, from_row))
    }

    fn blank(date: String) -> Entry {
        Entry { date, rows: vec![Row::default(); EMPTY_ROWS], ..Default::default() }
    }

    /// A copy of an earlier voucher, dated today.
    fn copy_of(x: &VoucherView) -> Entry {
        let side = |m: Money| if m.is_zero() { String::new() } else { format!("{}.{:02}", m.fen() / 100, m.fen() % 100) };
        let mut rows: Vec<Row> = x
            .lines
            .iter()
            // The invoice is not copied: it was reimbursed by the voucher copied.
            .map(|l| Row {
                summary: l.summary.clone(),
                account: l.account.clone(),
                debit: side(l.debit),
                credit: side(l.credit),
                invoice: Default::default(),
            })
            .collect();
        rows.push(Row::default());
        Entry { date: calendar::today().to_string(), summary: x.summary.clone(), attachments: x.attachments.to_string(), rows }
    }
}

/// The project, the accounts an expenditure voucher may use, and the unit's common summaries.
struct Setting {
    project_id: String,
    project_name: String,
    accounts: Vec<AccountDef>,
    summaries: Vec<String>,
    copied: Option<VoucherView>,
}

async fn setting(v: &Visit, id: String, copy: Option<String>) -> Result<Setting, Refusal> {
    let caller = v.caller()?.clone();
    if !matches!(caller.role, Role::Unit | Role::Finance) {
        return Err(Refusal::Forbidden);
    }
    Ok(db(&v.state, move |conn| {
        let p = visible(conn, &caller, &id)?;
        let accounts = projects::chart_of(conn, &id)?.into_iter().filter(|a| chart::expense_voucher_may_use(&a.code)).collect();
        let summaries = vouchers::common_summaries(conn, &p.org_id, COMMON_SUMMARIES)?;
        let copied = copy.map(|vid| vouchers::stored(conn, &id, &vid).and_then(|s| VoucherView::of(&s))).transpose()?;
        Ok(Setting { project_id: p.id, project_name: p.name, accounts, summaries, copied })
    })
    .await?)
}

#[derive(Deserialize)]
pub struct FormQuery {
    copy: Option<String>,
}

pub async fn form(v: Visit, id: web::Path<String>, q: web::Query<FormQuery>) -> HttpResponse {
    let outcome = async {
        let s = setting(&v, id.into_inner(), q.into_inner().copy.filter(|c| !c.is_empty())).await?;
        let entry = s.copied.as_ref().map_or_else(|| Entry::blank(calendar::today().to_string()), Entry::copy_of);
        Ok(render(&v, &s, &entry, None, Vec::new()))
    }
    .await;
    v.respond(outcome)
}

/// `POST /projects/{id}/vouchers/new`: the voucher's page when it is saved (posted, or held for
/// review); the form again, as typed, with the refusal explained line by line otherwise.
pub async fn submit(v: Visit, req: HttpRequest, id: web::Path<String>, form: web::Form<Vec<(String, String)>>) -> HttpResponse {
    let id = id.into_inner();
    let pairs = form.into_inner();
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
    let key = pairs.iter().find(|(k, _)| k == "key").map(|(_, v)| v.trim()).filter(|k| !k.is_empty());
    let outcome = async {
        v.require_csrf(&req, csrf)?;
        let caller = v.caller()?.clone();
        let s = setting(&v, id.clone(), None).await?;
        let entry = Entry::read(&pairs);
        let tried = match entry.body() {
            Ok((body, rows)) => {
                let idem = key.map(|k| bind_key(&caller, k, "POST", req.path(), &body)).transpose()?;
                submit_voucher(&v.state, &caller, id.clone(), idem, body).await.map_err(|e| (e, rows))
            }
            Err(e) => Err((e, Vec::new())),
        };
        match tried {
            Ok((_, saved)) => Ok(Done::Saved(format!("/projects/{id}/vouchers/{}", saved["id"].as_str().unwrap_or_default()))),
            Err((e, rows)) => {
                let e = on_form(e)?;
                let notes = notes_of(v.lang, &e, &rows, entry.rows.len());
                let mut page = render(&v, &s, &entry, Some(explain(v.lang, &e)), notes);
                page.status = e.status();
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

/// Each form row's part of a refusal: its verdict and reasons (`voucher_rejected`), or the
/// sentence of an error that names its line.
fn notes_of(lang: super::super::super::i18n::Lang, e: &AppError, rows: &[usize], n: usize) -> Vec<Note> {
    let mut notes: Vec<Note> = (0..n).map(|_| Note::default()).collect();
    let row_of = |line: usize| line.checked_sub(1).and_then(|i| rows.get(i)).copied();
    if e.code == Code::VoucherRejected {
        for l in e.extra.get("lines").and_then(Value::as_array).into_iter().flatten() {
            let Some(row) = l["line"].as_u64().and_then(|n| row_of(n as usize)) else { continue };
            let verdict: Option<Verdict> = serde_json::from_value(l["verdict"].clone()).unwrap_or(None);
            let reasons: Vec<Reason> = serde_json::from_value(l["reasons"].clone()).unwrap_or_default();
            if let Some(note) = notes.get_mut(row) {
                note.verdict = Some(verdict);
                note.reasons = reasons.iter().map(|r| words::reason(lang, r)).collect();
            }
        }
    } else if let Some(row) = e.extra.get("line").and_then(Value::as_u64).and_then(|n| row_of(n as usize)) {
        if let Some(note) = notes.get_mut(row) {
            note.error = Some(invoice_error(lang, e).map_or_else(|| explain(lang, e).message, str::to_string));
        }
    }
    notes
}

/// What is wrong with a line's invoice, in the clerk's words (the API names the field in English).
fn invoice_error(lang: super::super::super::i18n::Lang, e: &AppError) -> Option<&'static str> {
    let w = words::words(lang);
    e.field_errors().iter().find_map(|f| match f.field.rsplit('.').next()? {
        _ if !f.field.contains(".invoice.") => None,
        "number" => Some(w.bad_invoice_number),
        "seller" => Some(w.bad_seller),
        "seller_tax_id" => Some(w.bad_credit_code),
        _ => None,
    })
}

/// Sums a column as typed; what does not read as an amount counts nothing (the server judges it).
fn column(rows: &[Row], side: impl Fn(&Row) -> &str) -> Money {
    rows.iter().filter_map(|r| Money::parse_positive(&plain_amount(side(r))).ok()).sum()
}

fn render(v: &Visit, s: &Setting, e: &Entry, why: Option<Explained>, notes: Vec<Note>) -> Page {
    let (t, w) = (v.t(), vw(v));
    let field = |name: &str| why.as_ref().and_then(|x| x.field(name)).is_some();
    let (debits, credits) = (column(&e.rows, |r| &r.debit), column(&e.rows, |r| &r.credit));
    let base = format!("/projects/{}", s.project_id);
    let body = html! {
        nav.crumbs { (super::super::widgets::home_crumb(v)) " › " a href=(base) { (s.project_name) } " › " a href={ (base) "/vouchers" } { (t.vouchers) } " › " (t.new_voucher) }
        h1 { (w.voucher_title) " · " (t.new_voucher) }
        p.muted { (w.entry_help) }
        @if let Some(x) = &why { (x.alert()) }
        form #voucher-entry.entry method="post" action={ (base) "/vouchers/new" } data-classify={ (base) "/classify" } novalidate {
            input type="hidden" name="csrf" value=(v.csrf().unwrap_or_default());
            input type="hidden" name="key" value=(new_key());
            div.entry-head {
                div {
                    label for="entry-date" { (w.date) }
                    input #entry-date type="text" name="date" value=(e.date) inputmode="numeric" placeholder="2025-03-15" data-cell
                        aria-invalid=[field("date").then_some("true")];
                    @if field("date") { span.error data-field-error="date" { (w.bad_date) } }
                }
                div.grow {
                    label for="entry-summary" { (w.summary) (w.common_summaries) }
                    input #entry-summary type="text" name="summary" value=(e.summary) list="common-summaries" maxlength="500" autocomplete="off" data-cell
                        aria-invalid=[field("summary").then_some("true")];
                    @if field("summary") { span.error data-field-error="summary" { (why.as_ref().and_then(|x| x.field("summary")).unwrap_or("")) } }
                }
                div {
                    label for="entry-attachments" { (w.attached) }
                    span.nowrap {
                        input #entry-attachments.short type="text" name="attachments" value=(e.attachments) inputmode="numeric" data-cell
                            aria-invalid=[field("attachments").then_some("true")];
                        " " (w.attachments_unit)
                    }
                    @if field("attachments") { span.error data-field-error="attachments" { (w.bad_number) } }
                }
            }
            datalist #common-summaries { @for x in &s.summaries { option value=(x) {} } }
            datalist #accounts { @for a in &s.accounts { option value=(a.code) { (a.code) " " (a.name) } } }
            div.scroll { table.entry-lines {
                thead { tr {
                    th.num { (w.line) } th { (w.line_summary) } th { (w.account) } th.num { (w.debit) } th.num { (w.credit) } th { (w.invoice) } th { (w.verdict) }
                } }
                tbody #entry-lines {
                    @for (i, r) in e.rows.iter().enumerate() { (row(v, w, s, i, r, notes.get(i))) }
                }
                tfoot { tr {
                    th colspan="3" { (w.total) }
                    td.num #debit-total data-testid="debit-total" { (amount(debits)) }
                    td.num #credit-total data-testid="credit-total" { (amount(credits)) }
                    td #balance data-testid="balance" data-balanced=(if debits == credits { "true" } else { "false" })
                        data-yes=(w.balanced) data-no=(w.unbalanced) data-difference=(w.difference) {
                        @if debits == credits { (w.balanced) } @else { (w.unbalanced) }
                    }
                } }
            } }
            p.actions {
                button type="button" data-add-line hidden { (w.add_line) }
                " "
                button #entry-submit type="submit" { (w.submit) }
            }
        }
        script src=(VOUCHERS_JS.path) defer {}
    };
    Page::ok(format!("{} · {}", t.new_voucher, s.project_name), body)
}

fn row(v: &Visit, w: &VoucherWords, s: &Setting, i: usize, r: &Row, note: Option<&Note>) -> Markup {
    let n = i + 1;
    let verdict = note.and_then(|x| x.verdict);
    let error = note.and_then(|x| x.error.as_deref());
    html! {
        tr.entry-line data-row=(i) {
            td.num { (n) }
            td {
                label.sr for={ "ls-" (n) } { (w.line_before) (n) (w.line_after) " " (w.line_summary) }
                input id={ "ls-" (n) } type="text" name="line_summary" value=(r.summary) maxlength="500" data-cell;
            }
            td {
                label.sr for={ "acc-" (n) } { (w.line_before) (n) (w.line_after) " " (w.account) }
                input.account id={ "acc-" (n) } type="text" name="account" value=(r.account) list="accounts" autocomplete="off" data-cell;
                span.account-name { (account_name(&s.accounts, r.account.trim())) }
            }
            td {
                label.sr for={ "dr-" (n) } { (w.line_before) (n) (w.line_after) " " (w.debit) }
                input.amount id={ "dr-" (n) } type="text" name="debit" value=(r.debit) inputmode="decimal" data-cell;
            }
            td {
                label.sr for={ "cr-" (n) } { (w.line_before) (n) (w.line_after) " " (w.credit) }
                input.amount id={ "cr-" (n) } type="text" name="credit" value=(r.credit) inputmode="decimal" data-cell;
            }
            td.invoice {
                @for (i, (prefix, name, label, hint)) in [
                    ("inv", "invoice_no", w.invoice_number, "numeric"),
                    ("sel", "seller", w.seller, "text"),
                    ("tax", "seller_tax_id", w.seller_tax_id, "text"),
                ].into_iter().enumerate() {
                    label.sr for={ (prefix) "-" (n) } { (w.line_before) (n) (w.line_after) " " (label) }
                    // Not a `data-cell`: Enter runs along the amounts as before; Tab reaches these.
                    input id={ (prefix) "-" (n) } type="text" name=(name) value=(r.invoice[i]) placeholder=(label) inputmode=(hint) autocomplete="off";
                }
            }
            td.verdict-cell data-testid="line-verdict" data-verdict=[verdict.map(words::verdict_code)] aria-live="polite" {
                @if let Some(verdict) = verdict {
                    span class={ "verdict " (words::verdict_code(verdict)) } { (words::verdict(v.lang, verdict)) }
                    @for r in note.map(|x| x.reasons.as_slice()).unwrap_or_default() { div.reason { (r) } }
                }
                @if let Some(e) = error { div.error data-testid="line-error" { (e) } }
            }
        }
    }
}
