//! Red flags for inspectors: `GET /projects/{id}/flags` and `GET /flags`, judged on request from
//! the books (`store::flags` reads them, `domain::flags` judges, this renders).
use super::openapi::Problem;
use super::projects::{known_filters, org_scope, visible};
use super::routes::Routes;
use super::sheet::{Cell, Download, Lang, Table};
use super::{db, Format, State};
use crate::auth::{Caller, Role};
use crate::domain::calendar;
use crate::domain::flags::{self, Finding, Rule, Severity};
use crate::domain::kind::ProjectKind;
use crate::domain::money::Money;
use crate::error::{AppError, AppResult};
use crate::store::flags::books_for_flags;
use crate::store::projects::{self, ListFilter};
use crate::store::snapshot;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(r: &mut Routes) {
    r.get("/projects/{id}/flags", project_flags).get("/flags", all_flags);
}

/// One finding.
#[derive(Serialize, ToSchema)]
pub struct FlagView {
    pub rule: Rule,
    pub severity: Severity,
    pub project_id: String,
    /// The vouchers it is about (none for `idle_funds` and `late_annual_report`).
    pub voucher_ids: Vec<String>,
    /// What the named vouchers add up to (for `split_purchase`, what they paid the seller; for
    /// `idle_funds`, the grant left unspent; `0.00` for `late_annual_report`).
    pub amount: Money,
    /// What was seen, in a sentence: Chinese, or English with `?lang=en`.
    pub detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct FlagList {
    /// The day the flags were judged on (today, Chifeng time).
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    pub items: Vec<FlagView>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectFlagsQuery {
    /// Only this rule's findings.
    #[param(value_type = Option<Rule>)]
    pub rule: Option<String>,
    /// Only findings of this severity.
    #[param(value_type = Option<Severity>)]
    pub severity: Option<String>,
    /// `csv` for a spreadsheet, `xlsx` for an Excel workbook; JSON otherwise.
    #[param(pattern = "^(json|csv|xlsx)$")]
    pub format: Option<String>,
    /// The sentences' and the workbook's language: `zh` (default) or `en`.
    #[param(pattern = "^(zh|en)$")]
    pub lang: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlagsQuery {
    /// base or studio.
    #[param(value_type = Option<ProjectKind>)]
    pub kind: Option<String>,
    /// The organisation's region, e.g. 红山区.
    pub region: Option<String>,
    /// Only this rule's findings.
    #[param(value_type = Option<Rule>)]
    pub rule: Option<String>,
    /// Only findings of this severity.
    #[param(value_type = Option<Severity>)]
    pub severity: Option<String>,
    /// `csv` for a spreadsheet, `xlsx` for an Excel workbook; JSON otherwise.
    #[param(pattern = "^(json|csv|xlsx)$")]
    pub format: Option<String>,
    /// The sentences' and the workbook's language: `zh` (default) or `en`.
    #[param(pattern = "^(zh|en)$")]
    pub lang: Option<String>,
}

/// Which findings are kept: a `rule` or `severity` that names none is a typing slip, refused
/// rather than answered with an empty list.
pub struct Filter {
    rule: Option<Rule>,
    severity: Option<Severity>,
}

impl Filter {
    pub fn parse(rule: Option<&str>, severity: Option<&str>) -> AppResult<Filter> {
        let rule = rule
            .map(|r| {
                Rule::parse(r).ok_or_else(|| {
                    let all: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
                    AppError::field("rule", format!("'{r}' is not one of {}", all.join(", ")))
                })
            })
            .transpose()?;
        let severity = severity
            .map(|s| Severity::parse(s).ok_or_else(|| AppError::field("severity", format!("'{s}' is not info, warning or high"))))
            .transpose()?;
        Ok(Filter { rule, severity })
    }

    fn keeps(&self, f: &Finding) -> bool {
        self.rule.is_none_or(|r| r == f.rule) && self.severity.is_none_or(|s| s == f.severity)
    }
}

fn domain_lang(lang: Lang) -> flags::Lang {
    match lang {
        Lang::Zh => flags::Lang::Zh,
        Lang::En => flags::Lang::En,
    }
}

/// The findings as the API shows them.
pub fn views(findings: Vec<Finding>, lang: Lang) -> Vec<FlagView> {
    findings
        .into_iter()
        .map(|f| FlagView {
            detail: f.detail(domain_lang(lang)),
            rule: f.rule,
            severity: f.severity,
            project_id: f.project_id,
            voucher_ids: f.voucher_ids,
            amount: f.amount,
        })
        .collect()
}

/// Every rule over the projects' books, today.
pub fn judge(books: &[flags::ProjectBooks], t: &flags::Thresholds, filter: &Filter) -> Vec<Finding> {
    let today = calendar::today();
    books.iter().flat_map(|b| flags::evaluate(b, t, today)).filter(|f| filter.keeps(f)).collect()
}

const KEYS: [&str; 6] = ["rule", "severity", "project_id", "voucher_ids", "amount", "detail"];

/// One row per finding. A workbook names the rule and severity in its language; a CSV keeps the
/// codes, which programs read. No totals: findings overlap (one voucher may be flagged by several
/// rules), so their amounts do not add up to anything.
fn table(name: &'static str, items: &[FlagView], download: Download, lang: Lang) -> Table {
    let named = download == Download::Xlsx;
    let rows = items
        .iter()
        .map(|f| {
            vec![
                Cell::Text(if named { f.rule.name(domain_lang(lang)) } else { f.rule.as_str() }.to_string()),
                Cell::Text(if named { f.severity.name(domain_lang(lang)) } else { f.severity.as_str() }.to_string()),
                Cell::Text(f.project_id.clone()),
                Cell::Text(f.voucher_ids.join(", ")),
                Cell::Money(f.amount),
                Cell::Text(f.detail.clone()),
            ]
        })
        .collect();
    Table::new(name, &KEYS, rows)
}

fn answer(name: &'static str, format: Option<String>, lang: Lang, as_of: NaiveDate, items: Vec<FlagView>) -> AppResult<HttpResponse> {
    match (Format { format }).answer()?.download() {
        Some(download) => table(name, &items, download, lang).respond(download, lang),
        None => Ok(HttpResponse::Ok().json(FlagList { as_of, items })),
    }
}

/// One project's red flags: patterns in its books that deserve an inspector's look.
///
/// The rules and their thresholds are in `config/flags.toml`; see docs/API.md, "Red flags".
///
/// Roles: finance, hr, inspector; a unit for its own projects (admin reads no books: 403).
#[utoipa::path(get, path = "/projects/{id}/flags", tag = "flags", operation_id = "project_flags", params(("id" = String, Path), ProjectFlagsQuery), security(("bearer" = [])),
    responses((status = 200, content((FlagList = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, description = "`forbidden`: admin (admin reads no books)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: an unknown `rule` or `severity`, a `format` other than json, csv or xlsx, a `lang` other than zh or en", body = Problem, content_type = "application/problem+json")))]
pub async fn project_flags(
    state: State,
    caller: Caller,
    id: web::Path<String>,
    q: web::Query<ProjectFlagsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let lang = Lang::parse(q.lang.as_deref())?;
    let filter = Filter::parse(q.rule.as_deref(), q.severity.as_deref())?;
    (Format { format: q.format.clone() }).answer()?;
    let id = id.into_inner();
    let books = db(&state, move |conn| {
        snapshot(conn, |conn| {
            let p = visible(conn, &caller, &id)?;
            books_for_flags(conn, vec![p], false)
        })
    })
    .await?;
    let items = views(judge(&books, &state.flags, &filter), lang);
    answer("flags", q.format, lang, calendar::today(), items)
}

/// The red flags of every project, with filters: the inspectors' worklist.
///
/// The rules and their thresholds are in `config/flags.toml`; see docs/API.md, "Red flags".
///
/// Roles: finance, hr, inspector.
#[utoipa::path(get, path = "/flags", tag = "flags", operation_id = "list_flags", params(FlagsQuery), security(("bearer" = [])),
    responses((status = 200, content((FlagList = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, description = "`forbidden`: not finance, hr or inspector", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: an unknown `kind`, `rule` or `severity`, a `format` other than json, csv or xlsx, a `lang` other than zh or en", body = Problem, content_type = "application/problem+json")))]
pub async fn all_flags(state: State, caller: Caller, q: web::Query<FlagsQuery>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Finance, Role::Hr, Role::Inspector])?;
    let q = q.into_inner();
    known_filters(&q.kind, &None)?;
    let lang = Lang::parse(q.lang.as_deref())?;
    let filter = Filter::parse(q.rule.as_deref(), q.severity.as_deref())?;
    (Format { format: q.format.clone() }).answer()?;
    let (kind, region) = (q.kind, q.region);
    let (books, _) = db(&state, move |conn| portfolio_books(conn, &caller, kind, region)).await?;
    let items = views(judge(&books, &state.flags, &filter), lang);
    answer("flags", q.format, lang, calendar::today(), items)
}

/// Project names by id.
pub type Names = std::collections::HashMap<String, String>;

/// The books of every project the filters name, in one snapshot, and the projects' names.
pub fn portfolio_books(
    conn: &mut crate::db::DbConn,
    caller: &Caller,
    kind: Option<String>,
    region: Option<String>,
) -> AppResult<(Vec<flags::ProjectBooks>, Names)> {
    let org_ids = org_scope(conn, caller, None, region)?;
    let everything = kind.is_none() && org_ids.is_none();
    let f = ListFilter { kind, status: None, org_ids, after: String::new(), limit: i64::MAX };
    snapshot(conn, |conn| {
        let listed = projects::list(conn, &f)?;
        let names = listed.iter().map(|p| (p.id.clone(), p.name.clone())).collect();
        Ok((books_for_flags(conn, listed, everything)?, names))
    })
}
