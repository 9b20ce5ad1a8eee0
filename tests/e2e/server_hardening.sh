#!/bin/sh
# e2e: the server's hardening (docs/api.md, docs/decisions.md "The server:
# hardening"), each a regression test of a bug found in review:
#  - slow headers: clients that send a header line now and then, never idle
#    for --timeout, are cut --timeout after their connection was ready for a
#    request, and a normal request is served while they trickle; a client
#    address holds at most --max-per-ip connections (the next one is closed
#    at once), and a closed one frees its place;
#  - the graceful stop with the connection limit reached exits 0 (built with
#    ThreadSanitizer, scripts/test.sh, the listening socket closed while a
#    worker still used it was a data race); a new connection during the stop
#    is refused at once;
#  - a claim id ending in "/reversal" (sent as %2F) reads back; an empty id in
#    the path is 400 naming it; 200 query parameters are 431, a
#    12 KiB header is read, 300 are dropped unanswered and the request
#    still ends (freed, not in flight, no wait at the stop); after= past
#    int64 is 400; a tokens file holding one hash twice stops the start
#    (exit 2, naming FILE:LINE); a claim_id, person_id or date over 64 bytes,
#    or a reversal's path id over 64 bytes, is 422 and not stored;
#  - the `serve --help` example runs; a pre-settlement says "presettled";
#    api.md says a pre-settlement is 200; every log line after "listening"
#    is timestamped, the second signal's too;
#  - `tokens revoke` (by institution, by the hash prefix `tokens list`
#    shows) rewrites the file keeping its mode; SIGHUP re-reads the tokens,
#    the registry and the policies: a person imported while serving settles,
#    a new year's policy applies, a revoked token is 401, a request under way
#    is unaffected, a bad tokens file keeps the old tokens and logs why.
# Usage: sh server_hardening.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
# shellcheck source-path=SCRIPTDIR source=lib/server.sh
. "$(dirname "$0")/lib/server.sh"
srvpid=
# replaces common.sh's EXIT trap: a server still running is killed first
trap '[ -n "$srvpid" ] && kill -KILL "$srvpid" 2>/dev/null; store_cleanup; rm -rf "$work"' EXIT
case_dir=$root/tests/golden/basics
policy=$case_dir/policy-2022.json
if ! command -v curl >/dev/null 2>&1; then
  skip "no curl: the server is not tested"
  finish
fi
if perl -MIO::Socket::INET -MIO::Select -e 1 2>/dev/null; then have_perl=1; else
  have_perl=0
  echo "NOTE: no perl with IO::Socket: the raw-socket cases are skipped"
fi

# ---- helpers -------------------------------------------------------------------

# req METHOD PATH TOKEN [CURL-ARGS...]: the answer in $work/resp.json, its
# status in $code; TOKEN - sends no Authorization header
req() {
  _m=$1 _path=$2 _tok=$3
  shift 3
  set -- -s -m 30 -o "$work/resp.json" -D "$work/resp.hdr" -w '%{http_code}' -X "$_m" "$@"
  if [ "$_tok" != - ]; then set -- -H "Authorization: Bearer $_tok" "$@"; fi
  code=$(curl "$@" "$base$_path")
}

# post PATH TOKEN BODY: POST a body given as text (or @FILE)
post() { req POST "$1" "$2" -H 'Content-Type: application/json' --data-binary "$3"; }

# expect_error NAME CODE ERROR [FIELD]
expect_error() {
  expect_code "$1" "$2" || return 0
  same_text "$1: error" "$3" "$(jget error)"
  if [ "$#" -ge 4 ]; then same_text "$1: field" "$4" "$(jget field)"; fi
}

# rows DB: how many rows the ledger holds (received claims)
rows() {
  "$bin" db export-settlements --db "$1" --out "$work/rows.csv" 2>/dev/null
  echo $(($(wc -l <"$work/rows.csv") - 1))
}

