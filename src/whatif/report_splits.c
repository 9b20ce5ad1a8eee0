/*
** sanbao whatif — the parts of the report page an analyst asks for after
** the totals (see report.h): the splits by visit type and by institution
** level with cost per visit (次均费用), the top of the burden distribution
** (where reforms of caps and high segments act, and the deciles see
** nothing), and the persons by burden band with the monitoring thresholds
** marked.
**
** As elsewhere on the page, every figure the summary CSV also holds is the
** CSV's very text inside its data-measure element (rw_figure), and what the
** CSV does not hold — per-visit costs, ratios — is derived here in integer
** arithmetic (fen, basis points), rounded half away from zero.
*/
#include <stdio.h>
#include <string.h>

#include "sanbao/types.h"
#include "whatif/report_int.h"

static const char *side_name(const W *w, int s) {
  return w->sides == 2 ? (s ? "改革 Reform" : "基线 Baseline") : "";
}

/* ---- by visit type, by level -------------------------------------------------- */

static void split_head(W *w, const char *zh, const char *en) {
  rw_put(w, "<table><thead><tr>");
  rw_th(w, NULL, zh, en);
  rw_th(w, "num", "结算笔数", w->sides == 2 ? "Claims (baseline)" : "Claims");
  rw_th(w, "num", "医疗总费用", "Total cost");
  rw_th(w, "num", "次均费用", "Cost per visit");
  rw_th_fund(w);
  if (w->sides == 2) {
    rw_th(w, "num", "实际报销比 基线", "Effective ratio: baseline");
    rw_th(w, "num", "改革", "Effective ratio: reform");
  } else {
    rw_th(w, "num", "实际报销比", "Effective ratio");
  }
  rw_th(w, "num", "次均个人负担", w->sides == 2 ? "Burden per visit (reform)" : "Burden per visit");
  rw_put(w, "</tr></thead><tbody>\n");
}

static void split_row(W *w, const char *zh, const char *en, const char *scope,
                      const sb_sim_sums u[2]) {
  rw_put(w, "<tr><td>");
  rw_put(w, zh);
  rw_put(w, " <span class=\"en\">");
  rw_put(w, en);
  rw_put(w, "</span></td><td class=\"num\">");
  rw_figure(w, "claims", scope, 0, u[0].claims, 0);
  rw_put(w, "</td><td class=\"num\">");
  rw_figure(w, "medfee_sumamt", scope, 0, u[0].medfee, 1);
  rw_put(w, "</td><td class=\"num\">");
  rw_plain_money(w, rw_per(u[0].medfee, u[0].claims), 0);
  rw_put(w, "</td>");
  rw_figure_cells(w, scope, u, S_FUND, 0);
  for (int s = 0; s < w->sides; s++) {
    rw_put(w, "<td class=\"num\">");
    rw_ratio_text(w, u[s].fund, u[s].medfee);
    rw_put(w, "</td>");
  }
  const sb_sim_sums *last = &u[w->sides - 1];
  rw_put(w, "<td class=\"num\">");
  rw_plain_money(w, rw_per(last->psn, last->claims), 0);
  rw_put(w, "</td></tr>\n");
}

