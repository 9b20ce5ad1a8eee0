#!/bin/sh
# e2e: the bureau console (src/console/, docs/console.md) over real HTTP, on a
# ledger holding the golden case basics.  Named server_* so that the
# ThreadSanitizer build runs it (scripts/test.sh): sessions live on the HTTP
# threads, pages on the ledger thread.
#  - access: anonymous GET 303 to the login page, anonymous POST 401, an
#    unknown bearer 401, a hospital token 403 (bearer or login), an admin
#    bearer 200; the login form (CSRF cookie + field, wrong token 401, the
#    session cookie HttpOnly SameSite=Strict), forms refused without their
#    CSRF token, logout ends the session; every page carries the CSP;
#  - every page's numbers against the ledger's own: the overview's tier
#    totals against `db export-settlements`, each settled claim's 结算单
#    against its exported row, each person's page against `db balance`, the
#    worklist's count against `db alerts`; `db history` against the same;
#  - a handled mark is stored append-only (who, when, the note as typed) and
#    shown escaped; the open-only filter drops the handled alert;
#  - hostile ids (markup, quotes, "/" as %2F, %00) are escaped, never
#    interpreted; unknown person or claim: 404 pages; no id in the log;
#  - an older ledger (schema 3) opens and is migrated to 8.
# Usage: sh server_console.sh SANBAO_BINARY PROJECT_ROOT
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
# shellcheck source-path=SCRIPTDIR source=lib/server.sh
. "$(dirname "$0")/lib/server.sh"
srvpid=
trap '[ -n "$srvpid" ] && kill -KILL "$srvpid" 2>/dev/null; store_cleanup; rm -rf "$work"' EXIT
case_dir=$root/tests/golden/basics
policy=$case_dir/policy-2022.json
if ! command -v curl >/dev/null 2>&1; then
  skip "no curl: the console is not tested"
  finish
fi

db=$work/ledger.db
if ! { "$bin" db init --db "$db" && "$bin" db add-policy --db "$db" "$policy" &&
  "$bin" db import-persons --db "$db" --persons "$case_dir/persons.csv" &&
  { "$bin" db import-claims --db "$db" --claims "$case_dir/claims.csv" || [ $? -eq 1 ]; }; } \
  >/dev/null 2>"$work/err.txt"; then
  bad "ledger setup"; sed 's/^/    /' "$work/err.txt"; finish
fi
run tokens add --file "$work/tokens" --institution BUREAU --role admin
adm=$(cat "$work/out.txt")
run tokens add --file "$work/tokens" --institution H1 --role hospital
hosp=$(cat "$work/out.txt")
start_server "$db" "$work/server.log" --access-log

# get PATH [CURL ARGS...]: the page in $work/page.html, headers in
# $work/head.txt, the status in $code
get() {
  _p=$1
  shift
  code=$(curl -s -m 30 -D "$work/head.txt" -o "$work/page.html" -w '%{http_code}' "$@" "$base$_p")
}
# as the admin, by bearer
aget() { get "$1" -H "Authorization: Bearer $adm"; }
# header NAME: its value in the last answer
header() { tr -d '\r' <"$work/head.txt" | sed -n "s/^$1: //Ip" | head -1; }
# cell LABEL: the first amount in a <td class="n"> right after a <th> that
# begins with LABEL, in the last page
cell() {
  sed 's/<tr/\n<tr/g' "$work/page.html" | grep -F "<th>$1 " | head -1 |
    sed 's/.*<\/th><td class="n">\([-0-9.]*\)<\/td>.*/\1/; s/^\(-\{0,1\}[0-9]*\.[0-9][0-9]\).*/\1/'
}
# lacks NAME FILE FIXED_STRING: the file does not hold the string
lacks() {
  if grep -F -q -- "$3" "$2"; then bad "$1: '$3' found in $(basename "$2")"; else ok; fi
}
# csrf_of FILE: the first CSRF token of a page's forms
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | sed 's/.*value="//; s/"//'; }

# ---- access ---------------------------------------------------------------------

