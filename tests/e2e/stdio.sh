#!/bin/sh
# e2e: standard input and output ('-'), --out=FILE, the alerts file, --explain,
# and what goes to stdout and stderr (docs/reference/formats.md §4, §5, §8).
# Usage: sh stdio.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

g=$root/tests/golden/basics
pol=$g/policy-2022.json
per=$g/persons.csv
cla=$g/claims.csv
exp=$g/expected-settlements.csv
AH='person_id,household_id,rule,claim_id,date,psn_ytd,threshold'

# claims from standard input, settlements on standard output
"$bin" settle --policy "$pol" --persons "$per" --claims - --quiet <"$cla" >"$work/s1.csv" 2>"$work/err.txt"
rc=$?
expect_rc "claims on stdin, output on stdout" 1
same_file "claims on stdin, output on stdout" "$exp" "$work/s1.csv"

# persons from standard input, --out -
"$bin" settle --policy "$pol" --persons - --claims "$cla" --out - --quiet <"$per" >"$work/s2.csv" 2>"$work/err.txt"
rc=$?
expect_rc "persons on stdin, --out -" 1
same_file "persons on stdin, --out -" "$exp" "$work/s2.csv"

# alerts on standard output, settlements to a file
"$bin" settle --policy "$pol" --persons "$per" --claims "$cla" --out "$work/s3.csv" --alerts - --quiet \
  >"$work/a3.csv" 2>"$work/err.txt"
rc=$?
expect_rc "--alerts -" 1
same_file "--alerts -: settlements" "$exp" "$work/s3.csv"
same_file "--alerts -: alerts" "$g/expected-alerts.csv" "$work/a3.csv"

# nothing but the settlements on stdout, even without --quiet (the summary goes to stderr)
"$bin" settle --policy "$pol" --persons "$per" --claims "$cla" >"$work/s4.csv" 2>"$work/err4.txt"
rc=$?
expect_rc "default output" 1
same_file "default output is stdout, summary not on it" "$exp" "$work/s4.csv"
if [ -s "$work/err4.txt" ]; then ok; else bad "no summary on stderr without --quiet"; fi
run settle --policy "$pol" --persons "$per" --claims "$cla" --out "$work/s5.csv" --quiet
if [ -s "$work/err.txt" ]; then bad "--quiet: something on stderr"; else ok; fi

# --opt=value everywhere
run settle --policy="$pol" --persons="$per" --claims="$cla" --out="$work/s6.csv" --alerts="$work/a6.csv" --quiet
expect_rc "--opt=value" 1
same_file "--opt=value: settlements" "$exp" "$work/s6.csv"
same_file "--opt=value: alerts" "$g/expected-alerts.csv" "$work/a6.csv"
if [ -s "$work/out.txt" ]; then bad "--out=FILE: something on stdout"; else ok; fi
run settle --claims="$cla" --out "$work/s7.csv" --persons "$per" --policy="$pol" --quiet
expect_rc "options in any order, both forms mixed" 1
same_file "options in any order, both forms mixed" "$exp" "$work/s7.csv"

# --alerts with no alert still has its header
printf 'claim_id,person_id,date,visit_type,level,medfee_sumamt\nQ-1,A1,2022-03-05,outpatient,primary,300\n' >"$work/c8.csv"
run settle --policy "$pol" --persons "$per" --claims "$work/c8.csv" --out "$work/s8.csv" --alerts "$work/a8.csv" --quiet
expect_rc "no alert" 0
printf '%s\n' "$AH" >"$work/ah.csv"
same_file "no alert: alerts file is its header" "$work/ah.csv" "$work/a8.csv"
# and without --alerts no alerts file appears
mkdir "$work/d9"
run settle --policy "$pol" --persons "$per" --claims "$work/c8.csv" --out "$work/d9/s.csv" --quiet
expect_rc "without --alerts" 0
ls "$work/d9" >"$work/d9.txt"
printf 's.csv\n' >"$work/d9-want.txt"
same_file "without --alerts: only the settlements written" "$work/d9-want.txt" "$work/d9.txt"

# --explain: amounts of A2-01 (docs/reference/settlement.md examples README) on stderr, stdout unchanged
"$bin" settle --policy "$pol" --persons "$per" --claims "$cla" --explain A2-01 --quiet \
  >"$work/s10.csv" 2>"$work/explain.txt"
rc=$?
expect_rc "--explain" 1
same_file "--explain: settlements unchanged on stdout" "$exp" "$work/s10.csv"
for a in A2-01 200000.00 2000.00 118800.00 49740.00 22022.00 190562.00 9438.00 8000.00 min_living; do
  contains "--explain A2-01 shows $a" "$work/explain.txt" "$a"
