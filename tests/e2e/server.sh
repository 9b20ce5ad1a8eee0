#!/bin/sh
# e2e: `sanbao serve` (src/server/, docs/api.md) over real HTTP on loopback.
# The script starts the server on a fresh ledger holding the registry of the
# golden case basics, and stops it with SIGTERM at the end.
#  - every row of basics/claims.csv is posted in file order (settlements to
#    POST /v1/settlements, rows with `reverses` to .../{id}/reversal): each
#    answer's status code and docs/reference/formats.md §4 columns equal what the ledger
#    gives the same rows imported one file per row (`db import-claims`), and
#    what `sanbao settle` prints for the file (a ledger names a claim id it
#    already holds with other content CONFLICT where the batch says
#    DUPLICATE_CLAIM); the server ledger's export equals both;
#  - GET /v1/settlements/{id} (200, 404), balance and alerts (equal to `db
#    balance` and `db alerts`), /healthz, /metrics (counters move);
#  - the auth matrix: no token, a wrong token, a malformed header (401 with a
#    JSON body); another hospital's claim read, reversed or reused (403); a
#    hospital asking balances or alerts, an admin settling (403); the admin
#    reads every settlement;
#  - an identical retry is 200 "replayed" with the same amounts, the same id
#    with another body 409 CONFLICT; a reversal is 201 "reversed" with the
#    negated amounts, a second reversal 422 ALREADY_REVERSED;
#  - a presettlement answers like a settlement and writes nothing;
#  - each 4xx: 400 naming the field (non-JSON, not an object, unknown field,
#    a number, a missing field, `reverses` in a settlement, a body on a GET,
#    bad query values), 404, 405 (with Allow), 413 (Content-Length and
#    chunked);
#  - ?explain=1 adds the explanation;
#  - with --access-log, stderr holds no token text and no person or claim id;
#  - a claim imported from a file while serving is the admin's only; ids in
#    the path are percent-decoded; HEAD works;
#  - SIGTERM stops it with exit 0, and the final ledger equals the one-row
#    imports of every claim the server answered, in the same order;
#  - a second server: --max-body 256, --threads 1, --timeout 1 (a body that
#    stops coming is dropped after about a second).
# Usage: sh server.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
# shellcheck source-path=SCRIPTDIR source=lib/server.sh
. "$(dirname "$0")/lib/server.sh"
srvpid=
# replaces common.sh's EXIT trap: a server still running is killed first
trap '[ -n "$srvpid" ] && kill -KILL "$srvpid" 2>/dev/null; store_cleanup; rm -rf "$work"' EXIT
case_dir=$root/tests/golden/basics
policy=$case_dir/policy-2022.json
TAB=$(printf '\t')
HDR=claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses
if ! command -v curl >/dev/null 2>&1; then
  skip "no curl: the server is not tested"
  finish
fi
if [ "$store" = sqlite ] && command -v sqlite3 >/dev/null 2>&1; then have_sqlite=1; else
  have_sqlite=0
  if [ "$store" = pg ]; then echo "NOTE: PostgreSQL: PRAGMA integrity_check (SQLite's) is skipped"
  else echo "NOTE: no sqlite3 command-line tool: PRAGMA integrity_check is skipped"; fi
fi

# ---- helpers -------------------------------------------------------------------

# A claims CSV row (docs/reference/formats.md §3; quoted fields allowed, no newline inside
# one) to "KIND<TAB>TARGET<TAB>JSON": KIND s (a settlement: the columns but
# reverses, the optional ones only when not empty) or r (a reversal of TARGET:
# claim_id, person_id, date; TARGET is - for a settlement); BAD when the
# row cannot be sent as it is.
# shellcheck disable=SC2016  # an awk program
TOJSON='
function parse(line,   n, i, c, f, q, len) {
  n = 0; f = ""; q = 0; len = length(line)
  for (i = 1; i <= len; i++) {
    c = substr(line, i, 1)
    if (q) {
      if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { f = f c; i++ } else q = 0 }
      else f = f c
    } else if (c == "\"") q = 1
    else if (c == ",") { fld[++n] = f; f = "" }
    else f = f c
  }
  fld[++n] = f
  return q ? -1 : n
}
function js(s) {
  gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, "\\t", s)
  return "\"" s "\""
}
BEGIN {
  split("claim_id person_id date visit_type level medfee_sumamt fulamt_ownpay_amt overlmt_selfpay preselfpay_amt reverses", name, " ")
}
/^claim_id,/ { next }
{
  sub(/\r$/, "")
  if (parse($0) != 10) { print "BAD\t-\t" $0; next }
  if (fld[10] != "") {
    for (k = 4; k <= 9; k++) if (fld[k] != "") { print "BAD\t-\t" $0; next }
    printf "r\t%s\t{%s:%s,%s:%s,%s:%s}\n", fld[10], js(name[1]), js(fld[1]), js(name[2]), js(fld[2]), js(name[3]), js(fld[3])
    next
  }
  o = ""
  for (k = 1; k <= 9; k++)
    if (k <= 6 || fld[k] != "") o = o (o == "" ? "" : ",") js(name[k]) ":" js(fld[k])
  printf "s\t-\t{%s}\n", o
}'

# A JSON answer about one claim (one line) to its docs/reference/formats.md §4 row: the
# top-level keys come before "balance" and "trace", so the first occurrence
# of a key is the top-level one; null is an empty field.  An answer without
# "status" (an error) becomes "ERROR <its text>".
# shellcheck disable=SC2016  # an awk program
TOROW=$ANSWER_AWK'
function csv(s) {
  if (s ~ /[,"]/) { gsub(/"/, "\"\"", s); s = "\"" s "\"" }
  return s
}
{
  if (get($0, "status") == "\001") { print "ERROR " $0; next }
  o = ""
  for (k = 1; k <= n; k++) o = o (k > 1 ? "," : "") csv(get($0, col[k]))
  print o
}'

# req METHOD PATH TOKEN [BODY [CURL-ARGS...]]: the answer in $work/resp.json,
# its status in $code; TOKEN - sends no Authorization header
req() {
  _m=$1 _path=$2 _tok=$3
  shift 3
  set -- -s -m 30 -o "$work/resp.json" -D "$work/resp.hdr" -w '%{http_code}' -X "$_m" \
    -H 'Content-Type: application/json' "$@"
  if [ "$_tok" != - ]; then set -- -H "Authorization: Bearer $_tok" "$@"; fi
  code=$(curl "$@" "$base$_path")
}

