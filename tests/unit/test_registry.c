/*
** Unit tests: the person registry (include/sanbao/registry.h) and the
** persons.csv loader (src/io/persons_csv.h, docs/reference/formats.md §2).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/persons_csv.h"
#include "sanbao/date.h"
#include "sanbao/registry.h"
#include "sanbao/types.h"

/* ---- helpers ----------------------------------------------------------- */

static sb_date D(const char *s) {
  sb_date d = 0;
  if (sb_date_parse(s, strlen(s), &d)) fail_msg("bad test date %s", s);
  return d;
}

static void add(sb_registry *r, const char *id, const char *hh, int32_t region, sb_date from,
                sb_date to, int cat, int line) {
  sb_interval iv = {from, to, cat, line};
  sb_error err;
  int rc = sb_registry_add(r, id, strlen(id), hh, strlen(hh), region, &iv, &err);
  if (rc != SB_OK) fail_msg("add %s: %s", id, err.msg);
}

static int32_t find(const sb_registry *r, const char *id) {
  return sb_registry_find(r, id, strlen(id));
}

/* Reports collected from sb_registry_finish() or the loader. */
typedef struct report {
  char where[256];
  char msg[512];
  int line;
} report;

typedef struct reports {
  int n;
  report items[64];
} reports;

static void on_finish(void *ctx, int line, const char *msg) {
  reports *rs = ctx;
  if (rs->n < 64) {
    rs->items[rs->n].line = line;
    snprintf(rs->items[rs->n].msg, sizeof rs->items[rs->n].msg, "%s", msg);
    rs->items[rs->n].where[0] = 0;
  }
  rs->n++;
}

static void on_report(void *ctx, const char *where, const char *msg) {
  reports *rs = ctx;
  if (rs->n < 64) {
    snprintf(rs->items[rs->n].where, sizeof rs->items[rs->n].where, "%s", where);
    snprintf(rs->items[rs->n].msg, sizeof rs->items[rs->n].msg, "%s", msg);
    rs->items[rs->n].line = 0;
  }
  rs->n++;
}

/* Load a persons text that must be valid. */
static sb_registry *load_ok(const char *text) {
  sb_registry *r = NULL;
  reports rs = {0};
  sb_error err;
  sb_error_clear(&err);
  int rc = sb_persons_load_mem(text, strlen(text), "persons.csv", &r, on_report, &rs, &err);
  if (rc != SB_OK)
    fail_msg("load failed: %s: %s (first report: %s %s)", err.where, err.msg,
             rs.n ? rs.items[0].where : "-", rs.n ? rs.items[0].msg : "-");
  assert_int_equal(rs.n, 0);
  assert_non_null(r);
  return r;
}

/* Load a text that must fail; the reports land in *rs. */
static void load_bad(const char *text, reports *rs, sb_error *err) {
  sb_registry *r = NULL;
  memset(rs, 0, sizeof *rs);
  sb_error_clear(err);
  int rc = sb_persons_load_mem(text, strlen(text), "persons.csv", &r, on_report, rs, err);
  assert_int_equal(rc, SB_EINVAL);
  assert_null(r); /* nothing returned */
}

/* The report whose where is exactly "persons.csv:LINE" and whose message
** contains `needle`; fail when there is none. */
static void expect_report(const reports *rs, int line, const char *needle) {
  char where[64];
  snprintf(where, sizeof where, "persons.csv:%d", line);
  for (int i = 0; i < rs->n && i < 64; i++)
    if (strcmp(rs->items[i].where, where) == 0 && strstr(rs->items[i].msg, needle)) return;
  fprintf(stderr, "reports:\n");
  for (int i = 0; i < rs->n && i < 64; i++)
    fprintf(stderr, "  %s: %s\n", rs->items[i].where, rs->items[i].msg);
  fail_msg("no report at %s mentioning '%s'", where, needle);
}

static int reports_at(const reports *rs, int line) {
  char where[64];
  snprintf(where, sizeof where, "persons.csv:%d", line);
  int k = 0;
  for (int i = 0; i < rs->n && i < 64; i++)
    if (strcmp(rs->items[i].where, where) == 0) k++;
  return k;
}

