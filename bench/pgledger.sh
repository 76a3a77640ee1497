#!/usr/bin/env bash
# Peer figure for the posting benchmark (issues 7 and 18): the real pgledger (bench/pgledger/, its
# own SQL at the upstream commit noted in UPSTREAM.md) driven by pgbench on the same machine. Each
# pgbench transaction is one call of pgledger_create_transfer between two different random accounts,
# as pgledger's own go/performance_check.go calls it (one statement, autocommit). PostgreSQL is used
# as it is configured (nothing is tuned). A scratch database is created and dropped again.
#
#   bench/pgledger.sh [-d ADMIN_URL] [-c CLIENTS] [-j THREADS] [-T SECONDS] [-a ACCOUNTS] [-M simple|extended|prepared] [-n]
#
# Defaults: -d postgres://postgres@127.0.0.1:5432/postgres -c 16 -j 2 -T 20 -a 40 -M prepared.
# 40 accounts = the posting run's 20 projects x (expense account, bank account), all in CNY.
# Balance rule: the accounts refuse a negative balance (pgledger's allow_negative_balance => false),
# each funded with 10^9 from one extra account, so the rule is checked on every transfer but never
# trips; -n creates them with pgledger's default instead (negative balances allowed).
set -euo pipefail

ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres
CLIENTS=16
THREADS=2
SECONDS_=20
ACCOUNTS=40
PROTOCOL=prepared
ALLOW_NEGATIVE=false
while getopts "d:c:j:T:a:M:nh" opt; do
  case "$opt" in
    d) ADMIN_URL=$OPTARG ;;
    c) CLIENTS=$OPTARG ;;
    j) THREADS=$OPTARG ;;
    T) SECONDS_=$OPTARG ;;
    a) ACCOUNTS=$OPTARG ;;
    M) PROTOCOL=$OPTARG ;;
    n) ALLOW_NEGATIVE=true ;;
    *) sed -n '2,14p' "$0"; exit 2 ;;
  esac
done
if [ "$ACCOUNTS" -lt 2 ]; then
  echo "-a: a transfer needs two different accounts" >&2
  exit 2
fi

PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n 1 || true)
if [ -z "$PGBENCH" ]; then
  echo "pgbench not found (it comes with the PostgreSQL server packages)" >&2
  exit 2
fi
SQL_DIR="$(cd "$(dirname "$0")" && pwd)/pgledger"

DB="fl_pgledger_$(date +%s)_$$"
BASE=${ADMIN_URL%/*}
URL="$BASE/$DB"
WORK=$(mktemp -d)
cleanup() {
  psql "$ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || echo "warning: could not drop $DB" >&2
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$ADMIN_URL" -qAtc "CREATE DATABASE $DB" >/dev/null
# pgledger's install, in its own order (its justfile's dbload).
psql "$URL" -q -v ON_ERROR_STOP=1 --single-transaction \
  -f "$SQL_DIR/vendor/scoville-pgsql-ulid/ulid-to-uuid.sql" \
  -f "$SQL_DIR/vendor/scoville-pgsql-ulid/uuid-to-ulid.sql" \
  -f "$SQL_DIR/pgledger.sql" >/dev/null

# The accounts refuse (or allow, -n) a negative balance; each gets its funding from one more account
# that allows it, so all balances still sum to zero.
psql "$URL" -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
SELECT id AS funding FROM pgledger_create_account('funding', 'CNY') \gset
SELECT count(*)
  FROM generate_series(1, $ACCOUNTS) g,
       pgledger_create_account('account ' || g, 'CNY', allow_negative_balance => $ALLOW_NEGATIVE) a,
       pgledger_create_transfer(:'funding', a.id, 1000000000);
ANALYZE;
SQL

# pgledger's IDs are prefixed ULIDs (text) and pgbench variables are numbers, so the script carries
# the IDs as an array constant and picks two by index: the call gets the IDs themselves, as in
# pgledger's own performance check, with no lookup added to the transfer.
ids=$(psql "$URL" -qAtc "SELECT string_agg(quote_literal(id), ',' ORDER BY id) FROM pgledger_accounts WHERE name <> 'funding'")
cat >"$WORK/transfer.sql" <<SQL
\set a random(1, $ACCOUNTS)
\set b 1 + (:a + random(0, $ACCOUNTS - 2)) % $ACCOUNTS
SELECT id FROM pgledger_create_transfer((ARRAY[$ids])[:a], (ARRAY[$ids])[:b], 1.00);
SQL

setting() { psql "$ADMIN_URL" -qAtc "SHOW $1"; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
echo "machine: ${cpu:-unknown CPU}, $(nproc) cores, $mem, Linux $(uname -r)"
echo "pgbench: $($PGBENCH --version | head -n 1); server: $(setting server_version), fsync=$(setting fsync), synchronous_commit=$(setting synchronous_commit)"
echo "real pgledger (bench/pgledger, upstream c18c7d2): pgledger_create_transfer, $ACCOUNTS accounts (allow_negative_balance=$ALLOW_NEGATIVE), -c $CLIENTS -j $THREADS -T $SECONDS_ -M $PROTOCOL, scratch database $DB"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PGBENCH" -n -r -c "$CLIENTS" -j "$THREADS" -T "$SECONDS_" -M "$PROTOCOL" -f "$WORK/transfer.sql" "$URL" | tee "$WORK/out.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# The ledger must hold exactly what pgbench saw succeed, and still balance: every account's balance
# is the sum of its entries, all balances sum to zero (the funding account carries the negative),
# no account that refuses a negative balance has one, and each transfer has its two entries.
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/out.txt")
read -r balanced transfers entries drifted negative < <(psql "$URL" -qAtF ' ' -c "
  SELECT (SELECT sum(balance) = 0 FROM pgledger_accounts),
         (SELECT count(*) FROM pgledger_transfers),
         (SELECT count(*) FROM pgledger_entries),
         (SELECT count(*) FROM pgledger_accounts a
            WHERE a.balance <> (SELECT coalesce(sum(amount), 0) FROM pgledger_entries e WHERE e.account_id = a.id)),
         (SELECT count(*) FROM pgledger_accounts WHERE balance < 0 AND NOT allow_negative_balance)")
run_transfers=$((transfers - ACCOUNTS)) # less the fundings
if [ "$balanced" = t ] && [ "$entries" = "$((transfers * 2))" ] && [ "$drifted" = 0 ] && [ "$negative" = 0 ] && [ "$run_transfers" = "$processed" ]; then
  echo "PASS  balances sum to 0; $run_transfers transfers (as pgbench counted) + $ACCOUNTS fundings, $entries entries; every balance is the sum of its entries"
else
  echo "FAIL  balances sum to zero: $balanced; $run_transfers transfers (pgbench counted $processed), $entries entries; $drifted balances differ from their entries; $negative negative where refused"
  exit 1
fi
tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$WORK/out.txt")
echo "TRANSFERS_PER_S=$tps"