void rw_splits_section(W *w, const sb_sim_result *r) {
  if (r->visits_unknown) return; /* a settlements file does not say */
  rw_h2(w, "visits", "按就诊类型和医院等级", "By visit type and institution level");
  rw_put(w, "<p class=\"lead\">次均费用 = 医疗总费用 ÷ 结算笔数；次均个人负担 = 个人负担 ÷ "
            "结算笔数；实际报销比 = 基金支付 ÷ 医疗总费用。年度结束后的再救助不属于任何一次就诊，"
            "不计入本表。金额单位：元。<span class=\"en\">Cost per visit = total cost ÷ claims; "
            "burden per visit = personal burden ÷ claims; effective ratio = fund payments ÷ "
            "total cost. Re-assistance after the year belongs to no visit and is left out here. "
            "Amounts in yuan.</span></p>\n");
  static const struct {
    const char *zh, *en, *prefix;
    int n;
    const char *(*name)(int), *(*name_zh)(int);
  } SPLIT[2] = {
      {"就诊类型", "Visit type", "visit", SB_VISIT_COUNT, sb_visit_name, sb_visit_zh},
      {"医院等级", "Institution level", "level", SB_LEVEL_COUNT, sb_level_name, sb_level_zh}};
  for (int t = 0; t < 2; t++) {
    split_head(w, SPLIT[t].zh, SPLIT[t].en);
    for (int k = 0; k < SPLIT[t].n; k++) {
      const sb_sim_sums *u = t == 0 ? r->visit[k] : r->level[k];
      if (!sb_sim_split_shown(r, u)) continue;
      char scope[64];
      snprintf(scope, sizeof scope, "%s:%s", SPLIT[t].prefix, SPLIT[t].name(k));
      split_row(w, SPLIT[t].name_zh(k), SPLIT[t].name(k), scope, u);
    }
    rw_put(w, "</tbody></table>\n");
  }
  rw_put(w, "</section>\n");
}

/* ---- the top of the burden distribution ------------------------------------------ */

/* "P99.9" for 999 per mille. */
static void pct_label(int permille, char *buf, size_t cap) {
  if (permille % 10)
    snprintf(buf, cap, "P%d.%d", permille / 10, permille % 10);
  else
    snprintf(buf, cap, "P%d", permille / 10);
}

/* The value of column k of the top chart: the top percentiles, then the
** maximum (decile 10). */
static sb_fen top_value(const sb_sim_result *r, int s, int k) {
  return k < SB_SIM_TOP_PCTS ? r->top_pct[s][k] : r->decile[s][10];
}

void rw_top_chart(W *w, const sb_sim_result *r, const sb_report_labels *l) {
  enum { NCOL = SB_SIM_TOP_PCTS + 1 };
  rw_h2(w, "top", "高负担人群", "The top of the burden distribution");
  rw_put(w,
         "<p class=\"lead\">全年个人负担最高的 10%、5%、1%、0.5%、0.1% 人员的起点（最近秩百分位）"
         "及最大值：封顶线和高费用分段的调整只在这里显现。<span class=\"en\">Where the top "
         "10%, 5%, 1%, 0.5% and 0.1% of the year's personal burden begin (nearest-rank "
         "percentiles), and the maximum: changes to caps and high cost segments show here, "
         "not in the deciles.</span></p>\n");
  sb_fen max = 0;
  for (int s = 0; s < w->sides; s++)
    for (int k = 0; k < NCOL; k++)
      max = sb_max(max, top_value(r, s, k));
  axis a = rw_make_axis(max);
  const int W_ = 1100, H_ = 430, x0 = 100, x1 = 1080, y0 = 360, h = 270;
  rw_svg_open(w, "chart-top", W_, H_, "Top percentiles of the personal burden");
  rw_draw_axis(w, &a, x0, x1, y0, h);
  rw_y_title(w, 24, y0 - h / 2, "个人负担 Personal burden", &a);
  rw_legend(w, l, x0 + 10, 14);
  int gw = (x1 - x0) / NCOL, bw = w->sides == 2 ? 44 : 64, gap = 6;
  for (int k = 0; k < NCOL; k++) {
    int cx = x0 + gw * k + gw / 2;
    char lab[16], title[96];
    if (k < SB_SIM_TOP_PCTS)
      pct_label(SB_SIM_TOP_PERMILLE[k], lab, sizeof lab);
    else
      snprintf(lab, sizeof lab, "最大 Max");
    for (int s = 0; s < w->sides; s++) {
      int x = w->sides == 2 ? (s ? cx + gap / 2 : cx - gap / 2 - bw) : cx - bw / 2;
      snprintf(title, sizeof title, "%s %s", lab, side_name(w, s));
      rw_bar(w, &a, x, bw, y0, h, top_value(r, s, k), s, 0, title);
    }
    rw_putf(w,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\" "
            "fill=\"#222\">%s</text>",
            cx, y0 + 22, lab);
  }
  rw_put(w, "</svg>\n<table><thead><tr>");
  rw_th(w, NULL, "", NULL);
  for (int k = 0; k < NCOL; k++) {
    char lab[16];
    if (k < SB_SIM_TOP_PCTS)
      pct_label(SB_SIM_TOP_PERMILLE[k], lab, sizeof lab);
    else
      snprintf(lab, sizeof lab, "最大");
    rw_th(w, "num", lab, k < SB_SIM_TOP_PCTS ? NULL : "Max");
  }
  rw_put(w, "</tr></thead><tbody>\n");
  static const char *const ROW[3] = {"基线 <span class=\"en\">Baseline</span>",
                                     "改革 <span class=\"en\">Reform</span>",
                                     "差额 <span class=\"en\">Difference</span>"};
  for (int s = 0; s < (w->sides == 2 ? 3 : 1); s++) {
    rw_put(w, "<tr><td>");
    rw_put(w,
           w->sides == 2 ? ROW[s] : "个人负担 <span class=\"en\">Personal burden (元 yuan)</span>");
    rw_put(w, "</td>");
    for (int k = 0; k < NCOL; k++) {
      sb_fen v = s < 2 ? top_value(r, s, k) : top_value(r, 1, k) - top_value(r, 0, k);
      char m[32];
      snprintf(m, sizeof m, "psn_permille_%d", k < SB_SIM_TOP_PCTS ? SB_SIM_TOP_PERMILLE[k] : 0);
      rw_burden_cell(w, k < SB_SIM_TOP_PCTS ? m : NULL, s, v);
    }
    rw_put(w, "</tr>\n");
  }
  rw_put(w, "</tbody></table></section>\n");
}

