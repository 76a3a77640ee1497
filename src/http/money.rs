//! Money movements: disbursements, vouchers and their reversal; the runners every money route uses.
use super::openapi::{IdempotencyKey, Problem};
use super::projects::visible;
use super::routes::Routes;
use super::views::{voucher_answer, VoucherView};
use super::{db, paged, status_json, Paged, State};
use crate::app::funds::{self, Disburse};
use crate::app::vouchers::{self, EntryLine, Reverse, SubmitVoucher};
use crate::auth::{Caller, Role};
use crate::db::DbConn;
use crate::domain::invoice::Invoice;
use crate::domain::money::Money;
use crate::domain::status::VoucherStatus;
use crate::error::{AppError, AppResult, Code};
use crate::store;
use crate::store::batch::PostJob;
use crate::store::journal::Journal;
use crate::store::ledger::Locked;
use crate::store::unit::{self, Idem, Outcome, Request};
use crate::store::vouchers::VoucherFilter;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

pub fn routes(r: &mut Routes) {
    r.post("/projects/{id}/disbursements", disburse)
        .post("/projects/{id}/vouchers", submit)
        .get("/projects/{id}/vouchers", list)
        .get("/projects/{id}/vouchers/{vid}", get)
        .post("/projects/{id}/vouchers/{vid}/reverse", reverse);
}

/// Reads a typed body from JSON already parsed (the raw value is kept for idempotency hashing).
pub fn shape<T: serde::de::DeserializeOwned>(v: &Value) -> AppResult<T> {
    serde_json::from_value(v.clone()).map_err(|e| AppError::malformed(format!("the body is not the expected shape: {e}")))
}

/// The Idempotency-Key of a request, bound to the caller and to exactly this request.
pub fn idem(req: &HttpRequest, caller: &Caller, body: &Value) -> AppResult<Option<Idem>> {
    idem_from(req, caller, body, None)
}

/// As `idem`, with the key of a console form's hidden field (`form_key`) in place of the header:
/// a browser cannot send headers with a form, and a double submit must replay, not post twice.
pub fn idem_from(req: &HttpRequest, caller: &Caller, body: &Value, form_key: Option<&str>) -> AppResult<Option<Idem>> {
    let given = match form_key {
        Some(k) => Some(Some(k)),
        None => req.headers().get("Idempotency-Key").map(|h| h.to_str().ok()),
    };
    let Some(given) = given else { return Ok(None) };
    let key = given.filter(|k| (1..=128).contains(&k.len()) && k.bytes().all(|b| (0x20..0x7f).contains(&b)));
    let key = key.ok_or_else(|| AppError::malformed("Idempotency-Key must be 1 to 128 printable ASCII characters"))?;
    bind_key(caller, key, req.method().as_str(), req.path(), body).map(Some)
}

/// A key bound to its caller and to exactly this request (method, path, canonical body): the same
/// key with another request is an `idempotency_conflict`. The console binds its forms' hidden keys
/// here too.
pub(crate) fn bind_key(caller: &Caller, key: &str, method: &str, path: &str, body: &Value) -> AppResult<Idem> {
    let canonical = serde_jcs::to_string(body).map_err(AppError::internal)?;
    let hash = crate::domain::audit::sha256_hex(&format!("{method} {path}\n{canonical}"));
    Ok(Idem { user_id: caller.user_id.clone(), key: key.to_string(), request_hash: hash })
}

/// Runs a money request under its project's lock (`store::unit`); a refusal by the rules is
/// recorded on the chain. On SQLite it joins the writer's next group commit.
pub async fn run_money<F>(
    state: &State,
    caller: &Caller,
    project_id: String,
    idem: Option<Idem>,
    refusal_action: &'static str,
    body: Value,
    f: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut DbConn, &mut Locked) -> Outcome + Send + 'static,
{
    let (status, body) = answer_money(state, caller, project_id, idem, refusal_action, body, f).await?;
    Ok(status_json(status, body))
}

