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
#   sqlite_v5_settlements_guards
#                     SQL making schema 5's index and triggers of settlements
#   sqlite_to_v5      SQL that turns a SQLite ledger of schema 6 back into
#                     schema 5's tables, rows kept (before user_version = 5):
#                     how a migration test makes an older ledger
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

# The unique index and triggers of schema 1-5's table settlements.
# shellcheck disable=SC2034  # used by the scripts that source this file
sqlite_v5_settlements_guards="
  CREATE UNIQUE INDEX settlements_reverses ON settlements(reverses_seq) WHERE reverses_seq IS NOT NULL;
  CREATE TRIGGER settlements_append_only_r BEFORE INSERT ON settlements
    WHEN EXISTS (SELECT 1 FROM settlements WHERE seq = NEW.seq)
    BEGIN SELECT RAISE(ABORT, 'settlements are append-only: a reversal is a new row'); END;
  CREATE TRIGGER settlements_append_only_u BEFORE UPDATE ON settlements
    BEGIN SELECT RAISE(ABORT, 'settlements are append-only: a reversal is a new row'); END;
  CREATE TRIGGER settlements_append_only_d BEFORE DELETE ON settlements
    BEGIN SELECT RAISE(ABORT, 'settlements are append-only: a reversal is a new row'); END;"
# The accumulators' sums of every person-year, in key order: what two
# ledgers of the same claims hold alike, whatever order numbered their rows
# (not the SQLite store's last_seq, a seq).
# shellcheck disable=SC2034  # used by the scripts that source this file
acc_sums_sql="SELECT person_id, year, adm_primary, adm_grade1, adm_grade2, adm_grade3,
  adm_provincial, alerted, dedc_ytd, basic_ytd, chronic_ytd, outpatient_ytd, ci_base, ci_paid,
  ma_base, ma_paid, psn_ytd, ra_base, ra_paid FROM accumulators ORDER BY person_id, year"

# chains_hold WHAT DB: the SQLite ledger's chains of a person's rows
# (schema 8) reach every row that is not rejected exactly once from the
# last_seq of its person-year, each link to an earlier row of the same
# person-year that is not rejected either.  Nothing on PostgreSQL (it keeps
# its index).
chains_hold() {
  [ "$store" = sqlite ] && command -v sqlite3 >/dev/null 2>&1 || return 0
  _n=$(sqlite3 "$2" "SELECT count(*) FROM claims WHERE status <> 'rejected'")
  same_text "$1: every row that is not rejected on its person-year's chain, once; no wrong link" \
    "$_n|$_n|$_n|0" "$(sqlite3 "$2" "WITH RECURSIVE ch(person_id, year, seq) AS (
        SELECT person_id, year, last_seq FROM accumulators WHERE last_seq IS NOT NULL
        UNION ALL SELECT ch.person_id, ch.year, c.person_prev FROM ch JOIN claims c ON c.seq = ch.seq
        WHERE c.person_prev < c.seq)
      SELECT (SELECT count(*) FROM ch), (SELECT count(DISTINCT seq) FROM ch),
        (SELECT count(*) FROM ch JOIN claims c ON c.seq = ch.seq AND c.person_id = ch.person_id
          AND c.year = ch.year AND c.status <> 'rejected'),
        (SELECT count(*) FROM claims c LEFT JOIN claims p ON p.seq = c.person_prev
          WHERE c.person_prev IS NOT NULL AND (p.seq IS NULL OR p.person_id <> c.person_id
          OR p.year <> c.year OR p.status = 'rejected' OR p.seq >= c.seq OR c.status = 'rejected'))")"
}

# Schema 7 found a person's rows by the index claims_person; schema 8 chains
# them (claims.person_prev, accumulators.last_seq) and indexes only the
# rejected ones (store_sqlite_schema.c, migration 7 -> 8).
# shellcheck disable=SC2034  # used by the scripts that source this file
sqlite_to_v7="DROP INDEX claims_person_rejected; CREATE INDEX claims_person ON claims(person_id);
  ALTER TABLE claims DROP COLUMN person_prev; ALTER TABLE accumulators DROP COLUMN last_seq"
