/*
** sanbao ledger — what the PostgreSQL store's files share (store_pg.c: the
** connection, transactions, the registry, policies, runs and lookups;
** store_pg_rows.c: claim rows sent with COPY, accumulators, alerts and fee
** lines written; store_pg_reads.c: them read, and the catalogue;
** store_pg_schema.c: the schema and opening).  Not
** a public interface: everyone else reaches the store through sb_store_ops
** (store.h).
*/
#ifndef SANBAO_STORE_PG_INT_H
#define SANBAO_STORE_PG_INT_H

#include <libpq-fe.h>
#include <pthread.h>

#include "io/buf.h"
#include "store/store.h"

/* The prepared statements, by the index of their SQL (store_pg.c). */
enum {
  PQ_RUN_START,
  PQ_RUN_FINISH,
  PQ_RUN_GET,
  PQ_POLICY_INSERT,
  PQ_POLICY_REPLACE,
  PQ_POLICY_EACH,
  PQ_PERSON_UPSERT,
  PQ_INTERVALS_CLEAR,
  PQ_INTERVAL_INSERT,
  PQ_PERSON_EACH,
  PQ_CLAIM_COUNT,
  PQ_COUNT_PUT,
  PQ_CLAIM_ROWS,
  PQ_CLAIM_SETTLED,
  PQ_RECEIVED_COUNT,
  PQ_ROW_EACH,
  PQ_ROW_EACH_YEAR,
  PQ_ACC_GET,
  PQ_ACC_PUT,
  PQ_ALERT_INSERT,
  PQ_ALERT_EACH,
  PQ_ALERT_AFTER,
  PQ_ENROLL_PUT,
  PQ_ENROLL_EACH,
  PQ_RA_PUT,
  PQ_RA_EACH,
  PQ_RA_PAID,
  PQ_CAT_PUT,
  PQ_CAT_EACH,
  PQ_FEE_PERSON,
  PQ_FEE_EACH,
  PQ_FEE_OF,
  PQ_C_PERSON_ROWS, /* the console's reads and marks (store_pg_console.c) */
  PQ_C_CLAIM_ROWS,
  PQ_C_PERSON_ALERTS,
  PQ_C_MARK_PUT,
  PQ_C_MARK_EACH,
  PQ_AHEAD_IDS, /* the read-ahead of a server's group (store_pg.c) */
  PQ_AHEAD_ACCS,
  PQ_PUT_CLAIMS, /* a group's rows (store_pg_rows.c: their SQL built there) */
  PQ_PUT_CLAIM_IDS,
  PQ_PUT_ACCS,
  PQ_COUNT
};

/* An accumulator row's upsert: the tail of an INSERT INTO accumulators of
** one row (store_pg.c) or of a group's rows (store_pg_rows.c). */
#define PG_ACC_SET                                                                                 \
  " ON CONFLICT (person_id, year) DO UPDATE SET adm_primary = excluded.adm_primary,"               \
  " adm_grade1 = excluded.adm_grade1, adm_grade2 = excluded.adm_grade2,"                           \
  " adm_grade3 = excluded.adm_grade3, adm_provincial = excluded.adm_provincial,"                   \
  " alerted = excluded.alerted, dedc_ytd = excluded.dedc_ytd, basic_ytd = excluded.basic_ytd,"     \
  " chronic_ytd = excluded.chronic_ytd, outpatient_ytd = excluded.outpatient_ytd,"                 \
  " ci_base = excluded.ci_base, ci_paid = excluded.ci_paid, ma_base = excluded.ma_base,"           \
  " ma_paid = excluded.ma_paid, psn_ytd = excluded.psn_ytd, ra_base = excluded.ra_base,"           \
  " ra_paid = excluded.ra_paid"
/* The most parameters a statement takes (a claims row with its settlement:
** 31, store_pg_rows.c). */
#define PG_MAX_PARAMS 31

/*
** The parameters of one statement.  Text goes in binary format with its
** length, so ids need no NUL (they are (pointer, length) pairs everywhere in
** the ledger) and are sent exactly as read; numbers and dates go as text,
** formatted into `num`.
*/
typedef struct pg_params {
  int n;
  const char *v[PG_MAX_PARAMS];
  int len[PG_MAX_PARAMS];
  int fmt[PG_MAX_PARAMS];
  char num[PG_MAX_PARAMS][24];
} pg_params;

