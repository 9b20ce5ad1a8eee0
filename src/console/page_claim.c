/*
** sanbao console — /console/claims/{id}: a settlement as the printable 结算单
** handed to the patient (amounts per tier and the personal share), what it
** came to in words, its reversal if any, and its fee lines.
*/
#include <stdlib.h>
#include <string.h>

#include "batch/batch.h"
#include "batch/explain.h"
#include "console/console_int.h"
#include "sanbao/array.h"

typedef struct claim_rows {
  sb_stored_row *v; /* copies: texts point into `text` buffers below */
  char **texts;
  size_t n;
  int64_t cap, tcap;
  int oom;
} claim_rows;

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) memcpy(d, s, n), d[n] = 0;
  return d;
}

static int each_row(void *vctx, const sb_stored_row *r) {
  claim_rows *c = vctx;
  if (sb_array_grow((void **)&c->v, &c->cap, (int64_t)c->n + 1, sizeof *c->v) ||
      sb_array_grow((void **)&c->texts, &c->tcap, (int64_t)(c->n + 1) * 4, sizeof *c->texts))
    return c->oom = 1;
  sb_stored_row *d = &c->v[c->n];
  char **t = &c->texts[c->n * 4];
  *d = *r;
  t[0] = dup_n(r->claim_id, r->claim_id_len);
  t[1] = dup_n(r->person_id, r->person_id_len);
  t[2] = dup_n(r->date, r->date_len);
  t[3] = r->reverses ? dup_n(r->reverses, r->reverses_len) : NULL;
  c->n++;
  d->claim_id = t[0], d->person_id = t[1], d->date = t[2], d->reverses = t[3];
  if (!t[0] || !t[1] || !t[2] || (r->reverses && !t[3])) return c->oom = 1;
  return 0;
}

static void rows_free(claim_rows *c) {
  for (size_t i = 0; i < c->n * 4; i++)
    free(c->texts[i]);
  free(c->texts);
  free(c->v);
}

/* One line of the slip: label in Chinese and English, amount. */
static int slip_line(sb_buf *b, const char *zh, const char *en, sb_fen v, int strong) {
  int e = sb_buf_printf(b, "<tr%s><th>%s <span lang=\"en\">%s</span></th>",
                        strong ? " class=\"total\"" : "", zh, en);
  return e | page_money_td(b, v) | sb_buf_printf(b, "</tr>\n");
}

/* The settlement in words, from its stored amounts (Chinese, English beside). */
static int in_words(sb_buf *b, const sb_result *x) {
  char m[8][SB_MONEY_BUFSZ];
  sb_fen own = x->fulamt_ownpay_amt + x->overlmt_selfpay + x->preselfpay_amt;
  const sb_fen v[8] = {x->medfee_sumamt, own,          x->inscp_scp_amt, x->act_pay_dedc,
                       x->hifp_pay,      x->hifmi_pay, x->maf_pay,       x->psn_part_amt};
  for (int k = 0; k < 8; k++)
    sb_money_format(v[k], m[k]);
  int e = sb_buf_printf(b,
                        "<h2>说明 <span lang=\"en\">explanation</span></h2><p>医疗费总额 %s "
                        "元，其中自费与先行自付 %s "
                        "元，符合政策范围的 %s 元。起付线 %s 元由个人承担；基本医保统筹基金支付 %s "
                        "元，大病保险支付 %s "
                        "元，医疗救助支付 %s 元",
                        m[0], m[1], m[2], m[3], m[4], m[5], m[6]);
  if (x->reassist_pay) {
    char r[SB_MONEY_BUFSZ];
    sb_money_format(x->reassist_pay, r);
    e |= sb_buf_printf(b, "，倾斜救助支付 %s 元", r);
  }
  e |= sb_buf_printf(b, "；个人负担 %s 元。</p>\n", m[7]);
  e |= sb_buf_printf(b,
                     "<p lang=\"en\">Total %s yuan, of which %s paid by the patient outright "
                     "(self-paid and paid first) and %s within the policy's scope. The "
                     "deductible %s is the patient's; the basic fund paid %s, critical-illness "
                     "insurance %s, medical assistance %s%s; the patient's share is %s.</p>\n",
                     m[0], m[1], m[2], m[3], m[4], m[5], m[6],
                     x->reassist_pay ? " (and re-assistance as shown above)" : "", m[7]);
  return e;
}

