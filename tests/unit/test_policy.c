/*
** Unit tests: the policy file loader (src/io/policy_json.h,
** docs/reference/formats.md §7) and the policy lookups of src/core/policy.c.
**
** Each validation test starts from BASE, a valid policy, breaks one thing
** in it, and checks that the load fails naming the file and the exact JSON
** path of the fault.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/policy_json.h"
#include "sanbao/policy.h"

#define FILE_NAME "bad-policy.json"

static const char BASE[] =
    "{\n"
    "  \"schema\": \"sanbao-policy/1\",\n"
    "  \"name\": \"unit-test policy\",\n"
    "  \"year\": 2022,\n"
    "  \"source\": \"test document\",\n"
    "  \"note\": \"top-level note\",\n"
    "  \"regions\": {\n"
    "    \"default\": { \"ci_deductible\": \"15000\" },\n"
    "    \"430500\": { \"ci_deductible\": \"11000\", \"source\": \"shaoyang\" },\n"
    "    \"430225\": { \"ci_deductible\": \"9000.50\" }\n"
    "  },\n"
    "  \"basic\": {\n"
    "    \"annual_cap\": \"150000\",\n"
    "    \"inpatient\": {\n"
    "      \"levels\": {\n"
    "        \"primary\": { \"deductible\": \"200\", \"ratio\": \"0.90\" },\n"
    "        \"grade1\": { \"deductible\": \"500\", \"ratio\": \"0.85\" },\n"
    "        \"grade2\": { \"deductible\": \"800\", \"ratio\": \"0.80\" },\n"
    "        \"grade3\": { \"deductible\": \"1200\", \"ratio\": \"0.65\" },\n"
    "        \"provincial\": { \"deductible\": \"2000\", \"ratio\": \"0.6\" }\n"
    "      },\n"
    "      \"repeat_deductible_factor\": \"0.50\",\n"
    "      \"annual_deductible_cap\": null\n"
    "    },\n"
    "    \"chronic\": { \"ratio\": \"0.70\", \"annual_cap\": \"6000\" },\n"
    "    \"outpatient\": { \"levels\": { \"primary\": { \"ratio\": \"0.60\" }, \"grade2\": { "
    "\"ratio\": \"0.3\" } }, \"annual_cap\": null }\n"
    "  },\n"
    "  \"critical_illness\": {\n"
    "    \"visit_types\": [\"inpatient\", \"chronic\"],\n"
    "    \"segments\": [\n"
    "      { \"upto\": \"30000\", \"ratio\": \"0.60\" },\n"
    "      { \"upto\": \"80000\", \"ratio\": \"0.65\", \"note\": \"second segment\" },\n"
    "      { \"upto\": \"150000\", \"ratio\": \"0.75\" },\n"
    "      { \"upto\": null, \"ratio\": \"0.85\" }\n"
    "    ],\n"
    "    \"annual_cap\": \"400000\",\n"
    "    \"tilted\": {\n"
    "      \"categories\": [\"destitute\", \"min_living\", \"relapsed\"],\n"
    "      \"deductible_factor\": \"0.50\", \"ratio_bonus\": \"0.05\", \"uncapped\": true\n"
    "    }\n"
    "  },\n"
    "  \"assistance\": {\n"
    "    \"visit_types\": [\"inpatient\", \"chronic\"],\n"
    "    \"categories\": {\n"
    "      \"destitute\": { \"deductible\": \"0\", \"ratio\": \"1.00\", \"annual_cap\": null },\n"
    "      \"min_living\": { \"deductible\": \"0\", \"ratio\": \"0.70\", \"annual_cap\": "
    "\"100000\" },\n"
    "      \"illness_poor\": { \"deductible\": \"8000\", \"ratio\": \"0.5\", \"annual_cap\": "
    "\"100000\" }\n"
    "    }\n"
    "  },\n"
    "  \"premium\": {\n"
    "    \"individual\": \"320\",\n"
    "    \"subsidy\": { \"destitute\": \"1.00\", \"min_living\": \"0.50\", \"relapsed\": \"0.50\", "
    "\"monitored\": \"0.5\" }\n"
    "  },\n"
    "  \"monitoring\": {\n"
    "    \"rules\": [\n"
    "      { \"name\": \"lifted-50pct\", \"categories\": [\"lifted\", \"monitored\"], "
    "\"threshold\": \"8292.50\" },\n"
    "      { \"name\": \"everyone\", \"categories\": [], \"threshold\": \"20000\" }\n"
    "    ]\n"
    "  }\n"
    "}\n";

/* ---- helpers ----------------------------------------------------------- */

/* BASE with the single occurrence of `from` replaced by `to`. */
static char *mutate(const char *from, const char *to) {
  const char *at = strstr(BASE, from);
  if (!at) fail_msg("mutation text not found in BASE: %s", from);
  if (strstr(at + 1, from)) fail_msg("mutation text not unique in BASE: %s", from);
  size_t pre = (size_t)(at - BASE), fl = strlen(from), tl = strlen(to);
  size_t rest = strlen(BASE) - pre - fl;
  char *s = malloc(pre + tl + rest + 1);
  assert_non_null(s);
  memcpy(s, BASE, pre);
  memcpy(s + pre, to, tl);
  memcpy(s + pre + tl, at + fl, rest + 1);
  return s;
}

static int load_text(const char *text, sb_policy **out, sb_error *err) {
  *out = NULL;
  sb_error_clear(err);
  return sb_policy_load_text(text, strlen(text), FILE_NAME, out, err);
}

/* err->where must name the file and end with exactly " PATH". */
static void assert_where(const sb_error *err, const char *file, const char *path) {
  size_t wl = strlen(err->where), pl = strlen(path);
  if (!strstr(err->where, file) || wl < pl + 1 || strcmp(err->where + wl - pl, path) != 0 ||
      err->where[wl - pl - 1] != ' ')
    fail_msg("where is '%s' (msg '%s'); want file '%s' and path '%s'", err->where, err->msg, file,
             path);
}

/* Break BASE by one replacement; the load must fail at `path`. */
static void expect_invalid(const char *from, const char *to, const char *path) {
  char *text = mutate(from, to);
  sb_policy *p;
  sb_error err;
  int rc = load_text(text, &p, &err);
  if (rc == SB_OK) fail_msg("accepted a policy with %s -> %s (want failure at %s)", from, to, path);
  assert_int_equal(rc, SB_EINVAL);
  assert_int_equal(err.code, SB_EINVAL);
  assert_null(p); /* nothing returned */
  assert_true(err.msg[0] != 0);
  assert_where(&err, FILE_NAME, path);
  free(text);
}

/* Break BASE; the load must still succeed.  Return the policy. */
static sb_policy *expect_valid(const char *from, const char *to) {
  char *text = mutate(from, to);
  sb_policy *p;
  sb_error err;
  int rc = load_text(text, &p, &err);
  if (rc != SB_OK) fail_msg("rejected %s -> %s: %s: %s", from, to, err.where, err.msg);
  assert_non_null(p);
  free(text);
  return p;
}

static const sb_policy_note *find_note(const sb_policy *p, const char *path) {
  for (int i = 0; i < p->n_notes; i++)
    if (strcmp(p->notes[i].path, path) == 0) return &p->notes[i];
  return NULL;
}

static sb_policy *load_base(void) {
  sb_policy *p;
  sb_error err;
  int rc = load_text(BASE, &p, &err);
  if (rc != SB_OK) fail_msg("BASE rejected: %s: %s", err.where, err.msg);
  return p;
}

#define CAT(c) (1u << (c))

/* ---- the shipped Hunan 2022 policy ------------------------------------- */

static sb_policy *load_hunan(void) {
  const char *dir = getenv("SANBAO_SOURCE_DIR");
  if (!dir) fail_msg("SANBAO_SOURCE_DIR is not set (ctest sets it to the project root)");
  char path[4096];
  snprintf(path, sizeof path, "%s/policies/hunan-2022.json", dir);
  sb_policy *p = NULL;
  sb_error err;
  sb_error_clear(&err);
  int rc = sb_policy_load_file(path, &p, &err);
  if (rc != SB_OK) fail_msg("%s: %s: %s", path, err.where, err.msg);
  assert_non_null(p);
  return p;
}

