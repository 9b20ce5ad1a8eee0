/*
** sanbao adapters — the CSV batch: claims.csv in, settlements (docs/reference/formats.md §4)
** and alerts (§5) out, every row settled by the pure core.
**
** The pipeline, and why it is shaped so:
**
**  1. load:   each row is parsed and checked on its own (MALFORMED_ROW,
**             BAD_AMOUNT, BAD_VISIT_TYPE, BAD_LEVEL, UNKNOWN_PERSON,
**             NOT_INSURED, NO_POLICY, UNKNOWN_REGION need nothing but the
**             row and the reference data) into a compact array.
**  2. ids:    claim-id bookkeeping (DUPLICATE_CLAIM, UNKNOWN_CLAIM,
**             ALREADY_REVERSED, PERSON_MISMATCH) must follow the global
**             canonical order (docs/reference/settlement.md §4).  Almost every id is used
**             once and never reversed, and for those order cannot matter; so
**             one hash pass finds the few ids that are repeated or named by
**             a reversal, and only the rows carrying them are sorted and
**             resolved in canonical order.
**  3. settle: rows are grouped by person (a counting sort on the dense
**             person index), each person's rows sorted by (date, claim_id,
**             input position), and each person's year settled by the core
**             with plain accumulators — no lookup per claim.  People are
**             independent, so the persons are split across threads.
**  4. write:  rows go out in input order; alerts in canonical claim order.
*/
#ifndef SANBAO_BATCH_H
#define SANBAO_BATCH_H

#include <stdint.h>
#include <stdio.h>

#include "io/csv.h"
#include "io/fees_csv.h"
#include "sanbao/error.h"
#include "sanbao/fee.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"
#include "sanbao/run.h" /* sb_reason, SB_ROW_* */
#include "sanbao/settle.h"

typedef struct sb_batch sb_batch;

/*
** What a store (the ledger) already holds, so that a file can be settled
** after it "as a real-time system settles in arrival order".  The CSV batch
** has no prior; the ledger supplies one.  Hooks may be called from the
** settlement threads at the same time: they must be thread-safe (or the
** caller sets threads = 1).
*/
typedef struct sb_prior_claim {
  int is_reversal;  /* the id is held by a reversal row */
  int reversed;     /* a settled original that was reversed already */
  int32_t person;   /* registry index of its person, -1 when unknown */
  int64_t ref;      /* the store's reference of the row (the ledger's seq) */
  sb_result result; /* a settled original's amounts (accumulators need them) */
  sb_date date;
} sb_prior_claim;

typedef struct sb_prior {
  /* When a hook fails it fills its own error (e.g. the sb_error the caller
  ** also passes to sb_batch_settle, which then returns SB_EIO and leaves
  ** that error as the hook wrote it). */
  void *ctx;
  /* Is a claim id taken (by a settled or reversal row) in the store?
  ** Return 1 with *out filled, 0 when not, negative on error. */
  int (*claim)(void *ctx, const char *id, size_t len, sb_prior_claim *out);
  /* A person-year's accumulators before this batch (all zero when the
  ** store has none).  Return 0, negative on error. */
  int (*acc)(void *ctx, int32_t person, int year, sb_acc *out);
} sb_prior;

typedef struct sb_batch_options {
  int threads; /* settlement threads; <= 0 means one per core, at most 2 */
  /* Progress of long steps, may be NULL: `step` names it ("read", "settle",
  ** "write"), done/total in rows or bytes (total 0 when unknown). */
  void (*progress)(void *ctx, const char *step, uint64_t done, uint64_t total);
  void *progress_ctx;
  /* When not NULL, record the trace of this claim id for sb_batch_explain. */
  const char *explain_id;
  /* Several claim ids to explain (sb_batch_explain_id), read when the batch
  ** settles; with n_explain_ids 0, explain_id alone is.  Repeats are
  ** allowed.  The strings must outlive the batch. */
  const char *const *explain_ids;
  int n_explain_ids;
  /* What a store already holds (NULL for a plain file). */
  const sb_prior *prior;
  /* Keep each touched person-year's final accumulators (sb_batch_foreach_acc). */
  int keep_accs;
  /* Settle every row a second time under these policies (a reform), with
  ** its own accumulators; row views then carry alt_result.  The reference
  ** checks (NO_POLICY, UNKNOWN_REGION) are the baseline's: the caller makes
  ** sure the reform covers the same years and regions.  Not with prior. */
  const sb_policy_set *alt_policies;
  /* Fee lines (docs/reference/settlement.md §11): claims rows whose id has
  ** lines take their amounts from them, classified against `catalog` (NULL:
  ** every item unlisted).  Both must outlive the batch. */
  const sb_fee_set *fees;
  const sb_catalog *catalog;
  /* Files at least this big are parsed by two threads (0: the default,
  ** 64 MiB).  Tests set it low to run the parallel reader on small files. */
  uint64_t parallel_load_bytes;
} sb_batch_options;

