//! The `fundledger` binary as an operator runs it: start-up checks, health, graceful SIGTERM,
//! and durability of what was committed.
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) fn spawn(dir: &std::path::Path, envs: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fundledger"));
    cmd.current_dir(dir).env_remove("FUNDLEDGER_DATABASE_URL").env_remove("FUNDLEDGER_JWT_SECRET").env("RUST_LOG", "info");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

pub(crate) fn wait_healthy(port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = ureq::get(&format!("http://127.0.0.1:{port}/health")).call() {
            return r.into_string().unwrap();
        }
        assert!(Instant::now() < deadline, "the service did not become healthy");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn output(mut child: Child) -> (Option<i32>, String) {
    let status = child.wait().unwrap();
    let mut text = String::new();
    child.stdout.take().unwrap().read_to_string(&mut text).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut text).unwrap();
    (status.code(), text)
}

#[test]
fn starts_on_a_fresh_directory_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = spawn(dir.path(), &[("FUNDLEDGER_BIND", format!("127.0.0.1:{port}"))]);
    let health = wait_healthy(port);
    assert!(health.contains("\"database\":\"sqlite\""), "{health}");
    assert!(dir.path().join("data/fundledger.db").exists(), "the database is created under data/");
    assert!(dir.path().join("data/fundledger.jwt-secret").exists(), "a dev secret is kept beside it");
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let (code, text) = output(child);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("generated password"), "the generated admin password is printed once: {text}");
    assert!(text.contains("stopped"), "{text}");
    // The temp dir has no config/classification.toml, and the build machine's is not looked for.
    assert!(text.contains("classification rules built into the binary are in use"), "{text}");
    let password = text.split("generated password: ").nth(1).and_then(|t| t.split_whitespace().next()).unwrap().to_string();
    // A second start finds the admin and the secret in place and prints no password; the printed
    // password logs in, and a token issued now is still good after a third start.
    let child = spawn(dir.path(), &[("FUNDLEDGER_BIND", format!("127.0.0.1:{port}"))]);
    wait_healthy(port);
    let token = login(port, "admin", &password);
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let (code, text) = output(child);
    assert_eq!(code, Some(0));
    assert!(!text.contains("generated password"), "{text}");
    let child = spawn(dir.path(), &[("FUNDLEDGER_BIND", format!("127.0.0.1:{port}"))]);
    wait_healthy(port);
    let me = ureq::get(&format!("http://127.0.0.1:{port}/api/v1/auth/me")).set("Authorization", &format!("Bearer {token}")).call();
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    output(child);
    assert_eq!(me.unwrap().into_json::<serde_json::Value>().unwrap()["username"], "admin");
}

