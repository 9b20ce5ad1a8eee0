#!/bin/sh
# e2e: fee lines (费用明细) and the catalogue (医保目录) in the ledger.
#  - a ledger without a catalogue refuses an import with --fees (exit 2,
#    nothing stored);
#  - add-catalog is append-only and versioned by dates: a row added later
#    applies over its dates, the earlier row keeps the other days; the same
#    file added again adds nothing; a bad catalogue adds nothing;
#  - a claim's lines are classified on its date against the catalogue as
#    it stands at the import, and kept with the claim: a claim settled before
#    a re-rating keeps its classification;
#  - re-importing the same lines adds nothing; other lines under the same
#    claim id are a CONFLICT, even when the totals are the same.
# Usage: sh ledger_fees.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
policy=$root/policies/hunan-2022.json
db=$work/l.db

cat >"$work/persons.csv" <<'CSV'
person_id,household_id,region,category,valid_from,valid_to
P1,H1,430102,general,,
CSV
cat >"$work/cat1.csv" <<'CSV'
med_list_codg,name,chrgitm_lv,selfpay_prop,pric_uplmt_amt,begndate,enddate
M1,药品一,01,,,2022-01-01,
M2,检查二,02,0.10,50,2022-01-01,
CSV
# M1 becomes 丙类 for the second half of the year
cat >"$work/cat2.csv" <<'CSV'
med_list_codg,name,chrgitm_lv,selfpay_prop,pric_uplmt_amt,begndate,enddate
M1,药品一,03,,,2022-07-01,2022-12-31
CSV
cat >"$work/bad.csv" <<'CSV'
med_list_codg,name,chrgitm_lv,selfpay_prop,pric_uplmt_amt,begndate,enddate
M9,坏,04,,,2022-01-01,
CSV
cat >"$work/claims1.csv" <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses
C1,P1,2022-03-01,outpatient,primary,,,,,
CSV
cat >"$work/fees1.csv" <<'CSV'
claim_id,feedetl_sn,med_list_codg,cnt,pric
C1,1,M1,2,10.5
C1,2,M2,1,60
CSV
cat >"$work/claims2.csv" <<'CSV'
claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses
C2,P1,2022-08-01,outpatient,primary,,,,,
C3,P1,2022-06-30,outpatient,primary,,,,,
CSV
cat >"$work/fees2.csv" <<'CSV'
claim_id,feedetl_sn,med_list_codg,cnt,pric
C2,1,M1,2,10.5
C3,1,M1,2,10.5
CSV

"$bin" db init --db "$db" 2>/dev/null
"$bin" db add-policy --db "$db" "$policy" 2>/dev/null
"$bin" db import-persons --db "$db" --persons "$work/persons.csv" 2>/dev/null

# no catalogue yet
run db import-claims --db "$db" --claims "$work/claims1.csv" --fees "$work/fees1.csv"
expect_rc "import --fees without a catalogue" 2
if grep -q "add-catalog" "$work/err.txt"; then ok; else bad "the refusal does not say what to do"; fi
run db export-settlements --db "$db"
same_text "nothing stored by the refused import" 1 "$(wc -l <"$work/out.txt" | tr -d ' ')"

run db add-catalog --db "$db" "$work/bad.csv"
expect_rc "a bad catalogue" 2
if grep -q "bad.csv:2" "$work/err.txt"; then ok; else bad "the bad catalogue line is not named"; fi
run db add-catalog --db "$db" "$work/cat1.csv"
expect_rc "add-catalog" 0
run db add-catalog --db "$db" "$work/cat1.csv"
if grep -q "0 rows added" "$work/err.txt"; then ok; else bad "the same catalogue added twice adds rows"; fi

# C1 (March): M1 甲类 in scope; M2 乙类 60 above the limit 50 -> over 10, pre 10% of 50
run db import-claims --db "$db" --claims "$work/claims1.csv" --fees "$work/fees1.csv"
expect_rc "import C1 with its lines" 0
run db export-fee-results --db "$db"
cat >"$work/want1.csv" <<'CSV'
claim_id,feedetl_sn,med_list_codg,chrgitm_lv,det_item_fee_sumamt,fulamt_ownpay_amt,overlmt_amt,preselfpay_amt,inscp_scp_amt,status
C1,1,M1,01,21.00,0.00,0.00,0.00,21.00,ok
C1,2,M2,02,60.00,0.00,10.00,5.00,45.00,ok
CSV
same_file "C1's lines" "$work/want1.csv" "$work/out.txt"
run db export-settlements --db "$db"
line=$(grep '^C1,' "$work/out.txt" | cut -d, -f7-11)
same_text "C1's totals from its lines" "81.00,0.00,10.00,5.00,66.00" "$line"