# post METHOD PATH TOKEN BODY [CURL-ARGS...]
post() {
  _m=$1 _path=$2 _tok=$3 _body=$4
  shift 4
  req "$_m" "$_path" "$_tok" --data-binary "$_body" "$@"
}

# expect_error NAME CODE ERROR [FIELD]: an error answer, its JSON naming ERROR (and FIELD)
expect_error() {
  expect_code "$1" "$2" || return 0
  same_text "$1: error" "$3" "$(jget error)"
  if [ "$#" -ge 4 ]; then same_text "$1: field" "$4" "$(jget field)"; fi
  contains "$1: content type" "$work/resp.hdr" "application/json"
}

# row_of FILE: the docs/reference/formats.md §4 row of a JSON answer
row_of() { awk "$TOROW" "$1"; }

# post_row NAME TOKEN CSVROW WANT [ROUTE [QUERY]]: sends a claims row as the
# API takes it (ROUTE settlements or presettlements); every row the ledger
# answers (200, 201, 409, 422) on the writing routes is appended to
# $work/sent.csv, in the order sent, for the final comparison.
post_row() {
  _pr_n=$1 _pr_tok=$2 _pr_row=$3 _pr_want=$4 _pr_route=${5:-settlements} _pr_q=${6:-}
  _pr_l=$(printf '%s\n' "$_pr_row" | awk "$TOJSON")
  IFS=$TAB read -r _pr_kind _pr_target _pr_json <<EOF
$_pr_l
EOF
  case $_pr_kind in
    s) post POST "/v1/$_pr_route$_pr_q" "$_pr_tok" "$_pr_json" ;;
    r) post POST "/v1/settlements/$_pr_target/reversal$_pr_q" "$_pr_tok" "$_pr_json" ;;
    *) bad "$_pr_n: cannot send the row $_pr_row"; return 1 ;;
  esac
  if [ "$_pr_route" = settlements ]; then
    case $code in 200 | 201 | 409 | 422) printf '%s\n' "$_pr_row" >>"$work/sent.csv" ;; esac
  fi
  expect_code "$_pr_n" "$_pr_want"
}

# one_row_ledger DB ROWS: a fresh ledger with basics' registry and policy,
# each line of ROWS imported as its own claims file, in order
one_row_ledger() {
  db_reset "$1"
  if ! { "$bin" db init --db "$1" && "$bin" db add-policy --db "$1" "$policy" &&
    "$bin" db import-persons --db "$1" --persons "$case_dir/persons.csv"; } 2>/dev/null; then
    bad "reference ledger $1: cannot make it"
    return 1
  fi
  _k=0
  while IFS= read -r _line || [ -n "$_line" ]; do
    _k=$((_k + 1))
    printf '%s\n%s\n' "$HDR" "$_line" >"$work/one.csv"
    "$bin" db import-claims --db "$1" --claims "$work/one.csv" >/dev/null 2>"$work/err.txt"
    _rc=$?
    if [ "$_rc" -gt 1 ]; then bad "reference import of row $_k exited $_rc: $_line"; sed 's/^/    /' "$work/err.txt" | head -3; fi
  done <"$2"
  return 0
}

# ---- a ledger over basics, tokens, the server -------------------------------------

db=$work/ledger.db
if ! { "$bin" db init --db "$db" && "$bin" db import-persons --db "$db" --persons "$case_dir/persons.csv"; } 2>"$work/err.txt"; then
  bad "db init / import-persons"; sed 's/^/    /' "$work/err.txt"; finish
fi
run tokens add --file "$work/tokens" --institution H1 --role hospital
expect_rc "tokens add H1" 0
h1=$(cat "$work/out.txt")
run tokens add --file "$work/tokens" --institution H2 --role hospital
expect_rc "tokens add H2" 0
h2=$(cat "$work/out.txt")
run tokens add --file "$work/tokens" --institution BUREAU --role admin
expect_rc "tokens add admin" 0
adm=$(cat "$work/out.txt")
for _t in "$h1" "$h2" "$adm"; do
  case $_t in sbt_*) ok ;; *) bad "tokens add printed '$_t', not a token" ;; esac
  if grep -F -q -- "${_t#sbt_}" "$work/tokens"; then bad "the tokens file holds token text"; else ok; fi
done
: >"$work/sent.csv"
start_server "$db" "$work/server.log" --access-log

# ---- basics, row by row, in file order --------------------------------------------

"$bin" settle --policy "$policy" --persons "$case_dir/persons.csv" --claims "$case_dir/claims.csv" \
  --out "$work/batch.csv" --quiet 2>"$work/err.txt"
rc=$?
expect_rc "settle basics" 0 1
# the ledger's name for a claim id it already holds with other content
sed 's/,rejected,DUPLICATE_CLAIM,/,rejected,CONFLICT,/' "$work/batch.csv" >"$work/batch-ledger.csv"
awk 'NR > 1' "$case_dir/claims.csv" >"$work/golden-rows.csv"
: >"$work/answers.csv"
i=0
while IFS= read -r row || [ -n "$row" ]; do
  i=$((i + 1))
  want=$(sed -n "$((i + 1))p" "$work/batch-ledger.csv")
  case $want in
    *,settled,* | *,reversed,*) wc=201 ;;
    *,rejected,CONFLICT,* | *,rejected,DUPLICATE_CLAIM,*) wc=409 ;;
    *) wc=422 ;;
  esac
  post_row "basics row $i (${row%%,*})" "$h1" "$row" "$wc"
  got=$(row_of "$work/resp.json")
  printf '%s\n' "$got" >>"$work/answers.csv"
  same_text "basics row $i: the answer as a §4 row" "$want" "$got"
done <"$work/golden-rows.csv"
cp "$work/sent.csv" "$work/golden-sent.csv"
# the answers, the server ledger and the one-row imports agree
"$bin" db export-settlements --db "$db" --out "$work/srv-basics.csv" 2>"$work/err.txt"
rc=$?
expect_rc "export-settlements while serving" 0
one_row_ledger "$work/ref-basics.db" "$work/golden-rows.csv"
"$bin" db export-settlements --db "$work/ref-basics.db" --out "$work/ref-basics.csv" 2>/dev/null
same_file "server ledger = one-row imports in arrival order" "$work/ref-basics.csv" "$work/srv-basics.csv"
same_file "server ledger = settle (CONFLICT for DUPLICATE_CLAIM)" "$work/batch-ledger.csv" "$work/srv-basics.csv"
awk 'NR > 1' "$work/srv-basics.csv" >"$work/srv-basics-rows.csv"
same_file "answers = server ledger rows" "$work/srv-basics-rows.csv" "$work/answers.csv"
if cmp -s "$work/batch.csv" "$case_dir/expected-settlements.csv"; then ok; else
  bad "settle basics differs from expected-settlements.csv (see tests/golden)"
