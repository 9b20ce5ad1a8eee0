/*
** sanbao whatif — where a simulation's settlements come from, besides a
** pack (pack_sim.h): a claims CSV settled under baseline and reform in one
** read, or a settlements CSV already written by `sanbao settle` (the
** `report` command).  And the check that a reform can settle everyone its
** baseline can.
*/
#ifndef SANBAO_WHATIF_SOURCES_H
#define SANBAO_WHATIF_SOURCES_H

#include <stdint.h>

#include "io/fees_csv.h"
#include "sanbao/error.h"
#include "sanbao/fee.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"
#include "whatif/sim.h"

/*
** Settle a claims file under `base` and, row by row in the same pass, under
** `reform` (each side with its own accumulators), and add both sides to
** `sim`.  *rows receives the rows read, *rejected those rejected (left out
** of both sides).  With `fees` and `catalog` (both or neither), a row whose
** claim id has fee lines takes its amounts from them, as `settle --fees`
** does (the catalogue is the same on both sides).  When `loaded` is not
** NULL and the run succeeded, *loaded is the batch, settled under `base`,
** handed to the caller (sb_batch_free, before the reference data) to report
** the rejected rows (sb_batch_get_totals, sb_batch_row_view).  Return 0, or
** an SB_E* code with `err` filled.
*/
typedef struct sb_batch sb_batch;
int sb_sim_from_claims(const char *claims, const sb_registry *reg, const sb_policy_set *base,
                       const sb_policy_set *reform, const sb_fee_set *fees,
                       const sb_catalog *catalog, sb_sim *sim, int threads, int64_t *rows,
                       int64_t *rejected, sb_batch **loaded, sb_error *err);

/*
** The reform must cover every region the baseline covers (the batch checks
** regions under the baseline only).  Regions come from `reg`, or when it is
** NULL from `regions[0..np)`.  Return 0, or SB_EINVAL with `err` naming the
** first county the reform misses (err->where is `reform_name`: $.regions).
*/
int sb_sim_check_regions(const char *reform_name, const sb_policy *base, const sb_policy *reform,
                         const sb_registry *reg, const int32_t *regions, int32_t np, sb_error *err);

/*
** Add the rows of a settlements file (docs/reference/formats.md §4, as
** `sanbao settle` writes it; reassist_pay optional, for files written before
** it existed) to side 0 of `sim`.  Every row must have the header's number
** of fields and a known status; settled and reversed rows must carry a known
** category and amounts; rejected rows are skipped.  Anything else is an
** error naming FILE:LINE and the column, and nothing is added after it.
*/
int sb_sim_from_settlements(const char *path, const sb_registry *reg, sb_sim *sim, sb_error *err);

/*
** Count the rows of an alerts file (docs/reference/formats.md §5, as `sanbao
** settle --alerts` writes it) on side 0 of `sim`: each under its person's
** prefecture and under the person's category on the alert's date.  Only
** person_id and date are read; a person not in the registry counts in the
** province's total only, as a settlements row does.  A row with another
** field count than the header's, or a bad date, is an error naming
** FILE:LINE, and nothing is added after it.
*/
int sb_sim_alerts_from_csv(const char *path, const sb_registry *reg, sb_sim *sim, sb_error *err);

#endif
