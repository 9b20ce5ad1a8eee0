/*
** sanbao ledger — a year at a glance: what a bureau reads first (the demo's
** summary; the console's overview).  Insured and coverage (参保率) per
** prefecture, what each fund paid, and per category the cost, the in-scope
** cost and the funds, from which the effective reimbursement ratio follows.
*/
#ifndef SANBAO_LEDGER_SUMMARY_H
#define SANBAO_LEDGER_SUMMARY_H

#include <stdint.h>

#include "sanbao/types.h"
#include "store/store.h"

#define SB_SUMMARY_PREFS 64

typedef struct sb_year_summary {
  int year;
  /* the registry, and those enrolled for the year (db enroll) */
  int64_t residents, enrolled;
  int n_pref; /* prefectures (region / 100 * 100), ascending */
  int32_t pref[SB_SUMMARY_PREFS];
  int64_t pref_residents[SB_SUMMARY_PREFS], pref_enrolled[SB_SUMMARY_PREFS];
  /* the year's settled claims, net of reversals */
  int64_t claims[SB_CAT_COUNT];
  sb_fen medfee[SB_CAT_COUNT], inscp[SB_CAT_COUNT], fund[SB_CAT_COUNT];
  sb_fen hifp, hifmi, maf, reassist; /* each fund's total */
} sb_year_summary;

/*
** Fill *out for `year` from the store (one read of the year's settlements,
** the registry and the enrollments).  More prefectures than
** SB_SUMMARY_PREFS are counted in the last slot.  Return 0 or an SB_E* code.
*/
int sb_ledger_summary(sb_store *st, int year, sb_year_summary *out, sb_error *err);

/* Net totals over every category: cost, in scope, funds. */
void sb_year_summary_totals(const sb_year_summary *s, sb_fen *medfee, sb_fen *inscp, sb_fen *fund);

#endif
