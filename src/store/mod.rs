//! Storage operations: thin diesel code around the domain. Every change runs in one transaction.
pub mod audit;
pub mod export;
mod hot;
pub mod ledger;
pub mod people;
pub mod projects;
pub mod reports;
pub mod statements;
pub mod writer;

use crate::domain::audit::Actor;

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The actor recorded for changes the service makes by itself (bootstrap).
pub fn system_actor() -> Actor {
    Actor { user_id: "system".into(), username: "system".into(), role: "system".into() }
}