/// `run_money`'s answer as status and JSON body, for callers that render it themselves (the console).
pub(crate) async fn answer_money<F>(
    state: &State,
    caller: &Caller,
    project_id: String,
    idem: Option<Idem>,
    refusal_action: &'static str,
    body: Value,
    f: F,
) -> Outcome
where
    F: FnOnce(&mut DbConn, &mut Locked) -> Outcome + Send + 'static,
{
    let request = envelope(caller, project_id, idem, refusal_action, body);
    let work = move |conn: &mut DbConn| unit::alone(conn, request, f);
    let outcome = match &state.writer {
        Some(writer) => writer.submit("", Box::new(work)).await,
        None => db(state, work).await,
    };
    counted(refusal_action, outcome)
}

fn envelope(caller: &Caller, project_id: String, idem: Option<Idem>, refusal_action: &'static str, body: Value) -> Request {
    // A unit reaches only its organisation's projects; other roles see every project.
    let org = (caller.role == Role::Unit).then(|| caller.org_id.clone().unwrap_or_default());
    Request { project_id, org, idem, actor: caller.actor(), refusal_action, body }
}

/// Runs a posting: work that reads only its locked project and writes only through the journal.
/// On PostgreSQL it joins the next posting batch (`store::batch`); otherwise it is a money request
/// like any other.
#[allow(clippy::too_many_arguments)]
pub async fn run_posting<F>(
    state: &State,
    caller: &Caller,
    project_id: String,
    idem: Option<Idem>,
    refusal_action: &'static str,
    body: Value,
    invoices: Vec<String>,
    f: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut dyn Journal, &mut Locked) -> Outcome + Send + 'static,
{
    let (status, body) = answer_posting(state, caller, project_id, idem, refusal_action, body, invoices, f).await?;
    Ok(status_json(status, body))
}

/// `run_posting`'s answer as status and JSON body. `invoices`: the numbers the work claims
/// (`PostJob::invoices`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn answer_posting<F>(
    state: &State,
    caller: &Caller,
    project_id: String,
    idem: Option<Idem>,
    refusal_action: &'static str,
    body: Value,
    invoices: Vec<String>,
    f: F,
) -> Outcome
where
    F: FnOnce(&mut dyn Journal, &mut Locked) -> Outcome + Send + 'static,
{
    let Some(batcher) = &state.batcher else {
        return answer_money(state, caller, project_id, idem, refusal_action, body, move |conn, l| f(conn, l)).await;
    };
    let shard = project_id.clone();
    let job = PostJob { request: envelope(caller, project_id, idem, refusal_action, body), work: Box::new(f), invoices };
    counted(refusal_action, batcher.submit(&shard, job).await)
}

