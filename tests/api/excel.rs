//! Issue 16, Excel: `?format=xlsx` on the books, statements and vouchers answers a real workbook —
//! read back here with calamine and compared figure by figure with the JSON answer: Chinese headers
//! (English with `?lang=en`), amounts as numbers formatted `#,##0.00`, a frozen header row, totals
//! as SUM formulas, and formula-like text neutralised as in CSV.

use crate::common::{all_vouchers, fen, on_each_backend, World};
use crate::console::{root, send, sign_in};
use calamine::{open_workbook_from_rs, Data, Range, Reader, Xlsx};
use serde_json::{json, Value};
use std::io::{Cursor, Read};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What a unit might type as a summary to attack the inspector who opens the workbook.
const ATTACKS: [&str; 4] = ["=HYPERLINK(\"http://x\",\"购买焊条\")", "@SUM(1+1)*cmd|' /C calc'!A0 焊条", "+1+1 焊条", "-2+3 焊条"];

/// A workbook as the service sent it.
struct Book {
    bytes: Vec<u8>,
    values: Range<Data>,
    formulas: Range<String>,
}

impl Book {
    fn get(w: &World, token: &str, path: &str) -> Book {
        Book::read(path, download(&w.url(path), ("Authorization", &format!("Bearer {token}"))))
    }

    /// The workbook a console link downloads, with the session cookie.
    fn console(w: &World, cookie: &str, path: &str) -> Book {
        Book::read(path, download(&format!("{}{path}", root(w)), ("Cookie", cookie)))
    }

