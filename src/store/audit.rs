//! Appending to and reading the audit chains. Appends run inside the caller's transaction, so an
//! event exists exactly when the change it describes was committed.
use crate::db::schema::{audit_chains, audit_events};
use crate::db::DbConn;
use crate::domain::audit::{self, Actor, Event, Verification, Verifier};
use crate::error::AppResult;
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
    let (seq, head): (i64, String) = diesel::update(audit_chains::table.find(chain_id))
        .set(audit_chains::seq.eq(audit_chains::seq + 1))
        .returning((audit_chains::seq, audit_chains::head))
        .get_result(conn)?;
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
            audit_events::data.eq(event.data.to_string()),
            audit_events::prev_hash.eq(&event.prev_hash),
            audit_events::hash.eq(&event.hash),
            audit_events::canonical.eq(&event.canonical),
        ))
        .execute(conn)?;
    diesel::update(audit_chains::table.find(chain_id)).set(audit_chains::head.eq(&event.hash)).execute(conn)?;
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
    canonical: String,
}

fn to_event(r: Row) -> Event {
    // A row whose data is not JSON was tampered with; keep the raw text so verify reports it.
    let data = serde_json::from_str(&r.data).unwrap_or(Value::String(r.data));
    Event {
        seq: r.seq,
        at: r.at,
        actor: Actor { user_id: r.actor_user_id, username: r.actor_username, role: r.actor_role },
        action: r.action,
        object: r.object,
        data,
        prev_hash: r.prev_hash,
        hash: r.hash,
        canonical: r.canonical,
    }
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
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
        // A bare date means the whole day.
        let to = if to.len() == 10 { format!("{to}T23:59:59.999999Z") } else { to.clone() };
        q = q.filter(audit_events::at.le(to));
    }
    if let Some(action) = &f.action {
        q = q.filter(audit_events::action.eq(action.clone()));
    }
    let rows: Vec<Row> = q.order(audit_events::seq.asc()).limit(f.limit).select(Row::as_select()).load(conn)?;
    Ok(rows.into_iter().map(to_event).collect())
}

/// Recomputes the whole chain in pages, so memory stays flat however long the chain is.
pub fn verify(conn: &mut DbConn, chain_id: &str) -> AppResult<Verification> {
    const PAGE: i64 = 5000;
    let mut verifier = Verifier::default();
    let mut after = 0;
    loop {
        let rows: Vec<Row> = audit_events::table
            .filter(audit_events::chain_id.eq(chain_id))
            .filter(audit_events::seq.gt(after))
            .order(audit_events::seq.asc())
            .limit(PAGE)
            .select(Row::as_select())
            .load(conn)?;
        let n = rows.len() as i64;
        for row in rows {
            let e = to_event(row);
            after = e.seq;
            verifier.feed(&e);
        }
        if n < PAGE {
            break;
        }
    }
    let mut v = verifier.finish();
    // Events cut off the end of the chain are caught by comparing with the chain's recorded head.
    if v.valid {
        let (seq, head): (i64, String) = audit_chains::table.find(chain_id).select((audit_chains::seq, audit_chains::head)).first(conn)?;
        if seq != v.events || head != v.head {
            v.valid = false;
            v.broken_seq = Some(v.events + 1);
            v.problem = Some(format!("the chain records {seq} events, {} found", v.events));
        }
    }
    Ok(v)
}
