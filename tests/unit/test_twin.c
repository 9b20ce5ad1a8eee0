/*
** Unit tests of sb_twin (settle.h): which two policies may share one
** settlement of a claim, and the rule for a reform of the critical-illness
** annual cap — ci_paid after the claim below the lower cap.  The rule is
** tested where it must say no (the cap binds on one side, to the fen) and,
** over many generated claims and accumulators, that whenever it says yes
** the second side's own settlement is the same to the byte.
**
** Amounts are in fen (1 yuan = 100 fen).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "assert_result.h"

#include "sanbao/policy.h"
#include "sanbao/run.h"
#include "sanbao/settle.h"

static char RULE_A[] = "a";
static char RULE_B[] = "b";
static char OTHER_NAME[] = "another name";
static sb_region REGIONS[] = {{-1, 1600000}};
static sb_region OTHER_REGIONS[] = {{-1, 900000}, {430500, 1100000}};

#define CAT(c) (1u << (c))
#define VIS(v) (1u << (v))

/* A policy with every tier in use: critical illness for inpatient and
** chronic care, segments 30000/0.60, 80000/0.65, open/0.75, cap 300000
** yuan; destitute tilted and uncapped; assistance and re-assistance at
** settlement for destitute and min_living; two monitoring rules. */
static void policy(sb_policy *p) {
  memset(p, 0, sizeof *p);
  p->year = 2022;
  p->n_regions = 1;
  p->regions = REGIONS;
  p->basic_annual_cap = 15000000;
  for (int l = 0; l < SB_LEVEL_COUNT; l++)
    p->inpatient[l] = (sb_inpatient_level){20000 + 30000 * l, 9000 - 700 * l};
  p->repeat_deductible_factor = 5000;
  p->annual_deductible_cap = 300000;
  p->chronic_ratio = 7000;
  p->chronic_annual_cap = 600000;
  p->outpatient_ratio[SB_LEVEL_PRIMARY] = 6000;
  p->outpatient_levels = 1u << SB_LEVEL_PRIMARY;
  p->outpatient_annual_cap = 80000;
  p->ci_visits = VIS(SB_VISIT_INPATIENT) | VIS(SB_VISIT_CHRONIC);
  p->n_segments = 3;
  p->segments[0] = (sb_ci_segment){3000000, 6000};
  p->segments[1] = (sb_ci_segment){8000000, 6500};
  p->segments[2] = (sb_ci_segment){SB_NO_CAP, 7500};
  p->ci_annual_cap = 30000000;
  p->tilted = CAT(SB_CAT_DESTITUTE);
  p->tilted_deductible_factor = 5000;
  p->tilted_ratio_bonus = 500;
  p->tilted_uncapped = 1;
  p->ma_visits = VIS(SB_VISIT_INPATIENT) | VIS(SB_VISIT_CHRONIC);
  p->ma_categories = CAT(SB_CAT_DESTITUTE) | CAT(SB_CAT_MIN_LIVING);
  p->assistance[SB_CAT_DESTITUTE] = (sb_assist_row){0, 10000, 10000000};
  p->assistance[SB_CAT_MIN_LIVING] = (sb_assist_row){0, 7000, 10000000};
  p->ra_timing = SB_RA_CLAIM;
  p->ra_visits = VIS(SB_VISIT_INPATIENT);
  p->ra_categories = CAT(SB_CAT_DESTITUTE) | CAT(SB_CAT_MIN_LIVING);
  p->reassist[SB_CAT_DESTITUTE] = (sb_reassist_row){500000, 7000, 5000000};
  p->reassist[SB_CAT_MIN_LIVING] = (sb_reassist_row){500000, 5000, 5000000};
  p->n_rules = 2;
  p->rules[0] = (sb_monitor_rule){RULE_A, CAT(SB_CAT_MIN_LIVING), 914750};
  p->rules[1] = (sb_monitor_rule){RULE_B, CAT(SB_CAT_GENERAL), 1829500};
}

static int kind_of(const sb_policy *a, const sb_policy *b) {
  sb_twin tw;
  sb_twin_init(&tw, a, b);
  return tw.kind;
}

/* ---- the policy comparison ----------------------------------------------- */

static void test_kinds(void **state) {
  (void)state;
  sb_policy a, b;
  policy(&a);
  policy(&b);
  assert_int_equal(kind_of(&a, &b), SB_TWIN_SAME);
  /* read by no settlement: the name, the year, the premium, the rules'
  ** names; the regions are compared per person (T) by the caller */
  b.name = OTHER_NAME;
  b.premium_individual = 38000;
  b.subsidy[SB_CAT_DESTITUTE] = 10000;
  b.rules[0].name = RULE_B;
  b.regions = OTHER_REGIONS;
  b.n_regions = 2;
  assert_int_equal(kind_of(&a, &b), SB_TWIN_SAME);

  policy(&b);
  b.ci_annual_cap = 40000000;
  sb_twin tw;
  sb_twin_init(&tw, &a, &b);
  assert_int_equal(tw.kind, SB_TWIN_CI_CAP);
  assert_int_equal(tw.ci_paid_below, 30000000);
  sb_twin_init(&tw, &b, &a); /* a lowered cap: the same lower one */
  assert_int_equal(tw.kind, SB_TWIN_CI_CAP);
  assert_int_equal(tw.ci_paid_below, 30000000);
  b.ci_annual_cap = SB_NO_CAP; /* null: the other one binds first */
  sb_twin_init(&tw, &a, &b);
  assert_int_equal(tw.ci_paid_below, 30000000);
  a.ci_annual_cap = SB_NO_CAP;
  assert_int_equal(kind_of(&a, &b), SB_TWIN_SAME);
}

