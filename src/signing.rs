//! The key that signs the audit trees' checkpoints: given (FUNDLEDGER_SIGNING_KEY), kept beside
//! the SQLite database (made at first start, mode 0600), or on PostgreSQL derived from the JWT
//! secret, which every process of a deployment shares and the database does not hold.
use crate::config::Settings;
use crate::db::Target;
use crate::domain::checkpoint::Notary;
use std::path::Path;

pub fn notary(settings: &Settings, target: &Target, jwt_secret: &str) -> Result<Notary, String> {
    let t = &settings.transparency;
    if let Some(key) = &t.signing_key {
        return Notary::from_key(key).map_err(|e| format!("FUNDLEDGER_SIGNING_KEY: {e}"));
    }
    let Target::Sqlite(path) = target else {
        let seed = crate::auth::derive(jwt_secret.as_bytes(), b"fundledger audit checkpoint signing key");
        return Notary::from_seed(&t.log_name, seed).map_err(|e| format!("transparency.log_name: {e}"));
    };
    let file = Path::new(path).with_extension("signing-key");
    let key = kept(&file, || Notary::generate(&t.log_name).map_err(|e| format!("transparency.log_name: {e}")))?;
    Notary::from_key(&key).map_err(|e| format!("{}: {e}; delete it to make a new key", file.display()))
}

/// The text kept in `file`, or `make()`'s, written there first (mode 0600). Written aside and
/// linked into place: if another process starting at the same time got there first, its text
/// is the one both use.
fn kept(file: &Path, make: impl Fn() -> Result<String, String>) -> Result<String, String> {
    let read = |file: &Path| std::fs::read_to_string(file).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if let Some(text) = read(file) {
        return Ok(text);
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = make()?;
    let aside = file.with_extension(format!("new.{}", std::process::id()));
    let fail = |e: std::io::Error| format!("{}: {e}", file.display());
    crate::write_private(&aside, &text).map_err(fail)?;
    let linked = std::fs::hard_link(&aside, file);
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(file).ok_or_else(|| format!("{} is unreadable", file.display())),
        Err(e) => Err(fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data/fundledger.db");
        let target = Target::Sqlite(db.display().to_string());
        let settings = Settings::built_in();
        let first = notary(&settings, &target, "").unwrap();
        let again = notary(&settings, &target, "").unwrap();
        assert_eq!(first.verifier_key(), again.verifier_key());
        let file = db.with_extension("signing-key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&file, "not a key").unwrap();
        let refused = notary(&settings, &target, "").err().unwrap();
        assert!(refused.contains("signing-key") && refused.contains("delete it"), "{refused}");
    }

    #[test]
    fn on_postgresql_the_key_follows_the_jwt_secret() {
        let settings = Settings::built_in();
        let pg = Target::Postgres("postgres://x/y".into());
        let a = notary(&settings, &pg, "secret-one-secret-one-secret-one!").unwrap();
        let b = notary(&settings, &pg, "secret-one-secret-one-secret-one!").unwrap();
        let c = notary(&settings, &pg, "secret-two-secret-two-secret-two!").unwrap();
        assert_eq!(a.verifier_key(), b.verifier_key());
        assert_ne!(a.verifier_key(), c.verifier_key());
    }
}
