//! Issue 14, downloads and headers: no CSV cell a spreadsheet would run as a formula, every list
//! as CSV, an unknown `format` refused everywhere, `nosniff` on every answer and `no-store` on
//! login and the books, and a login body's parser errors never quoted back.

use crate::common::{call, on_each_backend, Resp, World, ADMIN_PASSWORD};
use serde_json::{json, Value};

/// What a unit might type as a summary to attack the inspector who opens the export in Excel.
const ATTACKS: [&str; 6] =
    ["@SUM(1+1)*cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\",\"购买焊条\")", "+1+1 焊条", "-2+3 焊条", "\t=1 焊条", "\r=1 焊条"];

/// The rows of a CSV answer (BOM and header included), as a spreadsheet would split them.
fn rows(r: &Resp) -> Vec<Vec<String>> {
    assert_eq!((r.status, r.content_type.as_str()), (200, "text/csv; charset=utf-8"), "{r:?}");
    let text = r.text.strip_prefix('\u{feff}').expect("a BOM");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    reader.records().map(|rec| rec.expect("a CSV record").iter().map(str::to_string).collect()).collect()
}

/// No cell starts as a formula unless it is a plain number.
fn assert_no_formula(what: &str, r: &Resp) {
    for cell in rows(r).into_iter().flatten() {
        let plain_number = cell.strip_prefix('-').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
        let starts = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
        assert!(!starts || plain_number, "{what}: a formula cell {cell:?}");
    }
}

/// Every attack appears in the cells only neutralised, with a leading quote.
fn assert_neutralised(what: &str, r: &Resp, attacks: &[&str]) {
    assert_no_formula(what, r);
    let cells: Vec<String> = rows(r).into_iter().flatten().collect();
    for attack in attacks {
        assert!(cells.iter().any(|c| *c == format!("'{attack}")), "{what}: {attack:?} not found quoted in {cells:?}");
    }
}

/// A posted voucher whose voucher and line summaries are `summary`.
fn posted(w: &World, p: &str, summary: &str) {
    let r = w.spend(&w.finance, p, "2025-03-15", "materials", "10.00", summary);
    assert_eq!(r.status, 201, "{r:?}");
    if r.body["status"] == "pending_review" {
        let id = r.body["id"].as_str().unwrap();
        let a = w.post(&w.finance, &format!("/projects/{p}/vouchers/{id}/approve"), json!({"note": "核实"}));
        assert_eq!(a.status, 200, "{a:?}");
    }
}

#[test]
fn no_csv_cell_is_a_formula() {
    on_each_backend(|w| {
        // A unit user whose name is a formula: it is the actor of events on the trail.
        let r = w.post(&w.admin, "/users", json!({"username": "=1+1", "password": "password-123", "role": "unit", "org_id": w.org_id}));
        assert_eq!(r.status, 201, "{r:?}");
        let evil = w.login("=1+1", "password-123");
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-10", "200000.00").status, 201);
        for attack in ATTACKS {
            posted(&w, &p, attack);
        }
        let r = w.spend(&evil, &p, "2025-03-16", "materials", "1.00", "购买焊条");
        assert_eq!(r.status, 201, "{r:?}");
        let get = |path: &str| w.get(&w.inspector, &format!("/projects/{p}{path}"));
        assert_neutralised("journal", &get("/export?format=csv"), &ATTACKS);
        assert_neutralised("ledger", &get("/ledger?account=materials&format=csv"), &ATTACKS);
        assert_neutralised("vouchers", &get("/vouchers?format=csv"), &ATTACKS);
        assert_neutralised("audit trail", &get("/audit-trail?format=csv"), &["=1+1"]);
        assert_neutralised("users", &w.get(&w.admin, "/users?format=csv"), &["=1+1"]);
        for path in ["/balances?format=csv", "/trial-balance?format=csv", "/statement?format=csv"] {
            assert_no_formula(path, &get(path));
        }
        assert_no_formula("statements", &w.get(&w.finance, "/statements?format=csv"));
        // Amounts stay numbers: the ledger's debit column reads 10.00, not '10.00.
        let ledger = rows(&get("/ledger?account=materials&format=csv"));
        assert!(ledger.iter().any(|r| r[3] == "10.00"), "{ledger:?}");
    });
}

#[test]
fn every_list_answers_csv() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-10", "200000.00").status, 201);
        let r = w.post(
            &w.unit,
            &format!("/projects/{p}/annual-reports"),
            json!({"year": 2025, "summary": "-开展培训", "next_year_plan": "扩大规模", "trained_total": 180, "trained_advanced": 40}),
        );
        assert_eq!(r.status, 201, "{r:?}");
        // A voucher held for review: a round trip needs a reviewer.
        let held = w.spend(&w.unit, &p, "2025-03-12", "teacher_training", "200.00", "教师参加研修班往返");
        assert_eq!(held.body["status"], "pending_review", "{held:?}");
        let cases: [(&str, &str, &str, usize); 6] = [
            ("/projects?format=csv", "id", "name", 1),
            (&format!("/projects/{p}/vouchers?format=csv"), "id", "line_no", 6),
            ("/reviews?format=csv&status=pending", "project_name", "line_no", 2),
            ("/users?format=csv", "id", "username", 6),
            ("/orgs?format=csv", "id", "region", 2),
            (&format!("/projects/{p}/annual-reports?format=csv"), "id", "trained_total", 1),
        ];
        for (path, first, column, count) in cases {
            let token = if path.starts_with("/users") || path.starts_with("/orgs") { &w.admin } else { &w.finance };
            let r = w.get(token, path);
            assert!(r.header("content-disposition").is_some_and(|d| d.starts_with("attachment")), "{path}: {r:?}");
            let rows = rows(&r);
            assert_eq!(rows[0][0], first, "{path}: {rows:?}");
            assert!(rows[0].iter().any(|c| c == column), "{path}: {rows:?}");
            assert_eq!(rows.len() - 1, count, "{path}: {rows:?}");
        }
        // A download is the whole list unless a limit is asked for.
        let r = w.get(&w.admin, "/users?format=csv&limit=2");
        assert_eq!(rows(&r).len(), 3, "{r:?}");
        let json = w.get(&w.admin, "/users?format=json&limit=2");
        assert_eq!((json.status, json.body["items"].as_array().map(Vec::len)), (200, Some(2)), "{json:?}");
    });
}

