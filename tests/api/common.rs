//! Black-box harness: each test starts the real app on a random port over a fresh database and
//! speaks HTTP+JSON to it. `backends()` is SQLite always, plus PostgreSQL when
//! FUNDLEDGER_TEST_PG_URL names a server (then every test runs on both).

use diesel::{Connection, RunQueryDsl};
use fundledger::config::Settings;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::TcpListener;

pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub fn backends() -> Vec<Db> {
    let mut v = vec![Db::Sqlite];
    if pg_url().is_some() {
        v.push(Db::Postgres);
    }
    v
}

fn pg_url() -> Option<String> {
    std::env::var("FUNDLEDGER_TEST_PG_URL").ok().filter(|s| !s.is_empty())
}

/// A fresh, empty database; dropped with the value.
pub struct FreshDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl FreshDb {
    pub fn new(db: Db) -> FreshDb {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("fundledger.db").display().to_string();
                FreshDb { url, _dir: Some(dir), pg_name: None }
            }
            Db::Postgres => {
                let admin = pg_url().expect("FUNDLEDGER_TEST_PG_URL");
                let name = format!("fl_test_{}", uuid::Uuid::now_v7().simple());
                let mut conn = diesel::PgConnection::establish(&admin).expect("connect to test PostgreSQL");
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.clone());
                FreshDb { url: format!("{base}/{name}"), _dir: None, pg_name: Some(name) }
            }
        }
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        if let (Some(name), Some(admin)) = (&self.pg_name, pg_url()) {
            if let Ok(mut conn) = diesel::PgConnection::establish(&admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
            }
        }
    }
}

pub fn settings(url: &str) -> Settings {
    let mut s = Settings::built_in();
    s.database.url = url.to_string();
    s.database.pool_size = 6;
    s.auth.jwt_secret = Some(SECRET.into());
    s.auth.admin_password = Some(ADMIN_PASSWORD.into());
    s
}

/// One running service instance (in this test process) on its own port.
pub struct Server {
    pub base: String,
    _running: fundledger::http::background::BackgroundServer,
}

impl Server {
    pub fn start(s: Settings) -> Server {
        let state = fundledger::build_state(s).expect("service starts");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let running = fundledger::http::background::BackgroundServer::start(state, listener, 2).expect("server starts");
        Server { base: format!("http://{}/api/v1", running.addr), _running: running }
    }
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
    pub text: String,
    /// Every response header, names in lower case.
    pub headers: BTreeMap<String, String>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

impl std::fmt::Debug for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.text)
    }
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// A test world: a service over a fresh database, logged-in users of every role, one org.
pub struct World {
    pub db: Db,
    pub server: Server,
    pub fresh: FreshDb,
    pub admin: String,
    pub hr: String,
    pub finance: String,
    pub inspector: String,
    pub unit: String,
    pub org_id: String,
    pub other_unit: String,
    pub other_org_id: String,
}

