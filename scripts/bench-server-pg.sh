#!/bin/sh
# The two-server benchmark on PostgreSQL (not a test): durable settlements
# per second and latency of TWO `sanbao serve` processes in front of one
# PostgreSQL ledger, on this machine.
#
#   1. a Release build; a throwaway PostgreSQL 15 cluster of
#      tests/e2e/lib/pg.sh (127.0.0.1 only), durable: fsync on,
#      synchronous_commit on (the default), buffers and WAL sized as
#      scripts/bench-pg.sh sizes them; a registry of PERSONS from
#      `sanbao gen` imported; a hospital token;
#   2. two servers on the same database, each on its own port, each with
#      its defaults (2 HTTP threads, the ledger thread: one connection);
#   3. two wrk processes at once (Debian's; one thread, CONNECTIONS/2
#      connections each), one per server, with bench/server/settle.lua:
#      every request a new claim POSTed to /v1/settlements, answered only
#      after its group's COMMIT returned (the WAL flushed);
#   4. both servers stopped with SIGTERM, and the ledger checked: it must
#      hold at least as many received rows as the two wrk got answers, every
#      one of them 201 or 422 (the servers' count by status).
# The total settlements/s is the sum of the two wrk's; the p99 is each's.
#
# Usage: scripts/bench-server-pg.sh [SECONDS [CONNECTIONS [PERSONS [RUNS]]]]
#        (default 10 s, 64 connections in all, 100000 persons, 3 runs; each
#        run on the same ledger, one after another)
# SB_BIN names another sanbao binary to serve with (an A/B comparison).
# wrk, both servers and PostgreSQL share the machine's cores: on 2 cores
# the figure is what one box serving itself reaches.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-64}
persons=${3:-100000}
runs=${4:-3}
sh scripts/deps.sh test
for p in wrk curl; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get install -y -qq "$p" >/dev/null
  fi
done
sh scripts/build.sh build-bench -DCMAKE_BUILD_TYPE=Release -DSANBAO_TESTS=ON
bin=${SB_BIN:-$(pwd)/build-bench/sanbao}
dir=out/bench-server-pg
mkdir -p "$dir"
if ! [ -f "out/bench-server/p$persons/persons.csv" ]; then
  "$bin" gen --persons "$persons" --claims 1 --seed 7 --year 2022 --out "out/bench-server/p$persons" \
    2>/dev/null
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/sanbao-bench-server-pg.XXXXXX")
# shellcheck source=tests/e2e/lib/pg.sh
. tests/e2e/lib/pg.sh
PG_OPTS="-c shared_buffers=2GB -c wal_buffers=64MB -c max_wal_size=8GB -c checkpoint_timeout=30min ${SB_PG_OPTS:-}" \
  PG_FSYNC=on pg_start || exit 2
db=$(pg_uri bench)
[ -z "${SB_PG_STATEMENTS:-}" ] || pg_sql bench "CREATE EXTENSION pg_stat_statements" >/dev/null
"$bin" db init --db "$db" 2>/dev/null
"$bin" db import-persons --db "$db" --persons "out/bench-server/p$persons/persons.csv" 2>/dev/null
# the policy stored before: two servers started at once would both store it
"$bin" db add-policy --db "$db" policies/hunan-2022.json 2>/dev/null
rm -f "$dir/tokens"
token=$("$bin" tokens add --file "$dir/tokens" --institution BENCH --role hospital 2>/dev/null)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; pg_stop; rm -rf "$work"' EXIT

# serve NAME: start a server, wait for its port; sets $pid and $port
serve() {
  rm -f "$dir/serve-$1.log" # not the last run's port
  "$bin" serve --db "$db" --tokens "$dir/tokens" --policy policies/hunan-2022.json \
    --listen 127.0.0.1:0 --stats 0 ${SB_SERVE_ARGS:-} 2>"$dir/serve-$1.log" &
  pid=$!
  pids="$pids $pid"
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/serve-$1.log" 2>/dev/null || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$dir/serve-$1.log"; exit 1; }
}

# cpu PID: user+system CPU seconds of a process so far (clock ticks / 100)
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }

# pg_cpu FILE: the user+system CPU ticks of each of the cluster's live
# processes ("pid ticks" lines) into FILE; pg_cpu_since FILE0 FILE1: the
# CPU seconds they took between the two (a process gone by then, such as
# an autovacuum worker, is not counted; one started since counts whole)
pg_cpu() {
  pm=$(head -1 "$pg_dir/data/postmaster.pid")
  for f in /proc/[0-9]*/stat; do
    awk -v pm="$pm" '$1 == pm || $4 == pm { print $1, $14 + $15 }' "$f" 2>/dev/null || true
  done >"$1"
}
pg_cpu_since() {
  awk 'NR == FNR { t0[$1] = $2; next } { d += $2 - t0[$1] } END { printf "%.2f", d / 100 }' "$1" "$2"
}

