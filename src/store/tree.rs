//! Each audit chain's Merkle tree as stored: its size and frontier on the chain row, and in
//! `audit_tree` one row per event (record) holding the hashes its append stored (see
//! `domain::merkle`), 32 bytes each: the leaf's, then each subtree it completed. One row per
//! event rather than one per hash (about two) keeps an append to a single insert of a fixed
//! shape. Appends extend the tree in the same transaction as the event (`audit::append`, the
//! posting batch's flush); chains written before the tree existed, or whose trees a migration
//! reset, are caught up from their events, at start and whenever an append finds its tree behind.
use crate::db::schema::{audit_chains, audit_events, audit_tree};
use crate::db::DbConn;
use crate::domain::merkle::{self, Stored, Tree, TreeHash};
use crate::error::{AppError, AppResult};
use diesel::prelude::*;

/// Events read per page while catching up, and records written per INSERT.
const PAGE: i64 = 2000;

/// The tree of a chain as its row records it (the caller holds the chain's lock, or reads a
/// snapshot).
pub fn of(conn: &mut DbConn, chain_id: &str) -> AppResult<Tree> {
    let (size, frontier): (i64, String) =
        audit_chains::table.find(chain_id).select((audit_chains::tree_size, audit_chains::tree_frontier)).first(conn)?;
    parse(size, &frontier)
}

pub fn parse(size: i64, frontier: &str) -> AppResult<Tree> {
    let size = u64::try_from(size).map_err(|_| AppError::internal(format!("a negative tree size: {size}")))?;
    Tree::from_stored(size, frontier).map_err(AppError::internal)
}

/// The chain's tree grown to cover events `..=upto_seq`, reading the events it lacks and storing
/// their hashes; the caller holds the chain's lock and records the returned tree on the row.
pub fn catch_up(conn: &mut DbConn, chain_id: &str, mut tree: Tree, upto_seq: i64) -> AppResult<Tree> {
    while (tree.size() as i64) < upto_seq {
        let after = tree.size() as i64;
        let rows: Vec<super::rows::EventRow> = audit_events::table
            .filter(audit_events::chain_id.eq(chain_id))
            .filter(audit_events::seq.gt(after))
            .filter(audit_events::seq.le(upto_seq))
            .order(audit_events::seq.asc())
            .limit(PAGE)
            .select(super::rows::EventRow::as_select())
            .load(conn)?;
        if rows.is_empty() {
            return Err(AppError::internal(format!("chain {chain_id} has no event {} though its row counts {upto_seq}", after + 1)));
        }
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let event = row.stored();
            if event.seq != tree.size() as i64 + 1 {
                return Err(AppError::internal(format!("chain {chain_id} lacks event {}", tree.size() + 1)));
            }
            let seq = event.seq;
            records.push((seq, record_hashes(&tree.append_canonical(event.into_event().canonical.as_bytes()))));
        }
        insert(conn, chain_id, &records)?;
    }
    Ok(tree)
}

/// The hashes one append stored, as the record's row holds them: 32 bytes each, in order.
pub fn record_hashes(stored: &[Stored]) -> Vec<u8> {
    stored.iter().flat_map(|(_, h)| h.0).collect()
}

/// Keeps records' hashes, `(seq, record)`, a page per INSERT.
pub fn insert(conn: &mut DbConn, chain_id: &str, records: &[(i64, Vec<u8>)]) -> AppResult<()> {
    for page in records.chunks(PAGE as usize) {
        super::sql::write_one(conn, super::sql::InsertTreeRecords { chain_id, rows: page })?;
    }
    Ok(())
}

/// Records a chain's tree on its row.
pub fn record(conn: &mut DbConn, chain_id: &str, tree: &Tree) -> AppResult<()> {
    diesel::update(audit_chains::table.find(chain_id))
        .set((audit_chains::tree_size.eq(tree.size() as i64), audit_chains::tree_frontier.eq(tree.frontier_hex())))
        .execute(conn)?;
    Ok(())
}

/// Stored hashes by index, in the order asked, from the rows of the records that stored them
/// (one query); an index not stored is an error (a proof for a tree larger than the chain's, or
/// storage that lost rows).
pub fn hashes(conn: &mut DbConn, chain_id: &str, indexes: &[u64]) -> Result<Vec<TreeHash>, String> {
    let wanted: Vec<(i64, usize)> = indexes.iter().map(|i| merkle::held_by(*i)).map(|(n, level)| (n as i64 + 1, level)).collect();
    let mut seqs: Vec<i64> = wanted.iter().map(|w| w.0).collect();
    seqs.sort_unstable();
    seqs.dedup();
    let found: Vec<(i64, Vec<u8>)> = audit_tree::table
        .filter(audit_tree::chain_id.eq(chain_id))
        .filter(audit_tree::seq.eq_any(&seqs))
        .select((audit_tree::seq, audit_tree::hashes))
        .load(conn)
        .map_err(|e| e.to_string())?;
    let by_seq: std::collections::HashMap<i64, Vec<u8>> = found.into_iter().collect();
    indexes
        .iter()
        .zip(&wanted)
        .map(|(i, (seq, level))| {
            let record = by_seq.get(seq).ok_or_else(|| format!("stored hash {i} of chain {chain_id} is missing (no record {seq})"))?;
            let bytes = record
                .get(level * 32..(level + 1) * 32)
                .ok_or_else(|| format!("stored hash {i} of chain {chain_id} is missing (record {seq} is short)"))?;
            Ok(merkle::TreeHash(bytes.try_into().expect("32 bytes")))
        })
        .collect()
}
