/*
** sanbao ledger — the PostgreSQL ledger's schema: made by `db init` in an
** existing database, checked on every open (see store_pg.c).
**
** Growth: the tables that grow with the claims — claims (each received
** row with its settlement since schema 4; settlements is a view of it),
** fee lines — and the accumulators are hash-partitioned by person_id
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
** Received claims (with their settlements), re-assistance payments, the
** catalogue and fee lines are append-only: a trigger refuses UPDATE and
** DELETE on them (on every partition: row triggers of a partitioned table
** are cloned); the view settlements refuses every write (INSTEAD OF).
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
**   version 4  one row a received row: claims holds each row and its
**              settlement, settlements is a view of it (below)
**   version 5  the names of claims and claim_ids (status, visit type,
**              level, category) stored as codes (below); claims_count
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

#define PG_SCHEMA_VERSION 5
#define PARTITIONS PG_PARTITIONS

#define HISTORY_TABLE                                                                              \
  "CREATE TABLE sanbao_schema_history(version integer PRIMARY KEY, applied_at text NOT NULL,"      \
  " applied_by text NOT NULL, how text NOT NULL)"

/* The table of claim ids (see above) and its index of reversals: schema
** 3's, and since schema 4 unique -- a settlement is reversed at most once,
** as the SQLite ledger's unique index on claims' reverses_seq says (claims
** is partitioned by person here, and a unique index of a partitioned table
** must hold the key; claim_ids is not partitioned, and has every row's
** reverses_seq but a rejected row's). */
#define CLAIM_IDS_TABLE_OF(status)                                                                 \
  "CREATE TABLE claim_ids(claim_id text COLLATE \"C\" NOT NULL, seq bigint NOT NULL,"              \
  " person_id text COLLATE \"C\" NOT NULL, content_key bigint NOT NULL, status " status            \
  " NOT NULL,"                                                                                     \
  " reverses_seq bigint, PRIMARY KEY (claim_id, seq));"
/* status as schema 3 made it (migration 2 -> 3), and as a code (schema 5) */
#define STATUS_TEXT "text CHECK (status IN ('settled','reversed','rejected'))"
#define STATUS_CODE "smallint CHECK (status BETWEEN 0 AND 2)"
#define CLAIM_IDS_TABLE CLAIM_IDS_TABLE_OF(STATUS_CODE)
#define CLAIM_IDS_REVERSES_V3                                                                      \
  "CREATE INDEX claim_ids_reverses ON claim_ids(reverses_seq) WHERE reverses_seq IS NOT NULL;"
#define CLAIM_IDS_REVERSES                                                                         \
  "CREATE UNIQUE INDEX claim_ids_reverses ON claim_ids(reverses_seq)"                              \
  " WHERE reverses_seq IS NOT NULL;"
/* The constraint an older sanbao's claims rows fail (see above): its name
** is the message. */
#define CLAIM_ID_KEPT                                                                              \
  "CONSTRAINT \"claims need sanbao of ledger schema 3 or later\" CHECK (claim_id_kept IS NOT "     \
  "NULL)"

