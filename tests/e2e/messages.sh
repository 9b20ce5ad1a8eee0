#!/bin/sh
# e2e: messages that used to mislead (the hardening issue, "messages that
# mislead"), each with the message it now gives:
#  - a JSON number above the largest amount is "above the largest amount",
#    not "at most two decimals", and is not quoted back as digits the file
#    never held;
#  - a policy year out of range gives the range;
#  - JSON's numbers -0 and -0.0 are zero, for amounts and ratios alike; the
#    strings "-0" and "-0.00" are refused for their sign, as any signed text;
#  - a policy or a reform patch starting with a UTF-8 byte order mark is read;
#  - a CSV whose lines end in CR alone is named as such (it used to load as
#    an empty file, or blame a column);
#  - an empty option value (--out=) names the option, and a write error on a
#    device (/dev/full) names the device, not "<stdout>";
#  - gen --out makes the directory with its parents, as demo --dir does;
#  - settle's summary rounds its percentage half up, as the demo does;
#  - a directory given with a trailing slash (--out dir/) names its files
#    dir/claims.csv, not dir//claims.csv (gen, db resettle).
# Usage: sh messages.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

g="$root/tests/golden/basics"
cp "$g/persons.csv" "$g/claims.csv" "$g/policy-2022.json" "$work/"
cd "$work" || exit 2

# settle_with POLICY: settle the basics with POLICY into o.csv
settle_with() {
  run settle --persons persons.csv --claims claims.csv --policy "$1" --out o.csv
}

# a policy with annual_cap replaced by the JSON text $1
cap() {
  sed "s/\"annual_cap\": \"150000\"/\"annual_cap\": $1/" policy-2022.json >p.json
}

# ---- amounts written as JSON numbers ---------------------------------------------
cap 1e308
settle_with p.json
expect_rc "1e308" 2
contains "1e308: above the maximum" err.txt '$.basic.annual_cap: is above the largest amount, 10000000000.00'
if grep -q 'decimals\|00000000000000000000' err.txt; then bad "1e308: quotes digits or blames decimals"; else ok; fi
cap 1e15
settle_with p.json
contains "1e15: above the maximum" err.txt 'is above the largest amount'
cap 123.456
settle_with p.json
contains "123.456: decimals" err.txt 'at most two decimals'
cap -1.5
settle_with p.json
contains "-1.5: negative" err.txt 'must not be negative'

# a number with more decimals than a double shows is refused, naming its place
# (it was read as the nearest double: 150000.10000000000000000001 as 150000.10)
cap 150000.10000000000000000001
settle_with p.json
expect_rc "150000.10000000000000000001" 2
contains "too many decimals: named with its path" err.txt \
  'p.json: $.basic.annual_cap: the number 150000.10000000000000000001 has more than four decimals'
cap 1.5e-5
settle_with p.json
contains "1.5e-5: six decimals" err.txt 'the number 1.5e-5 has more than four decimals'
cap 1.50000e5
settle_with p.json
expect_rc "1.50000e5 is 150000" 1
# a string of any length: leading zeros are digits like any others
cap '"0000000000000000000000000000000000000000000000000000000000000000150000"'
settle_with p.json
expect_rc "a 70-character amount string" 1

# ---- negative zero ------------------------------------------------------------------
# JSON's numbers -0 and -0.0 are the value zero, accepted; decimal text has
# no sign, so the strings "-0" and "-0.00" are refused like "-0.01" is.
cap 150000
settle_with p.json
cp o.csv plain.csv
for z in '-0' '-0.0' '"0.00"'; do
  sed "s/\"annual_deductible_cap\": \"3000\"/\"annual_deductible_cap\": $z/" policy-2022.json >z.json
  settle_with z.json
  expect_rc "annual_deductible_cap $z" 0 1
done
for z in '"-0.00"' '"-0"'; do
  sed "s/\"annual_deductible_cap\": \"3000\"/\"annual_deductible_cap\": $z/" policy-2022.json >z.json
  rm -f o.csv
  settle_with z.json
  expect_rc "annual_deductible_cap $z: refused" 2
  contains "annual_deductible_cap $z: names the key" err.txt '$.basic.inpatient.annual_deductible_cap: not an amount'
  if [ -e o.csv ]; then bad "annual_deductible_cap $z: an output was written"; else ok; fi
