//! Output acceptance (项目产出验收, POLICY.md §7, plan §8.1): when the city HR bureau may hold it,
//! which of the plan's figures each year of a project is checked against, and what each
//! conclusion does to the project.
use super::eligibility::FieldError;
use super::kind::ProjectKind;
use super::money::Money;
use super::reporting::{self, Targets};
use super::statement::{CategoryAmount, Statement};
use super::status::ProjectStatus;
use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An acceptance may be held from this many days before the period's end, so that it can be
/// scheduled while the last weeks run (issue 19).
pub const WINDOW_DAYS: u64 = 60;

/// What the panel concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AcceptanceConclusion)]
pub enum Conclusion {
    Passed,
    PassedWithConditions,
    Failed,
}

impl Conclusion {
    pub const ALL: [Conclusion; 3] = [Conclusion::Passed, Conclusion::PassedWithConditions, Conclusion::Failed];

    pub const fn as_str(self) -> &'static str {
        match self {
            Conclusion::Passed => "passed",
            Conclusion::PassedWithConditions => "passed_with_conditions",
            Conclusion::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Conclusion> {
        Conclusion::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// `passed` and `passed_with_conditions` both accept the outputs.
    pub fn is_pass(self) -> bool {
        self != Conclusion::Failed
    }

    /// The status the project takes once the record is made.
    pub fn status_after(self) -> ProjectStatus {
        if self.is_pass() {
            ProjectStatus::Completed
        } else {
            ProjectStatus::AcceptanceFailed
        }
    }
}

/// The first day an acceptance may be dated.
pub fn earliest_date(end: NaiveDate) -> NaiveDate {
    end.checked_sub_days(Days::new(WINDOW_DAYS)).unwrap_or(end)
}

/// An expert of the panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PanelMember {
    #[schema(example = "李明")]
    pub name: String,
    #[schema(example = "高级技师，市职业技能鉴定中心")]
    pub title: String,
}

/// A qualitative item the panel checked (premises, rules, a stable team, regular exchanges, a
/// complete training system ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    #[schema(example = "有固定场所")]
    pub item: String,
    pub met: bool,
    #[serde(default)]
    pub remark: String,
}

/// A year's measured figures: (trained_total, trained_advanced).
pub type YearFigures = (i32, i32);

/// Where a checked year's figures came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FigureSource {
    /// Measured by the panel (the request's `outputs`).
    Acceptance,
    /// The unit's annual report for that year.
    AnnualReport,
    /// No figure at all: the target counts as missed.
    None,
}

/// One project year's figures against the plan's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct YearCheck {
    pub year: i32,
    pub project_year: i32,
    pub target: Targets,
    pub trained_total: Option<i32>,
    pub trained_advanced: Option<i32>,
    pub source: FigureSource,
    pub met: bool,
}

/// A target missed, as `targets_not_met` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Missed {
    pub year: i32,
    /// `trained_total` or `trained_advanced`.
    pub target: &'static str,
    pub required: i32,
    /// Null when nothing was measured or reported for the year.
    pub measured: Option<i32>,
}

