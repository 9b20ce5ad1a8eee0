#!/bin/sh
# The Hunan-scale benchmark of `sanbao simulate` (issue 5): 67 million
# insured and a year of their claims — 2.2 settlements per insured resident
# (docs/decisions.md), 147.4 million claim rows — generated once as
# persons.csv plus a claims pack (`sanbao gen --pack`, reused when present in
# out/bench/hunan-pP-cC/), then baseline and reform settled by
# `sanbao simulate --pack`: wall time, claims/s and peak RSS (GNU time).
# The reform is the seed's: the critical-illness cap 30万 -> 40万 (the
# default policy's cap is 400,000; the reform's baseline here is 300,000).
# Usage: scripts/bench-hunan.sh [PERSONS [CLAIMS]]  (default 67000000 147400000)
set -eu
cd "$(dirname "$0")/.."
persons=${1:-67000000}
claims=${2:-147400000}
# shellcheck source=scripts/bench-setup.sh
. scripts/bench-setup.sh
dir=out/bench/hunan-p$persons-c$claims
mkdir -p "$dir"
if ! [ -f "$dir/claims.pack" ] || ! [ -f "$dir/persons.csv" ]; then
  echo "== generating $persons persons and $claims claims into $dir (persons.csv + claims.pack)"
  /usr/bin/time -q -f "%e %M" -o "$dir/time.txt" "$bin" gen --persons "$persons" \
    --claims "$claims" --seed 1 --year 2022 --out "$dir" --pack "$dir/claims.pack"
  read -r secs kb < "$dir/time.txt"
  echo "   gen: $secs s, peak RSS $((kb / 1024)) MiB"
fi
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "== input: $(wc -c < "$dir/persons.csv") bytes of persons.csv, $(wc -c < "$dir/claims.pack") bytes of claims.pack"
# The baseline: the default policy with the seed's 30万 cap (its only
# critical-illness annual_cap of 400000); the reform, a merge patch: 40万.
base=$dir/hunan-2022-cap30.json
printf '{"critical_illness": {"annual_cap": "400000"}}\n' > "$dir/cap40.json"
sed 's/"annual_cap": "400000"/"annual_cap": "300000"/' policies/hunan-2022.json > "$base"
echo "== sanbao simulate --pack: baseline (cap 30万) and reform (cap 40万), 2 threads"
/usr/bin/time -q -f "%e %M" -o "$dir/time.txt" "$bin" simulate --policy "$base" \
  --reform "$dir/cap40.json" --persons "$dir/persons.csv" --pack "$dir/claims.pack" \
  --report "$dir/cap40.html" --csv "$dir/cap40.csv"
read -r secs kb < "$dir/time.txt"
awk -v s="$secs" -v n="$claims" -v kb="$kb" 'BEGIN {
  printf "   %.1f s wall, %.2f M claims/s (both policies), peak RSS %.0f MiB (%.1f GiB)\n",
         s, n / s / 1e6, kb / 1024, kb / 1048576 }'
