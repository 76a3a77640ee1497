#!/usr/bin/env bash
# Fuzzes the live service from its own OpenAPI document with schemathesis: no 5xx, and no answer
# (status, content type, headers, body) that contradicts the document. Starts the built binary on
# a fresh SQLite database, seeds one organisation, a user per role and a project with money on it,
# then runs once per role, so every operation is tried both by callers who may and who may not.
# Usage: .ci/schemathesis.sh [BINARY] [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/fundledger}
examples=${2:-25}
command -v st >/dev/null || { echo "schemathesis (st) is not installed: pip install schemathesis" >&2; exit 1; }
[ -x "$bin" ] || { echo "no service binary at $bin (build it first)" >&2; exit 1; }

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
FUNDLEDGER_ADMIN_PASSWORD=fuzz-admin-password FUNDLEDGER_DATABASE_URL="$dir/fl.db" FUNDLEDGER_BIND="127.0.0.1:$port" \
  RUST_LOG=warn "$bin" >"$dir/service.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done
curl -sf "$base/health" >/dev/null || { echo "the service did not start:" >&2; cat "$dir/service.log" >&2; exit 1; }

api="$base/api/v1"
# The document itself must be valid OpenAPI 3.1 before anything is generated from it.
curl -sf "$api/openapi.json" | python3 -c 'import json, sys
from openapi_spec_validator import validate
doc = json.load(sys.stdin); validate(doc)
print("openapi.json is valid OpenAPI", doc["openapi"], "with", len(doc["paths"]), "paths")'
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -sf "$api$1" -H 'Content-Type: application/json' -H "Authorization: Bearer $2" -d "$3"; }
login() { curl -sf "$api/auth/login" -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}" | json "['access_token']"; }

admin=$(login admin fuzz-admin-password)
org=$(post /orgs "$admin" '{"name":"赤峰市技工学校","kind":"school","region":"红山区"}' | json "['id']")
for role in hr finance inspector; do
  post /users "$admin" "{\"username\":\"$role-1\",\"password\":\"password-123\",\"role\":\"$role\"}" >/dev/null
done
post /users "$admin" "{\"username\":\"unit-1\",\"password\":\"password-123\",\"role\":\"unit\",\"org_id\":\"$org\"}" >/dev/null
hr=$(login hr-1 password-123); finance=$(login finance-1 password-123)
inspector=$(login inspector-1 password-123); unit=$(login unit-1 password-123)
project=$(post /projects "$hr" "{\"kind\":\"base\",\"name\":\"数控技术培训基地\",\"org_id\":\"$org\",\"start_date\":\"2025-03-01\",
  \"fund_source\":\"demonstration_matching\",\"specialties\":[\"数控加工\",\"焊接\",\"工业机器人\"]}" | json "['id']")
post "/projects/$project/disbursements" "$finance" '{"date":"2025-03-10","amount":"200000.00","reference":"赤财教〔2025〕12号"}' >/dev/null
voucher=$(post "/projects/$project/vouchers" "$unit" '{"date":"2025-03-15","summary":"采购实训设备","lines":[
  {"account":"equipment","debit":"1200.00","summary":"采购焊机"},{"account":"1002","credit":"1200.00"}]}' | json "['id']")
post "/projects/$project/vouchers" "$unit" '{"date":"2025-03-18","summary":"研讨会","lines":[
  {"account":"other_training","debit":"800.00","summary":"召开培训工作研讨会餐费"},{"account":"1002","credit":"800.00"}]}' >/dev/null

# Path parameters name the seeded objects, so operations reach past 404.
cat >"$dir/schemathesis.toml" <<TOML
[parameters]
"path.id" = "$project"
"path.vid" = "$voucher"
TOML

status=0
for role in finance hr unit inspector admin; do
  echo "== schemathesis as $role"
  # Run from the temporary directory, so schemathesis keeps its cache there, not in the checkout.
  (cd "$dir" && st --config-file "$dir/schemathesis.toml" run "$api/openapi.json" --url "$api" \
    -H "Authorization: Bearer ${!role}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method \
    --max-examples "$examples" --seed 20261201 --no-color) || status=1
done
if [ $status -ne 0 ]; then
  echo "--- service log (last 50 lines)"; tail -50 "$dir/service.log"
fi
exit $status
