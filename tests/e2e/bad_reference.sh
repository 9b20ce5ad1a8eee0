#!/bin/sh
# e2e: invalid reference data (policy files, the person registry) and bad claims
# headers stop the run with exit 2, a message naming the file and the JSON path
# or line, and nothing written (docs/reference/settlement.md §8, docs/reference/formats.md §1, §2, §7).
# Usage: sh bad_reference.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

g=$root/tests/golden/basics
pol=$g/policy-2022.json
per=$g/persons.csv
cla=$g/claims.csv

# Each case runs settle with an existing --out and --alerts in a fresh
# directory and checks: exit 2, the message, both files unchanged, no temp file.
n=0
setup() {
  n=$((n + 1)); d=$work/c$n; mkdir "$d"
  printf 'previous settlements\n' >"$d/out.csv"; cp "$d/out.csv" "$d/out.orig"
  printf 'previous alerts\n' >"$d/alerts.csv"; cp "$d/alerts.csv" "$d/alerts.orig"
}
settle2() { # NAME POLICY PERSONS CLAIMS [more policy files...]
  name=$1; p=$2; pe=$3; c=$4; shift 4
  more=""
  for m in "$@"; do more="$more --policy $m"; done
  # shellcheck disable=SC2086
  run settle --policy "$p" $more --persons "$pe" --claims "$c" --out "$d/out.csv" --alerts "$d/alerts.csv"
  expect_rc "$name" 2
  same_file "$name: --out untouched" "$d/out.orig" "$d/out.csv"
  same_file "$name: --alerts untouched" "$d/alerts.orig" "$d/alerts.csv"
  no_tmp "$name" "$d"
}

# ---- policy files: the message names the file and the JSON path -----------
# bad_policy NAME JSON_PATH SED_EXPRESSION: the basics policy edited by sed
bad_policy() {
  setup
  sed "$3" "$pol" >"$d/policy-bad.json"
  if cmp -s "$pol" "$d/policy-bad.json"; then bad "$1: the edit did not apply"; fi
  settle2 "policy: $1" "$d/policy-bad.json" "$per" "$cla"
  contains "policy: $1: names the file" "$work/err.txt" "policy-bad.json"
  contains "policy: $1: names the path" "$work/err.txt" "$2"
}
bad_policy "ratio above 1" '$.basic.inpatient.levels.grade3.ratio' \
  's/"grade3":     { "deductible": "1200", "ratio": "0.60" }/"grade3":     { "deductible": "1200", "ratio": "1.60" }/'
bad_policy "ratio with five decimals" '$.basic.inpatient.repeat_deductible_factor' \
  's/"repeat_deductible_factor": "0.50"/"repeat_deductible_factor": "0.50001"/'
bad_policy "amount with three decimals" '$.basic.annual_cap' \
  's/"annual_cap": "150000"/"annual_cap": "150000.001"/'
bad_policy "negative amount" '$.regions.430500.ci_deductible' \
  's/"430500":  { "ci_deductible": "11000" }/"430500":  { "ci_deductible": "-11000" }/'
bad_policy "JSON number with three decimals" '$.regions.default.ci_deductible' \
  's/"ci_deductible": "16000"/"ci_deductible": 16000.005/'
bad_policy "wrong schema" '$.schema' 's/sanbao-policy\/1/sanbao-policy\/2/'
bad_policy "year not an integer" '$.year' 's/"year": 2022/"year": "2022"/'
bad_policy "bad region key" '$.regions.43050' 's/"430500":  {/"43050":  {/'
bad_policy "segments not increasing" '$.critical_illness.segments[2].upto' \
  's/{ "upto": "150000", "ratio": "0.75" }/{ "upto": "70000", "ratio": "0.75" }/'
bad_policy "last segment not open" '$.critical_illness.segments[3].upto' \
  's/{ "upto": null,     "ratio": "0.85" }/{ "upto": "900000", "ratio": "0.85" }/'
bad_policy "null where not allowed" '$.basic.chronic.ratio' \
  's/"chronic":    { "ratio": "0.70"/"chronic":    { "ratio": null/'
bad_policy "a level missing" '$.basic.inpatient.levels.grade1' \
  '/"grade1":     { "deductible": "500",  "ratio": "0.80" },/d'
bad_policy "unknown key" '$.basic.inpatient.levels.grade2.ratoi' \
  's/"grade2":     { "deductible": "800",  "ratio": "0.75" }/"grade2":     { "deductible": "800",  "ratio": "0.75", "ratoi": "0.75" }/'
# "assumed" was sanbao's own key before the marks moved into the note
# (formats.md §7, "Assumed values"): now an unknown key like any other
bad_policy "an \"assumed\" key" '$.basic.chronic.assumed' \
  's/"chronic":    { "ratio": "0.70"/"chronic":    { "assumed": ["ratio"], "ratio": "0.70"/'
bad_policy "unknown category" '$.critical_illness.tilted.categories[3]' \
  's/"categories": \["destitute", "min_living", "relapsed"\]/"categories": ["destitute", "min_living", "relapsed", "wealthy"]/'
bad_policy "unknown visit type" '$.assistance.visit_types[2]' \
  '/"assistance"/,/visit_types/ s/"visit_types": \["inpatient", "chronic"\]/"visit_types": ["inpatient", "chronic", "dental"]/'
bad_policy "repeated monitoring rule name" '$.monitoring.rules[1].name' \
  's/"name": "rural-full-income"/"name": "lifted-half-rural-income"/'
bad_policy "a required key missing" '$.premium' '/"premium":/d'

