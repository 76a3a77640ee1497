//! The project archive (档案): entries the unit adds, recorded on the project's chain, never
//! changed (the table's triggers refuse it).
use super::rows::ArchiveEntry;
use super::{audit, new_id, now};
use crate::db::schema::archive_entries;
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::error::AppResult;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

pub struct NewEntry {
    pub kind: String,
    pub date: NaiveDate,
    pub title: String,
    pub text: String,
}

pub fn add(conn: &mut DbConn, actor: &Actor, project_id: &str, e: NewEntry) -> AppResult<ArchiveEntry> {
    super::unit::write(conn, |conn| {
        // The insert first: on SQLite it takes the write lock before anything is read (as reports do).
        let entry = ArchiveEntry {
            id: new_id(),
            project_id: project_id.to_string(),
            kind: e.kind,
            date: e.date.to_string(),
            title: e.title,
            text: e.text,
            added_by: actor.user_id.clone(),
            added_at: now(),
        };
        diesel::insert_into(archive_entries::table).values(&entry).execute(conn)?;
        let data = json!({"entry_id": entry.id, "kind": entry.kind, "date": entry.date, "title": entry.title, "text": entry.text});
        audit::append(conn, project_id, actor, "archive.added", &format!("archive/{}", entry.id), data)?;
        Ok(entry)
    })
}

/// A project's entries by date (then as added), of one kind and one calendar year if given.
pub fn list(conn: &mut DbConn, project_id: &str, kind: Option<&str>, year: Option<i32>) -> AppResult<Vec<ArchiveEntry>> {
    let mut q = archive_entries::table.filter(archive_entries::project_id.eq(project_id)).into_boxed();
    if let Some(k) = kind {
        q = q.filter(archive_entries::kind.eq(k.to_string()));
    }
    if let Some(y) = year {
        // Dates are stored as YYYY-MM-DD, so a year is a range of text.
        q = q.filter(archive_entries::date.between(format!("{y:04}-01-01"), format!("{y:04}-12-31")));
    }
    Ok(q.order((archive_entries::date, archive_entries::id)).load(conn)?)
}
