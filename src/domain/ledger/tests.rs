use super::*;
use proptest::prelude::*;

const EXP_A: &str = "500101";
const EXP_B: &str = "500102";

fn book() -> Book {
    let mut accounts: Vec<(String, Side)> = vec![
        (chart::BANK.into(), Side::Debit),
        (chart::GRANT_RECEIVABLE.into(), Side::Debit),
        (chart::PAYABLES.into(), Side::Credit),
        (chart::REFUND_OWED.into(), Side::Credit),
        (chart::GRANT_FUND.into(), Side::Credit),
    ];
    accounts.push((EXP_A.into(), Side::Debit));
    accounts.push((EXP_B.into(), Side::Debit));
    let grant = Money::from_yuan(50_000);
    let mut b = Book::new(grant, accounts);
    b.post(&[Line::debit(chart::GRANT_RECEIVABLE, grant), Line::credit(chart::GRANT_FUND, grant)], Reservation::default()).unwrap();
    b
}

fn m(fen: i64) -> Money {
    Money::from_fen(fen)
}

#[test]
fn rejects_malformed_vouchers() {
    assert_eq!(check_lines(&[]), Err(LedgerError::LineCount(0)));
    let both = Line { code: EXP_A.into(), debit: m(1), credit: m(1) };
    assert_eq!(check_lines(&[both]), Err(LedgerError::LineSides(0)));
    let unbalanced = [Line::debit(EXP_A, m(100)), Line::credit(chart::BANK, m(99))];
    assert!(matches!(check_lines(&unbalanced), Err(LedgerError::Unbalanced { .. })));
    let many: Vec<Line> = (0..201).map(|_| Line::debit(EXP_A, m(1))).collect();
    assert_eq!(check_lines(&many), Err(LedgerError::LineCount(201)));
}

#[test]
fn disbursement_capped_by_grant() {
    let mut b = book();
    let all = b.grant;
    let disburse = |a| [Line::debit(chart::BANK, a), Line::credit(chart::GRANT_RECEIVABLE, a)];
    b.post(&disburse(m(all.fen() - 1)), Reservation::default()).unwrap();
    assert!(matches!(b.post(&disburse(m(2)), Reservation::default()), Err(LedgerError::GrantExceeded(_))));
    b.post(&disburse(m(1)), Reservation::default()).unwrap();
    assert_eq!(b.balance(chart::GRANT_RECEIVABLE), Money::ZERO);
}

#[test]
fn reservations_hold_money_back() {
    let mut b = book();
    b.post(&[Line::debit(chart::BANK, m(1000)), Line::credit(chart::GRANT_RECEIVABLE, m(1000))], Reservation::default()).unwrap();
    let spend = |a| [Line::debit(EXP_A, a), Line::credit(chart::BANK, a)];
    let r = b.reserve(&spend(m(700))).unwrap();
    assert_eq!(b.available(), m(300));
    assert!(matches!(b.post(&spend(m(301)), Reservation::default()), Err(LedgerError::InsufficientFunds { .. })));
    b.post(&spend(m(300)), Reservation::default()).unwrap();
    // Approving the pending voucher releases its own reservation and posts it.
    b.post(&spend(m(700)), r).unwrap();
    assert_eq!(b.balance(chart::BANK), Money::ZERO);
    assert_eq!(b.reserved, Reservation::default());
}

#[derive(Debug, Clone)]
enum Op {
    Disburse(i64),
    Spend { exp_a: bool, fen: i64, via_payables: bool },
    PayPayables(i64),
    Hold { fen: i64 },
    Decide { idx: usize, approve: bool },
    Reverse { idx: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..2_000_000).prop_map(Op::Disburse),
        (any::<bool>(), 1i64..1_500_000, any::<bool>()).prop_map(|(exp_a, fen, via_payables)| Op::Spend { exp_a, fen, via_payables }),
        (1i64..1_000_000).prop_map(Op::PayPayables),
        (1i64..1_000_000).prop_map(|fen| Op::Hold { fen }),
        (any::<usize>(), any::<bool>()).prop_map(|(idx, approve)| Op::Decide { idx, approve }),
        any::<usize>().prop_map(|idx| Op::Reverse { idx }),
    ]
}