fi
"$bin" db alerts --db "$db" --out "$work/srv-alerts.csv" 2>/dev/null
same_file "alerts of the served claims" "$case_dir/expected-alerts.csv" "$work/srv-alerts.csv"

# ---- GET /v1/settlements/{id} ----------------------------------------------------

exp_row() { awk -F, -v id="$1" '$1 == id { print; exit }' "$work/srv-basics.csv"; }
req GET /v1/settlements/A1-01 "$h1"
expect_code "GET own settlement" 200
same_text "GET A1-01 as a §4 row" "$(exp_row A1-01)" "$(row_of "$work/resp.json")"
same_text "GET A1-01 institution" H1 "$(jget institution)"
same_text "GET A1-01 reversed_later" false "$(jget reversed_later)"
req GET /v1/settlements/A1-02 "$h1"
expect_code "GET reversed settlement" 200
same_text "GET A1-02 reversed_later" true "$(jget reversed_later)"
req GET /v1/settlements/A1-R2 "$h1"
expect_code "GET reversal" 200
same_text "GET A1-R2 as a §4 row" "$(exp_row A1-R2)" "$(row_of "$work/resp.json")"
req GET /v1/settlements/A1-01 "$adm"
expect_code "admin GETs a hospital's settlement" 200
same_text "admin GET A1-01 as a §4 row" "$(exp_row A1-01)" "$(row_of "$work/resp.json")"
req GET /v1/settlements/A1-01 "$h2"
expect_error "H2 GETs H1's settlement" 403 forbidden
req GET /v1/settlements/NOPE "$h1"
expect_error "GET unknown claim id" 404 not_found
req GET /v1/settlements/A1-01 -
expect_error "GET without a token" 401 unauthorized
contains "401 names the scheme" "$work/resp.hdr" "WWW-Authenticate: Bearer"
req GET /v1/settlements/A1-01 sbt_0000000000000000000000000000000000000000000000000000000000000000
expect_error "GET with a wrong token" 401 unauthorized
req GET /v1/settlements/A1-01 - -H "Authorization: Basic $h1"
expect_error "GET with a non-Bearer Authorization" 401 unauthorized
req GET /v1/settlements/A1-01 "${h1}x"
expect_error "GET with a token plus a byte" 401 unauthorized

# ---- balance and alerts ------------------------------------------------------------

"$bin" db balance --db "$db" --person A1 --year 2022 >"$work/balance.txt" 2>&1
cli() { awk -v l="$1" 'index($0, l) == 1 { v = $NF; gsub(",", "", v); print v; exit }' "$work/balance.txt"; }
req GET "/v1/persons/A1/balance?year=2022" "$adm"
expect_code "admin GETs a balance" 200
same_text "balance psn_ytd = db balance" "$(cli "personal burden")" "$(jget psn_ytd)"
same_text "balance hifp_ytd = db balance" "$(cli "basic fund paid")" "$(jget hifp_ytd)"
same_text "balance ci_paid = db balance" "$(cli "critical illness paid")" "$(jget ci_paid)"
same_text "balance dedc_ytd = db balance" "$(cli "deductibles charged")" "$(jget dedc_ytd)"
same_text "balance category" general "$(jget category)"
req GET "/v1/persons/A1/balance?year=2022" "$h1"
expect_error "hospital GETs a balance" 403 forbidden
req GET "/v1/persons/A1/balance?year=2022" -
expect_error "balance without a token" 401 unauthorized
req GET "/v1/persons/A1/balance" "$adm"
expect_error "balance without ?year" 400 bad_request year
req GET "/v1/persons/A1/balance?year=22x" "$adm"
expect_error "balance with a bad year" 400 bad_request year
req GET "/v1/persons/NOBODY/balance?year=2022" "$adm"
expect_error "balance of an unknown person" 404 not_found

req GET "/v1/alerts?since=2022-01-01&limit=10" "$adm"
expect_code "admin GETs alerts" 200
same_text "alerts count = db alerts" "$(($(wc -l <"$work/srv-alerts.csv") - 1))" "$(jget count)"
same_text "alert claim" "$(awk -F, 'NR == 2 { print $4 }' "$work/srv-alerts.csv")" "$(jget claim_id)"
same_text "alert rule" "$(awk -F, 'NR == 2 { print $3 }' "$work/srv-alerts.csv")" "$(jget rule)"
same_text "alert psn_ytd" "$(awk -F, 'NR == 2 { print $6 }' "$work/srv-alerts.csv")" "$(jget psn_ytd)"
req GET "/v1/alerts?since=2022-02-02" "$adm"
expect_code "alerts since after the last" 200
same_text "alerts since after the last: none" 0 "$(jget count)"
req GET "/v1/alerts?since=2022-01-01&limit=10" "$h1"
expect_error "hospital GETs alerts" 403 forbidden
req GET "/v1/alerts?after=0" "$adm"
expect_code "alerts after=0" 200
same_text "alerts after=0: all" "$(($(wc -l <"$work/srv-alerts.csv") - 1))" "$(jget count)"
next_after=$(jget next_after)
case $next_after in '' | *[!0-9]*) bad "alerts: next_after '$next_after' is not a number" ;; *) ok ;; esac
req GET "/v1/alerts?after=${next_after:-0}" "$adm"
expect_code "alerts after next_after" 200
same_text "alerts after next_after: none" 0 "$(jget count)"
same_text "alerts after next_after: next_after stays" "$next_after" "$(jget next_after)"
req GET "/v1/alerts?after=x" "$adm"
expect_error "alerts with a bad after" 400 bad_request after
req GET "/v1/alerts?since=2022-13-01" "$adm"
expect_error "alerts with a bad since" 400 bad_request since
req GET "/v1/alerts?limit=0" "$adm"
expect_error "alerts with limit 0" 400 bad_request limit

# ---- healthz, metrics, 404, 405 ---------------------------------------------------------

