//! Console sessions without server state: the cookie holds a token signed with a key derived from
//! the service's JWT secret (so every process on one database accepts it), carrying the sign-in
//! time (absolute expiry) and the last refresh (idle expiry). The CSRF token is an HMAC of the
//! session's random id. The user's standing is checked on every request, as for API tokens, so
//! deactivating a user ends their sessions at once; the session carries the user's token version
//! too, so a sign-out (here or through the API) or a password or role change ends it.
use crate::auth::{Caller, Keys, Role};
use crate::config::Console;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const COOKIE: &str = "fl_session";

/// A session is re-signed (its idle clock restarted) at most this often.
const REFRESH_AFTER_S: i64 = 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    sub: String,
    username: String,
    role: Role,
    org_id: Option<String>,
    /// The user's token version at sign-in (`users.token_version`).
    ver: i32,
    /// Random: names the session, and its CSRF token is derived from it.
    sid: String,
    /// When the user signed in: the absolute limit counts from here.
    auth_at: i64,
    /// When this token was signed: the idle limit counts from here.
    iat: i64,
    exp: i64,
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub caller: Caller,
    sid: String,
    claims: Claims,
}

fn signing_keys(keys: &Keys) -> (EncodingKey, DecodingKey) {
    let k = keys.console_key("session");
    (EncodingKey::from_secret(&k), DecodingKey::from_secret(&k))
}

fn sign(keys: &Keys, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
    encode(&Header::new(Algorithm::HS256), claims, &signing_keys(keys).0)
}

fn expiry(c: &Console, auth_at: i64, now: i64) -> i64 {
    (now + c.idle_minutes * 60).min(auth_at + c.absolute_hours * 3600)
}

/// A new session's token for a user who has just proved their password.
pub fn start(keys: &Keys, c: &Console, caller: &Caller, now: i64) -> Result<String, jsonwebtoken::errors::Error> {
    let claims = Claims {
        sub: caller.user_id.clone(),
        username: caller.username.clone(),
        role: caller.role,
        org_id: caller.org_id.clone(),
        ver: caller.token_version,
        sid: crate::auth::random_secret(16),
        auth_at: now,
        iat: now,
        exp: expiry(c, now, now),
    };
    sign(keys, &claims)
}

/// The session a cookie names, if its signature holds and it has not expired (idle or absolute).
/// The caller's role and organisation are as signed; confirm them against the users table.
pub fn check(keys: &Keys, c: &Console, token: &str, now: i64) -> Option<Session> {
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = 0;
    v.validate_exp = false; // checked below against `now`, so tests can move the clock
    v.set_required_spec_claims(&["exp", "sub"]);
    let claims = decode::<Claims>(token, &signing_keys(keys).1, &v).ok()?.claims;
    if now >= claims.exp || now >= claims.auth_at + c.absolute_hours * 3600 || now >= claims.iat + c.idle_minutes * 60 {
        return None;
    }
    let caller = Caller {
        user_id: claims.sub.clone(),
        username: claims.username.clone(),
        role: claims.role,
        org_id: claims.org_id.clone(),
        token_version: claims.ver,
    };
    Some(Session { caller, sid: claims.sid.clone(), claims })
}

impl Session {
    /// The same session, acting with the role and organisation the users table gives now.
    pub fn acting_as(self, caller: Caller) -> Session {
        Session { caller, ..self }
    }

    /// A re-signed token when the idle clock should restart; None while the token is fresh.
    pub fn refreshed(&self, keys: &Keys, c: &Console, now: i64) -> Option<String> {
        if now - self.claims.iat < REFRESH_AFTER_S {
            return None;
        }
        let claims = Claims { iat: now, exp: expiry(c, self.claims.auth_at, now), ..self.claims.clone() };
        sign(keys, &claims).ok()
    }

    /// The token a form or script must send back with every state-changing request.
    pub fn csrf(&self, keys: &Keys) -> String {
        hex::encode(crate::auth::derive(&keys.console_key("csrf"), self.sid.as_bytes()))
    }

    /// Whether `given` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, keys: &Keys, given: &str) -> bool {
        let want = self.csrf(keys);
        want.len() == given.len() && want.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// Seconds until the cookie should be dropped by the browser.
    pub fn max_age_s(&self, now: i64) -> i64 {
        (self.claims.exp - now).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Keys, Console, Caller) {
        let keys = Keys::new(b"test-secret-test-secret-test-secret-0123", 3600);
        let c = Console { https: false, idle_minutes: 30, absolute_hours: 12 };
        let caller = Caller { user_id: "u1".into(), username: "fin".into(), role: Role::Finance, org_id: None, token_version: 0 };
        (keys, c, caller)
    }

    #[test]
    fn a_session_expires_when_idle_and_at_its_absolute_limit() {
        let (keys, c, caller) = setup();
        let t0 = 1_700_000_000;
        let token = start(&keys, &c, &caller, t0).unwrap();
        let s = check(&keys, &c, &token, t0 + 29 * 60).expect("still fresh after 29 minutes");
        assert_eq!(s.caller.username, "fin");
        assert!(check(&keys, &c, &token, t0 + 30 * 60).is_none(), "idle for 30 minutes");
        // Kept busy, it is refreshed, but never past the absolute limit.
        let mut token = token;
        let mut now = t0;
        while now < t0 + 12 * 3600 - 20 * 60 {
            now += 20 * 60;
            let s = check(&keys, &c, &token, now).expect("refreshed sessions stay valid");
            token = s.refreshed(&keys, &c, now).expect("older than a minute: re-signed");
        }
        assert!(check(&keys, &c, &token, t0 + 12 * 3600).is_none(), "12 hours after sign-in");
    }

    #[test]
    fn a_session_token_is_not_an_api_token_nor_the_other_way_round() {
        let (keys, c, caller) = setup();
        let now = chrono::Utc::now().timestamp();
        let session = start(&keys, &c, &caller, now).unwrap();
        assert!(keys.check(&session).is_err(), "a session cookie is no Bearer token");
        let api = keys.issue(&caller).unwrap();
        assert!(check(&keys, &c, &api, now).is_none(), "a Bearer token is no session");
        let other = Keys::new(b"another-secret-another-secret-0123456", 3600);
        assert!(check(&other, &c, &session, now).is_none(), "signed with another secret");
    }

    #[test]
    fn the_csrf_token_belongs_to_one_session() {
        let (keys, c, caller) = setup();
        let now = 1_700_000_000;
        let a = check(&keys, &c, &start(&keys, &c, &caller, now).unwrap(), now).unwrap();
        let b = check(&keys, &c, &start(&keys, &c, &caller, now).unwrap(), now).unwrap();
        assert!(a.csrf_matches(&keys, &a.csrf(&keys)));
        assert!(!a.csrf_matches(&keys, &b.csrf(&keys)));
        assert!(!a.csrf_matches(&keys, ""));
        // Refreshing keeps the session, and so its token.
        let refreshed = check(&keys, &c, &a.refreshed(&keys, &c, now + 120).unwrap(), now + 120).unwrap();
        assert_eq!(refreshed.csrf(&keys), a.csrf(&keys));
    }
}
