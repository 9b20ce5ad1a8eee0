#!/bin/sh
# e2e: `sanbao serve` under concurrent load, over real HTTP on loopback.
#  (a) N concurrent clients: a generated population (`sanbao gen`) is sent by
#      16 concurrent connections of two hospitals (curl --parallel): claims of
#      the same person are in flight at once, some claims are sent twice at
#      once (identical: one 201, one 200 replay), extra reversals follow
#      their claims closely (some arrive first: UNKNOWN_CLAIM, as a file
#      would say).  Then
#       - every request is answered 200/201/409/422, exactly one replay per
#         duplicate, and the answers are the rows of the server ledger;
#       - the server ledger's export is byte for byte the export of a ledger
#         that imported the same rows one file per row in the server's
#         arrival order (read from the export's claim_id column), and so are
#         its alerts and accumulators;
#       - money is conserved on every settled and reversed row;
#       - /metrics counts the outcomes, and commits carried several claims.
#  (b) SIGTERM during load: a few thousand claims are being sent when the
#      server gets SIGTERM.  It exits 0; every claim it acknowledged (200,
#      201, and the 409/422 rows) is in the ledger with the answer's status
#      and amounts; nothing not sent is there; SQLite's integrity check
#      passes.  A restarted server then takes every claim again: what was
#      acknowledged replays unchanged, the rest settles, and the ledger ends
#      holding every claim, settled at most once.
# Usage: sh server_load.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
# SANBAO_LOAD_CLAIMS sets the claims of (a) (default 3000, 1500 for a sanitizer
# build; (b) sends twice as many).
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
# shellcheck source-path=SCRIPTDIR source=lib/server.sh
. "$(dirname "$0")/lib/server.sh"
srvpid=
curlpid=
# The reference ledger's durability does not matter: on a tmpfs when there is
# one, its thousands of one-row imports do not wait for the disk.
refdir=$(mktemp -d /dev/shm/sanbao-e2e-ref.XXXXXX 2>/dev/null) || refdir=$work
# replaces common.sh's EXIT trap: a server or a client still running is killed first
trap '[ -n "$srvpid" ] && kill -KILL "$srvpid" 2>/dev/null; [ -n "$curlpid" ] && kill -KILL "$curlpid" 2>/dev/null; store_cleanup; rm -rf "$work" "$refdir"' EXIT
policy=$root/policies/hunan-2022.json
# a sanitizer build runs each one-row import of the reference ~3 times slower
if grep -q -a __asan_init "$bin" 2>/dev/null; then nclaims=${SANBAO_LOAD_CLAIMS:-1500}; else
  nclaims=${SANBAO_LOAD_CLAIMS:-3000}
fi
HDR=claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses
if ! command -v curl >/dev/null 2>&1; then
  skip "no curl: the server is not tested"
  finish
fi
if [ "$store" = sqlite ] && command -v sqlite3 >/dev/null 2>&1; then have_sqlite=1; else
  have_sqlite=0
  if [ "$store" = pg ]; then echo "NOTE: PostgreSQL: PRAGMA integrity_check (SQLite's) is skipped"
  else echo "NOTE: no sqlite3 command-line tool: PRAGMA integrity_check and the accumulators check are skipped"; fi
fi

# ---- helpers -------------------------------------------------------------------

# now_ms: the clock in milliseconds (GNU date), else 0
now_ms() {
  _t=$(date +%s%N 2>/dev/null)
  case $_t in *[!0-9]* | "") echo 0 ;; *) echo $((_t / 1000000)) ;; esac
}

# new_ledger DB: a ledger holding the generated registry
new_ledger() {
  db_reset "$1"
  if "$bin" db init --db "$1" 2>"$work/err.txt" &&
    "$bin" db import-persons --db "$1" --persons "$work/gen/persons.csv" 2>"$work/err.txt"; then
    ok
  else
    bad "new ledger $1"; sed 's/^/    /' "$work/err.txt"; finish
  fi
}

# plan CLAIMS OUT: the rows to send, in order: every claim, every 97th
# settlement twice in a row (identical), and after every 41st settlement a
# reversal of it (claim id R + the original's)
plan() {
  awk -F, 'NR > 1 {
    print; n++
    if ($10 != "") next
    if (n % 97 == 0) print
    if (n % 41 == 0) printf "R%s,%s,%s,,,,,,,%s\n", $1, $2, $3, $1
  }' "$1" >"$2"
}

