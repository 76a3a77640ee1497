//! fundledger: the books and audit trail of Chifeng City's skill-training grants.
// Nothing here needs it; the SQLite settings that once took a sqlite3_config call are compile options.
#![forbid(unsafe_code)]
pub mod app;
pub mod auth;
pub mod config;
pub mod console;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod metrics;
pub mod ops;
mod signing;
pub mod store;

use crate::config::Settings;
use crate::db::Target;
use crate::domain::classify::{Rules, RulesError};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Database(#[from] db::StartError),
    #[error("classification rules: {0}")]
    Rules(#[from] domain::classify::RulesError),
    #[error(transparent)]
    Flags(#[from] domain::flags::FlagsError),
    #[error("JWT secret: {0}")]
    Secret(String),
    #[error("bootstrap: {0}")]
    Bootstrap(String),
    #[error("checkpoint signing key: {0}")]
    Signing(String),
    #[error("{0}; the audit trail and the books are not protected from edits. Check them (GET /audit-trail/verify and each project's), then start once with FUNDLEDGER_REPAIR_TRIGGERS=1 to recreate the triggers")]
    Triggers(String),
}

/// Refuses to start while an append-only trigger is not in place, unless told to repair them.
fn append_only(conn: &mut db::DbConn, repair: bool) -> Result<(), StartError> {
    let gaps = store::append_only::check(conn, repair).map_err(|e| StartError::Bootstrap(e.detail))?;
    let named = gaps.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
    match (gaps.is_empty(), repair) {
        (true, _) => Ok(()),
        (false, true) => {
            tracing::warn!("recreated because FUNDLEDGER_REPAIR_TRIGGERS is set: {named}");
            Ok(())
        }
        (false, false) => Err(StartError::Triggers(named)),
    }
}

/// Everything the service needs, built and checked before it accepts a request.
pub fn build_state(settings: Settings) -> Result<http::AppState, StartError> {
    let target = Target::parse(&settings.database.url)?;
    let rules = load_rules(&settings)?;
    let flags = load_flags(&settings)?;
    // The data directory first: an unwritable one is named as such, before the secret is kept there.
    db::prepare(&target)?;
    let secret = jwt_secret(&settings, &target)?;
    let notary = signing::notary(&settings, &target, &secret).map_err(StartError::Signing)?;
    let pool = db::connect(&target, settings.database.pool_size, settings.database.busy_timeout_ms)?;
    let mut conn = pool.get().map_err(db::StartError::from)?;
    append_only(&mut conn, settings.transparency.repair_triggers)?;
    if settings.auth.admin_password.is_some() {
        let has_users = !store::people::list_users(&mut conn, "", 1).map_err(|e| StartError::Bootstrap(e.detail))?.is_empty();
        if has_users {
            tracing::warn!(
                "FUNDLEDGER_ADMIN_PASSWORD is ignored: the database already has users (it sets only the first admin's \
                 password; `fundledger reset-password USERNAME` gives a user a new one)"
            );
        }
    }
    if let Some(generated) =
        store::people::bootstrap_admin(&mut conn, settings.auth.admin_password.as_deref()).map_err(|e| StartError::Bootstrap(e.detail))?
    {
        // Printed once, on the terminal of whoever started the service; never logged.
        println!("Created user 'admin' with generated password: {generated}");
    }
    drop(conn);
    // Chains written before their Merkle trees existed get them now, before any request.
    let grown = store::unit::grow_trees(&pool).map_err(|e| StartError::Bootstrap(e.detail))?;
    if grown > 0 {
        tracing::info!(chains = grown, "audit trees built for chains written before trees existed");
    }
    // The learned second opinion, trained on the corpus and the decisions so far.
    let rules = Arc::new(rules);
    let mut conn = pool.get().map_err(db::StartError::from)?;
    let trained = app::classifier::retrain(&mut conn, &rules, None).map_err(|e| StartError::Bootstrap(e.detail))?;
    drop(conn);
    app::classifier::follow(pool.clone(), Arc::downgrade(&rules), app::classifier::FOLLOW_EVERY);
    tracing::info!(model = %trained.model_version, rules = %trained.rules_version, decisions = trained.approved_examples + trained.declined_examples, "classifier model trained");
    let group_commit = |backend| target.backend() == backend && settings.database.group_commit;
    let writer = group_commit(db::Backend::Sqlite).then(|| store::writer::Writer::sqlite(pool.clone()));
    // Two posting batches in flight: one runs while the other's commit is being flushed (16
    // clients: ~3,100-3,400 vouchers/s against ~2,800 with one; four were slower). Each keeps a
    // connection, so a small pool keeps one batcher and leaves the rest to readers.
    let batchers = if settings.database.pool_size >= 4 { 2 } else { 1 };
    let batcher = group_commit(db::Backend::Postgres)
        .then(|| store::writer::Writer::start(pool.clone(), "fundledger-batcher", batchers, store::batch::run));
    Ok(http::AppState {
        writer,
        batcher,
        standings: Default::default(),
        pool,
        backend: target.backend(),
        keys: auth::Keys::new(secret.as_bytes(), settings.auth.token_ttl_seconds),
        rules,
        flags: Arc::new(flags),
        notary: Arc::new(notary),
        documents: Arc::new(store::documents::InDatabase),
        import_stash: Default::default(),
        settings,
    })
}

/// `config/classification.toml` as this binary was built with it.
const BUILT_IN_RULES: &str = include_str!("../config/classification.toml");

/// The rules file as configured, relative to the working directory. Only the default path may be
/// missing, and then the rules built into the binary apply: a service started anywhere runs with
/// the rules it was built with, never with a file found where it happened to be compiled.
fn load_rules(settings: &Settings) -> Result<Rules, StartError> {
    let path = &settings.classification.rules;
    match Rules::load(path) {
        Err(RulesError::Io(_, e)) if e.kind() == std::io::ErrorKind::NotFound => {
            if !settings.rules_path_is_default() {
                let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| "?".into());
                let missing = format!("{} does not exist (working directory {cwd})", path.display());
                return Err(config::ConfigError::Invalid("classification.rules", missing).into());
            }
            tracing::info!(path = %path.display(), "no rules file there: the classification rules built into the binary are in use");
            Ok(Rules::from_toml_str(BUILT_IN_RULES)?)
        }
        loaded => Ok(loaded?),
    }
}

/// `config/flags.toml` as this binary was built with it.
const BUILT_IN_FLAGS: &str = include_str!("../config/flags.toml");

/// The red-flag thresholds as configured, found as the classification rules are: only the
/// default path may be missing, and then the thresholds built into the binary apply.
fn load_flags(settings: &Settings) -> Result<domain::flags::Thresholds, StartError> {
    use domain::flags::{FlagsError, Thresholds};
    let path = &settings.flags.thresholds;
    match Thresholds::load(path) {
        Err(FlagsError::Io(_, e)) if e.kind() == std::io::ErrorKind::NotFound => {
            if !settings.thresholds_path_is_default() {
                let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| "?".into());
                let missing = format!("{} does not exist (working directory {cwd})", path.display());
                return Err(config::ConfigError::Invalid("flags.thresholds", missing).into());
            }
            tracing::info!(path = %path.display(), "no thresholds file there: the red-flag thresholds built into the binary are in use");
            Ok(Thresholds::from_toml_str(BUILT_IN_FLAGS)?)
        }
        loaded => Ok(loaded?),
    }
}

