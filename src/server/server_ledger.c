/*
** sanbao server — the ledger thread: requests queued by the HTTP threads
** are settled in groups, one transaction a group (group commit); the
** syncer, which makes committed groups durable (one fsync for as many
** groups as committed meanwhile) and answers them by resuming their
** connections; and the owners of runs (which institution sent a stored
** claim).  See server.h.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanbao/hash.h"
#include "server/server_int.h"

/* ---- owners ----------------------------------------------------------------------- */

/* An institution's slot: the id indexes' hash (the map is keyed by what
** the tokens file names, a few dozen institutions at most). */
static uint64_t hash_str(const char *s) {
  return sb_hash_bytes(s, strlen(s));
}

/* Find or add in a map keyed by run_id (by_run) or by institution. */
static run_owner *map_slot(run_owner **v, size_t *cap, size_t *n, int by_run, int64_t run,
                           const char *inst, int add) {
  if (add && (*n + 1) * 2 > *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    run_owner *nv = calloc(nc, sizeof *nv);
    if (!nv) return NULL;
    for (size_t i = 0; i < *cap; i++) {
      if (!(*v)[i].run_id) continue;
      uint64_t h =
          by_run ? (uint64_t)(*v)[i].run_id * 0x9E3779B97F4A7C15ull : hash_str((*v)[i].institution);
      size_t j = h & (nc - 1);
      while (nv[j].run_id)
        j = (j + 1) & (nc - 1);
      nv[j] = (*v)[i];
    }
    free(*v);
    *v = nv, *cap = nc;
  }
  if (!*cap) return NULL;
  uint64_t h = by_run ? (uint64_t)run * 0x9E3779B97F4A7C15ull : hash_str(inst);
  size_t j = h & (*cap - 1);
  while ((*v)[j].run_id) {
    if (by_run ? (*v)[j].run_id == run : strcmp((*v)[j].institution, inst) == 0) return &(*v)[j];
    j = (j + 1) & (*cap - 1);
  }
  if (!add) return NULL;
  (*n)++;
  return &(*v)[j];
}

static const char SOURCE_PREFIX[] = "institution=";

/* The institution that sent the rows of a run ("" when a file import). */
static int owner_of(sb_server *s, int64_t run_id, const char **inst, sb_error *err) {
  run_owner *o = map_slot(&s->owners, &s->owners_cap, &s->owners_n, 1, run_id, NULL, 0);
  if (o) {
    *inst = o->institution;
    return SB_OK;
  }
  char kind[32], source[128];
  int rc = s->st->ops->run_get(s->st, run_id, kind, sizeof kind, source, sizeof source, err);
  if (rc < 0) return rc;
  o = map_slot(&s->owners, &s->owners_cap, &s->owners_n, 1, run_id, NULL, 1);
  if (!o) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  o->run_id = run_id;
  o->institution[0] = 0;
  if (rc == 1 && strcmp(kind, "serve") == 0 &&
      strncmp(source, SOURCE_PREFIX, sizeof SOURCE_PREFIX - 1) == 0)
    snprintf(o->institution, sizeof o->institution, "%.64s", source + sizeof SOURCE_PREFIX - 1);
  *inst = o->institution;
  return SB_OK;
}

/* This server's run for an institution, started on its first claim (in the
** current transaction: a rollback forgets it, see forget_created). */
static int run_for(sb_server *s, const char *inst, int64_t *run, sb_error *err) {
  run_owner *m = map_slot(&s->mine, &s->mine_cap, &s->mine_n, 0, 0, inst, 0);
  if (m) {
    *run = m->run_id;
    return SB_OK;
  }
  if (s->ncreated == s->created_cap) {
    int nc = s->created_cap ? s->created_cap * 2 : 64;
    int64_t *nv = realloc(s->created, (size_t)nc * sizeof *nv);
    if (!nv) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
    s->created = nv, s->created_cap = nc;
  }
  char source[128];
  snprintf(source, sizeof source, "%s%s", SOURCE_PREFIX, inst);
  int rc = s->st->ops->run_start(s->st, "serve", source, run, err);
  if (rc) return rc;
  m = map_slot(&s->mine, &s->mine_cap, &s->mine_n, 0, 0, inst, 1);
  run_owner *o = map_slot(&s->owners, &s->owners_cap, &s->owners_n, 1, *run, NULL, 1);
  if (!m || !o) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  m->run_id = *run;
  snprintf(m->institution, sizeof m->institution, "%s", inst);
  o->run_id = *run;
  snprintf(o->institution, sizeof o->institution, "%s", inst);
  s->created[s->ncreated++] = *run;
  return SB_OK;
}

