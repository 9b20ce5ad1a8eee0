/*
** sanbao ledger — the PostgreSQL ledger's schema: made by `db init` in an
** existing database, checked on every open (see store_pg.c).
**
** Growth: the tables that grow with the claims — claims, settlements, fee
** lines — and the accumulators are hash-partitioned by person_id
** (PARTITIONS partitions, PostgreSQL's native partitioning), and every
** join between them is on (seq, person_id), so all of one person's rows
** live in one partition of each and a join never leaves it.  That is also
** the shape Citus distributes: the same tables made distributed tables on
** person_id and co-located, the reference tables (policies, persons,
** runs, the catalogue) made reference tables.  Primary keys of partitioned
** tables must include the partition key, so seq is unique per person
** here, and globally by construction: the ledger assigns seqs as
** "count + 1" under its write lock (store_pg.c).
**
** Ids are `text COLLATE "C"`: compared and ordered by their bytes, as in
** SQLite, whatever the database's collation — an export lists enrollments
** in the same order from either store.  Dates stay text (YYYY-MM-DD), as
** received: a rejected row keeps its malformed date byte for byte.
**
** Received claims, settlements, re-assistance payments, the catalogue and
** fee lines are append-only: a trigger refuses UPDATE and DELETE on them
** (on every partition: row triggers of a partitioned table are cloned).
**
** Versions.  sanbao_meta's schema_version says which schema the database
** holds.  A sanbao opening a ledger of an older version migrates it first
** — under the write lock, in one transaction (PostgreSQL's DDL is
** transactional: a failed migration leaves the ledger as it was), each
** step of MIGRATIONS in turn — and records the step in
** sanbao_schema_history; servers of the older version that still run go
** on writing (a step only adds).  A ledger of a newer version is refused:
** this sanbao cannot know what it would break.  `db init` on a ledger of
** this version does nothing; on an older one it migrates it.
**   version 1  the first PostgreSQL schema
**   version 2  sanbao_schema_history: which sanbao made or migrated the
**              ledger to each version, and when
**   version 3  claim_ids (below), filled from the claims by the migration;
**              claims_claim_id dropped; claims.claim_id_kept
**
** claim_ids.  Every question the ledger asks by claim id — is it held, by
** which rows, of which content, reversed since? — went to claims, which is
** partitioned by person: each statement set up a scan of all 16
** partitions' claim-id indexes (a generic plan cannot prune on a column
** that is not the key), and PostgreSQL spent about a quarter of a server's
** claim there, under the write lock.  claim_ids is one table, not
** partitioned, with one row per received row: (claim_id, seq) its primary
** key, so every row of one claim id is one index range; its person (to
** read the row's settlement in its one partition), its content key (the
** re-import's question), its status and the seq it reverses (whether a
** row was undone).  It is append-only and written with its row in the
** same transaction (store_pg_rows.c).
**
** A sanbao of version 2 still running when the ledger is migrated would
** write claims without their claim_ids, and so could pay a duplicate: the
** migration adds claims.claim_id_kept with a CHECK that it is set, NOT
** VALID (the rows already there are not read), which such a sanbao's
** inserts do not set — they fail, naming the constraint, and nothing of
** them is stored.  This sanbao sets it to true.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_pg_int.h"

#define PG_SCHEMA_VERSION 3
#define PARTITIONS 16

#define HISTORY_TABLE                                                                              \
  "CREATE TABLE sanbao_schema_history(version integer PRIMARY KEY, applied_at text NOT NULL,"      \
  " applied_by text NOT NULL, how text NOT NULL)"

/* The table of claim ids (see above) and its index of reversals. */
#define CLAIM_IDS_TABLE                                                                            \
  "CREATE TABLE claim_ids(claim_id text COLLATE \"C\" NOT NULL, seq bigint NOT NULL,"              \
  " person_id text COLLATE \"C\" NOT NULL, content_key bigint NOT NULL,"                           \
  " status text NOT NULL CHECK (status IN ('settled','reversed','rejected')),"                     \
  " reverses_seq bigint, PRIMARY KEY (claim_id, seq));"                                            \
  "CREATE INDEX claim_ids_reverses ON claim_ids(reverses_seq) WHERE reverses_seq IS NOT NULL;"
/* The constraint an older sanbao's claims rows fail (see above): its name
** is the message. */
#define CLAIM_ID_KEPT                                                                              \
  "CONSTRAINT \"claims need sanbao of ledger schema 3 or later\" CHECK (claim_id_kept IS NOT "     \
  "NULL)"

