//! The thresholds of the red-flag rules (`config/flags.toml`), read once at start and checked:
//! a mistake stops the start with a message naming the key, so an amendment cannot silently
//! switch a rule off. Shares are whole percentages and amounts are written as money strings, so
//! no threshold passes through a float.
use super::Severity;
use crate::domain::money::Money;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FlagsError {
    #[error("cannot read red-flag thresholds {path}: {source}", path = .0.display(), source = .1)]
    Io(PathBuf, #[source] std::io::Error),
    #[error("red-flag thresholds are not valid: {0}")]
    Parse(String),
    #[error("red-flag thresholds are invalid: {origin}: {key} {problem}")]
    Invalid { origin: String, key: String, problem: String },
}

/// Every rule's thresholds, as checked.
#[derive(Debug, Clone)]
pub struct Thresholds {
    pub missing_documents: MissingDocuments,
    pub split_purchase: SplitPurchase,
    pub period_end_rush: PeriodEndRush,
    pub round_amounts: RoundAmounts,
    pub weekend_posting: WeekendPosting,
    pub high_reversal_rate: HighReversalRate,
    pub idle_funds: IdleFunds,
    pub late_annual_report: LateAnnualReport,
}

#[derive(Debug, Clone)]
pub struct MissingDocuments {
    pub severity: Severity,
    /// An expense voucher declaring fewer original documents than this is flagged.
    pub min_documents: i64,
}

#[derive(Debug, Clone)]
pub struct SplitPurchase {
    pub severity: Severity,
    /// Each voucher's amount to one seller is under it, and together they are over it.
    pub threshold: Money,
    /// The first and the last voucher of a group are at most this many days apart.
    pub window_days: i64,
    pub min_vouchers: usize,
}

#[derive(Debug, Clone)]
pub struct PeriodEndRush {
    pub severity: Severity,
    /// The period's last weeks.
    pub last_weeks: i64,
    /// The share of all the spending that falls in them, from which a project is flagged.
    pub min_share_percent: i64,
    /// Below this spending in the last weeks nothing is flagged, whatever the share.
    pub min_amount: Money,
}

#[derive(Debug, Clone)]
pub struct RoundAmounts {
    pub severity: Severity,
    /// An amount that is a whole multiple of this is round.
    pub round_to: Money,
    pub min_vouchers: usize,
    pub min_share_percent: i64,
}

#[derive(Debug, Clone)]
pub struct WeekendPosting {
    pub severity: Severity,
    pub min_vouchers: usize,
}

#[derive(Debug, Clone)]
pub struct HighReversalRate {
    pub severity: Severity,
    /// Fewer expense vouchers than this say nothing about a rate.
    pub min_vouchers: usize,
    pub min_rate_percent: i64,
}

#[derive(Debug, Clone)]
pub struct IdleFunds {
    pub severity: Severity,
    pub days_left: i64,
    pub max_utilization_percent: i64,
}

#[derive(Debug, Clone)]
pub struct LateAnnualReport {
    /// A report not filed after its year ended.
    pub severity: Severity,
    /// A report filed after its year ended.
    pub filed_late_severity: Severity,
}

// The file's shape; an unknown key is refused by name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    missing_documents: RawMissing,
    split_purchase: RawSplit,
    period_end_rush: RawRush,
    round_amounts: RawRound,
    weekend_posting: RawWeekend,
    high_reversal_rate: RawReversal,
    idle_funds: RawIdle,
    late_annual_report: RawLate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMissing {
    severity: String,
    min_documents: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSplit {
    severity: String,
    threshold: String,
    window_days: i64,
    min_vouchers: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRush {
    severity: String,
    last_weeks: i64,
    min_share_percent: i64,
    min_amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRound {
    severity: String,
    round_to: String,
    min_vouchers: i64,
    min_share_percent: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeekend {
    severity: String,
    min_vouchers: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReversal {
    severity: String,
    min_vouchers: i64,
    min_rate_percent: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdle {
    severity: String,
    days_left: i64,
    max_utilization_percent: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLate {
    severity: String,
    filed_late_severity: String,
}

/// Checks one key at a time, naming it in the error.
struct Check<'a> {
    origin: &'a str,
}

impl Check<'_> {
    fn fail(&self, key: &str, problem: impl Into<String>) -> FlagsError {
        FlagsError::Invalid { origin: self.origin.to_string(), key: key.to_string(), problem: problem.into() }
    }
    fn severity(&self, key: &str, text: &str) -> Result<Severity, FlagsError> {
        Severity::parse(text).ok_or_else(|| self.fail(key, format!("'{text}' is not info, warning or high")))
    }
    fn amount(&self, key: &str, text: &str) -> Result<Money, FlagsError> {
        Money::parse_positive(text).map_err(|e| self.fail(key, format!("'{text}': {e}")))
    }
    fn within(&self, key: &str, value: i64, low: i64, high: i64) -> Result<i64, FlagsError> {
        if !(low..=high).contains(&value) {
            return Err(self.fail(key, format!("{value} is not within {low} to {high}")));
        }
        Ok(value)
    }
    fn count(&self, key: &str, value: i64, low: i64) -> Result<usize, FlagsError> {
        Ok(self.within(key, value, low, 100_000)? as usize)
    }
}

impl Thresholds {
    pub fn from_toml_str(text: &str) -> Result<Thresholds, FlagsError> {
        Self::parse(text, "<flags text>")
    }

    pub fn load(path: &Path) -> Result<Thresholds, FlagsError> {
        let text = std::fs::read_to_string(path).map_err(|e| FlagsError::Io(path.to_path_buf(), e))?;
        Self::parse(&text, &path.display().to_string())
    }

    fn parse(text: &str, origin: &str) -> Result<Thresholds, FlagsError> {
        let raw: Raw = toml::from_str(text).map_err(|e| FlagsError::Parse(format!("{origin}: {e}")))?;
        let c = Check { origin };
        let r = raw.missing_documents;
        let missing_documents = MissingDocuments {
            severity: c.severity("missing_documents.severity", &r.severity)?,
            min_documents: c.within("missing_documents.min_documents", r.min_documents, 1, 1000)?,
        };
        let r = raw.split_purchase;
        let split_purchase = SplitPurchase {
            severity: c.severity("split_purchase.severity", &r.severity)?,
            threshold: c.amount("split_purchase.threshold", &r.threshold)?,
            window_days: c.within("split_purchase.window_days", r.window_days, 1, 366)?,
            min_vouchers: c.count("split_purchase.min_vouchers", r.min_vouchers, 2)?,
        };
        let r = raw.period_end_rush;
        let period_end_rush = PeriodEndRush {
            severity: c.severity("period_end_rush.severity", &r.severity)?,
            last_weeks: c.within("period_end_rush.last_weeks", r.last_weeks, 1, 52)?,
            min_share_percent: c.within("period_end_rush.min_share_percent", r.min_share_percent, 1, 100)?,
            min_amount: c.amount("period_end_rush.min_amount", &r.min_amount)?,
        };
        let r = raw.round_amounts;
        let round_amounts = RoundAmounts {
            severity: c.severity("round_amounts.severity", &r.severity)?,
            round_to: c.amount("round_amounts.round_to", &r.round_to)?,
            min_vouchers: c.count("round_amounts.min_vouchers", r.min_vouchers, 1)?,
            min_share_percent: c.within("round_amounts.min_share_percent", r.min_share_percent, 0, 100)?,
        };
        let r = raw.weekend_posting;
        let weekend_posting = WeekendPosting {
            severity: c.severity("weekend_posting.severity", &r.severity)?,
            min_vouchers: c.count("weekend_posting.min_vouchers", r.min_vouchers, 1)?,
        };
        let r = raw.high_reversal_rate;
        let high_reversal_rate = HighReversalRate {
            severity: c.severity("high_reversal_rate.severity", &r.severity)?,
            min_vouchers: c.count("high_reversal_rate.min_vouchers", r.min_vouchers, 1)?,
            min_rate_percent: c.within("high_reversal_rate.min_rate_percent", r.min_rate_percent, 1, 100)?,
        };
        let r = raw.idle_funds;
        let idle_funds = IdleFunds {
            severity: c.severity("idle_funds.severity", &r.severity)?,
            days_left: c.within("idle_funds.days_left", r.days_left, 0, 3660)?,
            max_utilization_percent: c.within("idle_funds.max_utilization_percent", r.max_utilization_percent, 1, 100)?,
        };
        let r = raw.late_annual_report;
        let late_annual_report = LateAnnualReport {
            severity: c.severity("late_annual_report.severity", &r.severity)?,
            filed_late_severity: c.severity("late_annual_report.filed_late_severity", &r.filed_late_severity)?,
        };
        Ok(Thresholds {
            missing_documents,
            split_purchase,
            period_end_rush,
            round_amounts,
            weekend_posting,
            high_reversal_rate,
            idle_funds,
            late_annual_report,
        })
    }
}