/* Rebuild a map without the runs a rolled-back group created. */
static void map_drop(run_owner **v, size_t *cap, size_t *n, int by_run, const int64_t *drop,
                     int ndrop) {
  run_owner *old = *v;
  size_t oldcap = *cap;
  *v = NULL, *cap = 0, *n = 0;
  for (size_t i = 0; i < oldcap; i++) {
    if (!old[i].run_id) continue;
    int gone = 0;
    for (int k = 0; k < ndrop; k++)
      gone |= old[i].run_id == drop[k];
    if (gone) continue;
    run_owner *o = map_slot(v, cap, n, by_run, old[i].run_id, old[i].institution, 1);
    if (o) *o = old[i];
  }
  free(old);
}

static void forget_created(sb_server *s) {
  if (!s->ncreated) return;
  map_drop(&s->mine, &s->mine_cap, &s->mine_n, 0, s->created, s->ncreated);
  map_drop(&s->owners, &s->owners_cap, &s->owners_n, 1, s->created, s->ncreated);
  s->ncreated = 0;
}

/* ---- the ledger thread -------------------------------------------------------------- */

void srv_answer_error(req *r, int status, const char *code, const char *field, const char *msg) {
  r->status = status;
  r->out.len = 0;
  sb_api_error_json(code, field, msg, &r->out);
}

/* May this request's institution act on a stored claim id?  1 yes (or the
** id is not held), 0 no (answered 403 with `field` and `why`), negative on
** a store error. */
static int may_touch(sb_server *s, req *r, const char *id, size_t len, const char *field,
                     const char *why, sb_error *err) {
  sb_stored_claim sc;
  int rc = s->st->ops->claim_lookup(s->st, id, len, &sc, err);
  if (rc <= 0) return rc < 0 ? rc : 1;
  const char *owner;
  if ((rc = owner_of(s, sc.run_id, &owner, err))) return rc;
  if (r->who->role == SB_ROLE_ADMIN || strcmp(owner, r->who->institution) == 0) return 1;
  srv_answer_error(r, 403, "forbidden", field, why);
  return 0;
}

static int status_of(const sb_live_answer *a) {
  if (a->status != SB_ROW_REJECTED) return a->replay ? 200 : 201;
  return a->reason == SB_R_CONFLICT || a->reason == SB_R_DUPLICATE_CLAIM ? 409 : 422;
}

static int job_claim(sb_server *s, req *r, sb_error *err) {
  int rc = may_touch(s, r, r->claim.claim_id, r->claim.claim_id_len, "claim_id",
                     "this claim id belongs to another institution's settlement", err);
  /* a reversal: the claim named in the path too, before anything is settled */
  if (rc > 0 && r->kind == JOB_REVERSE)
    rc = may_touch(s, r, r->target, strlen(r->target), NULL,
                   "the claim to reverse (in the path) belongs to another institution", err);
  if (rc <= 0) return rc;
  int64_t run = 0;
  int dry = r->kind == JOB_PRESETTLE;
  if (!dry && (rc = run_for(s, r->who->institution, &run, err))) return rc;
  rc = sb_live_settle_prepared(r->live->lv, r->prepared, run, dry, &r->ans, err);
  if (rc) return rc;
  r->status = status_of(&r->ans);
  /* a presettlement creates nothing: 200 whatever it computed */
  if (dry && r->status == 201) r->status = 200;
  return SB_OK;
}

static int fee_line_json(void *ctx, const sb_stored_fee_line *l) {
  return sb_api_stored_fee_line_json(l, ctx) ? SB_ENOMEM : 0;
}

