/*
** sanbao console — one person's view (see person.h): read, and written as
** text or CSV for `sanbao db history --person`.
*/
#include "console/person.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/headers.h"
#include "io/csv.h"
#include "sanbao/array.h"

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n);
  d[n] = 0;
  return d;
}

typedef struct load_ctx {
  sb_person_view *v;
  int64_t cap;
  int oom;
} load_ctx;

static int each_row(void *vctx, const sb_stored_row *r) {
  load_ctx *c = vctx;
  sb_person_view *v = c->v;
  if (sb_array_grow((void **)&v->rows, &c->cap, (int64_t)v->n_rows + 1, sizeof *v->rows))
    return c->oom = 1;
  sb_person_row *p = &v->rows[v->n_rows];
  memset(p, 0, sizeof *p);
  p->seq = r->seq;
  p->status = r->status;
  p->reason = r->reason;
  p->year = r->year;
  p->result = r->result;
  size_t dn = r->date_len < 10 ? r->date_len : 10;
  memcpy(p->date, r->date, dn);
  p->date[dn] = 0;
  if (!(p->claim_id = dup_n(r->claim_id, r->claim_id_len))) return c->oom = 1;
  p->claim_id_len = r->claim_id_len;
  if (r->reverses) {
    if (!(p->reverses = dup_n(r->reverses, r->reverses_len))) return c->oom = 1;
    p->reverses_len = r->reverses_len;
  }
  v->n_rows++;
  return 0;
}

static int each_alert(void *vctx, const sb_stored_alert *a) {
  load_ctx *c = vctx;
  sb_person_view *v = c->v;
  if (sb_array_grow((void **)&v->alerts, &c->cap, (int64_t)v->n_alerts + 1, sizeof *v->alerts))
    return c->oom = 1;
  sb_person_alert *p = &v->alerts[v->n_alerts];
  memset(p, 0, sizeof *p);
  p->seq = a->seq, p->date = a->date, p->psn_ytd = a->psn_ytd, p->threshold = a->threshold;
  v->n_alerts++;
  if (!(p->rule = dup_n(a->rule, strlen(a->rule))) ||
      !(p->claim_id = dup_n(a->claim_id, strlen(a->claim_id))))
    return c->oom = 1;
  return 0;
}

static int each_mark(void *vctx, const sb_alert_mark *m) {
  sb_person_view *v = vctx;
  for (size_t i = 0; i < v->n_alerts; i++)
    if (v->alerts[i].seq == m->seq && strcmp(v->alerts[i].rule, m->rule) == 0) v->alerts[i].marks++;
  return 0;
}

/* The figures of one year that a clerk reads, from the balance. */
static void year_of(sb_person_year *y) {
  const sb_policy *p = y->policy;
  const sb_acc *a = &y->bal.acc;
  y->dedc_cap_left = y->basic_cap_left = y->ci_dedc_left = y->ma_cap_left = -1;
  if (!p) return;
  if (p->annual_deductible_cap != SB_NO_CAP)
    y->dedc_cap_left = sb_cap_left(p->annual_deductible_cap, a->dedc_ytd);
  if (p->basic_annual_cap != SB_NO_CAP)
    y->basic_cap_left = sb_cap_left(p->basic_annual_cap, a->basic_ytd);
  if (y->bal.ci_deductible >= 0) y->ci_dedc_left = sb_cap_left(y->bal.ci_deductible, a->ci_base);
  int cat = y->bal.category;
  if (cat >= 0 && ((p->ma_categories >> cat) & 1) && p->assistance[cat].annual_cap != SB_NO_CAP)
    y->ma_cap_left = sb_cap_left(p->assistance[cat].annual_cap, a->ma_paid);
}

