/*
** sanbao ledger — the SQLite store's chains of a person's rows (schema 8,
** store_sqlite_schema.c): each row that is not rejected holds in
** person_prev the seq of the row before it of the same person and claim
** year, and the person-year's accumulators row holds in last_seq the seq of
** its last row.  This file keeps, for the write transaction under way, the
** last seq of every person-year it has met (its "head"), so that appending
** a row costs no statement of its own:
**
**   - acc_get reads last_seq with the accumulators and tells the heads
**     (sq_head_seen): the server and every import into a ledger that holds
**     claims ask for a person-year's accumulators before they append its
**     rows, so the head is known when the row comes;
**   - row_append takes the head as the row's person_prev and makes the row
**     the head (sq_head_prev); a head not known yet is read from
**     accumulators, unless that table held no row when first asked in
**     this transaction (an import into an empty ledger: no head exists);
**   - acc_put writes the head into last_seq with the accumulators
**     (sq_head_take), as a claim's row and its accumulators are written in
**     the same transaction;
**   - COMMIT writes any head a row moved that no acc_put wrote since
**     (sq_heads_write): no caller does that today, but a head left unwritten
**     would cut its rows off the chain.
**
** The heads are valid only inside the transaction (nobody else can write
** then) and are dropped at its end, whichever way it ends.
*/
#include <stdlib.h>
#include <string.h>

#include "sanbao/hash.h"
#include "store/store_sqlite_int.h"

/* Beyond this many slots the table is freed at the transaction's end, not
** kept for the small transactions that may follow (a bulk import's
** person-years: tens of bytes each). */
#define HEADS_KEEP_SLOTS 4096
/* Heads only read (acc_get) are kept up to this many entries: a
** transaction that reads every person's accumulators and appends no row
** (`db reassist --commit`) would otherwise hold one for each, about 100
** bytes a person.  Past it a head is read again when a row needs it
** (head_read); the heads rows move are always kept. */
#define HEADS_SEEN_MAX (1u << 20)

/* The id indexes' hash of the person id, the year mixed in. */
static uint64_t head_hash(const char *pid, size_t len, int year) {
  uint64_t h = sb_hash_bytes(pid, len) ^ ((uint64_t)(uint32_t)year * 0x9e3779b97f4a7c15ull);
  h ^= h >> 29;
  return h ? h : 1; /* 0 marks an empty slot */
}

/* The slot of (pid, year): its own, or the empty one where it would go. */
static sq_head *head_slot(sqlite_store *s, const char *pid, size_t len, int year, uint64_t h) {
  size_t mask = s->heads_cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    sq_head *e = &s->heads[i];
    if (!e->hash) return e;
    if (e->hash == h && e->year == year && e->len == len &&
        (!len || memcmp(s->heads_text.p + e->off, pid, len) == 0))
      return e;
  }
}

static int heads_grow(sqlite_store *s) {
  size_t cap = s->heads_cap ? s->heads_cap * 2 : 64;
  sq_head *old = s->heads, *t = calloc(cap, sizeof *t);
  if (!t) return -1;
  size_t oldcap = s->heads_cap;
  s->heads = t;
  s->heads_cap = cap;
  for (size_t i = 0; i < oldcap; i++) {
    if (!old[i].hash) continue;
    size_t j = (size_t)old[i].hash & (cap - 1);
    while (t[j].hash)
      j = (j + 1) & (cap - 1);
    t[j] = old[i];
  }
  free(old);
  return 0;
}

/* The entry of (pid, year), made (with no head known) if absent; NULL when
** out of memory. */
static sq_head *head_entry(sqlite_store *s, const char *pid, size_t len, int year) {
  if ((s->heads_n + 1) * 2 > s->heads_cap && heads_grow(s)) return NULL;
  uint64_t h = head_hash(pid, len, year);
  sq_head *e = head_slot(s, pid, len, year, h);
  if (e->hash) return e;
  size_t off = s->heads_text.len;
  if (sb_buf_put(&s->heads_text, pid, len)) return NULL;
  *e = (sq_head){h, off, len, year, 0, 0, 0};
  s->heads_n++;
  return e;
}

