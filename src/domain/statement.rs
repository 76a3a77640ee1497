//! Figures the finance bureau reads off a project's books (API.md, Statements and Recovery).
use super::chart::{self, AccountDef};
use super::ledger::{Reservation, Totals};
use super::money::{ratio4, ratio4_units, Money};
use super::recovery;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountBalance {
    pub code: String,
    pub name: String,
    pub side: chart::Side,
    pub debit_total: Money,
    pub credit_total: Money,
    pub balance: Money,
}

pub fn balances(chart: &[AccountDef], totals: &BTreeMap<String, Totals>) -> Vec<AccountBalance> {
    chart
        .iter()
        .map(|a| {
            let t = totals.get(&a.code).copied().unwrap_or_default();
            AccountBalance {
                code: a.code.clone(),
                name: a.name.clone(),
                side: a.side,
                debit_total: t.debit,
                credit_total: t.credit,
                balance: t.balance(a.side),
            }
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryAmount {
    pub category: String,
    pub code: String,
    pub name: String,
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Period {
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub days_left: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub grant: Money,
    pub disbursed: Money,
    pub undisbursed: Money,
    pub bank_balance: Money,
    pub payables: Money,
    pub implemented: Money,
    pub by_category: Vec<CategoryAmount>,
    pub pending_review: Money,
    pub reserved: Money,
    pub available: Money,
    pub recovered: Money,
    pub recoverable: Money,
    pub owed_to_finance: Money,
    pub utilization: String,
    pub period: Period,
}

/// What the grant has become: recovery figures derived from balances alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Recoverable {
    pub grant: Money,
    pub implemented: Money,
    pub recovered: Money,
    pub recoverable: Money,
    pub undisbursed: Money,
    pub to_remit: Money,
    pub pending_review: Money,
}

pub struct Figures<'a> {
    pub grant: Money,
    pub chart: &'a [AccountDef],
    pub totals: &'a BTreeMap<String, Totals>,
    pub reserved: Reservation,
}

impl Figures<'_> {
    fn bal(&self, code: &str) -> Money {
        self.totals.get(code).map(|t| t.balance(chart::side_of(self.chart, code))).unwrap_or(Money::ZERO)
    }

    pub fn implemented(&self) -> Money {
        self.chart.iter().filter(|a| chart::is_expenditure(&a.code)).map(|a| self.bal(&a.code)).sum()
    }

    /// The grant fund (2401) is reduced only by recovery, so what is gone from it was recovered.
    pub fn recovered(&self) -> Money {
        self.grant - self.bal(chart::GRANT_FUND)
    }

    pub fn recoverable(&self) -> Recoverable {
        let implemented = self.implemented();
        let (recoverable, undisbursed, to_remit) =
            recovery::split(self.bal(chart::GRANT_FUND), implemented, self.bal(chart::GRANT_RECEIVABLE));
        Recoverable {
            grant: self.grant,
            implemented,
            recovered: self.recovered(),
            recoverable,
            undisbursed,
            to_remit,
            pending_review: self.reserved.expense,
        }
    }

    /// The statement's single amounts from this project's books.
    pub fn amounts(&self) -> Amounts {
        let refund_credit = self.totals.get(chart::REFUND_OWED).map(|t| t.credit).unwrap_or(Money::ZERO);
        let balances = Balances {
            bank: self.bal(chart::BANK),
            receivable: self.bal(chart::GRANT_RECEIVABLE),
            payables: self.bal(chart::PAYABLES),
            refund_owed: self.bal(chart::REFUND_OWED),
            refund_credit,
            grant_fund: self.bal(chart::GRANT_FUND),
            implemented: self.implemented(),
        };
        Amounts::of(self.grant, &balances, self.reserved)
    }

    pub fn statement(&self, start: NaiveDate, end: NaiveDate, as_of: NaiveDate) -> Statement {
        let a = self.amounts();
        let by_category = self
            .chart
            .iter()
            .filter_map(|a| {
                a.category.as_ref().map(|slug| CategoryAmount {
                    category: slug.clone(),
                    code: a.code.clone(),
                    name: a.name.clone(),
                    amount: self.bal(&a.code),
                })
            })
            .collect();
        Statement {
            grant: a.grant,
            disbursed: a.disbursed,
            undisbursed: a.undisbursed,
            bank_balance: a.bank_balance,
            payables: a.payables,
            implemented: a.implemented,
            by_category,
            pending_review: a.pending_review,
            reserved: a.reserved,
            available: a.available,
            recovered: a.recovered,
            recoverable: a.recoverable,
            owed_to_finance: a.owed_to_finance,
            utilization: ratio4(a.implemented, a.grant),
            period: Period { start_date: start, end_date: end, days_left: days_left(end, as_of) },
        }
    }
}

/// Days from `as_of` to the period's end, none once it is over.
pub fn days_left(end: NaiveDate, as_of: NaiveDate) -> i64 {
    (end - as_of).num_days().max(0)
}

/// The balances a statement's single amounts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balances {
    pub bank: Money,
    pub receivable: Money,
    pub payables: Money,
    pub refund_owed: Money,
    /// Everything ever credited to 2241: recovery's part already paid out.
    pub refund_credit: Money,
    pub grant_fund: Money,
    /// Σ expenditure accounts.
    pub implemented: Money,
}

