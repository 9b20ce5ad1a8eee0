/*
** sanbao server — HTTP routes, the header deadline, start and stop (the
** ledger thread and group commit are in server_ledger.c; see
** server.h for the design, docs/api.md for the API).
*/
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ledger/ledger.h"
#include "server/api.h"
#include "server/server_int.h"
#include "server/tokens.h"
#include "store/store.h"

uint64_t srv_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void srv_log(sb_server *s, const char *fmt, ...) {
  if (!s->cfg.log) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  s->cfg.log(s->cfg.log_ctx, line);
}

/* ---- the reference data, counted ------------------------------------------------ */

live_ref *srv_live_acquire(sb_server *s) {
  pthread_mutex_lock(&s->live_mu);
  live_ref *l = s->live;
  atomic_fetch_add(&l->refs, 1);
  pthread_mutex_unlock(&s->live_mu);
  return l;
}

void srv_live_release(live_ref *l) {
  if (l && atomic_fetch_sub(&l->refs, 1) == 1) {
    sb_live_free(l->lv);
    free(l);
  }
}

static live_ref *live_new(sb_live *lv) {
  live_ref *l = malloc(sizeof *l);
  if (!l) return NULL;
  l->lv = lv;
  atomic_init(&l->refs, 1);
  return l;
}

static int open_live(sb_store *st, live_ref **out, sb_error *err) {
  sb_live *lv;
  int rc = sb_live_open(st, &lv, err);
  if (rc) return rc;
  if (!(*out = live_new(lv))) {
    sb_live_free(lv);
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  }
  return SB_OK;
}

/* ---- HTTP ----------------------------------------------------------------------------- */

static enum MHD_Result send_answer(req *r) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(r->out.len, r->out.p, MHD_RESPMEM_MUST_FREE);
  if (!resp) return MHD_NO;
  r->out.p = NULL, r->out.len = r->out.cap = 0; /* the response frees it */
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                          r->route == SB_ROUTE_METRICS ? "text/plain; version=0.0.4"
                                                       : "application/json; charset=utf-8");
  /* an answer the server gives on a console path itself (431, 413, 503,
  ** before the console sees the request) carries the console's headers
  ** too: docs/console.md promises them of every answer there */
  if (r->route == SB_ROUTE_CONSOLE)
    for (const sb_console_header *h = SB_CONSOLE_SECURITY_HEADERS; h->name; h++)
      MHD_add_response_header(resp, h->name, h->value);
  if (r->status == 401)
    MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"sanbao\"");
  if (r->status == 405) {
    const char *allow = r->route == SB_ROUTE_SETTLE || r->route == SB_ROUTE_PRESETTLE ||
                                r->route == SB_ROUTE_REVERSE
                            ? "POST"
                            : "GET, HEAD"; /* HEAD is answered wherever GET is */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
  }
  if (r->status == 503 || r->status == 413 || r->close || atomic_load(&r->srv->stopping))
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  /* 503: nothing of the request was stored (the ledger could not commit —
  ** a database unreachable or failing over — or the server is stopping):
  ** the client retries the same request, which settles exactly once */
  if (r->status == 503) MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
  enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  r->answered = 1;
  return ok;
}

static enum MHD_Result reply_error(req *r, int status, const char *code, const char *field,
                                   const char *msg) {
  srv_answer_error(r, status, code, field, msg);
  return send_answer(r);
}

static size_t unescape(void *cls, struct MHD_Connection *c, char *str);

/* An id from the path as sent: percent-decoded here, after routing, so that
** an id holding "/reversal" or "/balance" (sent %2F…) stays one id. */
static char *path_id(const char *s, size_t n) {
  char *id = malloc(n + 1);
  if (!id) return NULL;
  memcpy(id, s, n);
  id[n] = 0;
  unescape(NULL, NULL, id);
  return id;
}

/* The route of (method, raw path): fills r->route and r->target; returns
** 0, or the HTTP status of an empty id in the path (400, r->id_field
** naming it), an unknown path (404) or a wrong method (405).  Routing reads
** the path as sent, before percent-decoding: "/v1/settlements/X%2Freversal"
** is the claim "X/reversal", not the reversal of "X". */
static int route(req *r, const char *method, const char *path) {
  static const char SETT[] = "/v1/settlements/", PERS[] = "/v1/persons/", REV[] = "/reversal",
                    BAL[] = "/balance";
  int post = strcmp(method, "POST") == 0,
      get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  size_t n = strlen(path);
  r->route = SB_ROUTE_OTHER;
  if (strcmp(path, "/v1/settlements") == 0)
    r->route = SB_ROUTE_SETTLE, r->kind = JOB_SETTLE;
  else if (strcmp(path, "/v1/presettlements") == 0)
    r->route = SB_ROUTE_PRESETTLE, r->kind = JOB_PRESETTLE;
  else if (strcmp(path, "/v1/alerts") == 0)
    r->route = SB_ROUTE_ALERTS, r->kind = JOB_ALERTS;
  else if (strcmp(path, "/healthz") == 0)
    r->route = SB_ROUTE_HEALTHZ;
  else if (strcmp(path, "/metrics") == 0)
    r->route = SB_ROUTE_METRICS;
  else if (strcmp(path, "/console") == 0 || strncmp(path, "/console/", 9) == 0) {
    /* the console routes and checks methods itself (src/console/) */
    r->route = SB_ROUTE_CONSOLE, r->kind = JOB_CONSOLE, r->method = method;
    return 0;
  } else if (strncmp(path, SETT, sizeof SETT - 1) == 0) {
    const char *id = path + sizeof SETT - 1;
    size_t idn = n - (sizeof SETT - 1);
    if (idn >= sizeof REV - 1 && strcmp(path + n - (sizeof REV - 1), REV) == 0) {
      r->route = SB_ROUTE_REVERSE, r->kind = JOB_REVERSE;
      idn -= sizeof REV - 1;
    } else {
      r->route = SB_ROUTE_GET, r->kind = JOB_GET;
    }
    if (!(r->target = path_id(id, idn))) return 500;
    r->id_field = "claim_id";
  } else if (strncmp(path, PERS, sizeof PERS - 1) == 0 && n >= sizeof PERS - 1 + sizeof BAL - 1 &&
             strcmp(path + n - (sizeof BAL - 1), BAL) == 0) {
    r->route = SB_ROUTE_BALANCE, r->kind = JOB_BALANCE;
    if (!(r->target = path_id(path + sizeof PERS - 1, n - (sizeof PERS - 1) - (sizeof BAL - 1))))
      return 500;
    r->id_field = "person_id";
  } else {
    return 404;
  }
  if (r->target && !r->target[0]) return 400;
  int wants_post =
      r->route == SB_ROUTE_SETTLE || r->route == SB_ROUTE_PRESETTLE || r->route == SB_ROUTE_REVERSE;
  return (wants_post ? post : get) ? 0 : 405;
}

