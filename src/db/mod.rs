//! Storage: one diesel connection type over SQLite (embedded default) and PostgreSQL.
pub mod schema;

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::path::Path;
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// Any fixed number: serialises migrations of several processes starting on one PostgreSQL.
const MIGRATION_LOCK: i64 = 0x6675_6e64;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<DbConn>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("unsupported database URL scheme '{0}': use a SQLite path, sqlite://… or postgres://…")]
    UnknownScheme(String),
    #[error("an in-memory SQLite database cannot be shared by the connection pool: give a file path")]
    InMemory,
    #[error("cannot create the database directory {0}: {1}")]
    Directory(String, std::io::Error),
    #[error("the data directory {0} is not writable ({1}): the database, its -wal and -shm files and the JWT secret are kept there")]
    Unwritable(String, std::io::Error),
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    #[error("cannot open the database: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database migration failed: {0}")]
    Migration(String),
}

/// Where the data lives, decided by the URL's scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(String),
    Postgres(String),
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, StartError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_string()));
        }
        let path = match url.strip_prefix("sqlite://") {
            Some(path) => path,
            None => {
                if let Some((scheme, _)) = url.split_once("://") {
                    return Err(StartError::UnknownScheme(scheme.to_string()));
                }
                url.strip_prefix("sqlite:").unwrap_or(url)
            }
        };
        // Each pooled connection would open its own empty in-memory database (SQLite opens
        // with URIs on, so `file::memory:` is one too).
        if path.is_empty() || path.contains(":memory:") || path.contains("mode=memory") {
            return Err(StartError::InMemory);
        }
        Ok(Target::Sqlite(path.to_string()))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Every SQLite connection is set up the same way: durable commits, enforced foreign keys, and a
/// wait (not an error) when another writer holds the lock.
#[derive(Debug)]
struct SqliteSetup {
    busy_timeout_ms: u32,
}

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for SqliteSetup {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        if let DbConn::Sqlite(c) = conn {
            // mmap_size: reads take pages straight from the file's mapping instead of copying
            // each into the connection's 2 MB cache, which a read of 10,000 project rows (the
            // portfolio) overflows on every request.
            // temp_store: group commit's savepoint journals stay in memory, not in temp files.
            // wal_autocheckpoint 4000 pages (16 MiB) rather than 1000: the pages every posting
            // rewrites (project rows, totals, chain heads, index edges) are then copied into the
            // database once per checkpoint instead of four times (posting +13 %); the WAL stays
            // small enough for page lookups in it to stay cheap.
            c.batch_execute(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                 PRAGMA busy_timeout = {}; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 4000; \
                 PRAGMA mmap_size = 268435456;",
                self.busy_timeout_ms
            ))
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Makes ready what a SQLite database needs before anything else is written beside it (the JWT
/// secret): its directory, writable, and the database file readable by its owner only — SQLite
/// creates the -wal and -shm files with the database file's mode. Nothing to do for PostgreSQL.
pub fn prepare(target: &Target) -> Result<(), StartError> {
    let Target::Sqlite(path) = target else { return Ok(()) };
    let file = Path::new(path);
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| StartError::Directory(dir.display().to_string(), e))?;
    let unwritable = |e| StartError::Unwritable(dir.display().to_string(), e);
    let probe = dir.join(format!(".fundledger-write-check.{}", std::process::id()));
    create_private(&probe).and_then(|()| std::fs::remove_file(&probe)).map_err(unwritable)?;
    match create_private(file) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(unwritable(e)),
        _ => Ok(()),
    }
}

/// Creates an empty file that only its owner may read (an empty file is an empty SQLite database).
pub fn create_private(file: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(file).map(drop)
}

/// `busy_timeout_ms`: how long a SQLite writer waits for the lock before the request gets a 503.
pub fn connect(target: &Target, pool_size: u32, busy_timeout_ms: u32) -> Result<DbPool, StartError> {
    prepare(target)?;
    let url = match target {
        Target::Sqlite(path) => path.clone(),
        Target::Postgres(url) => {
            // One connection first, for the driver's own words: through the pool a refused
            // connection reads "timed out waiting for connection" after the pool's timeout, and
            // the multi-backend connection hides libpq's message.
            PgConnection::establish(url).map_err(|e| StartError::Connect(e.to_string().trim().replace('\n', " ")))?;
            url.clone()
        }
    };
    let pool = Pool::builder()
        .max_size(pool_size)
        .connection_timeout(Duration::from_secs(10))
        // A broken connection fails its statement and is then discarded (diesel reports it broken);
        // a `SELECT 1` before every checkout would be one more round trip per request.
        .test_on_check_out(false)
        .connection_customizer(Box::new(SqliteSetup { busy_timeout_ms }))
        .build(ConnectionManager::<DbConn>::new(url))?;
    migrate(&pool)?;
    Ok(pool)
}

fn migrate(pool: &DbPool) -> Result<(), StartError> {
    migrate_from(&mut *pool.get()?, SQLITE_MIGRATIONS, PG_MIGRATIONS)
}

