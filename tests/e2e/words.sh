#!/bin/sh
# e2e: words and figures that were wrong or stale (the hardening issue,
# "wrong or stale words and figures"), each checked against what the
# program does:
#  - `sanbao report` counts the alerts from --alerts, and without it says
#    they were not given instead of showing 0 (and leaves them out of the CSV);
#  - the report names the registry count 名单人数 (persons in the registry),
#    apart from 参保人数 (the insured), which the demo prints;
#  - `demo --help` lists the files the demo writes, and only those;
#  - `db balance` requires --year (it used to show the clock's year as zeros).
# Usage: sh words.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

g="$root/tests/golden/basics"
cp "$g/persons.csv" "$g/claims.csv" "$g/policy-2022.json" "$work/"
cd "$work" || exit 2

run settle --persons persons.csv --claims claims.csv --policy policy-2022.json \
  --out s.csv --alerts a.csv
expect_rc "settle the basics" 1
alerts=$(($(wc -l <a.csv) - 1))
[ "$alerts" -gt 0 ] && ok || bad "the basics raise no alert: the checks below would prove nothing"

# ---- report: alerts given -------------------------------------------------------------
run report --settlements s.csv --persons persons.csv --report r.html --csv r.csv --alerts a.csv
expect_rc "report --alerts" 0
contains "report --alerts: CSV counts the alerts" r.csv "alerts,all,$alerts,,"
contains "report --alerts: page shows the count" r.html \
  "<span data-measure=\"alerts\" data-scope=\"all\" data-side=\"baseline\">$alerts</span>"
# every alert is under a category and a prefecture of its person
cat_sum=$(awk -F, '/^alerts,category:/ { s += $3 } END { print s + 0 }' r.csv)
pref_sum=$(awk -F, '/^alerts,prefecture:/ { s += $3 } END { print s + 0 }' r.csv)
same_text "report --alerts: categories add up" "$alerts" "$cat_sum"
same_text "report --alerts: prefectures add up" "$alerts" "$pref_sum"
contains "report --alerts: the alerts file is listed as an input" r.html "a.csv"

# ---- report: alerts not given -----------------------------------------------------------
run report --settlements s.csv --persons persons.csv --report r2.html --csv r2.csv
expect_rc "report without --alerts" 0
contains "report without --alerts: says not given" r2.html "not given (sanbao report --alerts FILE counts them)"
if grep -q '^alerts,' r2.csv; then bad "report without --alerts: the CSV has alerts lines"; else ok; fi
if grep -q 'data-measure="alerts"' r2.html; then bad "report without --alerts: the page shows an alerts figure"; else ok; fi

# ---- report: a bad alerts file -----------------------------------------------------------
printf 'person_id,household_id,rule,claim_id,date,psn_ytd,threshold\nA4,H4,r,A4-01,2022-13-01,1.00,1.00\n' >bad-alerts.csv
run report --settlements s.csv --persons persons.csv --report r3.html --alerts bad-alerts.csv
expect_rc "report with a bad alerts date" 2
contains "report with a bad alerts date: FILE:LINE" err.txt "bad-alerts.csv:2: date: not a date"
absent "report with a bad alerts file writes nothing" r3.html
printf 'person_id,household_id,rule,claim_id,date,psn_ytd,threshold\nA4,H4,r\n' >short-alerts.csv
run report --settlements s.csv --persons persons.csv --report r3.html --alerts short-alerts.csv
contains "report with a short alerts row: FILE:LINE" err.txt "short-alerts.csv:2: 3 fields, the header has 7"
run report --settlements s.csv --persons persons.csv --report a.csv --alerts a.csv
expect_rc "report onto its alerts file" 2

# ---- the registry count's name ----------------------------------------------------------
contains "report: 名单人数 for the registry" r.html "名单人数"
if grep -q '参保人数' r.html; then bad "report: still calls the registry 参保人数"; else ok; fi

# ---- db balance requires --year ----------------------------------------------------------
run db import-persons --db l.db --persons persons.csv
run db balance --db l.db --person A1
expect_rc "db balance without --year" 2
contains "db balance without --year: names it" err.txt "missing required option '--year'"

# ---- demo --help lists what the demo writes ------------------------------------------------
run demo --help
sed -n '/^FILES/,/^EXIT/p' out.txt | grep -o 'DIR/[A-Za-z0-9_./-]*' | sed 's/[.,]$//' | sort -u >listed.txt
run demo --dir d --persons 300 # the built-in policy: from any directory
expect_rc "demo" 0
(cd d && find . -type f | sed 's|^\./|DIR/|' | sort -u) >written.txt
same_file "demo --help lists exactly the files the demo writes" written.txt listed.txt

finish