# config PLAN DIR: a curl config sending each row of PLAN as JSON (the
# hospital: H1 for odd person numbers, H2 for even); answer k of row k goes
# to DIR/k, and "CODE k" to curl's standard output
config() {
  awk -F, -v base="$base" -v t1="$h1" -v t2="$h2" -v dir="$2" '
    function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
    BEGIN { split("claim_id person_id date visit_type level medfee_sumamt fulamt_ownpay_amt overlmt_selfpay preselfpay_amt", name, " ") }
    {
      k = NR
      tok = (substr($2, length($2), 1) % 2) ? t1 : t2
      if ($10 != "") {
        url = base "/v1/settlements/" $10 "/reversal"
        j = "{\"claim_id\":\"" $1 "\",\"person_id\":\"" $2 "\",\"date\":\"" $3 "\"}"
      } else {
        url = base "/v1/settlements"
        j = ""
        for (f = 1; f <= 9; f++) if (f <= 6 || $f != "") j = j (j == "" ? "{" : ",") "\"" name[f] "\":\"" $f "\""
        j = j "}"
      }
      if (NR > 1) print "next"
      print "url = " q(url)
      print "header = " q("Authorization: Bearer " tok)
      print "header = \"Content-Type: application/json\""
      print "data-binary = " q(j)
      print "output = " q(dir "/" k)
      print "write-out = \"%{response_code} " k "\\n\""
      print "max-time = 60"
    }' "$1" >"$work/curl.cfg"
}

# send PLAN DIR CODES: every row, 16 at a time; "CODE k" lines in CODES
send() {
  rm -rf "$2"
  mkdir "$2"
  config "$1" "$2"
  curl -s --parallel --parallel-immediate --parallel-max 16 -K "$work/curl.cfg" >"$3" 2>/dev/null
}

