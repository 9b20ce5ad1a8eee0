#!/bin/sh
# e2e: sentences of the contract (docs/reference/settlement.md, docs/reference/formats.md) that
# no golden folder or other script exercised through the binary, each with its expected rows
# worked out by hand from the text:
#  - settlement.md §8 "Reversal rows": on a reversal only the id checks are made, so a
#    reversal dated when its person is no longer insured, or in a year whose policy has no
#    region row for the person, is still `reversed` (docs/decisions.md, "Which checks a
#    reversal row gets"), while an ordinary claim on the same day is NOT_INSURED or
#    UNKNOWN_REGION;
#  - settlement.md §5.4: `psn_ytd` counts the whole year whatever the category was at each
#    claim — a claim with no personal share of its own, the first after a change into a
#    watched category, fires the rule with the burden paid before; a rule with threshold 0
#    fires at the first settled claim; a reversal that takes `psn_ytd` back under a threshold
#    does not let the rule fire again ("Alerts are never withdrawn", "has not yet fired");
#  - formats.md §5 and §1 "Writing": the alerts file quotes a household and a rule name that
#    hold a comma or a quote;
#  - formats.md §1: only a *known* column may not appear twice — an unknown column given
#    twice is ignored like any unknown column;
#  - settlement.md §8, the ledger's CONFLICT: the same rows written another way (amounts by
#    value, a reversal's ignored fields) are skipped; other content under a received claim id,
#    a reversal's own id included, is CONFLICT.
# Usage: sh spec_edges.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/policy.sh
. "$(dirname "$0")/lib/policy.sh"

: "$root" # every input of this script is written below

# policy YEAR REGIONS RULES: lib/policy.sh's plain_policy; nothing else matters here, since
# every claim below is an outpatient visit (not counted by critical illness or assistance).
policy() { plain_policy "$@"; }
# 2022: a default region; three rules, in this order: near_poor from 100, general from 0,
# everyone from 300.01 (its name holds a comma and a quote).
policy 2022 '"default": { "ci_deductible": "1000" }' \
  '{ "name": "np", "categories": ["near_poor"], "threshold": "100" },
   { "name": "zero", "categories": ["general"], "threshold": "0" },
   { "name": "a,l\"l", "categories": [], "threshold": "300.01" }' >"$work/p2022.json"
# 2023: only 邵阳 431100 has a row, so persons of 430521 are UNKNOWN_REGION in 2023.
policy 2023 '"431100": { "ci_deductible": "1000" }' '' >"$work/p2023.json"

cat >"$work/persons.csv" <<'CSV'
person_id,household_id,region,category,valid_from,valid_to
P1,H1,430521,general,2022-01-01,2022-12-31
P2,H2,430521,general,2022-01-01,
M1,"H,M",430521,general,2022-01-01,2022-06-30
M1,"H,M",430521,near_poor,2022-07-01,
CSV

# The header carries an unknown column, `note`, twice.
cat >"$work/claims.csv" <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt,note,reverses,note
a1,P1,2022-03-01,outpatient,primary,100,x,,y
a2,P2,2022-03-01,outpatient,primary,100,,,
a3,P2,2022-03-02,outpatient,primary,100,,,
r1,P1,2023-02-01,,,,,a1,
c1,P1,2023-02-02,outpatient,primary,100,,,
r2,P2,2023-02-01,,,,,a2,
c2,P2,2023-02-02,outpatient,primary,100,,,
r3,P2,2024-02-01,,,,,a3,
m1,M1,2022-03-01,outpatient,grade3,300,,,
m2,M1,2022-07-02,outpatient,primary,0,,,
mx,M1,2022-07-03,,,,,m1,
m3,M1,2022-07-04,outpatient,grade3,300.01,,,
m4,M1,2022-07-05,outpatient,grade3,500,,,
CSV

# outpatient primary 100.00: hifp mul(100.00, 0.60) = 60.00, psn 40.00; at grade3 (no row):
# hifp 0, psn = medfee.  A reversal carries the original's amounts negated and its category.
S100='100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,60.00,40.00,0.00'
R100='-100.00,0.00,0.00,0.00,-100.00,0.00,-60.00,0.00,0.00,-60.00,-40.00,0.00'
cat >"$work/expected.csv" <<CSV
$H
a1,P1,2022-03-01,settled,,general,$S100
a2,P2,2022-03-01,settled,,general,$S100
a3,P2,2022-03-02,settled,,general,$S100
r1,P1,2023-02-01,reversed,,general,$R100
c1,P1,2023-02-02,rejected,NOT_INSURED$E
r2,P2,2023-02-01,reversed,,general,$R100
c2,P2,2023-02-02,rejected,UNKNOWN_REGION$E
r3,P2,2024-02-01,reversed,,general,$R100
m1,M1,2022-03-01,settled,,general,300.00,0.00,0.00,0.00,300.00,0.00,0.00,0.00,0.00,0.00,300.00,0.00
m2,M1,2022-07-02,settled,,near_poor,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00
mx,M1,2022-07-03,reversed,,general,-300.00,0.00,0.00,0.00,-300.00,0.00,0.00,0.00,0.00,0.00,-300.00,0.00
m3,M1,2022-07-04,settled,,near_poor,300.01,0.00,0.00,0.00,300.01,0.00,0.00,0.00,0.00,0.00,300.01,0.00
m4,M1,2022-07-05,settled,,near_poor,500.00,0.00,0.00,0.00,500.00,0.00,0.00,0.00,0.00,0.00,500.00,0.00
CSV

