//! Bulk import (`POST /projects/{id}/imports`): a large file posted whole, a refused row deep in
//! a large file leaving the books untouched, GB18030 and xlsx files, dry runs, replay by the
//! file's hash, the limits, the roles, and an import racing a single posting for one bank balance.
use crate::common::{all_vouchers, assert_books_consistent, backends, items, on_each_backend, settings, FreshDb, Resp, Server, World};
use serde_json::Value;
use std::fmt::Write as _;

const HEADER: &str = "voucher_ref,date,summary,account,debit,credit,line_summary,invoice_number,seller,seller_tax_id,attachments\n";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn import(w: &World, token: &str, p: &str, csv: &[u8], dry_run: bool) -> Resp {
    w.post_bytes(token, &format!("/projects/{p}/imports?dry_run={dry_run}"), "text/csv", csv)
}

/// `n` two-line vouchers of `amount` each: Dr materials, Cr the bank; `with(i)` may replace the
/// i-th voucher's two rows.
fn vouchers(n: usize, amount: &str, with: impl Fn(usize) -> Option<String>) -> String {
    let mut csv = String::from(HEADER);
    for i in 0..n {
        match with(i) {
            Some(rows) => csv.push_str(&rows),
            None => {
                let _ = write!(csv, "V{i},2025-03-04,采购焊丝,materials,{amount},,焊丝,,,,1\nV{i},,,1002,,{amount},银行付款,,,,\n");
            }
        }
    }
    csv
}

fn funded(w: &World, amount: &str) -> String {
    let p = w.base_project("2025-03-01");
    assert_eq!(w.disburse(&p, "2025-03-02", amount).status, 201);
    p
}

