# Shared by the server's e2e scripts (server*.sh): starting and stopping
# `sanbao serve` on a free loopback port, and reading its answers.  Sourced after
# common.sh; uses $bin, $work, $policy and sets srvpid, srvlog, port, base.
# shellcheck shell=sh disable=SC2034,SC2154

# start_server DB LOG [ARGS...]: the server on a free port (the port is read
# from its "listening on" line); sets srvpid, srvlog, port, base
start_server() {
  _db=$1 srvlog=$2
  shift 2
  : >"$srvlog" # before the background shell opens it, so the loop below can read it
  "$bin" serve --db "$_db" --tokens "$work/tokens" --policy "$policy" --listen 127.0.0.1:0 \
    --stats 0 "$@" 2>"$srvlog" &
  srvpid=$!
  _i=0
  port=
  while [ "$_i" -lt 100 ]; do
    port=$(sed -n 's|^sanbao serve: listening on http://127\.0\.0\.1:\([0-9][0-9]*\) .*|\1|p' "$srvlog")
    [ -n "$port" ] && break
    kill -0 "$srvpid" 2>/dev/null || break
    sleep 0.1
    _i=$((_i + 1))
  done
  if [ -z "$port" ]; then
    bad "the server did not start"; sed 's/^/    stderr: /' "$srvlog" | head -5
    finish
  fi
  ok
  base=http://127.0.0.1:$port
}

# stop_server NAME: SIGTERM, then its exit status must be 0 (a server still
# running 30 s later is killed: a failure)
stop_server() {
  kill -TERM "$srvpid"
  (sleep 30 && kill -KILL "$srvpid") >/dev/null 2>&1 &
  _wd=$!
  wait "$srvpid"
  _st=$?
  kill "$_wd" 2>/dev/null
  srvpid=
  if [ "$_st" -eq 0 ]; then ok; else
    bad "$1: exit status $_st$(signal_note "$_st")"; tail -5 "$srvlog" | sed 's/^/    stderr: /'
  fi
}

# The start of an awk program that reads a JSON answer about one claim (one
# line): get(s, k) is the first value of key k in s ("" for null, "\001" when
# absent — the top-level keys come before "balance" and "trace", so the first
# occurrence is the top-level one), and col[1..n] are docs/reference/formats.md §4's columns.
# shellcheck disable=SC2016  # an awk program
ANSWER_AWK='
function get(s, k,   i, v) {
  i = index(s, "\"" k "\":")
  if (!i) return "\001"
  v = substr(s, i + length(k) + 3)
  if (substr(v, 1, 1) == "\"") { v = substr(v, 2); return substr(v, 1, index(v, "\"") - 1) }
  match(v, /^[^,}\]]*/)
  v = substr(v, 1, RLENGTH)
  return v == "null" ? "" : v
}
BEGIN {
  n = split("claim_id person_id date status reason category medfee_sumamt fulamt_ownpay_amt overlmt_selfpay preselfpay_amt inscp_scp_amt act_pay_dedc hifp_pay hifmi_pay maf_pay fund_pay_sumamt psn_part_amt reassist_pay", col, " ")
}
'

# jget KEY [FILE]: the first value of KEY in a JSON answer (default
# $work/resp.json): a string without its quotes, else the literal (null, 12)
jget() {
  awk -v k="$1" '
    { i = index($0, "\"" k "\":"); if (!i) next
      v = substr($0, i + length(k) + 3)
      if (substr(v, 1, 1) == "\"") { v = substr(v, 2); print substr(v, 1, index(v, "\"") - 1) }
      else { match(v, /^[^,}\]]*/); print substr(v, 1, RLENGTH) }
      exit }' "${2:-$work/resp.json}"
}

# metric NAME_WITH_LABELS: its value in /metrics now (0 when absent)
metric() {
  curl -s -m 30 "$base/metrics" >"$work/metrics.txt"
  awk -v m="$1" 'index($0, m " ") == 1 { v = $2 } END { print v + 0 }' "$work/metrics.txt"
}

# expect_code NAME WANT...: $code is one of WANT (else the answer is shown)
expect_code() {
  _n=$1
  shift
  for _w in "$@"; do
    if [ "$code" = "$_w" ]; then ok; return 0; fi
  done
  bad "$_n: HTTP $code, expected $*"; head -c 400 "$work/resp.json" 2>/dev/null | sed 's/^/    /'; echo
  return 1
}
