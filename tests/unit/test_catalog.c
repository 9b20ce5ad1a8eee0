/*
** Unit tests: loading catalog.csv (src/io/catalog_csv.h,
** docs/reference/formats.md §9) and looking rows up by date.
*/
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/catalog_csv.h"
#include "sanbao/date.h"
#include "sanbao/fee.h"

/* ---- helpers ----------------------------------------------------------- */

static sb_date D(const char *s) {
  sb_date d = 0;
  if (sb_date_parse(s, strlen(s), &d)) fail_msg("bad test date %s", s);
  return d;
}

typedef struct report {
  char where[256];
  char msg[512];
} report;

typedef struct reports {
  int n;
  report items[64];
} reports;

static void on_report(void *ctx, const char *where, const char *msg) {
  reports *rs = ctx;
  if (rs->n < 64) {
    snprintf(rs->items[rs->n].where, sizeof rs->items[rs->n].where, "%s", where);
    snprintf(rs->items[rs->n].msg, sizeof rs->items[rs->n].msg, "%s", msg);
  }
  rs->n++;
}

/* Load a catalogue text that must be valid. */
static sb_catalog *load_ok(const char *text) {
  sb_catalog *c = NULL;
  reports rs = {0};
  sb_error err;
  sb_error_clear(&err);
  int rc = sb_catalog_load_mem(text, strlen(text), "catalog.csv", &c, on_report, &rs, &err);
  if (rc != SB_OK)
    fail_msg("load failed (%d): %s: %s; first report %s %s", rc, err.where, err.msg,
             rs.n ? rs.items[0].where : "", rs.n ? rs.items[0].msg : "");
  assert_int_equal(rs.n, 0);
  assert_non_null(c);
  return c;
}

/* Load a catalogue text that must fail with SB_EINVAL after `n` reports;
** the reports are left in *rs and the error in *err. */
static void load_bad(const char *text, int n, reports *rs, sb_error *err) {
  sb_catalog *c = (sb_catalog *)(uintptr_t)1; /* must not be touched */
  memset(rs, 0, sizeof *rs);
  sb_error_clear(err);
  int rc = sb_catalog_load_mem(text, strlen(text), "catalog.csv", &c, on_report, rs, err);
  assert_int_equal(rc, SB_EINVAL);
  assert_ptr_equal(c, (sb_catalog *)(uintptr_t)1);
  if (rs->n != n) {
    for (int i = 0; i < rs->n && i < 64; i++)
      print_message("  report %s: %s\n", rs->items[i].where, rs->items[i].msg);
    fail_msg("%d reports, want %d", rs->n, n);
  }
}

/* Is there a report at `where` whose message starts with `prefix` and
** holds `part`? */
static void expect_report(const reports *rs, const char *where, const char *prefix,
                          const char *part) {
  for (int i = 0; i < rs->n && i < 64; i++)
    if (strcmp(rs->items[i].where, where) == 0 &&
        strncmp(rs->items[i].msg, prefix, strlen(prefix)) == 0 &&
        (!part || strstr(rs->items[i].msg, part)))
      return;
  for (int i = 0; i < rs->n && i < 64; i++)
    print_message("  report %s: %s\n", rs->items[i].where, rs->items[i].msg);
  fail_msg("no report at %s starting '%s'%s%s", where, prefix, part ? " with " : "",
           part ? part : "");
}

static const sb_catalog_item *find(const sb_catalog *c, const char *code, const char *d) {
  return sb_catalog_find(c, code, strlen(code), D(d));
}

#define HEADER "med_list_codg,name,chrgitm_lv,selfpay_prop,pric_uplmt_amt,begndate,enddate\n"

/* ---- loading ----------------------------------------------------------- */

