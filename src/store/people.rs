//! Users and organisations.
// Re-exported for the console pages, which name `people::Org`.
pub use super::rows::Org;
use super::rows::User;
use super::{audit, new_id, now};
use crate::auth::{hash_password, Role};
use crate::db::schema::{orgs, users};
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::error::{AppError, AppResult, Code};
use diesel::prelude::*;
use serde_json::json;

pub const ORG_KINDS: [&str; 5] = ["enterprise", "school", "training_institution", "research_institute", "public_institution"];

pub struct NewUser<'a> {
    pub username: &'a str,
    /// The argon2 hash: callers hash before they take a connection (hashing is slow on purpose).
    pub password_hash: &'a str,
    pub role: Role,
    pub org_id: Option<&'a str>,
    pub display_name: Option<&'a str>,
}

pub fn create_user(conn: &mut DbConn, actor: &Actor, u: NewUser) -> AppResult<User> {
    if (u.role == Role::Unit) != u.org_id.is_some() {
        return Err(AppError::field("org_id", "a unit user needs an org_id; other roles have none"));
    }
    let id = new_id();
    super::unit::write(conn, |conn| {
        diesel::insert_into(users::table)
            .values((
                users::id.eq(&id),
                users::username.eq(u.username),
                users::password_hash.eq(u.password_hash),
                users::role.eq(u.role.as_str()),
                users::org_id.eq(u.org_id),
                users::display_name.eq(u.display_name),
                users::active.eq(true),
                users::created_at.eq(now()),
            ))
            .execute(conn)
            .map_err(|e| match AppError::from(e) {
                e if e.code == Code::AlreadyExists => {
                    AppError::conflict(Code::AlreadyExists, format!("username '{}' is taken", u.username))
                }
                // The foreign key is the check, so no read precedes the write in this transaction.
                e if e.code == Code::ValidationFailed => AppError::field("org_id", "no such organisation"),
                e => e,
            })?;
        let data = json!({"username": u.username, "role": u.role.as_str(), "org_id": u.org_id});
        audit::append(conn, audit::GLOBAL, actor, "user.created", &format!("user/{id}"), data)?;
        Ok(())
    })?;
    get_user(conn, &id)
}

pub fn get_user(conn: &mut DbConn, id: &str) -> AppResult<User> {
    find_by_id(conn, id)?.ok_or_else(|| AppError::not_found("user"))
}

