//! Yearly reports and the outputs the plan expects of each kind of project (POLICY.md §7, §8.3).
use super::eligibility::FieldError;
use super::kind::ProjectKind;
use super::status::ProjectStatus;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Targets {
    /// People trained in the year (person-times for a base, young backbone for a studio).
    pub trained_total: i32,
    /// Of them, at advanced-worker level or above.
    pub trained_advanced: i32,
}

/// The 1-based project year a calendar year falls in, counted from the start date's year.
pub fn project_year(start: NaiveDate, year: i32) -> i32 {
    year - start.year() + 1
}

/// What the report of a project year must show: a studio trains ≥5 young backbone a year, ≥3 of
/// them advanced; a base reaches ≥500 person-times, ≥100 advanced, from its second year (its first
/// year's output is a complete training system, which is judged by people, not by a number).
pub fn targets(kind: ProjectKind, project_year: i32) -> Option<Targets> {
    match kind {
        ProjectKind::Studio => Some(Targets { trained_total: 5, trained_advanced: 3 }),
        ProjectKind::Base if project_year >= 2 => Some(Targets { trained_total: 500, trained_advanced: 100 }),
        ProjectKind::Base => None,
    }
}

pub fn meets(t: Option<Targets>, trained_total: i32, trained_advanced: i32) -> Option<bool> {
    t.map(|t| trained_total >= t.trained_total && trained_advanced >= t.trained_advanced)
}

/// Reports are due by the end of December of their year.
pub fn is_late(year: i32, filed_on: NaiveDate) -> bool {
    filed_on > NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// The years whose report is overdue on `today` (the local date): each calendar year of the period
/// that a report may be filed for (see `check`) and that ended without one.
pub fn overdue_years(start: NaiveDate, end: NaiveDate, today: NaiveDate, filed: &[i32]) -> Vec<i32> {
    (start.year()..=end.year().min(today.year() - 1)).filter(|y| !filed.contains(y)).collect()
}

/// Whether a project in this status is still asked for its reports: a cancelled project's unit
/// is dissolved and a closed one's books are closed, so nobody is chased for them.
pub fn reports_owed(status: ProjectStatus) -> bool {
    matches!(status, ProjectStatus::Active | ProjectStatus::Suspended | ProjectStatus::Completed)
}

/// A report can be filed for a year of the project that has begun (`today` is the local date).
pub fn check(year: i32, start: NaiveDate, end: NaiveDate, today: NaiveDate, trained_total: i32, trained_advanced: i32) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if year < start.year() || year > end.year() {
        errors.push(FieldError::new("year", format!("the project runs from {start} to {end}")));
    } else if year > today.year() {
        errors.push(FieldError::new("year", format!("{year} has not begun")));
    }
    if trained_total < 0 {
        errors.push(FieldError::new("trained_total", "cannot be negative"));
    }
    if trained_advanced < 0 || trained_advanced > trained_total.max(0) {
        errors.push(FieldError::new("trained_advanced", "between 0 and trained_total"));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn targets_by_kind_and_year() {
        assert_eq!(targets(ProjectKind::Base, project_year(d("2025-03-01"), 2025)), None);
        assert_eq!(targets(ProjectKind::Base, 2).unwrap().trained_total, 500);
        assert_eq!(meets(targets(ProjectKind::Studio, 1), 5, 3), Some(true));
        assert_eq!(meets(targets(ProjectKind::Studio, 1), 6, 2), Some(false));
    }

    #[test]
    fn overdue_years_are_ended_years_of_the_period_without_a_report() {
        let (start, end) = (d("2025-03-01"), d("2027-02-28"));
        assert_eq!(overdue_years(start, end, d("2025-12-31"), &[]), Vec::<i32>::new(), "due on the last day, not yet late");
        assert_eq!(overdue_years(start, end, d("2026-01-01"), &[]), vec![2025]);
        assert_eq!(overdue_years(start, end, d("2027-06-01"), &[2025]), vec![2026]);
        assert_eq!(overdue_years(start, end, d("2030-01-01"), &[2025, 2026]), vec![2027], "the short last year too");
        assert!(reports_owed(ProjectStatus::Suspended) && !reports_owed(ProjectStatus::Cancelled));
    }

    #[test]
    fn lateness_and_checks() {
        assert!(!is_late(2025, d("2025-12-31")));
        assert!(is_late(2025, d("2026-01-01")));
        let today = d("2026-11-25");
        assert!(check(2025, d("2025-03-01"), d("2027-02-28"), today, 10, 3).is_empty());
        assert!(check(2026, d("2025-03-01"), d("2027-02-28"), today, 10, 3).is_empty(), "the current year, before its end");
        assert_eq!(check(2027, d("2025-03-01"), d("2027-02-28"), today, 10, 3)[0].field, "year", "a year not begun");
        assert_eq!(check(2028, d("2025-03-01"), d("2027-02-28"), today, 10, 11).len(), 2);
        assert_eq!(check(2025, d("2025-03-01"), d("2027-02-28"), today, -1, 0).len(), 1);
    }
}
