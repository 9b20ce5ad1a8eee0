/*
** sanbao ledger — re-assistance after the year (再救助, docs/reference/settlement.md
** §10, timing year_end), run against the ledger.
**
** For a year whose policy pays re-assistance after the year, each person's
** entitlement is E4 of the year's net base (the ra_base accumulator, which
** reversals have already netted), under the row of the category applied to
** the last claim in canonical order that counted in the base and was not
** reversed.  The ledger records what each run paid (append-only), so a run
** pays only the entitlement minus what was paid before: nothing twice when
** run again, the difference after late claims or reversals, a negative
** amount (追回, to recover) when the entitlement fell.
*/
#ifndef SANBAO_LEDGER_REASSIST_H
#define SANBAO_LEDGER_REASSIST_H

#include <stdint.h>

#include "io/buf.h"
#include "store/store.h"

typedef struct sb_reassist_summary {
  int64_t persons;   /* listed: an entitlement, or something paid before */
  int64_t paid_now;  /* persons paid (amount > 0) */
  int64_t recovered; /* persons to recover from (amount < 0) */
  sb_fen entitlement, paid_before, pay, recover;
} sb_reassist_summary;

/*
** List the year's re-assistance into `out` as CSV:
**   person_id,year,category,base,threshold,ratio,annual_cap,entitlement,paid_before,reassist_pay
** one row per person with an entitlement or with payments before, in
** person_id byte order (reassist_pay = entitlement - paid_before; negative:
** to recover).  With `commit`, the non-zero amounts are recorded under a run
** of kind "reassist" in the same transaction that read the ledger.  The
** year's policy must pay re-assistance after the year (else SB_EINVAL).
*/
int sb_ledger_reassist(sb_store *st, int year, int commit, sb_buf *out, sb_reassist_summary *sum,
                       sb_error *err);

#endif
