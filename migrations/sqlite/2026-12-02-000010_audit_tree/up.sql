-- Each audit chain is also a Merkle tree (RFC 9162): the chain row keeps the tree's size and the
-- hashes of its complete subtrees (the frontier, concatenated hex), and audit_tree keeps every
-- stored hash (tlog layout: record n's leaf hash and the subtrees it completes) for proofs.
-- Chains that exist already are filled in by the service at start (SQL has no SHA-256 here).
ALTER TABLE audit_chains ADD COLUMN tree_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_chains ADD COLUMN tree_frontier TEXT NOT NULL DEFAULT '';

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
