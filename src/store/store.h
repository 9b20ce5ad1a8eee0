/*
** sanbao adapters — the ledger's storage interface.
**
** The ledger (ledger.h) is the bureau's durable book: policies, the person
** registry, every claim row as received, its settlement, the accumulators
** of every person-year, alerts, enrollments and a log of runs.  Its logic —
** what to settle, in which order, against which prior state — lives in
** ledger.c and is written against this small interface only: the SQLite
** store (store_sqlite*.c) and the PostgreSQL one (store_pg*.c) implement
** it, and neither ledger.c nor the core knows which one it runs on.
**
** Conventions: every operation returns 0 (SB_OK) or a negative SB_E* code
** with `err` filled; iteration callbacks return 0 to go on and anything else
** to stop (that value is returned).  Money is fen, dates day numbers,
** categories / visits / levels the enums of sanbao/types.h.  Writes happen
** only between begin() and commit(); begin() takes the write lock at once
** (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-level advisory lock),
** so two writers — of one process or of several — never interleave.
*/
#ifndef SANBAO_STORE_H
#define SANBAO_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sanbao/date.h"
#include "sanbao/error.h"
#include "sanbao/fee.h"
#include "sanbao/run.h" /* sb_reason, SB_ROW_* */
#include "sanbao/settle.h"

typedef struct sb_store sb_store;

/* A received claim row and its settlement, as stored (docs/reference/formats.md §4 plus
** what re-settlement and reversal need). */
typedef struct sb_stored_row {
  int64_t seq;                             /* arrival order, assigned by the store */
  int64_t run_id;                          /* the import that received it */
  const char *claim_id, *person_id, *date; /* the output's text */
  size_t claim_id_len, person_id_len, date_len;
  uint64_t content_key; /* identity of the row's content, for idempotent re-import */
  int status;           /* SB_ROW_SETTLED / SB_ROW_REVERSED / SB_ROW_REJECTED */
  int reason;           /* sb_reason when rejected, else 0 */
  int year;             /* the year whose accumulators it changed (a reversal:
                           its original's); 0 when rejected */
  int has_claim;        /* claim below holds the parsed row */
  sb_claim claim;
  const char *reverses; /* the `reverses` text of a reversal row, or NULL */
  size_t reverses_len;
  int64_t reverses_seq; /* a resolved reversal: its original's seq, else 0 */
  sb_result result;     /* settled / reversed amounts (category, visit, level too) */
} sb_stored_row;

/* The row holding a claim id, for settling after the store. */
typedef struct sb_stored_claim {
  int64_t seq;
  int64_t run_id; /* the run that received it (its source: run_get) */
  int year;       /* the year whose accumulators it changed (a reversal: its original's) */
  int is_reversal;
  int reversed; /* a settled row that a later reversal undid */
  char person_id[65];
  size_t person_id_len;
  sb_date date;
  sb_result result;
} sb_stored_claim;

typedef struct sb_stored_alert {
  int64_t seq; /* the claim row that raised it */
  const char *person_id, *household_id, *rule, *claim_id;
  sb_date date;
  sb_fen psn_ytd, threshold;
} sb_stored_alert;

typedef struct sb_enrollment {
  const char *person_id;
  size_t person_id_len;
  int year;
  int category;
  sb_fen premium, subsidy, personal;
  sb_date as_of;
} sb_enrollment;

/* A re-assistance payment after the year (再救助), or a recovery (negative
** amount), as `db reassist --commit` records it. */
typedef struct sb_reassist_payment {
  const char *person_id;
  size_t person_id_len;
  int year;
  int category;       /* the category whose row was used */
  sb_fen base;        /* the year's net base when paid */
  sb_fen entitlement; /* E4 then */
  sb_fen amount;      /* paid now: entitlement minus paid before */
} sb_reassist_payment;