/* An accumulator row written by acc_put and not sent yet (see
** pg_flush_accs in store_pg_rows.c). */
typedef struct pg_pending_acc {
  char person_id[65];
  size_t len;
  int year;
  sb_acc acc;
} pg_pending_acc;

/* How many rows a transaction keeps whole (see "the overlay" in
** store_pg_rows.c), encoded for COPY only if they go by COPY after all: a
** server's group is smaller; an import, larger, goes by COPY as before. */
#define PG_OVERLAY_ROWS 128

/* A row appended and not sent yet, kept whole: its text in buffers of its
** own (the pointers of `r` point into them). */
typedef struct pg_pending_row {
  sb_stored_row r;
  char claim_id[65], person_id[65], date[33], reverses[65];
} pg_pending_row;

/* What the database held for the claim id last looked up in this
** transaction: the settled or reversal row holding it (found), and the
** content keys of all its received rows (for received_count), unless
** there were more than PG_CLAIM_ROWS_KEPT of them (`many`).  Valid only
** inside a write transaction and until the next flush (which moves the
** pending rows into the database). */
#define PG_CLAIM_ROWS_KEPT 16
typedef struct pg_claim_rows {
  int valid;
  char id[65];
  size_t len;
  int found;
  sb_stored_claim claim;
  int n, many;
  uint64_t key[PG_CLAIM_ROWS_KEPT];
  char rejected[PG_CLAIM_ROWS_KEPT];
} pg_claim_rows;

/*
** The read-ahead (sb_store.read_ahead, store_pg.c): the claim ids and
** persons a server's next transaction will ask about, and what the
** database held of them when that transaction had taken the write lock —
** which of the ids claim_ids holds, and every accumulator row of the
** persons.  `valid`: the answers hold (inside the transaction that read
** them, until anything is flushed: a flush moves pending rows and
** accumulators into the database, which the answers do not know of).
** The ids' and persons' bytes are in `text`; at most PG_AHEAD_MAX of each.
*/
#define PG_AHEAD_MAX 256
typedef struct pg_ahead_key {
  size_t off, len;
  int held; /* ids: claim_ids holds a row of it */
} pg_ahead_key;
typedef struct pg_ahead {
  int asked, valid, broken; /* broken: an answer could not be kept */
  sb_buf text;
  pg_ahead_key ids[PG_AHEAD_MAX], persons[PG_AHEAD_MAX];
  int nids, npersons;
  pg_pending_acc *accs; /* the persons' accumulator rows, any year */
  size_t naccs, accs_cap;
} pg_ahead;
/* A first import's claims rows going by a second connection
** (store_pg_stage.c): its state, from PG_STAGE_NONE on. */
enum {
  PG_STAGE_NONE,      /* no staging in this transaction */
  PG_STAGE_COPYING,   /* `conn` is in its COPY into the staging table */
  PG_STAGE_FINISHING, /* its COPY ended; its indexes and COMMIT sent, not read yet */
  PG_STAGE_ATTACHED   /* committed there, swapped into claims here, this not committed */
};
typedef struct pg_stage {
  PGconn *conn; /* the second connection (COPYING, FINISHING) */
  int state;
  int failed;   /* some of the COPY's data could not be sent */
  int leftover; /* the staging tables may be committed: dropped when this rolls back */
} pg_stage;

/* A password in the URI: its bytes' place (store_pg.c, mask_uri). */
typedef struct pg_secret {
  size_t off, len;
} pg_secret;