req GET /healthz -
expect_code "healthz without a token" 200
same_text "healthz status" ok "$(jget status)"
req GET /metrics -
expect_code "metrics without a token" 200
contains "metrics content type" "$work/resp.hdr" "text/plain"
contains "metrics: a TYPE line" "$work/resp.json" "# TYPE sanbao_http_requests_total counter"
contains "metrics: the basics 201s" "$work/resp.json" 'sanbao_http_requests_total{route="/v1/settlements",code="201"}'
req GET /v2/nothing "$h1"
expect_error "unknown route" 404 not_found
req GET /v1/settlements "$h1"
expect_error "GET /v1/settlements" 405 method_not_allowed
contains "405 Allow POST" "$work/resp.hdr" "Allow: POST"
post POST /healthz - '{}'
expect_error "POST /healthz" 405 method_not_allowed
contains "405 Allow GET" "$work/resp.hdr" "Allow: GET"
req DELETE /v1/settlements/A1-01 "$h1"
expect_error "DELETE a settlement" 405 method_not_allowed

# ---- settling: retries, 409, presettlement, auth -----------------------------------

row_new="A1-07,A1,2022-06-01,inpatient,grade2,12000.00,500.00,100.00,50.00,"
settled0=$(metric 'sanbao_claims_total{outcome="settled"}')
replayed0=$(metric 'sanbao_claims_total{outcome="replayed"}')
s201_0=$(metric 'sanbao_http_requests_total{route="/v1/settlements",code="201"}')
"$bin" db export-settlements --db "$db" --out "$work/before-pre.csv" 2>/dev/null
post_row "presettle A1-07 (200: nothing created)" "$h1" "$row_new" 200 presettlements
cp "$work/resp.json" "$work/pre.json"
same_text "presettlement status" presettled "$(jget status)"
"$bin" db export-settlements --db "$db" --out "$work/after-pre.csv" 2>/dev/null
same_file "presettlement writes nothing" "$work/before-pre.csv" "$work/after-pre.csv"
req GET /v1/settlements/A1-07 "$h1"
expect_code "GET a presettled claim" 404
post_row "presettle A1-07 again" "$h1" "$row_new" 200 presettlements
same_text "presettlement twice: same answer" "$(row_of "$work/pre.json")" "$(row_of "$work/resp.json")"
same_text "presettlement: not a replay" false "$(jget replayed)"
contains "presettlement: the trace" "$work/resp.json" '"trace":[{"step":"inscp"'
same_text "presettle counts no outcome" "$settled0" "$(metric 'sanbao_claims_total{outcome="settled"}')"

post_row "settle A1-07" "$h1" "$row_new" 201 settlements "?explain=1"
cp "$work/resp.json" "$work/a107.json"
same_text "settle = presettle (but the status)" "$(row_of "$work/pre.json" | sed 's/,presettled,/,settled,/')" "$(row_of "$work/a107.json")"
same_text "settle A1-07 replayed" false "$(jget replayed)"
contains "?explain=1 gives the explanation" "$work/a107.json" '"explanation":"理赔 Claim A1-07'
contains "the answer has the balance" "$work/a107.json" '"balance":{"year":2022'
contains "the answer has the trace" "$work/a107.json" '"trace":[{"step":"inscp"'
same_text "settled outcome +1" "$((settled0 + 1))" "$(metric 'sanbao_claims_total{outcome="settled"}')"
same_text "201 counter +1" "$((s201_0 + 1))" "$(metric 'sanbao_http_requests_total{route="/v1/settlements",code="201"}')"
post_row "retry A1-07" "$h1" "$row_new" 200
same_text "retry replayed" true "$(jget replayed)"
same_text "retry: same amounts" "$(row_of "$work/a107.json")" "$(row_of "$work/resp.json")"
if grep -q '"explanation"' "$work/resp.json"; then bad "an answer without ?explain has an explanation"; else ok; fi
same_text "replayed outcome +1" "$((replayed0 + 1))" "$(metric 'sanbao_claims_total{outcome="replayed"}')"
post_row "retry A1-07 again" "$h1" "$row_new" 200
same_text "second retry: same amounts" "$(row_of "$work/a107.json")" "$(row_of "$work/resp.json")"
post_row "A1-07 with another amount" "$h1" "A1-07,A1,2022-06-01,inpatient,grade2,12000.01,500.00,100.00,50.00," 409
same_text "409 status" rejected "$(jget status)"
same_text "409 reason" CONFLICT "$(jget reason)"
post_row "presettle the settled A1-07" "$h1" "$row_new" 200 presettlements
same_text "presettle the settled A1-07: replayed" true "$(jget replayed)"
same_text "presettle the settled A1-07: same amounts" "$(row_of "$work/a107.json")" "$(row_of "$work/resp.json")"
post_row "A1-07 as a presettlement with another amount" "$h1" "A1-07,A1,2022-06-01,inpatient,grade2,1.00,,,," 409 presettlements
same_text "presettle 409 reason" CONFLICT "$(jget reason)"
req GET /v1/settlements/A1-07 "$h1"
same_text "after the conflicts, A1-07 is as settled" "$(row_of "$work/a107.json")" "$(row_of "$work/resp.json")"

post_row "H2 reuses H1's claim id" "$h2" "$row_new" 403
same_text "403 error" forbidden "$(jget error)"
post_row "admin settles" "$adm" "A1-08,A1,2022-06-02,outpatient,primary,50,,,," 403
same_text "admin settle: forbidden" forbidden "$(jget error)"
post_row "settle without a token" - "A1-08,A1,2022-06-02,outpatient,primary,50,,,," 401
same_text "401 error" unauthorized "$(jget error)"
post_row "settle with a wrong token" "$adm$h1" "A1-08,A1,2022-06-02,outpatient,primary,50,,,," 401
req GET /v1/settlements/A1-08 "$adm"
expect_code "refused settlements are not stored" 404
post_row "H2 settles for A2" "$h2" "A2-03,A2,2022-09-01,outpatient,primary,80.00,,,," 201
cp "$work/resp.json" "$work/a203.json"
req GET /v1/settlements/A2-03 "$h1"
expect_error "H1 GETs H2's settlement" 403 forbidden
req GET /v1/settlements/A2-03 "$h2"
expect_code "H2 GETs its settlement" 200
same_text "H2 GET institution" H2 "$(jget institution)"
req GET /v1/settlements/A2-03 "$adm"
expect_code "admin GETs H2's settlement" 200

