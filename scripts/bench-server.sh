#!/bin/sh
# The server benchmark (not a test): durable settlements per second and
# latency of `sanbao serve` under wrk, on this machine.
#
#   1. a Release build; a registry of PERSONS from `sanbao gen` imported
#      into a fresh ledger; a hospital token;
#   2. the server on 127.0.0.1 with its default 2 HTTP threads;
#   3. wrk (Debian's) with bench/server/settle.lua: every request a new
#      claim POSTed to /v1/settlements, answered only once its group is
#      durable (COMMIT, then the syncer's fdatasync of the WAL);
#   4. the server stopped with SIGTERM, and the ledger checked: it must
#      hold at least as many received rows as wrk got answers, every one of
#      them 201 or 422 (the server's count by status; a request answered
#      after wrk stopped is stored too, hence "at least").
#   5. the server's CPU and wrk's (they share the cores), each per answer.
#
# Usage: scripts/bench-server.sh [SECONDS [CONNECTIONS [PERSONS]]]
#        (default 20 s, 64 connections, 100000 persons)
# SB_LEDGER_CLAIMS=N: the ledger holds N claims of the same persons before
#   the run (`sanbao gen --claims N`, imported once into a template ledger
#   that each run copies and syncs, so that the copy's writeback does not
#   fall into the run): a server whose page cache and files are a real
#   ledger's size, not a few megabytes.
# SB_LEDGER_DIR=DIR: the run's ledger in DIR instead of out/bench-server (a
#   diagnosis, not the benchmark: on a tmpfs such as /dev/shm an fdatasync
#   writes nothing, so a run there shows what the server does when the
#   disk never pauses -- its answers are then not durable).  The ledger
#   stays there until the next run removes it, as out/bench-server's does:
#   on a tmpfs that is memory held, so remove DIR when done.
# SB_PROBE=1: bench/syncprobe.c runs beside wrk for the run's length, on the
#   ledger's file system, lightly (200 syncs a second of 4 KiB: a few per
#   cent of the server's own): its syncs that took over 50 ms are printed
#   with their times beside the server's warnings of slow WAL syncs, to tell
#   a pause of the disk (both see it) from one of the server's (only the
#   server's).
# wrk and the server share the machine's cores: on 2 cores the figure is
# what one box serving itself reaches, a lower bound for a real deployment.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-20}
conns=${2:-64}
persons=${3:-100000}
sh scripts/deps.sh test
for p in wrk curl sqlite3; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get install -y -qq "$p" >/dev/null
  fi
done
# SB_BIN names another sanbao binary to serve with (an A/B comparison:
# run the script alternately with each binary on the same data)
if [ -z "${SB_BIN:-}" ]; then
  sh scripts/build.sh build-bench -DCMAKE_BUILD_TYPE=Release -DSANBAO_TESTS=ON
fi
bin=${SB_BIN:-$(pwd)/build-bench/sanbao}
dir=out/bench-server
mkdir -p "$dir"
if ! [ -f "$dir/p$persons/persons.csv" ]; then
  "$bin" gen --persons "$persons" --claims 1 --seed 7 --year 2022 --out "$dir/p$persons" 2>/dev/null
