/*
** sanbao batch — what the batch's own files share (not a public header):
** the compact row, the batch struct, and the small helpers every step uses.
**
** Memory is the constraint at scale (ten million rows on a 1.5 GB budget),
** so a row is one fixed 96-byte struct and every string lives in one arena:
** the claim id of every row, the `reverses` target of reversal rows, and
** the raw id / person / date text of rows rejected before their fields could
** be trusted.  Settled rows print their person id and date from the registry
** and the parsed date, which are byte-identical to what was read.  What only
** some runs need — re-assistance paid at settlement, the reform's side of a
** simulation, fee lines — lives in side arrays allocated only then.
**
** The files:  load.c (step 1), ids.c (step 2), persons.c (step 3),
** write.c (step 4), fees.c (fee lines against the catalogue), batch.c
** (views, totals, explanations, lifecycle).
*/
#ifndef SANBAO_BATCH_INT_H
#define SANBAO_BATCH_INT_H

#include <stdint.h>
#include <string.h>

#include "batch/batch.h"
#include "sanbao/run.h"

/* Row flags. */
enum {
  F_REVERSAL = 1,  /* the row has a non-empty `reverses` */
  F_FED_CI = 2,    /* sb_result.flags SB_FED_CI */
  F_FED_MA = 4,    /* sb_result.flags SB_FED_MA */
  F_RAW = 8,       /* malformed: aux points to raw text (id, person, date) */
  F_INVOLVED = 16, /* claim id needs canonical-order bookkeeping */
  F_SKIP = 32,     /* already received by the store: left out (sb_batch_skip) */
  F_SKIP_REJ = 64, /* received before and rejected: left out if rejected again */
  F_FED_RA = 128   /* sb_result.flags SB_FED_RA */
};

/* A reversal's aux, once resolved: the original's row index, or with this
** bit set an index into sb_batch.prior_orig (an original held by the store). */
#define AUX_PRIOR (1ull << 62)

/* While a batch with fee lines loads, a row whose claim id may have lines
** carries this in aux, with AUX_FEES_GIVEN when any amount field was given
** and in the low byte the WHY_* its own amounts would be rejected for (0:
** none); batch_fee_rows then finds its lines and decides (load.c). */
#define AUX_FEES_PENDING (1ull << 63)
#define AUX_FEES_GIVEN (1ull << 8)

/*
** One input row.  A row is rejected when `reason` is set, else a reversal
** when F_REVERSAL is set, else settled.  Text lives in the arena: at id_off
** the claim id (id_len bytes), followed by the person id as read when the
** registry does not know it (plen bytes; a known person prints from the
** registry, byte-identical), followed by a reversal's target (aux_len bytes).
*/
typedef struct row_s {
  sb_fen amt[4]; /* medfee, fulamt, overlmt, preselfpay */
  sb_fen pay[4]; /* act_pay_dedc, hifp, hifmi, maf; id-table slots in step 2 */
  uint64_t id_off;
  /* F_RAW: arena offset of the raw text; reversal: the target's arena
  ** offset until step 2, then the original row's index; any other row:
  ** 1 + the fee group its claim id names (batch_fee_group), 0 for none. */
  uint64_t aux;
  int32_t person; /* -1 when unknown */
  sb_date date;
  uint8_t id_len, aux_len, plen, visit, level, category, reason, flags;
} row;

/* Why a row was rejected, more precisely than its reason: the field (kept
** in a rejected row's `level`, which it no longer needs). */
enum {
  WHY_FIELD_COUNT = 1,
  WHY_QUOTING,
  WHY_CLAIM_ID,
  WHY_PERSON_ID,
  WHY_DATE,
  WHY_MEDFEE,
  WHY_FULAMT,
  WHY_OVERLMT,
  WHY_PRESELF,
  WHY_PARTS,
  WHY_AMOUNTS_WITH_LINES,
  WHY_A_LINE,
  WHY_LINES_TOTAL
};

static inline int row_rejected(const row *r) {
  return r->reason != SB_OK_ROW;
}
/* Takes no part in the settlement: rejected in step 1, or skipped. */
static inline int row_inactive(const row *r) {
  return r->reason != SB_OK_ROW || (r->flags & F_SKIP);
}
/* Left out of what the batch reports (and a store keeps). */
static inline int row_skipped(const row *r) {
  return (r->flags & F_SKIP) || ((r->flags & F_SKIP_REJ) && r->reason != SB_OK_ROW);
}
static inline int row_reversal(const row *r) {
  return !r->reason && (r->flags & F_REVERSAL);
}

typedef struct alert {
  int64_t row;
  int32_t rule;
  sb_fen psn_ytd;
} alert;

