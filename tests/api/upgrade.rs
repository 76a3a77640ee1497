//! Issue 14: a database written by an earlier release (tests/fixtures/upgrade, see its README)
//! moves forward with this build with nothing lost: every answer the release gave about it is
//! given again (fields added since are allowed, none changed or gone), every chain verifies, the
//! old passwords log in and the pending voucher can still be decided. Migrations run all or
//! nothing, and only forward.
use crate::common::{backends, call, settings, Db, FreshDb, Server};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use fundledger::db::DbConn;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade")
}

fn name(db: Db) -> &'static str {
    match db {
        Db::Sqlite => "sqlite",
        Db::Postgres => "postgres",
    }
}

/// A fresh database holding the fixture of `db` as the release left it (the fixture itself is
/// never opened: a copy, or the dump loaded into a new database).
fn restored(db: Db) -> FreshDb {
    let fresh = FreshDb::new(db);
    match db {
        Db::Sqlite => {
            std::fs::copy(fixtures().join("sqlite.db"), &fresh.url).unwrap();
        }
        Db::Postgres => {
            let dump = std::fs::read_to_string(fixtures().join("postgres.sql")).unwrap();
            // pg_dump 15.14+ writes psql's \restrict and \unrestrict around the dump; they are
            // not SQL, and the only lines that begin with a backslash.
            let sql: String = dump.lines().filter(|l| !l.starts_with('\\')).map(|l| format!("{l}\n")).collect();
            diesel::PgConnection::establish(&fresh.url).unwrap().batch_execute(&sql).unwrap();
        }
    }
    fresh
}

fn tsv(path: PathBuf) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().filter(|l| !l.is_empty()).map(|l| l.split('\t').map(str::to_string).collect()).collect()
}

/// Where `actual` departs from what the release answered: each of its fields must be there with
/// the same value, each list as long.
fn differences(expected: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                match a.get(k) {
                    Some(got) => differences(v, got, &format!("{at}.{k}"), out),
                    None => out.push(format!("{at}.{k}: gone")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                differences(x, y, &format!("{at}[{i}]"), out);
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!("{at}: was {expected}, now {actual}")),
    }
}

/// Removes what an answer counts from today (`as_of`, `days_left`), wherever it is nested.
fn drop_dated(answer: &mut Value) {
    match answer {
        Value::Object(o) => {
            o.remove("as_of");
            o.remove("days_left");
            o.values_mut().for_each(drop_dated);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_dated),
        _ => {}
    }
}

#[test]
fn a_database_written_by_the_last_release_moves_forward_with_nothing_lost() {
    for db in backends() {
        let fresh = restored(db);
        let server = Server::start(settings(&fresh.url));
        let mut tokens = HashMap::new();
        for row in tsv(fixtures().join("expected/logins.tsv")) {
            let body = json!({"username": row[0], "password": row[1]});
            let r = call("POST", &format!("{}/auth/login", server.base), None, Some(&body), &[]);
            assert_eq!(r.status, 200, "{db:?}: {} no longer logs in with the password it had: {r:?}", row[0]);
            tokens.insert(row[0].clone(), r.body["access_token"].as_str().unwrap().to_string());
        }
        let dir = fixtures().join("expected").join(name(db));
        let mut lost = Vec::new();
        let requests = tsv(dir.join("requests.tsv"));
        assert!(requests.len() > 30, "{db:?}: the fixture's answers are missing");
        for row in &requests {
            let (n, user, path) = (&row[0], &row[1], &row[2]);
            let text = std::fs::read_to_string(dir.join(format!("{n}.json"))).unwrap();
            let mut expected: Value = serde_json::from_str(&text).unwrap();
            let r = call("GET", &format!("{}{path}", server.base), Some(&tokens[user]), None, &[]);
            assert_eq!(r.status, 200, "{db:?}: GET {path} as {user}: {r:?}");
            let mut actual = r.body;
            if !path.contains("as_of=") {
                // Judged as of today: the day the release answered, or the day of this run.
                for answer in [&mut expected, &mut actual] {
                    drop_dated(answer);
                }
            }
            differences(&expected, &actual, &format!("GET {path}"), &mut lost);
        }
        assert!(lost.is_empty(), "{db:?}: the upgrade changed what the release answered:\n{}", lost.join("\n"));

        // The voucher left pending by the release is decided now, and its chain still verifies.
        let fin = &tokens["finance-fixture"];
        let reviews = call("GET", &format!("{}/reviews", server.base), Some(fin), None, &[]);
        let items = reviews.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{db:?}: {reviews:?}");
        let (project, voucher) = (items[0]["project_id"].as_str().unwrap(), items[0]["id"].as_str().unwrap());
        let url = format!("{}/projects/{project}/vouchers/{voucher}/approve", server.base);
        let r = call("POST", &url, Some(fin), Some(&json!({"note": "升级后审核"})), &[]);
        assert_eq!((r.status, r.body["status"].as_str()), (200, Some("posted")), "{db:?}: {r:?}");
        assert_eq!(r.body["number"], 4, "{db:?}: numbered after the release's vouchers 1 to 3: {r:?}");
        let insp = &tokens["inspector-fixture"];
        let verify = call("GET", &format!("{}/projects/{project}/audit-trail/verify", server.base), Some(insp), None, &[]);
        assert_eq!(verify.body["valid"], true, "{db:?}: {verify:?}");
        assert_eq!(verify.body["reconciled"], true, "{db:?}: the migrated copy of the fixed accounts on the project row: {verify:?}");

        // A page's totals come from the project rows' copies of the fixed accounts (filled by the
        // migration), every row's from the accounts themselves: the two agree.
        let page = call("GET", &format!("{}/statements?limit=500", server.base), Some(fin), None, &[]);
        let every = call("GET", &format!("{}/statements", server.base), Some(fin), None, &[]);
        assert_eq!((page.status, every.status), (200, 200), "{db:?}: {page:?} {every:?}");
        assert_eq!(page.body["totals"], every.body["totals"], "{db:?}");
        assert_eq!(page.body["items"], every.body["items"], "{db:?}");
    }
}

