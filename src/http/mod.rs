//! HTTP: routes, extractors and the one app factory used by the binary and the tests.
pub mod acceptance;
pub mod accounts;
pub mod archive;
pub mod audit;
pub mod background;
pub mod documents;
pub mod export;
pub mod flags;
pub mod guard;
pub mod headers;
pub mod imports;
pub mod money;
pub mod openapi;
pub mod package;
pub mod projects;
pub mod recovery;
pub mod reports;
pub mod request_id;
pub mod reviews;
pub mod routes;
pub mod sheet;
pub mod standing;
pub mod statements;
pub mod tables;
pub mod transparency;
pub mod views;
pub mod xlsx;

use crate::auth::{Caller, Keys};
use crate::config::Settings;
use crate::db::{Backend, DbConn, DbPool};
use crate::domain::classify::Rules;
use crate::error::{AppError, AppResult, Code};
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, App, FromRequest, HttpRequest, HttpResponse};
use serde_json::Value;
use std::sync::Arc;

pub struct AppState {
    pub pool: DbPool,
    pub backend: Backend,
    pub settings: Settings,
    pub rules: Arc<Rules>,
    /// The red-flag rules' thresholds.
    pub flags: Arc<crate::domain::flags::Thresholds>,
    pub keys: Keys,
    /// Group commit of every money request (SQLite).
    pub writer: Option<Writer<Work>>,
    /// Group commit of postings (PostgreSQL); its other money requests commit concurrently.
    pub batcher: Option<Writer<PostJob>>,
    pub standings: standing::Standings,
    /// Signs the audit trees' checkpoints.
    pub notary: Arc<crate::domain::checkpoint::Notary>,
    /// Where uploaded documents' bytes are kept (the database by default).
    pub documents: Arc<dyn crate::store::documents::DocumentStore>,
    /// Import files the console checked, awaiting the accountant's "post".
    pub import_stash: crate::console::stash::Stash,
}

pub type State = web::Data<AppState>;

use crate::store::batch::PostJob;
use crate::store::writer::{Work, Writer};
use routes::Routes;

/// Runs blocking database work on actix's thread pool with a pooled connection.
pub async fn db<T, F>(state: &State, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
{
    let pool = state.pool.clone();
    web::block(request_id::in_current_span(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    }))
    .await?
}

/// Runs `f` on the blocking pool with the connection pool itself, for work that reads on several
/// connections side by side.
pub async fn with_pool<T, F>(state: &State, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&DbPool) -> AppResult<T> + Send + 'static,
{
    let pool = state.pool.clone();
    web::block(request_id::in_current_span(move || f(&pool))).await?
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Caller, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let signed: AppResult<(Caller, State)> = (|| {
            let state = req.app_data::<State>().ok_or_else(|| AppError::internal("no app state"))?.clone();
            let mut headers = req.headers().get_all(actix_web::http::header::AUTHORIZATION);
            let header = headers.next().ok_or_else(|| AppError::unauthenticated("missing Authorization: Bearer token"))?;
            // Two credentials are ambiguous: a proxy and the service could each read another one.
            if headers.next().is_some() {
                return Err(AppError::unauthenticated("more than one Authorization header"));
            }
            let text = header.to_str().map_err(|_| AppError::unauthenticated("malformed Authorization header"))?;
            let token = text
                .strip_prefix("Bearer ")
                .or_else(|| text.strip_prefix("bearer "))
                .ok_or_else(|| AppError::unauthenticated("expected a Bearer token"))?;
            Ok((state.keys.check(token.trim())?, state))
        })();
        let req = req.clone();
        Box::pin(async move {
            let (caller, state) = signed?;
            state.standings.confirm(&state, caller).await.inspect(|caller| request_id::authenticated(&req, &caller.user_id))
        })
    }
}

/// Pagination as the contract has it: `limit` (default 50, max 500) and an opaque `cursor`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `csv` for a spreadsheet of every item (or of `limit` items); JSON otherwise.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