typedef struct alerts {
  alert *a;
  int64_t n, cap;
} alerts;

/* A person-year's accumulators after the batch (options.keep_accs). */
typedef struct kept_acc {
  int32_t person;
  int32_t year;
  sb_acc acc;
} kept_acc;

typedef struct kept_accs {
  kept_acc *a;
  int64_t n, cap;
} kept_accs;

/* The first block of kept accumulators (keep_acc, persons.c; allocated
** ahead by sb_batch_reserve); it doubles from there. */
#define KEPT_ACCS_FIRST 16

/* A row's results under options.alt_policies (the amounts read are the
** same; only what the tiers pay differs). */
typedef struct alt_pay {
  sb_fen pay[4]; /* act_pay_dedc, hifp, hifmi, maf */
  sb_fen ra;     /* reassist_pay */
  uint8_t flags; /* SB_FED_* */
} alt_pay;

/* A person-year whose re-assistance is paid after the year (timing
** year_end, docs/reference/settlement.md §10): its net base and the
** category of the last claim counted in it and not reversed. */
typedef struct ra_due {
  int32_t person;
  int32_t year;
  int32_t category;
  sb_fen base;
} ra_due;

typedef struct ra_dues {
  ra_due *a;
  int64_t n, cap;
} ra_dues;

typedef struct sb_fee_index sb_fee_index; /* fees.c */

/* One claim to explain: its id and, once settled, how it came out. */
typedef struct explain_slot {
  const char *id;
  size_t len;
  int have_trace;  /* a settled row with that id: trace, result, before */
  int64_t row;     /* that row */
  int64_t rev_row; /* a reversal row with that id, or -1 */
  sb_trace trace;
  sb_result result;
  sb_acc before; /* the person-year's accumulators before the claim */
} explain_slot;

/* The explanation slot of row `r`'s claim id, or NULL (batch.c). */
explain_slot *batch_explain_slot(const sb_batch *b, const row *r);

struct sb_batch {
  const sb_policy_set *policies;
  const sb_registry *reg;
  sb_batch_options opt;
  const char *name;
  row *rows;
  uint32_t *lines; /* the line of the file each row starts on */
  int64_t n, cap;
  char *arena;
  uint64_t alen, acap;
  alerts al;
  /* re-assistance paid at settlement, per row; NULL when no policy of the
  ** run pays it at settlement (then it is 0 everywhere) */
  sb_fen *ra;
  /* The claims to explain (opt.explain_ids, or opt.explain_id), one slot
  ** per distinct id, filled by the settling workers (a claim id names one
  ** settled or reversal row at most, so no two workers write one slot). */
  explain_slot *ex;
  int n_ex;
  /* originals held by the store (options.prior), named by reversals */
  sb_prior_claim *prior_orig;
  int64_t n_prior_orig, cap_prior_orig;
  kept_accs accs;
  /* the reform's side (options.alt_policies): per row, and its alerts */
  alt_pay *alt;
  alerts alt_al;
  /* re-assistance after the year (no store): one entry per person-year */
  ra_dues ra_due;
  ra_dues alt_ra_due; /* the same under options.alt_policies */
  /* fee lines (options.fees): which lines belong to which claim */
  sb_fee_index *fees;
  int settled;      /* sb_batch_settle() has run: results are there */
  int store_failed; /* a prior hook failed (it filled its own error) */
};

/* The canonical order of two rows (docs/reference/settlement.md §4). */
static inline int batch_canon_cmp(const sb_batch *b, int64_t i, int64_t j) {
  const row *x = &b->rows[i], *y = &b->rows[j];
  return sb_canon_cmp(x->date, b->arena + x->id_off, x->id_len, i, y->date, b->arena + y->id_off,
                      y->id_len, j);
}

/* Sort row indexes canonically: a merge sort (stable, O(n log n) worst
** case); tmp holds n more. */
void batch_canon_sort(const sb_batch *b, int64_t *a, int64_t *tmp, int64_t n);

/* A settled row's full result (what the accumulators need), rebuilt from
** the compact row. */
void batch_result_of(const sb_batch *b, int64_t i, sb_result *out);

/* The settled original of a resolved reversal row: its result and date. */
void batch_original_of(const sb_batch *b, const row *r, sb_result *res, sb_date *date);

/* What a settled or reversal row shows: its own result, or its original's
** negated. */
void batch_row_result(const sb_batch *b, int64_t i, sb_result *res);

/* The row's result under the reform (options.alt_policies). */
void batch_alt_result_of(const sb_batch *b, int64_t i, sb_result *out);

