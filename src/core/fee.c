/*
** sanbao core — fee lines and the catalogue (see sanbao/fee.h;
** docs/reference/settlement.md §11, docs/reference/formats.md §9/§10).
**
** Classification is a handful of integer operations per line; the work of a
** batch of tens of millions of lines is in finding the catalogue row, and
** with a hundred thousand codes looked up in no particular order that work
** is waiting for memory: every dependent load is a likely cache miss.  So
** the index that finish() builds costs two of them per lookup:
**
**   ftable  open addressing, linear probing, load under 1/2; a slot holds
**           32 bits of the code's hash and where its blob is, so that a
**           probe rarely touches anything else before the match;
**   blobs   per code, in one array: a header word (row count, code length),
**           the code's bytes padded to 8, then its rows sorted by begin —
**           so the compare and the scan of the rows read adjacent bytes.
**
** A code has a handful of rows (one per re-rating), so a lookup scans them
** linearly; a long run (a code re-rated hundreds of times) is binary
** searched instead.  While rows are being added, another table (`table`,
** slots naming an index in `codes`, the code bytes in `arena`) interns the
** codes; the rows are kept as added, with their source line, so that
** finish() can be run again after more adds.
*/
#include "sanbao/fee.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanbao/array.h"
#include "sanbao/error.h"
#include "sanbao/hash.h"

/* ---- counts and prices ---------------------------------------------------- */

/*
** `digits [ "." 1..places digits ]` in units of 10^-places, at most `max`
** units (whose whole part is max / unit).  The integer part stops
** accumulating once past the maximum, so that a long string of digits cannot
** overflow: it is rejected anyway.
*/
static int parse_fixed(const char *s, size_t n, int places, int64_t unit, int64_t max,
                       int64_t *out) {
  size_t i = 0;
  int64_t whole = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9') {
    if (whole <= max) whole = whole * 10 + (s[i] - '0');
    i++;
  }
  if (i == 0 || whole > max / unit) return -1;
  int64_t v = whole * unit;
  if (i < n) {
    if (s[i] != '.') return -1;
    i++;
    int d = 0;
    int64_t frac = 0;
    while (i < n && d <= places && s[i] >= '0' && s[i] <= '9') {
      frac = frac * 10 + (s[i] - '0');
      i++, d++;
    }
    if (d == 0 || d > places || i != n) return -1;
    for (; d < places; d++)
      frac *= 10;
    v += frac;
  }
  if (v > max) return -1;
  *out = v;
  return 0;
}

int sb_qty_parse(const char *s, size_t n, sb_qty *out) {
  return parse_fixed(s, n, 4, 10000, SB_QTY_MAX, out);
}

int sb_price_parse(const char *s, size_t n, sb_price *out) {
  return parse_fixed(s, n, 6, 1000000, SB_PRICE_MAX, out);
}

/* ---- classification -------------------------------------------------------- */

/*
** A count (1e-4) times a price (1e-6) is an exact amount in 1e-10 yuan, and
** a fen is 1e-2 yuan: round_half_up to the fen is (p + 5e7) / 1e8.  The
** product reaches 1e14 x 1e16 = 1e30, beyond 64 bits, so it is formed in 128
** bits; but almost every real line (a count of some units times a price of
** some hundreds of yuan) fits 64 bits, where the division is a single
** instruction instead of a library call.
*/
static int round_fen(sb_qty cnt, sb_price pric, sb_fen *out) {
  unsigned __int128 p = (unsigned __int128)(uint64_t)cnt * (uint64_t)pric;
  if (p < (unsigned __int128)(UINT64_MAX - 50000000u)) {
    uint64_t f = ((uint64_t)p + 50000000u) / 100000000u;
    if (f > (uint64_t)SB_MONEY_MAX) return -1;
    *out = (sb_fen)f;
    return 0;
  }
  /* The quotient may exceed even int64 (up to 1e22 fen): compare before
  ** narrowing it. */
  unsigned __int128 f = (p + 50000000u) / 100000000u;
  if (f > (unsigned __int128)SB_MONEY_MAX) return -1;
  *out = (sb_fen)f;
  return 0;
}

