/*
** sanbao adapters — a trace in plain words (see explain.h).
**
** The core records numbers; this file owns every sentence.  Each line says
** in words what it is — the Chinese term a clerk reads on a 结算单 first,
** the English after it — and ends with its own result, with the arithmetic
** written out so that it can be redone on paper: "(20000.00 − 300.00) ×
** 60% = 11820.00".  No line shows a bare variable name: the letters of
** docs/reference/settlement.md (b, x, T, E …) stay in the reference.
**
** Three things are spelled out that a bare trace hides:
**  - the county, by its GB/T 2260 name (batch/regions.h);
**  - a tilted (倾斜) ratio as "60% + 5% = 65%": the trace records only the
**    raised ratio, so the words take the segment's own ratio and the bonus
**    from the policy, exactly as the core adds them (capped at 100%);
**  - every parameter value the policy file flags as an assumption (its
**    notes' "ASSUMED(key,...):" heads, sb_policy_assumed) carries the mark
**    ASSUMED_MARK.
**
** Money is printed by sb_money_format; a critical-illness segment's own
** product can have fractions of a fen (the core sums the exact products and
** rounds once, §1), and is printed exactly: up to four decimals of a fen,
** so up to six of a yuan ("797.449098").
*/
#include "batch/explain.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "batch/regions.h"

/* The mark beside a value the policy flags as assumed. */
#define ASSUMED_MARK "（假定 ASSUMED）"

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
  static _Thread_local char buf[12][SB_MONEY_BUFSZ];
  static _Thread_local int k;
  k = (k + 1) % 12;
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
/* An exact product in fen × basis points (an amount times a ratio, not yet
** rounded) as yuan: two decimals when it is a whole number of fen, else up
** to six ("797.449098"); never negative here. */
static const char *P(int64_t fen_bp) {
  static _Thread_local char buf[4][48];
  static _Thread_local int k;
  k = (k + 1) % 4;
  int64_t fen = fen_bp / SB_BP_ONE, rest = fen_bp % SB_BP_ONE;
  char whole[SB_MONEY_BUFSZ];
  sb_money_format(fen, whole);
  if (!rest) {
    snprintf(buf[k], sizeof buf[k], "%s", whole);
  } else {
    char frac[8];
    snprintf(frac, sizeof frac, "%04ld", (long)rest);
    for (int n = 3; n > 0 && frac[n] == '0'; n--)
      frac[n] = 0;
    snprintf(buf[k], sizeof buf[k], "%s%s", whole, frac);
  }
  return buf[k];
}

/* The mark when the value `key` of the object at `path` is assumed. */
static const char *A(const sb_policy *p, const char *path, const char *key) {
  return sb_policy_assumed(p, path, key) ? ASSUMED_MARK : "";
}
/* The same for an object named by a printf pattern and one text argument. */
static const char *Af(const sb_policy *p, const char *fmt, const char *arg, const char *key) {
  char path[160];
  snprintf(path, sizeof path, fmt, arg);
  return A(p, path, key);
}
static const char *Ai(const sb_policy *p, const char *fmt, long i, const char *key) {
  char path[160];
  snprintf(path, sizeof path, fmt, i);
  return A(p, path, key);
}

/* The regions row that gave the county its critical-illness deductible, as
** sb_policy_ci_deductible() chooses it (county, prefecture, default):
** `key` receives its JSON key, the return is its code (-1 for default). */
static int32_t ci_row(const sb_policy *p, int32_t region, char key[16]) {
  const int32_t want[3] = {region, region / 100 * 100, -1};
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < p->n_regions; i++)
      if (p->regions[i].code == want[k]) {
        if (want[k] < 0)
          snprintf(key, 16, "default");
        else
          snprintf(key, 16, "%06ld", (long)want[k]);
        return want[k];
      }
  snprintf(key, 16, "default");
  return -1;
}

/* The tier headings. */
static void tier2_heading(out *o) {
  say(o, "\n第二重 大病保险 Tier 2 — critical-illness insurance\n");
}
static void tier3_heading(out *o) {
  say(o, "\n第三重 医疗救助 Tier 3 — medical assistance\n");
}
static void reassist_heading(out *o) {
  say(o, "\n再救助 倾斜救助 Re-assistance\n");
}

