#!/bin/sh
# e2e: explanations in plain words (issue 16, point 4; the ASSUMED mark of
# issue 14).
#  - settle --explain is repeatable: each id explained in the order given, a
#    blank line between two, an id with no row named without changing the
#    exit status;
#  - a value the policy flags assumed carries （假定 ASSUMED）, an official one
#    does not, and the county and a prefecture's row print by name;
#  - db explain writes, for every claim that took effect, the text of
#    settle --explain over the same inputs: one import, and the same claims
#    imported in two runs; several --claim; an id the ledger lacks is exit 1.
# Usage: sh explain.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

g="$root/tests/golden"
cd "$work" || exit 2

# settle_explain CASE ID... : settle the case's claims, explanations to ex.txt
settle_explain() {
  _d="$g/$1"; shift
  _ids=""
  for _i in "$@"; do _ids="$_ids --explain $_i"; done
  # shellcheck disable=SC2086
  "$bin" settle --policy "$_d/policy-2022.json" --persons "$_d/persons.csv" \
    --claims "$_d/claims.csv" --out /dev/null --quiet $_ids 2>ex.txt
  rc=$?
}

# ---- several ids, in the order given -------------------------------------------------
settle_explain caps C2-02 NOPE C1-04
expect_rc "settle --explain x3" 0
{
  cat "$g/caps/expected-explain-C2-02.txt"
  echo
  echo "sanbao settle: --explain: no row has claim id 'NOPE'"
  echo
  cat "$g/caps/expected-explain-C1-04.txt"
} >want.txt
same_file "three --explain in the order given" want.txt ex.txt
settle_explain caps C1-04 C1-04
{ cat "$g/caps/expected-explain-C1-04.txt"; echo; cat "$g/caps/expected-explain-C1-04.txt"; } >want.txt
same_file "an id given twice is explained twice" want.txt ex.txt
run settle --policy "$g/caps/policy-2022.json" --persons "$g/caps/persons.csv" \
  --claims "$g/caps/claims.csv" --out /dev/null --quiet --explain
expect_rc "--explain without an id is a usage error" 2

# ---- ASSUMED, and names --------------------------------------------------------------
d="$g/reversal-catchup"
"$bin" settle --policy "$root/policies/hunan-2022.json" --persons "$d/persons.csv" \
  --claims "$d/claims.csv" --out /dev/null --quiet --explain R1-02 --explain R2-04 2>ex.txt
contains "assumed default critical-illness deductible is marked" ex.txt \
  "政策默认行 the policy's default row: 16000.00（假定 ASSUMED）"
contains "a prefecture's own row is by name and not marked" ex.txt \
  "按 from the row of 邵阳市 (430500): 11000.00
"
contains "assumed assistance values are marked" ex.txt \
  "救助起付线 deductible 0.00（假定 ASSUMED）) × 救助比例 ratio 70%（假定 ASSUMED）"
contains "assumed monitoring threshold is marked" ex.txt "threshold 18295.00（假定 ASSUMED）"
contains "the county by name" ex.txt "参保地 county: 长沙市雨花区 (430111);"
contains "a county the table lacks is its code" ex.txt "参保地 county: 430521;"
if grep -F -q "× 60%（假定" ex.txt; then bad "an official ratio is marked assumed"; else ok; fi
if grep -F -q "1200.00（假定" ex.txt; then bad "an official deductible is marked assumed"; else ok; fi

# ---- db explain = settle --explain ----------------------------------------------------
# ledger NAME CASE CLAIMS...: a ledger of the case's policy and persons, the
# claims files imported one after the other
ledger() {
  _db=$1 _d="$g/$2"; shift 2
  "$bin" db init --db "$_db" 2>/dev/null &&
    "$bin" db add-policy --db "$_db" "$_d/policy-2022.json" 2>/dev/null &&
    "$bin" db import-persons --db "$_db" --persons "$_d/persons.csv" 2>/dev/null || {
    bad "ledger $_db"; return 1; }
  for _c in "$@"; do "$bin" db import-claims --db "$_db" --claims "$_c" >/dev/null 2>&1; done
}

for c in caps reversal-catchup reassist-claim; do
  d="$g/$c"
  # the same claims in two imports, split on a date: the canonical order,
  # and so every amount, is the one of a single run
  head -1 "$d/claims.csv" >early.csv
  head -1 "$d/claims.csv" >late.csv
  tail -n +2 "$d/claims.csv" | awk -F, '$3 < "2022-05-01"' >>early.csv
  tail -n +2 "$d/claims.csv" | awk -F, '$3 >= "2022-05-01"' >>late.csv
  ledger one.db "$c" "$d/claims.csv"
  ledger two.db "$c" early.csv late.csv
  n=0
  for id in $(tail -n +2 "$d/claims.csv" | cut -d, -f1); do
    settle_explain "$c" "$id"
    if grep -q '被拒 is rejected' ex.txt; then continue; fi
    n=$((n + 1))
    for db in one.db two.db; do
      "$bin" db explain --db "$db" --claim "$id" >db.txt 2>db.err
      if cmp -s ex.txt db.txt; then ok; else
        bad "$c $id: db explain ($db) differs from settle --explain"
        diff ex.txt db.txt | head -6 | sed 's/^/    /'
      fi
    done
  done
  [ "$n" -ge 10 ] && ok || bad "$c: only $n claims compared"
  rm -f one.db two.db
done

ledger one.db caps "$g/caps/claims.csv"
run db explain --db one.db --claim C2-02 --claim C1-04
expect_rc "db explain, two claims" 0
{ cat "$g/caps/expected-explain-C2-02.txt"; echo; cat "$g/caps/expected-explain-C1-04.txt"; } >want.txt
same_file "db explain: two --claim in the order given" want.txt out.txt
run db explain --db one.db --claim C1-04 --claim NOPE
expect_rc "db explain: an id the ledger lacks" 1
contains "db explain: names the id it lacks" err.txt "holds no row with claim id 'NOPE'"
same_file "db explain: the others still explained" "$g/caps/expected-explain-C1-04.txt" out.txt
run db explain --db one.db
expect_rc "db explain without --claim is a usage error" 2
run db --help
contains "db --help lists explain" out.txt "sanbao db explain            --db FILE --claim ID"

finish
