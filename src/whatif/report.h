/*
** sanbao adapters — the what-if report: one self-contained HTML5 page
** (`sanbao simulate --report`, `sanbao report`) for a reader who will not
** open the CSV.
**
** The page is UTF-8 with inline CSS and two inline SVG charts; it loads
** nothing (no script, no font, no image, no link) so it can be mailed or
** opened offline.  Labels are Chinese and English side by side.
**
** Numbers and the CSV.  Every figure on the page that sb_sim_csv() also
** writes is printed as the very same text (yuan with two decimals from
** sb_money_format, counts in decimal) inside an element
**
**     <span data-measure="MEASURE" data-scope="SCOPE" data-side="SIDE">TEXT</span>
**
** with MEASURE and SCOPE as in the CSV's first two columns and SIDE one of
** baseline, reform, difference (the CSV column), so a test can compare the
** page with the CSV.  A sign shown before a positive difference ("+") is
** outside the element.  Figures that the CSV does not hold (ratios and
** percentages, chart labels in 万元, the maximum burden, the most affected
** persons) carry no such attribute.  Percentages are integer basis points
** rounded half away from zero; chart geometry is integer arithmetic too: no
** floating point touches money.
**
** With r->sides == 1 (one settlements file) the page has one column of
** figures and no reform, difference, gainers/losers or most-affected parts.
*/
#ifndef SANBAO_REPORT_H
#define SANBAO_REPORT_H

#include "io/csv.h"
#include "whatif/sim.h"

typedef struct sb_report_labels {
  const char *title;         /* the page's title; NULL: a default */
  const char *baseline;      /* the baseline's name, e.g. the policy's; NULL: "基线 Baseline" */
  const char *reform;        /* the reform's name; NULL for a single-file report */
  const char *const *inputs; /* input file names, listed at the foot */
  int n_inputs;
  const char *note; /* how the page was made, e.g. "sanbao 0.1.0 simulate"; may be NULL */
} sb_report_labels;

/*
** Append the page for `r` to `out`.  `l` may be NULL (defaults).  All text
** from data and labels is HTML-escaped.  Return 0, SB_EINVAL when r->sides
** is neither 1 nor 2, or SB_ENOMEM (out may then hold part of a page).
*/
int sb_report_html(const sb_sim_result *r, const sb_report_labels *l, sb_buf *out);

#endif
