/*
** sanbao adapters — policy what-if: the measures of a baseline and a reform
** side by side (`sanbao simulate`), or of one settlements file alone
** (`sanbao report`).
**
** An sb_sim collects settled and reversed rows of either side (0 baseline,
** 1 reform) and each person's year; sb_sim_finish() then derives the
** distribution measures.  All money is fen; nothing here prints.
*/
#ifndef SANBAO_SIM_H
#define SANBAO_SIM_H

#include <stdint.h>

#include "io/csv.h"
#include "sanbao/error.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"
#include "sanbao/settle.h"

#define SB_SIM_MAX_PREF                                                                            \
  512                 /* prefectures (region / 100 * 100); China has ~340.                         \
                         Past that, the last slot holds the rest as 999900 */
#define SB_SIM_TOP 20 /* most affected persons kept */
#define SB_SIM_MAX_THRESHOLDS SB_MAX_RULES
#define SB_SIM_MAX_CAPS (5 + 2 * SB_CAT_COUNT) /* see sb_sim_watch_caps */

/* The top of the burden distribution, where reforms of caps and high
** segments act and the deciles see nothing: these percentiles, in per
** mille (nearest rank, as the deciles), then the maximum. */
#define SB_SIM_TOP_PCTS 5
static const int SB_SIM_TOP_PERMILLE[SB_SIM_TOP_PCTS] = {900, 950, 990, 995, 999};

/* Bands of the yearly personal burden (yuan, lower bound included): how
** many persons with claims fall in each; the last band is open. */
#define SB_SIM_BANDS 9
static const sb_fen SB_SIM_BAND_FROM[SB_SIM_BANDS] = {0,       100000,  200000,   500000,  1000000,
                                                      2000000, 5000000, 10000000, 20000000};

/* Sums over settled rows minus reversed rows, in fen.  Why this order:
** hifp to psn are in sb_result's order of hifp_pay to psn_part_amt, so
** that adding a row's six of them is three vector additions (the
** compiler's), done twice for every row of a province's 590 million
** settlements (sb_sim_row_to). */
typedef struct sb_sim_sums {
  sb_fen medfee, inscp, hifp, hifmi, maf;
  sb_fen reassist; /* re-assistance: paid at settlement and after the year (in fund) */
  sb_fen fund, psn;
  int64_t claims; /* settled minus reversed */
  int64_t alerts;
} sb_sim_sums;

typedef struct sb_sim_person_change {
  char person_id[65]; /* empty from sb_sim_new_regions until sb_sim_set_top_id */
  int32_t person;     /* the registry index */
  int category;       /* on the person's last settled claim */
  int32_t region;
  sb_fen psn[2]; /* the year's personal burden: baseline, reform */
} sb_sim_person_change;

/*
** A yearly cap that the reform changes, and how close the baseline's people
** came to it (sb_sim_watch_caps).  "The yearly amount" is what the cap
** bounds, summed over a person's year on the baseline side: basic fund
** payments for inpatient and chronic care ($.basic.annual_cap), inpatient
** deductibles charged ($.basic.inpatient.annual_deductible_cap), basic
** payments for chronic care or general outpatient care (their annual_cap),
** critical-illness payments on claims whose category the cap binds under
** either policy ($.critical_illness.annual_cap), medical assistance or
** re-assistance payments of persons with a claim in the row's category
** ($.assistance / $.reassistance.categories.<category>.annual_cap).
*/
typedef struct sb_sim_cap {
  char path[96];    /* the cap's JSON path */
  int kind;         /* SB_SIM_CAP_* */
  int category;     /* the row's category (assistance, re-assistance); else -1 */
  sb_fen cap[2];    /* baseline, reform; SB_NO_CAP for null */
  sb_fen lower;     /* the lower of the two: the first to bind */
  sb_fen near_from; /* 90% of `lower` (half up to the fen) */
  int64_t persons;  /* persons whose yearly amount is above zero */
  int64_t near;     /* ... of them, whose amount reached near_from */
  int64_t reached;  /* ... of them, whose amount reached `lower` */
  sb_fen max;       /* the largest yearly amount of one person (0: none) */
} sb_sim_cap;

