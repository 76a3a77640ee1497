//! The service under test, started in this process exactly as tests/common does, over a fresh
//! SQLite file or a fresh PostgreSQL database (dropped afterwards).
use diesel::{Connection, RunQueryDsl};
use fundledger::config::Settings;
use std::net::TcpListener;
use std::path::PathBuf;

pub const ADMIN_PASSWORD: &str = "bench-admin-password-1";
pub const SECRET: &str = "bench-secret-bench-secret-bench-secret-01";

pub struct FreshDb {
    pub url: String,
    /// The SQLite directory, for the report.
    pub dir: Option<PathBuf>,
    _temp: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl FreshDb {
    pub fn new(pg: Option<&str>, sqlite_dir: Option<&PathBuf>) -> Result<FreshDb, String> {
        match pg {
            None => {
                let temp = match sqlite_dir {
                    Some(d) => tempfile::Builder::new().prefix("fl-bench-").tempdir_in(d),
                    None => tempfile::Builder::new().prefix("fl-bench-").tempdir(),
                }
                .map_err(|e| format!("temp dir: {e}"))?;
                let url = temp.path().join("fundledger.db").display().to_string();
                Ok(FreshDb { url, dir: Some(temp.path().to_path_buf()), _temp: Some(temp), pg: None })
            }
            Some(admin) => {
                let name = format!("fl_bench_{}", uuid::Uuid::now_v7().simple());
                let mut conn = diesel::PgConnection::establish(admin).map_err(|e| format!("connect to {admin}: {e}"))?;
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).map_err(|e| format!("CREATE DATABASE: {e}"))?;
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin.to_string());
                Ok(FreshDb { url: format!("{base}/{name}"), dir: None, _temp: None, pg: Some((admin.to_string(), name)) })
            }
        }
    }

    pub fn pg_name(&self) -> Option<&str> {
        self.pg.as_ref().map(|(_, n)| n.as_str())
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            match diesel::PgConnection::establish(admin) {
                Ok(mut c) => {
                    if let Err(e) = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c) {
                        eprintln!("warning: could not drop {name}: {e}");
                    }
                }
                Err(e) => eprintln!("warning: could not drop {name}: {e}"),
            }
        }
    }
}

pub fn settings(url: &str, pool: u32, config: Option<&PathBuf>) -> Result<Settings, String> {
    let mut s = match config {
        Some(path) => Settings::from_file(path).map_err(|e| e.to_string())?,
        None => Settings::built_in(),
    };
    s.database.url = url.to_string();
    s.database.pool_size = pool;
    s.auth.jwt_secret = Some(SECRET.into());
    s.auth.admin_password = Some(ADMIN_PASSWORD.into());
    Ok(s)
}

/// The source measured: git HEAD of the crate and whether src/, config/ or migrations/ differ from it.
pub fn source() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(head) => {
            let dirty = git(&["status", "--porcelain", "--", "src", "config", "migrations", "Cargo.toml"]).unwrap_or_default();
            let n = dirty.lines().count();
            if n == 0 {
                format!("{dir} at {head}, clean")
            } else {
                format!("{dir} at {head} with {n} uncommitted change(s) in src/config/migrations/Cargo.toml (as built)")
            }
        }
        None => format!("{dir} (not a git checkout)"),
    }
}

pub struct Server {
    pub base: String,
    pub pool: fundledger::db::DbPool,
    _running: fundledger::http::background::BackgroundServer,
}

impl Server {
    pub fn start(s: Settings, workers: usize) -> Result<Server, String> {
        let state = fundledger::build_state(s).map_err(|e| format!("service start: {e}"))?;
        let pool = state.pool.clone();
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let running = fundledger::http::background::BackgroundServer::start(state, listener, workers).map_err(|e| e.to_string())?;
        Ok(Server { base: format!("http://{}/api/v1", running.addr), pool, _running: running })
    }
}

#[derive(diesel::QueryableByName)]
struct Synchronous {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    synchronous: i32,
}

#[derive(diesel::QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = diesel::sql_types::Text)]
    journal_mode: String,
}

#[derive(diesel::QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    setting: String,
}

/// Durability as the service's own connections have it (asked through its pool).
pub fn durability(pool: &fundledger::db::DbPool) -> String {
    use fundledger::db::DbConn;
    let Ok(mut conn) = pool.get() else { return "unknown (no connection)".into() };
    match &mut *conn {
        DbConn::Sqlite(c) => {
            let sync = diesel::sql_query("PRAGMA synchronous").get_result::<Synchronous>(c).map(|r| r.synchronous);
            let journal = diesel::sql_query("PRAGMA journal_mode").get_result::<JournalMode>(c).map(|r| r.journal_mode);
            let sync = match sync {
                Ok(0) => "OFF".to_string(),
                Ok(1) => "NORMAL".to_string(),
                Ok(2) => "FULL".to_string(),
                Ok(3) => "EXTRA".to_string(),
                other => format!("{other:?}"),
            };
            format!("SQLite {}, journal_mode={}, synchronous={sync}", sqlite_version(c), journal.unwrap_or_default())
        }
        DbConn::Pg(c) => {
            let mut show = |name: &str| {
                diesel::sql_query(format!("SELECT current_setting('{name}') AS setting"))
                    .get_result::<Setting>(c)
                    .map(|r| r.setting)
                    .unwrap_or_else(|e| e.to_string())
            };
            format!(
                "PostgreSQL {}, synchronous_commit={}, fsync={}, wal_sync_method={} (server defaults, untouched)",
                show("server_version"),
                show("synchronous_commit"),
                show("fsync"),
                show("wal_sync_method")
            )
        }
    }
}

fn sqlite_version(c: &mut diesel::SqliteConnection) -> String {
    diesel::sql_query("SELECT sqlite_version() AS setting").get_result::<Setting>(c).map(|r| r.setting).unwrap_or_default()
}