/*
** Schema 4: one row a received row (issue 13 point 7).  Until schema 3 a
** received row's settlement was a row of its own in settlements, 1:1 by
** (seq, person_id): every received claim cost COPY three tuples (claims,
** settlements, claim_ids), each with its header, its partition routing and
** its primary-key entry, and its visit type, level and four amounts were
** stored twice -- a settled row's settlement has the received row's (in
** the 2 M claims of scripts/bench-pg.sh: equal in every settled row; a
** reversal's are the original's negated; a rejected row has none).
**
** So, as the SQLite ledger's schema 6 (store_sqlite_schema.c), the
** settlement's columns follow the received row's in claims, and of those
** that repeat a received column -- visit_type, level and the four amounts
** -- a row stores only what differs: setl_X is NULL where the settlement's
** X is the received row's X, compared value by value when the row is
** encoded (store_pg_rows.c), so a row settled from fee lines, a reversal
** or a row that could not be parsed stores what it must, and a rejected
** row stores none.  Reading compares nothing: the settlement's X is
** coalesce(setl_X, X) for a row that is not rejected, NULL for one that
** is.  The view settlements gives SQL readers schema 3's table (its
** columns in its order, its values), and settlement_amounts is made over
** it as before; an INSTEAD OF trigger refuses any write to it.
**
** status is the settlement's, so every claims row of this schema has one:
** a sanbao of schema 3 still running when the ledger is migrated would
** write claims without it (and its settlement to the view, which refuses
** it): a CHECK, named as its message, refuses such a row first, and
** nothing of its transaction is stored.  (NOT NULL would say less: it is
** checked before any CHECK.)
*/
#define CLAIMS_COLUMNS_OF(code, status)                                                            \
  "(seq bigint NOT NULL, run_id bigint NOT NULL,"                                                  \
  " claim_id text COLLATE \"C\" NOT NULL, person_id text COLLATE \"C\" NOT NULL,"                  \
  " date text NOT NULL, visit_type " code ", level " code ", medfee_sumamt bigint,"                \
  " fulamt_ownpay_amt bigint, overlmt_selfpay bigint, preselfpay_amt bigint, reverses text,"       \
  " content_key bigint NOT NULL, claim_id_kept boolean, " CLAIM_ID_KEPT ","                        \
  " status " status ","                                                                            \
  " CONSTRAINT \"claims need sanbao of ledger schema 4 or later\" CHECK (status IS NOT NULL),"     \
  " reason text, category " code ", year integer, setl_visit_type " code ", setl_level " code ","  \
  " setl_medfee_sumamt bigint, setl_fulamt_ownpay_amt bigint, setl_overlmt_selfpay bigint,"        \
  " setl_preselfpay_amt bigint, act_pay_dedc bigint, hifp_pay bigint, hifmi_pay bigint,"           \
  " maf_pay bigint, fed_flags integer, reverses_seq bigint, reassist_pay bigint"
/* schema 4's (made by migration 3 -> 4) and schema 5's */
#define CLAIMS_COLUMNS_V4 CLAIMS_COLUMNS_OF("text", STATUS_TEXT)
#define CLAIMS_COLUMNS CLAIMS_COLUMNS_OF("smallint", STATUS_CODE)
/* A settlement's X: the row's setl_X, or its X where that is NULL (above);
** NULL for a rejected row. */
#define SETTLED_AS(x, f)                                                                           \
  " CASE WHEN status <> " PG_REJECTED " THEN " f "(coalesce(setl_" x ", " x ")) END AS " x ","
#define SETTLED_COLS                                                                               \
  SETTLED_AS("visit_type", "sanbao_visit")                                                         \
  SETTLED_AS("level", "sanbao_level")                                                              \
  SETTLED_AS("medfee_sumamt", "")                                                                  \
  SETTLED_AS("fulamt_ownpay_amt", "")                                                              \
  SETTLED_AS("overlmt_selfpay", "") SETTLED_AS("preselfpay_amt", "")
#define SETTLEMENT_AMOUNTS_VIEW                                                                    \
  "CREATE VIEW settlement_amounts AS SELECT s.*,"                                                  \
  "  medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt AS inscp_scp_amt,"       \
  "  hifp_pay + hifmi_pay + maf_pay + reassist_pay AS fund_pay_sumamt,"                            \
  "  medfee_sumamt - hifp_pay - hifmi_pay - maf_pay - reassist_pay AS psn_part_amt,"               \
  "  CASE WHEN fed_flags & 1 <> 0 THEN medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay"        \
  "    - preselfpay_amt - hifp_pay ELSE 0 END AS ci_fed,"                                          \
  "  CASE WHEN fed_flags & 2 <> 0 THEN medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay"        \
  "    - preselfpay_amt - hifp_pay - hifmi_pay ELSE 0 END AS ma_fed,"                              \
  "  CASE WHEN fed_flags & 4 <> 0 THEN medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay"        \
  "    - preselfpay_amt - hifp_pay - hifmi_pay - maf_pay ELSE 0 END AS ra_fed"                     \
  "  FROM settlements s;"