/* Each field a settlement reads, changed alone, makes the pair APART; with
** the cap changed too, still APART. */
static void test_apart(void **state) {
  (void)state;
  sb_policy a, b;
  policy(&a);
  for (int f = 0; f < 24; f++) {
    policy(&b);
    switch (f) {
    case 0:
      b.basic_annual_cap--;
      break;
    case 1:
      b.inpatient[SB_LEVEL_GRADE2].deductible /= 2;
      break;
    case 2:
      b.inpatient[SB_LEVEL_PROVINCIAL].ratio++;
      break;
    case 3:
      b.repeat_deductible_factor = 6000;
      break;
    case 4:
      b.annual_deductible_cap = SB_NO_CAP;
      break;
    case 5:
      b.chronic_ratio = 7500;
      break;
    case 6:
      b.chronic_annual_cap = 500000;
      break;
    case 7:
      b.outpatient_ratio[SB_LEVEL_GRADE1] = 5000;
      break;
    case 8:
      b.outpatient_levels |= 1u << SB_LEVEL_GRADE1;
      break;
    case 9:
      b.outpatient_annual_cap = 1;
      break;
    case 10:
      b.ci_visits |= VIS(SB_VISIT_OUTPATIENT);
      break;
    case 11:
      b.segments[1].ratio = 7000;
      break;
    case 12:
      b.segments[0].upto = 2000000;
      break;
    case 13:
      b.tilted |= CAT(SB_CAT_MIN_LIVING);
      break;
    case 14:
      b.tilted_deductible_factor = 4000;
      break;
    case 15:
      b.tilted_ratio_bonus = 0;
      break;
    case 16:
      b.tilted_uncapped = 0;
      break;
    case 17:
      b.ma_visits = VIS(SB_VISIT_INPATIENT);
      break;
    case 18:
      b.assistance[SB_CAT_MIN_LIVING].annual_cap = 5000000;
      break;
    case 19:
      b.ra_timing = SB_RA_YEAR_END;
      break;
    case 20:
      b.reassist[SB_CAT_DESTITUTE].threshold = 300000;
      break;
    case 21:
      b.rules[1].threshold = 1000000;
      break;
    case 22:
      b.rules[0].categories |= CAT(SB_CAT_GENERAL);
      break;
    default:
      b.n_rules = 1;
      break;
    }
    assert_int_equal(kind_of(&a, &b), SB_TWIN_APART);
    b.ci_annual_cap = 40000000;
    assert_int_equal(kind_of(&a, &b), SB_TWIN_APART);
    assert_int_equal(kind_of(&b, &a), SB_TWIN_APART);
  }
}

/* ---- the rule ------------------------------------------------------------ */

/* Settle `c` from `acc` on both sides; return sb_twin_alike after side `first`. */
static int both(const sb_policy *p[2], int first, const sb_person_ctx *who, const sb_acc *acc,
                const sb_claim *c, sb_result res[2], sb_acc after[2], uint32_t due[2]) {
  for (int s = 0; s < 2; s++) {
    after[s] = *acc;
    due[s] = sb_run_step(p[s], who, &after[s], c, &res[s], NULL);
  }
  sb_twin tw;
  sb_twin_init(&tw, p[0], p[1]);
  return sb_twin_alike(&tw, &after[first]);
}