static void test_hunan_2022_regions_and_basic(void **state) {
  (void)state;
  sb_policy *p = load_hunan();
  assert_int_equal(p->year, 2022);
  assert_non_null(p->name);
  assert_non_null(strstr(p->name, "Hunan"));
  assert_int_equal(p->n_regions, 2);
  sb_fen t = 0;
  assert_int_equal(sb_policy_ci_deductible(p, 430521, &t), 0); /* 邵阳 county -> 430500 */
  assert_int_equal(t, 1100000);
  assert_int_equal(sb_policy_ci_deductible(p, 430225, &t), 0); /* 炎陵 -> default */
  assert_int_equal(t, 1600000);
  assert_int_equal(p->basic_annual_cap, 15000000);
  static const sb_fen ded[SB_LEVEL_COUNT] = {20000, 50000, 80000, 120000, 200000};
  static const sb_bp ratio[SB_LEVEL_COUNT] = {9000, 8000, 7500, 6000, 6000};
  for (int l = 0; l < SB_LEVEL_COUNT; l++) {
    assert_int_equal(p->inpatient[l].deductible, ded[l]);
    assert_int_equal(p->inpatient[l].ratio, ratio[l]);
  }
  assert_int_equal(p->repeat_deductible_factor, 5000);
  assert_int_equal(p->annual_deductible_cap, 300000);
  assert_int_equal(p->chronic_ratio, 7000);
  assert_int_equal(p->chronic_annual_cap, 600000);
  assert_int_equal(p->outpatient_levels, 1u << SB_LEVEL_PRIMARY);
  assert_int_equal(p->outpatient_ratio[SB_LEVEL_PRIMARY], 6000);
  for (int l = SB_LEVEL_GRADE1; l < SB_LEVEL_COUNT; l++)
    assert_int_equal(p->outpatient_ratio[l], 0);
  assert_int_equal(p->outpatient_annual_cap, 80000);
  sb_policy_free(p);
}

static void test_hunan_2022_critical_illness(void **state) {
  (void)state;
  sb_policy *p = load_hunan();
  assert_int_equal(p->ci_visits, (1u << SB_VISIT_INPATIENT) | (1u << SB_VISIT_CHRONIC));
  assert_int_equal(p->n_segments, 4);
  static const sb_fen upto[4] = {3000000, 8000000, 15000000, SB_NO_CAP};
  static const sb_bp ratio[4] = {6000, 6500, 7500, 8500};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(p->segments[i].upto, upto[i]);
    assert_int_equal(p->segments[i].ratio, ratio[i]);
  }
  assert_int_equal(p->ci_annual_cap, 40000000);
  assert_int_equal(p->tilted,
                   CAT(SB_CAT_DESTITUTE) | CAT(SB_CAT_MIN_LIVING) | CAT(SB_CAT_RELAPSED));
  assert_int_equal(p->tilted_deductible_factor, 5000);
  assert_int_equal(p->tilted_ratio_bonus, 500);
  assert_int_equal(p->tilted_uncapped, 1);
  sb_policy_free(p);
}

static void test_hunan_2022_assistance_premium_monitoring(void **state) {
  (void)state;
  sb_policy *p = load_hunan();
  assert_int_equal(p->ma_visits, (1u << SB_VISIT_INPATIENT) | (1u << SB_VISIT_CHRONIC));
  assert_int_equal(p->ma_categories, CAT(SB_CAT_DESTITUTE) | CAT(SB_CAT_MIN_LIVING) |
                                         CAT(SB_CAT_RELAPSED) | CAT(SB_CAT_MONITORED) |
                                         CAT(SB_CAT_NEAR_POOR) | CAT(SB_CAT_ILLNESS_POOR));
  assert_int_equal(p->assistance[SB_CAT_DESTITUTE].deductible, 0);
  assert_int_equal(p->assistance[SB_CAT_DESTITUTE].ratio, 10000);
  assert_int_equal(p->assistance[SB_CAT_DESTITUTE].annual_cap, 10000000);
  /* 低保边缘 is in class 二类 with 低保: no deductible, 70% */
  assert_int_equal(p->assistance[SB_CAT_NEAR_POOR].deductible, 0);
  assert_int_equal(p->assistance[SB_CAT_NEAR_POOR].ratio, 7000);
  assert_int_equal(p->assistance[SB_CAT_ILLNESS_POOR].deductible, 800000);
  assert_int_equal(p->assistance[SB_CAT_ILLNESS_POOR].ratio, 5000);
  assert_int_equal(p->premium_individual, 32000);
  assert_int_equal(p->subsidised, CAT(SB_CAT_DESTITUTE) | CAT(SB_CAT_MIN_LIVING) |
                                      CAT(SB_CAT_RELAPSED) | CAT(SB_CAT_MONITORED) |
                                      CAT(SB_CAT_NEAR_POOR));
  assert_int_equal(p->subsidy[SB_CAT_NEAR_POOR], 5000);
  /* 再救助 after the year, 宜昌's template */
  assert_int_equal(p->ra_timing, SB_RA_YEAR_END);
  assert_int_equal(p->ra_visits, (1u << SB_VISIT_INPATIENT) | (1u << SB_VISIT_CHRONIC));
  assert_int_equal(p->ra_categories, CAT(SB_CAT_DESTITUTE) | CAT(SB_CAT_MIN_LIVING) |
                                         CAT(SB_CAT_RELAPSED) | CAT(SB_CAT_MONITORED) |
                                         CAT(SB_CAT_NEAR_POOR) | CAT(SB_CAT_ILLNESS_POOR));
  assert_int_equal(p->reassist[SB_CAT_DESTITUTE].threshold, 500000);
  assert_int_equal(p->reassist[SB_CAT_DESTITUTE].ratio, 7000);
  assert_int_equal(p->reassist[SB_CAT_NEAR_POOR].threshold, 700000);
  assert_int_equal(p->reassist[SB_CAT_NEAR_POOR].ratio, 5000);
  assert_int_equal(p->reassist[SB_CAT_ILLNESS_POOR].annual_cap, 5000000);
  assert_int_equal(p->subsidy[SB_CAT_DESTITUTE], 10000);
  assert_int_equal(p->subsidy[SB_CAT_MIN_LIVING], 5000);
  assert_int_equal(p->subsidy[SB_CAT_RELAPSED], 5000);
  assert_int_equal(p->subsidy[SB_CAT_MONITORED], 5000);
  assert_int_equal(p->subsidy[SB_CAT_GENERAL], 0);
  assert_int_equal(p->subsidy[SB_CAT_LIFTED], 0);
  assert_int_equal(p->n_rules, 2);
  assert_string_equal(p->rules[0].name, "lifted-half-rural-income");
  assert_int_equal(p->rules[0].categories, CAT(SB_CAT_LIFTED) | CAT(SB_CAT_MONITORED) |
                                               CAT(SB_CAT_RELAPSED) | CAT(SB_CAT_NEAR_POOR));
  assert_int_equal(p->rules[0].threshold, 914750);
  assert_string_equal(p->rules[1].name, "rural-full-income");
  assert_int_equal(p->rules[1].categories, CAT(SB_CAT_GENERAL));
  assert_int_equal(p->rules[1].threshold, 1829500);
  sb_policy_free(p);
}

/* ---- the optional reassistance key (docs/reference/formats.md §7) ---- */

#define RA_BLOCK                                                                                   \
  "\"reassistance\": { \"timing\": \"claim\", \"visit_types\": [\"inpatient\"], "                  \
  "\"categories\": { \"near_poor\": { \"threshold\": \"3000\", \"ratio\": \"0.60\", "              \
  "\"annual_cap\": null }, \"destitute\": { \"threshold\": \"0\", \"ratio\": \"1\", "              \
  "\"annual_cap\": \"5000.50\" } } },\n  \"premium\": {"

static void test_reassistance_absent_or_null(void **state) {
  (void)state;
  sb_policy *p = load_base();
  assert_int_equal(p->ra_timing, SB_RA_NONE);
  assert_int_equal(p->ra_categories, 0);
  sb_policy_free(p);
  p = expect_valid("\"premium\": {", "\"reassistance\": null, \"premium\": {");
  assert_int_equal(p->ra_timing, SB_RA_NONE);
  sb_policy_free(p);
}

