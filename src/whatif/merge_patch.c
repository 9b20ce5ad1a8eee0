/*
** sanbao adapters — JSON Merge Patch, RFC 7386 (see merge_patch.h).
**
** The RFC's algorithm, nearly word for word:
**   if Patch is an Object:
**     if Target is not an Object: Target = {}
**     for each Name/Value in Patch:
**       if Value is null: remove Name from Target
**       else: Target[Name] = MergePatch(Target[Name], Value)
**     return Target
**   else: return Patch
*/
#include "whatif/merge_patch.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "io/policy_json.h"
#include "sanbao/types.h"

void *sb_merge_patch(void *target_v, void *patch_v) {
  json_t *target = target_v, *patch = patch_v;
  if (!json_is_object(patch)) {
    json_decref(target);
    return json_deep_copy(patch);
  }
  if (!json_is_object(target)) {
    json_decref(target);
    target = json_object();
    if (!target) return NULL;
  }
  const char *name;
  json_t *value;
  json_object_foreach(patch, name, value) {
    if (json_is_null(value)) {
      json_object_del(target, name);
      continue;
    }
    json_t *cur = json_object_get(target, name);
    json_t *merged = sb_merge_patch(cur ? json_incref(cur) : NULL, value);
    if (!merged || json_object_set_new(target, name, merged)) {
      json_decref(target);
      return NULL;
    }
  }
  return target;
}

static json_t *load(const char *path, sb_error *err) {
  void *j = NULL;
  return sb_json_read_file(path, &j, err) ? NULL : j;
}

int sb_policy_load_reform(const char *base_path, const char *patch_path, sb_policy **base,
                          sb_policy **reform, sb_error *err) {
  json_t *b = load(base_path, err);
  if (!b) return err ? err->code : SB_EINVAL;
  json_t *p = load(patch_path, err);
  if (!p) {
    json_decref(b);
    return err ? err->code : SB_EINVAL;
  }
  int rc = SB_OK;
  if (!json_is_object(p)) {
    rc = sb_error_set(err, SB_EINVAL, patch_path,
                      "a reform is a JSON object of the keys it changes (RFC 7386)");
  } else if (!(rc = sb_policy_from_json(b, base_path, base, err))) {
    json_t *r = sb_merge_patch(json_deep_copy(b), p);
    char name[1200];
    snprintf(name, sizeof name, "%s (applied to %s)", patch_path, base_path);
    if (!r)
      rc = sb_error_set(err, SB_ENOMEM, patch_path, "out of memory");
    else
      rc = sb_policy_from_json(r, name, reform, err);
    json_decref(r);
    if (rc) sb_policy_free(*base);
  }
  json_decref(b);
  json_decref(p);
  return rc;
}

/* ---- what a reform changes ------------------------------------------------ */

/* A ratio with at least two decimals and at most four, as policy files
** write them ("0.60", "0.605", "1.00"); signed for a difference. */
static void ratio_text(int64_t bp, char *buf, size_t cap) {
  uint64_t a = bp < 0 ? (uint64_t)0 - (uint64_t)bp : (uint64_t)bp;
  unsigned frac = (unsigned)(a % 10000);
  int places = frac % 100 ? (frac % 10 ? 4 : 3) : 2;
  unsigned shown = places == 2 ? frac / 100 : places == 3 ? frac / 10 : frac;
  snprintf(buf, cap, "%s%llu.%0*u", bp < 0 ? "-" : "", (unsigned long long)(a / 10000), places,
           shown);
}

void sb_ratio_diff_format(int64_t bp, char *buf, size_t cap) {
  ratio_text(bp, buf, cap);
}

static void amount_text(sb_fen v, char *buf, size_t cap) {
  if (v == SB_NO_CAP) {
    snprintf(buf, cap, "null");
    return;
  }
  char t[SB_MONEY_BUFSZ];
  sb_money_format(v, t);
  snprintf(buf, cap, "%s", t);
}

