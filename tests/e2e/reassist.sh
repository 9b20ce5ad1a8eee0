#!/bin/sh
# e2e: re-assistance (再救助 / 倾斜救助, docs/reference/settlement.md §10) in
# the batch and in the ledger.
#  1. the property of issue 11: for a person whose category does not change
#     and who has no reversal, the claim-time payments of a year add up to the
#     year-end payment under the same figures;
#  2. `db reassist` lists what `settle --reassistance` pays, with the same
#     entitlement for every person;
#  3. `db reassist --commit` records the payments: run again it pays nothing
#     twice; a later reversal makes it recover (a negative amount, 追回); late
#     claims make it pay only the difference; the listing without --commit
#     changes nothing;
#  4. a year whose policy pays no re-assistance after the year is refused.
# Usage: sh reassist.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
policy=$root/policies/hunan-2022.json

# The default policy pays re-assistance after the year; the same figures paid
# at settlement are the same file with timing "claim".
sed 's/"timing": "year_end"/"timing": "claim"/' "$policy" >"$work/claim.json"
if grep -q '"timing": "claim"' "$work/claim.json"; then ok; else bad "could not make the claim-timing policy"; fi

"$bin" gen --persons 4000 --seed 7 --out "$work/g" >/dev/null 2>&1
g=$work/g
run settle --policy "$work/claim.json" --persons "$g/persons.csv" --claims "$g/claims.csv" \
  --out "$work/claim.csv" --quiet
expect_rc "settle, timing claim" 0 1
run settle --policy "$policy" --persons "$g/persons.csv" --claims "$g/claims.csv" \
  --out "$work/ye.csv" --reassistance "$work/ye-ra.csv" --quiet
expect_rc "settle, timing year_end" 0 1

# 1. per person: the sum of reassist_pay at settlement (fen, net of
# reversals), whether the person has a reversal, how many categories
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["status"] == "rejected" { next }
  { p = $c["person_id"]; v = $c["reassist_pay"]; sub(/\./, "", v); sum[p] += v
    if ($c["status"] == "reversed") rev[p] = 1
    if (!((p, $c["category"]) in seen)) { seen[p, $c["category"]] = 1; ncat[p]++ } }
  END { for (p in sum) print p, sum[p], (p in rev) ? 1 : 0, ncat[p] }' "$work/claim.csv" |
  sort >"$work/claim-sums.txt"
awk -F, 'NR > 1 { v = $8; sub(/\./, "", v); print $1, v }' "$work/ye-ra.csv" | sort >"$work/ye-sums.txt"
n_ye=$(wc -l <"$work/ye-sums.txt")
if [ "$n_ye" -gt 10 ]; then ok; else bad "too few persons paid after the year to test ($n_ye)"; fi
# every plain person (one category, no reversal) is paid the same either way
join -a 1 -a 2 -e 0 -o 0,1.2,1.3,1.4,2.2 "$work/claim-sums.txt" "$work/ye-sums.txt" |
  awk '$3 == 0 && $4 <= 1 && $2 != $5 { print "    " $0; bad++ } $3 == 0 && $4 <= 1 { n++ }
       END { print n + 0, bad + 0 }' >"$work/prop.txt"
checked=$(tail -1 "$work/prop.txt" | cut -d' ' -f1)
differ=$(tail -1 "$work/prop.txt" | cut -d' ' -f2)
if [ "$differ" -eq 0 ] && [ "$checked" -gt 100 ]; then ok; else
  bad "claim-time payments differ from the year-end payment for $differ of $checked plain persons"
  head -5 "$work/prop.txt"
fi
# and the fund totals differ by exactly what the year-end file pays
tot_claim=$(awk '{ s += $2 } END { print s + 0 }' "$work/claim-sums.txt")
if [ "$tot_claim" -gt 0 ]; then ok; else bad "the claim-timing run paid no re-assistance"; fi

# 2. the ledger lists the same entitlements
db=$work/l.db
"$bin" db init --db "$db" 2>/dev/null
"$bin" db add-policy --db "$db" "$policy" 2>/dev/null
"$bin" db import-persons --db "$db" --persons "$g/persons.csv" 2>/dev/null
"$bin" db import-claims --db "$db" --claims "$g/claims.csv" --quiet 2>/dev/null
run db reassist --db "$db" --year 2022 --out "$work/l1.csv"
expect_rc "db reassist" 0
awk -F, 'NR > 1 && $8 != "0.00" { print $1 "," $3 "," $4 "," $8 }' "$work/l1.csv" >"$work/l1-ent.txt"
awk -F, 'NR > 1 { print $1 "," $3 "," $4 "," $8 }' "$work/ye-ra.csv" >"$work/ye-ent.txt"
same_file "db reassist entitlements = settle --reassistance" "$work/ye-ent.txt" "$work/l1-ent.txt"
# not recorded: the same listing again
run db reassist --db "$db" --year 2022 --out "$work/l2.csv"
same_file "a listing without --commit records nothing" "$work/l1.csv" "$work/l2.csv"