int sb_fee_classify(const sb_catalog_item *item, sb_qty cnt, sb_price pric, sb_fee_amounts *out) {
  if (cnt < 0 || cnt > SB_QTY_MAX || pric < 0 || pric > SB_PRICE_MAX) return -1;
  sb_fen amt;
  if (round_fen(cnt, pric, &amt)) return -1;
  sb_fee_amounts r = {amt, 0, 0, 0, 0, SB_CLASS_UNLISTED};
  if (item) r.cls = item->cls;
  if (!item || (item->cls != SB_CLASS_A && item->cls != SB_CLASS_B)) {
    /* Unlisted, 丙类 (or a class that is none of the three): all self-paid. */
    r.fulamt = amt;
  } else {
    /* The part above the limit is rounded on its own, from the exact
    ** cnt x (pric - limit); it never exceeds amt because rounding half up
    ** is monotonic and pric - limit < pric. */
    if (item->price_limit >= 0 && pric > item->price_limit)
      (void)round_fen(cnt, pric - item->price_limit, &r.over); /* <= amt: cannot fail */
    if (item->cls == SB_CLASS_B) r.pre = sb_mul(amt - r.over, item->selfpay_prop);
  }
  r.inscp = amt - r.fulamt - r.over - r.pre;
  *out = r;
  return 0;
}

/* ---- the catalogue ---------------------------------------------------------- */

typedef struct row {
  sb_catalog_item it;
  int32_t code; /* index into codes */
  int32_t line;
} row;

typedef struct code {
  uint64_t off; /* its bytes in the arena */
  uint32_t len;
  uint32_t first; /* during finish(): its rows are k[first .. first + n) */
  uint32_t n;
  uint32_t added; /* rows added so far (n is set by finish) */
  uint32_t blob;  /* after finish(): its blob, in 8-byte words into blobs */
} code;

typedef struct slot {
  int32_t idx; /* -1: empty */
  uint32_t tag;
} slot;

/* A slot of the lookup table: at = 0 is empty (blobs start at word 1). */
typedef struct fslot {
  uint32_t tag;
  uint32_t at;
} fslot;

/* Rows are stored in blobs at 8-byte offsets. */
_Static_assert(sizeof(sb_catalog_item) % 8 == 0, "catalogue rows fill whole words");

struct sb_catalog {
  code *codes;
  int64_t ncodes, codes_cap;
  char *arena;
  int64_t arena_len, arena_cap;
  slot *table;
  uint64_t table_cap; /* a power of two */
  row *rows;          /* as added */
  int64_t nrows, rows_cap;
  fslot *ftable;        /* after finish(): table_cap slots */
  unsigned char *blobs; /* after finish() */
  int finished;
};

/* Above this many rows a code's run is binary searched. */
#define LINEAR_MAX 8
/* Overlapping rows named per row before the rest is only counted. */
#define OVERLAP_NAMED 8

sb_catalog *sb_catalog_new(void) {
  sb_catalog *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->table_cap = 1024;
  c->table = malloc(c->table_cap * sizeof *c->table);
  if (!c->table) {
    free(c);
    return NULL;
  }
  for (uint64_t i = 0; i < c->table_cap; i++)
    c->table[i].idx = -1;
  return c;
}

void sb_catalog_free(sb_catalog *c) {
  if (!c) return;
  free(c->codes);
  free(c->arena);
  free(c->table);
  free(c->rows);
  free(c->ftable);
  free(c->blobs);
  free(c);
}

/* The index of a code, or -1 with *slot_out set to the empty slot where it
** would go. */
static int32_t lookup(const sb_catalog *c, const char *s, size_t len, uint64_t h,
                      uint64_t *slot_out) {
  uint64_t mask = c->table_cap - 1, i = h & mask;
  uint32_t tag = (uint32_t)(h >> 32);
  for (;; i = (i + 1) & mask) {
    const slot *t = &c->table[i];
    if (t->idx < 0) {
      if (slot_out) *slot_out = i;
      return -1;
    }
    if (t->tag == tag) {
      const code *k = &c->codes[t->idx];
      if (k->len == len && memcmp(c->arena + k->off, s, len) == 0) return t->idx;
    }
  }
}