/* ---- the registry ------------------------------------------------------ */

static void test_registry_interns_ids_in_first_appearance_order(void **state) {
  (void)state;
  sb_registry *r = sb_registry_new();
  assert_non_null(r);
  assert_int_equal(sb_registry_count(r), 0);
  add(r, "p1", "h1", 430225, D("2022-01-01"), D("2022-03-31"), SB_CAT_GENERAL, 2);
  add(r, "p2", "h1", 430225, SB_DATE_MIN, SB_DATE_MAX, SB_CAT_DESTITUTE, 3);
  add(r, "p1", "h1", 430225, D("2022-04-01"), SB_DATE_MAX, SB_CAT_MIN_LIVING, 4);
  add(r, "p0", "h9", 430500, SB_DATE_MIN, SB_DATE_MAX, SB_CAT_LIFTED, 5);
  assert_int_equal(sb_registry_finish(r, NULL, NULL), 0);
  assert_int_equal(sb_registry_count(r), 3);
  assert_int_equal(find(r, "p1"), 0);
  assert_int_equal(find(r, "p2"), 1);
  assert_int_equal(find(r, "p0"), 2);
  size_t len = 0;
  const char *id = sb_registry_id(r, 2, &len);
  assert_int_equal(len, 2);
  assert_memory_equal(id, "p0", 2);
  const char *hh = sb_registry_household(r, 2, &len);
  assert_int_equal(len, 2);
  assert_memory_equal(hh, "h9", 2);
  assert_int_equal(sb_registry_region(r, 0), 430225);
  assert_int_equal(sb_registry_region(r, 2), 430500);
  int n = 0;
  sb_registry_intervals(r, 0, &n);
  assert_int_equal(n, 2);
  sb_registry_intervals(r, 1, &n);
  assert_int_equal(n, 1);
  sb_registry_free(r);
}

static void test_registry_find_is_exact_bytes(void **state) {
  (void)state;
  sb_registry *r = sb_registry_new();
  add(r, "430225199001011234", "h", 430225, SB_DATE_MIN, SB_DATE_MAX, 0, 2);
  add(r, "a", "h", 430225, SB_DATE_MIN, SB_DATE_MAX, 0, 3);
  /* Ids may hold any byte, NUL included: lengths decide. */
  sb_interval iv = {SB_DATE_MIN, SB_DATE_MAX, 0, 4};
  sb_error err;
  assert_int_equal(sb_registry_add(r, "a\0b", 3, "h", 1, 430225, &iv, &err), SB_OK);
  assert_int_equal(sb_registry_finish(r, NULL, NULL), 0);
  assert_int_equal(sb_registry_count(r), 3);
  assert_int_equal(find(r, "430225199001011234"), 0);
  assert_int_equal(find(r, "430225199001011235"), -1);
  assert_int_equal(find(r, "43022519900101123"), -1);
  assert_int_equal(find(r, "4302251990010112345"), -1);
  assert_int_equal(find(r, "A"), -1);
  assert_int_equal(find(r, ""), -1);
  assert_int_equal(find(r, "a"), 1);
  assert_int_equal(sb_registry_find(r, "a\0b", 3), 2);
  assert_int_equal(sb_registry_find(r, "a\0c", 3), -1);
  assert_int_equal(sb_registry_find(r, "a\0", 2), -1);
  size_t len = 0;
  const char *id = sb_registry_id(r, 2, &len);
  assert_int_equal(len, 3);
  assert_memory_equal(id, "a\0b", 3);
  sb_registry_free(r);
}