get /console/
expect_code "anonymous GET" 303
same_text "anonymous GET: to the login page, with the way back" "/console/login?next=%2Fconsole%2F" "$(header Location)"
get /console/alerts/mark -d seq=1
expect_code "anonymous POST" 401
get /console/ -H "Authorization: Bearer sbt_0000000000000000000000000000000000000000000000000000000000000000"
expect_code "an unknown bearer token" 401
get /console/ -H "Authorization: Bearer $hosp"
expect_code "a hospital bearer token" 403
aget /console/
expect_code "an admin bearer token" 200
csp=$(header Content-Security-Policy)
case $csp in *"default-src 'none'"*"frame-ancestors 'none'"*) ok ;; *) bad "CSP: '$csp'" ;; esac
case $csp in *script-src*|*unsafe-inline*) bad "the CSP allows a script: '$csp'" ;; *) ok ;; esac
same_text "a page is not cached" no-store "$(header Cache-Control)"
lacks "no script in a page" "$work/page.html" "<script"
get /console/static/console.css
expect_code "the stylesheet (no login needed)" 200
contains "the stylesheet has print rules" "$work/page.html" "@media print"
aget /console/nowhere
expect_code "an unknown console page" 404
aget "/console/alerts?from=2022-13-01"
expect_code "a bad date in the filter" 400
get /v1/alerts -H "Authorization: Bearer $adm"
expect_code "the API is unchanged beside the console" 200

# the login form
jar=$work/jar
get /console/login -c "$jar" -b "$jar"
expect_code "the login form" 200
lc=$(csrf_of "$work/page.html")
case $(header Set-Cookie) in sb_login=*HttpOnly*SameSite=Strict*) ok ;; *) bad "login CSRF cookie: $(header Set-Cookie)" ;; esac
get /console/login -c "$jar" -b "$jar" --data-urlencode "csrf=$lc" --data-urlencode "token=sbt_nope"
expect_code "login with an unknown token" 401
lc=$(csrf_of "$work/page.html")
get /console/login -c "$jar" -b "$jar" --data-urlencode "csrf=0000" --data-urlencode "token=$adm"
expect_code "login with a wrong CSRF token" 403
lc=$(csrf_of "$work/page.html")
get /console/login -c "$jar" -b "$jar" --data-urlencode "csrf=$lc" --data-urlencode "token=$hosp"
expect_code "login with a hospital token" 403
get /console/login -c "$jar" -b "$jar"
lc=$(csrf_of "$work/page.html")
get /console/login -c "$jar" -b "$jar" --data-urlencode "csrf=$lc" --data-urlencode "token=$adm" \
  --data-urlencode "next=/console/alerts"
expect_code "login with the admin token" 303
same_text "login: back where the clerk was going" /console/alerts "$(header Location)"
case $(header Set-Cookie) in sb_session=*"Path=/console"*HttpOnly*SameSite=Strict*) ok ;; *) bad "session cookie: $(header Set-Cookie)" ;; esac
get /console/login -c "$jar" -b "$jar" --data-urlencode "csrf=$lc" --data-urlencode "token=$adm" \
  --data-urlencode "next=https://evil.example/"
