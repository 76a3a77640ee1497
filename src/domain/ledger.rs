//! Double-entry rules: what a voucher must look like and what the books may never show.
//! The storage layer loads a project's `Book` inside its posting transaction and lets these
//! functions decide, so the guards are the same on every backend and testable alone.
use super::chart::{self, Side};
use super::money::Money;
use std::collections::BTreeMap;

pub const MAX_LINES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub code: String,
    pub debit: Money,
    pub credit: Money,
}

impl Line {
    pub fn debit(code: &str, amount: Money) -> Line {
        Line { code: code.to_string(), debit: amount, credit: Money::ZERO }
    }
    pub fn credit(code: &str, amount: Money) -> Line {
        Line { code: code.to_string(), debit: Money::ZERO, credit: amount }
    }
    /// The red-ink twin of this line: same amount on the other side.
    pub fn swapped(&self) -> Line {
        Line { code: self.code.clone(), debit: self.credit, credit: self.debit }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a voucher needs between 1 and {MAX_LINES} lines, got {0}")]
    LineCount(usize),
    #[error("line {0} must have exactly one positive side")]
    LineSides(usize),
    #[error("debits {debit} do not equal credits {credit}")]
    Unbalanced { debit: Money, credit: Money },
    #[error("account {0} is not in this project's chart of accounts")]
    UnknownAccount(String),
    #[error("the bank account has {available} available (balance less reservations); {requested} requested")]
    InsufficientFunds { available: Money, requested: Money },
    #[error("{0}")]
    GrantExceeded(String),
    #[error("the amount owed back to the finance bureau is {owed}; {requested} is more")]
    ExceedsOwed { owed: Money, requested: Money },
    #[error("account {code} would go to {balance} on its normal side")]
    NegativeBalance { code: String, balance: Money },
    #[error("amount overflow")]
    Overflow,
    #[error("{0}")]
    NotAnExpense(String),
}

/// Checks the shape of a voucher and returns its total.
pub fn check_lines(lines: &[Line]) -> Result<Money, LedgerError> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(LedgerError::LineCount(lines.len()));
    }
    let (mut debit, mut credit) = (Money::ZERO, Money::ZERO);
    for (i, line) in lines.iter().enumerate() {
        let one_side = (line.debit.fen() > 0 && line.credit.is_zero()) || (line.credit.fen() > 0 && line.debit.is_zero());
        if !one_side {
            return Err(LedgerError::LineSides(i));
        }
        debit = debit.checked_add(line.debit).ok_or(LedgerError::Overflow)?;
        credit = credit.checked_add(line.credit).ok_or(LedgerError::Overflow)?;
    }
    if debit != credit {
        return Err(LedgerError::Unbalanced { debit, credit });
    }
    Ok(debit)
}

/// An expenditure voucher may not create money: what it adds to the bank must come back from
/// expenditure (a refund), and what it owes suppliers must be expenditure accrued.
pub fn check_expense_voucher(lines: &[Line]) -> Result<(), LedgerError> {
    let sum = |f: &dyn Fn(&Line) -> bool, debit: bool| -> Money {
        lines.iter().filter(|l| f(l)).map(|l| if debit { l.debit } else { l.credit }).sum()
    };
    let expense_debits = sum(&|l| chart::is_expenditure(&l.code), true);
    let expense_credits = sum(&|l| chart::is_expenditure(&l.code), false);
    if sum(&|l| l.code == chart::BANK, true) > expense_credits {
        return Err(LedgerError::NotAnExpense("a debit to the bank (1002) must be a refund credited to expenditure".into()));
    }
    if sum(&|l| l.code == chart::PAYABLES, false) > expense_debits {
        return Err(LedgerError::NotAnExpense("a credit to payables (2202) must accrue expenditure debited in the same voucher".into()));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub debit: Money,
    pub credit: Money,
}

impl Totals {
    pub fn balance(&self, side: Side) -> Money {
        match side {
            Side::Debit => self.debit - self.credit,
            Side::Credit => self.credit - self.debit,
        }
    }
}

/// Money held back for vouchers waiting for review: their bank credits and their expenditure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reservation {
    pub bank: Money,
    pub expense: Money,
}

impl Reservation {
    pub fn of(lines: &[Line]) -> Reservation {
        let net = |pick: &dyn Fn(&str) -> bool, debit_side: bool| -> Money {
            let sum: Money =
                lines.iter().filter(|l| pick(&l.code)).map(|l| if debit_side { l.debit - l.credit } else { l.credit - l.debit }).sum();
            sum.max(Money::ZERO)
        };
        Reservation { bank: net(&|c| c == chart::BANK, false), expense: net(&chart::is_expenditure, true) }
    }
}

/// One project's books as the guards need them: per-account totals, the grant, reservations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Book {
    pub grant: Money,
    pub sides: BTreeMap<String, Side>,
    pub totals: BTreeMap<String, Totals>,
    pub reserved: Reservation,
}

