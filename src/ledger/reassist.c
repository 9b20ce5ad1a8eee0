/*
** sanbao ledger — re-assistance after the year (see reassist.h).
**
** One read of the year's settled and reversed rows finds, per person, the
** last claim in canonical order that counted in the re-assistance base and
** was not reversed; the base itself is the person-year's accumulator.  The
** whole run is one write transaction: the rows read, the payments made
** before and the payments recorded now are one consistent state, and a
** crash leaves the ledger as it was.
*/
#include "ledger/reassist.h"

#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "ledger/ledger.h"
#include "sanbao/array.h"

/* A counted claim of the year: who, where it stands in canonical order,
** and its category. */
typedef struct counted {
  char person[65];
  uint8_t plen, id_len;
  char id[65];
  sb_date date;
  int64_t seq;
  int category;
} counted;

typedef struct read_ctx {
  counted *v;
  int64_t n, cap;
  int64_t *reversed; /* seqs of originals that a reversal undid */
  int64_t nrev, caprev;
  sb_error *err;
} read_ctx;

static int collect(void *vctx, const sb_stored_row *r) {
  read_ctx *c = vctx;
  if (r->status == SB_ROW_REVERSED) {
    if (sb_array_grow((void **)&c->reversed, &c->caprev, c->nrev + 1, sizeof *c->reversed))
      return sb_error_set(c->err, SB_ENOMEM, NULL, "out of memory");
    c->reversed[c->nrev++] = r->reverses_seq;
    return 0;
  }
  if (r->status != SB_ROW_SETTLED || !(r->result.flags & SB_FED_RA)) return 0;
  if (sb_array_grow((void **)&c->v, &c->cap, c->n + 1, sizeof *c->v))
    return sb_error_set(c->err, SB_ENOMEM, NULL, "out of memory");
  counted *x = &c->v[c->n++];
  memset(x, 0, sizeof *x);
  x->plen = (uint8_t)(r->person_id_len > 64 ? 64 : r->person_id_len);
  memcpy(x->person, r->person_id, x->plen);
  x->id_len = (uint8_t)(r->claim_id_len > 64 ? 64 : r->claim_id_len);
  memcpy(x->id, r->claim_id, x->id_len);
  x->date = r->claim.date;
  x->seq = r->seq;
  x->category = r->result.category;
  return 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* person, then canonical order (arrival is the position) */
static int cmp_counted(const void *a, const void *b) {
  const counted *x = a, *y = b;
  int c = sb_canon_cmp_id(x->person, x->plen, y->person, y->plen);
  if (c) return c;
  return sb_canon_cmp(x->date, x->id, x->id_len, x->seq, y->date, y->id, y->id_len, y->seq);
}

/* What was paid before, per person. */
typedef struct paid {
  char person[65];
  uint8_t plen;
  sb_fen amount;
} paid;

typedef struct paid_ctx {
  paid *v;
  int64_t n, cap;
  sb_error *err;
} paid_ctx;

static int collect_paid(void *vctx, const char *pid, size_t len, sb_fen amount) {
  paid_ctx *c = vctx;
  if (sb_array_grow((void **)&c->v, &c->cap, c->n + 1, sizeof *c->v))
    return sb_error_set(c->err, SB_ENOMEM, NULL, "out of memory");
  paid *x = &c->v[c->n++];
  x->plen = (uint8_t)(len > 64 ? 64 : len);
  memcpy(x->person, pid, x->plen);
  x->amount = amount;
  return 0;
}

static int cmp_paid(const void *a, const void *b) {
  const paid *x = a, *y = b;
  return sb_canon_cmp_id(x->person, x->plen, y->person, y->plen);
}

/* One person's line. */
typedef struct line {
  const char *person;
  size_t plen;
  int category; /* -1: no counted claim left */
  sb_fen base, entitlement, before;
} line;

static int put_line(const sb_policy *p, int year, const line *l, sb_buf *o) {
  char base[SB_MONEY_BUFSZ], ent[SB_MONEY_BUFSZ], bef[SB_MONEY_BUFSZ], pay[SB_MONEY_BUFSZ];
  char thr[SB_MONEY_BUFSZ] = "", cap[SB_MONEY_BUFSZ] = "", ratio[16] = "";
  sb_money_format(l->base, base);
  sb_money_format(l->entitlement, ent);
  sb_money_format(l->before, bef);
  sb_money_format(l->entitlement - l->before, pay);
  if (l->category >= 0) {
    const sb_reassist_row *q = &p->reassist[l->category];
    sb_money_format(q->threshold, thr);
    if (q->annual_cap != SB_NO_CAP) sb_money_format(q->annual_cap, cap);
    snprintf(ratio, sizeof ratio, "%d.%04d", (int)(q->ratio / SB_BP_ONE),
             (int)(q->ratio % SB_BP_ONE));
  }
  if (sb_csv_put_field(o, l->person, l->plen)) return -1;
  return sb_buf_printf(o, ",%d,%s,%s,%s,%s,%s,%s,%s,%s\n", year,
                       l->category >= 0 ? sb_category_name(l->category) : "", base, thr, ratio, cap,
                       ent, bef, pay);
}

int sb_ledger_reassist(sb_store *st, int year, int commit, sb_buf *out, sb_reassist_summary *sum,
                       sb_error *err) {
  memset(sum, 0, sizeof *sum);
  sb_policy_set ps = {0};
  read_ctx rc_ = {.err = err};
  paid_ctx pc = {.err = err};
  int rc = sb_ledger_policies(st, &ps, err), in_txn = 0;
  if (rc) return rc;
  const sb_policy *p = sb_policy_set_find(&ps, year);
  if (!p) {
    rc = sb_error_set(err, SB_EINVAL, NULL, "no policy for %d in the ledger", year);
    goto out;
  }
  if (p->ra_timing != SB_RA_YEAR_END) {
    rc = sb_error_set(err, SB_EINVAL, NULL,
                      "the %d policy pays no re-assistance after the year (%s)", year,
                      p->ra_timing == SB_RA_CLAIM ? "it pays it at settlement: timing claim"
                                                  : "it has no reassistance key");
    goto out;
  }
  if ((rc = st->ops->begin(st, err))) goto out;
  in_txn = 1;
  if ((rc = st->ops->row_each(st, year, collect, &rc_, err)) ||
      (rc = st->ops->reassist_each(st, year, collect_paid, &pc, err)))
    goto out;
  if (rc_.nrev) qsort(rc_.reversed, (size_t)rc_.nrev, sizeof *rc_.reversed, cmp_i64);
  if (rc_.n) qsort(rc_.v, (size_t)rc_.n, sizeof *rc_.v, cmp_counted);
  if (pc.n) qsort(pc.v, (size_t)pc.n, sizeof *pc.v, cmp_paid);
  static const char hdr[] = "person_id,year,category,base,threshold,ratio,annual_cap,"
                            "entitlement,paid_before,reassist_pay\n";
  if (sb_buf_put(out, hdr, sizeof hdr - 1)) goto oom;
  int64_t run = 0;
  if (commit && (rc = st->ops->run_start(st, "reassist", NULL, &run, err))) goto out;
  /* a merge of the persons with counted claims and the persons paid before,
  ** both in person_id byte order */
  int64_t i = 0, k = 0;
  while (i < rc_.n || k < pc.n) {
    int c;
    if (i >= rc_.n)
      c = 1;
    else if (k >= pc.n)
      c = -1;
    else
      c = sb_canon_cmp_id(rc_.v[i].person, rc_.v[i].plen, pc.v[k].person, pc.v[k].plen);
    line l = {NULL, 0, -1, 0, 0, 0};
    if (c <= 0) {
      /* this person's counted claims: rc_.v[i .. j) */
      int64_t j = i;
      while (j < rc_.n && rc_.v[j].plen == rc_.v[i].plen &&
             !memcmp(rc_.v[j].person, rc_.v[i].person, rc_.v[i].plen))
        j++;
      l.person = rc_.v[i].person, l.plen = rc_.v[i].plen;
      for (int64_t q = j - 1; q >= i && l.category < 0; q--)
        if (!rc_.nrev ||
            !bsearch(&rc_.v[q].seq, rc_.reversed, (size_t)rc_.nrev, sizeof *rc_.reversed, cmp_i64))
          l.category = rc_.v[q].category;
      i = j;
    }
    if (c >= 0) {
      if (!l.person) l.person = pc.v[k].person, l.plen = pc.v[k].plen;
      l.before = pc.v[k].amount;
      k++;
    }
    sb_acc acc;
    if ((rc = st->ops->acc_get(st, l.person, l.plen, year, &acc, err))) goto out;
    l.base = acc.ra_base;
    if (l.category >= 0 && l.base > 0)
      l.entitlement = sb_reassist_entitlement(p, l.category, l.base);
    if (l.entitlement < 0) l.entitlement = 0;
    if (l.entitlement == 0 && l.before == 0) continue;
    sb_fen pay = l.entitlement - l.before;
    sum->persons++;
    sum->entitlement += l.entitlement;
    sum->paid_before += l.before;
    if (pay > 0) sum->paid_now++, sum->pay += pay;
    if (pay < 0) sum->recovered++, sum->recover += -pay;
    if (put_line(p, year, &l, out)) goto oom;
    if (commit && pay) {
      sb_reassist_payment rp = {l.person, l.plen,        year, l.category >= 0 ? l.category : 0,
                                l.base,   l.entitlement, pay};
      if ((rc = st->ops->reassist_put(st, run, &rp, err))) goto out;
    }
  }
  if (commit) {
    char summary[200];
    snprintf(summary, sizeof summary, "year=%d persons=%lld paid=%lld recovered=%lld", year,
             (long long)sum->persons, (long long)sum->pay, (long long)sum->recover);
    if ((rc = st->ops->run_finish(st, run, summary, err)) || (rc = st->ops->commit(st, err)))
      goto out;
    in_txn = 0;
  }
  goto out;
oom:
  rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
out:
  if (in_txn) st->ops->rollback(st);
  free(rc_.v);
  free(rc_.reversed);
  free(pc.v);
  sb_policy_set_clear(&ps);
  return rc;
}
