/*
** sanbao server — what server.c (HTTP, start and stop) and server_ledger.c
** (the ledger thread: group commit, jobs, owners of runs; the syncer) share.  Not a
** public interface: callers use server.h.
*/
#ifndef SANBAO_SERVER_INT_H
#define SANBAO_SERVER_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "console/console.h"
#include "ledger/ledger.h"
#include "server/api.h"
#include "server/server.h"
#include "server/tokens.h"
#include "store/store.h"

/* ---- requests and jobs ----------------------------------------------------------- */

typedef enum job_kind {
  JOB_SETTLE,    /* POST /v1/settlements */
  JOB_PRESETTLE, /* POST /v1/presettlements: nothing written */
  JOB_REVERSE,   /* POST /v1/settlements/{id}/reversal */
  JOB_GET,       /* GET /v1/settlements/{id} */
  JOB_BALANCE,   /* GET /v1/persons/{id}/balance?year= */
  JOB_ALERTS,    /* GET /v1/alerts?since=&limit= */
  JOB_CONSOLE    /* a console page that reads or writes the ledger (src/console/) */
} job_kind;

typedef struct req req;

/* The reference data claims are prepared and settled against — the
** registry, the policies, the catalogue: one sb_live — counted: the server
** holds the current one, and each request that prepared a claim holds the
** one it prepared against until it is answered.  SIGHUP puts a new one in
** place (sb_server_reload); the old one is freed by the last request that
** still uses it, so a request in flight is settled and answered with the
** data it was checked against. */
typedef struct live_ref {
  sb_live *lv;
  _Atomic long refs;
} live_ref;

/* One connection, for the deadline on its request line and headers: from
** the moment the connection is ready for a request (accepted, or the
** previous answer sent) to the end of the headers, at most --timeout; past
** that the watchdog thread shuts the socket down.  Shared by the watchdog
** and the connection's HTTP thread under conn_mu. */
typedef struct conn_ctx {
  struct conn_ctx *prev, *next;
  int fd;
  uint64_t since; /* ready for a request since (microseconds, monotonic) */
  int busy;       /* its request's headers are in: the body, the ledger and
                     the answer have bounds of their own */
  int cut;        /* shut down by the deadline */
  /* its request from the request line (on_uri) until on_completed; touched
  ** by the connection's own HTTP thread only.  Still set when the
  ** connection closes: libmicrohttpd dropped the request without telling
  ** on_completed (see on_connection) */
  struct req *open;
} conn_ctx;

/* One request as the HTTP threads and the ledger thread share it.  While a
** request is queued (suspended), only the ledger thread touches it; it hands
** it back by resuming the connection and must not look at it after. */
struct req {
  sb_server *srv;
  struct MHD_Connection *conn;
  uint64_t t0; /* microseconds, monotonic */
  sb_route route;
  const sb_token_entry *who; /* &who_e once authenticated, else NULL */
  sb_token_entry who_e;      /* a copy: SIGHUP may replace the tokens meanwhile */
  char *raw;                 /* the path as sent, before percent-decoding */
  const char *query;         /* the query as sent (inside raw's allocation), or NULL */
  int started;               /* the headers are in: the handler has seen it */
  conn_ctx *cc;              /* its connection's (may be NULL) */
  live_ref *live;            /* the reference data its claim was prepared against */
  sb_buf body;
  int too_big;
  int answered;         /* a response was queued */
  int close;            /* its answer closes the connection (an ambiguous length) */
  int no_host;          /* an HTTP/1.1 request without a Host header */
  int late;             /* began after the graceful stop had begun (answered 503) */
  int too_slow;         /* the body was still arriving after --timeout (closed) */
  int routed;           /* route() result: 0, 400 (an empty id), 404, 405 or 500 */
  const char *id_field; /* with 400: "claim_id" or "person_id" */
  int done;             /* the ledger thread has filled the outputs */
  int status;           /* HTTP status of the answer */
  sb_buf out;           /* its JSON */
  int explain;
  /* the job */
  job_kind kind;
  sb_buf csv;
  sb_buf fees_csv;         /* the body's fee lines as a fees.csv text (may be empty) */
  sb_live_claim *prepared; /* the row read and checked on the HTTP thread */
  sb_api_claim claim;
  char *target; /* the claim id in the URL / the person id */
  int year;
  sb_date since;
  long limit;
  int64_t after; /* GET /v1/alerts?after=SEQ */
  sb_live_answer ans;
  /* a console request: its method, the job for the ledger thread, and
  ** its answer (HTML and headers, not r->out) */
  const char *method;
  int bearer_sent; /* an Authorization header came (valid or not) */
  sb_console_job *cjob;
  sb_console_resp cresp;
  int group_n; /* the first request of a committed group: the group's size */
  req *next;
};