/* A fee line of a received claims row (docs/reference/formats.md §10). */
typedef struct sb_stored_fee_line {
  int64_t seq;                      /* the claims row it belongs to */
  int32_t line_no;                  /* its place among the row's lines, from 1, input order */
  const char *claim_id, *sn, *code; /* claim_id: filled when read back */
  size_t claim_id_len, sn_len, code_len;
  int status;             /* SB_FEE_OK / UNLISTED / BAD (batch.h) */
  sb_qty cnt;             /* -1 when bad */
  sb_price pric;          /* -1 when bad */
  sb_fee_amounts amounts; /* not on a bad line */
  /* put: the person of the claims row, when the caller knows it (an import
  ** does), or NULL (the store then finds it); not filled when read back */
  const char *person_id;
  size_t person_id_len;
} sb_stored_fee_line;

/* A clerk's mark on an alert (the console's worklist, issue 14): who
** handled it, when, and a note.  Marks are append-only: an alert is handled
** once it has a mark; later marks add to its history, nothing is changed. */
typedef struct sb_alert_mark {
  int64_t seq;      /* the claim row that raised the alert (sb_stored_alert.seq) */
  const char *rule; /* with seq, names the alert: a row raises a rule at most once */
  const char *who;  /* the institution of the admin token that marked it */
  const char *at;   /* UTC, "YYYY-MM-DDTHH:MM:SSZ"; put: the store's clock when NULL */
  const char *note; /* free text, may be empty (never NULL), any bytes but NUL */
} sb_alert_mark;

/* An id by reference: its bytes (not NUL-terminated) and their length. */
typedef struct sb_id_ref {
  const char *p;
  size_t len;
} sb_id_ref;

