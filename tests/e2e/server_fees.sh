#!/bin/sh
# e2e: fee lines (费用明细) over the API (docs/api.md): a settlement body may
# carry "fees" in place of the amounts; the answer gives the totals derived
# from the lines and each line's result; GET returns the stored lines; the
# batch, the ledger and the API agree on the same lines; a claim with 500
# lines is an ordinary request; the BAD_FEES causes are 422; a ledger
# without a catalogue answers 400 naming "fees".
# Usage: sh server_fees.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
# shellcheck source-path=SCRIPTDIR source=lib/server.sh
. "$(dirname "$0")/lib/server.sh"
case_dir=$root/tests/golden/fees
policy=$case_dir/policy-2022.json
if ! command -v curl >/dev/null 2>&1; then
  skip "no curl: the server is not tested"
  finish
fi

post() { # PATH TOKEN BODY-FILE: answer in $work/resp.json, status in $code
  code=$(curl -s -m 30 -o "$work/resp.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    --data-binary "@$3" "$base$1")
}
get() {
  code=$(curl -s -m 30 -o "$work/resp.json" -w '%{http_code}' -H "Authorization: Bearer $2" \
    "$base$1")
}

db=$work/l.db
"$bin" db init --db "$db" 2>/dev/null
"$bin" db add-policy --db "$db" "$case_dir/policy-2021.json" 2>/dev/null
"$bin" db add-policy --db "$db" "$policy" 2>/dev/null
"$bin" db import-persons --db "$db" --persons "$case_dir/persons.csv" 2>/dev/null
"$bin" db add-catalog --db "$db" "$case_dir/catalog.csv" 2>/dev/null
run tokens add --file "$work/tokens" --institution H1 --role hospital
h1=$(cat "$work/out.txt")
run tokens add --file "$work/tokens" --institution B --role admin
adm=$(cat "$work/out.txt")
start_server "$db" "$work/server.log"

# a claim of the golden case with its lines, and the same row settled by the batch
claim=C251388
row=$(awk -F, -v c="$claim" '$1 == c' "$case_dir/claims.csv")
person=$(echo "$row" | cut -d, -f2)
date=$(echo "$row" | cut -d, -f3)
visit=$(echo "$row" | cut -d, -f4)
level=$(echo "$row" | cut -d, -f5)
# the claim's lines (unquoted in this file, whatever its column order)
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { gsub(/"/, "") } $c["claim_id"] == "'"$claim"'" {
    printf "%s{\"feedetl_sn\":\"%s\",\"med_list_codg\":\"%s\",\"cnt\":\"%s\",\"pric\":\"%s\"}",
      n++ ? "," : "", $c["feedetl_sn"], $c["med_list_codg"], $c["cnt"], $c["pric"] }' \
  "$case_dir/fees.csv" >"$work/lines.json"
printf '{"claim_id":"%s","person_id":"%s","date":"%s","visit_type":"%s","level":"%s","fees":[%s]}' \
  "$claim" "$person" "$date" "$visit" "$level" "$(cat "$work/lines.json")" >"$work/body.json"
nlines=$(grep -o '"feedetl_sn"' "$work/body.json" | wc -l)
if [ "$nlines" -gt 3 ]; then ok; else bad "the test claim has too few lines ($nlines)"; fi

printf 'claim_id,person_id,date,visit_type,level,medfee_sumamt\n%s,%s,%s,%s,%s,\n' \
  "$claim" "$person" "$date" "$visit" "$level" >"$work/one.csv"
awk -F, -v c="$claim" 'NR == 1 || $0 ~ "^\"?" c "\"?,"' "$case_dir/fees.csv" >"$work/one-fees.csv"
"$bin" settle --policy "$case_dir/policy-2021.json" --policy "$policy" \
  --persons "$case_dir/persons.csv" --claims "$work/one.csv" --catalog "$case_dir/catalog.csv" \
  --fees "$work/one-fees.csv" --fee-results "$work/one-fr.csv" --out "$work/one-set.csv" --quiet
batch_row=$(sed -n 2p "$work/one-set.csv")

post /v1/presettlements "$h1" "$work/body.json"
same_text "presettlement with fee lines" 200 "$code"
post /v1/settlements "$h1" "$work/body.json"
same_text "settlement with fee lines" 201 "$code"
for k in medfee_sumamt fulamt_ownpay_amt overlmt_selfpay preselfpay_amt hifp_pay fund_pay_sumamt; do
  col=$(head -1 "$work/one-set.csv" | tr , '\n' | grep -n "^$k\$" | cut -d: -f1)
  same_text "API $k = settle's" "$(echo "$batch_row" | cut -d, -f"$col")" "$(jget "$k")"
done
n_answer=$(grep -o '"det_item_fee_sumamt"' "$work/resp.json" | wc -l)
same_text "the answer gives every line's result" "$nlines" "$n_answer"
# line by line, as --fee-results
tr '{' '\n' <"$work/resp.json" | grep '"feedetl_sn"' | while IFS= read -r l; do
  printf '%s\n' "$l" >"$work/l.json"
  sn=$(jget feedetl_sn "$work/l.json")
  want=$(awk -F, -v s="$sn" '$2 == s { print $5 "," $9 "," $10 }' "$work/one-fr.csv")
  got="$(jget det_item_fee_sumamt "$work/l.json"),$(jget inscp_scp_amt "$work/l.json"),$(jget status "$work/l.json")"
  if [ "$want" = "$got" ]; then echo ok; else echo "bad line $sn: API $got, settle $want"; fi
done >"$work/linecheck.txt"
if grep -q '^bad' "$work/linecheck.txt"; then bad "line results differ:"; grep '^bad' "$work/linecheck.txt" | head -3; else ok; fi

get "/v1/settlements/$claim" "$h1"
same_text "GET a claim with lines" 200 "$code"
same_text "GET returns the stored lines" "$nlines" "$(grep -o '"det_item_fee_sumamt"' "$work/resp.json" | wc -l)"
post /v1/settlements "$h1" "$work/body.json"
same_text "the same body again: a replay" 200 "$code"

# the ledger's export holds them too
"$bin" db export-fee-results --db "$db" --out "$work/ledger-fr.csv" 2>/dev/null || true

# 500 lines: an ordinary request
awk 'BEGIN { for (i = 1; i <= 500; i++) printf "%s{\"feedetl_sn\":\"%d\",\"med_list_codg\":\"M42504\",\"cnt\":\"1\",\"pric\":\"1.25\"}", (i > 1 ? "," : ""), i }' >"$work/500.json"
printf '{"claim_id":"BIG-1","person_id":"%s","date":"%s","visit_type":"inpatient","level":"grade2","fees":[%s]}' \
  "$person" "$date" "$(cat "$work/500.json")" >"$work/big.json"
post /v1/settlements "$h1" "$work/big.json"
same_text "a claim with 500 lines" 201 "$code"
same_text "500 lines x 1.25" 625.00 "$(jget medfee_sumamt)"

# BAD_FEES: amounts with lines; a malformed line; a serial number twice
printf '{"claim_id":"BF-1","person_id":"%s","date":"%s","visit_type":"inpatient","level":"grade2","medfee_sumamt":"10","fees":[{"feedetl_sn":"1","med_list_codg":"M42504","cnt":"1","pric":"10"}]}' \
  "$person" "$date" >"$work/bf1.json"
post /v1/settlements "$h1" "$work/bf1.json"
same_text "amounts with lines: 422" 422 "$code"
same_text "amounts with lines: BAD_FEES" BAD_FEES "$(jget reason)"
printf '{"claim_id":"BF-2","person_id":"%s","date":"%s","visit_type":"inpatient","level":"grade2","fees":[{"feedetl_sn":"1","med_list_codg":"M42504","cnt":"1.00001","pric":"10"}]}' \
  "$person" "$date" >"$work/bf2.json"
post /v1/settlements "$h1" "$work/bf2.json"
same_text "a count with 5 decimals: BAD_FEES" BAD_FEES "$(jget reason)"
same_text "the bad line is said bad" bad "$(tr '{' '\n' <"$work/resp.json" | grep feedetl_sn | head -1 | sed 's/.*"status":"\([a-z_]*\)".*/\1/')"
printf '{"claim_id":"BF-3","person_id":"%s","date":"%s","visit_type":"inpatient","level":"grade2","fees":[{"feedetl_sn":"1","med_list_codg":"M42504","cnt":"1","pric":"10"},{"feedetl_sn":"1","med_list_codg":"M42504","cnt":"1","pric":"10"}]}' \
  "$person" "$date" >"$work/bf3.json"
post /v1/settlements "$h1" "$work/bf3.json"
same_text "a serial number twice: BAD_FEES" BAD_FEES "$(jget reason)"
# a malformed line object is the body's own fault: 400 naming it
printf '{"claim_id":"BF-4","person_id":"%s","date":"%s","visit_type":"inpatient","level":"grade2","fees":[{"feedetl_sn":"1","med_list_codg":"M42504","cnt":1,"pric":"10"}]}' \
  "$person" "$date" >"$work/bf4.json"
post /v1/settlements "$h1" "$work/bf4.json"
same_text "a number, not a string, in a line: 400" 400 "$code"
same_text "the field is named" "fees[0].cnt" "$(jget field)"
stop_server "the server"

# a ledger without a catalogue: 400 naming fees
db2=$work/l2.db
"$bin" db init --db "$db2" 2>/dev/null
"$bin" db add-policy --db "$db2" "$policy" 2>/dev/null
"$bin" db import-persons --db "$db2" --persons "$case_dir/persons.csv" 2>/dev/null
start_server "$db2" "$work/server2.log"
post /v1/settlements "$h1" "$work/body.json"
same_text "no catalogue: 400" 400 "$code"
same_text "no catalogue: the field" fees "$(jget field)"
stop_server "the second server"
finish
