//! The finance bureau's pages: the review queue with approve / decline, disbursement, recovery
//! and remittance, the trial balance and the ledger with their CSV downloads. Over plain HTTP
//! (CSRF, roles, `back`, refusals in Chinese, figures equal to the API's) and in Chromium.
use super::{root, send, sign_in, spent_project, Answer, Browser};
use crate::common::{on_each_backend, Db, World};
use serde_json::{json, Value};

/// A form body, percent-encoded (the values are Chinese).
fn form(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// A voucher the classifier holds for review (meals), submitted by the unit through the API.
fn flagged(w: &World, p: &str, amount: &str) -> String {
    let r = w.spend(&w.unit, p, "2025-04-01", "other_training", amount, "召开培训工作研讨会餐费");
    assert_eq!((r.status, r.body["status"].as_str()), (201, Some("pending_review")), "{r:?}");
    r.body["id"].as_str().unwrap().to_string()
}

fn voucher(w: &World, p: &str, v: &str) -> Value {
    w.get(&w.finance, &format!("/projects/{p}/vouchers/{v}")).body
}

fn post(w: &World, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
    send("POST", &format!("{}{path}", root(w)), Some(cookie), Some(&form(fields)), &[])
}

fn get(w: &World, cookie: &str, path: &str) -> Answer {
    send("GET", &format!("{}{path}", root(w)), Some(cookie), None, &[])
}

/// The text of the element carrying `hook` (a `data-…` attribute string) on a page.
fn text_at(page: &str, hook: &str) -> String {
    let at = page.find(hook).unwrap_or_else(|| panic!("no {hook} in {page}"));
    let start = at + page[at..].find('>').unwrap() + 1;
    page[start..start + page[start..].find('<').unwrap()].to_string()
}

fn plain(figure: &str) -> String {
    figure.replace(',', "")
}

#[test]
fn reviews_decide_through_the_use_cases_with_csrf_roles_and_a_local_back() {
    on_each_backend(|w| {
        let p = spent_project(&w);
        let (v1, v2) = (flagged(&w, &p, "600.00"), flagged(&w, &p, "300.00"));
        let fin = sign_in(&w, "fin1", "password-123");
        let queue = get(&w, &fin, "/reviews");
        assert_eq!(queue.status, 200);
        for hook in [format!("data-voucher-id=\"{v1}\""), format!("data-voucher-id=\"{v2}\""), "data-code=\"needs_review:meals\"".into()] {
            assert!(queue.text.contains(&hook), "queue lacks {hook}: {}", queue.text);
        }
        assert!(queue.text.contains("需审核：餐费") && queue.text.contains("600.00") && queue.text.contains("赤峰市高级技工学校"));
        let csrf = queue.csrf();
        let approve = format!("/projects/{p}/vouchers/{v1}/approve");
        let decline = format!("/projects/{p}/vouchers/{v2}/decline");

        // No token, another role's token: refused, nothing decided.
        assert_eq!(post(&w, &fin, &approve, &[("note", "同意")]).status, 403);
        assert_eq!(post(&w, &fin, &decline, &[("csrf", &"0".repeat(64)), ("reason", "x")]).status, 403);
        let unit = sign_in(&w, "unit1", "password-123");
        let unit_csrf = get(&w, &unit, "/").csrf();
        assert_eq!(post(&w, &unit, &approve, &[("csrf", &unit_csrf), ("note", "自己批准")]).status, 403);
        assert_eq!(get(&w, &unit, "/reviews").status, 403);
        assert_eq!(get(&w, &sign_in(&w, "hr1", "password-123"), "/reviews").status, 403);
        let insp = get(&w, &sign_in(&w, "insp1", "password-123"), "/reviews");
        assert!(insp.status == 200 && insp.text.contains(&v1) && !insp.text.contains("data-testid=\"approve\""), "{}", insp.text);
        assert_eq!(voucher(&w, &p, &v1)["status"], "pending_review");

        // A decline needs its reason: the queue again, the refusal in Chinese beside the voucher.
        let no_reason = post(&w, &fin, &decline, &[("csrf", &csrf), ("reason", " ")]);
        assert_eq!(no_reason.status, 422, "{}", no_reason.text);
        assert!(no_reason.text.contains("data-code=\"validation_failed\"") && no_reason.text.contains("请填写理由"), "{}", no_reason.text);
        assert_eq!(voucher(&w, &p, &v2)["status"], "pending_review");

        // Approved: posted with its number; an off-site `back` is not followed.
        for off_site in ["https://evil.example/", "//evil.example/x"] {
            let bad_back = post(&w, &fin, &format!("/projects/{p}/vouchers/no-such/approve"), &[("csrf", &csrf), ("back", off_site)]);
            assert_eq!(bad_back.status, 404, "{}", bad_back.text);
        }
        let ok = post(&w, &fin, &approve, &[("csrf", &csrf), ("note", "符合会议费标准"), ("back", "//evil.example/x")]);
        let posted = voucher(&w, &p, &v1);
        assert_eq!(posted["status"], "posted");
        assert_eq!(posted["decision"]["note"], "符合会议费标准");
        let number = posted["number"].as_i64().unwrap();
        assert_eq!((ok.status, ok.header("location")), (303, Some(format!("/reviews?done=approved&number={number}").as_str())));
        let after = get(&w, &fin, &format!("/reviews?done=approved&number={number}"));
        assert!(after.text.contains("data-testid=\"flash\"") && after.text.contains(&format!("记字第 {number} 号")), "{}", after.text);
        assert!(!after.text.contains(&format!("data-voucher-id=\"{v1}\"")), "an approved voucher leaves the queue");

        // Deciding it again: not pending, said in Chinese.
        let again = post(&w, &fin, &approve, &[("csrf", &csrf), ("note", "再次")]);
        assert_eq!(again.status, 409);
        assert!(again.text.contains("data-code=\"not_pending\"") && again.text.contains("该凭证不在待审核状态"), "{}", again.text);

        // Declined from the voucher's own page: back there.
        let back = format!("/projects/{p}/vouchers/{v2}");
        let declined = post(&w, &fin, &decline, &[("csrf", &csrf), ("reason", "餐费超标准"), ("back", &back)]);
        assert_eq!((declined.status, declined.header("location")), (303, Some(format!("{back}?done=declined").as_str())));
        assert_eq!(voucher(&w, &p, &v2)["status"], "declined");
        assert!(get(&w, &fin, "/reviews").text.contains("data-testid=\"queue-empty\""));
    });
}

#[test]
fn disbursement_by_form_posts_once_and_refuses_above_the_grant_in_chinese() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        let fin = sign_in(&w, "fin1", "password-123");
        let page = get(&w, &fin, &format!("/projects/{p}/disburse"));
        assert_eq!(page.status, 200);
        assert_eq!(text_at(&page.text, "data-field=\"undisbursed\""), "500,000.00");
        let (csrf, path) = (page.csrf(), format!("/projects/{p}/disburse"));
        let fields = |key: &'static str, amount: &'static str| {
            vec![("date", "2025-03-10"), ("amount", amount), ("reference", "赤财教〔2025〕12号"), ("key", key)]
        };

        let unit = sign_in(&w, "unit1", "password-123");
        assert_eq!(get(&w, &unit, &path).status, 403);
        let unit_csrf = get(&w, &unit, "/").csrf();
        let mut as_unit = fields("k-unit", "1.00");
        as_unit.push(("csrf", &unit_csrf));
        assert_eq!(post(&w, &unit, &path, &as_unit).status, 403);
        assert_eq!(post(&w, &fin, &path, &fields("k-none", "1.00")).status, 403, "no CSRF token");
        assert_eq!(get(&w, &fin, "/projects/no-such-project/disburse").status, 404);

        // Posted once, however often the same rendered form is sent.
        let mut once = fields("k-1", "200,000.00");
        once.push(("csrf", &csrf));
        let first = post(&w, &fin, &path, &once);
        let second = post(&w, &fin, &path, &once);
        assert_eq!(first.status, 303, "{}", first.text);
        assert_eq!(first.header("location"), second.header("location"));
        assert!(first.header("location").unwrap().starts_with(&format!("/projects/{p}/disburse?done=disbursed&number=")));
        assert_eq!(w.statement(&p)["disbursed"], "200000.00");
        let vouchers = crate::common::all_vouchers(&w, &p);
        assert_eq!(vouchers.iter().filter(|v| v["kind"] == "disbursement").count(), 1, "{vouchers:?}");

        // Above what is left of the grant: the form again, in Chinese, with the input kept.
        let mut too_much = fields("k-2", "400000.00");
        too_much.push(("csrf", &csrf));
        let refused = post(&w, &fin, &path, &too_much);
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert!(refused.text.contains("data-code=\"grant_exceeded\"") && refused.text.contains("超出补助资金额度"), "{}", refused.text);
        assert!(refused.text.contains("value=\"400000.00\"") && refused.text.contains("赤财教〔2025〕12号"), "input kept");
        assert!(refused.text.contains("本项目尚未拨付的补助资金为 300,000.00 元"), "{}", refused.text);
        assert_eq!(w.statement(&p)["disbursed"], "200000.00", "nothing posted");

        // A bad date and a bad amount stay with their fields.
        let bad = post(&w, &fin, &path, &[("csrf", &csrf), ("date", "2025-13-40"), ("amount", "10.00"), ("key", "k-3")]);
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains("data-field=\"date\"") && bad.text.contains("data-code=\"validation_failed\""), "{}", bad.text);
        let bad = post(&w, &fin, &path, &[("csrf", &csrf), ("date", "2025-04-01"), ("amount", "十元"), ("key", "k-4")]);
        assert_eq!(bad.status, 422);
        assert!(
            bad.text.contains("data-code=\"invalid_amount\"") && bad.text.contains("data-testid=\"field-error\" data-field=\"amount\"")
        );
        let out_of_period = post(&w, &fin, &path, &[("csrf", &csrf), ("date", "2024-01-01"), ("amount", "10.00"), ("key", "k-5")]);
        assert_eq!(out_of_period.status, 422);
        assert!(out_of_period.text.contains("data-code=\"out_of_period\"") && out_of_period.text.contains("日期不在项目周期内"));
        assert_eq!(w.statement(&p)["disbursed"], "200000.00");
    });
}

