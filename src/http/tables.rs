//! The lists (projects, vouchers, reviews, users, organisations, annual reports) as CSV: each
//! column is a field of the item as its JSON answer has it, so the two cannot drift apart.
//!
//! A download is every item the filters match, unless the caller gives `limit` (then that page),
//! as the audit trail's downloads are; a spreadsheet has no next page to ask for.
use super::sheet::{Cell, Download, Lang, Table};
use super::Page;
use crate::domain::money::Money;
use crate::error::{AppError, AppResult};
use actix_web::HttpResponse;
use serde::Serialize;
use serde_json::Value;

/// A column: its header, the path of its field in the item's JSON (`leader.name`), and what the
/// field holds, so that a workbook writes amounts and counts as numbers.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub path: &'static str,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Money,
    Count,
}

pub const fn text(key: &'static str, path: &'static str) -> Column {
    Column { key, path, kind: Kind::Text }
}

pub const fn money(key: &'static str, path: &'static str) -> Column {
    Column { key, path, kind: Kind::Money }
}

pub const fn count(key: &'static str, path: &'static str) -> Column {
    Column { key, path, kind: Kind::Count }
}

pub const PROJECT: [Column; 14] = [
    text("id", "id"),
    text("kind", "kind"),
    text("name", "name"),
    text("org_id", "org_id"),
    text("start_date", "start_date"),
    text("end_date", "end_date"),
    text("fund_source", "fund_source"),
    text("specialties", "specialties"),
    text("leader_name", "leader.name"),
    text("leader_skill_level", "leader.skill_level"),
    text("leader_birth_date", "leader.birth_date"),
    money("grant", "grant"),
    text("status", "status"),
    text("created_at", "created_at"),
];

pub const VOUCHER: [Column; 17] = [
    text("id", "id"),
    text("project_id", "project_id"),
    count("number", "number"),
    text("status", "status"),
    text("kind", "kind"),
    text("date", "date"),
    text("summary", "summary"),
    count("attachments", "attachments"),
    text("reference", "reference"),
    money("total", "total"),
    money("reserved", "reserved"),
    text("created_by", "created_by"),
    text("created_at", "created_at"),
    text("reverses_id", "reverses_id"),
    text("reversed_by_id", "reversed_by_id"),
    text("decision", "decision.outcome"),
    text("decision_note", "decision.note"),
];

/// A voucher's lines, one row each after the voucher's own columns; the invoice a line pays last.
pub const LINE: [Column; 10] = [
    count("line_no", "line_no"),
    text("account", "account"),
    money("debit", "debit"),
    money("credit", "credit"),
    text("line_summary", "summary"),
    text("verdict", "classification.verdict"),
    text("category", "classification.category"),
    text("invoice_number", "invoice.number"),
    text("invoice_seller", "invoice.seller"),
    text("invoice_seller_tax_id", "invoice.seller_tax_id"),
];

pub const USER: [Column; 7] = [
    text("id", "id"),
    text("username", "username"),
    text("role", "role"),
    text("org_id", "org_id"),
    text("display_name", "display_name"),
    text("active", "active"),
    text("created_at", "created_at"),
];

pub const ORG: [Column; 5] =
    [text("id", "id"), text("name", "name"), text("kind", "kind"), text("region", "region"), text("created_at", "created_at")];

pub const REPORT: [Column; 12] = [
    text("id", "report.id"),
    text("project_id", "report.project_id"),
    count("year", "report.year"),
    text("summary", "report.summary"),
    text("next_year_plan", "report.next_year_plan"),
    count("trained_total", "report.trained_total"),
    count("trained_advanced", "report.trained_advanced"),
    text("filed_by", "report.filed_by"),
    text("filed_at", "report.filed_at"),
    text("targets", "targets"),
    text("meets_targets", "meets_targets"),
    text("late", "late"),
];

pub const ACCEPTANCE: [Column; 17] = [
    text("id", "id"),
    text("project_id", "project_id"),
    text("project_kind", "project_kind"),
    count("seq", "seq"),
    text("date", "date"),
    text("conclusion", "conclusion"),
    text("override_reason", "override_reason"),
    text("panel", "panel"),
    text("note", "note"),
    money("grant", "final_accounts.grant"),
    money("disbursed", "final_accounts.disbursed"),
    money("implemented", "final_accounts.implemented"),
    text("utilization", "final_accounts.utilization"),
    money("recoverable", "final_accounts.recoverable"),
    text("chain_head", "final_accounts.chain_head"),
    text("recorded_by", "recorded_by_name"),
    text("recorded_at", "recorded_at"),
];

