//! Bulk import of expenditure vouchers from a file (`app::import_file` reads it). Rows sharing a
//! `voucher_ref` form one voucher, and each voucher goes through `vouchers::submit` in file order,
//! exactly as if submitted alone: the same checks in the same order, against the books as the
//! vouchers before it left them. All or nothing: one refused row refuses the whole file, listing
//! every refusal, and the caller's transaction is rolled back (`store::unit`).
use super::import_file::{Col, Row};
use super::vouchers::{self, EntryLine, SubmitVoucher};
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::domain::classify::Rules;
use crate::domain::invoice::Invoice;
use crate::domain::money::Money;
use crate::domain::status::VoucherStatus;
use crate::error::{AppError, AppResult, Code};
use crate::store::imports::{self, Staged};
use crate::store::journal::Journal;
use crate::store::ledger::Locked;
use chrono::NaiveDate;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The audit action of a refused import (one event, listing every refusal).
pub const REFUSED: &str = "import.refused";
/// How often a long import logs how far it has got.
const PROGRESS_EVERY: usize = 10_000;

pub struct Import {
    /// The file's SHA-256 (hex): the same file again gets the first answer.
    pub sha256: String,
    pub dry_run: bool,
    pub rows: Vec<Row>,
}

/// One row's (or one voucher's) refusal.
struct Refusal {
    row: usize,
    voucher_ref: String,
    error: AppError,
}

impl Refusal {
    /// The refusal with its error's members (the account, the invoice number, the available
    /// amount, a rejected voucher's `lines`, a field's `errors` …), so a reader can say more than
    /// the code. The error's `line` (within its voucher) is left out: `row` says where.
    fn json(&self) -> Value {
        let mut o = serde_json::Map::new();
        for (k, v) in self.error.extra.iter().filter(|(k, _)| k.as_str() != "line") {
            o.insert(k.clone(), v.clone());
        }
        o.insert("row".into(), json!(self.row));
        o.insert("voucher_ref".into(), json!(self.voucher_ref));
        o.insert("code".into(), json!(self.error.code));
        o.insert("detail".into(), json!(self.error.detail));
        Value::Object(o)
    }
}

/// A voucher of the file: its ref and rows, in file order.
struct Group<'r> {
    voucher_ref: &'r str,
    rows: Vec<&'r Row>,
}

/// Vouchers in the order their first row appears.
fn groups(rows: &[Row]) -> Vec<Group<'_>> {
    let mut at: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<Group<'_>> = Vec::new();
    for row in rows {
        let r = row.get(Col::VoucherRef);
        match at.get(r) {
            Some(&i) => groups[i].rows.push(row),
            None => {
                at.insert(r, groups.len());
                groups.push(Group { voucher_ref: r, rows: vec![row] });
            }
        }
    }
    groups
}

