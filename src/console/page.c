/*
** sanbao console — the page frame and the pieces every page shares.
*/
#include <stdlib.h>
#include <string.h>

#include "console/console_int.h"

/*
** The Content-Security-Policy of every console answer: nothing but what
** the console itself serves — no script at all (the pages need none), one
** stylesheet, images only inline SVG (part of the page), forms posted back
** to the console only, and no framing (a framed console could be
** click-jacked into marking alerts).  A page about a person must not stay
** in a shared machine's cache (no-store).
*/
const sb_console_header SB_CONSOLE_SECURITY_HEADERS[] = {
    {"Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
    {"Cache-Control", "no-store"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {NULL, NULL}};

int page_header(sb_console_resp *r, const char *name, const char *value) {
  if (r->n_headers == SB_CONSOLE_HEADERS) return -1;
  char *v = strdup(value);
  if (!v) return -1;
  r->headers[r->n_headers].name = name;
  r->headers[r->n_headers].value = v;
  r->n_headers++;
  return 0;
}

int page_headers(sb_console_resp *r, int status) {
  r->status = status;
  int e = page_header(r, "Content-Type", "text/html; charset=utf-8");
  for (const sb_console_header *h = SB_CONSOLE_SECURITY_HEADERS; h->name; h++)
    e |= page_header(r, h->name, h->value);
  return e;
}

int page_begin(sb_buf *b, const char *zh, const char *en, const sb_console_job *j) {
  int e = sb_buf_printf(b,
                        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-width\">"
                        "<title>%s %s · 三保 sanbao</title>"
                        "<link rel=\"stylesheet\" href=\"/console/static/console.css\"></head>"
                        "<body><header class=\"noprint\"><nav>"
                        "<a href=\"/console/\">概览 <span lang=\"en\">Overview</span></a>"
                        "<a href=\"/console/alerts\">预警 <span lang=\"en\">Alerts</span></a>"
                        "<form method=\"get\" action=\"/console/search\" role=\"search\">"
                        "<input name=\"q\" placeholder=\"个人 / 结算 / 家庭编号 person, claim or "
                        "household id\" aria-label=\"search\"",
                        zh, en);
  /* the search page keeps what was searched in the box, to correct a typo
  ** without typing it again (escaped: an attribute holds any bytes safely
  ** once <, >, &, " and ' are entities) */
  if (j && j->kind == PAGE_SEARCH && j->id_len)
    e |= sb_buf_printf(b, " value=\"") | sb_html_escape(b, j->id, j->id_len) |
         sb_buf_printf(b, "\"");
  e |= sb_buf_printf(b, "><button>查询 <span lang=\"en\">Search</span></button></form>");
  if (j && j->csrf[0])
    e |= sb_buf_printf(b,
                       "<form method=\"post\" action=\"/console/logout\" class=\"logout\">"
                       "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                       "<button>退出 <span lang=\"en\">Log out</span></button></form>",
                       j->csrf);
  e |= sb_buf_printf(b, "</nav></header><main><h1>%s <span lang=\"en\">%s</span></h1>\n", zh, en);
  return e ? -1 : 0;
}

int page_end(sb_buf *b) {
  return sb_buf_printf(b, "</main><footer class=\"noprint\">三保 sanbao — 金额单位：元 "
                          "<span lang=\"en\">amounts in yuan</span></footer></body></html>\n");
}

int page_not_found(sb_console_resp *r, const sb_console_job *j, const char *what_zh,
                   const char *what_en, const char *id, size_t id_len) {
  int e = page_headers(r, 404) | page_begin(&r->body, "未找到", "Not found", j);
  e |= sb_buf_printf(&r->body, "<p>%s <span lang=\"en\">%s</span>: <code>", what_zh, what_en);
  e |= sb_html_escape(&r->body, id, id_len);
  e |= sb_buf_printf(&r->body, "</code></p>") | page_end(&r->body);
  return e ? -1 : 0;
}

int page_link(sb_buf *b, const char *kind, const char *id, size_t len) {
  int e = sb_buf_printf(b, "<a href=\"/console/%s/", kind);
  e |= sb_url_segment(b, id, len) | sb_buf_put(b, "\">", 2);
  e |= sb_html_escape(b, id, len) | sb_buf_put(b, "</a>", 4);
  return e ? -1 : 0;
}

int page_money_td(sb_buf *b, sb_fen v) {
  int e = sb_buf_put(b, "<td class=\"n\">", 14);
  e |= sb_html_money(b, v) | sb_buf_put(b, "</td>", 5);
  return e ? -1 : 0;
}

const char *page_status_zh(int status) {
  return status == SB_ROW_SETTLED ? "已结算" : status == SB_ROW_REVERSED ? "冲销" : "拒付";
}

const char *page_status_en(int status) {
  return status == SB_ROW_SETTLED ? "settled" : status == SB_ROW_REVERSED ? "reversal" : "rejected";
}

int page_assumed(sb_buf *b, const sb_policy *p) {
  if (!p) return 0;
  int n = 0, e = 0;
  for (int i = 0; i < p->n_notes; i++) {
    const char *note = p->notes[i].note;
    if (!note || strncmp(note, "ASSUMED", 7) != 0) continue;
    if (!n++)
      e |= sb_buf_printf(b,
                         "<div class=\"assumed\"><p><strong>假设值 ASSUMED</strong> — %d "
                         "年度政策中以下数值为假设，非官方数字 <span lang=\"en\">these values of "
                         "the %d policy are assumptions, not official figures</span>:</p><ul>",
                         p->year, p->year);
    e |= sb_buf_put(b, "<li><code>", 10) | sb_html_text(b, p->notes[i].path);
    e |= sb_buf_put(b, "</code> ", 8) | sb_html_text(b, note) | sb_buf_put(b, "</li>", 5);
  }
  if (n) e |= sb_buf_printf(b, "</ul></div>\n");
  return e ? -1 : 0;
}
