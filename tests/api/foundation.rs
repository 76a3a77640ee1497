//! Issue 2: the service foundation over HTTP — health, auth, roles, orgs, projects, errors.

use crate::common::{call, on_each_backend, World};
use serde_json::json;

#[test]
fn health_names_the_backend() {
    on_each_backend(|w| {
        let r = call("GET", &w.url("/health"), None, None, &[]);
        assert_eq!(r.status, 200);
        let expected = if w.db == crate::common::Db::Sqlite { "sqlite" } else { "postgres" };
        assert_eq!(r.body["database"], expected);
        assert_eq!(r.body["status"], "ok");
    });
}

#[test]
fn login_and_me() {
    on_each_backend(|w| {
        let r = call("POST", &w.url("/auth/login"), None, Some(&json!({"username": "admin", "password": "admin-password-1"})), &[]);
        assert_eq!(r.status, 200);
        assert_eq!(r.body["token_type"], "Bearer");
        assert_eq!(r.body["expires_in"], 3600);
        assert!(r.body["user"].get("password_hash").is_none());
        let bad = call("POST", &w.url("/auth/login"), None, Some(&json!({"username": "admin", "password": "nope"})), &[]);
        assert_eq!((bad.status, bad.code()), (401, "unauthenticated"));
        assert_eq!(bad.content_type, "application/problem+json");
        let ghost = call("POST", &w.url("/auth/login"), None, Some(&json!({"username": "ghost", "password": "x"})), &[]);
        assert_eq!(ghost.status, 401);
        let me = w.get(&w.unit, "/auth/me");
        assert_eq!(me.body["role"], "unit");
        assert_eq!(me.body["org_id"], w.org_id.as_str());
    });
}

fn forge(claims: serde_json::Value, secret: &str, alg: jsonwebtoken::Algorithm) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::new(alg), &claims, &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

#[test]
fn tampered_tokens_are_refused() {
    use base64::Engine;
    let w = World::new(crate::common::Db::Sqlite);
    let now = chrono::Utc::now().timestamp();
    let admin_id = w.get(&w.admin, "/auth/me").body["id"].as_str().unwrap().to_string();
    let claims = |exp: i64| json!({"sub": admin_id, "username": "admin", "role": "admin", "org_id": null, "iat": now, "exp": exp});
    let good = forge(claims(now + 600), crate::common::SECRET, jsonwebtoken::Algorithm::HS256);
    assert_eq!(w.get(&good, "/users").status, 200, "a correctly signed token works");
    let nobody = json!({"sub": "no-such-user", "username": "admin", "role": "admin", "org_id": null, "iat": now, "exp": now + 600});
    let r = w.get(&forge(nobody, crate::common::SECRET, jsonwebtoken::Algorithm::HS256), "/users");
    assert_eq!((r.status, r.code()), (401, "unauthenticated"), "signed, but for no user");
    let wrong_secret = forge(claims(now + 600), "another-secret-another-secret-0000", jsonwebtoken::Algorithm::HS256);
    let expired = forge(claims(now - 5), crate::common::SECRET, jsonwebtoken::Algorithm::HS256);
    let hs512 = forge(claims(now + 600), crate::common::SECRET, jsonwebtoken::Algorithm::HS512);
    let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let alg_none = format!("{}.{}.", b64(json!({"alg": "none", "typ": "JWT"})), b64(claims(now + 600)));
    let mut flipped = w.admin.clone();
    flipped.insert(flipped.len() / 2, 'A');
    for (name, token) in [
        ("wrong secret", wrong_secret),
        ("expired", expired),
        ("HS512", hs512),
        ("alg none", alg_none),
        ("flipped", flipped),
        ("garbage", "abc".into()),
    ] {
        let r = w.get(&token, "/users");
        assert_eq!((r.status, r.code()), (401, "unauthenticated"), "{name}");
    }
    let r = call("GET", &w.url("/users"), None, None, &[]);
    assert_eq!(r.status, 401);
    let r = call("GET", &w.url("/users"), None, None, &[("Authorization", "Basic YWRtaW46eA==")]);
    assert_eq!(r.status, 401);
}

#[test]
fn units_see_only_their_own_projects() {
    on_each_backend(|w| {
        let mine = w.base_project("2025-03-01");
        assert_eq!(w.get(&w.unit, &format!("/projects/{mine}")).status, 200);
        for path in ["", "/statement", "/balances", "/vouchers", "/audit-trail", "/audit-trail/verify"] {
            let r = w.get(&w.other_unit, &format!("/projects/{mine}{path}"));
            assert_eq!((r.status, r.code()), (404, "not_found"), "{path}");
        }
        let r = w.spend(&w.other_unit, &mine, "2025-03-02", "equipment", "1.00", "采购");
        assert_eq!(r.status, 404);
        let listed = w.get(&w.other_unit, "/projects");
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 0);
        let listed = w.get(&w.unit, "/projects");
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    });
}

