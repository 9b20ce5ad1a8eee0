/*
** sanbao adapters — the what-if report as one HTML page (see report.h).
**
** Everything is written through a small writer that remembers the first
** allocation failure, so the page code reads top to bottom without a check
** after every line.  Money is fen throughout: table figures are
** sb_money_format() text (the CSV's), chart labels are rounded half away
** from zero to the chart's unit in integers, and bar heights are integer
** proportions.
*/
#include "whatif/report.h"
#include "whatif/report_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanbao/error.h"
#include "sanbao/money.h"
#include "sanbao/types.h"

/* The CSV's names (sim.c, sb_sim_csv) for rows that are not the nine sums. */
#define M_PERSONS_WITH_CLAIMS "persons_with_claims"
#define M_DECILE "psn_decile_" /* + k, k = 1..9; scope all */
#define M_ABOVE "persons"      /* scope "above:<rule>" */
#define SCOPE_ABOVE "above:"
#define M_GAINERS "gainers" /* these four: scope all, difference column */
#define M_LOSERS "losers"
#define M_GAINED "gained"
#define M_LOST "lost"
#define SIDE_PERSONS "difference"

int64_t rw_sum_of(const sb_sim_sums *u, int m) {
  switch (m) {
  case S_MEDFEE:
    return u->medfee;
  case S_INSCP:
    return u->inscp;
  case S_HIFP:
    return u->hifp;
  case S_HIFMI:
    return u->hifmi;
  case S_MAF:
    return u->maf;
  case S_RA:
    return u->reassist;
  case S_FUND:
    return u->fund;
  case S_PSN:
    return u->psn;
  case S_CLAIMS:
    return u->claims;
  default:
    return u->alerts;
  }
}

/* Hunan's prefectures (市州). */
static const struct {
  int32_t code;
  const char *zh;
} PREFECTURE[] = {
    {430100, "长沙"}, {430200, "株洲"}, {430300, "湘潭"},   {430400, "衡阳"}, {430500, "邵阳"},
    {430600, "岳阳"}, {430700, "常德"}, {430800, "张家界"}, {430900, "益阳"}, {431000, "郴州"},
    {431100, "永州"}, {431200, "怀化"}, {431300, "娄底"},   {433100, "湘西"},
};

static const char *prefecture_zh(int32_t code) {
  for (size_t i = 0; i < sizeof PREFECTURE / sizeof PREFECTURE[0]; i++)
    if (PREFECTURE[i].code == code) return PREFECTURE[i].zh;
  return NULL;
}

/* ---- the writer ---------------------------------------------------------- */

void rw_putn(W *w, const char *s, size_t n) {
  if (!w->err && sb_buf_put(w->b, s, n)) w->err = 1;
}

void rw_put(W *w, const char *s) {
  rw_putn(w, s, strlen(s));
}

/* Short formatted text only (numbers, coordinates, attributes). */
void rw_putf(W *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (!w->err && sb_buf_vprintf(w->b, fmt, ap)) w->err = 1;
  va_end(ap);
}

/* Text from data or labels, escaped for element content and attributes. */
void rw_esc(W *w, const char *s) {
  const char *run = s;
  for (; *s; s++) {
    const char *e = NULL;
    switch (*s) {
    case '&':
      e = "&amp;";
      break;
    case '<':
      e = "&lt;";
      break;
    case '>':
      e = "&gt;";
      break;
    case '"':
      e = "&quot;";
      break;
    case '\'':
      e = "&#39;";
      break;
    default:
      continue;
    }
    rw_putn(w, run, (size_t)(s - run));
    rw_put(w, e);
    run = s + 1;
  }
  rw_putn(w, run, (size_t)(s - run));
}

/* ---- integer number formatting -------------------------------------------- */

/* a / b rounded half away from zero; b > 0. */
static int64_t div_round(int64_t a, int64_t b) {
  __int128 x = a;
  return (int64_t)(x >= 0 ? (x + b / 2) / b : -((-x + b / 2) / b));
}

/* num / den in basis points, half away from zero; 0 and *ok = 0 when den
** is not positive. */
int64_t rw_ratio_bp(int64_t num, int64_t den, int *ok) {
  *ok = den > 0;
  if (!*ok) return 0;
  __int128 n = (__int128)num * 10000, d = den;
  __int128 q = n >= 0 ? (n + d / 2) / d : -((-n + d / 2) / d);
  const __int128 lim = INT64_MAX / 4; /* absurd ratios stay printable and subtractable */
  return (int64_t)(q > lim ? lim : q < -lim ? -lim : q);
}

/* Basis points as a percentage with two decimals ("12.34"), signed. */
void rw_fmt_bp(int64_t bp, int plus, char *buf, size_t cap) {
  const char *sign = bp < 0 ? "-" : (plus && bp > 0 ? "+" : "");
  uint64_t a = bp < 0 ? (uint64_t)0 - (uint64_t)bp : (uint64_t)bp;
  snprintf(buf, cap, "%s%llu.%02llu", sign, (unsigned long long)(a / 100),
           (unsigned long long)(a % 100));
}

/* A non-negative integer with thousands separators. */
void rw_fmt_grouped_u(uint64_t v, char *buf, size_t cap) {
  char d[32];
  int n = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
  size_t o = 0;
  for (int i = 0; i < n && o + 2 < cap; i++) {
    if (i > 0 && (n - i) % 3 == 0) buf[o++] = ',';
    buf[o++] = d[i];
  }
  buf[o] = 0;
}

/* An amount in `unit` with two decimals and thousands separators
** ("1,234,567.89"), rounded half away from zero. */
static void fmt_amount(sb_fen v, int64_t unit, char *buf, size_t cap) {
  int64_t q = div_round(v, unit / 100); /* hundredths of the unit */
  uint64_t a = q < 0 ? (uint64_t)0 - (uint64_t)q : (uint64_t)q;
  char g[40];
  rw_fmt_grouped_u(a / 100, g, sizeof g);
  snprintf(buf, cap, "%s%s.%02llu", q < 0 ? "-" : "", g, (unsigned long long)(a % 100));
}

/* ---- figures tied to the CSV ----------------------------------------------- */

