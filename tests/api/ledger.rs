//! Issue 3: the money core over HTTP, on every backend — vouchers, guards, idempotency,
//! reversals, reviews, statements, and concurrency.

use crate::common::{all_vouchers, assert_books_consistent, call, items, on_each_backend, Server, World};
use serde_json::{json, Value};

#[test]
fn disburse_post_and_read_statement() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        let r = w.disburse(&p, "2025-03-10", "200000.00");
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!((r.body["number"].as_i64(), r.body["status"].as_str()), (Some(2), Some("posted")));
        let r = w.spend(&w.unit, &p, "2025-03-15", "equipment", "120000.50", "采购工业机器人实训工作站2套");
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["number"], 3);
        assert_eq!(r.body["lines"][0]["account"], "500101");
        assert_eq!(r.body["lines"][0]["classification"]["verdict"], "allowed");
        // Accrued, not yet paid: Dr materials / Cr payables, then paid from the bank.
        let r = w.post(
            &w.unit,
            &format!("/projects/{p}/vouchers"),
            json!({"date": "2025-03-16", "summary": "购买电工实训用导线", "lines": [
            {"account": "500102", "debit": "3000", "summary": "购买电工实训用导线、开关、接线端子"},
            {"account": "2202", "credit": "3000"}]}),
        );
        assert_eq!(r.status, 201, "{r:?}");
        let s = w.statement(&p);
        assert_eq!(s["grant"], "500000.00");
        assert_eq!(s["disbursed"], "200000.00");
        assert_eq!(s["undisbursed"], "300000.00");
        assert_eq!(s["bank_balance"], "79999.50");
        assert_eq!(s["payables"], "3000.00");
        assert_eq!(s["implemented"], "123000.50");
        assert_eq!(s["available"], "76999.50");
        assert_eq!(s["recoverable"], "376999.50");
        assert_eq!(s["utilization"], "0.2460");
        assert_eq!(s["period"]["end_date"], "2027-02-28");
        let eq = s["by_category"].as_array().unwrap().iter().find(|c| c["category"] == "equipment").unwrap().clone();
        assert_eq!(eq["amount"], "120000.50");
        let r = w.post(
            &w.unit,
            &format!("/projects/{p}/vouchers"),
            json!({"date": "2025-03-20", "summary": "支付货款", "lines": [
            {"account": "2202", "debit": "3000.00"}, {"account": "1002", "credit": "3000.00"}]}),
        );
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(w.balance(&p, "2202"), "0.00");
        // As of a past date, the books show only what was posted by then.
        let past = w.get(&w.finance, &format!("/projects/{p}/statement?as_of=2025-03-12"));
        assert_eq!(past.body["statement"]["bank_balance"], "200000.00");
        assert_eq!(past.body["statement"]["implemented"], "0.00");
        let ledger = w.get(&w.finance, &format!("/projects/{p}/ledger?account=1002"));
        let entries = ledger.body["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2]["balance"], "76999.50");
        let later = w.get(&w.finance, &format!("/projects/{p}/ledger?account=bank&from=2025-03-16"));
        assert_eq!(later.status, 422, "slugs only name expenditure accounts: {later:?}");
        let later = w.get(&w.finance, &format!("/projects/{p}/ledger?account=1002&from=2025-03-16"));
        assert_eq!(later.body["opening_balance"], "79999.50");
        let csv = w.get(&w.finance, &format!("/projects/{p}/trial-balance?format=csv"));
        assert!(csv.content_type.starts_with("text/csv"));
        assert!(csv.text.starts_with('\u{feff}'), "CSV starts with a BOM for Excel");
        assert!(csv.text.contains("500101"));
        assert_books_consistent(&w, &p);
    });
}