same_text "login: never to another site" /console/ "$(header Location)"
get /console/alerts -b "$jar"
expect_code "the worklist with the session" 200
cp "$work/page.html" "$work/alerts.html"
sc=$(csrf_of "$work/alerts.html")
if [ ${#sc} -eq 64 ]; then ok; else bad "the session's CSRF token: '$sc'"; fi

# ---- numbers: the overview against the export -----------------------------------

"$bin" db export-settlements --db "$db" --out "$work/export.csv" 2>/dev/null
# sums over settled and reversed rows of 2022, in fen, written as yuan (the
# claims net of reversals)
awk -F, 'NR > 1 && ($4 == "settled" || $4 == "reversed") && substr($3, 1, 4) == "2022" {
    n += $4 == "settled" ? 1 : -1; for (k = 7; k <= 18; k++) { v = $k; sub(/\./, "", v); s[k] += v } }
  function y(f) { return sprintf("%s%d.%02d", f < 0 ? "-" : "", (f < 0 ? -f : f) / 100, (f < 0 ? -f : f) % 100) }
  END { printf "%d %s %s %s %s %s %s %s\n", n, y(s[7]), y(s[13]), y(s[14]), y(s[15]), y(s[18]), y(s[16]), y(s[17]) }' \
  "$work/export.csv" >"$work/want-tiers.txt"
aget "/console/?year=2022"
expect_code "the overview of 2022" 200
sed 's/<tr/\n<tr/g' "$work/page.html" | grep -F '<th>合计 <span lang="en">all</span>' | head -1 |
  sed 's/<\/tr>.*//; s/<td class="n">/\n/g' | sed -n '2,9p' | sed 's/<.*//' | tr '\n' ' ' | sed 's/ $//' >"$work/got-tiers.txt"
echo >>"$work/got-tiers.txt"
same_file "overview: claims, total, basic, CI, MA, re-assistance, funds, personal = the export's sums" \
  "$work/want-tiers.txt" "$work/got-tiers.txt"
contains "overview: the tiers chart" "$work/page.html" '<svg class="chart" id="chart-tiers"'
# residents per prefecture from the registry, insured from db enroll
"$bin" db enroll --db "$db" --year 2022 --as-of 2022-07-15 >/dev/null 2>"$work/enroll.txt"
aget "/console/?year=2022"
same_text "overview: residents = the registry" "$(awk -F, 'NR > 1 { print $1 }' "$case_dir/persons.csv" | sort -u | wc -l)" \
  "$(sed 's/<tr/\n<tr/g' "$work/page.html" | grep -F '<tr class="total"><td>合计' | head -1 | sed 's/.*<\/td><td class="n">\([0-9]*\)<\/td><td class="n" id="enrolled">.*/\1/')"
same_text "overview: insured = what db enroll counted" \
  "$(sed -n 's/.*: \([0-9]*\) insured.*/\1/p' "$work/enroll.txt")" \
  "$(sed -n 's/.*id="enrolled">\([0-9]*\)<.*/\1/p' "$work/page.html")"
same_text "overview: premiums = what db enroll counted" \
  "$(sed -n 's/.*premiums \([0-9.]*\),.*/\1/p' "$work/enroll.txt")" \
  "$(sed 's/<tr/\n<tr/g' "$work/page.html" | grep -F '<tr class="total"><td>合计' | head -1 | sed 's/.*id="enrolled">[0-9]*<\/td><td class="n">[^<]*<\/td><td class="n">\([0-9.]*\)<.*/\1/')"
"$bin" db alerts --db "$db" --out "$work/alerts.csv" 2>/dev/null
na=$(($(wc -l <"$work/alerts.csv") - 1))
same_text "overview: alerts this year = db alerts" "$na" "$(sed -n 's/.*<span id="alerts">\([0-9]*\)<.*/\1/p' "$work/page.html")"

# ---- every settled claim's 结算单 against its exported row ----------------------------

awk -F, 'NR > 1 && ($4 == "settled" || $4 == "reversed") { print $1, $7, $13, $14, $15, $17 }' \
  "$work/export.csv" >"$work/slips-want.txt"
: >"$work/slips-got.txt"
while read -r id _; do
  aget "/console/claims/$id"
  expect_code "claim $id" 200
  printf '%s %s %s %s %s %s\n' "$id" "$(cell 医疗费总额)" "$(cell 基本医保统筹基金支付)" \
    "$(cell 大病保险支付)" "$(cell 医疗救助支付)" "$(cell 个人负担)" >>"$work/slips-got.txt"
done <"$work/slips-want.txt"
same_file "every 结算单: total, basic, CI, MA, personal = the exported row" \
  "$work/slips-want.txt" "$work/slips-got.txt"
# how each amount came: the engine's words, as `sanbao settle --explain` gives them
for id in $(awk -F, 'NR > 1 && $4 == "settled" { print $1 }' "$work/export.csv"); do
  "$bin" settle --policy "$policy" --persons "$case_dir/persons.csv" --claims "$case_dir/claims.csv" \
    --out "$work/x.csv" --quiet --explain "$id" 2>"$work/explain-want.txt"
  aget "/console/claims/$id"
  sed -n '/<pre class="explain">/,/<\/pre>/p' "$work/page.html" |
    sed 's/.*<pre class="explain">//; s/<\/pre>.*//' |
    sed 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&#39;/'"'"'/g; s/&amp;/\&/g' >"$work/explain-got.txt"
  # the page's <pre> ends with the text's last newline
  printf '\n' >>"$work/explain-want.txt"
  same_file "claim $id: the explanation = settle --explain" "$work/explain-want.txt" "$work/explain-got.txt"
done
aget /console/claims/A1-02
contains "a reversed claim shows its reversal" "$work/page.html" 'href="/console/claims/A1-R2"'
contains "the 结算单 says the settlement in words" "$work/page.html" "统筹基金支付 11640.00 元"
aget /console/claims/A1-R9
expect_code "a rejected claim has its page" 200
contains "a rejected claim: its reason" "$work/page.html" "UNKNOWN_CLAIM"
aget /console/claims/NO-SUCH-CLAIM
expect_code "an unknown claim" 404

# ---- every person's page against db balance, and db history ------------------------

# shellcheck disable=SC2013  # person ids of the golden case: no spaces
for p in $(awk -F, 'NR > 1 { print $1 }' "$case_dir/persons.csv" | sort -u); do
  aget "/console/persons/$p"
  expect_code "person $p" 200
  "$bin" db balance --db "$db" --person "$p" --year 2022 >"$work/bal.txt" 2>/dev/null || continue
  bal() { awk -v l="$1" 'index($0, l) == 1 { v = $NF; gsub(",", "", v); print v }' "$work/bal.txt"; }
  grep -q 'id="y2022"' "$work/page.html" || continue
  same_text "person $p: basic paid = db balance" "$(bal 'basic fund paid')" "$(cell 基本医保)"
  same_text "person $p: CI paid = db balance" "$(bal 'critical illness paid')" "$(cell 大病保险)"
  same_text "person $p: MA paid = db balance" "$(bal 'medical assistance paid')" "$(cell 医疗救助)"
  same_text "person $p: personal share = db balance" "$(bal 'personal burden')" "$(cell 个人负担)"
  "$bin" db history --db "$db" --person "$p" --format csv >"$work/hist.csv" 2>/dev/null
  same_text "person $p: db history's year line = db balance (personal)" "$(bal 'personal burden')" \
    "$(awk -F, '$1 == "year" && $3 == 2022 { print $16 }' "$work/hist.csv")"
  same_text "person $p: db history lists every row the export has" \
    "$(awk -F, -v p="$p" 'NR > 1 && $2 == p' "$work/export.csv" | wc -l)" \
    "$(awk -F, '$1 == "claim"' "$work/hist.csv" | wc -l)"
done
aget /console/persons/NO-SUCH-PERSON
expect_code "an unknown person" 404
"$bin" db history --db "$db" --person A1 --format csv --headers zh --out "$work/hist-zh.csv" 2>/dev/null
same_text "db history --headers zh: a UTF-8 BOM first" "efbbbf" "$(head -c 3 "$work/hist-zh.csv" | od -An -tx1 | tr -d ' \n')"
contains "db history --headers zh: Chinese headers" "$work/hist-zh.csv" "个人编号"
"$bin" db export-settlements --db "$db" --headers zh --out "$work/export-zh.csv" 2>/dev/null
same_text "export --headers zh: BOM and 结算编号 first" "$(printf '\357\273\277结算编号')" "$(head -1 "$work/export-zh.csv" | cut -d, -f1)"
same_text "export --headers zh: the rows unchanged" "$(tail -n +2 "$work/export.csv" | cksum)" "$(tail -n +2 "$work/export-zh.csv" | cksum)"
"$bin" db history --db "$db" --person A1 >"$work/hist.txt" 2>/dev/null
contains "db history: text with the claims" "$work/hist.txt" "A1-R2  reversed"

# ---- the worklist and a handled mark --------------------------------------------

same_text "worklist: count = db alerts" "$na" "$(sed -n 's/.*<span class="matched">\([0-9]*\)<.*/\1/p' "$work/alerts.html")"
seq1=$(grep -o 'name="seq" value="[0-9]*"' "$work/alerts.html" | head -1 | grep -o '[0-9][0-9]*')
rule1=$(grep -o 'type="hidden" name="rule" value="[^"]*"' "$work/alerts.html" | head -1 | sed 's/.*value="//; s/"//')
get /console/alerts/mark -b "$jar" --data-urlencode "seq=$seq1" --data-urlencode "rule=$rule1" \
  --data-urlencode "note=no CSRF"
expect_code "a mark without the CSRF token" 403
get /console/alerts/mark -b "$jar" --data-urlencode "csrf=$sc" --data-urlencode "seq=$seq1" \
  --data-urlencode "rule=nope" --data-urlencode "note=x"
expect_code "a mark of an alert that does not exist" 404
get /console/alerts/mark -b "$jar" --data-urlencode "csrf=$sc" --data-urlencode "seq=$seq1" \
  --data-urlencode "rule=$rule1" --data-urlencode "note=<b>已电话回访</b> & \"ok\""
expect_code "a handled mark" 303
case $(header Location) in /console/alerts\?*) ok ;; *) bad "after a mark: $(header Location)" ;; esac
get /console/alerts -b "$jar"
contains "the mark is shown, escaped" "$work/page.html" "&lt;b&gt;已电话回访&lt;/b&gt; &amp; &quot;ok&quot;"
contains "the mark names who" "$work/page.html" "BUREAU"
get "/console/alerts?open=1" -b "$jar"
same_text "open only: the handled alert is gone" "$((na - 1))" "$(sed -n 's/.*<span class="matched">\([0-9]*\)<.*/\1/p' "$work/page.html")"
get "/console/alerts?rule=$rule1&prefecture=430500&from=2022-01-01&to=2022-12-31" -b "$jar"
expect_code "the worklist filtered" 200
get "/console/alerts?rule=$rule1" -b "$jar"
same_text "filter by rule: the count of db alerts with that rule" \
  "$(awk -F, -v r="$rule1" 'NR > 1 && $3 == r' "$work/alerts.csv" | wc -l)" \
  "$(sed -n 's/.*<span class="matched">\([0-9]*\)<.*/\1/p' "$work/page.html")"
