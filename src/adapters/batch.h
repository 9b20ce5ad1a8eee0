/*
** sanbao adapters — the CSV batch: claims.csv in, settlements (formats.md §4)
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
**             canonical order (settlement.md §4).  Almost every id is used
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

#include "csv.h"
#include "sanbao/error.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"
#include "sanbao/settle.h"

/* Rejection reasons, in the precedence order of settlement.md §8. */
typedef enum sb_reason {
  SB_OK_ROW = 0,
  SB_R_MALFORMED_ROW,
  SB_R_BAD_AMOUNT,
  SB_R_BAD_VISIT_TYPE,
  SB_R_BAD_LEVEL,
  SB_R_UNKNOWN_PERSON,
  SB_R_NOT_INSURED,
  SB_R_NO_POLICY,
  SB_R_UNKNOWN_REGION,
  SB_R_DUPLICATE_CLAIM,
  SB_R_UNKNOWN_CLAIM,
  SB_R_ALREADY_REVERSED,
  SB_R_PERSON_MISMATCH,
  SB_R_COUNT
} sb_reason;

/* The code of a reason as written in the output ("BAD_AMOUNT"). */
const char *sb_reason_name(int reason);

typedef struct sb_batch sb_batch;

typedef struct sb_batch_options {
  int threads; /* settlement threads; <= 0 means one per core, at most 2 */
  /* Progress of long steps, may be NULL: `step` names it ("read", "settle",
  ** "write"), done/total in rows or bytes (total 0 when unknown). */
  void (*progress)(void *ctx, const char *step, uint64_t done, uint64_t total);
  void *progress_ctx;
  /* When not NULL, record the trace of this claim id for sb_batch_explain. */
  const char *explain_id;
} sb_batch_options;

/* Totals for the summary. */
typedef struct sb_batch_totals {
  int64_t rows, settled, reversed, rejected;
  int64_t by_reason[SB_R_COUNT];
  /* net of reversals: settled rows minus reversed rows */
  sb_fen medfee, inscp, hifp, hifmi, maf, fund, psn;
  int64_t alerts;
} sb_batch_totals;

/*
** Read and check a claims file ("-" is standard input) against the reference
** data, which must outlive the batch.  Returns 0 and a new batch in *out, or a
** negative code: a missing or repeated column (err->where "FILE:LINE"), an
** unreadable file, out of memory.  Bad rows are not errors: they become
** rejected rows.
*/
int sb_batch_load(const char *path, const sb_policy_set *policies,
                  const sb_registry *reg, const sb_batch_options *opt,
                  sb_batch **out, sb_error *err);

/* The same from a buffer in memory; `name` is used in messages. */
int sb_batch_load_mem(const char *buf, size_t len, const char *name,
                      const sb_policy_set *policies, const sb_registry *reg,
                      const sb_batch_options *opt, sb_batch **out,
                      sb_error *err);

/* Resolve claim ids and settle every row (steps 2 and 3).  Returns 0, or
** SB_ENOMEM. */
int sb_batch_settle(sb_batch *b, sb_error *err);

/* Append the settlements CSV (header and one row per input row, in input
** order) to `out`, calling `flush` whenever the buffer passes `chunk` bytes
** so that huge outputs stream; flush returns 0 or -1 (I/O error). */
typedef int (*sb_flush_fn)(void *ctx, sb_buf *buf);
int sb_batch_write_settlements(const sb_batch *b, sb_buf *out, size_t chunk,
                               sb_flush_fn flush, void *ctx);

/* Append the alerts CSV (header included) to `out`. */
int sb_batch_write_alerts(const sb_batch *b, sb_buf *out);

/* Totals of the settled batch. */
void sb_batch_get_totals(const sb_batch *b, sb_batch_totals *t);

/* Append the plain-words explanation of options.explain_id to `out`.
** Return 0, or -1 when no row had that id. */
int sb_batch_explain(const sb_batch *b, sb_buf *out);

void sb_batch_free(sb_batch *b);

#endif
