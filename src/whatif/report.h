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
**
** What the reform is.  With labels->changes (sb_policy_diff) a two-sided
** page opens with the changed parameters, old → new, each with the JSON
** path, its difference and the baseline's source/note nearest to it; the
** two values are the CSV's reform_change text (sb_reform_changes_csv) in
** <span data-change="PATH" data-side="baseline|reform">, an attribute of
** its own so that the data-measure figures stay those of sb_sim_csv().
** No change at all reads "the reform changes no parameter".  And when
** every figure is the same on both sides (sb_sim_unchanged) the page says
** so plainly at the top, with what can be told of why
** (sb_report_why_unchanged).
*/
#ifndef SANBAO_REPORT_H
#define SANBAO_REPORT_H

#include "io/csv.h"
#include "whatif/merge_patch.h"
#include "whatif/sim.h"

/* What the page and `sanbao simulate` say of a reform that moved nothing. */
#define SB_REPORT_UNCHANGED_ZH "改革未改变任何结果"
#define SB_REPORT_UNCHANGED_EN                                                                     \
  "The reform changes nothing: every figure is the same under the baseline and the reform."
#define SB_REPORT_NO_PARAMETER_ZH "改革未改变任何参数"
#define SB_REPORT_NO_PARAMETER_EN "the reform changes no parameter"

typedef struct sb_report_labels {
  const char *title;         /* the page's title; NULL: a default */
  const char *baseline;      /* the baseline's name, e.g. the policy's; NULL: "基线 Baseline" */
  const char *reform;        /* the reform's name; NULL for a single-file report */
  const char *const *inputs; /* input file names, listed at the foot */
  int n_inputs;
  const char *note; /* how the page was made, e.g. "sanbao 0.1.0 simulate"; may be NULL */
  /* The reform's changed parameters (two sides only); NULL when not known:
  ** the page then says nothing of them. */
  const sb_reform_changes *changes;
  /* The (baseline) policy, for the values its file flags ASSUMED (the
  ** "ASSUMED(...):" heads of its objects' notes): the page lists them in a
  ** section of their own and marks a changed parameter whose baseline value
  ** is one.  NULL: neither. */
  const sb_policy *policy;
} sb_report_labels;

/*
** Append the page for `r` to `out`.  `l` may be NULL (defaults).  All text
** from data and labels is HTML-escaped.  Return 0, SB_EINVAL when r->sides
** is neither 1 nor 2, or SB_ENOMEM (out may then hold part of a page).
*/
int sb_report_html(const sb_sim_result *r, const sb_report_labels *l, sb_buf *out);

/*
** Why a reform changed no figure, as far as the result and the changes
** tell (`changes` may be NULL: not known): plain UTF-8 lines, each ending
** in "\n", appended to `out` — none when nothing can be told.  In order:
** "the reform changes no parameter"; each watched cap (sb_sim_watch_caps):
** whether anyone reached it, how many came within 10% of it and the largest
** yearly amount seen against it; premium parameters (not part of a
** settlement); rows of a category without claims, or of a prefecture
** without persons; then the changed parameters nothing above explains.
** The page lists them under SB_REPORT_UNCHANGED_*; `sanbao simulate` prints
** them on standard error.  Return 0 or SB_ENOMEM.
*/
int sb_report_why_unchanged(const sb_sim_result *r, const sb_reform_changes *changes, sb_buf *out);

#endif
