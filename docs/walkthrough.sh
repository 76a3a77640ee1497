#!/usr/bin/env bash
# The walkthrough of docs/API.md as a script: one training base from registration to the recovery
# of its unspent grant, every answer checked.
#
#   FUNDLEDGER_ADMIN_PASSWORD=change-me-now cargo run --release      # in one terminal
#   bash docs/walkthrough.sh                                         # in another
#
# API (default http://127.0.0.1:8080/api/v1) and FUNDLEDGER_ADMIN_PASSWORD (default change-me-now)
# say where the service is and how admin logs in. Safe to run again against the same service: each
# run creates its own organisation, users and project and uses its own Idempotency-Keys, all named
# with the run's suffix RUN (default: the time and this shell's pid).
#
# Needs bash, curl, sed and sha256sum (or shasum). Stops with a non-zero exit at the first answer
# that is not what its step expects, naming the call, the status and the body.
set -euo pipefail

API=${API:-http://127.0.0.1:8080/api/v1}
ADMIN_PASSWORD=${FUNDLEDGER_ADMIN_PASSWORD:-change-me-now}
RUN=${RUN:-$(date +%Y%m%d%H%M%S)-$$}
J='Content-Type: application/json'
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

fail() {
  echo "walkthrough FAILED: $*" >&2
  exit 1
}

# call STATUS METHOD PATH TOKEN [BODY [IDEMPOTENCY_KEY]]: one request, its answer kept in $BODY.
# Any status other than STATUS stops the walkthrough.
call() {
  local want=$1 method=$2 path=$3 token=$4 data=${5-} key=${6-} code
  local args=(-sS --max-time 60 -o "$WORK/body" -w '%{http_code}' -X "$method" "$API$path")
  [ -z "$token" ] || args+=(-H "Authorization: Bearer $token")
  [ -z "$data" ] || args+=(-H "$J" --data-binary "$data")
  [ -z "$key" ] || args+=(-H "Idempotency-Key: $key")
  code=$(curl "${args[@]}") || fail "$method $path: no answer from $API (is the service running?)"
  BODY=$(cat "$WORK/body")
  echo "  $method $path -> $code"
  [ "$code" = "$want" ] || fail "$method $path answered $code, expected $want: $BODY"
}

# show: print the last answer (pretty with jq when it is installed).
show() {
  if command -v jq >/dev/null; then printf '%s\n' "$BODY" | jq . 2>/dev/null || printf '%s\n' "$BODY"; else printf '%s\n' "$BODY"; fi
}

# field NAME: the string value of "NAME" in the last answer (its last occurrence; plain sed, no jq).
field() {
  local value
  value=$(printf '%s' "$BODY" | sed -nE "s/.*\"$1\":\"([^\"]*)\".*/\1/p")
  [ -n "$value" ] || fail "no \"$1\" in the answer: $BODY"
  printf '%s' "$value"
}

# expect TEXT...: every TEXT must appear in the last answer.
expect() {
  local text
  for text in "$@"; do
    case $BODY in *"$text"*) ;; *) fail "expected $text in the answer: $BODY" ;; esac
  done
}

# upload STATUS PATH TOKEN FILE KIND: a document as multipart/form-data, its answer in $BODY.
upload() {
  local want=$1 path=$2 token=$3 file=$4 kind=$5 code
  code=$(curl -sS --max-time 60 -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -F "kind=$kind" -F "file=@$file" "$API$path") || fail "POST $path: no answer from $API"
  BODY=$(cat "$WORK/body")
  echo "  POST $path (multipart) -> $code"
  [ "$code" = "$want" ] || fail "POST $path answered $code, expected $want: $BODY"
}

# download PATH TOKEN FILE CONTENT_TYPE: a download saved to FILE; anything but 200 with that
# Content-Type stops the walkthrough.
download() {
  local path=$1 token=$2 file=$3 want=$4 got
  got=$(curl -sS --max-time 60 -o "$file" -w '%{http_code} %{content_type}' -H "Authorization: Bearer $token" "$API$path") ||
    fail "GET $path: no answer from $API"
  echo "  GET $path -> $got"
  [ "$got" = "200 $want" ] || fail "GET $path answered $got, expected 200 $want"
}

login() {
  call 200 POST /auth/login "" "{\"username\":\"$1\",\"password\":\"$2\"}"
  TOKEN=$(field access_token)
}

step() { printf '\n== %s\n' "$*"; }

step "0. The service answers at $API (run $RUN)"
call 200 GET /health ""
show

