/*
** Unit tests: counts, unit prices, the classification of a fee line and
** the catalogue index (include/sanbao/fee.h; docs/reference/settlement.md
** §11, docs/reference/formats.md §9/§10).
*/
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/catalog_csv.h"
#include "sanbao/date.h"
#include "sanbao/fee.h"

/* ---- helpers ----------------------------------------------------------- */

#define SENTINEL ((int64_t)-777)

static void expect_qty(const char *s, sb_qty want) {
  sb_qty v = SENTINEL;
  if (sb_qty_parse(s, strlen(s), &v) != 0) fail_msg("'%s' should parse as a count", s);
  if (v != want) fail_msg("'%s' parsed as %lld, want %lld", s, (long long)v, (long long)want);
}

static void expect_qty_bad(const char *s) {
  sb_qty v = SENTINEL;
  if (sb_qty_parse(s, strlen(s), &v) != -1) fail_msg("'%s' should be rejected as a count", s);
  if (v != SENTINEL) fail_msg("a rejected '%s' changed the output", s);
}

static void expect_price(const char *s, sb_price want) {
  sb_price v = SENTINEL;
  if (sb_price_parse(s, strlen(s), &v) != 0) fail_msg("'%s' should parse as a price", s);
  if (v != want) fail_msg("'%s' parsed as %lld, want %lld", s, (long long)v, (long long)want);
}

static void expect_price_bad(const char *s) {
  sb_price v = SENTINEL;
  if (sb_price_parse(s, strlen(s), &v) != -1) fail_msg("'%s' should be rejected as a price", s);
  if (v != SENTINEL) fail_msg("a rejected '%s' changed the output", s);
}

static sb_qty Q(const char *s) {
  sb_qty v;
  if (sb_qty_parse(s, strlen(s), &v)) fail_msg("bad test count %s", s);
  return v;
}

static sb_price P(const char *s) {
  sb_price v;
  if (sb_price_parse(s, strlen(s), &v)) fail_msg("bad test price %s", s);
  return v;
}

static sb_date D(const char *s) {
  sb_date d = 0;
  if (sb_date_parse(s, strlen(s), &d)) fail_msg("bad test date %s", s);
  return d;
}

static sb_catalog_item item(int cls, sb_bp prop, sb_price limit) {
  sb_catalog_item it = {SB_DATE_MIN, SB_DATE_MAX, (uint8_t)cls, prop, limit};
  return it;
}

/* Classify and compare every amount (fen). */
static void expect_line(const sb_catalog_item *it, sb_qty cnt, sb_price pric, int cls, sb_fen amt,
                        sb_fen fulamt, sb_fen over, sb_fen pre, sb_fen inscp) {
  sb_fee_amounts a;
  memset(&a, 0x5a, sizeof a);
  if (sb_fee_classify(it, cnt, pric, &a) != 0)
    fail_msg("cnt %lld x pric %lld refused", (long long)cnt, (long long)pric);
  if (a.cls != cls || a.amt != amt || a.fulamt != fulamt || a.over != over || a.pre != pre ||
      a.inscp != inscp)
    fail_msg("cnt %lld x pric %lld: got cls %d amt %lld ful %lld over %lld pre %lld inscp %lld, "
             "want %d %lld %lld %lld %lld %lld",
             (long long)cnt, (long long)pric, a.cls, (long long)a.amt, (long long)a.fulamt,
             (long long)a.over, (long long)a.pre, (long long)a.inscp, cls, (long long)amt,
             (long long)fulamt, (long long)over, (long long)pre, (long long)inscp);
}

static void expect_refused(const sb_catalog_item *it, sb_qty cnt, sb_price pric) {
  sb_fee_amounts a, before;
  memset(&a, 0x5a, sizeof a);
  before = a;
  if (sb_fee_classify(it, cnt, pric, &a) != -1)
    fail_msg("cnt %lld x pric %lld should be refused", (long long)cnt, (long long)pric);
  assert_memory_equal(&a, &before, sizeof a);
}