int sb_person_view_load(sb_store *st, sb_live *lv, const char *id, size_t len, sb_person_view *v,
                        sb_error *err) {
  memset(v, 0, sizeof *v);
  if (!(v->id = dup_n(id, len))) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  v->id_len = len;
  const sb_registry *reg = sb_live_registry(lv);
  int32_t k = sb_registry_find(reg, id, len);
  if (k >= 0) {
    size_t hn;
    const char *hh = sb_registry_household(reg, k, &hn);
    int n;
    const sb_interval *iv = sb_registry_intervals(reg, k, &n);
    v->in_registry = 1;
    v->region = sb_registry_region(reg, k);
    v->household = dup_n(hh, hn);
    v->household_len = hn;
    v->intervals = malloc((size_t)(n ? n : 1) * sizeof *iv);
    if (!v->household || !v->intervals) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
    memcpy(v->intervals, iv, (size_t)n * sizeof *iv);
    v->n_intervals = n;
  }
  load_ctx c = {v, 0, 0};
  int rc = st->ops->person_row_each(st, id, len, each_row, &c, err);
  if (rc < 0) return rc;
  if (c.oom) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  load_ctx a = {v, 0, 0};
  if ((rc = st->ops->person_alert_each(st, id, len, each_alert, &a, err)) < 0) return rc;
  if (a.oom) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  if (v->n_alerts && (rc = st->ops->alert_mark_each(st, each_mark, v, err)) < 0) return rc;
  /* the years its settled and reversed rows changed, ascending */
  if (!v->in_registry) return SB_OK;
  for (size_t i = 0; i < v->n_rows; i++) {
    int y = v->rows[i].year, seen = 0;
    if (!y) continue;
    for (int k2 = 0; k2 < v->n_years; k2++)
      seen |= v->years[k2].year == y;
    if (seen) continue;
    sb_person_year *ny = realloc(v->years, (size_t)(v->n_years + 1) * sizeof *ny);
    if (!ny) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
    v->years = ny;
    int at = v->n_years++;
    while (at > 0 && v->years[at - 1].year > y) {
      v->years[at] = v->years[at - 1];
      at--;
    }
    memset(&v->years[at], 0, sizeof v->years[at]);
    v->years[at].year = y;
  }
  for (int i = 0; i < v->n_years; i++) {
    sb_person_year *y = &v->years[i];
    if ((rc = sb_live_balance(lv, v->id, y->year, &y->bal, err))) return rc;
    y->policy = sb_policy_set_find(sb_live_policies(lv), y->year);
    year_of(y);
  }
  return SB_OK;
}

void sb_person_view_free(sb_person_view *v) {
  if (!v) return;
  for (size_t i = 0; i < v->n_rows; i++)
    free(v->rows[i].claim_id), free(v->rows[i].reverses);
  for (size_t i = 0; i < v->n_alerts; i++)
    free(v->alerts[i].rule), free(v->alerts[i].claim_id);
  free(v->rows);
  free(v->alerts);
  free(v->years);
  free(v->intervals);
  free(v->household);
  free(v->id);
  memset(v, 0, sizeof *v);
}

int sb_person_view_found(const sb_person_view *v) {
  return v->in_registry || v->n_rows > 0;
}

/* ---- text and CSV ---- */

static const char *status_word(int s) {
  return s == SB_ROW_SETTLED ? "settled" : s == SB_ROW_REVERSED ? "reversed" : "rejected";
}

static int money_signed(sb_buf *b, sb_fen v) {
  char m[SB_MONEY_BUFSZ];
  size_t n = sb_money_format(v, m);
  return sb_buf_put(b, m, n);
}

/* A cap or deductible left: "-" when there is none (negative). */
static int money_or_dash(sb_buf *b, sb_fen v) {
  if (v < 0) return sb_buf_put(b, "-", 1);
  return money_signed(b, v);
}

