//! `GET /flags`: the portfolio's red flags with filters (finance, hr, inspector), and the table
//! of one project's flags on its page. The findings come from the same rules as the API's
//! (`http::flags::judge`), with the sentences in the page's language.
use super::super::format::amount;
use super::super::i18n::flags::{words, FlagWords};
use super::super::i18n::Lang;
use super::super::{Page, Refusal, Visit};
use crate::auth::Role;
use crate::domain::flags::{self, Rule, Severity};
use crate::domain::kind::ProjectKind;
use crate::http::db;
use crate::http::flags::{judge, portfolio_books, views, Filter, FlagView, Names};
use crate::http::sheet;
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/flags", web::get().to(page));
}

#[derive(Deserialize, Default)]
pub struct FlagsQuery {
    kind: Option<String>,
    region: Option<String>,
    rule: Option<String>,
    severity: Option<String>,
}

/// A filter left at "any" comes as an empty value.
fn chosen(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

pub fn sheet_lang(lang: Lang) -> sheet::Lang {
    match lang {
        Lang::Zh => sheet::Lang::Zh,
        Lang::En => sheet::Lang::En,
    }
}

fn flag_lang(lang: Lang) -> flags::Lang {
    match lang {
        Lang::Zh => flags::Lang::Zh,
        Lang::En => flags::Lang::En,
    }
}

pub async fn page(v: Visit, q: web::Query<FlagsQuery>) -> HttpResponse {
    let outcome = render(&v, q.into_inner()).await;
    v.respond(outcome)
}

async fn render(v: &Visit, q: FlagsQuery) -> Result<Page, Refusal> {
    let caller = v.caller()?.clone();
    if !matches!(caller.role, Role::Finance | Role::Hr | Role::Inspector) {
        return Err(Refusal::Forbidden);
    }
    let w = words(v.lang);
    let (kind, region, rule, severity) = (chosen(&q.kind), chosen(&q.region), chosen(&q.rule), chosen(&q.severity));
    // A bad filter (a hand-edited address) lists nothing rather than failing: the form shows it.
    let filter = Filter::parse(rule.as_deref(), severity.as_deref());
    let bad = filter.is_err() || kind.as_deref().is_some_and(|k| ProjectKind::parse(k).is_none());
    let (items, names) = match (filter, bad) {
        (Ok(filter), false) => {
            let (books, names) = db(&v.state, move |conn| portfolio_books(conn, &caller, kind, region)).await?;
            (views(judge(&books, &v.state.flags, &filter), sheet_lang(v.lang)), names)
        }
        _ => (Vec::new(), Names::new()),
    };
    let is = |x: &Option<String>, s: &str| x.as_deref() == Some(s);
    let body = html! {
        nav.crumbs { (super::widgets::home_crumb(v)) " › " (w.title) }
        h1 { (w.title) }
        p.muted { (w.intro) }
        form.filters method="get" action="/flags" {
            div { label for="f-kind" { (w.kind) } br;
                select id="f-kind" name="kind" {
                    option value="" { (w.any) }
                    @for k in ProjectKind::ALL { option value=(k.as_str()) selected[is(&q.kind, k.as_str())] { (v.lang.code_name(k.as_str())) } }
                }
            }
            div { label for="f-region" { (w.region) } br;
                input type="text" id="f-region" name="region" value=[chosen(&q.region)] placeholder="红山区"; }
            div { label for="f-rule" { (w.rule) } br;
                select id="f-rule" name="rule" {
                    option value="" { (w.any) }
                    @for r in Rule::ALL { option value=(r.as_str()) selected[is(&q.rule, r.as_str())] { (r.name(flag_lang(v.lang))) } }
                }
            }
            div { label for="f-severity" { (w.severity) } br;
                select id="f-severity" name="severity" {
                    option value="" { (w.any) }
                    @for s in Severity::ALL { option value=(s.as_str()) selected[is(&q.severity, s.as_str())] { (s.name(flag_lang(v.lang))) } }
                }
            }
            div { button type="submit" { (w.filter) } }
        }
        @if bad { p.error role="alert" data-testid="form-error" { (w.bad_filter) } }
        p { (w.count) " " span data-testid="flag-count" { (items.len()) } }
        (table(v.lang, w, &items, Some(&names), w.none))
    };
    Ok(Page::ok(w.title, body))
}

/// The findings as a table; with `names`, a column naming and linking each project.
pub fn table(lang: Lang, w: &FlagWords, items: &[FlagView], names: Option<&Names>, none: &str) -> Markup {
    let fl = flag_lang(lang);
    html! {
        @if items.is_empty() {
            p.muted data-testid="no-flags" { (none) }
        } @else {
            div.scroll { table data-testid="flag-list" {
                thead { tr {
                    th { (w.severity) } th { (w.rule) }
                    @if names.is_some() { th { (w.project) } }
                    th.num { (w.amount) } th { (w.vouchers) } th { (w.detail) }
                } }
                tbody {
                    @for f in items {
                        tr data-testid="flag-row" data-rule=(f.rule.as_str()) data-severity=(f.severity.as_str()) data-project-id=(f.project_id) {
                            td { span class={ "severity " (f.severity.as_str()) } { (f.severity.name(fl)) } }
                            td { (f.rule.name(fl)) }
                            @if let Some(names) = names {
                                td { a href={ "/projects/" (f.project_id) } { (names.get(&f.project_id).map_or(f.project_id.as_str(), String::as_str)) } }
                            }
                            td.num { (amount(f.amount)) }
                            td {
                                @for (i, id) in f.voucher_ids.iter().enumerate() {
                                    @if i > 0 { " " }
                                    a href={ "/projects/" (f.project_id) "/vouchers/" (id) } { (i + 1) }
                                }
                            }
                            td.wrap { (f.detail) }
                        }
                    }
                }
            } }
        }
    }
}