/* The bearer token's entry, copied into r->who_e; NULL when unknown. */
static const sb_token_entry *authenticate(sb_server *s, req *r) {
  const char *h =
      MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (!h || strncasecmp(h, "Bearer ", 7) != 0) return NULL;
  h += 7;
  while (*h == ' ')
    h++;
  size_t n = strlen(h);
  while (n && h[n - 1] == ' ')
    n--;
  if (!n || n > 256) return NULL;
  pthread_rwlock_rdlock(&s->tokens_mu);
  const sb_token_entry *e = sb_tokens_find(&s->tokens, h, n);
  if (e) r->who_e = *e;
  pthread_rwlock_unlock(&s->tokens_mu);
  return e ? &r->who_e : NULL;
}

/* At most this many query parameters: the routes take four at most. */
#define QUERY_MAX 32

/* The headers that say where a request's body ends. */
typedef struct framing {
  const char *length; /* the first Content-Length */
  int lengths_differ; /* a later Content-Length says another length */
  int chunked;        /* a Transfer-Encoding came too */
} framing;

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
  (void)kind;
  framing *f = cls;
  if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
    if (f->length && strcmp(f->length, value ? value : "") != 0) f->lengths_differ = 1;
    if (!f->length) f->length = value ? value : "";
  } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
    f->chunked = 1;
  }
  return MHD_YES;
}

/*
** Is the request's length ambiguous?  Two Content-Length headers that
** differ, or a Content-Length beside a Transfer-Encoding (RFC 9112 §6.3:
** an unrecoverable error, 400 and close).  libmicrohttpd reads the first
** length and takes what follows it for the next request on the
** connection; a reverse proxy in front (docs/console.md recommends one)
** that reads the other length forwards those bytes as the end of *this*
** client's body — so one client's bytes would be read as a request of its
** own, with whatever token they carry, on a connection the proxy shares
** between clients (request smuggling).  Refused before anything is read.
*/
static int framing_ambiguous(struct MHD_Connection *c) {
  framing f = {NULL, 0, 0};
  MHD_get_connection_values(c, MHD_HEADER_KIND, framing_header, &f);
  return f.lengths_differ || (f.length && f.chunked);
}

