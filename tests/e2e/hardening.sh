#!/bin/sh
# e2e: defects found by trying bad input (the hardening issue), each kept as
# a regression test:
#  1. an output that names an input, or the ledger, is refused (exit 2) and
#     the input is left as it was — by the same name, another path, a
#     symbolic link or a hard link; db resettle does not overwrite an earlier
#     run's files without --force;
#  2. `sanbao report` refuses, naming FILE:LINE, a row whose field count
#     differs from the header's (it used to read the previous row's
#     amounts), a row with an unknown status, and a row whose amounts no
#     settlement writes (a reversal's positive, a fund that is not its
#     tiers' sum), and an alert of a day its person was not insured;
#  3. `sanbao demo` with a bad --policy leaves the previous demo as it was;
#  4. a ledger re-import does not settle a reversal the batch rejects (one
#     dated before its original stays UNKNOWN_CLAIM at every import).
#  5. an output named through a symbolic link writes the link's file and
#     leaves the link a link; /dev/stdout and /dev/fd/N write the descriptor
#     the shell opened (they used to leave the shell's file empty).
#     A descriptor the command opened itself (the ledger is 3) is not one
#     the caller gave: refused, the ledger untouched; standard output and
#     error on one pipe are two outputs, not "the same file"; a link to a
#     pipe is written through; no crash when the working directory is gone;
#     reconcile's --out is never the ledger's -wal.
#  6. a run whose last output cannot be finished (a full disk, here a file
#     size limit) leaves every output name as it was: the outputs finished
#     before it were renamed into place one by one.
# Usage: sh hardening.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
root=$(cd "$root" && pwd)
policy=$root/policies/hunan-2022.json
g=$root/tests/golden/basics

sum() { cksum <"$1" | cut -d' ' -f1-2; }

# refused NAME FILE ARGS...: the command exits 2 and FILE keeps its bytes
refused() {
  _n=$1 _f=$2
  shift 2
  _before=$(sum "$_f")
  run "$@"
  expect_rc "$_n: exit status" 2
  same_text "$_n: $(basename "$_f") unchanged" "$_before" "$(sum "$_f")"
}

# ---- 1. outputs that name inputs ----------------------------------------------
cp "$g/claims.csv" "$work/claims.csv"
cp "$g/persons.csv" "$work/persons.csv"
cp "$policy" "$work/policy.json"
ln -s "$work/claims.csv" "$work/claims-link.csv"
ln "$work/persons.csv" "$work/persons-hard.csv"
s="settle --policy $work/policy.json --persons $work/persons.csv --claims $work/claims.csv"
# shellcheck disable=SC2086
refused "settle --out = --claims" "$work/claims.csv" $s --out "$work/claims.csv"
# shellcheck disable=SC2086
refused "settle --out = --persons" "$work/persons.csv" $s --out "$work/persons.csv"
# shellcheck disable=SC2086
refused "settle --alerts through a symbolic link to --claims" "$work/claims.csv" $s \
  --out "$work/o.csv" --alerts "$work/claims-link.csv"
# shellcheck disable=SC2086
refused "settle --out a hard link of --persons" "$work/persons.csv" $s --out "$work/persons-hard.csv"
# shellcheck disable=SC2086
refused "settle --out = --policy" "$work/policy.json" $s --out "$work/policy.json"
# shellcheck disable=SC2086
refused "settle --out by another path" "$work/claims.csv" $s --out "$work/./sub/../claims.csv"
refused "premiums --out = --persons" "$work/persons.csv" premiums --policy "$work/policy.json" \
  --persons "$work/persons.csv" --as-of 2022-01-01 --out "$work/persons.csv"
refused "pack --out = --claims" "$work/claims.csv" pack --persons "$work/persons.csv" \
  --claims "$work/claims.csv" --out "$work/claims.csv"
echo '{"critical_illness": {"annual_cap": "300000"}}' >"$work/reform.json"
refused "simulate --report = --policy" "$work/policy.json" simulate --policy "$work/policy.json" \
  --reform "$work/reform.json" --persons "$work/persons.csv" --claims "$work/claims.csv" \
  --report "$work/policy.json"
refused "simulate --csv = --persons" "$work/persons.csv" simulate --policy "$work/policy.json" \
  --reform "$work/reform.json" --persons "$work/persons.csv" --claims "$work/claims.csv" \
  --report "$work/r.html" --csv "$work/persons.csv"
"$bin" settle --policy "$policy" --persons "$work/persons.csv" --claims "$work/claims.csv" \
  --out "$work/set.csv" --quiet 2>/dev/null
refused "report --report = --settlements" "$work/set.csv" report --settlements "$work/set.csv" \
  --persons "$work/persons.csv" --report "$work/set.csv"

