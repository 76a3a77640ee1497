//! Issue 15: the browser console. Black-box HTTP checks of sign-in, cookies, CSRF and
//! visibility run always; the pages are then driven in a real headless Chromium over WebDriver
//! (plain HTTP calls, no client crate) when chromedriver is installed, and required when
//! FUNDLEDGER_BROWSER_TESTS=required.

mod acceptance;
mod basics;
mod finance;
mod flags;
mod imports;
mod people;
mod polish;
mod vouchers;

use crate::common::{Db, World};
use diesel::{Connection, RunQueryDsl};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The console's root (the API's base without `/api/v1`).
pub fn root(w: &World) -> String {
    w.server.base.trim_end_matches("/api/v1").to_string()
}

/// A response as a browser would get it before following a redirect.
pub struct Answer {
    pub status: u16,
    pub text: String,
    pub headers: BTreeMap<String, Vec<String>>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.first()).map(String::as_str)
    }
    pub fn cookies(&self) -> Vec<String> {
        self.headers.get("set-cookie").cloned().unwrap_or_default()
    }
    /// The value a `Set-Cookie` of this response gives `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().iter().find_map(|c| c.strip_prefix(&format!("{name}=")).map(|v| v.split(';').next().unwrap_or("").to_string()))
    }
    /// The CSRF token a page's forms carry.
    pub fn csrf(&self) -> String {
        let at = self.text.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
        self.text[at..].split('"').next().unwrap().to_string()
    }
}

pub fn send(method: &str, url: &str, cookie: Option<&str>, form: Option<&str>, headers: &[(&str, &str)]) -> Answer {
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
pub fn sign_in(w: &World, username: &str, password: &str) -> String {
    let a = send("POST", &format!("{}/login", root(w)), None, Some(&format!("username={username}&password={password}")), &[]);
    assert_eq!((a.status, a.header("location")), (303, Some("/")), "{}", a.text);
    format!("fl_session={}", a.cookie("fl_session").expect("a session cookie"))
}

pub fn spent_project(w: &World) -> String {
    let p = w.base_project("2025-03-01");
    assert_eq!(w.disburse(&p, "2025-03-10", "200000.00").status, 201);
    assert_eq!(w.spend(&w.unit, &p, "2025-03-15", "equipment", "120000.00", "采购实训设备").status, 201);
    assert_eq!(w.spend(&w.unit, &p, "2025-03-20", "materials", "3456.78", "购买焊材").status, 201);
    p
}

pub fn other_units_project(w: &World) -> String {
    let r = w.post(
        &w.hr,
        "/projects",
        json!({"kind": "base", "name": "机械制造培训基地", "org_id": w.other_org_id, "start_date": "2025-03-01",
               "fund_source": "demonstration_matching", "specialties": ["车工", "钳工", "电工"]}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    r.body["id"].as_str().unwrap().to_string()
}

impl World {
    pub fn patch_user(&self, id: &str, body: Value) -> u16 {
        crate::common::call("PATCH", &self.url(&format!("/users/{id}")), Some(&self.admin), Some(&body), &[]).status
    }
}

// ---- In the browser ------------------------------------------------------------------------

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one headless Chromium session, closed on drop.
pub struct Browser {
    pub driver: std::process::Child,
    pub url: String,
}

impl Browser {
    /// None (with a message) when chromedriver is missing, unless browser tests are required.
    pub fn start() -> Option<Browser> {
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

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = wd(method, &format!("{}{path}", self.url), body);
        r["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }

    pub fn find_all(&self, css: &str) -> Vec<String> {
        let v = self.call("POST", "/elements", Some(json!({"using": "css selector", "value": css})));
        v.as_array()
            .map(|a| a.iter().map(|e| e[ELEMENT].as_str().unwrap_or_else(|| panic!("not an element: {e}")).to_string()).collect())
            .unwrap_or_default()
    }

    /// The first element matching, waiting up to `secs` for it to appear.
    pub fn wait_for(&self, css: &str, secs: u64) -> String {
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

    pub fn text(&self, el: &str) -> String {
        self.call("GET", &format!("/element/{el}/text"), None).as_str().unwrap_or("").to_string()
    }

    pub fn attr(&self, el: &str, name: &str) -> Option<String> {
        self.call("GET", &format!("/element/{el}/attribute/{name}"), None).as_str().map(String::from)
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.wait_for(css, 5);
        let r = self.call("POST", &format!("/element/{el}/value"), Some(json!({"text": text})));
        assert!(r.is_null(), "typing into {css}: {r}");
    }

    pub fn click(&self, css: &str) {
        let el = self.wait_for(css, 5);
        let r = self.call("POST", &format!("/element/{el}/click"), None);
        assert!(r.is_null(), "click on {css}: {r}");
    }

    pub fn current_url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap_or("").to_string()
    }

    pub fn window(&self, width: u32, height: u32) {
        self.call("POST", "/window/rect", Some(json!({"width": width, "height": height})));
    }

    pub fn cookies(&self) -> Vec<Value> {
        self.call("GET", "/cookie", None).as_array().cloned().unwrap_or_default()
    }

    pub fn clear_cookies(&self) {
        self.call("DELETE", "/cookie", None);
    }

    /// Saves a PNG under target/screenshots/.
    pub fn screenshot(&self, name: &str) {
        use base64::Engine;
        let png = self.call("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap()).unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    pub fn sign_in(&self, root: &str, username: &str, password: &str) {
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

pub fn wd(method: &str, url: &str, body: Option<Value>) -> Value {
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
pub fn sql(w: &World, statement: &str) {
    match w.db {
        Db::Sqlite => diesel::sql_query(statement).execute(&mut diesel::SqliteConnection::establish(&w.fresh.url).unwrap()),
        Db::Postgres => diesel::sql_query(statement).execute(&mut diesel::PgConnection::establish(&w.fresh.url).unwrap()),
    }
    .unwrap_or_else(|e| panic!("{statement}: {e}"));
}