/* What the headers alone decide, on the first call, before any body is
** read: the query's size, the route and method, /healthz and /metrics, the
** stop, the token and the role.  Returns 1 when it answered (MHD_YES/NO in
** *res), 0 to go on and read the body. */
static int headers_only(sb_server *s, req *r, enum MHD_Result *res) {
  int st = r->routed;
#define ANSWER(x) return (*res = (x)), 1
  if (framing_ambiguous(r->conn)) {
    r->close = 1; /* what follows on the connection cannot be told from the body */
    ANSWER(reply_error(r, 400, "bad_request", "body",
                       "the body's length is ambiguous: two Content-Length headers that "
                       "differ, or Content-Length with Transfer-Encoding"));
  }
  /* RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without
  ** Host (a client that leaves it out is not speaking HTTP/1.1, and a
  ** proxy before sanbao may route by it) */
  if (r->no_host)
    ANSWER(reply_error(r, 400, "bad_request", "Host", "an HTTP/1.1 request must send Host"));
  if (MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, NULL, NULL) > QUERY_MAX)
    ANSWER(reply_error(r, 431, "too_large", "query", "more than 32 query parameters"));
  if (st == 404) ANSWER(reply_error(r, 404, "not_found", NULL, "no such route (see docs/api.md)"));
  if (st == 400)
    ANSWER(reply_error(r, 400, "bad_request", r->id_field,
                       strcmp(r->id_field, "claim_id") == 0
                           ? "the claim id in the path is empty"
                           : "the person id in the path is empty"));
  if (st == 405)
    ANSWER(reply_error(r, 405, "method_not_allowed", NULL, "wrong method for this route"));
  if (st) ANSWER(reply_error(r, 500, "internal", NULL, "out of memory"));
  if (r->route == SB_ROUTE_HEALTHZ) {
    /* a load balancer stops sending here as soon as the stop begins, or
    ** once the ledger's disk failed (server_ledger.c: the syncer) */
    int stopping = atomic_load(&s->stopping), failed = atomic_load(&s->ledger_failed);
    r->status = stopping || failed ? 503 : 200;
    static const char ok[] = "{\"status\":\"ok\"}\n", bye[] = "{\"status\":\"stopping\"}\n",
                      bad[] = "{\"status\":\"ledger_failed\"}\n";
    const char *say = failed ? bad : stopping ? bye : ok;
    if (sb_buf_put(&r->out, say, strlen(say))) ANSWER(MHD_NO);
    ANSWER(send_answer(r));
  }
  if (r->route == SB_ROUTE_METRICS) {
    r->status = 200;
    if (sb_metrics_write(&s->m, &r->out)) ANSWER(MHD_NO);
    ANSWER(send_answer(r));
  }
  /* a request that began before the stop is under way: it finishes */
  if (r->late)
    ANSWER(reply_error(r, 503, "shutting_down", NULL,
                       "the server is stopping; retry elsewhere or later"));
  /* the console answers the anonymous itself (a login page, not 401
  ** JSON) and checks roles itself; a bearer token is still checked here,
  ** by the same function as for the API */
  int console = r->kind == JOB_CONSOLE;
  if (console) {
    /* Only a bearer credential counts as sent (and, unknown, is 401): an
    ** Authorization header of another scheme is not for us — a reverse
    ** proxy's Basic credentials, which a browser sends on every request
    ** once the clerk gave them — and the session cookie then decides.
    ** Counting every Authorization header made each console page 401
    ** behind such a proxy. */
    const char *h =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    r->bearer_sent = h && strncasecmp(h, "Bearer", 6) == 0 && (h[6] == ' ' || h[6] == 0);
  }
  if (!(r->who = authenticate(s, r)) && !console)
    ANSWER(reply_error(r, 401, "unauthorized", NULL,
                       "send 'Authorization: Bearer TOKEN' with a token from sanbao tokens add"));
  int writes = r->kind == JOB_SETTLE || r->kind == JOB_PRESETTLE || r->kind == JOB_REVERSE;
  if (writes && r->who->role != SB_ROLE_HOSPITAL)
    ANSWER(reply_error(r, 403, "forbidden", NULL, "only a hospital token settles claims"));
  if ((r->kind == JOB_BALANCE || r->kind == JOB_ALERTS) && r->who->role != SB_ROLE_ADMIN)
    ANSWER(reply_error(r, 403, "forbidden", NULL, "balances and alerts are for admin tokens"));
  const char *cl =
      MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (cl && strtoull(cl, NULL, 10) > s->cfg.max_body)
    /* answered before the body is read; libmicrohttpd then closes the
    ** connection instead of reading what was not wanted */
    ANSWER(reply_error(r, 413, "too_large", NULL, "the request body is larger than the limit"));
  return 0;
#undef ANSWER
}

/* The longest claim id, person id or date the ledger records (a longer one
** is MALFORMED_ROW by docs/reference/settlement.md §8; a date has 10 bytes). */
#define ID_MAX 64

/* The answer to a claim decided here, on the HTTP thread (see handle). */
static enum MHD_Result reject_here(sb_server *s, req *r, int reason) {
  memset(&r->ans, 0, sizeof r->ans);
  r->ans.status = SB_ROW_REJECTED;
  r->ans.reason = reason;
  r->ans.person = -1;
  r->status = 422;
  r->out.len = 0;
  sb_api_answer_ctx x = {&r->claim, &r->ans, NULL, NULL, 0, NULL};
  if (sb_api_answer_json(&x, &r->out))
    return reply_error(r, 500, "internal", NULL, "out of memory");
  if (r->kind != JOB_PRESETTLE)
    atomic_fetch_add_explicit(&s->m.outcomes[2], 1, memory_order_relaxed);
  return send_answer(r);
}

/* ---- the console (src/console/): a thin hook ---- */

static const char *console_arg(void *ctx, const char *name) {
  return MHD_lookup_connection_value(((req *)ctx)->conn, MHD_GET_ARGUMENT_KIND, name);
}

static const char *console_header(void *ctx, const char *name) {
  return MHD_lookup_connection_value(((req *)ctx)->conn, MHD_HEADER_KIND, name);
}

static void console_who(const sb_token_entry *e, sb_console_who *who) {
  who->admin = e->role == SB_ROLE_ADMIN;
  memcpy(who->institution, e->institution, sizeof who->institution);
  memcpy(who->hash, e->hash, sizeof who->hash);
}

/* The console's token checks: the server's tokens, under its lock. */
static int console_token_check(void *ctx, const char *token, size_t len, sb_console_who *who) {
  sb_server *s = ctx;
  pthread_rwlock_rdlock(&s->tokens_mu);
  const sb_token_entry *e = len && len <= 256 ? sb_tokens_find(&s->tokens, token, len) : NULL;
  if (e) console_who(e, who);
  pthread_rwlock_unlock(&s->tokens_mu);
  return e != NULL;
}

static int console_token_alive(void *ctx, const uint8_t hash[32], sb_console_who *who) {
  sb_server *s = ctx;
  int found = 0;
  pthread_rwlock_rdlock(&s->tokens_mu);
  for (size_t i = 0; i < s->tokens.n && !found; i++)
    if (memcmp(s->tokens.v[i].hash, hash, 32) == 0) {
      console_who(&s->tokens.v[i], who);
      found = 1;
    }
  pthread_rwlock_unlock(&s->tokens_mu);
  return found;
}