static void test_reassistance_values(void **state) {
  (void)state;
  sb_policy *p = expect_valid("\"premium\": {", RA_BLOCK);
  assert_int_equal(p->ra_timing, SB_RA_CLAIM);
  assert_int_equal(p->ra_visits, 1u << SB_VISIT_INPATIENT);
  assert_int_equal(p->ra_categories, CAT(SB_CAT_NEAR_POOR) | CAT(SB_CAT_DESTITUTE));
  assert_int_equal(p->reassist[SB_CAT_NEAR_POOR].threshold, 300000);
  assert_int_equal(p->reassist[SB_CAT_NEAR_POOR].ratio, 6000);
  assert_true(p->reassist[SB_CAT_NEAR_POOR].annual_cap == SB_NO_CAP);
  assert_int_equal(p->reassist[SB_CAT_DESTITUTE].ratio, 10000);
  assert_int_equal(p->reassist[SB_CAT_DESTITUTE].annual_cap, 500050);
  sb_policy_free(p);
  char *t = mutate("\"premium\": {", RA_BLOCK);
  /* year_end timing */
  char *u = strstr(t, "\"claim\"");
  assert_non_null(u);
  sb_policy *q;
  sb_error err;
  size_t n = strlen(t) + 16;
  char *v = malloc(n);
  assert_non_null(v);
  snprintf(v, n, "%.*s\"year_end\"%s", (int)(u - t), t, u + strlen("\"claim\""));
  assert_int_equal(load_text(v, &q, &err), SB_OK);
  assert_int_equal(q->ra_timing, SB_RA_YEAR_END);
  sb_policy_free(q);
  free(v);
  free(t);
}

static void test_reassistance_invalid(void **state) {
  (void)state;
  static const char *const bad[][2] = {
      {"\"timing\": \"claim\"", "\"timing\": \"monthly\""},
      {"\"timing\": \"claim\", ", ""},
      {"\"visit_types\": [\"inpatient\"]", "\"visit_types\": [\"dental\"]"},
      {"\"near_poor\": {", "\"nobody\": {"},
      {"\"threshold\": \"3000\", \"ratio\": \"0.60\"",
       "\"threshold\": \"3000\", \"ratio\": \"1.5\""},
      {"\"threshold\": \"3000\"", "\"threshold\": null"},
      {"\"threshold\": \"3000\", ", ""},
      {"\"ratio\": \"0.60\", \"annual_cap\": null }",
       "\"ratio\": \"0.60\", \"annual_cap\": null, \"extra\": 1 }"},
  };
  static const char *const path[] = {
      "$.reassistance.timing",
      "$.reassistance.timing",
      "$.reassistance.visit_types[0]",
      "$.reassistance.categories.nobody",
      "$.reassistance.categories.near_poor.ratio",
      "$.reassistance.categories.near_poor.threshold",
      "$.reassistance.categories.near_poor.threshold",
      "$.reassistance.categories.near_poor.extra",
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    char *t = mutate("\"premium\": {", RA_BLOCK);
    char *at = strstr(t, bad[k][0]);
    assert_non_null(at);
    size_t n = strlen(t) + strlen(bad[k][1]) + 1;
    char *v = malloc(n);
    assert_non_null(v);
    snprintf(v, n, "%.*s%s%s", (int)(at - t), t, bad[k][1], at + strlen(bad[k][0]));
    sb_policy *p;
    sb_error err;
    int rc = load_text(v, &p, &err);
    if (rc == SB_OK) fail_msg("accepted reassistance mutation %zu", k);
    assert_where(&err, FILE_NAME, path[k]);
    free(v);
    free(t);
  }
}

static void test_hunan_2022_notes_kept_with_source(void **state) {
  (void)state;
  sb_policy *p = load_hunan();
  const sb_policy_note *n = find_note(p, "$.regions.430500");
  assert_non_null(n);
  assert_non_null(n->source);
  assert_non_null(strstr(n->source, "邵阳"));
  assert_null(n->note);
  n = find_note(p, "$.basic.inpatient.levels.provincial");
  assert_non_null(n);
  assert_non_null(n->source);
  assert_non_null(n->note);
  assert_int_equal(strncmp(n->note, "ASSUMED(ratio): ", 16), 0);
  n = find_note(p, "$");
  assert_non_null(n);
  assert_non_null(n->source);
  assert_non_null(n->note);
  n = find_note(p, "$.critical_illness.segments[3]");
  assert_non_null(n);
  assert_non_null(strstr(n->source, "above 150000 85%"));
  n = find_note(p, "$.monitoring.rules[1]");
  assert_non_null(n);
  assert_non_null(strstr(n->note, "18295.00"));
  sb_policy_free(p);
}

static void test_load_file_missing_names_the_path(void **state) {
  (void)state;
  sb_policy *p = NULL;
  sb_error err;
  sb_error_clear(&err);
  int rc = sb_policy_load_file("/nonexistent/dir/policy-2022.json", &p, &err);
  assert_int_equal(rc, SB_EIO);
  assert_null(p);
  assert_non_null(strstr(err.where, "/nonexistent/dir/policy-2022.json"));
}

/* ---- the base policy --------------------------------------------------- */

static void test_base_policy_values(void **state) {
  (void)state;
  sb_policy *p = load_base();
  assert_int_equal(p->year, 2022);
  assert_string_equal(p->name, "unit-test policy");
  assert_int_equal(p->n_regions, 3);
  assert_int_equal(p->basic_annual_cap, 15000000);
  assert_int_equal(p->annual_deductible_cap, SB_NO_CAP); /* null */
  assert_int_equal(p->outpatient_annual_cap, SB_NO_CAP); /* null */
  assert_int_equal(p->assistance[SB_CAT_DESTITUTE].annual_cap, SB_NO_CAP);
  assert_int_equal(p->segments[3].upto, SB_NO_CAP);
  assert_int_equal(p->inpatient[SB_LEVEL_GRADE1].ratio, 8500);
  assert_int_equal(p->inpatient[SB_LEVEL_PROVINCIAL].ratio, 6000); /* "0.6" */
  assert_int_equal(p->outpatient_levels, (1u << SB_LEVEL_PRIMARY) | (1u << SB_LEVEL_GRADE2));
  assert_int_equal(p->outpatient_ratio[SB_LEVEL_GRADE2], 3000);
  assert_int_equal(p->outpatient_ratio[SB_LEVEL_GRADE1], 0);
  assert_int_equal(p->ma_categories,
                   CAT(SB_CAT_DESTITUTE) | CAT(SB_CAT_MIN_LIVING) | CAT(SB_CAT_ILLNESS_POOR));
  assert_int_equal(p->assistance[SB_CAT_ILLNESS_POOR].deductible, 800000);
  assert_int_equal(p->assistance[SB_CAT_ILLNESS_POOR].ratio, 5000);
  assert_int_equal(p->subsidy[SB_CAT_MONITORED], 5000);
  assert_int_equal(p->n_rules, 2);
  assert_int_equal(p->rules[0].threshold, 829250);
  /* An empty category list means everyone. */
  assert_int_equal(p->rules[1].categories, (1u << SB_CAT_COUNT) - 1);
  assert_int_equal(p->rules[1].threshold, 2000000);
  sb_fen t = 0;
  assert_int_equal(sb_policy_ci_deductible(p, 430225, &t), 0);
  assert_int_equal(t, 900050);
  sb_policy_free(p);
}

static void test_base_policy_notes(void **state) {
  (void)state;
  sb_policy *p = load_base();
  assert_int_equal(p->n_notes, 3);
  const sb_policy_note *n = find_note(p, "$");
  assert_non_null(n);
  assert_string_equal(n->source, "test document");
  assert_string_equal(n->note, "top-level note");
  n = find_note(p, "$.regions.430500");
  assert_non_null(n);
  assert_string_equal(n->source, "shaoyang");
  assert_null(n->note);
  n = find_note(p, "$.critical_illness.segments[1]");
  assert_non_null(n);
  assert_null(n->source);
  assert_string_equal(n->note, "second segment");
  sb_policy_free(p);
}

static void test_optional_keys_may_be_absent(void **state) {
  (void)state;
  sb_policy *p = expect_valid("  \"name\": \"unit-test policy\",\n", "");
  assert_null(p->name);
  sb_policy_free(p);
  p = expect_valid("  \"source\": \"test document\",\n  \"note\": \"top-level note\",\n", "");
  assert_int_equal(p->n_notes, 2);
  assert_null(find_note(p, "$"));
  sb_policy_free(p);
  /* Lists may be empty, keyed tables may hold no key. */
  p = expect_valid("\"categories\": [\"destitute\", \"min_living\", \"relapsed\"]",
                   "\"categories\": []");
  assert_int_equal(p->tilted, 0);
  sb_policy_free(p);
  p = expect_valid("\"subsidy\": { \"destitute\": \"1.00\", \"min_living\": \"0.50\", "
                   "\"relapsed\": \"0.50\", \"monitored\": \"0.5\" }",
                   "\"subsidy\": {}");
  assert_int_equal(p->subsidised, 0);
  assert_int_equal(p->subsidy[SB_CAT_DESTITUTE], 0);
  sb_policy_free(p);
  p = expect_valid(
      "\"levels\": { \"primary\": { \"ratio\": \"0.60\" }, \"grade2\": { \"ratio\": \"0.3\" } }",
      "\"levels\": { \"source\": \"none covered\" }");
  assert_int_equal(p->outpatient_levels, 0);
  assert_non_null(find_note(p, "$.basic.outpatient.levels"));
  sb_policy_free(p);
}

