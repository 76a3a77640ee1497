//! Issue 14, strict input: amounts only in the contract's grammar, accounts matched exactly, no
//! duplicate JSON keys, dates within 2000–2099, and NUL refused alike on both backends. Each
//! refusal leaves the books as they were.

use crate::common::{call, on_each_backend, Resp, World};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A request with a body sent byte for byte (a JSON value cannot hold a duplicate key).
fn raw(w: &World, token: &str, method: &str, path: &str, body: &str) -> Resp {
    let agent = ureq::AgentBuilder::new().timeout(std::time::Duration::from_secs(60)).build();
    let req = agent.request(method, &w.url(path)).set("Authorization", &format!("Bearer {token}")).set("Content-Type", "application/json");
    let resp = match req.send_string(body) {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let status = resp.status();
    let content_type = resp.header("content-type").unwrap_or("").to_string();
    let headers = BTreeMap::new();
    let text = resp.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, body, content_type, text, headers }
}

/// The books of a project, as a reader sees them: vouchers and balances.
fn books(w: &World, p: &str) -> (Value, Value) {
    (w.get(&w.finance, &format!("/projects/{p}/vouchers?limit=500")).body, w.get(&w.finance, &format!("/projects/{p}/balances")).body)
}

#[test]
fn amounts_follow_the_grammar_exactly() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-10", "200000.00").status, 201);
        let before = books(&w, &p);
        for bad in [" 100", "100 ", "+100", "100.", ".5", "1e2", "-1", "100.001", "1,000", "0x10", "\u{ff11}00"] {
            let r = w.disburse(&p, "2025-03-11", bad);
            assert_eq!((r.status, r.code()), (422, "invalid_amount"), "disbursement of {bad:?}: {r:?}");
            let r = w.spend(&w.unit, &p, "2025-03-11", "materials", bad, "购买焊条");
            assert_eq!((r.status, r.code(), r.body["line"].as_i64()), (422, "invalid_amount", Some(1)), "voucher of {bad:?}: {r:?}");
            let r = w.post(&w.unit, &format!("/projects/{p}/remittances"), json!({"date": "2025-03-11", "amount": bad}));
            assert_eq!((r.status, r.code()), (422, "invalid_amount"), "remittance of {bad:?}: {r:?}");
        }
        assert_eq!(books(&w, &p), before, "a refused amount changed the books");
        for good in ["100", "100.5", "100.50", "0100.00"] {
            let r = w.spend(&w.unit, &p, "2025-03-11", "materials", good, "购买焊条");
            assert_eq!(r.status, 201, "{good:?}: {r:?}");
        }
    });
}

#[test]
fn accounts_are_matched_exactly() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-10", "200000.00").status, 201);
        let before = books(&w, &p);
        for account in [" materials", "materials ", "\tmaterials", " 1002"] {
            let (debit, credit) = if account.contains("1002") { ("materials", account) } else { (account, "1002") };
            let r = w.post(
                &w.unit,
                &format!("/projects/{p}/vouchers"),
                json!({"date": "2025-03-11", "summary": "购买焊条", "lines": [
                    {"account": debit, "debit": "10.00"}, {"account": credit, "credit": "10.00"}]}),
            );
            assert_eq!((r.status, r.code(), r.body["account"].as_str()), (422, "unknown_account", Some(account)), "{account:?}: {r:?}");
            let r = w.get(&w.finance, &format!("/projects/{p}/ledger?account=%20{}", account.trim()));
            assert_eq!((r.status, r.code()), (422, "unknown_account"), "ledger of {account:?}: {r:?}");
        }
        assert_eq!(books(&w, &p), before);
    });
}

