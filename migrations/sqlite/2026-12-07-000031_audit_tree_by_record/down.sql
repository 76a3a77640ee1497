-- Back to one row per stored hash; the trees are rebuilt from the events at start.
DROP TABLE audit_tree;

CREATE TABLE audit_tree (
    chain_id TEXT NOT NULL REFERENCES audit_chains (chain_id),
    idx BIGINT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (chain_id, idx)
);

CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'audit tree hashes are append-only'); END;
CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'audit tree hashes are append-only'); END;

UPDATE audit_chains SET tree_size = 0, tree_frontier = '';
