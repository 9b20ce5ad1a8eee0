/*
** sanbao core — the run above one claim (see run.h): reasons, the
** reference checks, the claim-id book, the per-year accumulators and the
** step.
**
** The claim-id book is the only part with any machinery.  It is an open
** addressing table keyed by the id's bytes (hash.h), the keys copied into
** one growing arena so that the book never depends on the lifetime of the
** driver's buffers (the ledger's store answers live in a stack struct, the
** batch's in its arena).  Drivers feed it only the rows whose order can
** matter — the batch's hash pass leaves out every id that is used once and
** never named by a reversal — so it is sized for thousands to a few
** million ids, not for every claim of a province.
*/
#include "sanbao/run.h"

#include <stdlib.h>

#include "sanbao/hash.h"

static const char *const REASON[SB_R_COUNT] = {"",
                                               "MALFORMED_ROW",
                                               "BAD_FEES",
                                               "BAD_AMOUNT",
                                               "BAD_VISIT_TYPE",
                                               "BAD_LEVEL",
                                               "UNKNOWN_PERSON",
                                               "NOT_INSURED",
                                               "NO_POLICY",
                                               "UNKNOWN_REGION",
                                               "DUPLICATE_CLAIM",
                                               "UNKNOWN_CLAIM",
                                               "ALREADY_REVERSED",
                                               "PERSON_MISMATCH",
                                               "CONFLICT"};

const char *sb_reason_name(int r) {
  return r > 0 && r < SB_R_COUNT ? REASON[r] : "";
}

const char *sb_reason_words(int reason) {
  switch (reason) {
  case SB_R_MALFORMED_ROW:
    return "the row is malformed: wrong field count, bad quoting, an empty or over-64-byte "
           "claim_id or person_id, or a date that is not a real YYYY-MM-DD date";
  case SB_R_BAD_FEES:
    return "its fee lines (费用明细) cannot be used: the row also gives amounts, or a line is "
           "malformed (see --fee-results)";
  case SB_R_BAD_AMOUNT:
    return "an amount is not of the form digits[.d[d]], is above 10000000000.00, or the parts "
           "outside the scope exceed the total";
  case SB_R_BAD_VISIT_TYPE:
    return "visit_type is not inpatient, chronic or outpatient";
  case SB_R_BAD_LEVEL:
    return "level is not primary, grade1, grade2, grade3 or provincial";
  case SB_R_UNKNOWN_PERSON:
    return "the person is not in the registry (参保登记)";
  case SB_R_NOT_INSURED:
    return "no category interval of the person covers the date (未参保)";
  case SB_R_NO_POLICY:
    return "no policy file covers the claim's year";
  case SB_R_UNKNOWN_REGION:
    return "the policy has no critical-illness deductible for the person's county, its "
           "prefecture or a default";
  case SB_R_DUPLICATE_CLAIM:
    return "an earlier row in canonical order took the claim id";
  case SB_R_UNKNOWN_CLAIM:
    return "the reversal names no claim settled before it in canonical order (or a reversal)";
  case SB_R_ALREADY_REVERSED:
    return "the claim it reverses was reversed already";
  case SB_R_PERSON_MISMATCH:
    return "the claim it reverses belongs to another person";
  case SB_R_CONFLICT:
    return "the ledger holds this claim id with other content";
  default:
    return "";
  }
}

int sb_reason_from_name(const char *s, size_t n) {
  for (int k = 1; k < SB_R_COUNT; k++)
    if (strlen(REASON[k]) == n && memcmp(REASON[k], s, n) == 0) return k;
  return -1;
}

/* ---- reference checks -------------------------------------------------------- */