#[test]
fn registration_sets_grant_period_chart_and_allocation() {
    on_each_backend(|w| {
        let r = w.post(
            &w.hr,
            "/projects",
            json!({"kind": "base", "name": "基地", "org_id": w.org_id, "start_date": "2025-03-01",
            "fund_source": "demonstration_matching", "specialties": ["数控加工", "焊接", "工业机器人"]}),
        );
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["grant"], "500000.00");
        assert_eq!(r.body["end_date"], "2027-02-28");
        assert_eq!(r.body["status"], "active");
        let codes: Vec<&str> = r.body["accounts"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
        for c in ["1002", "1221", "2202", "2241", "2401", "500101", "500108"] {
            assert!(codes.contains(&c), "{c} missing from {codes:?}");
        }
        assert!(!codes.contains(&"500111"));
        let id = r.body["id"].as_str().unwrap();
        assert_eq!(w.balance(id, "1221"), "500000.00");
        assert_eq!(w.balance(id, "2401"), "500000.00");
        let studio = w.studio_project("2025-03-01");
        let s = w.get(&w.hr, &format!("/projects/{studio}"));
        assert_eq!(s.body["grant"], "50000.00");
        assert_eq!(s.body["end_date"], "2026-02-28");
        let v = w.get(&w.unit, &format!("/projects/{studio}/vouchers"));
        assert_eq!(v.body["items"][0]["number"], 1);
        assert_eq!(v.body["items"][0]["kind"], "allocation");
    });
}

#[test]
fn eligibility_rules_name_each_failure() {
    on_each_backend(|w| {
        let base = |specialties: serde_json::Value| {
            w.post(
                &w.hr,
                "/projects",
                json!({"kind": "base", "name": "b", "org_id": w.org_id, "start_date": "2025-03-01",
                "fund_source": "demonstration_matching", "specialties": specialties}),
            )
        };
        let r = base(json!(["焊接", "焊接", "数控"]));
        assert_eq!((r.status, r.code()), (422, "validation_failed"));
        assert_eq!(r.body["errors"][0]["field"], "specialties");
        let studio = |level: &str, birth: &str, heir: bool| {
            w.post(
                &w.hr,
                "/projects",
                json!({"kind": "studio", "name": "s", "org_id": w.org_id, "start_date": "2025-03-01",
                "fund_source": "employment_talent_fund",
                "leader": {"name": "李", "skill_level": level, "birth_date": birth, "ethnic_skill_heir": heir}}),
            )
        };
        // 65th birthday the day after the start: still 64, eligible.
        assert_eq!(studio("technician", "1960-03-02", false).status, 201);
        // 65 on the start date: ineligible.
        let r = studio("technician", "1960-03-01", false);
        assert_eq!(r.status, 422);
        assert_eq!(r.body["errors"][0]["field"], "leader.birth_date");
        assert_eq!(studio("technician", "1957-03-02", true).status, 201);
        assert_eq!(studio("technician", "1957-03-01", true).status, 422);
        let r = studio("senior_worker", "1957-03-01", false);
        assert_eq!(r.body["errors"].as_array().unwrap().len(), 2, "{r:?}");
        let r = w.post(
            &w.hr,
            "/projects",
            json!({"kind": "studio", "name": "s", "org_id": "nope", "start_date": "2025-03-01",
            "fund_source": "employment_talent_fund",
            "leader": {"name": "李", "skill_level": "technician", "birth_date": "1980-01-01"}}),
        );
        assert_eq!((r.status, r.code()), (422, "validation_failed"), "{r:?}");
    });
}

#[test]
fn bad_input_is_a_clear_4xx() {
    let w = World::new(crate::common::Db::Sqlite);
    let url = w.url("/orgs");
    let raw = |body: &str, ctype: &str| {
        let r = ureq::post(&url).set("Authorization", &format!("Bearer {}", w.admin)).set("Content-Type", ctype).send_string(body);
        match r {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(s, _)) => s,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(raw("{not json", "application/json"), 400);
    assert_eq!(raw("[1,2]", "application/json"), 400);
    assert_eq!(raw(&format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024)), "application/json"), 413);
    let r = w.post(&w.admin, "/orgs", json!({"name": "x", "kind": "castle", "region": "r"}));
    assert_eq!((r.status, r.code()), (422, "validation_failed"));
    let r = w.post(&w.admin, "/users", json!({"username": "u", "password": "short", "role": "hr"}));
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 2, "{r:?}");
    let r = w.post(&w.admin, "/users", json!({"username": "unitless", "password": "password-123", "role": "unit"}));
    assert_eq!(r.status, 422);
    let r = w.post(&w.admin, "/users", json!({"username": "hr1", "password": "password-123", "role": "hr"}));
    assert_eq!((r.status, r.code()), (409, "already_exists"));
    let r = w.get(&w.admin, "/nowhere");
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = w.get(&w.hr, "/projects/does-not-exist");
    assert_eq!(r.status, 404);
    let r = w.get(&w.hr, "/projects?limit=0");
    assert_eq!(r.status, 422);
}

