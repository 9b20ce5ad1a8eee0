/*
** Unit tests of the pure core (docs/reference/settlement.md §1, §5–§7, §9): sb_settle,
** sb_acc_apply, sb_alerts_due, sb_result_negate, sb_premium_of and
** sb_policy_ci_deductible.
**
** Every policy is built here as a C struct (fen and basis points), so each
** test controls exactly the parameter it exercises.  Every expected value is
** worked out by hand in the comment beside its assertion; amounts are in fen
** (1 yuan = 100 fen) unless a comment says yuan.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "assert_result.h"

#include "sanbao/policy.h"
#include "sanbao/premium.h"
#include "sanbao/settle.h"

/* ---- fixtures ------------------------------------------------------------ */

static char RULE_LIFTED[] = "lifted-half-rural-income";
static char RULE_GENERAL[] = "rural-full-income";
static char RULE_ALL[] = "all";
static char RULE_PAIR[] = "pair";
static char RULE_MON[] = "monitored-only";

static sb_region HUNAN_REGIONS[] = {{-1, 1600000}, {430500, 1100000}};

#define CAT(c) (1u << (c))
#define VIS(v) (1u << (v))
#define ALL_CATS ((1u << SB_CAT_COUNT) - 1)

/*
** The Hunan 2022 policy of examples/basics (policy-2022.json) in fen/bp:
**   basic cap 150000 yuan; inpatient deductible/ratio per level
**   primary 200/0.90, grade1 500/0.80, grade2 800/0.75, grade3 1200/0.60,
**   provincial 2000/0.60; repeat factor 0.50; deductible year cap 3000;
**   chronic 0.70 cap 6000; outpatient primary 0.60 only, cap 800;
**   critical illness for inpatient+chronic, segments 30000/0.60,
**   80000/0.65, 150000/0.75, open/0.85, cap 400000, tilted destitute,
**   min_living, relapsed: deductible x0.50, +0.05, uncapped;
**   assistance for inpatient+chronic: destitute 0/1.00/100000,
**   min_living 0/0.70/100000, near_poor 3200/0.60/100000;
**   premium 320, subsidy destitute 1.00, min_living/relapsed/monitored 0.50;
**   monitoring: lifted+monitored >= 9147.50, general >= 18295.00.
*/
static void hunan_policy(sb_policy *p) {
  memset(p, 0, sizeof *p);
  p->year = 2022;
  p->n_regions = 2;
  p->regions = HUNAN_REGIONS;
  p->basic_annual_cap = 15000000;
  p->inpatient[SB_LEVEL_PRIMARY] = (sb_inpatient_level){20000, 9000};
  p->inpatient[SB_LEVEL_GRADE1] = (sb_inpatient_level){50000, 8000};
  p->inpatient[SB_LEVEL_GRADE2] = (sb_inpatient_level){80000, 7500};
  p->inpatient[SB_LEVEL_GRADE3] = (sb_inpatient_level){120000, 6000};
  p->inpatient[SB_LEVEL_PROVINCIAL] = (sb_inpatient_level){200000, 6000};
  p->repeat_deductible_factor = 5000;
  p->annual_deductible_cap = 300000;
  p->chronic_ratio = 7000;
  p->chronic_annual_cap = 600000;
  p->outpatient_ratio[SB_LEVEL_PRIMARY] = 6000;
  p->outpatient_levels = 1u << SB_LEVEL_PRIMARY;
  p->outpatient_annual_cap = 80000;

  p->ci_visits = VIS(SB_VISIT_INPATIENT) | VIS(SB_VISIT_CHRONIC);
  p->n_segments = 4;
  p->segments[0] = (sb_ci_segment){3000000, 6000};
  p->segments[1] = (sb_ci_segment){8000000, 6500};
  p->segments[2] = (sb_ci_segment){15000000, 7500};
  p->segments[3] = (sb_ci_segment){SB_NO_CAP, 8500};
  p->ci_annual_cap = 40000000;
  p->tilted = CAT(SB_CAT_DESTITUTE) | CAT(SB_CAT_MIN_LIVING) | CAT(SB_CAT_RELAPSED);
  p->tilted_deductible_factor = 5000;
  p->tilted_ratio_bonus = 500;
  p->tilted_uncapped = 1;

  p->ma_visits = VIS(SB_VISIT_INPATIENT) | VIS(SB_VISIT_CHRONIC);
  p->ma_categories = CAT(SB_CAT_DESTITUTE) | CAT(SB_CAT_MIN_LIVING) | CAT(SB_CAT_NEAR_POOR);
  p->assistance[SB_CAT_DESTITUTE] = (sb_assist_row){0, 10000, 10000000};
  p->assistance[SB_CAT_MIN_LIVING] = (sb_assist_row){0, 7000, 10000000};
  p->assistance[SB_CAT_NEAR_POOR] = (sb_assist_row){320000, 6000, 10000000};

  p->premium_individual = 32000;
  p->subsidised =
      CAT(SB_CAT_DESTITUTE) | CAT(SB_CAT_MIN_LIVING) | CAT(SB_CAT_RELAPSED) | CAT(SB_CAT_MONITORED);
  p->subsidy[SB_CAT_DESTITUTE] = 10000;
  p->subsidy[SB_CAT_MIN_LIVING] = 5000;
  p->subsidy[SB_CAT_RELAPSED] = 5000;
  p->subsidy[SB_CAT_MONITORED] = 5000;

  p->n_rules = 2;
  p->rules[0] = (sb_monitor_rule){RULE_LIFTED, CAT(SB_CAT_LIFTED) | CAT(SB_CAT_MONITORED), 914750};
  p->rules[1] = (sb_monitor_rule){RULE_GENERAL, CAT(SB_CAT_GENERAL), 1829500};
}

static sb_region EDGE_REGIONS[] = {{430500, 100000}, {431100, 0}};

/* examples/edges/policy-2022.json: no basic or deductible year cap, CI also
** for outpatient with a 5000-yuan cap, assistance inpatient+outpatient with
** near_poor 100/0.5/no cap and min_living 0/0.7/300. */
static void edges_policy(sb_policy *p) {
  hunan_policy(p);
  p->n_regions = 2;
  p->regions = EDGE_REGIONS;
  p->basic_annual_cap = SB_NO_CAP;
  p->annual_deductible_cap = SB_NO_CAP;
  p->chronic_annual_cap = SB_NO_CAP;
  p->ci_visits = VIS(SB_VISIT_INPATIENT) | VIS(SB_VISIT_CHRONIC) | VIS(SB_VISIT_OUTPATIENT);
  p->ci_annual_cap = 500000;
  p->ma_visits = VIS(SB_VISIT_INPATIENT) | VIS(SB_VISIT_OUTPATIENT);
  p->ma_categories = CAT(SB_CAT_NEAR_POOR) | CAT(SB_CAT_MIN_LIVING);
  memset(p->assistance, 0, sizeof p->assistance);
  p->assistance[SB_CAT_NEAR_POOR] = (sb_assist_row){10000, 5000, SB_NO_CAP};
  p->assistance[SB_CAT_MIN_LIVING] = (sb_assist_row){0, 7000, 30000};
}

/* One claim, settled against a copy of `acc`. */
static sb_result settle_t(const sb_policy *p, int cat, sb_fen T, const sb_acc *acc, int visit,
                          int level, sb_fen medfee, sb_fen fulamt, sb_fen overlmt, sb_fen preself,
                          sb_trace *trace) {
  sb_person_ctx who = {cat, T};
  sb_claim c = {medfee, fulamt, overlmt, preself, 0, (uint8_t)visit, (uint8_t)level};
  sb_result r;
  sb_settle(p, &who, acc, &c, &r, trace);
  return r;
}

static sb_result settle(const sb_policy *p, int cat, sb_fen T, const sb_acc *acc, int visit,
                        int level, sb_fen medfee, sb_fen fulamt) {
  return settle_t(p, cat, T, acc, visit, level, medfee, fulamt, 0, 0, NULL);
}

/* Settle and fold the result into the accumulators, as a batch does. */
static sb_result run(const sb_policy *p, int cat, sb_fen T, sb_acc *acc, int visit, int level,
                     sb_fen medfee, sb_fen fulamt) {
  sb_result r = settle(p, cat, T, acc, visit, level, medfee, fulamt);
  sb_acc_apply(acc, &r, +1);
  return r;
}

/* Accumulators with the basic fund and the deductible year total used up,
** so that an inpatient claim pays hifp 0 and dedc 0: b = inscp = medfee.
** Isolates tier 2 (and tier 3). */
static sb_acc tier1_exhausted(void) {
  sb_acc a;
  memset(&a, 0, sizeof a);
  a.basic_ytd = 15000000;
  a.dedc_ytd = 300000;
  return a;
}