/* Which annual cap a SB_STEP_HIFP_CAP step names (v: product, cap, used,
** paid): the visit's own cap when the visit has one and the numbers are
** its, else the basic fund's (inpatient and chronic together). */
static void hifp_cap(out *o, const sb_explain_ctx *x, const sb_result *r, const int64_t *v,
                     int first) {
  const sb_policy *p = x->policy;
  const char *what = "基本医保年度最高支付限额 basic fund's annual cap (inpatient + chronic)";
  const char *mark = A(p, "$.basic", "annual_cap");
  if (r->visit == SB_VISIT_OUTPATIENT) {
    what = "普通门诊年度限额 general outpatient annual cap";
    mark = A(p, "$.basic.outpatient", "annual_cap");
  } else if (r->visit == SB_VISIT_CHRONIC && first && v[1] == p->chronic_annual_cap && x->before &&
             v[2] == x->before->chronic_ytd) {
    what = "门诊慢特病年度限额 chronic annual cap";
    mark = A(p, "$.basic.chronic", "annual_cap");
  }
  say(o, "  %s %s%s: 已付 paid %s, 剩余 left %s; 本次 now %s 而非 instead of %s\n", what, Y(v[1]),
      mark, Y(v[2]), Y(v[3]), Y(v[3]), Y(v[0]));
}

/* A segment line of tier 2: its bounds, its base, its ratio (with the tilt
** spelled out) and what it pays, exactly. */
static void ci_segment(out *o, const sb_policy *p, int tilted, const int64_t *v, sb_fen lower) {
  long k = (long)v[0];
  const char *mark = Ai(p, "$.critical_illness.segments[%ld]", k, "ratio");
  /* the last segment has no upper bound: an open interval, (lower, ∞) */
  say(o, "  第%ld段 segment %ld (%s, %s%s: %s × ", k + 1, k + 1, Y(lower), v[3] < 0 ? "∞" : Y(v[3]),
      v[3] < 0 ? ")" : "]", Y(v[1]));
  if (tilted && p->tilted_ratio_bonus) {
    sb_bp own = p->segments[k].ratio, bonus = p->tilted_ratio_bonus;
    say(o, "(%s%s + 倾斜 tilt %s%s = %s%s)", R(own), mark, R(bonus),
        A(p, "$.critical_illness.tilted", "ratio_bonus"), R(own + bonus),
        own + bonus > SB_BP_ONE ? ", 至多 at most 100%" : "");
  } else {
    say(o, "%s%s", R(v[2]), mark);
  }
  say(o, " = %s\n", P(v[1] * v[2]));
}

/* The words of a category row of tier 3 or of re-assistance. */
typedef struct cat_row_words {
  const char *path;  /* printf pattern of the row's JSON path, %s the category */
  const char *what;  /* the entitlement, in words */
  const char *first; /* the amount taken off the base first, in words */
  const char *key;   /* its key in the row */
  const char *ratio; /* the ratio, in words */
} cat_row_words;
static const cat_row_words MA_ROW = {"$.assistance.categories.%s", "累计应救助",
                                     "救助起付线 deductible", "deductible", "救助比例 ratio"};
static const cat_row_words RA_ROW = {"$.reassistance.categories.%s", "累计应再救助",
                                     "门槛 threshold", "threshold", "比例 ratio"};

/* An entitlement step (v: first, ratio bp, cap or -1, entitlement) on a
** yearly base `base`: (base − first) × ratio, then the cap. */
static void entitlement(out *o, const sb_policy *p, const cat_row_words *w, const char *cat,
                        sb_fen base, const int64_t *v) {
  sb_fen over = base > v[0] ? base - v[0] : 0;
  say(o, "  %s entitlement to date: (累计 %s − %s %s%s) × %s %s%s = %s", w->what, Y(base), w->first,
      Y(v[0]), Af(p, w->path, cat, w->key), w->ratio, R(v[1]), Af(p, w->path, cat, "ratio"),
      Y(sb_mul(over, (sb_bp)v[1])));
  if (v[2] < 0)
    say(o, "; 无年度限额 no annual cap\n");
  else
    say(o, "; 年度限额 annual cap %s%s: %s\n", Y(v[2]), Af(p, w->path, cat, "annual_cap"), Y(v[3]));
}

