-- A copy, on the project's row, of its five fixed accounts' totals: bank 1002, grant receivable
-- 1221, payables 2202, refund owed 2241 and grant fund 2401. Every statement amount the portfolio
-- adds up and orders by follows from them (`Balances::of_fixed`), so `/statements` over 10,000
-- projects reads the project rows alone instead of 50,000 account rows. The posting transaction
-- writes them with the accounts, in the UPDATE of the row it already makes; reconciliation checks
-- them against the chain like the accounts.
ALTER TABLE projects ADD COLUMN bank_debit_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN bank_credit_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN receivable_debit_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN receivable_credit_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN payables_debit_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN payables_credit_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN refund_owed_debit_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN refund_owed_credit_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN grant_fund_debit_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN grant_fund_credit_fen BIGINT NOT NULL DEFAULT 0;

UPDATE projects SET
    bank_debit_fen = COALESCE((SELECT debit_fen FROM accounts a WHERE a.project_id = projects.id AND a.code = '1002'), 0),
    bank_credit_fen = COALESCE((SELECT credit_fen FROM accounts a WHERE a.project_id = projects.id AND a.code = '1002'), 0),
    receivable_debit_fen = COALESCE((SELECT debit_fen FROM accounts a WHERE a.project_id = projects.id AND a.code = '1221'), 0),
    receivable_credit_fen = COALESCE((SELECT credit_fen FROM accounts a WHERE a.project_id = projects.id AND a.code = '1221'), 0),
    payables_debit_fen = COALESCE((SELECT debit_fen FROM accounts a WHERE a.project_id = projects.id AND a.code = '2202'), 0),
    payables_credit_fen = COALESCE((SELECT credit_fen FROM accounts a WHERE a.project_id = projects.id AND a.code = '2202'), 0),
    refund_owed_debit_fen = COALESCE((SELECT debit_fen FROM accounts a WHERE a.project_id = projects.id AND a.code = '2241'), 0),
    refund_owed_credit_fen = COALESCE((SELECT credit_fen FROM accounts a WHERE a.project_id = projects.id AND a.code = '2241'), 0),
    grant_fund_debit_fen = COALESCE((SELECT debit_fen FROM accounts a WHERE a.project_id = projects.id AND a.code = '2401'), 0),
    grant_fund_credit_fen = COALESCE((SELECT credit_fen FROM accounts a WHERE a.project_id = projects.id AND a.code = '2401'), 0);
