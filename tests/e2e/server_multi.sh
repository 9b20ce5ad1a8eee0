#!/bin/sh
# e2e: several `sanbao serve` processes on one ledger.  Two servers share
# the ledger (a PostgreSQL database with SANBAO_STORE=pg, else an SQLite
# file) and receive, at the same time, claims of the same few persons — so
# that nearly every group of one server touches a person whose last claim
# the other server settled a moment before.  Every claim is answered, both
# servers committed claims, and the final ledger — every settlement, every
# alert, every accumulator — is what one-row imports of the same claims in
# the ledger's own arrival order make: each person's claims were settled
# strictly one after another, against the accumulators the previous one
# left, whichever server took them (no lost update, no claim settled
# twice, no deadlock).  Under PostgreSQL, a server whose database goes away
# answers 503 with Retry-After, stores nothing, and reconnects by itself
# when the database is back.
# Usage: sh server_multi.sh SANBAO_BINARY PROJECT_ROOT  (prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
# shellcheck source-path=SCRIPTDIR source=lib/server.sh
. "$(dirname "$0")/lib/server.sh"
srvpid= pida= pidb=
trap '[ -n "$srvpid" ] && kill -KILL "$srvpid" 2>/dev/null; [ -n "$pida" ] && kill -KILL "$pida" 2>/dev/null; [ -n "$pidb" ] && kill -KILL "$pidb" 2>/dev/null; store_cleanup; rm -rf "$work"' EXIT
policy=$root/policies/hunan-2022.json
HDR=claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses
if ! command -v curl >/dev/null 2>&1; then
  skip "no curl: the servers are not tested"
  finish
fi

# ---- data: 12 persons, 360 claims (no reversals: one route) ---------------------------
run gen --persons 12 --claims 400 --seed 9 --out "$work/gen"
expect_rc "gen" 0
awk -F, 'NR > 1 && $10 == ""' "$work/gen/claims.csv" | head -360 >"$work/plan.csv"
n=$(wc -l <"$work/plan.csv")
run tokens add --file "$work/tokens" --institution H1 --role hospital
expect_rc "tokens add" 0
tok=$(cat "$work/out.txt")
db=$work/shared.db
if "$bin" db init --db "$db" 2>"$work/err.txt" && "$bin" db add-policy --db "$db" "$policy" 2>>"$work/err.txt" &&
  "$bin" db import-persons --db "$db" --persons "$work/gen/persons.csv" 2>>"$work/err.txt"; then ok; else
  bad "the shared ledger"; sed 's/^/    /' "$work/err.txt"; finish
fi

# ---- two servers, each sent every other claim, both at once ----------------------------
start_server "$db" "$work/a.log" --threads 2
pida=$srvpid basea=$base
start_server "$db" "$work/b.log" --threads 2
pidb=$srvpid baseb=$base

# config PARITY BASE: a curl config posting the plan's rows of that parity
config() {
  awk -F, -v p="$1" -v base="$2" -v tok="$tok" -v dir="$work/ans" '
    function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
    BEGIN { split("claim_id person_id date visit_type level medfee_sumamt fulamt_ownpay_amt overlmt_selfpay preselfpay_amt", name, " ") }
    NR % 2 == p {
      j = ""
      for (f = 1; f <= 9; f++) if (f <= 6 || $f != "") j = j (j == "" ? "{" : ",") "\"" name[f] "\":\"" $f "\""
      if (c++) print "next"
      print "url = \"" base "/v1/settlements\""
      print "header = \"Authorization: Bearer " tok "\""
      print "header = \"Content-Type: application/json\""
      print "data-binary = " q(j "}")
      print "output = \"" dir "/" NR "\""
      print "write-out = \"%{response_code}\\n\""
      print "max-time = 60"
    }' "$work/plan.csv"
}
mkdir -p "$work/ans"
config 0 "$basea" >"$work/a.cfg"
config 1 "$baseb" >"$work/b.cfg"
curl -s --parallel --parallel-immediate --parallel-max 8 -K "$work/a.cfg" >"$work/a.codes" 2>/dev/null &
ca=$!
curl -s --parallel --parallel-immediate --parallel-max 8 -K "$work/b.cfg" >"$work/b.codes" 2>/dev/null &
cb=$!
wait "$ca" "$cb"
cat "$work/a.codes" "$work/b.codes" >"$work/codes"
same_text "every claim answered" "$n" "$(wc -l <"$work/codes" | tr -d ' ')"
same_text "answers are 201 or 422 (settled or rejected, never 503 or 409)" "" \
  "$(grep -v -x -e 201 -e 422 "$work/codes" | sort | uniq -c | tr '\n' ' ')"
base=$basea
ca=$(metric 'sanbao_commits_total')
base=$baseb
cb=$(metric 'sanbao_commits_total')
if [ "$ca" -gt 0 ] && [ "$cb" -gt 0 ]; then ok; else bad "both servers commit: $ca and $cb commits"; fi
echo "NOTE: $n claims, server A $ca commits, server B $cb commits"
srvpid=$pida srvlog=$work/a.log
stop_server "server A"
pida=
srvpid=$pidb srvlog=$work/b.log
stop_server "server B"
pidb=

