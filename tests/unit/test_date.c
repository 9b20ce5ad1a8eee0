/*
** Unit tests: calendar dates (include/sanbao/date.h).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sanbao/date.h"

/* ---- an independent calendar, for the reference values ------------------ */

static int ref_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int ref_days_in_month(int y, int m) {
  switch (m) {
  case 2:
    return ref_leap(y) ? 29 : 28;
  case 4:
  case 6:
  case 9:
  case 11:
    return 30;
  default:
    return 31;
  }
}

/* Walk the calendar one day at a time from (y, m, d). */
static void ref_next(int *y, int *m, int *d) {
  if (++*d > ref_days_in_month(*y, *m)) {
    *d = 1;
    if (++*m > 12) {
      *m = 1;
      ++*y;
    }
  }
}

static int parse(const char *s, sb_date *out) {
  return sb_date_parse(s, strlen(s), out);
}

static void expect_date(const char *s, sb_date want) {
  sb_date v = -12345;
  if (parse(s, &v) != 0) fail_msg("'%s' should be a valid date", s);
  if (v != want) fail_msg("'%s' gave day %d, want %d", s, (int)v, (int)want);
}

static void expect_bad(const char *s) {
  sb_date v;
  if (parse(s, &v) != -1) fail_msg("'%s' should be rejected", s);
}

static void expect_format(sb_date d, const char *want) {
  char buf[SB_DATE_BUFSZ + 4];
  memset(buf, 'X', sizeof buf);
  assert_int_equal(sb_date_format(d, buf), 10);
  assert_string_equal(buf, want);
}

/* Check text <-> day number for every day from y0-01-01 to y1-12-31,
** starting at the known day number `first`. */
static void walk_years(int y0, int y1, sb_date first) {
  int y = y0, m = 1, d = 1;
  sb_date n = first;
  char want[32], buf[SB_DATE_BUFSZ];
  while (y <= y1) {
    snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
    sb_date got = 0;
    if (sb_date_parse(want, 10, &got) != 0) fail_msg("'%s' rejected", want);
    if (got != n) fail_msg("'%s' gave %d, want %d", want, (int)got, (int)n);
    assert_int_equal(sb_date_format(n, buf), 10);
    if (strcmp(buf, want) != 0) fail_msg("day %d formatted '%s', want '%s'", (int)n, buf, want);
    if (sb_date_year(n) != y) fail_msg("year of %s gave %d", want, sb_date_year(n));
    int yy, mm, dd;
    sb_date_to_ymd(n, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d)
      fail_msg("to_ymd(%d) = %d-%d-%d, want %s", (int)n, yy, mm, dd, want);
    if (sb_date_from_ymd(y, m, d) != n) fail_msg("from_ymd(%s) wrong", want);
    ref_next(&y, &m, &d);
    n++;
  }
}

/* ---- sb_date_parse ----------------------------------------------------- */

static void test_parse_known_day_numbers(void **state) {
  (void)state;
  expect_date("1970-01-01", 0);
  expect_date("1970-01-02", 1);
  expect_date("1969-12-31", -1);
  expect_date("2000-02-29", 11016);
  expect_date("2000-03-01", 11017);
  expect_date("2022-02-28", 19051);
  expect_date("2022-07-15", 19188);
  expect_date("2024-02-29", 19782);
  expect_date("0001-01-01", -719162);
  expect_date("9999-12-31", 2932896);
}

static void test_parse_leap_days(void **state) {
  (void)state;
  expect_bad("2022-02-29");
  expect_date("2024-02-29", 19782);
  expect_bad("1900-02-29");
  expect_date("2000-02-29", 11016);
  expect_bad("2100-02-29");
  expect_bad("2023-02-29");
  expect_date("1600-02-29", sb_date_from_ymd(1600, 2, 29));
  expect_bad("2024-02-30");
  expect_bad("2000-02-30");
  expect_date("2022-02-28", 19051);
}

static void test_parse_rejects_bad_month_and_day(void **state) {
  (void)state;
  expect_bad("2022-13-01");
  expect_bad("2022-00-10");
  expect_bad("2022-99-10");
  expect_bad("2022-01-00");
  expect_bad("2022-01-32");
  expect_bad("2022-04-31");
  expect_bad("2022-06-31");
  expect_bad("2022-09-31");
  expect_bad("2022-11-31");
  expect_bad("2022-12-32");
  expect_bad("2022-01-99");
  expect_date("2022-04-30", sb_date_from_ymd(2022, 4, 30));
  expect_date("2022-12-31", sb_date_from_ymd(2022, 12, 31));
}

static void test_parse_rejects_year_zero(void **state) {
  (void)state;
  expect_bad("0000-01-01");
  expect_bad("0000-12-31");
  expect_date("0001-01-01", -719162);
}

static void test_parse_rejects_wrong_length(void **state) {
  (void)state;
  expect_bad("");
  expect_bad("2022-1-01");
  expect_bad("2022-01-1");
  expect_bad("22-01-01");
  expect_bad("2022-01-");
  expect_bad("2022-01-011");
  expect_bad("02022-01-01");
  expect_bad("2022-01-01 ");
  expect_bad(" 2022-01-01");
  expect_bad("2022-01-01T00:00");
  expect_bad("20220101");
  sb_date v;
  assert_int_equal(sb_date_parse("2022-01-01", 9, &v), -1);
  assert_int_equal(sb_date_parse("2022-01-01", 0, &v), -1);
}

