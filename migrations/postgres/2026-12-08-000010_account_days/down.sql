DROP INDEX vouchers_pending;
DROP TABLE account_days;
