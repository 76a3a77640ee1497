//! Issue 16, red flags: `GET /projects/{id}/flags` and `GET /flags` name the patterns built here on
//! purpose (and not their near misses), filter, keep to the roles, and download as CSV and as a
//! workbook with the JSON's figures; the exports that list voucher lines carry each line's invoice.
use crate::common::{fen, items, on_each_backend, Resp, World};
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use chrono::Days;
use fundledger::domain::calendar;
use serde_json::{json, Value};
use std::io::{Cursor, Read};

const SELLER_A: (&str, &str) = ("赤峰市某五金机电有限公司", "91350100M000100Y43");
const SELLER_B: (&str, &str) = ("某数控设备有限公司", "91110108551385082Q");

/// An expense voucher on `materials` paying one invoice of `seller`.
fn bought(w: &World, p: &str, date: &str, amount: &str, invoice: &str, seller: (&str, &str)) -> String {
    let body = json!({"date": date, "summary": "采购焊丝", "attachments": 1, "lines": [
        {"account": "materials", "debit": amount, "summary": "采购焊丝",
         "invoice": {"number": invoice, "seller": seller.0, "seller_tax_id": seller.1}},
        {"account": "1002", "credit": amount, "summary": "银行付款"}]});
    posted(w.post(&w.unit, &format!("/projects/{p}/vouchers"), body))
}

fn posted(r: Resp) -> String {
    assert_eq!((r.status, r.body["status"].as_str()), (201, Some("posted")), "{r:?}");
    r.body["id"].as_str().unwrap().to_string()
}

fn spent(w: &World, p: &str, date: &str, amount: &str, attachments: i64) -> String {
    spent_on(w, p, ("equipment", "采购实训设备"), date, amount, attachments)
}

/// An expense voucher on `account` with `summary`.
fn spent_on(w: &World, p: &str, (account, summary): (&str, &str), date: &str, amount: &str, attachments: i64) -> String {
    let body = json!({"date": date, "summary": summary, "attachments": attachments, "lines": [
        {"account": account, "debit": amount, "summary": summary},
        {"account": "1002", "credit": amount, "summary": "银行付款"}]});
    posted(w.post(&w.unit, &format!("/projects/{p}/vouchers"), body))
}

fn flags(w: &World, token: &str, path: &str) -> Vec<Value> {
    let r = w.get(token, path);
    assert_eq!(r.status, 200, "{path}: {r:?}");
    assert!(r.body["as_of"].is_string(), "{r:?}");
    items(&r)
}

fn of_rule<'a>(all: &'a [Value], rule: &str) -> Vec<&'a Value> {
    all.iter().filter(|f| f["rule"] == rule).collect()
}

