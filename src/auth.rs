//! Who is calling: HS256 JWTs with a pinned algorithm, roles, and the org a unit is bound to.
use crate::domain::audit::Actor;
use crate::error::AppError;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Hr,
    Finance,
    Inspector,
    Unit,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Hr => "hr",
            Role::Finance => "finance",
            Role::Inspector => "inspector",
            Role::Unit => "unit",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "hr" => Some(Role::Hr),
            "finance" => Some(Role::Finance),
            "inspector" => Some(Role::Inspector),
            "unit" => Some(Role::Unit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub username: String,
    pub role: Role,
    pub org_id: Option<String>,
    /// The user's token version when this token was issued: a later one revokes it. Tokens from
    /// before versions existed read as 0, the version every user started with.
    #[serde(default)]
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub org_id: Option<String>,
    /// The version the token or session was issued under (`users.token_version` then).
    pub token_version: i32,
}

/// Roles that may read a project's books (its vouchers, ledger, statements, export and audit
/// trail). Admin manages users and organisations and handles no money, so it reads no books:
/// the one rule behind every project read (`http::projects::visible` and the lists of projects,
/// statements and reviews).
pub const BOOK_READERS: [Role; 4] = [Role::Hr, Role::Finance, Role::Inspector, Role::Unit];

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor { user_id: self.user_id.clone(), username: self.username.clone(), role: self.role.as_str().to_string() }
    }

    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!("the {} role may not do this", self.role.as_str())))
        }
    }

    /// 403 unless the caller's role reads project books (`BOOK_READERS`).
    pub fn require_books(&self) -> Result<(), AppError> {
        self.require(&BOOK_READERS)
    }

    /// Units see only their own organisation's projects; everyone else who may read sees all.
    pub fn sees_org(&self, org_id: &str) -> bool {
        self.role != Role::Unit || self.org_id.as_deref() == Some(org_id)
    }
}

pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl_seconds: i64,
    /// For the console's own keys: a key derived from the secret, never the secret itself, so a
    /// console session can never pass for an API token or the other way round.
    console_root: [u8; 32],
}

impl Keys {
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Keys {
        let console_root = derive(secret, b"fundledger console v1");
        Keys { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), ttl_seconds, console_root }
    }

    /// A key for one purpose of the console (session signing, CSRF), derived from the secret:
    /// every process started with the same secret derives the same keys.
    pub fn console_key(&self, purpose: &str) -> [u8; 32] {
        derive(&self.console_root, purpose.as_bytes())
    }

    /// A token for `caller`, carrying its token version.
    pub fn issue(&self, caller: &Caller) -> Result<String, AppError> {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: caller.user_id.clone(),
            username: caller.username.clone(),
            role: caller.role,
            org_id: caller.org_id.clone(),
            ver: caller.token_version,
            iat,
            exp: iat + self.ttl_seconds,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(AppError::internal)
    }

    pub fn check(&self, token: &str) -> Result<Caller, AppError> {
        // Only HS256 is accepted: a token claiming `none` or another algorithm is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data =
            decode::<Claims>(token, &self.decoding, &validation).map_err(|e| AppError::unauthenticated(format!("invalid token: {e}")))?;
        let c = data.claims;
        Ok(Caller { user_id: c.sub, username: c.username, role: c.role, org_id: c.org_id, token_version: c.ver })
    }
}

/// Shortest password accepted (create, change, reset).
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Why `password` may not be `username`'s, if it may not: the one password rule, for the API,
/// the console, the bootstrap admin and the command line alike.
pub fn password_problem(username: &str, password: &str) -> Option<String> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Some(format!("{MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"));
    }
    if password.trim().is_empty() {
        return Some("may not be all whitespace".into());
    }
    if password.trim().to_lowercase() == username.trim().to_lowercase() {
        return Some("may not be the username".into());
    }
    None
}

/// Fewest distinct characters a JWT secret must hold: a secret of one repeated character (or
/// nearly) is as good as no secret, however long.
pub const MIN_SECRET_DISTINCT_CHARS: usize = 8;

/// Why a JWT secret is unfit, if it is.
pub fn secret_problem(secret: &str) -> Option<String> {
    if secret.len() < 32 {
        return Some("must be at least 32 characters".into());
    }
    let distinct: std::collections::BTreeSet<char> = secret.chars().collect();
    if distinct.len() < MIN_SECRET_DISTINCT_CHARS {
        return Some(format!(
            "has only {} distinct characters; use at least {MIN_SECRET_DISTINCT_CHARS}, e.g. `openssl rand -hex 32`",
            distinct.len()
        ));
    }
    None
}

/// HMAC-SHA256(key, message).
pub fn derive(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(AppError::internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A fresh random secret (hex), for the dev JWT secret and a generated admin password.
pub fn random_secret(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_rule_counts_characters_and_refuses_blank_and_the_username() {
        assert!(password_problem("fin1", "password-123").is_none());
        assert!(password_problem("fin1", "密码密码密码密码密码").is_none(), "ten Chinese characters are ten characters");
        assert!(password_problem("fin1", "short-pw1").is_some(), "nine characters");
        assert!(password_problem("fin1", "           ").is_some(), "all whitespace");
        assert!(password_problem("finance-one", "Finance-One").is_some(), "the username, in any case");
        assert!(password_problem("fin1", &"x".repeat(257)).is_some());
    }

    #[test]
    fn a_secret_of_one_repeated_character_is_refused() {
        assert!(secret_problem(&"s".repeat(40)).is_some());
        assert!(secret_problem(&"ab".repeat(20)).is_some());
        assert!(secret_problem("short").is_some());
        assert!(secret_problem("test-secret-test-secret-test-secret-0123").is_none());
        assert!(secret_problem(&random_secret(32)).is_none());
    }
}