/// Imports the rows into the locked project. The answer: 201 with the counts (200 for a dry run,
/// which runs every check and writes nothing), or the answer this file got the first time.
pub fn import(conn: &mut DbConn, l: &mut Locked, actor: &Actor, rules: &Rules, cmd: Import) -> AppResult<(u16, Value)> {
    if !cmd.dry_run {
        if let Some(first) = imports::answer(conn, &l.row.id, &cmd.sha256)? {
            return Ok(first);
        }
    }
    let (book, next_no, days) = (l.book.clone(), l.row.next_voucher_no, l.days.clone());
    let groups = groups(&cmd.rows);
    let mut refusals: Vec<Refusal> = Vec::new();
    let (mut posted, mut pending, mut lines, mut total_debit) = (0usize, 0usize, 0usize, Money::ZERO);
    let mut journal = Staged::start(conn, &l.row.id, cmd.dry_run)?;
    let started = std::time::Instant::now();
    for (done, g) in groups.iter().enumerate() {
        if done > 0 && done % PROGRESS_EVERY == 0 {
            tracing::info!(project = %l.row.id, done, vouchers = groups.len(), refused = refusals.len(),
                elapsed_ms = started.elapsed().as_millis() as u64, "import in progress");
        }
        let cmd = match submission(g) {
            Ok(cmd) => cmd,
            Err(mut row_refusals) => {
                refusals.append(&mut row_refusals);
                continue;
            }
        };
        lines += g.rows.len();
        total_debit =
            total_debit.checked_add(cmd.debit_total()).ok_or_else(|| AppError::new(Code::InvalidAmount, "the file's debits overflow"))?;
        let (before, before_no) = (l.book.clone(), l.row.next_voucher_no);
        let outcome = vouchers::submit(&mut journal, l, actor, rules, cmd);
        match outcome {
            Ok(stored) if stored.voucher.status == VoucherStatus::PendingReview => pending += 1,
            Ok(_) => posted += 1,
            Err(error) => {
                // As if this voucher had not been sent: the next ones meet the books without it
                // (its days need no undoing: a refused import is rolled back whole).
                (l.book, l.row.next_voucher_no) = (before, before_no);
                let row = error.extra.get("line").and_then(Value::as_u64).and_then(|n| g.rows.get(n as usize - 1)).unwrap_or(&g.rows[0]);
                refusals.push(Refusal { row: row.number, voucher_ref: g.voucher_ref.to_string(), error });
                // A real run past its first refusal keeps nothing: it will be rolled back.
                journal.dry = true;
            }
        }
    }
    let counts = json!({"vouchers": groups.len(), "lines": lines, "posted": posted, "pending_review": pending,
        "total_debit": total_debit.to_string(), "sha256": cmd.sha256, "dry_run": cmd.dry_run});
    if !refusals.is_empty() {
        refusals.sort_by_key(|r| r.row);
        let listed: Vec<Value> = refusals.iter().map(Refusal::json).collect();
        return Err(AppError::new(
            Code::ImportRejected,
            format!("{} of the file's {} rows were refused; nothing was posted", refusals.len(), cmd.rows.len()),
        )
        .with("refused", refusals.len())
        .with("rows", cmd.rows.len())
        .with("sha256", cmd.sha256)
        .with("dry_run", cmd.dry_run)
        .with("refusals", listed));
    }
    tracing::info!(project = %l.row.id, vouchers = groups.len(), lines, posted, pending, dry_run = cmd.dry_run,
        elapsed_ms = started.elapsed().as_millis() as u64, "import checked");
    if cmd.dry_run {
        (l.book, l.row.next_voucher_no, l.days) = (book, next_no, days);
        return Ok((200, counts));
    }
    journal.append(&l.row.id, actor, "import.posted", &format!("project/{}", l.row.id), counts.clone())?;
    let conn = journal.flush()?;
    imports::keep(conn, &l.row.id, &cmd.sha256, actor, 201, &counts)?;
    Ok((201, counts))
}

/// A voucher's rows as a submission, or every row's refusal. The voucher's date, summary and
/// attachments are on its first row; a later row may repeat them but not differ.
fn submission(g: &Group<'_>) -> Result<SubmitVoucher, Vec<Refusal>> {
    let refuse = |row: &Row, error: AppError| Refusal { row: row.number, voucher_ref: g.voucher_ref.to_string(), error };
    let first = g.rows[0];
    let mut refusals = Vec::new();
    let head = (|| -> AppResult<(NaiveDate, String, u16)> {
        if g.voucher_ref.is_empty() {
            return Err(AppError::field("voucher_ref", "every row names its voucher"));
        }
        let date = date(first.get(Col::Date))?;
        let summary = text("summary", first.get(Col::Summary))?;
        let attachments = match first.get(Col::Attachments) {
            "" => 0,
            n => n.parse().map_err(|_| AppError::field("attachments", format!("'{n}' is not a count of attachments")))?,
        };
        Ok((date, summary, attachments))
    })();
    let head = match head {
        Ok(h) => Some(h),
        Err(e) => {
            refusals.push(refuse(first, e));
            None
        }
    };
    let mut entries = Vec::with_capacity(g.rows.len());
    for row in &g.rows {
        for (col, name) in [(Col::Date, "date"), (Col::Summary, "summary"), (Col::Attachments, "attachments")] {
            let (mine, voucher) = (row.get(col), first.get(col));
            // A date may be written either way on two rows of one voucher.
            let same = mine == voucher || matches!(col, Col::Date) && date(mine).ok().is_some_and(|d| date(voucher).ok() == Some(d));
            if !mine.is_empty() && !same {
                let differs = AppError::field(name, format!("differs from the voucher's first row ('{voucher}')"));
                refusals.push(refuse(row, differs.with("first_row", voucher)));
            }
        }
        match entry(row) {
            Ok(e) => entries.push(e),
            Err(e) => refusals.push(refuse(row, e)),
        }
    }
    let (date, summary, attachments) = match head {
        Some(h) if refusals.is_empty() => h,
        _ => return Err(refusals),
    };
    SubmitVoucher::new(date, summary, attachments, entries).map_err(|e| {
        let row = e.extra.get("line").and_then(Value::as_u64).and_then(|n| g.rows.get(n as usize - 1)).unwrap_or(&first);
        vec![refuse(row, e)]
    })
}

