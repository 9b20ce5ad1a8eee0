#!/bin/sh
# e2e: an import is one transaction (BEGIN IMMEDIATE, WAL, synchronous=FULL).
# `db import-claims` is killed with SIGKILL at delays spread over its own
# duration. The ledger must then hold exactly what it held before the import
# or exactly what a clean import gives, and never anything in between. It
# must also pass SQLite's integrity check. Running the import again must
# complete it: in the end the settlements and alerts are byte for byte those
# of a clean import, with nothing lost or doubled.
#
#  rounds 1-10   a fresh ledger; the whole file (about 40,000 claims). Eight
#                kills come after delays spread over the import's duration
#                (measured at the start). In every third of those rounds, when
#                the first kill left the ledger as before, the restart is killed
#                too: kill, restart and kill, restart to the end. Two
#                kills are triggered by events instead: while the commit is
#                written to the log, and during the checkpoint on close.
#  rounds 11-15  a ledger already holding the claims dated before July; the
#                second file (July on) is killed (3 delays, the 2 events) and
#                completed. Nothing of the first import may be lost or doubled.
#
# The references come from the batch (`sanbao settle`): the ledger must store
# exactly what it prints (for the date-split second file: the rows before
# July, then the rest, each in file order; see tests/e2e/ledger.sh).
# Usage: sh ledger_crash.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
bgpid=
# replaces common.sh's EXIT trap: an import still running is killed first
trap '[ -n "$bgpid" ] && kill -KILL "$bgpid" 2>/dev/null; store_cleanup; rm -rf "$work"' EXIT
policy=$root/policies/hunan-2022.json
if [ "$store" = sqlite ] && command -v sqlite3 >/dev/null 2>&1; then have_sqlite=1; else
  have_sqlite=0
  [ "$store" = sqlite ] &&
    echo "NOTE: no sqlite3 command-line tool: PRAGMA integrity_check and the row-count checks are skipped"
fi

# now_ms: the clock in milliseconds (GNU date), else 0
now_ms() {
  _t=$(date +%s%N 2>/dev/null)
  case $_t in *[!0-9]* | "") echo 0 ;; *) echo $((_t / 1000000)) ;; esac
}

# integrity NAME DB: SQLite's own check of the file as the kill left it
integrity() {
  [ "$have_sqlite" -eq 1 ] || return 0
  _r=$(sqlite3 "$2" "PRAGMA integrity_check" 2>&1)
  if [ "$_r" = ok ]; then ok; else bad "$1: integrity_check: $(echo "$_r" | head -3)"; fi
}

# state NAME DB BEFORE AFTER: the ledger equals the BEFORE or the AFTER
# snapshot (prefixes of .set.csv / .alerts.csv); sets $st to before/after
state() {
  snap "$2" "$work/now"
  if cmp -s "$work/now.set.csv" "$3.set.csv" && cmp -s "$work/now.alerts.csv" "$3.alerts.csv"; then
    st=before; ok
  elif cmp -s "$work/now.set.csv" "$4.set.csv" && cmp -s "$work/now.alerts.csv" "$4.alerts.csv"; then
    st=after; ok
  else
    st=torn
    bad "$1: the ledger is neither as before the import nor as after it ($(($(wc -l <"$work/now.set.csv") - 1)) rows; before $(($(wc -l <"$3.set.csv") - 1)), after $(($(wc -l <"$4.set.csv") - 1)))"
  fi
}

# killed_import DB CLAIMS DELAY_MS: start an import, SIGKILL it after the delay.
# $killed is 1 when it was still running then.
killed_import() {
  "$bin" db import-claims --db "$1" --claims "$2" --quiet >/dev/null 2>"$work/killed-err.txt" &
  bgpid=$!
  sleep "$(awk -v ms="$3" 'BEGIN { printf "%.3f", ms / 1000 }')"
  if kill -KILL "$bgpid" 2>/dev/null; then killed=1; else killed=0; fi
  wait "$bgpid" 2>/dev/null
  _krc=$?
  bgpid=
  if [ "$killed" -eq 0 ] && [ "$_krc" -gt 2 ]; then
    bad "import finished on its own with status $_krc$(signal_note "$_krc") before the kill"
    sed 's/^/    stderr: /' "$work/killed-err.txt" | head -3
  fi
  if [ -s "$1-wal" ]; then wal=1; else wal=0; fi
}

