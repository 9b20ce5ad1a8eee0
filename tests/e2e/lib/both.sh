# shellcheck shell=sh
# One command on an SQLite ledger and on its PostgreSQL twin, compared: for
# the scripts that hold the two stores to the same bytes (store_compare.sh,
# pg_audit.sh).  Needs lib/common.sh and lib/store.sh (db_uri) sourced first,
# $real_bin, and makes $work/sq and $work/pg (each run's own output folder).
mkdir -p "$work/sq" "$work/pg"

# both NAME ARGS...: `sanbao ARGS` with --db @ on the SQLite file
# $work/NAME.db and then on its PostgreSQL twin (@OUT@ in an argument: the
# run's own folder, $work/sq or $work/pg); stdout and stderr go to
# $work/NAME.{sq,pg}.{out,err}, and the two exit statuses must agree
both() {
  _n=$1; shift
  _one sq "$_n" "$@"
  _one pg "$_n" "$@"
  # shellcheck disable=SC2154
  if [ "$_rc_sq" = "$_rc_pg" ]; then ok; else
    bad "$_n: $1 $2: exit status $_rc_sq on SQLite, $_rc_pg on PostgreSQL"
    sed 's/^/    sq: /' "$work/$_n.sq.err" | head -3
    sed 's/^/    pg: /' "$work/$_n.pg.err" | head -3
  fi
  # a crash (or a signal) on either side is shown even when both agree
  if [ "$_rc_sq" -gt 2 ] || [ "$_rc_pg" -gt 2 ]; then
    sed 's/^/    pg: /' "$work/$_n.pg.err" | head -5
  fi
}

# _one STORE NAME ARGS...: one of the two runs
_one() {
  _s=$1 _n=$2; shift 2
  if [ "$_s" = sq ]; then _d=$work/$_n.db; else _d=$(db_uri "$work/$_n.db"); fi
  for _a do
    shift
    if [ "$_a" = @ ]; then _a=$_d; fi
    case $_a in *@OUT@*) _a=$(echo "$_a" | sed "s|@OUT@|$work/$_s|") ;; esac
    set -- "$@" "$_a"
  done
  "$real_bin" "$@" >"$work/$_n.$_s.out" 2>"$work/$_n.$_s.err"
  eval "_rc_$_s=\$?"
}

# same_out NAME WHAT: the two runs printed the same on standard output
same_out() { same_file "$1: $2" "$work/$1.sq.out" "$work/$1.pg.out"; }

# same_files NAME FILE...: files the two runs wrote under @OUT@
same_files() {
  _n=$1; shift
  for _f do same_file "$_n: $_f" "$work/sq/$_f" "$work/pg/$_f"; done
}