contains "filter by rule: the rule selected" "$work/page.html" "value=\"$rule1\" selected"
get "/console/alerts?rule=$rule1&to=2021-12-31" -b "$jar"
same_text "filter by date: none before 2022" 0 "$(sed -n 's/.*<span class="matched">\([0-9]*\)<.*/\1/p' "$work/page.html")"
get "/console/alerts?prefecture=110100" -b "$jar"
same_text "filter by prefecture: none in another prefecture" 0 "$(sed -n 's/.*<span class="matched">\([0-9]*\)<.*/\1/p' "$work/page.html")"
if [ "$have_db_sql" -eq 1 ]; then
  same_text "the mark is stored: who and the note as typed" "BUREAU|<b>已电话回访</b> & \"ok\"" \
    "$(db_sql "$db" 'SELECT who, note FROM alert_marks')"
  db_sql "$db" "UPDATE alert_marks SET note = 'x'" >/dev/null 2>"$work/err.txt"
  contains "marks are append-only" "$work/err.txt" "append-only"
else
  skip "alert_marks checks (no sqlite3 or psql shell)"
fi
aget /console/
same_text "overview: one alert handled" 1 "$(sed -n 's/.*<span id="alerts-handled">\([0-9]*\)<.*/\1/p' "$work/page.html")"