static enum MHD_Result send_console(req *r) {
  sb_console_resp *c = &r->cresp;
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(c->body.len, c->body.p, MHD_RESPMEM_MUST_FREE);
  if (!resp) return MHD_NO;
  c->body.p = NULL, c->body.len = c->body.cap = 0; /* the response frees it */
  for (int i = 0; i < c->n_headers; i++)
    MHD_add_response_header(resp, c->headers[i].name, c->headers[i].value);
  if (atomic_load(&r->srv->stopping))
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  r->status = c->status;
  enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)c->status, resp);
  MHD_destroy_response(resp);
  r->answered = 1;
  return ok;
}

/* The console's reader answered (or dropped) a page that scans: hand the
** request back as the ledger thread does (see run_group). */
static void console_done(void *ctx, void *token, int ok) {
  (void)ctx;
  req *r = token;
  if (!ok)
    srv_answer_error(r, 503, "unavailable", NULL,
                     "the console could not read the ledger; nothing was changed, retry");
  r->done = 1;
  /* after this the HTTP thread owns r again: do not touch it */
  MHD_resume_connection(r->conn);
}

static enum MHD_Result handle_console(sb_server *s, req *r) {
  sb_console_in in = {r->method,   r->raw,         r->body.p, r->body.len,
                      console_arg, console_header, r,         r->who ? 1 : r->bearer_sent ? -1 : 0,
                      {0},         r->query};
  if (r->who) console_who(r->who, &in.bearer);
  sb_error e = {0};
  if (sb_console_request(s->console, &in, &r->cjob, &r->cresp, &e))
    return reply_error(r, 500, "internal", NULL, "out of memory");
  if (!r->cjob) return send_console(r);
  if (sb_console_job_scans(r->cjob)) {
    /* a page that scans is read beside the ledger thread, not on it */
    r->live = srv_live_acquire(s);
    MHD_suspend_connection(r->conn); /* before the reader can resume it */
    if (sb_console_submit(s->console, r->cjob, r->live->lv, &r->cresp, r, &e))
      console_done(s, r, 0);
    return MHD_YES;
  }
  if (srv_enqueue(s, r))
    return reply_error(r, 503, "shutting_down", NULL,
                       "the server is stopping; retry elsewhere or later");
  return MHD_YES;
}

/* The rest, once the body is in: the body's JSON and the query. */
static enum MHD_Result handle(sb_server *s, req *r) {
  if (r->kind == JOB_CONSOLE) return handle_console(s, r);
  int writes = r->kind == JOB_SETTLE || r->kind == JOB_PRESETTLE || r->kind == JOB_REVERSE;
  if (writes) {
    sb_api_problem p;
    int rc = sb_api_claim_csv(r->body.p ? r->body.p : "", r->body.len,
                              r->kind == JOB_REVERSE ? r->target : NULL, &r->csv, &r->fees_csv,
                              &r->claim, &p);
    if (rc == SB_ENOMEM) return reply_error(r, 500, "internal", NULL, "out of memory");
    if (rc) return reply_error(r, 400, "bad_request", p.field, p.msg);
    /* parsing the row and the checks that need only the reference data run
    ** here, in parallel; the ledger thread does only what needs the ledger */
    sb_error e = {0};
    r->live = srv_live_acquire(s);
    if (sb_live_prepare(r->live->lv, r->csv.p, r->csv.len, r->fees_csv.p, r->fees_csv.len,
                        &r->prepared, &e))
      return e.code == SB_EINVAL ? reply_error(r, 400, "bad_request", e.where, e.msg)
                                 : reply_error(r, 500, "internal", NULL, e.msg);
    /* An id longer than any claim can have is refused here, with the reason
    ** the ledger would give, and never reaches it: a rejected row is
    ** recorded as received, and the append-only ledger would keep a
    ** 16,000-byte id (or 200 KB of one, up to --max-body) for good. */
    size_t tn = r->kind == JOB_REVERSE ? strlen(r->target) : 0;
    int long_row = r->claim.claim_id_len > ID_MAX || r->claim.person_id_len > ID_MAX ||
                   r->claim.date_len > ID_MAX;
    if (long_row || tn > ID_MAX) {
      sb_batch_row v;
      sb_batch_row_view(sb_live_claim_batch(r->prepared), 0, &v);
      return reject_here(s, r,
                         v.status == SB_ROW_REJECTED ? v.reason
                         : long_row                  ? SB_R_MALFORMED_ROW
                                                     : SB_R_UNKNOWN_CLAIM);
    }
    const char *ex = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "explain");
    r->explain = ex && strcmp(ex, "0") != 0 && strcmp(ex, "false") != 0;
  } else if (r->body.len) {
    return reply_error(r, 400, "bad_request", "body", "this route takes no body");
  }
  if (r->kind == JOB_BALANCE) {
    const char *y = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "year");
    long v = sb_console_digits_only(y, 4, 1) ? strtol(y, NULL, 10) : 0;
    if (v < 1900 || v > 9999) return reply_error(r, 400, "bad_request", "year", "want ?year=YYYY");
    r->year = (int)v;
  }
  if (r->kind == JOB_ALERTS) {
    const char *since = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "since");
    const char *lim = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "limit");
    const char *after = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "after");
    if (after) {
      char *end;
      errno = 0;
      long long v = strtoll(after, &end, 10);
      if (!sb_console_digits_only(after, 64, 0) || *end || v < 0 || errno == ERANGE)
        return reply_error(r, 400, "bad_request", "after",
                           "want ?after=SEQ, the next_after of the previous page");
      r->after = v;
    }
    r->since = INT32_MIN;
    if (since && sb_date_parse(since, strlen(since), &r->since))
      return reply_error(r, 400, "bad_request", "since", "want ?since=YYYY-MM-DD");
    r->limit = 1000;
    if (lim) {
      r->limit = sb_console_digits_only(lim, 6, 0) ? strtol(lim, NULL, 10) : 0;
      if (r->limit < 1 || r->limit > 100000)
        return reply_error(r, 400, "bad_request", "limit", "want ?limit=1..100000");
    }
  }
  if (srv_enqueue(s, r))
    return reply_error(r, 503, "shutting_down", NULL,
                       "the server is stopping; retry elsewhere or later");
  return MHD_YES;
}

