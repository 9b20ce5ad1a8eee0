/*
** Unit tests: exact money and ratio text, mul() and cap_left()
** (docs/reference/settlement.md §1, include/sanbao/money.h).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sanbao/money.h"

/* ---- helpers ----------------------------------------------------------- */

#define SENTINEL_FEN ((sb_fen)-777)
#define SENTINEL_BP ((sb_bp)-777)

/* Parse a NUL-terminated text; on failure check *out was left alone. */
static int money(const char *s, sb_fen *out) {
  *out = SENTINEL_FEN;
  int rc = sb_money_parse(s, strlen(s), out);
  if (rc != 0) assert_int_equal(*out, SENTINEL_FEN);
  return rc;
}

static int ratio(const char *s, sb_bp *out) {
  *out = SENTINEL_BP;
  int rc = sb_ratio_parse(s, strlen(s), out);
  if (rc != 0) assert_int_equal(*out, SENTINEL_BP);
  return rc;
}

static void expect_money(const char *s, sb_fen want) {
  sb_fen v;
  if (money(s, &v) != 0) fail_msg("'%s' should parse as an amount", s);
  if (v != want) fail_msg("'%s' parsed as %lld, want %lld", s, (long long)v, (long long)want);
}

static void expect_money_bad(const char *s) {
  sb_fen v;
  if (money(s, &v) != -1) fail_msg("'%s' should be rejected as an amount", s);
}

static void expect_ratio(const char *s, sb_bp want) {
  sb_bp v;
  if (ratio(s, &v) != 0) fail_msg("'%s' should parse as a ratio", s);
  if (v != want) fail_msg("'%s' parsed as %d, want %d", s, (int)v, (int)want);
}

static void expect_ratio_bad(const char *s) {
  sb_bp v;
  if (ratio(s, &v) != -1) fail_msg("'%s' should be rejected as a ratio", s);
}

static void expect_format(sb_fen v, const char *want) {
  char buf[SB_MONEY_BUFSZ];
  memset(buf, 'X', sizeof buf);
  size_t n = sb_money_format(v, buf);
  assert_string_equal(buf, want);
  assert_int_equal(n, strlen(want));
}

static void expect_ratio_format(sb_bp r, const char *want) {
  char buf[16];
  memset(buf, 'X', sizeof buf);
  size_t n = sb_ratio_format(r, buf);
  assert_string_equal(buf, want);
  assert_int_equal(n, strlen(want));
}