static int rehash(sb_catalog *c) {
  uint64_t nc = c->table_cap * 2;
  slot *nt = malloc(nc * sizeof *nt);
  if (!nt) return -1;
  for (uint64_t i = 0; i < nc; i++)
    nt[i].idx = -1;
  for (int64_t k = 0; k < c->ncodes; k++) {
    const code *p = &c->codes[k];
    uint64_t h = sb_hash_bytes(c->arena + p->off, p->len);
    uint64_t i = h & (nc - 1);
    while (nt[i].idx >= 0)
      i = (i + 1) & (nc - 1);
    nt[i].idx = (int32_t)k;
    nt[i].tag = (uint32_t)(h >> 32);
  }
  free(c->table);
  c->table = nt;
  c->table_cap = nc;
  return 0;
}

static int item_ok(const sb_catalog_item *it) {
  if (it->begin > it->end) return 0;
  if (it->cls != SB_CLASS_A && it->cls != SB_CLASS_B && it->cls != SB_CLASS_C) return 0;
  if (it->selfpay_prop < 0 || it->selfpay_prop > SB_BP_ONE) return 0;
  if (it->selfpay_prop != 0 && it->cls != SB_CLASS_B) return 0;
  if (it->price_limit != SB_PRICE_NO_LIMIT &&
      (it->price_limit < 0 || it->price_limit > SB_PRICE_MAX))
    return 0;
  return 1;
}

int sb_catalog_add(sb_catalog *c, const char *s, size_t len, const sb_catalog_item *it, int line) {
  if (len == 0 || len > SB_FEE_CODE_MAX || !item_ok(it)) return SB_EINVAL;
  /* Row and code indexes are 32-bit. */
  if (c->nrows >= INT32_MAX) return SB_ERANGE;
  uint64_t h = sb_hash_bytes(s, len), where = 0;
  int32_t idx = lookup(c, s, len, h, &where);
  if (idx < 0) {
    if (sb_array_grow((void **)&c->codes, &c->codes_cap, c->ncodes + 1, sizeof(code)) ||
        sb_array_grow((void **)&c->arena, &c->arena_cap, c->arena_len + (int64_t)len, 1))
      return SB_ENOMEM;
    memcpy(c->arena + c->arena_len, s, len);
    idx = (int32_t)c->ncodes++;
    code *k = &c->codes[idx];
    k->off = (uint64_t)c->arena_len;
    k->len = (uint32_t)len;
    k->first = k->n = k->added = 0;
    c->arena_len += (int64_t)len;
    c->table[where].idx = idx;
    c->table[where].tag = (uint32_t)(h >> 32);
    /* Keep the load factor under 1/2 so probes stay short. */
    if ((uint64_t)c->ncodes * 2 > c->table_cap && rehash(c)) return SB_ENOMEM;
  }
  if (sb_array_grow((void **)&c->rows, &c->rows_cap, c->nrows + 1, sizeof(row))) return SB_ENOMEM;
  row *r = &c->rows[c->nrows++];
  r->it = *it;
  r->code = idx;
  r->line = line;
  c->codes[idx].added++;
  c->finished = 0;
  return SB_OK;
}

/* Order of a code's rows: by begin, then by source line (so that of two
** rows starting the same day the later line is the one reported). */
typedef struct keyed {
  sb_catalog_item it;
  int32_t line;
} keyed;

static int keyed_less(const keyed *x, const keyed *y) {
  return x->it.begin < y->it.begin || (x->it.begin == y->it.begin && x->line < y->line);
}

static int cmp_keyed(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  return keyed_less(x, y) ? -1 : keyed_less(y, x) ? 1 : 0;
}

/* "YYYY-MM-DD" or "open". */
static void fmt_day(sb_date d, char *buf) {
  if (d == SB_DATE_MAX)
    memcpy(buf, "open", 5);
  else
    sb_date_format(d, buf);
}

