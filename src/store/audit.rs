//! Appending to and reading the audit chains. Appends run inside the caller's transaction, so an
//! event exists exactly when the change it describes was committed.
use crate::db::schema::{audit_chains, audit_events};
use crate::db::{DbConn, DbPool};
use crate::domain::audit::{self, Actor, Event, Part, StoredEvent, Verification, Verifier};
use crate::error::{AppError, AppResult};
use diesel::prelude::*;
use serde_json::Value;

pub const GLOBAL: &str = "global";

pub fn create_chain(conn: &mut DbConn, chain_id: &str) -> AppResult<()> {
    diesel::insert_into(audit_chains::table)
        .values((audit_chains::chain_id.eq(chain_id), audit_chains::seq.eq(0i64), audit_chains::head.eq(audit::GENESIS)))
        .execute(conn)?;
    Ok(())
}

/// Appends one event. The chain row is updated first, which locks it (a PostgreSQL row lock; the
/// SQLite write lock) so concurrent appends to one chain are serialised and `seq` stays contiguous.
pub fn append(conn: &mut DbConn, chain_id: &str, actor: &Actor, action: &str, object: &str, data: Value) -> AppResult<Event> {
    let (seq, head): (i64, String) = super::hot::NextSeq { chain_id }.get_result(conn)?;
    let event = audit::seal(seq, super::now(), actor.clone(), action, object, data, &head);
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::chain_id.eq(chain_id),
            audit_events::seq.eq(event.seq),
            audit_events::at.eq(&event.at),
            audit_events::actor_user_id.eq(&event.actor.user_id),
            audit_events::actor_username.eq(&event.actor.username),
            audit_events::actor_role.eq(&event.actor.role),
            audit_events::action.eq(&event.action),
            audit_events::object.eq(&event.object),
            audit_events::data.eq(&event.data_text),
            audit_events::prev_hash.eq(&event.prev_hash),
            audit_events::hash.eq(&event.hash),
        ))
        .execute(conn)?;
    super::hot::SetHead { chain_id, head: &event.hash }.execute(conn)?;
    Ok(event)
}

/// A stored event, as read back (its chain is known to the reader).
#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_events)]
struct Row {
    seq: i64,
    at: String,
    actor_user_id: String,
    actor_username: String,
    actor_role: String,
    action: String,
    object: String,
    data: String,
    prev_hash: String,
    hash: String,
}

impl Row {
    fn stored(self) -> StoredEvent {
        StoredEvent {
            seq: self.seq,
            at: self.at,
            actor: Actor { user_id: self.actor_user_id, username: self.actor_username, role: self.actor_role },
            action: self.action,
            object: self.object,
            data: self.data,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Bounds on `at`, in the stored form (RFC 3339, UTC, microseconds).
    pub from: Option<String>,
    pub to: Option<String>,
    pub action: Option<String>,
    pub after_seq: i64,
    pub limit: i64,
}

pub fn list(conn: &mut DbConn, chain_id: &str, f: &Filter) -> AppResult<Vec<Event>> {
    let mut q = audit_events::table.filter(audit_events::chain_id.eq(chain_id)).filter(audit_events::seq.gt(f.after_seq)).into_boxed();
    if let Some(from) = &f.from {
        q = q.filter(audit_events::at.ge(from.clone()));
    }
    if let Some(to) = &f.to {
        q = q.filter(audit_events::at.le(to.clone()));
    }
    if let Some(action) = &f.action {
        q = q.filter(audit_events::action.eq(action.clone()));
    }
    let rows: Vec<Row> = q.order(audit_events::seq.asc()).limit(f.limit).select(Row::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|r| r.stored().into_event()).collect())
}

/// Events per page read; memory stays flat however long the chain is.
const PAGE: i64 = 5000;
/// Below this many events a chain is checked by one reader.
const PART_MIN: i64 = 20_000;

/// Recomputes the chain as it stands now: every event up to the length the chain records, which
/// also catches events cut off its end. Long chains are read in parts side by side, each on its
/// own pooled connection (the chain is append-only, so separate snapshots agree on every event up
/// to that length), and the parts are joined in order.
pub fn verify(pool: &DbPool, chain_id: &str) -> AppResult<Verification> {
    let mut first = pool.get()?;
    let (recorded_seq, recorded_head): (i64, String) =
        audit_chains::table.find(chain_id).select((audit_chains::seq, audit_chains::head)).first(&mut first)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let wanted = cores.min(recorded_seq.div_euclid(PART_MIN).max(1) as usize);
    let mut conns = vec![first];
    // Only idle connections: verification must not starve the requests that post.
    while conns.len() < wanted {
        match pool.try_get() {
            Some(c) => conns.push(c),
            None => break,
        }
    }
    let n = conns.len() as i64;
    let bounds = |i: i64| (recorded_seq * i / n + 1, recorded_seq * (i + 1) / n);
    let parts: Vec<AppResult<Part>> = if n == 1 {
        vec![verify_part(&mut conns[0], chain_id, (1, recorded_seq), cores)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> =
                conns.iter_mut().enumerate().map(|(i, conn)| s.spawn(move || verify_part(conn, chain_id, bounds(i as i64), 1))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(AppError::internal("a verification part panicked")))).collect()
        })
    };
    let parts = parts.into_iter().collect::<AppResult<Vec<_>>>()?;
    Ok(audit::join(&parts, recorded_seq, &recorded_head))
}

/// Checks events `first..=last` in pages; the first part links to the genesis hash, later ones
/// are linked to the part before by `join`.
fn verify_part(conn: &mut DbConn, chain_id: &str, (first, last): (i64, i64), threads: usize) -> AppResult<Part> {
    let head = (first == 1).then(|| audit::GENESIS.to_string());
    let mut verifier = Verifier::starting_at(first, head);
    let mut after = first - 1;
    while after < last && !verifier.is_broken() {
        // Rows are decoded straight into a page allocated once: a growing Vec of rows, then a
        // second Vec of events, cost a tenth of the verifier's time in copies.
        let mut rows: Vec<StoredEvent> = Vec::with_capacity(PAGE as usize);
        let page = audit_events::table
            .filter(audit_events::chain_id.eq(chain_id))
            .filter(audit_events::seq.gt(after))
            .filter(audit_events::seq.le(last))
            .order(audit_events::seq.asc())
            .limit(PAGE)
            .select(Row::as_select())
            .load_iter::<Row, diesel::connection::DefaultLoadingMode>(conn)?;
        for row in page {
            rows.push(row?.stored());
        }
        let full = rows.len() as i64 == PAGE;
        let consistent = audit::check_rows(&rows, threads);
        for (row, ok) in rows.into_iter().zip(consistent) {
            after = row.seq;
            verifier.feed_stored(row, ok);
        }
        if !full {
            break;
        }
    }
    Ok(verifier.into_part(first, last))
}