/* After the ledger thread: the answer of a claim is written here, on an
** HTTP thread, so the one ledger thread does only what must be serial. */
static enum MHD_Result finish(sb_server *s, req *r) {
  (void)s;
  /* a console page, unless its group failed (then r->out holds the 503) */
  if (r->kind == JOB_CONSOLE && !r->out.len) return send_console(r);
  if ((r->kind == JOB_SETTLE || r->kind == JOB_PRESETTLE || r->kind == JOB_REVERSE) &&
      !r->out.len) {
    sb_api_answer_ctx x = {&r->claim,
                           &r->ans,
                           sb_live_policies(r->live->lv),
                           sb_live_registry(r->live->lv),
                           r->explain,
                           r->prepared && !r->ans.replay ? sb_live_claim_batch(r->prepared) : NULL};
    if (r->kind == JOB_PRESETTLE ? sb_api_presettlement_json(&x, &r->out)
                                 : sb_api_answer_json(&x, &r->out))
      return reply_error(r, 500, "internal", NULL, "out of memory");
  }
  return send_answer(r);
}

/* The path and query of a request target in absolute form
** ("http://host:port/v1/alerts?after=5"), which RFC 9112 §3.2.2 says a
** server must accept (a client sends it to a proxy, and may to any server):
** the authority is Host's business, not the route's.  Any other target
** is returned as it is.  The path may be empty ("http://host"): *slash is
** then 1, for the "/" the caller puts before the rest. */
static const char *origin_form(const char *uri, int *slash) {
  size_t k = !strncasecmp(uri, "http://", 7) ? 7 : !strncasecmp(uri, "https://", 8) ? 8 : 0;
  *slash = 0;
  if (!k) return uri;
  const char *p = uri + k + strcspn(uri + k, "/?");
  *slash = *p != '/';
  return p;
}

/* The request line is in (libmicrohttpd calls this before it decodes the
** path or reads a header): the request starts here, with the path as sent. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  sb_server *s = cls;
  req *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  /* the path, then (after its NUL) the query as sent, for the console's
  ** way back after a login */
  int slash;
  uri = origin_form(uri, &slash);
  size_t n = strcspn(uri, "?"), all = strlen(uri);
  if (!(r->raw = malloc(all + 1 + (size_t)slash))) {
    free(r);
    return NULL;
  }
  r->raw[0] = '/';
  memcpy(r->raw + slash, uri, all + 1);
  n += (size_t)slash, all += (size_t)slash;
  r->raw[n] = 0;
  r->query = n < all ? r->raw + n + 1 : NULL;
  r->srv = s;
  r->conn = c;
  r->t0 = srv_now_us();
  r->route = SB_ROUTE_OTHER;
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  if (ci && ci->socket_context) ((conn_ctx *)ci->socket_context)->open = r;
  atomic_fetch_add_explicit(&s->m.in_flight, 1, memory_order_relaxed);
  return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  sb_server *s = cls;
  (void)url; /* routed on the path as sent (r->raw) */
  req *r = *con_cls;
  if (!r) return MHD_NO; /* on_uri ran out of memory */
  if (!r->started) {
    r->started = 1;
    r->late = atomic_load(&s->stopping);
    /* the headers are in: the connection's header deadline is over */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci && (r->cc = ci->socket_context)) {
      pthread_mutex_lock(&s->conn_mu);
      r->cc->busy = 1;
      pthread_mutex_unlock(&s->conn_mu);
    }
    /* routed now, so that a request that times out while its body arrives
    ** is still counted under its route */
    r->routed = route(r, method, r->raw);
    r->no_host = version && !strcmp(version, MHD_HTTP_VERSION_1_1) &&
                 !MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    enum MHD_Result res;
    if (headers_only(s, r, &res)) return res;
    return MHD_YES;
  }
  if (*upload_size) {
    /* A body past the limit (chunked: no Content-Length told us before),
    ** or one still arriving after the timeout however steadily it comes,
    ** ends the connection: libmicrohttpd cannot answer in the middle of
    ** an upload, and reading on would let one client keep a thread busy
    ** for ever. */
    if (r->body.len + *upload_size > s->cfg.max_body) {
      r->too_big = 1;
      return MHD_NO;
    }
    if (srv_now_us() - r->t0 > (uint64_t)s->cfg.timeout_s * 1000000u) {
      r->too_slow = 1;
      return MHD_NO;
    }
    if (sb_buf_put(&r->body, upload, *upload_size)) return MHD_NO;
    *upload_size = 0;
    return MHD_YES;
  }
  if (r->answered) return MHD_YES;
  if (r->done) return finish(s, r);
  return handle(s, r);
}