/* The view settlements, its trigger, and settlement_amounts over it (what
** follows from the stored amounts, for analysts: computed exactly as the
** SQLite ledger's generated columns). */
#define SETTLEMENTS_VIEW                                                                           \
  "CREATE VIEW settlements AS SELECT seq, person_id, sanbao_status(status) AS status, reason,"     \
  " sanbao_category(category) AS category, year," SETTLED_COLS                                     \
  " act_pay_dedc, hifp_pay, hifmi_pay, maf_pay, fed_flags, reverses_seq, reassist_pay"             \
  " FROM claims;"                                                                                  \
  "CREATE TRIGGER settlements_append_only INSTEAD OF INSERT OR UPDATE OR DELETE ON settlements"    \
  " FOR EACH ROW EXECUTE FUNCTION"                                                                 \
  " sanbao_append_only('settlements are append-only: a reversal is a new "                         \
  "row');" SETTLEMENT_AMOUNTS_VIEW
/* what the console reads without a scan (store_pg_console.c) */
#define CLAIMS_REVERSES                                                                            \
  "CREATE INDEX claims_reverses ON claims(reverses) WHERE reverses IS NOT NULL;"
/* A setl_X of the migration: NULL where the old settlement's X is the
** received row's. */
#define SETL_OF(x) " CASE WHEN s." x " IS NOT DISTINCT FROM c." x " THEN NULL ELSE s." x " END,"
#define SETL_COLS                                                                                  \
  SETL_OF("visit_type")                                                                            \
  SETL_OF("level")                                                                                 \
  SETL_OF("medfee_sumamt")                                                                         \
  SETL_OF("fulamt_ownpay_amt") SETL_OF("overlmt_selfpay") SETL_OF("preselfpay_amt")

/*
** 3 -> 4 (see above), run by migrate_3() around the partitions it makes
** and renames: the new claims is made as claims_v4 without its indexes,
** filled in seq order from claims and settlements (a LEFT JOIN: a claims
** row without a settlement, which no sanbao writes, fails the status CHECK
** and so the migration, rather than be lost), the old tables dropped with
** their views, triggers and indexes, and the new one renamed to claims and
** given its indexes (made once, sorted) and its trigger (the views are
** made by the step after, 4 -> 5, over its codes); the index of reversals
** of claim_ids is made again, unique.  Every
** row's claim_id_kept is true: migration 2 -> 3 filled claim_ids from
** every row, so the CHECK of CLAIM_ID_KEPT holds, validated, as in a new
** ledger.
*/
#define MIGRATE_3_FILL                                                                             \
  "INSERT INTO claims_v4 SELECT c.seq, c.run_id, c.claim_id, c.person_id, c.date, c.visit_type,"   \
  " c.level, c.medfee_sumamt, c.fulamt_ownpay_amt, c.overlmt_selfpay, c.preselfpay_amt,"           \
  " c.reverses, c.content_key, true, s.status, s.reason, s.category, s.year," SETL_COLS            \
  " s.act_pay_dedc, s.hifp_pay, s.hifmi_pay, s.maf_pay, s.fed_flags, s.reverses_seq,"              \
  " s.reassist_pay FROM claims c LEFT JOIN settlements s ON s.seq = c.seq"                         \
  " AND s.person_id = c.person_id ORDER BY c.seq;"                                                 \
  "DROP VIEW settlement_amounts; DROP TABLE settlements; DROP TABLE claims;"                       \
  "ALTER TABLE claims_v4 RENAME TO claims"
#define MIGRATE_3_FINISH                                                                           \
  "ALTER TABLE claims ADD CONSTRAINT claims_pkey PRIMARY KEY (seq, person_id);" CLAIMS_REVERSES    \
  "CREATE INDEX claims_reverses_seq ON claims(reverses_seq) WHERE reverses_seq IS NOT NULL;"       \
  "CREATE TRIGGER claims_append_only BEFORE UPDATE OR DELETE ON claims FOR EACH ROW"               \
  " EXECUTE FUNCTION sanbao_append_only('claims are append-only');"                                \
  "DROP INDEX claim_ids_reverses;" CLAIM_IDS_REVERSES

