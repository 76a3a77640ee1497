//! Storage operations: thin diesel code around the domain. Every change runs in one transaction.
//!
//! The parts, lowest first; each may use only the parts above it (and this module's `now`,
//! `new_id`, `snapshot`). `tests::store_modules_depend_only_downwards` fails on any cycle.
//!
//! - `columns`, `rows`: how text columns parse into domain types, and every row type
//!   (`Queryable`/`Insertable`) with its typed accessors. Use nothing else of the store.
//! - `sql`: the fixed statements a posting runs, kept prepared; their column lists come from the
//!   schema. Uses `rows`.
//! - `audit`: the audit chains: append (inside the caller's transaction), list, verify. Uses
//!   `sql`, `rows`.
//! - `statements`, `vouchers`, `export`: the books read back: account totals, statements and
//!   ledgers as of a date, vouchers with their lines, a project's journal. Use `rows`, `columns`
//!   (`export` also `statements`).
//! - `journal`: where a posting's voucher, lines and audit event are written (the connection,
//!   or a batch's buffer). Uses `audit`, `sql`, `rows`.
//! - `ledger`: a locked project's book: lock, post, hold, decide, reverse, save. Uses `journal`,
//!   `statements`, `vouchers`, `audit`, `sql`, `rows`.
//! - `unit`: the unit of work: `unit::write` is where every write transaction opens, and a money
//!   request's transaction, Idempotency-Key and recorded refusal. Uses `ledger`, `audit`.
//! - `projects`, `people`, `reports`, `acceptances`, `archive`: registration and lifecycle, users
//!   and organisations, annual reports, output acceptances, the project archive. Use `unit`,
//!   `ledger`, `audit`, `statements`, `rows`.
//! - `portfolio`: the all-projects statement's page and totals, ordered and added up in SQL.
//!   Uses `projects`, `sql`, `rows`.
//! - `documents`: original documents and their attachments to vouchers, the bytes behind a
//!   storage trait. Uses `unit`, `audit`.
//! - `flush`, `batch`, `writer`: group commit on top: `writer` gathers requests per shard,
//!   `batch` runs them as one transaction on PostgreSQL, `flush` is the one statement that writes
//!   the batch. Use `unit`, `ledger`, `journal`, `statements`, `sql`, `rows`.
pub mod acceptances;
pub mod append_only;
pub mod archive;
pub mod audit;
pub mod batch;
pub mod classifier;
mod columns;
pub mod documents;
pub mod export;
pub mod flags;
mod flush;
pub mod imports;
pub mod journal;
pub mod ledger;
pub mod people;
pub mod portfolio;
pub mod projects;
pub mod reconcile;
pub mod reports;
pub mod rows;
mod sql;
pub mod statements;
pub mod throttle;
pub mod tree;
pub mod unit;
pub mod vouchers;
pub mod writer;

use crate::db::DbConn;
use crate::domain::audit::Actor;
use crate::error::{AppError, AppResult};
use diesel::RunQueryDsl;

/// Runs several reads as one snapshot, so figures built from more than one query (a project's
/// reservations and its account totals, a journal and its totals) agree with each other while
/// postings go on. PostgreSQL needs REPEATABLE READ for that; SQLite's read transaction is a
/// snapshot already.
pub fn snapshot<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
    use diesel::Connection;
    conn.transaction::<_, AppError, _>(|conn| {
        if let DbConn::Pg(_) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(conn)?;
        }
        f(conn)
    })
}

pub fn now() -> String {
    stamp(chrono::Utc::now())
}

/// An instant as the service stores it: RFC 3339 in UTC with microseconds, so stored instants
/// compare as text in time order.
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The actor recorded for changes the service makes by itself (bootstrap).
pub fn system_actor() -> Actor {
    Actor { user_id: "system".into(), username: "system".into(), role: "system".into() }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// The store modules each file names (`super::x`, `super::{x, y}`, `crate::store::x`), outside
    /// comments and its `#[cfg(test)]` part (a test may set up data through a higher module).
    fn store_graph() -> BTreeMap<String, BTreeSet<String>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
        let files: BTreeMap<String, String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
            .collect();
        let ident = |s: &str| s.trim().split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("").to_string();
        let mut graph = BTreeMap::new();
        for (module, text) in &files {
            let code = text.split("#[cfg(test)]").next().unwrap();
            let mut uses = BTreeSet::new();
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for prefix in ["super::", "crate::store::"] {
                    for (i, _) in line.match_indices(prefix) {
                        let rest = &line[i + prefix.len()..];
                        let named: Vec<String> = match rest.strip_prefix('{') {
                            Some(list) => list.split('}').next().unwrap().split(',').map(ident).collect(),
                            None => vec![ident(rest)],
                        };
                        uses.extend(named.into_iter().filter(|n| n != module && files.contains_key(n) && n != "mod"));
                    }
                }
            }
            graph.insert(module.clone(), uses);
        }
        graph
    }

    /// A cycle of the graph as a path `a -> b -> … -> a`, if there is one (depth-first search).
    fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
        fn visit(
            m: &str,
            graph: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(at) = path.iter().position(|p| p == m) {
                let mut found = path[at..].to_vec();
                found.push(m.to_string());
                return Some(found);
            }
            if !done.insert(m.to_string()) {
                return None;
            }
            path.push(m.to_string());
            for next in graph.get(m).into_iter().flatten() {
                if let Some(found) = visit(next, graph, path, done) {
                    return Some(found);
                }
            }
            path.pop();
            None
        }
        let mut done = BTreeSet::new();
        graph.keys().find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
    }

    #[test]
    fn store_modules_depend_only_downwards() {
        let graph = store_graph();
        assert!(graph["ledger"].contains("journal") && graph["batch"].contains("flush"), "the parser sees `use super::…`");
        assert_eq!(cycle(&graph), None, "store modules in a cycle; graph: {graph:#?}");
    }

    #[test]
    fn a_cycle_is_found() {
        let edges = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")];
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            graph.entry(from.into()).or_default().insert(to.into());
        }
        assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
        graph.get_mut("c").unwrap().clear();
        assert_eq!(cycle(&graph), None);
    }
}
