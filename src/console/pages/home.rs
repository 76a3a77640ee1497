//! The start page of each role: sign-in, a unit's projects, the portfolio (finance, hr,
//! inspector), users and organisations (admin).
use super::super::format::amount;
use super::super::{Page, Refusal, Visit};
use super::charts::{bands, utilization_chart};
use super::login;
use super::widgets::{bar, money_cell};
use crate::auth::{Caller, Role};
use crate::domain::calendar;
use crate::domain::kind::ProjectKind;
use crate::domain::money::{ratio4, ratio4_units, Money};
use crate::domain::statement::{days_left, Amounts};
use crate::domain::status::ProjectStatus;
use crate::http::db;
use crate::http::projects::org_scope;
use crate::store::people;
use crate::store::projects::{self, ListFilter, ProjectRow};
use crate::store::statements::amounts_now;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    kind: Option<String>,
    status: Option<String>,
    region: Option<String>,
    sort: Option<String>,
    /// 1-based page of `PAGE_ROWS` rows.
    page: Option<usize>,
}

impl ListQuery {
    /// A filter left at "any" comes as an empty value.
    fn chosen(v: &Option<String>) -> Option<String> {
        v.clone().filter(|s| !s.is_empty())
    }
}

pub async fn home(v: Visit, q: web::Query<ListQuery>) -> HttpResponse {
    let outcome = match v.session.as_ref().map(|s| s.caller.clone()) {
        None => Ok(login::page(v.t(), None)),
        Some(c) if c.role == Role::Admin => admin(&v).await,
        Some(c) => projects_page(&v, c, q.into_inner()).await,
    };
    v.respond(outcome)
}

/// Rows a page of the portfolio shows; its totals and chart are over every project of the filter.
const PAGE_ROWS: usize = 100;

/// A project with its amounts today and its organisation.
struct Row {
    project: ProjectRow,
    amounts: Amounts,
    /// implemented ÷ grant in ten-thousandths, as shown.
    utilization: i64,
    days_left: i64,
    org: String,
    region: String,
}

async fn load(v: &Visit, caller: Caller, q: ListQuery) -> Result<(Vec<Row>, Vec<String>), Refusal> {
    let found = db(&v.state, move |conn| {
        let orgs: BTreeMap<String, people::Org> = people::list_orgs(conn, "", i64::MAX)?.into_iter().map(|o| (o.id.clone(), o)).collect();
        let org_ids = org_scope(conn, &caller, None, ListQuery::chosen(&q.region))?;
        let (kind, status) = (ListQuery::chosen(&q.kind), ListQuery::chosen(&q.status));
        let f = ListFilter { kind, status, org_ids, after: String::new(), limit: i64::MAX };
        // The project rows alone: each keeps a copy of its fixed accounts, which give every
        // amount the table shows (`amounts_now`), so 10,000 projects read no account.
        let listed = projects::list(conn, &f)?;
        let today = calendar::today();
        let rows = listed
            .into_iter()
            .map(|project| {
                let amounts = amounts_now(&project.figures());
                let org = orgs.get(&project.org_id);
                let (org, region) = org.map(|o| (o.name.clone(), o.region.clone())).unwrap_or_default();
                let (utilization, days_left) = (ratio4_units(amounts.implemented, amounts.grant), days_left(project.end(), today));
                Row { project, amounts, utilization, days_left, org, region }
            })
            .collect::<Vec<_>>();
        let mut regions: Vec<String> = orgs.into_values().map(|o| o.region).collect();
        regions.sort();
        regions.dedup();
        Ok((rows, regions))
    })
    .await?;
    Ok(found)
}

const SORTS: [&str; 7] = ["name", "days_left", "grant", "disbursed", "implemented", "available", "utilization"];

fn sort(rows: &mut [Row], key: &str) {
    match key {
        "name" => rows.sort_by(|a, b| a.project.name.cmp(&b.project.name)),
        "grant" => rows.sort_by_key(|r| std::cmp::Reverse(r.amounts.grant)),
        "disbursed" => rows.sort_by_key(|r| std::cmp::Reverse(r.amounts.disbursed)),
        "implemented" => rows.sort_by_key(|r| std::cmp::Reverse(r.amounts.implemented)),
        "available" => rows.sort_by_key(|r| std::cmp::Reverse(r.amounts.available)),
        "utilization" => rows.sort_by_key(|r| r.utilization),
        // Periods ending soonest first: what the finance bureau watches.
        _ => rows.sort_by(|a, b| (a.days_left, &a.project.name).cmp(&(b.days_left, &b.project.name))),
    }
}

