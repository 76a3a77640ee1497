//! The operator's commands beside the service: `fundledger backup FILE` and
//! `fundledger reset-password USERNAME`. Both read the same settings as the service.
use crate::config::Settings;
use crate::db::{self, Target};
use crate::domain::audit::Actor;
use crate::store::people::{self, UserPatch};
use diesel::{Connection, RunQueryDsl};
use std::path::Path;

/// What `backup` did.
pub enum Backup {
    /// A consistent copy of the SQLite database was written, of this many bytes.
    Written(u64),
    /// PostgreSQL is copied by its own tool: the command to run.
    UsePgDump(String),
}

/// Copies the SQLite database to `file` while the service may be running: `VACUUM INTO` reads one
/// snapshot, so the copy holds every committed transaction up to a moment and none after it. The
/// database is not migrated first (a backup is what one takes before an upgrade), and the copy is
/// readable by its owner only, as the database is.
pub fn backup(settings: &Settings, file: &Path) -> Result<Backup, String> {
    let path = match Target::parse(&settings.database.url).map_err(|e| e.to_string())? {
        Target::Postgres(url) => return Ok(Backup::UsePgDump(pg_dump_command(&url, file))),
        Target::Sqlite(path) => path,
    };
    if !Path::new(&path).is_file() {
        return Err(format!("no database at {path} (FUNDLEDGER_DATABASE_URL / database.url)"));
    }
    db::create_private(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => format!("{} exists: a backup is written to a new file", file.display()),
        _ => format!("{}: {e}", file.display()),
    })?;
    let copied = vacuum_into(&path, settings.database.busy_timeout_ms, file);
    if let Err(e) = copied {
        let _ = std::fs::remove_file(file);
        return Err(format!("backup of {path} failed: {e}"));
    }
    Ok(Backup::Written(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0)))
}

fn vacuum_into(path: &str, busy_timeout_ms: u32, file: &Path) -> Result<(), diesel::result::Error> {
    let mut conn =
        diesel::sqlite::SqliteConnection::establish(path).map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
    diesel::sql_query(format!("PRAGMA busy_timeout = {busy_timeout_ms}")).execute(&mut conn)?;
    diesel::sql_query("VACUUM INTO ?").bind::<diesel::sql_types::Text, _>(file.display().to_string()).execute(&mut conn)?;
    Ok(())
}

/// `pg_dump` with the configured URL, its password left out (pg_dump then takes it from
/// PGPASSWORD or ~/.pgpass): the command may be pasted into a shell history or a ticket.
fn pg_dump_command(url: &str, file: &Path) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let mut shown = match base.split_once("://").and_then(|(scheme, rest)| rest.rsplit_once('@').map(|(who, host)| (scheme, who, host))) {
        Some((scheme, who, host)) => format!("{scheme}://{}@{host}", who.split(':').next().unwrap_or(who)),
        None => base.to_string(),
    };
    let kept: Vec<&str> = query.into_iter().flat_map(|q| q.split('&')).filter(|p| !p.starts_with("password=")).collect();
    if !kept.is_empty() {
        shown = format!("{shown}?{}", kept.join("&"));
    }
    format!("pg_dump --format=custom --file='{}' '{shown}'", file.display())
}

/// Gives `username` a new generated password and returns it. The change goes through the store's
/// own password change, the one `PATCH /users/{id}` makes: audited on the global chain, and the
/// user's earlier tokens stop working.
pub fn reset_password(settings: &Settings, username: &str) -> Result<String, String> {
    let target = Target::parse(&settings.database.url).map_err(|e| e.to_string())?;
    if let Target::Sqlite(path) = &target {
        if !Path::new(path).is_file() {
            return Err(format!("no database at {path} (FUNDLEDGER_DATABASE_URL / database.url)"));
        }
    }
    let pool = db::connect(&target, 2, settings.database.busy_timeout_ms).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let user = people::find_by_username(&mut conn, username).map_err(|e| e.detail)?.ok_or_else(|| format!("no user named '{username}'"))?;
    let password = crate::auth::random_secret(12);
    let hash = crate::auth::hash_password(&password).map_err(|e| e.detail)?;
    // The chain names the command line as the actor: no user signed in to make this change.
    let actor = Actor { user_id: "system".into(), username: "fundledger reset-password".into(), role: "system".into() };
    let patch = UserPatch { active: None, password_hash: Some(hash), role: None };
    people::patch_user(&mut conn, &actor, &user.id, patch).map_err(|e| e.detail)?;
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pg_dump_command_leaves_the_password_out() {
        let file = Path::new("/backups/fl.dump");
        assert_eq!(
            pg_dump_command("postgres://fl:hunter22@db.example:5433/books", file),
            "pg_dump --format=custom --file='/backups/fl.dump' 'postgres://fl@db.example:5433/books'"
        );
        assert_eq!(
            pg_dump_command("postgres://db.example/books?user=fl&password=hunter22&sslmode=disable", file),
            "pg_dump --format=custom --file='/backups/fl.dump' 'postgres://db.example/books?user=fl&sslmode=disable'"
        );
    }
}
