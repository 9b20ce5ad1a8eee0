/*
** sanbao adapters — a claims CSV into a pack (`sanbao pack`; see pack.h).
**
** The file is read and checked by the batch loader itself, without a
** policy, so every row is judged exactly as `settle` and `simulate` judge
** it.  What stays is grouped by person and handed to the pack writer, which
** sorts each person's rows canonically.  Which rows are "involved" (their
** id is repeated, or named by a reversal, or they are reversals) is found
** with one hash pass over the kept ids: the pack's reader redoes the id
** bookkeeping for exactly those, under the policy of its run.
*/
#include <stdlib.h>
#include <string.h>

#include "io/digest.h"
#include "io/fileid.h"
#include "sanbao/hash.h"
#include "whatif/pack.h"

/* What the conversion keeps of a row between its passes. */
typedef struct kept {
  const char *id, *target;
  uint8_t id_len, target_len, reversal, involved;
  int32_t person;
  uint32_t row;
  uint64_t slot; /* of its own id in the table */
} kept;

enum { T_DUP = 1, T_REF = 2 };

typedef struct tslot {
  int64_t who; /* a kept index holding the key, -1 empty */
  uint8_t flags;
} tslot;

/* The slot of an id: found, or (insert) taken for kept row k; -1 when
** absent and not inserted. */
static int64_t tfind(tslot *t, uint64_t mask, const kept *ks, const char *key, size_t len,
                     int64_t insert_as) {
  for (uint64_t i = sb_hash_bytes(key, len) & mask;; i = (i + 1) & mask) {
    if (t[i].who < 0) {
      if (insert_as < 0) return -1;
      t[i].who = insert_as;
      return (int64_t)i;
    }
    const kept *o = &ks[t[i].who];
    if (o->id_len == len && memcmp(o->id, key, len) == 0) return (int64_t)i;
  }
}

/* Mark the involved rows: reversals, ids used twice or more, ids named by a
** reversal.  Return 0 or -1 (out of memory). */
static int mark_involved(kept *ks, int64_t n) {
  uint64_t cap = 1024;
  while (cap < 2 * (uint64_t)n)
    cap *= 2;
  tslot *t = malloc(cap * sizeof *t);
  if (!t) return -1;
  for (uint64_t i = 0; i < cap; i++)
    t[i] = (tslot){-1, 0};
  for (int64_t k = 0; k < n; k++) {
    int64_t s = tfind(t, cap - 1, ks, ks[k].id, ks[k].id_len, k);
    if (t[s].who != k) t[s].flags |= T_DUP;
    ks[k].slot = (uint64_t)s;
  }
  for (int64_t k = 0; k < n; k++)
    if (ks[k].reversal && ks[k].target_len) {
      int64_t s = tfind(t, cap - 1, ks, ks[k].target, ks[k].target_len, -1);
      if (s >= 0) t[s].flags |= T_REF;
    }
  for (int64_t k = 0; k < n; k++)
    ks[k].involved = ks[k].reversal || t[ks[k].slot].flags != 0;
  free(t);
  return 0;
}

/* The pack claim of kept row k (batch row view v). */
static int fill_claim(const sb_batch_row *v, const kept *k, const sb_registry *reg,
                      sb_pack_claim *c) {
  memset(c, 0, sizeof *c);
  c->id = k->id, c->id_len = k->id_len;
  c->target = k->target, c->target_len = k->target_len;
  c->rec.person = k->person;
  c->rec.pos = k->row;
  c->rec.flags =
      (uint8_t)((k->reversal ? SB_PACK_REVERSAL : 0) | (k->involved ? SB_PACK_INVOLVED : 0));
  if (k->reversal) return sb_date_parse(v->date, v->date_len, &c->rec.date);
  c->rec.date = v->claim.date;
  c->rec.visit = v->claim.visit;
  c->rec.level = v->claim.level;
  c->rec.category = (uint8_t)sb_registry_category_on(reg, k->person, v->claim.date);
  c->rec.amt[0] = v->claim.medfee_sumamt;
  c->rec.amt[1] = v->claim.fulamt_ownpay_amt;
  c->rec.amt[2] = v->claim.overlmt_selfpay;
  c->rec.amt[3] = v->claim.preselfpay_amt;
  return 0;
}

