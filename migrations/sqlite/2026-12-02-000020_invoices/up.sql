-- A voucher line may name the invoice it pays (number, seller, the seller's unified social credit
-- code). Lines written before have none.
ALTER TABLE voucher_lines ADD COLUMN invoice_number TEXT;
ALTER TABLE voucher_lines ADD COLUMN invoice_seller TEXT;
ALTER TABLE voucher_lines ADD COLUMN invoice_seller_tax_id TEXT;

-- An invoice number held by a posted or pending voucher, in any project (its lines say which): the
-- primary key is what refuses a second claim, in one statement, however many processes race. A
-- declined or reversed voucher gives its numbers back (its rows are deleted), so the corrected
-- voucher may carry the invoice again; the lines keep the number for the record.
CREATE TABLE invoice_claims (
    number TEXT NOT NULL PRIMARY KEY,
    claimed_at TEXT NOT NULL
);

CREATE INDEX voucher_lines_invoice ON voucher_lines (invoice_number) WHERE invoice_number IS NOT NULL;
