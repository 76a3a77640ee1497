//! Each audit chain is also a Merkle tree as in RFC 9162 §2.1 (leaf = SHA-256(0x00 ‖ canonical
//! text), node = SHA-256(0x01 ‖ left ‖ right)), so an inspector can keep a signed checkpoint (the
//! tree's size and root) and later be given proofs that the events they saw are still there and
//! that today's tree extends the one they kept. The hashing and proofs are Cloudflare's port of
//! Go's `sumdb/tlog` (`tlog_tiles`); the layout of stored hashes is theirs too: record `n` stores
//! its leaf hash and the hash of every subtree it completes, at `stored_hash_index(level, k)`.
//!
//! What is added here is the *frontier*: the hashes of the complete subtrees that make up a tree
//! of `size` leaves (one per set bit of `size`, largest first). It is all an append needs, so the
//! chain row carries it and appending reads nothing more than the row it already locks.
use tlog_tiles::{stored_hashes_for_record_hash, sub_tree_index, tree_hash, Hash, HashReader};

pub use tlog_tiles::{check_record, check_tree, prove_record, prove_tree, record_hash, Hash as TreeHash, EMPTY_HASH};

/// A tree as its chain row holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    size: u64,
    frontier: Vec<Hash>,
}

/// A stored hash to keep: its index in the chain's hash storage, and the hash.
pub type Stored = (u64, Hash);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TreeError {
    #[error("the stored frontier is not {0} hex hashes")]
    Frontier(usize),
    #[error("a hash the tree needs is missing: {0}")]
    Missing(String),
}

impl Tree {
    pub fn empty() -> Tree {
        Tree { size: 0, frontier: Vec::new() }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// From the chain row: its size and its frontier as concatenated hex.
    pub fn from_stored(size: u64, frontier_hex: &str) -> Result<Tree, TreeError> {
        let want = size.count_ones() as usize;
        let bad = || TreeError::Frontier(want);
        if frontier_hex.len() != want * 64 {
            return Err(bad());
        }
        let frontier = (0..want)
            .map(|i| {
                let mut h = [0u8; 32];
                hex::decode_to_slice(&frontier_hex[i * 64..(i + 1) * 64], &mut h).map(|()| Hash(h)).map_err(|_| bad())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Tree { size, frontier })
    }

    /// The frontier as the chain row keeps it.
    pub fn frontier_hex(&self) -> String {
        // Into one buffer: collecting each hash's hex as chars cost more than the append's hashing.
        let mut text = vec![0u8; self.frontier.len() * 64];
        for (h, out) in self.frontier.iter().zip(text.chunks_exact_mut(64)) {
            hex::encode_to_slice(h.0, out).expect("64 hex digits hold a hash");
        }
        String::from_utf8(text).expect("hex digits are ASCII")
    }

    /// Appends a leaf (`record_hash` of an event's canonical text); returns the hashes to store.
    pub fn append(&mut self, leaf: Hash) -> Vec<Stored> {
        let n = self.size;
        let first = tlog_tiles::stored_hash_index(0, n);
        let hashes = stored_hashes_for_record_hash(n, leaf, &Frontier(self)).expect("the frontier holds every hash an append reads");
        // The leaf and its trailing `m` complete subtrees merge into one subtree.
        let merged = (n + 1).trailing_zeros() as usize;
        self.frontier.truncate(self.frontier.len() - merged);
        self.frontier.push(*hashes.last().expect("an append stores at least the leaf"));
        self.size += 1;
        hashes.into_iter().enumerate().map(|(i, h)| (first + i as u64, h)).collect()
    }

    pub fn append_canonical(&mut self, canonical: &[u8]) -> Vec<Stored> {
        self.append(record_hash(canonical))
    }

    /// The root hash (RFC 9162 MTH) of the tree.
    pub fn root(&self) -> Hash {
        tree_hash(self.size, &Frontier(self)).expect("the frontier is the tree")
    }
}

/// The frontier read as hash storage: it answers exactly the indexes of the complete subtrees of
/// the tree, which are all that an append or the root reads.
struct Frontier<'a>(&'a Tree);

impl HashReader for Frontier<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let held = sub_tree_index(0, self.0.size, Vec::new());
        indexes
            .iter()
            .map(|i| held.iter().position(|h| h == i).map(|p| self.0.frontier[p]).ok_or(tlog_tiles::Error::IndexesNotInTree))
            .collect()
    }
}