/// Runs the pending migrations of `sqlite` or `pg` (the binary's own, or a directory in a test) in
/// one transaction: should one fail, the database is left as it was, with none of them applied.
pub fn migrate_from(
    conn: &mut DbConn,
    sqlite: impl MigrationSource<diesel::sqlite::Sqlite>,
    pg: impl MigrationSource<diesel::pg::Pg>,
) -> Result<(), StartError> {
    let result = match conn {
        // BEGIN IMMEDIATE: a second process starting at the same time waits for the first.
        DbConn::Sqlite(c) => c.immediate_transaction(|c| forward(c, sqlite).map_err(diesel::result::Error::QueryBuilderError)),
        DbConn::Pg(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .execute(c)
                .map_err(|e| StartError::Migration(e.to_string()))?;
            // diesel runs each migration in a transaction of its own; this one around them all
            // makes a failed upgrade leave none of its migrations behind (PostgreSQL's DDL is
            // transactional).
            let r = c.transaction(|c| forward(c, pg).map_err(diesel::result::Error::QueryBuilderError));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                .execute(c)
                .map_err(|e| StartError::Migration(e.to_string()))?;
            r
        }
    };
    result.map_err(|e| StartError::Migration(e.to_string()))
}

/// Migrations only go forward: a database that holds a migration this build does not have was
/// upgraded by a newer release, whose tables this build would misread, so it is refused.
fn forward<DB: diesel::backend::Backend>(
    conn: &mut impl MigrationHarness<DB>,
    source: impl MigrationSource<DB>,
) -> diesel::migration::Result<()> {
    let known: std::collections::HashSet<String> = source.migrations()?.iter().map(|m| m.name().version().to_string()).collect();
    let unknown: Vec<String> = conn.applied_migrations()?.iter().map(|v| v.to_string()).filter(|v| !known.contains(v)).collect();
    if !unknown.is_empty() {
        let newer = unknown.join(", ");
        return Err(format!("the database was upgraded by a newer release (migration {newer}); run that release or a later one").into());
    }
    conn.run_pending_migrations(source)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundled SQLite was built with `.cargo/config.toml`'s options, and connections map the
    /// file.
    #[test]
    fn sqlite_is_built_multi_threaded_without_memory_statistics() {
        #[derive(diesel::QueryableByName)]
        struct Opt {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        let dir = tempfile::tempdir().unwrap();
        let pool = connect(&Target::Sqlite(dir.path().join("t.db").display().to_string()), 1, 1000).unwrap();
        let mut conn = pool.get().unwrap();
        let options: Vec<String> =
            diesel::sql_query("PRAGMA compile_options").load::<Opt>(&mut conn).unwrap().into_iter().map(|o| o.compile_options).collect();
        for wanted in ["THREADSAFE=2", "DEFAULT_MEMSTATUS=0"] {
            assert!(options.iter().any(|o| o == wanted), "{wanted} not in {options:?}");
        }
        #[derive(diesel::QueryableByName)]
        struct Mmap {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            mmap_size: i64,
        }
        let mmap = diesel::sql_query("PRAGMA mmap_size").get_result::<Mmap>(&mut conn).unwrap();
        assert_eq!(mmap.mmap_size, 268_435_456);
    }

    #[test]
    fn urls_choose_the_backend() {
        assert_eq!(Target::parse("data/x.db").unwrap(), Target::Sqlite("data/x.db".into()));
        assert_eq!(Target::parse("sqlite://data/x.db").unwrap(), Target::Sqlite("data/x.db".into()));
        assert_eq!(Target::parse("postgres://u@h/db").unwrap().backend(), Backend::Postgres);
        assert!(matches!(Target::parse(":memory:"), Err(StartError::InMemory)));
        assert!(matches!(Target::parse("sqlite::memory:"), Err(StartError::InMemory)));
        for url in ["sqlite://:memory:", "sqlite://", "file::memory:", "sqlite:file::memory:?cache=shared"] {
            assert!(matches!(Target::parse(url), Err(StartError::InMemory)), "{url}");
        }
        assert!(matches!(Target::parse("mysql://u@h/db"), Err(StartError::UnknownScheme(s)) if s == "mysql"));
    }

    /// Diesel keys a migration by the version before the first `_` of its folder: two folders
    /// with one version would run only the first, silently. Both backends have the same list.
    #[test]
    fn every_migration_has_its_own_version_and_both_backends_the_same_list() {
        let list = |backend: &str| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
            let mut names: Vec<String> =
                std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            names
        };
        let (sqlite, postgres) = (list("sqlite"), list("postgres"));
        assert_eq!(sqlite, postgres);
        let mut versions: Vec<&str> = sqlite.iter().map(|n| n.split('_').next().unwrap()).collect();
        versions.dedup();
        assert_eq!(versions.len(), sqlite.len(), "a version is shared: {sqlite:?}");
    }
}
