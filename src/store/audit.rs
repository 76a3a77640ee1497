//! Appending to and reading the audit chains. Appends run inside the caller's transaction, so an
//! event exists exactly when the change it describes was committed.
use super::rows::EventRow;
use crate::db::schema::{audit_chains, audit_events};
use crate::db::{DbConn, DbPool};
use crate::domain::audit::{self, Actor, Event, Part, StoredFields, Verification, Verifier};
use crate::domain::checkpoint::Kept;
use crate::domain::merkle;
use crate::domain::reconcile::Mismatch;
use crate::error::{AppError, AppResult};
use diesel::backend::Backend;
use diesel::connection::DefaultLoadingMode;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::dsl::sql;
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::result::{UnexpectedEndOfRow, UnexpectedNullError};
use diesel::row::Field;
use diesel::sql_types::{BigInt, Binary};
use diesel::sqlite::{Sqlite, SqliteValue};
use serde_json::Value;

pub const GLOBAL: &str = "global";

pub fn create_chain(conn: &mut DbConn, chain_id: &str) -> AppResult<()> {
    diesel::insert_into(audit_chains::table)
        .values((audit_chains::chain_id.eq(chain_id), audit_chains::seq.eq(0i64), audit_chains::head.eq(audit::GENESIS)))
        .execute(conn)?;
    Ok(())
}

/// Appends one event. Concurrent appends to one chain are serialised, so `seq` stays contiguous:
/// on PostgreSQL the chain row is updated first, which takes its row lock; a SQLite transaction
/// holds the database write lock from its start (`unit::write`), so there the row is only read
/// and `SetHead` writes the seq taken.
pub fn append(conn: &mut DbConn, chain_id: &str, actor: &Actor, action: &str, object: &str, data: Value) -> AppResult<Event> {
    let (seq, head, tree_size, frontier): (i64, String, i64, String) = match conn {
        DbConn::Sqlite(_) => super::sql::ReadNextSeq { chain_id }.get_result(conn)?,
        DbConn::Pg(_) => super::sql::NextSeq { chain_id }.get_result(conn)?,
    };
    let event = audit::seal(seq, super::now(), actor.clone(), action, object, data, &head);
    let mut tree = super::tree::parse(tree_size, &frontier)?;
    if tree_size < seq - 1 {
        tree = super::tree::catch_up(conn, chain_id, tree, seq - 1)?;
    }
    let record = super::tree::record_hashes(&tree.append_canonical(event.canonical.as_bytes()));
    let insert = diesel::insert_into(audit_events::table).values((
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
    ));
    let (tree_size, tree_frontier) = (tree.size() as i64, tree.frontier_hex());
    let set_head = super::sql::SetHead { chain_id, seq: event.seq, head: &event.hash, tree_size, tree_frontier: &tree_frontier };
    super::sql::write_three(conn, insert, super::sql::InsertTreeRecord { chain_id, seq: event.seq, hashes: &record }, set_head)?;
    Ok(event)
}

/// The chain's length and the hash of its last event, as its row records them (the caller holds
/// the chain's project lock, or reads a snapshot).
pub fn head(conn: &mut DbConn, chain_id: &str) -> AppResult<(i64, String)> {
    Ok(audit_chains::table.find(chain_id).select((audit_chains::seq, audit_chains::head)).first(conn)?)
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
    let rows: Vec<EventRow> = q.order(audit_events::seq.asc()).limit(f.limit).select(EventRow::as_select()).load(conn)?;
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
///
/// The chain's Merkle tree is recomputed from the same events (its leaves hashed as they are
/// read) and its root compared with the tree the chain row records and, given one, with the
/// checkpoint the caller kept: a chain rewritten or cut back since is reported.
pub fn verify(pool: &DbPool, chain_id: &str, kept: Option<Kept>) -> AppResult<Verification> {
    let mut first = pool.get()?;
    let ((recorded_seq, recorded_head), (tree_size, frontier)): ((i64, String), (i64, String)) = audit_chains::table
        .find(chain_id)
        .select(((audit_chains::seq, audit_chains::head), (audit_chains::tree_size, audit_chains::tree_frontier)))
        .first(&mut first)?;
    let stored_tree = super::tree::parse(tree_size, &frontier)?;
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
    // A project's books are reconciled beside the walk, on one more idle connection if there is
    // one (its own snapshot, as `reconcile` explains), rather than after it: on a long chain it
    // is the larger part of the work. Its answer counts only if the chain holds.
    let mut beside = if chain_id == GLOBAL { None } else { pool.try_get() };
    let n = conns.len() as i64;
    let bounds = |i: i64| (recorded_seq * i / n + 1, recorded_seq * (i + 1) / n);
    let (parts, reconciled): (Vec<AppResult<PartRead>>, Option<AppResult<Option<Mismatch>>>) = std::thread::scope(|s| {
        let reconciling = beside.as_mut().map(|conn| s.spawn(move || super::reconcile::reconcile(conn, chain_id)));
        let parts = if n == 1 {
            vec![verify_part(&mut conns[0], chain_id, (1, recorded_seq))]
        } else {
            let handles: Vec<_> =
                conns.iter_mut().enumerate().map(|(i, conn)| s.spawn(move || verify_part(conn, chain_id, bounds(i as i64)))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(AppError::internal("a verification part panicked")))).collect()
        };
        let reconciled = reconciling.map(|h| h.join().unwrap_or_else(|_| Err(AppError::internal("reconciliation panicked"))));
        (parts, reconciled)
    });
    let (parts, leaves): (Vec<Part>, Vec<Vec<[u8; 32]>>) = parts.into_iter().collect::<AppResult<Vec<_>>>()?.into_iter().unzip();
    let verification = audit::join(&parts, recorded_seq, &recorded_head);
    if !verification.valid {
        return Ok(verification);
    }
    let mut verification = merkle::judge(verification, leaves.iter().flatten().copied(), &stored_tree, kept.as_ref());
    if verification.valid && chain_id != GLOBAL {
        // A chain that holds is the record the books must agree with.
        let mismatch = match reconciled {
            Some(done) => done?,
            None => super::reconcile::reconcile(&mut conns[0], chain_id)?,
        };
        verification.valid = mismatch.is_none();
        if let Some(m) = &mismatch {
            verification.problem = Some(format!("the {} table differs from the chain's events at {} ({})", m.table, m.key, m.field));
        }
        verification.reconciled = Some(mismatch.is_none());
        verification.mismatch = mismatch;
    }
    Ok(verification)
}

