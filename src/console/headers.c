/*
** sanbao console — Chinese CSV headers (see headers.h).
*/
#include "console/headers.h"

#include <string.h>

static const char *const ZH[][2] = {
    {"claim_id", "结算编号"},
    {"person_id", "个人编号"},
    {"household_id", "家庭编号"},
    {"date", "日期"},
    {"status", "状态"},
    {"reason", "拒付原因"},
    {"category", "人员类别"},
    {"medfee_sumamt", "医疗费总额"},
    {"fulamt_ownpay_amt", "全自费金额"},
    {"overlmt_selfpay", "超限价自费"},
    {"preselfpay_amt", "先行自付"},
    {"inscp_scp_amt", "符合政策范围金额"},
    {"act_pay_dedc", "起付线"},
    {"hifp_pay", "统筹基金支付"},
    {"hifmi_pay", "大病保险支付"},
    {"maf_pay", "医疗救助支付"},
    {"fund_pay_sumamt", "基金支付总额"},
    {"psn_part_amt", "个人负担"},
    {"reassist_pay", "再救助支付"},
    {"rule", "预警规则"},
    {"psn_ytd", "年度个人负担"},
    {"threshold", "预警阈值"},
    {"feedetl_sn", "费用明细流水号"},
    {"med_list_codg", "医保目录编码"},
    {"chrgitm_lv", "收费项目等级"},
    {"det_item_fee_sumamt", "明细项目费用总额"},
    {"overlmt_amt", "超限价金额"},
    {"kind", "记录类型"},
    {"year", "年度"},
    {"reverses", "冲销原结算"},
    {"basic_cap_left", "基本医保封顶余额"},
    {"ci_dedc_left", "大病起付线剩余"},
    {"ci_cap_left", "大病封顶余额"},
    {"ma_cap_left", "救助封顶余额"},
};

const char *sb_csv_column_zh(const char *name, size_t n) {
  for (size_t i = 0; i < sizeof ZH / sizeof ZH[0]; i++)
    if (strlen(ZH[i][0]) == n && !memcmp(ZH[i][0], name, n)) return ZH[i][1];
  return NULL;
}

int sb_csv_zh_header(sb_buf *b) {
  sb_buf out = {0};
  const char *p = b->p ? b->p : "";
  size_t end = 0;
  while (end < b->len && p[end] != '\n' && p[end] != '\r')
    end++;
  int e = sb_buf_put(&out, "\xEF\xBB\xBF", 3);
  /* the header's names are plain identifiers: no quoting to undo */
  for (size_t i = 0; i < end;) {
    size_t k = i;
    while (k < end && p[k] != ',')
      k++;
    const char *zh = sb_csv_column_zh(p + i, k - i);
    e |= zh ? sb_buf_put(&out, zh, strlen(zh)) : sb_buf_put(&out, p + i, k - i);
    if (k < end) e |= sb_buf_put(&out, ",", 1);
    i = k + 1;
  }
  e |= sb_buf_put(&out, p + end, b->len - end);
  if (e) {
    sb_buf_free(&out);
    return -1;
  }
  sb_buf_free(b);
  *b = out;
  return 0;
}
