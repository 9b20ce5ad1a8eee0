/*
** sanbao adapters — `sanbao simulate` over a claims pack: baseline and
** reform settled person by person while the pack is streamed, so memory
** does not grow with the number of claims (docs/performance.md).
**
** The pack's records are split into chunks of whole persons (64 a
** thread), which the threads take in turn; a thread reads its chunk in
** blocks, settles each person's run under both policies with the person's
** own accumulators for each side, and adds the results to its own tally
** of the sb_sim collector.  An error is that of the lowest chunk that
** fails, whichever thread met it.  The figures are those of simulate over the claims CSV
** the pack was made from, to the fen: the same rows are rejected (the
** policy-dependent checks and the claim-id bookkeeping are done here, see
** sb_pack_resolve), the same rows settled in the same canonical order.
*/
#ifndef SANBAO_PACK_SIM_H
#define SANBAO_PACK_SIM_H

#include <stdint.h>

#include "whatif/pack.h"
#include "whatif/sim.h"

/* What a run saw. */
typedef struct sb_pack_sim_stats {
  uint64_t rows;     /* data rows of the source claims file */
  uint64_t rejected; /* left out of both sides (dropped when packing, or now) */
  uint64_t settled, reversed;
} sb_pack_sim_stats;

/*
** Settle every record of `p` under `base` and `reform` (policies of one and
** the same year; the reform covers every region the base covers) into
** `sim` (2 sides, over the pack's persons: sb_sim_new_regions with
** sb_pack_regions).  The caller has checked that the pack belongs to the
** run's persons file (sb_pack_check_persons_file, or
** sb_pack_check_registry); the persons' regions come from the pack.  The
** involved rows are resolved under `base` first (sb_pack_resolve_end: by
** the thread of sb_pack_resolve_begin when the caller began one).
** `threads` 1..16.  Return 0,
** SB_EINVAL (a damaged pack; err names the file and record), SB_EIO,
** SB_ENOMEM.
*/
int sb_pack_simulate(sb_pack *p, const sb_policy *base, const sb_policy *reform, sb_sim *sim,
                     int threads, sb_pack_sim_stats *st, sb_error *err);

#endif
