//! The unit's voucher pages: entry (keyboard, live classification), list, voucher page and its
//! print layout, reversal, annual report form.
use super::{other_units_project, root, send, sign_in, spent_project, Answer, Browser};
use crate::common::{all_vouchers, on_each_backend, Db, World};
use serde_json::json;

/// A form body from pairs, each value percent-encoded.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A two-line voucher as the entry form posts it: Dr `account`, Cr the bank.
fn voucher_form(csrf: &str, key: &str, date: &str, account: &str, amount: &str, summary: &str) -> String {
    form(&[
        ("csrf", csrf),
        ("key", key),
        ("date", date),
        ("summary", summary),
        ("attachments", "2"),
        ("line_summary", summary),
        ("account", account),
        ("debit", amount),
        ("credit", ""),
        ("line_summary", "银行付款"),
        ("account", "1002"),
        ("debit", ""),
        ("credit", amount),
        ("line_summary", ""),
        ("account", ""),
        ("debit", ""),
        ("credit", ""),
    ])
}

fn get(w: &World, cookie: &str, path: &str) -> Answer {
    send("GET", &format!("{}{path}", root(w)), Some(cookie), None, &[])
}

fn post(w: &World, cookie: &str, path: &str, body: &str) -> Answer {
    send("POST", &format!("{}{path}", root(w)), Some(cookie), Some(body), &[])
}

