/*
** sanbao console — the reader: one thread of the console's own, with a
** connection of its own to the ledger, for the pages that scan (the
** overview reads every row of a year, the worklist every alert).
**
** Why not the server's ledger thread, where the other pages run: that
** thread settles every hospital's claims, one group after the other, and
** a page run there holds every settlement back until it is built.  A
** person's or a claim's page is a few index probes (well under a
** millisecond); the overview of a year of a million claims is about a
** second, of a province's year a minute — a minute of no settlements for
** anybody.  Here it reads beside the ledger thread instead: the store is in
** WAL mode, so a reader never blocks the writer nor the writer the reader.
** It reads what was committed, without the ledger thread's transaction
** around it: a settlement committed between two of the page's queries may
** be counted by one and not the other — acceptable for a year's overview,
** which is why only these pages come here (a mark, a write, and the pages
** about one person or claim, which must agree with themselves, do not).
**
** One thread, one job at a time, in the order submitted: the heavy pages
** are opened now and then by analysts, not polled, and one connection is
** enough.  The connection is opened on the first job and kept.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "console/console_int.h"

typedef struct rjob {
  sb_console_job *job;
  sb_live *lv;
  sb_console_resp *resp;
  void *token;
  struct rjob *next;
} rjob;

struct console_reader {
  char *db_path;
  void (*done)(void *ctx, void *token, int ok);
  void *ctx;
  sb_store *st; /* opened on the first job */
  pthread_t thread;
  int started;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  rjob *head, *tail;
  int stop;
};

static void *reader_main(void *arg) {
  console_reader *rd = arg;
  for (;;) {
    pthread_mutex_lock(&rd->mu);
    while (!rd->head && !rd->stop)
      pthread_cond_wait(&rd->cv, &rd->mu);
    rjob *j = rd->head;
    if (j) {
      rd->head = j->next;
      if (!rd->head) rd->tail = NULL;
    }
    int stop = rd->stop;
    pthread_mutex_unlock(&rd->mu);
    if (!j) break;
    /* stopping: what is still queued is answered as failed, not run */
    sb_error err = {0};
    int rc = stop ? SB_EIO : SB_OK;
    if (!rc && !rd->st) rc = sb_store_open(rd->db_path, 0, &rd->st, &err);
    if (!rc) rc = sb_console_run(j->job, rd->st, j->lv, j->resp, &err);
    /* after this the caller owns the response again: do not touch it */
    rd->done(rd->ctx, j->token, rc == SB_OK);
    free(j);
  }
  return NULL;
}

int reader_new(const char *db_path, void (*done)(void *, void *, int), void *ctx,
               console_reader **out) {
  console_reader *rd = calloc(1, sizeof *rd);
  if (!rd || !(rd->db_path = strdup(db_path))) {
    free(rd);
    return SB_ENOMEM;
  }
  rd->done = done, rd->ctx = ctx;
  pthread_mutex_init(&rd->mu, NULL);
  pthread_cond_init(&rd->cv, NULL);
  if (pthread_create(&rd->thread, NULL, reader_main, rd)) {
    reader_free(rd);
    return SB_EIO;
  }
  rd->started = 1;
  *out = rd;
  return SB_OK;
}

int reader_submit(console_reader *rd, sb_console_job *job, sb_live *lv, sb_console_resp *resp,
                  void *token) {
  rjob *j = calloc(1, sizeof *j);
  if (!j) return SB_ENOMEM;
  j->job = job, j->lv = lv, j->resp = resp, j->token = token;
  pthread_mutex_lock(&rd->mu);
  if (rd->stop) {
    pthread_mutex_unlock(&rd->mu);
    free(j);
    return SB_EIO;
  }
  if (rd->tail)
    rd->tail->next = j;
  else
    rd->head = j;
  rd->tail = j;
  pthread_cond_signal(&rd->cv);
  pthread_mutex_unlock(&rd->mu);
  return SB_OK;
}

void reader_stop(console_reader *rd) {
  if (!rd || !rd->started) return;
  pthread_mutex_lock(&rd->mu);
  rd->stop = 1;
  pthread_cond_signal(&rd->cv);
  pthread_mutex_unlock(&rd->mu);
  pthread_join(rd->thread, NULL);
  rd->started = 0;
}

void reader_free(console_reader *rd) {
  if (!rd) return;
  reader_stop(rd);
  if (rd->st) rd->st->ops->close(rd->st);
  pthread_mutex_destroy(&rd->mu);
  pthread_cond_destroy(&rd->cv);
  free(rd->db_path);
  free(rd);
}
