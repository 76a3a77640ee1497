DROP TABLE audit_tree;
ALTER TABLE audit_chains DROP COLUMN tree_frontier;
ALTER TABLE audit_chains DROP COLUMN tree_size;