static sb_acc zero_acc(void) {
  sb_acc a;
  memset(&a, 0, sizeof a);
  return a;
}

static int count_steps(const sb_trace *t, int code) {
  int n = 0;
  for (int i = 0; i < t->n; i++)
    n += t->steps[i].code == code;
  return n;
}

static const sb_trace_step *find_step(const sb_trace *t, int code) {
  for (int i = 0; i < t->n; i++)
    if (t->steps[i].code == code) return &t->steps[i];
  return NULL;
}

/* ---- §1 rounding helpers ------------------------------------------------- */

static void test_mul_half_up(void **state) {
  (void)state;
  assert_int_equal(sb_mul(1, 5000), 1);         /* 0.5 -> 1 (half up) */
  assert_int_equal(sb_mul(1, 4999), 0);         /* 0.4999 -> 0 */
  assert_int_equal(sb_mul(3, 5000), 2);         /* 1.5 -> 2 */
  assert_int_equal(sb_mul(32001, 5000), 16001); /* 16000.5 -> 16001 */
  assert_int_equal(sb_mul(0, 10000), 0);
  /* 10^12 x 1.0 = 10^12 exactly */
  assert_int_equal(sb_mul(SB_MONEY_MAX, SB_BP_ONE), SB_MONEY_MAX);
  assert_int_equal(sb_cap_left(100, 30), 70);
  assert_int_equal(sb_cap_left(100, 100), 0);
  assert_int_equal(sb_cap_left(100, 130), 0); /* max(0, -30) */
  assert_int_equal(sb_cap_left(SB_NO_CAP, INT64_C(1000000000000000)),
                   SB_NO_CAP - INT64_C(1000000000000000));
}

/* ---- §5.1 inpatient ------------------------------------------------------ */

static void test_inpatient_level_deductible(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  /* examples/basics A1-01: grade3, 30000.00 with 2000.00 out of catalogue */
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1100000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 3000000, 200000);
  assert_int_equal(r.inscp_scp_amt, 2800000); /* 3000000 - 200000 */
  assert_int_equal(r.act_pay_dedc, 120000);   /* grade3 deductible 1200.00, first stay */
  assert_int_equal(r.hifp_pay, 1608000);      /* (2800000 - 120000) x 0.60 = 1608000 */
}

static void test_inpatient_repeat_same_level(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.admissions[SB_LEVEL_GRADE3] = 1;
  a.dedc_ytd = 120000;
  /* examples/basics A1-02: second grade3 stay, 20000.00 */
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1100000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 2000000, 0);
  assert_int_equal(r.act_pay_dedc, 60000); /* mul(120000, 0.50) = 60000 */
  assert_int_equal(r.hifp_pay, 1164000);   /* (2000000 - 60000) x 0.60 = 1164000 */

  /* third stay: admissions 2 >= 1, still the factor once (not squared) */
  a.admissions[SB_LEVEL_GRADE3] = 2;
  r = settle(&p, SB_CAT_GENERAL, 1100000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 2000000, 0);
  assert_int_equal(r.act_pay_dedc, 60000); /* mul(120000, 0.50) */
}

static void test_inpatient_repeat_factor_rounds_half_up(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  p.inpatient[SB_LEVEL_GRADE1].deductible = 50001; /* 500.01 */
  sb_acc a = zero_acc();
  a.admissions[SB_LEVEL_GRADE1] = 1;
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE1, 1000000, 0);
  assert_int_equal(r.act_pay_dedc, 25001); /* 50001 x 0.5 = 25000.5 -> 25001 */
  assert_int_equal(r.hifp_pay, 779999);    /* (1000000 - 25001) x 0.80 = 779999.2 -> 779999 */
}

static void test_inpatient_repeat_other_level_full_deductible(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.admissions[SB_LEVEL_GRADE3] = 1; /* an earlier stay, but at grade3 */
  a.dedc_ytd = 120000;
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE2, 1000000, 0);
  assert_int_equal(r.act_pay_dedc, 80000); /* grade2's full 800.00, not 400.00 */
  assert_int_equal(r.hifp_pay, 690000);    /* (1000000 - 80000) x 0.75 = 690000 */
}

static void test_inpatient_deductible_year_cap_partial(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.dedc_ytd = 250000; /* 2500.00 of the 3000.00 year total charged */
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  assert_int_equal(r.act_pay_dedc, 50000); /* min(120000, 300000 - 250000) = 50000 */
  assert_int_equal(r.hifp_pay, 570000);    /* (1000000 - 50000) x 0.60 = 570000 */
}

static void test_inpatient_deductible_year_cap_after_repeat(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.admissions[SB_LEVEL_GRADE3] = 1;
  a.dedc_ytd = 280000;
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  /* D = mul(120000, 0.5) = 60000; min(60000, 300000 - 280000) = 20000 */
  assert_int_equal(r.act_pay_dedc, 20000);
  assert_int_equal(r.hifp_pay, 588000); /* (1000000 - 20000) x 0.60 = 588000 */
}

static void test_inpatient_deductible_year_cap_exhausted(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.dedc_ytd = 300000; /* exactly the cap */
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  assert_int_equal(r.act_pay_dedc, 0);  /* min(120000, max(0, 300000 - 300000)) = 0 */
  assert_int_equal(r.hifp_pay, 600000); /* 1000000 x 0.60 */

  a.dedc_ytd = 350000; /* above the cap: cap_left is 0, never negative */
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  assert_int_equal(r.act_pay_dedc, 0);
  assert_int_equal(r.hifp_pay, 600000);
}

static void test_inpatient_dedc_limited_by_inscp(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  sb_result r = run(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 50000, 0);
  assert_int_equal(r.act_pay_dedc, 50000); /* min(inscp 50000, D 120000) */
  assert_int_equal(r.hifp_pay, 0);         /* (50000 - 50000) x 0.60 */
  assert_int_equal(a.dedc_ytd, 50000);     /* only what was charged */
  assert_int_equal(a.admissions[SB_LEVEL_GRADE3], 1);
}

static void test_inpatient_inscp_zero_counts_as_admission(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  /* 1000.00, all of it outside the catalogue: inscp 0 */
  sb_result r =
      run(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 100000, 100000);
  assert_int_equal(r.inscp_scp_amt, 0);
  assert_int_equal(r.act_pay_dedc, 0); /* min(0, 120000) */
  assert_int_equal(r.hifp_pay, 0);
  assert_int_equal(r.psn_part_amt, 100000);
  assert_int_equal(a.admissions[SB_LEVEL_GRADE3], 1); /* the stay still counts */
  assert_int_equal(a.dedc_ytd, 0);
  /* so the next grade3 stay is a repeat stay */
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  assert_int_equal(r.act_pay_dedc, 60000); /* mul(120000, 0.50) */
  assert_int_equal(r.hifp_pay, 564000);    /* (1000000 - 60000) x 0.60 */
}

static void test_inpatient_level_ratios(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  /* 10000.00 at each level, first stay: (1000000 - D) x ratio */
  static const sb_fen want[SB_LEVEL_COUNT] = {
      882000, /* primary:    (1000000 - 20000)  x 0.90 */
      760000, /* grade1:     (1000000 - 50000)  x 0.80 */
      690000, /* grade2:     (1000000 - 80000)  x 0.75 */
      528000, /* grade3:     (1000000 - 120000) x 0.60 */
      480000, /* provincial: (1000000 - 200000) x 0.60 */
  };
  for (int l = 0; l < SB_LEVEL_COUNT; l++) {
    sb_result r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, l, 1000000, 0);
    assert_int_equal(r.act_pay_dedc, p.inpatient[l].deductible);
    assert_int_equal(r.hifp_pay, want[l]);
    assert_int_equal(r.level, l);
  }
}

static void test_inpatient_ratio_rounding(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE2, 80006, 0);
  assert_int_equal(r.hifp_pay, 5); /* (80006 - 80000) x 0.75 = 4.5 -> 5 (half up) */
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 120004, 0);
  assert_int_equal(r.hifp_pay, 2); /* (120004 - 120000) x 0.60 = 2.4 -> 2 */
}

static void test_inpatient_basic_cap_partial(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.basic_ytd = 14900000; /* 149000.00 of 150000.00 */
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  /* mul(880000, 0.60) = 528000, cap_left = 15000000 - 14900000 = 100000 */
  assert_int_equal(r.hifp_pay, 100000);
  assert_int_equal(r.act_pay_dedc, 120000); /* the deductible is still charged */
}

