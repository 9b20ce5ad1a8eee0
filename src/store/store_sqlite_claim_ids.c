/*
** sanbao ledger — the SQLite store's table of claim ids (schema 5; why it is
** a table and not an index of claims: store_sqlite_schema.c, migration
** 4 -> 5).
**
** Every claims row has one entry (claim_id, seq) in claim_ids, written in
** the transaction that inserts the row.  Which code writes it depends on
** the transaction:
**
**   the server's groups,   the trigger claims_claim_ids, as the row is
**   small imports          inserted: one B-tree insert each, as the
**                          dropped index took (store_sqlite_schema.c);
**   a bulk import          (a transaction that has written a full
**                          multi-row INSERT, sq_flush_rows): it drops that
**                          trigger with the insert guards; the entries of
**                          the rows it inserts meanwhile are kept here, in
**                          memory, and written at COMMIT in key order,
**                          sorted in C, before the trigger is made again.
**
** Why sorted in C.  Entries that arrive at random (hospital systems' random
** ids, or ids by hospital while rows arrive by date) cost SQLite a cache
** miss per entry when inserted one by one, and about 1.1 us an entry in
** its sorter when the index is made by CREATE INDEX after the rows (2.3 s
** of a 9 s import of 2.16 M claims: docs/performance.md).  The same
** entries inserted into claim_ids already in key order take about 0.5 s:
** every insert lands on the B-tree's right-most leaf (an empty or small
** ledger) or one page to the right of the last (a ledger that holds rows:
** the pages of the existing B-tree are read once, in order).  Sorting here
** is cheap because the key is fixed-width: the first eight bytes of the id
** as a big-endian number (sb_canon_id_prefix, the canonical order's own
** first key), sorted by LSD radix, eight passes of a byte, skipping a pass
** whose byte is the same in every key; then each run of equal prefixes is
** checked and, only when it is out of order, merge-sorted by the whole id
** (memcmp, a shorter id first: SQLite's BINARY collation) and then seq.  A
** generator's ids ("C0000000001", ...) share their prefix a thousand at a
** time but arrive in order, so the check is all those runs cost.
**
** At COMMIT the sort runs on a second thread while the connection makes
** the claims_person index again (or restores the insert guards): it
** touches only the keys and the ids' copies here, never the connection.
**
** A read by claim id inside a bulk import (the console's claim page,
** claim_lookup, received_count: an import asks its questions before it
** writes, so in practice none) writes the kept entries first, so that it
** sees every row of the transaction as the index showed them.
*/
#include <stdlib.h>
#include <string.h>

#include "store/store_sqlite_int.h"

/* A kept entry's record in id_text: its seq, its id's length, its bytes. */
#define REC_HEAD (sizeof(int64_t) + sizeof(uint32_t))

/* Threads are not worth starting for fewer entries (a few milliseconds). */
#define SORT_THREAD_MIN 65536

static void rec_read(const char *text, const sq_id_key *k, int64_t *seq, const char **id,
                     size_t *len) {
  uint32_t l;
  memcpy(seq, text + k->off, sizeof *seq);
  memcpy(&l, text + k->off + sizeof *seq, sizeof l);
  *id = text + k->off + REC_HEAD;
  *len = l;
}

int sq_claim_ids_keep(sqlite_store *s, const char *id, size_t len, int64_t seq, sb_error *err) {
  if (len > UINT32_MAX) return sb_error_set(err, SB_EINVAL, s->path, "a claim id too long");
  if (s->nids == s->ids_cap) {
    size_t nc = s->ids_cap ? s->ids_cap * 2 : 1024;
    sq_id_key *k = realloc(s->id_keys, nc * sizeof *k);
    if (!k) return sb_error_set(err, SB_ENOMEM, s->path, "out of memory");
    s->id_keys = k;
    s->ids_cap = nc;
  }
  size_t need = REC_HEAD + len;
  if (s->id_tcap - s->id_tlen < need) {
    size_t nc = s->id_tcap ? s->id_tcap : 65536;
    while (nc - s->id_tlen < need)
      nc *= 2;
    char *t = realloc(s->id_text, nc);
    if (!t) return sb_error_set(err, SB_ENOMEM, s->path, "out of memory");
    s->id_text = t;
    s->id_tcap = nc;
  }
  char *p = s->id_text + s->id_tlen;
  uint32_t l = (uint32_t)len;
  memcpy(p, &seq, sizeof seq);
  memcpy(p + sizeof seq, &l, sizeof l);
  if (len) memcpy(p + REC_HEAD, id, len);
  s->id_keys[s->nids++] = (sq_id_key){sb_canon_id_prefix(id, len), (uint64_t)s->id_tlen};
  s->id_tlen += need;
  return SB_OK;
}