# 3. commit, then nothing twice
run db reassist --db "$db" --year 2022 --out "$work/c1.csv" --commit
expect_rc "db reassist --commit" 0
same_file "the committed run pays what the listing said" "$work/l1.csv" "$work/c1.csv"
run db reassist --db "$db" --year 2022 --out "$work/c2.csv" --commit
awk -F, 'NR > 1 && $10 != "0.00"' "$work/c2.csv" >"$work/c2-pay.txt"
if [ ! -s "$work/c2-pay.txt" ]; then ok; else bad "a second run pays again:"; head -3 "$work/c2-pay.txt"; fi
awk -F, 'NR > 1 && $9 != $8' "$work/c2.csv" >"$work/c2-diff.txt"
if [ ! -s "$work/c2-diff.txt" ]; then ok; else bad "paid before differs from the entitlement after a run"; fi

# a reversal of one paid person's claim lowers the entitlement: recover
who=$(awk -F, 'NR > 1 { print $1; exit }' "$work/c1.csv")
claim=$(awk -F, -v p="$who" '$2 == p && $4 == "settled" && $1 !~ /^R/ { c = $1 } END { print c }' \
  "$work/ye.csv")
printf 'claim_id,person_id,date,visit_type,level,medfee_sumamt,reverses\nRV-%s,%s,2022-12-31,,,,%s\n' \
  "$claim" "$who" "$claim" >"$work/rev.csv"
run db import-claims --db "$db" --claims "$work/rev.csv" --quiet
expect_rc "import the reversal" 0
run db reassist --db "$db" --year 2022 --out "$work/c3.csv" --commit
line=$(awk -F, -v p="$who" '$1 == p' "$work/c3.csv")
pay=$(echo "$line" | cut -d, -f10)
case $pay in
-*) ok ;;
0.00) # the reversed claim may not have counted for re-assistance: then nothing changes
  if awk -F, -v p="$who" '$1 == p' "$work/c2.csv" | grep -q .; then ok; else bad "the person vanished"; fi ;;
*) bad "after a reversal the run pays $pay to $who instead of recovering" ;;
esac
ent=$(echo "$line" | cut -d, -f8)
before=$(echo "$line" | cut -d, -f9)
# reassist_pay = entitlement - paid before, to the fen
calc=$(echo "$ent $before" | awk '{ e = $1; b = $2; sub(/\./, "", e); sub(/\./, "", b); d = e - b
  s = d < 0 ? "-" : ""; if (d < 0) d = -d; printf "%s%d.%02d", s, int(d / 100), d % 100 }')
same_text "reassist_pay = entitlement - paid before" "$calc" "$pay"
run db reassist --db "$db" --year 2022 --out "$work/c4.csv" --commit
awk -F, 'NR > 1 && $10 != "0.00"' "$work/c4.csv" >"$work/c4-pay.txt"
if [ ! -s "$work/c4-pay.txt" ]; then ok; else bad "after the recovery a run moves money again"; fi
run db balance --db "$db" --person "$who" --year 2022
if grep -q "再救助支付" "$work/out.txt"; then ok; else bad "db balance does not show re-assistance paid"; fi

# the payments are append-only in the ledger file itself
if [ "$have_db_sql" -eq 1 ]; then
  n0=$(db_sql "$db" "SELECT count(*) || ' ' || sum(amount) FROM reassist_payments")
  db_sql "$db" "UPDATE reassist_payments SET amount = 0" >/dev/null 2>&1
  db_sql "$db" "DELETE FROM reassist_payments" >/dev/null 2>&1
  same_text "reassist_payments refuse UPDATE and DELETE" "$n0" \
    "$(db_sql "$db" "SELECT count(*) || ' ' || sum(amount) FROM reassist_payments")"
else
  skip "append-only check of reassist_payments (no sqlite3 shell)"
fi

# 4. refusals: a year without a policy, a year paying at settlement
run db reassist --db "$db" --year 2021
expect_rc "db reassist for a year without a policy" 2
db2=$work/l2.db
"$bin" db init --db "$db2" 2>/dev/null
"$bin" db add-policy --db "$db2" "$work/claim.json" 2>/dev/null
run db reassist --db "$db2" --year 2022
expect_rc "db reassist under a claim-timing policy" 2
if grep -q "at settlement" "$work/err.txt"; then ok; else bad "the refusal does not say why"; fi

finish
