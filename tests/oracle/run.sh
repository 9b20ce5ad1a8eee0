#!/bin/sh
# oracle/settle: a differential test of `sanbao settle` against an independent
# implementation of the rules (tests/oracle/settle.py, written from
# docs/reference/ alone).
#  1. the oracle reproduces every golden folder's expected outputs byte for
#     byte (tests/golden/*: settlements, alerts, re-assistance, fee results);
#  2. for several seeds and shapes, `sanbao gen` makes a few thousand persons
#     and their claims (one or two years, reversals, fee lines with errors),
#     tests/oracle/mutate.py spoils a few percent of the rows in every way the
#     rules name and changes the file's form (CRLF, BOM, blank lines, rows
#     shuffled, columns permuted), splits persons' intervals into two
#     categories, the policy is varied (re-assistance at
#     settlement, small binding caps and odd ratios, null caps), and sanbao and
#     the oracle must write the same bytes and exit with the same status;
#  3. two of those claims files imported into an empty ledger (`sanbao db`):
#     the same bytes again;
#  4. `sanbao premiums` against tests/oracle/premiums.py on those registries.
# On a difference it prints the first differing lines of the two outputs.
# Usage: sh run.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=../e2e/lib/common.sh
. "$(dirname "$0")/../e2e/lib/common.sh"
here=$(cd "$(dirname "$0")" && pwd)
oracle=$here/settle.py
mutate=$here/mutate.py
policy=$root/policies/hunan-2022.json
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree

if ! command -v python3 >/dev/null 2>&1; then
  skip "python3 is not installed (scripts/deps.sh test installs it): the oracle test is skipped"
  finish
fi

# first_difference NAME SANBAO_FILE ORACLE_FILE: the first differing line and
# a few around it, from both
first_difference() {
  _line=$(cmp "$2" "$3" 2>&1 | sed -n 's/.* line \([0-9]*\).*/\1/p')
  echo "    $1: first difference at line ${_line:-?} (sanbao < > oracle):"
  diff "$2" "$3" 2>&1 | head -12 | sed 's/^/    /'
}

# compare NAME SANBAO_FILE ORACLE_FILE
compare() {
  if [ -f "$2" ] && [ -f "$3" ] && cmp -s "$2" "$3"; then ok; else
    bad "$1 differs"
    first_difference "$1" "$2" "$3"
  fi
}

# both NAME DIR POLICY... -- SETTLE_EXTRA...: settle DIR's persons and claims
# with sanbao and with the oracle, then compare every output and the status
both() {
  _name=$1 _dir=$2
  shift 2
  _pol=""
  while [ "$1" != -- ]; do _pol="$_pol --policy $1"; shift; done
  shift
  _extra=""
  if [ -f "$_dir/fees.csv" ]; then
    _extra="--catalog $_dir/catalog.csv --fees $_dir/fees.csv"
  fi
  mkdir -p "$_dir/s" "$_dir/o"
  for _who in s o; do
    _fr=""
    [ -n "$_extra" ] && _fr="--fee-results $_dir/$_who/fee-results.csv"
    # shellcheck disable=SC2086
    set -- $_pol --persons "$_dir/persons.csv" --claims "$_dir/claims.csv" \
      --out "$_dir/$_who/settlements.csv" --alerts "$_dir/$_who/alerts.csv" \
      --reassistance "$_dir/$_who/reassistance.csv" $_extra $_fr
    if [ "$_who" = s ]; then
      "$bin" settle "$@" --quiet 2>"$_dir/s/err.txt"
      _rc_s=$?
    else
      python3 "$oracle" "$@" 2>"$_dir/o/err.txt"
      _rc_o=$?
    fi
  done
  if [ "$_rc_s" -eq "$_rc_o" ] && [ "$_rc_s" -le 1 ]; then ok; else
    bad "$_name: exit status sanbao $_rc_s, oracle $_rc_o"
    head -3 "$_dir/s/err.txt" "$_dir/o/err.txt" | sed 's/^/    /'
  fi
  for _f in settlements alerts reassistance fee-results; do
    [ -f "$_dir/s/$_f.csv" ] || [ -f "$_dir/o/$_f.csv" ] || continue
    compare "$_name $_f.csv" "$_dir/s/$_f.csv" "$_dir/o/$_f.csv"
  done
  # the case must exercise something: settled rows (and, when asked, rejections)
  _settled=$(grep -c ',settled,' "$_dir/o/settlements.csv")
  if [ "$_settled" -gt 1000 ]; then ok; else bad "$_name: only $_settled rows settled"; fi
}

# rows_with NAME FILE PATTERN MIN: the case holds at least MIN rows matching
rows_with() {
  _n=$(grep -c -- "$3" "$2")
  if [ "$_n" -ge "$4" ]; then ok; else bad "$1: only $_n rows with '$3' (want $4)"; fi
}