#[test]
fn a_duplicate_json_key_is_malformed_anywhere() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-10", "200000.00").status, 201);
        let before = books(&w, &p);
        let vouchers = format!("/projects/{p}/vouchers");
        let cases = [
            (&w.finance, format!("/projects/{p}/disbursements"), r#"{"date":"2025-03-15","date":"2099-01-01","amount":"1.00"}"#),
            (
                &w.unit,
                vouchers.clone(),
                r#"{"date":"2025-03-15","summary":"购买焊条","lines":[{"account":"materials","debit":"10.00","debit":"20.00"},{"account":"1002","credit":"10.00"}]}"#,
            ),
            (
                &w.unit,
                vouchers,
                r#"{"date":"2025-03-15","lines":[{"account":"materials","debit":"10.00"},{"account":"1002","credit":"10.00"}],"lines":[]}"#,
            ),
            (&w.admin, "/orgs".to_string(), r#"{"name":"甲","name":"乙","kind":"school","region":"红山区"}"#),
            (
                &w.unit,
                "/classify".to_string(),
                r#"{"project_kind":"base","project_kind":"studio","lines":[{"account":"materials","debit":"1.00"}]}"#,
            ),
            (&w.hr, format!("/projects/{p}/status"), r#"{"status":"suspended","reason":"a","reason":"b"}"#),
        ];
        for (token, path, body) in cases {
            let r = raw(&w, token, "POST", &path, body);
            assert_eq!((r.status, r.code()), (400, "malformed_request"), "{path} {body}: {r:?}");
            assert!(r.body["detail"].as_str().unwrap().contains("twice"), "{r:?}");
        }
        let r = raw(&w, "x", "POST", "/auth/login", r#"{"username":"nobody","username":"admin","password":"admin-password-1"}"#);
        assert_eq!((r.status, r.code()), (400, "malformed_request"), "{r:?}");
        assert_eq!(books(&w, &p), before);
        // The same keys in different objects are fine.
        let r = raw(
            &w,
            &w.unit,
            "POST",
            &format!("/projects/{p}/vouchers"),
            r#"{"date":"2025-03-15","summary":"购买焊条","lines":[{"account":"materials","debit":"10.00","summary":"焊条"},{"account":"1002","credit":"10.00","summary":"付款"}]}"#,
        );
        assert_eq!(r.status, 201, "{r:?}");
    });
}

#[test]
fn dates_stay_within_2000_to_2099() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-10", "200000.00").status, 201);
        let v = w.spend(&w.unit, &p, "2025-03-12", "materials", "10.00", "购买焊条");
        let vid = v.body["id"].as_str().unwrap().to_string();
        let before = books(&w, &p);
        let refused = |r: Resp, field: &str, what: &str| {
            assert_eq!((r.status, r.code()), (422, "validation_failed"), "{what}: {r:?}");
            assert_eq!(r.body["errors"][0]["field"], field, "{what}: {r:?}");
        };
        for date in ["9999-12-31", "1999-12-31", "2100-01-01", "0001-01-01"] {
            let body = json!({"kind": "base", "name": "某基地", "org_id": w.org_id, "start_date": date,
                              "fund_source": "demonstration_matching", "specialties": ["数控加工", "焊接", "工业机器人"]});
            refused(w.post(&w.hr, "/projects", body), "start_date", "project start");
            refused(w.disburse(&p, date, "1.00"), "date", "disbursement");
            refused(w.spend(&w.unit, &p, date, "materials", "1.00", "购买焊条"), "date", "voucher");
            refused(
                w.post(&w.unit, &format!("/projects/{p}/vouchers/{vid}/reverse"), json!({"date": date, "reason": "重复"})),
                "date",
                "reversal",
            );
            refused(
                w.post(&w.finance, &format!("/projects/{p}/recovery"), json!({"date": date, "reason": "cancelled"})),
                "date",
                "recovery",
            );
            refused(w.post(&w.unit, &format!("/projects/{p}/remittances"), json!({"date": date, "amount": "1.00"})), "date", "remittance");
            for query in [
                format!("/projects/{p}/statement?as_of={date}"),
                format!("/projects/{p}/balances?as_of={date}"),
                format!("/projects/{p}/recoverable?as_of={date}"),
                format!("/statements?as_of={date}"),
            ] {
                refused(w.get(&w.finance, &query), "as_of", &query);
            }
            refused(w.get(&w.finance, &format!("/projects/{p}/ledger?account=1002&from={date}")), "from", "ledger from");
            refused(w.get(&w.finance, &format!("/projects/{p}/vouchers?to={date}")), "to", "vouchers to");
            refused(w.get(&w.inspector, &format!("/projects/{p}/audit-trail?from={date}")), "from", "trail from");
            refused(w.get(&w.inspector, &format!("/audit-trail?to={date}T00:00:00Z")), "to", "global trail to");
        }
        assert_eq!(books(&w, &p), before);
        // The bounds themselves are dates the service takes.
        let r = w.get(&w.finance, &format!("/projects/{p}/statement?as_of=2099-12-31"));
        assert_eq!(r.status, 200, "{r:?}");
        let r = w.get(&w.inspector, &format!("/projects/{p}/audit-trail?from=2000-01-01&to=2099-12-31"));
        assert_eq!(r.status, 200, "{r:?}");
    });
}