# complete_import NAME DB CLAIMS WANT_PREFIX STATUS_IF_BEFORE: run the import
# to the end; the result must be the reference, however the kills fell.
complete_import() {
  "$bin" db import-claims --db "$2" --claims "$3" >"$work/out.txt" 2>"$work/err.txt"
  _rc=$?
  if [ "$st" = after ]; then _want=0; else _want=$5; fi
  if [ "$_rc" -eq "$_want" ]; then ok; else
    bad "$1: completing import exited $_rc$(signal_note "$_rc"), expected $_want (ledger was '$st' the import)"
    sed 's/^/    stderr: /' "$work/err.txt" | head -5
    return 1
  fi
  snap "$2" "$work/final"
  if cmp -s "$work/final.set.csv" "$4.set.csv"; then ok; else
    bad "$1: final settlements differ from the reference"
    diff "$4.set.csv" "$work/final.set.csv" | head -6 | sed 's/^/    /'
  fi
  if cmp -s "$work/final.alerts.csv" "$4.alerts.csv"; then ok; else
    bad "$1: final alerts differ from the reference"
    diff "$4.alerts.csv" "$work/final.alerts.csv" | head -6 | sed 's/^/    /'
  fi
  integrity "$1: final" "$2"
  if [ "$have_db_sql" -eq 1 ]; then
    _n=$(db_sql "$2" "SELECT (SELECT count(*) FROM claims) || ' ' || (SELECT count(*) FROM settlements)")
    _w=$(($(wc -l <"$4.set.csv") - 1))
    if [ "$_n" = "$_w $_w" ]; then ok; else bad "$1: claims/settlements rows '$_n', expected '$_w $_w'"; fi
    db_sql "$2" "$acc_sums_sql" >"$work/final.acc"
    if cmp -s "$work/final.acc" "$4.acc"; then ok; else bad "$1: accumulators differ from the reference"; fi
  fi
  chains_hold "$1: final" "$2"
}

# ---- data and references -------------------------------------------------------
g=$work/gen
if ! "$bin" gen --persons 4000 --claims 40000 --seed 7 --out "$g" 2>"$work/err.txt"; then
  bad "gen failed"; cat "$work/err.txt"; finish
fi
awk -F, 'NR == 1 || $3 < "2022-07-01"' "$g/claims.csv" >"$g/a.csv"
awk -F, 'NR == 1 || $3 >= "2022-07-01"' "$g/claims.csv" >"$g/b.csv"
"$bin" settle --policy "$policy" --persons "$g/persons.csv" --claims "$g/claims.csv" \
  --out "$work/whole.set.csv" --alerts "$work/whole.alerts.csv" --quiet 2>/dev/null
rc_whole=$?
rc_a=0
awk -F, 'NR > 1 && $3 < "2022-07-01" && $4 == "rejected"' "$work/whole.set.csv" | grep -q . && rc_a=1
rc_b=0
awk -F, 'NR > 1 && $3 >= "2022-07-01" && $4 == "rejected"' "$work/whole.set.csv" | grep -q . && rc_b=1
head -n 1 "$work/whole.set.csv" >"$work/empty.set.csv"
head -n 1 "$work/whole.alerts.csv" >"$work/empty.alerts.csv"
{ cat "$work/empty.set.csv"; awk -F, 'NR > 1 && $3 < "2022-07-01"' "$work/whole.set.csv"; } >"$work/a.set.csv"
{ cat "$work/empty.alerts.csv"; awk -F, 'NR > 1 && $5 < "2022-07-01"' "$work/whole.alerts.csv"; } >"$work/a.alerts.csv"
{ cat "$work/a.set.csv"; awk -F, 'NR > 1 && $3 >= "2022-07-01"' "$work/whole.set.csv"; } >"$work/ab.set.csv"
cp "$work/whole.alerts.csv" "$work/ab.alerts.csv"

base=$work/base.db
if ! { "$bin" db init --db "$base" 2>/dev/null &&
  "$bin" db add-policy --db "$base" "$policy" 2>/dev/null &&
  "$bin" db import-persons --db "$base" --persons "$g/persons.csv" 2>/dev/null; } ||
  [ -e "$base-wal" ]; then
  bad "cannot make the base ledger"; finish
