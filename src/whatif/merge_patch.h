/*
** sanbao adapters — JSON Merge Patch (RFC 7386) for policy reforms.
**
** A reform is written as the few keys it changes:
**   {"critical_illness": {"annual_cap": "300000"}}
** Objects merge key by key, `null` deletes a key, anything else replaces.
** The patched policy is then validated like any policy file, so a typo in
** a reform is an error naming its JSON path.
*/
#ifndef SANBAO_MERGE_PATCH_H
#define SANBAO_MERGE_PATCH_H

#include <stdint.h>

#include "io/buf.h"
#include "sanbao/error.h"
#include "sanbao/policy.h"

/*
** Load the baseline policy file and the patch file, apply the patch to a
** copy of the baseline and validate both.  On success *base and *reform are
** new policies (free with sb_policy_free).  Errors name the file: a JSON
** syntax error FILE:LINE:COL, a validation error "PATCH (applied to BASE):
** $.path".
*/
int sb_policy_load_reform(const char *base_path, const char *patch_path, sb_policy **base,
                          sb_policy **reform, sb_error *err);

/* Apply `patch` to `target` in place (both json_t *, declared void here so
** that users of this header need not include jansson); returns the result,
** which may be a new value when the patch is not an object (the caller owns
** one reference to it; `target` is consumed). */
void *sb_merge_patch(void *target, void *patch);

/*
** What a reform changes, parameter by parameter: the two parsed policies
** compared field by field, so that a value written another way ("300000"
** and "300000.00"), a moved key or an edited `source`/`note` is no change,
** and amounts print exactly as the settlement reads them.
*/
#define SB_CHANGE_PATH 96  /* "$.reassistance.categories.illness_poor.annual_cap" */
#define SB_CHANGE_TEXT 160 /* the longest value: a list of every category */

enum {
  SB_CHANGE_OTHER = 0, /* a list, a flag, a name, a null cap or an absent row */
  SB_CHANGE_AMOUNT,    /* both values are amounts: `diff` is fen */
  SB_CHANGE_RATIO      /* both values are ratios: `diff` is basis points */
};

typedef struct sb_reform_change {
  char path[SB_CHANGE_PATH]; /* the JSON path in the policy file, e.g. "$.basic.annual_cap" */
  /* Each side as the policy file would write it: amounts "400000.00"
  ** (sb_money_format), ratios "0.65" (at least two decimals), a null cap
  ** "null", lists "[inpatient, chronic]", flags true/false, and "absent"
  ** where that side has no such row (a region, category or segment). */
  char old_text[SB_CHANGE_TEXT], new_text[SB_CHANGE_TEXT];
  int kind;     /* SB_CHANGE_* */
  int64_t diff; /* new - old (fen or basis points) when kind is not SB_CHANGE_OTHER */
  /* The baseline's `source`/`note` nearest to the parameter: the ones of
  ** the innermost object around it that has either (its `path` says
  ** which), never the whole file's.  NULL when none; owned by the baseline
  ** policy, valid while it lives. */
  const sb_policy_note *note;
} sb_reform_change;

typedef struct sb_reform_changes {
  int n, cap;
  sb_reform_change *items; /* in the policy file's order of sections */
} sb_reform_changes;

/* Compare `base` and `reform` into `out` (zeroed by the caller; free with
** sb_reform_changes_free).  Return 0 or SB_ENOMEM. */
int sb_policy_diff(const sb_policy *base, const sb_policy *reform, sb_reform_changes *out);

void sb_reform_changes_free(sb_reform_changes *c);

/* The changes as lines of simulate's summary CSV (measure,scope,baseline,
** reform,difference):
**   parameters_changed,all,0,N,N                      always, first
**   reform_change,PATH,OLD,NEW,DIFFERENCE             one per change
** DIFFERENCE is new - old for two amounts ("-100000.00") or two ratios
** ("0.05"), empty otherwise.  Return 0, or -1 when out of memory. */
int sb_reform_changes_csv(const sb_reform_changes *c, sb_buf *out);

/* A ratio's difference in basis points as text, at least two decimals:
** "0.05", "-0.125", "0.00". */
void sb_ratio_diff_format(int64_t bp, char *buf, size_t cap);

#endif