static void test_registry_many_persons(void **state) {
  (void)state;
  sb_registry *r = sb_registry_new();
  char id[32], hh[32];
  const int N = 50000;
  for (int k = 0; k < N; k++) {
    snprintf(id, sizeof id, "P%07d", k * 7919 % 1000003);
    snprintf(hh, sizeof hh, "H%d", k / 4);
    add(r, id, hh, 430000 + k % 1000, SB_DATE_MIN, SB_DATE_MAX, k % SB_CAT_COUNT, k + 2);
  }
  assert_int_equal(sb_registry_finish(r, NULL, NULL), 0);
  assert_int_equal(sb_registry_count(r), N);
  for (int k = 0; k < N; k++) {
    snprintf(id, sizeof id, "P%07d", k * 7919 % 1000003);
    assert_int_equal(find(r, id), k);
    assert_int_equal(sb_registry_region(r, k), 430000 + k % 1000);
    assert_int_equal(sb_registry_category_on(r, k, D("2022-07-15")), k % SB_CAT_COUNT);
    size_t len;
    const char *h = sb_registry_household(r, k, &len);
    snprintf(hh, sizeof hh, "H%d", k / 4);
    assert_int_equal(len, strlen(hh));
    assert_memory_equal(h, hh, len);
  }
  assert_int_equal(find(r, "P1000003"), -1);
  assert_int_equal(find(r, "Q0000000"), -1);
  sb_registry_free(r);
}

static void test_registry_category_on_open_ends_and_inclusive_bounds(void **state) {
  (void)state;
  sb_registry *r = sb_registry_new();
  /* Added out of order: finish() sorts. */
  add(r, "p", "h", 430225, D("2022-08-01"), SB_DATE_MAX, SB_CAT_MIN_LIVING, 4);
  add(r, "p", "h", 430225, SB_DATE_MIN, D("2021-12-31"), SB_CAT_GENERAL, 2);
  add(r, "p", "h", 430225, D("2022-01-01"), D("2022-06-30"), SB_CAT_DESTITUTE, 3);
  add(r, "q", "h", 430225, D("2022-03-01"), D("2022-03-01"), SB_CAT_LIFTED, 5);
  assert_int_equal(sb_registry_finish(r, NULL, NULL), 0);
  int32_t p = find(r, "p"), q = find(r, "q");
  assert_int_equal(sb_registry_category_on(r, p, SB_DATE_MIN), SB_CAT_GENERAL);
  assert_int_equal(sb_registry_category_on(r, p, D("0001-01-01")), SB_CAT_GENERAL);
  assert_int_equal(sb_registry_category_on(r, p, D("2021-12-31")), SB_CAT_GENERAL);
  assert_int_equal(sb_registry_category_on(r, p, D("2022-01-01")), SB_CAT_DESTITUTE);
  assert_int_equal(sb_registry_category_on(r, p, D("2022-03-15")), SB_CAT_DESTITUTE);
  assert_int_equal(sb_registry_category_on(r, p, D("2022-06-30")), SB_CAT_DESTITUTE);
  assert_int_equal(sb_registry_category_on(r, p, D("2022-07-01")), -1);
  assert_int_equal(sb_registry_category_on(r, p, D("2022-07-31")), -1);
  assert_int_equal(sb_registry_category_on(r, p, D("2022-08-01")), SB_CAT_MIN_LIVING);
  assert_int_equal(sb_registry_category_on(r, p, D("9999-12-31")), SB_CAT_MIN_LIVING);
  assert_int_equal(sb_registry_category_on(r, p, SB_DATE_MAX), SB_CAT_MIN_LIVING);
  /* A one-day interval. */
  assert_int_equal(sb_registry_category_on(r, q, D("2022-02-28")), -1);
  assert_int_equal(sb_registry_category_on(r, q, D("2022-03-01")), SB_CAT_LIFTED);
  assert_int_equal(sb_registry_category_on(r, q, D("2022-03-02")), -1);
  /* Sorted by start, lines kept. */
  int n = 0;
  const sb_interval *iv = sb_registry_intervals(r, p, &n);
  assert_int_equal(n, 3);
  assert_int_equal(iv[0].from, SB_DATE_MIN);
  assert_int_equal(iv[0].to, D("2021-12-31"));
  assert_int_equal(iv[0].line, 2);
  assert_int_equal(iv[1].from, D("2022-01-01"));
  assert_int_equal(iv[1].category, SB_CAT_DESTITUTE);
  assert_int_equal(iv[1].line, 3);
  assert_int_equal(iv[2].to, SB_DATE_MAX);
  assert_int_equal(iv[2].line, 4);
  sb_registry_free(r);
}