/*
** claims_count (schema 5): the largest seq of claims, one row.  Every
** writer reads it once it holds the write lock and numbers its rows from
** it (store_pg.c, begin), and sets it in the transaction that appends
** them (store_pg_rows.c, pg_commit_rows): as the write lock serialises the
** writers, it is max(seq) of claims at every commit, and a reader sees
** the two agree (one transaction).  Until schema 4 every writer asked
** claims for max(seq): a probe of each of the 16 partitions' primary
** keys, whose set-up made it about 120 us of the server's CPU a group
** (pg_stat_statements, two servers, docs/performance.md, tenth session)
** -- more than the group's claim_ids insert; the row is read and
** updated in a few.  Migration 4 -> 5 fills it from claims.
*/
#define CLAIMS_COUNT                                                                               \
  "CREATE TABLE claims_count(one boolean PRIMARY KEY DEFAULT true CHECK (one),"                    \
  " n bigint NOT NULL);"

/* MIGRATIONS[v]: the SQL taking a ledger from version v to v + 1. */
static const char *const MIGRATIONS[PG_SCHEMA_VERSION] = {
    [1] = HISTORY_TABLE,
    [2] = CLAIM_IDS_TABLE_OF(STATUS_TEXT) CLAIM_IDS_REVERSES_V3
    "INSERT INTO claim_ids SELECT c.claim_id, c.seq, c.person_id, c.content_key, s.status,"
    " s.reverses_seq FROM claims c JOIN settlements s ON s.seq = c.seq AND s.person_id ="
    " c.person_id;"
    "CREATE TRIGGER claim_ids_append_only BEFORE UPDATE OR DELETE ON claim_ids FOR EACH ROW"
    " EXECUTE FUNCTION sanbao_append_only('claim ids are append-only');"
    "DROP INDEX claims_claim_id;"
    "ALTER TABLE claims ADD COLUMN claim_id_kept boolean;"
    "ALTER TABLE claims ADD " CLAIM_ID_KEPT " NOT VALID",
    [3] = NULL, /* migrate_3() */
    [4] = NULL, /* migrate_4() */
};

/*
** Schema 5: the names of claims and claim_ids as codes.  A claims row
** held six names as text -- its status, its visit type and level, its
** category, and the settlement's visit type and level where they differ
** -- and its row of claim_ids its status again.  Each is one of a few
** names sanbao itself wrote (a row that could not be parsed stores NULL,
** never what it received), so each is now a smallint: the code of the
** name is its value in sanbao's own vocabularies (sanbao/types.h, the
** order fixed there: a category's code is also its bit in every category
** mask, a level's the accumulators' column order; a status's is
** SB_ROW_SETTLED, SB_ROW_REVERSED, SB_ROW_REJECTED, 0 to 2).  Why: a
** smallint is two bytes where a name took up to thirteen, and the server
** parses two bytes where it checked and copied a name: the 2 M claims of
** scripts/bench-pg.sh went into an unindexed claims by binary COPY in
** 2.89-2.94 s against 3.21-3.40 s (docs/performance.md, tenth session);
** an enum type, which would have kept the names, took as long as text
** (each value a catalogue lookup).
**
** The names stay readable: the functions sanbao_status, sanbao_visit,
** sanbao_level and sanbao_category name a code (NULL for NULL), made here
** from the same C tables that name them in files (CODES below), so the
** database and sanbao cannot disagree; the view settlements names them,
** as it did (its columns and values are schema 3's and 4's).  Rejected
** rows are status 2, which the queries of store_pg.c name by the macros
** of store_pg_int.h.  Only status keeps a CHECK: the others' would cost
** the COPY a test each, a row, for what only sanbao writes.
**
** 4 -> 5 (migrate_4): the views dropped; the functions made; every name
** held checked to be one this sanbao knows (a row with another fails the
** migration, naming its seq, rather than be stored as NULL); status's
** CHECK dropped (by its definition: a ledger migrated from schema 3 named
** it after claims_v4), each column's type changed in place (PostgreSQL
** rewrites claims and claim_ids: a ledger of many claims takes a while,
** under the write lock), the CHECK made again under the new ledger's name,
** and the views made over the codes.  A sanbao of schema 4 still running
** sends names where codes are: PostgreSQL refuses them ("incorrect binary
** data format", or a text into a smallint column), and nothing of that
** transaction is stored.
*/
static const char *status_name(int k) {
  return k >= 0 && k < 3 ? SB_STORED_STATUS[k] : "?";
}
enum { CODE_STATUS, CODE_VISIT, CODE_LEVEL, CODE_CATEGORY };
static const struct {
  const char *fn; /* the SQL function naming a code */
  int count;
  const char *(*name)(int);
} CODES[] = {[CODE_STATUS] = {"sanbao_status", 3, status_name},
             [CODE_VISIT] = {"sanbao_visit", SB_VISIT_COUNT, sb_visit_name},
             [CODE_LEVEL] = {"sanbao_level", SB_LEVEL_COUNT, sb_level_name},
             [CODE_CATEGORY] = {"sanbao_category", SB_CAT_COUNT, sb_category_name}};