typedef struct pg_store {
  sb_store base;
  PGconn *conn;
  char *uri;               /* as given: the second connection of a staged import */
  char *where;             /* the URI with any password masked: for messages */
  char prepared[PQ_COUNT]; /* statement k is prepared on this connection */
  int in_txn;              /* between begin() and commit() / rollback() */
  sb_buf copy_claims;      /* claim rows not sent yet (while overlay_ok,
                           ** not those the overlay keeps), COPY binary */
  sb_buf copy_claim_ids;   /* their rows of claim_ids, likewise; in a large
                           ** import also those of rows already handed to
                           ** the sender ("an import's chunks overlap") */
  sb_buf copy_fees;        /* fee lines not sent yet, in COPY text format */
  int64_t pending_rows;    /* rows appended and not sent yet */
  pg_pending_acc *accs;    /* accumulators not sent yet */
  size_t naccs, accs_cap;
  /* The URI's passwords, in its order (none: NULL), masked in `where` and
  ** in every message (store_pg.c: mask_uri, pg_conn_error). */
  pg_secret *secrets;
  size_t nsecrets, secrets_cap;
  /* Inside a write transaction (begin() holds the ledger's write lock, so
  ** nobody else writes then): the largest seq (-1: not read yet) and as
  ** the transaction began (count0: claims_count is set at its commit when
  ** rows were appended, store_pg_schema.c), the database's rows of the
  ** last claim id looked up, and the pending rows kept whole (overlay_ok:
  ** every pending row is in `pending`). */
  int64_t count, count0;
  pg_claim_rows rows;
  pg_pending_row *pending; /* PG_OVERLAY_ROWS of them */
  int npending, overlay_ok;
  /* The person of the claims row whose fee lines are being stored (fee
  ** lines are partitioned by person, and fee_line_put names only the
  ** row's seq): the lines of one row come one after another. */
  int64_t fee_seq;
  char fee_person[65];
  size_t fee_person_len;
  pg_ahead ahead;
  /* A first import's indexes (store_pg_rows.c): the rows the ledger held
  ** before this transaction's first row (-1: none appended yet); the
  ** indexes dropped now, and once in this transaction. */
  int64_t rows_before;
  int indexes_off, indexes_dropped;
  /* Whether this connection's role may make them again (CREATE on their
  ** schema, store_pg_rows.c): 1 yes, -1 no, 0 not asked yet. */
  int may_index;
  sb_buf copy_alerts; /* alerts of an import not sent yet, binary COPY */
  /* An import's chunk of rows being sent by a thread of its own while the
  ** next is encoded (store_pg_rows.c, "an import's chunks overlap"):
  ** while `sending`, the connection is the sender's and nothing else may
  ** use it -- every use first calls pg_chunk_wait.  send_claims and
  ** send_claim_ids are the chunk (they trade places with copy_claims and
  ** copy_claim_ids); send_rc and send_err, how its COPYs ended. */
  int sending;
  int copy_open, copy_failed; /* the claims COPY is open; some of its data could not be sent */
  pthread_t sender;
  size_t chunk_bytes; /* test builds: SANBAO_TEST_PG_CHUNK_BYTES (0: not read yet) */
  size_t ids_mark;    /* copy_claim_ids.len when the last chunk was handed over */
#ifdef SB_TEST_HOOKS
  long long test_chunks, test_switches; /* printed at close: tests/e2e/ledger_crash.sh */
  long long test_bad_chunk;             /* SANBAO_TEST_PG_BAD_CHUNK (store_pg_rows.c) */
  long long test_rekeys;       /* accumulators' keys made after the rows: printed at close */
  long long test_staged;       /* claims rows sent to the second connection: printed at close */
  long long test_stage_chunks; /* chunks of them sent */
  long long test_bad_stage;    /* SANBAO_TEST_PG_BAD_STAGE: spoil that staged chunk */
  int test_fail_attach;        /* SANBAO_TEST_PG_FAIL_ATTACH: fail after the staging commits */
#endif
  sb_buf send_claims, send_claim_ids;
  int send_rc;
  sb_error send_err;
  /* A staged import (store_pg_stage.c): the rows of the staged partitions
  ** not sent yet, and the chunk of them being sent by a thread of its own
  ** (stage_sending; how it ended: stage_rc, stage_err). */
  pg_stage stage;
  sb_buf copy_stage, send_stage;
  pthread_t stage_sender;
  int stage_sending, stage_rc;
  sb_error stage_err;
} pg_store;

/* Wait for the import's chunk being sent (if one is), so that the
** connection is this thread's again; its COPYs' failure, if they failed,
** is returned and set in `err` (once: the transaction is aborted, and what
** runs on it next fails in any case).  Cheap when nothing is being sent:
** every use of the connection calls it first (store_pg_rows.c). */
int pg_chunk_wait(pg_store *s, sb_error *err);