static void test_registry_rejects_other_household_or_region(void **state) {
  (void)state;
  sb_registry *r = sb_registry_new();
  add(r, "p", "h1", 430225, SB_DATE_MIN, D("2021-12-31"), 0, 2);
  sb_interval iv = {D("2022-01-01"), SB_DATE_MAX, 1, 3};
  sb_error err;
  sb_error_clear(&err);
  assert_int_equal(sb_registry_add(r, "p", 1, "h2", 2, 430225, &iv, &err), SB_EINVAL);
  assert_non_null(strstr(err.msg, "household_id"));
  assert_non_null(strstr(err.msg, "2")); /* the first line of the person */
  sb_error_clear(&err);
  assert_int_equal(sb_registry_add(r, "p", 1, "h1", 2, 430226, &iv, &err), SB_EINVAL);
  assert_non_null(strstr(err.msg, "region"));
  sb_error_clear(&err);
  assert_int_equal(sb_registry_add(r, "p", 1, "h1x", 3, 430225, &iv, &err), SB_EINVAL);
  assert_int_equal(sb_registry_add(r, "p", 1, "h", 1, 430225, &iv, &err), SB_EINVAL);
  /* The same household and region are fine. */
  assert_int_equal(sb_registry_add(r, "p", 1, "h1", 2, 430225, &iv, &err), SB_OK);
  assert_int_equal(sb_registry_finish(r, NULL, NULL), 0);
  assert_int_equal(sb_registry_count(r), 1);
  int n = 0;
  sb_registry_intervals(r, 0, &n);
  assert_int_equal(n, 2); /* the refused rows left nothing behind */
  sb_registry_free(r);
}

static void test_registry_finish_reports_overlaps(void **state) {
  (void)state;
  sb_registry *r = sb_registry_new();
  add(r, "p", "h", 1, D("2022-01-01"), D("2022-06-30"), 0, 2);
  add(r, "p", "h", 1, D("2022-06-30"), SB_DATE_MAX, 1, 3); /* shares one day */
  add(r, "q", "h", 1, SB_DATE_MIN, SB_DATE_MAX, 0, 4);
  add(r, "q", "h", 1, D("2022-01-01"), D("2022-01-01"), 1, 5);
  add(r, "s", "h", 1, SB_DATE_MIN, D("2022-06-30"), 0, 6);
  add(r, "s", "h", 1, D("2022-07-01"), SB_DATE_MAX, 1, 7); /* adjacent: fine */
  reports rs = {0};
  assert_int_equal(sb_registry_finish(r, on_finish, &rs), 2);
  assert_int_equal(rs.n, 2);
  assert_int_equal(rs.items[0].line, 3);
  assert_non_null(strstr(rs.items[0].msg, "overlap"));
  assert_non_null(strstr(rs.items[0].msg, "2"));
  assert_int_equal(rs.items[1].line, 5);
  assert_non_null(strstr(rs.items[1].msg, "4"));
  sb_registry_free(r);
}

static void test_registry_finish_reports_every_overlapping_line(void **state) {
  (void)state;
  /* One long interval and two short ones inside it: both short ones overlap
  ** the long one (though not each other), so both lines are bad. */
  sb_registry *r = sb_registry_new();
  add(r, "p", "h", 1, SB_DATE_MIN, D("2022-12-31"), 0, 2);
  add(r, "p", "h", 1, D("2022-03-01"), D("2022-03-31"), 1, 3);
  add(r, "p", "h", 1, D("2022-05-01"), D("2022-05-31"), 2, 4);
  reports rs = {0};
  int problems = sb_registry_finish(r, on_finish, &rs);
  int seen3 = 0, seen4 = 0;
  for (int i = 0; i < rs.n; i++) {
    if (rs.items[i].line == 3) seen3 = 1;
    if (rs.items[i].line == 4) seen4 = 1;
  }
  assert_true(seen3);
  if (!seen4)
    fail_msg("line 4 [2022-05-01, 2022-05-31] overlaps line 2 [open, 2022-12-31] but was not "
             "reported (%d report(s))",
             rs.n);
  assert_int_equal(problems, 2);
  assert_int_equal(rs.n, 2);
  sb_registry_free(r);
}