void sq_head_seen(sqlite_store *s, const char *pid, size_t len, int year, int64_t last) {
  if (!s->in_txn || s->heads_n >= HEADS_SEEN_MAX) return;
  sq_head *e = head_entry(s, pid, len, year);
  if (e && !e->known) e->known = 1, e->last = last; /* out of memory: read again when needed */
}

/* The head of (pid, year) as stored: 0 none. */
static int head_read(sqlite_store *s, const char *pid, size_t len, int year, int64_t *last,
                     sb_error *err) {
  *last = 0;
  if (s->acc_empty < 0) { /* first asked in this transaction: does the table hold a row? */
    sqlite3_stmt *st = sq_stmt(s, Q_ACC_ANY, err);
    if (!st) return SB_EIO;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sq_db_error(s, err, "reading accumulators");
    s->acc_empty = rc == SQLITE_DONE;
  }
  if (s->acc_empty) return SB_OK;
  sqlite3_stmt *st = sq_stmt(s, Q_HEAD_GET, err);
  if (!st) return SB_EIO;
  sq_bind_text(st, 1, pid, len);
  sqlite3_bind_int(st, 2, year);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *last = sqlite3_column_int64(st, 0); /* NULL reads as 0 */
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SB_OK
                                               : sq_db_error(s, err, "reading accumulators");
}

int sq_head_prev(sqlite_store *s, const char *pid, size_t len, int year, int64_t seq, int64_t *prev,
                 sb_error *err) {
  /* the heads hold only inside a write transaction (nobody else writes) */
  if (!s->in_txn)
    return sb_error_set(err, SB_EINVAL, s->path, "a row appended outside a transaction");
  sq_head *e = head_entry(s, pid, len, year);
  if (!e) return sb_error_set(err, SB_ENOMEM, s->path, "out of memory");
  if (!e->known) {
    int rc = head_read(s, pid, len, year, &e->last, err);
    if (rc) return rc;
    e->known = 1;
  }
  *prev = e->last;
  e->last = seq;
  e->dirty = 1;
  return SB_OK;
}

int64_t sq_head_take(sqlite_store *s, const char *pid, size_t len, int year) {
  if (!s->heads_n) return 0;
  sq_head *e = head_slot(s, pid, len, year, head_hash(pid, len, year));
  if (!e->hash || !e->known) return 0;
  e->dirty = 0;
  return e->last;
}

int sq_heads_write(sqlite_store *s, sb_error *err) {
  for (size_t i = 0; i < s->heads_cap; i++) {
    sq_head *e = &s->heads[i];
    if (!e->hash || !e->dirty) continue;
    sqlite3_stmt *st = sq_stmt(s, Q_HEAD_PUT, err);
    if (!st) return SB_EIO;
    sq_bind_text(st, 1, s->heads_text.p + e->off, e->len);
    sqlite3_bind_int(st, 2, e->year);
    sqlite3_bind_int64(st, 3, e->last);
    int rc = sq_done(s, st, err, "storing accumulators");
    if (rc) return rc;
    e->dirty = 0;
  }
  return SB_OK;
}

void sq_heads_clear(sqlite_store *s) {
  s->acc_empty = -1;
  if (!s->heads_n) return;
  if (s->heads_cap > HEADS_KEEP_SLOTS) {
    sq_heads_free(s);
    return;
  }
  memset(s->heads, 0, s->heads_cap * sizeof *s->heads);
  s->heads_n = 0;
  s->heads_text.len = 0;
}

void sq_heads_free(sqlite_store *s) {
  free(s->heads);
  sb_buf_free(&s->heads_text);
  s->heads = NULL;
  s->heads_cap = s->heads_n = 0;
  s->acc_empty = -1;
}