/* ---- docs/reference/formats.md §7, one rule at a time --------------------------------- */

static void test_invalid_schema(void **state) {
  (void)state;
  expect_invalid("\"sanbao-policy/1\"", "\"sanbao-policy/2\"", "$.schema");
  expect_invalid("\"sanbao-policy/1\"", "\"sanbao-policy/1 \"", "$.schema");
  expect_invalid("\"sanbao-policy/1\"", "1", "$.schema");
  expect_invalid("\"sanbao-policy/1\"", "null", "$.schema");
  expect_invalid("  \"schema\": \"sanbao-policy/1\",\n", "", "$.schema");
}

static void test_invalid_year_not_an_integer(void **state) {
  (void)state;
  expect_invalid("\"year\": 2022,", "\"year\": 2022.0,", "$.year");
  expect_invalid("\"year\": 2022,", "\"year\": 2022.5,", "$.year");
  expect_invalid("\"year\": 2022,", "\"year\": \"2022\",", "$.year");
  expect_invalid("\"year\": 2022,", "\"year\": null,", "$.year");
  expect_invalid("\"year\": 2022,", "\"year\": true,", "$.year");
}

static void test_invalid_region_key(void **state) {
  (void)state;
  expect_invalid("\"430500\": {", "\"43050X\": {", "$.regions.43050X");
  expect_invalid("\"430500\": {", "\"43050\": {", "$.regions.43050");
  expect_invalid("\"430500\": {", "\"4305000\": {", "$.regions.4305000");
  expect_invalid("\"430500\": {", "\"Default\": {", "$.regions.Default");
  expect_invalid("\"430500\": {", "\"\": {", "$.regions.");
  expect_invalid("\"430500\": {", "\" 430500\": {", "$.regions. 430500");
}

static void test_invalid_no_segments(void **state) {
  (void)state;
  expect_invalid(
      "      { \"upto\": \"30000\", \"ratio\": \"0.60\" },\n"
      "      { \"upto\": \"80000\", \"ratio\": \"0.65\", \"note\": \"second segment\" },\n"
      "      { \"upto\": \"150000\", \"ratio\": \"0.75\" },\n"
      "      { \"upto\": null, \"ratio\": \"0.85\" }\n",
      "", "$.critical_illness.segments");
}

static void test_invalid_last_upto_not_null(void **state) {
  (void)state;
  expect_invalid("{ \"upto\": null, \"ratio\": \"0.85\" }",
                 "{ \"upto\": \"200000\", \"ratio\": \"0.85\" }",
                 "$.critical_illness.segments[3].upto");
  /* A single segment must be the open one. */
  sb_policy *p = expect_valid(
      "      { \"upto\": \"30000\", \"ratio\": \"0.60\" },\n"
      "      { \"upto\": \"80000\", \"ratio\": \"0.65\", \"note\": \"second segment\" },\n"
      "      { \"upto\": \"150000\", \"ratio\": \"0.75\" },\n",
      "");
  assert_int_equal(p->n_segments, 1);
  assert_int_equal(p->segments[0].upto, SB_NO_CAP);
  assert_int_equal(p->segments[0].ratio, 8500);
  sb_policy_free(p);
  expect_invalid(
      "      { \"upto\": \"30000\", \"ratio\": \"0.60\" },\n"
      "      { \"upto\": \"80000\", \"ratio\": \"0.65\", \"note\": \"second segment\" },\n"
      "      { \"upto\": \"150000\", \"ratio\": \"0.75\" },\n"
      "      { \"upto\": null, \"ratio\": \"0.85\" }\n",
      "      { \"upto\": \"30000\", \"ratio\": \"0.60\" }\n",
      "$.critical_illness.segments[0].upto");
}

static void test_invalid_upto_not_increasing(void **state) {
  (void)state;
  expect_invalid("{ \"upto\": \"150000\",", "{ \"upto\": \"80000\",",
                 "$.critical_illness.segments[2].upto");
  expect_invalid("{ \"upto\": \"150000\",", "{ \"upto\": \"79999.99\",",
                 "$.critical_illness.segments[2].upto");
  expect_invalid("{ \"upto\": \"80000\",", "{ \"upto\": \"30000.00\",",
                 "$.critical_illness.segments[1].upto");
  expect_invalid("{ \"upto\": \"30000\",", "{ \"upto\": \"0\",",
                 "$.critical_illness.segments[0].upto");
  /* One fen more is increasing. */
  sb_policy *p = expect_valid("{ \"upto\": \"80000\",", "{ \"upto\": \"30000.01\",");
  assert_int_equal(p->segments[1].upto, 3000001);
  sb_policy_free(p);
}

static void test_invalid_ratio_above_one(void **state) {
  (void)state;
  expect_invalid("\"chronic\": { \"ratio\": \"0.70\"", "\"chronic\": { \"ratio\": \"1.01\"",
                 "$.basic.chronic.ratio");
  expect_invalid("\"repeat_deductible_factor\": \"0.50\"",
                 "\"repeat_deductible_factor\": \"1.0001\"",
                 "$.basic.inpatient.repeat_deductible_factor");
  expect_invalid("\"deductible_factor\": \"0.50\", \"ratio_bonus\"",
                 "\"deductible_factor\": 2, \"ratio_bonus\"",
                 "$.critical_illness.tilted.deductible_factor");
  expect_invalid("\"ratio_bonus\": \"0.05\"", "\"ratio_bonus\": 1.5",
                 "$.critical_illness.tilted.ratio_bonus");
  expect_invalid("\"destitute\": \"1.00\"", "\"destitute\": \"1.5\"",
                 "$.premium.subsidy.destitute");
  expect_invalid("{ \"upto\": null, \"ratio\": \"0.85\" }", "{ \"upto\": null, \"ratio\": \"2\" }",
                 "$.critical_illness.segments[3].ratio");
  expect_invalid("\"grade3\": { \"deductible\": \"1200\", \"ratio\": \"0.65\" }",
                 "\"grade3\": { \"deductible\": \"1200\", \"ratio\": \"65\" }",
                 "$.basic.inpatient.levels.grade3.ratio");
  expect_invalid("\"ratio\": \"1.00\", \"annual_cap\": null",
                 "\"ratio\": \"-0.5\", \"annual_cap\": null",
                 "$.assistance.categories.destitute.ratio");
  /* Exactly 1 is allowed. */
  sb_policy *p =
      expect_valid("\"chronic\": { \"ratio\": \"0.70\"", "\"chronic\": { \"ratio\": \"1.0000\"");
  assert_int_equal(p->chronic_ratio, 10000);
  sb_policy_free(p);
}

static void test_invalid_negative_amount(void **state) {
  (void)state;
  expect_invalid("\"annual_cap\": \"150000\"", "\"annual_cap\": \"-150000\"", "$.basic.annual_cap");
  expect_invalid("\"annual_cap\": \"150000\"", "\"annual_cap\": -1", "$.basic.annual_cap");
  expect_invalid("\"annual_cap\": \"150000\"", "\"annual_cap\": -0.5", "$.basic.annual_cap");
  expect_invalid("\"individual\": \"320\"", "\"individual\": \"-320\"", "$.premium.individual");
  expect_invalid("\"deductible\": \"8000\"", "\"deductible\": -8000",
                 "$.assistance.categories.illness_poor.deductible");
  expect_invalid("\"threshold\": \"8292.50\"", "\"threshold\": \"-8292.50\"",
                 "$.monitoring.rules[0].threshold");
  expect_invalid("\"ci_deductible\": \"15000\"", "\"ci_deductible\": \"-1\"",
                 "$.regions.default.ci_deductible");
  /* Zero is an amount. */
  sb_policy *p = expect_valid("\"individual\": \"320\"", "\"individual\": 0");
  assert_int_equal(p->premium_individual, 0);
  sb_policy_free(p);
  /* ... and JSON's -0 and -0.0 are zero, an amount's or a ratio's; but
  ** decimal text has no sign, and "-0" is text with one. */
  p = expect_valid("\"individual\": \"320\"", "\"individual\": -0.0");
  assert_int_equal(p->premium_individual, 0);
  sb_policy_free(p);
  p = expect_valid("\"individual\": \"320\"", "\"individual\": -0");
  assert_int_equal(p->premium_individual, 0);
  sb_policy_free(p);
  p = expect_valid("\"chronic\": { \"ratio\": \"0.70\"", "\"chronic\": { \"ratio\": -0.0");
  assert_int_equal(p->chronic_ratio, 0);
  sb_policy_free(p);
  expect_invalid("\"individual\": \"320\"", "\"individual\": \"-0\"", "$.premium.individual");
  expect_invalid("\"annual_cap\": \"150000\"", "\"annual_cap\": \"-0.00\"", "$.basic.annual_cap");
  expect_invalid("\"chronic\": { \"ratio\": \"0.70\"", "\"chronic\": { \"ratio\": \"-0\"",
                 "$.basic.chronic.ratio");
}