static void test_load_basic_rows(void **state) {
  (void)state;
  sb_catalog *c =
      load_ok(HEADER "A1,阿莫西林胶囊,01,,,2021-01-01,\n"
                     "B1,\"glucose 5%, 500ml\",02,0.1000,1568.672408,2020-11-21,2021-02-25\n"
                     "C1,床位费,03,0,,2019-07-02,\n");
  assert_int_equal(sb_catalog_count(c), 3);
  assert_int_equal(sb_catalog_codes(c), 3);
  const sb_catalog_item *a = find(c, "A1", "2021-01-01");
  assert_non_null(a);
  assert_int_equal(a->cls, SB_CLASS_A);
  assert_int_equal(a->selfpay_prop, 0);
  assert_int_equal(a->price_limit, SB_PRICE_NO_LIMIT);
  assert_int_equal(a->begin, D("2021-01-01"));
  assert_int_equal(a->end, SB_DATE_MAX);
  const sb_catalog_item *b = find(c, "B1", "2021-01-01");
  assert_non_null(b);
  assert_int_equal(b->cls, SB_CLASS_B);
  assert_int_equal(b->selfpay_prop, 1000);
  assert_int_equal(b->price_limit, 1568672408);
  assert_int_equal(b->end, D("2021-02-25"));
  const sb_catalog_item *cc = find(c, "C1", "2021-01-01");
  assert_non_null(cc);
  assert_int_equal(cc->cls, SB_CLASS_C);
  sb_catalog_free(c);
}

static void test_lookup_at_interval_edges(void **state) {
  (void)state;
  sb_catalog *c = load_ok(HEADER "E,,01,,,2021-03-01,2021-03-31\n"
                                 "F,,01,,,2024-02-29,2024-02-29\n"
                                 "G,,03,,,0001-01-01,9999-12-31\n");
  assert_null(find(c, "E", "2021-02-28"));
  assert_non_null(find(c, "E", "2021-03-01"));
  assert_non_null(find(c, "E", "2021-03-31"));
  assert_null(find(c, "E", "2021-04-01"));
  assert_null(find(c, "F", "2024-02-28"));
  assert_non_null(find(c, "F", "2024-02-29"));
  assert_null(find(c, "F", "2024-03-01"));
  assert_non_null(find(c, "G", "0001-01-01"));
  assert_non_null(find(c, "G", "9999-12-31"));
  assert_null(find(c, "H", "2021-03-15"));
  sb_catalog_free(c);
}

static void test_code_rerated_mid_year(void **state) {
  (void)state;
  /* 甲类 with a limit until 30 June, then 乙类 with 10% paid first and no
  ** limit; rows in reverse order in the file. */
  sb_catalog *c = load_ok(HEADER "M1,x,02,0.1,,2022-07-01,\n"
                                 "M1,x,01,,25.5,2022-01-01,2022-06-30\n");
  assert_int_equal(sb_catalog_count(c), 2);
  assert_int_equal(sb_catalog_codes(c), 1);
  assert_null(find(c, "M1", "2021-12-31"));
  const sb_catalog_item *h1 = find(c, "M1", "2022-06-30");
  assert_non_null(h1);
  assert_int_equal(h1->cls, SB_CLASS_A);
  assert_int_equal(h1->price_limit, 25500000);
  const sb_catalog_item *h2 = find(c, "M1", "2022-07-01");
  assert_non_null(h2);
  assert_int_equal(h2->cls, SB_CLASS_B);
  assert_int_equal(h2->selfpay_prop, 1000);
  assert_int_equal(h2->price_limit, SB_PRICE_NO_LIMIT);
  /* The same line, classified on either side of the change. */
  sb_fee_amounts a;
  assert_int_equal(sb_fee_classify(h1, 20000, 30000000, &a), 0); /* 2 x 30.00 */
  assert_int_equal(a.amt, 6000);
  assert_int_equal(a.over, 900); /* 2 x 4.50 */
  assert_int_equal(a.inscp, 5100);
  assert_int_equal(sb_fee_classify(h2, 20000, 30000000, &a), 0);
  assert_int_equal(a.over, 0);
  assert_int_equal(a.pre, 600);
  assert_int_equal(a.inscp, 5400);
  sb_catalog_free(c);
}

