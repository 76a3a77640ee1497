//! Sign-in, cookies, CSRF, visibility, languages and assets over plain HTTP; every role's start
//! pages and the in-browser chain verification in Chromium; the API docs page.
use super::{other_units_project, root, send, sign_in, spent_project, sql, Browser};
use crate::common::{on_each_backend, settings, Db, FreshDb, Server, World};
use serde_json::json;

#[test]
fn sign_in_cookie_flags_csrf_and_bearer_only_api() {
    on_each_backend(|w| {
        let root = root(&w);
        let start = send("GET", &format!("{root}/"), None, None, &[]);
        assert_eq!(start.status, 200);
        for hook in ["action=\"/login\"", "name=\"username\"", "name=\"password\"", "lang=\"zh-CN\"", "登录"] {
            assert!(start.text.contains(hook), "sign-in page lacks {hook}: {}", start.text);
        }
        let wrong = send("POST", &format!("{root}/login"), None, Some("username=fin1&password=wrong-password"), &[]);
        assert_eq!(wrong.status, 401);
        assert!(wrong.text.contains("data-testid=\"login-error\"") && wrong.cookie("fl_session").is_none(), "{}", wrong.text);

        let ok = send("POST", &format!("{root}/login"), None, Some("username=fin1&password=password-123"), &[]);
        assert_eq!((ok.status, ok.header("location")), (303, Some("/")));
        let set = ok.cookies().into_iter().find(|c| c.starts_with("fl_session=")).expect("session cookie");
        for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(set.contains(flag), "{set} lacks {flag}");
        }
        assert!(!set.contains("Secure"), "not configured for https: {set}");
        let cookie = format!("fl_session={}", ok.cookie("fl_session").unwrap());
        let home = send("GET", &format!("{root}/"), Some(&cookie), None, &[]);
        assert_eq!(home.status, 200);
        assert!(home.text.contains("项目总览") && home.text.contains("fin1"), "{}", home.text);

        // The session cookie is no credential for the API, neither as a cookie nor as a Bearer token.
        let api = send("GET", &format!("{root}/api/v1/projects"), Some(&cookie), None, &[]);
        assert_eq!(api.status, 401, "{}", api.text);
        let token = cookie.trim_start_matches("fl_session=");
        let as_bearer = send("GET", &format!("{root}/api/v1/projects"), None, None, &[("Authorization", &format!("Bearer {token}"))]);
        assert_eq!(as_bearer.status, 401, "{}", as_bearer.text);

        // Sign out needs the session's CSRF token.
        let no_token = send("POST", &format!("{root}/logout"), Some(&cookie), Some(""), &[]);
        assert_eq!(no_token.status, 403, "{}", no_token.text);
        let wrong_token = send("POST", &format!("{root}/logout"), Some(&cookie), Some(&format!("csrf={}", "0".repeat(64))), &[]);
        assert_eq!(wrong_token.status, 403);
        let other_session = sign_in(&w, "insp1", "password-123");
        let others_token = send("GET", &format!("{root}/"), Some(&other_session), None, &[]).csrf();
        assert_eq!(send("POST", &format!("{root}/logout"), Some(&cookie), Some(&format!("csrf={others_token}")), &[]).status, 403);
        assert_eq!(send("GET", &format!("{root}/"), Some(&cookie), None, &[]).status, 200, "still signed in");
        let csrf = home.csrf();
        let by_header = send("POST", &format!("{root}/logout"), Some(&cookie), Some(""), &[("X-CSRF-Token", &csrf)]);
        assert_eq!((by_header.status, by_header.header("location")), (303, Some("/")));
        assert!(by_header.cookies().iter().any(|c| c.starts_with("fl_session=;") && c.contains("Max-Age=0")), "{:?}", by_header.cookies());

        // A sign-in form posted from another site is refused.
        let cross = send(
            "POST",
            &format!("{root}/login"),
            None,
            Some("username=fin1&password=password-123"),
            &[("Origin", "https://evil.example")],
        );
        assert_eq!(cross.status, 403);
    });
}