# ---- the reference: one-row imports in the shared ledger's arrival order -----------
# The exports' exit status counts: a read that fails half-way writes a
# short file, which would look like claims missing from the ledger.
run db export-settlements --db "$db" --out "$work/got.csv"
expect_rc "export of the shared ledger" 0
run db alerts --db "$db" --out "$work/got-alerts.csv"
expect_rc "alerts of the shared ledger" 0
if [ "$have_db_sql" -eq 1 ] && sqlite_only "the ledger file's integrity: SQLite only"; then
  same_text "the shared ledger passes PRAGMA integrity_check" ok \
    "$(db_sql "$db" "PRAGMA integrity_check" 2>&1 | head -5 | tr '\n' ' ' | sed 's/ $//')"
fi
same_text "every claim stored once" "$n" "$(($(wc -l <"$work/got.csv") - 1))"
if pg_only "claims_count: PostgreSQL only"; then
  # two servers numbered their rows from claims_count: no seq twice, none
  # skipped, and the count as the rows say
  same_text "seqs 1..N, each once, and claims_count N (two servers)" \
    "$(db_sql "$db" "SELECT count(*), count(DISTINCT seq), max(seq) FROM claims")" \
    "$(db_sql "$db" "SELECT n, n, n FROM claims_count")"
fi
# a claim answered but not in the export: which, its answer, which server
awk -F, 'NR == FNR { if (FNR > 1) got[$1] = 1; next } !($1 in got) { print FNR, $1 }' \
  "$work/got.csv" "$work/plan.csv" | head -10 | while read -r nr id; do
  echo "    not stored: $id (sent to server $([ $((nr % 2)) -eq 0 ] && echo A || echo B)):" \
    "$(head -c 160 "$work/ans/$nr" 2>/dev/null)"
done
ref=$work/ref.db
"$bin" db init --db "$ref" 2>/dev/null && "$bin" db add-policy --db "$ref" "$policy" 2>/dev/null &&
  "$bin" db import-persons --db "$ref" --persons "$work/gen/persons.csv" 2>/dev/null
awk -F, 'NR == FNR { row[$1] = $0; next } FNR > 1 { print row[$1] }' "$work/plan.csv" "$work/got.csv" >"$work/arrival.csv"
while IFS= read -r line; do
  printf '%s\n%s\n' "$HDR" "$line" >"$work/one.csv"
  "$bin" db import-claims --db "$ref" --claims "$work/one.csv" >/dev/null 2>"$work/err.txt"
  [ $? -gt 1 ] && { bad "reference import of $line"; sed 's/^/    /' "$work/err.txt" | head -3; }
done <"$work/arrival.csv"
"$bin" db export-settlements --db "$ref" --out "$work/want.csv" 2>/dev/null
"$bin" db alerts --db "$ref" --out "$work/want-alerts.csv" 2>/dev/null
same_file "two servers' ledger = one-row imports in its arrival order" "$work/want.csv" "$work/got.csv"
same_file "alerts = those of the one-row imports" "$work/want-alerts.csv" "$work/got-alerts.csv"
if [ "$have_db_sql" -eq 1 ]; then
  db_sql "$ref" "SELECT * FROM accumulators ORDER BY person_id, year" >"$work/acc-want.txt"
  db_sql "$db" "SELECT * FROM accumulators ORDER BY person_id, year" >"$work/acc-got.txt"
  same_file "accumulators = those of the one-row imports" "$work/acc-want.txt" "$work/acc-got.txt"
else
  skip "accumulators (no sqlite3 shell)"
fi

# ---- PostgreSQL: the database goes away and comes back ---------------------------------
# While the server cannot reach its database every claim is answered 503
# with Retry-After and nothing is stored; once the database is back the
# same server reconnects by itself, and the retried claim settles once.
if pg_only "a database that goes away and comes back: PostgreSQL only"; then
  start_server "$db" "$work/c.log"
  body='{"claim_id":"DOWN-1","person_id":"'$(awk -F, 'NR == 2 { print $1 }' "$work/gen/persons.csv")'","date":"2022-12-30","visit_type":"outpatient","level":"primary","medfee_sumamt":"100"}'
  retry() {
    curl -s -m 30 -D "$work/hdr.txt" -o "$work/resp.json" -w '%{http_code}' -X POST \
      -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' --data-binary "$body" \
      "$base/v1/settlements" >"$work/code.txt" 2>/dev/null
    cat "$work/code.txt"
  }
  pg_server_stop
  same_text "database down: 503" 503 "$(retry)"
  if grep -qi '^Retry-After: 1' "$work/hdr.txt"; then ok; else bad "database down: no Retry-After"; fi
  same_text "database down: 503 again (nothing stored, still no database)" 503 "$(retry)"
  pg_server_start || bad "the database did not come back"
  same_text "database back: the retried claim settles" 201 "$(retry)"
  same_text "database back: once" 200 "$(retry)"
  same_text "database back: the retry is a replay" true "$(jget replayed)"
  stop_server "server C"
  "$bin" db export-settlements --db "$db" --out "$work/after.csv" 2>/dev/null
  same_text "the claim stored once" 1 "$(grep -c '^DOWN-1,' "$work/after.csv")"
fi
finish