/// A base project half spent, with one voucher held for review, then cancelled by HR.
fn cancelled_project(w: &World) -> (String, String) {
    let p = w.base_project("2025-03-01");
    assert_eq!(w.disburse(&p, "2025-03-10", "300000.00").status, 201);
    for (cat, amount, summary) in [
        ("equipment", "180000.00", "采购实训设备"),
        ("materials", "40000.00", "采购实训耗材"),
        ("curriculum", "30000.00", "实训教材编写印刷"),
    ] {
        assert_eq!(w.spend(&w.unit, &p, "2025-06-01", cat, amount, summary).status, 201);
    }
    let held = flagged(w, &p, "500.00");
    let r = w.post(&w.hr, &format!("/projects/{p}/status"), json!({"status": "cancelled", "reason": "建设单位注销"}));
    assert_eq!(r.status, 200, "{r:?}");
    (p, held)
}

#[test]
fn recovery_shows_the_apis_breakdown_before_posting_then_recovers_and_remits() {
    on_each_backend(|w| {
        let (p, held) = cancelled_project(&w);
        let fin = sign_in(&w, "fin1", "password-123");
        let path = format!("/projects/{p}/recovery");
        let page = get(&w, &fin, &path);
        assert_eq!(page.status, 200);
        let api = w.get(&w.finance, &format!("/projects/{p}/recoverable")).body;
        for field in ["grant", "implemented", "recovered", "recoverable", "undisbursed", "to_remit", "pending_review"] {
            let shown = text_at(&page.text, &format!("data-testid=\"recovery-figure\" data-field=\"{field}\""));
            assert_eq!(plain(&shown), api[field].as_str().unwrap(), "{field}");
        }
        assert!(page.text.contains("data-testid=\"nothing-owed\""), "nothing owed before recovery");
        assert!(page.text.contains("value=\"cancelled\"") && !page.text.contains("value=\"leader_unqualified\""), "a base has no leader");
        assert_eq!(get(&w, &fin, &format!("{path}?done=recovered&number=abc")).status, 200, "a hand-edited address is no error");
        let csrf = page.csrf();
        let recover =
            |key: &'static str| vec![("date", "2025-07-01"), ("reason", "cancelled"), ("note", "单位注销，收回未实施资金"), ("key", key)];

        assert_eq!(get(&w, &sign_in(&w, "hr1", "password-123"), &path).status, 403);
        assert_eq!(post(&w, &fin, &path, &recover("r-0")).status, 403, "no CSRF token");

        // A voucher still awaiting review blocks it, said in Chinese; nothing changes.
        let mut fields = recover("r-1");
        fields.push(("csrf", &csrf));
        let blocked = post(&w, &fin, &path, &fields);
        assert_eq!(blocked.status, 409, "{}", blocked.text);
        assert!(blocked.text.contains("data-code=\"pending_reviews\"") && blocked.text.contains("尚有 1 张凭证待审核"), "{}", blocked.text);
        assert!(blocked.text.contains("单位注销，收回未实施资金"), "the note is kept");
        assert_eq!(w.get(&w.finance, &format!("/projects/{p}")).body["status"], "cancelled");
        let declined = w.post(&w.finance, &format!("/projects/{p}/vouchers/{held}/decline"), json!({"reason": "项目撤销"}));
        assert_eq!(declined.status, 200);

        let mut fields = recover("r-2");
        fields.push(("csrf", &csrf));
        let done = post(&w, &fin, &path, &fields);
        let recovery = crate::common::all_vouchers(&w, &p).into_iter().find(|v| v["kind"] == "recovery").expect("a recovery voucher");
        let to = format!("{path}?done=recovered&number={}", recovery["number"]);
        assert_eq!((done.status, done.header("location")), (303, Some(to.as_str())), "{}", done.text);
        assert_eq!(w.get(&w.finance, &format!("/projects/{p}")).body["status"], "closed");
        let owed = w.statement(&p)["owed_to_finance"].as_str().unwrap().to_string();
        assert_eq!(owed, "50000.00");

        // Then the remittance form, offering what is owed.
        let page = get(&w, &fin, &path);
        assert!(page.text.contains("data-testid=\"closed\"") && page.text.contains("value=\"50,000.00\""), "{}", page.text);
        let remit = format!("/projects/{p}/remittances");
        let too_much = post(&w, &fin, &remit, &[("csrf", &csrf), ("date", "2025-07-05"), ("amount", "60,000.00"), ("key", "m-1")]);
        assert_eq!(too_much.status, 409);
        assert!(too_much.text.contains("data-code=\"exceeds_owed\"") && too_much.text.contains("应缴 50,000.00 元"), "{}", too_much.text);
        let paid = post(
            &w,
            &fin,
            &remit,
            &[("csrf", &csrf), ("date", "2025-07-05"), ("amount", "50,000.00"), ("reference", "缴款书0001"), ("key", "m-2")],
        );
        assert_eq!(paid.status, 303, "{}", paid.text);
        assert!(paid.header("location").unwrap().starts_with(&format!("{path}?done=remitted&number=")));
        assert_eq!(w.balance(&p, "2241"), "0.00");
        let again = post(&w, &fin, &remit, &[("csrf", &csrf), ("date", "2025-07-06"), ("amount", "1.00"), ("key", "m-3")]);
        assert_eq!(again.status, 409);
        assert!(again.text.contains("data-code=\"nothing_owed\""));
        assert_eq!(post(&w, &fin, &remit, &[("date", "2025-07-06"), ("amount", "1.00")]).status, 403, "no CSRF token");
    });
}

