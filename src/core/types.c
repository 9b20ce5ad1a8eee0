/*
** sanbao core — names of the domain's vocabularies (see sanbao/types.h).
*/
#include "sanbao/types.h"

#include <string.h>

static const char *const CATEGORY[SB_CAT_COUNT] = {"general",  "destitute",   "min_living",
                                                   "relapsed", "monitored",   "near_poor",
                                                   "lifted",   "illness_poor"};
static const char *const CATEGORY_ZH[SB_CAT_COUNT] = {
    "普通参保居民",   "特困人员",         "低保对象", "返贫致贫人口",
    "防返贫监测对象", "低保边缘家庭成员", "脱贫人口", "因病致贫重病患者"};
static const char *const VISIT[SB_VISIT_COUNT] = {"inpatient", "chronic", "outpatient"};
static const char *const VISIT_ZH[SB_VISIT_COUNT] = {"住院", "门诊慢特病", "普通门诊统筹"};
static const char *const LEVEL[SB_LEVEL_COUNT] = {"primary", "grade1", "grade2", "grade3",
                                                  "provincial"};
static const char *const LEVEL_ZH[SB_LEVEL_COUNT] = {"基层医疗机构", "一级医院", "二级医院",
                                                     "三级医院", "省部属医院"};

static int lookup(const char *const *names, int count, const char *s, size_t n) {
  for (int i = 0; i < count; i++)
    if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0) return i;
  return -1;
}

int sb_category_from_name(const char *s, size_t n) {
  return lookup(CATEGORY, SB_CAT_COUNT, s, n);
}
int sb_visit_from_name(const char *s, size_t n) {
  return lookup(VISIT, SB_VISIT_COUNT, s, n);
}
int sb_level_from_name(const char *s, size_t n) {
  return lookup(LEVEL, SB_LEVEL_COUNT, s, n);
}

#define NAME_OF(table, count, i) ((i) >= 0 && (i) < (count) ? table[i] : "?")
const char *sb_category_name(int c) {
  return NAME_OF(CATEGORY, SB_CAT_COUNT, c);
}
const char *sb_visit_name(int v) {
  return NAME_OF(VISIT, SB_VISIT_COUNT, v);
}
const char *sb_level_name(int l) {
  return NAME_OF(LEVEL, SB_LEVEL_COUNT, l);
}
const char *sb_category_zh(int c) {
  return NAME_OF(CATEGORY_ZH, SB_CAT_COUNT, c);
}
const char *sb_visit_zh(int v) {
  return NAME_OF(VISIT_ZH, SB_VISIT_COUNT, v);
}
const char *sb_level_zh(int l) {
  return NAME_OF(LEVEL_ZH, SB_LEVEL_COUNT, l);
}
