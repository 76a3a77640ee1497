-- Back to one row per stored hash; the trees are rebuilt from the events at start.
DROP TABLE audit_tree;

CREATE TABLE audit_tree (
    chain_id TEXT NOT NULL REFERENCES audit_chains (chain_id),
    idx BIGINT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (chain_id, idx)
);

CREATE TRIGGER audit_tree_append_only BEFORE UPDATE OR DELETE ON audit_tree
    FOR EACH ROW EXECUTE FUNCTION fundledger_append_only();

UPDATE audit_chains SET tree_size = 0, tree_frontier = '';
