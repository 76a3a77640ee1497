-- Failed sign-ins, kept while they can still count towards a lock (15 minutes), and the locks
-- they set. In the database, not in memory, so every process on one database counts alike.
CREATE TABLE login_failures (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_failures_by_username ON login_failures (username, at);
CREATE INDEX login_failures_by_address ON login_failures (address, at);

-- `subject` is `username:<name>` or `address:<ip>`.
CREATE TABLE login_locks (
    subject TEXT PRIMARY KEY,
    locked_until TEXT NOT NULL
);