# re-rating: M1 is 丙类 from July; C1 keeps its classification
run db add-catalog --db "$db" "$work/cat2.csv"
expect_rc "add the re-rating" 0
run db import-claims --db "$db" --claims "$work/claims2.csv" --fees "$work/fees2.csv"
expect_rc "import C2 and C3" 0
run db export-fee-results --db "$db"
same_text "C1 keeps its class" "C1,1,M1,01,21.00,0.00,0.00,0.00,21.00,ok" "$(grep '^C1,1,' "$work/out.txt")"
same_text "C2 (August): 丙类" "C2,1,M1,03,21.00,21.00,0.00,0.00,0.00,ok" "$(grep '^C2,1,' "$work/out.txt")"
same_text "C3 (30 June): still 甲类" "C3,1,M1,01,21.00,0.00,0.00,0.00,21.00,ok" "$(grep '^C3,1,' "$work/out.txt")"

# the same files again: nothing new; other lines under C1: CONFLICT
run db import-claims --db "$db" --claims "$work/claims1.csv" --fees "$work/fees1.csv"
expect_rc "the same import again" 0
if grep -q "1 already in the ledger" "$work/err.txt"; then ok; else bad "the re-import was not skipped"; fi
cat >"$work/fees1b.csv" <<'CSV'
claim_id,feedetl_sn,med_list_codg,cnt,pric
C1,1,M1,2,10.5
C1,2,M2,1,60
C1,3,M9,0,1
CSV
run db import-claims --db "$db" --claims "$work/claims1.csv" --fees "$work/fees1b.csv"
expect_rc "other lines under C1" 1
run db export-settlements --db "$db"
same_text "other lines under C1 are a CONFLICT" "C1,P1,2022-03-01,rejected,CONFLICT,,,,,,,,,,,,," \
  "$(tail -1 "$work/out.txt")"
# the ledger keeps everything received: the rejected row's lines are stored
# with it, and C1's first lines are unchanged
run db export-fee-results --db "$db"
same_text "the first lines of C1 unchanged" "C1,1,M1,01,21.00,0.00,0.00,0.00,21.00,ok" \
  "$(grep '^C1,1,' "$work/out.txt" | head -1)"
same_text "the CONFLICT row's lines are recorded with it" 3 \
  "$(tail -3 "$work/out.txt" | grep -c '^C1,')"

# the catalogue is append-only in the file itself
if [ "$have_db_sql" -eq 1 ]; then
  n0=$(db_sql "$db" "SELECT count(*) FROM catalog_items")
  s0=$(db_sql "$db" "SELECT sum(det_item_fee_sumamt) FROM fee_lines")
  db_sql "$db" "DELETE FROM catalog_items" >/dev/null 2>&1
  db_sql "$db" "UPDATE fee_lines SET det_item_fee_sumamt = 0" >/dev/null 2>&1
  db_sql "$db" "DELETE FROM fee_lines" >/dev/null 2>&1
  same_text "catalog_items refuse DELETE" "$n0" "$(db_sql "$db" "SELECT count(*) FROM catalog_items")"
  same_text "fee_lines refuse UPDATE and DELETE" "$s0" \
    "$(db_sql "$db" "SELECT sum(det_item_fee_sumamt) FROM fee_lines")"
else
  skip "append-only checks (no sqlite3 shell)"
fi
# SQLite schema 6: a row settled from its fee lines is received with the
# lines' totals, so its settlement stores none of its amounts again; the
# view settlements reads them from the row
if sqlite_only "schema 6's one row a received row: SQLite only" && [ "$have_db_sql" -eq 1 ]; then
  same_text "C1's totals stored once, in its received row" "8100|0|1000|500|" \
    "$(db_sql "$db" "SELECT medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt,
      coalesce(setl_visit_type, setl_level, setl_medfee_sumamt, setl_fulamt_ownpay_amt,
      setl_overlmt_selfpay, setl_preselfpay_amt) FROM claims WHERE claim_id = 'C1' AND status = 'settled'")"
  same_text "C1's settlement in the view settlements" "settled|8100|0|1000|500|6600" \
    "$(db_sql "$db" "SELECT status, medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt,
      inscp_scp_amt FROM settlements WHERE seq = (SELECT min(seq) FROM claims WHERE claim_id = 'C1')")"
fi
finish
