//! When money is spent: `period_end_rush` (a grant spent in a hurry before the period ends, when
//! what is left would otherwise be recovered) and `weekend_posting` (expenses dated on a Saturday
//! or Sunday, when a training unit rarely buys anything).
use super::config::{PeriodEndRush, WeekendPosting};
use super::{at_least_percent, naming, percent, Facts, Finding, ProjectBooks, Rule};
use crate::domain::money::Money;
use chrono::{Datelike, Days, NaiveDate, Weekday};

/// The first day of the period's last `weeks` weeks.
pub fn last_weeks_from(end: NaiveDate, weeks: i64) -> NaiveDate {
    end.checked_sub_days(Days::new((weeks * 7 - 1) as u64)).unwrap_or(NaiveDate::MIN)
}

/// The spending dated in the period's last weeks, when it is at least `min_amount` and at least
/// `min_share_percent` of all the project's spending.
pub fn period_end_rush(books: &ProjectBooks, t: &PeriodEndRush) -> Option<Finding> {
    let from = last_weeks_from(books.end, t.last_weeks);
    let total: Money = books.spending().map(|v| v.amount).sum();
    let late: Vec<_> = books.spending().filter(|v| v.date >= from && v.date <= books.end).collect();
    let late_sum: Money = late.iter().map(|v| v.amount).sum();
    let flagged = !late.is_empty() && late_sum >= t.min_amount && at_least_percent(late_sum.fen(), total.fen(), t.min_share_percent);
    let facts = Facts::PeriodEndRush { from, weeks: t.last_weeks, share_percent: percent(late_sum.fen(), total.fen()), total };
    flagged.then(|| naming(books, Rule::PeriodEndRush, t.severity, late, facts))
}

pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Expenses dated on a Saturday or Sunday (the weekday calendar; China's swapped working days
/// are not known to it), when there are at least `min_vouchers` of them.
pub fn weekend_posting(books: &ProjectBooks, t: &WeekendPosting) -> Option<Finding> {
    let weekend: Vec<_> = books.spending().filter(|v| is_weekend(v.date)).collect();
    (weekend.len() >= t.min_vouchers).then(|| naming(books, Rule::WeekendPosting, t.severity, weekend, Facts::WeekendPosting))
}
