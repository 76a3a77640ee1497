//! Settings: `config/default.toml` (built in), with the file named by FUNDLEDGER_CONFIG merged
//! over it, then the FUNDLEDGER_* environment overrides of the contract. The built-in file is the
//! one place a default is written down; a settings file holds only what it changes.
use crate::domain::kind::ProjectKind;
use crate::domain::money::Money;
use serde::Deserialize;
use std::path::{Path, PathBuf};

const BUILT_IN: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: Server,
    pub database: Database,
    pub auth: Auth,
    pub grants: Grants,
    pub classification: Classification,
    pub flags: Flags,
    pub console: Console,
    pub transparency: Transparency,
    pub attachments: Attachments,
    pub imports: Imports,
}

/// Bulk import of vouchers (`POST /projects/{id}/imports`): a file past either limit is 413.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imports {
    pub max_rows: usize,
    pub max_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub bind: String,
    pub body_limit_bytes: usize,
    pub workers: usize,
    /// Where `GET /metrics` is served (Prometheus text); off when unset.
    #[serde(default)]
    pub metrics_bind: Option<String>,
}

/// Tokens are not revocable before they expire, so their life is bounded.
pub const MAX_TOKEN_TTL_SECONDS: i64 = 7 * 24 * 3600;

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub url: String,
    pub pool_size: u32,
    pub group_commit: bool,
    pub busy_timeout_ms: u32,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    pub token_ttl_seconds: i64,
    #[serde(default)]
    pub jwt_secret: Option<String>,
    #[serde(default)]
    pub admin_password: Option<String>,
    /// Sign-in throttling counts failures per client address: the TCP peer's, unless the service
    /// sits behind a proxy that sets `X-Forwarded-For` (then its last entry, the address the
    /// proxy saw). Off by default: a client could otherwise name any address it likes.
    #[serde(default)]
    pub trust_forwarded_for: bool,
}

// A PostgreSQL URL may carry a password: it is masked when the settings are logged.
impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials go either before the host (user:pw@) or in the query (?password=…).
        let (base, query) = self.url.split_once('?').map_or((self.url.as_str(), false), |(b, _)| (b, true));
        let mut url = match base.split_once("://").and_then(|(scheme, rest)| rest.rsplit_once('@').map(|(_, host)| (scheme, host))) {
            Some((scheme, host)) => format!("{scheme}://<credentials>@{host}"),
            None => base.to_string(),
        };
        if query {
            url.push_str("?<parameters>");
        }
        f.debug_struct("Database")
            .field("url", &url)
            .field("pool_size", &self.pool_size)
            .field("group_commit", &self.group_commit)
            .field("busy_timeout_ms", &self.busy_timeout_ms)
            .finish()
    }
}

// Secrets stay out of logs even when the settings are printed with {:?}.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("token_ttl_seconds", &self.token_ttl_seconds)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<set>"))
            .field("admin_password", &self.admin_password.as_ref().map(|_| "<set>"))
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    pub base: Grant,
    pub studio: Grant,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub amount: String,
    pub years: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    pub rules: PathBuf,
}

/// The red flags for inspectors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flags {
    /// The rules' thresholds (`config/flags.toml`), loaded and validated at start.
    pub thresholds: PathBuf,
}

/// The browser console's sessions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Console {
    /// The service is reached over https (directly or behind a proxy): the session cookie is
    /// then `Secure`, so a browser never sends it in clear.
    pub https: bool,
    /// A session not used for this long ends.
    pub idle_minutes: i64,
    /// A session ends this long after sign-in however much it is used.
    pub absolute_hours: i64,
}

/// Original documents uploaded to vouchers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachments {
    /// An upload whose file is larger is refused (413) as soon as it passes this many bytes.
    pub max_bytes: usize,
}

/// The audit trees' signed checkpoints.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transparency {
    /// Names the deployment: the signing key's name and the start of every checkpoint's origin.
    pub log_name: String,
    /// The Ed25519 key as `PRIVATE+KEY+<name>+<id>+<base64>`. Unset: on SQLite a key is made at
    /// first start and kept beside the database; on PostgreSQL one is derived from the JWT
    /// secret, so every process of a deployment signs alike and the database alone cannot sign.
    #[serde(default)]
    pub signing_key: Option<String>,
    /// Recreate a missing, disabled or altered append-only trigger at start instead of refusing
    /// to start (FUNDLEDGER_REPAIR_TRIGGERS=1).
    #[serde(default)]
    pub repair_triggers: bool,
}

