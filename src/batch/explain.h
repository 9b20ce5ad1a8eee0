/*
** sanbao adapters — a settlement's trace in plain words (English with the
** Chinese terms beside them), for `sanbao settle --explain`.
*/
#ifndef SANBAO_EXPLAIN_H
#define SANBAO_EXPLAIN_H

#include "io/csv.h"
#include "sanbao/policy.h"
#include "sanbao/settle.h"

/* What the renderer needs besides the trace. */
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

#endif
