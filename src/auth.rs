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
}

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

    /// Units see only their own organisation's projects; everyone else who may read sees all.
    pub fn sees_org(&self, org_id: &str) -> bool {
        self.role != Role::Unit || self.org_id.as_deref() == Some(org_id)
    }
}

pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl_seconds: i64,
}

impl Keys {
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Keys {
        Keys { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), ttl_seconds }
    }

    pub fn issue(&self, user_id: &str, username: &str, role: Role, org_id: Option<String>) -> Result<String, AppError> {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims { sub: user_id.into(), username: username.into(), role, org_id, iat, exp: iat + self.ttl_seconds };
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
        Ok(Caller { user_id: c.sub, username: c.username, role: c.role, org_id: c.org_id })
    }
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
