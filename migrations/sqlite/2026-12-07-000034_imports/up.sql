-- A bulk import that posted, by the SHA-256 of its file: the same file sent again to the same
-- project gets this answer back instead of posting twice. Refused imports and dry runs are not
-- kept (the books may change so that the same file would pass later).
CREATE TABLE imports (
    project_id TEXT NOT NULL REFERENCES projects(id),
    sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (project_id, sha256)
);
