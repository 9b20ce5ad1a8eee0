#!/bin/sh
# e2e: an audit of the PostgreSQL store against the SQLite store, the batch
# and bad input.  What tests/e2e/store_compare.sh does not already:
#   1. every golden case into both stores: every export (settlements,
#      alerts, fee results, re-settlement, re-assistance, explain of the
#      case's explained claims — also against their golden text —, each
#      person's history and balance, enrollment, coverage, reconcile) the
#      same byte for byte;
#   2. a generated set with fee lines imported in three parts in three
#      orders (its reversals in a part of their own, so they come before,
#      between and after their originals), parts imported again and the
#      whole file after: both stores the same book at every step;
#   3. what a URI may hold that must never be printed: a password in any
#      message (libpq's own included), whatever the URI looks like, and a
#      wrong password, a server not running, a role that may only read
#      or not even that: a message naming what failed, exit status 2;
#   4. the database stopped in the middle of an import: nothing stored, a
#      clear error, exit 2; and the same import afterwards = the batch.
# Runs under SANBAO_STORE=pg (ctest's e2e-pg/pg_audit, its only entry);
# run by hand without it, it says so and skips.
# Usage: sh pg_audit.sh SANBAO_BINARY PROJECT_ROOT  (prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
if [ "${SANBAO_STORE:-sqlite}" != pg ]; then
  skip "the PostgreSQL audit: runs as e2e-pg/pg_audit (SANBAO_STORE=pg)"
  finish
fi
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
policy=$root/policies/hunan-2022.json
golden=$root/tests/golden
# shellcheck source-path=SCRIPTDIR source=lib/both.sh
. "$(dirname "$0")/lib/both.sh"
# same_err NAME WHAT: ... and on standard error, but for the commit line
# (SQLite's checkpoint, PostgreSQL's server: the one documented difference)
# and the ledger's name
same_err() {
  _pat="s|$work/$1.db|LEDGER|g; s|postgresql://[^ :]*:[0-9]*/[a-z0-9]*|LEDGER|g"
  _pat="$_pat; s|$work/sq/|OUT/|g; s|$work/pg/|OUT/|g"
  grep -v '^  committed in' "$work/$1.sq.err" | sed "$_pat" >"$work/$1.sq.sum"
  grep -v '^  committed in' "$work/$1.pg.err" | sed "$_pat" >"$work/$1.pg.sum"
  same_file "$1: $2 (standard error)" "$work/$1.sq.sum" "$work/$1.pg.sum"
}

# exports NAME YEARS PERSONS IDS: every export of ledger NAME compared
exports() {
  _n=$1 _years=$2 _persons=$3 _ids=$4
  for _x in export-settlements alerts export-fee-results; do
    both "$_n" db "$_x" --db @
    same_out "$_n" "$_x"
  done
  both "$_n" db export-settlements --db @ --headers zh
  same_out "$_n" "export-settlements --headers zh"
  for _y in $_years; do
    both "$_n" db resettle --db @ --year "$_y" --out "@OUT@/rs-$_n-$_y" --force
    same_err "$_n" "resettle $_y"
    same_files "$_n" "rs-$_n-$_y/claims.csv" "rs-$_n-$_y/persons.csv"
    both "$_n" db reassist --db @ --year "$_y"
    same_out "$_n" "reassist $_y"
    same_err "$_n" "reassist $_y"
    for _p in $_persons; do
      both "$_n" db balance --db @ --person "$_p" --year "$_y"
      same_out "$_n" "balance $_p $_y"
    done
  done
  for _p in $_persons; do
    both "$_n" db history --db @ --person "$_p"
    same_out "$_n" "history $_p"
    both "$_n" db history --db @ --person "$_p" --format csv
    same_out "$_n" "history --format csv $_p"
  done
  for _c in $_ids; do
    both "$_n" db explain --db @ --claim "$_c"
    same_out "$_n" "explain $_c"
  done
}

