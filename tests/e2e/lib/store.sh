# shellcheck shell=sh
# The store a ledger or server script runs against: SQLite files (the
# default) or, with SANBAO_STORE=pg in the environment, PostgreSQL.  Not a
# test: a script sources it after lib/common.sh and goes on naming its
# ledgers by path ("$work/basics.db"), whatever the store:
#   store             sqlite or pg
#   real_bin          the sanbao binary itself
#   bin               under pg, a wrapper of the binary that turns the path
#                     after every --db into the URI of a database of its own
#                     in a throwaway cluster (lib/pg.sh), made on first use;
#                     it execs the binary, so a server's pid is sanbao's
#   db_uri PATH       the --db value for PATH under this store
#   db_reset PATH     make PATH name no ledger (rm the file; drop the database)
#   db_copy SRC DST   copy a ledger no process has open (cp; CREATE DATABASE
#                     ... TEMPLATE)
#   db_sql PATH SQL   run SQL on the ledger (sqlite3 or psql, '|' between
#                     columns), printing its rows
#   have_db_sql       1 when db_sql can run (the sqlite3 or psql shell is there)
#   store_cleanup     what the EXIT trap must do for the store (a script
#                     that sets its own trap calls it)
#   pg_only / sqlite_only REASON
#                     true under that store; under the other one a skip
#                     that prints REASON
# A script run with SANBAO_STORE=pg where no cluster can be had prints why
# and exits as skipped.
# shellcheck disable=SC2317  # not every script uses every helper
store=${SANBAO_STORE:-sqlite}
real_bin=$bin
case $store in
sqlite | pg) ;;
*) echo "SANBAO_STORE=$store: expected sqlite or pg"; exit 2 ;;
esac

if [ "$store" = pg ]; then
  # shellcheck source-path=SCRIPTDIR source=pg.sh
  . "$(dirname "$0")/lib/pg.sh"
  if ! pg_start; then
    skip "the whole script under PostgreSQL: no cluster could be started"
    finish
  fi
  mkdir -p "$work/.pgdb"
  bin=$work/sanbao-pg
  cat >"$bin" <<WRAP
#!/bin/sh
# sanbao with every --db PATH turned into a database of the test cluster
_uri() {
  case \$1 in postgres://* | postgresql://*) echo "\$1"; return ;; esac
  _n=l\$(printf %s "\$1" | cksum | cut -d' ' -f1)
  if [ ! -e "$work/.pgdb/\$_n" ]; then
    "$PGBIN/psql" -X -q -h 127.0.0.1 -p $pg_port -U postgres -d postgres \\
      -c "CREATE DATABASE \$_n" >/dev/null 2>&1
    : >"$work/.pgdb/\$_n"
  fi
  echo "postgresql://postgres@127.0.0.1:$pg_port/\$_n"
}
_prev=
for _a do
  shift
  [ "\$_prev" = --db ] && _a=\$(_uri "\$_a")
  set -- "\$@" "\$_a"
  _prev=\$_a
done
exec "$real_bin" "\$@"
WRAP
  chmod +x "$bin"
fi

# store_cleanup: stop the cluster (for a script that replaces the EXIT trap)
store_cleanup() { if [ "$store" = pg ]; then pg_stop; fi; }

# _db_name PATH: the database of a path (as the wrapper names it)
_db_name() { echo "l$(printf %s "$1" | cksum | cut -d' ' -f1)"; }

db_uri() {
  if [ "$store" = pg ]; then
    _n=$(_db_name "$1")
    if [ ! -e "$work/.pgdb/$_n" ]; then
      pg_sql postgres "CREATE DATABASE $_n" >/dev/null
      : >"$work/.pgdb/$_n"
    fi
    echo "postgresql://postgres@127.0.0.1:$pg_port/$(_db_name "$1")"
  else
    echo "$1"
  fi
}

db_reset() {
  if [ "$store" = pg ]; then
    pg_sql postgres "DROP DATABASE IF EXISTS $(_db_name "$1") WITH (FORCE)" >/dev/null
    rm -f "$work/.pgdb/$(_db_name "$1")"
  else
    rm -f "$1" "$1-wal" "$1-shm"
  fi
}

db_copy() {
  if [ "$store" = pg ]; then
    db_reset "$2"
    pg_sql postgres "CREATE DATABASE $(_db_name "$2") TEMPLATE $(_db_name "$1")" >/dev/null
    : >"$work/.pgdb/$(_db_name "$2")"
  else
    cp "$1" "$2"
  fi
}

db_sql() {
  if [ "$store" = pg ]; then pg_sql "$(_db_name "$1")" "$2"; else sqlite3 "$1" "$2"; fi
}

if [ "$store" = pg ]; then have_db_sql=1
elif command -v sqlite3 >/dev/null 2>&1; then have_db_sql=1
else have_db_sql=0; fi

pg_only() {
  [ "$store" = pg ] && return 0
  skip "$1"; return 1
}
sqlite_only() {
  [ "$store" = sqlite ] && return 0
  skip "$1"; return 1
}

# db_exists PATH: PATH names a ledger made in this script
db_exists() {
  if [ "$store" = pg ]; then [ -e "$work/.pgdb/$(_db_name "$1")" ]; else [ -f "$1" ]; fi
}

# hold_write_lock DB SECONDS: hold the ledger's write lock from another
# process for SECONDS (run it in the background); 1 when no shell can
hold_write_lock() {
  if [ "$store" = pg ]; then
    db_sql "$1" "BEGIN; SELECT pg_advisory_xact_lock(1396853831); SELECT pg_sleep($2); COMMIT" >/dev/null 2>&1
  elif command -v sqlite3 >/dev/null 2>&1; then
    printf 'BEGIN IMMEDIATE;\n.shell sleep %s\nCOMMIT;\n' "$2" | sqlite3 "$1" >/dev/null 2>&1
  else
    return 1
  fi
}