/// The panel's figures, checked: years of the period, counts from 0 to 1,000,000, advanced at
/// most the total, and each year given in both maps.
pub fn parse_outputs(
    total: &BTreeMap<String, i32>,
    advanced: &BTreeMap<String, i32>,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<BTreeMap<i32, YearFigures>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out = BTreeMap::new();
    let years = |m: &BTreeMap<String, i32>| m.keys().cloned().collect::<Vec<_>>();
    if years(total) != years(advanced) {
        errors.push(FieldError::new("outputs", "trained_total and trained_advanced must name the same years"));
    }
    for (key, &t) in total {
        let field = format!("outputs.trained_total.{key}");
        let Some(year) = key.parse::<i32>().ok().filter(|y| (start.year()..=end.year()).contains(y)) else {
            errors.push(FieldError::new(&field, format!("not a year of the period {start} to {end}")));
            continue;
        };
        let a = advanced.get(key).copied().unwrap_or(0);
        if !(0..=1_000_000).contains(&t) {
            errors.push(FieldError::new(&field, "0 to 1000000"));
        }
        if a < 0 || a > t.max(0) {
            errors.push(FieldError::new(&format!("outputs.trained_advanced.{key}"), "between 0 and trained_total"));
        }
        out.insert(year, (t, a));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The plan's targets for each calendar year of the period that has one (`reporting::targets`:
/// a studio's every year, a base's from its second), judged on the panel's figures or else the
/// annual report's. A year with no figure is judged once it has ended by the acceptance date
/// (then it counts as missed); a year still running without a figure is not judged yet.
pub fn check_targets(
    kind: ProjectKind,
    start: NaiveDate,
    end: NaiveDate,
    date: NaiveDate,
    measured: &BTreeMap<i32, YearFigures>,
    reported: &BTreeMap<i32, YearFigures>,
) -> Vec<YearCheck> {
    let mut out = Vec::new();
    for year in start.year()..=end.year() {
        let project_year = reporting::project_year(start, year);
        let Some(target) = reporting::targets(kind, project_year) else { continue };
        let (figures, source) = match (measured.get(&year), reported.get(&year)) {
            (Some(f), _) => (Some(*f), FigureSource::Acceptance),
            (None, Some(f)) => (Some(*f), FigureSource::AnnualReport),
            (None, None) => (None, FigureSource::None),
        };
        let ended = date.year() > year;
        if figures.is_none() && !ended {
            continue;
        }
        let met = figures.is_some_and(|(t, a)| reporting::meets(Some(target), t, a) == Some(true));
        out.push(YearCheck {
            year,
            project_year,
            target,
            trained_total: figures.map(|f| f.0),
            trained_advanced: figures.map(|f| f.1),
            source,
            met,
        });
    }
    out
}

/// Each target of the checked years that was not reached.
pub fn missed(checks: &[YearCheck]) -> Vec<Missed> {
    let mut out = Vec::new();
    for c in checks.iter().filter(|c| !c.met) {
        if c.trained_total.is_none_or(|t| t < c.target.trained_total) {
            out.push(Missed { year: c.year, target: "trained_total", required: c.target.trained_total, measured: c.trained_total });
        }
        if c.trained_advanced.is_none_or(|a| a < c.target.trained_advanced) {
            out.push(Missed {
                year: c.year,
                target: "trained_advanced",
                required: c.target.trained_advanced,
                measured: c.trained_advanced,
            });
        }
    }
    out
}

/// The final accounts (决算) as they stood when the record was made, with the audit chain's head
/// and a signed checkpoint of its tree at that moment, so the figures can be proven later.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FinalAccounts {
    pub grant: Money,
    pub disbursed: Money,
    pub implemented: Money,
    pub by_category: Vec<CategoryAmount>,
    /// implemented ÷ grant, four decimals.
    pub utilization: String,
    pub recoverable: Money,
    pub recovered: Money,
    pub owed_to_finance: Money,
    /// The hash of the chain's last event before this record's own.
    pub chain_head: String,
    /// The number of events that head closes.
    pub chain_size: u64,
    /// The chain's tree of `chain_size` events, signed (C2SP signed note; `/audit-key` verifies it).
    pub checkpoint: String,
}

impl FinalAccounts {
    pub fn of(s: &Statement, chain_head: String, chain_size: u64, checkpoint: String) -> FinalAccounts {
        FinalAccounts {
            grant: s.grant,
            disbursed: s.disbursed,
            implemented: s.implemented,
            by_category: s.by_category.clone(),
            utilization: s.utilization.clone(),
            recoverable: s.recoverable,
            recovered: s.recovered,
            owed_to_finance: s.owed_to_finance,
            chain_head,
            chain_size,
            checkpoint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn figures(pairs: &[(i32, i32, i32)]) -> BTreeMap<i32, YearFigures> {
        pairs.iter().map(|(y, t, a)| (*y, (*t, *a))).collect()
    }

    #[test]
    fn each_conclusion_reads_back_and_decides_the_status() {
        for c in Conclusion::ALL {
            assert_eq!(Conclusion::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        assert_eq!(Conclusion::PassedWithConditions.status_after(), ProjectStatus::Completed);
        assert_eq!(Conclusion::Failed.status_after(), ProjectStatus::AcceptanceFailed);
    }

    #[test]
    fn the_window_opens_sixty_days_before_the_end() {
        assert_eq!(earliest_date(d("2026-02-28")), d("2025-12-30"));
    }

    #[test]
    fn a_studio_is_checked_each_year_and_a_base_from_its_second() {
        let (start, end) = (d("2024-03-01"), d("2025-02-28"));
        let checks = check_targets(ProjectKind::Studio, start, end, d("2025-03-10"), &figures(&[(2024, 6, 3)]), &figures(&[(2025, 1, 0)]));
        assert_eq!(checks.len(), 2);
        assert_eq!((checks[0].source, checks[0].met), (FigureSource::Acceptance, true));
        assert_eq!((checks[1].source, checks[1].met), (FigureSource::AnnualReport, false));
        let names: Vec<_> = missed(&checks).iter().map(|m| (m.year, m.target)).collect();
        assert_eq!(names, [(2025, "trained_total"), (2025, "trained_advanced")]);

        let (start, end) = (d("2023-01-01"), d("2024-12-31"));
        let checks = check_targets(ProjectKind::Base, start, end, d("2025-01-10"), &BTreeMap::new(), &BTreeMap::new());
        assert_eq!(checks.iter().map(|c| c.year).collect::<Vec<_>>(), [2024], "the first year is judged by people");
        assert_eq!(missed(&checks)[0].measured, None);
    }

    #[test]
    fn a_running_year_without_figures_is_not_judged_yet() {
        let (start, end) = (d("2025-03-01"), d("2026-02-28"));
        let checks = check_targets(ProjectKind::Studio, start, end, d("2026-01-05"), &figures(&[(2025, 5, 3)]), &BTreeMap::new());
        assert_eq!(checks.len(), 1);
        assert!(missed(&checks).is_empty());
    }

    #[test]
    fn outputs_are_years_of_the_period_with_sane_counts() {
        let m = |pairs: &[(&str, i32)]| pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>();
        let (start, end) = (d("2024-03-01"), d("2025-02-28"));
        assert_eq!(parse_outputs(&m(&[("2024", 6)]), &m(&[("2024", 3)]), start, end).unwrap(), figures(&[(2024, 6, 3)]));
        assert!(parse_outputs(&m(&[("2023", 6)]), &m(&[("2023", 3)]), start, end).is_err());
        assert!(parse_outputs(&m(&[("2024", 2)]), &m(&[("2024", 3)]), start, end).is_err());
        assert!(parse_outputs(&m(&[("2024", 6)]), &m(&[]), start, end).is_err());
        assert!(parse_outputs(&m(&[("x", 6)]), &m(&[("x", 1)]), start, end).is_err());
    }

    proptest! {
        /// A target is named as missed exactly when a checked year is not met, and a year the
        /// panel measured is judged on its figures whatever the report says.
        #[test]
        fn missed_targets_are_the_years_not_met(t in 0i32..700, a in 0i32..200, rt in 0i32..700, ra in 0i32..200) {
            let a = a.min(t);
            let (start, end) = (d("2023-01-01"), d("2024-12-31"));
            let checks = check_targets(ProjectKind::Base, start, end, d("2025-01-05"), &figures(&[(2024, t, a)]), &figures(&[(2024, rt, ra)]));
            prop_assert_eq!(checks.len(), 1);
            prop_assert_eq!(checks[0].met, t >= 500 && a >= 100);
            prop_assert_eq!(missed(&checks).is_empty(), checks[0].met);
            prop_assert_eq!(checks[0].source, FigureSource::Acceptance);
        }
    }
}