/// Counts a money request's committed outcome, or its refusal by the rules, for `/metrics`.
fn counted(refusal_action: &str, outcome: Outcome) -> Outcome {
    match &outcome {
        Ok(_) => crate::metrics::money(refusal_action, None),
        Err(e) if unit::is_recorded_refusal(e) => crate::metrics::money(refusal_action, Some(e.code.as_str())),
        Err(_) => {}
    }
    outcome
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Disbursement {
    #[schema(value_type = String, format = Date, example = "2025-03-10")]
    date: String,
    #[schema(value_type = String, pattern = r"^[0-9]+(\.[0-9]{1,2})?$", example = "200000.00")]
    amount: Value,
    /// The finance bureau's document number.
    #[serde(default)]
    #[schema(example = "赤财教〔2025〕12号")]
    reference: String,
}

/// Disburse part of the grant into the project's bank account.
///
/// Dr 1002 / Cr 1221, posted at once.
///
/// Roles: finance.
#[utoipa::path(post, path = "/projects/{id}/disbursements", tag = "vouchers", operation_id = "disburse", request_body = Disbursement,
    params(("id" = String, Path), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 201, description = "The disbursement voucher, posted", body = VoucherView),
        (status = 403, description = "`forbidden`: not finance", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`project_not_active`; `grant_exceeded`: more than the undisbursed grant; `idempotency_conflict`: the key came with another request, or another request holds it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a bad date; `invalid_amount`; `out_of_period`: dated outside the project's period", body = Problem, content_type = "application/problem+json")))]
pub async fn disburse(
    state: State,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    let (status, body) = disbursement(&state, &caller, &req, id.into_inner(), body.into_inner(), None).await?;
    Ok(status_json(status, body))
}

/// A disbursement as the API and the console's form post it (`form_key`: see `idem_from`).
pub async fn disbursement(state: &State, caller: &Caller, req: &HttpRequest, id: String, raw: Value, form_key: Option<&str>) -> Outcome {
    caller.require(&[Role::Finance])?;
    let b: Disbursement = shape(&raw)?;
    let cmd = Disburse { date: super::parse_date("date", &b.date)?, amount: Money::from_json(&b.amount)?, reference: b.reference };
    let idem = idem_from(req, caller, &raw, form_key)?;
    let actor = caller.actor();
    answer_posting(state, caller, id, idem, Disburse::REFUSED, raw, Vec::new(), move |journal, l| {
        voucher_answer(201, &funds::disburse(journal, l, &actor, cmd)?)
    })
    .await
}

/// A voucher line: the account by code or category slug, and exactly one of debit or credit.
#[derive(Deserialize, Clone, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineIn {
    #[schema(example = "equipment")]
    pub account: String,
    #[schema(value_type = Option<String>, pattern = r"^[0-9]+(\.[0-9]{1,2})?$", example = "120000.00")]
    pub debit: Option<Value>,
    #[schema(value_type = Option<String>, pattern = r"^[0-9]+(\.[0-9]{1,2})?$", example = "120000.00")]
    pub credit: Option<Value>,
    /// At most 500 characters; the classifier reads it with the voucher's summary.
    #[serde(default)]
    pub summary: String,
    /// The invoice (发票) the line pays. Its number may be on one posted or pending voucher only,
    /// in any project (`409 duplicate_invoice`); a declined or reversed voucher frees it.
    #[serde(default)]
    pub invoice: Option<InvoiceIn>,
}

/// An invoice named on a voucher line.
#[derive(Deserialize, Clone, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceIn {
    /// 8 to 20 digits.
    #[schema(pattern = r"^[0-9]{8,20}$", example = "25442000000123456789")]
    pub number: String,
    /// The seller's name, at most 200 characters.
    #[serde(default)]
    #[schema(example = "某某数控设备有限公司")]
    pub seller: String,
    /// The seller's unified social credit code (统一社会信用代码): 18 characters whose last is the
    /// check character of GB 32100-2015.
    #[serde(default)]
    #[schema(pattern = r"^[0-9A-HJ-NPQRTUWXY]{18}$", example = "91350100M000100Y43")]
    pub seller_tax_id: String,
}

impl LineIn {
    /// A submitted line: exactly one side, a money string.
    fn entry(self, i: usize) -> AppResult<EntryLine> {
        let money = |v: &Value| Money::from_json(v).map_err(|e| AppError::from(e).with("line", i + 1));
        let (debit, credit) = match (&self.debit, &self.credit) {
            (Some(d), None) => (money(d)?, Money::ZERO),
            (None, Some(c)) => (Money::ZERO, money(c)?),
            _ => {
                return Err(AppError::new(Code::InvalidLine, format!("line {} must have exactly one of debit or credit", i + 1))
                    .with("line", i + 1))
            }
        };
        let invoice = match &self.invoice {
            Some(inv) => Some(
                Invoice::parse(&inv.number, &inv.seller, &inv.seller_tax_id)
                    .map_err(|e| AppError::field(&format!("lines[{i}].invoice.{}", e.field), e.message).with("line", i + 1))?,
            ),
            None => None,
        };
        Ok(EntryLine { account: self.account, debit, credit, summary: self.summary, invoice })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoucherIn {
    #[schema(value_type = String, format = Date, example = "2025-03-15")]
    date: String,
    /// At most 500 characters.
    #[serde(default)]
    summary: String,
    /// How many supporting documents are attached.
    #[serde(default)]
    attachments: u16,
    /// 1 to 200 lines, debits equal to credits.
    lines: Vec<LineIn>,
}

/// Submit an expenditure voucher.
///
/// Every debit to expenditure is classified against the project's categories: all allowed →
/// posted with the next number; any needing review → held as `pending_review` with its money
/// reserved; any prohibited → refused, nothing posted, the refusal recorded on the audit chain.
/// A line may name its invoice; an invoice number is reimbursed once across every project.
///
/// Roles: unit (its organisation's projects), finance.
#[utoipa::path(post, path = "/projects/{id}/vouchers", tag = "vouchers", operation_id = "submit_voucher", request_body = VoucherIn,
    params(("id" = String, Path), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 201, description = "The voucher, `posted` or `pending_review`", body = VoucherView),
        (status = 403, description = "`forbidden`: not unit or finance, or a line on an account an expenditure voucher may not use (1221, 2241, 2401)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`project_not_active`; `insufficient_funds`: the bank account, less reservations, cannot pay it; `grant_exceeded`: expenditure would pass the grant; `negative_balance`; `duplicate_invoice`: a line's invoice number is on a posted or pending voucher of any project (`number`, `line`); `idempotency_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`voucher_rejected`: a line is prohibited spending (each line's verdict in `lines`); `unknown_account`; `unbalanced_voucher`; `invalid_line`: no lines, over 200, both or neither side, or not an expense; `invalid_amount`; `out_of_period`; `validation_failed`: a bad date, a summary over 500 characters, an invoice number that is not 8 to 20 digits or a seller's credit code whose check character fails (GB 32100-2015)", body = Problem, content_type = "application/problem+json")))]