int sb_person_view_text(const sb_person_view *v, sb_buf *b) {
  char d1[SB_DATE_BUFSZ], d2[SB_DATE_BUFSZ];
  int e = sb_buf_printf(b, "个人编号 person: %.*s\n", (int)v->id_len, v->id);
  if (v->in_registry) {
    e |= sb_buf_printf(b, "家庭编号 household: %.*s\n地区 region: %06d\n", (int)v->household_len,
                       v->household, (int)v->region);
    e |= sb_buf_printf(b, "人员类别历史 category history:\n");
    for (int i = 0; i < v->n_intervals; i++) {
      const sb_interval *iv = &v->intervals[i];
      if (iv->from == SB_DATE_MIN)
        strcpy(d1, "…");
      else
        sb_date_format(iv->from, d1);
      if (iv->to == SB_DATE_MAX)
        strcpy(d2, "…");
      else
        sb_date_format(iv->to, d2);
      e |= sb_buf_printf(b, "  %s – %s  %s %s\n", d1, d2, sb_category_zh(iv->category),
                         sb_category_name(iv->category));
    }
  } else {
    e |= sb_buf_printf(b, "(不在参保登记中 not in the registry)\n");
  }
  for (int i = 0; i < v->n_years; i++) {
    const sb_person_year *y = &v->years[i];
    const sb_acc *a = &y->bal.acc;
    e |= sb_buf_printf(b, "\n%d 年度 year %d (%s %s)\n", y->year, y->year,
                       y->bal.category >= 0 ? sb_category_zh(y->bal.category) : "-",
                       y->bal.category >= 0 ? sb_category_name(y->bal.category) : "-");
    /* each figure after its label; a label starting with a newline
    ** starts the next tier's line */
    const struct {
      const char *label;
      sb_fen v;
    } f[] = {{"  基本医保 basic: 起付线已付 deductibles ", a->dedc_ytd},
             {", 统筹基金已付 paid ", y->bal.hifp},
             {", 封顶余额 cap left ", y->basic_cap_left},
             {"\n  大病保险 critical illness: 起付线 deductible ", y->bal.ci_deductible},
             {", 累计 base ", a->ci_base},
             {", 起付线剩余 deductible left ", y->ci_dedc_left},
             {", 已付 paid ", a->ci_paid},
             {", 封顶余额 cap left ", y->bal.ci_entitlement_left},
             {"\n  医疗救助 assistance: 已付 paid ", a->ma_paid},
             {", 封顶余额 cap left ", y->ma_cap_left},
             {"\n  再救助 re-assistance: 已付 paid ", a->ra_paid + y->bal.ra_year_end_paid},
             {"\n  个人负担 personal share: ", a->psn_ytd}};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
      e |= sb_buf_printf(b, "%s", f[k].label) | money_or_dash(b, f[k].v);
    e |= sb_buf_put(b, "\n", 1);
  }
  e |= sb_buf_printf(b, "\n结算 claims (%zu):\n", v->n_rows);
  for (size_t i = 0; i < v->n_rows; i++) {
    const sb_person_row *r = &v->rows[i];
    e |= sb_buf_printf(b, "  %s  %.*s  %s", r->date, (int)r->claim_id_len, r->claim_id,
                       status_word(r->status));
    if (r->status == SB_ROW_REJECTED) {
      e |= sb_buf_printf(b, " %s\n", sb_reason_name(r->reason));
      continue;
    }
    e |= sb_buf_printf(b, "  总额 total ");
    e |= money_signed(b, r->result.medfee_sumamt);
    const sb_fen f[] = {r->result.hifp_pay, r->result.hifmi_pay, r->result.maf_pay,
                        r->result.psn_part_amt};
    const char *l[] = {"  统筹 basic ", "  大病 ci ", "  救助 ma ", "  个人 personal "};
    for (int k = 0; k < 4; k++)
      e |= sb_buf_printf(b, "%s", l[k]) | money_signed(b, f[k]);
    if (r->reverses)
      e |= sb_buf_printf(b, "  冲销 reverses %.*s", (int)r->reverses_len, r->reverses);
    e |= sb_buf_put(b, "\n", 1);
  }
  e |= sb_buf_printf(b, "\n预警 alerts (%zu):\n", v->n_alerts);
  for (size_t i = 0; i < v->n_alerts; i++) {
    const sb_person_alert *a = &v->alerts[i];
    sb_date_format(a->date, d1);
    e |= sb_buf_printf(b, "  %s  %s  %s  %s\n", d1, a->rule, a->claim_id,
                       a->marks ? "已处理 handled" : "待处理 open");
  }
  return e ? -1 : 0;
}

#define CSV_COLS 21
static const char *const CSV_EN[CSV_COLS] = {
    "kind",         "person_id", "year",           "claim_id",      "date",
    "status",       "reason",    "category",       "medfee_sumamt", "inscp_scp_amt",
    "act_pay_dedc", "hifp_pay",  "hifmi_pay",      "maf_pay",       "reassist_pay",
    "psn_part_amt", "reverses",  "basic_cap_left", "ci_dedc_left",  "ci_cap_left",
    "ma_cap_left"};
/* One CSV line: texts (NULL: empty) and amounts (has_m; a negative cap
** left, meaning uncapped, is left empty). */
typedef struct csv_line {
  const char *t[CSV_COLS];
  size_t n[CSV_COLS];
  sb_fen m[CSV_COLS];
  int has_m[CSV_COLS];
} csv_line;