fi
ledger=${SB_LEDGER_DIR:-$dir}/ledger.db
mkdir -p "$(dirname "$ledger")"
rm -f "$ledger" "$ledger-wal" "$ledger-shm" "$dir/tokens"
held=${SB_LEDGER_CLAIMS:-0}
before=0 # the claims rows the ledger holds before the run
if [ "$held" -gt 0 ]; then
  base=$dir/p$persons-c$held
  if ! [ -f "$base/ledger.db" ]; then
    rm -rf "$base"
    "$bin" gen --persons "$persons" --claims "$held" --seed 7 --year 2022 --out "$base" 2>/dev/null
    cmp -s "$base/persons.csv" "$dir/p$persons/persons.csv" ||
      { echo "bench-server: gen --claims $held made other persons" >&2; exit 1; }
    "$bin" db init --db "$base/tmpl.db" 2>/dev/null
    "$bin" db add-policy --db "$base/tmpl.db" policies/hunan-2022.json 2>/dev/null
    "$bin" db import-persons --db "$base/tmpl.db" --persons "$base/persons.csv" 2>/dev/null
    # exit status 1: some rows rejected (gen makes a few claims of persons
    # not insured that year), which the ledger keeps as rejected rows
    "$bin" db import-claims --db "$base/tmpl.db" --claims "$base/claims.csv" --quiet || [ $? -eq 1 ]
    mv "$base/tmpl.db" "$base/ledger.db"
  fi
  cp "$base/ledger.db" "$ledger"
  sync
  before=$(sqlite3 "$ledger" 'SELECT count(*) FROM claims')
else
  "$bin" db init --db "$ledger" 2>/dev/null
  "$bin" db import-persons --db "$ledger" --persons "$dir/p$persons/persons.csv" 2>/dev/null
fi
token=$("$bin" tokens add --file "$dir/tokens" --institution BENCH --role hospital 2>/dev/null)
# emptied here, not only by the server's redirection below, which runs in
# the background: else the loop could read the last run's port from it
: >"$dir/serve.log"

"$bin" serve --db "$ledger" --tokens "$dir/tokens" --policy policies/hunan-2022.json \
  --listen 127.0.0.1:0 --stats 0 ${SB_SERVE_ARGS:-} 2>"$dir/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/serve.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$dir/serve.log"; exit 1; }

echo "== machine: $(nproc) cores, $(uname -sr); ledger on $(df -P "$(dirname "$ledger")" | awk 'NR==2 {print $1}')"
echo "== wrk: $secs s, $conns connections, 2 threads; server: 2 HTTP threads + the ledger thread"
# the CPU of the shell's waited-for children (wrk with tee) in clock
# ticks, before and after: the client's share of the two cores
client0=$(awk '{print $16 + $17}' /proc/$$/stat)
probe_pid=
if [ -n "${SB_PROBE:-}" ]; then
  if [ -x build-bench/bench/syncprobe ]; then
    rm -f "$(dirname "$ledger")/syncprobe.dat"
    build-bench/bench/syncprobe --file "$(dirname "$ledger")/syncprobe.dat" --seconds "$secs" \
      --window "$secs" --rate 200 --bytes 4096 --size 8 --quiet >"$dir/probe.txt" 2>&1 &
    probe_pid=$!
  else
    echo "== SB_PROBE: no build-bench/bench/syncprobe (run without SB_BIN once to build it)"
  fi
fi
SB_TOKEN=$token SB_PERSONS=$dir/p$persons/persons.csv SB_RUN=$$ \
  wrk -t2 -c"$conns" -d"${secs}s" --latency -s bench/server/settle.lua "http://127.0.0.1:$port" \
  | tee "$dir/wrk.txt"
client=$(($(awk '{print $16 + $17}' /proc/$$/stat) - client0))
[ -z "$probe_pid" ] || wait "$probe_pid" || true
curl -s "http://127.0.0.1:$port/metrics" > "$dir/metrics.txt"
rss_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
# the server's own CPU (user + system, all threads) in clock ticks: per
# request it is steadier than requests/s when other work shares the cores
ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
kill -TERM $pid
wait $pid
trap - EXIT
commits=$(awk '/^sanbao_commits_total/ {print $2}' "$dir/metrics.txt")
jobs=$(awk '/^sanbao_commit_requests_total/ {print $2}' "$dir/metrics.txt")
rows=$(($(sqlite3 "$ledger" 'SELECT count(*) FROM claims') - before))
# the answers wrk got in full; the server counts them by status, and a
# settlement is durable once answered 201 or 422: the run must have had
# no other answer for wrk's count to be the durable ones ("other" in the
# metrics is a request never answered, its connection closed first: wrk
# stopping with requests under way)
answered=$(sed -n 's/^answers: \([0-9]*\) complete.*/\1/p' "$dir/wrk.txt")
answered=${answered:-0} # no such line: wrk did not finish its run
other=$(awk '/^sanbao_http_requests_total\{route="\/v1\/settlements"/ && !/code="201"/ && !/code="422"/ && !/code="other"/ {n += $2} END {print n + 0}' "$dir/metrics.txt")
if [ "$other" -ne 0 ]; then
  echo "FAIL: $other answers were neither 201 nor 422 (the server's metrics)" >&2
  exit 1
