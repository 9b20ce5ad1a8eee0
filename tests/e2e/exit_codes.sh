#!/bin/sh
# e2e: exit statuses 0, 1 and 2 of `sanbao settle`, and that an exit-2 run
# leaves no output behind and an existing output untouched (docs/reference/formats.md §12).
# Usage: sh exit_codes.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

g=$root/tests/golden/basics
pol=$g/policy-2022.json
per=$g/persons.csv
H='claim_id,person_id,date,status,reason,category,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,inscp_scp_amt,act_pay_dedc,hifp_pay,hifmi_pay,maf_pay,fund_pay_sumamt,psn_part_amt,reassist_pay'
AH='person_id,household_id,rule,claim_id,date,psn_ytd,threshold'

# ---- exit 0: every row settled or reversed --------------------------------
cat >"$work/ok-claims.csv" <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt,reverses
K-1,A1,2022-03-05,outpatient,primary,300,
K-2,A1,2022-03-06,outpatient,primary,100.5,
K-R,A1,2022-03-07,,,,K-1
CSV
cat >"$work/ok-expected.csv" <<CSV
$H
K-1,A1,2022-03-05,settled,,general,300.00,0.00,0.00,0.00,300.00,0.00,180.00,0.00,0.00,180.00,120.00,0.00
K-2,A1,2022-03-06,settled,,general,100.50,0.00,0.00,0.00,100.50,0.00,60.30,0.00,0.00,60.30,40.20,0.00
K-R,A1,2022-03-07,reversed,,general,-300.00,0.00,0.00,0.00,-300.00,0.00,-180.00,0.00,0.00,-180.00,-120.00,0.00
CSV
run settle --policy "$pol" --persons "$per" --claims "$work/ok-claims.csv" \
  --out "$work/ok-out.csv" --alerts "$work/ok-alerts.csv" --quiet
expect_rc "all settled" 0
same_file "all settled: settlements" "$work/ok-expected.csv" "$work/ok-out.csv"
printf '%s\n' "$AH" >"$work/ah.csv"
same_file "all settled: alerts header only" "$work/ah.csv" "$work/ok-alerts.csv"
no_tmp "all settled" "$work"

# a claims file holding only its header: exit 0, header-only output
printf 'claim_id,person_id,date,visit_type,level,medfee_sumamt\n' >"$work/hdr-claims.csv"
printf '%s\n' "$H" >"$work/hdr-expected.csv"
run settle --policy "$pol" --persons "$per" --claims "$work/hdr-claims.csv" --out "$work/hdr-out.csv" --quiet
expect_rc "header-only claims" 0
same_file "header-only claims: output" "$work/hdr-expected.csv" "$work/hdr-out.csv"
# the same with CRLF, a BOM and blank lines
printf '\357\273\277claim_id,person_id,date,visit_type,level,medfee_sumamt\r\n\r\n\r\n' >"$work/hdr2-claims.csv"
run settle --policy "$pol" --persons "$per" --claims "$work/hdr2-claims.csv" --out "$work/hdr2-out.csv" --quiet
expect_rc "header-only claims (BOM, CRLF, blank lines)" 0
same_file "header-only claims (BOM, CRLF, blank lines): output" "$work/hdr-expected.csv" "$work/hdr2-out.csv"

# ---- exit 1: some rows rejected, output still complete --------------------
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" \
  --out "$work/b-out.csv" --alerts "$work/b-alerts.csv" --quiet
expect_rc "some rejected" 1
same_file "some rejected: settlements complete" "$g/expected-settlements.csv" "$work/b-out.csv"
same_file "some rejected: alerts complete" "$g/expected-alerts.csv" "$work/b-alerts.csv"
no_tmp "some rejected" "$work"

# ---- exit 2: nothing written, an existing --out left untouched ------------
# expect2 NAME ARGS...: the args are appended to "settle"; --out/--alerts point
# into a fresh directory $d; checks exit 2, a message, no output, no temp file.
n2=0
expect2() {
  name=$1; shift
  expect_rc "$name" 2
  if [ -s "$work/err.txt" ]; then ok; else bad "$name: no message on stderr"; fi
  if [ -s "$work/out.txt" ]; then bad "$name: something written on stdout"; else ok; fi
}
fresh() { n2=$((n2 + 1)); d=$work/x$n2; mkdir "$d"; }