static void test_columns_any_order_unknown_ignored_optional_absent(void **state) {
  (void)state;
  /* Only the required columns, reordered, with unknown ones around them. */
  sb_catalog *c = load_ok("memo,begndate,x,chrgitm_lv,med_list_codg,y\n"
                          "hello,2021-01-01,,02,B7,\n"
                          "\"a,b\",2020-01-01,1,03,C7,\"\"\"\"\n");
  const sb_catalog_item *b = find(c, "B7", "2030-01-01");
  assert_non_null(b);
  assert_int_equal(b->cls, SB_CLASS_B);
  assert_int_equal(b->selfpay_prop, 0); /* absent: 0 */
  assert_int_equal(b->price_limit, SB_PRICE_NO_LIMIT);
  assert_int_equal(b->end, SB_DATE_MAX);
  assert_int_equal(find(c, "C7", "2020-01-01")->cls, SB_CLASS_C);
  sb_catalog_free(c);
}

static void test_bom_crlf_blank_lines_and_quoting(void **state) {
  (void)state;
  sb_catalog *c =
      load_ok("\xEF\xBB\xBF" HEADER "\r\n"
              "\"Q,1\",\"say \"\"ah\"\"\",\"01\",\"\",\"\",\"2021-01-01\",\"\"\r\n"
              "\r\n"
              "\n"
              "R1,\"two\nlines\",02,\"0.8548\",\"104.183048\",2021-01-01,2021-12-31\r\n");
  assert_int_equal(sb_catalog_count(c), 2);
  const sb_catalog_item *q = find(c, "Q,1", "2021-05-05");
  assert_non_null(q);
  assert_int_equal(q->cls, SB_CLASS_A);
  assert_int_equal(q->end, SB_DATE_MAX); /* "" is empty: open */
  const sb_catalog_item *r = find(c, "R1", "2021-12-31");
  assert_non_null(r);
  assert_int_equal(r->selfpay_prop, 8548);
  assert_int_equal(r->price_limit, 104183048);
  sb_catalog_free(c);
}

static void test_zero_ratio_by_value_on_any_class(void **state) {
  (void)state;
  sb_catalog *c = load_ok(HEADER "A,,01,0.0000,,2021-01-01,\n"
                                 "B,,03,0,,2021-01-01,\n"
                                 "C,,01,00.00,,2021-01-01,\n"
                                 "D,,02,1,,2021-01-01,\n"
                                 "E,,02,0,0,2021-01-01,\n"
                                 "F,,01,,10000000000.000000,2021-01-01,\n");
  assert_int_equal(find(c, "A", "2021-01-01")->selfpay_prop, 0);
  assert_int_equal(find(c, "D", "2021-01-01")->selfpay_prop, SB_BP_ONE);
  assert_int_equal(find(c, "E", "2021-01-01")->price_limit, 0);
  assert_int_equal(find(c, "F", "2021-01-01")->price_limit, SB_PRICE_MAX);
  sb_catalog_free(c);
}

static void test_header_only_is_an_empty_catalogue(void **state) {
  (void)state;
  sb_catalog *c = load_ok(HEADER);
  assert_int_equal(sb_catalog_count(c), 0);
  assert_null(find(c, "A", "2021-01-01"));
  sb_catalog_free(c);
}

/* ---- bad lines ----------------------------------------------------------- */