impl Page {
    pub fn limit(&self) -> AppResult<i64> {
        match self.limit {
            None => Ok(50),
            Some(n) if (1..=500).contains(&n) => Ok(n),
            Some(_) => Err(AppError::field("limit", "must be between 1 and 500")),
        }
    }
    pub fn after(&self) -> String {
        self.cursor.clone().unwrap_or_default()
    }
}

/// A page of a list: `next_cursor` is given when there may be more.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last one.
    pub next_cursor: Option<String>,
}

/// A page whose cursor is the last item's id when the page was full.
pub fn paged<T: serde::Serialize>(items: Vec<T>, limit: i64, id: impl Fn(&T) -> String) -> Paged<T> {
    let next_cursor = (items.len() as i64 == limit).then(|| items.last().map(&id)).flatten();
    Paged { items, next_cursor }
}

pub fn status_json(status: u16, body: Value) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    HttpResponse::build(code).json(body)
}

/// A CSV download: UTF-8 with a BOM so Excel reads the Chinese text correctly. Every CSV the
/// service serves is written here, so every cell passes `spreadsheet::cell` (no formulas).
pub fn csv_response(filename: &str, header: &[&str], rows: Vec<Vec<String>>) -> AppResult<HttpResponse> {
    let bytes = csv_bytes(header, rows)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{filename}\"")))
        .body(bytes))
}

/// The bytes of a CSV download (and of the same file in an archive package).
pub fn csv_bytes(header: &[&str], rows: Vec<Vec<String>>) -> AppResult<Vec<u8>> {
    use crate::domain::spreadsheet::cell;
    let mut w = csv::Writer::from_writer(Vec::from(&b"\xEF\xBB\xBF"[..]));
    w.write_record(header).map_err(AppError::internal)?;
    for r in rows {
        w.write_record(r.iter().map(|c| cell(c).into_owned())).map_err(AppError::internal)?;
    }
    w.into_inner().map_err(AppError::internal)
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Format {
    /// The answer's format, e.g. `csv`.
    pub format: Option<String>,
}

/// What a call answers: JSON (the default), or a download of the same figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Json,
    Csv,
    /// An Excel workbook, on the books, statements and vouchers (`http::xlsx`).
    Xlsx,
}

impl Answer {
    /// The download asked for, if any.
    pub fn download(self) -> Option<sheet::Download> {
        match self {
            Answer::Json => None,
            Answer::Csv => Some(sheet::Download::Csv),
            Answer::Xlsx => Some(sheet::Download::Xlsx),
        }
    }
}

impl Format {
    /// Whether the caller asked for CSV; JSON is the default, and any other `format` is refused
    /// rather than answered as JSON.
    pub fn is_csv(&self) -> AppResult<bool> {
        match self.format.as_deref() {
            None | Some("json") => Ok(false),
            Some("csv") => Ok(true),
            Some(other) => Err(AppError::field("format", format!("'{other}' is not one of json, csv"))),
        }
    }

    /// The answer of a call that also offers a workbook: json, csv or xlsx; anything else is
    /// refused rather than answered as JSON.
    pub fn answer(&self) -> AppResult<Answer> {
        match self.format.as_deref() {
            None | Some("json") => Ok(Answer::Json),
            Some("csv") => Ok(Answer::Csv),
            Some("xlsx") => Ok(Answer::Xlsx),
            Some(other) => Err(AppError::field("format", format!("'{other}' is not one of json, csv, xlsx"))),
        }
    }
}

/// The dates the service takes (API.md, Conventions): a wider year is a typing slip, and far
/// years overflow the period arithmetic (`9999-12-31` gave an end date `+10001-12-30`).
pub const FIRST_DATE: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");
pub const LAST_DATE: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(2099, 12, 31).expect("a date");

pub fn parse_date(field: &str, text: &str) -> AppResult<chrono::NaiveDate> {
    in_range(field, parse_birth_date(field, text)?)
}

/// A date in the form YYYY-MM-DD of any year from 1 to 9999: only a birth date, which is of
/// course before 2000, is taken this way.
pub fn parse_birth_date(field: &str, text: &str) -> AppResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| AppError::field(field, format!("'{text}' is not a date YYYY-MM-DD")))
}