/* After a pay step (v: entitlement, paid to date, burden, pay): when the
** person was paid more than the entitlement now comes to (a reversal took
** part of the base away, §6), say that nothing is taken back. */
static void no_clawback(out *o, const int64_t *v) {
  if (v[0] < v[1])
    say(o, "  已付超过累计应得，不追回 paid to date is above the entitlement: nothing is taken "
           "back\n");
}

int sb_explain_render(const sb_explain_ctx *x, const sb_trace *t, const sb_result *r, sb_buf *b) {
  out o = {b, 0};
  char date[SB_DATE_BUFSZ], county[SB_REGION_BUFSZ];
  sb_date_format(x->date, date);
  const sb_policy *p = x->policy;
  const char *cat_zh = sb_category_zh(r->category), *cat = sb_category_name(r->category);
  const char *lvl = sb_level_name(r->level);
  int tilted = r->category < SB_CAT_COUNT && ((p->tilted >> r->category) & 1);
  say(&o, "理赔 Claim %.*s — 参保人 person %.*s, %s, %s %s, %s %s institution\n",
      (int)x->claim_id_len, x->claim_id, (int)x->person_id_len, x->person_id, date,
      sb_visit_zh(r->visit), sb_visit_name(r->visit), sb_level_zh(r->level), lvl);
  say(&o,
      "  当日类别 category on that date: %s %s; 参保地 county: %s; 政策年度 policy year %d%s%s\n",
      cat_zh, cat, sb_region_label(x->region, county), p->year, p->name ? ": " : "",
      p->name ? p->name : "");

  /* what the renderer carries from one step to the next */
  sb_fen seg_lower = 0; /* the lower bound of the next segment */
  int64_t seg_sum = 0;  /* the exact segment products so far, fen × bp */
  int seg_n = 0, caps = 0;
  sb_fen ci_base = 0, ma_base = 0, ra_base = 0;
  for (int i = 0; i < t->n; i++) {
    const int64_t *v = t->steps[i].v;
    switch (t->steps[i].code) {
    case SB_STEP_INSCP:
      say(&o,
          "\n符合政策范围金额 In-scope amount\n"
          "  医疗费总额 total %s − 全自费 outside the catalogue %s − 超限价 above price limits %s "
          "− 先行自付 first self-paid %s = %s\n",
          Y(v[0]), Y(v[1]), Y(v[2]), Y(v[3]), Y(r->inscp_scp_amt));
      say(&o, "\n第一重 基本医保统筹基金 Tier 1 — basic medical insurance\n");
      break;
    case SB_STEP_DEDUCTIBLE:
      say(&o,
          "  起付线 deductible at %s %s: %s%s; 本年度此级别已住院 stays at this level so far this "
          "year: %lld\n",
          sb_level_zh(r->level), lvl, Y(v[0]),
          Af(p, "$.basic.inpatient.levels.%s", lvl, "deductible"), (long long)v[1]);
      break;
    case SB_STEP_DEDC_REPEAT:
      say(&o, "  再次住院 a repeat stay at the same level: 起付线 %s × %s%s = %s\n", Y(v[0]),
          R(v[1]), A(p, "$.basic.inpatient", "repeat_deductible_factor"), Y(v[2]));
      break;
    case SB_STEP_DEDC_YEARCAP:
      say(&o,
          "  年度起付线累计上限 yearly total of deductibles %s%s: 已付 already charged %s, 剩余 "
          "left %s\n",
          Y(v[1]), A(p, "$.basic.inpatient", "annual_deductible_cap"), Y(v[2]), Y(v[3]));
      break;
    case SB_STEP_DEDC:
      say(&o,
          "  起付线 deductible: 本次应付 charged now = min(符合范围 in scope %s, 起付线 %s) = %s\n",
          Y(v[0]), Y(v[1]), Y(v[2]));
      break;
    case SB_STEP_HIFP_RATIO: {
      const char *mark =
          r->visit == SB_VISIT_INPATIENT ? Af(p, "$.basic.inpatient.levels.%s", lvl, "ratio")
          : r->visit == SB_VISIT_CHRONIC ? A(p, "$.basic.chronic", "ratio")
                                         : Af(p, "$.basic.outpatient.levels.%s", lvl, "ratio");
      if (r->visit == SB_VISIT_INPATIENT)
        say(&o, "  报销比例 ratio: (符合范围 in scope %s − 起付线 deductible %s) × %s%s = %s\n",
            Y(r->inscp_scp_amt), Y(r->act_pay_dedc), R(v[1]), mark, Y(v[2]));
      else
        say(&o, "  报销比例 ratio: 符合范围 in scope %s × %s%s = %s\n", Y(v[0]), R(v[1]), mark,
            Y(v[2]));
      break;
    }
    case SB_STEP_OUTPATIENT_NOROW:
      say(&o,
          "  普通门诊 general outpatient at a %s %s institution: 政策未覆盖 not covered by the "
          "policy, ratio 0%%\n",
          sb_level_zh((int)v[0]), sb_level_name((int)v[0]));
      break;
    case SB_STEP_HIFP_CAP:
      hifp_cap(&o, x, r, v, caps++ == 0);
      break;
    case SB_STEP_HIFP:
      say(&o, "  统筹基金支付 basic fund pays (hifp_pay): %s\n", Y(v[0]));
      tier2_heading(&o);
      break;
    case SB_STEP_CI_SKIP:
      say(&o,
          "  %s %s 不计入大病保险 is not a visit type counted by critical-illness insurance%s: "
          "大病保险支付 hifmi_pay 0.00\n",
          sb_visit_zh((int)v[0]), sb_visit_name((int)v[0]),
          A(p, "$.critical_illness", "visit_types"));
      break;
    case SB_STEP_CI_BASE:
      ci_base = v[2];
      say(&o,
          "  %s %s 计入大病保险 counts for critical-illness insurance%s\n"
          "  本次个人负担 in-scope burden after basic insurance: 符合范围 %s − 统筹支付 %s = %s\n"
          "  累计个人负担 yearly base: 此前 before %s + 本次 %s = %s\n",
          sb_visit_zh(r->visit), sb_visit_name(r->visit), A(p, "$.critical_illness", "visit_types"),
          Y(r->inscp_scp_amt), Y(r->hifp_pay), Y(v[0]), Y(v[1]), Y(v[0]), Y(v[2]));
      break;
    case SB_STEP_CI_DEDUCTIBLE: {
      char key[16], row[SB_REGION_BUFSZ];
      int32_t code = ci_row(p, x->region, key);
      const char *mark = Af(p, "$.regions.%s", key, "ci_deductible");
      if (code < 0)
        say(&o, "  大病保险起付线 deductible, 政策默认行 the policy's default row: %s%s\n", Y(v[0]),
            mark);
      else
        say(&o, "  大病保险起付线 deductible, 按 from the row of %s: %s%s\n",
            sb_region_label(code, row), Y(v[0]), mark);
      if (v[1])
        say(&o, "  倾斜 tilted group %s: 起付线降低 lowered to %s × %s%s = %s\n", cat_zh, Y(v[0]),
            R(v[2]), A(p, "$.critical_illness.tilted", "deductible_factor"), Y(v[3]));
      say(&o, "  超过起付线部分 above the deductible: max(0, %s − %s) = %s\n", Y(ci_base), Y(v[3]),
          Y(ci_base > v[3] ? ci_base - v[3] : 0));
      seg_lower = 0, seg_sum = 0, seg_n = 0;
      break;
    }
    case SB_STEP_CI_SEGMENT:
      ci_segment(&o, p, tilted, v, seg_lower);
      seg_sum += v[1] * v[2];
      seg_n++;
      seg_lower = v[3];
      break;
    case SB_STEP_CI_ENTITLEMENT:
      if (!seg_n)
        say(&o,
            "  累计应补偿 entitlement to date: 未超过起付线 nothing above the deductible, 0.00\n");
      else if (seg_sum % SB_BP_ONE)
        say(&o,
            "  累计应补偿 entitlement to date: 各段合计 segments together %s, 四舍五入到分 "
            "rounded half up to the fen: %s\n",
            P(seg_sum), Y(v[1]));
      else
        say(&o, "  累计应补偿 entitlement to date: 各段合计 segments together %s\n", Y(v[1]));
      if (v[2] >= 0 && v[3] < v[1])
        say(&o, "  大病保险年度限额 annual cap %s%s: 累计应补偿 %s → %s\n", Y(v[2]),
            A(p, "$.critical_illness", "annual_cap"), Y(v[1]), Y(v[3]));
      else if (v[2] >= 0)
        say(&o, "  大病保险年度限额 annual cap %s%s: 未达到 not reached\n", Y(v[2]),
            A(p, "$.critical_illness", "annual_cap"));
      else if (tilted && p->tilted_uncapped)
        say(&o, "  倾斜对象取消封顶线 no annual cap for a tilted group%s\n",
            A(p, "$.critical_illness.tilted", "uncapped"));
      else
        say(&o, "  大病保险无年度限额 no annual cap in the policy\n");
      break;
    case SB_STEP_CI_PAY:
      say(&o,
          "  大病保险支付 critical illness pays (hifmi_pay): min(本次个人负担 this claim's burden "
          "%s, max(0, 累计应补偿 %s − 已付 paid to date %s)) = %s\n",
          Y(v[2]), Y(v[0]), Y(v[1]), Y(v[3]));
      no_clawback(&o, v);
      break;
    case SB_STEP_MA_SKIP:
      tier3_heading(&o);
      if (v[0] == 1)
        say(&o,
            "  %s %s 不在救助对象之列 has no assistance row in the policy: 医疗救助支付 "
            "maf_pay 0.00\n",
            sb_category_zh((int)v[1]), sb_category_name((int)v[1]));
      else
        say(&o, "  %s %s 不予救助 visits are not assisted%s: 医疗救助支付 maf_pay 0.00\n",
            sb_visit_zh((int)v[1]), sb_visit_name((int)v[1]), A(p, "$.assistance", "visit_types"));
      break;
    case SB_STEP_MA_BASE:
      tier3_heading(&o);
      ma_base = v[2];
      say(&o,
          "  前两重后个人负担 burden after tiers 1 and 2: 符合范围 %s − 统筹 %s − 大病 %s = %s\n"
          "  累计救助基数 yearly base: 此前 before %s + 本次 %s = %s\n",
          Y(r->inscp_scp_amt), Y(r->hifp_pay), Y(r->hifmi_pay), Y(v[0]), Y(v[1]), Y(v[0]), Y(v[2]));
      break;
    case SB_STEP_MA_ENTITLEMENT:
      entitlement(&o, p, &MA_ROW, sb_category_name(r->category), ma_base, v);
      break;
    case SB_STEP_MA_PAY:
      say(&o,
          "  医疗救助支付 assistance pays (maf_pay): min(本次负担 this claim's burden %s, "
          "max(0, 累计应救助 %s − 已付 paid to date %s)) = %s\n",
          Y(v[2]), Y(v[0]), Y(v[1]), Y(v[3]));
      no_clawback(&o, v);
      break;
    case SB_STEP_RA_SKIP:
      reassist_heading(&o);
      if (v[0] == 1)
        say(&o,
            "  %s %s 不在再救助对象之列 has no re-assistance row: 本次不计入 this claim does not "
            "count\n",
            sb_category_zh((int)v[1]), sb_category_name((int)v[1]));
      else
        say(&o, "  %s %s 不计入再救助 visits do not count for re-assistance%s\n",
            sb_visit_zh((int)v[1]), sb_visit_name((int)v[1]),
            A(p, "$.reassistance", "visit_types"));
      break;
    case SB_STEP_RA_BASE:
      reassist_heading(&o);
      ra_base = v[2];
      say(&o,
          "  三重后个人负担 in-scope burden left after the three tiers: 符合范围 %s − 统筹 %s − "
          "大病 %s − 救助 %s = %s\n"
          "  累计再救助基数 yearly base: 此前 before %s + 本次 %s = %s\n",
          Y(r->inscp_scp_amt), Y(r->hifp_pay), Y(r->hifmi_pay), Y(r->maf_pay), Y(v[0]), Y(v[1]),
          Y(v[0]), Y(v[2]));
      if (v[3] == SB_RA_YEAR_END)
        say(&o,
            "  年度结束后支付 paid after the year closes (timing year_end): 本次 nothing now\n");
      break;
    case SB_STEP_RA_ENTITLEMENT:
      entitlement(&o, p, &RA_ROW, sb_category_name(r->category), ra_base, v);
      break;
    case SB_STEP_RA_PAY:
      say(&o,
          "  倾斜救助支付 re-assistance pays (reassist_pay): min(本次负担 this claim's burden %s, "
          "max(0, 累计应再救助 %s − 已付 paid to date %s)) = %s\n",
          Y(v[2]), Y(v[0]), Y(v[1]), Y(v[3]));
      no_clawback(&o, v);
      break;
    case SB_STEP_TOTALS:
      say(&o, "\n合计 Totals\n");
      if (r->reassist_pay)
        say(&o, "  基金支付总额 funds pay: 统筹 %s + 大病 %s + 救助 %s + 倾斜救助 %s = %s\n",
            Y(r->hifp_pay), Y(r->hifmi_pay), Y(r->maf_pay), Y(r->reassist_pay), Y(v[0]));
      else
        say(&o, "  基金支付总额 funds pay: 统筹 %s + 大病 %s + 救助 %s = %s\n", Y(r->hifp_pay),
            Y(r->hifmi_pay), Y(r->maf_pay), Y(v[0]));
      say(&o,
          "  个人负担 the person pays: 医疗费总额 %s − 基金支付 %s = %s; 本年累计 this year so "
          "far %s\n",
          Y(v[2]), Y(v[0]), Y(v[1]), Y(v[3]));
      break;
    case SB_STEP_ALERT:
      say(&o,
          "  因病返贫致贫风险预警 poverty-risk alert '%s': 本年个人负担 this year's burden %s 达到 "
          "reached 阈值 threshold %s%s\n",
          p->rules[v[0]].name, Y(v[1]), Y(v[2]),
          Ai(p, "$.monitoring.rules[%ld]", (long)v[0], "threshold"));
      break;
    default:
      break;
    }
  }
  return o.err ? -1 : 0;
}