static void test_each_bad_field_reported_with_its_line(void **state) {
  (void)state;
  char code65[66];
  memset(code65, 'K', 65);
  code65[65] = 0;
  char text[4096];
  snprintf(text, sizeof text,
           HEADER "OK1,,01,,,2021-01-01,\n"                  /* 2 */
                  ",,01,,,2021-01-01,\n"                     /* 3 empty code */
                  "%s,,01,,,2021-01-01,\n"                   /* 4 65-byte code */
                  "A4,,1,,,2021-01-01,\n"                    /* 5 */
                  "A5,,04,,,2021-01-01,\n"                   /* 6 */
                  "A6,,,,,2021-01-01,\n"                     /* 7 */
                  "A7,, 01,,,2021-01-01,\n"                  /* 8 */
                  "A8,,02,0.5 ,,2021-01-01,\n"               /* 9 ratio form */
                  "A9,,02,1.0001,,2021-01-01,\n"             /* 10 ratio above 1 */
                  "B1,,01,0.1,,2021-01-01,\n"                /* 11 ratio on 甲类 */
                  "B2,,03,0.0001,,2021-01-01,\n"             /* 12 ratio on 丙类 */
                  "B3,,01,,1.1234567,2021-01-01,\n"          /* 13 limit: seven decimals */
                  "B4,,01,,-1,2021-01-01,\n"                 /* 14 limit: sign */
                  "B5,,01,,10000000000.000001,2021-01-01,\n" /* 15 limit above the max */
                  "B6,,01,,,,\n"                             /* 16 begndate empty */
                  "B7,,01,,,2021-02-30,\n"                   /* 17 begndate not a real date */
                  "B8,,01,,,2021-01-01,2021-13-01\n"         /* 18 enddate */
                  "B9,,01,,,2021-06-02,2021-06-01\n"         /* 19 begndate after enddate */
                  "C1,,01,,,2021-01-01\n"                    /* 20 wrong field count */
                  "C2,,01,,,2021-01-01,,\n"                  /* 21 wrong field count */
                  "C3,x\"y,01,,,2021-01-01,\n"               /* 22 bad quoting */
                  "\"C4\"x,,01,,,2021-01-01,\n"              /* 23 bad quoting */
                  "C5,,01,,,2021/01/01,\n"                   /* 24 begndate form */
                  "OK2,,02,0.3,5,2021-01-01,2021-01-01\n",   /* 25 */
           code65);
  reports rs;
  sb_error err;
  load_bad(text, 22, &rs, &err);
  expect_report(&rs, "catalog.csv:3", "med_list_codg:", "1 to 64 bytes");
  expect_report(&rs, "catalog.csv:4", "med_list_codg:", "1 to 64 bytes");
  expect_report(&rs, "catalog.csv:5", "chrgitm_lv:", "'1'");
  expect_report(&rs, "catalog.csv:6", "chrgitm_lv:", "'04'");
  expect_report(&rs, "catalog.csv:7", "chrgitm_lv:", "''");
  expect_report(&rs, "catalog.csv:8", "chrgitm_lv:", "' 01'");
  expect_report(&rs, "catalog.csv:9", "selfpay_prop:", "not a ratio");
  expect_report(&rs, "catalog.csv:10", "selfpay_prop:", "not a ratio");
  expect_report(&rs, "catalog.csv:11", "selfpay_prop:", "unless chrgitm_lv is 02");
  expect_report(&rs, "catalog.csv:12", "selfpay_prop:", "unless chrgitm_lv is 02");
  expect_report(&rs, "catalog.csv:13", "pric_uplmt_amt:", "not a unit price");
  expect_report(&rs, "catalog.csv:14", "pric_uplmt_amt:", NULL);
  expect_report(&rs, "catalog.csv:15", "pric_uplmt_amt:", NULL);
  expect_report(&rs, "catalog.csv:16", "begndate:", "empty");
  expect_report(&rs, "catalog.csv:17", "begndate:", "real date");
  expect_report(&rs, "catalog.csv:18", "enddate:", "real date");
  expect_report(&rs, "catalog.csv:19", "begndate:", "after enddate");
  expect_report(&rs, "catalog.csv:20", "wrong field count", "6 fields");
  expect_report(&rs, "catalog.csv:21", "wrong field count", "8 fields");
  expect_report(&rs, "catalog.csv:22", "bad quoting", NULL);
  expect_report(&rs, "catalog.csv:23", "bad quoting", NULL);
  expect_report(&rs, "catalog.csv:24", "begndate:", "real date");
  /* The load fails naming the file and the number of bad lines. */
  assert_int_equal(err.code, SB_EINVAL);
  assert_string_equal(err.where, "catalog.csv");
  assert_non_null(strstr(err.msg, "22 bad lines"));
}

