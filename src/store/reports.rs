//! Annual reports: filed once per project and year, recorded on the project's chain.
use super::rows::Report;
use super::{audit, new_id, now};
use crate::db::schema::annual_reports;
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::error::{AppError, AppResult, Code};
use diesel::prelude::*;
use serde_json::json;

pub struct NewReport {
    pub year: i32,
    pub summary: String,
    pub next_year_plan: String,
    pub trained_total: i32,
    pub trained_advanced: i32,
}

pub fn file(conn: &mut DbConn, actor: &Actor, project_id: &str, r: NewReport) -> AppResult<Report> {
    super::unit::write(conn, |conn| {
        // The insert comes first: on SQLite it takes the write lock before anything is read, and
        // the chain append serialises this event with the project's other changes.
        let report = Report {
            id: new_id(),
            project_id: project_id.to_string(),
            year: r.year,
            summary: r.summary,
            next_year_plan: r.next_year_plan,
            trained_total: r.trained_total,
            trained_advanced: r.trained_advanced,
            filed_by: actor.user_id.clone(),
            filed_at: now(),
        };
        diesel::insert_into(annual_reports::table).values(&report).execute(conn).map_err(|e| match AppError::from(e) {
            e if e.code == Code::AlreadyExists => {
                AppError::conflict(Code::AlreadyExists, format!("the report for {} was already filed", r.year))
            }
            e => e,
        })?;
        let data = json!({"report_id": report.id, "year": report.year, "trained_total": report.trained_total,
            "trained_advanced": report.trained_advanced, "summary": report.summary, "next_year_plan": report.next_year_plan});
        audit::append(conn, project_id, actor, "report.filed", &format!("report/{}", report.id), data)?;
        Ok(report)
    })
}

pub fn list(conn: &mut DbConn, project_id: &str) -> AppResult<Vec<Report>> {
    Ok(annual_reports::table.filter(annual_reports::project_id.eq(project_id)).order(annual_reports::year).load(conn)?)
}
