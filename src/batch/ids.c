/*
** sanbao batch — step 2, claim ids (docs/reference/settlement.md §8).
**
** The rules are the run's (sb_idbook_take in the core); what is the
** batch's own is only the fast path that decides which rows need them.
** Duplicates and reversal targets follow the *global* canonical order, but
** almost every id is used once and never named by a reversal, and for those
** the order cannot matter.  So one hash pass over every row finds the few
** ids that are repeated or named by a reversal (or held by a store), and
** only the rows carrying them — the "involved" rows — are sorted
** canonically and handed to the id book.
*/
#include <stdlib.h>
#include <string.h>

#include "batch/batch_int.h"
#include "sanbao/array.h"
#include "sanbao/hash.h"

void batch_canon_sort(const sb_batch *b, int64_t *a, int64_t *tmp, int64_t n) {
  if (n < 16) {
    for (int64_t i = 1; i < n; i++) {
      int64_t v = a[i], j = i;
      while (j > 0 && batch_canon_cmp(b, a[j - 1], v) > 0)
        a[j] = a[j - 1], j--;
      a[j] = v;
    }
    return;
  }
  int64_t h = n / 2;
  batch_canon_sort(b, a, tmp, h);
  batch_canon_sort(b, a + h, tmp, n - h);
  if (batch_canon_cmp(b, a[h - 1], a[h]) <= 0) return;
  int64_t i = 0, j = h, k = 0;
  while (i < h && j < n)
    tmp[k++] = batch_canon_cmp(b, a[i], a[j]) <= 0 ? a[i++] : a[j++];
  while (i < h)
    tmp[k++] = a[i++];
  while (j < n)
    tmp[k++] = a[j++];
  memcpy(a, tmp, (size_t)n * sizeof *a);
}

/*
** The hash pass's table: open addressing over the claim ids of the rows
** step 1 did not reject and over the reversal targets, 8 bytes a slot so
** that ten million ids cost 128 MB.  A slot names the row whose text is its
** key (bit 31 set: the key is that reversal row's *target*) and holds 29
** bits of the hash as a tag plus flags.  With a store, rows remember
** their slots in pay[0] (own id) and pay[1] (target) for pass 2, so no id
** is hashed twice.
*/
#define SLOT_EMPTY 0xFFFFFFFFu
#define SLOT_TARGET 0x80000000u
enum { ID_PRIOR = 8, ID_FLAGS = 15 };

typedef struct idslot {
  uint32_t row;
  uint32_t tag; /* hash bits << 4 | flags */
} idslot;

static uint64_t id_slot(const sb_batch *b, idslot *t, uint64_t mask, uint64_t h, const char *id,
                        size_t len, uint32_t insert_as) {
  uint64_t i = h & mask;
  uint32_t tag = (uint32_t)(h >> 32) & ~(uint32_t)ID_FLAGS;
  for (;; i = (i + 1) & mask) {
    idslot *s = &t[i];
    if (s->row == SLOT_EMPTY) {
      s->row = insert_as;
      s->tag = tag;
      return i;
    }
    if ((s->tag & ~(uint32_t)ID_FLAGS) != tag) continue;
    const row *r = &b->rows[s->row & ~SLOT_TARGET];
    const char *key = b->arena + ((s->row & SLOT_TARGET) ? r->aux : r->id_off);
    size_t klen = (s->row & SLOT_TARGET) ? r->aux_len : r->id_len;
    if (klen == len && memcmp(key, id, len) == 0) return i;
  }
}

/* Ask the store about an id; when it holds it, remember its row (a
** reversal's original needs its result) and tell the id book.  Return 1
** held, 0 not, -1 on error (b->store_failed when the store failed). */
static int ask_prior(sb_batch *b, sb_idbook *book, const char *id, size_t len) {
  const sb_prior *pr = b->opt.prior;
  sb_prior_claim pc;
  int rc = pr->claim(pr->ctx, id, len, &pc);
  if (rc < 0) {
    b->store_failed = 1;
    return -1;
  }
  if (rc == 0) return 0;
  if (b->n_prior_orig == b->cap_prior_orig) {
    int64_t nc = b->cap_prior_orig ? 2 * b->cap_prior_orig : 64;
    sb_prior_claim *np = realloc(b->prior_orig, (size_t)nc * sizeof *np);
    if (!np) return -1;
    b->prior_orig = np;
    b->cap_prior_orig = nc;
  }
  b->prior_orig[b->n_prior_orig] = pc;
  sb_id_holder h = {b->n_prior_orig++,       pc.person, pc.date, (uint8_t) !!pc.is_reversal,
                    (uint8_t) !!pc.reversed, 1};
  return sb_idbook_prior(book, id, len, &h) ? -1 : 1;
}