/// A row as a voucher line: exactly one of debit and credit, a money string; an invoice when the
/// row names one.
fn entry(row: &Row) -> AppResult<EntryLine> {
    let amount = |s: &str| Money::parse_positive(s).map_err(AppError::from);
    let (debit, credit) = match (row.get(Col::Debit), row.get(Col::Credit)) {
        (d, "") if !d.is_empty() => (amount(d)?, Money::ZERO),
        ("", c) if !c.is_empty() => (Money::ZERO, amount(c)?),
        _ => return Err(AppError::new(Code::InvalidLine, "a row has exactly one of debit or credit")),
    };
    let (number, seller, tax_id) = (row.get(Col::InvoiceNumber), row.get(Col::Seller), row.get(Col::SellerTaxId));
    let invoice = if [number, seller, tax_id].iter().all(|s| s.is_empty()) {
        None
    } else {
        Some(
            Invoice::parse(number, &text("seller", seller)?, tax_id)
                .map_err(|e| AppError::field(&format!("invoice.{}", e.field), e.message))?,
        )
    };
    Ok(EntryLine {
        account: text("account", row.get(Col::Account))?,
        debit,
        credit,
        summary: text("line_summary", row.get(Col::LineSummary))?,
        invoice,
    })
}

/// Text as the JSON route takes it: at most 500 characters, no NUL (PostgreSQL stores none).
fn text(field: &str, s: &str) -> AppResult<String> {
    if s.contains('\0') {
        return Err(AppError::field(field, "text may not contain NUL characters"));
    }
    if s.chars().count() > 500 {
        return Err(AppError::field(field, "at most 500 characters"));
    }
    Ok(s.to_string())
}

/// YYYY-MM-DD, or YYYY/M/D as Chinese Excel writes dates into a CSV; 2000 to 2099 as every date.
fn date(s: &str) -> AppResult<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"));
    let d = parsed.map_err(|_| AppError::field("date", format!("'{s}' is not a date YYYY-MM-DD")))?;
    let (first, last) = (NaiveDate::from_ymd_opt(2000, 1, 1), NaiveDate::from_ymd_opt(2099, 12, 31));
    if Some(d) < first || Some(d) > last {
        return Err(AppError::field("date", format!("{d} is outside 2000-01-01 to 2099-12-31")));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: usize, cells: [&str; 11]) -> Row {
        Row { number, cells: cells.map(str::to_string) }
    }

    #[test]
    fn rows_group_by_ref_in_order_of_first_appearance() {
        let rows = vec![
            row(2, ["B", "2025-03-04", "s", "materials", "1.00", "", "", "", "", "", ""]),
            row(3, ["A", "2025-03-04", "s", "materials", "1.00", "", "", "", "", "", ""]),
            row(4, ["B", "", "", "1002", "", "1.00", "", "", "", "", ""]),
        ];
        let g = groups(&rows);
        assert_eq!(g.iter().map(|g| g.voucher_ref).collect::<Vec<_>>(), ["B", "A"]);
        assert_eq!(g[0].rows.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 4]);
    }

    #[test]
    fn every_bad_row_of_a_voucher_is_refused_by_its_number() {
        let rows = vec![
            row(2, ["V", "2025-02-30", "s", "materials", "1.00", "", "", "", "", "", ""]),
            row(3, ["V", "", "", "1002", "1.00", "1.00", "", "", "", "", ""]),
            row(4, ["V", "2025-03-05", "", "1002", "", "1.001", "", "", "", "", ""]),
        ];
        let g = groups(&rows);
        let Err(refusals) = submission(&g[0]) else { panic!("refused") };
        let seen: Vec<(usize, &str)> = refusals.iter().map(|r| (r.row, r.error.code.as_str())).collect();
        assert!(seen.contains(&(2, "validation_failed")), "{seen:?}");
        assert!(seen.contains(&(3, "invalid_line")), "{seen:?}");
        assert!(seen.contains(&(4, "validation_failed")), "a differing date: {seen:?}");
        assert!(seen.contains(&(4, "invalid_amount")), "{seen:?}");
    }

    #[test]
    fn a_good_voucher_becomes_a_submission() {
        let rows = vec![
            row(2, ["V", "2025/3/4", "采购", "materials", "120.50", "", "焊丝", "04403210", "某公司", "91350100M000100Y43", "2"]),
            row(3, ["V", "2025-03-04", "", "1002", "", "120.50", "付款", "", "", "", ""]),
        ];
        let g = groups(&rows);
        let cmd = submission(&g[0]).ok().expect("accepted");
        assert_eq!(cmd.debit_total(), Money::from_fen(12050));
        assert_eq!(cmd.invoice_numbers(), ["04403210"]);
    }
}