/* ---- the persons.csv loader: good files -------------------------------- */

static void test_persons_load_basic_file(void **state) {
  (void)state;
  sb_registry *r = load_ok("person_id,household_id,region,category,valid_from,valid_to\n"
                           "P001,H01,430225,general,,2021-12-31\n"
                           "P001,H01,430225,destitute,2022-01-01,\n"
                           "P002,H01,430225,min_living,,\n"
                           "P003,\"H,03\",430521,lifted,2022-03-01,2022-03-31\n");
  assert_int_equal(sb_registry_count(r), 3);
  int32_t p1 = find(r, "P001"), p3 = find(r, "P003");
  assert_int_equal(p1, 0);
  assert_int_equal(find(r, "P002"), 1);
  assert_int_equal(sb_registry_category_on(r, p1, D("2021-12-31")), SB_CAT_GENERAL);
  assert_int_equal(sb_registry_category_on(r, p1, D("2022-01-01")), SB_CAT_DESTITUTE);
  assert_int_equal(sb_registry_category_on(r, p1, D("2099-01-01")), SB_CAT_DESTITUTE);
  assert_int_equal(sb_registry_category_on(r, 1, D("1900-01-01")), SB_CAT_MIN_LIVING);
  assert_int_equal(sb_registry_category_on(r, p3, D("2022-02-28")), -1);
  assert_int_equal(sb_registry_category_on(r, p3, D("2022-03-31")), SB_CAT_LIFTED);
  assert_int_equal(sb_registry_region(r, p3), 430521);
  size_t len;
  const char *hh = sb_registry_household(r, p3, &len);
  assert_int_equal(len, 4);
  assert_memory_equal(hh, "H,03", 4);
  int n = 0;
  const sb_interval *iv = sb_registry_intervals(r, p1, &n);
  assert_int_equal(n, 2);
  assert_int_equal(iv[0].line, 2);
  assert_int_equal(iv[1].line, 3);
  sb_registry_free(r);
}

static void test_persons_columns_in_any_order_unknown_ignored(void **state) {
  (void)state;
  sb_registry *r = load_ok(
      "\xEF\xBB\xBFnote,valid_to,category,extra,region,person_id,household_id,valid_from,note\r\n"
      "x,2022-12-31,monitored,,430225,P1,H1,2022-01-01,y\r\n"
      "\r\n"
      ",,near_poor,\"q,\"\"\",430000,P2,H2,,\r\n");
  assert_int_equal(sb_registry_count(r), 2);
  assert_int_equal(find(r, "P1"), 0);
  assert_int_equal(sb_registry_region(r, 0), 430225);
  assert_int_equal(sb_registry_category_on(r, 0, D("2022-06-01")), SB_CAT_MONITORED);
  assert_int_equal(sb_registry_category_on(r, 0, D("2023-01-01")), -1);
  assert_int_equal(sb_registry_region(r, 1), 430000);
  assert_int_equal(sb_registry_category_on(r, 1, D("2022-06-01")), SB_CAT_NEAR_POOR);
  int n = 0;
  const sb_interval *iv = sb_registry_intervals(r, 1, &n);
  assert_int_equal(n, 1);
  assert_int_equal(iv[0].line, 4); /* the skipped empty line still counts */
  sb_registry_free(r);
}

static void test_persons_optional_date_columns_absent(void **state) {
  (void)state;
  sb_registry *r = load_ok("household_id,person_id,category,region\nH,P,illness_poor,430225\n");
  assert_int_equal(sb_registry_count(r), 1);
  int n = 0;
  const sb_interval *iv = sb_registry_intervals(r, 0, &n);
  assert_int_equal(n, 1);
  assert_int_equal(iv[0].from, SB_DATE_MIN);
  assert_int_equal(iv[0].to, SB_DATE_MAX);
  assert_int_equal(iv[0].category, SB_CAT_ILLNESS_POOR);
  sb_registry_free(r);
  /* A header and no rows is an empty registry. */
  r = load_ok("person_id,household_id,region,category\n");
  assert_int_equal(sb_registry_count(r), 0);
  sb_registry_free(r);
}