#[test]
fn deactivated_users_cannot_log_in() {
    let w = World::new(crate::common::Db::Sqlite);
    let id = w.user("temp", "inspector", None);
    let token = w.login("temp", "password-123");
    assert_eq!(w.get(&token, "/audit-trail").status, 200);
    // A token acts with the user's standing now: a changed role revokes it at once, and the new
    // sign-in acts in the new role...
    let r = call("PATCH", &w.url(&format!("/users/{id}")), Some(&w.admin), Some(&json!({"role": "finance"})), &[]);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(w.get(&token, "/audit-trail").status, 401, "revoked by the role change");
    let token = w.login("temp", "password-123");
    assert_eq!(w.get(&token, "/audit-trail").status, 403, "no longer an inspector");
    let r = call("PATCH", &w.url(&format!("/users/{id}")), Some(&w.admin), Some(&json!({"role": "inspector", "active": false})), &[]);
    assert_eq!(r.status, 200, "{r:?}");
    // ...and so does deactivation, for tokens issued before it.
    assert_eq!((w.get(&token, "/auth/me").status, w.get(&token, "/auth/me").code()), (401, "unauthenticated"));
    let r = call("POST", &w.url("/auth/login"), None, Some(&json!({"username": "temp", "password": "password-123"})), &[]);
    assert_eq!((r.status, r.code()), (401, "unauthenticated"));
    let r = call("PATCH", &w.url(&format!("/users/{id}")), Some(&w.admin), Some(&json!({"active": true})), &[]);
    assert_eq!(r.status, 200, "{r:?}");
    w.login("temp", "password-123");
    // A new password replaces the old one.
    let r = call("PATCH", &w.url(&format!("/users/{id}")), Some(&w.admin), Some(&json!({"password": "new-password-1"})), &[]);
    assert_eq!(r.status, 200, "{r:?}");
    w.login("temp", "new-password-1");
    let r = call("POST", &w.url("/auth/login"), None, Some(&json!({"username": "temp", "password": "password-123"})), &[]);
    assert_eq!((r.status, r.code()), (401, "unauthenticated"), "the old password no longer works");
    // The last active admin cannot lock everybody out; an empty change is no change.
    let admin_id = w.get(&w.admin, "/auth/me").body["id"].as_str().unwrap().to_string();
    for patch in [json!({"active": false}), json!({"role": "hr"})] {
        let r = call("PATCH", &w.url(&format!("/users/{admin_id}")), Some(&w.admin), Some(&patch), &[]);
        assert_eq!((r.status, r.code()), (409, "last_admin"), "{r:?}");
    }
    let r = call("PATCH", &w.url(&format!("/users/{id}")), Some(&w.admin), Some(&json!({})), &[]);
    assert_eq!((r.status, r.code()), (422, "validation_failed"));
    let r = call("PATCH", &w.url(&format!("/users/{id}")), Some(&w.admin), Some(&json!({"active": false})), &[]);
    assert_eq!(r.status, 200, "{r:?}");
    // Refused changes leave no trace: not in the users table, not on the global chain.
    let before = w.get(&w.inspector, "/audit-trail/verify").body["events"].as_i64().unwrap();
    let r = call("PATCH", &w.url("/users/nobody"), Some(&w.admin), Some(&json!({"active": false})), &[]);
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = call("PATCH", &w.url(&format!("/users/{id}")), Some(&w.admin), Some(&json!({"role": "unit"})), &[]);
    assert_eq!((r.status, r.code()), (422, "validation_failed"), "a unit needs an organisation");
    let v = w.get(&w.inspector, "/audit-trail/verify");
    assert_eq!((v.body["valid"].as_bool(), v.body["events"].as_i64()), (Some(true), Some(before)));
    assert_eq!(w.get(&w.admin, &format!("/users/{id}")).body["role"], "inspector");
}

/// Text the database cannot hold is a 4xx on every backend, names are judged after trimming,
/// and a unit's organisation list is its own organisation whatever the page.
#[test]
fn awkward_text_and_org_visibility() {
    on_each_backend(|w| {
        // PostgreSQL cannot store NUL, so no backend takes it (more in strict_input).
        let r = call("POST", &w.url("/auth/login"), None, Some(&json!({"username": "adm\u{0}in", "password": "x"})), &[]);
        assert_eq!((r.status, r.code()), (400, "malformed_request"), "NUL in a login name: {r:?}");
        let r = w.post(&w.admin, "/orgs", json!({"name": "某\u{0}学校", "kind": "school", "region": "红山区"}));
        assert_eq!(r.status, 400, "{r:?}");
        let r = w.get(&w.admin, "/orgs?cursor=%00");
        assert_eq!(r.status, 400, "a cursor holding NUL: {r:?}");
        let r = w.post(&w.admin, "/orgs", json!({"name": "   ", "kind": "school", "region": "  "}));
        assert_eq!((r.status, r.body["errors"].as_array().map(Vec::len)), (422, Some(2)), "{r:?}");
        // The other unit's organisation is not the first by id.
        let r = w.get(&w.other_unit, "/orgs?limit=1");
        let ids: Vec<&str> = r.body["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [w.other_org_id.as_str()], "{r:?}");
    });
}