/* The coded columns of schema 5, by table. */
static const struct {
  const char *table, *column;
  int kind;
} CODED[] = {{"claims", "visit_type", CODE_VISIT},      {"claims", "level", CODE_LEVEL},
             {"claims", "status", CODE_STATUS},         {"claims", "category", CODE_CATEGORY},
             {"claims", "setl_visit_type", CODE_VISIT}, {"claims", "setl_level", CODE_LEVEL},
             {"claim_ids", "status", CODE_STATUS}};

/* Append ARRAY['name of 0', 'name of 1', ...] for `kind`: 0 or -1. */
static int names_array(sb_buf *b, int kind) {
  int bad = sb_buf_put(b, "ARRAY[", 6);
  for (int i = 0; i < CODES[kind].count && !bad; i++)
    bad = sb_buf_printf(b, "%s'%s'", i ? ", " : "", CODES[kind].name(i));
  return bad || sb_buf_put(b, "]", 1) ? -1 : 0;
}

/* Run the SQL in b (NUL-terminated here), then free it; what: the error's. */
static int exec_buf(pg_store *s, sb_buf *b, int bad, sb_error *err, const char *what) {
  int rc = bad || sb_buf_put(b, "", 1) ? sb_error_set(err, SB_ENOMEM, s->where, "out of memory")
                                       : pg_exec(s, b->p, err, what);
  sb_buf_free(b);
  return rc;
}

/* The functions naming the codes (see above). */
static int make_code_functions(pg_store *s, const char *what, sb_error *err) {
  sb_buf b = {0};
  int bad = 0;
  for (size_t k = 0; k < sizeof CODES / sizeof *CODES && !bad; k++)
    bad = sb_buf_printf(&b,
                        "CREATE FUNCTION %s(code smallint) RETURNS text LANGUAGE sql IMMUTABLE"
                        " PARALLEL SAFE AS $$SELECT (",
                        CODES[k].fn) ||
          names_array(&b, (int)k) || sb_buf_printf(&b, ")[code + 1]$$;");
  return exec_buf(s, &b, bad, err, what);
}