static void test_several_faults_on_one_line_all_reported(void **state) {
  (void)state;
  reports rs;
  sb_error err;
  load_bad(HEADER ",,05,2,x,2021-13-01,nope\n", 6, &rs, &err);
  expect_report(&rs, "catalog.csv:2", "med_list_codg:", NULL);
  expect_report(&rs, "catalog.csv:2", "chrgitm_lv:", NULL);
  expect_report(&rs, "catalog.csv:2", "selfpay_prop:", NULL);
  expect_report(&rs, "catalog.csv:2", "pric_uplmt_amt:", NULL);
  expect_report(&rs, "catalog.csv:2", "begndate:", NULL);
  expect_report(&rs, "catalog.csv:2", "enddate:", NULL);
  /* One line, however many faults. */
  assert_non_null(strstr(err.msg, "1 bad line "));
}

static void test_overlap_reported_naming_both_lines(void **state) {
  (void)state;
  reports rs;
  sb_error err;
  load_bad(HEADER "X,,01,,,2021-01-01,2021-12-31\n"  /* 2 */
                  "Y,,01,,,2021-01-01,2021-06-30\n"  /* 3 */
                  "Y,,02,0.1,,2021-07-01,\n"         /* 4: touches 3, fine */
                  "X,,02,0.1,,2021-12-31,\n"         /* 5: one day in common with 2 */
                  "Z,,03,,,2021-01-01,\n"            /* 6 */
                  "Z,,03,,,2020-01-01,2021-01-01\n", /* 7: starts first; 6 is reported */
           2, &rs, &err);
  expect_report(&rs, "catalog.csv:5", "begndate:", "line 2 ");
  expect_report(&rs, "catalog.csv:6", "begndate:", "line 7 ");
  assert_non_null(strstr(rs.items[0].msg, "2021-12-31 to open"));
  assert_non_null(strstr(rs.items[0].msg, "2021-01-01 to 2021-12-31"));
  assert_non_null(strstr(err.msg, "2 bad lines"));
}

static void test_bad_lines_and_overlaps_counted_together(void **state) {
  (void)state;
  reports rs;
  sb_error err;
  /* A bad line is left out of the overlap check: line 3 is not reported
  ** twice, and line 4 overlaps only line 2. */
  load_bad(HEADER "X,,01,,,2021-01-01,\n"
                  "X,,07,,,2021-01-01,\n"
                  "X,,01,,,2021-05-01,\n",
           2, &rs, &err);
  expect_report(&rs, "catalog.csv:3", "chrgitm_lv:", NULL);
  expect_report(&rs, "catalog.csv:4", "begndate:", "line 2 ");
  assert_non_null(strstr(err.msg, "2 bad lines"));
}

static void test_no_report_callback_still_fails(void **state) {
  (void)state;
  sb_catalog *c = NULL;
  sb_error err;
  sb_error_clear(&err);
  const char *t = HEADER "A,,9,,,2021-01-01,\n";
  assert_int_equal(sb_catalog_load_mem(t, strlen(t), "catalog.csv", &c, NULL, NULL, &err),
                   SB_EINVAL);
  assert_null(c);
  assert_non_null(strstr(err.msg, "1 bad line "));
}

/* ---- header errors ------------------------------------------------------- */

static void expect_header_error(const char *text, const char *part) {
  sb_catalog *c = NULL;
  reports rs = {0};
  sb_error err;
  sb_error_clear(&err);
  int rc = sb_catalog_load_mem(text, strlen(text), "catalog.csv", &c, on_report, &rs, &err);
  assert_int_equal(rc, SB_EINVAL);
  assert_null(c);
  assert_int_equal(rs.n, 0);
  if (!strstr(err.msg, part)) fail_msg("error '%s' does not say '%s'", err.msg, part);
  assert_non_null(strstr(err.where, "catalog.csv"));
}

