/*
** sanbao console — the bureau console (控制台): the ledger as its clerks and
** analysts read it, server-rendered HTML behind `sanbao serve` (docs/console.md).
**
** How it fits the server, and why:
**
**  - The server routes every path under /console to this library and keeps
**    its own token check: a request with a bearer token is authenticated by
**    the server (src/server/tokens.c) and arrives here with who it is; a
**    clerk without a way to send headers logs in once with the same token
**    and gets a session cookie.  There is no second kind of credential:
**    the session only remembers which token (its hash) it was opened with,
**    and each request checks, through the server's callback, that the
**    token is still in the tokens file (a token revoked by SIGHUP ends its
**    sessions at once).
**
**  - A request is handled in two steps, as the server handles claims:
**    sb_console_request() runs on an HTTP thread and decides everything
**    that needs no ledger (access, the login form, the stylesheet, bad
**    input); what needs the ledger becomes a job.  A job about one person
**    or one claim, or a handled mark, the server runs on its one ledger
**    thread with sb_console_run(), inside that thread's transaction,
**    between settlements — a few index probes, a consistent ledger, and a
**    mark written like any other write.  A job that scans (the overview,
**    the worklist: sb_console_job_scans) goes to the console's own reader
**    thread (sb_console_submit, reader.c), which reads beside the ledger
**    thread so that no settlement waits for it.  The HTTP thread then
**    sends the answer.
**
**  - Every page is built in memory and escaped as it is written: every id,
**    name and note goes through sb_html_escape() (html.h), whatever bytes
**    it holds.  Pages use no script; the Content-Security-Policy forbids
**    any, and styles come from one served stylesheet.
**
** The library prints nothing and logs nothing: no personal data can leak
** into a log from here.
*/
#ifndef SANBAO_CONSOLE_H
#define SANBAO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "io/buf.h"
#include "ledger/ledger.h"
#include "sanbao/error.h"
#include "store/store.h"

/* Who a token belongs to, as the server's token check says. */
typedef struct sb_console_who {
  int admin;            /* 1: an admin token; 0: a hospital token */
  char institution[65]; /* the token's institution (never personal data) */
  uint8_t hash[32];     /* the token's hash, to check it again later */
} sb_console_who;

typedef struct sb_console_config {
  /* The server's token check: 1 and *who filled when `token` (len bytes) is
  ** a token of the tokens file, else 0.  Called on HTTP threads. */
  int (*token_check)(void *ctx, const char *token, size_t len, sb_console_who *who);
  /* 1 and *who refreshed when a token with this hash is still in the
  ** tokens file, else 0.  Called on HTTP threads. */
  int (*token_alive)(void *ctx, const uint8_t hash[32], sb_console_who *who);
  void *ctx;
  unsigned session_s; /* a session's idle lifetime in seconds (default 8 hours) */
  int secure_cookie;  /* add `Secure` to the cookie (behind an HTTPS proxy) */
  /* The ledger, for the reader thread of the pages that scan (see
  ** sb_console_submit); NULL: no reader (sb_console_submit fails). */
  const char *db_path;
  /* Called on the reader's thread when a submitted job is answered (ok 1:
  ** *resp is the page) or failed (ok 0: store error, or dropped at the
  ** stop); `token` is sb_console_submit's. */
  void (*done)(void *ctx, void *token, int ok);
} sb_console_config;

typedef struct sb_console sb_console;

/* A console with no session yet.  Returns 0, or SB_ENOMEM. */
int sb_console_new(const sb_console_config *cfg, sb_console **out, sb_error *err);
void sb_console_free(sb_console *c);

/* The answer to send: status, headers (name/value pairs, all static or
** owned here) and the body. */
#define SB_CONSOLE_HEADERS 10
typedef struct sb_console_resp {
  int status;
  int n_headers;
  struct {
    const char *name;
    char *value; /* owned */
  } headers[SB_CONSOLE_HEADERS];
  sb_buf body;
} sb_console_resp;