/* ---- persons by burden band ------------------------------------------------------- */

/* "1,000–2,000" yuan, the last "≥ 200,000". */
static void band_label(int b, char *buf, size_t cap) {
  char lo[28], hi[28];
  rw_fmt_grouped_u((uint64_t)(SB_SIM_BAND_FROM[b] / 100), lo, sizeof lo);
  if (b + 1 < SB_SIM_BANDS) {
    rw_fmt_grouped_u((uint64_t)(SB_SIM_BAND_FROM[b + 1] / 100), hi, sizeof hi);
    snprintf(buf, cap, "%s–%s", lo, hi);
  } else {
    snprintf(buf, cap, "≥ %s", lo);
  }
}

/* The band a threshold falls in: the last whose lower bound it reaches. */
static int band_of_threshold(sb_fen t) {
  int b = 0;
  while (b + 1 < SB_SIM_BANDS && t >= SB_SIM_BAND_FROM[b + 1])
    b++;
  return b;
}

void rw_bands_chart(W *w, const sb_sim_result *r, const sb_report_labels *l) {
  rw_h2(w, "bands", "个人负担分段人数", "Persons by yearly personal burden");
  rw_put(w, "<p class=\"lead\">就医人员按全年个人负担分段的人数；▼ 标出监测规则的阈值所在的分段"
            "（阈值本身见下表）。<span class=\"en\">Persons with claims by their personal burden "
            "for the year, in yuan; ▼ marks the band in which each monitoring rule's threshold "
            "lies (the thresholds are listed below).</span></p>\n");
  int64_t max = 0;
  for (int s = 0; s < w->sides; s++)
    for (int b = 0; b < SB_SIM_BANDS; b++)
      max = max > r->band[s][b] ? max : r->band[s][b];
  /* a count axis: counts in "fen" of one per unit, so that the tick labels
  ** read as whole persons */
  axis a = rw_make_axis(max * UNIT_YUAN);
  const int W_ = 1100, H_ = 470, x0 = 100, x1 = 1080, y0 = 380, h = 260;
  rw_svg_open(w, "chart-bands", W_, H_, "Persons by personal burden band");
  rw_draw_axis(w, &a, x0, x1, y0, h);
  rw_putf(w,
          "<text transform=\"translate(24 %d) rotate(-90)\" text-anchor=\"middle\" "
          "font-size=\"13\" fill=\"#333\">人数 Persons</text>",
          y0 - h / 2);
  rw_legend(w, l, x0 + 10, 14);
  int gw = (x1 - x0) / SB_SIM_BANDS, bw = w->sides == 2 ? 36 : 56, gap = 4;
  for (int b = 0; b < SB_SIM_BANDS; b++) {
    int cx = x0 + gw * b + gw / 2;
    char lab[64], title[128];
    band_label(b, lab, sizeof lab);
    for (int s = 0; s < w->sides; s++) {
      int x = w->sides == 2 ? (s ? cx + gap / 2 : cx - gap / 2 - bw) : cx - bw / 2;
      int64_t y = rw_ypix(&a, r->band[s][b] * UNIT_YUAN, y0, h);
      char n[32];
      rw_fmt_grouped_u((uint64_t)(r->band[s][b] > 0 ? r->band[s][b] : 0), n, sizeof n);
      snprintf(title, sizeof title, "%s 元 %s: %s", lab, side_name(w, s), n);
      rw_putf(w, "<rect x=\"%d\" y=\"%lld\" width=\"%d\" height=\"%lld\" fill=\"%s\"><title>", x,
              (long long)y, bw, (long long)(y0 - y), COLOR[s]);
      rw_esc(w, title);
      rw_putf(w,
              "</title></rect><text x=\"%d\" y=\"%lld\" text-anchor=\"middle\" font-size=\"11\" "
              "fill=\"#333\">%s</text>",
              x + bw / 2, (long long)y - 4, n);
    }
    rw_putf(w,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\" fill=\"#222\">%s"
            "</text>",
            cx, y0 + 20, lab);
    int marks = 0;
    for (int t = 0; t < r->n_thresholds && t < SB_SIM_MAX_THRESHOLDS; t++) {
      if (band_of_threshold(r->threshold[t]) != b) continue;
      char money[SB_MONEY_BUFSZ];
      sb_money_format(r->threshold[t], money);
      rw_putf(w,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" fill=\"#c0392b\">",
              cx, y0 + 38 + 14 * marks++);
      rw_put(w, "▼ ");
      rw_esc(w, r->threshold_name[t]);
      rw_put(w, " ≥ ");
      rw_put(w, money);
      rw_put(w, "</text>");
    }
  }
  rw_putf(w,
          "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\" fill=\"#5b6573\">"
          "全年个人负担 Personal burden for the year (元 yuan)</text>",
          (x0 + x1) / 2, H_ - 8);
  rw_put(w, "</svg>\n<table><thead><tr>");
  rw_th(w, NULL, "个人负担 (元)", "Burden (yuan)");
  for (int s = 0; s < w->sides; s++)
    rw_th(w, "num", s ? "改革" : (w->sides == 2 ? "人数 基线" : "人数"),
          s ? "Reform" : (w->sides == 2 ? "Persons: baseline" : "Persons"));
  if (w->sides == 2) rw_th(w, "num", "差额", "Difference");
  rw_put(w, "</tr></thead><tbody>\n");
  for (int b = 0; b < SB_SIM_BANDS; b++) {
    char lab[64], scope[64];
    band_label(b, lab, sizeof lab);
    sb_sim_band_scope(b, scope, sizeof scope);
    rw_put(w, "<tr><td>");
    rw_put(w, lab);
    rw_put(w, "</td>");
    for (int s = 0; s < (w->sides == 2 ? 3 : 1); s++) {
      int64_t v = s < 2 ? r->band[s][b] : r->band[1][b] - r->band[0][b];
      rw_put(w, "<td class=\"num\">");
      rw_figure(w, "persons", scope, s, v, 0);
      rw_put(w, "</td>");
    }
    rw_put(w, "</tr>\n");
  }
  rw_put(w, "</tbody></table></section>\n");
}