/* A min-heap of row positions keyed by their end: the rows of the current
** code still valid on the day the next row begins. */
static void heap_push(int32_t *h, int32_t *n, int32_t v, const keyed *k) {
  int32_t i = (*n)++;
  while (i > 0) {
    int32_t p = (i - 1) / 2;
    if (k[h[p]].it.end <= k[v].it.end) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = v;
}

static void heap_pop(int32_t *h, int32_t *n, const keyed *k) {
  int32_t v = h[--*n], i = 0;
  if (*n == 0) return;
  for (;;) { /* sift the last element down from the root */
    int32_t l = 2 * i + 1, r = l + 1, s = -1;
    sb_date least = k[v].it.end;
    if (l < *n && k[h[l]].it.end < least) s = l, least = k[h[l]].it.end;
    if (r < *n && k[h[r]].it.end < least) s = r;
    if (s < 0) break;
    h[i] = h[s];
    i = s;
  }
  h[i] = v;
}

/*
** Sorted by begin, a row overlaps an earlier row exactly when that row's end
** is on or after its begin.  A sweep keeps the earlier rows whose end has not
** passed yet in a heap by end: every row still in it when the next row
** begins overlaps that row.  So each overlapping pair is found once, in
** O(n log n) for a code's n rows, however many rows overlap — a catalogue
** exported with one code on every line would otherwise cost n^2.
*/
static int check_run(keyed *k, int32_t n, int32_t *heap, void (*problem)(void *, int, const char *),
                     void *ctx) {
  int32_t hn = 0;
  int bad = 0;
  for (int32_t j = 0; j < n; j++) {
    while (hn > 0 && k[heap[0]].it.end < k[j].it.begin)
      heap_pop(heap, &hn, k);
    if (hn > 0) {
      bad++;
      if (problem) {
        int32_t named[OVERLAP_NAMED];
        int32_t m = hn < OVERLAP_NAMED ? hn : OVERLAP_NAMED;
        /* The first m in the heap's array (the earliest end among them), named
        ** in line order. */
        for (int32_t i = 0; i < m; i++) {
          int32_t v = heap[i], at = i;
          for (; at > 0 && k[named[at - 1]].line > k[v].line; at--)
            named[at] = named[at - 1];
          named[at] = v;
        }
        char b1[SB_DATE_BUFSZ], e1[SB_DATE_BUFSZ], b2[SB_DATE_BUFSZ], e2[SB_DATE_BUFSZ];
        fmt_day(k[j].it.begin, b1);
        fmt_day(k[j].it.end, e1);
        for (int32_t i = 0; i < m; i++) {
          const keyed *o = &k[named[i]];
          char msg[200];
          fmt_day(o->it.begin, b2);
          fmt_day(o->it.end, e2);
          snprintf(msg, sizeof msg,
                   "validity %s to %s overlaps that of line %d (%s to %s) of the same code", b1, e1,
                   (int)o->line, b2, e2);
          problem(ctx, k[j].line, msg);
        }
        if (hn > m) {
          char msg[160];
          snprintf(msg, sizeof msg, "validity %s to %s also overlaps %d more rows of the same code",
                   b1, e1, (int)(hn - m));
          problem(ctx, k[j].line, msg);
        }
      }
    }
    heap_push(heap, &hn, j, k);
  }
  return bad;
}

/* Does `a` hold the n bytes of `b`?  Word by word: codes are short, and a
** call to memcmp costs more than the compare. */
static int same_bytes(const unsigned char *a, const char *b, size_t n) {
  for (; n >= 8; a += 8, b += 8, n -= 8) {
    uint64_t x, y;
    memcpy(&x, a, 8);
    memcpy(&y, b, 8);
    if (x != y) return 0;
  }
  for (; n; a++, b++, n--)
    if (*a != (unsigned char)*b) return 0;
  return 1;
}

static uint64_t blob_words(uint32_t len, uint32_t n) {
  return 1 + (len + 7) / 8 + (uint64_t)n * (sizeof(sb_catalog_item) / 8);
}

int sb_catalog_finish(sb_catalog *c, void (*problem)(void *ctx, int line, const char *msg),
                      void *ctx) {
  size_t nr = (size_t)(c->nrows ? c->nrows : 1);
  keyed *k = malloc(nr * sizeof *k);
  int32_t *heap = NULL;
  unsigned char *blobs = NULL;
  fslot *ft = NULL;
  if (!k) goto nomem;
  /* Counting sort by code, stable: each code's rows in the order added. */
  uint32_t at = 0, longest = 0;
  uint64_t words = 1;
  for (int64_t i = 0; i < c->ncodes; i++) {
    code *p = &c->codes[i];
    p->first = at;
    p->n = 0;
    at += p->added;
    if (p->added > longest) longest = p->added;
    words += blob_words(p->len, p->added);
  }
  if (words > UINT32_MAX) goto nomem; /* blob offsets are 32-bit words */
  for (int64_t i = 0; i < c->nrows; i++) {
    const row *r = &c->rows[i];
    code *p = &c->codes[r->code];
    keyed *d = &k[p->first + p->n++];
    d->it = r->it;
    d->line = r->line;
  }
  heap = malloc((size_t)(longest ? longest : 1) * sizeof *heap);
  blobs = calloc((size_t)words, 8); /* zeroed: the padding after each code */
  ft = malloc(c->table_cap * sizeof *ft);
  if (!heap || !blobs || !ft) goto nomem;
  int bad = 0;
  uint64_t w = 1;
  for (int64_t i = 0; i < c->ncodes; i++) {
    code *p = &c->codes[i];
    keyed *run = k + p->first;
    if (p->n == 2) {
      if (keyed_less(&run[1], &run[0])) {
        keyed t = run[0];
        run[0] = run[1];
        run[1] = t;
      }
    } else if (p->n > 2) {
      qsort(run, p->n, sizeof *run, cmp_keyed);
    }
    if (p->n > 1) bad += check_run(run, (int32_t)p->n, heap, problem, ctx);
    /* The blob: header, code bytes, rows. */
    unsigned char *b = blobs + w * 8;
    uint64_t head = (uint64_t)p->n | (uint64_t)p->len << 32;
    memcpy(b, &head, 8);
    memcpy(b + 8, c->arena + p->off, p->len);
    sb_catalog_item *rows = (sb_catalog_item *)(void *)(b + 8 + (p->len + 7) / 8 * 8);
    for (uint32_t j = 0; j < p->n; j++)
      rows[j] = run[j].it;
    p->blob = (uint32_t)w;
    w += blob_words(p->len, p->n);
  }
  for (uint64_t i = 0; i < c->table_cap; i++) {
    const slot *t = &c->table[i];
    ft[i].tag = t->tag;
    ft[i].at = t->idx < 0 ? 0 : c->codes[t->idx].blob;
  }
  free(k);
  free(heap);
  free(c->blobs);
  free(c->ftable);
  c->blobs = blobs;
  c->ftable = ft;
  c->finished = 1;
  return bad;
nomem:
  free(k);
  free(heap);
  free(blobs);
  free(ft);
  return SB_ENOMEM;
}

const sb_catalog_item *sb_catalog_find(const sb_catalog *c, const char *s, size_t len, sb_date d) {
  return sb_catalog_find_hashed(c, s, len, sb_hash_bytes(s, len), d);
}

uint64_t sb_catalog_hash(const char *s, size_t len) {
  return sb_hash_bytes(s, len);
}

void sb_catalog_prefetch_slot(const sb_catalog *c, uint64_t h) {
  if (c->finished) __builtin_prefetch(&c->ftable[h & (c->table_cap - 1)]);
}

void sb_catalog_prefetch_rows(const sb_catalog *c, uint64_t h) {
  if (!c->finished) return;
  /* the slot was hinted a stage ago: reading it should not wait */
  const fslot *f = &c->ftable[h & (c->table_cap - 1)];
  if (f->at) __builtin_prefetch(c->blobs + (uint64_t)f->at * 8);
}

const sb_catalog_item *sb_catalog_find_hashed(const sb_catalog *c, const char *s, size_t len,
                                              uint64_t h, sb_date d) {
  if (!c->finished) return NULL;
  uint64_t mask = c->table_cap - 1, i = h & mask;
  uint32_t tag = (uint32_t)(h >> 32);
  const unsigned char *b;
  uint64_t head;
  for (;; i = (i + 1) & mask) {
    fslot f = c->ftable[i];
    if (f.at == 0) return NULL;
    if (f.tag != tag) continue;
    b = c->blobs + (uint64_t)f.at * 8;
    memcpy(&head, b, 8);
    if ((head >> 32) == len && same_bytes(b + 8, s, len)) break;
  }
  uint32_t n = (uint32_t)head;
  const sb_catalog_item *run = (const sb_catalog_item *)(const void *)(b + 8 + (len + 7) / 8 * 8);
  if (n <= LINEAR_MAX) {
    for (uint32_t j = 0; j < n; j++)
      if (run[j].begin <= d && d <= run[j].end) return &run[j];
    return NULL;
  }
  /* The last row that begins on or before d: the only candidate when rows
  ** do not overlap. */
  uint32_t lo = 0, hi = n; /* answer in [lo, hi): first row with begin > d */
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (run[mid].begin <= d)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0 || run[lo - 1].end < d) return NULL;
  return &run[lo - 1];
}

