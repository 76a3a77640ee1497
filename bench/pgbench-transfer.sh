#!/usr/bin/env bash
# Peer figure for the posting benchmark (issue 7): the same kind of write as one fundledger voucher,
# done as bare pgledger-style SQL — a two-account transfer with a balance check and two entries in
# one PostgreSQL transaction — driven by pgbench on the same machine. PostgreSQL is used as it is
# configured (nothing is tuned). A scratch database is created and dropped again.
#
#   bench/pgbench-transfer.sh [-d ADMIN_URL] [-c CLIENTS] [-j THREADS] [-T SECONDS] [-a ACCOUNTS] [-M simple|extended|prepared]
#
# Defaults: -d postgres://postgres@127.0.0.1:5432/postgres -c 16 -j 2 -T 20 -a 40 -M prepared.
# 40 accounts = the posting run's 20 projects x (expense account, bank account).
set -euo pipefail

ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres
CLIENTS=16
THREADS=2
SECONDS_=20
ACCOUNTS=40
PROTOCOL=prepared
while getopts "d:c:j:T:a:M:h" opt; do
  case "$opt" in
    d) ADMIN_URL=$OPTARG ;;
    c) CLIENTS=$OPTARG ;;
    j) THREADS=$OPTARG ;;
    T) SECONDS_=$OPTARG ;;
    a) ACCOUNTS=$OPTARG ;;
    M) PROTOCOL=$OPTARG ;;
    *) sed -n '2,11p' "$0"; exit 2 ;;
  esac
done

PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n 1 || true)
if [ -z "$PGBENCH" ]; then
  echo "pgbench not found (it comes with the PostgreSQL server packages)" >&2
  exit 2
fi

DB="fl_pgbench_$(date +%s)_$$"
BASE=${ADMIN_URL%/*}
URL="$BASE/$DB"
WORK=$(mktemp -d)
cleanup() {
  psql "$ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || echo "warning: could not drop $DB" >&2
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$ADMIN_URL" -qAtc "CREATE DATABASE $DB" >/dev/null
psql "$URL" -q -v ON_ERROR_STOP=1 <<SQL
-- pgledger-style: accounts carry their balance and a version; every transfer writes two entries
-- that record the balance before and after.
CREATE TABLE accounts (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  balance numeric NOT NULL DEFAULT 0,
  allow_negative boolean NOT NULL DEFAULT false,
  version bigint NOT NULL DEFAULT 0
);
CREATE TABLE transfers (
  id bigserial PRIMARY KEY,
  from_account_id bigint NOT NULL REFERENCES accounts(id),
  to_account_id bigint NOT NULL REFERENCES accounts(id),
  amount numeric NOT NULL CHECK (amount > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE entries (
  id bigserial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts(id),
  transfer_id bigint NOT NULL REFERENCES transfers(id),
  amount numeric NOT NULL,
  account_previous_balance numeric NOT NULL,
  account_current_balance numeric NOT NULL,
  account_version bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX entries_account ON entries(account_id, id);
INSERT INTO accounts (id, name, balance) SELECT g, 'account ' || g, 1000000000 FROM generate_series(1, $ACCOUNTS) g;
ANALYZE;
SQL

# One transfer of 1.00 between two different accounts: lock both (in id order, so no deadlock),
# check the balance, move the money, record the transfer and its two entries.
cat >"$WORK/transfer.sql" <<SQL
\set a random(1, $ACCOUNTS)
\set b 1 + (:a + random(0, $ACCOUNTS - 2)) % $ACCOUNTS
BEGIN;
SELECT id, balance FROM accounts WHERE id IN (:a, :b) ORDER BY id FOR UPDATE;
UPDATE accounts SET balance = balance - 1.00, version = version + 1 WHERE id = :a AND (balance >= 1.00 OR allow_negative) RETURNING balance AS from_balance, version AS from_version \gset
UPDATE accounts SET balance = balance + 1.00, version = version + 1 WHERE id = :b RETURNING balance AS to_balance, version AS to_version \gset
INSERT INTO transfers (from_account_id, to_account_id, amount) VALUES (:a, :b, 1.00) RETURNING id AS transfer_id \gset
INSERT INTO entries (account_id, transfer_id, amount, account_previous_balance, account_current_balance, account_version)
  VALUES (:a, :transfer_id, -1.00, :from_balance + 1.00, :from_balance, :from_version),
         (:b, :transfer_id, 1.00, :to_balance - 1.00, :to_balance, :to_version);
COMMIT;
SQL

echo "pgbench: $($PGBENCH --version | head -n 1); server: $(psql "$ADMIN_URL" -qAtc 'SHOW server_version'), synchronous_commit=$(psql "$ADMIN_URL" -qAtc 'SHOW synchronous_commit')"
echo "transfer with balance check, $ACCOUNTS accounts, -c $CLIENTS -j $THREADS -T $SECONDS_ -M $PROTOCOL, scratch database $DB"
"$PGBENCH" -n -r -c "$CLIENTS" -j "$THREADS" -T "$SECONDS_" -M "$PROTOCOL" -f "$WORK/transfer.sql" "$URL" | tee "$WORK/out.txt"

# The books must still balance: money only moved between accounts.
read -r total transfers entries < <(psql "$URL" -qAtF ' ' -c \
  "SELECT (SELECT sum(balance) FROM accounts), (SELECT count(*) FROM transfers), (SELECT count(*) FROM entries)")
expected=$((ACCOUNTS * 1000000000))
if [ "${total%.*}" = "$expected" ] && [ "$entries" = "$((transfers * 2))" ]; then
  echo "PASS  balances sum to $expected; $transfers transfers, $entries entries"
else
  echo "FAIL  balances sum to $total (expected $expected); $transfers transfers, $entries entries"
  exit 1
fi
tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$WORK/out.txt")
echo "TPS=$tps"
