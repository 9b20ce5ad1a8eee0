/*
** Unit tests of the reform's side kept by difference (whatif/sim.h:
** sb_sim_row_delta_to, sb_sim_alert_delta_to, sb_sim_year_end_delta_to,
** sb_sim_person_delta_to, sb_sim_tally_undelta): generated persons' rows
** added both ways — each side on its own (sb_sim_row_to, sb_sim_alert_to,
** sb_sim_year_end_to, sb_sim_person_to) and the reform by difference —
** must give the same finished result, compared as the summary CSV and
** field by field.  The rows differ between the sides in a share of the
** claims chosen per case: none, some, every one, and in cell (category,
** visit, level) as well as amount.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "whatif/sim.h"

#define PERSONS 3000

static uint64_t rng;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static sb_fen pick(sb_fen hi) {
  return (sb_fen)(next() % (uint64_t)(hi + 1));
}

static sb_result random_row(void) {
  sb_result x;
  memset(&x, 0, sizeof x);
  x.category = (uint8_t)(next() % SB_CAT_COUNT);
  x.visit = (uint8_t)(next() % SB_VISIT_COUNT);
  x.level = (uint8_t)(next() % SB_LEVEL_COUNT);
  x.medfee_sumamt = pick(5000000);
  x.inscp_scp_amt = pick(x.medfee_sumamt);
  x.hifp_pay = pick(x.inscp_scp_amt);
  x.hifmi_pay = pick(100000);
  x.maf_pay = pick(50000);
  x.reassist_pay = pick(3) ? 0 : pick(20000);
  x.fund_pay_sumamt = x.hifp_pay + x.hifmi_pay + x.maf_pay + x.reassist_pay;
  x.psn_part_amt = x.medfee_sumamt - x.fund_pay_sumamt;
  return x;
}

/* The reform's row: the same, or (one time in `every`) another amount,
** and now and then another cell. */
static sb_result reform_row(const sb_result *b, int every) {
  sb_result x = *b;
  if (!every || next() % (uint64_t)every) return x;
  x.hifmi_pay += pick(30000) - 15000;
  x.fund_pay_sumamt = x.hifp_pay + x.hifmi_pay + x.maf_pay + x.reassist_pay;
  x.psn_part_amt = x.medfee_sumamt - x.fund_pay_sumamt;
  if (!pick(5)) x.category = (uint8_t)(next() % SB_CAT_COUNT);
  if (!pick(5)) x.level = (uint8_t)(next() % SB_LEVEL_COUNT);
  return x;
}

static int32_t REGION[PERSONS];

static sb_policy *policy(void) {
  static sb_policy p;
  static char rule[] = "r";
  memset(&p, 0, sizeof p);
  p.year = 2022;
  p.n_rules = 1;
  p.rules[0] = (sb_monitor_rule){rule, (1u << SB_CAT_COUNT) - 1, 1000000};
  return &p;
}