/* Free what a response owns (not the struct itself). */
void sb_console_resp_free(sb_console_resp *r);

/*
** The headers every answer on a console path carries besides its
** Content-Type: the Content-Security-Policy, Cache-Control: no-store and
** the others docs/console.md lists.  The console's own pages get them from
** page_headers(); the server adds them to the answers it gives on a
** console path itself (431 for too many query parameters, 413, 503 while
** stopping), so that no answer there escapes them.  Ends with {NULL, NULL}.
*/
typedef struct sb_console_header {
  const char *name, *value;
} sb_console_header;
extern const sb_console_header SB_CONSOLE_SECURITY_HEADERS[];

/* Is `v` decimal digits only, 1 to `max` of them (exactly `max` when
** `exact`)?  A query number of the console and of the API (year, page,
** after, limit) must be: strtol alone also takes a sign and leading spaces
** ("+2022", " 3"), which no form or documented URL writes.  NULL: no. */
int sb_console_digits_only(const char *v, size_t max, int exact);

/* One request as the server saw it. */
typedef struct sb_console_in {
  const char *method;
  const char *path; /* the path as sent, before percent-decoding */
  const char *body; /* the form (application/x-www-form-urlencoded), may be NULL */
  size_t body_len;
  /* a query argument (percent-decoded by the server), or NULL */
  const char *(*arg)(void *ctx, const char *name);
  /* a request header, or NULL */
  const char *(*header)(void *ctx, const char *name);
  void *ctx;
  /* the server's own bearer check: who (bearer_ok 1), a bearer token that
  ** matched nothing (bearer_ok -1), or no Authorization header (0) */
  int bearer_ok;
  sb_console_who bearer;
  /* the query as sent (after "?", not decoded), or NULL: kept in the way
  ** back to the page after a login */
  const char *query;
} sb_console_in;

typedef struct sb_console_job sb_console_job;

/*
** The HTTP thread's part.  Reads `in` (which need not outlive the call)
** and either answers at once (returns 0 with *job NULL and *resp filled) or
** needs the ledger (returns 0 with *job set: run it with sb_console_run on
** the thread that owns the store, then free it).  Returns SB_ENOMEM only.
*/
int sb_console_request(sb_console *c, const sb_console_in *in, sb_console_job **job,
                       sb_console_resp *resp, sb_error *err);

/*
** Does the job scan the ledger (the overview, the worklist)?  Then it
** should not hold the thread that settles claims: submit it to the
** console's own reader instead of running it with sb_console_run.
*/
int sb_console_job_scans(const sb_console_job *job);

/*
** Queue a job that scans for the console's reader thread, which builds the
** page into *resp from its own connection to the ledger (committed data,
** read beside the settling thread) and the reference data of `lv`, then
** calls cfg.done(cfg.ctx, token, ok).  job, lv and resp must stay valid
** until then.  Returns 0, or SB_ENOMEM / SB_EIO (no reader, or stopping):
** then done is not called.
*/
int sb_console_submit(sb_console *c, sb_console_job *job, sb_live *lv, sb_console_resp *resp,
                      void *token, sb_error *err);

/*
** Stop the reader: the page under way is finished, the queued ones are
** answered as failed (done with ok 0), and no job is taken after.  Call it
** before the connections that wait for `done` go away.
*/
void sb_console_stop(sb_console *c);

/*
** The ledger thread's part: build the page of `job` from `st` (inside the
** caller's write transaction, which a handled mark writes to) and the
** reference data of `lv`, into *resp.  Returns 0 (a page, a 404 page
** included), or a negative code when the store failed (the caller rolls
** back and answers 503).
*/
int sb_console_run(sb_console_job *job, sb_store *st, sb_live *lv, sb_console_resp *resp,
                   sb_error *err);

void sb_console_job_free(sb_console_job *job);

#endif
