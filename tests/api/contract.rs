//! The compiled contract as a client meets it: the OpenAPI document, the docs page, and answers
//! for methods a path does not take.
use crate::common::{call, Db, World};

#[test]
fn the_openapi_document_is_served_without_a_token_and_lists_the_contract() {
    let w = World::new(Db::Sqlite);
    let r = call("GET", &w.url("/openapi.json"), None, None, &[]);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.content_type.starts_with("application/json"), "{}", r.content_type);
    assert_eq!(r.body["openapi"], "3.1.0");
    assert_eq!(r.body["servers"][0]["url"], "/api/v1");
    let paths = r.body["paths"].as_object().expect("paths");
    for (path, method) in
        [("/auth/login", "post"), ("/projects", "post"), ("/projects/{id}/statement", "get"), ("/audit-trail/verify", "get")]
    {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing");
    }
    // The bearer scheme, and a secured operation that says it needs it.
    assert_eq!(r.body["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(paths["/projects"]["post"]["security"][0]["bearer"], serde_json::json!([]));
    // Every error code is in the Problem schema's enum, so clients can branch on them.
    let codes = &r.body["components"]["schemas"]["Code"]["enum"];
    assert!(codes.as_array().is_some_and(|c| c.len() >= 30 && c.contains(&"insufficient_funds".into())), "{codes}");
}

#[test]
fn the_docs_page_is_served_from_the_binary() {
    let w = World::new(Db::Sqlite);
    let root = w.server.base.trim_end_matches("/api/v1").to_string();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let r = agent.get(&format!("{root}/api/docs")).call();
    let r = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!((r.status(), r.header("location")), (308, Some("/api/docs/")));
    let page = call("GET", &format!("{root}/api/docs/"), None, None, &[]);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("swagger-ui"), "{}", &page.text[..page.text.len().min(300)]);
    let init = call("GET", &format!("{root}/api/docs/swagger-initializer.js"), None, None, &[]);
    assert!(init.text.contains("/api/v1/openapi.json"), "{}", init.text);
    let bundle = call("GET", &format!("{root}/api/docs/swagger-ui-bundle.js"), None, None, &[]);
    assert_eq!(bundle.status, 200);
    assert!(bundle.text.len() > 100_000, "the bundle is built in: {} bytes", bundle.text.len());
}

#[test]
fn a_known_path_asked_with_another_method_is_405_with_allow() {
    let w = World::new(Db::Sqlite);
    let r = call("DELETE", &w.url("/projects"), Some(&w.admin), None, &[]);
    assert_eq!((r.status, r.code()), (405, "method_not_allowed"), "{r:?}");
    assert_eq!(r.header("allow"), Some("POST, GET"));
    assert!(r.content_type.starts_with("application/problem+json"));
    let r = call("PUT", &w.url("/users/some-id"), Some(&w.admin), None, &[]);
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, PATCH")));
    // An unknown path is still 404.
    let r = call("DELETE", &w.url("/no-such-thing"), Some(&w.admin), None, &[]);
    assert_eq!((r.status, r.code()), (404, "not_found"));
}
