/*
** sanbao server — the real-time one-stop settlement API (一站式结算) over
** the ledger, on libmicrohttpd.  The routes and bodies are in docs/api.md.
**
** How it is built, and why:
**
**  - HTTP threads (libmicrohttpd's thread pool) read requests, check the
**    token, parse the JSON, build the claims row and write the answers: all
**    the work that can run side by side does.
**
**  - One ledger thread owns the SQLite connection.  It takes every request
**    queued since its last turn, settles them one after the other in
**    arrival order inside one BEGIN IMMEDIATE ... COMMIT, and only then
**    wakes their connections (group commit: one fsync carries many claims,
**    and no answer leaves before its claim is durable).  Settling is tens
**    of nanoseconds of arithmetic and a few indexed reads and writes, so one
**    thread is not what limits throughput, and it makes "requests for the
**    same person are serialised" true by construction: there is one order,
**    the arrival order, for everybody.
**
**  - Each claim is read and checked by sb_live_prepare() on its HTTP thread
**    and settled by sb_live_settle_prepared() on the ledger thread: the
**    batch's own rules after everything the ledger holds, so a claim
**    settled here and the same claim imported from a file by `sanbao db
**    import-claims` get the same answer.
**
**  - A failure of the store (disk full, a lock held too long by another
**    process) rolls the whole group back and answers each request of it
**    503: the client retries, and retries are idempotent.
**
**  - A watchdog thread bounds the request line and headers (--timeout from
**    when the connection is ready for a request; libmicrohttpd's own
**    timeout is for inactivity only), and libmicrohttpd caps the
**    connections per client address.
**
**  - SIGHUP (sb_server_reload) swaps in new tokens and reference data; the
**    reference data is counted, so a request in flight keeps what it was
**    checked against until it is answered.
**
** The library prints nothing: lines for a log go to config.log.
*/
#ifndef SANBAO_SERVER_H
#define SANBAO_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "sanbao/error.h"
#include "server/metrics.h"

typedef struct sb_server_config {
  const char *db_path;       /* an existing ledger (sanbao db init) */
  const char *tokens_path;   /* sanbao tokens add */
  const char *listen;        /* "127.0.0.1:8080", "[::1]:8080"; port 0 picks one */
  int threads;               /* HTTP threads (default 2) */
  unsigned max_connections;  /* default 1024 */
  unsigned max_per_ip;       /* connections from one client address (default 128) */
  unsigned timeout_s;        /* idle timeout of a connection, and the most a request's
                                headers, or its body, may take to arrive (default 30) */
  size_t max_body;           /* bytes (default 262144) */
  int access_log;            /* one log line per request (no personal data) */
  int console_secure_cookie; /* the console's session cookie is `Secure` (behind HTTPS) */
  void (*log)(void *ctx, const char *line);
  void *log_ctx;
} sb_server_config;

typedef struct sb_server sb_server;

/* Open the ledger, read the tokens, start the ledger thread and listen.
** The caller should block SIGTERM/SIGINT in every thread first (the threads
** started here inherit the mask) and wait for them itself. */
int sb_server_start(const sb_server_config *cfg, sb_server **out, sb_error *err);

/* The port listened on (useful with port 0). */
int sb_server_port(const sb_server *s);

/* The ledger as messages name it: the SQLite file's path, or the
** PostgreSQL URI with every password masked (sb_store's `where`); valid
** until sb_server_stop.  Print this, not the configured db_path. */
const char *sb_server_ledger_name(const sb_server *s);

const sb_metrics *sb_server_metrics(const sb_server *s);

/* Re-read the tokens file, the registry, the policies and the catalogue
** (SIGHUP), without a restart, all or nothing: when one cannot be read the
** server keeps what it had and *err says why.  Requests under way are
** answered with what they started with (their token was checked; their
** claim was read against the old registry).  `summary` receives what was
** read, for the log.  Call it from one thread at a time, not during stop. */
int sb_server_reload(sb_server *s, char *summary, size_t n, sb_error *err);

/* Graceful stop: stop accepting, answer 503 to requests that start from now
** on, let every request under way finish (at most `grace_s` seconds),
** commit what is queued, close the ledger.  Frees the server. */
int sb_server_stop(sb_server *s, unsigned grace_s, sb_error *err);

#endif
