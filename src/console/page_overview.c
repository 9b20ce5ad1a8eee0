/*
** sanbao console — /console/: the overview of a year.  Insured persons and
** premiums per prefecture (from the year's enrollments), what each tier
** paid overall and per category with the effective reimbursement ratio,
** re-assistance after the year, the alerts and their handling, today's
** settlements; two SVG bar charts in the style of `sanbao simulate
** --report` (integer geometry: no floating point anywhere).
**
** Its sums are one pass over the year's rows (row_each): about a second
** for a million claims.  That is why it runs on the console's reader
** thread (reader.c), beside the ledger thread, never on it.
*/
#include <stdlib.h>
#include <string.h>

#include "console/console_int.h"
#include "sanbao/array.h"

#define PREF_MAX 512

typedef struct tiers {
  int64_t claims;
  sb_fen medfee, inscp, hifp, hifmi, maf, ra, fund, psn;
} tiers;

typedef struct ov {
  const sb_registry *reg;
  int year;
  char today[11];
  tiers all, cat[SB_CAT_COUNT], today_t;
  int64_t rejected_today;
  struct {
    int32_t code;
    int64_t residents, insured;
    sb_fen premium, subsidy, personal;
  } pref[PREF_MAX];
  int npref;
  int64_t residents, enrolled;
  sb_fen premium, subsidy, personal, ra_year_end;
  int64_t alerts, alerts_handled;
} ov;

/* A reversal row counts -1 claim (net of reversals, as the demo's summary,
** ledger/summary.c, counts), and its negated amounts take its original's
** out of the sums. */
static void add(tiers *t, const sb_result *x, int status) {
  t->claims += status == SB_ROW_REVERSED ? -1 : 1;
  t->medfee += x->medfee_sumamt, t->inscp += x->inscp_scp_amt, t->hifp += x->hifp_pay;
  t->hifmi += x->hifmi_pay, t->maf += x->maf_pay, t->ra += x->reassist_pay;
  t->fund += x->fund_pay_sumamt, t->psn += x->psn_part_amt;
}

static int each_row(void *ctx, const sb_stored_row *r) {
  ov *o = ctx;
  add(&o->all, &r->result, r->status);
  if (r->result.category < SB_CAT_COUNT) add(&o->cat[r->result.category], &r->result, r->status);
  if (r->date_len == 10 && !memcmp(r->date, o->today, 10)) add(&o->today_t, &r->result, r->status);
  return 0;
}

/* The slot of a prefecture (kept in code order); past PREF_MAX, the last. */
static int pref_slot(ov *o, int32_t code) {
  int i = 0;
  while (i < o->npref && o->pref[i].code < code)
    i++;
  if (i < o->npref && o->pref[i].code == code) return i;
  if (o->npref == PREF_MAX) return PREF_MAX - 1;
  memmove(&o->pref[i + 1], &o->pref[i], (size_t)(o->npref - i) * sizeof o->pref[0]);
  memset(&o->pref[i], 0, sizeof o->pref[i]);
  o->pref[i].code = code;
  o->npref++;
  return i;
}

static int each_enrollment(void *ctx, const sb_enrollment *e) {
  ov *o = ctx;
  int32_t k = sb_registry_find(o->reg, e->person_id, e->person_id_len);
  int i = pref_slot(o, k < 0 ? 0 : sb_registry_region(o->reg, k) / 100 * 100);
  o->pref[i].insured++, o->pref[i].premium += e->premium, o->pref[i].subsidy += e->subsidy;
  o->pref[i].personal += e->personal;
  o->enrolled++, o->premium += e->premium, o->subsidy += e->subsidy, o->personal += e->personal;
  return 0;
}

static int each_ra(void *ctx, const char *pid, size_t len, sb_fen paid) {
  (void)pid, (void)len;
  ((ov *)ctx)->ra_year_end += paid;
  return 0;
}

typedef struct alert_count {
  ov *o;
  int64_t *seqs; /* handled (seq, rule) pairs are few: linear lookups */
  char **rules;
  size_t n;
  int64_t cap, rcap;
} alert_count;