static int job_get(sb_server *s, req *r, sb_error *err) {
  sb_stored_claim sc;
  size_t len = strlen(r->target);
  int rc = s->st->ops->claim_lookup(s->st, r->target, len, &sc, err);
  if (rc < 0) return rc;
  if (rc == 0) {
    srv_answer_error(r, 404, "not_found", NULL, "no settlement holds this claim id");
    return SB_OK;
  }
  const char *owner;
  if ((rc = owner_of(s, sc.run_id, &owner, err))) return rc;
  if (r->who->role != SB_ROLE_ADMIN && strcmp(owner, r->who->institution) != 0) {
    srv_answer_error(r, 403, "forbidden", NULL, "this settlement belongs to another institution");
    return SB_OK;
  }
  /* its fee lines, as stored with it */
  sb_buf fees = {0};
  if (sb_buf_put(&fees, "[", 1)) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  size_t empty = fees.len;
  rc = s->st->ops->fee_line_each(s->st, sc.seq, fee_line_json, &fees, err);
  if (rc || sb_buf_put(&fees, "]", 1)) {
    sb_buf_free(&fees);
    return rc ? rc : sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  }
  r->status = 200;
  rc = sb_api_stored_json(r->target, len, &sc, owner, fees.p, fees.len > empty + 1 ? fees.len : 0,
                          &r->out);
  sb_buf_free(&fees);
  return rc ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK;
}

static int job_balance(sb_server *s, req *r, sb_error *err) {
  sb_balance b;
  sb_error e = {0};
  live_ref *l = srv_live_acquire(s);
  int rc = sb_live_balance(l->lv, r->target, r->year, &b, &e);
  srv_live_release(l);
  if (rc == SB_EINVAL) {
    srv_answer_error(r, 404, "not_found", NULL, "no such person in the ledger's registry");
    return SB_OK;
  }
  if (rc) {
    *err = e;
    return rc;
  }
  r->status = 200;
  if (sb_api_balance_json(r->target, r->year, &b, &r->out))
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  return SB_OK;
}

/* A page reads at most this many alerts, matching `since` or not: the read
** holds the ledger thread, and a filter that matches nothing must not
** scan the whole table (the page is then `truncated`, `next_after` says
** where to go on). */
#define ALERTS_SCAN_MAX 100000

typedef struct alerts_ctx {
  req *r;
  int64_t last; /* the seq of the last alert read (the next cursor) */
  long n, scanned;
  int truncated, oom;
} alerts_ctx;

static int each_alert(void *vctx, const sb_stored_alert *a) {
  alerts_ctx *c = vctx;
  /* A page ends between claim rows, never inside one row's alerts (a claim
  ** can raise several): so `next_after`, the last row read, loses nothing
  ** and repeats nothing. */
  if ((c->n >= c->r->limit || c->scanned >= ALERTS_SCAN_MAX) && a->seq != c->last) {
    c->truncated = 1;
    return 1;
  }
  c->scanned++;
  c->last = a->seq;
  if (a->date < c->r->since) return 0;
  c->n++;
  if (sb_api_alert_json(a, &c->r->out)) c->oom = 1;
  return c->oom;
}

static int job_alerts(sb_server *s, req *r, sb_error *err) {
  r->out.len = 0;
  alerts_ctx c = {r, r->after, 0, 0, 0, 0};
  static const char head[] = "{\"alerts\":[";
  if (sb_buf_put(&r->out, head, sizeof head - 1)) c.oom = 1;
  int rc = c.oom ? 0 : s->st->ops->alert_each(s->st, r->after, each_alert, &c, err);
  if (rc < 0) return rc;
  char tail[128];
  int64_t next = c.last;
  int n = snprintf(tail, sizeof tail, "],\"count\":%ld,\"truncated\":%s,\"next_after\":%lld}\n",
                   c.n, c.truncated ? "true" : "false", (long long)next);
  if (c.oom || sb_buf_put(&r->out, tail, (size_t)n))
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  r->status = 200;
  return SB_OK;
}

/* A console page, in this thread's transaction like every other job (a
** handled mark is a write; a page reads what the group before committed). */
static int job_console(sb_server *s, req *r, sb_error *err) {
  live_ref *l = srv_live_acquire(s);
  int rc = sb_console_run(r->cjob, s->st, l->lv, &r->cresp, err);
  srv_live_release(l);
  if (!rc) r->status = r->cresp.status;
  return rc;
}

static int run_job(sb_server *s, req *r, sb_error *err) {
  switch (r->kind) {
  case JOB_CONSOLE:
    return job_console(s, r, err);
  case JOB_SETTLE:
  case JOB_PRESETTLE:
  case JOB_REVERSE:
    return job_claim(s, r, err);
  case JOB_GET:
    return job_get(s, r, err);
  case JOB_BALANCE:
    return job_balance(s, r, err);
  case JOB_ALERTS:
    return job_alerts(s, r, err);
  }
  return SB_OK;
}