/* splitmix64: a small seeded generator, so every run checks the same values. */
static uint64_t rng_state;
static uint64_t rng(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* mul() computed a second way, without 128 bits: a = q*10000 + m, so
** (a*r + 5000)/10000 = q*r + (m*r + 5000)/10000 exactly, and q*r <= a. */
static sb_fen mul_split(sb_fen a, sb_bp r) {
  sb_fen q = a / 10000, m = a % 10000;
  return q * r + (m * r + 5000) / 10000;
}

static sb_fen mul_ref128(sb_fen a, sb_bp r) {
  __int128 p = (__int128)a * (__int128)r + 5000;
  return (sb_fen)(p / 10000);
}

/* ---- sb_money_parse: valid forms --------------------------------------- */

static void test_money_parse_forms_of_the_contract(void **state) {
  (void)state;
  expect_money("1234", 123400);
  expect_money("1234.5", 123450);
  expect_money("1234.50", 123450);
  expect_money("0.07", 7);
  expect_money("007", 700);
}

static void test_money_parse_other_valid_values(void **state) {
  (void)state;
  expect_money("0", 0);
  expect_money("0.0", 0);
  expect_money("0.00", 0);
  expect_money("00", 0);
  expect_money("0.01", 1);
  expect_money("0.1", 10);
  expect_money("0.10", 10);
  expect_money("0.99", 99);
  expect_money("1", 100);
  expect_money("9", 900);
  expect_money("8292.50", 829250);
  expect_money("150000", 15000000);
  expect_money("9999999999.99", 999999999999LL);
  /* Leading zeros are digits too, however many. */
  expect_money("000000000000000000000000000000001.5", 150);
  expect_money("0000000000000000000000000000000000000", 0);
}

static void test_money_parse_maximum_is_valid(void **state) {
  (void)state;
  expect_money("10000000000.00", SB_MONEY_MAX);
  expect_money("10000000000.0", SB_MONEY_MAX);
  expect_money("10000000000", SB_MONEY_MAX);
  expect_money("0010000000000.00", SB_MONEY_MAX);
  assert_int_equal(SB_MONEY_MAX, 1000000000000LL);
}

static void test_money_parse_one_fen_above_maximum_is_invalid(void **state) {
  (void)state;
  expect_money_bad("10000000000.01");
  expect_money_bad("10000000000.1");
  expect_money_bad("10000000001");
  expect_money_bad("10000000001.00");
  expect_money_bad("19999999999.99");
  expect_money_bad("99999999999.99");
  expect_money_bad("100000000000");
}

static void test_money_parse_huge_digit_strings_rejected(void **state) {
  (void)state;
  expect_money_bad("9223372036854775807");  /* INT64_MAX as digits */
  expect_money_bad("9223372036854775808");  /* one above */
  expect_money_bad("18446744073709551615"); /* UINT64_MAX */
  expect_money_bad("18446744073709551616");
  expect_money_bad("92233720368547758.07");
  expect_money_bad("99999999999999999999999999999999999999999999.99");
  /* A value that wraps to a small number modulo 2^64 must not sneak in:
  ** 2^64 + 100 fen = 184467440737095517.16 yuan. */
  expect_money_bad("184467440737095517.16");
  expect_money_bad("18446744073709551716");
  /* 1 followed by 400 zeros. */
  char big[512];
  big[0] = '1';
  memset(big + 1, '0', 400);
  big[401] = 0;
  expect_money_bad(big);
  memcpy(big + 401, ".00", 4);
  expect_money_bad(big);
  /* 400 nines. */
  memset(big, '9', 400);
  big[400] = 0;
  expect_money_bad(big);
}

static void test_money_parse_rejects_signs(void **state) {
  (void)state;
  expect_money_bad("-1");
  expect_money_bad("+1");
  expect_money_bad("-0");
  expect_money_bad("-0.00");
  expect_money_bad("+0.50");
  expect_money_bad("1-");
  expect_money_bad("1+");
}

static void test_money_parse_rejects_spaces(void **state) {
  (void)state;
  expect_money_bad(" 1");
  expect_money_bad("1 ");
  expect_money_bad(" 100");
  expect_money_bad("1 000");
  expect_money_bad("1. 5");
  expect_money_bad("1 .5");
  expect_money_bad("\t1");
  expect_money_bad("1\n");
  expect_money_bad("1\r");
  expect_money_bad(" ");
}

static void test_money_parse_rejects_exponent_and_separators(void **state) {
  (void)state;
  expect_money_bad("1e3");
  expect_money_bad("1E3");
  expect_money_bad("1.5e2");
  expect_money_bad("1e-2");
  expect_money_bad("1,000");
  expect_money_bad("1,000.00");
  expect_money_bad("1_000");
  expect_money_bad("1'000");
  expect_money_bad("1,5");
  expect_money_bad("0x10");
  expect_money_bad("inf");
  expect_money_bad("nan");
  expect_money_bad("\xef\xbc\x91"); /* fullwidth digit one */
}

static void test_money_parse_rejects_bad_decimal_point(void **state) {
  (void)state;
  expect_money_bad(".5");
  expect_money_bad(".50");
  expect_money_bad("5.");
  expect_money_bad(".");
  expect_money_bad("1..5");
  expect_money_bad("1.5.");
  expect_money_bad("1.2.3");
  expect_money_bad("1.-5");
  expect_money_bad("1.a");
  expect_money_bad("1.5a");
  expect_money_bad("a1");
}

static void test_money_parse_rejects_three_or_more_decimals(void **state) {
  (void)state;
  expect_money_bad("1.234");
  expect_money_bad("1.230");
  expect_money_bad("1.000");
  expect_money_bad("0.001");
  expect_money_bad("12.345");
  expect_money_bad("1.23456789");
}

static void test_money_parse_rejects_empty(void **state) {
  (void)state;
  expect_money_bad("");
  sb_fen v = SENTINEL_FEN;
  assert_int_equal(sb_money_parse("123", 0, &v), -1);
  assert_int_equal(v, SENTINEL_FEN);
}

static void test_money_parse_uses_length_not_nul(void **state) {
  (void)state;
  sb_fen v = 0;
  /* The text need not be NUL-terminated: only n bytes count. */
  assert_int_equal(sb_money_parse("12345", 3, &v), 0);
  assert_int_equal(v, 12300);
  assert_int_equal(sb_money_parse("1.5xyz", 3, &v), 0);
  assert_int_equal(v, 150);
  assert_int_equal(sb_money_parse("1.25,", 4, &v), 0);
  assert_int_equal(v, 125);
  /* An embedded NUL inside the length is a bad byte. */
  v = SENTINEL_FEN;
  assert_int_equal(sb_money_parse("1\0"
                                  "0",
                                  3, &v),
                   -1);
  assert_int_equal(v, SENTINEL_FEN);
  assert_int_equal(sb_money_parse("1.\0", 3, &v), -1);
  assert_int_equal(v, SENTINEL_FEN);
}

/* ---- sb_ratio_parse ---------------------------------------------------- */

static void test_ratio_parse_valid(void **state) {
  (void)state;
  expect_ratio("1", 10000);
  expect_ratio("1.0000", 10000);
  expect_ratio("1.0", 10000);
  expect_ratio("1.00", 10000);
  expect_ratio("0", 0);
  expect_ratio("0.0", 0);
  expect_ratio("0.0000", 0);
  expect_ratio("0.65", 6500);
  expect_ratio("0.5", 5000);
  expect_ratio("0.05", 500);
  expect_ratio("0.005", 50);
  expect_ratio("0.0001", 1);
  expect_ratio("0.9999", 9999);
  expect_ratio("0.1234", 1234);
  expect_ratio("00.65", 6500);
  expect_ratio("01", 10000);
  expect_ratio("0001.0000", 10000);
}

static void test_ratio_parse_above_one_invalid(void **state) {
  (void)state;
  expect_ratio_bad("1.0001");
  expect_ratio_bad("1.01");
  expect_ratio_bad("1.1");
  expect_ratio_bad("1.9999");
  expect_ratio_bad("2");
  expect_ratio_bad("2.0");
  expect_ratio_bad("10");
  expect_ratio_bad("11");
  expect_ratio_bad("100");
  expect_ratio_bad("99999999999999999999999999");
  expect_ratio_bad("4294967297"); /* 2^32 + 1 */
}

static void test_ratio_parse_too_many_decimals_invalid(void **state) {
  (void)state;
  expect_ratio_bad("0.12345");
  expect_ratio_bad("0.00001");
  expect_ratio_bad("0.50000");
  expect_ratio_bad("1.00000");
  expect_ratio_bad("0.123456789");
}

static void test_ratio_parse_bad_forms_invalid(void **state) {
  (void)state;
  expect_ratio_bad("");
  expect_ratio_bad(".5");
  expect_ratio_bad("0.");
  expect_ratio_bad("1.");
  expect_ratio_bad(".");
  expect_ratio_bad("-0");
  expect_ratio_bad("-0.5");
  expect_ratio_bad("+0.5");
  expect_ratio_bad(" 0.5");
  expect_ratio_bad("0.5 ");
  expect_ratio_bad("0,5");
  expect_ratio_bad("5e-1");
  expect_ratio_bad("0.5%");
  expect_ratio_bad("50%");
  expect_ratio_bad("0..5");
  expect_ratio_bad("0.5.");
  expect_ratio_bad("a");
}

static void test_ratio_parse_uses_length_not_nul(void **state) {
  (void)state;
  sb_bp v = 0;
  assert_int_equal(sb_ratio_parse("0.65XYZ", 4, &v), 0);
  assert_int_equal(v, 6500);
  assert_int_equal(sb_ratio_parse("1.00001", 6, &v), 0);
  assert_int_equal(v, 10000);
  v = SENTINEL_BP;
  assert_int_equal(sb_ratio_parse("0.65", 0, &v), -1);
  assert_int_equal(v, SENTINEL_BP);
}

static void test_ratio_parse_and_format_round_trip_every_bp(void **state) {
  (void)state;
  for (sb_bp r = 0; r <= SB_BP_ONE; r++) {
    char buf[16];
    size_t n = sb_ratio_format(r, buf);
    assert_int_equal(n, strlen(buf));
    sb_bp back = -1;
    if (sb_ratio_parse(buf, n, &back) != 0) fail_msg("'%s' (from %d) not parsed", buf, (int)r);
    assert_int_equal(back, r);
    /* And the four-decimal spelling of the same value. */
    char four[16];
    snprintf(four, sizeof four, "%d.%04d", (int)(r / 10000), (int)(r % 10000));
    assert_int_equal(sb_ratio_parse(four, strlen(four), &back), 0);
    assert_int_equal(back, r);
  }
}

/* ---- sb_money_format / sb_ratio_format --------------------------------- */

static void test_money_format_exact_two_decimals(void **state) {
  (void)state;
  expect_format(123450, "1234.50");
  expect_format(-123450, "-1234.50");
  expect_format(0, "0.00");
  expect_format(1, "0.01");
  expect_format(-1, "-0.01");
  expect_format(10, "0.10");
  expect_format(-10, "-0.10");
  expect_format(99, "0.99");
  expect_format(100, "1.00");
  expect_format(-100, "-1.00");
  expect_format(829250, "8292.50");
  expect_format(SB_MONEY_MAX, "10000000000.00");
  expect_format(-SB_MONEY_MAX, "-10000000000.00");
}

static void test_money_format_zero_never_negative(void **state) {
  (void)state;
  sb_fen z = -0;
  expect_format(z, "0.00");
  sb_fen a = 5, b = 5;
  expect_format(a - b, "0.00");
  expect_format(-(a - b), "0.00");
}

static void test_money_format_int64_extremes(void **state) {
  (void)state;
  expect_format(INT64_MAX, "92233720368547758.07");
  expect_format(INT64_MIN, "-92233720368547758.08");
  expect_format(INT64_MIN + 1, "-92233720368547758.07");
  expect_format(INT64_MAX - 7, "92233720368547758.00");
  /* The longest text fits the documented buffer with its NUL. */
  assert_true(strlen("-92233720368547758.08") + 1 <= SB_MONEY_BUFSZ);
}

static void test_money_format_parse_round_trip(void **state) {
  (void)state;
  rng_state = 20220715;
  for (int i = 0; i < 200000; i++) {
    sb_fen v;
    switch (i % 4) {
    case 0:
      v = (sb_fen)(rng() % (uint64_t)(SB_MONEY_MAX + 1));
      break;
    case 1:
      v = (sb_fen)(rng() % 100000);
      break;
    case 2:
      v = SB_MONEY_MAX - (sb_fen)(rng() % 1000);
      break;
    default:
      v = (sb_fen)(rng() % 1000);
      break;
    }
    char buf[SB_MONEY_BUFSZ];
    size_t n = sb_money_format(v, buf);
    sb_fen back = -1;
    if (sb_money_parse(buf, n, &back) != 0) fail_msg("'%s' not parsed back", buf);
    assert_int_equal(back, v);
    /* Negatives are the same text with a sign. */
    if (v > 0) {
      char neg[SB_MONEY_BUFSZ];
      size_t m = sb_money_format(-v, neg);
      assert_int_equal(m, n + 1);
      assert_int_equal(neg[0], '-');
      assert_string_equal(neg + 1, buf);
    }
  }
}

static void test_money_format_matches_printf(void **state) {
  (void)state;
  rng_state = 42;
  for (int i = 0; i < 100000; i++) {
    sb_fen v = (sb_fen)rng();
    char buf[SB_MONEY_BUFSZ], want[64];
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    snprintf(want, sizeof want, "%s%llu.%02llu", v < 0 ? "-" : "", (unsigned long long)(m / 100),
             (unsigned long long)(m % 100));
    sb_money_format(v, buf);
    assert_string_equal(buf, want);
  }
}

static void test_ratio_format_minimal_text(void **state) {
  (void)state;
  expect_ratio_format(6500, "0.65");
  expect_ratio_format(10000, "1");
  expect_ratio_format(0, "0");
  expect_ratio_format(5, "0.0005");
  expect_ratio_format(50, "0.005");
  expect_ratio_format(500, "0.05");
  expect_ratio_format(5000, "0.5");
  expect_ratio_format(1234, "0.1234");
  expect_ratio_format(1000, "0.1");
  expect_ratio_format(9999, "0.9999");
  expect_ratio_format(1, "0.0001");
  expect_ratio_format(1010, "0.101");
}

/* ---- sb_mul ------------------------------------------------------------ */

static void test_mul_half_up_exact_half_cases(void **state) {
  (void)state;
  /* Exactly .5 fen rounds up (half up, not half even). */
  assert_int_equal(sb_mul(1, 5000), 1);  /* 0.5 -> 1 */
  assert_int_equal(sb_mul(3, 5000), 2);  /* 1.5 -> 2 */
  assert_int_equal(sb_mul(5, 5000), 3);  /* 2.5 -> 3 */
  assert_int_equal(sb_mul(5, 1000), 1);  /* 0.5 -> 1 */
  assert_int_equal(sb_mul(25, 1000), 3); /* 2.5 -> 3 */
  assert_int_equal(sb_mul(50, 100), 1);  /* 0.5 -> 1 */
  assert_int_equal(sb_mul(5000, 1), 1);  /* 0.5 -> 1 */
  assert_int_equal(sb_mul(15000, 1), 2); /* 1.5 -> 2 */
  assert_int_equal(sb_mul(829250, 5000), 414625);
  assert_int_equal(sb_mul(829251, 5000), 414626); /* 414625.5 -> 414626 */
  /* Just below a half rounds down, just above rounds up. */
  assert_int_equal(sb_mul(1, 4999), 0);
  assert_int_equal(sb_mul(1, 5001), 1);
  assert_int_equal(sb_mul(4999, 1), 0);
  assert_int_equal(sb_mul(5001, 1), 1);
  assert_int_equal(sb_mul(14999, 1), 1);
}

static void test_mul_ordinary_values(void **state) {
  (void)state;
  assert_int_equal(sb_mul(0, 6500), 0);
  assert_int_equal(sb_mul(123456, 0), 0);
  assert_int_equal(sb_mul(123456, 10000), 123456);
  assert_int_equal(sb_mul(123456, 6500), 80246); /* 80246.4 */
  assert_int_equal(sb_mul(123457, 6500), 80247); /* 80247.05 */
  assert_int_equal(sb_mul(32000, 5000), 16000);
  assert_int_equal(sb_mul(1600000, 5000), 800000);
  assert_int_equal(sb_mul(99, 9999), 99); /* 98.9901 */
  assert_int_equal(sb_mul(100, 1), 0);    /* 0.01 */
  assert_int_equal(sb_mul(7, 7143), 5);   /* 5.0001 */
}

static void test_mul_large_operands_are_128_bit_safe(void **state) {
  (void)state;
  assert_int_equal(sb_mul(1000000000000LL, 10000), 1000000000000LL);
  assert_int_equal(sb_mul(SB_MONEY_MAX, 9999), 999900000000LL);
  assert_int_equal(sb_mul(INT64_MAX, 10000), INT64_MAX);
  assert_int_equal(sb_mul(INT64_MAX, 0), 0);
  sb_fen half = INT64_MAX / 2;
  assert_int_equal(sb_mul(half, 9999), mul_ref128(half, 9999));
  assert_int_equal(sb_mul(half, 9999), mul_split(half, 9999));
  /* INT64_MAX/2 = 4611686018427387903; * 0.9999, half up. */
  assert_int_equal(sb_mul(half, 9999), 4611224849825545164LL);
  assert_int_equal(sb_mul(INT64_MAX, 9999), mul_split(INT64_MAX, 9999));
  assert_int_equal(sb_mul(INT64_MAX, 5000), 4611686018427387904LL);
  assert_int_equal(sb_mul(INT64_MAX, 1), 922337203685478LL); /* 922337203685477.58 */
}

static void test_mul_random_against_references(void **state) {
  (void)state;
  rng_state = 7;
  for (int i = 0; i < 300000; i++) {
    sb_fen a;
    switch (i % 3) {
    case 0:
      a = (sb_fen)(rng() >> 1);
      break;
    case 1:
      a = (sb_fen)(rng() % (uint64_t)(SB_MONEY_MAX + 1));
      break;
    default:
      a = (sb_fen)(rng() % 1000000);
      break;
    }
    sb_bp r = (sb_bp)(rng() % (SB_BP_ONE + 1));
    sb_fen got = sb_mul(a, r);
    assert_int_equal(got, mul_ref128(a, r));
    assert_int_equal(got, mul_split(a, r));
    assert_true(got >= 0 && got <= a);
  }
}

/* sb_mul's 64-bit path (a < 2^48, r < 2^15) and its 128-bit one meet at
** these amounts and ratios: both sides of each edge agree with the
** 128-bit reference. */
static void test_mul_path_edges(void **state) {
  (void)state;
  const sb_fen A[] = {0,
                      1,
                      9999,
                      (INT64_C(1) << 48) - 1,
                      INT64_C(1) << 48,
                      (INT64_C(1) << 48) + 1,
                      SB_MONEY_MAX,
                      INT64_MAX / SB_BP_ONE,
                      INT64_MAX};
  const sb_bp R[] = {0, 1, 4999, 5000, 6500, SB_BP_ONE - 1, SB_BP_ONE};
  for (size_t i = 0; i < sizeof A / sizeof A[0]; i++)
    for (size_t k = 0; k < sizeof R / sizeof R[0]; k++) {
      sb_fen got = sb_mul(A[i], R[k]);
      if (got != mul_ref128(A[i], R[k]))
        fail_msg("sb_mul(%lld, %d) = %lld", (long long)A[i], (int)R[k], (long long)got);
    }
  /* ratios above one, as a bonus can make before it is clamped */
  assert_int_equal(sb_mul((INT64_C(1) << 48) - 1, 32767),
                   mul_ref128((INT64_C(1) << 48) - 1, 32767));
  assert_int_equal(sb_mul(123456789, 32768), mul_ref128(123456789, 32768));
}

/* ---- sb_cap_left ------------------------------------------------------- */

static void test_cap_left_values(void **state) {
  (void)state;
  assert_int_equal(sb_cap_left(100, 30), 70);
  assert_int_equal(sb_cap_left(100, 0), 100);
  assert_int_equal(sb_cap_left(100, 99), 1);
  assert_int_equal(sb_cap_left(100, 100), 0);
  assert_int_equal(sb_cap_left(100, 101), 0);
  assert_int_equal(sb_cap_left(100, 150000), 0);
  assert_int_equal(sb_cap_left(0, 0), 0);
  assert_int_equal(sb_cap_left(SB_NO_CAP, 0), INT64_MAX);
  assert_int_equal(sb_cap_left(SB_NO_CAP, SB_MONEY_MAX), INT64_MAX - SB_MONEY_MAX);
  assert_int_equal(sb_cap_left(SB_MONEY_MAX, INT64_MAX), 0);
  assert_int_equal(sb_min(sb_cap_left(SB_NO_CAP, 12345), 500), 500);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_money_parse_forms_of_the_contract),
      cmocka_unit_test(test_money_parse_other_valid_values),
      cmocka_unit_test(test_money_parse_maximum_is_valid),
      cmocka_unit_test(test_money_parse_one_fen_above_maximum_is_invalid),
      cmocka_unit_test(test_money_parse_huge_digit_strings_rejected),
      cmocka_unit_test(test_money_parse_rejects_signs),
      cmocka_unit_test(test_money_parse_rejects_spaces),
      cmocka_unit_test(test_money_parse_rejects_exponent_and_separators),
      cmocka_unit_test(test_money_parse_rejects_bad_decimal_point),
      cmocka_unit_test(test_money_parse_rejects_three_or_more_decimals),
      cmocka_unit_test(test_money_parse_rejects_empty),
      cmocka_unit_test(test_money_parse_uses_length_not_nul),
      cmocka_unit_test(test_ratio_parse_valid),
      cmocka_unit_test(test_ratio_parse_above_one_invalid),
      cmocka_unit_test(test_ratio_parse_too_many_decimals_invalid),
      cmocka_unit_test(test_ratio_parse_bad_forms_invalid),
      cmocka_unit_test(test_ratio_parse_uses_length_not_nul),
      cmocka_unit_test(test_ratio_parse_and_format_round_trip_every_bp),
      cmocka_unit_test(test_money_format_exact_two_decimals),
      cmocka_unit_test(test_money_format_zero_never_negative),
      cmocka_unit_test(test_money_format_int64_extremes),
      cmocka_unit_test(test_money_format_parse_round_trip),
      cmocka_unit_test(test_money_format_matches_printf),
      cmocka_unit_test(test_ratio_format_minimal_text),
      cmocka_unit_test(test_mul_half_up_exact_half_cases),
      cmocka_unit_test(test_mul_ordinary_values),
      cmocka_unit_test(test_mul_large_operands_are_128_bit_safe),
      cmocka_unit_test(test_mul_random_against_references),
      cmocka_unit_test(test_mul_path_edges),
      cmocka_unit_test(test_cap_left_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