static int each_mark(void *ctx, const sb_alert_mark *m) {
  alert_count *c = ctx;
  if (sb_array_grow((void **)&c->seqs, &c->cap, (int64_t)c->n + 1, sizeof *c->seqs) ||
      sb_array_grow((void **)&c->rules, &c->rcap, (int64_t)c->n + 1, sizeof *c->rules))
    return SB_ENOMEM;
  if (!(c->rules[c->n] = strdup(m->rule))) return SB_ENOMEM;
  c->seqs[c->n++] = m->seq;
  return 0;
}

static int each_alert(void *ctx, const sb_stored_alert *a) {
  alert_count *c = ctx;
  if (sb_date_year(a->date) != c->o->year) return 0;
  c->o->alerts++;
  for (size_t i = 0; i < c->n; i++)
    if (c->seqs[i] == a->seq && !strcmp(c->rules[i], a->rule)) {
      c->o->alerts_handled++;
      break;
    }
  return 0;
}

/* part / whole as a percentage with one decimal ("62.5%"), integers only. */
static int pct(sb_buf *b, sb_fen part, sb_fen whole) {
  if (whole <= 0) return sb_buf_printf(b, "<td class=\"n\">-</td>");
  int64_t tenths = (int64_t)(((__int128)part * 1000 + whole / 2) / whole);
  return sb_buf_printf(b, "<td class=\"n\">%lld.%lld%%</td>", (long long)(tenths / 10),
                       (long long)(tenths % 10));
}

/* A vertical bar chart: n bars, label zh / en under each, values in fen
** (money 1) or counts. */
static int bars(sb_buf *b, const char *id, const char *label, int n, const char *const *zh,
                const char *const *en, const int64_t *v, int money) {
  const int W = 900, H = 320, x0 = 60, x1 = 880, y0 = 260, h = 220;
  int64_t max = 1;
  for (int i = 0; i < n; i++)
    if (v[i] > max) max = v[i];
  int e = sb_buf_printf(b,
                        "<svg class=\"chart\" id=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 "
                        "%d %d\" role=\"img\" aria-label=\"%s\">"
                        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>",
                        id, W, H, W, H, label, x0, y0, x1, y0);
  int gw = n ? (x1 - x0) / n : 1, bw = gw * 3 / 5;
  for (int i = 0; i < n; i++) {
    int bh = (int)((__int128)h * (v[i] < 0 ? 0 : v[i]) / max);
    int cx = x0 + gw * i + gw / 2;
    e |= sb_buf_printf(b,
                       "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#4e79a7\">"
                       "<title>",
                       cx - bw / 2, y0 - bh, bw, bh);
    e |= sb_html_text(b, zh[i]) | sb_buf_printf(b, " ");
    if (money)
      e |= sb_html_money(b, v[i]);
    else
      e |= sb_buf_printf(b, "%lld", (long long)v[i]);
    e |= sb_buf_printf(b, "</title></rect><text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", cx,
                       y0 - bh - 4);
    if (money)
      e |= sb_html_money(b, v[i]);
    else
      e |= sb_buf_printf(b, "%lld", (long long)v[i]);
    e |= sb_buf_printf(b,
                       "</text><text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
                       "font-weight=\"600\">",
                       cx, y0 + 18);
    e |= sb_html_text(b, zh[i]) | sb_buf_printf(b,
                                                "</text><text x=\"%d\" y=\"%d\" "
                                                "text-anchor=\"middle\" fill=\"#5b6573\">",
                                                cx, y0 + 34);
    e |= sb_html_text(b, en[i]) | sb_buf_printf(b, "</text>");
  }
  return e | sb_buf_printf(b, "</svg>\n");
}

/* The head of a table of tier_row()s: its id, the first column's title. */
static int tier_head(sb_buf *b, const char *id, const char *first) {
  return sb_buf_printf(b,
                       "<table id=\"%s\"><tr><th>%s</th>"
                       "<th>结算数 <span lang=\"en\">claims</span></th>"
                       "<th>医疗费总额 <span lang=\"en\">total</span></th>"
                       "<th>基本医保 <span lang=\"en\">basic</span></th>"
                       "<th>大病保险 <span lang=\"en\">CI</span></th>"
                       "<th>医疗救助 <span lang=\"en\">MA</span></th>"
                       "<th>倾斜救助 <span lang=\"en\">re-assistance</span></th>"
                       "<th>基金合计 <span lang=\"en\">funds</span></th>"
                       "<th>个人负担 <span lang=\"en\">personal</span></th>"
                       "<th>实际报销比 <span lang=\"en\">effective ratio</span></th></tr>\n",
                       id, first);
}