/* Hand a group's requests back to their HTTP threads (answered or not:
** finish() in server.c writes a claim's answer). */
static void resume_all(req *list) {
  for (req *r = list, *next; r; r = next) {
    next = r->next;
    r->done = 1;
    /* after this the HTTP thread owns r again: do not touch it */
    MHD_resume_connection(r->conn);
  }
}

/* Answer every request of `list` 503 with `msg`: nothing it did counts. */
static void answer_unavailable(req *list, const char *msg) {
  for (req *r = list; r; r = r->next) {
    memset(&r->ans, 0, sizeof r->ans);
    srv_answer_error(r, 503, "unavailable", NULL, msg);
  }
  resume_all(list);
}

static const char LOST[] =
    "the ledger could not write to its disk: this request may or may not be stored, and the server "
    "takes no more requests that touch the ledger; retry once it is restarted (a claim sent again "
    "is settled at most once)";

/* Committed groups, now durable: count them and answer. */
static void answer_durable(sb_server *s, req *list) {
  for (req *r = list; r; r = r->next) {
    if (r->group_n) {
      atomic_fetch_add_explicit(&s->m.commits, 1, memory_order_relaxed);
      atomic_fetch_add_explicit(&s->m.commit_jobs, (uint64_t)r->group_n, memory_order_relaxed);
    }
    /* outcomes count once durable: a rolled-back group answered 503 */
    if (r->out.len || (r->kind != JOB_SETTLE && r->kind != JOB_REVERSE)) continue;
    int k = r->ans.replay ? 3 : r->ans.status == SB_ROW_REJECTED ? 2 : r->ans.status;
    atomic_fetch_add_explicit(&s->m.outcomes[k], 1, memory_order_relaxed);
  }
  resume_all(list);
}

/*
** The store's read-ahead (sb_store.read_ahead): the claim ids and the
** persons the group's jobs will look up — a claim's id and person, a
** reversal's target, a read's claim id — named before begin(), so a
** store whose look-ups cost a round trip each (PostgreSQL) reads them all
** in the round trip that takes the write lock.  Only a hint: a job asks
** the store as before, and gets the same answer.
*/
static void read_ahead(sb_server *s, req *list, int n) {
  if (!s->st->read_ahead) return;
  sb_id_ref *ids = malloc((size_t)n * 2 * sizeof *ids), *persons = malloc((size_t)n * sizeof *ids);
  int ni = 0, np = 0;
  for (req *r = list; r && ids && persons; r = r->next) {
    if (r->kind == JOB_SETTLE || r->kind == JOB_PRESETTLE || r->kind == JOB_REVERSE) {
      if (r->claim.claim_id) ids[ni++] = (sb_id_ref){r->claim.claim_id, r->claim.claim_id_len};
      if (r->claim.person_id)
        persons[np++] = (sb_id_ref){r->claim.person_id, r->claim.person_id_len};
    }
    if ((r->kind == JOB_REVERSE || r->kind == JOB_GET) && r->target)
      ids[ni++] = (sb_id_ref){r->target, strlen(r->target)};
  }
  /* out of memory: no hint, nothing else changes */
  if (ids && persons) s->st->read_ahead(s->st, ids, ni, persons, np);
  free(ids);
  free(persons);
}

