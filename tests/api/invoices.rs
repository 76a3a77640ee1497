//! Invoices on voucher lines: an invoice is reimbursed once across every project, however many
//! processes race for it; a declined or reversed voucher gives its number back; the seller's
//! unified social credit code is checked by its check character.
use crate::common::{all_vouchers, assert_books_consistent, call, items, on_each_backend, Server, World};
use serde_json::{json, Value};
use std::sync::Barrier;

const SELLER_CODE: &str = "91350100M000100Y43";

/// A two-line voucher whose expense line pays the invoice `number`.
fn with_invoice(account: &str, amount: &str, summary: &str, number: &str) -> Value {
    json!({"date": "2025-03-04", "summary": summary, "attachments": 1, "lines": [
        {"account": account, "debit": amount, "summary": summary,
         "invoice": {"number": number, "seller": "赤峰市某五金机电有限公司", "seller_tax_id": SELLER_CODE}},
        {"account": "1002", "credit": amount, "summary": "银行付款"}]})
}

fn submit(w: &World, project: &str, body: Value) -> crate::common::Resp {
    w.post(&w.unit, &format!("/projects/{project}/vouchers"), body)
}

fn funded(w: &World) -> String {
    let p = w.base_project("2025-03-01");
    assert_eq!(w.disburse(&p, "2025-03-02", "5000.00").status, 201);
    p
}

fn refusals(w: &World, project: &str) -> Vec<Value> {
    items(&w.get(&w.inspector, &format!("/projects/{project}/audit-trail?action=voucher.refused&limit=500")))
}

#[test]
fn an_invoice_is_reimbursed_once_in_a_project_and_refusal_is_audited() {
    on_each_backend(|w| {
        let p = funded(&w);
        let first = submit(&w, &p, with_invoice("materials", "120.00", "采购焊丝", "04403210"));
        assert_eq!(first.status, 201, "{first:?}");
        let line = &first.body["lines"][0]["invoice"];
        assert_eq!(line["number"], "04403210");
        assert_eq!(line["seller_tax_id"], SELLER_CODE);
        let before = all_vouchers(&w, &p).len();

        let again = submit(&w, &p, with_invoice("materials", "80.00", "采购焊条", "04403210"));
        assert_eq!((again.status, again.code()), (409, "duplicate_invoice"), "{again:?}");
        assert_eq!(again.body["number"], "04403210");
        assert_eq!(again.body["line"], 1);
        assert_eq!(all_vouchers(&w, &p).len(), before, "nothing posted");
        let refused = refusals(&w, &p);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0]["data"]["code"], "duplicate_invoice");
        // The posted voucher's invoice is on the chain with it.
        let posted = items(&w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=voucher.posted&limit=500")));
        assert!(posted.iter().any(|e| e["data"]["lines"][0]["invoice"]["number"] == "04403210"), "{posted:?}");
        assert_eq!(w.verify(&p)["valid"], true);
        assert_books_consistent(&w, &p);
    });
}

#[test]
fn an_invoice_is_reimbursed_once_across_projects() {
    on_each_backend(|w| {
        let (p, q) = (funded(&w), funded(&w));
        assert_eq!(submit(&w, &p, with_invoice("materials", "120.00", "采购焊丝", "25442000000123456789")).status, 201);
        let other = submit(&w, &q, with_invoice("materials", "120.00", "采购焊丝", "25442000000123456789"));
        assert_eq!((other.status, other.code()), (409, "duplicate_invoice"), "{other:?}");
        assert_eq!(refusals(&w, &q).len(), 1);
        // A different number is another invoice.
        assert_eq!(submit(&w, &q, with_invoice("materials", "120.00", "采购焊丝", "25442000000123456788")).status, 201);
    });
}

#[test]
fn one_invoice_may_be_spread_over_lines_of_one_voucher() {
    on_each_backend(|w| {
        let p = funded(&w);
        let invoice = json!({"number": "31000000", "seller": "某数控设备有限公司", "seller_tax_id": "91110108551385082Q"});
        let r = submit(
            &w,
            &p,
            json!({"date": "2025-03-04", "summary": "购置数控车床及运费", "lines": [
                {"account": "equipment", "debit": "900.00", "summary": "数控车床", "invoice": invoice},
                {"account": "equipment", "debit": "100.00", "summary": "运费", "invoice": invoice},
                {"account": "1002", "credit": "1000.00"}]}),
        );
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["lines"][1]["invoice"]["number"], "31000000");
        assert!(r.body["lines"][2].get("invoice").is_none(), "a line without an invoice shows none");
    });
}