fn recompute(b: &Book, journal: &[Vec<Line>]) -> BTreeMap<String, Totals> {
    let mut totals: BTreeMap<String, Totals> = b.sides.keys().map(|c| (c.clone(), Totals::default())).collect();
    for voucher in journal {
        for l in voucher {
            let t = totals.get_mut(&l.code).unwrap();
            t.debit = t.debit + l.debit;
            t.credit = t.credit + l.credit;
        }
    }
    totals
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever stream of requests arrives, the books stay balanced, no account goes below what its
    /// rules allow, reservations are covered, and balances equal a recomputation from the journal.
    #[test]
    fn random_voucher_streams_keep_invariants(ops in proptest::collection::vec(op(), 1..60)) {
        let mut b = book();
        let grant = b.grant;
        let mut journal: Vec<Vec<Line>> =
            vec![vec![Line::debit(chart::GRANT_RECEIVABLE, grant), Line::credit(chart::GRANT_FUND, grant)]];
        let mut pending: Vec<(Vec<Line>, Reservation)> = Vec::new();
        let mut reversible: Vec<usize> = Vec::new();
        for op in ops {
            let before = b.clone();
            let outcome = match op {
                Op::Disburse(f) => {
                    let l = vec![Line::debit(chart::BANK, m(f)), Line::credit(chart::GRANT_RECEIVABLE, m(f))];
                    b.post(&l, Reservation::default()).map(|_| Some(l))
                }
                Op::Spend { exp_a, fen, via_payables } => {
                    let src = if via_payables { chart::PAYABLES } else { chart::BANK };
                    let l = vec![Line::debit(if exp_a { EXP_A } else { EXP_B }, m(fen)), Line::credit(src, m(fen))];
                    b.post(&l, Reservation::default()).map(|_| Some(l))
                }
                Op::PayPayables(f) => {
                    let l = vec![Line::debit(chart::PAYABLES, m(f)), Line::credit(chart::BANK, m(f))];
                    b.post(&l, Reservation::default()).map(|_| Some(l))
                }
                Op::Hold { fen } => {
                    let l = vec![Line::debit(EXP_A, m(fen)), Line::credit(chart::BANK, m(fen))];
                    b.reserve(&l).map(|r| { pending.push((l, r)); None })
                }
                Op::Decide { idx, approve } if !pending.is_empty() => {
                    let (l, r) = pending.remove(idx % pending.len());
                    if approve {
                        match b.post(&l, r) {
                            Ok(()) => Ok(Some(l)),
                            Err(e) => { pending.push((l, r)); Err(e) }
                        }
                    } else {
                        b.release(r);
                        Ok(None)
                    }
                }
                Op::Reverse { idx } if !reversible.is_empty() => {
                    let j = reversible.remove(idx % reversible.len());
                    let l: Vec<Line> = journal[j].iter().map(Line::swapped).collect();
                    match b.post(&l, Reservation::default()) {
                        Ok(()) => Ok(Some(l)),
                        Err(e) => { reversible.push(j); Err(e) }
                    }
                }
                _ => Ok(None),
            };
            match outcome {
                Ok(Some(lines)) => {
                    prop_assert!(check_lines(&lines).is_ok());
                    journal.push(lines);
                    reversible.push(journal.len() - 1);
                }
                Ok(None) => {}
                // A refused posting leaves the book exactly as it was.
                Err(_) => prop_assert_eq!(&b.totals, &before.totals),
            }
            let (d, c) = b.trial_totals();
            prop_assert_eq!(d, c);
            for code in b.sides.keys() {
                prop_assert!(b.balance(code) >= Money::ZERO, "{} negative: {}", code, b.balance(code));
            }
            prop_assert!(b.available() >= Money::ZERO);
            prop_assert!(b.implemented() + b.reserved.expense <= grant);
            let held: Money = pending.iter().map(|(_, r)| r.bank).sum();
            prop_assert_eq!(held, b.reserved.bank);
            prop_assert_eq!(recompute(&b, &journal), b.totals.clone());
        }
    }
}

#[test]
fn expense_vouchers_do_not_create_money() {
    let loan = [Line::debit(chart::BANK, m(500)), Line::credit(chart::PAYABLES, m(500))];
    assert!(matches!(check_expense_voucher(&loan), Err(LedgerError::NotAnExpense(_))));
    let refund = [Line::debit(chart::BANK, m(50)), Line::credit(EXP_A, m(50))];
    assert_eq!(check_expense_voucher(&refund), Ok(()));
    let accrual = [Line::debit(EXP_A, m(80)), Line::credit(chart::PAYABLES, m(80))];
    assert_eq!(check_expense_voucher(&accrual), Ok(()));
    let settle = [Line::debit(chart::PAYABLES, m(80)), Line::credit(chart::BANK, m(80))];
    assert_eq!(check_expense_voucher(&settle), Ok(()));
}