enum {
  SB_SIM_CAP_BASIC,
  SB_SIM_CAP_DEDUCTIBLE,
  SB_SIM_CAP_CHRONIC,
  SB_SIM_CAP_OUTPATIENT,
  SB_SIM_CAP_CI,
  SB_SIM_CAP_ASSIST,
  SB_SIM_CAP_REASSIST,
  SB_SIM_CAP_KINDS
};

typedef struct sb_sim_result {
  int sides; /* 1: a single file (report), 2: baseline and reform */
  int year;
  sb_sim_sums all[2];
  sb_sim_sums category[SB_CAT_COUNT][2];
  /* By visit type (住院 / 门诊慢特病 / 普通门诊) and by institution level;
  ** unknown (visits_unknown = 1) when the rows came from a settlements
  ** file, which does not say (sb_sim_visits_not_given). */
  sb_sim_sums visit[SB_VISIT_COUNT][2];
  sb_sim_sums level[SB_LEVEL_COUNT][2];
  int visits_unknown;
  int n_pref;
  int32_t pref[SB_SIM_MAX_PREF]; /* ascending codes, e.g. 430100 */
  sb_sim_sums by_pref[SB_SIM_MAX_PREF][2];
  int64_t pref_persons[SB_SIM_MAX_PREF]; /* registry persons of the prefecture */
  int64_t persons;                       /* registry persons */
  int64_t persons_with_claims;
  /* Personal burden per person-year, over persons with claims:
  ** decile[s][k] is the k*10th percentile (k = 0..10; 0 the minimum,
  ** 10 the maximum), nearest-rank. */
  sb_fen decile[2][11];
  /* The top percentiles, SB_SIM_TOP_PERMILLE (the maximum is decile 10). */
  sb_fen top_pct[2][SB_SIM_TOP_PCTS];
  /* Persons with claims by yearly burden band (SB_SIM_BAND_FROM); a
  ** negative burden (a reversal of last year's claim) counts in band 0. */
  int64_t band[2][SB_SIM_BANDS];
  /* The factor every sum and count of persons or claims was multiplied by
  ** (sb_sim_scale), as scale_num / scale_den; 1/1 when not scaled.  Per
  ** person figures (percentiles, the most affected) are never scaled. */
  int64_t scale_num, scale_den;
  /* The policy's monitoring thresholds (因病返贫致贫风险监测) and how many
  ** persons' burden reached each, whatever their category. */
  int n_thresholds;
  char threshold_name[SB_SIM_MAX_THRESHOLDS][64];
  sb_fen threshold[SB_SIM_MAX_THRESHOLDS];
  int64_t above[2][SB_SIM_MAX_THRESHOLDS];
  /* Who gains or loses under the reform (burden down / up). */
  int64_t gainers, losers;
  sb_fen gained, lost; /* total burden change, both positive */
  int n_top;
  sb_sim_person_change top[SB_SIM_TOP]; /* largest |change| first */
  /* 1 when the alerts were not counted (`sanbao report` without an alerts
  ** file): the alerts figures are then left out of the page and the CSV
  ** rather than shown as zeros. */
  int alerts_unknown;
  /* The caps the reform changes, when sb_sim_watch_caps was called. */
  int n_caps;
  sb_sim_cap caps[SB_SIM_MAX_CAPS];
} sb_sim_result;

typedef struct sb_sim sb_sim;

/* A collector for `sides` (1 or 2) over a registry; `policy` gives the
** monitoring thresholds (the baseline's).  NULL when out of memory. */
sb_sim *sb_sim_new(const sb_registry *reg, const sb_policy *policy, int sides);

/* The alerts are not known to this collector (a settlements file carries
** none): sb_sim_result.alerts_unknown is 1. */
void sb_sim_alerts_not_given(sb_sim *s);

/* A progress callback for the long part of a simulation (reading and
** settling the claims, CSV or pack): `step` is a short word ("read",
** "settle"), done of total units of it.  Called from one thread only. */
typedef void (*sb_sim_progress_fn)(void *ctx, const char *step, uint64_t done, uint64_t total);
void sb_sim_set_progress(sb_sim *s, sb_sim_progress_fn fn, void *ctx);
/* The callback set (NULL fn: none). */
void sb_sim_get_progress(const sb_sim *s, sb_sim_progress_fn *fn, void **ctx);