pub fn call(method: &str, url: &str, token: Option<&str>, body: Option<&Value>, headers: &[(&str, &str)]) -> Resp {
    let agent = ureq::AgentBuilder::new().timeout(std::time::Duration::from_secs(60)).build();
    let mut req = agent.request(method, url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = match body {
        Some(b) => req.send_json(b.clone()),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let content_type = resp.header("content-type").unwrap_or("").to_string();
    let headers = resp.headers_names().into_iter().map(|n| (n.to_ascii_lowercase(), resp.header(&n).unwrap_or("").to_string())).collect();
    let text = resp.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, body, content_type, text, headers }
}

impl World {
    pub fn new(db: Db) -> World {
        let fresh = FreshDb::new(db);
        let server = Server::start(settings(&fresh.url));
        World::on(db, server, fresh)
    }

    /// A world on a server the caller started (for tests that change the settings).
    pub fn on(db: Db, server: Server, fresh: FreshDb) -> World {
        let mut w = World {
            db,
            server,
            fresh,
            admin: String::new(),
            hr: String::new(),
            finance: String::new(),
            inspector: String::new(),
            unit: String::new(),
            org_id: String::new(),
            other_unit: String::new(),
            other_org_id: String::new(),
        };
        w.admin = w.login("admin", ADMIN_PASSWORD);
        w.org_id = w.org("赤峰市高级技工学校", "school", "红山区");
        w.other_org_id = w.org("赤峰某机械制造有限公司", "enterprise", "松山区");
        for (name, role) in [("hr1", "hr"), ("fin1", "finance"), ("insp1", "inspector")] {
            w.user(name, role, None);
        }
        let (org, other) = (w.org_id.clone(), w.other_org_id.clone());
        w.user("unit1", "unit", Some(&org));
        w.user("unit2", "unit", Some(&other));
        w.hr = w.login("hr1", "password-123");
        w.finance = w.login("fin1", "password-123");
        w.inspector = w.login("insp1", "password-123");
        w.unit = w.login("unit1", "password-123");
        w.other_unit = w.login("unit2", "password-123");
        w
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.base, path)
    }

    pub fn get(&self, token: &str, path: &str) -> Resp {
        call("GET", &self.url(path), Some(token), None, &[])
    }

    pub fn post(&self, token: &str, path: &str, body: Value) -> Resp {
        call("POST", &self.url(path), Some(token), Some(&body), &[])
    }

    /// POSTs raw bytes (a file upload, an import) with their own content type.
    pub fn post_bytes(&self, token: &str, path: &str, content_type: &str, body: &[u8]) -> Resp {
        let agent = ureq::AgentBuilder::new().timeout(std::time::Duration::from_secs(600)).build();
        let req = agent.post(&self.url(path)).set("Authorization", &format!("Bearer {token}")).set("Content-Type", content_type);
        let resp = match req.send_bytes(body) {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("POST {path}: {e}"),
        };
        let status = resp.status();
        let content_type = resp.header("content-type").unwrap_or("").to_string();
        let headers =
            resp.headers_names().into_iter().map(|n| (n.to_ascii_lowercase(), resp.header(&n).unwrap_or("").to_string())).collect();
        let text = resp.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, body, content_type, text, headers }
    }

    pub fn post_idem(&self, token: &str, path: &str, key: &str, body: Value) -> Resp {
        call("POST", &self.url(path), Some(token), Some(&body), &[("Idempotency-Key", key)])
    }

    pub fn login(&self, username: &str, password: &str) -> String {
        let r = call("POST", &self.url("/auth/login"), None, Some(&json!({"username": username, "password": password})), &[]);
        assert_eq!(r.status, 200, "login {username}: {r:?}");
        r.body["access_token"].as_str().unwrap().to_string()
    }

    pub fn org(&self, name: &str, kind: &str, region: &str) -> String {
        let r = self.post(&self.admin, "/orgs", json!({"name": name, "kind": kind, "region": region}));
        assert_eq!(r.status, 201, "{r:?}");
        r.body["id"].as_str().unwrap().to_string()
    }

    pub fn user(&self, username: &str, role: &str, org: Option<&str>) -> String {
        let r = self.post(&self.admin, "/users", json!({"username": username, "password": "password-123", "role": role, "org_id": org}));
        assert_eq!(r.status, 201, "{r:?}");
        r.body["id"].as_str().unwrap().to_string()
    }

    pub fn base_project(&self, start: &str) -> String {
        let r = self.post(
            &self.hr,
            "/projects",
            json!({"kind": "base", "name": "数控技术高技能人才培训基地", "org_id": self.org_id, "start_date": start,
                   "fund_source": "demonstration_matching", "specialties": ["数控加工", "焊接", "工业机器人"]}),
        );
        assert_eq!(r.status, 201, "{r:?}");
        r.body["id"].as_str().unwrap().to_string()
    }

    pub fn studio_project(&self, start: &str) -> String {
        let r = self.post(
            &self.hr,
            "/projects",
            json!({"kind": "studio", "name": "王师傅焊接技能大师工作室", "org_id": self.org_id, "start_date": start,
                   "fund_source": "employment_talent_fund",
                   "leader": {"name": "王建国", "skill_level": "senior_technician", "birth_date": "1972-05-01", "ethnic_skill_heir": false}}),
        );
        assert_eq!(r.status, 201, "{r:?}");
        r.body["id"].as_str().unwrap().to_string()
    }

    pub fn disburse(&self, project: &str, date: &str, amount: &str) -> Resp {
        self.post(
            &self.finance,
            &format!("/projects/{project}/disbursements"),
            json!({"date": date, "amount": amount, "reference": "财拨[2025]1号"}),
        )
    }

    /// A two-line expense voucher: Dr the category, Cr the bank.
    pub fn spend(&self, token: &str, project: &str, date: &str, account: &str, amount: &str, summary: &str) -> Resp {
        self.post(
            token,
            &format!("/projects/{project}/vouchers"),
            json!({"date": date, "summary": summary, "attachments": 1, "lines": [
                {"account": account, "debit": amount, "summary": summary},
                {"account": "1002", "credit": amount, "summary": "银行付款"}]}),
        )
    }

    pub fn statement(&self, project: &str) -> Value {
        let r = self.get(&self.finance, &format!("/projects/{project}/statement"));
        assert_eq!(r.status, 200, "{r:?}");
        r.body["statement"].clone()
    }

    pub fn balance(&self, project: &str, code: &str) -> String {
        let r = self.get(&self.finance, &format!("/projects/{project}/balances"));
        assert_eq!(r.status, 200, "{r:?}");
        r.body["accounts"].as_array().unwrap().iter().find(|a| a["code"] == code).unwrap()["balance"].as_str().unwrap().to_string()
    }

    pub fn verify(&self, project: &str) -> Value {
        let r = self.get(&self.inspector, &format!("/projects/{project}/audit-trail/verify"));
        assert_eq!(r.status, 200, "{r:?}");
        r.body.clone()
    }
}

