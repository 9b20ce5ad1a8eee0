/*
** sanbao batch — fee lines against the catalogue (docs/reference/settlement.md
** §11, docs/reference/formats.md §10).
**
** Before the claims are read, the fee lines are grouped by the claim id
** they name (a hash over the lines' own text, which lives as long as the
** fee set), and what does not depend on any claims row is decided once per
** claim id: which lines are malformed (the reader's checks, an amount above
** the maximum, a feedetl_sn used by an earlier line of the claim), and the
** claim's total.  While the claims are read, a non-reversal row whose id
** has lines is checked against them (BAD_FEES, right after MALFORMED_ROW)
** and its four amounts are derived by classifying each line on the row's
** own date — one classification per row, so parallel loading needs nothing
** but this read-only index.  After settlement, each claim id's lines are
** reported against one row (the settled one, else the first in canonical
** order), which is the row --fee-results and --explain show.
*/
#include <stdlib.h>
#include <string.h>

#include "batch/batch_int.h"
#include "sanbao/hash.h"

/* Line flags. */
enum {
  L_BAD = 1, /* malformed on its own (the reader), or its amount is above the maximum */
  L_DUP = 2  /* its feedetl_sn was used by an earlier line of the claim */
};

/*
** A line as the settlement needs it, copied out of the fee set once: the
** lines of one claim id lie next to each other here, in input order, so a
** claims row classifies its lines in one sequential pass (the file has them
** anywhere).  The item code is located in the catalogue once per line; a row
** then only finds the code's row valid on its date.
*/
typedef struct fee_item {
  sb_qty cnt;
  sb_price pric;
  uint32_t at;   /* the code in the catalogue (sb_catalog_locate), 0: not there */
  uint32_t line; /* in the fee set, input order */
} fee_item;

#define KEY_INLINE 22 /* claim ids up to this long are kept in the group itself */

typedef struct fee_group {
  uint64_t hash;        /* of the claim id */
  char key[KEY_INLINE]; /* the claim id, when it is short: compared without a trip to the lines */
  uint8_t klen;         /* its length; KEY_INLINE + 1: longer, see line0 */
  int32_t first;        /* its items: items[first .. first + count) */
  int32_t count;
  int32_t line0; /* its first line (input order): the claim id's text */
  uint8_t bad;   /* a line of the claim is malformed: BAD_FEES */
  uint8_t over;  /* the lines' total is above the maximum: BAD_AMOUNT */
  /* after settlement: the row whose date classifies the lines for output */
  uint8_t chosen_settled, chosen_date_ok;
  int64_t chosen; /* -1: no non-reversal row has this id (the lines are no_claim) */
  sb_date chosen_date;
} fee_group;

struct sb_fee_index {
  const sb_fee_set *set;
  const sb_catalog *cat;
  int64_t nlines;
  int32_t *group; /* per line: its group, -1 when its claim id names none */
  uint8_t *flags; /* per line: L_* */
  fee_item *items;
  fee_group *g;
  /* The claim ids fall in two halves by their hash's top bit (half_of),
  ** each with a table of its own and its groups in a range of its own (g
  ** holds a group a line: half 0's are g[0 .. ng[0]), half 1's the last
  ** ng[1], groups_from; the ids between are never used), and its items in
  ** a range of its own: two threads build the halves at once and write
  ** nothing the other writes (build_job). */
  int32_t ng[2];
  int32_t *table[2]; /* open addressing over claim-id hashes: group indexes, -1 empty */
  uint64_t mask[2];
  /* after settlement (batch_fee_choose_rows): per line, the catalogue row
  ** valid on its chosen row's date (NULL: unlisted, or no such row), so
  ** that the totals, --fee-results and --explain never look a code up
  ** again; and the lines by status (SB_FEE_*) */
  const sb_catalog_item **valid;
  uint8_t *status; /* per line: SB_FEE_* (a line's group is far in memory; this is not) */
  int64_t by_status[4];
};

static uint64_t key_hash(const char *id, size_t len) {
  return sb_hash_bytes(id, len);
}

