-- The text is not restored: it is derived from the fields whenever it is read.
ALTER TABLE audit_events ADD COLUMN canonical TEXT NOT NULL DEFAULT '';
