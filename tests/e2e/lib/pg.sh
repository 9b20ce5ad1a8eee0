# shellcheck shell=sh
# A throwaway PostgreSQL cluster for the end-to-end scripts.  Not a test:
# a script sources it after lib/common.sh (it uses $work) and calls
#   pg_start              initdb + pg_ctl start: a cluster of its own in a
#                         temporary directory, listening on 127.0.0.1 only,
#                         on a free port, its unix socket in that directory;
#                         stopped and removed when the script exits
#   pg_uri NAME           create database NAME in it and print its URI
#   pg_sql NAME SQL       run SQL in database NAME with psql (unaligned,
#                         tuples only), printing the rows
#   pg_server_stop, pg_server_start
#                         stop the server (its data kept) and start it again
# The server runs as the user `postgres` (initdb refuses root): as root the
# commands go through runuser; as another user they run as that user.
# PGBIN overrides the binaries' folder (default: PostgreSQL 15's); PG_FSYNC
# (default off) and PG_OPTS (more -c settings) the server's settings.
# Sets pg_port, pg_dir; returns non-zero (and says why) when no cluster
# can be had, so a script can skip its PostgreSQL part with a reason.
# shellcheck disable=SC2317  # not every script uses every helper
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
pg_dir=
pg_port=

# _pg_as CMD...: run CMD as the cluster's owner
_pg_as() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_stop: stop the cluster and remove its files (the EXIT trap)
pg_stop() {
  if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
    _pg_as "$PGBIN/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1
    rm -rf "$pg_dir"
  fi
}

# _pg_free_port [FROM]: a TCP port nobody listens on at 127.0.0.1
_pg_free_port() {
  _p=${1:-$(( 20000 + $$ % 20000 ))}
  while :; do
    if ! grep -q ":$(printf '%04X' "$_p") " /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
      echo "$_p"; return
    fi
    _p=$((_p + 1))
  done
}

pg_start() {
  if [ ! -x "$PGBIN/initdb" ]; then
    echo "NOTE: no PostgreSQL server binaries in $PGBIN (sh scripts/deps.sh test)"; return 1
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "NOTE: running as root and there is no user 'postgres' to run the server"; return 1
  fi
  pg_dir=$(mktemp -d /tmp/sanbao-pg.XXXXXX) || return 1
  chmod 755 "$pg_dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$pg_dir"
  trap 'pg_stop; chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
  pg_port=$(_pg_free_port)
  if ! _pg_as "$PGBIN/initdb" -D "$pg_dir/data" -U postgres -A trust -E SQL_ASCII --locale=C \
    --no-sync >"$pg_dir/initdb.log" 2>&1; then
    echo "NOTE: initdb failed:"; sed 's/^/    /' "$pg_dir/initdb.log" | tail -5; return 1
  fi
  # fsync=off: what these tests kill is sanbao, never the database server,
  # and a commit that waits for no disk keeps three builds' runs short (a
  # test of the server's own crash sets PG_FSYNC=on)
  # two scripts run at once may pick one port: the second start fails, and
  # takes the next free port
  _try=0
  until pg_server_start; do
    _try=$((_try + 1))
    if [ "$_try" -ge 5 ]; then
      echo "NOTE: the PostgreSQL server did not start:"; tail -5 "$pg_dir/server.log" | sed 's/^/    /'
      return 1
    fi
    pg_port=$(_pg_free_port $((pg_port + 1)))
  done
}

# pg_server_stop / pg_server_start: stop the cluster's server (fast: its
# clients are disconnected) and start it again, its data kept
pg_server_stop() { _pg_as "$PGBIN/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1; }
pg_server_start() {
  _pg_as "$PGBIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories=$pg_dir -c max_connections=60 -c fsync=${PG_FSYNC:-off} ${PG_OPTS:-}" \
    start >/dev/null 2>&1
}

pg_uri() {
  pg_sql postgres "CREATE DATABASE \"$1\"" >/dev/null || return 1
  echo "postgresql://postgres@127.0.0.1:$pg_port/$1"
}

pg_sql() {
  PGOPTIONS=--client-min-messages=warning "$PGBIN/psql" -X -q -A -t -h 127.0.0.1 -p "$pg_port" -U postgres -d "$1" -c "$2"
}