/* A request's end, answered or not: counted, logged and freed.  `how` is
** added to its access-log line ("" if it ended normally). */
static void req_end(sb_server *s, req *r, int status, const char *how) {
  uint64_t us = srv_now_us() - r->t0;
  sb_metrics_request(&s->m, r->route, status, us);
  if (s->cfg.access_log)
    srv_log(s, "%s %d %lluus %s%s", sb_metrics_route_name(r->route), status, (unsigned long long)us,
            r->who ? r->who->institution : "-", how);
  sb_buf_free(&r->body);
  sb_buf_free(&r->out);
  sb_buf_free(&r->csv);
  sb_buf_free(&r->fees_csv);
  sb_live_claim_free(r->prepared);
  srv_live_release(r->live);
  sb_api_claim_free(&r->claim);
  sb_console_job_free(r->cjob);
  sb_console_resp_free(&r->cresp);
  free(r->target);
  free(r->raw);
  free(r);
  atomic_fetch_sub_explicit(&s->m.in_flight, 1, memory_order_relaxed);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why) {
  sb_server *s = cls;
  req *r = *con_cls;
  if (!r) return;
  /* the connection is ready for its next request from now: its header
  ** deadline starts again (a request cut by it counts as a 408) */
  int cut = 0;
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  conn_ctx *cc = ci ? ci->socket_context : NULL;
  if (cc) {
    if (cc->open == r) cc->open = NULL;
    pthread_mutex_lock(&s->conn_mu);
    cut = cc->cut;
    cc->busy = 0;
    cc->since = srv_now_us();
    pthread_mutex_unlock(&s->conn_mu);
  }
  /* a connection closed for a body too big or too slow, or for headers too
  ** slow, counts as the 413 / 408 it would have been answered, had HTTP let
  ** us answer mid-request */
  int status = r->answered                           ? r->status
               : r->too_big                          ? 413
               : r->too_slow || (cut && !r->started) ? 408
                                                     : 0;
  *con_cls = NULL;
  req_end(s, r, status,
          why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended early)");
}

/* Every connection, from accept to close: its header deadline. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
  sb_server *s = cls;
  if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    conn_ctx *cc = ci ? calloc(1, sizeof *cc) : NULL;
    *socket_context = cc;
    if (!cc) return; /* untracked: the idle timeout still holds */
    cc->fd = ci->connect_fd;
    cc->since = srv_now_us();
    pthread_mutex_lock(&s->conn_mu);
    cc->next = s->conns;
    if (s->conns) s->conns->prev = cc;
    s->conns = cc;
    pthread_mutex_unlock(&s->conn_mu);
  } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
    /* before libmicrohttpd closes the socket: the watchdog never shuts
    ** down a descriptor that may have been reused */
    conn_ctx *cc = *socket_context;
    pthread_mutex_lock(&s->conn_mu);
    if (cc->prev)
      cc->prev->next = cc->next;
    else
      s->conns = cc->next;
    if (cc->next) cc->next->prev = cc->prev;
    pthread_mutex_unlock(&s->conn_mu);
    /* A request libmicrohttpd dropped after on_uri without calling
    ** on_completed: one whose query parameters ran its connection memory
    ** out (docs/decisions.md).  It logs "Not enough memory in pool to
    ** allocate header record", tries to answer 431 with no memory left to
    ** build it, and leaves the connection to the deadline.  Before this
    ** line such a request was never freed: it held its memory and one
    ** count of in_flight for good, and a graceful stop waited its 10 s for
    ** it (tests/e2e/server_hardening.sh).  Only a request that never
    ** reached on_request: one that did may be queued for the ledger
    ** thread, and libmicrohttpd always completes those. */
    if (cc->open && !cc->open->started)
      req_end(s, cc->open, 0, " (dropped by libmicrohttpd before sanbao saw it)");
    free(cc);
    *socket_context = NULL;
  }
}

/* The watchdog: a connection whose request line and headers are not all in
** --timeout seconds after it was ready for them is shut down (libmicrohttpd
** then reads the end of the stream and closes it).  libmicrohttpd's own
** timeout is for inactivity only, and a client sending a header line every
** few seconds is never inactive: a thousand of them would hold every
** connection for as long as they like, before any token is checked. */
static void *watch_main(void *arg) {
  sb_server *s = arg;
  uint64_t limit = (uint64_t)s->cfg.timeout_s * 1000000u;
  pthread_mutex_lock(&s->conn_mu);
  while (!s->watch_stop) {
    uint64_t now = srv_now_us();
    for (conn_ctx *cc = s->conns; cc; cc = cc->next)
      if (!cc->busy && !cc->cut && now - cc->since > limit) {
        cc->cut = 1;
        shutdown(cc->fd, SHUT_RDWR);
      }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 100 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    pthread_cond_timedwait(&s->watch_cv, &s->conn_mu, &ts);
  }
  pthread_mutex_unlock(&s->conn_mu);
  return NULL;
}

/* ---- start and stop ------------------------------------------------------------------- */