static void test_inpatient_basic_cap_exhausted(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.basic_ytd = 15000000;
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  assert_int_equal(r.hifp_pay, 0); /* min(528000, 0) */
  a.basic_ytd = 16000000;          /* beyond the cap: still 0, not negative */
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  assert_int_equal(r.hifp_pay, 0);
  assert_int_equal(r.fund_pay_sumamt, 0);
  assert_int_equal(r.psn_part_amt, 1000000);
}

static void test_inpatient_no_caps(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  p.basic_annual_cap = SB_NO_CAP;
  p.annual_deductible_cap = SB_NO_CAP;
  sb_acc a = zero_acc();
  a.basic_ytd = INT64_C(1000000000000000); /* 10^13 yuan already paid */
  a.dedc_ytd = INT64_C(1000000000000);
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  assert_int_equal(r.act_pay_dedc, 120000); /* no year total: the full deductible */
  assert_int_equal(r.hifp_pay, 528000);     /* (1000000 - 120000) x 0.60, no cap */
}

/* ---- §5.1 chronic --------------------------------------------------------- */

static void test_chronic_ratio_no_deductible(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  /* examples/basics A1-05: chronic 2000.00 */
  sb_result r = run(&p, SB_CAT_GENERAL, 1100000, &a, SB_VISIT_CHRONIC, SB_LEVEL_GRADE2, 200000, 0);
  assert_int_equal(r.act_pay_dedc, 0);
  assert_int_equal(r.hifp_pay, 140000); /* 200000 x 0.70 */
  assert_int_equal(a.chronic_ytd, 140000);
  assert_int_equal(a.basic_ytd, 140000);
  assert_int_equal(a.dedc_ytd, 0);
  assert_int_equal(a.outpatient_ytd, 0);
  for (int l = 0; l < SB_LEVEL_COUNT; l++)
    assert_int_equal(a.admissions[l], 0);
}

static void test_chronic_cap(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.chronic_ytd = 550000;
  a.basic_ytd = 550000;
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 200000, 0);
  assert_int_equal(r.hifp_pay, 50000); /* min(140000, 600000 - 550000) */
  a.chronic_ytd = a.basic_ytd = 600000;
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 200000, 0);
  assert_int_equal(r.hifp_pay, 0); /* chronic cap used up */
}

static void test_chronic_shares_basic_cap(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.basic_ytd = 14980000; /* paid by inpatient stays; chronic_ytd 0 */
  sb_result r = run(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 200000, 0);
  /* min(140000, chronic left 600000, basic left 15000000 - 14980000 = 20000) */
  assert_int_equal(r.hifp_pay, 20000);
  assert_int_equal(a.basic_ytd, 15000000);
  assert_int_equal(a.chronic_ytd, 20000);
  /* the basic cap is now used up for inpatient stays too */
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  assert_int_equal(r.hifp_pay, 0);
  /* and the other way round: chronic after inpatient used the cap */
  sb_acc b = zero_acc();
  b.basic_ytd = 15000000;
  r = settle(&p, SB_CAT_GENERAL, 1600000, &b, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 200000, 0);
  assert_int_equal(r.hifp_pay, 0);
}

static void test_chronic_no_caps(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  p.chronic_annual_cap = SB_NO_CAP;
  p.basic_annual_cap = SB_NO_CAP;
  sb_acc a = zero_acc();
  a.chronic_ytd = a.basic_ytd = INT64_C(1000000000000);
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 200000, 0);
  assert_int_equal(r.hifp_pay, 140000); /* 200000 x 0.70, no cap */
}

/* ---- §5.1 outpatient ------------------------------------------------------ */

static void test_outpatient_level_ratio(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  /* examples/basics A1-03: outpatient primary 300.00 */
  sb_result r =
      run(&p, SB_CAT_GENERAL, 1100000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 30000, 0);
  assert_int_equal(r.act_pay_dedc, 0);
  assert_int_equal(r.hifp_pay, 18000); /* 30000 x 0.60 */
  assert_int_equal(a.outpatient_ytd, 18000);
  assert_int_equal(a.basic_ytd, 0); /* outpatient is not in basic_ytd */
  assert_int_equal(a.chronic_ytd, 0);
  assert_int_equal(a.admissions[SB_LEVEL_PRIMARY], 0);
}

static void test_outpatient_level_without_row(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  /* examples/basics A1-04: outpatient at grade3, no row */
  sb_result r =
      run(&p, SB_CAT_GENERAL, 1100000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_GRADE3, 30000, 0);
  assert_int_equal(r.hifp_pay, 0); /* ratio 0 */
  assert_int_equal(r.inscp_scp_amt, 30000);
  assert_int_equal(r.psn_part_amt, 30000);
  assert_int_equal(r.visit, SB_VISIT_OUTPATIENT); /* settled all the same */
  assert_int_equal(r.level, SB_LEVEL_GRADE3);
  assert_int_equal(a.psn_ytd, 30000);
}

static void test_outpatient_cap(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.outpatient_ytd = 70000;
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 30000, 0);
  assert_int_equal(r.hifp_pay, 10000); /* min(18000, 80000 - 70000) */
  a.outpatient_ytd = 80000;
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 30000, 0);
  assert_int_equal(r.hifp_pay, 0);
  p.outpatient_annual_cap = SB_NO_CAP;
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 30000, 0);
  assert_int_equal(r.hifp_pay, 18000); /* no cap */
}

static void test_outpatient_ignores_basic_cap(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.basic_ytd = 15000000; /* basic cap used up by inpatient stays */
  sb_result r =
      run(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 30000, 0);
  assert_int_equal(r.hifp_pay, 18000);     /* 30000 x 0.60, only the outpatient cap applies */
  assert_int_equal(a.basic_ytd, 15000000); /* unchanged */
  assert_int_equal(a.outpatient_ytd, 18000);
}

/* ---- §5.2 critical illness ------------------------------------------------ */

static void test_ci_only_listed_visit_types(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p); /* CI counts inpatient + chronic only */
  sb_acc a = zero_acc();
  a.ci_base = 10000000; /* far above T: a counted visit would be paid */
  sb_result r =
      run(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 30000, 0);
  assert_int_equal(r.hifmi_pay, 0);
  assert_int_equal(r.ci_fed, 0);
  assert_false(r.flags & SB_FED_CI);
  assert_int_equal(a.ci_base, 10000000); /* nothing added */
  assert_int_equal(a.ci_paid, 0);

  /* the same claim when the policy lists outpatient */
  p.ci_visits |= VIS(SB_VISIT_OUTPATIENT);
  a.ci_base = 10000000;
  r = run(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 30000, 0);
  assert_true(r.flags & SB_FED_CI);
  assert_int_equal(r.ci_fed, 12000); /* b = 30000 - 18000 */
  /* base 10012000, x = 10012000 - 1600000 = 8412000:
     3000000x0.60 + 5000000x0.65 + 412000x0.75 = 1800000+3250000+309000 = 5359000;
     hifmi = min(b 12000, 5359000 - 0) = 12000 */
  assert_int_equal(r.hifmi_pay, 12000);
  assert_int_equal(a.ci_base, 10012000);
}

static void test_ci_base_is_cumulative_burden_after_basic(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.ci_base = 1500000;
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 100000);
  /* inscp 900000, dedc 120000, hifp (900000-120000) x 0.60 = 468000 */
  assert_int_equal(r.hifp_pay, 468000);
  assert_int_equal(r.ci_fed, 432000); /* b = 900000 - 468000 (fulamt not counted) */
  /* ci_base 1500000 + 432000 = 1932000, x = 1932000 - 1600000 = 332000,
     E = 332000 x 0.60 = 199200, hifmi = min(432000, 199200) */
  assert_int_equal(r.hifmi_pay, 199200);
}

static void test_ci_region_deductible(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.ci_base = 1500000;
  /* the same claim with T = 11000.00 (prefecture 430500) */
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1100000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 100000);
  /* x = 1932000 - 1100000 = 832000, E = 832000 x 0.60 = 499200,
     hifmi = min(b 432000, 499200) = 432000: never more than b */
  assert_int_equal(r.hifmi_pay, 432000);
  assert_int_equal(r.psn_part_amt, 100000); /* only the out-of-catalogue part */
}

static void test_ci_below_deductible(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = tier1_exhausted();
  /* b = 1600000 = T exactly: x = 0, E = 0 */
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1600000, 0);
  assert_int_equal(r.hifp_pay, 0);
  assert_int_equal(r.ci_fed, 1600000);
  assert_int_equal(r.hifmi_pay, 0);
}