db=$work/l.db
"$bin" db init --db "$db" 2>/dev/null
"$bin" db add-policy --db "$db" "$policy" 2>/dev/null
"$bin" db import-persons --db "$db" --persons "$work/persons.csv" 2>/dev/null
"$bin" db import-claims --db "$db" --claims "$work/claims.csv" --quiet 2>/dev/null
refused "db export-settlements --out = the ledger" "$db" db export-settlements --db "$db" --out "$db"
refused "db alerts --out = the ledger" "$db" db alerts --db "$db" --out "$db"
refused "db reassist --out = the ledger" "$db" db reassist --db "$db" --year 2022 --out "$db"
refused "db export-fee-results --out = the ledger" "$db" db export-fee-results --db "$db" --out "$db"
run db export-settlements --db "$db" --out "$work/exp.csv"
expect_rc "the ledger still opens and exports" 0
# db resettle: an earlier run's files are kept unless --force
run db resettle --db "$db" --year 2022 --out "$work/rs/a/b"
expect_rc "db resettle into a new nested directory" 0
echo "an earlier run" >>"$work/rs/a/b/claims.csv"
refused "db resettle over an earlier run" "$work/rs/a/b/claims.csv" db resettle --db "$db" \
  --year 2022 --out "$work/rs/a/b"
run db resettle --db "$db" --year 2022 --out "$work/rs/a/b" --force
expect_rc "db resettle --force" 0

# ---- 2. report: rows that do not fit the header --------------------------------
{
  head -1 "$work/set.csv" | sed 's/$/,extra1,extra2/'
  sed -n 2p "$work/set.csv" | sed 's/$/,x,y/'
  sed -n 3p "$work/set.csv" # two fields short
} >"$work/short.csv"
run report --settlements "$work/short.csv" --persons "$work/persons.csv" --report "$work/short.html"
expect_rc "report: a short row" 2
contains "report: the short row's line is named" "$work/err.txt" "short.csv:3"
if [ -f "$work/short.html" ]; then bad "report: a page was written for a bad file"; else ok; fi
{
  head -1 "$work/set.csv"
  sed -n 2p "$work/set.csv" | sed 's/,settled,/,paid,/'
} >"$work/status.csv"
run report --settlements "$work/status.csv" --persons "$work/persons.csv" --report "$work/st.html"
expect_rc "report: an unknown status" 2
contains "report: the unknown status is named" "$work/err.txt" "status.csv:2"
# a claims file given as the alerts (it has a person_id and a date too)
run report --settlements "$work/set.csv" --persons "$work/persons.csv" --report "$work/al.html" \
  --alerts "$work/claims.csv"
expect_rc "report: claims given as --alerts" 2
contains "report: the alerts' missing column is named" "$work/err.txt" "household_id"
if [ -f "$work/al.html" ]; then bad "report: a page was written for claims as alerts"; else ok; fi
# an alert dated on a day its person was not insured (A1 is insured from
# 2022-01-01): settle raises alerts on settled claims only; it used to count
# in the totals but in no category
printf 'person_id,household_id,rule,claim_id,date,psn_ytd,threshold\nA1,H1,low,X1,2021-12-01,100.00,50.00\n' \
  >"$work/al-day.csv"
run report --settlements "$work/set.csv" --persons "$work/persons.csv" --report "$work/ald.html" \
  --alerts "$work/al-day.csv"