# a claim imported from a file belongs to no hospital: only the admin reads it
printf '%s\n%s\n' "$HDR" "F-01,A3,2022-09-01,outpatient,primary,20.00,,,," >"$work/f.csv"
"$bin" db import-claims --db "$db" --claims "$work/f.csv" >/dev/null 2>"$work/err.txt"
rc=$?
expect_rc "import-claims while the server runs" 0
sed -n 2p "$work/f.csv" >>"$work/sent.csv"
req GET /v1/settlements/F-01 "$h1"
expect_error "H1 GETs a file import's claim" 403 forbidden
req GET /v1/settlements/F-01 "$adm"
expect_code "admin GETs a file import's claim" 200
same_text "a file import's claim: institution" null "$(jget institution)"
"$bin" db export-settlements --db "$db" --out "$work/now.csv" 2>/dev/null
same_text "a file import's claim = its ledger row" "$(awk -F, '$1 == "F-01"' "$work/now.csv")" "$(row_of "$work/resp.json")"
post_row "H1 reverses a file import's claim" "$h1" "F-R1,A3,2022-09-02,,,,,,,F-01" 403
post_row "H1 reuses a file import's claim id" "$h1" "F-01,A3,2022-09-01,outpatient,primary,20.00,,,," 403

# ids in the path are percent-decoded; the scheme's case and spaces around the token do not matter
post_row "a claim id with a slash" "$h1" "A1/10,A1,2022-06-20,outpatient,primary,10.00,,,," 201
req GET /v1/settlements/A1%2F10 "$h1"
expect_code "GET a percent-encoded claim id" 200
same_text "GET A1%2F10: the claim id" "A1/10" "$(jget claim_id)"
req GET /v1/settlements/A1%2F10 - -H "Authorization: bearer   $h1  "
expect_code "lower-case bearer, spaces around the token" 200
post POST /v1/settlements/A1%2F10/reversal "$h1" '{"claim_id":"A1/10-R","person_id":"A1","date":"2022-06-21"}'
expect_code "reverse a percent-encoded claim id" 201
[ "$code" = 201 ] && echo "A1/10-R,A1,2022-06-21,,,,,,,A1/10" >>"$work/sent.csv"
same_text "reversal of A1/10: status" reversed "$(jget status)"
curl -s -m 30 -I -H "Authorization: Bearer $h1" "$base/v1/settlements/A1-01" >"$work/head.txt"
contains "HEAD a settlement" "$work/head.txt" "HTTP/1.1 200"

# a docs/reference/settlement.md rejection is 422 with the §4 row
post_row "422 BAD_AMOUNT" "$h1" "A1-09,A1,2022-06-03,outpatient,primary,12.345,,,," 422
same_text "422 reason" BAD_AMOUNT "$(jget reason)"
same_text "422 status" rejected "$(jget status)"
same_text "422 amounts are null" null "$(awk '{ i = index($0, "\"hifp_pay\":"); print substr($0, i + 11, 4) }' "$work/resp.json")"
same_text "422 names the field" medfee_sumamt "$(jget field)"
contains "422 says why" "$work/resp.json" '"message":"medfee_sumamt: empty, not an amount, or above 10000000000.00"'
post_row "422 NOT_INSURED" "$h1" "A5-09,A5,2022-06-03,outpatient,primary,10,,,," 422
same_text "422 NOT_INSURED" NOT_INSURED "$(jget reason)"
same_text "422 NOT_INSURED field" date "$(jget field)"
contains "422 NOT_INSURED says why" "$work/resp.json" '"message":"no category interval of the person covers the date'
post_row "422 a bad level" "$h1" "A1-09L,A1,2022-06-03,outpatient,tertiary,10,,,," 422
same_text "422 BAD_LEVEL field" level "$(jget field)"

# ---- reversal -------------------------------------------------------------------------

negate() { # a §4 row's amounts, negated (0.00 stays 0.00)
  awk -F, -v OFS=, '{ for (k = 7; k <= 17; k++) if ($k != "0.00") $k = ($k ~ /^-/) ? substr($k, 2) : "-" $k; print }'
}
amounts() { cut -d, -f6-17; }
post_row "H2 reverses H1's A1-07" "$h2" "A1-R7X,A1,2022-06-05,,,,,,,A1-07" 403
same_text "reversal 403 error" forbidden "$(jget error)"
post_row "reverse A1-07" "$h1" "A1-R7,A1,2022-06-05,,,,,,,A1-07" 201
cp "$work/resp.json" "$work/r7.json"
same_text "reversal status" reversed "$(jget status)"
same_text "reversal: negated amounts" "$(row_of "$work/a107.json" | negate | amounts)" "$(row_of "$work/r7.json" | amounts)"
post_row "retry the reversal" "$h1" "A1-R7,A1,2022-06-05,,,,,,,A1-07" 200
same_text "reversal retry replayed" true "$(jget replayed)"
same_text "reversal retry: same amounts" "$(row_of "$work/r7.json")" "$(row_of "$work/resp.json")"
post_row "reverse A1-07 twice" "$h1" "A1-R7b,A1,2022-06-06,,,,,,,A1-07" 422
same_text "second reversal reason" ALREADY_REVERSED "$(jget reason)"
post_row "reverse an unknown claim" "$h1" "A1-R8,A1,2022-06-06,,,,,,,NOPE2" 422
same_text "unknown claim reason" UNKNOWN_CLAIM "$(jget reason)"
req GET /v1/settlements/A1-07 "$h1"
same_text "A1-07 reversed_later" true "$(jget reversed_later)"
req GET /v1/settlements/A1-R7 "$adm"
same_text "GET A1-R7 = its answer" "$(row_of "$work/r7.json")" "$(row_of "$work/resp.json")"
post POST /v1/settlements/A2-03/reversal "$h2" '{"claim_id":"A2-R3","person_id":"A2","date":"2022-09-02","visit_type":"outpatient"}'
expect_error "a reversal body with visit_type" 400 bad_request visit_type
post POST /v1/settlements/A2-03/reversal "$h2" '{"claim_id":"A2-R3","person_id":"A2"}'
expect_error "a reversal body without date" 400 bad_request date
post POST /v1/settlements/A2-03/reversal "$adm" '{"claim_id":"A2-R3","person_id":"A2","date":"2022-09-02"}'
expect_error "admin reverses" 403 forbidden

# ---- 400, 413 ------------------------------------------------------------------------

