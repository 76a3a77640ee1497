-- Yearly work reports a project unit files by the end of December (POLICY.md §8.3).
CREATE TABLE annual_reports (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    year INTEGER NOT NULL,
    summary TEXT NOT NULL,
    next_year_plan TEXT NOT NULL,
    trained_total INTEGER NOT NULL,
    trained_advanced INTEGER NOT NULL,
    filed_by TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    UNIQUE (project_id, year)
);