impl Book {
    pub fn new(grant: Money, accounts: impl IntoIterator<Item = (String, Side)>) -> Book {
        let sides: BTreeMap<String, Side> = accounts.into_iter().collect();
        let totals = sides.keys().map(|c| (c.clone(), Totals::default())).collect();
        Book { grant, sides, totals, reserved: Reservation::default() }
    }

    pub fn balance(&self, code: &str) -> Money {
        match (self.totals.get(code), self.sides.get(code)) {
            (Some(t), Some(side)) => t.balance(*side),
            _ => Money::ZERO,
        }
    }

    pub fn implemented(&self) -> Money {
        self.totals.iter().filter(|(c, _)| chart::is_expenditure(c)).map(|(_, t)| t.debit - t.credit).sum()
    }

    /// The bank balance a new payment may use.
    pub fn available(&self) -> Money {
        self.balance(chart::BANK) - self.reserved.bank
    }

    fn after(&self, lines: &[Line]) -> Result<BTreeMap<String, Totals>, LedgerError> {
        let mut totals = self.totals.clone();
        for line in lines {
            let t = totals.get_mut(&line.code).ok_or_else(|| LedgerError::UnknownAccount(line.code.clone()))?;
            t.debit = t.debit.checked_add(line.debit).ok_or(LedgerError::Overflow)?;
            t.credit = t.credit.checked_add(line.credit).ok_or(LedgerError::Overflow)?;
        }
        Ok(totals)
    }

    /// The guards every posting passes. `reserved` is what stays reserved for *other* vouchers.
    fn check(&self, lines: &[Line], after: &BTreeMap<String, Totals>, reserved: Reservation) -> Result<(), LedgerError> {
        let balance = |code: &str| after.get(code).map(|t| t.balance(self.sides[code])).unwrap_or(Money::ZERO);
        let bank_out = Reservation::of(lines).bank;
        if bank_out.fen() > 0 && balance(chart::BANK) < reserved.bank {
            return Err(LedgerError::InsufficientFunds { available: self.available_for(reserved), requested: bank_out });
        }
        let implemented: Money = after.iter().filter(|(c, _)| chart::is_expenditure(c)).map(|(_, t)| t.debit - t.credit).sum();
        if Reservation::of(lines).expense.fen() > 0 && implemented + reserved.expense > self.grant {
            return Err(LedgerError::GrantExceeded(format!(
                "expenditure would reach {} (with {} awaiting review) against a grant of {}",
                implemented, reserved.expense, self.grant
            )));
        }
        for (code, t) in after {
            let b = t.balance(self.sides[code]);
            if b.fen() >= 0 {
                continue;
            }
            return Err(match code.as_str() {
                chart::BANK => LedgerError::InsufficientFunds { available: self.available_for(reserved), requested: bank_out },
                chart::GRANT_RECEIVABLE => {
                    LedgerError::GrantExceeded(format!("only {} of the grant is undisbursed", self.balance(chart::GRANT_RECEIVABLE)))
                }
                chart::REFUND_OWED => {
                    LedgerError::ExceedsOwed { owed: self.balance(chart::REFUND_OWED), requested: self.balance(chart::REFUND_OWED) - b }
                }
                _ => LedgerError::NegativeBalance { code: code.clone(), balance: b },
            });
        }
        Ok(())
    }

    fn available_for(&self, reserved: Reservation) -> Money {
        (self.balance(chart::BANK) - reserved.bank).max(Money::ZERO)
    }

    /// Posts `lines`; `release` is the reservation this voucher held while pending (zero otherwise).
    pub fn post(&mut self, lines: &[Line], release: Reservation) -> Result<(), LedgerError> {
        check_lines(lines)?;
        let reserved = Reservation { bank: self.reserved.bank - release.bank, expense: self.reserved.expense - release.expense };
        let after = self.after(lines)?;
        self.check(lines, &after, reserved)?;
        self.totals = after;
        self.reserved = reserved;
        Ok(())
    }

    /// Holds a voucher's money for review: it must be postable now, counting earlier reservations.
    pub fn reserve(&mut self, lines: &[Line]) -> Result<Reservation, LedgerError> {
        check_lines(lines)?;
        let mine = Reservation::of(lines);
        let after = self.after(lines)?;
        self.check(lines, &after, self.reserved)?;
        self.reserved = Reservation { bank: self.reserved.bank + mine.bank, expense: self.reserved.expense + mine.expense };
        Ok(mine)
    }

    pub fn release(&mut self, r: Reservation) {
        self.reserved = Reservation { bank: self.reserved.bank - r.bank, expense: self.reserved.expense - r.expense };
    }

    /// Trial balance totals: (Σ debits, Σ credits) over all accounts.
    pub fn trial_totals(&self) -> (Money, Money) {
        (self.totals.values().map(|t| t.debit).sum(), self.totals.values().map(|t| t.credit).sum())
    }
}

#[cfg(test)]
mod tests;