/* One group: every job in one transaction, answered once its commit is
** durable — here when the store's commit is (PostgreSQL), else by the
** syncer (see srv_syncer_main). */
static void run_group(sb_server *s, req *list) {
  if (atomic_load(&s->ledger_failed)) {
    answer_unavailable(list, LOST);
    return;
  }
  uint64_t t0 = srv_now_us();
  sb_error err = {0};
  int n = 0;
  for (req *r = list; r; r = r->next)
    n++;
  read_ahead(s, list, n);
  int rc = s->st->ops->begin(s->st, &err);
  for (req *r = list; r && !rc; r = r->next)
    rc = run_job(s, r, &err);
  if (!rc) rc = s->st->ops->commit(s->st, &err);
  if (rc) {
    s->st->ops->rollback(s->st);
    forget_created(s);
    atomic_fetch_add_explicit(&s->m.commit_failures, 1, memory_order_relaxed);
    srv_log(s, "ledger group of %d rolled back: %s%s%s", n, err.where[0] ? err.where : "",
            err.where[0] ? ": " : "", err.msg);
    answer_unavailable(list,
                       "the ledger could not commit; nothing of this request was stored, retry it");
    return;
  }
  s->ncreated = 0;
  /* between transactions: the store's upkeep (see store.h); a failure
  ** here loses nothing */
  sb_error cerr;
  if (s->st->ops->serve_idle(s->st, &cerr)) srv_log(s, "ledger upkeep: %s", cerr.msg);
  sb_histogram_add(&s->m.commit, srv_now_us() - t0);
  list->group_n = n;
  if (!s->syncer_started) {
    answer_durable(s, list);
    return;
  }
  /* to the syncer, in commit order; this thread goes on with the next group */
  req *last = list;
  while (last->next)
    last = last->next;
  pthread_mutex_lock(&s->sync_mu);
  if (s->sync_tail)
    s->sync_tail->next = list;
  else
    s->sync_head = list;
  s->sync_tail = last;
  pthread_cond_signal(&s->sync_cv);
  pthread_mutex_unlock(&s->sync_mu);
}

/* Wait until the queue head..tail holds requests or *stop_flag is set
** (both under mu, signalled on cv); take every request queued, in order,
** and say in *stop whether the flag was set.  The ledger thread's queue
** and the syncer's are taken the same way. */
static req *queue_take(pthread_mutex_t *mu, pthread_cond_t *cv, req **head, req **tail,
                       const int *stop_flag, int *stop) {
  pthread_mutex_lock(mu);
  while (!*head && !*stop_flag)
    pthread_cond_wait(cv, mu);
  req *list = *head;
  *head = *tail = NULL;
  *stop = *stop_flag;
  pthread_mutex_unlock(mu);
  return list;
}

void *srv_ledger_main(void *arg) {
  sb_server *s = arg;
  for (;;) {
    int stop;
    req *list = queue_take(&s->mu, &s->cv, &s->head, &s->tail, &s->stop_ledger, &stop);
    if (!list) {
      if (stop) break;
      continue;
    }
    int64_t n = 0;
    for (req *r = list; r; r = r->next)
      n++;
    atomic_fetch_sub_explicit(&s->m.queued, n, memory_order_relaxed);
    run_group(s, list);
  }
  return NULL;
}

/* A sync of the WAL that took this long or longer is logged (a warning):
** every answer of the groups it covers waited for it, so it is what a
** hospital sees as a settlement taking a tenth of a second or more.  Such a
** pause is the disk's (the sync only flushes what the ledger thread has
** already written; docs/performance.md measures this machine's disk alone
** with bench/syncprobe.c), and an operator who sees these lines often has
** a disk to look at, not a server to tune. */
#define SLOW_SYNC_US 100000
/* ... but at most one line a second: a disk that stays slow would
** otherwise fill the log.  The syncs not logged are counted in the next
** line. */
#define SLOW_SYNC_LINE_US 1000000

static void log_slow_sync(sb_server *s, const req *list, uint64_t took_us, uint64_t now_us) {
  if (s->slow_sync_logged_us && now_us - s->slow_sync_logged_us < SLOW_SYNC_LINE_US) {
    s->slow_syncs_unlogged++;
    return;
  }
  unsigned long waited = 0;
  for (const req *r = list; r; r = r->next)
    waited++;
  char more[96] = "";
  if (s->slow_syncs_unlogged)
    snprintf(more, sizeof more, " (and %u more of %u ms or longer since the last such line)",
             s->slow_syncs_unlogged, SLOW_SYNC_US / 1000);
  srv_log(s,
          "warning: a sync of the ledger's write-ahead log took %llu ms; %lu answer%s waited for "
          "it%s",
          (unsigned long long)(took_us / 1000), waited, waited == 1 ? "" : "s", more);
  s->slow_sync_logged_us = now_us;
  s->slow_syncs_unlogged = 0;
}

