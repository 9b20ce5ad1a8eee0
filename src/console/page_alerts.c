/*
** sanbao console — /console/alerts: the worklist of poverty-risk alerts
** (因病返贫致贫风险预警), filtered and paged, with the clerks' handled marks
** (append-only: who, when, what); and /console/search.
*/
#include <stdlib.h>
#include <string.h>

#include "console/console_int.h"
#include "sanbao/array.h"

/* ---- the handled marks, read once per page ---- */

typedef struct mark {
  int64_t seq;
  char *rule, *who, *at, *note;
} mark;

typedef struct marks {
  mark *v;
  size_t n;
  int64_t cap;
  int oom;
} marks;

static int each_mark(void *ctx, const sb_alert_mark *m) {
  marks *ms = ctx;
  if (sb_array_grow((void **)&ms->v, &ms->cap, (int64_t)ms->n + 1, sizeof *ms->v))
    return ms->oom = 1;
  mark *d = &ms->v[ms->n++];
  d->seq = m->seq;
  d->rule = strdup(m->rule), d->who = strdup(m->who), d->at = strdup(m->at);
  d->note = strdup(m->note);
  if (!d->rule || !d->who || !d->at || !d->note) return ms->oom = 1;
  return 0;
}

static void marks_free(marks *ms) {
  for (size_t i = 0; i < ms->n; i++)
    free(ms->v[i].rule), free(ms->v[i].who), free(ms->v[i].at), free(ms->v[i].note);
  free(ms->v);
}