# ============================================================================
# 1. Every golden case.
# ============================================================================
for dir in "$golden"/*/; do
  dir=${dir%/}
  [ -f "$dir/claims.csv" ] || continue
  n=$(basename "$dir")
  both "$n" db init --db @
  years=
  for p in "$dir"/policy-*.json; do
    both "$n" db add-policy --db @ "$p"
    years="$years $(basename "$p" .json | sed 's/^policy-//')"
  done
  both "$n" db import-persons --db @ --persons "$dir/persons.csv"
  if [ -f "$dir/catalog.csv" ]; then
    both "$n" db add-catalog --db @ "$dir/catalog.csv"
    both "$n" db import-claims --db @ --claims "$dir/claims.csv" --fees "$dir/fees.csv"
  else
    both "$n" db import-claims --db @ --claims "$dir/claims.csv"
  fi
  same_err "$n" "import summary"
  persons=$(awk -F, 'NR > 1 && !s[$1]++ { print $1 }' "$dir/persons.csv")
  ids=
  for e in "$dir"/expected-explain-*.txt; do
    [ -f "$e" ] && ids="$ids $(basename "$e" .txt | sed 's/^expected-explain-//')"
  done
  exports "$n" "$years" "$persons" "$ids"
  # the golden texts themselves: the ledger's explanation is settle's
  # (a rejected row's first line names its ledger row, not its file line,
  # and a malformed fee line's detail is not stored: both stores alike)
  for c in $ids; do
    grep -q '被拒 is rejected' "$dir/expected-explain-$c.txt" && continue
    both "$n" db explain --db @ --claim "$c"
    same_file "$n: PostgreSQL's explain $c = golden" "$dir/expected-explain-$c.txt" "$work/$n.pg.out"
  done
  if [ -f "$dir/expected-reassistance.csv" ]; then
    for y in $years; do
      both "$n" db reassist --db @ --year "$y" --commit
      same_out "$n" "reassist --commit $y"
    done
    both "$n" db balance --db @ --person "$(echo "$persons" | head -1)" --year "$(echo "$years" | awk '{ print $NF }')"
    same_out "$n" "balance after reassist --commit"
  fi
  # enrollment on the first day of each year, its coverage and a reconcile
  # list made of the registry (every person's last row, one household and
  # one category changed, one unknown person)
  awk -F, 'NR > 1 { n[substr($3, 1, 4) "00"]++; n[$3]++ } END { for (r in n) print r "," n[r] * 2 }' \
    "$dir/persons.csv" | sort >"$work/$n.pop.csv"
  sed -i '1i region,population' "$work/$n.pop.csv"
  awk -F, 'NR == 1 { print "person_id,household_id,category"; next }
    { last[$1] = $1 "," $2 "," $4; if (!seen[$1]++) order[++k] = $1 }
    END { for (i = 1; i <= k; i++) { l = last[order[i]]
            if (i == 1) sub(/,[^,]*,/, ",HX,", l); if (i == 2) sub(/,[^,]*$/, ",monitored", l)
            print l }
          print "NOBODY,H0,destitute" }' "$dir/persons.csv" >"$work/$n.list.csv"
  for y in $years; do
    both "$n" db enroll --db @ --year "$y" --as-of "$y-01-01"
    same_err "$n" "enroll $y"
    both "$n" db coverage --db @ --population "$work/$n.pop.csv" --year "$y"
    same_out "$n" "coverage $y"
    same_err "$n" "coverage $y"
    both "$n" reconcile --db @ --year "$y" --list "$work/$n.list.csv"
    same_out "$n" "reconcile $y"
    same_err "$n" "reconcile $y"
    both "$n" reconcile --db @ --year "$y" --list "$work/$n.list.csv" --authority none
    same_out "$n" "reconcile --authority none $y"
  done
done

# ============================================================================
# 2. A generated set with fee lines, in three parts, in three orders.
# ============================================================================
g=$work/g
"$real_bin" gen --persons 400 --seed 21 --fees --fee-errors --out "$g" >/dev/null 2>&1 ||
  bad "gen --fees failed"
# the reversals in a part of their own; the other rows in two halves
awk -F, 'NR == 1 || $10 != ""' "$g/claims.csv" >"$g/p3.csv"
awk -F, 'NR > 1 && $10 == ""' "$g/claims.csv" >"$g/rest"
half=$(($(wc -l <"$g/rest") / 2))
{ head -1 "$g/claims.csv"; head -n "$half" "$g/rest"; } >"$g/p1.csv"
{ head -1 "$g/claims.csv"; tail -n +$((half + 1)) "$g/rest"; } >"$g/p2.csv"
nrev=$(($(wc -l <"$g/p3.csv") - 1))
if [ "$nrev" -gt 0 ]; then ok; else bad "gen: no reversal to import apart"; fi
persons=$(awk -F, 'NR > 1 && !s[$1]++ { print $1 }' "$g/persons.csv" | head -6)
# a claim id of each kind: the first settled, the first reversal and its original
ids="$(awk -F, 'NR == 2 { print $1 }' "$g/p1.csv") $(awk -F, 'NR == 2 { print $1, $10 }' "$g/p3.csv")"
for order in "1 2 3" "3 1 2" "2 3 1"; do
  n=split$(echo "$order" | tr -d ' ')
  both "$n" db init --db @
  both "$n" db add-policy --db @ "$policy"
  both "$n" db import-persons --db @ --persons "$g/persons.csv"
  both "$n" db add-catalog --db @ "$g/catalog.csv"
  for k in $order; do
    both "$n" db import-claims --db @ --claims "$g/p$k.csv" --fees "$g/fees.csv"
    same_err "$n" "import of part $k"
    both "$n" db export-settlements --db @
    same_out "$n" "settlements after part $k"
  done
  # a part again (duplicates: nothing new, or the rejected reversals
  # settled now that their originals are there), then the whole file
  both "$n" db import-claims --db @ --claims "$g/p3.csv" --fees "$g/fees.csv"
  same_err "$n" "part 3 again"
  both "$n" db import-claims --db @ --claims "$g/claims.csv" --fees "$g/fees.csv"
  same_err "$n" "the whole file after the parts"
  exports "$n" 2022 "$persons" "$ids"
done
# db resettle under a corrected policy (a lower deductible) on both
sed 's/"deductible": *\([0-9]\)/"deductible": 1\1/' "$policy" >"$g/policy-fix.json"
both split312 db resettle --db @ --year 2022 --policy "$g/policy-fix.json" --out "@OUT@/rs-fix"
same_files split312 rs-fix/claims.csv rs-fix/persons.csv

# ============================================================================
# 3. What a URI may hold, and connections that fail.
# ============================================================================
# no_secret NAME [TEXT...]: exit status 2, a message, and none of the
# TEXTs (default: Sekr3t, the password of most URIs below) in what was
# printed
no_secret() {
  _ns=$1; shift
  [ $# -gt 0 ] || set -- Sekr3t
  expect_rc "$_ns: exit status" 2
  if [ -s "$work/err.txt" ]; then ok; else bad "$_ns: no message"; fi
  for _t do
    if grep -F -q -- "$_t" "$work/out.txt" "$work/err.txt"; then
      bad "$_ns: '$_t' of the password is printed"; sed 's/^/    /' "$work/err.txt" | head -3
    else ok; fi
  done
}
a=127.0.0.1:$pg_port
uri=$(db_uri "$work/split123.db")
dbn=${uri##*/}
# the server is there (trust), but the URI is one libpq cannot read: its
# messages quote what they could not read
run db alerts --db "postgresql://postgres:Sekr3t%zz@$a/$dbn"
no_secret "a bad percent-encoding in the password"
contains "a bad percent-encoding: named" "$work/err.txt" "invalid percent-encoded token"
run db alerts --db "postgresql://postgres@$a/$dbn?password=Sekr3t%zz"
no_secret "a bad percent-encoding in password="
run db alerts --db "postgresql://postgres@$a/$dbn?pass%77ord=Sekr3t%zz"
no_secret "a bad percent-encoding in pass%77ord="
run db alerts --db "postgresql://postgres:Sekr3t@[::1/$dbn"
no_secret "a URI libpq quotes whole"
run db alerts --db "postgresql://postgres:Sek@r3t@$a/$dbn"
no_secret "an unencoded @ in the password" Sek@r3t r3t@
# a password= where libpq sees a user info without a password
run db alerts --db "postgresql://127.0.0.1:1?password=Sekr3t@$a/$dbn"
no_secret "password= before an @"
run db alerts --db "postgresql://postgres:Sekr3t@$a/$dbn?bogus=1"
no_secret "an unknown parameter"
contains "an unknown parameter: named" "$work/err.txt" 'invalid URI query parameter: "bogus"'
# a '?' in the password: libpq reads "Sek?r3t" as the password (no server
# on port 1: the message names the URI)
run db alerts --db "postgresql://postgres:Sek?r3t@127.0.0.1:1/$dbn?connect_timeout=2"
no_secret "a ? in the password, no server" 'Sek?r3t' '?r3t'
contains "no server: said so" "$work/err.txt" "cannot connect"
# eleven and more empty passwords made the masked URI longer than its
# allocation (a crash under ASan)
many=$(i=0; while [ $i -lt 16 ]; do printf 'password=&'; i=$((i + 1)); done)
run db alerts --db "postgresql://postgres:Sekr3t@127.0.0.1:1/$dbn?${many}connect_timeout=2"
no_secret "sixteen password= in the query"
# a wrong password: the server asks for one (scram) for a role of its own
pg_sql postgres "CREATE ROLE sbpw LOGIN PASSWORD 'Right-Pass'" >/dev/null
# shellcheck disable=SC2154  # set by lib/pg.sh
sed -i '1i host all sbpw 127.0.0.1/32 scram-sha-256' "$pg_dir/data/pg_hba.conf"
_pg_as "$PGBIN/pg_ctl" -D "$pg_dir/data" reload >/dev/null 2>&1
sleep 0.5
run db alerts --db "postgresql://sbpw:Sekr3t@$a/$dbn"
no_secret "a wrong password"
contains "a wrong password: said so" "$work/err.txt" 'password authentication failed for user "sbpw"'
run db alerts --db "postgresql://sbpw@$a/$dbn?password=Sekr3t"
no_secret "a wrong password=, said so"
# the role may log in but read nothing: not "not a sanbao ledger"
run db alerts --db "postgresql://sbpw:Right-Pass@$a/$dbn"
expect_rc "a role that may not read the ledger" 2
contains "a role that may not read: said so" "$work/err.txt" "cannot read the ledger's schema version"
contains "a role that may not read: why" "$work/err.txt" "permission denied for table sanbao_meta"
# a role that may only read: reads as postgres does, writes nothing
pg_sql "$dbn" "GRANT SELECT ON ALL TABLES IN SCHEMA public TO sbpw" >/dev/null
run db export-settlements --db "postgresql://sbpw:Right-Pass@$a/$dbn"
expect_rc "a read-only role: export" 0
both split123 db export-settlements --db @
same_file "a read-only role: the same export" "$work/split123.pg.out" "$work/out.txt"
before=$(pg_sql "$dbn" "SELECT count(*) FROM runs")
run db import-claims --db "postgresql://sbpw:Right-Pass@$a/$dbn" --claims "$g/p1.csv"
expect_rc "a read-only role: import-claims" 2
contains "a read-only role: import-claims says why" "$work/err.txt" "permission denied"
same_text "a read-only role: nothing written" "$before" "$(pg_sql "$dbn" "SELECT count(*) FROM runs")"
# db resettle by a role that may not record the run: exit 2 and no file in
# --out (its two files used to be in place before the record failed)
run db resettle --db "postgresql://sbpw:Right-Pass@$a/$dbn" --year 2022 --out "$work/rs-ro"
expect_rc "a read-only role: db resettle" 2
contains "a read-only role: db resettle says why" "$work/err.txt" "permission denied"
absent "a read-only role: db resettle leaves no file" "$work/rs-ro/claims.csv" "$work/rs-ro/persons.csv"
no_tmp "a read-only role: db resettle leaves no temporary file" "$work/rs-ro"

