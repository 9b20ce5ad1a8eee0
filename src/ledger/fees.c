/*
** sanbao ledger — the catalogue and fee lines in the ledger
** (docs/reference/settlement.md §11, docs/ledger.md).
**
** The catalogue is append-only, versioned by validity dates: `db add-catalog`
** adds the rows of a file (each file is checked whole, as `settle --catalog`
** checks it), and where a row added later overlaps rows of its code added
** earlier, the later row applies over its dates — the earlier rows keep the
** days it does not cover.  That is how a bureau re-rates a code or corrects
** a row without ever changing what was stored, and why a claim settled
** before the change keeps the classification it was settled with (its fee
** lines are stored with their results).
*/
#include <stdlib.h>
#include <string.h>

#include "io/catalog_csv.h"
#include "io/csv.h"
#include "ledger/ledger.h"
#include "sanbao/hash.h"

/* ---- reading the ledger's catalogue -------------------------------------------- */

typedef struct cat_row {
  const char *code; /* into the arena of the ctx */
  uint32_t len;
  int64_t order;
  sb_catalog_item it;
} cat_row;

typedef struct cat_ctx {
  cat_row *v;
  int64_t n, cap;
  sb_buf text; /* the codes */
  sb_error *err;
} cat_ctx;

static int collect_row(void *vctx, const char *code, size_t len, const sb_catalog_item *it) {
  cat_ctx *c = vctx;
  if (c->n == c->cap) {
    int64_t nc = c->cap ? 2 * c->cap : 1024;
    cat_row *nv = realloc(c->v, (size_t)nc * sizeof *nv);
    if (!nv) return sb_error_set(c->err, SB_ENOMEM, NULL, "out of memory");
    c->v = nv;
    c->cap = nc;
  }
  size_t off = c->text.len;
  if (sb_buf_put(&c->text, code, len))
    return sb_error_set(c->err, SB_ENOMEM, NULL, "out of memory");
  c->v[c->n] = (cat_row){(const char *)(uintptr_t)off, (uint32_t)len, c->n, *it};
  c->n++;
  return 0;
}

static int by_code_then_order(const void *a, const void *b) {
  const cat_row *x = a, *y = b;
  int c = sb_canon_cmp_id(x->code, x->len, y->code, y->len);
  if (c) return c;
  return (x->order > y->order) - (x->order < y->order);
}

/* Rows of one code valid on disjoint dates, as the later rows leave them. */
typedef struct span {
  sb_date begin, end;
  const sb_catalog_item *it;
} span;

int sb_ledger_catalog(sb_store *st, sb_catalog **out, sb_error *err) {
  *out = NULL;
  cat_ctx c = {.err = err};
  int rc = st->ops->catalog_each(st, collect_row, &c, err);
  if (rc || c.n == 0) {
    free(c.v);
    sb_buf_free(&c.text);
    return rc;
  }
  for (int64_t i = 0; i < c.n; i++)
    c.v[i].code = c.text.p + (uintptr_t)c.v[i].code;
  qsort(c.v, (size_t)c.n, sizeof *c.v, by_code_then_order);
  sb_catalog *cat = sb_catalog_new();
  span *s = malloc((size_t)(2 * c.n + 2) * sizeof *s);
  if (!cat || !s) {
    rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
    goto out;
  }
  for (int64_t i = 0; i < c.n && !rc;) {
    int64_t j = i;
    while (j < c.n && c.v[j].len == c.v[i].len && !memcmp(c.v[j].code, c.v[i].code, c.v[i].len))
      j++;
    /* rows in the order added; each cuts its dates out of the spans before */
    int64_t ns = 0;
    for (int64_t k = i; k < j; k++) {
      const cat_row *r = &c.v[k];
      int64_t m = ns;
      for (int64_t q = 0; q < m; q++) {
        span *x = &s[q];
        if (x->it == NULL || x->end < r->it.begin || x->begin > r->it.end) continue;
        if (x->end > r->it.end) /* the part after the new row */
          s[ns++] = (span){r->it.end + 1, x->end, x->it};
        if (x->begin < r->it.begin)
          x->end = r->it.begin - 1; /* the part before */
        else
          x->it = NULL; /* wholly covered */
      }
      s[ns++] = (span){r->it.begin, r->it.end, &r->it};
    }
    for (int64_t q = 0; q < ns && !rc; q++) {
      if (!s[q].it) continue;
      sb_catalog_item it = *s[q].it;
      it.begin = s[q].begin;
      it.end = s[q].end;
      rc = sb_catalog_add(cat, c.v[i].code, c.v[i].len, &it, (int)(c.v[i].order + 1));
      if (rc) rc = sb_error_set(err, rc, NULL, "the ledger's catalogue: a row cannot be used");
    }
    i = j;
  }
  if (!rc && sb_catalog_finish(cat, NULL, NULL) != 0)
    rc = sb_error_set(err, SB_EINVAL, NULL, "the ledger's catalogue overlaps itself");
out:
  free(s);
  free(c.v);
  sb_buf_free(&c.text);
  if (rc) {
    sb_catalog_free(cat);
    return rc;
  }
  *out = cat;
  return SB_OK;
}