static int fee_line(void *ctx, const sb_stored_fee_line *l) {
  sb_buf *b = ctx;
  int e = sb_buf_printf(b, "<tr><td>%d</td><td>", (int)l->line_no);
  e |= sb_html_escape(b, l->sn, l->sn_len) | sb_buf_printf(b, "</td><td>");
  e |= sb_html_escape(b, l->code, l->code_len) | sb_buf_printf(b, "</td>");
  if (l->status == SB_FEE_BAD)
    return e | sb_buf_printf(b,
                             "<td colspan=\"4\">无效 <span lang=\"en\">bad line</span></td></tr>\n")
               ? SB_ENOMEM
               : 0;
  e |= page_money_td(b, l->amounts.amt) | page_money_td(b, l->amounts.fulamt) |
       page_money_td(b, l->amounts.over) | page_money_td(b, l->amounts.pre);
  return e | sb_buf_printf(b, "</tr>\n") ? SB_ENOMEM : 0;
}

/*
** How each amount came, in the engine's own words (src/batch/explain.c,
** what `sanbao settle --explain` prints): the settlement is computed again
** from the person-year's state before it, and shown only when that gives
** back exactly the stored amounts.
**
** The state before a claim is the sum of the person's rows of the year
** settled before it (sb_acc_apply adds and takes away, so their order does
** not matter, only which they are): a row of another run received before
** it (seq); of the same import, a row before it in canonical order (date,
** claim id, then position: docs/reference/settlement.md §4 — an import
** settles its file in that order, after everything before it); of the
** same server run, a row received before it.  What cannot be recomputed
** the same way (a registry changed since, a policy replaced) fails the
** comparison and the page says so instead of explaining other amounts.
** Returns 0 (shown, or said why not) or SB_E*.
*/
static int canon_before(const sb_stored_row *r, const sb_stored_row *x) {
  size_t dn = r->date_len < x->date_len ? r->date_len : x->date_len;
  int c = memcmp(r->date, x->date, dn);
  if (!c) c = (r->date_len > x->date_len) - (r->date_len < x->date_len);
  if (c) return c < 0;
  size_t n = r->claim_id_len < x->claim_id_len ? r->claim_id_len : x->claim_id_len;
  c = memcmp(r->claim_id, x->claim_id, n);
  if (!c) c = (r->claim_id_len > x->claim_id_len) - (r->claim_id_len < x->claim_id_len);
  return c ? c < 0 : r->seq < x->seq;
}

static int same_amounts(const sb_result *a, const sb_result *b) {
  return a->medfee_sumamt == b->medfee_sumamt && a->inscp_scp_amt == b->inscp_scp_amt &&
         a->act_pay_dedc == b->act_pay_dedc && a->hifp_pay == b->hifp_pay &&
         a->hifmi_pay == b->hifmi_pay && a->maf_pay == b->maf_pay &&
         a->reassist_pay == b->reassist_pay && a->psn_part_amt == b->psn_part_amt &&
         a->flags == b->flags && a->category == b->category;
}

/* The rules that fired on claim row `seq` (as stored): a bit per rule of
** the policy, by name. */
typedef struct fired_ctx {
  int64_t seq;
  const sb_policy *p;
  uint32_t bits;
} fired_ctx;

static int each_fired(void *ctx, const sb_stored_alert *a) {
  fired_ctx *f = ctx;
  if (a->seq != f->seq) return 0;
  for (int k = 0; k < f->p->n_rules; k++)
    if (!strcmp(f->p->rules[k].name, a->rule)) f->bits |= 1u << k;
  return 0;
}

