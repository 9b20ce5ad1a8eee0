#!/bin/sh
# e2e: the ledger (`sanbao db`, src/ledger/ledger.c + store_sqlite.c, or
# store_pg.c with SANBAO_STORE=pg: lib/store.sh) keeps its promises:
#  - an import stores exactly what the batch `sanbao settle` prints, for every
#    golden case and for generated inputs (settlements, alerts, exit status);
#  - importing again settles nothing twice; a claim id already held with
#    other content is rejected CONFLICT; a file that overlaps a received one
#    adds only the rows not yet received;
#  - importing a file split by date in two gives what one batch gives;
#  - settlements are append-only (when the sqlite3 CLI is present);
#  - a foreign, corrupt, truncated or missing file is a clear exit-2 error;
#  - balance, enroll and resettle (年度清算) report the right numbers: resettle
#    against tests/ledger/resettle/, computed by hand (see its README.md).
# Usage: sh ledger.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
# shellcheck disable=SC2317  # not every helper is used
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
policy=$root/policies/hunan-2022.json
golden=$root/tests/golden
case_rs=$root/tests/ledger/resettle
HDR=claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses
if [ "$store" = sqlite ] && command -v sqlite3 >/dev/null 2>&1; then have_sqlite=1; else
  have_sqlite=0
  [ "$store" = sqlite ] &&
    echo "NOTE: no sqlite3 command-line tool: the append-only, PRAGMA and accumulator-table checks are skipped"
fi

# expect_rc NAME WANT: replaces common.sh's, to note a crash or a sanitizer
# report and show more of stderr
expect_rc() {
  if [ "$rc" -eq "$2" ]; then ok; else
    bad "$1: exit status $rc, expected $2$(signal_note "$rc")$(sanitizer_note)"
    sed 's/^/    stderr: /' "$work/err.txt" | head -8
  fi
}

# survived NAME: the last import did not crash (else one failure, and the
# caller skips the checks that depend on it)
survived() {
  case $rc in 0 | 1 | 2) return 0 ;; esac
  bad "$1: import-claims exited $rc$(signal_note "$rc"); the checks that depend on it are skipped"
  sed 's/^/    stderr: /' "$work/err.txt" | head -8
  return 1
}

sanitizer_note() {
  grep -q 'ERROR: AddressSanitizer\|runtime error:' "$work/err.txt" 2>/dev/null && echo " (a sanitizer report)"
}

# same_sorted NAME A B: the same lines as multisets
same_sorted() {
  LC_ALL=C sort "$2" >"$work/sorted.a"
  LC_ALL=C sort "$3" >"$work/sorted.b"
  if cmp -s "$work/sorted.a" "$work/sorted.b"; then ok; else
    bad "$1: different lines"; diff "$work/sorted.a" "$work/sorted.b" | head -12 | sed 's/^/    /'
  fi
}

# new_ledger DB PERSONS POLICY...: a ledger with its reference data (one check)
new_ledger() {
  _db=$1 _persons=$2
  shift 2
  db_reset "$_db"
  if ! "$bin" db init --db "$_db" 2>"$work/err.txt"; then
    bad "db init $_db"; sed 's/^/    /' "$work/err.txt"; return 1
  fi
  for _p in "$@"; do
    if ! "$bin" db add-policy --db "$_db" "$_p" 2>"$work/err.txt"; then
      bad "db add-policy $_p"; sed 's/^/    /' "$work/err.txt"; return 1
    fi
  done
  if ! "$bin" db import-persons --db "$_db" --persons "$_persons" 2>"$work/err.txt"; then
    bad "db import-persons $_persons"; sed 's/^/    /' "$work/err.txt"; return 1
  fi
  ok
}

# import DB CLAIMS: import-claims, status in $rc, summary in $work/import.txt
import() {
  "$bin" db import-claims --db "$1" --claims "$2" >"$work/out.txt" 2>"$work/import.txt"
  rc=$?
  cp "$work/import.txt" "$work/err.txt"
}

# balances DB OUT YEAR PERSON...: every person's balance, one after another
balances() {
  _db=$1 _out=$2 _y=$3
  shift 3
  : >"$_out"
  for _p in "$@"; do "$bin" db balance --db "$_db" --person "$_p" --year "$_y" >>"$_out" 2>&1; done
}

# bal FILE LABEL: the last field of the balance line starting with LABEL, its
# thousands separators (a terminal table's) removed
bal() { awk -v l="$2" 'index($0, l) == 1 { v = $NF; gsub(",", "", v); print v; exit }' "$1"; }

# same_accs NAME WANT_DB GOT_DB: the accumulators tables are equal (sqlite3 or psql)
same_accs() {
  [ "$have_db_sql" -eq 1 ] || return 0
  db_sql "$2" "$acc_sums_sql" >"$work/acc-want.txt"
  db_sql "$3" "$acc_sums_sql" >"$work/acc-got.txt"
  same_file "$1" "$work/acc-want.txt" "$work/acc-got.txt"
}

# settle OUTPREFIX CLAIMS PERSONS POLICY...: the batch, status in $src
settle() {
  _o=$1 _c=$2 _pe=$3
  shift 3
  _n=$#
  while [ "$_n" -gt 0 ]; do # each POLICY becomes --policy POLICY
    set -- "$@" --policy "$1"
    shift
    _n=$((_n - 1))
  done
  "$bin" settle "$@" --persons "$_pe" --claims "$_c" --out "$_o.set.csv" --alerts "$_o.alerts.csv" \
    --quiet 2>"$work/err.txt"
  src=$?
}

# persons_of CSV: the distinct person ids (2nd column) of a settlements file
persons_of() { awk -F, 'NR > 1 { print $2 }' "$1" | LC_ALL=C sort -u; }

# persons_with_reversals SETTLEMENTS: persons with a `reversed` row
persons_with_reversals() { awk -F, 'NR > 1 && $4 == "reversed" { print $2 }' "$1" | LC_ALL=C sort -u; }

# resettle_only_reversals NAME DIR SETTLEMENTS: re-settling under the stored
# policy may only move money of persons whose year has a reversed pair
# (catch-up, docs/reference/settlement.md §6); everyone else is unchanged.
resettle_only_reversals() {
  persons_with_reversals "$3" >"$work/rev.txt"
  awk -F, 'NR > 1 { print $1 }' "$2/persons.csv" | LC_ALL=C sort -u >"$work/rs-persons.txt"
  awk -F, 'NR > 1 { print $2 }' "$2/claims.csv" | LC_ALL=C sort -u >"$work/rs-claim-persons.txt"
  _extra=$(LC_ALL=C comm -23 "$work/rs-persons.txt" "$work/rev.txt" | head -5 | tr '\n' ' ')
  if [ -z "$_extra" ]; then ok; else bad "$1: resettle under the stored policy changed persons without a reversal: $_extra"; fi
  if cmp -s "$work/rs-persons.txt" "$work/rs-claim-persons.txt"; then ok; else
    bad "$1: persons.csv and claims.csv of resettle name different persons"
  fi
}

RS_CLAIMS_HDR=claim_id,person_id,date,category_before,category_after,hifp_before,hifp_after,hifmi_before,hifmi_after,maf_before,maf_after,fund_before,fund_after,fund_difference
RS_PERSONS_HDR=person_id,household_id,year,claims,fund_before,fund_after,hifp_difference,hifmi_difference,maf_difference,topup,recover

# headers_only NAME DIR: resettle found no difference
headers_only() {
  printf '%s\n' "$RS_CLAIMS_HDR" >"$work/h1.csv"
  printf '%s\n' "$RS_PERSONS_HDR" >"$work/h2.csv"
  same_file "$1: claims.csv" "$work/h1.csv" "$2/claims.csv"
  same_file "$1: persons.csv" "$work/h2.csv" "$2/persons.csv"
}

