/*
** sanbao console — /console/persons/{id}: what a clerk reads about one
** person (the view of person.h, as HTML).
*/
#include <string.h>

#include "console/console_int.h"
#include "console/person.h"

static int cap_td(sb_buf *b, sb_fen v) {
  if (v >= 0) return page_money_td(b, v);
  return sb_buf_printf(b, "<td class=\"n\">不封顶 <span lang=\"en\">none</span></td>");
}

static int years_table(sb_buf *b, const sb_person_view *v) {
  int e = 0;
  for (int i = 0; i < v->n_years; i++) {
    const sb_person_year *y = &v->years[i];
    const sb_acc *a = &y->bal.acc;
    e |= sb_buf_printf(b,
                       "<h2 id=\"y%d\">%d 年度 <span lang=\"en\">year %d</span> — %s "
                       "<span lang=\"en\">%s</span></h2>\n",
                       y->year, y->year, y->year,
                       y->bal.category >= 0 ? sb_category_zh(y->bal.category) : "-",
                       y->bal.category >= 0 ? sb_category_name(y->bal.category) : "-");
    e |= sb_buf_printf(b, "<table class=\"year\"><tr><th>保障 <span lang=\"en\">tier</span></th>"
                          "<th>已付 <span lang=\"en\">paid</span></th>"
                          "<th>起付线 <span lang=\"en\">deductible</span></th>"
                          "<th>起付线剩余 <span lang=\"en\">deductible left</span></th>"
                          "<th>封顶余额 <span lang=\"en\">cap left</span></th></tr>\n");
    e |= sb_buf_printf(b, "<tr><th>基本医保 <span lang=\"en\">basic</span></th>");
    e |=
        page_money_td(b, y->bal.hifp) | page_money_td(b, a->dedc_ytd) | cap_td(b, y->dedc_cap_left);
    e |= cap_td(b, y->basic_cap_left) | sb_buf_printf(b, "</tr>\n");
    e |= sb_buf_printf(b, "<tr><th>大病保险 <span lang=\"en\">critical illness</span></th>");
    e |= page_money_td(b, a->ci_paid);
    e |= y->bal.ci_deductible >= 0 ? page_money_td(b, y->bal.ci_deductible)
                                   : sb_buf_printf(b, "<td>-</td>");
    e |= y->ci_dedc_left >= 0 ? page_money_td(b, y->ci_dedc_left) : sb_buf_printf(b, "<td>-</td>");
    e |= cap_td(b, y->bal.ci_entitlement_left) | sb_buf_printf(b, "</tr>\n");
    e |= sb_buf_printf(b, "<tr><th>医疗救助 <span lang=\"en\">medical assistance</span></th>");
    e |= page_money_td(b, a->ma_paid) | sb_buf_printf(b, "<td>-</td><td>-</td>");
    e |= cap_td(b, y->ma_cap_left) | sb_buf_printf(b, "</tr>\n");
    e |= sb_buf_printf(b, "<tr><th>再救助 <span lang=\"en\">re-assistance</span></th>");
    e |= page_money_td(b, a->ra_paid + y->bal.ra_year_end_paid);
    e |= sb_buf_printf(b, "<td>-</td><td>-</td><td>-</td></tr>\n");
    e |= sb_buf_printf(b, "<tr class=\"total\"><th>个人负担 <span lang=\"en\">personal "
                          "share</span></th>");
    e |= page_money_td(b, a->psn_ytd) | sb_buf_printf(b, "<td></td><td></td><td></td></tr>");
    e |= sb_buf_printf(b, "</table>\n") | page_assumed(b, y->policy);
  }
  return e ? -1 : 0;
}

static int claims_table(sb_buf *b, const sb_person_view *v) {
  int e = sb_buf_printf(b,
                        "<h2>结算记录 <span lang=\"en\">claims</span> (%zu)</h2>\n"
                        "<table class=\"claims\"><tr><th>日期 <span lang=\"en\">date</span></th>"
                        "<th>结算编号 <span lang=\"en\">claim</span></th>"
                        "<th>状态 <span lang=\"en\">status</span></th>"
                        "<th>医疗费总额 <span lang=\"en\">total</span></th>"
                        "<th>统筹基金 <span lang=\"en\">basic</span></th>"
                        "<th>大病保险 <span lang=\"en\">CI</span></th>"
                        "<th>医疗救助 <span lang=\"en\">MA</span></th>"
                        "<th>个人负担 <span lang=\"en\">personal</span></th></tr>\n",
                        v->n_rows);
  for (size_t i = 0; i < v->n_rows; i++) {
    const sb_person_row *r = &v->rows[i];
    e |= sb_buf_printf(b, "<tr class=\"%s\"><td>", page_status_en(r->status));
    e |= sb_html_text(b, r->date) | sb_buf_printf(b, "</td><td>");
    e |= page_link(b, "claims", r->claim_id, r->claim_id_len);
    e |= sb_buf_printf(b, "</td><td>%s <span lang=\"en\">%s</span>", page_status_zh(r->status),
                       page_status_en(r->status));
    if (r->status == SB_ROW_REJECTED) {
      e |= sb_buf_printf(b, " <code>%s</code></td><td colspan=\"5\">%s</td></tr>\n",
                         sb_reason_name(r->reason), sb_reason_words(r->reason));
      continue;
    }
    if (r->reverses) {
      e |= sb_buf_printf(b, " → ");
      e |= page_link(b, "claims", r->reverses, r->reverses_len);
    }
    e |= sb_buf_printf(b, "</td>");
    const sb_result *x = &r->result;
    e |= page_money_td(b, x->medfee_sumamt) | page_money_td(b, x->hifp_pay) |
         page_money_td(b, x->hifmi_pay) | page_money_td(b, x->maf_pay) |
         page_money_td(b, x->psn_part_amt) | sb_buf_printf(b, "</tr>\n");
  }
  return e | sb_buf_printf(b, "</table>\n");
}

