-- Output acceptances (项目产出验收, issue 19): one row per record, a correction is a new row that
-- supersedes the last (`seq` orders a project's records; the highest is the current one). The
-- record's panel, figures, checks and frozen final accounts are kept as the JSON the service
-- answered with, so it reads back exactly as it was made.
CREATE TABLE acceptances (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    seq INTEGER NOT NULL,
    date TEXT NOT NULL,
    conclusion TEXT NOT NULL,
    supersedes TEXT REFERENCES acceptances(id),
    record TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (project_id, seq)
);

-- The project archive the plan asks each unit to keep (§8.3): members, major activities,
-- achievements, summaries, images.
CREATE TABLE archive_entries (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    kind TEXT NOT NULL,
    date TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX archive_entries_project ON archive_entries (project_id, date);

-- Both are evidence: never updated, never deleted (checked at start, store/append_only.rs).
CREATE TRIGGER acceptances_no_update BEFORE UPDATE ON acceptances
BEGIN SELECT RAISE(ABORT, 'acceptance records are immutable'); END;
CREATE TRIGGER acceptances_no_delete BEFORE DELETE ON acceptances
BEGIN SELECT RAISE(ABORT, 'acceptance records are immutable'); END;
CREATE TRIGGER archive_entries_no_update BEFORE UPDATE ON archive_entries
BEGIN SELECT RAISE(ABORT, 'archive entries are append-only'); END;
CREATE TRIGGER archive_entries_no_delete BEFORE DELETE ON archive_entries
BEGIN SELECT RAISE(ABORT, 'archive entries are append-only'); END;