/* The cap of 300000 yuan binds on the low side to the fen: ci_paid after
** the claim is the cap itself, the rule must say no, and the sides differ
** (a rule with <= in place of < would be wrong here). */
static void test_cap_binds_on_one_side(void **state) {
  (void)state;
  sb_policy lo, hi;
  policy(&lo);
  policy(&hi);
  hi.ci_annual_cap = 40000000;
  const sb_policy *p[2] = {&lo, &hi};
  sb_person_ctx who = {SB_CAT_GENERAL, 1600000};
  sb_acc acc = {0};
  acc.ci_base = 60000000; /* x = 600000 - 16000 yuan: E0 about 400000 yuan */
  acc.ci_paid = 29000000;
  sb_claim c = {4000000, 0, 0, 0, 0, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3};
  sb_result res[2];
  sb_acc after[2];
  uint32_t due[2];
  for (int first = 0; first < 2; first++) {
    assert_int_equal(both(p, first, &who, &acc, &c, res, after, due), 0);
    assert_int_equal(after[0].ci_paid, 30000000); /* the low cap reached exactly */
    assert_true(res[1].hifmi_pay > res[0].hifmi_pay);
  }
  /* the same claim a little lower: b limits both sides, the rule says yes */
  acc.ci_paid = 28000000;
  c.medfee_sumamt = 1200000; /* deductible 1100 yuan, 69% of 10900: b = 4479 yuan */
  for (int first = 0; first < 2; first++) {
    assert_int_equal(both(p, first, &who, &acc, &c, res, after, due), 1);
    assert_result_equal(&res[0], &res[1]);
    assert_int_equal(res[0].hifmi_pay, 447900);
  }
  /* ci_paid already above the low cap (paid while the person was in a
  ** tilted, uncapped category): the low side pays nothing, the high side
  ** does; the rule says no */
  acc.ci_paid = 31000000;
  for (int first = 0; first < 2; first++) {
    assert_int_equal(both(p, first, &who, &acc, &c, res, after, due), 0);
    assert_int_equal(res[0].hifmi_pay, 0);
    assert_true(res[1].hifmi_pay > 0);
  }
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static sb_fen pick(sb_fen lo, sb_fen hi) {
  return lo + (sb_fen)(next() % (uint64_t)(hi - lo + 1));
}

/* Whenever the rule says yes, the other side settles the same: result,
** accumulators and alerts, over accumulators near and past both caps,
** every category and visit type, both orders of the caps.  Both answers
** must occur, or the test proves nothing. */
static void test_rule_holds(void **state) {
  (void)state;
  sb_policy lo, hi;
  policy(&lo);
  policy(&hi);
  hi.ci_annual_cap = 40000000;
  const sb_policy *raise[2] = {&lo, &hi}, *lower[2] = {&hi, &lo};
  int64_t yes = 0, no = 0, differ = 0;
  for (int i = 0; i < 200000; i++) {
    const sb_policy **p = i & 1 ? lower : raise;
    sb_person_ctx who = {(int)(next() % SB_CAT_COUNT), next() & 1 ? 1600000 : 1100000};
    sb_acc acc = {0};
    acc.ci_base = pick(0, 80000000);
    acc.ci_paid = pick(0, 2) ? pick(25000000, 41000000) : pick(0, acc.ci_base / 2);
    acc.ma_base = pick(0, 1000000);
    acc.psn_ytd = pick(0, 3000000);
    acc.basic_ytd = pick(0, 15000000);
    acc.ra_base = pick(0, 1000000);
    acc.alerted = (uint32_t)(next() & 3);
    sb_fen medfee = pick(0, 3) ? pick(0, 2000000) : pick(0, 40000000);
    sb_claim c = {medfee,
                  pick(0, medfee / 4),
                  0,
                  0,
                  0,
                  (uint8_t)(next() % SB_VISIT_COUNT),
                  (uint8_t)(next() % SB_LEVEL_COUNT)};
    sb_result res[2];
    sb_acc after[2];
    uint32_t due[2];
    int first = (int)(next() & 1);
    if (both(p, first, &who, &acc, &c, res, after, due)) {
      yes++;
      assert_result_equal(&res[0], &res[1]);
      assert_memory_equal(&after[0], &after[1], sizeof after[0]);
      assert_int_equal(due[0], due[1]);
    } else {
      no++;
      differ += res[0].hifmi_pay != res[1].hifmi_pay;
    }
  }
  assert_true(yes > 10000);
  assert_true(no > 10000);
  assert_true(differ > 1000); /* the "no" cases include real differences */
}

/* SAME: any claim, any accumulators, equal on both sides. */
static void test_same_holds(void **state) {
  (void)state;
  sb_policy a, b;
  policy(&a);
  policy(&b);
  b.premium_individual = 1; /* read by no settlement */
  const sb_policy *p[2] = {&a, &b};
  for (int i = 0; i < 20000; i++) {
    sb_person_ctx who = {(int)(next() % SB_CAT_COUNT), 1600000};
    sb_acc acc = {0};
    acc.ci_base = pick(0, 80000000);
    acc.ci_paid = pick(0, 40000000);
    sb_fen medfee = pick(0, 40000000);
    sb_claim c = {
        medfee, 0, 0, 0, 0, (uint8_t)(next() % SB_VISIT_COUNT), (uint8_t)(next() % SB_LEVEL_COUNT)};
    sb_result res[2];
    sb_acc after[2];
    uint32_t due[2];
    assert_int_equal(both(p, 0, &who, &acc, &c, res, after, due), 1);
    assert_result_equal(&res[0], &res[1]);
    assert_memory_equal(&after[0], &after[1], sizeof after[0]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kinds),
      cmocka_unit_test(test_apart),
      cmocka_unit_test(test_cap_binds_on_one_side),
      cmocka_unit_test(test_rule_holds),
      cmocka_unit_test(test_same_holds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