#[test]
fn guards_refuse_and_write_nothing() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        let vouchers = format!("/projects/{p}/vouchers");
        assert_eq!(w.disburse(&p, "2025-03-02", "1000.00").status, 201);
        let r = w.spend(&w.unit, &p, "2025-03-03", "equipment", "1000.01", "采购焊机");
        assert_eq!((r.status, r.code()), (409, "insufficient_funds"), "{r:?}");
        assert_eq!(r.body["available"], "1000.00");
        let r = w.disburse(&p, "2025-03-03", "499000.01");
        assert_eq!((r.status, r.code()), (409, "grant_exceeded"), "{r:?}");
        let r = w.spend(&w.unit, &p, "2027-03-01", "equipment", "1.00", "采购焊机");
        assert_eq!((r.status, r.code()), (422, "out_of_period"));
        let r = w.spend(&w.unit, &p, "2025-02-28", "equipment", "1.00", "采购焊机");
        assert_eq!((r.status, r.code()), (422, "out_of_period"));
        for bad in [json!(12.5), json!("12.345"), json!("-5"), json!("0"), json!("1000000000000.00"), json!("1e3"), json!(true)] {
            let r = w.post(
                &w.unit,
                &vouchers,
                json!({"date": "2025-03-03", "summary": "x", "lines": [
                {"account": "equipment", "debit": bad}, {"account": "1002", "credit": "1.00"}]}),
            );
            assert_eq!((r.status, r.code()), (422, "invalid_amount"), "{bad}: {r:?}");
        }
        let r = w.post(
            &w.unit,
            &vouchers,
            json!({"date": "2025-03-03", "summary": "x", "lines": [
            {"account": "equipment", "debit": "2.00"}, {"account": "1002", "credit": "1.00"}]}),
        );
        assert_eq!((r.status, r.code()), (422, "unbalanced_voucher"));
        let r = w.post(&w.unit, &vouchers, json!({"date": "2025-03-03", "summary": "x", "lines": []}));
        assert_eq!(r.status, 422);
        let r = w.post(
            &w.unit,
            &vouchers,
            json!({"date": "2025-03-03", "summary": "x", "lines": [
            {"account": "equipment", "debit": "1.00", "credit": "1.00"}, {"account": "1002", "credit": "1.00"}]}),
        );
        assert_eq!((r.status, r.code()), (422, "invalid_line"));
        let r = w.post(
            &w.unit,
            &vouchers,
            json!({"date": "2025-03-03", "summary": "x", "lines": [
            {"account": "999999", "debit": "1.00"}, {"account": "1002", "credit": "1.00"}]}),
        );
        assert_eq!((r.status, r.code()), (422, "unknown_account"));
        let r = w.post(
            &w.unit,
            &vouchers,
            json!({"date": "2025-03-03", "summary": "挪用", "lines": [
            {"account": "1221", "debit": "1.00"}, {"account": "1002", "credit": "1.00"}]}),
        );
        assert_eq!((r.status, r.code()), (403, "forbidden"), "a unit may not touch 1221");
        let r = w.post(
            &w.finance,
            &vouchers,
            json!({"date": "2025-03-03", "summary": "x", "lines": [
            {"account": "1002", "debit": "1.00"}, {"account": "2401", "credit": "1.00"}]}),
        );
        assert_eq!((r.status, r.code()), (403, "forbidden"), "nor may finance inflate the grant fund through a voucher");
        let r = w.post(
            &w.unit,
            &vouchers,
            json!({"date": "2025-03-03", "summary": "借款", "lines": [
            {"account": "1002", "debit": "500.00"}, {"account": "2202", "credit": "500.00"}]}),
        );
        assert_eq!((r.status, r.code()), (422, "invalid_line"), "money from nothing: {r:?}");
        let r = w.post(
            &w.unit,
            &vouchers,
            json!({"date": "2025-03-03", "summary": "退货退款", "lines": [
            {"account": "1002", "debit": "0.50"}, {"account": "materials", "credit": "0.50"}]}),
        );
        assert_eq!((r.status, r.code()), (409, "negative_balance"), "a refund cannot exceed what was spent: {r:?}");
        let lines: Vec<Value> = (0..201).map(|_| json!({"account": "equipment", "debit": "1.00"})).collect();
        let r = w.post(&w.unit, &vouchers, json!({"date": "2025-03-03", "summary": "x", "lines": lines}));
        assert_eq!(r.status, 422);
        // Suspended: nothing posts.
        let r = w.post(&w.hr, &format!("/projects/{p}/status"), json!({"status": "suspended", "reason": "整改"}));
        assert_eq!(r.status, 200, "{r:?}");
        let r = w.spend(&w.unit, &p, "2025-03-03", "equipment", "1.00", "采购焊机");
        assert_eq!((r.status, r.code()), (409, "project_not_active"));
        // The problem's own `status` stays the HTTP status; the project's is beside it.
        assert_eq!((r.body["status"].as_u64(), r.body["project_status"].as_str()), (Some(409), Some("suspended")), "{r:?}");
        // The status is checked before the lines are classified (a voucher may be classified
        // before it reaches the lock, but its verdict still comes in this order).
        let r = w.spend(&w.unit, &p, "2025-03-03", "no-such-account", "1.00", "采购焊机");
        assert_eq!((r.status, r.code()), (409, "project_not_active"), "{r:?}");
        let r = w.spend(&w.unit, &p, "2025-03-03", "equipment", "1.00", "赴北京差旅机票");
        assert_eq!((r.status, r.code()), (409, "project_not_active"), "{r:?}");
        let s = w.statement(&p);
        assert_eq!((s["bank_balance"].as_str(), s["implemented"].as_str()), (Some("1000.00"), Some("0.00")));
        // Refusals by the rules are on the chain, and no number was used.
        let trail = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=voucher.refused&limit=500"));
        let codes: Vec<String> = items(&trail).iter().map(|e| e["data"]["code"].as_str().unwrap().to_string()).collect();
        assert!(codes.contains(&"insufficient_funds".to_string()) && codes.contains(&"project_not_active".to_string()), "{codes:?}");
        assert_books_consistent(&w, &p);
    });
}

