//! Issue 13: every response carries a request id — the caller's when it is sane, else a new
//! UUIDv7 — whatever its status (the id does not depend on the database: SQLite only), and every
//! request logs one access line naming its route's pattern, status, id and user.
use crate::common::{call, on_each_backend, Db, World};
use serde_json::json;
use std::sync::{Mutex, OnceLock};

/// Sends a request and returns its status and X-Request-Id.
fn request_id(method: &str, url: &str, token: Option<&str>, id: Option<&str>) -> (u16, Option<String>) {
    let mut req = ureq::request(method, url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    if let Some(id) = id {
        req = req.set("X-Request-Id", id);
    }
    let resp = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    (resp.status(), resp.header("x-request-id").map(str::to_string))
}

fn assert_new_uuid(id: Option<String>, what: &str) -> String {
    let id = id.unwrap_or_else(|| panic!("{what}: no X-Request-Id"));
    let uuid = uuid::Uuid::parse_str(&id).unwrap_or_else(|e| panic!("{what}: {id} is not a UUID: {e}"));
    assert_eq!(uuid.get_version_num(), 7, "{what}: {id}");
    id
}

#[test]
fn a_sane_request_id_is_echoed_on_every_response() {
    let w = World::new(Db::Sqlite);
    let given = "client-7f3a.retry:2";
    for (what, method, path, token, status) in [
        ("health", "GET", "/health".to_string(), Some(w.admin.as_str()), 200),
        ("authenticated", "GET", "/auth/me".to_string(), Some(w.unit.as_str()), 200),
        ("no token", "GET", "/users".to_string(), None, 401),
        ("wrong role", "GET", "/users".to_string(), Some(w.unit.as_str()), 403),
        ("no such route", "GET", "/no/such/route".to_string(), Some(w.admin.as_str()), 404),
        ("no such project", "GET", "/projects/nope/statement".to_string(), Some(w.finance.as_str()), 404),
    ] {
        let (got, id) = request_id(method, &w.url(&path), token, Some(given));
        assert_eq!(got, status, "{what}");
        assert_eq!(id.as_deref(), Some(given), "{what}");
    }
    let (status, id) = request_id("GET", &w.url("/health"), None, Some(&"x".repeat(128)));
    assert_eq!((status, id.map(|i| i.len())), (200, Some(128)), "128 characters is still sane");
}

#[test]
fn a_request_without_a_sane_id_gets_a_new_uuid() {
    let w = World::new(Db::Sqlite);
    let (status, id) = request_id("GET", &w.url("/health"), None, None);
    assert_eq!(status, 200);
    let first = assert_new_uuid(id, "no id");
    let (_, id) = request_id("GET", &w.url("/health"), None, None);
    assert_ne!(assert_new_uuid(id, "no id again"), first, "each request its own id");
    let (status, id) = request_id("GET", &w.url("/no/such/route"), None, None);
    assert_eq!(status, 404);
    assert_new_uuid(id, "404");
    let (status, id) = request_id("GET", &w.url("/users"), None, None);
    assert_eq!(status, 401);
    assert_new_uuid(id, "401");
    for insane in ["has a space", &"x".repeat(129), ""] {
        let (status, id) = request_id("GET", &w.url("/users"), Some(&w.admin), Some(insane));
        assert_eq!(status, 200);
        assert_new_uuid(id, &format!("{insane:?} replaced"));
    }
    // Outside /api/v1 too, and on a body refused before any handler runs.
    let (status, id) = request_id("GET", &w.url("/health").replace("/api/v1", ""), None, None);
    assert_eq!(status, 200);
    assert_new_uuid(id, "top-level /health");
    let big = "x".repeat(300 * 1024);
    let resp = match ureq::post(&w.url("/orgs"))
        .set("Authorization", &format!("Bearer {}", w.admin))
        .set("Content-Type", "application/json")
        .send_string(&big)
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(resp.status(), 413);
    assert_new_uuid(resp.header("x-request-id").map(str::to_string), "413");
}

/// The log lines of this process that mention `ops-log-`: the ids the logging test gives its
/// requests. The subscriber is global because the service logs from its workers', blocking and
/// writer threads; the other tests' lines are formatted and dropped.
fn logged() -> &'static Mutex<String> {
    static LINES: OnceLock<&'static Mutex<String>> = OnceLock::new();
    LINES.get_or_init(|| {
        let lines: &'static Mutex<String> = Box::leak(Box::default());
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new("info,fundledger::store::writer=debug"))
            .with_writer(move || Kept(lines))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber in the HTTP tests");
        lines
    })
}

/// A line the subscriber wrote, kept if it mentions an `ops-log-` id (fmt writes a line at once).
struct Kept(&'static Mutex<String>);

impl std::io::Write for Kept {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        if text.contains("ops-log-") {
            self.0.lock().unwrap().push_str(&text);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn lines_of(id: &str) -> Vec<String> {
    let quoted = format!("\"{id}\"");
    logged().lock().unwrap().lines().filter(|l| l.contains(&quoted)).map(str::to_string).collect()
}

#[test]
fn each_request_logs_one_access_line_with_its_route_pattern_and_user() {
    logged();
    on_each_backend(|w| {
        let run = format!("ops-log-{:?}", w.db);
        let p = w.base_project("2025-03-01");
        w.disburse(&p, "2025-03-02", "1000.00");
        let unit_id = w.get(&w.unit, "/auth/me").body["id"].as_str().unwrap().to_string();
        let posted = format!("{run}-posted");
        let voucher = json!({"date": "2025-03-03", "summary": "耗材", "lines": [
            {"account": "materials", "debit": "10.00", "summary": "购买焊条"}, {"account": "1002", "credit": "10.00"}]});
        let r = call("POST", &w.url(&format!("/projects/{p}/vouchers")), Some(&w.unit), Some(&voucher), &[("X-Request-Id", &posted)]);
        assert_eq!(r.status, 201, "{r:?}");
        let refused = format!("{run}-refused");
        let r = call("GET", &w.url("/users"), None, None, &[("X-Request-Id", &refused)]);
        assert_eq!(r.status, 401);

        let lines = lines_of(&posted);
        let access: Vec<_> = lines.iter().filter(|l| l.contains("fundledger::access")).collect();
        assert_eq!(access.len(), 1, "{lines:#?}");
        for field in ["method=POST", "route=\"/api/v1/projects/{id}/vouchers\"", "status=201", &format!("user_id=\"{unit_id}\"")] {
            assert!(access[0].contains(field), "{field}: {}", access[0]);
        }
        assert!(!access[0].contains(&p), "the concrete path stays out of the access line: {}", access[0]);
        // The posting went to the group commit (SQLite's writer, PostgreSQL's batcher): the
        // request's own line names the batch that carried it.
        assert!(lines.iter().any(|l| l.contains("committed with its batch") && l.contains("batch=")), "{lines:#?}");

        let lines = lines_of(&refused);
        assert!(lines.len() == 1 && lines[0].contains("status=401") && lines[0].contains("route=\"/api/v1/users\""), "{lines:#?}");
        assert!(!lines[0].contains("user_id"), "not authenticated: {}", lines[0]);
    });
}