/* A table slot from a hash: the hash's high bits after a Fibonacci multiply,
** so that ids that differ only in their last characters spread as well as
** any (linear probing is only fast over well-spread slots). */
static uint64_t slot_of(uint64_t h, uint64_t mask) {
  return ((h * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static int same_claim(const sb_fee_index *x, int32_t k, const char *id, size_t len) {
  const fee_group *g = &x->g[k];
  if (g->klen <= KEY_INLINE) return g->klen == len && memcmp(g->key, id, len) == 0;
  sb_fee_line f = sb_fees_line(x->set, g->line0);
  return f.claim_id_len == len && memcmp(f.claim_id, id, len) == 0;
}

/* The half a claim id's hash falls in (sb_fee_index.table). */
static int half_of(uint64_t h) {
  return (int)(h >> 63);
}

/* The first of half p's groups (they end at groups_from + ng[p]). */
static int32_t groups_from(const sb_fee_index *x, int p) {
  return p ? (int32_t)(x->nlines - x->ng[1]) : 0;
}

/* The table slot where the search for hash h starts: what the lookups
** that are prepared ahead bring in. */
static const int32_t *first_slot(const sb_fee_index *x, uint64_t h) {
  int p = half_of(h);
  return &x->table[p][slot_of(h, x->mask[p])];
}

/* The group of claim id `id` whose hash is h, or -1. */
static int32_t group_find(const sb_fee_index *x, uint64_t h, const char *id, size_t len) {
  const int32_t *t = x->table[half_of(h)];
  uint64_t mask = x->mask[half_of(h)];
  for (uint64_t i = slot_of(h, mask);; i = (i + 1) & mask) {
    int32_t k = t[i];
    if (k < 0) return -1;
    if (x->g[k].hash == h && same_claim(x, k, id, len)) return k;
  }
}

int32_t batch_fee_group(const sb_fee_index *x, const char *id, size_t len) {
  if (!x || len == 0) return -1;
  return group_find(x, key_hash(id, len), id, len);
}

/* Double half p's table. */
static int table_grow(sb_fee_index *x, int p) {
  uint64_t cap = 2 * (x->mask[p] + 1);
  int32_t *t = malloc(cap * sizeof *t);
  if (!t) return -1;
  memset(t, 0xFF, cap * sizeof *t);
  for (int32_t k = groups_from(x, p); k < groups_from(x, p) + x->ng[p]; k++) {
    uint64_t i = slot_of(x->g[k].hash, cap - 1);
    while (t[i] >= 0)
      i = (i + 1) & (cap - 1);
    t[i] = k;
  }
  free(x->table[p]);
  x->table[p] = t;
  x->mask[p] = cap - 1;
  return 0;
}

/* Mark lines whose feedetl_sn an earlier line of the same claim used.  A
** line "uses" its serial number when the field could be read as one (1 to 64
** bytes), bad or not; the earlier line itself stays good.  Serial numbers
** are compared by a hash first (`snh`, beside the items), by text only when
** two hashes agree. */
static int mark_duplicates(sb_fee_index *x, const fee_group *g, const uint64_t *snh) {
  if (g->count < 2) return 0;
  const fee_item *it = x->items + g->first;
  const uint64_t *hh = snh + g->first;
  uint64_t cap = 32;
  while (cap < 2 * (uint64_t)g->count)
    cap *= 2;
  int32_t small[32], *t = cap <= 32 ? small : malloc(cap * sizeof *t);
  if (!t) return -1;
  memset(t, 0xFF, cap * sizeof *t);
  for (int32_t a = 0; a < g->count; a++) {
    if (!hh[a]) continue; /* no readable serial number */
    for (uint64_t i = slot_of(hh[a], cap - 1);; i = (i + 1) & (cap - 1)) {
      if (t[i] < 0) {
        t[i] = a;
        break;
      }
      if (hh[t[i]] != hh[a]) continue;
      sb_fee_line la = sb_fees_line(x->set, it[a].line), lb = sb_fees_line(x->set, it[t[i]].line);
      if (la.sn_len == lb.sn_len && memcmp(la.sn, lb.sn, la.sn_len) == 0) {
        x->flags[it[a].line] |= L_DUP;
        break;
      }
    }
  }
  if (t != small) free(t);
  return 0;
}

void batch_fee_index_free(sb_fee_index *x) {
  if (!x) return;
  free(x->group);
  free(x->flags);
  free(x->items);
  free(x->g);
  free(x->table[0]);
  free(x->table[1]);
  free(x->valid);
  free(x->status);
  free(x);
}

/*
** One half of the claim ids (sb_fee_index.table), built by a thread of its
** own: its lines, and the ranges of the shared arrays it alone writes — its
** part of `lists`, its groups (half 0's from g[0] up, half 1's from
** g[nlines - 1] down: neither can have more groups than lines) and their
** fill counters, its items and their serial numbers' hashes (from item0).
** Per-line arrays (group, flags) it writes only at its own lines; the lines
** of the two halves share cache lines there, which is why half 1 goes
** through its lines from the last in step 1: the two threads then meet in
** those arrays once, in the middle, instead of writing the same cache lines
** all the way along.
*/
typedef struct build_job {
  sb_fee_index *x;
  int p;
  int32_t *lists;      /* both halves' lines: half 0's from the start, half 1's
                          from the end backwards (input order read from the end) */
  const int32_t *list; /* its lines in the order step 1 takes them: half 0's
                          in input order, half 1's the other way round */
  int64_t nlist;
  int64_t named; /* of them, the lines naming a claim: its items */
  int64_t item0; /* where its items start */
  int32_t *fill; /* by group */
  uint64_t *snh; /* by item */
  int oom;
} build_job;

/*
** Step 1 of one half: its lines, then each line's group (a new one for a
** claim id seen first).  The claim ids were hashed as the file was read
** (sb_fees_claim_hash).  The table and the groups are far bigger than the
** caches and each line lands anywhere in them, so the lookup of a line is
** prepared ahead: the slot of the line AHEAD on is brought in, then (AHEAD/2
** later) the group the slot names.  Only hints: the probe below is exact.
** Nothing else is written per line here: every per-line array of the
** index is memory touched for the first time (a page fault per 4 KiB), so
** the items are written once, in claim order, in step 2.
*/
static void *build_groups(void *arg) {
  build_job *j = arg;
  sb_fee_index *x = j->x;
  const sb_fee_set *set = x->set;
  int p = j->p;
  int64_t n = x->nlines, m = 0;
  for (int64_t i = 0; i < n; i++)
    if (half_of(sb_fees_claim_hash(set, i)) == p) j->lists[p ? n - 1 - m++ : m++] = (int32_t)i;
  const int32_t *list = j->list = j->lists + (p ? n - m : 0);
  j->nlist = m;
  /* sized from the line count, not grown from small: each growth rehashes
  ** every group, a cache miss each.  It still grows once when more than
  ** half its slots fill (most lines each a claim of its own) */
  x->mask[p] = 1023;
  while (x->mask[p] < (uint64_t)m)
    x->mask[p] = 2 * x->mask[p] + 1;
  x->table[p] = malloc((x->mask[p] + 1) * sizeof *x->table[p]);
  if (!x->table[p]) {
    j->oom = 1;
    return NULL;
  }
  memset(x->table[p], 0xFF, (x->mask[p] + 1) * sizeof *x->table[p]);
  enum { AHEAD = 16 };
  uint64_t hq[AHEAD]; /* the hashes of lines a .. a + AHEAD - 1 */
  for (int64_t a = 0; a < m && a < AHEAD; a++) {
    hq[a] = sb_fees_claim_hash(set, list[a]);
    __builtin_prefetch(first_slot(x, hq[a]));
  }
  for (int64_t a = 0; a < m; a++) {
    int32_t i = list[a];
    uint64_t h = hq[a % AHEAD];
    if (a + AHEAD < m) {
      uint64_t ha = hq[a % AHEAD] = sb_fees_claim_hash(set, list[a + AHEAD]);
      __builtin_prefetch(first_slot(x, ha));
    }
    if (a + AHEAD / 2 < m) {
      int32_t kb = *first_slot(x, hq[(a + AHEAD / 2) % AHEAD]);
      if (kb >= 0) __builtin_prefetch(&x->g[kb]);
    }
    sb_fee_line l = sb_fees_line(set, i);
    x->group[i] = -1;
    if (l.bad) x->flags[i] |= L_BAD;
    if (!l.claim_id_ok || l.claim_id_len == 0) continue; /* names no claim */
    int32_t *t = x->table[p];
    uint64_t mask = x->mask[p], s = slot_of(h, mask);
    int32_t k;
    for (;; s = (s + 1) & mask) {
      k = t[s];
      if (k < 0 || (x->g[k].hash == h && same_claim(x, k, l.claim_id, l.claim_id_len))) break;
    }
    if (k < 0) {
      k = p ? (int32_t)(n - 1 - x->ng[1]++) : x->ng[0]++;
      x->g[k] = (fee_group){.hash = h, .line0 = i, .chosen = -1};
      if (l.claim_id_len <= KEY_INLINE) {
        memcpy(x->g[k].key, l.claim_id, l.claim_id_len);
        x->g[k].klen = (uint8_t)l.claim_id_len;
      } else {
        x->g[k].klen = KEY_INLINE + 1;
      }
      t[s] = k;
      if (2 * (uint64_t)x->ng[p] > mask + 1 && table_grow(x, p)) {
        j->oom = 1;
        return NULL;
      }
    }
    x->g[k].count++;
    x->group[i] = k;
    j->named++;
  }
  return NULL;
}

/*
** Steps 2 and 3 of one half.  2: its items in claim order, straight from
** the lines (a counting sort by group, stable: the lines in input order),
** each with its code as located when read (sb_fees_code_at) and its serial
** number's hash.  Each line lands anywhere in the items, so its place is
** prepared as its group was in step 1: the fill counter of the line AHEAD
** on is brought in, then (AHEAD/2 later) the item and hash it is likely to
** write.  Hints: a counter may move on before its line comes.  3: what
** each claim's lines decide by themselves.
*/
static void *build_items(void *arg) {
  build_job *j = arg;
  sb_fee_index *x = j->x;
  const sb_fee_set *set = x->set;
  int32_t *fill = j->fill;
  int32_t g0 = groups_from(x, j->p), g1 = g0 + x->ng[j->p];
  int64_t placed = j->item0;
  for (int32_t k = g0; k < g1; k++) {
    x->g[k].first = (int32_t)placed;
    fill[k] = (int32_t)placed;
    placed += x->g[k].count;
  }
  enum { AHEAD = 16 };
  /* in input order: half 1's list is the other way round */
  const int32_t *list = j->list;
  int64_t m = j->nlist;
#define IN_ORDER(a) list[j->p ? m - 1 - (a) : (a)]
  for (int64_t a = 0; a < m; a++) {
    if (a + AHEAD < m && x->group[IN_ORDER(a + AHEAD)] >= 0)
      __builtin_prefetch(&fill[x->group[IN_ORDER(a + AHEAD)]]);
    if (a + AHEAD / 2 < m && x->group[IN_ORDER(a + AHEAD / 2)] >= 0) {
      int32_t qb = fill[x->group[IN_ORDER(a + AHEAD / 2)]];
      __builtin_prefetch(&x->items[qb], 1);
      __builtin_prefetch(&j->snh[qb], 1);
    }
    int32_t i = IN_ORDER(a), k = x->group[i];
    if (k < 0) continue;
    sb_fee_line l = sb_fees_line(set, i);
    int32_t q = fill[k]++;
    x->items[q] = (fee_item){l.cnt, l.pric, sb_fees_code_at(set, x->cat, i), (uint32_t)i};
    j->snh[q] = l.sn_len && l.sn_len <= 64 ? key_hash(l.sn, l.sn_len) | 1 : 0;
  }
#undef IN_ORDER
  for (int32_t k = g0; k < g1; k++) {
    fee_group *g = &x->g[k];
    if (mark_duplicates(x, g, j->snh)) {
      j->oom = 1;
      return NULL;
    }
    sb_fen total = 0;
    for (int32_t q = g->first; q < g->first + g->count; q++) {
      fee_item *it = &x->items[q];
      sb_fee_amounts am;
      if (!(x->flags[it->line] & L_BAD) && sb_fee_classify(NULL, it->cnt, it->pric, &am))
        x->flags[it->line] |= L_BAD; /* its amount is above 10,000,000,000.00 */
      if (x->flags[it->line]) {
        g->bad = 1;
        continue;
      }
      total += am.amt; /* each <= SB_MONEY_MAX: a claim would need 9 million of them to wrap */
      if (total > SB_MONEY_MAX) g->over = 1, total = SB_MONEY_MAX + 1;
    }
  }
  return NULL;
}

/* fn on both halves: at once on two threads when `both`, else one after
** the other on this one. */
static void run_halves(void *(*fn)(void *), void *first, void *second, int both) {
  if (both) {
    batch_run_pair(fn, first, second);
  } else {
    fn(first);
    fn(second);
  }
}

int batch_fee_index_new(const sb_fee_set *set, const sb_catalog *cat, int threads,
                        sb_fee_index **out, const char *name, sb_error *err) {
  int64_t n = sb_fees_count(set);
  if (n >= INT32_MAX - 1)
    return sb_error_set(err, SB_ERANGE, name, "more than %d fee lines: split the file",
                        INT32_MAX - 2);
  size_t nn = (size_t)(n ? n : 1);
  int both = threads > 1 && n >= BATCH_FEE_SPLIT;
  sb_fee_index *x = calloc(1, sizeof *x);
  int32_t *lists = NULL, *fill = NULL;
  build_job j[2];
  memset(j, 0, sizeof j);
  if (x) {
    x->set = set;
    x->cat = cat;
    x->nlines = n;
    x->group = malloc(nn * sizeof *x->group);
    x->flags = calloc(nn, 1);
    x->g = malloc(nn * sizeof *x->g); /* a group a line at most; touched only as used */
    fill = malloc(nn * sizeof *fill);
    lists = malloc(nn * sizeof *lists);
  }
  if (!x || !x->group || !x->flags || !x->g || !fill || !lists) goto oom;
  for (int p = 0; p < 2; p++)
    j[p] = (build_job){x, p, lists, NULL, 0, 0, 0, fill, NULL, 0};
  run_halves(build_groups, &j[0], &j[1], both);
  if (j[0].oom || j[1].oom) goto oom;
  size_t np = (size_t)(j[0].named + j[1].named ? j[0].named + j[1].named : 1);
  x->items = malloc(np * sizeof *x->items);
  uint64_t *snh = malloc(np * sizeof *snh);
  if (!x->items || !snh) {
    free(snh);
    goto oom;
  }
  j[1].item0 = j[0].named;
  j[0].snh = j[1].snh = snh;
  run_halves(build_items, &j[0], &j[1], both);
  free(snh);
  if (j[0].oom || j[1].oom) goto oom;
  free(fill);
  free(lists);
  *out = x;
  return SB_OK;
oom:
  free(fill);
  free(lists);
  batch_fee_index_free(x);
  return sb_error_set(err, SB_ENOMEM, name, "out of memory");
}

int batch_fee_row(const sb_fee_index *x, int32_t k, sb_date date, int has_amounts, sb_fen amt[4]) {
  const fee_group *g = &x->g[k];
  if (has_amounts || g->bad) return SB_R_BAD_FEES;
  if (g->over) return SB_R_BAD_AMOUNT;
  amt[0] = amt[1] = amt[2] = amt[3] = 0;
  for (int32_t q = g->first; q < g->first + g->count; q++) {
    const fee_item *it = &x->items[q];
    sb_fee_amounts a;
    sb_fee_classify(sb_catalog_find_at(x->cat, it->at, date), it->cnt, it->pric, &a);
    amt[0] += a.amt;
    amt[1] += a.fulamt;
    amt[2] += a.over;
    amt[3] += a.pre;
  }
  return SB_OK_ROW;
}

/* Row r's fee lines, once its group k (or -1) is known: what load_row
** left pending (batch_int.h, AUX_FEES_PENDING) decided. */
static void fee_row_settle(const sb_fee_index *x, row *r, int32_t k) {
  uint64_t pend = r->aux;
  int given = (pend & AUX_FEES_GIVEN) != 0, amount_why = (int)(pend & 0xFF);
  r->aux = (uint64_t)(k + 1);
  if (k < 0) { /* no lines: the row's own amounts */
    if (amount_why) {
      r->visit = r->category = 0; /* as a row rejected before the checks load_row made */
      r->reason = SB_R_BAD_AMOUNT;
      r->level = (uint8_t)amount_why;
    }
    return;
  }
  memset(r->amt, 0, sizeof r->amt);
  int reason = batch_fee_row(x, k, r->date, given, r->amt);
  if (reason) {                 /* BAD_FEES and BAD_AMOUNT come before the checks load_row made */
    r->visit = r->category = 0; /* as a row rejected before them */
    r->reason = (uint8_t)reason;
    r->level = reason == SB_R_BAD_AMOUNT ? WHY_LINES_TOTAL
               : given                   ? WHY_AMOUNTS_WITH_LINES
                                         : WHY_A_LINE;
  }
}

/* The hash of row r's claim id when its fee lines are pending, else 0. */
static uint64_t pending_hash(const row *r, const char *arena) {
  return (r->aux & AUX_FEES_PENDING) ? key_hash(arena + r->id_off, r->id_len) : 0;
}

void batch_fee_rows(const sb_fee_index *x, row *rows, int64_t n, const char *arena) {
  /* As in batch_fee_index_new: the table, the groups and their items are
  ** far bigger than the caches and a row's claim id lands anywhere in
  ** them, so row i's lookup is prepared ahead (hints only: the lookup
  ** below is exact).  Doing this in load_row itself would stall on two or
  ** three cache misses per row. */
  enum { AHEAD = 16 };
  uint64_t hq[AHEAD];
  for (int64_t i = 0; i < n && i < AHEAD; i++) {
    hq[i] = pending_hash(&rows[i], arena);
    if (hq[i]) __builtin_prefetch(first_slot(x, hq[i]));
  }
  for (int64_t i = 0; i < n; i++) {
    uint64_t h = hq[i % AHEAD];
    if (i + AHEAD < n) {
      uint64_t ha = pending_hash(&rows[i + AHEAD], arena);
      hq[(i + AHEAD) % AHEAD] = ha;
      if (ha) __builtin_prefetch(first_slot(x, ha));
    }
    if (i + AHEAD / 2 < n && hq[(i + AHEAD / 2) % AHEAD]) {
      int32_t kb = *first_slot(x, hq[(i + AHEAD / 2) % AHEAD]);
      if (kb >= 0) __builtin_prefetch(&x->g[kb]);
    }
    if (i + AHEAD / 4 < n && hq[(i + AHEAD / 4) % AHEAD]) {
      int32_t kc = *first_slot(x, hq[(i + AHEAD / 4) % AHEAD]);
      if (kc >= 0) __builtin_prefetch(&x->items[x->g[kc].first]);
    }
    row *r = &rows[i];
    if (!h) continue;
    fee_row_settle(x, r, group_find(x, h, arena + r->id_off, r->id_len));
  }
}

/* Half the rows of batch_fee_rows_threads. */
typedef struct rows_job {
  const sb_fee_index *x;
  row *rows;
  int64_t n;
  const char *arena;
} rows_job;

static void *rows_run(void *arg) {
  rows_job *j = arg;
  batch_fee_rows(j->x, j->rows, j->n, j->arena);
  return NULL;
}

void batch_fee_rows_threads(const sb_fee_index *x, row *rows, int64_t n, const char *arena,
                            int threads) {
  /* Each row is written by its own half only, and the index is only read:
  ** the halves share nothing they write. */
  int64_t h = threads > 1 && n >= BATCH_FEE_SPLIT ? n / 2 : n;
  rows_job j[2] = {{x, rows, h, arena}, {x, rows + h, n - h, arena}};
  batch_run_pair(rows_run, &j[0], h < n ? &j[1] : NULL);
}

/* ---- after settlement: the row each claim id's lines are shown against ---- */

/* The claim id and date of a malformed row, from its raw text; 0 when it
** has no id. */
static int raw_id_date(const sb_batch *b, const row *r, const char **id, size_t *len, sb_date *date,
                       int *date_ok) {
  raw_text t;
  batch_raw_text(b, r, &t);
  *id = t.id, *len = t.id_len;
  *date_ok = sb_date_parse(t.date, t.date_len, date) == 0;
  return *len > 0;
}

/* The group whose lines row r would be shown against (-1: none) and the
** date it classifies them on. */
static int32_t row_group(const sb_batch *b, const row *r, sb_date *date, int *date_ok) {
  if ((r->flags & F_REVERSAL) || row_skipped(r)) return -1;
  if (r->flags & F_RAW) {
    const char *id;
    size_t len;
    *date = 0;
    if (!raw_id_date(b, r, &id, &len, date, date_ok)) return -1;
    return batch_fee_group(b->fees, id, len);
  }
  *date = r->date; /* load_row kept the group */
  *date_ok = 1;
  return (int32_t)r->aux - 1;
}

/* Half p of batch_fee_choose_rows (its groups), and what its lines count. */
typedef struct resolve_job {
  const sb_batch *b;
  int p;
  int64_t by_status[4];
} resolve_job;

/*
** The row each of half p's claim ids is shown against, then each of their
** lines' catalogue row on its chosen row's date and its status: one pass
** over the rows, one over the lines in claim order (each code already
** located, fee_item.at).  The two halves write different groups and
** different lines, and a half needs only its own groups chosen to go on to
** their lines, so the two run at once with nothing to wait for between.
*/
static void *resolve_run(void *arg) {
  resolve_job *j = arg;
  const sb_batch *b = j->b;
  sb_fee_index *x = b->fees;
  enum { AHEAD = 16 };
  for (int64_t i = 0; i < b->n; i++) {
    /* the groups are far bigger than the caches: row i+AHEAD's is hinted
    ** (a reversal's or malformed row's aux is no group: a hint anywhere
    ** costs nothing) */
    if (i + AHEAD < b->n) {
      const row *ra = &b->rows[i + AHEAD];
      if (!(ra->flags & (F_REVERSAL | F_RAW)) && ra->aux > 0 && ra->aux <= (uint64_t)x->nlines &&
          ((int64_t)ra->aux - 1 >= x->ng[0]) == j->p)
        __builtin_prefetch(&x->g[ra->aux - 1]);
    }
    sb_date date;
    int date_ok;
    int32_t k = row_group(b, &b->rows[i], &date, &date_ok);
    if (k < 0 || (k >= x->ng[0]) != j->p) continue; /* none, or the other half's */
    fee_group *g = &x->g[k];
    int settled = !row_rejected(&b->rows[i]);
    /* the settled row, else the first in canonical order: rows of one id
    ** compare by date, then position; a row without a real date last */
    int take = g->chosen < 0 || (settled && !g->chosen_settled) ||
               (!settled && !g->chosen_settled &&
                (date_ok && (!g->chosen_date_ok || date < g->chosen_date)));
    if (take) {
      g->chosen = i;
      g->chosen_settled = (uint8_t)settled;
      g->chosen_date = date;
      g->chosen_date_ok = (uint8_t)date_ok;
    }
  }
  int32_t from = groups_from(x, j->p), to = from + x->ng[j->p];
  for (int32_t k = from; k < to; k++) {
    const fee_group *g = &x->g[k];
    if (g->chosen < 0) continue; /* its lines are no_claim */
    for (int32_t q = g->first; q < g->first + g->count; q++) {
      const fee_item *it = &x->items[q];
      if (x->flags[it->line]) {
        x->status[it->line] = SB_FEE_BAD;
        j->by_status[SB_FEE_BAD]++;
        continue;
      }
      const sb_catalog_item *c =
          g->chosen_date_ok ? sb_catalog_find_at(x->cat, it->at, g->chosen_date) : NULL;
      x->valid[it->line] = c;
      x->status[it->line] = c ? SB_FEE_OK : SB_FEE_UNLISTED;
      j->by_status[x->status[it->line]]++;
    }
  }
  return NULL;
}

int batch_fee_choose_rows(sb_batch *b) {
  sb_fee_index *x = b->fees;
  if (!x) return 0;
  size_t nn = (size_t)(x->nlines ? x->nlines : 1);
  if (!x->valid) x->valid = calloc(nn, sizeof *x->valid);
  if (!x->status) x->status = malloc(nn);
  if (!x->valid || !x->status) return -1;
  memset(x->status, SB_FEE_NO_CLAIM, nn);
  /* by two threads, a half of the claim ids each, when the batch has more
  ** than one */
  int threads = b->opt.threads > 0 ? b->opt.threads : 2;
  resolve_job j[2] = {{b, 0, {0}}, {b, 1, {0}}};
  run_halves(resolve_run, &j[0], &j[1], threads > 1 && x->nlines >= BATCH_FEE_SPLIT);
  int64_t shown = 0;
  for (int s = 0; s < 4; s++) {
    x->by_status[s] = j[0].by_status[s] + j[1].by_status[s];
    if (s != SB_FEE_NO_CLAIM) shown += x->by_status[s];
  }
  x->by_status[SB_FEE_NO_CLAIM] = x->nlines - shown;
  return 0;
}

void batch_fee_counts(const sb_batch *b, int64_t by_status[4]) {
  for (int s = 0; s < 4; s++)
    by_status[s] = b->fees && b->settled ? b->fees->by_status[s] : 0;
}

int64_t sb_batch_fee_line_count(const sb_batch *b) {
  return b->fees ? b->fees->nlines : 0;
}

/* Line i's result but the row it is shown against (which only its group
** knows, far in memory). */
static int line_result(const sb_fee_index *x, int64_t i, sb_fee_result *out) {
  memset(out, 0, sizeof *out);
  sb_fee_line l = sb_fees_line(x->set, i);
  out->line = l;
  out->row = -1;
  out->status = x->status[i];
  if (out->status == SB_FEE_BAD)
    out->why = (x->flags[i] & L_DUP) && !l.bad ? "feedetl_sn: used by an earlier line of the claim"
               : l.bad                         ? l.why
                                               : "the line's amount is above 10000000000.00";
  else if (out->status != SB_FEE_NO_CLAIM)
    sb_fee_classify(x->valid[i], l.cnt, l.pric, &out->amounts);
  return out->status;
}

int sb_batch_fee_line(const sb_batch *b, int64_t i, sb_fee_result *out) {
  const sb_fee_index *x = b->fees;
  line_result(x, i, out);
  if (out->status != SB_FEE_NO_CLAIM) out->row = x->g[x->group[i]].chosen;
  return out->status;
}

int sb_batch_fee_group_lines(const sb_batch *b, const char *claim_id, size_t len, int64_t *first) {
  int32_t k = batch_fee_group(b->fees, claim_id, len);
  if (k < 0) return 0;
  *first = b->fees->g[k].first;
  return (int)b->fees->g[k].count;
}

int64_t sb_batch_fee_item_line(const sb_batch *b, int64_t pos) {
  return b->fees->items[pos].line;
}

/* Fee line i's row of --fee-results; 0, or -1 when out of memory. */
static int fee_result_row(const sb_fee_index *x, int64_t i, sb_buf *o) {
  sb_fee_result fr;
  line_result(x, i, &fr);
  const sb_fee_line *l = &fr.line;
  if (sb_csv_put_field(o, l->claim_id, l->claim_id_len) || sb_buf_put(o, ",", 1) ||
      sb_csv_put_field(o, l->sn, l->sn_len) || sb_buf_put(o, ",", 1) ||
      sb_csv_put_field(o, l->code, l->code_len))
    return -1;
  /* Written field by field, not with printf: this runs once per line
  ** of files of millions of lines, and printf's parsing of its format
  ** cost more than the classification. */
  if (sb_buf_reserve(o, 6 * SB_MONEY_BUFSZ + 32)) return -1;
  o->p[o->len++] = ',';
  if (fr.status == SB_FEE_OK || fr.status == SB_FEE_UNLISTED) {
    if (fr.status == SB_FEE_OK && fr.amounts.cls >= 1 && fr.amounts.cls <= 3) {
      o->p[o->len++] = '0';
      o->p[o->len++] = (char)('0' + fr.amounts.cls);
    }
    const sb_fen v[5] = {fr.amounts.amt, fr.amounts.fulamt, fr.amounts.over, fr.amounts.pre,
                         fr.amounts.inscp};
    for (int k = 0; k < 5; k++) {
      o->p[o->len++] = ',';
      o->len += sb_money_format(v[k], o->p + o->len);
    }
  } else {
    memcpy(o->p + o->len, ",,,,,", 5);
    o->len += 5;
  }
  o->p[o->len++] = ',';
  const char *st = sb_fee_status_name(fr.status);
  size_t stn = strlen(st);
  memcpy(o->p + o->len, st, stn);
  o->len += stn;
  o->p[o->len++] = '\n';
  return 0;
}

/* A batch_format_fn: fee lines [from, to). */
static int format_fee_results(const sb_batch *b, int64_t from, int64_t to, sb_buf *o, void *cache) {
  (void)cache;
  for (int64_t i = from; i < to; i++)
    if (fee_result_row(b->fees, i, o)) return -1;
  return 0;
}

int sb_batch_write_fee_results(const sb_batch *b, sb_buf *o, size_t chunk, sb_flush_fn flush,
                               void *ctx) {
  static const char hdr[] = "claim_id,feedetl_sn,med_list_codg,chrgitm_lv,det_item_fee_sumamt,"
                            "fulamt_ownpay_amt,overlmt_amt,preselfpay_amt,inscp_scp_amt,status\n";
  if (sb_buf_put(o, hdr, sizeof hdr - 1)) return SB_ENOMEM;
  int64_t n = sb_batch_fee_line_count(b);
  /* As the settlements: formatted by two threads while this one writes
  ** (no progress: the settlements may be written beside, and report it);
  ** but by this thread alone when the batch was given one thread. */
  if (flush && n >= BATCH_WRITE_SPLIT && b->opt.threads != 1) {
    if (flush(ctx, o)) return SB_EIO;
    return batch_write_blocks(b, n, format_fee_results, 0, flush, ctx);
  }
  for (int64_t i = 0; i < n; i++) {
    if (fee_result_row(b->fees, i, o)) return SB_ENOMEM;
    if (flush && o->len >= chunk && flush(ctx, o)) return SB_EIO;
  }
  return SB_OK;
}

uint64_t batch_fee_digest(const sb_batch *b, const char *id, size_t len) {
  int32_t k = batch_fee_group(b->fees, id, len);
  if (k < 0) return 0;
  const sb_fee_index *x = b->fees;
  uint64_t h = 0x46454553u; /* "FEES" */
  for (int32_t q = x->g[k].first; q < x->g[k].first + x->g[k].count; q++) {
    sb_fee_line l = sb_fees_line(x->set, x->items[q].line);
    unsigned char le[17];
    const int64_t v[2] = {l.bad ? -1 : l.cnt, l.bad ? -1 : l.pric};
    for (int j = 0; j < 16; j++)
      le[j] = (unsigned char)((uint64_t)v[j / 8] >> (8 * (j % 8)));
    le[16] = l.bad;
    h = (h ^ sb_hash_bytes(l.sn, l.sn_len)) * 0x9E3779B97F4A7C15ull;
    h = (h ^ sb_hash_bytes(l.code, l.code_len)) * 0x9E3779B97F4A7C15ull;
    h = (h ^ sb_hash_bytes(le, sizeof le)) * 0x9E3779B97F4A7C15ull;
  }
  return h | 1; /* never 0 */
}
