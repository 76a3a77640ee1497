//! Money movements: disbursements, vouchers, reviews, reversals, classification.
use super::projects::visible;
use super::routes::Routes;
use super::{db, paged, status_json, State};
use crate::auth::{Caller, Role};
use crate::db::schema::vouchers;
use crate::db::DbConn;
use crate::domain::chart::{self, AccountDef};
use crate::domain::classify::{Classification, Rules, Verdict};
use crate::domain::kind::{ProjectKind, VoucherKind};
use crate::domain::ledger::{check_expense_voucher, check_lines, Line};
use crate::domain::money::Money;
use crate::error::{AppError, AppResult, Code};
use crate::store::batch::PostJob;
use crate::store::journal::Journal;
use crate::store::ledger::{self, Idem, Locked, PostLine, Posting};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

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
    let Some(h) = req.headers().get("Idempotency-Key") else { return Ok(None) };
    let key = h.to_str().ok().filter(|k| (1..=128).contains(&k.len()) && k.bytes().all(|b| (0x20..0x7f).contains(&b)));
    let key = key.ok_or_else(|| AppError::malformed("Idempotency-Key must be 1 to 128 printable ASCII characters"))?;
    let canonical = serde_jcs::to_string(body).map_err(AppError::internal)?;
    let hash = crate::domain::audit::sha256_hex(&format!("{} {}\n{}", req.method(), req.path(), canonical));
    Ok(Some(Idem { user_id: caller.user_id.clone(), key: key.to_string(), request_hash: hash }))
}

/// Runs a money request under the project lock; a refusal by the rules is recorded on the chain.
pub async fn run_money<F>(
    state: &State,
    caller: &Caller,
    project_id: String,
    idem: Option<Idem>,
    action: &'static str,
    request: Value,
    f: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut DbConn, &mut Locked) -> AppResult<(u16, Value)> + Send + 'static,
{
    let actor = caller.actor();
    let org = unit_org(caller);
    let work = move |conn: &mut DbConn| {
        let result = ledger::money_tx(conn, &project_id, org.as_deref(), idem.as_ref(), f);
        if let Err(e) = &result {
            if ledger::is_recorded_refusal(e) {
                ledger::record_refusal(conn, &project_id, &actor, action, e, request)?;
            }
        }
        result
    };
    let (status, body) = match &state.writer {
        Some(writer) => writer.submit("", Box::new(work)).await?,
        None => db(state, work).await?,
    };
    Ok(status_json(status, body))
}

/// The organisation a unit is limited to; other roles see every project.
fn unit_org(caller: &Caller) -> Option<String> {
    (caller.role == Role::Unit).then(|| caller.org_id.clone().unwrap_or_default())
}

/// Runs a posting: work that reads only its locked project and writes only through the journal.
/// On PostgreSQL it joins the next posting batch (`store::batch`); otherwise it is a money request
/// like any other.
pub async fn run_posting<F>(
    state: &State,
    caller: &Caller,
    project_id: String,
    idem: Option<Idem>,
    refusal_action: &'static str,
    request: Value,
    f: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut dyn Journal, &mut Locked) -> AppResult<(u16, Value)> + Send + 'static,
{
    let Some(batcher) = &state.batcher else {
        return run_money(state, caller, project_id, idem, refusal_action, request, move |conn, l| f(conn, l)).await;
    };
    let shard = project_id.clone();
    let job = PostJob { project_id, org: unit_org(caller), idem, actor: caller.actor(), refusal_action, request, work: Box::new(f) };
    let (status, body) = batcher.submit(&shard, job).await?;
    Ok(status_json(status, body))
}

pub fn must_be_open(l: &Locked, date: NaiveDate) -> AppResult<()> {
    if !l.row.status.is_active() {
        return Err(
            AppError::conflict(Code::ProjectNotActive, format!("the project is {}", l.row.status)).with("status", l.row.status.as_str())
        );
    }
    if date < l.row.start() || date > l.row.end() {
        return Err(AppError::new(
            Code::OutOfPeriod,
            format!("{date} is outside the project period {} to {}", l.row.start_date, l.row.end_date),
        )
        .with("start_date", l.row.start_date.to_string())
        .with("end_date", l.row.end_date.to_string()));
    }
    Ok(())
}