    fn read(path: &str, (status, content_type, disposition, bytes): (u16, String, String, Vec<u8>)) -> Book {
        assert_eq!((status, content_type.as_str()), (200, XLSX), "{path}: {}", String::from_utf8_lossy(&bytes));
        assert!(disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".xlsx\""), "{path}: {disposition}");
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).expect("a workbook");
        let name = book.sheet_names()[0].clone();
        let values = book.worksheet_range(&name).expect("the sheet's values");
        let formulas = book.worksheet_formula(&name).expect("the sheet's formulas");
        Book { bytes, values, formulas }
    }

    fn cell(&self, row: u32, col: u32) -> &Data {
        self.values.get_value((row, col)).unwrap_or(&Data::Empty)
    }

    fn text(&self, row: u32, col: u32) -> String {
        match self.cell(row, col) {
            Data::String(s) => s.clone(),
            Data::Empty => String::new(),
            other => panic!("({row}, {col}) is not text: {other:?}"),
        }
    }

    /// An amount cell, in fen: it must be a number, never text.
    fn fen(&self, row: u32, col: u32) -> i64 {
        match self.cell(row, col) {
            Data::Float(f) => (f * 100.0).round() as i64,
            Data::Int(n) => n * 100,
            other => panic!("({row}, {col}) is not a number: {other:?}"),
        }
    }

    fn header(&self) -> Vec<String> {
        (0..self.values.width() as u32).map(|c| self.text(0, c)).collect()
    }

    fn rows(&self) -> u32 {
        self.values.height() as u32
    }

    fn formula(&self, row: u32, col: u32) -> String {
        self.formulas.get_value((row, col)).cloned().unwrap_or_default()
    }

    /// One part of the file (the xlsx is a zip of XML parts).
    fn part(&self, name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(&self.bytes)).expect("a zip");
        let mut text = String::new();
        zip.by_name(name).expect(name).read_to_string(&mut text).expect("UTF-8 XML");
        text
    }

    /// The frozen header row and the `#,##0.00` format that amounts are shown in.
    fn assert_layout(&self, what: &str) {
        let sheet = self.part("xl/worksheets/sheet1.xml");
        assert!(sheet.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#), "{what}: {sheet}");
        assert!(sheet.contains("<cols>"), "{what}: column widths are set");
        let styles = self.part("xl/styles.xml");
        assert!(styles.contains(r##"formatCode="#,##0.00""##), "{what}: {styles}");
    }

    /// The last row adds up each named column of the rows above it with a SUM formula, whose
    /// cached value is `expected`.
    fn assert_total(&self, what: &str, col: u32, expected: i64) {
        let last = self.rows() - 1;
        let letter = (b'A' + col as u8) as char;
        assert_eq!(self.formula(last, col), format!("SUM({letter}2:{letter}{last})"), "{what}: column {letter}");
        assert_eq!(self.fen(last, col), expected, "{what}: column {letter}");
    }
}

/// A GET whose body is bytes: status, content type, content disposition, body.
fn download(url: &str, (name, value): (&str, &str)) -> (u16, String, String, Vec<u8>) {
    let resp = match ureq::get(url).set(name, value).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{url}: {e}"),
    };
    let (status, content_type) = (resp.status(), resp.content_type().to_string());
    let disposition = resp.header("content-disposition").unwrap_or("").to_string();
    let mut bytes = Vec::new();
    resp.into_reader().read_to_end(&mut bytes).expect("the body");
    (status, content_type, disposition, bytes)
}

/// A project with a disbursement, vouchers on two accounts, and summaries that attack.
fn books(w: &World) -> String {
    let p = w.base_project("2025-03-01");
    assert_eq!(w.disburse(&p, "2025-03-10", "200000.00").status, 201);
    let r = w.post(
        &w.unit,
        &format!("/projects/{p}/vouchers"),
        json!({"date": "2025-03-15", "summary": "采购实训设备", "attachments": 2, "lines": [
        {"account": "equipment", "debit": "120000.00", "summary": "采购工业机器人实训工作站2套"},
        {"account": "1002", "credit": "120000.00", "summary": "银行付款"}]}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    for (i, attack) in ATTACKS.iter().enumerate() {
        let r = w.spend(&w.unit, &p, &format!("2025-03-1{}", 6 + i), "materials", &format!("{}.35", 1234 + i), attack);
        assert_eq!(r.status, 201, "{r:?}");
    }
    p
}

fn json(w: &World, path: &str) -> Value {
    let r = w.get(&w.finance, path);
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

#[test]
fn statement_and_statements_workbooks_hold_the_json_figures() {
    on_each_backend(|w| {
        let p = books(&w);
        let other = w.base_project("2025-04-01");
        assert_eq!(w.disburse(&other, "2025-04-10", "50000.00").status, 201);
        let fields = [
            "grant",
            "disbursed",
            "undisbursed",
            "bank_balance",
            "payables",
            "implemented",
            "pending_review",
            "available",
            "recovered",
            "recoverable",
        ];

        let s = &json(&w, &format!("/projects/{p}/statement"))["statement"];
        let book = Book::get(&w, &w.finance, &format!("/projects/{p}/statement?format=xlsx"));
        book.assert_layout("statement");
        assert_eq!(book.header()[..3], ["建设补助资金", "已拨付", "未拨付"]);
        for (c, field) in fields.iter().enumerate() {
            assert_eq!(book.fen(1, c as u32), fen(s[field].as_str().unwrap()), "{field}");
        }
        let utilization: f64 = s["utilization"].as_str().unwrap().parse().unwrap();
        assert_eq!(book.cell(1, 10), &Data::Float(utilization));
        assert_eq!((book.text(1, 11), book.text(1, 12)), ("2025-03-01".to_string(), s["period"]["end_date"].as_str().unwrap().to_string()));
        let english = Book::get(&w, &w.finance, &format!("/projects/{p}/statement?format=xlsx&lang=en"));
        assert_eq!(english.header()[..3], ["Grant", "Disbursed", "Undisbursed"]);

        let all = json(&w, "/statements");
        let book = Book::get(&w, &w.inspector, "/statements?format=xlsx");
        book.assert_layout("statements");
        let items = all["items"].as_array().unwrap();
        assert_eq!(book.rows(), items.len() as u32 + 2, "header, one row per project, totals");
        assert!(book.header().iter().all(|h| !h.is_ascii()), "every header in Chinese: {:?}", book.header());
        for (r, item) in items.iter().enumerate() {
            let r = r as u32 + 1;
            assert_eq!(book.text(r, 0), item["project_id"].as_str().unwrap());
            for (c, field) in fields.iter().enumerate() {
                assert_eq!(book.fen(r, c as u32 + 1), fen(item["statement"][field].as_str().unwrap()), "{field}");
            }
        }
        assert_eq!(book.text(book.rows() - 1, 0), "合计");
        for (c, field) in fields.iter().enumerate() {
            book.assert_total(field, c as u32 + 1, fen(all["totals"][field].as_str().unwrap()));
        }
    });
}

#[test]
fn books_workbooks_hold_the_json_figures_with_totals_as_formulas() {
    on_each_backend(|w| {
        let p = books(&w);
        for path in ["balances", "trial-balance"] {
            let body = json(&w, &format!("/projects/{p}/{path}"));
            let book = Book::get(&w, &w.unit, &format!("/projects/{p}/{path}?format=xlsx"));
            book.assert_layout(path);
            assert_eq!(book.header(), ["科目编码", "科目名称", "余额方向", "借方发生额", "贷方发生额", "余额"]);
            let accounts = body["accounts"].as_array().unwrap();
            assert_eq!(book.rows(), accounts.len() as u32 + 2, "{path}: header, accounts, totals");
            for (r, a) in accounts.iter().enumerate() {
                let r = r as u32 + 1;
                assert_eq!((book.text(r, 0), book.text(r, 1)), (a["code"].as_str().unwrap().into(), a["name"].as_str().unwrap().into()));
                for (c, field) in [(3, "debit_total"), (4, "credit_total"), (5, "balance")] {
                    assert_eq!(book.fen(r, c), fen(a[field].as_str().unwrap()), "{path} {} {field}", a["code"]);
                }
            }
            let sum = |field: &str| accounts.iter().map(|a| fen(a[field].as_str().unwrap())).sum::<i64>();
            book.assert_total(path, 3, sum("debit_total"));
            book.assert_total(path, 4, sum("credit_total"));
            if path == "trial-balance" {
                book.assert_total(path, 3, fen(body["totals"]["debit"].as_str().unwrap()));
                book.assert_total(path, 4, fen(body["totals"]["credit"].as_str().unwrap()));
            }
        }

        let ledger = json(&w, &format!("/projects/{p}/ledger?account=1002"));
        let book = Book::get(&w, &w.inspector, &format!("/projects/{p}/ledger?account=1002&format=xlsx&lang=en"));
        book.assert_layout("ledger");
        assert_eq!(
            book.header(),
            ["Date", "Voucher no.", "Summary", "Debit", "Credit", "Balance", "Invoice number", "Seller", "Seller's credit code"]
        );
        let entries = ledger["entries"].as_array().unwrap();
        assert_eq!(book.rows(), entries.len() as u32 + 2);
        for (r, e) in entries.iter().enumerate() {
            let r = r as u32 + 1;
            assert_eq!(book.text(r, 0), e["date"].as_str().unwrap());
            assert_eq!(book.cell(r, 1), &Data::Float(e["number"].as_i64().unwrap() as f64));
            for (c, field) in [(3, "debit"), (4, "credit"), (5, "balance")] {
                assert_eq!(book.fen(r, c), fen(e[field].as_str().unwrap()), "entry {r} {field}");
            }
        }
        book.assert_total("ledger", 3, entries.iter().map(|e| fen(e["debit"].as_str().unwrap())).sum());
        book.assert_total("ledger", 4, entries.iter().map(|e| fen(e["credit"].as_str().unwrap())).sum());
        assert_eq!(book.text(book.rows() - 1, 0), "Total");
    });
}

#[test]
fn voucher_workbook_has_a_row_per_line_and_no_formula_text() {
    on_each_backend(|w| {
        let p = books(&w);
        let vouchers = all_vouchers(&w, &p);
        let book = Book::get(&w, &w.inspector, &format!("/projects/{p}/vouchers?format=xlsx"));
        book.assert_layout("vouchers");
        let header = book.header();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}")) as u32;
        let (number, summary, total, debit, credit, line_summary) =
            (col("凭证号"), col("摘要"), col("金额合计"), col("借方"), col("贷方"), col("分录摘要"));
        let lines: Vec<(&Value, &Value)> =
            vouchers.iter().flat_map(|v| v["lines"].as_array().unwrap().iter().map(move |l| (v, l))).collect();
        assert_eq!(book.rows(), lines.len() as u32 + 2, "header, one row per line, totals");
        for (r, (v, l)) in lines.iter().enumerate() {
            let r = r as u32 + 1;
            assert_eq!(book.text(r, 0), v["id"].as_str().unwrap());
            assert_eq!(book.cell(r, number), &Data::Float(v["number"].as_i64().unwrap() as f64));
            assert_eq!(book.fen(r, total), fen(v["total"].as_str().unwrap()));
            assert_eq!((book.fen(r, debit), book.fen(r, credit)), (fen(l["debit"].as_str().unwrap()), fen(l["credit"].as_str().unwrap())));
            let typed = v["summary"].as_str().unwrap();
            let expected = if ATTACKS.contains(&typed) { format!("'{typed}") } else { typed.to_string() };
            assert_eq!(book.text(r, summary), expected, "a summary that would be a formula is quoted");
            assert!(!book.text(r, line_summary).starts_with(['=', '+', '-', '@']), "{}", book.text(r, line_summary));
        }
        let sum = |side: &str| lines.iter().map(|(_, l)| fen(l[side].as_str().unwrap())).sum::<i64>();
        book.assert_total("vouchers", debit, sum("debit"));
        book.assert_total("vouchers", credit, sum("credit"));
        // No cell of the workbook is a formula but the totals row's.
        let totals_row = book.rows() - 1;
        for (r, c, f) in book.formulas.used_cells() {
            assert!(r as u32 + book.formulas.start().unwrap().0 == totals_row && f.starts_with("SUM("), "({r}, {c}): {f}");
        }
        // The same rule as the CSV's.
        let csv = w.get(&w.inspector, &format!("/projects/{p}/vouchers?format=csv"));
        for attack in ATTACKS {
            assert!(csv.text.contains(&format!("'{attack}").replace('"', "\"\"")), "{attack} quoted in the CSV too");
        }
    });
}

#[test]
fn an_unknown_format_or_language_is_refused_and_lists_stay_json_or_csv() {
    on_each_backend(|w| {
        let p = books(&w);
        for path in [
            format!("/projects/{p}/statement?format=xls"),
            format!("/projects/{p}/balances?format=XLSX"),
            format!("/projects/{p}/ledger?account=1002&format=xlsx&lang=fr"),
            format!("/projects/{p}/vouchers?format=xlsx&lang=zh-CN"),
            "/statements?format=ods".to_string(),
            format!("/projects/{p}/recoverable?format=xlsx"),
            "/projects?format=xlsx".to_string(),
        ] {
            let r = w.get(&w.finance, &path);
            assert_eq!((r.status, r.code()), (422, "validation_failed"), "{path}: {r:?}");
        }
        // A workbook of an empty list has its header and no totals row.
        let book = Book::get(&w, &w.finance, &format!("/projects/{p}/vouchers?format=xlsx&status=declined"));
        assert_eq!(book.rows(), 1);
        // The unit of another organisation gets no workbook of these books.
        let path = format!("/projects/{p}/trial-balance?format=xlsx");
        let (status, ..) = download(&w.url(&path), ("Authorization", &format!("Bearer {}", w.other_unit)));
        assert_eq!(status, 404);
    });
}

#[test]
fn the_console_links_the_workbooks_in_the_visitors_language() {
    on_each_backend(|w| {
        let p = books(&w);
        let fin = sign_in(&w, "fin1", "password-123");
        let page = send("GET", &format!("{}/projects/{p}/trial-balance", root(&w)), Some(&fin), None, &[]);
        assert_eq!(page.status, 200);
        for href in [format!("/projects/{p}/trial-balance?format=xlsx"), format!("/projects/{p}/statement?format=xlsx")] {
            assert!(page.text.contains(&format!("href=\"{href}\"")), "{href} linked");
        }
        let ledger = send("GET", &format!("{}/projects/{p}/ledger?account=materials", root(&w)), Some(&fin), None, &[]);
        let link = format!("/projects/{p}/ledger?format=xlsx&amp;account=materials");
        assert!(ledger.text.contains(&format!("href=\"{link}\"")), "{}", ledger.text);

        // Each link answers the API's workbook, headers in the console's language.
        for (console, api) in [
            (format!("/projects/{p}/trial-balance?format=xlsx"), format!("/projects/{p}/trial-balance?format=xlsx")),
            (format!("/projects/{p}/ledger?format=xlsx&account=materials"), format!("/projects/{p}/ledger?format=xlsx&account=materials")),
            (format!("/projects/{p}/statement?format=xlsx"), format!("/projects/{p}/statement?format=xlsx")),
            (format!("/projects/{p}/trial-balance?format=xlsx&lang=en"), format!("/projects/{p}/trial-balance?format=xlsx&lang=en")),
        ] {
            let (mine, theirs) = (Book::console(&w, &fin, &console), Book::get(&w, &w.finance, &api));
            assert_eq!(mine.values, theirs.values, "{console}");
            assert_eq!(mine.formulas, theirs.formulas, "{console}");
        }
        assert_eq!(Book::console(&w, &fin, &format!("/projects/{p}/statement?format=xlsx&lang=en")).header()[0], "Grant");
        let anonymous = send("GET", &format!("{}/projects/{p}/trial-balance?format=xlsx", root(&w)), None, None, &[]);
        assert_eq!((anonymous.status, anonymous.header("location")), (303, Some("/")), "no workbook without a session");
    });
}
