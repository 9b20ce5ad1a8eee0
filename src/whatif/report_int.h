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

/* The section at the top of the simulate page (report_reform.c). */
void rw_reform_section(W *w, const sb_sim_result *r, const sb_report_labels *l);

#endif
