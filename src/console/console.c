/*
** sanbao console — access (bearer token, or a session opened with one),
** CSRF, routing, and the two steps of a request (see console.h).
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "console/console_int.h"

/* ---- sessions ------------------------------------------------------------------- */

/* At most this many sessions at once: a new login past it ends the one
** used least recently (a bureau has tens of clerks, not thousands). */
#define SESSIONS_MAX 256
#define SECRET_HEX 64 /* 32 random bytes */

typedef struct session {
  char id[SECRET_HEX + 1];   /* the cookie's value; "" when free */
  char csrf[SECRET_HEX + 1]; /* the token every form of the session carries */
  uint8_t hash[32];          /* the token it was opened with */
  time_t last;               /* last used (monotonic seconds) */
} session;

struct sb_console {
  sb_console_config cfg;
  console_reader *reader; /* NULL without cfg.db_path */
  pthread_mutex_t mu;
  session s[SESSIONS_MAX];
};

static time_t mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

/* 32 bytes of the kernel's random generator as 64 hex digits. */
static int secret(char out[SECRET_HEX + 1]) {
  uint8_t r[32];
  size_t got = 0;
  while (got < sizeof r) {
    ssize_t n = getrandom(r + got, sizeof r - got, 0);
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", r[i]);
  return 0;
}

/* Equal texts, compared in full whatever the first difference. */
static int same_secret(const char *a, const char *b) {
  size_t n = strlen(a);
  if (n != strlen(b) || n != SECRET_HEX) return 0;
  unsigned d = 0;
  for (size_t i = 0; i < n; i++)
    d |= (unsigned)(a[i] ^ b[i]);
  return d == 0;
}

int sb_console_new(const sb_console_config *cfg, sb_console **out, sb_error *err) {
  sb_console *c = calloc(1, sizeof *c);
  if (!c) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  c->cfg = *cfg;
  if (!c->cfg.session_s) c->cfg.session_s = 8 * 3600;
  pthread_mutex_init(&c->mu, NULL);
  int rc = c->cfg.db_path && c->cfg.done
               ? reader_new(c->cfg.db_path, c->cfg.done, c->cfg.ctx, &c->reader)
               : SB_OK;
  if (rc) {
    sb_console_free(c);
    return sb_error_set(err, rc, NULL, "cannot start the console's reader thread");
  }
  *out = c;
  return SB_OK;
}

int sb_console_job_scans(const sb_console_job *job) {
  return job->kind == PAGE_OVERVIEW || job->kind == PAGE_ALERTS;
}

int sb_console_submit(sb_console *c, sb_console_job *job, sb_live *lv, sb_console_resp *resp,
                      void *token, sb_error *err) {
  memset(resp, 0, sizeof *resp);
  int rc = c->reader ? reader_submit(c->reader, job, lv, resp, token) : SB_EIO;
  return rc ? sb_error_set(err, rc, NULL, "the console's reader is not running") : SB_OK;
}

void sb_console_stop(sb_console *c) {
  if (c) reader_stop(c->reader);
}

void sb_console_free(sb_console *c) {
  if (!c) return;
  reader_free(c->reader);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

/* Open a session for the token of `who`; fills id and csrf.  0 or -1. */
static int session_open(sb_console *c, const sb_console_who *who, char *id, char *csrf) {
  if (secret(id) || secret(csrf)) return -1;
  pthread_mutex_lock(&c->mu);
  time_t now = mono_s();
  session *slot = &c->s[0];
  for (int i = 0; i < SESSIONS_MAX; i++) {
    session *x = &c->s[i];
    if (!x->id[0] || now - x->last > (time_t)c->cfg.session_s) {
      slot = x;
      break;
    }
    if (x->last < slot->last) slot = x;
  }
  memcpy(slot->id, id, SECRET_HEX + 1);
  memcpy(slot->csrf, csrf, SECRET_HEX + 1);
  memcpy(slot->hash, who->hash, 32);
  slot->last = now;
  pthread_mutex_unlock(&c->mu);
  return 0;
}

/* The session of cookie value `id`, still alive: 1 with its token's hash
** and CSRF token copied out, else 0 (an expired one is ended). */
static int session_find(sb_console *c, const char *id, uint8_t hash[32], char *csrf, int end) {
  int found = 0;
  pthread_mutex_lock(&c->mu);
  time_t now = mono_s();
  for (int i = 0; i < SESSIONS_MAX && !found; i++) {
    session *x = &c->s[i];
    if (!x->id[0] || !same_secret(x->id, id)) continue;
    if (now - x->last > (time_t)c->cfg.session_s || end) {
      memset(x, 0, sizeof *x);
      break;
    }
    x->last = now;
    memcpy(hash, x->hash, 32);
    memcpy(csrf, x->csrf, SECRET_HEX + 1);
    found = 1;
  }
  pthread_mutex_unlock(&c->mu);
  return found;
}

/* ---- reading the request ---------------------------------------------------------- */

/* The value of cookie `name` (copied into out, at most SECRET_HEX bytes),
** or "" . */
static void cookie(const sb_console_in *in, const char *name, char out[SECRET_HEX + 1]) {
  out[0] = 0;
  const char *h = in->header(in->ctx, "Cookie");
  size_t nl = strlen(name);
  while (h && *h) {
    while (*h == ' ' || *h == ';')
      h++;
    size_t n = strcspn(h, ";");
    if (n > nl && strncmp(h, name, nl) == 0 && h[nl] == '=') {
      size_t vn = n - nl - 1;
      if (vn <= SECRET_HEX) {
        memcpy(out, h + nl + 1, vn);
        out[vn] = 0;
      }
      return;
    }
    h += n;
  }
}

/* A form field, decoded (malloc'd; NULL when absent or out of memory). */
static char *form_get(const sb_console_in *in, const char *name) {
  const char *p = in->body, *end = in->body + in->body_len;
  size_t nl = strlen(name);
  while (p && p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *fe = amp ? amp : end;
    if ((size_t)(fe - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
      size_t vn = (size_t)(fe - p) - nl - 1;
      char *v = malloc(vn + 1);
      if (!v) return NULL;
      memcpy(v, p + nl + 1, vn);
      v[vn] = 0;
      sb_pct_decode(v, 1);
      return v;
    }
    p = amp ? amp + 1 : end;
  }
  return NULL;
}

/* ---- answers without the ledger ----------------------------------------------------- */

/* 303 to `loc` (a path of the console, never another site's: next_ok),
** with a link to it for a client that does not follow: escaped there, as
** a way back holds a query ("&"). */
static int redirect(sb_console_resp *r, const char *loc) {
  return page_headers(r, 303) | page_header(r, "Location", loc) |
         sb_buf_printf(&r->body, "<!DOCTYPE html><p><a href=\"") | sb_html_text(&r->body, loc) |
         sb_buf_printf(&r->body, "\">→</a></p>\n");
}

/* A message page (403, 405, 400 ...): title and one sentence. */
static int message_page(sb_console_resp *r, int status, const char *zh, const char *en,
                        const char *say_zh, const char *say_en) {
  int e = page_headers(r, status) | page_begin(&r->body, zh, en, NULL);
  e |= sb_buf_printf(&r->body, "<p class=\"error\">%s <span lang=\"en\">%s</span></p>", say_zh,
                     say_en);
  return e | page_end(&r->body);
}

/* Is `next` a console page to return to after logging in (and nothing
** else: no other site, no scheme, nothing to escape)? */
static int next_ok(const char *next) {
  if (!next || strncmp(next, "/console/", 9) != 0) return 0;
  /* no "//" in the path (its query may hold one: a search for a URL) */
  const char *q = strchr(next, '?'), *dbl = strstr(next, "//");
  if (dbl && (!q || dbl < q)) return 0;
  for (const char *p = next; *p; p++)
    if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\'' || *p == '<' || *p == '>' || *p == '\\')
      return 0;
  return 1;
}

/* The login form, with a fresh CSRF token in a cookie of its own (the
** form's copy must equal it: a page of another site cannot read the
** cookie, so it cannot post a login in the clerk's name). */
static int login_page(sb_console *c, sb_console_resp *r, int status, const char *next,
                      const char *msg_zh, const char *msg_en) {
  char tok[SECRET_HEX + 1], ck[160];
  if (secret(tok)) return -1;
  snprintf(ck, sizeof ck, "sb_login=%s; Path=/console/login; HttpOnly; SameSite=Strict%s", tok,
           c->cfg.secure_cookie ? "; Secure" : "");
  int e = page_headers(r, status) | page_header(r, "Set-Cookie", ck);
  if (status == 401) e |= page_header(r, "WWW-Authenticate", "Bearer realm=\"sanbao\"");
  e |= page_begin(&r->body, "登录", "Log in", NULL);
  if (msg_zh)
    e |= sb_buf_printf(&r->body, "<p class=\"error\">%s <span lang=\"en\">%s</span></p>", msg_zh,
                       msg_en);
  e |= sb_buf_printf(&r->body,
                     "<form method=\"post\" action=\"/console/login\" class=\"login\">"
                     "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                     "<input type=\"hidden\" name=\"next\" value=\"",
                     tok);
  e |= sb_html_text(&r->body, next_ok(next) ? next : "/console/");
  e |= sb_buf_printf(&r->body,
                     "\"><p><label>管理员令牌 <span lang=\"en\">Admin token</span><br>"
                     "<input type=\"password\" name=\"token\" size=\"72\" autocomplete=\"off\" "
                     "required></label></p><p><button>登录 <span lang=\"en\">Log in</span>"
                     "</button></p></form><p>令牌由 <code>sanbao tokens add --role admin</code> "
                     "生成 <span lang=\"en\">tokens come from sanbao tokens add</span></p>");
  return e | page_end(&r->body);
}

/* The token as typed, without the white space around it: a token copied
** from a terminal or a mail often brings a space or a line end along, and
** the API ignores spaces around the bearer token too (docs/api.md).  The
** length of what is left; *t moves to its first byte. */
static size_t token_trim(char **t) {
  char *p = *t;
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
    p++;
  size_t n = strlen(p);
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
    n--;
  *t = p;
  return n;
}

static int do_login(sb_console *c, const sb_console_in *in, sb_console_resp *r) {
  char ck[SECRET_HEX + 1];
  cookie(in, "sb_login", ck);
  char *csrf = form_get(in, "csrf"), *token = form_get(in, "token"), *next = form_get(in, "next");
  int e = 0;
  sb_console_who who;
  char *typed = token;
  size_t typed_len = typed ? token_trim(&typed) : 0;
  if (!csrf || !ck[0] || !same_secret(csrf, ck))
    e = login_page(c, r, 403, next, "表单已过期，请重新登录", "the form expired: log in again");
  else if (!token || !c->cfg.token_check(c->cfg.ctx, typed, typed_len, &who))
    e = login_page(c, r, 401, next, "令牌无效", "unknown token");
  else if (!who.admin)
    e = message_page(r, 403, "禁止访问", "Forbidden", "控制台仅供管理员令牌使用",
                     "the console is for admin tokens; hospital tokens use the API");
  else {
    char id[SECRET_HEX + 1], cs[SECRET_HEX + 1], set[200];
    if (session_open(c, &who, id, cs))
      e = -1;
    else {
      snprintf(set, sizeof set, "sb_session=%s; Path=/console; HttpOnly; SameSite=Strict%s", id,
               c->cfg.secure_cookie ? "; Secure" : "");
      e = redirect(r, next_ok(next) ? next : "/console/") | page_header(r, "Set-Cookie", set);
    }
  }
  if (token) memset(token, 0, strlen(token));
  free(csrf), free(token), free(next);
  return e ? -1 : 0;
}

/* ---- routing ------------------------------------------------------------------------ */

static int prefix(const char *s, const char *p) {
  return strncmp(s, p, strlen(p)) == 0;
}

/* An id from the rest of the raw path: percent-decoded here, after
** routing (so "%2F" stays inside the id), NUL kept encoded. */
static int path_id(sb_console_job *j, const char *rest) {
  size_t n = strlen(rest);
  if (!(j->id = malloc(n + 1))) return -1;
  memcpy(j->id, rest, n + 1);
  j->id_len = sb_pct_decode(j->id, 0);
  return 0;
}

int sb_console_digits_only(const char *v, size_t max, int exact) {
  size_t n = v ? strlen(v) : 0;
  if (!n || n > max || (exact && n != max)) return 0;
  return strspn(v, "0123456789") == n;
}

/* The worklist's filter from the query or from a mark's form: 0, -1 (a
** value that is not valid) or -2 (out of memory). */
static int alerts_filter(sb_console_job *j, const char *rule, const char *pref, const char *from,
                         const char *to, const char *page, const char *open) {
  j->from = INT32_MIN, j->to = INT32_MAX, j->page = 1;
  char *r = strdup(rule ? rule : "");
  if (!r) return -2; /* out of memory */
  free(j->rule);
  j->rule = r;
  if (pref && *pref) {
    long v = sb_console_digits_only(pref, 6, 1) ? strtol(pref, NULL, 10) : 0;
    if (v < 100000 || v > 999999) return -1;
    j->prefecture = (int32_t)(v / 100 * 100);
  }
  if (from && *from && sb_date_parse(from, strlen(from), &j->from)) return -1;
  if (to && *to && sb_date_parse(to, strlen(to), &j->to)) return -1;
  if (page && *page) {
    j->page = sb_console_digits_only(page, 7, 0) ? strtol(page, NULL, 10) : 0;
    if (j->page < 1 || j->page > 1000000) return -1;
  }
  j->open_only = open && strcmp(open, "1") == 0;
  return 0;
}

int sb_console_request(sb_console *c, const sb_console_in *in, sb_console_job **jobp,
                       sb_console_resp *r, sb_error *err) {
  *jobp = NULL;
  memset(r, 0, sizeof *r);
  const char *rest = in->path + strlen("/console");
  int get = !strcmp(in->method, "GET") || !strcmp(in->method, "HEAD");
  int post = !strcmp(in->method, "POST");
  int e = 0;
#define DONE(x) return ((x) ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK)
  if (!*rest) DONE(redirect(r, "/console/"));
  if (!strcmp(rest, "/static/console.css")) {
    DONE(page_header(r, "Content-Type", "text/css; charset=utf-8") |
         page_header(r, "Cache-Control", "max-age=3600") |
         page_header(r, "X-Content-Type-Options", "nosniff") |
         sb_buf_put(&r->body, sb_console_css, strlen(sb_console_css)) | (r->status = 200, 0));
  }
  if (!strcmp(rest, "/login")) {
    if (get) DONE(login_page(c, r, 200, in->arg(in->ctx, "next"), NULL, NULL));
    if (post) DONE(do_login(c, in, r));
    DONE(message_page(r, 405, "方法不允许", "Method not allowed", "", "") |
         page_header(r, "Allow", "GET, POST"));
  }
  /* who is asking */
  sb_console_who who;
  char sid[SECRET_HEX + 1], csrf[SECRET_HEX + 1] = "";
  int via_session = 0;
  if (in->bearer_ok < 0) DONE(login_page(c, r, 401, NULL, "令牌无效", "unknown token"));
  if (in->bearer_ok > 0) {
    who = in->bearer;
  } else {
    uint8_t hash[32];
    cookie(in, "sb_session", sid);
    int logout = post && !strcmp(rest, "/logout");
    if (!sid[0] || !session_find(c, sid, hash, csrf, 0) ||
        !c->cfg.token_alive(c->cfg.ctx, hash, &who)) {
      if (logout) DONE(redirect(r, "/console/login"));
      if (!get) DONE(login_page(c, r, 401, NULL, "请先登录", "log in first"));
      /* the way back: the page asked for with its query (a bookmarked
      ** search, a filtered worklist), all of it one encoded value */
      sb_buf loc = {0};
      e = sb_buf_printf(&loc, "/console/login?next=") |
          sb_url_segment(&loc, in->path, strlen(in->path));
      if (in->query && *in->query)
        e |= sb_url_segment(&loc, "?", 1) | sb_url_segment(&loc, in->query, strlen(in->query));
      e |= sb_buf_put(&loc, "", 1);
      e = e ? -1 : redirect(r, loc.p);
      sb_buf_free(&loc);
      DONE(e);
    }
    via_session = 1;
    if (logout) {
      char *f = form_get(in, "csrf");
      int ok = f && same_secret(f, csrf);
      free(f);
      if (!ok)
        DONE(message_page(r, 403, "禁止访问", "Forbidden", "表单令牌不符", "bad CSRF token"));
      session_find(c, sid, hash, csrf, 1);
      char set[120];
      snprintf(set, sizeof set, "sb_session=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict");
      DONE(redirect(r, "/console/login") | page_header(r, "Set-Cookie", set));
    }
  }
  if (!who.admin)
    DONE(message_page(r, 403, "禁止访问", "Forbidden", "控制台仅供管理员令牌使用",
                      "the console is for admin tokens; hospital tokens use the API"));
  sb_console_job *j = calloc(1, sizeof *j);
  if (j && (!(j->rule = strdup("")) || !(j->frule = strdup("")))) {
    sb_console_job_free(j);
    j = NULL;
  }
  if (!j) DONE(-1);
  snprintf(j->who, sizeof j->who, "%s", who.institution);
  if (via_session) memcpy(j->csrf, csrf, sizeof j->csrf);
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(j->now_day, sizeof j->now_day, "%Y-%m-%d", &tm);
  int bad = 0, found = 1, method_ok = get;
  const char *y = in->arg(in->ctx, "year");
  if (y && *y) {
    long v = sb_console_digits_only(y, 4, 1) ? strtol(y, NULL, 10) : 0;
    if (v < 1900 || v > 9999) bad = 1;
    j->year = (int)v;
  }
  if (!strcmp(rest, "/")) {
    j->kind = PAGE_OVERVIEW;
  } else if (prefix(rest, "/persons/") && rest[9]) {
    j->kind = PAGE_PERSON;
    e = path_id(j, rest + 9);
  } else if (prefix(rest, "/claims/") && rest[8]) {
    j->kind = PAGE_CLAIM;
    e = path_id(j, rest + 8);
  } else if (!strcmp(rest, "/alerts")) {
    j->kind = PAGE_ALERTS;
    int fr = alerts_filter(j, in->arg(in->ctx, "rule"), in->arg(in->ctx, "prefecture"),
                           in->arg(in->ctx, "from"), in->arg(in->ctx, "to"),
                           in->arg(in->ctx, "page"), in->arg(in->ctx, "open"));
    if (fr == -2) e = -1;
    bad |= fr == -1;
  } else if (!strcmp(rest, "/alerts/mark")) {
    j->kind = PAGE_MARK;
    method_ok = post;
    if (post) {
      char *f[9];
      static const char *const names[9] = {"csrf",         "seq",    "rule", "note",  "f_rule",
                                           "f_prefecture", "f_from", "f_to", "f_page"};
      for (int k = 0; k < 9; k++)
        f[k] = form_get(in, names[k]);
      /* a form sent with a session must carry its CSRF token; a bearer
      ** token is no ambient credential, a page of another site cannot
      ** send it */
      if (via_session && (!f[0] || !same_secret(f[0], csrf))) bad = 2;
      j->seq = sb_console_digits_only(f[1], 18, 0) ? strtoll(f[1], NULL, 10) : 0;
      if (j->seq <= 0 || !f[2]) bad |= 1;
      /* the note: at most 2,000 bytes, kept as typed (escaped when shown) */
      if (f[3] && strlen(f[3]) > 2000) bad |= 1;
      j->id = f[3] ? f[3] : strdup("");
      f[3] = NULL;
      j->id_len = j->id ? strlen(j->id) : 0;
      /* the worklist's filter to return to (its rule apart from the alert's) */
      int fr = alerts_filter(j, f[4], f[5], f[6], f[7], f[8], NULL);
      if (fr == -1) j->from = INT32_MIN, j->to = INT32_MAX, j->page = 1, j->prefecture = 0;
      if (fr == -2) e = -1;
      free(j->frule);
      j->frule = j->rule;
      j->rule = f[2] ? f[2] : strdup("");
      f[2] = NULL;
      for (int k = 0; k < 9; k++)
        free(f[k]);
      if (!j->id || !j->rule) e = -1;
    }
  } else if (!strcmp(rest, "/search")) {
    j->kind = PAGE_SEARCH;
    const char *q = in->arg(in->ctx, "q");
    j->id = strdup(q ? q : "");
    j->id_len = j->id ? strlen(j->id) : 0;
    if (!j->id) e = -1;
  } else {
    found = 0;
  }
  if (e || !found || !method_ok || bad) {
    if (!e && !found)
      e = page_not_found(r, j, "没有这个页面", "no such page", in->path, strlen(in->path));
    else if (!e && !method_ok)
      e = message_page(r, 405, "方法不允许", "Method not allowed", "", "") |
          page_header(r, "Allow", j->kind == PAGE_MARK ? "POST" : "GET, HEAD");
    else if (!e && bad == 2)
      e = message_page(r, 403, "禁止访问", "Forbidden", "表单令牌不符，请刷新页面后重试",
                       "bad CSRF token: reload the page and try again");
    else if (!e)
      e = message_page(r, 400, "请求有误", "Bad request", "查询参数有误",
                       "a query or form value is not valid (year=YYYY, dates YYYY-MM-DD, "
                       "prefecture a 6-digit code)");
    sb_console_job_free(j);
    DONE(e);
  }
  *jobp = j;
  return SB_OK;
#undef DONE
}

int sb_console_run(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r,
                   sb_error *err) {
  static int (*const PAGES[])(sb_console_job *, sb_store *, sb_live *, sb_console_resp *,
                              sb_error *) = {
      [PAGE_OVERVIEW] = page_overview, [PAGE_PERSON] = page_person, [PAGE_CLAIM] = page_claim,
      [PAGE_ALERTS] = page_alerts,     [PAGE_MARK] = page_mark,     [PAGE_SEARCH] = page_search};
  memset(r, 0, sizeof *r);
  return PAGES[j->kind](j, st, lv, r, err);
}

void sb_console_job_free(sb_console_job *j) {
  if (!j) return;
  free(j->rule);
  free(j->frule);
  free(j->id);
  free(j);
}

void sb_console_resp_free(sb_console_resp *r) {
  for (int i = 0; i < r->n_headers; i++)
    free(r->headers[i].value);
  r->n_headers = 0;
  sb_buf_free(&r->body);
}