/* Nor the visit types and levels (a settlements file has no such column):
** sb_sim_result.visits_unknown is 1, and the splits by them are left out. */
void sb_sim_visits_not_given(sb_sim *s);

/* A collector over `persons` persons whose regions are region[0..persons)
** (a claims pack's people section, sb_pack_regions) instead of a registry:
** the array must outlive the collector.  The most affected persons come
** out of sb_sim_finish with their index but no id; the caller names them
** with sb_sim_set_top_id.  NULL when out of memory. */
sb_sim *sb_sim_new_regions(int32_t persons, const int32_t *region, const sb_policy *policy,
                           int sides);

/* After sb_sim_finish: set the id of the i-th most affected person (the
** result's top[i], whose `person` says who it is); ids past 64 bytes are
** cut.  Out-of-range i is ignored. */
void sb_sim_set_top_id(sb_sim *s, int i, const char *id, size_t len);

/*
** Watch every yearly cap whose value differs between `base` and `reform`
** (a row present in both; both caps null is no difference): the result's
** caps[] then say, for a reform that changed nothing, whether anyone came
** near the cap.  Why only changed caps: each watched kind of amount costs
** 8 bytes a person (plus 1 for assistance and re-assistance), which at a
** province's tens of millions is worth spending only when it is asked
** about.  Call before any row is added.  Return 0 or SB_ENOMEM.
*/
int sb_sim_watch_caps(sb_sim *s, const sb_policy *base, const sb_policy *reform);

/* 1 when a two-sided result shows no difference at all: every sum of every
** scope, every decile and threshold count equal on both sides and nobody's
** burden changed; else 0 (always 0 for one side). */
int sb_sim_unchanged(const sb_sim_result *r);

/* Free a collector (NULL allowed). */
void sb_sim_free(sb_sim *s);

/* One settled (sign +1) or reversed (sign -1, the row's amounts as written,
** i.e. already negative) row of `side`, of registry person `person`. */
void sb_sim_add(sb_sim *s, int side, int32_t person, const sb_result *r, int reversed);

/* Re-assistance paid after the year (再救助) to `person` on `side` under the
** row of `category`: a fund payment that lowers the person's burden. */
void sb_sim_year_end(sb_sim *s, int side, int32_t person, int category, sb_fen amount);

/* One alert raised on `side` by a claim of `person` in `category`. */
void sb_sim_alert(sb_sim *s, int side, int32_t person, int category);

/*
** For threads: each settlement thread adds its rows to a tally of its own
** (zeroed by the caller) instead of the shared sums, and the tallies are
** merged once the threads are done.  The per-person part of a row (the
** person's burden) goes straight into the collector: threads that settle
** different persons never write the same person's slots.
*/
typedef struct sb_sim_tally {
  /* Claim rows by category, visit type and level: the sums of all, of a
  ** category, a visit type or a level are sums of these cells, made once
  ** by sb_sim_merge — so a row costs two additions of its sums (its cell,
  ** its prefecture) instead of five, which showed at a province's scale. */
  sb_sim_sums cell[SB_CAT_COUNT][SB_VISIT_COUNT][SB_LEVEL_COUNT][2];
  /* What belongs to no visit (alerts, re-assistance after the year): [0]
  ** of no known category, [c + 1] of category c. */
  sb_sim_sums extra[SB_CAT_COUNT + 1][2];
  sb_sim_sums by_pref[SB_SIM_MAX_PREF][2];
} sb_sim_tally;

/* sb_sim_add and sb_sim_alert with the sums going to tally `t`. */
void sb_sim_add_to(sb_sim *s, sb_sim_tally *t, int side, int32_t person, const sb_result *r,
                   int reversed);
void sb_sim_alert_to(sb_sim *s, sb_sim_tally *t, int side, int32_t person, int category);

/*
** sb_sim_add_to in two parts, for a reader that has a person's rows
** together (the pack): per row, sb_sim_row_to adds the row to its cell's
** sums and the watched caps, and to `u`, the caller's running sums of
** the person on that side; once per person and side, sb_sim_person_to
** adds those sums to the person's prefecture and burden and marks the
** person as having claims.  The totals are sb_sim_add_to's exactly
** (integer sums in another order); what differs is the category kept for
** the person, which the caller sets (sb_sim_set_category).  Why: a
** Hunan-scale run adds 295 million rows a side, 2.2 a person, and the
** prefecture and burden additions were half of sb_sim_add_to's time.
*/
void sb_sim_row_to(sb_sim *s, sb_sim_tally *t, int side, int32_t person, const sb_result *r,
                   int reversed, sb_sim_sums *u);