/* A name list from a bit mask: "[inpatient, chronic]". */
static void names_text(uint32_t mask, int count, const char *(*name)(int), char *buf, size_t cap) {
  size_t o = 0;
  buf[o++] = '[';
  for (int k = 0; k < count; k++) {
    if (!((mask >> k) & 1)) continue;
    int n = snprintf(buf + o, cap - o, "%s%s", o > 1 ? ", " : "", name(k));
    if (n < 0 || (size_t)n >= cap - o - 1) break;
    o += (size_t)n;
  }
  buf[o++] = ']';
  buf[o] = 0;
}

typedef struct differ {
  const sb_policy *base;
  sb_reform_changes *out;
  int err;
} differ;

/* Is `obj` the path of an object enclosing `path` (or the path itself)? */
static int encloses(const char *obj, const char *path) {
  size_t n = strlen(obj);
  return !strncmp(obj, path, n) && (path[n] == 0 || path[n] == '.' || path[n] == '[');
}

/* The baseline's note of the innermost object around `path`; the file's own
** ("$") says nothing about one parameter and is left out. */
static const sb_policy_note *note_for(const sb_policy *p, const char *path) {
  const sb_policy_note *best = NULL;
  for (int i = 0; i < p->n_notes; i++) {
    const sb_policy_note *n = &p->notes[i];
    if (!strcmp(n->path, "$") || !encloses(n->path, path)) continue;
    if (!best || strlen(n->path) > strlen(best->path)) best = n;
  }
  return best;
}

static sb_reform_change *add(differ *d, const char *path) {
  sb_reform_changes *c = d->out;
  if (d->err) return NULL;
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 16;
    sb_reform_change *m = realloc(c->items, (size_t)cap * sizeof *m);
    if (!m) {
      d->err = 1;
      return NULL;
    }
    c->items = m;
    c->cap = cap;
  }
  sb_reform_change *x = &c->items[c->n++];
  memset(x, 0, sizeof *x);
  snprintf(x->path, sizeof x->path, "%s", path);
  x->note = note_for(d->base, x->path);
  return x;
}

/* Each compare_* records one parameter when its two sides differ;
** `have` says whether each side has it at all (an optional row). */
static void compare_amount(differ *d, const char *path, const int have[2], sb_fen a, sb_fen b) {
  if (have[0] == have[1] && (!have[0] || a == b)) return;
  sb_reform_change *x = add(d, path);
  if (!x) return;
  if (have[0])
    amount_text(a, x->old_text, sizeof x->old_text);
  else
    snprintf(x->old_text, sizeof x->old_text, "absent");
  if (have[1])
    amount_text(b, x->new_text, sizeof x->new_text);
  else
    snprintf(x->new_text, sizeof x->new_text, "absent");
  if (have[0] && have[1] && a != SB_NO_CAP && b != SB_NO_CAP) {
    x->kind = SB_CHANGE_AMOUNT;
    x->diff = b - a;
  }
}

static void compare_ratio(differ *d, const char *path, const int have[2], sb_bp a, sb_bp b) {
  if (have[0] == have[1] && (!have[0] || a == b)) return;
  sb_reform_change *x = add(d, path);
  if (!x) return;
  if (have[0])
    ratio_text(a, x->old_text, sizeof x->old_text);
  else
    snprintf(x->old_text, sizeof x->old_text, "absent");
  if (have[1])
    ratio_text(b, x->new_text, sizeof x->new_text);
  else
    snprintf(x->new_text, sizeof x->new_text, "absent");
  if (have[0] && have[1]) {
    x->kind = SB_CHANGE_RATIO;
    x->diff = (int64_t)b - a;
  }
}

/* Lists of names, flags and names of rules: texts compared as texts. */
static void compare_text(differ *d, const char *path, const int have[2], const char *a,
                         const char *b) {
  if (have[0] == have[1] && (!have[0] || !strcmp(a, b))) return;
  sb_reform_change *x = add(d, path);
  if (!x) return;
  snprintf(x->old_text, sizeof x->old_text, "%s", have[0] ? a : "absent");
  snprintf(x->new_text, sizeof x->new_text, "%s", have[1] ? b : "absent");
}