typedef struct sb_store_ops {
  void (*close)(sb_store *s);
  int (*begin)(sb_store *s, sb_error *err);
  int (*commit)(sb_store *s, sb_error *err);
  void (*rollback)(sb_store *s);

  /* The log of runs (imports, re-settlements, enrollments). */
  int (*run_start)(sb_store *s, const char *kind, const char *source, int64_t *run_id,
                   sb_error *err);
  int (*run_finish)(sb_store *s, int64_t run_id, const char *summary, sb_error *err);

  /* Policies: one JSON text per year. */
  int (*policy_put)(sb_store *s, int year, const char *name, const char *json, int replace,
                    sb_error *err);
  int (*policy_each)(sb_store *s, int (*fn)(void *ctx, int year, const char *json), void *ctx,
                     sb_error *err);

  /* The registry.  person_put replaces a person's household, region and
  ** every interval; interval_put adds one interval to a person put in the
  ** same transaction.  person_each lists every interval, ordered by person
  ** in order of first registration. */
  int (*person_put)(sb_store *s, const char *id, size_t id_len, const char *hh, size_t hh_len,
                    int32_t region, sb_error *err);
  int (*interval_put)(sb_store *s, const char *id, size_t id_len, int category, sb_date from,
                      sb_date to, sb_error *err);
  int (*person_each)(sb_store *s,
                     int (*fn)(void *ctx, const char *id, size_t id_len, const char *hh,
                               size_t hh_len, int32_t region, int category, sb_date from,
                               sb_date to),
                     void *ctx, sb_error *err);

  /* Claims and settlements. */
  int64_t (*claim_count)(sb_store *s);
  /* The settled or reversal row holding claim id: 1 found, 0 not. */
  int (*claim_lookup)(sb_store *s, const char *id, size_t len, sb_stored_claim *out, sb_error *err);
  /* How many received rows have this claim id and content key: *count of
  ** them in all, *rejected of those rejected. */
  int (*received_count)(sb_store *s, const char *id, size_t len, uint64_t key, int64_t *count,
                        int64_t *rejected, sb_error *err);
  int (*row_append)(sb_store *s, sb_stored_row *row, sb_error *err); /* sets row->seq */
  /* Every row in arrival order (year 0: all; else only that claim year's
  ** settled and reversed rows). */
  int (*row_each)(sb_store *s, int year, int (*fn)(void *ctx, const sb_stored_row *row), void *ctx,
                  sb_error *err);

  /* Accumulators of a person-year (zero when absent). */
  int (*acc_get)(sb_store *s, const char *person_id, size_t len, int year, sb_acc *acc,
                 sb_error *err);
  int (*acc_put)(sb_store *s, const char *person_id, size_t len, int year, const sb_acc *acc,
                 sb_error *err);

  int (*alert_append)(sb_store *s, const sb_stored_alert *a, sb_error *err);
  /* after_seq < 0: every alert in the order they fired (docs/reference/formats.md §5);
  ** else the alerts raised by claim rows after seq `after_seq`, in seq
  ** order (a cursor: within one import, firing order is canonical claim
  ** order, which is not seq order). */
  int (*alert_each)(sb_store *s, int64_t after_seq, int (*fn)(void *ctx, const sb_stored_alert *a),
                    void *ctx, sb_error *err);

  /* Enrollments: one per person and year (put replaces). */
  int (*enrollment_put)(sb_store *s, const sb_enrollment *e, sb_error *err);
  int (*enrollment_each)(sb_store *s, int year, int (*fn)(void *ctx, const sb_enrollment *e),
                         void *ctx, sb_error *err);

  /* A run's kind and source, NUL-terminated and truncated to the buffers:
  ** 1 found, 0 not.  (The server records each institution's settlements
  ** under a run whose source names it.) */
  int (*run_get)(sb_store *s, int64_t run_id, char *kind, size_t kind_n, char *source,
                 size_t source_n, sb_error *err);

  /* For a long-lived writer of small transactions (the server): let the
  ** store tune itself for that (SQLite: commits stop checkpointing and a
  ** background thread of the store's own does it; commits stop syncing and
  ** sb_store.serve_sync below does it; see store_sqlite_serve.c).  After
  ** it, a store whose serve_sync is set makes a commit durable only when
  ** serve_sync returns. */
  int (*serve_start)(sb_store *s, sb_error *err);
  /* Such a writer calls this between two of its transactions, for upkeep
  ** that must not run inside one (SQLite: start a long WAL over).  A
  ** failure loses nothing — the writer logs it and goes on; it also reports
  ** background upkeep that failed since the last call. */
  int (*serve_idle)(sb_store *s, sb_error *err);

  /* Re-assistance after the year: record one payment (append-only); each
  ** person's total paid for a year (in no particular order); one person's. */
  int (*reassist_put)(sb_store *s, int64_t run_id, const sb_reassist_payment *p, sb_error *err);
  int (*reassist_each)(sb_store *s, int year,
                       int (*fn)(void *ctx, const char *person_id, size_t len, sb_fen paid),
                       void *ctx, sb_error *err);
  int (*reassist_paid)(sb_store *s, const char *person_id, size_t len, int year, sb_fen *paid,
                       sb_error *err);

  /* The catalogue: add a row (append-only); every row in the order added. */
  int (*catalog_put)(sb_store *s, int64_t run_id, const char *code, size_t len,
                     const sb_catalog_item *it, sb_error *err);
  int (*catalog_each)(sb_store *s,
                      int (*fn)(void *ctx, const char *code, size_t len, const sb_catalog_item *it),
                      void *ctx, sb_error *err);
  /* Fee lines: store one; every line in (seq, line_no) order, or those of
  ** one claims row (seq > 0). */
  int (*fee_line_put)(sb_store *s, const sb_stored_fee_line *l, sb_error *err);
  int (*fee_line_each)(sb_store *s, int64_t seq, int (*fn)(void *ctx, const sb_stored_fee_line *l),
                       void *ctx, sb_error *err);

  /* ---- console (issue 14) ---- */
  /* What a clerk's pages read about one person or one claim without
  ** scanning the ledger (each must be an index probe, not a scan: the
  ** server runs them on its one ledger thread, between settlements), and
  ** the alerts' handled marks.  The rows are given exactly as row_each
  ** gives them (every field filled the same way). */

  /* Every received row whose person_id is exactly these bytes — settled,
  ** reversed (reversal rows) and rejected alike — in arrival (seq) order.
  ** No row: returns 0 without calling fn. */
  int (*person_row_each)(sb_store *s, const char *person_id, size_t len,
                         int (*fn)(void *ctx, const sb_stored_row *row), void *ctx, sb_error *err);
  /* Every received row whose claim_id is exactly these bytes (the claim,
  ** its rejected resubmissions), and every row whose `reverses` text is
  ** these bytes (the reversals naming it, resolved or rejected), in
  ** arrival (seq) order, each row once. */
  int (*claim_row_each)(sb_store *s, const char *claim_id, size_t len,
                        int (*fn)(void *ctx, const sb_stored_row *row), void *ctx, sb_error *err);
  /* The alerts whose person_id is exactly these bytes, in the order they
  ** fired (the order of alert_each with after_seq < 0). */
  int (*person_alert_each)(sb_store *s, const char *person_id, size_t len,
                           int (*fn)(void *ctx, const sb_stored_alert *a), void *ctx,
                           sb_error *err);
  /* Append one handled mark (inside a transaction, like every write).  The
  ** store does not check that the alert exists: the caller does.  m->at
  ** NULL: the store's clock, UTC, to the second. */
  int (*alert_mark_put)(sb_store *s, const sb_alert_mark *m, sb_error *err);
  /* Every mark in the order appended (at always filled). */
  int (*alert_mark_each)(sb_store *s, int (*fn)(void *ctx, const sb_alert_mark *m), void *ctx,
                         sb_error *err);

  /* Optional (NULL: use begin).  Begin the transaction of an import of
  ** claims, which writes through run_start/run_finish, row_append (seqs
  ** one after another, from one more than claim_count), alert_append,
  ** acc_put and fee_line_put only.  The store may then check the rows'
  ** references to other rows (run, claims row, reversed settlement) itself
  ** instead of row by row in the database (SQLite: foreign keys off for the
  ** transaction, store_sqlite.c); a reference to nothing is still an
  ** error, from the op that writes it or from commit.  `input_bytes` is the
  ** size of the claims file (-1: not known, a pipe): a large import may
  ** write differently (SQLite: a rollback journal instead of the WAL when
  ** nobody else has the ledger open, store_sqlite.c). */
  int (*begin_import)(sb_store *s, int64_t input_bytes, sb_error *err);
} sb_store_ops;