/* Fill collectors `a` (each side on its own) and `b` (the reform by
** difference) with the same generated year. */
static void fill(sb_sim *a, sb_sim *b, int every) {
  sb_sim_tally *ta = calloc(1, sizeof *ta), *tb = calloc(1, sizeof *tb);
  assert_non_null(ta);
  assert_non_null(tb);
  for (int32_t p = 0; p < PERSONS; p++) {
    int rows = (int)pick(4);
    if (!rows) continue;
    sb_sim_sums ua[2] = {{0}}, ub[2] = {{0}};
    int differs = 0, cat = 0;
    for (int k = 0; k < rows; k++) {
      sb_result r[2];
      r[0] = random_row();
      r[1] = reform_row(&r[0], every);
      int reversed = !pick(7);
      cat = r[0].category;
      for (int s = 0; s < 2; s++)
        sb_sim_row_to(a, ta, s, p, &r[s], reversed, &ua[s]);
      sb_sim_row_to(b, tb, 0, p, &r[0], reversed, &ub[0]);
      if (!sb_sim_row_same(&r[0], &r[1])) {
        sb_sim_row_delta_to(tb, &r[1], &r[0], reversed, &ub[1]);
        differs = 1;
      }
      /* alerts: 0-2 a side */
      int n0 = (int)(pick(5) / 4), n1 = every && !pick((sb_fen)every) ? (int)pick(2) : n0;
      for (int i = 0; i < n0; i++) {
        sb_sim_alert_to(a, ta, 0, p, cat);
        sb_sim_alert_to(b, tb, 0, p, cat);
      }
      for (int i = 0; i < n1; i++)
        sb_sim_alert_to(a, ta, 1, p, cat);
      if (n1 != n0) sb_sim_alert_delta_to(b, tb, p, cat, n1 - n0);
    }
    for (int s = 0; s < 2; s++)
      sb_sim_person_to(a, ta, s, p, &ua[s]);
    sb_sim_person_to(b, tb, 0, p, &ub[0]);
    sb_sim_person_delta_to(b, tb, p, &ub[0], &ub[1], differs);
    /* re-assistance after the year on either side, maybe under another row */
    sb_fen pay[2] = {pick(2) ? 0 : pick(50000), 0};
    int c[2] = {cat, cat};
    pay[1] = every && !pick((sb_fen)every) ? pick(1) * pick(50000) : pay[0];
    if (every && !pick(3)) c[1] = (int)(next() % SB_CAT_COUNT);
    for (int s = 0; s < 2; s++)
      if (pay[s] > 0) sb_sim_year_end_to(a, ta, s, p, c[s], pay[s]);
    if (pay[0] > 0) sb_sim_year_end_to(b, tb, 0, p, c[0], pay[0]);
    if (pay[0] > 0 || pay[1] > 0) sb_sim_year_end_delta_to(b, tb, p, c[1], pay[1], c[0], pay[0]);
    sb_sim_set_category(a, p, cat);
    sb_sim_set_category(b, p, cat);
  }
  sb_sim_tally_undelta(tb);
  sb_sim_merge(a, ta);
  sb_sim_merge(b, tb);
  free(ta);
  free(tb);
}

static void same_result(int every, uint64_t seed) {
  rng = seed;
  for (int32_t p = 0; p < PERSONS; p++)
    REGION[p] = 430100 + 100 * (p % 14) + p % 3;
  sb_sim *a = sb_sim_new_regions(PERSONS, REGION, policy(), 2);
  sb_sim *b = sb_sim_new_regions(PERSONS, REGION, policy(), 2);
  assert_non_null(a);
  assert_non_null(b);
  fill(a, b, every);
  const sb_sim_result *ra = sb_sim_finish(a), *rb = sb_sim_finish(b);
  assert_non_null(ra);
  assert_non_null(rb);
  assert_memory_equal(ra->all, rb->all, sizeof ra->all);
  assert_memory_equal(ra->category, rb->category, sizeof ra->category);
  assert_memory_equal(ra->visit, rb->visit, sizeof ra->visit);
  assert_memory_equal(ra->level, rb->level, sizeof ra->level);
  assert_memory_equal(ra->by_pref, rb->by_pref, sizeof ra->by_pref);
  assert_memory_equal(ra->decile, rb->decile, sizeof ra->decile);
  assert_int_equal(ra->gainers, rb->gainers);
  assert_int_equal(ra->losers, rb->losers);
  assert_int_equal(ra->gained, rb->gained);
  assert_int_equal(ra->lost, rb->lost);
  sb_buf ca = {0}, cb = {0};
  assert_int_equal(sb_sim_csv(ra, &ca), 0);
  assert_int_equal(sb_sim_csv(rb, &cb), 0);
  assert_int_equal(ca.len, cb.len);
  assert_memory_equal(ca.p, cb.p, ca.len);
  /* the case is not empty: the reform differs when asked to */
  if (every) {
    assert_true(ra->gainers + ra->losers > 0);
  } else {
    assert_int_equal(ra->gainers + ra->losers, 0);
    assert_true(sb_sim_unchanged(ra));
  }
  sb_buf_free(&ca);
  sb_buf_free(&cb);
  sb_sim_free(a);
  sb_sim_free(b);
}

static void test_no_row_differs(void **state) {
  (void)state;
  same_result(0, 0x1234567u);
}

static void test_some_rows_differ(void **state) {
  (void)state;
  same_result(50, 0x2345678u);
  same_result(5, 0x3456789u);
}

static void test_every_row_differs(void **state) {
  (void)state;
  same_result(1, 0x456789au);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_row_differs),
      cmocka_unit_test(test_some_rows_differ),
      cmocka_unit_test(test_every_row_differs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