#[test]
fn idempotent_replay_and_conflict() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        let path = format!("/projects/{p}/disbursements");
        let body = json!({"date": "2025-03-02", "amount": "100.00", "reference": "r1"});
        let a = w.post_idem(&w.finance, &path, "key-1", body.clone());
        let b = w.post_idem(&w.finance, &path, "key-1", body.clone());
        assert_eq!(a.status, 201);
        assert_eq!((b.status, &b.body), (201, &a.body), "replay returns the original response");
        let c = w.post_idem(&w.finance, &path, "key-1", json!({"date": "2025-03-02", "amount": "101.00", "reference": "r1"}));
        assert_eq!((c.status, c.code()), (409, "idempotency_conflict"));
        assert_eq!(w.balance(&p, "1002"), "100.00");
        let bad = w.post_idem(&w.finance, &path, &"k".repeat(129), body.clone());
        assert_eq!(bad.status, 400);
        // Keys are per user: another user's same key is a different request.
        let fin2 = w.user("fin2", "finance", None);
        assert!(!fin2.is_empty());
        let t2 = w.login("fin2", "password-123");
        assert_eq!(w.post_idem(&t2, &path, "key-1", body).status, 201);
        assert_eq!(w.balance(&p, "1002"), "200.00");
        assert_books_consistent(&w, &p);
    });
}

#[test]
fn reversal_is_red_ink_and_only_once() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-02", "5000.00");
        let v = w.spend(&w.unit, &p, "2025-03-03", "materials", "800.00", "购买焊条");
        let vid = v.body["id"].as_str().unwrap().to_string();
        let path = format!("/projects/{p}/vouchers/{vid}/reverse");
        let r = w.post(&w.unit, &path, json!({"date": "2025-03-04", "reason": "重复入账"}));
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["kind"], "reversal");
        assert_eq!(r.body["reverses_id"], vid.as_str());
        assert_eq!(r.body["lines"][0]["credit"], "800.00");
        let orig = w.get(&w.unit, &format!("/projects/{p}/vouchers/{vid}"));
        assert_eq!(orig.body["status"], "reversed");
        assert_eq!(orig.body["reversed_by_id"], r.body["id"]);
        let again = w.post(&w.unit, &path, json!({"date": "2025-03-04", "reason": "again"}));
        assert_eq!((again.status, again.code()), (409, "already_reversed"));
        let rr = w.post(
            &w.unit,
            &format!("/projects/{p}/vouchers/{}/reverse", r.body["id"].as_str().unwrap()),
            json!({"date": "2025-03-04", "reason": "x"}),
        );
        assert_eq!(rr.status, 409, "a reversal is not reversed again: {rr:?}");
        assert_eq!(w.balance(&p, "1002"), "5000.00");
        assert_eq!(w.statement(&p)["implemented"], "0.00");
        // A unit may not reverse the finance bureau's disbursement; reversing it would overdraw anyway.
        let d = all_vouchers(&w, &p).into_iter().find(|v| v["kind"] == "disbursement").unwrap();
        let r = w.post(
            &w.unit,
            &format!("/projects/{p}/vouchers/{}/reverse", d["id"].as_str().unwrap()),
            json!({"date": "2025-03-05", "reason": "x"}),
        );
        assert_eq!(r.status, 409, "{r:?}");
        assert_books_consistent(&w, &p);
    });
}