int sb_run_check_claim(const sb_policy_set *policies, const sb_registry *reg, int32_t person,
                       sb_date date, sb_person_ctx *who, const sb_policy **policy) {
  *policy = NULL;
  if (person < 0) return SB_R_UNKNOWN_PERSON;
  int cat = sb_registry_category_on(reg, person, date);
  if (cat < 0) return SB_R_NOT_INSURED;
  who->category = cat;
  who->ci_deductible = 0;
  if (!policies) return SB_OK_ROW;
  const sb_policy *p = sb_policy_set_find(policies, sb_date_year(date));
  if (!p) return SB_R_NO_POLICY;
  if (sb_policy_ci_deductible(p, sb_registry_region(reg, person), &who->ci_deductible))
    return SB_R_UNKNOWN_REGION;
  *policy = p;
  return SB_OK_ROW;
}

/* ---- the claim-id book ---------------------------------------------------------- */

typedef struct book_slot {
  uint64_t hash;
  uint64_t key; /* arena offset of the id's bytes; UINT64_MAX: empty */
  uint32_t len;
  sb_id_holder h; /* who holds the id: a row of the run, or the store */
} book_slot;

struct sb_idbook {
  book_slot *t;
  uint64_t cap, used;
  char *arena;
  uint64_t alen, acap;
};

static int book_alloc(sb_idbook *b, uint64_t cap) {
  book_slot *t = malloc(cap * sizeof *t);
  if (!t) return -1;
  for (uint64_t i = 0; i < cap; i++)
    t[i].key = UINT64_MAX;
  /* re-insert what the old table held */
  for (uint64_t i = 0; b->t && i < b->cap; i++) {
    if (b->t[i].key == UINT64_MAX) continue;
    uint64_t j = b->t[i].hash & (cap - 1);
    while (t[j].key != UINT64_MAX)
      j = (j + 1) & (cap - 1);
    t[j] = b->t[i];
  }
  free(b->t);
  b->t = t;
  b->cap = cap;
  return 0;
}

sb_idbook *sb_idbook_new(int64_t expected) {
  sb_idbook *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  uint64_t cap = 64;
  while (expected > 0 && cap < 2 * (uint64_t)expected)
    cap *= 2; /* load <= 1/2 */
  if (book_alloc(b, cap)) {
    free(b);
    return NULL;
  }
  return b;
}

void sb_idbook_free(sb_idbook *b) {
  if (!b) return;
  free(b->t);
  free(b->arena);
  free(b);
}

/* The slot of an id: found, or an empty one where it would go. */
static book_slot *book_find(const sb_idbook *b, const char *id, size_t len, uint64_t h) {
  for (uint64_t i = h & (b->cap - 1);; i = (i + 1) & (b->cap - 1)) {
    book_slot *s = &b->t[i];
    if (s->key == UINT64_MAX) return s;
    if (s->hash == h && s->len == len && memcmp(b->arena + s->key, id, len) == 0) return s;
  }
}

/* Put an id into an empty slot `s` (from book_find).  Growing the table
** moves slots, so the id is looked up again afterwards. */
static book_slot *book_insert(sb_idbook *b, book_slot *s, const char *id, size_t len, uint64_t h) {
  if (!b->arena || b->acap - b->alen < len) {
    uint64_t nc = b->acap ? b->acap : 4096;
    while (nc - b->alen < len)
      nc *= 2;
    char *na = realloc(b->arena, nc);
    if (!na) return NULL;
    b->arena = na;
    b->acap = nc;
  }
  if (2 * (b->used + 1) > b->cap) {
    if (book_alloc(b, 2 * b->cap)) return NULL;
    s = book_find(b, id, len, h);
  }
  memcpy(b->arena + b->alen, id, len);
  s->hash = h;
  s->key = b->alen;
  s->len = (uint32_t)len;
  memset(&s->h, 0, sizeof s->h);
  b->alen += len;
  b->used++;
  return s;
}

int sb_idbook_prior(sb_idbook *b, const char *id, size_t len, const sb_id_holder *holder) {
  uint64_t h = sb_hash_bytes(id, len);
  book_slot *s = book_find(b, id, len, h);
  if (s->key != UINT64_MAX) return SB_OK_ROW;
  if (!(s = book_insert(b, s, id, len, h))) return -1;
  s->h = *holder;
  s->h.prior = 1;
  return SB_OK_ROW;
}