#[test]
fn trial_balance_and_ledger_equal_the_apis_and_downloads_need_the_session() {
    on_each_backend(|w| {
        let p = spent_project(&w);
        let fin = sign_in(&w, "fin1", "password-123");
        let page = get(&w, &fin, &format!("/projects/{p}/trial-balance"));
        assert_eq!(page.status, 200);
        let api = w.get(&w.finance, &format!("/projects/{p}/trial-balance")).body;
        for field in ["debit", "credit", "debit_balances", "credit_balances"] {
            let shown = text_at(&page.text, &format!("data-testid=\"trial-total\" data-field=\"{field}\""));
            assert_eq!(plain(&shown), api["totals"][field].as_str().unwrap(), "{field}");
        }
        assert!(page.text.contains("data-testid=\"trial-balanced\" data-balanced=\"true\""));
        for a in api["accounts"].as_array().unwrap() {
            assert!(page.text.contains(&format!("data-code=\"{}\"", a["code"].as_str().unwrap())), "{a}");
        }
        let ledger = get(&w, &fin, &format!("/projects/{p}/ledger?account=1002&from=&to="));
        let api_ledger = w.get(&w.finance, &format!("/projects/{p}/ledger?account=1002")).body;
        assert_eq!(plain(&text_at(&ledger.text, "data-testid=\"ledger-closing\"")), api_ledger["closing_balance"].as_str().unwrap());
        assert_eq!(ledger.text.matches("data-testid=\"ledger-entry\"").count(), api_ledger["entries"].as_array().unwrap().len());

        // Downloads: the API's own CSV, with the session cookie only.
        for (console, api_path) in [
            (format!("/projects/{p}/trial-balance?format=csv"), format!("/projects/{p}/trial-balance?format=csv")),
            (format!("/projects/{p}/ledger?format=csv&account=1002"), format!("/projects/{p}/ledger?format=csv&account=1002")),
            (format!("/projects/{p}/statement?format=csv"), format!("/projects/{p}/statement?format=csv")),
            (format!("/projects/{p}/export?format=csv"), format!("/projects/{p}/export?format=csv")),
        ] {
            let csv = get(&w, &fin, &console);
            assert_eq!(csv.status, 200, "{console}: {}", csv.text);
            assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"), "{console}");
            assert_eq!(csv.text, w.get(&w.finance, &api_path).text, "{console}");
            let anonymous = send("GET", &format!("{}{console}", root(&w)), None, None, &[]);
            assert_eq!((anonymous.status, anonymous.header("location")), (303, Some("/")), "{console}");
            assert!(!anonymous.text.contains("1002"), "{console}");
        }
        assert!(page.text.contains(&format!("href=\"/projects/{p}/trial-balance?format=csv\"")));

        // Who may read: the unit its own project, inspectors and HR every one; others 404.
        for who in ["unit1", "insp1", "hr1"] {
            assert_eq!(get(&w, &sign_in(&w, who, "password-123"), &format!("/projects/{p}/trial-balance")).status, 200, "{who}");
        }
        let stranger = sign_in(&w, "unit2", "password-123");
        assert_eq!(get(&w, &stranger, &format!("/projects/{p}/trial-balance")).status, 404);
        assert_eq!(get(&w, &stranger, &format!("/projects/{p}/trial-balance?format=csv")).status, 404);
        assert_eq!(get(&w, &stranger, &format!("/projects/{p}/ledger?account=1002")).status, 404);

        // Bad questions are answered on the page, in Chinese.
        let bad_day = get(&w, &fin, &format!("/projects/{p}/trial-balance?as_of=2025-02-30"));
        assert_eq!(bad_day.status, 422);
        assert!(bad_day.text.contains("data-code=\"validation_failed\""), "{}", bad_day.text);
        let unknown = get(&w, &fin, &format!("/projects/{p}/ledger?account=9999"));
        assert_eq!(unknown.status, 422);
        assert!(unknown.text.contains("data-code=\"unknown_account\"") && unknown.text.contains("科目 9999 不在本项目的科目表中"));
    });
}

