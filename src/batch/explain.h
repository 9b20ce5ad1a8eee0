/*
** sanbao adapters — a settlement's trace in plain words (the Chinese terms
** first, then the English), for `sanbao settle --explain`, `sanbao db
** explain` and the API's `explanation`.
*/
#ifndef SANBAO_EXPLAIN_H
#define SANBAO_EXPLAIN_H

#include "io/csv.h"
#include "sanbao/fee.h"
#include "sanbao/policy.h"
#include "sanbao/settle.h"

/* What the renderer needs besides the trace.  The county prints by name
** (batch/regions.h); values `policy` lists as assumed are marked. */
typedef struct sb_explain_ctx {
  const char *claim_id, *person_id;
  size_t claim_id_len, person_id_len;
  sb_date date;
  int32_t region;
  const sb_policy *policy;
  const sb_acc *before; /* the person-year's accumulators before the claim */
} sb_explain_ctx;

/* Append the explanation of one settlement to `out`.  Return 0 or -1 (out
** of memory). */
int sb_explain_render(const sb_explain_ctx *x, const sb_trace *t, const sb_result *r, sb_buf *out);

/*
** The pieces of an explanation that `settle --explain` and `db explain`
** both write, so that the two texts are the same byte for byte.  Each
** appends to `out` and returns 0 or -1 (out of memory).
*/

/* The heading of a claim's `n` fee lines. */
int sb_explain_fee_heading(sb_buf *out, int n);

/* One fee line: its serial number, its code, then its class and amounts,
** or, for a malformed line (`bad`), why (`why` may be NULL). */
int sb_explain_fee_line(sb_buf *out, const char *sn, size_t sn_len, const char *code,
                        size_t code_len, int bad, const char *why, const sb_fee_amounts *a);

/* A reversal row `id` of the claim `orig` and the amounts it takes back
** (`row`: the reversal's own row, every amount negated). */
int sb_explain_reversal(sb_buf *out, const char *id, size_t id_len, const char *orig,
                        size_t orig_len, const sb_result *row);

#endif