# Alerts, in canonical claim order (date, then id bytes: a1 < a2 < m1 on 2022-03-01):
#  a1, a2: general, psn_ytd 40.00 >= 0: `zero` (the 2022 flags of P1 and P2);
#  m1: general, psn_ytd 300.00: `zero` (np watches near_poor only; 300.00 < 300.01);
#  m2: now near_poor, its own psn 0.00, but psn_ytd 300.00 >= 100: `np`, with 300.00;
#  mx: the reversal takes psn_ytd to 0.00 and emits nothing;
#  m3: psn_ytd 300.01: `np` has fired this year (not again, although psn_ytd fell under 100
#      and rose past it again); 300.01 >= 300.01: the everyone rule, quoted;
#  m4: psn_ytd 800.01: every rule has fired.
cat >"$work/expected-alerts.csv" <<'CSV'
person_id,household_id,rule,claim_id,date,psn_ytd,threshold
P1,H1,zero,a1,2022-03-01,40.00,0.00
P2,H2,zero,a2,2022-03-01,40.00,0.00
M1,"H,M",zero,m1,2022-03-01,300.00,0.00
M1,"H,M",np,m2,2022-07-02,300.00,100.00
M1,"H,M","a,l""l",m3,2022-07-04,300.01,300.01
CSV

run settle --policy "$work/p2022.json" --policy "$work/p2023.json" --persons "$work/persons.csv" \
  --claims "$work/claims.csv" --out "$work/out.csv" --alerts "$work/alerts.csv" --quiet
expect_rc "spec edges: exit status (two rows rejected)" 1
same_lines "spec edges: settlements" "$work/expected.csv" "$work/out.csv"
same_file "spec edges: alerts" "$work/expected-alerts.csv" "$work/alerts.csv"

# The rows' order in the file does not matter (settlement.md §4): reversed file order, same
# rows for the same claims, same alerts.
{
  head -n 1 "$work/claims.csv"
  tail -n +2 "$work/claims.csv" | sed -n '1!G;h;$p'
} >"$work/claims-rev.csv"
{
  head -n 1 "$work/expected.csv"
  tail -n +2 "$work/expected.csv" | sed -n '1!G;h;$p'
} >"$work/expected-rev.csv"
run settle --policy "$work/p2022.json" --policy "$work/p2023.json" --persons "$work/persons.csv" \
  --claims "$work/claims-rev.csv" --out "$work/out-rev.csv" --alerts "$work/alerts-rev.csv" --quiet
expect_rc "spec edges, rows reversed: exit status" 1
same_lines "spec edges, rows reversed: settlements" "$work/expected-rev.csv" "$work/out-rev.csv"
same_file "spec edges, rows reversed: alerts" "$work/expected-alerts.csv" "$work/alerts-rev.csv"

# settlement.md §8, "The ledger's CONFLICT": a row identical to one received — "amounts compare
# by value" (`100.00` is `100`, an absent optional amount is 0, `0`, `0.00` and `00` are the
# same) and the fields a reversal ignores are ignored — is skipped; the same claim id with other
# content is CONFLICT, "and applies to reversal rows as well (to the reversal's own id)"; the
# stored rows stay as they were.
db=$work/ledger.db
run db init --db "$db"
expect_rc "ledger: init" 0
for p in "$work/p2022.json" "$work/p2023.json"; do
  run db add-policy --db "$db" "$p"
  expect_rc "ledger: add-policy $(basename "$p")" 0
done
run db import-persons --db "$db" --persons "$work/persons.csv"
expect_rc "ledger: import-persons" 0
run db import-claims --db "$db" --claims "$work/claims.csv" --quiet
expect_rc "ledger: first import (two rows rejected)" 1
run db export-settlements --db "$db" --out "$work/ledger-1.csv"
same_file "ledger: an empty ledger stores what settle prints" "$work/expected.csv" "$work/ledger-1.csv"

cat >"$work/same.csv" <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses
a1,P1,2022-03-01,outpatient,primary,100.00,0,0.00,00,
r2,P2,2023-02-01,inpatient,grade3,5,,,,a2
CSV
run db import-claims --db "$db" --claims "$work/same.csv"
expect_rc "ledger: the same rows written another way: exit status" 0
contains "ledger: the same rows written another way are skipped" "$work/err.txt" \
  "0 rows: 0 settled, 0 reversed, 0 rejected, 2 already in the ledger (skipped)"
run db export-settlements --db "$db" --out "$work/ledger-2.csv"
same_file "ledger: nothing stored for rows already received" "$work/expected.csv" "$work/ledger-2.csv"

cat >"$work/other.csv" <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt,reverses
a1,P1,2022-03-01,outpatient,primary,100.01,
r2,P2,2023-02-01,,,,a3
CSV
run db import-claims --db "$db" --claims "$work/other.csv" --quiet
expect_rc "ledger: other content under received ids: exit status" 1
{
  cat "$work/expected.csv"
  echo "a1,P1,2022-03-01,rejected,CONFLICT$E"
  echo "r2,P2,2023-02-01,rejected,CONFLICT$E"
} >"$work/expected-conflict.csv"
run db export-settlements --db "$db" --out "$work/ledger-3.csv"
same_lines "ledger: CONFLICT for a claim and for a reversal, stored rows unchanged" \
  "$work/expected-conflict.csv" "$work/ledger-3.csv"

finish