static int by_seq(const void *a, const void *b) {
  const mark *x = a, *y = b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The first mark of claim row `seq` (marks sorted by seq, stable within
** one seq in the order recorded), or NULL. */
static const mark *first_mark(const marks *ms, int64_t seq) {
  size_t lo = 0, hi = ms->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (ms->v[mid].seq < seq)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < ms->n && ms->v[lo].seq == seq ? &ms->v[lo] : NULL;
}

static int handled(const marks *ms, int64_t seq, const char *rule) {
  for (const mark *m = first_mark(ms, seq); m && m < ms->v + ms->n && m->seq == seq; m++)
    if (!strcmp(m->rule, rule)) return 1;
  return 0;
}

static int read_marks(sb_store *st, marks *ms, sb_error *err) {
  int rc = st->ops->alert_mark_each(st, each_mark, ms, err);
  if (rc < 0) return rc;
  if (ms->oom) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  /* merge order (stable) matters only within one seq: insertion sort
  ** keeps it and marks are appended in roughly seq order anyway */
  for (size_t i = 1; i < ms->n; i++)
    for (size_t k = i; k > 0 && by_seq(&ms->v[k - 1], &ms->v[k]) > 0; k--) {
      mark t = ms->v[k];
      ms->v[k] = ms->v[k - 1], ms->v[k - 1] = t;
    }
  return SB_OK;
}

/* ---- the worklist ---- */

typedef struct list_ctx {
  const sb_console_job *j;
  const sb_registry *reg;
  const marks *ms;
  sb_buf *b;
  long matched, shown;
  int e;
} list_ctx;

static int32_t prefecture_of(const sb_registry *reg, const char *pid) {
  int32_t k = sb_registry_find(reg, pid, strlen(pid));
  return k < 0 ? 0 : sb_registry_region(reg, k) / 100 * 100;
}

/* The filter's fields as hidden inputs (so a mark returns to the same page). */
static int filter_fields(sb_buf *b, const sb_console_job *j) {
  char d[SB_DATE_BUFSZ];
  int e = sb_buf_printf(b, "<input type=\"hidden\" name=\"f_rule\" value=\"");
  e |= sb_html_text(b, j->rule) | sb_buf_printf(b, "\">");
  if (j->prefecture)
    e |= sb_buf_printf(b, "<input type=\"hidden\" name=\"f_prefecture\" value=\"%06d\">",
                       (int)j->prefecture);
  if (j->from != INT32_MIN)
    sb_date_format(j->from, d), e |= sb_buf_printf(b,
                                                   "<input type=\"hidden\" name=\"f_from\" "
                                                   "value=\"%s\">",
                                                   d);
  if (j->to != INT32_MAX)
    sb_date_format(j->to, d), e |= sb_buf_printf(b,
                                                 "<input type=\"hidden\" name=\"f_to\" "
                                                 "value=\"%s\">",
                                                 d);
  return e | sb_buf_printf(b, "<input type=\"hidden\" name=\"f_page\" value=\"%ld\">", j->page);
}

static int each_alert(void *vctx, const sb_stored_alert *a) {
  list_ctx *c = vctx;
  const sb_console_job *j = c->j;
  if (j->rule[0] && strcmp(a->rule, j->rule)) return 0;
  if (a->date < j->from || a->date > j->to) return 0;
  int32_t pref = prefecture_of(c->reg, a->person_id);
  if (j->prefecture && pref != j->prefecture) return 0;
  int done = handled(c->ms, a->seq, a->rule);
  if (j->open_only && done) return 0;
  c->matched++;
  if (c->matched <= (j->page - 1) * ALERTS_PAGE || c->shown >= ALERTS_PAGE) return 0;
  c->shown++;
  sb_buf *b = c->b;
  char d[SB_DATE_BUFSZ];
  sb_date_format(a->date, d);
  int e = sb_buf_printf(b, "<tr class=\"%s\"><td>%s</td><td>", done ? "done" : "open", d);
  e |= sb_html_text(b, a->rule) | sb_buf_printf(b, "</td><td>");
  e |= page_link(b, "persons", a->person_id, strlen(a->person_id));
  e |= sb_buf_printf(b, "</td><td>") | sb_html_text(b, a->household_id);
  e |= sb_buf_printf(b, "</td><td>%06d</td><td>", (int)pref);
  e |= page_link(b, "claims", a->claim_id, strlen(a->claim_id)) | sb_buf_printf(b, "</td>");
  e |= page_money_td(b, a->psn_ytd) | page_money_td(b, a->threshold) | sb_buf_printf(b, "<td>");
  for (const mark *m = first_mark(c->ms, a->seq); m && m < c->ms->v + c->ms->n && m->seq == a->seq;
       m++) {
    if (strcmp(m->rule, a->rule)) continue;
    e |= sb_buf_printf(b, "<p class=\"mark\">✔ ") | sb_html_text(b, m->at);
    e |= sb_buf_printf(b, " · ") | sb_html_text(b, m->who) | sb_buf_printf(b, ": ");
    e |= sb_html_text(b, m->note) | sb_buf_printf(b, "</p>");
  }
  e |= sb_buf_printf(b,
                     "<form method=\"post\" action=\"/console/alerts/mark\" class=\"noprint\">"
                     "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                     "<input type=\"hidden\" name=\"seq\" value=\"%lld\">"
                     "<input type=\"hidden\" name=\"rule\" value=\"",
                     j->csrf, (long long)a->seq);
  e |= sb_html_text(b, a->rule) | sb_buf_printf(b, "\">") | filter_fields(b, j);
  e |= sb_buf_printf(b,
                     "<input name=\"note\" maxlength=\"2000\" placeholder=\"处理说明 note\">"
                     "<button>%s</button></form></td></tr>\n",
                     done ? "追加记录 <span lang=\"en\">add note</span>"
                          : "标记已处理 <span lang=\"en\">mark handled</span>");
  c->e |= e;
  return 0;
}

/* The query string of the filter (for the pager), page `page`. */
static int filter_query(sb_buf *b, const sb_console_job *j, long page) {
  char d[SB_DATE_BUFSZ];
  int e = sb_buf_printf(b, "/console/alerts?page=%ld", page);
  if (j->rule[0]) e |= sb_buf_printf(b, "&amp;rule=") | sb_url_segment(b, j->rule, strlen(j->rule));
  if (j->prefecture) e |= sb_buf_printf(b, "&amp;prefecture=%06d", (int)j->prefecture);
  if (j->from != INT32_MIN) sb_date_format(j->from, d), e |= sb_buf_printf(b, "&amp;from=%s", d);
  if (j->to != INT32_MAX) sb_date_format(j->to, d), e |= sb_buf_printf(b, "&amp;to=%s", d);
  if (j->open_only) e |= sb_buf_printf(b, "&amp;open=1");
  return e;
}

/* The filter's rules: every monitoring rule of the stored policies, once
** each, the chosen one selected. */
static int rule_options(sb_buf *b, const sb_policy_set *ps, const char *chosen) {
  int e = 0;
  for (int y = 0; y < ps->n; y++)
    for (int k = 0; k < ps->items[y]->n_rules; k++) {
      const char *name = ps->items[y]->rules[k].name;
      int seen = 0;
      for (int y2 = 0; y2 <= y && !seen; y2++)
        for (int k2 = 0; k2 < (y2 < y ? ps->items[y2]->n_rules : k) && !seen; k2++)
          seen = !strcmp(ps->items[y2]->rules[k2].name, name);
      if (seen) continue;
      e |= sb_buf_printf(b, "<option value=\"") | sb_html_text(b, name);
      e |= sb_buf_printf(b, "\"%s>", strcmp(name, chosen) ? "" : " selected");
      e |= sb_html_text(b, name) | sb_buf_printf(b, "</option>");
    }
  return e;
}

int page_alerts(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err) {
  marks ms = {0};
  int rc = read_marks(st, &ms, err);
  if (rc) {
    marks_free(&ms);
    return rc;
  }
  sb_buf *b = &r->body;
  char d1[SB_DATE_BUFSZ] = "", d2[SB_DATE_BUFSZ] = "";
  if (j->from != INT32_MIN) sb_date_format(j->from, d1);
  if (j->to != INT32_MAX) sb_date_format(j->to, d2);
  int e = page_headers(r, 200) | page_begin(b, "预警工作单", "Alerts worklist", j);
  e |= sb_buf_printf(b, "<form method=\"get\" action=\"/console/alerts\" class=\"filter noprint\">"
                        "<label>规则 <span lang=\"en\">rule</span> <select name=\"rule\">"
                        "<option value=\"\">全部 all</option>");
  e |= rule_options(b, sb_live_policies(lv), j->rule);
  e |= sb_buf_printf(b, "</select></label> <label>地市 <span lang=\"en\">prefecture</span> <input "
                        "name=\"prefecture\" size=\"7\" value=\"");
  if (j->prefecture) e |= sb_buf_printf(b, "%06d", (int)j->prefecture);
  e |= sb_buf_printf(b,
                     "\"></label> <label>自 <span lang=\"en\">from</span> <input type=\"date\" "
                     "name=\"from\" value=\"%s\"></label> <label>至 <span lang=\"en\">to</span> "
                     "<input type=\"date\" name=\"to\" value=\"%s\"></label> <label><input "
                     "type=\"checkbox\" name=\"open\" value=\"1\"%s> 仅待处理 <span "
                     "lang=\"en\">open only</span></label> <button>筛选 <span "
                     "lang=\"en\">Filter</span></button></form>\n",
                     d1, d2, j->open_only ? " checked" : "");
  e |= sb_buf_printf(b, "<table class=\"alerts\"><tr><th>日期 <span lang=\"en\">date</span></th>"
                        "<th>规则 <span lang=\"en\">rule</span></th>"
                        "<th>个人编号 <span lang=\"en\">person</span></th>"
                        "<th>家庭编号 <span lang=\"en\">household</span></th>"
                        "<th>地市 <span lang=\"en\">prefecture</span></th>"
                        "<th>结算编号 <span lang=\"en\">claim</span></th>"
                        "<th>年度个人负担 <span lang=\"en\">personal YTD</span></th>"
                        "<th>阈值 <span lang=\"en\">threshold</span></th>"
                        "<th>处理 <span lang=\"en\">handling</span></th></tr>\n");
  list_ctx c = {j, sb_live_registry(lv), &ms, b, 0, 0, 0};
  rc = st->ops->alert_each(st, -1, each_alert, &c, err);
  marks_free(&ms);
  if (rc < 0) return rc;
  e |= c.e | sb_buf_printf(b, "</table>\n");
  long pages = (c.matched + ALERTS_PAGE - 1) / ALERTS_PAGE;
  e |= sb_buf_printf(b,
                     "<p class=\"pager\">共 <span class=\"matched\">%ld</span> 条，第 %ld / %ld "
                     "页 <span lang=\"en\">%ld alerts, page %ld of %ld</span>",
                     c.matched, j->page, pages ? pages : 1, c.matched, j->page, pages ? pages : 1);
  if (j->page > 1)
    e |= sb_buf_printf(b, " <a rel=\"prev\" href=\"") | filter_query(b, j, j->page - 1) |
         sb_buf_printf(b, "\">上一页 <span lang=\"en\">previous</span></a>");
  if (j->page < pages)
    e |= sb_buf_printf(b, " <a rel=\"next\" href=\"") | filter_query(b, j, j->page + 1) |
         sb_buf_printf(b, "\">下一页 <span lang=\"en\">next</span></a>");
  e |= sb_buf_printf(b, "</p>\n") | page_end(b);
  return e ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK;
}

/* ---- a handled mark ---- */

typedef struct find_ctx {
  int64_t seq;
  const char *rule;
  int found;
} find_ctx;

static int find_alert(void *vctx, const sb_stored_alert *a) {
  find_ctx *c = vctx;
  if (a->seq != c->seq) return 1; /* past it: read in seq order */
  if (!strcmp(a->rule, c->rule)) c->found = 1;
  return c->found;
}

int page_mark(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err) {
  (void)lv;
  find_ctx f = {j->seq, j->rule, 0};
  int rc = st->ops->alert_each(st, j->seq - 1, find_alert, &f, err);
  if (rc < 0) return rc;
  if (!f.found) {
    /* the rule whole, whatever its length (a buffer would cut it) */
    sb_buf what = {0};
    int e = sb_buf_printf(&what, "%lld / %s", (long long)j->seq, j->rule);
    e = e ? -1 : page_not_found(r, j, "没有这条预警", "no such alert", what.p, what.len);
    sb_buf_free(&what);
    return e ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK;
  }
  sb_alert_mark m = {j->seq, j->rule, j->who, NULL, j->id};
  if ((rc = st->ops->alert_mark_put(st, &m, err))) return rc;
  sb_buf loc = {0};
  /* back to the filter's rule (the job is freed after: the two swap) */
  char *alert_rule = j->rule;
  j->rule = j->frule, j->frule = alert_rule;
  int e = filter_query(&loc, j, j->page);
  /* the pager's query uses &amp; inside HTML; a Location header wants & */
  sb_buf plain = {0};
  for (size_t i = 0; !e && i < loc.len; i++) {
    if (!strncmp(loc.p + i, "&amp;", 5)) {
      e |= sb_buf_put(&plain, "&", 1);
      i += 4;
    } else {
      e |= sb_buf_put(&plain, loc.p + i, 1);
    }
  }
  e |= sb_buf_printf(&plain, "&marked=%lld", (long long)j->seq) | sb_buf_put(&plain, "", 1);
  if (!e)
    e = page_headers(r, 303) | page_header(r, "Location", plain.p) |
        sb_buf_printf(&r->body, "<!DOCTYPE html><p>已记录 <span lang=\"en\">recorded</span></p>\n");
  sb_buf_free(&loc);
  sb_buf_free(&plain);
  return e ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK;
}

/* ---- search ---- */

static int count_row(void *ctx, const sb_stored_row *r) {
  (void)r;
  ++*(long *)ctx;
  return 0;
}

int page_search(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err) {
  sb_buf *b = &r->body;
  const sb_registry *reg = sb_live_registry(lv);
  int e = page_headers(r, 200) | page_begin(b, "查询", "Search", j);
  e |= sb_buf_printf(b, "<p>查询 <span lang=\"en\">query</span>: <code class=\"q\">");
  e |= sb_html_escape(b, j->id, j->id_len) | sb_buf_printf(b, "</code></p><ul class=\"hits\">");
  long hits = 0, person_rows = 0, claim_rows = 0;
  if (j->id_len) {
    int rc = st->ops->person_row_each(st, j->id, j->id_len, count_row, &person_rows, err);
    if (!rc) rc = st->ops->claim_row_each(st, j->id, j->id_len, count_row, &claim_rows, err);
    if (rc < 0) return rc;
    if (sb_registry_find(reg, j->id, j->id_len) >= 0 || person_rows) {
      hits++;
      e |= sb_buf_printf(b, "<li>人员 <span lang=\"en\">person</span> ");
      e |= page_link(b, "persons", j->id, j->id_len) | sb_buf_printf(b, "</li>");
    }
    if (claim_rows) {
      hits++;
      e |= sb_buf_printf(b, "<li>结算 <span lang=\"en\">claim</span> ");
      e |= page_link(b, "claims", j->id, j->id_len) | sb_buf_printf(b, "</li>");
    }
    /* a household: its members, from the registry in memory (a scan of
    ** it, not of the ledger) */
    int32_t n = sb_registry_count(reg);
    for (int32_t k = 0; k < n; k++) {
      size_t hn, pn;
      const char *hh = sb_registry_household(reg, k, &hn);
      if (hn != j->id_len || memcmp(hh, j->id, hn)) continue;
      const char *pid = sb_registry_id(reg, k, &pn);
      hits++;
      e |= sb_buf_printf(b, "<li>家庭成员 <span lang=\"en\">household member</span> ");
      e |= page_link(b, "persons", pid, pn) | sb_buf_printf(b, "</li>");
    }
  }
  e |= sb_buf_printf(b,
                     "</ul><p class=\"hitcount\">%ld 项结果 <span lang=\"en\">%ld results"
                     "</span></p>",
                     hits, hits);
  e |= page_end(b);
  return e ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK;
}
