//! Sign-in throttling: failed sign-ins per username and per client address, and the locks they
//! set, kept in the database so that every process on one database counts the same failures.
//!
//! Recording a failure appends to the global audit chain first: that takes the chain's row lock
//! (PostgreSQL) or the write lock (SQLite) before anything is counted, so two processes recording
//! the fifth failure at once are serialised — the second counts the first's row, and exactly one
//! of them sets the lock.
use super::{audit, new_id, stamp};
use crate::db::schema::{login_failures, login_locks};
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::error::AppResult;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::json;

/// Failures for one username within `USERNAME_WINDOW` that lock it for as long.
pub const USERNAME_FAILURES: i64 = 5;
pub const USERNAME_WINDOW: Duration = Duration::minutes(15);
/// Failures from one address within `ADDRESS_WINDOW` that lock it for as long.
pub const ADDRESS_FAILURES: i64 = 30;
pub const ADDRESS_WINDOW: Duration = Duration::minutes(1);

/// What is recorded of a name sent to the sign-in (usernames have at most 64 characters; a
/// longer one is nobody's, and the chain keeps no more of it than of a real one).
pub fn recorded_name(username: &str) -> String {
    username.chars().take(64).collect()
}

fn username_subject(username: &str) -> String {
    format!("username:{}", recorded_name(username))
}

fn address_subject(address: &str) -> String {
    format!("address:{address}")
}

/// Seconds until a sign-in as `username` from `address` may be tried again; None when neither is
/// locked.
pub fn locked_for(conn: &mut DbConn, username: &str, address: &str, now: DateTime<Utc>) -> AppResult<Option<i64>> {
    let subjects = [username_subject(username), address_subject(address)];
    let until: Option<String> = login_locks::table
        .filter(login_locks::subject.eq_any(&subjects))
        .filter(login_locks::locked_until.gt(stamp(now)))
        .select(diesel::dsl::max(login_locks::locked_until))
        .first(conn)?;
    Ok(until.map(|u| seconds_until(&u, now)))
}

/// Whole seconds from `now` to a stored instant, at least 1 (what `Retry-After` says).
fn seconds_until(stored: &str, now: DateTime<Utc>) -> i64 {
    let until = DateTime::parse_from_rfc3339(stored).map(|t| t.with_timezone(&Utc)).unwrap_or(now);
    let micros = (until - now).num_microseconds().unwrap_or(0);
    (micros + 999_999).div_euclid(1_000_000).max(1)
}

/// Records a failed sign-in on the global chain and in the failure counts, and locks the username
/// or the address when this failure reaches a limit (that lock is an event too).
pub fn record_failure(conn: &mut DbConn, username: &str, address: &str, now: DateTime<Utc>) -> AppResult<()> {
    let name = recorded_name(username);
    let actor = Actor { user_id: "anonymous".into(), username: name.clone(), role: "anonymous".into() };
    super::unit::write(conn, |conn| {
        // First: this write serialises failure recording across processes (see the module note).
        let data = json!({"username": name, "address": address});
        audit::append(conn, audit::GLOBAL, &actor, "auth.login_failed", &format!("login/{name}"), data)?;
        // Nothing older than the longest window can count again.
        diesel::delete(login_failures::table.filter(login_failures::at.lt(stamp(now - USERNAME_WINDOW)))).execute(conn)?;
        diesel::delete(login_locks::table.filter(login_locks::locked_until.le(stamp(now)))).execute(conn)?;
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::id.eq(new_id()),
                login_failures::username.eq(&name),
                login_failures::address.eq(address),
                login_failures::at.eq(stamp(now)),
            ))
            .execute(conn)?;
        let by_name: i64 = login_failures::table
            .filter(login_failures::username.eq(&name))
            .filter(login_failures::at.gt(stamp(now - USERNAME_WINDOW)))
            .count()
            .get_result(conn)?;
        if by_name >= USERNAME_FAILURES {
            lock(conn, &actor, &username_subject(&name), now + USERNAME_WINDOW, json!({"username": name, "failures": by_name}))?;
        }
        let by_address: i64 = login_failures::table
            .filter(login_failures::address.eq(address))
            .filter(login_failures::at.gt(stamp(now - ADDRESS_WINDOW)))
            .count()
            .get_result(conn)?;
        if by_address >= ADDRESS_FAILURES {
            lock(conn, &actor, &address_subject(address), now + ADDRESS_WINDOW, json!({"address": address, "failures": by_address}))?;
        }
        Ok(())
    })
}

/// Locks `subject` until `until` unless it is locked already (a failure that raced the lock's
/// check still counts, but does not lock twice).
fn lock(conn: &mut DbConn, actor: &Actor, subject: &str, until: DateTime<Utc>, mut data: serde_json::Value) -> AppResult<()> {
    let held: i64 = login_locks::table.filter(login_locks::subject.eq(subject)).count().get_result(conn)?;
    if held > 0 {
        return Ok(());
    }
    let until = stamp(until);
    diesel::insert_into(login_locks::table)
        .values((login_locks::subject.eq(subject), login_locks::locked_until.eq(&until)))
        .execute(conn)?;
    data["locked_until"] = until.into();
    audit::append(conn, audit::GLOBAL, actor, "auth.locked", &format!("login/{subject}"), data)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let now = Utc::now();
        assert_eq!(seconds_until(&stamp(now + Duration::milliseconds(1500)), now), 2);
        assert_eq!(seconds_until(&stamp(now + Duration::minutes(15)), now), 900);
        assert_eq!(seconds_until(&stamp(now), now), 1, "never 0: the lock is still there");
    }
}