echo "== machine: $(nproc) cores, $(uname -sr); PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }') (fsync on)"
echo "== $persons persons; sanbao: $bin"
echo "== per run: two servers; two wrk at once, $secs s, $((conns / 2)) connections and 1 thread each"
for run in $(seq "$runs"); do
  serve a; pid_a=$pid; port_a=$port
  serve b; pid_b=$pid; port_b=$port
  pg_cpu "$work/pg0"
  SB_TOKEN=$token SB_PERSONS=out/bench-server/p$persons/persons.csv SB_RUN=$$r${run}a \
    wrk -t1 -c"$((conns / 2))" -d"${secs}s" --latency -s bench/server/settle.lua \
    "http://127.0.0.1:$port_a" >"$dir/wrk-a.txt" &
  wa=$!
  SB_TOKEN=$token SB_PERSONS=out/bench-server/p$persons/persons.csv SB_RUN=$$r${run}b \
    wrk -t1 -c"$((conns / 2))" -d"${secs}s" --latency -s bench/server/settle.lua \
    "http://127.0.0.1:$port_b" >"$dir/wrk-b.txt" &
  wb=$!
  if [ -n "${SB_PG_PERF:-}" ]; then
    # where the cluster's backends spend their CPU (perf, 5 s): this
    # cluster's only (children of its postmaster), not another's on the box
    sleep 2
    pm=$(head -1 "$pg_dir/data/postmaster.pid")
    perf record -q -g -o "$dir/perf.data" -p "$(pgrep -d, -P "$pm" -f 'postgres: postgres bench')" -- sleep 5 \
      >/dev/null 2>&1 || true
  fi
  if [ -n "${SB_PG_WAITS:-}" ]; then
    # what the two ledger connections wait for, sampled every 20 ms
    sleep 2
    for _ in $(seq 200); do
      pg_sql bench "SELECT coalesce(wait_event_type || ':' || wait_event, state), left(query, 40)
        FROM pg_stat_activity WHERE datname = 'bench' AND pid <> pg_backend_pid()"
      sleep 0.02
    done | sort | uniq -c | sort -rn | head -20
  fi
  wait $wa $wb
  if [ -n "${SB_PG_STATEMENTS:-}" ]; then
    # needs SB_PG_OPTS="-c shared_preload_libraries=pg_stat_statements"
    pg_sql bench "SELECT calls, round(total_exec_time::numeric / calls * 1000) AS us_each,
      round(total_exec_time::numeric) AS ms, left(query, 60) FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'bench')
      ORDER BY total_exec_time DESC LIMIT 12"
  fi
  for x in a b; do
    eval "p=\$port_$x"
    curl -s "http://127.0.0.1:$p/metrics" >"$dir/metrics-$x.txt"
  done
  cpu_a=$(cpu "$pid_a"); cpu_b=$(cpu "$pid_b"); pg_cpu "$work/pg1"
  rows0=$(pg_sql bench 'SELECT count(*) FROM claims')
  kill -TERM "$pid_a" "$pid_b"
  wait "$pid_a" "$pid_b"
  pids=""
  rows=$(pg_sql bench 'SELECT count(*) FROM claims')
  line="== run $run:"
  answered=0
  total=0
  for x in a b; do
    rps=$(awk '/^Requests\/sec/ { printf "%d", $2 }' "$dir/wrk-$x.txt")
    # wrk counts the answers it got in full, the server each by status
    # (its metrics): with no answer but 201 and 422, wrk's count is the
    # durable ones ("other" is a request never answered: wrk stopping)
    ok=$(sed -n 's/^answers: \([0-9]*\) complete.*/\1/p' "$dir/wrk-$x.txt")
    ok=${ok:-0} # no such line: wrk did not finish its run
    bad=$(awk '/^sanbao_http_requests_total\{route="\/v1\/settlements"/ && !/code="201"/ && !/code="422"/ && !/code="other"/ { n += $2 } END { print n + 0 }' "$dir/metrics-$x.txt")
    lat=$(sed -n 's/^latency //p' "$dir/wrk-$x.txt")
    commits=$(awk '/^sanbao_commits_total/ { print $2 }' "$dir/metrics-$x.txt")
    jobs=$(awk '/^sanbao_commit_requests_total/ { print $2 }' "$dir/metrics-$x.txt")
    per=$(awk -v j="$jobs" -v c="$commits" 'BEGIN { printf "%.1f", c ? j / c : 0 }')
    echo "   server $x: $rps/s answered; wrk got $ok answers, the server gave $bad neither 201 nor 422; $lat; $per claims per commit"
    if [ "$bad" -ne 0 ]; then
      echo "FAIL: server $x gave $bad answers neither 201 nor 422: wrk's count is not the durable ones" >&2
      exit 1
    fi
    answered=$((answered + ok))
    total=$((total + rps))
  done
  echo "$line $total settlements/s in all; CPU s: servers $cpu_a + $cpu_b, PostgreSQL $(pg_cpu_since "$work/pg0" "$work/pg1")"
  echo "   durability: the ledger holds $rows received rows ($rows0 while serving ended); answers 201/422 so far: $answered more this run"
  prev=${prev_rows:-0}
  if [ "$((rows - prev))" -lt "$answered" ]; then
    echo "FAIL: acknowledged settlements missing from the ledger" >&2
    exit 1
  fi
  prev_rows=$rows
done