/* claim_ids' order: the id (BINARY collation), then seq. */
static int key_cmp(const char *text, const sq_id_key *a, const sq_id_key *b) {
  if (a->prefix != b->prefix) return a->prefix < b->prefix ? -1 : 1;
  int64_t sa, sb;
  const char *ia, *ib;
  size_t la, lb;
  rec_read(text, a, &sa, &ia, &la);
  rec_read(text, b, &sb, &ib, &lb);
  int c = sb_canon_cmp_id(ia, la, ib, lb);
  if (c) return c;
  return (sa > sb) - (sa < sb);
}

/* A run of keys with one prefix, out of order: merge sort (tmp: n keys). */
static void merge_sort(const char *text, sq_id_key *a, sq_id_key *tmp, size_t n) {
  if (n < 16) {
    for (size_t i = 1; i < n; i++) {
      sq_id_key x = a[i];
      size_t j = i;
      for (; j > 0 && key_cmp(text, &a[j - 1], &x) > 0; j--)
        a[j] = a[j - 1];
      a[j] = x;
    }
    return;
  }
  size_t h = n / 2;
  merge_sort(text, a, tmp, h);
  merge_sort(text, a + h, tmp, n - h);
  if (key_cmp(text, &a[h - 1], &a[h]) <= 0) return;
  memcpy(tmp, a, h * sizeof *a);
  size_t i = 0, j = h, o = 0;
  while (i < h && j < n)
    a[o++] = key_cmp(text, &a[j], &tmp[i]) < 0 ? a[j++] : tmp[i++];
  while (i < h)
    a[o++] = tmp[i++];
}

/* Sort the kept keys into claim_ids' order (keys and tmp: n each); the
** result is left in s->id_keys.  Touches nothing of the connection. */
static void sort_keys(sqlite_store *s) {
  size_t n = s->nids;
  sq_id_key *a = s->id_keys, *b = s->id_sort_tmp;
  const char *text = s->id_text;
  if (n < 2) return;
  /* one pass over the keys counts every byte's digits */
  size_t(*count)[256] = s->id_counts;
  memset(count, 0, 8 * sizeof *count);
  for (size_t i = 0; i < n; i++)
    for (int d = 0; d < 8; d++)
      count[d][(a[i].prefix >> (8 * d)) & 0xFF]++;
  for (int d = 0; d < 8; d++) {
    if (count[d][(a[0].prefix >> (8 * d)) & 0xFF] == n) continue; /* one digit: nothing moves */
    size_t at = 0;
    for (int v = 0; v < 256; v++) {
      size_t c = count[d][v];
      count[d][v] = at;
      at += c;
    }
    for (size_t i = 0; i < n; i++)
      b[count[d][(a[i].prefix >> (8 * d)) & 0xFF]++] = a[i];
    sq_id_key *t = a;
    a = b, b = t;
  }
  /* after an odd number of passes the keys are in the scratch: back into
  ** id_keys, and the scratch (not id_keys, where `b` then points) is the
  ** merge sort's below */
  if (a != s->id_keys) memcpy(s->id_keys, a, n * sizeof *a);
  a = s->id_keys;
  b = s->id_sort_tmp;
  /* runs of one prefix: in seq order now (the passes are stable and the
  ** entries were kept in seq order); by the whole id where that differs */
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && a[j].prefix == a[i].prefix)
      j++;
    for (size_t k = i + 1; k < j; k++)
      if (key_cmp(text, &a[k - 1], &a[k]) > 0) {
        merge_sort(text, a + i, b, j - i);
        break;
      }
    i = j;
  }
}

static void *sort_run(void *arg) {
  sort_keys(arg);
  return NULL;
}