/* MIGRATIONS[v]: the SQL taking a ledger from version v to v + 1. */
static const char *const MIGRATIONS[PG_SCHEMA_VERSION] = {
    [1] = HISTORY_TABLE,
    [2] = CLAIM_IDS_TABLE
    "INSERT INTO claim_ids SELECT c.claim_id, c.seq, c.person_id, c.content_key, s.status,"
    " s.reverses_seq FROM claims c JOIN settlements s ON s.seq = c.seq AND s.person_id ="
    " c.person_id;"
    "CREATE TRIGGER claim_ids_append_only BEFORE UPDATE OR DELETE ON claim_ids FOR EACH ROW"
    " EXECUTE FUNCTION sanbao_append_only('claim ids are append-only');"
    "DROP INDEX claims_claim_id;"
    "ALTER TABLE claims ADD COLUMN claim_id_kept boolean;"
    "ALTER TABLE claims ADD " CLAIM_ID_KEPT " NOT VALID",
};

/* The row of sanbao_schema_history for version %d, made `how`. */
#define HISTORY_ROW                                                                                \
  "INSERT INTO sanbao_schema_history VALUES (%d, to_char(now() AT TIME ZONE 'UTC',"                \
  " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'sanbao " SANBAO_VERSION "', '%s')"

/* The tables, in the order they are made. */
static const char SCHEMA[] =
    "CREATE TABLE sanbao_meta(key text PRIMARY KEY, value text NOT NULL);" HISTORY_TABLE ";"
    "CREATE FUNCTION sanbao_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    "  $$BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END$$;"
    "CREATE TABLE runs("
    "  run_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, kind text NOT NULL,"
    "  source text, started_at text NOT NULL, finished_at text, summary text);"
    "CREATE TABLE policies("
    "  year integer PRIMARY KEY, name text, json text NOT NULL, added_at text NOT NULL);"
    /* pid: the order of first registration */
    "CREATE TABLE persons("
    "  pid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  person_id text COLLATE \"C\" NOT NULL UNIQUE,"
    "  household_id text COLLATE \"C\" NOT NULL, region integer NOT NULL);"
    "CREATE TABLE person_categories("
    "  interval_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  pid bigint NOT NULL REFERENCES persons(pid), category text NOT NULL,"
    "  valid_from text, valid_to text);"
    "CREATE INDEX person_categories_pid ON person_categories(pid);"
    /* every claim row as received, in arrival order (seq) */
    "CREATE TABLE claims("
    "  seq bigint NOT NULL, run_id bigint NOT NULL,"
    "  claim_id text COLLATE \"C\" NOT NULL, person_id text COLLATE \"C\" NOT NULL,"
    "  date text NOT NULL, visit_type text, level text, medfee_sumamt bigint,"
    "  fulamt_ownpay_amt bigint, overlmt_selfpay bigint, preselfpay_amt bigint, reverses text,"
    "  content_key bigint NOT NULL, claim_id_kept boolean, " CLAIM_ID_KEPT ","
    "  PRIMARY KEY (seq, person_id)) PARTITION BY HASH (person_id);"
    /* the claim ids (see above) */
    CLAIM_IDS_TABLE
    /* one settlement per received row; amounts in fen (formats §4) */
    "CREATE TABLE settlements("
    "  seq bigint NOT NULL, person_id text COLLATE \"C\" NOT NULL,"
    "  status text NOT NULL CHECK (status IN ('settled','reversed','rejected')),"
    "  reason text, category text, year integer, visit_type text, level text,"
    "  medfee_sumamt bigint, fulamt_ownpay_amt bigint, overlmt_selfpay bigint,"
    "  preselfpay_amt bigint, act_pay_dedc bigint, hifp_pay bigint, hifmi_pay bigint,"
    "  maf_pay bigint, fed_flags integer, reverses_seq bigint, reassist_pay bigint,"
    "  PRIMARY KEY (seq, person_id)) PARTITION BY HASH (person_id);"
    "CREATE INDEX settlements_reverses ON settlements(reverses_seq)"
    "  WHERE reverses_seq IS NOT NULL;"
    /* what follows from the stored amounts, for analysts: computed exactly
    ** as the SQLite ledger's generated columns */
    "CREATE VIEW settlement_amounts AS SELECT s.*,"
    "  medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt AS inscp_scp_amt,"
    "  hifp_pay + hifmi_pay + maf_pay + reassist_pay AS fund_pay_sumamt,"
    "  medfee_sumamt - hifp_pay - hifmi_pay - maf_pay - reassist_pay AS psn_part_amt,"
    "  CASE WHEN fed_flags & 1 <> 0 THEN medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay"
    "    - preselfpay_amt - hifp_pay ELSE 0 END AS ci_fed,"
    "  CASE WHEN fed_flags & 2 <> 0 THEN medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay"
    "    - preselfpay_amt - hifp_pay - hifmi_pay ELSE 0 END AS ma_fed,"
    "  CASE WHEN fed_flags & 4 <> 0 THEN medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay"
    "    - preselfpay_amt - hifp_pay - hifmi_pay - maf_pay ELSE 0 END AS ra_fed"
    "  FROM settlements s;"
    "CREATE TABLE accumulators("
    "  person_id text COLLATE \"C\" NOT NULL, year integer NOT NULL,"
    "  adm_primary integer NOT NULL, adm_grade1 integer NOT NULL, adm_grade2 integer NOT NULL,"
    "  adm_grade3 integer NOT NULL, adm_provincial integer NOT NULL, alerted bigint NOT NULL,"
    "  dedc_ytd bigint NOT NULL, basic_ytd bigint NOT NULL, chronic_ytd bigint NOT NULL,"
    "  outpatient_ytd bigint NOT NULL, ci_base bigint NOT NULL, ci_paid bigint NOT NULL,"
    "  ma_base bigint NOT NULL, ma_paid bigint NOT NULL, psn_ytd bigint NOT NULL,"
    "  ra_base bigint NOT NULL, ra_paid bigint NOT NULL,"
    "  PRIMARY KEY (person_id, year)) PARTITION BY HASH (person_id);"
    "CREATE TABLE alerts("
    "  alert_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, seq bigint NOT NULL,"
    "  rule text NOT NULL, person_id text COLLATE \"C\" NOT NULL,"
    "  household_id text COLLATE \"C\" NOT NULL, claim_id text COLLATE \"C\" NOT NULL,"
    "  date text NOT NULL, psn_ytd bigint NOT NULL, threshold bigint NOT NULL);"
    "CREATE INDEX alerts_seq ON alerts(seq);"
    /* what the console reads without a scan (store_pg_console.c) */
    "CREATE INDEX claims_reverses ON claims(reverses) WHERE reverses IS NOT NULL;"
    "CREATE INDEX alerts_person ON alerts(person_id);"
    "CREATE TABLE alert_marks("
    "  mark_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, seq bigint NOT NULL,"
    "  rule text NOT NULL, who text NOT NULL, at text NOT NULL, note text NOT NULL);"
    "CREATE TABLE enrollments("
    "  person_id text COLLATE \"C\" NOT NULL, year integer NOT NULL, category text NOT NULL,"
    "  premium bigint NOT NULL, subsidy bigint NOT NULL, personal bigint NOT NULL,"
    "  as_of text NOT NULL, PRIMARY KEY (person_id, year));"
    "CREATE TABLE reassist_payments("
    "  pay_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  run_id bigint NOT NULL REFERENCES runs(run_id), person_id text COLLATE \"C\" NOT NULL,"
    "  year integer NOT NULL, category text NOT NULL, base bigint NOT NULL,"
    "  entitlement bigint NOT NULL, amount bigint NOT NULL);"
    "CREATE INDEX reassist_payments_person ON reassist_payments(year, person_id);"
    "CREATE TABLE catalog_items("
    "  item_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  run_id bigint NOT NULL REFERENCES runs(run_id), med_list_codg text COLLATE \"C\" NOT NULL,"
    "  chrgitm_lv integer NOT NULL, selfpay_prop integer NOT NULL, pric_uplmt bigint,"
    "  begndate text NOT NULL, enddate text);"
    "CREATE TABLE fee_lines("
    "  seq bigint NOT NULL, person_id text COLLATE \"C\" NOT NULL, line_no integer NOT NULL,"
    "  feedetl_sn text NOT NULL, med_list_codg text NOT NULL, cnt bigint, pric bigint,"
    "  status text NOT NULL CHECK (status IN ('ok','unlisted','bad')), chrgitm_lv integer,"
    "  det_item_fee_sumamt bigint, fulamt_ownpay_amt bigint, overlmt_amt bigint,"
    "  preselfpay_amt bigint, PRIMARY KEY (seq, line_no, person_id))"
    "  PARTITION BY HASH (person_id);";

