/*
** sanbao whatif — the report's section on what the reform is: the changed
** parameters, baseline → reform, with the policy's notes, and when the
** reform moves nothing, why (report.h).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanbao/money.h"
#include "whatif/merge_patch.h"
#include "whatif/report_int.h"

/* ---- what the reform is ------------------------------------------------------- */

/* What each kind of watched cap bounds, in a person's year (sim.h). */
static const char *cap_words(int kind) {
  switch (kind) {
  case SB_SIM_CAP_BASIC:
    return "basic fund payments for inpatient and chronic care";
  case SB_SIM_CAP_DEDUCTIBLE:
    return "inpatient deductibles";
  case SB_SIM_CAP_CHRONIC:
    return "basic fund payments for chronic care";
  case SB_SIM_CAP_OUTPATIENT:
    return "general outpatient payments";
  case SB_SIM_CAP_CI:
    return "critical-illness payments";
  case SB_SIM_CAP_ASSIST:
    return "medical assistance payments";
  default:
    return "re-assistance payments";
  }
}

/* A cap as the policy file writes it: an amount, or null for none. */
static void cap_text(sb_fen v, char *buf) {
  if (v == SB_NO_CAP)
    snprintf(buf, SB_MONEY_BUFSZ, "null");
  else
    sb_money_format(v, buf);
}

/* One watched cap: did anyone reach the lower of its two values, how many
** came within 10% of it, and the largest yearly amount seen against it. */
static void cap_line(W *w, const sb_sim_cap *c) {
  char a[SB_MONEY_BUFSZ], b[SB_MONEY_BUFSZ], lo[SB_MONEY_BUFSZ], mx[SB_MONEY_BUFSZ],
      nf[SB_MONEY_BUFSZ];
  cap_text(c->cap[0], a);
  cap_text(c->cap[1], b);
  cap_text(c->lower, lo);
  sb_money_format(c->max, mx);
  sb_money_format(c->near_from, nf);
  char cat[80] = "";
  if (c->category >= 0)
    snprintf(cat, sizeof cat, " with a claim of category %s", sb_category_name(c->category));
  rw_putf(w, "%s %s → %s: ", c->path, a, b);
  if (!c->persons) {
    rw_putf(w, "nobody%s had any %s in these data, so the cap could not bind.\n", cat,
            cap_words(c->kind));
    return;
  }
  if (c->reached)
    rw_putf(w, "%lld %s the lower cap, %s, without going past it. ", (long long)c->reached,
            c->reached == 1 ? "person reached" : "people reached", lo);
  else
    rw_putf(w, "nobody reached the lower cap, %s. ", lo);
  int ok;
  char pct[40];
  rw_fmt_bp(rw_ratio_bp(c->max, c->lower, &ok), 0, pct, sizeof pct);
  rw_putf(w,
          "Of the %lld %s%s%s any %s (baseline), %lld came within 10%% of it (%s or more); the "
          "most one person had in the year was %s (%s%% of %s).\n",
          (long long)c->persons, c->persons == 1 ? "person" : "people", cat,
          *cat ? " and" : " with", cap_words(c->kind), (long long)c->near, nf, mx, pct, lo);
}

static int starts(const char *s, const char *prefix) {
  return !strncmp(s, prefix, strlen(prefix));
}

/* The category named in a row's path after `prefix` ("...categories.X.ratio"), or -1. */
static int path_category(const char *path, const char *prefix) {
  if (!starts(path, prefix)) return -1;
  const char *name = path + strlen(prefix), *dot = strchr(name, '.');
  return sb_category_from_name(name, dot ? (size_t)(dot - name) : strlen(name));
}

/* The registry's persons of the prefecture of a region row's path
** ("$.regions.430521.ci_deductible"), or -1 for `default` or when unknown. */
static int64_t region_persons(const sb_sim_result *r, const char *path) {
  static const char P[] = "$.regions.";
  if (!starts(path, P)) return -1;
  const char *d = path + sizeof P - 1;
  int32_t code = 0;
  for (int i = 0; i < 6; i++) {
    if (d[i] < '0' || d[i] > '9') return -1;
    code = code * 10 + (d[i] - '0');
  }
  for (int p = 0; p < r->n_pref && p < SB_SIM_MAX_PREF; p++)
    if (r->pref[p] == code / 100 * 100) return r->pref_persons[p];
  return r->n_pref < SB_SIM_MAX_PREF ? 0 : -1; /* with "the rest" slot in use: unknown */
}