fi

# The reference import, timed once: the kill delays are spread over it (and a
# little past it, since one run is not as long as the next).
# Two clean imports (the first one also warms the caches); the shorter counts.
dur=0
for r in ref ref2; do
  db_copy "$base" "$work/$r.db"
  t0=$(now_ms)
  "$bin" db import-claims --db "$work/$r.db" --claims "$g/claims.csv" >/dev/null 2>"$work/ref-err.txt"
  rc=$?
  t1=$(now_ms)
  if [ "$rc" -eq "$rc_whole" ]; then ok; else bad "clean import ($r) exited $rc$(signal_note "$rc"), settle $rc_whole"; fi
  if [ "$dur" -eq 0 ] || [ $((t1 - t0)) -lt "$dur" ]; then dur=$((t1 - t0)); fi
done
if [ "$t0" -eq 0 ] || [ "$dur" -le 0 ]; then
  # no millisecond clock: the import's own timing ("committed in X s")
  dur=$(awk '/committed in/ { for (i = 1; i <= NF; i++) if ($i == "in") { printf "%d", $(i + 1) * 1000 + 20; exit } }' "$work/ref-err.txt")
  [ -n "$dur" ] || dur=300
fi
snap "$work/ref.db" "$work/ref"
if cmp -s "$work/ref.set.csv" "$work/whole.set.csv" && cmp -s "$work/ref.alerts.csv" "$work/whole.alerts.csv"; then ok; else
  bad "reference import: the ledger differs from settle"
fi
snap "$work/ref2.db" "$work/ref2"
if cmp -s "$work/ref.set.csv" "$work/ref2.set.csv" && cmp -s "$work/ref.alerts.csv" "$work/ref2.alerts.csv"; then ok; else
  bad "two clean imports of one file differ"
fi
db_reset "$work/ref2.db"
if [ "$have_db_sql" -eq 1 ]; then
  db_sql "$work/ref.db" "$acc_sums_sql" >"$work/whole.acc"
fi
echo "import of $(($(wc -l <"$g/claims.csv") - 1)) claims takes ${dur} ms; kills spread over it"

# round NAME FROM CLAIMS BEFORE AFTER RC MODE ARG [SECOND_DELAY]: copy the
# ledger FROM, start importing CLAIMS and kill it (MODE delay: after ARG ms;
# MODE event: when ARG happens, see event_import), check the ledger is as
# BEFORE or as AFTER, optionally kill a restart after SECOND_DELAY ms, then
# complete the import (status RC when the ledger was still as before) and
# compare with AFTER.
round() {
  _name=$1 _db=$work/round.db
  db_copy "$2" "$_db"
  if [ "$7" = delay ]; then killed_import "$_db" "$3" "$8"; else event_import "$_db" "$3" "$8"; fi
  n_wal=$((n_wal + wal))
  integrity "$_name" "$_db"
  state "$_name" "$_db" "$4" "$5"
  if [ "$killed" -eq 0 ]; then n_done=$((n_done + 1)); elif [ "$st" = before ]; then n_before=$((n_before + 1)); else n_after=$((n_after + 1)); fi
  if [ "$killed" -eq 1 ]; then _how="killed, the ledger is as $st the import"; else _how="the import ended before the kill"; fi
  [ "$wal" -eq 1 ] && _how="$_how, a write-ahead log left to recover"
  echo "  $_name: $_how"
  if [ $# -ge 9 ] && [ "$st" = before ]; then
    killed_import "$_db" "$3" "$9"
    integrity "$_name, second kill at $9 ms" "$_db"
    state "$_name, second kill at $9 ms" "$_db" "$4" "$5"
  fi
  [ "$st" = torn ] || complete_import "$_name" "$_db" "$3" "$5" "$6"
  db_reset "$_db"
}

# event_import DB CLAIMS EVENT: start an import and SIGKILL it as soon as
#   wal         the write-ahead log is no longer empty: the commit is being
#               written (SQLite keeps the import's pages in its cache until then)
#   checkpoint  the ledger file has grown: the commit is done and the log is
#               being copied into the file (the checkpoint on close)
#   journal     the rollback journal is no longer empty (a large import:
#               see the last part below)
# polled every millisecond or so, for 20 s at most.
event_import() {
  _size0=$(wc -c <"$1")
  "$bin" db import-claims --db "$1" --claims "$2" --quiet >/dev/null 2>"$work/killed-err.txt" &
  bgpid=$!
  _i=0
  while [ "$_i" -lt 10000 ] && kill -0 "$bgpid" 2>/dev/null; do
    case $3 in
    wal) [ -s "$1-wal" ] && break ;;
    journal) [ -s "$1-journal" ] && break ;;
    *) [ "$(wc -c <"$1")" -gt "$_size0" ] && break ;;
    esac
    sleep 0.001 2>/dev/null || sleep 1
    _i=$((_i + 1))
  done
  if kill -KILL "$bgpid" 2>/dev/null; then killed=1; else killed=0; fi
  wait "$bgpid" 2>/dev/null
  _krc=$?
  bgpid=
  if [ "$killed" -eq 0 ] && [ "$_krc" -gt 2 ]; then
    bad "import finished on its own with status $_krc$(signal_note "$_krc") before the kill"
    sed 's/^/    stderr: /' "$work/killed-err.txt" | head -3
  fi
  if [ -s "$1-wal" ]; then wal=1; else wal=0; fi
}

