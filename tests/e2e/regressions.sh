#!/bin/sh
# Regressions found in review, each checked through the binary:
#  1. two outputs naming one file are a usage error (the second would have
#     replaced the first), by the same name or by another spelling of a
#     file not yet there ("x.csv" and "./x.csv", "d/../x.csv");
#  2. a ledger person with claims in nine policy years, and a reversal of the
#     oldest: that year's stored accumulators return to zero (an evicted year
#     used to be reloaded and counted twice);
#  3. a claim rejected for want of a policy settles when the same file is
#     imported again after the policy was added; an unchanged file changes
#     nothing.
# Usage: regressions.sh SANBAO PROJECT_ROOT
# The ledger checks run against PostgreSQL too (SANBAO_STORE=pg, lib/store.sh).
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
tmp=$work
g=$root/tests/golden/basics

# 1
"$bin" settle --policy "$g/policy-2022.json" --persons "$g/persons.csv" --claims "$g/claims.csv" \
  --out "$tmp/x.csv" --alerts "$tmp/x.csv" 2>"$tmp/err"
[ $? -eq 2 ] && ok || bad "same --out and --alerts: want exit 2"
grep -q "same file" "$tmp/err" && ok || bad "same --out and --alerts: message: $(cat "$tmp/err")"
[ ! -e "$tmp/x.csv" ] && ok || bad "same --out and --alerts: a file was written"
# another spelling of the same file, which is not there yet
mkdir -p "$tmp/d"
# same_out NAME ARGS...: a usage error naming both spellings, no file written
same_out() {
  _name=$1
  shift
  rm -rf "$tmp/x.csv" "$tmp/x.html" "$tmp/g"
  "$bin" "$@" >/dev/null 2>"$tmp/err"
  [ $? -eq 2 ] && ok || bad "$_name: want exit 2: $(cat "$tmp/err")"
  grep -q "two outputs name the same file" "$tmp/err" && ok || bad "$_name: message: $(cat "$tmp/err")"
  [ ! -e "$tmp/x.csv" ] && [ ! -e "$tmp/x.html" ] && ok || bad "$_name: a file was written"
}
same_out "settle --out x.csv --alerts ./x.csv" settle --policy "$g/policy-2022.json" \
  --persons "$g/persons.csv" --claims "$g/claims.csv" --out "$tmp/x.csv" --alerts "$tmp/./x.csv"
same_out "settle --out x.csv --fee-results d/../x.csv" settle --policy "$g/policy-2022.json" \
  --persons "$g/persons.csv" --claims "$g/claims.csv" --out "$tmp/x.csv" \
  --fee-results "$tmp/d/../x.csv" --catalog "$root/tests/golden/fees/catalog.csv" \
  --fees "$root/tests/golden/fees/fees.csv"
echo '{"critical_illness": {"annual_cap": "300000"}}' >"$tmp/reform.json"
same_out "simulate --report x.html --csv ./x.html" simulate --policy "$g/policy-2022.json" \
  --reform "$tmp/reform.json" --persons "$g/persons.csv" --claims "$g/claims.csv" \
  --report "$tmp/x.html" --csv "$tmp/./x.html"
same_out "gen --out g --pack g/./persons.csv" gen --persons 10 --out "$tmp/g" \
  --pack "$tmp/g/./persons.csv"

# 2
db=$tmp/years.db
"$bin" db init --db "$db" 2>/dev/null
for y in 2015 2016 2017 2018 2019 2020 2021 2022 2023; do
  sed "s/\"year\": 2022/\"year\": $y/" "$g/policy-2022.json" > "$tmp/p$y.json"
  "$bin" db add-policy --db "$db" "$tmp/p$y.json" 2>/dev/null || bad "add-policy $y"
done
printf 'person_id,household_id,region,category\nP,H,430521,general\n' > "$tmp/persons.csv"
"$bin" db import-persons --db "$db" --persons "$tmp/persons.csv" 2>/dev/null || bad "import-persons"
{
  echo "claim_id,person_id,date,visit_type,level,medfee_sumamt,reverses"
  for y in 2015 2016 2017 2018 2019 2020 2021 2022 2023; do
    echo "C$y,P,$y-03-01,inpatient,grade2,20000,"
  done
  echo "R1,P,2023-12-31,,,,C2015"
} > "$tmp/claims.csv"
"$bin" db import-claims --db "$db" --claims "$tmp/claims.csv" --quiet
[ $? -eq 0 ] && ok || bad "nine-year import: want exit 0"
"$bin" db balance --db "$db" --person P --year 2015 > "$tmp/b2015" 2>&1
for what in "inpatient stays" "basic fund paid" "personal burden"; do
  line=$(grep "^$what" "$tmp/b2015")
  case "$line" in
  *" 0" | *" 0.00") ok ;;
  *) bad "2015 after reversing its only claim: '$line' (want zero)" ;;
  esac
done
"$bin" db balance --db "$db" --person P --year 2016 > "$tmp/b2016" 2>&1
grep -q "^inpatient stays .* 1$" "$tmp/b2016" && ok || bad "2016 untouched: $(grep '^inpatient' "$tmp/b2016")"

# 3
db=$tmp/retry.db
"$bin" db init --db "$db" 2>/dev/null
"$bin" db add-policy --db "$db" "$g/policy-2022.json" 2>/dev/null
"$bin" db import-persons --db "$db" --persons "$g/persons.csv" 2>/dev/null
printf 'claim_id,person_id,date,visit_type,level,medfee_sumamt\nE1,A4,2023-01-05,inpatient,grade1,1000\nE2,A4,2022-07-01,inpatient,grade1,1000\n' > "$tmp/c.csv"
"$bin" db import-claims --db "$db" --claims "$tmp/c.csv" --quiet
[ $? -eq 1 ] && ok || bad "first import: E1 NO_POLICY, want exit 1"
"$bin" db import-claims --db "$db" --claims "$tmp/c.csv" --quiet
[ $? -eq 0 ] && ok || bad "unchanged re-import: want exit 0"
[ "$("$bin" db export-settlements --db "$db" | wc -l)" -eq 3 ] && ok || bad "unchanged re-import added rows"
sed 's/"year": 2022/"year": 2023/' "$g/policy-2022.json" > "$tmp/p23.json"
"$bin" db add-policy --db "$db" "$tmp/p23.json" 2>/dev/null
"$bin" db import-claims --db "$db" --claims "$tmp/c.csv" --quiet
[ $? -eq 0 ] && ok || bad "re-import after the policy: want exit 0"
"$bin" db export-settlements --db "$db" > "$tmp/out.csv"
[ "$(wc -l < "$tmp/out.csv")" -eq 4 ] && ok || bad "re-import after the policy: want 3 rows"
tail -1 "$tmp/out.csv" | grep -q '^E1,A4,2023-01-05,settled,' && ok || bad "E1 not settled: $(tail -1 "$tmp/out.csv")"
"$bin" db import-claims --db "$db" --claims "$tmp/c.csv" --quiet
[ "$("$bin" db export-settlements --db "$db" | wc -l)" -eq 4 ] && ok || bad "third import added rows"

finish