pub fn voucher_view(conn: &mut DbConn, project_id: &str, vid: &str) -> AppResult<Value> {
    let v = ledger::voucher(conn, project_id, vid)?;
    let lines = ledger::lines_of(conn, vid)?;
    Ok(voucher_json(&v, &lines))
}

pub fn stored_json(s: &ledger::Stored) -> Value {
    voucher_json(&s.voucher, &s.lines)
}

fn voucher_json(v: &ledger::VoucherRow, lines: &[ledger::LineRow]) -> Value {
    json!({
        "id": v.id, "project_id": v.project_id, "number": v.number, "status": v.status, "kind": v.kind,
        "date": v.date, "summary": v.summary, "attachments": v.attachments, "reference": v.reference,
        "total": lines.iter().map(|l| Money::from_fen(l.debit_fen)).sum::<Money>().to_string(),
        "reserved": Money::from_fen(v.reserved_bank_fen).to_string(),
        "created_by": v.created_by, "created_at": v.created_at,
        "reverses_id": v.reverses_id, "reversed_by_id": v.reversed_by_id,
        "decision": v.decision.as_deref().and_then(|d| serde_json::from_str::<Value>(d).ok()),
        "lines": lines.iter().map(|l| json!({
            "line_no": l.line_no, "account": l.account_code, "debit": Money::from_fen(l.debit_fen).to_string(),
            "credit": Money::from_fen(l.credit_fen).to_string(), "summary": l.summary,
            "classification": l.classification.as_deref().and_then(|c| serde_json::from_str::<Value>(c).ok()),
        })).collect::<Vec<_>>(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Disbursement {
    date: String,
    amount: Value,
    #[serde(default)]
    reference: String,
}

async fn disburse(
    state: State,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Finance])?;
    let raw = body.into_inner();
    let b: Disbursement = shape(&raw)?;
    let date = super::parse_date("date", &b.date)?;
    let amount = Money::from_json(&b.amount)?;
    let idem = idem(&req, &caller, &raw)?;
    let actor = caller.actor();
    run_posting(&state, &caller, id.into_inner(), idem, "disbursement.refused", raw, move |journal, l| {
        must_be_open(l, date)?;
        let p = Posting {
            kind: VoucherKind::Disbursement,
            date,
            summary: format!("拨付补助资金 grant disbursed {}", b.reference).trim().to_string(),
            attachments: 0,
            reference: Some(b.reference.clone()).filter(|r| !r.is_empty()),
            reverses: None,
            lines: vec![
                PostLine::plain(Line::debit(chart::BANK, amount), "收到财政拨付补助资金"),
                PostLine::plain(Line::credit(chart::GRANT_RECEIVABLE, amount), "应收补助资金减少"),
            ],
        };
        Ok((201, stored_json(&ledger::post(journal, l, &actor, &p)?)))
    })
    .await
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct LineIn {
    pub account: String,
    pub debit: Option<Value>,
    pub credit: Option<Value>,
    #[serde(default)]
    pub summary: String,
}

/// Reads one request line: exactly one side, a money string.
fn amounts(i: usize, l: &LineIn) -> AppResult<(Money, Money)> {
    match (&l.debit, &l.credit) {
        (Some(d), None) => Ok((Money::from_json(d).map_err(|e| AppError::from(e).with("line", i + 1))?, Money::ZERO)),
        (None, Some(c)) => Ok((Money::ZERO, Money::from_json(c).map_err(|e| AppError::from(e).with("line", i + 1))?)),
        _ => Err(AppError::new(Code::InvalidLine, format!("line {} must have exactly one of debit or credit", i + 1)).with("line", i + 1)),
    }
}

/// Every line's verdict, as the classifier sees it: debit lines to expenditure, or to names of
/// prohibited uses / other kinds' categories, which are never in a chart.
pub fn verdicts(
    rules: &Rules,
    kind: ProjectKind,
    chart: &[AccountDef],
    summary: &str,
    lines: &[LineIn],
    debits: &[bool],
) -> AppResult<Vec<Option<Classification>>> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let resolved = chart::find(chart, l.account.trim());
            let expenditure = resolved.is_none_or(|a| chart::is_expenditure(&a.code));
            if resolved.is_none() && !rules.is_prohibited_account(l.account.trim()) && rules.find_category(l.account.trim()).is_none() {
                return Err(AppError::new(
                    Code::UnknownAccount,
                    format!("line {}: account '{}' is not in this project's chart", i + 1, l.account),
                )
                .with("line", i + 1)
                .with("account", l.account.clone()));
            }
            if !(debits[i] && expenditure) {
                return Ok(None);
            }
            // A reviewer reads the line together with the voucher's summary.
            let text = format!("{} {}", summary.trim(), l.summary.trim());
            Ok(rules.classify(kind, l.account.trim(), text.trim()))
        })
        .collect()
}

