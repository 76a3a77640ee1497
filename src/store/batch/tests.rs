//! The batch's buffer rewinds exactly: whatever requests fail in between, the rows kept are those
//! of the requests that succeeded, and every chain stays contiguous and linked.
use super::*;
use crate::domain::audit::GENESIS;
use crate::domain::kind::VoucherKind;
use crate::domain::status::VoucherStatus;
use crate::error::Code;
use proptest::prelude::*;
use serde_json::json;

fn voucher(id: &str, project: &str, summary: &str) -> VoucherRow {
    VoucherRow {
        id: id.into(),
        project_id: project.into(),
        number: None,
        status: VoucherStatus::Posted,
        kind: VoucherKind::Expense,
        date: chrono::NaiveDate::from_ymd_opt(2025, 3, 4).unwrap(),
        summary: summary.into(),
        attachments: 0,
        reference: None,
        reserved_bank_fen: 0,
        reserved_expense_fen: 0,
        created_by: "u".into(),
        created_at: "2025-03-04T00:00:00.000000Z".into(),
        reverses_id: None,
        reversed_by_id: None,
        decision: None,
    }
}

fn line(voucher_id: &str, project: &str, n: i32) -> LineRow {
    LineRow {
        voucher_id: voucher_id.into(),
        line_no: n,
        project_id: project.into(),
        account_code: "1002".into(),
        debit_fen: 1,
        credit_fen: 0,
        summary: String::new(),
        classification: None,
        invoice_number: None,
        invoice_seller: None,
        invoice_seller_tax_id: None,
    }
}

/// One request: on which chain, how many lines and events it writes, and whether it then fails.
#[derive(Debug, Clone)]
struct Step {
    chain: usize,
    lines: usize,
    events: usize,
    fails: bool,
}

fn step() -> impl Strategy<Value = Step> {
    (0usize..3, 0usize..4, 1usize..4, any::<bool>()).prop_map(|(chain, lines, events, fails)| Step { chain, lines, events, fails })
}

proptest! {
    #[test]
    fn rewinding_failed_requests_keeps_exactly_the_others(steps in proptest::collection::vec(step(), 0..40)) {
        let chains = ["a", "b", "c"];
        let mut buffer = Buffer::default();
        for c in chains {
            buffer.chains.insert(c.to_string(), (0, GENESIS.to_string()));
        }
        let actor = Actor { user_id: "u".into(), username: "unit1".into(), role: "unit".into() };
        let (mut kept_vouchers, mut kept_lines, mut kept_events) = (0, 0, [0i64; 3]);
        for (i, s) in steps.iter().enumerate() {
            let chain = chains[s.chain];
            let mark = buffer.mark();
            let id = format!("v{i}");
            let lines: Vec<LineRow> = (0..s.lines).map(|n| line(&id, chain, n as i32 + 1)).collect();
            buffer.insert_voucher(&voucher(&id, chain, "x"), &lines).unwrap();
            for e in 0..s.events {
                buffer.append(chain, &actor, "voucher.posted", &format!("voucher/{id}"), json!({"step": i, "event": e})).unwrap();
            }
            if s.fails {
                buffer.rewind(mark);
            } else {
                kept_vouchers += 1;
                kept_lines += s.lines;
                kept_events[s.chain] += s.events as i64;
            }
        }
        prop_assert_eq!(buffer.vouchers.len(), kept_vouchers);
        prop_assert_eq!(buffer.lines.len(), kept_lines);
        for (c, chain) in chains.iter().enumerate() {
            let events: Vec<&Event> = buffer.events.iter().filter(|(id, _)| id == chain).map(|(_, e)| e).collect();
            prop_assert_eq!(events.len() as i64, kept_events[c]);
            let mut head = GENESIS.to_string();
            for (n, e) in events.iter().enumerate() {
                prop_assert_eq!(e.seq, n as i64 + 1);
                prop_assert_eq!(&e.prev_hash, &head);
                head = e.hash.clone();
            }
            prop_assert_eq!(&buffer.chains[*chain], &(kept_events[c], head));
        }
    }
}

#[test]
fn nul_is_found_only_in_what_was_buffered_since_the_mark() {
    let mut buffer = Buffer::default();
    buffer.insert_voucher(&voucher("v1", "p", "has \0 NUL"), &[]).unwrap();
    let mark = buffer.mark();
    assert!(!buffer.holds_nul_since(&mark));
    let mut l = line("v2", "p", 1);
    l.summary = "\0".into();
    buffer.insert_voucher(&voucher("v2", "p", "clean"), &[l]).unwrap();
    assert!(buffer.holds_nul_since(&mark));
    buffer.rewind(mark);
    assert!(!buffer.holds_nul_since(&buffer.mark()));
    assert_eq!(buffer.vouchers.len(), 1);
}

#[test]
fn an_invoice_number_goes_to_one_request_of_a_batch_and_a_refused_one_gives_it_back() {
    let numbers = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let claimed = numbers(&["11111111", "22222222"]).into_iter().collect();
    let mut buffer = Buffer { invoices: Invoices { claimed, used: Vec::new() }, ..Buffer::default() };
    // Held by a voucher outside the batch: the batch could not claim it.
    assert_eq!(buffer.claim_invoices(&numbers(&["33333333"])).unwrap_err().code, Code::DuplicateInvoice);
    // A request refused later (say for want of money) is rewound, and its number with it.
    let mark = buffer.mark();
    buffer.claim_invoices(&numbers(&["11111111"])).unwrap();
    buffer.rewind(mark);
    buffer.claim_invoices(&numbers(&["11111111"])).unwrap();
    // A second request of the batch with the same number is refused.
    let err = buffer.claim_invoices(&numbers(&["22222222", "11111111"])).unwrap_err();
    assert_eq!((err.code, err.extra["number"].as_str()), (Code::DuplicateInvoice, Some("11111111")));
    assert_eq!(buffer.invoices.used, numbers(&["11111111"]), "a refused claim takes none of its numbers");
    assert_eq!(buffer.invoices.unused(), numbers(&["22222222"]), "given back before the write");
}