/// Reads stored hashes from wherever they are kept (the store's table), for proofs.
pub struct Stores<F: Fn(&[u64]) -> Result<Vec<Hash>, String>>(pub F);

impl<F: Fn(&[u64]) -> Result<Vec<Hash>, String>> HashReader for Stores<F> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let found = (self.0)(indexes).map_err(tlog_tiles::Error::InvalidInput)?;
        if found.len() != indexes.len() {
            return Err(tlog_tiles::Error::IndexesNotInTree);
        }
        Ok(found)
    }
}

/// Where a stored hash is kept when each record keeps its own (the store's layout): the record
/// (0-based leaf index) whose append stored it, and its place among that record's hashes, which
/// is its level (0 the leaf, then each subtree the record completed, smallest first, as
/// `Tree::append` returns them). Level `l`'s `k`th subtree is completed by record
/// `(k + 1)·2^l − 1`, its last leaf.
pub fn held_by(index: u64) -> (u64, usize) {
    let (level, k) = tlog_tiles::split_stored_hash_index(index);
    (((k + 1) << level) - 1, usize::from(level))
}

/// The root of a tree given all its leaves.
pub fn root_of(leaves: impl IntoIterator<Item = Hash>) -> Hash {
    let mut r = Roots::default();
    leaves.into_iter().for_each(|l| r.push(l.0));
    Hash(r.root())
}

/// The root over leaves fed one at a time, computed from RFC 9162's definition without the
/// stored-hash layout: verification recomputes the tree with this, independently of the code that
/// stored it. A stack of complete subtrees (size, hash), merged as they pair up.
#[derive(Default)]
pub struct Roots {
    stack: Vec<(u64, [u8; 32])>,
    size: u64,
}