static void measure_open(W *w, const char *measure, const char *scope, int side) {
  rw_put(w, "<span data-measure=\"");
  rw_esc(w, measure);
  rw_put(w, "\" data-scope=\"");
  rw_esc(w, scope);
  rw_put(w, "\" data-side=\"");
  rw_put(w, SIDE[side]);
  rw_put(w, "\">");
}

/* A figure exactly as the CSV writes it, with a "+" before it (outside the
** element) when `plus` and it is positive. */
static void figure_sign(W *w, const char *measure, const char *scope, int side, int64_t v,
                        int money, int plus) {
  char t[SB_MONEY_BUFSZ + 8];
  if (money)
    sb_money_format(v, t);
  else
    snprintf(t, sizeof t, "%lld", (long long)v);
  if (plus && v > 0) rw_put(w, "+");
  measure_open(w, measure, scope, side);
  rw_put(w, t);
  rw_put(w, "</span>");
}

/* A figure; a positive difference is signed. */
void rw_figure(W *w, const char *measure, const char *scope, int side, int64_t v, int money) {
  figure_sign(w, measure, scope, side, v, money, side == 2);
}

/* A figure the CSV does not hold (same text form, no attributes). */
void rw_plain_money(W *w, sb_fen v, int plus) {
  char t[SB_MONEY_BUFSZ];
  sb_money_format(v, t);
  if (plus && v > 0) rw_put(w, "+");
  rw_put(w, t);
}

/* A table cell class for a change: burden down is good, up is bad. */
const char *rw_change_class(int64_t d, int lower_is_better) {
  if (!d || !lower_is_better) return "num";
  return d < 0 ? "num good" : "num bad";
}

/* <td>s of one measure of a scope: baseline [, reform, difference]. */
void rw_figure_cells(W *w, const char *scope, const sb_sim_sums u[2], int m, int lower_is_better) {
  int64_t b = rw_sum_of(&u[0], m);
  rw_put(w, "<td class=\"num\">");
  rw_figure(w, MEASURE[m].id, scope, 0, b, MEASURE[m].money);
  rw_put(w, "</td>");
  if (w->sides < 2) return;
  int64_t r = rw_sum_of(&u[1], m);
  rw_put(w, "<td class=\"num\">");
  rw_figure(w, MEASURE[m].id, scope, 1, r, MEASURE[m].money);
  rw_put(w, "</td><td class=\"");
  rw_put(w, rw_change_class(r - b, lower_is_better));
  rw_put(w, "\">");
  rw_figure(w, MEASURE[m].id, scope, 2, r - b, MEASURE[m].money);
  rw_put(w, "</td>");
}

/* <td> with the relative change (reform - baseline) / baseline. */
void rw_change_pct_cell(W *w, int64_t b, int64_t r) {
  int ok;
  int64_t bp = rw_ratio_bp(r - b, b, &ok);
  rw_put(w, "<td class=\"num\">");
  if (ok) {
    char t[40];
    rw_fmt_bp(bp, 1, t, sizeof t);
    rw_put(w, t);
    rw_put(w, "%");
  } else {
    rw_put(w, "—");
  }
  rw_put(w, "</td>");
}

/* A ratio num / den as "12.34%", or "—". */
void rw_ratio_text(W *w, int64_t num, int64_t den) {
  int ok;
  int64_t bp = rw_ratio_bp(num, den, &ok);
  if (!ok) {
    rw_put(w, "—");
    return;
  }
  char t[40];
  rw_fmt_bp(bp, 0, t, sizeof t);
  rw_put(w, t);
  rw_put(w, "%");
}

/* ---- page parts ------------------------------------------------------------- */