/* "HOST:PORT" or "[V6]:PORT" into a socket address. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len, int *v6,
                        sb_error *err) {
  char host[128];
  const char *port;
  if (spec[0] == '[') {
    const char *end = strchr(spec, ']');
    if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof host) goto bad;
    memcpy(host, spec + 1, (size_t)(end - spec - 1));
    host[end - spec - 1] = 0;
    port = end + 2;
  } else {
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host) goto bad;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = 0;
    port = colon + 1;
  }
  char *end;
  long p = strtol(port, &end, 10);
  if (!*port || *end || p < 0 || p > 65535) goto bad;
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &ai) || !ai) goto bad;
  memcpy(ss, ai->ai_addr, ai->ai_addrlen);
  *len = ai->ai_addrlen;
  *v6 = ai->ai_family == AF_INET6;
  freeaddrinfo(ai);
  return SB_OK;
bad:
  return sb_error_set(err, SB_EINVAL, spec,
                      "want --listen HOST:PORT with a numeric address, "
                      "e.g. 127.0.0.1:8080 or [::1]:8080");
}

static int is_loopback(const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  }
  const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
  return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
}

static int hex_digit(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* Percent-decoding of the path and the query, in place, as libmicrohttpd's
** own — except that %00 stays as it is: a NUL would cut the C string short
** and route "/v1/settlements/A1%00x" as the claim "A1".  Kept encoded, the
** id is simply one that does not exist. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *str) {
  (void)cls, (void)c;
  char *w = str;
  for (const char *r = str; *r;) {
    int hi, lo;
    if (r[0] == '%' && (hi = hex_digit(r[1])) >= 0 && (lo = hex_digit(r[2])) >= 0 &&
        (hi | lo) != 0) {
      *w++ = (char)(hi * 16 + lo);
      r += 3;
    } else {
      *w++ = *r++;
    }
  }
  *w = 0;
  return (size_t)(w - str);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  sb_server *s = cls;
  if (!s->cfg.log) return;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  while (n && line[n - 1] == '\n')
    line[--n] = 0;
  s->cfg.log(s->cfg.log_ctx, line);
}

static void watch_stop(sb_server *s) {
  if (!s->watch_started) return;
  pthread_mutex_lock(&s->conn_mu);
  s->watch_stop = 1;
  pthread_cond_signal(&s->watch_cv);
  pthread_mutex_unlock(&s->conn_mu);
  pthread_join(s->watch, NULL);
  s->watch_started = 0;
}

static void server_free(sb_server *s) {
  if (!s) return;
  watch_stop(s);
  srv_live_release(s->live);
  /* the console's reader first: its connection to the ledger file must be
  ** closed before the ledger's store closes the descriptors it opened on
  ** that file (closing one drops every POSIX lock this process holds on it,
  ** SQLite's too: sq_serve_close_files) */
  sb_console_free(s->console);
  if (s->st) s->st->ops->close(s->st);
  sb_tokens_free(&s->tokens);
  free(s->owners);
  free(s->mine);
  free(s->created);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->sync_mu);
  pthread_cond_destroy(&s->sync_cv);
  pthread_mutex_destroy(&s->live_mu);
  pthread_rwlock_destroy(&s->tokens_mu);
  pthread_mutex_destroy(&s->conn_mu);
  pthread_cond_destroy(&s->watch_cv);
  free(s);
}

/* The per-connection memory of libmicrohttpd (its default is 32 KiB): the
** request line and headers, and one header record (about 50 bytes) per query
** parameter.  libmicrohttpd zeroes the WHOLE pool after every request of a
** kept-alive connection, so its size is paid on every settlement: at 64 KiB
** (until 2026-12-06) that memset cost the server about 3 us of its 45-60 us a
** request, and 6 us on a ledger of 3 M claims (53.5-53.8 us against 59.9-60.2
** us, 21.2-21.3 k settlements/s against 19.0-19.5 k, scripts/bench-server.sh;
** docs/performance.md, thirteenth session) -- more than the zeroing itself,
** likely because it also evicts from the core's caches what the ledger thread
** had there.  16 KiB still holds a request line and headers of about 15 KiB,
** beyond any client's, and up to about 210 query parameters reach the
** handler, which answers 431 above 32; past that libmicrohttpd runs out of
** records and drops the request unanswered (docs/decisions.md). */
#define CONNECTION_MEMORY (16 * 1024)

int sb_server_start(const sb_server_config *cfg, sb_server **out, sb_error *err) {
  sb_server *s = calloc(1, sizeof *s);
  if (!s) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  s->cfg = *cfg;
  if (!s->cfg.threads) s->cfg.threads = 2;
  if (!s->cfg.max_connections) s->cfg.max_connections = 1024;
  if (!s->cfg.timeout_s) s->cfg.timeout_s = 30;
  if (!s->cfg.max_body) s->cfg.max_body = 262144; /* a claim with 500 fee lines fits */
  if (!s->cfg.max_per_ip) s->cfg.max_per_ip = 128;
  if (!s->cfg.listen) s->cfg.listen = "127.0.0.1:8080";
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  pthread_mutex_init(&s->sync_mu, NULL);
  pthread_cond_init(&s->sync_cv, NULL);
  pthread_mutex_init(&s->live_mu, NULL);
  pthread_rwlock_init(&s->tokens_mu, NULL);
  pthread_mutex_init(&s->conn_mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->watch_cv, &ca);
  pthread_condattr_destroy(&ca);
  s->listen_fd = MHD_INVALID_SOCKET;
  s->m.started = (int64_t)time(NULL);
  struct sockaddr_storage ss;
  socklen_t sslen;
  int v6 = 0, rc;
  if ((rc = parse_listen(s->cfg.listen, &ss, &sslen, &v6, err)) ||
      (rc = sb_tokens_load(s->cfg.tokens_path, &s->tokens, err)) ||
      (rc = sb_store_open(s->cfg.db_path, 0, &s->st, err)) ||
      (rc = open_live(s->st, &s->live, err)) || (rc = s->st->ops->serve_start(s->st, err)) ||
      (rc = sb_console_new(&(sb_console_config){console_token_check, console_token_alive, s, 0,
                                                s->cfg.console_secure_cookie, s->cfg.db_path,
                                                console_done},
                           &s->console, err))) {
    server_free(s);
    return rc;
  }
  if (!s->tokens.n)
    srv_log(s, "warning: %s holds no token: every request will be 401", s->cfg.tokens_path);
  if (!is_loopback(&ss))
    srv_log(s, "warning: listening on %s, reachable from other machines", s->cfg.listen);
  if ((rc = srv_ledger_start(s, err))) {
    server_free(s);
    return rc;
  }
  if (pthread_create(&s->watch, NULL, watch_main, s)) {
    srv_ledger_stop(s);
    server_free(s);
    return sb_error_set(err, SB_EIO, NULL, "cannot start the watchdog thread");
  }
  s->watch_started = 1;
  struct MHD_OptionItem pool[2] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
  if (s->cfg.threads > 1)
    pool[0] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads, NULL};
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
  s->d = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
      /* one thread: the polling thread itself (a pool of 1
      ** is refused with a warning), so the pool option is
      ** in the array only for more */
      MHD_OPTION_ARRAY, pool, MHD_OPTION_CONNECTION_LIMIT, s->cfg.max_connections,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->cfg.max_per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      (size_t)CONNECTION_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.timeout_s,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
      MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
  if (!s->d) {
    srv_ledger_stop(s);
    server_free(s);
    return sb_error_set(err, SB_EIO, cfg->listen ? cfg->listen : "127.0.0.1:8080",
                        "cannot listen (address in use, or not an address of this machine?)");
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : 0;
  *out = s;
  return SB_OK;
}