/*
** The indexes an import of many rows makes again after them (store_pg_rows.c,
** "the indexes of a large import"): the primary keys of claims, settlements
** and claim_ids and the three indexes of reversals, named as SCHEMA and
** MIGRATIONS name them (the partitions' own indexes are named by PostgreSQL
** alike both ways).  An index added to those tables later belongs in both
** lists, or in neither.
*/
const char PG_DROP_ROW_INDEXES[] =
    "ALTER TABLE claims DROP CONSTRAINT claims_pkey;"
    "ALTER TABLE settlements DROP CONSTRAINT settlements_pkey;"
    "ALTER TABLE claim_ids DROP CONSTRAINT claim_ids_pkey;"
    "DROP INDEX claims_reverses, settlements_reverses, claim_ids_reverses";
const char PG_MAKE_ROW_INDEXES[] =
    "ALTER TABLE claims ADD CONSTRAINT claims_pkey PRIMARY KEY (seq, person_id);"
    "ALTER TABLE settlements ADD CONSTRAINT settlements_pkey PRIMARY KEY (seq, person_id);"
    "ALTER TABLE claim_ids ADD CONSTRAINT claim_ids_pkey PRIMARY KEY (claim_id, seq);"
    "CREATE INDEX claims_reverses ON claims(reverses) WHERE reverses IS NOT NULL;"
    "CREATE INDEX settlements_reverses ON settlements(reverses_seq)"
    " WHERE reverses_seq IS NOT NULL;"
    "CREATE INDEX claim_ids_reverses ON claim_ids(reverses_seq) WHERE reverses_seq IS NOT NULL";