done
sed 's/"annual_deductible_cap": "3000"/"annual_deductible_cap": "-0.01"/' policy-2022.json >z.json
settle_with z.json
contains "-0.01 is negative" err.txt 'must not be negative: -0.01'
# a ratio: the number -0.0 is accepted, the string "-0" refused
sed 's/"ratio": "0.70"/"ratio": -0.0/' policy-2022.json >z.json
settle_with z.json
expect_rc "a ratio of -0.0" 0 1
sed 's/"ratio": "0.70"/"ratio": "-0"/' policy-2022.json >z.json
settle_with z.json
expect_rc "a ratio of \"-0\": refused" 2
# -0.0 and "0.00" settle alike
sed 's/"annual_deductible_cap": "3000"/"annual_deductible_cap": -0.0/' policy-2022.json >z.json
settle_with z.json
cp o.csv negzero.csv
sed 's/"annual_deductible_cap": "3000"/"annual_deductible_cap": "0.00"/' policy-2022.json >z.json
settle_with z.json
same_file "-0.0 settles as 0.00" o.csv negzero.csv

# ---- the policy year ----------------------------------------------------------------
sed 's/"year": 2022/"year": 10000/' policy-2022.json >y.json
settle_with y.json
contains "year 10000: the range" err.txt '$.year: 10000 is not a calendar year: from 1 to 9999'
sed 's/"year": 2022/"year": 2022.5/' policy-2022.json >y.json
settle_with y.json
contains "year 2022.5: whole number and range" err.txt 'must be a whole number: a calendar year from 1 to 9999'

# ---- a byte order mark --------------------------------------------------------------
printf '\357\273\277' >bom.json
cat policy-2022.json >>bom.json
settle_with bom.json
expect_rc "policy with a BOM" 1
same_file "policy with a BOM settles as without" plain.csv o.csv
printf '\357\273\277{"basic": {"annual_cap": "100000"}}\n' >patch.json
run simulate --persons persons.csv --claims claims.csv --policy policy-2022.json \
  --reform patch.json --csv sim.csv --report sim.html
expect_rc "reform patch with a BOM" 0
contains "reform patch with a BOM: hifp_pay line" sim.csv 'hifp_pay,all,'

# ---- CR-only line ends ------------------------------------------------------------
tr '\n' '\r' <persons.csv >pcr.csv
tr '\n' '\r' <claims.csv >ccr.csv
run settle --persons pcr.csv --claims claims.csv --policy policy-2022.json --out o2.csv
expect_rc "persons with CR line ends" 2
contains "persons with CR line ends: named" err.txt 'pcr.csv:1: the header line holds a carriage return: the lines of this file end in CR alone'
absent "persons with CR line ends: no output" o2.csv
run settle --persons persons.csv --claims ccr.csv --policy policy-2022.json --out o2.csv
expect_rc "claims with CR line ends" 2
contains "claims with CR line ends: named" err.txt 'ccr.csv:1: the header line holds a carriage return'
# CR LF is still read, and gives the same rows
sed 's/$/\r/' persons.csv >pcrlf.csv
sed 's/$/\r/' claims.csv >ccrlf.csv
run settle --persons pcrlf.csv --claims ccrlf.csv --policy policy-2022.json --out o2.csv
same_file "CR LF reads as LF" plain.csv o2.csv

# a CR at the very end of a file ends an empty line: no phantom row, no
# refused registry (it used to add ",,,rejected,MALFORMED_ROW" and refuse
# persons.csv for "1 fields")
cp persons.csv p-endcr.csv
printf '\r' >>p-endcr.csv
cp claims.csv c-endcr.csv
printf '\r' >>c-endcr.csv
run settle --persons p-endcr.csv --claims c-endcr.csv --policy policy-2022.json --out o3.csv
expect_rc "files ending in a lone CR" 1
same_file "files ending in a lone CR settle as without it" plain.csv o3.csv

