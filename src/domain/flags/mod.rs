//! Red flags for inspectors: patterns in a project's books that deserve a look. Each rule is a
//! pure function over a plain snapshot of one project's books (`ProjectBooks`), read by the store
//! in a few queries and judged on request; the thresholds come from `config/flags.toml`.
//!
//! A finding names its vouchers and an amount, and says in a sentence (Chinese or English) what
//! was seen. A flag is a pointer, not a verdict: every rule has innocent explanations.
pub mod config;
mod detail;
mod documents;
mod purchases;
mod standing;
#[cfg(test)]
mod tests;
mod timing;

use super::kind::{ProjectKind, VoucherKind};
use super::money::Money;
use super::status::{ProjectStatus, VoucherStatus};
use chrono::NaiveDate;
pub use config::{FlagsError, Thresholds};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    High,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::High];

    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The severity as people read it.
    pub const fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Severity::Info, Lang::Zh) => "提示",
            (Severity::Warning, Lang::Zh) => "关注",
            (Severity::High, Lang::Zh) => "高风险",
            (Severity::Info, Lang::En) => "Info",
            (Severity::Warning, Lang::En) => "Warning",
            (Severity::High, Lang::En) => "High",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    MissingDocuments,
    SplitPurchase,
    PeriodEndRush,
    RoundAmounts,
    WeekendPosting,
    HighReversalRate,
    IdleFunds,
    LateAnnualReport,
}

impl Rule {
    pub const ALL: [Rule; 8] = [
        Rule::MissingDocuments,
        Rule::SplitPurchase,
        Rule::PeriodEndRush,
        Rule::RoundAmounts,
        Rule::WeekendPosting,
        Rule::HighReversalRate,
        Rule::IdleFunds,
        Rule::LateAnnualReport,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::MissingDocuments => "missing_documents",
            Rule::SplitPurchase => "split_purchase",
            Rule::PeriodEndRush => "period_end_rush",
            Rule::RoundAmounts => "round_amounts",
            Rule::WeekendPosting => "weekend_posting",
            Rule::HighReversalRate => "high_reversal_rate",
            Rule::IdleFunds => "idle_funds",
            Rule::LateAnnualReport => "late_annual_report",
        }
    }

    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The rule as people read it.
    pub const fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Rule::MissingDocuments, Lang::Zh) => "原始凭证不足",
            (Rule::SplitPurchase, Lang::Zh) => "疑似拆分采购",
            (Rule::PeriodEndRush, Lang::Zh) => "期末突击支出",
            (Rule::RoundAmounts, Lang::Zh) => "整数金额集中",
            (Rule::WeekendPosting, Lang::Zh) => "周末记账",
            (Rule::HighReversalRate, Lang::Zh) => "冲销比例偏高",
            (Rule::IdleFunds, Lang::Zh) => "资金闲置",
            (Rule::LateAnnualReport, Lang::Zh) => "年度报告逾期",
            (Rule::MissingDocuments, Lang::En) => "Missing documents",
            (Rule::SplitPurchase, Lang::En) => "Split purchase",
            (Rule::PeriodEndRush, Lang::En) => "Period-end rush",
            (Rule::RoundAmounts, Lang::En) => "Round amounts",
            (Rule::WeekendPosting, Lang::En) => "Weekend posting",
            (Rule::HighReversalRate, Lang::En) => "High reversal rate",
            (Rule::IdleFunds, Lang::En) => "Idle funds",
            (Rule::LateAnnualReport, Lang::En) => "Late annual report",
        }
    }
}

/// One voucher as the rules see it.
#[derive(Debug, Clone)]
pub struct VoucherFacts {
    pub id: String,
    pub kind: VoucherKind,
    pub status: VoucherStatus,
    /// The accounting date.
    pub date: NaiveDate,
    /// The voucher's total (its debits).
    pub amount: Money,
    /// How many original documents back it: those uploaded or the count the unit declared
    /// (`attachments`, for originals kept on paper), whichever is more.
    pub documents: i64,
    /// What its lines pay each invoice seller they name, one entry per seller.
    pub sellers: Vec<SellerAmount>,
}

