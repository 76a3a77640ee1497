//! Figures the finance bureau reads off a project's books (API.md, Statements and Recovery).
use super::chart::{self, AccountDef};
use super::ledger::{Reservation, Totals};
use super::money::{ratio4, Money};
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

    pub fn statement(&self, start: NaiveDate, end: NaiveDate, as_of: NaiveDate) -> Statement {
        let implemented = self.implemented();
        let recovered = self.recovered();
        // Recovery credits 1221 for the undisbursed part and 2241 for the rest, so the
        // undisbursed part recovered is what was recovered minus what became owed.
        let refund_total = self.totals.get(chart::REFUND_OWED).map(|t| t.credit).unwrap_or(Money::ZERO);
        let undisbursed = self.bal(chart::GRANT_RECEIVABLE);
        let disbursed = self.grant - undisbursed - (recovered - refund_total);
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
        let bank = self.bal(chart::BANK);
        let payables = self.bal(chart::PAYABLES);
        Statement {
            grant: self.grant,
            disbursed,
            undisbursed,
            bank_balance: bank,
            payables,
            implemented,
            by_category,
            pending_review: self.reserved.expense,
            reserved: self.reserved.bank,
            available: bank - payables - self.reserved.bank,
            recovered,
            recoverable: recovery::split(self.bal(chart::GRANT_FUND), implemented, undisbursed).0,
            owed_to_finance: self.bal(chart::REFUND_OWED),
            utilization: ratio4(implemented, self.grant),
            period: Period { start_date: start, end_date: end, days_left: (end - as_of).num_days().max(0) },
        }
    }
}
