//! Issue 15: the browser console. Black-box HTTP checks of sign-in, cookies, CSRF and
//! visibility run always; the pages are then driven in a real headless Chromium over WebDriver
//! (plain HTTP calls, no client crate) when chromedriver is installed, and required when
//! FUNDLEDGER_BROWSER_TESTS=required.

use crate::common::{on_each_backend, settings, Db, FreshDb, Server, World};
use diesel::{Connection, RunQueryDsl};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The console's root (the API's base without `/api/v1`).
fn root(w: &World) -> String {
    w.server.base.trim_end_matches("/api/v1").to_string()
}

/// A response as a browser would get it before following a redirect.
struct Answer {
    status: u16,
    text: String,
    headers: BTreeMap<String, Vec<String>>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.first()).map(String::as_str)
    }
    fn cookies(&self) -> Vec<String> {
        self.headers.get("set-cookie").cloned().unwrap_or_default()
    }
    /// The value a `Set-Cookie` of this response gives `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().iter().find_map(|c| c.strip_prefix(&format!("{name}=")).map(|v| v.split(';').next().unwrap_or("").to_string()))
    }
    /// The CSRF token a page's forms carry.
    fn csrf(&self) -> String {
        let at = self.text.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
        self.text[at..].split('"').next().unwrap().to_string()
    }
}

