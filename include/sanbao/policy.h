/*
** sanbao — the policy model: one year's parameters of the three tiers.
**
** A policy is parsed once (see policy_json.h) into this compact, immutable
** struct: amounts in fen, ratios in basis points, per-level and per-category
** tables as arrays indexed by the enums of types.h, category sets as bit
** masks.  Any number of threads may read one policy at once.  The core never
** allocates a policy; the loader does, and sb_policy_free() releases it.
*/
#ifndef SANBAO_POLICY_H
#define SANBAO_POLICY_H

#include <stdint.h>

#include "sanbao/money.h"
#include "sanbao/types.h"

#define SB_MAX_SEGMENTS 16
#define SB_MAX_RULES 32 /* one bit each in sb_acc.alerted */

/* A category set: bit (1u << sb_category). */
typedef uint32_t sb_catmask;
/* A visit-type set: bit (1u << sb_visit). */
typedef uint32_t sb_visitmask;

/* One row of regions: a 6-digit county or prefecture code, or default. */
typedef struct sb_region {
  int32_t code;         /* 430225, 430500; -1 for "default" */
  sb_fen ci_deductible; /* 大病保险起付线 */
} sb_region;

typedef struct sb_inpatient_level {
  sb_fen deductible; /* 起付线 */
  sb_bp ratio;       /* 报销比例 */
} sb_inpatient_level;

typedef struct sb_ci_segment {
  sb_fen upto; /* inclusive upper bound of x; SB_NO_CAP for the open last one */
  sb_bp ratio;
} sb_ci_segment;

typedef struct sb_assist_row {
  sb_fen deductible;
  sb_bp ratio;
  sb_fen annual_cap; /* SB_NO_CAP when null */
} sb_assist_row;

/* One category's row of re-assistance (再救助 / 倾斜救助, settlement §10). */
typedef struct sb_reassist_row {
  sb_fen threshold; /* the base above which it pays */
  sb_bp ratio;
  sb_fen annual_cap; /* SB_NO_CAP when null */
} sb_reassist_row;

/* When re-assistance is paid (the policy's reassistance.timing). */
enum {
  SB_RA_NONE = 0,    /* the policy has no re-assistance */
  SB_RA_CLAIM = 1,   /* a fourth step at each settlement (倾斜救助) */
  SB_RA_YEAR_END = 2 /* after the year closes (再救助) */
};

typedef struct sb_monitor_rule {
  char *name;
  sb_catmask categories; /* every category when the file's list is empty */
  sb_fen threshold;
} sb_monitor_rule;

/* A `source`/`note` pair found in the file, kept for reports, with the keys
** of that object whose values the policy flags as assumptions (ASSUMED), not
** official figures: those a note beginning "ASSUMED(key,key):" names
** (docs/reference/formats.md §7, "Assumed values").  Explanations mark every
** value they use that is listed there. */
typedef struct sb_policy_note {
  char *path;     /* JSON path of the object that carried it, e.g. "$.regions.430500" */
  char *source;   /* may be NULL */
  char *note;     /* may be NULL */
  int n_assumed;  /* keys the note marks ASSUMED */
  char **assumed; /* may be NULL when n_assumed is 0 */
} sb_policy_note;

