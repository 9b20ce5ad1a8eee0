#!/bin/sh
# e2e: every rejection reason of docs/reference/settlement.md §8 through the binary, with the
# exact output row, the order in which reasons are tried, and what a rejection
# leaves (no accumulator change, a free claim id).
# Usage: sh rejections.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/policy.sh
. "$(dirname "$0")/lib/policy.sh"

: "$root" # every input of this script is written below

# A policy for 2022 only, with no 'default' region: only 4305xx counties have a
# critical-illness deductible.  Outpatient primary pays 60%.
plain_policy 2022 '"430500": { "ci_deductible": "11000" }' '' >"$work/policy.json"
cat >"$work/persons.csv" <<'CSV'
person_id,household_id,region,category,valid_from,valid_to
P1,H1,430521,general,2022-01-01,2022-12-31
P2,H2,430521,general,2022-01-01,
Q1,HQ,430111,general,,
CSV

x64=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
x65=${x64}x
# claims and, line by line, the expected output row
cat >"$work/claims.csv" <<CSV
claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses
S-1,P1,2022-03-01,outpatient,primary,100,,,,
S-2,P1,2022-03-02,outpatient,primary,100,,,,
$x64,P1,2022-03-02,outpatient,primary,100,,,,
M-count,P1,2022-03-01,outpatient,primary,100,,,
M-many,P1,2022-03-01,outpatient,primary,100,,,,,
M-q1,P1,2022-03-01,outpatient,pri"mary,100,,,,
"M-q2"x,P1,2022-03-01,outpatient,primary,100,,,,
M-d1,P1,2022/03/01,outpatient,primary,100,,,,
M-d2,P1,2022-02-29,outpatient,primary,100,,,,
M-d3,P1,2022-04-31,outpatient,primary,100,,,,
M-d4,P1,2022-3-01,outpatient,primary,100,,,,
M-d5,P1,,outpatient,primary,100,,,,
M-d6,Q1,0000-01-01,outpatient,primary,100,,,,
M-d7,Q1,1900-02-29,outpatient,primary,100,,,,
N-3,Q1,2000-02-29,outpatient,primary,100,,,,
,P1,2022-03-01,outpatient,primary,100,,,,
M-p,,2022-03-01,outpatient,primary,100,,,,
$x65,P1,2022-03-01,outpatient,primary,100,,,,
A-neg,P1,2022-03-03,outpatient,primary,-1,,,,
A-plus,P1,2022-03-03,outpatient,primary,+100,,,,
A-exp,P1,2022-03-03,outpatient,primary,1e2,,,,
A-dot,P1,2022-03-03,outpatient,primary,.5,,,,
A-dot2,P1,2022-03-03,outpatient,primary,5.,,,,
A-3dec,P1,2022-03-03,outpatient,primary,1.001,,,,
A-sp,P1,2022-03-03,outpatient,primary," 100",,,,
A-sep,P1,2022-03-03,outpatient,primary,"1,000",,,,
A-empty,P1,2022-03-03,outpatient,primary,,,,,
A-max,P1,2022-03-03,outpatient,primary,10000000000.01,,,,
A-sum,P1,2022-03-03,outpatient,primary,100,50,30,20.01,
A-fneg,P1,2022-03-03,outpatient,primary,100,-1,,,
A-ovl,P1,2022-03-03,outpatient,primary,100,,1x,,
V-1,P1,2022-03-04,dental,primary,100,,,,
V-2,P1,2022-03-04,Inpatient,primary,100,,,,
V-3,P1,2022-03-04,,primary,100,,,,
L-1,P1,2022-03-04,outpatient,clinic,100,,,,
L-2,P1,2022-03-04,outpatient,,100,,,,
U-1,NOBODY,2022-03-05,outpatient,primary,100,,,,
N-1,P1,2023-01-05,outpatient,primary,100,,,,
N-2,P2,2021-12-31,outpatient,primary,100,,,,
Y-1,P2,2023-02-01,outpatient,primary,100,,,,
R-1,Q1,2022-03-05,outpatient,primary,100,,,,
R-2,Q1,2022-03-05,inpatient,primary,100,,,,
S-1,P2,2022-03-06,outpatient,primary,100,,,,
X-1,P1,2022-03-07,,,,,,,NOPE
X-2,P1,2022-03-08,,,,,,,S-1
X-3,P1,2022-03-09,,,,,,,S-1
X-4,P1,2022-03-10,,,,,,,X-2
X-5,P2,2022-03-10,,,,,,,S-2
X-6,NOBODY,2022-03-10,,,,,,,S-2
PR-1,NOBODY,2022-03-11,dental,clinic,-5,,,,
PR-2,NOBODY,2022-03-11,dental,clinic,5,,,,
PR-3,NOBODY,2022-03-11,outpatient,clinic,5,,,,
PR-4,Q1,2023-01-01,outpatient,primary,5,,,,
S-1,NOBODY,2022-03-12,outpatient,primary,5,,,,
S-2,Q1,2022-03-12,outpatient,primary,5,,,,
X-7,P1,2022-03-12,dental,clinic,garbage,x,y,z,S-2
X-8,P1,2022-13-01,,,,,,,S-1
F-1,P1,2022-03-13,outpatient,clinic,100,,,,
F-1,P1,2022-03-14,outpatient,primary,100,,,,
D-R,P1,2022-03-15,,,,,,,F-1
D-R,P1,2022-03-16,,,,,,,$x64
X-9,P1,2022-03-17,,,,,,,A-neg
Z-9,P1,2022-03-20,outpatient,primary,10,,,,
A-R9,P1,2022-03-20,,,,,,,Z-9
T-1,P1,2022-03-21,outpatient,primary,"100
CSV
S='100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,60.00,40.00,0.00'
SN='-100.00,0.00,0.00,0.00,-100.00,0.00,-60.00,0.00,0.00,-60.00,-40.00,0.00'
cat >"$work/expected.csv" <<CSV
$H
S-1,P1,2022-03-01,settled,,general,$S
S-2,P1,2022-03-02,settled,,general,$S
$x64,P1,2022-03-02,settled,,general,$S
M-count,P1,2022-03-01,rejected,MALFORMED_ROW$E
M-many,P1,2022-03-01,rejected,MALFORMED_ROW$E
M-q1,P1,2022-03-01,rejected,MALFORMED_ROW$E
,P1,2022-03-01,rejected,MALFORMED_ROW$E
M-d1,P1,2022/03/01,rejected,MALFORMED_ROW$E
M-d2,P1,2022-02-29,rejected,MALFORMED_ROW$E
M-d3,P1,2022-04-31,rejected,MALFORMED_ROW$E
M-d4,P1,2022-3-01,rejected,MALFORMED_ROW$E
M-d5,P1,,rejected,MALFORMED_ROW$E
M-d6,Q1,0000-01-01,rejected,MALFORMED_ROW$E
M-d7,Q1,1900-02-29,rejected,MALFORMED_ROW$E
N-3,Q1,2000-02-29,rejected,NO_POLICY$E
,P1,2022-03-01,rejected,MALFORMED_ROW$E
M-p,,2022-03-01,rejected,MALFORMED_ROW$E
$x65,P1,2022-03-01,rejected,MALFORMED_ROW$E
A-neg,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-plus,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-exp,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-dot,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-dot2,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-3dec,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-sp,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-sep,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-empty,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-max,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-sum,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-fneg,P1,2022-03-03,rejected,BAD_AMOUNT$E
A-ovl,P1,2022-03-03,rejected,BAD_AMOUNT$E
V-1,P1,2022-03-04,rejected,BAD_VISIT_TYPE$E
V-2,P1,2022-03-04,rejected,BAD_VISIT_TYPE$E
V-3,P1,2022-03-04,rejected,BAD_VISIT_TYPE$E
L-1,P1,2022-03-04,rejected,BAD_LEVEL$E
L-2,P1,2022-03-04,rejected,BAD_LEVEL$E
U-1,NOBODY,2022-03-05,rejected,UNKNOWN_PERSON$E
N-1,P1,2023-01-05,rejected,NOT_INSURED$E
N-2,P2,2021-12-31,rejected,NOT_INSURED$E
Y-1,P2,2023-02-01,rejected,NO_POLICY$E
R-1,Q1,2022-03-05,rejected,UNKNOWN_REGION$E
R-2,Q1,2022-03-05,rejected,UNKNOWN_REGION$E
S-1,P2,2022-03-06,rejected,DUPLICATE_CLAIM$E
X-1,P1,2022-03-07,rejected,UNKNOWN_CLAIM$E
X-2,P1,2022-03-08,reversed,,general,$SN
X-3,P1,2022-03-09,rejected,ALREADY_REVERSED$E
X-4,P1,2022-03-10,rejected,UNKNOWN_CLAIM$E
X-5,P2,2022-03-10,rejected,PERSON_MISMATCH$E
X-6,NOBODY,2022-03-10,rejected,PERSON_MISMATCH$E
PR-1,NOBODY,2022-03-11,rejected,BAD_AMOUNT$E
PR-2,NOBODY,2022-03-11,rejected,BAD_VISIT_TYPE$E
PR-3,NOBODY,2022-03-11,rejected,BAD_LEVEL$E
PR-4,Q1,2023-01-01,rejected,NO_POLICY$E
S-1,NOBODY,2022-03-12,rejected,UNKNOWN_PERSON$E
S-2,Q1,2022-03-12,rejected,UNKNOWN_REGION$E
X-7,P1,2022-03-12,reversed,,general,$SN
X-8,P1,2022-13-01,rejected,MALFORMED_ROW$E
F-1,P1,2022-03-13,rejected,BAD_LEVEL$E
F-1,P1,2022-03-14,settled,,general,$S
D-R,P1,2022-03-15,reversed,,general,$SN
D-R,P1,2022-03-16,rejected,DUPLICATE_CLAIM$E
X-9,P1,2022-03-17,rejected,UNKNOWN_CLAIM$E
Z-9,P1,2022-03-20,settled,,general,10.00,0.00,0.00,0.00,10.00,0.00,6.00,0.00,0.00,6.00,4.00,0.00
A-R9,P1,2022-03-20,rejected,UNKNOWN_CLAIM$E
T-1,P1,2022-03-21,rejected,MALFORMED_ROW$E
CSV