fn send(method: &str, url: &str, cookie: Option<&str>, form: Option<&str>, headers: &[(&str, &str)]) -> Answer {
    let agent = ureq::AgentBuilder::new().redirects(0).timeout(Duration::from_secs(60)).build();
    let mut req = agent.request(method, url);
    if let Some(c) = cookie {
        req = req.set("Cookie", c);
    }
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = match form {
        Some(body) => req.set("Content-Type", "application/x-www-form-urlencoded").send_string(body),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in resp.headers_names() {
        headers.insert(name.to_ascii_lowercase(), resp.all(&name).into_iter().map(String::from).collect());
    }
    Answer { status, text: resp.into_string().unwrap_or_default(), headers }
}

/// Signs in through the form; the session cookie as a `Cookie` header value.
fn sign_in(w: &World, username: &str, password: &str) -> String {
    let a = send("POST", &format!("{}/login", root(w)), None, Some(&format!("username={username}&password={password}")), &[]);
    assert_eq!((a.status, a.header("location")), (303, Some("/")), "{}", a.text);
    format!("fl_session={}", a.cookie("fl_session").expect("a session cookie"))
}

fn spent_project(w: &World) -> String {
    let p = w.base_project("2025-03-01");
    assert_eq!(w.disburse(&p, "2025-03-10", "200000.00").status, 201);
    assert_eq!(w.spend(&w.unit, &p, "2025-03-15", "equipment", "120000.00", "采购实训设备").status, 201);
    assert_eq!(w.spend(&w.unit, &p, "2025-03-20", "materials", "3456.78", "购买焊材").status, 201);
    p
}

fn other_units_project(w: &World) -> String {
    let r = w.post(
        &w.hr,
        "/projects",
        json!({"kind": "base", "name": "机械制造培训基地", "org_id": w.other_org_id, "start_date": "2025-03-01",
               "fund_source": "demonstration_matching", "specialties": ["车工", "钳工", "电工"]}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    r.body["id"].as_str().unwrap().to_string()
}

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

impl World {
    fn patch_user(&self, id: &str, body: Value) -> u16 {
        crate::common::call("PATCH", &self.url(&format!("/users/{id}")), Some(&self.admin), Some(&body), &[]).status
    }
}

// ---- In the browser ------------------------------------------------------------------------

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one headless Chromium session, closed on drop.
struct Browser {
    driver: std::process::Child,
    url: String,
}

impl Browser {
    /// None (with a message) when chromedriver is missing, unless browser tests are required.
    fn start() -> Option<Browser> {
        let required = std::env::var("FUNDLEDGER_BROWSER_TESTS").is_ok_and(|v| v == "required");
        let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        if !std::path::Path::new(&driver).exists() || !std::path::Path::new(&chromium).exists() {
            assert!(!required, "FUNDLEDGER_BROWSER_TESTS=required but {driver} or {chromium} is missing");
            eprintln!("SKIPPED: browser tests need {driver} and {chromium} (apt install chromium chromium-driver)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not answer");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,768",
                     "--lang=zh-CN", "--force-device-scale-factor=1"],
            "prefs": {"intl.accept_languages": "zh-CN,zh"}}}}});
        let mut b = Browser { driver: child, url: String::new() };
        let r = wd("POST", &format!("{base}/session"), Some(caps));
        let id = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {r}")).to_string();
        b.url = format!("{base}/session/{id}");
        Some(b)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = wd(method, &format!("{}{path}", self.url), body);
        r["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }

    fn find_all(&self, css: &str) -> Vec<String> {
        let v = self.call("POST", "/elements", Some(json!({"using": "css selector", "value": css})));
        v.as_array()
            .map(|a| a.iter().map(|e| e[ELEMENT].as_str().unwrap_or_else(|| panic!("not an element: {e}")).to_string()).collect())
            .unwrap_or_default()
    }

    /// The first element matching, waiting up to `secs` for it to appear.
    fn wait_for(&self, css: &str, secs: u64) -> String {
        let started = Instant::now();
        loop {
            if let Some(e) = self.find_all(css).into_iter().next() {
                return e;
            }
            if started.elapsed() > Duration::from_secs(secs) {
                self.screenshot("failed");
                let source = self.call("GET", "/source", None);
                panic!("{css} did not appear on {}: {}", self.current_url(), source.as_str().unwrap_or(""));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn text(&self, el: &str) -> String {
        self.call("GET", &format!("/element/{el}/text"), None).as_str().unwrap_or("").to_string()
    }

    fn attr(&self, el: &str, name: &str) -> Option<String> {
        self.call("GET", &format!("/element/{el}/attribute/{name}"), None).as_str().map(String::from)
    }

    fn type_into(&self, css: &str, text: &str) {
        let el = self.wait_for(css, 5);
        let r = self.call("POST", &format!("/element/{el}/value"), Some(json!({"text": text})));
        assert!(r.is_null(), "typing into {css}: {r}");
    }

    fn click(&self, css: &str) {
        let el = self.wait_for(css, 5);
        let r = self.call("POST", &format!("/element/{el}/click"), None);
        assert!(r.is_null(), "click on {css}: {r}");
    }

    fn current_url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap_or("").to_string()
    }

    fn window(&self, width: u32, height: u32) {
        self.call("POST", "/window/rect", Some(json!({"width": width, "height": height})));
    }

    fn cookies(&self) -> Vec<Value> {
        self.call("GET", "/cookie", None).as_array().cloned().unwrap_or_default()
    }

    fn clear_cookies(&self) {
        self.call("DELETE", "/cookie", None);
    }

    /// Saves a PNG under target/screenshots/.
    fn screenshot(&self, name: &str) {
        use base64::Engine;
        let png = self.call("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap()).unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    fn sign_in(&self, root: &str, username: &str, password: &str) {
        self.clear_cookies();
        self.goto(&format!("{root}/"));
        self.type_into("input[name=username]", username);
        self.type_into("input[name=password]", password);
        self.click("form[action='/login'] button[type=submit]");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.url.is_empty() {
            let _ = ureq::delete(&self.url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn wd(method: &str, url: &str, body: Option<Value>) -> Value {
    let req = ureq::request(method, url).timeout(Duration::from_secs(60));
    // WebDriver wants a JSON body on every POST, if only `{}`.
    let result = match (body, method) {
        (Some(b), _) => req.send_json(b),
        (None, "POST") => req.send_json(json!({})),
        (None, _) => req.call(),
    };
    match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r.into_json().unwrap_or(Value::Null),
        Err(e) => panic!("WebDriver {method} {url}: {e}"),
    }
}

/// Runs SQL straight against the service's database, as an attacker with database access would.
fn sql(w: &World, statement: &str) {
    match w.db {
        Db::Sqlite => diesel::sql_query(statement).execute(&mut diesel::SqliteConnection::establish(&w.fresh.url).unwrap()),
        Db::Postgres => diesel::sql_query(statement).execute(&mut diesel::PgConnection::establish(&w.fresh.url).unwrap()),
    }
    .unwrap_or_else(|e| panic!("{statement}: {e}"));
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
