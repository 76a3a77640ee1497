//! `GET`/`POST /projects/{id}/reports`: a project's filed annual reports with their targets, and the
//! unit's form to file the year's report through the API's own filing (`POST .../annual-reports`).
use super::super::super::i18n::vouchers::VoucherWords;
use super::super::super::problems::{explain, Explained};
use super::super::super::{Page, Refusal, Visit};
use super::{on_form, vw};
use crate::auth::Role;
use crate::domain::calendar;
use crate::error::AppError;
use crate::http::db;
use crate::http::projects::visible;
use crate::http::reports::{file_report, reports_of, FileReport, ReportView};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Datelike;
use maud::html;
use serde::Deserialize;

/// The report form as typed.
#[derive(Deserialize, Default)]
pub struct ReportForm {
    csrf: Option<String>,
    #[serde(default)]
    year: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    next_year_plan: String,
    #[serde(default)]
    trained_total: String,
    #[serde(default)]
    trained_advanced: String,
}

impl ReportForm {
    /// The API's request; a count or year that is not a number is refused here, on its field.
    fn request(&self) -> Result<FileReport, AppError> {
        let number = |field: &str, s: &str| s.trim().parse::<i32>().map_err(|_| AppError::field(field, "not a whole number"));
        Ok(FileReport {
            year: number("year", &self.year)?,
            summary: self.summary.clone(),
            next_year_plan: self.next_year_plan.clone(),
            trained_total: number("trained_total", &self.trained_total)?,
            trained_advanced: number("trained_advanced", &self.trained_advanced)?,
        })
    }
}

pub async fn page(v: Visit, id: web::Path<String>) -> HttpResponse {
    let outcome = render(&v, id.into_inner(), None).await;
    v.respond(outcome)
}

pub async fn file(v: Visit, req: HttpRequest, id: web::Path<String>, form: web::Form<ReportForm>) -> HttpResponse {
    let id = id.into_inner();
    let form = form.into_inner();
    let outcome = async {
        v.require_csrf(&req, form.csrf.as_deref())?;
        let caller = v.caller()?.clone();
        let filed = match form.request() {
            Ok(r) => file_report(&v.state, caller, id.clone(), r).await,
            Err(e) => Err(e),
        };
        match filed {
            Ok(_) => Ok(None),
            Err(e) => {
                let e = on_form(e)?;
                let status = e.status();
                let mut page = render(&v, id.clone(), Some((form, explain(v.lang, &e)))).await?;
                page.status = status;
                Ok(Some(page))
            }
        }
    }
    .await;
    match outcome {
        Ok(None) => v.redirect(&format!("/projects/{id}/reports"), None),
        Ok(Some(page)) => v.respond(Ok(page)),
        Err(r) => v.respond(Err(r)),
    }
}

async fn render(v: &Visit, id: String, refused: Option<(ReportForm, Explained)>) -> Result<Page, Refusal> {
    let caller = v.caller()?.clone();
    let role = caller.role;
    let w = vw(v);
    let pid = id.clone();
    let c = caller.clone();
    let project = db(&v.state, move |conn| visible(conn, &c, &pid)).await?;
    let reports = reports_of(&v.state, caller, id.clone()).await?;
    let body = html! {
        nav.crumbs { (super::super::widgets::home_crumb(v)) " › " a href={ "/projects/" (id) } { (project.name) } " › " (w.reports_title) }
        h1 { (project.name) " · " (w.reports_title) }
        (list(v, w, &reports))
        @if role == Role::Unit { (form(v, w, &id, refused)) }
    };
    Ok(Page::ok(format!("{} · {}", project.name, w.reports_title), body))
}

fn list(v: &Visit, w: &VoucherWords, reports: &[ReportView]) -> maud::Markup {
    let yes_no = |b: Option<bool>| match b {
        Some(true) => w.yes,
        Some(false) => w.no,
        None => "—",
    };
    html! {
        @if reports.is_empty() { p.muted { (w.no_reports) } } @else {
            div.scroll { table data-testid="report-list" {
                thead { tr {
                    th { (w.year) } th.num { (w.trained_total) } th.num { (w.trained_advanced) } th { (w.targets) }
                    th { (w.meets_targets) } th { (w.filed_at) } th { (w.late) } th { (w.report_summary) }
                } }
                tbody { @for r in reports {
                    tr data-year=(r.report.year) {
                        td { (r.report.year) }
                        td.num { (r.report.trained_total) }
                        td.num { (r.report.trained_advanced) }
                        td { @if let Some(x) = &r.targets { (x.trained_total) " / " (x.trained_advanced) } @else { "—" } }
                        td { (yes_no(r.meets_targets)) }
                        td { (r.report.filed_at.get(..10).unwrap_or(&r.report.filed_at)) }
                        td { @match r.late { Some(true) => span.error { (w.late) }, Some(false) => (w.on_time), None => "—" } }
                        td.wrap { (r.report.summary) }
                    }
                } }
            } }
        }
        @let _ = v;
    }
}

fn form(v: &Visit, w: &VoucherWords, id: &str, refused: Option<(ReportForm, Explained)>) -> maud::Markup {
    let (f, why) = match refused {
        Some((f, e)) => (f, Some(e)),
        None => (ReportForm { year: calendar::today().year().to_string(), ..Default::default() }, None),
    };
    let field_msg = |name: &str| -> Option<&'static str> {
        why.as_ref().and_then(|e| e.field(name))?;
        Some(match (v.lang, name) {
            (super::super::super::i18n::Lang::Zh, "year") => "年度须在项目周期内且已开始。",
            (super::super::super::i18n::Lang::Zh, "summary" | "next_year_plan") => "必填，不超过 5000 字。",
            (super::super::super::i18n::Lang::Zh, _) => "人数须为不小于 0 的整数，其中高级工及以上不超过培训人数。",
            (_, "year") => "A year of the project period that has begun.",
            (_, "summary" | "next_year_plan") => "Required, at most 5000 characters.",
            _ => "A whole number, 0 or more; advanced no more than the total.",
        })
    };
    html! {
        section.forms aria-labelledby="file-h" {
            h2 id="file-h" { (w.file_report) }
            @if let Some(e) = &why { (e.alert()) }
            form.report method="post" action={ "/projects/" (id) "/reports" } data-testid="report-form" {
                input type="hidden" name="csrf" value=(v.csrf().unwrap_or_default());
                @for (name, label, value) in [("year", w.year, &f.year), ("trained_total", w.trained_total, &f.trained_total), ("trained_advanced", w.trained_advanced, &f.trained_advanced)] {
                    div {
                        label for={ "r-" (name) } { (label) }
                        input.short id={ "r-" (name) } type="text" inputmode="numeric" name=(name) value=(value) required
                            aria-invalid=[field_msg(name).map(|_| "true")];
                        @if let Some(m) = field_msg(name) { span.error data-field-error=(name) { (m) } }
                    }
                }
                @for (name, label, value) in [("summary", w.report_summary, &f.summary), ("next_year_plan", w.next_year_plan, &f.next_year_plan)] {
                    div.wide {
                        label for={ "r-" (name) } { (label) }
                        textarea id={ "r-" (name) } name=(name) rows="4" maxlength="5000" required aria-invalid=[field_msg(name).map(|_| "true")] { (value) }
                        @if let Some(m) = field_msg(name) { span.error data-field-error=(name) { (m) } }
                    }
                }
                div { button type="submit" { (w.file_report) } }
            }
        }
    }
}
