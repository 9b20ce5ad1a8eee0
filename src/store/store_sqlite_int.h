/*
** sanbao ledger — what the SQLite store's files share (store_sqlite.c: the
** core tables and opening; store_sqlite_rows.c: writing received rows;
** store_sqlite_fees.c: the catalogue and fee lines; store_sqlite_serve.c:
** serve mode's checkpointer and syncs).  Not a public
** interface: everyone else reaches the store through sb_store_ops (store.h).
*/
#ifndef SANBAO_STORE_SQLITE_INT_H
#define SANBAO_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "io/buf.h"
#include "store/store.h"

/* The prepared statements, by the index of their SQL (store_sqlite.c). */
enum {
  Q_RUN_START,
  Q_RUN_FINISH,
  Q_POLICY_INSERT,
  Q_POLICY_REPLACE,
  Q_POLICY_HAS,
  Q_POLICY_EACH,
  Q_PERSON_UPSERT,
  Q_PERSON_PID,
  Q_INTERVALS_CLEAR,
  Q_INTERVAL_INSERT,
  Q_PERSON_EACH,
  Q_CLAIM_COUNT,
  Q_CLAIM_LOOKUP,
  Q_RECEIVED_COUNT,
  Q_CLAIM_INSERT,
  Q_ROW_EACH,
  Q_ROW_EACH_YEAR,
  Q_ACC_GET,
  Q_ACC_PUT,
  Q_ALERT_INSERT,
  Q_ALERT_EACH,
  Q_ENROLL_PUT,
  Q_ENROLL_EACH,
  Q_RUN_GET,
  Q_ALERT_AFTER,
  Q_RA_PUT,
  Q_RA_EACH,
  Q_RA_PAID,
  Q_CAT_PUT,
  Q_CAT_EACH,
  Q_FEE_PUT,
  Q_FEE_EACH,
  Q_FEE_OF,
  /* console (issue 14): store_sqlite_console.c */
  Q_C_PERSON_ROWS,
  Q_C_CLAIM_ROWS,
  Q_C_PERSON_ALERTS,
  Q_C_MARK_PUT,
  Q_C_MARK_EACH,
  /* begin_import's checks of references (store_sqlite.c) */
  Q_CLAIM_HAS,
  /* a person-year's last row (schema 8: store_sqlite_heads.c) */
  Q_ACC_ANY,
  Q_HEAD_GET,
  Q_HEAD_PUT,
  /* a write transaction's two ends, prepared once: a server runs them
  ** for every group, and sqlite3_exec would parse each anew */
  Q_BEGIN,
  Q_COMMIT,
  Q_COUNT
};

/*
** Rows are appended in groups: one INSERT statement of ROWS_PER_INSERT rows
** costs far less than as many one-row statements (SQLite opens and closes
** its cursors, and halts the VM, once per statement).  Pending rows are
** copied (their text into `text`) and written before anything reads the
** tables and at commit, so callers never see the difference.  256 rows
** rather than 64: 0.3 s less CPU in the 4.7 s of inserting 2.16 M claims
** (1024 bought nothing more; docs/performance.md).  A transaction of fewer
** rows (the server's groups) writes them one statement a row, as before.
*/
#define ROWS_PER_INSERT 256
#define CLAIM_COLS 13  /* a claims row's columns as received */
#define SETTLE_COLS 17 /* and its settlement's (schema 6) */
/* and person_prev, the chain of the person-year's rows (schema 8) */
#define ROW_COLS (CLAIM_COLS + SETTLE_COLS + 1)

typedef struct pending_row {
  sb_stored_row r;
  size_t off[4];       /* claim_id, person_id, date, reverses in `text` */
  int64_t person_prev; /* the person-year's row before it (0: none, or rejected) */
} pending_row;

/* A person-year's last row, as this transaction knows it
** (store_sqlite_heads.c).  hash 0: an empty slot. */
typedef struct sq_head {
  uint64_t hash;
  size_t off, len; /* the person id, in heads_text */
  int year;
  int known; /* `last` read (or found to be none) */
  int dirty; /* moved by a row since the last acc_put of this person-year */
  int64_t last;
} sq_head;

/* A claim id kept for claim_ids (store_sqlite_claim_ids.c): its first eight
** bytes as a big-endian number (sb_canon_id_prefix), and where its record
** (seq, length, bytes) is in id_text. */
typedef struct sq_id_key {
  uint64_t prefix;
  uint64_t off;
} sq_id_key;

