/*
** sanbao whatif — what report.c (the page) and report_reform.c (the
** section that says what the reform changes, and why it may move nothing)
** share: the HTML writer.  Not a public interface: callers use report.h.
*/
#ifndef SANBAO_REPORT_INT_H
#define SANBAO_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "io/buf.h"
#include "sanbao/money.h"
#include "whatif/report.h"
#include "whatif/sim.h"

/* The page being written: appends to `b`; `err` is set by the first append
** that fails (out of memory), after which nothing more is written. */
typedef struct W {
  sb_buf *b;
  int err;
  int sides;
} W;

/* The three columns of a figure: its side's name in data-side. */
static const char *const SIDE[3] = {"baseline", "reform", "difference"};

/* Append n bytes, a string, short formatted text (numbers, attributes). */
void rw_putn(W *w, const char *s, size_t n);
void rw_put(W *w, const char *s);
void rw_putf(W *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Text from data or labels, escaped for element content and attributes. */
void rw_esc(W *w, const char *s);

/* A section's opening and title "中文<span class=en>English</span>"; a
** header cell the same way (cls non-NULL: a number column). */
void rw_h2(W *w, const char *id, const char *zh, const char *en);
void rw_th(W *w, const char *cls, const char *zh, const char *en);

/* num / den in basis points, half away from zero (*ok = 0 when den is not
** positive); basis points as "12.34", with "+" for positive when `plus`. */
int64_t rw_ratio_bp(int64_t num, int64_t den, int *ok);
void rw_fmt_bp(int64_t bp, int plus, char *buf, size_t cap);

/* The nine sums of a scope, in the CSV's order. */
enum {
  S_MEDFEE,
  S_INSCP,
  S_HIFP,
  S_HIFMI,
  S_MAF,
  S_RA,
  S_FUND,
  S_PSN,
  S_CLAIMS,
  S_ALERTS,
  S_COUNT
};
static const struct {
  const char *id, *zh, *en;
  int money;
} MEASURE[S_COUNT] = {
    {"medfee_sumamt", "医疗总费用", "Total medical cost", 1},
    {"inscp_scp_amt", "政策范围内费用", "Cost within policy scope", 1},
    {"hifp_pay", "基本医保支付", "Basic insurance", 1},
    {"hifmi_pay", "大病保险支付", "Critical illness insurance", 1},
    {"maf_pay", "医疗救助支付", "Medical assistance", 1},
    {"reassist_pay", "再救助支付", "Re-assistance", 1},
    {"fund_pay_sumamt", "基金支付合计", "Fund payments, total", 1},
    {"psn_part_amt", "个人负担", "Personal burden", 1},
    {"claims", "结算笔数", "Claims settled", 0},
    {"alerts", "监测预警", "Monitoring alerts", 0},
};

/* The sum of measure m (S_*) of a scope. */
int64_t rw_sum_of(const sb_sim_sums *u, int m);

/* ---- figures (report.c) ---- */

/* A figure exactly as the CSV writes it, inside its data-measure element;
** a positive difference (side 2) is signed. */
void rw_figure(W *w, const char *measure, const char *scope, int side, int64_t v, int money);
/* <td>s of one measure of a scope: baseline [, reform, difference]. */
void rw_figure_cells(W *w, const char *scope, const sb_sim_sums u[2], int m, int lower_is_better);
/* A figure the CSV does not hold (the same text form, no attributes). */
void rw_plain_money(W *w, sb_fen v, int plus);
/* A ratio num / den as "12.34%", or "—". */
void rw_ratio_text(W *w, int64_t num, int64_t den);
/* <td> with the relative change (reform - baseline) / baseline. */
void rw_change_pct_cell(W *w, int64_t b, int64_t r);
/* A table cell class for a change: burden down is good, up is bad. */
const char *rw_change_class(int64_t d, int lower_is_better);
/* A non-negative integer with thousands separators. */
void rw_fmt_grouped_u(uint64_t v, char *buf, size_t cap);

/* ---- charts (report.c) ---- */

static const char *const COLOR[2] = {"#4e79a7", "#f28e2b"};

/* Chart units: fen in one display unit. */
#define UNIT_YUAN INT64_C(100)
#define UNIT_WAN INT64_C(1000000) /* 万元 */

typedef struct axis {
  int64_t unit;      /* fen per display unit */
  int64_t step, top; /* fen */
  int ticks;         /* top = ticks * step */
} axis;

/* A scale from 0 to at least `max` fen with at most 5 steps of 1, 2 or 5
** times a power of ten display units. */
axis rw_make_axis(sb_fen max);
/* The y pixel of `v` on a plot from y0 (bottom) up `h` pixels. */
int64_t rw_ypix(const axis *a, sb_fen v, int y0, int h);
/* Grid lines and tick labels of an axis at x = x0 .. x1. */
void rw_draw_axis(W *w, const axis *a, int x0, int x1, int y0, int h);
/* A bar with its value label above it (rotated when `vertical`). */
void rw_bar(W *w, const axis *a, int x, int bw, int y0, int h, sb_fen v, int side, int vertical,
            const char *title);
/* a / b rounded half away from zero (b > 0); 0 when b is not positive:
** the per-visit and per-person figures. */
int64_t rw_per(int64_t a, int64_t b);
/* A <td> of a burden percentile: the CSV's figure `measure` of scope all,
** or with measure NULL (the maximum, not in the CSV) plain money. */
void rw_burden_cell(W *w, const char *measure, int side, sb_fen v);
/* A chart's <svg> element (id and label are ASCII constants, not data). */
void rw_svg_open(W *w, const char *id, int width, int height, const char *label);
/* The header cells of the fund columns: baseline, reform, difference (one
** side: fund payments). */
void rw_th_fund(W *w);
/* The legend of the sides' colours. */
void rw_legend(W *w, const sb_report_labels *l, int x, int y);
/* A rotated axis title "TEXT (UNIT)". */
void rw_y_title(W *w, int x, int y, const char *text, const axis *a);

/* ---- sections (report_splits.c) ---- */

/* By visit type and by institution level (left out when visits_unknown). */
void rw_splits_section(W *w, const sb_sim_result *r);
/* The top of the burden distribution (P90 .. P99.9, maximum). */
void rw_top_chart(W *w, const sb_sim_result *r, const sb_report_labels *l);
/* Persons by burden band, with the monitoring thresholds marked. */
void rw_bands_chart(W *w, const sb_sim_result *r, const sb_report_labels *l);

/* The values the policy flags ASSUMED, when it flags any (report_reform.c). */
void rw_assumed_section(W *w, const sb_policy *p);

/* The section at the top of the simulate page (report_reform.c). */
void rw_reform_section(W *w, const sb_sim_result *r, const sb_report_labels *l);

#endif