/// The configured secret, or for SQLite a generated one kept beside the database file.
fn jwt_secret(settings: &Settings, target: &Target) -> Result<String, StartError> {
    if let Some(s) = &settings.auth.jwt_secret {
        return match auth::secret_problem(s) {
            Some(problem) => Err(StartError::Secret(format!("FUNDLEDGER_JWT_SECRET {problem}"))),
            None => Ok(s.clone()),
        };
    }
    let Target::Sqlite(path) = target else {
        return Err(StartError::Secret("set FUNDLEDGER_JWT_SECRET (32+ characters) when running on PostgreSQL".into()));
    };
    let file = Path::new(path).with_extension("jwt-secret");
    let read = |file: &Path| std::fs::read_to_string(file).ok().map(|s| s.trim().to_string());
    if let Some(s) = read(&file) {
        if auth::secret_problem(&s).is_none() {
            return Ok(s);
        }
        return Err(StartError::Secret(format!("{} holds no valid secret (32+ characters); delete it to make a new one", file.display())));
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StartError::Secret(format!("{}: {e}", dir.display())))?;
    }
    // Written aside, then linked into place: the link fails if another process starting at the
    // same time got there first, and then its secret is the one both use.
    let secret = auth::random_secret(32);
    let aside = file.with_extension(format!("jwt-secret.{}", std::process::id()));
    let fail = |e: std::io::Error| StartError::Secret(format!("{}: {e}", file.display()));
    write_private(&aside, &secret).map_err(fail)?;
    let linked = std::fs::hard_link(&aside, &file);
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => Ok(secret),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read(&file).filter(|s| s.len() >= 32).ok_or_else(|| StartError::Secret(format!("{} is unreadable", file.display())))
        }
        Err(e) => Err(fail(e)),
    }
}

pub(crate) fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(file)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_rules_are_valid() {
        let rules = Rules::from_toml_str(BUILT_IN_RULES).unwrap_or_else(|e| panic!("{e}"));
        assert!(rules.find_category("equipment").is_some());
    }

    #[test]
    fn a_chosen_rules_file_that_does_not_exist_stops_the_start() {
        let mut settings = Settings::built_in();
        settings.classification.rules = "config/no-such-rules.toml".into();
        let Err(refused) = load_rules(&settings) else { panic!("a missing rules file was accepted") };
        let message = refused.to_string();
        assert!(message.contains("classification.rules") && message.contains("config/no-such-rules.toml"), "{message}");
        // The default path exists here (tests run in the crate root) and is read from there.
        assert!(load_rules(&Settings::built_in()).is_ok());
    }

    #[test]
    fn bad_flag_thresholds_stop_the_start_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("flags.toml");
        std::fs::write(&file, BUILT_IN_FLAGS.replacen("min_documents = 1", "min_documents = 0", 1)).unwrap();
        let mut settings = Settings::built_in();
        settings.flags.thresholds = file;
        let message = load_flags(&settings).expect_err("min_documents = 0 was accepted").to_string();
        assert!(message.contains("missing_documents.min_documents"), "{message}");
        settings.flags.thresholds = "config/no-such-flags.toml".into();
        assert!(load_flags(&settings).expect_err("missing file").to_string().contains("flags.thresholds"));
        assert!(load_flags(&Settings::built_in()).is_ok());
    }
}