static void test_invalid_missing_inpatient_level(void **state) {
  (void)state;
  expect_invalid("        \"grade3\": { \"deductible\": \"1200\", \"ratio\": \"0.65\" },\n", "",
                 "$.basic.inpatient.levels.grade3");
  expect_invalid("        \"primary\": { \"deductible\": \"200\", \"ratio\": \"0.90\" },\n", "",
                 "$.basic.inpatient.levels.primary");
  expect_invalid(",\n        \"provincial\": { \"deductible\": \"2000\", \"ratio\": \"0.6\" }\n",
                 "\n", "$.basic.inpatient.levels.provincial");
  /* A row missing one of its keys. */
  expect_invalid("\"grade2\": { \"deductible\": \"800\", \"ratio\": \"0.80\" }",
                 "\"grade2\": { \"ratio\": \"0.80\" }",
                 "$.basic.inpatient.levels.grade2.deductible");
}

static void test_invalid_unknown_category(void **state) {
  (void)state;
  expect_invalid("[\"destitute\", \"min_living\", \"relapsed\"]",
                 "[\"destitute\", \"poor\", \"relapsed\"]",
                 "$.critical_illness.tilted.categories[1]");
  expect_invalid("\"illness_poor\": {", "\"illness-poor\": {",
                 "$.assistance.categories.illness-poor");
  expect_invalid("\"monitored\": \"0.5\"", "\"Monitored\": \"0.5\"", "$.premium.subsidy.Monitored");
  expect_invalid("[\"lifted\", \"monitored\"]", "[\"lifted\", \"monitored\", \"rich\"]",
                 "$.monitoring.rules[0].categories[2]");
  expect_invalid("[\"lifted\", \"monitored\"]", "[\"lifted\", 3]",
                 "$.monitoring.rules[0].categories[1]");
}

static void test_invalid_unknown_visit_type(void **state) {
  (void)state;
  expect_invalid("\"critical_illness\": {\n    \"visit_types\": [\"inpatient\", \"chronic\"]",
                 "\"critical_illness\": {\n    \"visit_types\": [\"inpatient\", \"surgery\"]",
                 "$.critical_illness.visit_types[1]");
  expect_invalid("\"assistance\": {\n    \"visit_types\": [\"inpatient\", \"chronic\"]",
                 "\"assistance\": {\n    \"visit_types\": [\"Inpatient\", \"chronic\"]",
                 "$.assistance.visit_types[0]");
  expect_invalid("\"assistance\": {\n    \"visit_types\": [\"inpatient\", \"chronic\"]",
                 "\"assistance\": {\n    \"visit_types\": \"inpatient\"",
                 "$.assistance.visit_types");
}

static void test_invalid_duplicate_rule_name(void **state) {
  (void)state;
  expect_invalid("{ \"name\": \"everyone\",", "{ \"name\": \"lifted-50pct\",",
                 "$.monitoring.rules[1].name");
  expect_invalid("{ \"name\": \"everyone\",", "{ \"name\": \"\",", "$.monitoring.rules[1].name");
}

static void test_invalid_unknown_key(void **state) {
  (void)state;
  expect_invalid("\"year\": 2022,", "\"year\": 2022, \"yaer\": 2022,", "$.yaer");
  expect_invalid(
      "\"chronic\": { \"ratio\": \"0.70\", \"annual_cap\": \"6000\" }",
      "\"chronic\": { \"ratio\": \"0.70\", \"annual_cap\": \"6000\", \"anual_cap\": \"1\" }",
      "$.basic.chronic.anual_cap");
  expect_invalid("{ \"upto\": \"30000\", \"ratio\": \"0.60\" }",
                 "{ \"upto\": \"30000\", \"ratio\": \"0.60\", \"rate\": \"0.1\" }",
                 "$.critical_illness.segments[0].rate");
  expect_invalid("\"provincial\": { \"deductible\": \"2000\", \"ratio\": \"0.6\" }",
                 "\"provincial\": { \"deductible\": \"2000\", \"ratio\": \"0.6\" }, \"grade4\": {}",
                 "$.basic.inpatient.levels.grade4");
  expect_invalid("\"grade2\": { \"ratio\": \"0.3\" }", "\"grade9\": { \"ratio\": \"0.3\" }",
                 "$.basic.outpatient.levels.grade9");
  expect_invalid("\"uncapped\": true", "\"uncapped\": true, \"Source\": \"x\"",
                 "$.critical_illness.tilted.Source");
}

static void test_invalid_repeated_key(void **state) {
  (void)state;
  /* jansson (JSON_REJECT_DUPLICATES) rejects a repeated key while parsing,
  ** before any path exists: the error names the file and the line. */
  static const struct {
    const char *from, *to;
    int line;
  } cases[] = {
      {"\"year\": 2022,", "\"year\": 2022, \"year\": 2022,", 4},
      {"\"grade3\": { \"deductible\": \"1200\", \"ratio\": \"0.65\" }",
       "\"grade3\": { \"deductible\": \"1200\", \"ratio\": \"0.65\", \"ratio\": \"0.65\" }", 19},
      {"\"destitute\": \"1.00\"", "\"destitute\": \"1.00\", \"destitute\": \"1.00\"", 52},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *text = mutate(cases[i].from, cases[i].to);
    sb_policy *p;
    sb_error err;
    assert_int_equal(load_text(text, &p, &err), SB_EINVAL);
    assert_null(p);
    char want[64];
    snprintf(want, sizeof want, FILE_NAME ":%d:", cases[i].line);
    if (strncmp(err.where, want, strlen(want)) != 0)
      fail_msg("where is '%s', want it to begin with '%s'", err.where, want);
    assert_non_null(strstr(err.msg, "duplicate"));
    free(text);
  }
}

static void test_invalid_null_where_not_allowed(void **state) {
  (void)state;
  expect_invalid("\"primary\": { \"deductible\": \"200\",", "\"primary\": { \"deductible\": null,",
                 "$.basic.inpatient.levels.primary.deductible");
  expect_invalid("\"individual\": \"320\"", "\"individual\": null", "$.premium.individual");
  expect_invalid("\"chronic\": { \"ratio\": \"0.70\"", "\"chronic\": { \"ratio\": null",
                 "$.basic.chronic.ratio");
  expect_invalid("\"ci_deductible\": \"15000\"", "\"ci_deductible\": null",
                 "$.regions.default.ci_deductible");
  expect_invalid("\"threshold\": \"20000\"", "\"threshold\": null",
                 "$.monitoring.rules[1].threshold");
  expect_invalid("{ \"upto\": \"80000\",", "{ \"upto\": null,",
                 "$.critical_illness.segments[1].upto");
  expect_invalid("\"uncapped\": true", "\"uncapped\": null", "$.critical_illness.tilted.uncapped");
  expect_invalid("\"deductible\": \"8000\"", "\"deductible\": null",
                 "$.assistance.categories.illness_poor.deductible");
  /* null is allowed for each annual_cap and annual_deductible_cap. */
  sb_policy *p = expect_valid("\"annual_cap\": \"150000\"", "\"annual_cap\": null");
  assert_int_equal(p->basic_annual_cap, SB_NO_CAP);
  sb_policy_free(p);
  p = expect_valid("\"annual_cap\": \"400000\"", "\"annual_cap\": null");
  assert_int_equal(p->ci_annual_cap, SB_NO_CAP);
  sb_policy_free(p);
  p = expect_valid("\"chronic\": { \"ratio\": \"0.70\", \"annual_cap\": \"6000\" }",
                   "\"chronic\": { \"ratio\": \"0.70\", \"annual_cap\": null }");
  assert_int_equal(p->chronic_annual_cap, SB_NO_CAP);
  sb_policy_free(p);
}