# ---- a fresh ledger, the whole file -----------------------------------------------
n_before=0 n_after=0 n_done=0 n_wal=0
rounds=8
k=1
while [ "$k" -le "$rounds" ]; do
  # 0.09, 0.26, ... 1.31 times the duration: computing, the commit (WAL
  # written and synced), the checkpoint on close, and after the end
  delay=$((dur * 7 * (2 * k - 1) / (10 * rounds)))
  if [ $((k % 3)) -eq 0 ]; then
    round "round $k (kill at $delay ms, then again)" "$base" "$g/claims.csv" "$work/empty" "$work/whole" \
      "$rc_whole" delay "$delay" $((dur * (rounds - k + 1) / (rounds + 1)))
  else
    round "round $k (kill at $delay ms)" "$base" "$g/claims.csv" "$work/empty" "$work/whole" \
      "$rc_whole" delay "$delay"
  fi
  k=$((k + 1))
done
# (the write-ahead log and the checkpoint are SQLite's files: under
# PostgreSQL the delays above stand for them)
[ "$store" = pg ] && skip "kills timed by SQLite's WAL and checkpoint: SQLite only"
[ "$store" = pg ] || for ev in wal checkpoint; do
  round "round $k (kill during the $ev)" "$base" "$g/claims.csv" "$work/empty" "$work/whole" "$rc_whole" event "$ev"
  k=$((k + 1))
done
echo "fresh ledger: $n_before kills before the commit, $n_after after it, $n_done imports done before the kill; $n_wal left a write-ahead log"
if [ "$n_before" -ge 1 ]; then ok; else bad "no kill landed inside an import: the delays miss it"; fi

# ---- a ledger holding the claims before July; the second file ---------------------
dba=$work/a.db
db_copy "$base" "$dba"
"$bin" db import-claims --db "$dba" --claims "$g/a.csv" >/dev/null 2>"$work/err.txt"
rc=$?
if [ "$rc" -eq "$rc_a" ]; then ok; else bad "first import (before July) exited $rc$(signal_note "$rc"), expected $rc_a"; fi
snap "$dba" "$work/first"
if cmp -s "$work/first.set.csv" "$work/a.set.csv" && cmp -s "$work/first.alerts.csv" "$work/a.alerts.csv"; then ok; else
  bad "first import (before July): the ledger differs from settle's rows before July"
fi
if [ -e "$dba-wal" ]; then bad "a write-ahead log is left after a clean import"; else ok; fi
[ "$have_db_sql" -eq 1 ] && cp "$work/whole.acc" "$work/ab.acc"
n_before=0 n_after=0 n_done=0 n_wal=0
for j in 1 2 3; do
  delay=$((dur * (2 * j - 1) / 5))
  if [ "$j" -eq 2 ]; then
    round "round $k (second import, kill at $delay ms, then again)" "$dba" "$g/b.csv" "$work/a" "$work/ab" \
      "$rc_b" delay "$delay" $((delay / 2))
  else
    round "round $k (second import, kill at $delay ms)" "$dba" "$g/b.csv" "$work/a" "$work/ab" "$rc_b" delay "$delay"
  fi
  k=$((k + 1))