# start_exit NAME WANT ARGS...: `sanbao serve ARGS` must exit WANT by itself
# within 10 s (a server that keeps running is stopped: a failure); its
# standard error in $work/start.err
start_exit() {
  _n=$1 _want=$2
  shift 2
  "$bin" serve "$@" --listen 127.0.0.1:0 --stats 0 2>"$work/start.err" &
  _p=$!
  _i=0
  while [ "$_i" -lt 100 ] && kill -0 "$_p" 2>/dev/null; do sleep 0.1; _i=$((_i + 1)); done
  if kill -0 "$_p" 2>/dev/null; then
    kill -KILL "$_p" 2>/dev/null
    wait "$_p" 2>/dev/null
    bad "$_n: the server started (expected exit $_want)"
    return 1
  fi
  wait "$_p"
  _st=$?
  same_text "$_n: exit status" "$_want" "$_st"
}

# hup: SIGHUP the server and wait until its log says how the reload went
hup() {
  _before=$(grep -c 'reload' "$srvlog")
  kill -HUP "$srvpid"
  _i=0
  while [ "$_i" -lt 100 ] && [ "$(grep -c 'reload' "$srvlog")" -le "$_before" ]; do
    sleep 0.1
    _i=$((_i + 1))
  done
}

claim() { # ID PERSON DATE [AMOUNT]: a settlement body
  printf '{"claim_id":"%s","person_id":"%s","date":"%s","visit_type":"outpatient","level":"primary","medfee_sumamt":"%s"}' \
    "$1" "$2" "$3" "${4:-10}"
}

# ---- a ledger over basics, tokens ------------------------------------------------

db=$work/ledger.db
if ! { "$bin" db init --db "$db" && "$bin" db import-persons --db "$db" --persons "$case_dir/persons.csv"; } 2>"$work/err.txt"; then
  bad "db init / import-persons"; sed 's/^/    /' "$work/err.txt"; finish
fi
for inst in H1 H2 H3; do
  run tokens add --file "$work/tokens" --institution "$inst" --role hospital
  expect_rc "tokens add $inst" 0
  eval "tok_$inst=\$(cat \"\$work/out.txt\")"
done
run tokens add --file "$work/tokens" --institution BUREAU --role admin
adm=$(cat "$work/out.txt")
# shellcheck disable=SC2154  # set by the eval above
h1=$tok_H1 h2=$tok_H2 h3=$tok_H3

# ---- item 8: the API ---------------------------------------------------------------

start_server "$db" "$work/api.log"

# a claim id ending in "/reversal", sent as %2F as docs/api.md recommends
post /v1/settlements "$h1" "$(claim 'X/reversal' A1 2022-02-01)"
expect_code "settle the claim id X/reversal" 201
req GET /v1/settlements/X%2Freversal "$h1"
expect_code "GET /v1/settlements/X%2Freversal reads it back" 200
same_text "GET X%2Freversal: the claim id" "X/reversal" "$(jget claim_id)"
req GET /v1/settlements/X%2freversal "$h1"
expect_code "GET with a lower-case %2f" 200
post /v1/settlements/X%2Freversal/reversal "$h1" '{"claim_id":"X/reversal/R","person_id":"A1","date":"2022-02-02"}'
expect_code "reverse X%2Freversal" 201
same_text "reverse X%2Freversal: status" reversed "$(jget status)"
req GET /v1/settlements/X%2Freversal%2FR "$h1"
expect_code "GET the reversal X/reversal/R" 200
same_text "GET X/reversal/R: status" reversed "$(jget status)"
req POST /v1/settlements/X%2Freversal "$h1" --data-binary '{}'
expect_error "POST to a claim (not its reversal)" 405 method_not_allowed
contains "POST to a claim: Allow: GET" "$work/resp.hdr" "Allow: GET"

# an empty id in the path: 400 about the id, not 405 (or a 404 "no route")
post /v1/settlements//reversal "$h1" '{"claim_id":"E-1","person_id":"A1","date":"2022-02-03"}'
expect_error "POST /v1/settlements//reversal" 400 bad_request claim_id
req GET /v1/settlements/ "$h1"
expect_error "GET /v1/settlements/" 400 bad_request claim_id
req GET "/v1/persons//balance?year=2022" "$adm"
expect_error "GET /v1/persons//balance" 400 bad_request person_id
req GET /v1/settlements/ -
expect_error "GET /v1/settlements/ without a token: the path first" 400 bad_request claim_id