# ---- search -----------------------------------------------------------------------

aget "/console/search?q=A1"
contains "search a person" "$work/page.html" 'href="/console/persons/A1"'
aget "/console/search?q=A1-01"
contains "search a claim" "$work/page.html" 'href="/console/claims/A1-01"'
hh=$(awk -F, 'NR == 2 { print $2 }' "$case_dir/persons.csv")
aget "/console/search?q=$hh"
contains "search a household" "$work/page.html" "household member"
# the search box keeps what was searched, escaped in its attribute
aget "/console/search?q=A1-01"
contains "the search box keeps the query" "$work/page.html" 'aria-label="search" value="A1-01">'
aget "/console/search?q=%22%3E%3Cb%3Ex"
contains "... escaped" "$work/page.html" 'aria-label="search" value="&quot;&gt;&lt;b&gt;x">'
if grep -F -q '"><b>x' "$work/page.html"; then bad "... the query's markup is in the page"; else ok; fi
aget "/console/alerts"
if grep -F -q 'aria-label="search" value=' "$work/page.html"; then
  bad "another page's search box holds a value"
else ok; fi

# ---- hostile ids ---------------------------------------------------------------------

evil='<img src=x>"'"'"'&/x'
body=$(printf '{"claim_id":"C<script>1","person_id":"%s","date":"2022-03-01","visit_type":"inpatient","level":"grade3","medfee_sumamt":"100.00"}' \
  "$(printf '%s' "$evil" | sed 's/"/\\"/g')")
