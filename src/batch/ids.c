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
** bits of the hash as a tag plus flags.  Rows remember their slots in
** pay[0] (own id) and pay[1] (target), so no id is hashed twice.
*/
#define SLOT_EMPTY 0xFFFFFFFFu
#define SLOT_TARGET 0x80000000u
enum { ID_DUP = 1, ID_REF = 2, ID_PRIOR = 8, ID_FLAGS = 15 };

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

int batch_resolve_ids(sb_batch *b) {
  int64_t nkeys = 0;
  for (int64_t i = 0; i < b->n; i++)
    if (!row_inactive(&b->rows[i])) nkeys += 1 + !!(b->rows[i].flags & F_REVERSAL);
  uint64_t cap = 1024;
  while (cap < (uint64_t)nkeys + (uint64_t)nkeys / 2)
    cap *= 2; /* load <= 2/3 */
  idslot *t = malloc(cap * sizeof *t);
  sb_idbook *book = NULL;
  int64_t *inv = NULL;
  if (!t) return -1;
  uint64_t mask = cap - 1;
  memset(t, 0xFF, cap * sizeof *t);

  /* Pass 1: insert ids, mark repeats and reversal targets.  The table is
  ** far bigger than the caches, so each row's slot is prefetched a few rows
  ** ahead: the hash of row i+AHEAD is computed (from the arena, read in
  ** order) while row i is inserted. */
  enum { AHEAD = 8 };
  uint64_t hs[AHEAD];
  for (int64_t i = 0; i < b->n && i < AHEAD; i++) {
    const row *r = &b->rows[i];
    hs[i] = sb_hash_bytes(b->arena + r->id_off, r->id_len);
    __builtin_prefetch(&t[hs[i] & mask], 1);
  }
  for (int64_t i = 0; i < b->n; i++) {
    row *r = &b->rows[i];
    uint64_t h = hs[i % AHEAD];
    if (i + AHEAD < b->n) {
      const row *ra = &b->rows[i + AHEAD];
      hs[(i + AHEAD) % AHEAD] = sb_hash_bytes(b->arena + ra->id_off, ra->id_len);
      __builtin_prefetch(&t[hs[(i + AHEAD) % AHEAD] & mask], 1);
    }
    if (row_inactive(r)) continue;
    uint64_t k = id_slot(b, t, mask, h, b->arena + r->id_off, r->id_len, (uint32_t)i);
    if (t[k].row != (uint32_t)i) t[k].tag |= ID_DUP;
    r->pay[0] = (sb_fen)k;
    r->pay[1] = -1;
    if ((r->flags & F_REVERSAL) && r->aux_len) {
      uint64_t k2 = id_slot(b, t, mask, sb_hash_bytes(b->arena + r->aux, r->aux_len),
                            b->arena + r->aux, r->aux_len, (uint32_t)i | SLOT_TARGET);
      t[k2].tag |= ID_REF;
      r->pay[1] = (sb_fen)k2;
    }
  }

  /* Pass 2: when a store holds earlier claims, ask it about each distinct
  ** id of the file (a row's own id the first time it is seen, a reversal's
  ** target the first time it is named); the ids it holds join the book. */
  if (!(book = sb_idbook_new(1024))) goto fail;
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
  ** a reversal or held by the store. */
  int64_t ninv = 0;
  for (int64_t i = 0; i < b->n; i++) {
    row *r = &b->rows[i];
    if (row_inactive(r)) continue;
    if ((r->flags & F_REVERSAL) || (t[r->pay[0]].tag & (ID_DUP | ID_REF | ID_PRIOR)))
      r->flags |= F_INVOLVED, ninv++;
  }
  free(t);
  t = NULL;
  if (!(inv = malloc((size_t)(ninv ? ninv : 1) * 2 * sizeof *inv))) goto fail;
  int64_t n = 0;
  for (int64_t i = 0; i < b->n; i++)
    if (b->rows[i].flags & F_INVOLVED) inv[n++] = i;
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
  for (int64_t i = 0; i < b->n; i++)
    memset(b->rows[i].pay, 0, sizeof b->rows[i].pay);
  free(inv);
  sb_idbook_free(book);
  return 0;
fail:
  free(t);
  free(inv);
  sb_idbook_free(book);
  return -1;
}