void sb_sim_person_to(sb_sim *s, sb_sim_tally *t, int side, int32_t person,
                      const sb_sim_sums *sums);

/*
** The reform's side of a tally by difference (sb_pack_simulate).  Most
** claims of a reform that changes one cap settle alike on both sides, and
** adding each row twice — to its cell and to the person's sums, once per
** side — was a sixth of a province's run.  So a reader may keep side 1 of
** its tally as REFORM MINUS BASELINE: it adds the baseline's rows, alerts
** and payments to side 0 as usual (sb_sim_row_to, sb_sim_alert_to,
** sb_sim_year_end_to, sb_sim_person_to with side 0) and, for side 1, only
** what differs, through the _delta_ functions below; sb_sim_tally_undelta
** then adds side 0 to side 1 once, before sb_sim_merge.  Integer sums: the
** totals are those of adding both sides row by row, exactly.  Never mix
** the two ways on one tally's side 1.  The per-person burdens are not
** kept by difference: sb_sim_person_delta_to writes the reform's own.
*/

/* 1 when adding `a` or `b` to the sums adds the same: equal cells and
** equal summed amounts (sb_sim_row_to).  Branch-free. */
static inline int sb_sim_row_same(const sb_result *a, const sb_result *b) {
  return ((a->medfee_sumamt ^ b->medfee_sumamt) | (a->inscp_scp_amt ^ b->inscp_scp_amt) |
          (a->hifp_pay ^ b->hifp_pay) | (a->hifmi_pay ^ b->hifmi_pay) | (a->maf_pay ^ b->maf_pay) |
          (a->reassist_pay ^ b->reassist_pay) | (a->fund_pay_sumamt ^ b->fund_pay_sumamt) |
          (a->psn_part_amt ^ b->psn_part_amt) | (a->category ^ b->category) |
          (a->visit ^ b->visit) | (a->level ^ b->level)) == 0;
}

/* Side 1 by difference: the reform's row `r1` where the baseline had `r0`
** (both settled, or both reversal rows: `reversed`), into their cells and
** into `u`, the caller's running difference of the person's sums. */
void sb_sim_row_delta_to(sb_sim_tally *t, const sb_result *r1, const sb_result *r0, int reversed,
                         sb_sim_sums *u);

/* Side 1 by difference: `n` more alerts (negative: fewer) on the reform's
** side than on the baseline's, of a claim of `person` in `category`. */
void sb_sim_alert_delta_to(sb_sim *s, sb_sim_tally *t, int32_t person, int category, int64_t n);

/* Side 1 by difference: the reform paid `pay1` after the year under the row
** of `cat1` where the baseline paid `pay0` under `cat0` (0: nothing paid). */
void sb_sim_year_end_delta_to(sb_sim *s, sb_sim_tally *t, int32_t person, int cat1, sb_fen pay1,
                              int cat0, sb_fen pay0);

/* Side 1 by difference, once per person after sb_sim_person_to of side 0
** with `base`: `delta` is the difference of the person's sums (zero when
** `differs` is 0); the person's reform burden becomes base + delta. */
void sb_sim_person_delta_to(sb_sim *s, sb_sim_tally *t, int32_t person, const sb_sim_sums *base,
                            const sb_sim_sums *delta, int differs);

/* Make side 1 of a tally kept by difference the reform's own: add side 0
** to it (every cell, extra and prefecture sum).  Once, before merging. */
void sb_sim_tally_undelta(sb_sim_tally *t);

/* sb_sim_year_end with the sums going to tally `t`. */
void sb_sim_year_end_to(sb_sim *s, sb_sim_tally *t, int side, int32_t person, int category,
                        sb_fen amount);

/* Add a thread's tally to the collector's sums. */
void sb_sim_merge(sb_sim *s, const sb_sim_tally *t);

/* Set the category shown for a person (sb_sim_add keeps the one of the last
** settled row added on side 0; a caller adding rows in another order than
** the input's says which row was last in the input). */
void sb_sim_set_category(sb_sim *s, int32_t person, int category);