good='"claim_id":"B-1","person_id":"A1","date":"2022-07-01","visit_type":"outpatient","level":"primary"'
post POST /v1/settlements "$h1" 'claim_id=B-1'
expect_error "a body that is not JSON" 400 bad_request body
post POST /v1/settlements "$h1" '["B-1"]'
expect_error "a JSON array" 400 bad_request body
post POST /v1/settlements "$h1" '"B-1"'
expect_error "a JSON string" 400 bad_request body
post POST /v1/settlements "$h1" ''
expect_error "an empty body" 400 bad_request body
post POST /v1/settlements "$h1" "{$good,\"medfee_sumamt\":\"10\",\"copay\":\"1\"}"
expect_error "an unknown field" 400 bad_request copay
post POST /v1/settlements "$h1" "{$good,\"medfee_sumamt\":10}"
expect_error "a number for an amount" 400 bad_request medfee_sumamt
post POST /v1/settlements "$h1" "{$good,\"medfee_sumamt\":null}"
expect_error "null for an amount" 400 bad_request medfee_sumamt
post POST /v1/settlements "$h1" "{$good,\"medfee_sumamt\":\"10\",\"fulamt_ownpay_amt\":[\"1\"]}"
expect_error "an array for an amount" 400 bad_request fulamt_ownpay_amt
post POST /v1/settlements "$h1" "{$good}"
expect_error "missing medfee_sumamt" 400 bad_request medfee_sumamt
post POST /v1/settlements "$h1" '{"claim_id":"B-1","date":"2022-07-01","visit_type":"outpatient","level":"primary","medfee_sumamt":"1"}'
expect_error "missing person_id" 400 bad_request person_id
post POST /v1/settlements "$h1" "{$good,\"medfee_sumamt\":\"10\",\"reverses\":\"A1-01\"}"
expect_error "reverses in a settlement" 400 bad_request reverses
post POST /v1/settlements "$h1" "{$good,\"medfee_sumamt\":\"10\",\"claim_id\":\"B-2\"}"
expect_error "a repeated key" 400 bad_request
post POST /v1/settlements "$h1" "{$good,\"medfee_sumamt\":\"1\\u00000\"}"
expect_error "a NUL inside a value" 400 bad_request
post POST /v1/presettlements "$h1" "{$good,\"medfee_sumamt\":10}"
expect_error "presettlement: a number" 400 bad_request medfee_sumamt
post GET /v1/settlements/A1-01 "$h1" '{}'
expect_error "a GET with a body" 400 bad_request body
req GET /v1/settlements/B-1 "$h1"
expect_code "400s store nothing" 404
awk 'BEGIN { printf "{\"claim_id\":\"B-big\",\"person_id\":\"A1\",\"date\":\"2022-07-01\",\"visit_type\":\"outpatient\",\"level\":\"primary\",\"medfee_sumamt\":\"1\",\"preselfpay_amt\":\""; for (i = 0; i < 270000; i++) printf "0"; printf "\"}" }' >"$work/big.json"
big0=$(metric 'sanbao_http_requests_total{route="/v1/settlements",code="413"}')
# The server answers 413 before reading a body whose Content-Length is over
# the limit, and closes. A client that goes on sending has no guarantee of
# reading that answer: the unread body in the server's socket makes the
# close a reset, which can destroy the answer on its way (curl's 000: seen
# once in CI, under AddressSanitizer). Either is right here; the metrics
# below count the 413 in both cases, and the case with Expect: 100-continue
# (where the client waits) must get the answer.
post POST /v1/settlements "$h1" "@$work/big.json"
if [ "$code" = 000 ]; then ok; else expect_error "a body over --max-body" 413 too_large; fi
# chunked: no Content-Length announces it, so the server reads up to the
# limit and then closes the connection (HTTP allows no answer mid-upload);
# /metrics counts it as the 413 it would have been
post POST /v1/settlements "$h1" "@$work/big.json" -H 'Transfer-Encoding: chunked'
expect_code "a chunked body over --max-body: the connection is closed" 000
post POST /v1/settlements "$h1" "@$work/big.json" -H 'Expect: 100-continue'
expect_error "a body over --max-body with Expect: 100-continue" 413 too_large
same_text "metrics: the 413s counted" "$((big0 + 3))" "$(metric 'sanbao_http_requests_total{route="/v1/settlements",code="413"}')"
# Without a token the answer comes before the body is read. The client
# waits for it (Expect: 100-continue): one that goes on sending after an
# early answer has no guarantee of reading it -- the server closes the
# connection with the unread body in its socket, the kernel then resets
# it, and the answer can be lost on the way (seen once, under
# ThreadSanitizer, as curl's 000). Not a byte of the body is sent.
for _te in "" "Transfer-Encoding: chunked"; do
  _up=$(curl -s -m 30 -o /dev/null -w '%{http_code} %{size_upload}' -X POST -H "$_te" \
    -H 'Content-Type: application/json' -H 'Expect: 100-continue' --data-binary "@$work/big.json" \
    "$base/v1/settlements")
  same_text "a big body without a token${_te:+, $_te}: 401 before the body is read, none of it sent" \
    "401 0" "$_up"
done
req GET /v1/settlements/B-big "$adm"
expect_code "the 413 stored nothing" 404
req GET /healthz -
expect_code "the server still answers after the 413s" 200
metric x >/dev/null
contains "metrics count the 400s" "$work/metrics.txt" 'route="/v1/settlements",code="400"'

# ---- the log holds no secret and no personal data ------------------------------------

for _t in "$h1" "$h2" "$adm"; do
  if grep -F -q -- "${_t#sbt_}" "$work/server.log"; then bad "a token is in the server's log"; else ok; fi
done
awk -F, 'NR > 1 { print $1 }' "$case_dir/persons.csv" | sort -u >"$work/ids.txt"
awk -F, 'NR > 1 { print $1; print $2 }' "$work/sent.csv" | sort -u >>"$work/ids.txt"
echo NOBODY >>"$work/ids.txt"
leaks=$(grep -w -o -F -f "$work/ids.txt" "$work/server.log" | sort -u | head -5 | tr '\n' ' ')
if [ -z "$leaks" ]; then ok; else bad "ids in the server's log: $leaks"; fi
lines=$(grep -c ' /v1/settlements ' "$work/server.log")
if [ "$lines" -ge 30 ]; then ok; else bad "--access-log: $lines lines for /v1/settlements, expected at least 30"; fi

# ---- SIGTERM: a graceful stop, and the ledger is the one-row imports of what was sent ---

stop_server "SIGTERM"
contains "the log says stopped" "$work/server.log" "stopped"
if [ "$have_sqlite" -eq 1 ]; then
  r=$(sqlite3 "$db" 'PRAGMA integrity_check' 2>&1)
  same_text "integrity_check after the stop" ok "$r"
fi
chains_hold "the server's ledger" "$db"
"$bin" db export-settlements --db "$db" --out "$work/srv-final.csv" 2>/dev/null
one_row_ledger "$work/ref-final.db" "$work/sent.csv"
"$bin" db export-settlements --db "$work/ref-final.db" --out "$work/ref-final.csv" 2>/dev/null
same_file "final server ledger = one-row imports of every answered claim" "$work/ref-final.csv" "$work/srv-final.csv"