typedef struct sqlite_store {
  sb_store base;
  sqlite3 *db;
  char *path;
  sqlite3_stmt *q[Q_COUNT];
  sqlite3_stmt *ins[2]; /* INSERT INTO claims: [one row, ROWS_PER_INSERT rows] */
  pending_row pend[ROWS_PER_INSERT];
  int npend;
  int guards_off;  /* the insert guards are dropped in this transaction */
  int indexes_off; /* the claims indexes are dropped in this transaction */
  int64_t before;  /* rows the ledger held before this transaction's bulk rows */
  int64_t added;   /* rows this transaction's bulk inserts have written */
  /* An import begun by begin_import: foreign keys are off on this
  ** connection until its COMMIT or ROLLBACK, and the store checks what they
  ** would (sq_import_claim_exists and store_sqlite.c, op_begin_import) */
  int importing;
  int bulk_journal;       /* this import runs with a rollback journal (op_begin_import) */
  int fk_stale;           /* switching foreign keys back on after an import failed:
                             the next begin tries again, and fails if it cannot */
  int64_t imp_lo, imp_hi; /* the seqs of the claims rows it appended: lo..hi, every one */
  int64_t imp_run;        /* the last run_id found in runs (-1: none yet) */
  int64_t imp_rev_max;    /* the largest reverses_seq at or after imp_lo (0: none) */
  char *text;
  size_t tlen, tcap;
  /* The claim ids of claims rows a bulk import wrote while the trigger
  ** claims_claim_ids was off, not yet in claim_ids: written at COMMIT in
  ** key order (store_sqlite_claim_ids.c) */
  sq_id_key *id_keys, *id_sort_tmp;
  size_t nids, ids_cap, id_tmp_cap;
  size_t (*id_counts)[256]; /* the radix sort's digit counts, 8 x 256 */
  char *id_text;
  size_t id_tlen, id_tcap;
  sqlite3_stmt *id_ins[2]; /* INSERT INTO claim_ids: [one row, ROWS_PER_INSERT rows] */
  pthread_t id_sorter;     /* sorting the keys at COMMIT, beside the connection */
  int id_sorting, id_sorted;
  /* The last claim_lookup's answer, kept only inside a write transaction
  ** (nobody else can write then) and dropped by any row_append: the
  ** server asks about one claim id two or three times in a row (who owns
  ** it, then the batch's own id pass). */
  int in_txn;
  sb_claim_memo memo;
  /* the person-years' last rows met in this transaction, and whether
  ** accumulators held no row when first asked (-1: not asked yet) */
  sq_head *heads;
  size_t heads_cap, heads_n;
  sb_buf heads_text; /* their person ids */
  int acc_empty;
  int wal_frames; /* frames in the WAL after the last commit (manual checkpoints) */
  /* serve mode: the WAL is started over past this many frames
  ** (SERVE_WAL_FRAMES; test builds: SANBAO_TEST_WAL_FRAMES), and how many
  ** times a commit found it started over (counted by wal_hook) */
  int wal_restart_frames;
  int wal_hook_frames; /* the WAL's length the last commit reported */
  _Atomic int wal_len; /* the same, for the checkpointer thread */
  long wal_restarts;
  /* serve mode: the background checkpointer (see op_serve_start) */
  sqlite3 *ckpt_db;
  pthread_t ckpt_thread;
  int ckpt_started;
  _Atomic int ckpt_stop;
  _Atomic int ckpt_failures; /* failed background checkpoints not yet reported */
  /* a third connection whose read transaction spans every checkpoint of
  ** this store (see "The WAL-reset race" in store_sqlite_serve.c); the
  ** writer's checkpoint and the thread's take it under pin_mu */
  sqlite3 *pin_db;
  pthread_mutex_t pin_mu;
  int pin_mu_ready;
  /* serve mode's durability (see sq_serve_sync): the WAL, opened again for
  ** fdatasync; how many commits wrote to it (counted by the writer's
  ** wal_hook) and how many of those the last successful sync covered */
  int wal_fd, wal_fd_open;
  _Atomic uint64_t wal_commits, wal_synced;
  _Atomic int sync_failed;            /* a sync failed: every later one fails, no checkpoint runs */
  int sync_fail_at, sync_calls;       /* test builds: SANBAO_TEST_SYNC_FAIL (see sq_serve_sync) */
  int sync_slow_from;                 /* test builds: SANBAO_TEST_SYNC_SLOW (see serve_sync) */
  int db_sync_fail_at, db_sync_calls; /* test builds: SANBAO_TEST_DB_SYNC_FAIL (sync_database) */
  /* the database file, opened again for its write-back in steps by the
  ** checkpointing thread (write_back_steps in store_sqlite_serve.c) */
  int db_fd, db_fd_open;
  int wb_fail_at, wb_calls;     /* test builds: SANBAO_TEST_DB_WRITEBACK_FAIL */
  int ckpt_fail_at, ckpt_calls; /* test builds: SANBAO_TEST_CKPT_FAIL (the writer's checkpoint) */
} sqlite_store;