int sb_explain_fee_heading(sb_buf *b, int n) {
  return sb_buf_printf(
      b, "\n费用明细 Fee lines: %d, 按就诊日目录分类 classified on the claim's date\n", n);
}

int sb_explain_fee_line(sb_buf *b, const char *sn, size_t sn_len, const char *code, size_t code_len,
                        int bad, const char *why, const sb_fee_amounts *a) {
  static const char *const CLS[] = {"目录外 unlisted, 全自费 all self-paid", "甲类 class A",
                                    "乙类 class B", "丙类 class C, 全自费 all self-paid"};
  if (bad) /* the ledger does not keep why a line was malformed */
    return sb_buf_printf(b, "  %.*s %.*s: 格式错误 malformed%s%s%s\n", (int)sn_len, sn,
                         (int)code_len, code, why ? " (" : "", why ? why : "", why ? ")" : "");
  return sb_buf_printf(b,
                       "  %.*s %.*s: %s; 金额 amount %s − 全自费 all self-paid %s − 超限价 above "
                       "the price limit %s − 先行自付 first self-paid %s = 符合范围 in scope %s\n",
                       (int)sn_len, sn, (int)code_len, code, CLS[a->cls & 3], Y(a->amt),
                       Y(a->fulamt), Y(a->over), Y(a->pre), Y(a->inscp));
}

int sb_explain_reversal(sb_buf *b, const char *id, size_t id_len, const char *orig, size_t orig_len,
                        const sb_result *r) {
  return sb_buf_printf(b,
                       "理赔 Claim %.*s 是理赔 %.*s 的结算撤销 is a reversal of claim %.*s: "
                       "原结算各项金额取负 every amount of the original is negated and taken "
                       "out of the person's year-to-date accumulators; later claims catch up at "
                       "their next settlement.\n"
                       "  冲销 amounts reversed: 医疗费总额 total %s, 统筹 basic %s, 大病 critical "
                       "illness %s, 救助 assistance %s, 倾斜救助 re-assistance %s; 个人负担 "
                       "personal %s\n",
                       (int)id_len, id, (int)orig_len, orig, (int)orig_len, orig,
                       Y(r->medfee_sumamt), Y(r->hifp_pay), Y(r->hifmi_pay), Y(r->maf_pay),
                       Y(r->reassist_pay), Y(r->psn_part_amt));
}