static void test_ci_tilted_deductible_rounds_half_up(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.ci_base = 400000;
  sb_result r =
      settle(&p, SB_CAT_MIN_LIVING, 1000001, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 500000, 0);
  assert_int_equal(r.hifp_pay, 350000); /* 500000 x 0.70 */
  assert_int_equal(r.ci_fed, 150000);   /* b = 500000 - 350000 */
  /* T = mul(1000001, 0.50) = 500000.5 -> 500001; base 550000; x = 49999;
     E = 49999 x (0.60 + 0.05) = 32499.35 -> 32499 (with T rounded down
     x would be 50000 and E 32500) */
  assert_int_equal(r.hifmi_pay, 32499);
}

static void test_ci_tilted_rate_capped_at_one(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  p.segments[0].ratio = 9800; /* 0.98 + 0.05 bonus would be 1.03 */
  sb_acc a = tier1_exhausted();
  sb_result r =
      settle(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 900000, 0);
  /* T = 800000, b = 900000, x = 100000, rate min(10000, 9800 + 500) = 1.00,
     E = 100000 (103000 if not capped at 1) */
  assert_int_equal(r.hifmi_pay, 100000);
  /* untilted: x = 1600000 + 100000 - 1600000 = 100000 x 0.98 = 98000 */
  a.ci_base = 1600000;
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 100000, 0);
  assert_int_equal(r.hifmi_pay, 98000);
}

static void test_ci_tilted_uncapped_vs_capped(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  p.ci_annual_cap = 100000; /* 1000.00 */
  sb_acc a = tier1_exhausted();
  /* general: x = 2000000 - 1600000 = 400000, E = 240000 -> cap 100000 */
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 2000000, 0);
  assert_int_equal(r.hifmi_pay, 100000);
  /* tilted, uncapped: T 800000, x = 1200000, E = 1200000 x 0.65 = 780000 */
  r = settle(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 2000000, 0);
  assert_int_equal(r.hifmi_pay, 780000);
  /* tilted but the policy keeps the cap: min(780000, 100000) */
  p.tilted_uncapped = 0;
  r = settle(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 2000000, 0);
  assert_int_equal(r.hifmi_pay, 100000);
  /* cap already paid: E 100000 - ci_paid 100000 = 0 */
  a.ci_base = 2000000;
  a.ci_paid = 100000;
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 100000, 0);
  assert_int_equal(r.hifmi_pay, 0);
}

static void test_ci_segments_apply_to_x(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = tier1_exhausted();
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 5000000, 0);
  /* base 5000000, x = 3400000: 3000000 x 0.60 + 400000 x 0.65
     = 1800000 + 260000 = 2060000.  (Bounds on the base instead of x would
     give 1800000 + 2000000 x 0.65 - ... = something else.) */
  assert_int_equal(r.hifmi_pay, 2060000);

  /* all four segments: b = 21600000, x = 20000000:
     3000000x0.60 + 5000000x0.65 + 7000000x0.75 + 5000000x0.85
     = 1800000 + 3250000 + 5250000 + 4250000 = 14550000 */
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 21600000, 0);
  assert_int_equal(r.hifmi_pay, 14550000);
}

static void test_ci_segment_bound_inclusive(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = tier1_exhausted();
  /* x = 3000000 exactly: all in the first segment, 3000000 x 0.60 */
  sb_result r =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 4600000, 0);
  assert_int_equal(r.hifmi_pay, 1800000);
  /* x = 3000001: (3000000 x 6000 + 1 x 6500 + 5000) / 10000 = 1800001.15 -> 1800001 */
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 4600001, 0);
  assert_int_equal(r.hifmi_pay, 1800001);
}

static void test_ci_seg_rounded_once(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  p.n_segments = 3;
  p.segments[0] = (sb_ci_segment){100001, 6000};
  p.segments[1] = (sb_ci_segment){200000, 6500};
  p.segments[2] = (sb_ci_segment){SB_NO_CAP, 7500};
  sb_acc a = tier1_exhausted();
  sb_result r = settle(&p, SB_CAT_GENERAL, 0, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 100002, 0);
  /* T 0, x = 100002: overlaps 100001 and 1.
     Once:  (100001 x 6000 + 1 x 6500 + 5000) / 10000
          = (600006000 + 6500 + 5000) / 10000 = 600017500 / 10000 = 60001
     Per segment it would be mul(100001, 0.60) + mul(1, 0.65)
          = 60001 (60000.6) + 1 (0.65) = 60002: one fen more. */
  assert_int_equal(r.hifmi_pay, 60001);
}

static void test_ci_annual_cap(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = tier1_exhausted();
  sb_trace t;
  t.n = 0;
  sb_result r = settle_t(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3,
                         60000000, 0, 0, 0, &t);
  /* x = 60000000 - 1600000 = 58400000:
     1800000 + 3250000 + 5250000 + (58400000 - 15000000) x 0.85 = 36890000
     -> E = 47190000, capped at 40000000 */
  assert_int_equal(r.hifmi_pay, 40000000);
  const sb_trace_step *s = find_step(&t, SB_STEP_CI_ENTITLEMENT);
  assert_non_null(s);
  assert_int_equal(s->v[0], 58400000);
  assert_int_equal(s->v[1], 47190000);
  assert_int_equal(s->v[2], 40000000);
  assert_int_equal(s->v[3], 40000000);

  /* tilted, uncapped: T 800000, x = 59200000, rates 0.65/0.70/0.80/0.90:
     1950000 + 3500000 + 5600000 + 44200000 x 0.90 (39780000) = 50830000 */
  r = settle(&p, SB_CAT_DESTITUTE, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 60000000, 0);
  assert_int_equal(r.hifmi_pay, 50830000);
}

static void test_ci_catch_up_after_category_change(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  /* general until now: base 2600000, paid 600000
     (x = 2600000 - 1600000 = 1000000, E = 1000000 x 0.60 = 600000) */
  sb_acc a = tier1_exhausted();
  a.ci_base = 2600000;
  a.ci_paid = 600000;
  sb_acc g = a;

  /* had they stayed general: base 2700000, x 1100000, E 660000,
     hifmi = min(100000, 660000 - 600000) = 60000 */
  sb_result r =
      run(&p, SB_CAT_GENERAL, 1600000, &g, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 100000, 0);
  assert_int_equal(r.hifmi_pay, 60000);

  /* now min_living (tilted): T 800000, base 2700000, x 1900000,
     E = 1900000 x 0.65 = 1235000, E - paid = 635000,
     hifmi = min(b 100000, 635000) = 100000: never more than this b */
  r = run(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 100000, 0);
  assert_int_equal(r.hifmi_pay, 100000);
  assert_int_equal(a.ci_paid, 700000);
  /* base 3700000, x 2900000, E = 1885000, E - paid = 1185000, b 1000000 */
  r = run(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  assert_int_equal(r.hifmi_pay, 1000000);
  assert_int_equal(a.ci_paid, 1700000);
  /* base 4700000, x 3900000: 3000000 x 0.65 + 900000 x 0.70 = 1950000 + 630000
     = 2580000, E - paid = 2580000 - 1700000 = 880000 < b 1000000 */
  r = run(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0);
  assert_int_equal(r.hifmi_pay, 880000);
  assert_int_equal(a.ci_paid, 2580000); /* = E: caught up */
  assert_int_equal(a.ci_base, 4700000);
}

static void test_ci_never_negative(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  /* paid 500000 earlier (e.g. while tilted); now general:
     base 2100000, x 500000, E = 300000 < paid 500000 -> max(0, -200000) = 0 */
  sb_acc a = tier1_exhausted();
  a.ci_base = 2000000;
  a.ci_paid = 500000;
  sb_result r =
      run(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 100000, 0);
  assert_int_equal(r.hifmi_pay, 0);
  assert_int_equal(r.ci_fed, 100000); /* b still added to the base */
  assert_int_equal(a.ci_base, 2100000);
  assert_int_equal(a.ci_paid, 500000); /* nothing clawed back */
}

/* ---- §5.3 assistance ------------------------------------------------------ */

static void test_ma_only_categories_with_row(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  /* lifted has no assistance row */
  sb_result r =
      run(&p, SB_CAT_LIFTED, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_PRIMARY, 100000, 10000);
  assert_int_equal(r.maf_pay, 0);
  assert_int_equal(r.ma_fed, 0);
  assert_false(r.flags & SB_FED_MA);
  assert_int_equal(a.ma_base, 0);
  /* general neither */
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 100000, 0);
  assert_int_equal(r.maf_pay, 0);
  assert_false(r.flags & SB_FED_MA);
}

static void test_ma_only_listed_visit_types(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p); /* assistance for inpatient + chronic */
  sb_acc a = zero_acc();
  sb_result r =
      run(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 30000, 0);
  assert_int_equal(r.hifp_pay, 18000);
  assert_int_equal(r.maf_pay, 0); /* b3 would be 12000 x 0.70 if counted */
  assert_false(r.flags & SB_FED_MA);
  assert_int_equal(a.ma_base, 0);
}

