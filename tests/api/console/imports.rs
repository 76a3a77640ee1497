//! The import page: a file checked by a dry run (nothing posted), then posted once by its hash;
//! a refused file lists every refused row in Chinese and posts nothing; roles, CSRF, the held
//! file bound to its user; and the same in Chromium, with screenshots.
use super::{other_units_project, root, send, sign_in, Answer, Browser};
use crate::common::{all_vouchers, on_each_backend, Db, World};
use crate::documents::{form, BOUNDARY};
use sha2::{Digest, Sha256};

const HEADER: &str = "voucher_ref,date,summary,account,debit,credit,line_summary,invoice_number,seller,seller_tax_id,attachments\n";

/// Two vouchers: materials (posted at once) and a meeting's meal (held for review).
fn good_file() -> String {
    format!(
        "{HEADER}V1,2025-03-04,采购焊丝,materials,300.00,,焊丝 2 箱,,,,1\nV1,,,1002,,300.00,银行付款,,,,\n\
         V2,2025-03-05,研讨会,other_training,800.00,,召开培训工作研讨会餐费,,,,\nV2,,,1002,,800.00,银行付款,,,,\n"
    )
}

/// Row 2: an amount with three decimals; row 4: a teacher's travel, prohibited.
fn bad_file() -> String {
    format!(
        "{HEADER}B1,2025-03-04,采购焊丝,materials,12.345,,焊丝,,,,\nB1,,,1002,,12.35,银行付款,,,,\n\
         B2,2025-03-06,报销,teacher_training,560.00,,教师出差路费,,,,\nB2,,,1002,,560.00,银行付款,,,,\n"
    )
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn funded(w: &World) -> String {
    let p = w.base_project("2025-03-01");
    assert_eq!(w.disburse(&p, "2025-03-02", "200000.00").status, 201);
    p
}

fn get(w: &World, cookie: &str, path: &str) -> Answer {
    send("GET", &format!("{}{path}", root(w)), Some(cookie), None, &[])
}

/// The page's file form as a browser sends it: the CSRF token first, then the file.
fn check(w: &World, cookie: &str, p: &str, csrf: Option<&str>, file: &[u8]) -> Answer {
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = Vec::new();
    if let Some(token) = csrf {
        parts.push(("csrf", None, token.as_bytes()));
    }
    parts.push(("file", Some("凭证导入.csv"), file));
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let req = agent
        .post(&format!("{}/projects/{p}/import", root(w)))
        .set("Cookie", cookie)
        .set("Content-Type", &format!("multipart/form-data; boundary={BOUNDARY}"));
    let resp = match req.send_bytes(&form(&parts)) {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("POST import: {e}"),
    };
    let status = resp.status();
    let headers =
        resp.headers_names().into_iter().map(|n| (n.to_ascii_lowercase(), resp.all(&n).into_iter().map(String::from).collect())).collect();
    Answer { status, text: resp.into_string().unwrap_or_default(), headers }
}

fn post(w: &World, cookie: &str, p: &str, csrf: &str, sha: &str) -> Answer {
    send("POST", &format!("{}/projects/{p}/import/post", root(w)), Some(cookie), Some(&format!("csrf={csrf}&sha256={sha}")), &[])
}

/// The figure `field` of the page's counts.
fn figure(page: &str, field: &str) -> String {
    let at = page.find(&format!("data-field=\"{field}\"")).unwrap_or_else(|| panic!("no {field}: {page}"));
    page[at..].split("<dd>").nth(1).unwrap().split('<').next().unwrap().to_string()
}

#[test]
fn a_file_is_checked_then_posted_once_and_a_refused_file_lists_every_row() {
    on_each_backend(|w| {
        let p = funded(&w);
        let unit = sign_in(&w, "unit1", "password-123");
        let page = get(&w, &unit, &format!("/projects/{p}/import"));
        assert_eq!(page.status, 200, "{}", page.text);
        for hook in
            ["data-testid=\"import-form\"", "/imports/template?format=csv", "/imports/template?format=xlsx", "seller_tax_id", "分录摘要"]
        {
            assert!(page.text.contains(hook), "the page lacks {hook}");
        }
        assert!(get(&w, &unit, &format!("/projects/{p}")).text.contains(&format!("href=\"/projects/{p}/import\"")), "linked for the unit");
        let finance = sign_in(&w, "fin1", "password-123");
        assert!(get(&w, &finance, &format!("/projects/{p}/vouchers")).text.contains(&format!("href=\"/projects/{p}/import\"")));
        let template = get(&w, &unit, "/imports/template?format=csv");
        assert_eq!(template.status, 200);
        assert!(template.text.starts_with("\u{feff}voucher_ref,date"), "{}", template.text);
        let csrf = page.csrf();
        let before = all_vouchers(&w, &p).len();

        // The dry run: what would be posted, nothing posted.
        let file = good_file();
        assert_eq!(check(&w, &unit, &p, None, file.as_bytes()).status, 403, "without the CSRF token");
        let checked = check(&w, &unit, &p, Some(&csrf), file.as_bytes());
        assert_eq!(checked.status, 200, "{}", checked.text);
        assert!(checked.text.contains("data-testid=\"import-checked\""), "{}", checked.text);
        let counts: Vec<String> =
            ["vouchers", "lines", "posted", "pending_review", "total_debit"].iter().map(|f| figure(&checked.text, f)).collect();
        assert_eq!(counts, ["2", "4", "1", "1", "1,100.00"]);
        assert!(checked.text.contains("入账这 2 张凭证"), "{}", checked.text);
        let sha = sha256(file.as_bytes());
        assert!(checked.text.contains(&format!("name=\"sha256\" value=\"{sha}\"")));
        assert_eq!(all_vouchers(&w, &p).len(), before, "a check posts nothing");

        // The file is held for the user who checked it: finance cannot post it by its hash.
        let gone = post(&w, &finance, &p, &get(&w, &finance, &format!("/projects/{p}/import")).csrf(), &sha);
        assert_eq!(gone.status, 410, "{}", gone.text);
        assert!(gone.text.contains("data-testid=\"import-gone\""));
        assert_eq!(post(&w, &unit, &p, "", &sha).status, 403, "without the CSRF token");
        assert_eq!(all_vouchers(&w, &p).len(), before);

        // Posted: a redirect to the result, which a reload shows again without posting.
        let posted = post(&w, &unit, &p, &csrf, &sha);
        let done = format!("/projects/{p}/import?imported={sha}");
        assert_eq!((posted.status, posted.header("location")), (303, Some(done.as_str())), "{}", posted.text);
        let shown = get(&w, &unit, &done);
        assert!(shown.text.contains("data-testid=\"import-done\"") && shown.text.contains("data-again=\"false\""), "{}", shown.text);
        assert_eq!(figure(&shown.text, "pending_review"), "1");
        assert!(shown.text.contains(&format!("href=\"/projects/{p}/vouchers\"")));
        let after = all_vouchers(&w, &p);
        assert_eq!(after.len(), before + 2);
        assert!(after.iter().any(|v| v["summary"] == "研讨会" && v["status"] == "pending_review"));

        // The same file again, posted or checked: the first answer, nothing posted twice.
        let again = post(&w, &unit, &p, &csrf, &sha);
        assert_eq!(again.status, 200);
        assert!(again.text.contains("data-testid=\"import-again\"") && again.text.contains("没有再次入账"), "{}", again.text);
        let rechecked = check(&w, &unit, &p, Some(&csrf), file.as_bytes());
        assert!(rechecked.text.contains("data-testid=\"import-again\""), "{}", rechecked.text);
        assert_eq!(figure(&rechecked.text, "vouchers"), "2");
        assert_eq!(all_vouchers(&w, &p).len(), before + 2);

        // Two bad rows: both listed by row number with the reason in Chinese, nothing posted.
        let refused = check(&w, &unit, &p, Some(&csrf), bad_file().as_bytes());
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(refused.text.contains("data-code=\"import_rejected\"") && !refused.text.contains("post-import"), "{}", refused.text);
        assert_eq!(refused.text.matches("data-testid=\"refusal\"").count(), 2, "{}", refused.text);
        assert!(refused.text.contains("data-row=\"2\" data-code=\"invalid_amount\""), "{}", refused.text);
        assert!(refused.text.contains("data-row=\"4\" data-code=\"voucher_rejected\""), "{}", refused.text);
        assert!(refused.text.contains("金额格式不正确") && refused.text.contains("差旅费不得从补助资金列支"), "{}", refused.text);
        assert_eq!(all_vouchers(&w, &p).len(), before + 2);

        // A file that is no import: the sentence on the form.
        let unreadable = check(&w, &unit, &p, Some(&csrf), "凭证号,金额\nV1,12\n".as_bytes());
        assert_eq!(unreadable.status, 422, "{}", unreadable.text);
        assert!(unreadable.text.contains("data-code=\"validation_failed\"") && unreadable.text.contains("import-form"));

        // Roles as the API: not an inspector or HR; not another unit's project.
        let inspector = sign_in(&w, "insp1", "password-123");
        assert_eq!(get(&w, &inspector, &format!("/projects/{p}/import")).status, 403);
        let hr = sign_in(&w, "hr1", "password-123");
        assert_eq!(check(&w, &hr, &p, Some(&get(&w, &hr, "/").csrf()), file.as_bytes()).status, 403);
        assert_eq!(get(&w, &unit, &format!("/projects/{}/import", other_units_project(&w))).status, 404);
        assert_eq!(send("GET", &format!("{}/imports/template", root(&w)), None, None, &[]).status, 303, "signed out: to sign-in");
    });
}

/// In Chromium: the good file through dry run, posting and the voucher list; the bad file's two
/// rows listed and nothing posted. A screenshot of each state in target/screenshots/ (on SQLite;
/// the Chinese ones are copied to docs/screenshots/).
#[test]
fn importing_a_file_in_chromium() {
    let Some(b) = Browser::start() else { return };
    on_each_backend(|w| {
        let p = funded(&w);
        let dir = tempfile::tempdir().unwrap();
        let (good, bad) = (dir.path().join("三月凭证.csv"), dir.path().join("四月凭证.csv"));
        std::fs::write(&good, good_file()).unwrap();
        std::fs::write(&bad, bad_file()).unwrap();
        let root = root(&w);
        let shot = |name: &str| {
            if w.db == Db::Sqlite {
                b.screenshot(name);
            }
        };
        b.sign_in(&root, "unit1", "password-123");
        b.wait_for("form[action='/logout']", 10);
        b.goto(&format!("{root}/projects/{p}?lang=zh"));
        b.click("[data-testid='import-link']");
        b.wait_for("[data-testid='import-form']", 10);
        shot("import-form-zh");
        let before = all_vouchers(&w, &p).len();

        b.type_into("#import-file", &good.display().to_string());
        b.click("[data-testid='import-form'] button[type=submit]");
        let button = b.wait_for("[data-testid='post-import'] button", 10);
        assert!(b.text(&button).contains("入账这 2 张凭证"), "{}", b.text(&button));
        assert_eq!(all_vouchers(&w, &p).len(), before, "the dry run posts nothing");
        shot("import-checked-zh");
        b.click("[data-testid='post-import'] button");
        b.wait_for("[data-testid='import-done']", 10);
        shot("import-done-zh");
        b.click("[data-testid='to-vouchers']");
        let list = b.wait_for("[data-testid='voucher-list']", 10);
        let listed = b.text(&list);
        assert!(listed.contains("采购焊丝") && listed.contains("研讨会"), "{listed}");
        assert_eq!(all_vouchers(&w, &p).len(), before + 2);

        b.goto(&format!("{root}/projects/{p}/import"));
        b.type_into("#import-file", &bad.display().to_string());
        b.click("[data-testid='import-form'] button[type=submit]");
        b.wait_for("[data-testid='import-refusals']", 10);
        let rows: Vec<String> = b.find_all("[data-testid='refusal']").iter().map(|r| b.text(r)).collect();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows[0].starts_with('2') && rows[0].contains("金额格式不正确"), "{rows:?}");
        assert!(rows[1].starts_with('4') && rows[1].contains("差旅费"), "{rows:?}");
        assert_eq!(all_vouchers(&w, &p).len(), before + 2, "nothing of the bad file posted");
        shot("import-refused-zh");
        if w.db == Db::Sqlite {
            b.goto(&format!("{root}/projects/{p}/import?lang=en"));
            b.type_into("#import-file", &bad.display().to_string());
            b.click("[data-testid='import-form'] button[type=submit]");
            b.wait_for("[data-testid='import-refusals']", 10);
            b.screenshot("import-refused-en");
            b.goto(&format!("{root}/projects/{p}/import?lang=zh"));
        }
    });
}