# 200 query parameters: 431, not an empty reply (libmicrohttpd's connection
# memory holds their records); a 12 KiB header still fits in it
q=$(awk 'BEGIN { for (i = 0; i < 200; i++) printf "&p%d=%d", i, i }')
req GET "/v1/alerts?limit=1$q" "$adm"
expect_code "200 query parameters" 431
same_text "200 query parameters: error" too_large "$(jget error)"
same_text "200 query parameters: field" query "$(jget field)"
big=$(awk 'BEGIN { while (n++ < 12288) printf "x" }')
req GET "/v1/alerts?limit=1" "$adm" -H "X-Padding: $big"
expect_code "a 12 KiB header" 200
req GET "/v1/alerts?limit=1&after=0&since=2022-01-01" "$adm"
expect_code "three query parameters" 200
req GET /healthz -
expect_code "still serving after the 431" 200

# after= past int64
req GET "/v1/alerts?after=9223372036854775807" "$adm"
expect_code "after=2^63-1" 200
req GET "/v1/alerts?after=9223372036854775808" "$adm"
expect_error "after=2^63 (past int64)" 400 bad_request after
req GET "/v1/alerts?after=99999999999999999999999" "$adm"
expect_error "after= 23 digits" 400 bad_request after

# an id over 64 bytes is refused before it reaches the ledger
big=$(awk 'BEGIN { for (i = 0; i < 16000; i++) printf "x" }')
id64=$(awk 'BEGIN { for (i = 0; i < 64; i++) printf "y" }')
n0=$(rows "$db")
post /v1/settlements "$h1" "$(claim "$big" A1 2022-02-04)"
expect_code "a 16,000-byte claim_id" 422
same_text "a 16,000-byte claim_id: reason" MALFORMED_ROW "$(jget reason)"
same_text "a 16,000-byte claim_id: echoed" 16000 "$(jget claim_id | awk '{ print length($0) }')"
post /v1/settlements "$h1" "$(claim L-1 "$big" 2022-02-04)"
expect_code "a 16,000-byte person_id" 422
same_text "a 16,000-byte person_id: reason" MALFORMED_ROW "$(jget reason)"
post /v1/settlements "$h1" "$(claim L-2 A1 "$big")"
expect_code "a 16,000-byte date" 422
same_text "a 16,000-byte date: reason" MALFORMED_ROW "$(jget reason)"
post /v1/presettlements "$h1" "$(claim "$big" A1 2022-02-04)"
expect_code "a 16,000-byte claim_id, pre-settled" 422
# (a path within the request line libmicrohttpd holds, about 15 KiB)
path_id=$(awk 'BEGIN { for (i = 0; i < 12000; i++) printf "x" }')
post "/v1/settlements/$path_id/reversal" "$h1" '{"claim_id":"L-R","person_id":"A1","date":"2022-02-05"}'
expect_code "a reversal of a 12,000-byte path id" 422
same_text "a 12,000-byte path id: reason" UNKNOWN_CLAIM "$(jget reason)"
post /v1/settlements "$h1" "$(claim "${id64}z" A1 2022-02-04)"
expect_code "a 65-byte claim_id" 422
same_text "a 65-byte claim_id: reason" MALFORMED_ROW "$(jget reason)"
same_text "over 64 bytes: nothing stored" "$n0" "$(rows "$db")"
post /v1/settlements "$h1" "$(claim "$id64" A1 2022-02-04)"
expect_code "a 64-byte claim_id settles" 201
post /v1/settlements "$h1" "$(claim L-3 A1 2022-02-30)"
expect_code "a short malformed date is still recorded" 422
same_text "the 64-byte id and the short bad date are stored" "$((n0 + 2))" "$(rows "$db")"

# item 12: a pre-settlement says so
post /v1/presettlements "$h1" "$(claim P-1 A1 2022-02-06)"
expect_code "pre-settle" 200
same_text "a pre-settlement's status" presettled "$(jget status)"
post /v1/settlements "$h1" "$(claim P-1 A1 2022-02-06)"
expect_code "settle it" 201
same_text "the settlement's status" settled "$(jget status)"
post /v1/presettlements "$h1" "$(claim P-1 A1 2022-02-06)"
expect_code "pre-settle the settled claim (a replay)" 200
same_text "a replayed pre-settlement: the stored status" settled "$(jget status)"
same_text "a replayed pre-settlement: replayed" true "$(jget replayed)"
stop_server "SIGTERM (the API server)"

