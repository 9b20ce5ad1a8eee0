/*
** sanbao adapters — a trace in plain words (see explain.h).
**
** The core records numbers; this file owns every sentence.  Each line says
** what was computed, from which parameter, with the arithmetic written out
** so that a clerk can redo it on paper: "(28000.00 − 1200.00) × 0.60 =
** 16080.00".  Chinese terms stand beside the English ones, as they appear
** on a 结算单.
*/
#include "batch/explain.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct out {
  sb_buf *b;
  int err;
} out;

static void say(out *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (sb_buf_vprintf(o->b, fmt, ap)) o->err = 1;
  va_end(ap);
}

/* Small rotating buffers so several amounts can go into one printf. */
static const char *Y(int64_t v) {
  static _Thread_local char buf[8][SB_MONEY_BUFSZ];
  static _Thread_local int k;
  k = (k + 1) % 8;
  sb_money_format(v, buf[k]);
  return buf[k];
}
/* A ratio as a percentage: 6500 -> "65%", 6550 -> "65.5%", 5 -> "0.05%". */
static const char *R(int64_t bp) {
  static _Thread_local char buf[8][48];
  static _Thread_local int k;
  k = (k + 1) % 8;
  long whole = (long)(bp / 100), frac = (long)(bp % 100);
  if (frac == 0)
    snprintf(buf[k], sizeof buf[k], "%ld%%", whole);
  else if (frac % 10 == 0)
    snprintf(buf[k], sizeof buf[k], "%ld.%ld%%", whole, frac / 10);
  else
    snprintf(buf[k], sizeof buf[k], "%ld.%02ld%%", whole, frac);
  return buf[k];
}

