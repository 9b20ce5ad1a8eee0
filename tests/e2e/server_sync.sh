#!/bin/sh
# e2e: `sanbao serve` answers a claim only once its group is on the disk.
# With the SQLite ledger the ledger thread commits a group without waiting
# for the disk and a syncer thread fdatasyncs the WAL before the group is
# answered (src/server/server_ledger.c, src/store/store_sqlite_serve.c).  A
# build with the test hooks (-DSANBAO_TEST_HOOKS=ON; ctest registers this
# script only then) reads SANBAO_TEST_SYNC_FAIL=N: the Nth sync that has
# something to sync fails (EIO).  Then
#  (a) claims sent one at a time, the third sync failing: the first two are
#      answered 201; the third is answered 503 — never 201, its sync
#      failed — and from then on the server takes no request that touches
#      the ledger (a fourth claim, a GET of the first: 503), /healthz says
#      ledger_failed, /metrics counts the failure, and SIGTERM stops it
#      with a status that is not 0 and a log line naming the failure;
#  (b) a server restarted on that ledger (no fault) has the first two,
#      settles the third at most once (replayed 200 if it was kept, else
#      201) and the fourth: four rows in the end;
#  (c) 16 claims sent at once, the first sync failing: not one 201 (an
#      answer sent before its group's sync would be), every one 503.
#  (d) SANBAO_TEST_DB_SYNC_FAIL=1: the checkpointing thread's first sync
#      of the ledger file fails (it syncs that file after each checkpoint
#      that copied frames, store_sqlite_serve.c): the claim before it was
#      answered 201, every claim after it 503, /healthz says ledger_failed,
#      the stop fails naming it; restarted without the fault, the first
#      claim is there and the second settles at most once.
#  (e) SANBAO_TEST_DB_WRITEBACK_FAIL=1: the same, when what fails is the
#      write-back in steps that comes before that sync.
#  (f) SANBAO_TEST_CKPT_FAIL=2 (and a WAL started over past 2 frames, so
#      after every claim): the same, when what fails is the ledger thread's
#      own checkpoint, the one that starts the WAL over — final too, not
#      tried again.
#  (g) SANBAO_TEST_SYNC_SLOW=2: from the second sync on, each takes 120 ms
#      more (a disk that pauses): every claim is still answered 201, and
#      the log warns of the slow syncs, at most a line a second, the next
#      line counting those left out.
# Usage: sh server_sync.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/server.sh
. "$(dirname "$0")/lib/server.sh"
srvpid=
# replaces common.sh's EXIT trap: a server still running is killed first
trap '[ -n "$srvpid" ] && kill -KILL "$srvpid" 2>/dev/null; rm -rf "$work"' EXIT
policy=$root/policies/hunan-2022.json
if ! command -v curl >/dev/null 2>&1; then
  skip "no curl: the server is not tested"
  finish
fi

run gen --persons 20 --claims 60 --seed 5 --out "$work/gen"
expect_rc "gen" 0
# claims without reversals: claim_id,person_id,date,visit_type,level,medfee_sumamt
awk -F, 'NR > 1 && $10 == ""' "$work/gen/claims.csv" | head -20 >"$work/plan.csv"
run tokens add --file "$work/tokens" --institution H1 --role hospital
expect_rc "tokens add" 0
tok=$(cat "$work/out.txt")

# ledger PATH: a ledger with the policy and the persons
ledger() {
  if "$bin" db init --db "$1" 2>"$work/err.txt" && "$bin" db add-policy --db "$1" "$policy" 2>>"$work/err.txt" &&
    "$bin" db import-persons --db "$1" --persons "$work/gen/persons.csv" 2>>"$work/err.txt"; then ok; else
    bad "ledger $1"; sed 's/^/    /' "$work/err.txt"; finish
  fi
}

# body K: the JSON of the plan's Kth claim
body() {
  awk -F, -v k="$1" 'NR == k {
    printf "{\"claim_id\":\"%s\",\"person_id\":\"%s\",\"date\":\"%s\",\"visit_type\":\"%s\",\"level\":\"%s\",\"medfee_sumamt\":\"%s\"}", $1, $2, $3, $4, $5, $6
  }' "$work/plan.csv"
}

# post K: POST the plan's Kth claim; sets $code, the answer in $work/resp.json
post() {
  code=$(curl -s -m 30 -o "$work/resp.json" -w '%{http_code}' -H "Authorization: Bearer $tok" \
    -H 'Content-Type: application/json' --data-binary "$(body "$1")" "$base/v1/settlements")
}