# a tokens file holding one hash twice
cp "$work/tokens" "$work/tokens.dup"
h1line=$(grep -n ' H1$' "$work/tokens" | cut -d: -f1)
grep ' H1$' "$work/tokens" | sed 's/ hospital H1$/ admin H1/' >>"$work/tokens.dup"
duplines=$(wc -l <"$work/tokens.dup")
start_exit "serve with a hash twice in the tokens file" 2 --db "$db" --tokens "$work/tokens.dup"
contains "the duplicate names FILE:LINE" "$work/start.err" "tokens.dup:$duplines"
contains "the duplicate names the first line" "$work/start.err" "line $h1line"
run tokens list --file "$work/tokens.dup"
expect_rc "tokens list of a file with a hash twice" 2

# ---- item 12: the help's example, the docs, the log -----------------------------------

"$bin" serve --help >"$work/help.txt"
# its lines that make the ledger: `sanbao db init …`, `sanbao db import-persons …`
sed -n '/^EXAMPLE/,$p' "$work/help.txt" | grep '^ *sanbao db ' | sed 's/^ *//' >"$work/example.sh"
same_text "serve --help: the example makes a ledger and imports persons" 2 \
  "$(grep -c -e 'sanbao db init' -e 'sanbao db import-persons' "$work/example.sh")"
mkdir -p "$work/ex"
cp "$case_dir/persons.csv" "$work/ex/persons.csv"
(cd "$work/ex" && sanbao() { "$bin" "$@"; } && set -e && . "$work/example.sh") >"$work/ex.out" 2>&1
rc=$?
same_text "serve --help's example (db init, import-persons) runs" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/    /' "$work/ex.out" | head -3
contains "serve --help documents --max-per-ip" "$work/help.txt" "--max-per-ip"
if grep -q 'Pre-settle\*\* with the explanation (201' "$root/docs/api.md"; then
  bad "docs/api.md says the pre-settlement example answers 201"
else ok; fi
contains "docs/api.md documents --max-per-ip" "$root/docs/api.md" "--max-per-ip"
contains "docs/api.md documents presettled" "$root/docs/api.md" '"presettled"'
contains "docs/openapi.yaml documents presettled" "$root/docs/openapi.yaml" "presettled"

# the log: every line after "listening on" is timestamped, the second signal's too
tsre='^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z sanbao serve: '
start_server "$db" "$work/log.log" --grace 20 --access-log
req GET /healthz -
(sleep 3; printf '{}') | curl -s -m 20 -X POST -T - -H "Authorization: Bearer $h1" \
  -o /dev/null "$base/v1/presettlements" 2>/dev/null &
slowpid=$!
sleep 0.5
kill -TERM "$srvpid"
sleep 0.5
kill -TERM "$srvpid"
wait "$srvpid"
st=$?
srvpid=
wait "$slowpid" 2>/dev/null
same_text "a second SIGTERM: exit 2 at once" 2 "$st"
contains "the log says second signal" "$work/log.log" "second signal"
awk '/listening on/ { on = 1; next } on' "$work/log.log" | grep -v -e "$tsre" >"$work/untimed.txt"
if [ -s "$work/untimed.txt" ]; then
  bad "log lines after 'listening on' without a timestamp:"; sed 's/^/    /' "$work/untimed.txt" | head -3
else ok; fi

# ---- item 13: tokens revoke, SIGHUP ---------------------------------------------------

chmod 600 "$work/tokens"
cp "$work/tokens" "$work/tokens.before"
run tokens revoke --file "$work/tokens" --institution H3
expect_rc "tokens revoke --institution H3" 0
grep -v ' H3$' "$work/tokens.before" >"$work/tokens.want"
same_file "revoke H3: only its line is gone" "$work/tokens.want" "$work/tokens"
same_text "revoke H3: the mode is kept" 600 "$(stat -c %a "$work/tokens")"
no_tmp "revoke H3: no temporary file" "$work"
run tokens revoke --file "$work/tokens" --institution H3
expect_rc "revoke H3 again: no such token" 2
run tokens revoke --file "$work/tokens" --institution H1 --hash sha256:00
expect_rc "revoke by institution and hash at once" 2

