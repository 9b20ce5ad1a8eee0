/*
** Unit tests: coverage (参保率, src/ledger/coverage.h) and 应保尽保
** reconciliation (src/ledger/reconcile.h), with hand-made inputs and
** exact expected rows; the store-facing wrappers against a scratch SQLite
** ledger.
**
** Rounding rule under test: coverage in basis points rounded half up,
** floor((2 * 10000 * insured + population) / (2 * population)), printed as
** a percentage with two decimals.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/persons_csv.h"
#include "ledger/coverage.h"
#include "ledger/ledger.h"
#include "ledger/reconcile.h"
#include "sanbao/date.h"
#include "sanbao/types.h"
#include "scratch.h"
#include "store/store.h"

/* ---- helpers ----------------------------------------------------------- */

/* The buffer's text, NUL-terminated. */
static const char *text(sb_buf *b) {
  if (sb_buf_put(b, "", 1)) fail_msg("out of memory");
  b->len--;
  return b->p;
}

typedef struct reports {
  int n;
  char where[16][128];
  char msg[16][512];
} reports;

static void on_report(void *ctx, const char *where, const char *msg) {
  reports *rs = ctx;
  if (rs->n < 16) {
    snprintf(rs->where[rs->n], sizeof rs->where[0], "%s", where);
    snprintf(rs->msg[rs->n], sizeof rs->msg[0], "%s", msg);
  }
  rs->n++;
}

