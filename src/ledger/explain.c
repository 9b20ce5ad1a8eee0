/*
** sanbao adapters — `db explain` (see ledger/explain.h).
**
** Why the accumulators are rebuilt from stored results rather than read:
** the ledger keeps a person-year's accumulators as they are now, after
** every claim; the explanation needs them as they were just before one
** claim.  Everything a settlement adds to them follows from its result
** (sb_acc_apply, settle.h), so replaying the stored results in the order
** they were settled gives exactly the state each claim was settled on.
** That order is the run (import) first, then, inside an import, the
** canonical order of the batch that settled it; the server settles one
** claim per batch, so inside its runs arrival order is settlement order.
*/
#include "ledger/explain.h"

#include <stdlib.h>
#include <string.h>

#include "batch/explain.h"
#include "ledger/ledger.h"

/* One stored row, copied out of the store's callback. */
typedef struct xrow {
  int64_t seq, run_id, reverses_seq;
  int status, reason, year, has_claim;
  sb_claim claim;
  sb_result result;
  sb_date date;
  char id[65], person[65], reverses[65];
  size_t id_len, person_len, reverses_len;
  int canonical; /* settled by an import: canonical order inside the run */
} xrow;

typedef struct xfind {
  const char *id;
  size_t len;
  int found; /* 2: settled or reversed, 1: rejected only */
  xrow row;
} xfind;

typedef struct xlist {
  const char *person;
  size_t person_len;
  xrow *v;
  int64_t n, cap;
  sb_error *err;
} xlist;

static size_t copy_text(char dst[65], const char *src, size_t len) {
  len = len > 64 ? 64 : len;
  if (len) memcpy(dst, src, len);
  dst[len] = 0;
  return len;
}

static void take(xrow *x, const sb_stored_row *r) {
  memset(x, 0, sizeof *x);
  x->seq = r->seq, x->run_id = r->run_id, x->reverses_seq = r->reverses_seq;
  x->status = r->status, x->reason = r->reason, x->year = r->year;
  x->has_claim = r->has_claim, x->claim = r->claim, x->result = r->result;
  x->id_len = copy_text(x->id, r->claim_id, r->claim_id_len);
  x->person_len = copy_text(x->person, r->person_id, r->person_id_len);
  if (r->reverses) x->reverses_len = copy_text(x->reverses, r->reverses, r->reverses_len);
  if (sb_date_parse(r->date, r->date_len, &x->date)) x->date = r->claim.date;
}

/* The row of claim id `id`: the one that took effect, else a rejected one. */
static int find_row(void *vctx, const sb_stored_row *r) {
  xfind *f = vctx;
  if (r->claim_id_len != f->len || memcmp(r->claim_id, f->id, f->len)) return 0;
  int kind = r->status == SB_ROW_REJECTED ? 1 : 2;
  if (kind > f->found) {
    take(&f->row, r);
    f->found = kind;
  }
  return 0;
}

/* The rows of one person that changed the accumulators of one year. */
static int collect(void *vctx, const sb_stored_row *r) {
  xlist *l = vctx;
  if (r->person_id_len != l->person_len || memcmp(r->person_id, l->person, l->person_len)) return 0;
  if (l->n == l->cap) {
    int64_t nc = l->cap ? 2 * l->cap : 64;
    xrow *nv = realloc(l->v, (size_t)nc * sizeof *nv);
    if (!nv) return sb_error_set(l->err, SB_ENOMEM, NULL, "out of memory");
    l->v = nv, l->cap = nc;
  }
  take(&l->v[l->n++], r);
  return 0;
}