/* Derive the distribution measures; the result stays valid until free.
** NULL when out of memory. */
const sb_sim_result *sb_sim_finish(sb_sim *s);

/*
** Scale a finished result from a sample to the population it stands for:
** every sum (money, claims, alerts) and every count of persons (registry
** persons, persons with claims, above a threshold, in a burden band,
** gainers, losers) is multiplied by num / den, each rounded half away from
** zero on its own (so sums of scaled parts may differ from the scaled
** total by a few fen: the page says so).  Percentiles and the most
** affected persons are per person and stay as they are.  num and den
** must be positive; call at most once.  Return 0, or SB_ERANGE when a
** figure would leave int64 (nothing is changed then).
*/
int sb_sim_scale(sb_sim *s, int64_t num, int64_t den);

/*
** The values of the 0-based ranks `ranks[0..k)` (ascending; duplicates
** allowed; each < n) among v[0..n), as a full ascending sort of v would
** place them: out[i] = sorted(v)[ranks[i]].  v may be reordered.  From
** 65,536 values on, the ranks are first placed in buckets by a histogram
** of the values and only the buckets they fall in are selected from (a
** copy of them, at most half of v, and 0.6 MB of counts); smaller inputs,
** inputs piled into a few buckets and a failed allocation take a
** quickselect over all the ranks at once: expected O(n log k), worst case
** O(n log n).  This is how sb_sim_finish finds the deciles.
*/
void sb_sim_select_ranks(sb_fen *v, int64_t n, const int64_t *ranks, int k, sb_fen *out);

/*
** sb_sim_select_ranks over the values v[i] whose keep[i] is non-zero (i in
** [0, n)), left where they are: out[i] = sorted(kept values)[ranks[i]],
** the ranks ascending and each below the count of kept values (nothing is
** written when none is kept).  v is not changed.  The buckets' passes
** read v and keep in place; only when the selection falls back to the
** quickselect (fewer than 65,536 kept values, values piled into a few
** buckets, k over 64) are the kept values copied out, which may fail:
** SB_ENOMEM, else SB_OK.  Why: sb_sim_finish selects among the burdens of
** the persons with claims, who lie scattered through the per-person
** array, and a copy of them was 420 MB a side at a province's scale.
*/
int sb_sim_select_ranks_kept(const sb_fen *v, const uint8_t *keep, int64_t n, const int64_t *ranks,
                             int k, sb_fen *out);

/* The scale factor as text: "335", "0.5", "1/3" (a den not a power of 10). */
void sb_sim_scale_text(const sb_sim_result *r, char *buf, size_t cap);

/* Whether a split's row (a visit type's, a level's) is shown: it has
** claims or cost on either side. */
int sb_sim_split_shown(const sb_sim_result *r, const sb_sim_sums u[2]);

/* The CSV scope of burden band b: "burden:FROM-TO" in yuan (TO excluded),
** the last "burden:FROM-". */
void sb_sim_band_scope(int b, char *buf, size_t cap);

/* The summary CSV of `sanbao simulate --csv`:
**   measure,scope,baseline,reform,difference
** measures medfee_sumamt, inscp_scp_amt, hifp_pay, hifmi_pay, maf_pay,
** reassist_pay (re-assistance, at settlement and after the year),
** fund_pay_sumamt, psn_part_amt (yuan, two decimals), claims, alerts
** (counts); scopes all, category:<id>, prefecture:<code>, and unless
** visits_unknown visit:<visit_type> and level:<level> (those shown:
** sb_sim_split_shown; no alerts line: alerts are not split so); then persons-level rows of scope
*all:
** persons_with_claims, psn_decile_<k> (k = 1..9), psn_permille_<q> (q of
** SB_SIM_TOP_PERMILLE); measure persons of scope burden:<from>-<to> (the
** bands, sb_sim_band_scope); measure persons of scope above:<rule> (people
** whose burden reached the rule's threshold); gainers, losers, gained, lost
** (baseline 0, reform and difference the figure); and when scaled
** (sb_sim_scale) a first line "scale,all,F,F," with the factor F.  With one
** side, reform and difference are empty.
** `sanbao simulate` then appends the reform's own lines
** (sb_reform_changes_csv, whatif/merge_patch.h). */
int sb_sim_csv(const sb_sim_result *r, sb_buf *out);

#endif
