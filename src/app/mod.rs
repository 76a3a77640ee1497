//! The use cases: one function for each thing a caller does to a project's books — submit,
//! approve, decline or reverse a voucher, disburse, recover, remit, change a project's status.
//! Each takes the locked project (`store::ledger::Locked`) and where it writes (the transaction, or
//! a journal that a posting batch buffers), a typed command, and returns a typed result. The HTTP
//! handlers parse the wire request into the command and render the result; around the use case,
//! `store::unit` locks the project, answers repeated Idempotency-Keys and records refusals. No
//! HTTP here: this layer sits between `http` and `store`.
pub mod acceptance;
pub mod classifier;
pub mod documents;
pub mod funds;
pub mod import_file;
pub mod imports;
pub mod projects;
pub mod vouchers;

use crate::error::{AppError, AppResult, Code};
use crate::store::ledger::Locked;
use chrono::NaiveDate;

/// Money moves only in an active project, on a day of its period.
pub fn must_be_open(l: &Locked, date: NaiveDate) -> AppResult<()> {
    let p = &l.row;
    if !p.status.is_active() {
        return Err(
            AppError::conflict(Code::ProjectNotActive, format!("the project is {}", p.status)).with("project_status", p.status.as_str())
        );
    }
    if date < p.start_date || date > p.end_date {
        return Err(AppError::new(Code::OutOfPeriod, format!("{date} is outside the project period {} to {}", p.start_date, p.end_date))
            .with("start_date", p.start_date.to_string())
            .with("end_date", p.end_date.to_string()));
    }
    Ok(())
}
