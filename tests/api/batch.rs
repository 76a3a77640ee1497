//! Postings that arrive together are committed together (SQLite's writer; PostgreSQL's posting
//! batches), yet each must get the answer it would get alone. Two service instances share one
//! database, as several processes would, and a burst over two projects mixes every kind of answer.

use crate::common::{assert_books_consistent, call, fen, items, Server, World};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Barrier;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// A 100.00 voucher that fits while money lasts.
    Fits,
    /// The same into a second project, which has room for exactly ten.
    FitsOther,
    /// One 50.00 voucher sent many times with the same Idempotency-Key.
    Repeat,
    /// A 100.00 voucher that goes to review.
    Review,
    /// A travel item: rejected.
    Travel,
    /// A summary holding NUL, which PostgreSQL cannot store.
    Nul,
    /// By a unit of another organisation: the project does not exist for it.
    OtherUnit,
    /// To a project that does not exist, all with one Idempotency-Key.
    NoProject,
    /// Finance reverses a 10.00 disbursement (not a posting batch's work; it only takes money away,
    /// so whatever was refused for want of money stays refused).
    Reverse,
}

#[test]
fn postings_committed_together_answer_as_if_alone() {
    for db in crate::common::backends() {
        let w = World::new(db);
        let second = Server::start(crate::common::settings(&w.fresh.url));
        let (p, q) = (w.base_project("2025-03-01"), w.base_project("2025-03-01"));
        assert_eq!(w.disburse(&p, "2025-03-02", "2000.00").status, 201);
        assert_eq!(w.disburse(&q, "2025-03-02", "1000.00").status, 201);
        let extra = w.disburse(&p, "2025-03-02", "10.00");
        assert_eq!(extra.status, 201, "{extra:?}");
        let extra_id = extra.body["id"].as_str().unwrap().to_string();
        let posted_trail = |project: &str| format!("/projects/{project}/audit-trail?action=voucher.posted&limit=500");
        let posted_before = items(&w.get(&w.inspector, &posted_trail(&p))).len();

        let mut kinds = vec![Kind::Fits; 24];
        kinds.extend([Kind::FitsOther; 12]);
        kinds.extend([Kind::Repeat; 8]);
        kinds.extend([Kind::Review; 2]);
        kinds.extend([Kind::Travel; 3]);
        kinds.extend([Kind::Nul; 2]);
        kinds.extend([Kind::OtherUnit; 3]);
        kinds.extend([Kind::NoProject; 3]);
        kinds.push(Kind::Reverse);
        let start = Barrier::new(kinds.len());
        let answers: Vec<(Kind, u16, Value)> = std::thread::scope(|s| {
            let handles: Vec<_> = kinds
                .iter()
                .enumerate()
                .map(|(i, &kind)| {
                    let base = if i % 2 == 0 { w.server.base.clone() } else { second.base.clone() };
                    let (w, p, q, extra_id, start) = (&w, &p, &q, &extra_id, &start);
                    s.spawn(move || {
                        let voucher = |account: &str, amount: &str, summary: &str| {
                            json!({"date": "2025-03-04", "summary": summary, "lines": [
                                {"account": account, "debit": amount, "summary": summary},
                                {"account": "1002", "credit": amount}]})
                        };
                        let vouchers = |project: &str| format!("{base}/projects/{project}/vouchers");
                        let (token, url, body, key) = match kind {
                            Kind::Fits => (&w.unit, vouchers(p), voucher("materials", "100.00", &format!("采购焊丝第{i}批")), None),
                            Kind::FitsOther => (&w.unit, vouchers(q), voucher("materials", "100.00", &format!("采购焊条第{i}批")), None),
                            Kind::Repeat => (&w.unit, vouchers(p), voucher("materials", "50.00", "采购砂轮片"), Some("repeat-1")),
                            Kind::Review => (&w.unit, vouchers(p), voucher("other_training", "100.00", "召开培训工作研讨会餐费"), None),
                            Kind::Travel => (&w.unit, vouchers(p), voucher("差旅费", "100.00", "出差"), None),
                            Kind::Nul => (&w.unit, vouchers(p), voucher("materials", "1.00", "采购\u{0}耗材"), None),
                            Kind::OtherUnit => (&w.other_unit, vouchers(p), voucher("materials", "100.00", "采购实训耗材"), None),
                            Kind::NoProject => {
                                let url = vouchers("00000000-0000-7000-8000-000000000000");
                                (&w.unit, url, voucher("materials", "100.00", "采购实训耗材"), Some("nowhere-1"))
                            }
                            Kind::Reverse => {
                                let url = format!("{base}/projects/{p}/vouchers/{extra_id}/reverse");
                                (&w.finance, url, json!({"date": "2025-03-04", "reason": "拨付金额有误"}), None)
                            }
                        };
                        let headers: Vec<(&str, &str)> = key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
                        start.wait();
                        let r = call("POST", &url, Some(token), Some(&body), &headers);
                        (kind, r.status, r.body)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });

        let of = |k: Kind| answers.iter().filter(move |a| a.0 == k);
        for (kind, status, body) in &answers {
            let code = body["code"].as_str().unwrap_or_default();
            let expected = match kind {
                Kind::Fits | Kind::FitsOther | Kind::Repeat | Kind::Review | Kind::Reverse => {
                    matches!((status, code), (201, _) | (409, "insufficient_funds"))
                }
                // Refused before it reaches a batch, on every backend (http::guard); the batch's own
                // isolation of a NUL is pinned by store::batch's unit tests.
                Kind::Nul => (*status, code) == (400, "malformed_request"),
                Kind::Travel => (*status, code) == (422, "voucher_rejected"),
                Kind::OtherUnit | Kind::NoProject => (*status, code) == (404, "not_found"),
            };
            assert!(expected, "{db:?} {kind:?}: {status} {body}");
        }
        // Every repeat of the key got one answer: one voucher, or the same refusal each time.
        let repeats: Vec<_> = of(Kind::Repeat).collect();
        assert!(repeats.iter().all(|a| a.1 == repeats[0].1), "{db:?}: {repeats:?}");
        if repeats[0].1 == 201 {
            assert!(repeats.iter().all(|a| a.2 == repeats[0].2), "{db:?}: a replay differs: {repeats:?}");
        }
        for r in of(Kind::Review).filter(|a| a.1 == 201) {
            assert_eq!(r.2["status"], "pending_review", "{r:?}");
        }
        assert_eq!(of(Kind::FitsOther).filter(|a| a.1 == 201).count(), 10, "{db:?}: the second project has room for ten");

        // The books hold exactly what the answers said; anything that fits was refused only once
        // the money had run out (money only leaves during the burst).
        let made = |project: &str| {
            let mut made: BTreeMap<String, (String, i64)> = BTreeMap::new();
            for (kind, status, body) in &answers {
                if *status == 201 && *kind != Kind::Reverse && body["project_id"] == project {
                    let total = fen(body["total"].as_str().unwrap());
                    made.insert(body["id"].as_str().unwrap().to_string(), (body["status"].as_str().unwrap().to_string(), total));
                }
            }
            made
        };
        let reversed = of(Kind::Reverse).any(|a| a.1 == 201);
        for (project, funds, refused_fits) in [
            (&p, 201_000 - if reversed { 1_000 } else { 0 }, of(Kind::Fits).any(|a| a.1 == 409)),
            (&q, 100_000, of(Kind::FitsOther).any(|a| a.1 == 409)),
        ] {
            let made = made(project);
            let implemented: i64 = made.values().filter(|m| m.0 == "posted").map(|m| m.1).sum();
            let pending: i64 = made.values().filter(|m| m.0 == "pending_review").map(|m| m.1).sum();
            let s = w.statement(project);
            assert_eq!(fen(s["implemented"].as_str().unwrap()), implemented, "{db:?}: {s}");
            assert_eq!(fen(s["pending_review"].as_str().unwrap()), pending, "{db:?}: {s}");
            assert_eq!(fen(s["available"].as_str().unwrap()), funds - implemented - pending, "{db:?}: {s}");
            if refused_fits {
                assert!(fen(s["available"].as_str().unwrap()) < 10_000, "{db:?}: a voucher that fits was refused: {s}");
            }
            assert_books_consistent(&w, project);
        }

        // Each refusal by the rules is on its project's chain once; nothing else is.
        let refused = |kinds: &[Kind]| answers.iter().filter(|a| kinds.contains(&a.0) && matches!(a.1, 409 | 422)).count();
        let trail = |project: &str, action: &str| {
            items(&w.get(&w.inspector, &format!("/projects/{project}/audit-trail?action={action}&limit=500"))).len()
        };
        let on_p = [Kind::Fits, Kind::Repeat, Kind::Review, Kind::Travel, Kind::Nul];
        assert_eq!(trail(&p, "voucher.refused"), refused(&on_p), "{db:?}");
        assert_eq!(trail(&q, "voucher.refused"), refused(&[Kind::FitsOther]), "{db:?}");
        assert_eq!(trail(&p, "reversal.refused"), refused(&[Kind::Reverse]), "{db:?}");
        // The reversal, if made, and every voucher the burst posted.
        let posted_now = made(&p).values().filter(|m| m.0 == "posted").count();
        assert_eq!(trail(&p, "voucher.posted"), posted_before + usize::from(reversed) + posted_now, "{db:?}");

        // A key whose requests all failed was not kept: it is free for the same user's next request.
        let body = json!({"date": "2025-03-05", "summary": "采购砂轮片", "lines": [
            {"account": "materials", "debit": "0.01"}, {"account": "1002", "credit": "0.01"}]});
        let again = w.post_idem(&w.unit, &format!("/projects/{p}/vouchers"), "nowhere-1", body.clone());
        assert!(matches!((again.status, again.code()), (201, _) | (409, "insufficient_funds")), "{db:?}: {again:?}");
        let replay = w.post_idem(&w.unit, &format!("/projects/{p}/vouchers"), "nowhere-1", body);
        assert_eq!((replay.status, &replay.body), (again.status, &again.body), "{db:?}");
    }
}
