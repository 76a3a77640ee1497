CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    org_id TEXT REFERENCES orgs(id),
    display_name TEXT,
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    fund_source TEXT NOT NULL,
    specialties TEXT NOT NULL,
    leader TEXT,
    grant_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    next_voucher_no BIGINT NOT NULL,
    reserved_bank_fen BIGINT NOT NULL,
    reserved_expense_fen BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX projects_org ON projects (org_id);

CREATE TABLE accounts (
    project_id TEXT NOT NULL REFERENCES projects(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    side TEXT NOT NULL,
    category TEXT,
    debit_fen BIGINT NOT NULL,
    credit_fen BIGINT NOT NULL,
    PRIMARY KEY (project_id, code)
);

CREATE TABLE vouchers (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    number BIGINT,
    status TEXT NOT NULL,
    kind TEXT NOT NULL,
    date TEXT NOT NULL,
    summary TEXT NOT NULL,
    attachments INTEGER NOT NULL,
    reference TEXT,
    reserved_bank_fen BIGINT NOT NULL,
    reserved_expense_fen BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    reverses_id TEXT REFERENCES vouchers(id),
    reversed_by_id TEXT REFERENCES vouchers(id),
    decision TEXT,
    UNIQUE (project_id, number)
);
CREATE INDEX vouchers_project_date ON vouchers (project_id, date);
CREATE INDEX vouchers_status ON vouchers (status);

CREATE TABLE voucher_lines (
    voucher_id TEXT NOT NULL REFERENCES vouchers(id),
    line_no INTEGER NOT NULL,
    project_id TEXT NOT NULL,
    account_code TEXT NOT NULL,
    debit_fen BIGINT NOT NULL,
    credit_fen BIGINT NOT NULL,
    summary TEXT NOT NULL,
    classification TEXT,
    PRIMARY KEY (voucher_id, line_no)
);
CREATE INDEX voucher_lines_account ON voucher_lines (project_id, account_code);

CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE audit_chains (
    chain_id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    head TEXT NOT NULL
);

CREATE TABLE audit_events (
    chain_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    actor_user_id TEXT NOT NULL,
    actor_username TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    canonical TEXT NOT NULL,
    PRIMARY KEY (chain_id, seq)
);
CREATE INDEX audit_events_action ON audit_events (chain_id, action);

INSERT INTO audit_chains (chain_id, seq, head)
VALUES ('global', 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The journal and the audit chain are append-only: refuse edits even from the service's own user.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER voucher_lines_no_update BEFORE UPDATE ON voucher_lines
BEGIN SELECT RAISE(ABORT, 'posted voucher lines are immutable'); END;
CREATE TRIGGER voucher_lines_no_delete BEFORE DELETE ON voucher_lines
BEGIN SELECT RAISE(ABORT, 'posted voucher lines are immutable'); END;
