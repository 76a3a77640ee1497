//! A project's page: its statement figures, spending by category, and links to its trail.
use super::super::format::amount;
use super::super::i18n::{charts, Lang, Words};
use super::super::{Page, Refusal, Visit};
use super::charts::{spending_chart, spending_over_time};
use super::widgets::{bar, category_chart};
use crate::auth::Role;
use crate::domain::calendar;
use crate::domain::statement::Statement;
use crate::http::audit::TRAIL_READERS;
use crate::http::db;
use crate::http::projects::visible;
use crate::store::people;
use crate::store::snapshot;
use crate::store::statements::books;
use actix_web::{web, HttpResponse};
use maud::html;

pub async fn show(v: Visit, id: web::Path<String>) -> HttpResponse {
    let outcome = page(&v, id.into_inner()).await;
    v.respond(outcome)
}

async fn page(v: &Visit, id: String) -> Result<Page, Refusal> {
    let caller = v.caller()?.clone();
    let role = caller.role;
    let (project, s, org, points, books_for_flags) = db(&v.state, move |conn| {
        snapshot(conn, |conn| {
            let p = visible(conn, &caller, &id)?;
            let org = people::get_org(conn, &p.org_id)?.name;
            let for_flags = crate::store::flags::books_for_flags(conn, vec![p.clone()], false)?;
            let b = books(conn, p, None)?;
            let today = calendar::today();
            let s = b.figures().statement(b.project.start(), b.project.end(), today);
            let points = spending_over_time(conn, &b, today)?;
            Ok((b.project, s, org, points, for_flags))
        })
    })
    .await?;
    let t = v.t();
    let cw = charts::words(v.lang);
    let fw = super::super::i18n::flags::words(v.lang);
    let all = crate::http::flags::Filter::parse(None, None)?;
    let found = crate::http::flags::judge(&books_for_flags, &v.state.flags, &all);
    let flagged = crate::http::flags::views(found, super::flags::sheet_lang(v.lang));
    let figures: [(&str, &str, crate::domain::money::Money); 7] = [
        ("grant", t.grant, s.grant),
        ("disbursed", t.disbursed, s.disbursed),
        ("undisbursed", t.undisbursed, s.undisbursed),
        ("implemented", t.implemented, s.implemented),
        ("bank_balance", t.bank_balance, s.bank_balance),
        ("available", t.available, s.available),
        ("recoverable", t.recoverable, s.recoverable),
    ];
    let body = html! {
        nav.crumbs { a href="/" { (if role == Role::Unit { t.projects } else { t.portfolio }) } " › " (project.name) }
        h1 { (project.name) }
        p.meta {
            (org) " · " (v.lang.code_name(project.kind.as_str())) " · "
            span class={ "status " (project.status) } { (v.lang.code_name(project.status.as_str())) } " · "
            (t.period) " " (project.start_date) " – " (project.end_date) " · "
            (t.days_left) " " (s.period.days_left)
        }
        p.actions {
            @for (path, label) in actions(role, t) {
                a.button href={ "/projects/" (project.id) (path) } { (label) }
            }
            // Beside the entry form, where the unit starts its vouchers (finance, from the list).
            @if role == Role::Unit {
                a.button href={ "/projects/" (project.id) "/import" } data-testid="import-link" { (super::super::i18n::imports::words(v.lang).title) }
            }
            @if role != Role::Admin {
                @for (path, label) in super::people::acceptance_links(v.lang) {
                    a.button href={ "/projects/" (project.id) (path) } { (label) }
                }
            }
        }
        section aria-labelledby="statement-h" {
            h2 id="statement-h" { (t.statement) }
            dl.figures {
                @for (field, label, value) in figures {
                    div.figure {
                        dt { (label) }
                        dd data-testid="statement-figure" data-field=(field) { (amount(value)) }
                    }
                }
            }
            p { (t.utilization) " " (bar(&s.utilization)) }
        }
        section aria-labelledby="category-h" {
            h2 id="category-h" { (t.by_category) }
            (category_chart(&s.by_category, t.by_category, t.no_spending, v.lang == Lang::En))
        }
        section aria-labelledby="flags-h" data-testid="project-flags" {
            h2 id="flags-h" { (fw.title) }
            (super::flags::table(v.lang, fw, &flagged, None, fw.project_none))
        }
        section aria-labelledby="over-time-h" {
            h2 id="over-time-h" { (cw.over_time) }
            (spending_chart(&points, s.grant, project.start_date, project.end_date, cw))
        }
    };
    let _: &Statement = &s;
    Ok(Page::ok(project.name.clone(), body))
}

/// What each role can go on to from a project's page (paths under `/projects/{id}`).
fn actions(role: Role, t: &Words) -> Vec<(&'static str, &'static str)> {
    let mut a = match role {
        Role::Unit => vec![("/vouchers/new", t.new_voucher), ("/vouchers", t.vouchers), ("/reports", t.annual_reports)],
        Role::Finance => vec![
            ("/vouchers", t.vouchers),
            ("/disburse", t.disburse),
            ("/recovery", t.recovery),
            ("/trial-balance", t.trial_balance),
            ("/ledger", t.ledger),
        ],
        Role::Hr => vec![("/manage", t.manage_project), ("/reports", t.annual_reports), ("/vouchers", t.vouchers)],
        Role::Inspector => vec![("/vouchers", t.vouchers), ("/trial-balance", t.trial_balance), ("/ledger", t.ledger)],
        Role::Admin => vec![],
    };
    if TRAIL_READERS.contains(&role) {
        a.push(("/audit", t.audit_trail));
    }
    a
}