/* Step 2 (ids.c) and step 3 (persons.c); 0 or -1 (out of memory, or a
** store hook failed: b->store_failed). */
int batch_resolve_ids(sb_batch *b);
int batch_settle_all(sb_batch *b);
int batch_sort_alerts(sb_batch *b);
int batch_sort_ra_due(sb_batch *b); /* write.c */

/* fn(first) on this thread and, when `second` is not NULL, fn(second) at
** the same time on another (or after it, here, when no thread can be had);
** returns when both are done (batch.c). */
void batch_run_pair(void *(*fn)(void *), void *first, void *second);

/* Format items [from, to) of an output onto `o`; `cache` is the writer's
** date cache (write.c).  0, or -1 when out of memory. */
typedef int (*batch_format_fn)(const sb_batch *b, int64_t from, int64_t to, sb_buf *o, void *cache);
/* Write items [0, n) of an output formatted by two threads in blocks of
** BATCH_WRITE_BLOCK (write.c), in order, through `flush`; with `progress`,
** reporting it (only one writer at a time may).  SB_OK, SB_ENOMEM or
** SB_EIO.  Outputs of fewer than BATCH_WRITE_SPLIT items are formatted by
** the writing thread alone.
**
** The blocks are small enough for their buffers (four, reused round after
** round) to stay a few MiB: every byte of a buffer is a page the kernel
** first faults in and zeroes, at about 2.4 µs a 4 KiB page here — with
** blocks of 131,072 rows the settlements of a million claims touched 52
** MB of fresh buffer (docs/performance.md). */
#define BATCH_WRITE_BLOCK 16384
#define BATCH_WRITE_SPLIT 262144
int batch_write_blocks(const sb_batch *b, int64_t n, batch_format_fn format, int progress,
                       sb_flush_fn flush, void *ctx);

/* Append one alert; 0 or -1. */
int batch_add_alert(alerts *al, int64_t at, int rule, sb_fen psn);

/* Does any policy of the set pay re-assistance at settlement? */
int batch_pays_reassist(const sb_policy_set *ps);

/* ---- fee lines (fees.c) ---- */

/* Group the lines of `set` by claim id and decide what the lines decide by
** themselves; `cat` may be NULL (every item unlisted).  With `threads` > 1
** and enough lines, two threads each build half of it. */
int batch_fee_index_new(const sb_fee_set *set, const sb_catalog *cat, int threads,
                        sb_fee_index **out, const char *name, sb_error *err);
void batch_fee_index_free(sb_fee_index *x);
/* The group of the lines naming claim id `id`, or -1 (x may be NULL). */
int32_t batch_fee_group(const sb_fee_index *x, const char *id, size_t len);
/* Check a non-reversal row against its lines (group k) and derive its four
** amounts on `date`: SB_R_BAD_FEES (amount fields given, or a bad line),
** SB_R_BAD_AMOUNT (total above the maximum), or SB_OK_ROW with amt filled. */
int batch_fee_row(const sb_fee_index *x, int32_t k, sb_date date, int has_amounts, sb_fen amt[4]);
/* Finish rows [0, n) of a part (their text in `arena`) whose fee lines
** load_row left pending: each finds its claim id's lines, takes its
** amounts from them or is rejected (BAD_FEES, BAD_AMOUNT), or, with no
** lines, keeps its own amounts or is rejected for them.  Afterwards a
** row's aux holds its group + 1 (0: none). */
void batch_fee_rows(const sb_fee_index *x, row *rows, int64_t n, const char *arena);
/* The same by two threads, each over half the rows, when `threads` > 1
** and there are enough rows to pay for a thread. */
void batch_fee_rows_threads(const sb_fee_index *x, row *rows, int64_t n, const char *arena,
                            int threads);
/* After settlement: the row each claim id's lines are shown against, and
** each line's catalogue row on that row's date; 0 or -1 (out of memory). */
int batch_fee_choose_rows(sb_batch *b);
/* Below this many rows or fee lines a step of the fee lines is not split
** between two threads (fees.c). */
#define BATCH_FEE_SPLIT 65536
/* The lines by status (SB_FEE_*), once settled; zeros without fee lines. */
void batch_fee_counts(const sb_batch *b, int64_t by_status[4]);
/* A digest of the lines naming claim id `id` (0: none), for a store's
** content key: the same lines in the same order give the same digest. */
uint64_t batch_fee_digest(const sb_batch *b, const char *id, size_t len);

/* The text of a malformed row kept as read: claim id, person id, date. */
typedef struct raw_text {
  const char *id, *person, *date;
  uint32_t id_len, person_len, date_len;
} raw_text;
void batch_raw_text(const sb_batch *b, const row *r, raw_text *t);

#endif