/* ---- add-catalog ---------------------------------------------------------------- */

/* A row as stored: its identity, to skip rows the ledger holds already. */
static uint64_t row_key(const char *code, size_t len, const sb_catalog_item *it) {
  unsigned char le[40];
  const int64_t f[5] = {it->begin, it->end, it->cls, it->selfpay_prop, it->price_limit};
  for (int k = 0; k < 40; k++)
    le[k] = (unsigned char)((uint64_t)f[k / 8] >> (8 * (k % 8)));
  return (sb_hash_bytes(code, len) ^ sb_hash_bytes(le, sizeof le) * 0x9E3779B97F4A7C15ull) | 1;
}

typedef struct key_set {
  uint64_t *t;
  uint64_t mask;
} key_set;

static int key_seen(key_set *k, uint64_t key, int insert) {
  for (uint64_t i = key & k->mask;; i = (i + 1) & k->mask) {
    if (k->t[i] == key) return 1;
    if (!k->t[i]) {
      if (insert) k->t[i] = key;
      return 0;
    }
  }
}

static int stored_key(void *vctx, const char *code, size_t len, const sb_catalog_item *it) {
  key_seen(vctx, row_key(code, len, it), 1);
  return 0;
}

int sb_ledger_add_catalog(sb_store *st, const char *path, sb_report_fn report, void *ctx,
                          int64_t *added, int64_t *kept, sb_error *err) {
  sb_catalog *cat;
  int rc = sb_catalog_load(path, &cat, report, ctx, err);
  if (rc) return rc;
  *added = *kept = 0;
  int64_t n = sb_catalog_count(cat);
  if ((rc = st->ops->begin(st, err))) {
    sb_catalog_free(cat);
    return rc;
  }
  /* the rows the ledger holds, to add each row once: the same file added
  ** again changes nothing */
  cat_ctx count = {.err = err};
  rc = st->ops->catalog_each(st, collect_row, &count, err);
  uint64_t cap = 64;
  while (cap < 2 * (uint64_t)(n + count.n))
    cap *= 2;
  key_set ks = {calloc(cap, sizeof(uint64_t)), cap - 1};
  free(count.v);
  sb_buf_free(&count.text);
  if (!rc && !ks.t) rc = sb_error_set(err, SB_ENOMEM, path, "out of memory");
  if (!rc) rc = st->ops->catalog_each(st, stored_key, &ks, err);
  int64_t run = 0;
  if (!rc) rc = st->ops->run_start(st, "add-catalog", path, &run, err);
  for (int64_t i = 0; i < n && !rc; i++) {
    const char *code;
    size_t len;
    sb_catalog_item it;
    sb_catalog_row(cat, i, &code, &len, &it);
    if (key_seen(&ks, row_key(code, len, &it), 1)) {
      ++*kept;
      continue;
    }
    rc = st->ops->catalog_put(st, run, code, len, &it, err);
    ++*added;
  }
  char summary[96];
  snprintf(summary, sizeof summary, "rows=%lld added=%lld", (long long)n, (long long)*added);
  if (!rc) rc = st->ops->run_finish(st, run, summary, err);
  if (!rc) rc = st->ops->commit(st, err);
  if (rc) st->ops->rollback(st);
  free(ks.t);
  sb_catalog_free(cat);
  return rc;
}