static int starts(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static sb_registry *registry(const char *csv) {
  sb_registry *r = NULL;
  sb_error err;
  if (sb_persons_load_mem(csv, strlen(csv), "persons.csv", &r, NULL, NULL, &err))
    fail_msg("persons: %s: %s", err.where, err.msg);
  return r;
}

static void load_pop_ok(const char *csv, sb_coverage *cov) {
  sb_error err;
  if (sb_coverage_load_mem(csv, strlen(csv), "pop.csv", cov, NULL, NULL, &err))
    fail_msg("population: %s: %s", err.where, err.msg);
}

/* Load a population file that must fail on its first problem at `where`
** with a message starting with `msg`. */
static void pop_bad(const char *csv, const char *where, const char *msg) {
  sb_coverage cov;
  sb_error err;
  sb_error_clear(&err);
  int rc = sb_coverage_load_mem(csv, strlen(csv), "pop.csv", &cov, NULL, NULL, &err);
  assert_int_equal(rc, SB_EINVAL);
  assert_string_equal(err.where, where);
  if (!starts(err.msg, msg)) fail_msg("message '%s' does not start with '%s'", err.msg, msg);
  assert_null(cov.areas);
  assert_int_equal(cov.n, 0);
}

static void load_list_ok(const char *csv, sb_needy_list *l) {
  sb_error err;
  if (sb_needy_list_load_mem(csv, strlen(csv), "list.csv", l, NULL, NULL, &err))
    fail_msg("list: %s: %s", err.where, err.msg);
}

static void list_bad(const char *csv, const char *where, const char *msg) {
  sb_needy_list l;
  sb_error err;
  sb_error_clear(&err);
  int rc = sb_needy_list_load_mem(csv, strlen(csv), "list.csv", &l, NULL, NULL, &err);
  assert_int_equal(rc, SB_EINVAL);
  assert_string_equal(err.where, where);
  if (!starts(err.msg, msg)) fail_msg("message '%s' does not start with '%s'", err.msg, msg);
  assert_null(l.rows);
  assert_int_equal(l.n, 0);
}

static sb_enrollment E(const char *id, int cat) {
  sb_enrollment e = {id, strlen(id), 2022, cat, 32000, 0, 32000, 0};
  return e;
}

/* ---- coverage: arithmetic ------------------------------------------------ */

static void test_bp_rounds_half_up(void **state) {
  (void)state;
  assert_int_equal(sb_coverage_bp(9650, 10000), 9650);
  assert_int_equal(sb_coverage_bp(1, 32), 313);  /* 312.5 bp: half up */
  assert_int_equal(sb_coverage_bp(1, 16), 625);  /* exact */
  assert_int_equal(sb_coverage_bp(1, 3), 3333);  /* 3333.33 */
  assert_int_equal(sb_coverage_bp(2, 3), 6667);  /* 6666.67 */
  assert_int_equal(sb_coverage_bp(1, 20001), 0); /* 0.49995 bp */
  assert_int_equal(sb_coverage_bp(1, 20000), 1); /* 0.5 bp: half up */
  assert_int_equal(sb_coverage_bp(0, 5), 0);
  assert_int_equal(sb_coverage_bp(5, 5), 10000);
  assert_int_equal(sb_coverage_bp(103, 100), 10300); /* above 100% is kept */
  assert_int_equal(sb_coverage_bp(94996, 100000), 9500);
  assert_int_equal(sb_coverage_bp(3, 0), 0);
  /* the largest inputs stay exact */
  assert_int_equal(sb_coverage_bp(INT32_MAX, SB_COVERAGE_MAX_POPULATION), 2147);
  assert_int_equal(sb_coverage_bp(SB_COVERAGE_MAX_POPULATION, SB_COVERAGE_MAX_POPULATION), 10000);
}

static void test_below_goal_is_exact(void **state) {
  (void)state;
  assert_true(sb_coverage_below_goal(94996, 100000)); /* printed 95.00, yet under */
  assert_false(sb_coverage_below_goal(95, 100));
  assert_false(sb_coverage_below_goal(96, 100));
  assert_true(sb_coverage_below_goal(0, 1));
  assert_true(sb_coverage_below_goal(18, 19));  /* 94.74% */
  assert_false(sb_coverage_below_goal(19, 20)); /* 95.00% exactly */
}

static void test_pct_format(void **state) {
  (void)state;
  char b[SB_PCT_BUFSZ];
  sb_coverage_pct(9650, b);
  assert_string_equal(b, "96.50");
  sb_coverage_pct(5, b);
  assert_string_equal(b, "0.05");
  sb_coverage_pct(0, b);
  assert_string_equal(b, "0.00");
  sb_coverage_pct(10000, b);
  assert_string_equal(b, "100.00");
  sb_coverage_pct(10300, b);
  assert_string_equal(b, "103.00");
  sb_coverage_pct(313, b);
  assert_string_equal(b, "3.13");
}

/* ---- coverage: the population file and counting -------------------------- */

static void test_population_rows_order_and_all(void **state) {
  (void)state;
  sb_coverage cov;
  /* counties before prefectures in the file, an extra column, CRLF */
  load_pop_ok("population,region,note\r\n"
              "32,430225,炎陵县\r\n"
              "9,430100,长沙市\r\n"
              "7,430223,攸县\r\n"
              "7,430121,长沙县\r\n"
              "100,430200,株洲市\r\n",
              &cov);
  assert_int_equal(cov.n, 5);
  /* prefectures by code, then counties by code */
  assert_int_equal(cov.areas[0].region, 430100);
  assert_int_equal(cov.areas[1].region, 430200);
  assert_int_equal(cov.areas[2].region, 430121);
  assert_int_equal(cov.areas[3].region, 430223);
  assert_int_equal(cov.areas[4].region, 430225);
  assert_true(cov.areas[0].prefecture && cov.areas[1].prefecture);
  assert_false(cov.areas[2].prefecture);
  assert_int_equal(cov.areas[2].line, 5);
  /* every county lies in a listed prefecture: `all` = 9 + 100 */
  assert_int_equal(cov.population, 109);
  sb_coverage_free(&cov);

  /* counties of unlisted prefectures count in `all` themselves */
  load_pop_ok("region,population\n430225,32\n430100,9\n430223,7\n430121,7\n", &cov);
  assert_int_equal(cov.population, 9 + 32 + 7);
  sb_coverage_free(&cov);
}

static void test_population_counting_and_csv(void **state) {
  (void)state;
  sb_coverage cov;
  load_pop_ok("region,population\n430225,32\n430100,9\n430223,7\n430121,7\n", &cov);
  sb_coverage_add(&cov, 430225); /* county listed, prefecture 430200 not */
  sb_coverage_add(&cov, 430225);
  sb_coverage_add(&cov, 430225);
  sb_coverage_add(&cov, 430102); /* prefecture listed, county not */
  sb_coverage_add(&cov, 430102);
  sb_coverage_add(&cov, 430102);
  sb_coverage_add(&cov, 430121); /* both */
  sb_coverage_add(&cov, 430121);
  sb_coverage_add(&cov, 430121);
  sb_coverage_add(&cov, 430302); /* neither */
  assert_int_equal(cov.enrolled, 10);
  assert_int_equal(cov.insured, 9);
  assert_int_equal(cov.outside, 1);
  sb_buf b = {0};
  sb_error err;
  assert_int_equal(sb_coverage_csv(&cov, &b, &err), SB_OK);
  assert_string_equal(text(&b), "scope,population,insured,coverage\n"
                                "all,48,9,18.75\n"
                                "prefecture:430100,9,6,66.67\n"
                                "county:430121,7,3,42.86\n"
                                "county:430223,7,0,0.00\n"
                                "county:430225,32,3,9.38\n");
  sb_buf_free(&b);
  sb_coverage_free(&cov);
}

static void test_population_prefecture_code_is_not_a_county(void **state) {
  (void)state;
  sb_coverage cov;
  load_pop_ok("region,population\n430200,10\n", &cov);
  sb_coverage_add(&cov, 430200); /* a person registered at a prefecture code */
  assert_int_equal(cov.areas[0].insured, 1);
  assert_int_equal(cov.insured, 1);
  sb_coverage_free(&cov);
}

static void test_population_bad_lines(void **state) {
  (void)state;
  pop_bad("region,population\n43022,10\n", "pop.csv:2", "region: must be 6 ASCII digits");
  pop_bad("region,population\n430225,10\n43022x,10\n", "pop.csv:3", "region: must be 6");
  pop_bad("region,population\n 430225,10\n", "pop.csv:2", "region: must be 6");
  pop_bad("region,population\n430000,10\n", "pop.csv:2", "region: 430000 is a province code");
  pop_bad("region,population\n430225,10\n430223,5\n430225,3\n", "pop.csv:4",
          "region: 430225 is listed twice (first on line 2)");
  pop_bad("region,population\n430225,0\n", "pop.csv:2", "population: must be a whole number");
  pop_bad("region,population\n430225,\n", "pop.csv:2", "population: must be a whole number");
  pop_bad("region,population\n430225,-5\n", "pop.csv:2", "population: must be a whole number");
  pop_bad("region,population\n430225,1.5\n", "pop.csv:2", "population: must be a whole number");
  pop_bad("region,population\n430225, 5\n", "pop.csv:2", "population: must be a whole number");
  pop_bad("region,population\n430225,10000000000\n", "pop.csv:2",
          "population: must be a whole number");
  pop_bad("region,population\n430225,10,x\n", "pop.csv:2", "wrong field count");
  pop_bad("region,population\n430225,1\"0\n", "pop.csv:2", "bad quoting");
  pop_bad("region,population\n430200,10\n430225,6\n430223,5\n", "pop.csv:2",
          "population: 10 is less than the 11 of the prefecture's listed counties");
  pop_bad("region,population\n", "pop.csv", "no region is listed");
  pop_bad("", "pop.csv", "empty file");
  pop_bad("region,pop\n430225,10\n", "pop.csv:1",
          "required column 'population' is missing from the header");
  pop_bad("region,population,region\n430225,10,430225\n", "pop.csv:1",
          "column 'region' appears twice");
  /* the largest population is valid; leading zeros are digits */
  sb_coverage cov;
  load_pop_ok("region,population\n430225,9999999999\n430223,007\n", &cov);
  assert_int_equal(cov.population, INT64_C(9999999999) + 7);
  sb_coverage_free(&cov);
}

static void test_population_reports_every_bad_line(void **state) {
  (void)state;
  reports rs = {0};
  sb_coverage cov;
  sb_error err;
  const char *csv = "region,population\nabc,1\n430225,10\n430223,x\n430225,3\n";
  int rc = sb_coverage_load_mem(csv, strlen(csv), "pop.csv", &cov, on_report, &rs, &err);
  assert_int_equal(rc, SB_EINVAL);
  assert_int_equal(rs.n, 3);
  assert_string_equal(rs.where[0], "pop.csv:2");
  assert_true(starts(rs.msg[0], "region:"));
  assert_string_equal(rs.where[1], "pop.csv:4");
  assert_true(starts(rs.msg[1], "population:"));
  assert_string_equal(rs.where[2], "pop.csv:5");
  assert_true(starts(rs.msg[2], "region: 430225 is listed twice"));
  assert_string_equal(err.where, "pop.csv:2"); /* the first */
}

static void test_population_missing_file(void **state) {
  (void)state;
  sb_coverage cov;
  sb_error err;
  assert_int_equal(sb_coverage_load("/nonexistent/pop.csv", &cov, NULL, NULL, &err), SB_EIO);
  assert_string_equal(err.where, "/nonexistent/pop.csv");
}

/* ---- reconcile: the list ------------------------------------------------- */

static void test_list_load(void **state) {
  (void)state;
  sb_needy_list l;
  /* columns in another order, an extra column, a quoted household */
  load_list_ok("category,name,person_id,household_id\n"
               "min_living,张三,P02,H1\n"
               "monitored,李四,P05,\"H,9\"\n",
               &l);
  assert_int_equal(l.n, 2);
  assert_int_equal(l.rows[0].category, SB_CAT_MIN_LIVING);
  assert_int_equal(l.rows[1].line, 3);
  assert_int_equal(l.rows[1].hh_len, 3);
  assert_memory_equal(l.text.p + l.rows[1].hh_off, "H,9", 3);
  assert_int_equal(sb_needy_list_find(&l, "P05", 3), 1);
  assert_int_equal(sb_needy_list_find(&l, "P0", 2), -1);
  assert_int_equal(l.categories, (1u << SB_CAT_MIN_LIVING) | (1u << SB_CAT_MONITORED));
  sb_needy_list_free(&l);

  /* a header-only list is valid */
  load_list_ok("person_id,household_id,category\n", &l);
  assert_int_equal(l.n, 0);
  assert_int_equal(sb_needy_list_find(&l, "P1", 2), -1);
  sb_needy_list_free(&l);

  /* many rows: the hash grows */
  sb_buf b = {0};
  sb_buf_put(&b, "person_id,household_id,category\n", 32);
  for (int i = 0; i < 1000; i++) {
    char line[64];
    int n = snprintf(line, sizeof line, "P%d,H%d,destitute\n", i, i / 3);
    sb_buf_put(&b, line, (size_t)n);
  }
  assert_int_equal(sb_needy_list_load_mem(b.p, b.len, "big.csv", &l, NULL, NULL, NULL), SB_OK);
  assert_int_equal(l.n, 1000);
  for (int i = 0; i < 1000; i++) {
    char id[16];
    int n = snprintf(id, sizeof id, "P%d", i);
    assert_int_equal(sb_needy_list_find(&l, id, (size_t)n), i);
  }
  sb_needy_list_free(&l);
  sb_buf_free(&b);
}

static void test_list_bad_lines(void **state) {
  (void)state;
  const char *h = "person_id,household_id,category\n";
  char csv[512];
  snprintf(csv, sizeof csv, "%sP1,H1,destitute\nP2,H2,poor\n", h);
  list_bad(csv, "list.csv:3", "category: unknown category 'poor'");
  snprintf(csv, sizeof csv, "%sP1,H1,Destitute\n", h);
  list_bad(csv, "list.csv:2", "category: unknown category 'Destitute'");
  snprintf(csv, sizeof csv, "%sP1,H1,destitute\nP2,H2,min_living\nP1,H3,monitored\n", h);
  list_bad(csv, "list.csv:4", "person_id: listed twice (first on line 2)");
  snprintf(csv, sizeof csv, "%sP1,,destitute\n", h);
  list_bad(csv, "list.csv:2", "household_id: must not be empty");
  snprintf(csv, sizeof csv, "%s,H1,destitute\n", h);
  list_bad(csv, "list.csv:2", "person_id: must be 1 to 64 bytes");
  snprintf(csv, sizeof csv, "%s%s,H1,destitute\n", h,
           "12345678901234567890123456789012345678901234567890123456789012345");
  list_bad(csv, "list.csv:2", "person_id: must be 1 to 64 bytes");
  snprintf(csv, sizeof csv, "%s\"P\t1\",H1,destitute\n", h);
  list_bad(csv, "list.csv:2", "person_id: holds a control character");
  snprintf(csv, sizeof csv, "%sP1,H1\n", h);
  list_bad(csv, "list.csv:2", "wrong field count: 2 fields where the header has 3");
  snprintf(csv, sizeof csv, "%sP1,H\"1,destitute\n", h);
  list_bad(csv, "list.csv:2", "bad quoting");
  list_bad("person_id,category\nP1,destitute\n", "list.csv:1",
           "required column 'household_id' is missing from the header");
  list_bad("", "list.csv", "empty file");

  /* every bad line is reported, the first one is returned */
  reports rs = {0};
  sb_needy_list l;
  sb_error err;
  snprintf(csv, sizeof csv, "%sP1,,x\nP2,H2,general\nP2,H2,general\n", h);
  assert_int_equal(sb_needy_list_load_mem(csv, strlen(csv), "list.csv", &l, on_report, &rs, &err),
                   SB_EINVAL);
  assert_int_equal(rs.n, 3);
  assert_string_equal(rs.where[0], "list.csv:2");
  assert_true(starts(rs.msg[0], "household_id:"));
  assert_string_equal(rs.where[1], "list.csv:2");
  assert_true(starts(rs.msg[1], "category:"));
  assert_string_equal(rs.where[2], "list.csv:4");
  assert_true(starts(rs.msg[2], "person_id: listed twice"));
  assert_string_equal(err.where, "list.csv:2");
  assert_true(starts(err.msg, "household_id:"));
}

/* ---- reconcile: the comparison ------------------------------------------- */

static const char PERSONS[] = "person_id,household_id,region,category,valid_from,valid_to\n"
                              "P01,H1,430225,general,,\n"
                              "P02,H1,430225,min_living,,\n"
                              "P03,H2,430225,general,,\n"
                              "P04,H3,430223,general,2022-01-01,\n"
                              "P05,H4,430102,monitored,,\n"
                              "P06,H5,430102,destitute,,\n"
                              "P07,H5,430102,destitute,,\n"
                              "P08,H7,430121,destitute,,\n"
                              "P09,H8,430121,relapsed,,\n"
                              "P10,H8,430121,min_living,,\n"
                              "P1,H8,430121,min_living,,\n";

static const char LIST[] = "person_id,household_id,category\n"
                           "P02,H1,min_living\n"
                           "P03,H2,min_living\n"
                           "X99,H0,monitored\n"
                           "P04,H33,monitored\n"
                           "P05,\"H,9\",monitored\n"
                           "P06,H6,min_living\n"
                           "P08,H7,destitute\n";

/* The enrollments of 2022 as of 2021-10-01 (P04 is not insured then),
** deliberately not in person_id order, plus one person the registry lacks. */
static void enrollments(sb_enrollment *e, size_t *n) {
  size_t k = 0;
  e[k++] = E("P10", SB_CAT_MIN_LIVING);
  e[k++] = E("P01", SB_CAT_GENERAL);
  e[k++] = E("P02", SB_CAT_MIN_LIVING);
  e[k++] = E("P03", SB_CAT_GENERAL);
  e[k++] = E("P05", SB_CAT_MONITORED);
  e[k++] = E("P06", SB_CAT_DESTITUTE);
  e[k++] = E("P07", SB_CAT_DESTITUTE);
  e[k++] = E("P08", SB_CAT_DESTITUTE);
  e[k++] = E("P09", SB_CAT_RELAPSED);
  e[k++] = E("P1", SB_CAT_MIN_LIVING);
  e[k++] = E("Z9", SB_CAT_MIN_LIVING); /* enrolled, not registered */
  *n = k;
}

static void test_reconcile_every_finding(void **state) {
  (void)state;
  sb_registry *reg = registry(PERSONS);
  sb_needy_list l;
  load_list_ok(LIST, &l);
  sb_enrollment e[16];
  size_t n;
  enrollments(e, &n);
  sb_buf b = {0};
  sb_reconcile_summary s;
  sb_error err;
  assert_int_equal(sb_reconcile(&l, reg, e, n, SB_AUTHORITY_FROM_LIST, &b, &s, &err), SB_OK);
  assert_string_equal(text(&b), "person_id,household_id,list_category,ledger_category,finding\n"
                                "P03,H2,min_living,general,CATEGORY_DIFFERS\n"
                                "X99,H0,monitored,,UNKNOWN_PERSON\n"
                                "P04,H33,monitored,,NOT_ENROLLED\n"
                                "P04,H33,monitored,,HOUSEHOLD_DIFFERS\n"
                                "P05,\"H,9\",monitored,monitored,HOUSEHOLD_DIFFERS\n"
                                "P06,H6,min_living,destitute,CATEGORY_DIFFERS\n"
                                "P06,H6,min_living,destitute,HOUSEHOLD_DIFFERS\n"
                                /* byte order: P07 < P1 < P10 < Z9; relapsed P09 is not
                                ** a category of this list */
                                "P07,H5,,destitute,NOT_ON_LIST\n"
                                "P1,H8,,min_living,NOT_ON_LIST\n"
                                "P10,H8,,min_living,NOT_ON_LIST\n"
                                "Z9,,,min_living,NOT_ON_LIST\n");
  assert_int_equal(s.list_rows, 7);
  assert_int_equal(s.enrolled, 11);
  assert_int_equal(s.findings, 11);
  assert_int_equal(s.by_finding[SB_FIND_UNKNOWN_PERSON], 1);
  assert_int_equal(s.by_finding[SB_FIND_NOT_ENROLLED], 1);
  assert_int_equal(s.by_finding[SB_FIND_CATEGORY_DIFFERS], 2);
  assert_int_equal(s.by_finding[SB_FIND_HOUSEHOLD_DIFFERS], 3);
  assert_int_equal(s.by_finding[SB_FIND_NOT_ON_LIST], 4);
  assert_int_equal(s.authority,
                   (1u << SB_CAT_DESTITUTE) | (1u << SB_CAT_MIN_LIVING) | (1u << SB_CAT_MONITORED));
  sb_buf_free(&b);
  sb_needy_list_free(&l);
  sb_registry_free(reg);
}

static void test_reconcile_authority(void **state) {
  (void)state;
  sb_registry *reg = registry(PERSONS);
  sb_needy_list l;
  load_list_ok(LIST, &l);
  sb_enrollment e[16];
  size_t n;
  enrollments(e, &n);
  sb_buf b = {0};
  sb_reconcile_summary s;
  const char *head = "person_id,household_id,list_category,ledger_category,finding\n"
                     "P03,H2,min_living,general,CATEGORY_DIFFERS\n"
                     "X99,H0,monitored,,UNKNOWN_PERSON\n"
                     "P04,H33,monitored,,NOT_ENROLLED\n"
                     "P04,H33,monitored,,HOUSEHOLD_DIFFERS\n"
                     "P05,\"H,9\",monitored,monitored,HOUSEHOLD_DIFFERS\n"
                     "P06,H6,min_living,destitute,CATEGORY_DIFFERS\n"
                     "P06,H6,min_living,destitute,HOUSEHOLD_DIFFERS\n";
  char want[2048];

  /* relapsed only (a rural-revitalisation list's) */
  assert_int_equal(sb_reconcile(&l, reg, e, n, 1 << SB_CAT_RELAPSED, &b, &s, NULL), SB_OK);
  snprintf(want, sizeof want, "%sP09,H8,,relapsed,NOT_ON_LIST\n", head);
  assert_string_equal(text(&b), want);
  assert_int_equal(s.authority, 1u << SB_CAT_RELAPSED);
  b.len = 0;

  /* none: list rows only; non-needy bits are ignored */
  assert_int_equal(sb_reconcile(&l, reg, e, n, 1 << SB_CAT_GENERAL, &b, &s, NULL), SB_OK);
  assert_string_equal(text(&b), head);
  assert_int_equal(s.authority, 0);
  assert_int_equal(s.findings, 7);
  sb_buf_free(&b);
  sb_needy_list_free(&l);
  sb_registry_free(reg);
}

static void test_reconcile_clean(void **state) {
  (void)state;
  sb_registry *reg = registry(PERSONS);
  sb_needy_list l;
  load_list_ok("person_id,household_id,category\nP06,H5,destitute\nP07,H5,destitute\n"
               "P08,H7,destitute\n",
               &l);
  sb_enrollment e[16];
  size_t n;
  enrollments(e, &n);
  sb_buf b = {0};
  sb_reconcile_summary s;
  assert_int_equal(sb_reconcile(&l, reg, e, n, SB_AUTHORITY_FROM_LIST, &b, &s, NULL), SB_OK);
  assert_string_equal(text(&b), "person_id,household_id,list_category,ledger_category,finding\n");
  assert_int_equal(s.findings, 0);
  b.len = 0;

  /* nobody enrolled: every registered person on the list is NOT_ENROLLED */
  assert_int_equal(sb_reconcile(&l, reg, NULL, 0, SB_AUTHORITY_FROM_LIST, &b, &s, NULL), SB_OK);
  assert_string_equal(text(&b), "person_id,household_id,list_category,ledger_category,finding\n"
                                "P06,H5,destitute,,NOT_ENROLLED\n"
                                "P07,H5,destitute,,NOT_ENROLLED\n"
                                "P08,H7,destitute,,NOT_ENROLLED\n");
  sb_buf_free(&b);
  sb_needy_list_free(&l);
  sb_registry_free(reg);
}

static void test_finding_names(void **state) {
  (void)state;
  assert_string_equal(sb_finding_name(SB_FIND_UNKNOWN_PERSON), "UNKNOWN_PERSON");
  assert_string_equal(sb_finding_name(SB_FIND_NOT_ENROLLED), "NOT_ENROLLED");
  assert_string_equal(sb_finding_name(SB_FIND_CATEGORY_DIFFERS), "CATEGORY_DIFFERS");
  assert_string_equal(sb_finding_name(SB_FIND_HOUSEHOLD_DIFFERS), "HOUSEHOLD_DIFFERS");
  assert_string_equal(sb_finding_name(SB_FIND_NOT_ON_LIST), "NOT_ON_LIST");
  assert_string_equal(sb_finding_name(SB_FIND_COUNT), "?");
  assert_string_equal(sb_finding_name(-1), "?");
}

/* ---- against a scratch ledger -------------------------------------------- */

typedef struct scratch {
  scratch_dir d;
  sb_store *st;
} scratch;

static sb_date D(const char *s) {
  sb_date d = 0;
  if (sb_date_parse(s, strlen(s), &d)) fail_msg("bad test date %s", s);
  return d;
}

static void put_person(sb_store *st, const char *id, const char *hh, int32_t region, int cat) {
  sb_error err;
  if (st->ops->person_put(st, id, strlen(id), hh, strlen(hh), region, &err) ||
      st->ops->interval_put(st, id, strlen(id), cat, SB_DATE_MIN, SB_DATE_MAX, &err))
    fail_msg("put %s: %s", id, err.msg);
}

static void enroll(sb_store *st, const char *id, int year, int cat) {
  sb_error err;
  sb_enrollment e = {id, strlen(id), year, cat, 32000, 0, 32000, D("2021-10-01")};
  if (st->ops->enrollment_put(st, &e, &err)) fail_msg("enroll %s: %s", id, err.msg);
}

static int scratch_setup(void **state) {
  scratch *s = calloc(1, sizeof *s);
  if (!s) return -1;
  sb_error err;
  if (scratch_make(&s->d, "sbcov", "ledger.db") ||
      sb_store_sqlite_open(s->d.path, 1, &s->st, &err)) {
    free(s);
    return -1;
  }
  *state = s;
  return 0;
}

static int scratch_teardown(void **state) {
  scratch *s = *state;
  if (s->st) s->st->ops->close(s->st);
  scratch_remove(&s->d);
  free(s);
  return 0;
}

static void test_store_wrappers(void **state) {
  scratch *s = *state;
  sb_store *st = s->st;
  sb_error err;
  int years[4], ny;

  /* no policy, no enrollment */
  assert_int_equal(sb_enrolled_years(st, years, 4, &ny, &err), SB_OK);
  assert_int_equal(ny, 0);

  /* a stored policy text is only read back, never parsed, by these wrappers */
  const char *json = "{}";
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  assert_int_equal(st->ops->policy_put(st, 2022, "t", json, 0, &err), SB_OK);
  assert_int_equal(st->ops->policy_put(st, 2023, "t", json, 0, &err), SB_OK);
  assert_int_equal(st->ops->policy_put(st, 2021, "t", json, 0, &err), SB_OK);
  put_person(st, "A1", "H1", 430225, SB_CAT_GENERAL);
  put_person(st, "A2", "H1", 430225, SB_CAT_MIN_LIVING);
  put_person(st, "A3", "H2", 430121, SB_CAT_DESTITUTE);
  put_person(st, "A4", "H3", 430302, SB_CAT_GENERAL);
  enroll(st, "A1", 2022, SB_CAT_GENERAL);
  enroll(st, "A3", 2022, SB_CAT_DESTITUTE);
  enroll(st, "A4", 2022, SB_CAT_GENERAL);
  enroll(st, "GONE", 2022, SB_CAT_MIN_LIVING); /* not in the registry */
  assert_int_equal(st->ops->commit(st, &err), SB_OK);

  assert_int_equal(sb_enrolled_years(st, years, 4, &ny, &err), SB_OK);
  assert_int_equal(ny, 1);
  assert_int_equal(years[0], 2022);
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  enroll(st, "A1", 2023, SB_CAT_GENERAL);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  assert_int_equal(sb_enrolled_years(st, years, 1, &ny, &err), SB_OK);
  assert_int_equal(ny, 2); /* counted beyond `max` */
  assert_int_equal(years[0], 2022);
  assert_int_equal(sb_enrolled_years(st, years, 4, &ny, &err), SB_OK);
  assert_int_equal(years[1], 2023);

  /* coverage of 2022 */
  sb_registry *reg = NULL;
  assert_int_equal(sb_ledger_registry(st, &reg, &err), SB_OK);
  sb_coverage cov;
  load_pop_ok("region,population\n430225,4\n430100,3\n", &cov);
  assert_int_equal(sb_coverage_count_year(&cov, st, reg, 2022, &err), SB_OK);
  assert_int_equal(cov.enrolled, 4);
  assert_int_equal(cov.insured, 2);
  assert_int_equal(cov.outside, 2);
  assert_int_equal(cov.unregistered, 1);
  sb_buf b = {0};
  assert_int_equal(sb_coverage_csv(&cov, &b, &err), SB_OK);
  assert_string_equal(text(&b), "scope,population,insured,coverage\n"
                                "all,7,2,28.57\n"
                                "prefecture:430100,3,1,33.33\n"
                                "county:430225,4,1,25.00\n");
  sb_coverage_free(&cov);
  sb_registry_free(reg);

  /* reconcile 2022 */
  sb_needy_list l;
  load_list_ok("person_id,household_id,category\nA2,H1,min_living\nA3,H2,min_living\n", &l);
  sb_reconcile_summary sum;
  b.len = 0;
  assert_int_equal(sb_reconcile_year(st, 2022, &l, SB_AUTHORITY_FROM_LIST, &b, &sum, &err), SB_OK);
  assert_string_equal(text(&b), "person_id,household_id,list_category,ledger_category,finding\n"
                                "A2,H1,min_living,,NOT_ENROLLED\n"
                                "A3,H2,min_living,destitute,CATEGORY_DIFFERS\n"
                                "GONE,,,min_living,NOT_ON_LIST\n");
  assert_int_equal(sum.enrolled, 4);
  b.len = 0;
  /* a year without enrollments */
  assert_int_equal(sb_reconcile_year(st, 2021, &l, SB_AUTHORITY_FROM_LIST, &b, &sum, &err), SB_OK);
  assert_string_equal(text(&b), "person_id,household_id,list_category,ledger_category,finding\n"
                                "A2,H1,min_living,,NOT_ENROLLED\n"
                                "A3,H2,min_living,,NOT_ENROLLED\n");
  assert_int_equal(sum.enrolled, 0);
  sb_buf_free(&b);
  sb_needy_list_free(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bp_rounds_half_up),
      cmocka_unit_test(test_below_goal_is_exact),
      cmocka_unit_test(test_pct_format),
      cmocka_unit_test(test_population_rows_order_and_all),
      cmocka_unit_test(test_population_counting_and_csv),
      cmocka_unit_test(test_population_prefecture_code_is_not_a_county),
      cmocka_unit_test(test_population_bad_lines),
      cmocka_unit_test(test_population_reports_every_bad_line),
      cmocka_unit_test(test_population_missing_file),
      cmocka_unit_test(test_list_load),
      cmocka_unit_test(test_list_bad_lines),
      cmocka_unit_test(test_reconcile_every_finding),
      cmocka_unit_test(test_reconcile_authority),
      cmocka_unit_test(test_reconcile_clean),
      cmocka_unit_test(test_finding_names),
      cmocka_unit_test_setup_teardown(test_store_wrappers, scratch_setup, scratch_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