#[test]
fn a_reversed_or_declined_voucher_frees_its_invoice() {
    on_each_backend(|w| {
        let p = funded(&w);
        let posted = submit(&w, &p, with_invoice("materials", "120.00", "采购焊丝", "11111111"));
        assert_eq!(posted.status, 201, "{posted:?}");
        let vid = posted.body["id"].as_str().unwrap();
        let r = w.post(&w.unit, &format!("/projects/{p}/vouchers/{vid}/reverse"), json!({"date": "2025-03-05", "reason": "金额有误"}));
        assert_eq!(r.status, 201, "{r:?}");
        assert!(r.body["lines"][0].get("invoice").is_none(), "the red-ink voucher claims nothing");
        let corrected = submit(&w, &p, with_invoice("materials", "102.00", "采购焊丝", "11111111"));
        assert_eq!(corrected.status, 201, "a reversed voucher frees its invoice: {corrected:?}");

        // A voucher held for review holds its invoice until it is declined.
        let held = submit(&w, &p, with_invoice("other_training", "100.00", "召开培训工作研讨会餐费", "22222222"));
        assert_eq!((held.status, held.body["status"].as_str()), (201, Some("pending_review")), "{held:?}");
        let while_held = submit(&w, &p, with_invoice("materials", "100.00", "采购焊丝", "22222222"));
        assert_eq!(while_held.code(), "duplicate_invoice", "{while_held:?}");
        let hid = held.body["id"].as_str().unwrap();
        let d = w.post(&w.finance, &format!("/projects/{p}/vouchers/{hid}/decline"), json!({"reason": "不属于培训支出"}));
        assert_eq!(d.status, 200, "{d:?}");
        assert_eq!(submit(&w, &p, with_invoice("materials", "100.00", "采购焊丝", "22222222")).status, 201);
        // The declined voucher still shows the invoice it named.
        let declined = w.get(&w.finance, &format!("/projects/{p}/vouchers/{hid}"));
        assert_eq!(declined.body["lines"][0]["invoice"]["number"], "22222222");
        assert_books_consistent(&w, &p);
    });
}

#[test]
fn a_bad_invoice_number_or_credit_code_is_unprocessable() {
    on_each_backend(|w| {
        let p = funded(&w);
        let cases = [
            ("1234567", SELLER_CODE, "lines[0].invoice.number"),
            ("12345678a", SELLER_CODE, "lines[0].invoice.number"),
            ("12345678", "91350100M000100Y44", "lines[0].invoice.seller_tax_id"),
            ("12345678", "913501000M00100Y43", "lines[0].invoice.seller_tax_id"),
            ("12345678", "91350100M000100Y4", "lines[0].invoice.seller_tax_id"),
        ];
        for (number, code, field) in cases {
            let mut body = with_invoice("materials", "10.00", "采购焊丝", number);
            body["lines"][0]["invoice"]["seller_tax_id"] = json!(code);
            let r = submit(&w, &p, body);
            assert_eq!((r.status, r.code()), (422, "validation_failed"), "{number} {code}: {r:?}");
            assert_eq!(r.body["errors"][0]["field"], field, "{r:?}");
        }
        // A lower-case code is the same code.
        let mut body = with_invoice("materials", "10.00", "采购焊丝", "12345678");
        body["lines"][0]["invoice"]["seller_tax_id"] = json!("91350100m000100y43");
        let r = submit(&w, &p, body);
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["lines"][0]["invoice"]["seller_tax_id"], SELLER_CODE);
    });
}

/// Many requests with one invoice number, from two service instances over one database (two
/// processes would do the same): exactly one is posted, every other is `duplicate_invoice`, and
/// the requests with numbers of their own, batched with them on PostgreSQL, are all posted.
#[test]
fn racing_requests_for_one_invoice_post_it_once() {
    on_each_backend(|w| {
        let second = Server::start(crate::common::settings(&w.fresh.url));
        let (p, q) = (funded(&w), funded(&w));
        const SAME: usize = 12;
        const OWN: usize = 8;
        let start = Barrier::new(SAME + OWN);
        let answers: Vec<(bool, u16, String)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..SAME + OWN)
                .map(|i| {
                    let base = if i % 2 == 0 { w.server.base.clone() } else { second.base.clone() };
                    let project = if i % 3 == 0 { &q } else { &p };
                    let (w, start) = (&w, &start);
                    s.spawn(move || {
                        let same = i < SAME;
                        let number = if same { "99999999".to_string() } else { format!("{:08}", 10_000_000 + i) };
                        let body = with_invoice("materials", "10.00", &format!("采购耗材第{i}批"), &number);
                        start.wait();
                        let r = call("POST", &format!("{base}/projects/{project}/vouchers"), Some(&w.unit), Some(&body), &[]);
                        (same, r.status, r.body["code"].as_str().unwrap_or_default().to_string())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let same: Vec<_> = answers.iter().filter(|a| a.0).collect();
        assert_eq!(same.iter().filter(|a| a.1 == 201).count(), 1, "{answers:?}");
        assert!(same.iter().all(|a| a.1 == 201 || (a.1, a.2.as_str()) == (409, "duplicate_invoice")), "{answers:?}");
        assert!(answers.iter().filter(|a| !a.0).all(|a| a.1 == 201), "{answers:?}");
        let holding: usize =
            [&p, &q].iter().map(|x| all_vouchers(&w, x).iter().filter(|v| v["lines"][0]["invoice"]["number"] == "99999999").count()).sum();
        assert_eq!(holding, 1);
        let refused = refusals(&w, &p).len() + refusals(&w, &q).len();
        assert_eq!(refused, SAME - 1);
        for x in [&p, &q] {
            assert_eq!(w.verify(x)["valid"], true);
            assert_books_consistent(&w, x);
        }
    });
}