/// Runs `f` once per available backend, naming the backend if it fails.
pub fn on_each_backend(f: impl Fn(World)) {
    for db in backends() {
        eprintln!("-- backend {db:?}");
        f(World::new(db));
    }
}

pub fn fen(s: &str) -> i64 {
    let (y, f) = s.split_once('.').unwrap();
    let sign = if y.starts_with('-') { -1 } else { 1 };
    sign * (y.trim_start_matches('-').parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap())
}

pub fn items(r: &Resp) -> Vec<Value> {
    r.body["items"].as_array().cloned().unwrap_or_default()
}

/// Every voucher of a project, all pages.
pub fn all_vouchers(w: &World, p: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = w.get(&w.finance, &format!("/projects/{p}/vouchers?limit=500{cursor}"));
        assert_eq!(r.status, 200, "{r:?}");
        out.extend(items(&r));
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

/// Recomputes every account's totals from the journal and compares them with the balances the
/// service maintains; also checks that numbers are contiguous and each voucher balances.
pub fn assert_books_consistent(w: &World, p: &str) {
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    // (date, account) → (debit, credit) of the vouchers in the books: what `as_of` must add up.
    let mut by_day: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    let mut numbers = Vec::new();
    for v in all_vouchers(w, p) {
        let status = v["status"].as_str().unwrap();
        if status == "posted" || status == "reversed" {
            numbers.push(v["number"].as_i64().unwrap());
            let (mut d, mut c) = (0, 0);
            for l in v["lines"].as_array().unwrap() {
                let account = l["account"].as_str().unwrap().to_string();
                let (debit, credit) = (fen(l["debit"].as_str().unwrap()), fen(l["credit"].as_str().unwrap()));
                let t = totals.entry(account.clone()).or_default();
                (t.0, t.1) = (t.0 + debit, t.1 + credit);
                let t = by_day.entry((v["date"].as_str().unwrap().to_string(), account)).or_default();
                (t.0, t.1) = (t.0 + debit, t.1 + credit);
                d += debit;
                c += credit;
            }
            assert_eq!(d, c, "voucher {} unbalanced", v["id"]);
        } else {
            assert!(v["number"].is_null(), "an unposted voucher has a number: {v}");
        }
    }
    numbers.sort();
    assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>(), "voucher numbers not contiguous");
    let tb = w.get(&w.inspector, &format!("/projects/{p}/trial-balance"));
    assert_eq!(tb.body["balanced"], true, "{tb:?}");
    assert_eq!(tb.body["totals"]["debit"], tb.body["totals"]["credit"]);
    for a in tb.body["accounts"].as_array().unwrap() {
        let code = a["code"].as_str().unwrap();
        let (d, c) = totals.get(code).copied().unwrap_or_default();
        assert_eq!(fen(a["debit_total"].as_str().unwrap()), d, "debit total of {code}");
        assert_eq!(fen(a["credit_total"].as_str().unwrap()), c, "credit total of {code}");
        assert!(fen(a["balance"].as_str().unwrap()) >= 0, "{code} negative: {a}");
    }
    assert_as_of_adds_up(w, p, &by_day);
    let v = w.verify(p);
    assert_eq!(v["valid"], true, "{v}");
    // Reconciled: every table, the project row's copy of the fixed accounts included, as the
    // chain's events add up.
    assert_eq!(v["reconciled"], true, "{v}");
}

/// The trial balance as of each day a voucher in the books is dated (and the day before the
/// first) shows what those vouchers add up to by then, and balances.
fn assert_as_of_adds_up(w: &World, p: &str, by_day: &BTreeMap<(String, String), (i64, i64)>) {
    let mut days: Vec<String> = by_day.keys().map(|(day, _)| day.clone()).collect();
    days.dedup();
    if let Some(first) = days.first() {
        let before = chrono::NaiveDate::parse_from_str(first, "%Y-%m-%d").unwrap().pred_opt().unwrap();
        days.insert(0, before.to_string());
    }
    for day in days {
        let mut want: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        for ((_, account), (d, c)) in by_day.range(..(day.clone(), "\u{10FFFF}".to_string())) {
            let t = want.entry(account.as_str()).or_default();
            (t.0, t.1) = (t.0 + d, t.1 + c);
        }
        let tb = w.get(&w.inspector, &format!("/projects/{p}/trial-balance?as_of={day}"));
        assert_eq!(tb.status, 200, "{tb:?}");
        assert_eq!(tb.body["balanced"], true, "as of {day}: {tb:?}");
        for a in tb.body["accounts"].as_array().unwrap() {
            let code = a["code"].as_str().unwrap();
            let (d, c) = want.get(code).copied().unwrap_or_default();
            let shown = (fen(a["debit_total"].as_str().unwrap()), fen(a["credit_total"].as_str().unwrap()));
            assert_eq!(shown, (d, c), "{code} as of {day}");
        }
    }
}