async fn projects_page(v: &Visit, caller: Caller, q: ListQuery) -> Result<Page, Refusal> {
    let t = v.t();
    let unit = caller.role == Role::Unit;
    let (mut rows, regions) = load(v, caller, q.clone()).await?;
    let key = q.sort.clone().filter(|s| SORTS.contains(&s.as_str())).unwrap_or_else(|| "days_left".into());
    sort(&mut rows, &key);
    let title = if unit { t.projects } else { t.portfolio };
    let cw = super::super::i18n::charts::words(v.lang);
    let pages = rows.len().div_ceil(PAGE_ROWS).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let link_to = |k: &str, page: usize| {
        let mut params = vec![format!("sort={k}")];
        for (name, value) in [("kind", &q.kind), ("status", &q.status), ("region", &q.region)] {
            if let Some(value) = ListQuery::chosen(value) {
                params.push(format!("{name}={}", urlencode(&value)));
            }
        }
        if page > 1 {
            params.push(format!("page={page}"));
        }
        format!("/?{}", params.join("&"))
    };
    // A new order starts from the first page.
    let link = |k: &str| link_to(k, 1);
    let head = |k: &str, label: &str, num: bool| -> Markup {
        html! {
            th.num[num] scope="col" aria-sort=[(key == k).then_some(if k == "name" || k == "days_left" { "ascending" } else { "descending" })] {
                a href=(link(k)) { (label) }
            }
        }
    };
    let sum = |f: &dyn Fn(&Amounts) -> Money| -> Money { rows.iter().map(|r| f(&r.amounts)).sum() };
    let shown = &rows[(page - 1) * PAGE_ROWS..(page * PAGE_ROWS).min(rows.len())];
    let (grant, implemented) = (sum(&|s| s.grant), sum(&|s| s.implemented));
    let body = html! {
        h1 { (title) }
        @if !unit {
            (filters(v, &q, &regions))
            @if !rows.is_empty() {
                section.portfolio-chart aria-labelledby="bands-h" {
                    h2 id="bands-h" { (cw.by_band) }
                    (utilization_chart(&bands(rows.iter().map(|r| (r.amounts.grant, r.amounts.implemented))), cw))
                }
            }
        }
        @if rows.is_empty() {
            p.muted { (t.no_projects) }
        } @else {
            div.scroll {
                table.projects {
                    thead { tr {
                        (head("name", t.name, false))
                        @if !unit { th scope="col" { (t.org) } th scope="col" { (t.region) } }
                        th scope="col" { (t.kind) } th scope="col" { (t.status) }
                        (head("grant", t.grant, true)) (head("disbursed", t.disbursed, true))
                        (head("implemented", t.implemented, true)) (head("available", t.available, true))
                        (head("utilization", t.utilization, false)) (head("days_left", t.days_left, true))
                    } }
                    tbody {
                        @for r in shown {
                            tr data-testid="project-row" data-project-id=(r.project.id) {
                                td { a href={ "/projects/" (r.project.id) } { (r.project.name) } }
                                @if !unit { td { (r.org) } td { (r.region) } }
                                td { (v.lang.code_name(r.project.kind.as_str())) }
                                td { span class={ "status " (r.project.status) } { (v.lang.code_name(r.project.status.as_str())) } }
                                (money_cell(r.amounts.grant)) (money_cell(r.amounts.disbursed))
                                (money_cell(r.amounts.implemented)) (money_cell(r.amounts.available))
                                td { (bar(&ratio4(r.amounts.implemented, r.amounts.grant))) }
                                td.num { (r.days_left) (ending_soon(v, r)) }
                            }
                        }
                    }
                    @if !unit {
                        tfoot { tr {
                            th scope="row" colspan="5" { (t.totals) " (" (rows.len()) ")" }
                            td.num { (amount(grant)) } td.num { (amount(sum(&|s| s.disbursed))) }
                            td.num { (amount(implemented)) } td.num { (amount(sum(&|s| s.available))) }
                            td { (bar(&ratio4(implemented, grant))) } td {}
                        } }
                    }
                }
            }
            @if pages > 1 {
                nav.pager aria-label=(t.portfolio) {
                    @if page > 1 { a href=(link_to(&key, page - 1)) rel="prev" { (t.previous_page) } " " }
                    span data-testid="page-of" { (t.page_of[0]) (page) (t.page_of[1]) (pages) (t.page_of[2]) }
                    @if page < pages { " " a href=(link_to(&key, page + 1)) rel="next" { (t.next_page) } }
                }
            }
        }
    };
    Ok(Page::ok(title, body))
}

