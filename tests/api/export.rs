//! `GET /projects/{id}/export`: the whole journal as beancount, ledger / hledger and CSV, whose
//! balances equal the service's. When `bean-check`, `hledger` or `ledger` is on PATH the files are
//! also checked by the real tool (and a tampered copy must fail); otherwise that part is skipped.

use crate::common::{on_each_backend, World};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Money text ("-123.45", "0.5", "12") as integer fen, never through a float.
fn fen(s: &str) -> i64 {
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(frac.len() <= 2 && !whole.is_empty(), "bad amount {s}");
    let v = whole.parse::<i64>().expect(s) * 100 + format!("{frac:0<2}").parse::<i64>().expect(s);
    if neg {
        -v
    } else {
        v
    }
}

/// The account code of an exported account name (`Assets:Bank:A1002` → `1002`).
fn code_of(account: &str) -> String {
    account.rsplit(':').next().and_then(|c| c.strip_prefix('A')).unwrap_or_else(|| panic!("account name {account}")).to_string()
}

fn is_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// Every account's balance as the tools sign it (debit positive), from `GET /balances`.
fn expected(w: &World, p: &str) -> BTreeMap<String, i64> {
    let r = w.get(&w.finance, &format!("/projects/{p}/balances"));
    assert_eq!(r.status, 200, "{r:?}");
    r.body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let b = fen(a["balance"].as_str().unwrap());
            let signed = if a["side"] == "debit" { b } else { -b };
            (a["code"].as_str().unwrap().to_string(), signed)
        })
        .collect()
}

/// Vouchers in the books (posted or reversed) and their total line count.
fn booked(w: &World, p: &str) -> (Vec<Value>, usize) {
    let r = w.get(&w.finance, &format!("/projects/{p}/vouchers?limit=500"));
    assert_eq!(r.status, 200, "{r:?}");
    let items: Vec<Value> =
        r.body["items"].as_array().unwrap().iter().filter(|v| v["status"] == "posted" || v["status"] == "reversed").cloned().collect();
    let mut lines = 0;
    for v in &items {
        let full = w.get(&w.finance, &format!("/projects/{p}/vouchers/{}", v["id"].as_str().unwrap()));
        lines += full.body["lines"].as_array().unwrap().len();
    }
    (items, lines)
}

/// A project with an allocation, a disbursement, expenses paid at once and through 2202, a
/// reversal, and vouchers that are not in the books (pending, declined); narration with quotes,
/// a backslash, semicolons, colons and a line break.
fn build(w: &World) -> String {
    let p = w.base_project("2025-03-01");
    assert_eq!(w.disburse(&p, "2025-03-10", "300000.00").status, 201);
    let r = w.spend(&w.unit, &p, "2025-03-15", "equipment", "120000.50", "采购\"工业机器人\"实训工作站2套\n含安装调试");
    assert_eq!(r.body["status"], "posted", "{r:?}");
    let r = w.spend(&w.unit, &p, "2025-03-20", "curriculum", "8800.00", "教材编印; 校对: 第2版 \\ 附录");
    assert_eq!(r.body["status"], "posted", "{r:?}");
    // Accrued through payables, then paid.
    let accrue = json!({"date": "2025-04-01", "summary": "赊购焊条一批", "attachments": 1, "lines": [
        {"account": "materials", "debit": "2000.00", "summary": "焊条"},
        {"account": "2202", "credit": "2000.00", "summary": "应付某五金公司"}]});
    let r = w.post(&w.unit, &format!("/projects/{p}/vouchers"), accrue);
    assert_eq!(r.body["status"], "posted", "{r:?}");
    let pay = json!({"date": "2025-04-15", "summary": "支付焊条货款", "attachments": 1, "lines": [
        {"account": "2202", "debit": "1500.00", "summary": "付某五金公司"},
        {"account": "1002", "credit": "1500.00", "summary": "银行付款"}]});
    let r = w.post(&w.unit, &format!("/projects/{p}/vouchers"), pay);
    assert_eq!(r.body["status"], "posted", "{r:?}");
    // A voucher entered twice, reversed with red ink.
    let r = w.spend(&w.unit, &p, "2025-04-20", "materials", "800.00", "购买焊条");
    assert_eq!(r.body["status"], "posted", "{r:?}");
    let vid = r.body["id"].as_str().unwrap().to_string();
    let r =
        w.post(&w.unit, &format!("/projects/{p}/vouchers/{vid}/reverse"), json!({"date": "2025-04-22", "reason": "重复入账 \"double\""}));
    assert_eq!(r.status, 201, "{r:?}");
    // Not in the books: one waiting for review, one declined.
    let r = w.spend(&w.unit, &p, "2025-04-25", "other_training", "600.00", "召开培训工作研讨会餐费");
    assert_eq!(r.body["status"], "pending_review", "{r:?}");
    let r = w.spend(&w.unit, &p, "2025-04-26", "other_training", "300.00", "培训期间学员餐费");
    assert_eq!(r.body["status"], "pending_review", "{r:?}");
    let d = w.post(&w.finance, &format!("/projects/{p}/vouchers/{}/decline", r.body["id"].as_str().unwrap()), json!({"reason": "超标准"}));
    assert_eq!(d.status, 200, "{d:?}");
    p
}

