//! `GET /statements`: every project's statement, the finance bureau's portfolio — ordered, paged
//! with keyset cursors (`domain::portfolio`), totals over the whole filter, and downloads of every
//! row, the CSV streamed.
//!
//! A page of today's figures is ordered, cut and added up by the database (`store::portfolio`):
//! each project row keeps a copy of its five fixed accounts' totals, which give every amount
//! (`store::statements::amounts_now`), and the utilization and recoverable amount that follow
//! from them. The full statements, with their amounts by category, are read for the page's rows
//! alone. A past `as_of`, no `limit` or a download lists every row, and adds and orders them here.
use super::openapi::Problem;
use super::projects::{known_filters, org_scope};
use super::sheet::{Cell, Lang, Table};
use super::statements::{amount_cells, STATEMENT_HEADER};
use super::{db, opt_date, xlsx, Format, State};
use crate::auth::{Caller, Role};
use crate::domain::calendar;
use crate::domain::kind::ProjectKind;
use crate::domain::money::{ratio4, ratio4_units, Money};
use crate::domain::portfolio::{self, Cursor, Ranked, Sort, SortKey};
use crate::domain::statement::{days_left, Amounts, Statement};
use crate::domain::status::ProjectStatus;
use crate::error::{AppError, AppResult};
use crate::store::portfolio as pf;
use crate::store::projects::{self, ListFilter};
use crate::store::rows::{ProjectFigures, ProjectRow};
use crate::store::snapshot;
use crate::store::statements as st;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllQuery {
    /// base or studio.
    #[param(value_type = Option<ProjectKind>)]
    kind: Option<String>,
    /// active, suspended, cancelled, completed, acceptance_failed or closed.
    status: Option<String>,
    /// The organisation's region.
    region: Option<String>,
    /// YYYY-MM-DD; default today.
    #[param(value_type = Option<String>, format = Date)]
    as_of: Option<String>,
    /// The rows' order: `project_id` (the default), `utilization`, `days_left` or `recoverable`,
    /// ascending; with a leading `-` descending (`-utilization`). Ties are in project id order.
    #[param(pattern = "^-?(project_id|utilization|days_left|recoverable)$")]
    sort: Option<String>,
    /// 1 to 500 rows per page. Without it every row of the filter is answered in one page, as
    /// the first edition did (`next_cursor` null).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page, with the same `sort` (a cursor of another sort is refused).
    cursor: Option<String>,
    /// `csv` for a spreadsheet, `xlsx` for an Excel workbook: every row of the filter in the
    /// `sort` order (`limit` and `cursor` do not apply).
    #[param(pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
    /// The workbook's headers: `zh` (default) or `en`.
    #[param(pattern = "^(zh|en)$")]
    lang: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StatementRow {
    project_id: String,
    name: String,
    kind: ProjectKind,
    status: ProjectStatus,
    org_id: String,
    statement: Statement,
}

#[derive(Serialize, ToSchema)]
pub struct PortfolioTotals {
    /// How many projects the filter holds: every page's totals are over all of them.
    projects: usize,
    grant: Money,
    disbursed: Money,
    undisbursed: Money,
    bank_balance: Money,
    payables: Money,
    implemented: Money,
    pending_review: Money,
    available: Money,
    recovered: Money,
    recoverable: Money,
    /// implemented ÷ grant over all listed projects, 4 decimals.
    utilization: String,
}

#[derive(Serialize, ToSchema)]
pub struct Portfolio {
    #[schema(value_type = String, format = Date)]
    as_of: NaiveDate,
    items: Vec<StatementRow>,
    /// Pass as `cursor` (with the same `sort`) for the next page; null on the last one.
    next_cursor: Option<String>,
    /// Over every project of the filter, whichever page this is.
    totals: PortfolioTotals,
}

/// One project of the filter: what it is ordered by, added up and downloaded as.
struct Line {
    figures: ProjectFigures,
    amounts: Amounts,
    /// Ten-thousandths, as shown.
    utilization: i64,
    days_left: i64,
    /// The whole row and the full statement: read with the books for a past `as_of`, else for
    /// the page only.
    full: Option<(ProjectRow, Statement)>,
}

impl Line {
    fn new(figures: ProjectFigures, amounts: Amounts, day: NaiveDate, full: Option<(ProjectRow, Statement)>) -> Line {
        let utilization = ratio4_units(amounts.implemented, amounts.grant);
        let days_left = days_left(figures.end_date, day);
        Line { figures, amounts, utilization, days_left, full }
    }

    fn cells(&self) -> Vec<Cell> {
        let a = &self.amounts;
        let mut r = vec![Cell::Text(self.figures.id.clone())];
        r.extend(amount_cells(a, ratio4(a.implemented, a.grant), self.figures.start_date, self.figures.end_date));
        r
    }
}

impl Ranked for Line {
    fn key(&self, key: SortKey) -> i64 {
        match key {
            SortKey::Project => 0,
            SortKey::Utilization => self.utilization,
            SortKey::DaysLeft => self.days_left,
            SortKey::Recoverable => self.amounts.recoverable.fen(),
        }
    }
    fn id(&self) -> &str {
        &self.figures.id
    }
}

/// What was asked, checked before anything is read.
struct Asked {
    as_of: Option<NaiveDate>,
    sort: Sort,
    limit: Option<usize>,
    after: Option<Cursor>,
}

impl AllQuery {
    fn asked(&self) -> AppResult<Asked> {
        known_filters(&self.kind, &self.status)?;
        let as_of = opt_date("as_of", &self.as_of)?;
        let sort = Sort::parse(self.sort.as_deref()).map_err(|e| AppError::field("sort", e))?;
        let limit = match self.limit {
            None => None,
            Some(n @ 1..=500) => Some(n as usize),
            Some(_) => return Err(AppError::field("limit", "must be between 1 and 500")),
        };
        let after = self.cursor.as_deref().map(|c| Cursor::decode(c, sort)).transpose().map_err(|e| AppError::field("cursor", e))?;
        Ok(Asked { as_of, sort, limit, after })
    }
}

/// One statement row per project, and totals over them: the finance bureau's portfolio.
///
/// Ordered by `sort`; paged by `limit` and `cursor` (keyset: a walk lists every project once),
/// every row without `limit`. The totals are always over the whole filter. CSV and xlsx hold
/// every row of the filter, the CSV streamed as it is written.
///
/// Roles: finance, hr, inspector.
#[utoipa::path(get, path = "/statements", tag = "statements", params(AllQuery), security(("bearer" = [])),
    responses((status = 200, content((Portfolio = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, description = "`forbidden`: not finance, hr or inspector", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `as_of` is not a date in 2000–2099, a `format` other than json, csv or xlsx, a `lang` other than zh or en, an unknown `kind`, `status` or `sort`, a `limit` outside 1–500, a `cursor` not from this listing or from another `sort`", body = Problem, content_type = "application/problem+json")))]
pub async fn all_statements(state: State, caller: Caller, q: web::Query<AllQuery>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Finance, Role::Hr, Role::Inspector])?;
    let q = q.into_inner();
    let asked = q.asked()?;
    let (answer, lang) = (Format { format: q.format.clone() }.answer()?, Lang::parse(q.lang.as_deref())?);
    let day = asked.as_of.unwrap_or_else(calendar::today);
    let download = answer.download();
    let read = db(&state, move |conn| {
        let org_ids = org_scope(conn, &caller, None, q.region)?;
        let everything = q.kind.is_none() && q.status.is_none() && org_ids.is_none();
        let f = ListFilter { kind: q.kind, status: q.status, org_ids, after: String::new(), limit: i64::MAX };
        snapshot(conn, |conn| {
            if let (None, None, Some(limit)) = (asked.as_of, download, asked.limit) {
                return current_page(conn, &f, &asked, limit, day);
            }
            // Every row's full statement is wanted: read every chart once rather than the fixed
            // accounts first.
            let every = download.is_none() && asked.limit.is_none() && asked.after.is_none();
            let mut lines = lines(conn, &f, everything, asked.as_of, every, day)?;
            portfolio::order(&mut lines, asked.sort);
            if download.is_some() {
                return Ok(Read::Every(lines));
            }
            let totals = totals(&lines);
            let (range, next) = portfolio::page(&lines, asked.sort, asked.after.as_ref(), asked.limit);
            let whole = range.len() == lines.len();
            let mut page: Vec<Line> = lines.drain(range).collect();
            full_statements(conn, &mut page, everything && whole, asked.as_of, day)?;
            Ok(Read::Page { page, totals, next: next.map(|c| c.encode(asked.sort)) })
        })
    })
    .await?;
    match (read, download) {
        (Read::Every(lines), Some(super::sheet::Download::Csv)) => Ok(csv_stream(lines)),
        (Read::Every(lines), Some(_)) => {
            // rust_xlsxwriter writes the zip at the end, into something seekable: the rows go
            // to a temporary file as they are written (off the HTTP worker), which is then
            // streamed.
            let book = web::block(move || {
                let rows = lines.iter().map(Line::cells).collect();
                xlsx::file(&Table::new("statements", &STATEMENT_HEADER, rows).summing(&STATEMENT_HEADER[AMOUNTS]), lang)
            })
            .await??;
            Ok(xlsx::download_file("statements", book))
        }
        (Read::Page { page, totals, next }, _) => {
            let items = page
                .into_iter()
                .map(|l| {
                    let (p, statement) = l.full.ok_or_else(|| AppError::internal("a page row without its statement"))?;
                    Ok(StatementRow { project_id: p.id, name: p.name, kind: p.kind, status: p.status, org_id: p.org_id, statement })
                })
                .collect::<AppResult<Vec<_>>>()?;
            Ok(HttpResponse::Ok().json(Portfolio { as_of: day, items, next_cursor: next, totals }))
        }
        (Read::Every(_), None) => Err(AppError::internal("every row read for a JSON answer")),
    }
}

enum Read {
    /// Every row of the filter, in order, for a download.
    Every(Vec<Line>),
    Page {
        page: Vec<Line>,
        totals: PortfolioTotals,
        next: Option<String>,
    },
}

/// The statement's amounts, the columns the portfolio's totals add up.
const AMOUNTS: std::ops::Range<usize> = 1..11;

/// Every listed project's amounts: from the project rows' figures (their copy of the fixed
/// accounts) now; from the whole books, with the full statements kept, for a past `as_of` (from
/// the accounts' days) or when `full` asks for every statement anyway.
fn lines(
    conn: &mut crate::db::DbConn,
    f: &ListFilter,
    everything: bool,
    as_of: Option<NaiveDate>,
    full: bool,
    day: NaiveDate,
) -> AppResult<Vec<Line>> {
    if as_of.is_none() && !full {
        let listed = projects::figures(conn, f)?;
        return Ok(listed.into_iter().map(|p| (st::amounts_now(&p), p)).map(|(a, p)| Line::new(p, a, day, None)).collect());
    }
    let listed = projects::list(conn, f)?;
    Ok(st::books_of_many(conn, listed, everything, as_of)?.into_iter().map(|b| full_line(b, day)).collect())
}

/// A page of today's figures: ordered, cut and added up by the database (`store::portfolio`), so
/// only the page's rows and their books are read.
fn current_page(conn: &mut crate::db::DbConn, f: &ListFilter, asked: &Asked, limit: usize, day: NaiveDate) -> AppResult<Read> {
    let sums = pf::sums(conn, f)?;
    let mut ids = pf::page(conn, f, asked.sort, asked.after.as_ref(), limit as i64 + 1, day)?;
    let more = ids.len() > limit;
    ids.truncate(limit);
    let rows = projects::rows_of(conn, &ids.iter().map(String::as_str).collect::<Vec<_>>())?;
    // The order and the cursor follow the rows' copy of the fixed accounts, as the database
    // ordered them; the statement is the whole books'. The two agree unless the database was
    // edited behind the service's back, which reconciliation reports.
    let page: Vec<Line> = crate::store::ledger::books_now(conn, rows)?
        .into_iter()
        .map(|b| {
            let figures = b.project.figures();
            let amounts = st::amounts_now(&figures);
            Line::new(figures, amounts, day, Some(full_statement(b, day)))
        })
        .collect();
    let next = page.last().filter(|_| more).map(|l| Cursor::of(l, asked.sort).encode(asked.sort));
    let projects = usize::try_from(sums.projects).map_err(|_| AppError::internal("a negative count"))?;
    Ok(Read::Page { page, totals: portfolio_totals(projects, &sums.amounts), next })
}

/// A project's line from its whole books.
fn full_line(b: st::Books, day: NaiveDate) -> Line {
    let amounts = b.figures().amounts();
    let (project, statement) = full_statement(b, day);
    Line::new(project.figures(), amounts, day, Some((project, statement)))
}

/// A project's row and its full statement, from its whole books.
fn full_statement(b: st::Books, day: NaiveDate) -> (ProjectRow, Statement) {
    let statement = b.figures().statement(b.project.start(), b.project.end(), day);
    (b.project, statement)
}

/// The page's full statements, with their amounts by category: read for its projects alone
/// (every account when the page is every project).
fn full_statements(
    conn: &mut crate::db::DbConn,
    page: &mut [Line],
    everything: bool,
    as_of: Option<NaiveDate>,
    day: NaiveDate,
) -> AppResult<()> {
    let missing: Vec<&str> = page.iter().filter(|l| l.full.is_none()).map(|l| l.figures.id.as_str()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let rows = projects::rows_of(conn, &missing)?;
    let mut books = st::books_of_many(conn, rows, everything, as_of)?.into_iter();
    for line in page.iter_mut().filter(|l| l.full.is_none()) {
        let b = books.next().ok_or_else(|| AppError::internal("fewer books than projects"))?;
        // Read in the same snapshot, so the row's copy of the fixed accounts and the whole chart
        // give the same amounts unless the database was edited behind the service's back, which
        // reconciliation reports (`project` mismatch).
        line.full = Some(full_statement(b, day));
    }
    Ok(())
}

fn totals(lines: &[Line]) -> PortfolioTotals {
    portfolio_totals(lines.len(), &lines.iter().map(|l| l.amounts).sum())
}

fn portfolio_totals(projects: usize, a: &Amounts) -> PortfolioTotals {
    PortfolioTotals {
        projects,
        grant: a.grant,
        disbursed: a.disbursed,
        undisbursed: a.undisbursed,
        bank_balance: a.bank_balance,
        payables: a.payables,
        implemented: a.implemented,
        pending_review: a.pending_review,
        available: a.available,
        recovered: a.recovered,
        recoverable: a.recoverable,
        utilization: ratio4(a.implemented, a.grant),
    }
}

/// Rows per chunk of the streamed CSV: about 40 KB.
const CSV_CHUNK: usize = 256;

/// The CSV as a streaming body: each chunk of rows is written when the client is ready for it,
/// so what is held is the lines' amounts (a few hundred bytes a project), never the file.
fn csv_stream(lines: Vec<Line>) -> HttpResponse {
    let mut header = Some(super::csv_bytes(&STATEMENT_HEADER, Vec::new()));
    let mut rest = lines.into_iter();
    let chunks = std::iter::from_fn(move || {
        if let Some(h) = header.take() {
            return Some(h.map(web::Bytes::from));
        }
        let part: Vec<Line> = rest.by_ref().take(CSV_CHUNK).collect();
        (!part.is_empty())
            .then(|| super::csv_rows(part.iter().map(|l| l.cells().iter().map(Cell::written).collect())).map(web::Bytes::from))
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"statements.csv\""))
        .streaming(futures_util::stream::iter(chunks))
}
