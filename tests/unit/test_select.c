/*
** sb_sim_select_ranks: the deciles of `sanbao simulate` are found by
** selection instead of a full sort, and must be exactly the values a full
** sort gives — on random arrays with many ties, all-equal arrays, sorted
** and reverse-sorted input (bad cases for a naive pivot), tiny arrays, and
** the eleven nearest-rank decile ranks sb_sim_finish asks for — and on big
** arrays, where the ranks are first found in buckets of a histogram: wide
** and narrow ranges, negative values and the extremes of int64, values
** piled into one bucket (the quickselect then does it all), and burdens
** shaped like a province's (most small, a long tail).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "whatif/sim.h"

static uint64_t rng_state = 0x243F6A8885A308D3ull;
static uint64_t next(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static int cmp(const void *a, const void *b) {
  sb_fen x = *(const sb_fen *)a, y = *(const sb_fen *)b;
  return (x > y) - (x < y);
}

/* The decile ranks of m values (and the last one again: a duplicate). */
static int decile_ranks(int64_t m, int64_t rk[14]) {
  int k = 0;
  for (int d = 0; d <= 10; d++) {
    int64_t r = (d * m + 9) / 10;
    rk[k++] = r ? r - 1 : 0;
  }
  rk[k++] = m - 1;
  return k;
}

/* v[0..n) spread over the kept slots of an array with dropped slots
** between them (about one in three, none, or all but v's), selected in
** place and compared with the sorted v; v itself is left unchanged. */
static void check_kept(const sb_fen *v, const sb_fen *sorted, int64_t n) {
  for (int shape = 0; shape < 3; shape++) {
    int64_t cap = 2 * n + 8, len = 0;
    sb_fen *w = malloc((size_t)cap * sizeof *w);
    uint8_t *keep = malloc((size_t)cap);
    assert_non_null(w);
    assert_non_null(keep);
    for (int64_t i = 0; i < n; i++) {
      /* a dropped slot before this value: an extreme that would win a
      ** rank if it counted */
      if (shape == 0 ? next() % 3 == 0 : shape == 2 && i % 2 == 0) {
        w[len] = next() % 2 ? INT64_MAX : INT64_MIN;
        keep[len++] = 0;
      }
      w[len] = v[i];
      keep[len++] = (uint8_t)(1 + next() % 255); /* any non-zero byte keeps */
    }
    w[len] = INT64_MIN, keep[len++] = 0; /* and one at the end */
    int64_t rk[14];
    int k = decile_ranks(n, rk);
    sb_fen out[14];
    assert_int_equal(sb_sim_select_ranks_kept(w, keep, len, rk, k, out), 0);
    for (int i = 0; i < k; i++)
      assert_int_equal(out[i], sorted[rk[i]]);
    free(w);
    free(keep);
  }
}

/* Select the decile ranks (and a few more) of v and compare with a sort. */
static void check(const sb_fen *v, int64_t n) {
  sb_fen *a = malloc((size_t)n * sizeof *a), *s = malloc((size_t)n * sizeof *s);
  assert_non_null(a);
  assert_non_null(s);
  memcpy(a, v, (size_t)n * sizeof *a);
  memcpy(s, v, (size_t)n * sizeof *s);
  qsort(s, (size_t)n, sizeof *s, cmp);
  int64_t rk[14];
  int k = decile_ranks(n, rk);
  sb_fen out[14];
  sb_sim_select_ranks(a, n, rk, k, out);
  for (int i = 0; i < k; i++)
    assert_int_equal(out[i], s[rk[i]]);
  /* the array is a permutation of the input */
  qsort(a, (size_t)n, sizeof *a, cmp);
  assert_memory_equal(a, s, (size_t)n * sizeof *a);
  check_kept(v, s, n);
  free(a);
  free(s);
}

static void test_random_with_ties(void **state) {
  (void)state;
  for (int round = 0; round < 200; round++) {
    int64_t n = 1 + (int64_t)(next() % 5000);
    uint64_t spread = round % 4 == 0   ? 3
                      : round % 4 == 1 ? 100
                      : round % 4 == 2 ? 100000
                                       : UINT32_MAX;
    sb_fen *v = malloc((size_t)n * sizeof *v);
    assert_non_null(v);
    for (int64_t i = 0; i < n; i++)
      v[i] = (sb_fen)(next() % spread) - (round % 3 == 0 ? 50 : 0);
    check(v, n);
    free(v);
  }
}

static void test_patterns(void **state) {
  (void)state;
  enum { N = 100000 };
  sb_fen *v = malloc(N * sizeof *v);
  assert_non_null(v);
  for (int i = 0; i < N; i++)
    v[i] = 7; /* all equal */
  check(v, N);
  for (int i = 0; i < N; i++)
    v[i] = i; /* sorted */
  check(v, N);
  for (int i = 0; i < N; i++)
    v[i] = N - i; /* reversed */
  check(v, N);
  for (int i = 0; i < N; i++)
    v[i] = i % 2 ? 0 : i; /* half zeros, organ pipe */
  check(v, N);
  for (int i = 0; i < N; i++)
    v[i] = i < N / 2 ? i : N - i;
  check(v, N);
  for (int64_t n = 1; n <= 40; n++)
    check(v, n); /* tiny */
  v[0] = INT64_MIN + 1, v[1] = INT64_MAX, v[2] = 0;
  check(v, 3);
  free(v);
}

static void test_big_arrays(void **state) {
  (void)state;
  enum { N = 300000 };
  sb_fen *v = malloc(N * sizeof *v);
  assert_non_null(v);
  for (int round = 0; round < 8; round++) {
    for (int i = 0; i < N; i++) {
      uint64_t x = next();
      switch (round) {
      case 0: /* a narrow range: fewer values than buckets */
        v[i] = (sb_fen)(x % 1000);
        break;
      case 1: /* a wide one, both signs */
        v[i] = (sb_fen)(x % 4000000000ull) - 2000000000;
        break;
      case 2: /* the whole of int64 */
        v[i] = (sb_fen)x;
        break;
      case 3: /* 70% zeros: the zero bucket holds most ranks and most values */
        v[i] = x % 10 < 7 ? 0 : (sb_fen)(x >> 40);
        break;
      case 4: /* a province's burdens: most small, a long tail */
        v[i] = (sb_fen)((x % 1000) * (x % 1000) * ((x >> 20) % 64 == 0 ? 997 : 1));
        break;
      case 5: /* two values far apart */
        v[i] = x % 2 ? INT64_MIN + 1 : INT64_MAX;
        break;
      case 6: /* sorted, wide */
        v[i] = (sb_fen)i * 1000003;
        break;
      default: /* one outlier stretching the range: everything else in bucket 0 */
        v[i] = i == N / 3 ? INT64_MAX : (sb_fen)(x % 50000);
        break;
      }
    }
    check(v, N);
  }
  free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_with_ties),
      cmocka_unit_test(test_patterns),
      cmocka_unit_test(test_big_arrays),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