fi
echo "== group commit: $commits commits carried $jobs requests ($(awk -v j="$jobs" -v c="$commits" 'BEGIN {printf "%.1f", j / c}') per commit)"
echo "== durability: the ledger holds $rows received rows more than before; wrk got $answered answers, all 201/422 (the server's count by status)"
echo "== server peak RSS: $((rss_kb / 1024)) MiB"
awk -v t="$ticks" -v c="$client" -v hz="$(getconf CLK_TCK)" -v n="$answered" 'BEGIN {
  if (n > 0) printf "== server CPU: %.2f s, %.1f us per answered request\n", t / hz, t / hz / n * 1e6
  if (n > 0) printf "== client CPU (wrk): %.2f s, %.1f us per answered request\n", c / hz, c / hz / n * 1e6 }'
# wrk's p99 is corrected for coordinated omission: after the run it adds,
# for every answer that took D, one made-up answer at D - i, D - 2i, ...
# (i = the mean interval between two requests of a connection, 2-3 ms
# here), the answers a client sending at a steady rate would have waited
# for.  So one pause of D stands for about (requests/s x D) answers, and
# the p99 stays under 10 ms only while the run's pauses add up to less
# than 1 % of it beyond their first 10 ms (0.2 s in a 20 s run).  The
# server's own histogram (from a request's first byte to its answer) and
# its WAL syncs over 10 ms say whether a p99 over 10 ms was such a pause,
# and whether the disk made it.
awk '
  /^sanbao_http_request_duration_seconds_bucket\{route="\/v1\/settlements",le="0.010000"\}/ {fast = $2}
  /^sanbao_http_request_duration_seconds_count\{route="\/v1\/settlements"\}/ {all = $2}
  /^sanbao_sync_duration_seconds_bucket/ {
    le = $1; sub(/.*le="/, "", le); sub(/".*/, "", le); sync[le] = $2; syncs = 1 }
  END {
    if (all > 0)
      printf "== server side: %.2f %% of the settlements answered within 10 ms of their first byte\n", fast * 100 / all
    # printed only when the server reported its syncs, and only with the
    # buckets read here: zeros would otherwise pass for "no pause"
    if (syncs && ("0.010000" in sync) && ("1.000000" in sync) && ("+Inf" in sync))
    printf "== WAL syncs over 10 ms: %d up to 50 ms, %d up to 100 ms, %d up to 250 ms, %d up to 1 s, %d longer\n",
      sync["0.050000"] - sync["0.010000"], sync["0.100000"] - sync["0.050000"],
      sync["0.250000"] - sync["0.100000"], sync["1.000000"] - sync["0.250000"],
      sync["+Inf"] - sync["1.000000"] }' "$dir/metrics.txt"
# the server's own warnings (a WAL sync of 100 ms or more, at most a line
# a second), with their times; and the probe's long syncs beside them
grep "warning: a sync of the ledger's write-ahead log" "$dir/serve.log" | sed 's/^/== server: /' || true
if [ -n "$probe_pid" ]; then
  grep 'long sync\|^== .*syncs in\|^== syncs over' "$dir/probe.txt" | sed 's/^ *//; s/^== //; s/^/== probe: /' || true
fi
if [ "$rows" -lt "$answered" ]; then
  echo "FAIL: acknowledged settlements missing from the ledger" >&2
  exit 1
fi
