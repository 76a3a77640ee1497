//! Users and organisations.
use super::{audit, new_id, now};
use crate::auth::{hash_password, Role};
use crate::db::schema::{orgs, users};
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::error::{AppError, AppResult};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

pub const ORG_KINDS: [&str; 5] = ["enterprise", "school", "training_institution", "research_institute", "public_institution"];

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct User {
    pub id: String,
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub org_id: Option<String>,
    pub display_name: Option<String>,
    pub active: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub region: String,
    pub created_at: String,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub role: Role,
    pub org_id: Option<&'a str>,
    pub display_name: Option<&'a str>,
}

pub fn create_user(conn: &mut DbConn, actor: &Actor, u: NewUser) -> AppResult<User> {
    if (u.role == Role::Unit) != u.org_id.is_some() {
        return Err(AppError::field("org_id", "a unit user needs an org_id; other roles have none"));
    }
    let hash = hash_password(u.password)?;
    let id = new_id();
    conn.transaction::<_, AppError, _>(|conn| {
        diesel::insert_into(users::table)
            .values((
                users::id.eq(&id),
                users::username.eq(u.username),
                users::password_hash.eq(&hash),
                users::role.eq(u.role.as_str()),
                users::org_id.eq(u.org_id),
                users::display_name.eq(u.display_name),
                users::active.eq(true),
                users::created_at.eq(now()),
            ))
            .execute(conn)
            .map_err(|e| match AppError::from(e) {
                e if e.code == "already_exists" => AppError::conflict("already_exists", format!("username '{}' is taken", u.username)),
                // The foreign key is the check, so no read precedes the write in this transaction.
                e if e.code == "validation_failed" => AppError::field("org_id", "no such organisation"),
                e => e,
            })?;
        let data = json!({"username": u.username, "role": u.role.as_str(), "org_id": u.org_id});
        audit::append(conn, audit::GLOBAL, actor, "user.created", &format!("user/{id}"), data)?;
        Ok(())
    })?;
    get_user(conn, &id)
}

pub fn get_user(conn: &mut DbConn, id: &str) -> AppResult<User> {
    users::table.find(id).first(conn).optional()?.ok_or_else(|| AppError::not_found("user"))
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> AppResult<Option<User>> {
    Ok(users::table.filter(users::username.eq(username)).first(conn).optional()?)
}

pub fn list_users(conn: &mut DbConn, after: &str, limit: i64) -> AppResult<Vec<User>> {
    Ok(users::table.filter(users::id.gt(after)).order(users::id).limit(limit).load(conn)?)
}

pub struct UserPatch {
    pub active: Option<bool>,
    pub password: Option<String>,
    pub role: Option<Role>,
}

pub fn patch_user(conn: &mut DbConn, actor: &Actor, id: &str, p: UserPatch) -> AppResult<User> {
    let hash = p.password.as_deref().map(hash_password).transpose()?;
    conn.transaction::<_, AppError, _>(|conn| {
        // The chain append writes first, so on SQLite this transaction holds the write lock before
        // it reads (a read snapshot that later wants to write can fail instead of waiting).
        let data = json!({"active": p.active, "role": p.role.map(|r| r.as_str()), "password_changed": hash.is_some()});
        audit::append(conn, audit::GLOBAL, actor, "user.updated", &format!("user/{id}"), data)?;
        let user = get_user(conn, id)?;
        if let Some(role) = p.role {
            if (role == Role::Unit) != user.org_id.is_some() {
                return Err(AppError::field("role", "only users bound to an organisation can be units"));
            }
            diesel::update(users::table.find(id)).set(users::role.eq(role.as_str())).execute(conn)?;
        }
        if let Some(active) = p.active {
            diesel::update(users::table.find(id)).set(users::active.eq(active)).execute(conn)?;
        }
        if let Some(hash) = &hash {
            diesel::update(users::table.find(id)).set(users::password_hash.eq(hash)).execute(conn)?;
        }
        Ok(())
    })?;
    get_user(conn, id)
}

pub fn create_org(conn: &mut DbConn, actor: &Actor, name: &str, kind: &str, region: &str) -> AppResult<Org> {
    let id = new_id();
    conn.transaction::<_, AppError, _>(|conn| {
        diesel::insert_into(orgs::table)
            .values((orgs::id.eq(&id), orgs::name.eq(name), orgs::kind.eq(kind), orgs::region.eq(region), orgs::created_at.eq(now())))
            .execute(conn)
            .map_err(|e| match AppError::from(e) {
                e if e.code == "already_exists" => AppError::conflict("already_exists", format!("organisation '{name}' exists")),
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
    let admin = NewUser { username: "admin", password: pw, role: Role::Admin, org_id: None, display_name: Some("Administrator") };
    match create_user(conn, &super::system_actor(), admin) {
        Ok(_) => Ok(generated),
        // Another process bootstrapped first.
        Err(e) if e.code == "already_exists" => Ok(None),
        Err(e) => Err(e),
    }
}