done
run settle --policy "$pol" --persons "$per" --claims "$cla" --out "$work/s11.csv" --explain=A1-R2 --quiet
expect_rc "--explain a reversal" 1
contains "--explain a reversal names it" "$work/err.txt" "A1-R2"
contains "--explain a reversal names the original" "$work/err.txt" "A1-02"
run settle --policy "$pol" --persons "$per" --claims "$cla" --out "$work/s12.csv" --explain NO-SUCH-CLAIM --quiet
expect_rc "--explain unknown id: exit status unchanged" 1
contains "--explain unknown id: says so" "$work/err.txt" "NO-SUCH-CLAIM"
same_file "--explain unknown id: output still written" "$exp" "$work/s12.csv"
run settle --policy "$pol" --persons "$per" --claims "$cla" --out "$work/s13.csv" --explain X-01 --quiet
contains "--explain a rejected id: says so" "$work/err.txt" "X-01"

# premiums: persons on stdin, output on stdout and with --out=
"$bin" premiums --policy "$pol" --persons - --as-of 2022-07-15 <"$per" >"$work/p1.csv" 2>"$work/err.txt"
rc=$?
expect_rc "premiums: persons on stdin" 0
same_file "premiums: persons on stdin" "$g/expected-premiums-2022-07-15.csv" "$work/p1.csv"
run premiums --policy="$pol" --persons="$per" --as-of=2022-07-15 --out="$work/p2.csv"
expect_rc "premiums: --opt=value" 0
same_file "premiums: --opt=value" "$g/expected-premiums-2022-07-15.csv" "$work/p2.csv"

# the policy is a file argument like any other: '-' reads it from standard
# input (docs/reference/formats.md §12), alone or beside other policies
"$bin" settle --policy - --persons "$per" --claims "$cla" --quiet <"$pol" >"$work/s14.csv" 2>"$work/err.txt"
rc=$?
expect_rc "settle: policy on stdin" 1
same_file "settle: policy on stdin" "$exp" "$work/s14.csv"
sed 's/"year": 2022/"year": 2021/' "$pol" >"$work/policy-2021.json"
"$bin" settle --policy "$work/policy-2021.json" --policy - --persons "$per" --claims "$cla" --quiet \
  <"$pol" >"$work/s15.csv" 2>"$work/err.txt"
rc=$?
expect_rc "settle: one policy on stdin, one from a file" 1
same_file "settle: one policy on stdin, one from a file" "$exp" "$work/s15.csv"
"$bin" premiums --policy - --persons "$per" --as-of 2022-07-15 <"$pol" >"$work/p3.csv" 2>"$work/err.txt"
rc=$?
expect_rc "premiums: policy on stdin" 0
same_file "premiums: policy on stdin" "$g/expected-premiums-2022-07-15.csv" "$work/p3.csv"
# a bad policy on stdin is named as standard input, with its JSON path
sed 's|sanbao-policy/1|sanbao-policy/2|' "$pol" >"$work/bad-policy.json"
"$bin" settle --policy - --persons "$per" --claims "$cla" --out "$work/s16.csv" --quiet \
  <"$work/bad-policy.json" >"$work/out.txt" 2>"$work/err.txt"
rc=$?
expect_rc "settle: bad policy on stdin" 2
contains "settle: bad policy on stdin: named" "$work/err.txt" "<stdin>: \$.schema"
absent "settle: bad policy on stdin: nothing written" "$work/s16.csv"
# still at most one input from standard input
run settle --policy - --persons - --claims "$cla" --quiet
expect_rc "settle: policy and persons both on stdin" 2

# quoting on output: ids holding a comma or a quote are quoted, quotes doubled
cat >"$work/qp.csv" <<'CSV'
person_id,household_id,region,category,valid_from,valid_to
"P,1","H""1",430111,general,,
CSV
cat >"$work/qc.csv" <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt
"C""1","P,1",2022-03-05,outpatient,primary,100
CSV
cat >"$work/qe.csv" <<'CSV'
claim_id,person_id,date,status,reason,category,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,inscp_scp_amt,act_pay_dedc,hifp_pay,hifmi_pay,maf_pay,fund_pay_sumamt,psn_part_amt,reassist_pay
"C""1","P,1",2022-03-05,settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,60.00,40.00,0.00
CSV
run settle --policy "$pol" --persons "$work/qp.csv" --claims "$work/qc.csv" --out - --quiet
expect_rc "quoted ids" 0
same_file "quoted ids" "$work/qe.csv" "$work/out.txt"

finish