#[test]
fn a_unit_sees_only_its_own_projects_and_a_deactivated_user_is_signed_out() {
    on_each_backend(|w| {
        let root = root(&w);
        let own = spent_project(&w);
        let other = other_units_project(&w);
        let unit = sign_in(&w, "unit1", "password-123");
        let home = send("GET", &format!("{root}/"), Some(&unit), None, &[]);
        assert!(home.text.contains(&format!("data-project-id=\"{own}\"")), "{}", home.text);
        assert!(!home.text.contains(&other), "another unit's project is listed");
        let page = send("GET", &format!("{root}/projects/{own}"), Some(&unit), None, &[]);
        assert_eq!(page.status, 200);
        assert!(page.text.contains("data-field=\"implemented\">123,456.78<"), "{}", page.text);
        assert_eq!(send("GET", &format!("{root}/projects/{other}"), Some(&unit), None, &[]).status, 404);
        assert_eq!(send("GET", &format!("{root}/projects/{other}/audit"), Some(&unit), None, &[]).status, 404);
        assert_eq!(send("GET", &format!("{root}/projects/{other}/audit/trail.jsonl"), Some(&unit), None, &[]).status, 404);
        assert_eq!(send("GET", &format!("{root}/projects/no-such-project"), Some(&unit), None, &[]).status, 404);
        // Not signed in: back to the sign-in page.
        let anonymous = send("GET", &format!("{root}/projects/{own}"), None, None, &[]);
        assert_eq!((anonymous.status, anonymous.header("location")), (303, Some("/")));

        // The console's trail is the API's jsonl download.
        let trail = send("GET", &format!("{root}/projects/{own}/audit/trail.jsonl"), Some(&unit), None, &[]);
        let api = w.get(&w.unit, &format!("/projects/{own}/audit-trail?format=jsonl"));
        assert_eq!((trail.status, trail.text.as_str()), (200, api.text.as_str()));

        // Deactivated: the session stops working at once (this process forgets the standing).
        let users = w.get(&w.admin, "/users?limit=500");
        let id =
            users.body["items"].as_array().unwrap().iter().find(|u| u["username"] == "unit1").unwrap()["id"].as_str().unwrap().to_string();
        assert_eq!(w.patch_user(&id, json!({"active": false})), 200);
        let after = send("GET", &format!("{root}/projects/{own}"), Some(&unit), None, &[]);
        assert_eq!((after.status, after.header("location")), (303, Some("/")));
        assert!(after.cookies().iter().any(|c| c.starts_with("fl_session=;")), "the dead cookie is deleted");
    });
}