/* The same for a transaction given up (rollback, close, a connection reset):
** an open COPY is ended as failed, so the server stores none of it. */
void pg_chunk_abort(pg_store *s);

/* ---- COPY (store_pg_rows.c) ---------------------------------------------------- */

/* Put n bytes into connection c's COPY in progress (in slices); 1 sent, 0
** not. */
int pg_put_copy(PGconn *c, const char *p, size_t n);
/* The binary format's header and trailer, sent into c's COPY; 1 sent, 0 not. */
int pg_copy_header(PGconn *c);
int pg_copy_trailer(PGconn *c);
/* The COPY of claims rows into the staging table (store_pg_stage.c), and
** claims' columns. */
extern const char PG_COPY_STAGE[];
extern const char PG_CLAIM_COLUMNS[];

/* ---- a first import's claims by a second connection (store_pg_stage.c) ---------- */

/* The partitions of claims, by hash of person_id; those from PG_STAGE_FROM
** on are the staged ones. */
#define PG_PARTITIONS 16
#define PG_STAGE_FROM 6
/* The remainder of claims' partition that PostgreSQL puts person `id` in. */
int pg_stage_remainder(const char *id, size_t len);
/* Open the second connection and begin its COPY into the staging table:
** SB_OK, or not (nothing staged, nothing left behind: the import goes the
** single connection's way). */
int pg_stage_begin(pg_store *s);
/* Send n bytes of claims rows (COPY binary) into the staging COPY. */
int pg_stage_put(pg_store *s, const char *p, size_t n, sb_error *err);
/* End the staging COPY, and have the second connection make the indexes
** and commit, while this one goes on (FINISHING). */
int pg_stage_end(pg_store *s, sb_error *err);
/* Wait for the second connection to have committed, and attach its
** partitions to claims in this transaction (ATTACHED). */
int pg_stage_attach(pg_store *s, sb_error *err);
/* The transaction is given up: close the second connection (its
** transaction, if not committed, is rolled back by the server). */
void pg_stage_abort(pg_store *s);
/* This transaction committed: the staged partitions are claims' now. */
void pg_stage_committed(pg_store *s);

/* ---- helpers (store_pg.c) ------------------------------------------------------ */

/* Fill `err` with the connection's (or, when `res` is not NULL, the
** result's) message for `what`; return SB_EIO. */
int pg_error(pg_store *s, const PGresult *res, sb_error *err, const char *what);
/* The same for connection c (the second connection of a staged import). */
int pg_conn_error(pg_store *s, PGconn *c, const PGresult *res, sb_error *err, const char *what);
/* A notice processor that drops the server's notices (they are not errors). */
void pg_quiet(void *arg, const char *message);

/* Parameters: text of n bytes (NULL: SQL NULL), a NUL-terminated text, an
** integer, SQL NULL, a date as YYYY-MM-DD (an open end: NULL). */
void pg_text(pg_params *p, const char *t, size_t n);
void pg_cstr(pg_params *p, const char *t);
void pg_int(pg_params *p, int64_t v);
void pg_null(pg_params *p);
void pg_date(pg_params *p, sb_date d);

/* Prepare statement q on this connection, unless it is; pg_prepare_text:
** with this SQL (for a statement whose text is built at run time: its
** SQL[q] is NULL). */
int pg_prepare(pg_store *s, int q, sb_error *err);
int pg_prepare_text(pg_store *s, int q, const char *sql, sb_error *err);

/* Pipeline mode (libpq's): send prepared statement q (prepared before
** entering), or SQL text without parameters; 1 sent, 0 not.  Then
** pg_pipeline_end: sync, read the results of the `sent` statements,
** calling each() on every one that succeeded (its status COMMAND_OK or
** TUPLES_OK), and leave pipeline mode; the first failure sets `err` (a
** statement after a failed one is not run).  all_sent 0: a send failed
** (its error is reported). */
int pg_send(pg_store *s, int q, const pg_params *p);
int pg_send_sql(pg_store *s, const char *sql);
int pg_pipeline_end(pg_store *s, int sent, int all_sent, void (*each)(void *, const PGresult *),
                    void *ctx, sb_error *err, const char *what);