/* splitmix64, so every run checks the same values. */
static uint64_t rng_state;
static uint64_t rng(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* round_half_up(cnt x pric) to the fen, a second way: signed 128-bit,
** always (the code under test takes a 64-bit path when it can). */
static __int128 ref_amt(sb_qty cnt, sb_price pric) {
  __int128 p = (__int128)cnt * pric;
  return (p + 50000000) / 100000000;
}

/* ---- sb_qty_parse ------------------------------------------------------ */

static void test_qty_parse_valid(void **state) {
  (void)state;
  expect_qty("0", 0);
  expect_qty("00", 0);
  expect_qty("0.0", 0);
  expect_qty("0.0000", 0);
  expect_qty("1", 10000);
  expect_qty("01", 10000);
  expect_qty("1.0000", 10000);
  expect_qty("2.5", 25000);
  expect_qty("2.50", 25000);
  expect_qty("0.0001", 1);
  expect_qty("19.7315", 197315);
  expect_qty("3.74", 37400);
  expect_qty("123.456", 1234560);
  expect_qty("0003.0", 30000);
  expect_qty("9999999999.9999", 99999999999999LL);
}

static void test_qty_parse_bounds(void **state) {
  (void)state;
  expect_qty("10000000000", SB_QTY_MAX);
  expect_qty("10000000000.0", SB_QTY_MAX);
  expect_qty("10000000000.0000", SB_QTY_MAX);
  expect_qty("0010000000000", SB_QTY_MAX);
  assert_int_equal(SB_QTY_MAX, 100000000000000LL);
  expect_qty_bad("10000000000.0001");
  expect_qty_bad("10000000000.1");
  expect_qty_bad("10000000001");
  expect_qty_bad("99999999999");
  expect_qty_bad("9223372036854775807");
  expect_qty_bad("18446744073709551617");
  expect_qty_bad("99999999999999999999999999999999999999.5");
  char big[512];
  memset(big, '9', 400);
  big[400] = 0;
  expect_qty_bad(big);
}

static void test_qty_parse_invalid_forms(void **state) {
  (void)state;
  expect_qty_bad("");
  expect_qty_bad("-1");
  expect_qty_bad("-0");
  expect_qty_bad("+1");
  expect_qty_bad(" 1");
  expect_qty_bad("1 ");
  expect_qty_bad("1\r");
  expect_qty_bad("\t1");
  expect_qty_bad("1e3");
  expect_qty_bad("1E3");
  expect_qty_bad(".5");
  expect_qty_bad("5.");
  expect_qty_bad(".");
  expect_qty_bad("1.23456"); /* five decimals */
  expect_qty_bad("0.00000");
  expect_qty_bad("1..5");
  expect_qty_bad("1.2.3");
  expect_qty_bad("1,5");
  expect_qty_bad("1,000");
  expect_qty_bad("0x10");
  expect_qty_bad("1/2");
  expect_qty_bad("inf");
  expect_qty_bad("nan");
  expect_qty_bad("\xef\xbc\x91"); /* fullwidth digit one */
  expect_qty_bad("1.5a");
  expect_qty_bad("a1");
}

static void test_qty_parse_uses_length_not_nul(void **state) {
  (void)state;
  sb_qty v = 0;
  assert_int_equal(sb_qty_parse("12345", 3, &v), 0);
  assert_int_equal(v, 1230000);
  assert_int_equal(sb_qty_parse("1.23456", 6, &v), 0); /* "1.2345" */
  assert_int_equal(v, 12345);
  v = SENTINEL;
  assert_int_equal(sb_qty_parse("1", 0, &v), -1);
  assert_int_equal(sb_qty_parse("1\0"
                                "0",
                                3, &v),
                   -1);
  assert_int_equal(v, SENTINEL);
}

/* ---- sb_price_parse ---------------------------------------------------- */

static void test_price_parse_valid(void **state) {
  (void)state;
  expect_price("0", 0);
  expect_price("0.000000", 0);
  expect_price("1", 1000000);
  expect_price("01", 1000000);
  expect_price("62.60", 62600000);
  expect_price("22.195", 22195000);
  expect_price("1568.672408", 1568672408);
  expect_price("0.000001", 1);
  expect_price("0.5", 500000);
  expect_price("866.970000", 866970000);
  expect_price("9999999999.999999", 9999999999999999LL);
}

static void test_price_parse_bounds(void **state) {
  (void)state;
  expect_price("10000000000", SB_PRICE_MAX);
  expect_price("10000000000.000000", SB_PRICE_MAX);
  expect_price("000010000000000.0", SB_PRICE_MAX);
  assert_int_equal(SB_PRICE_MAX, 10000000000000000LL);
  expect_price_bad("10000000000.000001");
  expect_price_bad("10000000000.1");
  expect_price_bad("10000000001");
  expect_price_bad("9223372036854775807");
  expect_price_bad("92233720368547.758071");
  expect_price_bad("18446744073709551616");
}

static void test_price_parse_invalid_forms(void **state) {
  (void)state;
  expect_price_bad("");
  expect_price_bad("-1");
  expect_price_bad("+1");
  expect_price_bad(" 1");
  expect_price_bad("1 ");
  expect_price_bad("1e3");
  expect_price_bad("1.5E2");
  expect_price_bad(".5");
  expect_price_bad("5.");
  expect_price_bad("1.1234567"); /* seven decimals */
  expect_price_bad("0.0000000");
  expect_price_bad("1..5");
  expect_price_bad("1.2.3");
  expect_price_bad("1,000.00");
  expect_price_bad("¥1");
  expect_price_bad("1元");
  expect_price_bad("0x1");
}

static void test_price_parse_uses_length_not_nul(void **state) {
  (void)state;
  sb_price v = 0;
  assert_int_equal(sb_price_parse("1.1234567", 8, &v), 0); /* "1.123456" */
  assert_int_equal(v, 1123456);
  v = SENTINEL;
  assert_int_equal(sb_price_parse("1.", 1, &v), 0);
  assert_int_equal(v, 1000000);
  v = SENTINEL;
  assert_int_equal(sb_price_parse("1.\0", 3, &v), -1);
  assert_int_equal(v, SENTINEL);
}

/* ---- sb_fee_classify --------------------------------------------------- */

static void test_classify_unlisted_is_all_self_paid(void **state) {
  (void)state;
  /* 2 x 866.97 = 1733.94, all of it fulamt (the example's C029256/04). */
  expect_line(NULL, Q("2.0"), P("866.970000"), SB_CLASS_UNLISTED, 173394, 173394, 0, 0, 0);
  expect_line(NULL, Q("0"), P("33.07"), SB_CLASS_UNLISTED, 0, 0, 0, 0, 0);
}

static void test_classify_class_c_is_all_self_paid_whatever_the_limit(void **state) {
  (void)state;
  sb_catalog_item c = item(SB_CLASS_C, 0, SB_PRICE_NO_LIMIT);
  expect_line(&c, Q("1"), P("62.60"), SB_CLASS_C, 6260, 6260, 0, 0, 0);
  /* A limit on a 丙类 row changes nothing: it is self-paid anyway. */
  sb_catalog_item cl = item(SB_CLASS_C, 0, P("10"));
  expect_line(&cl, Q("1"), P("62.60"), SB_CLASS_C, 6260, 6260, 0, 0, 0);
}

static void test_classify_class_a_in_scope(void **state) {
  (void)state;
  sb_catalog_item a = item(SB_CLASS_A, 0, SB_PRICE_NO_LIMIT);
  /* 2 x 96.71 = 193.42, all in scope. */
  expect_line(&a, Q("2.00"), P("96.71"), SB_CLASS_A, 19342, 0, 0, 0, 19342);
  /* A ratio on a 甲类 item (which add() refuses) is not applied. */
  sb_catalog_item odd = item(SB_CLASS_A, 5000, SB_PRICE_NO_LIMIT);
  expect_line(&odd, Q("2.00"), P("96.71"), SB_CLASS_A, 19342, 0, 0, 0, 19342);
}

static void test_classify_class_b_pays_its_share_first(void **state) {
  (void)state;
  sb_catalog_item b = item(SB_CLASS_B, 1000, SB_PRICE_NO_LIMIT);
  /* 1 x 74.83; pre = mul(7483, 0.1) = 748.3 -> 748; inscp 6735. */
  expect_line(&b, Q("1"), P("74.83"), SB_CLASS_B, 7483, 0, 0, 748, 6735);
  /* 乙类 with no ratio: all in scope. */
  sb_catalog_item b0 = item(SB_CLASS_B, 0, SB_PRICE_NO_LIMIT);
  expect_line(&b0, Q("2.00"), P("22.195"), SB_CLASS_B, 4439, 0, 0, 0, 4439);
  /* The whole ratio: nothing left in scope. */
  sb_catalog_item b1 = item(SB_CLASS_B, SB_BP_ONE, SB_PRICE_NO_LIMIT);
  expect_line(&b1, Q("3"), P("10"), SB_CLASS_B, 3000, 0, 0, 3000, 0);
}

static void test_classify_limit_hit_and_not_hit(void **state) {
  (void)state;
  sb_catalog_item a = item(SB_CLASS_A, 0, P("17.605974"));
  /* Hit: 1 x 24.06 = 24.06; over = 1 x (24.06 - 17.605974) = 6.454026 -> 6.45;
  ** inscp 24.06 - 6.45 = 17.61 (the example's C095815/4). */
  expect_line(&a, Q("1"), P("24.06"), SB_CLASS_A, 2406, 0, 645, 0, 1761);
  /* Not hit: below the limit, and at it exactly. */
  expect_line(&a, Q("3"), P("16.2938"), SB_CLASS_A, 4888, 0, 0, 0, 4888);
  expect_line(&a, Q("1"), P("17.605974"), SB_CLASS_A, 1761, 0, 0, 0, 1761);
  /* One micro-yuan above it, times 10000: 0.01 yuan over. */
  expect_line(&a, Q("10000"), P("17.605975"), SB_CLASS_A, 17605975, 0, 1, 0, 17605974);
  /* ... times 1: 0.000001 yuan is less than half a fen: over rounds to 0. */
  expect_line(&a, Q("1"), P("17.605975"), SB_CLASS_A, 1761, 0, 0, 0, 1761);
  /* A zero limit: everything is over. */
  sb_catalog_item z = item(SB_CLASS_A, 0, 0);
  expect_line(&z, Q("2"), P("5"), SB_CLASS_A, 1000, 0, 1000, 0, 0);
}

static void test_classify_class_b_with_limit(void **state) {
  (void)state;
  /* The example's C538298 SN80834-8: 乙类, ratio 0.1, limit 1043.82; 2 x 1122.2.
  **   amt   = 2 x 1122.2                 = 2244.40
  **   over  = 2 x (1122.2 - 1043.82)     = 2 x 78.38 = 156.76
  **   pre   = mul(224440 - 15676, 0.1)   = 20876.4 -> 20876 = 208.76
  **   inscp = 2244.40 - 156.76 - 208.76  = 1878.88 */
  sb_catalog_item b = item(SB_CLASS_B, 1000, P("1043.82"));
  expect_line(&b, Q("2"), P("1122.2"), SB_CLASS_B, 224440, 0, 15676, 20876, 187888);
  /* C527814/01: 2.5321 x 1439.8484 = 3645.84133... -> 3645.84;
  **   over = 2.5321 x 396.0284 = 1002.77951... -> 1002.78;
  **   pre  = mul(364584 - 100278 = 264306, 0.1) = 26430.6 -> 26431 (half up);
  **   inscp = 364584 - 100278 - 26431 = 237875. */
  expect_line(&b, Q("2.5321"), P("1439.8484"), SB_CLASS_B, 364584, 0, 100278, 26431, 237875);
}

static void test_classify_fractional_counts_and_six_decimal_prices(void **state) {
  (void)state;
  sb_catalog_item c = item(SB_CLASS_C, 0, SB_PRICE_NO_LIMIT);
  /* 29.7956 x 3.248801 = 96.7999752... -> 96.80 (C147206/04). */
  expect_line(&c, Q("29.7956"), P("3.248801"), SB_CLASS_C, 9680, 9680, 0, 0, 0);
  /* 12.7150 x 6.539520 = 83.1499968 -> 83.15 (C938179 SN40836-6). */
  expect_line(&c, Q("12.7150"), P("6.539520"), SB_CLASS_C, 8315, 8315, 0, 0, 0);
  /* The smallest units: 0.0001 x 0.000001 = 1e-10 yuan -> 0. */
  expect_line(&c, Q("0.0001"), P("0.000001"), SB_CLASS_C, 0, 0, 0, 0, 0);
  /* 0.0001 x 99.999999 = 0.0099999999 -> 0.01. */
  expect_line(&c, Q("0.0001"), P("99.999999"), SB_CLASS_C, 1, 1, 0, 0, 0);
}

static void test_classify_half_up_at_exactly_half_a_fen(void **state) {
  (void)state;
  sb_catalog_item a = item(SB_CLASS_A, 0, SB_PRICE_NO_LIMIT);
  /* 1 x 0.005 = half a fen: up.  One micro-yuan less: down. */
  expect_line(&a, Q("1"), P("0.005"), SB_CLASS_A, 1, 0, 0, 0, 1);
  expect_line(&a, Q("1"), P("0.004999"), SB_CLASS_A, 0, 0, 0, 0, 0);
  /* 3 x 0.015 = 0.045 -> 0.05;  0.5 x 0.01 = 0.005 -> 0.01;  2.5 x 0.123 = 0.3075 -> 0.31. */
  expect_line(&a, Q("3"), P("0.015"), SB_CLASS_A, 5, 0, 0, 0, 5);
  expect_line(&a, Q("0.5"), P("0.01"), SB_CLASS_A, 1, 0, 0, 0, 1);
  expect_line(&a, Q("2.5"), P("0.123"), SB_CLASS_A, 31, 0, 0, 0, 31);
  /* 0.0001 x 50 = 0.005 exactly: up; 0.0001 x 49.999999 just below: down. */
  expect_line(&a, Q("0.0001"), P("50"), SB_CLASS_A, 1, 0, 0, 0, 1);
  expect_line(&a, Q("0.0001"), P("49.999999"), SB_CLASS_A, 0, 0, 0, 0, 0);
  /* The over part is rounded half up on its own: 1 x (10.005 - 10) = 0.005 -> 0.01,
  ** while amt = 10.005 -> 10.01. */
  sb_catalog_item l = item(SB_CLASS_A, 0, P("10"));
  expect_line(&l, Q("1"), P("10.005"), SB_CLASS_A, 1001, 0, 1, 0, 1000);
  /* pre is mul(), half up too: mul(5, 0.1) = 0.5 -> 1. */
  sb_catalog_item b = item(SB_CLASS_B, 1000, SB_PRICE_NO_LIMIT);
  expect_line(&b, Q("1"), P("0.05"), SB_CLASS_B, 5, 0, 0, 1, 4);
}

static void test_classify_maximum_amount(void **state) {
  (void)state;
  sb_catalog_item a = item(SB_CLASS_A, 0, SB_PRICE_NO_LIMIT);
  /* Exactly 10,000,000,000.00 is an amount a file may hold. */
  expect_line(&a, Q("1"), SB_PRICE_MAX, SB_CLASS_A, SB_MONEY_MAX, 0, 0, 0, SB_MONEY_MAX);
  expect_line(&a, SB_QTY_MAX, P("1"), SB_CLASS_A, SB_MONEY_MAX, 0, 0, 0, SB_MONEY_MAX);
  expect_line(NULL, Q("4"), P("2500000000"), SB_CLASS_UNLISTED, SB_MONEY_MAX, SB_MONEY_MAX, 0, 0,
              0);
  /* 2 x 5000000000.000003 = 10000000000.000006: 0.0006 fen above, rounds down to the max. */
  expect_line(&a, Q("2"), P("5000000000.000003"), SB_CLASS_A, SB_MONEY_MAX, 0, 0, 0, SB_MONEY_MAX);
  /* 2 x 5000000000.0025 = 10000000000.005: half a fen above, rounds up past it. */
  expect_refused(&a, Q("2"), P("5000000000.0025"));
  expect_refused(&a, Q("2"), P("5000000000.01"));
  expect_refused(NULL, Q("10000000000"), P("1.000001"));
  /* The largest product of all, 1e30 in 1e-10 yuan, needs the 128 bits. */
  expect_refused(&a, SB_QTY_MAX, SB_PRICE_MAX);
  expect_refused(NULL, SB_QTY_MAX, SB_PRICE_MAX);
  /* Out of the parsers' range. */
  expect_refused(&a, -1, P("1"));
  expect_refused(&a, Q("1"), -1);
  expect_refused(&a, SB_QTY_MAX + 1, P("0"));
  expect_refused(&a, Q("0"), SB_PRICE_MAX + 1);
  /* A count of zero at the largest price is zero. */
  expect_line(&a, 0, SB_PRICE_MAX, SB_CLASS_A, 0, 0, 0, 0, 0);
}

static void test_classify_products_beyond_64_bits(void **state) {
  (void)state;
  /* 5e9 x 1.000001 = 5000005000 yuan: the product, 5.000005e19 in 1e-10
  ** yuan, is above 2^64 = 1.8e19. */
  sb_catalog_item b = item(SB_CLASS_B, 3000, P("1"));
  /* over = 5e9 x 0.000001 = 5000.00; pre = mul(500000500000 - 500000, 0.3) = 150000000000. */
  expect_line(&b, Q("5000000000"), P("1.000001"), SB_CLASS_B, 500000500000LL, 0, 500000,
              150000000000LL, 350000000000LL);
  /* 1844674407.3709 x 10 = 18446744073.709 yuan: refused (and beyond 2^64 too). */
  expect_refused(&b, Q("1844674407.3709"), P("10"));
  /* 999999999.9999 x 9.999999 = 9999999999.999 - 999.9999999999
  **                            = 9999999000.0000000001 yuan -> 9999999000.00. */
  expect_line(NULL, Q("999999999.9999"), P("9.999999"), SB_CLASS_UNLISTED, 999999900000LL,
              999999900000LL, 0, 0, 0);
  /* A product whose fen count is beyond int64 (1e12 x 1e15 / 1e8 = 1e19 fen) is
  ** refused, not wrapped round to a negative amount. */
  expect_refused(NULL, Q("100000000"), P("1000000000"));
  expect_refused(NULL, Q("518856803.7529"), P("1294054649.011352"));
}

static void test_classify_random_lines_keep_the_identities(void **state) {
  (void)state;
  rng_state = 2301;
  int refused = 0, limited = 0;
  for (int i = 0; i < 300000; i++) {
    sb_qty cnt;
    sb_price pric;
    switch (i % 3) {
    case 0: /* everyday lines */
      cnt = (sb_qty)(rng() % 1000000);
      pric = (sb_price)(rng() % 10000000000ULL);
      break;
    case 1: /* anything the parsers allow */
      cnt = (sb_qty)(rng() % (uint64_t)(SB_QTY_MAX + 1));
      pric = (sb_price)(rng() % (uint64_t)(SB_PRICE_MAX + 1));
      break;
    default: /* around the maximum amount */
      cnt = (sb_qty)(rng() % 100000000000ULL) + 1;
      pric =
          (sb_price)(((__int128)SB_MONEY_MAX * 100000000 / cnt) + (sb_price)(rng() % 2000) - 1000);
      if (pric < 0 || pric > SB_PRICE_MAX) pric = SB_PRICE_MAX;
      break;
    }
    sb_catalog_item it = item((int)(rng() % 3) + 1, 0, SB_PRICE_NO_LIMIT);
    if (it.cls == SB_CLASS_B) it.selfpay_prop = (sb_bp)(rng() % (SB_BP_ONE + 1));
    if (rng() % 2) { /* a limit around the price, hit about half the time */
      it.price_limit = (sb_price)(rng() % (uint64_t)(2 * pric + 2));
      if (it.price_limit > SB_PRICE_MAX) it.price_limit = SB_PRICE_MAX;
    }
    const sb_catalog_item *ip = rng() % 5 ? &it : NULL;
    sb_fee_amounts a;
    __int128 want = ref_amt(cnt, pric);
    int rc = sb_fee_classify(ip, cnt, pric, &a);
    if (want > SB_MONEY_MAX) {
      assert_int_equal(rc, -1);
      refused++;
      continue;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(a.amt, (sb_fen)want);
    if (!(a.fulamt >= 0 && a.over >= 0 && a.pre >= 0 && a.inscp >= 0))
      fail_msg("i %d cnt %lld pric %lld cls %d lim %lld prop %d: %lld %lld %lld %lld %lld", i,
               (long long)cnt, (long long)pric, ip ? ip->cls : 0,
               ip ? (long long)ip->price_limit : 0LL, ip ? ip->selfpay_prop : 0, (long long)a.amt,
               (long long)a.fulamt, (long long)a.over, (long long)a.pre, (long long)a.inscp);
    assert_int_equal(a.amt, a.fulamt + a.over + a.pre + a.inscp);
    if (!ip || ip->cls == SB_CLASS_C) {
      assert_int_equal(a.fulamt, a.amt);
      assert_int_equal(a.cls, ip ? SB_CLASS_C : SB_CLASS_UNLISTED);
    } else {
      assert_int_equal(a.fulamt, 0);
      sb_fen over = ip->price_limit >= 0 && pric > ip->price_limit
                        ? (sb_fen)ref_amt(cnt, pric - ip->price_limit)
                        : 0;
      limited += over > 0;
      assert_int_equal(a.over, over);
      assert_int_equal(a.pre, ip->cls == SB_CLASS_B ? sb_mul(a.amt - over, ip->selfpay_prop) : 0);
    }
  }
  /* Each kind of case was met many times. */
  if (refused < 10000 || limited < 10000) fail_msg("refused %d, limited %d", refused, limited);
}

/* ---- the catalogue ----------------------------------------------------- */

static void add_row(sb_catalog *c, const char *code, const char *b, const char *e, int cls,
                    sb_bp prop, sb_price limit, int line) {
  sb_catalog_item it = {D(b), e ? D(e) : SB_DATE_MAX, (uint8_t)cls, prop, limit};
  assert_int_equal(sb_catalog_add(c, code, strlen(code), &it, line), SB_OK);
}

static const sb_catalog_item *find(const sb_catalog *c, const char *code, const char *d) {
  return sb_catalog_find(c, code, strlen(code), D(d));
}

static void test_catalog_find_at_interval_edges(void **state) {
  (void)state;
  sb_catalog *c = sb_catalog_new();
  assert_non_null(c);
  add_row(c, "M1", "2021-01-01", "2021-06-30", SB_CLASS_A, 0, SB_PRICE_NO_LIMIT, 2);
  add_row(c, "M1", "2021-07-01", NULL, SB_CLASS_B, 2000, P("10"), 3); /* re-rated mid-year */
  add_row(c, "M2", "2020-02-29", "2020-02-29", SB_CLASS_C, 0, SB_PRICE_NO_LIMIT, 4);
  /* Lookups before finish() find nothing (and a hint does nothing). */
  sb_catalog_prefetch(c, "M1", 2);
  sb_catalog_prefetch_slot(c, sb_catalog_hash("M1", 2));
  sb_catalog_prefetch_rows(c, sb_catalog_hash("M1", 2));
  assert_null(find(c, "M1", "2021-03-01"));
  assert_null(sb_catalog_find_hashed(c, "M1", 2, sb_catalog_hash("M1", 2), D("2021-03-01")));
  assert_int_equal(sb_catalog_finish(c, NULL, NULL), 0);
  assert_int_equal(sb_catalog_count(c), 3);
  assert_int_equal(sb_catalog_codes(c), 2);

  assert_null(find(c, "M1", "2020-12-31"));
  const sb_catalog_item *it = find(c, "M1", "2021-01-01");
  assert_non_null(it);
  assert_int_equal(it->cls, SB_CLASS_A);
  assert_int_equal(find(c, "M1", "2021-06-30")->cls, SB_CLASS_A);
  it = find(c, "M1", "2021-07-01");
  assert_non_null(it);
  assert_int_equal(it->cls, SB_CLASS_B);
  assert_int_equal(it->selfpay_prop, 2000);
  assert_int_equal(it->price_limit, 10000000);
  assert_int_equal(it->end, SB_DATE_MAX);
  assert_int_equal(find(c, "M1", "9999-12-31")->cls, SB_CLASS_B);
  /* A one-day row. */
  assert_null(find(c, "M2", "2020-02-28"));
  assert_int_equal(find(c, "M2", "2020-02-29")->cls, SB_CLASS_C);
  assert_null(find(c, "M2", "2020-03-01"));
  /* A hint changes no result, for a code there or not. */
  sb_catalog_prefetch(c, "M1", 2);
  sb_catalog_prefetch(c, "nope", 4);
  sb_catalog_prefetch(c, "", 0);
  assert_int_equal(find(c, "M1", "2021-07-01")->cls, SB_CLASS_B);
  /* Codes are exact bytes. */
  assert_null(find(c, "m1", "2021-03-01"));
  assert_null(find(c, "M1 ", "2021-03-01"));
  assert_null(find(c, "M", "2021-03-01"));
  assert_null(sb_catalog_find(c, "M1", 0, D("2021-03-01")));
  assert_non_null(sb_catalog_find(c, "M1x", 2, D("2021-03-01")));
  /* Another add needs another finish. */
  add_row(c, "M3", "2021-01-01", NULL, SB_CLASS_A, 0, SB_PRICE_NO_LIMIT, 5);
  assert_null(find(c, "M1", "2021-03-01"));
  assert_int_equal(sb_catalog_finish(c, NULL, NULL), 0);
  assert_non_null(find(c, "M1", "2021-03-01"));
  assert_non_null(find(c, "M3", "2021-03-01"));
  sb_catalog_free(c);
  sb_catalog_free(NULL);
}

static void test_catalog_add_refuses_impossible_rows(void **state) {
  (void)state;
  sb_catalog *c = sb_catalog_new();
  sb_catalog_item ok = {D("2021-01-01"), SB_DATE_MAX, SB_CLASS_B, 1000, SB_PRICE_NO_LIMIT};
  char code65[66];
  memset(code65, 'X', 65);
  code65[65] = 0;
  assert_int_equal(sb_catalog_add(c, "", 0, &ok, 1), SB_EINVAL);
  assert_int_equal(sb_catalog_add(c, code65, 65, &ok, 1), SB_EINVAL);
  assert_int_equal(sb_catalog_add(c, code65, 64, &ok, 1), SB_OK);
  sb_catalog_item it = ok;
  it.begin = D("2021-01-02"), it.end = D("2021-01-01");
  assert_int_equal(sb_catalog_add(c, "A", 1, &it, 2), SB_EINVAL);
  it = ok, it.cls = 0;
  assert_int_equal(sb_catalog_add(c, "A", 1, &it, 2), SB_EINVAL);
  it = ok, it.cls = 4;
  assert_int_equal(sb_catalog_add(c, "A", 1, &it, 2), SB_EINVAL);
  it = ok, it.cls = SB_CLASS_A;
  assert_int_equal(sb_catalog_add(c, "A", 1, &it, 2), SB_EINVAL); /* ratio on 甲类 */
  it = ok, it.selfpay_prop = SB_BP_ONE + 1;
  assert_int_equal(sb_catalog_add(c, "A", 1, &it, 2), SB_EINVAL);
  it = ok, it.selfpay_prop = -1;
  assert_int_equal(sb_catalog_add(c, "A", 1, &it, 2), SB_EINVAL);
  it = ok, it.price_limit = -2;
  assert_int_equal(sb_catalog_add(c, "A", 1, &it, 2), SB_EINVAL);
  it = ok, it.price_limit = SB_PRICE_MAX + 1;
  assert_int_equal(sb_catalog_add(c, "A", 1, &it, 2), SB_EINVAL);
  it = ok, it.price_limit = SB_PRICE_MAX;
  assert_int_equal(sb_catalog_add(c, "A", 1, &it, 2), SB_OK);
  assert_int_equal(sb_catalog_count(c), 2);
  assert_int_equal(sb_catalog_codes(c), 2);
  assert_int_equal(sb_catalog_finish(c, NULL, NULL), 0);
  assert_null(find(c, "B", "2021-06-01"));
  assert_non_null(find(c, "A", "2021-06-01"));
  assert_non_null(sb_catalog_find(c, code65, 64, D("2021-06-01")));
  sb_catalog_free(c);
}

typedef struct problems {
  int n;
  int line[64];
  char msg[64][200];
} problems;

static void on_problem(void *ctx, int line, const char *msg) {
  problems *p = ctx;
  if (p->n < 64) {
    p->line[p->n] = line;
    snprintf(p->msg[p->n], sizeof p->msg[0], "%s", msg);
  }
  p->n++;
}

static void test_catalog_finish_reports_overlapping_pairs(void **state) {
  (void)state;
  sb_catalog *c = sb_catalog_new();
  /* Touching rows do not overlap. */
  add_row(c, "OK", "2021-01-01", "2021-06-30", SB_CLASS_A, 0, SB_PRICE_NO_LIMIT, 2);
  add_row(c, "OK", "2021-07-01", NULL, SB_CLASS_A, 0, SB_PRICE_NO_LIMIT, 3);
  /* One long row covering two short ones added before it. */
  add_row(c, "X", "2021-03-01", "2021-03-31", SB_CLASS_A, 0, SB_PRICE_NO_LIMIT, 4);
  add_row(c, "X", "2021-05-01", "2021-05-31", SB_CLASS_A, 0, SB_PRICE_NO_LIMIT, 5);
  add_row(c, "X", "2021-01-01", "2021-12-31", SB_CLASS_A, 0, SB_PRICE_NO_LIMIT, 6);
  /* Sharing one day. */
  add_row(c, "Y", "2021-01-01", "2021-06-30", SB_CLASS_A, 0, SB_PRICE_NO_LIMIT, 7);
  add_row(c, "Y", "2021-06-30", NULL, SB_CLASS_A, 0, SB_PRICE_NO_LIMIT, 8);
  problems p = {0};
  assert_int_equal(sb_catalog_finish(c, on_problem, &p), 3);
  assert_int_equal(p.n, 3);
  /* X: line 6 starts first, so lines 4 and 5 are the ones reported. */
  assert_int_equal(p.line[0], 4);
  assert_non_null(strstr(p.msg[0], "line 6"));
  assert_non_null(strstr(p.msg[0], "2021-03-01 to 2021-03-31"));
  assert_non_null(strstr(p.msg[0], "2021-01-01 to 2021-12-31"));
  assert_int_equal(p.line[1], 5);
  assert_non_null(strstr(p.msg[1], "line 6"));
  /* Y: line 8 starts on the last day of line 7. */
  assert_int_equal(p.line[2], 8);
  assert_non_null(strstr(p.msg[2], "line 7"));
  assert_non_null(strstr(p.msg[2], "2021-06-30 to open"));
  sb_catalog_free(c);
}

static void test_catalog_finish_same_begin_reports_the_later_line(void **state) {
  (void)state;
  sb_catalog *c = sb_catalog_new();
  add_row(c, "Z", "2021-01-01", NULL, SB_CLASS_A, 0, SB_PRICE_NO_LIMIT, 9);
  add_row(c, "Z", "2021-01-01", "2021-01-01", SB_CLASS_C, 0, SB_PRICE_NO_LIMIT, 3);
  add_row(c, "Z", "2020-01-01", "2021-01-01", SB_CLASS_C, 0, SB_PRICE_NO_LIMIT, 12);
  problems p = {0};
  /* Sorted: 12 (2020), 3 (2021, line 3), 9 (2021, line 9).  Line 3 overlaps
  ** 12; line 9 overlaps 12 and 3: three pairs, two rows. */
  assert_int_equal(sb_catalog_finish(c, on_problem, &p), 2);
  assert_int_equal(p.n, 3);
  assert_int_equal(p.line[0], 3);
  assert_non_null(strstr(p.msg[0], "line 12"));
  assert_int_equal(p.line[1], 9);
  assert_non_null(strstr(p.msg[1], "line 3 "));
  assert_int_equal(p.line[2], 9);
  assert_non_null(strstr(p.msg[2], "line 12"));
  sb_catalog_free(c);
}

static void test_catalog_finish_bounds_the_messages_per_row(void **state) {
  (void)state;
  sb_catalog *c = sb_catalog_new();
  /* Twelve open rows of one code, a day apart: row k overlaps the k before it. */
  for (int k = 0; k < 12; k++) {
    sb_catalog_item it = {D("2021-01-01") + k, SB_DATE_MAX, SB_CLASS_A, 0, SB_PRICE_NO_LIMIT};
    assert_int_equal(sb_catalog_add(c, "W", 1, &it, 100 + k), SB_OK);
  }
  problems p = {0};
  assert_int_equal(sb_catalog_finish(c, on_problem, &p), 11);
  /* 1 + 2 + ... + 8 named, then rows 9, 10 and 11 name 8 and count the rest. */
  int want = 0;
  for (int k = 1; k < 12; k++)
    want += k <= 8 ? k : 9;
  assert_int_equal(p.n, want);
  int last = p.n - 1;
  assert_int_equal(p.line[last], 111);
  assert_non_null(strstr(p.msg[last], "3 more rows"));
  /* The eight named are distinct earlier rows, in line order. */
  int prev = 0;
  for (int i = last - 8; i < last; i++) {
    assert_int_equal(p.line[i], 111);
    const char *at = strstr(p.msg[i], "line ");
    assert_non_null(at);
    int other = atoi(at + 5);
    assert_true(other >= 100 && other < 111 && other > prev);
    prev = other;
  }
  assert_int_equal(p.line[last - 9], 110);
  sb_catalog_free(c);
}

static void test_catalog_long_history_is_binary_searched(void **state) {
  (void)state;
  sb_catalog *c = sb_catalog_new();
  /* 400 monthly rows of one code, added in reverse, with a gap every 7th. */
  sb_date first = D("2000-01-01");
  for (int k = 399; k >= 0; k--) {
    if (k % 7 == 3) continue;
    sb_catalog_item it = {first + 30 * k, first + 30 * k + 29, (uint8_t)(k % 3 + 1), 0,
                          (sb_price)k};
    assert_int_equal(sb_catalog_add(c, "H", 1, &it, k + 2), SB_OK);
  }
  assert_int_equal(sb_catalog_finish(c, NULL, NULL), 0);
  for (int d = -5; d < 400 * 30 + 5; d++) {
    const sb_catalog_item *it = sb_catalog_find(c, "H", 1, first + d);
    int k = d >= 0 ? d / 30 : -1;
    if (d < 0 || k >= 400 || k % 7 == 3) {
      assert_null(it);
    } else {
      assert_non_null(it);
      assert_int_equal(it->price_limit, k);
    }
  }
  sb_catalog_free(c);
}

static void test_catalog_many_codes(void **state) {
  (void)state;
  sb_catalog *c = sb_catalog_new();
  char code[32];
  for (int i = 0; i < 50000; i++) {
    int n = snprintf(code, sizeof code, "C%07d", i * 7);
    sb_catalog_item it = {D("2021-01-01"), i % 2 ? D("2021-06-30") : SB_DATE_MAX,
                          (uint8_t)(i % 3 + 1), 0, (sb_price)i};
    assert_int_equal(sb_catalog_add(c, code, (size_t)n, &it, i + 2), SB_OK);
    if (i % 2) {
      it.begin = D("2021-07-01"), it.end = SB_DATE_MAX, it.price_limit = -1;
      assert_int_equal(sb_catalog_add(c, code, (size_t)n, &it, i + 2), SB_OK);
    }
  }
  assert_int_equal(sb_catalog_finish(c, NULL, NULL), 0);
  assert_int_equal(sb_catalog_codes(c), 50000);
  assert_int_equal(sb_catalog_count(c), 75000);
  for (int i = 0; i < 50000 * 7; i++) {
    int n = snprintf(code, sizeof code, "C%07d", i);
    if (i % 3 == 0) sb_catalog_prefetch(c, code, (size_t)n);
    const sb_catalog_item *a = sb_catalog_find(c, code, (size_t)n, D("2021-03-01"));
    const sb_catalog_item *b = sb_catalog_find(c, code, (size_t)n, D("2021-09-01"));
    /* the two-stage hint and the lookup by a kept hash: the same rows */
    uint64_t h = sb_catalog_hash(code, (size_t)n);
    if (i % 3 == 1) sb_catalog_prefetch_slot(c, h), sb_catalog_prefetch_rows(c, h);
    assert_ptr_equal(sb_catalog_find_hashed(c, code, (size_t)n, h, D("2021-03-01")), a);
    assert_ptr_equal(sb_catalog_find_hashed(c, code, (size_t)n, h, D("2021-09-01")), b);
    if (i % 7) {
      assert_null(a);
      assert_null(b);
      continue;
    }
    int k = i / 7;
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->price_limit, k);
    assert_int_equal(b->price_limit, k % 2 ? -1 : k);
  }
  sb_catalog_free(c);
}

/* ---- the worked example (docs: examples/fees) --------------------------- */

/*
** Every line of the example's expected-fee-results.csv with status ok or
** unlisted: the claim's date (claims.csv), the line's code, cnt and pric as
** fees.csv writes them, and the expected class and amounts in fen.  (The
** two claim ids that appear twice in claims.csv have no fee lines.)
*/
typedef struct example_line {
  const char *claim_id, *sn, *date, *code, *cnt, *pric;
  int cls;
  sb_fen amt, fulamt, over, pre, inscp;
} example_line;

static const example_line EXAMPLE_LINES[] = {
    {"C619637", "7", "2021-03-26", "M18406", "1", "62.60", SB_CLASS_C, 6260, 6260, 0, 0, 0},
    {"C219153", "6", "2022-01-18", "M74386", "1", "74.83", SB_CLASS_B, 7483, 0, 0, 748, 6735},
    {"C219153", "10", "2022-01-18", "X9M632QGRNVWZNSE8HKKP8TYE", "2.00", "22.195", SB_CLASS_B, 4439,
     0, 0, 0, 4439},
    {"C251388", "C251388/00", "2021-02-02", "M56413", "2.0", "50.8900", SB_CLASS_C, 10178, 10178, 0,
     0, 0},
    {"C095815", "1", "2022-01-06", "XJJPXVAPYED87S2B7KYS80D", "2.00", "96.71", SB_CLASS_A, 19342, 0,
     0, 0, 19342},
    {"C251388", "C251388/06", "2021-02-02", "M86563", "1.0000", "606", SB_CLASS_B, 60600, 0, 0,
     6060, 54540},
    {"C095815", "2", "2022-01-06", "M96624", "3.0000", "62.203333", SB_CLASS_A, 18661, 0, 0, 0,
     18661},
    {"C029256", "C029256/04", "2022-08-12", "UNL21741", "2.0", "866.970000", SB_CLASS_UNLISTED,
     173394, 173394, 0, 0, 0},
    {"C432274", "SN16450-1", "2022-04-25", "M74386", "01", "60.15", SB_CLASS_B, 6015, 0, 0, 602,
     5413},
    {"C125193", "SN02628-3", "2021-11-06", "XP4N9KLS7FQJPXHX", "3", "111.58", SB_CLASS_A, 33474, 0,
     0, 0, 33474},
    {"C219153", "1", "2022-01-18", "XYQG0UQXCBABNH099", "01", "126.930", SB_CLASS_B, 12693, 0, 0,
     8134, 4559},
    {"C095815", "3", "2022-01-06", "XF0MMX4SZ5XZ0J", "1", "488.0700", SB_CLASS_B, 48807, 0, 0, 2440,
     46367},
    {"C811350", "C811350/03", "2021-05-13", "XJJPXVAPYED87S2B7KYS80D", "1.0", "1210", SB_CLASS_A,
     121000, 0, 0, 0, 121000},
    {"C619637", "5", "2021-03-26", "XZSFX2QBG5XLUV51K", "1", "45.2", SB_CLASS_B, 4520, 0, 0, 452,
     4068},
    {"C219153", "8", "2022-01-18", "M68979", "1.0000", "175", SB_CLASS_B, 17500, 0, 0, 1750, 15750},
    {"C219153", "7", "2022-01-18", "M79163", "2", "96.37", SB_CLASS_A, 19274, 0, 0, 0, 19274},
    {"C365211", "1", "2022-04-18", "M86563", "1", "74.55", SB_CLASS_B, 7455, 0, 0, 746, 6709},
    {"C959737", "C959737/11", "2022-12-01", "XF0MMX4SZ5XZ0J", "5.8", "135.758620", SB_CLASS_B,
     78740, 0, 0, 3937, 74803},
    {"C450846", "C450846/01", "2021-05-01", "XYQG0UQXCBABNH099", "1", "26.6", SB_CLASS_B, 2660, 0,
     0, 1705, 955},
    {"C125193", "SN23695-0", "2021-11-06", "XVWTTXGC0NEF2P1S0CUM", "19.0", "9.95", SB_CLASS_B,
     18905, 0, 0, 1891, 17014},
    {"C536564", "1", "2022-07-02", "XZSFX2QBG5XLUV51K", "3", "87.60", SB_CLASS_B, 26280, 0, 0, 0,
     26280},
    {"C597733", "1", "2022-01-31", "UNL25362", "19", "170.944210", SB_CLASS_UNLISTED, 324794,
     324794, 0, 0, 0},
    {"C100765", "4", "2022-07-08", "XYQG0UQXCBABNH099", "2", "15179", SB_CLASS_B, 3035800, 0, 0,
     1945341, 1090459},
    {"C609212", "C609212/01", "2021-07-05", "M89170", "2.00", "80.130000", SB_CLASS_C, 16026, 16026,
     0, 0, 0},
    {"C542834", "SN37131-4", "2021-07-18", "M87280", "19", "15.790282", SB_CLASS_A, 30002, 0, 0, 0,
     30002},
    {"C147206", "C147206/05", "2022-05-10", "XF0MMX4SZ5XZ0J", "3", "80.6", SB_CLASS_B, 24180, 0, 0,
     1209, 22971},
    {"C360393", "SN16153-0", "2021-08-14", "M89170", "0", "25.97", SB_CLASS_C, 0, 0, 0, 0, 0},
    {"C486348", "SN59814-3", "2021-10-15", "M22634", "3.0000", "9.42", SB_CLASS_C, 2826, 2826, 0, 0,
     0},
    {"C219153", "3", "2022-01-18", "M85314", "1", "1479.38", SB_CLASS_A, 147938, 0, 0, 0, 147938},
    {"C538298", "SN70955-6", "2022-06-21", "UNL31677", "19.7315", "93.7", SB_CLASS_UNLISTED, 184884,
     184884, 0, 0, 0},
    {"C450846", "C450846/10", "2021-05-01", "M68979", "3", "13.803", SB_CLASS_B, 4141, 0, 0, 414,
     3727},
    {"C693770", "1", "2022-02-23", "XZZQ1H9YC9A1V4W07LU", "3.0", "1445.900000", SB_CLASS_C, 433770,
     433770, 0, 0, 0},
    {"C244146", "9", "2022-06-17", "M79163", "3.74", "202.32", SB_CLASS_A, 75668, 0, 0, 0, 75668},
    {"C564665", "SN21437-0", "2021-05-04", "XV3HB77KLQEGYJX7K", "1.00", "2978.650000", SB_CLASS_C,
     297865, 297865, 0, 0, 0},
    {"C125193", "SN01104-2", "2021-11-06", "M35880", "3.0", "70.373333", SB_CLASS_B, 21112, 0, 0,
     6334, 14778},
    {"C938179", "SN26176-7", "2022-11-29", "M46198", "00.0", "57.71", SB_CLASS_B, 0, 0, 0, 0, 0},
    {"C251388", "C251388/05", "2021-02-02", "M86563", "14.3", "73.40", SB_CLASS_B, 104962, 0, 0,
     10496, 94466},
    {"C959737", "C959737/06", "2022-12-01", "XYQG0UQXCBABNH099", "29.9", "12.83", SB_CLASS_B, 38362,
     0, 0, 24582, 13780},
    {"C249512", "SN18577-0", "2021-04-09", "XMU25TK3XGJHKZ", "1.0000", "2488.81", SB_CLASS_A,
     248881, 0, 11586, 0, 237295},
    {"C465875", "C465875/02", "2022-02-15", "M80454", "1", "3838.88", SB_CLASS_B, 383888, 0, 0, 0,
     383888},
    {"C125193", "SN22288-5", "2021-11-06", "M56413", "1.0000", "292.74", SB_CLASS_C, 29274, 29274,
     0, 0, 0},
    {"C619637", "4", "2021-03-26", "XZSFX2QBG5XLUV51K", "4.07", "33.22", SB_CLASS_B, 13521, 0, 0,
     1352, 12169},
    {"C619637", "10", "2021-03-26", "XN0PJR1GNUEAEEQEXY", "3.0", "24.8666", SB_CLASS_B, 7460, 0, 0,
     373, 7087},
    {"C486348", "SN47181-0", "2021-10-15", "XVWTTXGC0NEF2P1S0CUM", "1", "932.47", SB_CLASS_B, 93247,
     0, 0, 9325, 83922},
    {"C609212", "C609212/10", "2021-07-05", "XF0MMX4SZ5XZ0J", "2.0000", "36.265000", SB_CLASS_B,
     7253, 0, 0, 363, 6890},
    {"C095815", "4", "2022-01-06", "M87280", "1", "24.06", SB_CLASS_A, 2406, 0, 645, 0, 1761},
    {"C693770", "2", "2022-02-23", "M74386", "1", "60.98", SB_CLASS_B, 6098, 0, 0, 610, 5488},
    {"C542834", "SN92503-5", "2021-07-18", "M21826", "3.0000", "516.27", SB_CLASS_C, 154881, 154881,
     0, 0, 0},
    {"C811350", "C811350/01", "2021-05-13", "XF0MMX4SZ5XZ0J", "3.0000", "448.1", SB_CLASS_B, 134430,
     0, 0, 6722, 127708},
    {"C219153", "9", "2022-01-18", "XUT2FP4RPXACHV4G", "1.00", "96.27", SB_CLASS_B, 9627, 0, 0, 0,
     9627},
    {"C619637", "1", "2021-03-26", "M28765", "1", "101.67", SB_CLASS_A, 10167, 0, 0, 0, 10167},
    {"C772760", "3", "2022-01-20", "M46001", "2", "74.73", SB_CLASS_A, 14946, 0, 0, 0, 14946},
    {"C244146", "6", "2022-06-17", "M86563", "2", "700.905000", SB_CLASS_B, 140181, 0, 0, 14018,
     126163},
    {"C450846", "C450846/06", "2021-05-01", "M09583", "4.27", "8.76", SB_CLASS_C, 3741, 3741, 0, 0,
     0},
    {"C693770", "4", "2022-02-23", "M79163", "2", "717.2", SB_CLASS_A, 143440, 0, 0, 0, 143440},
    {"C564665", "SN14009-2", "2021-05-04", "M87280", "3.0", "25.4898", SB_CLASS_A, 7647, 0, 2365, 0,
     5282},
    {"C389116", "SN71849-3", "2022-05-28", "M28132", "03.0", "541", SB_CLASS_C, 162300, 162300, 0,
     0, 0},
    {"C938179", "SN40836-6", "2022-11-29", "M28132", "12.7150", "6.539520", SB_CLASS_C, 8315, 8315,
     0, 0, 0},
    {"C811350", "C811350/02", "2021-05-13", "M79163", "1", "1544.40", SB_CLASS_A, 154440, 0, 0, 0,
     154440},
    {"C959737", "C959737/05", "2022-12-01", "M46001", "2.0", "51.5", SB_CLASS_A, 10300, 0, 0, 0,
     10300},
    {"C147206", "C147206/04", "2022-05-10", "M90673", "29.7956", "3.248801", SB_CLASS_C, 9680, 9680,
     0, 0, 0},
    {"C355006", "4", "2021-01-24", "UNL49665", "3", "3324", SB_CLASS_UNLISTED, 997200, 997200, 0, 0,
     0},
    {"C486348", "SN82185-2", "2021-10-15", "X4C18FL4D22217Y2FB2L", "0.0", "43.259030", SB_CLASS_C,
     0, 0, 0, 0, 0},
    {"C775435", "1", "2021-06-06", "M28765", "10", "1006.10", SB_CLASS_A, 1006100, 0, 0, 0,
     1006100},
    {"C389116", "SN06398-2", "2022-05-28", "UNL13576", "2.0", "149", SB_CLASS_UNLISTED, 29800,
     29800, 0, 0, 0},
    {"C959737", "C959737/04", "2022-12-01", "M79163", "19", "34.2226", SB_CLASS_A, 65023, 0, 0, 0,
     65023},
    {"C251388", "C251388/03", "2021-02-02", "M42504", "1", "74", SB_CLASS_A, 7400, 0, 0, 0, 7400},
    {"C450846", "C450846/11", "2021-05-01", "UNL09794", "0.0000", "33.07", SB_CLASS_UNLISTED, 0, 0,
     0, 0, 0},
    {"C619637", "3", "2021-03-26", "XZZQ1H9YC9A1V4W07LU", "4", "25", SB_CLASS_C, 10000, 10000, 0, 0,
     0},
    {"C542834", "SN87209-0", "2021-07-18", "M85314", "2.0", "253.595", SB_CLASS_A, 50719, 0, 0, 0,
     50719},
    {"C450846", "C450846/04", "2021-05-01", "UNL04800", "1.0000", "9.50", SB_CLASS_UNLISTED, 950,
     950, 0, 0, 0},
    {"C147206", "C147206/00", "2022-05-10", "UNL98360", "1", "107.96", SB_CLASS_UNLISTED, 10796,
     10796, 0, 0, 0},
    {"C938179", "SN49901-4", "2022-11-29", "M22634", "2.0000", "41.425", SB_CLASS_C, 8285, 8285, 0,
     0, 0},
    {"C693770", "3", "2022-02-23", "M85314", "3", "1203.0", SB_CLASS_A, 360900, 0, 0, 0, 360900},
    {"C559363", "SN73861-1", "2022-07-20", "M85314", "1", "1556.59", SB_CLASS_A, 155659, 0, 0, 0,
     155659},
    {"C609212", "C609212/02", "2021-07-05", "M28765", "3.0", "23.00", SB_CLASS_A, 6900, 0, 0, 0,
     6900},
    {"C772760", "4", "2022-01-20", "M22634", "19", "38.55", SB_CLASS_C, 73245, 73245, 0, 0, 0},
    {"C465875", "C465875/03", "2022-02-15", "M22634", "0.0", "95.59", SB_CLASS_C, 0, 0, 0, 0, 0},
    {"C811350", "C811350/00", "2021-05-13", "XTTKHVDEWB40PH1HFEYJ4W87TG", "21", "27.3123",
     SB_CLASS_B, 57356, 0, 0, 49028, 8328},
    {"C536564", "2", "2022-07-02", "XMU25TK3XGJHKZ", "2", "1911.5", SB_CLASS_A, 382300, 0, 0, 0,
     382300},
    {"C432274", "SN01259-2", "2022-04-25", "M68979", "01", "405", SB_CLASS_B, 40500, 0, 0, 4050,
     36450},
    {"C609212", "C609212/03", "2021-07-05", "M79163", "2.0000", "15.95", SB_CLASS_A, 3190, 0, 0, 0,
     3190},
    {"C619637", "8", "2021-03-26", "XZZQ1H9YC9A1V4W07LU", "17", "4.28", SB_CLASS_C, 7276, 7276, 0,
     0, 0},
    {"C918150", "1", "2021-12-28", "M29220", "3", "1023.96", SB_CLASS_A, 307188, 0, 0, 0, 307188},
    {"C609212", "C609212/05", "2021-07-05", "X4C18FL4D22217Y2FB2L", "3", "30.1", SB_CLASS_C, 9030,
     9030, 0, 0, 0},
    {"C465875", "C465875/00", "2022-02-15", "M21826", "1.0", "3794.0", SB_CLASS_C, 379400, 379400,
     0, 0, 0},
    {"C365211", "2", "2022-04-18", "M42850", "0", "42", SB_CLASS_C, 0, 0, 0, 0, 0},
    {"C538298", "SN79931-3", "2022-06-21", "M29220", "1.0", "2623.820000", SB_CLASS_A, 262382, 0, 0,
     0, 262382},
    {"C619637", "2", "2021-03-26", "XTTKHVDEWB40PH1HFEYJ4W87TG", "0", "1.950460", SB_CLASS_B, 0, 0,
     0, 0, 0},
    {"C538298", "SN29240-2", "2022-06-21", "UNL15259", "18", "245.117", SB_CLASS_UNLISTED, 441211,
     441211, 0, 0, 0},
    {"C095815", "8", "2022-01-06", "M09583", "1", "131.5300", SB_CLASS_C, 13153, 13153, 0, 0, 0},
    {"C918150", "2", "2021-12-28", "X9M632QGRNVWZNSE8HKKP8TYE", "1.00", "2900.4200", SB_CLASS_B,
     290042, 0, 0, 0, 290042},
    {"C465875", "C465875/01", "2022-02-15", "M46198", "1.0", "3661.97", SB_CLASS_B, 366197, 0,
     102458, 0, 263739},
    {"C538298", "SN76464-0", "2022-06-21", "M87280", "1", "25.27", SB_CLASS_A, 2527, 0, 766, 0,
     1761},
    {"C564665", "SN84817-3", "2021-05-04", "XTTKHVDEWB40PH1HFEYJ4W87TG", "1.0", "10828.250000",
     SB_CLASS_B, 1082825, 0, 0, 925599, 157226},
    {"C959737", "C959737/03", "2022-12-01", "X4C18FL4D22217Y2FB2L", "0", "49.503680", SB_CLASS_C, 0,
     0, 0, 0, 0},
    {"C147206", "C147206/01", "2022-05-10", "M22634", "3", "15.810", SB_CLASS_C, 4743, 4743, 0, 0,
     0},
    {"C497799", "2", "2021-05-28", "XF0MMX4SZ5XZ0J", "3", "126.8", SB_CLASS_B, 38040, 0, 0, 1902,
     36138},
    {"C562722", "4", "2022-08-24", "M56413", "2.0000", "65.35", SB_CLASS_C, 13070, 13070, 0, 0, 0},
    {"C938179", "SN05589-1", "2022-11-29", "XN0PJR1GNUEAEEQEXY", "16", "227", SB_CLASS_B, 363200, 0,
     0, 18160, 345040},
    {"C365211", "4", "2022-04-18", "M35880", "22.0", "3.74", SB_CLASS_B, 8228, 0, 0, 2468, 5760},
    {"C450846", "C450846/07", "2021-05-01", "M80454", "2.00", "20.055000", SB_CLASS_B, 4011, 0, 0,
     0, 4011},
    {"C918150", "3", "2021-12-28", "M28132", "2", "1443.37", SB_CLASS_C, 288674, 288674, 0, 0, 0},
    {"C244146", "4", "2022-06-17", "M86563", "01.0", "2519.900", SB_CLASS_B, 251990, 0, 0, 25199,
     226791},
    {"C946020", "5", "2022-07-27", "UNL89810", "3", "57", SB_CLASS_UNLISTED, 17100, 17100, 0, 0, 0},
    {"C432402", "C432402/00", "2022-02-13", "M96624", "16", "383.573", SB_CLASS_A, 613717, 0, 0, 0,
     613717},
    {"C959737", "C959737/02", "2022-12-01", "UNL70339", "1.00", "692.8500", SB_CLASS_UNLISTED,
     69285, 69285, 0, 0, 0},
    {"C410463", "C410463/00", "2022-04-20", "UNL08500", "3", "12453.856", SB_CLASS_UNLISTED,
     3736157, 3736157, 0, 0, 0},
    {"C244146", "3", "2022-06-17", "XYQG0UQXCBABNH099", "1", "2394.7200", SB_CLASS_B, 239472, 0, 0,
     153454, 86018},
    {"C946020", "3", "2022-07-27", "M79163", "11", "5", SB_CLASS_A, 5500, 0, 0, 0, 5500},
    {"C219153", "4", "2022-01-18", "M18406", "26", "5", SB_CLASS_B, 13000, 0, 0, 1300, 11700},
    {"C653726", "2", "2022-08-16", "M18406", "24", "26", SB_CLASS_B, 62400, 0, 0, 6240, 56160},
    {"C244146", "5", "2022-06-17", "M56413", "1", "2572.7300", SB_CLASS_C, 257273, 257273, 0, 0, 0},
    {"C938179", "SN07353-0", "2022-11-29", "M96624", "04", "23.55", SB_CLASS_A, 9420, 0, 0, 0,
     9420},
    {"C244146", "2", "2022-06-17", "XMU25TK3XGJHKZ", "1", "920.96", SB_CLASS_A, 92096, 0, 0, 0,
     92096},
    {"C244146", "1", "2022-06-17", "XJJPXVAPYED87S2B7KYS80D", "1.00", "340", SB_CLASS_A, 34000, 0,
     0, 0, 34000},
    {"C088281", "2", "2021-01-05", "M46198", "1.00", "3121.30", SB_CLASS_B, 312130, 0, 48391, 0,
     263739},
    {"C559363", "SN90332-0", "2022-07-20", "M18406", "1", "14009.800", SB_CLASS_B, 1400980, 0, 0,
     140098, 1260882},
    {"C538298", "SN80834-8", "2022-06-21", "M68979", "2", "1122.2", SB_CLASS_B, 224440, 0, 15676,
     20876, 187888},
    {"C389116", "SN72629-4", "2022-05-28", "M87280", "2.00", "23.39", SB_CLASS_A, 4678, 0, 1157, 0,
     3521},
    {"C527814", "C527814/00", "2021-12-27", "M35880", "0", "35.630", SB_CLASS_B, 0, 0, 0, 0, 0},
    {"C959737", "C959737/01", "2022-12-01", "XV3HB77KLQEGYJX7K", "2.0", "130.590", SB_CLASS_C,
     26118, 26118, 0, 0, 0},
    {"C244030", "1", "2021-05-21", "M28132", "3.0000", "479.2", SB_CLASS_C, 143760, 143760, 0, 0,
     0},
    {"C450846", "C450846/05", "2021-05-01", "UNL29931", "1", "37.75", SB_CLASS_UNLISTED, 3775, 3775,
     0, 0, 0},
    {"C432274", "SN38560-0", "2022-04-25", "XP4N9KLS7FQJPXHX", "2.00", "716.340", SB_CLASS_A,
     143268, 0, 0, 0, 143268},
    {"C562722", "2", "2022-08-24", "XVWTTXGC0NEF2P1S0CUM", "1", "702.15", SB_CLASS_B, 70215, 0, 0,
     7022, 63193},
    {"C355006", "1", "2021-01-24", "M42504", "1", "702", SB_CLASS_A, 70200, 0, 0, 0, 70200},
    {"C538298", "SN71725-4", "2022-06-21", "M29220", "1", "878", SB_CLASS_A, 87800, 0, 0, 0, 87800},
    {"C619637", "12", "2021-03-26", "X9M632QGRNVWZNSE8HKKP8TYE", "1", "133.28", SB_CLASS_B, 13328,
     0, 0, 0, 13328},
    {"C486348", "SN37386-4", "2021-10-15", "XZSFX2QBG5XLUV51K", "1.0", "178.1000", SB_CLASS_B,
     17810, 0, 0, 1781, 16029},
    {"C249512", "SN87000-1", "2021-04-09", "M89170", "2", "2009.895", SB_CLASS_C, 401979, 401979, 0,
     0, 0},
    {"C251388", "C251388/04", "2021-02-02", "XZZQ1H9YC9A1V4W07LU", "3", "200", SB_CLASS_C, 60000,
     60000, 0, 0, 0},
    {"C100765", "2", "2022-07-08", "M87280", "3.0000", "11.3524", SB_CLASS_A, 3406, 0, 0, 0, 3406},
    {"C609212", "C609212/04", "2021-07-05", "M87280", "3.0000", "16.2938", SB_CLASS_A, 4888, 0, 0,
     0, 4888},
    {"C772760", "8", "2022-01-20", "M46001", "2", "138", SB_CLASS_A, 27600, 0, 0, 0, 27600},
    {"C125193", "SN65469-1", "2021-11-06", "M21826", "14.1", "5", SB_CLASS_C, 7050, 7050, 0, 0, 0},
    {"C125193", "SN96858-4", "2021-11-06", "M96624", "1", "304.60", SB_CLASS_A, 30460, 0, 0, 0,
     30460},
    {"C450846", "C450846/00", "2021-05-01", "M74386", "17.0", "116.559", SB_CLASS_B, 198150, 0,
     21039, 17711, 159400},
    {"C244146", "8", "2022-06-17", "XF0MMX4SZ5XZ0J", "2.0", "840.0", SB_CLASS_B, 168000, 0, 0, 8400,
     159600},
    {"C335567", "2", "2022-06-01", "XZZQ1H9YC9A1V4W07LU", "1", "2118.730", SB_CLASS_C, 211873,
     211873, 0, 0, 0},
    {"C244146", "10", "2022-06-17", "M42850", "1.0000", "690", SB_CLASS_C, 69000, 69000, 0, 0, 0},
    {"C095815", "6", "2022-01-06", "M80454", "3.0", "42.27", SB_CLASS_B, 12681, 0, 0, 0, 12681},
    {"C562722", "5", "2022-08-24", "M74386", "3", "128.18", SB_CLASS_B, 38454, 0, 7199, 3126,
     28129},
    {"C946020", "4", "2022-07-27", "UNL47947", "2", "75.70", SB_CLASS_UNLISTED, 15140, 15140, 0, 0,
     0},
    {"C538298", "SN81159-1", "2022-06-21", "XTTKHVDEWB40PH1HFEYJ4W87TG", "1", "1385.01", SB_CLASS_B,
     138501, 0, 0, 118391, 20110},
    {"C946020", "2", "2022-07-27", "XP4N9KLS7FQJPXHX", "2.0000", "120.9", SB_CLASS_A, 24180, 0, 0,
     0, 24180},
    {"C389116", "SN94989-0", "2022-05-28", "UNL63420", "1", "841.000000", SB_CLASS_UNLISTED, 84100,
     84100, 0, 0, 0},
    {"C562722", "3", "2022-08-24", "M79163", "1.0", "428.5", SB_CLASS_A, 42850, 0, 0, 0, 42850},
    {"C527814", "C527814/01", "2021-12-27", "M68979", "2.5321", "1439.8484", SB_CLASS_B, 364584, 0,
     100278, 26431, 237875},
    {"C251388", "C251388/02", "2021-02-02", "M57278", "1.00", "638.99", SB_CLASS_B, 63899, 0, 22193,
     0, 41706},
    {"C149054", "SN72246-0", "2021-03-27", "M46001", "1.0000", "182129.45", SB_CLASS_A, 18212945, 0,
     0, 0, 18212945},
    {"C450846", "C450846/02", "2021-05-01", "M29220", "3", "7.8466", SB_CLASS_A, 2354, 0, 0, 0,
     2354},
    {"C609212", "C609212/00", "2021-07-05", "UNL40319", "1.0000", "125", SB_CLASS_UNLISTED, 12500,
     12500, 0, 0, 0},
    {"C619637", "9", "2021-03-26", "XMU25TK3XGJHKZ", "1.0", "2354.3340", SB_CLASS_A, 235433, 0, 0,
     0, 235433},
    {"C365211", "5", "2022-04-18", "M42504", "3.0000", "1097.2", SB_CLASS_A, 329160, 0, 87135, 0,
     242025},
    {"C538298", "SN02080-11", "2022-06-21", "UNL54622", "3.0000", "274", SB_CLASS_UNLISTED, 82200,
     82200, 0, 0, 0},
    {"C772760", "7", "2022-01-20", "M68979", "0.0", "1540.5", SB_CLASS_B, 0, 0, 0, 0, 0},
    {"C355006", "2", "2021-01-24", "XYQG0UQXCBABNH099", "2", "1260.8", SB_CLASS_B, 252160, 0, 0,
     161584, 90576},
    {"C772760", "1", "2022-01-20", "M42850", "11", "70.384", SB_CLASS_C, 77422, 77422, 0, 0, 0},
    {"C542834", "SN13505-3", "2021-07-18", "M42504", "1", "718.477614", SB_CLASS_A, 71848, 0, 0, 0,
     71848},
    {"C564665", "SN40492-1", "2021-05-04", "UNL23151", "2.0", "9611", SB_CLASS_UNLISTED, 1922200,
     1922200, 0, 0, 0},
    {"C619637", "6", "2021-03-26", "X9M632QGRNVWZNSE8HKKP8TYE", "1", "78", SB_CLASS_B, 7800, 0, 0,
     0, 7800},
    {"C538298", "SN54602-9", "2022-06-21", "M68979", "1", "842.92", SB_CLASS_B, 84292, 0, 0, 8429,
     75863},
    {"C542834", "SN57268-2", "2021-07-18", "M28132", "2.0000", "420.88", SB_CLASS_C, 84176, 84176,
     0, 0, 0},
    {"C432402", "C432402/01", "2022-02-13", "M28132", "1.00", "9176.290", SB_CLASS_C, 917629,
     917629, 0, 0, 0},
    {"C959737", "C959737/00", "2022-12-01", "XN0PJR1GNUEAEEQEXY", "2", "304.175969", SB_CLASS_B,
     60835, 0, 0, 3042, 57793},
    {"C095815", "5", "2022-01-06", "M42850", "1.0", "719.24", SB_CLASS_C, 71924, 71924, 0, 0, 0},
    {"C497799", "3", "2021-05-28", "M35880", "1.00", "390.27", SB_CLASS_B, 39027, 0, 0, 11708,
     27319},
    {"C917588", "C917588/00", "2021-01-02", "M28132", "2", "5509.925", SB_CLASS_C, 1101985, 1101985,
     0, 0, 0},
    {"C095815", "7", "2022-01-06", "XGUTZM716V1ERVKNXM7RG308", "2", "1221.096", SB_CLASS_A, 244219,
     0, 35619, 0, 208600},
    {"C450846", "C450846/03", "2021-05-01", "M57278", "2.0000", "558.824", SB_CLASS_B, 111765, 0,
     28353, 0, 83412},
    {"C450846", "C450846/09", "2021-05-01", "M21826", "28", "0.558214", SB_CLASS_C, 1563, 1563, 0,
     0, 0},
    {"C365211", "3", "2022-04-18", "XV3HB77KLQEGYJX7K", "26", "3406", SB_CLASS_C, 8855600, 8855600,
     0, 0, 0},
    {"C772760", "6", "2022-01-20", "M18406", "2", "505.3", SB_CLASS_B, 101060, 0, 0, 10106, 90954},
    {"C772760", "5", "2022-01-20", "M57278", "1", "134.3700", SB_CLASS_B, 13437, 0, 0, 4031, 9406},
    {"C619637", "11", "2021-03-26", "M85314", "3", "28.46", SB_CLASS_A, 8538, 0, 0, 0, 8538},
    {"C432402", "C432402/02", "2022-02-13", "M56413", "7.84", "724.0", SB_CLASS_C, 567616, 567616,
     0, 0, 0},
    {"C465875", "C465875/05", "2022-02-15", "M28765", "3.0", "1490.16", SB_CLASS_A, 447048, 0, 0, 0,
     447048},
    {"C959737", "C959737/08", "2022-12-01", "M18406", "16.26", "43.012", SB_CLASS_B, 69938, 0, 0,
     6994, 62944},
    {"C219153", "5", "2022-01-18", "XP4N9KLS7FQJPXHX", "1.00", "40", SB_CLASS_A, 4000, 0, 0, 0,
     4000},
    {"C147206", "C147206/02", "2022-05-10", "XTTKHVDEWB40PH1HFEYJ4W87TG", "3", "41.0633",
     SB_CLASS_B, 12319, 0, 0, 10530, 1789},
    {"C609212", "C609212/11", "2021-07-05", "M96624", "1", "188.81", SB_CLASS_A, 18881, 0, 0, 0,
     18881},
    {"C609212", "C609212/09", "2021-07-05", "M96624", "22.9667", "1.822638", SB_CLASS_A, 4186, 0, 0,
     0, 4186},
    {"C959737", "C959737/10", "2022-12-01", "M56413", "1", "713.1100", SB_CLASS_C, 71311, 71311, 0,
     0, 0},
    {"C538298", "SN89055-10", "2022-06-21", "M87280", "2.0000", "21.03", SB_CLASS_A, 4206, 0, 685,
     0, 3521},
    {"C542834", "SN69812-1", "2021-07-18", "M29220", "2", "750.750000", SB_CLASS_A, 150150, 0, 0, 0,
     150150},
    {"C540317", "1", "2021-03-20", "M89170", "20.7792", "151.14", SB_CLASS_C, 314057, 314057, 0, 0,
     0},
    {"C938179", "SN64468-5", "2022-11-29", "M29220", "2.0", "36.69", SB_CLASS_A, 7338, 0, 0, 0,
     7338},
    {"C029256", "C029256/03", "2022-08-12", "M96624", "3.0000", "566.60", SB_CLASS_A, 169980, 0, 0,
     0, 169980},
    {"C959737", "C959737/07", "2022-12-01", "M29220", "10.6", "32.7", SB_CLASS_A, 34662, 0, 0, 0,
     34662},
    {"C946020", "1", "2022-07-27", "UNL09060", "2.00", "109.310000", SB_CLASS_UNLISTED, 21862,
     21862, 0, 0, 0},
    {"C029256", "C029256/02", "2022-08-12", "XP4N9KLS7FQJPXHX", "12.20", "285.76", SB_CLASS_A,
     348627, 0, 0, 0, 348627},
    {"C219153", "2", "2022-01-18", "M46198", "1", "1899.1", SB_CLASS_B, 189910, 0, 0, 0, 189910},
    {"C251388", "C251388/07", "2021-02-02", "M29220", "1", "125.8900", SB_CLASS_A, 12589, 0, 0, 0,
     12589},
    {"C938179", "SN70070-2", "2022-11-29", "XZZQ1H9YC9A1V4W07LU", "1", "73", SB_CLASS_C, 7300, 7300,
     0, 0, 0},
    {"C100765", "1", "2022-07-08", "M18406", "1", "146696.6", SB_CLASS_B, 14669660, 0, 0, 1466966,
     13202694},
    {"C536564", "3", "2022-07-02", "M68979", "2", "764.916", SB_CLASS_B, 152983, 0, 0, 15298,
     137685},
    {"C938179", "SN11497-3", "2022-11-29", "XGUTZM716V1ERVKNXM7RG308", "2", "539.09", SB_CLASS_A,
     107818, 0, 0, 0, 107818},
    {"C029256", "C029256/00", "2022-08-12", "X9M632QGRNVWZNSE8HKKP8TYE", "3.0", "721.73",
     SB_CLASS_B, 216519, 0, 0, 0, 216519},
    {"C486348", "SN39698-1", "2021-10-15", "XZSFX2QBG5XLUV51K", "2", "120.025000", SB_CLASS_B,
     24005, 0, 0, 2401, 21604},
    {"C219153", "11", "2022-01-18", "UNL14743", "3.0", "64.54", SB_CLASS_UNLISTED, 19362, 19362, 0,
     0, 0},
    {"C219153", "12", "2022-01-18", "XZZQ1H9YC9A1V4W07LU", "01.0", "46.9100", SB_CLASS_C, 4691,
     4691, 0, 0, 0},
    {"C609212", "C609212/07", "2021-07-05", "M80454", "3", "41.91", SB_CLASS_B, 12573, 0, 0, 0,
     12573},
    {"C244146", "7", "2022-06-17", "M46001", "1.0", "2451.700000", SB_CLASS_A, 245170, 0, 0, 0,
     245170},
    {"C538298", "SN85267-7", "2022-06-21", "M79163", "1.0000", "3418.48", SB_CLASS_A, 341848, 0, 0,
     0, 341848},
    {"C104487", "1", "2022-07-09", "UNL57987", "1.00", "984.990000", SB_CLASS_UNLISTED, 98499,
     98499, 0, 0, 0},
    {"C244146", "11", "2022-06-17", "XGUTZM716V1ERVKNXM7RG308", "2", "1043.000000", SB_CLASS_A,
     208600, 0, 0, 0, 208600},
    {"C088281", "1", "2021-01-05", "UNL42819", "19", "6.19", SB_CLASS_UNLISTED, 11761, 11761, 0, 0,
     0},
    {"C959737", "C959737/09", "2022-12-01", "XMU25TK3XGJHKZ", "1", "549.48", SB_CLASS_A, 54948, 0,
     0, 0, 54948},
    {"C772760", "2", "2022-01-20", "XN0PJR1GNUEAEEQEXY", "1", "335.84", SB_CLASS_B, 33584, 0, 3166,
     1521, 28897},
    {"C450846", "C450846/08", "2021-05-01", "UNL69997", "26", "1.06", SB_CLASS_UNLISTED, 2756, 2756,
     0, 0, 0},
    {"C335567", "1", "2022-06-01", "M79163", "8", "68.61", SB_CLASS_A, 54888, 0, 0, 0, 54888},
    {"C389116", "SN82170-1", "2022-05-28", "X9M632QGRNVWZNSE8HKKP8TYE", "1", "2480.15", SB_CLASS_B,
     248015, 0, 0, 0, 248015},
    {"C355006", "3", "2021-01-24", "XUNV34WPNR3MVL4AQAPWM", "0.0000", "53", SB_CLASS_A, 0, 0, 0, 0,
     0},
    {"C465875", "C465875/04", "2022-02-15", "M89170", "1", "5958.050000", SB_CLASS_C, 595805,
     595805, 0, 0, 0},
    {"C562722", "1", "2022-08-24", "XZSFX2QBG5XLUV51K", "2", "37.4450", SB_CLASS_B, 7489, 0, 0, 0,
     7489},
    {"C497799", "1", "2021-05-28", "UNL17477", "2.0000", "236.310", SB_CLASS_UNLISTED, 47262, 47262,
     0, 0, 0},
    {"C244146", "12", "2022-06-17", "M21826", "2.00", "1051.595", SB_CLASS_C, 210319, 210319, 0, 0,
     0},
    {"C609212", "C609212/06", "2021-07-05", "XP4N9KLS7FQJPXHX", "3", "46", SB_CLASS_A, 13800, 0, 0,
     0, 13800},
    {"C147206", "C147206/03", "2022-05-10", "XJJPXVAPYED87S2B7KYS80D", "1.00", "110.0200",
     SB_CLASS_A, 11002, 0, 0, 0, 11002},
    {"C653726", "1", "2022-08-16", "M74386", "2", "97.520013", SB_CLASS_B, 19504, 0, 0, 1950,
     17554},
    {"C029256", "C029256/01", "2022-08-12", "M35880", "3", "952", SB_CLASS_B, 285600, 0, 0, 85680,
     199920},
    {"C100765", "3", "2022-07-08", "XP4N9KLS7FQJPXHX", "1", "30970.100", SB_CLASS_A, 3097010, 0, 0,
     0, 3097010},
    {"C251388", "C251388/01", "2021-02-02", "UNL86424", "3.00", "188.796", SB_CLASS_UNLISTED, 56639,
     56639, 0, 0, 0},
    {"C538298", "SN93000-5", "2022-06-21", "M90673", "2.00", "1907.1800", SB_CLASS_C, 381436,
     381436, 0, 0, 0},
    {"C609212", "C609212/08", "2021-07-05", "XMU25TK3XGJHKZ", "3.0", "28.796", SB_CLASS_A, 8639, 0,
     0, 0, 8639},
};

static void test_example_lines_reproduced_exactly(void **state) {
  (void)state;
  sb_catalog *cat = NULL;
  sb_error err;
  sb_error_clear(&err);
  /* the example's catalog.csv, read from its golden folder */
  const char *dir = getenv("SANBAO_SOURCE_DIR");
  if (!dir) fail_msg("SANBAO_SOURCE_DIR is not set (ctest sets it to the project root)");
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/golden/fees/catalog.csv", dir);
  int rc = sb_catalog_load(path, &cat, NULL, NULL, &err);
  if (rc != SB_OK) fail_msg("example catalogue: %s: %s", err.where, err.msg);
  assert_int_equal(sb_catalog_count(cat), 48);
  size_t n = sizeof EXAMPLE_LINES / sizeof EXAMPLE_LINES[0];
  assert_true(n >= 200);
  int unlisted = 0, limited = 0, per_class[4] = {0};
  for (size_t i = 0; i < n; i++) {
    const example_line *e = &EXAMPLE_LINES[i];
    const sb_catalog_item *it = sb_catalog_find(cat, e->code, strlen(e->code), D(e->date));
    sb_fee_amounts a;
    if (sb_fee_classify(it, Q(e->cnt), P(e->pric), &a) != 0)
      fail_msg("%s %s: refused", e->claim_id, e->sn);
    if (a.cls != e->cls || a.amt != e->amt || a.fulamt != e->fulamt || a.over != e->over ||
        a.pre != e->pre || a.inscp != e->inscp)
      fail_msg("%s %s (%s x %s of %s on %s): got %d %lld %lld %lld %lld %lld", e->claim_id, e->sn,
               e->cnt, e->pric, e->code, e->date, a.cls, (long long)a.amt, (long long)a.fulamt,
               (long long)a.over, (long long)a.pre, (long long)a.inscp);
    unlisted += it == NULL;
    limited += a.over > 0;
    per_class[a.cls]++;
  }
  /* The example exercises every case. */
  assert_true(unlisted >= 10 && limited >= 10);
  for (int k = 0; k < 4; k++)
    assert_true(per_class[k] >= 10);
  /* Dated rows of one code: XVWTTXGC0NEF2P1S0CUM is 乙类 to 2022-12-02, then
  ** 丙类 from 2023-03-24, with a gap between. */
  const char *x = "XVWTTXGC0NEF2P1S0CUM";
  assert_int_equal(sb_catalog_find(cat, x, strlen(x), D("2022-12-02"))->cls, SB_CLASS_B);
  assert_null(sb_catalog_find(cat, x, strlen(x), D("2022-12-03")));
  assert_null(sb_catalog_find(cat, x, strlen(x), D("2023-03-23")));
  assert_int_equal(sb_catalog_find(cat, x, strlen(x), D("2023-03-24"))->cls, SB_CLASS_C);
  sb_catalog_free(cat);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qty_parse_valid),
      cmocka_unit_test(test_qty_parse_bounds),
      cmocka_unit_test(test_qty_parse_invalid_forms),
      cmocka_unit_test(test_qty_parse_uses_length_not_nul),
      cmocka_unit_test(test_price_parse_valid),
      cmocka_unit_test(test_price_parse_bounds),
      cmocka_unit_test(test_price_parse_invalid_forms),
      cmocka_unit_test(test_price_parse_uses_length_not_nul),
      cmocka_unit_test(test_classify_unlisted_is_all_self_paid),
      cmocka_unit_test(test_classify_class_c_is_all_self_paid_whatever_the_limit),
      cmocka_unit_test(test_classify_class_a_in_scope),
      cmocka_unit_test(test_classify_class_b_pays_its_share_first),
      cmocka_unit_test(test_classify_limit_hit_and_not_hit),
      cmocka_unit_test(test_classify_class_b_with_limit),
      cmocka_unit_test(test_classify_fractional_counts_and_six_decimal_prices),
      cmocka_unit_test(test_classify_half_up_at_exactly_half_a_fen),
      cmocka_unit_test(test_classify_maximum_amount),
      cmocka_unit_test(test_classify_products_beyond_64_bits),
      cmocka_unit_test(test_classify_random_lines_keep_the_identities),
      cmocka_unit_test(test_catalog_find_at_interval_edges),
      cmocka_unit_test(test_catalog_add_refuses_impossible_rows),
      cmocka_unit_test(test_catalog_finish_reports_overlapping_pairs),
      cmocka_unit_test(test_catalog_finish_same_begin_reports_the_later_line),
      cmocka_unit_test(test_catalog_finish_bounds_the_messages_per_row),
      cmocka_unit_test(test_catalog_long_history_is_binary_searched),
      cmocka_unit_test(test_catalog_many_codes),
      cmocka_unit_test(test_example_lines_reproduced_exactly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