impl std::fmt::Debug for Transparency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transparency")
            .field("log_name", &self.log_name)
            .field("signing_key", &self.signing_key.as_ref().map(|_| "<set>"))
            .field("repair_triggers", &self.repair_triggers)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration {0}: {1}")]
    Read(String, std::io::Error),
    #[error("invalid configuration {0}: {1}")]
    Parse(String, String),
    #[error("invalid setting {0}: {1}")]
    Invalid(&'static str, String),
}

impl Settings {
    /// Reads the configuration the way the binary does.
    pub fn load() -> Result<Settings, ConfigError> {
        let mut settings = match std::env::var("FUNDLEDGER_CONFIG") {
            Ok(path) => Settings::from_file(Path::new(&path))?,
            Err(_) => Settings::from_toml(BUILT_IN, "built-in config/default.toml")?,
        };
        settings.apply_env(|k| std::env::var(k).ok())?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn built_in() -> Settings {
        Settings::from_toml(BUILT_IN, "built-in").expect("the built-in configuration parses")
    }

    /// The built-in settings with the file's merged over them: the file may hold only what it
    /// changes, and a key the settings do not have is refused by name (a typo would otherwise
    /// leave the default in force without a word).
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(name.clone(), e))?;
        Settings::merged(&text, &name)
    }

    fn merged(text: &str, name: &str) -> Result<Settings, ConfigError> {
        let parse_error = |e: toml::de::Error| ConfigError::Parse(name.to_string(), e.to_string());
        let changes: toml::Table = text.parse().map_err(parse_error)?;
        let mut table: toml::Table = BUILT_IN.parse().expect("the built-in configuration parses");
        merge(&mut table, changes);
        table.try_into().map_err(parse_error)
    }

    fn from_toml(text: &str, name: &str) -> Result<Settings, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse(name.to_string(), e.to_string()))
    }

    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = get("FUNDLEDGER_DATABASE_URL") {
            self.database.url = v;
        }
        if let Some(v) = get("FUNDLEDGER_BIND") {
            self.server.bind = v;
        }
        if let Some(v) = get("FUNDLEDGER_METRICS_BIND").filter(|v| !v.is_empty()) {
            self.server.metrics_bind = Some(v);
        }
        if let Some(v) = get("FUNDLEDGER_JWT_SECRET") {
            self.auth.jwt_secret = Some(v);
        }
        if let Some(v) = get("FUNDLEDGER_SIGNING_KEY").filter(|v| !v.is_empty()) {
            self.transparency.signing_key = Some(v);
        }
        if let Some(v) = get("FUNDLEDGER_REPAIR_TRIGGERS") {
            self.transparency.repair_triggers = match v.as_str() {
                "1" | "true" => true,
                "" | "0" | "false" => false,
                _ => return Err(ConfigError::Invalid("FUNDLEDGER_REPAIR_TRIGGERS", format!("'{v}' is not 1 or 0"))),
            };
        }
        if let Some(v) = get("FUNDLEDGER_LOG_NAME") {
            self.transparency.log_name = v;
        }
        // Set but empty reads as unset: the bootstrap then generates a password.
        if let Some(v) = get("FUNDLEDGER_ADMIN_PASSWORD").filter(|v| !v.is_empty()) {
            self.auth.admin_password = Some(v);
        }
        if let Some(v) = get("FUNDLEDGER_TOKEN_TTL_SECONDS") {
            self.auth.token_ttl_seconds =
                v.parse().map_err(|_| ConfigError::Invalid("FUNDLEDGER_TOKEN_TTL_SECONDS", format!("'{v}' is not a number")))?;
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        check_address("server.bind (FUNDLEDGER_BIND)", &self.server.bind)?;
        if let Some(bind) = &self.server.metrics_bind {
            check_address("server.metrics_bind (FUNDLEDGER_METRICS_BIND)", bind)?;
        }
        if !(1..=MAX_TOKEN_TTL_SECONDS).contains(&self.auth.token_ttl_seconds) {
            return Err(ConfigError::Invalid("auth.token_ttl_seconds", format!("must be 1 to {MAX_TOKEN_TTL_SECONDS} (7 days)")));
        }
        if let Some(problem) = self.auth.admin_password.as_deref().and_then(|pw| crate::auth::password_problem("admin", pw)) {
            return Err(ConfigError::Invalid("auth.admin_password (FUNDLEDGER_ADMIN_PASSWORD)", format!("{problem}, as any password")));
        }
        if !(1..=24 * 60).contains(&self.console.idle_minutes) {
            return Err(ConfigError::Invalid("console.idle_minutes", "must be 1 to 1440 (a day)".into()));
        }
        if !(1..=7 * 24).contains(&self.console.absolute_hours) {
            return Err(ConfigError::Invalid("console.absolute_hours", "must be 1 to 168 (7 days)".into()));
        }
        // A document is held in memory once while it is stored: 1 GiB is far beyond any scan.
        if !(1..=1 << 30).contains(&self.attachments.max_bytes) {
            return Err(ConfigError::Invalid("attachments.max_bytes", "must be 1 to 1073741824 (1 GiB)".into()));
        }
        // The SQLite writer keeps one connection for itself; readers need at least one more.
        if self.database.pool_size < 2 {
            return Err(ConfigError::Invalid("database.pool_size", "must be at least 2".into()));
        }
        for kind in [ProjectKind::Base, ProjectKind::Studio] {
            self.grant(kind)?;
        }
        if let Some(problem) = self.auth.jwt_secret.as_deref().and_then(crate::auth::secret_problem) {
            return Err(ConfigError::Invalid("FUNDLEDGER_JWT_SECRET", problem));
        }
        Ok(())
    }

    /// Whether `flags.thresholds` is the built-in setting, which falls back to the thresholds built
    /// into the binary when the working directory has no such file.
    pub fn thresholds_path_is_default(&self) -> bool {
        self.flags.thresholds == Settings::built_in().flags.thresholds
    }

    /// Whether `classification.rules` is the built-in setting, which falls back to the built-in
    /// rules when the working directory has no such file, rather than a path someone chose.
    pub fn rules_path_is_default(&self) -> bool {
        self.classification.rules == Settings::built_in().classification.rules
    }

    /// The grant amount and period (years) for a kind of project.
    pub fn grant(&self, kind: ProjectKind) -> Result<(Money, u32), ConfigError> {
        let g = match kind {
            ProjectKind::Base => &self.grants.base,
            ProjectKind::Studio => &self.grants.studio,
        };
        let amount = Money::parse_positive(&g.amount).map_err(|e| ConfigError::Invalid("grants.amount", e.to_string()))?;
        if g.years == 0 {
            return Err(ConfigError::Invalid("grants.years", "must be at least 1".into()));
        }
        Ok((amount, g.years))
    }
}

