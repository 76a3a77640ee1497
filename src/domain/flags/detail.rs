//! The sentence that tells an inspector what a finding saw, in Chinese or English.
use super::{Facts, Finding, Lang};
use crate::domain::money::Money;

pub fn sentence(f: &Finding, lang: Lang) -> String {
    let n = f.voucher_ids.len();
    let amount = yuan(f.amount);
    match (&f.facts, lang) {
        (Facts::MissingDocuments { min_documents }, Lang::Zh) => {
            format!("{n} 张支出凭证所附原始凭证少于 {min_documents} 张，合计 {amount} 元，请核对发票、收据等原始单据。")
        }
        (Facts::MissingDocuments { min_documents }, Lang::En) => format!(
            "{n} expense voucher(s) totalling {amount} yuan carry fewer than {min_documents} original document(s); check the invoices and receipts."
        ),
        (Facts::SplitPurchase { seller, first, last, threshold }, Lang::Zh) => format!(
            "{first} 至 {last} 向同一销售方“{seller}”付款 {n} 笔，每笔均低于 {} 元，合计 {amount} 元，可能是拆分采购以规避询价或招标。",
            yuan(*threshold)
        ),
        (Facts::SplitPurchase { seller, first, last, threshold }, Lang::En) => format!(
            "{n} payments to the same seller \"{seller}\" between {first} and {last}, each under {} yuan, together {amount} yuan: possibly one purchase split to avoid a quotation or tender.",
            yuan(*threshold)
        ),
        (Facts::PeriodEndRush { from, weeks, share_percent, total }, Lang::Zh) => format!(
            "实施期最后 {weeks} 周（{from} 起）支出 {amount} 元，占全部支出 {} 元的 {share_percent}%，存在期末突击花钱的迹象。",
            yuan(*total)
        ),
        (Facts::PeriodEndRush { from, weeks, share_percent, total }, Lang::En) => format!(
            "{amount} yuan was spent in the period's last {weeks} weeks (from {from}), {share_percent}% of all spending ({} yuan): a rush to spend before the period ends.",
            yuan(*total)
        ),
        (Facts::RoundAmounts { of, round_to }, Lang::Zh) => format!(
            "{of} 张支出凭证中有 {n} 张金额为 {} 元的整数倍，合计 {amount} 元；真实发票金额很少恰好是整数，请核对。",
            yuan(*round_to)
        ),
        (Facts::RoundAmounts { of, round_to }, Lang::En) => format!(
            "{n} of {of} expense vouchers are whole multiples of {} yuan, together {amount} yuan; real invoices seldom come to round sums.",
            yuan(*round_to)
        ),
        (Facts::WeekendPosting, Lang::Zh) => format!("{n} 张支出凭证的记账日期为周六或周日，合计 {amount} 元，请核实业务是否真实发生。"),
        (Facts::WeekendPosting, Lang::En) => {
            format!("{n} expense voucher(s) totalling {amount} yuan are dated on a Saturday or Sunday; check that the purchases took place.")
        }
        (Facts::HighReversalRate { of, rate_percent }, Lang::Zh) => {
            format!("{of} 张支出凭证中有 {n} 张被红字冲销（{rate_percent}%），合计 {amount} 元，账务更正过于频繁。")
        }
        (Facts::HighReversalRate { of, rate_percent }, Lang::En) => format!(
            "{n} of {of} expense vouchers were reversed ({rate_percent}%), together {amount} yuan: the books are corrected unusually often."
        ),
        (Facts::IdleFunds { utilization_percent, days_left, end }, Lang::Zh) if *days_left < 0 => format!(
            "实施期已于 {end} 结束，资金执行率仅 {utilization_percent}%，尚有 {amount} 元未使用。"
        ),
        (Facts::IdleFunds { utilization_percent, days_left, end }, Lang::Zh) => format!(
            "距实施期结束（{end}）仅剩 {days_left} 天，资金执行率仅 {utilization_percent}%，尚有 {amount} 元未使用。"
        ),
        (Facts::IdleFunds { utilization_percent, days_left, end }, Lang::En) if *days_left < 0 => format!(
            "The period ended on {end} with only {utilization_percent}% of the grant spent; {amount} yuan is unused."
        ),
        (Facts::IdleFunds { utilization_percent, days_left, end }, Lang::En) => format!(
            "{days_left} day(s) are left before the period ends ({end}) and only {utilization_percent}% of the grant is spent; {amount} yuan is unused."
        ),
        (Facts::LateAnnualReport { year, due, filed_on: None }, Lang::Zh) => {
            format!("{year} 年度报告应于 {due} 前报送，至今未报送。")
        }
        (Facts::LateAnnualReport { year, due, filed_on: Some(on) }, Lang::Zh) => {
            format!("{year} 年度报告应于 {due} 前报送，实际于 {on} 报送，逾期。")
        }
        (Facts::LateAnnualReport { year, due, filed_on: None }, Lang::En) => {
            format!("The annual report for {year} was due by {due} and has not been filed.")
        }
        (Facts::LateAnnualReport { year, due, filed_on: Some(on) }, Lang::En) => {
            format!("The annual report for {year} was due by {due} and was filed late, on {on}.")
        }
    }
}

/// An amount as people read it: 12,345.67.
fn yuan(m: Money) -> String {
    m.grouped()
}