pub fn find_by_id(conn: &mut DbConn, id: &str) -> AppResult<Option<User>> {
    Ok(users::table.find(id).first(conn).optional()?)
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> AppResult<Option<User>> {
    Ok(users::table.filter(users::username.eq(username)).first(conn).optional()?)
}

pub fn list_users(conn: &mut DbConn, after: &str, limit: i64) -> AppResult<Vec<User>> {
    Ok(users::table.filter(users::id.gt(after)).order(users::id).limit(limit).load(conn)?)
}

pub struct UserPatch {
    pub active: Option<bool>,
    /// A new password's argon2 hash.
    pub password_hash: Option<String>,
    pub role: Option<Role>,
}

pub fn patch_user(conn: &mut DbConn, actor: &Actor, id: &str, p: UserPatch) -> AppResult<User> {
    super::unit::write(conn, |conn| {
        // The chain append writes first, so on SQLite this transaction holds the write lock before
        // it reads (a read snapshot that later wants to write can fail instead of waiting); on
        // PostgreSQL the global chain row serialises user changes, so the admin count below holds.
        let data = json!({"active": p.active, "role": p.role.map(|r| r.as_str()), "password_changed": p.password_hash.is_some()});
        audit::append(conn, audit::GLOBAL, actor, "user.updated", &format!("user/{id}"), data)?;
        let user = get_user(conn, id)?;
        let stored = Role::parse(&user.role).ok_or_else(|| AppError::internal(format!("user {id} has an unknown stored role")))?;
        let role = p.role.unwrap_or(stored);
        if (role == Role::Unit) != user.org_id.is_some() {
            let why = if role == Role::Unit { "only users bound to an organisation can be units" } else { "a unit user stays a unit" };
            return Err(AppError::field("role", why));
        }
        let active = p.active.unwrap_or(user.active);
        let hash = p.password_hash.as_deref().unwrap_or(&user.password_hash);
        // Here, where the change is made, so every caller of this function (the API, the console,
        // the command line's password reset) ends the user's earlier tokens and sessions.
        let revokes = p.password_hash.is_some() || role != stored || !active;
        diesel::update(users::table.find(id))
            .set((
                users::role.eq(role.as_str()),
                users::active.eq(active),
                users::password_hash.eq(hash),
                users::token_version.eq(user.token_version + i32::from(revokes)),
            ))
            .execute(conn)?;
        let admins: i64 =
            users::table.filter(users::role.eq(Role::Admin.as_str())).filter(users::active.eq(true)).count().get_result(conn)?;
        if admins == 0 {
            return Err(AppError::conflict(Code::LastAdmin, "this is the last active admin: nobody could manage users any more"));
        }
        Ok(())
    })?;
    get_user(conn, id)
}

/// Sets a user's password (its argon2 hash), ending every token and session issued before:
/// what a password reset calls.
pub fn set_password(conn: &mut DbConn, actor: &Actor, id: &str, password_hash: String) -> AppResult<User> {
    patch_user(conn, actor, id, UserPatch { active: None, password_hash: Some(password_hash), role: None })
}

/// Ends every token and console session the user holds (sign-out): they sign in again on every
/// device. Audited on the global chain.
pub fn revoke_tokens(conn: &mut DbConn, actor: &Actor, id: &str) -> AppResult<()> {
    super::unit::write(conn, |conn| {
        audit::append(conn, audit::GLOBAL, actor, "user.signed_out", &format!("user/{id}"), json!({}))?;
        diesel::update(users::table.find(id)).set(users::token_version.eq(users::token_version + 1)).execute(conn)?;
        Ok(())
    })
}

pub fn create_org(conn: &mut DbConn, actor: &Actor, name: &str, kind: &str, region: &str) -> AppResult<Org> {
    let id = new_id();
    super::unit::write(conn, |conn| {
        diesel::insert_into(orgs::table)
            .values((orgs::id.eq(&id), orgs::name.eq(name), orgs::kind.eq(kind), orgs::region.eq(region), orgs::created_at.eq(now())))
            .execute(conn)
            .map_err(|e| match AppError::from(e) {
                e if e.code == Code::AlreadyExists => AppError::conflict(Code::AlreadyExists, format!("organisation '{name}' exists")),
                e => e,
            })?;
        audit::append(
            conn,
            audit::GLOBAL,
            actor,
            "org.created",
            &format!("org/{id}"),
            json!({"name": name, "kind": kind, "region": region}),
        )?;
        Ok(())
    })?;
    get_org(conn, &id)
}

pub fn get_org(conn: &mut DbConn, id: &str) -> AppResult<Org> {
    orgs::table.find(id).first(conn).optional()?.ok_or_else(|| AppError::not_found("organisation"))
}

pub fn list_orgs(conn: &mut DbConn, after: &str, limit: i64) -> AppResult<Vec<Org>> {
    Ok(orgs::table.filter(orgs::id.gt(after)).order(orgs::id).limit(limit).load(conn)?)
}

/// Creates user `admin` on an empty database. Returns the password when it was generated here.
pub fn bootstrap_admin(conn: &mut DbConn, password: Option<&str>) -> AppResult<Option<String>> {
    let count: i64 = users::table.count().get_result(conn)?;
    if count > 0 {
        return Ok(None);
    }
    let generated = password.is_none().then(|| crate::auth::random_secret(12));
    let pw = password.or(generated.as_deref()).unwrap_or_default();
    let hash = hash_password(pw)?;
    let admin = NewUser { username: "admin", password_hash: &hash, role: Role::Admin, org_id: None, display_name: Some("Administrator") };
    match create_user(conn, &super::system_actor(), admin) {
        Ok(_) => Ok(generated),
        // Another process bootstrapped first.
        Err(e) if e.code == Code::AlreadyExists => Ok(None),
        Err(e) => Err(e),
    }
}
