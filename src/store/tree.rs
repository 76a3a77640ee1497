//! Each audit chain's Merkle tree as stored: its size and frontier on the chain row, every stored
//! hash in `audit_tree` (see `domain::merkle`). Appends extend it in the same transaction as the
//! event (`audit::append`, the posting batch's flush); chains written before the tree existed are
//! caught up from their events, at start and whenever an append finds its tree behind.
use crate::db::schema::{audit_chains, audit_events, audit_tree};
use crate::db::DbConn;
use crate::domain::merkle::{self, Stored, Tree, TreeHash};
use crate::error::{AppError, AppResult};
use diesel::prelude::*;

/// Events read per page while catching up, and stored hashes written per INSERT.
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
        let mut stored = Vec::new();
        for row in rows {
            let event = row.stored();
            if event.seq != tree.size() as i64 + 1 {
                return Err(AppError::internal(format!("chain {chain_id} lacks event {}", tree.size() + 1)));
            }
            stored.extend(tree.append_canonical(event.into_event().canonical.as_bytes()));
        }
        insert(conn, chain_id, &stored)?;
    }
    Ok(tree)
}

/// Stored hashes as their rows hold them: (index, hex).
pub fn rows(stored: &[Stored]) -> Vec<(i64, String)> {
    stored.iter().map(|(idx, h)| (*idx as i64, hex::encode(h.0))).collect()
}

/// Keeps stored hashes, a page per INSERT.
pub fn insert(conn: &mut DbConn, chain_id: &str, stored: &[Stored]) -> AppResult<()> {
    for page in stored.chunks(PAGE as usize) {
        super::sql::write_one(conn, super::sql::InsertTreeHashes { chain_id, rows: &rows(page) })?;
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

/// Stored hashes by index, in the order asked; an index not stored is an error (a proof for a
/// tree larger than the chain's, or storage that lost rows).
pub fn hashes(conn: &mut DbConn, chain_id: &str, indexes: &[u64]) -> Result<Vec<TreeHash>, String> {
    let wanted: Vec<i64> = indexes.iter().map(|i| *i as i64).collect();
    let found: Vec<(i64, String)> = audit_tree::table
        .filter(audit_tree::chain_id.eq(chain_id))
        .filter(audit_tree::idx.eq_any(&wanted))
        .select((audit_tree::idx, audit_tree::hash))
        .load(conn)
        .map_err(|e| e.to_string())?;
    let by_index: std::collections::HashMap<i64, String> = found.into_iter().collect();
    wanted
        .iter()
        .map(|i| {
            let text = by_index.get(i).ok_or_else(|| format!("stored hash {i} of chain {chain_id} is missing"))?;
            let mut h = [0u8; 32];
            hex::decode_to_slice(text, &mut h).map_err(|_| format!("stored hash {i} of chain {chain_id} is not hex"))?;
            Ok(merkle::TreeHash(h))
        })
        .collect()
}