#[test]
fn nul_is_refused_alike_on_every_backend() {
    on_each_backend(|w| {
        let p = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&p, "2025-03-10", "200000.00").status, 201);
        let before = books(&w, &p);
        let events = w.get(&w.inspector, "/audit-trail/verify").body["events"].clone();
        let nul = |r: Resp, what: &str| assert_eq!((r.status, r.code()), (400, "malformed_request"), "{what}: {r:?}");
        nul(call("POST", &w.url("/auth/login"), None, Some(&json!({"username": "adm\u{0}in", "password": "x"})), &[]), "login name");
        nul(w.post(&w.admin, "/orgs", json!({"name": "某\u{0}学校", "kind": "school", "region": "红山区"})), "org name");
        nul(w.post(&w.admin, "/users", json!({"username": "u\u{0}", "password": "password-123", "role": "hr"})), "username");
        nul(w.spend(&w.unit, &p, "2025-03-11", "materials", "1.00", "采购\u{0}耗材"), "voucher summary");
        nul(
            w.post(
                &w.unit,
                "/classify",
                json!({"project_kind": "base", "lines": [{"account": "materials", "debit": "1.00", "summary": "\u{0}"}]}),
            ),
            "classify",
        );
        nul(
            w.post(
                &w.unit,
                "/classify",
                json!({"project_kind": "base", "lines": [{"account": "materials", "debit": "1.00"}], "x\u{0}": 1}),
            ),
            "a key",
        );
        nul(w.post(&w.hr, &format!("/projects/{p}/status"), json!({"status": "suspended", "reason": "\u{0}"})), "status reason");
        nul(w.get(&w.admin, "/orgs?cursor=%00"), "a cursor");
        nul(w.get(&w.finance, "/projects?region=%E7%BA%A2%00"), "a region");
        nul(w.get(&w.finance, &format!("/projects/{p}/ledger?account=1002%00")), "an account");
        nul(w.get(&w.inspector, &format!("/projects/{p}/audit-trail?action=voucher%00")), "an action");
        nul(w.get(&w.finance, "/projects/x%00y"), "a path");
        // A console form: refused by its extractor before the page reads a field (a person cannot
        // type NUL; a crafted request gets a bare 400).
        let root = w.server.base.trim_end_matches("/api/v1");
        for body in ["username=adm%00in&password=x", "username=admin&password=x%00"] {
            let r = ureq::post(&format!("{root}/login")).set("Content-Type", "application/x-www-form-urlencoded").send_string(body);
            let status = match r {
                Ok(r) => r.status(),
                Err(ureq::Error::Status(s, _)) => s,
                Err(e) => panic!("{e}"),
            };
            assert_eq!(status, 400, "console login form {body}");
        }
        assert_eq!(books(&w, &p), before);
        assert_eq!(w.get(&w.inspector, "/audit-trail/verify").body["events"], events, "a refused request reached the global chain");
    });
}

/// A `kind` or `status` filter that names nothing is refused, not answered with an empty list
/// that looks like "no such projects".
#[test]
fn unknown_list_filters_are_refused() {
    on_each_backend(|w| {
        w.base_project("2025-03-01");
        for path in ["/projects?kind=bases", "/projects?status=open", "/statements?kind=x", "/statements?status=done"] {
            let r = w.get(&w.finance, path);
            assert_eq!((r.status, r.code()), (422, "validation_failed"), "{path}: {}", r.text);
        }
        for path in ["/projects?kind=base&status=active", "/statements?kind=base&status=active"] {
            assert_eq!(w.get(&w.finance, path).status, 200, "{path}");
        }
    });
}