done
[ "$store" = pg ] || for ev in wal checkpoint; do
  round "round $k (second import, kill during the $ev)" "$dba" "$g/b.csv" "$work/a" "$work/ab" "$rc_b" event "$ev"
  k=$((k + 1))
done
echo "second import: $n_before kills before the commit, $n_after after it, $n_done imports done before the kill; $n_wal left a write-ahead log"

# ---- a large import: the rollback journal --------------------------------------
# An import of a large file into a ledger nobody else has open runs with
# SQLite's rollback journal instead of the WAL (store_sqlite.c, "A large
# import writes each page once"). A build with the test hooks takes
# SANBAO_TEST_BULK_BYTES as the size from which a file is large: 0 here, so
# these files go that way. The same kills, and one as soon as the journal
# holds the first pages the import changes; after a clean import the ledger
# is in WAL mode again, with no journal left behind.
if [ "$store" = sqlite ]; then
  export SANBAO_TEST_BULK_BYTES=0
  n_before=0 n_after=0 n_done=0 n_wal=0
  for j in 1 2 3 4; do
    delay=$((dur * (2 * j - 1) / 6))
    round "round $k (large, fresh ledger, kill at $delay ms)" "$base" "$g/claims.csv" "$work/empty" "$work/whole" \
      "$rc_whole" delay "$delay"
    k=$((k + 1))
  done
  round "round $k (large, fresh ledger, kill when the journal is written)" "$base" "$g/claims.csv" "$work/empty" \
    "$work/whole" "$rc_whole" event journal
  k=$((k + 1))
  for j in 1 2; do
    delay=$((dur * (2 * j - 1) / 4))
    round "round $k (large, second import, kill at $delay ms)" "$dba" "$g/b.csv" "$work/a" "$work/ab" "$rc_b" delay "$delay"
    k=$((k + 1))
  done
  round "round $k (large, second import, kill when the journal is written)" "$dba" "$g/b.csv" "$work/a" "$work/ab" \
    "$rc_b" event journal
  k=$((k + 1))
  echo "large imports: $n_before kills before the commit, $n_after after it, $n_done imports done before the kill"
  db_copy "$base" "$work/large.db"
  "$bin" db import-claims --db "$work/large.db" --claims "$g/claims.csv" >/dev/null 2>"$work/err.txt"
  rc=$?
  if [ "$rc" -eq "$rc_whole" ]; then ok; else bad "large import exited $rc$(signal_note "$rc"), expected $rc_whole"; fi
  if [ "$have_sqlite" -eq 1 ]; then
    same_text "large import: the ledger is in WAL mode after it" wal "$(sqlite3 "$work/large.db" "PRAGMA journal_mode")"
  fi
  if [ -s "$work/large.db-journal" ]; then bad "large import: a journal is left behind"; else ok; fi
  snap "$work/large.db" "$work/large"
  if cmp -s "$work/large.set.csv" "$work/whole.set.csv"; then ok; else bad "large import: the ledger differs from settle"; fi
  unset SANBAO_TEST_BULK_BYTES
fi

