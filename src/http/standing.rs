//! Whether a token's user may still act, and as what. A token proves who signed in; the users
//! table says what they may do now: a deactivated user is refused, a token or session issued
//! under an earlier token version (before a password change, role change, deactivation or
//! sign-out) is refused, and a changed role or organisation applies. All of it within
//! `FRESH_FOR`: at once in the process that made the change (unless one of its lookups was already
//! under way), within `FRESH_FOR` in every other.
use crate::auth::{Caller, Role};
use crate::error::{AppError, AppResult};
use crate::store::people;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a user's standing read from the database is trusted without reading it again: the
/// bound on how late another process sees a revocation (tested in tests/api/security.rs).
pub const FRESH_FOR: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Standing {
    role: Role,
    org_id: Option<String>,
    token_version: i32,
}

/// Standings recently read, by user id (`None`: missing or deactivated).
#[derive(Default)]
pub struct Standings {
    seen: Mutex<HashMap<String, (Instant, Option<Standing>)>>,
}

impl Standings {
    /// The caller as the database has them now (role and organisation), or 401.
    pub async fn confirm(&self, state: &super::State, token: Caller) -> AppResult<Caller> {
        let cached = self.seen.lock().ok().and_then(|m| m.get(&token.user_id).filter(|(at, _)| at.elapsed() < FRESH_FOR).cloned());
        let standing = match cached {
            Some((_, s)) => s,
            None => {
                let id = token.user_id.clone();
                let user = super::db(state, move |conn| people::find_by_id(conn, &id)).await?;
                let s = user
                    .filter(|u| u.active)
                    .and_then(|u| Some(Standing { role: Role::parse(&u.role)?, org_id: u.org_id, token_version: u.token_version }));
                if let Ok(mut m) = self.seen.lock() {
                    m.insert(token.user_id.clone(), (Instant::now(), s.clone()));
                }
                s
            }
        };
        let s = standing.ok_or_else(|| AppError::unauthenticated("this account is deactivated or no longer exists"))?;
        if s.token_version != token.token_version {
            return Err(AppError::unauthenticated("this token was revoked (signed out, or the password or role changed): sign in again"));
        }
        Ok(Caller { role: s.role, org_id: s.org_id, ..token })
    }

    /// Drops what is known of a user, after a change to them in this process.
    pub fn forget(&self, user_id: &str) {
        if let Ok(mut m) = self.seen.lock() {
            m.remove(user_id);
        }
    }
}
