#!/bin/sh
# The benchmark (not a test): 1 million persons and 10 million claims from
# `sanbao gen`, then
#   (a) the core alone on pre-parsed claims, one thread   (bench/bench_core)
#   (b) the CSV reader against libcsv                     (bench/csvbench)
#   (c) `sanbao settle` end to end, CSV to CSV: claims/s, MB/s, peak memory
#   (d) `sanbao db import-claims` into a fresh ledger, durable
#   (e) the other data shape: 108 claims a person, random claim ids (settle
#       and import), each beside its anchor measured in the same run
# and the anchors of (c) and (d): a plain read of the file, the sqlite3
# shell importing the same rows.
# Usage: scripts/bench.sh [PERSONS [CLAIMS]]   (default 1000000 10000000)
# The generated files are kept in out/bench/ and reused when present.
set -eu
cd "$(dirname "$0")/.."
persons=${1:-1000000}
claims=${2:-10000000}
# shellcheck source=scripts/bench-setup.sh
. scripts/bench-setup.sh
dir=out/bench/p$persons-c$claims
if ! [ -f "$dir/claims.csv" ]; then
  mkdir -p "$dir"
  echo "== generating $persons persons and $claims claims into $dir"
  "$bin" gen --persons "$persons" --claims "$claims" --seed 1 --year 2022 --out "$dir"
fi
bytes=$(wc -c < "$dir/claims.csv")
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "== input: $(wc -l < "$dir/claims.csv") lines, $bytes bytes of claims.csv"

echo "== (a) core, pre-parsed claims in memory, one thread"
build-bench/bench/bench_core policies/hunan-2022.json "$dir/persons.csv" "$dir/claims.csv" 5

echo "== (b) CSV reader vs libcsv, file in memory"
build-bench/bench/csvbench "$dir/claims.csv"

echo "== (c) sanbao settle end to end (best of 3)"
best=""
for run in 1 2 3; do
  /usr/bin/time -q -f "%e %M" -o out/bench/time.txt "$bin" settle --policy policies/hunan-2022.json \
    --persons "$dir/persons.csv" --claims "$dir/claims.csv" \
    --out "$dir/settlements.csv" --alerts "$dir/alerts.csv" --quiet || [ $? -eq 1 ]
  read -r secs kb < out/bench/time.txt
  echo "   run $run: $secs s, peak RSS $((kb / 1024)) MiB"
  if [ -z "$best" ] || awk "BEGIN {exit !($secs < $best)}"; then best=$secs; bestkb=$kb; fi
done
awk -v s="$best" -v n="$claims" -v b="$bytes" -v kb="$bestkb" 'BEGIN {
  printf "   best: %.2f s, %.2f M claims/s, %.0f MB/s of input, peak RSS %.0f MiB\n",
         s, n / s / 1e6, b / s / 1e6, kb / 1024 }'

echo "== (d) durable ledger import: sanbao db import-claims into a fresh SQLite ledger"
echo "   (WAL, synchronous=FULL, one transaction; the claims of (c))"
db=out/bench/ledger.db
rm -f "$db" "$db-wal" "$db-shm"
"$bin" db init --db "$db" 2>/dev/null
"$bin" db add-policy --db "$db" policies/hunan-2022.json 2>/dev/null
/usr/bin/time -q -f "%e %M" -o out/bench/time.txt "$bin" db import-persons --db "$db" --persons "$dir/persons.csv" 2>/dev/null
read -r secs kb < out/bench/time.txt
echo "   import-persons: $secs s"
/usr/bin/time -q -f "%e %M" -o out/bench/time.txt "$bin" db import-claims --db "$db" --claims "$dir/claims.csv" --quiet || [ $? -eq 1 ]
read -r secs kb < out/bench/time.txt
awk -v s="$secs" -v n="$claims" -v kb="$kb" 'BEGIN {
  printf "   import-claims: %.2f s, %.0f k claims/s durable, peak RSS %.0f MiB\n", s, n / s / 1e3, kb / 1024 }'
echo "   ledger size: $(du -h "$db" | cut -f1) (+ WAL $(du -h "$db-wal" 2>/dev/null | cut -f1))"
rm -f "$db" "$db-wal" "$db-shm"