struct Parsed {
    /// Per transaction, its postings (code, fen).
    transactions: Vec<Vec<(String, i64)>>,
    /// Per account code, the asserted balance in fen, and the assertion dates seen.
    assertions: BTreeMap<String, i64>,
    assertion_dates: Vec<String>,
}

fn parse_beancount(text: &str) -> Parsed {
    let mut p = Parsed { transactions: vec![], assertions: BTreeMap::new(), assertion_dates: vec![] };
    let mut in_txn = false;
    for line in text.lines() {
        let t: Vec<&str> = line.split_whitespace().collect();
        if !line.starts_with(' ') {
            in_txn = false;
        }
        if t.len() >= 2 && is_date(t[0]) && t[1] == "*" {
            assert!(line.ends_with(|c: char| c == '"' || c.is_ascii_alphanumeric()), "one-line header: {line}");
            p.transactions.push(vec![]);
            in_txn = true;
        } else if t.len() >= 2 && is_date(t[0]) && t[1] == "balance" {
            assert_eq!(t[4..7], ["~", "0.00", "CNY"], "exact to the fen: {line}");
            assert!(p.assertions.insert(code_of(t[2]), fen(t[3])).is_none(), "one assertion per account: {line}");
            p.assertion_dates.push(t[0].to_string());
        } else if in_txn
            && line.starts_with("  ")
            && !line.starts_with("   ")
            && line.trim_start().starts_with(|c: char| c.is_ascii_uppercase())
        {
            assert_eq!(t[2], "CNY", "{line}");
            p.transactions.last_mut().unwrap().push((code_of(t[0]), fen(t[1])));
        }
    }
    p
}

fn parse_ledger(text: &str) -> Parsed {
    let mut p = Parsed { transactions: vec![], assertions: BTreeMap::new(), assertion_dates: vec![] };
    let mut date = String::new();
    for line in text.lines() {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() >= 2 && is_date(t[0]) && t[1] == "*" {
            date = t[0].to_string();
            p.transactions.push(vec![]);
        } else if line.starts_with("    ") && line.trim_start().starts_with(|c: char| c.is_ascii_uppercase()) {
            assert_eq!(t[2], "CNY", "{line}");
            if t.get(3) == Some(&"=") {
                assert_eq!((t[1], t[5]), ("0.00", "CNY"), "{line}");
                assert!(p.assertions.insert(code_of(t[0]), fen(t[4])).is_none(), "one assertion per account: {line}");
                p.assertion_dates.push(date.clone());
            } else {
                p.transactions.last_mut().unwrap().push((code_of(t[0]), fen(t[1])));
            }
        }
    }
    // The last transaction is the closing assertions, with no amounts of its own.
    assert!(p.transactions.pop().is_some_and(|t| t.is_empty()), "a final assertion transaction");
    p
}

/// The journal sums (per account) and the assertions both equal the service's balances.
fn check_parsed(what: &str, p: &Parsed, want: &BTreeMap<String, i64>, vouchers: usize, lines: usize) {
    assert_eq!(p.transactions.len(), vouchers, "{what}: one transaction per voucher in the books");
    assert_eq!(p.transactions.iter().map(|t| t.len()).sum::<usize>(), lines, "{what}: one posting per line");
    let mut sums: BTreeMap<String, i64> = want.keys().map(|k| (k.clone(), 0)).collect();
    for t in &p.transactions {
        assert_eq!(t.iter().map(|(_, a)| a).sum::<i64>(), 0, "{what}: every transaction balances: {t:?}");
        for (code, a) in t {
            *sums.get_mut(code).unwrap_or_else(|| panic!("{what}: unknown account {code}")) += a;
        }
    }
    assert_eq!(&sums, want, "{what}: journal sums equal the service's balances");
    assert_eq!(&p.assertions, want, "{what}: every account asserted at the service's balance");
    assert!(p.assertion_dates.iter().all(|d| d == "2025-04-23"), "{what}: assertions the day after the last voucher");
}