int sb_report_why_unchanged(const sb_sim_result *r, const sb_reform_changes *c, sb_buf *out) {
  W w = {out, 0, 2};
  if (c && !c->n) {
    rw_put(&w,
           SB_REPORT_NO_PARAMETER_ZH ": " SB_REPORT_NO_PARAMETER_EN
                                     "; the patch leaves every value of the baseline as it was.\n");
    return w.err ? SB_ENOMEM : SB_OK;
  }
  int n = c ? c->n : 0;
  unsigned char *told = calloc((size_t)(n ? n : 1), 1);
  if (!told) return SB_ENOMEM;
  for (int i = 0; i < r->n_caps && i < SB_SIM_MAX_CAPS; i++) {
    cap_line(&w, &r->caps[i]);
    for (int k = 0; k < n; k++)
      if (!strcmp(c->items[k].path, r->caps[i].path)) told[k] = 1;
  }
  int premium = 0;
  for (int k = 0; k < n; k++) {
    if (!starts(c->items[k].path, "$.premium.")) continue;
    rw_put(&w, premium++ ? ", " : "");
    rw_put(&w, c->items[k].path);
    told[k] = 1;
  }
  if (premium)
    rw_put(&w, ": premiums and their subsidies (参保资助) are not part of a settlement; simulate "
               "measures settlements only (sanbao premiums computes premiums).\n");
  for (int k = 0; k < n; k++) {
    const char *path = c->items[k].path;
    if (told[k]) continue;
    int cat = path_category(path, "$.assistance.categories.");
    if (cat < 0) cat = path_category(path, "$.reassistance.categories.");
    if (cat >= 0 && !r->category[cat][0].claims && !r->category[cat][1].claims &&
        !r->category[cat][0].medfee) {
      rw_putf(&w, "%s: no claim of category %s (%s) in these data.\n", path, sb_category_name(cat),
              sb_category_zh(cat));
      told[k] = 1;
    }
    if (!told[k] && region_persons(r, path) == 0) {
      rw_putf(&w, "%s: no person of the registry lives in that prefecture.\n", path);
      told[k] = 1;
    }
  }
  int rest = 0;
  for (int k = 0; k < n; k++) {
    if (told[k]) continue;
    rw_put(&w, rest++ ? ", " : "No settlement of these data depended on ");
    rw_put(&w, c->items[k].path);
  }
  if (rest)
    rw_put(&w, " (for instance a level, visit type or category without claims, or a deductible, "
               "cap or threshold that no claim came to).\n");
  free(told);
  return w.err ? SB_ENOMEM : SB_OK;
}

/* A value of the reform table: the CSV's text in a data-change element. */
static void change_value(W *w, const char *path, int side, const char *text) {
  rw_put(w, "<span data-change=\"");
  rw_esc(w, path);
  rw_put(w, "\" data-side=\"");
  rw_put(w, SIDE[side]);
  rw_put(w, "\">");
  rw_esc(w, text);
  rw_put(w, "</span>");
}

/* Is the parameter at JSON path `path` flagged ASSUMED by policy p?  The
** path's last member is the key, the rest the object's path. */
static int path_assumed(const sb_policy *p, const char *path) {
  const char *dot = strrchr(path, '.');
  if (!p || !dot || (size_t)(dot - path) >= SB_CHANGE_PATH) return 0;
  char obj[SB_CHANGE_PATH];
  memcpy(obj, path, (size_t)(dot - path));
  obj[dot - path] = 0;
  return sb_policy_assumed(p, obj, dot + 1);
}

void rw_assumed_section(W *w, const sb_policy *p) {
  int n = 0;
  for (int i = 0; p && i < p->n_notes; i++)
    n += p->notes[i].n_assumed;
  if (!n) return;
  rw_h2(w, "assumed", "假设值", "Values the policy marks ASSUMED");
  rw_putf(w,
          "<p class=\"lead\">政策文件把以下 %d 项参数标为假设值（非官方公布数字）；依赖它们的结果"
          "应谨慎解读。<span class=\"en\">The policy file flags these %d values as assumptions, "
          "not official figures: read the results that depend on them with care.</span></p>\n"
          "<table id=\"assumed-values\"><thead><tr>",
          n, n);
  rw_th(w, NULL, "参数", "Parameter (JSON path)");
  rw_th(w, NULL, "说明", "Note");
  rw_put(w, "</tr></thead><tbody>\n");
  for (int i = 0; i < p->n_notes; i++) {
    const sb_policy_note *nt = &p->notes[i];
    for (int k = 0; k < nt->n_assumed; k++) {
      rw_put(w, "<tr><td class=\"id\">");
      rw_esc(w, nt->path);
      rw_put(w, ".");
      rw_esc(w, nt->assumed[k]);
      rw_put(w, " <strong>（假定 ASSUMED）</strong></td><td class=\"src\">");
      rw_esc(w, nt->note ? nt->note : "—");
      rw_put(w, "</td></tr>\n");
    }
  }
  rw_put(w, "</tbody></table></section>\n");
}

