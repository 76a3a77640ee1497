//! HR's annual reports: the reports received (with the plan's targets and lateness, as the API
//! judges them) and the years whose report is overdue (`domain::reporting::overdue_years`).
use super::super::super::i18n::people::words;
use super::super::super::{Page, Refusal, Visit};
use crate::auth::Role;
use crate::domain::{calendar, reporting};
use crate::http::db;
use crate::http::reports::{view, ReportView};
use crate::store::projects::{self, ListFilter};
use crate::store::rows::ProjectRow;
use crate::store::{people, reports, snapshot};
use actix_web::HttpResponse;
use maud::html;
use std::collections::BTreeMap;

pub async fn show(v: Visit) -> HttpResponse {
    let outcome = page(&v).await;
    v.respond(outcome)
}

/// A project with its organisation's name and its reports as the API shows them.
struct Filed {
    project: ProjectRow,
    org: String,
    reports: Vec<ReportView>,
}

async fn page(v: &Visit) -> Result<Page, Refusal> {
    v.caller()?.require(&[Role::Hr])?;
    let filed = db(&v.state, |conn| {
        snapshot(conn, |conn| {
            let orgs: BTreeMap<String, String> = people::list_orgs(conn, "", i64::MAX)?.into_iter().map(|o| (o.id, o.name)).collect();
            let all = ListFilter { kind: None, status: None, org_ids: None, after: String::new(), limit: i64::MAX };
            projects::list(conn, &all)?
                .into_iter()
                .map(|p| {
                    let reports = reports::list(conn, &p.id)?.iter().map(|r| view(&p, r)).collect();
                    Ok(Filed { org: orgs.get(&p.org_id).cloned().unwrap_or_default(), project: p, reports })
                })
                .collect::<crate::error::AppResult<Vec<_>>>()
        })
    })
    .await?;
    let today = calendar::today();
    let mut overdue: Vec<(&Filed, i32)> = filed
        .iter()
        .filter(|f| reporting::reports_owed(f.project.status))
        .flat_map(|f| {
            let years: Vec<i32> = f.reports.iter().map(|r| r.report.year).collect();
            reporting::overdue_years(f.project.start_date, f.project.end_date, today, &years).into_iter().map(move |y| (f, y))
        })
        .collect();
    overdue.sort_by_key(|(f, y)| (*y, f.project.name.clone()));
    let mut received: Vec<(&Filed, &ReportView)> = filed.iter().flat_map(|f| f.reports.iter().map(move |r| (f, r))).collect();
    received.sort_by(|a, b| b.1.report.filed_at.cmp(&a.1.report.filed_at));
    let (t, w) = (v.t(), words(v.lang));
    let project_cell = |f: &Filed| html! { td { a href={ "/projects/" (f.project.id) } { (f.project.name) } } td { (f.org) } };
    let body = html! {
        h1 { (w.reports_title) }
        section aria-labelledby="overdue-h" {
            h2 id="overdue-h" { (w.overdue) " (" (overdue.len()) ")" }
            p.hint { (w.overdue_rule) }
            @if overdue.is_empty() {
                p.muted data-testid="no-overdue" { (w.no_overdue) }
            } @else {
                div.scroll { table {
                    thead { tr { th scope="col" { (w.project) } th scope="col" { (t.org) } th scope="col" { (t.status) }
                        th scope="col" { (w.year) } th scope="col" { (t.period) } } }
                    tbody { @for (f, year) in &overdue {
                        tr data-testid="overdue-report" data-project-id=(f.project.id) data-year=(year) {
                            (project_cell(f))
                            td { span class={ "status " (f.project.status) } { (v.lang.code_name(f.project.status.as_str())) } }
                            td.num { (year) }
                            td { (f.project.start_date) " – " (f.project.end_date) }
                        }
                    } }
                } }
            }
        }
        section aria-labelledby="received-h" {
            h2 id="received-h" { (w.received) " (" (received.len()) ")" }
            @if received.is_empty() {
                p.muted { (w.no_reports) }
            } @else {
                div.scroll { table {
                    thead { tr { th scope="col" { (w.project) } th scope="col" { (t.org) } th scope="col" { (w.year) }
                        th scope="col" { (w.filed_at) } th scope="col" { (w.trained) } th scope="col" { (w.targets) } th scope="col" { (w.late) } } }
                    tbody { @for (f, r) in &received {
                        tr data-testid="received-report" data-project-id=(f.project.id) data-year=(r.report.year) {
                            (project_cell(f))
                            td.num { (r.report.year) }
                            td { (calendar::local_date_of(&r.report.filed_at).map_or_else(|| r.report.filed_at.clone(), |d| d.to_string())) }
                            td.num { (r.report.trained_total) " (" (r.report.trained_advanced) ")" }
                            td { @match (r.targets, r.meets_targets) {
                                (Some(tg), Some(true)) => { (w.met) " (≥" (tg.trained_total) "/" (tg.trained_advanced) ")" }
                                (Some(tg), _) => { span.error { (w.not_met) } " (≥" (tg.trained_total) "/" (tg.trained_advanced) ")" }
                                (None, _) => { span.muted { (w.judged_by_people) } }
                            } }
                            td { @match r.late {
                                Some(true) => { span.error data-late="true" { (w.late) } }
                                Some(false) => { span data-late="false" { (w.on_time) } }
                                None => {}
                            } }
                        }
                    } }
                } }
            }
        }
    };
    Ok(Page::ok(w.reports_title, body))
}