static void compare_mask(differ *d, const char *path, const int have[2], uint32_t a, uint32_t b,
                         int count, const char *(*name)(int)) {
  char ta[SB_CHANGE_TEXT], tb[SB_CHANGE_TEXT];
  names_text(a, count, name, ta, sizeof ta);
  names_text(b, count, name, tb, sizeof tb);
  compare_text(d, path, have, ta, tb);
}

static const int BOTH[2] = {1, 1};

static int cmp_code(const void *x, const void *y) {
  int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
  return (a > b) - (a < b);
}

static const sb_region *region_row(const sb_policy *p, int32_t code) {
  for (int i = 0; i < p->n_regions; i++)
    if (p->regions[i].code == code) return &p->regions[i];
  return NULL;
}

/* Rows of `regions`: `default` first, then the codes in ascending order,
** every code of either side once. */
static void diff_regions(differ *d, const sb_policy *a, const sb_policy *b) {
  int n = a->n_regions + b->n_regions;
  int32_t *codes = malloc((size_t)(n ? n : 1) * sizeof *codes);
  if (!codes) {
    d->err = 1;
    return;
  }
  for (int i = 0; i < a->n_regions; i++)
    codes[i] = a->regions[i].code;
  for (int i = 0; i < b->n_regions; i++)
    codes[a->n_regions + i] = b->regions[i].code;
  qsort(codes, (size_t)n, sizeof *codes, cmp_code); /* default is -1: first */
  for (int i = 0; i < n; i++) {
    if (i > 0 && codes[i] == codes[i - 1]) continue;
    const sb_region *ra = region_row(a, codes[i]), *rb = region_row(b, codes[i]);
    char path[SB_CHANGE_PATH];
    if (codes[i] < 0)
      snprintf(path, sizeof path, "$.regions.default.ci_deductible");
    else
      snprintf(path, sizeof path, "$.regions.%06d.ci_deductible", (int)codes[i]);
    const int have[2] = {ra != NULL, rb != NULL};
    compare_amount(d, path, have, ra ? ra->ci_deductible : 0, rb ? rb->ci_deductible : 0);
  }
  free(codes);
}

static void diff_basic(differ *d, const sb_policy *a, const sb_policy *b) {
  char path[SB_CHANGE_PATH];
  compare_amount(d, "$.basic.annual_cap", BOTH, a->basic_annual_cap, b->basic_annual_cap);
  for (int l = 0; l < SB_LEVEL_COUNT; l++) {
    snprintf(path, sizeof path, "$.basic.inpatient.levels.%s.deductible", sb_level_name(l));
    compare_amount(d, path, BOTH, a->inpatient[l].deductible, b->inpatient[l].deductible);
    snprintf(path, sizeof path, "$.basic.inpatient.levels.%s.ratio", sb_level_name(l));
    compare_ratio(d, path, BOTH, a->inpatient[l].ratio, b->inpatient[l].ratio);
  }
  compare_ratio(d, "$.basic.inpatient.repeat_deductible_factor", BOTH, a->repeat_deductible_factor,
                b->repeat_deductible_factor);
  compare_amount(d, "$.basic.inpatient.annual_deductible_cap", BOTH, a->annual_deductible_cap,
                 b->annual_deductible_cap);
  compare_ratio(d, "$.basic.chronic.ratio", BOTH, a->chronic_ratio, b->chronic_ratio);
  compare_amount(d, "$.basic.chronic.annual_cap", BOTH, a->chronic_annual_cap,
                 b->chronic_annual_cap);
  for (int l = 0; l < SB_LEVEL_COUNT; l++) {
    const int have[2] = {(int)((a->outpatient_levels >> l) & 1),
                         (int)((b->outpatient_levels >> l) & 1)};
    snprintf(path, sizeof path, "$.basic.outpatient.levels.%s.ratio", sb_level_name(l));
    compare_ratio(d, path, have, a->outpatient_ratio[l], b->outpatient_ratio[l]);
  }
  compare_amount(d, "$.basic.outpatient.annual_cap", BOTH, a->outpatient_annual_cap,
                 b->outpatient_annual_cap);
}

