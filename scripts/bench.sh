#!/bin/sh
# The benchmark (not a test): 1 million persons and 10 million claims from
# `sanbao gen`, then
#   (a) the core alone on pre-parsed claims, one thread   (bench/bench_core)
#   (b) the CSV reader against libcsv                     (bench/csvbench)
#   (c) `sanbao settle` end to end, CSV to CSV: claims/s, MB/s, peak memory
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