# ---- PostgreSQL: an import in many chunks ---------------------------------------
# An import hands its claims rows, chunk by chunk, to a thread that writes
# them into one COPY kept open, and sends the claim_ids rows every few
# chunks, ending that COPY and opening it again after (store_pg_rows.c, "an
# import's chunks overlap"). A build with the test hooks takes
# SANBAO_TEST_PG_CHUNK_BYTES as the chunk's size: 16 KiB here, so the
# 40,000 claims go as hundreds of chunks and the claims COPY is ended and
# opened again dozens of times. Into an empty ledger, the rows of 10 of
# claims' 16 partitions go by a second connection into a staging table
# that the import's transaction attaches at the end (store_pg_stage.c).
# The same kills, each completed to the reference, then a clean import in
# such chunks checked against it, staged and not.
if [ "$store" = pg ]; then
  export SANBAO_TEST_PG_CHUNK_BYTES=16384
  stage="SELECT count(*) FROM pg_class WHERE relname LIKE 'sanbao_stage%'"
  n_before=0 n_after=0 n_done=0 n_wal=0
  for j in 1 2 3 4; do
    delay=$((dur * (2 * j - 1) / 6))
    round "round $k (many chunks, fresh ledger, kill at $delay ms)" "$base" "$g/claims.csv" "$work/empty" \
      "$work/whole" "$rc_whole" delay "$delay"
    k=$((k + 1))
  done
  for j in 1 2; do
    delay=$((dur * (2 * j - 1) / 4))
    round "round $k (many chunks, second import, kill at $delay ms)" "$dba" "$g/b.csv" "$work/a" "$work/ab" \
      "$rc_b" delay "$delay"
    k=$((k + 1))
  done
  echo "many chunks: $n_before kills before the commit, $n_after after it, $n_done imports done before the kill"
  if [ "$n_before" -ge 1 ]; then ok; else bad "many chunks: no kill landed inside an import"; fi
  db_copy "$base" "$work/chunks.db"
  "$bin" db import-claims --db "$work/chunks.db" --claims "$g/claims.csv" >/dev/null 2>"$work/err.txt"
  rc=$?
  if [ "$rc" -eq "$rc_whole" ]; then ok; else
    bad "import in many chunks exited $rc$(signal_note "$rc"), expected $rc_whole"
    sed 's/^/    stderr: /' "$work/err.txt" | head -3
  fi
  # a build with the hooks says at the end how the rows went: by the
  # sender's thread, switching to claim_ids more than once, and the
  # accumulators before their key
  hook=$(sed -n 's/^sanbao test hook: \([0-9]*\) chunks by the sender, \([0-9]*\) switches to claim_ids, \([0-9]*\) accumulator keys made after the rows, \([0-9]*\) claims rows staged/\1 \2 \3 \4/p' "$work/err.txt")
  if [ -z "$hook" ]; then
    skip "the PostgreSQL chunk hooks: not compiled in (-DSANBAO_TEST_HOOKS=ON)"
  else
    echo "many chunks: $hook (chunks by the sender, switches to claim_ids, accumulator keys made after the rows)"
    chunks=${hook%% *} rest=${hook#* }
    switches=${rest%% *} rest=${rest#* }
    rekeys=${rest%% *} staged=${rest#* }
    if [ "$chunks" -ge 100 ] && [ "$switches" -ge 2 ]; then ok; else
      bad "many chunks: $chunks chunks by the sender and $switches switches to claim_ids; expected at least 100 and 2"
    fi
    # the accumulators go into the empty table before their primary key,
    # made after them (the hook scales the threshold as the chunks)
    if [ "$rekeys" -eq 1 ]; then ok; else
      bad "many chunks: the accumulators' key was made after the rows $rekeys times, expected once"
    fi
    # the second connection took its share: most rows of its 10 partitions
    total=$(($(wc -l <"$g/claims.csv") - 1))
    if [ "$staged" -ge $((total / 2)) ] && [ "$staged" -lt "$total" ]; then ok; else
      bad "many chunks: $staged of $total claims rows staged, expected more than half, not all"
    fi
  fi
  snap "$work/chunks.db" "$work/chunks"
  if cmp -s "$work/chunks.set.csv" "$work/whole.set.csv" && cmp -s "$work/chunks.alerts.csv" "$work/whole.alerts.csv"
  then ok; else bad "import in many chunks: the ledger differs from settle"; fi
  if [ "$have_db_sql" -eq 1 ]; then
    db_sql "$work/chunks.db" "$acc_sums_sql" >"$work/chunks.acc"
    if cmp -s "$work/chunks.acc" "$work/whole.acc"; then ok; else bad "import in many chunks: accumulators differ"; fi
    same_text "import in many chunks: claim ids" "$(($(wc -l <"$work/whole.set.csv") - 1))" \
      "$(db_sql "$work/chunks.db" "SELECT count(*) FROM claim_ids")"
    # every key and index the import dropped is there again, as in a
    # ledger never imported into (the partitions' own included)
    keys="SELECT conname || ' ' || contype::text FROM pg_constraint WHERE connamespace = 'public'::regnamespace
          UNION ALL SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
    db_sql "$base" "$keys" >"$work/keys.base"
    db_sql "$work/chunks.db" "$keys" >"$work/keys.chunks"
    if [ -s "$work/keys.base" ]; then ok; else bad "import in many chunks: no keys read"; fi
    same_file "import in many chunks: keys and indexes" "$work/keys.base" "$work/keys.chunks"
    # claims as the single connection stores it: every column of every
    # row, each in the same partition, with the same constraints,
    # indexes and triggers
    parts="SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'claims'::regclass ORDER BY 1"
    layout="SELECT tableoid::regclass::text || ' ' || seq FROM claims ORDER BY seq"
    triggers="SELECT tgrelid::regclass::text || ' ' || tgname FROM pg_trigger ORDER BY 1"
    db_copy "$base" "$work/single.db"
    SANBAO_TEST_PG_NO_STAGE=1 "$bin" db import-claims --db "$work/single.db" --claims "$g/claims.csv" \
      >/dev/null 2>"$work/err1.txt"
    if grep -q " 0 claims rows staged" "$work/err1.txt"; then ok; else
      bad "SANBAO_TEST_PG_NO_STAGE: rows were staged"
    fi
    for q in "$keys" "$parts" "$layout" "$triggers" "SELECT * FROM claims ORDER BY seq" \
      "SELECT * FROM claim_ids ORDER BY seq" "$stage"; do
      same_text "import in many chunks, staged and not: $(echo "$q" | head -c 60)" \
        "$(db_sql "$work/single.db" "$q")" "$(db_sql "$work/chunks.db" "$q")"
    done
    same_text "import in many chunks: no staging table left" 0 "$(db_sql "$work/chunks.db" "$stage")"
    db_reset "$work/single.db"
  fi
  db_reset "$work/chunks.db"
  # refused LABEL VAR=VALUE MESSAGE: the import into bad.db with the hook
  # VAR set fails with exit 2 and MESSAGE (a grep pattern), and leaves the
  # ledger as before it, with no staging table
  refused() {
    env "$2" "$bin" db import-claims --db "$work/bad.db" --claims "$g/claims.csv" >/dev/null 2>"$work/err.txt"
    rc=$?
    if [ "$rc" -eq 2 ] && grep -q "$3" "$work/err.txt"; then ok; else
      bad "$1: exited $rc$(signal_note "$rc"), expected 2 with the message '$3'"
      sed 's/^/    stderr: /' "$work/err.txt" | head -3
    fi
    state "$1" "$work/bad.db" "$work/empty" "$work/whole"
    [ "$st" = before ] || bad "$1: the ledger is '$st' the import, expected as before it"
    same_text "$1: no staging table left" 0 "$(db_sql "$work/bad.db" "$stage")"
  }
  if [ -n "$hook" ]; then
    db_copy "$base" "$work/bad.db"
    # a chunk the server refuses inside the long COPY (its first row spoilt
    # by the hook): the import fails with the server's message and stores
    # nothing; importing again completes it
    refused "a refused chunk" SANBAO_TEST_PG_BAD_CHUNK=3 "storing claims: ERROR: *row field count is 1"
    complete_import "a refused chunk" "$work/bad.db" "$g/claims.csv" "$work/whole" "$rc_whole"
    db_reset "$work/bad.db"
    db_copy "$base" "$work/bad.db"
    # the same refused by the second connection (a staged chunk spoilt):
    # the staging goes with the import
    refused "a refused staged chunk" SANBAO_TEST_PG_BAD_STAGE=3 \
      "storing claims (second connection): ERROR: *row field count is 1"
    # the import fails after the second connection committed: its
    # rollback drops the staging table
    refused "a failure after the staging committed" SANBAO_TEST_PG_FAIL_ATTACH=1 \
      "attaching the claims' partitions: test hook"
    # a staging table left by a killed import is dropped by the next
    db_sql "$work/bad.db" "CREATE TABLE sanbao_stage_claims(left_behind integer)" >/dev/null
    complete_import "a staging table left behind" "$work/bad.db" "$g/claims.csv" "$work/whole" "$rc_whole"
    same_text "a staging table left behind: dropped by the next import" 0 "$(db_sql "$work/bad.db" "$stage")"
    db_reset "$work/bad.db"
  fi
  unset SANBAO_TEST_PG_CHUNK_BYTES
fi

finish