pub fn verdict_list(lines: &[LineIn], v: &[Option<Classification>]) -> Value {
    lines
        .iter()
        .zip(v)
        .enumerate()
        .map(|(i, (l, c))| match c {
            Some(c) => json!({"line": i + 1, "account": l.account, "verdict": c.verdict, "category": c.category, "reasons": c.reasons}),
            None => json!({"line": i + 1, "account": l.account, "verdict": Value::Null}),
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoucherIn {
    date: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    attachments: u16,
    lines: Vec<LineIn>,
}

async fn submit(state: State, caller: Caller, req: HttpRequest, id: web::Path<String>, body: web::Json<Value>) -> AppResult<HttpResponse> {
    caller.require(&[Role::Unit, Role::Finance])?;
    let raw = body.into_inner();
    let b: VoucherIn = shape(&raw)?;
    let date = super::parse_date("date", &b.date)?;
    if b.summary.chars().count() > 500 || b.lines.iter().any(|l| l.summary.chars().count() > 500) {
        return Err(AppError::field("summary", "at most 500 characters"));
    }
    let parsed: Vec<(Money, Money)> = b.lines.iter().enumerate().map(|(i, l)| amounts(i, l)).collect::<AppResult<_>>()?;
    let shape_only: Vec<Line> = parsed.iter().map(|(d, c)| Line { code: String::new(), debit: *d, credit: *c }).collect();
    check_lines(&shape_only)?;
    let idem = idem(&req, &caller, &raw)?;
    let (rules, actor) = (state.rules.clone(), caller.actor());
    let debits: Vec<bool> = parsed.iter().map(|(d, _)| d.fen() > 0).collect();
    // Classified here, in parallel with other requests, when the project's chart is known: the
    // verdicts depend only on the kind and chart (both fixed at registration) and the voucher,
    // so they are what the locked project would give. They still count in their place among the
    // checks.
    let project_id = id.into_inner();
    let early = ledger::cached_chart(&project_id).map(|(kind, chart)| verdicts(&rules, kind, &chart, &b.summary, &b.lines, &debits));
    run_posting(&state, &caller, project_id, idem, "voucher.refused", raw, move |journal, l| {
        must_be_open(l, date)?;
        let v = match early {
            Some(v) => v?,
            None => verdicts(&rules, l.row.kind(), &l.chart, &b.summary, &b.lines, &debits)?,
        };
        if v.iter().flatten().any(|c| c.verdict == Verdict::Rejected) {
            return Err(AppError::new(Code::VoucherRejected, "the voucher contains prohibited spending; nothing was posted")
                .with("lines", verdict_list(&b.lines, &v)));
        }
        let mut lines = Vec::with_capacity(b.lines.len());
        for (i, (line, (d, c))) in b.lines.iter().zip(&parsed).enumerate() {
            // Every account resolves here: verdicts() refused unknown ones and rejected the rest.
            let code = chart::find(&l.chart, line.account.trim()).map(|a| a.code.clone()).unwrap_or_default();
            if !chart::expense_voucher_may_use(&code) {
                return Err(AppError::forbidden(format!("an expenditure voucher may not post to account {code}")).with("account", code));
            }
            lines.push(PostLine {
                line: Line { code, debit: *d, credit: *c },
                summary: line.summary.clone(),
                classification: v[i].as_ref().map(|c| json!(c)),
            });
        }
        check_expense_voucher(&lines.iter().map(|x| x.line.clone()).collect::<Vec<_>>())?;
        let p = Posting {
            kind: VoucherKind::Expense,
            date,
            summary: b.summary.clone(),
            attachments: b.attachments as i32,
            reference: None,
            reverses: None,
            lines,
        };
        let stored = if v.iter().flatten().any(|c| c.verdict == Verdict::Review) {
            ledger::hold(journal, l, &actor, &p)?
        } else {
            ledger::post(journal, l, &actor, &p)?
        };
        Ok((201, stored_json(&stored)))
    })
    .await
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    account: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

async fn list(state: State, caller: Caller, id: web::Path<String>, q: web::Query<ListQuery>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = super::Page { limit: q.limit, cursor: q.cursor.clone() };
    let limit = page.limit()?;
    let (from, to) = (super::opt_date("from", &q.from)?, super::opt_date("to", &q.to)?);
    let id = id.into_inner();
    let body = db(&state, move |conn| {
        visible(conn, &caller, &id)?;
        let mut query = vouchers::table.filter(vouchers::project_id.eq(&id)).filter(vouchers::id.gt(page.after())).into_boxed();
        if let Some(s) = q.status {
            query = query.filter(vouchers::status.eq(s));
        }
        if let Some(f) = from {
            query = query.filter(vouchers::date.ge(f.to_string()));
        }
        if let Some(t) = to {
            query = query.filter(vouchers::date.le(t.to_string()));
        }
        if let Some(a) = q.account {
            use crate::db::schema::voucher_lines;
            let with_account = voucher_lines::table
                .filter(voucher_lines::project_id.eq(id.clone()))
                .filter(voucher_lines::account_code.eq(a))
                .select(voucher_lines::voucher_id);
            query = query.filter(vouchers::id.eq_any(with_account));
        }
        let ids: Vec<String> = query.order(vouchers::id).limit(limit).select(vouchers::id).load(conn)?;
        let items = ids.iter().map(|vid| voucher_view(conn, &id, vid)).collect::<AppResult<Vec<_>>>()?;
        Ok(paged(items, limit, |v: &Value| v["id"].as_str().unwrap_or_default().to_string()))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn get(state: State, caller: Caller, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    let (id, vid) = path.into_inner();
    let body = db(&state, move |conn| {
        visible(conn, &caller, &id)?;
        voucher_view(conn, &id, &vid)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReverseIn {
    date: String,
    reason: String,
}

async fn reverse(
    state: State,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    caller.require(&[Role::Unit, Role::Finance])?;
    let raw = body.into_inner();
    let b: ReverseIn = shape(&raw)?;
    let date = super::parse_date("date", &b.date)?;
    if b.reason.trim().is_empty() {
        return Err(AppError::field("reason", "a reversal needs a reason"));
    }
    let (id, vid) = path.into_inner();
    let idem = idem(&req, &caller, &raw)?;
    let actor = caller.actor();
    // A unit corrects its own expense vouchers; finance may also reverse a disbursement.
    let kinds: &'static [VoucherKind] =
        if caller.role == Role::Finance { &[VoucherKind::Expense, VoucherKind::Disbursement] } else { &[VoucherKind::Expense] };
    run_money(&state, &caller, id, idem, "reversal.refused", raw, move |conn, l| {
        must_be_open(l, date)?;
        Ok((201, stored_json(&ledger::reverse(conn, l, &actor, &vid, date, b.reason.trim(), kinds)?)))
    })
    .await
}