/* Run prepared statement `q` (prepared on first use) to completion: its
** result (rows or none), or NULL with `err` set.  PQclear it. */
PGresult *pg_run(pg_store *s, int q, const pg_params *p, sb_error *err, const char *what);

/* Run statement `q` and call fn on each row as it arrives (libpq's
** single-row mode: a table of millions is never held whole).  fn returns 0
** to go on; anything else stops, is returned, and the rest is read and
** dropped.  fn must not use the store. */
int pg_each(pg_store *s, int q, const pg_params *p,
            int (*fn)(pg_store *s, const PGresult *r, void *ctx, sb_error *err), void *ctx,
            sb_error *err, const char *what);

/* One element of an array literal in text form, n bytes: quoted, with "
** and \ escaped; NULL (v NULL) as is.  0, or SB_ENOMEM. */
int pg_array_element(sb_buf *b, const char *v, size_t n);
/* Run SQL text without parameters (one or more statements); 0 or SB_EIO. */
int pg_exec(pg_store *s, const char *sql, sb_error *err, const char *what);

/* Column c of row 0 of r: as int64 (NULL: 0), as an enum looked up by name
** (NULL or unknown: -1), as a code of schema 5 (store_pg_schema.c) below
** `count` (NULL or another number: -1), as a date (NULL or not a date:
** `open`). */
int64_t pg_col_int(const PGresult *r, int c);
int pg_col_enum(const PGresult *r, int c, int (*lookup)(const char *, size_t));
int pg_col_code(const PGresult *r, int row, int c, int count);
sb_date pg_col_date(const PGresult *r, int c, sb_date open);

/* A row's status as the SQL of the queries names it: its code, schema 5
** (store_pg_schema.c; store_pg.c checks them against SB_ROW_*). */
#define PG_SETTLED "0"
#define PG_REVERSED "1"
#define PG_REJECTED "2"

/* Whether any of the columns `cols[0..n)` of row 0 is NULL. */
int pg_any_null(const PGresult *r, const int *cols, int n);

/* A damaged ledger (a NULL where the schema forbids it). */
int pg_damaged(pg_store *s, sb_error *err, const char *what);

/* ---- rows, accumulators, alerts, catalogue, fee lines (store_pg_rows.c, and
** their reads and the catalogue: store_pg_reads.c) --------------------------------- */

/* Send the pending claim rows and accumulators (before anything reads the
** tables, and at commit); drop them (at rollback). */
int pg_flush(pg_store *s, sb_error *err);
void pg_drop_pending(pg_store *s);

/* The overlay: answers about the rows appended and not sent yet, so that
** a read inside a small write transaction needs no flush (see
** store_pg_rows.c).  Valid only while s->overlay_ok. */
/* The first pending settled or reversal row holding claim id, or NULL. */
const sb_stored_row *pg_pending_claim(const pg_store *s, const char *id, size_t len);
/* Whether a pending reversal undoes the row of seq `seq`. */
int pg_pending_reversed(const pg_store *s, int64_t seq);
/* Add the pending rows of this claim id and content key to *count, and
** those rejected to *rejected. */
void pg_pending_received(const pg_store *s, const char *id, size_t len, uint64_t key,
                         int64_t *count, int64_t *rejected);
/* A stored row's result as the database gives it back (only the stored
** amounts, the rest derived). */
void pg_stored_result(const sb_result *in, sb_result *out);

/* Commit: the pending rows, accumulators and the COMMIT in one round trip
** (libpq's pipeline mode) when they are few and kept whole; else by COPY
** and a COMMIT of its own. */
int pg_commit_rows(pg_store *s, sb_error *err);

int pg_op_row_append(sb_store *bs, sb_stored_row *r, sb_error *err);
int pg_op_row_each(sb_store *bs, int year, int (*fn)(void *, const sb_stored_row *), void *ctx,
                   sb_error *err);
/* The read-ahead's answer for a person's accumulators of a year (zero
** when the database held none): 1, or 0 when it has none (store_pg.c). */
int pg_ahead_acc(const pg_store *s, const char *pid, size_t len, int year, sb_acc *acc);
int pg_op_acc_get(sb_store *bs, const char *pid, size_t len, int year, sb_acc *a, sb_error *err);
int pg_op_acc_put(sb_store *bs, const char *pid, size_t len, int year, const sb_acc *a,
                  sb_error *err);