# ============================================================================
# 1. Every golden case: a fresh ledger stores what the batch prints.
# ============================================================================
for dir in "$golden"/*/; do
  dir=${dir%/}
  [ -f "$dir/claims.csv" ] || continue
  name=golden/$(basename "$dir")
  db=$work/$(basename "$dir").db
  # shellcheck disable=SC2046
  new_ledger "$db" "$dir/persons.csv" $(ls "$dir"/policy-*.json) || continue
  if [ -f "$dir/fees.csv" ]; then
    # fee lines: the catalogue goes into the ledger, the lines with their claims
    run db add-catalog --db "$db" "$dir/catalog.csv"
    expect_rc "$name: add-catalog" 0
    "$bin" settle $(for p in "$dir"/policy-*.json; do echo --policy "$p"; done) \
      --persons "$dir/persons.csv" --claims "$dir/claims.csv" --out "$work/batch.set.csv" \
      --alerts "$work/batch.alerts.csv" --catalog "$dir/catalog.csv" --fees "$dir/fees.csv" \
      --quiet 2>"$work/err.txt"
    src=$?
    "$bin" db import-claims --db "$db" --claims "$dir/claims.csv" --fees "$dir/fees.csv" \
      >"$work/out.txt" 2>"$work/import.txt"
    rc=$?
    irc=$rc
    cp "$work/import.txt" "$work/err.txt"
    # every line that names a claim is stored with its result (the order is
    # the claims', not the file's: compared as sets)
    run db export-fee-results --db "$db" --out "$work/g.fees.csv"
    expect_rc "$name: export-fee-results" 0
    grep -v ',no_claim$' "$dir/expected-fee-results.csv" | LC_ALL=C sort >"$work/want.fees"
    LC_ALL=C sort "$work/g.fees.csv" >"$work/got.fees"
    same_file "$name: stored fee lines = settle --fee-results (without no_claim)" \
      "$work/want.fees" "$work/got.fees"
    # importing the same files again adds nothing; changed lines are a CONFLICT
    "$bin" db import-claims --db "$db" --claims "$dir/claims.csv" --fees "$dir/fees.csv" \
      >/dev/null 2>&1
    same_text "$name: re-import with the same fee lines" 0 "$?"
    run db export-fee-results --db "$db" --out "$work/g2.fees.csv"
    same_file "$name: re-import stores no line twice" "$work/g.fees.csv" "$work/g2.fees.csv"
    rc=$irc
  else
    # shellcheck disable=SC2046
    settle "$work/batch" "$dir/claims.csv" "$dir/persons.csv" $(ls "$dir"/policy-*.json)
    import "$db" "$dir/claims.csv"
  fi
  case $rc in 0 | 1) ok ;; *) bad "$name: import-claims exited $rc$(signal_note "$rc")"; sed 's/^/    /' "$work/err.txt" | head -5 ;; esac
  same_text "$name: import-claims status = settle status" "$src" "$rc"
  snap "$db" "$work/g"
  same_file "$name: export-settlements" "$dir/expected-settlements.csv" "$work/g.set.csv"
  if [ -f "$dir/expected-alerts.csv" ]; then
    same_file "$name: alerts" "$dir/expected-alerts.csv" "$work/g.alerts.csv"
  else
    same_file "$name: alerts (as settle --alerts)" "$work/batch.alerts.csv" "$work/g.alerts.csv"
  fi
  # Re-settling each year under the stored policy right away.
  for p in "$dir"/policy-*.json; do
    y=$(basename "$p" .json | sed 's/^policy-//')
    run db resettle --db "$db" --year "$y" --out "$work/rs-$y" --force
    expect_rc "$name: resettle $y under the stored policy" 0
    if persons_with_reversals "$dir/expected-settlements.csv" | grep -q .; then
      resettle_only_reversals "$name: resettle $y" "$work/rs-$y" "$dir/expected-settlements.csv"
    else
      headers_only "$name: resettle $y, no reversal" "$work/rs-$y"
    fi
  done
  snap "$db" "$work/g2"
  same_file "$name: export unchanged by resettle" "$work/g.set.csv" "$work/g2.set.csv"
done
db_copy "$work/basics.db" "$work/basics-pristine.db"

# ============================================================================
# 2. Generated inputs: three seeds, ledger = batch.
# ============================================================================
for seed in 11 12 13; do
  name="gen seed $seed"
  g=$work/gen$seed
  if ! "$bin" gen --persons 3000 --seed "$seed" --out "$g" 2>"$work/err.txt"; then
    bad "$name: gen failed"; continue
  fi
  settle "$g/batch" "$g/claims.csv" "$g/persons.csv" "$policy"
  new_ledger "$g/ledger.db" "$g/persons.csv" "$policy" || continue
  import "$g/ledger.db" "$g/claims.csv"
  same_text "$name: import-claims status = settle status" "$src" "$rc"
  snap "$g/ledger.db" "$g/ledger"
  same_file "$name: export-settlements = settle --out" "$g/batch.set.csv" "$g/ledger.set.csv"
  same_file "$name: alerts = settle --alerts" "$g/batch.alerts.csv" "$g/ledger.alerts.csv"
  nrows=$(($(wc -l <"$g/claims.csv") - 1))
  contains "$name: summary counts the rows" "$work/import.txt" "$nrows rows:"
  run db resettle --db "$g/ledger.db" --year 2022 --out "$g/rs"
  expect_rc "$name: resettle under the stored policy" 0
  resettle_only_reversals "$name: resettle" "$g/rs" "$g/batch.set.csv"
done

# Without reversals, re-settling under the stored policy changes nothing at all.
g=$work/gen11
awk -F, 'NR == 1 || $10 == ""' "$g/claims.csv" >"$g/noreversal.csv"
if new_ledger "$g/norev.db" "$g/persons.csv" "$policy"; then
  import "$g/norev.db" "$g/noreversal.csv"
  case $rc in 0 | 1) ok ;; *) bad "no-reversal import exited $rc" ;; esac
  run db resettle --db "$g/norev.db" --year 2022 --out "$g/rs-norev"
  expect_rc "gen without reversals: resettle" 0
  headers_only "gen without reversals: resettle under the stored policy" "$g/rs-norev"
fi

# Balance of the first 12 persons of a generated ledger = sums of their rows.
g=$work/gen12
i=0
for p in $(awk -F, 'NR > 1 { print $1 }' "$g/persons.csv" | uniq | head -12); do
  "$bin" db balance --db "$g/ledger.db" --person "$p" --year 2022 >"$work/bal.txt" 2>&1
  awk -F, -v p="$p" '
    function fen(s) { gsub(/\./, "", s); return s + 0 }
    function yuan(v,  s) { s = v < 0 ? "-" : ""; v = v < 0 ? -v : v; return sprintf("%s%d.%02d", s, int(v / 100), v % 100) }
    NR > 1 && $2 == p && ($4 == "settled" || $4 == "reversed") && substr($3, 1, 4) == "2022" {
      d += fen($12); h += fen($13); ci += fen($14); ma += fen($15); psn += fen($17)
    }
    END { print yuan(d), yuan(h), yuan(ci), yuan(ma), yuan(psn) }' "$g/batch.set.csv" >"$work/want.txt"
  got="$(bal "$work/bal.txt" "deductibles charged") $(bal "$work/bal.txt" "basic fund paid") $(bal "$work/bal.txt" "critical illness paid") $(bal "$work/bal.txt" "medical assistance paid") $(bal "$work/bal.txt" "personal burden")"
  same_text "gen seed 12: balance of $p (dedc hifp hifmi maf psn)" "$(cat "$work/want.txt")" "$got"
  i=$((i + 1))
done

# ============================================================================
# 3. Idempotency, CONFLICT, overlapping files.
# ============================================================================
# 3a. The basics ledger, imported again.
db=$work/basics.db
b=$golden/basics
snap "$db" "$work/i0"
balances "$db" "$work/i0.bal" 2022 A1 A2 A3 A4 A5
import "$db" "$b/claims.csv"
expect_rc "basics: second import of the same file" 0
contains "basics: second import skips every row" "$work/import.txt" "0 rows: 0 settled, 0 reversed, 0 rejected, 26 already in the ledger (skipped)"
snap "$db" "$work/i1"
balances "$db" "$work/i1.bal" 2022 A1 A2 A3 A4 A5
same_file "basics: export unchanged by a second import" "$work/i0.set.csv" "$work/i1.set.csv"
same_file "basics: alerts unchanged by a second import" "$work/i0.alerts.csv" "$work/i1.alerts.csv"
same_file "basics: balances unchanged by a second import" "$work/i0.bal" "$work/i1.bal"

# 3b. CONFLICT, a corrected row whose id was only ever rejected, an identical
# row, a reversal of a stored claim and one of a claim already reversed.
#   A1-01  changed medfee                     -> rejected CONFLICT
#   A1-R2  identical to the received row      -> skipped
#   A1-07  outpatient primary 100 (A1 has 180.00 of the 800 cap used):
#          hifp 0.60*100 = 60, psn 40         -> settled
#   X-01   was rejected UNKNOWN_PERSON, its id is free; now A1 outpatient 50:
#          hifp 30, psn 20                    -> settled
#   A1-R5  reverses A1-06 (stored, settled)   -> reversed, A1-06 negated
#   A1-R6  reverses A1-02 (reversed by A1-R2) -> ALREADY_REVERSED
cat >"$work/conflict.csv" <<EOF
$HDR
A1-01,A1,2022-01-10,inpatient,grade3,30001.00,2000.00,0,0,
A1-R2,A1,2022-03-10,,,,,,,A1-02
A1-07,A1,2022-06-01,outpatient,primary,100,,,,
X-01,A1,2022-06-02,outpatient,primary,50,,,,
A1-R5,A1,2022-06-03,,,,,,,A1-06
A1-R6,A1,2022-06-04,,,,,,,A1-02
EOF
{
  cat "$work/i1.set.csv"
  echo "A1-01,A1,2022-01-10,rejected,CONFLICT,,,,,,,,,,,,,"
  echo "A1-07,A1,2022-06-01,settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,60.00,40.00,0.00"
  echo "X-01,A1,2022-06-02,settled,,general,50.00,0.00,0.00,0.00,50.00,0.00,30.00,0.00,0.00,30.00,20.00,0.00"
  echo "A1-R5,A1,2022-06-03,reversed,,general,-10000.00,0.00,0.00,0.00,-10000.00,-600.00,-5640.00,-2616.00,0.00,-8256.00,-1744.00,0.00"
  echo "A1-R6,A1,2022-06-04,rejected,ALREADY_REVERSED,,,,,,,,,,,,,"
} >"$work/conflict-want.csv"
import "$db" "$work/conflict.csv"
expect_rc "CONFLICT: import status" 1
contains "CONFLICT: summary" "$work/import.txt" "5 rows: 2 settled, 1 reversed, 2 rejected, 1 already in the ledger (skipped)"
contains "CONFLICT: reason counted" "$work/import.txt" "CONFLICT"
snap "$db" "$work/i2"
same_file "CONFLICT: stored rows unchanged, new rows appended in arrival order" "$work/conflict-want.csv" "$work/i2.set.csv"
same_file "CONFLICT: alerts unchanged" "$work/i0.alerts.csv" "$work/i2.alerts.csv"
balances "$db" "$work/i2.bal" 2022 A2 A3 A4 A5
balances "$work/basics-pristine.db" "$work/i0b.bal" 2022 A2 A3 A4 A5
same_file "CONFLICT: other persons' balances unchanged" "$work/i0b.bal" "$work/i2.bal"
"$bin" db balance --db "$db" --person A1 --year 2022 >"$work/bal.txt" 2>&1
# A1 was: 2 stays, dedc 1800, basic fund 23300 (chronic 1400, outpatient 180),
# CI paid 3528, psn 15772; now + outpatient 60 + 30, minus A1-06 (one stay,
# dedc 600, hifp 5640, hifmi 2616, psn 1744).
same_text "CONFLICT: A1 stays" 1 "$(bal "$work/bal.txt" "inpatient stays")"
same_text "CONFLICT: A1 deductibles" 1200.00 "$(bal "$work/bal.txt" "deductibles charged")"
same_text "CONFLICT: A1 basic fund" 17750.00 "$(bal "$work/bal.txt" "basic fund paid")"
same_text "CONFLICT: A1 outpatient" 270.00 "$(bal "$work/bal.txt" "  of which general outpatient")"
same_text "CONFLICT: A1 CI paid" 912.00 "$(bal "$work/bal.txt" "critical illness paid")"
same_text "CONFLICT: A1 personal burden" 14088.00 "$(bal "$work/bal.txt" "personal burden")"
# The same conflicting file again: everything skipped, nothing changes.
import "$db" "$work/conflict.csv"
expect_rc "CONFLICT file again: status" 0
contains "CONFLICT file again: all skipped" "$work/import.txt" "0 rows: 0 settled, 0 reversed, 0 rejected, 6 already in the ledger (skipped)"
snap "$db" "$work/i3"
same_file "CONFLICT file again: export unchanged" "$work/i2.set.csv" "$work/i3.set.csv"

# 3c. A generated ledger, imported again (rows with reversals included).
g=$work/gen11
nrows=$(($(wc -l <"$g/claims.csv") - 1))
db_copy "$g/ledger.db" "$g/again.db"
persons_with_reversals "$g/batch.set.csv" | head -3 >"$work/revp.txt"
# shellcheck disable=SC2046
balances "$g/again.db" "$work/a0.bal" 2022 P00000001 P00000002 $(cat "$work/revp.txt")
import "$g/again.db" "$g/claims.csv"
if survived "gen seed 11: second import of the same file"; then
  expect_rc "gen seed 11: second import of the same file" 0
  contains "gen seed 11: second import skips every row" "$work/import.txt" "0 rows: 0 settled, 0 reversed, 0 rejected, $nrows already in the ledger (skipped)"
  snap "$g/again.db" "$g/again"
  same_file "gen seed 11: export unchanged by a second import" "$g/ledger.set.csv" "$g/again.set.csv"
  same_file "gen seed 11: alerts unchanged by a second import" "$g/ledger.alerts.csv" "$g/again.alerts.csv"
  # shellcheck disable=SC2046
  balances "$g/again.db" "$work/a1.bal" 2022 P00000001 P00000002 $(cat "$work/revp.txt")
  same_file "gen seed 11: balances unchanged by a second import" "$work/a0.bal" "$work/a1.bal"
  same_accs "gen seed 11: accumulators unchanged by a second import" "$g/ledger.db" "$g/again.db"
fi

# 3d. The first half of a file (cut at a person boundary), then the whole.
# Generated claims are grouped by person, so each person's rows are all in
# one import: the whole ledger must equal one batch of the whole file, row
# for row in file order; alerts come in canonical order per import, so they
# are compared as multisets.
half=$(awk -F, -v n="$nrows" 'NR > 1 && NR - 1 > n / 2 && $2 != prev { print NR - 2; exit } { prev = $2 }' "$g/claims.csv")
head -n $((half + 1)) "$g/claims.csv" >"$g/half.csv"
settle "$g/half" "$g/half.csv" "$g/persons.csv" "$policy"
if new_ledger "$g/halves.db" "$g/persons.csv" "$policy"; then
  import "$g/halves.db" "$g/half.csv"
  same_text "half file: import status = settle status" "$src" "$rc"
  snap "$g/halves.db" "$g/h1"
  same_file "half file: export = settle of the half" "$g/half.set.csv" "$g/h1.set.csv"
  import "$g/halves.db" "$g/claims.csv"
fi
if db_exists "$g/halves.db" && survived "whole file after the half"; then
  case $rc in 0 | 1) ok ;; *) bad "whole file after the half: import exited $rc" ;; esac
  contains "whole file after the half: the half is skipped" "$work/import.txt" "$((nrows - half)) rows:"
  contains "whole file after the half: skipped count" "$work/import.txt" "$half already in the ledger (skipped)"
  snap "$g/halves.db" "$g/h2"
  same_file "half then whole: export = one batch of the whole file" "$g/batch.set.csv" "$g/h2.set.csv"
  same_sorted "half then whole: alerts = one batch's alerts" "$g/batch.alerts.csv" "$g/h2.alerts.csv"
  dups=$(awk -F, 'NR > 1 { print $1 }' "$g/h2.set.csv" | LC_ALL=C sort | uniq -d | head -3 | tr '\n' ' ')
  same_text "half then whole: no claim id stored twice" "" "$dups"
  same_text "half then whole: every received row once" "$((nrows + 1))" "$(wc -l <"$g/h2.set.csv" | tr -d ' ')"
  same_accs "half then whole: accumulators = one import's" "$g/ledger.db" "$g/halves.db"
fi

# 3e. A quarter of the file, then the whole: the second import writes three
# times the rows the ledger holds, so it drops the claims indexes part way
# through its transaction and makes them again before COMMIT (an import
# into an empty ledger drops them from its first rows; the half above is
# followed by fewer rows than it holds and keeps them).  Every way must
# leave the same rows and whole indexes.
quarter=$(awk -F, -v n="$nrows" 'NR > 1 && NR - 1 > n / 4 && $2 != prev { print NR - 2; exit } { prev = $2 }' "$g/claims.csv")
head -n $((quarter + 1)) "$g/claims.csv" >"$g/quarter.csv"
if new_ledger "$g/quarters.db" "$g/persons.csv" "$policy"; then
  import "$g/quarters.db" "$g/quarter.csv"
  import "$g/quarters.db" "$g/claims.csv"
fi
if db_exists "$g/quarters.db" && survived "whole file after a quarter"; then
  contains "whole file after a quarter: the quarter is skipped" "$work/import.txt" "$quarter already in the ledger (skipped)"
  snap "$g/quarters.db" "$g/q2"
  same_file "quarter then whole: export = one batch of the whole file" "$g/batch.set.csv" "$g/q2.set.csv"
  same_accs "quarter then whole: accumulators = one import's" "$g/ledger.db" "$g/quarters.db"
  if [ "$have_sqlite" -eq 1 ]; then
    for d in "$g/ledger.db" "$g/halves.db" "$g/quarters.db"; do
      same_text "$(basename "$d"): integrity (the claims indexes hold every row)" ok \
        "$(sqlite3 "$d" "PRAGMA integrity_check")"
      same_text "$(basename "$d"): the claims index and claim_ids are there" "claim_ids claims_person_rejected" \
        "$(sqlite3 "$d" "SELECT name FROM sqlite_master WHERE name IN ('claims_claim_id', 'claims_person', 'claims_person_rejected', 'claim_ids') ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"
      chains_hold "$(basename "$d")" "$d"
      # one claim_ids entry a claims row, the same id and seq (schema 5)
      same_text "$(basename "$d"): claim_ids holds each claims row's id once" \
        "$(sqlite3 "$d" "SELECT count(*), count(*), count(*) FROM claims")" \
        "$(sqlite3 "$d" "SELECT (SELECT count(*) FROM claims), (SELECT count(*) FROM claim_ids),
          (SELECT count(*) FROM claims c JOIN claim_ids i ON i.seq = c.seq AND i.claim_id = c.claim_id)")"
    done
  fi
fi

# ============================================================================
# 4. A file split by date: before 1 July, then from 1 July on.  Every row of
# the second file sorts after every row of the first in canonical order (no
# date is in both), reversals stay with or after their originals, so the
# ledger settles exactly what one batch settles: the same lines, stored in
# arrival order (the first file's rows, then the second's, each in file
# order), and the alerts in the very same (canonical) order.
# ============================================================================
g=$work/gen13
awk -F, 'NR == 1 || $3 < "2022-07-01"' "$g/claims.csv" >"$g/h1.csv"
awk -F, 'NR == 1 || $3 >= "2022-07-01"' "$g/claims.csv" >"$g/h2.csv"
{
  head -n 1 "$g/batch.set.csv"
  awk -F, 'NR > 1 && $3 < "2022-07-01"' "$g/batch.set.csv"
  awk -F, 'NR > 1 && $3 >= "2022-07-01"' "$g/batch.set.csv"
} >"$g/split-want.csv"
want1=0
awk -F, 'NR > 1 && $3 < "2022-07-01" && $4 == "rejected"' "$g/batch.set.csv" | grep -q . && want1=1
want2=0
awk -F, 'NR > 1 && $3 >= "2022-07-01" && $4 == "rejected"' "$g/batch.set.csv" | grep -q . && want2=1
if new_ledger "$g/split.db" "$g/persons.csv" "$policy"; then
  import "$g/split.db" "$g/h1.csv"
  expect_rc "split by date: first import" "$want1"
  import "$g/split.db" "$g/h2.csv"
fi
if db_exists "$g/split.db" && survived "split by date: second import"; then
  expect_rc "split by date: second import" "$want2"
  contains "split by date: second import skips nothing" "$work/import.txt" "0 already in the ledger (skipped)"
  snap "$g/split.db" "$g/split"
  same_sorted "split by date: the same settlement lines as one batch" "$g/batch.set.csv" "$g/split.set.csv"
  same_file "split by date: export in arrival order" "$g/split-want.csv" "$g/split.set.csv"
  same_file "split by date: alerts = one batch's alerts" "$g/batch.alerts.csv" "$g/split.alerts.csv"
  same_accs "split by date: accumulators = one import's" "$g/ledger.db" "$g/split.db"
  # shellcheck disable=SC2046
  set -- P00000001 P00000002 $(persons_with_reversals "$g/batch.set.csv" | head -4)
  balances "$g/split.db" "$work/s.bal" 2022 "$@"
  balances "$g/ledger.db" "$work/w.bal" 2022 "$@"
  same_file "split by date: balances = one import's" "$work/w.bal" "$work/s.bal"
  run db resettle --db "$g/split.db" --year 2022 --out "$g/rs-split"
  expect_rc "split by date: resettle" 0
  same_file "split by date: resettle claims.csv = one import's" "$g/rs/claims.csv" "$g/rs-split/claims.csv"
  same_file "split by date: resettle persons.csv = one import's" "$g/rs/persons.csv" "$g/rs-split/persons.csv"
fi

# ============================================================================
# 5. Odd bytes: BOM, CRLF, quoted ids with comma, quote and newline, a
# non-UTF-8 byte, a reversal naming a quoted id, malformed rows: the ledger
# stores what the batch prints, and takes it all as received the second time.
# ============================================================================
printf 'person_id,household_id,region,category,valid_from,valid_to\n"Q,1","H,Q",430521,general,,\n\345\274\240\344\270\211,H2,430225,min_living,,\n' >"$work/odd-persons.csv"
{
  printf '\357\273\277%s\r\n' "$HDR"
  printf '"C,1","Q,1",2022-01-05,outpatient,primary,100,,,,\r\n'
  printf '"C""2",\345\274\240\344\270\211,2022-01-06,inpatient,grade1,5000,,,,\r\n'
  printf '"C\n3",\345\274\240\344\270\211,2022-01-07,chronic,grade1,300,,,,\r\n'
  printf 'C\3774,\345\274\240\344\270\211,2022-01-08,outpatient,primary,50,,,,\r\n'
  printf '"R,1","Q,1",2022-02-01,,,,,,,"C,1"\r\n'
  printf 'bad"5,"Q,1",2022-01-09,outpatient,primary,10,,,,\r\n'
  printf 'C6,"Q,1",2022-13-01,outpatient,primary,10,,,,\r\n'
  printf 'C7,"Q,1",2022-03-01,outpatient,primary,10\r\n'
} >"$work/odd-claims.csv"
settle "$work/odd" "$work/odd-claims.csv" "$work/odd-persons.csv" "$policy"
if new_ledger "$work/odd.db" "$work/odd-persons.csv" "$policy"; then
  import "$work/odd.db" "$work/odd-claims.csv"
  same_text "odd bytes: import status = settle status" "$src" "$rc"
  snap "$work/odd.db" "$work/odd-l"
  same_file "odd bytes: export = settle" "$work/odd.set.csv" "$work/odd-l.set.csv"
  same_file "odd bytes: alerts = settle" "$work/odd.alerts.csv" "$work/odd-l.alerts.csv"
  import "$work/odd.db" "$work/odd-claims.csv"
  expect_rc "odd bytes: second import" 0
  contains "odd bytes: second import skips every row" "$work/import.txt" "8 already in the ledger (skipped)"
  snap "$work/odd.db" "$work/odd-2"
  same_file "odd bytes: export unchanged" "$work/odd-l.set.csv" "$work/odd-2.set.csv"
  run db resettle --db "$work/odd.db" --year 2022 --out "$work/odd-rs"
  expect_rc "odd bytes: resettle" 0
  headers_only "odd bytes: resettle under the stored policy" "$work/odd-rs"
fi

# ============================================================================
# 6. Append-only (sqlite3 or psql), and the file's settings (sqlite3 CLI).
# ============================================================================
db=$work/append-only.db
db_copy "$work/basics-pristine.db" "$db"
snap "$db" "$work/ao0"
# refused by the triggers of either schema (PostgreSQL: row triggers of a
# partitioned table fire on every partition)
if [ "$have_db_sql" -eq 1 ]; then
  for sql in "UPDATE settlements SET hifp_pay = 0" "DELETE FROM settlements" \
    "DELETE FROM settlements WHERE seq = 1" "UPDATE claims SET medfee_sumamt = 0" "DELETE FROM claims"; do
    if db_sql "$db" "$sql" >"$work/out.txt" 2>"$work/err.txt"; then
      bad "append-only: '$sql' succeeded"
    else
      ok
      contains "append-only: '$sql' refused by the trigger" "$work/err.txt" "append-only"
    fi
  done
  # claim_ids (both stores: PostgreSQL's schema 3, SQLite's schema 5)
  for sql in "UPDATE claim_ids SET seq = 0" "DELETE FROM claim_ids"; do
    if db_sql "$db" "$sql" >"$work/out.txt" 2>"$work/err.txt"; then
      bad "append-only: '$sql' succeeded"
    else
      contains "append-only: '$sql' refused by the trigger" "$work/err.txt" "claim ids are append-only"
    fi
  done
fi
if [ "$store" = pg ]; then
  snap "$db" "$work/ao1"
  same_file "append-only: stored settlements unchanged after UPDATE and DELETE" "$work/ao0.set.csv" "$work/ao1.set.csv"
  same_text "ledger database: schema version" 5 "$(db_sql "$db" "SELECT value FROM sanbao_meta WHERE key = 'schema_version'")"
  same_text "ledger database: claims_count holds the largest seq, in one row" \
    "$(db_sql "$db" "SELECT max(seq), 1 FROM claims")" "$(db_sql "$db" "SELECT max(n), count(*) FROM claims_count")"
  same_text "ledger database: one row of claim_ids a received row, the same ids, seqs and persons" \
    "$(db_sql "$db" "SELECT count(*), sum(hashtext(claim_id || ' ' || seq || ' ' || person_id)) FROM claims")" \
    "$(db_sql "$db" "SELECT count(*), sum(hashtext(claim_id || ' ' || seq || ' ' || person_id)) FROM claim_ids")"
  same_text "ledger database: claims, accumulators, fee lines in 16 hash partitions each" \
    "accumulators|16 claims|16 fee_lines|16" \
    "$(db_sql "$db" "SELECT p.relname, count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_partitioned_table t ON t.partrelid = p.oid WHERE t.partstrat = 'h' GROUP BY p.relname ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
  # schema 4: one row a received row, settlements a view of claims that
  # refuses writes; a settled row stores none of its settlement's visit,
  # level and amounts (the received row's), a rejected row none at all
  same_text "ledger database: settlements is a view of claims" "claims|p settlements|v" \
    "$(db_sql "$db" "SELECT relname, relkind FROM pg_class WHERE relname IN ('claims', 'settlements') ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
  same_text "ledger database: settlements has schema 3's columns, in order" \
    "seq person_id status reason category year visit_type level medfee_sumamt fulamt_ownpay_amt overlmt_selfpay preselfpay_amt act_pay_dedc hifp_pay hifmi_pay maf_pay fed_flags reverses_seq reassist_pay" \
    "$(db_sql "$db" "SELECT attname FROM pg_attribute WHERE attrelid = 'settlements'::regclass AND attnum > 0 ORDER BY attnum" | tr '\n' ' ' | sed 's/ $//')"
  same_text "ledger database: settled rows store no visit, level or amount twice" 0 \
    "$(db_sql "$db" "SELECT count(*) FROM claims WHERE status = 0 AND reverses IS NULL AND num_nonnulls(setl_visit_type, setl_level, setl_medfee_sumamt, setl_fulamt_ownpay_amt, setl_overlmt_selfpay, setl_preselfpay_amt) > 0")"
  same_text "ledger database: rejected rows store no settlement amounts" 0 \
    "$(db_sql "$db" "SELECT count(*) FROM claims WHERE status = 2 AND num_nonnulls(category, year, setl_visit_type, setl_level, setl_medfee_sumamt, act_pay_dedc, hifp_pay, fed_flags, reassist_pay) > 0")"
  for sql in "INSERT INTO settlements(seq, person_id, status) VALUES (100000, 'P1', 'settled')" \
    "COPY settlements(seq, person_id, status) FROM PROGRAM 'echo 100000,P1,settled' (FORMAT csv)"; do
    if db_sql "$db" "$sql" >"$work/out.txt" 2>"$work/err.txt"; then
      bad "append-only: '$sql' succeeded"
    else
      contains "append-only: '$sql' refused by the trigger" "$work/err.txt" "settlements are append-only"
    fi
  done
  # a settlement is reversed at most once (schema 4: claim_ids' unique index)
  if db_sql "$db" "INSERT INTO claim_ids SELECT claim_id || '-2', seq + 100000, person_id, content_key,
      status, reverses_seq FROM claim_ids WHERE reverses_seq IS NOT NULL LIMIT 1" >"$work/out.txt" 2>"$work/err.txt"; then
    bad "a second reversal of one settlement stored"
  else
    contains "a second reversal of one settlement refused by the unique index" "$work/err.txt" "claim_ids_reverses"
  fi
  skip "ledger file checks (journal mode, application id, SQLite migrations): SQLite only"
elif [ "$have_sqlite" -eq 1 ]; then
  # REPLACE deletes the conflicting row without firing DELETE triggers (unless
  # recursive_triggers is on): it must not change a stored settlement either.
  sqlite3 "$db" "INSERT OR REPLACE INTO settlements(seq, status, reason, category, year, visit_type, level,
    medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, act_pay_dedc, hifp_pay, hifmi_pay,
    maf_pay, fed_flags) SELECT seq, status, reason, category, year, visit_type, level, medfee_sumamt,
    fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, act_pay_dedc, 0, hifmi_pay, maf_pay, fed_flags
    FROM settlements WHERE seq = 1" >/dev/null 2>&1
  sqlite3 "$db" "INSERT OR REPLACE INTO claims SELECT seq, run_id, claim_id, person_id, date, visit_type,
    level, 0, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, reverses, content_key FROM claims
    WHERE seq = 1" >/dev/null 2>&1
  snap "$db" "$work/ao1"
  same_file "append-only: stored settlements unchanged after UPDATE, DELETE and INSERT OR REPLACE" "$work/ao0.set.csv" "$work/ao1.set.csv"
  same_text "ledger file: journal_mode" wal "$(sqlite3 "$db" "PRAGMA journal_mode")"
  same_text "ledger file: application_id 'SBLG'" 1396853831 "$(sqlite3 "$db" "PRAGMA application_id")"
  same_text "ledger file: user_version (schema)" 8 "$(sqlite3 "$db" "PRAGMA user_version")"
  chains_hold "ledger file" "$db"
  # schema 7: no CHECK an IN list (SQLite builds a table for it every row)
  same_text "ledger file: the CHECKs of status are comparisons" "0 2" \
    "$(sqlite3 "$db" "SELECT count(*) FILTER (WHERE sql LIKE '%CHECK (status IN (%'),
      count(*) FILTER (WHERE sql LIKE '%CHECK (status = %') FROM sqlite_master" | tr '|' ' ')"
  same_text "ledger file: integrity" ok "$(sqlite3 "$db" "PRAGMA integrity_check")"
  "$bin" db export-settlements --db "$db" --out "$work/pre-migration.csv" 2>/dev/null
  # Schema 6 stores a settlement's visit, level and four amounts only where
  # they differ from the received row's: nowhere in a settled row here, in
  # no rejected row, in every reversal (its received row has no amounts).
  setl="coalesce(setl_visit_type, setl_level, setl_medfee_sumamt, setl_fulamt_ownpay_amt,
    setl_overlmt_selfpay, setl_preselfpay_amt) IS NOT NULL"
  same_text "ledger file: a settlement's amounts stored only where they differ from the row's" \
    "rejected|0 reversed|$(sqlite3 "$db" "SELECT count(*) FROM claims WHERE status = 'reversed'") settled|0" \
    "$(sqlite3 "$db" "SELECT status, sum($setl) FROM claims GROUP BY status ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
  same_text "ledger file: settlements is a view of claims" "claims|table settlements|view" \
    "$(sqlite3 "$db" "SELECT name, type FROM sqlite_master WHERE name IN ('claims', 'settlements') ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
  same_text "ledger file: settlements has schema 5's columns, in order" \
    "seq status reason category year visit_type level medfee_sumamt fulamt_ownpay_amt overlmt_selfpay preselfpay_amt act_pay_dedc hifp_pay hifmi_pay maf_pay reassist_pay fed_flags reverses_seq inscp_scp_amt fund_pay_sumamt psn_part_amt ci_fed ma_fed ra_fed" \
    "$(sqlite3 "$db" "SELECT name FROM pragma_table_info('settlements')" | tr '\n' ' ' | sed 's/ $//')"
  for sql in "INSERT INTO settlements(seq, status) VALUES (100000, 'settled')" \
    "INSERT OR REPLACE INTO settlements(seq, status) VALUES (1, 'settled')"; do
    if sqlite3 "$db" "$sql" >"$work/out.txt" 2>"$work/err.txt"; then
      bad "append-only: '$sql' succeeded"
    else
      contains "append-only: '$sql' refused by the trigger" "$work/err.txt" "settlements are append-only"
    fi
  done
  # a settlement is reversed at most once: the unique index moved with it
  rev=$(sqlite3 "$db" "SELECT min(reverses_seq) FROM claims")
  if [ -z "$rev" ]; then
    bad "ledger file: basics holds no reversal to check the unique index with"
  elif sqlite3 "$db" "INSERT INTO claims(seq, run_id, claim_id, person_id, date, content_key, status,
      reverses_seq) SELECT max(seq) + 1, 1, 'TWICE', 'P', '2022-01-01', 1, 'reversed', $rev
      FROM claims" >"$work/out.txt" 2>"$work/err.txt"; then
    bad "ledger file: a second reversal of settlement $rev stored"
  else
    contains "ledger file: a second reversal of a settlement refused by the unique index" \
      "$work/err.txt" "UNIQUE constraint failed: claims.reverses_seq"
  fi
  # A version-5 file (claims and settlements, two rows a received row) is
  # migrated when opened: one claims row each, the same rows as a ledger
  # that sanbao wrote itself; settlements (now the view) reads as the
  # table did, every column; the import guards, claim_ids and the unique
  # reversal index work on it.
  cp "$db" "$work/v5.db"
  sqlite3 "$work/v5.db" "$sqlite_to_v5; PRAGMA user_version = 5"
  same_text "ledger file: the version-5 copy has a settlements table" table \
    "$(sqlite3 "$work/v5.db" "SELECT type FROM sqlite_master WHERE name = 'settlements'")"
  sqlite3 -header "$work/v5.db" "SELECT * FROM settlements ORDER BY seq" >"$work/v5-settlements.txt"
  "$bin" db export-settlements --db "$work/v5.db" --out "$work/v5.csv" 2>/dev/null
  same_text "ledger file: a version-5 ledger is migrated to 8" 8 "$(sqlite3 "$work/v5.db" "PRAGMA user_version")"
  same_file "ledger file: the v5 migration keeps every settlement" "$work/pre-migration.csv" "$work/v5.csv"
  sqlite3 -header "$work/v5.db" "SELECT * FROM settlements ORDER BY seq" >"$work/v6-settlements.txt"
  same_file "ledger file: the view settlements reads as schema 5's table, every column" \
    "$work/v5-settlements.txt" "$work/v6-settlements.txt"
  same_text "ledger file: the v5 migration's claims rows = a new ledger's" \
    "$(sqlite3 "$db" "SELECT * FROM claims ORDER BY seq")" \
    "$(sqlite3 "$work/v5.db" "SELECT * FROM claims ORDER BY seq")"
  same_text "ledger file: the v5 migration's schema = a new ledger's" \
    "$(sqlite3 "$db" "SELECT type, name, sql FROM sqlite_master ORDER BY name")" \
    "$(sqlite3 "$work/v5.db" "SELECT type, name, sql FROM sqlite_master ORDER BY name")"
  same_text "ledger file: quick_check and foreign keys after the v5 migration" ok \
    "$(sqlite3 "$work/v5.db" "PRAGMA quick_check; PRAGMA foreign_key_check")"
  "$bin" db import-claims --db "$work/v5.db" --claims "$golden/basics/claims.csv" >"$work/out.txt" 2>&1
  "$bin" db export-settlements --db "$work/v5.db" --out "$work/v5-again.csv" 2>/dev/null
  same_file "ledger file: a re-import into the migrated v5 ledger adds nothing" "$work/v5.csv" "$work/v5-again.csv"
  # A version-7 file (a person's rows by the index claims_person) is
  # migrated when opened: the chains and the last rows computed from the
  # rows held are those the store writes row by row (a new ledger's, every
  # column of claims and accumulators), the index only of rejected rows.
  cp "$db" "$work/v7.db"
  sqlite3 "$work/v7.db" "$sqlite_to_v7; PRAGMA user_version = 7"
  same_text "ledger file: the version-7 copy has claims_person, no chains" "claims_person|0" \
    "$(sqlite3 "$work/v7.db" "SELECT group_concat(name), (SELECT count(*) FROM pragma_table_info('claims')
      WHERE name = 'person_prev') FROM sqlite_master WHERE name LIKE 'claims_person%'")"
  "$bin" db export-settlements --db "$work/v7.db" --out "$work/v7.csv" 2>/dev/null
  same_text "ledger file: a version-7 ledger is migrated to 8" 8 "$(sqlite3 "$work/v7.db" "PRAGMA user_version")"
  same_file "ledger file: the v7 migration keeps every settlement" "$work/pre-migration.csv" "$work/v7.csv"
  same_text "ledger file: the v7 migration's claims rows = a new ledger's" \
    "$(sqlite3 "$db" "SELECT * FROM claims ORDER BY seq")" \
    "$(sqlite3 "$work/v7.db" "SELECT * FROM claims ORDER BY seq")"
  same_text "ledger file: the v7 migration's accumulators = a new ledger's, last_seq and all" \
    "$(sqlite3 "$db" "SELECT * FROM accumulators ORDER BY person_id, year")" \
    "$(sqlite3 "$work/v7.db" "SELECT * FROM accumulators ORDER BY person_id, year")"
  same_text "ledger file: the v7 migration's schema = a new ledger's" \
    "$(sqlite3 "$db" "SELECT type, name, sql FROM sqlite_master ORDER BY name")" \
    "$(sqlite3 "$work/v7.db" "SELECT type, name, sql FROM sqlite_master ORDER BY name")"
  same_text "ledger file: integrity after the v7 migration" ok "$(sqlite3 "$work/v7.db" "PRAGMA integrity_check")"
  chains_hold "ledger file: after the v7 migration" "$work/v7.db"
  # A link damaged into a loop (a row naming itself, by hand) ends a
  # person's page where it stands instead of holding the reader for good.
  cp "$db" "$work/loop.db"
  lp=$(sqlite3 "$work/loop.db" "SELECT person_id, max(seq) FROM claims WHERE person_prev IS NOT NULL
    GROUP BY person_id ORDER BY count(*) DESC LIMIT 1")
  sqlite3 "$work/loop.db" "DROP TRIGGER claims_append_only_u;
    UPDATE claims SET person_prev = seq WHERE seq = ${lp#*|}"
  timeout 20 "$bin" db history --db "$work/loop.db" --person "${lp%|*}" >"$work/out.txt" 2>&1
  rc=$?
  expect_rc "ledger file: a person's page over a link damaged into a loop ends" 0
  # A version-6 file (the CHECKs of claims.status and fee_lines.status as
  # IN lists) is migrated when opened: their text rewritten as comparisons,
  # the schema a new ledger's, every settlement kept, a wrong status still
  # refused.
  cp "$db" "$work/v6.db"
  sqlite3 "$work/v6.db" "$sqlite_to_v7; PRAGMA writable_schema=ON;
    UPDATE sqlite_schema SET sql = replace(replace(sql,
      'CHECK (status = ''settled'' OR status = ''reversed'' OR status = ''rejected'')',
      'CHECK (status IN (''settled'',''reversed'',''rejected''))'),
      'CHECK (status = ''ok'' OR status = ''unlisted'' OR status = ''bad'')',
      'CHECK (status IN (''ok'',''unlisted'',''bad''))') WHERE type = 'table';
    PRAGMA writable_schema=OFF; PRAGMA user_version = 6"
  same_text "ledger file: the version-6 copy has its two IN lists" 2 \
    "$(sqlite3 "$work/v6.db" "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%CHECK (status IN (%'")"
  "$bin" db export-settlements --db "$work/v6.db" --out "$work/v6.csv" 2>/dev/null
  same_text "ledger file: a version-6 ledger is migrated to 8" 8 "$(sqlite3 "$work/v6.db" "PRAGMA user_version")"
  same_file "ledger file: the v6 migration keeps every settlement" "$work/pre-migration.csv" "$work/v6.csv"
  same_text "ledger file: the v6 migration's schema = a new ledger's" \
    "$(sqlite3 "$db" "SELECT type, name, sql FROM sqlite_master ORDER BY name")" \
    "$(sqlite3 "$work/v6.db" "SELECT type, name, sql FROM sqlite_master ORDER BY name")"
  same_text "ledger file: integrity after the v6 migration" ok "$(sqlite3 "$work/v6.db" "PRAGMA integrity_check")"
  if sqlite3 "$work/v6.db" "PRAGMA recursive_triggers = 0; INSERT INTO claims(seq, run_id, claim_id, person_id, date,
      content_key, status) SELECT max(seq) + 1, 1, 'BOGUS', 'P', '2022-01-01', 1, 'bogus' FROM claims" \
    >"$work/out.txt" 2>"$work/err.txt"; then
    bad "ledger file: a claims row of status 'bogus' stored after the v6 migration"
  else
    contains "ledger file: after the v6 migration a wrong status is refused by the CHECK" "$work/err.txt" \
      "CHECK constraint failed"
  fi
  # A version-4 file (claims_claim_id, no claim_ids) is migrated when
  # opened: claim_ids filled from every claims row, in key order, the index
  # dropped; a re-import finds every row; an import adds its ids.
  to_v4="$sqlite_to_v5; DROP TRIGGER claims_claim_ids; DROP TABLE claim_ids; CREATE INDEX claims_claim_id ON claims(claim_id)"
  cp "$db" "$work/v4.db"
  sqlite3 "$work/v4.db" "$to_v4; PRAGMA user_version = 4"
  "$bin" db export-settlements --db "$work/v4.db" --out "$work/v4.csv" 2>/dev/null
  same_text "ledger file: a version-4 ledger is migrated to 8" 8 "$(sqlite3 "$work/v4.db" "PRAGMA user_version")"
  same_file "ledger file: the v4 migration keeps every settlement" "$work/pre-migration.csv" "$work/v4.csv"
  same_text "ledger file: the v4 migration dropped claims_claim_id, made claim_ids and its triggers" \
    "claim_ids claim_ids_append_only_d claim_ids_append_only_u claims_claim_ids" \
    "$(sqlite3 "$work/v4.db" "SELECT name FROM sqlite_master WHERE name LIKE 'claim%id%' ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"
  same_text "ledger file: the v4 migration's claim_ids = a new ledger's" \
    "$(sqlite3 "$db" "SELECT claim_id, seq FROM claim_ids")" \
    "$(sqlite3 "$work/v4.db" "SELECT claim_id, seq FROM claim_ids")"
  same_text "ledger file: integrity after the v4 migration" ok "$(sqlite3 "$work/v4.db" "PRAGMA integrity_check")"
  "$bin" db import-claims --db "$work/v4.db" --claims "$golden/basics/claims.csv" >"$work/out.txt" 2>&1
  "$bin" db export-settlements --db "$work/v4.db" --out "$work/v4-again.csv" 2>/dev/null
  same_file "ledger file: a re-import into the migrated v4 ledger adds nothing" "$work/v4.csv" "$work/v4-again.csv"
  printf '%s\n%s\n' "$(head -1 "$golden/basics/claims.csv")" \
    "V4-NEW-1,$(sed -n 2p "$golden/basics/claims.csv" | cut -d, -f2-)" >"$work/v4-new.csv"
  "$bin" db import-claims --db "$work/v4.db" --claims "$work/v4-new.csv" >"$work/out.txt" 2>&1
  same_text "ledger file: an import into the migrated ledger adds its claim id" \
    "$(sqlite3 "$work/v4.db" "SELECT max(seq) FROM claims")" \
    "$(sqlite3 "$work/v4.db" "SELECT seq FROM claim_ids WHERE claim_id = 'V4-NEW-1'")"
  # A version-1 file (before the alerts_seq index, before re-assistance) is
  # migrated when opened: this one is made from the current file by
  # undoing what migrations 1, 2, 3 and 4 did, its rows kept.
  sqlite3 "$db" "$to_v4;
    DROP INDEX alerts_seq; DROP INDEX claims_person; DROP INDEX claims_reverses;
    DROP INDEX alerts_person; DROP TABLE alert_marks;
    DROP TABLE reassist_payments; DROP TABLE catalog_items; DROP TABLE fee_lines;
    ALTER TABLE accumulators DROP COLUMN ra_base;
    ALTER TABLE accumulators DROP COLUMN ra_paid;
    DROP TRIGGER settlements_append_only_r; DROP TRIGGER settlements_append_only_u;
    DROP TRIGGER settlements_append_only_d; DROP INDEX settlements_reverses;
    ALTER TABLE settlements RENAME TO s3;
    CREATE TABLE settlements(
      seq INTEGER PRIMARY KEY REFERENCES claims(seq),
      status TEXT NOT NULL CHECK (status IN ('settled','reversed','rejected')),
      reason TEXT, category TEXT, year INTEGER, visit_type TEXT, level TEXT,
      medfee_sumamt INTEGER, fulamt_ownpay_amt INTEGER, overlmt_selfpay INTEGER,
      preselfpay_amt INTEGER, act_pay_dedc INTEGER, hifp_pay INTEGER,
      hifmi_pay INTEGER, maf_pay INTEGER, fed_flags INTEGER,
      reverses_seq INTEGER REFERENCES settlements(seq) DEFERRABLE INITIALLY DEFERRED,
      inscp_scp_amt INTEGER GENERATED ALWAYS AS
        (medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt) VIRTUAL,
      fund_pay_sumamt INTEGER GENERATED ALWAYS AS (hifp_pay + hifmi_pay + maf_pay) VIRTUAL,
      psn_part_amt INTEGER GENERATED ALWAYS AS (medfee_sumamt - hifp_pay - hifmi_pay - maf_pay) VIRTUAL,
      ci_fed INTEGER GENERATED ALWAYS AS (0) VIRTUAL, ma_fed INTEGER GENERATED ALWAYS AS (0) VIRTUAL) STRICT;
    INSERT INTO settlements(seq, status, reason, category, year, visit_type, level, medfee_sumamt,
      fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, act_pay_dedc, hifp_pay, hifmi_pay, maf_pay,
      fed_flags, reverses_seq) SELECT seq, status, reason, category, year, visit_type, level,
      medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, act_pay_dedc, hifp_pay,
      hifmi_pay, maf_pay, fed_flags, reverses_seq FROM s3;
    DROP TABLE s3; $sqlite_v5_settlements_guards
    PRAGMA user_version = 1"
  same_text "ledger file: the old-schema copy has no reassist_pay" 0 \
    "$(sqlite3 "$db" "SELECT count(*) FROM pragma_table_info('settlements') WHERE name = 'reassist_pay'")"
  "$bin" db alerts --db "$db" --out "$work/migrated-alerts.csv" 2>/dev/null
  same_text "ledger file: a version-1 ledger is migrated to 8" 8 "$(sqlite3 "$db" "PRAGMA user_version")"
  same_text "ledger file: the migration from 1 made claim_ids" \
    "$(sqlite3 "$db" "SELECT count(*) FROM claims")" "$(sqlite3 "$db" "SELECT count(*) FROM claim_ids")"
  same_text "ledger file: the migration made the console's indexes and alert_marks" 4 \
    "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name IN ('claims_person_rejected', 'claims_reverses', 'alerts_person', 'alert_marks')")"
  same_text "ledger file: the migration made the alerts_seq index" 1 \
    "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'alerts_seq'")"
  same_text "ledger file: the migration added reassist_pay" 1 \
    "$(sqlite3 "$db" "SELECT count(*) FROM pragma_table_info('settlements') WHERE name = 'reassist_pay'")"
  same_text "ledger file: the migration made the re-assistance payments table" 1 \
    "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'reassist_payments'")"
  same_text "ledger file: the migration added the re-assistance accumulators" 2 \
    "$(sqlite3 "$db" "SELECT count(*) FROM pragma_table_info('accumulators') WHERE name IN ('ra_base', 'ra_paid')")"
  "$bin" db export-settlements --db "$db" --out "$work/post-migration.csv" 2>/dev/null
  same_file "ledger file: the migration keeps every settlement" "$work/pre-migration.csv" "$work/post-migration.csv"
  same_text "ledger file: integrity after the migration" ok "$(sqlite3 "$db" "PRAGMA integrity_check")"
else
  skip "append-only and PRAGMA checks (no sqlite3 CLI)"
fi

# ============================================================================
# 7. Foreign, corrupt, truncated and missing files: exit 2, a message naming
# the file, no crash, and the file left as it was.
# ============================================================================
f=$work/files
mkdir -p "$f"
printf 'region,population\n430200,1000\n' >"$f/pop.csv"
if [ "$store" = pg ]; then
  # The same promises for databases: one without the schema, one that holds
  # a ledger already, a server that is not there; passwords never shown.
  empty=$(db_uri "$f/no-schema.db")
  for sub in "add-policy $policy" "import-persons --persons $golden/basics/persons.csv" \
    "import-claims --claims $golden/basics/claims.csv" "export-settlements" "alerts" \
    "balance --person A1 --year 2022" "resettle --year 2022 --out $work/rs-bad" \
    "enroll --year 2022 --as-of 2021-10-01" "coverage --population $f/pop.csv --year 2022"; do
    # shellcheck disable=SC2086
    run db $sub --db "$empty"
    expect_rc "a database without the schema: db ${sub%% *}" 2
    contains "a database without the schema: db ${sub%% *} names it" "$work/err.txt" "$empty: no sanbao ledger"
  done
  same_text "a database without the schema: no table made" 0 \
    "$(db_sql "$f/no-schema.db" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
  # Schema versions: db init on a ledger refuses it and changes nothing; a
  # ledger of the first schema (version 1: without sanbao_schema_history)
  # is migrated when opened, keeping every settlement; a newer one is
  # refused.
  "$bin" db export-settlements --db "$work/basics-pristine.db" --out "$f/init-before.csv" 2>/dev/null
  run db init --db "$work/basics-pristine.db"
  expect_rc "db init on a ledger of this version" 2
  contains "db init on a ledger of this version says why" "$work/err.txt" "already holds a sanbao ledger"
  "$bin" db export-settlements --db "$work/basics-pristine.db" --out "$f/init-after.csv" 2>/dev/null
  same_file "db init on a ledger of this version: nothing changed" "$f/init-before.csv" "$f/init-after.csv"
  same_text "db init on a ledger of this version: no migration recorded" "5|created" \
    "$(db_sql "$work/basics-pristine.db" "SELECT version, how FROM sanbao_schema_history")"
  # the constraints of claims and claim_ids (partitions' included), and
  # what the functions of schema 5 name each code
  constraints_sql="SELECT conrelid::regclass, conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid::regclass::text ~ '^claim(s|_ids)' ORDER BY conrelid::regclass::text, conname"
  codes_sql="SELECT k, sanbao_status(k::smallint), sanbao_visit(k::smallint),
    sanbao_level(k::smallint), sanbao_category(k::smallint) FROM generate_series(0, 8) k"
  same_text "ledger database: the names of the codes are sanbao's" \
    "0|settled|inpatient|primary|general 1|reversed|chronic|grade1|destitute 2|rejected|outpatient|grade2|min_living 3|||grade3|relapsed 4|||provincial|monitored 5||||near_poor 6||||lifted 7||||illness_poor 8||||" \
    "$(db_sql "$work/basics-pristine.db" "$codes_sql" | tr '\n' ' ' | sed 's/ $//')"
  # the view settlement_amounts over settlements, as schemas 3 and 4 made it
  amounts_view="CREATE VIEW settlement_amounts AS SELECT s.*,
      medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt AS inscp_scp_amt,
      hifp_pay + hifmi_pay + maf_pay + reassist_pay AS fund_pay_sumamt,
      medfee_sumamt - hifp_pay - hifmi_pay - maf_pay - reassist_pay AS psn_part_amt,
      CASE WHEN fed_flags & 1 <> 0 THEN medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay
        - preselfpay_amt - hifp_pay ELSE 0 END AS ci_fed,
      CASE WHEN fed_flags & 2 <> 0 THEN medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay
        - preselfpay_amt - hifp_pay - hifmi_pay ELSE 0 END AS ma_fed,
      CASE WHEN fed_flags & 4 <> 0 THEN medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay
        - preselfpay_amt - hifp_pay - hifmi_pay - maf_pay ELSE 0 END AS ra_fed
      FROM settlements s;"
  # A ledger of version 4 as that sanbao made it: the names of claims and
  # claim_ids as text, the views over them, no functions naming codes.
  settled4() { echo "CASE WHEN status <> 'rejected' THEN coalesce(setl_$1, $1) END AS $1"; }
  to_v4="DROP VIEW settlement_amounts; DROP VIEW settlements;
    ALTER TABLE claims DROP CONSTRAINT claims_status_check;
    ALTER TABLE claims ALTER COLUMN visit_type TYPE text USING sanbao_visit(visit_type),
      ALTER COLUMN level TYPE text USING sanbao_level(level),
      ALTER COLUMN status TYPE text USING sanbao_status(status),
      ALTER COLUMN category TYPE text USING sanbao_category(category),
      ALTER COLUMN setl_visit_type TYPE text USING sanbao_visit(setl_visit_type),
      ALTER COLUMN setl_level TYPE text USING sanbao_level(setl_level);
    ALTER TABLE claims ADD CONSTRAINT claims_status_check CHECK (status IN ('settled','reversed','rejected'));
    ALTER TABLE claim_ids DROP CONSTRAINT claim_ids_status_check;
    ALTER TABLE claim_ids ALTER COLUMN status TYPE text USING sanbao_status(status);
    ALTER TABLE claim_ids ADD CONSTRAINT claim_ids_status_check CHECK (status IN ('settled','reversed','rejected'));
    DROP FUNCTION sanbao_status; DROP FUNCTION sanbao_visit; DROP FUNCTION sanbao_level;
    DROP FUNCTION sanbao_category; DROP TABLE claims_count;
    CREATE VIEW settlements AS SELECT seq, person_id, status, reason, category, year,
      $(settled4 visit_type), $(settled4 level), $(settled4 medfee_sumamt),
      $(settled4 fulamt_ownpay_amt), $(settled4 overlmt_selfpay), $(settled4 preselfpay_amt),
      act_pay_dedc, hifp_pay, hifmi_pay, maf_pay, fed_flags, reverses_seq, reassist_pay FROM claims;
    CREATE TRIGGER settlements_append_only INSTEAD OF INSERT OR UPDATE OR DELETE ON settlements
      FOR EACH ROW EXECUTE FUNCTION sanbao_append_only('settlements are append-only: a reversal is a new row');
    $amounts_view
    DELETE FROM sanbao_schema_history; INSERT INTO sanbao_schema_history VALUES (4, 'x', 'y', 'created');
    UPDATE sanbao_meta SET value = '4' WHERE key = 'schema_version'"
  # A ledger of version 3 as that sanbao made it: settlements a table of
  # its own, partitioned by person, with every settlement's visit, level
  # and amounts; claims without the settlement's columns.
  to_v3="$to_v4; CREATE TEMP TABLE s3 AS SELECT * FROM settlements;
    DROP VIEW settlement_amounts; DROP VIEW settlements; DROP INDEX claims_reverses_seq;
    DROP INDEX claim_ids_reverses;
    CREATE INDEX claim_ids_reverses ON claim_ids(reverses_seq) WHERE reverses_seq IS NOT NULL;
    ALTER TABLE claims DROP COLUMN status, DROP COLUMN reason, DROP COLUMN category,
      DROP COLUMN year, DROP COLUMN setl_visit_type, DROP COLUMN setl_level,
      DROP COLUMN setl_medfee_sumamt, DROP COLUMN setl_fulamt_ownpay_amt,
      DROP COLUMN setl_overlmt_selfpay, DROP COLUMN setl_preselfpay_amt, DROP COLUMN act_pay_dedc,
      DROP COLUMN hifp_pay, DROP COLUMN hifmi_pay, DROP COLUMN maf_pay, DROP COLUMN fed_flags,
      DROP COLUMN reverses_seq, DROP COLUMN reassist_pay;
    CREATE TABLE settlements(seq bigint NOT NULL, person_id text COLLATE \"C\" NOT NULL,
      status text NOT NULL CHECK (status IN ('settled','reversed','rejected')),
      reason text, category text, year integer, visit_type text, level text,
      medfee_sumamt bigint, fulamt_ownpay_amt bigint, overlmt_selfpay bigint,
      preselfpay_amt bigint, act_pay_dedc bigint, hifp_pay bigint, hifmi_pay bigint,
      maf_pay bigint, fed_flags integer, reverses_seq bigint, reassist_pay bigint,
      PRIMARY KEY (seq, person_id)) PARTITION BY HASH (person_id);
    DO \$\$ BEGIN FOR k IN 0..15 LOOP EXECUTE format('CREATE TABLE settlements_p%s PARTITION OF
      settlements FOR VALUES WITH (MODULUS 16, REMAINDER %s)', lpad(k::text, 2, '0'), k);
      END LOOP; END \$\$;
    INSERT INTO settlements SELECT * FROM s3;
    CREATE INDEX settlements_reverses ON settlements(reverses_seq) WHERE reverses_seq IS NOT NULL;
    $amounts_view
    CREATE TRIGGER settlements_append_only BEFORE UPDATE OR DELETE ON settlements FOR EACH ROW
      EXECUTE FUNCTION sanbao_append_only('settlements are append-only: a reversal is a new row');
    DELETE FROM sanbao_schema_history; INSERT INTO sanbao_schema_history VALUES (3, 'x', 'y', 'created');
    UPDATE sanbao_meta SET value = '3' WHERE key = 'schema_version'"
  # A ledger of version 2 as that sanbao made it (from one of version 3):
  # no claim_ids, claims' own claim-id index, no claim_id_kept.
  to_v2="$to_v3; DROP TABLE claim_ids; ALTER TABLE claims DROP COLUMN claim_id_kept;
    CREATE INDEX claims_claim_id ON claims(claim_id);
    DELETE FROM sanbao_schema_history; INSERT INTO sanbao_schema_history VALUES (2, 'x', 'y', 'created');
    UPDATE sanbao_meta SET value = '2' WHERE key = 'schema_version'"
  # migrated V: the ledger $f/vV.db of schema version V is opened (and so
  # migrated to 5), keeps every settlement, records HISTORY, holds the same
  # claim_ids, claims and constraints as a new ledger, and a re-import adds
  # nothing
  migrated() {
    run db export-settlements --db "$f/v$1.db" --out "$f/v$1.csv"
    expect_rc "a ledger of schema version $1: opened" 0
    same_file "a ledger of schema version $1: every settlement kept" "$f/init-before.csv" "$f/v$1.csv"
    same_text "a ledger of schema version $1: migrated to version 5" 5 \
      "$(db_sql "$f/v$1.db" "SELECT value FROM sanbao_meta WHERE key = 'schema_version'")"
    same_text "a ledger of schema version $1: the migrations recorded" "$2" \
      "$(db_sql "$f/v$1.db" "SELECT version, how FROM sanbao_schema_history ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
    same_text "a ledger of schema version $1: claim_ids filled from every received row" \
      "$(db_sql "$work/basics-pristine.db" "SELECT claim_id, seq, person_id, content_key, status, reverses_seq FROM claim_ids ORDER BY seq")" \
      "$(db_sql "$f/v$1.db" "SELECT claim_id, seq, person_id, content_key, status, reverses_seq FROM claim_ids ORDER BY seq")"
    same_text "a ledger of schema version $1: the view settlements reads as a new ledger's" \
      "$(db_sql "$work/basics-pristine.db" "SELECT * FROM settlement_amounts ORDER BY seq")" \
      "$(db_sql "$f/v$1.db" "SELECT * FROM settlement_amounts ORDER BY seq")"
    same_text "a ledger of schema version $1: claims stores as a new ledger's" \
      "$(db_sql "$work/basics-pristine.db" "SELECT * FROM claims ORDER BY seq")" \
      "$(db_sql "$f/v$1.db" "SELECT * FROM claims ORDER BY seq")"
    same_text "a ledger of schema version $1: the constraints of claims and claim_ids as a new ledger's" \
      "$(db_sql "$work/basics-pristine.db" "$constraints_sql")" "$(db_sql "$f/v$1.db" "$constraints_sql")"
    same_text "a ledger of schema version $1: claims_count holds the largest seq" \
      "$(db_sql "$f/v$1.db" "SELECT max(seq) FROM claims")" "$(db_sql "$f/v$1.db" "SELECT n FROM claims_count")"
    same_text "a ledger of schema version $1: the names of the codes as a new ledger's" \
      "$(db_sql "$work/basics-pristine.db" "$codes_sql")" "$(db_sql "$f/v$1.db" "$codes_sql")"
    same_text "a ledger of schema version $1: the indexes of claims and claim_ids as a new ledger's" \
      "$(db_sql "$work/basics-pristine.db" "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('claims', 'claim_ids') ORDER BY 1")" \
      "$(db_sql "$f/v$1.db" "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('claims', 'claim_ids') ORDER BY 1")"
    run db import-claims --db "$f/v$1.db" --claims "$golden/basics/claims.csv"
    expect_rc "a ledger migrated from version $1: a re-import" 0
    "$bin" db export-settlements --db "$f/v$1.db" --out "$f/v$1-again.csv" 2>/dev/null
    same_file "a ledger migrated from version $1: a re-import adds nothing" "$f/init-before.csv" "$f/v$1-again.csv"
  }
  db_copy "$work/basics-pristine.db" "$f/v4.db"
  db_sql "$f/v4.db" "$to_v4" >/dev/null
  same_text "a ledger of schema version 4: made (the names as text)" "text" \
    "$(db_sql "$f/v4.db" "SELECT data_type FROM information_schema.columns WHERE table_name = 'claims' AND column_name = 'status'")"
  migrated 4 "4|created 5|migrated"
  # what a sanbao of version 4 still running would write: refused
  if db_sql "$f/v4.db" "INSERT INTO claims(seq, run_id, claim_id, person_id, date, content_key, claim_id_kept, status)
      VALUES (100000, 1, 'OLD-1', 'P1', '2025-01-01', 1, true, 'settled'::text)" >"$work/out.txt" 2>"$work/err.txt"; then
    bad "a ledger migrated from version 4: a claims row with a status's name stored"
  else
    contains "a ledger migrated from version 4: an older sanbao's claims row refused, saying why" \
      "$work/err.txt" "is of type smallint but expression is of type text"
  fi
  # a name this sanbao does not know: the migration fails, naming the row,
  # and leaves the ledger as it was
  db_copy "$work/basics-pristine.db" "$f/v4bad.db"
  db_sql "$f/v4bad.db" "$to_v4; SET session_replication_role = replica;
    UPDATE claims SET level = 'grade9' WHERE seq = 3" >/dev/null
  run db export-settlements --db "$f/v4bad.db"
  expect_rc "a ledger of schema version 4 with an unknown level: not opened" 2
  contains "a ledger of schema version 4 with an unknown level: the row named" "$work/err.txt" \
    "cannot migrate the ledger's schema: the claims row of seq 3 holds a name this sanbao does not know"
  same_text "a ledger of schema version 4 with an unknown level: left at version 4" "4 grade9" \
    "$(db_sql "$f/v4bad.db" "SELECT (SELECT value FROM sanbao_meta WHERE key = 'schema_version'), level FROM claims WHERE seq = 3" | tr '|' ' ')"
  db_copy "$work/basics-pristine.db" "$f/v3.db"
  db_sql "$f/v3.db" "$to_v3" >/dev/null
  same_text "a ledger of schema version 3: made (settlements a partitioned table)" "p" \
    "$(db_sql "$f/v3.db" "SELECT relkind FROM pg_class WHERE relname = 'settlements'")"
  migrated 3 "3|created 4|migrated 5|migrated"
  # what a sanbao of version 3 still running would write: refused
  if db_sql "$f/v3.db" "INSERT INTO claims(seq, run_id, claim_id, person_id, date, content_key, claim_id_kept)
      VALUES (100000, 1, 'OLD-1', 'P1', '2025-01-01', 1, true)" >"$work/out.txt" 2>"$work/err.txt"; then
    bad "a ledger migrated from version 3: a claims row without its settlement stored"
  else
    contains "a ledger migrated from version 3: an older sanbao's claims row refused, saying why" \
      "$work/err.txt" "claims need sanbao of ledger schema 4 or later"
  fi
  db_copy "$work/basics-pristine.db" "$f/v2.db"
  db_sql "$f/v2.db" "$to_v2" >/dev/null
  migrated 2 "2|created 3|migrated 4|migrated 5|migrated"
  # what a sanbao of version 2 still running would write: refused
  if db_sql "$f/v2.db" "INSERT INTO claims(seq, run_id, claim_id, person_id, date, content_key)
      VALUES (100000, 1, 'OLD-1', 'P1', '2025-01-01', 1)" >"$work/out.txt" 2>"$work/err.txt"; then
    bad "a ledger migrated from version 2: a claims row without claim_id_kept stored"
  else
    contains "a ledger migrated from version 2: an older sanbao's claims row refused, saying why" \
      "$work/err.txt" "claims need sanbao of ledger schema 3 or later"
  fi
  db_copy "$work/basics-pristine.db" "$f/v1.db"
  db_sql "$f/v1.db" "$to_v2; DROP TABLE sanbao_schema_history;
    UPDATE sanbao_meta SET value = '1' WHERE key = 'schema_version'" >/dev/null
  migrated 1 "2|migrated 3|migrated 4|migrated 5|migrated"
  db_copy "$work/basics-pristine.db" "$f/v9.db"
  db_sql "$f/v9.db" "UPDATE sanbao_meta SET value = '9' WHERE key = 'schema_version'" >/dev/null
  for sub in "export-settlements" "init"; do
    run db $sub --db "$f/v9.db"
    expect_rc "a ledger of a newer schema version: db $sub refused" 2
    contains "a ledger of a newer schema version: db $sub says why" "$work/err.txt" \
      "schema is version 9, newer than this sanbao's (5)"
  done
  same_text "a ledger of a newer schema version: left as it was" 9 \
    "$(db_sql "$f/v9.db" "SELECT value FROM sanbao_meta WHERE key = 'schema_version'")"
  for uri in "postgresql://postgres:s3cret@127.0.0.1:$pg_port/no_such_db" \
    "postgres://127.0.0.1:$pg_port/no_such_db?user=postgres&password=s3cret"; do
    run db export-settlements --db "$uri"
    expect_rc "a missing database: export-settlements" 2
    contains "a missing database: the message says why" "$work/err.txt" "cannot connect"
    contains "a missing database: the password is masked" "$work/err.txt" "***"
    if grep -q s3cret "$work/err.txt"; then bad "a missing database: the message shows the password"; else ok; fi
  done
  skip "foreign, corrupt, truncated and damaged ledger files: SQLite only"
else
printf 'this is not a ledger\n' >"$f/text.db"
: >"$f/empty.db"
head -c 1000 "$work/basics.db" >"$f/truncated.db"
# A real ledger with another application id (header bytes 68-71), and one
# whose schema version (bytes 60-63) is newer than this sanbao knows.
cp "$work/basics-pristine.db" "$f/otherapp.db"
printf '\000\000\000\007' | dd of="$f/otherapp.db" bs=1 seek=68 conv=notrunc 2>/dev/null
cp "$work/basics-pristine.db" "$f/newer.db"
printf '\000\000\000\011' | dd of="$f/newer.db" bs=1 seek=60 conv=notrunc 2>/dev/null
list="text.db empty.db truncated.db otherapp.db newer.db"
if [ "$have_sqlite" -eq 1 ]; then
  sqlite3 "$f/foreign.db" "CREATE TABLE t(a); INSERT INTO t VALUES (1);"
  list="$list foreign.db"
else
  skip "a foreign SQLite database made by the sqlite3 CLI (otherapp.db covers the same check)"
fi
for n in $list; do
  cp "$f/$n" "$f/$n.orig"
  for sub in "add-policy $policy" "import-persons --persons $golden/basics/persons.csv" \
    "import-claims --claims $golden/basics/claims.csv" "export-settlements" "alerts" \
    "balance --person A1 --year 2022" "resettle --year 2022 --out $work/rs-bad" \
    "enroll --year 2022 --as-of 2021-10-01" "coverage --population $f/pop.csv --year 2022"; do
    # shellcheck disable=SC2086
    run db $sub --db "$f/$n"
    expect_rc "$n: db ${sub%% *}" 2
    contains "$n: db ${sub%% *} names the file" "$work/err.txt" "$f/$n"
  done
  run db init --db "$f/$n"
  expect_rc "$n: db init on an existing file" 2
  if cmp -s "$f/$n" "$f/$n.orig"; then ok; else bad "$n: the file was changed"; fi
done
run db export-settlements --db "$f/newer.db"
contains "newer.db: the message says why" "$work/err.txt" "newer"
run db export-settlements --db "$f/otherapp.db"
contains "otherapp.db: the message says why" "$work/err.txt" "not a sanbao ledger"
run db export-settlements --db "$f/empty.db"
contains "empty.db: the message says it is empty" "$work/err.txt" "an empty file, not a sanbao ledger"
for sub in "add-policy $policy" "import-persons --persons $golden/basics/persons.csv" \
  "import-claims --claims $golden/basics/claims.csv" "export-settlements" "alerts" \
  "balance --person A1 --year 2022" "resettle --year 2022 --out $work/rs-bad" \
  "enroll --year 2022 --as-of 2021-10-01" "coverage --population $f/pop.csv --year 2022"; do
  # shellcheck disable=SC2086
  run db $sub --db "$f/missing.db"
  expect_rc "missing file: db ${sub%% *}" 2
  contains "missing file: db ${sub%% *} names the file" "$work/err.txt" "$f/missing.db"
done
if [ -e "$f/missing.db" ]; then bad "missing file: a command created it"; else ok; fi
# Damaged records: values a damaged record decodes to although the schema
# forbids them (NULL in NOT NULL columns).  Made with the sqlite3 CLI by
# relaxing the schema, then writing the NULLs; the file passes SQLite's
# integrity check.  Every command that reads them must fail cleanly.
if [ "$have_sqlite" -eq 1 ]; then
  d=$f/damaged.db
  cp "$work/basics-pristine.db" "$d"
  if ! sqlite3 "$d" "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = replace(replace(sql, ' NOT NULL', ''),
    'CHECK (status IN (''settled'',''reversed'',''rejected''))', '') WHERE name IN ('claims', 'alerts', 'policies');" ||
    ! sqlite3 "$d" "DROP TRIGGER claims_append_only_u; UPDATE claims SET status = NULL WHERE seq = 2;
      UPDATE alerts SET person_id = NULL; UPDATE policies SET json = NULL;"; then
    bad "could not make damaged.db"
  fi
  for sub in "export-settlements" "alerts" "balance --person A1 --year 2022" \
    "resettle --year 2022 --out $work/rs-bad" "import-claims --claims $golden/basics/claims.csv" \
    "enroll --year 2022 --as-of 2021-10-01"; do
    # shellcheck disable=SC2086
    run db $sub --db "$d"
    expect_rc "damaged.db (NULL status, alert person, policy JSON): db ${sub%% *}" 2
    if [ "$rc" -eq 2 ]; then contains "damaged.db: db ${sub%% *} names the file" "$work/err.txt" "$d"; fi
  done
else
  skip "damaged records (no sqlite3 CLI to make them)"
fi
run db init --db "$work/basics-pristine.db"
expect_rc "db init on an existing ledger" 2
run db init --db "$work/no/such/dir/x.db"
expect_rc "db init in a missing directory" 2
fi

# ============================================================================
# 8. Failed commands leave the ledger as it was.
# ============================================================================
db=$work/basics-pristine.db
snap "$db" "$work/f0"
run db import-claims --db "$db" --claims "$work/no-such.csv"
expect_rc "import of a missing claims file" 2
printf 'claim_id,person_id,date\nZ1,A1,2022-01-01\n' >"$work/nocols.csv"
run db import-claims --db "$db" --claims "$work/nocols.csv"
expect_rc "import of a claims file without required columns" 2
run db add-policy --db "$db" "$golden/basics/policy-2022.json"
expect_rc "add-policy of a year already stored, without --replace" 2
run db add-policy --db "$db" --replace "$golden/basics/policy-2022.json"
expect_rc "add-policy --replace" 0
printf 'person_id,household_id,region,category,valid_from,valid_to\nA1,H1,4305,general,,\n' >"$work/badpersons.csv"
run db import-persons --db "$db" --persons "$work/badpersons.csv"
expect_rc "import-persons of an invalid registry" 2
snap "$db" "$work/f1"
same_file "failed commands: export unchanged" "$work/f0.set.csv" "$work/f1.set.csv"
run db balance --db "$db" --person A1 --year 2022
cp "$work/out.txt" "$work/bal.txt"
same_text "failed import-persons: A1 still insured as general" "person A1, year 2022, category general (普通参保居民)" "$(head -n 1 "$work/bal.txt")"

# ============================================================================
# 9. Balance: the basics persons, by hand from expected-settlements.csv.
# ============================================================================
run db balance --db "$db" --person A2 --year 2022
expect_rc "balance A2" 0
cp "$work/out.txt" "$work/bal.txt"
# A2 (min_living, 430225 -> default T 16000, tilted 8000):
#   A2-01 provincial 200000: dedc 2000, hifp 118800, hifmi 49740, maf 22022, psn 9438
#   A2-02 provincial 300000: dedc 1000, hifp  31200, hifmi 233560, maf 24668, psn 10572
#   basic fund 118800 + 31200 = 150000.00 (the annual cap); CI base
#   (200000-118800) + (300000-31200) = 350000.00; MA base 81200-49740 +
#   268800-233560 = 66700.00.
same_text "balance A2: header" "person A2, year 2022, category min_living (低保对象)" "$(head -n 1 "$work/bal.txt")"
same_text "balance A2: stays" 2 "$(bal "$work/bal.txt" "inpatient stays")"
same_text "balance A2: deductibles" 3000.00 "$(bal "$work/bal.txt" "deductibles charged")"
same_text "balance A2: basic fund" 150000.00 "$(bal "$work/bal.txt" "basic fund paid")"
same_text "balance A2: chronic" 0.00 "$(bal "$work/bal.txt" "  of which chronic")"
same_text "balance A2: CI base" 350000.00 "$(bal "$work/bal.txt" "critical-illness base")"
same_text "balance A2: CI deductible" 8000.00 "$(bal "$work/bal.txt" "critical-illness deductible")"
same_text "balance A2: CI paid" 283300.00 "$(bal "$work/bal.txt" "critical illness paid")"
same_text "balance A2: CI left (tilted: no cap)" cap "$(bal "$work/bal.txt" "critical illness left")"
same_text "balance A2: MA base" 66700.00 "$(bal "$work/bal.txt" "medical assistance base")"
same_text "balance A2: MA paid" 46690.00 "$(bal "$work/bal.txt" "medical assistance paid")"
same_text "balance A2: personal burden" 20010.00 "$(bal "$work/bal.txt" "personal burden")"
# A1 (general, 430521 -> T 11000): A1-02 reversed by A1-R2.
#   stays A1-01, A1-02, A1-06 minus A1-02 = 2; dedc 1200+600-600+600 = 1800;
#   hifp 16080+11640+180+0-11640+1400+5640 = 23300 (chronic 1400, outpatient
#   180); CI paid 552+5016-5016+360+2616 = 3528, left 400000-3528 = 396472;
#   psn 13368+3344+120+300-3344+240+1744 = 15772.
run db balance --db "$db" --person A1 --year 2022
cp "$work/out.txt" "$work/bal.txt"
same_text "balance A1: stays" 2 "$(bal "$work/bal.txt" "inpatient stays")"
same_text "balance A1: deductibles" 1800.00 "$(bal "$work/bal.txt" "deductibles charged")"
same_text "balance A1: basic fund" 23300.00 "$(bal "$work/bal.txt" "basic fund paid")"
same_text "balance A1: chronic" 1400.00 "$(bal "$work/bal.txt" "  of which chronic")"
same_text "balance A1: outpatient" 180.00 "$(bal "$work/bal.txt" "  of which general outpatient")"
same_text "balance A1: CI deductible" 11000.00 "$(bal "$work/bal.txt" "critical-illness deductible")"
same_text "balance A1: CI paid" 3528.00 "$(bal "$work/bal.txt" "critical illness paid")"
same_text "balance A1: CI left" 396472.00 "$(bal "$work/bal.txt" "critical illness left")"
same_text "balance A1: personal burden" 15772.00 "$(bal "$work/bal.txt" "personal burden")"
# Every basics person: the sums of their 2022 rows in expected-settlements.csv.
for p in A1 A2 A3 A4 A5; do
  "$bin" db balance --db "$db" --person "$p" --year 2022 >"$work/bal.txt" 2>&1
  want=$(awk -F, -v p="$p" '
    function fen(s) { gsub(/\./, "", s); return s + 0 }
    function yuan(v,  s) { s = v < 0 ? "-" : ""; v = v < 0 ? -v : v; return sprintf("%s%d.%02d", s, int(v / 100), v % 100) }
    NR > 1 && $2 == p && ($4 == "settled" || $4 == "reversed") && substr($3, 1, 4) == "2022" {
      d += fen($12); h += fen($13); ci += fen($14); ma += fen($15); psn += fen($17)
    }
    END { print yuan(d), yuan(h), yuan(ci), yuan(ma), yuan(psn) }' "$golden/basics/expected-settlements.csv")
  got="$(bal "$work/bal.txt" "deductibles charged") $(bal "$work/bal.txt" "basic fund paid") $(bal "$work/bal.txt" "critical illness paid") $(bal "$work/bal.txt" "medical assistance paid") $(bal "$work/bal.txt" "personal burden")"
  same_text "balance $p = sums of expected-settlements.csv (dedc hifp hifmi maf psn)" "$want" "$got"
done
run db balance --db "$db" --person NOBODY --year 2022
expect_rc "balance of an unknown person" 2
contains "balance of an unknown person: message" "$work/err.txt" "NOBODY"

# ============================================================================
# 10. Enroll (参保资助) = premiums, on basics as of 2021-10-01.
# ============================================================================
b=$golden/basics
"$bin" premiums --policy "$b/policy-2022.json" --persons "$b/persons.csv" --as-of 2021-10-01 \
  --out "$work/prem.csv" 2>/dev/null
run db enroll --db "$db" --year 2022 --as-of 2021-10-01
expect_rc "enroll" 0
sums=$(awk -F, 'function fen(s) { gsub(/\./, "", s); return s + 0 }
  function yuan(v) { return sprintf("%d.%02d", int(v / 100), v % 100) }
  NR > 1 { n++; pr += fen($4); su += fen($5); pe += fen($6) }
  END { printf "%d insured (参保人数); premiums %s, subsidies (参保资助) %s, paid by persons %s", n, yuan(pr), yuan(su), yuan(pe) }' "$work/prem.csv")
# As of 2021-10-01 only A2 (min_living: subsidy 160.00), A4 and A5 are insured.
same_text "enroll as of 2021-10-01: 3 insured, subsidy 160.00 (by hand)" \
  "3 insured (参保人数); premiums 960.00, subsidies (参保资助) 160.00, paid by persons 800.00" "$sums"
contains "enroll summary = premiums output" "$work/err.txt" "$sums"
if [ "$have_db_sql" -eq 1 ]; then
  db_sql "$db" "SELECT person_id, category, premium, subsidy, personal FROM enrollments WHERE year = 2022 ORDER BY person_id" | tr '|' , >"$work/enr.csv"
  awk -F, 'function fen(s) { gsub(/\./, "", s); return s + 0 } NR > 1 { print $1 "," $3 "," fen($4) "," fen($5) "," fen($6) }' "$work/prem.csv" >"$work/enr-want.csv"
  same_file "enroll: stored enrollments = premiums rows" "$work/enr-want.csv" "$work/enr.csv"
fi
# Enrolling again as of another date replaces the year's enrollments.
run db enroll --db "$db" --year 2022 --as-of 2022-07-15
expect_rc "enroll again" 0
n=$(($(wc -l <"$b/expected-premiums-2022-07-15.csv") - 1))
contains "enroll as of 2022-07-15: as many as premiums" "$work/err.txt" "$n insured"
if [ "$have_db_sql" -eq 1 ]; then
  same_text "enroll again replaces the year's rows" "$n" "$(db_sql "$db" "SELECT count(*) FROM enrollments WHERE year = 2022 AND as_of = '2022-07-15'")"
fi
run db enroll --db "$db" --year 2024 --as-of 2023-10-01
expect_rc "enroll for a year without a policy" 2

# ============================================================================
# 11. Resettle after a retroactive policy change (tests/ledger/resettle/).
# ============================================================================
db=$work/resettle.db
if new_ledger "$db" "$case_rs/persons.csv" "$case_rs/policy-2022.json"; then
  import "$db" "$case_rs/claims.csv"
  expect_rc "resettle case: import" 0
  snap "$db" "$work/r0"
  same_file "resettle case: stored settlements (by hand)" "$case_rs/expected-settlements.csv" "$work/r0.set.csv"
  run db resettle --db "$db" --year 2022 --out "$work/rs0"
  expect_rc "resettle under the stored policy" 0
  headers_only "resettle case: under the stored policy" "$work/rs0"
  for c in grade2 deductible; do
    run db resettle --db "$db" --year 2022 --policy "$case_rs/corrected-$c.json" --out "$work/rs-$c"
    expect_rc "resettle --policy corrected-$c.json" 0
    same_file "resettle $c: claims.csv (by hand)" "$case_rs/expected-$c/claims.csv" "$work/rs-$c/claims.csv"
    same_file "resettle $c: persons.csv (by hand)" "$case_rs/expected-$c/persons.csv" "$work/rs-$c/persons.csv"
    if grep -q '^R4-01,\|^R4-R1,' "$work/rs-$c/claims.csv"; then bad "resettle $c: the reversed pair is listed"; else ok; fi
    cp "$work/err.txt" "$work/rs-$c.summary"
  done
  contains "resettle grade2: summary totals" "$work/rs-grade2.summary" "funds paid 107822.00, recomputed 109596.30; 补付 (owed to people) 1774.30, 追回 (to recover) 0.00"
  contains "resettle grade2: summary counts" "$work/rs-grade2.summary" "8 claims of 4 persons recomputed; 5 claims and 3 persons differ"
  contains "resettle deductible: summary counts, one claim and one person in the singular" \
    "$work/rs-deductible.summary" "8 claims of 4 persons recomputed; 1 claim and 1 person differ"
  contains "resettle deductible: summary totals" "$work/rs-deductible.summary" "funds paid 107822.00, recomputed 107222.00; 补付 (owed to people) 0.00, 追回 (to recover) 600.00"
  snap "$db" "$work/r1"
  same_file "resettle: stored settlements unchanged" "$work/r0.set.csv" "$work/r1.set.csv"
  same_file "resettle: alerts unchanged" "$work/r0.alerts.csv" "$work/r1.alerts.csv"
  if [ "$have_db_sql" -eq 1 ]; then
    same_text "resettle: each run logged" 3 "$(db_sql "$db" "SELECT count(*) FROM runs WHERE kind = 'resettle'")"
  fi
  # A retroactive registry correction: R3 min_living all year, R4 insured
  # only until 30 April.  Re-settled under the stored policy.
  run db import-persons --db "$db" --persons "$case_rs/persons-corrected.csv"
  expect_rc "resettle case: import-persons of a correction" 0
  run db resettle --db "$db" --year 2022 --out "$work/rs-registry"
  expect_rc "resettle after a registry correction" 0
  same_file "resettle registry: claims.csv (by hand)" "$case_rs/expected-registry/claims.csv" "$work/rs-registry/claims.csv"
  same_file "resettle registry: persons.csv (by hand)" "$case_rs/expected-registry/persons.csv" "$work/rs-registry/persons.csv"
  contains "resettle registry: summary totals" "$work/err.txt" "funds paid 107822.00, recomputed 102166.00; 补付 (owed to people) 2744.00, 追回 (to recover) 8400.00"
  snap "$db" "$work/r2"
  same_file "resettle registry: stored settlements unchanged" "$work/r0.set.csv" "$work/r2.set.csv"
  run db resettle --db "$db" --year 2022 --policy "$golden/multi-year/policy-2023.json" --out "$work/rs-x"
  expect_rc "resettle with another year's policy" 2
  contains "resettle with another year's policy: the message names both years" "$work/err.txt" "is the policy of 2023, not 2022"
  run db resettle --db "$db" --year 2023 --out "$work/rs-x" --force
  expect_rc "resettle a year without a policy" 2
  : >"$work/plainfile"
  run db resettle --db "$db" --year 2022 --out "$work/plainfile"
  expect_rc "resettle --out a file, not a directory" 2
fi

finish