impl VoucherFacts {
    /// Spending in the books: a posted expense (not reversed, not awaiting review, not declined).
    pub fn is_spending(&self) -> bool {
        self.kind == VoucherKind::Expense && self.status == VoucherStatus::Posted
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerAmount {
    /// The seller's unified social credit code when the line gives one, else its name: the same
    /// seller under two spellings of its name is still one seller when the code is given.
    pub key: String,
    pub name: String,
    pub amount: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiledReport {
    pub year: i32,
    /// The local date it was filed.
    pub filed_on: NaiveDate,
}

/// A project's books as the rules read them.
#[derive(Debug, Clone)]
pub struct ProjectBooks {
    pub project_id: String,
    pub kind: ProjectKind,
    pub status: ProjectStatus,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub grant: Money,
    /// Spent to date, as the statement has it.
    pub implemented: Money,
    /// Every voucher of the project, in any status.
    pub vouchers: Vec<VoucherFacts>,
    pub reports: Vec<FiledReport>,
}

impl ProjectBooks {
    fn spending(&self) -> impl Iterator<Item = &VoucherFacts> {
        self.vouchers.iter().filter(|v| v.is_spending())
    }
}

/// What a rule saw, for the sentence that tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facts {
    MissingDocuments { min_documents: i64 },
    SplitPurchase { seller: String, first: NaiveDate, last: NaiveDate, threshold: Money },
    PeriodEndRush { from: NaiveDate, weeks: i64, share_percent: i64, total: Money },
    RoundAmounts { of: usize, round_to: Money },
    WeekendPosting,
    HighReversalRate { of: usize, rate_percent: i64 },
    IdleFunds { utilization_percent: i64, days_left: i64, end: NaiveDate },
    LateAnnualReport { year: i32, due: NaiveDate, filed_on: Option<NaiveDate> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    pub project_id: String,
    pub voucher_ids: Vec<String>,
    pub amount: Money,
    pub facts: Facts,
}

/// The language of a finding's sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Finding {
    pub fn detail(&self, lang: Lang) -> String {
        detail::sentence(self, lang)
    }
}

/// Every rule over one project's books on `today` (the local date), in rule order.
pub fn evaluate(books: &ProjectBooks, t: &Thresholds, today: NaiveDate) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(documents::missing_documents(books, &t.missing_documents));
    out.extend(purchases::split_purchase(books, &t.split_purchase));
    out.extend(timing::period_end_rush(books, &t.period_end_rush));
    out.extend(purchases::round_amounts(books, &t.round_amounts));
    out.extend(timing::weekend_posting(books, &t.weekend_posting));
    out.extend(standing::high_reversal_rate(books, &t.high_reversal_rate));
    out.extend(standing::idle_funds(books, &t.idle_funds, today));
    out.extend(standing::late_annual_report(books, &t.late_annual_report, today));
    out
}

/// A finding naming `vouchers`, their amounts added up.
fn naming<'a>(
    books: &ProjectBooks,
    rule: Rule,
    severity: Severity,
    vouchers: impl IntoIterator<Item = &'a VoucherFacts>,
    facts: Facts,
) -> Finding {
    let (ids, amount) = vouchers.into_iter().fold((Vec::new(), Money::ZERO), |(mut ids, sum), v| {
        ids.push(v.id.clone());
        (ids, sum + v.amount)
    });
    Finding { rule, severity, project_id: books.project_id.clone(), voucher_ids: ids, amount, facts }
}

/// `part` as a whole percentage of `whole` (rounded down); 0 of nothing.
fn percent(part: i64, whole: i64) -> i64 {
    if whole == 0 {
        return 0;
    }
    (i128::from(part) * 100 / i128::from(whole)) as i64
}

/// Whether `part` is at least `percent`% of `whole`, exactly (no rounding).
fn at_least_percent(part: i64, whole: i64, percent: i64) -> bool {
    i128::from(part) * 100 >= i128::from(whole) * i128::from(percent)
}