#[test]
fn review_reserves_money_until_decided() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-02", "1000.00");
        let r = w.spend(&w.unit, &p, "2025-03-03", "other_training", "600.00", "召开培训工作研讨会餐费");
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["status"], "pending_review");
        assert!(r.body["number"].is_null());
        let pending_id = r.body["id"].as_str().unwrap().to_string();
        let s = w.statement(&p);
        assert_eq!((s["available"].as_str(), s["pending_review"].as_str()), (Some("400.00"), Some("600.00")));
        // As of the day before it is dated, the voucher holds nothing back.
        let past = w.get(&w.finance, &format!("/projects/{p}/statement?as_of=2025-03-02")).body["statement"].clone();
        assert_eq!((past["available"].as_str(), past["pending_review"].as_str()), (Some("1000.00"), Some("0.00")), "{past}");
        let on_its_day = w.get(&w.finance, &format!("/projects/{p}/statement?as_of=2025-03-03")).body["statement"].clone();
        assert_eq!(on_its_day["pending_review"], "600.00", "{on_its_day}");
        let r = w.spend(&w.unit, &p, "2025-03-03", "equipment", "400.01", "采购台钻");
        assert_eq!(r.code(), "insufficient_funds", "the reservation holds: {r:?}");
        let q = w.get(&w.finance, "/reviews?status=pending");
        assert_eq!(items(&q).len(), 1);
        assert_eq!(w.get(&w.unit, "/reviews").status, 403);
        let a = w.post(&w.finance, &format!("/projects/{p}/vouchers/{pending_id}/approve"), json!({"note": "会议餐费符合标准"}));
        assert_eq!(a.status, 200, "{a:?}");
        assert_eq!((a.body["status"].as_str(), a.body["number"].as_i64()), (Some("posted"), Some(3)));
        let bad = ureq::post(&w.url(&format!("/projects/{p}/vouchers/{pending_id}/approve")))
            .set("Authorization", &format!("Bearer {}", w.finance))
            .set("Content-Type", "application/json")
            .send_string("{\"note\": ");
        assert!(matches!(bad, Err(ureq::Error::Status(400, _))), "malformed JSON is a 400, not an empty note");
        let again = w.post(&w.finance, &format!("/projects/{p}/vouchers/{pending_id}/approve"), json!({}));
        assert_eq!((again.status, again.code()), (409, "not_pending"));
        let r = w.spend(&w.unit, &p, "2025-03-04", "other_training", "300.00", "培训期间学员餐费");
        let second = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(r.body["status"], "pending_review", "{r:?}");
        let d = w.post(&w.finance, &format!("/projects/{p}/vouchers/{second}/decline"), json!({"reason": "超标准"}));
        assert_eq!((d.status, d.body["status"].as_str()), (200, Some("declined")));
        let s = w.statement(&p);
        assert_eq!(
            (s["available"].as_str(), s["pending_review"].as_str(), s["implemented"].as_str()),
            (Some("400.00"), Some("0.00"), Some("600.00"))
        );
        assert_books_consistent(&w, &p);
    });
}