code=$(curl -s -m 30 -o "$work/resp.json" -w '%{http_code}' -H "Authorization: Bearer $hosp" -d "$body" "$base/v1/settlements")
expect_code "a claim of an unknown, hostile person (rejected, stored)" 422
aget "/console/persons/%3Cimg%20src%3Dx%3E%22%27%26%2Fx"
expect_code "the hostile person's page" 200
lacks "no markup from the id" "$work/page.html" "<img src=x>"
contains "the id escaped" "$work/page.html" "&lt;img src=x&gt;&quot;&#39;&amp;/x"
contains "the link re-encodes the id" "$work/page.html" 'href="/console/claims/C%3Cscript%3E1"'
aget "/console/search?q=C%3Cscript%3E1"
lacks "search: no markup from the query" "$work/page.html" "<script>1"
aget "/console/claims/A1-01%00x"
expect_code "an id with %00 is an id that does not exist" 404
lacks "access log: no person id" "$work/server.log" "A1-01"
lacks "access log: no token" "$work/server.log" "${adm#sbt_}"

# ---- logout ---------------------------------------------------------------------------

get /console/logout -b "$jar" -c "$jar" --data-urlencode "csrf=$sc"
expect_code "logout" 303
get /console/alerts -b "$jar"
expect_code "the session ends with logout" 303
stop_server "server"

# ---- an older ledger (schema 3) opens and is migrated ----------------------------------

if sqlite_only "the SQLite schema's migration (PostgreSQL has one schema version)" &&
  command -v sqlite3 >/dev/null 2>&1; then
  old=$work/old.db
  "$bin" db init --db "$old" >/dev/null 2>&1 && "$bin" db add-policy --db "$old" "$policy" >/dev/null 2>&1 &&
    "$bin" db import-persons --db "$old" --persons "$case_dir/persons.csv" >/dev/null 2>&1
  "$bin" db import-claims --db "$old" --claims "$case_dir/claims.csv" >/dev/null 2>&1
  sqlite3 "$old" "$sqlite_to_v5; DROP TRIGGER claims_claim_ids; DROP TABLE claim_ids;
    CREATE INDEX claims_claim_id ON claims(claim_id);
    DROP INDEX claims_person; DROP INDEX claims_reverses; DROP INDEX alerts_person;
    DROP TABLE alert_marks; PRAGMA user_version = 3"
  "$bin" db history --db "$old" --person A1 >"$work/old-hist.txt" 2>"$work/err.txt"
  rc=$?
  expect_rc "a schema-3 ledger opens" 0
  same_text "the schema-3 ledger is migrated to 8" 8 "$(sqlite3 "$old" 'PRAGMA user_version')"
  same_text "the migration made alert_marks" 1 \
    "$(sqlite3 "$old" "SELECT count(*) FROM sqlite_master WHERE name = 'alert_marks'")"
  same_file "the migrated ledger reads the same" "$work/hist.txt" "$work/old-hist.txt"
elif [ "$store" = sqlite ]; then
  skip "migration check (no sqlite3)"
fi
finish