/* Migration 4 -> 5 (see above). */
static int migrate_4(pg_store *s, sb_error *err) {
  const char *what = "cannot migrate the ledger's schema";
  /* (a ledger migrated from schema 3 has none: migrate_3 made none) */
  int rc = pg_exec(s, "DROP VIEW IF EXISTS settlement_amounts; DROP VIEW IF EXISTS settlements",
                   err, what);
  if (!rc) rc = make_code_functions(s, what, err);
  static const char *const TABLES[] = {"claims", "claim_ids"};
  for (int t = 0; t < 2 && !rc; t++) {
    const char *table = TABLES[t];
    /* a name this sanbao does not know: fail, naming the row */
    sb_buf b = {0};
    int bad = sb_buf_printf(&b, "SELECT seq FROM %s WHERE NOT (true", table);
    for (size_t c = 0; c < sizeof CODED / sizeof *CODED && !bad; c++)
      if (!strcmp(CODED[c].table, table))
        bad = sb_buf_printf(&b, " AND coalesce(%s = ANY(", CODED[c].column) ||
              names_array(&b, CODED[c].kind) || sb_buf_printf(&b, "), true)");
    bad = bad || sb_buf_printf(&b, ") LIMIT 1") || sb_buf_put(&b, "", 1);
    PGresult *r = bad ? NULL : PQexec(s->conn, b.p);
    sb_buf_free(&b);
    if (bad) return sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
      rc = pg_error(s, r, err, what);
    else if (PQntuples(r))
      rc = sb_error_set(err, SB_EINVAL, s->where,
                        "%s: the %s row of seq %s holds a name this sanbao does not know", what,
                        table, PQgetvalue(r, 0, 0));
    PQclear(r);
    if (rc) return rc;
    /* status's CHECK, by what it says: its name depends on the ledger's past */
    bad = sb_buf_printf(&b,
                        "DO $$DECLARE n text; BEGIN FOR n IN SELECT conname FROM pg_constraint"
                        " WHERE conrelid = '%s'::regclass AND contype = 'c' AND"
                        " pg_get_constraintdef(oid) LIKE '%%''rejected''%%' LOOP EXECUTE"
                        " format('ALTER TABLE %s DROP CONSTRAINT %%I', n); END LOOP; END$$;"
                        "ALTER TABLE %s",
                        table, table, table);
    const char *sep = " ";
    for (size_t c = 0; c < sizeof CODED / sizeof *CODED && !bad; c++)
      if (!strcmp(CODED[c].table, table)) {
        bad = sb_buf_printf(&b, "%sALTER COLUMN %s TYPE smallint USING (array_position(", sep,
                            CODED[c].column) ||
              names_array(&b, CODED[c].kind) ||
              sb_buf_printf(&b, ", %s) - 1)::smallint", CODED[c].column);
        sep = ", ";
      }
    bad = bad || sb_buf_printf(&b,
                               "; ALTER TABLE %s ADD CONSTRAINT %s_status_check"
                               " CHECK (status BETWEEN 0 AND 2)",
                               table, table);
    rc = exec_buf(s, &b, bad, err, what);
  }
  if (!rc) rc = pg_exec(s, SETTLEMENTS_VIEW, err, what);
  if (!rc)
    rc = pg_exec(
        s, CLAIMS_COUNT "INSERT INTO claims_count SELECT true, coalesce(max(seq), 0) FROM claims",
        err, what);
  return rc;
}

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
    /* every claim row as received, in arrival order (seq), with its
    ** settlement (schema 4, above) */
    "CREATE TABLE claims" CLAIMS_COLUMNS ", PRIMARY KEY (seq, person_id))"
    " PARTITION BY HASH (person_id);"
    /* the claim ids (see above) */
    CLAIM_IDS_TABLE CLAIM_IDS_REVERSES SETTLEMENTS_VIEW
    "CREATE INDEX claims_reverses_seq ON claims(reverses_seq) WHERE reverses_seq IS NOT "
    "NULL;" CLAIMS_COUNT "INSERT INTO claims_count VALUES (true, 0);"
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
    CLAIMS_REVERSES "CREATE INDEX alerts_person ON alerts(person_id);"
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
** "the indexes of a large import"): the primary keys of claims and
** claim_ids, named as SCHEMA and MIGRATIONS name them (the partitions' own
** indexes are named by PostgreSQL alike both ways).  An index added to
** those tables later belongs in both lists, or in neither.  The three
** partial indexes of reversals are not in them (since schema 4): they
** hold a row in two hundred, and making each again scanned its whole table
** -- the import's backend spent 5 % less CPU keeping them (2 M claims,
** docs/performance.md, sixth session).
*/
const char PG_DROP_ROW_INDEXES[] = "ALTER TABLE claims DROP CONSTRAINT claims_pkey;"
                                   "ALTER TABLE claim_ids DROP CONSTRAINT claim_ids_pkey";