/// A part of the chain checked, and its events' Merkle leaf hashes.
type PartRead = (Part, Vec<[u8; 32]>);

/// Checks events `first..=last` in pages; the first part links to the genesis hash, later ones
/// are linked to the part before by `join`.
fn verify_part(conn: &mut DbConn, chain_id: &str, (first, last): (i64, i64)) -> AppResult<PartRead> {
    let mut leaves = Vec::with_capacity((last - first + 1).clamp(0, 1 << 20) as usize);
    let head = (first == 1).then(|| audit::GENESIS.to_string());
    let mut verifier = Verifier::starting_at(first, head);
    let mut after = first - 1;
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    while after < last && !verifier.is_broken() {
        let query = audit_events::table
            .filter(audit_events::chain_id.eq(chain_id))
            .filter(audit_events::seq.gt(after))
            .filter(audit_events::seq.le(last))
            .order(audit_events::seq.asc())
            .limit(PAGE)
            .select(event_bytes(sqlite));
        // Each row is hashed as it is decoded (see `Checked`), on the backend's own connection:
        // the multi-backend one has no borrowed values.
        let mut rows: Vec<Checked> = Vec::with_capacity(PAGE as usize);
        match conn {
            DbConn::Sqlite(c) => {
                for row in query.load_iter::<Checked, DefaultLoadingMode>(c)? {
                    rows.push(row?);
                }
            }
            DbConn::Pg(c) => {
                for row in query.load_iter::<Checked, DefaultLoadingMode>(c)? {
                    rows.push(row?);
                }
            }
        }
        let full = rows.len() as i64 == PAGE;
        for row in rows {
            after = row.seq;
            leaves.push(row.leaf);
            if row.consistent {
                verifier.feed_consistent(row.seq, &row.prev_hash, row.hash);
            } else {
                // Only a tampered row is read whole, for the full check that names the problem;
                // as bytes, since what it holds may not even be text.
                let whole: OwnedRow = audit_events::table.find((chain_id, row.seq)).select(event_bytes(sqlite)).first(conn)?;
                verifier.feed_whole(&owned_fields(&whole));
            }
            if verifier.is_broken() {
                break;
            }
        }
        if !full {
            break;
        }
    }
    Ok((verifier.into_part(first, last), leaves))
}

type Bytes = diesel::expression::SqlLiteral<Binary>;

/// An event's columns as bytes. On SQLite each is CAST to a blob, which SQLite hands over as it
/// holds it (see `StoredBytes`); on PostgreSQL a text column's binary form is its bytes.
fn event_bytes(sqlite: bool) -> (audit_events::seq, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes, Bytes) {
    let column = |name: &str| sql::<Binary>(&if sqlite { format!("CAST({name} AS BLOB)") } else { name.to_string() });
    (
        audit_events::seq,
        column("at"),
        column("actor_user_id"),
        column("actor_username"),
        column("actor_role"),
        column("action"),
        column("object"),
        column("data"),
        column("prev_hash"),
        column("hash"),
    )
}

/// A whole stored event, read as bytes.
type OwnedRow = (i64, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

fn owned_fields(r: &OwnedRow) -> StoredFields<'_> {
    StoredFields::from_columns(r.0, [&r.1, &r.2, &r.3, &r.4, &r.5, &r.6, &r.7, &r.8, &r.9])
}

/// An event as verification reads it: its fields are hashed while the driver still holds them
/// (text read as bytes skips a UTF-8 check the hash does not need), and only the seq and the two
/// hashes are copied out. Copying every field into its own String was most of the cost of
/// verifying a long chain.
struct Checked {
    seq: i64,
    consistent: bool,
    /// The event's Merkle leaf hash.
    leaf: [u8; 32],
    prev_hash: String,
    hash: String,
}

