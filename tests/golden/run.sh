#!/bin/sh
# Run one golden case: sanbao settle (and premiums) on the inputs of a case
# folder, compared byte for byte with the expected files it holds.
#
# A case folder holds:
#   persons.csv, claims.csv, policy-*.json        the inputs
#   expected-settlements.csv                      settle --out
#   expected-alerts.csv            (optional)     settle --alerts
#   expected-premiums-DATE.csv     (optional)     premiums --as-of DATE
#                                                  (with the case's only policy)
#   expected-exit                  (optional)     settle's exit status; default:
#                                                  1 if any row is rejected, else 0
#   catalog.csv, fees.csv          (optional)     settle --catalog --fees, and
#   expected-fee-results.csv                      settle --fee-results
#   expected-reassistance.csv      (optional)     settle --reassistance
#   expected-explain-ID.txt        (optional)     settle --explain ID (its standard
#                                                  error, with --quiet); and all of
#                                                  them in one run, --explain repeated
#                                                  in name order: the same texts, a
#                                                  blank line between two
# Usage: run.sh SANBAO CASE_DIR
set -u
bin=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
pass=0

policies=""
for p in "$dir"/policy-*.json; do policies="$policies --policy $p"; done

extra=""
if [ -f "$dir/fees.csv" ]; then
  extra="--catalog $dir/catalog.csv --fees $dir/fees.csv --fee-results $tmp/fee-results.csv"
fi
if [ -f "$dir/expected-reassistance.csv" ]; then extra="$extra --reassistance $tmp/reassistance.csv"; fi
# shellcheck disable=SC2086
"$bin" settle $policies --persons "$dir/persons.csv" --claims "$dir/claims.csv" \
  --out "$tmp/settlements.csv" --alerts "$tmp/alerts.csv" $extra --quiet
code=$?
if [ -f "$dir/expected-exit" ]; then
  want=$(cat "$dir/expected-exit")
elif grep -q ',rejected,' "$dir/expected-settlements.csv"; then
  want=1
else
  want=0
fi
if [ "$code" -ne "$want" ]; then
  echo "FAIL settle exit status $code, expected $want"; fail=$((fail + 1))
else
  pass=$((pass + 1))
fi

check() { # expected actual
  if cmp -s "$1" "$2"; then
    pass=$((pass + 1))
  else
    echo "FAIL $(basename "$1") differs:"; diff "$1" "$2" | head -20; fail=$((fail + 1))
  fi
}
check "$dir/expected-settlements.csv" "$tmp/settlements.csv"
if [ -f "$dir/expected-alerts.csv" ]; then check "$dir/expected-alerts.csv" "$tmp/alerts.csv"; fi
if [ -f "$dir/expected-fee-results.csv" ]; then
  check "$dir/expected-fee-results.csv" "$tmp/fee-results.csv"
fi
if [ -f "$dir/expected-reassistance.csv" ]; then
  check "$dir/expected-reassistance.csv" "$tmp/reassistance.csv"
fi

ids=""
: >"$tmp/explain-all.txt"
for e in "$dir"/expected-explain-*.txt; do
  [ -f "$e" ] || continue
  id=$(basename "$e" .txt | sed 's/^expected-explain-//')
  # shellcheck disable=SC2086
  "$bin" settle $policies --persons "$dir/persons.csv" --claims "$dir/claims.csv" \
    --out /dev/null $extra --quiet --explain "$id" 2>"$tmp/explain.txt"
  check "$e" "$tmp/explain.txt"
  if [ -n "$ids" ]; then echo >>"$tmp/explain-all.txt"; fi
  cat "$e" >>"$tmp/explain-all.txt"
  ids="$ids --explain $id"
done
if [ -n "$ids" ]; then
  # shellcheck disable=SC2086
  "$bin" settle $policies --persons "$dir/persons.csv" --claims "$dir/claims.csv" \
    --out /dev/null $extra --quiet $ids 2>"$tmp/explain.txt"
  check "$tmp/explain-all.txt" "$tmp/explain.txt"
fi

for e in "$dir"/expected-premiums-*.csv; do
  [ -f "$e" ] || continue
  asof=$(basename "$e" .csv | sed 's/^expected-premiums-//')
  # shellcheck disable=SC2086
  "$bin" premiums $policies --persons "$dir/persons.csv" --as-of "$asof" \
    --out "$tmp/premiums.csv" 2>/dev/null
  check "$e" "$tmp/premiums.csv"
done

echo "golden $(basename "$dir"): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
