//! Issue 14, first contact and operations, black-box: the binary as an operator meets it. Start-up
//! failures say what is wrong at once, files are private, the commands beside the service
//! (`--help`, `--version`, `backup`, `reset-password`) and `GET /metrics`.
use crate::binary::{free_port, login, output, post, spawn, wait_healthy};
use crate::common::{backends, Db, FreshDb, SECRET};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn pg_admin_url() -> Option<String> {
    std::env::var("FUNDLEDGER_TEST_PG_URL").ok().filter(|s| !s.is_empty())
}

/// The environment that points the binary at `url`, with the shared test secret.
fn on(url: &str, port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("FUNDLEDGER_DATABASE_URL", url.to_string()),
        ("FUNDLEDGER_JWT_SECRET", SECRET.to_string()),
        ("FUNDLEDGER_BIND", format!("127.0.0.1:{port}")),
        ("FUNDLEDGER_ADMIN_PASSWORD", "admin-password-1".to_string()),
    ]
}

/// A service that is killed should its test fail before it is stopped.
struct Running(Option<Child>);

impl Running {
    fn start(dir: &std::path::Path, envs: &[(&str, String)]) -> Running {
        Running(Some(spawn(dir, envs)))
    }

    /// Stops it with SIGTERM and gives everything it printed.
    fn stop(mut self) -> String {
        let child = self.0.take().unwrap();
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        output(child).1
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs a command of the binary (not the service) in `dir` and gives its exit code, stdout, stderr.
fn command(dir: &std::path::Path, envs: &[(&str, String)], args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fundledger"));
    cmd.current_dir(dir).args(args).env_remove("FUNDLEDGER_DATABASE_URL").env_remove("FUNDLEDGER_JWT_SECRET");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn postgres_connection_failures_show_the_drivers_own_message_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = vec![
        ("postgres://fl:pw-9731@127.0.0.1:1/fundledger".to_string(), "Connection refused"),
        ("postgres://fl:pw-9731@no-such-host.invalid/fundledger".to_string(), "could not translate host name"),
    ];
    if let Some(admin) = pg_admin_url() {
        let base = admin.rsplit_once('/').unwrap().0.to_string();
        cases.push((format!("{base}/fl_no_such_database"), "database \"fl_no_such_database\" does not exist"));
        let host = base.rsplit_once('@').map_or(base.trim_start_matches("postgres://"), |(_, h)| h);
        cases.push((format!("postgres://fl_no_such_user:pw-9731@{host}/postgres"), "\"fl_no_such_user\""));
    }
    for (url, driver_says) in cases {
        let started = Instant::now();
        let (code, text) = output(spawn(dir.path(), &on(&url, free_port())));
        let took = started.elapsed();
        assert_eq!(code, Some(1), "{url}: {text}");
        assert!(text.contains("cannot connect to PostgreSQL") && text.contains(driver_says), "{url}: {text}");
        assert!(!text.contains("timed out waiting"), "{url}: {text}");
        assert!(!text.contains("pw-9731"), "the password is not shown: {text}");
        assert!(took < Duration::from_secs(5), "{url}: took {took:?}, not at once");
    }
}

#[test]
fn a_taken_port_is_named_and_nothing_is_created() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    for db in backends() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = FreshDb::new(db);
        let url = match db {
            Db::Sqlite => dir.path().join("data/fundledger.db").display().to_string(),
            Db::Postgres => fresh.url.clone(),
        };
        let (code, text) = output(spawn(dir.path(), &on(&url, port)));
        assert_eq!(code, Some(1), "{db:?}: {text}");
        assert!(text.contains(&format!("cannot listen on 127.0.0.1:{port} (server.bind (FUNDLEDGER_BIND))")), "{db:?}: {text}");
        assert!(!text.contains("generated password"), "{text}");
        match db {
            Db::Sqlite => assert!(!dir.path().join("data").exists(), "the database was created"),
            Db::Postgres => {
                use diesel::{Connection, RunQueryDsl};
                let mut conn = diesel::PgConnection::establish(&fresh.url).unwrap();
                let tables = diesel::sql_query("SELECT 1 FROM information_schema.tables WHERE table_schema = 'public'").execute(&mut conn);
                assert_eq!(tables.unwrap(), 0, "the database was migrated");
            }
        }
    }
}

#[test]
fn a_bind_that_is_not_an_address_names_the_setting_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = output(spawn(dir.path(), &[("FUNDLEDGER_BIND", "8080".into())]));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("invalid setting server.bind (FUNDLEDGER_BIND): '8080' is not a host and port"), "{text}");
    assert!(!dir.path().join("data").exists());
}