/* ---- fee lines of an import -------------------------------------------------------- */

int sb_ledger_store_fee_lines(sb_store *st, const sb_batch *b, const int64_t *seq, sb_error *err) {
  int64_t n = sb_batch_fee_line_count(b);
  if (!n) return SB_OK;
  /* lines go in input order; a row's lines are numbered 1, 2, ... */
  int32_t *line_no = calloc((size_t)sb_batch_rows(b) + 1, sizeof *line_no);
  if (!line_no) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  int rc = SB_OK;
  for (int64_t i = 0; i < n && !rc; i++) {
    sb_fee_result fr;
    sb_batch_fee_line(b, i, &fr);
    if (fr.status == SB_FEE_NO_CLAIM || !seq[fr.row]) continue; /* no claim, or received before */
    sb_batch_row v;
    sb_batch_row_view(b, fr.row, &v);
    sb_stored_fee_line l = {seq[fr.row],
                            ++line_no[fr.row],
                            NULL,
                            fr.line.sn,
                            fr.line.code,
                            0,
                            fr.line.sn_len,
                            fr.line.code_len,
                            fr.status,
                            fr.status == SB_FEE_BAD ? -1 : fr.line.cnt,
                            fr.status == SB_FEE_BAD ? -1 : fr.line.pric,
                            fr.amounts,
                            v.person_id,
                            v.person_id_len};
    rc = st->ops->fee_line_put(st, &l, err);
  }
  free(line_no);
  return rc;
}

/* ---- export ------------------------------------------------------------------- */

typedef struct export_ctx {
  sb_buf *out;
  size_t chunk;
  sb_flush_fn flush;
  void *flush_ctx;
} export_ctx;

int sb_fee_line_csv(sb_buf *o, const char *claim_id, size_t claim_id_len,
                    const sb_stored_fee_line *l) {
  if (sb_csv_put_field(o, claim_id, claim_id_len) || sb_buf_put(o, ",", 1) ||
      sb_csv_put_field(o, l->sn, l->sn_len) || sb_buf_put(o, ",", 1) ||
      sb_csv_put_field(o, l->code, l->code_len))
    return -1;
  if (l->status == SB_FEE_BAD) return sb_buf_printf(o, ",,,,,,,bad\n");
  static const char *const LV[] = {"", "01", "02", "03"};
  char a[5][SB_MONEY_BUFSZ];
  const sb_fen v[5] = {l->amounts.amt, l->amounts.fulamt, l->amounts.over, l->amounts.pre,
                       l->amounts.inscp};
  for (int k = 0; k < 5; k++)
    sb_money_format(v[k], a[k]);
  return sb_buf_printf(o, ",%s,%s,%s,%s,%s,%s,%s\n",
                       l->status == SB_FEE_OK ? LV[l->amounts.cls & 3] : "", a[0], a[1], a[2], a[3],
                       a[4], sb_fee_status_name(l->status));
}

static int export_line(void *vctx, const sb_stored_fee_line *l) {
  export_ctx *c = vctx;
  if (sb_fee_line_csv(c->out, l->claim_id, l->claim_id_len, l)) return SB_ENOMEM;
  if (c->flush && c->out->len >= c->chunk && c->flush(c->flush_ctx, c->out)) return SB_EIO;
  return 0;
}

int sb_ledger_export_fee_results(sb_store *st, sb_buf *out, size_t chunk, sb_flush_fn flush,
                                 void *ctx, sb_error *err) {
  static const char hdr[] = "claim_id,feedetl_sn,med_list_codg,chrgitm_lv,det_item_fee_sumamt,"
                            "fulamt_ownpay_amt,overlmt_amt,preselfpay_amt,inscp_scp_amt,status\n";
  if (sb_buf_put(out, hdr, sizeof hdr - 1))
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  export_ctx c = {out, chunk, flush, ctx};
  int rc = st->ops->fee_line_each(st, 0, export_line, &c, err);
  if (rc == SB_EIO && err && !err->msg[0]) sb_error_set(err, SB_EIO, NULL, "write error");
  if (rc == SB_ENOMEM && err && !err->msg[0]) sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  return rc;
}