static void test_header_errors(void **state) {
  (void)state;
  expect_header_error("name,chrgitm_lv,begndate\nA,01,2021-01-01\n", "'med_list_codg'");
  expect_header_error("med_list_codg,begndate\nA,2021-01-01\n", "'chrgitm_lv'");
  expect_header_error("med_list_codg,chrgitm_lv,enddate\nA,01,\n", "'begndate'");
  expect_header_error("med_list_codg,chrgitm_lv,begndate,med_list_codg\n", "'med_list_codg'");
  expect_header_error("med_list_codg,chrgitm_lv,begndate,name,name\n", "'name'");
  expect_header_error("med_list_codg,chrgitm_lv,begndate,enddate,enddate\n", "'enddate'");
  expect_header_error("med_list_codg,chrgitm_lv,begndate,selfpay_prop,selfpay_prop\n",
                      "'selfpay_prop'");
  /* Names are exact and case-sensitive. */
  expect_header_error("MED_LIST_CODG,chrgitm_lv,begndate\n", "'med_list_codg'");
  expect_header_error("med_list_codg ,chrgitm_lv,begndate\n", "'med_list_codg'");
  expect_header_error("med_list_codg,chrgitm_lv,\"begndate\"x\n", "quoting");
  expect_header_error("", "empty");
  expect_header_error("\n\r\n\n", "empty");
}

/* ---- files ------------------------------------------------------------- */

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
}

static void test_load_from_path_and_stdin(void **state) {
  (void)state;
  char path[] = "/tmp/sanbao-test-catalog-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  write_file(path, HEADER "A,,01,,,2021-01-01,\nB,,02,0.2,,2021-01-01,\n");
  sb_catalog *c = NULL;
  reports rs = {0};
  sb_error err;
  sb_error_clear(&err);
  assert_int_equal(sb_catalog_load(path, &c, on_report, &rs, &err), SB_OK);
  assert_int_equal(sb_catalog_count(c), 2);
  sb_catalog_free(c);

  /* "-" reads standard input and names it <stdin>. */
  write_file(path, HEADER "A,,01,,,2021-01-01,\nB,,02,0.2,,2021-01-01,\nC,,01,0.2,,2021-01-01,\n");
  int saved = dup(0);
  fd = open(path, O_RDONLY);
  assert_true(saved >= 0 && fd >= 0);
  assert_int_equal(dup2(fd, 0), 0);
  close(fd);
  c = NULL;
  int rc = sb_catalog_load("-", &c, on_report, &rs, &err);
  dup2(saved, 0);
  close(saved);
  assert_int_equal(rc, SB_EINVAL);
  assert_null(c);
  assert_int_equal(rs.n, 1);
  assert_string_equal(rs.items[0].where, "<stdin>:4");
  assert_string_equal(err.where, "<stdin>");

  unlink(path);
  sb_error_clear(&err);
  assert_int_equal(sb_catalog_load(path, &c, on_report, &rs, &err), SB_EIO);
  assert_null(c);
  assert_non_null(strstr(err.where, path));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_basic_rows),
      cmocka_unit_test(test_lookup_at_interval_edges),
      cmocka_unit_test(test_code_rerated_mid_year),
      cmocka_unit_test(test_columns_any_order_unknown_ignored_optional_absent),
      cmocka_unit_test(test_bom_crlf_blank_lines_and_quoting),
      cmocka_unit_test(test_zero_ratio_by_value_on_any_class),
      cmocka_unit_test(test_header_only_is_an_empty_catalogue),
      cmocka_unit_test(test_each_bad_field_reported_with_its_line),
      cmocka_unit_test(test_several_faults_on_one_line_all_reported),
      cmocka_unit_test(test_overlap_reported_naming_both_lines),
      cmocka_unit_test(test_bad_lines_and_overlaps_counted_together),
      cmocka_unit_test(test_no_report_callback_still_fails),
      cmocka_unit_test(test_header_errors),
      cmocka_unit_test(test_load_from_path_and_stdin),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