typedef struct sb_policy {
  int year;
  char *name; /* may be NULL */

  int n_regions;
  sb_region *regions;

  /* 基本医保 */
  sb_fen basic_annual_cap; /* inpatient + chronic; SB_NO_CAP when null */
  sb_inpatient_level inpatient[SB_LEVEL_COUNT];
  sb_bp repeat_deductible_factor;
  sb_fen annual_deductible_cap; /* SB_NO_CAP when null */
  sb_bp chronic_ratio;
  sb_fen chronic_annual_cap;
  sb_bp outpatient_ratio[SB_LEVEL_COUNT]; /* 0 where the level has no row */
  uint32_t outpatient_levels;             /* bit per level that has a row */
  sb_fen outpatient_annual_cap;

  /* 大病保险 */
  sb_visitmask ci_visits;
  int n_segments;
  sb_ci_segment segments[SB_MAX_SEGMENTS];
  sb_fen ci_annual_cap;
  sb_catmask tilted;              /* 倾斜 */
  sb_bp tilted_deductible_factor; /* 起付线降低 */
  sb_bp tilted_ratio_bonus;       /* 各段提高 */
  int tilted_uncapped;            /* 取消封顶线 */

  /* 医疗救助 */
  sb_visitmask ma_visits;
  sb_catmask ma_categories; /* categories that have a row */
  sb_assist_row assistance[SB_CAT_COUNT];

  /* 再救助 / 倾斜救助 (optional: ra_timing SB_RA_NONE without it) */
  int ra_timing;
  sb_visitmask ra_visits;
  sb_catmask ra_categories; /* categories that have a row */
  sb_reassist_row reassist[SB_CAT_COUNT];

  /* 参保资助 */
  sb_fen premium_individual;
  sb_catmask subsidised;
  sb_bp subsidy[SB_CAT_COUNT]; /* 0 where the category has no entry */

  /* 因病返贫致贫风险监测 */
  int n_rules;
  sb_monitor_rule rules[SB_MAX_RULES];

  int n_notes;
  sb_policy_note *notes;
} sb_policy;

/* Release a policy and everything it owns.  NULL is allowed. */
void sb_policy_free(sb_policy *p);

/*
** The critical-illness deductible T of docs/reference/settlement.md §7 for a person's county
** code: the county's row, else its prefecture's (first four digits + "00"),
** else `default`.  Store it in *out and return 0, or return -1 when no row
** applies (the claim is then UNKNOWN_REGION).
*/
int sb_policy_ci_deductible(const sb_policy *p, int32_t region, sb_fen *out);

/*
** A memo of sb_policy_ci_deductible for one policy, for a caller that asks
** for the counties of millions of persons one after the other (simulate:
** a province's registry interleaves counties household by household, so
** the county changes every third person or so, and a one-entry cache
** missed too often).  Direct-mapped by county code; a miss asks the policy
** and keeps the answer in place of whatever the slot held.  Zero it (a
** zeroed memo is empty) before the first use with a policy, and use it
** with that policy only.
*/
#define SB_CI_MEMO 256
typedef struct sb_ci_memo {
  int32_t region[SB_CI_MEMO];
  int8_t state[SB_CI_MEMO]; /* 0 empty, 1 found (T in T[]), 2 no row applies */
  sb_fen T[SB_CI_MEMO];
} sb_ci_memo;

/* sb_policy_ci_deductible(p, region, out) through memo m: the same result
** and *out. */
int sb_policy_ci_deductible_memo(const sb_policy *p, sb_ci_memo *m, int32_t region, sb_fen *out);

/*
** Is the value at `path` + "." + `key` flagged ASSUMED by the policy file
** (named by the "ASSUMED(...):" head of the note of the object at `path`,
** e.g. path "$.basic.chronic", key "annual_cap")?  1 or 0.  Only the
** object's own note counts: a note on a parent object flags nothing below
** it.
*/
int sb_policy_assumed(const sb_policy *p, const char *path, const char *key);

/*
** The policies of several years, each looked up by a claim's calendar year.
** The set owns its policies; sb_policy_set_clear() frees them.
*/
#define SB_MAX_POLICIES 64
typedef struct sb_policy_set {
  int n;
  sb_policy *items[SB_MAX_POLICIES];
} sb_policy_set;

/* Add `p` (taken over by the set).  Return 0, or SB_EINVAL when the set
** already holds that year or is full; `p` is then left to the caller. */
int sb_policy_set_add(sb_policy_set *s, sb_policy *p);

/* Free every policy of the set and empty it. */
void sb_policy_set_clear(sb_policy_set *s);

/* The policy of `year`, or NULL (the claim is then NO_POLICY). */
const sb_policy *sb_policy_set_find(const sb_policy_set *s, int year);

#endif
