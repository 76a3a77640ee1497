-- audit_tree keeps one row per event (a record of the chain's tree) holding the hashes its append
-- stored, 32 bytes each (the leaf's, then each subtree it completed), instead of one row per hash
-- as hex: about half the rows and a third of the bytes, one fixed INSERT per append, and
-- WITHOUT ROWID so a row is written to one b-tree, not a table and its key's index. No foreign
-- key, as audit_events has none: rows are written only under the chain's lock, and the check cost
-- a lookup per row.
-- A tree is derived from its chain's events, so the trees are not converted here: they are reset
-- and the service rebuilds each from its events at start (as it did for chains older than trees).
-- A kept checkpoint still checks against the rebuilt tree, since the events are what it signed.
DROP TABLE audit_tree;

CREATE TABLE audit_tree (
    chain_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hashes BLOB NOT NULL,
    PRIMARY KEY (chain_id, seq)
) WITHOUT ROWID;

CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'audit tree hashes are append-only'); END;
CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'audit tree hashes are append-only'); END;

UPDATE audit_chains SET tree_size = 0, tree_frontier = '';
