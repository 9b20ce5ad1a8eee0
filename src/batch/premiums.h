/*
** sanbao batch — the premiums file (docs/reference/formats.md §6): every
** person insured on the as-of date, with the premium, the subsidy the
** medical-assistance fund pays (参保资助, docs/reference/settlement.md §9)
** and what the person pays, ordered by person_id bytes.
*/
#ifndef SANBAO_BATCH_PREMIUMS_H
#define SANBAO_BATCH_PREMIUMS_H

#include <stdint.h>

#include "io/buf.h"
#include "sanbao/date.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"

typedef struct sb_premium_totals {
  int64_t persons;
  sb_fen premium, subsidy, personal;
} sb_premium_totals;

/*
** Append the premiums CSV (header and rows) of `reg` under policy `p` as of
** `as_of` to `out`, and fill *tot.  Return 0, or SB_ENOMEM (then `out` may
** hold a part: the caller writes nothing).
*/
int sb_premiums_csv(const sb_policy *p, const sb_registry *reg, sb_date as_of, sb_buf *out,
                    sb_premium_totals *tot);

#endif
