//! Issue 14, security: sign-in throttling, token revocation (password, role, deactivation,
//! logout; API tokens and console sessions; in every process), the password rule, the JWT
//! secret, duplicate credentials, and the whole role matrix.
use crate::common::Db;
use crate::common::{call, on_each_backend, settings, Resp, Server, World};
use crate::console::{root, send, sign_in, Browser};
use fundledger::http::routes::Routes;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn try_login(base: &str, username: &str, password: &str) -> Resp {
    call("POST", &format!("{base}/auth/login"), None, Some(&json!({"username": username, "password": password})), &[])
}

/// Every event of the global chain with this action.
fn global_events(w: &World, action: &str) -> Vec<Value> {
    let r = w.get(&w.inspector, &format!("/audit-trail?action={action}&limit=500"));
    assert_eq!(r.status, 200, "{r:?}");
    r.body["items"].as_array().cloned().unwrap_or_default()
}

fn assert_global_chain_valid(w: &World) {
    let v = w.get(&w.inspector, "/audit-trail/verify");
    assert_eq!(v.body["valid"], true, "{v:?}");
}

/// A second service on the same database: another process, as far as the service knows (its own
/// pool, caches and workers).
fn second_server(w: &World) -> Server {
    Server::start(settings(&w.fresh.url))
}

#[test]
fn five_failures_lock_a_username_with_retry_after_and_every_failure_and_lock_is_audited() {
    on_each_backend(|w| {
        for _ in 0..5 {
            let r = try_login(&w.server.base, "fin1", "wrong-password");
            assert_eq!((r.status, r.code()), (401, "unauthenticated"), "{r:?}");
        }
        // Now even the right password is refused, without being checked.
        let r = try_login(&w.server.base, "fin1", "password-123");
        assert_eq!((r.status, r.code()), (429, "too_many_attempts"), "{r:?}");
        let wait: i64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!((890..=900).contains(&wait), "15 minutes: {wait}");
        assert_eq!(r.body["retry_after"].as_i64(), Some(wait));
        // Another user is not locked; tokens issued before keep working.
        w.login("hr1", "password-123");
        assert_eq!(w.get(&w.finance, "/auth/me").status, 200);

        let failed = global_events(&w, "auth.login_failed");
        assert_eq!(failed.len(), 5, "{failed:?}");
        assert!(failed.iter().all(|e| e["data"]["username"] == "fin1" && e["data"]["address"] == "127.0.0.1"), "{failed:?}");
        let locks = global_events(&w, "auth.locked");
        assert_eq!(locks.len(), 1, "{locks:?}");
        assert_eq!((locks[0]["data"]["username"].as_str(), locks[0]["data"]["failures"].as_i64()), (Some("fin1"), Some(5)));
        assert_eq!(global_events(&w, "auth.login_failed").len(), 5, "a refused attempt while locked is no failure");
        assert_global_chain_valid(&w);
    });
}

#[test]
fn thirty_failures_from_one_address_lock_it_whatever_x_forwarded_for_says() {
    on_each_backend(|w| {
        for i in 0..30 {
            // A different name each time: only the address counts up to its limit.
            let r = call(
                "POST",
                &w.url("/auth/login"),
                None,
                Some(&json!({"username": format!("guess-{i}"), "password": "wrong-password"})),
                &[("X-Forwarded-For", &format!("10.0.0.{i}"))],
            );
            assert_eq!(r.status, 401, "{r:?}");
        }
        let r = try_login(&w.server.base, "hr1", "password-123");
        assert_eq!((r.status, r.code()), (429, "too_many_attempts"), "{r:?}");
        let wait: i64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "a minute: {wait}");
        let locks = global_events(&w, "auth.locked");
        assert_eq!(locks.len(), 1, "{locks:?}");
        assert_eq!(locks[0]["data"]["address"], "127.0.0.1", "the peer address, not the forwarded one");

        // Behind a proxy, with `trust_forwarded_for`, the last X-Forwarded-For entry is the address.
        let mut behind_proxy = settings(&w.fresh.url);
        behind_proxy.auth.trust_forwarded_for = true;
        let proxied = Server::start(behind_proxy);
        let from = |address: &str, username: &str, password: &str| {
            call(
                "POST",
                &format!("{}/auth/login", proxied.base),
                None,
                Some(&json!({"username": username, "password": password})),
                &[("X-Forwarded-For", &format!("203.0.113.7, {address}"))],
            )
        };
        for i in 0..30 {
            assert_eq!(from("10.9.9.9", &format!("guess-{i}"), "wrong-password").status, 401);
        }
        assert_eq!(from("10.9.9.9", "hr1", "password-123").status, 429);
        assert_eq!(from("10.9.9.8", "hr1", "password-123").status, 200, "another client behind the same proxy");
        let locks = global_events(&w, "auth.locked");
        assert_eq!(locks.last().unwrap()["data"]["address"], "10.9.9.9", "{locks:?}");
        assert_global_chain_valid(&w);
    });
}