static int engine_words(sb_buf *b, const sb_stored_row *x, sb_store *st, sb_live *lv,
                        sb_error *err) {
  static const char head[] = "<h2>计算过程 <span lang=\"en\">how each amount came</span></h2>";
  const sb_registry *reg = sb_live_registry(lv);
  const sb_policy *p = sb_policy_set_find(sb_live_policies(lv), x->year);
  int32_t k = sb_registry_find(reg, x->person_id, x->person_id_len);
  sb_fen T = 0;
  if (!x->has_claim || !p || k < 0 || sb_policy_ci_deductible(p, sb_registry_region(reg, k), &T))
    return SB_OK; /* nothing to recompute against: the summary above stands alone */
  char kind[32], source[128];
  int rc = st->ops->run_get(st, x->run_id, kind, sizeof kind, source, sizeof source, err);
  if (rc < 0) return rc;
  int serve = rc == 1 && !strcmp(kind, "serve");
  claim_rows c = {0};
  if ((rc = st->ops->person_row_each(st, x->person_id, x->person_id_len, each_row, &c, err)) < 0 ||
      c.oom) {
    rows_free(&c);
    return rc < 0 ? rc : sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  }
  sb_acc acc;
  memset(&acc, 0, sizeof acc);
  for (size_t i = 0; i < c.n; i++) {
    const sb_stored_row *r = &c.v[i];
    if (r->seq == x->seq || r->year != x->year || r->status == SB_ROW_REJECTED) continue;
    int before = r->run_id == x->run_id && !serve ? canon_before(r, x) : r->seq < x->seq;
    if (!before) continue;
    if (r->status == SB_ROW_SETTLED) {
      sb_acc_apply(&acc, &r->result, +1);
    } else { /* a reversal takes its original away again */
      sb_result orig;
      sb_result_negate(&r->result, &orig);
      sb_acc_apply(&acc, &orig, -1);
    }
  }
  rows_free(&c);
  sb_trace *t = malloc(sizeof *t);
  sb_buf text = {0};
  if (!t) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  t->n = 0;
  sb_person_ctx who = {x->result.category, T};
  sb_result res;
  sb_settle(p, &who, &acc, &x->claim, &res, t);
  /* the alerts it raised, as the run's step adds them (core/run.c) */
  fired_ctx f = {x->seq, p, 0};
  if ((rc = st->ops->person_alert_each(st, x->person_id, x->person_id_len, each_fired, &f, err)) <
      0) {
    free(t);
    return rc;
  }
  sb_acc after = acc;
  sb_acc_apply(&after, &res, +1);
  for (int r = 0; r < p->n_rules; r++)
    if ((f.bits >> r) & 1)
      sb_trace_add(t, SB_STEP_ALERT, r, after.psn_ytd, p->rules[r].threshold, 0);
  int e = sb_buf_put(b, head, sizeof head - 1);
  if (!same_amounts(&res, &x->result)) {
    e |= sb_buf_printf(b,
                       "<p>计算过程无法重现（登记或政策已变更）。 <span lang=\"en\">The settlement "
                       "cannot be recomputed from today's registry and policy to the same "
                       "amounts (one of them changed since): the stored amounts above are what "
                       "was paid.</span></p>\n");
  } else {
    sb_explain_ctx xc = {x->claim_id,
                         x->person_id,
                         x->claim_id_len,
                         x->person_id_len,
                         x->claim.date,
                         sb_registry_region(reg, k),
                         p,
                         &acc};
    e |= sb_explain_render(&xc, t, &res, &text) != 0;
    e |= sb_buf_printf(b, "<pre class=\"explain\">") | sb_html_escape(b, text.p, text.len);
    e |= sb_buf_printf(b, "</pre>\n");
  }
  sb_buf_free(&text);
  free(t);
  return e ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK;
}

