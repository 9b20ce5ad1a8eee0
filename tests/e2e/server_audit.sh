#!/bin/sh
# e2e: findings of the audit of the server and the console (the twentieth
# session), each a regression test of what was wrong before it:
#  - the request's framing: two Content-Length headers that differ, or a
#    Content-Length beside Transfer-Encoding, are 400 and the connection is
#    closed — before, the server read the first length and took the rest of
#    the body for a second request on the same connection (what a reverse
#    proxy that reads the other length would forward as part of the first
#    client's body: request smuggling);
#  - the console with a session and an Authorization header that is not a
#    bearer token (a reverse proxy's Basic credentials) serves the page —
#    before, it was 401 "unknown token" on every page;
#  - the login keeps the query of the page asked for (a bookmarked search
#    or a filtered worklist lands on itself, as docs/console.md says), and
#    takes a token pasted with white space around it (before: 401);
#  - numbers in the query are digits only: year=+2022, year=%202022,
#    after=+5, after=-0, limit=+10 are 400 (strtol took signs and spaces),
#    the console's year, page and prefecture too;
#  - a 405 on a GET route allows GET and HEAD (HEAD is accepted there);
#  - "fees" that is not a list is 400 naming fees, also without amounts
#    (before: "medfee_sumamt is required");
#  - a long unknown key is named cut at a character, never with U+FFFD;
#  - a policy's rule name longer than 64 bytes (25 Chinese characters): the
#    worklist filters on it (before: the filter was dropped, every alert
#    shown) and its alerts can be marked handled (before: 400).
# Usage: sh server_audit.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
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
  skip "no curl: the server is not tested"
  finish
fi
if perl -MIO::Socket::INET -e 1 2>/dev/null; then have_perl=1; else
  have_perl=0
  echo "NOTE: no perl with IO::Socket: the raw-socket cases are skipped"
fi

db=$(db_uri "$work/audit.db")
db_reset "$db"
if ! { "$bin" db init --db "$db" &&
  "$bin" db import-persons --db "$db" --persons "$case_dir/persons.csv"; } \
  >/dev/null 2>"$work/err.txt"; then
  bad "ledger setup"; sed 's/^/    /' "$work/err.txt"; finish
fi
run tokens add --file "$work/tokens" --institution H1 --role hospital
h1=$(cat "$work/out.txt")
run tokens add --file "$work/tokens" --institution BUREAU --role admin
adm=$(cat "$work/out.txt")
start_server "$db" "$work/server.log"

# req METHOD PATH TOKEN [CURL-ARGS...]: the answer in $work/resp.json, its
# headers in $work/resp.hdr, its status in $code; TOKEN - sends none
req() {
  _m=$1 _path=$2 _tok=$3
  shift 3
  set -- -s -m 30 -o "$work/resp.json" -D "$work/resp.hdr" -w '%{http_code}' -X "$_m" "$@"
  if [ "$_tok" != - ]; then set -- -H "Authorization: Bearer $_tok" "$@"; fi
  code=$(curl "$@" "$base$_path")
}
# header NAME: its value in the last answer
header() { tr -d '\r' <"$work/resp.hdr" | sed -n "s/^$1: //Ip" | head -1; }

claim() { # claim ID: a small outpatient claim of A1
  printf '{"claim_id":"%s","person_id":"A1","date":"2022-03-01","visit_type":"outpatient","level":"grade3","medfee_sumamt":"10.00"}' "$1"
}

# ---- the request's framing ---------------------------------------------------------