uint32_t sb_catalog_locate(const sb_catalog *c, const char *s, size_t len) {
  if (!c || !c->finished) return 0;
  uint64_t h = sb_hash_bytes(s, len), mask = c->table_cap - 1, i = h & mask;
  uint32_t tag = (uint32_t)(h >> 32);
  for (;; i = (i + 1) & mask) {
    fslot f = c->ftable[i];
    if (f.at == 0) return 0;
    if (f.tag != tag) continue;
    const unsigned char *b = c->blobs + (uint64_t)f.at * 8;
    uint64_t head;
    memcpy(&head, b, 8);
    if ((head >> 32) == len && same_bytes(b + 8, s, len)) return f.at;
  }
}

const sb_catalog_item *sb_catalog_find_at(const sb_catalog *c, uint32_t at, sb_date d) {
  if (!at) return NULL;
  const unsigned char *b = c->blobs + (uint64_t)at * 8;
  uint64_t head;
  memcpy(&head, b, 8);
  uint32_t n = (uint32_t)head, len = (uint32_t)(head >> 32);
  const sb_catalog_item *run = (const sb_catalog_item *)(const void *)(b + 8 + (len + 7) / 8 * 8);
  if (n <= LINEAR_MAX) {
    for (uint32_t j = 0; j < n; j++)
      if (run[j].begin <= d && d <= run[j].end) return &run[j];
    return NULL;
  }
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (run[mid].begin <= d)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0 || run[lo - 1].end < d) return NULL;
  return &run[lo - 1];
}

