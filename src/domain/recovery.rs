//! Recovery of unspent funds (POLICY.md §8.2): what was not implemented goes back to the city
//! finance bureau — the undisbursed part by cancelling the receivable, the rest as a debt the unit
//! remits from the project account.
use super::chart;
use super::ledger::{Book, Line};
use super::money::Money;
use serde::Serialize;

/// Why a project's unspent funds are recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = RecoveryReason)]
pub enum Reason {
    Cancelled,
    LeaderUnqualified,
    PeriodEnded,
    /// A `passed*` output acceptance is on record.
    Completed,
    /// The output acceptance failed: recovered as a cancellation would be, at once.
    AcceptanceFailed,
}

impl Reason {
    pub const ALL: [Reason; 5] =
        [Reason::Cancelled, Reason::LeaderUnqualified, Reason::PeriodEnded, Reason::Completed, Reason::AcceptanceFailed];

    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Cancelled => "cancelled",
            Reason::LeaderUnqualified => "leader_unqualified",
            Reason::PeriodEnded => "period_ended",
            Reason::Completed => "completed",
            Reason::AcceptanceFailed => "acceptance_failed",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Cancellation, an unreplaced studio leader and a failed acceptance end a project early; the
    /// others need its end.
    pub fn ends_early(self) -> bool {
        matches!(self, Reason::Cancelled | Reason::LeaderUnqualified | Reason::AcceptanceFailed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub recoverable: Money,
    pub undisbursed: Money,
    pub to_remit: Money,
    #[serde(skip)]
    pub lines: Vec<Line>,
}

/// What of the grant was not implemented and how it comes back, from three balances: the grant
/// fund (2401, the grant less what was already recovered), expenditure, and the receivable (1221).
/// Returns (recoverable, undisbursed, to_remit): recoverable = grant − implemented − recovered;
/// the undisbursed part is cancelled, the rest the unit remits.
pub fn split(grant_fund: Money, implemented: Money, receivable: Money) -> (Money, Money, Money) {
    let recoverable = (grant_fund - implemented).max(Money::ZERO);
    let undisbursed = receivable.min(recoverable);
    (recoverable, undisbursed, recoverable - undisbursed)
}

/// The recovery voucher for a project's books: Dr 2401 / Cr 1221 for the undisbursed part and
/// Dr 2401 / Cr 2241 for the part already paid out and not spent. Empty when nothing is left.
pub fn plan(book: &Book) -> Plan {
    let (recoverable, undisbursed, to_remit) =
        split(book.balance(chart::GRANT_FUND), book.implemented(), book.balance(chart::GRANT_RECEIVABLE));
    let mut lines = Vec::new();
    if recoverable.fen() > 0 {
        lines.push(Line::debit(chart::GRANT_FUND, recoverable));
    }
    if undisbursed.fen() > 0 {
        lines.push(Line::credit(chart::GRANT_RECEIVABLE, undisbursed));
    }
    if to_remit.fen() > 0 {
        lines.push(Line::credit(chart::REFUND_OWED, to_remit));
    }
    Plan { recoverable, undisbursed, to_remit, lines }
}

/// The remittance of `amount` owed back: Dr 2241 / Cr 1002.
pub fn remittance(amount: Money) -> Vec<Line> {
    vec![Line::debit(chart::REFUND_OWED, amount), Line::credit(chart::BANK, amount)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::chart::Side;
    use crate::domain::ledger::Reservation;
    use proptest::prelude::*;

    fn book(grant: Money) -> Book {
        let accounts = [
            (chart::BANK, Side::Debit),
            (chart::GRANT_RECEIVABLE, Side::Debit),
            (chart::PAYABLES, Side::Credit),
            (chart::REFUND_OWED, Side::Credit),
            (chart::GRANT_FUND, Side::Credit),
            ("500101", Side::Debit),
            ("500102", Side::Debit),
        ];
        let mut b = Book::new(grant, accounts.iter().map(|(c, s)| (c.to_string(), *s)));
        b.post(&[Line::debit(chart::GRANT_RECEIVABLE, grant), Line::credit(chart::GRANT_FUND, grant)], Reservation::default()).unwrap();
        b
    }

    #[test]
    fn each_reason_reads_back_from_its_text_and_serialises_as_it() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }

    #[test]
    fn cancelled_base_half_spent() {
        let mut b = book(Money::from_yuan(500_000));
        b.post(
            &[Line::debit(chart::BANK, Money::from_yuan(300_000)), Line::credit(chart::GRANT_RECEIVABLE, Money::from_yuan(300_000))],
            Reservation::default(),
        )
        .unwrap();
        b.post(
            &[Line::debit("500101", Money::from_yuan(250_000)), Line::credit(chart::BANK, Money::from_yuan(250_000))],
            Reservation::default(),
        )
        .unwrap();
        let p = plan(&b);
        assert_eq!(
            (p.recoverable, p.undisbursed, p.to_remit),
            (Money::from_yuan(250_000), Money::from_yuan(200_000), Money::from_yuan(50_000))
        );
    }

    proptest! {
        /// After recovery and full remittance every account is zero except the expenditures and
        /// the grant fund, which net to each other.
        #[test]
        fn recovery_then_remittance_leaves_only_what_was_spent(
            disbursed in 0i64..=5_000_000, spends in proptest::collection::vec((any::<bool>(), 1i64..800_000), 0..12)
        ) {
            let grant = Money::from_fen(5_000_000);
            let mut b = book(grant);
            if disbursed > 0 {
                let d = Money::from_fen(disbursed);
                b.post(&[Line::debit(chart::BANK, d), Line::credit(chart::GRANT_RECEIVABLE, d)], Reservation::default()).unwrap();
            }
            for (first, fen) in spends {
                let code = if first { "500101" } else { "500102" };
                // Spending beyond the bank is refused by the guards; that is fine here.
                let _ = b.post(&[Line::debit(code, Money::from_fen(fen)), Line::credit(chart::BANK, Money::from_fen(fen))], Reservation::default());
            }
            let p = plan(&b);
            if !p.lines.is_empty() {
                b.post(&p.lines, Reservation::default()).unwrap();
            }
            if p.to_remit.fen() > 0 {
                b.post(&remittance(p.to_remit), Reservation::default()).unwrap();
            }
            for code in [chart::BANK, chart::GRANT_RECEIVABLE, chart::PAYABLES, chart::REFUND_OWED] {
                prop_assert_eq!(b.balance(code), Money::ZERO, "{}", code);
            }
            prop_assert_eq!(b.balance(chart::GRANT_FUND), b.implemented());
            prop_assert_eq!(plan(&b).recoverable, Money::ZERO);
        }
    }
}