static const char CSS[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f4f5f7;color:#1f2328;font:15px/1.5 \"Noto Sans CJK SC\","
    "\"Source Han Sans SC\",\"PingFang SC\",\"Microsoft YaHei\",\"Hiragino Sans GB\","
    "\"WenQuanYi Micro Hei\",sans-serif}"
    "main{max-width:1180px;margin:0 auto;padding:24px 28px 40px}"
    "header{background:#1d3557;color:#fff;padding:22px 28px}"
    "header .in{max-width:1124px;margin:0 auto}"
    "h1{margin:0;font-size:26px;font-weight:700}"
    "header p{margin:6px 0 0;color:#d8e2f0;font-size:14px}"
    "h2{font-size:19px;margin:34px 0 4px;padding-bottom:4px;border-bottom:2px solid #1d3557}"
    "h2 .en,th .en,.card .en,.lab .en{font-weight:400;color:#5b6573}"
    "h2 .en{font-size:15px;margin-left:6px}"
    "p.lead{margin:4px 0 12px;color:#444;font-size:14px}"
    ".en{color:#5b6573}"
    ".cards{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin-top:14px;"
    "align-items:start}"
    ".cards.one{grid-template-columns:repeat(3,1fr)}"
    ".card{background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:14px 16px}"
    ".card h3{margin:0 0 8px;font-size:15px}"
    ".card h3 .en{display:block;font-size:12px}"
    ".big{font-size:24px;font-weight:700;color:#1d3557;font-variant-numeric:tabular-nums}"
    ".card .row{display:flex;justify-content:space-between;gap:8px;font-size:14px}"
    ".card .row .v{font-variant-numeric:tabular-nums;font-weight:600;white-space:nowrap}"
    ".card .row .lab{color:#333}"
    ".card .row .lab .en{font-size:12px}"
    ".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}"
    ".b{background:#4e79a7}.r{background:#f28e2b}"
    "table{border-collapse:collapse;width:100%;background:#fff;margin-top:10px;"
    "border:1px solid #d9dde3;font-size:14px}"
    "th,td{padding:6px 10px;border-bottom:1px solid #e6e8eb;text-align:left;vertical-align:top}"
    "th{background:#eef1f5;font-weight:600;font-size:13px}"
    "th .en{display:block;font-size:11px}"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "tbody tr:nth-child(even){background:#fafbfc}"
    "tr.total td{font-weight:700;background:#eef1f5}"
    "td.good{color:#1a7f37}td.bad{color:#c0392b}"
    ".id{font-family:\"Noto Sans Mono\",\"DejaVu Sans Mono\",monospace;word-break:break-all}"
    "svg.chart{display:block;width:100%;height:auto;background:#fff;border:1px solid #d9dde3;"
    "border-radius:8px;margin-top:10px}"
    "svg text{font-family:inherit}"
    ".nochange{background:#fff4e5;border:1px solid #e0a030;border-radius:8px;padding:12px 16px;"
    "margin-top:12px}"
    ".nochange ul{margin:6px 0 0;padding-left:20px;font-size:14px}"
    "td.src{font-size:12px;color:#444;max-width:520px}"
    "td.src .from{font-family:\"Noto Sans Mono\",\"DejaVu Sans Mono\",monospace;color:#5b6573}"
    "footer{margin-top:36px;font-size:13px;color:#555;border-top:1px solid #d9dde3;"
    "padding-top:12px}"
    "footer ul{margin:4px 0 8px;padding-left:20px}"
    "footer code{font-family:\"Noto Sans Mono\",\"DejaVu Sans Mono\",monospace}"
    "@media print{body{background:#fff}header{background:#fff;color:#000}"
    "header p{color:#333}.card,table,svg.chart{break-inside:avoid}}";

void rw_h2(W *w, const char *id, const char *zh, const char *en) {
  rw_putf(w, "<section id=\"%s\"><h2>", id);
  rw_put(w, zh);
  rw_put(w, "<span class=\"en\">");
  rw_put(w, en);
  rw_put(w, "</span></h2>\n");
}

/* A header cell "中文<span class=en>English</span>". */
void rw_th(W *w, const char *cls, const char *zh, const char *en) {
  rw_put(w, cls ? "<th class=\"num\">" : "<th>");
  rw_put(w, zh);
  if (en) {
    rw_put(w, "<span class=\"en\">");
    rw_put(w, en);
    rw_put(w, "</span>");
  }
  rw_put(w, "</th>");
}

/* Header cells for baseline [, reform, difference] of one quantity. */
static void th_sides(W *w, const char *what_zh, const char *what_en) {
  char zh[160], en[160];
  if (w->sides < 2) {
    rw_th(w, "num", *what_zh ? what_zh : "数值", *what_en ? what_en : "Value");
    return;
  }
  const char *sep = *what_en ? ": " : "";
  snprintf(zh, sizeof zh, "基线 %s", what_zh);
  snprintf(en, sizeof en, "Baseline%s%s", sep, what_en);
  rw_th(w, "num", zh, en);
  snprintf(zh, sizeof zh, "改革 %s", what_zh);
  snprintf(en, sizeof en, "Reform%s%s", sep, what_en);
  rw_th(w, "num", zh, en);
  rw_th(w, "num", "差额", "Difference");
}

/* ---- the headline ------------------------------------------------------------ */

static void card_row_open(W *w, const char *zh, const char *en, int swatch) {
  rw_put(w, "<div class=\"row\"><span class=\"lab\">");
  if (swatch == 0) rw_put(w, "<span class=\"swatch b\"></span>");
  if (swatch == 1) rw_put(w, "<span class=\"swatch r\"></span>");
  rw_put(w, zh);
  rw_put(w, " <span class=\"en\">");
  rw_put(w, en);
  rw_put(w, "</span></span><span class=\"v\">");
}

static void card_row_close(W *w) {
  rw_put(w, "</span></div>");
}

static void ratio_card_rows(W *w, const sb_sim_result *r, int num, int den) {
  int64_t bp[2];
  for (int s = 0; s < w->sides; s++) {
    if (w->sides == 2)
      card_row_open(w, s ? "改革" : "基线", s ? "Reform" : "Baseline", s);
    else
      card_row_open(w, "本期", "This file", -1);
    rw_ratio_text(w, rw_sum_of(&r->all[s], num), rw_sum_of(&r->all[s], den));
    card_row_close(w);
    int ok;
    bp[s] = rw_ratio_bp(rw_sum_of(&r->all[s], num), rw_sum_of(&r->all[s], den), &ok);
    if (!ok) bp[s] = INT64_MIN;
  }
  if (w->sides == 2 && bp[0] != INT64_MIN && bp[1] != INT64_MIN) {
    char t[40];
    rw_fmt_bp(bp[1] - bp[0], 1, t, sizeof t);
    card_row_open(w, "变化", "Change", -1);
    rw_put(w, t);
    rw_put(w, " 个百分点 pp");
    card_row_close(w);
  }
}

static void headline(W *w, const sb_sim_result *r) {
  const sb_sim_sums *a = r->all;
  rw_h2(w, "headline", "要点", "Headline");
  rw_put(w, w->sides == 2 ? "<div class=\"cards\">" : "<div class=\"cards one\">");

  /* fund payments */
  rw_put(w, "<div class=\"card\"><h3>基金支付合计<span class=\"en\">Total fund payments (元 yuan)"
            "</span></h3>");
  if (w->sides == 2) {
    for (int s = 0; s < 2; s++) {
      card_row_open(w, s ? "改革" : "基线", s ? "Reform" : "Baseline", s);
      rw_figure(w, MEASURE[S_FUND].id, "all", s, a[s].fund, 1);
      card_row_close(w);
    }
    card_row_open(w, "差额", "Difference", -1);
    rw_figure(w, MEASURE[S_FUND].id, "all", 2, a[1].fund - a[0].fund, 1);
    card_row_close(w);
    card_row_open(w, "变化", "Change", -1);
    int ok;
    int64_t bp = rw_ratio_bp(a[1].fund - a[0].fund, a[0].fund, &ok);
    if (ok) {
      char t[40];
      rw_fmt_bp(bp, 1, t, sizeof t);
      rw_put(w, t);
      rw_put(w, "%");
    } else {
      rw_put(w, "—");
    }
    card_row_close(w);
  } else {
    rw_put(w, "<div class=\"big\">");
    rw_figure(w, MEASURE[S_FUND].id, "all", 0, a[0].fund, 1);
    rw_put(w, "</div>");
    card_row_open(w, "医疗总费用", "Total cost", -1);
    rw_figure(w, MEASURE[S_MEDFEE].id, "all", 0, a[0].medfee, 1);
    card_row_close(w);
  }
  rw_put(w, "</div>\n");

  /* reimbursement ratios */
  rw_put(w, "<div class=\"card\"><h3>实际报销比<span class=\"en\">Effective reimbursement ratio "
            "(fund ÷ total cost)</span></h3>");
  ratio_card_rows(w, r, S_FUND, S_MEDFEE);
  rw_put(w, "<h3 style=\"margin-top:10px\">政策范围内报销比<span class=\"en\">Within policy "
            "scope (fund ÷ in-scope cost)</span></h3>");
  ratio_card_rows(w, r, S_FUND, S_INSCP);
  rw_put(w, "</div>\n");

  /* persons */
  rw_put(w, "<div class=\"card\"><h3>就医人数<span class=\"en\">Persons with claims</span></h3>"
            "<div class=\"big\">");
  rw_figure(w, M_PERSONS_WITH_CLAIMS, "all", 0, r->persons_with_claims, 0);
  rw_put(w, "</div>");
  card_row_open(w, "名单人数", "Persons in the registry", -1);
  rw_putf(w, "%lld", (long long)r->persons);
  card_row_close(w);
  card_row_open(w, "结算笔数", "Claims", -1);
  rw_figure(w, MEASURE[S_CLAIMS].id, "all", 0, a[0].claims, 0);
  card_row_close(w);
  rw_put(w, "</div>\n");

  /* gainers and losers */
  if (w->sides == 2) {
    rw_put(w, "<div class=\"card\"><h3>负担减轻 / 加重<span class=\"en\">Gainers / losers "
              "(personal burden down / up)</span></h3>");
    card_row_open(w, "减轻人数", "Gainers", -1);
    figure_sign(w, M_GAINERS, "all", 2, r->gainers, 0, 0);
    card_row_close(w);
    card_row_open(w, "共减轻 (元)", "Burden down by", -1);
    figure_sign(w, M_GAINED, "all", 2, r->gained, 1, 0);
    card_row_close(w);
    card_row_open(w, "加重人数", "Losers", -1);
    figure_sign(w, M_LOSERS, "all", 2, r->losers, 0, 0);
    card_row_close(w);
    card_row_open(w, "共加重 (元)", "Burden up by", -1);
    figure_sign(w, M_LOST, "all", 2, r->lost, 1, 0);
    card_row_close(w);
    rw_put(w, "</div>\n");
  }
  rw_put(w, "</div>\n");

  /* the province's sums */
  rw_put(w, "<table><thead><tr>");
  rw_th(w, NULL, "指标", "Measure");
  th_sides(w, "", "");
  rw_put(w, "</tr></thead><tbody>\n");
  for (int m = 0; m < S_COUNT; m++) {
    rw_put(w, m == S_FUND ? "<tr class=\"total\"><td>" : "<tr><td>");
    rw_put(w, MEASURE[m].zh);
    rw_put(w, " <span class=\"en\">");
    rw_put(w, MEASURE[m].en);
    rw_put(w, MEASURE[m].money ? " (元 yuan)" : "");
    rw_put(w, "</span></td>");
    if (m == S_ALERTS && r->alerts_unknown)
      rw_put(w, "<td class=\"num\">未提供<span class=\"en\">not given (sanbao report "
                "--alerts FILE counts them)</span></td>");
    else
      rw_figure_cells(w, "all", a, m, m == S_PSN);
    rw_put(w, "</tr>\n");
  }
  rw_put(w, "</tbody></table></section>\n");
}

/* ---- charts -------------------------------------------------------------------- */

/* A scale from 0 to at least `max` fen with at most 5 steps of 1, 2 or 5
** times a power of ten display units. */
static int64_t ceil_div(int64_t a, int64_t b) {
  return a > 0 ? (a - 1) / b + 1 : 0;
}

axis rw_make_axis(sb_fen max) {
  axis a;
  a.unit = max >= INT64_C(1000000000) ? UNIT_WAN : UNIT_YUAN; /* from 1000万元 on */
  if (max < 0) max = 0;
  int64_t p = a.unit;
  for (;;) {
    static const int MULT[3] = {1, 2, 5};
    int done = 0;
    for (int i = 0; i < 3 && !done; i++) {
      a.step = p * MULT[i];
      if (ceil_div(max, a.step) <= 5) done = 1;
    }
    if (done) break;
    if (p > INT64_MAX / 100) { /* beyond any real sum: one step to the top */
      a.step = max;
      break;
    }
    p *= 10;
  }
  a.ticks = (int)ceil_div(max, a.step);
  if (a.ticks < 1) a.ticks = 1;
  a.top = a.step * a.ticks;
  return a;
}

/* The y pixel of `v` on a plot from y0 (bottom) up `h` pixels. */
int64_t rw_ypix(const axis *a, sb_fen v, int y0, int h) {
  if (v <= 0) return y0;
  return y0 - (int64_t)(((__int128)v * h + a->top / 2) / a->top);
}

/* Grid lines and tick labels of an axis at x = x0 .. x1. */
void rw_draw_axis(W *w, const axis *a, int x0, int x1, int y0, int h) {
  for (int k = 0; k <= a->ticks; k++) {
    int64_t y = rw_ypix(a, a->step * k, y0, h);
    rw_putf(w, "<line x1=\"%d\" y1=\"%lld\" x2=\"%d\" y2=\"%lld\" stroke=\"%s\"/>", x0,
            (long long)y, x1, (long long)y, k ? "#e3e6ea" : "#888");
    char g[40];
    rw_fmt_grouped_u((uint64_t)(a->step * k / a->unit), g, sizeof g);
    rw_putf(w,
            "<text x=\"%d\" y=\"%lld\" text-anchor=\"end\" font-size=\"12\" fill=\"#555\">%s"
            "</text>",
            x0 - 6, (long long)y + 4, g);
  }
}

static const char *unit_label(const axis *a) {
  return a->unit == UNIT_WAN ? "万元 10k yuan" : "元 yuan";
}

/* A bar with its value label above it (rotated when `vertical`). */
void rw_bar(W *w, const axis *a, int x, int bw, int y0, int h, sb_fen v, int side, int vertical,
            const char *title) {
  int64_t y = rw_ypix(a, v, y0, h);
  rw_putf(w, "<rect x=\"%d\" y=\"%lld\" width=\"%d\" height=\"%lld\" fill=\"%s\">", x, (long long)y,
          bw, (long long)(y0 - y), COLOR[side]);
  rw_put(w, "<title>");
  rw_esc(w, title);
  rw_put(w, "</title></rect>");
  char t[48];
  fmt_amount(v, a->unit, t, sizeof t);
  if (vertical)
    rw_putf(w,
            "<text transform=\"translate(%d %lld) rotate(-90)\" font-size=\"11\" "
            "fill=\"#333\">%s</text>",
            x + bw / 2 + 4, (long long)y - 4, t);
  else
    rw_putf(w,
            "<text x=\"%d\" y=\"%lld\" text-anchor=\"middle\" font-size=\"12\" "
            "fill=\"#222\">%s</text>",
            x + bw / 2, (long long)y - 5, t);
}

void rw_legend(W *w, const sb_report_labels *l, int x, int y) {
  for (int s = 0; s < w->sides; s++) {
    rw_putf(w, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, y + s * 18,
            COLOR[s]);
    rw_putf(w, "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#222\">", x + 18, y + s * 18 + 11);
    if (w->sides == 2) rw_put(w, s ? "改革 Reform: " : "基线 Baseline: ");
    const char *name = s ? l->reform : l->baseline;
    rw_esc(w, name ? name : (s ? "改革 Reform" : "基线 Baseline"));
    rw_put(w, "</text>");
  }
}

/* A rotated axis title "TEXT (UNIT)". */
void rw_y_title(W *w, int x, int y, const char *text, const axis *a) {
  rw_putf(w,
          "<text transform=\"translate(%d %d) rotate(-90)\" text-anchor=\"middle\" "
          "font-size=\"13\" fill=\"#333\">",
          x, y);
  rw_put(w, text);
  rw_put(w, " (");
  rw_put(w, unit_label(a));
  rw_put(w, ")</text>");
}

static void tiers_chart(W *w, const sb_sim_result *r, const sb_report_labels *l) {
  static const struct {
    int m;
    const char *zh, *en;
  } G[4] = {{S_HIFP, "基本医保", "Basic insurance"},
            {S_HIFMI, "大病保险", "Critical illness"},
            {S_MAF, "医疗救助", "Medical assistance"},
            {S_FUND, "合计", "Total"}};
  rw_h2(w, "tiers", "三重保障基金支出", "Fund spending per tier");
  rw_put(w, "<p class=\"lead\">基本医保、大病保险、医疗救助及合计");
  rw_put(w, w->sides == 2 ? "，基线与改革对比" : "");
  rw_put(w, "。<span class=\"en\">Basic insurance, critical illness insurance, medical "
            "assistance and their total");
  rw_put(w, w->sides == 2 ? ", baseline and reform side by side" : "");
  rw_put(w, ".</span></p>\n");
  sb_fen max = 0;
  for (int g = 0; g < 4; g++)
    for (int s = 0; s < w->sides; s++)
      max = sb_max(max, rw_sum_of(&r->all[s], G[g].m));
  axis a = rw_make_axis(max);
  const int W_ = 1100, H_ = 440, x0 = 110, x1 = 1080, y0 = 360, h = 280;
  rw_svg_open(w, "chart-tiers", W_, H_, "Fund spending per tier");
  rw_draw_axis(w, &a, x0, x1, y0, h);
  rw_y_title(w, 30, y0 - h / 2, "基金支出 Fund spending", &a);
  rw_legend(w, l, x0 + 10, 16);
  int gw = (x1 - x0) / 4;
  int bw = w->sides == 2 ? 84 : 110, gap = 14;
  for (int g = 0; g < 4; g++) {
    int cx = x0 + gw * g + gw / 2;
    for (int s = 0; s < w->sides; s++) {
      int x = w->sides == 2 ? (s ? cx + gap / 2 : cx - gap / 2 - bw) : cx - bw / 2;
      char title[160];
      snprintf(title, sizeof title, "%s %s — %s", G[g].zh, G[g].en,
               w->sides == 2 ? (s ? "改革 Reform" : "基线 Baseline") : "本期");
      rw_bar(w, &a, x, bw, y0, h, rw_sum_of(&r->all[s], G[g].m), s, 0, title);
    }
    rw_putf(w,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" "
            "font-weight=\"600\" fill=\"#222\">%s</text>",
            cx, y0 + 24, G[g].zh);
    rw_putf(w,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\" fill=\"#5b6573\">"
            "%s</text>",
            cx, y0 + 42, G[g].en);
  }
  rw_put(w, "</svg></section>\n");
}

static void burden_chart(W *w, const sb_sim_result *r, const sb_report_labels *l) {
  rw_h2(w, "burden", "个人负担分布", "Personal burden distribution");
  rw_put(w, "<p class=\"lead\">就医人员全年个人负担的十分位数（最近秩）及最大值。"
            "<span class=\"en\">Deciles (nearest rank) and maximum of the year's personal burden "
            "over persons with claims. The maximum has its own scale.</span></p>\n");
  sb_fen max = 0, top = 0;
  for (int s = 0; s < w->sides; s++) {
    for (int d = 1; d <= 9; d++)
      max = sb_max(max, r->decile[s][d]);
    top = sb_max(top, r->decile[s][10]);
  }
  axis a = rw_make_axis(max), am = rw_make_axis(top);
  const int W_ = 1100, H_ = 460, x0 = 100, x1 = 850, mx0 = 960, mx1 = 1080, y0 = 380, h = 270;
  rw_svg_open(w, "chart-burden", W_, H_, "Personal burden deciles");
  rw_draw_axis(w, &a, x0, x1, y0, h);
  rw_draw_axis(w, &am, mx0, mx1, y0, h);
  rw_y_title(w, 24, y0 - h / 2, "个人负担 Personal burden", &a);
  rw_y_title(w, 884, y0 - h / 2, "最大值 Maximum", &am);
  rw_legend(w, l, x0 + 10, 14);
  int gw = (x1 - x0) / 9;
  int bw = w->sides == 2 ? 28 : 40, gap = 4;
  for (int d = 1; d <= 10; d++) {
    const axis *ax = d < 10 ? &a : &am;
    int cx = d < 10 ? x0 + gw * (d - 1) + gw / 2 : (mx0 + mx1) / 2;
    for (int s = 0; s < w->sides; s++) {
      int x = w->sides == 2 ? (s ? cx + gap / 2 : cx - gap / 2 - bw) : cx - bw / 2;
      char title[96];
      if (d < 10)
        snprintf(title, sizeof title, "P%d %s", d * 10,
                 w->sides == 2 ? (s ? "改革 Reform" : "基线 Baseline") : "");
      else
        snprintf(title, sizeof title, "最大 Max %s",
                 w->sides == 2 ? (s ? "改革 Reform" : "基线 Baseline") : "");
      rw_bar(w, ax, x, bw, y0, h, r->decile[s][d], s, 1, title);
    }
    if (d < 10)
      rw_putf(w,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\" "
              "font-weight=\"600\" fill=\"#222\">P%d</text>",
              cx, y0 + 22, d * 10);
    else
      rw_putf(w,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\" "
              "font-weight=\"600\" fill=\"#222\">最大 Max</text>",
              cx, y0 + 22);
  }
  rw_putf(w,
          "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\" fill=\"#5b6573\">"
          "百分位 Percentile (就医人数 persons with claims: %lld)</text>",
          (x0 + x1) / 2, y0 + 48, (long long)r->persons_with_claims);
  rw_put(w, "</svg>\n");

  /* the same figures as a table */
  rw_put(w, "<table><thead><tr>");
  rw_th(w, NULL, "", NULL);
  for (int d = 1; d <= 9; d++) {
    char t[8];
    snprintf(t, sizeof t, "P%d", d * 10);
    rw_th(w, "num", t, NULL);
  }
  rw_th(w, "num", "最大", "Max");
  rw_put(w, "</tr></thead><tbody>\n");
  for (int s = 0; s < (w->sides == 2 ? 3 : 1); s++) {
    static const char *const ROW[3] = {"基线 <span class=\"en\">Baseline</span>",
                                       "改革 <span class=\"en\">Reform</span>",
                                       "差额 <span class=\"en\">Difference</span>"};
    rw_put(w, "<tr><td>");
    rw_put(w, w->sides == 2 ? ROW[s]
                            : "个人负担 <span class=\"en\">Personal burden (元 yuan)"
                              "</span>");
    rw_put(w, "</td>");
    for (int d = 1; d <= 10; d++) {
      sb_fen v = s < 2 ? r->decile[s][d] : r->decile[1][d] - r->decile[0][d];
      char m[32];
      snprintf(m, sizeof m, M_DECILE "%d", d);
      rw_burden_cell(w, d < 10 ? m : NULL, s, v);
    }
    rw_put(w, "</tr>\n");
  }
  rw_put(w, "</tbody></table></section>\n");
}

/* ---- tables ----------------------------------------------------------------------- */

static void monitoring_table(W *w, const sb_sim_result *r) {
  rw_h2(w, "monitoring", "因病返贫致贫风险监测", "Persons above monitoring thresholds");
  rw_put(w, "<p class=\"lead\">全年个人负担达到监测线的人数（不论人员类别）。<span class=\"en\">"
            "Persons whose personal burden for the year reached each threshold, whatever their "
            "category.</span></p>\n");
  if (r->n_thresholds == 0) {
    rw_put(w, "<p>政策未设监测规则。<span class=\"en\">The policy has no monitoring rules.</span>"
              "</p></section>\n");
    return;
  }
  rw_put(w, "<table><thead><tr>");
  rw_th(w, NULL, "监测规则", "Rule");
  rw_th(w, "num", "监测线 (元)", "Threshold (yuan)");
  th_sides(w, "人数", "Persons");
  rw_put(w, "</tr></thead><tbody>\n");
  for (int t = 0; t < r->n_thresholds; t++) {
    char scope[96];
    snprintf(scope, sizeof scope, SCOPE_ABOVE "%s", r->threshold_name[t]);
    rw_put(w, "<tr><td class=\"id\">");
    rw_esc(w, r->threshold_name[t]);
    rw_put(w, "</td><td class=\"num\">");
    rw_plain_money(w, r->threshold[t], 0);
    rw_put(w, "</td>");
    for (int s = 0; s < (w->sides == 2 ? 3 : 1); s++) {
      int64_t v = s < 2 ? r->above[s][t] : r->above[1][t] - r->above[0][t];
      rw_put(w, "<td class=\"");
      rw_put(w, s == 2 ? rw_change_class(v, 1) : "num");
      rw_put(w, "\">");
      rw_figure(w, M_ABOVE, scope, s, v, 0);
      rw_put(w, "</td>");
    }
    rw_put(w, "</tr>\n");
  }
  rw_put(w, "</tbody></table></section>\n");
}

int64_t rw_per(int64_t a, int64_t b) {
  if (b <= 0) return 0;
  int64_t q = a / b, rem = a % b;
  if (2 * (rem < 0 ? -rem : rem) >= b) q += a < 0 ? -1 : 1;
  return q;
}

void rw_burden_cell(W *w, const char *measure, int side, sb_fen v) {
  rw_put(w, "<td class=\"");
  rw_put(w, side == 2 ? rw_change_class(v, 1) : "num");
  rw_put(w, "\">");
  if (measure)
    rw_figure(w, measure, "all", side, v, 1);
  else
    rw_plain_money(w, v, side == 2);
  rw_put(w, "</td>");
}

void rw_svg_open(W *w, const char *id, int width, int height, const char *label) {
  rw_putf(w,
          "<svg class=\"chart\" id=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
          "role=\"img\" aria-label=\"%s\">",
          id, width, height, width, height, label);
}

void rw_th_fund(W *w) {
  if (w->sides == 2) {
    rw_th(w, "num", "基金支付 基线", "Fund: baseline");
    rw_th(w, "num", "改革", "Fund: reform");
    rw_th(w, "num", "差额", "Difference");
  } else {
    rw_th(w, "num", "基金支付", "Fund payments");
  }
}

/* The column heads shared by the category and prefecture tables. */
static void breakdown_head(W *w, const char *zh, const char *en, int persons) {
  rw_put(w, "<table><thead><tr>");
  rw_th(w, NULL, zh, en);
  rw_th_fund(w);
  if (w->sides == 2) {
    rw_th(w, "num", "变化", "Change");
    rw_th(w, "num", "个人负担 基线", "Burden: baseline");
    rw_th(w, "num", "改革", "Burden: reform");
  } else {
    rw_th(w, "num", "个人负担", "Personal burden");
    rw_th(w, "num", "实际报销比", "Effective ratio");
  }
  rw_th(w, "num", "结算笔数", "Claims");
  if (persons) {
    rw_th(w, "num", "名单人数", "Persons in the registry");
    rw_th(w, "num", "人均医疗费用", "Cost per person");
    for (int s = 0; s < w->sides; s++)
      rw_th(w, "num",
            s               ? "人均基金支付 改革"
            : w->sides == 2 ? "人均基金支付 基线"
                            : "人均基金支付",
            s               ? "Fund per person: reform"
            : w->sides == 2 ? "Fund per person: baseline"
                            : "Fund per person");
    if (w->sides == 2) {
      rw_th(w, "num", "实际报销比 基线", "Effective ratio: baseline");
      rw_th(w, "num", "改革", "Effective ratio: reform");
    }
  }
  rw_put(w, "</tr></thead><tbody>\n");
}

static void breakdown_cells(W *w, const char *scope, const sb_sim_sums u[2]) {
  rw_figure_cells(w, scope, u, S_FUND, 0);
  if (w->sides == 2) rw_change_pct_cell(w, u[0].fund, u[1].fund);
  for (int s = 0; s < w->sides; s++) {
    rw_put(w, "<td class=\"num\">");
    rw_figure(w, MEASURE[S_PSN].id, scope, s, u[s].psn, 1);
    rw_put(w, "</td>");
  }
  if (w->sides < 2) {
    rw_put(w, "<td class=\"num\">");
    rw_ratio_text(w, u[0].fund, u[0].medfee);
    rw_put(w, "</td>");
  }
  rw_put(w, "<td class=\"num\">");
  rw_figure(w, MEASURE[S_CLAIMS].id, scope, 0, u[0].claims, 0);
  rw_put(w, "</td>");
}

static void category_table(W *w, const sb_sim_result *r) {
  rw_h2(w, "categories", "按人员类别", "By person category");
  rw_put(w, "<p class=\"lead\">仅列有结算的类别；金额单位：元。<span class=\"en\">Categories with "
            "claims only; amounts in yuan.");
  rw_put(w, w->sides == 2 ? " Claims: baseline." : "");
  rw_put(w, "</span></p>\n");
  breakdown_head(w, "人员类别", "Category", 0);
  int shown = 0;
  for (int c = 0; c < SB_CAT_COUNT; c++) {
    const sb_sim_sums *u = r->category[c];
    /* the same rows as sb_sim_csv() */
    if (!u[0].claims && !(w->sides == 2 && u[1].claims) && !u[0].medfee) continue;
    char scope[64];
    snprintf(scope, sizeof scope, "category:%s", sb_category_name(c));
    rw_put(w, "<tr><td>");
    rw_put(w, sb_category_zh(c));
    rw_put(w, " <span class=\"en\">");
    rw_put(w, sb_category_name(c));
    rw_put(w, "</span></td>");
    breakdown_cells(w, scope, u);
    rw_put(w, "</tr>\n");
    shown++;
  }
  if (!shown)
    rw_putf(w, "<tr><td colspan=\"%d\">无结算 <span class=\"en\">No claims</span></td></tr>\n",
            w->sides == 2 ? 9 : 5);
  rw_put(w, "</tbody></table></section>\n");
}

static void region_name(W *w, int32_t code, int with_code) {
  const char *zh = prefecture_zh(code / 100 * 100);
  if (with_code) rw_putf(w, "%06d ", (int)code);
  rw_put(w, zh ? zh : "—");
}

static void prefecture_table(W *w, const sb_sim_result *r) {
  rw_h2(w, "prefectures", "按市州", "By prefecture");
  rw_put(w, "<p class=\"lead\">名单人数为人员名单中该市州的人数（不论参保期）；人均 = 金额 ÷ "
            "名单人数；金额单位：元。<span class=\"en\">Persons in the registry: the "
            "prefecture's persons in the persons file, whatever their enrolment dates; per person "
            "= amount ÷ persons in the registry; amounts in yuan.");
  rw_put(w, w->sides == 2 ? " Claims: baseline." : "");
  rw_put(w, "</span></p>\n");
  breakdown_head(w, "市州", "Prefecture", 1);
  for (int p = 0; p < r->n_pref; p++) {
    char scope[64];
    snprintf(scope, sizeof scope, "prefecture:%06d", (int)r->pref[p]);
    rw_put(w, "<tr><td>");
    region_name(w, r->pref[p], 1);
    rw_put(w, "</td>");
    const sb_sim_sums *u = r->by_pref[p];
    breakdown_cells(w, scope, u);
    int64_t np = r->pref_persons[p];
    rw_putf(w, "<td class=\"num\">%lld</td>", (long long)np);
    const sb_fen per[3] = {np > 0 ? rw_per(u[0].medfee, np) : 0, np > 0 ? rw_per(u[0].fund, np) : 0,
                           np > 0 ? rw_per(u[1].fund, np) : 0};
    for (int k = 0; k < 1 + w->sides; k++) {
      rw_put(w, "<td class=\"num\">");
      if (np > 0)
        rw_plain_money(w, per[k], 0);
      else
        rw_put(w, "—");
      rw_put(w, "</td>");
    }
    for (int s = 0; w->sides == 2 && s < 2; s++) {
      rw_put(w, "<td class=\"num\">");
      rw_ratio_text(w, u[s].fund, u[s].medfee);
      rw_put(w, "</td>");
    }
    rw_put(w, "</tr>\n");
  }
  if (!r->n_pref) rw_putf(w, "<tr><td colspan=\"%d\">—</td></tr>\n", w->sides == 2 ? 15 : 8);
  rw_put(w, "</tbody></table></section>\n");
}

static void top_table(W *w, const sb_sim_result *r) {
  rw_h2(w, "affected", "影响最大的人员", "Most affected persons");
  rw_put(w, "<p class=\"lead\">全年个人负担变化最大的人员（按变化绝对值）。<span class=\"en\">"
            "Persons whose personal burden for the year changed most (by absolute change)."
            "</span></p>\n");
  rw_put(w, "<table><thead><tr>");
  rw_th(w, "num", "#", NULL);
  rw_th(w, NULL, "人员编号", "Person id");
  rw_th(w, NULL, "人员类别", "Category");
  rw_th(w, NULL, "地区", "Region");
  rw_th(w, "num", "个人负担 基线 (元)", "Burden: baseline (yuan)");
  rw_th(w, "num", "改革 (元)", "Burden: reform (yuan)");
  rw_th(w, "num", "变化 (元)", "Change (yuan)");
  rw_th(w, "num", "变化", "Change");
  rw_put(w, "</tr></thead><tbody>\n");
  for (int i = 0; i < r->n_top && i < SB_SIM_TOP; i++) {
    const sb_sim_person_change *c = &r->top[i];
    char id[sizeof c->person_id];
    memcpy(id, c->person_id, sizeof id);
    id[sizeof id - 1] = 0;
    sb_fen d = c->psn[1] - c->psn[0];
    rw_putf(w, "<tr><td class=\"num\">%d</td><td class=\"id\">", i + 1);
    rw_esc(w, id);
    rw_put(w, "</td><td>");
    rw_put(w, sb_category_zh(c->category));
    rw_put(w, " <span class=\"en\">");
    rw_put(w, sb_category_name(c->category));
    rw_put(w, "</span></td><td>");
    region_name(w, c->region, 1);
    rw_put(w, "</td><td class=\"num\">");
    rw_plain_money(w, c->psn[0], 0);
    rw_put(w, "</td><td class=\"num\">");
    rw_plain_money(w, c->psn[1], 0);
    rw_put(w, "</td><td class=\"");
    rw_put(w, rw_change_class(d, 1));
    rw_put(w, "\">");
    rw_plain_money(w, d, 1);
    rw_put(w, "</td>");
    rw_change_pct_cell(w, c->psn[0], c->psn[1]);
    rw_put(w, "</tr>\n");
  }
  if (!r->n_top)
    rw_put(w, "<tr><td colspan=\"8\">无人负担变化 <span class=\"en\">No one's burden changed"
              "</span></td></tr>\n");
  rw_put(w, "</tbody></table></section>\n");
}

/* A sample scaled to the population it stands for (sb_sim_scale). */
static void scale_note(W *w, const sb_sim_result *r) {
  char f[64];
  sb_sim_scale_text(r, f, sizeof f);
  rw_put(w, "<p class=\"nochange\" id=\"scale\">按样本放大：所有金额、笔数和人数均已乘以 <strong>"
            "×");
  rw_esc(w, f);
  rw_put(w, "</strong>（各自四舍五入，分项之和与合计可能相差几分）；百分位数和影响最大的人员为"
            "个人数值，未放大。<span class=\"en\">Scaled from a sample: every amount, count of "
            "claims and count of persons is multiplied by ×");
  rw_esc(w, f);
  rw_put(w, " (each rounded on its own, so parts may differ from their total by a few fen); "
            "percentiles and the most affected persons are one person's figures and are not "
            "scaled.</span></p>\n");
}

static void footer(W *w, const sb_sim_result *r, const sb_report_labels *l) {
  rw_put(w, "<footer><strong>口径说明 <span class=\"en\">Definitions</span></strong><ul>"
            "<li>金额单位为元，保留两位小数，与 CSV 汇总逐字一致。<span class=\"en\">Amounts are "
            "yuan with two decimals, the same text as the summary CSV.</span></li>"
            "<li>实际报销比 = 基金支付合计 ÷ 医疗总费用；政策范围内报销比 = 基金支付合计 ÷ "
            "政策范围内费用。<span class=\"en\">Effective ratio = fund payments ÷ total cost; "
            "within scope = fund payments ÷ in-scope cost.</span></li>"
            "<li>百分比按万分位四舍五入。<span class=\"en\">Percentages are rounded half away from "
            "zero to 0.01%.</span></li>"
            "<li>结算合计为结算行减冲销行。<span class=\"en\">Sums are settled rows minus reversed "
            "rows.</span></li></ul>");
  if (l->n_inputs > 0 && l->inputs) {
    rw_put(w, "<strong>输入文件 <span class=\"en\">Inputs</span></strong><ul>");
    for (int i = 0; i < l->n_inputs; i++) {
      if (!l->inputs[i]) continue;
      rw_put(w, "<li><code>");
      rw_esc(w, l->inputs[i]);
      rw_put(w, "</code></li>");
    }
    rw_put(w, "</ul>");
  }
  rw_putf(w, "<p>年度 Year %d", r->year);
  if (l->note) {
    rw_put(w, " · ");
    rw_esc(w, l->note);
  }
  rw_put(w, "</p></footer>\n");
}

int sb_report_html(const sb_sim_result *r, const sb_report_labels *labels, sb_buf *out) {
  if (!r || (r->sides != 1 && r->sides != 2)) return SB_EINVAL;
  static const sb_report_labels none = {0};
  const sb_report_labels *l = labels ? labels : &none;
  W w = {out, 0, r->sides};
  const char *title = l->title        ? l->title
                      : r->sides == 2 ? "三重保障政策模拟 Three-tier policy what-if"
                                      : "三重保障结算报告 Three-tier settlement report";

  rw_put(&w, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
  rw_esc(&w, title);
  rw_put(&w, "</title>\n<style>");
  rw_put(&w, CSS);
  rw_put(&w, "</style>\n</head>\n<body>\n<header><div class=\"in\"><h1>");
  rw_esc(&w, title);
  rw_putf(&w, "</h1><p>年度 Year %d · ", r->year);
  rw_put(&w, r->sides == 2 ? "基线 Baseline: " : "结算 Settlements: ");
  rw_esc(&w, l->baseline ? l->baseline : "—");
  if (r->sides == 2) {
    rw_put(&w, " · 改革 Reform: ");
    rw_esc(&w, l->reform ? l->reform : "—");
  }
  rw_put(&w, "</p></div></header>\n<main>\n");

  if (r->sides == 2) rw_reform_section(&w, r, l);
  if (r->scale_num != r->scale_den) scale_note(&w, r);
  headline(&w, r);
  tiers_chart(&w, r, l);
  burden_chart(&w, r, l);
  rw_top_chart(&w, r, l);
  rw_bands_chart(&w, r, l);
  monitoring_table(&w, r);
  category_table(&w, r);
  rw_splits_section(&w, r);
  prefecture_table(&w, r);
  rw_assumed_section(&w, l->policy);
  if (r->sides == 2) top_table(&w, r);
  footer(&w, r, l);
  rw_put(&w, "</main>\n</body>\n</html>\n");
  return w.err ? SB_ENOMEM : SB_OK;
}
