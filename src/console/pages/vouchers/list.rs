//! `GET /projects/{id}/vouchers`: a project's vouchers with filters (status, kind, dates), a page
//! at a time, the page's totals, each row linking to its voucher. For every role that may read the
//! project.
use super::super::super::format::amount;
use super::super::super::{Page, Refusal, Visit};
use super::{number_label, vw};
use crate::auth::Role;
use crate::domain::kind::VoucherKind;
use crate::domain::money::Money;
use crate::domain::status::VoucherStatus;
use crate::error::AppError;
use crate::http::db;
use crate::http::projects::visible;
use crate::http::views::VoucherView;
use crate::store::vouchers::{self, VoucherFilter};
use actix_web::{web, HttpResponse};
use maud::html;
use serde::Deserialize;

const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
}

/// A filter left at "any" comes as an empty value.
fn chosen(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListQuery {
    fn filter(&self) -> Result<VoucherFilter, AppError> {
        let status = chosen(&self.status).map(|s| VoucherStatus::parse(s).ok_or_else(|| AppError::field("status", "unknown status")));
        let kind = chosen(&self.kind).map(|k| VoucherKind::parse(k).ok_or_else(|| AppError::field("kind", "unknown kind")));
        let date = |field: &str, d: &Option<String>| chosen(d).map(|d| crate::http::parse_date(field, d)).transpose();
        Ok(VoucherFilter {
            status: status.transpose()?,
            kind: kind.transpose()?,
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            account: None,
            after: chosen(&self.after).unwrap_or("").to_string(),
            // One more than shown tells whether there is a next page.
            limit: PAGE + 1,
        })
    }

    /// This query's link with the page starting after `after`.
    fn link(&self, id: &str, after: Option<&str>) -> String {
        let mut q: Vec<String> = [("status", &self.status), ("kind", &self.kind), ("from", &self.from), ("to", &self.to)]
            .into_iter()
            .filter_map(|(k, v)| chosen(v).map(|v| format!("{k}={}", urlencoding(v))))
            .collect();
        if let Some(a) = after {
            q.push(format!("after={}", urlencoding(a)));
        }
        format!("/projects/{id}/vouchers?{}", q.join("&"))
    }
}

/// Dates, codes and ids are ASCII letters, digits and `-`: nothing else needs escaping, and
/// anything else is dropped rather than passed on.
fn urlencoding(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

pub async fn page(v: Visit, id: web::Path<String>, q: web::Query<ListQuery>) -> HttpResponse {
    let outcome = render(&v, id.into_inner(), q.into_inner()).await;
    v.respond(outcome)
}

async fn render(v: &Visit, id: String, q: ListQuery) -> Result<Page, Refusal> {
    let caller = v.caller()?.clone();
    let role = caller.role;
    let (t, w) = (v.t(), vw(v));
    // A bad filter (a hand-edited address) lists nothing rather than failing: the form shows it.
    let (filter, bad_filter) = match q.filter() {
        Ok(f) => (f, false),
        Err(_) => (VoucherFilter { limit: 0, ..Default::default() }, true),
    };
    let pid = id.clone();
    let (project, mut items) = db(&v.state, move |conn| {
        let p = visible(conn, &caller, &pid)?;
        let items = vouchers::list(conn, &pid, &filter)?.iter().map(VoucherView::of).collect::<Result<Vec<_>, _>>()?;
        Ok((p, items))
    })
    .await?;
    let more = items.len() as i64 > PAGE;
    items.truncate(PAGE as usize);
    let total: Money = items.iter().map(|x| x.total).sum();
    let next = more.then(|| q.link(&id, items.last().map(|x| x.id.as_str())));
    let is = |v: &Option<String>, s: &str| chosen(v) == Some(s);
    let body = html! {
        nav.crumbs { (super::super::widgets::home_crumb(v)) " › " a href={ "/projects/" (id) } { (project.name) } " › " (t.vouchers) }
        h1 { (project.name) " · " (t.vouchers) }
        @if matches!(role, Role::Unit | Role::Finance) {
            p.actions {
                a.button href={ "/projects/" (id) "/vouchers/new" } { (t.new_voucher) } " "
                a.button href={ "/projects/" (id) "/import" } data-testid="import-link" { (super::super::super::i18n::imports::words(v.lang).title) }
            }
        }
        form.filters method="get" action={ "/projects/" (id) "/vouchers" } {
            div { label for="f-status" { (t.status) } br;
                select id="f-status" name="status" {
                    option value="" { (t.any) }
                    @for s in VoucherStatus::ALL { option value=(s.as_str()) selected[is(&q.status, s.as_str())] { (v.lang.code_name(s.as_str())) } }
                }
            }
            div { label for="f-kind" { (w.kind) } br;
                select id="f-kind" name="kind" {
                    option value="" { (t.any) }
                    @for k in VoucherKind::ALL { option value=(k.as_str()) selected[is(&q.kind, k.as_str())] { (v.lang.code_name(k.as_str())) } }
                }
            }
            div { label for="f-from" { (w.from) } br;
                input type="text" id="f-from" name="from" value=[chosen(&q.from)] placeholder="2025-01-01" inputmode="numeric"; }
            div { label for="f-to" { (w.to) } br;
                input type="text" id="f-to" name="to" value=[chosen(&q.to)] placeholder="2025-12-31" inputmode="numeric"; }
            div { button type="submit" { (t.filter) } }
        }
        @if bad_filter { p.error role="alert" data-testid="form-error" { (w.bad_date) } }
        @if items.is_empty() {
            p.muted { (w.no_vouchers) }
        } @else {
            div.scroll { table data-testid="voucher-list" {
                thead { tr {
                    th { (w.number) } th { (w.date) } th { (w.summary) } th { (w.kind) } th { (t.status) } th.num { (w.total) }
                } }
                tbody {
                    @for x in &items {
                        tr data-voucher-id=(x.id) {
                            td { a href={ "/projects/" (id) "/vouchers/" (x.id) } {
                                (number_label(x.number).unwrap_or_else(|| w.unnumbered.to_string())) } }
                            td { (x.date.format("%Y-%m-%d")) }
                            td.wrap { (x.summary) }
                            td { (v.lang.code_name(x.kind.as_str())) }
                            td { span class={ "status " (x.status) } { (v.lang.code_name(x.status.as_str())) } }
                            td.num { (amount(x.total)) }
                        }
                    }
                }
                tfoot { tr {
                    th colspan="5" { (w.page_total) " · " (w.count) " " (items.len()) }
                    td.num data-testid="page-total" { (amount(total)) }
                } }
            } }
        }
        p.pager {
            @if chosen(&q.after).is_some() { a href=(q.link(&id, None)) { (w.first_page) } " " }
            @if let Some(n) = next { a href=(n) rel="next" { (w.next_page) } }
        }
    };
    Ok(Page::ok(format!("{} · {}", project.name, t.vouchers), body))
}