start_server "$db" "$work/hup.log"
post /v1/settlements "$h2" "$(claim H2-1 A1 2022-03-01)"
expect_code "H2 settles before the revocation" 201
post /v1/settlements "$h1" "$(claim N-1 NEW1 2022-03-01)"
expect_code "a person not yet imported" 422
same_text "a person not yet imported: reason" UNKNOWN_PERSON "$(jget reason)"
sed 's/"year": 2022/"year": 2023/' "$policy" >"$work/policy-2023.json"
post /v1/settlements "$h1" "$(claim Y-1 A1 2023-01-10)"
same_text "a 2023 claim before its policy is stored: reason" NO_POLICY "$(jget reason)"

# while serving: a person imported, a 2023 policy stored, H2's token revoked
printf 'person_id,household_id,region,category,valid_from,valid_to\nNEW1,HN,430521,general,2022-01-01,\n' >"$work/new.csv"
run db import-persons --db "$db" --persons "$work/new.csv"
expect_rc "import-persons while serving" 0
run db add-policy --db "$db" "$work/policy-2023.json"
expect_rc "add-policy 2023 while serving" 0
"$bin" tokens list --file "$work/tokens" >"$work/list.txt"
h2hash=$(awk '$2 == "H2" { sub(/\.\.\.$/, "", $3); print $3 }' "$work/list.txt")
case $h2hash in sha256:????????) ok ;; *) bad "tokens list: H2's hash prefix '$h2hash'" ;; esac
run tokens revoke --file "$work/tokens" --hash "$h2hash..."
expect_rc "tokens revoke --hash (as tokens list shows it)" 0
if grep -q ' H2$' "$work/tokens"; then bad "revoke --hash: H2's line is still there"; else ok; fi
# not yet re-read: the old tokens and registry still hold
post /v1/settlements "$h2" "$(claim H2-2 A1 2022-03-02)"
expect_code "H2 before SIGHUP: still accepted" 201

# a request under way when SIGHUP comes (its headers read, its body not yet)
(sleep 2; claim H2-3 A1 2022-03-03) | curl -s -m 20 -X POST -T - -H "Authorization: Bearer $h2" \
  -o "$work/inflight.json" -w '%{http_code}' "$base/v1/settlements" >"$work/inflight.code" 2>/dev/null &
inflight=$!
sleep 0.5
hup
contains "SIGHUP: the log says reloaded" "$srvlog" "reloaded"
post /v1/settlements "$h1" "$(claim N-1 NEW1 2022-03-01)"
expect_code "after SIGHUP: the new person settles" 201
same_text "after SIGHUP: the new person's status" settled "$(jget status)"
post /v1/settlements "$h1" "$(claim Y-1 A1 2023-01-10)"
expect_code "after SIGHUP: the 2023 policy applies" 201
post /v1/settlements "$h2" "$(claim H2-4 A1 2022-03-04)"
expect_error "after SIGHUP: the revoked token" 401 unauthorized
wait "$inflight"
same_text "the request under way at SIGHUP is answered" 201 "$(cat "$work/inflight.code")"
req GET /v1/settlements/A1-01 "$h1"
expect_code "H1 after SIGHUP" 404

# a bad tokens file: the old tokens stay, the log says why
cp "$work/tokens" "$work/tokens.good"
echo "sha256:nothex hospital H9" >>"$work/tokens"
badline=$(wc -l <"$work/tokens")
hup
contains "a bad tokens file: the log names FILE:LINE" "$srvlog" "tokens:$badline"
contains "a bad tokens file: the log says the old data is kept" "$srvlog" "kept"
post /v1/settlements "$h1" "$(claim K-1 A1 2022-03-05)"
expect_code "a bad tokens file: H1 still served" 201
post /v1/settlements "$h2" "$(claim K-2 A1 2022-03-05)"
expect_code "a bad tokens file: the revoked H2 stays revoked" 401
cp "$work/tokens.good" "$work/tokens"
stop_server "SIGTERM (the SIGHUP server)"

