//! Bulk import of vouchers from a CSV or xlsx file, and the file's template.
use super::money::answer_money;
use super::openapi::Problem;
use super::routes::Routes;
use super::{status_json, State};
use crate::app::import_file::{self, Format, COLUMNS};
use crate::app::imports::{self, Import};
use crate::auth::{Caller, Role};
use crate::error::{AppError, AppResult, Code};
use crate::store::unit::Outcome;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

pub fn routes(r: &mut Routes) {
    r.post("/projects/{id}/imports", import).get("/imports/template", template);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`: every check runs and nothing is written (the answer is 200, not 201).
    #[param(pattern = "^(true|false)$")]
    dry_run: Option<String>,
}

/// What an import posted (or, in a dry run, would post).
#[derive(Serialize, ToSchema)]
pub struct ImportAnswer {
    /// Vouchers in the file (rows sharing a `voucher_ref`).
    vouchers: u64,
    lines: u64,
    posted: u64,
    /// Held for the finance bureau's review, their money reserved.
    pending_review: u64,
    #[schema(example = "12000.00")]
    total_debit: String,
    /// The file's SHA-256: the same file again gets this answer.
    sha256: String,
    dry_run: bool,
}

/// Import vouchers from a CSV or xlsx file.
///
/// Body `text/csv` (UTF-8 with or without BOM, or GB18030) or an xlsx workbook (its first sheet).
/// The header row names the columns `voucher_ref, date, summary, account, debit, credit,
/// line_summary` and optionally `invoice_number, seller, seller_tax_id, attachments`; rows sharing
/// a `voucher_ref` form one voucher (its date, summary and attachments on its first row). Each
/// voucher is checked and posted, held for review or refused exactly as if submitted alone, in
/// file order. All or nothing: any refused row → `422 import_rejected` listing every refusal by
/// row number (the header is row 1) and code, nothing posted, one `import.refused` event on the
/// project's chain. The same file again → the first answer.
///
/// Roles: unit (its organisation's projects), finance.
#[utoipa::path(post, path = "/projects/{id}/imports", tag = "vouchers", operation_id = "import_vouchers",
    params(("id" = String, Path), ImportQuery),
    request_body(content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    security(("bearer" = [])),
    responses((status = 201, description = "Imported: the counts", body = ImportAnswer),
        (status = 200, description = "A dry run that would import: the counts", body = ImportAnswer),
        (status = 403, description = "`forbidden`: not unit or finance", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`project_not_active`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more bytes or rows than the service's `[imports]` limits", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: neither CSV nor xlsx", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`import_rejected`: rows refused, each in `refusals` as `{row, voucher_ref, code, detail}` with the members its error has alone (`account`, `number`, `available`, `lines`, `errors`, `first_row` …); `validation_failed`: the file cannot be read, a column is missing or unknown, no rows, `dry_run` not true or false", body = Problem, content_type = "application/problem+json")))]
pub async fn import(
    state: State,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    q: web::Query<ImportQuery>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Unit, Role::Finance])?;
    let dry_run = match q.dry_run.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(AppError::field("dry_run", format!("'{other}' is not true or false"))),
    };
    let body = read_limited(payload, state.settings.imports.max_bytes).await?;
    let content_type = req.headers().get("content-type").and_then(|h| h.to_str().ok());
    let format = Format::of(content_type, &body)?;
    let (status, body) = run(&state, &caller, id.into_inner(), format, Arc::new(body), dry_run).await?;
    Ok(status_json(status, body))
}

/// The file's SHA-256 (hex), by which an import's answer is kept.
pub fn file_sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Imports a file read whole: the API's route and the console's import page both come here.
/// The bytes are shared: the console holds them for the posting after a dry run.
pub async fn run(state: &State, caller: &Caller, project_id: String, format: Format, body: Arc<Vec<u8>>, dry_run: bool) -> Outcome {
    caller.require(&[Role::Unit, Role::Finance])?;
    let limits = state.settings.imports.clone();
    let sha256 = file_sha256(&body);
    let bytes = body.len();
    // Reading a large file is work for a blocking thread, not the server's.
    let rows = web::block(move || import_file::rows(format, &body, limits.max_rows)).await.map_err(AppError::internal)??;
    // What the chain records of a refusal: the file by its hash, not its content.
    let summary = json!({"sha256": sha256, "bytes": bytes, "rows": rows.len(), "dry_run": dry_run,
        "format": if format == Format::Csv { "csv" } else { "xlsx" }});
    let (rules, actor) = (state.rules.clone(), caller.actor());
    let cmd = Import { sha256, dry_run, rows };
    answer_money(state, caller, project_id, None, imports::REFUSED, summary, move |conn, l| imports::import(conn, l, &actor, &rules, cmd))
        .await
}

/// The body, refused with 413 as soon as it passes `max` bytes.
async fn read_limited(mut payload: web::Payload, max: usize) -> AppResult<Vec<u8>> {
    use futures_core::Stream;
    use std::pin::Pin;
    let mut body = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut payload).poll_next(cx)).await {
        let chunk = chunk.map_err(|_| AppError::malformed("the body could not be read"))?;
        if body.len() + chunk.len() > max {
            return Err(AppError::new(Code::PayloadTooLarge, format!("an import is at most {max} bytes")).with("max_bytes", max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// `csv` (default) or `xlsx`.
    #[param(pattern = "^(csv|xlsx)$")]
    format: Option<String>,
}

/// An example voucher of two rows: materials paid from the bank, with its invoice.
const EXAMPLE: [[&str; 11]; 2] = [
    [
        "V001",
        "2025-03-04",
        "采购焊丝",
        "materials",
        "120.00",
        "",
        "焊丝 2 箱",
        "04403210",
        "赤峰市某五金机电有限公司",
        "91350100M000100Y43",
        "1",
    ],
    ["V001", "", "", "1002", "", "120.00", "银行付款", "", "", "", ""],
];

/// The import file's template: the header row and an example voucher.
///
/// Roles: any signed-in user.
#[utoipa::path(get, path = "/imports/template", tag = "vouchers", operation_id = "import_template", params(TemplateQuery),
    security(("bearer" = [])),
    responses((status = 200, content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 422, description = "`validation_failed`: a `format` other than csv or xlsx", body = Problem, content_type = "application/problem+json")))]
pub async fn template(_caller: Caller, q: web::Query<TemplateQuery>) -> AppResult<HttpResponse> {
    template_file(q.format.as_deref())
}

/// The template as a download, `csv` (the default) or `xlsx`: the API's route and the console's link.
pub fn template_file(format: Option<&str>) -> AppResult<HttpResponse> {
    match format {
        None | Some("csv") => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let write = |w: &mut csv::Writer<Vec<u8>>, r: &[&str]| w.write_record(r).map_err(AppError::internal);
            write(&mut w, &COLUMNS)?;
            for row in &EXAMPLE {
                write(&mut w, row)?;
            }
            // With a byte-order mark, so Excel opens the Chinese text as UTF-8.
            let body = [b"\xef\xbb\xbf".as_slice(), &w.into_inner().map_err(AppError::internal)?].concat();
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header(("Content-Disposition", "attachment; filename=\"import-template.csv\""))
                .body(body))
        }
        Some("xlsx") => {
            let bytes = template_xlsx().map_err(AppError::internal)?;
            Ok(HttpResponse::Ok()
                .content_type(super::xlsx::CONTENT_TYPE)
                .insert_header(("Content-Disposition", "attachment; filename=\"import-template.xlsx\""))
                .body(bytes))
        }
        Some(other) => Err(AppError::field("format", format!("'{other}' is not csv or xlsx"))),
    }
}

/// Every cell text, so a date or an amount reads back exactly as written.
fn template_xlsx() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("import")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &bold)?;
    }
    for (r, row) in EXAMPLE.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, *cell)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}