/* The partitioned tables, and the append-only tables with their message. */
static const char *const PARTITIONED[] = {"claims", "settlements", "accumulators", "fee_lines"};
static const char *const APPEND_ONLY[][2] = {
    {"claims", "claims are append-only"},
    {"settlements", "settlements are append-only: a reversal is a new row"},
    {"claim_ids", "claim ids are append-only"},
    {"reassist_payments", "re-assistance payments are append-only"},
    {"catalog_items", "the catalogue is append-only"},
    {"fee_lines", "fee lines are append-only"},
    {"alert_marks", "handled marks are append-only"}};

/* Whether the connected database holds the schema: 1 yes, 0 no. */
static int has_schema(pg_store *s, sb_error *err) {
  PGresult *r = PQexec(s->conn, "SELECT to_regclass('sanbao_meta') IS NOT NULL");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    int rc = pg_error(s, r, err, "cannot read the database's tables");
    PQclear(r);
    return rc;
  }
  int has = PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  return has;
}

/* The version of the ledger in the connected database (which holds
** sanbao_meta): 0 or more, or a negative SB_E* code with `err` set when the
** database holds no sanbao ledger or cannot be read. */
static int ledger_version(pg_store *s, sb_error *err) {
  PGresult *r = PQexec(s->conn, "SELECT (SELECT value FROM sanbao_meta WHERE key ="
                                " 'application'), (SELECT value FROM sanbao_meta WHERE key ="
                                " 'schema_version')");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    int rc = pg_error(s, r, err, "not a sanbao ledger");
    PQclear(r);
    return rc;
  }
  int ours = !PQgetisnull(r, 0, 0) && strcmp(PQgetvalue(r, 0, 0), "sanbao ledger") == 0;
  int version = PQgetisnull(r, 0, 1) ? 0 : atoi(PQgetvalue(r, 0, 1));
  PQclear(r);
  if (!ours)
    return sb_error_set(err, SB_EINVAL, s->where,
                        "not a sanbao ledger (a sanbao_meta table of another application)");
  if (version < 1)
    return sb_error_set(err, SB_EINVAL, s->where,
                        "damaged ledger: its schema version is missing or not a number");
  if (version > PG_SCHEMA_VERSION)
    return sb_error_set(err, SB_EINVAL, s->where,
                        "the ledger's schema is version %d, newer than this sanbao's (%d): open it"
                        " with the sanbao that made it, or a later one",
                        version, PG_SCHEMA_VERSION);
  return version;
}

/* Inside a transaction holding the write lock: take a ledger of version v
** to this sanbao's, step by step, recording each step. */
static int migrate(pg_store *s, int v, sb_error *err) {
  char sql[512];
  for (; v < PG_SCHEMA_VERSION; v++) {
    int rc = pg_exec(s, MIGRATIONS[v], err, "cannot migrate the ledger's schema");
    if (!rc) {
      snprintf(sql, sizeof sql, HISTORY_ROW, v + 1, "migrated");
      rc = pg_exec(s, sql, err, "cannot migrate the ledger's schema");
    }
    if (!rc) {
      snprintf(sql, sizeof sql, "UPDATE sanbao_meta SET value = '%d' WHERE key = 'schema_version'",
               v + 1);
      rc = pg_exec(s, sql, err, "cannot migrate the ledger's schema");
    }
    if (rc) return rc;
  }
  return SB_OK;
}

