ALTER TABLE projects DROP COLUMN utilization_bp;
ALTER TABLE projects DROP COLUMN recoverable_fen;
