/*
** Unit tests of what a what-if learns from the persons' regions before any
** claim: the prefecture slots of the collector (whatif/sim.c,
** assign_prefectures: by a table of prefecture codes, or person by person
** when the regions leave it no choice) and the check that the reform
** covers every county the baseline covers (whatif/sources.c,
** sb_sim_check_regions: by the set of counties, naming the first one in
** registry order).  Each case is checked against what the person-by-person
** way gives by definition: slots in ascending order of prefecture code,
** "the rest" (999900) past SB_SIM_MAX_PREF prefectures.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "whatif/sim.h"
#include "whatif/sources.h"

static sb_policy *policy(sb_region *rows, int n) {
  static sb_policy p[2];
  static int which;
  sb_policy *q = &p[which++ % 2];
  memset(q, 0, sizeof *q);
  q->year = 2022;
  q->regions = rows;
  q->n_regions = n;
  return q;
}

/* A row of one person of `person`'s region and an amount, so that each
** prefecture's sums show which slot its persons went to. */
static void add_person(sb_sim *s, int32_t person, sb_fen amount) {
  sb_result r;
  memset(&r, 0, sizeof r);
  r.medfee_sumamt = r.psn_part_amt = amount;
  sb_sim_add(s, 0, person, &r, 0);
}

/* The collector's prefectures and what each holds, against the expected
** codes (ascending), person counts and sums of medfee. */
static void expect_prefectures(const int32_t *region, int32_t n, const int32_t *codes,
                               const int64_t *persons, const sb_fen *medfee, int k) {
  sb_sim *s = sb_sim_new_regions(n, region, policy(NULL, 0), 1);
  assert_non_null(s);
  for (int32_t p = 0; p < n; p++)
    add_person(s, p, 100 + p);
  const sb_sim_result *r = sb_sim_finish(s);
  assert_non_null(r);
  assert_int_equal(r->n_pref, k);
  for (int i = 0; i < k; i++) {
    assert_int_equal(r->pref[i], codes[i]);
    assert_int_equal(r->pref_persons[i], persons[i]);
    assert_int_equal(r->by_pref[i][0].medfee, medfee[i]);
    assert_int_equal(r->by_pref[i][0].claims, persons[i]);
  }
  sb_sim_free(s);
}

/* Counties of three prefectures, interleaved: slots in ascending code. */
static void test_slots_by_code(void **state) {
  (void)state;
  const int32_t region[] = {431181, 430102, 110101, 430103, 431181, 430102};
  const int32_t codes[] = {110100, 430100, 431100};
  const int64_t persons[] = {1, 3, 2};
  const sb_fen medfee[] = {102, 101 + 103 + 105, 100 + 104};
  expect_prefectures(region, 6, codes, persons, medfee, 3);
}

/* A region outside 0..999999 (a negative one, a seven-digit one) sends
** the slots the person-by-person way; the others land as before, in
** ascending order with the odd ones among them. */
static void test_slots_with_odd_regions(void **state) {
  (void)state;
  const int32_t region[] = {431181, -1, 430102, 1234567, 430103};
  /* codes: 4311, 0 (-1 / 100), 4301, 12345, 4301 */
  const int32_t codes[] = {0, 430100, 431100, 1234500};
  const int64_t persons[] = {1, 2, 1, 1};
  const sb_fen medfee[] = {101, 102 + 104, 100, 103};
  expect_prefectures(region, 5, codes, persons, medfee, 4);
}

/* More prefectures than slots: the first SB_SIM_MAX_PREF - 1 met in
** registry order keep their own slot, the rest share "the rest" (999900);
** every person is counted once. */
static void test_more_prefectures_than_slots(void **state) {
  (void)state;
  enum { N = SB_SIM_MAX_PREF + 88 };
  static int32_t region[N];
  for (int32_t p = 0; p < N; p++)
    region[p] = (N - p) * 100 + 1; /* descending codes: first met, last in order */
  sb_sim *s = sb_sim_new_regions(N, region, policy(NULL, 0), 1);
  assert_non_null(s);
  for (int32_t p = 0; p < N; p++)
    add_person(s, p, 1);
  const sb_sim_result *r = sb_sim_finish(s);
  assert_int_equal(r->n_pref, SB_SIM_MAX_PREF);
  assert_int_equal(r->pref[SB_SIM_MAX_PREF - 1], 999900);
  int64_t all = 0;
  for (int i = 0; i < r->n_pref; i++) {
    assert_int_equal(r->by_pref[i][0].claims, r->pref_persons[i]);
    if (i > 0) assert_true(r->pref[i] > r->pref[i - 1]);
    all += r->pref_persons[i];
  }
  assert_int_equal(all, N);
  /* the persons met first (the highest codes) have slots of their own */
  assert_int_equal(r->pref[SB_SIM_MAX_PREF - 2], N * 100);
  assert_int_equal(r->pref_persons[SB_SIM_MAX_PREF - 1], N - (SB_SIM_MAX_PREF - 1));
  sb_sim_free(s);
}

/* The reform's coverage: the first county, in registry order, that the
** baseline covers and the reform does not is named — whatever the order
** of the codes, and with odd regions in the registry. */
static void test_reform_coverage(void **state) {
  (void)state;
  static sb_region base_rows[] = {{430102, 100}, {430103, 100}, {431100, 100}};
  static sb_region reform_rows[] = {{430102, 100}};
  const int32_t region[] = {430102, 431181, 430103, 430102, -7, 2000000};
  sb_error err;
  sb_policy *base = policy(base_rows, 3), *reform = policy(reform_rows, 1);
  assert_int_equal(sb_sim_check_regions("r.json", base, reform, NULL, region, 6, &err), SB_EINVAL);
  assert_non_null(strstr(err.msg, "county 431181"));
  assert_non_null(strstr(err.where, "r.json"));
  /* the reform covers all: nothing to say, with or without odd regions */
  base = policy(base_rows, 3);
  reform = policy(base_rows, 3);
  assert_int_equal(sb_sim_check_regions("r.json", base, reform, NULL, region, 6, &err), SB_OK);
  assert_int_equal(sb_sim_check_regions("r.json", base, reform, NULL, region, 4, &err), SB_OK);
  /* a county the baseline does not cover is not the reform's to cover */
  static sb_region narrow[] = {{430102, 100}};
  base = policy(narrow, 1);
  reform = policy(narrow, 1);
  assert_int_equal(sb_sim_check_regions("r.json", base, reform, NULL, region, 6, &err), SB_OK);
  /* the first uncovered in registry order, not the smallest code */
  static sb_region only_prefecture[] = {{431100, 100}};
  const int32_t two[] = {431181, 430103, 430102};
  base = policy(base_rows, 3);
  reform = policy(only_prefecture, 1);
  assert_int_equal(sb_sim_check_regions("r.json", base, reform, NULL, two, 3, &err), SB_EINVAL);
  assert_non_null(strstr(err.msg, "county 430103"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_slots_by_code),
      cmocka_unit_test(test_slots_with_odd_regions),
      cmocka_unit_test(test_more_prefectures_than_slots),
      cmocka_unit_test(test_reform_coverage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
