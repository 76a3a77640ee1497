-- What each account was moved by on each day: the sums of the lines of the vouchers in the books
-- (posted or reversed), by the voucher's date. The posting transaction adds to it as it adds to
-- `accounts`, so the books as of any past day are a sum over at most a row per account and day
-- rather than over the whole journal; reconciliation checks it against the chain like `accounts`.
CREATE TABLE account_days (
    project_id TEXT NOT NULL,
    code TEXT NOT NULL,
    day TEXT NOT NULL,
    debit_fen BIGINT NOT NULL,
    credit_fen BIGINT NOT NULL,
    PRIMARY KEY (project_id, code, day),
    FOREIGN KEY (project_id, code) REFERENCES accounts (project_id, code)
);

INSERT INTO account_days (project_id, code, day, debit_fen, credit_fen)
SELECT v.project_id, l.account_code, v.date, SUM(l.debit_fen), SUM(l.credit_fen)
FROM voucher_lines l JOIN vouchers v ON v.id = l.voucher_id
WHERE v.status IN ('posted', 'reversed')
GROUP BY v.project_id, l.account_code, v.date;

-- What vouchers awaiting review hold back as of a past day, without walking the posted ones.
CREATE INDEX vouchers_pending ON vouchers (project_id, date) WHERE status = 'pending_review';