#[test]
fn language_assets_and_the_secure_flag() {
    let fresh = FreshDb::new(Db::Sqlite);
    let mut s = settings(&fresh.url);
    s.console.https = true;
    let w = World::on(Db::Sqlite, Server::start(s), fresh);
    let root = root(&w);
    let en = send("GET", &format!("{root}/?lang=en"), None, None, &[]);
    assert!(en.text.contains("lang=\"en\"") && en.text.contains("Sign in"), "{}", en.text);
    assert!(en.cookies().iter().any(|c| c.starts_with("fl_lang=en") && c.contains("Secure")), "{:?}", en.cookies());
    let remembered = send("GET", &format!("{root}/"), Some("fl_lang=en"), None, &[]);
    assert!(remembered.text.contains("Sign in"));
    let browser_en = send("GET", &format!("{root}/"), None, None, &[("Accept-Language", "en-US,en;q=0.9")]);
    assert!(browser_en.text.contains("Sign in"));
    let ok = send("POST", &format!("{root}/login"), None, Some("username=fin1&password=password-123"), &[]);
    assert!(
        ok.cookies().iter().any(|c| c.starts_with("fl_session=") && c.contains("Secure") && c.contains("HttpOnly")),
        "{:?}",
        ok.cookies()
    );

    // Assets: hashed names, cached for a year; any other name is 404.
    let css = en.text.split("href=\"/assets/").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(css.starts_with("console.") && css.ends_with(".css"), "{css}");
    let a = send("GET", &format!("{root}/assets/{css}"), None, None, &[]);
    assert_eq!(a.status, 200);
    assert_eq!(a.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert!(a.header("content-type").unwrap().starts_with("text/css"));
    assert_eq!(send("GET", &format!("{root}/assets/console.000000000000.css"), None, None, &[]).status, 404);
}

#[test]
fn every_role_in_a_real_browser() {
    let Some(b) = Browser::start() else { return };
    on_each_backend(|w| {
        let root = root(&w);
        let p = spent_project(&w);
        let shots = w.db == Db::Sqlite;

        // A wrong password: the form again, with its error.
        b.sign_in(&root, "fin1", "not-the-password");
        let error = b.wait_for("[data-testid=login-error]", 10);
        assert!(b.text(&error).contains("用户名或密码错误"));
        if shots {
            b.screenshot("login-error-zh");
        }

        // Finance: the portfolio, then the project, whose figures are the API's statement.
        b.sign_in(&root, "fin1", "password-123");
        let row = b.wait_for(&format!("[data-testid=project-row][data-project-id='{p}']"), 10);
        assert!(b.text(&row).contains("120,000.00") || b.text(&row).contains("123,456.78"), "{}", b.text(&row));
        let session = b.cookies().into_iter().find(|c| c["name"] == "fl_session").expect("session cookie in the browser");
        assert_eq!((session["httpOnly"].as_bool(), session["sameSite"].as_str()), (Some(true), Some("Strict")), "{session}");
        if shots {
            b.screenshot("portfolio-zh");
        }
        b.goto(&format!("{root}/projects/{p}"));
        let statement = w.statement(&p);
        for field in ["grant", "disbursed", "undisbursed", "implemented", "bank_balance", "available", "recoverable"] {
            let el = b.wait_for(&format!("[data-testid=statement-figure][data-field={field}]"), 10);
            assert_eq!(b.text(&el).replace(',', ""), statement[field].as_str().unwrap(), "{field}");
        }
        let implemented = b.wait_for("[data-testid=statement-figure][data-field=implemented]", 5);
        assert_eq!(b.text(&implemented), "123,456.78");
        if shots {
            b.screenshot("project-zh");
            b.goto(&format!("{root}/projects/{p}?lang=en"));
            b.wait_for("[data-testid=statement-figure]", 10);
            b.screenshot("project-en");
            b.goto(&format!("{root}/?lang=zh"));
            b.window(390, 844);
            b.goto(&format!("{root}/projects/{p}"));
            b.wait_for("[data-testid=statement-figure]", 10);
            b.screenshot("project-phone-zh");
            b.window(1366, 768);
        }

        // The unit: its projects.
        b.sign_in(&root, "unit1", "password-123");
        b.wait_for(&format!("[data-testid=project-row][data-project-id='{p}']"), 10);
        if shots {
            b.screenshot("unit-projects-zh");
        }

        // HR and the admin.
        b.sign_in(&root, "hr1", "password-123");
        b.wait_for(&format!("[data-testid=project-row][data-project-id='{p}']"), 10);
        b.sign_in(&root, "admin", crate::common::ADMIN_PASSWORD);
        b.wait_for("[data-testid=user-row]", 10);
        assert!(!b.find_all("[data-testid=org-row]").is_empty());
        if shots {
            b.screenshot("admin-zh");
        }

        // The inspector verifies the chain in the browser: intact, then edited in the database.
        b.sign_in(&root, "insp1", "password-123");
        b.wait_for("[data-testid=project-row]", 10);
        b.goto(&format!("{root}/projects/{p}/audit"));
        let verdict = b.wait_for("[data-testid=chain-verdict]", 30);
        let server = w.verify(&p);
        assert_eq!(b.attr(&verdict, "data-valid").as_deref(), Some("true"), "{}", b.text(&verdict));
        assert_eq!(b.attr(&verdict, "data-events"), server["events"].as_i64().map(|n| n.to_string()));
        if shots {
            b.screenshot("audit-zh");
            b.goto(&format!("{root}/projects/{p}/audit?lang=en"));
            b.wait_for("[data-testid=chain-verdict]", 30);
            b.screenshot("audit-en");
            b.goto(&format!("{root}/?lang=en"));
            b.wait_for("[data-testid=project-row]", 10);
            b.screenshot("portfolio-en");
            b.goto(&format!("{root}/?lang=zh"));
        }
        match w.db {
            Db::Sqlite => sql(&w, "DROP TRIGGER audit_events_no_update"),
            Db::Postgres => sql(&w, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"),
        }
        sql(&w, &format!("UPDATE audit_events SET data = '{{\"amount\":\"1.00\"}}' WHERE chain_id = '{p}' AND seq = 3"));
        b.goto(&format!("{root}/projects/{p}/audit"));
        let verdict = b.wait_for("[data-testid=chain-verdict]", 30);
        assert_eq!(b.attr(&verdict, "data-valid").as_deref(), Some("false"), "{}", b.text(&verdict));
        assert!(b.text(&verdict).contains("#3"), "{}", b.text(&verdict));
        if shots {
            b.screenshot("audit-tampered-zh");
        }
    });
}

/// The API's documentation page renders in a real browser from the assets built into the binary:
/// Swagger UI reads the served document and lists every operation.
#[test]
fn the_api_docs_page_renders_in_a_browser() {
    let Some(b) = Browser::start() else { return };
    let w = World::new(Db::Sqlite);
    b.goto(&format!("{}/api/docs", root(&w)));
    b.wait_for(".opblock", 30);
    let operations = b.find_all(".opblock").len();
    let documented = crate::common::call("GET", &w.url("/openapi.json"), None, None, &[]);
    let expected: usize = documented.body["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(operations, expected, "every documented operation is shown");
    b.screenshot("api-docs");
}

/// The portfolio shows a hundred projects a page, in its order, with the totals and the chart of
/// every project of the filter on each page; a page past the last shows the last.
/// In Chromium: the portfolio's next-page link leads to the last row, under the same totals.
#[test]
fn the_portfolio_pages_in_the_browser() {
    let Some(b) = Browser::start() else { return };
    let w = World::new(Db::Sqlite);
    let root = root(&w);
    spent_project(&w);
    for _ in 0..100 {
        w.base_project("2025-03-01");
    }
    b.sign_in(&root, "fin1", "password-123");
    b.wait_for("[data-testid=page-of]", 10);
    assert_eq!(b.find_all("[data-testid=project-row]").len(), 100);
    b.click("nav.pager a[rel=next]");
    b.wait_for("nav.pager a[rel=prev]", 10);
    assert_eq!(b.find_all("[data-testid=project-row]").len(), 1, "page 2 of 101 rows");
    let page_of = b.wait_for("[data-testid=page-of]", 10);
    assert!(b.text(&page_of).contains("第 2 页，共 2 页"), "{}", b.text(&page_of));
    // Tall enough to show the pager under the table.
    b.window(1366, 800);
    b.screenshot("portfolio-page-2-zh");
}

#[test]
fn the_portfolio_is_paged_with_totals_over_every_project() {
    on_each_backend(|w| {
        let root = root(&w);
        let spent = spent_project(&w);
        for _ in 0..100 {
            w.base_project("2025-03-01");
        }
        let fin = sign_in(&w, "fin1", "password-123");
        let rows = |text: &str| text.matches("data-testid=\"project-row\"").count();
        let first = send("GET", &format!("{root}/?sort=implemented"), Some(&fin), None, &[]);
        assert_eq!(first.status, 200);
        assert_eq!(rows(&first.text), 100, "a page of a hundred");
        assert!(first.text.contains("第 1 页，共 2 页"), "{}", first.text);
        assert!(first.text.contains("合计 (101)"), "the totals count every project");
        assert!(first.text.contains("200,000.00"), "the totals hold what was disbursed to the one spent project");
        assert!(first.text.contains(&format!("data-project-id=\"{spent}\"")), "the most implemented first");
        assert!(first.text.contains("href=\"/?sort=implemented&amp;page=2\" rel=\"next\""), "{}", first.text);
        let second = send("GET", &format!("{root}/?sort=implemented&page=2"), Some(&fin), None, &[]);
        assert_eq!(rows(&second.text), 1);
        assert!(second.text.contains("第 2 页，共 2 页") && second.text.contains("rel=\"prev\""), "{}", second.text);
        assert!(!second.text.contains(&format!("data-project-id=\"{spent}\"")));
        let past = send("GET", &format!("{root}/?sort=implemented&page=9"), Some(&fin), None, &[]);
        assert_eq!((past.status, rows(&past.text)), (200, 1), "past the last page: the last");
    });
}