static int alerts_table(sb_buf *b, const sb_person_view *v) {
  int e = sb_buf_printf(b, "<h2>预警 <span lang=\"en\">alerts</span> (%zu)</h2>\n", v->n_alerts);
  if (!v->n_alerts) return e;
  e |= sb_buf_printf(b, "<table><tr><th>日期 <span lang=\"en\">date</span></th>"
                        "<th>规则 <span lang=\"en\">rule</span></th>"
                        "<th>结算编号 <span lang=\"en\">claim</span></th>"
                        "<th>年度个人负担 <span lang=\"en\">personal YTD</span></th>"
                        "<th>阈值 <span lang=\"en\">threshold</span></th>"
                        "<th>处理 <span lang=\"en\">state</span></th></tr>\n");
  for (size_t i = 0; i < v->n_alerts; i++) {
    const sb_person_alert *a = &v->alerts[i];
    char d[SB_DATE_BUFSZ];
    sb_date_format(a->date, d);
    e |= sb_buf_printf(b, "<tr><td>%s</td><td>", d) | sb_html_text(b, a->rule);
    e |= sb_buf_printf(b, "</td><td>") | page_link(b, "claims", a->claim_id, strlen(a->claim_id));
    e |= sb_buf_printf(b, "</td>") | page_money_td(b, a->psn_ytd) | page_money_td(b, a->threshold);
    e |= sb_buf_printf(b, "<td>%s</td></tr>\n",
                       a->marks ? "已处理 <span lang=\"en\">handled</span>"
                                : "待处理 <span lang=\"en\">open</span>");
  }
  return e | sb_buf_printf(b, "</table>\n");
}

int page_person(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err) {
  sb_person_view v;
  int rc = sb_person_view_load(st, lv, j->id, j->id_len, &v, err);
  if (rc) {
    sb_person_view_free(&v);
    return rc;
  }
  int e = 0;
  if (!sb_person_view_found(&v)) {
    e = page_not_found(r, j, "没有这个人员", "no such person", j->id, j->id_len);
  } else {
    sb_buf *b = &r->body;
    e |= page_headers(r, 200) | page_begin(b, "人员", "Person", j);
    e |= sb_buf_printf(b, "<table class=\"person\"><tr><th>个人编号 <span lang=\"en\">person "
                          "id</span></th><td class=\"pid\">");
    e |= sb_html_escape(b, v.id, v.id_len) | sb_buf_printf(b, "</td></tr>");
    if (v.in_registry) {
      e |= sb_buf_printf(b, "<tr><th>家庭编号 <span lang=\"en\">household</span></th><td>");
      e |= sb_html_escape(b, v.household, v.household_len);
      e |= sb_buf_printf(b,
                         "</td></tr><tr><th>地区 <span lang=\"en\">region</span></th>"
                         "<td>%06d</td></tr></table>\n",
                         (int)v.region);
      e |= sb_buf_printf(b, "<h2>人员类别历史 <span lang=\"en\">category history</span></h2>"
                            "<table><tr><th>自 <span lang=\"en\">from</span></th>"
                            "<th>至 <span lang=\"en\">to</span></th>"
                            "<th>类别 <span lang=\"en\">category</span></th></tr>\n");
      for (int i = 0; i < v.n_intervals; i++) {
        char d1[SB_DATE_BUFSZ] = "…", d2[SB_DATE_BUFSZ] = "…";
        if (v.intervals[i].from != SB_DATE_MIN) sb_date_format(v.intervals[i].from, d1);
        if (v.intervals[i].to != SB_DATE_MAX) sb_date_format(v.intervals[i].to, d2);
        e |= sb_buf_printf(b,
                           "<tr><td>%s</td><td>%s</td><td>%s <span lang=\"en\">%s</span>"
                           "</td></tr>\n",
                           d1, d2, sb_category_zh(v.intervals[i].category),
                           sb_category_name(v.intervals[i].category));
      }
      e |= sb_buf_printf(b, "</table>\n");
    } else {
      e |= sb_buf_printf(b, "</table><p class=\"error\">不在参保登记中 <span lang=\"en\">not in "
                            "the registry</span></p>\n");
    }
    e |= years_table(b, &v) | claims_table(b, &v) | alerts_table(b, &v) | page_end(b);
  }
  sb_person_view_free(&v);
  return e ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK;
}