fn refusals_on_chain(w: &World, p: &str) -> Vec<Value> {
    items(&w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=import.refused&limit=500")))
}

#[test]
fn a_file_of_100_000_rows_posts_whole_and_the_same_file_again_gets_the_first_answer() {
    on_each_backend(|w| {
        let p = funded(&w, "200000.00");
        let csv = vouchers(50_000, "1.00", |_| None);
        let started = std::time::Instant::now();
        let r = import(&w, &w.unit, &p, csv.as_bytes(), false);
        eprintln!("{:?}: 50,000 vouchers (100,000 rows) imported in {:?}", w.db, started.elapsed());
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["vouchers"], 50_000);
        assert_eq!(r.body["lines"], 100_000);
        assert_eq!(r.body["posted"], 50_000);
        assert_eq!(r.body["pending_review"], 0);
        assert_eq!(r.body["total_debit"], "50000.00");
        assert_eq!(w.balance(&p, "1002"), "150000.00");

        let again = import(&w, &w.unit, &p, csv.as_bytes(), false);
        assert_eq!((again.status, &again.body), (201, &r.body), "the first answer, nothing posted twice");
        assert_eq!(w.balance(&p, "1002"), "150000.00");
        let listed = w.get(&w.finance, &format!("/projects/{p}/vouchers?limit=1&status=posted"));
        assert_eq!(listed.status, 200);
        let verified = w.verify(&p);
        assert_eq!(verified["valid"], true, "{verified}");
        let posted = items(&w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=import.posted&limit=500")));
        assert_eq!(posted.len(), 1, "one import event besides each voucher's own");
        assert_eq!(posted[0]["data"]["vouchers"], 50_000);
    });
}

#[test]
fn a_refused_row_deep_inside_a_large_file_leaves_the_books_untouched_and_every_refusal_is_listed() {
    on_each_backend(|w| {
        let p = funded(&w, "20000.00");
        assert_eq!(w.spend(&w.unit, &p, "2025-03-03", "materials", "10.00", "采购焊丝").status, 201);
        let before = all_vouchers(&w, &p).len();
        // 10,000 vouchers; 7,000 (row 14,002) is travel, 9,000 (row 18,002) has a bad amount.
        let csv = vouchers(10_000, "1.00", |i| match i {
            7_000 => Some("T,2025-03-04,出差,travel,1.00,,差旅费,,,,\nT,,,1002,,1.00,银行付款,,,,\n".into()),
            9_000 => Some("B,2025-03-04,采购焊丝,materials,1.001,,焊丝,,,,\nB,,,1002,,1.00,银行付款,,,,\n".into()),
            _ => None,
        });
        let r = import(&w, &w.unit, &p, csv.as_bytes(), false);
        assert_eq!((r.status, r.code()), (422, "import_rejected"), "{r:?}");
        let listed: Vec<(u64, &str)> =
            r.body["refusals"].as_array().unwrap().iter().map(|x| (x["row"].as_u64().unwrap(), x["code"].as_str().unwrap())).collect();
        assert_eq!(listed, [(14_002, "voucher_rejected"), (18_002, "invalid_amount")], "{}", r.body["refusals"]);
        assert_eq!(r.body["refused"], 2);
        assert_eq!(w.balance(&p, "1002"), "19990.00", "nothing posted");
        assert_eq!(all_vouchers(&w, &p).len(), before);
        let refused = refusals_on_chain(&w, &p);
        assert_eq!(refused.len(), 1, "one refusal event: {refused:?}");
        assert_eq!(refused[0]["data"]["code"], "import_rejected");
        assert_eq!(refused[0]["data"]["request"]["rows"], 20_000);
        assert_eq!(w.verify(&p)["valid"], true);
        assert_books_consistent(&w, &p);

        // Balances move row by row: the bank (19,990.00) pays the first 4 and refuses the rest.
        let csv = vouchers(7, "4000.00", |_| None);
        let r = import(&w, &w.unit, &p, csv.as_bytes(), true);
        assert_eq!((r.status, r.code()), (422, "import_rejected"), "{r:?}");
        let rows: Vec<u64> = r.body["refusals"].as_array().unwrap().iter().map(|x| x["row"].as_u64().unwrap()).collect();
        assert_eq!(rows, [10, 12, 14], "{}", r.body);
        assert!(r.body["refusals"].as_array().unwrap().iter().all(|x| x["code"] == "insufficient_funds"));
        assert_eq!(w.balance(&p, "1002"), "19990.00");
    });
}

#[test]
fn a_gb18030_file_a_dry_run_and_the_templates() {
    on_each_backend(|w| {
        let p = funded(&w, "5000.00");
        let csv = vouchers(3, "12.50", |i| {
            (i == 1).then(|| {
                "F,2025/3/5,采购实训耗材,materials,30.00,,钢板,25442000000123456789,赤峰市某五金机电有限公司,91350100M000100Y43,2\n\
                 F,2025/3/5,,materials,20.00,,运费,25442000000123456789,赤峰市某五金机电有限公司,91350100M000100Y43,\n\
                 F,2025-03-05,,1002,,50.00,银行付款,,,,\n"
                    .into()
            })
        });
        let (gb, _, lossy) = encoding_rs::GB18030.encode(&csv);
        assert!(!lossy && std::str::from_utf8(&gb).is_err(), "really GB18030, not UTF-8");

        let dry = import(&w, &w.unit, &p, &gb, true);
        assert_eq!(dry.status, 200, "{dry:?}");
        assert_eq!((dry.body["vouchers"].as_u64(), dry.body["lines"].as_u64()), (Some(3), Some(7)));
        assert_eq!(dry.body["total_debit"], "75.00");
        assert_eq!(dry.body["dry_run"], true);
        assert_eq!(w.balance(&p, "1002"), "5000.00", "a dry run posts nothing");
        let before = all_vouchers(&w, &p).len();

        let real = import(&w, &w.unit, &p, &gb, false);
        assert_eq!(real.status, 201, "{real:?}");
        assert_eq!(real.body["posted"], 3);
        assert_eq!(w.balance(&p, "1002"), "4925.00");
        let all = all_vouchers(&w, &p);
        assert_eq!(all.len(), before + 3);
        let f = all.iter().find(|v| v["summary"] == "采购实训耗材").expect("the GB18030 text reads back as UTF-8");
        assert_eq!(f["lines"][0]["invoice"]["number"], "25442000000123456789");
        assert_eq!(f["attachments"], 2);
        assert_books_consistent(&w, &p);

        // The same invoice in another file: refused as a single voucher would be.
        let dup = import(&w, &w.unit, &p, csv.replace("F,", "G,").as_bytes(), false);
        assert_eq!((dup.status, dup.code()), (422, "import_rejected"), "{dup:?}");
        assert!(dup.body["refusals"].as_array().unwrap().iter().any(|x| x["code"] == "duplicate_invoice"), "{}", dup.body);

        // The templates: a header and an example voucher, which imports as it is (the xlsx's in a
        // dry run first: the example's invoice is then taken by the CSV's real import).
        let xlsx = ureq::get(&w.url("/imports/template?format=xlsx")).set("Authorization", &format!("Bearer {}", w.unit)).call().unwrap();
        assert_eq!(xlsx.header("content-type"), Some(XLSX));
        let mut book = Vec::new();
        std::io::Read::read_to_end(&mut xlsx.into_reader(), &mut book).unwrap();
        let p3 = funded(&w, "1000.00");
        let r = w.post_bytes(&w.unit, &format!("/projects/{p3}/imports?dry_run=true"), XLSX, &book);
        assert_eq!((r.status, r.body["lines"].as_u64()), (200, Some(2)), "the xlsx template reads: {r:?}");
        let t = w.get(&w.unit, "/imports/template?format=csv");
        assert_eq!(t.status, 200);
        assert!(t.text.trim_start_matches('\u{feff}').starts_with("voucher_ref,date,summary,account,debit,credit"), "{}", t.text);
        let p2 = funded(&w, "1000.00");
        let r = import(&w, &w.finance, &p2, t.text.as_bytes(), false);
        assert_eq!((r.status, r.body["vouchers"].as_u64()), (201, Some(1)), "{r:?}");
        assert_eq!(w.get(&w.unit, "/imports/template?format=pdf").status, 422);
    });
}

#[test]
fn limits_roles_and_unreadable_files() {
    for db in backends() {
        let fresh = FreshDb::new(db);
        let mut s = settings(&fresh.url);
        s.imports.max_rows = 10;
        s.imports.max_bytes = 4096;
        let w = World::on(db, Server::start(s), fresh);
        let p = funded(&w, "1000.00");
        let eleven = vouchers(6, "1.00", |_| None);
        let r = import(&w, &w.unit, &p, eleven.as_bytes(), false);
        assert_eq!((r.status, r.code()), (413, "payload_too_large"), "{r:?}");
        let big = format!("{HEADER}{}", "x".repeat(5000));
        assert_eq!(import(&w, &w.unit, &p, big.as_bytes(), false).status, 413);
        let ten = vouchers(5, "1.00", |_| None);
        assert_eq!(import(&w, &w.unit, &p, ten.as_bytes(), true).status, 200);

        for token in [&w.hr, &w.inspector, &w.admin] {
            assert_eq!(import(&w, token, &p, ten.as_bytes(), false).status, 403);
        }
        assert_eq!(import(&w, &w.other_unit, &p, ten.as_bytes(), false).status, 404, "another unit's project does not exist for it");
        assert_eq!(w.post_bytes(&w.unit, &format!("/projects/{p}/imports"), "application/pdf", b"%PDF").status, 415);
        let r = import(&w, &w.unit, &p, b"voucher_ref,date,colour\n", false);
        assert_eq!((r.status, r.code()), (422, "validation_failed"), "{r:?}");
        assert_eq!(import(&w, &w.unit, &p, b"\xff\xfe\x00\x00garbage", false).status, 422);
        assert_eq!(w.post_bytes(&w.unit, &format!("/projects/{p}/imports?dry_run=maybe"), "text/csv", ten.as_bytes()).status, 422);
        assert_eq!(w.balance(&p, "1002"), "1000.00");
    }
}

#[test]
fn an_import_racing_a_posting_for_the_same_bank_balance_never_overdraws() {
    on_each_backend(|w| {
        for round in 0..3 {
            let p = funded(&w, "1000.00");
            // 400 vouchers of 1.50 = 600.00 against a single voucher of 800.00: only one fits.
            let csv = vouchers(400, "1.50", |_| None);
            let barrier = std::sync::Barrier::new(2);
            let (imported, spent) = std::thread::scope(|s| {
                let a = s.spawn(|| {
                    barrier.wait();
                    import(&w, &w.unit, &p, csv.as_bytes(), false)
                });
                let b = s.spawn(|| {
                    barrier.wait();
                    w.spend(&w.finance, &p, "2025-03-05", "materials", "800.00", "采购焊丝")
                });
                (a.join().unwrap(), b.join().unwrap())
            });
            let ok = (imported.status == 201, spent.status == 201);
            assert!(ok.0 != ok.1, "round {round}: exactly one fits: {imported:?} / {spent:?}");
            let balance = w.balance(&p, "1002");
            if ok.0 {
                assert_eq!((spent.status, spent.code()), (409, "insufficient_funds"));
                assert_eq!(balance, "400.00");
            } else {
                assert_eq!((imported.status, imported.code()), (422, "import_rejected"));
                assert_eq!(balance, "200.00");
            }
            assert_books_consistent(&w, &p);
        }
    });
}