struct sb_store {
  const sb_store_ops *ops;
  /*
  ** What to call the ledger in a message: the SQLite file's path, or the
  ** PostgreSQL URI with every password masked ("postgresql://u:***@h/db").
  ** Set by the store's open, owned by the store, valid until close.  A
  ** caller that names the ledger prints this, never the --db text it was
  ** given, which may hold a password.
  */
  const char *where;
  /*
  ** Serve mode's durability, when the store splits it from the commit
  ** (set by serve_start; NULL: every commit is durable when it returns, as
  ** outside serve mode — PostgreSQL).  It makes durable every transaction
  ** the writer committed before the call began, and may be called from a
  ** thread of its own while the writer goes on with its next transactions
  ** (it shares nothing with them but atomics): the writer's thread commits
  ** group N+1 while another waits for the disk to take group N.  0, or
  ** SB_EIO: the disk refused; what was committed since the last success
  ** may be lost, and every later call fails too (after a failed sync the
  ** kernel's cache no longer says what is on the disk: see
  ** store_sqlite_serve.c).  It lives here, not in sb_store_ops, because it
  ** exists only once serve mode has begun.
  */
  int (*serve_sync)(sb_store *s, sb_error *err);
  /*
  ** A hint, optional (NULL: the store takes none): the claim ids and the
  ** persons the writer's next transaction will ask about (claim_lookup,
  ** received_count, acc_get), given before its begin().  A store whose
  ** reads cost a round trip each may read them all at once when the
  ** transaction begins — after its write lock is taken, so what it reads
  ** is what each of those calls would have read — and answer from that.
  ** The answers are the same with the hint or without (an id or a person
  ** not named is read as before); the store copies what it keeps.  A hint
  ** holds for the next begin() only.  Like serve_sync it lives here, not
  ** in sb_store_ops: only the server, which settles many claims in one
  ** transaction, gives it.
  */
  void (*read_ahead)(sb_store *s, const sb_id_ref *claim_ids, int n_ids, const sb_id_ref *persons,
                     int n_persons);
};