#[test]
fn an_unknown_format_is_refused_everywhere() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        for path in [
            format!("/projects/{p}/statement?format=xls"),
            format!("/projects/{p}/balances?format=XLSX"),
            format!("/projects/{p}/trial-balance?format=pdf"),
            format!("/projects/{p}/recoverable?format=csv"),
            format!("/projects/{p}/ledger?account=1002&format=xml"),
            "/statements?format=ods".to_string(),
            format!("/projects/{p}/export?format=xlsx"),
            format!("/projects/{p}/audit-trail?format=xlsx"),
            "/projects?format=xlsx".to_string(),
            format!("/projects/{p}/vouchers?format=CSV"),
            "/reviews?format=xlsx".to_string(),
            format!("/projects/{p}/annual-reports?format=xlsx"),
            "/orgs?format=".to_string(),
        ] {
            let r = w.get(&w.finance, &path);
            assert_eq!(
                (r.status, r.code(), r.body["errors"][0]["field"].as_str()),
                (422, "validation_failed", Some("format")),
                "{path}: {r:?}"
            );
        }
        let r = w.get(&w.admin, "/users?format=xlsx");
        assert_eq!((r.status, r.code()), (422, "validation_failed"), "{r:?}");
    });
}

/// Whether the OpenAPI document offers text/csv for a list's 200.
#[test]
fn the_openapi_document_offers_csv_for_every_list() {
    let w = World::new(crate::common::Db::Sqlite);
    let doc = w.get(&w.admin, "/openapi.json").body;
    for path in ["/projects", "/projects/{id}/vouchers", "/reviews", "/users", "/orgs", "/projects/{id}/annual-reports"] {
        let content = &doc["paths"][path]["get"]["responses"]["200"]["content"];
        assert!(content.get("text/csv").is_some() && content.get("application/json").is_some(), "{path}: {content}");
        let params: Vec<&Value> = doc["paths"][path]["get"]["parameters"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
        assert!(params.iter().any(|p| p["name"] == "format"), "{path}: {params:?}");
    }
}

#[test]
fn every_answer_is_nosniff_and_the_books_are_not_stored() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        let root = w.server.base.trim_end_matches("/api/v1").to_string();
        let login = call("POST", &w.url("/auth/login"), None, Some(&json!({"username": "admin", "password": ADMIN_PASSWORD})), &[]);
        let failed = call("POST", &w.url("/auth/login"), None, Some(&json!({"username": "admin", "password": "wrong-password"})), &[]);
        let answers = [
            ("login", login),
            ("failed login", failed),
            ("statement", w.get(&w.finance, &format!("/projects/{p}/statement"))),
            ("statement csv", w.get(&w.finance, &format!("/projects/{p}/statement?format=csv"))),
            ("vouchers", w.get(&w.finance, &format!("/projects/{p}/vouchers"))),
            ("balances", w.get(&w.finance, &format!("/projects/{p}/balances"))),
            ("ledger", w.get(&w.finance, &format!("/projects/{p}/ledger?account=1002"))),
            ("journal", w.get(&w.finance, &format!("/projects/{p}/export?format=beancount"))),
            ("statements", w.get(&w.finance, "/statements")),
            ("recoverable", w.get(&w.finance, &format!("/projects/{p}/recoverable"))),
            ("audit trail", w.get(&w.inspector, &format!("/projects/{p}/audit-trail"))),
            ("project", w.get(&w.finance, &format!("/projects/{p}"))),
            ("a refusal", w.disburse(&p, "2025-03-10", "9999999.00")),
            ("not found", w.get(&w.finance, "/nowhere")),
            ("unauthenticated", call("GET", &w.url("/projects"), None, None, &[])),
            ("console", call("GET", &format!("{root}/"), None, None, &[])),
        ];
        for (what, r) in &answers {
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{what}: {:?}", r.headers);
            assert_eq!(r.header("cache-control"), Some("no-store"), "{what}: {:?}", r.headers);
        }
        for path in [format!("{root}/assets/console.css"), format!("{root}/api/v1/openapi.json"), format!("{root}/health")] {
            let r = call("GET", &path, None, None, &[]);
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}: {:?}", r.headers);
        }
        // A body that is not JSON at all, refused before any handler.
        let r = call("POST", &w.url("/auth/login"), None, None, &[("Content-Type", "text/plain")]);
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{r:?}");
    });
}

#[test]
fn a_login_body_is_never_quoted_back() {
    on_each_backend(|w| {
        for body in [
            json!({"username": "admin", "password": 12345678901_i64}),
            json!({"username": "admin", "password": ["secret-in-a-list"]}),
            json!({"username": "admin"}),
            json!("secret-string"),
        ] {
            let r = call("POST", &w.url("/auth/login"), None, Some(&body), &[]);
            assert_eq!((r.status, r.code()), (400, "malformed_request"), "{body}: {r:?}");
            let detail = r.body["detail"].as_str().unwrap();
            for internal in ["12345678901", "secret", "invalid type", "unknown field", "missing field", "expected", "line "] {
                assert!(!detail.contains(internal), "{body}: the detail quotes {internal:?}: {detail}");
            }
        }
    });
}