#[test]
fn refuses_to_start_on_bad_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = output(spawn(dir.path(), &[("FUNDLEDGER_DATABASE_URL", "mysql://root@localhost/x".into())]));
    assert_eq!(code, Some(1));
    assert!(text.contains("unsupported database URL scheme 'mysql'"), "{text}");
    let (code, text) = output(spawn(dir.path(), &[("FUNDLEDGER_TOKEN_TTL_SECONDS", "soon".into())]));
    assert_eq!(code, Some(1));
    assert!(text.contains("FUNDLEDGER_TOKEN_TTL_SECONDS"), "{text}");
    let (code, text) = output(spawn(dir.path(), &[("FUNDLEDGER_DATABASE_URL", "postgres://nobody:pw-9731@127.0.0.1:1/x".into())]));
    assert_eq!(code, Some(1));
    assert!(text.contains("FUNDLEDGER_JWT_SECRET"), "PostgreSQL needs a shared JWT secret: {text}");
    let secret = ("FUNDLEDGER_JWT_SECRET", "pg-secret-".repeat(4));
    let pg = ("FUNDLEDGER_DATABASE_URL", "postgres://nobody:pw-9731@127.0.0.1:1/x".to_string());
    let (code, text) = output(spawn(dir.path(), &[secret, pg]));
    assert_eq!(code, Some(1), "an unreachable PostgreSQL is a clean failure: {text}");
    assert!(!text.contains("pw-9731"), "the database password is not logged: {text}");
    let (code, text) = output(spawn(dir.path(), &[("FUNDLEDGER_DATABASE_URL", ":memory:".into())]));
    assert_eq!(code, Some(1));
    assert!(text.contains("in-memory"), "{text}");
    let rules = dir.path().join("bad-rules.toml");
    std::fs::write(&rules, "[[categories]]\nslug = \"\"\n").unwrap();
    let config = dir.path().join("config.toml");
    let default = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml")).unwrap();
    std::fs::write(&config, default.replace("config/classification.toml", &rules.display().to_string())).unwrap();
    let (code, text) = output(spawn(dir.path(), &[("FUNDLEDGER_CONFIG", config.display().to_string())]));
    assert_eq!(code, Some(1));
    assert!(text.contains("classification rules"), "{text}");
    // A rules path someone chose must exist: the built-in rules stand in only for the default.
    std::fs::write(&config, "[classification]\nrules = \"rules/ours.toml\"\n").unwrap();
    let (code, text) = output(spawn(dir.path(), &[("FUNDLEDGER_CONFIG", config.display().to_string())]));
    assert_eq!(code, Some(1));
    assert!(text.contains("invalid setting classification.rules: rules/ours.toml does not exist"), "{text}");
    std::fs::write(&config, "[database]\npool_sise = 3\n").unwrap();
    let (code, text) = output(spawn(dir.path(), &[("FUNDLEDGER_CONFIG", config.display().to_string())]));
    assert_eq!(code, Some(1));
    assert!(text.contains("unknown field `pool_sise`"), "a misspelt setting is named: {text}");
    // The default path is read from the working directory when the file is there.
    std::fs::create_dir(dir.path().join("config")).unwrap();
    std::fs::write(dir.path().join("config/classification.toml"), "[[categories]]\nslug = \"\"\n").unwrap();
    let (code, text) = output(spawn(dir.path(), &[]));
    assert_eq!(code, Some(1));
    assert!(text.contains("classification rules") && text.contains("config/classification.toml"), "{text}");
    let (code, _) = output(
        Command::new(env!("CARGO_BIN_EXE_fundledger")).arg("frobnicate").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap(),
    );
    assert_eq!(code, Some(2));
}

pub(crate) fn post(port: u16, token: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
    let r = ureq::post(&format!("http://127.0.0.1:{port}/api/v1{path}")).set("Authorization", &format!("Bearer {token}")).send_json(body);
    match r {
        Ok(r) => r.into_json().unwrap(),
        Err(e) => panic!("{path}: {e}"),
    }
}

pub(crate) fn login(port: u16, user: &str, password: &str) -> String {
    let body = serde_json::json!({"username": user, "password": password});
    let r: serde_json::Value =
        ureq::post(&format!("http://127.0.0.1:{port}/api/v1/auth/login")).send_json(body).unwrap().into_json().unwrap();
    r["access_token"].as_str().unwrap().to_string()
}

#[test]
fn what_was_committed_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = [("FUNDLEDGER_BIND", format!("127.0.0.1:{port}")), ("FUNDLEDGER_ADMIN_PASSWORD", "admin-password-1".to_string())];
    let mut child = spawn(dir.path(), &env);
    wait_healthy(port);
    let admin = login(port, "admin", "admin-password-1");
    let org =
        post(port, &admin, "/orgs", serde_json::json!({"name": "o", "kind": "school", "region": "r"}))["id"].as_str().unwrap().to_string();
    for (u, role) in [("hr", "hr"), ("fin", "finance")] {
        post(port, &admin, "/users", serde_json::json!({"username": u, "password": "password-123", "role": role}));
    }
    let hr = login(port, "hr", "password-123");
    let fin = login(port, "fin", "password-123");
    let project = post(
        port,
        &hr,
        "/projects",
        serde_json::json!({"kind": "base", "name": "b", "org_id": org, "start_date": "2025-03-01",
        "fund_source": "demonstration_matching", "specialties": ["a", "b", "c"]}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = post(port, &fin, &format!("/projects/{project}/disbursements"), serde_json::json!({"date": "2025-03-02", "amount": "123.45"}));
    assert_eq!(v["status"], "posted");
    child.kill().unwrap(); // SIGKILL: no chance to flush anything
    child.wait().unwrap();
    let child = spawn(dir.path(), &env);
    wait_healthy(port);
    let fin = login(port, "fin", "password-123");
    let r: serde_json::Value = ureq::get(&format!("http://127.0.0.1:{port}/api/v1/projects/{project}/statement"))
        .set("Authorization", &format!("Bearer {fin}"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(r["statement"]["bank_balance"], "123.45");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    output(child);
}