/* Is the holder in slot `t` before row `r` in canonical order?  A row of
** this run that holds an id was taken earlier (rows come in order); a
** store's claim may be dated after a reversal received later (§6: such a
** reversal is UNKNOWN_CLAIM whatever the order of imports).  The ids differ
** (the target is not the row's own id, or the row would be a duplicate), so
** date and id decide. */
static int holder_before(const sb_idbook *b, const book_slot *t, const sb_id_row *r) {
  if (!t->h.prior) return 1;
  return sb_canon_cmp(t->h.date, b->arena + t->key, t->len, 0, r->date, r->id, r->id_len, 1) < 0;
}

int sb_idbook_take(sb_idbook *b, const sb_id_row *r, sb_id_holder *original) {
  uint64_t h = sb_hash_bytes(r->id, r->id_len);
  book_slot *own = book_find(b, r->id, r->id_len, h);
  if (own->key != UINT64_MAX) return own->h.prior ? SB_R_CONFLICT : SB_R_DUPLICATE_CLAIM;
  book_slot *t = NULL;
  if (r->is_reversal) {
    if (r->target_len > 0 && r->target_len <= 64) {
      book_slot *s =
          book_find(b, r->target, r->target_len, sb_hash_bytes(r->target, r->target_len));
      if (s->key != UINT64_MAX) t = s;
    }
    if (!t || t->h.is_reversal || !holder_before(b, t, r)) return SB_R_UNKNOWN_CLAIM;
    if (t->h.reversed) return SB_R_ALREADY_REVERSED;
    if (t->h.person != r->person || r->person < 0) return SB_R_PERSON_MISMATCH;
  }
  /* The row takes its id.  Inserting may grow the table and move the
  ** target's slot: look it up again. */
  if (!(own = book_insert(b, own, r->id, r->id_len, h))) return -1;
  if (t) t = book_find(b, r->target, r->target_len, sb_hash_bytes(r->target, r->target_len));
  own->h = (sb_id_holder){r->ref, r->person, r->date, (uint8_t) !!r->is_reversal, 0, 0};
  if (t) {
    t->h.reversed = 1;
    if (original) *original = t->h;
  }
  return SB_OK_ROW;
}

void sb_idbook_prefetch(const sb_idbook *b, const char *id, size_t len) {
  __builtin_prefetch(&b->t[sb_hash_bytes(id, len) & (b->cap - 1)]);
}

/* ---- per-year accumulators --------------------------------------------------------- */

sb_acc *sb_years_find(sb_years *y, int year) {
  for (int i = 0; i < y->n; i++)
    if (y->year[i] == year) return &y->acc[i];
  return NULL;
}

sb_acc *sb_years_add(sb_years *y, int year) {
  if (y->n == SB_MAX_POLICIES) return NULL;
  y->year[y->n] = year;
  sb_acc *a = &y->acc[y->n++];
  memset(a, 0, sizeof *a);
  return a;
}

/* ---- the step ------------------------------------------------------------------- */

uint32_t sb_run_step(const sb_policy *p, const sb_person_ctx *who, sb_acc *acc, const sb_claim *c,
                     sb_result *out, sb_trace *trace) {
  sb_settle(p, who, acc, c, out, trace);
  sb_acc_apply(acc, out, +1);
  uint32_t due = sb_alerts_due(p, who->category, acc);
  if (due) {
    for (int k = 0; k < p->n_rules; k++)
      if ((due >> k) & 1)
        sb_trace_add(trace, SB_STEP_ALERT, k, acc->psn_ytd, p->rules[k].threshold, 0);
    acc->alerted |= due;
  }
  return due;
}

void sb_run_unstep(sb_acc *acc, const sb_result *original, sb_result *row) {
  sb_acc_apply(acc, original, -1);
  if (row) sb_result_negate(original, row);
}