static void diff_ci(differ *d, const sb_policy *a, const sb_policy *b) {
  char path[SB_CHANGE_PATH];
  compare_mask(d, "$.critical_illness.visit_types", BOTH, a->ci_visits, b->ci_visits,
               SB_VISIT_COUNT, sb_visit_name);
  int n = a->n_segments > b->n_segments ? a->n_segments : b->n_segments;
  for (int i = 0; i < n; i++) {
    const int have[2] = {i < a->n_segments, i < b->n_segments};
    snprintf(path, sizeof path, "$.critical_illness.segments[%d].upto", i);
    compare_amount(d, path, have, a->segments[i].upto, b->segments[i].upto);
    snprintf(path, sizeof path, "$.critical_illness.segments[%d].ratio", i);
    compare_ratio(d, path, have, a->segments[i].ratio, b->segments[i].ratio);
  }
  compare_amount(d, "$.critical_illness.annual_cap", BOTH, a->ci_annual_cap, b->ci_annual_cap);
  compare_mask(d, "$.critical_illness.tilted.categories", BOTH, a->tilted, b->tilted, SB_CAT_COUNT,
               sb_category_name);
  compare_ratio(d, "$.critical_illness.tilted.deductible_factor", BOTH, a->tilted_deductible_factor,
                b->tilted_deductible_factor);
  compare_ratio(d, "$.critical_illness.tilted.ratio_bonus", BOTH, a->tilted_ratio_bonus,
                b->tilted_ratio_bonus);
  compare_text(d, "$.critical_illness.tilted.uncapped", BOTH, a->tilted_uncapped ? "true" : "false",
               b->tilted_uncapped ? "true" : "false");
}

static void diff_assistance(differ *d, const sb_policy *a, const sb_policy *b) {
  char path[SB_CHANGE_PATH];
  compare_mask(d, "$.assistance.visit_types", BOTH, a->ma_visits, b->ma_visits, SB_VISIT_COUNT,
               sb_visit_name);
  for (int k = 0; k < SB_CAT_COUNT; k++) {
    const int have[2] = {(int)((a->ma_categories >> k) & 1), (int)((b->ma_categories >> k) & 1)};
    const sb_assist_row *x = &a->assistance[k], *y = &b->assistance[k];
    const char *c = sb_category_name(k);
    snprintf(path, sizeof path, "$.assistance.categories.%s.deductible", c);
    compare_amount(d, path, have, x->deductible, y->deductible);
    snprintf(path, sizeof path, "$.assistance.categories.%s.ratio", c);
    compare_ratio(d, path, have, x->ratio, y->ratio);
    snprintf(path, sizeof path, "$.assistance.categories.%s.annual_cap", c);
    compare_amount(d, path, have, x->annual_cap, y->annual_cap);
  }
}

static const char *timing_name(int t) {
  return t == SB_RA_CLAIM ? "claim" : "year_end";
}

static void diff_reassistance(differ *d, const sb_policy *a, const sb_policy *b) {
  char path[SB_CHANGE_PATH];
  const int on[2] = {a->ra_timing != SB_RA_NONE, b->ra_timing != SB_RA_NONE};
  compare_text(d, "$.reassistance.timing", on, timing_name(a->ra_timing),
               timing_name(b->ra_timing));
  compare_mask(d, "$.reassistance.visit_types", on, a->ra_visits, b->ra_visits, SB_VISIT_COUNT,
               sb_visit_name);
  for (int k = 0; k < SB_CAT_COUNT; k++) {
    const int have[2] = {on[0] && ((a->ra_categories >> k) & 1),
                         on[1] && ((b->ra_categories >> k) & 1)};
    const sb_reassist_row *x = &a->reassist[k], *y = &b->reassist[k];
    const char *c = sb_category_name(k);
    snprintf(path, sizeof path, "$.reassistance.categories.%s.threshold", c);
    compare_amount(d, path, have, x->threshold, y->threshold);
    snprintf(path, sizeof path, "$.reassistance.categories.%s.ratio", c);
    compare_ratio(d, path, have, x->ratio, y->ratio);
    snprintf(path, sizeof path, "$.reassistance.categories.%s.annual_cap", c);
    compare_amount(d, path, have, x->annual_cap, y->annual_cap);
  }
}