int sb_server_port(const sb_server *s) {
  return s->port;
}

const char *sb_server_ledger_name(const sb_server *s) {
  return s->st->where;
}

const sb_metrics *sb_server_metrics(const sb_server *s) {
  return &s->m;
}

int sb_server_stop(sb_server *s, unsigned grace_s, sb_error *err) {
  atomic_store(&s->stopping, 1);
  /* No new connection from now on.  The socket is not closed yet: a
  ** worker thread of libmicrohttpd may still be using it (epoll_ctl) right
  ** after MHD_quiesce_daemon returns, and a descriptor closed under it could
  ** be reused by anything; it is closed after MHD_stop_daemon.  Shutting it
  ** down stops the listening at once — a client connecting now is refused,
  ** instead of waiting in the listen queue until the process exits. */
  s->listen_fd = MHD_quiesce_daemon(s->d);
  if (s->listen_fd != MHD_INVALID_SOCKET) shutdown(s->listen_fd, SHUT_RDWR);
  /* requests under way finish: the ledger thread still runs */
  uint64_t deadline = srv_now_us() + (uint64_t)grace_s * 1000000u;
  while (atomic_load(&s->m.in_flight) > 0 && srv_now_us() < deadline) {
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  int64_t left = atomic_load(&s->m.in_flight);
  srv_ledger_stop(s); /* it drains the queue first, the syncer answers the rest */
  /* the console's reader finishes its page and drops the rest (503) */
  sb_console_stop(s->console);
  /* what the drain committed after the grace ran out still gets its answer
  ** sent, if the client is there to read it (a short, bounded wait) */
  deadline = srv_now_us() + 1000000u;
  while (atomic_load(&s->m.in_flight) > 0 && srv_now_us() < deadline) {
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  MHD_stop_daemon(s->d);
  if (s->listen_fd != MHD_INVALID_SOCKET) close(s->listen_fd);
  watch_stop(s);
  int rc = SB_OK;
  /* close each run this server kept, with what it holds — unless the
  ** ledger's disk failed: then nothing more is written, and the stop says
  ** so (the exit status is not 0) */
  if (atomic_load(&s->ledger_failed))
    rc = sb_error_set(err, SB_EIO, s->cfg.db_path,
                      "a write to the ledger's disk failed while serving (see the log): "
                      "requests answered 503 since then may or may not be stored");
  else if (s->mine_n && !(rc = s->st->ops->begin(s->st, err))) {
    for (size_t i = 0; i < s->mine_cap && !rc; i++)
      if (s->mine[i].run_id) rc = s->st->ops->run_finish(s->st, s->mine[i].run_id, "served", err);
    rc = rc ? rc : s->st->ops->commit(s->st, err);
    if (rc) s->st->ops->rollback(s->st);
    /* durable now, as every group was before its answer */
    if (!rc && s->st->serve_sync) rc = s->st->serve_sync(s->st, err);
  }
  if (left > 0)
    srv_log(s, "stopped with %lld requests unfinished after %us", (long long)left, grace_s);
  server_free(s);
  return rc;
}

int sb_server_reload(sb_server *s, char *summary, size_t n, sb_error *err) {
  sb_tokens t;
  int rc = sb_tokens_load(s->cfg.tokens_path, &t, err);
  if (rc) return rc;
  /* The reference data through a connection of its own, so that the ledger
  ** thread goes on settling while it is read (a registry of millions takes
  ** seconds); then handed to the ledger thread's connection. */
  sb_store *st;
  live_ref *l = NULL;
  if ((rc = sb_store_open(s->cfg.db_path, 0, &st, err))) {
    sb_tokens_free(&t);
    return rc;
  }
  rc = open_live(st, &l, err);
  if (!rc) sb_live_use_store(l->lv, s->st);
  st->ops->close(st);
  if (rc) {
    sb_tokens_free(&t);
    return rc;
  }
  snprintf(summary, n, "%zu tokens, %ld persons, %d policies", t.n,
           (long)sb_registry_count(sb_live_registry(l->lv)), sb_live_policies(l->lv)->n);
  /* requests that prepared a claim keep the old data until answered; the
  ** last of them frees it */
  pthread_mutex_lock(&s->live_mu);
  live_ref *old = s->live;
  s->live = l;
  pthread_mutex_unlock(&s->live_mu);
  srv_live_release(old);
  pthread_rwlock_wrlock(&s->tokens_mu);
  sb_tokens ot = s->tokens;
  s->tokens = t;
  pthread_rwlock_unlock(&s->tokens_mu);
  sb_tokens_free(&ot);
  return SB_OK;
}