static void test_invalid_number_with_too_many_decimals(void **state) {
  (void)state;
  expect_invalid("\"grade3\": { \"deductible\": \"1200\", \"ratio\": \"0.65\" }",
                 "\"grade3\": { \"deductible\": \"1200\", \"ratio\": 0.12345 }",
                 "$.basic.inpatient.levels.grade3.ratio");
  expect_invalid("\"grade3\": { \"deductible\": \"1200\", \"ratio\": \"0.65\" }",
                 "\"grade3\": { \"deductible\": 12.345, \"ratio\": \"0.65\" }",
                 "$.basic.inpatient.levels.grade3.deductible");
  expect_invalid("\"individual\": \"320\"", "\"individual\": 320.001", "$.premium.individual");
  expect_invalid("\"ratio_bonus\": \"0.05\"", "\"ratio_bonus\": 0.00001",
                 "$.critical_illness.tilted.ratio_bonus");
  /* More decimals than a double shows: refused from the text, named by
  ** path through arrays (read as a double, they were 0.65 and 320.10). */
  expect_invalid("\"ratio\": \"0.65\", \"note\"", "\"ratio\": 0.65000000000000001, \"note\"",
                 "$.critical_illness.segments[1].ratio");
  expect_invalid("\"individual\": \"320\"", "\"individual\": 320.10000000000000000001",
                 "$.premium.individual");
  expect_invalid("\"individual\": \"320\"", "\"individual\": 3.200001e2", "$.premium.individual");
  /* The same as decimal strings. */
  expect_invalid("\"grade3\": { \"deductible\": \"1200\", \"ratio\": \"0.65\" }",
                 "\"grade3\": { \"deductible\": \"1200\", \"ratio\": \"0.12345\" }",
                 "$.basic.inpatient.levels.grade3.ratio");
  expect_invalid("\"grade3\": { \"deductible\": \"1200\", \"ratio\": \"0.65\" }",
                 "\"grade3\": { \"deductible\": \"12.345\", \"ratio\": \"0.65\" }",
                 "$.basic.inpatient.levels.grade3.deductible");
  /* Other text that is not an amount. */
  expect_invalid("\"individual\": \"320\"", "\"individual\": \"320 \"", "$.premium.individual");
  expect_invalid("\"individual\": \"320\"", "\"individual\": \"3e2\"", "$.premium.individual");
  expect_invalid("\"individual\": \"320\"", "\"individual\": \"10000000000.01\"",
                 "$.premium.individual");
  expect_invalid("\"individual\": \"320\"", "\"individual\": true", "$.premium.individual");
  expect_invalid("\"individual\": \"320\"", "\"individual\": [320]", "$.premium.individual");
}

static void test_numbers_with_allowed_decimals_accepted(void **state) {
  (void)state;
  sb_policy *p = expect_valid("\"grade3\": { \"deductible\": \"1200\", \"ratio\": \"0.65\" }",
                              "\"grade3\": { \"deductible\": 1200.5, \"ratio\": 0.65 }");
  assert_int_equal(p->inpatient[SB_LEVEL_GRADE3].deductible, 120050);
  assert_int_equal(p->inpatient[SB_LEVEL_GRADE3].ratio, 6500);
  sb_policy_free(p);
  p = expect_valid("\"threshold\": \"8292.50\"", "\"threshold\": 8292.05");
  assert_int_equal(p->rules[0].threshold, 829205);
  sb_policy_free(p);
  p = expect_valid("\"ratio_bonus\": \"0.05\"", "\"ratio_bonus\": 0.0001");
  assert_int_equal(p->tilted_ratio_bonus, 1);
  sb_policy_free(p);
  p = expect_valid("\"ratio_bonus\": \"0.05\"", "\"ratio_bonus\": 0.1235");
  assert_int_equal(p->tilted_ratio_bonus, 1235);
  sb_policy_free(p);
  p = expect_valid("\"individual\": \"320\"", "\"individual\": 320");
  assert_int_equal(p->premium_individual, 32000);
  sb_policy_free(p);
  p = expect_valid("\"individual\": \"320\"", "\"individual\": 0.07");
  assert_int_equal(p->premium_individual, 7);
  sb_policy_free(p);
  p = expect_valid("\"destitute\": \"1.00\"", "\"destitute\": 1");
  assert_int_equal(p->subsidy[SB_CAT_DESTITUTE], 10000);
  sb_policy_free(p);
  p = expect_valid("\"annual_cap\": \"150000\"", "\"annual_cap\": 10000000000");
  assert_int_equal(p->basic_annual_cap, SB_MONEY_MAX);
  sb_policy_free(p);
}

static void test_invalid_missing_required_key(void **state) {
  (void)state;
  expect_invalid("  \"year\": 2022,\n", "", "$.year");
  expect_invalid("\"chronic\": { \"ratio\": \"0.70\", \"annual_cap\": \"6000\" }",
                 "\"chronic\": { \"ratio\": \"0.70\" }", "$.basic.chronic.annual_cap");
  expect_invalid(", \"uncapped\": true", "", "$.critical_illness.tilted.uncapped");
  expect_invalid("      \"annual_deductible_cap\": null\n", "      \"x_\": null\n",
                 "$.basic.inpatient.x_");
  expect_invalid(",\n      \"annual_deductible_cap\": null\n", "\n",
                 "$.basic.inpatient.annual_deductible_cap");
  expect_invalid("{ \"name\": \"everyone\", \"categories\": [],", "{ \"name\": \"everyone\",",
                 "$.monitoring.rules[1].categories");
  expect_invalid("\"ci_deductible\": \"9000.50\"", "\"source\": \"x\"",
                 "$.regions.430225.ci_deductible");
}

static void test_invalid_source_not_a_string(void **state) {
  (void)state;
  expect_invalid("\"source\": \"shaoyang\"", "\"source\": 5", "$.regions.430500.source");
  expect_invalid("\"source\": \"test document\"", "\"source\": null", "$.source");
  expect_invalid("\"note\": \"top-level note\"", "\"note\": [\"a\"]", "$.note");
  expect_invalid("\"note\": \"second segment\"", "\"note\": {}",
                 "$.critical_illness.segments[1].note");
  expect_invalid("\"name\": \"unit-test policy\"", "\"name\": 1", "$.name");
}

static void test_assumed_values_kept(void **state) {
  (void)state;
  sb_policy *p = load_hunan();
  /* the values policies/hunan-2022.json flags, and their neighbours that it
  ** does not (docs/policy-hunan-2022.md, "Assumed values") */
  static const struct {
    const char *path, *key;
    int assumed;
  } want[] = {
      {"$.regions.default", "ci_deductible", 1},
      {"$.regions.430500", "ci_deductible", 0},
      {"$.basic.inpatient.levels.provincial", "ratio", 1},
      {"$.basic.inpatient.levels.provincial", "deductible", 0},
      {"$.basic.inpatient.levels.grade3", "ratio", 0},
      {"$.basic.chronic", "annual_cap", 1},
      {"$.basic.chronic", "ratio", 0},
      {"$.critical_illness", "visit_types", 1},
      {"$.critical_illness", "annual_cap", 0},
      {"$.critical_illness.segments[0]", "ratio", 0},
      {"$.assistance.categories.min_living", "annual_cap", 1},
      {"$.assistance.categories.min_living", "ratio", 0},
      {"$.reassistance.categories.near_poor", "threshold", 1},
      {"$.monitoring.rules[1]", "threshold", 1},
      /* "ASSUMED: every threshold ... below" on the parent marks nothing */
      {"$.reassistance", "visit_types", 0},
  };
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
    if (sb_policy_assumed(p, want[k].path, want[k].key) != want[k].assumed)
      fail_msg("%s %s: assumed should be %d", want[k].path, want[k].key, want[k].assumed);
  /* 41 values in all, as docs/policy-hunan-2022.md lists them */
  int n = 0;
  for (int i = 0; i < p->n_notes; i++)
    n += p->notes[i].n_assumed;
  assert_int_equal(n, 41);
  sb_policy_free(p);
  /* a file without a marking note flags nothing */
  p = load_base();
  assert_false(sb_policy_assumed(p, "$.basic.chronic", "ratio"));
  sb_policy_free(p);
}