# ---- item 5: slow headers, connections per address -----------------------------------

# slowloris PORT N SECONDS: N connections each sending the request line then
# a header line every 0.25 s, never ending the headers, for SECONDS; prints
# per connection when the server closed it ("open" if it did not), in
# quarter seconds
# shellcheck disable=SC2016  # a perl program
SLOW='
use IO::Socket::INET; use IO::Select;
$SIG{PIPE} = "IGNORE";
my ($port, $n, $secs) = @ARGV;
my @s = map { IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port) or die "connect: $!" } 1 .. $n;
syswrite($_, "GET /healthz HTTP/1.1\r\nHost: x\r\n") for @s;
my %closed; my $q = 0;
while ($q < 4 * $secs && keys %closed < $n) {
  select(undef, undef, undef, 0.25); $q++;
  for my $i (0 .. $#s) {
    next if exists $closed{$i};
    my $buf;
    if (IO::Select->new($s[$i])->can_read(0)) { my $r = sysread($s[$i], $buf, 4096); if (!$r) { $closed{$i} = $q; next } }
    $closed{$i} = $q unless defined syswrite($s[$i], "X-Slow: $q\r\n");
  }
}
print join(" ", map { exists $closed{$_} ? $closed{$_} : "open" } 0 .. $#s), "\n";
'
# perip PORT N: N connections held open, then one more: prints whether the
# extra one was closed by the server at once ("closed"/"open"), then the
# status line the first one gets for GET /healthz
# shellcheck disable=SC2016  # a perl program
PERIP='
use IO::Socket::INET; use IO::Select;
$SIG{PIPE} = "IGNORE";
my ($port, $n) = @ARGV;
my @s = map { IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port) or die "connect: $!" } 1 .. $n;
select(undef, undef, undef, 0.3);
my $x = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port);
my $extra = "open";
if (!$x) { $extra = "closed" }
elsif (IO::Select->new($x)->can_read(2)) { my $buf; $extra = "closed" unless sysread($x, $buf, 4096) }
syswrite($s[0], "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
my $line = "none";
if (IO::Select->new($s[0])->can_read(5)) { my $buf; sysread($s[0], $buf, 4096); ($line) = split /\r\n/, $buf }
print "$extra $line\n";
'
# 300 query parameters run libmicrohttpd's connection memory out before
# sanbao sees the request: no answer, the connection cut at --timeout, and
# the request ended all the same (it was never freed: the in-flight gauge
# stayed up for good and the graceful stop waited its 10 s for it)
start_server "$db" "$work/drop.log" --timeout 2 --access-log
q=$(awk 'BEGIN { for (i = 0; i < 300; i++) printf "&p%d=%d", i, i }')
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $adm" "$base/v1/alerts?limit=1$q")
same_text "300 query parameters: no answer" 000 "$code"
# the connection is cut before libmicrohttpd tells sanbao the request ended:
# the count and the log line follow within moments (once in five runs they
# were read before it), so wait for them a little
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  [ "$(metric 'sanbao_http_requests_total{route="other",code="other"}')" = 1 ] && break
  sleep 0.1
done
same_text "300 query parameters: the request ended (only /metrics in flight)" 1 \
  "$(metric sanbao_requests_in_flight)"
# Twice in about ten CI runs (a loaded machine, never here with two busy
# loops beside it) neither a count nor a log line came, the gauge back at 1
# all the same: libmicrohttpd had not handed the request line to sanbao
# (on_uri) when the connection was cut, so there was no request to end.
# What matters -- nothing left in flight, the stop below not held up -- is
# checked either way; the count and the log line when the request was seen.
dropped=$(metric 'sanbao_http_requests_total{route="other",code="other"}')
if [ "$dropped" = 0 ] && ! grep -q 'dropped by libmicrohttpd' "$srvlog"; then
  echo "NOTE: 300 query parameters: the connection was cut before libmicrohttpd passed the request on (nothing to count)"
  sed 's/^/    server log: /' "$srvlog" | tail -3
else
  same_text "300 query parameters: counted" 1 "$dropped"
  same_text "300 query parameters: in the access log" 1 "$(grep -c ' other 0 .*dropped by libmicrohttpd' "$srvlog")"
fi
t0=$(date +%s)
stop_server "SIGTERM after a dropped request"
if [ $(($(date +%s) - t0)) -le 5 ]; then ok; else bad "the stop after a dropped request took $(($(date +%s) - t0)) s"; fi

if [ "$have_perl" -eq 1 ]; then
  start_server "$db" "$work/slow.log" --timeout 2 --max-connections 3 --access-log
  perl -e "$SLOW" "$port" 3 8 >"$work/slow.txt" 2>"$work/slow.err" &
  slowpid=$!
  sleep 0.7
  code=$(curl -s -m 6 -o /dev/null -w '%{http_code}' "$base/healthz" 2>/dev/null)
  same_text "a normal request while 3 slow-header clients hold every connection" 200 "$code"
  wait "$slowpid"
  read -r c1 c2 c3 <"$work/slow.txt"
  for c in "${c1:-none}" "${c2:-none}" "${c3:-none}"; do
    case $c in
      open | none) bad "a slow-header client was not cut with --timeout 2 (after 8 s: $c)"; head -2 "$work/slow.err" ;;
      *) ok ;;
    esac
  done
  same_text "the cut slow-header requests count as 408" 3 "$(metric 'sanbao_http_requests_total{route="other",code="408"}')"
  # the access log: each cut after 2 s (from its request line), not much later
  awk '/ other 408 .*connection ended early/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+us$/) { sub(/us$/, "", $i); print $i } }' \
    "$srvlog" >"$work/cut.txt"
  same_text "three cut requests in the access log" 3 "$(wc -l <"$work/cut.txt" | tr -d ' ')"
  while read -r us; do
    if [ "$us" -ge 1500000 ] && [ "$us" -le 4000000 ]; then ok; else bad "a slow-header request cut after ${us}us, want about 2 s"; fi
  done <"$work/cut.txt"
  stop_server "SIGTERM (the slow-header server)"

  # the graceful stop with every connection taken: exit 0 (ThreadSanitizer
  # saw the listening socket closed under a worker here), and a new
  # connection during the stop is refused at once
  start_server "$db" "$work/stop.log" --max-connections 2 --timeout 10
  (sleep 3; printf '{}') | curl -s -m 20 -X POST -T - -H "Authorization: Bearer $h1" \
    -o /dev/null "$base/v1/presettlements" 2>/dev/null &
  held1=$!
  (sleep 3; printf '{}') | curl -s -m 20 -X POST -T - -H "Authorization: Bearer $h1" \
    -o /dev/null "$base/v1/presettlements" 2>/dev/null &
  held2=$!
  sleep 0.5
  kill -TERM "$srvpid"
  sleep 0.5
  t0=$(date +%s)
  code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$base/healthz" 2>/dev/null)
  t1=$(date +%s)
  same_text "during the stop: a new connection gets no answer" 000 "$code"
  if [ $((t1 - t0)) -le 1 ]; then ok; else bad "during the stop: a new connection waited $((t1 - t0)) s (not refused)"; fi
  wait "$held1" "$held2"
  wait "$srvpid"
  st=$?
  srvpid=
  if [ "$st" -eq 0 ]; then ok; else
    bad "SIGTERM at the connection limit: exit status $st$(signal_note "$st")"; tail -5 "$work/stop.log" | sed 's/^/    stderr: /'
  fi

  start_server "$db" "$work/perip.log" --max-per-ip 2 --timeout 10
  perl -e "$PERIP" "$port" 2 >"$work/perip.txt" 2>"$work/perip.err"
  same_text "--max-per-ip 2: a third connection is closed, the first served" \
    "closed HTTP/1.1 200 OK" "$(cat "$work/perip.txt")"
  req GET /healthz -
  expect_code "--max-per-ip 2: served again once they are closed" 200
  stop_server "SIGTERM (the per-address server)"
else
  skip "slow headers and --max-per-ip (no perl)"
fi

finish