/* Settlement order: run, then canonical inside an import, arrival else. */
static int cmp_settled(const void *a, const void *b) {
  const xrow *x = a, *y = b;
  if (x->run_id != y->run_id) return x->run_id < y->run_id ? -1 : 1;
  if (x->canonical)
    return sb_canon_cmp(x->date, x->id, x->id_len, x->seq, y->date, y->id, y->id_len, y->seq);
  return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The explanation's fee lines: the stored lines of claims row `seq`. */
typedef struct xfees {
  sb_buf *out;
  int n, err;
} xfees;

static int count_line(void *vctx, const sb_stored_fee_line *l) {
  (void)l;
  ((xfees *)vctx)->n++;
  return 0;
}

static int put_line(void *vctx, const sb_stored_fee_line *l) {
  xfees *f = vctx;
  if (sb_explain_fee_line(f->out, l->sn, l->sn_len, l->code, l->code_len, l->status == SB_FEE_BAD,
                          NULL, &l->amounts))
    f->err = 1;
  return 0;
}

static int fee_lines(sb_store *st, int64_t seq, sb_buf *out, sb_error *err) {
  xfees f = {out, 0, 0};
  int rc = st->ops->fee_line_each(st, seq, count_line, &f, err);
  if (rc || !f.n) return rc;
  if (sb_explain_fee_heading(out, f.n)) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  rc = st->ops->fee_line_each(st, seq, put_line, &f, err);
  return rc ? rc : f.err ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : 0;
}

/* Is run `run_id` an import (settled in canonical order)? */
static int run_is_import(sb_store *st, int64_t run_id, sb_error *err) {
  char kind[32], source[8];
  int rc = st->ops->run_get(st, run_id, kind, sizeof kind, source, sizeof source, err);
  return rc < 0 ? rc : !strcmp(kind, "import-claims");
}

/* The person-year before claim `t` (one of l's rows), from the rows
** settled before it. */
static int replay(sb_store *st, const sb_policy *p, xlist *l, const xrow *t, sb_acc *acc,
                  sb_error *err) {
  int64_t last_run = -1;
  int canonical = 0;
  for (int64_t i = 0; i < l->n; i++) {
    if (l->v[i].run_id != last_run) {
      last_run = l->v[i].run_id;
      canonical = run_is_import(st, last_run, err);
      if (canonical < 0) return canonical;
    }
    l->v[i].canonical = canonical;
  }
  qsort(l->v, (size_t)l->n, sizeof *l->v, cmp_settled);
  memset(acc, 0, sizeof *acc);
  for (int64_t i = 0; i < l->n && l->v[i].seq != t->seq; i++) {
    const xrow *x = &l->v[i];
    if (x->status == SB_ROW_REVERSED) {
      /* take the original back out, from its own stored row when it is at
      ** hand (the same person-year), else from the reversal's negation */
      sb_result orig;
      sb_result_negate(&x->result, &orig);
      for (int64_t j = 0; j < l->n; j++)
        if (l->v[j].seq == x->reverses_seq) orig = l->v[j].result;
      sb_run_unstep(acc, &orig, NULL);
    } else {
      sb_acc_apply(acc, &x->result, +1);
      acc->alerted |= sb_alerts_due(p, x->result.category, acc);
    }
  }
  return 0;
}

static int explain_settled(sb_store *st, const xrow *t, sb_buf *out, sb_error *err) {
  sb_policy_set ps = {0};
  sb_registry *reg = NULL;
  xlist l = {t->person, t->person_len, NULL, 0, 0, err};
  int rc = sb_ledger_policies(st, &ps, err);
  if (!rc) rc = sb_ledger_registry(st, &reg, err);
  if (!rc) rc = st->ops->row_each(st, t->year, collect, &l, err);
  int32_t person = rc ? -1 : sb_registry_find(reg, t->person, t->person_len);
  sb_person_ctx who;
  const sb_policy *p = NULL;
  if (!rc && (person < 0 || sb_run_check_claim(&ps, reg, person, t->claim.date, &who, &p) ||
              !t->has_claim))
    rc = sb_error_set(err, SB_EINVAL, NULL,
                      "claim %s cannot be settled again: its person, their insurance on its "
                      "date or its year's policy is no longer in the ledger",
                      t->id);
  sb_acc acc;
  if (!rc) rc = replay(st, p, &l, t, &acc, err);
  if (!rc) {
    sb_acc before = acc;
    sb_result res;
    sb_trace trace = {0};
    sb_run_step(p, &who, &acc, &t->claim, &res, &trace);
    sb_explain_ctx c = {
        t->id, t->person, t->id_len, t->person_len, t->claim.date, sb_registry_region(reg, person),
        p,     &before};
    if (sb_explain_render(&c, &trace, &res, out))
      rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
    if (!rc) rc = fee_lines(st, t->seq, out, err);
    const sb_result *s = &t->result;
    if (!rc &&
        (res.hifp_pay != s->hifp_pay || res.hifmi_pay != s->hifmi_pay ||
         res.maf_pay != s->maf_pay || res.reassist_pay != s->reassist_pay) &&
        sb_buf_printf(out,
                      "  注意 Note: 台账所记金额与此次重算不同 the ledger's stored amounts differ "
                      "from this re-derivation (the registry or the policy changed since): the "
                      "stored row is what was paid\n"))
      rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  }
  free(l.v);
  sb_registry_free(reg);
  sb_policy_set_clear(&ps);
  return rc;
}

int sb_ledger_explain(sb_store *st, const char *id, size_t len, sb_buf *out, sb_error *err) {
  xfind f = {id, len, 0, {0}};
  int rc = st->ops->row_each(st, 0, find_row, &f, err);
  if (rc) return rc;
  if (!f.found) return 1;
  const xrow *t = &f.row;
  if (t->status == SB_ROW_REVERSED)
    return sb_explain_reversal(out, t->id, t->id_len, t->reverses, t->reverses_len, &t->result)
               ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory")
               : 0;
  if (t->status == SB_ROW_REJECTED) {
    if (sb_buf_printf(out,
                      "理赔 Claim %s（台账第 %lld 行 ledger row %lld）被拒 is rejected %s: %s.\n",
                      t->id, (long long)t->seq, (long long)t->seq, sb_reason_name(t->reason),
                      sb_reason_words(t->reason)))
      return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
    return fee_lines(st, t->seq, out, err);
  }
  return explain_settled(st, t, out, err);
}