static void test_persons_id_limits_accepted(void **state) {
  (void)state;
  char text[512];
  char id64[65];
  memset(id64, 'x', 64);
  id64[64] = 0;
  snprintf(text, sizeof text,
           "person_id,household_id,region,category\n"
           "%s,H,430225,general\n"
           "\xE7\x82\x8E,H,430225,general\n"
           "\" a \",H,430225,general\n",
           id64);
  sb_registry *r = load_ok(text);
  assert_int_equal(sb_registry_count(r), 3);
  assert_int_equal(find(r, id64), 0);
  assert_int_equal(find(r, "\xE7\x82\x8E"), 1);
  assert_int_equal(find(r, " a "), 2); /* not trimmed */
  assert_int_equal(find(r, "a"), -1);
  sb_registry_free(r);
}

/* ---- the loader: bad lines --------------------------------------------- */

static void test_persons_every_bad_line_reported_in_one_run(void **state) {
  (void)state;
  char id65[66];
  memset(id65, 'x', 65);
  id65[65] = 0;
  char text[4096];
  snprintf(text, sizeof text,
           "person_id,household_id,region,category,valid_from,valid_to\n" /* 1 */
           ",H2,430225,general,,\n"                                       /* 2 person_id empty */
           "%s,H3,430225,general,,\n"                                     /* 3 person_id > 64 */
           "P\x01"
           "4,H4,430225,general,,\n" /* 4 control char */
           "P\x7f"
           "5,H5,430225,general,,\n"                        /* 5 DEL */
           "P6,,430225,general,,\n"                         /* 6 household empty */
           "P7,H7,43022,general,,\n"                        /* 7 region 5 digits */
           "P8,H8,43022a,general,,\n"                       /* 8 region non-digit */
           "P9,H9,4302250,general,,\n"                      /* 9 region 7 digits */
           "P10,H10,430225,rich,,\n"                        /* 10 unknown category */
           "P11,H11,430225,general,2022-02-30,\n"           /* 11 bad valid_from */
           "P12,H12,430225,general,,2022-13-01\n"           /* 12 bad valid_to */
           "P13,H13,430225,general,2022-05-01,2022-04-30\n" /* 13 from after to */
           "P14,H14,430225,general,2022-01-01,2022-06-30\n" /* 14 ok */
           "P14,H14,430225,destitute,2022-06-30,\n"         /* 15 overlaps 14 */
           "P16,H16,430225,general,,\n"                     /* 16 ok */
           "P16,H99,430225,general,,\n"                     /* 17 other household */
           "P16,H16,430226,general,,\n"                     /* 18 other region */
           "P19,H19,430225,general\n"                       /* 19 4 fields */
           "P20,H20,430225,general,,,\n"                    /* 20 7 fields */
           "P21,\"H\"21,430225,general,,\n"                 /* 21 text after quote */
           "P22,H\"22,430225,general,,\n"                   /* 22 quote in field */
           "P23,H23,430225,general,,2022-01-01\n"           /* 23 ok */
           "P24,H24,430225,general,2022-01-01,\"\n",        /* 24 unterminated */
           id65);
  reports rs;
  sb_error err;
  load_bad(text, &rs, &err);
  expect_report(&rs, 2, "person_id");
  expect_report(&rs, 3, "person_id");
  expect_report(&rs, 4, "person_id");
  expect_report(&rs, 5, "person_id");
  expect_report(&rs, 6, "household_id");
  expect_report(&rs, 7, "region");
  expect_report(&rs, 8, "region");
  expect_report(&rs, 9, "region");
  expect_report(&rs, 10, "category");
  expect_report(&rs, 10, "rich");
  expect_report(&rs, 11, "valid_from");
  expect_report(&rs, 12, "valid_to");
  expect_report(&rs, 13, "valid_from");
  expect_report(&rs, 13, "valid_to");
  expect_report(&rs, 15, "overlap");
  expect_report(&rs, 17, "household_id");
  expect_report(&rs, 18, "region");
  expect_report(&rs, 19, "field count");
  expect_report(&rs, 20, "field count");
  expect_report(&rs, 21, "quot");
  expect_report(&rs, 22, "quot");
  expect_report(&rs, 24, "quot");
  /* Exactly one report per bad line, none for the good ones. */
  int bad_lines[] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 17, 18, 19, 20, 21, 22, 24};
  for (size_t i = 0; i < sizeof bad_lines / sizeof *bad_lines; i++)
    if (reports_at(&rs, bad_lines[i]) != 1)
      fail_msg("line %d: %d reports, want 1", bad_lines[i], reports_at(&rs, bad_lines[i]));
  assert_int_equal(reports_at(&rs, 14), 0);
  assert_int_equal(reports_at(&rs, 16), 0);
  assert_int_equal(reports_at(&rs, 23), 0);
  assert_int_equal(rs.n, 20);
  assert_non_null(strstr(err.where, "persons.csv"));
}