static void test_parse_rejects_non_digits_and_separators(void **state) {
  (void)state;
  expect_bad("2022/01/01");
  expect_bad("2022.01.01");
  expect_bad("2022-01/01");
  expect_bad("2022_01-01");
  expect_bad("2022-0a-01");
  expect_bad("2022-01-0a");
  expect_bad("20x2-01-01");
  expect_bad("+022-01-01");
  expect_bad("-022-01-01");
  expect_bad("2022--1-01");
  expect_bad("2022-01--1");
  expect_bad("2022-+1-01");
  expect_bad(" 022-01-01");
  expect_bad("2022- 1-01");
  expect_bad("2022-01- 1");
  expect_bad("2022-01-01\n");
  expect_bad("YYYY-MM-DD");
  expect_bad("2022-0:-01"); /* ':' is just above '9' */
  expect_bad("2022-0/-01"); /* '/' is just below '0' */
  sb_date v;
  assert_int_equal(sb_date_parse("2022-01-0\0", 10, &v), -1);
}

static void test_parse_uses_length_not_nul(void **state) {
  (void)state;
  sb_date v = 0;
  assert_int_equal(sb_date_parse("2022-07-15,rest", 10, &v), 0);
  assert_int_equal(v, 19188);
}

/* ---- formatting, years, round trips ------------------------------------ */

static void test_format_known_days(void **state) {
  (void)state;
  expect_format(0, "1970-01-01");
  expect_format(-1, "1969-12-31");
  expect_format(19188, "2022-07-15");
  expect_format(19782, "2024-02-29");
  expect_format(11016, "2000-02-29");
  expect_format(-719162, "0001-01-01");
  expect_format(2932896, "9999-12-31");
}

static void test_year_of_day_numbers(void **state) {
  (void)state;
  assert_int_equal(sb_date_year(0), 1970);
  assert_int_equal(sb_date_year(-1), 1969);
  assert_int_equal(sb_date_year(364), 1970);
  assert_int_equal(sb_date_year(365), 1971);
  assert_int_equal(sb_date_year(sb_date_from_ymd(2022, 12, 31)), 2022);
  assert_int_equal(sb_date_year(sb_date_from_ymd(2023, 1, 1)), 2023);
  assert_int_equal(sb_date_year(sb_date_from_ymd(2022, 1, 1)), 2022);
  assert_int_equal(sb_date_year(sb_date_from_ymd(2021, 12, 31)), 2021);
  assert_int_equal(sb_date_year(19782), 2024);
  assert_int_equal(sb_date_year(-719162), 1);
  assert_int_equal(sb_date_year(2932896), 9999);
  /* any int32: a crafted pack's date, the sentinels (UBSan saw an overflow) */
  assert_int_equal(sb_date_year(-719163), 0);
  assert_int_equal(sb_date_year(2932897), 10000);
  assert_int_equal(sb_date_year(SB_DATE_MIN), 0);
  assert_int_equal(sb_date_year(SB_DATE_MAX), 10000);
  int y, m, d;
  sb_date_to_ymd(SB_DATE_MIN, &y, &m, &d);
  assert_true(y < 0 && m >= 1 && m <= 12 && d >= 1 && d <= 31);
  sb_date_to_ymd(SB_DATE_MAX, &y, &m, &d);
  assert_true(y > 9999 && m >= 1 && m <= 12 && d >= 1 && d <= 31);
}

static void test_round_trip_every_day_1970_to_2100(void **state) {
  (void)state;
  walk_years(1970, 2100, 0);
}

static void test_round_trip_every_day_of_all_file_years(void **state) {
  (void)state;
  /* 0001-01-01 .. 9999-12-31: every date a file can hold. */
  walk_years(1, 9999, -719162);
}

static void test_round_trip_far_years(void **state) {
  (void)state;
  walk_years(1600, 1601, sb_date_from_ymd(1600, 1, 1));
  walk_years(1899, 1901, sb_date_from_ymd(1899, 1, 1));
  walk_years(2399, 2401, sb_date_from_ymd(2399, 1, 1));
  walk_years(9998, 9999, 2932896 - 365 - 364);
  assert_int_equal(sb_date_from_ymd(9998, 1, 1), 2932896 - 365 - 364);
  /* Day numbers of year starts differ by the year's length. */
  for (int y = 1; y < 9999; y++)
    assert_int_equal(sb_date_from_ymd(y + 1, 1, 1) - sb_date_from_ymd(y, 1, 1),
                     ref_leap(y) ? 366 : 365);
}

static void test_dates_order_as_integers(void **state) {
  (void)state;
  sb_date a, b, c;
  assert_int_equal(parse("2021-12-31", &a), 0);
  assert_int_equal(parse("2022-01-01", &b), 0);
  assert_int_equal(parse("2022-01-02", &c), 0);
  assert_int_equal(b - a, 1);
  assert_int_equal(c - b, 1);
  assert_true(SB_DATE_MIN < a && c < SB_DATE_MAX);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_known_day_numbers),
      cmocka_unit_test(test_parse_leap_days),
      cmocka_unit_test(test_parse_rejects_bad_month_and_day),
      cmocka_unit_test(test_parse_rejects_year_zero),
      cmocka_unit_test(test_parse_rejects_wrong_length),
      cmocka_unit_test(test_parse_rejects_non_digits_and_separators),
      cmocka_unit_test(test_parse_uses_length_not_nul),
      cmocka_unit_test(test_format_known_days),
      cmocka_unit_test(test_year_of_day_numbers),
      cmocka_unit_test(test_round_trip_every_day_1970_to_2100),
      cmocka_unit_test(test_round_trip_every_day_of_all_file_years),
      cmocka_unit_test(test_round_trip_far_years),
      cmocka_unit_test(test_dates_order_as_integers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