pub const ARCHIVE: [Column; 8] = [
    text("id", "id"),
    text("project_id", "project_id"),
    text("kind", "kind"),
    text("date", "date"),
    text("title", "title"),
    text("text", "text"),
    text("added_by", "added_by"),
    text("added_at", "added_at"),
];

/// How many items a list answers: the page's limit, or every item for a download without one.
pub fn limit(page: &Page, download: bool) -> AppResult<i64> {
    if download && page.limit.is_none() {
        return Ok(i64::MAX);
    }
    page.limit()
}

/// One row per item, as CSV.
pub fn csv<T: Serialize>(name: &'static str, columns: &[Column], items: &[T]) -> AppResult<HttpResponse> {
    let rows = items.iter().map(|item| row(&json(item)?, columns)).collect::<AppResult<Vec<_>>>()?;
    Table::new(name, &keys(columns, &[]), rows).respond(Download::Csv, Lang::Zh)
}

/// One row per voucher line, the voucher's columns repeated on each (as the journal export has
/// it); a workbook adds the lines' debits and credits up under them.
pub fn by_line<T: Serialize>(
    name: &'static str,
    columns: &[Column],
    items: &[T],
    download: Download,
    lang: Lang,
) -> AppResult<HttpResponse> {
    let mut rows = Vec::new();
    for item in items {
        let item = json(item)?;
        let voucher = row(&item, columns)?;
        for line in item["lines"].as_array().into_iter().flatten() {
            rows.push(voucher.iter().cloned().chain(row(line, &LINE)?).collect());
        }
    }
    Table::new(name, &keys(columns, &LINE), rows).summing(&["debit", "credit"]).respond(download, lang)
}

fn json<T: Serialize>(item: &T) -> AppResult<Value> {
    serde_json::to_value(item).map_err(AppError::internal)
}

fn keys(columns: &[Column], more: &[Column]) -> Vec<&'static str> {
    columns.iter().chain(more).map(|c| c.key).collect()
}

fn row(item: &Value, columns: &[Column]) -> AppResult<Vec<Cell>> {
    columns.iter().map(|c| cell(c, c.path.split('.').fold(item, |v, key| &v[key]))).collect()
}

/// A field as a cell: null as blank, an amount or a count as a number, text as it is, a list of
/// texts joined with 、 (as a base's specialties are written), anything else as its JSON. An
/// amount that does not read back is the service's own fault, never a blank.
fn cell(column: &Column, v: &Value) -> AppResult<Cell> {
    let wrong = || AppError::internal(format!("column {} holds {v}", column.key));
    Ok(match (column.kind, v) {
        (_, Value::Null) => Cell::Blank,
        (Kind::Money, Value::String(s)) => Cell::Money(Money::parse_written(s).map_err(|_| wrong())?),
        (Kind::Count, Value::Number(n)) => Cell::Count(n.as_i64().ok_or_else(wrong)?),
        (Kind::Money | Kind::Count, _) => return Err(wrong()),
        (Kind::Text, Value::String(s)) => Cell::Text(s.clone()),
        (Kind::Text, Value::Array(items)) if items.iter().all(Value::is_string) => {
            Cell::Text(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("、"))
        }
        (Kind::Text, other) => Cell::Text(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_follow_the_json_answer() {
        let item = json!({"id": "p1", "leader": null, "specialties": ["数控加工", "焊接"], "grant": "500000.00", "n": 3, "t": {"a": 1}});
        let columns = [
            text("id", "id"),
            text("leader", "leader.name"),
            text("s", "specialties"),
            money("g", "grant"),
            count("n", "n"),
            text("t", "t"),
            text("x", "missing"),
        ];
        let cells: Vec<String> = row(&item, &columns).unwrap().iter().map(Cell::written).collect();
        assert_eq!(cells, ["p1", "", "数控加工、焊接", "500000.00", "3", r#"{"a":1}"#, ""]);
        assert_eq!(row(&item, &[money("g", "grant")]).unwrap(), [Cell::Money(Money::from_fen(50_000_000))]);
        assert!(row(&item, &[money("id", "id")]).is_err(), "an id is no amount");
    }
}
