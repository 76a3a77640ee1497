//! Issue 13: every response carries a request id — the caller's when it is sane, else a new
//! UUIDv7 — whatever its status (the id does not depend on the database: SQLite only), and every
//! request logs one access line naming its route's pattern, status, id and user.
use crate::common::{Db, World};

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