# get K: GET the plan's Kth claim; sets $code
get() {
  _id=$(awk -F, -v k="$1" 'NR == k { print $1 }' "$work/plan.csv")
  code=$(curl -s -m 30 -o "$work/resp.json" -w '%{http_code}' -H "Authorization: Bearer $tok" \
    "$base/v1/settlements/$_id")
}

# stopped_failing NAME: SIGTERM; the exit status must not be 0, the log names the failure
stopped_failing() {
  kill -TERM "$srvpid"
  wait "$srvpid"
  _st=$?
  srvpid=
  if [ "$_st" -ne 0 ] && [ "$_st" -lt 128 ]; then ok; else
    bad "$1: exit status $_st$(signal_note "$_st"), expected a failure (1..127)"
  fi
  contains "$1: the log names the disk failure" "$srvlog" "ledger's disk failed"
}

# all_at_once FROM TO FILE: the plan's claims FROM..TO POSTed at once (16 at
# a time), each answer's status a line of FILE
all_at_once() {
  _k=$1
  : >"$work/par.cfg"
  while [ "$_k" -le "$2" ]; do
    [ "$_k" -gt "$1" ] && echo next >>"$work/par.cfg"
    {
      echo "url = \"$base/v1/settlements\""
      echo "header = \"Authorization: Bearer $tok\""
      echo "header = \"Content-Type: application/json\""
      printf 'data-binary = "%s"\n' "$(body "$_k" | sed 's/"/\\"/g')"
      echo "output = \"/dev/null\""
      echo "write-out = \"%{response_code}\\n\""
      echo "max-time = 30"
    } >>"$work/par.cfg"
    _k=$((_k + 1))
  done
  curl -s --parallel --parallel-immediate --parallel-max 16 -K "$work/par.cfg" >"$3" 2>/dev/null
}

# ---- (a) the third sync fails ---------------------------------------------------------
db=$work/a.db
ledger "$db"
export SANBAO_TEST_SYNC_FAIL=3
start_server "$db" "$work/a.log"
unset SANBAO_TEST_SYNC_FAIL
post 1
expect_code "first claim (first sync)" 201
post 2
expect_code "second claim (second sync)" 201
post 3
expect_code "third claim, its sync failed: never 201" 503
contains "the 503 says the claim may be stored" "$work/resp.json" "may or may not be stored"
post 4
expect_code "a claim after the failure: refused" 503
get 1
expect_code "a GET after the failure: refused" 503
code=$(curl -s -m 30 -o "$work/resp.json" -w '%{http_code}' "$base/healthz")
expect_code "/healthz after the failure" 503
contains "/healthz says why" "$work/resp.json" "ledger_failed"
same_text "sanbao_sync_failures_total" 1 "$(metric sanbao_sync_failures_total)"
same_text "sanbao_claims_total{outcome=\"settled\"}: the two durable ones" 2 \
  "$(metric 'sanbao_claims_total{outcome="settled"}')"
stopped_failing "(a) stop after the failure"

# ---- (b) restarted without the fault --------------------------------------------------
start_server "$db" "$work/b.log"
get 1
expect_code "(b) the first claim is in the ledger" 200
get 2
expect_code "(b) the second claim is in the ledger" 200
post 3
expect_code "(b) the third claim again: replayed or settled, once" 200 201
post 4
expect_code "(b) the fourth claim settles" 201
stop_server "(b) stop"
if command -v sqlite3 >/dev/null 2>&1; then
  same_text "(b) four rows, each claim once" "4 4" \
    "$(sqlite3 "$db" "SELECT count(*) || ' ' || count(DISTINCT claim_id) FROM claims")"
else
  skip "no sqlite3 command-line tool: the row count"
fi

# ---- (c) the first sync fails under concurrent claims -----------------------------------
db=$work/c.db
ledger "$db"
export SANBAO_TEST_SYNC_FAIL=1
start_server "$db" "$work/c.log"
unset SANBAO_TEST_SYNC_FAIL
all_at_once 5 20 "$work/c.codes"
same_text "(c) every claim answered" 16 "$(wc -l <"$work/c.codes" | tr -d ' ')"
same_text "(c) not one 201: each waited for its failed sync" "" "$(grep -v '^503$' "$work/c.codes" | sort | uniq -c)"
stopped_failing "(c) stop after the failure"