void sb_catalog_prefetch(const sb_catalog *c, const char *s, size_t len) {
  if (!c->finished) return;
  uint64_t h = sb_hash_bytes(s, len);
  const fslot *f = &c->ftable[h & (c->table_cap - 1)];
  /* Reading the slot brings it in; its blob is only hinted, so that a miss
  ** there holds nothing up.  (A probe past the first slot is rare and left
  ** to find().) */
  if (f->at) __builtin_prefetch(c->blobs + (uint64_t)f->at * 8);
}

int64_t sb_catalog_count(const sb_catalog *c) {
  return c->nrows;
}

int64_t sb_catalog_codes(const sb_catalog *c) {
  return c->ncodes;
}

int sb_catalog_row(const sb_catalog *c, int64_t i, const char **text, size_t *len,
                   sb_catalog_item *it) {
  if (i < 0 || i >= c->nrows) return -1;
  const row *r = &c->rows[i];
  const code *k = &c->codes[r->code];
  *text = c->arena + k->off;
  *len = k->len;
  *it = r->it;
  return 0;
}

static const char *const FEE_STATUS[] = {"ok", "unlisted", "bad", "no_claim"};

const char *sb_fee_status_name(int status) {
  return status >= 0 && status < 4 ? FEE_STATUS[status] : "";
}

int sb_fee_status_from_name(const char *s, size_t n) {
  for (int k = 0; k < 4; k++)
    if (strlen(FEE_STATUS[k]) == n && memcmp(FEE_STATUS[k], s, n) == 0) return k;
  return -1;
}