# A JSON answer about one claim to "k<TAB>its docs/reference/formats.md §4 row" (k: the
# file name); the top-level keys come before "balance" and "trace", so the
# first occurrence of a key is the top-level one; null is an empty field.
# shellcheck disable=SC2016  # an awk program
TOROW=$ANSWER_AWK'
{
  k = FILENAME; sub(/.*\//, "", k)
  if (get($0, "status") == "\001") { print k "\tERROR " $0; next }
  o = ""
  for (j = 1; j <= n; j++) o = o (j > 1 ? "," : "") get($0, col[j])
  print k "\t" o
}'

# rows DIR CODES OUT: the §4 rows of the answers whose code is 200, 201, 409
# or 422, one "k<TAB>row" line each, sorted by k
rows() {
  awk '$1 ~ /^(200|201|409|422)$/ { print $2 }' "$2" | sed "s|^|$1/|" >"$work/files.txt"
  : >"$3.tmp"
  if [ -s "$work/files.txt" ]; then
    # shellcheck disable=SC2046  # file names without spaces
    awk "$TOROW" $(cat "$work/files.txt") >"$3.tmp"
  fi
  sort -n "$3.tmp" >"$3"
}

# codes CODES: "N CODE" counts, one line
codes() { awk '{ print $1 }' "$1" | sort | uniq -c | awk '{ printf "%s%s×%s", (NR > 1 ? ", " : ""), $1, $2 }'; }

# conserved NAME EXPORT: on every settled and reversed row, fund + person =
# total, the three funds = fund, in-scope = total - the three own parts
conserved() {
  _bad=$(awk -F, '
    function c(x) { sub(/\./, "", x); return x + 0 }
    NR > 1 && ($4 == "settled" || $4 == "reversed") {
      if (c($16) + c($17) != c($7) || c($13) + c($14) + c($15) != c($16) ||
          c($7) - c($8) - c($9) - c($10) != c($11)) { print $1; n++ }
    }
    END { if (n) print n " rows" }' "$2" | tail -1)
  if [ -z "$_bad" ]; then ok; else bad "$1: money not conserved on $_bad"; fi
}

# ---- a population, tokens ----------------------------------------------------------

t_start=$(now_ms)
run gen --persons 300 --claims "$nclaims" --seed 7 --out "$work/gen"
expect_rc "gen (a)" 0
if grep -q '"' "$work/gen/claims.csv"; then bad "gen wrote a quoted field: the JSON conversion here takes none"; fi
run tokens add --file "$work/tokens" --institution H1 --role hospital
expect_rc "tokens add H1" 0
h1=$(cat "$work/out.txt")
run tokens add --file "$work/tokens" --institution H2 --role hospital
expect_rc "tokens add H2" 0
h2=$(cat "$work/out.txt")

# ---- (a) N concurrent clients --------------------------------------------------------

db=$work/a.db
new_ledger "$db"
# A build with the test hooks starts the WAL over past 128 frames instead of
# 65,536, so that (a) goes through that path many times: the writer's own
# checkpoint between two groups, beside the checkpointer thread's.  The
# checks of (a) below then hold across it; at its stop the server says how
# many times it started the WAL over.
export SANBAO_TEST_WAL_FRAMES=128
start_server "$db" "$work/a.log" --threads 2
unset SANBAO_TEST_WAL_FRAMES
plan "$work/gen/claims.csv" "$work/plan-a.csv"
nsent=$(wc -l <"$work/plan-a.csv")
ndup=$(awk 'seen[$0]++' "$work/plan-a.csv" | wc -l)
t0=$(now_ms)
send "$work/plan-a.csv" "$work/ra" "$work/codes-a.txt"
t1=$(now_ms)
echo "NOTE: (a) $nsent requests in $((t1 - t0)) ms, 16 connections: $(codes "$work/codes-a.txt")"
same_text "(a) answers" "$nsent" "$(wc -l <"$work/codes-a.txt")"
same_text "(a) requests not answered 200/201/409/422" "" \
  "$(awk '$1 !~ /^(200|201|409|422)$/ { print $1 }' "$work/codes-a.txt" | sort | uniq -c | head -3 | tr '\n' ' ')"
# a duplicate's second answer is the replay: 200, or 422 again for a rejection
same_text "(a) one replayed answer per duplicate" "$ndup" "$(cat "$work"/ra/* | grep -c '"replayed":true')"
same_text "(a) 200s are replays" "$(awk '$1 == 200' "$work/codes-a.txt" | wc -l | tr -d ' ')" \
  "$(cat "$work"/ra/* | grep '"replayed":true' | grep -c -v '"status":"rejected"')"
same_text "(a) no 409 (duplicates are identical)" 0 "$(awk '$1 == 409' "$work/codes-a.txt" | wc -l | tr -d ' ')"
settled=$(metric 'sanbao_claims_total{outcome="settled"}')
reversed=$(metric 'sanbao_claims_total{outcome="reversed"}')
rejected=$(metric 'sanbao_claims_total{outcome="rejected"}')
replayed=$(metric 'sanbao_claims_total{outcome="replayed"}')
commits=$(metric 'sanbao_commits_total')
same_text "(a) metrics: replayed = duplicates" "$ndup" "$replayed"
m1=$(metric 'sanbao_http_requests_total{route="/v1/settlements",code="201"}')
m2=$(metric 'sanbao_http_requests_total{route="/v1/settlements/{claim_id}/reversal",code="201"}')
same_text "(a) metrics: 201s" "$(awk '$1 == 201' "$work/codes-a.txt" | wc -l | tr -d ' ')" "$((m1 + m2))"
if [ "$commits" -gt 0 ] && [ "$commits" -lt "$nsent" ]; then ok; else
  bad "(a) $commits commits for $nsent claims: no group commit"
fi
echo "NOTE: (a) $commits commits for $nsent claims"
stop_server "(a) SIGTERM"
restarts=$(sed -n 's/^sanbao test hook: the WAL was started over \([0-9]*\) times$/\1/p' "$work/a.log")
if [ -z "$restarts" ]; then
  [ "$store" = sqlite ] && echo "NOTE: (a) a build without the test hooks: the WAL's start-over path is not forced"
elif [ "$restarts" -gt 0 ]; then
  ok
  echo "NOTE: (a) the WAL was started over $restarts times"
else
  bad "(a) SANBAO_TEST_WAL_FRAMES=128: the WAL was never started over"
fi
"$bin" db export-settlements --db "$db" --out "$work/a.csv" 2>/dev/null
"$bin" db alerts --db "$db" --out "$work/a-alerts.csv" 2>/dev/null
same_text "(a) ledger rows = distinct claims sent" "$(sort -u "$work/plan-a.csv" | wc -l | tr -d ' ')" "$(($(wc -l <"$work/a.csv") - 1))"
same_text "(a) metrics: outcomes = ledger rows" "$(($(wc -l <"$work/a.csv") - 1))" "$((settled + reversed + rejected))"
# the answers are the ledger's rows
rows "$work/ra" "$work/codes-a.txt" "$work/ans-a.txt"
cut -f2 "$work/ans-a.txt" | LC_ALL=C sort -u >"$work/ans-a.sorted"
awk 'NR > 1' "$work/a.csv" | LC_ALL=C sort >"$work/a.sorted"
same_file "(a) the answers are the ledger's rows" "$work/a.sorted" "$work/ans-a.sorted"
# each answer is about the claim it was sent for
awk -F, 'NR == FNR { id[NR] = $1; next } { split($0, t, "\t"); split(t[2], f, ","); if (f[1] != id[t[1]]) print t[1] }' \
  "$work/plan-a.csv" "$work/ans-a.txt" >"$work/wrong.txt"
if [ -s "$work/wrong.txt" ]; then bad "(a) answers about another claim than sent: $(head -3 "$work/wrong.txt" | tr '\n' ' ')"; else ok; fi
conserved "(a) export" "$work/a.csv"
same_text "(a) settled rows in the export" "$settled" "$(awk -F, '$4 == "settled"' "$work/a.csv" | wc -l | tr -d ' ')"

# the reference: the same rows, one file per row, in the server's arrival order
t2=$(now_ms)
ref=$refdir/a-ref.db
new_ledger "$ref"
"$bin" db add-policy --db "$ref" "$policy" 2>/dev/null || bad "(a) add-policy to the reference"
awk -F, 'NR == FNR { if (!($1 in row)) row[$1] = $0; next } FNR > 1 { print row[$1] }' \
  "$work/plan-a.csv" "$work/a.csv" >"$work/arrival.csv"
k=0
while IFS= read -r line; do
  k=$((k + 1))
  printf '%s\n%s\n' "$HDR" "$line" >"$refdir/one.csv"
  "$bin" db import-claims --db "$ref" --claims "$refdir/one.csv" >/dev/null 2>"$work/err.txt"
  rc=$?
  if [ "$rc" -gt 1 ]; then bad "(a) reference import of row $k exited $rc: $line"; sed 's/^/    /' "$work/err.txt" | head -3; fi
done <"$work/arrival.csv"
t3=$(now_ms)
echo "NOTE: (a) reference: $k one-row imports in $((t3 - t2)) ms"
"$bin" db export-settlements --db "$ref" --out "$work/a-ref.csv" 2>/dev/null
"$bin" db alerts --db "$ref" --out "$work/a-ref-alerts.csv" 2>/dev/null
same_file "(a) server ledger = one-row imports in arrival order" "$work/a-ref.csv" "$work/a.csv"
same_file "(a) alerts = those of the one-row imports" "$work/a-ref-alerts.csv" "$work/a-alerts.csv"
if [ "$have_db_sql" -eq 1 ]; then
  db_sql "$ref" "SELECT * FROM accumulators ORDER BY person_id, year" >"$work/acc-want.txt"
  db_sql "$db" "SELECT * FROM accumulators ORDER BY person_id, year" >"$work/acc-got.txt"
  same_file "(a) accumulators = those of the one-row imports" "$work/acc-want.txt" "$work/acc-got.txt"
fi

# ---- (b) SIGTERM during load ---------------------------------------------------------

run gen --persons 300 --claims "$((nclaims * 2))" --seed 8 --out "$work/gen"
expect_rc "gen (b)" 0
db=$work/b.db
new_ledger "$db"
start_server "$db" "$work/b.log" --threads 2
plan "$work/gen/claims.csv" "$work/plan-b.csv"
nsent=$(wc -l <"$work/plan-b.csv")
: >"$work/codes-b.txt"
rm -rf "$work/rb"
mkdir "$work/rb"
config "$work/plan-b.csv" "$work/rb"
curl -s --parallel --parallel-immediate --parallel-max 16 -K "$work/curl.cfg" >"$work/codes-b.txt" 2>/dev/null &
curlpid=$!
# SIGTERM once about a third of the requests are answered
i=0
while [ "$(wc -l <"$work/codes-b.txt")" -lt $((nsent / 3)) ] && [ "$i" -lt 400 ]; do
  sleep 0.05
  i=$((i + 1))
done
at=$(wc -l <"$work/codes-b.txt")
stop_server "(b) SIGTERM during load"
wait "$curlpid"
curlpid=
echo "NOTE: (b) SIGTERM after $at of $nsent answers; in the end: $(codes "$work/codes-b.txt")"
acked=$(awk '$1 == 200 || $1 == 201' "$work/codes-b.txt" | wc -l)
if [ "$acked" -gt 0 ]; then ok; else bad "(b) nothing acknowledged before SIGTERM"; fi
if [ "$acked" -ge "$nsent" ]; then
  echo "NOTE: (b) every request was answered before the server stopped: the stop came too late to test much"
fi
same_text "(b) answers other than 200/201/409/422/503/refused" "" \
  "$(awk '$1 !~ /^(000|200|201|409|422|503)$/ { print $1 }' "$work/codes-b.txt" | sort | uniq -c | head -3 | tr '\n' ' ')"
contains "(b) the log says stopped" "$work/b.log" "stopped"
if grep -q unfinished "$work/b.log"; then bad "(b) requests left unfinished at the stop: $(grep unfinished "$work/b.log")"; else ok; fi
if [ "$have_sqlite" -eq 1 ]; then
  same_text "(b) integrity_check" ok "$(sqlite3 "$db" 'PRAGMA integrity_check' 2>&1)"
fi
"$bin" db export-settlements --db "$db" --out "$work/b.csv" 2>"$work/err.txt" ||
  bad "(b) export-settlements after the stop: $(cat "$work/err.txt")"
# every acknowledged answer is a row of the ledger
rows "$work/rb" "$work/codes-b.txt" "$work/ans-b.txt"
cut -f2 "$work/ans-b.txt" | LC_ALL=C sort -u >"$work/ans-b.sorted"
awk 'NR > 1' "$work/b.csv" | LC_ALL=C sort >"$work/b.sorted"
lost=$(LC_ALL=C comm -23 "$work/ans-b.sorted" "$work/b.sorted" | wc -l)
if [ "$lost" -eq 0 ]; then ok; else
  bad "(b) $lost acknowledged answers are not rows of the ledger (lost, or with other amounts):"
  LC_ALL=C comm -23 "$work/ans-b.sorted" "$work/b.sorted" | head -5 | sed 's/^/    /'
fi
same_text "(b) acknowledged answers checked" "$(awk '$1 ~ /^(200|201|409|422)$/' "$work/codes-b.txt" | wc -l | tr -d ' ')" "$(wc -l <"$work/ans-b.txt" | tr -d ' ')"
# nothing but what was sent, each claim once
cut -d, -f1 "$work/plan-b.csv" | LC_ALL=C sort -u >"$work/sent-ids.txt"
awk -F, 'NR > 1 { print $1 }' "$work/b.csv" | LC_ALL=C sort >"$work/b-ids.txt"
same_text "(b) ledger rows not sent" "" "$(LC_ALL=C comm -13 "$work/sent-ids.txt" "$work/b-ids.txt" | head -3 | tr '\n' ' ')"
same_text "(b) claim ids held twice" "" "$(uniq -d "$work/b-ids.txt" | head -3 | tr '\n' ' ')"
conserved "(b) export after the stop" "$work/b.csv"
cp "$work/ans-b.sorted" "$work/ans-b1.sorted"

# a restarted server takes everything again: the acknowledged replay unchanged
start_server "$db" "$work/b2.log" --threads 2
send "$work/plan-b.csv" "$work/rb2" "$work/codes-b2.txt"
same_text "(b) restart: answers other than 200/201/409/422" "" \
  "$(awk '$1 !~ /^(200|201|409|422)$/ { print $1 }' "$work/codes-b2.txt" | sort | uniq -c | head -3 | tr '\n' ' ')"
stop_server "(b) restart: SIGTERM"
awk '$1 == 201' "$work/codes-b.txt" | awk '{ print $2 }' | sort >"$work/acked201.txt"
awk '$1 == 201 { print $2 }' "$work/codes-b2.txt" | sort >"$work/again201.txt"
same_text "(b) restart: claims settled twice (201 before and after)" "" \
  "$(LC_ALL=C comm -12 "$work/acked201.txt" "$work/again201.txt" | head -3 | tr '\n' ' ')"
rows "$work/rb2" "$work/codes-b2.txt" "$work/ans-b2.txt"
cut -f2 "$work/ans-b2.txt" | LC_ALL=C sort -u >"$work/ans-b2.sorted"
# a settled or reversed answer replays unchanged; a rejected one (a reversal
# that came before its claim) is settled again, and may settle now
# (docs/ledger.md: a rejected row leaves its claim id free)
same_text "(b) restart: acknowledged settlements changed" "" \
  "$(LC_ALL=C comm -23 "$work/ans-b1.sorted" "$work/ans-b2.sorted" | awk -F, '$4 != "rejected"' | head -3 | tr '\n' ' ')"
awk -F, '$4 != "rejected" { print $1 }' "$work/ans-b2.sorted" | LC_ALL=C sort >"$work/ok-ids.txt"
# rejected before and rejected again now, maybe for another reason (a reversal
# that came before its claim, whose claim another reversal — gen makes some —
# reversed meanwhile: UNKNOWN_CLAIM, then ALREADY_REVERSED): the answer gives
# today's reason, and the ledger keeps only the first rejection (docs/ledger.md)
awk -F, '$4 == "rejected" { print $1 }' "$work/ans-b1.sorted" | LC_ALL=C sort -u >"$work/rej1.txt"
awk -F, '$4 == "rejected" { print $1 }' "$work/ans-b2.sorted" | LC_ALL=C sort -u |
  LC_ALL=C comm -12 - "$work/rej1.txt" >"$work/again-rej.txt"
same_text "(b) restart: rejected answers neither replayed nor settled now" "" \
  "$(LC_ALL=C comm -23 "$work/ans-b1.sorted" "$work/ans-b2.sorted" | cut -d, -f1 | LC_ALL=C sort | LC_ALL=C comm -23 - "$work/ok-ids.txt" | LC_ALL=C comm -23 - "$work/again-rej.txt" | head -3 | tr '\n' ' ')"
"$bin" db export-settlements --db "$db" --out "$work/b2.csv" 2>/dev/null
awk 'NR > 1' "$work/b2.csv" | LC_ALL=C sort >"$work/b2.sorted"
same_text "(b) restart: answers that are not rows of the ledger" "" \
  "$(LC_ALL=C comm -13 "$work/b2.sorted" "$work/ans-b2.sorted" | awk -F, 'NR == FNR { again[$1] = 1; next } !($4 == "rejected" && ($1 in again))' "$work/again-rej.txt" - | head -3 | tr '\n' ' ')"
# the ledger's other rows: only first rejections of claims settled since
same_text "(b) restart: ledger rows neither answered now nor rejected before a settlement" "" \
  "$(LC_ALL=C comm -23 "$work/b2.sorted" "$work/ans-b2.sorted" | awk -F, 'FILENAME != "-" { ok[$1] = 1; next } !($4 == "rejected" && ($1 in ok))' "$work/ok-ids.txt" "$work/again-rej.txt" - | head -3 | tr '\n' ' ')"
same_text "(b) restart: every claim sent is in the ledger" "" \
  "$(awk -F, 'NR > 1 { print $1 }' "$work/b2.csv" | LC_ALL=C sort -u | LC_ALL=C comm -23 "$work/sent-ids.txt" - | head -3 | tr '\n' ' ')"
same_text "(b) restart: claims settled or reversed twice" "" "$(uniq -d "$work/ok-ids.txt" | head -3 | tr '\n' ' ')"
conserved "(b) export after the restart" "$work/b2.csv"
if [ "$have_sqlite" -eq 1 ]; then
  same_text "(b) restart: integrity_check" ok "$(sqlite3 "$db" 'PRAGMA integrity_check' 2>&1)"
fi
chains_hold "(b) restart: a stop under load and a restart" "$db"
echo "NOTE: $(($(now_ms) - t_start)) ms in all"
finish
