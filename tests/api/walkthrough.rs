//! docs/walkthrough.sh, the README's walkthrough, run twice against the built binary: every step
//! answers what it should, and a second run on the same service succeeds as well.
use super::common::{backends, Db, FreshDb, SECRET};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const ADMIN_PASSWORD: &str = "walkthrough-admin-1";

/// Whether `tool --version` runs here.
fn installed(tool: &str) -> bool {
    Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// The `fundledger` binary serving a fresh database; killed when dropped. Its log goes to a file,
/// so a chatty service never blocks on a full pipe.
struct Service {
    child: Child,
    api: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
    _db: FreshDb,
}

impl Service {
    fn start(db: Db) -> Service {
        let fresh = FreshDb::new(db);
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = dir.path().join("service.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_fundledger"))
            .current_dir(dir.path())
            .env("FUNDLEDGER_DATABASE_URL", &fresh.url)
            .env("FUNDLEDGER_BIND", format!("127.0.0.1:{port}"))
            .env("FUNDLEDGER_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("FUNDLEDGER_JWT_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
        let service = Service { child, api: format!("http://127.0.0.1:{port}/api/v1"), log, _dir: dir, _db: fresh };
        let deadline = Instant::now() + Duration::from_secs(30);
        while ureq::get(&format!("{}/health", service.api)).call().is_err() {
            assert!(Instant::now() < deadline, "the service did not become healthy: {}", service.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
        service
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn run_walkthrough(&self) -> Output {
        Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/walkthrough.sh"))
            .env("API", &self.api)
            .env("FUNDLEDGER_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env_remove("RUN")
            .output()
            .unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_walkthrough_script_passes_twice_against_one_service() {
    if !installed("bash") || !installed("curl") {
        println!("skipped: the walkthrough needs bash and curl, and this machine lacks one of them");
        return;
    }
    for db in backends() {
        let service = Service::start(db);
        for run in ["first", "second"] {
            let out = service.run_walkthrough();
            let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(
                out.status.success(),
                "{db:?}, {run} run: the walkthrough failed ({})\n--- stderr\n{stderr}\n--- stdout\n{stdout}\n--- service log\n{}",
                out.status,
                service.log_text()
            );
            assert!(stdout.contains("every step answered as expected"), "{db:?}, {run} run ended early:\n{stdout}");
        }
    }
}

#[test]
fn the_walkthrough_stops_at_the_first_wrong_answer_and_says_which() {
    if !installed("bash") || !installed("curl") {
        println!("skipped: the walkthrough needs bash and curl, and this machine lacks one of them");
        return;
    }
    let service = Service::start(Db::Sqlite);
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/walkthrough.sh"))
        .env("API", &service.api)
        .env("FUNDLEDGER_ADMIN_PASSWORD", "not-the-admin-password")
        .env_remove("RUN")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("walkthrough FAILED: POST /auth/login answered 401, expected 200"), "{stderr}");
    assert!(!stdout.contains("== 2."), "it went on after the failure:\n{stdout}");
    // No service at all: said so, not a wall of curl errors.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/walkthrough.sh"))
        .env("API", format!("http://127.0.0.1:{port}/api/v1"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("walkthrough FAILED: GET /health: no answer from"), "{stderr}");
}