/// The tables and columns of the database and the migrations it has run, in order.
fn schema(conn: &mut DbConn) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Named {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let migrations = "SELECT 'migration ' || version AS name FROM __diesel_schema_migrations";
    let rows: Vec<Named> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(format!(
            "SELECT m.name || '.' || p.name AS name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' UNION ALL {migrations} ORDER BY 1"
        ))
        .load(c),
        DbConn::Pg(c) => diesel::sql_query(format!(
            "SELECT CAST(table_name || '.' || column_name AS TEXT) AS name FROM information_schema.columns \
             WHERE table_schema = 'public' UNION ALL {migrations} ORDER BY 1"
        ))
        .load(c),
    }
    .unwrap();
    rows.into_iter().map(|r| r.name).collect()
}

/// This build's migrations of `backend` copied under `dir`, and after them `extra` (name, up.sql).
fn migrations_with(dir: &Path, backend: &str, extra: &[(&str, &str)]) -> diesel_migrations::FileBasedMigrations {
    let to = dir.join(backend);
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::create_dir_all(to.join(entry.file_name())).unwrap();
        for file in std::fs::read_dir(entry.path()).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), to.join(entry.file_name()).join(file.file_name())).unwrap();
        }
    }
    for (name, up) in extra {
        std::fs::create_dir_all(to.join(name)).unwrap();
        std::fs::write(to.join(name).join("up.sql"), up).unwrap();
        std::fs::write(to.join(name).join("down.sql"), "").unwrap();
    }
    diesel_migrations::FileBasedMigrations::from_path(&to).unwrap()
}

#[test]
fn a_failed_migration_leaves_the_database_as_it_was() {
    // The first new migration would succeed on its own; the second fails, and takes it back too.
    let extra = [
        ("2999-01-01-000000_probe", "CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY);\nALTER TABLE users ADD COLUMN probe TEXT;\n"),
        ("2999-01-02-000000_broken", "INSERT INTO no_such_table VALUES (1);\n"),
    ];
    for db in backends() {
        let fresh = restored(db);
        let dir = tempfile::tempdir().unwrap();
        let mut conn = DbConn::establish(&fresh.url).unwrap();
        let before = schema(&mut conn);
        assert!(before.iter().any(|c| c == "users.password_hash"), "{db:?}: {before:?}");
        let failed = fundledger::db::migrate_from(
            &mut conn,
            migrations_with(dir.path(), "sqlite", &extra),
            migrations_with(dir.path(), "postgres", &extra),
        );
        let message = failed.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("no_such_table"), "{db:?}: the broken migration did not fail: {message}");
        assert_eq!(schema(&mut conn), before, "{db:?}: the failed upgrade left something behind");
        // And the database still starts with this build's own migrations.
        drop(conn);
        Server::start(settings(&fresh.url));
    }
}

#[test]
fn a_database_upgraded_by_a_newer_release_is_refused() {
    for db in backends() {
        let fresh = restored(db);
        let mut conn = DbConn::establish(&fresh.url).unwrap();
        diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ('29990101000000')").execute(&mut conn).unwrap();
        drop(conn);
        let refused = fundledger::build_state(settings(&fresh.url)).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            refused.contains("newer release") && refused.contains("29990101000000"),
            "{db:?}: a build started on a database it does not know: {refused}"
        );
    }
}