void rw_reform_section(W *w, const sb_sim_result *r, const sb_report_labels *l) {
  const sb_reform_changes *c = l->changes;
  int unchanged = sb_sim_unchanged(r);
  if (!c && !unchanged) return;
  rw_h2(w, "reform", "改革内容", "What the reform changes");
  if (unchanged) {
    rw_put(w, "<div class=\"nochange\" id=\"unchanged\"><strong>" SB_REPORT_UNCHANGED_ZH
              " <span class=\"en\">" SB_REPORT_UNCHANGED_EN "</span></strong>");
    sb_buf why = {0};
    if (sb_report_why_unchanged(r, c, &why) || sb_buf_put(&why, "", 1)) w->err = 1;
    if (!w->err && why.len > 1) {
      rw_put(w, "<ul>");
      for (char *line = why.p; *line;) {
        char *end = strchr(line, '\n');
        if (end) *end = 0;
        rw_put(w, "<li>");
        rw_esc(w, line);
        rw_put(w, "</li>");
        line = end ? end + 1 : line + strlen(line);
      }
      rw_put(w, "</ul>");
    }
    sb_buf_free(&why);
    rw_put(w, "</div>\n");
  }
  if (c && !c->n && !unchanged)
    rw_put(w, "<p class=\"lead\">" SB_REPORT_NO_PARAMETER_ZH
              "。<span class=\"en\">" SB_REPORT_NO_PARAMETER_EN ".</span></p>\n");
  if (c && c->n) {
    rw_putf(
        w,
        "<p class=\"lead\">基线与改革逐项比较（按解析后的数值），共 %d 项参数不同；依据为基线文件中"
        "离该参数最近的 source / note。<span class=\"en\">%d parameter%s differ%s between the "
        "baseline and the reform, compared as parsed; source and note are the baseline file's "
        "nearest to each (the object that carries them is named).</span></p>\n",
        c->n, c->n, c->n == 1 ? "" : "s", c->n == 1 ? "s" : "");
    rw_put(w, "<table id=\"changes\"><thead><tr>");
    rw_th(w, NULL, "参数", "Parameter (JSON path)");
    rw_th(w, "num", "基线", "Baseline");
    rw_th(w, "num", "改革", "Reform");
    rw_th(w, "num", "差额", "Difference");
    rw_th(w, NULL, "依据（基线）", "Source / note of the baseline");
    rw_put(w, "</tr></thead><tbody>\n");
    for (int i = 0; i < c->n; i++) {
      const sb_reform_change *x = &c->items[i];
      rw_put(w, "<tr><td class=\"id\">");
      rw_esc(w, x->path);
      rw_put(w, "</td><td class=\"num\">");
      change_value(w, x->path, 0, x->old_text);
      if (path_assumed(l->policy, x->path)) rw_put(w, " <strong>（假定 ASSUMED）</strong>");
      rw_put(w, "</td><td class=\"num\">→ ");
      change_value(w, x->path, 1, x->new_text);
      rw_put(w, "</td><td class=\"num\">");
      if (x->kind == SB_CHANGE_OTHER) {
        rw_put(w, "—");
      } else {
        char d[SB_CHANGE_TEXT];
        if (x->kind == SB_CHANGE_AMOUNT)
          sb_money_format(x->diff, d);
        else
          sb_ratio_diff_format(x->diff, d, sizeof d);
        if (x->diff > 0) rw_put(w, "+");
        change_value(w, x->path, 2, d);
      }
      rw_put(w, "</td><td class=\"src\">");
      const sb_policy_note *nt = x->note;
      if (!nt) {
        rw_put(w, "—");
      } else {
        rw_put(w, "<span class=\"from\">");
        rw_esc(w, nt->path);
        rw_put(w, "</span>");
        if (nt->source) {
          rw_put(w, "<br>来源 <span class=\"en\">source</span>: ");
          rw_esc(w, nt->source);
        }
        if (nt->note) {
          rw_put(w, "<br>说明 <span class=\"en\">note</span>: ");
          rw_esc(w, nt->note);
        }
      }
      rw_put(w, "</td></tr>\n");
    }
    rw_put(w, "</tbody></table>\n");
  }
  rw_put(w, "</section>\n");
}