/*
** Pass 1 over one part of the table.  With two threads the table is cut in
** two by the top bit of the hash: each thread reads every row but inserts
** only the ids of its half, so no slot is ever shared (a reversal's own id
** and its target may fall in different halves; each is inserted by the
** half it belongs to).  Instead of a later pass that visits every row's
** slot again (a cache miss per row, ten million of them), the rows that
** need the id book are noted as they are found: a row whose id meets a
** slot already taken (a repeat, or an id some reversal names), the row
** that took it, and every reversal.  A note may repeat a row; the merge
** drops repeats.  With a store (options.prior) the slots are also kept in
** each row's pay[0] and pay[1] for pass 2, and one thread does it all.
*/
typedef struct id_pass {
  sb_batch *b;
  idslot *t;
  uint64_t mask;
  int half;     /* which top bit of the hash this pass inserts; -1: every id */
  int64_t room; /* inserts allowed before the table is too full */
  int64_t *note, nnote, cap;
  int fail; /* 1: out of memory; 2: this half's table filled up */
} id_pass;

static void note_row(id_pass *ps, int64_t i) {
  void *p = ps->note;
  if (sb_array_grow(&p, &ps->cap, ps->nnote + 1, sizeof *ps->note)) {
    ps->fail = 1;
    return;
  }
  ps->note = p;
  ps->note[ps->nnote++] = i;
}

/* Insert one key of row i (its own id, or with SLOT_TARGET its target);
** the slot, or -1 when the half's table is full. */
static int64_t insert_key(id_pass *ps, uint64_t h, const char *id, size_t len, uint32_t as) {
  idslot *t = ps->t;
  uint64_t k = id_slot(ps->b, t, ps->mask, h, id, len, as);
  if (t[k].row == as) {
    if (--ps->room < 0) {
      ps->fail = 2;
      return -1;
    }
    return (int64_t)k;
  }
  /* Taken: the row that took it and this one both need the book (a
  ** reversal, whether it took the slot by its id or its target, is noted
  ** as a reversal). */
  if (!(t[k].row & SLOT_TARGET)) note_row(ps, t[k].row);
  if (!(as & SLOT_TARGET)) note_row(ps, as);
  return (int64_t)k;
}

static int in_half(const id_pass *ps, uint64_t h) {
  return ps->half < 0 || (int)(h >> 63) == ps->half;
}

static void *id_pass_run(void *arg) {
  id_pass *ps = arg;
  sb_batch *b = ps->b;
  const uint64_t mask = ps->mask;
  int keep = b->opt.prior != NULL;
  /* The table is far bigger than the caches, so each row's slot is
  ** prefetched a few rows ahead: the hash of row i+AHEAD is computed
  ** (from the arena, read in order) while row i is inserted. */
  enum { AHEAD = 8 };
  uint64_t hs[AHEAD];
  for (int64_t i = 0; i < b->n && i < AHEAD; i++) {
    const row *r = &b->rows[i];
    hs[i] = sb_hash_bytes(b->arena + r->id_off, r->id_len);
    if (in_half(ps, hs[i])) __builtin_prefetch(&ps->t[hs[i] & mask], 1);
  }
  for (int64_t i = 0; i < b->n && !ps->fail; i++) {
    row *r = &b->rows[i];
    uint64_t h = hs[i % AHEAD];
    if (i + AHEAD < b->n) {
      const row *ra = &b->rows[i + AHEAD];
      uint64_t ha = sb_hash_bytes(b->arena + ra->id_off, ra->id_len);
      hs[(i + AHEAD) % AHEAD] = ha;
      if (in_half(ps, ha)) __builtin_prefetch(&ps->t[ha & mask], 1);
    }
    if (row_inactive(r)) continue;
    int rev = (r->flags & F_REVERSAL) != 0;
    if (in_half(ps, h)) {
      int64_t k = insert_key(ps, h, b->arena + r->id_off, r->id_len, (uint32_t)i);
      if (k < 0) break;
      if (rev) note_row(ps, i);
      if (keep) r->pay[0] = k, r->pay[1] = -1;
    }
    if (rev && r->aux_len) {
      uint64_t h2 = sb_hash_bytes(b->arena + r->aux, r->aux_len);
      if (!in_half(ps, h2)) continue;
      int64_t k2 = insert_key(ps, h2, b->arena + r->aux, r->aux_len, (uint32_t)i | SLOT_TARGET);
      if (k2 < 0) break;
      if (keep) r->pay[1] = k2;
    }
  }
  return NULL;
}

