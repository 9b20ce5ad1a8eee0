#!/bin/sh
# e2e: the SQLite and the PostgreSQL store keep the same book.  The same
# commands on the same inputs, once on an SQLite file and once on a
# PostgreSQL database, give byte for byte the same exports: settlements,
# alerts, fee results, balances, re-settlement and re-assistance files,
# coverage — for the golden cases with fee lines and re-assistance, and
# for generated data imported in two overlapping halves (idempotent
# re-import, reversals across imports).
# Runs under SANBAO_STORE=pg (ctest's e2e-pg/store_compare, the only entry
# ctest has for it), which starts the cluster; run by hand without it, it
# says so and skips.
# Usage: sh store_compare.sh SANBAO_BINARY PROJECT_ROOT  (prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
if [ "${SANBAO_STORE:-sqlite}" != pg ]; then
  skip "SQLite against PostgreSQL: runs as e2e-pg/store_compare (SANBAO_STORE=pg)"
  finish
fi
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"
policy=$root/policies/hunan-2022.json
golden=$root/tests/golden

# shellcheck source-path=SCRIPTDIR source=lib/both.sh
. "$(dirname "$0")/lib/both.sh"

# same_summary NAME WHAT: the two runs' stderr alike but for the timing line
same_summary() {
  grep -v '^  committed in' "$work/$1.sq.err" >"$work/$1.sq.sum"
  grep -v '^  committed in' "$work/$1.pg.err" >"$work/$1.pg.sum"
  same_file "$1: $2" "$work/$1.sq.sum" "$work/$1.pg.sum"
}

# exports NAME: every export of ledger NAME compared
exports() {
  both "$1" db export-settlements --db @
  same_out "$1" "export-settlements"
  both "$1" db alerts --db @
  same_out "$1" "alerts"
  both "$1" db export-fee-results --db @
  same_out "$1" "export-fee-results"
}

# ---- golden cases: fees (catalogue and fee lines), re-assistance, the rest
for dir in "$golden"/fees "$golden"/reassist "$golden"/basics "$golden"/multi-year; do
  n=$(basename "$dir")
  both "$n" db init --db @
  for p in "$dir"/policy-*.json; do both "$n" db add-policy --db @ "$p"; done
  both "$n" db import-persons --db @ --persons "$dir/persons.csv"
  if [ -f "$dir/catalog.csv" ]; then
    both "$n" db add-catalog --db @ "$dir/catalog.csv"
    both "$n" db import-claims --db @ --claims "$dir/claims.csv" --fees "$dir/fees.csv"
  else
    both "$n" db import-claims --db @ --claims "$dir/claims.csv"
  fi
  same_summary "$n" "import summary"
  exports "$n"
  for p in "$dir"/policy-*.json; do
    y=$(basename "$p" .json | sed 's/^policy-//')
    both "$n" db resettle --db @ --year "$y" --out "@OUT@/rs-$n-$y"
    same_files "$n" "rs-$n-$y/claims.csv" "rs-$n-$y/persons.csv"
    both "$n" db reassist --db @ --year "$y"
    same_out "$n" "reassist $y"
  done
done
# the golden settlements themselves (not only the two stores alike)
both basics db export-settlements --db @
same_file "basics: PostgreSQL export = golden" "$golden/basics/expected-settlements.csv" "$work/basics.pg.out"

# ---- generated data in two overlapping halves, then re-assistance committed
g=$work/g
"$real_bin" gen --persons 2000 --seed 5 --out "$g" >/dev/null 2>&1 || bad "gen failed"
rows=$(($(wc -l <"$g/claims.csv") - 1))
head -n $((rows * 2 / 3 + 1)) "$g/claims.csv" >"$g/first.csv"
{ head -1 "$g/claims.csv"; tail -n $((rows * 2 / 3)) "$g/claims.csv"; } >"$g/second.csv"
both gen db init --db @
both gen db add-policy --db @ "$policy"
both gen db import-persons --db @ --persons "$g/persons.csv"
# the indexes of the received rows' tables, as PostgreSQL defines them, and
# the identity of one (an index made again is a new relation)
row_indexes() {
  db_sql "$work/gen.db" "SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE tablename ~
    '^(claims|settlements|claim_ids)' ORDER BY 1"
}
claim_ids_pkey() { # [NAME]: of $work/NAME.db's twin (default gen)
  db_sql "$work/${1:-gen}.db" "SELECT oid FROM pg_class WHERE relname = 'claim_ids_pkey'"
}
indexes0=$(row_indexes)
pkey0=$(claim_ids_pkey)
both gen db import-claims --db @ --claims "$g/first.csv"
same_summary "gen" "first import summary"
# its 13,746 rows (more than a 4 MiB buffer of them, into an empty ledger)
# went in without the indexes, made again before the COMMIT
# (store_pg_rows.c, "the indexes of a large import"): all of them, as
# `db init` made them
same_text "gen: the first import's indexes, made again, as db init made them" "$indexes0" \
  "$(row_indexes)"
if [ -n "$pkey0" ] && [ "$pkey0" != "$(claim_ids_pkey)" ]; then ok; else
  bad "gen: the first import kept its indexes (claim_ids_pkey $pkey0 before, $(claim_ids_pkey) after)"
fi
both gen db import-claims --db @ --claims "$g/second.csv"
same_summary "gen" "second (overlapping) import summary"
# a ledger in use (10 claims) then given an import of 20,000, far larger
# than it and than a buffer: its indexes stay (readers of a live ledger
# never wait for an import; only a first import into an empty ledger
# drops them), and it keeps the same book as SQLite
both live db init --db @
both live db add-policy --db @ "$policy"
both live db import-persons --db @ --persons "$g/persons.csv"
head -n 11 "$g/claims.csv" >"$g/ten.csv"
both live db import-claims --db @ --claims "$g/ten.csv"
pkey1=$(claim_ids_pkey live)
both live db import-claims --db @ --claims "$g/claims.csv"
same_summary "live" "a large import into a ledger in use: summary"
if [ -n "$pkey1" ] && [ "$pkey1" = "$(claim_ids_pkey live)" ]; then ok; else
  bad "live: the import into a ledger in use made its indexes again (claim_ids_pkey $pkey1 before, $(claim_ids_pkey live) after)"
fi
both live db export-settlements --db @
same_out live "a large import into a ledger in use: settlements"
exports gen
for p in $(awk -F, 'NR > 1 { print $1 }' "$g/persons.csv" | head -8); do
  both gen db balance --db @ --person "$p" --year 2022
  same_out gen "balance of $p"
done
both gen db enroll --db @ --year 2022 --as-of 2021-10-01
same_summary "gen" "enroll summary"
awk -F, 'NR == 1 { print "region,population"; next } { n[$3]++ } END { for (r in n) print r "," n[r] * 3 }' \
  "$g/persons.csv" | sort >"$g/pop.csv"
both gen db coverage --db @ --population "$g/pop.csv" --year 2022
same_out gen "coverage"
both gen db resettle --db @ --year 2022 --out "@OUT@/rs-gen"
same_files gen rs-gen/claims.csv rs-gen/persons.csv
both gen db reassist --db @ --year 2022 --commit
same_out gen "reassist --commit"
both gen db reassist --db @ --year 2022
same_out gen "reassist after the commit"
exports gen
finish
