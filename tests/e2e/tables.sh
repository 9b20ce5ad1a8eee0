#!/bin/sh
# Terminal output: amounts with thousands separators, and columns aligned by
# display width (a Chinese character takes two columns but three bytes, so
# byte-counting printf padding misaligns them): settle's summary, simulate's
# table and db balance; and the one progress line of long-running commands
# ("sanbao CMD: STEP NN%  T s", redrawn in place, erased at the end).
# Usage: sh tables.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
case=$root/tests/golden/basics

# columns TEXT: the terminal columns of a line of ASCII and CJK (3 bytes, 2 columns)
columns() {
  _b=$(printf '%s' "$1" | LC_ALL=C wc -c)
  _w=$(printf '%s' "$1" | LC_ALL=C tr -d '\000-\177' | LC_ALL=C wc -c)
  echo $((_b - _w / 3))
}

# aligned NAME FILE PATTERN: every line matching PATTERN has the same width
aligned() {
  _widths=$(grep -E "$3" "$2" | while IFS= read -r _l; do columns "$_l"; done | sort -u)
  _n=$(printf '%s\n' "$_widths" | grep -c .)
  if [ "$_n" -eq 1 ]; then ok; else bad "$1: lines of widths $(echo $_widths) (want one width)"; grep -E "$3" "$2" | sed 's/^/    /'; fi
}

"$bin" settle --policy "$case/policy-2022.json" --persons "$case/persons.csv" \
  --claims "$case/claims.csv" --out "$work/s.csv" 2>"$work/settle.txt"
aligned "settle summary" "$work/settle.txt" '^  (total cost|in scope|basic insurance|critical illness|medical assistance|all funds|personal) '
if grep -E -q '^  basic insurance .* 276,000\.00$' "$work/settle.txt"; then ok; else
  bad "settle summary: no '276,000.00' for basic insurance"; grep 'basic insurance' "$work/settle.txt"; fi
# the CSV keeps its plain amounts
if grep -q ',"\?[0-9]\{1,3\},[0-9]\{3\}\.' "$work/s.csv"; then bad "settlements CSV has separators"; else ok; fi

echo '{"critical_illness": {"segments": [{"upto": null, "ratio": "0.70"}]}}' >"$work/r.json"
"$bin" simulate --policy "$case/policy-2022.json" --reform "$work/r.json" --persons "$case/persons.csv" \
  --claims "$case/claims.csv" --report "$work/r.html" 2>"$work/sim.txt"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "simulate: exit $rc"; sed 's/^/    /' "$work/sim.txt" | head -5; fi
aligned "simulate table" "$work/sim.txt" '^  (元 yuan|basic insurance|critical illness|medical assistance|re-assistance|all funds|personal burden) '
if grep -E -q '^  all funds 基金支付 +[0-9]{1,3}(,[0-9]{3})+\.[0-9]{2} ' "$work/sim.txt"; then ok; else
  bad "simulate table: all funds without separators"; grep 'all funds' "$work/sim.txt"; fi

db=$work/l.db
"$bin" db init --db "$db" >/dev/null 2>&1
"$bin" db add-policy --db "$db" "$case/policy-2022.json" >/dev/null 2>&1
"$bin" db import-persons --db "$db" --persons "$case/persons.csv" >/dev/null 2>&1
"$bin" db import-claims --db "$db" --claims "$case/claims.csv" >/dev/null 2>&1
"$bin" db balance --db "$db" --person A2 --year 2022 >"$work/bal.txt" 2>&1
aligned "db balance" "$work/bal.txt" '^[a-z][a-z -]+  '
if grep -E -q '^critical illness paid .* [0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}$' "$work/bal.txt"; then ok; else
  bad "db balance: critical illness paid not a grouped amount"; cat "$work/bal.txt"; fi
# progress: settle --progress draws the common line and erases it before the summary
"$bin" settle --policy "$case/policy-2022.json" --persons "$case/persons.csv" \
  --claims "$case/claims.csv" --out "$work/s2.csv" --progress 2>"$work/p.txt"
esc=$(printf '\033')
if grep -q "${esc}\[Ksanbao settle: read  *[0-9]*%  [0-9.]* s" "$work/p.txt" &&
   grep -q "${esc}\[Ksanbao settle: settle 100%" "$work/p.txt" &&
   grep -q "${esc}\[Ksanbao settle: [0-9]* rows:" "$work/p.txt"; then ok; else
  bad "settle --progress: not the common progress line, erased before the summary"; cat -v "$work/p.txt" | head -3; fi
"$bin" settle --policy "$case/policy-2022.json" --persons "$case/persons.csv" \
  --claims "$case/claims.csv" --out "$work/s3.csv" 2>"$work/np.txt"
if grep -q "$esc" "$work/np.txt"; then bad "settle to a file: progress drawn on a non-terminal"; else ok; fi
# on a terminal (script(1) gives one), gen and simulate draw the same kind of line
if command -v script >/dev/null 2>&1; then
  script -qec "'$bin' gen --persons 2000 --out '$work/g'" /dev/null >"$work/gen.txt" 2>&1
  if grep -q "${esc}\[Ksanbao gen: persons  *[0-9]*%" "$work/gen.txt"; then ok; else
    bad "gen on a terminal: no common progress line"; cat -v "$work/gen.txt" | head -3; fi
  script -qec "'$bin' simulate --policy '$case/policy-2022.json' --reform '$work/r.json' --persons '$case/persons.csv' --claims '$case/claims.csv' --report '$work/r2.html'" /dev/null >"$work/simp.txt" 2>&1
  if grep -q "${esc}\[Ksanbao simulate: settle" "$work/simp.txt"; then ok; else
    bad "simulate on a terminal: no common progress line"; cat -v "$work/simp.txt" | head -3; fi
else
  skip "script(1) is not installed: the terminal progress checks"
fi
finish