/// A directory this process cannot write to: one made read-only, or where even root may not write
/// (sysfs) when the tests run as root.
fn unwritable_dir(scratch: &std::path::Path) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch.join("read-only");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let writable = |d: &std::path::Path| {
        let probe = d.join("probe");
        let ok = std::fs::write(&probe, "x").is_ok();
        let _ = std::fs::remove_file(&probe);
        ok
    };
    [dir, "/sys".into()].into_iter().find(|d| d.is_dir() && !writable(d))
}

#[test]
fn an_unwritable_data_directory_is_named() {
    let scratch = tempfile::tempdir().unwrap();
    let Some(dir) = unwritable_dir(scratch.path()) else {
        println!("skipped: no directory here is unwritable to this process");
        return;
    };
    let url = dir.join("fundledger.db").display().to_string();
    let mut env = on(&url, free_port());
    env.retain(|(k, _)| *k != "FUNDLEDGER_JWT_SECRET");
    let (code, text) = output(spawn(scratch.path(), &env));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&format!("the data directory {} is not writable", dir.display())), "{text}");
    assert!(!text.contains("JWT secret:"), "not the secret file's error: {text}");
}

#[test]
fn the_admin_password_setting_is_ignored_with_a_warning_once_there_are_users() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let first = [("FUNDLEDGER_BIND", format!("127.0.0.1:{port}")), ("FUNDLEDGER_ADMIN_PASSWORD", "first-password-1".into())];
    let child = Running::start(dir.path(), &first);
    wait_healthy(port);
    let text = child.stop();
    assert!(!text.contains("is ignored"), "the first start uses it: {text}");
    let second = [("FUNDLEDGER_BIND", format!("127.0.0.1:{port}")), ("FUNDLEDGER_ADMIN_PASSWORD", "other-password-2".into())];
    let child = Running::start(dir.path(), &second);
    wait_healthy(port);
    login(port, "admin", "first-password-1");
    let refused = ureq::post(&format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .send_json(json!({"username": "admin", "password": "other-password-2"}));
    let text = child.stop();
    assert!(matches!(refused, Err(ureq::Error::Status(401, _))), "{refused:?}");
    assert!(text.contains("WARN") && text.contains("FUNDLEDGER_ADMIN_PASSWORD is ignored: the database already has users"), "{text}");
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

/// A SQLite service in `dir` with a project that holds one disbursement of 123.45.
fn books(dir: &std::path::Path, port: u16) -> (Running, String) {
    let env = [("FUNDLEDGER_BIND", format!("127.0.0.1:{port}")), ("FUNDLEDGER_ADMIN_PASSWORD", "admin-password-1".into())];
    let child = Running::start(dir, &env);
    wait_healthy(port);
    let admin = login(port, "admin", "admin-password-1");
    let org = post(port, &admin, "/orgs", json!({"name": "o", "kind": "school", "region": "r"}))["id"].as_str().unwrap().to_string();
    post(port, &admin, "/users", json!({"username": "hr", "password": "password-123", "role": "hr"}));
    post(port, &admin, "/users", json!({"username": "fin", "password": "password-123", "role": "finance"}));
    let hr = login(port, "hr", "password-123");
    let project = post(
        port,
        &hr,
        "/projects",
        json!({"kind": "base", "name": "b", "org_id": org, "start_date": "2025-03-01",
        "fund_source": "demonstration_matching", "specialties": ["a", "b", "c"]}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let fin = login(port, "fin", "password-123");
    post(port, &fin, &format!("/projects/{project}/disbursements"), json!({"date": "2025-03-02", "amount": "123.45"}));
    (child, project)
}

fn bank_balance(port: u16, project: &str) -> serde_json::Value {
    let fin = login(port, "fin", "password-123");
    let r: serde_json::Value = ureq::get(&format!("http://127.0.0.1:{port}/api/v1/projects/{project}/statement"))
        .set("Authorization", &format!("Bearer {fin}"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    r["statement"]["bank_balance"].clone()
}

#[test]
fn the_database_its_wal_and_shm_and_the_secret_are_private_files() {
    let dir = tempfile::tempdir().unwrap();
    let (child, _) = books(dir.path(), free_port());
    let data = dir.path().join("data");
    for file in ["fundledger.db", "fundledger.db-wal", "fundledger.db-shm", "fundledger.jwt-secret"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file} is readable by others");
    }
    child.stop();
}

#[test]
fn help_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = command(dir.path(), &[], &["--help"]);
    assert_eq!(code, Some(0));
    for text in ["fundledger backup FILE", "fundledger reset-password USERNAME", "FUNDLEDGER_DATABASE_URL", "--version"] {
        assert!(out.contains(text), "{text}: {out}");
    }
    let (code, out, _) = command(dir.path(), &[], &["--version"]);
    assert_eq!((code, out.trim()), (Some(0), format!("fundledger {}", env!("CARGO_PKG_VERSION")).as_str()));
    let (code, _, err) = command(dir.path(), &[], &["backup"]);
    assert_eq!(code, Some(2), "a command without its argument: {err}");
    assert!(err.contains("usage:"), "{err}");
    assert!(!dir.path().join("data").exists(), "no command created a database");
}

#[test]
fn backup_copies_a_running_sqlite_database_consistently_and_privately() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (child, project) = books(dir.path(), port);
    // While the service runs, with the statement's money still in the WAL.
    let (code, out, err) = command(dir.path(), &[], &["backup", "copy.db"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("wrote copy.db"), "{out}");
    let copy = dir.path().join("copy.db");
    assert_eq!(mode(&copy), 0o600);
    let (code, _, err) = command(dir.path(), &[], &["backup", "copy.db"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("copy.db exists"), "a backup never overwrites: {err}");
    child.stop();
    // The copy is a database of its own with the same books.
    let other = free_port();
    let env = [("FUNDLEDGER_BIND", format!("127.0.0.1:{other}")), ("FUNDLEDGER_DATABASE_URL", copy.display().to_string())];
    let child = Running::start(dir.path(), &env);
    wait_healthy(other);
    assert_eq!(bank_balance(other, &project), "123.45");
    child.stop();
    let (code, _, err) = command(dir.path(), &[("FUNDLEDGER_DATABASE_URL", "nowhere/x.db".into())], &["backup", "b.db"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no database at nowhere/x.db") && !dir.path().join("nowhere").exists(), "{err}");
}

#[test]
fn backup_on_postgresql_prints_the_pg_dump_command_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = ("FUNDLEDGER_DATABASE_URL", "postgres://fl:pw-9731@db.example:5433/books".to_string());
    let (code, out, err) = command(dir.path(), &[url], &["backup", "books.dump"]);
    assert_eq!(code, Some(3), "not a success: no copy was written ({err})");
    assert_eq!(out.trim(), "pg_dump --format=custom --file='books.dump' 'postgres://fl@db.example:5433/books'");
    assert!(err.contains("pg_dump") && !err.contains("pw-9731"), "{err}");
}

#[test]
fn reset_password_prints_a_new_one_and_audits_it() {
    for db in backends() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = FreshDb::new(db);
        let url = match db {
            Db::Sqlite => dir.path().join("fundledger.db").display().to_string(),
            Db::Postgres => fresh.url.clone(),
        };
        let port = free_port();
        let env = on(&url, port);
        let child = Running::start(dir.path(), &env);
        wait_healthy(port);
        let admin = login(port, "admin", "admin-password-1");
        post(port, &admin, "/users", json!({"username": "fin", "password": "password-123", "role": "finance"}));
        let before = login(port, "fin", "password-123");
        // While the service runs.
        let (code, out, err) = command(dir.path(), &env, &["reset-password", "fin"]);
        assert_eq!(code, Some(0), "{db:?}: {out}{err}");
        let password = out.trim().strip_prefix("New password for 'fin': ").unwrap_or_else(|| panic!("{out}")).to_string();
        assert!(password.len() >= 16, "{password}");
        login(port, "fin", &password);
        let old = ureq::post(&format!("http://127.0.0.1:{port}/api/v1/auth/login"))
            .send_json(json!({"username": "fin", "password": "password-123"}));
        assert!(matches!(old, Err(ureq::Error::Status(401, _))), "{db:?}: {old:?}");
        // The token fin held before is revoked: at once here, or within the 5 s the service
        // trusts a standing it read (the command is another process).
        let me = || {
            let r = ureq::get(&format!("http://127.0.0.1:{port}/api/v1/auth/me")).set("Authorization", &format!("Bearer {before}")).call();
            match r {
                Ok(r) => r.status(),
                Err(ureq::Error::Status(code, _)) => code,
                Err(e) => panic!("{e}"),
            }
        };
        let started = std::time::Instant::now();
        while me() == 200 {
            assert!(started.elapsed() < std::time::Duration::from_secs(6), "{db:?}: the old token still works after 6 s");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        assert_eq!(me(), 401, "{db:?}");
        let trail: serde_json::Value = ureq::get(&format!("http://127.0.0.1:{port}/api/v1/audit-trail?action=user.updated"))
            .set("Authorization", &format!("Bearer {admin}"))
            .call()
            .unwrap()
            .into_json()
            .unwrap();
        let event = &trail["items"][0];
        assert_eq!(event["actor"]["username"], "fundledger reset-password", "{db:?}: {trail}");
        assert_eq!(event["data"]["password_changed"], true, "{db:?}: {trail}");
        let (code, _, err) = command(dir.path(), &env, &["reset-password", "nobody"]);
        assert_eq!(code, Some(1));
        assert!(err.contains("no user named 'nobody'"), "{err}");
        child.stop();
    }
}

fn scrape(port: u16) -> String {
    ureq::get(&format!("http://127.0.0.1:{port}/metrics")).call().unwrap().into_string().unwrap()
}

#[test]
fn metrics_are_served_on_their_own_address_in_prometheus_text() {
    // PostgreSQL's postings go through its posting batches, SQLite's through the writer.
    for db in backends() {
        metrics_on(db);
    }
}

fn metrics_on(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let fresh = FreshDb::new(db);
    let url = match db {
        Db::Sqlite => dir.path().join("fundledger.db").display().to_string(),
        Db::Postgres => fresh.url.clone(),
    };
    let (api, metrics) = (free_port(), free_port());
    let mut env = on(&url, api);
    env.push(("FUNDLEDGER_METRICS_BIND", format!("127.0.0.1:{metrics}")));
    let child = Running::start(dir.path(), &env);
    wait_healthy(api);
    let admin = login(api, "admin", "admin-password-1");
    let org = post(api, &admin, "/orgs", json!({"name": "o", "kind": "school", "region": "r"}))["id"].as_str().unwrap().to_string();
    post(api, &admin, "/users", json!({"username": "hr", "password": "password-123", "role": "hr"}));
    post(api, &admin, "/users", json!({"username": "fin", "password": "password-123", "role": "finance"}));
    let hr = login(api, "hr", "password-123");
    let p = post(
        api,
        &hr,
        "/projects",
        json!({"kind": "base", "name": "b", "org_id": org, "start_date": "2025-03-01",
        "fund_source": "demonstration_matching", "specialties": ["a", "b", "c"]}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let fin = login(api, "fin", "password-123");
    for amount in ["100.00", "200.00"] {
        post(api, &fin, &format!("/projects/{p}/disbursements"), json!({"date": "2025-03-02", "amount": amount}));
    }
    let over = ureq::post(&format!("http://127.0.0.1:{api}/api/v1/projects/{p}/disbursements"))
        .set("Authorization", &format!("Bearer {fin}"))
        .send_json(json!({"date": "2025-03-03", "amount": "900000.00"}));
    assert!(matches!(over, Err(ureq::Error::Status(409, _))), "{over:?}");
    assert!(ureq::get(&format!("http://127.0.0.1:{api}/metrics")).call().is_err(), "not on the API's address");

    let text = scrape(metrics);
    for line in [
        "# TYPE fundledger_http_request_duration_seconds histogram",
        "fundledger_http_requests_total{method=\"POST\",route=\"/api/v1/projects/{id}/disbursements\",status=\"201\"} 2",
        "fundledger_http_requests_total{method=\"POST\",route=\"/api/v1/projects/{id}/disbursements\",status=\"409\"} 1",
        "fundledger_http_requests_total{method=\"POST\",route=\"/api/v1/auth/login\",status=\"200\"} 3",
        "fundledger_postings_total{request=\"disbursement\"} 2",
        "fundledger_refusals_total{request=\"disbursement\",code=\"grant_exceeded\"} 1",
        "fundledger_db_pool_connections{state=\"max\"} 8",
    ] {
        assert!(text.lines().any(|l| l == line), "{db:?}: no line {line}:\n{text}");
    }
    for prefix in [
        "fundledger_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/projects/{id}/disbursements\",status=\"201\",le=\"",
        "fundledger_http_request_duration_seconds_count{method=\"GET\",route=\"/health\",status=\"200\"}",
        "fundledger_posting_batch_size_bucket{le=\"1\"}",
        "fundledger_db_pool_connections{state=\"in_use\"}",
    ] {
        assert!(text.lines().any(|l| l.starts_with(prefix)), "{db:?}: no line {prefix}…:\n{text}");
    }
    assert!(!text.contains(&p), "ids stay out of the labels");
    child.stop();
}