int sb_explain_render(const sb_explain_ctx *x, const sb_trace *t, const sb_result *r, sb_buf *b) {
  out o = {b, 0};
  char date[SB_DATE_BUFSZ];
  sb_date_format(x->date, date);
  const sb_policy *p = x->policy;
  say(&o, "Claim %.*s — person %.*s, %s, %s (%s) at a %s (%s) institution\n", (int)x->claim_id_len,
      x->claim_id, (int)x->person_id_len, x->person_id, date, sb_visit_name(r->visit),
      sb_visit_zh(r->visit), sb_level_name(r->level), sb_level_zh(r->level));
  say(&o, "  category on that date: %s (%s); county %06d; policy year %d%s%s\n",
      sb_category_name(r->category), sb_category_zh(r->category), (int)x->region, p->year,
      p->name ? ", " : "", p->name ? p->name : "");

  for (int i = 0; i < t->n; i++) {
    const int64_t *v = t->steps[i].v;
    switch (t->steps[i].code) {
    case SB_STEP_INSCP:
      say(&o,
          "\nIn-scope amount (符合政策范围金额)\n"
          "  %s total (医疗费总额) − %s outside the catalogue (全自费) − %s above "
          "price limits (超限价) − %s first self-paid (先行自付) = %s\n",
          Y(v[0]), Y(v[1]), Y(v[2]), Y(v[3]), Y(r->inscp_scp_amt));
      say(&o, "\nTier 1 — basic medical insurance (基本医保统筹基金)\n");
      break;
    case SB_STEP_DEDUCTIBLE:
      say(&o,
          "  deductible (起付线) at this level: %s; stays at this level so far "
          "this year: %lld\n",
          Y(v[0]), (long long)v[1]);
      break;
    case SB_STEP_DEDC_REPEAT:
      say(&o, "  a repeat stay at the same level: %s × %s = %s\n", Y(v[0]), R(v[1]), Y(v[2]));
      break;
    case SB_STEP_DEDC_YEARCAP:
      say(&o,
          "  yearly total of deductibles (年度起付线累计) %s, %s already charged: "
          "at most %s more\n",
          Y(v[1]), Y(v[2]), Y(v[3]));
      break;
    case SB_STEP_DEDC:
      say(&o, "  deductible charged (起付标准自付): min(%s, %s) = %s\n", Y(v[0]), Y(v[1]), Y(v[2]));
      break;
    case SB_STEP_HIFP_RATIO:
      say(&o, "  %s × %s (报销比例) = %s\n", Y(v[0]), R(v[1]), Y(v[2]));
      break;
    case SB_STEP_OUTPATIENT_NOROW:
      say(&o,
          "  general outpatient at a %s institution is not covered by the policy "
          "(ratio 0)\n",
          sb_level_name((int)v[0]));
      break;
    case SB_STEP_HIFP_CAP:
      say(&o,
          "  bound by an annual cap (年度最高支付限额) of %s with %s already paid: "
          "%s instead of %s\n",
          Y(v[1]), Y(v[2]), Y(v[3]), Y(v[0]));
      break;
    case SB_STEP_HIFP:
      say(&o, "  basic fund pays (统筹基金支付 hifp_pay): %s\n", Y(v[0]));
      say(&o, "\nTier 2 — critical-illness insurance (大病保险)\n");
      break;
    case SB_STEP_CI_SKIP:
      say(&o,
          "  %s visits are not counted by critical-illness insurance: nothing added, "
          "hifmi_pay 0\n",
          sb_visit_name((int)v[0]));
      break;
    case SB_STEP_CI_BASE:
      say(&o,
          "  personal in-scope burden after basic insurance b = %s; yearly base "
          "(累计个人负担) %s + %s = %s\n",
          Y(v[0]), Y(v[1]), Y(v[0]), Y(v[2]));
      break;
    case SB_STEP_CI_DEDUCTIBLE:
      if (v[1])
        say(&o,
            "  deductible (大病保险起付线) %s, lowered for a tilted group (倾斜): "
            "%s × %s = %s\n",
            Y(v[0]), Y(v[0]), R(v[2]), Y(v[3]));
      else
        say(&o, "  deductible (大病保险起付线) for the county: %s\n", Y(v[3]));
      break;
    case SB_STEP_CI_SEGMENT:
      if (v[3] < 0)
        say(&o, "  segment %lld (above the last bound): %s × %s\n", (long long)v[0] + 1, Y(v[1]),
            R(v[2]));
      else
        say(&o, "  segment %lld (up to %s): %s × %s\n", (long long)v[0] + 1, Y(v[3]), Y(v[1]),
            R(v[2]));
      break;
    case SB_STEP_CI_ENTITLEMENT:
      say(&o, "  above the deductible x = %s; entitlement to date (累计应补偿) %s", Y(v[0]),
          Y(v[1]));
      if (v[2] >= 0 && v[3] < v[1])
        say(&o, ", bound by the annual cap (年度限额) %s: %s\n", Y(v[2]), Y(v[3]));
      else if (v[2] < 0)
        say(&o, " (no cap%s)\n",
            r->category < SB_CAT_COUNT && ((p->tilted >> r->category) & 1) && p->tilted_uncapped
                ? ": 取消封顶线 for a tilted group"
                : "");
      else
        say(&o, "\n");
      break;
    case SB_STEP_CI_PAY:
      say(&o,
          "  pays entitlement minus paid to date, at most b: min(%s, %s − %s) = %s "
          "(大病保险支付 hifmi_pay)\n",
          Y(v[2]), Y(v[0]), Y(v[1]), Y(v[3]));
      break;
    case SB_STEP_MA_SKIP:
      say(&o, "\nTier 3 — medical assistance (医疗救助)\n");
      if (v[0] == 1)
        say(&o, "  the category %s has no assistance row: maf_pay 0\n",
            sb_category_name((int)v[1]));
      else
        say(&o, "  %s visits are not assisted: maf_pay 0\n", sb_visit_name((int)v[1]));
      break;
    case SB_STEP_MA_BASE:
      say(&o, "\nTier 3 — medical assistance (医疗救助)\n");
      say(&o, "  burden after tiers 1 and 2 b3 = %s; yearly base %s + %s = %s\n", Y(v[0]), Y(v[1]),
          Y(v[0]), Y(v[2]));
      break;
    case SB_STEP_MA_ENTITLEMENT:
      say(&o, "  entitlement to date: (base − %s 起付线) × %s, at most %s: %s\n", Y(v[0]), R(v[1]),
          v[2] < 0 ? "no cap" : Y(v[2]), Y(v[3]));
      break;
    case SB_STEP_MA_PAY:
      say(&o, "  pays min(%s, %s − %s) = %s (医疗救助支付 maf_pay)\n", Y(v[2]), Y(v[0]), Y(v[1]),
          Y(v[3]));
      break;
    case SB_STEP_RA_SKIP:
      say(&o, "\nRe-assistance (再救助 / 倾斜救助)\n");
      if (v[0] == 1)
        say(&o, "  the category %s has no re-assistance row: this claim does not count\n",
            sb_category_name((int)v[1]));
      else
        say(&o, "  %s visits do not count for re-assistance\n", sb_visit_name((int)v[1]));
      break;
    case SB_STEP_RA_BASE:
      say(&o, "\nRe-assistance (再救助 / 倾斜救助)\n");
      say(&o, "  in-scope burden left after the three tiers r = %s; yearly base %s + %s = %s\n",
          Y(v[0]), Y(v[1]), Y(v[0]), Y(v[2]));
      if (v[3] == SB_RA_YEAR_END)
        say(&o, "  paid after the year closes (再救助, timing year_end): nothing now\n");
      break;
    case SB_STEP_RA_ENTITLEMENT:
      say(&o, "  entitlement to date (倾斜救助): (base − %s threshold) × %s, at most %s: %s\n",
          Y(v[0]), R(v[1]), v[2] < 0 ? "no cap" : Y(v[2]), Y(v[3]));
      break;
    case SB_STEP_RA_PAY:
      say(&o, "  pays min(%s, %s − %s) = %s (倾斜救助 reassist_pay)\n", Y(v[2]), Y(v[0]), Y(v[1]),
          Y(v[3]));
      break;
    case SB_STEP_TOTALS:
      if (r->reassist_pay)
        say(&o, "\nTotals\n  funds pay (基金支付总额) %s + %s + %s + %s = %s\n", Y(r->hifp_pay),
            Y(r->hifmi_pay), Y(r->maf_pay), Y(r->reassist_pay), Y(v[0]));
      else
        say(&o, "\nTotals\n  funds pay (基金支付总额) %s + %s + %s = %s\n", Y(r->hifp_pay),
            Y(r->hifmi_pay), Y(r->maf_pay), Y(v[0]));
      say(&o, "  the person pays (个人负担) %s − %s = %s; this year so far %s\n", Y(v[2]), Y(v[0]),
          Y(v[1]), Y(v[3]));
      break;
    case SB_STEP_ALERT:
      say(&o, "  poverty-risk alert (因病返贫致贫风险预警) '%s': %s reached the threshold %s\n",
          p->rules[v[0]].name, Y(v[1]), Y(v[2]));
      break;
    default:
      break;
    }
  }
  (void)x->before;
  return o.err ? -1 : 0;
}