fresh
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/o.csv" --alerts "$d/a.csv" --bogus
expect2 "unknown option"
contains "unknown option: names it" "$work/err.txt" "--bogus"
absent "unknown option" "$d/o.csv" "$d/a.csv"

fresh
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/a" --out "$d/b"
expect2 "repeated --out"
contains "repeated --out: names it" "$work/err.txt" "--out"
absent "repeated --out" "$d/a" "$d/b"
no_tmp "repeated --out" "$d"

fresh
run settle --policy "$pol" --persons "$per" --persons "$per" --claims "$g/claims.csv" --out "$d/o.csv"
expect2 "repeated --persons"
absent "repeated --persons" "$d/o.csv"

fresh
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --claims "$g/claims.csv" --out "$d/o.csv"
expect2 "repeated --claims"
absent "repeated --claims" "$d/o.csv"

fresh
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/o.csv" --alerts "$d/a.csv" --alerts "$d/b.csv"
expect2 "repeated --alerts"
absent "repeated --alerts" "$d/o.csv" "$d/a.csv" "$d/b.csv"

fresh
run settle --policy "$pol" --persons "$per" --out "$d/o.csv"
expect2 "missing --claims"
contains "missing --claims: names it" "$work/err.txt" "--claims"
absent "missing --claims" "$d/o.csv"

fresh
run settle --policy "$pol" --claims "$g/claims.csv" --out "$d/o.csv"
expect2 "missing --persons"
contains "missing --persons: names it" "$work/err.txt" "--persons"
absent "missing --persons" "$d/o.csv"

fresh
run settle --persons "$per" --claims "$g/claims.csv" --out "$d/o.csv"
expect2 "missing --policy"
contains "missing --policy: names it" "$work/err.txt" "--policy"
absent "missing --policy" "$d/o.csv"

fresh
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out
expect2 "option without its value"

fresh
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/o.csv" extra-argument
expect2 "stray argument"
absent "stray argument" "$d/o.csv"

fresh
run settle --policy "$pol" --persons - --claims - --out "$d/o.csv" </dev/null
expect2 "two '-' inputs"
absent "two '-' inputs" "$d/o.csv"

fresh
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out - --alerts -
expect2 "two '-' outputs"

fresh
run settle --policy "$pol" --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/o.csv"
expect2 "two policies for one year"
contains "two policies for one year: names the year" "$work/err.txt" "2022"
absent "two policies for one year" "$d/o.csv"

fresh
run settle --policy "$pol" --persons "$per" --claims "$d/no-such-claims.csv" --out "$d/o.csv" --alerts "$d/a.csv"
expect2 "claims file does not exist"
contains "claims file does not exist: names it" "$work/err.txt" "no-such-claims.csv"
absent "claims file does not exist" "$d/o.csv" "$d/a.csv"
no_tmp "claims file does not exist" "$d"

fresh
run settle --policy "$pol" --persons "$d/no-such-persons.csv" --claims "$g/claims.csv" --out "$d/o.csv"
expect2 "persons file does not exist"
contains "persons file does not exist: names it" "$work/err.txt" "no-such-persons.csv"
absent "persons file does not exist" "$d/o.csv"

fresh
run settle --policy "$d/no-such-policy.json" --persons "$per" --claims "$g/claims.csv" --out "$d/o.csv"
expect2 "policy file does not exist"
contains "policy file does not exist: names it" "$work/err.txt" "no-such-policy.json"
absent "policy file does not exist" "$d/o.csv"

# unwritable --out: a directory that does not exist, a parent that is a file,
# a read-only directory (only meaningful when not root), the path of a directory
fresh
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/missing-dir/o.csv" --alerts "$d/a.csv"
expect2 "--out in a missing directory"
absent "--out in a missing directory" "$d/missing-dir" "$d/a.csv"
no_tmp "--out in a missing directory" "$d"