/* BASE with `note` (JSON text, quotes escaped) on $.basic.chronic. */
static sb_policy *chronic_with_note(const char *note) {
  char to[256];
  snprintf(to, sizeof to, "\"chronic\": { \"note\": \"%s\", \"ratio\": \"0.70\",", note);
  return expect_valid("\"chronic\": { \"ratio\": \"0.70\",", to);
}

static void test_assumed_note_marks_keys(void **state) {
  (void)state;
  static const struct {
    const char *note;
    int n;             /* keys marked */
    const char *first; /* the first one, in the note's order */
  } cases[] = {
      {"ASSUMED(ratio): the ratio is a guess", 1, "ratio"},
      {"ASSUMED(annual_cap,ratio): both", 2, "annual_cap"},
      {"ASSUMED(ratio, annual_cap): both", 2, "ratio"},
      {"ASSUMED(ratio,   annual_cap):both", 2, "ratio"},
      {"ASSUMED(ratio, ratio): named twice, marked once", 1, "ratio"},
      {"ASSUMED(annual_cap):", 1, "annual_cap"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    sb_policy *p = chronic_with_note(cases[k].note);
    const sb_policy_note *nt = find_note(p, "$.basic.chronic");
    assert_non_null(nt);
    assert_string_equal(nt->note, cases[k].note); /* the text is kept as written */
    if (nt->n_assumed != cases[k].n || strcmp(nt->assumed[0], cases[k].first))
      fail_msg("'%s': %d keys marked, first '%s'", cases[k].note, nt->n_assumed,
               nt->n_assumed ? nt->assumed[0] : "");
    assert_true(sb_policy_assumed(p, "$.basic.chronic", cases[k].first));
    assert_int_equal(sb_policy_assumed(p, "$.basic.chronic", "annual_cap"),
                     strstr(cases[k].note, "annual_cap") != NULL);
    /* only the object's own note counts */
    assert_false(sb_policy_assumed(p, "$.basic", "annual_cap"));
    assert_false(sb_policy_assumed(p, "$.basic.outpatient", "annual_cap"));
    sb_policy_free(p);
  }
  /* a parent's note marks its own keys, nothing below it */
  sb_policy *p = expect_valid("\"basic\": {", "\"basic\": { \"note\": \"ASSUMED(annual_cap): x\",");
  assert_true(sb_policy_assumed(p, "$.basic", "annual_cap"));
  assert_false(sb_policy_assumed(p, "$.basic.chronic", "annual_cap"));
  sb_policy_free(p);
}

/* A note is free text (formats.md §7): whatever follows ASSUMED, a note
** that is not exactly a mark list of the object's own keys loads, is kept,
** and marks nothing. */
static void test_assumed_note_otherwise_just_text(void **state) {
  (void)state;
  static const char *const notes[] = {
      "ASSUMED: the ratio",              /* the old wording */
      "ASSUMED(ratio)",                  /* no colon */
      "ASSUMED(ratio) : x",              /* space before the colon */
      "ASSUMED(ratio)x: y",              /* */
      "ASSUMED( ratio): x",              /* space before a name */
      "ASSUMED(ratio ): x",              /* space after a name */
      "ASSUMED(ratio ,annual_cap): x",   /* space before a comma */
      "ASSUMED(ratio,\\tannual_cap): x", /* a tab is not a space */
      "ASSUMED(): x",                    /* no name */
      "ASSUMED(,ratio): x",              /* empty names */
      "ASSUMED(ratio,): x",              /* */
      "ASSUMED(ratio,,annual_cap): x",   /* */
      "ASSUMED(ratio",                   /* cut short */
      "ASSUMED(",                        /* */
      "ASSUMED",                         /* */
      "",                                /* */
      "assumed(ratio): x",               /* lower case */
      "Assumed(ratio): x",               /* */
      " ASSUMED(ratio): x",              /* not at the beginning */
      "see below. ASSUMED(ratio): x",    /* */
      "ASSUMED(cap): x",                 /* not a key of this object */
      "ASSUMED(ratio,cap): x",           /* one name that is not: nothing at all */
      "ASSUMED(deductible): x",          /* a key of other objects */
      "ASSUMED(note): x",                /* source and note are not values */
      "ASSUMED(source,ratio): x",        /* */
      "ASSUMED(ratioannual_cap): x",     /* */
      "ASSUMED(RATIO): x",               /* keys are exact */
      "ASSUMED(ratio):",                 /* (a mark; checked below it is not here) */
  };
  size_t n = sizeof notes / sizeof notes[0] - 1;
  for (size_t k = 0; k < n; k++) {
    sb_policy *p = chronic_with_note(notes[k]);
    const sb_policy_note *nt = find_note(p, "$.basic.chronic");
    assert_non_null(nt);
    assert_non_null(nt->note);
    if (nt->n_assumed || sb_policy_assumed(p, "$.basic.chronic", "ratio") ||
        sb_policy_assumed(p, "$.basic.chronic", "annual_cap"))
      fail_msg("note '%s' marked %d keys", notes[k], nt->n_assumed);
    sb_policy_free(p);
  }
  /* the last one does mark: the loop above would have caught a mark list */
  sb_policy *p = chronic_with_note(notes[n]);
  assert_true(sb_policy_assumed(p, "$.basic.chronic", "ratio"));
  sb_policy_free(p);
  /* keyed tables: their keys are data (regions, categories, subsidy) */
  p = expect_valid("\"430500\": {", "\"note\": \"ASSUMED(default): x\", \"430500\": {");
  assert_non_null(find_note(p, "$.regions"));
  assert_int_equal(find_note(p, "$.regions")->n_assumed, 0);
  assert_false(sb_policy_assumed(p, "$.regions", "default"));
  sb_policy_free(p);
  p = expect_valid("\"subsidy\": {", "\"subsidy\": { \"note\": \"ASSUMED(destitute): x\",");
  assert_false(sb_policy_assumed(p, "$.premium.subsidy", "destitute"));
  sb_policy_free(p);
}

/* `assumed` is not a key of the contract: refused like any unknown key. */
static void test_assumed_key_refused(void **state) {
  (void)state;
  const char *from = "\"chronic\": { \"ratio\": \"0.70\",";
  expect_invalid(from, "\"chronic\": { \"assumed\": [\"ratio\"], \"ratio\": \"0.70\",",
                 "$.basic.chronic.assumed");
  expect_invalid(from, "\"chronic\": { \"assumed\": [], \"ratio\": \"0.70\",",
                 "$.basic.chronic.assumed");
  expect_invalid(from, "\"chronic\": { \"assumed\": \"ratio\", \"ratio\": \"0.70\",",
                 "$.basic.chronic.assumed");
  expect_invalid("\"note\": \"second segment\"", "\"note\": \"x\", \"assumed\": [\"ratio\"]",
                 "$.critical_illness.segments[1].assumed");
  expect_invalid("\"year\": 2022,", "\"year\": 2022, \"assumed\": [\"year\"],", "$.assumed");
  /* a keyed table reads it as a region */
  expect_invalid("\"430500\": {", "\"assumed\": [\"default\"], \"430500\": {", "$.regions.assumed");
  /* the message is the one for any unknown key */
  char *text = mutate(from, "\"chronic\": { \"assumed\": [\"ratio\"], \"ratio\": \"0.70\",");
  sb_policy *p;
  sb_error err;
  assert_int_equal(load_text(text, &p, &err), SB_EINVAL);
  assert_non_null(strstr(err.msg, "unknown key 'assumed'"));
  free(text);
}

/* A policy a ledger stored before the marks moved into the notes: its
** "assumed" lists are read as the note prefix that replaced them, so an old
** ledger keeps its values and marks; a file with them is still refused. */
static void test_stored_assumed_upgraded(void **state) {
  (void)state;
  char *text = mutate("\"chronic\": { \"ratio\": \"0.70\",",
                      "\"chronic\": { \"assumed\": [\"ratio\", \"annual_cap\"], "
                      "\"note\": \"old text\", \"ratio\": \"0.70\",");
  sb_policy *p = NULL;
  sb_error err;
  sb_error_clear(&err);
  assert_int_equal(sb_policy_load_stored(text, strlen(text), FILE_NAME, &p, &err), SB_OK);
  const sb_policy_note *nt = find_note(p, "$.basic.chronic");
  assert_non_null(nt);
  assert_string_equal(nt->note, "ASSUMED(ratio, annual_cap): old text");
  assert_true(sb_policy_assumed(p, "$.basic.chronic", "ratio"));
  assert_true(sb_policy_assumed(p, "$.basic.chronic", "annual_cap"));
  sb_policy_free(p);
  assert_int_equal(load_text(text, &p, &err), SB_EINVAL);
  free(text);
  /* without a note: the prefix alone */
  text = mutate("\"chronic\": { \"ratio\": \"0.70\",",
                "\"chronic\": { \"assumed\": [\"ratio\"], \"ratio\": \"0.70\",");
  assert_int_equal(sb_policy_load_stored(text, strlen(text), FILE_NAME, &p, &err), SB_OK);
  assert_string_equal(find_note(p, "$.basic.chronic")->note, "ASSUMED(ratio):");
  assert_true(sb_policy_assumed(p, "$.basic.chronic", "ratio"));
  sb_policy_free(p);
  free(text);
  /* a list that is not one of strings is left, and refused as in a file */
  text = mutate("\"chronic\": { \"ratio\": \"0.70\",",
                "\"chronic\": { \"assumed\": \"ratio\", \"ratio\": \"0.70\",");
  assert_int_equal(sb_policy_load_stored(text, strlen(text), FILE_NAME, &p, &err), SB_EINVAL);
  assert_non_null(strstr(err.where, "$.basic.chronic.assumed"));
  free(text);
}

static void test_invalid_json_syntax_names_line(void **state) {
  (void)state;
  char *text = mutate("\"year\": 2022,", "\"year\": 2022,,");
  sb_policy *p;
  sb_error err;
  assert_int_equal(load_text(text, &p, &err), SB_EINVAL);
  assert_null(p);
  assert_int_equal(strncmp(err.where, FILE_NAME ":4:", strlen(FILE_NAME ":4:")), 0);
  free(text);
}

/* ---- lookups: the set of policies and the region deductible ------------ */

static void test_policy_set_refuses_second_policy_of_same_year(void **state) {
  (void)state;
  sb_policy_set set = {0};
  sb_policy *a = load_base(), *b = load_base();
  sb_policy *c = expect_valid("\"year\": 2022,", "\"year\": 2023,");
  assert_int_equal(sb_policy_set_add(&set, a), SB_OK);
  assert_int_equal(sb_policy_set_add(&set, b), SB_EINVAL);
  assert_int_equal(set.n, 1);
  assert_int_equal(sb_policy_set_add(&set, c), SB_OK);
  assert_int_equal(set.n, 2);
  assert_ptr_equal(sb_policy_set_find(&set, 2022), a);
  assert_ptr_equal(sb_policy_set_find(&set, 2023), c);
  assert_null(sb_policy_set_find(&set, 2021));
  assert_null(sb_policy_set_find(&set, 2024));
  sb_policy_free(b); /* refused: still the caller's */
  sb_policy_set_clear(&set);
  assert_int_equal(set.n, 0);
  assert_null(sb_policy_set_find(&set, 2022));
}

static void test_ci_deductible_county_prefecture_default_none(void **state) {
  (void)state;
  sb_policy *p = load_base();
  sb_fen t = -1;
  assert_int_equal(sb_policy_ci_deductible(p, 430225, &t), 0); /* its own county row */
  assert_int_equal(t, 900050);
  assert_int_equal(sb_policy_ci_deductible(p, 430521, &t), 0); /* prefecture 430500 */
  assert_int_equal(t, 1100000);
  assert_int_equal(sb_policy_ci_deductible(p, 430500, &t), 0); /* the prefecture code itself */
  assert_int_equal(t, 1100000);
  assert_int_equal(sb_policy_ci_deductible(p, 430599, &t), 0);
  assert_int_equal(t, 1100000);
  assert_int_equal(sb_policy_ci_deductible(p, 430221, &t), 0); /* 430200 has no row: default */
  assert_int_equal(t, 1500000);
  assert_int_equal(sb_policy_ci_deductible(p, 430601, &t), 0);
  assert_int_equal(t, 1500000);
  sb_policy_free(p);
  /* Without a default row, a region with no row of its own is unknown. */
  p = expect_valid("    \"default\": { \"ci_deductible\": \"15000\" },\n", "");
  assert_int_equal(p->n_regions, 2);
  t = -1;
  assert_int_equal(sb_policy_ci_deductible(p, 430601, &t), -1);
  assert_int_equal(sb_policy_ci_deductible(p, 430221, &t), -1);
  assert_int_equal(sb_policy_ci_deductible(p, 430521, &t), 0);
  assert_int_equal(t, 1100000);
  assert_int_equal(sb_policy_ci_deductible(p, 430225, &t), 0);
  assert_int_equal(t, 900050);
  sb_policy_free(p);
}

/* The memo answers as the policy does, whatever the order of the asks:
** every code of a sweep over the six-digit counties twice (the second
** time from the memo or after its slot was taken by a colliding code),
** then codes jumping about, some negative or past six digits. */
static void memo_agrees(const sb_policy *p) {
  sb_ci_memo m;
  memset(&m, 0, sizeof m);
  for (int round = 0; round < 2; round++)
    for (int32_t r = 429000; r < 432000; r += 7) {
      sb_fen want = -7, got = -7;
      int rc = sb_policy_ci_deductible(p, r, &want);
      assert_int_equal(sb_policy_ci_deductible_memo(p, &m, r, &got), rc);
      assert_int_equal(got, want);
    }
  uint32_t x = 12345;
  for (int i = 0; i < 100000; i++) {
    x = x * 1103515245u + 12345u;
    int32_t r = i % 3 ? 430000 + (int32_t)(x >> 16) % 1000 : (int32_t)x;
    sb_fen want = -7, got = -7;
    int rc = sb_policy_ci_deductible(p, r, &want);
    assert_int_equal(sb_policy_ci_deductible_memo(p, &m, r, &got), rc);
    assert_int_equal(got, want);
  }
}

static void test_ci_deductible_memo(void **state) {
  (void)state;
  sb_policy *p = load_base();
  memo_agrees(p);
  sb_policy_free(p);
  p = expect_valid("    \"default\": { \"ci_deductible\": \"15000\" },\n", ""); /* no default */
  memo_agrees(p);
  sb_policy_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hunan_2022_regions_and_basic),
      cmocka_unit_test(test_hunan_2022_critical_illness),
      cmocka_unit_test(test_hunan_2022_assistance_premium_monitoring),
      cmocka_unit_test(test_hunan_2022_notes_kept_with_source),
      cmocka_unit_test(test_reassistance_absent_or_null),
      cmocka_unit_test(test_reassistance_values),
      cmocka_unit_test(test_reassistance_invalid),
      cmocka_unit_test(test_load_file_missing_names_the_path),
      cmocka_unit_test(test_base_policy_values),
      cmocka_unit_test(test_base_policy_notes),
      cmocka_unit_test(test_optional_keys_may_be_absent),
      cmocka_unit_test(test_invalid_schema),
      cmocka_unit_test(test_invalid_year_not_an_integer),
      cmocka_unit_test(test_invalid_region_key),
      cmocka_unit_test(test_invalid_no_segments),
      cmocka_unit_test(test_invalid_last_upto_not_null),
      cmocka_unit_test(test_invalid_upto_not_increasing),
      cmocka_unit_test(test_invalid_ratio_above_one),
      cmocka_unit_test(test_invalid_negative_amount),
      cmocka_unit_test(test_invalid_missing_inpatient_level),
      cmocka_unit_test(test_invalid_unknown_category),
      cmocka_unit_test(test_invalid_unknown_visit_type),
      cmocka_unit_test(test_invalid_duplicate_rule_name),
      cmocka_unit_test(test_invalid_unknown_key),
      cmocka_unit_test(test_invalid_repeated_key),
      cmocka_unit_test(test_invalid_null_where_not_allowed),
      cmocka_unit_test(test_invalid_number_with_too_many_decimals),
      cmocka_unit_test(test_numbers_with_allowed_decimals_accepted),
      cmocka_unit_test(test_invalid_missing_required_key),
      cmocka_unit_test(test_invalid_source_not_a_string),
      cmocka_unit_test(test_assumed_values_kept),
      cmocka_unit_test(test_assumed_note_marks_keys),
      cmocka_unit_test(test_assumed_note_otherwise_just_text),
      cmocka_unit_test(test_assumed_key_refused),
      cmocka_unit_test(test_stored_assumed_upgraded),
      cmocka_unit_test(test_invalid_json_syntax_names_line),
      cmocka_unit_test(test_policy_set_refuses_second_policy_of_same_year),
      cmocka_unit_test(test_ci_deductible_county_prefecture_default_none),
      cmocka_unit_test(test_ci_deductible_memo),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