static void test_persons_several_faults_on_one_line_all_reported(void **state) {
  (void)state;
  reports rs;
  sb_error err;
  load_bad("person_id,household_id,region,category,valid_from,valid_to\n"
           ",,12345,unknown,2022-00-01,2022-01-32\n"
           "ok,H,430225,general,,\n",
           &rs, &err);
  expect_report(&rs, 2, "person_id");
  expect_report(&rs, 2, "household_id");
  expect_report(&rs, 2, "region");
  expect_report(&rs, 2, "category");
  expect_report(&rs, 2, "valid_from");
  expect_report(&rs, 2, "valid_to");
  assert_int_equal(rs.n, 6);
}

static void test_persons_line_numbers_follow_quoted_newlines(void **state) {
  (void)state;
  reports rs;
  sb_error err;
  load_bad("person_id,household_id,region,category\r\n"
           "\r\n"
           "P1,\"house\r\nhold\",430225,general\r\n"
           "P2,H2,430225,nobody\r\n",
           &rs, &err);
  assert_int_equal(rs.n, 1);
  expect_report(&rs, 5, "category");
}

static void test_persons_bad_field_inside_good_column_count(void **state) {
  (void)state;
  /* Bad quoting reported even when the row is otherwise fine, and the next
  ** row is read normally. */
  reports rs;
  sb_error err;
  load_bad("person_id,household_id,region,category\n"
           "P1,H1,\"430225\"x,general\n"
           "P2,H2,430225,general\n"
           "P2,H2,430225,general\n",
           &rs, &err);
  assert_int_equal(rs.n, 2);
  expect_report(&rs, 2, "quot");
  expect_report(&rs, 4, "overlap"); /* two open intervals of P2 */
}

/* ---- the loader: the header -------------------------------------------- */

static void expect_header_error(const char *text, const char *column, int line) {
  sb_registry *r = NULL;
  reports rs = {0};
  sb_error err;
  sb_error_clear(&err);
  int rc = sb_persons_load_mem(text, strlen(text), "persons.csv", &r, on_report, &rs, &err);
  assert_int_equal(rc, SB_EINVAL);
  assert_null(r);
  char quoted[64];
  snprintf(quoted, sizeof quoted, "'%s'", column);
  if (!strstr(err.msg, quoted)) fail_msg("message '%s' does not name column %s", err.msg, quoted);
  char where[64];
  snprintf(where, sizeof where, "persons.csv:%d", line);
  assert_string_equal(err.where, where);
}

static void test_persons_missing_required_column(void **state) {
  (void)state;
  expect_header_error("person_id,household_id,category\nP,H,general\n", "region", 1);
  expect_header_error("household_id,region,category\nH,430225,general\n", "person_id", 1);
  expect_header_error("person_id,region,category,valid_from\n", "household_id", 1);
  expect_header_error("person_id,household_id,region\n", "category", 1);
  /* Case-sensitive, exact: "Region" and " region" are unknown columns. */
  expect_header_error("person_id,household_id,Region,category\n", "region", 1);
  expect_header_error("person_id,household_id, region,category\n", "region", 1);
  expect_header_error("\n\nperson_id,household_id,category\n", "region", 3);
}