/* The name of the VFS that gathers a WAL's adjacent writes into one
** (store_sqlite_walbuf.c), registered on first call; NULL (SQLite's default
** VFS) if it could not be. */
const char *sq_walbuf_vfs(void);

/* Put the page-cache shim (store_sqlite_pcache.c) in front of SQLite's
** default page cache, once per process; 1 if it is in place, 0 if SQLite
** was initialised before the first call (then SQLite's cache is used as
** is).  Must run before anything initialises SQLite. */
int sq_pcache_install(void);

/* ---- helpers (store_sqlite.c) ---------------------------------------------- */

/* Fill `err` with SQLite's message for `what`; return SB_EIO. */
int sq_db_error(sqlite_store *s, sb_error *err, const char *what);

/* Run `sql` (no rows); 0, or SB_EIO with SQLite's message for `what`. */
int sq_exec(sqlite_store *s, const char *sql, sb_error *err, const char *what);

/* Statement `k`, prepared on first use; NULL with `err` set on failure. */
sqlite3_stmt *sq_stmt(sqlite_store *s, int k, sb_error *err);

/* Step a statement that returns no row, reset it; 0 or SB_EIO. */
int sq_done(sqlite_store *s, sqlite3_stmt *st, sb_error *err, const char *what);

/* Bind n bytes of text (copied by SQLite). */
void sq_bind_text(sqlite3_stmt *st, int i, const char *p, size_t n);

/* Bind a date as YYYY-MM-DD text; NULL for an open end. */
void sq_bind_date(sqlite3_stmt *st, int i, sb_date d);

/* A date column, `open` when it is NULL. */
sb_date sq_column_date(sqlite3_stmt *st, int i, sb_date open);

/* A damaged ledger (a NULL or unknown value where the schema forbids it). */
int sq_damaged(sqlite_store *s, sb_error *err, const char *what);

/* Whether any of the columns `cols[0..n)` of the current row is NULL. */
int sq_any_null(sqlite3_stmt *st, const int *cols, int n);

/* Inside an import begun by begin_import, whether a claims row of `seq`
** exists (as foreign keys would check it): SB_OK, or SB_EINVAL naming
** `what`.  Outside one, SB_OK (the database checks). */
int sq_import_claim_exists(sqlite_store *s, int64_t seq, sb_error *err, const char *what);

/* The INSERT statement `head` followed by `rows` groups of `cols` ?s,
** prepared on first use into *slot (then only reset); NULL with `err` set
** (store_sqlite_rows.c). */
sqlite3_stmt *sq_insert_stmt(sqlite_store *s, sqlite3_stmt **slot, const char *head, int rows,
                             int cols, sb_error *err);

/* Write the pending grouped rows (before anything reads the tables):
** store_sqlite_rows.c. */
int sq_flush_rows(sqlite_store *s, sb_error *err);

/* Step a statement that selects ROW_SELECT's columns (store_sqlite.c),
** calling fn for each row as row_each does; reset it after. */
int sq_row_each_stmt(sqlite_store *s, sqlite3_stmt *st, int (*fn)(void *, const sb_stored_row *),
                     void *ctx, sb_error *err);

/* The same for ALERT_SELECT's columns, as alert_each does. */
int sq_alert_each_stmt(sqlite_store *s, sqlite3_stmt *st,
                       int (*fn)(void *, const sb_stored_alert *), void *ctx, sb_error *err);

/* ---- claim_ids (store_sqlite_claim_ids.c) --------------------------------- */

/* Keep the entry (id, seq) of a claims row just written, for claim_ids. */
int sq_claim_ids_keep(sqlite_store *s, const char *id, size_t len, int64_t seq, sb_error *err);

/* Start sorting the kept entries on another thread, when there are enough
** to be worth it (COMMIT: the connection meanwhile makes the indexes
** again); sq_claim_ids_write waits for it.  Nothing when it cannot start. */
void sq_claim_ids_sort_begin(sqlite_store *s);