/* Totals for the summary. */
typedef struct sb_batch_totals {
  int64_t rows, settled, reversed, rejected;
  int64_t by_reason[SB_R_COUNT];
  /* net of reversals: settled rows minus reversed rows */
  sb_fen medfee, inscp, hifp, hifmi, maf, reassist, fund, psn;
  /* re-assistance after the year: persons paid, and the amount */
  int64_t reassist_year_end_persons;
  sb_fen reassist_year_end;
  /* fee lines by status (SB_FEE_*) */
  int64_t fee_lines[4];
  int64_t alerts;
  int64_t skipped; /* rows marked with sb_batch_skip() */
} sb_batch_totals;

/*
** Read and check a claims file ("-" is standard input) against the reference
** data, which must outlive the batch.  Returns 0 and a new batch in *out, or a
** negative code: a missing or repeated column (err->where "FILE:LINE"), an
** unreadable file, out of memory.  Bad rows are not errors: they become
** rejected rows.  `policies` may be NULL for a load only (`sanbao pack`):
** the checks that need a policy (NO_POLICY, UNKNOWN_REGION) are not made,
** and such a batch must not be settled.
*/
int sb_batch_load(const char *path, const sb_policy_set *policies, const sb_registry *reg,
                  const sb_batch_options *opt, sb_batch **out, sb_error *err);

/* The same from a buffer in memory; `name` is used in messages. */
int sb_batch_load_mem(const char *buf, size_t len, const char *name, const sb_policy_set *policies,
                      const sb_registry *reg, const sb_batch_options *opt, sb_batch **out,
                      sb_error *err);

/* Resolve claim ids and settle every row (steps 2 and 3).  Returns 0, or
** SB_ENOMEM. */
int sb_batch_settle(sb_batch *b, sb_error *err);

/*
** Allocate now, on the calling thread, the blocks of its results that
** sb_batch_settle() would otherwise allocate and that live as long as the
** batch: the explanation slots (options.explain_id, read now: it must hold
** its id) and the first block of the kept accumulators (options.keep_accs).
** For a batch settled on another thread than the one that frees it -- the
** server prepares a claim on an HTTP thread, settles it on the ledger
** thread and answers and frees it on the HTTP thread.  glibc gives a block
** freed by another thread back to the arena of the thread that allocated
** it, under that arena's lock; the ledger thread holds its arena's lock
** for SQLite's allocations much of the time, so every answer's free of its
** batch waited for it (perf: futex waits under sb_batch_free).  Returns 0,
** or SB_ENOMEM.  Optional: sb_batch_settle() allocates what is missing.
*/
int sb_batch_reserve(sb_batch *b);

/* Append the settlements CSV (header and one row per input row, in input
** order) to `out`, calling `flush` whenever the buffer passes `chunk` bytes
** so that huge outputs stream; flush returns 0 or -1 (I/O error). */
typedef int (*sb_flush_fn)(void *ctx, sb_buf *buf);
int sb_batch_write_settlements(const sb_batch *b, sb_buf *out, size_t chunk, sb_flush_fn flush,
                               void *ctx);

/* Append the alerts CSV (header included) to `out`. */
int sb_batch_write_alerts(const sb_batch *b, sb_buf *out);