/// Runs an external tool; `None` when it is not installed.
fn run(tool: &str, args: &[String]) -> Option<std::process::Output> {
    match Command::new(tool).args(args).output() {
        Ok(o) => Some(o),
        // .ci/run sets FUNDLEDGER_EXPORT_TOOLS=required once it has installed the tools.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::env::var("FUNDLEDGER_EXPORT_TOOLS").as_deref() != Ok("required") => {
            eprintln!("{tool} is not on PATH: external check skipped");
            None
        }
        Err(e) => panic!("{tool}: {e}"),
    }
}

fn show(o: &std::process::Output) -> String {
    format!("exit {:?}\nstdout:\n{}\nstderr:\n{}", o.status.code(), String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The tool accepts the file and rejects a copy whose first assertion is off by one fen.
fn tool_check(dir: &Path, name: &str, text: &str, tamper: impl Fn(&str) -> String, tool: &str, args: &[&str]) {
    let good = dir.join(name);
    std::fs::write(&good, text).unwrap();
    let bad = dir.join(format!("tampered-{name}"));
    std::fs::write(&bad, tamper(text)).unwrap();
    let with = |file: &Path| -> Vec<String> {
        args.iter().map(|a| if *a == "FILE" { file.display().to_string() } else { a.to_string() }).collect()
    };
    let Some(o) = run(tool, &with(&good)) else { return };
    assert!(o.status.success() && o.stderr.is_empty(), "{tool} refused the export:\n{}\n{text}", show(&o));
    let o = run(tool, &with(&bad)).unwrap();
    assert!(!o.status.success(), "{tool} accepted a wrong balance assertion:\n{}", show(&o));
    eprintln!("{tool} {} accepted {name} and refused the tampered copy", args.join(" "));
}

/// Adds one fen to the first balance assertion.
fn tamper_beancount(text: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            if !done && t.len() >= 5 && t[1] == "balance" {
                done = true;
                let f = fen(t[3]) + 1;
                format!("{} balance {}  {}.{:02} ~ 0.00 CNY", t[0], t[2], f / 100, (f % 100).abs())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn tamper_ledger(text: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            if !done && t.get(3) == Some(&"=") && t[4] != "0.00" && !t[4].starts_with('-') {
                done = true;
                let f = fen(t[4]) + 1;
                format!("    {}  0.00 CNY = {}.{:02} CNY", t[0], f / 100, f % 100)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn exports_equal_the_service_balances() {
    on_each_backend(|w| {
        let p = build(&w);
        let want = expected(&w, &p);
        assert_eq!(want["1002"], fen("300000.00") - fen("120000.50") - fen("8800.00") - fen("1500.00"), "{want:?}");
        assert_eq!(want["2202"], fen("-500.00"));
        assert_eq!(want["2401"], fen("-500000.00"));
        let (vouchers, lines) = booked(&w, &p);
        assert_eq!(vouchers.len(), 8, "allocation, disbursement, 5 expenses, 1 reversal");
        let dir = tempfile::tempdir().unwrap();

        let r = w.get(&w.unit, &format!("/projects/{p}/export?format=beancount"));
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.content_type, "text/plain; charset=utf-8");
        assert!(r.text.contains("option \"operating_currency\" \"CNY\""));
        assert!(r.text.contains("2025-03-01 open Assets:Bank:A1002 CNY\n  code: \"1002\"\n  name: \"银行存款—项目专户\"\n"), "{}", r.text);
        assert!(r.text.contains(r#" "采购\"工业机器人\"实训工作站2套\n含安装调试" "#), "{}", r.text);
        assert!(!r.text.contains("召开培训工作研讨会餐费") && !r.text.contains("培训期间学员餐费"), "only vouchers in the books");
        check_parsed("beancount", &parse_beancount(&r.text), &want, vouchers.len(), lines);
        tool_check(dir.path(), "journal.beancount", &r.text, tamper_beancount, "bean-check", &["FILE"]);

        let r = w.get(&w.inspector, &format!("/projects/{p}/export?format=ledger"));
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.content_type, "text/plain; charset=utf-8");
        assert!(r.text.contains("account Assets:Bank:A1002\n") && r.text.contains("commodity CNY\n"));
        assert!(r.text.contains(" * (3) 记字第3号 采购\"工业机器人\"实训工作站2套 含安装调试\n"), "{}", r.text);
        assert!(r.text.contains("教材编印； 校对: 第2版 \\ 附录"), "{}", r.text);
        check_parsed("ledger", &parse_ledger(&r.text), &want, vouchers.len(), lines);
        for args in [&["-f", "FILE", "check"][..], &["-f", "FILE", "check", "--strict"]] {
            tool_check(dir.path(), "journal.ledger", &r.text, tamper_ledger, "hledger", args);
        }
        for args in [&["-f", "FILE", "balance"][..], &["-f", "FILE", "--pedantic", "balance"]] {
            tool_check(dir.path(), "journal.ledger", &r.text, tamper_ledger, "ledger", args);
        }

        let r = w.get(&w.hr, &format!("/projects/{p}/export?format=csv"));
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.content_type, "text/csv; charset=utf-8");
        let body = r.text.strip_prefix('\u{feff}').expect("a UTF-8 BOM");
        let mut rd = csv::Reader::from_reader(body.as_bytes());
        let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header,
            [
                "date",
                "number",
                "voucher_id",
                "kind",
                "account",
                "account_name",
                "debit",
                "credit",
                "summary",
                "invoice_number",
                "invoice_seller",
                "invoice_seller_tax_id"
            ]
        );
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), lines);
        let mut sums: BTreeMap<String, i64> = want.keys().map(|k| (k.clone(), 0)).collect();
        for row in &rows {
            *sums.get_mut(&row[4]).unwrap() += fen(&row[6]) - fen(&row[7]);
        }
        assert_eq!(sums, want, "CSV sums equal the service's balances");
        let mut ids: Vec<&str> = rows.iter().map(|r| &r[2]).collect();
        ids.dedup();
        assert_eq!(ids.len(), vouchers.len(), "each voucher's rows are together");
        let multi = rows.iter().find(|r| &r[3] == "expense" && r[8].contains('\n')).expect("a summary with a line break survives");
        assert_eq!(&multi[5], "项目支出—实训设备购置改造与维护");
        let dates: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
        assert!(dates.windows(2).all(|d| d[0] <= d[1]), "in date order");
    });
}

#[test]
fn export_headers_roles_and_errors() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        for (fmt, ext) in [("beancount", "beancount"), ("ledger", "ledger"), ("csv", "csv")] {
            let resp = ureq::get(&w.url(&format!("/projects/{p}/export?format={fmt}")))
                .set("Authorization", &format!("Bearer {}", w.finance))
                .call()
                .unwrap();
            let cd = resp.header("content-disposition").unwrap_or("").to_string();
            assert_eq!(cd, format!("attachment; filename=\"project-{p}-journal.{ext}\""));
        }
        // Only the allocation: everything still asserted, the day after it.
        let r = w.get(&w.inspector, &format!("/projects/{p}/export?format=beancount"));
        assert_eq!(r.status, 200, "{r:?}");
        let parsed = parse_beancount(&r.text);
        assert_eq!(parsed.transactions.len(), 1);
        assert_eq!(parsed.assertions, expected(&w, &p));
        assert!(parsed.assertion_dates.iter().all(|d| d == "2025-03-02"));
        for token in [&w.hr, &w.finance, &w.inspector, &w.unit] {
            assert_eq!(w.get(token, &format!("/projects/{p}/export?format=ledger")).status, 200);
        }
        let r = w.get(&w.other_unit, &format!("/projects/{p}/export?format=csv"));
        assert_eq!((r.status, r.code()), (404, "not_found"), "another unit's project does not exist");
        let r = w.get(&w.finance, "/projects/no-such-project/export?format=csv");
        assert_eq!((r.status, r.code()), (404, "not_found"));
        for q in ["?format=xlsx", "?format=", "", "?format=BEANCOUNT"] {
            let r = w.get(&w.finance, &format!("/projects/{p}/export{q}"));
            assert_eq!((r.status, r.code()), (422, "validation_failed"), "{q}: {r:?}");
            assert_eq!(r.body["errors"][0]["field"], "format");
        }
        let r = crate::common::call("GET", &w.url(&format!("/projects/{p}/export?format=csv")), None, None, &[]);
        assert_eq!(r.status, 401);
    });
}