impl Roots {
    pub fn push(&mut self, leaf: [u8; 32]) {
        let mut top = (1u64, leaf);
        while let Some(&(size, left)) = self.stack.last() {
            if size != top.0 {
                break;
            }
            self.stack.pop();
            top = (size * 2, node(&left, &top.1));
        }
        self.stack.push(top);
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// MTH of the leaves so far: the complete subtrees folded from the right.
    pub fn root(&self) -> [u8; 32] {
        let mut it = self.stack.iter().rev();
        match it.next() {
            None => EMPTY_HASH.0,
            Some(&(_, last)) => it.fold(last, |right, (_, left)| node(left, &right)),
        }
    }
}

/// A chain whose links all hold, judged by its Merkle tree: the root recomputed from its events
/// must be the one the chain row records, and the first `size` events must give the root of a
/// kept checkpoint (else they were rewritten, or the chain was cut back below it).
pub fn judge(
    mut v: super::audit::Verification,
    leaves: impl Iterator<Item = [u8; 32]>,
    stored: &Tree,
    kept: Option<&super::checkpoint::Kept>,
) -> super::audit::Verification {
    use super::audit::KeptCheck;
    let mut roots = Roots::default();
    let mut at_kept = kept.filter(|k| k.size == 0).map(|_| EMPTY_HASH.0);
    for leaf in leaves {
        roots.push(leaf);
        if kept.is_some_and(|k| k.size == roots.size()) {
            at_kept = Some(roots.root());
        }
    }
    let root = roots.root();
    v.tree_root = Some(hex::encode(root));
    if let Some(k) = kept {
        let consistent = at_kept.is_some_and(|r| r == k.root.0);
        v.checkpoint = Some(KeptCheck { size: k.size as i64, consistent });
        if !consistent {
            v.valid = false;
            v.problem = Some(if k.size > roots.size() {
                format!("the chain has {} events, fewer than the {} of the kept checkpoint: it was cut back", roots.size(), k.size)
            } else {
                format!("the first {} events are not those the kept checkpoint was signed over: they were rewritten", k.size)
            });
            return v;
        }
    }
    if stored.size() != roots.size() || stored.root().0 != root {
        v.valid = false;
        v.problem =
            Some(format!("the Merkle tree the chain records ({} events) does not match its {} events", stored.size(), roots.size()));
    }
    v
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::new().chain_update([1u8]).chain_update(left).chain_update(right).finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::{Digest, Sha256};
    use std::collections::HashMap;

    /// RFC 9162 §2.1.1 MTH written out from the definition, independent of tlog_tiles.
    fn mth(leaves: &[Vec<u8>]) -> [u8; 32] {
        match leaves.len() {
            0 => Sha256::digest(b"").into(),
            1 => Sha256::new().chain_update([0u8]).chain_update(&leaves[0]).finalize().into(),
            n => {
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                let (l, r) = leaves.split_at(k);
                Sha256::new().chain_update([1u8]).chain_update(mth(l)).chain_update(mth(r)).finalize().into()
            }
        }
    }

    fn leaves(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("event {i}").into_bytes()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn the_frontier_gives_the_rfc_root_at_every_size(n in 0usize..140) {
            let data = leaves(n);
            let mut t = Tree::empty();
            for (i, d) in data.iter().enumerate() {
                prop_assert_eq!(t.root().0, mth(&data[..i]));
                t.append_canonical(d);
            }
            prop_assert_eq!(t.root().0, mth(&data));
            prop_assert_eq!(root_of(data.iter().map(|d| record_hash(d))).0, mth(&data));
            // The frontier survives its stored form.
            prop_assert_eq!(Tree::from_stored(t.size(), &t.frontier_hex()).unwrap(), t);
        }

        #[test]
        fn proofs_from_the_stored_hashes_check(n in 1u64..200, pick in any::<prop::sample::Index>(), older in any::<prop::sample::Index>()) {
            let mut t = Tree::empty();
            let mut stored = HashMap::new();
            for d in leaves(n as usize) {
                stored.extend(t.append_canonical(&d));
            }
            let reader = Stores(|ix: &[u64]| ix.iter().map(|i| stored.get(i).copied().ok_or(format!("{i}"))).collect());
            let leaf = pick.index(n as usize) as u64;
            let proof = prove_record(n, leaf, &reader).unwrap();
            let leaf_hash = record_hash(format!("event {leaf}").as_bytes());
            prop_assert!(check_record(&proof, n, t.root(), leaf, leaf_hash).is_ok());
            prop_assert!(check_record(&proof, n, t.root(), leaf, record_hash(b"forged")).is_err());
            let m = older.index(n as usize) as u64 + 1;
            let old_root = root_of(leaves(m as usize).iter().map(|d| record_hash(d)));
            let proof = prove_tree(n, m, &reader).unwrap();
            prop_assert!(check_tree(&proof, n, t.root(), m, old_root).is_ok());
        }
    }

    /// Every hash an append stores is found again by `held_by` at its record and place.
    #[test]
    fn each_stored_hash_is_held_by_the_record_that_stored_it() {
        let mut t = Tree::empty();
        for n in 0..1100u64 {
            for (place, (index, _)) in t.append_canonical(format!("event {n}").as_bytes()).iter().enumerate() {
                assert_eq!(held_by(*index), (n, place), "stored hash {index}");
            }
        }
    }

    #[test]
    fn a_damaged_frontier_is_refused() {
        assert_eq!(Tree::from_stored(3, "ab"), Err(TreeError::Frontier(2)));
        assert!(Tree::from_stored(1, &"zz".repeat(32)).is_err());
        assert_eq!(Tree::from_stored(0, "").unwrap().root(), EMPTY_HASH);
    }
}