/* Re-assistance paid after the year (timing year_end, docs/reference/
** settlement.md §10), one line per person-year of a plain file (no prior)
** with a positive net base, ordered by year then person_id bytes. */
typedef struct sb_reassist_line {
  int32_t person; /* registry index */
  int year;
  int category;     /* the one of the last counted claim not reversed */
  sb_fen base;      /* ra_base */
  sb_fen threshold; /* the category's row */
  sb_bp ratio;
  sb_fen annual_cap; /* SB_NO_CAP when null */
  sb_fen pay;        /* reassist_pay = E4 */
} sb_reassist_line;

/* How many person-years have a positive base; the k-th of them (returns 1
** when it pays something, 0 when E4 is 0). */
int64_t sb_batch_reassist_count(const sb_batch *b);
int sb_batch_reassist(const sb_batch *b, int64_t k, sb_reassist_line *out);
/* The same under options.alt_policies (in no particular order). */
int64_t sb_batch_alt_reassist_count(const sb_batch *b);
int sb_batch_alt_reassist(const sb_batch *b, int64_t k, sb_reassist_line *out);

/* Append reassistance.csv (docs/reference/formats.md §11): the header, and a
** row per person-year that is paid something. */
int sb_batch_write_reassistance(const sb_batch *b, sb_buf *out);

/* ---- fee lines ---- */

typedef struct sb_fee_result {
  sb_fee_line line;       /* the line as read */
  int status;             /* SB_FEE_* */
  const char *why;        /* SB_FEE_BAD: why, naming the column */
  int64_t row;            /* the claims row it is shown against, -1 for no_claim */
  sb_fee_amounts amounts; /* SB_FEE_OK / SB_FEE_UNLISTED */
} sb_fee_result;

/* Fee lines read (0 without options.fees), and line i's result (after
** settlement); returns the status. */
int64_t sb_batch_fee_line_count(const sb_batch *b);
int sb_batch_fee_line(const sb_batch *b, int64_t i, sb_fee_result *out);

/* The lines naming `claim_id`: their number (0: none); they are
** sb_batch_fee_item_line(b, first + k) for k = 0 .. number - 1, in input
** order (line indexes for sb_batch_fee_line). */
int sb_batch_fee_group_lines(const sb_batch *b, const char *claim_id, size_t len, int64_t *first);
int64_t sb_batch_fee_item_line(const sb_batch *b, int64_t pos);

/* Append the --fee-results CSV (header and a row per line, input order). */
int sb_batch_write_fee_results(const sb_batch *b, sb_buf *out, size_t chunk, sb_flush_fn flush,
                               void *ctx);

/* Totals of the settled batch. */
void sb_batch_get_totals(const sb_batch *b, sb_batch_totals *t);

/* Append the plain-words explanation of the first id to explain
** (options.explain_ids[0], or options.explain_id) to `out`.  Return 0, or
** -1 when no row had that id. */
int sb_batch_explain(const sb_batch *b, sb_buf *out);

/* Append the plain-words explanation of claim `id`, one of the ids the
** options asked to explain, to `out`: how a settled row came out (the trace
** in words, then its fee lines), a reversal's original and amounts, or why
** a row was rejected.  Return 0, or -1 when no row had that id, the id was
** not asked for, or out of memory. */
int sb_batch_explain_id(const sb_batch *b, const char *id, sb_buf *out);

/* The trace of the first id to explain's settlement and the person-year's
** accumulators before it (valid until the batch is freed).  Return 0, or
** -1 when no settled row had that id (a reversal has no trace). */
int sb_batch_trace(const sb_batch *b, const sb_trace **trace, const sb_acc **before);

/* ---- for stores: row by row access ---------------------------------------- */

/* Number of rows read (every data row of the file, in input order). */
int64_t sb_batch_rows(const sb_batch *b);

/* Mark row i as already received by the store: it is left out of the
** settlement as if absent, and out of the totals (counted as skipped).
** Call between load and settle. */
void sb_batch_skip(sb_batch *b, int64_t i);

/* Mark row i as received before and rejected then: it is settled like any
** row, and left out (counted as skipped) only if it is rejected again — so
** a claim rejected for missing reference data settles when the file is
** imported again after the data was fixed. */
void sb_batch_skip_if_rejected(sb_batch *b, int64_t i);

