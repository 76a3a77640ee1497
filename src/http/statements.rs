//! Balances, trial balance, account ledger and project statements (the all-projects view is
//! `http::portfolio`).
use super::openapi::Problem;
use super::projects::visible;
use super::routes::Routes;
use super::sheet::{Cell, Lang, Table};
use super::{db, opt_date, Answer, Format, State};
use crate::auth::Caller;
use crate::domain::calendar;
use crate::domain::chart::{AccountDef, Side};
use crate::domain::money::Money;
use crate::domain::statement::{self, AccountBalance, Amounts, Recoverable, Statement};
use crate::error::{AppError, AppResult, Code};
use crate::store::projects;
use crate::store::snapshot;
use crate::store::statements::{account_ledger, books, Entry};
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(r: &mut Routes) {
    r.get("/projects/{id}/balances", balances)
        .get("/projects/{id}/trial-balance", trial_balance)
        .get("/projects/{id}/ledger", ledger)
        .get("/projects/{id}/statement", project_statement)
        .get("/projects/{id}/recoverable", recoverable)
        .get("/statements", super::portfolio::all_statements);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// The books at the end of this day (YYYY-MM-DD); default today (Chifeng time).
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<String>,
    /// `csv` for a spreadsheet (UTF-8 with BOM), `xlsx` for an Excel workbook; JSON otherwise.
    #[param(pattern = "^(json|csv|xlsx)$")]
    pub format: Option<String>,
    /// The workbook's headers: `zh` (default) or `en`.
    #[param(pattern = "^(zh|en)$")]
    pub lang: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Balances {
    /// The `as_of` asked for, or null for today.
    as_of: Option<String>,
    accounts: Vec<AccountBalance>,
}

#[derive(Serialize, ToSchema)]
pub struct TrialTotals {
    pub debit: Money,
    pub credit: Money,
    /// Σ balances of debit-side accounts.
    pub debit_balances: Money,
    /// Σ balances of credit-side accounts.
    pub credit_balances: Money,
}

#[derive(Serialize, ToSchema)]
pub struct TrialBalance {
    pub as_of: Option<String>,
    pub accounts: Vec<AccountBalance>,
    pub totals: TrialTotals,
    /// Total debits equal total credits, and debit balances equal credit balances.
    pub balanced: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AccountLedger {
    pub account: AccountDef,
    pub opening_balance: Money,
    pub closing_balance: Money,
    pub entries: Vec<Entry>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectStatement {
    #[schema(value_type = String, format = Date)]
    as_of: NaiveDate,
    statement: Statement,
}

impl AsOf {
    fn date(&self) -> AppResult<Option<NaiveDate>> {
        opt_date("as_of", &self.as_of)
    }
    fn answer(&self) -> AppResult<Answer> {
        Format { format: self.format.clone() }.answer()
    }
    fn lang(&self) -> AppResult<Lang> {
        Lang::parse(self.lang.as_deref())
    }
}

/// Every account's totals and balance, the debit and credit totals added up under them.
pub(crate) fn balance_table(name: &'static str, b: &[statement::AccountBalance]) -> Table {
    let rows = b
        .iter()
        .map(|a| {
            vec![
                Cell::Text(a.code.clone()),
                Cell::Text(a.name.clone()),
                Cell::Text(a.side.as_str().into()),
                Cell::Money(a.debit_total),
                Cell::Money(a.credit_total),
                Cell::Money(a.balance),
            ]
        })
        .collect();
    Table::new(name, &BALANCE_HEADER, rows).summing(&["debit_total", "credit_total"])
}

const BALANCE_HEADER: [&str; 6] = ["code", "name", "side", "debit_total", "credit_total", "balance"];

/// Every account's totals and balance (the console's trial balance reads them here too).
pub async fn load_balances(
    state: &State,
    caller: Caller,
    id: String,
    as_of: Option<NaiveDate>,
) -> AppResult<Vec<statement::AccountBalance>> {
    db(state, move |conn| {
        snapshot(conn, |conn| {
            let p = visible(conn, &caller, &id)?;
            let b = books(conn, p, as_of)?;
            Ok(statement::balances(&b.chart, &b.totals))
        })
    })
    .await
}

/// Every account of the project with its debit and credit totals and balance.
///
/// Roles: finance, hr, inspector; a unit for its own projects (admin reads no books: 403).
#[utoipa::path(get, path = "/projects/{id}/balances", tag = "statements", params(("id" = String, Path), AsOf), security(("bearer" = [])),
    responses((status = 200, content((Balances = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `as_of` is not a date in 2000–2099, a `format` other than json, csv or xlsx, a `lang` other than zh or en", body = Problem, content_type = "application/problem+json")))]
pub async fn balances(state: State, caller: Caller, id: web::Path<String>, q: web::Query<AsOf>) -> AppResult<HttpResponse> {
    let (answer, lang) = (q.answer()?, q.lang()?);
    let b = load_balances(&state, caller, id.into_inner(), q.date()?).await?;
    if let Some(download) = answer.download() {
        return balance_table("balances", &b).respond(download, lang);
    }
    Ok(HttpResponse::Ok().json(Balances { as_of: q.as_of.clone(), accounts: b }))
}

/// The trial balance: every account, with totals that must agree.
///
/// Roles: finance, hr, inspector; a unit for its own projects (admin reads no books: 403).
#[utoipa::path(get, path = "/projects/{id}/trial-balance", tag = "statements", params(("id" = String, Path), AsOf), security(("bearer" = [])),
    responses((status = 200, content((TrialBalance = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `as_of` is not a date in 2000–2099, a `format` other than json, csv or xlsx, a `lang` other than zh or en", body = Problem, content_type = "application/problem+json")))]
pub async fn trial_balance(state: State, caller: Caller, id: web::Path<String>, q: web::Query<AsOf>) -> AppResult<HttpResponse> {
    let (answer, lang) = (q.answer()?, q.lang()?);
    let b = load_balances(&state, caller, id.into_inner(), q.date()?).await?;
    let t = TrialBalance::of(q.as_of.clone(), b);
    if let Some(download) = answer.download() {
        let table = Table { csv_totals: true, ..balance_table("trial-balance", &t.accounts) };
        debug_assert_eq!(table.totals().iter().map(|(_, m)| *m).collect::<Vec<_>>(), [t.totals.debit, t.totals.credit]);
        return table.respond(download, lang);
    }
    Ok(HttpResponse::Ok().json(t))
}

impl TrialBalance {
    /// The accounts with the totals that must agree.
    pub fn of(as_of: Option<String>, accounts: Vec<AccountBalance>) -> TrialBalance {
        let debit: Money = accounts.iter().map(|a| a.debit_total).sum();
        let credit: Money = accounts.iter().map(|a| a.credit_total).sum();
        // Balances on the debit and the credit side: equal in balanced books.
        let debit_balances: Money = accounts.iter().filter(|a| a.side == Side::Debit).map(|a| a.balance).sum();
        let credit_balances: Money = accounts.iter().filter(|a| a.side == Side::Credit).map(|a| a.balance).sum();
        TrialBalance {
            as_of,
            accounts,
            totals: TrialTotals { debit, credit, debit_balances, credit_balances },
            balanced: debit == credit && debit_balances == credit_balances,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// The account's code (e.g. 1002) or category slug (e.g. equipment).
    pub account: String,
    /// First day (YYYY-MM-DD); entries before it make the opening balance.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// `csv` for a spreadsheet, `xlsx` for an Excel workbook.
    #[param(pattern = "^(json|csv|xlsx)$")]
    pub format: Option<String>,
    /// The workbook's headers: `zh` (default) or `en`.
    #[param(pattern = "^(zh|en)$")]
    pub lang: Option<String>,
}

/// One account's entries in order, with a running balance.
///
/// Roles: finance, hr, inspector; a unit for its own projects (admin reads no books: 403).
#[utoipa::path(get, path = "/projects/{id}/ledger", tag = "statements", params(("id" = String, Path), LedgerQuery), security(("bearer" = [])),
    responses((status = 200, content((AccountLedger = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_account`: the account is not in the project's chart; `validation_failed`: a date is not a date in 2000–2099, a `format` other than json, csv or xlsx, a `lang` other than zh or en", body = Problem, content_type = "application/problem+json")))]
pub async fn ledger(state: State, caller: Caller, id: web::Path<String>, q: web::Query<LedgerQuery>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let (answer, lang) = (Format { format: q.format.clone() }.answer()?, Lang::parse(q.lang.as_deref())?);
    let l = AccountLedger::load(&state, caller, id.into_inner(), &q).await?;
    if let Some(download) = answer.download() {
        let rows = l
            .entries
            .iter()
            .map(|e| {
                vec![
                    Cell::Text(e.date.clone()),
                    e.number.map_or(Cell::Blank, Cell::Count),
                    Cell::Text(e.summary.clone()),
                    Cell::Money(e.debit),
                    Cell::Money(e.credit),
                    Cell::Money(e.balance),
                    Cell::opt_text(e.invoice_number.as_deref()),
                    Cell::opt_text(e.invoice_seller.as_deref()),
                    Cell::opt_text(e.invoice_seller_tax_id.as_deref()),
                ]
            })
            .collect();
        let keys = ["date", "number", "summary", "debit", "credit", "balance", "invoice_number", "invoice_seller", "invoice_seller_tax_id"];
        return Table::new("ledger", &keys, rows).summing(&["debit", "credit"]).respond(download, lang);
    }
    Ok(HttpResponse::Ok().json(l))
}

impl AccountLedger {
    /// One account's entries from `q.from` to `q.to`, with the opening and closing balances.
    pub async fn load(state: &State, caller: Caller, id: String, q: &LedgerQuery) -> AppResult<AccountLedger> {
        let (from, to) = (opt_date("from", &q.from)?, opt_date("to", &q.to)?);
        let account = q.account.clone();
        let (def, opening, entries) = db(state, move |conn| {
            visible(conn, &caller, &id)?;
            let chart = projects::chart_of(conn, &id)?;
            let def = crate::domain::chart::find(&chart, &account).cloned().ok_or_else(|| {
                AppError::new(Code::UnknownAccount, format!("account '{account}' is not in this project's chart"))
                    .with("account", account.as_str())
            })?;
            let (opening, entries) = account_ledger(conn, &id, &def.code, def.side, from, to)?;
            Ok((def, opening, entries))
        })
        .await?;
        let closing = entries.last().map(|e| e.balance).unwrap_or(opening);
        Ok(AccountLedger { account: def, opening_balance: opening, closing_balance: closing, entries })
    }
}

/// The project's statement: grant, disbursed, implemented by category, available, recoverable.
///
/// Roles: finance, hr, inspector; a unit for its own projects (admin reads no books: 403).
#[utoipa::path(get, path = "/projects/{id}/statement", tag = "statements", params(("id" = String, Path), AsOf), security(("bearer" = [])),
    responses((status = 200, content((ProjectStatement = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `as_of` is not a date in 2000–2099, a `format` other than json, csv or xlsx, a `lang` other than zh or en", body = Problem, content_type = "application/problem+json")))]
pub async fn project_statement(state: State, caller: Caller, id: web::Path<String>, q: web::Query<AsOf>) -> AppResult<HttpResponse> {
    let (answer, lang) = (q.answer()?, q.lang()?);
    let as_of = q.date()?;
    // One day for the figures and their label, even across midnight.
    let day = as_of.unwrap_or_else(calendar::today);
    let id = id.into_inner();
    let s = db(&state, move |conn| {
        snapshot(conn, |conn| {
            let p = visible(conn, &caller, &id)?;
            let b = books(conn, p, as_of)?;
            Ok(b.figures().statement(b.project.start(), b.project.end(), day))
        })
    })
    .await?;
    if let Some(download) = answer.download() {
        return Table::new("statement", &STATEMENT_HEADER[1..], vec![statement_row(&s)]).respond(download, lang);
    }
    Ok(HttpResponse::Ok().json(ProjectStatement { as_of: day, statement: s }))
}

pub(crate) const STATEMENT_HEADER: [&str; 14] = [
    "project_id",
    "grant",
    "disbursed",
    "undisbursed",
    "bank_balance",
    "payables",
    "implemented",
    "pending_review",
    "available",
    "recovered",
    "recoverable",
    "utilization",
    "start_date",
    "end_date",
];

pub(crate) fn statement_row(s: &Statement) -> Vec<Cell> {
    let amounts = [
        s.grant,
        s.disbursed,
        s.undisbursed,
        s.bank_balance,
        s.payables,
        s.implemented,
        s.pending_review,
        s.available,
        s.recovered,
        s.recoverable,
    ];
    row(amounts, s.utilization.clone(), s.period.start_date, s.period.end_date)
}

/// A statement row from the single amounts alone, as `statement_row` writes the statement.
pub(crate) fn amount_cells(a: &Amounts, utilization: String, start: NaiveDate, end: NaiveDate) -> Vec<Cell> {
    let amounts = [
        a.grant,
        a.disbursed,
        a.undisbursed,
        a.bank_balance,
        a.payables,
        a.implemented,
        a.pending_review,
        a.available,
        a.recovered,
        a.recoverable,
    ];
    row(amounts, utilization, start, end)
}

fn row(amounts: [Money; 10], utilization: String, start: NaiveDate, end: NaiveDate) -> Vec<Cell> {
    let mut row: Vec<Cell> = amounts.into_iter().map(Cell::Money).collect();
    row.push(Cell::Ratio(utilization));
    row.push(Cell::Text(start.to_string()));
    row.push(Cell::Text(end.to_string()));
    row
}

/// What recovery would take back: recoverable = grant − implemented − already recovered; of it,
/// what was never disbursed and what the unit must remit.
///
/// Roles: finance, hr, inspector; a unit for its own projects (admin reads no books: 403).
#[utoipa::path(get, path = "/projects/{id}/recoverable", tag = "recovery", params(("id" = String, Path), AsOf), security(("bearer" = [])),
    responses((status = 200, body = Recoverable),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `as_of` is not a date in 2000–2099; a `format` other than json (it has no CSV)", body = Problem, content_type = "application/problem+json")))]
pub async fn recoverable(state: State, caller: Caller, id: web::Path<String>, q: web::Query<AsOf>) -> AppResult<HttpResponse> {
    if q.answer()? != Answer::Json {
        return Err(AppError::field("format", "the recoverable amounts answer JSON only"));
    }
    let as_of = q.date()?;
    let id = id.into_inner();
    let r = db(&state, move |conn| {
        snapshot(conn, |conn| {
            let p = visible(conn, &caller, &id)?;
            let b = books(conn, p, as_of)?;
            Ok(b.figures().recoverable())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(r))
}