expect_rc "report: an alert of a day its person was not insured" 2
contains "report: the uninsured day's alert is named" "$work/err.txt" "al-day.csv:2: date: its person was not insured"
if [ -f "$work/ald.html" ]; then bad "report: a page was written for an alert of an uninsured day"; else ok; fi
# a settled row of a person the registry does not hold, and one with no real date
{
  head -1 "$work/set.csv"
  grep ',settled,' "$work/set.csv" | head -1 | awk -F, 'BEGIN { OFS = "," } { $2 = "ZZ"; print }'
} >"$work/who.csv"
run report --settlements "$work/who.csv" --persons "$work/persons.csv" --report "$work/who.html"
expect_rc "report: a settled row of an unknown person" 2
contains "report: the unknown person's line is named" "$work/err.txt" "who.csv:2: person_id"
{
  head -1 "$work/set.csv"
  grep ',settled,' "$work/set.csv" | head -1 | awk -F, 'BEGIN { OFS = "," } { $3 = "2022-02-30"; print }'
} >"$work/when.csv"
run report --settlements "$work/when.csv" --persons "$work/persons.csv" --report "$work/when.html"
expect_rc "report: a settled row dated 2022-02-30" 2
contains "report: the bad date's line is named" "$work/err.txt" "when.csv:2: date"
# rows no settlement writes: a settled row copied as reversed with its
# positive amounts (summed as given, the page said "0 claims" of 60,000.00
# yuan), and a settled row whose fund is not its tiers' sum
{
  head -1 "$work/set.csv"
  grep ',settled,' "$work/set.csv" | head -1
  grep ',settled,' "$work/set.csv" | head -1 | sed 's/,settled,/,reversed,/'
} >"$work/sign.csv"
run report --settlements "$work/sign.csv" --persons "$work/persons.csv" --report "$work/sign.html"
expect_rc "report: a reversed row with positive amounts" 2
contains "report: the wrong sign's line is named" "$work/err.txt" "sign.csv:3: amounts: a reversed row's"
if [ -f "$work/sign.html" ]; then bad "report: a page was written for a reversal of positive amounts"; else ok; fi
fund=$(head -1 "$work/set.csv" | tr ',' '\n' | grep -n '^fund_pay_sumamt$' | cut -d: -f1)
{
  head -1 "$work/set.csv"
  grep ',settled,' "$work/set.csv" | head -1 |
    awk -F, -v f="$fund" 'BEGIN { OFS = "," } { $f = sprintf("%.2f", $f + 1); print }'
} >"$work/fund.csv"
run report --settlements "$work/fund.csv" --persons "$work/persons.csv" --report "$work/fund.html"
expect_rc "report: a fund that is not its tiers' sum" 2
contains "report: the fund's line is named" "$work/err.txt" "fund.csv:2: fund_pay_sumamt: not hifp_pay"

# ---- 3. demo with a bad policy keeps the previous demo --------------------------
mkdir -p "$work/here"
(cd "$work/here" && "$bin" demo --dir "$work/demo" --persons 300 --policy "$policy" >/dev/null 2>&1)
if [ -s "$work/demo/ledger.db" ]; then ok; else bad "the first demo left no ledger"; fi
before=$(sum "$work/demo/ledger.db")
mkdir -p "$work/elsewhere"
(cd "$work/elsewhere" && "$bin" demo --dir "$work/demo" --persons 300 \
  --policy policies/hunan-2022.json >/dev/null 2>"$work/err.txt")
same_text "demo with a policy path that does not resolve: exit 2" 2 "$?"
same_text "the previous demo's ledger is untouched" "$before" "$(sum "$work/demo/ledger.db")"

# ---- 4. a reversal dated before its original, imported twice --------------------
cat >"$work/rev.csv" <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt,reverses
O-1,A1,2022-05-10,outpatient,primary,100,
R-1,A1,2022-05-09,,,,O-1
CSV
db2=$work/l2.db
"$bin" db init --db "$db2" 2>/dev/null
"$bin" db add-policy --db "$db2" "$policy" 2>/dev/null
"$bin" db import-persons --db "$db2" --persons "$work/persons.csv" 2>/dev/null
run db import-claims --db "$db2" --claims "$work/rev.csv"
expect_rc "first import: the early reversal is rejected" 1
"$bin" db export-settlements --db "$db2" --out "$work/r1.csv" 2>/dev/null
run db import-claims --db "$db2" --claims "$work/rev.csv"
"$bin" db export-settlements --db "$db2" --out "$work/r2.csv" 2>/dev/null
same_file "the same file again changes nothing" "$work/r1.csv" "$work/r2.csv"
same_text "the early reversal stays UNKNOWN_CLAIM" "R-1,A1,2022-05-09,rejected,UNKNOWN_CLAIM" \
  "$(grep '^R-1,' "$work/r2.csv" | cut -d, -f1-5)"
run settle --policy "$policy" --persons "$work/persons.csv" --claims "$work/rev.csv" --out "$work/r3.csv"
same_text "the batch rejects it the same way" "R-1,A1,2022-05-09,rejected,UNKNOWN_CLAIM" \
  "$(grep '^R-1,' "$work/r3.csv" | cut -d, -f1-5)"
# and a reversal whose original a later import brings, dated before it
cat >"$work/orig-late.csv" <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt,reverses
O-2,A1,2022-06-10,outpatient,primary,100,
CSV
cat >"$work/rev-early.csv" <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt,reverses
R-2,A1,2022-06-01,,,,O-2
CSV
"$bin" db import-claims --db "$db2" --claims "$work/orig-late.csv" --quiet 2>/dev/null
run db import-claims --db "$db2" --claims "$work/rev-early.csv"
expect_rc "a reversal dated before a stored original" 1
"$bin" db export-settlements --db "$db2" --out "$work/r4.csv" 2>/dev/null
same_text "it is UNKNOWN_CLAIM" "R-2,A1,2022-06-01,rejected,UNKNOWN_CLAIM" \
  "$(grep '^R-2,' "$work/r4.csv" | cut -d, -f1-5)"