#[test]
fn rejected_vouchers_post_nothing_and_are_audited() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-02", "1000.00");
        let r = w.post(
            &w.unit,
            &format!("/projects/{p}/vouchers"),
            json!({"date": "2025-03-03", "summary": "报销", "lines": [
            {"account": "teacher_training", "debit": "300.00", "summary": "选派2名教师参加国家级师资研修班培训费"},
            {"account": "teacher_training", "debit": "200.00", "summary": "教师参加研修班往返动车票"},
            {"account": "1002", "credit": "500.00"}]}),
        );
        assert_eq!((r.status, r.code()), (422, "voucher_rejected"), "{r:?}");
        let lines = r.body["lines"].as_array().unwrap();
        assert_eq!(lines[0]["verdict"], "allowed");
        assert_eq!(lines[1]["verdict"], "rejected");
        assert!(lines[1]["reasons"].as_array().unwrap().iter().any(|x| x["code"] == "travel_expense"));
        let r = w.spend(&w.unit, &p, "2025-03-03", "差旅费", "10.00", "出差");
        assert_eq!(r.code(), "voucher_rejected");
        let r = w.spend(&w.unit, &p, "2025-03-03", "apprentice_allowance", "10.00", "发放带徒津贴");
        assert_eq!(r.code(), "voucher_rejected", "a studio category on a base: {r:?}");
        let ok = w.spend(&w.unit, &p, "2025-03-04", "equipment", "10.00", "支付激光切割机搬运及运费");
        assert_eq!((ok.status, ok.body["number"].as_i64()), (201, Some(3)), "rejections used no number: {ok:?}");
        let trail = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=voucher.refused"));
        assert_eq!(items(&trail).len(), 3);
        assert_eq!(items(&trail)[0]["data"]["code"], "voucher_rejected");
        let dry = w.post(
            &w.unit,
            "/classify",
            json!({"project_kind": "studio", "lines": [
            {"account": "exchange_promotion", "summary": "领办人出差参加技能交流活动差旅费"},
            {"account": "operating", "summary": "工作室宽带及电费"}]}),
        );
        assert_eq!(dry.status, 200, "{dry:?}");
        assert_eq!((dry.body["verdict"].as_str(), dry.body["lines"][1]["verdict"].as_str()), (Some("rejected"), Some("allowed")));
        assert_books_consistent(&w, &p);
    });
}

/// 40 parallel vouchers against a bank balance that fits 25, sent to two service instances
/// sharing one database (as several processes would): exactly 25 post, numbers stay contiguous.
#[test]
fn concurrent_postings_never_overdraw() {
    for db in crate::common::backends() {
        let w = World::new(db);
        let second = Server::start(crate::common::settings(&w.fresh.url));
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-02", "2500.00").status, 201);
        let results: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..40)
                .map(|i| {
                    let base = if i % 2 == 0 { w.server.base.clone() } else { second.base.clone() };
                    let (token, p) = (w.unit.clone(), p.clone());
                    s.spawn(move || {
                        let body = json!({"date": "2025-03-03", "summary": format!("采购实训耗材第{i}批"), "lines": [
                            {"account": "materials", "debit": "100.00", "summary": "购买焊丝"},
                            {"account": "1002", "credit": "100.00"}]});
                        call("POST", &format!("{base}/projects/{p}/vouchers"), Some(&token), Some(&body), &[]).status
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|s| **s == 201).count(), 25, "{db:?}: {results:?}");
        assert_eq!(results.iter().filter(|s| **s == 409).count(), 15, "{db:?}: {results:?}");
        assert_eq!(w.balance(&p, "1002"), "0.00");
        assert_books_consistent(&w, &p);
    }
}

#[test]
fn all_projects_statement_has_totals() {
    on_each_backend(|w| {
        let a = w.base_project("2025-03-01");
        let b = w.studio_project("2025-03-01");
        w.disburse(&a, "2025-03-02", "100000.00");
        w.disburse(&b, "2025-03-02", "50000.00");
        w.spend(&w.unit, &b, "2025-03-05", "studio_equipment", "12000.00", "购置数字化电焊机一台");
        let r = w.get(&w.finance, "/statements");
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["totals"]["projects"], 2);
        assert_eq!(r.body["totals"]["grant"], "550000.00");
        assert_eq!(r.body["totals"]["disbursed"], "150000.00");
        assert_eq!(r.body["totals"]["implemented"], "12000.00");
        let r = w.get(&w.finance, "/statements?kind=studio");
        assert_eq!(r.body["totals"]["projects"], 1);
        // A filtered list reads only its projects' accounts; the figures are the same.
        assert_eq!((&r.body["totals"]["disbursed"], &r.body["totals"]["implemented"]), (&json!("50000.00"), &json!("12000.00")), "{r:?}");
        let r = w.get(&w.inspector, "/statements?region=红山区&format=csv");
        assert_eq!(r.text.lines().count(), 3, "header and two rows: {}", r.text);
    });
}