# RAW: send argv[2] (with \r\n for each \n) to 127.0.0.1:argv[1], half-close,
# print what comes back within 5 s
# shellcheck disable=SC2016  # a perl program
RAW='
use IO::Socket::INET;
my ($port, $text) = @ARGV;
$text =~ s/\n/\r\n/g;
$text =~ s/\\0/\0/g;
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Timeout => 5) or die "connect: $!";
print $s $text;
shutdown($s, 1);
my $out = "";
eval {
  local $SIG{ALRM} = sub { die "timeout\n" };
  alarm 5;
  while (sysread($s, my $b, 65536)) { $out .= $b }
  alarm 0;
};
$out =~ s/\r//g;
print $out;
'
if [ "$have_perl" -eq 1 ]; then
  body=$(claim SM-1)
  n=${#body}
  # what a proxy that reads the second length would take for one body: the
  # claim, then a GET of it riding along
  smug="GET /v1/settlements/SM-1 HTTP/1.1
Host: x
Authorization: Bearer $h1

"
  n2=$((n + ${#smug} + 6)) # the \r of each of its three lines and of the body's empty line
  perl -e "$RAW" "$port" "POST /v1/presettlements HTTP/1.1
Host: x
Authorization: Bearer $h1
Content-Length: $n
Content-Length: $n2

$body$smug" >"$work/raw.txt" 2>"$work/raw.err"
  head -1 "$work/raw.txt" >"$work/status.txt"
  contains "two Content-Length headers that differ: 400" "$work/status.txt" "HTTP/1.1 400"
  contains "... named as the body's framing" "$work/raw.txt" '"error":"bad_request"'
  answers=$(grep -c '^HTTP/1.1 ' "$work/raw.txt")
  same_text "... and nothing after it is read as a second request" 1 "$answers"
  contains "... the connection is closed" "$work/raw.txt" "Connection: close"

  perl -e "$RAW" "$port" "POST /v1/presettlements HTTP/1.1
Host: x
Authorization: Bearer $h1
Content-Length: 5
Transfer-Encoding: chunked

$(printf '%x' "$n")
$body
0

" >"$work/raw.txt" 2>"$work/raw.err"
  head -1 "$work/raw.txt" >"$work/status.txt"
  contains "Content-Length beside Transfer-Encoding: 400" "$work/status.txt" "HTTP/1.1 400"
  contains "... the connection is closed" "$work/raw.txt" "Connection: close"

  # the same length twice is no ambiguity: served
  perl -e "$RAW" "$port" "POST /v1/presettlements HTTP/1.1
Host: x
Authorization: Bearer $h1
Content-Length: $n
Content-Length: $n
Connection: close

$body" >"$work/raw.txt" 2>"$work/raw.err"
  head -1 "$work/raw.txt" >"$work/status.txt"
  contains "the same Content-Length twice: served" "$work/status.txt" "HTTP/1.1 200"

  # an HTTP/1.1 request without Host is 400 (RFC 9112 3.2; it was served)
  perl -e "$RAW" "$port" "GET /healthz HTTP/1.1
Connection: close

" >"$work/raw.txt" 2>"$work/raw.err"
  head -1 "$work/raw.txt" >"$work/status.txt"
  contains "an HTTP/1.1 request without Host: 400" "$work/status.txt" "HTTP/1.1 400"
  contains "... naming Host" "$work/raw.txt" '"field":"Host"'
  # HTTP/1.0 has no Host to send: served
  perl -e "$RAW" "$port" "GET /healthz HTTP/1.0

" >"$work/raw.txt" 2>"$work/raw.err"
  head -1 "$work/raw.txt" >"$work/status.txt"
  contains "an HTTP/1.0 request without Host: served" "$work/status.txt" " 200"

  # a request target in absolute form is read as its path and query (RFC
  # 9112 3.2.2; it was 404)
  perl -e "$RAW" "$port" "GET http://127.0.0.1:$port/healthz HTTP/1.1
Host: 127.0.0.1
Connection: close

" >"$work/raw.txt" 2>"$work/raw.err"
  head -1 "$work/raw.txt" >"$work/status.txt"
  contains "a target in absolute form: served" "$work/status.txt" "HTTP/1.1 200"
  perl -e "$RAW" "$port" "GET HTTP://127.0.0.1:$port/v1/alerts?limit=+1 HTTP/1.1
Host: 127.0.0.1
Authorization: Bearer $adm
Connection: close

" >"$work/raw.txt" 2>"$work/raw.err"
  contains "... its query read (limit=+1 refused)" "$work/raw.txt" '"field":"limit"'
  perl -e "$RAW" "$port" "GET http://127.0.0.1:$port HTTP/1.1
Host: 127.0.0.1
Connection: close

" >"$work/raw.txt" 2>"$work/raw.err"
  head -1 "$work/raw.txt" >"$work/status.txt"
  contains "... an empty path is /: 404 as /" "$work/status.txt" "HTTP/1.1 404"
else
  skip "the framing cases (no perl)"
fi
# a chunked body alone, and a plain one, are as before
req POST /v1/presettlements "$h1" --data-binary "$(claim CH-1)" -H 'Transfer-Encoding: chunked'
expect_code "a chunked body alone" 200
req POST /v1/presettlements "$h1" --data-binary "$(claim CH-2)"
expect_code "a body with its Content-Length" 200

# ---- numbers in the query ------------------------------------------------------------

for q in "year=%2B2022" "year=%202022" "year=2022%20" "year=02022" "year=-2022"; do
  req GET "/v1/persons/A1/balance?$q" "$adm"
  expect_code "balance ?$q" 400
done
req GET "/v1/persons/A1/balance?year=2022" "$adm"
expect_code "balance ?year=2022" 200
for q in "after=%2B5" "after=-0" "after=%205" "limit=%2B10" "limit=%2010" "limit=-1"; do
  req GET "/v1/alerts?$q" "$adm"
  expect_code "alerts ?$q" 400
done
req GET "/v1/alerts?after=0&limit=10" "$adm"
expect_code "alerts ?after=0&limit=10" 200

# ---- Allow ---------------------------------------------------------------------------

req POST /v1/settlements/X "$h1" -d '{}'
expect_code "POST to a GET route" 405
same_text "... Allow: GET, HEAD (HEAD is accepted wherever GET is)" "GET, HEAD" "$(header Allow)"
req GET /v1/settlements "$h1"
expect_code "GET to a POST route" 405
same_text "... Allow: POST" "POST" "$(header Allow)"

# ---- bodies --------------------------------------------------------------------------

for fees in '{}' 'null' '"x"' '3'; do
  req POST /v1/settlements "$h1" -d '{"claim_id":"F-1","person_id":"A1","date":"2022-03-01","visit_type":"outpatient","level":"grade3","fees":'"$fees"'}'
  expect_code "fees $fees without amounts" 400
  same_text "... names fees" fees "$(jget field)"
done
# a key of 40 three-byte characters: named cut at 79 bytes, at a character
key=$(awk 'BEGIN { for (i = 0; i < 40; i++) printf "\\u4e2d" }')
req POST /v1/settlements "$h1" -d '{"claim_id":"K-1","'"$key"'":"1"}'
expect_code "a long unknown key" 400
if grep -q 'fffd' "$work/resp.json"; then
  bad "a long unknown key is named with U+FFFD: $(cat "$work/resp.json")"
else ok; fi
field=$(jget field)
same_text "... cut after 26 whole characters (78 bytes)" 78 "$(printf %s "$field" | wc -c | tr -d ' ')"

# ---- the console ---------------------------------------------------------------------

# get PATH [CURL ARGS...]: the page in $work/page.html, headers in $work/resp.hdr
get() {
  _p=$1
  shift
  code=$(curl -s -m 30 -D "$work/resp.hdr" -o "$work/page.html" -w '%{http_code}' "$@" "$base$_p")
}
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$1" | head -1 | sed 's/.*value="//; s/"//'; }

# an answer the server gives on a console path before the console sees it
# (431: more than 32 query parameters) carries the console's headers too
q=$(i=0; while [ $i -lt 33 ]; do printf 'p%d=1&' $i; i=$((i + 1)); done)
get "/console/search?${q}q=A1"
expect_code "the console with 33 query parameters" 431
case $(header Content-Security-Policy) in
  "default-src 'none'"*) ok ;;
  *) bad "... its answer carries the console's Content-Security-Policy: '$(header Content-Security-Policy)'" ;;
esac
same_text "... and Cache-Control: no-store" no-store "$(header Cache-Control)"
same_text "... and X-Frame-Options" DENY "$(header X-Frame-Options)"
req GET "/v1/alerts?${q}x=1" "$adm"
expect_code "the API with 33 query parameters" 431
same_text "... its answer is no console page (no CSP)" "" "$(header Content-Security-Policy)"

# the query of the page asked for goes to the login and back
get "/console/search?q=A1&x=1"
expect_code "anonymous search" 303
same_text "... to the login with the query kept" \
  "/console/login?next=%2Fconsole%2Fsearch%3Fq%3DA1%26x%3D1" "$(header Location)"
jar=$work/jar
get "/console/login?next=%2Fconsole%2Fsearch%3Fq%3DA1%26x%3D1" -c "$jar" -b "$jar"
contains "the login form carries the way back, escaped" "$work/page.html" \
  'name="next" value="/console/search?q=A1&amp;x=1"'
lc=$(csrf_of "$work/page.html")
get /console/login -c "$jar" -b "$jar" --data-urlencode "csrf=$lc" --data-urlencode "token=$adm" \
  --data-urlencode "next=/console/search?q=A1&x=1"
expect_code "login" 303
same_text "... back to the search asked for" "/console/search?q=A1&x=1" "$(header Location)"
contains "... its link escaped" "$work/page.html" 'href="/console/search?q=A1&amp;x=1"'
get "/console/search?q=A1" -b "$jar"
expect_code "the search with the session" 200
contains "... finds the person" "$work/page.html" 'href="/console/persons/A1"'

# a token pasted with white space around it logs in (the API ignores the
# spaces around its bearer token too)
jar2=$work/jar2
get /console/login -c "$jar2" -b "$jar2"
lc=$(csrf_of "$work/page.html")
get /console/login -c "$jar2" -b "$jar2" --data-urlencode "csrf=$lc" \
  --data-urlencode "token= $adm
"
expect_code "login with a token pasted with a space and a line end" 303
get /console/ -b "$jar2"
expect_code "... its session" 200

# a reverse proxy's Basic credentials beside the session
get /console/ -b "$jar" -H "Authorization: Basic dXNlcjpwYXNz"
expect_code "a session with Basic credentials beside it" 200
get /console/ -H "Authorization: Basic dXNlcjpwYXNz"
expect_code "Basic credentials alone: to the login" 303
get /console/ -b "$jar" -H "Authorization: Bearer sbt_0000"
expect_code "a session with an unknown bearer token beside it" 401
get /console/ -H "Authorization: bearer $adm"
expect_code "a bearer token, the scheme in lower case" 200

# the console's numbers too
for q in "/console/?year=%2B2022" "/console/?year=%202022" "/console/alerts?page=%2B1" \
  "/console/alerts?prefecture=%20430500" "/console/alerts?prefecture=%2B430500"; do
  get "$q" -H "Authorization: Bearer $adm"
  expect_code "console $q" 400
done
get "/console/alerts?prefecture=430500&page=1" -H "Authorization: Bearer $adm"
expect_code "console /console/alerts?prefecture=430500&page=1" 200

stop_server "the stop"

# ---- a policy whose rule names pass 64 bytes (25 Chinese characters each) ------------

r1=脱贫人口年度个人负担超过农村居民人均可支配收入一半
r2=一般人员年度个人负担超过农村居民人均可支配收入全额
sed "s/\"lifted-half-rural-income\"/\"$r1\"/; s/\"rural-full-income\"/\"$r2\"/" \
  "$case_dir/policy-2022.json" >"$work/long-rules.json"
policy=$work/long-rules.json
db2=$(db_uri "$work/long.db")
db_reset "$db2"
if ! { "$bin" db init --db "$db2" && "$bin" db import-persons --db "$db2" --persons "$case_dir/persons.csv" &&
  "$bin" db add-policy --db "$db2" "$policy" &&
  { "$bin" db import-claims --db "$db2" --claims "$case_dir/claims.csv" || [ $? -eq 1 ]; }; } \
  >/dev/null 2>"$work/err.txt"; then
  bad "ledger setup (long rule names)"; sed 's/^/    /' "$work/err.txt"; finish
fi
start_server "$db2" "$work/server2.log"
matched() { sed -n 's/.*class="matched">\([0-9]*\)<.*/\1/p' "$work/page.html"; }
get /console/alerts -H "Authorization: Bearer $adm"
same_text "the worklist: the one alert" 1 "$(matched)"
seq=$(grep -o 'name="seq" value="[0-9]*"' "$work/page.html" | head -1 | sed 's/[^0-9]//g')
get /console/alerts -G --data-urlencode "rule=$r2" -H "Authorization: Bearer $adm"
expect_code "the worklist filtered on a rule of 75 bytes" 200
same_text "... its own alerts only (none; before: every alert)" 0 "$(matched)"
get /console/alerts -G --data-urlencode "rule=$r1" -H "Authorization: Bearer $adm"
same_text "... the other rule's alert" 1 "$(matched)"
get /console/alerts/mark -H "Authorization: Bearer $adm" --data-urlencode "seq=$seq" \
  --data-urlencode "rule=$r1" --data-urlencode "note=已核实" --data-urlencode "f_rule=$r1"
expect_code "an alert of a rule of 75 bytes marked handled (before: 400)" 303
case $(header Location) in
  "/console/alerts?page=1&rule=%E8%84%B1"*"&marked=$seq") ok ;;
  *) bad "... back to the worklist filtered on the rule: $(header Location)" ;;
esac
get /console/alerts -H "Authorization: Bearer $adm"
contains "... the mark is shown" "$work/page.html" "BUREAU: 已核实"
get /console/alerts/mark -H "Authorization: Bearer $adm" --data-urlencode "seq=$seq" \
  --data-urlencode "rule=${r2}x" --data-urlencode "note=-"
expect_code "a mark for a rule the alert has not" 404
contains "... named whole" "$work/page.html" "$seq / ${r2}x"
stop_server "the stop (long rule names)"
finish
