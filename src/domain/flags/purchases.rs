//! Purchases: `split_purchase` (one purchase cut into pieces, each under the amount that needs a
//! quotation or a tender) and `round_amounts` (invoices rarely come to whole thousands).
use super::config::{RoundAmounts, SplitPurchase};
use super::{at_least_percent, naming, Facts, Finding, ProjectBooks, Rule, VoucherFacts};
use crate::domain::money::Money;
use std::collections::BTreeMap;

/// Per seller, the vouchers that each pay it less than the threshold, at most `window_days`
/// apart from the first to the last, at least `min_vouchers` of them and together more than the
/// threshold. Groups are taken from the earliest voucher on and do not overlap.
pub fn split_purchase(books: &ProjectBooks, t: &SplitPurchase) -> Vec<Finding> {
    let mut by_seller: BTreeMap<&str, Vec<(&VoucherFacts, &str, Money)>> = BTreeMap::new();
    for v in books.spending() {
        for s in v.sellers.iter().filter(|s| s.amount < t.threshold) {
            by_seller.entry(s.key.as_str()).or_default().push((v, s.name.as_str(), s.amount));
        }
    }
    let mut out = Vec::new();
    for (_, mut paid) in by_seller {
        paid.sort_by(|a, b| (a.0.date, &a.0.id).cmp(&(b.0.date, &b.0.id)));
        let mut i = 0;
        while i < paid.len() {
            let first = paid[i].0.date;
            let mut j = i;
            while j + 1 < paid.len() && (paid[j + 1].0.date - first).num_days() <= t.window_days {
                j += 1;
            }
            let group = &paid[i..=j];
            let sum: Money = group.iter().map(|p| p.2).sum();
            if group.len() >= t.min_vouchers && sum > t.threshold {
                out.push(Finding {
                    rule: Rule::SplitPurchase,
                    severity: t.severity,
                    project_id: books.project_id.clone(),
                    voucher_ids: group.iter().map(|p| p.0.id.clone()).collect(),
                    amount: sum,
                    facts: Facts::SplitPurchase {
                        seller: group[0].1.to_string(),
                        first,
                        last: group[j - i].0.date,
                        threshold: t.threshold,
                    },
                });
                i = j + 1;
            } else {
                i += 1;
            }
        }
    }
    out
}

/// Whether an amount is a whole multiple of `round_to` (and at least one of it).
pub fn is_round(amount: Money, round_to: Money) -> bool {
    amount >= round_to && amount.fen() % round_to.fen() == 0
}

/// Many expenses in whole multiples of `round_to`: at least `min_vouchers` of them, and at
/// least `min_share_percent` of all the project's expenses.
pub fn round_amounts(books: &ProjectBooks, t: &RoundAmounts) -> Option<Finding> {
    let all = books.spending().count();
    let round: Vec<_> = books.spending().filter(|v| is_round(v.amount, t.round_to)).collect();
    let flagged = round.len() >= t.min_vouchers && at_least_percent(round.len() as i64, all as i64, t.min_share_percent);
    flagged.then(|| naming(books, Rule::RoundAmounts, t.severity, round, Facts::RoundAmounts { of: all, round_to: t.round_to }))
}