static void test_ma_b3_ratio(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  sb_result r =
      run(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_PRIMARY, 100000, 10000);
  /* inscp 90000, dedc 20000, hifp (90000 - 20000) x 0.90 = 63000;
     b 27000 < T 800000: hifmi 0; b3 = 90000 - 63000 - 0 = 27000;
     E3 = min(27000 x 0.70, 10000000) = 18900; maf = min(27000, 18900) */
  assert_int_equal(r.hifp_pay, 63000);
  assert_int_equal(r.hifmi_pay, 0);
  assert_int_equal(r.ma_fed, 27000);
  assert_int_equal(r.maf_pay, 18900);
  assert_true(r.flags & SB_FED_MA);
  assert_int_equal(a.ma_base, 27000);
  assert_int_equal(a.ma_paid, 18900);
}

static void test_ma_deductible(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  /* near_poor: deductible 3200.00, ratio 0.60.  chronic 1000.00:
     hifp 70000, b 30000, base 30000 < T: hifmi 0, b3 30000 */
  sb_result r =
      settle(&p, SB_CAT_NEAR_POOR, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 100000, 0);
  assert_int_equal(r.ma_fed, 30000);
  assert_int_equal(r.maf_pay, 0); /* ma_base 30000 - 320000 < 0 -> E3 0 */
  a.ma_base = 300000;
  r = settle(&p, SB_CAT_NEAR_POOR, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 100000, 0);
  /* ma_base 330000, E3 = (330000 - 320000) x 0.60 = 6000 */
  assert_int_equal(r.maf_pay, 6000);
}

static void test_ma_cap(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.ma_base = 9990000;
  a.ma_paid = 9990000;
  /* destitute (ratio 1.00, cap 100000.00), chronic 1000.00: b3 = 30000 */
  sb_result r =
      settle(&p, SB_CAT_DESTITUTE, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 100000, 0);
  /* E3 = min(10020000 x 1.00, 10000000) = 10000000, maf = min(30000, 10000) */
  assert_int_equal(r.maf_pay, 10000);
  p.assistance[SB_CAT_DESTITUTE].annual_cap = SB_NO_CAP;
  r = settle(&p, SB_CAT_DESTITUTE, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 100000, 0);
  assert_int_equal(r.maf_pay, 30000); /* E3 10020000 - 9990000 = 30000 */
}

static void test_ma_entitlement_minus_paid(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.ma_base = 400000;
  a.ma_paid = 20000; /* less than E3 so far (80000 x 0.60 = 48000) */
  sb_result r =
      settle(&p, SB_CAT_NEAR_POOR, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 100000, 0);
  /* base 430000, E3 = 110000 x 0.60 = 66000; min(b3 30000, 66000 - 20000) */
  assert_int_equal(r.maf_pay, 30000);
  a.ma_paid = 48000;
  r = settle(&p, SB_CAT_NEAR_POOR, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 100000, 0);
  assert_int_equal(r.maf_pay, 18000); /* 66000 - 48000 */
  a.ma_paid = 70000;
  r = settle(&p, SB_CAT_NEAR_POOR, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 100000, 0);
  assert_int_equal(r.maf_pay, 0); /* max(0, 66000 - 70000) */
}

static void test_ma_claims_without_row_do_not_feed_base(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  /* general (no row): chronic 1000.00, b3 would be 30000 */
  sb_result r = run(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 100000, 0);
  assert_int_equal(r.ma_fed, 0);
  assert_false(r.flags & SB_FED_MA);
  assert_int_equal(a.ma_base, 0);
  assert_int_equal(a.ci_base, 30000); /* tier 2 did count it */
  /* now min_living: hifp 70000, b 30000, base 60000 < T 800000: hifmi 0;
     b3 30000, ma_base 0 + 30000, E3 = 30000 x 0.70 = 21000.
     (Had the general claim fed the base: 60000 x 0.70 = 42000 -> 30000.) */
  r = run(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 100000, 0);
  assert_int_equal(r.maf_pay, 21000);
  assert_int_equal(a.ma_base, 30000);
  assert_int_equal(a.ma_paid, 21000);
}

/* ---- §5.4 totals ----------------------------------------------------------- */

static void test_totals(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  sb_result r = settle_t(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE2,
                         1000000, 50000, 30000, 20000, NULL);
  assert_int_equal(r.inscp_scp_amt, 900000); /* 1000000 - 50000 - 30000 - 20000 */
  assert_int_equal(r.act_pay_dedc, 80000);
  assert_int_equal(r.hifp_pay, 615000);        /* (900000 - 80000) x 0.75 */
  assert_int_equal(r.hifmi_pay, 0);            /* b 285000 < T 800000 */
  assert_int_equal(r.maf_pay, 199500);         /* 285000 x 0.70 */
  assert_int_equal(r.fund_pay_sumamt, 814500); /* 615000 + 0 + 199500 */
  /* 1000000 - 814500 = 185500 = 100000 out of scope + 85500 in scope */
  assert_int_equal(r.psn_part_amt, 185500);
  assert_int_equal(r.fund_pay_sumamt + r.psn_part_amt, r.medfee_sumamt);
  assert_int_equal(r.medfee_sumamt, 1000000);
  assert_int_equal(r.fulamt_ownpay_amt, 50000);
  assert_int_equal(r.overlmt_selfpay, 30000);
  assert_int_equal(r.preselfpay_amt, 20000);
  assert_int_equal(r.category, SB_CAT_MIN_LIVING);
  sb_acc_apply(&a, &r, +1);
  assert_int_equal(a.psn_ytd, 185500);
}

/* ---- hand checks of examples/README.md ------------------------------------ */

static void test_example_a2_01(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  sb_fen T;
  assert_int_equal(sb_policy_ci_deductible(&p, 430225, &T), 0);
  assert_int_equal(T, 1600000); /* 430225: no county or 430200 row -> default 16000 */
  /* A2 (min_living), provincial, 200000.00 */
  sb_result r =
      settle(&p, SB_CAT_MIN_LIVING, T, &a, SB_VISIT_INPATIENT, SB_LEVEL_PROVINCIAL, 20000000, 0);
  assert_int_equal(r.act_pay_dedc, 200000); /* 2000.00 */
  assert_int_equal(r.hifp_pay, 11880000);   /* (200000 - 2000) x 0.60 = 118800.00 */
  /* base 81200.00, T 8000.00, x 73200.00:
     30000 x 0.65 + 43200 x 0.70 = 19500 + 30240 = 49740.00 */
  assert_int_equal(r.hifmi_pay, 4974000);
  assert_int_equal(r.maf_pay, 2202200); /* (200000 - 118800 - 49740) x 0.70 = 22022.00 */
  assert_int_equal(r.fund_pay_sumamt, 19056200);
  assert_int_equal(r.psn_part_amt, 943800); /* 9438.00 */
}

static void test_example_e1_03(void **state) {
  (void)state;
  sb_policy p;
  edges_policy(&p);
  sb_acc a = zero_acc();
  sb_fen T;
  assert_int_equal(sb_policy_ci_deductible(&p, 430521, &T), 0);
  assert_int_equal(T, 100000); /* prefecture 430500: 1000.00 */
  /* E1-01 general, outpatient primary 1000.00: hifp 600.00, b 400.00 (CI
     counts outpatient here), base 400 < 1000: hifmi 0 */
  sb_result r = run(&p, SB_CAT_GENERAL, T, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 100000, 0);
  assert_int_equal(r.hifp_pay, 60000);
  assert_int_equal(r.hifmi_pay, 0);
  /* E1-02 general, inpatient grade1 3000.00: dedc 500, hifp 2500 x 0.80 = 2000,
     b 1000, base 1400, x 400 x 0.60 = 240 */
  r = run(&p, SB_CAT_GENERAL, T, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE1, 300000, 0);
  assert_int_equal(r.act_pay_dedc, 50000);
  assert_int_equal(r.hifp_pay, 200000);
  assert_int_equal(r.hifmi_pay, 24000);
  /* E1-03 near_poor, inpatient grade1 2500.50 */
  r = run(&p, SB_CAT_NEAR_POOR, T, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE1, 250050, 0);
  assert_int_equal(r.act_pay_dedc, 25000); /* repeat stay: 500 x 0.50 = 250.00 */
  assert_int_equal(r.hifp_pay, 180040);    /* (2500.50 - 250) x 0.80 = 1800.40 */
  /* base 400 + 1000 + 700.10 = 2100.10, x 1100.10 x 0.60 = 660.06, minus 240 */
  assert_int_equal(r.hifmi_pay, 42006);
  /* assistance starts with this claim: (700.10 - 420.06 - 100) x 0.50 = 90.02 */
  assert_int_equal(r.maf_pay, 9002);
  assert_int_equal(r.fund_pay_sumamt, 231048); /* 1800.40 + 420.06 + 90.02 */
  assert_int_equal(r.psn_part_amt, 19002);     /* 2500.50 - 2310.48 */
}