pub async fn submit(
    state: State,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Unit, Role::Finance])?;
    let raw = body.into_inner();
    let idem = idem(&req, &caller, &raw)?;
    let (status, body) = submit_voucher(&state, &caller, id.into_inner(), idem, raw).await?;
    Ok(status_json(status, body))
}

/// Submits a voucher given as the API's JSON body: the API's route and the console's entry form.
pub(crate) async fn submit_voucher(state: &State, caller: &Caller, project_id: String, idem: Option<Idem>, raw: Value) -> Outcome {
    caller.require(&[Role::Unit, Role::Finance])?;
    let b: VoucherIn = shape(&raw)?;
    let date = super::parse_date("date", &b.date)?;
    if b.summary.chars().count() > 500 || b.lines.iter().any(|l| l.summary.chars().count() > 500) {
        return Err(AppError::field("summary", "at most 500 characters"));
    }
    let lines = b.lines.into_iter().enumerate().map(|(i, l)| l.entry(i)).collect::<AppResult<_>>()?;
    let mut cmd = SubmitVoucher::new(date, b.summary, b.attachments, lines)?;
    let (rules, actor) = (state.rules.clone(), caller.actor());
    cmd.classify_ahead(&rules, &project_id);
    let invoices = cmd.invoice_numbers();
    answer_posting(state, caller, project_id, idem, SubmitVoucher::REFUSED, raw, invoices, move |journal, l| {
        voucher_answer(201, &vouchers::submit(journal, l, &actor, &rules, cmd)?)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// posted, pending_review, reversed or declined.
    status: Option<String>,
    /// Vouchers dated on or after this day (YYYY-MM-DD).
    from: Option<String>,
    /// Vouchers dated on or before this day (YYYY-MM-DD).
    to: Option<String>,
    /// Vouchers with a line on this account code.
    account: Option<String>,
    /// 1 to 500, default 50.
    limit: Option<i64>,
    cursor: Option<String>,
    /// `csv` for a spreadsheet, `xlsx` for an Excel workbook, one row per voucher line; JSON otherwise.
    #[param(pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
    /// The workbook's headers: `zh` (default) or `en`.
    #[param(pattern = "^(zh|en)$")]
    lang: Option<String>,
}

/// A project's vouchers with their lines, by id, with filters.
///
/// Roles: hr, finance, inspector; a unit only its organisation's projects (admin reads no books: 403).
#[utoipa::path(get, path = "/projects/{id}/vouchers", tag = "vouchers", operation_id = "list_vouchers", params(("id" = String, Path), ListQuery), security(("bearer" = [])),
    responses((status = 200, content((Paged<VoucherView> = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, description = "`not_found`: no such project visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: an unknown status, a bad date, `limit` out of 1..500, a `format` other than json, csv or xlsx, a `lang` other than zh or en", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, caller: Caller, id: web::Path<String>, q: web::Query<ListQuery>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = super::Page { limit: q.limit, cursor: q.cursor.clone(), format: q.format };
    let answer = super::Format { format: page.format.clone() }.answer()?;
    let lang = super::sheet::Lang::parse(q.lang.as_deref())?;
    let limit = super::tables::limit(&page, answer.download().is_some())?;
    let status = q.status.as_deref().map(|s| VoucherStatus::parse(s).ok_or_else(|| unknown_status(s))).transpose()?;
    let (from, to) = (super::opt_date("from", &q.from)?, super::opt_date("to", &q.to)?);
    let filter = VoucherFilter { status, kind: None, from, to, account: q.account, after: page.after(), limit };
    let id = id.into_inner();
    let body = db(&state, move |conn| {
        visible(conn, &caller, &id)?;
        let stored = store::vouchers::list(conn, &id, &filter)?;
        let ids: Vec<&str> = stored.iter().map(|s| s.voucher.id.as_str()).collect();
        let documents = store::documents::of_vouchers(conn, &ids)?;
        let items = stored.iter().map(|s| VoucherView::of(s)?.with_documents(&documents)).collect::<AppResult<Vec<_>>>()?;
        Ok(paged(items, limit, |v| v.id.clone()))
    })
    .await?;
    if let Some(download) = answer.download() {
        return super::tables::by_line("vouchers", &super::tables::VOUCHER, &body.items, download, lang);
    }
    Ok(HttpResponse::Ok().json(body))
}

fn unknown_status(s: &str) -> AppError {
    let names: Vec<&str> = VoucherStatus::ALL.iter().map(|s| s.as_str()).collect();
    AppError::field("status", format!("'{s}' is not one of {}", names.join(", ")))
}

/// One voucher with its lines.
///
/// Roles: hr, finance, inspector; a unit only its organisation's projects (admin reads no books: 403).
#[utoipa::path(get, path = "/projects/{id}/vouchers/{vid}", tag = "vouchers", operation_id = "get_voucher", params(("id" = String, Path), ("vid" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = VoucherView),
        (status = 404, description = "`not_found`: no such project visible to the caller, or no such voucher in it", body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: State, caller: Caller, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    let (id, vid) = path.into_inner();
    let body = db(&state, move |conn| {
        visible(conn, &caller, &id)?;
        let documents = store::documents::of_vouchers(conn, &[vid.as_str()])?;
        VoucherView::of(&store::vouchers::stored(conn, &id, &vid)?)?.with_documents(&documents)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseIn {
    /// Not before the reversed voucher's date.
    #[schema(value_type = String, format = Date, example = "2025-03-21")]
    date: String,
    #[schema(example = "重复报销")]
    reason: String,
}

/// Reverse a posted voucher in red ink.
///
/// A new posted voucher with every line's sides swapped; the two are linked both ways
/// (`reverses_id`, `reversed_by_id`). Posted vouchers are never edited.
///
/// Roles: unit (its organisation's expense vouchers), finance (expense vouchers and disbursements).
#[utoipa::path(post, path = "/projects/{id}/vouchers/{vid}/reverse", tag = "vouchers", operation_id = "reverse_voucher", request_body = ReverseIn,
    params(("id" = String, Path), ("vid" = String, Path), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 201, description = "The reversal voucher, posted", body = VoucherView),
        (status = 403, description = "`forbidden`: not unit or finance", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such project visible to the caller, or no such voucher in it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_reversed` (with `reversed_by`); `invalid_transition`: the voucher is not posted, or is a kind the caller may not reverse; `project_not_active`; `insufficient_funds`, `negative_balance`: the books cannot take it back; `idempotency_conflict`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a bad date, no reason, or dated before the voucher; `out_of_period`", body = Problem, content_type = "application/problem+json")))]
pub async fn reverse(
    state: State,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Unit, Role::Finance])?;
    let raw = body.into_inner();
    let (id, vid) = path.into_inner();
    let idem = idem(&req, &caller, &raw)?;
    let (status, body) = reverse_voucher(&state, &caller, id, vid, idem, raw).await?;
    Ok(status_json(status, body))
}

/// Reverses a voucher given the API's JSON body: the API's route and the console's voucher page.
pub(crate) async fn reverse_voucher(state: &State, caller: &Caller, id: String, vid: String, idem: Option<Idem>, raw: Value) -> Outcome {
    caller.require(&[Role::Unit, Role::Finance])?;
    let b: ReverseIn = shape(&raw)?;
    let cmd = Reverse::new(vid, super::parse_date("date", &b.date)?, &b.reason, caller.role)?;
    let actor = caller.actor();
    answer_money(state, caller, id, idem, Reverse::REFUSED, raw, move |conn, l| {
        voucher_answer(201, &vouchers::reverse(conn, l, &actor, cmd)?)
    })
    .await
}