fn filters(v: &Visit, q: &ListQuery, regions: &[String]) -> Markup {
    let t = v.t();
    let option = |value: &str, label: String, current: &Option<String>| -> Markup {
        html! { option value=(value) selected[current.as_deref() == Some(value)] { (label) } }
    };
    html! {
        form.filters method="get" action="/" {
            label { (t.kind) " "
                select name="kind" { option value="" { (t.any) } @for k in [ProjectKind::Base, ProjectKind::Studio] { (option(k.as_str(), v.lang.code_name(k.as_str()), &q.kind)) } } }
            label { (t.status) " "
                select name="status" { option value="" { (t.any) }
                    @for s in ProjectStatus::ALL { (option(s.as_str(), v.lang.code_name(s.as_str()), &q.status)) } } }
            label { (t.region) " "
                select name="region" { option value="" { (t.any) } @for r in regions { (option(r, r.clone(), &q.region)) } } }
            @if let Some(s) = &q.sort { input type="hidden" name="sort" value=(s); }
            button type="submit" { (t.filter) }
        }
    }
}

/// Percent-encodes a query value (regions are Chinese text).
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn admin(v: &Visit) -> Result<Page, Refusal> {
    let t = v.t();
    let (users, orgs) = db(&v.state, |conn| Ok((people::list_users(conn, "", i64::MAX)?, people::list_orgs(conn, "", i64::MAX)?))).await?;
    let org_name = |id: &Option<String>| id.as_ref().and_then(|id| orgs.iter().find(|o| &o.id == id)).map(|o| o.name.clone());
    let body = html! {
        h1 { (t.users) }
        (admin_actions(v))
        div.scroll { table {
            thead { tr { th scope="col" { (t.username) } th scope="col" { (t.role) } th scope="col" { (t.org) }
                th scope="col" { (t.status) } th scope="col" { (t.created_at) } } }
            tbody { @for u in &users {
                tr data-testid="user-row" data-user-id=(u.id) {
                    td { a href={ "/users/" (u.id) } { (u.username) } @if let Some(d) = &u.display_name { " (" (d) ")" } }
                    td { (v.lang.code_name(&u.role)) }
                    td { (org_name(&u.org_id).unwrap_or_default()) }
                    td { @if u.active { (t.active) } @else { span.status.cancelled { (t.inactive) } } }
                    td { (local_day(&u.created_at)) }
                }
            } }
        } }
        h2 { (t.orgs) }
        div.scroll { table {
            thead { tr { th scope="col" { (t.name) } th scope="col" { (t.kind) } th scope="col" { (t.region) } th scope="col" { (t.created_at) } } }
            tbody { @for o in &orgs {
                tr data-testid="org-row" data-org-id=(o.id) {
                    td { (o.name) } td { (v.lang.code_name(&o.kind)) } td { (o.region) } td { (local_day(&o.created_at)) }
                }
            } }
        } }
    };
    Ok(Page::ok(t.users, body))
}

/// Where the admin creates users and organisations (`pages::people`).
fn admin_actions(v: &Visit) -> Markup {
    let w = super::super::i18n::people::words(v.lang);
    html! { p.actions { a.button href="/users/new" { (w.new_user) } " " a.button href="/orgs/new" { (w.new_org) } } }
}

/// The Chifeng date of a stored timestamp.
fn local_day(at: &str) -> String {
    calendar::local_date_of(at).map_or_else(|| at.to_string(), |d| d.to_string())
}

/// Active projects whose period ends within this many days are marked: their recovery is near.
const ENDING_SOON_DAYS: i64 = 90;

fn ending_soon(v: &Visit, r: &Row) -> Markup {
    let soon = r.project.status.is_active() && r.days_left <= ENDING_SOON_DAYS;
    html! {
        @if soon {
            " " span.status.suspended data-testid="ending-soon" { (super::super::i18n::finance::words(v.lang).ending_soon) }
        }
    }
}
