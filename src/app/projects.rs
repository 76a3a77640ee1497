//! A project's lifecycle as hr changes it.
use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::domain::status::ProjectStatus;
use crate::error::{AppError, AppResult, Code};
use crate::store::ledger::Locked;
use crate::store::projects;
use crate::store::rows::ProjectRow;

pub struct ChangeStatus {
    to: ProjectStatus,
    reason: String,
}

impl ChangeStatus {
    /// A change to one of the statuses hr sets, with its reason.
    pub fn new(to: ProjectStatus, reason: &str) -> AppResult<ChangeStatus> {
        if !ProjectStatus::SET_BY_HR.contains(&to) {
            return Err(ChangeStatus::not_settable());
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::field("reason", "a status change needs a reason"));
        }
        Ok(ChangeStatus { to, reason: reason.to_string() })
    }

    /// The answer to a status hr cannot set (`closed` comes only from recovery), or to no status.
    pub fn not_settable() -> AppError {
        let names: Vec<&str> = ProjectStatus::SET_BY_HR.iter().map(|s| s.as_str()).collect();
        AppError::field("status", format!("one of {}", names.join(", ")))
    }
}

/// Moves a project to another status, if the domain allows that change; returns the project as
/// it now is.
pub fn change_status(conn: &mut DbConn, l: &mut Locked, actor: &Actor, cmd: ChangeStatus) -> AppResult<ProjectRow> {
    let (from, to) = (l.row.status, cmd.to);
    if !from.may_become(to) {
        return Err(AppError::conflict(Code::InvalidTransition, format!("a {from} project cannot become {to}"))
            .with("from", from.as_str())
            .with("to", to.as_str()));
    }
    projects::set_status(conn, actor, &mut l.row, to, &cmd.reason)?;
    Ok(l.row.clone())
}
