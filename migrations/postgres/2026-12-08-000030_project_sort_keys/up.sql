-- What the portfolio orders by, kept on the project's row beside the copy of its fixed accounts
-- (2026-12-08-000020) and written with it by the posting transaction: utilization as shown, in
-- ten-thousandths (implemented × 10⁴ ÷ grant rounded half to even, `money::ratio4_units`), and the
-- recoverable amount in fen (the grant fund less implemented, none below zero, `recovery::split`).
-- `/statements` then orders 10,000 projects by a column rather than by arithmetic on ten.
-- Reconciliation checks both against the chain.
ALTER TABLE projects ADD COLUMN utilization_bp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN recoverable_fen BIGINT NOT NULL DEFAULT 0;

-- implemented = payables + refund owed + grant fund − bank − receivable (each its balance); the
-- grant fund less implemented is bank + receivable − payables − refund owed. Integer division
-- truncates toward zero and the remainder keeps the dividend's sign on both backends.
UPDATE projects SET
    recoverable_fen = CASE WHEN u > 0 THEN u ELSE 0 END,
    utilization_bp = CASE
        WHEN grant_fen = 0 THEN 0
        WHEN 2 * ABS(n % grant_fen) > grant_fen OR (2 * ABS(n % grant_fen) = grant_fen AND (n / grant_fen) % 2 <> 0)
            THEN n / grant_fen + CASE WHEN n < 0 THEN -1 ELSE 1 END
        ELSE n / grant_fen
    END
FROM (
    SELECT id AS kid,
        (payables_credit_fen - payables_debit_fen + refund_owed_credit_fen - refund_owed_debit_fen + grant_fund_credit_fen
         - grant_fund_debit_fen - bank_debit_fen + bank_credit_fen - receivable_debit_fen + receivable_credit_fen) * 10000 AS n,
        bank_debit_fen - bank_credit_fen + receivable_debit_fen - receivable_credit_fen - payables_credit_fen
         + payables_debit_fen - refund_owed_credit_fen + refund_owed_debit_fen AS u
    FROM projects
) AS k
WHERE projects.id = k.kid;