step "1. Admin logs in, creates an organisation and one user per role"
login admin "$ADMIN_PASSWORD"
ADMIN=$TOKEN
call 201 POST /orgs "$ADMIN" "{\"name\":\"赤峰市高级技工学校 $RUN\",\"kind\":\"school\",\"region\":\"红山区\"}"
show
ORG=$(field id)
for role in hr finance inspector; do
  call 201 POST /users "$ADMIN" "{\"username\":\"$role-$RUN\",\"password\":\"password-123\",\"role\":\"$role\"}"
done
call 201 POST /users "$ADMIN" "{\"username\":\"unit-$RUN\",\"password\":\"password-123\",\"role\":\"unit\",\"org_id\":\"$ORG\"}"
login "hr-$RUN" password-123
HR=$TOKEN
login "finance-$RUN" password-123
FIN=$TOKEN
login "inspector-$RUN" password-123
INSP=$TOKEN
login "unit-$RUN" password-123
UNIT=$TOKEN

step "2. HR registers a training base: grant, period and chart of accounts come with it"
call 201 POST /projects "$HR" "{\"kind\":\"base\",\"name\":\"数控技术高技能人才培训基地\",\"org_id\":\"$ORG\",
  \"start_date\":\"2025-03-01\",\"fund_source\":\"demonstration_matching\",\"specialties\":[\"数控加工\",\"焊接\",\"工业机器人\"]}"
expect '"grant":"500000.00"' '"end_date":"2027-02-28"' '"status":"active"'
P=$(field id)
echo "  project $P: grant 500000.00, 2025-03-01 to 2027-02-28"

step "3. Finance disburses 200,000.00; the same request with the same Idempotency-Key posts nothing new"
DISBURSEMENT='{"date":"2025-03-10","amount":"200000.00","reference":"赤财教〔2025〕12号"}'
call 201 POST "/projects/$P/disbursements" "$FIN" "$DISBURSEMENT" "disb-$RUN"
show
FIRST=$(field id)
call 201 POST "/projects/$P/disbursements" "$FIN" "$DISBURSEMENT" "disb-$RUN"
[ "$(field id)" = "$FIRST" ] || fail "the repeated disbursement posted a second voucher: $BODY"
echo "  the repeat answered the same voucher $FIRST"

step "4. The unit buys equipment: classified allowed, posted with the next number"
call 201 POST "/projects/$P/vouchers" "$UNIT" '{"date":"2025-03-15","summary":"采购实训设备","attachments":2,"lines":[
  {"account":"equipment","debit":"120000.00","summary":"采购工业机器人实训工作站2套"},
  {"account":"1002","credit":"120000.00","summary":"银行付款"}]}'
expect '"status":"posted"' '"number":3' '"verdict":"allowed"'
show
E=$(field id)
# Its receipt, a PDF. Made here with the run's name in it, so each run's receipt is a new document:
# the same file on a second voucher would be 409 duplicate_document.
printf '%%PDF-1.4\n%% receipt for the walkthrough run %s\n%%%%EOF\n' "$RUN" > "$WORK/receipt.pdf"
upload 201 "/projects/$P/vouchers/$E/attachments" "$UNIT" "$WORK/receipt.pdf" receipt
expect '"content_type":"application/pdf"' '"kind":"receipt"' '"filename":"receipt.pdf"'
RECEIPT=$(field id)
show
download "/projects/$P/vouchers/$E/attachments/$RECEIPT" "$INSP" "$WORK/receipt-back.pdf" application/pdf
cmp -s "$WORK/receipt.pdf" "$WORK/receipt-back.pdf" || fail "the downloaded receipt differs from the one uploaded"
echo "  the inspector's download is the uploaded receipt, byte for byte"

step "5. A train ticket is travel (差旅): 422 voucher_rejected, nothing posted, the attempt audited"
call 422 POST "/projects/$P/vouchers" "$UNIT" '{"date":"2025-03-16","summary":"报销","lines":[
  {"account":"teacher_training","debit":"560.00","summary":"教师参加研修班往返动车票"},
  {"account":"1002","credit":"560.00"}]}'
expect '"code":"voucher_rejected"' '"code":"travel_expense"'
show

step "6. A meal bill is unclear: pending_review, its money reserved; finance approves it"
call 201 POST "/projects/$P/vouchers" "$UNIT" '{"date":"2025-03-18","summary":"研讨会","lines":[
  {"account":"other_training","debit":"800.00","summary":"召开培训工作研讨会餐费"},
  {"account":"1002","credit":"800.00"}]}'
