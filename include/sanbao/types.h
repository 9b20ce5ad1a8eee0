/*
** sanbao — the domain's small vocabularies: categories, visit types, levels.
**
** Each vocabulary is a dense enum so that the policy can hold per-value
** tables as plain arrays and category sets as bit masks (one bit per
** category).  The text names are the ones of docs/reference/settlement.md §2–§3 and are the
** only spelling accepted in files.
*/
#ifndef SANBAO_TYPES_H
#define SANBAO_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* Person categories (docs/reference/settlement.md §2).  Order is fixed: it is also the
** bit position in every category mask. */
typedef enum sb_category {
  SB_CAT_GENERAL = 0,  /* 普通参保居民 */
  SB_CAT_DESTITUTE,    /* 特困人员 */
  SB_CAT_MIN_LIVING,   /* 低保对象 */
  SB_CAT_RELAPSED,     /* 返贫致贫人口 */
  SB_CAT_MONITORED,    /* 防返贫监测对象 */
  SB_CAT_NEAR_POOR,    /* 低保边缘家庭成员 */
  SB_CAT_LIFTED,       /* 脱贫人口 */
  SB_CAT_ILLNESS_POOR, /* 因病致贫重病患者 */
  SB_CAT_COUNT
} sb_category;

/* Visit types (docs/reference/settlement.md §3). */
typedef enum sb_visit {
  SB_VISIT_INPATIENT = 0, /* 住院 */
  SB_VISIT_CHRONIC,       /* 门诊慢特病 */
  SB_VISIT_OUTPATIENT,    /* 普通门诊统筹 */
  SB_VISIT_COUNT
} sb_visit;

/* Institution levels (docs/reference/settlement.md §3). */
typedef enum sb_level {
  SB_LEVEL_PRIMARY = 0, /* 基层 */
  SB_LEVEL_GRADE1,      /* 一级或不设等级 */
  SB_LEVEL_GRADE2,      /* 二级 */
  SB_LEVEL_GRADE3,      /* 三级 */
  SB_LEVEL_PROVINCIAL,  /* 省部属 */
  SB_LEVEL_COUNT
} sb_level;

/*
** Look a name up in one vocabulary.  `s` need not be NUL-terminated; `n` is
** its length.  Return the enum value, or -1 when the name is not one of the
** vocabulary's (comparison is exact and case-sensitive).
*/
int sb_category_from_name(const char *s, size_t n);
int sb_visit_from_name(const char *s, size_t n);
int sb_level_from_name(const char *s, size_t n);

/* The spelling of a value, as in files; "?" for an out-of-range value. */
const char *sb_category_name(int c);
const char *sb_visit_name(int v);
const char *sb_level_name(int l);

/* The Chinese term of a value, for explanations and reports. */
const char *sb_category_zh(int c);
const char *sb_visit_zh(int v);
const char *sb_level_zh(int l);

#endif