impl Balances {
    /// `of_fixed` from the five totals in `chart::FIXED_CODES` order, as a project row keeps them.
    pub fn of_copy(fixed: [Totals; 5]) -> Balances {
        let [bank, receivable, payables, refund_owed, grant_fund] = fixed;
        Balances::of_fixed(bank, receivable, payables, refund_owed, grant_fund)
    }

    /// The balances from the five fixed accounts' totals alone. Expenditure is found by the trial
    /// balance rather than read: the chart holds the fixed accounts and debit-side expenditure
    /// accounts only, and balanced books have Σ debit balances = Σ credit balances, so
    /// bank + receivable + expenditure = payables + refund owed + grant fund. The all-projects view
    /// reads 5 account rows per project this way instead of all of them.
    pub fn of_fixed(bank: Totals, receivable: Totals, payables: Totals, refund_owed: Totals, grant_fund: Totals) -> Balances {
        let debit = |t: Totals| t.balance(chart::Side::Debit);
        let credit = |t: Totals| t.balance(chart::Side::Credit);
        let (bank_b, receivable_b) = (debit(bank), debit(receivable));
        let (payables_b, refund_b, fund_b) = (credit(payables), credit(refund_owed), credit(grant_fund));
        Balances {
            bank: bank_b,
            receivable: receivable_b,
            payables: payables_b,
            refund_owed: refund_b,
            refund_credit: refund_owed.credit,
            grant_fund: fund_b,
            implemented: payables_b + refund_b + fund_b - bank_b - receivable_b,
        }
    }
}

/// A statement's amounts that are one figure each: what the all-projects view shows, adds up and
/// sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amounts {
    pub grant: Money,
    pub disbursed: Money,
    pub undisbursed: Money,
    pub bank_balance: Money,
    pub payables: Money,
    pub implemented: Money,
    pub pending_review: Money,
    pub reserved: Money,
    pub available: Money,
    pub recovered: Money,
    pub recoverable: Money,
    pub owed_to_finance: Money,
}

impl Amounts {
    pub fn of(grant: Money, b: &Balances, reserved: Reservation) -> Amounts {
        // The grant fund (2401) is reduced only by recovery, so what is gone from it was recovered.
        let recovered = grant - b.grant_fund;
        // Recovery credits 1221 for the undisbursed part and 2241 for the rest, so the
        // undisbursed part recovered is what was recovered minus what became owed.
        let disbursed = grant - b.receivable - (recovered - b.refund_credit);
        Amounts {
            grant,
            disbursed,
            undisbursed: b.receivable,
            bank_balance: b.bank,
            payables: b.payables,
            implemented: b.implemented,
            pending_review: reserved.expense,
            reserved: reserved.bank,
            available: b.bank - b.payables - reserved.bank,
            recovered,
            recoverable: recovery::split(b.grant_fund, b.implemented, b.receivable).0,
            owed_to_finance: b.refund_owed,
        }
    }

    /// The amounts of many projects added up, from the sums of their grants, fixed accounts'
    /// totals and reservations (`Balances::of_fixed`): every amount but `recoverable` is sums and
    /// differences of those, so adding up the projects' amounts or taking the amounts of their sums
    /// is the same. `recoverable` is none below zero for each project, so it is added up apart.
    pub fn summed(grant: Money, fixed: [Totals; 5], reserved: Reservation, recoverable: Money) -> Amounts {
        Amounts { recoverable, ..Amounts::of(grant, &Balances::of_copy(fixed), reserved) }
    }
}

/// What the portfolio orders by that only a posting changes, from the grant and the fixed
/// accounts' totals (`chart::FIXED_CODES` order): utilization as shown, in ten-thousandths, and
/// the recoverable amount in fen. The project row keeps them beside its copy of those totals.
pub fn sort_keys(grant: Money, fixed: [Totals; 5]) -> [i64; 2] {
    // Neither depends on the reservations.
    let a = Amounts::of(grant, &Balances::of_copy(fixed), Reservation::default());
    [ratio4_units(a.implemented, a.grant), a.recoverable.fen()]
}