# ---- anchors: the same machine, the same minute ---------------------------------
# Absolute figures drift on a shared VM; each figure above is also given as a
# ratio to an anchor measured now: a plain read of the same file (cat to
# /dev/null, page cache warm) for settle, and the sqlite3 shell importing
# the same rows into a table keyed by claim id (WAL, synchronous=FULL) for
# the ledger import.
anchor_read() { # FILE -> seconds of a warm plain read
  cat "$1" >/dev/null
  /usr/bin/time -q -f "%e" -o out/bench/time.txt cat "$1" >/dev/null
  cat out/bench/time.txt
}
anchor_sqlite() { # FILE -> seconds for the sqlite3 shell to import its rows
  _db=out/bench/anchor.db
  rm -f "$_db" "$_db-wal" "$_db-shm"
  sqlite3 "$_db" 'PRAGMA journal_mode=WAL;' 'PRAGMA synchronous=FULL;' \
    'CREATE TABLE c(claim_id TEXT PRIMARY KEY, person_id TEXT, date TEXT, visit_type TEXT,
       level TEXT, medfee TEXT, fulamt TEXT, overlmt TEXT, preself TEXT, reverses TEXT);' >/dev/null
  /usr/bin/time -q -f "%e" -o out/bench/time.txt \
    sqlite3 "$_db" 'PRAGMA synchronous=FULL;' '.import --csv --skip 1 '"$1"' c'
  rm -f "$_db" "$_db-wal" "$_db-shm"
  cat out/bench/time.txt
}
# settle_best DIR CLAIMS: best of 3 `sanbao settle`, sets $best (s) and $bestkb
settle_best() {
  best=""
  for run in 1 2 3; do
    /usr/bin/time -q -f "%e %M" -o out/bench/time.txt "$bin" settle --policy policies/hunan-2022.json \
      --persons "$1/persons.csv" --claims "$1/claims.csv" \
      --out "$1/settlements.csv" --alerts "$1/alerts.csv" --quiet || [ $? -eq 1 ]
    read -r secs kb < out/bench/time.txt
    if [ -z "$best" ] || awk "BEGIN {exit !($secs < $best)}"; then best=$secs; bestkb=$kb; fi
  done
  rm -f "$1/settlements.csv" "$1/alerts.csv"
}
# import_once DIR: `sanbao db import-claims` into a fresh ledger, sets $secs
import_once() {
  _db=out/bench/ledger.db
  rm -f "$_db" "$_db-wal" "$_db-shm"
  "$bin" db init --db "$_db" 2>/dev/null
  "$bin" db add-policy --db "$_db" policies/hunan-2022.json 2>/dev/null
  "$bin" db import-persons --db "$_db" --persons "$1/persons.csv" 2>/dev/null
  /usr/bin/time -q -f "%e %M" -o out/bench/time.txt "$bin" db import-claims --db "$_db" \
    --claims "$1/claims.csv" --quiet || [ $? -eq 1 ]
  read -r secs kb < out/bench/time.txt
  rm -f "$_db" "$_db-wal" "$_db-shm"
}

echo "== (e) the other data shape: 20,000 persons, 2,160,000 claims (108 a person),"
echo "   claim ids random 16-hex-digit strings (gen's ids rewritten, reversals kept)"
rdir=out/bench/p20000-c2160000-random
if ! [ -f "$rdir/claims.csv" ]; then
  mkdir -p "$rdir.tmp"
  "$bin" gen --persons 20000 --claims 2160000 --seed 1 --year 2022 --out "$rdir.tmp" 2>/dev/null
  # C0000000042 -> a bijection of 42 onto 64 bits (2654435761 is odd: no two
  # ids collide); the same map on `reverses` keeps every reversal's target
  awk -F, -v OFS=, 'function rid(s,  n) { n = substr(s, 2) + 0
      return sprintf("%08x%08x", (n * 2654435761) % 4294967296, (n * 2246822519 + 3266489917) % 4294967296) }
    NR == 1 { print; next }
    { $1 = rid($1); if ($10 != "") $10 = rid($10); print }' "$rdir.tmp/claims.csv" >"$rdir.tmp/c.csv"
  mv "$rdir.tmp/c.csv" "$rdir.tmp/claims.csv"
  mv "$rdir.tmp" "$rdir"
fi
rbytes=$(wc -c < "$rdir/claims.csv")
rclaims=$(($(wc -l < "$rdir/claims.csv") - 1))
settle_best "$rdir"
read_s=$(anchor_read "$rdir/claims.csv")
awk -v s="$best" -v n="$rclaims" -v b="$rbytes" -v kb="$bestkb" -v r="$read_s" 'BEGIN {
  printf "   settle, best of 3: %.2f s, %.2f M claims/s, %.0f MB/s, peak RSS %.0f MiB;", s, n / s / 1e6, b / s / 1e6, kb / 1024
  printf " a plain read of the file: %.2f s (settle / read = %.1f)\n", r, (r > 0 ? s / r : 0) }'
import_once "$rdir"
sq=$(anchor_sqlite "$rdir/claims.csv")
awk -v s="$secs" -v n="$rclaims" -v q="$sq" 'BEGIN {
  printf "   db import-claims: %.2f s, %.0f k claims/s durable; the sqlite3 shell importing the same rows\n", s, n / s / 1e3
  printf "   into a table keyed by claim id: %.2f s (import / sqlite3 shell = %.2f)\n", q, (q > 0 ? s / q : 0) }'

echo "== anchors for (c) and (d): the 10 M claims file"
read_s=$(anchor_read "$dir/claims.csv")
sq=$(anchor_sqlite "$dir/claims.csv")
echo "   a plain read: $read_s s; the sqlite3 shell importing its rows: $sq s"