#[test]
fn the_fifth_failure_locks_once_when_two_processes_count_it_at_the_same_time() {
    on_each_backend(|w| {
        let other = second_server(&w);
        let bases = [w.server.base.clone(), other.base.clone()];
        // Eight wrong passwords at once, half to each process.
        let answers: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    s.spawn({
                        let base = bases[i % 2].clone();
                        move || try_login(&base, "insp1", "wrong-password").status
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(answers.iter().all(|s| *s == 401 || *s == 429), "{answers:?}");
        let failed = global_events(&w, "auth.login_failed").len();
        assert!(failed >= 5, "at least the five that lock: {failed}");
        assert_eq!(failed + answers.iter().filter(|s| **s == 429).count(), 8, "every attempt is a failure or refused as locked");
        assert_eq!(global_events(&w, "auth.locked").len(), 1, "exactly one lock");
        for base in &bases {
            let r = try_login(base, "insp1", "password-123");
            assert_eq!((r.status, r.code()), (429, "too_many_attempts"), "both processes see the lock: {r:?}");
        }
        assert_global_chain_valid(&w);
    });
}

#[test]
fn a_password_change_role_change_or_deactivation_revokes_earlier_tokens_in_every_process() {
    on_each_backend(|w| {
        let other = second_server(&w);
        let on_other = |token: &str, path: &str| call("GET", &format!("{}{path}", other.base), Some(token), None, &[]);
        let fin_id = w.get(&w.finance, "/auth/me").body["id"].as_str().unwrap().to_string();
        let hr_id = w.get(&w.hr, "/auth/me").body["id"].as_str().unwrap().to_string();
        let insp_id = w.get(&w.inspector, "/auth/me").body["id"].as_str().unwrap().to_string();
        for (who, token, id, change) in [
            ("finance", w.finance.clone(), fin_id.as_str(), json!({"password": "a-new-password-1"})),
            ("hr", w.hr.clone(), hr_id.as_str(), json!({"role": "inspector"})),
            ("inspector", w.inspector.clone(), insp_id.as_str(), json!({"active": false})),
        ] {
            // The other process has the token's standing cached.
            assert_eq!(on_other(&token, "/auth/me").status, 200, "{who}");
            let r = call("PATCH", &w.url(&format!("/users/{id}")), Some(&w.admin), Some(&change), &[]);
            assert_eq!(r.status, 200, "{who}: {r:?}");
            // At once in the process that made the change...
            let r = w.get(&token, "/auth/me");
            assert_eq!((r.status, r.code()), (401, "unauthenticated"), "{who}: {r:?}");
            // ...and within FRESH_FOR (5 s) in the other.
            let since = Instant::now();
            while on_other(&token, "/auth/me").status != 401 {
                assert!(since.elapsed() < Duration::from_secs(6), "{who}: the other process still accepts a revoked token");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        // A new sign-in works, and reactivating a user does not bring an old token back.
        let fresh = w.login("fin1", "a-new-password-1");
        assert_eq!(on_other(&fresh, "/auth/me").status, 200);
        let r = call("PATCH", &w.url(&format!("/users/{insp_id}")), Some(&w.admin), Some(&json!({"active": true})), &[]);
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(w.get(&w.inspector, "/auth/me").status, 401, "the token from before the deactivation stays revoked");
        // Reactivating alone revokes nothing: the new token of the reactivated user stays good.
        let again = w.login("insp1", "password-123");
        let r = call("PATCH", &w.url(&format!("/users/{insp_id}")), Some(&w.admin), Some(&json!({"active": true})), &[]);
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(w.get(&again, "/auth/me").status, 200);
    });
}

#[test]
fn logout_revokes_the_token_and_every_other_of_the_user_in_every_process() {
    on_each_backend(|w| {
        let other = second_server(&w);
        let second = w.login("fin1", "password-123");
        assert_eq!(call("GET", &format!("{}/auth/me", other.base), Some(&second), None, &[]).status, 200);
        let r = call("POST", &w.url("/auth/logout"), Some(&w.finance), None, &[]);
        assert_eq!(r.status, 204, "{r:?}");
        for token in [&w.finance, &second] {
            let r = w.get(token, "/auth/me");
            assert_eq!((r.status, r.code()), (401, "unauthenticated"), "{r:?}");
        }
        let since = Instant::now();
        while call("GET", &format!("{}/auth/me", other.base), Some(&second), None, &[]).status != 401 {
            assert!(since.elapsed() < Duration::from_secs(6), "the other process still accepts a signed-out token");
            std::thread::sleep(Duration::from_millis(200));
        }
        // Signing out again with the revoked token is refused; without one too.
        assert_eq!(call("POST", &w.url("/auth/logout"), Some(&w.finance), None, &[]).status, 401);
        assert_eq!(call("POST", &w.url("/auth/logout"), None, None, &[]).status, 401);
        let out = global_events(&w, "user.signed_out");
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0]["actor"]["username"], "fin1");
        // Signing in again works.
        assert_eq!(w.get(&w.login("fin1", "password-123"), "/auth/me").status, 200);
        assert_global_chain_valid(&w);
    });
}

#[test]
fn console_sessions_end_on_sign_out_server_side_and_on_a_password_change() {
    on_each_backend(|w| {
        let root = root(&w);
        // Sign-out revokes on the server: a copy of the cookie kept elsewhere no longer works.
        let cookie = sign_in(&w, "fin1", "password-123");
        let home = send("GET", &format!("{root}/"), Some(&cookie), None, &[]);
        assert!(home.text.contains("项目总览"), "{}", home.text);
        let out = send("POST", &format!("{root}/logout"), Some(&cookie), Some(&format!("csrf={}", home.csrf())), &[]);
        assert_eq!(out.status, 303);
        let copied = send("GET", &format!("{root}/"), Some(&cookie), None, &[]);
        assert!(copied.text.contains("action=\"/login\"") && !copied.text.contains("项目总览"), "{}", copied.text);
        // ...and so are the user's API tokens.
        assert_eq!(w.get(&w.finance, "/auth/me").status, 401);

        // A password change (through the API) ends the browser session.
        let cookie = sign_in(&w, "hr1", "password-123");
        assert!(send("GET", &format!("{root}/"), Some(&cookie), None, &[]).text.contains("hr1"));
        let hr_id = w.get(&w.hr, "/auth/me").body["id"].as_str().unwrap().to_string();
        assert_eq!(w.patch_user(&hr_id, json!({"password": "another-password-9"})), 200);
        let after = send("GET", &format!("{root}/"), Some(&cookie), None, &[]);
        assert!(after.text.contains("action=\"/login\""), "{}", after.text);
    });
}

#[test]
fn the_console_sign_in_shows_the_lock_in_chinese_and_english() {
    on_each_backend(|w| {
        let root = root(&w);
        let form = "username=unit1&password=wrong-password";
        for _ in 0..5 {
            assert_eq!(send("POST", &format!("{root}/login"), None, Some(form), &[]).status, 401);
        }
        let zh = send("POST", &format!("{root}/login"), None, Some("username=unit1&password=password-123"), &[]);
        assert_eq!(zh.status, 429, "{}", zh.text);
        assert!(zh.header("retry-after").is_some_and(|s| s.parse::<i64>().is_ok_and(|n| n > 0)), "{:?}", zh.headers);
        assert!(zh.text.contains("登录失败次数过多") && zh.text.contains("15 分钟"), "{}", zh.text);
        assert!(zh.cookie("fl_session").is_none());
        let en = send("POST", &format!("{root}/login"), Some("fl_lang=en"), Some(form), &[]);
        assert_eq!(en.status, 429);
        assert!(en.text.contains("Too many failed sign-ins"), "{}", en.text);
    });
}

/// What a clerk sees in Chromium once the name is locked (screenshot `login-locked-zh`).
#[test]
fn the_locked_sign_in_form_in_the_browser() {
    let Some(b) = Browser::start() else { return };
    let w = World::new(Db::Sqlite);
    let root = root(&w);
    for _ in 0..5 {
        b.sign_in(&root, "fin1", "wrong-password");
        b.wait_for("[data-testid=login-error][data-status='401']", 10);
    }
    b.sign_in(&root, "fin1", "password-123");
    let error = b.wait_for("[data-testid=login-error][data-status='429']", 10);
    assert!(b.text(&error).contains("登录失败次数过多，已暂时锁定，请 15 分钟后再试"), "{}", b.text(&error));
    assert!(b.cookies().iter().all(|c| c["name"] != "fl_session"), "not signed in");
    b.screenshot("login-locked-zh");
}

#[test]
fn passwords_need_ten_characters_not_all_blank_and_not_the_username() {
    on_each_backend(|w| {
        for (password, why) in [("short-pw1", "nine characters"), ("          ", "all whitespace"), ("Long-Name-1", "the username")] {
            let r = w.post(&w.admin, "/users", json!({"username": "long-name-1", "password": password, "role": "hr"}));
            assert_eq!((r.status, r.code()), (422, "validation_failed"), "{why}: {r:?}");
            assert_eq!(r.body["errors"][0]["field"], "password", "{why}: {r:?}");
        }
        let id = w.user("long-name-1", "hr", None);
        for password in ["short-pw1", "          ", "LONG-NAME-1"] {
            let r = call("PATCH", &w.url(&format!("/users/{id}")), Some(&w.admin), Some(&json!({"password": password})), &[]);
            assert_eq!((r.status, r.code()), (422, "validation_failed"), "{password:?}: {r:?}");
        }
        // Ten characters, Chinese ones too, are enough.
        let r = call("PATCH", &w.url(&format!("/users/{id}")), Some(&w.admin), Some(&json!({"password": "赤峰市技能人才培训基地"})), &[]);
        assert_eq!(r.status, 200, "{r:?}");
        w.login("long-name-1", "赤峰市技能人才培训基地");
    });
}

#[test]
fn a_jwt_secret_without_variety_or_a_weak_admin_password_stops_the_start() {
    let fresh = crate::common::FreshDb::new(crate::common::Db::Sqlite);
    let mut s = settings(&fresh.url);
    s.auth.jwt_secret = Some("s".repeat(40));
    let Err(refused) = fundledger::build_state(s) else { panic!("a secret of one repeated character was accepted") };
    let message = refused.to_string();
    assert!(message.contains("FUNDLEDGER_JWT_SECRET") && message.contains("distinct characters"), "{message}");
    let mut s = settings(&fresh.url);
    s.auth.jwt_secret = Some("s".repeat(40));
    assert!(s.validate().unwrap_err().to_string().contains("FUNDLEDGER_JWT_SECRET"), "the configuration check says so too");
    let mut s = settings(&fresh.url);
    s.auth.admin_password = Some("admin12345".into());
    assert!(s.validate().is_ok());
    s.auth.admin_password = Some("   admin   ".into());
    assert!(s.validate().unwrap_err().to_string().contains("FUNDLEDGER_ADMIN_PASSWORD"), "the admin's own name");
    assert!(settings(&fresh.url).validate().is_ok(), "the test secret {} is fine", crate::common::SECRET);
}

/// Two `Authorization` headers, written by hand (HTTP clients merge or replace them).
#[test]
fn two_authorization_headers_are_refused() {
    use std::io::{Read, Write};
    on_each_backend(|w| {
        let addr = w.server.base.trim_start_matches("http://").trim_end_matches("/api/v1").to_string();
        let ask = |headers: &str| {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            let request = format!("GET /api/v1/auth/me HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n");
            s.write_all(request.as_bytes()).unwrap();
            let mut answer = String::new();
            s.read_to_string(&mut answer).unwrap();
            answer
        };
        let one = ask(&format!("Authorization: Bearer {}\r\n", w.finance));
        assert!(one.starts_with("HTTP/1.1 200"), "{one}");
        let two = ask(&format!("Authorization: Bearer {}\r\nAuthorization: Bearer {}\r\n", w.finance, w.hr));
        assert!(two.starts_with("HTTP/1.1 401") && two.contains("more than one Authorization header"), "{two}");
        let same = ask(&format!("Authorization: Bearer {0}\r\nAuthorization: Bearer {0}\r\n", w.finance));
        assert!(same.starts_with("HTTP/1.1 401"), "the same one twice is still two: {same}");
    });
}

/// Who may call a route: `Public` needs no token; otherwise the roles that pass authorisation
/// (every other role gets 403).
enum May {
    Public,
    Roles(&'static [&'static str]),
}

const ALL: &[&str] = &["admin", "hr", "finance", "inspector", "unit"];
/// Project books: everyone but admin (admin manages users and organisations, no money).
const BOOKS: &[&str] = &["hr", "finance", "inspector", "unit"];

/// The contract's role table, one row per route of `http::register`.
fn expected(method: &str, path: &str) -> Option<May> {
    use May::*;
    Some(match (method, path) {
        ("POST", "/auth/login") | ("GET", "/health") | ("GET", "/openapi.json") | ("GET", "/audit-key") => Public,
        ("POST", "/auth/logout")
        | ("GET", "/auth/me")
        | ("GET", "/imports/template")
        | ("GET", "/users/{id}")
        | ("GET", "/orgs")
        | ("GET", "/orgs/{id}") => Roles(ALL),
        ("POST", "/users") | ("GET", "/users") | ("PATCH", "/users/{id}") => Roles(&["admin"]),
        ("POST", "/orgs") => Roles(&["admin", "hr"]),
        ("POST", "/projects") | ("POST", "/projects/{id}/status") | ("POST", "/projects/{id}/leader") | ("POST", "/projects/{id}/name") => {
            Roles(&["hr"])
        }
        ("POST", "/projects/{id}/disbursements")
        | ("POST", "/projects/{id}/recovery")
        | ("POST", "/projects/{id}/vouchers/{vid}/approve")
        | ("POST", "/projects/{id}/vouchers/{vid}/decline")
        | ("POST", "/classifier/retrain") => Roles(&["finance"]),
        ("POST", "/projects/{id}/vouchers")
        | ("POST", "/projects/{id}/imports")
        | ("POST", "/projects/{id}/vouchers/{vid}/reverse")
        | ("POST", "/projects/{id}/remittances")
        | ("POST", "/projects/{id}/vouchers/{vid}/attachments") => Roles(&["unit", "finance"]),
        ("POST", "/projects/{id}/annual-reports") | ("POST", "/projects/{id}/archive") => Roles(&["unit"]),
        ("POST", "/projects/{id}/acceptance") => Roles(&["hr"]),
        ("GET", "/acceptances") | ("GET", "/projects/{id}/archive-package") => Roles(&["hr", "finance", "inspector"]),
        ("GET", "/reviews") => Roles(&["finance", "inspector"]),
        ("GET", "/statements") | ("GET", "/flags") => Roles(&["finance", "hr", "inspector"]),
        // A project's red flags: as its books (a unit its own projects').
        ("GET", "/projects/{id}/flags") => Roles(BOOKS),
        ("GET", "/audit-trail")
        | ("GET", "/audit-trail/verify")
        | ("GET", "/audit-trail/checkpoint")
        | ("GET", "/audit-trail/proof/inclusion")
        | ("GET", "/audit-trail/proof/consistency") => Roles(&["inspector", "admin"]),
        // With a project named, classifying reads that project's chart: a book.
        ("POST", "/classify") => Roles(BOOKS),
        ("GET", p) if p.starts_with("/projects") => Roles(BOOKS),
        _ => return None,
    })
}

/// A body the route's handler parses, so that what is tested is the role and nothing else.
fn body(method: &str, path: &str, w: &World, project: &str, role: &str) -> Option<Value> {
    if method == "GET" {
        return None;
    }
    Some(match path {
        "/users" => json!({"username": format!("matrix-{role}"), "password": "password-123", "role": "hr"}),
        "/users/{id}" => json!({"active": true}),
        "/orgs" => json!({"name": format!("matrix org {role}"), "kind": "school", "region": "红山区"}),
        "/projects" => json!({"kind": "base", "name": "x", "org_id": w.org_id, "start_date": "2025-03-01",
            "fund_source": "demonstration_matching", "specialties": ["a", "b", "c"]}),
        "/projects/{id}/status" => json!({"status": "active", "reason": "matrix"}),
        "/projects/{id}/leader" => json!({"reason": "matrix", "leader": {"name": "王建国", "skill_level": "senior_technician",
            "birth_date": "1972-05-01", "ethnic_skill_heir": false}}),
        "/projects/{id}/name" => json!({"name": "数控技术培训基地", "reason": "matrix"}),
        "/projects/{id}/annual-reports" => {
            json!({"year": 2025, "summary": "s", "next_year_plan": "p", "trained_total": 1, "trained_advanced": 0})
        }
        "/projects/{id}/acceptance" => json!({"date": "2025-03-20", "panel": [{"name": "李明", "title": "高级技师"}],
            "checklist": [{"item": "有固定场所", "met": true}], "conclusion": "passed"}),
        "/projects/{id}/archive" => json!({"kind": "activity", "date": "2025-03-20", "title": format!("matrix {role}"), "text": "x"}),
        "/classify" => {
            json!({"project_id": project, "summary": "采购", "lines": [{"account": "equipment", "debit": "1.00", "summary": "x"}]})
        }
        "/auth/login" => json!({"username": "hr1", "password": "password-123"}),
        _ => json!({"date": "2025-03-20", "amount": "1.00", "reference": "matrix", "summary": "采购", "reason": "matrix", "note": "matrix",
            "lines": [{"account": "equipment", "debit": "1.00"}, {"account": "1002", "credit": "1.00"}]}),
    })
}

/// Every route the service serves × every role, against the contract's table above: a route
/// added without a row fails here, and so does a role let through or shut out by mistake.
#[test]
fn the_whole_role_matrix() {
    on_each_backend(|w| {
        let project = w.base_project("2025-03-01");
        assert_eq!(w.disburse(&project, "2025-03-10", "200000.00").status, 201);
        let voucher = w.spend(&w.unit, &project, "2025-03-15", "equipment", "1000.00", "采购实训设备");
        assert_eq!(voucher.status, 201, "{voucher:?}");
        let vid = voucher.body["id"].as_str().unwrap().to_string();
        let hr_id = w.get(&w.hr, "/auth/me").body["id"].as_str().unwrap().to_string();
        let tokens = [("admin", &w.admin), ("hr", &w.hr), ("finance", &w.finance), ("inspector", &w.inspector), ("unit", &w.unit)];
        let mut routes = Routes::table(fundledger::http::register);
        // Signing out ends the caller's tokens: last.
        routes.sort_by_key(|(_, p)| *p == "/auth/logout");
        let mut wrong = Vec::new();
        for (method, path) in &routes {
            let Some(may) = expected(method.as_str(), path) else {
                wrong.push(format!("{method} {path}: not in the contract's table"));
                continue;
            };
            let id = if path.starts_with("/users") {
                &hr_id
            } else if path.starts_with("/orgs") {
                &w.org_id
            } else {
                &project
            };
            let mut url = path.replace("{id}", id).replace("{vid}", &vid).replace("{aid}", "no-such-document");
            url += match *path {
                "/projects/{id}/ledger" => "?account=1002",
                "/projects/{id}/export" => "?format=csv",
                _ => "",
            };
            match may {
                May::Public => {
                    let r = call(method.as_str(), &w.url(&url), None, body(method.as_str(), path, &w, &project, "").as_ref(), &[]);
                    if r.status != 200 {
                        wrong.push(format!("{method} {path} without a token: {r:?}"));
                    }
                }
                May::Roles(allowed) => {
                    for (role, token) in &tokens {
                        let r =
                            call(method.as_str(), &w.url(&url), Some(token), body(method.as_str(), path, &w, &project, role).as_ref(), &[]);
                        let ok = if allowed.contains(role) {
                            r.status < 500 && r.status != 401 && r.status != 403
                        } else {
                            (r.status, r.code()) == (403, "forbidden")
                        };
                        if !ok {
                            let want = if allowed.contains(role) { "allowed" } else { "403" };
                            wrong.push(format!("{method} {path} as {role}: want {want}, got {r:?}"));
                        }
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{} of {} routes × roles differ from the table:\n{}", wrong.len(), routes.len(), wrong.join("\n"));
    });
}