/* One row as the output shows it, plus what a store needs to keep. */
typedef struct sb_batch_row {
  const char *claim_id, *person_id, *date; /* the output's text, not NUL-terminated */
  size_t claim_id_len, person_id_len, date_len;
  char date_buf[SB_DATE_BUFSZ];
  int status;           /* SB_ROW_* */
  int reason;           /* sb_reason when rejected; on a skipped row, non-zero when
                           it was received rejected before and is rejected again */
  int32_t person;       /* registry index; -1 when the person is unknown */
  int year;             /* claim year (0 when the date did not parse) */
  int effect_year;      /* the year whose accumulators the row changed: a
                           reversal's is its original's year */
  sb_result result;     /* settled: the amounts; reversed: the original's, negated */
  int64_t reverses_row; /* reversed: the original's row in this batch, else -1 */
  int64_t reverses_ref; /* reversed: the store's ref of a prior original, else -1 */
  const char *reverses; /* the `reverses` text of a reversal row (else NULL) */
  size_t reverses_len;
  int has_claim; /* visit/level/amounts below were read (a row past BAD_LEVEL) */
  sb_claim claim;
  int has_alt;          /* options.alt_policies: */
  sb_result alt_result; /* the row under the reform */
  uint64_t fee_digest;  /* a non-reversal row with fee lines: a digest of its lines
                           (code, serial number, count, price, in input order); 0 without */
} sb_batch_row;

/* Fill *v for row i (valid until the batch is freed).  Before
** sb_batch_settle() only what was read is there: a row not yet rejected
** shows SB_ROW_SETTLED or SB_ROW_REVERSED and no result. */
void sb_batch_row_view(const sb_batch *b, int64_t i, sb_batch_row *v);

/* Whether row i is skipped (SB_ROW_SKIPPED): what sb_batch_row_view's
** status says of it, without the rest of the view (a store numbering the
** rows it will keep asks this of every row first). */
int sb_batch_row_skipped(const sb_batch *b, int64_t i);

/* The line of the file where row i starts (0 when unknown). */
int64_t sb_batch_row_line(const sb_batch *b, int64_t i);

/* For a row rejected MALFORMED_ROW, BAD_AMOUNT or BAD_FEES, which field made
** it so, in words ("date: not a real YYYY-MM-DD date"); "" otherwise. */
const char *sb_batch_row_why(const sb_batch *b, int64_t i);

/* The claims column a rejected row i is rejected for (the one
** sb_batch_row_why names, or the one the reason is about: visit_type for
** BAD_VISIT_TYPE, claim_id for the id rules, "fees" for its fee lines), or
** NULL for a row rejected as a whole (its field count, its quoting) or
** with no reason.  A static string. */
const char *sb_batch_row_field(const sb_batch *b, int64_t i);

/* Alerts, in canonical claim order: count, then one by one. */
int64_t sb_batch_alert_count(const sb_batch *b);
void sb_batch_alert(const sb_batch *b, int64_t k, int64_t *row, const char **rule, sb_fen *psn_ytd,
                    sb_fen *threshold);

/* Alerts under options.alt_policies: count, and the row of the k-th. */
int64_t sb_batch_alt_alert_count(const sb_batch *b);
int64_t sb_batch_alt_alert_row(const sb_batch *b, int64_t k);

/* With options.keep_accs: call fn for each person-year the batch touched,
** with its accumulators after the batch.  Stops at the first non-zero
** return and returns it. */
int sb_batch_foreach_acc(const sb_batch *b,
                         int (*fn)(void *ctx, int32_t person, int year, const sb_acc *acc),
                         void *ctx);

/* ---- the settlements CSV, for other writers (the ledger's export) -------- */

/* Append the header line of docs/reference/formats.md §4. */
int sb_settlement_csv_header(sb_buf *out);

/* Append what follows "claim_id,person_id,date" on a settlements line:
** ",status,reason,category" and the eleven amounts (empty when rejected),
** and the newline.  Return 0 or -1 (out of memory). */
int sb_settlement_csv_tail(sb_buf *out, int status, int reason, const sb_result *res);

void sb_batch_free(sb_batch *b);

#endif
