#!/bin/sh
# e2e: bad rows tell where they are (the hardening issue, "bad rows tell
# where they are").  The summaries of `settle` and `db import-claims` list,
# for each rejection reason, the first rows as FILE:LINE and claim id, with
# the field for MALFORMED_ROW and BAD_AMOUNT; NO_POLICY names the years that
# have no policy and how to give one; --explain explains a rejected row.
# The basics' claims file has a row of each kind on known lines.
# Usage: sh where.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

g="$root/tests/golden/basics"
cp "$g/persons.csv" "$g/claims.csv" "$g/policy-2022.json" "$work/"
cd "$work" || exit 2

# line N of claims.csv starts with claim id ID (the test's premise)
line_is() {
  _got=$(sed -n "${1}p" claims.csv | cut -d, -f1)
  same_text "claims.csv:$1 is $2" "$2" "$_got"
}
line_is 17 A5-03
line_is 18 A5-04
line_is 19 A5-05
line_is 25 A4-02

# a malformed row (a field too many) and a row with a bad date, at the end
printf 'M-1,A1,2022-05-01,inpatient,grade2,100,,,,,extra\nM-2,A1,2022-13-01,inpatient,grade2,100,,,,\n' >>claims.csv
nlines=$(wc -l <claims.csv)

# ---- settle ---------------------------------------------------------------------------
run settle --persons persons.csv --claims claims.csv --policy policy-2022.json --out s.csv
expect_rc "settle" 1
contains "settle: BAD_AMOUNT names line and field" err.txt \
  "claims.csv:17  A5-03  medfee_sumamt: empty, not an amount, or above 10000000000.00"
contains "settle: BAD_AMOUNT names the sum that is too large" err.txt \
  "claims.csv:18  A5-04  fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt is more than medfee_sumamt"
contains "settle: BAD_VISIT_TYPE names its line" err.txt "claims.csv:19  A5-05"
contains "settle: NO_POLICY names its line" err.txt "claims.csv:25  A4-02"
contains "settle: NO_POLICY names the year and the remedy" err.txt "no policy for 2023: give its --policy"
contains "settle: MALFORMED_ROW names its line" err.txt "claims.csv:$((nlines - 1))  M-1"
contains "settle: a bad date names its line and field" err.txt "claims.csv:$nlines  M-2  date"
# at most three rows are listed a reason: four more unknown persons make five
# UNKNOWN_PERSON rows, of which three are shown
cp claims.csv many.csv
for k in 1 2 3 4; do printf 'U-%d,NOBODY,2022-05-0%d,inpatient,grade2,100,,,,\n' "$k" "$k" >>many.csv; done
run settle --persons persons.csv --claims many.csv --policy policy-2022.json --out s2.csv
contains "settle: UNKNOWN_PERSON counted" err.txt "rejected UNKNOWN_PERSON     5"
shown=$(grep -c '^      many.csv:[0-9]*  \(X-01\|U-[0-9]\)' err.txt)
same_text "settle: three rows shown for a reason" 3 "$shown"

# ---- db import-claims --------------------------------------------------------------------
run db init --db l.db
run db import-persons --db l.db --persons persons.csv
run db add-policy --db l.db policy-2022.json
expect_rc "db add-policy" 0
run db import-claims --db l.db --claims claims.csv
expect_rc "db import-claims" 1
contains "import: BAD_AMOUNT names line and field" err.txt \
  "claims.csv:17  A5-03  medfee_sumamt: empty, not an amount, or above 10000000000.00"
contains "import: NO_POLICY names its line" err.txt "claims.csv:25  A4-02"
contains "import: NO_POLICY names the ledger's remedy" err.txt \
  "no policy for 2023: add it with 'sanbao db add-policy'"
contains "import: MALFORMED_ROW names its line" err.txt "claims.csv:$((nlines - 1))  M-1"
# the same file again: every row is in the ledger, nothing rejected anew is listed
run db import-claims --db l.db --claims claims.csv
if grep -q 'claims.csv:[0-9]' err.txt; then bad "import again: lists rows already in the ledger"; else ok; fi

# ---- --explain on a rejected row --------------------------------------------------------
run settle --persons persons.csv --claims claims.csv --policy policy-2022.json --out s.csv \
  --explain A4-02
contains "explain: a rejected row says why" err.txt "NO_POLICY"

finish