/* ---- §7 region lookup -------------------------------------------------------- */

static void test_region_lookup(void **state) {
  (void)state;
  sb_region regions[] = {{-1, 1600000}, {430500, 1100000}, {430521, 900000}};
  sb_policy p;
  hunan_policy(&p);
  p.regions = regions;
  p.n_regions = 3;
  sb_fen T = -7;
  assert_int_equal(sb_policy_ci_deductible(&p, 430521, &T), 0);
  assert_int_equal(T, 900000); /* the county's own row */
  assert_int_equal(sb_policy_ci_deductible(&p, 430522, &T), 0);
  assert_int_equal(T, 1100000); /* prefecture 430500 */
  assert_int_equal(sb_policy_ci_deductible(&p, 430225, &T), 0);
  assert_int_equal(T, 1600000); /* default */
  p.regions = regions + 1;      /* no default row */
  p.n_regions = 2;
  assert_int_equal(sb_policy_ci_deductible(&p, 430225, &T), -1);
}

/* ---- §6 accumulators and reversal rows ------------------------------------ */

static void check_round_trip(const sb_acc *before, const sb_result *r) {
  sb_acc a = *before;
  sb_acc_apply(&a, r, +1);
  /* what a settlement adds (§5) */
  assert_int_equal(a.ci_base, before->ci_base + r->ci_fed);
  assert_int_equal(a.ci_paid, before->ci_paid + r->hifmi_pay);
  assert_int_equal(a.ma_base, before->ma_base + r->ma_fed);
  assert_int_equal(a.ma_paid, before->ma_paid + r->maf_pay);
  assert_int_equal(a.psn_ytd, before->psn_ytd + r->psn_part_amt);
  assert_int_equal(a.alerted, before->alerted); /* flags are not touched */
  sb_acc_apply(&a, r, -1);
  assert_memory_equal(&a, before, sizeof a);
}

static void test_acc_apply_round_trip(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a;
  memset(&a, 0, sizeof a);
  a.admissions[SB_LEVEL_GRADE2] = 2;
  a.alerted = 1;
  a.dedc_ytd = 123456;
  a.basic_ytd = 2345678;
  a.chronic_ytd = 4567;
  a.outpatient_ytd = 5678;
  a.ci_base = 3000000;
  a.ci_paid = 1430000; /* = E so far: T 800000, x 2200000 x 0.65 */
  a.ma_base = 700000;
  a.ma_paid = 300000;
  a.psn_ytd = 999999;

  sb_result r = settle(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE2,
                       5000000, 12345);
  sb_acc b = a;
  sb_acc_apply(&b, &r, +1);
  assert_int_equal(b.admissions[SB_LEVEL_GRADE2], 3);
  assert_int_equal(b.dedc_ytd, a.dedc_ytd + r.act_pay_dedc);
  assert_int_equal(b.basic_ytd, a.basic_ytd + r.hifp_pay);
  assert_int_equal(b.chronic_ytd, a.chronic_ytd);
  assert_int_equal(b.outpatient_ytd, a.outpatient_ytd);
  assert_true(r.hifmi_pay > 0 && r.maf_pay > 0); /* every tier moved */
  check_round_trip(&a, &r);

  r = settle(&p, SB_CAT_DESTITUTE, 1600000, &a, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 300000, 0);
  b = a;
  sb_acc_apply(&b, &r, +1);
  assert_int_equal(b.chronic_ytd, a.chronic_ytd + r.hifp_pay);
  assert_int_equal(b.basic_ytd, a.basic_ytd + r.hifp_pay);
  assert_memory_equal(b.admissions, a.admissions, sizeof a.admissions);
  check_round_trip(&a, &r);

  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 30000, 0);
  b = a;
  sb_acc_apply(&b, &r, +1);
  assert_int_equal(b.outpatient_ytd, a.outpatient_ytd + 18000);
  assert_int_equal(b.basic_ytd, a.basic_ytd);
  check_round_trip(&a, &r);

  /* an inpatient stay with inscp 0 still adds and removes one admission */
  r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_PRIMARY, 5000, 5000);
  b = a;
  sb_acc_apply(&b, &r, +1);
  assert_int_equal(b.admissions[SB_LEVEL_PRIMARY], 1);
  check_round_trip(&a, &r);
}

static void test_result_negate(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  sb_result o = settle_t(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_INPATIENT,
                         SB_LEVEL_PROVINCIAL, 20000000, 100000, 20000, 30000, NULL);
  sb_result n;
  sb_result_negate(&o, &n);
  assert_int_equal(n.medfee_sumamt, -o.medfee_sumamt);
  assert_int_equal(n.medfee_sumamt, -20000000);
  assert_int_equal(n.fulamt_ownpay_amt, -100000);
  assert_int_equal(n.overlmt_selfpay, -20000);
  assert_int_equal(n.preselfpay_amt, -30000);
  assert_int_equal(n.inscp_scp_amt, -o.inscp_scp_amt);
  assert_int_equal(n.act_pay_dedc, -o.act_pay_dedc);
  assert_int_equal(n.hifp_pay, -o.hifp_pay);
  assert_int_equal(n.hifmi_pay, -o.hifmi_pay);
  assert_int_equal(n.maf_pay, -o.maf_pay);
  assert_int_equal(n.fund_pay_sumamt, -o.fund_pay_sumamt);
  assert_int_equal(n.psn_part_amt, -o.psn_part_amt);
  assert_true(o.hifp_pay > 0 && o.hifmi_pay > 0 && o.maf_pay > 0);
  assert_int_equal(n.category, SB_CAT_MIN_LIVING);
  assert_int_equal(n.visit, SB_VISIT_INPATIENT);
  assert_int_equal(n.level, SB_LEVEL_PROVINCIAL);
  /* a zero stays zero */
  sb_result z =
      settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_GRADE3, 100, 0);
  sb_result_negate(&z, &n);
  assert_int_equal(n.hifp_pay, 0);
  assert_int_equal(n.act_pay_dedc, 0);
  assert_int_equal(n.psn_part_amt, -100);
  assert_int_equal(n.visit, SB_VISIT_OUTPATIENT);
  assert_int_equal(n.level, SB_LEVEL_GRADE3);
}

/* ---- §5.4 monitoring --------------------------------------------------------- */

static void test_alerts_threshold_and_category(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.psn_ytd = 914749; /* one fen below 9147.50 */
  assert_int_equal(sb_alerts_due(&p, SB_CAT_LIFTED, &a), 0);
  a.psn_ytd = 914750; /* equal fires */
  assert_int_equal(sb_alerts_due(&p, SB_CAT_LIFTED, &a), 1u);
  assert_int_equal(sb_alerts_due(&p, SB_CAT_MONITORED, &a), 1u);
  /* general is not in rule 0, and below rule 1's 18295.00 */
  assert_int_equal(sb_alerts_due(&p, SB_CAT_GENERAL, &a), 0);
  a.psn_ytd = 1829500;
  assert_int_equal(sb_alerts_due(&p, SB_CAT_GENERAL, &a), 2u);
  /* a category in no rule never fires */
  a.psn_ytd = INT64_C(1000000000000);
  assert_int_equal(sb_alerts_due(&p, SB_CAT_DESTITUTE, &a), 0);
}

static void test_alerts_not_twice(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  a.psn_ytd = 2000000;
  assert_int_equal(sb_alerts_due(&p, SB_CAT_LIFTED, &a), 1u);
  a.alerted = 1u; /* rule 0 already fired this year */
  assert_int_equal(sb_alerts_due(&p, SB_CAT_LIFTED, &a), 0);
  a.alerted = 2u; /* another rule's bit does not stop rule 0 */
  assert_int_equal(sb_alerts_due(&p, SB_CAT_LIFTED, &a), 1u);
}