/* The sort's scratch: the second key array and the digit counts. */
static int sort_scratch(sqlite_store *s, sb_error *err) {
  if (!s->id_counts && !(s->id_counts = malloc(8 * sizeof *s->id_counts)))
    return sb_error_set(err, SB_ENOMEM, s->path, "out of memory");
  if (s->id_tmp_cap < s->nids) {
    free(s->id_sort_tmp);
    if (!(s->id_sort_tmp = malloc(s->nids * sizeof *s->id_sort_tmp))) {
      s->id_tmp_cap = 0;
      return sb_error_set(err, SB_ENOMEM, s->path, "out of memory");
    }
    s->id_tmp_cap = s->nids;
  }
  return SB_OK;
}

void sq_claim_ids_sort_begin(sqlite_store *s) {
  if (s->id_sorting || s->nids < SORT_THREAD_MIN || sort_scratch(s, NULL)) return;
  s->id_sorting = pthread_create(&s->id_sorter, NULL, sort_run, s) == 0;
}

static void sort_join(sqlite_store *s) {
  if (!s->id_sorting) return;
  pthread_join(s->id_sorter, NULL);
  s->id_sorting = 0;
  s->id_sorted = 1;
}

/* The INSERT of `many` ? ROWS_PER_INSERT : 1 entries. */
static sqlite3_stmt *insert_stmt(sqlite_store *s, int many, sb_error *err) {
  return sq_insert_stmt(s, &s->id_ins[many], "INSERT INTO claim_ids(claim_id, seq) VALUES",
                        many ? ROWS_PER_INSERT : 1, 2, err);
}

int sq_claim_ids_write(sqlite_store *s, sb_error *err) {
  sort_join(s);
  if (!s->nids) return SB_OK;
  if (!s->id_sorted) {
    if (sort_scratch(s, err)) return SB_ENOMEM;
    sort_keys(s);
  }
  const sq_id_key *k = s->id_keys;
  const char *text = s->id_text;
  size_t n = s->nids, i = 0;
  int rc = SB_OK;
#ifdef SB_TEST_HOOKS
  /* Builds with the test hooks check the sort: an entry out of order
  ** would still be stored where it belongs (SQLite places every insert),
  ** only slower, so nothing else would notice (tests/unit/test_store_import.c). */
  for (size_t j = 1; j < n; j++)
    if (key_cmp(text, &k[j - 1], &k[j]) >= 0) {
      sq_claim_ids_clear(s);
      return sb_error_set(err, SB_EIO, s->path, "claim ids out of order at %zu", j);
    }
#endif
  while (i < n && !rc) {
    int many = n - i >= ROWS_PER_INSERT, rows = many ? ROWS_PER_INSERT : 1;
    sqlite3_stmt *st = insert_stmt(s, many, err);
    if (!st) return SB_EIO;
    for (int r = 0; r < rows; r++, i++) {
      int64_t seq;
      const char *id;
      size_t len;
      /* the records lie in arrival order, the keys in id order: fetch a
      ** record some entries ahead, so that its cache miss overlaps */
      if (i + 16 < n) __builtin_prefetch(text + k[i + 16].off);
      rec_read(text, &k[i], &seq, &id, &len);
      sqlite3_bind_text(st, 2 * r + 1, id, (int)len, SQLITE_STATIC);
      sqlite3_bind_int64(st, 2 * r + 2, seq);
    }
    rc = sq_done(s, st, err, "storing claim ids");
  }
  sq_claim_ids_clear(s);
  return rc;
}

void sq_claim_ids_clear(sqlite_store *s) {
  sort_join(s);
  s->nids = 0;
  s->id_tlen = 0;
  s->id_sorted = 0;
  /* a bulk import's arrays (tens of bytes a row) are not kept for the
  ** small transactions that may follow on a long-lived connection */
  if (s->ids_cap > SORT_THREAD_MIN) {
    free(s->id_keys);
    free(s->id_sort_tmp);
    free(s->id_text);
    s->id_keys = s->id_sort_tmp = NULL;
    s->id_text = NULL;
    s->ids_cap = s->id_tmp_cap = s->id_tcap = 0;
  }
}

void sq_claim_ids_free(sqlite_store *s) {
  sq_claim_ids_clear(s);
  for (int k = 0; k < 2; k++)
    sqlite3_finalize(s->id_ins[k]);
  free(s->id_keys);
  free(s->id_sort_tmp);
  free(s->id_counts);
  free(s->id_text);
}