/// A listening address must name its host and port: `8080` alone would otherwise fail later as
/// "invalid socket address", naming neither the setting nor the value.
fn check_address(setting: &'static str, bind: &str) -> Result<(), ConfigError> {
    match bind.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(ConfigError::Invalid(setting, format!("'{bind}' is not a host and port, such as 127.0.0.1:8080"))),
    }
}

/// Merges `changes` into `base`: a table into the table of the same name key by key, any other
/// value in place of the one it names.
fn merge(base: &mut toml::Table, changes: toml::Table) {
    for (key, change) in changes {
        match (base.get_mut(&key), change) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(change)) => merge(inner, change),
            (_, change) => {
                base.insert(key, change);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_match_the_plan() {
        let s = Settings::built_in();
        assert_eq!(s.grant(ProjectKind::Base).unwrap(), (Money::from_yuan(500_000), 2));
        assert_eq!(s.grant(ProjectKind::Studio).unwrap(), (Money::from_yuan(50_000), 1));
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.server.body_limit_bytes, 256 * 1024);
    }

    #[test]
    fn database_passwords_are_not_printed_wherever_the_url_carries_them() {
        for url in ["postgres://fl:hunter22@db.example/z", "postgres://db.example/z?user=fl&password=hunter22"] {
            let mut s = Settings::built_in();
            s.database.url = url.into();
            let shown = format!("{:?}", s.database);
            assert!(!shown.contains("hunter22") && shown.contains("db.example/z"), "{shown}");
        }
    }

    #[test]
    fn environment_overrides_and_secrets_are_not_printed() {
        let mut s = Settings::built_in();
        s.apply_env(|k| match k {
            "FUNDLEDGER_DATABASE_URL" => Some("postgres://fl:hunter22@db.example/z".into()),
            "FUNDLEDGER_JWT_SECRET" => Some("s".repeat(40)),
            "FUNDLEDGER_TOKEN_TTL_SECONDS" => Some("60".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.database.url, "postgres://fl:hunter22@db.example/z");
        assert_eq!(s.auth.token_ttl_seconds, 60);
        let printed = format!("{s:?}");
        assert!(!printed.contains("ssss") && !printed.contains("hunter22") && printed.contains("db.example/z"), "{printed}");
        assert!(s.apply_env(|k| (k == "FUNDLEDGER_TOKEN_TTL_SECONDS").then(|| "soon".into())).is_err());
    }

    #[test]
    fn unsafe_auth_settings_are_refused() {
        assert!(Settings::built_in().validate().is_ok(), "the built-in settings are valid");
        let mut s = Settings::built_in();
        s.apply_env(|k| (k == "FUNDLEDGER_ADMIN_PASSWORD").then(String::new)).unwrap();
        assert_eq!(s.auth.admin_password, None, "empty means unset: a password is generated");
        s.apply_env(|k| (k == "FUNDLEDGER_ADMIN_PASSWORD").then(|| "short".into())).unwrap();
        assert!(matches!(s.validate(), Err(ConfigError::Invalid("auth.admin_password (FUNDLEDGER_ADMIN_PASSWORD)", _))));
        let mut s = Settings::built_in();
        s.apply_env(|k| (k == "FUNDLEDGER_TOKEN_TTL_SECONDS").then(|| i64::MAX.to_string())).unwrap();
        assert!(matches!(s.validate(), Err(ConfigError::Invalid("auth.token_ttl_seconds", _))), "an expiry past i64 would overflow");
        let mut s = Settings::built_in();
        s.database.pool_size = 1;
        assert!(matches!(s.validate(), Err(ConfigError::Invalid("database.pool_size", _))), "the writer keeps one connection");
    }

    #[test]
    fn a_bind_without_host_and_port_is_refused_naming_the_setting_and_value() {
        for (var, setting) in [
            ("FUNDLEDGER_BIND", "server.bind (FUNDLEDGER_BIND)"),
            ("FUNDLEDGER_METRICS_BIND", "server.metrics_bind (FUNDLEDGER_METRICS_BIND)"),
        ] {
            for bad in ["8080", ":8080", "localhost", "127.0.0.1:http"] {
                let mut s = Settings::built_in();
                s.apply_env(|k| (k == var).then(|| bad.into())).unwrap();
                let Err(e) = s.validate() else { panic!("{var}={bad} was accepted") };
                assert!(matches!(e, ConfigError::Invalid(name, _) if name == setting), "{e}");
                assert!(e.to_string().contains(&format!("'{bad}'")), "{e}");
            }
            let mut s = Settings::built_in();
            s.apply_env(|k| (k == var).then(|| "[::1]:9090".into())).unwrap();
            assert!(s.validate().is_ok(), "{var}");
        }
    }

    #[test]
    fn a_settings_file_may_hold_only_what_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fundledger.toml");
        std::fs::write(&file, "[database]\npool_size = 3\n").unwrap();
        let mut s = Settings::from_file(&file).unwrap();
        assert_eq!(s.database.pool_size, 3);
        let defaults = Settings::built_in();
        s.database.pool_size = defaults.database.pool_size;
        assert_eq!(format!("{s:?}"), format!("{defaults:?}"), "every other setting is the built-in default");
        assert_eq!(s.database.url, defaults.database.url);
        // Tables merge key by key at every depth: changing a grant's amount keeps its years.
        let s = Settings::merged("[grants.base]\namount = \"600000.00\"\n", "test").unwrap();
        assert_eq!(s.grant(ProjectKind::Base).unwrap(), (Money::from_yuan(600_000), 2));
        assert_eq!(s.grant(ProjectKind::Studio).unwrap(), (Money::from_yuan(50_000), 1));
    }

    #[test]
    fn a_misspelt_setting_is_refused_by_name() {
        for (text, name) in [
            ("[database]\npool_sise = 3\n", "pool_sise"),
            ("[databse]\npool_size = 3\n", "databse"),
            ("[grants.base]\nyaers = 3\n", "yaers"),
            ("[auth]\njwt_secert = \"0123456789abcdef0123456789abcdef\"\n", "jwt_secert"),
        ] {
            match Settings::merged(text, "my.toml") {
                Err(e @ ConfigError::Parse(..)) => {
                    let message = e.to_string();
                    assert!(message.contains(name) && message.contains("my.toml"), "{message}");
                }
                other => panic!("{text} was accepted: {other:?}"),
            }
        }
        assert!(matches!(Settings::merged("[database]\npool_size = \"many\"\n", "t"), Err(ConfigError::Parse(..))));
    }
}