static void test_alerts_several_rules(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  p.n_rules = 3;
  p.rules[0] = (sb_monitor_rule){RULE_ALL, ALL_CATS, 10000};
  p.rules[1] = (sb_monitor_rule){RULE_PAIR, CAT(SB_CAT_GENERAL) | CAT(SB_CAT_LIFTED), 5000};
  p.rules[2] = (sb_monitor_rule){RULE_MON, CAT(SB_CAT_MONITORED), 1};
  sb_acc a = zero_acc();
  a.psn_ytd = 10000;
  assert_int_equal(sb_alerts_due(&p, SB_CAT_GENERAL, &a), 3u);   /* rules 0 and 1 */
  assert_int_equal(sb_alerts_due(&p, SB_CAT_MONITORED, &a), 5u); /* rules 0 and 2 */
  a.psn_ytd = 9999;
  assert_int_equal(sb_alerts_due(&p, SB_CAT_GENERAL, &a), 2u); /* only rule 1 (5000) */
  a.psn_ytd = 10000;
  a.alerted = 1u;
  assert_int_equal(sb_alerts_due(&p, SB_CAT_GENERAL, &a), 2u);
  a.alerted = 3u;
  assert_int_equal(sb_alerts_due(&p, SB_CAT_GENERAL, &a), 0);
}

/* ---- §9 premiums ----------------------------------------------------------------- */

static void test_premium_subsidy(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  p.premium_individual = 32001; /* 320.01 */
  p.subsidy[SB_CAT_RELAPSED] = 3333;
  sb_premium m;
  sb_premium_of(&p, SB_CAT_MIN_LIVING, &m);
  assert_int_equal(m.premium, 32001);
  assert_int_equal(m.subsidy, 16001); /* 32001 x 0.50 = 16000.5 -> 16001 */
  assert_int_equal(m.personal, 16000);
  sb_premium_of(&p, SB_CAT_DESTITUTE, &m);
  assert_int_equal(m.subsidy, 32001); /* x 1.00 */
  assert_int_equal(m.personal, 0);
  sb_premium_of(&p, SB_CAT_RELAPSED, &m);
  assert_int_equal(m.subsidy, 10666); /* 32001 x 0.3333 = 10665.9333 -> 10666 */
  assert_int_equal(m.personal, 21335);
  sb_premium_of(&p, SB_CAT_GENERAL, &m); /* no entry */
  assert_int_equal(m.premium, 32001);
  assert_int_equal(m.subsidy, 0);
  assert_int_equal(m.personal, 32001);
  sb_premium_of(&p, SB_CAT_LIFTED, &m); /* no entry */
  assert_int_equal(m.subsidy, 0);
}

/* ---- traces ----------------------------------------------------------------------- */

typedef struct scenario {
  int cat;
  sb_fen T;
  int visit, level;
  sb_fen medfee, fulamt;
  int repeat;       /* admissions at the level before */
  sb_fen basic_ytd; /* before */
} scenario;

static void test_trace_does_not_change_result(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  static const scenario S[] = {
      {SB_CAT_MIN_LIVING, 1600000, SB_VISIT_INPATIENT, SB_LEVEL_PROVINCIAL, 20000000, 0, 0, 0},
      {SB_CAT_GENERAL, 1100000, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 2000000, 0, 1, 0},
      {SB_CAT_GENERAL, 1600000, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0, 0, 14900000},
      {SB_CAT_DESTITUTE, 1600000, SB_VISIT_CHRONIC, SB_LEVEL_PRIMARY, 900000, 1000, 0, 0},
      {SB_CAT_NEAR_POOR, 1600000, SB_VISIT_OUTPATIENT, SB_LEVEL_GRADE1, 5000, 0, 0, 0},
      {SB_CAT_LIFTED, 1600000, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 200000, 100, 0, 0},
  };
  for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
    sb_acc a = zero_acc();
    a.admissions[S[i].level] = S[i].repeat;
    a.basic_ytd = S[i].basic_ytd;
    a.ci_base = 2000000;
    a.ci_paid = 100000;
    sb_trace t;
    t.n = 0;
    sb_result r0 = settle_t(&p, S[i].cat, S[i].T, &a, S[i].visit, S[i].level, S[i].medfee,
                            S[i].fulamt, 0, 0, NULL);
    sb_result r1 = settle_t(&p, S[i].cat, S[i].T, &a, S[i].visit, S[i].level, S[i].medfee,
                            S[i].fulamt, 0, 0, &t);
    assert_result_equal(&r0, &r1);
    assert_true(t.n > 2);
    assert_int_equal(t.steps[0].code, SB_STEP_INSCP);
    assert_int_equal(t.steps[t.n - 1].code, SB_STEP_TOTALS);
    assert_int_equal(t.steps[t.n - 1].v[0], r1.fund_pay_sumamt);
    assert_int_equal(t.steps[t.n - 1].v[1], r1.psn_part_amt);
    assert_int_equal(count_steps(&t, SB_STEP_HIFP), 1);
  }
}

static void test_trace_repeat_step(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  sb_trace t;
  t.n = 0;
  settle_t(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 2000000, 0, 0, 0,
           &t);
  assert_int_equal(count_steps(&t, SB_STEP_DEDUCTIBLE), 1);
  assert_int_equal(count_steps(&t, SB_STEP_DEDC_REPEAT), 0); /* first stay */
  a.admissions[SB_LEVEL_GRADE2] = 1;                         /* another level */
  t.n = 0;
  settle_t(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 2000000, 0, 0, 0,
           &t);
  assert_int_equal(count_steps(&t, SB_STEP_DEDC_REPEAT), 0);
  a.admissions[SB_LEVEL_GRADE3] = 1;
  t.n = 0;
  settle_t(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 2000000, 0, 0, 0,
           &t);
  const sb_trace_step *s = find_step(&t, SB_STEP_DEDC_REPEAT);
  assert_non_null(s);
  assert_int_equal(s->v[0], 120000);                          /* before */
  assert_int_equal(s->v[1], 5000);                            /* factor */
  assert_int_equal(s->v[2], 60000);                           /* after */
  assert_int_equal(count_steps(&t, SB_STEP_DEDC_YEARCAP), 0); /* 60000 < 300000 left */
  a.dedc_ytd = 280000;
  t.n = 0;
  settle_t(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 2000000, 0, 0, 0,
           &t);
  s = find_step(&t, SB_STEP_DEDC_YEARCAP);
  assert_non_null(s);
  assert_int_equal(s->v[3], 20000); /* 300000 - 280000 */
}

static void test_trace_cap_step_only_when_binding(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  sb_trace t;
  t.n = 0;
  settle_t(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0, 0, 0,
           &t);
  assert_int_equal(count_steps(&t, SB_STEP_HIFP_CAP), 0);
  a.basic_ytd = 14472000; /* left 528000: equal to the product, does not bind */
  t.n = 0;
  settle_t(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 1000000, 0, 0, 0,
           &t);
  assert_int_equal(count_steps(&t, SB_STEP_HIFP_CAP), 0);
  a.basic_ytd = 14900000;
  t.n = 0;
  sb_result r = settle_t(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_GRADE3,
                         1000000, 0, 0, 0, &t);
  assert_int_equal(r.hifp_pay, 100000);
  const sb_trace_step *s = find_step(&t, SB_STEP_HIFP_CAP);
  assert_non_null(s);
  assert_int_equal(s->v[0], 528000);   /* product */
  assert_int_equal(s->v[1], 15000000); /* cap */
  assert_int_equal(s->v[2], 14900000); /* used */
  assert_int_equal(s->v[3], 100000);   /* paid */
  /* outpatient cap */
  a = zero_acc();
  a.outpatient_ytd = 70000;
  t.n = 0;
  settle_t(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 30000, 0, 0, 0,
           &t);
  assert_int_equal(count_steps(&t, SB_STEP_HIFP_CAP), 1);
}

static void test_trace_skip_steps(void **state) {
  (void)state;
  sb_policy p;
  hunan_policy(&p);
  sb_acc a = zero_acc();
  sb_trace t;
  t.n = 0;
  /* general outpatient grade3: no outpatient row, not counted by CI, no MA row */
  settle_t(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_GRADE3, 30000, 0, 0, 0,
           &t);
  assert_int_equal(count_steps(&t, SB_STEP_OUTPATIENT_NOROW), 1);
  assert_int_equal(count_steps(&t, SB_STEP_CI_SKIP), 1);
  assert_int_equal(count_steps(&t, SB_STEP_CI_BASE), 0);
  const sb_trace_step *s = find_step(&t, SB_STEP_MA_SKIP);
  assert_non_null(s);
  assert_int_equal(s->v[0], 1); /* the category has no row */
  /* min_living outpatient primary: a row exists, visit not listed */
  t.n = 0;
  settle_t(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 30000, 0, 0,
           0, &t);
  assert_int_equal(count_steps(&t, SB_STEP_OUTPATIENT_NOROW), 0);
  s = find_step(&t, SB_STEP_MA_SKIP);
  assert_non_null(s);
  assert_int_equal(s->v[0], 2);
  /* min_living inpatient: every tier computed, nothing skipped */
  t.n = 0;
  settle_t(&p, SB_CAT_MIN_LIVING, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_PROVINCIAL, 20000000, 0,
           0, 0, &t);
  assert_int_equal(count_steps(&t, SB_STEP_CI_SKIP), 0);
  assert_int_equal(count_steps(&t, SB_STEP_MA_SKIP), 0);
  assert_int_equal(count_steps(&t, SB_STEP_CI_SEGMENT), 2); /* x 7320000 spans two segments */
  s = find_step(&t, SB_STEP_CI_PAY);
  assert_non_null(s);
  assert_int_equal(s->v[3], 4974000);
  s = find_step(&t, SB_STEP_MA_PAY);
  assert_non_null(s);
  assert_int_equal(s->v[3], 2202200);
}