# ---- 5. outputs named through links and descriptors ------------------------------
s="settle --policy $policy --persons $work/persons.csv --claims $work/claims.csv --quiet"
# shellcheck disable=SC2086
"$bin" $s --out "$work/want.csv" 2>/dev/null
echo old >"$work/target.csv"
ln -s target.csv "$work/out-link.csv"
# shellcheck disable=SC2086
run $s --out "$work/out-link.csv"
expect_rc "--out through a symbolic link" 0 1
same_file "the link's file holds the settlements" "$work/want.csv" "$work/target.csv"
if [ -L "$work/out-link.csv" ]; then ok; else bad "the symbolic link was replaced by a file"; fi
# shellcheck disable=SC2086
"$bin" $s --out /dev/stdout >"$work/stdout.csv" 2>"$work/err.txt"
rc=$?
expect_rc "--out /dev/stdout into a file" 0 1
same_file "--out /dev/stdout: the shell's file holds the settlements" "$work/want.csv" "$work/stdout.csv"
# shellcheck disable=SC2086
"$bin" $s --out /dev/fd/3 3>"$work/fd3.csv" 2>"$work/err.txt"
rc=$?
expect_rc "--out /dev/fd/3 into a file" 0 1
same_file "--out /dev/fd/3: the shell's file holds the settlements" "$work/want.csv" "$work/fd3.csv"
# shellcheck disable=SC2086
"$bin" $s --out /dev/fd/7 2>"$work/err.txt"
rc=$?
expect_rc "--out /dev/fd/7, not open" 2
cp "$db" "$work/fd.db"
before=$(sum "$work/fd.db")
"$bin" db export-settlements --db "$work/fd.db" --out /dev/fd/3 3>&- >/dev/null 2>"$work/err.txt"
rc=$? # 3 closed for it, as a shell that opened nothing there starts it
expect_rc "db export-settlements --out /dev/fd/3 (the ledger's, once open)" 2
same_text "the ledger named as /dev/fd/3 keeps its bytes" "$before" "$(sum "$work/fd.db")"
# shellcheck disable=SC2086
"$bin" $s --out /dev/stdout --alerts /dev/stderr 2>&1 | grep -c '' >"$work/n.txt"
if [ "$(cat "$work/n.txt")" -gt 20 ]; then ok; else bad "stdout and stderr on one pipe refused as one file"; fi
ln -s /dev/stdout "$work/so"
# shellcheck disable=SC2086
"$bin" $s --out "$work/so" | cmp -s - "$work/want.csv"
same_text "--out a link to /dev/stdout, a pipe: written through" 0 "$?"
mkdir "$work/gone"
(
  cd "$work/gone" && rmdir "$work/gone"
  "$bin" db alerts --db "$work/fd.db" --out x.csv >/dev/null 2>&1
  echo "$?" >"$work/gone.rc"
)
same_text "the working directory gone: an error, not a crash" 2 "$(cat "$work/gone.rc")"
printf 'person_id,category\n' >"$work/list.csv"
rm -f "$work/fd2.db-wal"
cp "$db" "$work/fd2.db"
run reconcile --db "$work/fd2.db" --year 2022 --list "$work/list.csv" --out "$work/./fd2.db-wal"
expect_rc "reconcile --out the ledger's -wal" 2
contains "reconcile: refused as the ledger's file" "$work/err.txt" "refusing to overwrite an input"

# ---- 6. no output placed when another cannot be finished -------------------------
# The fee results (about 15 KB) are held whole until the run ends (written
# past the page cache in 8 MiB stages), so a limit of 1 block fails their
# last write there, after the alerts (under 1 block) were written whole.
f=$root/tests/golden/fees
echo OLD >"$work/alerts-old.csv"
rm -f "$work/fr.csv"
(
  trap '' XFSZ
  ulimit -f 1
  exec "$bin" settle --policy "$f/policy-2022.json" --policy "$f/policy-2021.json" \
    --persons "$f/persons.csv" --claims "$f/claims.csv" --catalog "$f/catalog.csv" \
    --fees "$f/fees.csv" --out /dev/null --alerts "$work/alerts-old.csv" \
    --fee-results "$work/fr.csv" --quiet
) >"$work/out.txt" 2>"$work/err.txt"
rc=$?
expect_rc "a file size limit at the fee results' last write" 2
contains "the failed output is named" "$work/err.txt" "fr.csv: write error"
same_text "the alerts file keeps its bytes" "OLD" "$(cat "$work/alerts-old.csv")"
leftover=$(find "$work" -maxdepth 1 -name '*.tmp.*')
same_text "no temporary file was left" "" "$leftover"
if [ -e "$work/fr.csv" ]; then bad "a fee results file was left"; else ok; fi
finish