#[test]
fn the_portfolio_marks_periods_ending_soon() {
    on_each_backend(|w| {
        let days_ago = |n: i64| (chrono::Utc::now().date_naive() - chrono::Duration::days(n)).to_string();
        // A base runs two years: one started 700 days ago has about a month left.
        let ending = w.base_project(&days_ago(700));
        let fresh = w.base_project(&days_ago(0));
        let home = get(&w, &sign_in(&w, "fin1", "password-123"), "/");
        let row =
            |id: &str| home.text.split(&format!("data-project-id=\"{id}\"")).nth(1).unwrap().split("</tr>").next().unwrap().to_string();
        assert!(row(&ending).contains("data-testid=\"ending-soon\""), "{}", row(&ending));
        assert!(!row(&fresh).contains("data-testid=\"ending-soon\""), "{}", row(&fresh));
    });
}

#[test]
fn finance_reviews_disburses_and_recovers_in_a_real_browser() {
    let Some(b) = Browser::start() else { return };
    on_each_backend(|w| {
        let root = root(&w);
        let shots = w.db == Db::Sqlite;
        let p = spent_project(&w);
        let (v1, v2) = (flagged(&w, &p, "600.00"), flagged(&w, &p, "300.00"));

        b.sign_in(&root, "fin1", "password-123");
        b.wait_for("[data-testid=project-row]", 10);
        b.goto(&format!("{root}/reviews"));
        b.wait_for(&format!("[data-testid=review-item][data-voucher-id='{v1}']"), 10);
        if shots {
            b.screenshot("reviews-zh");
            b.goto(&format!("{root}/reviews?lang=en"));
            b.wait_for("[data-testid=review-item]", 10);
            b.screenshot("reviews-en");
            b.window(390, 844);
            b.goto(&format!("{root}/reviews?lang=zh"));
            b.wait_for("[data-testid=review-item]", 10);
            b.screenshot("reviews-phone-zh");
            b.window(1366, 768);
        }
        b.goto(&format!("{root}/reviews?lang=zh"));
        b.type_into(&format!("#note-{v1}"), "符合会议费标准");
        b.click(&format!("[data-voucher-id='{v1}'] [data-testid=approve]"));
        let flash = b.wait_for("[data-testid=flash][data-done=approved]", 10);
        let posted = voucher(&w, &p, &v1);
        assert_eq!(posted["status"], "posted");
        assert!(b.text(&flash).contains(&format!("记字第 {} 号", posted["number"])), "{}", b.text(&flash));
        assert!(b.find_all(&format!("[data-voucher-id='{v1}']")).is_empty(), "it left the queue");

        b.type_into(&format!("#reason-{v2}"), "餐费超出标准");
        b.click(&format!("[data-voucher-id='{v2}'] [data-testid=decline]"));
        b.wait_for("[data-testid=flash][data-done=declined]", 10);
        let declined = voucher(&w, &p, &v2);
        assert_eq!((declined["status"].as_str(), declined["decision"]["note"].as_str()), (Some("declined"), Some("餐费超出标准")));

        // Disbursement: above the undisbursed grant is refused in Chinese, nothing posted; then a
        // good one (the date field keeps today's date).
        let before = w.statement(&p)["disbursed"].clone();
        b.goto(&format!("{root}/projects/{p}/disburse"));
        b.type_into("#amount", "400000.00");
        b.click("[data-testid=disburse-form] button[type=submit]");
        let error = b.wait_for("[data-testid=form-error][data-code=grant_exceeded]", 10);
        assert!(b.text(&error).contains("超出补助资金额度"));
        assert_eq!(w.statement(&p)["disbursed"], before);
        if shots {
            b.screenshot("disburse-refused-zh");
        }

        // Recovery: the page's figures are the API's.
        b.goto(&format!("{root}/projects/{p}/recovery"));
        let api = w.get(&w.finance, &format!("/projects/{p}/recoverable")).body;
        for field in ["recoverable", "undisbursed", "to_remit"] {
            let el = b.wait_for(&format!("[data-testid=recovery-figure][data-field={field}]"), 10);
            assert_eq!(plain(&b.text(&el)), api[field].as_str().unwrap(), "{field}");
        }
        if shots {
            b.screenshot("recovery-zh");
            b.goto(&format!("{root}/projects/{p}/recovery?lang=en"));
            b.wait_for("[data-testid=recovery-figure]", 10);
            b.screenshot("recovery-en");
            b.goto(&format!("{root}/projects/{p}/trial-balance?lang=zh"));
            b.wait_for("[data-testid=trial-balance]", 10);
            b.screenshot("trial-balance-zh");
            b.goto(&format!("{root}/projects/{p}/ledger?account=1002"));
            b.wait_for("[data-testid=ledger]", 10);
            b.screenshot("ledger-zh");
        }
        let balanced = {
            b.goto(&format!("{root}/projects/{p}/trial-balance?lang=zh"));
            b.wait_for("[data-testid=trial-balanced]", 10)
        };
        assert_eq!(b.attr(&balanced, "data-balanced").as_deref(), Some("true"));
    });
}