# 1. the golden folders
for case_dir in "$root"/tests/golden/*/; do
  name=$(basename "$case_dir")
  pol=""
  for p in "$case_dir"policy-*.json; do pol="$pol --policy $p"; done
  extra=""
  if [ -f "$case_dir/fees.csv" ]; then
    extra="--catalog $case_dir/catalog.csv --fees $case_dir/fees.csv --fee-results $work/g-$name-fee-results.csv"
  fi
  # shellcheck disable=SC2086
  python3 "$oracle" $pol --persons "$case_dir/persons.csv" --claims "$case_dir/claims.csv" \
    --out "$work/g-$name-settlements.csv" --alerts "$work/g-$name-alerts.csv" \
    --reassistance "$work/g-$name-reassistance.csv" $extra 2>"$work/err.txt"
  rc=$?
  if [ "$rc" -le 1 ]; then ok; else bad "golden/$name: the oracle exited $rc"; sed 's/^/    /' "$work/err.txt"; fi
  for f in settlements alerts reassistance fee-results; do
    [ -f "$case_dir/expected-$f.csv" ] || continue
    if cmp -s "$case_dir/expected-$f.csv" "$work/g-$name-$f.csv"; then ok; else
      bad "golden/$name: the oracle's $f.csv differs from expected-$f.csv"
      diff "$case_dir/expected-$f.csv" "$work/g-$name-$f.csv" | head -12 | sed 's/^/    /'
    fi
  done
done

# 2. generated data
gen() { # DIR ARGS...
  _d=$1
  shift
  if "$bin" gen --out "$_d" "$@" >/dev/null 2>"$work/err.txt"; then ok; else
    bad "sanbao gen $*"
    sed 's/^/    /' "$work/err.txt"
  fi
}
split_persons() { # DIR SEED: a fifth of the persons change category in 2022
  mv "$1/persons.csv" "$1/persons-gen.csv"
  python3 "$mutate" persons "$2" 2022 "$1/persons-gen.csv" "$1/persons.csv"
}
python3 "$mutate" policy claim "$policy" "$work/claim.json"
python3 "$mutate" policy tight "$policy" "$work/tight.json"
python3 "$mutate" policy nulls "$policy" "$work/nulls.json"
python3 "$mutate" policy year=2021 "$work/tight.json" "$work/tight-2021.json"
python3 "$mutate" policy numbers "$work/claim.json" "$work/numbers.json"

# a. clean data, the shipped policy (re-assistance after the year)
gen "$work/a" --persons 3000 --seed 11
both "a: seed 11, hunan-2022" "$work/a" "$policy" --
rows_with "a" "$work/a/o/reassistance.csv" ',2022,' 5
rows_with "a" "$work/a/o/settlements.csv" ',reversed,' 20

# b. re-assistance paid at settlement, JSON numbers in the policy, the claims
# dense (caps bind)
gen "$work/b" --persons 2000 --claims 40000 --seed 12
both "b: seed 12, dense, timing claim, JSON numbers" "$work/b" "$work/numbers.json" --

# c. spoiled rows, shuffled, under small caps and odd ratios
gen "$work/c" --persons 3000 --seed 13
mv "$work/c/claims.csv" "$work/c/clean.csv"
python3 "$mutate" claims 13 "$work/c/clean.csv" "$work/c/claims.csv" --shuffle
split_persons "$work/c" 13
both "c: seed 13, spoiled, tight policy" "$work/c" "$work/tight.json" --
rows_with "c" "$work/c/o/settlements.csv" ',rejected,' 100
rows_with "c" "$work/c/o/settlements.csv" 'UNKNOWN_REGION' 10
rows_with "c" "$work/c/o/alerts.csv" 'everyone-low' 100
# results do not depend on sanbao's threads (settlement §4)
for threads in 1 3; do
  "$bin" settle --policy "$work/tight.json" --persons "$work/c/persons.csv" --claims "$work/c/claims.csv" \
    --out "$work/c/s/settlements-t$threads.csv" --alerts "$work/c/s/alerts-t$threads.csv" \
    --threads "$threads" --quiet 2>/dev/null
  compare "c --threads $threads settlements.csv" "$work/c/s/settlements-t$threads.csv" "$work/c/o/settlements.csv"
  compare "c --threads $threads alerts.csv" "$work/c/s/alerts-t$threads.csv" "$work/c/o/alerts.csv"
done

# d. spoiled rows, CRLF, a BOM, columns permuted, every cap null
gen "$work/d" --persons 3000 --seed 14
mv "$work/d/claims.csv" "$work/d/clean.csv"
python3 "$mutate" claims 14 "$work/d/clean.csv" "$work/d/claims.csv" --crlf --bom --permute --shuffle
split_persons "$work/d" 14
both "d: seed 14, spoiled, CRLF+BOM, permuted, null caps" "$work/d" "$work/nulls.json" --
for reason in MALFORMED_ROW BAD_AMOUNT BAD_VISIT_TYPE BAD_LEVEL UNKNOWN_PERSON NOT_INSURED \
  NO_POLICY DUPLICATE_CLAIM UNKNOWN_CLAIM ALREADY_REVERSED PERSON_MISMATCH; do
  rows_with "d" "$work/d/o/settlements.csv" ",$reason," 1
done

# e. two years in one file (ids renamed apart), each with its policy
gen "$work/e" --persons 2500 --seed 15 --year 2021
mv "$work/e/claims.csv" "$work/e/c2021.csv"
gen "$work/e" --persons 2500 --seed 15
python3 "$mutate" rename-ids Y21- "$work/e/c2021.csv" "$work/e/r2021.csv"
{ cat "$work/e/r2021.csv"; tail -n +2 "$work/e/claims.csv"; } >"$work/e/both.csv"
python3 "$mutate" claims 15 "$work/e/both.csv" "$work/e/claims.csv" --shuffle
split_persons "$work/e" 15
both "e: seed 15, 2021 + 2022" "$work/e" "$work/tight-2021.json" "$policy" --

# f. two years whose claim ids collide: the earlier year takes every id
gen "$work/f" --persons 2500 --seed 16 --year 2021
mv "$work/f/claims.csv" "$work/f/c2021.csv"
gen "$work/f" --persons 2500 --seed 16 --claims 20000
{ cat "$work/f/c2021.csv"; tail -n +2 "$work/f/claims.csv"; } >"$work/f/both.csv"
python3 "$mutate" claims 16 "$work/f/both.csv" "$work/f/claims.csv"
both "f: seed 16, colliding years" "$work/f" "$work/claim.json" "$work/tight-2021.json" --
rows_with "f" "$work/f/o/settlements.csv" ',DUPLICATE_CLAIM,' 1000

# g. fee lines (some spoiled, some at the edges of §11) for 60% of the
# claims, the rest as totals
gen "$work/g" --persons 2000 --seed 17 --fees --fee-share 60 --fee-errors
mv "$work/g/claims.csv" "$work/g/clean.csv"
python3 "$mutate" claims 17 "$work/g/clean.csv" "$work/g/claims.csv"
mv "$work/g/fees.csv" "$work/g/fees-gen.csv"
python3 "$mutate" fees 17 "$work/g/claims.csv" "$work/g/catalog.csv" "$work/g/fees-gen.csv" "$work/g/fees.csv"
split_persons "$work/g" 17
both "g: seed 17, fee lines" "$work/g" "$policy" --
rows_with "g" "$work/g/o/fee-results.csv" ',ok$' 1000
rows_with "g" "$work/g/o/settlements.csv" ',BAD_FEES,' 1

# h. fee lines under the tight policy, paid at settlement
gen "$work/h" --persons 2000 --seed 18 --fees --fee-share 100 --fee-errors
mv "$work/h/fees.csv" "$work/h/fees-gen.csv"
python3 "$mutate" fees 18 "$work/h/claims.csv" "$work/h/catalog.csv" "$work/h/fees-gen.csv" "$work/h/fees.csv"
both "h: seed 18, fee lines, tight policy" "$work/h" "$work/tight.json" --

# 3. the ledger: on an empty ledger, an import stores byte for byte what
# settle prints (docs/ledger.md), so it must match the oracle as well
ledger() { # CASE POLICY...
  _case=$1
  shift
  _db=$work/$_case/ledger.db
  "$bin" db init --db "$_db" 2>/dev/null
  for _p in "$@"; do "$bin" db add-policy --db "$_db" "$_p" 2>/dev/null; done
  "$bin" db import-persons --db "$_db" --persons "$work/$_case/persons.csv" 2>/dev/null
  "$bin" db import-claims --db "$_db" --claims "$work/$_case/claims.csv" 2>/dev/null
  "$bin" db export-settlements --db "$_db" --out "$work/$_case/s/ledger-settlements.csv" 2>/dev/null
  "$bin" db alerts --db "$_db" --out "$work/$_case/s/ledger-alerts.csv" 2>/dev/null
  compare "$_case ledger settlements" "$work/$_case/s/ledger-settlements.csv" "$work/$_case/o/settlements.csv"
  compare "$_case ledger alerts" "$work/$_case/s/ledger-alerts.csv" "$work/$_case/o/alerts.csv"
}
ledger c "$work/tight.json"
ledger e "$work/tight-2021.json" "$policy"

# 4. premiums (settlement §9, formats §6) on the registries above, whose
# categories change during the year, before and during it
for as_of in 2021-10-01 2022-01-01 2022-07-15 2022-12-31; do
  for case in c d; do
    "$bin" premiums --policy "$policy" --persons "$work/$case/persons.csv" --as-of "$as_of" \
      --out "$work/$case/s/premiums.csv" 2>/dev/null
    python3 "$here/premiums.py" --policy "$policy" --persons "$work/$case/persons.csv" \
      --as-of "$as_of" --out "$work/$case/o/premiums.csv"
    compare "premiums $case $as_of" "$work/$case/s/premiums.csv" "$work/$case/o/premiums.csv"
  done
done

# SANBAO_ORACLE_KEEP=DIR keeps every case's inputs and both outputs in DIR
if [ -n "${SANBAO_ORACLE_KEEP:-}" ]; then
  mkdir -p "$SANBAO_ORACLE_KEEP" && cp -R "$work"/. "$SANBAO_ORACLE_KEEP"/
fi
finish
