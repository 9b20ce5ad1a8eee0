/*
** Shared by the unit tests that compare settlements: every field of two
** sb_result, one cmocka assertion each (so a failure names the field).
** Include after <cmocka.h>.
*/
#ifndef SANBAO_TEST_ASSERT_RESULT_H
#define SANBAO_TEST_ASSERT_RESULT_H

#include "sanbao/settle.h"

static void assert_result_equal(const sb_result *a, const sb_result *b) {
  assert_int_equal(a->medfee_sumamt, b->medfee_sumamt);
  assert_int_equal(a->fulamt_ownpay_amt, b->fulamt_ownpay_amt);
  assert_int_equal(a->overlmt_selfpay, b->overlmt_selfpay);
  assert_int_equal(a->preselfpay_amt, b->preselfpay_amt);
  assert_int_equal(a->inscp_scp_amt, b->inscp_scp_amt);
  assert_int_equal(a->act_pay_dedc, b->act_pay_dedc);
  assert_int_equal(a->hifp_pay, b->hifp_pay);
  assert_int_equal(a->hifmi_pay, b->hifmi_pay);
  assert_int_equal(a->maf_pay, b->maf_pay);
  assert_int_equal(a->fund_pay_sumamt, b->fund_pay_sumamt);
  assert_int_equal(a->psn_part_amt, b->psn_part_amt);
  assert_int_equal(a->ci_fed, b->ci_fed);
  assert_int_equal(a->ma_fed, b->ma_fed);
  assert_int_equal(a->category, b->category);
  assert_int_equal(a->visit, b->visit);
  assert_int_equal(a->level, b->level);
  assert_int_equal(a->flags, b->flags);
}

#endif