/*
** The syncer: the fsync of group N overlaps the settling of group N+1.
** With the SQLite ledger in serve mode a COMMIT writes the group's WAL
** frames without waiting for the disk, and the store's serve_sync makes
** durable everything committed before it began (store_sqlite_serve.c
** explains why that is exactly as durable as synchronous=FULL, and why
** the ledger thread may read group N's rows before they are durable).  So
** the ledger thread hands each committed group here and begins the next
** one; this thread takes every group handed so far — all committed before
** it looks — syncs once, and only then answers them: no answer leaves
** before its claim is on the disk, and one sync carries as many groups as
** committed while the previous one ran.
**
** A failed sync: the groups it covered may or may not be on the disk, so
** none is answered as settled — each request 503 (the message says the
** request may be stored, and a retry is settled at most once); and from
** then on nothing touches the ledger: the groups committed meanwhile are
** answered the same (the store refuses every later sync: after a failed
** fsync the kernel's cache no longer tells what the disk holds), the
** ledger thread answers every new request 503 without a transaction, and
** /healthz answers 503 so a load balancer stops sending.  Only a restart
** (which recovers the ledger from the disk) brings the writes back.
*/
static void *srv_syncer_main(void *arg) {
  sb_server *s = arg;
  for (;;) {
    int stop;
    req *list =
        queue_take(&s->sync_mu, &s->sync_cv, &s->sync_head, &s->sync_tail, &s->stop_syncer, &stop);
    if (!list) {
      if (stop) break;
      continue;
    }
    uint64_t t0 = srv_now_us();
    sb_error err = {0};
    int rc = atomic_load(&s->ledger_failed) ? SB_EIO : s->st->serve_sync(s->st, &err);
    if (!rc) {
      uint64_t t1 = srv_now_us();
      sb_histogram_add(&s->m.sync, t1 - t0);
      atomic_fetch_add_explicit(&s->m.syncs, 1, memory_order_relaxed);
      if (t1 - t0 >= SLOW_SYNC_US)
        log_slow_sync(s, list, t1 - t0, t1); /* before they are answered */
      answer_durable(s, list);
      continue;
    }
    if (!atomic_exchange(&s->ledger_failed, 1)) {
      atomic_fetch_add_explicit(&s->m.sync_failures, 1, memory_order_relaxed);
      srv_log(s,
              "the ledger's disk failed: %s%s%s; no more requests touch the ledger, restart the "
              "server",
              err.where[0] ? err.where : "", err.where[0] ? ": " : "", err.msg);
    }
    answer_unavailable(list, LOST);
  }
  return NULL;
}

/* The syncer first: the ledger thread reads syncer_started to choose how
** a committed group is answered, so it is set before that thread exists
** (pthread_create orders the two) and never changes while it runs. */
int srv_ledger_start(sb_server *s, sb_error *err) {
  if (s->st->serve_sync) {
    if (pthread_create(&s->syncer, NULL, srv_syncer_main, s))
      return sb_error_set(err, SB_EIO, NULL, "cannot start the syncing thread");
    s->syncer_started = 1;
  }
  if (pthread_create(&s->ledger, NULL, srv_ledger_main, s)) {
    srv_ledger_stop(s);
    return sb_error_set(err, SB_EIO, NULL, "cannot start the ledger thread");
  }
  s->ledger_started = 1;
  return SB_OK;
}

void srv_ledger_stop(sb_server *s) {
  if (s->ledger_started) {
    pthread_mutex_lock(&s->mu);
    s->stop_ledger = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->ledger, NULL); /* it drains its queue first */
    s->ledger_started = 0;
  }
  if (!s->syncer_started) return;
  pthread_mutex_lock(&s->sync_mu);
  s->stop_syncer = 1;
  pthread_cond_signal(&s->sync_cv);
  pthread_mutex_unlock(&s->sync_mu);
  pthread_join(s->syncer, NULL); /* it answers every committed group first */
  s->syncer_started = 0;
}

/* Hand a request to the ledger thread; 0, or -1 when that thread has
** stopped (the caller answers 503). */
int srv_enqueue(sb_server *s, req *r) {
  r->next = NULL;
  pthread_mutex_lock(&s->mu);
  if (s->stop_ledger) {
    pthread_mutex_unlock(&s->mu);
    return -1;
  }
  /* suspend before the ledger thread can see it, so its resume always
  ** follows this suspend */
  MHD_suspend_connection(r->conn);
  atomic_fetch_add_explicit(&s->m.queued, 1, memory_order_relaxed);
  if (s->tail)
    s->tail->next = r;
  else
    s->head = r;
  s->tail = r;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return 0;
}