int batch_resolve_ids(sb_batch *b) {
  int64_t nkeys = 0;
  for (int64_t i = 0; i < b->n; i++)
    if (!row_inactive(&b->rows[i])) nkeys += 1 + !!(b->rows[i].flags & F_REVERSAL);
  /* Two halves when it pays and no store is asked (pass 2 reads the
  ** slots of both); each sized for half the keys at most 2/3 full, which
  ** the hash's top bit splits evenly unless the ids were made to collide.
  ** A half that fills up stops, and the pass is made again by one thread
  ** over a table sized for every key. */
  int halves = b->opt.threads != 1 && !b->opt.prior && nkeys >= 100000 ? 2 : 1;
  id_pass ps[2];
  idslot *t = NULL;
  sb_idbook *book = NULL;
  int64_t *inv = NULL;
  uint64_t mask;
  for (;;) {
    int64_t per = halves == 2 ? nkeys / 2 + nkeys / 64 + 1024 : nkeys;
    /* from 16 slots, not 1024: the server settles one claim a batch, and
    ** the table is set to 0xFF whole (docs/performance.md, 2026-12-05) */
    uint64_t cap = 16;
    while (cap < (uint64_t)per + (uint64_t)per / 2)
      cap *= 2; /* load <= 2/3 */
    if (!(t = malloc((size_t)halves * cap * sizeof *t))) return -1;
    memset(t, 0xFF, (size_t)halves * cap * sizeof *t);
    mask = cap - 1;
    for (int k = 0; k < halves; k++)
      ps[k] = (id_pass){b,
                        t + (size_t)k * cap,
                        mask,
                        halves == 2 ? k : -1,
                        halves == 2 ? (int64_t)(cap - cap / 8) : INT64_MAX,
                        NULL,
                        0,
                        0,
                        0};
    batch_run_pair(id_pass_run, &ps[0], halves == 2 ? &ps[1] : NULL);
    int full = 0, oom = 0;
    for (int k = 0; k < halves; k++)
      full |= ps[k].fail == 2, oom |= ps[k].fail == 1;
    if (!full && !oom) break;
    for (int k = 0; k < halves; k++)
      free(ps[k].note);
    free(t);
    if (oom) return -1;
    halves = 1; /* cannot fill up: sized for every key */
  }

  /* Pass 2: when a store holds earlier claims, ask it about each distinct
  ** id of the file (a row's own id the first time it is seen, a reversal's
  ** target the first time it is named); the ids it holds join the book. */
  /* it holds at most the batch's distinct ids (and grows if need be) */
  if (!(book = sb_idbook_new(nkeys < 1024 ? nkeys : 1024))) goto fail;
  if (b->opt.prior) {
    for (int64_t i = 0; i < b->n; i++) {
      row *r = &b->rows[i];
      if (row_inactive(r)) continue;
      idslot *own = &t[r->pay[0]];
      if (own->row == (uint32_t)i) {
        int held = ask_prior(b, book, b->arena + r->id_off, r->id_len);
        if (held < 0) goto fail;
        if (held) own->tag |= ID_PRIOR;
      }
      if (r->pay[1] >= 0 && t[r->pay[1]].row == ((uint32_t)i | SLOT_TARGET) &&
          ask_prior(b, book, b->arena + r->aux, r->aux_len) < 0)
        goto fail;
    }
  }

  /* The involved rows: reversals, and rows whose id is repeated, named by
  ** a reversal or held by the store — the notes of pass 1, each row once,
  ** and with a store the rows of the ids it holds. */
  int64_t ninv = 0, nnotes = ps[0].nnote + (halves == 2 ? ps[1].nnote : 0);
  if (b->opt.prior)
    for (int64_t i = 0; i < b->n; i++) {
      row *r = &b->rows[i];
      if (!row_inactive(r) && (t[r->pay[0]].tag & ID_PRIOR)) nnotes++;
    }
  if (!(inv = malloc((size_t)(nnotes ? nnotes : 1) * 2 * sizeof *inv))) goto fail;
  for (int k = 0; k < halves; k++)
    for (int64_t q = 0; q < ps[k].nnote; q++) {
      row *r = &b->rows[ps[k].note[q]];
      if (!(r->flags & F_INVOLVED)) r->flags |= F_INVOLVED, inv[ninv++] = ps[k].note[q];
    }
  if (b->opt.prior)
    for (int64_t i = 0; i < b->n; i++) {
      row *r = &b->rows[i];
      if (!row_inactive(r) && (t[r->pay[0]].tag & ID_PRIOR) && !(r->flags & F_INVOLVED))
        r->flags |= F_INVOLVED, inv[ninv++] = i;
    }
  for (int k = 0; k < halves; k++)
    free(ps[k].note), ps[k].note = NULL;
  free(t);
  t = NULL;
  batch_canon_sort(b, inv, inv + ninv, ninv);

  /* Pass 3: the run's id rules, in canonical order. */
  for (int64_t q = 0; q < ninv; q++) {
    int64_t i = inv[q];
    row *r = &b->rows[i];
    int rev = !!(r->flags & F_REVERSAL);
    sb_id_row ir = {
        b->arena + r->id_off, r->id_len, r->date, r->person, rev, rev ? b->arena + r->aux : NULL,
        rev ? r->aux_len : 0, i};
    sb_id_holder orig;
    int reason = sb_idbook_take(book, &ir, &orig);
    if (reason < 0) goto fail;
    r->reason = (uint8_t)reason;
    if (!reason && rev) r->aux = orig.prior ? AUX_PRIOR | (uint64_t)orig.ref : (uint64_t)orig.ref;
  }
  if (b->opt.prior) /* pay held the slots: give it back clean */
    for (int64_t i = 0; i < b->n; i++)
      memset(b->rows[i].pay, 0, sizeof b->rows[i].pay);
  free(inv);
  sb_idbook_free(book);
  return 0;
fail:
  for (int k = 0; k < halves; k++)
    free(ps[k].note);
  free(t);
  free(inv);
  sb_idbook_free(book);
  return -1;
}