#[test]
fn entry_form_refusals_idempotency_csrf_and_visibility() {
    on_each_backend(|w| {
        let p = spent_project(&w);
        let unit = sign_in(&w, "unit1", "password-123");
        let new = format!("/projects/{p}/vouchers/new");
        let page = get(&w, &unit, &new);
        assert_eq!(page.status, 200, "{}", page.text);
        for hook in ["list=\"accounts\"", "500101", "实训设备购置改造与维护", "list=\"common-summaries\"", "采购实训设备", "name=\"key\""]
        {
            assert!(page.text.contains(hook), "entry form lacks {hook}");
        }
        let csrf = page.csrf();
        let before = all_vouchers(&w, &p).len();

        // No CSRF token: refused, nothing posted.
        let no_csrf = post(&w, &unit, &new, &voucher_form("", "k0", "2025-04-01", "equipment", "100.00", "采购量具"));
        assert_eq!(no_csrf.status, 403);

        // A travel line is refused with its reason on the form, the input kept, nothing posted.
        let travel = post(&w, &unit, &new, &voucher_form(&csrf, "k1", "2025-04-01", "teacher_training", "560.00", "教师出差路费"));
        assert_eq!(travel.status, 422, "{}", travel.text);
        assert!(travel.text.contains("data-code=\"voucher_rejected\""), "{}", travel.text);
        assert!(travel.text.contains("差旅费不得从补助资金列支") && travel.text.contains("data-verdict=\"rejected\""), "{}", travel.text);
        assert!(travel.text.contains("value=\"教师出差路费\"") && travel.text.contains("value=\"560.00\""), "input kept");

        // Insufficient funds names the available amount: 200,000.00 - 123,456.78.
        let big = post(&w, &unit, &new, &voucher_form(&csrf, "k2", "2025-04-01", "equipment", "100000.00", "采购数控机床"));
        assert_eq!(big.status, 409, "{}", big.text);
        assert!(big.text.contains("data-code=\"insufficient_funds\"") && big.text.contains("76,543.22"), "{}", big.text);

        // A bad date is shown on its field in Chinese.
        let bad_date = post(&w, &unit, &new, &voucher_form(&csrf, "k3", "2025-4-1", "equipment", "10.00", "采购量具"));
        assert_eq!(bad_date.status, 422);
        assert!(bad_date.text.contains("data-field-error=\"date\"") && bad_date.text.contains("日期格式应为"), "{}", bad_date.text);
        assert_eq!(all_vouchers(&w, &p).len(), before, "refusals post nothing");

        // The same key twice (a double click) posts once and lands on the same voucher.
        let body = voucher_form(&csrf, "double-click-1", "2025-04-02", "500102", "1,200.50", "购买焊材");
        let (first, second) = (post(&w, &unit, &new, &body), post(&w, &unit, &new, &body));
        assert_eq!((first.status, second.status), (303, 303), "{}", first.text);
        assert_eq!(first.header("location"), second.header("location"));
        assert_eq!(all_vouchers(&w, &p).len(), before + 1);
        let at = first.header("location").unwrap().to_string();
        let shown = get(&w, &unit, &at);
        assert_eq!(shown.status, 200);
        assert!(shown.text.contains("data-testid=\"voucher-number\"") && shown.text.contains("记-0"), "{}", shown.text);
        assert!(shown.text.contains("data-status=\"posted\"") && shown.text.contains("1,200.50"), "{}", shown.text);
        assert!(shown.text.contains("壹仟贰佰元伍角") && shown.text.contains("附单据 2 张"), "{}", shown.text);
        assert!(shown.text.contains("500102") && shown.text.contains("原材料消耗"), "account code and name: {}", shown.text);

        // The live classifier: needs the header, answers each line's verdict.
        let classify = format!("{}/projects/{p}/classify", root(&w));
        let lines = json!({"summary": "", "lines": [
            {"account": "500101", "debit": "100", "summary": "购买实训设备"},
            {"account": "500104", "debit": "10", "summary": "教师出差路费"},
            {"account": "1002", "credit": "110"}]});
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let call = |token: Option<&str>| {
            let mut r = agent.post(&classify).set("Cookie", &unit);
            if let Some(t) = token {
                r = r.set("X-CSRF-Token", t);
            }
            match r.send_json(lines.clone()) {
                Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.into_string().unwrap()),
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(call(None).0, 403);
        let (status, answer) = call(Some(&csrf));
        assert_eq!(status, 200, "{answer}");
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        let verdicts: Vec<&str> = answer["lines"].as_array().unwrap().iter().map(|l| l["verdict"].as_str().unwrap()).collect();
        assert_eq!((answer["verdict"].as_str(), verdicts), (Some("rejected"), vec!["allowed", "rejected", "none"]));
        assert!(answer["lines"][1]["reasons"][0].as_str().unwrap().contains("差旅费"), "{answer}");

        // Reversal from the voucher page: CSRF, then the red-ink voucher linked both ways.
        let vid = at.rsplit('/').next().unwrap().to_string();
        let reverse = format!("{at}/reverse");
        let rev_form = |csrf: &str| form(&[("csrf", csrf), ("key", "rev-1"), ("date", "2025-04-03"), ("reason", "重复报销")]);
        assert_eq!(post(&w, &unit, &reverse, &rev_form("")).status, 403);
        let no_reason = post(&w, &unit, &reverse, &form(&[("csrf", &csrf), ("key", "rev-0"), ("date", "2025-04-03"), ("reason", " ")]));
        assert_eq!(no_reason.status, 422, "{}", no_reason.text);
        let reversed = post(&w, &unit, &reverse, &rev_form(&csrf));
        assert_eq!(reversed.status, 303, "{}", reversed.text);
        let red = get(&w, &unit, reversed.header("location").unwrap());
        assert!(red.text.contains(&format!("data-testid=\"reverses\">{vid}<")), "{}", red.text);
        let original = get(&w, &unit, &at);
        assert!(original.text.contains("data-testid=\"reversed-by\"") && original.text.contains("data-status=\"reversed\""));

        // The list: filters, totals, links.
        let list = get(&w, &unit, &format!("/projects/{p}/vouchers?status=reversed&kind=expense"));
        assert_eq!(list.status, 200);
        assert!(list.text.contains(&format!("href=\"/projects/{p}/vouchers/{vid}\"")), "{}", list.text);
        assert!(list.text.contains("data-testid=\"page-total\">1,200.50<"), "{}", list.text);
        let march = get(&w, &unit, &format!("/projects/{p}/vouchers?kind=expense&from=2025-03-01&to=2025-03-31"));
        assert!(march.text.contains("data-testid=\"page-total\">123,456.78<"), "{}", march.text);

        // Another unit's voucher is not there for this unit, by either project.
        let other = other_units_project(&w);
        assert_eq!(w.disburse(&other, "2025-03-10", "1000.00").status, 201);
        let other_vid = all_vouchers(&w, &other).last().unwrap()["id"].as_str().unwrap().to_string();
        assert_eq!(get(&w, &unit, &format!("/projects/{other}/vouchers/{other_vid}")).status, 404);
        assert_eq!(get(&w, &unit, &format!("/projects/{p}/vouchers/{other_vid}")).status, 404);
        assert_eq!(get(&w, &unit, &format!("/projects/{other}/vouchers")).status, 404);
        assert_eq!(
            post(&w, &unit, &format!("/projects/{other}/vouchers/new"), &voucher_form(&csrf, "k9", "2025-04-01", "equipment", "1.00", "x"))
                .status,
            404
        );
    });
}

#[test]
fn copy_print_review_forms_and_annual_reports() {
    on_each_backend(|w| {
        let p = spent_project(&w);
        let unit = sign_in(&w, "unit1", "password-123");
        let first = all_vouchers(&w, &p).into_iter().find(|v| v["summary"] == "采购实训设备").unwrap();
        let vid = first["id"].as_str().unwrap();
        let shown = get(&w, &unit, &format!("/projects/{p}/vouchers/{vid}"));
        // The print layout: the stylesheet's A5 landscape page, the 大写 total, the signatures.
        assert!(shown.text.contains("data-testid=\"total-capitals\">壹拾贰万元整<"), "{}", shown.text);
        for hook in ["制单", "审核", "记账", "借方金额", "贷方金额", "data-print"] {
            assert!(shown.text.contains(hook), "voucher page lacks {hook}");
        }
        let css_path = shown.text.split("rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next().unwrap();
        let css = get(&w, &unit, css_path);
        assert!(css.text.contains("@page voucher { size: A5 landscape"), "print stylesheet: the voucher's named A5 page");

        // The reversal form only where the caller may reverse: a unit its expense vouchers,
        // finance a disbursement too.
        assert!(shown.text.contains("data-testid=\"reverse-form\""));
        let disbursement = all_vouchers(&w, &p).into_iter().find(|v| v["kind"] == "disbursement").unwrap();
        let disbursement_page = format!("/projects/{p}/vouchers/{}", disbursement["id"].as_str().unwrap());
        assert!(!get(&w, &unit, &disbursement_page).text.contains("data-testid=\"reverse-form\""));
        let disbursement_csrf = get(&w, &unit, &disbursement_page).csrf();
        let not_hers = post(
            &w,
            &unit,
            &format!("{disbursement_page}/reverse"),
            &form(&[("csrf", &disbursement_csrf), ("key", "r-d"), ("date", "2025-04-03"), ("reason", "错拨")]),
        );
        assert_eq!(not_hers.status, 409, "{}", not_hers.text);
        assert!(not_hers.text.contains("data-code=\"invalid_transition\""), "{}", not_hers.text);
        let finance = sign_in(&w, "fin1", "password-123");
        assert!(get(&w, &finance, &disbursement_page).text.contains("data-testid=\"reverse-form\""));

        // Copy: the form pre-filled with the voucher's lines and today's date.
        let copy = get(&w, &unit, &format!("/projects/{p}/vouchers/new?copy={vid}"));
        assert_eq!(copy.status, 200);
        assert!(copy.text.contains("value=\"120000.00\"") && copy.text.contains("value=\"采购实训设备\""), "{}", copy.text);
        let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive().to_string();
        assert!(copy.text.contains(&format!("value=\"{today}\"")), "dated today");

        // Finance sees approve and decline forms on a voucher held for review; the unit does not.
        let held = w.spend(&w.unit, &p, "2025-03-18", "other_training", "800.00", "召开培训工作研讨会餐费");
        assert_eq!(held.body["status"], "pending_review", "{held:?}");
        let held_page = format!("/projects/{p}/vouchers/{}", held.body["id"].as_str().unwrap());
        let fin = sign_in(&w, "fin1", "password-123");
        let for_fin = get(&w, &fin, &held_page);
        assert!(for_fin.text.contains(&format!("action=\"{held_page}/approve\"")) && for_fin.text.contains("name=\"note\""));
        assert!(for_fin.text.contains(&format!("action=\"{held_page}/decline\"")) && for_fin.text.contains("name=\"reason\""));
        assert!(!get(&w, &unit, &held_page).text.contains("approve-form"));
        assert!(get(&w, &fin, &format!("/projects/{p}/vouchers")).text.contains("data-voucher-id"));

        // The annual report: CSRF, a field error in Chinese, then filed and listed.
        let reports = format!("/projects/{p}/reports");
        let page = get(&w, &unit, &reports);
        assert_eq!(page.status, 200);
        let csrf = page.csrf();
        let report = |csrf: &str, total: &str| {
            form(&[
                ("csrf", csrf),
                ("year", "2025"),
                ("summary", "全年培训数控加工学员"),
                ("next_year_plan", "扩大焊接培训"),
                ("trained_total", total),
                ("trained_advanced", "40"),
            ])
        };
        assert_eq!(post(&w, &unit, &reports, &report("", "300")).status, 403);
        let bad = post(&w, &unit, &reports, &report(&csrf, "三百"));
        assert_eq!(bad.status, 422, "{}", bad.text);
        assert!(bad.text.contains("data-field-error=\"trained_total\"") && bad.text.contains("全年培训数控加工学员"), "{}", bad.text);
        let filed = post(&w, &unit, &reports, &report(&csrf, "300"));
        assert_eq!((filed.status, filed.header("location")), (303, Some(reports.as_str())), "{}", filed.text);
        let listed = get(&w, &unit, &reports);
        assert!(listed.text.contains("data-year=\"2025\""), "{}", listed.text);
        let api = w.get(&w.unit, &format!("/projects/{p}/annual-reports"));
        assert_eq!(api.body["items"][0]["report"]["trained_total"], 300, "{api:?}");
        let again = post(&w, &unit, &reports, &report(&csrf, "300"));
        assert_eq!(again.status, 409);
        assert!(again.text.contains("data-code=\"already_exists\""));
    });
}

// ---- In the browser ------------------------------------------------------------------------

const ENTER: &str = "\u{E007}";

impl Browser {
    /// Types into whatever has the focus, as a keyboard does.
    fn keys(&self, text: &str) {
        let id = focused(self);
        let r = self.call("POST", &format!("/element/{id}/value"), Some(json!({"text": text})));
        assert!(r.is_null(), "typing {text:?}: {r}");
    }

    fn clear(&self, css: &str) {
        let el = self.wait_for(css, 5);
        self.call("POST", &format!("/element/{el}/clear"), None);
    }

    /// Pages as they print (Chromium's print media emulation).
    fn print_media(&self, on: bool) {
        let media = if on { "print" } else { "" };
        self.call("POST", "/goog/cdp/execute", Some(json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": media}})));
    }
}

fn focused(b: &Browser) -> String {
    let el = b.call("GET", "/element/active", None);
    el[super::ELEMENT].as_str().unwrap_or_else(|| panic!("nothing focused: {el}")).to_string()
}

#[test]
fn keyboard_entry_live_verdicts_refusal_and_print_in_chromium() {
    let Some(b) = Browser::start() else { return };
    on_each_backend(|w| {
        let root = root(&w);
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-10", "200000.00").status, 201);
        b.sign_in(&root, "unit1", "password-123");
        b.wait_for("a[href='/']", 10);
        let new = format!("{root}/projects/{p}/vouchers/new");
        b.goto(&format!("{new}?lang=zh"));
        b.clear("#entry-date");
        b.click("#entry-date");
        // Keyboard only from here: each Enter moves to the next cell.
        for cell in ["2025-04-08", "采购数控车床刀具", "3", "采购数控车床刀具", "500101", "12,000.00", "", "银行付款", "1002", "", "12000"]
        {
            b.keys(&format!("{cell}{ENTER}"));
        }
        assert_eq!(b.attr(&focused(&b), "id").as_deref(), Some("ls-3"), "Enter moved on to the next line");
        b.wait_for("tr[data-row='0'] td[data-verdict='allowed']", 10);
        let balance = b.wait_for("#balance[data-balanced='true']", 5);
        assert!(b.text(&balance).contains("借贷平衡"));
        assert_eq!(b.text(&b.wait_for("#debit-total", 5)), "12,000.00");
        if w.db == Db::Sqlite {
            b.screenshot("vouchers-entry-zh");
        }
        // Through the two empty lines left, Enter reaches the save button (and does not submit).
        for _ in 0..8 {
            b.keys(ENTER);
        }
        assert_eq!(b.attr(&focused(&b), "id").as_deref(), Some("entry-submit"), "Enter reaches the save button");
        assert_eq!(all_vouchers(&w, &p).len(), 2, "not submitted by Enter in a cell");
        b.keys(ENTER);
        let number = b.wait_for("[data-testid=voucher-number]", 10);
        assert!(b.text(&number).contains("记-0"), "{}", b.text(&number));
        assert_eq!(b.attr(&b.wait_for("[data-testid=voucher-status]", 5), "data-status").as_deref(), Some("posted"));
        let posted = all_vouchers(&w, &p);
        assert!(posted.iter().any(|v| v["summary"] == "采购数控车床刀具" && v["total"] == "12000.00" && v["attachments"] == 3));
        let voucher_url = b.current_url();
        if w.db == Db::Sqlite {
            b.screenshot("vouchers-page-zh");
            b.print_media(true);
            b.window(794, 559);
            b.screenshot("vouchers-print-a5");
            b.print_media(false);
            b.window(1366, 768);
            b.goto(&format!("{voucher_url}?lang=en"));
            b.wait_for("[data-testid=voucher-number]", 10);
            b.screenshot("vouchers-page-en");
            b.goto(&new);
            b.wait_for("#entry-date", 10);
            b.screenshot("vouchers-entry-en");
            b.goto(&format!("{root}/projects/{p}/vouchers?lang=zh"));
            b.wait_for("[data-testid=voucher-list]", 10);
            b.screenshot("vouchers-list-zh");
            b.goto(&format!("{root}/projects/{p}/reports"));
            b.wait_for("[data-testid=report-form]", 10);
            b.screenshot("vouchers-reports-zh");
            b.goto(&new);
        } else {
            b.goto(&new);
        }

        // A travel line: the verdict shows while typing, and the server refuses it on submit.
        let count = all_vouchers(&w, &p).len();
        b.clear("#entry-date");
        b.type_into("#entry-date", "2025-04-09");
        b.type_into("#entry-summary", "报销");
        b.type_into("#ls-1", "教师出差往返火车票");
        b.type_into("#acc-1", "500104");
        b.type_into("#dr-1", "560");
        b.type_into("#acc-2", "1002");
        b.type_into("#cr-2", "560");
        let live = b.wait_for("tr[data-row='0'] td[data-verdict='rejected']", 10);
        assert!(b.text(&live).contains("差旅费"), "{}", b.text(&live));
        if w.db == Db::Sqlite {
            b.screenshot("vouchers-entry-travel-zh");
        }
        b.click("#entry-submit");
        let refusal = b.wait_for("[data-testid=form-error][data-code=voucher_rejected]", 10);
        assert!(b.text(&refusal).contains("未入账"));
        assert!(b.text(&b.wait_for("tr[data-row='0'] td.verdict-cell", 5)).contains("差旅费"));
        assert_eq!(all_vouchers(&w, &p).len(), count, "nothing posted");

        // At a phone's width the form is still there to use.
        b.window(390, 844);
        b.goto(&new);
        b.wait_for("#acc-1", 10);
        if w.db == Db::Sqlite {
            b.screenshot("vouchers-entry-phone");
        }
        b.window(1366, 768);
    });
}

/// The entry form's invoice fields: a voucher posts its invoice; the same invoice again, or a
/// mistyped credit code, comes back with the sentence in Chinese on the line, as typed.
#[test]
fn entry_form_takes_an_invoice_and_explains_its_refusals() {
    on_each_backend(|w| {
        let p = spent_project(&w);
        let unit = sign_in(&w, "unit1", "password-123");
        let new = format!("/projects/{p}/vouchers/new");
        let page = get(&w, &unit, &new);
        for hook in ["name=\"invoice_no\"", "name=\"seller\"", "name=\"seller_tax_id\"", "发票号码", "销售方统一社会信用代码"]
        {
            assert!(page.text.contains(hook), "entry form lacks {hook}");
        }
        let csrf = page.csrf();
        let with_invoice = |key: &str, number: &str, tax_id: &str| {
            form(&[
                ("csrf", &csrf),
                ("key", key),
                ("date", "2025-04-03"),
                ("summary", "购买焊材"),
                ("attachments", "1"),
                ("line_summary", "购买焊材"),
                ("account", "materials"),
                ("debit", "300.00"),
                ("credit", ""),
                ("invoice_no", number),
                ("seller", "赤峰市某焊材有限公司"),
                ("seller_tax_id", tax_id),
                ("line_summary", "银行付款"),
                ("account", "1002"),
                ("debit", ""),
                ("credit", "300.00"),
                ("invoice_no", ""),
                ("seller", ""),
                ("seller_tax_id", ""),
            ])
        };
        let posted = post(&w, &unit, &new, &with_invoice("inv-1", "04403210", "91350100M000100Y43"));
        assert_eq!(posted.status, 303, "{}", posted.text);
        let vid = posted.header("location").unwrap().rsplit('/').next().unwrap().to_string();
        let shown = w.get(&w.finance, &format!("/projects/{p}/vouchers/{vid}"));
        assert_eq!(shown.body["lines"][0]["invoice"]["number"], "04403210", "{shown:?}");
        let page = get(&w, &unit, &format!("/projects/{p}/vouchers/{vid}"));
        assert!(
            page.text.contains("data-testid=\"line-invoice\"") && page.text.contains("发票 04403210 · 赤峰市某焊材有限公司"),
            "{}",
            page.text
        );

        let again = post(&w, &unit, &new, &with_invoice("inv-2", "04403210", "91350100M000100Y43"));
        assert_eq!(again.status, 409, "{}", again.text);
        assert!(again.text.contains("data-code=\"duplicate_invoice\""), "{}", again.text);
        assert!(again.text.contains("发票号码 04403210 已在其他已记账或待审核的凭证上报销过"), "{}", again.text);
        assert!(again.text.contains("data-testid=\"line-error\""), "shown on its line: {}", again.text);

        let mistyped = post(&w, &unit, &new, &with_invoice("inv-3", "04403211", "91350100M000100Y44"));
        assert_eq!(mistyped.status, 422, "{}", mistyped.text);
        assert!(mistyped.text.contains("最后一位校验码须正确"), "{}", mistyped.text);
        assert!(mistyped.text.contains("value=\"91350100M000100Y44\""), "input kept: {}", mistyped.text);
    });
}
