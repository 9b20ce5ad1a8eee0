/*
** sanbao console — what the console's files share (console.c: access and
** routing; page.c: the page frame and shared pieces; page_*.c: the pages;
** person.c: one person's data, for the page and `db history`).  Not a
** public interface: the server uses console.h.
*/
#ifndef SANBAO_CONSOLE_INT_H
#define SANBAO_CONSOLE_INT_H

#include "console/console.h"
#include "console/html.h"

typedef enum page_kind {
  PAGE_OVERVIEW, /* GET /console/ */
  PAGE_PERSON,   /* GET /console/persons/{id} */
  PAGE_CLAIM,    /* GET /console/claims/{id} */
  PAGE_ALERTS,   /* GET /console/alerts */
  PAGE_MARK,     /* POST /console/alerts/mark */
  PAGE_SEARCH    /* GET /console/search?q= */
} page_kind;

/* The most alerts a worklist page shows. */
#define ALERTS_PAGE 50

/* One request that needs the ledger: everything copied off the request. */
struct sb_console_job {
  page_kind kind;
  char *id; /* the person or claim id, decoded; the search text; the mark's note */
  size_t id_len;
  int year; /* ?year= (0: the latest with data) */
  /* the worklist's filter (and a mark's way back to it) */
  /* A mark: the alert's rule; the worklist: the filter's rule ("" none).
  ** Allocated (never NULL once the job is made): a policy's rule names
  ** have no length limit, and Chinese ones pass 64 bytes at 22 characters —
  ** a buffer of 65 bytes (until the twentieth session) let such a rule be
  ** neither filtered on (the worklist showed every alert) nor marked
  ** handled (400). */
  char *rule;
  char *frule;        /* a mark: the rule of the worklist's filter to return to */
  int32_t prefecture; /* 0: every prefecture */
  sb_date from, to;   /* INT32_MIN / INT32_MAX: open */
  long page;          /* from 1 */
  int open_only;      /* only alerts not handled yet */
  int64_t seq;        /* a mark: the alert's claim row */
  char who[65];       /* the institution of the token acting */
  char csrf[65];      /* the session's CSRF token for the page's forms ("" with a bearer) */
  char now_day[11];   /* today (UTC), "YYYY-MM-DD", for the overview */
};

/* ---- the page frame and shared pieces (page.c) ---- */

/* Put the headers every console answer carries, and the HTML type. */
int page_headers(sb_console_resp *r, int status);
/* Add one header (value copied); 0 or -1. */
int page_header(sb_console_resp *r, const char *name, const char *value);

/* The page up to its content: title in Chinese then English, the
** navigation, the search box and (with a session) the logout form. */
int page_begin(sb_buf *b, const char *zh, const char *en, const sb_console_job *j);
/* The end of the page. */
int page_end(sb_buf *b);

/* A complete 404 page naming what was not found (escaped). */
int page_not_found(sb_console_resp *r, const sb_console_job *j, const char *what_zh,
                   const char *what_en, const char *id, size_t id_len);

/* <a href="/console/persons/ID">ID</a> (and claims), escaped and encoded. */
int page_link(sb_buf *b, const char *kind, const char *id, size_t len);

/* A money cell: <td class="n">123.45</td>. */
int page_money_td(sb_buf *b, sb_fen v);

/* A row status in Chinese and English. */
const char *page_status_zh(int status);
const char *page_status_en(int status);

/* The policy's values marked ASSUMED (their notes), as a warning box;
** nothing when the policy has none or is NULL. */
int page_assumed(sb_buf *b, const sb_policy *p);

/* ---- the pages ---- */

int page_person(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err);
int page_claim(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err);
int page_alerts(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err);
int page_mark(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err);
int page_search(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err);
int page_overview(sb_console_job *j, sb_store *st, sb_live *lv, sb_console_resp *r, sb_error *err);

/* ---- the reader thread for the pages that scan (reader.c) ---- */

typedef struct console_reader console_reader;

/* Start the reader: its thread now, its connection to `db_path` on the
** first job; `done(ctx, token, ok)` is called on the reader's thread when
** a job is built (ok 1) or failed or was dropped at the stop (ok 0).
** SB_OK, SB_ENOMEM or SB_EIO. */
int reader_new(const char *db_path, void (*done)(void *, void *, int), void *ctx,
               console_reader **out);
/* Queue a job; SB_OK, or SB_ENOMEM / SB_EIO (stopped): then not queued. */
int reader_submit(console_reader *rd, sb_console_job *job, sb_live *lv, sb_console_resp *resp,
                  void *token);
/* Finish the job under way, answer the queued ones as failed, join. */
void reader_stop(console_reader *rd);
/* reader_stop, then close the connection and free.  NULL allowed. */
void reader_free(console_reader *rd);

/* The stylesheet served at /console/static/console.css. */
extern const char sb_console_css[];

#endif