# invalid JSON: FILE:LINE:COL
setup
printf '{\n  "schema": "sanbao-policy/1",\n  "year": 2022,,\n}\n' >"$d/policy-syntax.json"
settle2 "policy: invalid JSON" "$d/policy-syntax.json" "$per" "$cla"
contains "policy: invalid JSON: FILE:LINE:COL" "$work/err.txt" "policy-syntax.json:3:16"

setup
printf '{ "schema": "sanbao-policy/1",\n  "schema": "sanbao-policy/1" }\n' >"$d/policy-dupkey.json"
settle2 "policy: repeated key" "$d/policy-dupkey.json" "$per" "$cla"
contains "policy: repeated key: FILE:LINE" "$work/err.txt" "policy-dupkey.json:2:"

setup
: >"$d/policy-empty.json"
settle2 "policy: empty file" "$d/policy-empty.json" "$per" "$cla"
contains "policy: empty file: names it" "$work/err.txt" "policy-empty.json"

# two policies for the same year (the same content under another name)
setup
cp "$pol" "$d/policy-again.json"
settle2 "policy: two for one year" "$pol" "$per" "$cla" "$d/policy-again.json"
contains "policy: two for one year: names the second file" "$work/err.txt" "policy-again.json"
contains "policy: two for one year: names the year" "$work/err.txt" "2022"

# ---- person registry: every bad line reported as FILE:LINE with the field -----
setup
cat >"$d/persons-bad.csv" <<'CSV'
person_id,household_id,region,category,valid_from,valid_to
P1,H1,430111,general,,
P2,H2,43011,general,,
P3,H3,430111,wizard,,
P4,H4,430111,general,2022-02-30,
P5,H5,430111,general,,
CSV
settle2 "registry: three bad lines" "$pol" "$d/persons-bad.csv" "$cla"
contains "registry: line 3 (region)" "$work/err.txt" "persons-bad.csv:3"
contains "registry: line 3 names region" "$work/err.txt" "region"
contains "registry: line 4 (category)" "$work/err.txt" "persons-bad.csv:4"
contains "registry: line 4 names category" "$work/err.txt" "category"
contains "registry: line 5 (valid_from)" "$work/err.txt" "persons-bad.csv:5"
contains "registry: line 5 names valid_from" "$work/err.txt" "valid_from"
cnt=$(grep -c 'persons-bad\.csv:[0-9]' "$work/err.txt")
if [ "$cnt" -eq 3 ]; then ok; else bad "registry: $cnt FILE:LINE messages, expected 3"; fi
if grep -q 'persons-bad\.csv:2[^0-9]' "$work/err.txt"; then bad "registry: good line 2 reported"; else ok; fi

setup
cat >"$d/persons-bad2.csv" <<'CSV'
person_id,household_id,region,category,valid_from,valid_to
P1,H1,430111,general,2022-01-01,2022-06-30
P1,H1,430111,min_living,2022-06-30,
P2,H2,430111,general,2022-05-01,2022-04-30
P3,H3,430111,general,,2021-12-31
P3,H4,430111,general,2022-01-01,
P4,H4,430111,general,,2021-12-31
P4,H4,430112,general,2022-01-01,
,H5,430111,general,,
P6,,430111,general,,
P7,H7,4301a1,general,,
CSV
settle2 "registry: more bad lines" "$pol" "$d/persons-bad2.csv" "$cla"
for l in 3 4 6 8 9 10 11; do
  if grep -q "persons-bad2\.csv:${l}[^0-9]" "$work/err.txt"; then ok; else
    bad "registry: line $l not reported"; sed 's/^/    /' "$work/err.txt"
  fi
done
contains "registry: valid_from after valid_to names the field" "$work/err.txt" "valid_"
contains "registry: household mismatch names the field" "$work/err.txt" "household_id"

setup
printf 'person_id,household_id,region,valid_from\nP1,H1,430111,\n' >"$d/persons-nocat.csv"
settle2 "registry: missing column" "$pol" "$d/persons-nocat.csv" "$cla"
contains "registry: missing column named" "$work/err.txt" "category"
contains "registry: missing column: names the file" "$work/err.txt" "persons-nocat.csv"

setup
printf 'person_id,household_id,region,category,region\nP1,H1,430111,general,430111\n' >"$d/persons-dupcol.csv"
settle2 "registry: repeated column" "$pol" "$d/persons-dupcol.csv" "$cla"
contains "registry: repeated column named" "$work/err.txt" "region"

# ---- claims header: a missing or repeated required column --------------------
for col in claim_id person_id date visit_type level medfee_sumamt; do
  setup
  head -n 1 "$cla" | tr ',' '\n' | grep -v "^$col\$" | paste -s -d, - >"$d/claims-no-$col.csv"
  settle2 "claims: missing column $col" "$pol" "$per" "$d/claims-no-$col.csv"
  contains "claims: missing column $col named" "$work/err.txt" "'$col'"
done
for col in claim_id level reverses fulamt_ownpay_amt; do
  setup
  printf '%s,%s\n' "$(head -n 1 "$cla")" "$col" >"$d/claims-dup-$col.csv"
  tail -n +2 "$cla" | sed 's/$/,x/' >>"$d/claims-dup-$col.csv"
  settle2 "claims: repeated column $col" "$pol" "$per" "$d/claims-dup-$col.csv"
  contains "claims: repeated column $col named" "$work/err.txt" "'$col'"
done

setup
printf 'claim_id,person_id,date,visit_type,"level,medfee_sumamt\n' >"$d/claims-badhdr.csv"
settle2 "claims: header badly quoted" "$pol" "$per" "$d/claims-badhdr.csv"

finish