type EventSql = (BigInt, Binary, Binary, Binary, Binary, Binary, Binary, Binary, Binary, Binary);

impl Checked {
    /// Hashes one row's fields, borrowed from the row the driver holds: the borrow checker, not a
    /// promise about diesel's internals, keeps them alive while they are read.
    fn from_row<'a, DB, R>(row: &R) -> deserialize::Result<Checked>
    where
        DB: Backend,
        R: diesel::row::Row<'a, DB>,
        i64: FromSql<BigInt, DB>,
        for<'v> DB::RawValue<'v>: StoredBytes,
    {
        let field = |i: usize| row.get(i).ok_or(UnexpectedEndOfRow);
        let seq = i64::from_nullable_sql(field(0)?.value())?;
        let fields = all(std::array::from_fn(|i| row.get(i + 1))).ok_or(UnexpectedEndOfRow)?;
        let mut values = all(fields.each_ref().map(|f| f.value())).ok_or(UnexpectedNullError)?;
        let f = StoredFields::from_columns(seq, values.each_mut().map(|v| v.stored_bytes()));
        let owned = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let (consistent, leaf) = f.checked();
        Ok(Checked { seq, consistent, leaf, prev_hash: owned(f.prev_hash), hash: owned(f.hash) })
    }
}

impl FromSqlRow<EventSql, Sqlite> for Checked {
    fn build_from_row<'a>(row: &impl diesel::row::Row<'a, Sqlite>) -> deserialize::Result<Checked> {
        Checked::from_row(row)
    }
}

impl FromSqlRow<EventSql, Pg> for Checked {
    fn build_from_row<'a>(row: &impl diesel::row::Row<'a, Pg>) -> deserialize::Result<Checked> {
        Checked::from_row(row)
    }
}

/// A column's value as the bytes the database holds, borrowed from the value.
trait StoredBytes {
    fn stored_bytes(&mut self) -> &[u8];
}

impl StoredBytes for SqliteValue<'_, '_, '_> {
    /// A blob as SQLite holds it. Text read this way is first copied by diesel (SQLite would
    /// convert the shared value in place), one copy per column per row, which is why
    /// `event_bytes` CASTs every column to a blob: for speed, not for soundness.
    fn stored_bytes(&mut self) -> &[u8] {
        self.read_blob()
    }
}

impl StoredBytes for PgValue<'_> {
    /// A text column's binary form is its UTF-8 bytes, in the result buffer.
    fn stored_bytes(&mut self) -> &[u8] {
        self.as_bytes()
    }
}

/// Every item, or None if one is missing; an array, so reading a row allocates nothing.
fn all<T, const N: usize>(items: [Option<T>; N]) -> Option<[T; N]> {
    if items.iter().any(Option::is_none) {
        return None;
    }
    Some(items.map(|item| item.expect("none is missing")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verification reads SQLite's blobs as they are stored, not a converted copy, only if every
    /// text column is read CAST to a blob.
    #[test]
    fn sqlite_reads_every_text_column_as_a_blob() {
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&audit_events::table.select(event_bytes(true))).to_string();
        assert_eq!(sql.matches("CAST(").count(), 9, "{sql}");
    }

    /// Intact rows pass on the fast path, hashed from the bytes SQLite holds; a field that is not
    /// text is read without error and sent on to the full check, which names it.
    #[test]
    fn rows_are_hashed_as_sqlite_holds_them() {
        let dir = tempfile::tempdir().unwrap();
        let target = crate::db::Target::Sqlite(dir.path().join("audit.db").display().to_string());
        let pool = crate::db::connect(&target, 2, 1000).unwrap();
        let mut conn = pool.get().unwrap();
        create_chain(&mut conn, "c").unwrap();
        let actor = Actor { user_id: "u1".into(), username: "赵会计".into(), role: "unit".into() };
        let hashes: Vec<String> = (0..3)
            .map(|i| append(&mut conn, "c", &actor, "voucher.posted", "voucher/x", serde_json::json!({"n": i})).unwrap().hash)
            .collect();
        let DbConn::Sqlite(c) = &mut *conn else { unreachable!("a SQLite target") };
        diesel::sql_query("DROP TRIGGER audit_events_no_update").execute(c).unwrap();
        diesel::sql_query("UPDATE audit_events SET data = X'00FFFE7B' WHERE seq = 2").execute(c).unwrap();
        let rows: Vec<Checked> = audit_events::table.order(audit_events::seq).select(event_bytes(true)).load(c).unwrap();
        let read: Vec<_> = rows.iter().map(|r| (r.seq, r.consistent, r.prev_hash.as_str(), r.hash.as_str())).collect();
        let expected =
            [(1, true, audit::GENESIS, hashes[0].as_str()), (2, false, &hashes[0], &hashes[1]), (3, true, &hashes[1], &hashes[2])];
        assert_eq!(read, expected);
        drop(conn);
        let v = verify(&pool, "c", None).unwrap();
        assert_eq!((v.broken_seq, v.problem.as_deref()), (Some(2), Some("a stored field is not UTF-8 text")));
    }
}