const char PG_MAKE_ROW_INDEXES[] =
    "ALTER TABLE claims ADD CONSTRAINT claims_pkey PRIMARY KEY (seq, person_id);"
    "ALTER TABLE claim_ids ADD CONSTRAINT claim_ids_pkey PRIMARY KEY (claim_id, seq)";

/*
** A first import's claims rows staged by a second connection
** (store_pg_stage.c, which says why and how).  The table they go to is made
** by that connection, in its own transaction, exactly as claims is:
** CLAIMS_COLUMNS gives it the same columns, types, collations and named
** CHECKs, which ATTACH PARTITION requires of a partition (status's CHECK,
** named after its table, is renamed to claims'), and it is partitioned
** alike, with only the staged partitions (remainders PG_STAGE_FROM and
** up), so that a row sent there that belongs to another fails the COPY.
** After the rows the same connection makes the indexes claims has (its
** primary key and the two partial indexes of reversals: an index added to
** claims belongs here too), so that ATTACH PARTITION takes each
** partition's own as the partition of claims' index; then it commits.
**
** The swap, in the import's transaction, for each staged remainder: the
** rows the import sent claims' own partition of it (those of the chunk
** before the staging began, and any after it ended) are copied into the
** staged one; the two partitions trade places, claims' dropped, the staged
** one renamed, attached (PostgreSQL checks that every row of it belongs
** there) and its indexes named as claims' partitions' are.
*/
#define STAGE "sanbao_stage_claims"
const char PG_STAGE_FINISH[] =
    "ALTER TABLE " STAGE " ADD PRIMARY KEY (seq, person_id);"
    "CREATE INDEX ON " STAGE "(reverses) WHERE reverses IS NOT NULL;"
    "CREATE INDEX ON " STAGE "(reverses_seq) WHERE reverses_seq IS NOT NULL;"
    "COMMIT";
const char PG_STAGE_DROP[] = "DROP TABLE IF EXISTS " STAGE;

int pg_stage_sql(sb_buf *create, sb_buf *swap, const char *columns) {
  int bad = create &&
            sb_buf_printf(create,
                          "%s; CREATE TABLE " STAGE CLAIMS_COLUMNS ") PARTITION BY HASH (person_id)"
                          "; ALTER TABLE " STAGE " RENAME CONSTRAINT " STAGE "_status_check"
                          " TO claims_status_check",
                          PG_STAGE_DROP);
  for (int k = PG_STAGE_FROM; k < PARTITIONS && !bad; k++) {
    bad = (create && sb_buf_printf(create,
                                   "; CREATE TABLE " STAGE "_p%02d PARTITION OF " STAGE
                                   " FOR VALUES WITH (MODULUS %d, REMAINDER %d)",
                                   k, PARTITIONS, k)) ||
          (swap &&
           sb_buf_printf(
               swap,
               "INSERT INTO " STAGE "_p%02d (%s) SELECT %s FROM claims_p%02d"
               "; ALTER TABLE " STAGE " DETACH PARTITION " STAGE "_p%02d"
               "; ALTER TABLE claims DETACH PARTITION claims_p%02d; DROP TABLE claims_p%02d"
               "; ALTER TABLE " STAGE "_p%02d RENAME TO claims_p%02d"
               "; ALTER TABLE claims ATTACH PARTITION claims_p%02d"
               " FOR VALUES WITH (MODULUS %d, REMAINDER %d)"
               "; ALTER INDEX " STAGE "_p%02d_pkey RENAME TO claims_p%02d_pkey"
               "; ALTER INDEX " STAGE "_p%02d_reverses_idx RENAME TO claims_p%02d_reverses_idx"
               "; ALTER INDEX " STAGE "_p%02d_reverses_seq_idx"
               " RENAME TO claims_p%02d_reverses_seq_idx; ",
               k, columns, columns, k, k, k, k, k, k, k, PARTITIONS, k, k, k, k, k, k, k));
  }
  /* NUL-terminated, for PQexec */
  return bad || (swap && (sb_buf_printf(swap, "DROP TABLE " STAGE) || sb_buf_put(swap, "", 1))) ||
         (create && sb_buf_put(create, "", 1));
}

