-- audit_tree keeps one row per event (a record of the chain's tree) holding the hashes its append
-- stored, 32 bytes each (the leaf's, then each subtree it completed), instead of one row per hash
-- as hex: about half the rows and a third of the bytes. No foreign key, as audit_events has none:
-- rows are written only under the chain's lock, and the check ran a query per row.
-- A tree is derived from its chain's events, so the trees are not converted here: they are reset
-- and the service rebuilds each from its events at start (as it did for chains older than trees).
-- A kept checkpoint still checks against the rebuilt tree, since the events are what it signed.
DROP TABLE audit_tree;

CREATE TABLE audit_tree (
    chain_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hashes BYTEA NOT NULL,
    PRIMARY KEY (chain_id, seq)
);

CREATE TRIGGER audit_tree_append_only BEFORE UPDATE OR DELETE ON audit_tree
    FOR EACH ROW EXECUTE FUNCTION fundledger_append_only();

UPDATE audit_chains SET tree_size = 0, tree_frontier = '';
