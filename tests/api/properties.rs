//! Invariants as properties over HTTP: random streams of requests against real projects on every
//! backend leave balanced books whose maintained balances equal the journal recomputed (today and as of every day a voucher is dated), with no
//! account below what its rules allow and a chain that verifies.

use crate::common::{assert_books_consistent, fen, World};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

#[derive(Debug, Clone)]
enum Op {
    Disburse(u32),
    Spend { category: usize, yuan: u32, accrue: bool, flagged: bool, day: u32 },
    PayPayables(u32),
    Decide { pick: usize, approve: bool },
    Reverse { pick: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u32..300_000).prop_map(Op::Disburse),
        (0usize..3, 1u32..200_000, any::<bool>(), any::<bool>(), 1u32..21)
            .prop_map(|(category, yuan, accrue, flagged, day)| { Op::Spend { category, yuan, accrue, flagged, day } }),
        (1u32..100_000).prop_map(Op::PayPayables),
        (any::<usize>(), any::<bool>()).prop_map(|(pick, approve)| Op::Decide { pick, approve }),
        any::<usize>().prop_map(|pick| Op::Reverse { pick }),
    ]
}

fn yuan(n: u32) -> String {
    format!("{n}.{:02}", n % 100)
}

fn run(w: &World, ops: &[Op]) {
    let p = w.base_project("2025-03-01");
    let path = format!("/projects/{p}/vouchers");
    let mut pending: Vec<String> = Vec::new();
    let mut posted: Vec<String> = Vec::new();
    // A model of what the answers said: the expense of each voucher (0 for disbursements), and
    // what is implemented and pending review because of them.
    let mut expense: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    let (mut implemented, mut pending_review) = (0i64, 0i64);
    for op in ops {
        let r = match op {
            Op::Disburse(n) => w.disburse(&p, "2025-04-01", &yuan(*n)),
            Op::Spend { category, yuan: n, accrue, flagged, day } => {
                let account = ["equipment", "materials", "other_training"][*category];
                let summary = if *flagged { "召开培训工作研讨会餐费" } else { "采购实训耗材" };
                let credit = if *accrue { "2202" } else { "1002" };
                w.post(
                    &w.unit,
                    &path,
                    json!({"date": format!("2025-05-{day:02}"), "summary": summary, "lines": [
                    {"account": account, "debit": yuan(*n), "summary": summary}, {"account": credit, "credit": yuan(*n)}]}),
                )
            }
            Op::PayPayables(n) => w.post(
                &w.unit,
                &path,
                json!({"date": "2025-05-02", "summary": "支付货款", "lines": [
                {"account": "2202", "debit": yuan(*n)}, {"account": "1002", "credit": yuan(*n)}]}),
            ),
            Op::Decide { pick, approve } if !pending.is_empty() => {
                let vid = pending.remove(pick % pending.len());
                let (verb, body) = if *approve { ("approve", json!({"note": "ok"})) } else { ("decline", json!({"reason": "no"})) };
                w.post(&w.finance, &format!("/projects/{p}/vouchers/{vid}/{verb}"), body)
            }
            Op::Reverse { pick } if !posted.is_empty() => {
                let vid = posted.remove(pick % posted.len());
                w.post(&w.finance, &format!("/projects/{p}/vouchers/{vid}/reverse"), json!({"date": "2025-05-25", "reason": "冲销"}))
            }
            _ => continue,
        };
        assert!(r.status < 500, "{op:?}: {r:?}");
        if matches!(r.status, 200 | 201) {
            let id = r.body["id"].as_str().unwrap().to_string();
            let spent: i64 = match op {
                Op::Spend { yuan: n, .. } => fen(&yuan(*n)),
                _ => expense.get(&id).copied().unwrap_or_default(),
            };
            match (op, r.body["status"].as_str()) {
                (Op::Spend { .. }, Some("pending_review")) => pending_review += spent,
                (Op::Spend { .. }, Some("posted")) => implemented += spent,
                (Op::Decide { approve: true, .. }, Some("posted")) => {
                    (pending_review, implemented) = (pending_review - spent, implemented + spent)
                }
                (Op::Decide { approve: false, .. }, Some("declined")) => pending_review -= spent,
                (Op::Reverse { .. }, Some("posted")) => {
                    implemented -= expense.get(r.body["reverses_id"].as_str().unwrap()).copied().unwrap_or_default()
                }
                _ => {}
            }
            if matches!(op, Op::Spend { .. }) {
                expense.insert(id.clone(), spent);
            }
            match r.body["status"].as_str() {
                Some("pending_review") => pending.push(id),
                Some("posted") if matches!(r.body["kind"].as_str(), Some("expense" | "disbursement")) => posted.push(id),
                _ => {}
            }
        }
    }
    assert_books_consistent(w, &p);
    let s = w.statement(&p);
    assert!(fen(s["available"].as_str().unwrap()) + fen(s["payables"].as_str().unwrap()) >= 0, "{s}");
    assert!(fen(s["implemented"].as_str().unwrap()) + fen(s["pending_review"].as_str().unwrap()) <= fen(s["grant"].as_str().unwrap()));
    assert_eq!(fen(s["implemented"].as_str().unwrap()), implemented, "what the answers posted: {s}");
    assert_eq!(fen(s["pending_review"].as_str().unwrap()), pending_review, "what the answers held for review: {s}");
}

#[test]
fn random_request_streams_keep_the_books_whole() {
    for db in crate::common::backends() {
        let w = World::new(db);
        let mut runner = TestRunner::new(Config { cases: 12, failure_persistence: None, ..Config::default() });
        runner
            .run(&proptest::collection::vec(op(), 5..30), |ops| {
                run(&w, &ops);
                Ok(())
            })
            .unwrap();
    }
}