# A server on a small --max-body, one thread, a 1 s read timeout
start_server "$db" "$work/server2.log" --max-body 256 --threads 1 --timeout 1 --access-log
post POST /v1/presettlements "$h1" "{$good,\"medfee_sumamt\":\"10\"}"
expect_code "--max-body 256: a small body" 200
post POST /v1/presettlements "$h1" "{$good,\"medfee_sumamt\":\"10\",\"preselfpay_amt\":\"$(printf '%0200d' 0)\"}"
expect_error "--max-body 256: a 400-byte body" 413 too_large
# a body that stops coming: the connection is closed after --timeout
(sleep 3; printf '{}') | curl -s -m 10 -X POST -T - -H "Authorization: Bearer $h1" \
  -o /dev/null "$base/v1/settlements" 2>/dev/null
t=$(awk '/connection ended early/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+us$/) { sub(/us$/, "", $i); print $i; exit } }' "$work/server2.log")
case $t in
  '' | *[!0-9]*) bad "--timeout 1: no request ended early in the log"; sed 's/^/    /' "$work/server2.log" | tail -3 ;;
  *) if [ "$t" -ge 900000 ] && [ "$t" -lt 3000000 ]; then ok; else bad "--timeout 1: the stalled request took ${t}us"; fi ;;
esac
# a body that keeps coming, a byte every 0.2 s, is cut at --timeout too
# (never idle, so only the whole request's deadline stops it)
slow0=$(metric 'sanbao_http_requests_total{route="/v1/settlements",code="408"}')
code=$( (i=0; while [ "$i" -lt 20 ]; do printf ' '; sleep 0.2; i=$((i + 1)); done; printf '{}') |
  curl -s -m 10 -X POST -T - -H "Authorization: Bearer $h1" -o /dev/null -w '%{http_code}' \
    "$base/v1/settlements" 2>/dev/null)
expect_code "--timeout 1: a body trickling for 4 s is cut (curl shows 100 Continue or nothing)" 000 100
same_text "--timeout 1: counted as 408" "$((${slow0:-0} + 1))" \
  "$(metric 'sanbao_http_requests_total{route="/v1/settlements",code="408"}')"
req GET /healthz -
expect_code "--timeout 1: still serving" 200
stop_server "SIGTERM (second server)"

# A request whose body is still arriving when SIGTERM comes began before the
# stop: it is settled and answered 201, not 503 (graceful: under way finishes)
start_server "$db" "$work/server3.log" --grace 10
(sleep 2; printf '{"claim_id":"SLOW-1","person_id":"A1","date":"2022-08-01","visit_type":"outpatient","level":"primary","medfee_sumamt":"10"}') |
  curl -s -m 20 -X POST -T - -H "Authorization: Bearer $h1" -o "$work/slow.json" \
    -w '%{http_code}' "$base/v1/settlements" >"$work/slow.code" 2>/dev/null &
slowpid=$!
sleep 0.5
stop_server "SIGTERM while a body is arriving"
wait "$slowpid"
same_text "a request under way at SIGTERM is settled" 201 "$(cat "$work/slow.code")"
"$bin" db export-settlements --db "$db" --out "$work/after-slow.csv" 2>/dev/null
if grep -q '^SLOW-1,A1,2022-08-01,settled,' "$work/after-slow.csv"; then ok; else
  bad "the request under way at SIGTERM is not in the ledger"
fi

# --max-connections: with two connections held open (bodies still arriving),
# a third is not served (libmicrohttpd stops accepting: it waits in the
# kernel's backlog); once they are done, the server takes new ones again
start_server "$db" "$work/server4.log" --max-connections 2 --timeout 10
(sleep 2; printf '{}') | curl -s -m 20 -X POST -T - -H "Authorization: Bearer $h1" \
  -o /dev/null "$base/v1/presettlements" 2>/dev/null &
held1=$!
(sleep 2; printf '{}') | curl -s -m 20 -X POST -T - -H "Authorization: Bearer $h1" \
  -o /dev/null "$base/v1/presettlements" 2>/dev/null &
held2=$!
sleep 0.5
third=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$base/healthz" 2>/dev/null)
same_text "--max-connections 2: a third connection is not served" 000 "$third"
wait "$held1" "$held2"
req GET /healthz -
expect_code "--max-connections 2: served again once the two are done" 200
stop_server "SIGTERM (the connection-limit server)"

# ---- a fresh ledger: alert paging after an import, %00, many institutions --------
db5=$work/ledger5.db
one_row_ledger "$db5" /dev/null
# a file whose later row (seq 2) is dated earlier: the import writes its
# alerts in canonical (date) order, so alert order is not seq order
printf '%s\n%s\n%s\n' "$HDR" "F-A1,A1,2022-06-01,inpatient,grade3,90000,30000,0,0," \
  "F-A4,A4,2022-02-01,inpatient,grade1,60000,5000,0,0," >"$work/late.csv"
"$bin" db import-claims --db "$db5" --claims "$work/late.csv" >/dev/null 2>&1
"$bin" db alerts --db "$db5" --out "$work/late-alerts.csv" 2>/dev/null
nlate=$(($(wc -l <"$work/late-alerts.csv") - 1))
i=0
while [ "$i" -lt 70 ]; do
  "$bin" tokens add --file "$work/tokens" --institution "M$i" --role hospital >"$work/m$i.tok" 2>/dev/null
  i=$((i + 1))
done
start_server "$db5" "$work/server5.log"
after=0 seen=
i=0
while [ "$i" -lt 5 ]; do
  req GET "/v1/alerts?limit=1&after=$after" "$adm"
  [ "$(jget count)" = 0 ] && break
  seen="$seen $(jget claim_id)"
  after=$(jget next_after)
  i=$((i + 1))
done
same_text "alerts paged one by one after an import: every alert once" \
  "$(awk -F, 'NR > 1 { print $4 }' "$work/late-alerts.csv" | sort | tr '\n' ' ')" \
  "$(for id in $seen; do echo "$id"; done | sort | tr '\n' ' ')"
