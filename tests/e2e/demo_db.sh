#!/bin/sh
# sanbao demo --db: the demo settled into a given new ledger — an SQLite
# file, or (SANBAO_STORE=pg, ctest's e2e-pg/demo_db) a PostgreSQL database
# of a throwaway cluster — gives the same settlements as the demo's own
# DIR/ledger.db; a --db that already holds a ledger is refused.
# Usage: sh demo_db.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
policy=$root/policies/hunan-2022.json

# the default ledger (always SQLite: no --db), then the same county into --db
"$real_bin" demo --dir "$work/d1" --persons 500 --policy "$policy" >/dev/null 2>"$work/err.txt" ||
  { bad "demo: exit $?"; sed 's/^/    /' "$work/err.txt" | tail -3; }
if "$bin" demo --dir "$work/d2" --persons 500 --policy "$policy" --db "$work/other.db" \
  >"$work/out.txt" 2>"$work/err.txt"; then ok; else
  bad "demo --db ($store): exit $?"; sed 's/^/    /' "$work/err.txt" | tail -3
fi
if [ -e "$work/d2/ledger.db" ]; then bad "demo --db also made DIR/ledger.db"; else ok; fi
if grep -q "postgres" "$work/out.txt"; then bad "demo --db: the URI is echoed"; else ok; fi
"$real_bin" db export-settlements --db "$work/d1/ledger.db" --out "$work/o1.csv" 2>/dev/null
"$bin" db export-settlements --db "$work/other.db" --out "$work/o2.csv" 2>/dev/null
if [ -s "$work/o1.csv" ] && cmp -s "$work/o1.csv" "$work/o2.csv"; then ok; else
  bad "demo --db ($store): settlements differ from the default ledger's"; fi
"$real_bin" db alerts --db "$work/d1/ledger.db" --out "$work/a1.csv" 2>/dev/null
"$bin" db alerts --db "$work/other.db" --out "$work/a2.csv" 2>/dev/null
if cmp -s "$work/a1.csv" "$work/a2.csv"; then ok; else bad "demo --db ($store): alerts differ"; fi

# a --db that holds a ledger is refused (an SQLite file before anything is
# generated; a database once it is reached), and left as it was
rm -rf "$work/d3"
"$bin" demo --dir "$work/d3" --persons 500 --policy "$policy" --db "$work/other.db" >/dev/null 2>"$work/err.txt"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "already" "$work/err.txt"; then ok; else
  bad "demo --db onto a ledger: exit $rc"; sed 's/^/    /' "$work/err.txt" | tail -3; fi
if sqlite_only "generation before the database is reached (a URI is checked by connecting)"; then
  if [ -e "$work/d3" ]; then bad "demo --db onto an existing file made DIR"; else ok; fi
fi
"$bin" db export-settlements --db "$work/other.db" --out "$work/o3.csv" 2>/dev/null
if cmp -s "$work/o2.csv" "$work/o3.csv"; then ok; else bad "the refused demo changed the ledger"; fi
finish
