//! The project as a whole: `high_reversal_rate` (books corrected again and again),
//! `idle_funds` (a grant mostly unspent with little time left) and `late_annual_report`.
use super::config::{HighReversalRate, IdleFunds, LateAnnualReport};
use super::{at_least_percent, naming, percent, Facts, Finding, ProjectBooks, Rule};
use crate::domain::kind::VoucherKind;
use crate::domain::reporting;
use crate::domain::status::{ProjectStatus, VoucherStatus};
use chrono::NaiveDate;

/// Of the expenses that entered the books (posted, or posted and later reversed), the reversed
/// ones, when they are at least `min_rate_percent` and there are at least `min_vouchers`
/// expenses to judge by.
pub fn high_reversal_rate(books: &ProjectBooks, t: &HighReversalRate) -> Option<Finding> {
    let entered: Vec<_> = books
        .vouchers
        .iter()
        .filter(|v| v.kind == VoucherKind::Expense && matches!(v.status, VoucherStatus::Posted | VoucherStatus::Reversed))
        .collect();
    let reversed: Vec<_> = entered.iter().copied().filter(|v| v.status == VoucherStatus::Reversed).collect();
    let (n, of) = (reversed.len() as i64, entered.len() as i64);
    let flagged = entered.len() >= t.min_vouchers && n > 0 && at_least_percent(n, of, t.min_rate_percent);
    let facts = Facts::HighReversalRate { of: entered.len(), rate_percent: percent(n, of) };
    flagged.then(|| naming(books, Rule::HighReversalRate, t.severity, reversed, facts))
}

/// An underway project (active or suspended) whose period ends within `days_left` days, or has
/// ended, with less than `max_utilization_percent` of its grant spent. The amount is what is
/// left unspent.
pub fn idle_funds(books: &ProjectBooks, t: &IdleFunds, today: NaiveDate) -> Option<Finding> {
    if !matches!(books.status, ProjectStatus::Active | ProjectStatus::Suspended) {
        return None;
    }
    let days_left = (books.end - today).num_days();
    let low = !at_least_percent(books.implemented.fen(), books.grant.fen(), t.max_utilization_percent);
    (days_left <= t.days_left && low).then(|| Finding {
        rule: Rule::IdleFunds,
        severity: t.severity,
        project_id: books.project_id.clone(),
        voucher_ids: Vec::new(),
        amount: books.grant - books.implemented,
        facts: Facts::IdleFunds { utilization_percent: percent(books.implemented.fen(), books.grant.fen()), days_left, end: books.end },
    })
}

/// Each year of the period whose report is overdue on `today` (none filed, the year over), and
/// each report filed after its year ended (`reporting`: due by 31 December of its year).
/// Projects no longer asked for reports (cancelled, closed) are not flagged.
pub fn late_annual_report(books: &ProjectBooks, t: &LateAnnualReport, today: NaiveDate) -> Vec<Finding> {
    if !reporting::reports_owed(books.status) {
        return Vec::new();
    }
    let filed: Vec<i32> = books.reports.iter().map(|r| r.year).collect();
    let missing = reporting::overdue_years(books.start, books.end, today, &filed).into_iter().map(|year| (year, None, t.severity));
    let late =
        books.reports.iter().filter(|r| reporting::is_late(r.year, r.filed_on)).map(|r| (r.year, Some(r.filed_on), t.filed_late_severity));
    let mut all: Vec<_> = missing.chain(late).collect();
    all.sort_by_key(|(year, _, _)| *year);
    all.into_iter()
        .map(|(year, filed_on, severity)| {
            let due = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
            naming(books, Rule::LateAnnualReport, severity, [], Facts::LateAnnualReport { year, due, filed_on })
        })
        .collect()
}