if [ "$nlate" -ge 2 ]; then ok; else bad "the alert-paging case raised $nlate alerts, want 2"; fi
req GET "/v1/alerts" "$adm"
same_text "alerts unpaged: next_after is the last row" 2 "$(jget next_after)"
req GET "/v1/settlements/F-A1%00xx" "$adm"
expect_code "a %00 in the claim id is not cut short" 404
# one_group DB FIRST CFG N: the requests of curl config CFG (N of them; their
# codes in CFG.codes) sent at once while another process holds the ledger's
# write lock; claim FIRST (JSON) goes first, so the ledger thread takes it
# alone and waits for the lock, and the N that follow queue up into the next
# group together.  Each step waits for what it needs, not for a fixed time:
# the lock is held before FIRST is sent, FIRST is in the ledger thread's
# hands (none queued, two requests in flight: it and the metrics' own)
# before the N are sent, and the lock is let go only when all N are queued
# (each wait at most 60 s; a loaded machine is slow, not wrong).
one_group() {
  _held=$work/lock.held _release=$work/lock.release
  rm -f "$_held" "$_release"
  hold_write_lock "$1" "$_held" "$_release" &
  _lockpid=$!
  _until 600 [ -e "$_held" ]
  post POST /v1/settlements "$h1" "$2" &
  _firstpid=$!
  _until 600 first_taken
  curl -s --parallel --parallel-immediate --parallel-max "$4" -K "$3" >"$3.codes" 2>/dev/null &
  _curlpid=$!
  _until 600 queued_at_least "$4"
  touch "$_release"
  wait "$_curlpid" "$_lockpid" "$_firstpid"
}
# _until TENTHS COMMAND...: until COMMAND succeeds, at most TENTHS tenths of a second
_until() {
  _ut=$1
  shift
  while ! "$@" && [ "$_ut" -gt 0 ]; do
    sleep 0.1
    _ut=$((_ut - 1))
  done
}
# (called through _until)
# shellcheck disable=SC2317
first_taken() {
  [ "$(metric sanbao_ledger_queue)" -eq 0 ] && [ "$(metric sanbao_requests_in_flight)" -ge 2 ]
}
# shellcheck disable=SC2317
queued_at_least() { [ "$(metric sanbao_ledger_queue)" -ge "$1" ]; }
# 70 institutions new to this server in one group: the ledger's write lock is
# held by another process while their claims queue up, so one group gets them
if [ "$have_db_sql" -eq 1 ]; then
  : >"$work/m.cfg"
  i=0
  while [ "$i" -lt 70 ]; do
    printf 'next\nurl = "%s/v1/settlements"\nheader = "Authorization: Bearer %s"\ndata = "{\\"claim_id\\":\\"M-%s\\",\\"person_id\\":\\"A2\\",\\"date\\":\\"2022-04-01\\",\\"visit_type\\":\\"outpatient\\",\\"level\\":\\"primary\\",\\"medfee_sumamt\\":\\"10\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
      "$base" "$(cat "$work/m$i.tok")" "$i" >>"$work/m.cfg"
    i=$((i + 1))
  done
  one_group "$db5" '{"claim_id":"M-first","person_id":"A2","date":"2022-04-02","visit_type":"outpatient","level":"primary","medfee_sumamt":"10"}' \
    "$work/m.cfg" 70
  same_text "70 new institutions in one group: all 201" "70 201" \
    "$(sort "$work/m.cfg.codes" | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')"
else
  skip "70 institutions in one group (no sqlite3 or psql shell to hold the lock)"
fi
stop_server "SIGTERM (the fresh-ledger server)"

# ---- one group of more rows than the overlay keeps --------------------------------
# 200 claims in one group, over PostgreSQL's overlay of 128 rows kept whole
# (PG_OVERLAY_ROWS, store_pg_int.h): when the overlay gives up (the 129th
# row), the rows so far go by COPY before the next claim's look-up, with
# the accumulators put so far (two persons, a put a claim: each
# person-year once, or the upsert fails), and the rest go by the
# pipelined commit.  Every answer must be the ledger's row: a row missing
# from the COPY would be missing from the ledger (or its settlement would
# fail the COPY and the group be answered 503).  SQLite runs the same: one
# group, its rows the answers.
if [ "$have_db_sql" -eq 1 ]; then
  ngroup=200
  start_server "$db5" "$work/server6.log" --max-per-ip $((ngroup + 16))
  commits0=$(metric 'sanbao_commits_total')
  jobs0=$(metric 'sanbao_commit_requests_total')
  mkdir -p "$work/g"
  : >"$work/g.cfg"
  i=0
  while [ "$i" -lt "$ngroup" ]; do
    printf 'next\nurl = "%s/v1/settlements"\nheader = "Authorization: Bearer %s"\ndata = "{\\"claim_id\\":\\"G-%s\\",\\"person_id\\":\\"A%s\\",\\"date\\":\\"2022-05-01\\",\\"visit_type\\":\\"outpatient\\",\\"level\\":\\"primary\\",\\"medfee_sumamt\\":\\"%s\\"}"\noutput = "%s/g/%s.json"\nwrite-out = "%%{http_code}\\n"\n' \
      "$base" "$h1" "$i" $((1 + i % 2)) $((1000 + i * 7)) "$work" "$i" >>"$work/g.cfg"
    i=$((i + 1))
  done
  one_group "$db5" '{"claim_id":"G-first","person_id":"A2","date":"2022-05-02","visit_type":"outpatient","level":"primary","medfee_sumamt":"10"}' \
    "$work/g.cfg" "$ngroup"
  same_text "$ngroup claims in one group: all 201" "$ngroup 201" \
    "$(sort "$work/g.cfg.codes" | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')"
  grep 'rolled back' "$work/server6.log" | head -3 | sed 's/^/    server: /'
  same_text "$ngroup claims in one group: two commits (the first claim's, the group's)" \
    "2 $((ngroup + 1))" \
    "$(($(metric 'sanbao_commits_total') - commits0)) $(($(metric 'sanbao_commit_requests_total') - jobs0))"
  stop_server "SIGTERM (the server of one large group)"
  "$bin" db export-settlements --db "$db5" --out "$work/g.csv" 2>/dev/null
  awk -F, '$1 ~ /^G-[0-9]/' "$work/g.csv" | LC_ALL=C sort >"$work/g-ledger.sorted"
  for f in "$work"/g/*.json; do row_of "$f"; done | LC_ALL=C sort >"$work/g-answers.sorted"
  same_text "$ngroup claims in one group: the ledger holds each once" "$ngroup" \
    "$(wc -l <"$work/g-ledger.sorted" | tr -d ' ')"
  same_file "$ngroup claims in one group: the answers are the ledger's rows" \
    "$work/g-ledger.sorted" "$work/g-answers.sorted"
else
  skip "one group of 200 claims (no sqlite3 or psql shell to hold the lock)"
fi

finish