run settle --policy "$work/policy.json" --persons "$work/persons.csv" --claims "$work/claims.csv" \
  --out "$work/out.csv" --quiet
expect_rc "rejections: exit status" 1
same_lines "rejections" "$work/expected.csv" "$work/out.csv"

# every reason of docs/reference/settlement.md §8 appears
for r in MALFORMED_ROW BAD_AMOUNT BAD_VISIT_TYPE BAD_LEVEL UNKNOWN_PERSON NOT_INSURED NO_POLICY \
  UNKNOWN_REGION DUPLICATE_CLAIM UNKNOWN_CLAIM ALREADY_REVERSED PERSON_MISMATCH; do
  contains "reason $r produced" "$work/out.csv" ",rejected,$r,"
done

# The largest valid amount is settled; a rejection changes no accumulator: the
# same run without its rejected rows gives the same settled rows.
grep -v ',rejected,' "$work/expected.csv" >"$work/expected-clean.csv"
{
  head -n 1 "$work/claims.csv"
  printf 'S-1,P1,2022-03-01,outpatient,primary,100,,,,\nS-2,P1,2022-03-02,outpatient,primary,100,,,,\n'
  printf '%s,P1,2022-03-02,outpatient,primary,100,,,,\n' "$x64"
  printf 'X-2,P1,2022-03-08,,,,,,,S-1\nX-7,P1,2022-03-12,,,,,,,S-2\nF-1,P1,2022-03-14,outpatient,primary,100,,,,\n'
  printf 'D-R,P1,2022-03-15,,,,,,,F-1\nZ-9,P1,2022-03-20,outpatient,primary,10,,,,\n'
} >"$work/claims-clean.csv"
run settle --policy "$work/policy.json" --persons "$work/persons.csv" --claims "$work/claims-clean.csv" \
  --out "$work/out-clean.csv" --quiet
expect_rc "rejections removed: exit status" 0
same_file "rejections removed: same settled rows" "$work/expected-clean.csv" "$work/out-clean.csv"

# Amount edge: 10000000000.00 is valid, inpatient in 4305xx (T 11000)
cat >"$work/big.csv" <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt
B-1,P2,2022-05-01,outpatient,primary,10000000000.00,9999999999.99,0.01,0
B-2,P2,2022-05-02,outpatient,primary,007,0.07,00.5,0
CSV
cat >"$work/big-expected.csv" <<CSV
$H
B-1,P2,2022-05-01,settled,,general,10000000000.00,9999999999.99,0.01,0.00,0.00,0.00,0.00,0.00,0.00,0.00,10000000000.00,0.00
B-2,P2,2022-05-02,settled,,general,7.00,0.07,0.50,0.00,6.43,0.00,3.86,0.00,0.00,3.86,3.14,0.00
CSV
run settle --policy "$work/policy.json" --persons "$work/persons.csv" --claims "$work/big.csv" \
  --out "$work/big-out.csv" --quiet
expect_rc "amount edges: exit status" 0
same_lines "amount edges" "$work/big-expected.csv" "$work/big-out.csv"

finish