/* Sort the kept entries (unless sorted already) and insert them into
** claim_ids in key order; then forget them.  0, or SB_EIO / SB_ENOMEM. */
int sq_claim_ids_write(sqlite_store *s, sb_error *err);

/* Forget the kept entries (ROLLBACK), after any sort has finished. */
void sq_claim_ids_clear(sqlite_store *s);

/* sq_claim_ids_clear, and free what the store holds for claim_ids. */
void sq_claim_ids_free(sqlite_store *s);

/* ---- the chains of a person's rows (store_sqlite_heads.c) -------------------- */

/* acc_get read (pid, year)'s accumulators row: its last_seq `last` (0 none)
** is the person-year's head, unless a row of this transaction moved it.
** Nothing outside a write transaction. */
void sq_head_seen(sqlite_store *s, const char *pid, size_t len, int year, int64_t last);

/* A row of (pid, year) with this seq is appended: *prev receives the
** head before it (0 none), and the row becomes the head.  0, or SB_EIO /
** SB_ENOMEM. */
int sq_head_prev(sqlite_store *s, const char *pid, size_t len, int year, int64_t seq, int64_t *prev,
                 sb_error *err);

/* The head of (pid, year) for acc_put to write into last_seq, 0 when this
** transaction knows none (acc_put keeps the stored one); acc_put has then
** written it. */
int64_t sq_head_take(sqlite_store *s, const char *pid, size_t len, int year);

/* Write every head a row moved that no acc_put wrote since (COMMIT). */
int sq_heads_write(sqlite_store *s, sb_error *err);

/* Forget the heads (the transaction's end), and free what the store holds
** for them. */
void sq_heads_clear(sqlite_store *s);
void sq_heads_free(sqlite_store *s);

/* ---- the catalogue and fee lines (store_sqlite_fees.c) --------------------- */

int sq_op_catalog_put(sb_store *bs, int64_t run, const char *code, size_t len,
                      const sb_catalog_item *it, sb_error *err);
int sq_op_catalog_each(sb_store *bs,
                       int (*fn)(void *, const char *, size_t, const sb_catalog_item *), void *ctx,
                       sb_error *err);
int sq_op_fee_line_put(sb_store *bs, const sb_stored_fee_line *l, sb_error *err);
int sq_op_fee_line_each(sb_store *bs, int64_t seq, int (*fn)(void *, const sb_stored_fee_line *),
                        void *ctx, sb_error *err);

/* ---- the console's reads and handled marks (store_sqlite_console.c) -------- */

int sq_op_person_row_each(sb_store *bs, const char *id, size_t len,
                          int (*fn)(void *, const sb_stored_row *), void *ctx, sb_error *err);
int sq_op_claim_row_each(sb_store *bs, const char *id, size_t len,
                         int (*fn)(void *, const sb_stored_row *), void *ctx, sb_error *err);
int sq_op_person_alert_each(sb_store *bs, const char *id, size_t len,
                            int (*fn)(void *, const sb_stored_alert *), void *ctx, sb_error *err);
int sq_op_alert_mark_put(sb_store *bs, const sb_alert_mark *m, sb_error *err);
int sq_op_alert_mark_each(sb_store *bs, int (*fn)(void *, const sb_alert_mark *), void *ctx,
                          sb_error *err);

/* ---- serve mode (store_sqlite_serve.c) ------------------------------------- */

int sq_op_serve_start(sb_store *bs, sb_error *err);
int sq_op_serve_idle(sb_store *bs, sb_error *err);

/* Replace the connection's automatic checkpoint by the same checkpoint
** run inside a read transaction of another connection (the pin: see "The
** WAL-reset race" in store_sqlite_serve.c); called once, when the store is
** opened in WAL mode.  sq_pin_close closes the pin's connection. */
void sq_pin_checkpoints(sqlite_store *s);
void sq_pin_close(sqlite_store *s);
/* Stop the background checkpointer and close its connection, and the WAL
** opened for syncing (at close). */
void sq_stop_checkpointer(sqlite_store *s);
/* The descriptors serve mode opened on the database file itself, closed:
** only after every SQLite connection of the process to that file is (the
** store's own and any other, such as the server's console reader): closing
** one drops the process's POSIX locks on the file, SQLite's among them. */
void sq_serve_close_files(sqlite_store *s);

#endif