int sb_pack_from_csv(const char *claims, const sb_registry *reg, const char *persons_file,
                     uint64_t persons_identity, const char *out, int threads, sb_pack_info *info,
                     sb_batch **loaded, sb_error *err) {
  sb_batch_options bo = {.threads = threads};
  sb_batch *b = NULL;
  int rc = sb_batch_load(claims, NULL, reg, &bo, &b, err);
  if (rc) return rc;
  int64_t n = sb_batch_rows(b), m = 0;
  int32_t np = sb_registry_count(reg);
  kept *ks = malloc((size_t)(n ? n : 1) * sizeof *ks);
  int64_t *start = calloc((size_t)np + 2, sizeof *start);
  int64_t *order = malloc((size_t)(n ? n : 1) * sizeof *order);
  sb_pack_claim *pc = NULL;
  size_t pc_cap = 0;
  sb_pack_writer *w = NULL;
  uint64_t dropped = 0;
  if (!ks || !start || !order) goto oom;
  for (int64_t i = 0; i < n; i++) {
    sb_batch_row v;
    sb_batch_row_view(b, i, &v);
    /* Rejected whatever the policy: a row the loader rejected, and a
    ** reversal of an unknown person (PERSON_MISMATCH at the latest). */
    if (v.status == SB_ROW_REJECTED || (v.status == SB_ROW_REVERSED && v.person < 0)) {
      dropped++;
      continue;
    }
    int rev = v.status == SB_ROW_REVERSED;
    ks[m] = (kept){v.claim_id,
                   rev ? v.reverses : NULL,
                   (uint8_t)v.claim_id_len,
                   rev ? (uint8_t)v.reverses_len : 0,
                   (uint8_t)rev,
                   0,
                   v.person,
                   (uint32_t)i,
                   0};
    start[v.person + 2]++;
    m++;
  }
  if (mark_involved(ks, m)) goto oom;
  uint64_t involved = 0, fp = sb_registry_fingerprint(reg);
  for (int64_t k = 0; k < m; k++)
    involved += ks[k].involved;
  /* group by person (a counting sort; the writer sorts within a person) */
  for (int32_t p = 0; p < np; p++)
    start[p + 2] += start[p + 1];
  for (int64_t k = 0; k < m; k++)
    order[start[ks[k].person + 1]++] = k;
  if ((rc = sb_pack_writer_open(out, np, fp, &w, err))) goto done;
  for (int32_t p = 0; p < np; p++) {
    size_t cnt = (size_t)(start[p + 1] - start[p]);
    if (!cnt) continue;
    if (cnt > pc_cap) {
      sb_pack_claim *np2 = realloc(pc, cnt * 2 * sizeof *pc);
      if (!np2) goto oom;
      pc = np2;
      pc_cap = cnt * 2;
    }
    for (size_t q = 0; q < cnt; q++) {
      const kept *k = &ks[order[start[p] + (int64_t)q]];
      sb_batch_row v;
      sb_batch_row_view(b, k->row, &v);
      fill_claim(&v, k, reg, &pc[q]);
    }
    if ((rc = sb_pack_writer_add(w, pc, cnt, err))) goto done;
  }
  /* the people section: every person's id and region, and the bytes of the
  ** file they came from, for simulate's fast check (pack.h) */
  for (int32_t p = 0; p < np; p++) {
    size_t len;
    const char *id = sb_registry_id(reg, p, &len);
    if ((rc = sb_pack_writer_person(w, id, len, sb_registry_region(reg, p), err))) goto done;
  }
  uint64_t size = 0, digest = 0, id = 0;
  if (persons_file && strcmp(persons_file, "-") != 0) {
    if ((rc = sb_digest_file(persons_file, threads, &size, &digest, err))) goto done;
    sb_pack_writer_set_persons_file(w, size, digest);
    /* its identity before `reg` was read from it and after the digest:
    ** the same, the registry and the bytes digested are the file's as
    ** that identity names it (io/fileid.h) */
    if (persons_identity == sb_file_identity(persons_file)) id = persons_identity;
  }
  sb_pack_writer_drop(w, dropped);
  rc = sb_pack_writer_finish(w, (uint64_t)n, err);
  w = NULL;
  if (!rc && id) sb_pack_note_persons_file(out, id, size, digest); /* best effort */
  if (!rc && info) *info = (sb_pack_info){(uint64_t)n, dropped, (uint64_t)m, involved, fp, np};
  goto done;
oom:
  rc = sb_error_set(err, SB_ENOMEM, claims, "out of memory");
done:
  sb_pack_writer_abort(w);
  free(pc);
  free(order);
  free(start);
  free(ks);
  if (!rc && loaded)
    *loaded = b;
  else
    sb_batch_free(b);
  return rc;
}