expect '"status":"pending_review"' '"reserved":"800.00"' '"number":null'
V=$(field id)
call 200 GET /reviews "$FIN"
expect "\"id\":\"$V\""
echo "  voucher $V waits in the review queue"
call 200 POST "/projects/$P/vouchers/$V/approve" "$FIN" '{"note":"符合会议费标准"}'
expect '"status":"posted"' '"number":4' '"outcome":"approved"'
show

step "7. A mistake is corrected by a red-ink reversal (posted vouchers are never edited)"
call 201 POST "/projects/$P/vouchers" "$UNIT" '{"date":"2025-03-20","summary":"耗材","lines":[
  {"account":"materials","debit":"300.00","summary":"购买焊条"},{"account":"1002","credit":"300.00"}]}'
W=$(field id)
call 201 POST "/projects/$P/vouchers/$W/reverse" "$UNIT" '{"date":"2025-03-21","reason":"重复报销"}'
expect '"kind":"reversal"' "\"reverses_id\":\"$W\""
show

step "8. The statement, the trial balance and the bank account's ledger"
call 200 GET "/projects/$P/statement" "$FIN"
expect '"implemented":"120800.00"' '"bank_balance":"79200.00"' '"utilization":"0.2416"'
show
call 200 GET "/projects/$P/trial-balance" "$INSP"
expect '"balanced":true'
echo "  balanced: true"
call 200 GET "/projects/$P/ledger?account=1002" "$INSP"
expect '"closing_balance":"79200.00"'
show
download "/projects/$P/statement?format=xlsx" "$FIN" "$WORK/statement.xlsx" application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
[ "$(head -c 2 "$WORK/statement.xlsx")" = PK ] || fail "the statement workbook is not an xlsx (zip) file"
echo "  the statement as an Excel workbook: $(wc -c < "$WORK/statement.xlsx") bytes"

step "9. The inspector verifies the audit trail and the stored receipt, then re-checks the first event's hash with sha256"
call 200 GET "/projects/$P/audit-trail/verify?documents=true" "$INSP"
expect '"valid":true' '"checked":1' '"changed":[]'
show
call 200 GET "/projects/$P/audit-trail?format=jsonl" "$INSP"
# The first event: sha256 of its canonical text is its hash (with jq: jq -j .canonical | sha256sum).
FIRST_EVENT=$(head -n 1 "$WORK/body")
CANONICAL=$(printf '%s' "$FIRST_EVENT" | sed -E 's/.*"canonical":"(([^"\\]|\\.)*)".*/\1/; s/\\"/"/g')
if command -v sha256sum >/dev/null; then SHA=(sha256sum); else SHA=(shasum -a 256); fi
COMPUTED=$(printf '%s' "$CANONICAL" | "${SHA[@]}" | cut -d' ' -f1)
RECORDED=$(printf '%s' "$FIRST_EVENT" | sed -E 's/.*"hash":"([0-9a-f]{64})".*/\1/')
echo "  computed $COMPUTED"
echo "  recorded $RECORDED"
[ "$COMPUTED" = "$RECORDED" ] || fail "the first event's hash does not match its canonical text"

step "10. HR cancels the project; finance recovers what was not spent; the unit remits it"
call 200 POST "/projects/$P/status" "$HR" '{"status":"cancelled","reason":"建设单位注销"}'
expect '"status":"cancelled"'
call 200 GET "/projects/$P/recoverable" "$FIN"
expect '"recoverable":"379200.00"' '"undisbursed":"300000.00"' '"to_remit":"79200.00"'
show
call 201 POST "/projects/$P/recovery" "$FIN" '{"date":"2025-04-01","reason":"cancelled","note":"单位注销，收回未实施资金"}'
expect '"status":"closed"'
TO_REMIT=$(field to_remit)
call 201 POST "/projects/$P/remittances" "$UNIT" "{\"date\":\"2025-04-05\",\"amount\":\"$TO_REMIT\",\"reference\":\"缴款书0001\"}"
call 200 GET "/projects/$P/balances" "$INSP"
show
call 200 GET "/projects/$P/statement" "$INSP"
expect '"bank_balance":"0.00"' '"undisbursed":"0.00"' '"owed_to_finance":"0.00"' '"implemented":"120800.00"' '"recovered":"379200.00"'

printf '\nwalkthrough %s: every step answered as expected; 120800.00 was implemented and 379200.00 went back.\n' "$RUN"