/// A date the service may take: within `FIRST_DATE..=LAST_DATE`.
pub fn in_range(field: &str, date: chrono::NaiveDate) -> AppResult<chrono::NaiveDate> {
    if !(FIRST_DATE..=LAST_DATE).contains(&date) {
        return Err(AppError::field(field, format!("{date} is outside {FIRST_DATE} to {LAST_DATE}")));
    }
    Ok(date)
}

pub fn opt_date(field: &str, text: &Option<String>) -> AppResult<Option<chrono::NaiveDate>> {
    text.as_deref().map(|t| parse_date(field, t)).transpose()
}

/// What a login body that does not parse is told: serde's words would quote the password.
const LOGIN_SHAPE: &str = "the body must be a JSON object {\"username\": \"…\", \"password\": \"…\"}";

fn json_error(err: JsonPayloadError, req: &HttpRequest) -> actix_web::Error {
    match err {
        JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            AppError::new(Code::PayloadTooLarge, format!("the body is over the {limit}-byte limit")).into()
        }
        JsonPayloadError::ContentType => AppError::new(Code::UnsupportedMediaType, "send Content-Type: application/json").into(),
        _ if req.path().ends_with("/auth/login") => AppError::malformed(LOGIN_SHAPE).into(),
        other => AppError::malformed(format!("the body is not the expected JSON: {other}")).into(),
    }
}

fn query_error(err: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    AppError::malformed(format!("bad query string: {err}")).into()
}

fn path_error(err: PathError, _: &HttpRequest) -> actix_web::Error {
    AppError::malformed(format!("bad path: {err}")).into()
}

/// Swagger UI's relative asset paths need the trailing slash.
async fn docs_slash() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header(("Location", "/api/docs/")).finish()
}

async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::not_found("route"))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` once the database answered.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    pub version: &'static str,
}

/// Whether the service and its database answer.
///
/// No authentication. Also served at `/health`.
#[utoipa::path(get, path = "/health", tag = "service", responses((status = 200, body = Health)))]
async fn health(state: State) -> AppResult<HttpResponse> {
    db(&state, |conn| {
        diesel::connection::SimpleConnection::batch_execute(conn, "SELECT 1")?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok", database: state.backend.as_str(), version: env!("CARGO_PKG_VERSION") }))
}

/// Every route under `/api/v1`. Routes are tried in order and each `{id}` pattern is a regex
/// match, so the posting routes, by far the busiest, come first.
pub fn register(r: &mut Routes) {
    money::routes(r);
    imports::routes(r);
    accounts::routes(r);
    projects::routes(r);
    recovery::routes(r);
    reports::routes(r);
    acceptance::routes(r);
    archive::routes(r);
    package::routes(r);
    reviews::routes(r);
    statements::routes(r);
    export::routes(r);
    flags::routes(r);
    audit::routes(r);
    transparency::routes(r);
    documents::routes(r);
    r.get("/health", health);
    r.get("/openapi.json", openapi::openapi_json);
}

pub fn app(
    state: State,
) -> App<
    impl ServiceFactory<ServiceRequest, Config = (), Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error, InitError = ()>,
> {
    let limit = state.settings.server.body_limit_bytes;
    App::new()
        .wrap(actix_web::middleware::from_fn(guard::middleware))
        .wrap(actix_web::middleware::from_fn(headers::middleware))
        .wrap(actix_web::middleware::from_fn(request_id::middleware))
        .app_data(state)
        .app_data(web::JsonConfig::default().limit(limit).error_handler(json_error))
        .app_data(web::PayloadConfig::default().limit(limit))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .route("/health", web::get().to(health))
        .service(web::scope("/api/v1").configure(|cfg| Routes::serve(cfg, register)))
        .route("/api/docs", web::get().to(docs_slash))
        .service(openapi::docs_page())
        .configure(crate::console::routes)
        .default_service(web::to(not_found))
}