static void test_persons_repeated_column(void **state) {
  (void)state;
  expect_header_error("person_id,household_id,region,category,region\n", "region", 1);
  expect_header_error("person_id,person_id,household_id,region,category\n", "person_id", 1);
  expect_header_error("person_id,household_id,region,category,valid_from,valid_from\n",
                      "valid_from", 1);
  /* A repeated unknown column is ignored. */
  sb_registry *r =
      load_ok("x,person_id,x,household_id,region,category,x\n1,P,2,H,430225,general,3\n");
  assert_int_equal(sb_registry_count(r), 1);
  sb_registry_free(r);
}

static void test_persons_empty_file_is_an_error(void **state) {
  (void)state;
  sb_registry *r = NULL;
  sb_error err;
  sb_error_clear(&err);
  assert_int_equal(sb_persons_load_mem("", 0, "persons.csv", &r, NULL, NULL, &err), SB_EINVAL);
  assert_null(r);
  assert_non_null(strstr(err.where, "persons.csv"));
  sb_error_clear(&err);
  assert_int_equal(sb_persons_load_mem("\n\r\n", 3, "persons.csv", &r, NULL, NULL, &err),
                   SB_EINVAL);
  assert_null(r);
}

static void test_persons_load_from_path(void **state) {
  (void)state;
  char path[] = "/tmp/sanbao-test-persons-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  static const char text[] =
      "person_id,household_id,region,category\nP1,H1,430225,general\nP2,H1,430225,bogus\n";
  assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
  close(fd);
  sb_registry *r = NULL;
  reports rs = {0};
  sb_error err;
  sb_error_clear(&err);
  assert_int_equal(sb_persons_load(path, &r, on_report, &rs, &err), SB_EINVAL);
  assert_null(r);
  assert_int_equal(rs.n, 1);
  char where[64];
  snprintf(where, sizeof where, "%s:3", path);
  assert_string_equal(rs.items[0].where, where);
  assert_non_null(strstr(rs.items[0].msg, "category"));
  /* Fixed, it loads. */
  fd = open(path, O_WRONLY | O_TRUNC);
  assert_true(fd >= 0);
  static const char good[] = "person_id,household_id,region,category\nP1,H1,430225,general\n";
  assert_int_equal(write(fd, good, sizeof good - 1), (ssize_t)(sizeof good - 1));
  close(fd);
  rs.n = 0;
  assert_int_equal(sb_persons_load(path, &r, on_report, &rs, &err), SB_OK);
  assert_int_equal(rs.n, 0);
  assert_non_null(r);
  assert_int_equal(sb_registry_count(r), 1);
  sb_registry_free(r);
  unlink(path);
  r = NULL;
  sb_error_clear(&err);
  assert_int_equal(sb_persons_load(path, &r, on_report, &rs, &err), SB_EIO);
  assert_null(r);
  assert_non_null(strstr(err.where, path));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry_interns_ids_in_first_appearance_order),
      cmocka_unit_test(test_registry_find_is_exact_bytes),
      cmocka_unit_test(test_registry_many_persons),
      cmocka_unit_test(test_registry_category_on_open_ends_and_inclusive_bounds),
      cmocka_unit_test(test_registry_rejects_other_household_or_region),
      cmocka_unit_test(test_registry_finish_reports_overlaps),
      cmocka_unit_test(test_registry_finish_reports_every_overlapping_line),
      cmocka_unit_test(test_persons_load_basic_file),
      cmocka_unit_test(test_persons_columns_in_any_order_unknown_ignored),
      cmocka_unit_test(test_persons_optional_date_columns_absent),
      cmocka_unit_test(test_persons_id_limits_accepted),
      cmocka_unit_test(test_persons_every_bad_line_reported_in_one_run),
      cmocka_unit_test(test_persons_several_faults_on_one_line_all_reported),
      cmocka_unit_test(test_persons_line_numbers_follow_quoted_newlines),
      cmocka_unit_test(test_persons_bad_field_inside_good_column_count),
      cmocka_unit_test(test_persons_missing_required_column),
      cmocka_unit_test(test_persons_repeated_column),
      cmocka_unit_test(test_persons_empty_file_is_an_error),
      cmocka_unit_test(test_persons_load_from_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