# ---- option values and output names -------------------------------------------------
run settle --persons persons.csv --claims claims.csv --policy policy-2022.json --out=
expect_rc "--out= (empty)" 2
contains "--out= names the option" err.txt "option '--out' has an empty value"
run settle --persons persons.csv --claims claims.csv --policy policy-2022.json --out ""
contains "--out '' names the option" err.txt "option '--out' has an empty value"
if [ -w /dev/full ]; then
  run settle --persons persons.csv --claims claims.csv --policy policy-2022.json --out /dev/full
  expect_rc "--out /dev/full" 2
  contains "--out /dev/full names the device" err.txt '/dev/full: write error'
else
  skip "/dev/full is not writable here"
fi

# ---- gen --out makes its directory with the parents ---------------------------------
run gen --persons 20 --out deep/er/dir
expect_rc "gen --out deep/er/dir" 0
if [ -s deep/er/dir/persons.csv ] && [ -s deep/er/dir/claims.csv ]; then ok; else bad "gen: files missing in deep/er/dir"; fi
: >afile
run gen --persons 20 --out afile
expect_rc "gen --out onto a file" 2
contains "gen --out onto a file: said" err.txt 'afile: exists and is not a directory'

# ---- one rounding rule for percentages ----------------------------------------------
# 2/3 of the total: 66.666...% prints 66.67% (half up), not 66.66% (truncated)
cat >pp.csv <<'CSV'
person_id,household_id,region,category,valid_from,valid_to
P1,H1,430521,general,2022-01-01,
CSV
# the basics policy with primary inpatient care paid in full from the first yuan
sed 's/"primary":    { "deductible": "200",  "ratio": "0.90" }/"primary": { "deductible": "0", "ratio": "1" }/' \
  policy-2022.json >pol.json
cat >cc.csv <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses
C1,P1,2022-03-01,inpatient,primary,3.00,1.00,,,
CSV
run settle --persons pp.csv --claims cc.csv --policy pol.json --out oo.csv
expect_rc "percent run" 0
contains "settle rounds 2/3 half up" err.txt 'reimbursed 66.67% of total cost'

# ---- a quote never closed in a reference file -------------------------------------
# it takes the rest of the file into one field: named as bad quoting (and
# which field), not as a wrong field count
head -2 persons.csv >q.csv
sed -n 3p persons.csv | sed 's/,/,"/' >>q.csv
sed -n '4,$p' persons.csv >>q.csv
run premiums --policy policy-2022.json --persons q.csv --as-of 2022-01-01 --out pq.csv
expect_rc "a quote never closed in the registry" 2
contains "a quote never closed: named as such" err.txt 'q.csv:3: bad quoting in field 2'
if grep -q 'wrong field count' err.txt; then bad "a quote never closed: blamed on the field count"; else ok; fi

# ---- bad fee lines named in the summary -----------------------------------------
# the fee results say only "bad": the summary names the first lines, FILE:LINE,
# claim id, serial number and why
fb=$root/tests/golden/fees-bad
run settle --policy "$fb/policy-2022.json" --persons "$fb/persons.csv" --claims "$fb/claims.csv" \
  --catalog "$fb/catalog.csv" --fees "$fb/fees.csv" --out /dev/null
contains "the first bad fee line is named" err.txt "fees.csv:12  L-FEW  1  wrong field count"

# ---- a directory given with a trailing slash --------------------------------------
run gen --persons 20 --out slash///
expect_rc "gen --out slash///" 0
contains "gen --out slash///: the directory as written" err.txt ' in slash, '
run db init --db sl.db
run db add-policy --db sl.db policy-2022.json
run db import-persons --db sl.db --persons persons.csv
run db import-claims --db sl.db --claims claims.csv
run db resettle --db sl.db --year 2022 --out rs/
expect_rc "db resettle --out rs/" 0
contains "db resettle --out rs/: its files named" err.txt 'wrote rs/claims.csv and rs/persons.csv'
if grep -q 'rs//' err.txt; then bad "db resettle --out rs/: a double slash"; else ok; fi

finish