/* ---- large amounts ---------------------------------------------------------------- */

static void large_policy(sb_policy *p) {
  hunan_policy(p);
  p->inpatient[SB_LEVEL_PRIMARY].ratio = 9999;
  p->basic_annual_cap = SB_NO_CAP;
  p->annual_deductible_cap = SB_NO_CAP;
  p->ci_annual_cap = SB_NO_CAP;
  p->assistance[SB_CAT_DESTITUTE].annual_cap = SB_NO_CAP;
}

static void test_large_amounts(void **state) {
  (void)state;
  sb_policy p;
  large_policy(&p);
  sb_acc a = zero_acc();
  const sb_fen M = SB_MONEY_MAX; /* 10,000,000,000.00 yuan */
  sb_result r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_PRIMARY, M, 0);
  assert_int_equal(r.inscp_scp_amt, M);
  assert_int_equal(r.act_pay_dedc, 20000);
  /* (10^12 - 20000) x 0.9999 = 999999980000 x 9999 / 10000
     = 9998999800020000 / 10000 = 999899980002 exactly */
  assert_int_equal(r.hifp_pay, INT64_C(999899980002));
  assert_int_equal(r.ci_fed, INT64_C(100019998)); /* b = 10^12 - 999899980002 */
  /* x = 100019998 - 1600000 = 98419998:
     1800000 + 3250000 + 5250000 + 83419998 x 0.85 (70906998.3) = 81206998.3 -> 81206998 */
  assert_int_equal(r.hifmi_pay, INT64_C(81206998));
  assert_int_equal(r.psn_part_amt, INT64_C(18813000)); /* 10^12 - 999899980002 - 81206998 */
  assert_int_equal(r.fund_pay_sumamt + r.psn_part_amt, M);
}

static void test_large_accumulators_need_128_bits(void **state) {
  (void)state;
  sb_policy p;
  large_policy(&p);
  /* 9000 claims of the largest amount before: ci_base 9 x 10^15 fen.
     x x 8500 is then about 7.65 x 10^19, beyond int64. */
  sb_acc a = zero_acc();
  a.ci_base = INT64_C(9000000000000000);
  /* paid so far = E(x = 9e15 - 1600000):
     10300000 + (9e15 - 16600000) x 0.85 = 10300000 + 7649999985890000 = 7649999996190000 */
  a.ci_paid = INT64_C(7649999996190000);
  sb_result r = settle(&p, SB_CAT_GENERAL, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_PRIMARY,
                       SB_MONEY_MAX, 0);
  /* base + b = 9000000100019998, x = 9000000098419998:
     10300000 + 9000000083419998 x 0.85 (7650000070906998.3) = 7650000081206998;
     minus paid = 85016998 < b 100019998 */
  assert_int_equal(r.hifmi_pay, INT64_C(85016998));

  /* destitute, assistance ratio 1.00 with no cap on ma_base 9 x 10^15:
     mul(9e15 + b3, 10000) is about 9 x 10^19, beyond int64 */
  a.ma_base = INT64_C(9000000000000000);
  a.ma_paid = INT64_C(9000000000000000);
  /* tilted: T 800000, rates .65/.70/.80/.90; paid = E(9e15 - 800000)
     = 1950000 + 3500000 + 5600000 + (9e15 - 15800000) x 0.90 = 8099999996830000 */
  a.ci_paid = INT64_C(8099999996830000);
  r = settle(&p, SB_CAT_DESTITUTE, 1600000, &a, SB_VISIT_INPATIENT, SB_LEVEL_PRIMARY, SB_MONEY_MAX,
             0);
  /* x = 9e15 + 100019998 - 800000 = 9000000099219998:
     11050000 + 9000000084219998 x 0.9 (8100000075797998.2) = 8100000086847998
     hifmi = 8100000086847998 - 8099999996830000 = 90017998 */
  assert_int_equal(r.hifmi_pay, INT64_C(90017998));
  /* b3 = 100019998 - 90017998 = 10002000; E3 = 9e15 + 10002000; maf = 10002000 */
  assert_int_equal(r.maf_pay, INT64_C(10002000));
  assert_int_equal(r.psn_part_amt, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mul_half_up),
      cmocka_unit_test(test_inpatient_level_deductible),
      cmocka_unit_test(test_inpatient_repeat_same_level),
      cmocka_unit_test(test_inpatient_repeat_factor_rounds_half_up),
      cmocka_unit_test(test_inpatient_repeat_other_level_full_deductible),
      cmocka_unit_test(test_inpatient_deductible_year_cap_partial),
      cmocka_unit_test(test_inpatient_deductible_year_cap_after_repeat),
      cmocka_unit_test(test_inpatient_deductible_year_cap_exhausted),
      cmocka_unit_test(test_inpatient_dedc_limited_by_inscp),
      cmocka_unit_test(test_inpatient_inscp_zero_counts_as_admission),
      cmocka_unit_test(test_inpatient_level_ratios),
      cmocka_unit_test(test_inpatient_ratio_rounding),
      cmocka_unit_test(test_inpatient_basic_cap_partial),
      cmocka_unit_test(test_inpatient_basic_cap_exhausted),
      cmocka_unit_test(test_inpatient_no_caps),
      cmocka_unit_test(test_chronic_ratio_no_deductible),
      cmocka_unit_test(test_chronic_cap),
      cmocka_unit_test(test_chronic_shares_basic_cap),
      cmocka_unit_test(test_chronic_no_caps),
      cmocka_unit_test(test_outpatient_level_ratio),
      cmocka_unit_test(test_outpatient_level_without_row),
      cmocka_unit_test(test_outpatient_cap),
      cmocka_unit_test(test_outpatient_ignores_basic_cap),
      cmocka_unit_test(test_ci_only_listed_visit_types),
      cmocka_unit_test(test_ci_base_is_cumulative_burden_after_basic),
      cmocka_unit_test(test_ci_region_deductible),
      cmocka_unit_test(test_ci_below_deductible),
      cmocka_unit_test(test_ci_tilted_deductible_rounds_half_up),
      cmocka_unit_test(test_ci_tilted_rate_capped_at_one),
      cmocka_unit_test(test_ci_tilted_uncapped_vs_capped),
      cmocka_unit_test(test_ci_segments_apply_to_x),
      cmocka_unit_test(test_ci_segment_bound_inclusive),
      cmocka_unit_test(test_ci_seg_rounded_once),
      cmocka_unit_test(test_ci_annual_cap),
      cmocka_unit_test(test_ci_catch_up_after_category_change),
      cmocka_unit_test(test_ci_never_negative),
      cmocka_unit_test(test_ma_only_categories_with_row),
      cmocka_unit_test(test_ma_only_listed_visit_types),
      cmocka_unit_test(test_ma_b3_ratio),
      cmocka_unit_test(test_ma_deductible),
      cmocka_unit_test(test_ma_cap),
      cmocka_unit_test(test_ma_entitlement_minus_paid),
      cmocka_unit_test(test_ma_claims_without_row_do_not_feed_base),
      cmocka_unit_test(test_totals),
      cmocka_unit_test(test_example_a2_01),
      cmocka_unit_test(test_example_e1_03),
      cmocka_unit_test(test_region_lookup),
      cmocka_unit_test(test_acc_apply_round_trip),
      cmocka_unit_test(test_result_negate),
      cmocka_unit_test(test_alerts_threshold_and_category),
      cmocka_unit_test(test_alerts_not_twice),
      cmocka_unit_test(test_alerts_several_rules),
      cmocka_unit_test(test_premium_subsidy),
      cmocka_unit_test(test_trace_does_not_change_result),
      cmocka_unit_test(test_trace_repeat_step),
      cmocka_unit_test(test_trace_cap_step_only_when_binding),
      cmocka_unit_test(test_trace_skip_steps),
      cmocka_unit_test(test_large_amounts),
      cmocka_unit_test(test_large_accumulators_need_128_bits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