fn ids(f: &Value) -> Vec<String> {
    let mut ids: Vec<String> = f["voucher_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The base project of `w.unit`, from 2025-03-01, with the patterns built in it; returns the
/// project and the vouchers each pattern should name.
struct Built {
    project: String,
    split: Vec<String>,
    bare: String,
    weekend: String,
}

fn build(w: &World) -> Built {
    let p = w.base_project("2025-03-01");
    assert_eq!(w.disburse(&p, "2025-03-03", "200000.00").status, 201);
    // One seller paid twice within 30 days, each under 10,000.00, together over it.
    let split =
        vec![bought(w, &p, "2025-04-01", "6000.50", "10000001", SELLER_A), bought(w, &p, "2025-04-22", "6000.50", "10000002", SELLER_A)];
    // The near miss: another seller paid twice 31 days apart.
    bought(w, &p, "2025-04-01", "6000.50", "10000003", SELLER_B);
    bought(w, &p, "2025-05-02", "6000.50", "10000004", SELLER_B);
    let bare = spent(w, &p, "2025-06-03", "321.45", 0);
    let weekend = spent(w, &p, "2025-03-08", "88.80", 1);
    Built { project: p, split, bare, weekend }
}

#[test]
fn a_projects_flags_name_the_patterns_built_and_not_their_near_misses() {
    on_each_backend(|w| {
        let b = build(&w);
        let p = &b.project;
        let all = flags(&w, &w.inspector, &format!("/projects/{p}/flags"));
        assert!(all.iter().all(|f| f["project_id"] == p.as_str()), "{all:?}");

        let split = of_rule(&all, "split_purchase");
        assert_eq!(split.len(), 1, "one seller within the window, the other a day outside it: {all:#?}");
        assert_eq!(
            (ids(split[0]), split[0]["amount"].as_str(), split[0]["severity"].as_str()),
            (sorted(b.split.clone()), Some("12001.00"), Some("high"))
        );
        let detail = split[0]["detail"].as_str().unwrap();
        assert!(detail.contains(SELLER_A.0) && detail.contains("拆分采购"), "Chinese by default: {detail}");

        let bare = of_rule(&all, "missing_documents");
        assert_eq!((bare.len(), ids(bare[0]), bare[0]["amount"].as_str()), (1, vec![b.bare.clone()], Some("321.45")));
        let weekend = of_rule(&all, "weekend_posting");
        assert_eq!((weekend.len(), ids(weekend[0]), weekend[0]["amount"].as_str()), (1, vec![b.weekend.clone()], Some("88.80")));
        assert!(of_rule(&all, "round_amounts").is_empty(), "no amount here is a whole thousand");
        assert!(of_rule(&all, "high_reversal_rate").is_empty());

        // The 2025 report was due by 2025-12-31 and was never filed.
        let late = of_rule(&all, "late_annual_report");
        assert!(late.iter().any(|f| f["detail"].as_str().unwrap().contains("2025 年度报告")), "{late:?}");

        // English on request, the same findings.
        let en = flags(&w, &w.finance, &format!("/projects/{p}/flags?lang=en&rule=split_purchase"));
        assert_eq!(en.len(), 1);
        assert!(en[0]["detail"].as_str().unwrap().contains("possibly one purchase split"), "{en:?}");

        // A reversal takes the voucher out of the pattern: the split is gone, and the reversal is counted.
        let r =
            w.post(&w.unit, &format!("/projects/{p}/vouchers/{}/reverse", b.split[1]), json!({"date": "2025-04-23", "reason": "重复报销"}));
        assert_eq!(r.status, 201, "{r:?}");
        let after = flags(&w, &w.inspector, &format!("/projects/{p}/flags"));
        assert!(of_rule(&after, "split_purchase").is_empty(), "{after:#?}");
        assert!(of_rule(&after, "high_reversal_rate").is_empty(), "1 of 6 expenses reversed is under 20%: {after:#?}");
        let r =
            w.post(&w.unit, &format!("/projects/{p}/vouchers/{}/reverse", b.weekend), json!({"date": "2025-03-10", "reason": "重复报销"}));
        assert_eq!(r.status, 201, "{r:?}");
        let after = flags(&w, &w.inspector, &format!("/projects/{p}/flags?rule=high_reversal_rate"));
        assert_eq!(after.len(), 1, "2 of 6 reversed: {after:#?}");
        assert_eq!((ids(&after[0]), after[0]["amount"].as_str()), (sorted(vec![b.split[1].clone(), b.weekend.clone()]), Some("6089.30")));
    });
}

#[test]
fn idle_funds_and_round_amounts_are_flagged_on_the_projects_that_show_them() {
    on_each_backend(|w| {
        // A studio whose year ends in 60 days, with a tenth of its grant spent, in round sums.
        let start = calendar::today().checked_sub_days(Days::new(365 - 60)).unwrap();
        let s = w.studio_project(&start.to_string());
        assert_eq!(w.disburse(&s, &start.to_string(), "50000.00").status, 201);
        let bills = ("operating", "工作室宽带及电费");
        let round: Vec<String> = (0..3).map(|_| spent_on(&w, &s, bills, &weekday(start), "1000.00", 1)).collect();
        spent_on(&w, &s, bills, &weekday(start), "2000.01", 1);
        let all = flags(&w, &w.hr, &format!("/projects/{s}/flags"));
        let idle = of_rule(&all, "idle_funds");
        assert_eq!(idle.len(), 1, "{all:#?}");
        assert_eq!((idle[0]["amount"].as_str(), idle[0]["voucher_ids"].as_array().map(Vec::len)), (Some("44999.99"), Some(0)));
        assert!(idle[0]["detail"].as_str().unwrap().contains("10%"), "{idle:?}");
        let r = of_rule(&all, "round_amounts");
        assert_eq!((r.len(), ids(r[0]), r[0]["amount"].as_str()), (1, sorted(round), Some("3000.00")), "2000.01 is not round");
        assert!(of_rule(&all, "period_end_rush").is_empty(), "all of it was spent at the start");
    });
}

/// The first weekday on or after the project's start.
fn weekday(start: chrono::NaiveDate) -> String {
    let mut d = start;
    while matches!(chrono::Datelike::weekday(&d), chrono::Weekday::Sat | chrono::Weekday::Sun) {
        d = d.succ_opt().unwrap();
    }
    d.to_string()
}

#[test]
fn the_portfolios_flags_filter_by_kind_region_rule_and_severity_and_keep_to_the_roles() {
    on_each_backend(|w| {
        let b = build(&w);
        // The other unit's project, in 松山区, with a voucher lacking documents.
        let q = {
            let r = w.post(
                &w.hr,
                "/projects",
                json!({"kind": "base", "name": "焊接培训基地", "org_id": w.other_org_id,
                "start_date": "2025-03-01", "fund_source": "demonstration_matching", "specialties": ["焊接", "钳工", "电工"]}),
            );
            r.body["id"].as_str().unwrap().to_string()
        };
        assert_eq!(w.disburse(&q, "2025-03-03", "10000.00").status, 201);
        let body = json!({"date": "2025-04-01", "summary": "采购实训设备", "attachments": 0, "lines": [
            {"account": "equipment", "debit": "500.00", "summary": "采购实训设备"}, {"account": "1002", "credit": "500.00"}]});
        let q_bare = posted(w.post(&w.other_unit, &format!("/projects/{q}/vouchers"), body));

        let all = flags(&w, &w.finance, "/flags");
        let projects: std::collections::BTreeSet<&str> = all.iter().map(|f| f["project_id"].as_str().unwrap()).collect();
        assert_eq!(projects, [b.project.as_str(), q.as_str()].into_iter().collect());
        let bare = flags(&w, &w.inspector, "/flags?rule=missing_documents");
        assert_eq!(bare.iter().map(ids).collect::<Vec<_>>().concat(), sorted(vec![b.bare.clone(), q_bare.clone()]));
        let songshan = flags(&w, &w.hr, &format!("/flags?region={}", "%E6%9D%BE%E5%B1%B1%E5%8C%BA"));
        assert!(!songshan.is_empty() && songshan.iter().all(|f| f["project_id"] == q.as_str()), "{songshan:?}");
        assert!(flags(&w, &w.finance, "/flags?kind=studio").is_empty());
        let high = flags(&w, &w.finance, "/flags?severity=high");
        assert!(!high.is_empty() && high.iter().all(|f| f["severity"] == "high"), "{high:?}");
        assert!(high.iter().any(|f| f["rule"] == "split_purchase"));

        for bad in ["rule=split", "severity=urgent", "kind=school", "format=pdf", "lang=fr"] {
            let r = w.get(&w.finance, &format!("/flags?{bad}"));
            assert_eq!((r.status, r.code()), (422, "validation_failed"), "{bad}: {r:?}");
            let r = w.get(&w.finance, &format!("/projects/{q}/flags?{bad}"));
            let want = if bad.starts_with("kind") { 200 } else { 422 };
            assert_eq!(r.status, want, "{bad}: {r:?}");
        }
        // A unit reads its own project's flags, not another's, and not the portfolio's.
        assert_eq!(w.get(&w.unit, &format!("/projects/{}/flags", b.project)).status, 200);
        assert_eq!(w.get(&w.unit, &format!("/projects/{q}/flags")).code(), "not_found");
        assert_eq!(w.get(&w.unit, "/flags").code(), "forbidden");
        assert_eq!(w.get(&w.admin, "/flags").code(), "forbidden");
        assert_eq!(w.get(&w.admin, &format!("/projects/{q}/flags")).code(), "forbidden");
    });
}

/// A GET whose body is bytes: status, content type, body.
fn download(w: &World, token: &str, path: &str) -> (u16, String, Vec<u8>) {
    let resp = match ureq::get(&w.url(path)).set("Authorization", &format!("Bearer {token}")).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{path}: {e}"),
    };
    let (status, content_type) = (resp.status(), resp.content_type().to_string());
    let mut bytes = Vec::new();
    resp.into_reader().read_to_end(&mut bytes).unwrap();
    (status, content_type, bytes)
}

fn sheet(bytes: Vec<u8>) -> calamine::Range<Data> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("a workbook");
    let name = book.sheet_names()[0].clone();
    book.worksheet_range(&name).unwrap()
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn flags_download_as_a_workbook_and_csv_with_the_jsons_figures() {
    on_each_backend(|w| {
        let b = build(&w);
        let json = flags(&w, &w.inspector, "/flags");
        let (status, ct, bytes) = download(&w, &w.inspector, "/flags?format=xlsx");
        assert_eq!((status, ct.as_str()), (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
        let s = sheet(bytes);
        let header: Vec<String> = (0..s.width()).map(|c| text(s.get((0, c)).unwrap())).collect();
        assert_eq!(header, ["风险规则", "风险等级", "项目编号", "涉及凭证", "金额", "说明"]);
        assert_eq!(s.height(), json.len() + 1, "a row per finding, no totals");
        for (r, f) in json.iter().enumerate() {
            let row = |c: usize| s.get((r + 1, c)).unwrap().clone();
            let rule = fundledger::domain::flags::Rule::parse(f["rule"].as_str().unwrap()).unwrap();
            assert_eq!(text(&row(0)), rule.name(fundledger::domain::flags::Lang::Zh));
            assert_eq!(text(&row(2)), f["project_id"].as_str().unwrap());
            let named: Vec<&str> = f["voucher_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            assert_eq!(text(&row(3)), named.join(", "));
            let Data::Float(amount) = row(4) else { panic!("the amount is a number: {:?}", row(4)) };
            assert_eq!((amount * 100.0).round() as i64, fen(f["amount"].as_str().unwrap()));
            assert_eq!(text(&row(5)), f["detail"].as_str().unwrap());
        }
        let (_, _, en) = download(&w, &w.inspector, &format!("/projects/{}/flags?format=xlsx&lang=en", b.project));
        let s = sheet(en);
        assert_eq!(text(s.get((0, 0)).unwrap()), "Rule");

        let (status, ct, csv) = download(&w, &w.finance, &format!("/projects/{}/flags?format=csv&rule=split_purchase", b.project));
        assert_eq!((status, ct.as_str()), (200, "text/csv"));
        let csv = String::from_utf8(csv).unwrap();
        let mut rd = csv::Reader::from_reader(csv.strip_prefix('\u{feff}').unwrap().as_bytes());
        assert_eq!(rd.headers().unwrap().iter().collect::<Vec<_>>(), ["rule", "severity", "project_id", "voucher_ids", "amount", "detail"]);
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!((&rows[0][0], &rows[0][1], &rows[0][4]), ("split_purchase", "high", "12001.00"));
    });
}

#[test]
fn the_exports_that_list_voucher_lines_carry_each_lines_invoice() {
    on_each_backend(|w| {
        let b = build(&w);
        let p = &b.project;
        let column = |header: &csv::StringRecord, name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name}"));
        for path in [
            format!("/projects/{p}/vouchers?format=csv"),
            format!("/projects/{p}/ledger?account=materials&format=csv"),
            format!("/projects/{p}/export?format=csv"),
        ] {
            let (status, _, body) = download(&w, &w.inspector, &path);
            assert_eq!(status, 200, "{path}");
            let body = String::from_utf8(body).unwrap();
            let mut rd = csv::Reader::from_reader(body.strip_prefix('\u{feff}').unwrap().as_bytes());
            let header = rd.headers().unwrap().clone();
            let last: Vec<&str> = header.iter().rev().take(3).collect();
            assert_eq!(last, ["invoice_seller_tax_id", "invoice_seller", "invoice_number"], "{path}: appended last");
            let (n, s, t) =
                (column(&header, "invoice_number"), column(&header, "invoice_seller"), column(&header, "invoice_seller_tax_id"));
            let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
            let first = rows.iter().find(|r| &r[n] == "10000001").unwrap_or_else(|| panic!("{path}: {rows:?}"));
            assert_eq!((&first[s], &first[t]), (SELLER_A.0, SELLER_A.1), "{path}");
            if !path.contains("/ledger") {
                assert!(rows.iter().any(|r| r[n].is_empty()), "{path}: a line without an invoice has blank cells");
            }
        }
        let (_, _, bytes) = download(&w, &w.inspector, &format!("/projects/{p}/ledger?account=materials&format=xlsx"));
        let s = sheet(bytes);
        let header: Vec<String> = (0..s.width()).map(|c| text(s.get((0, c)).unwrap())).collect();
        assert_eq!(header[header.len() - 3..], ["发票号码", "销售方", "销售方统一社会信用代码"]);
    });
}

/// `missing_documents` counts the scans uploaded to a voucher as well as the count it declares:
/// an expense declaring none is flagged until a document is uploaded to it.
#[test]
fn an_uploaded_document_answers_missing_documents() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-02", "10000.00").status, 201);
        let bare = spent(&w, &p, "2025-03-12", "1234.56", 0);
        let kept = spent(&w, &p, "2025-03-13", "2345.67", 0);
        let path = format!("/projects/{p}/flags?rule=missing_documents");
        let before = flags(&w, &w.inspector, &path);
        assert_eq!(before.len(), 1, "{before:?}");
        assert_eq!(ids(&before[0]), sorted(vec![bare.clone(), kept.clone()]));
        let up = crate::documents::upload(&w, &w.unit, &p, &kept, "发票.pdf", &crate::documents::pdf(77, 2_000), Some("invoice"));
        assert_eq!(up.status, 201, "{up:?}");
        let after = flags(&w, &w.inspector, &path);
        assert_eq!((after.len(), ids(&after[0]), after[0]["amount"].as_str()), (1, vec![bare], Some("1234.56")), "{after:?}");
    });
}