# Schema 5 kept each received row's settlement in a table of its own, its
# visit, level and amounts whole; the view settlements reads them back
# (store_sqlite_schema.c, migration 5 -> 6).
# shellcheck disable=SC2034  # used by the scripts that source this file
sqlite_to_v5="$sqlite_to_v7; CREATE TABLE c5(seq INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(run_id), claim_id TEXT NOT NULL,
    person_id TEXT NOT NULL, date TEXT NOT NULL, visit_type TEXT, level TEXT,
    medfee_sumamt INTEGER, fulamt_ownpay_amt INTEGER, overlmt_selfpay INTEGER,
    preselfpay_amt INTEGER, reverses TEXT, content_key INTEGER NOT NULL) STRICT;
  INSERT INTO c5 SELECT seq, run_id, claim_id, person_id, date, visit_type, level, medfee_sumamt,
    fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, reverses, content_key FROM claims;
  CREATE TABLE s5(seq INTEGER PRIMARY KEY REFERENCES claims(seq),
    status TEXT NOT NULL CHECK (status IN ('settled','reversed','rejected')),
    reason TEXT, category TEXT, year INTEGER, visit_type TEXT, level TEXT,
    medfee_sumamt INTEGER, fulamt_ownpay_amt INTEGER, overlmt_selfpay INTEGER,
    preselfpay_amt INTEGER, act_pay_dedc INTEGER, hifp_pay INTEGER,
    hifmi_pay INTEGER, maf_pay INTEGER, reassist_pay INTEGER, fed_flags INTEGER,
    reverses_seq INTEGER REFERENCES s5(seq) DEFERRABLE INITIALLY DEFERRED,
    inscp_scp_amt INTEGER GENERATED ALWAYS AS
      (medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt) VIRTUAL,
    fund_pay_sumamt INTEGER GENERATED ALWAYS AS (hifp_pay + hifmi_pay + maf_pay + reassist_pay) VIRTUAL,
    psn_part_amt INTEGER GENERATED ALWAYS AS
      (medfee_sumamt - hifp_pay - hifmi_pay - maf_pay - reassist_pay) VIRTUAL,
    ci_fed INTEGER GENERATED ALWAYS AS (CASE WHEN fed_flags & 1 THEN
      medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt - hifp_pay ELSE 0 END) VIRTUAL,
    ma_fed INTEGER GENERATED ALWAYS AS (CASE WHEN fed_flags & 2 THEN
      medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt - hifp_pay
      - hifmi_pay ELSE 0 END) VIRTUAL,
    ra_fed INTEGER GENERATED ALWAYS AS (CASE WHEN fed_flags & 4 THEN
      medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt - hifp_pay
      - hifmi_pay - maf_pay ELSE 0 END) VIRTUAL) STRICT;
  INSERT INTO s5(seq, status, reason, category, year, visit_type, level, medfee_sumamt,
    fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, act_pay_dedc, hifp_pay, hifmi_pay,
    maf_pay, reassist_pay, fed_flags, reverses_seq) SELECT seq, status, reason, category, year,
    visit_type, level, medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt,
    act_pay_dedc, hifp_pay, hifmi_pay, maf_pay, reassist_pay, fed_flags, reverses_seq
    FROM settlements;
  DROP VIEW settlements; DROP TABLE claims;
  ALTER TABLE c5 RENAME TO claims; ALTER TABLE s5 RENAME TO settlements;
  CREATE INDEX claims_person ON claims(person_id);
  CREATE INDEX claims_reverses ON claims(reverses) WHERE reverses IS NOT NULL;
  CREATE TRIGGER claims_append_only_u BEFORE UPDATE ON claims
    BEGIN SELECT RAISE(ABORT, 'claims are append-only'); END;
  CREATE TRIGGER claims_append_only_d BEFORE DELETE ON claims
    BEGIN SELECT RAISE(ABORT, 'claims are append-only'); END;
  CREATE TRIGGER claims_append_only_r BEFORE INSERT ON claims
    WHEN EXISTS (SELECT 1 FROM claims WHERE seq = NEW.seq)
    BEGIN SELECT RAISE(ABORT, 'claims are append-only'); END;
  $sqlite_v5_settlements_guards
  CREATE TRIGGER claims_claim_ids AFTER INSERT ON claims
    BEGIN INSERT INTO claim_ids(claim_id, seq) VALUES (NEW.claim_id, NEW.seq); END"

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

# hold_write_lock DB HELD RELEASE: hold the ledger's write lock from another
# process (run it in the background): once it has the lock it creates the
# file HELD, and it lets go when the file RELEASE appears (or after 120 s).
# Files, not a fixed time: on a loaded machine (the sanitizer builds, other
# work) a lock held for a few seconds could end before the requests meant to
# queue behind it arrived.  1 when no shell can.
hold_write_lock() {
  if [ "$store" = pg ]; then
    {
      echo "\\set ON_ERROR_STOP on"
      echo "BEGIN; SELECT pg_advisory_xact_lock(1396853831);"
      printf '%s\n' "\\! touch '$2'"
      _wait_file "$3"
      echo "COMMIT;"
    } | PGOPTIONS=--client-min-messages=warning "$PGBIN/psql" -X -q -A -t -h 127.0.0.1 \
      -p "$pg_port" -U postgres -d "$(_db_name "$1")" >/dev/null 2>&1
  elif command -v sqlite3 >/dev/null 2>&1; then
    {
      # no HELD file unless BEGIN IMMEDIATE got the lock (a busy ledger waits
      # for it up to a minute, then the script stops)
      echo ".bail on"
      echo ".timeout 60000"
      echo "BEGIN IMMEDIATE;"
      echo ".shell touch '$2'"
      _wait_file "$3"
      echo "COMMIT;"
    } | sqlite3 "$1" >/dev/null 2>&1
  else
    return 1
  fi
}

# _wait_file FILE: until FILE exists, at most 120 s
_wait_file() {
  _wf=0
  while [ ! -e "$1" ] && [ "$_wf" -lt 1200 ]; do
    sleep 0.1
    _wf=$((_wf + 1))
  done
}
