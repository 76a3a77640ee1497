DROP INDEX voucher_lines_invoice;
DROP TABLE invoice_claims;
ALTER TABLE voucher_lines DROP COLUMN invoice_seller_tax_id;
ALTER TABLE voucher_lines DROP COLUMN invoice_seller;
ALTER TABLE voucher_lines DROP COLUMN invoice_number;