/// Amounts added up field by field: a portfolio's totals.
impl std::iter::Sum for Amounts {
    fn sum<I: Iterator<Item = Amounts>>(iter: I) -> Amounts {
        iter.fold(Amounts::default(), |s, a| Amounts {
            grant: s.grant + a.grant,
            disbursed: s.disbursed + a.disbursed,
            undisbursed: s.undisbursed + a.undisbursed,
            bank_balance: s.bank_balance + a.bank_balance,
            payables: s.payables + a.payables,
            implemented: s.implemented + a.implemented,
            pending_review: s.pending_review + a.pending_review,
            reserved: s.reserved + a.reserved,
            available: s.available + a.available,
            recovered: s.recovered + a.recovered,
            recoverable: s.recoverable + a.recoverable,
            owed_to_finance: s.owed_to_finance + a.owed_to_finance,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::chart::Side;
    use proptest::prelude::*;

    fn chart() -> Vec<AccountDef> {
        let fixed = [
            (chart::BANK, Side::Debit),
            (chart::GRANT_RECEIVABLE, Side::Debit),
            (chart::PAYABLES, Side::Credit),
            (chart::REFUND_OWED, Side::Credit),
            (chart::GRANT_FUND, Side::Credit),
        ];
        let expenses = ["500101", "500102", "500103", "500104"].map(|c| (c, Side::Debit));
        fixed
            .into_iter()
            .chain(expenses)
            .map(|(code, side)| AccountDef { code: code.into(), name: code.into(), side, category: None })
            .collect()
    }

    proptest! {
        /// Any balanced journal over the chart: the fixed accounts alone give every amount the
        /// whole chart gives, expenditure included.
        #[test]
        fn the_fixed_accounts_give_the_amounts_of_the_whole_chart(
            entries in proptest::collection::vec((0usize..9, 0usize..9, 0i64..10_000_000), 0..40),
            grant in 0i64..100_000_000,
            reserved in (0i64..1_000_000, 0i64..1_000_000),
        ) {
            let chart = chart();
            let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
            for (d, c, fen) in entries {
                let t = totals.entry(chart[d].code.clone()).or_default();
                t.debit = t.debit + Money::from_fen(fen);
                let t = totals.entry(chart[c].code.clone()).or_default();
                t.credit = t.credit + Money::from_fen(fen);
            }
            let reserved = Reservation { bank: Money::from_fen(reserved.0), expense: Money::from_fen(reserved.1) };
            let f = Figures { grant: Money::from_fen(grant), chart: &chart, totals: &totals, reserved };
            let t = |code: &str| totals.get(code).copied().unwrap_or_default();
            let fixed = Balances::of_fixed(t(chart::BANK), t(chart::GRANT_RECEIVABLE), t(chart::PAYABLES), t(chart::REFUND_OWED), t(chart::GRANT_FUND));
            prop_assert_eq!(Amounts::of(f.grant, &fixed, reserved), f.amounts());
        }

        /// The portfolio's totals come from the sums of its projects' rows (`Amounts::summed`):
        /// they are what adding up each project's amounts gives.
        #[test]
        fn the_amounts_of_summed_projects_are_the_sums_of_their_amounts(
            projects in proptest::collection::vec(
                (0i64..100_000_000, proptest::array::uniform10(0i64..100_000_000), 0i64..1_000_000, 0i64..1_000_000),
                0..20,
            ),
        ) {
            let m = Money::from_fen;
            let totals = |f: &[i64; 10]| -> [Totals; 5] {
                std::array::from_fn(|i| Totals { debit: m(f[2 * i]), credit: m(f[2 * i + 1]) })
            };
            let each: Vec<Amounts> = projects
                .iter()
                .map(|(grant, fixed, bank, expense)| {
                    Amounts::of(m(*grant), &Balances::of_copy(totals(fixed)), Reservation { bank: m(*bank), expense: m(*expense) })
                })
                .collect();
            let sum = |f: fn(&Amounts) -> Money| -> Money { each.iter().map(f).sum() };
            let mut fixed = [0i64; 10];
            for (_, f, _, _) in &projects {
                for (s, v) in fixed.iter_mut().zip(f) {
                    *s += v;
                }
            }
            let reserved = Reservation {
                bank: m(projects.iter().map(|p| p.2).sum()),
                expense: m(projects.iter().map(|p| p.3).sum()),
            };
            let summed = Amounts::summed(m(projects.iter().map(|p| p.0).sum()), totals(&fixed), reserved, sum(|a| a.recoverable));
            let expected = Amounts {
                grant: sum(|a| a.grant),
                disbursed: sum(|a| a.disbursed),
                undisbursed: sum(|a| a.undisbursed),
                bank_balance: sum(|a| a.bank_balance),
                payables: sum(|a| a.payables),
                implemented: sum(|a| a.implemented),
                pending_review: sum(|a| a.pending_review),
                reserved: sum(|a| a.reserved),
                available: sum(|a| a.available),
                recovered: sum(|a| a.recovered),
                recoverable: sum(|a| a.recoverable),
                owed_to_finance: sum(|a| a.owed_to_finance),
            };
            prop_assert_eq!(summed, expected);
        }
    }
}
