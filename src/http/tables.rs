//! The lists (projects, vouchers, reviews, users, organisations, annual reports) as CSV: each
//! column is a field of the item as its JSON answer has it, so the two cannot drift apart.
//!
//! A download is every item the filters match, unless the caller gives `limit` (then that page),
//! as the audit trail's downloads are; a spreadsheet has no next page to ask for.
use super::{csv_response, Page};
use crate::error::{AppError, AppResult};
use actix_web::HttpResponse;
use serde::Serialize;
use serde_json::Value;

/// A column: its header, and the path of its field in the item's JSON (`leader.name`).
pub type Column = (&'static str, &'static str);

pub const PROJECT: [Column; 14] = [
    ("id", "id"),
    ("kind", "kind"),
    ("name", "name"),
    ("org_id", "org_id"),
    ("start_date", "start_date"),
    ("end_date", "end_date"),
    ("fund_source", "fund_source"),
    ("specialties", "specialties"),
    ("leader_name", "leader.name"),
    ("leader_skill_level", "leader.skill_level"),
    ("leader_birth_date", "leader.birth_date"),
    ("grant", "grant"),
    ("status", "status"),
    ("created_at", "created_at"),
];

pub const VOUCHER: [Column; 17] = [
    ("id", "id"),
    ("project_id", "project_id"),
    ("number", "number"),
    ("status", "status"),
    ("kind", "kind"),
    ("date", "date"),
    ("summary", "summary"),
    ("attachments", "attachments"),
    ("reference", "reference"),
    ("total", "total"),
    ("reserved", "reserved"),
    ("created_by", "created_by"),
    ("created_at", "created_at"),
    ("reverses_id", "reverses_id"),
    ("reversed_by_id", "reversed_by_id"),
    ("decision", "decision.outcome"),
    ("decision_note", "decision.note"),
];

/// A voucher's lines, one row each after the voucher's own columns.
pub const LINE: [Column; 7] = [
    ("line_no", "line_no"),
    ("account", "account"),
    ("debit", "debit"),
    ("credit", "credit"),
    ("line_summary", "summary"),
    ("verdict", "classification.verdict"),
    ("category", "classification.category"),
];

pub const USER: [Column; 7] = [
    ("id", "id"),
    ("username", "username"),
    ("role", "role"),
    ("org_id", "org_id"),
    ("display_name", "display_name"),
    ("active", "active"),
    ("created_at", "created_at"),
];

pub const ORG: [Column; 5] = [("id", "id"), ("name", "name"), ("kind", "kind"), ("region", "region"), ("created_at", "created_at")];

pub const REPORT: [Column; 12] = [
    ("id", "report.id"),
    ("project_id", "report.project_id"),
    ("year", "report.year"),
    ("summary", "report.summary"),
    ("next_year_plan", "report.next_year_plan"),
    ("trained_total", "report.trained_total"),
    ("trained_advanced", "report.trained_advanced"),
    ("filed_by", "report.filed_by"),
    ("filed_at", "report.filed_at"),
    ("targets", "targets"),
    ("meets_targets", "meets_targets"),
    ("late", "late"),
];

/// How many items a list answers: the page's limit, or every item for a download without one.
pub fn limit(page: &Page, csv: bool) -> AppResult<i64> {
    if csv && page.limit.is_none() {
        return Ok(i64::MAX);
    }
    page.limit()
}

/// One row per item.
pub fn csv<T: Serialize>(filename: &str, columns: &[Column], items: &[T]) -> AppResult<HttpResponse> {
    let rows = items.iter().map(|item| Ok(row(&json(item)?, columns))).collect::<AppResult<Vec<_>>>()?;
    csv_response(filename, &headers(columns, &[]), rows)
}

/// One row per voucher line, the voucher's columns repeated on each (as the journal export has it).
pub fn csv_by_line<T: Serialize>(filename: &str, columns: &[Column], items: &[T]) -> AppResult<HttpResponse> {
    let mut rows = Vec::new();
    for item in items {
        let item = json(item)?;
        let voucher = row(&item, columns);
        for line in item["lines"].as_array().into_iter().flatten() {
            rows.push(voucher.iter().cloned().chain(row(line, &LINE)).collect());
        }
    }
    csv_response(filename, &headers(columns, &LINE), rows)
}

fn json<T: Serialize>(item: &T) -> AppResult<Value> {
    serde_json::to_value(item).map_err(AppError::internal)
}

fn headers<'a>(columns: &'a [Column], more: &'a [Column]) -> Vec<&'a str> {
    columns.iter().chain(more).map(|(header, _)| *header).collect()
}

fn row(item: &Value, columns: &[Column]) -> Vec<String> {
    columns.iter().map(|(_, path)| text(path.split('.').fold(item, |v, key| &v[key]))).collect()
}

/// A field as a cell: text as it is, null as empty, a list of texts joined with 、 (as a
/// base's specialties are written), anything else as its JSON.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("、"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_follow_the_json_answer() {
        let item = json!({"id": "p1", "leader": null, "specialties": ["数控加工", "焊接"], "grant": "500000.00", "n": 3, "t": {"a": 1}});
        let columns =
            [("id", "id"), ("leader", "leader.name"), ("s", "specialties"), ("g", "grant"), ("n", "n"), ("t", "t"), ("x", "missing")];
        assert_eq!(row(&item, &columns), ["p1", "", "数控加工、焊接", "500000.00", "3", r#"{"a":1}"#, ""]);
    }
}