int pg_op_alert_append(sb_store *bs, const sb_stored_alert *a, sb_error *err);
int pg_op_alert_each(sb_store *bs, int64_t after_seq, int (*fn)(void *, const sb_stored_alert *),
                     void *ctx, sb_error *err);
int pg_op_catalog_put(sb_store *bs, int64_t run, const char *code, size_t len,
                      const sb_catalog_item *it, sb_error *err);
int pg_op_catalog_each(sb_store *bs,
                       int (*fn)(void *, const char *, size_t, const sb_catalog_item *), void *ctx,
                       sb_error *err);
int pg_op_fee_line_put(sb_store *bs, const sb_stored_fee_line *l, sb_error *err);
int pg_op_fee_line_each(sb_store *bs, int64_t seq, int (*fn)(void *, const sb_stored_fee_line *),
                        void *ctx, sb_error *err);

/* A row of ROW_COLS (store_pg.c) as a stored row, and a row of the alerts'
** columns as an alert, each handed to the callback in ctx (a pg_row_fn /
** pg_alert_fn pair): shared by row_each, alert_each and the console's reads
** (store_pg_reads.c). */
typedef struct pg_row_fn {
  int (*fn)(void *, const sb_stored_row *);
  void *ctx;
} pg_row_fn;
typedef struct pg_alert_fn {
  int (*fn)(void *, const sb_stored_alert *);
  void *ctx;
} pg_alert_fn;
int pg_stored_row(pg_store *s, const PGresult *res, void *vctx, sb_error *err);
int pg_alert_row(pg_store *s, const PGresult *r, void *vctx, sb_error *err);

/* ---- the console's operations (store_pg_console.c) ----------------------------- */

int pg_op_person_row_each(sb_store *bs, const char *id, size_t len,
                          int (*fn)(void *, const sb_stored_row *), void *ctx, sb_error *err);
int pg_op_claim_row_each(sb_store *bs, const char *id, size_t len,
                         int (*fn)(void *, const sb_stored_row *), void *ctx, sb_error *err);
int pg_op_person_alert_each(sb_store *bs, const char *id, size_t len,
                            int (*fn)(void *, const sb_stored_alert *), void *ctx, sb_error *err);
int pg_op_alert_mark_put(sb_store *bs, const sb_alert_mark *m, sb_error *err);
int pg_op_alert_mark_each(sb_store *bs, int (*fn)(void *, const sb_alert_mark *), void *ctx,
                          sb_error *err);

/* Columns c..c+11 of a settlement (category, visit, level, the amounts and
** the fed flags) and column `ra` (reassist_pay) into a result, with the
** derived amounts (sb_stored_result_derive). */
void pg_col_result(const PGresult *r, int c, int ra, sb_result *out);

/* ---- the schema (store_pg_schema.c) -------------------------------------------- */

/* The indexes of claims and claim_ids that an import of many
** rows drops before them and makes again after them, in its transaction. */
extern const char PG_DROP_ROW_INDEXES[];
extern const char PG_MAKE_ROW_INDEXES[];
/* The primary key of accumulators, dropped and made again around a COPY of
** many person-years into the empty table. */
/* The staging (store_pg_schema.c, store_pg_stage.c): the SQL after its
** rows, the staging table dropped, and the SQL that makes it (`create`)
** or that attaches its partitions to claims (`swap`), either NULL when
** not wanted; 0 or -1. */
extern const char PG_STAGE_FINISH[];
extern const char PG_STAGE_DROP[];
int pg_stage_sql(sb_buf *create, sb_buf *swap, const char *columns);
extern const char PG_DROP_ACC_KEY[];
extern const char PG_MAKE_ACC_KEY[];

/* Create the schema in the connected database; one that holds a ledger
** already is left as it is when of this version, migrated when older,
** refused when newer (store_pg_schema.c).  Check: that the database holds
** a ledger of this version, migrating an older one. */
int pg_schema_create(pg_store *s, sb_error *err);
int pg_schema_check(pg_store *s, sb_error *err);

#endif