# A role that owns the ledger but may no longer create in its schema
# (PostgreSQL 15 gives CREATE on public only to the database's owner): a
# first import larger than a chunk dropped the primary keys and could not
# make them again -- every such import failed.  It keeps them now.
g4=$work/g4
"$real_bin" gen --persons 4000 --seed 4 --out "$g4" >/dev/null 2>&1 || bad "gen 4000 failed"
pg_sql postgres "CREATE ROLE sbown LOGIN" >/dev/null
"$real_bin" db init --db "$work/nocreate.db" 2>/dev/null
n4=$(db_uri "$work/nocreate.db")
n4=${n4##*/}
pg_sql "$n4" "GRANT CREATE ON SCHEMA public TO sbown" >/dev/null
own="postgresql://sbown@$a/$n4"
"$real_bin" db init --db "$own" 2>/dev/null
pg_sql "$n4" "REVOKE CREATE ON SCHEMA public FROM sbown" >/dev/null
"$real_bin" db add-policy --db "$own" "$policy" 2>/dev/null
"$real_bin" db import-persons --db "$own" --persons "$g4/persons.csv" 2>/dev/null
"$real_bin" db add-policy --db "$work/nocreate.db" "$policy" 2>/dev/null
"$real_bin" db import-persons --db "$work/nocreate.db" --persons "$g4/persons.csv" 2>/dev/null
run db import-claims --db "$own" --claims "$g4/claims.csv" --quiet
expect_rc "a first import by a role without CREATE" 0 1
"$real_bin" db import-claims --db "$work/nocreate.db" --claims "$g4/claims.csv" --quiet 2>/dev/null
"$real_bin" db export-settlements --db "$work/nocreate.db" --out "$work/nocreate.sq.csv"
run db export-settlements --db "$own" --out "$work/nocreate.pg.csv"
same_file "a first import by a role without CREATE: the same book" "$work/nocreate.sq.csv" \
  "$work/nocreate.pg.csv"

# db init names the ledger it made: the URI with its password masked, as
# every other message does (it used to print --db as given)
pg_sql postgres "CREATE DATABASE sbinit" >/dev/null
run db init --db "postgresql://postgres:Sekr3t@$a/sbinit"
expect_rc "db init with a password in the URI" 0
contains "db init: the ledger named" "$work/err.txt" "created postgresql://postgres:***@$a/sbinit"
if grep -F -q Sekr3t "$work/err.txt" "$work/out.txt"; then
  bad "db init: the password is printed"
else ok; fi
# serve's "listening on ... (ledger ...)" line names it the same way (it
# printed --db as given)
"$real_bin" tokens add --file "$work/sbinit.tokens" --institution H430102001 --role hospital \
  >/dev/null 2>&1
"$real_bin" serve --db "postgresql://postgres:Sekr3t@$a/sbinit" --tokens "$work/sbinit.tokens" \
  --policy "$policy" --listen 127.0.0.1:0 2>"$work/serve-err.txt" &
sp=$!
i=0
while [ $i -lt 100 ] && ! grep -q 'listening on' "$work/serve-err.txt"; do
  sleep 0.1
  i=$((i + 1))
done
kill "$sp" 2>/dev/null
wait "$sp" 2>/dev/null
contains "serve: the ledger named" "$work/serve-err.txt" "(ledger postgresql://postgres:***@$a/sbinit)"
if grep -F -q Sekr3t "$work/serve-err.txt"; then bad "serve: the password is printed"; else ok; fi

# ============================================================================
# 4. The database stopped in the middle of an import, and two at once.
# ============================================================================
pg_sql postgres "CREATE DATABASE mid" >/dev/null
mid="postgresql://postgres@$a/mid"
"$real_bin" db init --db "$mid" 2>/dev/null
"$real_bin" db add-policy --db "$mid" "$policy" 2>/dev/null
"$real_bin" db import-persons --db "$mid" --persons "$g4/persons.csv" 2>/dev/null
head -n 11 "$g4/claims.csv" >"$g4/ten.csv"
"$real_bin" db import-claims --db "$mid" --claims "$g4/ten.csv" --quiet 2>/dev/null
runs0=$(pg_sql mid "SELECT count(*) FROM runs")
# stopped as soon as the import holds the write lock (its transaction has
# begun): what it sent is rolled back by the server
"$real_bin" db import-claims --db "$mid" --claims "$g4/claims.csv" >"$work/out.txt" 2>"$work/err.txt" &
ipid=$!
i=0
while [ $i -lt 200 ] && [ "$(pg_sql postgres "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
    AND granted AND database = (SELECT oid FROM pg_database WHERE datname = 'mid')")" != 1 ]; do
  sleep 0.02; i=$((i + 1))
done
pg_server_stop
wait $ipid
rc=$?
pg_server_start
expect_rc "the server stopped during an import" 2
contains "the server stopped: said so" "$work/err.txt" "$mid"
same_text "the server stopped: the claims as before" 10 "$(pg_sql mid "SELECT count(*) FROM claims")"
same_text "the server stopped: claim ids as before" 10 "$(pg_sql mid "SELECT count(*) FROM claim_ids")"
same_text "the server stopped: the count as before" 10 "$(pg_sql mid "SELECT n FROM claims_count")"
same_text "the server stopped: no run recorded" "$runs0" "$(pg_sql mid "SELECT count(*) FROM runs")"
# the same import afterwards, and one of the two halves of another at
# once with the other: the book of the imports one after the other
run db import-claims --db "$mid" --claims "$g4/claims.csv" --quiet
expect_rc "the import again, the server back" 0 1
"$real_bin" db export-settlements --db "$mid" --out "$work/mid.csv" 2>/dev/null
"$real_bin" db init --db "$work/mid.db" 2>/dev/null
"$real_bin" db add-policy --db "$work/mid.db" "$policy" 2>/dev/null
"$real_bin" db import-persons --db "$work/mid.db" --persons "$g4/persons.csv" 2>/dev/null
"$real_bin" db import-claims --db "$work/mid.db" --claims "$g4/ten.csv" --quiet 2>/dev/null
"$real_bin" db import-claims --db "$work/mid.db" --claims "$g4/claims.csv" --quiet 2>/dev/null
"$real_bin" db export-settlements --db "$work/mid.db" --out "$work/mid.sq.csv" 2>/dev/null
same_file "the import after the server's stop = SQLite's" "$work/mid.sq.csv" "$work/mid.csv"

# two imports at once into one database (two halves of a file): one waits
# for the other's write lock; the book is that of the two one after the
# other, in one order or the other
rows=$(($(wc -l <"$g4/claims.csv") - 1))
head -n $((rows / 2 + 1)) "$g4/claims.csv" >"$g4/a.csv"
{ head -1 "$g4/claims.csv"; tail -n +$((rows / 2 + 2)) "$g4/claims.csv"; } >"$g4/b.csv"
pg_sql postgres "CREATE DATABASE twice" >/dev/null
tw="postgresql://postgres@$a/twice"
for d in "$tw" "$work/ab.db" "$work/ba.db"; do
  "$real_bin" db init --db "$d" 2>/dev/null
  "$real_bin" db add-policy --db "$d" "$policy" 2>/dev/null
  "$real_bin" db import-persons --db "$d" --persons "$g4/persons.csv" 2>/dev/null
done
"$real_bin" db import-claims --db "$tw" --claims "$g4/a.csv" --quiet 2>"$work/a.err" &
p1=$!
"$real_bin" db import-claims --db "$tw" --claims "$g4/b.csv" --quiet 2>"$work/b.err" &
p2=$!
wait $p1
rc=$?
expect_rc "two imports at once: the first" 0 1
wait $p2
rc=$?
expect_rc "two imports at once: the second" 0 1
"$real_bin" db export-settlements --db "$tw" --out "$work/twice.csv" 2>/dev/null
for o in ab ba; do
  for k in $(echo $o | sed 's/./& /g'); do
    "$real_bin" db import-claims --db "$work/$o.db" --claims "$g4/$k.csv" --quiet 2>/dev/null
  done
  "$real_bin" db export-settlements --db "$work/$o.db" --out "$work/$o.csv" 2>/dev/null
done
if cmp -s "$work/twice.csv" "$work/ab.csv" || cmp -s "$work/twice.csv" "$work/ba.csv"; then ok; else
  bad "two imports at once: the book of neither order"
fi

finish