/* The 结算单 of a settled or reversal row. */
static int slip(sb_buf *b, const sb_stored_row *row, sb_store *st, sb_live *lv, sb_error *err) {
  const sb_result *x = &row->result;
  int e = sb_buf_printf(b,
                        "<section class=\"slip\"><h2>%s医疗费用结算单</h2>"
                        "<p class=\"noprint\" lang=\"en\">Settlement slip%s — print it with "
                        "the browser (Ctrl+P): the navigation is left out.</p>"
                        "<table class=\"slip-head\"><tr><th>结算编号</th><td>",
                        row->status == SB_ROW_REVERSED ? "冲销 · " : "",
                        row->status == SB_ROW_REVERSED ? " (reversal)" : "");
  e |= sb_html_escape(b, row->claim_id, row->claim_id_len);
  e |= sb_buf_printf(b, "</td><th>个人编号</th><td>");
  e |= page_link(b, "persons", row->person_id, row->person_id_len);
  e |= sb_buf_printf(b, "</td></tr><tr><th>结算日期</th><td>");
  e |= sb_html_escape(b, row->date, row->date_len);
  e |= sb_buf_printf(b,
                     "</td><th>人员类别</th><td>%s</td></tr><tr><th>就诊类型</th><td>%s</td>"
                     "<th>医院等级</th><td>%s</td></tr></table>\n",
                     sb_category_zh(x->category), sb_visit_zh(x->visit), sb_level_zh(x->level));
  if (row->reverses) {
    e |= sb_buf_printf(b, "<p>冲销原结算 <span lang=\"en\">reverses</span> ");
    e |= page_link(b, "claims", row->reverses, row->reverses_len) | sb_buf_printf(b, "</p>");
  }
  e |= sb_buf_printf(b, "<table class=\"amounts\">");
  e |= slip_line(b, "医疗费总额", "total", x->medfee_sumamt, 0);
  e |= slip_line(b, "全自费金额", "wholly self-paid", x->fulamt_ownpay_amt, 0);
  e |= slip_line(b, "超限价自费", "above price limits", x->overlmt_selfpay, 0);
  e |= slip_line(b, "先行自付", "paid first", x->preselfpay_amt, 0);
  e |= slip_line(b, "符合政策范围金额", "within scope", x->inscp_scp_amt, 0);
  e |= slip_line(b, "起付线", "deductible", x->act_pay_dedc, 0);
  e |= slip_line(b, "基本医保统筹基金支付", "basic fund", x->hifp_pay, 1);
  e |= slip_line(b, "大病保险支付", "critical-illness insurance", x->hifmi_pay, 1);
  e |= slip_line(b, "医疗救助支付", "medical assistance", x->maf_pay, 1);
  if (x->reassist_pay) e |= slip_line(b, "倾斜救助支付", "re-assistance", x->reassist_pay, 1);
  e |= slip_line(b, "基金支付合计", "funds in all", x->fund_pay_sumamt, 0);
  e |= slip_line(b, "个人负担", "patient's share", x->psn_part_amt, 1);
  e |= sb_buf_printf(b, "</table><p class=\"sign\">经办机构（盖章）：　　　　　　　患者签字："
                        "</p></section>\n");
  e |= in_words(b, x);
  if (e) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  int rc;
  if (row->status == SB_ROW_SETTLED && (rc = engine_words(b, row, st, lv, err))) return rc;
  if (page_assumed(b, sb_policy_set_find(sb_live_policies(lv), row->year)))
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  /* its fee lines (费用明细), as stored with it */
  size_t mark = b->len;
  e = sb_buf_printf(b, "<h2>费用明细 <span lang=\"en\">fee lines</span></h2><table><tr><th>#</th>"
                       "<th>流水号 <span lang=\"en\">sn</span></th>"
                       "<th>目录编码 <span lang=\"en\">code</span></th>"
                       "<th>金额 <span lang=\"en\">amount</span></th>"
                       "<th>全自费 <span lang=\"en\">self-paid</span></th>"
                       "<th>超限价 <span lang=\"en\">over limit</span></th>"
                       "<th>先行自付 <span lang=\"en\">paid first</span></th></tr>\n");
  size_t head = b->len;
  rc = e ? SB_ENOMEM : st->ops->fee_line_each(st, row->seq, fee_line, b, err);
  if (rc < 0) return rc;
  if (rc) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  if (b->len == head)
    b->len = mark; /* no fee lines: no table */
  else if (sb_buf_printf(b, "</table>\n"))
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  return SB_OK;
}