/// The portfolio as of a past day shows each project's statement as of that day, as the
/// project's own statement shows it: the days of both projects, a voucher awaiting review dated
/// then and a reversal dated later included.
#[test]
fn all_projects_as_of_a_day_agree_with_each_projects_statement() {
    on_each_backend(|w| {
        let a = w.base_project("2025-03-01");
        let b = w.studio_project("2025-03-01");
        w.disburse(&a, "2025-03-02", "100000.00");
        w.disburse(&b, "2025-03-03", "50000.00");
        let spent = w.spend(&w.unit, &b, "2025-03-05", "studio_equipment", "12000.00", "购置数字化电焊机一台");
        w.spend(&w.unit, &a, "2025-04-10", "materials", "800.00", "采购焊条");
        let held = w.spend(&w.unit, &a, "2025-04-12", "materials", "900.00", "召开培训工作研讨会餐费");
        assert_eq!(held.body["status"], "pending_review", "{held:?}");
        let vid = spent.body["id"].as_str().unwrap();
        let r = w.post(&w.finance, &format!("/projects/{b}/vouchers/{vid}/reverse"), json!({"date": "2025-05-01", "reason": "重复入账"}));
        assert_eq!(r.status, 201, "{r:?}");
        for day in ["2025-03-01", "2025-03-02", "2025-03-04", "2025-04-11", "2025-04-12", "2025-04-30", "2025-05-01", "2026-01-01"] {
            let all = w.get(&w.finance, &format!("/statements?as_of={day}"));
            assert_eq!(all.status, 200, "{all:?}");
            let items = all.body["items"].as_array().unwrap();
            assert_eq!(items.len(), 2, "{all:?}");
            for item in items {
                let id = item["project_id"].as_str().unwrap();
                let one = w.get(&w.finance, &format!("/projects/{id}/statement?as_of={day}"));
                assert_eq!(item["statement"], one.body["statement"], "{id} as of {day}");
            }
        }
        let row = |day: &str, id: &str| {
            let all = w.get(&w.finance, &format!("/statements?as_of={day}"));
            all.body["items"].as_array().unwrap().iter().find(|i| i["project_id"] == id).unwrap()["statement"].clone()
        };
        assert_eq!(row("2025-03-04", &b)["disbursed"], "50000.00");
        assert_eq!(row("2025-03-05", &b)["implemented"], "12000.00");
        assert_eq!(row("2025-05-01", &b)["implemented"], "0.00");
        assert_eq!(row("2025-04-11", &a)["pending_review"], "0.00");
        assert_eq!(row("2025-04-12", &a)["pending_review"], "900.00");
    });
}

/// Another process holding SQLite's write lock past busy_timeout gets requests a retryable 503,
/// never a 500, and nothing is half-written; the same requests succeed once the lock is gone.
#[test]
fn a_held_write_lock_is_a_503_not_a_500() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let fresh = crate::common::FreshDb::new(crate::common::Db::Sqlite);
    let mut s = crate::common::settings(&fresh.url);
    s.database.busy_timeout_ms = 300;
    let server = Server::start(s);
    let w = World::on(crate::common::Db::Sqlite, server, fresh);
    let p = w.base_project("2025-03-01");
    w.disburse(&p, "2025-03-02", "100.00");
    let mut other = diesel::SqliteConnection::establish(&w.fresh.url).unwrap();
    other.batch_execute("BEGIN IMMEDIATE").unwrap();
    let r = w.spend(&w.unit, &p, "2025-03-03", "materials", "10.00", "购买焊丝");
    assert_eq!((r.status, r.code()), (503, "service_unavailable"), "{r:?}");
    let r = w.post(&w.admin, "/orgs", json!({"name": "locked out", "kind": "school", "region": "r"}));
    assert_eq!((r.status, r.code()), (503, "service_unavailable"), "{r:?}");
    other.batch_execute("ROLLBACK").unwrap();
    let r = w.spend(&w.unit, &p, "2025-03-03", "materials", "10.00", "购买焊丝");
    assert_eq!((r.status, r.body["number"].as_i64()), (201, Some(3)), "{r:?}");
    assert_books_consistent(&w, &p);
}

