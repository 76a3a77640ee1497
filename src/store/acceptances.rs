//! Output acceptance records: appended under the project's lock, never changed (the table's
//! triggers refuse it); the highest `seq` of a project is its current record.
use super::rows::AcceptanceRow;
use super::{audit, new_id, now};
use crate::db::schema::{acceptances, projects};
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::error::AppResult;
use diesel::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// A record to keep: `record` is the answer's JSON without the row's own fields, which are
/// added here.
pub struct NewAcceptance {
    pub project_id: String,
    pub date: String,
    pub conclusion: String,
    pub record: Value,
}

/// Appends a record after the project's current one and records it on the project's chain; the
/// caller holds the project's lock, in the transaction that also changes its status.
pub fn append(conn: &mut DbConn, actor: &Actor, new: NewAcceptance) -> AppResult<AcceptanceRow> {
    let previous = current(conn, &new.project_id)?;
    let mut record = new.record;
    let row = AcceptanceRow {
        id: new_id(),
        project_id: new.project_id,
        seq: previous.as_ref().map_or(1, |p| p.seq + 1),
        date: new.date,
        conclusion: new.conclusion,
        supersedes: previous.map(|p| p.id),
        record: String::new(),
        recorded_by: actor.user_id.clone(),
        recorded_at: now(),
    };
    for (key, value) in [
        ("id", Value::from(row.id.as_str())),
        ("project_id", Value::from(row.project_id.as_str())),
        ("seq", Value::from(row.seq)),
        ("supersedes", row.supersedes.clone().map_or(Value::Null, Value::from)),
        ("recorded_by", Value::from(row.recorded_by.as_str())),
        ("recorded_by_name", Value::from(actor.username.as_str())),
        ("recorded_at", Value::from(row.recorded_at.as_str())),
    ] {
        record[key] = value;
    }
    let row = AcceptanceRow { record: record.to_string(), ..row };
    diesel::insert_into(acceptances::table).values(&row).execute(conn)?;
    audit::append(conn, &row.project_id, actor, "acceptance.recorded", &format!("acceptance/{}", row.id), record)?;
    Ok(row)
}

/// A project's records, oldest first.
pub fn history(conn: &mut DbConn, project_id: &str) -> AppResult<Vec<AcceptanceRow>> {
    Ok(acceptances::table.filter(acceptances::project_id.eq(project_id)).order(acceptances::seq).load(conn)?)
}

/// A project's current record: the last one made.
pub fn current(conn: &mut DbConn, project_id: &str) -> AppResult<Option<AcceptanceRow>> {
    Ok(acceptances::table.filter(acceptances::project_id.eq(project_id)).order(acceptances::seq.desc()).first(conn).optional()?)
}

/// Every project's current record with its project's kind (of one kind, if given), by project id.
pub fn current_of_all(conn: &mut DbConn, kind: Option<&str>) -> AppResult<Vec<(AcceptanceRow, String)>> {
    let mut q = acceptances::table.inner_join(projects::table).select((acceptances::all_columns, projects::kind)).into_boxed();
    if let Some(k) = kind {
        q = q.filter(projects::kind.eq(k.to_string()));
    }
    let rows: Vec<(AcceptanceRow, String)> = q.order((acceptances::project_id, acceptances::seq)).load(conn)?;
    // Ordered by seq within a project, so the last row kept per project is its current record.
    let latest: BTreeMap<String, (AcceptanceRow, String)> = rows.into_iter().map(|(r, k)| (r.project_id.clone(), (r, k))).collect();
    Ok(latest.into_values().collect())
}