fresh
: >"$d/file"
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/file/o.csv" --alerts "$d/a.csv"
expect2 "--out under a regular file"
absent "--out under a regular file" "$d/a.csv"
no_tmp "--out under a regular file" "$d"

fresh
mkdir "$d/ro"
chmod 555 "$d/ro"
if [ -w "$d/ro" ]; then
  echo "note: read-only directory check skipped (running as root)"
else
  run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/ro/o.csv" --alerts "$d/a.csv"
  expect2 "--out in a read-only directory"
  absent "--out in a read-only directory" "$d/ro/o.csv" "$d/a.csv"
  no_tmp "--out in a read-only directory" "$d/ro"
fi
chmod 755 "$d/ro"

fresh
mkdir "$d/adir"
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/adir" --alerts "$d/a.csv"
expect2 "--out naming a directory"
absent "--out naming a directory" "$d/a.csv"
no_tmp "--out naming a directory" "$d"

# the alerts file cannot be put in place: the settlements must not be left either
fresh
mkdir "$d/adir"
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/o.csv" --alerts "$d/adir"
expect2 "--alerts naming a directory"
absent "--alerts naming a directory: no settlements left" "$d/o.csv"
no_tmp "--alerts naming a directory" "$d"

fresh
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/o.csv" --alerts "$d/missing-dir/a.csv"
expect2 "--alerts in a missing directory"
absent "--alerts in a missing directory: no settlements left" "$d/o.csv"
no_tmp "--alerts in a missing directory" "$d"

# an existing --out / --alerts file is left untouched by every exit-2 run
fresh
printf 'do not touch\n' >"$d/keep.csv"
printf 'alerts: do not touch\n' >"$d/keep-alerts.csv"
cp "$d/keep.csv" "$d/keep.orig"
cp "$d/keep-alerts.csv" "$d/keep-alerts.orig"
printf '{ "schema": "sanbao-policy/1", "year": 2022, }\n' >"$d/broken.json"
printf 'person_id,household_id,region,category\nP1,H1,4301,general\n' >"$d/broken-persons.csv"
printf 'claim_id,person_id,date,visit_type,level\n' >"$d/broken-claims.csv"
untouched() { # NAME ARGS...
  uname=$1; shift
  run settle "$@" --out "$d/keep.csv" --alerts "$d/keep-alerts.csv"
  expect2 "$uname (existing output)"
  same_file "$uname: existing --out unchanged" "$d/keep.orig" "$d/keep.csv"
  same_file "$uname: existing --alerts unchanged" "$d/keep-alerts.orig" "$d/keep-alerts.csv"
  no_tmp "$uname (existing output)" "$d"
}
untouched "unknown option" --policy "$pol" --persons "$per" --claims "$g/claims.csv" --frobnicate
untouched "missing option" --policy "$pol" --persons "$per"
untouched "invalid JSON" --policy "$d/broken.json" --persons "$per" --claims "$g/claims.csv"
untouched "bad registry" --policy "$pol" --persons "$d/broken-persons.csv" --claims "$g/claims.csv"
untouched "bad claims header" --policy "$pol" --persons "$per" --claims "$d/broken-claims.csv"
untouched "missing claims file" --policy "$pol" --persons "$per" --claims "$d/nope.csv"
untouched "two policies for one year" --policy "$pol" --policy "$pol" --persons "$per" --claims "$g/claims.csv"
# shellcheck disable=SC2012  # plain names, made here
ls "$d" | LC_ALL=C sort >"$work/left.txt"
printf '%s\n' broken-claims.csv broken-persons.csv broken.json keep-alerts.csv keep-alerts.orig keep.csv keep.orig >"$work/want-left.txt"
same_file "no stray file after the exit-2 runs" "$work/want-left.txt" "$work/left.txt"

# a successful run replaces an existing --out
run settle --policy "$pol" --persons "$per" --claims "$g/claims.csv" --out "$d/keep.csv" --quiet
expect_rc "existing --out replaced" 1
same_file "existing --out replaced" "$g/expected-settlements.csv" "$d/keep.csv"

finish