/*
** The primary key of accumulators, which a first import of many
** person-years makes after its rows (store_pg_rows.c, flush_accs): named
** as SCHEMA names it.
*/
const char PG_DROP_ACC_KEY[] = "ALTER TABLE accumulators DROP CONSTRAINT accumulators_pkey";
const char PG_MAKE_ACC_KEY[] =
    "ALTER TABLE accumulators ADD CONSTRAINT accumulators_pkey PRIMARY KEY (person_id, year)";

/* The partitioned tables, and the append-only tables with their message
** (the view settlements refuses writes by its own trigger: SETTLEMENTS_VIEW). */
static const char *const PARTITIONED[] = {"claims", "accumulators", "fee_lines"};
static const char *const APPEND_ONLY[][2] = {
    {"claims", "claims are append-only"},
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
    /* a sanbao_meta without our columns (42703, undefined column) is
    ** another application's; anything else -- a role that may not read it
    ** (42501), a lost connection -- says nothing about whose it is, and
    ** was reported as "not a sanbao ledger: ... permission denied" */
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    int rc = state && strcmp(state, "42703") == 0
                 ? sb_error_set(err, SB_EINVAL, s->where,
                                "not a sanbao ledger (a sanbao_meta table of another application)")
                 : pg_error(s, r, err, "cannot read the ledger's schema version");
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

/* The PARTITIONS partitions of partitioned table `table`, named `name`_pNN;
** or, rename_to given, those partitions renamed to `rename_to`_pNN. */
static int partitions(pg_store *s, const char *table, const char *name, const char *rename_to,
                      sb_error *err) {
  char sql[512];
  for (int k = 0; k < PARTITIONS; k++) {
    if (rename_to)
      snprintf(sql, sizeof sql, "ALTER TABLE %s_p%02d RENAME TO %s_p%02d", name, k, rename_to, k);
    else
      snprintf(sql, sizeof sql,
               "CREATE TABLE %s_p%02d PARTITION OF %s FOR VALUES WITH (MODULUS %d, REMAINDER %d)",
               name, k, table, PARTITIONS, k);
    int rc = pg_exec(s, sql, err,
                     rename_to ? "cannot migrate the ledger's schema" : "cannot create the schema");
    if (rc) return rc;
  }
  return SB_OK;
}

/* Migration 3 -> 4 (MIGRATE_3_FILL above). */
static int migrate_3(pg_store *s, sb_error *err) {
  const char *what = "cannot migrate the ledger's schema";
  int rc = pg_exec(s, "CREATE TABLE claims_v4" CLAIMS_COLUMNS_V4 ") PARTITION BY HASH (person_id)",
                   err, what);
  if (!rc) rc = partitions(s, "claims_v4", "claims_v4", NULL, err);
  if (!rc) rc = pg_exec(s, MIGRATE_3_FILL, err, what);
  if (!rc) rc = partitions(s, "claims", "claims_v4", "claims", err);
  if (!rc) rc = pg_exec(s, MIGRATE_3_FINISH, err, what);
  return rc;
}

/* Inside a transaction holding the write lock: take a ledger of version v
** to this sanbao's, step by step, recording each step. */
static int migrate(pg_store *s, int v, sb_error *err) {
  char sql[512];
  for (; v < PG_SCHEMA_VERSION; v++) {
    int rc = v == 3   ? migrate_3(s, err)
             : v == 4 ? migrate_4(s, err)
                      : pg_exec(s, MIGRATIONS[v], err, "cannot migrate the ledger's schema");
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
  /* the functions first: the view settlements names codes with them */
  int rc = make_code_functions(s, "cannot create the schema", err);
  if (!rc) rc = pg_exec(s, SCHEMA, err, "cannot create the schema");
  if (rc) return rc;
  char sql[512];
  for (size_t t = 0; t < sizeof PARTITIONED / sizeof *PARTITIONED; t++)
    if ((rc = partitions(s, PARTITIONED[t], PARTITIONED[t], NULL, err))) return rc;
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
