#!/bin/sh
# e2e: `sanbao demo`, the README's main job, from a directory where nothing
# exists yet (a fresh clone has no out/): the default --dir out/demo is made
# with its parents, the run exits 0, and the ledger it leaves holds exactly
# what `sanbao settle` makes of the claims (and fee lines) the demo generated.
# Usage: sh demo.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
policy=$root/policies/hunan-2022.json

mkdir "$work/fresh"
if (cd "$work/fresh" && "$bin" demo --persons 3000 --policy "$policy" >"$work/out.txt" 2>"$work/err.txt"); then
  ok
else
  bad "sanbao demo in a fresh directory: exit $?"; sed 's/^/    /' "$work/err.txt" | tail -5
  finish
fi
dir=$work/fresh/out/demo
for f in ledger.db persons.csv claims.csv catalog.csv fees.csv; do
  if [ -s "$dir/$f" ]; then ok; else bad "the demo left no $f in out/demo"; fi
done
# the summary names what a bureau looks at
for word in 参保率 基金支付 实际报销比例 补付; do
  if grep -q "$word" "$work/out.txt" "$work/err.txt"; then ok; else bad "the summary does not mention $word"; fi
done
# the ledger's settlements are settle's, row for row (as sets: the ledger
# is in arrival order, settle in input order — the same here)
"$bin" db export-settlements --db "$dir/ledger.db" --out "$work/ledger.csv" 2>/dev/null
"$bin" settle --policy "$policy" --persons "$dir/persons.csv" --claims "$dir/claims.csv" \
  --catalog "$dir/catalog.csv" --fees "$dir/fees.csv" --out "$work/settle.csv" --quiet 2>/dev/null
# a tenth of the claims came as fee lines, and the ledger holds them as settle classifies them
if grep -q '^费用明细 Fee lines .* [1-9][0-9]* ok' "$work/out.txt"; then ok; else
  bad "the summary shows no fee lines"; grep 'Fee lines' "$work/out.txt" | sed 's/^/    /'
fi
"$bin" db export-fee-results --db "$dir/ledger.db" --out "$work/ledger-fees.csv" 2>/dev/null
"$bin" settle --policy "$policy" --persons "$dir/persons.csv" --claims "$dir/claims.csv" \
  --catalog "$dir/catalog.csv" --fees "$dir/fees.csv" --out "$work/s2.csv" \
  --fee-results "$work/settle-fees.csv" --quiet 2>/dev/null
# as sets: the ledger lists them by claim in arrival order, settle in fees.csv's order
sort "$work/ledger-fees.csv" >"$work/a.csv"
sort "$work/settle-fees.csv" >"$work/b.csv"
if [ -s "$work/b.csv" ] && cmp -s "$work/a.csv" "$work/b.csv"; then ok; else
  bad "the demo ledger's fee results differ from settle --fee-results"
  diff "$work/a.csv" "$work/b.csv" 2>&1 | head -5 | sed 's/^/    /'
fi
if cmp -s "$work/ledger.csv" "$work/settle.csv"; then ok; else
  bad "the demo ledger differs from sanbao settle of the demo's files"
  diff "$work/ledger.csv" "$work/settle.csv" | head -5 | sed 's/^/    /'
fi
# a nested --dir whose parents do not exist
if "$bin" demo --dir "$work/a/b/c" --persons 500 --policy "$policy" >/dev/null 2>"$work/err.txt"; then ok; else
  bad "demo --dir with missing parents: exit $?"; sed 's/^/    /' "$work/err.txt" | tail -3
fi
finish