/* Make the schema in a database without one (inside the transaction). */
static int create(pg_store *s, sb_error *err) {
  int rc = pg_exec(s, SCHEMA, err, "cannot create the schema");
  if (rc) return rc;
  char sql[512];
  for (size_t t = 0; t < sizeof PARTITIONED / sizeof *PARTITIONED; t++)
    for (int k = 0; k < PARTITIONS; k++) {
      snprintf(sql, sizeof sql,
               "CREATE TABLE %s_p%02d PARTITION OF %s FOR VALUES WITH (MODULUS %d, REMAINDER %d)",
               PARTITIONED[t], k, PARTITIONED[t], PARTITIONS, k);
      if ((rc = pg_exec(s, sql, err, "cannot create the schema"))) return rc;
    }
  for (size_t t = 0; t < sizeof APPEND_ONLY / sizeof *APPEND_ONLY; t++) {
    snprintf(sql, sizeof sql,
             "CREATE TRIGGER %s_append_only BEFORE UPDATE OR DELETE ON %s FOR EACH ROW"
             " EXECUTE FUNCTION sanbao_append_only('%s')",
             APPEND_ONLY[t][0], APPEND_ONLY[t][0], APPEND_ONLY[t][1]);
    if ((rc = pg_exec(s, sql, err, "cannot create the schema"))) return rc;
  }
  snprintf(sql, sizeof sql,
           "INSERT INTO sanbao_meta VALUES ('application', 'sanbao ledger'),"
           " ('schema_version', '%d'), ('created_by', 'sanbao " SANBAO_VERSION "')",
           PG_SCHEMA_VERSION);
  if ((rc = pg_exec(s, sql, err, "cannot stamp the schema"))) return rc;
  snprintf(sql, sizeof sql, HISTORY_ROW, PG_SCHEMA_VERSION, "created");
  return pg_exec(s, sql, err, "cannot stamp the schema");
}

/* Under the write lock, in one transaction: create the schema (create_it:
** only in a database without one) or bring it to this version (!create_it:
** only when it is older). */
static int make_current(pg_store *s, int create_it, sb_error *err) {
  /* the write lock first: two `db init` (or two servers opening an older
  ** ledger) at once make one schema, or migrate once */
  int rc = pg_exec(s, "BEGIN", err, "cannot create the schema");
  if (rc) return rc;
  if ((rc = pg_exec(s, "SELECT pg_advisory_xact_lock(1396853831)", err,
                    "cannot take the write lock")))
    goto fail;
  int has = has_schema(s, err);
  if (has < 0) {
    rc = has;
    goto fail;
  }
  if (!has && !create_it) {
    rc = sb_error_set(err, SB_EIO, s->where,
                      "no sanbao ledger in this database (create one with 'sanbao db init')");
    goto fail;
  }
  if (has && create_it) {
    /* as the SQLite store refuses an existing file: `db init` makes a new
    ** ledger, never touches one (opening it migrates an older one); a
    ** newer one is refused by ledger_version(), naming both versions */
    int v = ledger_version(s, err);
    rc = v < 0 ? v
               : sb_error_set(err, SB_EINVAL, s->where,
                              "already holds a sanbao ledger: a new ledger needs a database "
                              "without one");
    goto fail;
  }
  if (!has) {
    rc = create(s, err);
  } else {
    int v = ledger_version(s, err);
    rc = v < 0 ? v : v < PG_SCHEMA_VERSION ? migrate(s, v, err) : SB_OK;
  }
  if (rc || (rc = pg_exec(s, "COMMIT", err, "cannot create the schema"))) goto fail;
  return SB_OK;
fail:
  pg_exec(s, "ROLLBACK", NULL, "");
  return rc ? rc : SB_EIO;
}

int pg_schema_create(pg_store *s, sb_error *err) {
  return make_current(s, 1, err);
}

int pg_schema_check(pg_store *s, sb_error *err) {
  int has = has_schema(s, err);
  if (has < 0) return has;
  if (!has)
    return sb_error_set(err, SB_EIO, s->where,
                        "no sanbao ledger in this database (create one with 'sanbao db init')");
  int v = ledger_version(s, err);
  if (v < 0) return v;
  return v < PG_SCHEMA_VERSION ? make_current(s, 0, err) : SB_OK;
}