# ---- (d), (e) the checkpointing thread's write to the ledger file fails ---------------
# db_file_fails CASE VARIABLE [N]: that test hook set to N (1) for the
# server's start
db_file_fails() {
  c=$1
  db=$work/$c.db
  ledger "$db"
  eval "export $2=${3:-1}"
  start_server "$db" "$work/$c.log"
  unset "$2"
  # claims one at a time, each writing frames for the thread's next
  # checkpoint (every 100 ms) to copy: 201 until its failed sync, then 503
  k=1 last=0
  while [ "$k" -le 20 ]; do
    post "$k"
    [ "$code" = 201 ] || break
    last=$k
    sleep 0.1
    k=$((k + 1))
  done
  expect_code "($c) the claim after the failure" 503
  contains "($c) the 503 says the claim may be stored" "$work/resp.json" "may or may not be stored"
  if [ "$last" -ge 1 ]; then ok; else bad "($c) no claim was answered 201 before the failure"; fi
  post 20
  expect_code "($c) a claim after that: refused" 503
  code=$(curl -s -m 30 -o "$work/resp.json" -w '%{http_code}' "$base/healthz")
  expect_code "($c) /healthz after the failure" 503
  contains "($c) /healthz says why" "$work/resp.json" "ledger_failed"
  stopped_failing "($c) stop after the failure"
  contains "($c) the log names the ledger file's sync" "$srvlog" "the ledger file failed"
  start_server "$db" "$work/${c}2.log"
  get 1
  expect_code "($c) restarted: the first claim is in the ledger" 200
  get "$last"
  expect_code "($c) restarted: the last claim answered 201 is in the ledger" 200
  post "$k"
  expect_code "($c) restarted: the claim answered 503 again, settled once" 200 201
  stop_server "($c) restarted: stop"
  if command -v sqlite3 >/dev/null 2>&1; then
    same_text "($c) each claim once" "$(sqlite3 "$db" "SELECT count(*) FROM claims")" \
      "$(sqlite3 "$db" "SELECT count(DISTINCT claim_id) FROM claims")"
    same_text "($c) integrity_check" ok "$(sqlite3 "$db" "PRAGMA integrity_check")"
  else
    skip "no sqlite3 command-line tool: the row count"
  fi
}
db_file_fails d SANBAO_TEST_DB_SYNC_FAIL
db_file_fails e SANBAO_TEST_DB_WRITEBACK_FAIL

# (f) the ledger thread's own checkpoint, the one that starts the WAL over:
# past 2 frames here, so after every claim (the checkpointing thread, given
# time, would otherwise copy the whole WAL first, and SQLite start it over
# by itself); its second fails
export SANBAO_TEST_WAL_FRAMES=2
db_file_fails f SANBAO_TEST_CKPT_FAIL 2
unset SANBAO_TEST_WAL_FRAMES
contains "(f) the log names the checkpoint" "$work/f.log" \
  "the checkpoint that starts the write-ahead log over failed"

# ---- (g) the disk pauses: slow syncs are logged, at most a line a second -------------
# SANBAO_TEST_SYNC_SLOW=2: from the second sync on, each takes 120 ms more.
# The first claim's sync is quick (no warning); the next three, sent one
# after another within 0.4 s, are slow: one line for the first of them, the
# other two counted; after a pause of over a second, a fifth slow sync gets
# the second line, which names the two not logged.  Every claim is still
# answered 201: a slow disk delays answers, it loses nothing.
db=$work/g.db
ledger "$db"
export SANBAO_TEST_SYNC_SLOW=2
start_server "$db" "$work/g.log"
unset SANBAO_TEST_SYNC_SLOW
for k in 1 2 3 4; do
  post "$k"
  expect_code "(g) claim $k answered, slow sync or not" 201
done
sleep 1.2
post 5
expect_code "(g) claim 5 answered after the pause" 201
stop_server "(g) stop"
warn="warning: a sync of the ledger's write-ahead log took 1[2-9][0-9] ms; 1 answer waited for it"
same_text "(g) two warning lines for four slow syncs" 2 "$(grep -c "$warn" "$work/g.log")"
same_text "(g) the first line: no syncs left out before it" 1 "$(grep -c "$warn\$" "$work/g.log")"
contains "(g) the second line counts the two left out" "$work/g.log" \
  "waited for it (and 2 more of 100 ms or longer since the last such line)"
same_text "(g) the quick first sync not logged: four slow syncs in all" 4 \
  "$(sed -n 's/.*waited for it (and \([0-9]*\) more.*/\1/p' "$work/g.log" | awk -v n="$(grep -c "$warn" "$work/g.log")" '{ n += $1 } END { print n }')"

finish