/*
** Open the SQLite store at `path`.  With `create` the file must not exist
** and a fresh schema is made; without it the file must be a sanbao ledger
** (its application id and schema version are checked, and older schemas are
** migrated).  A corrupt or foreign file is a clear error, not a crash.
*/
int sb_store_sqlite_open(const char *path, int create, sb_store **out, sb_error *err);

/*
** Open the PostgreSQL store at `uri` (any libpq connection URI: it is
** passed to libpq unchanged, so multi-host lists and target_session_attrs
** work).  With `create` the database must exist and hold no sanbao ledger,
** and the schema is made in it; without it the database must hold this
** sanbao's schema.  Errors name the URI with any password masked.
*/
int sb_store_pg_open(const char *uri, int create, sb_store **out, sb_error *err);

/*
** Open the ledger named by `where`: a `postgresql://` or `postgres://` URI
** selects the PostgreSQL store, anything else is the path of an SQLite
** file (sb_store_sqlite_open).  `create` makes a new ledger.
*/
int sb_store_open(const char *where, int create, sb_store **out, sb_error *err);

/* Fill the amounts of a stored settlement that follow from the stored ones
** (inscp_scp_amt, fund_pay_sumamt, psn_part_amt and what was fed to
** critical-illness insurance, assistance and re-assistance), exactly as
** the SQLite schema's generated columns compute them: every store reads
** back the same result. */
void sb_stored_result_derive(sb_result *r);

/* The words of the settlements' status column, indexed by SB_ROW_SETTLED,
** SB_ROW_REVERSED and SB_ROW_REJECTED (both stores write these). */
extern const char *const SB_STORED_STATUS[3];

/* The row status a status column's NUL-terminated word names; anything
** but "settled" and "reversed" reads as rejected (the schemas' CHECK
** constraints admit only the three). */
int sb_stored_status_from_name(const char *s);

/* A stored fee line's classification read back: its class and its four
** stored amounts (amt, fulamt, over, pre, the columns' order in both
** stores); the in-scope amount derived from them. */
void sb_stored_fee_amounts_set(sb_fee_amounts *a, int cls, const int64_t v[4]);

/* How many amounts a settlement's row stores, and their order in every
** store's columns: medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay,
** preselfpay_amt, act_pay_dedc, hifp_pay, hifmi_pay, maf_pay. */
#define SB_STORED_AMOUNTS 8

/* A stored settlement read back into `r`: its category, visit and level
** (-1, unknown or NULL, reads as 0), the amounts in the order above, the
** fed flags and reassist_pay; the rest derived (sb_stored_result_derive).
** The stores read their columns their own way and share this. */
void sb_stored_result_set(sb_result *r, const int cvl[3], const int64_t amt[SB_STORED_AMOUNTS],
                          int flags, int64_t reassist_pay);

/* A store's memo of its last claim_lookup answer (see claim_lookup in the
** stores: valid only inside a write transaction, dropped by row_append).
** found: -1 no memo, 0 the id is not held, 1 held (claim). */
typedef struct sb_claim_memo {
  int found;
  char id[65];
  size_t len;
  sb_stored_claim claim;
} sb_claim_memo;

/* The memo's answer for id: 0 or 1 as claim_lookup (out filled when 1),
** -1 when the memo does not hold this id. */
int sb_claim_memo_get(const sb_claim_memo *m, const char *id, size_t len, sb_stored_claim *out);

/* Keep an answer of claim_lookup (found >= 0) for id; ids too long to keep
** are not kept. */
void sb_claim_memo_put(sb_claim_memo *m, const char *id, size_t len, int found,
                       const sb_stored_claim *c);

/* Whether `where` names a PostgreSQL ledger (a `postgresql://` or
** `postgres://` URI) rather than an SQLite file. */
int sb_store_is_pg(const char *where);

#endif