static int tier_row(sb_buf *b, const char *zh, const char *en, const tiers *t) {
  int e = sb_buf_printf(b, "<tr><th>%s <span lang=\"en\">%s</span></th><td class=\"n\">%lld</td>",
                        zh, en, (long long)t->claims);
  e |= page_money_td(b, t->medfee) | page_money_td(b, t->hifp) | page_money_td(b, t->hifmi);
  e |= page_money_td(b, t->maf) | page_money_td(b, t->ra) | page_money_td(b, t->fund);
  e |= page_money_td(b, t->psn) | pct(b, t->fund, t->medfee);
  return e | sb_buf_printf(b, "</tr>\n");
}

static int latest_year(void *ctx, int year, const char *json) {
  (void)json;
  int *y = ctx;
  if (year > *y) *y = year;
  return 0;
}

int page_overview(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err) {
  ov *o = calloc(1, sizeof *o);
  if (!o) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  o->reg = sb_live_registry(lv);
  o->year = j->year;
  int rc = SB_OK;
  if (!o->year) rc = st->ops->policy_each(st, latest_year, &o->year, err);
  if (!o->year) o->year = atoi(j->now_day);
  memcpy(o->today, j->now_day, 11);
  alert_count ac = {o, NULL, NULL, 0, 0, 0};
  if (!rc) rc = st->ops->row_each(st, o->year, each_row, o, err);
  /* the registry's residents per prefecture: coverage (参保率) is those
  ** enrolled for the year over them, as the demo's summary computes it */
  int32_t nreg = sb_registry_count(o->reg);
  for (int32_t k = 0; k < nreg; k++) {
    o->pref[pref_slot(o, sb_registry_region(o->reg, k) / 100 * 100)].residents++;
    o->residents++;
  }
  if (!rc) rc = st->ops->enrollment_each(st, o->year, each_enrollment, o, err);
  if (!rc) rc = st->ops->reassist_each(st, o->year, each_ra, o, err);
  if (!rc) rc = st->ops->alert_mark_each(st, each_mark, &ac, err);
  if (rc > 0) rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  if (!rc) rc = st->ops->alert_each(st, -1, each_alert, &ac, err);
  for (size_t i = 0; i < ac.n; i++)
    free(ac.rules[i]);
  free(ac.rules), free(ac.seqs);
  if (rc) {
    free(o);
    return rc;
  }
  sb_buf *b = &r->body;
  char title[64];
  snprintf(title, sizeof title, "%d 年度概览", o->year);
  int e = page_headers(r, 200) | page_begin(b, title, "Overview of the year", j);
  e |= sb_buf_printf(b,
                     "<form method=\"get\" action=\"/console/\" class=\"noprint\"><label>年度 "
                     "<span lang=\"en\">year</span> <input name=\"year\" size=\"5\" "
                     "value=\"%d\"></label> <button>显示 <span lang=\"en\">Show</span>"
                     "</button></form>\n",
                     o->year);
  e |= page_assumed(b, sb_policy_set_find(sb_live_policies(lv), o->year));
  /* insured and premiums per prefecture */
  e |=
      sb_buf_printf(b, "<h2>参保与保费 <span lang=\"en\">insured and premiums</span></h2>"
                       "<p>参保率 = 本年度参保人数（<code>sanbao db enroll</code>）/ 登记人数。 "
                       "<span lang=\"en\">Coverage: persons enrolled for the year over the "
                       "registry's residents (against census populations: sanbao db "
                       "coverage).</span></p>"
                       "<table id=\"insured\"><tr><th>地市 <span lang=\"en\">prefecture</span></th>"
                       "<th>登记人数 <span lang=\"en\">residents</span></th>"
                       "<th>参保人数 <span lang=\"en\">insured</span></th>"
                       "<th>参保率 <span lang=\"en\">coverage</span></th>"
                       "<th>保费 <span lang=\"en\">premiums</span></th>"
                       "<th>资助 <span lang=\"en\">subsidies</span></th>"
                       "<th>个人缴费 <span lang=\"en\">paid by persons</span></th></tr>\n");
  const char *pz[PREF_MAX], *pe[PREF_MAX];
  char codes[PREF_MAX][8];
  int64_t pv[PREF_MAX];
  for (int i = 0; i <= o->npref; i++) {
    int all = i == o->npref; /* the total row */
    int64_t res = all ? o->residents : o->pref[i].residents;
    int64_t ins = all ? o->enrolled : o->pref[i].insured;
    if (all)
      e |= sb_buf_printf(b, "<tr class=\"total\"><td>合计 <span lang=\"en\">total</span></td>");
    else {
      snprintf(codes[i], sizeof codes[i], "%06d", (int)o->pref[i].code);
      pz[i] = codes[i], pe[i] = "", pv[i] = ins;
      e |= sb_buf_printf(b, "<tr><td>%s</td>", codes[i]);
    }
    e |= sb_buf_printf(b, "<td class=\"n\">%lld</td><td class=\"n\"%s>%lld</td>", (long long)res,
                       all ? " id=\"enrolled\"" : "", (long long)ins);
    e |= pct(b, ins, res);
    e |= page_money_td(b, all ? o->premium : o->pref[i].premium);
    e |= page_money_td(b, all ? o->subsidy : o->pref[i].subsidy);
    e |= page_money_td(b, all ? o->personal : o->pref[i].personal) | sb_buf_printf(b, "</tr>\n");
  }
  e |= sb_buf_printf(b, "</table>\n");
  if (o->npref)
    e |= bars(b, "chart-insured", "insured per prefecture", o->npref < 12 ? o->npref : 12, pz, pe,
              pv, 0);
  /* the tiers */
  e |= sb_buf_printf(b, "<h2>三重保障支付 <span lang=\"en\">what each tier paid</span></h2>") |
       tier_head(b, "tiers", "人员类别 <span lang=\"en\">category</span>");
  for (int c = 0; c < SB_CAT_COUNT; c++)
    if (o->cat[c].claims) e |= tier_row(b, sb_category_zh(c), sb_category_name(c), &o->cat[c]);
  e |= tier_row(b, "合计", "all", &o->all);
  e |= sb_buf_printf(b, "</table><p>年度后再救助 <span lang=\"en\">re-assistance after the "
                        "year</span>: <span id=\"ra-year-end\">");
  e |= sb_html_money(b, o->ra_year_end) | sb_buf_printf(b, "</span></p>\n");
  static const char *const tz[4] = {"基本医保", "大病保险", "医疗救助", "再救助"};
  static const char *const te[4] = {"basic", "critical illness", "assistance", "re-assistance"};
  int64_t tv[4] = {o->all.hifp, o->all.hifmi, o->all.maf, o->all.ra + o->ra_year_end};
  e |= bars(b, "chart-tiers", "fund spending per tier", 4, tz, te, tv, 1);
  /* alerts and today */
  e |= sb_buf_printf(b,
                     "<h2>预警 <span lang=\"en\">alerts</span></h2><p>本年度预警 <span "
                     "id=\"alerts\">%lld</span> 条，已处理 <span id=\"alerts-handled\">%lld</span>"
                     " 条 <span lang=\"en\">alerts this year, handled</span> — <a "
                     "href=\"/console/alerts?open=1\">待处理工作单 <span lang=\"en\">open "
                     "worklist</span></a></p>\n",
                     (long long)o->alerts, (long long)o->alerts_handled);
  e |= sb_buf_printf(b, "<h2>今日结算 <span lang=\"en\">today's settlements</span> (%s)</h2>",
                     o->today) |
       tier_head(b, "today", "");
  e |= tier_row(b, "今日", "today", &o->today_t) | sb_buf_printf(b, "</table>\n") | page_end(b);
  free(o);
  return e ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK;
}