static void diff_premium(differ *d, const sb_policy *a, const sb_policy *b) {
  char path[SB_CHANGE_PATH];
  compare_amount(d, "$.premium.individual", BOTH, a->premium_individual, b->premium_individual);
  for (int k = 0; k < SB_CAT_COUNT; k++) {
    const int have[2] = {(int)((a->subsidised >> k) & 1), (int)((b->subsidised >> k) & 1)};
    snprintf(path, sizeof path, "$.premium.subsidy.%s", sb_category_name(k));
    compare_ratio(d, path, have, a->subsidy[k], b->subsidy[k]);
  }
}

/* Rules by position, as the file lists them (a rule is known by its place:
** the alerts and the CSV's above:<rule> follow the baseline's). */
static void diff_monitoring(differ *d, const sb_policy *a, const sb_policy *b) {
  char path[SB_CHANGE_PATH];
  int n = a->n_rules > b->n_rules ? a->n_rules : b->n_rules;
  for (int i = 0; i < n; i++) {
    const int have[2] = {i < a->n_rules, i < b->n_rules};
    const sb_monitor_rule *x = &a->rules[i], *y = &b->rules[i];
    snprintf(path, sizeof path, "$.monitoring.rules[%d].name", i);
    compare_text(d, path, have, have[0] ? x->name : "", have[1] ? y->name : "");
    snprintf(path, sizeof path, "$.monitoring.rules[%d].categories", i);
    compare_mask(d, path, have, have[0] ? x->categories : 0, have[1] ? y->categories : 0,
                 SB_CAT_COUNT, sb_category_name);
    snprintf(path, sizeof path, "$.monitoring.rules[%d].threshold", i);
    compare_amount(d, path, have, have[0] ? x->threshold : 0, have[1] ? y->threshold : 0);
  }
}

int sb_policy_diff(const sb_policy *base, const sb_policy *reform, sb_reform_changes *out) {
  differ d = {base, out, 0};
  diff_regions(&d, base, reform);
  diff_basic(&d, base, reform);
  diff_ci(&d, base, reform);
  diff_assistance(&d, base, reform);
  diff_reassistance(&d, base, reform);
  diff_premium(&d, base, reform);
  diff_monitoring(&d, base, reform);
  return d.err ? SB_ENOMEM : SB_OK;
}

void sb_reform_changes_free(sb_reform_changes *c) {
  if (!c) return;
  free(c->items);
  memset(c, 0, sizeof *c);
}

int sb_reform_changes_csv(const sb_reform_changes *c, sb_buf *o) {
  int err = sb_buf_printf(o, "parameters_changed,all,0,%d,%d\n", c->n, c->n);
  for (int i = 0; i < c->n; i++) {
    const sb_reform_change *x = &c->items[i];
    char diff[SB_CHANGE_TEXT] = "";
    if (x->kind == SB_CHANGE_AMOUNT)
      sb_money_format(x->diff, diff);
    else if (x->kind == SB_CHANGE_RATIO)
      ratio_text(x->diff, diff, sizeof diff);
    err |= sb_buf_put(o, "reform_change,", 14);
    err |= sb_csv_put_field(o, x->path, strlen(x->path));
    err |= sb_buf_put(o, ",", 1) | sb_csv_put_field(o, x->old_text, strlen(x->old_text));
    err |= sb_buf_put(o, ",", 1) | sb_csv_put_field(o, x->new_text, strlen(x->new_text));
    err |= sb_buf_put(o, ",", 1) | sb_csv_put_field(o, diff, strlen(diff));
    err |= sb_buf_put(o, "\n", 1);
  }
  return err ? -1 : 0;
}