/* The first column holding a cap or a deductible left (empty when -1). */
#define CSV_LEFT 17

static int put_line(sb_buf *b, const csv_line *l) {
  int e = 0;
  for (int k = 0; k < CSV_COLS; k++) {
    if (k) e |= sb_buf_put(b, ",", 1);
    if (l->has_m[k] && (k < CSV_LEFT || l->m[k] >= 0)) {
      e |= money_signed(b, l->m[k]);
    } else if (l->t[k]) {
      e |= sb_csv_put_field(b, l->t[k], l->n[k] ? l->n[k] : strlen(l->t[k]));
    }
  }
  return e | sb_buf_put(b, "\n", 1);
}

static void set_m(csv_line *l, int k, sb_fen v) {
  l->m[k] = v, l->has_m[k] = 1;
}

int sb_person_view_csv(const sb_person_view *v, int zh, sb_buf *b) {
  int e = 0;
  for (int k = 0; k < CSV_COLS; k++)
    e |= (k ? sb_buf_put(b, ",", 1) : 0) | sb_buf_printf(b, "%s", CSV_EN[k]);
  e |= sb_buf_put(b, "\n", 1);
  char ybuf[16];
  for (int i = 0; i < v->n_years; i++) {
    const sb_person_year *y = &v->years[i];
    csv_line l = {0};
    snprintf(ybuf, sizeof ybuf, "%d", y->year);
    l.t[0] = "year", l.t[1] = v->id, l.n[1] = v->id_len, l.t[2] = ybuf;
    l.t[7] = y->bal.category >= 0 ? sb_category_name(y->bal.category) : NULL;
    set_m(&l, 10, y->bal.acc.dedc_ytd);
    set_m(&l, 11, y->bal.hifp);
    set_m(&l, 12, y->bal.acc.ci_paid);
    set_m(&l, 13, y->bal.acc.ma_paid);
    set_m(&l, 14, y->bal.acc.ra_paid + y->bal.ra_year_end_paid);
    set_m(&l, 15, y->bal.acc.psn_ytd);
    set_m(&l, 17, y->basic_cap_left);
    set_m(&l, 18, y->ci_dedc_left);
    set_m(&l, 19, y->bal.ci_entitlement_left);
    set_m(&l, 20, y->ma_cap_left);
    e |= put_line(b, &l);
  }
  for (size_t i = 0; i < v->n_rows; i++) {
    const sb_person_row *r = &v->rows[i];
    csv_line l = {0};
    snprintf(ybuf, sizeof ybuf, "%d", r->year);
    l.t[0] = "claim", l.t[1] = v->id, l.n[1] = v->id_len, l.t[2] = r->year ? ybuf : NULL;
    l.t[3] = r->claim_id, l.n[3] = r->claim_id_len, l.t[4] = r->date;
    l.t[5] = status_word(r->status);
    if (r->status == SB_ROW_REJECTED) {
      l.t[6] = sb_reason_name(r->reason);
    } else {
      const sb_result *x = &r->result;
      l.t[7] = sb_category_name(x->category);
      set_m(&l, 8, x->medfee_sumamt);
      set_m(&l, 9, x->inscp_scp_amt);
      set_m(&l, 10, x->act_pay_dedc);
      set_m(&l, 11, x->hifp_pay);
      set_m(&l, 12, x->hifmi_pay);
      set_m(&l, 13, x->maf_pay);
      set_m(&l, 14, x->reassist_pay);
      set_m(&l, 15, x->psn_part_amt);
    }
    if (r->reverses) l.t[16] = r->reverses, l.n[16] = r->reverses_len;
    e |= put_line(b, &l);
  }
  for (size_t i = 0; i < v->n_alerts; i++) {
    const sb_person_alert *a = &v->alerts[i];
    char d[SB_DATE_BUFSZ];
    sb_date_format(a->date, d);
    csv_line l = {0};
    l.t[0] = "alert", l.t[1] = v->id, l.n[1] = v->id_len, l.t[3] = a->claim_id, l.t[4] = d;
    l.t[5] = a->marks ? "handled" : "open", l.t[6] = a->rule;
    set_m(&l, 15, a->psn_ytd);
    e |= put_line(b, &l);
  }
  if (!e && zh) e = sb_csv_zh_header(b);
  return e ? -1 : 0;
}