/// The finance bureau tightens the rules while a voucher waits: approval re-classifies it with the
/// rules in force and refuses what they now prohibit. A second service instance with the amended
/// rule file shares the database, as a restarted service would.
#[test]
fn approval_applies_the_rules_in_force() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-02", "1000.00");
        let r = w.spend(&w.unit, &p, "2025-03-03", "other_training", "300.00", "召开培训工作研讨会餐费");
        assert_eq!(r.body["status"], "pending_review", "{r:?}");
        let vid = r.body["id"].as_str().unwrap().to_string();
        let rules = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/classification.toml")).unwrap();
        let amended = rules
            .replace(r#"keywords = ["餐费", "用餐","#, r#"keywords = ["用餐","#)
            .replace(r#""福利", "慰问","#, r#""福利", "餐费", "慰问","#);
        assert_ne!(amended, rules, "the rule file changed shape; update this test");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("classification.toml");
        std::fs::write(&file, amended).unwrap();
        let mut s = crate::common::settings(&w.fresh.url);
        s.classification.rules = file;
        let stricter = Server::start(s);
        let r = call(
            "POST",
            &format!("{}/projects/{p}/vouchers/{vid}/approve", stricter.base),
            Some(&w.finance),
            Some(&json!({"note": "ok"})),
            &[],
        );
        assert_eq!((r.status, r.code()), (422, "voucher_rejected"), "{r:?}");
        assert_eq!(r.body["lines"][0]["reasons"][0]["code"], "unrelated_to_project", "{r:?}");
        let v = w.get(&w.finance, &format!("/projects/{p}/vouchers/{vid}"));
        assert_eq!(v.body["status"], "pending_review", "still waiting, nothing posted");
        assert_eq!(w.statement(&p)["implemented"], "0.00");
        assert_books_consistent(&w, &p);
    });
}

/// A statement is read from one snapshot: while pending vouchers are approved (their money moves
/// from the project's reservation to its accounts), every statement shows each voucher once —
/// implemented + pending review stays the same, bank + implemented is what was disbursed, and
/// the money available stays what it was.
#[test]
fn statements_are_consistent_while_reviews_are_decided() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-02", "100000.00");
        let pending: Vec<String> = (0..30)
            .map(|i| {
                let r = w.spend(&w.unit, &p, "2025-03-03", "other_training", "100.00", &format!("第{i}期培训学员餐费"));
                assert_eq!(r.body["status"], "pending_review", "{r:?}");
                r.body["id"].as_str().unwrap().to_string()
            })
            .collect();
        let deciding = std::sync::atomic::AtomicBool::new(true);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    let mut reads = 0;
                    while deciding.load(std::sync::atomic::Ordering::Relaxed) || reads == 0 {
                        let st = w.statement(&p);
                        let sum = crate::common::fen(st["implemented"].as_str().unwrap())
                            + crate::common::fen(st["pending_review"].as_str().unwrap());
                        assert_eq!(sum, 300_000, "each voucher counted once: {st}");
                        let bank = crate::common::fen(st["bank_balance"].as_str().unwrap());
                        assert_eq!(bank + crate::common::fen(st["implemented"].as_str().unwrap()), 10_000_000, "{st}");
                        assert_eq!(st["available"], "97000.00", "approval moves held money, it does not free any: {st}");
                        // What recovery would take back is read in one snapshot too: its figures agree.
                        let rec = w.get(&w.finance, &format!("/projects/{p}/recoverable")).body;
                        let f = |k: &str| crate::common::fen(rec[k].as_str().unwrap());
                        assert_eq!(
                            (f("implemented") + f("pending_review"), f("recoverable") + f("implemented")),
                            (300_000, 50_000_000),
                            "{rec}"
                        );
                        reads += 1;
                    }
                });
            }
            // The readers are stopped before anything is asserted, so a failed approval fails
            // the test instead of leaving them reading forever.
            let answers: Vec<_> = pending
                .iter()
                .map(|vid| w.post(&w.finance, &format!("/projects/{p}/vouchers/{vid}/approve"), json!({"note": "符合标准"})))
                .collect();
            deciding.store(false, std::sync::atomic::Ordering::Relaxed);
            for r in answers {
                assert_eq!(r.status, 200, "{r:?}");
            }
        });
        let st = w.statement(&p);
        assert_eq!(
            (st["implemented"].as_str(), st["pending_review"].as_str()),
            (Some("3000.00"), Some("0.00")),
            "every approval posted: {st}"
        );
        assert_books_consistent(&w, &p);
    });
}