/* Open-addressing maps for the owners of runs: run_id -> institution (who
** sent a stored claim), institution -> this server's run for it. */
typedef struct run_owner {
  int64_t run_id; /* 0: empty slot */
  char institution[SB_INSTITUTION_MAX + 1];
} run_owner;

struct sb_server {
  sb_server_config cfg;
  sb_store *st;
  live_ref *live; /* the current reference data (under live_mu) */
  pthread_mutex_t live_mu;
  sb_tokens tokens; /* under tokens_mu: read-locked to check, written by SIGHUP */
  pthread_rwlock_t tokens_mu;
  struct MHD_Daemon *d;
  MHD_socket listen_fd; /* after MHD_quiesce_daemon: closed after MHD_stop_daemon */
  int port;
  sb_metrics m;
  /* the ledger thread */
  pthread_t ledger;
  int ledger_started;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  req *head, *tail;
  int stop_ledger;
  _Atomic int stopping;
  /* the syncer (when the store has serve_sync): committed groups, not yet
  ** durable, in commit order (server_ledger.c) */
  pthread_t syncer;
  int syncer_started;
  pthread_mutex_t sync_mu;
  pthread_cond_t sync_cv;
  req *sync_head, *sync_tail;
  int stop_syncer;
  /* the syncer's own: when it last logged a slow sync, and the slow syncs
  ** since that line (srv_syncer_main) */
  uint64_t slow_sync_logged_us;
  unsigned slow_syncs_unlogged;
  _Atomic int ledger_failed; /* a sync failed: no more requests touch the ledger */
  /* owners: every run seen, and this server's run per institution */
  run_owner *owners;
  size_t owners_cap, owners_n;
  run_owner *mine; /* institution -> run_id */
  size_t mine_cap, mine_n;
  int64_t *created; /* runs created by the current group (undone on rollback) */
  int ncreated, created_cap;
  /* the header deadline: every open connection, and the watchdog */
  pthread_mutex_t conn_mu;
  pthread_cond_t watch_cv;
  conn_ctx *conns;
  pthread_t watch;
  int watch_started, watch_stop;
  sb_console *console; /* the bureau console's sessions (src/console/) */
};

/* ---- shared by both files ----------------------------------------------------------- */

/* Microseconds on the monotonic clock. */
uint64_t srv_now_us(void);

/* One line to the server's log (the config's log callback; none: nothing). */
void srv_log(sb_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The current reference data, counted for the caller; and giving it back
** (the last holder of a replaced one frees it). */
live_ref *srv_live_acquire(sb_server *s);
void srv_live_release(live_ref *l);

/* Fill r's answer with an error (status, code, field or NULL, message). */
void srv_answer_error(req *r, int status, const char *code, const char *field, const char *msg);

/* Hand a request to the ledger thread (its connection stays suspended until
** the answer is ready); 0, or -1 when the server is stopping. */
int srv_enqueue(sb_server *s, req *r);

/* The ledger thread (pthread start routine; `arg` is the sb_server). */
void *srv_ledger_main(void *arg);

/* Start the ledger thread, and the syncer when the store splits its syncs
** from its commits; 0 or SB_EIO (nothing left running). */
int srv_ledger_start(sb_server *s, sb_error *err);

/* Stop them: the ledger thread settles and commits what is queued, the
** syncer then answers every committed group; both joined on return.
** Nothing when they were not started. */
void srv_ledger_stop(sb_server *s);

#endif
