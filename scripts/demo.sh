#!/bin/sh
# The main job: install what is missing, build, generate a synthetic county
# and settle a year of its claims under the default Hunan 2022 policy.
# Usage: scripts/demo.sh [PERSONS]   (default 200000)
set -eu
cd "$(dirname "$0")/.."
persons=${1:-200000}
sh scripts/deps.sh
sh scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
out=out/demo
mkdir -p "$out"
echo "== generating a synthetic county: $persons residents, a year of claims (2022)"
./build/sanbao gen --persons "$persons" --seed 2022 --year 2022 --out "$out"
echo "== premiums and subsidies (参保资助) for 2022, as of 2021-10-01"
./build/sanbao premiums --policy policies/hunan-2022.json --persons "$out/persons.csv" \
  --as-of 2021-10-01 --out "$out/premiums.csv"
echo "== settling the year: 基本医保 + 大病保险 + 医疗救助"
set +e
./build/sanbao settle --policy policies/hunan-2022.json --persons "$out/persons.csv" \
  --claims "$out/claims.csv" --out "$out/settlements.csv" --alerts "$out/alerts.csv"
code=$?
set -e
[ "$code" -le 1 ] || exit "$code"
echo "== wrote $out/settlements.csv, $out/alerts.csv, $out/premiums.csv"