int page_claim(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err) {
  claim_rows c = {0};
  int rc = st->ops->claim_row_each(st, j->id, j->id_len, each_row, &c, err);
  if (rc < 0 || c.oom) {
    rows_free(&c);
    return rc < 0 ? rc : sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  }
  /* the row that holds the id (settled or a reversal), else the last row
  ** received with it (rejected) */
  const sb_stored_row *main = NULL;
  for (size_t i = 0; i < c.n; i++) {
    const sb_stored_row *x = &c.v[i];
    int mine = x->claim_id_len == j->id_len && !memcmp(x->claim_id, j->id, j->id_len);
    if (!mine) continue;
    if (x->status != SB_ROW_REJECTED) {
      main = x;
      break;
    }
    main = x;
  }
  int e = 0;
  if (!main) {
    e = page_not_found(r, j, "没有这个结算", "no such claim", j->id, j->id_len);
  } else {
    sb_buf *b = &r->body;
    e |= page_headers(r, 200) | page_begin(b, "结算", "Claim", j);
    if (main->status == SB_ROW_REJECTED) {
      e |= sb_buf_printf(b,
                         "<p class=\"error\">拒付 <span lang=\"en\">rejected</span>: <code>%s"
                         "</code> %s</p><p>个人编号 <span lang=\"en\">person</span> ",
                         sb_reason_name(main->reason), sb_reason_words(main->reason));
      e |= page_link(b, "persons", main->person_id, main->person_id_len);
      e |= sb_buf_printf(b, "</p>");
    } else if (!e && (rc = slip(b, main, st, lv, err))) {
      rows_free(&c);
      return rc;
    }
    /* every other row about this id: its reversal, rejected resubmissions */
    int any = 0;
    for (size_t i = 0; i < c.n; i++) {
      const sb_stored_row *x = &c.v[i];
      if (x == main) continue;
      if (!any++)
        e |= sb_buf_printf(b, "<h2>相关记录 <span lang=\"en\">related rows</span></h2><table>"
                              "<tr><th>日期 <span lang=\"en\">date</span></th>"
                              "<th>结算编号 <span lang=\"en\">claim</span></th>"
                              "<th>状态 <span lang=\"en\">status</span></th>"
                              "<th>统筹基金 <span lang=\"en\">basic</span></th>"
                              "<th>个人负担 <span lang=\"en\">personal</span></th></tr>\n");
      e |= sb_buf_printf(b, "<tr class=\"%s\"><td>", page_status_en(x->status));
      e |= sb_html_escape(b, x->date, x->date_len) | sb_buf_printf(b, "</td><td>");
      e |= page_link(b, "claims", x->claim_id, x->claim_id_len);
      e |= sb_buf_printf(b, "</td><td>%s <span lang=\"en\">%s</span>%s%s</td>",
                         page_status_zh(x->status), page_status_en(x->status),
                         x->status == SB_ROW_REJECTED ? " " : "",
                         x->status == SB_ROW_REJECTED ? sb_reason_name(x->reason) : "");
      if (x->status == SB_ROW_REJECTED)
        e |= sb_buf_printf(b, "<td></td><td></td></tr>\n");
      else
        e |= page_money_td(b, x->result.hifp_pay) | page_money_td(b, x->result.psn_part_amt) |
             sb_buf_printf(b, "</tr>\n");
    }
    if (any) e |= sb_buf_printf(b, "</table>\n");
    e |= page_end(b);
  }
  rows_free(&c);
  return e ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK;
}
